import Foundation

/// Conversions of numbers into integers and durations that never trap.
///
/// Swift's `Int(someDouble)`, `Int64(x * 1000)`, `UInt32(someInt)` and `.milliseconds(Int64(…))` stop the process
/// (SIGILL) when the value does not fit, and a finite `Double` as small as `1e19` does not fit in an `Int`. Every
/// number keyaudit did not compute itself (API JSON, files it wrote earlier, flags, headers such as `Retry-After`,
/// the environment) reaches an integer only through here; each function answers nil when the value cannot be
/// represented, and the caller decides what that means: a key's field is kept as received and flagged
/// (`unreadable-data`), a file keyaudit wrote earlier is corrupt, a flag is a usage error (64).
///
/// `CheckedConversionTests` scans `Sources/` and fails when a trapping conversion appears anywhere else.
package enum Checked {
    /// The integer `value` is exactly, or nil when it has a fraction, is not finite or does not fit in `Int`.
    package static func int(exactly value: Double) -> Int? { Int(exactly: value) }

    /// `value` rounded by `rule`, or nil when the result is not finite or does not fit in `Int`.
    package static func int(_ value: Double, rounding rule: FloatingPointRoundingRule) -> Int? {
        Int(exactly: value.rounded(rule))
    }

    /// `value` as an `Int`, or nil when it does not fit (a `UInt64` above `Int.max`, say).
    package static func int<Source: BinaryInteger>(_ value: Source) -> Int? { Int(exactly: value) }

    /// The integer `value` is exactly, or nil when it has a fraction, is not finite or does not fit in `Int64`.
    package static func int64(exactly value: Double) -> Int64? { Int64(exactly: value) }

    /// `value` rounded by `rule`, or nil when the result is not finite or does not fit in `Int64`.
    package static func int64(_ value: Double, rounding rule: FloatingPointRoundingRule) -> Int64? {
        Int64(exactly: value.rounded(rule))
    }

    /// `value` as a `UInt32`, or nil when it is negative or above `UInt32.max`.
    package static func uint32<Source: BinaryInteger>(_ value: Source) -> UInt32? { UInt32(exactly: value) }

    /// `value` as an `Int32`, or nil when it does not fit.
    package static func int32<Source: BinaryInteger>(_ value: Source) -> Int32? { Int32(exactly: value) }

    /// `value` limited to `range`, then as an `Int`: for a figure that only needs to be shown (NaN gives the
    /// lower bound).
    package static func clampedInt(_ value: Double, to range: ClosedRange<Int>) -> Int {
        guard value.isFinite else { return value == .infinity ? range.upperBound : range.lowerBound }
        if value <= Double(range.lowerBound) { return range.lowerBound }
        if value >= Double(range.upperBound) { return range.upperBound }
        return Int(exactly: value.rounded(.towardZero)) ?? range.lowerBound
    }

    // MARK: - Durations

    /// The longest duration keyaudit accepts from outside (a flag, a header): one year. Far below where `Duration`
    /// arithmetic, `Int64` nanoseconds (292 years) or a deadline computed from the clock could overflow.
    package static let maximumSeconds: Double = 365 * 86_400

    /// `seconds` as a `Duration` to the millisecond, or nil when it is negative, not finite or longer than
    /// ``maximumSeconds``.
    package static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= maximumSeconds,
            let milliseconds = Int64(exactly: (seconds * 1000).rounded())
        else { return nil }
        return .milliseconds(milliseconds)
    }

    /// `duration` in whole nanoseconds, or nil when that does not fit in `Int64` (about 292 years) or is negative.
    package static func nanoseconds(_ duration: Duration) -> Int64? {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return nil }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowAgain ? nil : total
    }

    /// `duration` in seconds, as a `Double` (for messages and metrics; never traps).
    package static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
