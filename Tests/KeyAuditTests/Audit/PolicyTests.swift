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

/// Keys, policies and audits for the policy tests. `PolicyFixtures.key` is healthy; the named builders bend it
/// into exactly one finding each.
private enum PolicyFixtures {
    /// 2026-11-26T12:00:00Z: the run's clock in every policy test.
    static let now = Date(timeIntervalSince1970: 1_795_694_400)
    static var clock: Double { now.timeIntervalSince1970 }
    static let day = 86_400.0

    static func hash(_ n: Int) -> String { String(repeating: String(format: "%02x", n), count: 32) }

    static func at(_ offset: Double) -> JSONValue {
        .string(Timestamp.format(Date(timeIntervalSince1970: clock + offset)))
    }

    static func key(_ n: Int, name: String, _ set: [(String, JSONValue)] = []) -> KeyRecord {
        var object = JSONObject([
            ("hash", .string(hash(n))), ("name", .string(name)), ("label", "sk-or-v1-abc...1234"), ("disabled", false),
            ("limit", 100), ("limit_remaining", 80), ("limit_reset", "monthly"), ("include_byok_in_limit", true),
            ("usage", 20), ("usage_daily", 1), ("usage_weekly", 5), ("usage_monthly", 20), ("byok_usage", 0),
            ("byok_usage_daily", 0), ("byok_usage_weekly", 0), ("byok_usage_monthly", 0),
            ("created_at", at(-30 * day)), ("updated_at", at(-10 * day)), ("expires_at", nil),
            ("creator_user_id", "user_bob"), ("workspace_id", "8e2d9a41-7b3c-4f5e-a6d7-1b2c3d4e5f60"),
            ("last_used_at", at(-3600)),
        ])
        for (field, value) in set { object[field] = value }
        return KeyRecord(object)
    }

    /// One high finding (no-limit).
    static func noLimit(_ n: Int, _ name: String) -> KeyRecord {
        key(n, name: name, [("limit", nil), ("limit_remaining", nil)])
    }
    /// One medium finding (stale-key).
    static func stale(_ n: Int, _ name: String) -> KeyRecord { key(n, name: name, [("updated_at", at(-200 * day))]) }
    /// One low finding (expiring-soon).
    static func expiring(_ n: Int, _ name: String) -> KeyRecord { key(n, name: name, [("expires_at", at(5 * day))]) }
    /// One low finding (disabled-with-usage, historical spend).
    static func disabled(_ n: Int, _ name: String) -> KeyRecord {
        key(
            n, name: name,
            [("disabled", true), ("usage_daily", 0), ("usage_weekly", 0), ("usage_monthly", 0)])
    }
    /// One low finding (limit-never-resets).
    static func neverResets(_ n: Int, _ name: String) -> KeyRecord { key(n, name: name, [("limit_reset", nil)]) }

    static func snapshot(_ keys: [KeyRecord], takenAt: Date? = now) -> Snapshot {
        Snapshot(
            takenAt: takenAt, source: "test", workspaces: [], coverage: Coverage(mode: .allWorkspaces), previous: nil,
            keys: keys)
    }

    static func parse(_ yaml: String, name: String = "policy.yml") throws(KeyAuditError) -> Policy {
        try PolicyFile.parse(yaml, name: name)
    }

    /// The `.usage` message a malformed policy gives, or nil when it parses (or fails otherwise).
    static func usageError(_ yaml: String, name: String = "policy.yml") -> String? {
        do {
            _ = try PolicyFile.parse(yaml, name: name)
            return nil
        } catch {
            guard case .usage(let message) = error else { return "not a usage error: \(error)" }
            #expect(error.exitCode == 64)
            return message
        }
    }

    static func suppressionsYAML(_ entries: [(key: String, rule: String, expires: String)]) -> String {
        "suppressions:\n"
            + entries.map { entry in
                """
                  - key: "\(entry.key)"
                    rule: "\(entry.rule)"
                    reason: "accepted for the test"
                    owner: "sec@example.com"
                    expires: "\(entry.expires)"

                """
            }.joined()
    }
}

@Suite("Policy file, suppressions, findings.json and --fail-on")
struct PolicyTests {

    // MARK: - Parsing

    @Test("an empty or comment-only policy gives the built-in defaults, named after the file")
    func defaults() throws {
        for text in ["", "# nothing here\n", "version: 1\n"] {
            let policy = try PolicyFixtures.parse(text, name: "conf/policy.yml")
            #expect(policy.thresholds == Policy.Thresholds())
            #expect(policy.rules.isEmpty)
            #expect(policy.suppressions.isEmpty)
            #expect(policy.source == "conf/policy.yml")
        }
        let builtIn = Policy()
        #expect(builtIn.source == "built-in defaults")
        #expect(builtIn.thresholds.staleAfterDays == 90)
        #expect(builtIn.thresholds.expiringWithinDays == 14)
        #expect(builtIn.thresholds.unusedAfterDays == 60)
        #expect(builtIn.thresholds.limitRemainingShare == 0.1)
        #expect(builtIn.thresholds.suppressionWarningDays == 14)
        for rule in RuleCatalog.all {
            #expect(builtIn.setting(for: rule.id) == Policy.RuleSetting(enabled: true, severity: nil))
        }
    }

    @Test("thresholds are read; those left out keep their defaults")
    func thresholds() throws {
        let policy = try PolicyFixtures.parse(
            """
            version: 1
            thresholds:
              stale_after_days: 30
              expiring_within_days: 7
              unused_after_days: 120
              limit_remaining_share: 0.25
              suppression_warning_days: 3
            """)
        #expect(policy.thresholds.staleAfterDays == 30)
        #expect(policy.thresholds.expiringWithinDays == 7)
        #expect(policy.thresholds.unusedAfterDays == 120)
        #expect(policy.thresholds.limitRemainingShare == 0.25)
        #expect(policy.thresholds.suppressionWarningDays == 3)

        let partial = try PolicyFixtures.parse("thresholds:\n  stale_after_days: 0\n")
        #expect(partial.thresholds.staleAfterDays == 0)
        #expect(partial.thresholds.unusedAfterDays == 60)
        #expect(partial.thresholds.limitRemainingShare == 0.1)
    }

