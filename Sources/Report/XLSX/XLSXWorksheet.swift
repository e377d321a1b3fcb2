import CXLSXWriter
import Foundation
import KeyAuditCore

/// A cell value for `XLSXWorksheet.write(_:row:column:format:)`.
package enum XLSXValue: Equatable, Sendable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case date(Date)
    case blank
}

/// A conditional-format rule (`worksheet_conditional_format_range`).
package enum XLSXConditionalRule: Equatable, Sendable {
    /// The cell's value equals this text (Excel compares case-insensitively). At most 255 UTF-16 units, no control
    /// characters. Written as the rule `cellIs equal "text"` (quotes inside doubled).
    case equalsText(String)
    /// The cell's value equals this number.
    case equalsNumber(Double)
}

/// One worksheet of an `XLSXWorkbook` (from `XLSXWorkbook.addWorksheet(named:)`).
///
/// Rows and columns are zero-based (row 0, column 0 is A1). Every call throws `XLSXError` instead of touching
/// freed memory once the workbook is closed. The sheet keeps its workbook alive.
///
/// Rules enforced for every caller:
/// - Text is always written with `worksheet_write_string`, never as a formula: `=1+1`, `+1`, `-1`, `@SUM(A1)` stay
///   text. (There is deliberately no formula writer.)
/// - Text over 32,767 UTF-16 units (Excel's limit) is cut between grapheme clusters and ends with
///   `XLSXWorkbook.truncationMarker` (`…[truncated]`), the whole being at most 32,767 units.
/// - Text that Excel would alter is escaped: a literal `_xHHHH_` is written as `_x005F_xHHHH_` so that Excel
///   shows it as typed; U+0000, U+FFFE and U+FFFF (not allowed in XML) become U+FFFD. libxlsxwriter itself escapes
///   the other control characters. An empty string without a format writes nothing (libxlsxwriter's rule); with a
///   format it writes a blank cell.
/// - NaN and ±infinity are never numeric cells: see `XLSXWorkbook.Options.nonFiniteNumbers` (text `NaN`,
///   `Infinity`, `-Infinity` by default).
/// - In constant-memory mode rows must be written in ascending order (any column order within a row): an earlier
///   row throws `.rowOutOfOrder` (libxlsxwriter would otherwise fail with an unclear "index out of range" or lose
///   the cell).
/// - Row < 1,048,576 and column < 16,384, else `.cellOutOfRange`.
package final class XLSXWorksheet {
    package static let maxRows = 1_048_576
    package static let maxColumns = 16_384

    package let name: String
    /// Strong on purpose: the C worksheet lives as long as the C workbook.
    package let workbook: XLSXWorkbook

    /// Owned by the C workbook; only used while `workbook.isClosed` is false.
    let pointer: UnsafeMutablePointer<lxw_worksheet>
    private let constantMemory: Bool
    private let nonFiniteNumbers: XLSXWorkbook.NonFiniteNumberPolicy
    private let workbookToken: UInt64
    /// Constant-memory mode: the row being written; earlier rows are already on disk.
    private var currentRow = 0
    /// The date variants of the formats this sheet wrote dates with, by format index (-1: no format); a few.
    private var dateFormats: [(key: Int, pointer: UnsafeMutablePointer<lxw_format>)] = []

    init(workbook: XLSXWorkbook, pointer: UnsafeMutablePointer<lxw_worksheet>, name: String) {
        self.workbook = workbook
        self.pointer = pointer
        self.name = name
        self.constantMemory = workbook.options.constantMemory
        self.nonFiniteNumbers = workbook.options.nonFiniteNumbers
        self.workbookToken = workbook.token
    }

    /// The A1-style reference of a zero-based cell, e.g. `(row: 4, column: 2)` -> `C5`.
    package static func cellReference(row: Int, column: Int) -> String {
        var letters = ""
        var remaining = column + 1
        while remaining > 0 {
            let digit = (remaining - 1) % 26
            letters.insert(Character(Unicode.Scalar(UInt8(65 + digit))), at: letters.startIndex)
            remaining = (remaining - 1) / 26
        }
        return letters + String(row + 1)
    }

    // MARK: - Cells

    /// Writes text, redacted (``Redaction``), never as a formula (see the type's documentation for truncation and
    /// escaping).
    package func write(_ value: String, row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        try write(value, row: row, column: column, format: format, secrets: Redaction.secrets)
    }

    /// ``write(_:row:column:format:)-(String,_,_,_)`` with the registered secrets taken beforehand
    /// (``Redaction/secrets``): for a writer of many cells, which would otherwise take the registry's lock per
    /// cell (two sheets' threads contending for it).
    package func write(
        _ value: String, row: Int, column: Int, format: XLSXCellFormat? = nil, secrets: [[UInt8]]
    ) throws {
        let value = Redaction.redact(value, secrets: secrets)
        let cFormat = try prepare(row, column, format, "a string")
        let err: lxw_error
        if Self.isWritableAsIs(value) {
            err = value.withCString { worksheet_write_string(pointer, lxw_row_t(row), lxw_col_t(column), $0, cFormat) }
        } else {
            err = Self.excelText(value).withCString {
                worksheet_write_string(pointer, lxw_row_t(row), lxw_col_t(column), $0, cFormat)
            }
        }
        if err != LXW_NO_ERROR { throw libraryError(err, "a string", row, column) }
    }

    /// Writes a number; NaN and ±infinity follow `XLSXWorkbook.Options.nonFiniteNumbers`.
    package func write(_ value: Double, row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        let cFormat = try prepare(row, column, format, "a number")
        let err: lxw_error
        if value.isFinite {
            err = worksheet_write_number(pointer, lxw_row_t(row), lxw_col_t(column), value, cFormat)
        } else {
            err = writeNonFinite(value, row, column, cFormat)
        }
        if err != LXW_NO_ERROR { throw libraryError(err, "a number", row, column) }
    }

    /// Writes an integer as a number (Excel stores doubles: exact up to 2^53, displayed to 15 significant digits).
    package func write(_ value: Int, row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        try write(Double(value), row: row, column: column, format: format)
    }

    /// Writes a boolean cell (`t="b"`).
    package func write(_ value: Bool, row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        let cFormat = try prepare(row, column, format, "a boolean")
        let err = worksheet_write_boolean(pointer, lxw_row_t(row), lxw_col_t(column), value ? 1 : 0, cFormat)
        if err != LXW_NO_ERROR { throw libraryError(err, "a boolean", row, column) }
    }

    /// Writes a date-time, UTC, exact to the second (the fraction is dropped, rounding down).
    ///
    /// Stored as an Excel serial number (1900 date system: days since 1899-12-30, plus the fraction of the day,
    /// with Excel's fictitious 1900-02-29 accounted for before March 1900) via `worksheet_write_number`, with a date
    /// number format: `format`'s own if it has one, else `format` plus `yyyy-mm-dd hh:mm:ss`. Dates outside
    /// 1900-01-01...9999-12-31 throw `.invalidArgument`.
    package func write(_ value: Date, row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        _ = try prepare(row, column, format, "a date")
        guard let serial = Self.excelSerial(value) else {
            throw XLSXError(
                kind: .invalidArgument,
                message: "\(value) is outside Excel's date range 1900-01-01...9999-12-31",
                context: cellContext("a date", row, column)
            )
        }
        let cFormat = try dateFormat(for: format)
        let err = worksheet_write_number(pointer, lxw_row_t(row), lxw_col_t(column), serial, cFormat)
        if err != LXW_NO_ERROR { throw libraryError(err, "a date", row, column) }
    }

    /// Writes a blank cell carrying `format`. Without a format libxlsxwriter writes nothing (an unformatted blank
    /// cell is no cell in Excel).
    package func writeBlank(row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        let cFormat = try prepare(row, column, format, "a blank cell")
        let err = worksheet_write_blank(pointer, lxw_row_t(row), lxw_col_t(column), cFormat)
        if err != LXW_NO_ERROR { throw libraryError(err, "a blank cell", row, column) }
    }

    /// `XLSXWorkbook.dateFormat(for:)`, remembered by this sheet: a sheet is one thread's, so a date cell takes
    /// neither the workbook's format lock nor a dictionary lookup.
    private func dateFormat(for format: XLSXCellFormat?) throws -> UnsafeMutablePointer<lxw_format> {
        let key = format?.index ?? -1
        if let known = dateFormats.first(where: { $0.key == key }) { return known.pointer }
        let pointer = try workbook.dateFormat(for: format)
        // Formats of another workbook are refused above, so `key` names one format of this workbook.
        dateFormats.append((key, pointer))
        return pointer
    }

    /// Writes any `XLSXValue` with the matching method above.
    package func write(_ value: XLSXValue, row: Int, column: Int, format: XLSXCellFormat? = nil) throws {
        try write(value, row: row, column: column, format: format, secrets: Redaction.secrets)
    }

    /// ``write(_:row:column:format:)-(XLSXValue,_,_,_)`` with the registered secrets taken beforehand (see
    /// ``write(_:row:column:format:secrets:)-(String,_,_,_,_)``).
    package func write(
        _ value: XLSXValue, row: Int, column: Int, format: XLSXCellFormat? = nil, secrets: [[UInt8]]
    ) throws {
        switch value {
        case .string(let text): try write(text, row: row, column: column, format: format, secrets: secrets)
        case .number(let number): try write(number, row: row, column: column, format: format)
        case .integer(let integer): try write(integer, row: row, column: column, format: format)
        case .bool(let flag): try write(flag, row: row, column: column, format: format)
        case .date(let date): try write(date, row: row, column: column, format: format)
        case .blank: try writeBlank(row: row, column: column, format: format)
        }
    }

    // MARK: - Layout

    /// Sets the width (in characters of the default font, 0...255) of the columns `columns`, and optionally a
    /// default format for their otherwise unformatted cells.
    package func setColumnWidth(_ width: Double, columns: ClosedRange<Int>, format: XLSXCellFormat? = nil) throws {
        let context = "setting the width of columns \(columns) of sheet \(name)"
        _ = try workbook.live(context)
        guard width.isFinite, (0...255).contains(width) else {
            throw XLSXError(kind: .invalidArgument, message: "width \(width) is not in 0...255", context: context)
        }
        try checkRange(0, columns.lowerBound, 0, columns.upperBound, context)
        let cFormat = try formatPointer(format, context)
        let err = worksheet_set_column(
            pointer, lxw_col_t(columns.lowerBound), lxw_col_t(columns.upperBound), width, cFormat)
        if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
    }

    /// Sets the width of one column.
    package func setColumnWidth(_ width: Double, column: Int, format: XLSXCellFormat? = nil) throws {
        try setColumnWidth(width, columns: column...column, format: format)
    }

    /// Freezes the top `rows` rows and the left `columns` columns (e.g. `rows: 1, columns: 0` keeps a header row
    /// visible). `0, 0` does nothing.
    package func freezePanes(rows: Int, columns: Int) throws {
        let context = "freezing panes of sheet \(name)"
        _ = try workbook.live(context)
        try checkRange(rows, columns, rows, columns, context)
        if rows == 0 && columns == 0 { return }
        worksheet_freeze_panes(pointer, lxw_row_t(rows), lxw_col_t(columns))
    }

    /// Adds an autofilter (drop-down buttons on the first row of the range). A sheet has at most one; a second
    /// call replaces the first.
    package func autoFilter(firstRow: Int, firstColumn: Int, lastRow: Int, lastColumn: Int) throws {
        let context = "adding an autofilter to sheet \(name)"
        _ = try workbook.live(context)
        try checkRange(firstRow, firstColumn, lastRow, lastColumn, context)
        let err = worksheet_autofilter(
            pointer, lxw_row_t(firstRow), lxw_col_t(firstColumn), lxw_row_t(lastRow), lxw_col_t(lastColumn))
        if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
    }

    /// Applies `format` to the cells of the range that satisfy `rule` (e.g. colour a severity column:
    /// `.equalsText("critical")` -> red). Rules are evaluated in the order added. Works in constant-memory mode.
    package func addConditionalFormat(
        _ rule: XLSXConditionalRule,
        firstRow: Int,
        firstColumn: Int,
        lastRow: Int,
        lastColumn: Int,
        format: XLSXCellFormat
    ) throws {
        let context = "adding a conditional format to sheet \(name)"
        _ = try workbook.live(context)
        try checkRange(firstRow, firstColumn, lastRow, lastColumn, context)
        let cFormat = try formatPointer(format, context)
        var options = lxw_conditional_format()
        options.type = UInt8(LXW_CONDITIONAL_TYPE_CELL.rawValue)
        options.criteria = UInt8(LXW_CONDITIONAL_CRITERIA_EQUAL_TO.rawValue)
        options.format = cFormat
        let criterion: String
        switch rule {
        case .equalsText(let text):
            guard text.utf16.count <= 255,
                !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw XLSXError(
                    kind: .invalidArgument,
                    message: "conditional-format text must be at most 255 characters without control characters",
                    context: context
                )
            }
            criterion = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        case .equalsNumber(let number):
            guard number.isFinite else {
                throw XLSXError(kind: .invalidArgument, message: "the number must be finite", context: context)
            }
            options.value = number
            criterion = ""
        }
        let err: lxw_error = criterion.withCString { cCriterion in
            // Copied by libxlsxwriter (lxw_strdup_formula) before returning.
            if !criterion.isEmpty { options.value_string = UnsafeMutablePointer(mutating: cCriterion) }
            // Registers the format's dxf index in the workbook's table: locked, like every format registration.
            return workbook.withFormatsLocked {
                worksheet_conditional_format_range(
                    pointer, lxw_row_t(firstRow), lxw_col_t(firstColumn), lxw_row_t(lastRow), lxw_col_t(lastColumn),
                    &options)
            }
        }
        if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
    }

    // MARK: - Internals

    /// Checks state and bounds for one cell write; returns the C format.
    @inline(__always)
    private func prepare(
        _ row: Int, _ column: Int, _ format: XLSXCellFormat?, _ what: StaticString
    ) throws -> UnsafeMutablePointer<lxw_format>? {
        if workbook.isClosed { throw closedError(what, row, column) }
        if UInt(bitPattern: row) >= UInt(Self.maxRows) || UInt(bitPattern: column) >= UInt(Self.maxColumns) {
            throw rangeError(what, row, column)
        }
        if constantMemory {
            if row < currentRow { throw orderError(what, row, column) }
            currentRow = row
        }
        guard let format else { return nil }
        if format.owner != workbookToken { throw foreignFormatError(what, row, column) }
        return format.pointer
    }

    private func writeNonFinite(
        _ value: Double, _ row: Int, _ column: Int, _ cFormat: UnsafeMutablePointer<lxw_format>?
    ) -> lxw_error {
        switch nonFiniteNumbers {
        case .text:
            let text = value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity")
            return worksheet_write_string(pointer, lxw_row_t(row), lxw_col_t(column), text, cFormat)
        case .blank:
            return worksheet_write_blank(pointer, lxw_row_t(row), lxw_col_t(column), cFormat)
        }
    }

    private func formatPointer(_ format: XLSXCellFormat?, _ context: String) throws -> UnsafeMutablePointer<lxw_format>?
    {
        guard let format else { return nil }
        guard format.owner == workbookToken else {
            throw XLSXError(kind: .invalidArgument, message: "the format belongs to another workbook", context: context)
        }
        return format.pointer
    }

    func checkRange(
        _ firstRow: Int, _ firstColumn: Int, _ lastRow: Int, _ lastColumn: Int, _ context: String
    )
        throws
    {
        guard (0..<Self.maxRows).contains(firstRow), (0..<Self.maxRows).contains(lastRow),
            (0..<Self.maxColumns).contains(firstColumn), (0..<Self.maxColumns).contains(lastColumn),
            firstRow <= lastRow, firstColumn <= lastColumn
        else {
            throw XLSXError(
                kind: .cellOutOfRange,
                message: "rows \(firstRow)...\(lastRow), columns \(firstColumn)...\(lastColumn) are not a valid range "
                    + "(rows 0..<\(Self.maxRows), columns 0..<\(Self.maxColumns), first <= last)",
                context: context
            )
        }
    }

    private func cellContext(_ what: StaticString, _ row: Int, _ column: Int) -> String {
        let reference =
            (0..<Self.maxRows).contains(row) && (0..<Self.maxColumns).contains(column)
            ? " (\(Self.cellReference(row: row, column: column)))" : ""
        return "writing \(what) to row \(row), column \(column)\(reference) of sheet \(name)"
    }

    @inline(never)
    private func closedError(_ what: StaticString, _ row: Int, _ column: Int) -> XLSXError {
        XLSXError(
            kind: .workbookClosed, message: "the workbook is already closed", context: cellContext(what, row, column))
    }

    @inline(never)
    private func rangeError(_ what: StaticString, _ row: Int, _ column: Int) -> XLSXError {
        XLSXError(
            kind: .cellOutOfRange,
            message: "Excel allows rows 0..<\(Self.maxRows) and columns 0..<\(Self.maxColumns) (zero-based)",
            context: cellContext(what, row, column)
        )
    }

    @inline(never)
    private func orderError(_ what: StaticString, _ row: Int, _ column: Int) -> XLSXError {
        XLSXError(
            kind: .rowOutOfOrder,
            message: "constant-memory mode writes rows in ascending order; row \(currentRow) is being written and "
                + "earlier rows are already flushed to disk, so this cell would be lost",
            context: cellContext(what, row, column)
        )
    }

    @inline(never)
    private func foreignFormatError(_ what: StaticString, _ row: Int, _ column: Int) -> XLSXError {
        XLSXError(
            kind: .invalidArgument, message: "the format belongs to another workbook",
            context: cellContext(what, row, column))
    }

    @inline(never)
    private func libraryError(_ err: lxw_error, _ what: StaticString, _ row: Int, _ column: Int) -> XLSXError {
        XLSXError.library(err, cellContext(what, row, column))
    }

    // MARK: - Text and dates (static, testable)

    /// True when `text` can go to libxlsxwriter unchanged: at most 32,767 UTF-8 bytes (hence UTF-16 units) and no
    /// byte sequence that `excelText` would change. One pass over the bytes, no allocation.
    static func isWritableAsIs(_ text: String) -> Bool {
        if text.utf8.count > XLSXWorkbook.maxStringLength { return false }
        return text.utf8.withContiguousStorageIfAvailable { !needsEscaping($0) } ?? false
    }

    private static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            switch bytes[index] {
            case 0x00:
                return true
            case 0x5F:  // "_": is it the start of "_xHHHH_"?
                if index + 6 < count && bytes[index + 1] == 0x78 && bytes[index + 6] == 0x5F
                    && isHexDigit(bytes[index + 2]) && isHexDigit(bytes[index + 3]) && isHexDigit(bytes[index + 4])
                    && isHexDigit(bytes[index + 5])
                {
                    return true
                }
            case 0xEF:  // U+FFFE / U+FFFF are EF BF BE / EF BF BF
                if index + 2 < count && bytes[index + 1] == 0xBF
                    && (bytes[index + 2] == 0xBE || bytes[index + 2] == 0xBF)
                {
                    return true
                }
            default:
                break
            }
            index += 1
        }
        return false
    }

    @inline(__always)
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// The text to hand to libxlsxwriter for `text`: escaped as described on the type, then cut to
    /// `maxStringLength` UTF-16 units with the marker if needed.
    static func excelText(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        result.reserveCapacity(scalars.count)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "\u{0}", "\u{FFFE}", "\u{FFFF}":
                result.append("\u{FFFD}")
            case "_" where isEscapeSequence(scalars, at: index):
                result.append(contentsOf: "_x005F".unicodeScalars)
                result.append("_")
            default:
                result.append(scalar)
            }
        }
        let escaped = String(result)
        if escaped.utf16.count <= XLSXWorkbook.maxStringLength { return escaped }
        let marker = XLSXWorkbook.truncationMarker
        let budget = XLSXWorkbook.maxStringLength - marker.utf16.count
        return XLSXWorkbook.prefix(of: escaped, fittingUTF16: budget) + marker
    }

    private static func isEscapeSequence(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        guard index + 6 < scalars.count, scalars[index + 1] == "x", scalars[index + 6] == "_" else { return false }
        return scalars[(index + 2)...(index + 5)].allSatisfy { $0.isASCII && isHexDigit(UInt8($0.value)) }
    }

    /// The Excel serial number (1900 date system) of `date`, to the second, or nil outside 1900-01-01...9999-12-31.
    static func excelSerial(_ date: Date) -> Double? {
        let interval = date.timeIntervalSince1970
        // 1900-01-01 is -2_208_988_800; 10000-01-01 is 253_402_300_800.
        guard interval.isFinite, interval >= -2_208_988_800, interval < 253_402_300_800,
            let seconds = Checked.int64(interval, rounding: .down)
        else { return nil }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        var serialDay = days + 25_569  // 1970-01-01 is serial 25569
        if serialDay < 61 { serialDay -= 1 }  // Excel's serial 60 is the fictitious 1900-02-29
        return Double(serialDay) + Double(secondOfDay) / 86_400
    }
}
