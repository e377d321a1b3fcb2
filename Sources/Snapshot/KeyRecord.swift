import Foundation
import KeyAuditCore

/// One API key as the Management API returned it, with a typed view for the audit.
///
/// `raw` is the object exactly as received (every field, unknown ones included, in their order, numbers as
/// their original text); it is what the snapshot stores. It is kept as compact JSON in a ``RawKeyStore``
/// shared by the keys of a snapshot, and parsed again only when asked for. The typed properties are read from it once, leniently:
/// a field that cannot be read becomes a ``FieldProblem`` and the key is kept and flagged, never dropped.
public struct KeyRecord: Sendable {
    /// Let go of by ``releaseRaw()`` once the snapshot is written and compared (it is most of a key's
    /// memory); everything else keyaudit reads from it is kept in typed form.
    private var rawStore: RawKeyStore?
    private let rawLocation: RawKeyStore.Location
    /// A fingerprint of the configuration members (see ``configuration(of:)``), the SipHash of their compact
    /// JSON: two keys whose fingerprints match have the same configuration (with this process's random seed: a
    /// collision is about one in 2^64 and cannot be aimed at). Bytes, not a tree: a key read from its bytes and
    /// one read as a tree get the same fingerprint for the same members.
    package let configurationFingerprint: UInt64
    /// Fields present in the object that keyaudit does not know, in the order received.
    public let extraFields: [(String, JSONValue)]
    /// Two bits per entry of `knownFields`: 0 absent, 1 null, 2 a value.
    private let presenceBits: UInt64
    /// `hash` when present, otherwise a stable stand-in (`~nohash-…`) so the key still has an identity.
    public let identity: String

    /// `hash` as received (normally 64 hex characters); nil when missing, null or not a string (see `problems`).
    public let hash: String?
    /// `name` as received: free text, hostile input; nil when missing, null or not a string (see `problems`).
    public let name: String?
    /// `label`: the masked secret, e.g. `sk-or-v1-0e6...1c96` (never the key); nil when absent, null or not a string.
    public let label: String?
    /// `disabled`; nil when missing, null or unreadable (see `problems`); the key then counts as enabled.
    public let disabled: Bool?
    /// `limit`, the credit limit in USD; nil when null (no limit), absent or unreadable: see ``presence(of:)``.
    public var limit: Double? { _limit.value }
    /// `limit_remaining`, USD left under the limit; nil when absent, null or unreadable (see `problems`).
    public var limitRemaining: Double? { _limitRemaining.value }
    /// `limit_reset`: `daily`, `weekly` or `monthly`; nil when null (the limit never resets), absent or unreadable.
    public let limitReset: String?
    /// `include_byok_in_limit`: whether BYOK spend counts against `limit`; nil when absent, null or unreadable.
    public let includeByokInLimit: Bool?
    /// `usage`: lifetime spend in USD; nil when absent, null or unreadable (see `problems`).
    public var usage: Double? { _usage.value }
    /// `usage_daily`: USD spent this UTC day; nil when absent, null or unreadable (see `problems`).
    public var usageDaily: Double? { _usageDaily.value }
    /// `usage_weekly`: USD spent this UTC week (Mon–Sun); nil when absent, null or unreadable (see `problems`).
    public var usageWeekly: Double? { _usageWeekly.value }
    /// `usage_monthly`: USD spent this UTC month; nil when absent, null or unreadable (see `problems`).
    public var usageMonthly: Double? { _usageMonthly.value }
    /// `byok_usage`: lifetime bring-your-own-key spend in USD; nil when absent, null or unreadable (see `problems`).
    public var byokUsage: Double? { _byokUsage.value }
    /// `byok_usage_daily`: as `usage_daily`, for BYOK spend; nil when absent, null or unreadable (see `problems`).
    public var byokUsageDaily: Double? { _byokUsageDaily.value }
    /// `byok_usage_weekly`: as `usage_weekly`, for BYOK spend; nil when absent, null or unreadable (see `problems`).
    public var byokUsageWeekly: Double? { _byokUsageWeekly.value }
    /// `byok_usage_monthly`: as `usage_monthly`, for BYOK spend; nil when absent, null or unreadable (see `problems`).
    public var byokUsageMonthly: Double? { _byokUsageMonthly.value }
    /// Seconds since 1970, UTC.
    public var createdAt: Double? { _createdAt.value }
    /// `updated_at`, seconds since 1970, UTC: the last edit by a person (not use); nil when null (never
    /// edited), absent or unreadable (see `problems`).
    public var updatedAt: Double? { _updatedAt.value }
    /// `expires_at`, seconds since 1970, UTC; nil when null or absent (no expiry) or unreadable (see `problems`).
    public var expiresAt: Double? { _expiresAt.value }
    /// `last_used_at`, seconds since 1970, UTC; nil when null (no usage recorded), absent (older API) or
    /// unreadable (see `problems`).
    public var lastUsedAt: Double? { _lastUsedAt.value }
    /// `creator_user_id`: the OpenRouter user who created the key; nil when null, absent or not a string.
    public let creatorUserId: String?
    /// `workspace_id`, a UUID; nil when absent (older responses), null or not a string.
    public let workspaceId: String?
    /// `external_user` as received (a newer field); nil when null, absent or not a string.
    public let externalUser: String?
    /// `rotated_from_hash`: the predecessor's hash when this key was made by rotating another (the newest field);
    /// nil when null, absent or not a string.
    public let rotatedFromHash: String?
    /// Fields that could not be read (missing, wrong type, bad timestamp, malformed hash, an amount too large to
    /// represent); any flags the key `unreadable-data`.
    public let problems: [FieldProblem]
    /// Secrets found in the object as received and removed before anything else saw it (see ``Redaction``):
    /// where, and what. Any raises `secret-in-metadata`. Set again from a stored snapshot's `redactions`.
    package internal(set) var redactedSecrets: [Redaction.Record]

