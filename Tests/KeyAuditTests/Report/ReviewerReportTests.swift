import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditReport
@testable import KeyAuditRun
@testable import KeyAuditSnapshot

/// Reports as a reviewer attaches them (issue 13): summary first with the coverage verdict and the new count,
/// findings grouped by rule, changes with names, owners, Markdown that fits a GitHub comment, HTML that prints.
@Suite("Reviewer reports")
struct ReviewerReportTests {
    // MARK: - Markdown code spans

    @Test(
        "a code span shows its value exactly: no backslash escapes inside backticks",
        arguments: [
            ("created_at", "`created_at`"), ("*", "`*`"), ("a|b", "`a\\|b`"), ("x`y", "``x`y``"),
            ("`edge`", "`` `edge` ``"), ("", "` `"), ("line\nbreak", "`line ↵ break`"),
            ("rtl\u{202E}txt", "`rtlU+202Etxt`"), ("<b>&amp;", "`<b>&amp;`"), (" padded ", "`  padded  `"),
        ])
    func markdownCodeSpans(value: String, expected: String) {
        #expect(Escaping.markdownCode(value) == expected)
    }

    @Test("configuration changes name fields and values in code spans without escapes")
    func changesUseCleanCodeSpans() throws {
        var context = GoldenReportFixture.context()
        var diff = try #require(context.diff)
        diff.changed[0].changes = [
            .init(field: "created_at", from: .string("a*b"), to: .string("a|b`c")),
            .init(field: "limit_reset", from: nil, to: .null),
        ]
        context.diff = diff
        let folder = try GoldenReportFixture.render(context, formats: [.md], label: "code-spans")
        defer { try? FileManager.default.removeItem(at: folder) }
        let markdown = try GoldenReportFixture.text(folder, .md)
        #expect(markdown.contains("| prod-backend | `created_at` | `a*b` | ``a\\|b`c`` |"), "\(markdown)")
        #expect(markdown.contains("| prod-backend | `limit_reset` | `(absent)` | `null` |"))
        #expect(!markdown.contains("created\\_at`"), "an escape inside a code span shows literally")
        #expect(!markdown.contains("`\\*"))
    }

    // MARK: - Summary, changes, owners

    @Test("the summary says the coverage in one sentence and counts new and resolved findings")
    func summaryFirst() throws {
        let context = GoldenReportFixture.context()
        let folder = try GoldenReportFixture.render(context, formats: [.md, .html], label: "summary-first")
        defer { try? FileManager.default.removeItem(at: folder) }
        let markdown = try GoldenReportFixture.text(folder, .md)
        let html = try GoldenReportFixture.text(folder, .html)
        let summary = try #require(markdown.range(of: "## Summary"))
        #expect(markdown[..<summary.lowerBound].split(separator: "\n").filter { $0.hasPrefix("## ") }.isEmpty)
        #expect(markdown.contains("**Coverage: complete: 2 workspaces, 2 pages, listing consistent.**"))
        #expect(markdown.contains("| 8 | 7 | 1 | **7** | **1** | 1 | 2 | $54.50 | $1,335.75 |"))
        #expect(html.contains("<b>1</b>new since last run"))
        #expect(html.range(of: "id=\"summary\"")!.lowerBound < html.range(of: "id=\"findings\"")!.lowerBound)
    }

    @Test(
        "the coverage verdict",
        arguments: [
            (
                Coverage.Mode.allWorkspaces, true, true, "complete",
                "complete: 2 workspaces, 3 pages, listing consistent"
            ),
            (
                .selectedWorkspaces, true, true, "selected",
                "selected workspaces only: 2 workspaces chosen with --workspace"
            ),
            (.defaultListingOnly, true, true, "incomplete", "INCOMPLETE: /workspaces was unavailable"),
            (.allWorkspaces, false, true, "incomplete", "INCOMPLETE: the listing of 1 workspace never settled"),
            (.allWorkspaces, true, false, "incomplete", "INCOMPLETE: disabled keys were not listed"),
            (.file, true, true, "file", "from a file, not listed from the API: 1 keys in 1 workspace"),
        ])
    func coverageVerdict(
        mode: Coverage.Mode, consistent: Bool, disabled: Bool, status: String, sentence: String
    ) {
        let coverage = Coverage(
            mode: mode, pages: 3, requests: 4, retries: 0, includeDisabled: disabled,
            workspaces: [
                .init(id: "a", keys: 1, pages: 2, attempts: 1, consistent: consistent),
                .init(id: "b", keys: 0, pages: 1, attempts: 1, consistent: true),
            ], consistent: consistent)
        let key = KeyRecord(GoldenReportFixture.keyObject("1", name: "k", workspace: "a"))
        let snapshot = Snapshot(
            takenAt: nil, source: "file:keys.json", workspaces: [], coverage: coverage, previous: nil, keys: [key])
        let verdict = CoverageVerdict(snapshot)
        #expect(verdict.status.rawValue == status)
        #expect(verdict.sentence.hasPrefix(sentence), "\(verdict.sentence)")
    }

