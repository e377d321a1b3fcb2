import Crypto
import Foundation

/// An SSH signature (PROTOCOL.sshsig), the format of `ssh-keygen -Y sign`: creation, parsing and verification.
///
/// The armored file is `-----BEGIN SSH SIGNATURE-----`, base64 in lines of 70, `-----END SSH SIGNATURE-----`, each
/// line ending in `\n`. Decoded:
///
///     "SSHSIG"  uint32 version(=1)  string publickey  string namespace  string reserved(empty)
///     string hash_algorithm  string signature(= string "ssh-ed25519", string sig[64])
///
/// What is signed is not the message but `"SSHSIG" string namespace string reserved string hash_algorithm
/// string H(message)`, so a signature is bound to its namespace and cannot be replayed as an SSH login signature.
/// As ssh-keygen does, verification rebuilds that data with an *empty* reserved field, whatever the file holds.
package struct SSHSignature: Sendable {
    /// The signer's key, as embedded in the signature.
    package let publicKey: SSHPublicKey
    /// The namespace the signature was made for.
    package let namespace: String
    /// `sha512` (what ssh-keygen and ``sign(message:namespace:key:)`` write) or `sha256`.
    package let hashAlgorithm: String
    /// The inner signature blob: `string "ssh-ed25519", string sig[64]`.
    package let signatureBlob: [UInt8]

    package static let beginMarker = "-----BEGIN SSH SIGNATURE-----"
    package static let endMarker = "-----END SSH SIGNATURE-----"
    static let magic = Array("SSHSIG".utf8)
    static let version: UInt32 = 1
    /// Hash algorithms accepted when verifying (the same as OpenSSH's).
    package static let supportedHashAlgorithms = ["sha256", "sha512"]
    /// An Ed25519 signature file is under 1 KiB; anything bigger than this is refused before decoding.
    package static let maximumArmoredSize = 64 * 1024

    // MARK: Signing

    /// Signs `message` with `key` for `namespace` and returns the armored signature, byte-for-byte as
    /// `ssh-keygen -Y sign -n namespace` writes it, ending with a newline. (Ed25519 as implemented by BoringSSL is
    /// deterministic, so on Linux the output is even identical to ssh-keygen's for the same key and message.)
    package static func sign(
        message: some DataProtocol,
        namespace: String,
        key: OpenSSHPrivateKey
    ) throws(SigningError) -> String {
        guard !namespace.isEmpty else {
            throw .emptyNamespace
        }
        let hashAlgorithm = "sha512"
        let digest = Array(SHA512.hash(data: message))
        let toSign = signedData(namespace: namespace, hashAlgorithm: hashAlgorithm, digest: digest)
        let rawSignature = try key.ed25519Signature(for: toSign)

        var inner = SSHWire.Writer(capacity: 83)
        inner.writeString(SSHPublicKey.ed25519KeyType)
        inner.writeString(rawSignature)
        let signature = SSHSignature(
            publicKey: key.publicKey,
            namespace: namespace,
            hashAlgorithm: hashAlgorithm,
            signatureBlob: inner.bytes
        )
        return signature.armored
    }

    /// The data that is actually signed (PROTOCOL.sshsig): the magic preamble *without* a length prefix, then the
    /// namespace, an empty reserved string, the hash algorithm name and the message digest, each as a `string`.
    static func signedData(namespace: String, hashAlgorithm: String, digest: [UInt8]) -> [UInt8] {
        var writer = SSHWire.Writer()
        writer.writeRaw(magic)
        writer.writeString(namespace)
        writer.writeString([UInt8]())
        writer.writeString(hashAlgorithm)
        writer.writeString(digest)
        return writer.bytes
    }

    private init(publicKey: SSHPublicKey, namespace: String, hashAlgorithm: String, signatureBlob: [UInt8]) {
        self.publicKey = publicKey
        self.namespace = namespace
        self.hashAlgorithm = hashAlgorithm
        self.signatureBlob = signatureBlob
    }

    /// The binary signature (before armoring).
    package var wireBytes: [UInt8] {
        var writer = SSHWire.Writer()
        writer.writeRaw(Self.magic)
        writer.writeUInt32(Self.version)
        writer.writeString(publicKey.wireBlob)
        writer.writeString(namespace)
        writer.writeString([UInt8]())
        writer.writeString(hashAlgorithm)
        writer.writeString(signatureBlob)
        return writer.bytes
    }

    /// The armored text, ending with a newline.
    package var armored: String {
        Self.beginMarker + "\n" + String(decoding: SSHBase64.encodeWrapped(wireBytes), as: UTF8.self)
            + Self.endMarker + "\n"
    }

    // MARK: Parsing

    /// Parses an armored signature without verifying it. Leading and trailing whitespace and `\r\n` line ends are
    /// accepted; anything else outside the markers is not.
    package init(armored text: String) throws(SigningError) {
        guard text.utf8.count <= Self.maximumArmoredSize else {
            throw .malformedSignature(reason: "the file is \(text.utf8.count) bytes, too large for a signature")
        }
        let bytes = Array(text.utf8)
        let begin = Array(Self.beginMarker.utf8)
        let end = Array(Self.endMarker.utf8)
        let trimmed = bytes.drop(while: Self.isWhitespace)
        guard trimmed.starts(with: begin) else {
            throw .notAnSSHSignature
        }
        let body = trimmed.dropFirst(begin.count)
        guard let endStart = OpenSSHPrivateKey.firstIndex(of: end, in: body) else {
            throw .malformedSignature(reason: "missing '\(Self.endMarker)' line")
        }
        guard body[(endStart + end.count)...].allSatisfy(Self.isWhitespace) else {
            throw .malformedSignature(reason: "unexpected text after '\(Self.endMarker)'")
        }
        guard let decoded = SSHBase64.decode(body[..<endStart], allowWhitespace: true) else {
            throw .malformedSignature(reason: "the signature body is not valid base64")
        }
        try self.init(wireBytes: decoded)
    }

    /// Parses a binary (unarmored) signature without verifying it.
    package init(wireBytes: [UInt8]) throws(SigningError) {
        var reader = SSHWire.Reader(wireBytes) { .malformedSignature(reason: $0) }
        guard try reader.readBytes(count: Self.magic.count, "magic").elementsEqual(Self.magic) else {
            throw .malformedSignature(reason: "missing SSHSIG preamble")
        }
        let version = try reader.readUInt32("version")
        guard version == Self.version else {
            throw .unsupportedSignatureVersion(version)
        }
        let keyBlob = try reader.readString("public key")
        let namespace = try reader.readText("namespace")
        _ = try reader.readString("reserved field")
        let hashAlgorithm = try reader.readText("hash algorithm")
        let signatureBlob = try reader.readString("signature")
        try reader.expectEnd("the signature")

        let publicKey: SSHPublicKey
        do {
            publicKey = try SSHPublicKey(wireBlob: keyBlob)
        } catch {
            if case .malformedPublicKey(let reason) = error {
                throw .malformedSignature(reason: "embedded public key: \(reason)")
            }
            throw error
        }
        self.init(
            publicKey: publicKey,
            namespace: namespace,
            hashAlgorithm: hashAlgorithm,
            signatureBlob: Array(signatureBlob)
        )
    }

    // MARK: Verification

    /// Verifies `message` against this signature for `namespace`, and returns the signer's key.
    ///
    /// This proves only that the holder of the returned key signed the message; whether that key is trusted is
    /// for the caller to decide, e.g. with ``AllowedSigners``.
    /// Verifies `message` against this signature for `namespace`, and returns the signer's key.
    ///
    /// This proves only that the holder of the returned key signed the message; whether that key is trusted is
    /// for the caller to decide, e.g. with ``AllowedSigners``.
    @discardableResult
    package func verify(message: some DataProtocol, namespace expected: String) throws(SigningError) -> SSHPublicKey {
        guard !expected.isEmpty else {
            throw .emptyNamespace
        }
        guard namespace == expected else {
            throw .namespaceMismatch(expected: expected, found: namespace)
        }
        let digest: [UInt8]
        switch hashAlgorithm {
        case "sha512":
            digest = Array(SHA512.hash(data: message))
        case "sha256":
            digest = Array(SHA256.hash(data: message))
        default:
            throw .unsupportedHashAlgorithm(hashAlgorithm)
        }
        guard publicKey.keyType == SSHPublicKey.ed25519KeyType else {
            throw .unsupportedKeyType(publicKey.keyType)
        }
        var reader = SSHWire.Reader(signatureBlob) { .malformedSignature(reason: $0) }
        let signatureType = try reader.readText("signature type")
        guard signatureType == SSHPublicKey.ed25519KeyType else {
            throw .malformedSignature(reason: "a \(SigningError.clean(signatureType)) signature from an Ed25519 key")
        }
        let rawSignature = try reader.readString("Ed25519 signature")
        try reader.expectEnd("the Ed25519 signature")
        guard rawSignature.count == 64 else {
            throw .malformedSignature(reason: "an Ed25519 signature has 64 bytes, not \(rawSignature.count)")
        }
        let verifyingKey = try publicKey.ed25519VerifyingKey()
        let data = Self.signedData(namespace: namespace, hashAlgorithm: hashAlgorithm, digest: digest)
        guard verifyingKey.isValidSignature(rawSignature, for: data) else {
            throw .signatureMismatch
        }
        return publicKey
    }

    /// Parses `armored` and verifies `message` against it for `namespace`; returns the signer's key.
    @discardableResult
    package static func verify(
        armored: String,
        message: some DataProtocol,
        namespace: String
    ) throws(SigningError) -> SSHPublicKey {
        try SSHSignature(armored: armored).verify(message: message, namespace: namespace)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }
}
