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

/// A strict reader of the Prometheus text exposition format (what node_exporter's textfile collector parses).
enum PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    enum ParseError: Error, CustomStringConvertible {
        case line(Int, String)
        var description: String {
            switch self {
            case .line(let number, let text): return "line \(number): \(text)"
            }
        }
    }

    static func parse(_ text: String) throws -> (types: [String: String], samples: [Sample]) {
        var types: [String: String] = [:]
        var helped = Set<String>()
        var samples: [Sample] = []
        guard text.hasSuffix("\n") else { throw ParseError.line(0, "the file must end with a newline") }
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = offset + 1
            if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard parts.count == 2, isName(parts[0]) else { throw ParseError.line(number, "bad HELP") }
                guard helped.insert(String(parts[0])).inserted else { throw ParseError.line(number, "second HELP") }
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, isName(parts[0]),
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1]))
                else { throw ParseError.line(number, "bad TYPE") }
                guard types[String(parts[0])] == nil else { throw ParseError.line(number, "second TYPE") }
                guard !samples.contains(where: { $0.name == parts[0] }) else {
                    throw ParseError.line(number, "TYPE after samples")
                }
                types[String(parts[0])] = String(parts[1])
                continue
            }
            guard !line.hasPrefix("#"), !line.isEmpty else { throw ParseError.line(number, "unexpected line") }
            samples.append(try sample(String(line), number))
        }
        for sample in samples where types[sample.name] == nil {
            throw ParseError.line(0, "\(sample.name) has no TYPE")
        }
        return (types, samples)
    }

    static func isName<S: StringProtocol>(_ text: S) -> Bool {
        guard let first = text.unicodeScalars.first,
            first == "_" || first == ":" || CharacterSet.letters.contains(first)
        else { return false }
        return text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0 == "_" || $0 == ":" || CharacterSet.alphanumerics.contains($0))
        }
    }

    static func sample(_ line: String, _ number: Int) throws -> Sample {
        var scalars = Array(line.unicodeScalars)
        var index = 0
        var name = ""
        while index < scalars.count, scalars[index] != "{", scalars[index] != " " {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard isName(name) else { throw ParseError.line(number, "bad metric name \(name)") }
        var labels: [String: String] = [:]
        if index < scalars.count, scalars[index] == "{" {
            index += 1
            while index < scalars.count, scalars[index] != "}" {
                var label = ""
                while index < scalars.count, scalars[index] != "=" {
                    label.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard isName(label), index + 1 < scalars.count, scalars[index + 1] == "\"" else {
                    throw ParseError.line(number, "bad label")
                }
                index += 2
                var value = ""
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\" {
                        index += 1
                        guard index < scalars.count else { throw ParseError.line(number, "bad escape") }
                        switch scalars[index] {
                        case "n": value += "\n"
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        default: throw ParseError.line(number, "bad escape")
                        }
                    } else {
                        value.unicodeScalars.append(scalars[index])
                    }
                    index += 1
                }
                guard index < scalars.count else { throw ParseError.line(number, "unterminated label value") }
                index += 1
                labels[label] = value
                if index < scalars.count, scalars[index] == "," { index += 1 }
            }
            guard index < scalars.count else { throw ParseError.line(number, "unterminated labels") }
            index += 1
        }
        guard index < scalars.count, scalars[index] == " " else { throw ParseError.line(number, "no value") }
        scalars.removeFirst(index + 1)
        let rest = String(String.UnicodeScalarView(scalars)).split(separator: " ")
        guard rest.count == 1 || rest.count == 2, let value = Double(rest[0]) else {
            throw ParseError.line(number, "bad value")
        }
        return Sample(name: name, labels: labels, value: value)
    }
}

@Suite("Metrics file")
struct MetricsTests {
    @Test("the parser itself rejects what node_exporter would")
    func parserRejects() {
        #expect(throws: (any Error).self) { try PrometheusText.parse("metric 1\n") }  // no TYPE
        #expect(throws: (any Error).self) { try PrometheusText.parse("# TYPE m gauge\nm{a=\"x} 1\n") }
        #expect(throws: (any Error).self) { try PrometheusText.parse("# TYPE m gauge\nm one\n") }
        #expect(throws: (any Error).self) { try PrometheusText.parse("# TYPE m gauge\nm 1") }
        #expect(throws: Never.self) { try PrometheusText.parse("# HELP m h\n# TYPE m gauge\nm{a=\"x\\\"y\"} 1\n") }
    }

    @Test("a successful run writes every metric, parseable, with the run's numbers")
    func success() async throws {
        let output = TemporaryFolder("metrics")
        let metrics = output.url("keyaudit.prom")
        let result = try await CLI.run(
            [
                "run", "--demo", "--output", output.path, "--now", "2026-11-26T03:00:00Z", "--format", "md",
                "--metrics-file", metrics,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: FileManager.default.contents(atPath: metrics) ?? Data(), as: UTF8.self)
        let (types, samples) = try PrometheusText.parse(text)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(value("keyaudit_last_run_success") == 1)
        #expect((value("keyaudit_last_run_timestamp_seconds") ?? 0) > 1_700_000_000)
        #expect(value("keyaudit_run_duration_seconds") != nil)
        // The child's own peak: more than the binary's code, far less than the test process around it.
        let peak = try #require(value("keyaudit_peak_resident_bytes"))
        #expect(peak > 4_000_000 && peak < 1_000_000_000, "\(peak)")
        let (current, _) = DemoAccount.snapshots(now: Timestamp.date("2026-11-26T03:00:00Z")!)
        #expect(value("keyaudit_keys", ["state": "enabled"]) == Double(current.enabledCount))
        #expect(value("keyaudit_keys", ["state": "disabled"]) == Double(current.disabledCount))
        #expect(value("keyaudit_findings", ["rule": "no-limit", "severity": "high"]) ?? 0 > 0)
        #expect(value("keyaudit_suppressed_findings") ?? 0 > 0)
        #expect(value("keyaudit_api_requests_total") != nil)
        #expect(value("keyaudit_api_retries_total") != nil)
        #expect(types["keyaudit_api_requests_total"] == "counter")
        #expect(types["keyaudit_keys"] == "gauge")
        // No temporary file is left beside it.
        #expect(output.allFiles().filter { $0.hasPrefix("keyaudit.prom") } == ["keyaudit.prom"])
    }

    @Test("a failed run writes success 0, atomically")
    func failure() async throws {
        let output = TemporaryFolder("metrics")
        let metrics = output.url("keyaudit.prom")
        let result = try await CLI.run(
            ["run", "--output", output.path, "--metrics-file", metrics], environment: CLI.environment())
        #expect(result.status == 77)
        let (_, samples) = try PrometheusText.parse(
            String(decoding: FileManager.default.contents(atPath: metrics) ?? Data(), as: UTF8.self))
        #expect(samples.first { $0.name == "keyaudit_last_run_success" }?.value == 0)
        #expect(samples.first { $0.name == "keyaudit_last_run_exit_code" }?.value == 77)
    }
}
