import Foundation
import KeyAuditAPI
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// A label and its value on a fixed-layout sheet.
private struct Line {
    enum Style { case plain, heading, alert, good, strong }
    var label: String
    var value: XLSXValue
    var style: Style = .plain
    var format: KeyPath<XLSXReport.Styles, XLSXCellFormat>?

    static func heading(_ text: String) -> Line { Line(label: text, value: .blank, style: .heading) }
    static var gap: Line { Line(label: "", value: .blank) }
}

/// The Summary sheet: what a reviewer reads first, on one landscape page. The run's numbers and coverage on the
/// left, findings by severity and rule and the policy on the right, written side by side row by row
/// (constant-memory mode writes rows in order).
enum XLSXSummarySheet {
    static func write(_ sheet: XLSXWorksheet, context: ReportContext, styles: XLSXReport.Styles) throws {
        let snapshot = context.snapshot
        let summary = RunSummary(context)
        let counts = FindingsDocument.Summary(snapshot: snapshot, audit: context.audit)  // by rule, for the right block
        let coverage = snapshot.coverage
        var left: [Line] = [
            Line(
                label: "Coverage", value: .string(summary.coverage.sentence),
                style: summary.coverage.status == .complete ? .good : .alert),
            Line(label: "Generated (UTC)", value: .date(context.generatedAt), format: \.date),
            .gap, .heading("Keys"),
            Line(label: "Keys", value: .integer(summary.keys), format: \.count),
            Line(label: "Enabled", value: .integer(summary.enabled), format: \.count),
            Line(label: "Disabled", value: .integer(summary.disabled), format: \.count),
            .gap, .heading("Findings (suppressed ones not counted)"),
            Line(label: "Findings", value: .integer(summary.findings), style: .strong, format: \.strongCount),
            Line(
                label: "New since the last run", value: summary.new.map { .integer($0) } ?? .string("— (first run)"),
                style: .strong, format: summary.new == nil ? \.text : \.strongCount),
            Line(
                label: "Resolved since the last run",
                value: summary.resolved.map { .integer($0) } ?? .string("— (first run)"),
                format: summary.resolved == nil ? \.text : \.count),
            Line(label: "Suppressed", value: .integer(summary.suppressed), format: \.count),
            .gap, .heading("Spend (USD)"),
            Line(
                label: "Since the last run",
                value: summary.spendSincePrevious.map { .number($0) } ?? .string("— (first run)"),
                format: summary.spendSincePrevious == nil ? \.text : \.money),
            Line(label: "Total (lifetime usage + BYOK)", value: .number(summary.totalSpend), format: \.money),
            .gap, .heading("Scope"),
            Line(label: "Workspaces covered", value: .integer(coverage.workspaces.count), format: \.count),
            Line(label: "Coverage mode", value: .string(coverage.mode.rawValue), format: \.text),
            Line(
                label: "Pages, requests, retries",
                value: .string(
                    "\(HumanReadable.count(coverage.pages)), \(HumanReadable.count(coverage.requests)), \(HumanReadable.count(coverage.retries))"
                ), format: \.text),
            Line(label: "Disabled keys included", value: .bool(coverage.includeDisabled), format: \.bool),
            Line(
                label: "Listing consistent", value: .bool(coverage.consistent),
                style: coverage.consistent ? .plain : .alert,
                format: \.bool),
        ]
        left += coverage.notes.map { Line(label: "Note", value: .string($0), format: \.text) }
        left += [
            .gap, .heading("Evidence"),
            Line(label: "Source", value: .string(snapshot.source), format: \.text),
            Line(label: "Tool version", value: .string("keyaudit \(context.toolVersion)"), format: \.text),
            Line(label: "Snapshot sha256", value: .string(context.snapshotSHA256), format: \.text),
            Line(
                label: "Previous snapshot", value: .string(snapshot.previous?.path ?? "none (first run)"),
                format: \.text),
        ]
        if let previous = snapshot.previous {
            left.append(Line(label: "Previous snapshot sha256", value: .string(previous.sha256), format: \.text))
        }
        left += context.evidenceChainNotes.map {
            Line(label: "Evidence chain", value: .string($0), style: .alert)
        }
        if let broken = context.brokenChain {
            left.append(
                Line(
                    label: "EVIDENCE CHAIN BROKEN",
                    value: .string("\(broken.path): recorded \(broken.recorded), found \(broken.actual)"), style: .alert
                ))
        }
        left += context.diagnostics.map {
            Line(label: "Warning (\($0.stage))", value: .string($0.message), style: .alert)
        }

        var right: [Line] = [.heading("Findings by severity")]
        right += counts.bySeverity.map {
            Line(label: $0.0.rawValue, value: .integer($0.1), format: \.count)
        }
        right += [.gap, .heading("Findings by rule")]
        right += counts.byRule.map { id, value in
            Line(label: "\(RuleCatalog.rule(id)?.title ?? id) (\(id))", value: .integer(value), format: \.count)
        }
        let policy = context.audit.policy
        right += [
            .gap, .heading("Policy in force"), Line(label: "Policy", value: .string(policy.source), format: \.text),
        ]
        right += PolicyLabels.thresholds(policy.thresholds).map {
            Line(label: $0.label, value: .string($0.value), format: \.text)
        }

        try sheet.setColumnWidth(28, column: 0)
        try sheet.setColumnWidth(68, column: 1)
        try sheet.setColumnWidth(3, column: 2)
        try sheet.setColumnWidth(58, column: 3)
        try sheet.setColumnWidth(18, column: 4)
        try sheet.write(
            XLSXReport.writable(.string("OpenRouter key audit \(context.runName)")), row: 0, column: 0,
            format: styles.title)
        for row in 0..<max(left.count, right.count) {
            for (offset, lines) in [(0, left), (3, right)] where row < lines.count {
                try write(lines[row], sheet, row: row + 2, column: offset, styles: styles)
            }
        }
    }

