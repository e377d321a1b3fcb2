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

/// The issues' "done when" checks, end to end: the binary against a stand-in account.
@Suite("End to end")
struct EndToEndTests {
    static let workspaceA = "aaaaaaaa-0000-4000-8000-00000000000a"
    static let workspaceB = "bbbbbbbb-0000-4000-8000-00000000000b"
    static let now = Timestamp.date("2026-11-26T03:00:00Z")!

    static func hash(_ n: Int) -> String { String(format: "%064x", 0xABC000 + n) }

    /// A key no rule flags: enabled, recently edited, a monthly limit, some usage, used yesterday.
    static func cleanKey(_ n: Int, workspace: String, name: String? = nil) -> [String: Any] {
        [
            "hash": hash(n), "name": name ?? "clean-\(n)", "label": "sk-or-v1-abc...\(n)", "disabled": false,
            "limit": 100, "limit_remaining": 90, "limit_reset": "monthly", "include_byok_in_limit": true,
            "usage": 10.5, "usage_daily": 0.5, "usage_weekly": 2, "usage_monthly": 10, "byok_usage": 0,
            "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
            "created_at": StandInAccount.timestamp(now.addingTimeInterval(-40 * 86_400)),
            "updated_at": StandInAccount.timestamp(now.addingTimeInterval(-10 * 86_400)),
            "expires_at": NSNull(), "creator_user_id": "user_1", "workspace_id": workspace,
            "last_used_at": StandInAccount.timestamp(now.addingTimeInterval(-86_400)),
        ]
    }

