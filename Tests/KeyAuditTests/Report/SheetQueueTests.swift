import Foundation
import Testing

@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditReport
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// The workbook's two threads take sheets from one queue: which thread writes which sheet then depends on timing,
/// so the workbook must not (its formats are all numbered before either thread starts).
@Suite("Workbook sheet queue")
struct SheetQueueTests {
    static func defaultLayout() throws -> XLSXLayout {
        try XLSXLayout.parse(
            try #require(EmbeddedTemplates.files[XLSXLayout.fileName]), name: "templates/report.xlsx.yml")
    }

    /// A queue over the default layout's sheets, in a workbook that is never closed.
    static func queue(
        _ context: ReportContext, folder: URL, layout: XLSXLayout? = nil
    ) throws -> (SheetQueue, XLSXWorkbook) {
        let layout = try layout ?? defaultLayout()
        let workbook = try XLSXWorkbook(path: folder.appendingPathComponent("queue.xlsx").path)
        let sheets = try layout.sheets.map { ($0, try workbook.addWorksheet(named: $0.name)) }
        return (SheetQueue(sheets, context: context), workbook)
    }

    /// report.xlsx of `context` under `layout` (a report.xlsx.yml of the test's own), read back, and its bytes.
    static func render(layout: String, _ context: ReportContext, label: String) throws -> (XLSXReader.Workbook, Data) {
        let templates = try GoldenReportFixture.scratchFolder(label + "-layout")
        defer { try? FileManager.default.removeItem(at: templates) }
        try Data(layout.utf8).write(to: templates.appendingPathComponent(XLSXLayout.fileName))
        let folder = try GoldenReportFixture.render(
            context, formats: [.xlsx], overrides: templates.path, label: label)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(ReportFormat.xlsx.fileName)
        return (try XLSXReader.read(url), try Data(contentsOf: url))
    }

    static func drain(_ queue: SheetQueue) -> [XLSXLayout.Sheet] { drainGroups(queue).flatMap { $0 } }

    static func drainGroups(_ queue: SheetQueue) -> [[XLSXLayout.Sheet]] {
        var taken: [[XLSXLayout.Sheet]] = []
        while let group = queue.next() { taken.append(group.map(\.0)) }
        return taken
    }

    /// A layout with two Trend sheets (each adds charts to the workbook) between other sheets.
    static let twoTrends = """
        sheets:
          - name: Trend A
            source: trend
          - name: Keys
            source: keys
            columns:
              - { header: Hash, field: hash }
          - name: Summary
            source: summary
          - name: Findings
            source: findings
            columns:
              - { header: Key hash, field: key_hash }
              - { header: Rule, field: rule }
          - name: Trend B
            source: trend
          - name: Owners
            source: owners
        """

    @Test("largest sheets first, then the small ones, then those that show the diff in the layout's order")
    func order() throws {
        let folder = try GoldenReportFixture.scratchFolder("sheet-queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        let context = GoldenReportFixture.context()
        let (queue, _) = try Self.queue(context, folder: folder)
        let taken = Self.drain(queue)
        let layout = try Self.defaultLayout()
        #expect(taken.map(\.name).sorted() == layout.sheets.map(\.name).sorted(), "every sheet exactly once")
        let audited = taken.prefix { !$0.source.needsDiff }
        let sizes = audited.map { SheetQueue.estimatedCells($0, context: context) }
        #expect(sizes == sizes.sorted(by: >), "sheets that need only the audit are not largest first: \(sizes)")
        #expect(audited.count == layout.sheets.count { !$0.source.needsDiff })
        #expect(
            taken.dropFirst(audited.count).map(\.name) == layout.sheets.filter(\.source.needsDiff).map(\.name))
        #expect(Set(taken.prefix(2).map(\.source)) == [.findings, .keys], "the two large sheets are not first")
    }

    @Test("a larger Keys sheet goes first; equal sizes keep the layout's order")
    func sizesDecide() throws {
        let folder = try GoldenReportFixture.scratchFolder("sheet-queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        var context = GoldenReportFixture.context()
        // No findings at all: Keys is the largest sheet, and Findings and Suppressions (both empty) follow in
        // the layout's order.
        context.audit = AuditResult(findings: [], suppressions: [], policy: context.audit.policy)
        let (queue, _) = try Self.queue(context, folder: folder)
        let taken = Self.drain(queue).map(\.source)
        #expect(taken.first == .keys)
        #expect(taken.firstIndex(of: .findings)! < taken.firstIndex(of: .suppressions)!)
    }

    @Test("once a thread failed, no sheet is handed out")
    func stop() throws {
        let folder = try GoldenReportFixture.scratchFolder("sheet-queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (queue, _) = try Self.queue(GoldenReportFixture.context(), folder: folder)
        #expect(queue.next() != nil)
        queue.stop()
        #expect(queue.next() == nil)
        #expect(Self.drain(queue).isEmpty)
    }

    @Test("every sheet that adds charts is in one group, in the layout's order, at the place of the first")
    func chartsOnOneThread() throws {
        let folder = try GoldenReportFixture.scratchFolder("sheet-queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        let layout = try XLSXLayout.parse(Self.twoTrends, name: "two-trends.yml")
        let (queue, _) = try Self.queue(GoldenReportFixture.context(), folder: folder, layout: layout)
        let groups = Self.drainGroups(queue).map { $0.map(\.name) }
        // The sheets that need only the audit one by one (largest first, see `order`), then the diff's in the
        // layout's order with Trend B moved up to Trend A.
        #expect(groups.count == 5)
        #expect(Set(groups.prefix(3)) == [["Findings"], ["Keys"], ["Owners"]])
        #expect(Array(groups.suffix(2)) == [["Trend A", "Trend B"], ["Summary"]])
    }

    @Test("a workbook with two Trend sheets: the same bytes every time, each sheet with its charts")
    func twoTrendSheets() throws {
        let context = GoldenReportFixture.context()
        func render() throws -> (XLSXReader.Workbook, Data) {
            try Self.render(layout: Self.twoTrends, context, label: "sheet-queue-trends")
        }
        let (book, bytes) = try render()
        for _ in 0..<5 { #expect(try render().1 == bytes, "two workbooks of the same context differ") }
        #expect(try book.sheet(named: "Trend A").rows.count == book.sheet(named: "Trend B").rows.count)
        #expect(try book.sheet(named: "Trend A").rows.count > 1)
        let charts = book.parts.keys.filter { $0.hasPrefix("xl/charts/chart") }
        #expect(charts.count == 6, "three charts per Trend sheet, found \(charts.sorted())")
        // Each sheet's drawing holds three charts of its own.
        let drawings = book.parts.filter { $0.key.hasPrefix("xl/drawings/_rels/drawing") }
        #expect(drawings.count == 2)
        for (name, data) in drawings {
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.components(separatedBy: "charts/chart").count - 1 == 3, "\(name): \(text)")
        }
    }

    @Test("a layout with formats of its own in every table sheet: the same workbook every time, formats applied")
    func ownFormatsEverywhere() throws {
        // Every table sheet brings number formats no other sheet uses, so that a format created by whichever
        // thread got there first would show as two different workbooks (and stop this debug build at once).
        let layout = """
            money_format: "#,##0.000"
            sheets:
              - name: Keys
                source: keys
                columns:
                  - { header: Hash, field: hash }
                  - { header: Usage, field: usage, format: "0.0000" }
                  - { header: Created, field: created_at, format: "dd/mm/yyyy hh:mm" }
                  - { header: Findings, field: findings, format: "000" }
              - name: Findings
                source: findings
                columns:
                  - { header: Key hash, field: key_hash }
                  - { header: Rule, field: rule }
                  - { header: First seen, field: first_seen, format: "yyyy/mm/dd" }
                  - { header: Expires, field: suppression_expires, format: "d mmm yyyy" }
              - name: Suppressions
                source: suppressions
                columns:
                  - { header: Key, field: key }
                  - { header: Expires, field: expires, format: "mmm d, yyyy" }
                  - { header: Matched, field: matched, format: "0.0" }
              - name: Changes
                source: changes
                columns:
                  - { header: Change, field: change }
                  - { header: Amount, field: amount, format: "+0.00;-0.00" }
              - name: Summary
                source: summary
              - name: Owners
                source: owners
            """
        let context = GoldenReportFixture.context()
        func render() throws -> (XLSXReader.Workbook, Data) {
            try Self.render(layout: layout, context, label: "sheet-queue-xlsx")
        }
        let (book, bytes) = try render()
        for _ in 0..<3 { #expect(try render().1 == bytes, "two workbooks of the same context differ") }
        /// The number format of data row 1's cell in `column` of `sheet`.
        func format(_ sheet: String, _ column: Int) throws -> String? {
            try book.sheet(named: sheet).rows.dropFirst().first?.first { $0.column == column }?.numberFormat
        }
        #expect(try format("Keys", 1) == "0.0000")
        #expect(try format("Keys", 2) == "dd/mm/yyyy hh:mm")
        #expect(try format("Findings", 2) == "yyyy/mm/dd")
        #expect(context.audit.suppressions.isEmpty == false)
        #expect(try format("Suppressions", 1) == "mmm d, yyyy")
    }

    @Test("a layout naming every field: each column has cells, and `findings` counts each key's unsuppressed findings")
    func everyFieldResolved() throws {
        func columns(_ source: XLSXLayout.Source) -> String {
            (XLSXLayout.fields[source] ?? []).map { "          - { header: \($0.0), field: \($0.0) }" }
                .joined(separator: "\n")
        }
        let layout = """
            sheets:
              - name: Findings
                source: findings
                columns:
            \(columns(.findings))
              - name: Keys
                source: keys
                columns:
            \(columns(.keys))
            """
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.render(layout: layout, context, label: "sheet-every-field")
        // The fixture leaves a few fields empty everywhere; every other field must reach its column (a field
        // that fell through to "no such field" would be an empty column).
        let emptyInFixture: Set<String> = ["external_user", "rotated_from_hash", "problems"]
        let keysOfFixture = context.snapshot.keys
        #expect(keysOfFixture.allSatisfy { $0.problems.isEmpty })
        #expect(keysOfFixture.allSatisfy { $0.externalUser == nil && $0.rotatedFromHash == nil })
        for (sheetName, source) in [("Findings", XLSXLayout.Source.findings), ("Keys", .keys)] {
            let sheet = try book.sheet(named: sheetName)
            let headers = Dictionary(uniqueKeysWithValues: (sheet.rows.first ?? []).map { ($0.text, $0.column) })
            for (field, _) in XLSXLayout.fields[source] ?? [] where !emptyInFixture.contains(field) {
                let column = try #require(headers[field], "\(sheetName) has no column \(field)")
                let filled = sheet.rows.dropFirst().count { row in row.contains { $0.column == column } }
                #expect(filled > 0, "\(sheetName).\(field) is empty in every row")
            }
        }
        let keys = try book.sheet(named: "Keys")
        let headers = Dictionary(uniqueKeysWithValues: (keys.rows.first ?? []).map { ($0.text, $0.column) })
        let counts = context.audit.unsuppressedCountByKey()
        #expect(counts.values.contains { $0 > 1 }, "the fixture should have a key with several findings")
        for row in keys.rows.dropFirst() {
            let hash = try #require(row.first { $0.column == headers["hash"] }?.text)
            let shown = row.first { $0.column == headers["findings"] }?.number
            #expect(shown == Double(counts[hash] ?? 0), "findings of \(hash)")
        }

        // Every cell against the model, field by field, so that two fields swapped would show.
        let names = context.workspaceNames()
        func check(_ cell: XLSXReader.Cell?, _ value: XLSXValue, _ what: String) {
            switch XLSXReport.writable(value) {
            case .blank: #expect(cell == nil, "\(what): \(String(describing: cell))")
            case .string(let text): #expect(cell?.text == text, "\(what)")
            case .number(let number): #expect(cell?.number == number, "\(what)")
            case .integer(let number): #expect(cell?.number == Double(number), "\(what)")
            case .bool(let flag): #expect(cell?.bool == flag, "\(what)")
            case .date(let date): #expect(cell?.number == XLSXWorksheet.excelSerial(date), "\(what)")
            }
        }
        func text(_ value: String?) -> XLSXValue { value.map { .string($0) } ?? .blank }
        func money(_ value: Double?) -> XLSXValue { value.map { .number($0) } ?? .blank }
        func time(_ value: Double?) -> XLSXValue { value.map { .date(Date(timeIntervalSince1970: $0)) } ?? .blank }
        func expected(_ key: KeyRecord, _ field: String) -> XLSXValue? {
            switch field {
            case "name": return text(key.name)
            case "hash": return .string(key.identity)
            case "label": return text(key.label)
            case "workspace": return text(key.workspaceId.map { names[$0] ?? $0 })
            case "workspace_id": return text(key.workspaceId)
            case "disabled": return key.disabled.map { .bool($0) } ?? .blank
            case "status": return .string(key.disabled == nil ? "unknown" : (key.isDisabled ? "disabled" : "enabled"))
            case "limit": return money(key.limit)
            case "limit_remaining": return money(key.limitRemaining)
            case "limit_reset": return text(key.limitReset)
            case "include_byok_in_limit": return key.includeByokInLimit.map { .bool($0) } ?? .blank
            case "usage": return money(key.usage)
            case "usage_daily": return money(key.usageDaily)
            case "usage_weekly": return money(key.usageWeekly)
            case "usage_monthly": return money(key.usageMonthly)
            case "byok_usage": return money(key.byokUsage)
            case "byok_usage_daily": return money(key.byokUsageDaily)
            case "byok_usage_weekly": return money(key.byokUsageWeekly)
            case "byok_usage_monthly": return money(key.byokUsageMonthly)
            case "created_at": return time(key.createdAt)
            case "updated_at": return time(key.updatedAt)
            case "expires_at": return time(key.expiresAt)
            case "last_used_at": return time(key.lastUsedAt)
            case "creator_user_id": return text(key.creatorUserId)
            case "external_user": return text(key.externalUser)
            case "rotated_from_hash": return text(key.rotatedFromHash)
            case "findings": return .integer(counts[key.identity] ?? 0)
            default: return nil  // problems, extra: checked as filled or empty above
            }
        }
        for (index, key) in context.snapshot.keys.enumerated() {
            let row = keys.rows[index + 1]
            for (field, _) in XLSXLayout.fields[.keys] ?? [] {
                guard let value = expected(key, field), let column = headers[field] else { continue }
                check(row.first { $0.column == column }, value, "Keys row \(index + 1) \(field)")
            }
        }
        let findingsSheet = try book.sheet(named: "Findings")
        let findingHeaders = Dictionary(
            uniqueKeysWithValues: (findingsSheet.rows.first ?? []).map { ($0.text, $0.column) })
        for (index, finding) in context.audit.findings.enumerated() {
            let row = findingsSheet.rows[index + 1]
            let values: [String: XLSXValue] = [
                "id": .string(finding.id), "severity": .string(finding.severity.rawValue),
                "rule": .string(finding.rule), "title": .string(finding.title), "key_name": text(finding.keyName),
                "key_hash": text(finding.keyHash), "workspace_id": text(finding.workspaceId),
                "workspace": text(finding.workspaceId.map { names[$0] ?? $0 }), "message": .string(finding.message),
                "remediation": .string(finding.remediation), "status": .string(finding.status.rawValue),
                "first_seen": .date(finding.firstSeen), "suppressed": .bool(finding.suppressed),
                "suppression_reason": text(finding.suppression?.reason),
                "suppression_owner": text(finding.suppression?.owner),
                "suppression_ticket": text(finding.suppression?.ticket),
            ]
            for (field, value) in values {
                let column = try #require(findingHeaders[field])
                check(row.first { $0.column == column }, value, "Findings row \(index + 1) \(field)")
            }
        }
    }
}
