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

/// A small, fixed account for the report tests (golden files, templates, workbook): eight keys in two
/// workspaces, a previous snapshot a day earlier (so the changes section has added, removed, reconfigured,
/// spend and counter-reset rows, and new and resolved findings), the default policy with one suppression of
/// each state (active, expiring soon, expired, unmatched), and a fixed clock.
///
/// Shared by GoldenReportTests, TemplateTests and XLSXReportTests (the only report tests that use it);
/// the unusual name keeps it clear of other test files' helpers.
enum GoldenReportFixture {
    /// 2026-11-26T03:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_662_000)
    static let previousTakenAt = now.addingTimeInterval(-86_400)
    static let runName = "20261126T030000Z"
    static let previousPath = "20261125T030000Z/snapshot.json"
    static let snapshotSHA256 = String(repeating: "c0ffee", count: 10) + "c0ff"
    static let previousSHA256 = String(repeating: "ab", count: 32)
    /// Pinned so that a version bump does not change the golden files.
    static let toolVersion = "0.0.0-golden"
    static let workspaceA = "5b1f0c7e-0000-4c1e-9f3a-00000000000a"
    static let workspaceB = "8e2d9a41-0000-4f5e-a6d7-00000000000b"

    static func hash(_ digit: Character) -> String { String(repeating: String(digit), count: 64) }

    /// RFC 3339 text of `now` minus `days` (negative: in the future).
    static func ago(days: Double, from clock: Date = now) -> JSONValue {
        .string(Timestamp.format(clock.addingTimeInterval(-days * 86_400)))
    }

    static func money(_ value: Double) -> JSONValue { .number(JSONNumber(value)!) }

    /// A key object with every field the API sends; `overrides` replace or add fields (in order).
    static func keyObject(
        _ digit: Character, name: JSONValue, workspace: String, _ overrides: [(String, JSONValue)] = []
    ) -> JSONObject {
        var fields: [(String, JSONValue)] = [
            ("hash", .string(hash(digit))), ("name", name), ("label", .string("sk-or-v1-\(digit)\(digit)\(digit)...")),
            ("disabled", false), ("limit", money(25)), ("limit_remaining", money(20)),
            ("limit_reset", "monthly"), ("include_byok_in_limit", true), ("usage", money(5)),
            ("usage_daily", money(0.5)), ("usage_weekly", money(2)), ("usage_monthly", money(5)),
            ("byok_usage", money(0)), ("byok_usage_daily", money(0)), ("byok_usage_weekly", money(0)),
            ("byok_usage_monthly", money(0)), ("created_at", ago(days: 30)), ("updated_at", ago(days: 30)),
            ("expires_at", nil), ("last_used_at", ago(days: 1)), ("creator_user_id", "user_2alice"),
            ("workspace_id", .string(workspace)),
        ]
        for (field, value) in overrides {
            if let index = fields.firstIndex(where: { $0.0 == field }) {
                fields[index].1 = value
            } else {
                fields.append((field, value))
            }
        }
        return JSONObject(fields)
    }

    static let workspaces: [JSONValue] = [
        .object(JSONObject([("id", .string(workspaceA)), ("name", "Production"), ("slug", "production")])),
        .object(JSONObject([("id", .string(workspaceB)), ("name", "Research"), ("slug", "research")])),
    ]

    static func coverage(keys: Int) -> Coverage {
        Coverage(
            mode: .allWorkspaces, pages: 2, requests: 3, retries: 1, includeDisabled: true,
            workspaces: [
                Coverage.Workspace(id: workspaceA, keys: keys / 2, pages: 1, attempts: 1, consistent: true),
                Coverage.Workspace(id: workspaceB, keys: keys - keys / 2, pages: 1, attempts: 2, consistent: true),
            ], consistent: true, notes: ["fixture account of the report tests"])
    }

