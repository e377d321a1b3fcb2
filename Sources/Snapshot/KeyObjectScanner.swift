import Foundation
import KeyAuditCore

/// Reads one key object straight from its bytes: its compact JSON, its configuration members and its known
/// fields' values, in one pass and without a tree.
///
/// The bytes are one element of a snapshot's key list, already validated by ``JSONParser`` (so strings are
/// valid UTF-8 without raw control characters, numbers match the grammar and the nesting is within bounds).
/// Only objects whose compact JSON is their own bytes minus whitespace are read here: no `\` escape (the
/// writer may spell an escaped character otherwise), no raw U+2028 or U+2029 (the writer escapes them) and
/// nothing ``Redaction`` would remove (checked over the whole object with the same rule: with no escape, a
/// secret in any string, member names included, is a secret in the bytes). Any other object (a few in a
/// hundred thousand) is read as a tree, as before: ``read(_:)`` answers nil and the caller falls back.
struct KeyObjectScanner {
    /// The object as compact JSON, as snapshot.json stores it (valid after a successful ``read(_:)``).
    private(set) var compact: [UInt8] = []
    /// The configuration members (see ``KeyRecord/configuration(of:)``) as compact JSON.
    private(set) var configuration: [UInt8] = []
    /// The first value of each known field, by its index in ``KeyRecord/knownFields``.
    private(set) var slots: [JSONValue?] = .init(repeating: nil, count: KeyRecord.knownFields.count)
    private(set) var extraFields: [(String, JSONValue)] = []

    /// The known fields' names and whether each is volatile, for ``knownIndex(_:length:)``, in memory that is
    /// never freed. A Swift array read in this loop is retained and released: with two threads reading keys
    /// at once (``KeyListReader``), its reference count would be one cache line both cores write for every
    /// member of every key.
    private struct NameTable: @unchecked Sendable {
        // @unchecked: the memory is written once, in `init`, and only read after.
        /// Per known field (by its index in ``KeyRecord/knownFields``): its name's UTF-8 bytes.
        let names: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>
        /// Per known field: whether it changes by itself (``KeyRecord/volatileFields``).
        let volatile: UnsafeBufferPointer<Bool>
        /// The known fields' indices ordered by the length of their names; those of length `n` are at
        /// `byLength[lengthStart[n] ..< lengthStart[n + 1]]`.
        let byLength: UnsafeBufferPointer<Int>
        let lengthStart: UnsafeBufferPointer<Int>
        static let longest = 32

        init() {
            func immortal<T>(_ values: [T]) -> UnsafeBufferPointer<T> {
                let memory = UnsafeMutableBufferPointer<T>.allocate(capacity: values.count)
                _ = memory.initialize(from: values)
                return UnsafeBufferPointer(memory)
            }
            names = immortal(KeyRecord.knownFields.map { immortal(Array($0.utf8)) })
            volatile = immortal(KeyRecord.knownFields.map { KeyRecord.volatileFields.contains($0) })
            let ordered = KeyRecord.knownFields.indices.filter { KeyRecord.knownFields[$0].utf8.count < Self.longest }
                .sorted { (KeyRecord.knownFields[$0].utf8.count, $0) < (KeyRecord.knownFields[$1].utf8.count, $1) }
            byLength = immortal(ordered)
            lengthStart = immortal(
                (0...Self.longest).map { length in
                    ordered.firstIndex { KeyRecord.knownFields[$0].utf8.count >= length } ?? ordered.count
                })
        }
    }
    private static let table = NameTable()

    /// The registered secrets (``Redaction/registeredSecrets``), taken when the scanner is made: one scanner per
    /// thread per snapshot read, and secrets are registered when the process starts, before any is read.
    private let secrets: [[UInt8]] = Redaction.registeredSecrets

    init() {
        compact.reserveCapacity(1_024)
        configuration.reserveCapacity(1_024)
    }

    /// Reads `object` (a validated JSON object, `{` to `}`); false when it must be read as a tree instead.
    mutating func read(_ object: UnsafeRawBufferPointer) -> Bool {
        guard let base = object.baseAddress?.assumingMemoryBound(to: UInt8.self), object.count >= 2,
            base[0] == UInt8(ascii: "{")
        else { return false }
        let bytes = UnsafeBufferPointer(start: base, count: object.count)
        guard memchr(base, 0x5C, bytes.count) == nil, !Self.holdsLineSeparator(bytes),
            !Redaction.mightRedact(bytes, secrets: secrets)
        else { return false }
        stripWhitespace(bytes)
        for index in slots.indices { slots[index] = nil }
        extraFields = []  // kept by the record: a fresh one each time
        configuration.removeAll(keepingCapacity: true)
        configuration.append(UInt8(ascii: "{"))
        compact.withUnsafeBufferPointer { readMembers($0) }
        configuration.append(UInt8(ascii: "}"))
        return true
    }

    /// Whether `bytes` hold a raw U+2028 or U+2029 (E2 80 A8 / E2 80 A9), which the writer escapes.
    private static func holdsLineSeparator(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = 0
        while index < bytes.count, let found = memchr(base + index, 0xE2, bytes.count - index) {
            let at = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if at + 2 < bytes.count, base[at + 1] == 0x80, base[at + 2] == 0xA8 || base[at + 2] == 0xA9 {
                return true
            }
            index = at + 1
        }
        return false
    }

