import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditReport
@testable import KeyAuditRun
@testable import KeyAuditSampleAccount
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// Two hand-built snapshots of one account, a day apart, with one key per kind of change.
private enum DiffFixtures {
    /// 2026-11-26T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_694_400)
    static let yesterday = now.addingTimeInterval(-86_400)
    static let workspace = "c3a7e5d2-9f1b-4a6c-8e2d-2c3d4e5f6071"

    static func hash(_ n: Int) -> String { String(repeating: String(format: "%02x", n), count: 32) }

    static func num(_ text: String) -> JSONValue { .number(JSONNumber(validating: text)!) }

    static func object(
        _ n: Int, name: String? = nil, _ set: [(String, JSONValue)] = [], remove: [String] = []
    ) -> JSONObject {
        var object = JSONObject([
            ("hash", .string(hash(n))), ("name", .string(name ?? "key-\(n)")), ("label", "sk-or-v1-0e6...1c96"),
            ("disabled", false), ("limit", 100), ("limit_remaining", 80), ("limit_reset", "monthly"),
            ("include_byok_in_limit", true), ("usage", 20), ("usage_daily", 1), ("usage_weekly", 5),
            ("usage_monthly", 20), ("byok_usage", 0), ("byok_usage_daily", 0), ("byok_usage_weekly", 0),
            ("byok_usage_monthly", 0), ("created_at", "2026-10-01T08:00:00Z"), ("updated_at", "2026-11-01T08:00:00Z"),
            ("expires_at", nil), ("creator_user_id", "user_carol"), ("workspace_id", .string(workspace)),
            ("last_used_at", "2026-11-26T10:00:00Z"),
        ])
        for (field, value) in set { object[field] = value }
        for field in remove { object[field] = nil }
        return object
    }

    // The keys, by number:
    //  1 unchanged                      2 renamed                        3 disabled
    //  4 limit removed (250 -> null)    5 limit_reset weekly -> monthly  6 include_byok true -> false, BYOK spend 3
    //  7 expires_at absent -> null      8 expires_at null -> absent      9 unknown field rate_tier added
    // 10 usage reset 50 -> 5           11 only volatile fields changed  12 limit 10 -> 10.0 (same value)
    // 13 expires_at moved              14 removed                       15 added
    // 16 limit_reset null -> absent    17 fields in another order, same values
    static func previousObjects() -> [JSONObject] {
        [
            object(1),
            object(2, name: "svc-billing-main"),
            object(3, [("disabled", false)]),
            object(4, [("limit", 250)]),
            object(5, [("limit_reset", "weekly")]),
            object(6, [("include_byok_in_limit", true), ("byok_usage", 0)]),
            object(7, remove: ["expires_at"]),
            object(8, [("expires_at", nil)]),
            object(9),
            object(10, [("usage", 50)]),
            object(11),
            object(12, [("limit", 10)]),
            object(13, [("expires_at", "2027-01-01T00:00:00Z")]),
            object(14, name: "customer-soylent-prod"),
            object(16, [("limit_reset", nil)]),
            object(17),
        ]
    }

    static func currentObjects() -> [JSONObject] {
        let reordered = object(17)
        return [
            object(1),
            object(2, name: "svc-billing-primary"),
            object(3, [("disabled", true)]),
            object(4, [("limit", nil), ("limit_remaining", nil)]),
            object(5, [("limit_reset", "monthly")]),
            object(6, [("include_byok_in_limit", false), ("byok_usage", 3)]),
            object(7, [("expires_at", nil)]),
            object(8, remove: ["expires_at"]),
            object(9, [("rate_tier", "gold")]),
            object(10, [("usage", 5)]),
            object(
                11,
                [
                    ("usage", 35), ("usage_daily", 15), ("usage_weekly", 19), ("usage_monthly", 35),
                    ("limit_remaining", 65),
                    ("updated_at", "2026-11-26T09:00:00Z"), ("last_used_at", "2026-11-26T11:59:00Z"),
                    ("byok_usage_daily", 1), ("byok_usage_weekly", 1), ("byok_usage_monthly", 1),
                ]),
            object(12, [("limit", num("10.0"))]),
            object(13, [("expires_at", "2027-02-01T00:00:00Z")]),
            object(15, name: "svc-summarizer-canary"),
            object(16, remove: ["limit_reset"]),
            JSONObject(zip(reordered.keys, reordered.values).reversed()),
        ]
    }

