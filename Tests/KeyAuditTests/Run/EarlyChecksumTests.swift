import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditTestSupport

/// The run checksums its files while the workbook is compressed (`RunFolder.checksumWrittenFiles`); SHA256SUMS
/// must still list what the folder holds when it is sealed, whatever happened to a file in between.
@Suite("SHA256SUMS from sums taken early")
struct EarlyChecksumTests {
    static func lines(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path + "/SHA256SUMS", encoding: .utf8)
        var sums: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            sums[String(parts[1].dropFirst())] = String(parts[0])
        }
        return sums
    }

    /// Sets the modification time of `path` to a second of 2001 (a time no write of this test can give).
    static func backdate(_ path: String) {
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
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
        // Same size, other bytes, and a modification time set apart (a coarse file clock may not move on its own).
        let rewritten = open(folder.stagingPath + "/rewritten.json", O_WRONLY)
        #expect(rewritten >= 0)
        _ = "FIRST".withCString { pwrite(rewritten, $0, 5, 0) }
        close(rewritten)
        Self.backdate(folder.stagingPath + "/rewritten.json")
        try FileManager.default.removeItem(atPath: folder.stagingPath + "/replaced.json")
        try folder.write(Array("other replaced.json".utf8), as: "replaced.json")
        try FileManager.default.removeItem(atPath: folder.stagingPath + "/removed.json")
        try folder.write(Array("added".utf8), as: "added.json")
        try folder.seal(signingKey: nil)

        let sums = try Self.lines(folder.stagingPath)
        var expected: [String: String] = [:]
        for name in ["kept.json", "rewritten.json", "replaced.json", "added.json", "report.xlsx"] {
            expected[name] = try Checksum.sha256Hex(fileAt: folder.stagingPath + "/" + name)
        }
        #expect(sums == expected)
        #expect(sums["rewritten.json"] != Checksum.sha256Hex(Array("first rewritten.json".utf8)))
    }

    @Test("a sum taken early is used only while the file is the one it was taken of")
    func knownSumsUsedOnlyForTheSameFile() throws {
        let output = TemporaryFolder("early-sums-known")
        let path = output.url("run")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let folder = try Folder(opening: path)
        for name in ["same.json", "touched.json"] {
            try Data("bytes of \(name)".utf8).write(to: URL(fileURLWithPath: path + "/" + name))
        }
        // Made-up sums: one is listed only if the early sum is used, the other only if it is not.
        let madeUp = String(repeating: "ab", count: 32)
        var known: [String: (sum: String, stamp: FileStamp)] = [:]
        for name in ["same.json", "touched.json"] {
            known[name] = (madeUp, try #require(FileStamp(folder, name)))
        }
        Self.backdate(path + "/touched.json")
        try RunFolder.writeChecksums(in: folder, known: known)
        let sums = try Self.lines(path)
        #expect(sums["same.json"] == madeUp)
        #expect(sums["touched.json"] == (try Checksum.sha256Hex(fileAt: path + "/touched.json")))
    }
}
