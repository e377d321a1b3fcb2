import Foundation
import KeyAuditCore
import KeyAuditAPI
import KeyAuditSnapshot
import KeyAuditAudit
import KeyAuditDiff
import KeyAuditReport
import KeyAuditSampleAccount

/// The sample account `--demo` audits: a few hundred realistic keys in three workspaces, generated
/// deterministically relative to the run's clock so that every rule fires whatever the date, with a
/// previous snapshot from a day earlier so the diff has something to show.
///
/// Built in code rather than shipped as JSON so that it never goes stale and costs nothing to install.
package enum DemoAccount {
    package static let workspaceIDs = [
        "5b1f0c7e-2d4a-4c1e-9f3a-0a1b2c3d4e5f", "8e2d9a41-7b3c-4f5e-a6d7-1b2c3d4e5f60",
        "c3a7e5d2-9f1b-4a6c-8e2d-2c3d4e5f6071",
    ]
    static let workspaceNames = ["Production", "Customers", "Engineering"]

    /// The current and the previous snapshot of the demo account.
    package static func snapshots(now: Date) -> (current: Snapshot, previous: Snapshot) {
        let clock = now.timeIntervalSince1970
        let previousClock = clock - 86_400
        let keys = makeKeys(now: clock)
        let workspaces = zip(workspaceIDs, workspaceNames).enumerated().map { index, pair in
            JSONValue.object(
                JSONObject([
                    ("id", .string(pair.0)), ("name", .string(pair.1)), ("slug", .string(pair.1.lowercased())),
                    ("description", .string("\(pair.1) keys")),
                    (
                        "created_at",
                        .string(Timestamp.format(Date(timeIntervalSince1970: clock - Double(400 + index) * 86_400)))
                    ),
                    ("updated_at", .null),
                ]))
        }
        var currentRaw: [JSONObject] = []
        var previousRaw: [JSONObject] = []
        for key in keys {
            if let now = key.now { currentRaw.append(now) }
            if let before = key.before { previousRaw.append(before) }
        }
        let coverage = Coverage(
            mode: .allWorkspaces, pages: 6, requests: 10, retries: 0, includeDisabled: true,
            workspaces: workspaceIDs.map { id in
                let count = currentRaw.filter { $0["workspace_id"]?.stringValue == id }.count
                return Coverage.Workspace(id: id, keys: count, pages: count / 100 + 1, attempts: 1, consistent: true)
            }, consistent: true, notes: ["demo account: generated sample data, no API was called"])
        let previous = Snapshot(
            takenAt: Date(timeIntervalSince1970: previousClock), source: "demo", workspaces: workspaces,
            coverage: coverage, previous: nil, keys: previousRaw.map(KeyRecord.init))
        let current = Snapshot(
            takenAt: now, source: "demo", workspaces: workspaces, coverage: coverage, previous: nil,
            keys: currentRaw.map(KeyRecord.init))
        return (current, previous)
    }

    /// A policy with one suppression of each kind (active, expiring soon, expired, unmatched), so the
    /// demo report shows how suppressions look.
    package static func policy(now: Date) -> Policy {
        var policy = Policy()
        policy.source = "built-in demo policy"
        func day(_ offset: Double) -> (String, Date) {
            let date = Date(
                timeIntervalSince1970: (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + offset * 86_400)
            return (String(Timestamp.format(date).prefix(10)), date.addingTimeInterval(86_400))
        }
        let entries: [(String, String, String, String, String?, Double)] = [
            (
                "ci-runner-*", "no-limit", "CI runners are capped by the CI budget", "platform@example.com", "SEC-101",
                120
            ),
            (
                "svc-batch-export", "stale-key", "Rotation scheduled with the Q1 migration", "data@example.com",
                "SEC-214", 7
            ),
            ("legacy-*", "*", "Legacy integrations, decommission pending", "sre@example.com", nil, -3),
            ("does-not-exist-*", "no-limit", "Left over from a removed team", "sec@example.com", "SEC-9", 60),
        ]
        for (index, entry) in entries.enumerated() {
            let (text, expiresAt) = day(entry.5)
            policy.suppressions.append(
                Suppression(
                    key: entry.0, rule: entry.1, reason: entry.2, owner: entry.3, ticket: entry.4, expires: text,
                    expiresAt: expiresAt, location: "demo policy #\(index + 1)"))
        }
        return policy
    }

    // MARK: - Generation

    private struct DemoKey {
        var now: JSONObject?
        var before: JSONObject?
    }

    private static let customers = [
        "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "wonka", "cyberdyne", "soylent",
        "massive-dynamic", "aperture", "black-mesa", "vandelay", "prestige", "nakatomi", "oscorp", "gringotts",
        "monarch",
    ]
    private static let services = [
        "billing", "search", "support-bot", "summarizer", "translation", "moderation", "embeddings", "batch-export",
        "chat-gateway", "doc-qa", "triage", "ingest",
    ]
    private static let people = ["alice", "bob", "carol", "dmitri", "erin", "farah", "goro", "hana", "ivan", "jules"]

    private static func makeKeys(now: Double) -> [DemoKey] {
        var random = SplitMix64(state: 0x6B65_7961_7564_6974)
        var keys: [DemoKey] = []
        let day = 86_400.0
        func iso(_ seconds: Double) -> JSONValue { .string(Timestamp.format(Date(timeIntervalSince1970: seconds))) }
        func money(_ value: Double) -> JSONValue { .double((value * 1e8).rounded() / 1e8) }
        func hash() -> String {
            (0..<4).map { _ in
                let value = random.next()
                let text = String(value, radix: 16)
                return String(repeating: "0", count: 16 - text.count) + text
            }.joined()
        }

        /// A well-behaved key; the cases below bend it into each kind of finding.
        func base(name: String, workspace: Int) -> [(String, JSONValue)] {
            let created = now - Double(random.int(5...80)) * day - Double(random.int(0...80_000))
            let usage = Double(random.int(0...40_000)) / 100 + random.unit()
            let limit = Double(random.pick([50, 100, 200, 500, 1000]))
            let hashValue = hash()
            return [
                ("hash", .string(hashValue)), ("name", .string(name)),
                ("label", .string("sk-or-v1-\(hashValue.prefix(3))...\(hashValue.suffix(4))")),
                ("disabled", .bool(false)), ("limit", .double(limit)),
                (
                    "limit_remaining",
                    money(max(limit * 0.4, limit - usage.truncatingRemainder(dividingBy: limit * 0.6)))
                ),
                ("limit_reset", .string(random.pick(["daily", "weekly", "monthly", "monthly"]))),
                ("include_byok_in_limit", .bool(true)), ("usage", money(usage)),
                ("usage_daily", money(usage / 300)), ("usage_weekly", money(usage / 40)),
                ("usage_monthly", money(usage / 9)), ("byok_usage", .number(JSONNumber(0))),
                ("byok_usage_daily", .number(JSONNumber(0))), ("byok_usage_weekly", .number(JSONNumber(0))),
                ("byok_usage_monthly", .number(JSONNumber(0))), ("created_at", iso(created)),
                ("updated_at", iso(min(now - day * 2, created + Double(random.int(0...3)) * day))),
                ("expires_at", .null), ("creator_user_id", .string("user_\(random.pick(people))")),
                ("workspace_id", .string(workspaceIDs[workspace])),
                ("last_used_at", iso(now - Double(random.int(3_600...(5 * 86_400))))),
            ]
        }
        func set(_ fields: inout [(String, JSONValue)], _ name: String, _ value: JSONValue?) {
            if let index = fields.firstIndex(where: { $0.0 == name }) {
                if let value { fields[index].1 = value } else { fields.remove(at: index) }
            } else if let value {
                fields.append((name, value))
            }
        }
        func usageDropped(_ fields: [(String, JSONValue)], by amount: Double) -> [(String, JSONValue)] {
            var copy = fields
            if let usage = copy.first(where: { $0.0 == "usage" })?.1.doubleValue {
                set(&copy, "usage", money(max(0, usage - amount)))
            }
            return copy
        }

        // 1. Ordinary, healthy keys across the three workspaces; each spent a little since yesterday.
        var index = 0
        for customer in customers {
            for environment in ["prod", "staging"] {
                for suffix in ["", "-2", "-3", "-4", "-5"].prefix(random.int(2...5)) {
                    let fields = base(name: "customer-\(customer)-\(environment)\(suffix)", workspace: 1)
                    keys.append(
                        DemoKey(
                            now: JSONObject(fields), before: JSONObject(usageDropped(fields, by: random.unit() * 3))))
                    index += 1
                }
            }
        }
        for service in services {
            for copy in 1...random.int(3...6) {
                let fields = base(name: "svc-\(service)-\(copy)", workspace: 0)
                keys.append(
                    DemoKey(now: JSONObject(fields), before: JSONObject(usageDropped(fields, by: random.unit() * 5))))
            }
        }
        for person in people {
            for purpose in ["laptop", "notebook", "eval"].prefix(random.int(1...3)) {
                let fields = base(name: "dev-\(person)-\(purpose)", workspace: 2)
                keys.append(DemoKey(now: JSONObject(fields), before: JSONObject(fields)))
            }
        }

        // 2. Keys bent into each finding.
        func add(
            _ name: String, workspace: Int, previous: ((inout [(String, JSONValue)]) -> Void)? = nil,
            absentBefore: Bool = false, _ change: (inout [(String, JSONValue)]) -> Void
        ) {
            var fields = base(name: name, workspace: workspace)
            change(&fields)
            var before = fields
            previous?(&before)
            keys.append(DemoKey(now: JSONObject(fields), before: absentBefore ? nil : JSONObject(before)))
        }
        for (offset, name) in ["svc-batch-export", "svc-legacy-crm", "customer-initech-archive", "dev-old-laptop"]
            .enumerated()
        {
            add(name, workspace: offset % 3) { fields in  // stale-key
                let created = now - Double(200 + offset * 60) * day
                set(&fields, "created_at", iso(created))
                set(&fields, "updated_at", offset == 2 ? .null : iso(created + 10 * day))
            }
        }
        for (offset, name) in [
            "ci-runner-1", "ci-runner-2", "svc-prototype", "customer-hooli-trial", "dev-bob-scratch",
        ]
        .enumerated() {
            add(name, workspace: offset % 3) { fields in  // no-limit (null, and absent on one)
                if offset == 4 { set(&fields, "limit", nil) } else { set(&fields, "limit", .null) }
                set(&fields, "limit_remaining", .null)
                set(&fields, "limit_reset", .null)
            }
        }
        add("svc-search-old", workspace: 0, previous: { set(&$0, "usage", money(120)) }) { fields in  // disabled, spending (high)
            set(&fields, "disabled", .bool(true))
            set(&fields, "usage", money(164.25))
        }
        add("customer-globex-old", workspace: 1) { fields in  // disabled, recent spend (medium)
            set(&fields, "disabled", .bool(true))
            set(&fields, "usage_monthly", money(12.5))
        }
        for name in ["customer-wonka-2019", "dev-erin-old", "legacy-reporting"] {
            add(name, workspace: 1) { fields in  // disabled, historical spend only (low)
                set(&fields, "disabled", .bool(true))
                for counter in ["usage_daily", "usage_weekly", "usage_monthly"] {
                    set(&fields, counter, .number(JSONNumber(0)))
                }
            }
        }
        add("customer-stark-pilot", workspace: 1) { set(&$0, "expires_at", iso(now - 20 * day)) }  // expired
        add("svc-ingest-temp", workspace: 0) { set(&$0, "expires_at", iso(now - 2 * day)) }
        add("customer-oscorp-trial", workspace: 1) { set(&$0, "expires_at", iso(now + 5 * day)) }  // expiring soon
        add("dev-hana-eval", workspace: 2) { set(&$0, "expires_at", iso(now + 12 * day)) }
        add("svc-chat-gateway-hot", workspace: 0) { fields in  // nearly exhausted
            set(&fields, "limit", .number(JSONNumber(500)))
            set(&fields, "limit_remaining", money(18.4))
        }
        add("customer-tyrell-prod-hot", workspace: 1) { fields in
            set(&fields, "limit", .number(JSONNumber(100)))
            set(&fields, "limit_remaining", money(2.75))
        }
        add("svc-translation-byok", workspace: 0) { fields in  // BYOK outside the limit
            set(&fields, "include_byok_in_limit", .bool(false))
            set(&fields, "byok_usage", money(83.12))
            set(&fields, "byok_usage_monthly", money(21.4))
        }
        add("customer-monarch-flat", workspace: 1) { set(&$0, "limit_reset", .null) }  // never resets
        add("svc-doc-qa-fixed", workspace: 0) { set(&$0, "limit_reset", .null) }
        add("dev-jules-forgotten", workspace: 2) { set(&$0, "last_used_at", iso(now - 140 * day)) }  // unused
        add("svc-triage-spare", workspace: 0) { fields in  // never used
            set(&fields, "created_at", iso(now - 75 * day))
            set(&fields, "updated_at", .null)
            set(&fields, "last_used_at", .null)
            set(&fields, "usage", .number(JSONNumber(0)))
        }
        add("svc-import-broken", workspace: 0) { fields in  // unreadable data, kept and flagged
            set(&fields, "updated_at", .string("yesterday"))
            set(&fields, "usage", .string("n/a"))
        }
        // Hostile names: the reports must show them as text, never as markup, table cells or formulas.
        let hostile = [
            "<script>alert(1)</script>", "pipe | in | name", "two\nlines",
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+cmd|' /C calc'!A0", "emoji 🔑🚀 key", "עברית RTL \u{202E}txt.exe", "**bold** _it_ `code` [link](x)",
            "", String(repeating: "long-name-", count: 30),
        ]
        for (offset, name) in hostile.enumerated() {
            add(name, workspace: offset % 3) { fields in
                if offset % 3 == 0 { set(&fields, "limit", .null) }
            }
        }
        // 3. Changes since yesterday: added, removed, reconfigured, renamed, newly disabled.
        add("customer-vandelay-prod", workspace: 1, absentBefore: true) { _ in }
        add("svc-summarizer-canary", workspace: 0, absentBefore: true) { _ in }
        add("customer-nakatomi-main", workspace: 1, previous: { set(&$0, "limit", .number(JSONNumber(250))) }) {
            fields in
            set(&fields, "limit", .null)  // limit removed overnight
            set(&fields, "limit_remaining", .null)
        }
        add("svc-billing-primary", workspace: 0, previous: { set(&$0, "name", .string("svc-billing-main")) }) { _ in }
        add("customer-prestige-prod", workspace: 1, previous: { set(&$0, "disabled", .bool(false)) }) { fields in
            set(&fields, "disabled", .bool(true))
        }
        add("svc-moderation-v2", workspace: 0, previous: { set(&$0, "limit_reset", .string("weekly")) }) { fields in
            set(&fields, "limit_reset", .string("monthly"))
            fields.append(("rate_tier", .string("gold")))  // a field keyaudit does not know: kept and shown
        }
        // Removed since yesterday.
        for name in ["customer-soylent-prod", "dev-ivan-tmp"] {
            let fields = base(name: name, workspace: 1)
            keys.append(DemoKey(now: nil, before: JSONObject(fields)))
        }
        return keys
    }
}
