import Foundation

/// Every failure the SSHSig module reports.
///
/// Each case has a one-line, user-facing ``message`` naming the cause and the fix. Messages never contain private
/// key material: the only strings they echo come from public inputs (namespaces, key type names, option names),
/// and those are shortened and stripped of control characters first, so a hostile file cannot flood or garble a
/// terminal.
package enum SigningError: Error, Equatable, Sendable {
    // MARK: Private key files

    /// The private key file is not PEM-style armored with `-----BEGIN OPENSSH PRIVATE KEY-----`.
    case notAnOpenSSHPrivateKey
    /// The private key is protected by a passphrase (`cipher` / `kdf` are not `none`).
    case encryptedPrivateKey(cipher: String, kdf: String)
    /// The private key file is armored correctly but its contents are malformed.
    case malformedPrivateKey(reason: String)
    /// The two check integers of an unencrypted key differ: the file is corrupt.
    case privateKeyCheckMismatch

    // MARK: Keys in general

    /// A key of a type other than `ssh-ed25519` was offered for signing or verification.
    case unsupportedKeyType(String)
    /// A public key (wire blob or `type base64` text) is malformed.
    case malformedPublicKey(reason: String)

    // MARK: Signatures

    /// The text is not armored between `-----BEGIN SSH SIGNATURE-----` and `-----END SSH SIGNATURE-----`.
    case notAnSSHSignature
    /// The signature is armored correctly but its binary contents are malformed.
    case malformedSignature(reason: String)
    /// The signature's format version is not 1.
    case unsupportedSignatureVersion(UInt32)
    /// The signature was made for another namespace than the one the verifier expects.
    case namespaceMismatch(expected: String, found: String)
    /// The signature uses a hash algorithm other than `sha256` / `sha512` (or signing was asked for one).
    case unsupportedHashAlgorithm(String)
    /// A namespace given for signing or verification is empty.
    case emptyNamespace
    /// The cryptographic check failed: the message or the signature was altered.
    case signatureMismatch
    /// The cryptographic library refused to produce a signature.
    case signingFailed

    // MARK: Allowed signers files

    /// The allowed signers file exceeds ``AllowedSigners/maximumFileSize``.
    case allowedSignersTooLarge(size: Int, limit: Int)
    /// A line of the allowed signers file is malformed (line numbers start at 1).
    case allowedSignersSyntax(line: Int, reason: String)

    /// One line, user-facing: what went wrong and how to fix it.
    package var message: String {
        switch self {
        case .notAnOpenSSHPrivateKey:
            return "the signing key is not an OpenSSH private key (no '-----BEGIN OPENSSH PRIVATE KEY-----' block); "
                + "create one with `keyaudit keygen FILE` (or ssh-keygen -t ed25519 -N '' -f FILE)"
        case .encryptedPrivateKey(let cipher, let kdf):
            return "the signing key is encrypted (cipher \(Self.clean(cipher)), kdf \(Self.clean(kdf))); "
                + "an unencrypted key is needed; remove the passphrase with: ssh-keygen -p -N '' -f FILE"
        case .malformedPrivateKey(let reason):
            return "the signing key file is corrupt (\(reason)); restore it from a backup or create a new one with "
                + "ssh-keygen -t ed25519 -N '' -f FILE"
        case .privateKeyCheckMismatch:
            return "the signing key file is corrupt (its two check numbers differ); restore it from a backup or "
                + "create a new one with ssh-keygen -t ed25519 -N '' -f FILE"
        case .unsupportedKeyType(let type):
            return "key type \(Self.clean(type)) is not supported, only ssh-ed25519 is; "
                + "create an Ed25519 key with ssh-keygen -t ed25519 -N '' -f FILE"
        case .malformedPublicKey(let reason):
            return "the public key is malformed (\(reason)); copy it again from the signer's .pub file"
        case .notAnSSHSignature:
            return "the signature file is not an SSH signature (no '-----BEGIN SSH SIGNATURE-----' block); "
                + "sign the file again"
        case .malformedSignature(let reason):
            return "the signature file is corrupt (\(reason)); sign the file again"
        case .unsupportedSignatureVersion(let version):
            return "the signature uses format version \(version), only version 1 is supported; "
                + "sign the file again with an up-to-date signer"
        case .namespaceMismatch(let expected, let found):
            return "the signature was made for namespace \"\(Self.clean(found))\", not \"\(Self.clean(expected))\"; "
                + "sign the file again with -n \(Self.clean(expected))"
        case .unsupportedHashAlgorithm(let name):
            return "the signature uses hash algorithm \"\(Self.clean(name))\", only sha256 and sha512 are supported; "
                + "sign the file again"
        case .emptyNamespace:
            return "the signature namespace is empty; pass a namespace such as the tool's name"
        case .signatureMismatch:
            return "the signature does not match the file: the file or the signature was changed after signing; "
                + "restore the original file or sign it again"
        case .signingFailed:
            return "the signing key could not produce a signature; create a new key with "
                + "ssh-keygen -t ed25519 -N '' -f FILE"
        case .allowedSignersTooLarge(let size, let limit):
            return "the allowed signers file is \(size) bytes, more than the \(limit) allowed; "
                + "keep only the signers you trust in it"
        case .allowedSignersSyntax(let line, let reason):
            return "allowed signers line \(line): \(reason); "
                + "fix it to read 'principals [options] ssh-ed25519 AAAA...' (see ALLOWED SIGNERS in ssh-keygen(1))"
        }
    }

    /// Makes text that came from a file safe to echo on one terminal line: control characters become `?` and long
    /// text is shortened with an ellipsis.
    static func clean(_ text: String, limit: Int = 64) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            let isControl = scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)
            out.unicodeScalars.append(isControl ? "?" : scalar)
        }
        if text.unicodeScalars.count > limit {
            out += "…"
        }
        return out
    }
}

extension SigningError: CustomStringConvertible {
    package var description: String { message }
}

extension SigningError: LocalizedError {
    package var errorDescription: String? { message }
}
