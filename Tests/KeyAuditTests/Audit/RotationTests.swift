import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditSnapshot

@Suite("Rotation")
struct RotationTests {
    static let now = Date(timeIntervalSince1970: 1_795_694_400)  // 2026-11-26T12:00:00Z
    static let day = 86_400.0

    static func hash(_ n: Int) -> String { String(repeating: String(format: "%02x", n), count: 32) }

    static func key(
        _ n: Int, rotatedFrom: Int? = nil, createdDaysAgo: Double = 100, disabled: Bool = false
    ) -> KeyRecord {
        var object = JSONObject([
            ("hash", .string(hash(n))), ("name", .string("key-\(n)")), ("disabled", .bool(disabled)),
            ("limit", 10), ("limit_reset", "monthly"),
            ("created_at", .string(Timestamp.format(now.addingTimeInterval(-createdDaysAgo * day)))),
            ("updated_at", .string(Timestamp.format(now.addingTimeInterval(-5 * day)))),
        ])
        if let rotatedFrom { object["rotated_from_hash"] = .string(hash(rotatedFrom)) }
        return KeyRecord(object)
    }

    static func snapshot(_ keys: [KeyRecord], at date: Date = now) -> Snapshot {
        Snapshot(
            takenAt: date, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces), previous: nil,
            keys: keys)
    }

    static func flagged(_ keys: [KeyRecord], policy: Policy = Policy()) -> [String] {
        Auditor.audit(snapshot(keys), policy: policy, now: now).findings.filter {
            $0.rule == "rotated-predecessor-active"
        }.compactMap(\.keyHash)
    }

    @Test("an enabled key rotated into a successor older than the grace period is flagged, with its successor")
    func flagsTheEnabledPredecessor() throws {
        // 1 → 2 ten days ago (flagged); 3 → 4 three days ago (in grace); 5 (disabled) → 6 (not flagged).
        let keys = [
            Self.key(1), Self.key(2, rotatedFrom: 1, createdDaysAgo: 10), Self.key(3),
            Self.key(4, rotatedFrom: 3, createdDaysAgo: 3), Self.key(5, disabled: true),
            Self.key(6, rotatedFrom: 5, createdDaysAgo: 30),
        ]
        #expect(Self.flagged(keys) == [Self.hash(1)])
        let finding = try #require(
            Auditor.audit(Self.snapshot(keys), policy: Policy(), now: Self.now).findings.first {
                $0.rule == "rotated-predecessor-active"
            })
        #expect(finding.severity == .medium)
        #expect(finding.evidence["successor_hash"] == .string(Self.hash(2)))
        #expect(finding.evidence["rotated_days_ago"] == 10)
        #expect(finding.message.contains("key-2"))
        var policy = Policy()
        policy.thresholds.rotationGraceDays = 2
        #expect(Set(Self.flagged(keys, policy: policy)) == [Self.hash(1), Self.hash(3)])
    }

    @Test("a rotation rolled back (successor disabled) or a successor that expired leaves the predecessor alone")
    func unusableSuccessor() throws {
        // 7 → 8 disabled (rolled back); 9 → 10 expired yesterday: 7 and 9 are the keys that work.
        var expired = Self.key(10, rotatedFrom: 9, createdDaysAgo: 30).raw
        expired["expires_at"] = .string(Timestamp.format(Self.now.addingTimeInterval(-86_400)))
        let keys = [
            Self.key(7), Self.key(8, rotatedFrom: 7, createdDaysAgo: 30, disabled: true), Self.key(9),
            KeyRecord(expired),
        ]
        #expect(Self.flagged(keys).isEmpty)
    }

    @Test("a predecessor missing from the snapshot, a self-reference or an unreadable date flag nothing")
    func oddRotations() {
        let selfReference = Self.key(7, rotatedFrom: 7, createdDaysAgo: 30)
        var broken = Self.key(9, rotatedFrom: 8).raw
        broken["created_at"] = "yesterday"
        #expect(Self.flagged([selfReference, Self.key(8), KeyRecord(broken), Self.key(10, rotatedFrom: 99)]).isEmpty)
    }

    @Test("the previous snapshot read from a file marks the rule even when the successor comes after it")
    func previousSnapshotKnowsRotations() throws {
        let yesterday = Self.now.addingTimeInterval(-Self.day)
        let before = Self.snapshot([Self.key(1), Self.key(2, rotatedFrom: 1, createdDaysAgo: 10)], at: yesterday)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rotation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("snapshot.json").path
        try Data(before.encoded()).write(to: URL(fileURLWithPath: path))
        let loaded = try PreviousSnapshot.load(path: path, policy: Policy(), now: Self.now).snapshot
        #expect(loaded.matched(rule: "rotated-predecessor-active", identity: Self.hash(1)))
        #expect(!loaded.matched(rule: "rotated-predecessor-active", identity: Self.hash(2)))
        // Today the predecessor is disabled: the finding is resolved.
        let today = Self.snapshot([Self.key(1, disabled: true), Self.key(2, rotatedFrom: 1, createdDaysAgo: 11)])
        let audit = Auditor.audit(today, history: AuditHistory(keys: loaded), policy: Policy(), now: Self.now)
        let diff = SnapshotDiff.compare(
            previous: loaded, from: .init(path: "a", takenAt: yesterday, sha256: ""), previousFirstSeen: nil,
            current: today, to: .init(path: "b", takenAt: Self.now, sha256: ""), audit: audit)
        #expect(diff.findings.resolved.contains("rotated-predecessor-active:\(Self.hash(1))"))
    }
}
