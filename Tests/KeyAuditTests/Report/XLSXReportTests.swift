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

/// report.xlsx as keyaudit writes it (default layout), read back with XLSXReader: sheets, rows, typed cells,
/// limits, layout features, document properties and reproducibility.
@Suite("XLSX report")
struct XLSXReportTests {
    fileprivate static let moneyFormat = "$#,##0.00"

    /// Writes report.xlsx for `context` and reads it back; also returns the file's bytes.
    fileprivate static func workbook(_ context: ReportContext) throws -> (book: XLSXReader.Workbook, bytes: Data) {
        let folder = try GoldenReportFixture.render(context, formats: [.xlsx], label: "xlsx-report")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("report.xlsx")
        return (try XLSXReader.read(url), try Data(contentsOf: url))
    }

    /// Excel's serial number of a date (1900 date system).
    fileprivate static func serial(_ date: Date) -> Double { date.timeIntervalSince1970 / 86_400 + 25_569 }

    /// A table sheet read by its header row.
    fileprivate struct Table {
        var sheet: XLSXReader.Sheet
        var columns: [String: Int]

        init(_ sheet: XLSXReader.Sheet) throws {
            self.sheet = sheet
            columns = Dictionary(
                (sheet.rows.first ?? []).map { ($0.text, $0.column) }, uniquingKeysWith: { first, _ in first })
        }

        /// The cell under `header` in data row `index` (0 = the first row after the header).
        func cell(_ header: String, row index: Int) throws -> XLSXReader.Cell? {
            let column = try #require(columns[header], "no column \(header) in \(sheet.name)")
            return sheet.rows[index + 1].first { $0.column == column }
        }

        /// The data row index whose `header` cell has `text`.
        func row(where header: String, is text: String) throws -> Int {
            try row(where: [(header, text)])
        }

        /// The first data row whose cells under each header hold each text.
        func row(where pairs: [(String, String)]) throws -> Int {
            var wanted: [(Int, String)] = []
            for (header, text) in pairs {
                wanted.append((try #require(columns[header], "no column \(header) in \(sheet.name)"), text))
            }
            let index = sheet.rows.dropFirst().firstIndex { row in
                wanted.allSatisfy { column, text in row.contains { $0.column == column && $0.text == text } }
            }
            return try #require(index, "no row with \(pairs) in \(sheet.name)") - 1
        }
    }

    /// Column letters of a zero-based column.
    fileprivate static func letters(_ column: Int) -> String {
        String(XLSXWorksheet.cellReference(row: 0, column: column).dropLast())
    }

    fileprivate static func changeRowCount(_ diff: SnapshotDiff) -> Int {
        diff.added.count + diff.removed.count + diff.changed.reduce(0) { $0 + $1.changes.count } + diff.spend.keys.count
            + diff.findings.new.count + diff.findings.resolved.count
    }

    // MARK: - Sheets and rows

    fileprivate static let sheetNames = ["Summary", "Findings", "Changes", "Owners", "Trend", "Suppressions", "Keys"]

    @Test("the small account: seven sheets in order, one row per key, finding, change and suppression")
    func sheetsAndRowCounts() throws {
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.workbook(context)
        #expect(book.sheetNames == Self.sheetNames)
        #expect(try book.sheet(named: "Suppressions").rowCount == context.audit.suppressions.count + 1)
        #expect(try book.sheet(named: "Trend").rows.prefix { $0.first?.text.isEmpty == false }.count == 4)
        #expect(try book.sheet(named: "Keys").rowCount == context.snapshot.keys.count + 1)
        #expect(try book.sheet(named: "Keys").rowCount == 9)
        #expect(try book.sheet(named: "Findings").rowCount == context.audit.findings.count + 1)
        let diff = try #require(context.diff)
        #expect(
            try book.sheet(named: "Changes").rowCount == Self.changeRowCount(diff) + context.appliedChanges.count + 1)
        if let first = context.appliedChanges.first {
            // What keyaudit applied since the previous run comes first.
            let applied = try Table(book.sheet(named: "Changes"))
            #expect(try applied.cell("Change", row: 0)?.text == "applied by keyaudit")
            #expect(try applied.cell("Field or rule", row: 0)?.text == first.action)
        }
        #expect(try book.sheet(named: "Summary").rowCount > 20)

        // Rows follow the report's order: keys by hash, findings most severe first.
        let keys = try Table(book.sheet(named: "Keys"))
        for (index, key) in context.snapshot.keys.enumerated() {
            #expect(try keys.cell("Hash", row: index)?.text == key.identity)
        }
        let findings = try Table(book.sheet(named: "Findings"))
        for (index, finding) in context.audit.findings.enumerated() {
            #expect(try findings.cell("Rule", row: index)?.text == finding.rule)
            #expect(try findings.cell("Key hash", row: index)?.text == finding.keyHash)
            #expect(try findings.cell("Severity", row: index)?.text == finding.severity.rawValue)
        }
    }

    @Test("the demo account: every sheet, every key, finding and change")
    func demoAccount() throws {
        let now = GoldenReportFixture.now
        let (current, previous) = DemoAccount.snapshots(now: now)
        let policy = DemoAccount.policy(now: now)
        let previousReference = Snapshot.Reference(
            path: "20261125T030000Z/snapshot.json", sha256: String(repeating: "0", count: 64))
        var snapshot = current
        snapshot.previous = previousReference
        let audit = Auditor.audit(
            snapshot, history: AuditHistory(snapshot: previous, policy: policy, now: now), policy: policy, now: now)
        let previousIDs = Set(Auditor.audit(previous, policy: policy, now: previous.takenAt ?? now).findings.map(\.id))
        let diff = SnapshotDiff.compare(
            previous: previous,
            from: .init(path: previousReference.path, takenAt: previous.takenAt, sha256: previousReference.sha256),
            previousFindingIDs: previousIDs, current: snapshot,
            to: .init(path: "20261126T030000Z/snapshot.json", takenAt: now, sha256: String(repeating: "1", count: 64)),
            currentFindingIDs: Set(audit.findings.map(\.id)))
        let context = ReportContext(
            runName: "20261126T030000Z", generatedAt: now, snapshot: snapshot,
            snapshotSHA256: String(repeating: "1", count: 64),
            audit: audit, diff: diff, brokenChain: nil)
        let (book, bytes) = try Self.workbook(context)
        #expect(snapshot.keys.count > 100)
        #expect(book.sheetNames == Self.sheetNames)
        #expect(try book.sheet(named: "Keys").rowCount == snapshot.keys.count + 1)
        #expect(try book.sheet(named: "Findings").rowCount == audit.findings.count + 1)
        #expect(Self.changeRowCount(diff) > 0)
        #expect(
            try book.sheet(named: "Changes").rowCount == Self.changeRowCount(diff) + context.appliedChanges.count + 1)
        if let first = context.appliedChanges.first {
            // What keyaudit applied since the previous run comes first.
            let applied = try Table(book.sheet(named: "Changes"))
            #expect(try applied.cell("Change", row: 0)?.text == "applied by keyaudit")
            #expect(try applied.cell("Field or rule", row: 0)?.text == first.action)
        }
        #expect(try book.sheet(named: "Findings").hasConditionalFormatting)
        // Every severity that occurs is coloured.
        let findings = try book.sheet(named: "Findings")
        let severities = Set(findings.conditionalFormats.flatMap(\.formulas))
        for finding in audit.findings { #expect(severities.contains("\"\(finding.severity.rawValue)\"")) }
        // No number in any sheet is NaN or infinite, and nothing is a formula.
        for name in book.sheetNames {
            for cell in try book.sheet(named: name).rows.joined() {
                if cell.kind == .number { #expect(cell.number?.isFinite == true, "\(name)!\(cell.reference)") }
                #expect(cell.kind != .formula && cell.kind != .error, "\(name)!\(cell.reference)")
            }
        }
        #expect(try Self.workbook(context).bytes == bytes, "the demo workbook is not reproducible")
    }

    // MARK: - Typed cells

    @Test("Keys and Findings are written on two threads: every row in order, the same bytes every time")
    func concurrentSheets() throws {
        // Thousands of rows on both sheets, so that the two threads interleave their format lookups and flushes.
        let now = GoldenReportFixture.now
        let options = AccountGenerator.Options(
            count: 1_500, workspaces: ["ws-a", "ws-b"], disabled: 100, seed: 7, now: now.timeIntervalSince1970)
        let store = RawKeyStore()
        let snapshot = Snapshot(
            takenAt: now, source: "https://openrouter.ai/api/v1", workspaces: [],
            coverage: GoldenReportFixture.coverage(keys: 1_500), previous: nil,
            keys: AccountGenerator.keys(options).map { KeyRecord($0, store: store) })
        let policy = Policy()
        let audit = Auditor.audit(snapshot, policy: policy, now: now)
        let context = ReportContext(
            runName: "20261126T030000Z", generatedAt: now, snapshot: snapshot,
            snapshotSHA256: String(repeating: "1", count: 64), audit: audit, diff: nil, brokenChain: nil)
        #expect(audit.findings.count > 1_000)
        let (book, bytes) = try Self.workbook(context)
        let keys = try Table(book.sheet(named: "Keys"))
        #expect(keys.sheet.rowCount == snapshot.keys.count + 1)
        for (index, key) in snapshot.keys.enumerated() {
            #expect(try keys.cell("Hash", row: index)?.text == key.identity)
            #expect(try keys.cell("Name", row: index)?.text == key.name.map { Escaping.visible($0) })
        }
        let findings = try Table(book.sheet(named: "Findings"))
        #expect(findings.sheet.rowCount == audit.findings.count + 1)
        for (index, finding) in audit.findings.enumerated() {
            #expect(try findings.cell("Key hash", row: index)?.text == finding.keyHash)
            #expect(try findings.cell("Rule", row: index)?.text == finding.rule)
        }
        #expect(try Self.workbook(context).bytes == bytes, "two workbooks of the same context differ")
    }

    @Test("money is a number with the money format, timestamps are dates, flags are booleans")
    func typedCells() throws {
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.workbook(context)
        let keys = try Table(book.sheet(named: "Keys"))
        let prod = try keys.row(where: "Hash", is: GoldenReportFixture.hash("1"))
        let disabled = try keys.row(where: "Hash", is: GoldenReportFixture.hash("3"))

        let usage = try #require(try keys.cell("Usage", row: prod))
        #expect(usage.kind == .number)
        #expect(usage.number == 60.25)
        #expect(usage.numberFormat == Self.moneyFormat)
        #expect(!usage.styleIsDate)
        let limit = try #require(try keys.cell("Limit", row: prod))
        #expect(limit.kind == .number && limit.number == 100 && limit.numberFormat == Self.moneyFormat)

        let created = try #require(try keys.cell("Created (UTC)", row: prod))
        #expect(created.kind == .number)
        #expect(created.styleIsDate, "created_at has format \(created.numberFormat)")
        let expected = Self.serial(GoldenReportFixture.now.addingTimeInterval(-200 * 86_400))
        #expect(abs((created.number ?? 0) - expected) < 1e-6, "created_at \(created.number ?? 0), expected \(expected)")
        #expect(created.numberFormat == "yyyy-mm-dd hh:mm:ss")
        // A null timestamp is an empty cell, not 1900-01-00.
        #expect(
            try keys.cell("Expires (UTC)", row: prod) == nil || keys.cell("Expires (UTC)", row: prod)?.kind == .blank)

        let flag = try #require(try keys.cell("Disabled", row: disabled))
        #expect(flag.kind == .boolean && flag.bool == true)
        #expect(try keys.cell("Disabled", row: prod)?.bool == false)
        #expect(try keys.cell("BYOK in limit", row: prod)?.kind == .boolean)
        let count = try #require(try keys.cell("Findings", row: disabled))
        #expect(count.kind == .number && count.number == 1)
        #expect(try keys.cell("Name", row: prod)?.kind == .string)
        let extra = try keys.cell("Other fields", row: keys.row(where: "Hash", is: GoldenReportFixture.hash("7")))
        #expect(extra?.text == "{\"rate_tier\":\"gold\"}")

        let findings = try Table(book.sheet(named: "Findings"))
        let firstSeen = try #require(try findings.cell("First seen (UTC)", row: 0))
        #expect(firstSeen.kind == .number && firstSeen.styleIsDate)
        #expect(abs((firstSeen.number ?? 0) - Self.serial(GoldenReportFixture.previousTakenAt)) < 1e-6)
        let suppressed = try #require(try findings.cell("Suppressed", row: 0))
        #expect(suppressed.kind == .boolean && suppressed.bool == true)
        // Booleans look alike in every sheet and application; a suppression's expiry is a date, not text.
        #expect(suppressed.numberFormat == flag.numberFormat && flag.numberFormat == "\"TRUE\";\"TRUE\";\"FALSE\"")
        let expires = try #require(try findings.cell("Suppression expires", row: 0))
        #expect(expires.kind == .number && expires.styleIsDate && expires.numberFormat == "yyyy-mm-dd")
        #expect(try findings.cell("Ticket", row: 0)?.text == "SEC-101")
        #expect(
            try findings.cell("Remediation (API call)", row: 0)?.text
                == "PATCH /api/v1/keys/\(GoldenReportFixture.hash("2")) {\"limit\": 50, \"limit_reset\": \"monthly\"}")
        #expect(try findings.cell("Owner", row: 0)?.text == "user_2alice")
        // Text from the API is stored as Text: editing the cell or saving as CSV cannot turn it into a formula.
        #expect(try findings.cell("Key name", row: 0)?.numberFormat == "@")
        #expect(try keys.cell("Label", row: prod)?.numberFormat == "@")

        // The summary: run clock as a date, spend as money.
        let summary = try book.sheet(named: "Summary")
        func value(_ label: String) -> XLSXReader.Cell? {
            guard let row = summary.rows.first(where: { $0.first?.text == label }) else { return nil }
            return row.first { $0.column == 1 }
        }
        let generated = try #require(value("Generated (UTC)"))
        #expect(generated.styleIsDate && abs((generated.number ?? 0) - Self.serial(GoldenReportFixture.now)) < 1e-6)
        let spend = try #require(value("Total (lifetime usage + BYOK)"))
        #expect(spend.kind == .number && spend.number == 1335.75 && spend.numberFormat == Self.moneyFormat)
        let since = try #require(value("Since the last run"))
        #expect(since.kind == .number && since.number == 54.5 && since.numberFormat == Self.moneyFormat)
        #expect(value("Listing consistent")?.kind == .boolean)
        #expect(value("Snapshot sha256")?.text == GoldenReportFixture.snapshotSHA256)

        // Changes: a spend row carries its amount as money.
        let changes = try Table(book.sheet(named: "Changes"))
        let added = try changes.row(where: "Change", is: "added")
        #expect(try changes.cell("Key name", row: added)?.text == "expiring-key")
        let spendRow = try changes.row(where: [("Key hash", GoldenReportFixture.hash("2")), ("Change", "spend")])
        let amount = try #require(try changes.cell("Amount", row: spendRow))
        #expect(amount.kind == .number && amount.number == 34.5 && amount.numberFormat == Self.moneyFormat)
        // A reconfigured limit: values as people read them (no JSON quotes), the difference as the amount.
        let limitRow = try changes.row(where: "Field or rule", is: "limit")
        #expect(try changes.cell("From", row: limitRow)?.text == "50")
        #expect(try changes.cell("To", row: limitRow)?.text == "100")
        #expect(try changes.cell("Amount", row: limitRow)?.number == 50)
        #expect(try changes.cell("Workspace", row: limitRow)?.text == "Production")
        // New and resolved findings carry the key's name, the rule and the severity.
        let resolved = try changes.row(where: "Change", is: "resolved finding")
        #expect(try changes.cell("Key name", row: resolved)?.text == "retired-key")
        #expect(try changes.cell("Field or rule", row: resolved)?.text == "no-limit")
        #expect(try changes.cell("From", row: resolved)?.text == "high")
        let new = try changes.row(where: "Change", is: "new finding")
        #expect(try changes.cell("Key name", row: new)?.text.isEmpty == false)
        #expect(try changes.cell("To", row: new)?.text.isEmpty == false)
        for row in changes.sheet.rows.dropFirst() {
            for cell in row where cell.text.hasPrefix("\"") { Issue.record("a JSON-quoted value: \(cell.text)") }
        }
    }