    private static func write(
        _ line: Line, _ sheet: XLSXWorksheet, row: Int, column: Int, styles: XLSXReport.Styles
    ) throws {
        switch line.style {
        case .heading:
            try sheet.write(line.label, row: row, column: column, format: styles.heading)
            return
        case .alert:
            try sheet.write(line.label, row: row, column: column, format: styles.alert)
        default:
            try sheet.write(line.label, row: row, column: column, format: styles.label)
        }
        if case .blank = line.value { return }
        let format: XLSXCellFormat? =
            switch line.style {
            case .alert: styles.alert
            case .good: styles.good
            default: line.format.map { styles[keyPath: $0] } ?? styles.text
            }
        try sheet.write(XLSXReport.writable(line.value), row: row, column: column + 1, format: format)
    }
}

/// The Owners sheet: unsuppressed findings by workspace, then by creator (`creator_user_id`).
enum XLSXOwnersSheet {
    static func write(_ sheet: XLSXWorksheet, facts: ReportFacts, styles: XLSXReport.Styles) throws {
        let severities = Severity.descending.map { $0.rawValue.prefix(1).uppercased() + $0.rawValue.dropFirst() }
        let widths: [Double] = [34, 38, 10, 10] + severities.map { _ in 10 } + [10]
        for (column, width) in widths.enumerated() { try sheet.setColumnWidth(width, column: column) }
        var row = 0
        func table(
            _ title: String, _ idTitle: String, _ rows: [ReportFacts.Owners.Row], name: (String?) -> String
        )
            throws
        {
            let headers = [title, idTitle, "Keys", "Findings"] + severities + ["New"]
            for (column, header) in headers.enumerated() {
                try sheet.write(header, row: row, column: column, format: styles.header)
            }
            row += 1
            for owner in rows {
                try sheet.write(XLSXReport.writable(.string(name(owner.id))), row: row, column: 0, format: styles.text)
                try sheet.write(
                    XLSXReport.writable(owner.id.map { .string($0) } ?? .blank), row: row, column: 1,
                    format: styles.text)
                try sheet.write(owner.keys, row: row, column: 2, format: styles.count)
                try sheet.write(owner.findings, row: row, column: 3, format: styles.strongCount)
                for (index, value) in owner.bySeverity.enumerated() {
                    try sheet.write(value, row: row, column: 4 + index, format: styles.count)
                }
                try sheet.write(owner.new, row: row, column: 4 + severities.count, format: styles.count)
                row += 1
            }
        }
        try table("Workspace", "Workspace id", facts.owners.byWorkspace) { id in
            id.map { facts.workspaceNames[$0] ?? $0 } ?? "(no workspace)"
        }
        row += 1
        let creators = facts.owners.byCreator.filter { $0.findings > 0 }
        try table("Creator", "", creators) { $0 ?? "(unknown)" }
        let others = facts.owners.creatorsWithKeys - creators.count
        if others > 0 {
            try sheet.write(
                "\(HumanReadable.count(others)) other creators have keys without findings.", row: row + 1, column: 0,
                format: styles.text)
        }
        try sheet.freezePanes(rows: 1, columns: 1)
    }
}

