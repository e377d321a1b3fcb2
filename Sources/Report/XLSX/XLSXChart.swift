import CXLSXWriter

/// Print setup of a worksheet: how it comes out of a printer or a "save as PDF".
extension XLSXWorksheet {
    /// Paper sizes Excel knows by number (`worksheet_set_paper`).
    package enum Paper: UInt8, Sendable {
        case letter = 1
        case a4 = 9
    }

    /// What ``setPrint(_:)`` sets.
    package struct PrintSetup: Equatable, Sendable {
        package var landscape = true
        package var paper = Paper.a4
        /// Pages across; 0: as many as needed.
        package var pagesWide: Int = 1
        /// Pages down; 0: as many as needed.
        package var pagesTall: Int = 0
        /// Rows (zero-based, first...last) printed at the top of every page, e.g. a table's header row.
        package var repeatedRows: ClosedRange<Int>?
        /// Page footer in Excel's header/footer codes (`&P` page, `&N` pages; a literal `&` is `&&`).
        package var footer: String?

        package init(
            landscape: Bool = true, paper: Paper = .a4, pagesWide: Int = 1, pagesTall: Int = 0,
            repeatedRows: ClosedRange<Int>? = nil, footer: String? = nil
        ) {
            self.landscape = landscape
            self.paper = paper
            self.pagesWide = pagesWide
            self.pagesTall = pagesTall
            self.repeatedRows = repeatedRows
            self.footer = footer
        }
    }

    /// Sets orientation, paper, fit-to-pages, repeated rows and the footer.
    package func setPrint(_ setup: PrintSetup) throws {
        let context = "setting the print layout of sheet \(name)"
        _ = try workbook.live(context)
        guard (0...32_767).contains(setup.pagesWide), (0...32_767).contains(setup.pagesTall) else {
            throw XLSXError(kind: .invalidArgument, message: "pages must be 0...32767", context: context)
        }
        if setup.landscape { worksheet_set_landscape(pointer) } else { worksheet_set_portrait(pointer) }
        worksheet_set_paper(pointer, setup.paper.rawValue)
        if setup.pagesWide > 0 || setup.pagesTall > 0 {
            worksheet_fit_to_pages(pointer, UInt16(setup.pagesWide), UInt16(setup.pagesTall))
        }
        if let rows = setup.repeatedRows {
            try checkRange(rows.lowerBound, 0, rows.upperBound, 0, context)
            let err = worksheet_repeat_rows(pointer, lxw_row_t(rows.lowerBound), lxw_row_t(rows.upperBound))
            if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
        }
        if let footer = setup.footer {
            // Excel's limit on header and footer text is 255 characters.
            guard footer.utf8.count < 255, !footer.utf8.contains(0) else {
                throw XLSXError(
                    kind: .invalidArgument, message: "a footer is at most 254 bytes without NUL", context: context)
            }
            let err = worksheet_set_footer(pointer, footer)
            if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
        }
    }

    /// Places `chart` with its top-left corner `xOffset` pixels right of the cell (`row`, `column`)'s corner,
    /// scaled from libxlsxwriter's default 480 × 288 pixels. A chart can be inserted once.
    package func insert(
        _ chart: XLSXChart, row: Int, column: Int, xOffset: Int = 0, xScale: Double = 1, yScale: Double = 1
    ) throws {
        let context = "inserting chart \"\(chart.title)\" into sheet \(name)"
        _ = try workbook.live(context)
        try checkRange(row, column, row, column, context)
        guard chart.workbookToken == workbook.token else {
            throw XLSXError(kind: .invalidArgument, message: "the chart belongs to another workbook", context: context)
        }
        guard xScale.isFinite, yScale.isFinite, (0.1...20).contains(xScale), (0.1...20).contains(yScale),
            (0...100_000).contains(xOffset)
        else {
            throw XLSXError(
                kind: .invalidArgument, message: "scale must be 0.1...20 and the offset 0...100000", context: context)
        }
        var options = lxw_chart_options()
        options.x_offset = Int32(xOffset)
        options.x_scale = xScale
        options.y_scale = yScale
        let err = worksheet_insert_chart_opt(pointer, lxw_row_t(row), lxw_col_t(column), chart.pointer, &options)
        if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
    }
}

