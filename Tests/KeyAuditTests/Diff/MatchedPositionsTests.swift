import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditSnapshot

/// The audit and the diff find each current key's previous key once, by walking the two sorted lists
/// (``PreviousSnapshot/positions(of:)``). Keys in any other order, listed twice or missing on either side must
/// give what a search per key gives.
@Suite("Current keys matched with previous keys")
struct MatchedPositionsTests {
    static let now = PreviousSnapshotTests.now
    static let yesterday = now.addingTimeInterval(-86_400)
    static func hash(_ n: Int) -> String { PreviousSnapshotTests.hash(n) }

    static func object(_ n: Int, _ set: [(String, JSONValue)] = []) -> JSONObject {
        var object = JSONObject([
            ("hash", .string(hash(n))), ("name", .string("key-\(n)")), ("disabled", false), ("limit", 100),
            ("limit_remaining", 80), ("limit_reset", "monthly"), ("usage", 20), ("byok_usage", 0),
            ("created_at", "2026-10-01T08:00:00Z"), ("updated_at", "2026-11-20T08:00:00Z"), ("expires_at", nil),
            ("workspace_id", "ws-1"), ("last_used_at", "2026-11-26T10:00:00Z"),
        ])
        for (field, value) in set { object[field] = value }
        return object
    }