/// The Trend sheet: one row per run (this one and up to 29 before it, oldest first) and native charts of
/// findings by severity, keys and spend.
enum XLSXTrendSheet {
    static func write(_ sheet: XLSXWorksheet, context: ReportContext, styles: XLSXReport.Styles) throws {
        let runs = Array((context.history.runs + [RunSummary(context)]).suffix(RunHistory.limit))
        let severities = Severity.descending
        let headers =
            ["Run", "Taken at (UTC)", "Keys", "Enabled", "Disabled", "Findings"]
            + severities.map { $0.rawValue.prefix(1).uppercased() + $0.rawValue.dropFirst() }
            + ["New", "Resolved", "Suppressed", "Spend since previous", "Total spend", "Coverage"]
        let widths: [Double] = [19, 19, 9, 9, 9, 10] + severities.map { _ in 9 } + [8, 10, 12, 21, 15, 60]
        for (column, width) in widths.enumerated() { try sheet.setColumnWidth(width, column: column) }
        for (column, header) in headers.enumerated() {
            try sheet.write(header, row: 0, column: column, format: styles.header)
        }
        let firstSeverity = 6
        let spendColumn = firstSeverity + severities.count + 3
        for (index, run) in runs.enumerated() {
            let row = index + 1
            var cells: [(XLSXValue, XLSXCellFormat)] = [
                (.string(run.run), styles.text), (.date(run.takenAt), styles.date), (.integer(run.keys), styles.count),
                (.integer(run.enabled), styles.count), (.integer(run.disabled), styles.count),
                (.integer(run.findings), styles.strongCount),
            ]
            cells += severities.map { (.integer(run.bySeverity[$0] ?? 0), styles.count) }
            cells += [
                (run.new.map { .integer($0) } ?? .blank, styles.count),
                (run.resolved.map { .integer($0) } ?? .blank, styles.count),
                (.integer(run.suppressed), styles.count),
                (run.spendSincePrevious.map { .number($0) } ?? .blank, styles.money),
                (.number(run.totalSpend), styles.money), (.string(run.coverage.sentence), styles.text),
            ]
            for (column, cell) in cells.enumerated() {
                try sheet.write(XLSXReport.writable(cell.0), row: row, column: column, format: cell.1)
            }
        }
        try sheet.freezePanes(rows: 1, columns: 1)
        let below = runs.count + 2
        guard runs.count >= 2 else {
            try sheet.write(
                "No trend yet: this is the first run with a summary in this output folder.", row: below, column: 0,
                format: styles.text)
            return
        }
        let rows = 1...runs.count
        let categories = XLSXChart.ColumnRange(sheet: sheet.name, column: 0, rows: rows)
        let findings = try XLSXChart(
            .stackedColumn, title: "Findings by severity per run", in: sheet.workbook)
        let colours: [Severity: UInt32] = [
            .critical: 0x7D1A1A, .high: 0xB42318, .medium: 0xC27C0E, .low: 0x1F5FA8, .info: 0x8C959F,
        ]
        for (offset, severity) in severities.enumerated() {
            try findings.addSeries(
                name: severity.rawValue, categories: categories,
                values: .init(sheet: sheet.name, column: firstSeverity + offset, rows: rows),
                colour: XLSXColor(rgb: colours[severity] ?? 0x8C959F))
        }
        try findings.setLegendBottom()
        let keys = try XLSXChart(.line, title: "Keys per run", in: sheet.workbook)
        try keys.addSeries(
            name: "keys", categories: categories, values: .init(sheet: sheet.name, column: 2, rows: rows),
            colour: XLSXColor(rgb: 0x1B1F24))
        try keys.setLegendBottom()
        let spend = try XLSXChart(.column, title: "Spend since the previous run (USD)", in: sheet.workbook)
        try spend.addSeries(
            name: "spend", categories: categories, values: .init(sheet: sheet.name, column: spendColumn, rows: rows),
            colour: XLSXColor(rgb: 0x2F6F4F))
        try spend.setValueFormat("$#,##0")
        for chart in [findings, keys, spend] { try chart.setValueAxisMinimum(0) }
        try spend.setLegendBottom()
        // Side by side under the table, 480 × 288 pixels each: the three fit one landscape page wide.
        try sheet.insert(findings, row: below, column: 0)
        try sheet.insert(keys, row: below, column: 0, xOffset: 500)
        try sheet.insert(spend, row: below, column: 0, xOffset: 1000)
    }
}
