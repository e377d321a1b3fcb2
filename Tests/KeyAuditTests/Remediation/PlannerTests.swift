import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditRemediation
@testable import KeyAuditSnapshot

/// Keys and policies for the remediation tests; the clock is 2026-11-26T12:00:00Z.
private enum RemediationFixtures {
    static let now = Date(timeIntervalSince1970: 1_795_694_400)
    static let day = 86_400.0

    static func hash(_ n: Int) -> String { String(repeating: String(format: "%02x", n), count: 32) }

    static func at(_ days: Double) -> JSONValue {
        .string(Timestamp.format(now.addingTimeInterval(days * day)))
    }

    /// A healthy key, bent by `set`; `nil` in `set` is JSON null.
    static func key(_ n: Int, _ set: [(String, JSONValue)] = [], remove: [String] = []) -> KeyRecord {
        var object = JSONObject([
            ("hash", .string(hash(n))), ("name", .string("key-\(n)")), ("disabled", false), ("limit", 100),
            ("limit_remaining", 80), ("limit_reset", "monthly"), ("include_byok_in_limit", true), ("usage", 20),
            ("usage_monthly", 5), ("byok_usage", 0), ("created_at", at(-300)), ("updated_at", at(-10)),
            ("expires_at", nil),
        ])
        for (field, value) in set { object[field] = value }
        for field in remove { object[field] = nil }
        return KeyRecord(object)
    }

    static func snapshot(_ keys: [KeyRecord]) -> Snapshot {
        Snapshot(
            takenAt: now, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces), previous: nil,
            keys: keys)
    }

    static func policy(_ yaml: String) throws -> Policy { try PolicyFile.parse(yaml, name: "policy.yml") }

    static func plan(_ keys: [KeyRecord], _ policy: Policy) -> RemediationPlan {
        let snapshot = snapshot(keys)
        let audit = Auditor.audit(snapshot, policy: policy, now: now)
        return Planner.plan(
            snapshot: snapshot, audit: audit,
            source: .init(
                runName: "20261126T120000Z", runFolder: "/r/20261126T120000Z", snapshotSHA256: "ab", takenAt: now),
            policy: policy, now: now)
    }

    static let full = """
        remediation:
          no-limit: {action: set-limit, limit: 50, limit_reset: monthly}
          stale-key: {action: disable}
          expired-not-deleted: {action: delete, older_than_days: 30}
          byok-outside-limit: {action: include-byok-in-limit}
          disabled-with-usage: {action: none}
        """
}

@Suite("Remediation plans")
struct PlannerTests {
    @Test(
        "a set-limit that would raise a key's limit or shorten its reset is left alone; one that lowers it is planned")
    func neverLoosens() throws {
        let nearlyExhausted: [(String, JSONValue)] = [
            ("limit", 10), ("limit_remaining", .double(0.1)), ("limit_reset", "weekly"),
        ]
        let keys = [1, 2].map { RemediationFixtures.key($0, nearlyExhausted) }
        func plan(_ choice: String) throws -> RemediationPlan {
            RemediationFixtures.plan(
                keys, try RemediationFixtures.policy("remediation:\n  limit-nearly-exhausted: \(choice)\n"))
        }
        let raise = try plan("{action: set-limit, limit: 1000000}")
        #expect(raise.actions.isEmpty)
        #expect(raise.skipped.count == 2)
        #expect(raise.skipped.allSatisfy { $0.reason.contains("never raises a limit") }, "\(raise.skipped)")
        let oftener = try plan("{action: set-limit, limit: 5, limit_reset: daily}")
        #expect(oftener.actions.isEmpty)
        #expect(oftener.skipped.allSatisfy { $0.reason.contains("more often") }, "\(oftener.skipped)")

        let lower = try plan("{action: set-limit, limit: 5, limit_reset: monthly}")
        #expect(lower.actions.count == 2)
        let action = try #require(lower.actions.first)
        #expect(action.precondition.keys == ["updated_at", "limit", "limit_reset"])
        #expect(action.precondition["limit"]?.doubleValue == 10)
        // What plan writes, apply reads: the tightening passes the same checks that refuse a raise.
        #expect(try RemediationPlan.decode(lower.encoded(), origin: "plan.json") == lower)
    }

