import Foundation
import KeyAuditAPI
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSampleAccount
import KeyAuditSnapshot

/// The sample account `--demo` audits: a few hundred realistic keys in three workspaces, with every kind of
/// finding, hostile names, suppressions in each state, and a previous snapshot a day earlier with planted
/// changes (keys added, removed, reconfigured, renamed, disabled), so every section of a report has something
/// to show. Built from the project's one generator (``KeyFactory``) with a fixed seed; nothing is shipped as
/// JSON, so it never goes stale.
///
/// **Stable from run to run.** No field the diff compares moves with the clock: creation dates, limits, resets
/// and names are fixed, so two demo runs, minutes or days apart, show only what the demo plants. What moves is
/// what moves in a real account: usage grows with the clock (spend since the previous run, a disabled key that
/// keeps spending), and `updated_at`/`last_used_at` are relative to it (so stale and unused keys are found
/// every day). The one configuration field that must follow the clock, a trial key's `expires_at` (it expires
/// "soon" whatever the date), is moved in steps of 13 days: every 13th day the demo plants an extended expiry.
package enum DemoAccount {
    package static let workspaceIDs = [
        "5b1f0c7e-2d4a-4c1e-9f3a-0a1b2c3d4e5f", "8e2d9a41-7b3c-4f5e-a6d7-1b2c3d4e5f60",
        "c3a7e5d2-9f1b-4a6c-8e2d-2c3d4e5f6071",
    ]
    static let workspaceNames = ["Production", "Customers", "Engineering"]
    /// Where the demo account's fixed dates are anchored: 2024-01-01T00:00:00Z. Every finding shows for any
    /// clock from 2024 on.
    static let epoch = 1_704_067_200.0
    static let day = KeyFactory.day

    /// The current and the previous snapshot (a day earlier) of the demo account.
    package static func snapshots(now: Date) -> (current: Snapshot, previous: Snapshot) {
        let clock = now.timeIntervalSince1970
        let workspaces = zip(workspaceIDs, workspaceNames).enumerated().map { index, pair in
            JSONValue.object(
                JSONObject([
                    ("id", .string(pair.0)), ("name", .string(pair.1)), ("slug", .string(pair.1.lowercased())),
                    ("description", .string("\(pair.1) keys")),
                    (
                        "created_at",
                        .string(Timestamp.format(Date(timeIntervalSince1970: epoch - Double(400 + index) * day)))
                    ),
                    ("updated_at", .null),
                ]))
        }
        func snapshot(at clock: Double, previous: Bool) -> Snapshot {
            let keys = makeKeys(clock: clock, previous: previous)
            let coverage = Coverage(
                mode: .allWorkspaces, pages: 6, requests: 10, retries: 0, includeDisabled: true,
                workspaces: workspaceIDs.map { id in
                    let count = keys.count { $0["workspace_id"]?.stringValue == id }
                    return Coverage.Workspace(
                        id: id, keys: count, pages: count / 100 + 1, attempts: 1, consistent: true)
                }, consistent: true, notes: ["demo account: generated sample data, no API was called"])
            return Snapshot(
                takenAt: Date(timeIntervalSince1970: clock), source: "demo", workspaces: workspaces,
                coverage: coverage, previous: nil, keys: keys.map(KeyRecord.init))
        }
        return (snapshot(at: clock, previous: false), snapshot(at: clock - day, previous: true))
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

    /// The keys as they are at `clock`; `previous`: the account as it was before the planted changes.
    private static func makeKeys(clock now: Double, previous: Bool) -> [JSONObject] {
        // The structure (names, hashes, configuration) comes from fixed seeds, never from the clock.
        var random = SplitMix64(state: 0x6B65_7961_7564_6974)
        var factory = KeyFactory(seed: 0x6465_6D6F_6163_6374)
        var keys: [JSONObject] = []
        let daysSinceEpoch = max(0, (now - epoch) / day)
        func iso(_ seconds: Double) -> JSONValue { .string(Timestamp.format(Date(timeIntervalSince1970: seconds))) }
        func money(_ value: Double) -> JSONValue { .money(KeyFactory.rounded(value)) }

        /// A healthy key: created on a fixed date before the epoch, edited and used recently, spending a little
        /// every day.
        func base(_ name: String, workspace: Int) -> KeyFactory.Key {
            let created = epoch - Double(random.int(5...300)) * day - Double(random.int(0...80_000))
            var key = factory.key(
                hash: random.hex(64), name: name, workspace: workspaceIDs[workspace], createdAt: created, now: epoch,
                creator: "user_\(random.pick(people))")
            // Volatile fields follow the clock: usage grows by a fixed amount a day (so spend since the previous
            // run is real), the key was edited and used recently.
            let perDay = Double(random.int(0...300)) / 100
            let usage = key.double("usage") + perDay * daysSinceEpoch
            key.set("usage", money(usage))
            key.set("usage_daily", money(perDay))
            key.set("usage_weekly", money(perDay * 7))
            key.set("usage_monthly", money(perDay * 30))
            let limit = key.double("limit")
            key.set(
                "limit_remaining",
                money(max(limit * 0.4, limit - (perDay * 30).truncatingRemainder(dividingBy: limit * 0.6))))
            key.set("updated_at", iso(now - Double(random.int(2...40)) * day))
            key.set("last_used_at", iso(now - Double(random.int(3_600...(5 * 86_400)))))
            return key
        }
        func add(_ key: KeyFactory.Key) { keys.append(key.object) }
        /// A key bent into a finding. `before` is what the previous snapshot had (nil: the key is new).
        func plant(
            _ name: String, workspace: Int, new: Bool = false, before: ((inout KeyFactory.Key) -> Void)? = nil,
            now change: (inout KeyFactory.Key) -> Void
        ) {
            var key = base(name, workspace: workspace)
            change(&key)
            if previous {
                if new { return }
                before?(&key)
            }
            add(key)
        }

        // 1. Ordinary, healthy keys across the three workspaces.
        for customer in customers {
            for environment in ["prod", "staging"] {
                for suffix in ["", "-2", "-3", "-4", "-5"].prefix(random.int(2...5)) {
                    add(base("customer-\(customer)-\(environment)\(suffix)", workspace: 1))
                }
            }
        }
        for service in services {
            for copy in 1...random.int(3...6) { add(base("svc-\(service)-\(copy)", workspace: 0)) }
        }
        for person in people {
            for purpose in ["laptop", "notebook", "eval"].prefix(random.int(1...3)) {
                add(base("dev-\(person)-\(purpose)", workspace: 2))
            }
        }

        // 2. Keys bent into each finding.
        for (offset, name) in ["svc-batch-export", "svc-legacy-crm", "customer-initech-archive", "dev-old-laptop"]
            .enumerated()
        {
            plant(name, workspace: offset % 3) { key in  // stale-key: not edited since long before the epoch
                let created = epoch - Double(200 + offset * 60) * day
                key.set("created_at", iso(created))
                key.set("updated_at", offset == 2 ? .null : iso(created + 10 * day))
            }
        }
        for (offset, name) in [
            "ci-runner-1", "ci-runner-2", "svc-prototype", "customer-hooli-trial", "dev-bob-scratch",
        ]
        .enumerated() {
            plant(name, workspace: offset % 3) { key in  // no-limit (null, and absent on one)
                if offset == 4 { key.remove("limit") } else { key.set("limit", .null) }
                key.set("limit_remaining", .null)
                key.set("limit_reset", .null)
            }
        }
        plant("svc-search-old", workspace: 0) { key in  // disabled, and its usage still grows every day (high)
            key.set("disabled", .bool(true))
            key.set("usage", money(164.25 + 0.5 * daysSinceEpoch))
        }
        plant("customer-globex-old", workspace: 1) { key in  // disabled, recent spend (medium)
            key.set("disabled", .bool(true))
            key.set("usage", money(310.5))
            key.set("usage_monthly", money(12.5))
        }
        for name in ["customer-wonka-2019", "dev-erin-old", "legacy-reporting"] {
            plant(name, workspace: 1) { key in  // disabled, historical spend only (low)
                key.set("disabled", .bool(true))
                key.set("usage", money(88.4))
                for counter in ["usage_daily", "usage_weekly", "usage_monthly"] { key.set(counter, .int(0)) }
            }
        }
        plant("customer-stark-pilot", workspace: 1) { $0.set("expires_at", iso(epoch - 20 * day)) }  // expired
        plant("svc-ingest-temp", workspace: 0) { $0.set("expires_at", iso(epoch - 2 * day)) }
        // Expiring soon, whatever the date: the expiry is extended every 13 days (a planted change).
        let cycle = 13 * day
        let cycleStart = epoch + ((now - epoch) / cycle).rounded(.down) * cycle
        plant("customer-oscorp-trial", workspace: 1) { $0.set("expires_at", iso(cycleStart + 14 * day)) }
        plant("dev-hana-eval", workspace: 2) { $0.set("expires_at", iso(cycleStart + 20 * day)) }
        plant("svc-chat-gateway-hot", workspace: 0) { key in  // nearly exhausted
            key.set("limit", .int(500))
            key.set("limit_remaining", money(18.4))
        }
        plant("customer-tyrell-prod-hot", workspace: 1) { key in
            key.set("limit", .int(100))
            key.set("limit_remaining", money(2.75))
        }
        plant("svc-translation-byok", workspace: 0) { key in  // BYOK outside the limit
            key.set("include_byok_in_limit", .bool(false))
            key.set("byok_usage", money(83.12 + 0.4 * daysSinceEpoch))
            key.set("byok_usage_monthly", money(21.4))
        }
        plant("customer-monarch-flat", workspace: 1) { $0.set("limit_reset", .null) }  // never resets
        plant("svc-doc-qa-fixed", workspace: 0) { $0.set("limit_reset", .null) }
        plant("dev-jules-forgotten", workspace: 2) { $0.set("last_used_at", iso(now - 140 * day)) }  // unused
        plant("svc-triage-spare", workspace: 0) { key in  // never used since its creation, long ago
            key.set("created_at", iso(epoch - 75 * day))
            key.set("updated_at", .null)
            key.set("last_used_at", .null)
            for counter in ["usage", "usage_daily", "usage_weekly", "usage_monthly"] { key.set(counter, .int(0)) }
        }
        plant("svc-import-broken", workspace: 0) { key in  // unreadable data, kept and flagged
            key.set("updated_at", .string("yesterday"))
            key.set("usage", .string("n/a"))
        }
        // Rotated: the predecessor is still enabled three weeks after its successor took over.
        var rotated = base("svc-embeddings-2024", workspace: 0)
        let predecessor = rotated.value("hash")?.stringValue ?? ""
        rotated.set("created_at", iso(epoch - 150 * day))
        add(rotated)
        plant("svc-embeddings-2025", workspace: 0) { key in
            key.set("created_at", iso(epoch - 21 * day))
            key.set("rotated_from_hash", .string(predecessor))
        }
        // Hostile names: the reports must show them as text, never as markup, table cells or formulas.
        let hostile = [
            "<script>alert(1)</script>", "pipe | in | name", "two\nlines",
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+cmd|' /C calc'!A0", "emoji 🔑🚀 key", "עברית RTL \u{202E}txt.exe", "**bold** _it_ `code` [link](x)",
            "", String(repeating: "long-name-", count: 30),
        ]
        for (offset, name) in hostile.enumerated() {
            plant(name, workspace: offset % 3) { key in
                if offset % 3 == 0 { key.set("limit", .null) }
            }
        }

        // 3. Planted changes since the previous snapshot: added, removed, reconfigured, renamed, disabled.
        plant("customer-vandelay-prod", workspace: 1, new: true) { _ in }
        plant("svc-summarizer-canary", workspace: 0, new: true) { _ in }
        // The limit was removed overnight.
        plant(
            "customer-nakatomi-main", workspace: 1, before: { $0.set("limit", .int(250)) },
            now: { key in
                key.set("limit", .null)
                key.set("limit_remaining", .null)
            })
        plant(
            "svc-billing-primary", workspace: 0, before: { $0.set("name", .string("svc-billing-main")) }, now: { _ in })
        plant(
            "customer-prestige-prod", workspace: 1, before: { $0.set("disabled", .bool(false)) },
            now: { $0.set("disabled", .bool(true)) })
        // A reset period changed, and a field keyaudit does not know appeared: kept and shown.
        plant(
            "svc-moderation-v2", workspace: 0,
            before: { key in
                key.set("limit_reset", .string("weekly"))
                key.remove("rate_tier")
            },
            now: { key in
                key.set("limit_reset", .string("monthly"))
                key.set("rate_tier", .string("gold"))
            })
        // Removed since the previous snapshot.
        for name in ["customer-soylent-prod", "dev-ivan-tmp"] {
            let key = base(name, workspace: 1)
            if previous { add(key) }
        }
        // An API key pasted into a name (a made-up one): redacted from every output, and secret-in-metadata.
        // Planted last so the keys before it keep their generated values.
        plant("svc-deploy-bot", workspace: 0) { key in
            key.set("name", .string("svc-deploy-bot " + "sk-or-v1-" + String(repeating: "demo", count: 16)))
        }
        return keys
    }
}
