/// A set of rules by their position in a rule list: which rules matched one key.
///
/// Kept per key for every key of the previous snapshot (100,000 of them), so the first 64 positions live in one
/// word inline and only a catalog of more rules than that pays for an array. There is no upper bound: a 17th or
/// a 70th rule is counted like the first (a fixed-width mask would silently drop it, and with it first_seen and
/// resolved findings).
package struct RuleSet: Sendable, Hashable {
    private var low: UInt64 = 0
    /// Positions from 64 on, 64 to a word; empty (no allocation) for the catalog keyaudit ships.
    private var high: [UInt64] = []

    package init() {}

    package var isEmpty: Bool { low == 0 && high.allSatisfy { $0 == 0 } }

    package mutating func insert(_ position: Int) {
        precondition(position >= 0, "rule positions start at 0")
        if position < 64 {
            low |= 1 << position
            return
        }
        let word = position / 64 - 1
        if high.count <= word { high.append(contentsOf: repeatElement(0, count: word + 1 - high.count)) }
        high[word] |= 1 << (position % 64)
    }

    package func contains(_ position: Int) -> Bool {
        guard position >= 0 else { return false }
        if position < 64 { return low & (1 << position) != 0 }
        let word = position / 64 - 1
        return word < high.count && high[word] & (1 << (position % 64)) != 0
    }

    /// Adds every position of `other`.
    package mutating func formUnion(_ other: RuleSet) {
        low |= other.low
        if high.count < other.high.count {
            high.append(contentsOf: repeatElement(0, count: other.high.count - high.count))
        }
        for (word, bits) in other.high.enumerated() { high[word] |= bits }
    }

    /// The positions in the set, ascending.
    package var positions: [Int] {
        var result: [Int] = []
        for (index, word) in ([low] + high).enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << bit) != 0 { result.append(index * 64 + bit) }
        }
        return result
    }

    package static func == (lhs: RuleSet, rhs: RuleSet) -> Bool {
        lhs.low == rhs.low && lhs.trimmedHigh == rhs.trimmedHigh
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(low)
        hasher.combine(trimmedHigh)
    }

    private var trimmedHigh: ArraySlice<UInt64> {
        var end = high.count
        while end > 0 && high[end - 1] == 0 { end -= 1 }
        return high[0..<end]
    }
}

/// The key rules of a catalog by position: what each position of a ``RuleSet`` stands for.
package struct RulePositions: Sendable {
    /// The key-scope rules, in catalog order.
    package let rules: [Rule]
    private let positions: [String: Int]

    package init(_ catalog: [Rule]) {
        rules = catalog.filter { $0.scope == .key }
        positions = Dictionary(rules.enumerated().map { ($1.id, $0) }) { first, _ in first }
    }

    /// keyaudit's own catalog.
    package static let catalog = RulePositions(RuleCatalog.all)

    /// The position of key rule `id`; nil for a snapshot rule or an unknown id.
    package func position(of id: String) -> Int? { positions[id] }
}
