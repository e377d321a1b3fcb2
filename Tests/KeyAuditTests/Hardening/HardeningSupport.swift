import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditTestSupport

/// What every hardening test checks of a run through the binary.
enum Hardening {
    static let now = "2026-01-15T12:00:00Z"
    static let workspace = "33333333-3333-4333-8333-333333333333"

    static func account(keys: Int = 30, extra: [[String: Any]] = []) -> StandInAccount {
        StandInAccount(workspaces: [
            StandInWorkspace(
                id: workspace,
                keys: extra
                    + StandInAccount.makeKeys(
                        count: keys, disabled: 2, workspace: workspace, seed: 12, now: StandInAccount.referenceNow))
        ])
    }

    /// `keyaudit run` against the stand-in serving `account`; the elapsed wall time comes with the result.
    static func run(
        _ account: StandInAccount, output: TemporaryFolder, extra: [String] = [], timeout: Double = 60,
        environment: [String: String] = [:]
    ) async throws -> (CLIResult, Duration) {
        try await StandInServer.with(account.handler) { server in
            let started = ContinuousClock.now
            let result = try await CLI.run(
                [
                    "run", "--base-url", server.baseURL, "--output", output.path, "--now", now, "--max-retries", "1",
                    "--format", "md,html,xlsx",
                ] + extra,
                environment: CLI.environment(
                    ["OPENROUTER_MANAGEMENT_KEY": account.managementKey].merging(environment) { $1 }),
                timeout: timeout)
            return (result, ContinuousClock.now - started)
        }
    }

    /// A failed run: the exit code, one line on stderr starting `keyaudit: error:`, no run folder, no staging
    /// folder, no `latest`, and `secrets` in no file and no output.
    static func expectFailure(
        _ result: CLIResult, _ output: TemporaryFolder, status: Int32, mentions: [String] = [], secrets: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.signalled, "killed by a signal: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(
            result.stderr.split(separator: "\n").count == 1 && result.stderr.hasPrefix("keyaudit: error: "),
            "stderr is not one error line: \(result.stderr)", sourceLocation: sourceLocation)
        for word in mentions {
            #expect(
                result.stderr.contains(word), "stderr lacks \"\(word)\": \(result.stderr)",
                sourceLocation: sourceLocation)
        }
        expectNothingLeft(output, sourceLocation: sourceLocation)
        expectNoSecrets(secrets, in: result, output, sourceLocation: sourceLocation)
    }

    static func expectNothingLeft(_ output: TemporaryFolder, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            output.runFolders().isEmpty, "a run folder appeared: \(output.allFiles())", sourceLocation: sourceLocation)
        #expect(
            !output.allFiles().contains { $0.hasPrefix(".keyaudit-tmp") }, "staging left: \(output.allFiles())",
            sourceLocation: sourceLocation)
        #expect(!output.allFiles().contains("latest"), sourceLocation: sourceLocation)
    }

    static func expectNoSecrets(
        _ secrets: [String], in result: CLIResult, _ output: TemporaryFolder,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for secret in secrets {
            #expect(
                !output.anyFileContains(secret), "a file holds \(secret.prefix(12))…", sourceLocation: sourceLocation)
            #expect(
                !result.stderr.contains(secret) && !result.stdout.contains(secret),
                "the output holds \(secret.prefix(12))…", sourceLocation: sourceLocation)
        }
    }

    /// Every file of every run folder under `output`, as text (report.xlsx unzipped is checked separately).
    static func text(of file: String) -> String {
        (FileManager.default.contents(atPath: file)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
