/// The SSH wire encoding of RFC 4251 section 5 as used by PROTOCOL.key and PROTOCOL.sshsig: big-endian `uint32`,
/// and `string` = `uint32` length followed by that many bytes.
///
/// ``Reader`` treats every length it reads as hostile: a length is checked against the bytes that are actually left
/// before anything is sliced, nothing is ever allocated from a declared length, and every failure is a thrown
/// ``SigningError`` (built by the caller-supplied `fail` closure so that the same reader reports
/// `malformedSignature` or `malformedPrivateKey` as fits), never a trap.
enum SSHWire {
    /// A cursor over bytes that are already in memory. Slices it returns share the input's storage (no copies), so
    /// wiping the input also wipes everything read from it.
    struct Reader {
        private let bytes: ArraySlice<UInt8>
        private var position: Int
        private let fail: @Sendable (String) -> SigningError

        /// - Parameters:
        ///   - bytes: the encoded data; slices keep their indices, reading starts at `bytes.startIndex`.
        ///   - fail: turns a short description of what is wrong into the error to throw.
        init(_ bytes: ArraySlice<UInt8>, fail: @escaping @Sendable (String) -> SigningError) {
            self.bytes = bytes
            self.position = bytes.startIndex
            self.fail = fail
        }

        init(_ bytes: [UInt8], fail: @escaping @Sendable (String) -> SigningError) {
            self.init(bytes[...], fail: fail)
        }

        /// Bytes not yet read.
        var remainingCount: Int { bytes.endIndex - position }

        var isAtEnd: Bool { position == bytes.endIndex }

        /// The unread bytes, without consuming them.
        var remaining: ArraySlice<UInt8> { bytes[position...] }

        mutating func readUInt32(_ what: String) throws(SigningError) -> UInt32 {
            guard remainingCount >= 4 else {
                throw fail("truncated \(what)")
            }
            var value: UInt32 = 0
            for index in position..<(position + 4) {
                value = value << 8 | UInt32(bytes[index])
            }
            position += 4
            return value
        }

        /// Reads exactly `count` raw bytes (no length prefix).
        mutating func readBytes(count: Int, _ what: String) throws(SigningError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= remainingCount else {
                throw fail("truncated \(what)")
            }
            let slice = bytes[position..<(position + count)]
            position += count
            return slice
        }

        /// Reads a `string`: a `uint32` length, then that many bytes. A length larger than what is left throws
        /// before anything is allocated.
        mutating func readString(_ what: String) throws(SigningError) -> ArraySlice<UInt8> {
            let declared = try readUInt32("length of \(what)")
            // Compare as UInt64 so a length near UInt32.max never overflows Int on 32-bit platforms.
            guard UInt64(declared) <= UInt64(remainingCount) else {
                throw fail("\(what) claims \(declared) bytes but only \(remainingCount) are left")
            }
            return try readBytes(count: Int(declared), what)
        }

        /// Reads a `string` that must hold UTF-8 text.
        mutating func readText(_ what: String) throws(SigningError) -> String {
            let raw = try readString(what)
            // String(decoding:) repairs bad UTF-8; a round trip that changes the bytes means the input was invalid.
            let text = String(decoding: raw, as: UTF8.self)
            guard text.utf8.elementsEqual(raw) else {
                throw fail("\(what) is not UTF-8 text")
            }
            return text
        }

        /// Throws unless every byte has been read.
        func expectEnd(_ what: String) throws(SigningError) {
            guard isAtEnd else {
                throw fail("\(remainingCount) unexpected bytes after \(what)")
            }
        }
    }

    /// Appends SSH wire values to a growing byte array.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        init(capacity: Int = 0) {
            bytes.reserveCapacity(capacity)
        }

        mutating func writeUInt32(_ value: UInt32) {
            bytes.append(UInt8(truncatingIfNeeded: value >> 24))
            bytes.append(UInt8(truncatingIfNeeded: value >> 16))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
            bytes.append(UInt8(truncatingIfNeeded: value))
        }

        /// Appends bytes without a length prefix.
        mutating func writeRaw(_ raw: some Sequence<UInt8>) {
            bytes.append(contentsOf: raw)
        }

        /// Appends a `string`. Inputs here are produced by this module (keys, hashes, names), far below 4 GiB.
        mutating func writeString(_ raw: some Collection<UInt8>) {
            writeUInt32(UInt32(raw.count))
            bytes.append(contentsOf: raw)
        }

        mutating func writeString(_ text: String) {
            writeString(Array(text.utf8))
        }

        /// Overwrites the accumulated bytes with zeros (for buffers that held secrets) and empties the writer.
        mutating func wipe() {
            Secret.wipe(&bytes)
            bytes = []
        }
    }
}
