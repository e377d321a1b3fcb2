import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditTestSupport

extension OutputFolderDefences {
    /// What can fail a run fails before its folder is committed; after the commit nothing turns it into a failure.
    @Suite("Evidence: nothing fails after the commit")
    struct CommitTests {
        @Test("`latest` is a folder: 73 before the commit, no run folder, `latest` and earlier runs untouched")
        func latestIsAFolder() async throws {
            let account = CLIErrorTests.account(keys: 40)
            for formats in ["md", "md,html,xlsx"] {
                let output = TemporaryFolder("commit-latest")
                #expect(try await Evidence.demo(output, now: "2026-11-25T03:00:00Z").status == 0)
                let earlier = Evidence.text(output.url("20261125T030000Z/SHA256SUMS"))
                try FileManager.default.removeItem(atPath: output.url("latest"))
                try FileManager.default.createDirectory(
                    atPath: output.url("latest"), withIntermediateDirectories: false)
                _ = FileManager.default.createFile(
                    atPath: output.url("latest/notes.txt"), contents: Data("mine\n".utf8))
                let result = try await StandInServer.with(account.handler) { server in
                    try await CLI.run(
                        [
                            "run", "--base-url", server.baseURL, "--output", output.path, "--now", Evidence.now,
                            "--format", formats, "--keep", "1",
                        ],
                        environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey]), timeout: 60)
                }
                Evidence.expectFailure(
                    result, output, status: 73, mentions: ["latest", "folder", "nothing was committed"],
                    runsBefore: ["20261125T030000Z"], secrets: [account.managementKey])
                #expect(Evidence.text(output.url("latest/notes.txt")) == "mine\n")
                // --keep was decided but not carried out: the earlier run is still there, unchanged.
                #expect(Evidence.text(output.url("20261125T030000Z/SHA256SUMS")) == earlier)
            }
        }

        @Test("--metrics-file that cannot be written: 73 at once, before anything is committed")
        func metricsUnwritable() async throws {
            let base = TemporaryFolder("commit-metrics")
            try FileManager.default.createDirectory(atPath: base.url("a-folder"), withIntermediateDirectories: false)
            let cases: [(String, Int32, [String])] = [
                (base.url("missing/keyaudit.prom"), 73, ["--metrics-file", "missing/keyaudit.prom"]),
                (base.url("a-folder"), 73, ["--metrics-file", "a-folder", "is a folder"]),
                (base.url("a-folder") + "/", 64, ["--metrics-file", "names a folder"]),
            ]
            for (metrics, status, mentions) in cases {
                let output = TemporaryFolder("commit-metrics-output")
                let result = try await Evidence.demo(output, ["--metrics-file", metrics, "--format", "md,xlsx"])
                Evidence.expectFailure(result, output, status: status, mentions: mentions)
                #expect(!FileManager.default.fileExists(atPath: output.url("latest")))
                // Refused before the run took the lock: nothing was listed, written or committed.
                #expect(!FileManager.default.fileExists(atPath: output.url(".keyaudit.lock")))
            }
            #expect(!FileManager.default.fileExists(atPath: base.url("missing")))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: base.url("a-folder"))) ?? ["?"]).isEmpty)
        }

        @Test("after the commit, a metrics file or `latest` that cannot be replaced is a warning, not a failure")
        func afterCommitIsAWarning() throws {
            let base = TemporaryFolder("commit-after")
            let metrics = try PendingMetrics(path: base.url("keyaudit.prom"))
            // Someone puts a folder where the metrics file goes after the run started: the rename fails, the run not.
            try FileManager.default.createDirectory(
                atPath: base.url("keyaudit.prom"), withIntermediateDirectories: false)
            let warning = metrics.finish("keyaudit_last_run_success 1\n")
            #expect(warning?.contains("--metrics-file") == true, "\(warning ?? "nil")")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []) == ["keyaudit.prom"])
            #expect(metrics.finish("again\n") == nil)

            let output = try OutputDirectory.prepare(base.url("out"))
            try FileManager.default.createDirectory(
                atPath: base.url("out/20261126T030000Z"), withIntermediateDirectories: false)
            let latest = try output.prepareLatest("20261126T030000Z")
            try FileManager.default.createDirectory(atPath: base.url("out/latest"), withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: base.url("out/latest/file"), contents: Data())
            let latestWarning = latest.commit()
            #expect(latestWarning?.contains("committed") == true, "\(latestWarning ?? "nil")")
            #expect(
                !((try? FileManager.default.contentsOfDirectory(atPath: base.url("out"))) ?? []).contains {
                    $0.hasPrefix(".latest-")
                })
        }

        @Test("a successful run with --metrics-file leaves only the metrics file, on success and on a failed run")
        func metricsTemporaryRemoved() async throws {
            let base = TemporaryFolder("commit-metrics-ok")
            let output = TemporaryFolder("commit-metrics-ok-output")
            let metrics = base.url("keyaudit.prom")
            #expect(try await Evidence.demo(output, ["--metrics-file", metrics]).status == 0)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []) == ["keyaudit.prom"])
            // A run that fails after the metrics file was prepared writes the failure into it.
            try FileManager.default.removeItem(atPath: output.url("latest"))
            try FileManager.default.createDirectory(atPath: output.url("latest"), withIntermediateDirectories: false)
            let failed = try await Evidence.demo(output, now: "2026-11-27T03:00:00Z", ["--metrics-file", metrics])
            #expect(failed.status == 73)
            #expect(Evidence.text(metrics).contains("keyaudit_last_run_success 0"))
            #expect(Evidence.text(metrics).contains("keyaudit_last_run_exit_code 73"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []) == ["keyaudit.prom"])
        }
    }
}