    /// `compact` = the bytes without the whitespace between tokens (strings have no escapes: a quote always
    /// opens or closes one).
    private mutating func stripWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) {
        compact.removeAll(keepingCapacity: true)
        let base = bytes.baseAddress!
        let count = bytes.count
        var runStart = 0
        var index = 0
        while index < count {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                // Skip to the closing quote.
                let rest = count - index - 1
                guard let found = memchr(base + index + 1, 0x22, rest) else { break }
                index = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                continue
            }
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                if index > runStart {
                    compact.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
                }
                index += 1
                runStart = index
                continue
            }
            index += 1
        }
        if count > runStart {
            compact.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
    }

    /// The members of the compact object in `c`: each known field's first value into `slots`, the others into
    /// `extraFields`, the configuration members into `configuration`.
    private mutating func readMembers(_ c: UnsafeBufferPointer<UInt8>) {
        let base = c.baseAddress!
        let count = c.count
        var index = 1
        guard index < count, base[index] != UInt8(ascii: "}") else { return }
        var firstConfiguration = true
        while index < count {
            // `"name":value` followed by `,` or `}`.
            let nameStart = index + 1
            let nameEnd = Self.closingQuote(base, from: nameStart, count: count)
            let valueStart = nameEnd + 2
            let valueEnd = Self.valueEnd(base, from: valueStart, count: count)
            let known = Self.knownIndex(base + nameStart, length: nameEnd - nameStart)
            if let known {
                if slots[known] == nil { slots[known] = Self.value(base, valueStart..<valueEnd) }
            } else {
                extraFields.append(
                    (
                        String(
                            decoding: UnsafeBufferPointer(start: base + nameStart, count: nameEnd - nameStart),
                            as: UTF8.self),
                        Self.value(base, valueStart..<valueEnd)
                    ))
            }
            if known.map({ !Self.table.volatile[$0] }) ?? true {
                if !firstConfiguration { configuration.append(UInt8(ascii: ",")) }
                firstConfiguration = false
                configuration.append(contentsOf: UnsafeBufferPointer(start: base + index, count: valueEnd - index))
            }
            // At `,` or at the object's `}`.
            index = valueEnd + 1
            if valueEnd >= count - 1 { break }
        }
    }

    @inline(__always)
    private static func closingQuote(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        guard let found = memchr(base + start, 0x22, count - start) else { return count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The end of the value starting at `start` in compact JSON (the offset of the `,` or `}` after it).
    private static func valueEnd(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        switch base[start] {
        case UInt8(ascii: "\""):
            return closingQuote(base, from: start + 1, count: count) + 1
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < count {
                switch base[index] {
                case UInt8(ascii: "\""):
                    index = closingQuote(base, from: index + 1, count: count)
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return count
        default:
            var index = start
            while index < count, base[index] != UInt8(ascii: ","), base[index] != UInt8(ascii: "}") { index += 1 }
            return index
        }
    }

    @inline(__always)
    private static func knownIndex(_ name: UnsafePointer<UInt8>, length: Int) -> Int? {
        let table = Self.table
        guard length < NameTable.longest else { return nil }
        for slot in table.lengthStart[length]..<table.lengthStart[length + 1] {
            let candidate = table.byLength[slot]
            if memcmp(table.names[candidate].baseAddress!, name, length) == 0 { return candidate }
        }
        return nil
    }

    /// The value of the compact JSON at `range`: scalars directly, a container (rare in a key) parsed.
    private static func value(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> JSONValue {
        let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        switch bytes[0] {
        case UInt8(ascii: "\""):
            return .string(String(decoding: UnsafeBufferPointer(rebasing: bytes.dropFirst().dropLast()), as: UTF8.self))
        case UInt8(ascii: "t"):
            return .bool(true)
        case UInt8(ascii: "f"):
            return .bool(false)
        case UInt8(ascii: "n"):
            return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Valid JSON, checked by the parser that found the key; nested no deeper than it allowed.
            return (try? JSONParser.parse(bytes)) ?? .null
        default:
            return .number(JSONNumber(uncheckedText: String(decoding: bytes, as: UTF8.self)))
        }
    }
}

extension KeyRecord {
    /// What differs between two records of the same object (empty: nothing), named by property: how the
    /// fuzz target and the tests check that a key read from its bytes equals the key read as a tree.
    package func differences(from other: KeyRecord) -> [String] {
        var found: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { found.append("\(name): \(a) != \(b)") }
        }
        check("identity", identity, other.identity)
        check("configurationFingerprint", configurationFingerprint, other.configurationFingerprint)
        check("problems", problems, other.problems)
        check("redactedSecrets", redactedSecrets, other.redactedSecrets)
        check("raw", withRawBytes { Array($0) }, other.withRawBytes { Array($0) })
        check("extraFields", JSONObject(extraFields), JSONObject(other.extraFields))
        for field in Self.knownFields { check("presence(\(field))", presence(of: field), other.presence(of: field)) }
        check("strings", [hash, name, label, limitReset], [other.hash, other.name, other.label, other.limitReset])
        check(
            "more strings", [creatorUserId, workspaceId, externalUser, rotatedFromHash],
            [other.creatorUserId, other.workspaceId, other.externalUser, other.rotatedFromHash])
        check("flags", [disabled, includeByokInLimit], [other.disabled, other.includeByokInLimit])
        let numbers = { (key: KeyRecord) in
            [
                key.limit, key.limitRemaining, key.usage, key.usageDaily, key.usageWeekly, key.usageMonthly,
                key.byokUsage, key.byokUsageDaily, key.byokUsageWeekly, key.byokUsageMonthly, key.createdAt,
                key.updatedAt, key.expiresAt, key.lastUsedAt,
            ].map { $0?.bitPattern }
        }
        check("numbers", numbers(self), numbers(other))
        return found
    }
}
