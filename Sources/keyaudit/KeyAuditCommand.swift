import ArgumentParser
import Foundation
import KeyAuditCore

@main
struct KeyAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyaudit",
        abstract: "Audit the API keys of an OpenRouter account: snapshot, findings, diff and reports.",
        discussion: """
            keyaudit snapshots every key of the account through the Management API, flags risky keys under a \
            policy, compares the snapshot with the previous run and writes Markdown, HTML and XLSX reports into \
            a run folder with checksums.

            The management key is read from OPENROUTER_MANAGEMENT_KEY or from --key-file; no flag takes the key \
            itself. With --signing-key (or KEYAUDIT_SIGNING_KEY_FILE), each run's SHA256SUMS is signed as an \
            OpenSSH signature (SHA256SUMS.sig, namespace keyaudit) that ssh-keygen -Y verify checks.

            EXIT CODES
              0   success
              1   findings at or above --fail-on (reports are written first)
              64  usage or configuration error (flags, policy, templates, base URL)
              65  malformed data from the API or a corrupt input file; verify/render: a broken chain or signature
              69  API unavailable after retries, or --timeout reached
              73  output cannot be written
              75  another run holds the lock on the output folder
              77  the management key is missing or was rejected (401/403)
              129/130/131/143  stopped by SIGHUP/SIGINT/SIGQUIT/SIGTERM (nothing half-written is left)
            """,
        version: KeyAuditVersion.current,
        subcommands: [
            RunCommand.self, SnapshotCommand.self, DiffCommand.self, RenderCommand.self, VerifyCommand.self,
            PlanCommand.self, ApplyCommand.self, RulesCommand.self, PolicyCommand.self, KeygenCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )

    /// The process hardened before anything is read, then the command; every way out is one line on stderr (or
    /// the help text on stdout) and a documented exit code.
    ///
    /// swift-argument-parser would print its usage errors as three lines starting `Error:`; here they become
    /// `keyaudit: error: <cause>; see `keyaudit <command> --help`` and exit 64, like every other error.
    static func main() async {
        for problem in ProcessHardening.apply() { Terminal.writeError("keyaudit: warning: \(problem)\n") }
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(Terminal.finish(error, command: Self.self))
        }
        Foundation.exit(ExitStatus.success)
    }
}