    static func run(
        _ server: StandInServer, _ account: StandInAccount, output: TemporaryFolder, at time: String
    )
        async throws -> CLIResult
    {
        try await CLI.run(
            ["run", "--base-url", server.baseURL, "--output", output.path, "--now", time, "--format", "md,html"],
            environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey]))
    }

    static func json(_ path: String) throws -> JSONValue {
        try JSONParser.parse([UInt8](FileManager.default.contents(atPath: path) ?? Data()))
    }

    @Test("planted keys: findings.json holds exactly the planted stale, no-limit and disabled-with-usage pairs")
    func plantedFindings() async throws {
        var a = (0..<120).map { Self.cleanKey($0, workspace: Self.workspaceA) }
        var b = (200..<330).map { Self.cleanKey($0, workspace: Self.workspaceB) }
        // Planted in both workspaces, across page boundaries.
        var planted: Set<String> = []
        for index in [3, 101] {
            a[index]["updated_at"] = StandInAccount.timestamp(Self.now.addingTimeInterval(-200 * 86_400))
            a[index]["created_at"] = StandInAccount.timestamp(Self.now.addingTimeInterval(-300 * 86_400))
            planted.insert("stale-key:\(a[index]["hash"]!)")
        }
        b[7]["updated_at"] = NSNull()
        b[7]["created_at"] = StandInAccount.timestamp(Self.now.addingTimeInterval(-91 * 86_400))
        planted.insert("stale-key:\(b[7]["hash"]!)")
        for index in [10, 110] {
            a[index]["limit"] = NSNull()
            a[index]["limit_remaining"] = NSNull()
            a[index]["limit_reset"] = NSNull()
            planted.insert("no-limit:\(a[index]["hash"]!)")
        }
        b[120].removeValue(forKey: "limit")
        planted.insert("no-limit:\(b[120]["hash"]!)")
        for index in [50, 125] {
            b[index]["disabled"] = true
            planted.insert("disabled-with-usage:\(b[index]["hash"]!)")
        }
        // Look-alikes that must not be flagged: exactly 90 days, a disabled key without usage.
        b[8]["updated_at"] = StandInAccount.timestamp(Self.now.addingTimeInterval(-90 * 86_400))
        b[9]["disabled"] = true
        for field in ["usage", "usage_daily", "usage_weekly", "usage_monthly"] { b[9][field] = 0 }

        let account = StandInAccount(workspaces: [
            StandInWorkspace(id: Self.workspaceA, keys: a), StandInWorkspace(id: Self.workspaceB, keys: b),
        ])
        let output = TemporaryFolder("e2e")
        let result = try await StandInServer.with(account.handler) { server in
            try await Self.run(server, account, output: output, at: "2026-11-26T03:00:00Z")
        }
        #expect(result.status == 0, "\(result.stderr)")
        let findings = try Self.json(output.url("latest/findings.json"))
        let asked: Set<String> = ["stale-key", "no-limit", "disabled-with-usage"]
        let found = Set(
            (findings["findings"]?.arrayValue ?? []).compactMap { finding -> String? in
                guard let rule = finding["rule"]?.stringValue, asked.contains(rule) else { return nil }
                return "\(rule):\(finding["key_hash"]?.stringValue ?? "")"
            })
        #expect(found == planted)
        #expect(findings["summary"]?["keys"]?.intValue == 250)
    }

    @Test("two runs against an account that changes: diff.json, the report and keyaudit diff list exactly the changes")
    func changesBetweenRuns() async throws {
        let keys = (0..<150).map { Self.cleanKey($0, workspace: Self.workspaceA) }
        let account = StandInAccount(workspaces: [StandInWorkspace(id: Self.workspaceA, keys: keys)])
        let output = TemporaryFolder("e2e")
        try await StandInServer.with(account.handler) { server in
            let first = try await Self.run(server, account, output: output, at: "2026-11-25T03:00:00Z")
            #expect(first.status == 0, "\(first.stderr)")
            // Overnight: one key added, one removed, one disabled, one limit removed, one renamed, and a key
            // that was already disabled spends.
            account.addKey(Self.cleanKey(900, workspace: Self.workspaceA, name: "new-key"), workspace: Self.workspaceA)
            account.removeKey(hash: Self.hash(5))
            account.updateKey(hash: Self.hash(6)) {
                var key = $0
                key["disabled"] = true
                return key
            }
            account.updateKey(hash: Self.hash(7)) {
                var key = $0
                key["limit"] = NSNull()
                return key
            }
            account.updateKey(hash: Self.hash(8)) {
                var key = $0
                key["name"] = "renamed"
                return key
            }
            let second = try await Self.run(server, account, output: output, at: "2026-11-26T03:00:00Z")
            #expect(second.status == 0, "\(second.stderr)")
            account.updateKey(hash: Self.hash(6)) {
                var key = $0
                key["usage"] = 25.5
                return key
            }
            let third = try await Self.run(server, account, output: output, at: "2026-11-27T03:00:00Z")
            #expect(third.status == 0, "\(third.stderr)")
        }
        let diff = try Self.json(output.url("20261126T030000Z/diff.json"))
        #expect(diff["added"]?.arrayValue?.compactMap { $0["hash"]?.stringValue } == [Self.hash(900)])
        #expect(diff["removed"]?.arrayValue?.compactMap { $0["hash"]?.stringValue } == [Self.hash(5)])
        let changed = diff["changed"]?.arrayValue ?? []
        #expect(changed.compactMap { $0["hash"]?.stringValue } == [Self.hash(6), Self.hash(7), Self.hash(8)])
        #expect(
            changed[0]["changes"]?["disabled"] == .object(JSONObject([("from", .bool(false)), ("to", .bool(true))])))
        #expect(changed[1]["changes"]?["limit"]?["to"] == .null)
        #expect(changed[2]["changes"]?["name"]?["to"]?.stringValue == "renamed")
        #expect(changed.allSatisfy { $0["changes"]?.objectValue?.count == 1 })
        #expect(diff["from"]?["path"]?.stringValue == "20261125T030000Z/snapshot.json")

        // Spending while disabled (disabled in both of the last two snapshots): a high finding, listed as new.
        let findings = try Self.json(output.url("20261127T030000Z/findings.json"))
        let spend = (findings["findings"]?.arrayValue ?? []).first {
            $0["id"]?.stringValue == "disabled-with-usage:\(Self.hash(6))"
        }
        #expect(spend?["severity"]?.stringValue == "high")
        let third = try Self.json(output.url("20261127T030000Z/diff.json"))
        #expect(third["spend"]?["top"]?[0]?["hash"]?.stringValue == Self.hash(6))

        // The report's changes section and `keyaudit diff` say the same.
        let report = String(
            decoding: FileManager.default.contents(atPath: output.url("20261126T030000Z/report.md")) ?? Data(),
            as: UTF8.self)
        #expect(report.contains("1 added, 1 removed, 3 reconfigured"))
        #expect(report.contains("new-key") && report.contains("renamed"))
        let text = try await CLI.run(["diff", output.url("20261125T030000Z"), output.url("20261126T030000Z")])
        #expect(text.status == 0)
        #expect(text.stdout.contains("1 added, 1 removed, 3 reconfigured"))
        #expect(text.stdout.contains("name: \"clean-8\" -> \"renamed\""))
        let json = try await CLI.run(["diff", "--last", "2", "--output", output.path, "--format", "json"])
        #expect(json.status == 0)
        let printed = try JSONParser.parse(Array(json.stdout.utf8))
        // The two newest runs: only the disabled key's spend changed.
        #expect(printed["changed"]?.arrayValue?.isEmpty == true)
        #expect(printed["spend"]?["top"]?[0]?["hash"]?.stringValue == Self.hash(6))
        #expect(printed["schema_version"]?.intValue == 1)
        let markdown = try await CLI.run(
            [
                "diff", output.url("20261125T030000Z/snapshot.json"), output.url("20261126T030000Z/snapshot.json"),
                "--format", "md",
            ])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.contains("## Changes since the previous run"))
        #expect(markdown.stdout.contains("| renamed |"))
    }

    @Test("the demo is stable: a second run minutes later and a third a day later show no change but spend")
    func demoIsStable() async throws {
        let folder = TemporaryFolder()
        let clocks = ["2026-11-30T03:00:00Z", "2026-11-30T03:07:00Z", "2026-12-01T03:00:00Z"]
        for clock in clocks {
            let result = try await CLI.run(["run", "--demo", "--output", folder.path, "--now", clock, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let runs = folder.runFolders()
        #expect(runs.count == 3)
        func diff(_ run: String) throws -> JSONValue {
            try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: folder.url("\(run)/diff.json"))))
        }
        // The first run compares with the demo's embedded previous snapshot: exactly the planted changes.
        let first = try diff(runs[0])
        #expect(first["added"]?.arrayValue?.count == 2)
        #expect(first["removed"]?.arrayValue?.count == 2)
        let changed = (first["changed"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
        #expect(
            changed == ["customer-nakatomi-main", "customer-prestige-prod", "svc-billing-primary", "svc-moderation-v2"])
        for run in runs.dropFirst() {
            let later = try diff(run)
            #expect(later["added"]?.arrayValue?.isEmpty == true, "\(run)")
            #expect(later["removed"]?.arrayValue?.isEmpty == true, "\(run)")
            #expect(later["changed"]?.arrayValue?.isEmpty == true, "\(run): \(later["changed"] ?? .null)")
            #expect((later["spend"]?["total_growth"]?.doubleValue ?? 0) > 0, "spend grows with the clock")
            #expect(later["findings"]?["new"]?.arrayValue?.isEmpty == true, "\(run)")
        }
    }

    @Test("keyaudit diff on a file that is not a snapshot exits 65; on identical snapshots prints no change")
    func diffErrors() async throws {
        let folder = TemporaryFolder("e2e")
        _ = FileManager.default.createFile(atPath: folder.url("notes.txt"), contents: Data("hello".utf8))
        let bad = try await CLI.run(["diff", folder.url("notes.txt"), folder.url("notes.txt")])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("notes.txt"))
        _ = try await CLI.run([
            "run", "--demo", "--output", folder.path, "--now", "2026-11-26T03:00:00Z", "--format", "md",
        ])
        let same = try await CLI.run(["diff", folder.url("latest"), folder.url("latest"), "--format", "json"])
        #expect(same.status == 0)
        let document = try JSONParser.parse(Array(same.stdout.utf8))
        #expect(document["added"]?.arrayValue?.isEmpty == true && document["changed"]?.arrayValue?.isEmpty == true)
    }

    @Test("render re-renders a stored run with an edited template and keeps the folder verifiable")
    func render() async throws {
        let output = TemporaryFolder("e2e")
        let run = try await CLI.run(["run", "--demo", "--output", output.path, "--now", "2026-11-26T03:00:00Z"])
        #expect(run.status == 0)
        let templates = TemporaryFolder("templates")
        _ = FileManager.default.createFile(
            atPath: templates.url("summary.md.mustache"),
            contents: Data("## Summary (edited)\n\n{{summary.keys}} keys checked.\n".utf8))
        let result = try await CLI.run([
            "render", output.url("latest"), "--templates", templates.path, "--format", "md",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = String(
            decoding: FileManager.default.contents(atPath: output.url("latest/report.md")) ?? Data(), as: UTF8.self)
        #expect(report.contains("## Summary (edited)"))
        #expect(report.contains("## Findings"))  // the other sections stay
        #expect(try await CLI.run(["verify", output.url("latest")]).status == 0)
        // A template with a syntax error: 64 naming the file, line and column; the reports stay as they were.
        _ = FileManager.default.createFile(
            atPath: templates.url("findings.md.mustache"), contents: Data("ok\n{{#findings}}\n".utf8))
        let broken = try await CLI.run(["render", output.url("latest"), "--templates", templates.path])
        #expect(broken.status == 64)
        // The section opened on line 2 is still open at the end of the file (line 3, column 1).
        #expect(broken.stderr.contains("findings.md.mustache:3:1: template syntax error"))
        #expect(try await CLI.run(["verify", output.url("latest")]).status == 0)
    }

    @Test("rules and policy init: the contract's ids, and a starter policy that checks clean")
    func rulesAndPolicy() async throws {
        let rules = try await CLI.run(["rules", "--format", "json"])
        #expect(rules.status == 0)
        let ids = (try JSONParser.parse(Array(rules.stdout.utf8)).arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        for id in [
            "stale-key", "no-limit", "disabled-with-usage", "expired-not-deleted", "expiring-soon",
            "limit-nearly-exhausted", "byok-outside-limit", "limit-never-resets", "unused-key", "unreadable-data",
        ] {
            #expect(ids.contains(id), "\(id) missing from keyaudit rules")
        }
        let folder = TemporaryFolder("policy")
        let created = try await CLI.run(["policy", "init", folder.url("policy.yml")])
        #expect(created.status == 0)
        #expect(try await CLI.run(["policy", "check", folder.url("policy.yml")]).status == 0)
        #expect(try await CLI.run(["policy", "init", folder.url("policy.yml")]).status == 64)  // never overwrites
        _ = FileManager.default.createFile(
            atPath: folder.url("bad.yml"), contents: Data("thresholds:\n  stale_after_days: soon\n".utf8))
        let bad = try await CLI.run(
            ["run", "--demo", "--policy", folder.url("bad.yml"), "--output", folder.url("out")])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("bad.yml:2:") && bad.stderr.contains("stale_after_days"))
        #expect(!FileManager.default.fileExists(atPath: folder.url("out/latest")))
    }

    @Test("a valid date no workbook can hold is written as text and flagged; the run succeeds (issue 12, class 8)")
    func datesBefore1900DoNotFailTheRun() async throws {
        let output = TemporaryFolder("old-dates")
        var key = Self.cleanKey(1, workspace: Self.workspaceA, name: "ancient")
        key["created_at"] = "1899-12-31T23:59:59Z"
        key["last_used_at"] = "0001-01-01T00:00:00Z"
        let keys = output.url("keys.json")
        try JSONSerialization.data(withJSONObject: [key, Self.cleanKey(2, workspace: Self.workspaceA)]).write(
            to: URL(fileURLWithPath: keys))
        let result = try await CLI.run([
            "run", "--from-snapshot", keys, "--output", output.url("out"), "--now", "2026-11-26T03:00:00Z",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("cannot be read"), "the key is flagged: \(result.stderr)")
        let run = output.url("out/latest")
        let findings = try Self.json(run + "/findings.json")
        let unreadable = (findings["findings"]?.arrayValue ?? []).filter {
            $0["rule"]?.stringValue == "unreadable-data"
        }
        #expect(unreadable.count == 1)
        #expect(unreadable.first?["message"]?.stringValue?.contains("created_at is before 1900") == true)
        let book = try XLSXReader.read(URL(fileURLWithPath: run + "/report.xlsx"))
        let keysSheet = try book.sheet(named: "Keys")
        let texts = keysSheet.rows.joined().map(\.text)
        #expect(texts.contains("1899-12-31T23:59:59Z") && texts.contains("0001-01-01T00:00:00Z"))
    }
}
