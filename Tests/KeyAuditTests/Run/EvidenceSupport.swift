import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun

/// The tests of the output folder's defences (links, commits, laundering, signatures) run the binary many times
/// over; they run one at a time, so as not to crowd out the timing-sensitive tests that run beside them.
@Suite(.serialized) enum OutputFolderDefences {}

/// Shared by the tests of the output folder's defences (links, commits, laundering, signatures): runs of the real
/// binary, and the checks every failed run must pass.
enum Evidence {
    static let now = "2026-11-26T03:00:00Z"

    /// `keyaudit run --demo` into `output` at `now` (Markdown only, unless `extra` says otherwise).
    @discardableResult
    static func demo(
        _ output: TemporaryFolder, now: String = Evidence.now, _ extra: [String] = [],
        environment: [String: String] = CLI.environment()
    ) async throws -> CLIResult {
        let formats = extra.contains("--format") ? [] : ["--format", "md"]
        return try await CLI.run(
            ["run", "--demo", "--output", output.path, "--now", now] + formats + extra, environment: environment,
            timeout: 120)
    }

    /// `keyaudit ARGUMENTS` started by `/bin/sh -c SCRIPT`, which then execs it: `$$` in the script is the pid
    /// keyaudit will have, for files named after it (`.keyaudit-tmp-<run>-<pid>`, `.latest-<pid>`).
    static func shell(
        _ script: String, _ arguments: [String], environment: [String: String] = CLI.environment()
    ) async throws -> CLIResult {
        try await CLI.run(
            ["-c", "\(script); exec \"$0\" \"$@\"", CLI.binary] + arguments, environment: environment, timeout: 120,
            shell: true)
    }

    /// The text of a file, empty when absent.
    static func text(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    static func isLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    /// A file outside every output folder that a link may point at: it must survive every test unchanged.
    static func victim(_ folder: TemporaryFolder, _ name: String = "victim.txt") -> String {
        let path = folder.url(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data("precious: never overwritten\n".utf8))
        return path
    }

    static func expectUntouched(_ victim: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            text(victim) == "precious: never overwritten\n", "\(victim) was changed", sourceLocation: sourceLocation)
    }

    /// What every refused or failed command must satisfy: its exit status, one line on stderr naming the cause,
    /// no staging folder or temporary link left, the run folders as they were, and no secret in any output.
    static func expectFailure(
        _ result: CLIResult, _ output: TemporaryFolder, status: Int32, mentions: [String], runsBefore: [String] = [],
        secrets: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            result.status == status, "exit \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.signalled, "keyaudit crashed", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr should be one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("keyaudit: error: "), "\(result.stderr)", sourceLocation: sourceLocation)
        for word in mentions {
            #expect(
                result.stderr.contains(word), "stderr lacks \"\(word)\": \(result.stderr)",
                sourceLocation: sourceLocation)
        }
        expectNoLeftovers(output, sourceLocation: sourceLocation)
        #expect(
            output.runFolders().filter { OutputDirectory.isRunFolderName($0) } == runsBefore,
            "run folders changed: \(output.runFolders())", sourceLocation: sourceLocation)
        for secret in secrets {
            #expect(!output.anyFileContains(secret), "a secret was written to a file", sourceLocation: sourceLocation)
            #expect(
                !result.stderr.contains(secret) && !result.stdout.contains(secret), "a secret was printed",
                sourceLocation: sourceLocation)
        }
    }

    /// No staging folder, no temporary `latest` link, no temporary file of keyaudit's left in the output folder.
    static func expectNoLeftovers(_ output: TemporaryFolder, sourceLocation: SourceLocation = #_sourceLocation) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let left = names.filter { $0.hasPrefix(".keyaudit-tmp") || $0.hasPrefix(".latest-") || $0.hasSuffix(".tmp") }
        #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
    }
}