    /// The current keys (names replaceable for the hostile-name tests) and the previous ones.
    static func keyObjects(names: [Character: JSONValue] = [:]) -> (current: [JSONObject], previous: [JSONObject]) {
        func name(_ digit: Character, _ fallback: String) -> JSONValue { names[digit] ?? .string(fallback) }
        let a = workspaceA
        let b = workspaceB
        // 1: stale (updated 120 days ago), limit raised 50 → 100 and 20 spent since yesterday.
        let prod = keyObject(
            "1", name: name("1", "prod-backend"), workspace: a,
            [
                ("limit", money(100)), ("limit_remaining", money(39.75)), ("usage", money(60.25)),
                ("usage_monthly", money(20.25)), ("created_at", ago(days: 200)), ("updated_at", ago(days: 120)),
            ])
        let prodBefore = keyObject(
            "1", name: name("1", "prod-backend"), workspace: a,
            [
                ("limit", money(50)), ("limit_remaining", money(9.75)), ("usage", money(40.25)),
                ("usage_monthly", money(0.25)), ("created_at", ago(days: 200)), ("updated_at", ago(days: 120)),
            ])
        // 2: no limit (suppressed by the active `ci-runner-*` suppression).
        let ci = keyObject(
            "2", name: name("2", "ci-runner-17"), workspace: b,
            [("limit", nil), ("limit_remaining", nil), ("limit_reset", nil), ("usage", money(1234.5))])
        let ciBefore = keyObject(
            "2", name: name("2", "ci-runner-17"), workspace: b,
            [("limit", nil), ("limit_remaining", nil), ("limit_reset", nil), ("usage", money(1200))])
        // 3: disabled with historical spend (the expired `old-*` suppression matches it).
        let disabled = keyObject(
            "3", name: name("3", "old-disabled"), workspace: a,
            [
                ("disabled", true), ("usage", money(12.5)), ("usage_daily", money(0)), ("usage_weekly", money(0)),
                ("usage_monthly", money(0)), ("created_at", ago(days: 400)), ("updated_at", ago(days: 10)),
                ("last_used_at", ago(days: 300)),
            ])
        // 4: expired and not deleted.
        let expired = keyObject(
            "4", name: name("4", "expired-key"), workspace: b,
            [("limit_reset", "daily"), ("expires_at", ago(days: 3)), ("last_used_at", ago(days: 10))])
        // 5: added since yesterday, expiring in 5 days.
        let expiring = keyObject(
            "5", name: name("5", "expiring-key"), workspace: b,
            [("expires_at", ago(days: -5)), ("created_at", ago(days: 0.5)), ("updated_at", ago(days: 0.5))])
        // 6: limit nearly exhausted; its usage counter went down (12 → 9.5) since yesterday.
        let nearlyOut = keyObject(
            "6", name: name("6", "nearly-out"), workspace: a,
            [("limit", money(10)), ("limit_remaining", money(0.5)), ("limit_reset", "weekly"), ("usage", money(9.5))])
        let nearlyOutBefore = keyObject(
            "6", name: name("6", "nearly-out"), workspace: a,
            [("limit", money(10)), ("limit_remaining", money(0.5)), ("limit_reset", "weekly"), ("usage", money(12))])
        // 7: unused for 90 days, BYOK outside its limit, and a field keyaudit does not know.
        let unused = keyObject(
            "7", name: name("7", "unused-reporting"), workspace: a,
            [
                ("include_byok_in_limit", false), ("byok_usage", money(3)), ("created_at", ago(days: 100)),
                ("updated_at", ago(days: 80)), ("last_used_at", ago(days: 90)), ("creator_user_id", "user_7bob"),
                ("rate_tier", "gold"),
            ])
        // 8: a limit that never resets; no workspace name known.
        let batch = keyObject(
            "8", name: name("8", "batch-export"), workspace: "ws-unlisted",
            [("limit", money(50)), ("limit_remaining", money(49)), ("limit_reset", nil), ("usage", money(1))])
        // 9: deleted since yesterday (its no-limit finding is resolved).
        let retired = keyObject(
            "9", name: name("9", "retired-key"), workspace: b,
            [("limit", nil), ("limit_remaining", nil), ("limit_reset", nil)])
        let current = [prod, ci, disabled, expired, expiring, nearlyOut, unused, batch]
        let previous = [prodBefore, ciBefore, disabled, expired, nearlyOutBefore, unused, batch, retired]
        return (current, previous)
    }

