import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditTestSupport

/// Issue 16's "done when", through the built binary against a stand-in account that answers GET, PATCH and
/// DELETE /keys/{hash}: plan, a dry run, an apply with keys changed and removed meanwhile, a second apply of the
/// same plan, verify, the next run's reports, and the refusals.
@Suite("Remediation end to end", .serialized)
struct RemediationEndToEndTests {
    static let workspace = "aaaaaaaa-0000-4000-8000-00000000000a"
    static let now = Timestamp.date("2026-11-26T03:00:00Z")!

    static func at(_ minutes: Int) -> String { Timestamp.format(now.addingTimeInterval(Double(minutes) * 60)) }

    static let policy = """
        version: 1
        remediation:
          no-limit: {action: set-limit, limit: 50, limit_reset: monthly}
          stale-key: {action: disable}
          expired-not-deleted: {action: delete, older_than_days: 30}
          disabled-with-usage: {action: none}
        """

    static let pastedSecret = "sk-or-v1-" + String(repeating: "0123456789abcdef", count: 4)

    /// Clean keys 0–4; no limit 10–13; stale 20; expired 40 days ago 30.
    static func account() -> StandInAccount {
        var keys = (0..<5).map { EndToEndTests.cleanKey($0, workspace: workspace) }
        for n in 10...13 {
            // Key 10's name holds a pasted secret: it must not reach the plan or the apply record.
            let name = n == 10 ? "unbounded \(pastedSecret)" : "unbounded-\(n)"
            var key = EndToEndTests.cleanKey(n, workspace: workspace, name: name)
            key["limit"] = NSNull()
            key["limit_remaining"] = NSNull()
            key["limit_reset"] = NSNull()
            keys.append(key)
        }
        var stale = EndToEndTests.cleanKey(20, workspace: workspace, name: "forgotten")
        stale["updated_at"] = StandInAccount.timestamp(now.addingTimeInterval(-200 * 86_400))
        stale["created_at"] = StandInAccount.timestamp(now.addingTimeInterval(-300 * 86_400))
        keys.append(stale)
        // Its name holds a pasted secret too: the deletion's precondition (which includes the name) compares
        // what the API answers after the same redaction as the snapshot.
        var expired = EndToEndTests.cleanKey(30, workspace: workspace, name: "expired-long-ago \(pastedSecret)")
        expired["expires_at"] = StandInAccount.timestamp(now.addingTimeInterval(-40 * 86_400))
        keys.append(expired)
        let account = StandInAccount(workspaces: [StandInWorkspace(id: workspace, keys: keys)])
        account.clock = now.addingTimeInterval(3_600)
        return account
    }

    static func hash(_ n: Int) -> String { EndToEndTests.hash(n) }

    static func key(_ account: StandInAccount, _ n: Int) -> [String: Any]? {
        account.keys().first { ($0["hash"] as? String) == hash(n) }
    }

