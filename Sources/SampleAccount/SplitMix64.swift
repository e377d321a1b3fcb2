import Foundation

/// SplitMix64: a small, fast generator that gives the same sequence on every platform (the demo account and
/// the benchmark's accounts must be the same everywhere).
package struct SplitMix64: Sendable {
    package var state: UInt64

    package init(state: UInt64) { self.state = state }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    package mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// Uniform in [0, 1).
    package mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    package mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

extension SplitMix64 {
    /// `count` lower-case hexadecimal digits.
    package mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<count).map { _ in digits[below(16)] }, as: UTF8.self)
    }

    /// `count` characters of [0-9A-Za-z].
    package mutating func base62(_ count: Int) -> String {
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        return String(decoding: (0..<count).map { _ in digits[below(62)] }, as: UTF8.self)
    }
}
