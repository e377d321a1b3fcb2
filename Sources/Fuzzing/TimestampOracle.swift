import Foundation
import KeyAuditCore

/// `Timestamp.parse` compared with an independent reading of the RFC 3339 date-times the API sends:
/// `YYYY-MM-DD`, `T` (or `t` or a space), `hh:mm:ss`, an optional fraction, then `Z` (or `z`) or `±hh:mm`.
///
/// The oracle reads the fields with a regular expression and counts days year by year (keyaudit uses Howard
/// Hinnant's closed form), so a shared mistake is unlikely. Both must accept the same texts (years 0000 to 9999,
/// real days of the month, hours below 24, minutes below 60, seconds up to 60 for a leap second, offsets below
/// 24:00) and give the same instant to the microsecond. A parsed instant must also format and parse back to
/// the same whole second.
package enum TimestampOracle {
    package static func check(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        // Invalid UTF-8 is replaced by U+FFFD in `text`; keyaudit's parser sees the bytes, the oracle the text.
        let ours = bytes.withUnsafeBufferPointer { Timestamp.parse(bytes: $0) }
        let expected = String(validating: bytes, as: UTF8.self).flatMap(reference)
        switch (ours, expected) {
        case (nil, nil):
            return nil
        case (let value?, nil):
            return "timestamp: keyaudit read \(text.debugDescription) as \(value), the oracle refuses it"
        case (nil, let value?):
            return "timestamp: keyaudit refused \(text.debugDescription), the oracle reads \(value)"
        case (let value?, let reference?):
            guard abs(value - reference) < 1e-6 * max(1, abs(reference) / 1e9) else {
                return "timestamp: \(text.debugDescription) read as \(value), the oracle says \(reference)"
            }
            let whole = value.rounded(.down)
            let formatted = Timestamp.format(Date(timeIntervalSince1970: whole))
            if whole >= -62_167_219_200, whole <= 253_402_300_799, Timestamp.parse(formatted) != whole {
                return "timestamp: \(formatted) (formatted from \(text.debugDescription)) does not read back"
            }
            return nil
        }
    }

    static let pattern = try! NSRegularExpression(
        pattern:
            #"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\z"#
    )

    static func reference(_ text: String) -> Double? {
        let range = NSRange(text.startIndex..., in: text)
        guard let match = pattern.firstMatch(in: text, range: range) else { return nil }
        func group(_ index: Int) -> String? {
            Range(match.range(at: index), in: text).map { String(text[$0]) }
        }
        func number(_ index: Int) -> Int? {
            guard let digits = group(index), let value = Int(digits) else { return nil }
            return value
        }
        guard let year = number(1), let month = number(2), let day = number(3), let hour = number(4),
            let minute = number(5), let second = number(6)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...lengths[month - 1]).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var offset = 0
        if let zone = group(8), zone.count == 6 {
            let sign = zone.hasPrefix("-") ? -1 : 1
            guard let hours = Int(zone.dropFirst().prefix(2)), let minutes = Int(zone.suffix(2)), hours < 24,
                minutes < 60
            else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        // Days from 1970-01-01, year by year.
        func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }
        var days = 0
        if year >= 1970 {
            for current in 1970..<year { days += isLeap(current) ? 366 : 365 }
        } else {
            for current in year..<1970 { days -= isLeap(current) ? 366 : 365 }
        }
        for index in 0..<(month - 1) { days += lengths[index] }
        days += day - 1
        let fraction = group(7).flatMap { Double("0" + $0) } ?? 0
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }
}
