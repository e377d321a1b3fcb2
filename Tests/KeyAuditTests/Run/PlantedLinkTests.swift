import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditTestSupport

extension OutputFolderDefences {
    /// Links, hard links and odd files planted where keyaudit expects its own files, through the real binary: each is
    /// replaced or refused (73, naming the path), never followed, and nothing outside the output folder changes.
    @Suite("Evidence: planted links")
    struct PlantedLinkTests {
        @Test("a lock file planted as a link, a hard link, a FIFO or a folder: 73 naming it, the target untouched")
        func plantedLock() async throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            let account = CLIErrorTests.account(keys: 30)
            for plant in ["symlink", "hardlink", "fifo", "folder"] {
                let output = TemporaryFolder("planted-lock")
                let lock = output.url(".keyaudit.lock")
                switch plant {
                case "symlink": try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: victim)
                case "hardlink": #expect(link(victim, lock) == 0)
                case "fifo": #expect(mkfifo(lock, 0o600) == 0)
                default: try FileManager.default.createDirectory(atPath: lock, withIntermediateDirectories: false)
                }
                // A FIFO is opened without blocking: a hang would be caught by CLI.run's deadline.
                let result = try await StandInServer.with(account.handler) { server in
                    try await CLI.run(
                        ["run", "--base-url", server.baseURL, "--output", output.path, "--now", Evidence.now],
                        environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey]), timeout: 120
                    )
                }
                Evidence.expectFailure(
                    result, output, status: 73, mentions: [".keyaudit.lock"], secrets: [account.managementKey])
                Evidence.expectUntouched(victim)
                #expect(!FileManager.default.fileExists(atPath: output.url("latest")), "\(plant)")
            }
            let expected: [String: String] = [
                "symlink": "symbolic link", "hardlink": "hard link", "fifo": "not a regular file",
            ]
            for (plant, words) in expected {
                let output = TemporaryFolder("planted-lock")
                let lock = output.url(".keyaudit.lock")
                switch plant {
                case "symlink": try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: victim)
                case "hardlink": #expect(link(victim, lock) == 0)
                default: #expect(mkfifo(lock, 0o600) == 0)
                }
                let result = try await Evidence.demo(output)
                Evidence.expectFailure(result, output, status: 73, mentions: [".keyaudit.lock", words])
            }
            Evidence.expectUntouched(victim)
        }

        @Test(
            "staging folders and `latest` temporaries planted as links under this run's pid are removed, not followed")
        func plantedStaging() async throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            try FileManager.default.createDirectory(atPath: outside.url("keep"), withIntermediateDirectories: false)
            let kept = Evidence.victim(outside, "keep/file.txt")
            let output = TemporaryFolder("planted-staging")
            // A stale staging folder that is a link to a folder outside: removing it must not empty that folder.
            try FileManager.default.createSymbolicLink(
                atPath: output.url(".keyaudit-tmp-20200101T000000Z-1"), withDestinationPath: outside.url("keep"))
            let script = """
                ln -s '\(victim)' '\(output.path)/.keyaudit-tmp-20261126T030000Z-'$$ && \
                ln -s '\(victim)' '\(output.path)/.latest-'$$
                """
            let result = try await Evidence.shell(
                script, ["run", "--demo", "--output", output.path, "--now", Evidence.now, "--format", "md,xlsx"])
            #expect(result.status == 0, "\(result.stderr)")
            Evidence.expectUntouched(victim)
            Evidence.expectUntouched(kept)
            Evidence.expectNoLeftovers(output)
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest")) == "20261126T030000Z")
            #expect(FileManager.default.fileExists(atPath: output.url("20261126T030000Z/report.xlsx")))
            #expect(try await CLI.run(["verify", output.url("latest")]).status == 0)
        }

        @Test(
            "`latest` planted as a link out of the folder, or as a file: replaced by the new link, the target untouched"
        )
        func plantedLatest() async throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            for plant in ["outside-folder", "outside-file", "file", "dangling"] {
                let output = TemporaryFolder("planted-latest")
                let latest = output.url("latest")
                switch plant {
                case "outside-folder":
                    try FileManager.default.createSymbolicLink(atPath: latest, withDestinationPath: outside.path)
                case "outside-file":
                    try FileManager.default.createSymbolicLink(atPath: latest, withDestinationPath: victim)
                case "file": _ = FileManager.default.createFile(atPath: latest, contents: Data("planted\n".utf8))
                default: try FileManager.default.createSymbolicLink(atPath: latest, withDestinationPath: "../nowhere")
                }
                let result = try await Evidence.demo(output)
                #expect(result.status == 0, "\(plant): \(result.stderr)")
                #expect(
                    try FileManager.default.destinationOfSymbolicLink(atPath: latest) == "20261126T030000Z", "\(plant)")
                Evidence.expectUntouched(victim)
                Evidence.expectNoLeftovers(output)
            }
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: outside.path)) ?? []) == ["victim.txt"])
        }

        @Test("the metrics file and its temporary file planted as links: replaced, never followed")
        func plantedMetrics() async throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            let other = Evidence.victim(outside, "other.txt")
            let metricsFolder = TemporaryFolder("planted-metrics")
            let metrics = metricsFolder.url("keyaudit.prom")
            try FileManager.default.createSymbolicLink(atPath: metrics, withDestinationPath: other)
            let output = TemporaryFolder("planted-metrics-output")
            let result = try await Evidence.shell(
                "ln -s '\(victim)' '\(metrics).tmp.'$$",
                [
                    "run", "--demo", "--output", output.path, "--now", Evidence.now, "--format", "md", "--metrics-file",
                    metrics,
                ])
            #expect(result.status == 0, "\(result.stderr)")
            Evidence.expectUntouched(victim)
            Evidence.expectUntouched(other)
            #expect(!Evidence.isLink(metrics))
            #expect(Evidence.text(metrics).contains("keyaudit_last_run_success 1"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: metricsFolder.path)) == ["keyaudit.prom"])
        }

        @Test("--keep neither counts nor follows a link named like a run folder; verify reports it as planted")
        func plantedRunFolderLink() async throws {
            let outside = TemporaryFolder("planted-outside")
            try FileManager.default.createDirectory(
                atPath: outside.url("20200101T000000Z"), withIntermediateDirectories: false)
            let kept = Evidence.victim(outside, "20200101T000000Z/snapshot.json")
            let output = TemporaryFolder("planted-keep")
            try FileManager.default.createSymbolicLink(
                atPath: output.url("20200101T000000Z"), withDestinationPath: outside.url("20200101T000000Z"))
            for day in 24...26 {
                let result = try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z", ["--keep", "1"])
                #expect(result.status == 0, "\(result.stderr)")
            }
            Evidence.expectUntouched(kept)
            #expect(Evidence.isLink(output.url("20200101T000000Z")))
            #expect(
                output.runFolders().filter { OutputDirectory.isRunFolderName($0) && !Evidence.isLink(output.url($0)) }
                    == [
                        "20261126T030000Z"
                    ])
            let verify = try await CLI.run(["verify", output.url("latest")])
            #expect(verify.status == 65)
            #expect(
                verify.stderr.contains("20200101T000000Z") && verify.stderr.contains("symbolic link"),
                "\(verify.stderr)")
        }

        @Test(
            "render --force over reports and SHA256SUMS.tmp planted as links: the links are replaced, the targets untouched"
        )
        func plantedInRunFolder() async throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            let other = Evidence.victim(outside, "other.txt")
            let output = TemporaryFolder("planted-render")
            #expect(try await Evidence.demo(output, ["--format", "md,html"]).status == 0)
            let run = output.url("20261126T030000Z")
            try FileManager.default.removeItem(atPath: run + "/report.md")
            try FileManager.default.createSymbolicLink(atPath: run + "/report.md", withDestinationPath: victim)
            try FileManager.default.createSymbolicLink(atPath: run + "/SHA256SUMS.tmp", withDestinationPath: other)
            let sumsBefore = Evidence.text(run + "/SHA256SUMS")

            let refused = try await CLI.run(["render", run, "--format", "md"])
            Evidence.expectFailure(
                refused, output, status: 65, mentions: ["report.md"], runsBefore: ["20261126T030000Z"])
            #expect(Evidence.text(run + "/SHA256SUMS") == sumsBefore)
            #expect(Evidence.isLink(run + "/report.md"))

            let forced = try await CLI.run(["render", run, "--format", "md", "--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            Evidence.expectUntouched(victim)
            Evidence.expectUntouched(other)
            #expect(!Evidence.isLink(run + "/report.md"))
            #expect(!FileManager.default.fileExists(atPath: run + "/SHA256SUMS.tmp"))
            #expect(Evidence.text(run + "/report.md").contains("20261126T030000Z"))
            Evidence.expectNoLeftovers(output)
            // The report that was a link was rendered again, the temporary file removed: nothing was accepted as it
            // was, so the folder verifies, and verify shows the forced re-render.
            let verify = try await CLI.run(["verify", run])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("re-rendered") && verify.stdout.contains("--force"))
        }

        @Test("policy init and keygen never write through a link at the file's name, even a dangling one")
        func newFilesOutside() async throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            let base = TemporaryFolder("planted-new-files")
            try FileManager.default.createSymbolicLink(atPath: base.url("policy.yml"), withDestinationPath: victim)
            try FileManager.default.createSymbolicLink(
                atPath: base.url("dangling.yml"), withDestinationPath: outside.url("created-through-link.yml"))
            try FileManager.default.createSymbolicLink(
                atPath: base.url("key"), withDestinationPath: outside.url("key-through-link"))
            for arguments in [
                ["policy", "init", base.url("policy.yml")], ["policy", "init", base.url("dangling.yml")],
                ["keygen", base.url("key")],
            ] {
                let result = try await CLI.run(arguments)
                #expect(result.status == 64, "\(arguments): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("already exists"))
            }
            Evidence.expectUntouched(victim)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: outside.path)) ?? []) == ["victim.txt"])
            let fresh = try await CLI.run(["policy", "init", base.url("fresh.yml")])
            #expect(fresh.status == 0)
            #expect(Evidence.text(base.url("fresh.yml")).contains("version: 1"))
        }

        @Test("the folder API refuses what is in the way and never removes through a link")
        func folderPrimitives() throws {
            let outside = TemporaryFolder("planted-outside")
            let victim = Evidence.victim(outside)
            let base = TemporaryFolder("folder-api")
            let folder = try Folder(opening: base.path)
            try FileManager.default.createSymbolicLink(atPath: base.url("link"), withDestinationPath: victim)
            #expect(throws: KeyAuditError.self) { try folder.createFile("link") }
            #expect(throws: KeyAuditError.self) { try folder.createFolder("link") }
            #expect(folder.openFolder("link") == nil)
            #expect(folder.read("link", limit: 100) == nil)
            #expect(folder.sha256(of: "link") == nil)
            let file = try folder.replaceFile("link")
            try file.write(Array("mine\n".utf8))
            try file.close()
            #expect(Evidence.text(base.url("link")) == "mine\n")
            Evidence.expectUntouched(victim)
            try FileManager.default.createDirectory(atPath: base.url("dir"), withIntermediateDirectories: false)
            #expect(throws: KeyAuditError.self) { try folder.replaceFile("dir") }
            // A tree holding a link to a folder outside: removed, the outside folder kept whole.
            try FileManager.default.createDirectory(atPath: base.url("tree/sub"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: base.url("tree/sub/out"), withDestinationPath: outside.path)
            #expect(folder.removeTree("tree"))
            #expect(!FileManager.default.fileExists(atPath: base.url("tree")))
            Evidence.expectUntouched(victim)
        }
    }
}
