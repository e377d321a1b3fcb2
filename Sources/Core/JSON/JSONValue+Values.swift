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
