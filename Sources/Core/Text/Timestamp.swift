import Foundation

/// RFC 3339 timestamps as the API sends them (`2025-08-24T10:30:00Z`, `2025-02-19T20:52:27.363244+00:00`),
/// parsed by hand: Foundation's ISO8601DateFormatter costs microseconds per call and allocates, and a
/// 100,000-key snapshot holds several hundred thousand timestamps.
package enum Timestamp {
    /// Seconds since 1970 (UTC), or nil when `text` is not an RFC 3339 date-time.
    package static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    package static func date(_ text: String) -> Date? {
        parse(text).map { Date(timeIntervalSince1970: $0) }
    }

    package static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let count = bytes.count
        func digits(_ n: Int) -> Int? {
            guard index + n <= count else { return nil }
            var value = 0
            for _ in 0..<n {
                let byte = bytes[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else {
            return nil
        }
        guard index < count, bytes[index] == 84 || bytes[index] == 116 || bytes[index] == 32 else { return nil }
        index += 1
        guard let hour = digits(2), expect(58), let minute = digits(2), expect(58), let second = digits(2) else {
            return nil
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
            second <= 60
        else { return nil }
        var fraction = 0.0
        if index < count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            let start = index
            while index < count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds = 0
        guard index < count else { return nil }
        switch bytes[index] {
        case 90, 122:  // Z z
            index += 1
        case 43, 45:  // + -
            let sign = bytes[index] == 45 ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(58), let offsetMinutes = digits(2), offsetHours < 24,
                offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        default:
            return nil
        }
        guard index == count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Double(seconds) + fraction
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `2026-11-26T12:00:00Z` (whole seconds, UTC): how keyaudit writes every timestamp of its own.
    ///
    /// Written into one 20-byte string: the rules format a time for every key they match (while the previous
    /// snapshot is read, too), and thirteen concatenations cost most of that.
    package static func format(_ date: Date) -> String {
        let (y, mo, d, h, mi, s) = components(date)
        guard (0...9999).contains(y) else {
            return digits(y, 4) + "-" + digits(mo, 2) + "-" + digits(d, 2) + "T" + digits(h, 2) + ":" + digits(mi, 2)
                + ":" + digits(s, 2) + "Z"
        }
        return String(unsafeUninitializedCapacity: 20) { buffer in
            var index = 0
            func put(_ value: Int, _ width: Int) {
                var rest = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[index + offset] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                    rest /= 10
                }
                index += width
            }
            func put(_ byte: Unicode.Scalar) {
                buffer[index] = UInt8(truncatingIfNeeded: byte.value)
                index += 1
            }
            put(y, 4)
            put("-")
            put(mo, 2)
            put("-")
            put(d, 2)
            put("T")
            put(h, 2)
            put(":")
            put(mi, 2)
            put(":")
            put(s, 2)
            put("Z")
            return index
        }
    }

    /// `20261126T120000Z`: the run folder's name.
    package static func compact(_ date: Date) -> String {
        let (y, mo, d, h, mi, s) = components(date)
        return digits(y, 4) + digits(mo, 2) + digits(d, 2) + "T" + digits(h, 2) + digits(mi, 2) + digits(s, 2) + "Z"
    }

    /// `2026-11-26 12:00 UTC`: for people reading a report.
    package static func display(_ date: Date) -> String {
        let (y, mo, d, h, mi, _) = components(date)
        return digits(y, 4) + "-" + digits(mo, 2) + "-" + digits(d, 2) + " " + digits(h, 2) + ":" + digits(mi, 2)
            + " UTC"
    }

    /// Zero-padded decimal; String(format:) goes through Foundation's formatter, which costs microseconds a call.
    @inline(__always)
    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.utf8.count >= width ? text : String(repeating: "0", count: width - text.utf8.count) + text
    }

    /// The earliest and latest instants formatted as they are (0000-01-01 and 9999-12-31T23:59:59Z); a date
    /// outside is shown as the nearer bound (keyaudit's own clock and the timestamps it parses never are).
    static let representable = -62_167_219_200...253_402_300_799

    static func components(_ date: Date) -> (Int, Int, Int, Int, Int, Int) {
        let total = Checked.clampedInt(date.timeIntervalSince1970.rounded(.down), to: representable)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondsOfDay = total - days * 86_400
        // civil_from_days (Howard Hinnant)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondsOfDay / 3600, (secondsOfDay % 3600) / 60, secondsOfDay % 60)
    }
}