    @Test("a formula-looking name is written as a string")
    func formulaLookingNameIsAString() throws {
        let names: [Character: JSONValue] = [
            "4": "=HYPERLINK(\"http://x\",\"y\")", "6": "+SUM(1,2)", "7": "-1+2", "8": "@cmd|' /C calc'!A0",
        ]
        let (book, _) = try Self.workbook(GoldenReportFixture.context(names: names))
        let keys = try Table(book.sheet(named: "Keys"))
        for (digit, name) in names {
            let cell = try #require(
                try keys.cell("Name", row: keys.row(where: "Hash", is: GoldenReportFixture.hash(digit))))
            #expect(cell.kind == .string, "\(name.stringValue ?? "") is a \(cell.kind)")
            #expect(cell.formula == nil)
            #expect(cell.text == name.stringValue)
        }
        let findings = try Table(book.sheet(named: "Findings"))
        let row = try findings.row(where: "Key name", is: "=HYPERLINK(\"http://x\",\"y\")")
        #expect(try findings.cell("Key name", row: row)?.kind == .string)
        let xml = try #require(book.partText("xl/worksheets/sheet7.xml"))
        #expect(!xml.contains("<f>"), "the Keys sheet has a formula")
    }

    @Test("a 40,000-character name is cut to Excel's limit with the marker")
    func longNameIsCut() throws {
        let long = String(repeating: "0123456789", count: 4_000)
        let (book, _) = try Self.workbook(GoldenReportFixture.context(names: ["1": .string(long)]))
        let keys = try Table(book.sheet(named: "Keys"))
        let cell = try #require(try keys.cell("Name", row: keys.row(where: "Hash", is: GoldenReportFixture.hash("1"))))
        #expect(cell.kind == .string)
        #expect(cell.text.utf16.count <= 32_767, "\(cell.text.utf16.count) UTF-16 units")
        #expect(cell.text.utf16.count > 32_000)
        #expect(cell.text.hasSuffix(XLSXWorkbook.truncationMarker))
        #expect(long.hasPrefix(String(cell.text.dropLast(XLSXWorkbook.truncationMarker.count))))
        let findings = try Table(book.sheet(named: "Findings"))
        let name = try #require(
            try findings.cell("Key name", row: findings.row(where: "Key hash", is: GoldenReportFixture.hash("1"))))
        #expect(name.text.hasSuffix(XLSXWorkbook.truncationMarker) && name.text.utf16.count <= 32_767)
    }

    // MARK: - Layout features

    @Test("table sheets have a frozen header row and an autofilter over the whole table")
    func frozenHeaderAndAutofilter() throws {
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.workbook(context)
        let layout = try XLSXLayout.parse(try #require(EmbeddedTemplates.files[XLSXLayout.fileName]), name: "layout")
        for sheet in layout.sheets where !sheet.columns.isEmpty {
            let read = try book.sheet(named: sheet.name)
            let topLeft = Self.letters(sheet.freezeColumns) + "2"
            #expect(
                read.frozenPane
                    == XLSXReader.FrozenPane(rows: 1, columns: sheet.freezeColumns, topLeftCell: topLeft),
                "\(sheet.name)")
            let lastColumn = Self.letters(sheet.columns.count - 1)
            #expect(
                read.autoFilterRef == "A1:\(lastColumn)\(read.rowCount)",
                "\(sheet.name): \(read.autoFilterRef ?? "none")")
            // Header row as the layout says, bold header style.
            #expect(read.rows.first?.map(\.text) == sheet.columns.map(\.header))
            // Widths: the layout's where given, computed (not the default 8.43) elsewhere.
            for (index, column) in sheet.columns.enumerated() {
                let width = try #require(read.columnWidths[index], "\(sheet.name) column \(column.header) has no width")
                if let fixed = column.width { #expect(abs(width - fixed) < 1, "\(sheet.name).\(column.header)") }
                #expect(width >= Double(column.header.count), "\(sheet.name).\(column.header) is \(width) wide")
            }
        }
        #expect(try book.sheet(named: "Summary").autoFilterRef == nil)
        // Keys keeps its Name column in view as well as its header row.
        #expect(try book.sheet(named: "Keys").frozenPane?.columns == 1)
    }

    @Test("the Keys sheet has a column for every field keyaudit knows, plus the unknown ones")
    func keysSheetCoversEveryKnownField() throws {
        let layout = try XLSXLayout.parse(try #require(EmbeddedTemplates.files[XLSXLayout.fileName]), name: "layout")
        let keys = try #require(layout.sheets.first { $0.source == .keys })
        let fields = Set(keys.columns.map(\.field))
        let missing = Set(KeyRecord.knownFields).subtracting(fields)
        #expect(missing.isEmpty, "Keys sheet lacks \(missing.sorted())")
        #expect(fields.contains("extra"))
        // Headers of date columns say the time zone.
        for column in keys.columns where column.kind == .datetime {
            #expect(column.header.contains("UTC"), "\(column.header)")
        }
    }

    @Test("the severity column of Findings is coloured by conditional formats")
    func findingsSeverityIsColoured() throws {
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.workbook(context)
        let findings = try book.sheet(named: "Findings")
        #expect(findings.hasConditionalFormatting)
        let last = context.audit.findings.count + 1
        let rules = findings.conditionalFormats
        #expect(rules.count == Severity.allCases.count)
        for rule in rules {
            #expect(rule.range == "A2:A\(last)")
            #expect(rule.type == "cellIs" && rule.comparison == "equal")
            #expect(rule.dxfID != nil)
        }
        #expect(Set(rules.flatMap(\.formulas)) == Set(Severity.allCases.map { "\"\($0.rawValue)\"" }))
        #expect(try book.sheet(named: "Keys").hasConditionalFormatting == false)
    }

    @Test("document properties: author keyaudit, created at the run's clock")
    func documentProperties() throws {
        let (book, _) = try Self.workbook(GoldenReportFixture.context())
        #expect(book.coreProperties["creator"] == "keyaudit")
        #expect(book.coreProperties["created"] == "2026-11-26T03:00:00Z")
        #expect(book.coreProperties["title"]?.contains(GoldenReportFixture.runName) == true)
        #expect(book.coreProperties["subject"]?.isEmpty == false)
    }

    @Test("two renders of the same input are byte-identical")
    func reproducible() throws {
        let first = try Self.workbook(GoldenReportFixture.context()).bytes
        let second = try Self.workbook(GoldenReportFixture.context()).bytes
        #expect(!first.isEmpty)
        #expect(first == second)
        var later = GoldenReportFixture.context()
        later.generatedAt = later.generatedAt.addingTimeInterval(3_600)
        #expect(try Self.workbook(later).bytes != first, "the run clock does not reach the workbook")
    }

    @Test("without a previous run, Changes holds one row saying so")
    func firstRunChangesSheet() throws {
        let context = GoldenReportFixture.context(withPrevious: false)
        #expect(context.diff == nil)
        let (book, _) = try Self.workbook(context)
        #expect(book.sheetNames == Self.sheetNames)
        let changes = try book.sheet(named: "Changes")
        #expect(changes.rowCount == 1)
        #expect(changes.rows.first?.count == 1)
        let cell = try #require(changes.cell("A1"))
        #expect(cell.kind == .string)
        #expect(cell.text.lowercased().contains("no previous run"), "\(cell.text)")
        let summary = try book.sheet(named: "Summary")
        let previous = summary.rows.first { $0.first?.text == "Previous snapshot" }?.first { $0.column == 1 }
        #expect(previous?.text == "none (first run)")
        let since = summary.rows.first { $0.first?.text == "Since the last run" }?.first { $0.column == 1 }
        #expect(since?.text == "— (first run)")
        // A first run has a trend of one run and says so, without charts.
        let trend = try book.sheet(named: "Trend")
        #expect(trend.rows.contains { $0.first?.text.hasPrefix("No trend yet") == true })
        #expect(!book.parts.keys.contains { $0.hasPrefix("xl/charts/") })
    }

    // MARK: - Print, trend, owners, values a workbook cannot hold

    @Test("every sheet prints landscape on A4, one page wide, its header row on every page; Summary on one page")
    func printSetup() throws {
        let (book, _) = try Self.workbook(GoldenReportFixture.context())
        let workbookXML = try #require(book.partText("xl/workbook.xml"))
        for (index, name) in book.sheetNames.enumerated() {
            let xml = try #require(book.partText("xl/worksheets/sheet\(index + 1).xml"))
            #expect(xml.contains("orientation=\"landscape\""), "\(name) is not landscape")
            #expect(xml.contains("paperSize=\"9\""), "\(name) is not A4")
            #expect(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "\(name) is not fitted to the page")
            #expect(xml.contains("fitToWidth") == false || xml.contains("fitToWidth=\"1\""), "\(name)")
            if name == "Summary" {
                #expect(!xml.contains("fitToHeight=\"0\""), "the Summary prints on one page")
            } else {
                #expect(xml.contains("fitToHeight=\"0\""), "\(name) is not one page wide, as many tall")
                // The header row repeats on every printed page.
                #expect(
                    workbookXML.contains("name=\"_xlnm.Print_Titles\" localSheetId=\"\(index)\">\(name)!$1:$1<"),
                    "\(name) does not repeat its header row")
            }
            #expect(xml.contains("Page &amp;P of &amp;N"), "\(name) has no page numbers")
        }
    }

    @Test("the Trend sheet: one row per run and three native charts of the same numbers")
    func trendSheetHasCharts() throws {
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.workbook(context)
        let trend = try Table(book.sheet(named: "Trend"))
        let runs = context.history.runs.map(\.run) + [context.runName]
        for (index, run) in runs.enumerated() {
            #expect(try trend.cell("Run", row: index)?.text == run)
            #expect(try trend.cell("Taken at (UTC)", row: index)?.styleIsDate == true)
        }
        #expect(try trend.cell("Keys", row: 2)?.number == Double(context.snapshot.keys.count))
        #expect(try trend.cell("Spend since previous", row: 1)?.number == 41.5)
        let charts = book.parts.keys.filter { $0.hasPrefix("xl/charts/chart") }.sorted()
        #expect(charts.count == 3)
        let xml = charts.compactMap { book.partText($0) }.joined()
        #expect(xml.contains("<c:barChart>") && xml.contains("<c:lineChart>"))
        #expect(xml.contains("<c:grouping val=\"stacked\"/>"), "findings are stacked by severity")
        #expect(xml.contains("Trend!$C$2:$C$4"), "the keys chart draws the Keys column")
        // The drawing hangs off the Trend sheet (the fifth).
        #expect(book.partText("xl/worksheets/_rels/sheet5.xml.rels")?.contains("drawing") == true)
    }

    @Test("the Owners sheet: findings by workspace, then by creator")
    func ownersSheet() throws {
        let context = GoldenReportFixture.context()
        let (book, _) = try Self.workbook(context)
        let owners = try book.sheet(named: "Owners")
        #expect(owners.rows.first?.map(\.text).prefix(4) == ["Workspace", "Workspace id", "Keys", "Findings"])
        let production = try #require(owners.rows.first { $0.first?.text == "Production" })
        let unsuppressed = context.audit.findings.filter {
            !$0.suppressed && $0.workspaceId == GoldenReportFixture.workspaceA
        }
        #expect(production.first { $0.column == 3 }?.number == Double(unsuppressed.count))
        let creatorHeader = try #require(owners.rows.firstIndex { $0.first?.text == "Creator" })
        for creator in ["user_2alice", "user_7bob"] {
            let row = try #require(owners.rows[creatorHeader...].first { $0.first?.text == creator })
            let expected = context.audit.findings.count { finding in
                !finding.suppressed
                    && context.snapshot.keys.first { $0.identity == finding.keyHash }?.creatorUserId == creator
            }
            #expect(expected > 0)
            #expect(row.first { $0.column == 3 }?.number == Double(expected), "\(creator)")
        }
    }

    @Test("a date a workbook cannot hold is written as text, the run's workbook is complete, the key is flagged")
    func datesBefore1900AreText() throws {
        let old = GoldenReportFixture.keyObject(
            "f", name: "ancient", workspace: GoldenReportFixture.workspaceA,
            [("created_at", "1899-12-31T23:59:59Z"), ("updated_at", "0001-01-01T00:00:00Z")])
        let context = GoldenReportFixture.context(extraKeys: [old])
        let key = try #require(context.snapshot.keys.first { $0.name == "ancient" })
        #expect(key.createdAt != nil, "the value is kept")
        #expect(Set(key.problems.map(\.field)) == ["created_at", "updated_at"])
        #expect(context.audit.findings.contains { $0.rule == "unreadable-data" && $0.keyName == "ancient" })
        let (book, _) = try Self.workbook(context)
        let keys = try Table(book.sheet(named: "Keys"))
        let row = try keys.row(where: "Name", is: "ancient")
        let created = try #require(try keys.cell("Created (UTC)", row: row))
        #expect(created.kind == .string && created.text == "1899-12-31T23:59:59Z")
        #expect(try keys.cell("Updated (UTC)", row: row)?.text == "0001-01-01T00:00:00Z")
        // Dates from 1900 on are dates as before.
        #expect(
            try keys.cell("Created (UTC)", row: keys.row(where: "Hash", is: GoldenReportFixture.hash("1")))?.kind
                == .number)
    }

    @Test("more rows than a sheet holds end with a row saying how many more and where")
    func rowsBeyondTheSheet() throws {
        let folder = try GoldenReportFixture.scratchFolder("xlsx-rows")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("rows.xlsx")
        let workbook = try XLSXWorkbook(path: url.path, options: .init(constantMemory: true))
        let layout = try XLSXLayout.parse(try #require(EmbeddedTemplates.files[XLSXLayout.fileName]), name: "layout")
        let styles = try XLSXReport.Styles(workbook: workbook, layout: layout)
        let sheet = try workbook.addWorksheet(named: "Rows")
        let spec = XLSXLayout.Sheet(
            name: "Rows", source: .findings,
            columns: [
                .init(header: "N", field: "n", kind: .number, width: nil, numberFormat: nil, severityColours: false)
            ])
        try XLSXReport.writeTable(
            sheet, sheet: spec, rows: Array(0..<10), styles: styles, cells: [{ .integer($0) }], what: "findings",
            whereRest: "findings.json", maxRows: 6)
        try workbook.close()
        let read = try XLSXReader.read(url).sheet(named: "Rows")
        #expect(read.rowCount == 6)
        #expect(read.rows[4].first?.number == 3)
        #expect(read.rows[5].first?.text == "… 6 more findings do not fit in a sheet; findings.json holds them all.")
        #expect(read.autoFilterRef == "A1:A5")
    }
}