    @Test("counts carry thousands separators in every text report")
    func thousandsSeparators() throws {
        let extra = (0..<1_200).map { index -> JSONObject in
            GoldenReportFixture.keyObject(
                "a", name: .string("bulk-\(index)"), workspace: GoldenReportFixture.workspaceA,
                [("hash", .string(String(format: "%064x", 0xB000 + index))), ("limit", nil)])
        }
        let context = GoldenReportFixture.context(extraKeys: extra)
        let model = ReportViewModel.build(context)
        let summary = try #require(model["summary"] as? [String: Any])
        #expect(summary["keys"] as? String == "1,208")
        #expect(summary["keys_raw"] as? Int == 1_208)
        let groups = try #require(model["findings_by_rule"] as? [[String: Any]])
        #expect(groups.first { $0["rule"] as? String == "no-limit" }?["count"] as? String == "1,200")
    }

    @Test("changes name keys, rules, severities and workspaces; owners tally findings by workspace and creator")
    func changesAndOwnersByName() throws {
        let context = GoldenReportFixture.context()
        let model = ReportViewModel.build(context)
        let changes = try #require(model["changes"] as? [String: Any])
        let new = try #require((changes["new_findings"] as? [[String: Any]])?.first)
        #expect(new["key_name"] as? String == "expiring-key")
        #expect(new["severity"] as? String == "low" && new["title"] as? String == "Key expiring soon")
        #expect(new["workspace"] as? String == "Research")
        let resolved = try #require((changes["resolved_findings"] as? [[String: Any]])?.first)
        #expect(resolved["key_name"] as? String == "retired-key", "a deleted key's name comes from the diff")
        #expect(resolved["severity"] as? String == "high")
        let added = try #require((changes["added"] as? [[String: Any]])?.first)
        #expect(added["workspace"] as? String == "Research", "workspaces by name, not UUID")

        let owners = try #require(model["owners"] as? [String: Any])
        let workspaces = try #require(owners["by_workspace"] as? [[String: Any]])
        #expect(workspaces.map { $0["name"] as? String } == ["Production", "Research", "ws-unlisted"])
        #expect(workspaces.first?["findings"] as? String == "4")
        let creators = try #require(owners["by_creator"] as? [[String: Any]])
        #expect(creators.map { $0["name"] as? String } == ["user_2alice", "user_7bob"])
        #expect(creators.last?["findings"] as? String == "2")
    }

    @Test("from a file, the scope lists the workspaces the keys name")
    func fileScopeNamesWorkspaces() throws {
        var context = GoldenReportFixture.context()
        context.snapshot.coverage = Coverage(mode: .file)
        let model = ReportViewModel.build(context)
        let scope = try #require(model["scope"] as? [String: Any])
        #expect(scope["workspace_count"] as? String == "3")
        let names = (scope["workspaces"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["Production", "Research", "ws-unlisted"])
    }

    @Test("remediation calls: only whole, reversible fixes (or deleting a dead key), each named by its rule's text")
    func remediationCalls() throws {
        #expect(
            RemediationCalls.patterns(forRule: "no-limit")
                == ["PATCH /api/v1/keys/{hash} {\"limit\": 50, \"limit_reset\": \"monthly\"}"])
        // A person decides first, or a replacement must exist first: the text says so, no call is offered.
        for rule in ["stale-key", "expiring-soon", "disabled-with-usage", "limit-nearly-exhausted", "broken-chain"] {
            #expect(RemediationCalls.patterns(forRule: rule).isEmpty, "\(rule)")
        }
        for rule in RuleCatalog.all {
            let calls = RemediationCalls.patterns(forRule: rule.id)
            let named = RemediationCalls.patterns(in: rule.remediation)
            #expect(calls.allSatisfy(named.contains), "\(rule.id): \(calls) not among \(named)")
            // The one DELETE offered is for a key that has already expired.
            #expect(rule.id == "expired-not-deleted" || !calls.contains { $0.hasPrefix("DELETE") }, "\(rule.id)")
        }
        #expect(Set(RemediationCalls.byRule.keys).isSubset(of: Set(RuleCatalog.all.map(\.id))))
        #expect(RemediationCalls.calls(["DELETE /api/v1/keys/{hash}"], hash: "~nohash-1").isEmpty)
        let html = try GoldenReportFixture.text(
            try GoldenReportFixture.render(GoldenReportFixture.context(), formats: [.html], label: "calls"), .html)
        #expect(html.contains("<code class=\"call\">DELETE /api/v1/keys/\(GoldenReportFixture.hash("4"))</code>"))
    }