    static func environment(_ account: StandInAccount) -> [String: String] {
        CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey])
    }

    static func results(_ folder: String) throws -> [String: String] {
        let document = try EndToEndTests.json((folder as NSString).appendingPathComponent("results.json"))
        var outcomes: [String: String] = [:]
        for result in document["results"]?.arrayValue ?? [] {
            outcomes[result["key_hash"]?.stringValue ?? ""] = result["outcome"]?.stringValue
        }
        return outcomes
    }

    static func applyFolders(_ output: TemporaryFolder) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).filter { $0.hasPrefix("apply-") }
            .sorted()
    }

    /// `apply PLAN --yes --allow-delete` against the stand-in, the apply folder into `output`, at `minutes`.
    static func applyAllowingDeletion(
        _ server: StandInServer, _ account: StandInAccount, _ planPath: String, output: TemporaryFolder,
        at minutes: Int
    ) async throws -> CLIResult {
        try await CLI.run(
            [
                "apply", planPath, "--yes", "--allow-delete", "--base-url", server.baseURL, "--output", output.path,
                "--now", at(minutes),
            ],
            environment: environment(account))
    }

    /// A run, then a plan from it with the policy above.
    static func runAndPlan(
        _ server: StandInServer, _ account: StandInAccount, output: TemporaryFolder, work: TemporaryFolder
    ) async throws -> String {
        let run = try await EndToEndTests.run(server, account, output: output, at: at(0))
        #expect(run.status == 0, "\(run.stderr)")
        let policyPath = work.url("policy.yml")
        try policy.write(toFile: policyPath, atomically: true, encoding: .utf8)
        let planPath = work.url("remediation.json")
        let plan = try await CLI.run([
            "plan", output.url("latest"), "--policy", policyPath, "--output", planPath, "--now", at(10),
        ])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("6 changes (1 deletion)"), "\(plan.stdout)")
        return planPath
    }

    @Test("plan, dry run, apply around keys changed and removed meanwhile, apply again: only what is left is sent")
    func planAndApply() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            #expect(FileManager.default.fileExists(atPath: work.url("remediation.md")))
            let plan = try EndToEndTests.json(planPath)
            let kinds = (plan["actions"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue }.sorted()
            #expect(kinds == ["delete", "disable", "set-limit", "set-limit", "set-limit", "set-limit"])

            // A dry run sends nothing and writes nothing.
            let listed = server.requests.count
            let dry = try await CLI.run(
                ["apply", planPath, "--base-url", server.baseURL, "--now", Self.at(15)],
                environment: Self.environment(account))
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("needs --allow-delete"), "\(dry.stdout)")
            #expect(server.requests.count == listed)
            #expect(Self.applyFolders(output).isEmpty)

            // Meanwhile someone edits one key and deletes another.
            account.updateKey(hash: Self.hash(12)) {
                var key = $0
                key["name"] = "renamed-by-a-person"
                key["updated_at"] = Self.at(12)
                return key
            }
            account.removeKey(hash: Self.hash(13))

            let first = try await CLI.run(
                [
                    "apply", planPath, "--yes", "--base-url", server.baseURL, "--output", output.path, "--now",
                    Self.at(20),
                ],
                environment: Self.environment(account))
            #expect(first.status == 1, "\(first.stderr)")
            let firstFolder = try #require(Self.applyFolders(output).first)
            let outcomes = try Self.results(output.url(firstFolder))
            let record = try EndToEndTests.json(output.url("\(firstFolder)/results.json"))
            #expect(record["api"]?.stringValue == server.baseURL, "the record names the API the changes went to")
            #expect(outcomes[Self.hash(10)] == "applied")
            #expect(outcomes[Self.hash(11)] == "applied")
            #expect(outcomes[Self.hash(12)] == "skipped-changed")
            #expect(outcomes[Self.hash(13)] == "skipped-missing")
            #expect(outcomes[Self.hash(20)] == "applied")
            #expect(outcomes[Self.hash(30)] == "skipped-not-allowed")
            #expect(Self.key(account, 10)?["limit_reset"] as? String == "monthly")
            #expect(Self.key(account, 20)?["disabled"] as? Bool == true)
            #expect(Self.key(account, 12)?["limit"] is NSNull, "a key changed since the snapshot is left alone")
            #expect(Self.key(account, 30) != nil)
            let patches = server.requests.filter { $0.method == "PATCH" }
            #expect(patches.count == 3)

            // The same plan again: what took is recognised by the key's state, only the deletion is sent.
            let second = try await Self.applyAllowingDeletion(server, account, planPath, output: output, at: 30)
            #expect(second.status == 1, "\(second.stderr)")
            let secondFolder = try #require(Self.applyFolders(output).last)
            #expect(secondFolder != firstFolder)
            let again = try Self.results(output.url(secondFolder))
            #expect(again[Self.hash(10)] == "already-applied")
            #expect(again[Self.hash(20)] == "already-applied")
            #expect(again[Self.hash(30)] == "applied")
            #expect(server.requests.filter { $0.method == "PATCH" }.count == 3, "no change is repeated")
            #expect(server.requests.filter { $0.method == "DELETE" }.count == 1)
            #expect(Self.key(account, 30) == nil)

            // verify checks the apply folders with the runs; the next run's reports list what was applied.
            let verify = try await CLI.run(["verify", output.url("latest")])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("2 apply folders"), "\(verify.stdout)")
            // Named for --now, started by the machine's clock days later: a reviewer is told.
            #expect(verify.stdout.contains("(apply --now) but started at"), "\(verify.stdout)")
            let next = try await EndToEndTests.run(server, account, output: output, at: "2026-11-27T03:00:00Z")
            #expect(next.status == 0, "\(next.stderr)")
            let report = try String(contentsOfFile: output.url("latest/report.md"), encoding: .utf8)
            #expect(report.contains("Changes keyaudit applied (4)"), "\(report)")
            #expect(report.contains("forgotten") && report.contains("expired-long-ago"))
            let html = try String(contentsOfFile: output.url("latest/report.html"), encoding: .utf8)
            #expect(html.contains("Changes keyaudit applied (4)"))

            // An apply record altered afterwards fails verify, naming it.
            let results = output.url("\(firstFolder)/results.json")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: results))
            bytes.append(contentsOf: Array(" ".utf8))
            try bytes.write(to: URL(fileURLWithPath: results))
            let tampered = try await CLI.run(["verify", output.url("latest")])
            #expect(tampered.status == 65)
            #expect(tampered.stderr.contains(firstFolder), "\(tampered.stderr)")
        }
        for secret in [account.managementKey, Self.pastedSecret] {
            #expect(!output.anyFileContains(secret))
            #expect(!work.anyFileContains(secret))
        }
    }

    @Test("apply refuses an old plan, a plan edited to reach another key, and a run folder that fails verify (65)")
    func refusals() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            func apply(_ path: String, _ extra: [String] = [], at minutes: Int = 20) async throws -> CLIResult {
                try await CLI.run(
                    ["apply", path, "--yes", "--base-url", server.baseURL, "--now", Self.at(minutes)] + extra,
                    environment: Self.environment(account))
            }
            let old = try await apply(planPath, ["--max-plan-age", "1h"], at: 24 * 60)
            #expect(old.status == 65)
            #expect(old.stderr.contains("--max-plan-age"), "\(old.stderr)")
            let badAge = try await apply(planPath, ["--max-plan-age", "7 days"])
            #expect(badAge.status == 64)

            // An action pointed at a key the run never held (hash and path changed together).
            let text = try String(contentsOfFile: planPath, encoding: .utf8)
            let edited = work.url("edited.json")
            try text.replacingOccurrences(of: Self.hash(11), with: Self.hash(777)).write(
                toFile: edited, atomically: true, encoding: .utf8)
            let foreign = try await apply(edited)
            #expect(foreign.status == 65)
            #expect(foreign.stderr.contains("does not hold"), "\(foreign.stderr)")

            // A body field a plan may not change.
            try text.replacingOccurrences(of: "\"limit_reset\": \"monthly\"", with: "\"name\": \"pwned\"").write(
                toFile: edited, atomically: true, encoding: .utf8)
            let field = try await apply(edited)
            #expect(field.status == 65, "\(field.stderr)")

            // The run's evidence altered after the plan was made.
            let findings = output.url("latest/findings.json")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: findings))
            bytes.append(contentsOf: Array("\n".utf8))
            try bytes.write(to: URL(fileURLWithPath: findings))
            let unverified = try await apply(planPath)
            #expect(unverified.status == 65)
            #expect(unverified.stderr.contains("fails verification"), "\(unverified.stderr)")
            #expect(server.requests.allSatisfy { $0.method == "GET" }, "nothing was changed")
            #expect(Self.applyFolders(output).isEmpty)
        }
    }

    @Test("--max-changes caps what one apply sends; a refused PATCH is `failed` with its status; the rest resumes")
    func capsAndFailures() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            // The first PATCH is refused as the API refuses a bad request; a 503 is retried.
            account.faults = [
                StandInAccount.Fault.status(400).onlyMethod("PATCH"),
                StandInAccount.Fault.status(503, retryAfter: 0).onlyMethod("PATCH"),
            ]
            let capped = try await CLI.run(
                [
                    "apply", planPath, "--yes", "--max-changes", "2", "--base-url", server.baseURL, "--output",
                    output.path, "--now", Self.at(20),
                ],
                environment: Self.environment(account))
            #expect(capped.status == 1, "\(capped.stderr)")
            let folder = try #require(Self.applyFolders(output).first)
            let document = try EndToEndTests.json(output.url("\(folder)/results.json"))
            let outcomes = (document["results"]?.arrayValue ?? []).compactMap { $0["outcome"]?.stringValue }
            #expect(outcomes.filter { $0 == "failed" }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == "applied" }.count == 1, "\(outcomes)")
            #expect(outcomes.contains("skipped-limit"))
            let failed = (document["results"]?.arrayValue ?? []).first { $0["outcome"]?.stringValue == "failed" }
            #expect(failed?["status"]?.intValue == 400)

            let rest = try await CLI.run(
                [
                    "apply", planPath, "--yes", "--allow-delete", "--base-url", server.baseURL, "--output",
                    output.path, "--now", Self.at(30),
                ],
                environment: Self.environment(account))
            #expect(rest.status == 0, "\(rest.stdout)\(rest.stderr)")
            #expect(rest.stdout.contains("already-applied"))
        }
    }

    @Test("an apply ended by a second signal keeps its journal of the changes made; the next run names it")
    func journalSurvivesASecondSignal() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate-journal")
        let work = TemporaryFolder("remediate-journal-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            let slow = "/keys/\(Self.hash(12))"
            account.faults = [StandInAccount.Fault.delayed(.seconds(5)).only(slow).onlyMethod("PATCH")]
            let result = try await CLI.run(
                [
                    "apply", planPath, "--yes", "--base-url", server.baseURL, "--output", output.path, "--now",
                    Self.at(20),
                ],
                environment: Self.environment(account)
            ) { process in
                while process.isRunning,
                    !server.requests.contains(where: { $0.method == "PATCH" && $0.path.hasSuffix(slow) })
                {
                    try await Task.sleep(for: .milliseconds(10))
                }
                kill(process.processIdentifier, SIGTERM)
                try await Task.sleep(for: .milliseconds(300))
                kill(process.processIdentifier, SIGTERM)
            }
            #expect(result.status == 143, "\(result.stderr)")
            #expect(result.stderr.contains("journal.jsonl"), "\(result.stderr)")
            let staging = try #require(
                try FileManager.default.contentsOfDirectory(atPath: output.path).first {
                    $0.hasPrefix(".keyaudit-tmp-apply-")
                })
            let journal = Evidence.text(output.url("\(staging)/journal.jsonl"))
            #expect(journal.contains("\"outcome\":\"applied\""), "\(journal)")
            #expect(journal.contains("\"event\":\"sending\"") && journal.contains(Self.hash(12)), "\(journal)")
            #expect(!journal.contains(Self.pastedSecret), "the journal passes the redaction")
            // The next run keeps the folder and says why.
            let next = try await EndToEndTests.run(server, account, output: output, at: "2026-11-27T03:00:00Z")
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("an apply was stopped"), "\(next.stderr)")
            #expect(FileManager.default.fileExists(atPath: output.url("\(staging)/journal.jsonl")))
        }
    }

    @Test("a rotated key's predecessor is left alone when its successor is gone since the snapshot")
    func rotationSuccessor() async throws {
        var keys: [[String: Any]] = []
        for (old, new) in [(50, 51), (52, 53)] {
            keys.append(EndToEndTests.cleanKey(old, workspace: Self.workspace, name: "payments-old-\(old)"))
            var successor = EndToEndTests.cleanKey(new, workspace: Self.workspace, name: "payments-new-\(new)")
            successor["rotated_from_hash"] = Self.hash(old)
            successor["created_at"] = StandInAccount.timestamp(Self.now.addingTimeInterval(-30 * 86_400))
            keys.append(successor)
        }
        let account = StandInAccount(workspaces: [StandInWorkspace(id: Self.workspace, keys: keys)])
        account.clock = Self.now.addingTimeInterval(3_600)
        let output = TemporaryFolder("remediate-rotation")
        let work = TemporaryFolder("remediate-rotation-work")
        try await StandInServer.with(account.handler) { server in
            let run = try await EndToEndTests.run(server, account, output: output, at: Self.at(0))
            #expect(run.status == 0, "\(run.stderr)")
            let policyPath = work.url("policy.yml")
            try "version: 1\nremediation:\n  rotated-predecessor-active: {action: disable}\n".write(
                toFile: policyPath, atomically: true, encoding: .utf8)
            let planPath = work.url("plan.json")
            let plan = try await CLI.run([
                "plan", output.url("latest"), "--policy", policyPath, "--output", planPath, "--now", Self.at(10),
            ])
            #expect(plan.status == 0 && plan.stdout.contains("2 changes"), "\(plan.stdout)\(plan.stderr)")
            // One successor deleted since the snapshot: its callers may be back on the predecessor.
            account.removeKey(hash: Self.hash(51))
            let applied = try await Self.applyAllowingDeletion(server, account, planPath, output: output, at: 20)
            #expect(applied.status == 1, "\(applied.stdout)\(applied.stderr)")
            let outcomes = try Self.results(output.url(try #require(Self.applyFolders(output).first)))
            #expect(outcomes[Self.hash(50)] == "skipped-changed", "\(outcomes)")
            #expect(outcomes[Self.hash(52)] == "applied", "\(outcomes)")
            #expect(Self.key(account, 50)?["disabled"] as? Bool == false)
            #expect(Self.key(account, 52)?["disabled"] as? Bool == true)
        }
    }

    @Test("a 403, a redirect or a 402 for one key fails that action only, with its status; the rest goes on")
    func refusalsForOneKey() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            account.faults = [
                StandInAccount.Fault.status(403).onlyMethod("PATCH"),
                StandInAccount.Fault.status(302).onlyMethod("PATCH"),
                StandInAccount.Fault.status(402).onlyMethod("DELETE"),
            ]
            let first = try await Self.applyAllowingDeletion(server, account, planPath, output: output, at: 20)
            #expect(first.status == 1, "\(first.stderr)")
            let folder = try #require(Self.applyFolders(output).first)
            let results = try EndToEndTests.json(output.url("\(folder)/results.json"))["results"]?.arrayValue ?? []
            let failed = results.filter { $0["outcome"]?.stringValue == "failed" }
            #expect(failed.compactMap { $0["status"]?.intValue }.sorted() == [302, 402, 403], "\(results)")
            #expect(failed.allSatisfy { !($0["detail"]?.stringValue ?? "").contains("may have reached") })
            #expect(results.filter { $0["outcome"]?.stringValue == "applied" }.count == 3, "\(results)")
            #expect(!results.contains { $0["outcome"]?.stringValue == "not-attempted" })
            let rest = try await Self.applyAllowingDeletion(server, account, planPath, output: output, at: 30)
            #expect(rest.status == 0, "\(rest.stdout)\(rest.stderr)")
        }
    }

    @Test(
        "apply --yes without a key is 77; an API that cannot be reached is 69 with nothing written; a held lock is 75")
    func apiAndLockFailures() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            let base = ["apply", planPath, "--yes", "--base-url", server.baseURL, "--now", Self.at(20)]
            let noKey = try await CLI.run(base)
            #expect(noKey.status == 77, "\(noKey.stderr)")
            // Nothing listens any more where the plan's run listed the keys: no action can be tried, so nothing
            // is recorded.
            let closed = try await StandInServer.start(account.handler)
            let closedOutput = TemporaryFolder("remediate-closed")
            let closedWork = TemporaryFolder("remediate-closed-work")
            let closedPlan = try await Self.runAndPlan(closed, account, output: closedOutput, work: closedWork)
            try await closed.stop()
            let down = try await CLI.run(
                [
                    "apply", closedPlan, "--yes", "--base-url", closed.baseURL, "--now", Self.at(20), "--max-retries",
                    "1",
                ],
                environment: Self.environment(account))
            #expect(down.status == 69, "\(down.stderr)")
            #expect(down.stderr.split(separator: "\n").count == 1, "\(down.stderr)")
            // In the system's words, not NIO's ("connection reset (error set): Connection refused) (errno: 111)").
            #expect(down.stderr.contains("connection failed: connection refused)"), "\(down.stderr)")
            #expect(Self.applyFolders(closedOutput).isEmpty, "nothing was changed, so nothing is recorded")
            // A plan applied to another API than the one its run listed: refused before anything is sent.
            let elsewhere = try await CLI.run(
                ["apply", planPath, "--yes", "--base-url", closed.baseURL, "--now", Self.at(20)],
                environment: Self.environment(account))
            #expect(elsewhere.status == 64, "\(elsewhere.stderr)")
            #expect(elsewhere.stderr.contains("listed keys at \(server.baseURL)"), "\(elsewhere.stderr)")
            // A plan made from the demo account: made-up keys, refused with --yes (a dry run is fine).
            let demoOutput = TemporaryFolder("remediate-demo")
            #expect(try await CLI.run(["run", "--demo", "--output", demoOutput.path, "--quiet"]).status == 0)
            let demoPlan = work.url("demo-plan.json")
            let planned = try await CLI.run([
                "plan", demoOutput.url("latest"), "--policy", work.url("policy.yml"), "--output", demoPlan,
            ])
            #expect(planned.status == 0, "\(planned.stderr)")
            let demo = try await CLI.run(
                ["apply", demoPlan, "--yes", "--base-url", server.baseURL], environment: Self.environment(account))
            #expect(demo.status == 64 && demo.stderr.contains("demo account"), "\(demo.stderr)")
            #expect(try await CLI.run(["apply", demoPlan]).status == 0, "a dry run of it is fine")
            // Another keyaudit holds the output folder's lock.
            let lock = open(output.url(".keyaudit.lock"), O_RDWR | O_CREAT, 0o600)
            #expect(lock >= 0)
            defer { close(lock) }
            #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
            let locked = try await CLI.run(base, environment: Self.environment(account))
            #expect(locked.status == 75, "\(locked.stderr)")
            #expect(server.requests.allSatisfy { $0.method == "GET" })
        }
    }

    @Test("a 500 on one action: the others applied, exit 1; applying again finishes the rest and repeats nothing")
    func fiveHundredOnOneAction() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            // The first PATCH and its retry are answered 500: that action fails, the apply goes on.
            account.faults = [
                StandInAccount.Fault.status(500).onlyMethod("PATCH"),
                StandInAccount.Fault.status(500).onlyMethod("PATCH"),
            ]
            let base = [
                "apply", planPath, "--yes", "--allow-delete", "--base-url", server.baseURL, "--output", output.path,
            ]
            let first = try await CLI.run(
                base + ["--max-retries", "1", "--now", Self.at(20)], environment: Self.environment(account))
            #expect(first.status == 1, "\(first.stderr)")
            let firstFolder = try #require(Self.applyFolders(output).first)
            let outcomes = try Self.results(output.url(firstFolder))
            let record = try EndToEndTests.json(output.url("\(firstFolder)/results.json"))
            #expect(record["api"]?.stringValue == server.baseURL, "the record names the API the changes went to")
            let failed = outcomes.filter { $0.value == "failed" }.map(\.key)
            #expect(failed.count == 1, "\(outcomes)")
            #expect(outcomes.values.filter { $0 == "applied" }.count == 5, "\(outcomes)")
            let failedHash = try #require(failed.first)
            #expect(Self.key(account, 10).map { $0["limit"] is NSNull } != nil)

            let second = try await CLI.run(base + ["--now", Self.at(30)], environment: Self.environment(account))
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            let again = try Self.results(output.url(try #require(Self.applyFolders(output).last)))
            #expect(again[failedHash] == "applied")
            #expect(again.filter { $0.key != failedHash }.allSatisfy { $0.value == "already-applied" }, "\(again)")
            // Every key was changed exactly once (the failed PATCH was refused before it took).
            let changes = server.requests.filter { $0.method != "GET" }.map {
                $0.path.split(separator: "/").last.map(String.init) ?? ""
            }
            let succeeded = changes.count - 2
            #expect(succeeded == 6, "\(changes)")
            #expect(Set(changes).count == 6)
        }
    }

    /// The plan's text with `edit` applied to its first action of `kind` (a JSON object, re-encoded).
    static func editAction(_ text: String, kind: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        var document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var actions = try #require(document["actions"] as? [[String: Any]])
        let index = try #require(actions.firstIndex { $0["kind"] as? String == kind })
        edit(&actions[index])
        document["actions"] = actions
        return String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
    }

    @Test("a plan edited into something plan never writes is refused (65): the kind, the body and expected agree")
    func editedPlans() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            let text = try String(contentsOfFile: planPath, encoding: .utf8)
            func request(_ action: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
                var request = action["request"] as? [String: Any] ?? [:]
                change(&request)
                action["request"] = request
            }
            var edits: [(String, String)] = []
            // A set-limit turned into a DELETE under its old kind.
            edits.append(
                (
                    "method",
                    try Self.editAction(text, kind: "set-limit") { action in
                        request(&action) {
                            $0["method"] = "DELETE"
                            $0["body"] = nil
                        }
                        action["expected"] = [String: Any]()
                    }
                ))
            // A loosening change: the limit removed.
            edits.append(
                (
                    "loosening",
                    try Self.editAction(text, kind: "set-limit") { action in
                        request(&action) { $0["body"] = ["limit": NSNull()] }
                        action["expected"] = ["limit": NSNull()]
                    }
                ))
            // Nothing expected: it would count as done without anything sent.
            edits.append(("expected", try Self.editAction(text, kind: "disable") { $0["expected"] = [String: Any]() }))
            // A field added to the body only.
            edits.append(
                (
                    "body",
                    try Self.editAction(text, kind: "disable") { action in
                        request(&action) { $0["body"] = ["disabled": true, "include_byok_in_limit": true] }
                    }
                ))
            // Terminal escapes in the kind.
            edits.append(
                ("kind", try Self.editAction(text, kind: "disable") { $0["kind"] = "disable\u{1B}[2J\nFAKE" }))
            // Numbers out of order.
            edits.append(("number", try Self.editAction(text, kind: "disable") { $0["number"] = 99 }))
            // The same member twice in a body (only a text edit can make one).
            edits.append(
                (
                    "duplicate",
                    text.replacingOccurrences(
                        of: "\"limit_reset\": \"monthly\"", with: "\"limit_reset\": \"monthly\", \"limit\": null")
                ))
            for (what, edited) in edits {
                let path = work.url("edited-\(what).json")
                try edited.write(toFile: path, atomically: true, encoding: .utf8)
                let result = try await CLI.run(
                    ["apply", path, "--yes", "--allow-delete", "--base-url", server.baseURL, "--now", Self.at(20)],
                    environment: Self.environment(account))
                #expect(result.status == 65, "\(what): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(what): \(result.stderr)")
                #expect(!result.stderr.contains("\u{1B}"))
                #expect(result.stderr.contains("not a usable keyaudit plan"), "\(what): \(result.stderr)")
            }
            #expect(server.requests.allSatisfy { $0.method == "GET" }, "nothing was changed")
        }
    }

    /// The plan's text with `edit` applied to its document (a JSON object, re-encoded).
    static func editPlan(_ text: String, _ edit: (inout [String: Any]) throws -> Void) throws -> String {
        var document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        try edit(&document)
        return String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
    }

    @Test(
        "a plan edited after review cannot raise a limit, delete a key without a finding, rename it, or weaken a precondition (65)"
    )
    func editedAfterReview() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            let text = try String(contentsOfFile: planPath, encoding: .utf8)
            let snapshot = try EndToEndTests.json(output.url("latest/snapshot.json"))
            /// Key `n` as the run snapshotted it, as a Foundation object (for JSONSerialization).
            func snapshotted(_ n: Int) throws -> [String: Any] {
                let key = try #require(
                    snapshot["keys"]?.arrayValue?.first { $0["hash"]?.stringValue == Self.hash(n) })
                let data = Data(JSONWriter.bytes(key, style: .compact))
                return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            }
            let stale = try snapshotted(20)  // limit 100 monthly; its action is a disable
            func setLimit(_ body: [String: Any]) -> (inout [String: Any]) -> Void {
                { action in
                    action["kind"] = "set-limit"
                    action["rules"] = ["no-limit"]
                    action["request"] = ["method": "PATCH", "path": "/keys/\(Self.hash(20))", "body": body]
                    action["expected"] = body
                    action["precondition"] = [
                        "updated_at": stale["updated_at"]!, "limit": stale["limit"]!,
                        "limit_reset": stale["limit_reset"]!,
                    ]
                }
            }
            var edits: [(what: String, text: String, says: String)] = []
            edits.append(
                (
                    "raise", try Self.editAction(text, kind: "disable", setLimit(["limit": 1_000_000])),
                    "raises the key's limit"
                ))
            edits.append(
                (
                    "shorter reset", try Self.editAction(text, kind: "disable", setLimit(["limit_reset": "daily"])),
                    "shortens the key's reset period"
                ))
            // A limit sent as written must be the plain amount: `5E1` is 50 to keyaudit, maybe not to the API.
            edits.append(
                (
                    "lexeme",
                    text.replacingOccurrences(of: "\"limit\": 50", with: "\"limit\": 5E1"),
                    "plain amount"
                ))
            // The deletion's precondition without the key's use: a key used since the snapshot would be deleted.
            edits.append(
                (
                    "cut precondition",
                    try Self.editAction(text, kind: "delete") { action in
                        var precondition = action["precondition"] as? [String: Any] ?? [:]
                        precondition["usage"] = nil
                        precondition["last_used_at"] = nil
                        action["precondition"] = precondition
                    }, "has a precondition other than"
                ))
            // A rule the kind does not fix.
            edits.append(
                (
                    "rule", try Self.editAction(text, kind: "disable") { $0["rules"] = ["expired-not-deleted"] },
                    "does not fix that rule"
                ))
            // The disable shown to the reviewer under another key's name.
            edits.append(
                (
                    "name", try Self.editAction(text, kind: "disable") { $0["key_name"] = "old-test-key (unused)" },
                    "the run's snapshot names it"
                ))
            // A deletion appended for a clean key, precondition and all exactly as snapshotted: no finding backs it.
            let clean = try snapshotted(0)
            edits.append(
                (
                    "no finding",
                    try Self.editPlan(text) { document in
                        var actions = try #require(document["actions"] as? [[String: Any]])
                        var precondition: [String: Any] = [:]
                        for field in ["updated_at", "disabled", "expires_at", "limit", "limit_reset", "name", "usage"]
                        where clean[field] != nil {
                            precondition[field] = clean[field]
                        }
                        precondition["last_used_at"] = clean["last_used_at"]
                        actions.append([
                            "number": actions.count + 1, "key_hash": Self.hash(0), "key_name": "clean-0",
                            "kind": "delete", "rules": ["unused-key"],
                            "request": ["method": "DELETE", "path": "/keys/\(Self.hash(0))"],
                            "precondition": precondition,
                            "absent": ["updated_at", "disabled", "expires_at", "limit", "limit_reset", "name", "usage"]
                                .filter { clean[$0] == nil },
                            "expected": [String: Any](),
                        ])
                        document["actions"] = actions
                    }, "no such unsuppressed finding"
                ))
            // One member twice outside any body: jq and Python read the last, keyaudit would read the first.
            edits.append(
                (
                    "top-level duplicate",
                    text.replacingOccurrences(
                        of: "\"actions\": [", with: "\"actions\": [], \"actions\": [", options: [], range: nil),
                    "appears twice"
                ))
            for edit in edits {
                let path = work.url("edited-\(edit.what.replacingOccurrences(of: " ", with: "-")).json")
                try edit.text.write(toFile: path, atomically: true, encoding: .utf8)
                let result = try await CLI.run(
                    ["apply", path, "--yes", "--allow-delete", "--base-url", server.baseURL, "--now", Self.at(20)],
                    environment: Self.environment(account))
                #expect(result.status == 65, "\(edit.what): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(edit.what): \(result.stderr)")
                #expect(result.stderr.contains(edit.says), "\(edit.what): \(result.stderr)")
            }
            #expect(server.requests.allSatisfy { $0.method == "GET" }, "nothing was changed")

            // A plan made today from a snapshot older than --max-plan-age acts on an old account: refused too.
            let stalePlan = try await CLI.run(
                ["apply", planPath, "--max-plan-age", "1h", "--base-url", server.baseURL, "--now", Self.at(65)],
                environment: Self.environment(account))
            #expect(stalePlan.status == 65, "\(stalePlan.stderr)")
            #expect(stalePlan.stderr.contains("took its snapshot"), "\(stalePlan.stderr)")

            // The expired key is used after the snapshot: its deletion is skipped, not sent, though its
            // updated_at did not move (using a key does not edit it).
            account.updateKey(hash: Self.hash(30)) {
                var key = $0
                key["usage"] = 99
                key["last_used_at"] = Self.at(15)
                return key
            }
            let used = try await Self.applyAllowingDeletion(server, account, planPath, output: output, at: 20)
            #expect(used.status == 1, "\(used.stderr)")
            let folder = try #require(Self.applyFolders(output).first)
            #expect(try Self.results(output.url(folder))[Self.hash(30)] == "skipped-changed")
            #expect(Self.key(account, 30) != nil)
            #expect(server.requests.allSatisfy { $0.method != "DELETE" })
        }
    }

    @Test("a wrong --base-url is 64 before anything is read; a GET answering another key fails that action only")
    func lyingEndpoints() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            // Every path 404s under a wrong prefix: deletions must not be taken as done.
            let wrong = server.baseURL.replacingOccurrences(of: "/api/v1", with: "/wrong/v1")
            let misdirected = try await CLI.run(
                ["apply", planPath, "--yes", "--allow-delete", "--base-url", wrong, "--now", Self.at(20)],
                environment: Self.environment(account))
            #expect(misdirected.status == 64, "\(misdirected.stdout)\(misdirected.stderr)")
            #expect(misdirected.stderr.contains("--base-url"))
            #expect(Self.applyFolders(output).isEmpty)

            // GET /keys/{hash of key 20} answers with key 0.
            let other = try #require(Self.key(account, 0))
            account.faults = [
                StandInAccount.Fault.reply(.json(["data": other])).only("/keys/\(Self.hash(20))").onlyMethod("GET")
            ]
            let result = try await CLI.run(
                ["apply", planPath, "--yes", "--allow-delete", "--base-url", server.baseURL, "--now", Self.at(30)],
                environment: Self.environment(account))
            #expect(result.status == 1, "\(result.stderr)")
            let outcomes = try Self.results(output.url(try #require(Self.applyFolders(output).first)))
            #expect(outcomes[Self.hash(20)] == "failed", "\(outcomes)")
            #expect(outcomes[Self.hash(10)] == "applied")
            #expect(outcomes[Self.hash(30)] == "applied", "a name holding a secret does not make the key look changed")
            #expect(Self.key(account, 20)?["disabled"] as? Bool == false)

            // Another key whose hash is the management key: not a word of it in the record or on the console,
            // not even a start too short for the redaction to recognise.
            var echo = other
            echo["hash"] = account.managementKey
            account.faults = [
                StandInAccount.Fault.reply(.json(["data": echo])).only("/keys/\(Self.hash(20))").onlyMethod("GET")
            ]
            let echoed = try await CLI.run(
                ["apply", planPath, "--yes", "--base-url", server.baseURL, "--now", Self.at(40)],
                environment: Self.environment(account))
            #expect(echoed.status == 1, "\(echoed.stderr)")
            let start = String(account.managementKey.prefix(10))
            #expect(!echoed.stdout.contains(start) && !echoed.stderr.contains(start))
            #expect(echoed.stdout.contains("another key (not a key hash)"), "\(echoed.stdout)")
            #expect(!output.anyFileContains(start), "the management key's start reached a file")
        }
    }

    @Test("a change that may have reached the API before a timeout is recorded as such; the apply folder is written")
    func sentThenLost() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        let work = TemporaryFolder("remediate-work")
        try await StandInServer.with(account.handler) { server in
            let planPath = try await Self.runAndPlan(server, account, output: output, work: work)
            account.faults = [StandInAccount.Fault.hang.onlyMethod("PATCH")]
            let result = try await CLI.run(
                [
                    "apply", planPath, "--yes", "--base-url", server.baseURL, "--now", Self.at(20), "--max-retries",
                    "0",
                    "--read-timeout", "1", "--timeout", "30",
                ],
                environment: Self.environment(account))
            #expect(result.status == 69, "\(result.stderr)")
            let folder = try #require(Self.applyFolders(output).first, "the apply folder is written")
            let document = try EndToEndTests.json(output.url("\(folder)/results.json"))
            let first = try #require(document["results"]?.arrayValue?.first)
            #expect(first["outcome"]?.stringValue == "failed")
            #expect(first["detail"]?.stringValue?.contains("may have reached the API") == true)
            #expect(first["before"]?.objectValue != nil, "the key as read before is kept")
            #expect(document["stopped_by"]?.stringValue != nil)
        }
    }

    @Test("a forged apply folder is not listed by the next run's reports, and verify names it")
    func forgedApplyFolder() async throws {
        let account = Self.account()
        let output = TemporaryFolder("remediate")
        try await StandInServer.with(account.handler) { server in
            let first = try await EndToEndTests.run(server, account, output: output, at: Self.at(0))
            #expect(first.status == 0, "\(first.stderr)")
            let forged = output.url("apply-20261126T040000Z")
            try FileManager.default.createDirectory(atPath: forged, withIntermediateDirectories: true)
            let results = """
                {"kind": "keyaudit-apply", "finished_at": "2026-11-26T04:00:00Z", "plan": {"sha256": "00", "run": "x"},
                 "results": [{"key_hash": "\(Self.hash(3))", "key_name": "clean-3", "action": "delete", "outcome": "applied"}]}
                """
            try results.write(toFile: forged + "/results.json", atomically: true, encoding: .utf8)
            let sums = Checksum.sha256Hex(Array(results.utf8)) + "  results.json\n"
            try sums.write(toFile: forged + "/SHA256SUMS", atomically: true, encoding: .utf8)
            let next = try await EndToEndTests.run(server, account, output: output, at: "2026-11-27T03:00:00Z")
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("apply-20261126T040000Z"), "\(next.stderr)")
            let report = try String(contentsOfFile: output.url("latest/report.md"), encoding: .utf8)
            #expect(!report.contains("Changes keyaudit applied"))
            let verify = try await CLI.run(["verify", output.url("latest")])
            #expect(verify.status == 65)
            #expect(verify.stderr.contains("apply-20261126T040000Z"), "\(verify.stderr)")
        }
    }
}