    @Test("rules can be turned off and their severity changed, and the audit obeys")
    func ruleSettings() throws {
        let policy = try PolicyFixtures.parse(
            """
            rules:
              no-limit:
                enabled: false
              stale-key:
                severity: critical
              expiring-soon:
                enabled: yes
                severity: info
            """)
        #expect(policy.setting(for: "no-limit") == Policy.RuleSetting(enabled: false, severity: nil))
        #expect(policy.setting(for: "stale-key") == Policy.RuleSetting(enabled: true, severity: .critical))
        #expect(policy.setting(for: "expiring-soon") == Policy.RuleSetting(enabled: true, severity: .info))
        #expect(policy.setting(for: "unused-key") == Policy.RuleSetting())

        let keys = [PolicyFixtures.noLimit(1, "a"), PolicyFixtures.stale(2, "b"), PolicyFixtures.expiring(3, "c")]
        let result = Auditor.audit(PolicyFixtures.snapshot(keys), policy: policy, now: PolicyFixtures.now)
        #expect(
            result.findings.map(\.id) == [
                "stale-key:\(PolicyFixtures.hash(2))", "expiring-soon:\(PolicyFixtures.hash(3))",
            ])
        #expect(result.findings.map(\.severity) == [.critical, .info])
    }

    @Test("suppressions by hash and by glob are read with every field and where they stand in the file")
    func suppressionParsing() throws {
        let policy = try PolicyFixtures.parse(
            """
            version: 1
            suppressions:
              - key: "\(PolicyFixtures.hash(4))"
                rule: stale-key
                reason: "Rotation scheduled with the Q1 migration"
                owner: data@example.com
                ticket: SEC-214
                expires: 2027-01-31
              - key: "ci-runner-*"
                rule: "*"
                reason: CI budget caps them
                owner: platform@example.com
                expires: "2027-03-31T18:00:00Z"
            """, name: "conf/policy.yml")
        #expect(policy.suppressions.count == 2)
        let byHash = try #require(policy.suppressions.first)
        #expect(byHash.key == PolicyFixtures.hash(4))
        #expect(byHash.matchesByHash)
        #expect(byHash.rule == "stale-key")
        #expect(byHash.reason == "Rotation scheduled with the Q1 migration")
        #expect(byHash.owner == "data@example.com")
        #expect(byHash.ticket == "SEC-214")
        #expect(byHash.expires == "2027-01-31")
        // A date suppresses through the end of that UTC day.
        #expect(byHash.expiresAt == Timestamp.date("2027-02-01T00:00:00Z"))
        #expect(byHash.location == "conf/policy.yml:3")
        let byGlob = try #require(policy.suppressions.last)
        #expect(byGlob.key == "ci-runner-*")
        #expect(!byGlob.matchesByHash)
        #expect(byGlob.rule == "*")
        #expect(byGlob.ticket == nil)
        #expect(byGlob.expiresAt == Timestamp.date("2027-03-31T18:00:00Z"))
        #expect(byGlob.location == "conf/policy.yml:9")
    }

    @Test("the starter file `keyaudit policy init` writes parses cleanly to the defaults")
    func starter() throws {
        let policy = try PolicyFixtures.parse(PolicyFile.starter, name: "keyaudit-policy.yml")
        #expect(policy.thresholds == Policy.Thresholds())
        #expect(policy.suppressions.isEmpty)
        #expect(policy.rules.isEmpty, "the starter overrides nothing: every setting shown is the default")
        #expect(policy.source == "keyaudit-policy.yml")
    }

    @Test("the starter file's examples work as its comments say: replace [] or {} by them, uncommented")
    func starterExamples() throws {
        var lines: [String] = []
        var inExample = false
        for line in PolicyFile.starter.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if ["rules: {}", "suppressions: []", "remediation: {}"].contains(line) {
                lines.append(String(line.dropLast(3)))
                inExample = true
            } else if inExample, line.hasPrefix("#  ") {
                lines.append(" " + line.dropFirst())
            } else {
                inExample = false
                lines.append(line)
            }
        }
        let policy = try PolicyFixtures.parse(lines.joined(separator: "\n"), name: "keyaudit-policy.yml")
        #expect(policy.rules == ["limit-never-resets": Policy.RuleSetting(enabled: true, severity: .medium)])
        #expect(policy.suppressions.count == 1)
        #expect(policy.remediation.count == 5)
    }

    // MARK: - Malformed policies

    struct Malformed: Sendable, CustomTestStringConvertible {
        var label: String
        var yaml: String
        /// `policy.yml:<line>:` — the file and line the message must start with.
        var line: Int
        /// Texts the message must contain (the field, and what is wrong).
        var contains: [String]
        var testDescription: String { label }
    }

    static let suppressionHead = "suppressions:\n  - key: \"ci-*\"\n    rule: no-limit\n"

    static let malformed: [Malformed] = [
        Malformed(
            label: "bad YAML syntax",
            yaml: "version: 1\nthresholds:\n  stale_after_days: [90\n  unused_after_days: 3\n",
            line: 4, contains: ["fix the YAML syntax"]),
        Malformed(
            label: "unknown rule id",
            yaml: "rules:\n  no-limit:\n    enabled: false\n  stale-keys:\n    enabled: false\n",
            line: 4, contains: ["rules.stale-keys", "is not a rule id", "stale-key, no-limit"]),
        Malformed(
            label: "unknown threshold setting", yaml: "thresholds:\n  stale_after_days: 30\n  stale_days: 30\n",
            line: 3,
            contains: ["thresholds", "unknown setting \"stale_days\"", "stale_after_days"]),
        Malformed(
            label: "unknown top-level setting", yaml: "version: 1\nthreshold:\n  stale_after_days: 30\n", line: 2,
            contains: ["unknown setting \"threshold\""]),
        Malformed(
            label: "unknown rule setting", yaml: "rules:\n  no-limit:\n    disabled: true\n", line: 3,
            contains: ["rules.no-limit", "unknown setting \"disabled\""]),
        Malformed(
            label: "missing expires", yaml: suppressionHead + "    reason: r\n    owner: o\n", line: 2,
            contains: ["suppressions[0].expires is missing", "YYYY-MM-DD"]),
        Malformed(
            label: "missing owner in the second entry",
            yaml: suppressionHead
                + "    reason: r\n    owner: o\n    expires: 2027-01-01\n  - key: x\n    rule: \"*\"\n    reason: r\n    expires: 2027-01-01\n",
            line: 7, contains: ["suppressions[1].owner is missing"]),
        Malformed(
            label: "empty reason", yaml: suppressionHead + "    reason: \"\"\n    owner: o\n    expires: 2027-01-01\n",
            line: 4,
            contains: ["suppressions[0].reason is empty"]),
        Malformed(
            label: "stale_after_days: soon", yaml: "version: 1\nthresholds:\n  stale_after_days: soon\n", line: 3,
            contains: ["thresholds.stale_after_days", "whole number", "\"soon\""]),
        Malformed(
            label: "stale_after_days as a list", yaml: "thresholds:\n  stale_after_days: [1, 2]\n", line: 2,
            contains: ["thresholds.stale_after_days must be a whole number"]),
        Malformed(
            label: "negative days", yaml: "thresholds:\n  unused_after_days: -1\n", line: 2,
            contains: ["thresholds.unused_after_days", "between 0 and 36500"]),
        Malformed(
            label: "share above 1", yaml: "thresholds:\n  limit_remaining_share: 1.5\n", line: 2,
            contains: ["thresholds.limit_remaining_share", "between 0 and 1"]),
        Malformed(
            label: "share not a number", yaml: "thresholds:\n  limit_remaining_share: ten percent\n", line: 2,
            contains: ["thresholds.limit_remaining_share must be a number"]),
        Malformed(
            label: "enabled: maybe", yaml: "rules:\n  no-limit:\n    enabled: maybe\n", line: 3,
            contains: ["rules.no-limit.enabled", "true or false", "\"maybe\""]),
        Malformed(
            label: "unknown severity", yaml: "rules:\n  no-limit:\n    severity: severe\n", line: 3,
            contains: ["rules.no-limit.severity", "\"severe\"", "not a severity"]),
        Malformed(
            label: "bad date", yaml: suppressionHead + "    reason: r\n    owner: o\n    expires: 2027-02-30\n",
            line: 6,
            contains: ["suppressions[0].expires", "\"2027-02-30\"", "not a date"]),
        Malformed(
            label: "expires in words",
            yaml: suppressionHead + "    reason: r\n    owner: o\n    expires: next quarter\n",
            line: 6, contains: ["suppressions[0].expires", "\"next quarter\"", "YYYY-MM-DD"]),
        Malformed(
            label: "unknown rule in a suppression",
            yaml: "suppressions:\n  - key: x\n    rule: stale\n    reason: r\n    owner: o\n    expires: 2027-01-01\n",
            line: 3,
            contains: ["suppressions[0].rule", "\"stale\"", "not a rule id"]),
        Malformed(
            label: "unknown field in a suppression",
            yaml: suppressionHead + "    reason: r\n    owner: o\n    expiry: 2027-01-01\n", line: 6,
            contains: ["suppressions[0]", "unknown setting \"expiry\""]),
        Malformed(
            label: "reason as a list",
            yaml: suppressionHead + "    reason: [a, b]\n    owner: o\n    expires: 2027-01-01\n",
            line: 4, contains: ["suppressions[0].reason must be text"]),
        Malformed(
            label: "suppressions not a list", yaml: "suppressions:\n  key: x\n", line: 2,
            contains: ["suppressions must be a list"]),
        Malformed(
            label: "policy version 2", yaml: "version: 2\n", line: 1, contains: ["version is 2", "policy version 1"]),
        Malformed(
            label: "the policy is a list", yaml: "- no-limit\n- stale-key\n", line: 1,
            contains: ["the policy must be a mapping"]),
    ]

    @Test("a malformed policy is a usage error (exit 64) naming the file, line and field", arguments: malformed)
    func malformedPolicy(_ row: Malformed) {
        let message = PolicyFixtures.usageError(row.yaml)
        #expect(message != nil, "\(row.label) parsed without error")
        guard let message else { return }
        #expect(message.hasPrefix("policy.yml:\(row.line):"), "\(row.label): \(message)")
        for text in row.contains {
            #expect(message.contains(text), "\(row.label): \"\(message)\" lacks \"\(text)\"")
        }
    }

    @Test("a setting given twice names the line of that setting, not of the mapping around it")
    func duplicateSetting() throws {
        let message = try #require(
            PolicyFixtures.usageError(
                "version: 1\nthresholds:\n  unused_after_days: 3\n  stale_after_days: 30\n  stale_after_days: 400\n"))
        #expect(message.contains("stale_after_days"), "\(message)")
        // Line 4 (first occurrence) or 5 (the repeat) both point at the problem; line 3 is an innocent setting.
        #expect(
            message.hasPrefix("policy.yml:4:") || message.hasPrefix("policy.yml:5:"), "\(message)")
    }

    @Test("PolicyFile.load names a missing file and exits 64")
    func missingFile() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keyaudit-no-such-policy-\(UUID()).yml"
        ).path
        do {
            _ = try PolicyFile.load(path: path)
            Issue.record("a missing policy file loaded")
        } catch {
            #expect(error.exitCode == 64)
            #expect(error.message.contains(path))
        }
    }

    // MARK: - Suppressions in the audit

    @Test("suppression states: active, expiring soon, expired (counted again) and unmatched")
    func suppressionStates() throws {
        let keys = [
            PolicyFixtures.noLimit(1, "ci-runner-1"), PolicyFixtures.noLimit(2, "ci-runner-2"),
            PolicyFixtures.stale(3, "svc-batch-export"),
            PolicyFixtures.stale(4, "legacy-crm"), PolicyFixtures.noLimit(5, "legacy-billing"),
            PolicyFixtures.expiring(6, "customer-acme-trial"),
        ]
        let policy = try PolicyFixtures.parse(
            PolicyFixtures.suppressionsYAML([
                ("ci-runner-*", "no-limit", "2027-06-30"),
                (PolicyFixtures.hash(3), "stale-key", "2026-12-09"),
                ("legacy-*", "*", "2026-11-25"),
                ("does-not-exist-*", "no-limit", "2027-06-30"),
            ]))
        let result = Auditor.audit(PolicyFixtures.snapshot(keys), policy: policy, now: PolicyFixtures.now)
        #expect(result.suppressions.map(\.state) == [.active, .expiringSoon, .expired, .unmatched])
        #expect(result.suppressions.map(\.matched) == [2, 1, 2, 0])
        #expect(result.suppressions.map(\.suppression) == policy.suppressions)

        // Every finding stays in the result; suppressed ones say by which entry.
        #expect(result.findings.count == 6)
        let suppressed = result.findings.filter(\.suppressed).map(\.id).sorted()
        #expect(
            suppressed
                == [
                    "no-limit:\(PolicyFixtures.hash(1))", "no-limit:\(PolicyFixtures.hash(2))",
                    "stale-key:\(PolicyFixtures.hash(3))",
                ].sorted())
        #expect(
            result.findings.first { $0.id == "stale-key:\(PolicyFixtures.hash(3))" }?.suppression?.key
                == PolicyFixtures.hash(3))
        #expect(
            result.findings.first { $0.id == "no-limit:\(PolicyFixtures.hash(1))" }?.suppression?.key == "ci-runner-*")
        // The expired entry stops suppressing: its findings count again.
        #expect(result.findings.first { $0.id == "stale-key:\(PolicyFixtures.hash(4))" }?.suppressed == false)
        #expect(result.findings.first { $0.id == "no-limit:\(PolicyFixtures.hash(5))" }?.suppressed == false)
        #expect(
            result.unsuppressed.map(\.id).sorted()
                == [
                    "expiring-soon:\(PolicyFixtures.hash(6))", "no-limit:\(PolicyFixtures.hash(5))",
                    "stale-key:\(PolicyFixtures.hash(4))",
                ].sorted())

        let summary = FindingsDocument.Summary(snapshot: PolicyFixtures.snapshot(keys), audit: result)
        #expect(summary.keys == 6)
        #expect(summary.enabled == 6)
        #expect(summary.disabled == 0)
        #expect(summary.findings == 3)
        #expect(summary.suppressed == 3)
        #expect(summary.byRule.map(\.0) == RuleCatalog.all.map(\.id))
        #expect(summary.byRule.first { $0.0 == "no-limit" }?.1 == 1)
        #expect(summary.byRule.first { $0.0 == "stale-key" }?.1 == 1)
        #expect(summary.byRule.first { $0.0 == "expiring-soon" }?.1 == 1)
        #expect(summary.byRule.map(\.1).reduce(0, +) == 3)
        #expect(summary.bySeverity.map(\.0) == [.critical, .high, .medium, .low, .info])
        #expect(summary.bySeverity.map(\.1) == [0, 1, 1, 1, 0])
    }

    struct ExpiryCase: Sendable, CustomTestStringConvertible {
        var expires: String
        var state: SuppressionStatus.State
        var testDescription: String { "expires \(expires)" }
    }

    static let expiryCases: [ExpiryCase] = [
        ExpiryCase(expires: "2026-11-25", state: .expired),
        ExpiryCase(expires: "2026-11-26", state: .expiringSoon),  // through the end of today (UTC)
        ExpiryCase(expires: "2026-11-26T12:00:00Z", state: .expired),  // lapses at the run's clock exactly
        ExpiryCase(expires: "2026-11-26T12:00:01Z", state: .expiringSoon),
        ExpiryCase(expires: "2026-12-09", state: .expiringSoon),  // lapses 2026-12-10T00:00Z, 13.5 days away
        ExpiryCase(expires: "2026-12-10T12:00:00Z", state: .expiringSoon),  // exactly 14 days away
        ExpiryCase(expires: "2026-12-10T12:00:01Z", state: .active),
        ExpiryCase(expires: "2026-12-10", state: .active),  // lapses 2026-12-11T00:00Z
        ExpiryCase(expires: "2030-01-01", state: .active),
    ]

    @Test("suppression expiry boundaries", arguments: expiryCases)
    func suppressionExpiry(_ row: ExpiryCase) throws {
        let policy = try PolicyFixtures.parse(PolicyFixtures.suppressionsYAML([("svc-*", "stale-key", row.expires)]))
        let result = Auditor.audit(
            PolicyFixtures.snapshot([PolicyFixtures.stale(1, "svc-old")]), policy: policy, now: PolicyFixtures.now)
        #expect(result.suppressions.map(\.state) == [row.state])
        #expect(result.suppressions.first?.matched == 1)
        let finding = try #require(result.findings.first)
        #expect(finding.suppressed == (row.state != .expired))
        #expect(FailOn.severity(.medium).isTriggered(by: result.findings) == (row.state == .expired))
    }

    @Test("suppression_warning_days sets the expiring-soon window")
    func warningWindow() throws {
        let policy = try PolicyFixtures.parse(
            "thresholds:\n  suppression_warning_days: 30\n"
                + PolicyFixtures.suppressionsYAML([("svc-*", "stale-key", "2026-12-20")])
        )
        let result = Auditor.audit(
            PolicyFixtures.snapshot([PolicyFixtures.stale(1, "svc-old")]), policy: policy, now: PolicyFixtures.now)
        #expect(result.suppressions.map(\.state) == [.expiringSoon])
    }

    @Test("matching: hash (any case), globs, rule ids and `*`")
    func matching() throws {
        let keys = [
            PolicyFixtures.noLimit(1, "ci-runner-1"), PolicyFixtures.noLimit(2, "ci-runner-10"),
            PolicyFixtures.stale(3, "svc-a"), PolicyFixtures.noLimit(4, "svc-b"),
            PolicyFixtures.stale(0xab, "Ünïcode-ключ"),
        ]
        let policy = try PolicyFixtures.parse(
            PolicyFixtures.suppressionsYAML([
                ("ci-runner-?", "no-limit", "2030-01-01"),  // one character: ci-runner-1, not ci-runner-10
                (PolicyFixtures.hash(3).uppercased(), "stale-key", "2030-01-01"),  // a hash, written in upper case
                ("svc-[a-b]", "stale-key", "2030-01-01"),  // right names, wrong rule for svc-b
                ("Ünïcode-*", "*", "2030-01-01"),
            ]))
        let result = Auditor.audit(PolicyFixtures.snapshot(keys), policy: policy, now: PolicyFixtures.now)
        let suppressed = Set(result.findings.filter(\.suppressed).map(\.id))
        #expect(
            suppressed == [
                "no-limit:\(PolicyFixtures.hash(1))", "stale-key:\(PolicyFixtures.hash(3))",
                "stale-key:\(PolicyFixtures.hash(0xab))",
            ])
        #expect(result.suppressions.map(\.matched) == [1, 1, 1, 1])
        // The first entry that matches is the one recorded on the finding; both count it.
        #expect(
            result.findings.first { $0.id == "stale-key:\(PolicyFixtures.hash(3))" }?.suppression?.rule == "stale-key")
        #expect(
            result.findings.first { $0.id == "stale-key:\(PolicyFixtures.hash(3))" }?.suppression?.key
                == PolicyFixtures.hash(3).uppercased())
    }

    @Test("an expired entry does not hide a finding that a later active entry suppresses")
    func expiredThenActive() throws {
        let policy = try PolicyFixtures.parse(
            PolicyFixtures.suppressionsYAML([("svc-*", "*", "2026-01-01"), ("svc-old", "stale-key", "2030-01-01")]))
        let result = Auditor.audit(
            PolicyFixtures.snapshot([PolicyFixtures.stale(1, "svc-old")]), policy: policy, now: PolicyFixtures.now)
        #expect(result.suppressions.map(\.state) == [.expired, .active])
        #expect(result.findings.first?.suppression?.key == "svc-old")
    }

    // MARK: - --fail-on

    @Test("--fail-on parses every documented level and nothing else")
    func failOnParsing() {
        #expect(FailOn("info") == .severity(.info))
        #expect(FailOn("low") == .severity(.low))
        #expect(FailOn("medium") == .severity(.medium))
        #expect(FailOn("high") == .severity(.high))
        #expect(FailOn("critical") == .severity(.critical))
        #expect(FailOn("new") == .new)
        #expect(FailOn("never") == .never)
        #expect(FailOn("") == nil)
        #expect(FailOn("severe") == nil)
        #expect(FailOn.choices == "info, low, medium, high, critical, new, never")
        #expect(ExitStatus.findings == 1)
    }

    struct FailOnCase: Sendable, CustomTestStringConvertible {
        var level: String
        var triggered: Bool
        var testDescription: String { "--fail-on \(level)" }
    }

    /// Findings: stale-key (medium) and expiring-soon (low) unsuppressed, no-limit (high) suppressed, all new.
    static let failOnCases: [FailOnCase] = [
        FailOnCase(level: "info", triggered: true), FailOnCase(level: "low", triggered: true),
        FailOnCase(level: "medium", triggered: true), FailOnCase(level: "high", triggered: false),
        FailOnCase(level: "critical", triggered: false), FailOnCase(level: "never", triggered: false),
        FailOnCase(level: "new", triggered: true),
    ]

    private func failOnAudit(
        firstSeen: [String: Date]? = nil, suppressionExpires: String = "2030-01-01"
    ) throws -> AuditResult {
        let policy = try PolicyFixtures.parse(
            PolicyFixtures.suppressionsYAML([("ci-*", "no-limit", suppressionExpires)]))
        let keys = [
            PolicyFixtures.stale(1, "svc-old"), PolicyFixtures.noLimit(2, "ci-runner"),
            PolicyFixtures.expiring(3, "trial"),
        ]
        return Auditor.audit(
            PolicyFixtures.snapshot(keys), history: AuditHistory(firstSeen: firstSeen), policy: policy,
            now: PolicyFixtures.now)
    }

    @Test("--fail-on: unsuppressed findings at or above the level; suppressed ones never count", arguments: failOnCases)
    func failOn(_ row: FailOnCase) throws {
        let result = try failOnAudit()
        #expect(result.findings.map(\.severity) == [.high, .medium, .low])
        #expect(result.findings.map(\.suppressed) == [true, false, false])
        let failOn = try #require(FailOn(row.level))
        #expect(failOn.isTriggered(by: result.findings) == row.triggered)
    }

    @Test("--fail-on high fires once the suppression of the high finding has expired")
    func failOnAfterExpiry() throws {
        let result = try failOnAudit(suppressionExpires: "2026-11-01")
        #expect(FailOn.severity(.high).isTriggered(by: result.findings))
        #expect(!FailOn.severity(.critical).isTriggered(by: result.findings))
    }

    @Test("--fail-on new: only unsuppressed findings that were not in the previous run")
    func failOnNew() throws {
        let day0 = PolicyFixtures.now.addingTimeInterval(-10 * PolicyFixtures.day)
        // The two unsuppressed findings were seen before; only the suppressed no-limit is new.
        let seen = ["stale-key:\(PolicyFixtures.hash(1))": day0, "expiring-soon:\(PolicyFixtures.hash(3))": day0]
        let result = try failOnAudit(firstSeen: seen)
        #expect(result.findings.map(\.status) == [.new, .persisting, .persisting])
        #expect(!FailOn.new.isTriggered(by: result.findings))
        // A new unsuppressed finding does trigger it.
        let fresh = try failOnAudit(firstSeen: ["stale-key:\(PolicyFixtures.hash(1))": day0])
        #expect(FailOn.new.isTriggered(by: fresh.findings))
        // And nothing at all triggers nothing.
        #expect(!FailOn.new.isTriggered(by: []))
        #expect(!FailOn.severity(.info).isTriggered(by: []))
    }

    // MARK: - first_seen and status

    @Test("first_seen and status come from the previous findings")
    func firstSeenFromFindings() throws {
        let earlier = Date(timeIntervalSince1970: 1_790_000_000)
        let keys = [PolicyFixtures.stale(1, "old"), PolicyFixtures.noLimit(2, "open")]
        let prior = AuditHistory(
            snapshot: PolicyFixtures.snapshot(
                keys, takenAt: PolicyFixtures.now.addingTimeInterval(-PolicyFixtures.day)), policy: Policy(),
            now: PolicyFixtures.now,
            firstSeen: ["stale-key:\(PolicyFixtures.hash(1))": earlier, "no-limit:\(PolicyFixtures.hash(99))": earlier])
        let result = Auditor.audit(
            PolicyFixtures.snapshot(keys), history: prior, policy: Policy(), now: PolicyFixtures.now)
        let stale = try #require(result.findings.first { $0.rule == "stale-key" })
        #expect(stale.status == .persisting)
        #expect(stale.firstSeen == earlier)
        // The previous findings file wins over the previous snapshot: no-limit was not in it, so it is new,
        // even though the previous snapshot would have shown it.
        let open = try #require(result.findings.first { $0.rule == "no-limit" })
        #expect(open.status == .new)
        #expect(open.firstSeen == PolicyFixtures.now)
    }

    @Test("without a previous findings file, first_seen and status are recomputed from the previous snapshot")
    func firstSeenRecomputed() throws {
        let yesterday = PolicyFixtures.now.addingTimeInterval(-PolicyFixtures.day)
        let previous = PolicyFixtures.snapshot(
            [PolicyFixtures.stale(1, "old"), PolicyFixtures.key(2, name: "open")], takenAt: yesterday)
        let current = PolicyFixtures.snapshot([
            PolicyFixtures.stale(1, "old"), PolicyFixtures.noLimit(2, "open"), PolicyFixtures.expiring(3, "new-key"),
        ])
        let result = Auditor.audit(
            current, history: AuditHistory(snapshot: previous, policy: Policy(), now: PolicyFixtures.now),
            policy: Policy(), now: PolicyFixtures.now)
        #expect(result.findings.count == 3)
        for finding in result.findings {
            switch finding.rule {
            case "stale-key":
                #expect(finding.status == .persisting)
                #expect(finding.firstSeen == yesterday)
            default:
                #expect(finding.status == .new, "\(finding.id)")
                #expect(finding.firstSeen == PolicyFixtures.now)
            }
        }
        // No previous run at all: everything is new, first seen now.
        let first = Auditor.audit(current, policy: Policy(), now: PolicyFixtures.now)
        #expect(first.findings.allSatisfy { $0.status == .new && $0.firstSeen == PolicyFixtures.now })
    }

    @Test("first_seen survives a round trip through findings.json")
    func firstSeenRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyaudit-policytests-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = [PolicyFixtures.stale(1, "old"), PolicyFixtures.noLimit(2, "open")]
        let day1 = PolicyFixtures.now.addingTimeInterval(-2 * PolicyFixtures.day)
        let day0 = Date(timeIntervalSince1970: 1_780_000_000)
        let run1 = Auditor.audit(
            PolicyFixtures.snapshot(keys, takenAt: day1),
            history: AuditHistory(firstSeen: ["stale-key:\(PolicyFixtures.hash(1))": day0]),
            policy: Policy(),
            now: day1)
        let file = directory.appendingPathComponent("findings.json")
        let bytes = FindingsDocument.encode(
            audit: run1, snapshot: PolicyFixtures.snapshot(keys, takenAt: day1),
            snapshotReference: Snapshot.Reference(
                path: "run1/snapshot.json", sha256: String(repeating: "0", count: 64)),
            generatedAt: day1)
        try Data(bytes).write(to: file)
        let seen = try #require(FindingsDocument.firstSeen(fileAt: file.path))
        #expect(seen == ["stale-key:\(PolicyFixtures.hash(1))": day0, "no-limit:\(PolicyFixtures.hash(2))": day1])
        let run2 = Auditor.audit(
            PolicyFixtures.snapshot(keys), history: AuditHistory(firstSeen: seen), policy: Policy(),
            now: PolicyFixtures.now)
        #expect(run2.findings.allSatisfy { $0.status == .persisting })
        #expect(run2.findings.first { $0.rule == "stale-key" }?.firstSeen == day0)
        #expect(run2.findings.first { $0.rule == "no-limit" }?.firstSeen == day1)
    }

    // MARK: - findings.json

    private func documentFixture(reversed: Bool = false) throws -> (bytes: [UInt8], audit: AuditResult) {
        var keys = [
            PolicyFixtures.noLimit(2, "ci-runner-b"), PolicyFixtures.noLimit(1, "open-a"),
            PolicyFixtures.stale(5, "svc-old"), PolicyFixtures.disabled(9, "retired"),
            PolicyFixtures.expiring(6, "trial"), PolicyFixtures.neverResets(4, "flat"),
            PolicyFixtures.key(3, name: "healthy"),
        ]
        if reversed { keys.reverse() }
        let policy = try PolicyFixtures.parse(
            "thresholds:\n  stale_after_days: 120\nrules:\n  limit-never-resets:\n    severity: medium\n"
                + PolicyFixtures.suppressionsYAML([
                    ("ci-runner-*", "no-limit", "2027-06-30"), ("gone-*", "*", "2027-06-30"),
                ]),
            name: "conf/policy.yml")
        let snapshot = PolicyFixtures.snapshot(keys)
        let audit = Auditor.audit(snapshot, policy: policy, now: PolicyFixtures.now)
        let bytes = FindingsDocument.encode(
            audit: audit, snapshot: snapshot,
            snapshotReference: Snapshot.Reference(
                path: "20261126T120000Z/snapshot.json", sha256: String(repeating: "f", count: 64)),
            generatedAt: PolicyFixtures.now)
        return (bytes, audit)
    }

    @Test("a finding of findings.json is its tree written compact, byte for byte, hostile and secret text included")
    func findingWrittenWithoutTree() throws {
        let secret = "sk-or-v1-" + String(repeating: "0123456789abcdef", count: 4)
        var keys = [
            PolicyFixtures.noLimit(2, "ci-runner-b"), PolicyFixtures.stale(5, "svc-old"),
            PolicyFixtures.disabled(9, "retired"), PolicyFixtures.expiring(6, "trial"),
            PolicyFixtures.noLimit(7, "quote\" back\\slash\nline\u{2028}sep\u{01}ctl é ☃"),
            PolicyFixtures.noLimit(8, "leaked \(secret) in the name"),
        ]
        var nameless = PolicyFixtures.noLimit(10, "x").raw
        nameless["name"] = nil
        nameless["workspace_id"] = nil
        keys.append(KeyRecord(nameless))
        let policy = try PolicyFixtures.parse(
            PolicyFixtures.suppressionsYAML([("ci-runner-*", "no-limit", "2027-06-30")]), name: "conf/policy.yml")
        var findings = Auditor.audit(PolicyFixtures.snapshot(keys), policy: policy, now: PolicyFixtures.now).findings
        findings.append(
            Finding(
                rule: "broken-chain", severity: .critical, keyHash: nil, keyName: nil, workspaceId: nil,
                title: "Broken evidence chain", message: "\"hostile\" \(secret)",
                evidence: JSONObject([("path", "a\u{0}b"), ("n", .number(JSONNumber(validating: "1e400")!))]),
                suppression: nil, firstSeen: PolicyFixtures.now, status: .new))
        findings.append(
            Finding(
                id: "custom:id", rule: "no-limit", severity: .high, keyHash: "stored-hash", keyName: "stored ☃",
                workspaceId: "ws", title: "Not the rule's title", message: "m", evidence: JSONObject(),
                remediation: "do \(secret)", suppression: findings.first { $0.suppression != nil }?.suppression,
                firstSeen: PolicyFixtures.now.addingTimeInterval(-86_400), status: .persisting))
        #expect(findings.contains { $0.suppression != nil }, "no suppressed finding to compare")
        #expect(findings.contains { $0.keyName == nil && $0.keyHash != nil }, "no finding of a nameless key")
        for finding in findings {
            let firstSeen = Timestamp.format(finding.firstSeen)
            var written: [UInt8] = []
            ChunkedJSONWriter<Never>.write(
                to: { written += $0 }, { writer in FindingsDocument.write(finding, firstSeen: firstSeen, to: &writer) })
            let tree = JSONWriter.bytes(FindingsDocument.findingJSON(finding, firstSeen: firstSeen), style: .compact)
            #expect(written == tree, "\(String(decoding: written, as: UTF8.self))")
            let text = String(decoding: written, as: UTF8.self)
            #expect(!text.contains(secret))
            // As the management key when another test registered this one (the registry is the process's).
            if finding.keyHash == PolicyFixtures.hash(8) { #expect(text.contains("leaked [REDACTED:")) }
        }
    }

    @Test("findings.json parses back with the documented fields, sorted by severity, rule, hash")
    func findingsDocument() throws {
        let (bytes, _) = try documentFixture()
        let document = try JSONParser.parse(bytes)
        let top = try #require(document.objectValue)
        for field in ["schema_version", "generated_at", "snapshot", "policy", "summary", "suppressions", "findings"] {
            #expect(top.contains(field), "findings.json lacks \(field)")
        }
        #expect(document["schema_version"] == 1)
        #expect(document["generated_at"] == "2026-11-26T12:00:00Z")
        #expect(document["snapshot"]?["path"] == "20261126T120000Z/snapshot.json")
        #expect(document["snapshot"]?["sha256"] == .string(String(repeating: "f", count: 64)))

        // The policy in force, so that a loosened threshold is visible.
        let policy = try #require(document["policy"])
        #expect(policy["source"] == "conf/policy.yml")
        #expect(policy["thresholds"]?["stale_after_days"] == 120)
        #expect(policy["thresholds"]?["unused_after_days"] == 60)
        #expect(policy["rules"]?["limit-never-resets"]?["severity"] == "medium")
        #expect(policy["rules"]?["limit-never-resets"]?["severity_overridden"] == true)
        #expect(policy["rules"]?["no-limit"]?["severity"] == "high")
        #expect(policy["rules"]?["no-limit"]?["severity_overridden"] == false)
        #expect(policy["rules"]?.objectValue?.keys == RuleCatalog.all.map(\.id))

        let summary = try #require(document["summary"])
        #expect(
            summary.objectValue?.keys == [
                "keys", "enabled", "disabled", "findings", "suppressed", "by_rule", "by_severity",
            ])
        #expect(summary["keys"] == 7)
        #expect(summary["enabled"] == 6)
        #expect(summary["disabled"] == 1)
        #expect(summary["findings"] == 5)
        #expect(summary["suppressed"] == 1)
        #expect(summary["by_rule"]?.objectValue?.keys == RuleCatalog.all.map(\.id))
        #expect(summary["by_rule"]?["no-limit"] == 1)
        #expect(summary["by_rule"]?["stale-key"] == 1)
        #expect(summary["by_rule"]?["unused-key"] == 0)
        #expect(summary["by_severity"]?.objectValue?.keys == ["critical", "high", "medium", "low", "info"])
        #expect(summary["by_severity"]?["high"] == 1)
        #expect(summary["by_severity"]?["medium"] == 2)
        #expect(summary["by_severity"]?["low"] == 2)

        let states = try #require(document["suppressions"]?.arrayValue)
        #expect(states.map { $0["state"] } == ["active", "unmatched"])
        #expect(states.map { $0["matched"] } == [1, 0])

        let findings = try #require(document["findings"]?.arrayValue)
        #expect(
            findings.compactMap { $0["id"]?.stringValue } == [
                // high
                "no-limit:\(PolicyFixtures.hash(1))", "no-limit:\(PolicyFixtures.hash(2))",
                // medium, by rule
                "limit-never-resets:\(PolicyFixtures.hash(4))", "stale-key:\(PolicyFixtures.hash(5))",
                // low, by rule (not by hash)
                "disabled-with-usage:\(PolicyFixtures.hash(9))", "expiring-soon:\(PolicyFixtures.hash(6))",
            ])
        let fields = [
            "id", "rule", "severity", "key_hash", "key_name", "workspace_id", "title", "message", "evidence",
            "remediation", "suppressed", "suppression", "first_seen", "status",
        ]
        for finding in findings {
            #expect(finding.objectValue?.keys == fields)
            #expect(finding["first_seen"] == "2026-11-26T12:00:00Z")
            #expect(finding["status"] == "new")
        }
        let open = findings[0]
        #expect(open["rule"] == "no-limit")
        #expect(open["severity"] == "high")
        #expect(open["key_hash"] == .string(PolicyFixtures.hash(1)))
        #expect(open["key_name"] == "open-a")
        #expect(open["workspace_id"] == "8e2d9a41-7b3c-4f5e-a6d7-1b2c3d4e5f60")
        #expect(open["title"] == .string(RuleCatalog.noLimit.title))
        #expect(open["evidence"]?["limit"] == .null)
        #expect(open["remediation"]?.stringValue?.contains("PATCH /api/v1/keys/\(PolicyFixtures.hash(1))") == true)
        #expect(open["suppressed"] == false)
        #expect(open["suppression"] == .null)
        let ci = findings[1]
        #expect(ci["suppressed"] == true)
        let suppression = try #require(ci["suppression"]?.objectValue)
        #expect(suppression["key"] == "ci-runner-*")
        #expect(suppression["rule"] == "no-limit")
        #expect(suppression["reason"] == "accepted for the test")
        #expect(suppression["owner"] == "sec@example.com")
        #expect(suppression["ticket"] == .null)
        #expect(suppression["expires"] == "2027-06-30")
        #expect(findings[2]["severity"] == "medium")  // the policy's override
        #expect(findings[3]["evidence"]?["stale_after_days"] == 120)  // the policy's threshold, as evidence
    }

    @Test("findings.json is deterministic: the same audit, and the same keys in another order, give the same bytes")
    func findingsDeterministic() throws {
        let first = try documentFixture()
        let again = try documentFixture()
        let reversed = try documentFixture(reversed: true)
        #expect(first.bytes == again.bytes)
        #expect(first.bytes == reversed.bytes)
        #expect(first.bytes.last == 10)
    }

    @Test("a findings.json of a newer schema or of garbage gives no first_seen (the run recomputes)")
    func firstSeenUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyaudit-policytests-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let newer = directory.appendingPathComponent("newer.json")
        try Data("{\"schema_version\": 2, \"findings\": [{\"id\": \"no-limit:x\"}]}".utf8).write(to: newer)
        let garbage = directory.appendingPathComponent("garbage.json")
        try Data("{\"schema_version\": 1, \"findings\": [".utf8).write(to: garbage)
        #expect(FindingsDocument.firstSeen(fileAt: newer.path) == nil)
        #expect(FindingsDocument.firstSeen(fileAt: garbage.path) == nil)
        #expect(FindingsDocument.firstSeen(fileAt: directory.appendingPathComponent("absent.json").path) == nil)
    }

    // MARK: - The demo account

    static let demoClocks: [Date] = [
        Date(timeIntervalSince1970: 1_795_694_400),  // 2026-11-26T12:00:00Z
        Date(timeIntervalSince1970: 1_735_689_599),  // 2024-12-31T23:59:59Z
        Date(timeIntervalSince1970: 1_907_456_400),  // 2030-06-12T01:00:00Z
    ]

    @Test("the demo account shows every key rule and each suppression state", arguments: demoClocks)
    func demoAccount(_ now: Date) throws {
        let (current, previous) = DemoAccount.snapshots(now: now)
        let policy = DemoAccount.policy(now: now)
        let result = Auditor.audit(
            current, history: AuditHistory(snapshot: previous, policy: policy, now: now), policy: policy, now: now)
        let rules = Set(result.findings.map(\.rule))
        for rule in RuleCatalog.all where rule.scope == .key {
            #expect(rules.contains(rule.id), "the demo shows no \(rule.id)")
        }
        let disabled = Set(result.findings.filter { $0.rule == "disabled-with-usage" }.map(\.severity))
        #expect(disabled == [.high, .medium, .low])
        #expect(result.suppressions.map(\.state) == [.active, .expiringSoon, .expired, .unmatched])
        #expect(result.suppressions[0].matched > 0)
        #expect(result.suppressions[1].matched > 0)
        #expect(result.suppressions[2].matched > 0)
        #expect(result.suppressions[3].matched == 0)
        // The expired entry's findings count; the active ones' do not.
        let legacy = result.findings.filter { $0.keyName?.hasPrefix("legacy-") == true }
        #expect(!legacy.isEmpty)
        #expect(legacy.allSatisfy { !$0.suppressed })
        let ci = result.findings.filter { $0.rule == "no-limit" && $0.keyName?.hasPrefix("ci-runner-") == true }
        #expect(ci.count == 2)
        #expect(ci.allSatisfy { $0.suppressed })
        // The key with unreadable data is kept and flagged.
        let broken = try #require(current.keys.first { $0.name == "svc-import-broken" })
        #expect(result.findings.contains { $0.id == "unreadable-data:\(broken.identity)" })
        // History: the limit removed overnight is a new finding, an old stale key persists since yesterday.
        // (The demo also has a healthy key of the same name: names are not identities.)
        let nakatomi = try #require(
            current.keys.first { $0.name == "customer-nakatomi-main" && $0.raw["limit"] == .null })
        #expect(previous.keys.first { $0.identity == nakatomi.identity }?.limit == 250)
        let removedLimit = try #require(result.findings.first { $0.id == "no-limit:\(nakatomi.identity)" })
        #expect(removedLimit.status == .new)
        let legacyCRM = try #require(current.keys.first { $0.name == "svc-legacy-crm" })
        let stale = try #require(result.findings.first { $0.id == "stale-key:\(legacyCRM.identity)" })
        #expect(stale.status == .persisting)
        #expect(stale.firstSeen == previous.takenAt)
        // The spending disabled key is the high one.
        let spender = try #require(current.keys.first { $0.name == "svc-search-old" })
        #expect(result.findings.first { $0.id == "disabled-with-usage:\(spender.identity)" }?.severity == .high)
    }

    @Test("the demo account is the same for the same clock")
    func demoDeterministic() {
        let now = Date(timeIntervalSince1970: 1_795_694_400)
        let a = DemoAccount.snapshots(now: now)
        let b = DemoAccount.snapshots(now: now)
        #expect(a.current.encoded() == b.current.encoded())
        #expect(a.previous.encoded() == b.previous.encoded())
    }
}
