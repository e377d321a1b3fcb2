import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// Class 1 of issue 12: no number crashes keyaudit. A value in a key that cannot be represented is kept as
/// received and flagged; in a file keyaudit wrote earlier it makes that file corrupt (skipped with a warning, or
/// 65 when given explicitly); in a flag it is 64. And no crash could write the key to disk.
@Suite("Hardening: numbers", .serialized)
struct NumberTests {
    static func key(_ index: Int, _ fields: [String: Any]) -> [String: Any] {
        var key: [String: Any] = [
            "hash": String(format: "%064x", 0xBAD0 + index), "name": "odd-\(index)", "label": "sk-or-v1-bad...\(index)",
            "disabled": false, "limit": 10, "limit_remaining": 5, "limit_reset": "monthly",
            "include_byok_in_limit": true, "usage": 1, "created_at": "2025-06-01T00:00:00Z", "updated_at": NSNull(),
            "workspace_id": Hardening.workspace,
        ]
        for (name, value) in fields { key[name] = value }
        return key
    }

    @Test("keys with numbers no integer can hold: kept as received, flagged unreadable-data, the run succeeds")
    func hugeNumbersInKeys() async throws {
        let odd: [(String, String)] = [
            ("limit", "1e19"), ("usage", "1e300"), ("limit_remaining", "-1e19"), ("usage_daily", "9223372036854775808"),
            ("byok_usage", "1.7976931348623157e308"), ("usage_monthly", "1e400"),
        ]
        let extra = odd.enumerated().map { index, pair in Self.key(index, [pair.0: StandInRawJSON(pair.1)]) }
        let account = Hardening.account(keys: 20, extra: extra)
        let output = TemporaryFolder("numbers")
        let (result, _) = try await Hardening.run(account, output: output)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.signalled)
        let folder = try #require(output.runFolders().first)
        let snapshotText = Hardening.text(of: output.url("\(folder)/snapshot.json"))
        for (field, lexeme) in odd {
            // Kept exactly as received: the lexeme, not a rounded or converted number.
            #expect(snapshotText.contains("\"\(field)\":\(lexeme)"), "\(field) \(lexeme) not kept as received")
        }
        let findings = try JSONParser.parse(Array(Hardening.text(of: output.url("\(folder)/findings.json")).utf8))
        let unreadable = (findings["findings"]?.arrayValue ?? []).filter {
            $0["rule"]?.stringValue == "unreadable-data"
        }
        for (index, pair) in odd.enumerated() {
            let hash = String(format: "%064x", 0xBAD0 + index)
            let finding = unreadable.first { $0["key_hash"]?.stringValue == hash }
            #expect(finding != nil, "no unreadable-data finding for \(pair.0) = \(pair.1)")
            #expect(finding?["message"]?.stringValue?.contains(pair.0) == true)
        }
        Hardening.expectNoSecrets([account.managementKey], in: result, output)
    }

    @Test("/workspaces with total_count 1e300 (and other counts no integer holds): the listing completes")
    func hugeTotalCount() async throws {
        for total in ["1e300", "-1", "2.5", "9223372036854775808"] {
            let account = Hardening.account(keys: 5)
            let workspaces: [String: Any] = [
                "data": [account.workspaces[0].json], "total_count": StandInRawJSON(total),
            ]
            account.faults = [.reply(.json(workspaces)).only("/workspaces")]
            let output = TemporaryFolder("numbers")
            let (result, _) = try await Hardening.run(account, output: output, extra: ["--format", "md"])
            #expect(result.status == 0, "total_count \(total): \(result.stderr)")
            #expect(output.runFolders().count == 1)
        }
    }

    @Test("flags no duration or count can hold are usage errors (64), one line, at once")
    func hugeFlags() async throws {
        let cases: [[String]] = [
            ["--timeout", "1e300"], ["--timeout", "-5"], ["--timeout", "nan"], ["--timeout", "inf"],
            ["--timeout", "0"],
            ["--read-timeout", "1e300"], ["--read-timeout", "0"], ["--concurrency", "99999999999999999999"],
            ["--stale-after", "1e300"], ["--keep", "-1"], ["--report-rows", "1e9"],
            ["--max-retries", "9999999999999999999999"],
        ]
        for flags in cases {
            let output = TemporaryFolder("numbers")
            let started = ContinuousClock.now
            let result = try await CLI.run(
                ["run", "--demo", "--output", output.path, "--now", Hardening.now] + flags,
                environment: CLI.environment(), timeout: 90)
            Hardening.expectFailure(result, output, status: 64, mentions: [flags[0]], secrets: [])
            // Refused before anything is read or contacted (the bound is loose: the machine may be busy).
            #expect(ContinuousClock.now - started < .seconds(60), "\(flags)")
        }
    }

    /// Writes a first run, then rewrites a number in its snapshot.json (and SHA256SUMS, so only the number is wrong).
    static func tamperedRun(_ output: TemporaryFolder, replacing old: String, with new: String) async throws -> String {
        let first = try await CLI.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-01-14T12:00:00Z", "--format", "md"],
            environment: CLI.environment())
        #expect(first.status == 0, "\(first.stderr)")
        let folder = try #require(output.runFolders().first)
        let path = output.url("\(folder)/snapshot.json")
        let text = Hardening.text(of: path)
        #expect(text.contains(old), "the snapshot has no \(old)")
        try Data(text.replacingOccurrences(of: old, with: new).utf8).write(to: URL(fileURLWithPath: path))
        return folder
    }

    @Test(
        "a previous snapshot.json with numbers no integer holds: skipped with a warning, or 65 when given",
        arguments: [
            ("\"schema_version\": 1", "\"schema_version\": 1e300"), ("\"schema_version\": 1", "\"schema_version\": -1"),
            ("\"pages\": 6", "\"pages\": 1e300"), ("\"requests\": 10", "\"requests\": 2.5"),
            ("\"retries\": 0", "\"retries\": -9223372036854775809"),
        ])
    func corruptPrevious(_ change: (String, String)) async throws {
        let output = TemporaryFolder("numbers")
        let folder = try await Self.tamperedRun(output, replacing: change.0, with: change.1)
        // The newest run is corrupt: the next run skips it with a warning and succeeds (an old file never fails
        // tonight's audit).
        let next = try await CLI.run(
            ["run", "--demo", "--output", output.path, "--now", Hardening.now, "--format", "md"],
            environment: CLI.environment())
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("warning") && next.stderr.contains(folder), "\(next.stderr)")
        #expect(!next.signalled)
        // Given explicitly, with --previous, to diff or as --from-snapshot: 65, one line.
        let explicitOutput = TemporaryFolder("numbers")
        let explicit = try await CLI.run(
            [
                "run", "--demo", "--output", explicitOutput.path, "--now", Hardening.now, "--previous",
                output.url(folder),
            ], environment: CLI.environment())
        Hardening.expectFailure(explicit, explicitOutput, status: 65, mentions: ["snapshot.json"], secrets: [])
        let diff = try await CLI.run(["diff", output.url(folder), output.url(folder)], environment: CLI.environment())
        #expect(diff.status == 65, "\(diff.stderr)")
        #expect(diff.stderr.split(separator: "\n").count == 1, "\(diff.stderr)")
        let fromFile = try await CLI.run(
            ["run", "--from-snapshot", output.url(folder), "--output", explicitOutput.path, "--now", Hardening.now],
            environment: CLI.environment())
        Hardening.expectFailure(fromFile, explicitOutput, status: 65, secrets: [])
    }

    @Test("a findings.json with counts no integer holds makes render fail with 65, one line")
    func corruptFindings() async throws {
        for (old, new) in [
            ("\"stale_after_days\": 90", "\"stale_after_days\": 1e300"),
            ("\"schema_version\": 1", "\"schema_version\": 1e19"),
        ] {
            let output = TemporaryFolder("numbers")
            let first = try await CLI.run(
                ["run", "--demo", "--output", output.path, "--now", Hardening.now, "--format", "md"],
                environment: CLI.environment())
            #expect(first.status == 0)
            let folder = try #require(output.runFolders().first)
            let path = output.url("\(folder)/findings.json")
            let text = Hardening.text(of: path)
            #expect(text.contains(old))
            try Data(text.replacingOccurrences(of: old, with: new).utf8).write(to: URL(fileURLWithPath: path))
            let render = try await CLI.run(
                ["render", output.url(folder), "--format", "md"], environment: CLI.environment())
            #expect(render.status == 65, "\(old) → \(new): \(render.stderr)")
            #expect(!render.signalled)
            #expect(render.stderr.split(separator: "\n").count == 1, "\(render.stderr)")
        }
    }

    @Test("Retry-After values no duration holds: the API counts as unavailable (69), no crash")
    func hugeRetryAfter() async throws {
        for header in ["1e300", "inf", "99999999999999999999999"] {
            let account = Hardening.account(keys: 5)
            account.faults = [
                .reply(.error(status: 429, message: "slow down", headers: [("retry-after", header)])).only("/keys")
            ]
            let output = TemporaryFolder("numbers")
            let (result, elapsed) = try await Hardening.run(account, output: output)
            Hardening.expectFailure(result, output, status: 69, mentions: ["429"], secrets: [account.managementKey])
            #expect(elapsed < .seconds(40), "Retry-After \(header) took \(elapsed)")
        }
    }

    @Test("money formatting and timestamps never trap, whatever the value")
    func formattingNeverTraps() {
        #expect(HumanReadable.money(1e19) == "$1.0e+19")
        #expect(HumanReadable.money(-1e300) == "-$1.0e+300")
        #expect(HumanReadable.money(1234.5) == "$1,234.50")
        #expect(HumanReadable.money(.nan) == "n/a")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1e300)) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1e300)) == "0000-01-01T00:00:00Z")
        // Written byte by byte: the same text as the zero-padded fields joined, and parsed back to the second.
        var generator = SystemRandomNumberGenerator()
        for seconds in [-62_167_219_200.0, -1, 0, 59.9, 951_782_400, 1_764_158_400, 253_402_300_799]
            + (0..<2_000).map({ _ in Double.random(in: -62_167_219_200...253_402_300_799, using: &generator) })
        {
            let (y, mo, d, h, mi, s) = Timestamp.components(Date(timeIntervalSince1970: seconds))
            let joined = [
                Timestamp.digits(y, 4), "-", Timestamp.digits(mo, 2), "-", Timestamp.digits(d, 2), "T",
                Timestamp.digits(h, 2), ":", Timestamp.digits(mi, 2), ":", Timestamp.digits(s, 2), "Z",
            ].joined()
            let text = Timestamp.format(Date(timeIntervalSince1970: seconds))
            #expect(text == joined)
            #expect(Timestamp.parse(text) == seconds.rounded(.down), "\(text)")
        }
        #expect(Checked.int(exactly: 1e19) == nil && Checked.int(exactly: 2.5) == nil && Checked.int(exactly: 3) == 3)
        #expect(Checked.duration(seconds: 1e300) == nil && Checked.duration(seconds: .nan) == nil)
        #expect(Checked.duration(seconds: 1.5) == .milliseconds(1500))
        #expect(Checked.nanoseconds(.seconds(Int64.max)) == nil)
        #expect(Checked.clampedInt(.infinity, to: 0...9) == 9 && Checked.clampedInt(-.infinity, to: 0...9) == 0)
        #expect(RetryPolicy.retryAfter("1e300") == .seconds(Checked.maximumSeconds))
        #expect(JSONNumber(1e19)?.text == "1e+19" && JSONNumber(-0.0)?.text == "-0")
    }

    @Test("a key's amounts beyond 90 trillion USD are flagged, not read; smaller ones are read")
    func amountsAreBounded() throws {
        let record = KeyRecord(
            JSONObject([
                ("hash", .string(String(repeating: "a", count: 64))), ("name", "k"), ("disabled", false),
                ("created_at", "2025-01-01T00:00:00Z"), ("limit", .number(JSONNumber(validating: "1e19")!)),
                ("usage", .number(JSONNumber(validating: "90071992547409.92")!)),
                ("byok_usage", .string("1e20")),
            ]))
        #expect(record.limit == nil && record.presence(of: "limit") == .value)
        #expect(record.usage == 90_071_992_547_409.92)
        #expect(record.byokUsage == nil)
        #expect(Set(record.problems.map(\.field)) == ["limit", "byok_usage"])
    }

    @Test("the process cannot dump core: the limit is 0 (soft and hard) in the running binary")
    func coreLimitInTheBinary() async throws {
        let account = Hardening.account(keys: 5)
        account.faults = [.hang.only("/keys"), .hang.only("/keys")]
        let output = TemporaryFolder("numbers")
        let limits = StandInLocked("")
        let result = try await StandInServer.with(account.handler) { server in
            // Started with a core limit as high as the shell allows, so the 0 is keyaudit's own doing.
            try await CLI.run(
                [
                    "-c", "ulimit -c unlimited 2>/dev/null || ulimit -c $(ulimit -H -c); exec \"$0\" \"$@\"",
                    CLI.binary, "run", "--base-url", server.baseURL, "--output", output.path, "--timeout", "60",
                    "--max-retries", "0",
                ],
                environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey]), shell: true
            ) { process in
                // Once it is waiting on the API, read what the kernel says of its limits, then stop it.
                while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
                limits.withLock { $0 = text ?? "" }
                kill(process.processIdentifier, SIGTERM)
            }
        }
        #expect(result.status == 143, "\(result.stderr)")
        let text = limits.withLock { $0 }
        let line = text.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
        let fields = line?.split(separator: " ", omittingEmptySubsequences: true) ?? []
        #expect(fields.count >= 6 && fields[4] == "0" && fields[5] == "0", "core limit: \(line ?? "not read: \(text)")")
    }

    @Test("marking a process not dumpable works here (what the binary does first)")
    func notDumpable() {
        // The test process itself: being not dumpable changes nothing for the tests (exec resets it in children).
        #expect(ProcessHardening.isDumpable != nil)
        // Only the dumpable half of apply(): the core limit would be inherited by every binary the tests start
        // and hide whether the binary sets it itself.
        #expect(ProcessHardening.markNotDumpable() == 0)
        #expect(ProcessHardening.isDumpable == false)
    }
}
