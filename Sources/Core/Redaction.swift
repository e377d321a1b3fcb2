import Foundation

/// The one redaction every string leaving keyaudit passes: stderr, error messages, every file written.
///
/// Two things are removed, wherever they appear (not only where a key is expected):
///
/// - **The management key** (and any other secret registered with ``register(secret:)``), matched exactly, is
///   replaced by `[REDACTED:management-key]`.
/// - **Anything shaped like an OpenRouter secret**: `sk-or-` in any letter case, not preceded by a letter or
///   digit, followed by a run of letters, digits, `-` and `_` that holds at least
///   ``minimumSecretCharacters`` letters and digits. The whole run is replaced by
///   `[REDACTED:sk-or-v1-0e6...1c96]`: the secret masked the way OpenRouter masks a key's `label` (its first 3
///   and last 4 characters after the version, shown only when at least 32 remain), so a reviewer can tell which
///   key leaked without the leak being repeated.
///
/// A key's `label` (`sk-or-v1-0e6...1c96`) is masked already and stays readable: after `sk-or-` it holds only
/// `v1-0e6` (five letters and digits) before the dots, far fewer than a secret. Redacted text is never redacted
/// again (the replacement has the same shape as a label).
///
/// What is not caught: a secret of another shape that was never registered, and a management key shown only in
/// part unless that part still has the `sk-or-` shape.
package enum Redaction {
    /// What was removed.
    package enum Kind: String, Sendable, Equatable, Comparable {
        /// The management key this run uses (or another registered secret).
        case managementKey = "management-key"
        /// Text shaped like an OpenRouter secret.
        case openRouterSecret = "openrouter-secret"

        package static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Letters and digits an `sk-or-` run needs to count as a secret (a real key has 64 after `sk-or-v1-`).
    package static let minimumSecretCharacters = 16
    /// What replaces a registered secret.
    package static let managementKeyReplacement = "[REDACTED:management-key]"

    private static let registry = Registry()

    /// Adds `secret` (the management key as loaded) to what is redacted, for the rest of the process.
    package static func register(secret: String) {
        guard secret.utf8.count >= 8 else { return }  // a shorter "secret" would redact ordinary words
        registry.add(Array(secret.utf8))
    }

    /// `text` with every registered secret and every OpenRouter-shaped secret replaced.
    package static func redact(_ text: String) -> String {
        redactReporting(text).text
    }

    /// `text` redacted with the registered secrets taken beforehand (``secrets``): for a writer of many texts.
    package static func redact(_ text: String, secrets: [[UInt8]]) -> String {
        redactReporting(text, secrets: secrets).text
    }

    /// The registered secrets as they are now (the registry's own storage, shared): what ``redact(_:secrets:)``
    /// takes. Secrets are registered as the process starts, before anything is written.
    package static var secrets: [[UInt8]] { registry.secrets }

    /// `text` redacted, and the kinds of secret removed (empty when nothing was).
    package static func redactReporting(_ text: String) -> (text: String, kinds: [Kind]) {
        redactReporting(text, secrets: registry.secrets)
    }

    private static func redactReporting(_ text: String, secrets: [[UInt8]]) -> (text: String, kinds: [Kind]) {
        var copy = text
        let found: (String, [Kind])? = copy.withUTF8 { bytes in
            guard mightHoldSecret(bytes, secrets: secrets) else { return nil }
            return redactBytes(bytes, secrets: secrets)
        }
        return found.map { (text: $0.0, kinds: $0.1) } ?? (text, [])
    }

    /// Whether `text` holds anything ``redact(_:)`` would remove.
    package static func holdsSecret(_ text: String) -> Bool { !redactReporting(text).kinds.isEmpty }

    /// The registered secrets as they are now, in storage of their own: a reader that checks many texts on
    /// its own thread (``mightRedact(_:secrets:)``) takes them once instead of taking the registry's lock,
    /// and retaining arrays every thread shares, for each text. (Two copies per snapshot read, like the
    /// registry's own never zeroed: core dumps are off, see ``ProcessHardening``.)
    package static var registeredSecrets: [[UInt8]] {
        registry.secrets.map { secret in secret.withUnsafeBufferPointer { Array($0) } }
    }

    /// Whether ``redact(_:)`` would remove anything from `bytes` (the same rule, without building the text):
    /// false means it would not. Over a JSON text without escapes this covers each string in it, member names
    /// included: a secret in a string is a secret in the text (a quote is neither a letter nor a digit, so a
    /// secret at a string's start is one in the text too). A match across strings only answers true more often.
    ///
    /// - Parameter secrets: the registered secrets, taken beforehand (``registeredSecrets``).
    package static func mightRedact(_ bytes: UnsafeBufferPointer<UInt8>, secrets: [[UInt8]]) -> Bool {
        guard mightHoldSecret(bytes, secrets: secrets), let base = bytes.baseAddress else { return false }
        for secret in secrets where contains(bytes, secret) { return true }
        // Each `sk-or-` is found by its first `-`.
        var index = 2
        while index < bytes.count, let found = memchr(base + index, 0x2D, bytes.count - index) {
            let dash = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if dash >= 2, secretEnd(bytes, at: dash - 2) != nil { return true }
            index = dash + 1
        }
        return false
    }

    // MARK: - JSON values

    /// One redaction in a JSON value: where, and what was removed.
    package struct Record: Sendable, Equatable {
        /// The member path, e.g. `name`, `metadata.note`, `tags[2]`; a member name that held the secret is
        /// given as it reads after redaction.
        package var field: String
        package var kind: Kind

        package init(field: String, kind: Kind) {
            self.field = field
            self.kind = kind
        }
    }

    /// `object` with every string (member names included, at any depth) redacted, and a record of each.
    /// Numbers, booleans and null are kept as they are; an object without secrets is returned unchanged.
    package static func redact(_ object: JSONObject) -> (object: JSONObject, records: [Record]) {
        var records: [Record] = []
        let value = redact(.object(object), path: "", records: &records)
        guard !records.isEmpty, case .object(let redacted) = value else { return (object, []) }
        return (redacted, records)
    }

    /// `value` redacted (see ``redact(_:)-JSONObject``).
    package static func redact(_ value: JSONValue) -> (value: JSONValue, records: [Record]) {
        var records: [Record] = []
        let redacted = redact(value, path: "", records: &records)
        return records.isEmpty ? (value, []) : (redacted, records)
    }

    private static func redact(_ value: JSONValue, path: String, records: inout [Record]) -> JSONValue {
        switch value {
        case .null, .bool, .number:
            return value
        case .string(let text):
            let (clean, kinds) = redactReporting(text)
            guard !kinds.isEmpty else { return value }
            for kind in Set(kinds).sorted() {
                records.append(Record(field: path.isEmpty ? "(value)" : path, kind: kind))
            }
            return .string(clean)
        case .array(let elements):
            var changed = false
            var result: [JSONValue] = []
            result.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                let before = records.count
                result.append(redact(element, path: "\(path)[\(index)]", records: &records))
                changed = changed || records.count != before
            }
            return changed ? .array(result) : value
        case .object(let object):
            var changed = false
            var members: [(String, JSONValue)] = []
            members.reserveCapacity(object.count)
            for (name, member) in zip(object.keys, object.values) {
                let (cleanName, kinds) = redactReporting(name)
                let memberPath = path.isEmpty ? cleanName : "\(path).\(cleanName)"
                for kind in Set(kinds).sorted() {
                    records.append(Record(field: memberPath + " (member name)", kind: kind))
                }
                let before = records.count
                let cleanValue = redact(member, path: memberPath, records: &records)
                changed = changed || !kinds.isEmpty || records.count != before
                members.append((cleanName, cleanValue))
            }
            return changed ? .object(JSONObject(members)) : value
        }
    }

    // MARK: - Scanning

    /// A quick look: a registered secret's first byte, or `sk-or-` in any case. Most strings have neither.
    private static func mightHoldSecret(_ bytes: UnsafeBufferPointer<UInt8>, secrets: [[UInt8]]) -> Bool {
        let count = bytes.count
        guard count >= 6 else { return false }
        for secret in secrets where contains(bytes, secret) { return true }
        var index = 0
        while index + 6 <= count {
            if bytes[index + 2] == 0x2D, isSkOrPrefix(bytes, at: index) { return true }
            index += 1
        }
        return false
    }

    @inline(__always)
    private static func isSkOrPrefix(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        index + 6 <= bytes.count && bytes[index] | 0x20 == 0x73 && bytes[index + 1] | 0x20 == 0x6B
            && bytes[index + 2] == 0x2D && bytes[index + 3] | 0x20 == 0x6F && bytes[index + 4] | 0x20 == 0x72
            && bytes[index + 5] == 0x2D
    }

    @inline(__always)
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
    }

    @inline(__always)
    private static func isSecretCharacter(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == 0x2D || byte == 0x5F
    }

    /// Whether `needle` occurs in `bytes` at `index`.
    @inline(__always)
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], at index: Int) -> Bool {
        guard index + needle.count <= bytes.count else { return false }
        for offset in needle.indices where bytes[index + offset] != needle[offset] { return false }
        return true
    }

    /// Whether `needle` occurs anywhere in `bytes` (`bytes` can be a whole report: memchr finds each candidate).
    private static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, bytes.count >= needle.count, let base = bytes.baseAddress else { return false }
        var index = 0
        let last = bytes.count - needle.count
        while index <= last {
            guard let found = memchr(base + index, Int32(first), last - index + 1) else { return false }
            let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if matches(bytes, needle, at: position) { return true }
            index = position + 1
        }
        return false
    }

    private static func redactBytes(_ bytes: UnsafeBufferPointer<UInt8>, secrets: [[UInt8]]) -> (String, [Kind])? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var kinds: [Kind] = []
        var index = 0
        let count = bytes.count
        outer: while index < count {
            for secret in secrets where index + secret.count <= count && bytes[index] == secret[0] {
                if matches(bytes, secret, at: index) {
                    output.append(contentsOf: managementKeyReplacement.utf8)
                    kinds.append(.managementKey)
                    index += secret.count
                    continue outer
                }
            }
            if let end = secretEnd(bytes, at: index) {
                output.append(contentsOf: "[REDACTED:".utf8)
                output.append(contentsOf: mask(UnsafeBufferPointer(rebasing: bytes[index..<end])))
                output.append(UInt8(ascii: "]"))
                kinds.append(.openRouterSecret)
                index = end
                continue
            }
            output.append(bytes[index])
            index += 1
        }
        guard !kinds.isEmpty else { return nil }
        return (String(decoding: output, as: UTF8.self), kinds)
    }

    /// Where the OpenRouter-shaped secret starting at `index` ends, or nil when none starts there: `sk-or-` in
    /// any case, not preceded by a letter or digit, then a run of secret characters holding at least
    /// ``minimumSecretCharacters`` letters and digits.
    @inline(__always)
    private static func secretEnd(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard isSkOrPrefix(bytes, at: index), index == 0 || !isAlphanumeric(bytes[index - 1]) else { return nil }
        var end = index + 6
        var significant = 0
        while end < bytes.count, isSecretCharacter(bytes[end]) {
            if isAlphanumeric(bytes[end]) { significant += 1 }
            end += 1
        }
        return significant >= minimumSecretCharacters ? end : nil
    }

    /// `sk-or-v1-0e6...1c96`: the prefix, the version (`v1-`) when there is one, then the first 3 and last 4
    /// characters when at least 32 remain (as OpenRouter's labels show a key), otherwise nothing of the secret.
    private static func mask(_ token: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var body = Array(token.dropFirst(6))
        var prefix = Array("sk-or-".utf8)
        // `v1-`, `v2-`, …: part of the format, not of the secret.
        if body.count > 2, body[0] | 0x20 == 0x76, let dash = body.firstIndex(of: 0x2D), dash > 1, dash <= 4,
            body[1..<dash].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        {
            prefix += body[...dash]
            body.removeFirst(dash + 1)
        }
        guard body.count >= 32 else { return prefix + Array("...".utf8) }
        return prefix + body.prefix(3) + Array("...".utf8) + body.suffix(4)
    }

    /// The registered secrets, shared by every thread.
    private final class Registry: @unchecked Sendable {
        // @unchecked: `items` is guarded by `lock`.
        private let lock = NSLock()
        private var items: [[UInt8]] = []

        func add(_ secret: [UInt8]) {
            lock.withLock {
                if !items.contains(secret) { items.append(secret) }
            }
        }

        var secrets: [[UInt8]] { lock.withLock { items } }
    }
}
