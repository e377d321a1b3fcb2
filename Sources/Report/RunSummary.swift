import Foundation
import KeyAuditAPI
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// One run's headline numbers: the Summary every report opens with, and the `summary.json` each run folder
/// holds (listed in SHA256SUMS) so that later runs can draw a trend from 30 small files instead of 30 snapshots.
package struct RunSummary: Sendable, Equatable {
    package static let fileName = "summary.json"
    package static let schemaVersion = 1
    /// A summary.json is a few hundred bytes; anything larger is not one keyaudit wrote.
    package static let sizeLimit = 64 * 1024

    /// The run folder's name, e.g. `20261126T030000Z`.
    package var run: String
    package var takenAt: Date
    package var keys: Int
    package var enabled: Int
    package var disabled: Int
    /// Unsuppressed findings.
    package var findings: Int
    /// Unsuppressed findings per severity; every severity present.
    package var bySeverity: [Severity: Int]
    /// Unsuppressed findings the previous run did not have; nil without a previous run.
    package var new: Int?
    /// Findings of the previous run no longer found; nil without a previous run.
    package var resolved: Int?
    package var suppressed: Int
    /// Lifetime usage + BYOK usage of every key, USD.
    package var totalSpend: Double
    /// Spend since the previous run, USD; nil without a previous run.
    package var spendSincePrevious: Double?
    package var coverage: CoverageVerdict

    package init(
        run: String, takenAt: Date, keys: Int, enabled: Int, disabled: Int, findings: Int,
        bySeverity: [Severity: Int], new: Int?, resolved: Int?, suppressed: Int, totalSpend: Double,
        spendSincePrevious: Double?, coverage: CoverageVerdict
    ) {
        self.run = run
        self.takenAt = takenAt
        self.keys = keys
        self.enabled = enabled
        self.disabled = disabled
        self.findings = findings
        self.bySeverity = bySeverity
        self.new = new
        self.resolved = resolved
        self.suppressed = suppressed
        self.totalSpend = totalSpend
        self.spendSincePrevious = spendSincePrevious
        self.coverage = coverage
    }

    /// The numbers of the run `context` describes (one pass over the findings, three over the keys).
    package init(_ context: ReportContext) {
        var bySeverity: [Severity: Int] = [:]
        for severity in Severity.allCases { bySeverity[severity] = 0 }
        var counts = [Int](repeating: 0, count: Severity.allCases.count)
        var suppressed = 0
        var new = 0
        for finding in context.audit.findings {
            if finding.suppressed {
                suppressed += 1
                continue
            }
            counts[Severity.allCases.firstIndex(of: finding.severity) ?? 0] += 1
            if finding.status == .new { new += 1 }
        }
        for (index, severity) in Severity.allCases.enumerated() { bySeverity[severity] = counts[index] }
        let snapshot = context.snapshot
        let hasPrevious = context.diff != nil
        self.init(
            run: context.runName, takenAt: snapshot.takenAt ?? context.generatedAt, keys: snapshot.keys.count,
            enabled: snapshot.enabledCount, disabled: snapshot.disabledCount,
            findings: context.audit.findings.count - suppressed, bySeverity: bySeverity, new: hasPrevious ? new : nil,
            resolved: context.diff?.findings.resolved.count, suppressed: suppressed,
            totalSpend: snapshot.totalSpend, spendSincePrevious: context.diff?.spend.total,
            coverage: CoverageVerdict(snapshot))
    }

    // MARK: - summary.json

    package var json: JSONValue {
        func optional(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }
        return .object(
            JSONObject([
                ("schema_version", .int(Self.schemaVersion)), ("run", .string(run)),
                ("taken_at", .string(Timestamp.format(takenAt))), ("keys", .int(keys)), ("enabled", .int(enabled)),
                ("disabled", .int(disabled)),
                (
                    "findings",
                    .object(
                        JSONObject(
                            [("total", .int(findings))]
                                + Severity.descending.map { ($0.rawValue, .int(bySeverity[$0] ?? 0)) }))
                ),
                ("new", optional(new)), ("resolved", optional(resolved)), ("suppressed", .int(suppressed)),
                (
                    "spend",
                    .object(
                        JSONObject([
                            ("total", .double(totalSpend)),
                            ("since_previous", spendSincePrevious.map(JSONValue.double) ?? .null),
                        ]))
                ),
                (
                    "coverage",
                    .object(
                        JSONObject([
                            ("status", .string(coverage.status.rawValue)), ("verdict", .string(coverage.sentence)),
                        ]))
                ),
            ]))
    }

    package func encoded() -> [UInt8] {
        var bytes = JSONWriter.bytes(json, style: .pretty(indent: 2, level: 0))
        bytes.append(0x0A)
        return bytes
    }

    /// Why a summary.json was refused.
    package struct Unreadable: Error, Sendable {
        package var reason: String
    }

    /// Reads a summary.json; anything that is not exactly what ``encoded()`` writes (a newer schema included)
    /// is refused, never half-read: a trend must not be drawn from a guess.
    package static func decode(_ bytes: [UInt8]) throws(Unreadable) -> RunSummary {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw Unreadable(reason: "not valid JSON")
        }
        guard let version = document["schema_version"]?.numberValue?.int else {
            throw Unreadable(reason: "no schema_version")
        }
        guard version == schemaVersion else {
            throw Unreadable(
                reason: "schema_version \(Escaping.oneLine(String(version), limit: 20)) is not \(schemaVersion)")
        }
        func count(_ value: JSONValue?, _ name: String) throws(Unreadable) -> Int {
            guard let number = value?.numberValue?.int, (0...1_000_000_000).contains(number) else {
                throw Unreadable(reason: "\(name) is not a count")
            }
            return number
        }
        func optionalCount(_ value: JSONValue?, _ name: String) throws(Unreadable) -> Int? {
            if value?.isNull ?? true { return nil }
            return try count(value, name)
        }
        func money(_ value: JSONValue?, _ name: String) throws(Unreadable) -> Double? {
            if value?.isNull ?? true { return nil }
            guard let number = value?.doubleValue, number.isFinite, abs(number) < 1e15 else {
                throw Unreadable(reason: "\(name) is not an amount")
            }
            return number
        }
        guard let run = document["run"]?.stringValue, run.utf8.count <= 64,
            !run.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { throw Unreadable(reason: "run is not a run name") }
        guard let taken = document["taken_at"]?.stringValue, let takenAt = Timestamp.date(taken) else {
            throw Unreadable(reason: "taken_at is not a timestamp")
        }
        let findings = document["findings"]
        var bySeverity: [Severity: Int] = [:]
        for severity in Severity.descending {
            bySeverity[severity] = try count(findings?[severity.rawValue], "findings.\(severity.rawValue)")
        }
        guard let statusText = document["coverage"]?["status"]?.stringValue,
            let status = CoverageVerdict.Status(rawValue: statusText),
            let sentence = document["coverage"]?["verdict"]?.stringValue, sentence.utf8.count <= 1000
        else { throw Unreadable(reason: "coverage is not a verdict") }
        return RunSummary(
            run: run, takenAt: takenAt, keys: try count(document["keys"], "keys"),
            enabled: try count(document["enabled"], "enabled"), disabled: try count(document["disabled"], "disabled"),
            findings: try count(findings?["total"], "findings.total"), bySeverity: bySeverity,
            new: try optionalCount(document["new"], "new"),
            resolved: try optionalCount(document["resolved"], "resolved"),
            suppressed: try count(document["suppressed"], "suppressed"),
            totalSpend: try money(document["spend"]?["total"], "spend.total") ?? 0,
            spendSincePrevious: try money(document["spend"]?["since_previous"], "spend.since_previous"),
            coverage: CoverageVerdict(status: status, sentence: sentence))
    }
}

