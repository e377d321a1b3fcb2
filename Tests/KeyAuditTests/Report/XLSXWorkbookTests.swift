import Foundation
import Testing
import ZIPFoundation

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditReport
@testable import KeyAuditRun
@testable import KeyAuditSampleAccount
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// Every test writes a real .xlsx with `XLSXWorkbook` and proves the behaviour by reading it back with
/// `XLSXReader` (ZIPFoundation + XMLParser), never by trusting the writer.
@Suite("XLSX workbook wrapper")
struct XLSXWorkbookTests {
    /// 2026-11-26T12:00:00Z, Excel serial 46352.5.
    static let knownDate = Date(timeIntervalSince1970: 1_795_694_400)

    // MARK: - Helpers

    /// A temporary directory removed when the test ends (`defer { scratch.remove() }`).
    struct Scratch {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("keyaudit-xlsx-tests-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        func file(_ name: String = "test.xlsx") -> URL { directory.appendingPathComponent(name) }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Writes a workbook with `body`, closes it and reads it back.
    func roundTrip(
        _ options: XLSXWorkbook.Options = .init(), _ body: (XLSXWorkbook) throws -> Void
    ) throws -> XLSXReader.Workbook {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let url = scratch.file()
        let workbook = try XLSXWorkbook(url: url, options: options)
        try body(workbook)
        try workbook.close()
        return try XLSXReader.read(url)
    }

    func kind(of body: () throws -> Void) -> XLSXError.Kind? {
        do {
            try body()
            return nil
        } catch let error as XLSXError {
            return error.kind
        } catch {
            return nil
        }
    }

    // MARK: - Sheets

    @Test func sheetNamesComeBackInOrder() throws {
        let book = try roundTrip { workbook in
            for name in ["Summary", "Keys", "Findings", "Ünïcødé ✓"] {
                let sheet = try workbook.addWorksheet(named: name)
                try sheet.write(name, row: 0, column: 0)
            }
            #expect(workbook.sheetNames == ["Summary", "Keys", "Findings", "Ünïcødé ✓"])
        }
        #expect(book.sheetNames == ["Summary", "Keys", "Findings", "Ünïcødé ✓"])
        #expect(try book.sheet(named: "Findings").cell("A1")?.text == "Findings")
    }

    @Test(arguments: [
        ("Keys [2024]: a/b?*\\c", "Keys _2024__ a_b___c"),
        ("'quoted'", "quoted"),
        ("''", "Sheet"),
        ("", "Sheet"),
        ("history", "history_"),
        ("tab\there", "tab_here"),
        ("0123456789012345678901234567890123456789", "0123456789012345678901234567890"),
        ("012345678901234567890123456789'x", "012345678901234567890123456789"),
    ])
    func validSheetNameRepairsAnyString(raw: String, expected: String) throws {
        let name = XLSXWorkbook.validSheetName(raw)
        #expect(name == expected)
        #expect(XLSXWorkbook.sheetNameProblem(name) == nil)
    }

    @Test func validSheetNameNeverSplitsGraphemes() {
        // 30 ASCII + a flag (4 UTF-16 units): the flag cannot fit whole, so it is dropped entirely.
        let name = XLSXWorkbook.validSheetName(String(repeating: "a", count: 30) + "🇺🇸" + "tail")
        #expect(name == String(repeating: "a", count: 30))
        let accents = XLSXWorkbook.validSheetName(String(repeating: "e\u{301}", count: 20))
        #expect(accents.utf16.count == 30)
        #expect(accents.unicodeScalars.last == "\u{301}")
    }

    @Test func invalidAndDuplicateSheetNamesThrow() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file())
        let raw = "Findings: critical/high?"
        #expect(kind { _ = try workbook.addWorksheet(named: raw) } == .invalidSheetName)
        #expect(kind { _ = try workbook.addWorksheet(named: "") } == .invalidSheetName)
        #expect(kind { _ = try workbook.addWorksheet(named: "'Keys") } == .invalidSheetName)
        #expect(kind { _ = try workbook.addWorksheet(named: String(repeating: "x", count: 32)) } == .invalidSheetName)
        let fixed = XLSXWorkbook.validSheetName(raw)
        _ = try workbook.addWorksheet(named: fixed)
        #expect(kind { _ = try workbook.addWorksheet(named: fixed) } == .duplicateSheetName)
        #expect(kind { _ = try workbook.addWorksheet(named: fixed.uppercased()) } == .duplicateSheetName)
        #expect(kind { _ = try workbook.addWorksheet(named: "ÉTÉ") } == nil)
        #expect(kind { _ = try workbook.addWorksheet(named: "été") } == .duplicateSheetName)
        #expect(workbook.availableSheetName(for: raw) == fixed + " (2)")
        let long = String(repeating: "k", count: 40)
        _ = try workbook.addWorksheet(named: workbook.availableSheetName(for: long))
        let second = workbook.availableSheetName(for: long)
        #expect(second == String(repeating: "k", count: 27) + " (2)")
        _ = try workbook.addWorksheet(named: second)
        try workbook.close()
        let book = try XLSXReader.read(scratch.file())
        #expect(book.sheetNames == [fixed, "ÉTÉ", String(repeating: "k", count: 31), second])
    }