    @Test("a deletion, and an action for a rule that judges use, also hold the key's use in their precondition")
    func deletionsWatchUse() throws {
        let keys = [
            RemediationFixtures.key(1, [("expires_at", RemediationFixtures.at(-40))]),
            RemediationFixtures.key(2, [("last_used_at", RemediationFixtures.at(-200))]),
        ]
        let policy = try RemediationFixtures.policy(
            "remediation:\n  expired-not-deleted: {action: delete}\n  unused-key: {action: disable}\n")
        let plan = RemediationFixtures.plan(keys, policy)
        let byHash = Dictionary(uniqueKeysWithValues: plan.actions.map { ($0.keyHash, $0) })
        let deletion = try #require(byHash[RemediationFixtures.hash(1)])
        #expect(deletion.precondition.keys.contains("usage"))
        // Key 1 has no last_used_at (an older API): listed absent, so one appearing later stops the deletion.
        #expect(deletion.absent == ["last_used_at"])
        let disable = try #require(byHash[RemediationFixtures.hash(2)])
        #expect(disable.precondition.keys == ["updated_at", "disabled", "usage", "last_used_at"])
        #expect(try RemediationPlan.decode(plan.encoded(), origin: "plan.json") == plan)
    }

    @Test("each rule's finding gets the policy's action, with the exact request and the key as snapshotted")
    func actionsFollowThePolicy() throws {
        let keys = [
            RemediationFixtures.key(1, [("limit", nil), ("limit_reset", nil)]),  // no-limit (and limit-never-resets)
            RemediationFixtures.key(2, [("updated_at", RemediationFixtures.at(-200))]),  // stale-key
            RemediationFixtures.key(3, [("expires_at", RemediationFixtures.at(-40))]),  // expired 40 days ago
            // Expired 5 days ago: too recent for older_than_days 30.
            RemediationFixtures.key(4, [("expires_at", RemediationFixtures.at(-5))]),
            RemediationFixtures.key(5, [("include_byok_in_limit", false), ("byok_usage", 12)]),  // byok-outside-limit
            RemediationFixtures.key(6, [("disabled", true)]),  // disabled-with-usage: none
            RemediationFixtures.key(7, [("limit_reset", nil)]),  // limit-never-resets: no entry in the policy
        ]
        let plan = RemediationFixtures.plan(keys, try RemediationFixtures.policy(RemediationFixtures.full))
        let byHash = Dictionary(uniqueKeysWithValues: plan.actions.map { ($0.keyHash, $0) })
        let limit = try #require(byHash[RemediationFixtures.hash(1)])
        #expect(limit.request.method == "PATCH" && limit.request.path == "/keys/\(RemediationFixtures.hash(1))")
        #expect(limit.request.body == JSONObject([("limit", 50), ("limit_reset", "monthly")]))
        #expect(
            limit.precondition
                == JSONObject([("updated_at", RemediationFixtures.at(-10)), ("limit", nil), ("limit_reset", nil)]))
        #expect(limit.rules == ["no-limit"])
        let stale = try #require(byHash[RemediationFixtures.hash(2)])
        #expect(stale.request.body == JSONObject([("disabled", true)]))
        #expect(
            stale.precondition["disabled"] == false && stale.precondition["updated_at"] == RemediationFixtures.at(-200))
        let delete = try #require(byHash[RemediationFixtures.hash(3)])
        #expect(delete.request.method == "DELETE" && delete.request.body == nil && delete.isDeletion)
        #expect(delete.expected.isEmpty)
        #expect(byHash[RemediationFixtures.hash(4)] == nil)
        #expect(byHash[RemediationFixtures.hash(5)]?.request.body == JSONObject([("include_byok_in_limit", true)]))
        #expect(byHash[RemediationFixtures.hash(6)] == nil)
        #expect(plan.actions.map(\.number) == Array(1...plan.actions.count))
        let reasons = Dictionary(grouping: plan.skipped, by: \.keyHash)
        #expect(reasons[RemediationFixtures.hash(4)]?.first?.reason.contains("not yet") == true)
        #expect(reasons[RemediationFixtures.hash(6)]?.first?.reason.contains("`none`") == true)
        // limit-never-resets has no remediation entry: listed with what could be done.
        #expect(
            reasons[RemediationFixtures.hash(7)]?.contains {
                $0.rule == "limit-never-resets" && $0.reason.contains("set-limit")
            } == true)
    }

    @Test("one action per key: a deletion wins, then disabling; PATCH changes merge into one request")
    func oneActionPerKey() throws {
        let policy = try RemediationFixtures.policy(
            """
            remediation:
              no-limit: {action: set-limit, limit: 20}
              limit-never-resets: {action: set-limit, limit_reset: weekly}
              byok-outside-limit: {action: include-byok-in-limit}
              stale-key: {action: disable}
              unused-key: {action: delete}
            """)
        // Key 1: a limit that never resets and BYOK outside it (merged PATCH); key 2: no limit and stale
        // (disable wins).
        let keys = [
            RemediationFixtures.key(1, [("limit_reset", nil), ("include_byok_in_limit", false), ("byok_usage", 3)]),
            RemediationFixtures.key(2, [("limit", nil), ("updated_at", RemediationFixtures.at(-120))]),
        ]
        let plan = RemediationFixtures.plan(keys, policy)
        #expect(plan.actions.count == 2)
        let merged = try #require(plan.actions.first { $0.keyHash == RemediationFixtures.hash(1) })
        #expect(merged.request.body == JSONObject([("include_byok_in_limit", true), ("limit_reset", "weekly")]))
        #expect(Set(merged.rules) == ["limit-never-resets", "byok-outside-limit"])
        #expect(merged.kind == "include-byok-in-limit+set-limit")
        let disabled = try #require(plan.actions.first { $0.keyHash == RemediationFixtures.hash(2) })
        #expect(disabled.request.body == JSONObject([("disabled", true)]))
        #expect(
            plan.skipped.contains {
                $0.keyHash == RemediationFixtures.hash(2) && $0.rule == "no-limit" && $0.reason.contains("covered")
            })
    }

    @Test("without a remediation section nothing is planned and every finding says what could be done")
    func noSectionNoActions() throws {
        let plan = RemediationFixtures.plan(
            [
                RemediationFixtures.key(1, [("limit", nil)]),
                RemediationFixtures.key(2, [("updated_at", RemediationFixtures.at(-200))]),
            ], Policy())
        #expect(plan.actions.isEmpty)
        #expect(plan.policySource == "none")
        #expect(plan.skipped.contains { $0.rule == "no-limit" && $0.reason.contains("could be") })
        #expect(plan.skipped.contains { $0.rule == "stale-key" && $0.reason.contains("rotate by hand") })
        #expect(plan.markdown().contains("No action is planned"))
    }

    @Test("a plan written and read back is the same plan; a tampered plan is refused")
    func roundTrip() throws {
        let plan = RemediationFixtures.plan(
            [
                RemediationFixtures.key(1, [("limit", nil)]),
                RemediationFixtures.key(3, [("expires_at", RemediationFixtures.at(-40))]),
            ], try RemediationFixtures.policy(RemediationFixtures.full))
        let bytes = plan.encoded()
        let read = try RemediationPlan.decode(bytes, origin: "plan.json")
        #expect(read == plan)
        #expect(read.encoded() == bytes)
        let renamed = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: "\"limit_reset\": \"monthly\"", with: "\"creator_user_id\": \"x\"")
        #expect(throws: KeyAuditError.self) { try RemediationPlan.decode(Array(renamed.utf8), origin: "plan.json") }
        let otherPath = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: "\"path\": \"/keys/\(RemediationFixtures.hash(1))\"",
            with: "\"path\": \"/keys/\(RemediationFixtures.hash(3))\"")
        #expect(throws: KeyAuditError.self) { try RemediationPlan.decode(Array(otherPath.utf8), origin: "plan.json") }
        #expect(throws: KeyAuditError.self) { try RemediationPlan.decode(Array("{}".utf8), origin: "plan.json") }
    }

    @Test(
        "policy check refuses an action that does not fix its rule, a set-limit without a limit, an unknown action",
        arguments: [
            "remediation:\n  disabled-with-usage: {action: disable}\n",
            "remediation:\n  expired-not-deleted: {action: set-limit, limit: 5}\n",
            "remediation:\n  no-limit: {action: set-limit}\n",
            "remediation:\n  no-limit: {action: rotate}\n",
            "remediation:\n  no-limit: {limit: 5}\n",
            "remediation:\n  no-rule: {action: none}\n",
            "remediation:\n  stale-key: {action: disable, limit: 5}\n",
            "remediation:\n  no-limit: {action: set-limit, limit: 5, limit_reset: yearly}\n",
            "remediation:\n  unreadable-data: {action: delete}\n",
        ])
    func badRemediation(_ yaml: String) {
        #expect(throws: KeyAuditError.self) { try RemediationFixtures.policy(yaml) }
        do throws(KeyAuditError) {
            _ = try PolicyFile.parse(yaml, name: "policy.yml")
        } catch {
            #expect(error.exitCode == 64)
            #expect(error.message.hasPrefix("policy.yml:"), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }
}

/// A Management API in memory, for the applier's decisions.
private final class FakeKeys: KeyEditing, @unchecked Sendable {
    private let lock = NSLock()
    var keys: [String: JSONObject]
    var sent: [RemediationPlan.Request] = []
    var failNext: (Int, String)?
    var ignoreChanges = false

    init(_ keys: [KeyRecord]) {
        self.keys = Dictionary(uniqueKeysWithValues: keys.map { ($0.identity, $0.raw) })
    }

    func checkEndpoint() async throws(KeyAuditError) {}
    func key(_ hash: String) async throws(EditFailure) -> JSONObject? { lock.withLock { keys[hash] } }

    func send(_ request: RemediationPlan.Request) async throws(EditFailure) {
        let failure: (Int, String)? = lock.withLock {
            sent.append(request)
            defer { failNext = nil }
            return failNext
        }
        if let failure { throw .status(failure.0, failure.1) }
        lock.withLock {
            let hash = String(request.path.dropFirst("/keys/".count))
            guard !ignoreChanges else { return }
            if request.method == "DELETE" {
                keys[hash] = nil
            } else if let body = request.body {
                for (field, value) in zip(body.keys, body.values) { keys[hash]?[field] = value }
                keys[hash]?["updated_at"] = "2026-11-27T00:00:00Z"
            }
        }
    }
}

@Suite("Applying plans")
struct ApplierTests {
    fileprivate static func planAndAPI() throws -> (RemediationPlan, FakeKeys) {
        let keys = [
            RemediationFixtures.key(1, [("limit", nil)]),
            RemediationFixtures.key(2, [("updated_at", RemediationFixtures.at(-200))]),
            RemediationFixtures.key(3, [("expires_at", RemediationFixtures.at(-40))]),
        ]
        return (
            RemediationFixtures.plan(keys, try RemediationFixtures.policy(RemediationFixtures.full)), FakeKeys(keys)
        )
    }

    @Test("applies every action, reads each key back, and a second apply sends nothing")
    func appliesAndIsIdempotent() async throws {
        let (plan, api) = try Self.planAndAPI()
        let first = await Applier(allowDelete: true, maxChanges: 25).apply(plan, through: api)
        #expect(first.stoppedBy == nil)
        #expect(first.results.map(\.outcome) == [.applied, .applied, .applied])
        #expect(api.sent.count == 3)
        #expect(api.keys[RemediationFixtures.hash(1)]?["limit"] == 50 && api.keys[RemediationFixtures.hash(3)] == nil)
        let second = await Applier(allowDelete: true, maxChanges: 25).apply(plan, through: api)
        #expect(second.results.map(\.outcome) == [.alreadyApplied, .alreadyApplied, .alreadyApplied])
        #expect(api.sent.count == 3, "nothing is sent again")
    }

    @Test("a key edited or deleted since the plan is skipped; deletions need permission; --max-changes caps")
    func railsHold() async throws {
        let (plan, api) = try Self.planAndAPI()
        // Edited by a person after the snapshot.
        api.keys[RemediationFixtures.hash(1)]?["updated_at"] = "2026-11-26T13:00:00Z"
        api.keys[RemediationFixtures.hash(2)] = nil  // deleted by a person
        let results = await Applier(allowDelete: false, maxChanges: 25).apply(plan, through: api).results
        func outcome(_ n: Int) -> ActionResult.Outcome? {
            results.first { $0.keyHash == RemediationFixtures.hash(n) }?.outcome
        }
        #expect(outcome(1) == .skippedChanged && outcome(2) == .skippedMissing && outcome(3) == .skippedNotAllowed)
        #expect(results.first { $0.keyHash == RemediationFixtures.hash(1) }?.detail.contains("updated_at") == true)
        #expect(api.sent.isEmpty)
        let (fresh, other) = try Self.planAndAPI()
        let capped = await Applier(allowDelete: true, maxChanges: 1).apply(fresh, through: other).results
        #expect(capped.map(\.outcome) == [.applied, .skippedLimit, .skippedLimit])
        #expect(other.sent.count == 1)
    }

    @Test("a refused request fails that action only; applying again finishes the rest and repeats nothing")
    func survivesAFailure() async throws {
        let (plan, api) = try Self.planAndAPI()
        api.failNext = (500, "Internal Server Error")
        let first = await Applier(allowDelete: true, maxChanges: 25).apply(plan, through: api).results
        #expect(first.map(\.outcome) == [.failed, .applied, .applied], "the first action in plan order fails")
        #expect(first[0].status == 500)
        let sentBefore = api.sent.count
        let second = await Applier(allowDelete: true, maxChanges: 25).apply(plan, through: api).results
        #expect(second.map(\.outcome) == [.applied, .alreadyApplied, .alreadyApplied])
        #expect(api.sent.count == sentBefore + 1)
    }

    @Test("a change the API accepts but does not make is a failure, not a success")
    func changeThatDidNotTake() async throws {
        let (plan, api) = try Self.planAndAPI()
        api.ignoreChanges = true
        let results = await Applier(allowDelete: true, maxChanges: 25).apply(plan, through: api).results
        #expect(results.map(\.outcome) == [.failed, .failed, .failed])
        #expect(results[0].detail.contains("does not show it"))
    }
}
