import Crypto
import Foundation

/// SHA-256 as lower-case hex: snapshot identities, the `previous` chain and SHA256SUMS.
package enum Checksum {
    package static func sha256Hex(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Hashes a file in 1 MiB chunks (reports can be large).
    package static func sha256Hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KeyAuditError.malformedData("cannot read \(path) to checksum it")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    /// SHA-256 fed in pieces, for files written in chunks.
    package struct Stream {
        private var hasher = SHA256()
        package init() {}
        package mutating func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }
        mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
        package func finalize() -> String { Checksum.hex(hasher.finalize()) }
    }

    fileprivate static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
