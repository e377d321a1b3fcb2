import Foundation
import Testing

/// Help texts a user reads: what each command takes, its defaults as written, and examples.
@Suite("Help texts")
struct HelpTests {
    static func help(_ command: [String]) async throws -> String {
        let result = try await CLI.run(command + ["--help"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test("run, diff and verify show EXAMPLES that fit an 80-column terminal", arguments: ["run", "diff", "verify"])
    func examples(command: String) async throws {
        let text = try await Self.help([command])
        let examples = try #require(text.range(of: "EXAMPLES\n"))
        let lines = text[examples.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).prefix {
            !$0.isEmpty
        }
        #expect(lines.count >= 2)
        for line in lines {
            #expect(line.hasPrefix("  keyaudit ") || line.hasPrefix("  cd "), "an example wrapped: \(line)")
        }
    }

    @Test("diff takes exactly OLD NEW or --last N, and says so")
    func diffUsage() async throws {
        let text = try await Self.help(["diff"])
        #expect(text.contains("USAGE: keyaudit diff [<old>] [<new>] [--last <n>]"))
        #expect(!text.contains("<old new> ..."))
        let one = try await CLI.run(["diff", "only-one"])
        #expect(one.status == 64)
        let three = try await CLI.run(["diff", "a", "b", "c"])
        #expect(three.status == 64)
        let both = try await CLI.run(["diff", "a", "--last", "2"])
        #expect(both.status == 64)
        let tooFew = try await CLI.run(["diff", "--last", "1"])
        #expect(tooFew.status == 64)
    }

    @Test("a mistyped command, and the output folder given where a run folder is wanted, say what to give instead")
    func wrongTargets() async throws {
        let typo = try await CLI.run(["frobnicate"])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("unknown command 'frobnicate'") && typo.stderr.contains("`keyaudit --help`"))
        let output = TemporaryFolder("wrong-target")
        #expect(try await CLI.run(["run", "--demo", "--output", output.path, "--quiet"]).status == 0)
        let verify = try await CLI.run(["verify", output.path])
        #expect(verify.status == 65)
        #expect(verify.stderr.contains("is an output folder") && verify.stderr.contains("/latest"), "\(verify.stderr)")
        let render = try await CLI.run(["render", output.path])
        #expect(render.status == 64)
        #expect(render.stderr.contains("is an output folder"), "\(render.stderr)")
        // A run folder copied alone: re-rendered without its previous run, and the reports say so.
        let alone = TemporaryFolder("copied-alone")
        let run = try #require(output.runFolders().first)
        try FileManager.default.copyItem(atPath: output.url(run), toPath: alone.url(run))
        let rendered = try await CLI.run(["render", alone.url(run), "--format", "md"])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stderr.contains("no Changes section"), "\(rendered.stderr)")
        let report = try String(contentsOfFile: alone.url("\(run)/report.md"), encoding: .utf8)
        #expect(report.contains("no Changes section"), "\(report)")
    }

    @Test("--last N compares the newest run with the one N-1 runs before it")
    func diffLast() async throws {
        let output = TemporaryFolder("diff-last")
        for day in ["20", "21", "22"] {
            let result = try await CLI.run([
                "run", "--demo", "--output", output.path, "--now", "2026-11-\(day)T03:00:00Z", "--quiet",
                "--format", "md",
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let runs = output.runFolders()
        let last3 = try await CLI.run(["diff", "--last", "3", "--output", output.path, "--format", "json"])
        #expect(last3.status == 0, "\(last3.stderr)")
        #expect(last3.stdout.contains("\"\(runs[0])/snapshot.json\"") || last3.stdout.contains(runs[0]))
        #expect(last3.stdout.contains(runs[2]))
        let last2 = try await CLI.run(["diff", "--last", "2", "--output", output.path, "--format", "json"])
        #expect(last2.stdout.contains(runs[1]) && !last2.stdout.contains(runs[0]))
        let tooMany = try await CLI.run(["diff", "--last", "4", "--output", output.path])
        #expect(tooMany.status == 64, "asking for more runs than there are is a usage error")
        #expect(tooMany.stderr.contains("--last 4 needs 4 run folders") && tooMany.stderr.contains("found 3"))
    }

    @Test("placeholders name what is expected, defaults show as written")
    func placeholders() async throws {
        let text = try await Self.help(["run"])
        #expect(text.contains("--timeout <seconds>") && text.contains("(default: 600)"))
        #expect(!text.contains("600.0"))
        // No placeholder repeats its option's name (`--format <format>`).
        let option = try Regex(#"--([a-z-]+) <([a-z|-]+)>"#)
        for command in [["run"], ["snapshot"], ["diff"], ["rules"], ["render"], ["verify"]] {
            let help = try await Self.help(command)
            for match in help.matches(of: option) {
                let name = String(match.output[1].substring ?? "")
                let placeholder = String(match.output[2].substring ?? "")
                #expect(name != placeholder, "\(command): --\(name) <\(placeholder)>")
            }
        }
    }
}
