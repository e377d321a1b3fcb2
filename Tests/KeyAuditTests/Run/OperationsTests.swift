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

/// Cron-grade behaviour through the real binary: locking, signals, full disks, retention, metrics, verify.
@Suite("Operations")
struct OperationsTests {
    static let now = "2026-11-26T03:00:00Z"

    /// A keys file of `count` keys, as a raw GET /keys body.
    static func keysFile(_ folder: TemporaryFolder, count: Int, name: String = "keys.json") -> String {
        var text = "{\"data\": ["
        text.reserveCapacity(count * 400)
        for index in 0..<count {
            let hash = String(format: "%064x", index + 1)
            if index > 0 { text += "," }
            text += """
                {"hash":"\(hash)","name":"key-\(index)","label":"sk-or-v1-abc...\(index)","disabled":\(index % 10 == 0),\
                "limit":\(index % 3 == 0 ? "null" : "100"),"limit_remaining":50,"limit_reset":"monthly",\
                "include_byok_in_limit":true,"usage":\(Double(index) / 7),"usage_daily":0,"usage_weekly":0,\
                "usage_monthly":0,"byok_usage":0,"byok_usage_daily":0,"byok_usage_weekly":0,"byok_usage_monthly":0,\
                "created_at":"2026-01-01T00:00:00Z","updated_at":null,"workspace_id":"w1"}
                """
        }
        text += "]}"
        let path = folder.url(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static func run(_ arguments: [String], timeout: Double = 120) async throws -> CLIResult {
        try await CLI.run(arguments, environment: CLI.environment(), timeout: timeout)
    }

    static func stagingFolders(_ output: TemporaryFolder) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).filter {
            $0.hasPrefix(".keyaudit-tmp")
        }
    }