    static func snapshot(_ objects: [JSONObject], takenAt: Date) -> Snapshot {
        Snapshot(
            takenAt: takenAt, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces), previous: nil,
            keys: objects.map(KeyRecord.init))
    }

    /// Yesterday: keys 2 to 7; 2 without a limit, 3 stale, 5 disabled with usage.
    static func previous() -> Snapshot {
        snapshot(
            [
                object(2, [("limit", nil)]), object(3, [("updated_at", "2025-01-01T00:00:00Z")]), object(4),
                object(5, [("disabled", true), ("usage", 9)]), object(6), object(7, [("limit", nil)]),
            ], takenAt: yesterday)
    }

    /// Today: 1 and 8 are new, 6 and 7 are gone; 2 got a limit (resolved), 3 is still stale, 4 lost its limit
    /// (new) and spent, 5 is still disabled with usage.
    static func current() -> Snapshot {
        snapshot(
            [
                object(8, [("limit", nil)]), object(1), object(2), object(3, [("updated_at", "2025-01-01T00:00:00Z")]),
                object(4, [("limit", nil), ("usage", 35)]), object(5, [("disabled", true), ("usage", 9)]),
            ], takenAt: now)
    }

    /// What a search per key answers.
    static func searched(_ keys: [KeyRecord], in previous: PreviousSnapshot) -> [Int] {
        keys.map { key in previous.keys.firstIndex { $0.identity == key.identity } ?? -1 }
    }

    @Test("the walk finds what a search per key finds: in order, reversed, shuffled, twice, missing, empty")
    func positions() {
        let previous = PreviousSnapshot(Self.previous(), policy: Policy(), now: Self.now)
        let keys = Self.current().keys
        #expect(keys.map(\.identity) == keys.map(\.identity).sorted(), "a snapshot keeps its keys sorted")
        var generator = SystemRandomNumberGenerator()
        let lists: [[KeyRecord]] = [
            keys, keys.reversed(), keys.shuffled(using: &generator), keys + keys, [keys[2], keys[2], keys[3]],
            [keys[0]], [], Self.previous().keys,
            Self.snapshot([Self.object(9), Self.object(10)], takenAt: Self.now).keys,
        ]
        for list in lists {
            #expect(previous.positions(of: list) == Self.searched(list, in: previous), "\(list.map(\.name))")
        }
        #expect(previous.positions(of: keys).map { $0 >= 0 } == [false, true, true, true, true, false])
        let empty = PreviousSnapshot(Self.snapshot([], takenAt: Self.yesterday), policy: Policy(), now: Self.now)
        #expect(empty.positions(of: keys) == Array(repeating: -1, count: keys.count))
    }

    /// The audit and the diff of `current` against the previous snapshot (read against `current` or not).
    static func run(_ current: Snapshot, condensedAgainst: Snapshot?) -> (AuditResult, SnapshotDiff) {
        let previous = PreviousSnapshot(Self.previous(), policy: Policy(), now: Self.now, against: condensedAgainst)
        let audit = Auditor.audit(current, history: AuditHistory(keys: previous), policy: Policy(), now: Self.now)
        let diff = SnapshotDiff.compare(
            previous: previous, from: .init(path: "a/snapshot.json", takenAt: Self.yesterday, sha256: "a"),
            previousFirstSeen: nil, current: current,
            to: .init(path: "b/snapshot.json", takenAt: Self.now, sha256: "b"), audit: audit)
        return (audit, diff)
    }

    @Test("the audit and the diff are the same whether the current keys are sorted or not")
    func anyOrder() {
        let sorted = Self.current()
        let (audit, diff) = Self.run(sorted, condensedAgainst: sorted)
        // What the fixture is built to show, so that an equality below cannot hold by being empty.
        #expect(diff.added.map(\.hash).sorted() == [Self.hash(1), Self.hash(8)])
        #expect(diff.removed.map(\.hash) == [Self.hash(6), Self.hash(7)])
        #expect(diff.changed.map(\.hash) == [Self.hash(2), Self.hash(4)])
        #expect(diff.spend.keys.map(\.hash) == [Self.hash(4)])
        #expect(
            diff.findings.resolved == ["no-limit:\(Self.hash(2))", "no-limit:\(Self.hash(7))"],
            "\(diff.findings.resolved)")
        #expect(diff.findings.persisting.contains("stale-key:\(Self.hash(3))"))
        #expect(diff.findings.persisting.contains("disabled-with-usage:\(Self.hash(5))"))
        #expect(diff.findings.new.contains("no-limit:\(Self.hash(4))"))
        #expect(audit.findings.first { $0.id == "stale-key:\(Self.hash(3))" }?.firstSeen == Self.yesterday)
        #expect(audit.findings.first { $0.id == "no-limit:\(Self.hash(4))" }?.status == .new)

        var generator = SystemRandomNumberGenerator()
        for order in 0..<4 {
            var other = sorted
            other.keys = order == 0 ? sorted.keys.reversed() : sorted.keys.shuffled(using: &generator)
            for against in [nil, other] {
                let (otherAudit, otherDiff) = Self.run(other, condensedAgainst: against)
                #expect(otherAudit.findings.map(\.id) == audit.findings.map(\.id))
                #expect(otherAudit.findings.map(\.status) == audit.findings.map(\.status))
                #expect(otherAudit.findings.map(\.firstSeen) == audit.findings.map(\.firstSeen))
                #expect(Set(otherDiff.added.map(\.hash)) == Set(diff.added.map(\.hash)))
                #expect(otherDiff.removed.map(\.hash) == diff.removed.map(\.hash))
                #expect(Set(otherDiff.changed.map(\.hash)) == Set(diff.changed.map(\.hash)))
                #expect(Set(otherDiff.spend.keys.map(\.hash)) == Set(diff.spend.keys.map(\.hash)))
                #expect(otherDiff.spend.usageGrowth == diff.spend.usageGrowth)
                #expect(otherDiff.findings.new == diff.findings.new)
                #expect(otherDiff.findings.resolved == diff.findings.resolved)
                #expect(otherDiff.findings.persisting == diff.findings.persisting)
            }
        }
    }

    @Test("a key listed twice among the current keys: a rule either copy still matches is not resolved")
    func listedTwice() {
        var current = Self.current()
        // Key 2 twice: once as today (with a limit), once as yesterday (no limit): no-limit still matches it.
        current.keys.append(KeyRecord(Self.object(2, [("limit", nil)])))
        let (audit, diff) = Self.run(current, condensedAgainst: nil)
        #expect(audit.findings.contains { $0.id == "no-limit:\(Self.hash(2))" })
        #expect(diff.findings.resolved == ["no-limit:\(Self.hash(7))"])
        #expect(!diff.removed.map(\.hash).contains(Self.hash(2)))
    }
}
