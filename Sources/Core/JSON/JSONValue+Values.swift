import Foundation

/// Values keyaudit writes often: times in its own format, money and counts.
extension JSONValue {
    package static func seconds(_ value: Double?) -> JSONValue {
        value.map { .string(Timestamp.format(Date(timeIntervalSince1970: $0))) } ?? .null
    }
    package static func money(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    /// A finite number, or null (JSON has no NaN or infinity).
    package static func double(_ value: Double) -> JSONValue { JSONNumber(value).map { .number($0) } ?? .null }
    package static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
}

extension JSONValue {
    /// Equality that compares numbers by value (`10` and `10.0` are the same limit).
    package func sameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)):
            return a.text == b.text || (a.double != nil && a.double == b.double)
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count
                && zip(a.keys, a.values).allSatisfy { key, value in b[key].map { value.sameValue(as: $0) } ?? false }
        default:
            return self == other
        }
    }
}

extension JSONValue {
    /// The first member name that appears twice in one object, anywhere in this value, or nil. Readers disagree
    /// on such an object (this parser keeps both, jq and Python the last), so a file a person reviews with other
    /// tools before keyaudit acts on it must not have one. Recursion is bounded by the parser's nesting limit.
    package func firstRepeatedMember() -> String? {
        switch self {
        case .object(let object):
            var seen = Set<String>()
            for name in object.keys where !seen.insert(name).inserted { return name }
            for value in object.values {
                if let name = value.firstRepeatedMember() { return name }
            }
            return nil
        case .array(let items):
            for item in items {
                if let name = item.firstRepeatedMember() { return name }
            }
            return nil
        default:
            return nil
        }
    }
}
