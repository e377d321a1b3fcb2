import Foundation
import Testing

@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditReport
@testable import KeyAuditRun

/// Trends across runs: each run's summary.json, read back by the runs after it, drawn in every report.
@Suite("Trends across runs")
struct TrendTests {
    static func demo(_ output: TemporaryFolder, _ clock: String, _ extra: [String] = []) async throws -> CLIResult {
        try await CLI.run(["run", "--demo", "--output", output.path, "--now", clock, "--quiet"] + extra)
    }

    @Test("three demo runs a day apart: summary.json in each run's SHA256SUMS, charts in report.html and report.xlsx")
    func threeRunsDrawATrend() async throws {
        let output = TemporaryFolder("trend")
        for day in ["24", "25", "26"] {
            let result = try await Self.demo(output, "2026-11-\(day)T03:00:00Z")
            #expect(result.status == 0, "\(result.stderr)")
        }
        let runs = output.runFolders()
        #expect(runs.count == 3)
        for run in runs {
            let sums = try String(contentsOfFile: output.url("\(run)/SHA256SUMS"), encoding: .utf8)
            #expect(sums.contains("  summary.json\n"), "\(run)")
            let summary = try RunSummary.decode(
                Array(try Data(contentsOf: URL(fileURLWithPath: output.url("\(run)/summary.json")))))
            #expect(summary.run == run)
            #expect(summary.keys > 200 && summary.coverage.status == .complete)
        }
        // The first run compared with the demo's embedded previous snapshot: it has a "since" figure too.
        let first = try RunSummary.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: output.url("\(runs[0])/summary.json")))))
        #expect(first.new != nil && first.spendSincePrevious != nil)

        let latest = output.url(runs[2])
        let html = try String(contentsOfFile: latest + "/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 3, "three charts")
        #expect(html.contains("The last 3 runs in this output folder"))
        for run in runs { #expect(html.contains("<title>\(run): "), "the chart names run \(run)") }
        let markdown = try String(contentsOfFile: latest + "/report.md", encoding: .utf8)
        #expect(markdown.contains("| 2026-11-24 03:00 UTC |") && markdown.contains("(this run)"))
        let book = try XLSXReader.read(URL(fileURLWithPath: latest + "/report.xlsx"))
        #expect(book.parts.keys.filter { $0.hasPrefix("xl/charts/chart") }.count == 3)
        #expect(try book.sheet(named: "Trend").rows.filter { $0.first?.text.hasPrefix("2026") == true }.count == 3)

        // keyaudit render draws the same trend again from the runs before it.
        func trend(_ html: String) -> Substring? {
            guard let start = html.range(of: "<section id=\"trend\">"),
                let end = html[start.upperBound...].range(of: "</section>")
            else { return nil }
            return html[start.lowerBound..<end.upperBound]
        }
        let render = try await CLI.run(["render", latest, "--format", "html"])
        #expect(render.status == 0, "\(render.stderr)")
        let rendered = try String(contentsOfFile: latest + "/report.html", encoding: .utf8)
        #expect(trend(rendered) != nil && trend(rendered) == trend(html))
    }

    @Test("a first run says there is no trend yet")
    func firstRunHasNoTrend() async throws {
        let output = TemporaryFolder("trend-first")
        // Not the demo (which compares with an embedded previous run): a file of keys.
        let keys = output.url("keys.json")
        try Data(
            #"[{"hash":"\#(String(repeating: "a", count: 64))","name":"k","disabled":false,"limit":5,"limit_reset":"daily","created_at":"2026-11-01T00:00:00Z"}]"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: keys))
        let result = try await CLI.run([
            "run", "--from-snapshot", keys, "--output", output.url("out"), "--now", "2026-11-26T03:00:00Z", "--quiet",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let run = output.url("out/latest")
        #expect(try String(contentsOfFile: run + "/report.md", encoding: .utf8).contains("No trend yet"))
        #expect(try String(contentsOfFile: run + "/report.html", encoding: .utf8).contains("No trend yet"))
        let summary = try RunSummary.decode(Array(try Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))))
        #expect(summary.new == nil && summary.resolved == nil && summary.spendSincePrevious == nil)
        #expect(summary.coverage.status == .file)
    }

    /// An output folder with `count` demo-like run folders holding the given summary.json bytes (nil: none).
    static func runFolders(_ output: TemporaryFolder, _ files: [(String, [UInt8]?)]) throws {
        for (name, bytes) in files {
            let folder = output.url(name)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var sums = ""
            if let bytes {
                try Data(bytes).write(to: URL(fileURLWithPath: folder + "/summary.json"))
                sums = "\(Checksum.sha256Hex(bytes))  summary.json\n"
            }
            try Data(sums.utf8).write(to: URL(fileURLWithPath: folder + "/SHA256SUMS"))
        }
    }

    static func summary(_ run: String, findings: Int = 3) -> RunSummary {
        RunSummary(
            run: run, takenAt: OutputDirectoryTimestamps.date(run), keys: 10, enabled: 9, disabled: 1,
            findings: findings, bySeverity: [.high: findings, .critical: 0, .medium: 0, .low: 0, .info: 0], new: 1,
            resolved: 0, suppressed: 0, totalSpend: 12.5, spendSincePrevious: 1.25,
            coverage: CoverageVerdict(status: .complete, sentence: "complete: 1 workspace, 1 page, listing consistent"))
    }

    @Test("the history skips runs without a summary silently, and unreadable, altered or foreign ones with a warning")
    func historyReader() throws {
        let output = TemporaryFolder("history")
        let good = Self.summary("20261120T030000Z").encoded()
        var altered = Self.summary("20261121T030000Z").encoded()
        try Self.runFolders(
            output,
            [
                ("20261119T030000Z", nil),
                ("20261120T030000Z", good),
                ("20261121T030000Z", altered),
                ("20261122T030000Z", Array("{\"schema_version\": 1e300}".utf8)),
                ("20261123T030000Z", Self.summary("20261101T030000Z").encoded()),
                ("20261124T030000Z", Array("not json".utf8)),
                ("20261125T030000Z", Self.summary("20261125T030000Z", findings: 7).encoded()),
                ("20261127T030000Z", Self.summary("20261127T030000Z").encoded()),
            ])
        // A link where summary.json should be is not followed, whatever it points to.
        try FileManager.default.createDirectory(
            atPath: output.url("20261118T030000Z"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: output.url("20261118T030000Z/summary.json"),
            withDestinationPath: output.url("20261120T030000Z/summary.json"))
        // Altered after its SHA256SUMS was written.
        altered[altered.count - 3] = UInt8(ascii: "9")
        try Data(altered).write(to: URL(fileURLWithPath: output.url("20261121T030000Z/summary.json")))
        let raised = Diagnostics()
        let history = RunHistoryReader.read(
            try OutputDirectory.open(output.path), before: "20261126T030000Z", diagnostics: raised)
        #expect(
            history.runs.map(\.run) == ["20261120T030000Z", "20261125T030000Z"], "oldest first, later runs left out")
        #expect(history.runs.last?.findings == 7)
        let messages = raised.all.map(\.message)
        #expect(messages.count == 5, "\(messages)")
        #expect(messages.contains { $0.contains("20261118T030000Z") && $0.contains("a link") })
        #expect(messages.allSatisfy { $0.hasSuffix("it is left out of the trend") && $0.hasPrefix("run 202611") })
        #expect(messages.contains { $0.contains("20261121T030000Z") && $0.contains("altered") })
        #expect(messages.contains { $0.contains("20261122T030000Z") && $0.contains("schema_version") })
        #expect(messages.contains { $0.contains("20261123T030000Z") && $0.contains("names another run") })
        #expect(messages.contains { $0.contains("20261124T030000Z") && $0.contains("not valid JSON") })
    }

    @Test("the history reads at most 29 runs before this one: 30 points with it")
    func historyIsBounded() throws {
        let output = TemporaryFolder("history-bounded")
        let names = (1...40).map { String(format: "202610%02dT030000Z", min($0, 31)) + ($0 > 31 ? "-\($0)" : "") }
        try Self.runFolders(output, names.map { ($0, Self.summary($0).encoded()) })
        let history = RunHistoryReader.read(
            try OutputDirectory.open(output.path), before: "20261126T030000Z", diagnostics: nil)
        #expect(history.runs.count == RunHistory.limit - 1)
        #expect(history.runs.last?.run == names.last)
    }

    @Test("summary.json round-trips; anything else is refused, never half-read")
    func summaryDecoding() throws {
        let summary = Self.summary("20261126T030000Z")
        #expect(try RunSummary.decode(summary.encoded()) == summary)
        let valid = String(decoding: summary.encoded(), as: UTF8.self)
        for broken in [
            valid.replacingOccurrences(of: "\"keys\": 10", with: "\"keys\": -1"),
            valid.replacingOccurrences(of: "\"keys\": 10", with: "\"keys\": 1e300"),
            valid.replacingOccurrences(of: "\"schema_version\": 1", with: "\"schema_version\": 2"),
            valid.replacingOccurrences(of: "\"high\": 3", with: "\"high\": \"3\""),
            valid.replacingOccurrences(of: "\"total\": 12.5", with: "\"total\": 1e400"),
            valid.replacingOccurrences(of: "2026-11-26T03:00:00Z", with: "yesterday"),
            valid.replacingOccurrences(of: "\"complete\"", with: "\"fine\""), "[]", "",
        ] {
            #expect(throws: RunSummary.Unreadable.self) { try RunSummary.decode(Array(broken.utf8)) }
        }
        // Random damage never crashes the reader.
        var generator = SystemRandomNumberGenerator()
        let bytes = summary.encoded()
        for _ in 0..<2_000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(
                    in: 0...255, using: &generator)
            }
            _ = try? RunSummary.decode(damaged)
        }
    }
}

/// Test helper: the clock a run folder's name stands for.
enum OutputDirectoryTimestamps {
    static func date(_ name: String) -> Date {
        let stamp = String(name.prefix(16))
        let iso =
            "\(stamp.prefix(4))-\(stamp.dropFirst(4).prefix(2))-\(stamp.dropFirst(6).prefix(2))T\(stamp.dropFirst(9).prefix(2)):\(stamp.dropFirst(11).prefix(2)):\(stamp.dropFirst(13).prefix(2))Z"
        return Timestamp.date(iso) ?? Date(timeIntervalSince1970: 0)
    }
}
