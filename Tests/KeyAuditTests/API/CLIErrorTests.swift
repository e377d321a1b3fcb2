import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditReport
@testable import KeyAuditRun
@testable import KeyAuditSampleAccount
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// Every failure a user can meet, through the real binary: exit code, one line on stderr naming the cause,
/// no run folder, and the key nowhere.
@Suite("Errors through the command line")
struct CLIErrorTests {
    static let workspace = "33333333-3333-4333-8333-333333333333"

    static func account(keys: Int = 120) -> StandInAccount {
        StandInAccount(workspaces: [
            StandInWorkspace(
                id: workspace,
                keys: StandInAccount.makeKeys(
                    count: keys, disabled: 3, workspace: workspace, seed: 3, now: StandInAccount.referenceNow))
        ])
    }

    /// Runs `keyaudit run` against the stand-in with `key` in the environment.
    static func run(
        _ account: StandInAccount, key: String? = nil, extra: [String] = [], timeout: Double = 60
    ) async throws -> (CLIResult, TemporaryFolder) {
        let output = TemporaryFolder("cli-errors")
        let result = try await StandInServer.with(account.handler) { server in
            try await CLI.run(
                [
                    "run", "--base-url", server.baseURL, "--output", output.path, "--now", "2026-01-15T12:00:00Z",
                    "--max-retries", "1",
                ] + extra,
                environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": key ?? account.managementKey]),
                timeout: timeout)
        }
        return (result, output)
    }

