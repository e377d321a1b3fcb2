import Crypto
import Foundation

/// SHA-256 as lower-case hex: snapshot identities, the `previous` chain and SHA256SUMS.
package enum Checksum {
    package static func sha256Hex(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Hashes a file in 1 MiB chunks (reports can be large). The file is opened without blocking and must be a
    /// regular file: a FIFO planted in a run folder is refused, not waited on.
    package static func sha256Hex(fileAt path: String) throws(KeyAuditError) -> String {
        let descriptor = try InputFile.open(path, what: "file", kind: .data)
        defer { close(descriptor) }
        guard let sum = sha256Hex(readingFrom: descriptor) else {
            throw .malformedData(
                "cannot read \(Escaping.oneLine(path)) to checksum it: \(String(cString: strerror(errno)))")
        }
        return sum
    }

    /// SHA-256 of what is left to read from `descriptor` (open for reading; the caller closes it); nil when a
    /// read fails (`errno` says why).
    package static func sha256Hex(readingFrom descriptor: Int32) -> String? {
        var stream = Stream()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return stream.finalize() }
            chunk.withUnsafeBytes { stream.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// SHA-256 fed in pieces, for files written in chunks.
    package struct Stream {
        private var hasher = SHA256()
        package init() {}
        package mutating func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }
        package mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
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