    // Numbers and times packed in 8 bytes each (NaN for none): `Double?` takes 16 in a struct, and there
    // are 14 of them on each of 100,000 keys.
    private let _limit: PackedDouble
    private let _limitRemaining: PackedDouble
    private let _usage: PackedDouble
    private let _usageDaily: PackedDouble
    private let _usageWeekly: PackedDouble
    private let _usageMonthly: PackedDouble
    private let _byokUsage: PackedDouble
    private let _byokUsageDaily: PackedDouble
    private let _byokUsageWeekly: PackedDouble
    private let _byokUsageMonthly: PackedDouble
    private let _createdAt: PackedDouble
    private let _updatedAt: PackedDouble
    private let _expiresAt: PackedDouble
    private let _lastUsedAt: PackedDouble

    /// Fields keyaudit understands; anything else is kept and shown as an extra field.
    public static let knownFields: [String] = [
        "hash", "name", "label", "disabled", "limit", "limit_remaining", "limit_reset", "include_byok_in_limit",
        "usage", "usage_daily", "usage_weekly", "usage_monthly", "byok_usage", "byok_usage_daily",
        "byok_usage_weekly", "byok_usage_monthly", "created_at", "updated_at", "expires_at", "last_used_at",
        "creator_user_id", "workspace_id", "external_user", "rotated_from_hash",
    ]
    static let knownFieldIndex = Dictionary(uniqueKeysWithValues: knownFields.enumerated().map { ($1, $0) })

    /// The known fields by position in ``knownFields`` (what the reader looks up without hashing a name).
    enum Field: Int, CaseIterable {
        case hash, name, label, disabled, limit, limitRemaining, limitReset, includeByokInLimit, usage, usageDaily
        case usageWeekly, usageMonthly, byokUsage, byokUsageDaily, byokUsageWeekly, byokUsageMonthly, createdAt
        case updatedAt, expiresAt, lastUsedAt, creatorUserId, workspaceId, externalUser, rotatedFromHash

        var name: String { KeyRecord.knownFields[rawValue] }
    }
    /// Fields that change by themselves (usage, remaining credit, edit and use times): not configuration.
    package static let volatileFields: Set<String> = [
        "usage", "usage_daily", "usage_weekly", "usage_monthly", "byok_usage", "byok_usage_daily",
        "byok_usage_weekly", "byok_usage_monthly", "limit_remaining", "updated_at", "last_used_at",
    ]
    /// How many known fields there are (a plain number: reading it retains nothing, see ``KeyListReader``).
    static let knownFieldCount = knownFields.count

    /// The configuration members of a key as compact JSON: what two snapshots compare to find changes.
    package static func configuration(of raw: JSONObject) -> [UInt8] {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(raw.count)
        for (field, value) in zip(raw.keys, raw.values) where !volatileFields.contains(field) {
            members.append((field, value))
        }
        var bytes: [UInt8] = []
        JSONWriter.write(.object(JSONObject(members)), into: &bytes, style: .compact)
        return bytes
    }