    static func snapshot(_ objects: [JSONObject], takenAt: Date?) -> Snapshot {
        Snapshot(
            takenAt: takenAt, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces), previous: nil,
            keys: objects.map(KeyRecord.init))
    }

    static let fromEndpoint = SnapshotDiff.Endpoint(
        path: "20261125T120000Z/snapshot.json", takenAt: yesterday, sha256: String(repeating: "1", count: 64))
    static let toEndpoint = SnapshotDiff.Endpoint(
        path: "20261126T120000Z/snapshot.json", takenAt: now, sha256: String(repeating: "2", count: 64))

    static let previousFindings: Set<String> = ["no-limit:x", "stale-key:y", "expired-not-deleted:z"]
    static let currentFindings: Set<String> = ["stale-key:y", "no-limit:w", "expired-not-deleted:z"]

    static func diff(
        previous: [JSONObject] = previousObjects(), current: [JSONObject] = currentObjects()
    ) -> SnapshotDiff {
        SnapshotDiff.compare(
            previous: snapshot(previous, takenAt: yesterday), from: fromEndpoint, previousFindingIDs: previousFindings,
            current: snapshot(current, takenAt: now), to: toEndpoint, currentFindingIDs: currentFindings)
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }
}

@Suite("Snapshot diff")
struct SnapshotDiffTests {

    private func keyChange(_ diff: SnapshotDiff, _ n: Int) -> SnapshotDiff.KeyChange? {
        diff.changed.first { $0.hash == DiffFixtures.hash(n) }
    }

    // MARK: - Keys added, removed, reconfigured