    // MARK: - Cell values

    @Test(arguments: [false, true])
    func numbersBooleansAndDates(constantMemory: Bool) throws {
        let book = try roundTrip(.init(constantMemory: constantMemory)) { workbook in
            let sheet = try workbook.addWorksheet(named: "Values")
            let money = try workbook.format(.money)
            try sheet.write(1234.5, row: 0, column: 0, format: money)
            try sheet.write(42, row: 0, column: 1)
            try sheet.write(true, row: 0, column: 2)
            try sheet.write(false, row: 0, column: 3)
            try sheet.write(Self.knownDate, row: 0, column: 4)
            // Sub-second parts are dropped (rounded down), not rounded up to the next second.
            try sheet.write(Self.knownDate.addingTimeInterval(0.999), row: 0, column: 5)
            try sheet.write(Self.knownDate, row: 0, column: 6, format: try workbook.format(XLSXFormat(bold: true)))
            try sheet.write(
                Self.knownDate, row: 0, column: 7, format: try workbook.format(XLSXFormat(numberFormat: "yyyy-mm-dd")))
            try sheet.write(.integer(7), row: 1, column: 0)
            try sheet.write(.string("value"), row: 1, column: 1)
            try sheet.write(.bool(true), row: 1, column: 2)
            try sheet.write(.date(Self.knownDate), row: 1, column: 3)
            try sheet.write(.number(0.25), row: 1, column: 4, format: money)
            try sheet.write(.blank, row: 1, column: 5, format: money)
        }
        let sheet = try book.sheet(named: "Values")
        let amount = try #require(sheet.cell("A1"))
        #expect(amount.kind == .number)
        #expect(amount.number == 1234.5)
        #expect(amount.numberFormat == "$#,##0.00")
        #expect(!amount.styleIsDate)
        #expect(sheet.cell("B1")?.number == 42)
        #expect(sheet.cell("B1")?.numberFormat == "General")
        #expect(sheet.cell("C1")?.kind == .boolean)
        #expect(sheet.cell("C1")?.bool == true)
        #expect(sheet.cell("D1")?.kind == .boolean)
        #expect(sheet.cell("D1")?.bool == false)
        for reference in ["E1", "F1", "G1", "H1", "D2"] {
            let date = try #require(sheet.cell(reference))
            #expect(date.kind == .number, "\(reference)")
            #expect(date.number == 46352.5, "\(reference)")
            #expect(date.styleIsDate, "\(reference)")
        }
        #expect(sheet.cell("E1")?.numberFormat == "yyyy-mm-dd hh:mm:ss")
        #expect(sheet.cell("H1")?.numberFormat == "yyyy-mm-dd")
        #expect(sheet.cell("A2")?.number == 7)
        #expect(sheet.cell("B2")?.text == "value")
        #expect(sheet.cell("C2")?.bool == true)
        #expect(sheet.cell("E2")?.numberFormat == "$#,##0.00")
        #expect(sheet.cell("F2")?.kind == .blank)
        #expect(sheet.cell("F2")?.numberFormat == "$#,##0.00")
    }

    @Test func excelSerialNumbersFollowTheNineteenHundredDateSystem() {
        func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
        #expect(XLSXWorksheet.excelSerial(date(0)) == 25569)
        #expect(XLSXWorksheet.excelSerial(date(1_795_694_400)) == 46352.5)
        #expect(XLSXWorksheet.excelSerial(date(1_795_694_400 + 1)) == 46352.5 + 1.0 / 86400)
        #expect(XLSXWorksheet.excelSerial(date(-2_208_988_800)) == 1)  // 1900-01-01
        #expect(XLSXWorksheet.excelSerial(date(-2_203_956_000)) == 59.25)  // 1900-02-28 06:00
        #expect(XLSXWorksheet.excelSerial(date(-2_203_891_200)) == 61)  // 1900-03-01 (60 is Excel's 1900-02-29)
        #expect(XLSXWorksheet.excelSerial(date(-1)) == 25568 + 86399.0 / 86400)
        #expect(XLSXWorksheet.excelSerial(date(-2_208_988_801)) == nil)
        #expect(XLSXWorksheet.excelSerial(date(253_402_300_800)) == nil)
        #expect(XLSXWorksheet.excelSerial(date(.nan)) == nil)
    }

