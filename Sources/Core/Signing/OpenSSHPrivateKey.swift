import Crypto
import Foundation

/// An unencrypted Ed25519 key in OpenSSH's own private key format (`openssh-key-v1`, PROTOCOL.key), the format
/// `ssh-keygen -t ed25519` writes.
///
/// The file is `-----BEGIN OPENSSH PRIVATE KEY-----`, base64 in lines of 70, `-----END OPENSSH PRIVATE KEY-----`,
/// each line ending in `\n`. Decoded:
///
///     "openssh-key-v1\0"  string ciphername  string kdfname  string kdfoptions  uint32 nkeys(=1)
///     string publickey-blob
///     string private-section:
///         uint32 checkint  uint32 checkint (equal; random per file)
///         string "ssh-ed25519"  string pk[32]  string seed[32] || pk[32]  string comment
///         padding 1, 2, 3, ... up to a multiple of the cipher block size (8 for "none")
///
/// The private seed never appears in `description`, `debugDescription` or a mirror (`dump`), and buffers that held
/// it while parsing or writing are wiped (see ``Secret``). The key itself lives in swift-crypto's `SecureBytes`,
/// which zeroes its memory when released.
///
/// `@unchecked Sendable`: swift-crypto 3.x does not mark `Curve25519.Signing.PrivateKey` as `Sendable`, but it is an
/// immutable value (a copy-on-write buffer that is never written after creation), and every stored property here is
/// a `let`, so sharing it between tasks is safe.
package struct OpenSSHPrivateKey: @unchecked Sendable {
    /// The matching public key.
    package let publicKey: SSHPublicKey
    /// The comment stored inside the key file (for ssh-keygen's keys, `user@host` unless `-C` was given).
    package let comment: String
    let signingKey: Curve25519.Signing.PrivateKey

    package static let beginMarker = "-----BEGIN OPENSSH PRIVATE KEY-----"
    package static let endMarker = "-----END OPENSSH PRIVATE KEY-----"
    static let magic = Array("openssh-key-v1\0".utf8)
    /// The cipher block size that pads the private section; 8 for cipher "none".
    static let blockSize = 8
    /// Private key files are a few hundred bytes; anything bigger than this is refused before decoding.
    package static let maximumFileSize = 64 * 1024

    private init(signingKey: Curve25519.Signing.PrivateKey, comment: String) {
        self.signingKey = signingKey
        self.comment = comment
        // A CryptoKit public key is always 32 bytes.
        self.publicKey = SSHPublicKey(ed25519Key: signingKey.publicKey)
    }

    /// Creates a new random Ed25519 key. Line breaks in `comment` become spaces so the `.pub` line stays one line.
    package static func generate(comment: String) -> OpenSSHPrivateKey {
        let oneLine = String(comment.map { $0.isNewline ? " " : $0 })
        return OpenSSHPrivateKey(signingKey: Curve25519.Signing.PrivateKey(), comment: oneLine)
    }

    // MARK: Parsing

    /// Parses the text of a private key file.
    package init(fileText: String) throws(SigningError) {
        guard fileText.utf8.count <= Self.maximumFileSize else {
            throw .malformedPrivateKey(reason: "the file is \(fileText.utf8.count) bytes, too large for a key")
        }
        var bytes = Array(fileText.utf8)
        defer { Secret.wipe(&bytes) }
        try self.init(fileContents: bytes)
    }

    /// Parses the bytes of a private key file. The caller's buffer is not modified; wipe it after use.
    package init(fileContents: some Collection<UInt8>) throws(SigningError) {
        guard fileContents.count <= Self.maximumFileSize else {
            throw .malformedPrivateKey(reason: "the file is \(fileContents.count) bytes, too large for a key")
        }
        var blob = try Self.dearmor(fileContents)
        defer { Secret.wipe(&blob) }
        try self.init(decoded: blob)
    }

    /// Extracts and decodes the base64 body between the markers.
    private static func dearmor(_ fileContents: some Collection<UInt8>) throws(SigningError) -> [UInt8] {
        let begin = Array(beginMarker.utf8)
        let end = Array(endMarker.utf8)
        let bytes = fileContents.drop(while: Self.isWhitespace)
        guard bytes.starts(with: begin) else {
            throw .notAnOpenSSHPrivateKey
        }
        let body = bytes.dropFirst(begin.count)
        guard let endStart = Self.firstIndex(of: end, in: body) else {
            throw .malformedPrivateKey(reason: "missing '\(endMarker)' line")
        }
        let trailer = body[body.index(endStart, offsetBy: end.count)...]
        guard trailer.allSatisfy(Self.isWhitespace) else {
            throw .malformedPrivateKey(reason: "unexpected text after '\(endMarker)'")
        }
        guard let decoded = SSHBase64.decode(body[..<endStart], allowWhitespace: true) else {
            throw .malformedPrivateKey(reason: "the key body is not valid base64")
        }
        return decoded
    }

    /// Parses the decoded `openssh-key-v1` structure.
    private init(decoded blob: [UInt8]) throws(SigningError) {
        var reader = SSHWire.Reader(blob) { .malformedPrivateKey(reason: $0) }
        guard try reader.readBytes(count: Self.magic.count, "magic").elementsEqual(Self.magic) else {
            throw .malformedPrivateKey(reason: "not an openssh-key-v1 key")
        }
        let cipher = try reader.readText("cipher name")
        let kdf = try reader.readText("kdf name")
        _ = try reader.readString("kdf options")
        guard cipher == "none", kdf == "none" else {
            throw .encryptedPrivateKey(cipher: cipher, kdf: kdf)
        }
        let keyCount = try reader.readUInt32("number of keys")
        guard keyCount == 1 else {
            throw .malformedPrivateKey(reason: "the file holds \(keyCount) keys, expected 1")
        }
        let outerPublic = try SSHPublicKey(wireBlob: reader.readString("public key"))
        guard outerPublic.keyType == SSHPublicKey.ed25519KeyType else {
            throw .unsupportedKeyType(outerPublic.keyType)
        }
        let section = try reader.readString("private section")
        try reader.expectEnd("the private section")
        guard section.count >= Self.blockSize, section.count % Self.blockSize == 0 else {
            throw .malformedPrivateKey(reason: "the private section is not a multiple of \(Self.blockSize) bytes")
        }

        var inner = SSHWire.Reader(section) { .malformedPrivateKey(reason: $0) }
        let check1 = try inner.readUInt32("check number")
        let check2 = try inner.readUInt32("check number")
        guard check1 == check2 else {
            throw .privateKeyCheckMismatch
        }
        let type = try inner.readText("key type")
        guard type == SSHPublicKey.ed25519KeyType else {
            throw .unsupportedKeyType(type)
        }
        let publicBytes = try inner.readString("Ed25519 public key")
        let secretBytes = try inner.readString("Ed25519 private key")
        guard publicBytes.count == 32, secretBytes.count == 64 else {
            throw .malformedPrivateKey(reason: "Ed25519 key fields have the wrong length")
        }
        // OpenSSH stores the 64-byte "secret key" of the reference implementation: seed || public key.
        guard secretBytes.suffix(32).elementsEqual(publicBytes),
            outerPublic.ed25519RawKey?.elementsEqual(publicBytes) == true
        else {
            throw .malformedPrivateKey(reason: "the public and private halves do not match")
        }
        let key: Curve25519.Signing.PrivateKey
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: secretBytes.prefix(32))
        } catch {
            throw .malformedPrivateKey(reason: "the Ed25519 seed is invalid")
        }
        guard key.publicKey.rawRepresentation.elementsEqual(publicBytes) else {
            throw .malformedPrivateKey(reason: "the public key does not belong to the private key")
        }
        let commentBytes = try inner.readString("comment")
        let padding = inner.remaining
        guard padding.count < Self.blockSize,
            padding.enumerated().allSatisfy({ UInt8($0.offset + 1) == $0.element })
        else {
            throw .malformedPrivateKey(reason: "bad padding after the comment")
        }
        self.signingKey = key
        self.publicKey = outerPublic
        // Comments are free text; repair rather than reject invalid UTF-8.
        self.comment = String(decoding: commentBytes, as: UTF8.self)
    }

    // MARK: Writing

    /// The private key file, byte-for-byte as `ssh-keygen -t ed25519 -N ''` lays it out, with a fresh random
    /// check number. Write it with permissions 0600: ssh-keygen refuses keys that others can read.
    package var privateKeyFileText: String {
        var generator = SystemRandomNumberGenerator()
        return privateKeyFileText(checkNumber: UInt32.random(in: .min ... .max, using: &generator))
    }

    /// The same file as bytes, with a fresh random check number: written without a `String` copy that could not
    /// be wiped. The caller wipes the result.
    package func privateKeyFileBytes() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return privateKeyFileBytes(checkNumber: UInt32.random(in: .min ... .max, using: &generator))
    }

    /// The private key file with a given check number (tests use it to reproduce ssh-keygen's output exactly).
    func privateKeyFileText(checkNumber: UInt32) -> String {
        var text = privateKeyFileBytes(checkNumber: checkNumber)
        defer { Secret.wipe(&text) }
        return String(decoding: text, as: UTF8.self)
    }

    private func privateKeyFileBytes(checkNumber: UInt32) -> [UInt8] {
        let rawPublic = publicKey.ed25519RawKey ?? []
        let commentBytes = Array(comment.utf8)

        var secret = [UInt8]()
        secret.reserveCapacity(64)
        // swift-crypto's `rawRepresentation` is a `Data` that *shares* the key's own zero-on-free storage (made with
        // `bytesNoCopy`), so it is not a copy to wipe: zeroing it would zero the live key itself.
        secret.append(contentsOf: signingKey.rawRepresentation)
        secret.append(contentsOf: rawPublic)
        defer { Secret.wipe(&secret) }

        let unpadded = 8 + (4 + 11) + (4 + 32) + (4 + 64) + (4 + commentBytes.count)
        var section = SSHWire.Writer(capacity: unpadded + Self.blockSize)
        defer { section.wipe() }
        section.writeUInt32(checkNumber)
        section.writeUInt32(checkNumber)
        section.writeString(SSHPublicKey.ed25519KeyType)
        section.writeString(rawPublic)
        section.writeString(secret)
        section.writeString(commentBytes)
        var pad: UInt8 = 1
        while section.bytes.count % Self.blockSize != 0 {
            section.writeRaw(CollectionOfOne(pad))
            pad += 1
        }

        var outer = SSHWire.Writer(capacity: Self.magic.count + 40 + publicKey.wireBlob.count + section.bytes.count)
        defer { outer.wipe() }
        outer.writeRaw(Self.magic)
        outer.writeString("none")
        outer.writeString("none")
        outer.writeString([UInt8]())
        outer.writeUInt32(1)
        outer.writeString(publicKey.wireBlob)
        outer.writeString(section.bytes)

        var body = SSHBase64.encodeWrapped(outer.bytes)
        defer { Secret.wipe(&body) }
        var file = [UInt8]()
        file.reserveCapacity(body.count + Self.beginMarker.utf8.count + Self.endMarker.utf8.count + 2)
        file.append(contentsOf: Self.beginMarker.utf8)
        file.append(UInt8(ascii: "\n"))
        file.append(contentsOf: body)
        file.append(contentsOf: Self.endMarker.utf8)
        file.append(UInt8(ascii: "\n"))
        return file
    }

    /// The `.pub` file line as `ssh-keygen -t ed25519` writes it: `ssh-ed25519 AAAA… comment` and a newline.
    /// Like ssh-keygen, the space before the comment is written even when the comment is empty (`ssh-keygen -y`,
    /// in contrast, leaves it out).
    package var publicKeyLine: String {
        publicKey.openSSHText + " " + comment + "\n"
    }

    // MARK: Signing

    /// An Ed25519 signature over `data`.
    func ed25519Signature(for data: [UInt8]) throws(SigningError) -> [UInt8] {
        do {
            return Array(try signingKey.signature(for: data))
        } catch {
            throw .signingFailed
        }
    }

    // MARK: Helpers

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }

    /// The index where `needle` first occurs in `haystack`.
    static func firstIndex<C: Collection>(of needle: [UInt8], in haystack: C) -> C.Index?
    where C.Element == UInt8 {
        var index = haystack.startIndex
        while index != haystack.endIndex {
            if haystack[index...].starts(with: needle) {
                return index
            }
            index = haystack.index(after: index)
        }
        return nil
    }
}

extension OpenSSHPrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the key by its public half; the private key is never printed.
    package var description: String {
        "OpenSSHPrivateKey(\(publicKey), comment: \"\(SigningError.clean(comment))\", private key: <redacted>)"
    }

    package var debugDescription: String { description }

    /// Keeps `dump()` and debuggers' structural printing from reaching the private key.
    package var customMirror: Mirror {
        Mirror(self, children: ["publicKey": publicKey, "comment": comment, "privateKey": "<redacted>"])
    }
}