    /// ``configurationFingerprint`` of these configuration members (compact JSON).
    static func fingerprint(_ configuration: [UInt8]) -> UInt64 {
        var hasher = Hasher()
        configuration.withUnsafeBytes { hasher.combine(bytes: $0) }
        return UInt64(truncatingIfNeeded: hasher.finalize())
    }

    /// Whether a field was absent, null or had a value (null and absent mean different things to the rules).
    public enum Presence: UInt64, Sendable {
        case absent = 0
        case null = 1
        case value = 2
    }

    /// A key on its own (tests, one-off records); the keys of a snapshot share a store.
    package init(_ raw: JSONObject) { self.init(raw, store: RawKeyStore()) }

    /// A key from the object as received: secrets in it are redacted first (see ``Redaction``), so the record,
    /// its stored object and everything derived from it never hold one.
    ///
    /// - Parameter store: where the object is kept; the keys of one snapshot share one. nil: not kept (a key
    ///   looked at once and dropped, such as the previous snapshot's, whose object the caller has).
    package init(_ received: JSONObject, store: RawKeyStore?) {
        let (raw, secrets) = Redaction.redact(received)
        self.init(redacted: raw, secrets: secrets, store: store)
    }

    /// A key from an object already passed through ``Redaction/redact(_:)-JSONObject`` (the caller needs the
    /// redacted object itself), with what that redaction found.
    ///
    /// - Parameter configuration: ``configuration(of:)`` of `raw`, when the caller has it.
    package init(
        redacted raw: JSONObject, secrets: [Redaction.Record], configuration: [UInt8]? = nil, store: RawKeyStore?
    ) {
        var compact: [UInt8] = []
        if store != nil { JSONWriter.write(.object(raw), into: &compact, style: .compact) }
        self.init(
            reader: FieldReader(raw), compact: compact, configuration: configuration ?? Self.configuration(of: raw),
            secrets: secrets, store: store
        ) { JSONWriter.bytes(.object(raw), style: .compact) }
    }

    /// A key read straight from its bytes by `scanner` (see ``KeyObjectScanner``): nothing in it was redacted.
    init(scanned scanner: borrowing KeyObjectScanner, store: RawKeyStore?) {
        let compact = scanner.compact
        self.init(
            reader: FieldReader(slots: scanner.slots, extraFields: scanner.extraFields), compact: compact,
            configuration: scanner.configuration, secrets: [], store: store
        ) { compact }
    }

    /// - Parameters:
    ///   - compact: the object as compact JSON; may be empty when `store` is nil (then `written` makes it
    ///     if the identity needs it).
    private init(
        reader: FieldReader, compact: [UInt8], configuration: [UInt8], secrets: [Redaction.Record],
        store: RawKeyStore?, written: () -> [UInt8]
    ) {
        var reader = reader
        self.redactedSecrets = secrets
        if let store {
            self.rawLocation = store.append(compact)
        } else {
            self.rawLocation = .init(chunk: 0, offset: 0, length: 0)
        }
        self.rawStore = store
        self.configurationFingerprint = Self.fingerprint(configuration)
        var bits: UInt64 = 0
        for index in 0..<Self.knownFieldCount {
            let state: Presence
            switch reader.slots[index] {
            case .none: state = .absent
            case .null?: state = .null
            default: state = .value
            }
            bits |= state.rawValue << (2 * index)
        }
        self.presenceBits = bits
        self.extraFields = reader.extraFields
        let hash = reader.string(.hash, required: true)
        if let hash, !Self.isWellFormedHash(hash) {
            reader.problems.append(
                FieldProblem(field: Field.hash.name, problem: "is not 64 hexadecimal characters", value: hash))
        }
        self.hash = hash
        self.name = reader.string(.name, required: true)
        self.label = reader.string(.label)
        self.disabled = reader.bool(.disabled, required: true)
        self._limit = PackedDouble(reader.number(.limit))
        self._limitRemaining = PackedDouble(reader.number(.limitRemaining))
        self.limitReset = reader.string(.limitReset)
        self.includeByokInLimit = reader.bool(.includeByokInLimit)
        self._usage = PackedDouble(reader.number(.usage))
        self._usageDaily = PackedDouble(reader.number(.usageDaily))
        self._usageWeekly = PackedDouble(reader.number(.usageWeekly))
        self._usageMonthly = PackedDouble(reader.number(.usageMonthly))
        self._byokUsage = PackedDouble(reader.number(.byokUsage))
        self._byokUsageDaily = PackedDouble(reader.number(.byokUsageDaily))
        self._byokUsageWeekly = PackedDouble(reader.number(.byokUsageWeekly))
        self._byokUsageMonthly = PackedDouble(reader.number(.byokUsageMonthly))
        self._createdAt = PackedDouble(reader.timestamp(.createdAt, required: true))
        self._updatedAt = PackedDouble(reader.timestamp(.updatedAt))
        self._expiresAt = PackedDouble(reader.timestamp(.expiresAt))
        self._lastUsedAt = PackedDouble(reader.timestamp(.lastUsedAt))
        self.creatorUserId = reader.string(.creatorUserId)
        self.workspaceId = reader.string(.workspaceId)
        self.externalUser = reader.string(.externalUser)
        self.rotatedFromHash = reader.string(.rotatedFromHash)
        self.problems = reader.problems
        if let hash, !hash.isEmpty {
            self.identity = hash
        } else {
            // Sorts after every hex hash; stable for the same content.
            self.identity = Self.noHashPrefix + Checksum.sha256Hex(compact.isEmpty ? written() : compact).prefix(16)
        }
    }