    @Test func datesOutsideExcelsRangeThrow() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file())
        let sheet = try workbook.addWorksheet(named: "Dates")
        #expect(
            kind { try sheet.write(Date(timeIntervalSince1970: -3_000_000_000), row: 0, column: 0) } == .invalidArgument
        )
        #expect(kind { try sheet.write(Date(timeIntervalSince1970: 3e11), row: 0, column: 0) } == .invalidArgument)
        try workbook.close()
    }

    @Test(arguments: [false, true])
    func formulaLikeTextStaysText(constantMemory: Bool) throws {
        let values = [
            "=HYPERLINK(\"http://x\",\"y\")", "+1", "-1", "@SUM(A1)", "=1+1", "=cmd|' /C calc'!A0", "\t=1", "",
        ]
        let book = try roundTrip(.init(constantMemory: constantMemory)) { workbook in
            let sheet = try workbook.addWorksheet(named: "Injection")
            for (row, value) in values.enumerated() where !value.isEmpty {
                try sheet.write(value, row: row, column: 0)
            }
        }
        let sheet = try book.sheet(named: "Injection")
        for (row, value) in values.enumerated() where !value.isEmpty {
            let cell = try #require(sheet.cell("A\(row + 1)"))
            #expect(cell.kind == .string, "\(value)")
            #expect(cell.text == value)
            #expect(cell.formula == nil)
            #expect(cell.isInlineString == constantMemory)
        }
        let xml = try #require(book.partText("xl/worksheets/sheet1.xml"))
        #expect(!xml.contains("<f>"))
        #expect(!xml.contains("<f "))
    }

    @Test func longTextIsCutWithAVisibleMarker() throws {
        let long = String(repeating: "abcdefghij", count: 4_000)  // 40,000 characters
        // Surrogate pairs and multi-scalar graphemes placed across the cut point.
        let emoji = "a" + String(repeating: "😀", count: 20_000)  // 40,001 UTF-16 units
        let flags = String(repeating: "🇺🇸", count: 10_000)  // 4 units per grapheme
        let accents = String(repeating: "e\u{301}", count: 20_000)  // 2 units per grapheme
        let exact = String(repeating: "x", count: XLSXWorkbook.maxStringLength)
        let inputs = [long, emoji, flags, accents, exact]
        let book = try roundTrip { workbook in
            let sheet = try workbook.addWorksheet(named: "Long")
            for (row, text) in inputs.enumerated() { try sheet.write(text, row: row, column: 0) }
        }
        let sheet = try book.sheet(named: "Long")
        for (row, original) in inputs.enumerated() {
            let text = try #require(sheet.cell("A\(row + 1)")?.text)
            #expect(text.utf16.count <= 32_767)
            if original.utf16.count <= 32_767 {
                #expect(text == original)
                continue
            }
            #expect(text.hasSuffix(XLSXWorkbook.truncationMarker))
            let kept = String(text.dropLast(XLSXWorkbook.truncationMarker.count))
            #expect(original.hasPrefix(kept))
            #expect(kept.utf16.count > 32_767 - XLSXWorkbook.truncationMarker.utf16.count - 4)
            // Whole graphemes only: the kept part is a prefix in Characters, not just in code units.
            #expect(Array(original.prefix(kept.count)) == Array(kept))
        }
        let accentsKept = try #require(sheet.cell("A4")?.text).dropLast(XLSXWorkbook.truncationMarker.count)
        #expect(accentsKept.unicodeScalars.last == "\u{301}")
    }

    @Test func textThatExcelWouldAlterIsEscaped() throws {
        let values = [
            "literal _x0041_ stays", "_x005F_", "bell\u{7}", "nul\u{0}byte", "keep_x_41_", "tab\tand\nnewline",
        ]
        let book = try roundTrip { workbook in
            let sheet = try workbook.addWorksheet(named: "Escapes")
            for (row, value) in values.enumerated() { try sheet.write(value, row: row, column: 0) }
        }
        let sheet = try book.sheet(named: "Escapes")
        #expect(sheet.cell("A1")?.text == "literal _x0041_ stays")
        #expect(sheet.cell("A2")?.text == "_x005F_")
        #expect(sheet.cell("A3")?.text == "bell\u{7}")
        #expect(sheet.cell("A4")?.text == "nul\u{FFFD}byte")
        #expect(sheet.cell("A5")?.text == "keep_x_41_")
        #expect(sheet.cell("A6")?.text == "tab\tand\nnewline")
    }

    @Test func emptyTextWritesNothingUnlessFormatted() throws {
        let book = try roundTrip { workbook in
            let sheet = try workbook.addWorksheet(named: "Empty")
            try sheet.write("", row: 0, column: 0)
            try sheet.write("", row: 0, column: 1, format: try workbook.format(.header))
            try sheet.write("x", row: 0, column: 2)
        }
        let sheet = try book.sheet(named: "Empty")
        #expect(sheet.cell("A1") == nil)
        #expect(sheet.cell("B1")?.kind == .blank)
        #expect(sheet.cell("C1")?.text == "x")
    }

    @Test(arguments: [XLSXWorkbook.NonFiniteNumberPolicy.text, .blank])
    func nonFiniteNumbersAreNeverNumeric(policy: XLSXWorkbook.NonFiniteNumberPolicy) throws {
        let money = XLSXFormat.money
        let book = try roundTrip(.init(nonFiniteNumbers: policy)) { workbook in
            let sheet = try workbook.addWorksheet(named: "NaN")
            try sheet.write(Double.nan, row: 0, column: 0)
            try sheet.write(Double.infinity, row: 0, column: 1)
            try sheet.write(-Double.infinity, row: 0, column: 2)
            try sheet.write(Double.nan, row: 0, column: 3, format: try workbook.format(money))
            try sheet.write(.number(-.infinity), row: 0, column: 4)
            try sheet.write(1.5, row: 0, column: 5)
        }
        let sheet = try book.sheet(named: "NaN")
        for reference in ["A1", "B1", "C1", "D1", "E1"] {
            #expect(sheet.cell(reference)?.kind != .number, "\(reference)")
        }
        switch policy {
        case .text:
            #expect(sheet.cell("A1")?.text == "NaN")
            #expect(sheet.cell("B1")?.text == "Infinity")
            #expect(sheet.cell("C1")?.text == "-Infinity")
            #expect(sheet.cell("D1")?.text == "NaN")
            #expect(sheet.cell("E1")?.kind == .string)
        case .blank:
            #expect(sheet.cell("A1") == nil)
            #expect(sheet.cell("D1")?.kind == .blank)
        }
        #expect(sheet.cell("F1")?.number == 1.5)
    }

    // MARK: - Limits and constant-memory mode

    @Test func rowAndColumnLimitsAreChecked() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file())
        let sheet = try workbook.addWorksheet(named: "Limits")
        #expect(kind { try sheet.write("x", row: 1_048_576, column: 0) } == .cellOutOfRange)
        #expect(kind { try sheet.write(1, row: 0, column: 16_384) } == .cellOutOfRange)
        #expect(kind { try sheet.write(true, row: -1, column: 0) } == .cellOutOfRange)
        #expect(kind { try sheet.write(Self.knownDate, row: 0, column: -1) } == .cellOutOfRange)
        #expect(
            kind { try sheet.autoFilter(firstRow: 0, firstColumn: 0, lastRow: 1_048_576, lastColumn: 1) }
                == .cellOutOfRange)
        #expect(kind { try sheet.setColumnWidth(10, column: 16_384) } == .cellOutOfRange)
        #expect(kind { try sheet.setColumnWidth(300, column: 0) } == .invalidArgument)
        try sheet.write("last", row: 1_048_575, column: 16_383)
        try workbook.close()
        let book = try XLSXReader.read(scratch.file())
        #expect(try book.sheet(named: "Limits").cell("XFD1048576")?.text == "last")
    }

    @Test func constantMemoryWritesAHundredThousandRows() throws {
        let rows = 100_000
        let book = try roundTrip(.init(constantMemory: true)) { workbook in
            let sheet = try workbook.addWorksheet(named: "Big")
            try sheet.write("id", row: 0, column: 0)
            try sheet.write("value", row: 0, column: 1)
            for row in 1...rows {
                try sheet.write("key-\(row)", row: row, column: 0)
                try sheet.write(Double(row), row: row, column: 1)
            }
        }
        let sheet = try book.sheet(named: "Big")
        #expect(sheet.rowCount == rows + 1)
        #expect(sheet.cell("A100001")?.text == "key-100000")
        #expect(sheet.cell("A100001")?.isInlineString == true)
        #expect(sheet.cell("B100001")?.number == 100_000)
        #expect(sheet.rows.allSatisfy { $0.count == 2 })
        #expect(book.parts["xl/sharedStrings.xml"] == nil)
    }

    @Test func constantMemoryRejectsAnEarlierRow() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file(), options: .init(constantMemory: true))
        let sheet = try workbook.addWorksheet(named: "Stream")
        try sheet.write("b", row: 5, column: 1)
        try sheet.write("a", row: 5, column: 0)  // same row, earlier column: fine
        try sheet.write("c", row: 6, column: 0)
        var thrown: XLSXError?
        do { try sheet.write("late", row: 5, column: 2) } catch let error as XLSXError { thrown = error }
        #expect(thrown?.kind == .rowOutOfOrder)
        #expect(thrown?.context.contains("row 5, column 2") == true)
        #expect(thrown?.context.contains("sheet Stream") == true)
        // Sheets are independent.
        let other = try workbook.addWorksheet(named: "Other")
        try other.write(1, row: 0, column: 0)
        try workbook.close()
        let book = try XLSXReader.read(scratch.file())
        let read = try book.sheet(named: "Stream")
        #expect(read.cell("A6")?.text == "a")
        #expect(read.cell("B6")?.text == "b")
        #expect(read.cell("A7")?.text == "c")
        #expect(read.cell("C6") == nil)
    }

    @Test func normalModeAcceptsAnyRowOrder() throws {
        let book = try roundTrip { workbook in
            let sheet = try workbook.addWorksheet(named: "Random")
            try sheet.write("later", row: 9, column: 0)
            try sheet.write("earlier", row: 2, column: 0)
        }
        let sheet = try book.sheet(named: "Random")
        #expect(sheet.cell("A3")?.text == "earlier")
        #expect(sheet.cell("A10")?.text == "later")
    }

    // MARK: - Life cycle

    @Test func closeTwiceAndUseAfterCloseThrow() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file())
        let sheet = try workbook.addWorksheet(named: "Keys")
        let bold = try workbook.format(XLSXFormat(bold: true))
        try sheet.write("before", row: 0, column: 0, format: bold)
        #expect(!workbook.isClosed)
        try workbook.close()
        #expect(workbook.isClosed)
        #expect(kind { try workbook.close() } == .workbookClosed)
        #expect(kind { try sheet.write("after", row: 1, column: 0) } == .workbookClosed)
        #expect(kind { try sheet.write("after", row: 1, column: 0, format: bold) } == .workbookClosed)
        #expect(kind { try sheet.write(1.0, row: 1, column: 0) } == .workbookClosed)
        #expect(kind { try sheet.write(Self.knownDate, row: 1, column: 0) } == .workbookClosed)
        #expect(kind { try sheet.writeBlank(row: 1, column: 0, format: bold) } == .workbookClosed)
        #expect(kind { try sheet.freezePanes(rows: 1, columns: 0) } == .workbookClosed)
        #expect(kind { try sheet.setColumnWidth(10, column: 0) } == .workbookClosed)
        #expect(
            kind { try sheet.autoFilter(firstRow: 0, firstColumn: 0, lastRow: 1, lastColumn: 1) } == .workbookClosed)
        #expect(
            kind {
                try sheet.addConditionalFormat(
                    .equalsText("x"), firstRow: 0, firstColumn: 0, lastRow: 1, lastColumn: 0, format: bold)
            } == .workbookClosed)
        #expect(kind { _ = try workbook.addWorksheet(named: "More") } == .workbookClosed)
        #expect(kind { _ = try workbook.format(XLSXFormat(bold: true)) } == .workbookClosed)
        #expect(kind { try workbook.setProperties(.init(title: "t")) } == .workbookClosed)
        let book = try XLSXReader.read(scratch.file())
        #expect(try book.sheet(named: "Keys").cell("A1")?.text == "before")
        #expect(try book.sheet(named: "Keys").cell("A2") == nil)
    }

    @Test func deinitClosesAnUnclosedWorkbook() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let url = scratch.file()
        do {
            let workbook = try XLSXWorkbook(url: url, options: .init(constantMemory: true))
            let sheet = try workbook.addWorksheet(named: "Orphan")
            try sheet.write("written without close", row: 0, column: 0)
        }
        let book = try XLSXReader.read(url)
        #expect(try book.sheet(named: "Orphan").cell("A1")?.text == "written without close")
    }

    @Test func aFailedCloseReportsTheLibraryErrorAndStaysClosed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let directory = scratch.directory.appendingPathComponent("gone", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let workbook = try XLSXWorkbook(url: directory.appendingPathComponent("lost.xlsx"))
        try workbook.addWorksheet(named: "Keys").write("x", row: 0, column: 0)
        try FileManager.default.removeItem(at: directory)
        var thrown: XLSXError?
        do { try workbook.close() } catch let error as XLSXError { thrown = error }
        guard case .library(let code) = thrown?.kind else {
            Issue.record("expected a library error, got \(String(describing: thrown))")
            return
        }
        #expect(code == 2)  // LXW_ERROR_CREATING_XLSX_FILE
        // The message is lxw_strerror(LXW_ERROR_CREATING_XLSX_FILE).
        #expect(thrown?.message == "Error creating output xlsx file. Usually a permissions error.")
        #expect(thrown?.context.contains("closing workbook") == true)
        #expect(workbook.isClosed)
        #expect(kind { try workbook.close() } == .workbookClosed)
    }

    @Test func unwritableDestinationsFailAtCreation() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let missing = scratch.directory.appendingPathComponent("missing/out.xlsx")
        #expect(kind { _ = try XLSXWorkbook(url: missing) } == .fileNotWritable)
        let badTmp = XLSXWorkbook.Options(constantMemory: true, tmpdir: scratch.directory.path + "/nope")
        #expect(kind { _ = try XLSXWorkbook(url: scratch.file(), options: badTmp) } == .fileNotWritable)
        #expect(kind { _ = try XLSXWorkbook(path: "") } == .invalidArgument)
    }

    @Test func anEmptyTmpdirMeansTheCurrentDirectory() throws {
        let book = try roundTrip(.init(constantMemory: true, tmpdir: "")) { workbook in
            try workbook.addWorksheet(named: "S").write("ok", row: 0, column: 0)
        }
        #expect(try book.sheet(named: "S").cell("A1")?.text == "ok")
    }

    @Test func tmpdirAndZip64OptionsWork() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tmp = scratch.directory.appendingPathComponent("tmp", isDirectory: true)
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let book = try roundTrip(.init(constantMemory: true, tmpdir: tmp.path, useZip64: true)) { workbook in
            let sheet = try workbook.addWorksheet(named: "Zip64")
            for row in 0..<100 { try sheet.write(row, row: row, column: 0) }
        }
        #expect(try book.sheet(named: "Zip64").rowCount == 100)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }

    // MARK: - Properties and reproducibility

    func writeReport(to url: URL, created: Date) throws {
        let workbook = try XLSXWorkbook(url: url)
        try workbook.setProperties(
            .init(
                title: "Key audit", subject: "OpenRouter keys", author: "keyaudit", company: "Example Corp",
                comments: "generated", keywords: "audit, keys", created: created))
        let sheet = try workbook.addWorksheet(named: "Keys")
        let header = try workbook.format(.header)
        for (column, title) in ["Key", "Severity", "Spend", "Seen"].enumerated() {
            try sheet.write(title, row: 0, column: column, format: header)
        }
        for row in 1...50 {
            try sheet.write("sk-or-\(row)", row: row, column: 0)
            try sheet.write(["critical", "high", "medium", "low", "info"][row % 5], row: row, column: 1)
            try sheet.write(Double(row) * 1.25, row: row, column: 2, format: try workbook.format(.money))
            try sheet.write(created.addingTimeInterval(Double(row) * 60), row: row, column: 3)
        }
        try workbook.close()
    }

    @Test func sameInputAndCreatedDateGiveByteIdenticalFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = scratch.file("first.xlsx")
        let second = scratch.file("second.xlsx")
        try writeReport(to: first, created: Self.knownDate)
        try writeReport(to: second, created: Self.knownDate)
        let firstData = try Data(contentsOf: first)
        #expect(!firstData.isEmpty)
        #expect(firstData == (try Data(contentsOf: second)))
        let third = scratch.file("third.xlsx")
        try writeReport(to: third, created: Self.knownDate.addingTimeInterval(86_400))
        #expect(firstData != (try Data(contentsOf: third)))
    }

    @Test func documentPropertiesAreWritten() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try writeReport(to: scratch.file(), created: Self.knownDate.addingTimeInterval(0.75))
        let book = try XLSXReader.read(scratch.file())
        #expect(book.coreProperties["title"] == "Key audit")
        #expect(book.coreProperties["subject"] == "OpenRouter keys")
        #expect(book.coreProperties["creator"] == "keyaudit")
        #expect(book.coreProperties["keywords"] == "audit, keys")
        #expect(book.coreProperties["description"] == "generated")
        #expect(book.coreProperties["created"] == "2026-11-26T12:00:00Z")
        #expect(book.appProperties["Company"] == "Example Corp")
    }

    @Test func propertyTextIsKeptReadable() throws {
        let book = try roundTrip { workbook in
            try workbook.setProperties(.init(title: "a<b>&\"c\" \u{1}bell", author: "line\nbreak"))
            try workbook.addWorksheet(named: "S").write(1, row: 0, column: 0)
        }
        #expect(book.coreProperties["title"] == "a<b>&\"c\" \u{FFFD}bell")
        #expect(book.coreProperties["creator"] == "line\nbreak")
    }

    @Test func theUnixEpochAsCreatedDateStaysReproducible() throws {
        // libxlsxwriter reads created == 0 as "now"; the wrapper stores one second later instead.
        let book = try roundTrip { workbook in
            try workbook.setProperties(.init(created: Date(timeIntervalSince1970: 0)))
            try workbook.addWorksheet(named: "S").write(1, row: 0, column: 0)
        }
        #expect(book.coreProperties["created"] == "1970-01-01T00:00:01Z")
    }

    // MARK: - Layout and formats

    @Test(arguments: [false, true])
    func autoFilterFreezePanesAndColumnWidths(constantMemory: Bool) throws {
        let book = try roundTrip(.init(constantMemory: constantMemory)) { workbook in
            // Layout after the data (allowed in constant-memory mode too: it is written at close)...
            let sheet = try workbook.addWorksheet(named: "Keys")
            for row in 0...10 {
                for column in 0...2 { try sheet.write("r\(row)c\(column)", row: row, column: column) }
            }
            try sheet.setColumnWidth(30, column: 0)
            try sheet.setColumnWidth(12, columns: 1...2)
            try sheet.freezePanes(rows: 1, columns: 0)
            try sheet.autoFilter(firstRow: 0, firstColumn: 0, lastRow: 10, lastColumn: 2)
            // ...or before it.
            let other = try workbook.addWorksheet(named: "Both")
            try other.freezePanes(rows: 2, columns: 1)
            try other.setColumnWidth(8, column: 3)
            try other.write("x", row: 0, column: 0)
        }
        let sheet = try book.sheet(named: "Keys")
        #expect(sheet.autoFilterRef == "A1:C11")
        #expect(sheet.frozenPane == XLSXReader.FrozenPane(rows: 1, columns: 0, topLeftCell: "A2"))
        #expect(abs((sheet.columnWidths[0] ?? 0) - 30.71) < 0.01)
        #expect(sheet.columnWidths[2] != nil)
        #expect(
            try book.sheet(named: "Both").frozenPane == XLSXReader.FrozenPane(rows: 2, columns: 1, topLeftCell: "B3"))
        #expect(try book.sheet(named: "Both").autoFilterRef == nil)
        #expect(try book.sheet(named: "Both").columnWidths[3] != nil)
        #expect(sheet.cell("C11")?.text == "r10c2")
    }

    @Test(arguments: [false, true])
    func severityColumnGetsConditionalFormats(constantMemory: Bool) throws {
        let severities = ["critical", "high", "medium", "low", "info"]
        let colours: [XLSXColor] = [.red, XLSXColor(rgb: 0xFF9900), XLSXColor(rgb: 0xFFEB9C), .white, .black]
        let book = try roundTrip(.init(constantMemory: constantMemory)) { workbook in
            let sheet = try workbook.addWorksheet(named: "Findings")
            try sheet.write("Severity", row: 0, column: 0)
            for row in 1...20 { try sheet.write(severities[row % 5], row: row, column: 0) }
            for (severity, colour) in zip(severities, colours) {
                let format = try workbook.format(XLSXFormat(bold: true, fontColor: .white, backgroundColor: colour))
                try sheet.addConditionalFormat(
                    .equalsText(severity), firstRow: 1, firstColumn: 0, lastRow: 20, lastColumn: 0, format: format)
            }
            let quote = try workbook.format(XLSXFormat(italic: true))
            try sheet.addConditionalFormat(
                .equalsText("say \"hi\""), firstRow: 1, firstColumn: 0, lastRow: 20, lastColumn: 0, format: quote)
            try sheet.addConditionalFormat(
                .equalsNumber(3), firstRow: 1, firstColumn: 1, lastRow: 20, lastColumn: 1, format: quote)
        }
        let sheet = try book.sheet(named: "Findings")
        #expect(sheet.hasConditionalFormatting)
        #expect(sheet.conditionalFormats.count == 7)
        for (index, severity) in severities.enumerated() {
            let rule = sheet.conditionalFormats[index]
            #expect(rule.range == "A2:A21")
            #expect(rule.type == "cellIs")
            #expect(rule.comparison == "equal")
            #expect(rule.formulas == ["\"\(severity)\""])
            #expect(rule.dxfID == index)
        }
        #expect(sheet.conditionalFormats[5].formulas == ["\"say \"\"hi\"\"\""])
        #expect(sheet.conditionalFormats[6].formulas == ["3"])
        #expect(sheet.conditionalFormats[6].range == "B2:B21")
        let styles = try #require(book.partText("xl/styles.xml"))
        #expect(styles.contains("<dxfs count=\"6\">"))
        #expect(styles.contains("FFFF0000"))
    }

    @Test func conditionalFormatArgumentsAreValidated() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file())
        let sheet = try workbook.addWorksheet(named: "S")
        let format = try workbook.format(XLSXFormat(bold: true))
        #expect(
            kind {
                try sheet.addConditionalFormat(
                    .equalsText(String(repeating: "x", count: 256)), firstRow: 0, firstColumn: 0, lastRow: 1,
                    lastColumn: 0, format: format)
            } == .invalidArgument)
        #expect(
            kind {
                try sheet.addConditionalFormat(
                    .equalsNumber(.nan), firstRow: 0, firstColumn: 0, lastRow: 1, lastColumn: 0, format: format)
            } == .invalidArgument)
        #expect(
            kind {
                try sheet.addConditionalFormat(
                    .equalsText("x"), firstRow: 5, firstColumn: 0, lastRow: 1, lastColumn: 0, format: format)
            } == .cellOutOfRange)
        try workbook.close()
    }

    @Test func formatsAreCachedPerSpecAndPerWorkbook() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file("a.xlsx"))
        let other = try XLSXWorkbook(url: scratch.file("b.xlsx"))
        let money = try workbook.format(.money)
        #expect(try workbook.format(XLSXFormat(numberFormat: "$#,##0.00")) == money)
        #expect(try workbook.format(XLSXFormat(bold: true, numberFormat: "$#,##0.00")) != money)
        let foreign = try other.format(.money)
        let sheet = try workbook.addWorksheet(named: "S")
        #expect(kind { try sheet.write(1, row: 0, column: 0, format: foreign) } == .invalidArgument)
        #expect(kind { try sheet.write(Self.knownDate, row: 0, column: 0, format: foreign) } == .invalidArgument)
        #expect(
            kind { _ = try workbook.format(XLSXFormat(numberFormat: String(repeating: "0", count: 128))) }
                == .invalidArgument)
        let full = XLSXFormat(
            bold: true, italic: true, fontColor: XLSXColor(hex: "#1F4E78"), backgroundColor: XLSXColor(hex: "DDEBF7"),
            numberFormat: "0.0%", textWrap: true, horizontalAlignment: .center, verticalAlignment: .top, border: .thin,
            borderColor: .black)
        try sheet.write(0.5, row: 0, column: 0, format: try workbook.format(full))
        try workbook.close()
        try other.close()
        let book = try XLSXReader.read(scratch.file("a.xlsx"))
        let cell = try #require(try book.sheet(named: "S").cell("A1"))
        #expect(cell.numberFormat == "0.0%")
        let styles = try #require(book.partText("xl/styles.xml"))
        #expect(styles.contains("FF1F4E78"))
        #expect(styles.contains("FFDDEBF7"))
        #expect(styles.contains("wrapText=\"1\""))
        #expect(styles.contains("horizontal=\"center\""))
        #expect(XLSXColor(hex: "nothex") == nil)
    }

    @Test func cellReferences() {
        #expect(XLSXWorksheet.cellReference(row: 0, column: 0) == "A1")
        #expect(XLSXWorksheet.cellReference(row: 4, column: 2) == "C5")
        #expect(XLSXWorksheet.cellReference(row: 0, column: 25) == "Z1")
        #expect(XLSXWorksheet.cellReference(row: 0, column: 26) == "AA1")
        #expect(XLSXWorksheet.cellReference(row: 1_048_575, column: 16_383) == "XFD1048576")
    }

    @Test func errorsDescribeWhatWasBeingDone() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let workbook = try XLSXWorkbook(url: scratch.file())
        let sheet = try workbook.addWorksheet(named: "Keys")
        var thrown: XLSXError?
        do { try sheet.write("x", row: 5, column: 99_999) } catch let error as XLSXError { thrown = error }
        #expect(thrown?.description.contains("writing a string to row 5, column 99999 of sheet Keys") == true)
        try workbook.close()
    }
}
