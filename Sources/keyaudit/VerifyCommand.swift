import ArgumentParser
import Foundation
import KeyAuditCore
import KeyAuditRun

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check run folders against their SHA256SUMS and signatures, and the chain they form (exit 0 intact, 65 broken).",
        discussion: """
            Checks RUN_DIR and every run folder beside it: each file against SHA256SUMS, each SHA256SUMS.sig \
            against SHA256SUMS, each previous-snapshot link, and every gap (a run no later run follows, a run that \
            is missing without a --keep record). With --allowed-signers, each signature must come from an allowed \
            key, and no run may be unsigned after a signed one. This is what a reviewer runs on the run folders.

            EXAMPLES
              keyaudit verify reports/latest
              keyaudit verify ~/Downloads/20261126T030000Z --partial --quiet
              keyaudit verify reports/latest --allowed-signers allowed_signers
              cd 20261126T030000Z && sha256sum -c SHA256SUMS
            """)

    @Argument(help: ArgumentHelp("A run folder (or `latest`).", valueName: "run-dir")) var runDirectory: String

    @Option(
        name: .customLong("allowed-signers"),
        help: ArgumentHelp(
            "OpenSSH allowed signers file: check that every signature was made by an allowed key (namespace keyaudit).",
            valueName: "file"))
    var allowedSigners: String?

    @Flag(
        help:
            "The folder holds only some of the runs (e.g. one sent for review): the runs before its oldest may be missing."
    )
    var partial = false

    @Flag(name: .shortAndLong, help: "Print nothing on success.") var quiet = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw Terminal.fail(
                .malformedData("\(runDirectory) is not a run folder; give the folder holding SHA256SUMS"), format: .text
            )
        }
        var options = ChainVerifier.Options(partial: partial)
        if let allowedSigners {
            do throws(KeyAuditError) {
                options.allowedSigners = try AllowedSigners.load(path: allowedSigners)
            } catch {
                throw Terminal.fail(error, format: .text)
            }
        }
        let report = ChainVerifier.verify(
            runFolder: FileSystem.resolved(runDirectory) ?? runDirectory, options: options)
        if !quiet {
            // Names and paths come from the folder being checked, which may be hostile: one line each, no
            // terminal escapes.
            for line in report.checked { print(Escaping.oneLine(line, limit: 2000)) }
            for problem in report.problems { print("FAILED  \(Escaping.oneLine(problem, limit: 2000))") }
        }
        if let broken = report.broken {
            let more = report.problems.count - 1
            throw Terminal.fail(
                .malformedData(
                    "verification failed: \(Escaping.oneLine(broken, limit: 1000))\(more > 0 ? " (and \(more) more problem\(more == 1 ? "" : "s"), listed on stdout)" : "")"
                ), format: .text)
        }
        if !quiet { print("intact: \(Escaping.oneLine(report.end, limit: 2000))") }
    }
}