    /// The largest amount (USD) read from a key: 2^53 cents, the most a `Double` counts to the cent exactly.
    /// `"limit": 1e19` is kept as received and flagged `unreadable-data`, never converted.
    package static let largestAmount = 90_071_992_547_409.92

    /// How the identity of a key without a usable hash begins.
    package static let noHashPrefix = "~nohash-"

    /// True only when `disabled` is true; a missing or unreadable flag counts as enabled.
    public var isDisabled: Bool { disabled ?? false }
    /// The opposite of ``isDisabled``: a key whose `disabled` is missing or unreadable counts as enabled.
    public var isEnabled: Bool { !(disabled ?? false) }
    /// `name`, or the empty string when it is missing or unreadable.
    public var displayName: String { name ?? "" }
    /// The first 12 characters of the hash, as reports show it.
    public var shortHash: String { String(identity.prefix(12)) }

    /// Whether the object has the field (null counts as present).
    public func has(_ field: String) -> Bool { presence(of: field) != .absent }

    /// Whether the field was absent, null or had a value.
    public func presence(of field: String) -> Presence {
        if let index = Self.knownFieldIndex[field] {
            return Presence(rawValue: (presenceBits >> (2 * index)) & 3) ?? .absent
        }
        guard let value = extraFields.first(where: { $0.0 == field })?.1 else { return .absent }
        return value == .null ? .null : .value
    }

    /// Drops the object as received, keeping the typed fields, presence and unknown fields: after the snapshot
    /// is written and compared, nothing reads it, and at 100,000 keys it is about 110 MB.
    package mutating func releaseRaw() { rawStore = nil }

    package var rawReleased: Bool { rawStore == nil }

    /// The object as received (parsed again from the store); empty once released.
    public var raw: JSONObject {
        guard let rawStore else { return JSONObject() }
        return rawStore.withBytes(rawLocation) { (try? JSONParser.parse($0))?.objectValue } ?? JSONObject()
    }

    /// The object as compact JSON, as snapshot.json stores it.
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let rawStore else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try rawStore.withBytes(rawLocation, body)
    }

    package static func isWellFormedHash(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 64 else { return false }
        var hex = true
        for byte in utf8 where !((byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 102)) {
            hex = false
        }
        return hex
    }
}

/// A `Double?` in 8 bytes: NaN stands for nil (a non-finite number is never read as a value).
struct PackedDouble: Sendable {
    private let bits: Double
    init(_ value: Double?) { bits = value ?? .nan }
    var value: Double? { bits.isNaN ? nil : bits }
}

/// A field of one key that could not be read; the key is flagged (`unreadable-data`) and kept.
public struct FieldProblem: Sendable, Equatable {
    /// The key object's field, e.g. `created_at`.
    public var field: String
    /// What is wrong, as a phrase after the field name, e.g. `is not an RFC 3339 timestamp`.
    public var problem: String
    /// The offending value as received, shortened.
    public var value: String?
}

