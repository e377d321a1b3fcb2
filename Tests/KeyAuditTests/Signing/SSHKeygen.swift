import Foundation
import Testing

@testable import KeyAuditCore

/// Runs the real `ssh-keygen` (OpenSSH 9.2 on the build machine).
enum SSHKeygen {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let path: String = {
        for candidate in ["/usr/bin/ssh-keygen", "/usr/local/bin/ssh-keygen", "/opt/homebrew/bin/ssh-keygen"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/ssh-keygen"
    }()

    /// Runs ssh-keygen with `arguments`, feeding `stdinFile` (or nothing) to standard input. Output goes through
    /// temporary files so a chatty run cannot deadlock on a full pipe.
    static func run(_ arguments: [String], stdinFile: URL? = nil, in directory: TempDirectory) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = directory.url
        let outURL = directory.url.appendingPathComponent("ssh-keygen.\(UUID().uuidString).out")
        let errURL = directory.url.appendingPathComponent("ssh-keygen.\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        if let stdinFile {
            process.standardInput = try FileHandle(forReadingFrom: stdinFile)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let result = Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
        return result
    }

    /// Runs ssh-keygen and fails the test (with its stderr) unless it exits 0.
    @discardableResult
    static func succeed(
        _ arguments: [String],
        stdinFile: URL? = nil,
        in directory: TempDirectory,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        let result = try run(arguments, stdinFile: stdinFile, in: directory)
        #expect(
            result.status == 0,
            "ssh-keygen \(arguments.joined(separator: " ")) failed: \(result.stderr)",
            sourceLocation: sourceLocation
        )
        return result
    }

    /// Makes a key with `ssh-keygen -t TYPE -N passphrase -C comment -f name`; returns the private key's URL.
    static func generate(
        type: String = "ed25519",
        passphrase: String = "",
        comment: String = "test@example.com",
        name: String = "k",
        in directory: TempDirectory
    ) throws -> URL {
        var arguments = ["-q", "-t", type, "-N", passphrase, "-C", comment, "-f", name]
        if type == "rsa" {
            arguments += ["-b", "2048"]
        }
        try succeed(arguments, in: directory)
        return directory.url.appendingPathComponent(name)
    }
}

/// A fresh directory under the system temporary directory, removed when released.
final class TempDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sshsig-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    /// Writes `text`, with mode 0600 (ssh-keygen refuses private keys that others can read).
    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let target = path(name)
        try data.write(to: target)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target.path)
        return target
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: path(name), encoding: .utf8)
    }
}

/// SplitMix64: a small, seeded generator so the mutation tests are reproducible.
struct MutationGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum SignatureFixtures {
    /// Decodes an armored block (private key or signature) with Foundation, independently of the module's decoder.
    static func decodeArmor(_ text: String) -> [UInt8] {
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(Data(base64Encoded: body) ?? Data())
    }

    /// Armors `bytes` with Foundation's encoder, lines of 70 as OpenSSH does.
    static func armor(_ bytes: [UInt8], label: String) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(70)))
            rest = rest.dropFirst(70)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