    /// A suppression expiring at the end of the day `days` from now.
    static func suppression(
        _ key: String, _ rule: String, _ reason: String, _ owner: String, _ ticket: String?, days: Double, _ index: Int
    ) -> Suppression {
        let midnight = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + days * 86_400
        let day = Date(timeIntervalSince1970: midnight)
        return Suppression(
            key: key, rule: rule, reason: reason, owner: owner, ticket: ticket,
            expires: String(Timestamp.format(day).prefix(10)), expiresAt: day.addingTimeInterval(86_400),
            location: "policy.yml:\(10 + index * 6)")
    }

    /// Default thresholds, one suppression of each state.
    static func policy() -> Policy {
        var policy = Policy()
        policy.source = "policy.yml"
        policy.suppressions = [
            suppression(
                "ci-runner-*", "no-limit", "CI runners are capped by the CI budget", "platform@example.com", "SEC-101",
                days: 200, 0),
            suppression(
                hash("1"), "stale-key", "Rotation planned with the Q1 migration", "data@example.com", "SEC-214",
                days: 7, 1),
            suppression("old-*", "*", "Legacy integrations, decommission pending", "sre@example.com", nil, days: -3, 2),
            suppression(
                "does-not-exist-*", "no-limit", "Left over from a removed team", "sec@example.com", "SEC-9", days: 60, 3
            ),
        ]
        return policy
    }

    /// The report context of the fixed account.
    /// - Parameters:
    ///   - names: replacement names by key digit ("1"..."9"), for hostile-name tests.
    ///   - extraKeys: more current keys.
    ///   - withPrevious: false renders a first run (no previous snapshot, no diff).
    ///   - brokenChain: also report a broken evidence chain.
    static func context(
        names: [Character: JSONValue] = [:], extraKeys: [JSONObject] = [], withPrevious: Bool = true,
        brokenChain: Bool = false, policy: Policy = policy(), history: RunHistory = history()
    ) -> ReportContext {
        let objects = keyObjects(names: names)
        let currentKeys = (objects.current + extraKeys).map(KeyRecord.init)
        let previous = Snapshot(
            takenAt: previousTakenAt, source: "https://openrouter.ai/api/v1", workspaces: workspaces,
            coverage: coverage(keys: objects.previous.count), previous: nil, keys: objects.previous.map(KeyRecord.init))
        let current = Snapshot(
            takenAt: now, source: "https://openrouter.ai/api/v1", workspaces: workspaces,
            coverage: coverage(keys: currentKeys.count),
            previous: withPrevious ? Snapshot.Reference(path: previousPath, sha256: previousSHA256) : nil,
            keys: currentKeys)
        let broken =
            brokenChain
            ? BrokenChain(
                path: "20261124T030000Z/snapshot.json", recorded: String(repeating: "1f", count: 32),
                actual: String(repeating: "2e", count: 32)) : nil
        let prior =
            withPrevious
            ? AuditHistory(snapshot: previous, policy: policy, now: now, brokenChain: broken)
            : AuditHistory(brokenChain: broken)
        let audit = Auditor.audit(current, history: prior, policy: policy, now: now)
        var diff: SnapshotDiff?
        if withPrevious {
            let previousIDs = Set(Auditor.audit(previous, policy: policy, now: previousTakenAt).findings.map(\.id))
            diff = SnapshotDiff.compare(
                previous: previous, from: .init(path: previousPath, takenAt: previousTakenAt, sha256: previousSHA256),
                previousFindingIDs: previousIDs, current: current,
                to: .init(path: "\(runName)/snapshot.json", takenAt: now, sha256: snapshotSHA256),
                currentFindingIDs: Set(audit.findings.map(\.id)))
        }
        var context = ReportContext(
            runName: runName, generatedAt: now, snapshot: current, snapshotSHA256: snapshotSHA256, audit: audit,
            diff: diff, brokenChain: broken, toolVersion: toolVersion)
        context.history = withPrevious ? history : RunHistory()
        if withPrevious {
            // What `keyaudit apply` changed since the previous run: a limit set, and a key <disabled> by name.
            let applied = now.addingTimeInterval(-6 * 3_600)
            context.appliedChanges = [
                AppliedChange(
                    folder: "apply-20261125T210000Z", appliedAt: applied, keyHash: hash("2"), keyName: "svc-batch",
                    action: "set-limit", detail: "changed: limit, limit_reset"),
                AppliedChange(
                    folder: "apply-20261125T210000Z", appliedAt: applied, keyHash: hash("5"),
                    keyName: "old | <b>pipe</b>", action: "disable", detail: "changed: disabled"),
            ]
        }
        return context
    }

