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

/// The previous snapshot read key by key (``PreviousSnapshot``) must tell the audit and the diff exactly what the
/// whole snapshot would have told them.
@Suite("Condensed previous snapshot and streamed reading")
struct PreviousSnapshotTests {
    /// 2026-11-26T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_694_400)

    static func hash(_ n: Int) -> String { String(repeating: String(format: "%02x", n), count: 32) }

    /// Keys that trip different rules at `now`: stale, no limit, disabled with usage, expired, none.
    static func objects() -> [JSONObject] {
        func key(_ n: Int, _ set: [(String, JSONValue)]) -> JSONObject {
            var object = JSONObject([
                ("hash", .string(hash(n))), ("name", .string("key-\(n)")), ("disabled", false), ("limit", 100),
                ("limit_remaining", 80), ("limit_reset", "monthly"), ("usage", 20), ("byok_usage", 0),
                ("created_at", "2026-10-01T08:00:00Z"), ("updated_at", "2026-11-20T08:00:00Z"),
                ("expires_at", nil), ("workspace_id", "ws-1"), ("last_used_at", "2026-11-26T10:00:00Z"),
            ])
            for (field, value) in set { object[field] = value }
            return object
        }
        return [
            key(5, [("updated_at", "2025-01-01T00:00:00Z")]),
            key(1, [("limit", nil)]),
            key(3, [("disabled", true), ("usage", .number(JSONNumber(validating: "12.5")!))]),
            key(2, [("expires_at", "2026-11-01T00:00:00Z")]),
            key(4, []),
            key(1, [("limit", nil), ("name", "key-1-listed-twice")]),
        ]
    }

