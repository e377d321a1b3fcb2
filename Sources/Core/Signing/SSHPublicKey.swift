import Crypto

/// An SSH public key as it appears on the wire: the key blob `string keytype, ...` of RFC 4253 section 6.6.
///
/// Any key type can be held (allowed signers files may list RSA or ECDSA keys, which are kept only so they can be
/// compared); only `ssh-ed25519` keys, whose blob is `string "ssh-ed25519", string key[32]`, can verify signatures.
/// Two keys are equal when their blobs are byte-for-byte equal, as in OpenSSH's `sshkey_equal` for plain keys.
package struct SSHPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The key type name, e.g. `ssh-ed25519`.
    package let keyType: String
    /// The complete wire blob, which is also what the base64 field of a `.pub` line encodes.
    package let wireBlob: [UInt8]

    package static let ed25519KeyType = "ssh-ed25519"

    /// Wraps a raw 32-byte Ed25519 public key.
    package init(ed25519 rawKey: some Collection<UInt8>) throws(SigningError) {
        guard rawKey.count == 32 else {
            throw .malformedPublicKey(reason: "an Ed25519 key has 32 bytes, not \(rawKey.count)")
        }
        var writer = SSHWire.Writer(capacity: 51)
        writer.writeString(Self.ed25519KeyType)
        writer.writeString(Array(rawKey))
        self.keyType = Self.ed25519KeyType
        self.wireBlob = writer.bytes
    }

    /// The public half of a swift-crypto key (always 32 bytes, so this cannot fail).
    init(ed25519Key key: Curve25519.Signing.PublicKey) {
        var writer = SSHWire.Writer(capacity: 51)
        writer.writeString(Self.ed25519KeyType)
        writer.writeString(Array(key.rawRepresentation))
        self.keyType = Self.ed25519KeyType
        self.wireBlob = writer.bytes
    }

    /// Parses a wire blob. The type name is read for any type; an `ssh-ed25519` blob must also hold exactly a
    /// 32-byte key and nothing after it. Blobs of other types are otherwise taken as opaque bytes.
    package init(wireBlob: some Collection<UInt8>) throws(SigningError) {
        let blob = Array(wireBlob)
        var reader = SSHWire.Reader(blob) { .malformedPublicKey(reason: $0) }
        let type = try reader.readText("key type")
        guard !type.isEmpty else {
            throw .malformedPublicKey(reason: "empty key type")
        }
        if type == Self.ed25519KeyType {
            let key = try reader.readString("Ed25519 key")
            guard key.count == 32 else {
                throw .malformedPublicKey(reason: "an Ed25519 key has 32 bytes, not \(key.count)")
            }
            try reader.expectEnd("the Ed25519 key")
        }
        self.keyType = type
        self.wireBlob = blob
    }

    /// Parses the `keytype base64 [comment]` text of a `.pub` file or an `authorized_keys`-style line (without
    /// options). The type named in the text must equal the type inside the blob.
    package init(openSSHText text: String) throws(SigningError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard fields.count >= 2 else {
            throw .malformedPublicKey(reason: "expected 'keytype base64-key [comment]'")
        }
        try self.init(keyType: String(fields[0]), base64: fields[1].utf8)
    }

    /// Decodes a base64 blob and checks it declares `keyType`.
    init(keyType: String, base64: some Collection<UInt8>) throws(SigningError) {
        guard let blob = SSHBase64.decode(base64) else {
            throw .malformedPublicKey(reason: "the key is not valid base64")
        }
        try self.init(wireBlob: blob)
        guard self.keyType == keyType else {
            throw .malformedPublicKey(
                reason: "the text says \(SigningError.clean(keyType)) but the key inside is "
                    + SigningError.clean(self.keyType)
            )
        }
    }

    /// The raw 32 public key bytes for `ssh-ed25519`, nil for other types.
    package var ed25519RawKey: [UInt8]? {
        guard keyType == Self.ed25519KeyType else {
            return nil
        }
        return Array(wireBlob.suffix(32))
    }

    /// The fingerprint as `ssh-keygen -l` prints it by default: `SHA256:` and the unpadded base64 of the SHA-256 of
    /// the wire blob.
    package var fingerprint: String {
        let digest = SHA256.hash(data: wireBlob)
        var text = SSHBase64.encodeToString(Array(digest))
        while text.hasSuffix("=") {
            text.removeLast()
        }
        return "SHA256:" + text
    }

    /// `keytype base64`, the first two fields of a `.pub` line or an allowed signers entry.
    package var openSSHText: String {
        keyType + " " + SSHBase64.encodeToString(wireBlob)
    }

    package var description: String {
        "\(keyType) \(fingerprint)"
    }

    /// The CryptoKit key, for Ed25519 keys.
    func ed25519VerifyingKey() throws(SigningError) -> Curve25519.Signing.PublicKey {
        guard let raw = ed25519RawKey else {
            throw .unsupportedKeyType(keyType)
        }
        do {
            return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw .malformedPublicKey(reason: "not a valid Ed25519 key")
        }
    }
}
