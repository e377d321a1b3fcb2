import Foundation

/// Formatting for people: money (and, in reports, counts and times; see `Timestamp.display`).
package enum HumanReadable {
    /// `$1,234.56`; an amount beyond what a `Double` counts to the cent (a sum of huge values) is shown in
    /// scientific notation (`$1.0e+19`) rather than converted to an integer, which would trap.
    package static func money(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let cents = (abs(value) * 100).rounded()
        guard let whole = Checked.int(exactly: cents), whole <= 1 << 53 else {
            return (value < 0 ? "-$" : "$") + String(format: "%.1e", abs(value))
        }
        let dollars = whole / 100
        let rest = whole % 100
        var digits = String(dollars)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        let sign = value < 0 && cents > 0 ? "-" : ""
        return "\(sign)$\(digits)\(grouped).\(rest < 10 ? "0" : "")\(rest)"
    }

    /// A count with thousands separators: `100,000`.
    package static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}