/// A native chart of an `XLSXWorkbook` (`workbook_add_chart`), drawing ranges of one of its worksheets.
///
/// Owned by the C workbook like a format; the calls throw `.workbookClosed` once the workbook is closed.
/// Works in constant-memory mode: a chart refers to cells by range and is written with the drawings, so the
/// cells it draws are written as rows like any others (before or after the chart is inserted).
package final class XLSXChart {
    package enum Kind: Sendable {
        case column, stackedColumn, line

        var lxwType: UInt8 {
            switch self {
            case .column: UInt8(LXW_CHART_COLUMN.rawValue)
            case .stackedColumn: UInt8(LXW_CHART_COLUMN_STACKED.rawValue)
            case .line: UInt8(LXW_CHART_LINE.rawValue)
            }
        }
    }

    /// A range of one column of a worksheet, rows first...last (zero-based).
    package struct ColumnRange: Sendable, Equatable {
        package var sheet: String
        package var column: Int
        package var rows: ClosedRange<Int>

        package init(sheet: String, column: Int, rows: ClosedRange<Int>) {
            self.sheet = sheet
            self.column = column
            self.rows = rows
        }
    }

    let pointer: UnsafeMutablePointer<lxw_chart>
    let workbook: XLSXWorkbook
    let workbookToken: UInt64
    package let title: String

    /// Adds a chart to `workbook`; insert it into a worksheet with ``XLSXWorksheet/insert(_:row:column:xScale:yScale:)``.
    package init(_ kind: Kind, title: String, in workbook: XLSXWorkbook) throws {
        let context = "adding chart \"\(title)\""
        let handle = try workbook.live(context)
        guard let chart = workbook_add_chart(handle, kind.lxwType) else {
            throw XLSXError(kind: .library(code: -1), message: "workbook_add_chart returned NULL", context: context)
        }
        self.pointer = chart
        self.workbook = workbook
        self.workbookToken = workbook.token
        self.title = title
        chart_title_set_name(chart, workbook.retainCString(Self.chartText(title)))
    }

    /// Text in a chart (titles, names) must not start with `=`: libxlsxwriter would read it as a range.
    static func chartText(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 }.prefix(255)))
        return cleaned.hasPrefix("=") ? " " + cleaned : cleaned
    }

    /// Adds a series: `values` against `categories`, named `name`, drawn in `colour`.
    package func addSeries(
        name: String, categories: ColumnRange, values: ColumnRange, colour: XLSXColor
    ) throws {
        let context = "adding series \"\(name)\" to chart \"\(title)\""
        _ = try workbook.live(context)
        for range in [categories, values] {
            guard XLSXWorkbook.sheetNameProblem(range.sheet) == nil, range.rows.lowerBound >= 0,
                range.rows.upperBound < XLSXWorksheet.maxRows, (0..<XLSXWorksheet.maxColumns).contains(range.column)
            else {
                throw XLSXError(kind: .invalidArgument, message: "not a valid range: \(range)", context: context)
            }
        }
        guard let series = chart_add_series(pointer, nil, nil) else {
            throw XLSXError(kind: .library(code: -1), message: "chart_add_series returned NULL", context: context)
        }
        chart_series_set_categories(
            series, workbook.retainCString(categories.sheet), lxw_row_t(categories.rows.lowerBound),
            lxw_col_t(categories.column), lxw_row_t(categories.rows.upperBound), lxw_col_t(categories.column))
        chart_series_set_values(
            series, workbook.retainCString(values.sheet), lxw_row_t(values.rows.lowerBound), lxw_col_t(values.column),
            lxw_row_t(values.rows.upperBound), lxw_col_t(values.column))
        chart_series_set_name(series, workbook.retainCString(Self.chartText(name)))
        var fill = lxw_chart_fill()
        fill.color = colour.lxwColor
        chart_series_set_fill(series, &fill)
        var line = lxw_chart_line()
        line.color = colour.lxwColor
        chart_series_set_line(series, &line)
    }

    /// Names the axes.
    package func setAxisNames(x: String?, y: String?) throws {
        _ = try workbook.live("naming the axes of chart \"\(title)\"")
        if let x { chart_axis_set_name(pointer.pointee.x_axis, workbook.retainCString(Self.chartText(x))) }
        if let y { chart_axis_set_name(pointer.pointee.y_axis, workbook.retainCString(Self.chartText(y))) }
    }

    /// Number format of the value axis, e.g. `"$#,##0"`.
    package func setValueFormat(_ format: String) throws {
        let context = "setting the value format of chart \"\(title)\""
        _ = try workbook.live(context)
        guard format.utf8.count < 128, !format.utf8.contains(0) else {
            throw XLSXError(kind: .invalidArgument, message: "number format too long", context: context)
        }
        chart_axis_set_num_format(pointer.pointee.y_axis, workbook.retainCString(format))
    }

    /// Where the value axis starts (libxlsxwriter otherwise lets the application choose, which can start a
    /// spend axis at $378 and make $3 look like a tripling).
    package func setValueAxisMinimum(_ value: Double) throws {
        let context = "setting the value axis of chart \"\(title)\""
        _ = try workbook.live(context)
        guard value.isFinite else { throw XLSXError(kind: .invalidArgument, message: "not finite", context: context) }
        chart_axis_set_min(pointer.pointee.y_axis, value)
    }

    /// Legend below the plot.
    package func setLegendBottom() throws {
        _ = try workbook.live("placing the legend of chart \"\(title)\"")
        chart_legend_set_position(pointer, UInt8(LXW_CHART_LEGEND_BOTTOM.rawValue))
    }
}
