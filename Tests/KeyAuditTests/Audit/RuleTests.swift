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

/// Hand-made keys for the rule tests. A key from `RuleFixtures.key` is healthy (no rule fires on it);
/// each case bends it with `set` (a value; `nil` here is JSON null) and `remove` (the field is absent).
private enum RuleFixtures {
    /// 2026-11-26T12:00:00Z: the run's clock in every rule test.
    static let now = Date(timeIntervalSince1970: 1_795_694_400)
    static var clock: Double { now.timeIntervalSince1970 }
    static let day = 86_400.0
    static let workspace = "5b1f0c7e-2d4a-4c1e-9f3a-0a1b2c3d4e5f"

    /// A well-formed 64-hex hash, distinct per `n`, sorting by `n`.
    static func hash(_ n: Int) -> String { String(repeating: String(format: "%02x", n), count: 32) }

    /// A timestamp `offset` seconds from the run's clock, as keyaudit writes them.
    static func at(_ offset: Double) -> JSONValue {
        .string(Timestamp.format(Date(timeIntervalSince1970: clock + offset)))
    }

    /// A number with exactly this lexeme.
    static func num(_ text: String) -> JSONValue { .number(JSONNumber(validating: text)!) }

    static func fields(hash: String, name: String) -> JSONObject {
        JSONObject([
            ("hash", .string(hash)), ("name", .string(name)),
            ("label", .string("sk-or-v1-\(hash.prefix(3))...\(hash.suffix(4))")),
            ("disabled", false), ("limit", 100), ("limit_remaining", 80), ("limit_reset", "monthly"),
            ("include_byok_in_limit", true), ("usage", 20), ("usage_daily", 1), ("usage_weekly", 5),
            ("usage_monthly", 20), ("byok_usage", 0), ("byok_usage_daily", 0), ("byok_usage_weekly", 0),
            ("byok_usage_monthly", 0), ("created_at", at(-30 * day)), ("updated_at", at(-10 * day)),
            ("expires_at", nil), ("creator_user_id", "user_alice"), ("workspace_id", .string(workspace)),
            ("last_used_at", at(-3600)),
        ])
    }

    static func object(
        _ n: Int = 1, name: String? = nil, _ set: [(String, JSONValue)] = [], remove: [String] = []
    ) -> JSONObject {
        var object = fields(hash: hash(n), name: name ?? "key-\(n)")
        for (field, value) in set { object[field] = value }
        for field in remove { object[field] = nil }
        return object
    }

    static func key(
        _ n: Int = 1, name: String? = nil, _ set: [(String, JSONValue)] = [], remove: [String] = []
    ) -> KeyRecord {
        KeyRecord(object(n, name: name, set, remove: remove))
    }

    static let zeroCounters: [(String, JSONValue)] = [
        ("usage_daily", 0), ("usage_weekly", 0), ("usage_monthly", 0), ("byok_usage_daily", 0),
        ("byok_usage_weekly", 0), ("byok_usage_monthly", 0),
    ]

    static func snapshot(
        _ keys: [KeyRecord], takenAt: Date = now, coverage: Coverage = Coverage(mode: .allWorkspaces)
    ) -> Snapshot {
        Snapshot(takenAt: takenAt, source: "test", workspaces: [], coverage: coverage, previous: nil, keys: keys)
    }

    static func audit(
        _ keys: [KeyRecord], previous: [KeyRecord]? = nil, policy: Policy = Policy(),
        coverage: Coverage = Coverage(mode: .allWorkspaces), brokenChain: BrokenChain? = nil
    ) -> AuditResult {
        let prior = AuditHistory(
            keys: previous.map {
                PreviousSnapshot(snapshot($0, takenAt: now.addingTimeInterval(-day)), policy: policy, now: now)
            },
            firstSeen: nil, brokenChain: brokenChain)
        return Auditor.audit(snapshot(keys, coverage: coverage), history: prior, policy: policy, now: now)
    }

    static func rules(of result: AuditResult) -> [String] { result.findings.map(\.rule).sorted() }

    /// Numbers compare by value (`90` and `90.0`), everything else exactly.
    static func same(_ actual: JSONValue?, _ expected: JSONValue) -> Bool {
        guard let actual else { return false }
        return actual.sameValue(as: expected)
    }
}

@Suite("Audit rules on hand-made keys")
struct RuleTests {

    /// One row of a rule's table: how the key (and optionally its previous self) is bent, and what must come out.
    struct RuleCase: Sendable, CustomTestStringConvertible {
        var label: String
        var set: [(String, JSONValue)] = []
        var remove: [String] = []
        /// The same key in the previous snapshot (overrides over the healthy key), or no previous snapshot.
        var previous: [(String, JSONValue)]? = nil
        /// nil: the rule must not fire.
        var severity: Severity?
        /// Evidence members that must have exactly these values.
        var evidence: [(String, JSONValue)] = []
        /// Text the message must contain.
        var message: String? = nil

        var testDescription: String { label }
    }

