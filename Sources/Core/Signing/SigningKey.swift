import Foundation

/// The key that signs run folders: an unencrypted Ed25519 key in OpenSSH's private key format, read from a file
/// the way the management key is (a regular file, read up to a bound, a warning when other users can read it).
///
/// Like the management key, it cannot be printed: `description` names the public half only. The key
/// material lives in swift-crypto's zero-on-free storage; the buffers that held the file are wiped after parsing.
public struct SigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let key: OpenSSHPrivateKey

    package init(_ key: OpenSSHPrivateKey) {
        self.key = key
    }

    /// OpenSSH private key files are about 400 bytes; anything past this is not one.
    static let readLimit = 16 * 1024

    /// Reads the signing key from `path` (`--signing-key`, or `KEYAUDIT_SIGNING_KEY_FILE`).
    ///
    /// - Parameter what: how messages name the file, e.g. `--signing-key`.
    /// - Returns: the key, and a warning to raise when other users can read or write the file (every user, or a
    ///   group keyaudit does not run as).
    /// - Throws: ``KeyAuditError/usage(_:)`` (64) when the file cannot be read or holds no usable key (encrypted,
    ///   not Ed25519, corrupt); the message names the file, never its contents.
    public static func load(
        path: String, what: String = "--signing-key"
    ) throws(KeyAuditError) -> (
        key: SigningKey, warning: String?
    ) {
        let descriptor = try InputFile.open(path, what: what, kind: .configuration)
        defer { close(descriptor) }
        var info = stat()
        _ = fstat(descriptor, &info)
        var bytes = [UInt8](repeating: 0, count: readLimit + 1)
        defer { Secret.wipe(&bytes) }
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { buffer in
                Foundation.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if read < 0 {
                if errno == EINTR { continue }
                throw .usage(
                    "cannot read \(what) \(Escaping.oneLine(path)): \(String(cString: strerror(errno))); check its permissions"
                )
            }
            if read == 0 { break }
            count += read
        }
        guard count <= readLimit else {
            throw .usage(
                "\(what) \(Escaping.oneLine(path)) is larger than \(readLimit / 1024) KiB; it is not an OpenSSH private key"
            )
        }
        let key: OpenSSHPrivateKey
        do {
            key = try OpenSSHPrivateKey(fileContents: bytes[0..<count])
        } catch {
            throw .usage("\(what) \(Escaping.oneLine(path)): \(error.message)")
        }
        let warning = SecretFileMode.warning(
            info, what: what, path: path, holds: "the signing key and sign runs as you")
        return (SigningKey(key), warning)
    }

    /// A new random key; `comment` goes into both files (e.g. `keyaudit@host`).
    public static func generate(comment: String) -> SigningKey {
        SigningKey(OpenSSHPrivateKey.generate(comment: comment))
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    public var fingerprint: String { key.publicKey.fingerprint }

    /// The `.pub` line: `ssh-ed25519 AAAA… comment`, newline-terminated.
    public var publicKeyLine: String { key.publicKeyLine }

    /// `ssh-ed25519 AAAA…`, the key fields of an allowed signers line.
    public var publicKeyText: String { key.publicKey.openSSHText }

    /// Names the public half only.
    public var description: String { "<signing key \(fingerprint): private part redacted>" }
    /// The same as `description`: the private part is never shown.
    public var debugDescription: String { description }

    /// The armored SSH signature (namespace `keyaudit`) of `message`, as `ssh-keygen -Y sign -n keyaudit` writes it.
    package func sign(_ message: [UInt8]) throws(KeyAuditError) -> String {
        do {
            return try SSHSignature.sign(message: message, namespace: RunSignature.namespace, key: key)
        } catch {
            throw .cannotWrite("cannot sign SHA256SUMS: \(error.message)")
        }
    }

    /// Writes the private key to `path` (mode 0600) and the public key to `path.pub` (0644), refusing to replace
    /// either file or to follow a symbolic link; if the second file cannot be written the first is removed.
    public func write(to path: String) throws(KeyAuditError) {
        let publicPath = path + ".pub"
        for file in [path, publicPath] {
            var info = stat()
            if lstat(file, &info) == 0 {
                throw .usage(
                    "\(Escaping.oneLine(file)) already exists; keyaudit keygen never replaces a key: choose another name or move it away"
                )
            }
        }
        var text = key.privateKeyFileBytes()
        defer { Secret.wipe(&text) }
        try FileSystem.createNew(path, mode: 0o600, bytes: text)
        do {
            try FileSystem.createNew(publicPath, mode: 0o644, bytes: Array(publicKeyLine.utf8))
        } catch {
            unlink(path)
            throw error
        }
    }
}

/// What keyaudit signs and how: SHA256SUMS of a run folder, as `SHA256SUMS.sig`, in the OpenSSH `sshsig` format
/// under the namespace `keyaudit`, so `ssh-keygen -Y verify -n keyaudit` checks it.
package enum RunSignature {
    package static let namespace = "keyaudit"
    package static let fileName = "SHA256SUMS.sig"
    /// An Ed25519 signature file is under 1 KiB.
    package static let readLimit = 64 * 1024

    /// What a signature file says about the SHA256SUMS beside it.
    package enum Check: Sendable, Equatable {
        /// Valid for this SHA256SUMS, made by `key`.
        case valid(SSHPublicKey)
        /// Present but not a valid signature of this SHA256SUMS; the message says why.
        case invalid(String)
    }

    /// Checks `signature` against `sums` cryptographically, with the key embedded in it (who that key belongs to
    /// is the allowed signers file's business).
    package static func check(signature: [UInt8], sums: [UInt8]) -> Check {
        do {
            let parsed = try SSHSignature(armored: String(decoding: signature, as: UTF8.self))
            return .valid(try parsed.verify(message: sums, namespace: namespace))
        } catch {
            return .invalid(error.message)
        }
    }
}
