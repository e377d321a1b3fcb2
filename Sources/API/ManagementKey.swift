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
        self.secret = trimmed
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

    /// Loads the key from `--key-file` when given, otherwise from `OPENROUTER_MANAGEMENT_KEY`.
    ///
    /// - Returns: the key and a warning to print when the key file can be read by other users.
    public static func load(
        keyFile: String?,
        environment: [String: String]
    ) throws(KeyAuditError) -> (key: ManagementKey, warning: String?) {
        if let keyFile {
            var info = stat()
            guard stat(keyFile, &info) == 0 else {
                throw .usage("cannot read --key-file \(keyFile): \(String(cString: strerror(errno))); check the path")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw .usage("--key-file \(keyFile) is not a regular file; point it at the file that holds the key")
            }
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw .usage("cannot read --key-file \(keyFile): permission denied; check its owner and mode")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw .usage("--key-file \(keyFile) is not UTF-8 text; it must hold the key alone")
            }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .keyRejected("--key-file \(keyFile) is empty: write the management key into it")
            }
            let key = try ManagementKey(text)
            var warning: String?
            if info.st_mode & (S_IROTH | S_IWOTH) != 0 {
                warning =
                    "warning: --key-file \(keyFile) is readable by every user on this machine; run `chmod 600 \(keyFile)`"
            }
            return (key, warning)
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