    /// What every failed run must satisfy.
    static func expectCleanFailure(
        _ result: CLIResult, _ output: TemporaryFolder, status: Int32, mentions: [String], key: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            result.status == status, "exit \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr should be one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("keyaudit: error: "), sourceLocation: sourceLocation)
        for word in mentions {
            #expect(
                result.stderr.contains(word), "stderr lacks \"\(word)\": \(result.stderr)",
                sourceLocation: sourceLocation)
        }
        #expect(
            output.runFolders().isEmpty, "a run folder appeared: \(output.allFiles())", sourceLocation: sourceLocation)
        #expect(!output.allFiles().contains { $0.hasPrefix(".keyaudit-tmp") }, sourceLocation: sourceLocation)
        #expect(!output.allFiles().contains("latest"), sourceLocation: sourceLocation)
        #expect(!output.anyFileContains(key), "the key was written to a file", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains(key) && !result.stdout.contains(key), sourceLocation: sourceLocation)
    }

    @Test("a wrong key: 401, exit 77")
    func unauthorized() async throws {
        let account = Self.account()
        let wrong = "sk-or-v1-wrong-" + String(repeating: "ab", count: 20)
        let (result, output) = try await Self.run(account, key: wrong)
        Self.expectCleanFailure(result, output, status: 77, mentions: ["401", "OPENROUTER_MANAGEMENT_KEY"], key: wrong)
    }

    @Test("an ordinary API key: 403, exit 77, says it is not a management key")
    func forbidden() async throws {
        let account = Self.account()
        let (result, output) = try await Self.run(account, key: StandInAccount.ordinaryKey)
        Self.expectCleanFailure(
            result, output, status: 77, mentions: ["403", "not a management key"], key: StandInAccount.ordinaryKey)
    }

    @Test("malformed JSON from the API: exit 65")
    func malformedJSON() async throws {
        let account = Self.account()
        account.faults = [.malformedJSON.only("/keys")]
        let (result, output) = try await Self.run(account)
        Self.expectCleanFailure(result, output, status: 65, mentions: ["malformed JSON"], key: account.managementKey)
    }

    @Test("an HTML error page with 502 on every attempt: exit 69 naming the HTML page")
    func htmlBadGateway() async throws {
        let account = Self.account()
        account.faults = [.html(502).only("/keys"), .html(502).only("/keys")]
        let (result, output) = try await Self.run(account)
        Self.expectCleanFailure(result, output, status: 69, mentions: ["502", "HTML page"], key: account.managementKey)
    }

    @Test("a hung response hits --timeout: exit 69")
    func hung() async throws {
        let account = Self.account()
        account.faults = [.hang.only("/keys"), .hang.only("/keys"), .hang.only("/keys")]
        let (result, output) = try await Self.run(account, extra: ["--timeout", "2"])
        Self.expectCleanFailure(result, output, status: 69, mentions: ["--timeout"], key: account.managementKey)
    }

    @Test("an API that answers every page with the same keys: exit 65, no endless loop")
    func offsetIgnored() async throws {
        let account = Self.account(keys: 300)
        account.ignoreOffset = true
        let (result, output) = try await Self.run(account)
        Self.expectCleanFailure(result, output, status: 65, mentions: ["ignores offset"], key: account.managementKey)
    }

    @Test("plain http to a non-loopback host is refused before any request: exit 64")
    func plainHTTP() async throws {
        let output = TemporaryFolder("cli-errors")
        let key = "sk-or-v1-" + String(repeating: "cd", count: 24)
        let result = try await CLI.run(
            ["run", "--base-url", "http://openrouter.example/api/v1", "--output", output.path],
            environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": key]))
        Self.expectCleanFailure(result, output, status: 64, mentions: ["clear text", "https"], key: key)
    }

    @Test("no key at all: exit 77 saying where to put it")
    func missingKey() async throws {
        let output = TemporaryFolder("cli-errors")
        let result = try await CLI.run(["run", "--output", output.path], environment: CLI.environment())
        Self.expectCleanFailure(
            result, output, status: 77, mentions: ["OPENROUTER_MANAGEMENT_KEY", "--key-file"], key: "sk-or-v1")
    }

    @Test("--key-file missing, empty, and world-readable (a warning, the run goes on)")
    func keyFiles() async throws {
        let folder = TemporaryFolder("key-files")
        let output = TemporaryFolder("cli-errors")
        let missing = try await CLI.run(
            ["run", "--key-file", folder.url("nope"), "--output", output.path], environment: CLI.environment())
        Self.expectCleanFailure(missing, output, status: 64, mentions: ["--key-file", "nope"], key: "sk-or-v1")

        _ = FileManager.default.createFile(atPath: folder.url("empty"), contents: Data("  \n".utf8))
        let empty = try await CLI.run(
            ["run", "--key-file", folder.url("empty"), "--output", output.path], environment: CLI.environment())
        Self.expectCleanFailure(empty, output, status: 77, mentions: ["empty"], key: "sk-or-v1")

        let account = Self.account(keys: 5)
        let keyPath = folder.url("world-readable")
        _ = FileManager.default.createFile(
            atPath: keyPath, contents: Data((account.managementKey + "\n").utf8), attributes: [.posixPermissions: 0o644]
        )
        let result = try await StandInServer.with(account.handler) { server in
            try await CLI.run(
                [
                    "run", "--base-url", server.baseURL, "--key-file", keyPath, "--output", output.path,
                    "--now", "2026-01-15T12:00:00Z", "--format", "md",
                ],
                environment: CLI.environment())
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning") && result.stderr.contains("chmod 600"))
        #expect(output.runFolders().count == 1)
        #expect(!output.anyFileContains(account.managementKey))
        #expect(!result.stderr.contains(account.managementKey))
    }

    @Test("a successful run against the stand-in writes a complete run folder, silently")
    func success() async throws {
        let account = Self.account(keys: 257)
        let (result, output) = try await Self.run(account)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "a successful run under cron prints nothing: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let folders = output.runFolders()
        #expect(folders == ["20260115T120000Z"])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: output.url(folders[0])))
        #expect(
            files == [
                "snapshot.json", "findings.json", "summary.json", "report.md", "report.html", "report.xlsx",
                "SHA256SUMS",
            ])
        let snapshot = try Snapshot.load(path: output.url(folders[0])).snapshot
        #expect(snapshot.keys.count == 257)
        #expect(!output.anyFileContains(account.managementKey))
        // Not world-readable.
        for file in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: output.url("\(folders[0])/\(file)"))
            #expect((attributes[.posixPermissions] as? Int ?? 0) & 0o007 == 0, "\(file) is world-readable")
        }
    }
}