/// Reads typed fields from a key object, collecting problems instead of failing.
private struct FieldReader {
    /// 1900-01-01T00:00:00Z: the first date a workbook can hold.
    static let earliestReportableDate = -2_208_988_800.0

    /// The first value of each known field, by its index in `KeyRecord.knownFields`.
    var slots: [JSONValue?]
    var extraFields: [(String, JSONValue)] = []
    var problems: [FieldProblem] = []

    /// One pass over the members (the fields used to be looked up one by one, each a scan of the object).
    init(_ object: JSONObject) {
        slots = [JSONValue?](repeating: nil, count: KeyRecord.knownFields.count)
        for (field, value) in zip(object.keys, object.values) {
            if let index = KeyRecord.knownFieldIndex[field] {
                if slots[index] == nil { slots[index] = value }
            } else {
                extraFields.append((field, value))
            }
        }
    }

    /// Fields already sorted out (see ``KeyObjectScanner``).
    init(slots: [JSONValue?], extraFields: [(String, JSONValue)]) {
        self.slots = slots
        self.extraFields = extraFields
    }

    func value(_ field: KeyRecord.Field) -> JSONValue? { slots[field.rawValue] }

    mutating func complain(_ field: KeyRecord.Field, _ problem: String, _ value: JSONValue?) {
        var shown: String?
        if let value {
            let text = JSONWriter.string(value, style: .compact)
            shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        }
        problems.append(FieldProblem(field: field.name, problem: problem, value: shown))
    }

    mutating func string(_ field: KeyRecord.Field, required: Bool = false) -> String? {
        switch value(field) {
        case .none:
            if required { complain(field, "is missing", nil) }
            return nil
        case .null?:
            if required { complain(field, "is null", .null) }
            return nil
        case .string(let text)?:
            return text
        case let other?:
            complain(field, "is not a string", other)
            return nil
        }
    }

    mutating func bool(_ field: KeyRecord.Field, required: Bool = false) -> Bool? {
        switch value(field) {
        case .none:
            if required { complain(field, "is missing", nil) }
            return nil
        case .null?:
            if required { complain(field, "is null", .null) }
            return nil
        case .bool(let value)?:
            return value
        case .string(let text)? where text == "true" || text == "false":
            return text == "true"
        case let other?:
            complain(field, "is not a boolean", other)
            return nil
        }
    }

    mutating func number(_ field: KeyRecord.Field) -> Double? {
        switch value(field) {
        case .none, .null?:
            return nil
        case .number(let number)?:
            guard let value = number.double, value.isFinite else {
                complain(field, "is not a finite number", .number(number))
                return nil
            }
            return inRange(field, value, .number(number))
        case .string(let text)?:
            // Lenient: a number sent as a string is still a number; anything else is a problem.
            if let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite,
                JSONNumber(validating: text.trimmingCharacters(in: .whitespaces)) != nil
            {
                return inRange(field, value, .string(text))
            }
            complain(field, "is not a number", .string(text))
            return nil
        case let other?:
            complain(field, "is not a number", other)
            return nil
        }
    }

    /// Every number of a key is an amount in USD: one beyond ``KeyRecord/largestAmount`` cannot be counted to
    /// the cent (or summed, or shown) and is kept as received, flagged, instead of being read.
    mutating func inRange(_ field: KeyRecord.Field, _ value: Double, _ received: JSONValue) -> Double? {
        guard value.magnitude <= KeyRecord.largestAmount else {
            complain(field, "is too large to be an amount keyaudit can represent (over 90 trillion USD)", received)
            return nil
        }
        return value
    }

    mutating func timestamp(_ field: KeyRecord.Field, required: Bool = false) -> Double? {
        switch value(field) {
        case .none:
            if required { complain(field, "is missing", nil) }
            return nil
        case .null?:
            if required { complain(field, "is null", .null) }
            return nil
        case .string(let text)?:
            guard let seconds = Timestamp.parse(text) else {
                complain(field, "is not an RFC 3339 timestamp", .string(text))
                return nil
            }
            // Valid, and kept, but no OpenRouter key predates 1900 and the workbook cannot show such a date
            // (it is written there as text): worth a reviewer's look.
            if seconds < Self.earliestReportableDate {
                complain(field, "is before 1900 (shown as text in report.xlsx)", .string(text))
            }
            return seconds
        case let other?:
            complain(field, "is not a timestamp string", other)
            return nil
        }
    }
}