    /// Runs one case through `Auditor.audit` and checks the finding of `rule` (or its absence) precisely.
    private func check(_ rule: String, _ row: RuleCase, apiCall: String? = nil) throws {
        let key = RuleFixtures.key(7, name: "svc-\(rule)", row.set, remove: row.remove)
        let previous = row.previous.map { [RuleFixtures.key(7, name: "svc-\(rule)", $0)] }
        let result = RuleFixtures.audit([key], previous: previous)
        let matches = result.findings.filter { $0.rule == rule }
        guard let severity = row.severity else {
            #expect(matches.isEmpty, "\(row.label): \(rule) fired: \(matches.map(\.message))")
            return
        }
        #expect(matches.count == 1, "\(row.label): expected one \(rule) finding, got \(matches.count)")
        let finding = try #require(matches.first)
        let hash = RuleFixtures.hash(7)
        #expect(finding.id == "\(rule):\(hash)")
        #expect(finding.severity == severity, "\(row.label)")
        #expect(finding.keyHash == hash)
        #expect(finding.keyName == "svc-\(rule)")
        #expect(finding.workspaceId == RuleFixtures.workspace)
        #expect(finding.title == RuleCatalog.rule(rule)?.title)
        #expect(!finding.suppressed)
        if row.previous == nil {
            #expect(finding.status == .new)
            #expect(finding.firstSeen == RuleFixtures.now)
        }
        // Evidence: the documented fields, in the documented order.
        let documented = try #require(RuleCatalog.rule(rule)).evidenceFields
        if rule == "disabled-with-usage" {
            #expect(Array(documented.prefix(finding.evidence.count)) == finding.evidence.keys)
        } else {
            #expect(finding.evidence.keys == documented, "\(row.label)")
        }
        for (field, value) in row.evidence {
            #expect(
                RuleFixtures.same(finding.evidence[field], value),
                "\(row.label): evidence \(field) is \(finding.evidence[field].map { "\($0)" } ?? "absent"), expected \(value)"
            )
        }
        if let text = row.message {
            #expect(finding.message.contains(text), "\(row.label): message \"\(finding.message)\" lacks \"\(text)\"")
        }
        // Remediation: the real hash, never the placeholder, and the Management API call.
        #expect(finding.remediation.contains(hash))
        #expect(!finding.remediation.contains("{hash}"))
        if let apiCall {
            #expect(
                finding.remediation.contains(apiCall.replacingOccurrences(of: "<hash>", with: hash)),
                "remediation \"\(finding.remediation)\" lacks \(apiCall)")
        }
    }

    // MARK: - The catalog

    @Test("rule ids, scopes and default severities are the documented contract")
    func catalog() {
        let expected: [(String, Rule.Scope, Severity)] = [
            ("stale-key", .key, .medium), ("no-limit", .key, .high), ("disabled-with-usage", .key, .medium),
            ("expired-not-deleted", .key, .medium), ("expiring-soon", .key, .low),
            ("limit-nearly-exhausted", .key, .medium), ("byok-outside-limit", .key, .medium),
            ("limit-never-resets", .key, .low), ("unused-key", .key, .low),
            ("rotated-predecessor-active", .key, .medium), ("unreadable-data", .key, .medium),
            ("secret-in-metadata", .key, .high), ("broken-chain", .snapshot, .critical),
            ("incomplete-coverage", .snapshot, .high),
        ]
        #expect(RuleCatalog.all.map(\.id) == expected.map(\.0))
        for (id, scope, severity) in expected {
            let rule = RuleCatalog.rule(id)
            #expect(rule?.scope == scope, "\(id)")
            #expect(rule?.defaultSeverity == severity, "\(id)")
            #expect(rule?.title.isEmpty == false && rule?.risk.isEmpty == false, "\(id)")
        }
        for rule in RuleCatalog.all where rule.scope == .key {
            #expect(rule.remediation.contains("/api/v1/keys"), "\(rule.id) remediation names no Management API call")
            #expect(rule.remediation.contains("{hash}"), "\(rule.id) remediation does not name the key")
        }
        #expect(RuleCatalog.rule("no-such-rule") == nil)
    }

    @Test("the keys evaluated in parts at once give the findings of one pass, in the same order")
    func evaluatedInParts() {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let store = RawKeyStore()
        var options = AccountGenerator.Options(
            count: 3_001, workspaces: ["ws-a", "ws-b", "ws-c"], disabled: 200, seed: 11, now: now.timeIntervalSince1970)
        let keys = AccountGenerator.keys(options).map { KeyRecord($0, store: store) }
        options.usageScale = 0.5
        let snapshot = Snapshot(
            takenAt: now, source: "test", workspaces: [], coverage: Coverage(mode: .file), previous: nil, keys: keys)
        let previous = PreviousSnapshot(
            Snapshot(
                takenAt: now.addingTimeInterval(-86_400), source: "test", workspaces: [],
                coverage: Coverage(mode: .file), previous: nil,
                keys: AccountGenerator.keys(options).map { KeyRecord($0, store: store) }),
            policy: Policy(), now: now)
        func summary(_ parts: Int) -> [String] {
            Auditor.evaluate(
                snapshot, previous: previous, policy: Policy(), now: now, rules: RuleCatalog.all, parts: parts
            ).map { "\($0.rule) \($0.keyHash ?? "-") \($0.severity.rawValue) \($0.message)" }
        }
        let one = summary(1)
        #expect(one.count > 1_000)
        #expect(one.contains { $0.hasPrefix("disabled-with-usage") }, "a rule that reads the previous key matched")
        for parts in [2, 3, 7] { #expect(summary(parts) == one, "\(parts) parts") }
    }

    @Test("a healthy key triggers no rule at all")
    func healthyKey() {
        let result = RuleFixtures.audit([RuleFixtures.key(1), RuleFixtures.key(2)])
        #expect(result.findings.isEmpty, "\(result.findings.map(\.id))")
    }

    @Test("enabled and disabled twins: the same risky key gives enabled-only rules, or disabled-with-usage only")
    func twins() {
        let risky: [(String, JSONValue)] = [
            ("limit", nil), ("limit_remaining", nil), ("updated_at", RuleFixtures.at(-200 * RuleFixtures.day)),
            ("created_at", RuleFixtures.at(-300 * RuleFixtures.day)),
            ("expires_at", RuleFixtures.at(5 * RuleFixtures.day)),
            ("last_used_at", RuleFixtures.at(-100 * RuleFixtures.day)),
        ]
        let enabled = RuleFixtures.audit([RuleFixtures.key(1, risky)])
        #expect(RuleFixtures.rules(of: enabled) == ["expiring-soon", "no-limit", "stale-key", "unused-key"])
        let disabled = RuleFixtures.audit([RuleFixtures.key(1, risky + [("disabled", true)])])
        #expect(RuleFixtures.rules(of: disabled) == ["disabled-with-usage"])
        #expect(disabled.findings.first?.severity == .medium)  // usage_monthly 20 > 0
    }

    // MARK: - stale-key

    static let staleCases: [RuleCase] = [
        RuleCase(
            label: "updated_at exactly 90 days ago is not stale",
            set: [("updated_at", RuleFixtures.at(-90 * RuleFixtures.day))],
            severity: nil),
        RuleCase(
            label: "updated_at 90 days + 1 s ago is stale",
            set: [("updated_at", RuleFixtures.at(-90 * RuleFixtures.day - 1))],
            severity: .medium,
            evidence: [
                ("reference_field", "updated_at"), ("reference_timestamp", "2026-08-28T11:59:59Z"), ("age_days", 90),
                ("stale_after_days", 90),
            ],
            message: "not reviewed or rotated for 90 days"),
        RuleCase(
            label: "updated_at null falls back to created_at (90 days + 1 s)",
            set: [("updated_at", nil), ("created_at", RuleFixtures.at(-90 * RuleFixtures.day - 1))], severity: .medium,
            evidence: [
                ("reference_field", "created_at"), ("reference_timestamp", "2026-08-28T11:59:59Z"), ("age_days", 90),
            ],
            message: "not reviewed or rotated for 90 days"),
        RuleCase(
            label: "updated_at null, created_at exactly 90 days ago is not stale",
            set: [("updated_at", nil), ("created_at", RuleFixtures.at(-90 * RuleFixtures.day))], severity: nil),
        RuleCase(
            label: "updated_at absent falls back to created_at",
            set: [("created_at", RuleFixtures.at(-120 * RuleFixtures.day))],
            remove: ["updated_at"], severity: .medium,
            evidence: [("reference_field", "created_at"), ("age_days", 120)],
            message: "not reviewed or rotated for 120 days"),
        RuleCase(
            label: "an old key edited recently is not stale",
            set: [
                ("created_at", RuleFixtures.at(-400 * RuleFixtures.day)),
                ("updated_at", RuleFixtures.at(-89 * RuleFixtures.day)),
            ], severity: nil),
        RuleCase(
            label: "disabled twin of a stale key is not stale-key",
            set: [("updated_at", RuleFixtures.at(-200 * RuleFixtures.day)), ("disabled", true)], severity: nil),
        RuleCase(
            label: "+02:00 offset, exactly 90 days: not stale", set: [("updated_at", "2026-08-28T14:00:00+02:00")],
            severity: nil),
        RuleCase(
            label: "fractional seconds with offset, 90 days + 0.5 s: stale",
            set: [("updated_at", "2026-08-28T13:59:59.500000+02:00")], severity: .medium,
            evidence: [("reference_field", "updated_at"), ("age_days", 90)],
            message: "not reviewed or rotated for 90 days"),
        RuleCase(
            label: "365 days", set: [("updated_at", RuleFixtures.at(-365 * RuleFixtures.day - 7200))],
            severity: .medium,
            evidence: [("age_days", 365)], message: "not reviewed or rotated for 365 days"),
    ]

    @Test("stale-key", arguments: staleCases)
    func staleKey(_ row: RuleCase) throws {
        try check("stale-key", row, apiCall: "PATCH /api/v1/keys/<hash>")
    }

    @Test("stale-key follows stale_after_days and states it")
    func staleThreshold() throws {
        var policy = Policy()
        policy.thresholds.staleAfterDays = 30
        let fresh = RuleFixtures.key(1, [("updated_at", RuleFixtures.at(-30 * RuleFixtures.day))])
        let stale = RuleFixtures.key(2, [("updated_at", RuleFixtures.at(-30 * RuleFixtures.day - 1))])
        let result = RuleFixtures.audit([fresh, stale], policy: policy)
        let found = result.findings.filter { $0.rule == "stale-key" }
        #expect(found.map(\.keyHash) == [RuleFixtures.hash(2)])
        let finding = try #require(found.first)
        #expect(finding.message.contains("not reviewed or rotated for 30 days"))
        #expect(finding.message.contains("the policy allows 30"))
        #expect(RuleFixtures.same(finding.evidence["stale_after_days"], 30))
    }

    // MARK: - no-limit

    static let noLimitCases: [RuleCase] = [
        RuleCase(
            label: "limit null", set: [("limit", nil), ("limit_remaining", nil)], severity: .high,
            evidence: [("limit", nil), ("usage", 20), ("usage_monthly", 20)], message: "limit is null"),
        RuleCase(
            label: "limit absent", remove: ["limit", "limit_remaining"], severity: .high,
            evidence: [("limit", "absent"), ("usage", 20)], message: "limit is absent"),
        RuleCase(label: "limit 0 is a limit", set: [("limit", 0), ("limit_remaining", 0)], severity: nil),
        RuleCase(label: "limit 0.00000001 is a limit", set: [("limit", RuleFixtures.num("0.00000001"))], severity: nil),
        RuleCase(label: "limit 100", severity: nil),
        RuleCase(label: "limit sent as a numeric string", set: [("limit", "25")], severity: nil),
        RuleCase(label: "disabled twin with limit null", set: [("limit", nil), ("disabled", true)], severity: nil),
        RuleCase(label: "disabled twin with limit absent", set: [("disabled", true)], remove: ["limit"], severity: nil),
        RuleCase(label: "unreadable limit is not guessed to be no limit", set: [("limit", "lots")], severity: nil),
    ]

    @Test("no-limit", arguments: noLimitCases)
    func noLimit(_ row: RuleCase) throws {
        try check("no-limit", row, apiCall: "PATCH /api/v1/keys/<hash> with {\"limit\"")
    }

    @Test("null and absent limit give distinct evidence but the same finding id scheme")
    func nullVersusAbsentLimit() {
        let result = RuleFixtures.audit([RuleFixtures.key(1, [("limit", nil)]), RuleFixtures.key(2, remove: ["limit"])])
        let found = result.findings.filter { $0.rule == "no-limit" }
        #expect(found.map(\.id) == ["no-limit:\(RuleFixtures.hash(1))", "no-limit:\(RuleFixtures.hash(2))"])
        #expect(found.first?.evidence["limit"] == .null)
        #expect(found.last?.evidence["limit"] == .string("absent"))
    }

    // MARK: - disabled-with-usage

    static let disabledCases: [RuleCase] = [
        RuleCase(label: "enabled twin with usage", set: [("usage", 20)], severity: nil),
        RuleCase(
            label: "disabled, usage 0 and byok_usage 0",
            set: [("disabled", true), ("usage", 0)] + RuleFixtures.zeroCounters,
            severity: nil),
        RuleCase(
            label: "disabled, usage 0.00000001, counters 0: historical spend (low)",
            set: [("disabled", true), ("usage", RuleFixtures.num("0.00000001"))] + RuleFixtures.zeroCounters,
            severity: .low,
            evidence: [("usage", RuleFixtures.num("0.00000001")), ("byok_usage", 0), ("usage_monthly", 0)],
            message: "candidate for deletion"),
        RuleCase(
            label: "disabled, byok_usage 0.00000001 only (low)",
            set: [("disabled", true), ("usage", 0), ("byok_usage", RuleFixtures.num("0.00000001"))]
                + RuleFixtures.zeroCounters,
            severity: .low, evidence: [("usage", 0), ("byok_usage", RuleFixtures.num("0.00000001"))]),
        RuleCase(
            label: "disabled, usage_monthly above 0 (medium)",
            set: [("disabled", true)] + RuleFixtures.zeroCounters + [("usage_monthly", RuleFixtures.num("12.5"))],
            severity: .medium,
            evidence: [
                ("usage", 20), ("usage_daily", 0), ("usage_weekly", 0), ("usage_monthly", RuleFixtures.num("12.5")),
            ],
            message: "recent spend"),
        RuleCase(
            label: "disabled, usage_daily 0.00000001 (medium)",
            set: [("disabled", true)] + RuleFixtures.zeroCounters + [("usage_daily", RuleFixtures.num("0.00000001"))],
            severity: .medium),
        RuleCase(
            label: "disabled, byok_usage_weekly above 0 (medium)",
            set: [("disabled", true)] + RuleFixtures.zeroCounters + [("byok_usage", 3), ("byok_usage_weekly", 1)],
            severity: .medium),
        RuleCase(
            label: "disabled in both snapshots and usage grew (high)",
            set: [("disabled", true), ("usage", 20)] + RuleFixtures.zeroCounters,
            previous: [("disabled", true), ("usage", 10)] + RuleFixtures.zeroCounters, severity: .high,
            evidence: [("usage", 20), ("previous_usage", 10), ("usage_growth", 10)],
            message: "spent $10.00 since the previous snapshot while disabled"),
        RuleCase(
            label: "disabled in both snapshots and BYOK usage grew (high)",
            set: [("disabled", true), ("usage", 20), ("byok_usage", 5)] + RuleFixtures.zeroCounters,
            previous: [("disabled", true), ("usage", 20), ("byok_usage", 0)] + RuleFixtures.zeroCounters,
            severity: .high,
            evidence: [("previous_usage", 20), ("usage_growth", 5)]),
        RuleCase(
            label: "grew by 0.00000001 while disabled (high)",
            set: [("disabled", true), ("usage", RuleFixtures.num("20.00000001"))] + RuleFixtures.zeroCounters,
            previous: [("disabled", true), ("usage", 20)] + RuleFixtures.zeroCounters, severity: .high),
        RuleCase(
            label: "disabled since the previous snapshot (was enabled), usage grew: not high",
            set: [("disabled", true), ("usage", 20)] + RuleFixtures.zeroCounters,
            previous: [("disabled", false), ("usage", 10)] + RuleFixtures.zeroCounters, severity: .low),
        RuleCase(
            label: "disabled in both, no growth, recent counters: medium",
            set: [("disabled", true), ("usage", 20), ("usage_monthly", 4)],
            previous: [("disabled", true), ("usage", 20), ("usage_monthly", 4)], severity: .medium,
            evidence: [("previous_usage", 20), ("usage_growth", 0)]),
        RuleCase(
            label: "disabled in both, usage counter reset but BYOK usage grew: BYOK spend on a disabled key (high)",
            set: [("disabled", true), ("usage", 20), ("byok_usage", 5)] + RuleFixtures.zeroCounters,
            previous: [("disabled", true), ("usage", 30), ("byok_usage", 0)] + RuleFixtures.zeroCounters,
            severity: .high),
        RuleCase(
            label: "disabled in both, counter went down (reset): not spend",
            set: [("disabled", true), ("usage", 20)] + RuleFixtures.zeroCounters,
            previous: [("disabled", true), ("usage", 30)] + RuleFixtures.zeroCounters, severity: .low),
    ]

    @Test("disabled-with-usage and its three severities", arguments: disabledCases)
    func disabledWithUsage(_ row: RuleCase) throws {
        try check("disabled-with-usage", row, apiCall: "DELETE /api/v1/keys/<hash>")
    }

    @Test("disabled-with-usage without a previous snapshot leaves previous_usage out of the evidence")
    func disabledEvidenceWithoutPrevious() throws {
        let result = RuleFixtures.audit([RuleFixtures.key(1, [("disabled", true)])])
        let finding = try #require(result.findings.first { $0.rule == "disabled-with-usage" })
        #expect(finding.evidence.keys == ["usage", "byok_usage", "usage_daily", "usage_weekly", "usage_monthly"])
    }

    // MARK: - expired-not-deleted

    static let expiredCases: [RuleCase] = [
        RuleCase(
            label: "expired 20 days ago", set: [("expires_at", RuleFixtures.at(-20 * RuleFixtures.day))],
            severity: .medium,
            evidence: [("expires_at", "2026-11-06T12:00:00Z"), ("expired_days_ago", 20)], message: "expired 20 days ago"
        ),
        RuleCase(
            label: "expires exactly now", set: [("expires_at", RuleFixtures.at(0))], severity: .medium,
            evidence: [("expired_days_ago", 0)]),
        RuleCase(label: "expires 1 s from now: not expired", set: [("expires_at", RuleFixtures.at(1))], severity: nil),
        RuleCase(
            label: "disabled and expired: still not deleted",
            set: [("disabled", true), ("expires_at", RuleFixtures.at(-3 * RuleFixtures.day))],
            severity: .medium, evidence: [("expired_days_ago", 3)]),
        RuleCase(label: "expires_at null", set: [("expires_at", nil)], severity: nil),
        RuleCase(label: "expires_at absent", remove: ["expires_at"], severity: nil),
    ]

    @Test("expired-not-deleted", arguments: expiredCases)
    func expiredNotDeleted(_ row: RuleCase) throws {
        try check("expired-not-deleted", row, apiCall: "DELETE /api/v1/keys/<hash>")
    }

    // MARK: - expiring-soon

    static let expiringCases: [RuleCase] = [
        RuleCase(
            label: "expires in 5 days", set: [("expires_at", RuleFixtures.at(5 * RuleFixtures.day))], severity: .low,
            evidence: [("expires_at", "2026-12-01T12:00:00Z"), ("expires_in_days", 5), ("expiring_within_days", 14)],
            message: "expires in 5 days"),
        RuleCase(
            label: "expires in exactly 14 days", set: [("expires_at", RuleFixtures.at(14 * RuleFixtures.day))],
            severity: .low,
            evidence: [("expires_in_days", 14)]),
        RuleCase(
            label: "expires in 14 days + 1 s", set: [("expires_at", RuleFixtures.at(14 * RuleFixtures.day + 1))],
            severity: nil),
        RuleCase(
            label: "expires in 1 s", set: [("expires_at", RuleFixtures.at(1))], severity: .low,
            evidence: [("expires_in_days", 0)]),
        RuleCase(
            label: "expires exactly now: expired, not expiring", set: [("expires_at", RuleFixtures.at(0))],
            severity: nil),
        RuleCase(
            label: "disabled twin", set: [("disabled", true), ("expires_at", RuleFixtures.at(5 * RuleFixtures.day))],
            severity: nil),
        RuleCase(label: "no expiry", severity: nil),
    ]

    @Test("expiring-soon", arguments: expiringCases)
    func expiringSoon(_ row: RuleCase) throws {
        try check("expiring-soon", row, apiCall: "DELETE /api/v1/keys/<hash>")
    }

    @Test("expiring-soon follows expiring_within_days")
    func expiringThreshold() {
        var policy = Policy()
        policy.thresholds.expiringWithinDays = 30
        let result = RuleFixtures.audit(
            [
                RuleFixtures.key(1, [("expires_at", RuleFixtures.at(20 * RuleFixtures.day))]),
                RuleFixtures.key(2, [("expires_at", RuleFixtures.at(31 * RuleFixtures.day))]),
            ], policy: policy
        )
        #expect(result.findings.map(\.id) == ["expiring-soon:\(RuleFixtures.hash(1))"])
        #expect(RuleFixtures.same(result.findings.first?.evidence["expiring_within_days"], 30))
    }

    // MARK: - limit-nearly-exhausted

    static let exhaustedCases: [RuleCase] = [
        RuleCase(
            label: "5 of 100 left", set: [("limit_remaining", 5)], severity: .medium,
            evidence: [
                ("limit", 100), ("limit_remaining", 5), ("remaining_share", RuleFixtures.num("0.05")),
                ("limit_remaining_share", RuleFixtures.num("0.1")),
            ],
            message: "$5.00 of its $100.00 limit left (5.0%, threshold 10%)"),
        RuleCase(label: "exactly 10% left is not under 10%", set: [("limit_remaining", 10)], severity: nil),
        RuleCase(label: "9.99 of 100 left", set: [("limit_remaining", RuleFixtures.num("9.99"))], severity: .medium),
        RuleCase(
            label: "nothing left", set: [("limit_remaining", 0)], severity: .medium,
            evidence: [("remaining_share", 0)]),
        RuleCase(
            label: "overdrawn (negative remaining) shows $0.00 left", set: [("limit_remaining", -5)], severity: .medium,
            evidence: [("limit_remaining", -5), ("remaining_share", 0)], message: "$0.00 of its $100.00 limit left"),
        RuleCase(label: "limit_remaining null", set: [("limit_remaining", nil)], severity: nil),
        RuleCase(label: "limit 0", set: [("limit", 0), ("limit_remaining", 0)], severity: nil),
        RuleCase(label: "no limit at all", set: [("limit", nil), ("limit_remaining", nil)], severity: nil),
        RuleCase(label: "disabled twin", set: [("disabled", true), ("limit_remaining", 1)], severity: nil),
    ]

    @Test("limit-nearly-exhausted", arguments: exhaustedCases)
    func limitNearlyExhausted(_ row: RuleCase) throws {
        try check("limit-nearly-exhausted", row, apiCall: "PATCH /api/v1/keys/<hash> with {\"limit\"")
    }

    @Test("limit-nearly-exhausted follows limit_remaining_share")
    func exhaustedThreshold() {
        var policy = Policy()
        policy.thresholds.limitRemainingShare = 0.5
        let result = RuleFixtures.audit(
            [RuleFixtures.key(1, [("limit_remaining", 49)]), RuleFixtures.key(2, [("limit_remaining", 50)])],
            policy: policy)
        #expect(result.findings.map(\.id) == ["limit-nearly-exhausted:\(RuleFixtures.hash(1))"])
    }

    // MARK: - byok-outside-limit

    static let byokCases: [RuleCase] = [
        RuleCase(
            label: "BYOK spend not counted",
            set: [("include_byok_in_limit", false), ("byok_usage", RuleFixtures.num("12.5"))],
            severity: .medium,
            evidence: [("byok_usage", RuleFixtures.num("12.5")), ("limit", 100), ("include_byok_in_limit", false)],
            message: "$12.50 of BYOK spend is not counted against its $100.00 limit"),
        RuleCase(
            label: "BYOK usage 0.00000001",
            set: [("include_byok_in_limit", false), ("byok_usage", RuleFixtures.num("0.00000001"))],
            severity: .medium),
        RuleCase(label: "BYOK usage 0", set: [("include_byok_in_limit", false), ("byok_usage", 0)], severity: nil),
        RuleCase(
            label: "BYOK counted against the limit", set: [("include_byok_in_limit", true), ("byok_usage", 50)],
            severity: nil),
        RuleCase(
            label: "disabled twin",
            set: [("disabled", true), ("include_byok_in_limit", false), ("byok_usage", 50)], severity: nil),
    ]

    @Test("byok-outside-limit", arguments: byokCases)
    func byokOutsideLimit(_ row: RuleCase) throws {
        try check(
            "byok-outside-limit", row, apiCall: "PATCH /api/v1/keys/<hash> with {\"include_byok_in_limit\": true}")
    }

    // MARK: - limit-never-resets

    static let neverResetsCases: [RuleCase] = [
        RuleCase(
            label: "limit_reset null", set: [("limit_reset", nil)], severity: .low,
            evidence: [("limit", 100), ("limit_reset", nil)], message: "never resets"),
        RuleCase(label: "limit_reset absent", remove: ["limit_reset"], severity: .low),
        RuleCase(label: "monthly", set: [("limit_reset", "monthly")], severity: nil),
        RuleCase(label: "weekly", set: [("limit_reset", "weekly")], severity: nil),
        RuleCase(label: "daily", set: [("limit_reset", "daily")], severity: nil),
        RuleCase(
            label: "no limit at all (no-limit's business)", set: [("limit", nil), ("limit_reset", nil)], severity: nil),
        RuleCase(label: "disabled twin", set: [("disabled", true), ("limit_reset", nil)], severity: nil),
    ]

    @Test("limit-never-resets", arguments: neverResetsCases)
    func limitNeverResets(_ row: RuleCase) throws {
        try check("limit-never-resets", row, apiCall: "PATCH /api/v1/keys/<hash> with {\"limit_reset\"")
    }

    // MARK: - unused-key

    static let unusedCases: [RuleCase] = [
        RuleCase(
            label: "last used 61 days ago", set: [("last_used_at", RuleFixtures.at(-61 * RuleFixtures.day))],
            severity: .low,
            evidence: [("last_used_at", "2026-09-26T12:00:00Z"), ("unused_days", 61), ("unused_after_days", 60)],
            message: "not used for 61 days"),
        RuleCase(
            label: "last used exactly 60 days ago", set: [("last_used_at", RuleFixtures.at(-60 * RuleFixtures.day))],
            severity: nil),
        RuleCase(
            label: "last used 60 days + 1 s ago", set: [("last_used_at", RuleFixtures.at(-60 * RuleFixtures.day - 1))],
            severity: .low,
            evidence: [("unused_days", 60)]),
        RuleCase(
            label: "last_used_at null, no usage, created 75 days ago: never used",
            set: [("last_used_at", nil), ("created_at", RuleFixtures.at(-75 * RuleFixtures.day)), ("usage", 0)]
                + RuleFixtures.zeroCounters,
            severity: .low,
            evidence: [("last_used_at", nil), ("unused_days", 75), ("unused_after_days", 60)],
            message: "never used in the 75 days since it was created"),
        RuleCase(
            label: "last_used_at null, created 30 days ago",
            set: [("last_used_at", nil), ("created_at", RuleFixtures.at(-30 * RuleFixtures.day))],
            severity: nil),
        RuleCase(
            label: "last_used_at absent (older API): nothing to judge, however old the key",
            set: [("created_at", RuleFixtures.at(-400 * RuleFixtures.day))], remove: ["last_used_at"], severity: nil),
        RuleCase(
            label: "disabled twin",
            set: [("disabled", true), ("last_used_at", RuleFixtures.at(-200 * RuleFixtures.day))], severity: nil),
        RuleCase(
            label: "unreadable last_used_at is not guessed", set: [("last_used_at", "a while ago")], severity: nil),
    ]

    @Test("unused-key never claims \"never used\" for a key that shows lifetime usage")
    func nullLastUsedWithUsage() {
        // last_used_at is newer than usage: a key used before it existed can have usage and a null last_used_at.
        let key = RuleFixtures.key(
            1, [("last_used_at", nil), ("created_at", RuleFixtures.at(-400 * RuleFixtures.day)), ("usage", 20)])
        let result = RuleFixtures.audit([key])
        let claims = result.findings.filter { $0.rule == "unused-key" && $0.message.contains("never used") }
        #expect(claims.isEmpty, "\(claims.map(\.message))")
        // With no usage at all, it is never used.
        let idle = RuleFixtures.audit([
            RuleFixtures.key(
                2,
                [("last_used_at", nil), ("created_at", RuleFixtures.at(-400 * RuleFixtures.day)), ("usage", 0)]
                    + RuleFixtures.zeroCounters)
        ])
        #expect(idle.findings.map(\.message) == ["never used in the 400 days since it was created"])
    }

    @Test("unused-key", arguments: unusedCases)
    func unusedKey(_ row: RuleCase) throws {
        try check("unused-key", row, apiCall: "PATCH /api/v1/keys/<hash> with {\"disabled\": true}")
    }

    // MARK: - unreadable-data

    @Test("an unreadable timestamp and number in one key: flagged, kept, and the other rules still run on it")
    func unreadableKeyFlaggedAndKept() throws {
        let broken = RuleFixtures.key(
            5, name: "svc-import-broken",
            [
                ("updated_at", "yesterday"), ("usage", "n/a"), ("limit", nil),
                ("expires_at", RuleFixtures.at(3 * RuleFixtures.day)),
            ])
        let snapshot = RuleFixtures.snapshot([RuleFixtures.key(1), broken, RuleFixtures.key(9)])
        #expect(snapshot.keys.count == 3)
        #expect(snapshot.keys.map(\.identity) == [RuleFixtures.hash(1), RuleFixtures.hash(5), RuleFixtures.hash(9)])
        let result = Auditor.audit(snapshot, policy: Policy(), now: RuleFixtures.now)
        #expect(result.findings.allSatisfy { $0.keyHash == RuleFixtures.hash(5) }, "healthy keys got findings")
        #expect(RuleFixtures.rules(of: result) == ["expiring-soon", "no-limit", "unreadable-data"])
        let finding = try #require(result.findings.first { $0.rule == "unreadable-data" })
        #expect(finding.id == "unreadable-data:\(RuleFixtures.hash(5))")
        #expect(finding.severity == .medium)
        #expect(finding.keyName == "svc-import-broken")
        #expect(
            finding.message
                == "cannot read: usage is not a number (\"n/a\"); updated_at is not an RFC 3339 timestamp (\"yesterday\")"
        )
        let problems = try #require(finding.evidence["problems"]?.arrayValue)
        #expect(problems.count == 2)
        #expect(problems.first?["field"] == "usage")
        #expect(problems.first?["problem"] == "is not a number")
        #expect(problems.first?["value"] == "\"n/a\"")
        #expect(problems.last?["field"] == "updated_at")
        #expect(problems.last?["value"] == "\"yesterday\"")
        #expect(finding.remediation.contains("GET /api/v1/keys/\(RuleFixtures.hash(5))"))
        // The key is kept as received, for the snapshot.
        #expect(snapshot.keys[1].raw["usage"] == .string("n/a"))
    }

    @Test("an unreadable key read from a file is kept, never dropped, and the file still decodes")
    func unreadableKeyFromFile() throws {
        let good = JSONWriter.string(.object(RuleFixtures.object(1)))
        var bad = RuleFixtures.object(2)
        bad["created_at"] = 1_700_000_000
        bad["limit"] = "unlimited"
        let text = "{\"data\": [\(good), \(JSONWriter.string(.object(bad))), {\"hash\": \"\(RuleFixtures.hash(3))\"}]}"
        let snapshot = try Snapshot.decode(Array(text.utf8), origin: "keys.json")
        #expect(snapshot.keys.count == 3)
        let result = Auditor.audit(snapshot, policy: Policy(), now: RuleFixtures.now)
        let flagged = result.findings.filter { $0.rule == "unreadable-data" }.compactMap(\.keyHash)
        #expect(flagged == [RuleFixtures.hash(2), RuleFixtures.hash(3)])
        let second = try #require(result.findings.first { $0.id == "unreadable-data:\(RuleFixtures.hash(2))" })
        #expect(second.message.contains("limit is not a number"))
        #expect(second.message.contains("created_at is not a timestamp string"))
        let third = try #require(result.findings.first { $0.id == "unreadable-data:\(RuleFixtures.hash(3))" })
        #expect(third.message.contains("name is missing"))
        #expect(third.message.contains("disabled is missing"))
        #expect(third.message.contains("created_at is missing"))
    }

    struct Unreadable: Sendable, CustomTestStringConvertible {
        var field: String
        var value: JSONValue?
        var problem: String
        var testDescription: String { "\(field) = \(value.map { "\($0)" } ?? "absent")" }
    }

    static let unreadableCases: [Unreadable] = [
        Unreadable(field: "created_at", value: "2026-02-30T00:00:00Z", problem: "is not an RFC 3339 timestamp"),
        Unreadable(field: "created_at", value: nil, problem: "is missing"),
        Unreadable(field: "created_at", value: .null, problem: "is null"),
        Unreadable(field: "expires_at", value: "tomorrow", problem: "is not an RFC 3339 timestamp"),
        Unreadable(field: "updated_at", value: "2026-11-26", problem: "is not an RFC 3339 timestamp"),
        Unreadable(field: "last_used_at", value: 1_700_000_000, problem: "is not a timestamp string"),
        Unreadable(field: "limit", value: "lots", problem: "is not a number"),
        Unreadable(field: "limit_remaining", value: true, problem: "is not a number"),
        Unreadable(field: "usage", value: .number(JSONNumber(validating: "1e400")!), problem: "is not a finite number"),
        Unreadable(field: "byok_usage", value: ["a"], problem: "is not a number"),
        Unreadable(field: "disabled", value: "maybe", problem: "is not a boolean"),
        Unreadable(field: "name", value: 42, problem: "is not a string"),
        Unreadable(field: "hash", value: "abc123", problem: "is not 64 hexadecimal characters"),
    ]

    @Test("each unreadable field is named in the evidence", arguments: unreadableCases)
    func unreadableField(_ row: Unreadable) throws {
        let key = row.value.map { RuleFixtures.key(4, [(row.field, $0)]) } ?? RuleFixtures.key(4, remove: [row.field])
        let snapshot = RuleFixtures.snapshot([key, RuleFixtures.key(8)])
        #expect(snapshot.keys.count == 2)
        let result = Auditor.audit(snapshot, policy: Policy(), now: RuleFixtures.now)
        let found = result.findings.filter { $0.rule == "unreadable-data" }
        #expect(found.count == 1)
        let finding = try #require(found.first)
        #expect(finding.keyHash == key.identity)
        #expect(finding.id == "unreadable-data:\(key.identity)")
        let problems = try #require(finding.evidence["problems"]?.arrayValue)
        #expect(problems.count == 1)
        #expect(problems.first?["field"] == .string(row.field))
        #expect(problems.first?["problem"] == .string(row.problem))
        #expect(finding.message.hasPrefix("cannot read: \(row.field) \(row.problem)"))
    }

    @Test("a key without a hash keeps a stable stand-in identity and is flagged")
    func missingHash() throws {
        let object = RuleFixtures.object(3, remove: ["hash"])
        let first = Auditor.audit(RuleFixtures.snapshot([KeyRecord(object)]), policy: Policy(), now: RuleFixtures.now)
        let again = Auditor.audit(RuleFixtures.snapshot([KeyRecord(object)]), policy: Policy(), now: RuleFixtures.now)
        let finding = try #require(first.findings.first { $0.rule == "unreadable-data" })
        let identity = try #require(finding.keyHash)
        #expect(identity.hasPrefix("~nohash-"))
        #expect(finding.id == "unreadable-data:\(identity)")
        #expect(again.findings.map(\.id) == first.findings.map(\.id))
        #expect(finding.message.contains("hash is missing"))
    }

    @Test("numbers sent as numeric strings are read, not flagged")
    func lenientNumbers() {
        let result = RuleFixtures.audit([
            RuleFixtures.key(1, [("limit", "100"), ("usage", "0.5"), ("limit_remaining", " 80 ")])
        ])
        #expect(result.findings.isEmpty, "\(result.findings.map(\.message))")
    }

    // MARK: - broken-chain

    @Test("broken-chain: a previous snapshot that no longer matches its recorded sha256")
    func brokenChain() throws {
        let recorded = String(repeating: "a", count: 64)
        let actual = String(repeating: "b", count: 64)
        let broken = BrokenChain(path: "20261125T030000Z/snapshot.json", recorded: recorded, actual: actual)
        let result = RuleFixtures.audit([RuleFixtures.key(1)], brokenChain: broken)
        #expect(result.findings.count == 1)
        let finding = try #require(result.findings.first)
        #expect(finding.id == "broken-chain:snapshot")
        #expect(finding.rule == "broken-chain")
        #expect(finding.severity == .critical)
        #expect(finding.keyHash == nil)
        #expect(finding.keyName == nil)
        #expect(finding.evidence.keys == ["snapshot", "recorded_sha256", "actual_sha256"])
        #expect(finding.evidence["snapshot"] == "20261125T030000Z/snapshot.json")
        #expect(finding.evidence["recorded_sha256"] == .string(recorded))
        #expect(finding.evidence["actual_sha256"] == .string(actual))
        #expect(finding.message.contains("20261125T030000Z/snapshot.json"))
        #expect(finding.message.contains("altered"))
        #expect(finding.remediation.contains("keyaudit verify"))

        #expect(RuleFixtures.audit([RuleFixtures.key(1)]).findings.isEmpty)
        var off = Policy()
        off.rules["broken-chain"] = Policy.RuleSetting(enabled: false)
        #expect(RuleFixtures.audit([RuleFixtures.key(1)], policy: off, brokenChain: broken).findings.isEmpty)
    }

    @Test("broken-chain cannot be suppressed by a catch-all suppression")
    func brokenChainNotSuppressible() throws {
        var policy = Policy()
        policy.suppressions = [
            Suppression(
                key: "*", rule: "*", reason: "everything", owner: "x", ticket: nil, expires: "2099-01-01",
                expiresAt: Date(timeIntervalSince1970: 4_070_908_800), location: "test:1")
        ]
        let broken = BrokenChain(
            path: "p", recorded: String(repeating: "a", count: 64), actual: String(repeating: "c", count: 64))
        let result = RuleFixtures.audit([RuleFixtures.key(1, [("limit", nil)])], policy: policy, brokenChain: broken)
        let chain = try #require(result.findings.first { $0.rule == "broken-chain" })
        #expect(!chain.suppressed)
        #expect(result.findings.first { $0.rule == "no-limit" }?.suppressed == true)
    }

    // MARK: - incomplete-coverage

    struct CoverageCase: Sendable, CustomTestStringConvertible {
        var label: String
        var mode: Coverage.Mode
        var consistent: Bool
        var severity: Severity?
        var testDescription: String { label }
    }

    static let coverageCases: [CoverageCase] = [
        CoverageCase(label: "paging never settled", mode: .allWorkspaces, consistent: false, severity: .high),
        CoverageCase(label: "default listing only", mode: .defaultListingOnly, consistent: true, severity: .low),
        CoverageCase(
            label: "default listing that never settled", mode: .defaultListingOnly, consistent: false, severity: .high),
        CoverageCase(label: "all workspaces, consistent", mode: .allWorkspaces, consistent: true, severity: nil),
        CoverageCase(label: "selected workspaces", mode: .selectedWorkspaces, consistent: true, severity: nil),
        CoverageCase(label: "from a file", mode: .file, consistent: true, severity: nil),
    ]

    @Test("incomplete-coverage", arguments: coverageCases)
    func incompleteCoverage(_ row: CoverageCase) throws {
        let coverage = Coverage(mode: row.mode, consistent: row.consistent, notes: ["listing note"])
        let result = RuleFixtures.audit([RuleFixtures.key(1)], coverage: coverage)
        let found = result.findings.filter { $0.rule == "incomplete-coverage" }
        guard let severity = row.severity else {
            #expect(found.isEmpty)
            return
        }
        #expect(found.count == 1)
        let finding = try #require(found.first)
        #expect(finding.id == "incomplete-coverage:snapshot")
        #expect(finding.severity == severity)
        #expect(finding.keyHash == nil)
        #expect(finding.evidence.keys == ["mode", "consistent", "notes"])
        #expect(finding.evidence["mode"] == .string(row.mode.rawValue))
        #expect(finding.evidence["consistent"] == .bool(row.consistent))
        #expect(finding.evidence["notes"] == ["listing note"])
    }

    // MARK: - Policy effects on rules

    @Test("a severity override replaces even the graded severities of disabled-with-usage")
    func severityOverride() {
        var policy = Policy()
        policy.rules["disabled-with-usage"] = Policy.RuleSetting(severity: .info)
        policy.rules["no-limit"] = Policy.RuleSetting(enabled: false)
        let result = RuleFixtures.audit(
            [
                RuleFixtures.key(1, [("disabled", true), ("usage", 20)] + RuleFixtures.zeroCounters),
                RuleFixtures.key(2, [("limit", nil)]),
            ],
            previous: [RuleFixtures.key(1, [("disabled", true), ("usage", 10)] + RuleFixtures.zeroCounters)],
            policy: policy)
        #expect(result.findings.map(\.id) == ["disabled-with-usage:\(RuleFixtures.hash(1))"])
        #expect(result.findings.first?.severity == .info)
        #expect(result.findings.first?.message.contains("while disabled") == true)
    }
}
