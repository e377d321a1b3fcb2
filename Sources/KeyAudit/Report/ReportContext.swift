import Foundation

/// Everything a report is made from: the values of one run, nothing read from disk or the network.
public struct ReportContext: Sendable {
    public var runName: String
    public var generatedAt: Date
    public var snapshot: Snapshot
    public var snapshotSHA256: String
    public var audit: AuditResult
    public var diff: SnapshotDiff?
    public var brokenChain: BrokenChain?
    public var toolVersion: String
    /// Most rows one table of report.md/report.html lists (findings, inventory, each change list); 0: all.
    /// The workbook and the JSON files always hold everything.
    public var rowLimit: Int

    /// Tables longer than this are cut in the Markdown and HTML reports, with a note saying where the rest is:
    /// a 100,000-row table is neither readable nor rendered by GitHub, and report.xlsx holds every row.
    public static let defaultRowLimit = 1000

    public init(
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
