import Foundation
import Yams
import KeyAuditCore
import KeyAuditAPI
import KeyAuditSnapshot
import KeyAuditAudit
import KeyAuditDiff

/// The workbook's layout, read from `report.xlsx.yml`: which sheets, and for each its columns.
///
/// Checked completely before anything is written: an unknown field, a format on a text column or a bad
/// sheet name is a usage error naming the file and the place.
package struct XLSXLayout: Sendable {
    package static let fileName = "report.xlsx.yml"

    package enum Source: String, Sendable, CaseIterable {
        case summary, findings, keys, changes

        /// Whether the sheet shows the diff (written once it is known).
        var needsDiff: Bool { self == .summary || self == .changes }
    }

    /// How a field's values are written.
    package enum Kind: Sendable {
        case text, money, number, bool, datetime
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
            ("suppression_expires", .text),
        ],
        .keys: [
            ("name", .text), ("hash", .text), ("label", .text), ("workspace", .text), ("workspace_id", .text),
            ("disabled", .bool), ("status", .text), ("limit", .money), ("limit_remaining", .money),
            ("limit_reset", .text), ("include_byok_in_limit", .bool), ("usage", .money), ("usage_daily", .money),
            ("usage_weekly", .money), ("usage_monthly", .money), ("byok_usage", .money),
            ("byok_usage_daily", .money), ("byok_usage_weekly", .money), ("byok_usage_monthly", .money),
            ("created_at", .datetime), ("updated_at", .datetime), ("expires_at", .datetime),
            ("last_used_at", .datetime), ("creator_user_id", .text), ("external_user", .text),
            ("findings", .number), ("problems", .text), ("extra", .text),
        ],
        .changes: [
            ("change", .text), ("key_name", .text), ("key_hash", .text), ("workspace_id", .text), ("field", .text),
            ("from", .text), ("to", .text), ("amount", .money),
        ],
        .summary: [],
    ]

    package static func parse(_ text: String, name: String) throws(KeyAuditError) -> XLSXLayout {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw .usage("\(name):\(PolicyFile.describe(error)); fix the layout's YAML syntax")
        } catch {
            throw .usage("\(name): \(error); fix the layout's YAML syntax")
        }
        func fail(_ node: Node?, _ message: String) -> KeyAuditError {
            let place = node?.mark.map { "\($0.line):\($0.column)" } ?? "1:1"
            return .usage("\(name):\(place): \(message)")
        }
        guard let root, case .mapping(let top) = root else {
            throw fail(root, "the layout must be a mapping with `sheets:`")
        }
        func string(_ node: Node, _ field: String) throws(KeyAuditError) -> String {
            guard case .scalar(let scalar) = node else { throw fail(node, "\(field) must be text") }
            return scalar.string
        }
        for key in top.keys where !["money_format", "date_format", "sheets"].contains(key.string ?? "") {
            throw fail(key, "unknown setting \"\(key.string ?? "")\"; expected money_format, date_format, sheets")
        }
        var layout = XLSXLayout(moneyFormat: "$#,##0.00", dateFormat: "yyyy-mm-dd hh:mm:ss", sheets: [])
        if let node = top["money_format"] {
            layout.moneyFormat = try checkedFormat(try string(node, "money_format"), node, fail)
        }
        if let node = top["date_format"] {
            layout.dateFormat = try checkedFormat(try string(node, "date_format"), node, fail)
        }
        guard let sheetsNode = top["sheets"], case .sequence(let sheets) = sheetsNode, !sheets.isEmpty else {
            throw fail(top["sheets"] ?? root, "`sheets` must be a non-empty list")
        }
        var names = Set<String>()
        for (index, sheetNode) in sheets.enumerated() {
            let place = "sheets[\(index)]"
            guard case .mapping(let sheet) = sheetNode else { throw fail(sheetNode, "\(place) must be a mapping") }
            for key in sheet.keys where !["name", "source", "columns"].contains(key.string ?? "") {
                throw fail(
                    key, "\(place) has an unknown setting \"\(key.string ?? "")\"; expected name, source, columns")
            }
            guard let nameNode = sheet["name"] else { throw fail(sheetNode, "\(place).name is missing") }
            let sheetName = try string(nameNode, "\(place).name")
            guard XLSXWorkbook.validSheetName(sheetName) == sheetName else {
                throw fail(
                    nameNode,
                    "\(place).name \"\(sheetName)\" is not a valid sheet name (at most 31 characters, none of []:*?/\\)"
                )
            }
            guard names.insert(sheetName.lowercased()).inserted else {
                throw fail(nameNode, "\(place).name \"\(sheetName)\" is used twice")
            }
            guard let sourceNode = sheet["source"] else { throw fail(sheetNode, "\(place).source is missing") }
            let sourceName = try string(sourceNode, "\(place).source")
            guard let source = Source(rawValue: sourceName) else {
                throw fail(
                    sourceNode, "\(place).source \"\(sourceName)\" is not one of summary, findings, keys, changes")
            }
            var columns: [Column] = []
            if source != .summary {
                guard let columnsNode = sheet["columns"], case .sequence(let list) = columnsNode, !list.isEmpty else {
                    throw fail(sheet["columns"] ?? sheetNode, "\(place).columns must be a non-empty list")
                }
                let known = fields[source] ?? []
                for (columnIndex, columnNode) in list.enumerated() {
                    let where_ = "\(place).columns[\(columnIndex)]"
                    guard case .mapping(let column) = columnNode else {
                        throw fail(columnNode, "\(where_) must be a mapping")
                    }
                    for key in column.keys
                    where !["header", "field", "width", "format", "conditional"].contains(key.string ?? "") {
                        throw fail(
                            key,
                            "\(where_) has an unknown setting \"\(key.string ?? "")\"; expected header, field, width, format, conditional"
                        )
                    }
                    guard let fieldNode = column["field"] else { throw fail(columnNode, "\(where_).field is missing") }
                    let field = try string(fieldNode, "\(where_).field")
                    guard let kind = known.first(where: { $0.0 == field })?.1 else {
                        throw fail(
                            fieldNode,
                            "\(where_).field \"\(field)\" is not a field of \(source.rawValue); expected one of \(known.map(\.0).joined(separator: ", "))"
                        )
                    }
                    let header =
                        try column["header"].map { node throws(KeyAuditError) in try string(node, "\(where_).header") }
                        ?? field
                    var width: Double?
                    if let node = column["width"] {
                        guard let value = Double(try string(node, "\(where_).width")), value > 0, value <= 255 else {
                            throw fail(node, "\(where_).width must be a number of characters between 1 and 255")
                        }
                        width = value
                    }
                    var format: String?
                    if let node = column["format"] {
                        guard kind != .text && kind != .bool else {
                            throw fail(
                                node, "\(where_).format applies to money, number and date fields only; \(field) is text"
                            )
                        }
                        format = try checkedFormat(try string(node, "\(where_).format"), node, fail)
                    }
                    var colours = false
                    if let node = column["conditional"] {
                        guard try string(node, "\(where_).conditional") == "severity" else {
                            throw fail(node, "\(where_).conditional must be `severity`")
                        }
                        colours = true
                    }
                    columns.append(
                        Column(
                            header: header, field: field, kind: kind, width: width, numberFormat: format,
                            severityColours: colours))
                }
            } else if sheet["columns"] != nil {
                throw fail(sheet["columns"], "\(place): the summary sheet has a fixed layout and takes no columns")
            }
            layout.sheets.append(Sheet(name: sheetName, source: source, columns: columns))
        }
        return layout
    }

    private static func checkedFormat(
        _ format: String, _ node: Node, _ fail: (Node?, String) -> KeyAuditError
    ) throws(KeyAuditError) -> String {
        guard !format.isEmpty, format.utf8.count < 128, !format.unicodeScalars.contains(where: { $0.value < 0x20 })
        else {
            throw fail(node, "number format \"\(format)\" is empty, too long (128 bytes) or has control characters")
        }
        var quotes = 0
        for character in format where character == "\"" { quotes += 1 }
        guard quotes % 2 == 0 else { throw fail(node, "number format \"\(format)\" has an unbalanced quote") }
        return format
    }
}