    static func snapshot(takenAt: Date?) -> Snapshot {
        Snapshot(
            takenAt: takenAt, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces),
            previous: .init(path: "older/snapshot.json", sha256: String(repeating: "a", count: 64)),
            keys: objects().map(KeyRecord.init))
    }

    static func write(_ bytes: [UInt8], in folder: TemporaryFolder, as name: String) throws -> String {
        let path = folder.url(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("read from a file key by key, it equals the condensed whole snapshot: keys, order, rules, chain")
    func loadMatchesCondensed() throws {
        let folder = TemporaryFolder()
        let whole = Self.snapshot(takenAt: Self.now.addingTimeInterval(-86_400))
        let path = try Self.write(whole.encoded(), in: folder, as: "snapshot.json")
        let (loaded, sha, file) = try PreviousSnapshot.load(path: path, policy: Policy(), now: Self.now)
        let condensed = PreviousSnapshot(whole, policy: Policy(), now: Self.now)
        #expect(file == path)
        #expect(sha == Checksum.sha256Hex(whole.encoded()))
        #expect(loaded.takenAt == whole.takenAt)
        #expect(loaded.previous == whole.previous)
        #expect(loaded.keys.map(\.identity) == (1...5).map(Self.hash))
        #expect(loaded.keys.map(\.identity) == condensed.keys.map(\.identity))
        #expect(loaded.keys.map(\.configuration) == condensed.keys.map(\.configuration))
        #expect(loaded.findingIDs == condensed.findingIDs)
        #expect(loaded.findingIDs == PreviousSnapshot(whole, policy: Policy(), now: Self.now).findingIDs)
        // The key listed twice keeps its last occurrence, as Snapshot does.
        #expect(loaded.key(Self.hash(1))?.name == "key-1-listed-twice")
        #expect(loaded.key(Self.hash(3))?.usage == 12.5)
        #expect(loaded.key(Self.hash(3))?.isDisabled == true)
        #expect(loaded.key(String(repeating: "f", count: 64)) == nil)
        #expect(loaded.findingIDs.contains("stale-key:\(Self.hash(5))"))
        #expect(loaded.findingIDs.contains("no-limit:\(Self.hash(1))"))
        #expect(loaded.findingIDs.contains("disabled-with-usage:\(Self.hash(3))"))
    }

    @Test("the rules run at the snapshot's own taken_at, even when the header states it after the keys")
    func takenAtAfterKeys() throws {
        let folder = TemporaryFolder()
        // Two years before `now`, nothing is stale yet; at `now`, key 5 is.
        let early = Date(timeIntervalSince1970: 1_735_000_000)
        var keys = Self.objects().map { JSONValue.object($0) }
        keys.removeLast()
        let document = JSONValue.object(
            JSONObject([("keys", .array(keys)), ("taken_at", .string(Timestamp.format(early)))]))
        let path = try Self.write(Array(JSONWriter.string(document).utf8), in: folder, as: "late-header.json")
        let (loaded, _, _) = try PreviousSnapshot.load(path: path, policy: Policy(), now: Self.now)
        #expect(loaded.takenAt == early)
        #expect(!loaded.findingIDs.contains("stale-key:\(Self.hash(5))"))
        // The same keys without taken_at are judged at `now`.
        let bare = try Self.write(Array(JSONWriter.string(.array(keys)).utf8), in: folder, as: "bare.json")
        #expect(
            try PreviousSnapshot.load(path: bare, policy: Policy(), now: Self.now).snapshot.findingIDs
                .contains("stale-key:\(Self.hash(5))"))
    }

    @Test("streamed decoding: `keys` wins over `data` in either order, a bare array works, bad items are named")
    func streamedDecoding() throws {
        let one = "{\"hash\": \"\(Self.hash(1))\", \"name\": \"one\"}"
        let two = "{\"hash\": \"\(Self.hash(2))\", \"name\": \"two\"}"
        for text in [
            "{\"data\": [\(one)], \"keys\": [\(two)]}", "{\"keys\": [\(two)], \"data\": [\(one)]}",
            "{\"data\": [\(one), \(one)], \"keys\": [\(two)], \"schema_version\": 1}",
        ] {
            let snapshot = try Snapshot.decode(Array(text.utf8), origin: "x.json")
            #expect(snapshot.keys.map(\.name) == ["two"], "\(text)")
        }
        #expect(try Snapshot.decode(Array("{\"data\": [\(one), \(two)]}".utf8), origin: "x").keys.count == 2)
        // A bad item in `data` does not matter when `keys` follows.
        #expect(try Snapshot.decode(Array("{\"data\": [7], \"keys\": [\(two)]}".utf8), origin: "x").keys.count == 1)
        #expect(try Snapshot.decode(Array("[\(two), \(one)]".utf8), origin: "x").keys.map(\.name) == ["one", "two"])
        #expect(try Snapshot.decode(Array("{\"keys\": []}".utf8), origin: "x").keys.isEmpty)
        #expect(throws: KeyAuditError.self) { try Snapshot.decode(Array("[\(one), [1]]".utf8), origin: "x") }
        do {
            _ = try Snapshot.decode(Array("{\"data\": [\(one), 7]}".utf8), origin: "d.json")
            Issue.record("a number as a key decoded")
        } catch {
            #expect(error.message.contains("d.json: item 1 of the key list is a JSON number"), "\(error.message)")
        }
    }

    @Test("first_seen read line by line from findings.json equals reading the whole document")
    func firstSeenByLine() throws {
        let whole = Self.snapshot(takenAt: Self.now)
        var audit = Auditor.audit(whole, policy: Policy(), now: Self.now)
        audit.findings[0].firstSeen = Self.now.addingTimeInterval(-7 * 86_400)
        let bytes = FindingsDocument.encode(
            audit: audit, snapshot: whole, snapshotReference: .init(path: "snapshot.json", sha256: ""),
            generatedAt: Self.now)
        let byLine = try #require(FindingsDocument.firstSeenByLine(bytes))
        #expect(byLine == FindingsDocument.firstSeenByParsing(bytes))
        #expect(byLine.count == audit.findings.count && byLine.count >= 4)
        #expect(byLine[audit.findings[0].id] == Self.now.addingTimeInterval(-7 * 86_400))
        // Another layout (pretty-printed by a person or a tool) is read whole instead.
        let pretty = Array(JSONWriter.string(try JSONParser.parse(bytes), style: .pretty(indent: 4, level: 0)).utf8)
        #expect(FindingsDocument.firstSeenByLine(pretty) == nil)
        let folder = TemporaryFolder()
        #expect(FindingsDocument.firstSeen(fileAt: try Self.write(pretty, in: folder, as: "f.json")) == byLine)
        // A newer schema is not read either way.
        let newer = Array(
            String(decoding: bytes, as: UTF8.self).replacingOccurrences(
                of: "\"schema_version\": 1", with: "\"schema_version\": 9"
            ).utf8)
        #expect(FindingsDocument.firstSeen(fileAt: try Self.write(newer, in: folder, as: "n.json")) == nil)
    }

    @Test("findings are put in report order in place: every permutation of a few items, and a long one")
    func permuteInPlace() {
        func check(_ order: [Int]) {
            var items = order.indices.map { "item-\($0)" }
            let expected = order.map { "item-\($0)" }
            items.permute(into: order)
            #expect(items == expected, "\(order)")
        }
        func permutations(_ items: [Int]) -> [[Int]] {
            guard items.count > 1 else { return [items] }
            return items.indices.flatMap { index in
                var rest = items
                let first = rest.remove(at: index)
                return permutations(rest).map { [first] + $0 }
            }
        }
        for order in permutations([0, 1, 2, 3, 4]) { check(order) }
        var generator = SystemRandomNumberGenerator()
        check(Array(0..<5_000).shuffled(using: &generator))
        check([])
    }

    @Test("new, resolved and persisting findings from the audit's marks equal the set arithmetic on ids")
    func findingChangesFromMarks() throws {
        let earlier = Self.now.addingTimeInterval(-86_400)
        let previous = Self.snapshot(takenAt: earlier)
        // Key 1 gets a limit (no-limit resolved), key 4 goes stale (new), key 2 is deleted (resolved),
        // key 6 is new with no limit (new); the rest persist.
        var objects = Self.objects().filter { $0["hash"] != .string(Self.hash(2)) }
        for index in objects.indices {
            if objects[index]["hash"] == .string(Self.hash(1)) { objects[index]["limit"] = 50 }
            if objects[index]["hash"] == .string(Self.hash(4)) { objects[index]["updated_at"] = "2025-06-01T00:00:00Z" }
        }
        var extra = objects[0]
        extra["hash"] = .string(Self.hash(6))
        extra["limit"] = nil
        objects.append(extra)
        let current = Snapshot(
            takenAt: Self.now, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces),
            previous: nil, keys: objects.map(KeyRecord.init))
        let from = SnapshotDiff.Endpoint(path: "a/snapshot.json", takenAt: earlier, sha256: "")
        let to = SnapshotDiff.Endpoint(path: "b/snapshot.json", takenAt: Self.now, sha256: "")
        let prior = PreviousSnapshot(previous, policy: Policy(), now: Self.now, against: current)
        let previousIDs = PreviousSnapshot(previous, policy: Policy(), now: Self.now).findingIDs

        // The previous run's findings re-derived from its snapshot (per-key rule marks).
        let audit = Auditor.audit(current, history: AuditHistory(keys: prior), policy: Policy(), now: Self.now)
        let expected = SnapshotDiff.compare(
            previous: previous, from: from, previousFindingIDs: previousIDs, current: current, to: to,
            currentFindingIDs: Set(audit.findings.map(\.id))
        ).findings
        let marked = SnapshotDiff.compare(
            previous: prior, from: from, previousFirstSeen: nil, current: current, to: to, audit: audit
        ).findings
        #expect(marked.new == expected.new && marked.resolved == expected.resolved)
        #expect(marked.persisting == expected.persisting)
        #expect(expected.new.contains("stale-key:\(Self.hash(4))") && expected.new.contains("no-limit:\(Self.hash(6))"))
        #expect(expected.resolved.contains("no-limit:\(Self.hash(1))"))
        #expect(expected.resolved.contains { $0.hasSuffix(Self.hash(2)) })
        #expect(!expected.persisting.isEmpty)

        // The previous run's findings.json (first_seen per id, a snapshot finding and an unknown rule included).
        var firstSeen = Dictionary(uniqueKeysWithValues: previousIDs.map { ($0, earlier) })
        firstSeen["incomplete-coverage:snapshot"] = earlier
        firstSeen["retired-rule:\(Self.hash(3))"] = earlier
        let audited = Auditor.audit(
            current, history: AuditHistory(keys: prior, firstSeen: firstSeen), policy: Policy(), now: Self.now)
        let fromFile = SnapshotDiff.compare(
            previous: prior, from: from, previousFirstSeen: firstSeen, current: current, to: to, audit: audited
        ).findings
        let bySets = SnapshotDiff.compare(
            previous: previous, from: from, previousFindingIDs: Set(firstSeen.keys), current: current, to: to,
            currentFindingIDs: Set(audited.findings.map(\.id))
        ).findings
        #expect(fromFile.new == bySets.new && fromFile.resolved == bySets.resolved)
        #expect(fromFile.persisting == bySets.persisting)
        #expect(fromFile.resolved.contains("incomplete-coverage:snapshot"))
        #expect(fromFile.resolved.contains("retired-rule:\(Self.hash(3))"))
    }

    @Test(
        "a finding's text is derived on demand: the same after the keys' objects are released or the snapshot changes")
    func derivedText() throws {
        let earlier = Self.now.addingTimeInterval(-86_400)
        var previousObjects = Self.objects()
        previousObjects[2]["usage"] = .number(JSONNumber(validating: "2.5")!)  // key 3, disabled: spent 10 since
        let previous = Snapshot(
            takenAt: earlier, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces),
            previous: nil, keys: previousObjects.map(KeyRecord.init))
        var current = Self.snapshot(takenAt: Self.now)
        let audit = Auditor.audit(
            current, history: AuditHistory(snapshot: previous, policy: Policy(), now: Self.now), policy: Policy(),
            now: Self.now)
        let before = audit.findings.map {
            [$0.id, $0.message, JSONWriter.string(.object($0.evidence)), $0.remediation]
        }
        let growth = try #require(audit.findings.first { $0.rule == "disabled-with-usage" })
        #expect(growth.message.contains("since the previous snapshot"), "\(growth.message)")
        #expect(growth.evidence["previous_usage"] != nil)
        current.releaseRawObjects()
        current.keys.removeAll()
        let after = audit.findings.map { [$0.id, $0.message, JSONWriter.string(.object($0.evidence)), $0.remediation] }
        #expect(after == before)
        #expect(before.allSatisfy { !$0[1].isEmpty && $0[2] != "{}" })
    }
}
