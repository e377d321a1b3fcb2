import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditTestSupport

/// Class 7 of issue 12: inputs are regular files (or run folders), checked after opening without blocking, and
/// read within a limit: a FIFO, a device or a huge file is a one-line 64/65 at once, never a hang.
@Suite("Hardening: input files", .serialized)
struct InputFileTests {
    /// A FIFO nobody writes to: opening it for reading would block forever.
    static func fifo(_ folder: TemporaryFolder, _ name: String) -> String {
        let path = folder.url(name)
        #expect(mkfifo(path, 0o600) == 0)
        return path
    }

    static func runQuickly(
        _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> (CLIResult, Duration) {
        let started = ContinuousClock.now
        let result = try await CLI.run(arguments, environment: CLI.environment(environment), timeout: 90)
        return (result, ContinuousClock.now - started)
    }

    @Test("a huge file that is not a snapshot fails at its first byte, not after a pass over all of it")
    func hugeNonSnapshot() async throws {
        let inputs = TemporaryFolder("inputs-huge")
        // 64 GiB of zeros, sparse: nothing on disk, but a pass over it (a checksum before parsing) takes minutes.
        let path = inputs.url("zeros.json")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 64 << 30) == 0)
        let run = TemporaryFolder("inputs-huge-run")
        let cases: [[String]] = [
            ["run", "--from-snapshot", path, "--output", run.path],
            ["run", "--demo", "--previous", path, "--output", run.path],
            ["diff", path, path],
        ]
        for arguments in cases {
            let (result, elapsed) = try await Self.runQuickly(
                arguments + (arguments[0] == "run" ? ["--now", Hardening.now] : []))
            #expect(result.status == 65, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("not valid JSON"))
            // A pass over 64 GiB takes minutes (about 3 s per GiB here); refusing takes a moment. The bound is loose:
            // the machine may be busy.
            #expect(elapsed < .seconds(60), "\(arguments) took \(elapsed)")
        }
    }

    @Test("a FIFO as any input file: 64 or 65 at once, one line, nothing written, the lock released")
    func fifos() async throws {
        let inputs = TemporaryFolder("inputs")
        let pipe = Self.fifo(inputs, "pipe")
        let templates = TemporaryFolder("templates")
        _ = Self.fifo(templates, "report.md.mustache")
        let runFolder = TemporaryFolder("fifo-run")
        _ = Self.fifo(runFolder, "snapshot.json")
        let cases: [([String], Int32, String)] = [
            (["run", "--from-snapshot", pipe], 65, "not a regular file"),
            (["run", "--demo", "--previous", pipe], 65, "not a regular file"),
            (["run", "--demo", "--previous", runFolder.path], 65, "not a regular file"),
            (["run", "--demo", "--policy", pipe], 64, "not a regular file"),
            (["run", "--key-file", pipe], 64, "not a regular file"),
            (["run", "--demo", "--templates", templates.path], 64, "not a regular file"),
            (["snapshot", "--from-snapshot", pipe], 65, "not a regular file"),
        ]
        for (arguments, status, words) in cases {
            let output = TemporaryFolder("inputs-out")
            let (result, elapsed) = try await Self.runQuickly(
                arguments + ["--output", output.path, "--now", Hardening.now])
            Hardening.expectFailure(result, output, status: status, mentions: [words], secrets: [])
            // A hang would last until CLI.run gives up (90 s); refusing takes a moment (the bound is loose: the
            // machine may be busy).
            #expect(elapsed < .seconds(60), "\(arguments) took \(elapsed)")
            // The lock is free again: a run on the same folder goes through.
            let next = try await CLI.run(
                ["run", "--demo", "--output", output.path, "--now", Hardening.now, "--format", "md"],
                environment: CLI.environment())
            #expect(next.status == 0, "after \(arguments): \(next.stderr)")
        }
        for arguments in [["diff", pipe, pipe], ["diff", runFolder.path, runFolder.path], ["policy", "check", pipe]] {
            let (result, elapsed) = try await Self.runQuickly(arguments)
            #expect([64, 65].contains(result.status), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(elapsed < .seconds(60))
        }
    }

    @Test("FIFOs planted in the output folder do not hang the next run, verify or render")
    func plantedFifos() async throws {
        let output = TemporaryFolder("planted")
        let first = try await CLI.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-01-14T12:00:00Z", "--format", "md"],
            environment: CLI.environment())
        #expect(first.status == 0)
        let folder = try #require(output.runFolders().first)
        for name in ["SHA256SUMS", "findings.json"] {
            unlink(output.url("\(folder)/\(name)"))
            #expect(mkfifo(output.url("\(folder)/\(name)"), 0o600) == 0)
        }
        let (next, elapsed) = try await Self.runQuickly(
            ["run", "--demo", "--output", output.path, "--now", Hardening.now, "--format", "md"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(elapsed < .seconds(60))
        let (verify, verifyElapsed) = try await Self.runQuickly(["verify", output.url(folder)])
        #expect(verify.status == 65, "\(verify.stderr)")
        #expect(verifyElapsed < .seconds(60))
        let (render, renderElapsed) = try await Self.runQuickly(["render", output.url(folder), "--format", "md"])
        #expect(render.status == 65, "\(render.stderr)")
        #expect(render.stderr.split(separator: "\n").count == 1, "\(render.stderr)")
        #expect(renderElapsed < .seconds(60))
    }

    @Test("a 2 GB key file is refused after 4 KiB: 64, one line, quickly")
    func hugeKeyFile() async throws {
        let inputs = TemporaryFolder("inputs")
        let path = inputs.url("key")
        let key = StandInAccount.defaultManagementKey
        #expect(
            FileManager.default.createFile(
                atPath: path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]))
        #expect(truncate(path, 2 << 30) == 0)  // sparse: no 2 GB written to the disk
        let output = TemporaryFolder("inputs-out")
        let (result, elapsed) = try await Self.runQuickly(["run", "--key-file", path, "--output", output.path])
        // "larger than 4 KiB": refused by the bounded read, not after reading 2 GB.
        Hardening.expectFailure(result, output, status: 64, mentions: ["--key-file", "4 KiB"], secrets: [key])
        #expect(elapsed < .seconds(60))
        // A folder, a device: refused the same way.
        for other in [inputs.path, "/dev/zero", "/dev/null"] {
            let (refused, _) = try await Self.runQuickly(["run", "--key-file", other, "--output", output.path])
            #expect([64, 77].contains(refused.status), "\(other): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("InputFile: at most limit + 1 bytes are read, and the status comes from the same descriptor")
    func boundedRead() throws {
        let inputs = TemporaryFolder("inputs")
        let path = inputs.url("big")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 65, count: 10_000)))
        #expect(throws: KeyAuditError.self) { try InputFile.read(path, what: "x", limit: 4096) }
        let (bytes, status) = try InputFile.readWithStatus(path, what: "x", limit: 10_000)
        #expect(bytes.count == 10_000 && status.st_size == 10_000)
        #expect(throws: KeyAuditError.self) { try MappedFile(path: Self.fifo(inputs, "pipe"), what: "x", kind: .data) }
    }
}