    // MARK: - GitHub's size limit

    /// An account no comment box can hold: thousands of keys with hostile, long names, a finding of every rule
    /// on each, a diff that adds and removes thousands.
    static func hugeContext() -> ReportContext {
        let long = String(repeating: "<script>\u{202E}&|", count: 40)
        let keys = (0..<3_000).map { index -> JSONObject in
            GoldenReportFixture.keyObject(
                "a", name: .string("\(index) \(long)"),
                workspace: "ws-\(index % 700)-" + String(repeating: "<\u{2066}", count: 100),
                [
                    ("hash", .string(String(format: "%064x", 0xC000 + index))), ("limit", nil),
                    ("creator_user_id", .string("user-\(index % 900)-" + String(repeating: "&\u{2067}", count: 100))),
                    ("updated_at", GoldenReportFixture.ago(days: 400)),
                    ("expires_at", GoldenReportFixture.ago(days: 2)),
                    ("last_used_at", GoldenReportFixture.ago(days: 300)), ("created_at", "1850-01-01T00:00:00Z"),
                ])
        }
        return GoldenReportFixture.context(extraKeys: keys)
    }

    @Test("report.md stays under 60,000 characters for an account of thousands of long hostile names")
    func markdownFitsGitHub() throws {
        let context = Self.hugeContext()
        #expect(context.audit.findings.count > 10_000)
        let folder = try GoldenReportFixture.render(context, formats: [.md], label: "md-budget")
        defer { try? FileManager.default.removeItem(at: folder) }
        let markdown = try GoldenReportFixture.text(folder, .md)
        #expect(markdown.utf16.count <= ReportTemplates.markdownBudget, "\(markdown.utf16.count) characters")
        #expect(markdown.contains("## Findings by rule") && markdown.contains("## Summary"))
        #expect(markdown.contains("more not listed here; report.xlsx (sheet Findings) and findings.json hold all"))
        #expect(!markdown.contains("<script"))
        // The longest lists would not have fitted: the shorter ones were chosen.
        let templates = try ReportTemplates.load(overrides: nil, formats: [.md])
        let longest = try templates.render(
            .md, model: ReportViewModel.build(ReportFacts(context), profile: .markdown(rowLimit: 1000)[0]))
        #expect(longest.utf16.count > ReportTemplates.markdownBudget, "\(longest.utf16.count)")
    }

    @Test("a template that prints more than any list can hold is cut at a line end with a note")
    func markdownLastResortCut() throws {
        let overrides = try GoldenReportFixture.scratchFolder("md-cut")
        defer { try? FileManager.default.removeItem(at: overrides) }
        try Data("# Warnings\n{{#diagnostics}}\n- {{message}}\n{{/diagnostics}}\n".utf8).write(
            to: overrides.appendingPathComponent("report.md.mustache"))
        let templates = try ReportTemplates.load(overrides: overrides.path, formats: [.md])
        var context = GoldenReportFixture.context()
        context.diagnostics = (0..<5_000).map { Diagnostic(stage: "test", message: "problem number \($0)") }
        let text = try templates.renderMarkdown(ReportFacts(context))
        #expect(text.utf16.count <= ReportTemplates.markdownBudget)
        #expect(text.hasSuffix("report.html and report.xlsx hold everything.\n"))
    }

    // MARK: - Print

    @Test("HTML prints every section expanded, wide tables on landscape pages, headers on every page")
    func printStylesheet() throws {
        let html = try GoldenReportFixture.text(
            try GoldenReportFixture.render(GoldenReportFixture.context(), formats: [.html], label: "print"), .html)
        let print = try #require(html.range(of: "@media print {")).upperBound
        let rules = html[print...]
        #expect(rules.contains(".toggled { display: block !important; }"), "collapsed sections are printed")
        #expect(rules.contains("thead { display: table-header-group; }"))
        #expect(rules.contains("section.wide { page: wide;"))
        #expect(html.contains("@page wide { size: A4 landscape;"))
        #expect(!html.contains("<details"), "a <details> stays closed in print")
        #expect(html.contains("<section id=\"inventory\" class=\"wide\">"))
        #expect(html.contains("<section id=\"remediation\" class=\"wide\">"))
    }
}
