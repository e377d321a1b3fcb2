import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditTestSupport

/// The run checksums its files while the workbook is compressed (`RunFolder.checksumWrittenFiles`); SHA256SUMS
/// must still list what the folder holds when it is sealed, whatever happened to a file in between.
@Suite("SHA256SUMS from sums taken early")
struct EarlyChecksumTests {
    static func lines(_ folder: RunFolder) throws -> [String: String] {
        let text = try String(contentsOfFile: folder.stagingPath + "/SHA256SUMS", encoding: .utf8)
        var sums: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            sums[String(parts[1].dropFirst())] = String(parts[0])
        }
        return sums
    }

    @Test("a file kept, rewritten, replaced, removed, added or skipped after the early sums: sealed as it is")
    func sealedAsItIs() throws {
        let output = TemporaryFolder("early-sums")
        let folder = try RunFolder(output: try OutputDirectory.prepare(output.path), name: "20261126T120000Z")
        defer { folder.discard() }
        for name in ["kept.json", "rewritten.json", "replaced.json", "removed.json", "report.xlsx"] {
            try folder.write(Array("first \(name)".utf8), as: name)
        }
        folder.checksumWrittenFiles(except: ["report.xlsx"])
        // Same size, other bytes: told apart by its modification time, which the kernel takes from a clock that
        // ticks every few milliseconds (a rewrite within the same tick would keep the sum of what the run wrote,
        // and `verify` would then report the file as altered: never a sum of bytes the run did not write).
        usleep(20_000)
        let rewritten = open(folder.stagingPath + "/rewritten.json", O_WRONLY)
        #expect(rewritten >= 0)
        _ = "FIRST".withCString { pwrite(rewritten, $0, 5, 0) }
        close(rewritten)
        try FileManager.default.removeItem(atPath: folder.stagingPath + "/replaced.json")
        try folder.write(Array("other replaced.json".utf8), as: "replaced.json")
        try FileManager.default.removeItem(atPath: folder.stagingPath + "/removed.json")
        try folder.write(Array("added".utf8), as: "added.json")
        try folder.seal(signingKey: nil)

        let sums = try Self.lines(folder)
        var expected: [String: String] = [:]
        for name in ["kept.json", "rewritten.json", "replaced.json", "added.json", "report.xlsx"] {
            expected[name] = try Checksum.sha256Hex(fileAt: folder.stagingPath + "/" + name)
        }
        #expect(sums == expected)
        #expect(sums["rewritten.json"] != Checksum.sha256Hex(Array("first rewritten.json".utf8)))
    }
}
