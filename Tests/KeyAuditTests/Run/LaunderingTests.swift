import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun

extension OutputFolderDefences {
    /// Evidence cannot be laundered: `render` does not vouch for a tampered folder, a skipped run stays in the record,
    /// `verify` sees every run folder and every gap, and retention is told apart from deletion.
    @Suite("Evidence: no laundering")
    struct LaunderingTests {
        /// Changes one digit in the keys of a snapshot.json (the file stays valid JSON).
        static func tamper(_ path: String) throws {
            var bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
            let index = try #require(bytes.lastIndex(of: UInt8(ascii: "1")))
            bytes[index] = UInt8(ascii: "2")
            chmod(path, 0o640)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        static func json(_ path: String) throws -> JSONValue {
            try JSONParser.parse([UInt8](FileManager.default.contents(atPath: path) ?? Data()))
        }

        @Test("render refuses a folder that fails verification (65) and changes nothing in it")
        func renderRefuses() async throws {
            let output = TemporaryFolder("launder-render")
            #expect(try await Evidence.demo(output).status == 0)
            let run = output.url("20261126T030000Z")
            let tampers: [(String, (String) throws -> Void, String)] = [
                ("edited snapshot", { try Self.tamper($0 + "/snapshot.json") }, "snapshot.json"),
                (
                    "planted file",
                    { _ = FileManager.default.createFile(atPath: $0 + "/evidence.txt", contents: Data()) },
                    "evidence.txt"
                ),
                (
                    "removed findings", { try FileManager.default.removeItem(atPath: $0 + "/findings.json") },
                    "findings.json"
                ),
                (
                    "edited SHA256SUMS",
                    { path in
                        let sums = Evidence.text(path + "/SHA256SUMS").replacingOccurrences(
                            of: "  report.md", with: "  report.mdx")
                        try Data(sums.utf8).write(to: URL(fileURLWithPath: path + "/SHA256SUMS"))
                    }, "report.md"
                ),
            ]
            for (label, change, mention) in tampers {
                let copy = TemporaryFolder("launder-render-copy")
                let target = copy.url("20261126T030000Z")
                try FileManager.default.copyItem(atPath: run, toPath: target)
                try change(target)
                let before = try FileManager.default.contentsOfDirectory(atPath: target).sorted().map {
                    ($0, Evidence.text(target + "/" + $0))
                }
                let result = try await CLI.run(["render", target, "--format", "md"])
                Evidence.expectFailure(
                    result, copy, status: 65, mentions: ["fails verification", mention, "--force"],
                    runsBefore: ["20261126T030000Z"])
                let after = try FileManager.default.contentsOfDirectory(atPath: target).sorted().map {
                    ($0, Evidence.text(target + "/" + $0))
                }
                #expect(
                    before.map(\.0) == after.map(\.0) && before.map(\.1) == after.map(\.1), "\(label): folder changed")
                #expect(try await CLI.run(["verify", target]).status == 65, "\(label)")
            }
        }

