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
