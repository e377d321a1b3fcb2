import Foundation

/// One API key as the Management API returned it, with a typed view for the audit.
///
/// `raw` is the object exactly as received (every field, unknown ones included, in their order, numbers as
/// their original text); it is what the snapshot stores. The typed properties are read from it once, leniently:
/// a field that cannot be read becomes a ``FieldProblem`` and the key is kept and flagged, never dropped.
public struct KeyRecord: Sendable {
    public let raw: JSONObject
    /// `hash` when present, otherwise a stable stand-in (`~nohash-…`) so the key still has an identity.
    public let identity: String

    public let hash: String?
    public let name: String?
    public let label: String?
    public let disabled: Bool?
    public let limit: Double?
    public let limitRemaining: Double?
    public let limitReset: String?
    public let includeByokInLimit: Bool?
    public let usage: Double?
    public let usageDaily: Double?
    public let usageWeekly: Double?
    public let usageMonthly: Double?
    public let byokUsage: Double?
    public let byokUsageDaily: Double?
    public let byokUsageWeekly: Double?
    public let byokUsageMonthly: Double?
    /// Seconds since 1970, UTC.
    public let createdAt: Double?
    public let updatedAt: Double?
    public let expiresAt: Double?
    public let lastUsedAt: Double?
    public let creatorUserId: String?
    public let workspaceId: String?
    public let externalUser: String?
    public let problems: [FieldProblem]

    /// Fields keyaudit understands; anything else is kept and shown as an extra field.
    public static let knownFields: [String] = [
        "hash", "name", "label", "disabled", "limit", "limit_remaining", "limit_reset", "include_byok_in_limit",
        "usage", "usage_daily", "usage_weekly", "usage_monthly", "byok_usage", "byok_usage_daily",
        "byok_usage_weekly", "byok_usage_monthly", "created_at", "updated_at", "expires_at", "last_used_at",
        "creator_user_id", "workspace_id", "external_user",
    ]
    static let knownFieldSet = Set(knownFields)

    public init(_ raw: JSONObject) {
        self.raw = raw
        var reader = FieldReader(raw)
        let hash = reader.string("hash", required: true)
        if let hash, !Self.isWellFormedHash(hash) {
            reader.problems.append(
                FieldProblem(field: "hash", problem: "is not 64 hexadecimal characters", value: hash))
        }
        self.hash = hash
        self.name = reader.string("name", required: true)
        self.label = reader.string("label")
        self.disabled = reader.bool("disabled", required: true)
        self.limit = reader.number("limit")
        self.limitRemaining = reader.number("limit_remaining")
        self.limitReset = reader.string("limit_reset")
        self.includeByokInLimit = reader.bool("include_byok_in_limit")
        self.usage = reader.number("usage")
        self.usageDaily = reader.number("usage_daily")
        self.usageWeekly = reader.number("usage_weekly")
        self.usageMonthly = reader.number("usage_monthly")
        self.byokUsage = reader.number("byok_usage")
        self.byokUsageDaily = reader.number("byok_usage_daily")
        self.byokUsageWeekly = reader.number("byok_usage_weekly")
        self.byokUsageMonthly = reader.number("byok_usage_monthly")
        self.createdAt = reader.timestamp("created_at", required: true)
        self.updatedAt = reader.timestamp("updated_at")
        self.expiresAt = reader.timestamp("expires_at")
        self.lastUsedAt = reader.timestamp("last_used_at")
        self.creatorUserId = reader.string("creator_user_id")
        self.workspaceId = reader.string("workspace_id")
        self.externalUser = reader.string("external_user")
        self.problems = reader.problems
        if let hash, !hash.isEmpty {
            self.identity = hash
        } else {
            // Sorts after every hex hash; stable for the same content.
            let canonical = JSONWriter.string(.object(raw), style: .compact)
            self.identity = "~nohash-" + Checksum.sha256Hex(Array(canonical.utf8)).prefix(16)
        }
    }

    public var isDisabled: Bool { disabled ?? false }
    public var isEnabled: Bool { !(disabled ?? false) }
    public var displayName: String { name ?? "" }
    /// The first 12 characters of the hash, as reports show it.
    public var shortHash: String { String(identity.prefix(12)) }

    /// Whether the raw object has the field (null counts as present).
    public func has(_ field: String) -> Bool { raw[field] != nil }

    /// Fields present in the object that keyaudit does not know, in the order received.
    public var extraFields: [(String, JSONValue)] {
        zip(raw.keys, raw.values).filter { !Self.knownFieldSet.contains($0.0) }
    }

    static func isWellFormedHash(_ text: String) -> Bool {
        let utf8 = text.utf8
        return utf8.count == 64
            && utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }
}

/// A field of one key that could not be read; the key is flagged (`unreadable-data`) and kept.
public struct FieldProblem: Sendable, Equatable {
    public var field: String
    public var problem: String
    /// The offending value as received, shortened.
    public var value: String?
}

/// Reads typed fields from a key object, collecting problems instead of failing.
private struct FieldReader {
    let object: JSONObject
    var problems: [FieldProblem] = []

    init(_ object: JSONObject) { self.object = object }

    mutating func complain(_ field: String, _ problem: String, _ value: JSONValue?) {
        var shown: String?
        if let value {
            let text = JSONWriter.string(value, style: .compact)
            shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        }
        problems.append(FieldProblem(field: field, problem: problem, value: shown))
    }

    mutating func string(_ field: String, required: Bool = false) -> String? {
        switch object[field] {
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

    mutating func bool(_ field: String, required: Bool = false) -> Bool? {
        switch object[field] {
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

    mutating func number(_ field: String) -> Double? {
        switch object[field] {
        case .none, .null?:
            return nil
        case .number(let number)?:
            guard let value = number.double, value.isFinite else {
                complain(field, "is not a finite number", .number(number))
                return nil
            }
            return value
        case .string(let text)?:
            // Lenient: a number sent as a string is still a number; anything else is a problem.
            if let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite,
                JSONNumber(validating: text.trimmingCharacters(in: .whitespaces)) != nil
            {
                return value
            }
            complain(field, "is not a number", .string(text))
            return nil
        case let other?:
            complain(field, "is not a number", other)
            return nil
        }
    }

    mutating func timestamp(_ field: String, required: Bool = false) -> Double? {
        switch object[field] {
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
            return seconds
        case let other?:
            complain(field, "is not a timestamp string", other)
            return nil
        }
    }
}