        @Test(
            "render --force records the re-render; verify still fails the evidence it kept, and passes repaired reports"
        )
        func renderForceIsRecorded() async throws {
            let output = TemporaryFolder("launder-force")
            #expect(try await Evidence.demo(output, ["--format", "md,html"]).status == 0)
            let run = output.url("20261126T030000Z")
            let snapshotBefore = try Checksum.sha256Hex(fileAt: run + "/snapshot.json")
            try Self.tamper(run + "/snapshot.json")
            _ = FileManager.default.createFile(atPath: run + "/planted.txt", contents: Data("x\n".utf8))
            let forced = try await CLI.run(["render", run, "--format", "md", "--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            let record = try Self.json(run + "/rerenders.json")
            let entry = try #require(record["renders"]?.arrayValue?.first)
            #expect(entry["forced"]?.boolValue == true)
            #expect(entry["keyaudit_version"]?.stringValue == KeyAuditVersion.current)
            #expect(entry["verification_failure"]?.stringValue?.contains("snapshot.json") == true)
            let accepted = entry["accepted"]?.arrayValue ?? []
            #expect(
                accepted.contains {
                    $0["file"]?.stringValue == "snapshot.json" && $0["sha256_listed"]?.stringValue == snapshotBefore
                })
            #expect(
                accepted.contains {
                    $0["file"]?.stringValue == "planted.txt" && $0["sha256_listed"]?.stringValue == nil
                })
            #expect(entry["replaced"]?.arrayValue?.first?["file"]?.stringValue == "report.md")
            #expect(Evidence.text(run + "/SHA256SUMS").contains("  rerenders.json\n"))
            // SHA256SUMS now lists the edited snapshot, but the record says so: verify does not call it intact.
            let verify = try await CLI.run(["verify", run])
            #expect(verify.status == 65)
            #expect(verify.stderr.contains("--force") && verify.stderr.contains("snapshot.json"), "\(verify.stderr)")
            #expect(verify.stderr.contains("planted.txt"), "\(verify.stderr)")
            // Without --force, the folder is refused from now on.
            #expect(try await CLI.run(["render", run, "--format", "md"]).status == 65)

            // A damaged report, on the other hand, is what --force is for: repaired, recorded, and the folder verifies.
            let other = TemporaryFolder("launder-force-report")
            #expect(try await Evidence.demo(other, ["--format", "md,html"]).status == 0)
            let repaired = other.url("20261126T030000Z")
            try Data("damaged\n".utf8).write(to: URL(fileURLWithPath: repaired + "/report.html"))
            #expect(try await CLI.run(["render", repaired, "--format", "html"]).status == 65)
            #expect(try await CLI.run(["render", repaired, "--format", "html", "--force"]).status == 0)
            let ok = try await CLI.run(["verify", repaired])
            #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
            #expect(ok.stdout.contains("re-rendered") && ok.stdout.contains("report.html"))
            // A plain render of an intact folder is recorded too, one entry per render.
            #expect(try await CLI.run(["render", repaired, "--format", "md"]).status == 0)
            #expect(try Self.json(repaired + "/rerenders.json")["renders"]?.arrayValue?.count == 2)
            #expect(try await CLI.run(["verify", repaired]).status == 0)
        }