    /// Two earlier runs, for the trend: a week and two weeks before the previous one.
    static func history() -> RunHistory {
        func run(_ days: Double, keys: Int, findings: [Severity: Int], spend: Double?) -> RunSummary {
            let takenAt = previousTakenAt.addingTimeInterval(-days * 86_400)
            return RunSummary(
                run: Timestamp.compact(takenAt), takenAt: takenAt, keys: keys, enabled: keys - 1, disabled: 1,
                findings: findings.values.reduce(0, +), bySeverity: findings, new: spend == nil ? nil : 1,
                resolved: spend == nil ? nil : 0, suppressed: 1, totalSpend: 1_200, spendSincePrevious: spend,
                coverage: CoverageVerdict(
                    status: .complete, sentence: "complete: 2 workspaces, 2 pages, listing consistent"))
        }
        return RunHistory(runs: [
            run(14, keys: 6, findings: [.high: 1, .medium: 2, .low: 1, .critical: 0, .info: 0], spend: nil),
            run(7, keys: 7, findings: [.high: 2, .medium: 3, .low: 2, .critical: 0, .info: 0], spend: 41.5),
        ])
    }

    /// The top-level `templates/` folder, found from this file's path.
    static func templatesFolder(_ file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent()  // Report
            .deletingLastPathComponent()  // KeyAuditTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("templates", isDirectory: true)
    }

    /// A temporary folder; remove it with `removeItem` when done.
    static func scratchFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keyaudit-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Renders `formats` with the default (or overridden) templates into a new folder and returns it.
    static func render(
        _ context: ReportContext, formats: [ReportFormat], overrides: String? = nil, label: String = "report"
    ) throws -> URL {
        let folder = try scratchFolder(label)
        let templates = try ReportTemplates.load(overrides: overrides, formats: formats)
        try ReportJob.write(formats, context: context, templates: templates, directory: folder.path)
        return folder
    }

    static func text(_ folder: URL, _ format: ReportFormat) throws -> String {
        String(decoding: try Data(contentsOf: folder.appendingPathComponent(format.fileName)), as: UTF8.self)
    }
}

/// Both text reports of the fixed account, compared byte for byte with Tests/KeyAuditTests/Fixtures/golden/.
/// `make golden` (KEYAUDIT_UPDATE_GOLDEN=1) rewrites the golden files and fails, so a regeneration is never silent.
@Suite("Golden reports")
struct GoldenReportTests {
    private static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/golden", isDirectory: true)

    private static var updating: Bool { ProcessInfo.processInfo.environment["KEYAUDIT_UPDATE_GOLDEN"] == "1" }

    /// The first line that differs, for a readable failure.
    private static func firstDifference(_ actual: String, _ expected: String) -> String {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(a.count, e.count) {
            let left = index < a.count ? String(a[index]) : "<end of file>"
            let right = index < e.count ? String(e[index]) : "<end of file>"
            if left != right { return "line \(index + 1):\n  rendered: \(left)\n  golden:   \(right)" }
        }
        return "(bytes differ, lines equal: line endings or trailing newline)"
    }