    @Test("added and removed keys, with hash, name and workspace")
    func addedRemoved() {
        let diff = DiffFixtures.diff()
        #expect(
            diff.added == [
                SnapshotDiff.KeyRef(
                    hash: DiffFixtures.hash(15), name: "svc-summarizer-canary", workspaceId: DiffFixtures.workspace)
            ])
        #expect(
            diff.removed == [
                SnapshotDiff.KeyRef(
                    hash: DiffFixtures.hash(14), name: "customer-soylent-prod", workspaceId: DiffFixtures.workspace)
            ])
    }

    @Test("exactly the reconfigured keys are listed, in hash order")
    func changedKeys() {
        let diff = DiffFixtures.diff()
        #expect(diff.changed.map(\.hash) == [2, 3, 4, 5, 6, 7, 8, 9, 13, 16].map(DiffFixtures.hash))
    }

    struct FieldCase: Sendable, CustomTestStringConvertible {
        var key: Int
        var field: String
        /// nil: the field was absent on that side.
        var from: JSONValue?
        var to: JSONValue?
        var testDescription: String { "key \(key): \(field)" }
    }

    static let fieldCases: [FieldCase] = [
        FieldCase(key: 2, field: "name", from: "svc-billing-main", to: "svc-billing-primary"),
        FieldCase(key: 3, field: "disabled", from: false, to: true),
        FieldCase(key: 4, field: "limit", from: 250, to: .null),
        FieldCase(key: 5, field: "limit_reset", from: "weekly", to: "monthly"),
        FieldCase(key: 6, field: "include_byok_in_limit", from: true, to: false),
        FieldCase(key: 7, field: "expires_at", from: nil, to: .null),
        FieldCase(key: 8, field: "expires_at", from: .null, to: nil),
        FieldCase(key: 9, field: "rate_tier", from: nil, to: "gold"),
        FieldCase(key: 13, field: "expires_at", from: "2027-01-01T00:00:00Z", to: "2027-02-01T00:00:00Z"),
        FieldCase(key: 16, field: "limit_reset", from: .null, to: nil),
    ]

    @Test("each configuration field change, null and absent kept distinct", arguments: fieldCases)
    func fieldChange(_ row: FieldCase) throws {
        let diff = DiffFixtures.diff()
        let change = try #require(keyChange(diff, row.key))
        // Only this field changed on this key (limit_remaining of key 4 is volatile).
        #expect(change.changes.map(\.field) == [row.field])
        let field = try #require(change.changes.first)
        #expect(field.from == row.from, "from \(field.from.map { "\($0)" } ?? "absent")")
        #expect(field.to == row.to, "to \(field.to.map { "\($0)" } ?? "absent")")
        #expect(change.workspaceId == DiffFixtures.workspace)
    }

    @Test("a renamed key is the same key: listed as changed under its new name, never added or removed")
    func rename() throws {
        let diff = DiffFixtures.diff()
        #expect(!diff.added.contains { $0.hash == DiffFixtures.hash(2) })
        #expect(!diff.removed.contains { $0.hash == DiffFixtures.hash(2) })
        let renamed = try #require(keyChange(diff, 2))
        #expect(renamed.name == "svc-billing-primary")
    }

    @Test("usage counters, limit_remaining, updated_at and last_used_at are not configuration")
    func volatileFieldsIgnored() {
        let diff = DiffFixtures.diff()
        #expect(keyChange(diff, 11) == nil)
        #expect(keyChange(diff, 10) == nil)  // usage went down: a spend matter, not a reconfiguration
        for entry in diff.changed {
            for field in entry.changes {
                #expect(
                    !KeyRecord.volatileFields.contains(field.field), "\(field.field) reported as a config change")
            }
        }
        #expect(
            KeyRecord.volatileFields == [
                "usage", "usage_daily", "usage_weekly", "usage_monthly", "byok_usage", "byok_usage_daily",
                "byok_usage_weekly", "byok_usage_monthly", "limit_remaining", "updated_at", "last_used_at",
            ])
    }

    @Test("the same number written differently (10 and 10.0) and fields in another order are no change")
    func sameValues() {
        let diff = DiffFixtures.diff()
        #expect(keyChange(diff, 12) == nil)
        #expect(keyChange(diff, 17) == nil)
        #expect(keyChange(diff, 1) == nil)
    }

    @Test("every remaining configuration field is compared: label, creator, workspace, external_user, created_at")
    func otherFields() throws {
        let before = [DiffFixtures.object(1)]
        let after = [
            DiffFixtures.object(
                1,
                [
                    ("label", "sk-or-v1-fff...0000"), ("creator_user_id", nil), ("workspace_id", "other"),
                    ("external_user", "cust-42"), ("created_at", "2026-10-02T08:00:00Z"),
                ])
        ]
        let diff = DiffFixtures.diff(previous: before, current: after)
        let change = try #require(diff.changed.first)
        #expect(
            change.changes.map(\.field) == ["label", "created_at", "creator_user_id", "workspace_id", "external_user"])
        #expect(change.changes.first { $0.field == "creator_user_id" }?.to == .null)
        #expect(change.changes.first { $0.field == "external_user" }?.from == nil)
    }

    // MARK: - Spend

    @Test("spend: growth of usage and BYOK usage per key and in total, over the elapsed time")
    func spend() throws {
        let diff = DiffFixtures.diff()
        #expect(diff.spend.elapsedSeconds == 86_400)
        #expect(diff.spend.usageGrowth == 15)  // key 11: 20 -> 35
        #expect(diff.spend.byokGrowth == 3)  // key 6: 0 -> 3
        #expect(diff.spend.total == 18)
        // Keys whose counters moved, in hash order; key 10 is listed because its counter went down.
        #expect(diff.spend.keys.map(\.hash) == [6, 10, 11].map(DiffFixtures.hash))
        let eleven = try #require(diff.spend.keys.first { $0.hash == DiffFixtures.hash(11) })
        #expect(eleven.usageFrom == 20)
        #expect(eleven.usageTo == 35)
        #expect(eleven.growth == 15)
        #expect(!eleven.counterWentDown)
        #expect(diff.spend.top(10).map(\.hash) == [11, 6].map(DiffFixtures.hash))
        #expect(diff.spend.top(1).map(\.hash) == [DiffFixtures.hash(11)])
    }

    @Test("a usage counter that went down is reported as a reset, never as negative spend")
    func usageReset() throws {
        let diff = DiffFixtures.diff()
        let reset = try #require(diff.spend.keys.first { $0.hash == DiffFixtures.hash(10) })
        #expect(reset.usageFrom == 50)
        #expect(reset.usageTo == 5)
        #expect(reset.counterWentDown)
        #expect(reset.growth == 0)
        #expect(diff.spend.counterResets.map(\.hash) == [DiffFixtures.hash(10)])
        #expect(!diff.spend.top(10).contains { $0.hash == DiffFixtures.hash(10) })
        #expect(diff.spend.total >= 0)
        #expect(diff.spend.usageGrowth == 15)  // not 15 - 45

        let document = try JSONParser.parse(diff.encoded())
        let entry = try #require(
            document["spend"]?["keys"]?.arrayValue?.first { $0["hash"] == .string(DiffFixtures.hash(10)) })
        #expect(entry["counter_went_down"] == true)
        #expect(entry["growth"] == 0)
        #expect(entry["usage_from"] == 50)
        #expect(entry["usage_to"] == 5)

        let summary = diff.textSummary()
        #expect(summary.contains("Usage counters that went down (reset or recreated key):"))
        #expect(summary.contains("\(DiffFixtures.hash(10).prefix(12))  key-10  usage $50.00 -> $5.00"))
        #expect(!summary.contains("-$"))
    }

    @Test("a BYOK counter that went down while usage grew: the usage growth counts, the BYOK drop does not")
    func mixedReset() throws {
        let diff = DiffFixtures.diff(
            previous: [DiffFixtures.object(1, [("usage", 10), ("byok_usage", 40)])],
            current: [DiffFixtures.object(1, [("usage", 12), ("byok_usage", 1)])])
        let spend = try #require(diff.spend.keys.first)
        #expect(spend.counterWentDown)
        #expect(spend.growth == 2)
        #expect(diff.spend.usageGrowth == 2)
        #expect(diff.spend.byokGrowth == 0)
        #expect(diff.spend.total == 2)
    }

    @Test("top spenders: the ten largest, largest first, ties by hash")
    func topSpenders() throws {
        let previous = (1...12).map { DiffFixtures.object($0, [("usage", 0)]) }
        let current = (1...12).map { n in DiffFixtures.object(n, [("usage", .number(JSONNumber(n == 12 ? 5 : n)))]) }
        let diff = DiffFixtures.diff(previous: previous, current: current)
        #expect(SnapshotDiff.topSpenders == 10)
        // Growth: key n spent n, except key 12 which spent 5 (a tie with key 5, broken by hash).
        #expect(diff.spend.top(10).map(\.hash) == [11, 10, 9, 8, 7, 6, 5, 12, 4, 3].map(DiffFixtures.hash))
        let document = try JSONParser.parse(diff.encoded())
        #expect(document["spend"]?["top"]?.arrayValue?.count == 10)
        #expect(document["spend"]?["keys"]?.arrayValue?.count == 12)
        #expect(document["spend"]?["total_growth"] == 71)
    }

    @Test("top spenders by one pass equal a full sort, for any count and any ties")
    func topSpendersMatchASort() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let keys = (0..<Int.random(in: 0...300, using: &generator)).map { index in
                SnapshotDiff.KeySpend(
                    hash: String(format: "%064x", Int.random(in: 0...1_000_000, using: &generator) * 1000 + index),
                    name: nil, usageFrom: 0, usageTo: Double(Int.random(in: -3...20, using: &generator)), byokFrom: 0,
                    byokTo: Double(Int.random(in: 0...2, using: &generator)))
            }
            let spend = SnapshotDiff.Spend(elapsedSeconds: nil, usageGrowth: 0, byokGrowth: 0, keys: keys)
            let sorted = keys.filter { $0.growth > 0 }.sorted {
                $0.growth != $1.growth ? $0.growth > $1.growth : $0.hash < $1.hash
            }
            for count in [0, 1, 3, 10, 500] {
                #expect(spend.top(count).map(\.hash) == sorted.prefix(count).map(\.hash))
            }
        }
    }

    @Test("elapsed time is unknown when either snapshot does not say when it was taken")
    func elapsedUnknown() throws {
        let diff = SnapshotDiff.compare(
            previous: DiffFixtures.snapshot([DiffFixtures.object(1)], takenAt: nil),
            from: .init(path: "keys.json", takenAt: nil, sha256: "a"), previousFindingIDs: [],
            current: DiffFixtures.snapshot([DiffFixtures.object(1)], takenAt: DiffFixtures.now),
            to: DiffFixtures.toEndpoint, currentFindingIDs: [])
        #expect(diff.spend.elapsedSeconds == nil)
        let document = try JSONParser.parse(diff.encoded())
        #expect(document["spend"]?["elapsed_seconds"] == .null)
        #expect(document["from"]?["taken_at"] == .null)
    }

    // MARK: - Findings

    @Test("finding ids: new, resolved and persisting, each sorted")
    func findingChanges() {
        let diff = DiffFixtures.diff()
        #expect(diff.findings.new == ["no-limit:w"])
        #expect(diff.findings.resolved == ["no-limit:x"])
        #expect(diff.findings.persisting == ["expired-not-deleted:z", "stale-key:y"])
    }

    @Test("finding ids are recomputed from the snapshots when a run folder has no findings.json")
    func findingsRecomputed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyaudit-difftests-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let old = directory.appendingPathComponent("20261125T120000Z")
        let new = directory.appendingPathComponent("20261126T120000Z")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: new, withIntermediateDirectories: true)
        // Key 4 loses its limit (a new no-limit); key 3 gets one back (a resolved no-limit).
        let before = DiffFixtures.snapshot(previousObjects(limitless: 3), takenAt: DiffFixtures.yesterday)
        let after = DiffFixtures.snapshot(previousObjects(limitless: 4), takenAt: DiffFixtures.now)
        try Data(before.encoded()).write(to: old.appendingPathComponent("snapshot.json"))
        try Data(after.encoded()).write(to: new.appendingPathComponent("snapshot.json"))
        let diff = StoredRun.diff(from: try StoredRun.load(old.path), to: try StoredRun.load(new.path))
        #expect(diff.findings.new == ["no-limit:\(DiffFixtures.hash(4))"])
        #expect(diff.findings.resolved == ["no-limit:\(DiffFixtures.hash(3))"])
        #expect(diff.findings.persisting.isEmpty)
        #expect(diff.from.sha256 == Checksum.sha256Hex(before.encoded()))
        #expect(diff.to.sha256 == Checksum.sha256Hex(after.encoded()))
    }

    private func previousObjects(limitless n: Int) -> [JSONObject] {
        (1...5).map {
            $0 == n ? DiffFixtures.object($0, [("limit", nil), ("limit_remaining", nil)]) : DiffFixtures.object($0)
        }
    }

    // MARK: - Identity and order

    @Test("a snapshot compared with itself is empty")
    func selfDiff() throws {
        let snapshot = DiffFixtures.snapshot(DiffFixtures.currentObjects(), takenAt: DiffFixtures.now)
        let ids: Set<String> = ["no-limit:a", "stale-key:b"]
        let diff = SnapshotDiff.compare(
            previous: snapshot, from: DiffFixtures.toEndpoint, previousFindingIDs: ids, current: snapshot,
            to: DiffFixtures.toEndpoint,
            currentFindingIDs: ids)
        #expect(diff.isEmpty)
        #expect(diff.added.isEmpty)
        #expect(diff.removed.isEmpty)
        #expect(diff.changed.isEmpty)
        #expect(diff.spend.keys.isEmpty)
        #expect(diff.spend.total == 0)
        #expect(diff.spend.elapsedSeconds == 0)
        #expect(diff.findings.new.isEmpty)
        #expect(diff.findings.resolved.isEmpty)
        #expect(diff.findings.persisting == ["no-limit:a", "stale-key:b"])
        let summary = diff.textSummary()
        #expect(
            summary.contains(
                "0 added, 0 removed, 0 reconfigured; spend $0.00; findings 0 new, 0 resolved, 2 persisting"))
        #expect(!summary.contains("Added:"))
        #expect(!summary.contains("Reconfigured:"))
    }

    @Test("the same keys listed in another order give a byte-identical diff.json")
    func orderIndependence() throws {
        func file(_ objects: [JSONObject]) -> [UInt8] {
            Array("{\"data\": [\(objects.map { JSONWriter.string(.object($0)) }.joined(separator: ","))]}".utf8)
        }
        func diff(_ previous: [JSONObject], _ current: [JSONObject]) throws -> [UInt8] {
            let old = try Snapshot.decode(file(previous), origin: "old.json")
            let new = try Snapshot.decode(file(current), origin: "new.json")
            return SnapshotDiff.compare(
                previous: old, from: DiffFixtures.fromEndpoint, previousFindingIDs: DiffFixtures.previousFindings,
                current: new,
                to: DiffFixtures.toEndpoint,
                currentFindingIDs: DiffFixtures.currentFindings
            ).encoded()
        }
        let inOrder = try diff(DiffFixtures.previousObjects(), DiffFixtures.currentObjects())
        func permuted(_ objects: [JSONObject]) -> [JSONObject] {
            (0..<objects.count).map { objects[($0 * 7) % objects.count] }
        }
        // 7 is coprime with 16: a permutation.
        #expect(DiffFixtures.currentObjects().count == 16 && DiffFixtures.previousObjects().count == 16)
        let shuffled = try diff(DiffFixtures.previousObjects().reversed(), permuted(DiffFixtures.currentObjects()))
        #expect(inOrder == shuffled)
        #expect(inOrder == DiffFixtures.diff().encoded())
    }

    // MARK: - diff.json

    @Test("diff.json has the documented fields, and absent sides are named")
    func document() throws {
        let diff = DiffFixtures.diff()
        let document = try JSONParser.parse(diff.encoded())
        #expect(
            document.objectValue?.keys == [
                "schema_version", "from", "to", "added", "removed", "changed", "spend", "findings",
            ])
        #expect(document["schema_version"] == 1)
        #expect(document["from"]?.objectValue?.keys == ["path", "taken_at", "sha256"])
        #expect(document["from"]?["path"] == "20261125T120000Z/snapshot.json")
        #expect(document["from"]?["taken_at"] == "2026-11-25T12:00:00Z")
        #expect(document["from"]?["sha256"] == .string(String(repeating: "1", count: 64)))
        #expect(document["to"]?["taken_at"] == "2026-11-26T12:00:00Z")
        #expect(document["added"]?[0]?.objectValue?.keys == ["hash", "name", "workspace_id"])
        #expect(document["added"]?[0]?["name"] == "svc-summarizer-canary")
        #expect(document["removed"]?[0]?["hash"] == .string(DiffFixtures.hash(14)))

        let changed = try #require(document["changed"]?.arrayValue)
        #expect(changed.count == 10)
        for entry in changed { #expect(entry.objectValue?.keys == ["hash", "name", "changes"]) }
        func changes(_ n: Int) -> JSONValue? {
            changed.first { $0["hash"] == .string(DiffFixtures.hash(n)) }?["changes"]
        }
        #expect(changes(2)?["name"] == ["from": "svc-billing-main", "to": "svc-billing-primary"])
        #expect(changes(4)?["limit"] == ["from": 250, "to": nil])
        #expect(changes(7)?["expires_at"] == ["from_absent": true, "to": nil])
        #expect(changes(8)?["expires_at"] == ["from": nil, "to_absent": true])
        #expect(changes(9)?["rate_tier"] == ["from_absent": true, "to": "gold"])
        #expect(changes(16)?["limit_reset"] == ["from": nil, "to_absent": true])

        let spend = try #require(document["spend"]?.objectValue)
        #expect(spend.keys == ["elapsed_seconds", "usage_growth", "byok_usage_growth", "total_growth", "top", "keys"])
        #expect(document["spend"]?["elapsed_seconds"] == 86400)
        #expect(document["spend"]?["total_growth"] == 18)
        #expect(
            document["spend"]?["top"]?[0]?.objectValue?.keys == [
                "hash", "name", "usage_from", "usage_to", "byok_usage_from", "byok_usage_to", "growth",
                "counter_went_down",
            ])
        #expect(document["findings"]?.objectValue?.keys == ["new", "resolved", "persisting"])
        #expect(document["findings"]?["new"] == ["no-limit:w"])
        #expect(document["findings"]?["resolved"] == ["no-limit:x"])
        #expect(document["findings"]?["persisting"] == ["expired-not-deleted:z", "stale-key:y"])
        #expect(diff.encoded().last == 10)
    }

    @Test("the text summary lists every kind of change")
    func textSummary() {
        let summary = DiffFixtures.diff().textSummary()
        #expect(
            summary.hasPrefix(
                "Changes from 20261125T120000Z/snapshot.json (2026-11-25T12:00:00Z) to 20261126T120000Z/snapshot.json (2026-11-26T12:00:00Z)\n"
            ))
        #expect(
            summary.contains(
                "1 added, 1 removed, 10 reconfigured; spend $18.00; findings 1 new, 1 resolved, 2 persisting"))
        #expect(
            summary.contains(
                "  + \(DiffFixtures.hash(15).prefix(12))  svc-summarizer-canary  [\(DiffFixtures.workspace)]"))
        #expect(
            summary.contains(
                "  - \(DiffFixtures.hash(14).prefix(12))  customer-soylent-prod  [\(DiffFixtures.workspace)]"))
        #expect(summary.contains("      name: \"svc-billing-main\" -> \"svc-billing-primary\""))
        #expect(summary.contains("      expires_at: (absent) -> null"))
        #expect(summary.contains("      expires_at: null -> (absent)"))
        #expect(summary.contains("      limit: 250 -> null"))
        #expect(summary.contains("  $15.00  \(DiffFixtures.hash(11).prefix(12))  key-11"))
        #expect(summary.contains("New findings:\n  no-limit:w\n"))
        #expect(summary.contains("Resolved findings:\n  no-limit:x\n"))
    }

    @Test("the text summary escapes control and bidi characters in names")
    func textSummaryEscapes() {
        let hostile = "evil\nRemoved:\r\t\u{1B}[31mred\u{7}\u{202E}exe.txt"
        let diff = DiffFixtures.diff(
            previous: [DiffFixtures.object(1)],
            current: [DiffFixtures.object(1, name: hostile), DiffFixtures.object(2, name: hostile)])
        let summary = diff.textSummary()
        #expect(
            !summary.unicodeScalars.contains {
                $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D || $0.value == 0x09
            })
        #expect(!summary.unicodeScalars.contains { $0.value == 0x202E })
        #expect(summary.contains("evil\\nRemoved:\\r\\t\\u{1b}[31mred\\u{7}\\u{202e}exe.txt"))
        // No line of the summary starts with text from the name.
        #expect(!summary.split(separator: "\n").contains { $0.hasPrefix("Removed:") })
        #expect(Escaping.terminal("a\u{0}b\u{85}c\u{2066}d") == "a\\u{0}b\\u{85}c\\u{2066}d")
        #expect(Escaping.terminal("emoji 🔑 ok") == "emoji 🔑 ok")
    }

    // MARK: - Reading snapshots

    struct BadFile: Sendable, CustomTestStringConvertible {
        var label: String
        var text: String
        var mentions: [String]
        var testDescription: String { label }
    }

    static let badFiles: [BadFile] = [
        BadFile(
            label: "truncated JSON", text: "{\"schema_version\": 1, \"keys\": [{\"hash\": ",
            mentions: ["not valid JSON"]),
        BadFile(
            label: "not JSON at all", text: "<html><body>502 Bad Gateway</body></html>", mentions: ["not valid JSON"]),
        BadFile(label: "empty file", text: "", mentions: ["not valid JSON"]),
        BadFile(
            label: "schema_version 2", text: "{\"schema_version\": 2, \"keys\": []}",
            mentions: ["schema_version 2", "upgrade keyaudit"]),
        BadFile(
            label: "schema_version not a number", text: "{\"schema_version\": \"one\", \"keys\": []}",
            mentions: ["schema_version"]),
        BadFile(label: "neither keys nor data", text: "{\"schema_version\": 1, \"items\": []}", mentions: ["neither"]),
        BadFile(
            label: "a key that is not an object", text: "{\"keys\": [{\"hash\": \"a\"}, 42]}", mentions: ["item 1"]),
        BadFile(label: "a JSON string", text: "\"snapshot\"", mentions: ["string"]),
    ]

    @Test("a corrupt or newer snapshot is malformed data (exit 65), naming the file", arguments: badFiles)
    func badSnapshot(_ row: BadFile) {
        do {
            _ = try Snapshot.decode(DiffFixtures.json(row.text), origin: "runs/20261125T120000Z/snapshot.json")
            Issue.record("\(row.label) decoded")
        } catch {
            guard case .malformedData(let message) = error else {
                Issue.record("\(row.label): \(error) is not malformedData")
                return
            }
            #expect(error.exitCode == 65)
            #expect(message.contains("runs/20261125T120000Z/snapshot.json"), "\(message)")
            for text in row.mentions { #expect(message.contains(text), "\(row.label): \(message)") }
        }
    }

    @Test("snapshot.json round-trips: written, read back, diffed with the original: empty")
    func roundTrip() throws {
        let original = DiffFixtures.snapshot(DiffFixtures.currentObjects(), takenAt: DiffFixtures.now)
        let bytes = original.encoded()
        let decoded = try Snapshot.decode(bytes, origin: "snapshot.json")
        #expect(decoded.takenAt == DiffFixtures.now)
        #expect(decoded.keys.count == original.keys.count)
        #expect(decoded.encoded() == bytes)
        let diff = SnapshotDiff.compare(
            previous: original, from: DiffFixtures.fromEndpoint, previousFindingIDs: [], current: decoded,
            to: DiffFixtures.toEndpoint,
            currentFindingIDs: [])
        #expect(diff.added.isEmpty && diff.removed.isEmpty && diff.changed.isEmpty && diff.spend.keys.isEmpty)
    }

    @Test("diff.json written in chunks, list by list, is byte for byte the pretty-printed tree")
    func chunkedEncoding() throws {
        let small = DiffFixtures.diff()
        var tree: [UInt8] = []
        JSONWriter.write(small.json, into: &tree, style: .pretty(indent: 2, level: 0))
        #expect(small.encoded() == tree + [10])

        // Enough spend entries to cross several 1 MiB chunks.
        let previous = (1...6_000).map {
            DiffFixtures.object($0 % 250, name: "key-\($0)", [("hash", .string(String(format: "%064x", $0)))])
        }
        let current = previous.map { object -> JSONObject in
            var changed = object
            changed["usage"] = 21
            return changed
        }
        let large = DiffFixtures.diff(previous: previous, current: current)
        #expect(large.spend.keys.count == 6_000)
        var chunks: [[UInt8]] = []
        large.encode { chunks.append($0) }
        #expect(chunks.count >= 2)
        #expect(chunks.dropLast().allSatisfy { $0.count >= 1 << 20 })
        var whole: [UInt8] = []
        JSONWriter.write(large.json, into: &whole, style: .pretty(indent: 2, level: 0))
        #expect(Array(chunks.joined()) == whole + [10])
    }
}