        @Test("a run skipped as unusable is named in the next snapshot, raises broken-chain and fails verify")
        func skippedRunIsRecorded() async throws {
            let corruptions: [(String, (TemporaryFolder) throws -> Void, String)] = [
                (
                    "garbage snapshot",
                    { output in
                        let file = output.url("20261125T030000Z/snapshot.json")
                        chmod(file, 0o640)
                        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: file))
                    }, "not valid JSON"
                ),
                (
                    "newer schema",
                    { output in
                        let file = output.url("20261125T030000Z/snapshot.json")
                        chmod(file, 0o640)
                        try Data("{\"schema_version\": 99, \"keys\": []}".utf8).write(to: URL(fileURLWithPath: file))
                    }, "schema_version 99"
                ),
                (
                    "replaced by a link",
                    { output in
                        try FileManager.default.removeItem(atPath: output.url("20261125T030000Z"))
                        try FileManager.default.createSymbolicLink(
                            atPath: output.url("20261125T030000Z"), withDestinationPath: output.url("20261124T030000Z"))
                    }, "symbolic link"
                ),
            ]
            for (label, corrupt, reason) in corruptions {
                let output = TemporaryFolder("launder-skip")
                for day in [24, 25] {
                    #expect(try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z").status == 0)
                }
                try corrupt(output)
                let next = try await Evidence.demo(output)
                #expect(next.status == 0, "\(label): \(next.stderr)")
                #expect(
                    next.stderr.contains("20261125T030000Z") && next.stderr.contains("skipped"),
                    "\(label): \(next.stderr)")
                let snapshot = try Self.json(output.url("20261126T030000Z/snapshot.json"))
                #expect(snapshot["previous"]?["path"]?.stringValue == "20261124T030000Z/snapshot.json", "\(label)")
                let skipped = try #require(snapshot["skipped"]?.arrayValue?.first, "\(label)")
                #expect(skipped["path"]?.stringValue == "20261125T030000Z/snapshot.json")
                #expect(skipped["reason"]?.stringValue?.contains(reason) == true, "\(label): \(skipped)")
                let findings = Evidence.text(output.url("20261126T030000Z/findings.json"))
                #expect(findings.contains("\"broken-chain:snapshot\""), "\(label)")
                #expect(findings.contains("20261125T030000Z/snapshot.json"), "\(label)")
                #expect(Evidence.text(output.url("20261126T030000Z/report.md")).contains("Evidence chain broken"))
                let verify = try await CLI.run(["verify", output.url("latest")])
                #expect(verify.status == 65, "\(label)")
                #expect(verify.stderr.contains("20261125T030000Z"), "\(label): \(verify.stderr)")
            }
        }

        @Test("verify sees every run folder: a deleted run, an unlinked copy and a missing tail are gaps")
        func verifyFindsGaps() async throws {
            let output = TemporaryFolder("launder-gaps")
            for day in 23...26 {
                #expect(try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z").status == 0)
            }
            let intact = try await CLI.run(["verify", output.url("latest")])
            #expect(intact.status == 0, "\(intact.stdout)\(intact.stderr)")
            #expect(intact.stdout.contains("4 run folders checked"))

            // A run deleted from the middle of the chain.
            let deleted = TemporaryFolder("launder-gaps-deleted")
            try FileManager.default.removeItem(atPath: deleted.path)
            try FileManager.default.copyItem(atPath: output.path, toPath: deleted.path)
            try FileManager.default.removeItem(atPath: deleted.url("20261124T030000Z"))
            let gap = try await CLI.run(["verify", deleted.url("latest")])
            Evidence.expectFailure(
                gap, deleted, status: 65, mentions: ["20261124T030000Z", "missing", "no run records removing it"],
                runsBefore: ["20261123T030000Z", "20261125T030000Z", "20261126T030000Z"])
            // Given an older run, verify still checks the whole folder.
            #expect(try await CLI.run(["verify", deleted.url("20261123T030000Z")]).status == 65)

            // A run folder copied in under another name: intact on its own, but no run follows it.
            let copied = TemporaryFolder("launder-gaps-copied")
            try FileManager.default.removeItem(atPath: copied.path)
            try FileManager.default.copyItem(atPath: output.path, toPath: copied.path)
            try FileManager.default.copyItem(
                atPath: copied.url("20261124T030000Z"), toPath: copied.url("20261124T120000Z"))
            let unlinked = try await CLI.run(["verify", copied.url("latest")])
            #expect(unlinked.status == 65)
            #expect(unlinked.stderr.contains("20261124T120000Z") && unlinked.stderr.contains("not in the chain"))

            // The oldest runs deleted: a gap, unless the folder is declared partial (a run sent for review).
            let sent = TemporaryFolder("launder-gaps-sent")
            try FileManager.default.copyItem(
                atPath: output.url("20261126T030000Z"), toPath: sent.url("20261126T030000Z"))
            let alone = try await CLI.run(["verify", sent.url("20261126T030000Z")])
            #expect(alone.status == 65)
            #expect(alone.stderr.contains("--partial"), "\(alone.stderr)")
            let partial = try await CLI.run(["verify", sent.url("20261126T030000Z"), "--partial"])
            #expect(partial.status == 0, "\(partial.stdout)\(partial.stderr)")
            #expect(partial.stdout.contains("20261125T030000Z") && partial.stdout.contains("--partial"))
        }

        @Test("--keep is recorded by the run that removed the folders, so verify tells retention from deletion")
        func retentionIsRecorded() async throws {
            let output = TemporaryFolder("launder-keep")
            for day in 20...24 {
                let result = try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z", ["--keep", "2"])
                #expect(result.status == 0, "\(result.stderr)")
            }
            #expect(output.runFolders() == ["20261123T030000Z", "20261124T030000Z"])
            let newest = try Self.json(output.url("20261124T030000Z/snapshot.json"))
            let removed = try #require(newest["removed_by_retention"]?.arrayValue)
            #expect(removed.map { $0["path"]?.stringValue } == ["20261122T030000Z/snapshot.json"])
            let previousRecord = try Self.json(output.url("20261123T030000Z/snapshot.json"))
            #expect(previousRecord["removed_by_retention"]?.arrayValue?.first?["sha256"]?.stringValue?.count == 64)
            let verify = try await CLI.run(["verify", output.url("latest")])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("removed by --keep"))

            // The same folder with a run deleted by hand instead of by --keep: a gap.
            let manual = TemporaryFolder("launder-keep-manual")
            for day in 22...24 {
                #expect(try await Evidence.demo(manual, now: "2026-11-\(day)T03:00:00Z").status == 0)
            }
            try FileManager.default.removeItem(atPath: manual.url("20261122T030000Z"))
            let gap = try await CLI.run(["verify", manual.url("latest")])
            #expect(gap.status == 65)
            #expect(gap.stderr.contains("no run records removing it"), "\(gap.stderr)")
        }
    }
}