    @Test("report.md and report.html match the golden files", arguments: [ReportFormat.md, .html])
    func matchesGoldenFile(format: ReportFormat) throws {
        let folder = try GoldenReportFixture.render(
            GoldenReportFixture.context(), formats: [.md, .html], label: "golden")
        defer { try? FileManager.default.removeItem(at: folder) }
        let rendered = try Data(contentsOf: folder.appendingPathComponent(format.fileName))
        let golden = Self.goldenFolder.appendingPathComponent(format.fileName)
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.goldenFolder, withIntermediateDirectories: true)
            try rendered.write(to: golden)
            Issue.record(
                "KEYAUDIT_UPDATE_GOLDEN=1: regenerated \(golden.path); review the diff (git diff Tests/KeyAuditTests/Fixtures/golden), commit it, and run the tests again without the variable"
            )
            return
        }
        guard let expected = FileManager.default.contents(atPath: golden.path) else {
            Issue.record("golden file \(golden.path) is missing; run `make golden` and review it")
            return
        }
        #expect(
            rendered == expected,
            "\(format.fileName) differs from \(golden.path); if the change is intended run `make golden` and review the diff. First difference at \(Self.firstDifference(String(decoding: rendered, as: UTF8.self), String(decoding: expected, as: UTF8.self)))"
        )
    }

    @Test("rendering the same input twice gives the same bytes")
    func renderingIsDeterministic() throws {
        let first = try GoldenReportFixture.render(GoldenReportFixture.context(), formats: [.md, .html], label: "det1")
        let second = try GoldenReportFixture.render(
            GoldenReportFixture.context(), formats: [.md, .html], label: "det2")
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        for format in [ReportFormat.md, .html] {
            let a = try Data(contentsOf: first.appendingPathComponent(format.fileName))
            let b = try Data(contentsOf: second.appendingPathComponent(format.fileName))
            #expect(!a.isEmpty)
            #expect(a == b, "\(format.fileName) is not reproducible")
        }
    }

    /// The fixture really exercises every part of the reports the golden files are meant to pin down.
    @Test("the fixed account shows every section of the report")
    func fixtureCoversEverySection() throws {
        let context = GoldenReportFixture.context()
        let diff = try #require(context.diff)
        #expect(context.snapshot.keys.count == 8)
        #expect(!diff.added.isEmpty && !diff.removed.isEmpty && !diff.changed.isEmpty)
        #expect(!diff.spend.counterResets.isEmpty && diff.spend.top(1).count == 1)
        #expect(!diff.findings.new.isEmpty && !diff.findings.resolved.isEmpty)
        let states = Set(context.audit.suppressions.map(\.state))
        #expect(states == [.active, .expiringSoon, .expired, .unmatched])
        #expect(context.audit.findings.contains { $0.suppressed })
        #expect(context.audit.findings.contains { $0.status == .persisting })
        #expect(context.audit.findings.contains { $0.status == .new })

        let folder = try GoldenReportFixture.render(context, formats: [.md, .html], label: "sections")
        defer { try? FileManager.default.removeItem(at: folder) }
        let markdown = try GoldenReportFixture.text(folder, .md)
        // Summary first, scope and policy last; no key inventory in Markdown (GitHub's size limit).
        let headings = markdown.split(separator: "\n").filter { $0.hasPrefix("## ") }.map(String.init)
        #expect(
            headings == [
                "## Summary", "## Trend", "## Findings by rule", "## Changes since the previous run", "## Owners",
                "## Suppressions", "## Scope, coverage and policy",
            ])
        for heading in [
            "### Added keys", "### Removed keys", "### Configuration changes",
            "### Largest spend since the previous run",
            "### Usage counters that went down", "### New findings", "### Resolved findings",
        ] {
            #expect(markdown.contains(heading), "report.md lacks \(heading)")
        }
        #expect(!markdown.contains("Key inventory"))
        #expect(markdown.contains("| **expired** |"))
        #expect(markdown.contains("| expiring soon |"))
        #expect(markdown.contains("| active |"))
        #expect(markdown.contains("| unmatched |"))
        #expect(markdown.contains("\(GoldenReportFixture.previousPath), taken 2026-11-25 03:00 UTC"))
        let html = try GoldenReportFixture.text(folder, .html)
        #expect(html.contains("<section id=\"changes\">"))
        #expect(html.contains("<h3>Configuration changes ("))
        #expect(html.contains("<tr class=\"suppressed\">"))
        let sections = html.matches(of: try Regex(#"<section id="([a-z]+)""#)).map {
            String($0.output[1].substring ?? "")
        }
        #expect(
            sections == [
                "summary", "trend", "findings", "changes", "owners", "suppressions", "scope", "inventory",
                "remediation",
            ])
        #expect(html.contains("<svg"), "three runs of history draw the trend charts")
    }
}