/// What the runs before this one were, as far as the reports need to know: their summaries, for the trend.
///
/// This is the place for what a run learns from its predecessors. Issue 16 ("changes keyaudit applied since
/// the previous run") adds its list here, beside `runs`, so that it reaches every report the same way.
package struct RunHistory: Sendable {
    /// Runs drawn in a trend: this one and up to 29 before it.
    package static let limit = 30

    /// Summaries of earlier runs, oldest first (at most ``limit`` − 1); empty on a first run.
    package var runs: [RunSummary]

    package init(runs: [RunSummary] = []) {
        self.runs = runs
    }
}

/// Whether the snapshot holds every key of the account, in one sentence: "complete: 3 workspaces, 12 pages,
/// listing consistent" or "INCOMPLETE: …".
package struct CoverageVerdict: Sendable, Equatable {
    package enum Status: String, Sendable {
        /// Every workspace listed, every listing consistent, disabled keys included.
        case complete
        /// Only the workspaces chosen with `--workspace`, each listed completely.
        case selected
        /// Keys may be missing.
        case incomplete
        /// Keys read from a file: what the file holds, nothing was listed.
        case file
    }

    package var status: Status
    package var sentence: String

    package init(status: Status, sentence: String) {
        self.status = status
        self.sentence = sentence
    }

    package init(_ snapshot: Snapshot) {
        let coverage = snapshot.coverage
        let pages = "\(HumanReadable.count(coverage.pages)) page\(coverage.pages == 1 ? "" : "s")"
        func workspaces(_ count: Int) -> String { "\(HumanReadable.count(count)) workspace\(count == 1 ? "" : "s")" }
        if coverage.mode == .file {
            // Without an array of 100,000 ids first; neighbours mostly share a workspace, compared before hashing.
            var ids = Set<String>()
            var last: String?
            for index in snapshot.keys.indices {
                guard let id = snapshot.keys[index].workspaceId, id != last else { continue }
                ids.insert(id)
                last = id
            }
            let named = ids.count
            self.init(
                status: .file,
                sentence:
                    "from a file, not listed from the API: \(HumanReadable.count(snapshot.keys.count)) keys in \(workspaces(named)) (\(Escaping.oneLine(snapshot.source, limit: 120)))"
            )
            return
        }
        var gaps: [String] = []
        if coverage.mode == .defaultListingOnly {
            gaps.append("/workspaces was unavailable, only the default listing was read (\(pages))")
        }
        if !coverage.consistent {
            let unsettled = coverage.workspaces.count { !$0.consistent }
            gaps.append(
                "the listing of \(workspaces(max(unsettled, 1))) never settled while keys were created or deleted: keys may be missing"
            )
        }
        if !coverage.includeDisabled { gaps.append("disabled keys were not listed") }
        if !gaps.isEmpty {
            self.init(status: .incomplete, sentence: "INCOMPLETE: " + gaps.joined(separator: "; "))
        } else if coverage.mode == .selectedWorkspaces {
            self.init(
                status: .selected,
                sentence:
                    "selected workspaces only: \(workspaces(coverage.workspaces.count)) chosen with --workspace, \(pages), listing consistent"
            )
        } else {
            self.init(
                status: .complete,
                sentence: "complete: \(workspaces(coverage.workspaces.count)), \(pages), listing consistent")
        }
    }
}
