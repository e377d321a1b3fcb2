import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditSnapshot

/// Everything a report is made from: the values of one run, nothing read from disk or the network.
package struct ReportContext: Sendable {
    package var runName: String
    package var generatedAt: Date
    package var snapshot: Snapshot
    package var snapshotSHA256: String
    package var audit: AuditResult
    package var diff: SnapshotDiff?
    package var brokenChain: BrokenChain?
    package var toolVersion: String
    /// Most rows one table of report.md/report.html lists (findings, inventory, each change list); 0: all.
    /// The workbook and the JSON files always hold everything.
    package var rowLimit: Int
    /// What the run recovered from (see ``Diagnostic``), shown as warnings in every report.
    package var diagnostics: [Diagnostic] = []
    /// The runs before this one (their summaries, for the trend); empty on a first run.
    package var history = RunHistory()
    /// Changes `keyaudit apply` made since the previous run in the same output folder, oldest first.
    package var appliedChanges: [AppliedChange] = []

    /// Tables longer than this are cut in the Markdown and HTML reports, with a note saying where the rest is:
    /// a 100,000-row table is neither readable nor rendered by GitHub, and report.xlsx holds every row.
    package static let defaultRowLimit = 1000

    package init(
        runName: String, generatedAt: Date, snapshot: Snapshot, snapshotSHA256: String, audit: AuditResult,
        diff: SnapshotDiff?, brokenChain: BrokenChain?, toolVersion: String = KeyAuditVersion.current,
        rowLimit: Int = ReportContext.defaultRowLimit
    ) {
        self.rowLimit = rowLimit
        self.runName = runName
        self.generatedAt = generatedAt
        self.snapshot = snapshot
        self.snapshotSHA256 = snapshotSHA256
        self.audit = audit
        self.diff = diff
        self.brokenChain = brokenChain
        self.toolVersion = toolVersion
    }

    /// Workspace id → name, from the workspaces the listing returned.
    func workspaceNames() -> [String: String] {
        var names: [String: String] = [:]
        for workspace in snapshot.workspaces {
            if let id = workspace["id"]?.stringValue { names[id] = workspace["name"]?.stringValue ?? id }
        }
        return names
    }
}

extension ReportContext {
    /// The gaps this run's snapshot records in the evidence chain, one sentence each: runs skipped as unusable
    /// while looking for the previous run (`skipped`) and runs removed by `--keep` (`removed_by_retention`).
    /// Empty when there are none. A reviewer reads them in every report, not only in snapshot.json.
    package var evidenceChainNotes: [String] {
        func run(_ omitted: Snapshot.OmittedRun) -> String {
            let name = omitted.path.hasSuffix("/snapshot.json") ? String(omitted.path.dropLast(14)) : omitted.path
            return Escaping.oneLine(name, limit: 120)
        }
        func sha(_ omitted: Snapshot.OmittedRun) -> String {
            omitted.sha256.map { "snapshot sha256 \($0.prefix(12))…" } ?? "no readable snapshot"
        }
        let skipped = snapshot.skipped.map { omitted in
            var reason = omitted.reason ?? "no reason recorded"
            if reason.hasPrefix("unusable: ") { reason.removeFirst("unusable: ".count) }
            return
                "\(run(omitted)) was skipped as unusable, reported as broken-chain and a gap for keyaudit verify (\(sha(omitted))): \(Escaping.oneLine(reason, limit: 300))"
        }
        let removed = snapshot.removedByRetention.map { omitted in
            "\(run(omitted)) was removed by --keep when this run was made (\(sha(omitted))): retention, not a gap"
        }
        return skipped + removed
    }
}
