import Foundation
import KeyAuditCore

/// The management key, wrapped so that it cannot be printed, logged or interpolated by accident.
///
/// Its `description` is a fixed placeholder; the secret is only reachable through
/// `authorizationHeaderValue`, which the HTTP layer puts on the wire and nowhere else.
public struct ManagementKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let secret: String

    /// Wraps the key's text, trimmed of surrounding whitespace and newlines.
    ///
    /// - Throws: ``KeyAuditError/keyRejected(_:)`` when it is empty, ``KeyAuditError/usage(_:)`` when it holds
    ///   spaces, control or non-ASCII characters (it could not go into a header).
    public init(_ secret: String) throws(KeyAuditError) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw .keyRejected(
                "the management key is empty: put the key in OPENROUTER_MANAGEMENT_KEY or in the file given to --key-file"
            )
        }
        // A header value cannot hold control characters or spaces; refusing them also stops header injection.
        guard trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .usage(
                "the management key contains spaces, line breaks or non-ASCII characters: the key file must hold the key alone"
            )
        }
        // Redaction recognises a secret of 8 bytes or more (a shorter one would hide ordinary words): a key
        // shorter than that could be echoed by the API into an error message unredacted. OpenRouter's are ~70.
        guard trimmed.utf8.count >= 8 else {
            throw .keyRejected(
                "the management key is \(trimmed.utf8.count) characters long, too short to be one (OpenRouter's start sk-or-v1- and are about 70); check OPENROUTER_MANAGEMENT_KEY or --key-file"
            )
        }
        self.secret = trimmed
        // From here on no string leaving the process can carry it (see Redaction).
        Redaction.register(secret: trimmed)
    }

    public var description: String { "<management key: redacted>" }
    public var debugDescription: String { description }

    /// `Bearer <key>`: for the Authorization header only.
    var authorizationHeaderValue: String { "Bearer " + secret }

    /// Whether `text` contains the secret (used to prove that nothing written leaks it).
    package func occurs(in text: String) -> Bool { text.contains(secret) }

    /// Where the key was found, for messages that must not contain the key itself.
    public enum Origin: Sendable, Equatable {
        case environment
        case file(String)
    }

    /// The most a key file may hold: a key is under 100 bytes, so anything near this is not a key file.
    static let maximumKeyFileBytes = 4096

    /// Loads the key from `--key-file` when given, otherwise from `OPENROUTER_MANAGEMENT_KEY`.
    ///
    /// The key file is opened without blocking and must be a regular file (a FIFO would hang the run) of at most
    /// 4 KiB (a 2 GB file is refused after 4 KiB, not read whole).
    ///
    /// - Returns: the key and a warning to print when users other than the file's owner can read or change it.
    public static func load(
        keyFile: String?,
        environment: [String: String]
    ) throws(KeyAuditError) -> (key: ManagementKey, warning: String?) {
        if let keyFile {
            let shown = Escaping.oneLine(keyFile)
            let (bytes, status) = try InputFile.readWithStatus(
                keyFile, what: "--key-file", limit: maximumKeyFileBytes)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .usage("--key-file \(shown) is not UTF-8 text; it must hold the key alone")
            }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .keyRejected("--key-file \(shown) is empty: write the management key into it")
            }
            let key = try ManagementKey(text)
            return (
                key,
                SecretFileMode.warning(status, what: "--key-file", path: keyFile, holds: "the management key")
            )
        }
        guard let value = environment["OPENROUTER_MANAGEMENT_KEY"],
            !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw .keyRejected(
                "no management key: set OPENROUTER_MANAGEMENT_KEY or pass --key-file PATH (create a management key at openrouter.ai/settings/management-keys)"
            )
        }
        return (try ManagementKey(value), nil)
    }
}
