import Foundation
import Testing

/// Runs the built `keyaudit` binary as a user would, capturing its exit status, stdout and stderr.
struct CLIResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Terminated by a signal rather than exiting.
    var signalled: Bool
}

enum CLI {
    /// The `keyaudit` executable beside the test bundle (`swift build --build-tests` builds it).
    static let binary: String = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "keyaudit"
            ).path,
            Bundle.main.bundleURL.appendingPathComponent("keyaudit").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("keyaudit").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    /// A base environment without the caller's proxy or key settings.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"]
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs keyaudit with `arguments`; kills it after `timeout` seconds (a test failure, not a hang).
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String] = CLI.environment(), timeout: Double = 60,
        shell: Bool = false, whileRunning: ((Process) async throws -> Void)? = nil
    ) async throws -> CLIResult {
        let process = Process()
        // shell: the arguments go to /bin/sh (for `ulimit`), which then execs keyaudit.
        process.executableURL = URL(fileURLWithPath: shell ? "/bin/sh" : binary)
        process.arguments = arguments
        process.environment = environment
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cli-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("cli-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if let whileRunning { try await whileRunning(process) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                Issue.record("keyaudit \(arguments.joined(separator: " ")) did not finish within \(timeout)s")
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
            signalled: process.terminationReason == .uncaughtSignal)
    }
}

/// A fresh temporary folder per test, removed at the end.
final class TemporaryFolder: @unchecked Sendable {
    let path: String

    init(_ label: String = "keyaudit") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func url(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Every file below the folder (hidden ones included), relative paths.
    func allFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
        return enumerator.compactMap { $0 as? String }.sorted()
    }

    /// Complete run folders (names like 20261126T030000Z).
    func runFolders() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
            $0.count >= 16 && $0.hasSuffix("Z") || $0.contains("Z-")
        }.sorted()
    }

    /// Whether any file below the folder contains `text`.
    func anyFileContains(_ text: String) -> Bool {
        let needle = Data(text.utf8)
        for file in allFiles() {
            if let data = FileManager.default.contents(atPath: url(file)), data.range(of: needle) != nil { return true }
        }
        return false
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
