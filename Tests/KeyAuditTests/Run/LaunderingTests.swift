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

        /// The previous run's findings.json (first_seen, resolved findings) is used only when its run's
        /// SHA256SUMS holds and lists it with the bytes read.
        enum PreviousFindings {
            static let made = "stale-key:made-up-by-hand"
            static let run = "20261125T030000Z"

            /// Every first_seen of the findings.json moved back to 2001, and a finding that never was.
            static func forge(_ output: TemporaryFolder) throws {
                let file = output.url("\(run)/findings.json")
                var text = Evidence.text(file)
                text = text.replacingOccurrences(
                    of: #""first_seen":"2026-11-2\dT\d\d:\d\d:\d\dZ""#,
                    with: "\"first_seen\":\"2001-01-01T00:00:00Z\"", options: .regularExpression)
                let line = try #require(text.range(of: "    {\"id\":")).lowerBound
                text.insert(contentsOf: "    {\"id\":\"\(made)\",\"first_seen\":\"2001-01-01T00:00:00Z\"},\n", at: line)
                try write(text, to: file)
            }

            /// ``forge(_:)``, and the forged file's sha256.
            static func forgedSum(_ output: TemporaryFolder) throws -> String {
                try forge(output)
                return try sha256(output.url("\(run)/findings.json"))
            }

            static func write(_ text: String, to file: String) throws {
                chmod(file, 0o640)
                try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            }

            /// SHA256SUMS rewritten line by line.
            static func editSums(_ output: TemporaryFolder, _ edit: (Substring) -> [String]) throws {
                let sums = output.url("\(run)/SHA256SUMS")
                let lines = Evidence.text(sums).split(separator: "\n").flatMap(edit)
                try write(lines.joined(separator: "\n") + "\n", to: sums)
            }

            /// The sha256 of a file, as `sha256sum` writes it.
            static func sha256(_ file: String) throws -> String {
                Checksum.sha256Hex([UInt8](try #require(FileManager.default.contents(atPath: file))))
            }

            /// Two demo runs, `corrupt`, a third: what the third made of the second's findings.json.
            static func third(
                _ label: String, _ extra: [String] = [], _ corrupt: (TemporaryFolder) throws -> Void
            ) async throws -> (stderr: String, findings: String, diff: String) {
                let output = TemporaryFolder("launder-findings")
                for day in [24, 25] {
                    let made = try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z", extra)
                    #expect(made.status == 0, "\(label): \(made.stderr)")
                }
                try corrupt(output)
                let next = try await Evidence.demo(output, extra)
                #expect(next.status == 0, "\(label): \(next.stderr)")
                return (
                    next.stderr, Evidence.text(output.url("20261126T030000Z/findings.json")),
                    Evidence.text(output.url("20261126T030000Z/diff.json"))
                )
            }
        }

        @Test(
            "a previous findings.json altered, removed, added, linked or badly listed is not used: first_seen from the snapshot, broken-chain"
        )
        func previousFindingsChecked() async throws {
            typealias P = PreviousFindings
            let run = P.run
            let cases: [(String, (TemporaryFolder) throws -> Void, String)] = [
                ("altered", P.forge, "does not match the run's SHA256SUMS"),
                (
                    "removed", { try FileManager.default.removeItem(atPath: $0.url("\(run)/findings.json")) },
                    "missing, a link or not a regular file"
                ),
                (
                    "not listed",
                    { output in try P.editSums(output) { $0.hasSuffix("  findings.json") ? [] : [String($0)] } },
                    "not listed in the run's SHA256SUMS"
                ),
                (
                    "listed twice, the forged file's sum second",
                    { output in
                        let forged = try P.forgedSum(output)
                        try P.editSums(output) { line in
                            line.hasSuffix("  findings.json")
                                ? [String(line), "\(forged)  findings.json"] : [String(line)]
                        }
                    }, "or there are several"
                ),
                (
                    "a link to a forged copy whose sum SHA256SUMS was given",
                    { output in
                        let forged = try P.forgedSum(output)
                        let copy = output.url("forged.json")
                        try FileManager.default.moveItem(atPath: output.url("\(run)/findings.json"), toPath: copy)
                        try FileManager.default.createSymbolicLink(
                            atPath: output.url("\(run)/findings.json"), withDestinationPath: copy)
                        try P.editSums(output) {
                            $0.hasSuffix("  findings.json") ? ["\(forged)  findings.json"] : [String($0)]
                        }
                    }, "a link or not a regular file"
                ),
                (
                    "a FIFO",
                    { output in
                        try FileManager.default.removeItem(atPath: output.url("\(run)/findings.json"))
                        #expect(mkfifo(output.url("\(run)/findings.json"), 0o600) == 0)
                    }, "a link or not a regular file"
                ),
                (
                    "SHA256SUMS removed, the forged file left",
                    { output in
                        try P.forge(output)
                        try FileManager.default.removeItem(atPath: output.url("\(run)/SHA256SUMS"))
                    }, "SHA256SUMS: missing or unreadable"
                ),
                (
                    "SHA256SUMS a link to sums of the forged file",
                    { output in
                        let forged = try P.forgedSum(output)
                        try P.editSums(output) {
                            $0.hasSuffix("  findings.json") ? ["\(forged)  findings.json"] : [String($0)]
                        }
                        let copy = output.url("sums")
                        try FileManager.default.moveItem(atPath: output.url("\(run)/SHA256SUMS"), toPath: copy)
                        try FileManager.default.createSymbolicLink(
                            atPath: output.url("\(run)/SHA256SUMS"), withDestinationPath: copy)
                    }, "SHA256SUMS: missing or unreadable"
                ),
                (
                    "SHA256SUMS over 1 MiB",
                    { output in
                        let forged = try P.forgedSum(output)
                        try P.editSums(output) { line in
                            line.hasSuffix("  findings.json")
                                ? ["\(forged)  findings.json"] + Array(repeating: "#", count: 600_000) : [String(line)]
                        }
                    }, "SHA256SUMS: missing or unreadable"
                ),
            ]
            for (label, corrupt, reason) in cases {
                let third = try await P.third(label, [], corrupt)
                #expect(third.stderr.contains("\(run)/"), "\(label): \(third.stderr)")
                #expect(third.stderr.contains(reason), "\(label): \(third.stderr)")
                #expect(third.findings.contains("\"broken-chain:snapshot\""), "\(label)")
                // Nothing read from the untrusted file: first_seen of what persists is the previous run's time,
                // never the forged date, and no made-up id is resolved.
                #expect(!third.findings.contains("2001-01-01"), "\(label)")
                #expect(third.findings.contains("\"first_seen\":\"2026-11-25T03:00:00Z\""), "\(label)")
                #expect(!third.diff.contains(P.made), "\(label)")
            }
        }

        @Test(
            "a previous findings.json listed in upper-case hex or with CRLF lines is used; an intact one raises nothing"
        )
        func previousFindingsTolerated() async throws {
            typealias P = PreviousFindings
            let cases: [(String, (TemporaryFolder) throws -> Void)] = [
                ("intact", { _ in }),
                (
                    "upper-case hex",
                    { output in try P.editSums(output) { [$0.prefix(64).uppercased() + $0.dropFirst(64)] } }
                ),
                ("CRLF", { output in try P.editSums(output) { [$0 + "\r"] } }),
            ]
            for (label, corrupt) in cases {
                let third = try await P.third(label, [], corrupt)
                #expect(!third.stderr.contains("findings.json"), "\(label): \(third.stderr)")
                #expect(!third.findings.contains("\"broken-chain:snapshot\""), "\(label)")
                // first_seen carried from the first run through the second's findings.json.
                #expect(third.findings.contains("\"first_seen\":\"2026-11-24T03:00:00Z\""), "\(label)")
            }
        }

        @Test("verify reads SHA256SUMS as run does: CRLF and upper-case hex hold; a name twice or with controls fails")
        func verifyReadsSumsAsRunDoes() async throws {
            typealias P = PreviousFindings
            let cases: [(String, Int32, String?, (Substring) -> [String])] = [
                ("CRLF", 0, nil, { [$0 + "\r"] }),
                ("upper-case hex", 0, nil, { [$0.prefix(64).uppercased() + $0.dropFirst(64)] }),
                ("twice", 65, "twice", { $0.hasSuffix("  findings.json") ? [String($0), String($0)] : [String($0)] }),
                (
                    "control characters", 65, "cannot list",
                    { $0.hasSuffix("  snapshot.json") ? [$0 + "\u{0}\u{1B}[2J\u{1B}[8m"] : [String($0)] }
                ),
            ]
            for (label, status, says, edit) in cases {
                let output = TemporaryFolder("verify-sums")
                for day in [24, 25] {
                    let made = try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z")
                    #expect(made.status == 0, "\(label): \(made.stderr)")
                }
                try P.editSums(output, edit)
                let verify = try await CLI.run(["verify", output.url("latest")])
                #expect(verify.status == status, "\(label): \(verify.stdout)\(verify.stderr)")
                if let says { #expect(verify.stdout.contains(says), "\(label): \(verify.stdout)") }
                #expect(!verify.stdout.contains("\u{1B}") && !verify.stdout.contains("\u{0}"), "\(label)")
            }
        }

        @Test("a signed run whose SHA256SUMS was rewritten to cover a forged findings.json: the signature decides")
        func previousFindingsUnderSignature() async throws {
            typealias P = PreviousFindings
            let keys = try TempDirectory()
            let (key, _) = try await SignedRunTests.keygen(keys)
            let third = try await P.third("signed", ["--signing-key", key]) { output in
                let forged = try P.forgedSum(output)
                try P.editSums(output) { $0.hasSuffix("  findings.json") ? ["\(forged)  findings.json"] : [String($0)] }
            }
            #expect(third.stderr.contains("signature does not match"), "\(third.stderr)")
            #expect(third.findings.contains("\"broken-chain:snapshot\""))
            #expect(!third.findings.contains("2001-01-01"))
            #expect(!third.diff.contains(P.made))
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
            #expect(unlinked.stderr.contains("20261124T120000Z"))
            #expect(unlinked.stdout.contains("20261124T120000Z is not in the chain"), "\(unlinked.stdout)")
            // Its snapshot was taken at 03:00: the name claims a run that never happened at 12:00.
            #expect(unlinked.stdout.contains("the run folder was renamed after the run"), "\(unlinked.stdout)")

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

        @Test("verify fails a run folder renamed after the run: moved in time, or a copy passed off as a later run")
        func renamedRunFolder() async throws {
            let output = TemporaryFolder("launder-rename")
            #expect(try await Evidence.demo(output, now: "2026-11-24T03:00:00Z").status == 0)
            #expect(try await Evidence.demo(output, now: "2026-11-25T03:00:00Z").status == 0)
            #expect(try await CLI.run(["verify", output.url("latest")]).status == 0)
            let cases: [(String, (String) throws -> String)] = [
                (
                    "newest moved later",
                    { path in
                        try FileManager.default.moveItem(
                            atPath: path + "/20261125T030000Z", toPath: path + "/20261129T030000Z")
                        return "20261129T030000Z"
                    }
                ),
                (
                    "oldest moved earlier",
                    { path in
                        try FileManager.default.moveItem(
                            atPath: path + "/20261124T030000Z", toPath: path + "/20261101T030000Z")
                        return "20261101T030000Z"
                    }
                ),
                (
                    "newest replayed as a later run",
                    { path in
                        try FileManager.default.copyItem(
                            atPath: path + "/20261125T030000Z", toPath: path + "/20261126T030000Z")
                        return "20261126T030000Z"
                    }
                ),
                (
                    "a second of the same run under a suffix of another second",
                    { path in
                        try FileManager.default.copyItem(
                            atPath: path + "/20261125T030000Z", toPath: path + "/20261125T030001Z-2")
                        return "20261125T030001Z-2"
                    }
                ),
            ]
            for (label, change) in cases {
                let copy = TemporaryFolder("launder-rename-copy")
                try FileManager.default.removeItem(atPath: copy.path)
                try FileManager.default.copyItem(atPath: output.path, toPath: copy.path)
                let renamed = try change(copy.path)
                let verify = try await CLI.run(["verify", copy.url(renamed)])
                #expect(verify.status == 65, "\(label): \(verify.stdout)")
                #expect(
                    verify.stdout.contains("\(renamed) holds a snapshot taken at") && verify.stdout.contains("renamed"),
                    "\(label): \(verify.stdout)")
                #expect(verify.stderr.split(separator: "\n").count == 1, "\(label): \(verify.stderr)")
            }
        }

        @Test("every report names the runs skipped as unusable and removed by --keep, under the coverage verdict")
        func evidenceChainInReports() async throws {
            let output = TemporaryFolder("launder-chain-note")
            for day in 21...23 {
                #expect(try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z").status == 0)
            }
            let corrupt = output.url("20261123T030000Z/snapshot.json")
            chmod(corrupt, 0o640)
            try Data("{ not json".utf8).write(to: URL(fileURLWithPath: corrupt))
            let next = try await Evidence.demo(output, ["--format", "md,html,xlsx", "--keep", "2"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(output.runFolders() == ["20261123T030000Z", "20261126T030000Z"])
            let run = output.url("20261126T030000Z")
            let markdown = Evidence.text(run + "/report.md")
            let html = Evidence.text(run + "/report.html")
            #expect(html.contains("not valid JSON"), "the reason, in full where the format has room")
            for (format, text) in [("md", markdown), ("html", html)] {
                #expect(text.contains("Evidence chain:"), "\(format)")
                #expect(text.contains("20261123T030000Z was skipped as unusable"), "\(format)")
                for removed in ["20261121T030000Z", "20261122T030000Z"] {
                    #expect(text.contains("\(removed) was removed by --keep"), "\(format): \(removed)")
                }
                // The note comes with the summary, before the findings.
                let note = try #require(text.range(of: "Evidence chain:"))
                let findings = try #require(text.range(of: format == "md" ? "## Findings" : "<section id=\"findings\""))
                #expect(note.lowerBound < findings.lowerBound, "\(format)")
            }
            let workbook = try XLSXReader.read(URL(fileURLWithPath: run + "/report.xlsx"))
            let notes = try workbook.sheet(named: "Summary").rows.flatMap { $0 }.filter { $0.text == "Evidence chain" }
            #expect(notes.count == 3, "\(notes)")
            let values = try workbook.sheet(named: "Summary").rows.flatMap { $0 }.map(\.text)
            #expect(values.contains { $0.hasPrefix("20261123T030000Z was skipped as unusable") })
            #expect(values.contains { $0.hasPrefix("20261121T030000Z was removed by --keep") })

            // A run without gaps says nothing of the kind.
            let clean = TemporaryFolder("launder-chain-clean")
            #expect(try await Evidence.demo(clean, ["--format", "md,html"]).status == 0)
            #expect(!Evidence.text(clean.url("20261126T030000Z/report.md")).contains("Evidence chain:"))
            #expect(!Evidence.text(clean.url("20261126T030000Z/report.html")).contains("Evidence chain:"))
        }

        @Test("render carries the run's own warnings (findings.json diagnostics) into the re-rendered reports")
        func renderKeepsDiagnostics() async throws {
            let output = TemporaryFolder("launder-render-diagnostics")
            for day in 24...25 {
                #expect(try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z").status == 0)
            }
            let corrupt = output.url("20261125T030000Z/snapshot.json")
            chmod(corrupt, 0o640)
            try Data("{ not json".utf8).write(to: URL(fileURLWithPath: corrupt))
            #expect(try await Evidence.demo(output, ["--format", "md,html"]).status == 0)
            let run = output.url("20261126T030000Z")
            let stored = try Self.json(run + "/findings.json")["diagnostics"]?.arrayValue ?? []
            let messages = stored.compactMap { $0["message"]?.stringValue }
            #expect(messages.contains { $0.contains("20261125T030000Z") }, "\(messages)")
            func warnings(_ file: String) -> [Substring] {
                Evidence.text(run + "/" + file).split(separator: "\n").filter {
                    $0.hasPrefix("> - ") || $0.hasPrefix("<li>") && $0.contains("class=\"note\">(")
                }
            }
            let before = (warnings("report.md"), warnings("report.html"))
            #expect(before.0.count == messages.count && before.1.count == messages.count, "\(before)")
            let rendered = try await CLI.run(["render", run, "--format", "md,html"])
            #expect(rendered.status == 0, "\(rendered.stderr)")
            #expect(warnings("report.md") == before.0)
            #expect(warnings("report.html") == before.1)
        }
    }
}
