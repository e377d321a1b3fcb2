import Foundation
import KeyAuditCore
import Yams

/// The workbook's layout, read from `report.xlsx.yml`: which sheets, and for each its columns.
///
/// Checked completely before anything is written: an unknown field, a format on a text column or a bad
/// sheet name is a usage error naming the file and the place.
package struct XLSXLayout: Sendable {
    package static let fileName = "report.xlsx.yml"

    package enum Source: String, Sendable, CaseIterable {
        case summary, findings, keys, changes, suppressions, owners, trend

        /// Whether the sheet shows the diff (written once it is known).
        var needsDiff: Bool { self == .summary || self == .changes || self == .trend }

        /// Whether writing the sheet adds charts to the workbook (so one thread writes all such sheets).
        var addsCharts: Bool { self == .trend }

        /// Sheets laid out by keyaudit (no `columns`).
        var isFixed: Bool { self == .summary || self == .owners || self == .trend }
    }

    /// How a field's values are written.
    package enum Kind: Sendable {
        case text, money, number, bool, datetime, date
    }

    package struct Column: Sendable {
        package var header: String
        package var field: String
        package var kind: Kind
        /// Characters; nil: computed from the content.
        package var width: Double?
        package var numberFormat: String?
        package var severityColours: Bool
    }

    package struct Sheet: Sendable {
        package var name: String
        package var source: Source
        package var columns: [Column]
        /// Columns kept in view when scrolling right (the header row always is), e.g. 1 for a name column.
        package var freezeColumns: Int = 0
    }

    package var moneyFormat: String
    package var dateFormat: String
    package var sheets: [Sheet]

    /// Every field a column may name, by source, with its kind. templates/README.md lists the same.
    package static let fields: [Source: [(String, Kind)]] = [
        .findings: [
            ("id", .text), ("severity", .text), ("rule", .text), ("title", .text), ("key_name", .text),
            ("key_hash", .text), ("workspace", .text), ("workspace_id", .text), ("message", .text),
            ("remediation", .text), ("status", .text), ("first_seen", .datetime), ("suppressed", .bool),
            ("suppression_reason", .text), ("suppression_owner", .text), ("suppression_ticket", .text),
            ("suppression_expires", .date), ("owner", .text), ("call", .text),
        ],
        .keys: [
            ("name", .text), ("hash", .text), ("label", .text), ("workspace", .text), ("workspace_id", .text),
            ("disabled", .bool), ("status", .text), ("limit", .money), ("limit_remaining", .money),
            ("limit_reset", .text), ("include_byok_in_limit", .bool), ("usage", .money), ("usage_daily", .money),
            ("usage_weekly", .money), ("usage_monthly", .money), ("byok_usage", .money),
            ("byok_usage_daily", .money), ("byok_usage_weekly", .money), ("byok_usage_monthly", .money),
            ("created_at", .datetime), ("updated_at", .datetime), ("expires_at", .datetime),
            ("last_used_at", .datetime), ("creator_user_id", .text), ("external_user", .text),
            ("rotated_from_hash", .text),
            ("findings", .number), ("problems", .text), ("extra", .text),
        ],
        .changes: [
            ("change", .text), ("key_name", .text), ("key_hash", .text), ("workspace", .text), ("workspace_id", .text),
            ("field", .text), ("from", .text), ("to", .text), ("amount", .money),
        ],
        .suppressions: [
            ("state", .text), ("key", .text), ("rule", .text), ("reason", .text), ("owner", .text), ("ticket", .text),
            ("expires", .date), ("matched", .number), ("location", .text),
        ],
        .summary: [], .owners: [], .trend: [],
    ]

    package static func parse(_ text: String, name: String) throws(KeyAuditError) -> XLSXLayout {
        let reader = YAMLReader(file: name)
        guard let root = try reader.compose(text) else {
            throw reader.error(nil, "the layout is empty; it must be a mapping with `sheets:`")
        }
        let top = try reader.mapping(root, "the layout", allowed: ["money_format", "date_format", "sheets"])
        var layout = XLSXLayout(moneyFormat: "$#,##0.00", dateFormat: "yyyy-mm-dd hh:mm:ss", sheets: [])
        if let node = top["money_format"] {
            layout.moneyFormat = try checkedFormat(try reader.string(node, "money_format"), node, reader)
        }
        if let node = top["date_format"] {
            layout.dateFormat = try checkedFormat(try reader.string(node, "date_format"), node, reader)
        }
        guard let sheetsNode = top["sheets"] else { throw reader.error(root, "`sheets` must be a non-empty list") }
        let sheets = try reader.sequence(sheetsNode, "sheets", " of sheets (`- name: …`)")
        guard !sheets.isEmpty else { throw reader.error(sheetsNode, "`sheets` must be a non-empty list") }
        var names = Set<String>()
        for (index, sheetNode) in sheets.enumerated() {
            let place = "sheets[\(index)]"
            let sheet = try reader.mapping(
                sheetNode, place, allowed: ["name", "source", "columns", "freeze_columns"])
            guard let nameNode = sheet["name"] else { throw reader.error(sheetNode, "\(place).name is missing") }
            let sheetName = try reader.string(nameNode, "\(place).name")
            guard XLSXWorkbook.validSheetName(sheetName) == sheetName else {
                throw reader.error(
                    nameNode,
                    "\(place).name \"\(sheetName)\" is not a valid sheet name (at most 31 characters, none of []:*?/\\)"
                )
            }
            guard names.insert(sheetName.lowercased()).inserted else {
                throw reader.error(nameNode, "\(place).name \"\(sheetName)\" is used twice")
            }
            guard let sourceNode = sheet["source"] else { throw reader.error(sheetNode, "\(place).source is missing") }
            let sourceName = try reader.string(sourceNode, "\(place).source")
            guard let source = Source(rawValue: sourceName) else {
                throw reader.error(
                    sourceNode,
                    "\(place).source \"\(sourceName)\" is not one of \(Source.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            var columns: [Column] = []
            if !source.isFixed {
                guard let columnsNode = sheet["columns"] else {
                    throw reader.error(sheetNode, "\(place).columns must be a non-empty list")
                }
                let list = try reader.sequence(columnsNode, "\(place).columns", " of columns")
                guard !list.isEmpty else {
                    throw reader.error(columnsNode, "\(place).columns must be a non-empty list")
                }
                guard list.count <= 16_384 else {
                    throw reader.error(
                        columnsNode, "\(place).columns lists \(list.count) columns; a worksheet holds at most 16,384")
                }
                let known = fields[source] ?? []
                for (columnIndex, columnNode) in list.enumerated() {
                    let position = "\(place).columns[\(columnIndex)]"
                    let column = try reader.mapping(
                        columnNode, position, allowed: ["header", "field", "width", "format", "conditional"])
                    guard let fieldNode = column["field"] else {
                        throw reader.error(columnNode, "\(position).field is missing")
                    }
                    let field = try reader.string(fieldNode, "\(position).field")
                    guard let kind = known.first(where: { $0.0 == field })?.1 else {
                        throw reader.error(
                            fieldNode,
                            "\(position).field \"\(field)\" is not a field of \(source.rawValue); expected one of \(known.map(\.0).joined(separator: ", "))"
                        )
                    }
                    let header =
                        try column["header"].map { node throws(KeyAuditError) in
                            try reader.string(node, "\(position).header")
                        } ?? field
                    var width: Double?
                    if let node = column["width"] {
                        guard let value = Double(try reader.string(node, "\(position).width")), value > 0, value <= 255
                        else {
                            throw reader.error(
                                node, "\(position).width must be a number of characters between 1 and 255")
                        }
                        width = value
                    }
                    var format: String?
                    if let node = column["format"] {
                        guard kind != .text && kind != .bool else {
                            throw reader.error(
                                node,
                                "\(position).format applies to money, number and date fields only; \(field) is text")
                        }
                        format = try checkedFormat(try reader.string(node, "\(position).format"), node, reader)
                    }
                    var colours = false
                    if let node = column["conditional"] {
                        guard try reader.string(node, "\(position).conditional") == "severity" else {
                            throw reader.error(node, "\(position).conditional must be `severity`")
                        }
                        colours = true
                    }
                    columns.append(
                        Column(
                            header: header, field: field, kind: kind, width: width, numberFormat: format,
                            severityColours: colours))
                }
            } else if let columnsNode = sheet["columns"] {
                throw reader.error(
                    columnsNode, "\(place): the \(source.rawValue) sheet has a fixed layout and takes no columns")
            }
            var freeze = 0
            if let node = sheet["freeze_columns"] {
                guard !source.isFixed, let value = Int(try reader.string(node, "\(place).freeze_columns")),
                    (0...columns.count).contains(value)
                else {
                    throw reader.error(
                        node, "\(place).freeze_columns must be a number of columns between 0 and \(columns.count)")
                }
                freeze = value
            }
            layout.sheets.append(Sheet(name: sheetName, source: source, columns: columns, freezeColumns: freeze))
        }
        return layout
    }

    private static func checkedFormat(
        _ format: String, _ node: Node, _ reader: YAMLReader
    ) throws(KeyAuditError) -> String {
        guard !format.isEmpty, format.utf8.count < 128, !format.unicodeScalars.contains(where: { $0.value < 0x20 })
        else {
            throw reader.error(
                node, "number format \"\(format)\" is empty, too long (128 bytes) or has control characters")
        }
        var quotes = 0
        for character in format where character == "\"" { quotes += 1 }
        guard quotes % 2 == 0 else { throw reader.error(node, "number format \"\(format)\" has an unbalanced quote") }
        return format
    }
}