    @Test("a second run while one holds the lock exits 75 at once, naming the holder")
    func lockHeld() async throws {
        let output = TemporaryFolder("ops")
        let lock = try RunLock(output: OutputDirectory.open(output.path))
        let result = try await Self.run(["run", "--demo", "--output", output.path, "--now", Self.now])
        lock.release()
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("pid \(getpid())"))
        #expect(result.stderr.contains("started"))
        #expect(output.runFolders().isEmpty)
        // Released (as by a killed holder): the next run goes through.
        let next = try await Self.run(["run", "--demo", "--output", output.path, "--now", Self.now])
        #expect(next.status == 0, "\(next.stderr)")
    }

    @Test("two runs started at once: one completes, the other exits 75")
    func twoRunsAtOnce() async throws {
        let account = StandInAccount(workspaces: [
            StandInWorkspace(
                id: "w", keys: StandInAccount.makeKeys(count: 350, disabled: 0, workspace: "w", seed: 1, now: Date()))
        ])
        account.latency = .milliseconds(300)
        let output = TemporaryFolder("ops")
        let results = try await StandInServer.with(account.handler) { server in
            let arguments = ["run", "--base-url", server.baseURL, "--output", output.path, "--format", "md"]
            let environment = CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey])
            async let first = CLI.run(arguments + ["--now", "2026-11-26T03:00:00Z"], environment: environment)
            async let second = CLI.run(arguments + ["--now", "2026-11-26T03:00:01Z"], environment: environment)
            return try await [first, second]
        }
        #expect(results.map(\.status).sorted() == [0, 75], "\(results.map(\.stderr))")
        #expect(output.runFolders().count == 1)
    }

    @Test("SIGTERM while paging: exit 143, no run folder, no staging folder, latest unchanged")
    func sigtermWhilePaging() async throws {
        let output = TemporaryFolder("ops")
        let first = try await Self.run(["run", "--demo", "--output", output.path, "--now", "2026-11-25T03:00:00Z"])
        #expect(first.status == 0)
        let latestBefore = try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest"))
        let account = StandInAccount(workspaces: [
            StandInWorkspace(
                id: "w", keys: StandInAccount.makeKeys(count: 900, disabled: 0, workspace: "w", seed: 2, now: Date()))
        ])
        account.latency = .milliseconds(400)
        let result = try await StandInServer.with(account.handler) { server in
            try await CLI.run(
                [
                    "run", "--base-url", server.baseURL, "--output", output.path, "--now", Self.now, "--concurrency",
                    "1",
                ],
                environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey])
            ) { process in
                while server.requests.filter({ $0.path.hasSuffix("/keys") }).count < 2 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                kill(process.processIdentifier, SIGTERM)
            }
        }
        #expect(result.status == 143, "\(result.stderr)")
        #expect(output.runFolders() == ["20261125T030000Z"])
        #expect(Self.stagingFolders(output).isEmpty)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest")) == latestBefore)
    }

    @Test("SIGTERM while writing reports: exit 143, staging folder removed, latest unchanged")
    func sigtermWhileWriting() async throws {
        let inputs = TemporaryFolder("ops-input")
        let keys = Self.keysFile(inputs, count: 40_000)
        let output = TemporaryFolder("ops")
        let first = try await Self.run(["run", "--demo", "--output", output.path, "--now", "2026-11-25T03:00:00Z"])
        #expect(first.status == 0)
        let result = try await CLI.run(
            ["run", "--from-snapshot", keys, "--output", output.path, "--now", Self.now], environment: CLI.environment()
        ) { process in
            // Wait until the run is writing into its staging folder.
            while true {
                let staging = Self.stagingFolders(output)
                if let folder = staging.first,
                    FileManager.default.fileExists(atPath: output.url("\(folder)/snapshot.json"))
                {
                    break
                }
                guard process.isRunning else { return }
                try await Task.sleep(for: .milliseconds(5))
            }
            kill(process.processIdentifier, SIGTERM)
        }
        #expect(result.status == 143, "\(result.stderr)")
        #expect(output.runFolders() == ["20261125T030000Z"])
        #expect(Self.stagingFolders(output).isEmpty, "\(output.allFiles())")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest")) == "20261125T030000Z")
    }

    @Test("an output folder that cannot be written: exit 73, nothing written")
    func readOnlyOutput() async throws {
        let path: String
        let folder = TemporaryFolder("ops-ro")
        if getuid() == 0 {
            // root ignores permission bits; sysfs refuses new files even to root.
            path = "/sys/kernel"
        } else {
            path = folder.url("ro")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            chmod(path, 0o555)
        }
        let result = try await Self.run(["run", "--demo", "--output", path, "--now", Self.now])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains(path))
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("20261126T030000Z")))
        if getuid() != 0 { chmod(path, 0o755) }
    }

    /// File-size limits in /bin/sh's 512-byte blocks, and which file each makes fail, for 3,000 keys.
    static let fullDiskCases: [(blocks: Int, failing: [String])] = [
        // 256 KiB: snapshot.json (about 1.4 MB), the first file, cannot be written.
        (512, ["snapshot.json"]),
        // 1.5 MiB: snapshot.json is written and the workbook starts on its thread; then findings.json (about
        // 3.5 MB) fails. The run must neither hang on the workbook waiting for a diff nor remove the staging
        // folder under it.
        (3_072, ["findings.json", "report.xlsx"]),
    ]

    @Test(
        "the disk fills up while writing: exit 73, the workbook thread joined, no run folder, no staging folder",
        arguments: fullDiskCases)
    func diskFull(_ limit: (blocks: Int, failing: [String])) async throws {
        let output = TemporaryFolder("ops")
        let inputs = TemporaryFolder("ops-input")
        let keys = Self.keysFile(inputs, count: 3_000)
        let process = try await CLI.run(
            [
                "-c", "ulimit -f \(limit.blocks); exec \"$0\" \"$@\"", CLI.binary, "run", "--from-snapshot", keys,
                "--output", output.path, "--now", Self.now,
            ],
            environment: CLI.environment(), timeout: 60, shell: true)
        #expect(process.status == 73, "\(process.stderr)")
        #expect(process.stderr.contains("File too large") || process.stderr.contains("space"))
        #expect(limit.failing.contains { process.stderr.contains($0) }, "\(process.stderr)")
        #expect(output.runFolders().isEmpty)
        #expect(Self.stagingFolders(output).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: output.url("latest")))
    }

    @Test("a corrupt latest link and a previous run missing its snapshot do not stop the run")
    func damagedHistory() async throws {
        let output = TemporaryFolder("ops")
        let first = try await Self.run(["run", "--demo", "--output", output.path, "--now", "2026-11-24T03:00:00Z"])
        #expect(first.status == 0)
        // A newer run folder that lost its snapshot, and latest pointing nowhere.
        try FileManager.default.createDirectory(
            atPath: output.url("20261125T030000Z"), withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: output.url("20261125T030000Z/SHA256SUMS"), contents: Data())
        try FileManager.default.removeItem(atPath: output.url("latest"))
        try FileManager.default.createSymbolicLink(atPath: output.url("latest"), withDestinationPath: "does-not-exist")
        let result = try await Self.run(
            ["run", "--demo", "--output", output.path, "--now", Self.now, "--verbose"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("20261125T030000Z is unusable"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest")) == "20261126T030000Z")
        // The diff was made against the older, valid run.
        let diff = try JSONParser.parse(
            [UInt8](FileManager.default.contents(atPath: output.url("20261126T030000Z/diff.json")) ?? Data()))
        #expect(diff["from"]?["path"]?.stringValue == "20261124T030000Z/snapshot.json")
    }

    @Test("a corrupt previous snapshot is skipped with a warning; the night's audit still runs")
    func corruptPrevious() async throws {
        let output = TemporaryFolder("ops")
        _ = try await Self.run(["run", "--demo", "--output", output.path, "--now", "2026-11-25T03:00:00Z"])
        let snapshot = output.url("20261125T030000Z/snapshot.json")
        chmod(snapshot, 0o640)
        try Data("{\"schema_version\": 99, \"keys\": []}".utf8).write(to: URL(fileURLWithPath: snapshot))
        let result = try await Self.run(["run", "--demo", "--output", output.path, "--now", Self.now])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("schema_version 99"))
        #expect(output.runFolders().count == 2)
    }

    @Test("--keep removes the oldest run folders, never latest's, never other folders")
    func retention() async throws {
        let output = TemporaryFolder("ops")
        try FileManager.default.createDirectory(atPath: output.url("my-notes"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(
            atPath: output.url("20200101T000000Z-old"), withIntermediateDirectories: false)
        for day in 20...24 {
            let result = try await Self.run(
                [
                    "run", "--demo", "--output", output.path, "--now", "2026-11-\(day)T03:00:00Z", "--format", "md",
                    "--keep", "2",
                ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(
            output.runFolders().filter { OutputDirectory.isRunFolderName($0) } == [
                "20261123T030000Z", "20261124T030000Z",
            ])
        #expect(FileManager.default.fileExists(atPath: output.url("my-notes")))
        #expect(FileManager.default.fileExists(atPath: output.url("20200101T000000Z-old")))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest")) == "20261124T030000Z")
    }

    @Test("verify accepts an untouched chain and rejects an older snapshot edited by one byte")
    func verifyChain() async throws {
        let output = TemporaryFolder("ops")
        for day in 24...26 {
            let result = try await Self.run(
                ["run", "--demo", "--output", output.path, "--now", "2026-11-\(day)T03:00:00Z", "--format", "md"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let intact = try await Self.run(["verify", output.url("latest")])
        #expect(intact.status == 0, "\(intact.stderr)")
        #expect(intact.stdout.contains("20261124T030000Z/snapshot.json"))

        // One byte of the oldest snapshot changed (a digit in its taken_at-independent key data).
        let oldest = output.url("20261124T030000Z/snapshot.json")
        var bytes = [UInt8](FileManager.default.contents(atPath: oldest) ?? Data())
        let index = bytes.lastIndex(of: UInt8(ascii: "1")) ?? 100
        bytes[index] = UInt8(ascii: "2")
        try Data(bytes).write(to: URL(fileURLWithPath: oldest))
        let broken = try await Self.run(["verify", output.url("latest")])
        #expect(broken.status == 65)
        #expect(broken.stderr.contains("20261124T030000Z/snapshot.json"))
        #expect(broken.stderr.contains("altered"))

        // A run checks the links it can: its previous run's snapshot against that run's SHA256SUMS, and the
        // predecessor that snapshot names. Editing the run before the previous one is caught as a finding.
        let middle = output.url("20261125T030000Z/snapshot.json")
        var middleBytes = [UInt8](FileManager.default.contents(atPath: middle) ?? Data())
        middleBytes[middleBytes.count - 3] = UInt8(ascii: " ")
        try Data(middleBytes).write(to: URL(fileURLWithPath: middle))
        let next = try await Self.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-11-27T03:00:00Z", "--format", "md"])
        #expect(next.status == 0)
        #expect(next.stderr.contains("broken evidence chain"))
        let findings = String(
            decoding: FileManager.default.contents(atPath: output.url("latest/findings.json")) ?? Data(), as: UTF8.self)
        #expect(findings.contains("\"broken-chain:snapshot\""))
        #expect(findings.contains("\"severity\":\"critical\""))
        let report = String(
            decoding: FileManager.default.contents(atPath: output.url("latest/report.md")) ?? Data(), as: UTF8.self)
        #expect(report.contains("Evidence chain broken"))
        // And editing the latest run's own snapshot is caught by the run after it, through SHA256SUMS.
        let latest = output.url("20261127T030000Z/snapshot.json")
        var latestBytes = [UInt8](FileManager.default.contents(atPath: latest) ?? Data())
        latestBytes[latestBytes.count - 3] = UInt8(ascii: " ")
        try Data(latestBytes).write(to: URL(fileURLWithPath: latest))
        let after = try await Self.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-11-28T03:00:00Z", "--format", "md"])
        #expect(after.status == 0)
        let afterFindings = String(
            decoding: FileManager.default.contents(atPath: output.url("latest/findings.json")) ?? Data(), as: UTF8.self)
        #expect(afterFindings.contains("20261127T030000Z/snapshot.json"))
    }

    @Test("verify reports a file added to or changed in a run folder")
    func verifySums() async throws {
        let output = TemporaryFolder("ops")
        _ = try await Self.run(["run", "--demo", "--output", output.path, "--now", Self.now, "--format", "md"])
        let folder = output.url("20261126T030000Z")
        #expect(try await Self.run(["verify", folder]).status == 0)
        let report = folder + "/report.md"
        try Data("tampered\n".utf8).write(to: URL(fileURLWithPath: report))
        let changed = try await Self.run(["verify", folder])
        #expect(changed.status == 65)
        #expect(changed.stderr.contains("report.md"))
    }

    @Test("--fail-on: exit 1 after every report is written; never: exit 0")
    func failOn() async throws {
        let output = TemporaryFolder("ops")
        // --quiet, as under cron: the one line that says why is still printed (cron mails only what is printed).
        let failing = try await Self.run([
            "run", "--demo", "--output", output.path, "--now", Self.now, "--fail-on", "high", "--quiet",
        ])
        #expect(failing.status == 1, "\(failing.stderr)")
        #expect(failing.stderr.split(separator: "\n").count == 1, "\(failing.stderr)")
        #expect(
            failing.stderr.contains("findings at or above --fail-on high; the reports are in")
                && failing.stderr.contains("20261126T030000Z"), "\(failing.stderr)")
        let folder = output.url("20261126T030000Z")
        for file in ["report.md", "report.html", "report.xlsx", "findings.json", "SHA256SUMS"] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/\(file)"), "\(file) missing")
        }
        let never = try await Self.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-11-26T04:00:00Z", "--fail-on", "never"])
        #expect(never.status == 0)
        let critical = try await Self.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-11-26T05:00:00Z", "--fail-on", "critical"])
        #expect(critical.status == 0, "the demo has no critical finding")
        let bad = try await Self.run(["run", "--demo", "--output", output.path, "--fail-on", "sometimes"])
        #expect(bad.status == 64)
    }
}
