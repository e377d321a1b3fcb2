import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A small, test-only .xlsx reader: unzips the file in memory (ZIPFoundation) and parses the parts the tests look
/// at with XMLParser. It understands shared strings (normal mode) and inline strings (constant-memory mode),
/// `_xHHHH_` escapes, number formats (enough to tell dates), frozen panes, autofilters and conditional formats.
/// Rows and columns in `Cell` are zero-based like the writer; references are A1-style.
enum XLSXReader {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    struct Cell: Equatable {
        enum Kind: Equatable {
            case string, number, boolean, formula, blank, error
        }

        var reference: String
        var row: Int
        var column: Int
        var kind: Kind
        /// The text of a string cell; the raw `<v>` of other cells (`TRUE`/`FALSE` for booleans); for a formula
        /// its cached result.
        var text: String
        /// The numeric value of number and boolean cells.
        var number: Double?
        /// The formula of a formula cell (`<f>`).
        var formula: String?
        /// `s` attribute (index into cellXfs), 0 when absent.
        var styleIndex: Int
        /// The number format code of the cell's style (`General` when none).
        var numberFormat: String
        /// The cell's number format is a date/time format.
        var styleIsDate: Bool
        /// Stored as `t="inlineStr"` (constant-memory mode) rather than a shared string.
        var isInlineString: Bool

        var bool: Bool? { kind == .boolean ? number == 1 : nil }
    }

    struct FrozenPane: Equatable {
        var rows: Int
        var columns: Int
        var topLeftCell: String?
    }

    struct ConditionalFormat: Equatable {
        var range: String
        var type: String
        var comparison: String?
        var formulas: [String]
        var dxfID: Int?
    }

    struct Sheet {
        var name: String
        /// One entry per `<row>` element, in file order; each holds the cells present in it (sparse).
        var rows: [[Cell]] = []
        var cellsByReference: [String: Cell] = [:]
        var dimension: String?
        var autoFilterRef: String?
        var frozenPane: FrozenPane?
        var conditionalFormats: [ConditionalFormat] = []
        /// Column index (zero-based) -> width from `<cols>`.
        var columnWidths: [Int: Double] = [:]

        /// Number of `<row>` elements (libxlsxwriter writes one per row that has cells).
        var rowCount: Int { rows.count }
        var hasConditionalFormatting: Bool { !conditionalFormats.isEmpty }

        func cell(_ reference: String) -> Cell? { cellsByReference[reference] }
    }

    struct Workbook {
        var sheetNames: [String]
        var sheets: [String: Sheet]
        /// `docProps/core.xml` by local element name: title, subject, creator, keywords, description, created...
        var coreProperties: [String: String]
        /// `docProps/app.xml` by element name: Company, Manager, Application...
        var appProperties: [String: String]
        /// Every part of the package, unzipped.
        var parts: [String: Data]

        func sheet(named name: String) throws -> Sheet {
            guard let sheet = sheets[name] else { throw ReadError(description: "no sheet named \(name)") }
            return sheet
        }

        func partText(_ path: String) -> String? { parts[path].map { String(decoding: $0, as: UTF8.self) } }
    }

    // MARK: - Reading

    static func read(_ url: URL) throws -> Workbook {
        let archive = try Archive(url: url, accessMode: .read)
        var parts: [String: Data] = [:]
        for entry in archive where entry.type == .file {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            parts[entry.path] = data
        }
        func part(_ path: String) throws -> Data {
            guard let data = parts[path] else { throw ReadError(description: "missing part \(path)") }
            return data
        }

        let sharedStrings = try parts["xl/sharedStrings.xml"].map(parseSharedStrings) ?? []
        let styles = try parts["xl/styles.xml"].map(parseStyles) ?? Styles(formatIDs: [], customFormats: [:])
        let relationships = try parseRelationships(part("xl/_rels/workbook.xml.rels"))
        let sheetEntries = try parseWorkbook(part("xl/workbook.xml"))

        var sheets: [String: Sheet] = [:]
        for (name, relationshipID) in sheetEntries {
            guard let target = relationships[relationshipID] else {
                throw ReadError(description: "no relationship \(relationshipID) for sheet \(name)")
            }
            let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            sheets[name] = try parseSheet(part(path), name: name, sharedStrings: sharedStrings, styles: styles)
        }
        return Workbook(
            sheetNames: sheetEntries.map(\.name),
            sheets: sheets,
            coreProperties: try parts["docProps/core.xml"].map(parseLeafElements) ?? [:],
            appProperties: try parts["docProps/app.xml"].map(parseLeafElements) ?? [:],
            parts: parts
        )
    }

    // MARK: - Parts

    private static func parseWorkbook(_ data: Data) throws -> [(name: String, relationshipID: String)] {
        var sheets: [(name: String, relationshipID: String)] = []
        try parse(data) { name, attributes in
            if name == "sheet", let sheetName = attributes["name"], let id = attributes["r:id"] {
                sheets.append((sheetName, id))
            }
        }
        return sheets
    }

    private static func parseRelationships(_ data: Data) throws -> [String: String] {
        var targets: [String: String] = [:]
        try parse(data) { name, attributes in
            if name == "Relationship", let id = attributes["Id"], let target = attributes["Target"] {
                targets[id] = target
            }
        }
        return targets
    }

    private static func parseSharedStrings(_ data: Data) throws -> [String] {
        var strings: [String] = []
        var current = ""
        var inText = false
        var phoneticDepth = 0
        try parse(
            data,
            start: { name, _ in
                switch name {
                case "si": current = ""
                case "rPh": phoneticDepth += 1
                case "t": inText = phoneticDepth == 0
                default: break
                }
            },
            end: { name in
                switch name {
                case "si": strings.append(decodeEscapes(current))
                case "rPh": phoneticDepth -= 1
                case "t": inText = false
                default: break
                }
            },
            text: { if inText { current += $0 } }
        )
        return strings
    }

    struct Styles {
        /// cellXfs index -> numFmtId.
        var formatIDs: [Int]
        /// numFmtId -> format code, for custom formats.
        var customFormats: [Int: String]

        func numberFormat(styleIndex: Int) -> (code: String, isDate: Bool) {
            let id = styleIndex < formatIDs.count ? formatIDs[styleIndex] : 0
            if let code = customFormats[id] { return (code, XLSXReader.isDateFormat(code)) }
            let code = XLSXReader.builtInFormats[id] ?? "General"
            return (code, (14...22).contains(id) || (45...47).contains(id))
        }
    }

    static let builtInFormats: [Int: String] = [
        0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
        12: "# ?/?", 13: "# ??/??", 14: "m/d/yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
        19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)",
        38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
        46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
    ]

    /// A format code is a date/time format if, outside quoted text, escapes and `[...]` sections (other than
    /// elapsed-time `[h]`, `[m]`, `[s]`), it uses any of the letters y m d h s.
    static func isDateFormat(_ code: String) -> Bool {
        var inQuotes = false
        var inBracket = false
        var bracket = ""
        var escaped = false
        for character in code.lowercased() {
            if escaped {
                escaped = false
                continue
            }
            if inQuotes {
                if character == "\"" { inQuotes = false }
                continue
            }
            if inBracket {
                if character == "]" {
                    inBracket = false
                    if ["h", "hh", "m", "mm", "s", "ss"].contains(bracket) { return true }
                } else {
                    bracket.append(character)
                }
                continue
            }
            switch character {
            case "\"": inQuotes = true
            case "\\", "_", "*": escaped = true
            case "[":
                inBracket = true
                bracket = ""
            case "y", "m", "d", "h", "s": return true
            default: break
            }
        }
        return false
    }

    private static func parseStyles(_ data: Data) throws -> Styles {
        var styles = Styles(formatIDs: [], customFormats: [:])
        var inCellXfs = false
        try parse(
            data,
            start: { name, attributes in
                switch name {
                case "numFmt":
                    if let id = attributes["numFmtId"].flatMap({ Int($0) }), let code = attributes["formatCode"] {
                        styles.customFormats[id] = code
                    }
                case "cellXfs": inCellXfs = true
                case "xf" where inCellXfs: styles.formatIDs.append(attributes["numFmtId"].flatMap { Int($0) } ?? 0)
                default: break
                }
            },
            end: { name in if name == "cellXfs" { inCellXfs = false } },
            text: { _ in }
        )
        return styles
    }

    /// Text of every element that has no child elements, by local name (last one wins).
    private static func parseLeafElements(_ data: Data) throws -> [String: String] {
        var values: [String: String] = [:]
        var current = ""
        try parse(
            data,
            start: { _, _ in current = "" },
            end: { name in
                if !current.isEmpty { values[name] = current }
                current = ""
            },
            text: { current += $0 }
        )
        return values
    }

    private static func parseSheet(_ data: Data, name: String, sharedStrings: [String], styles: Styles) throws -> Sheet
    {
        var sheet = Sheet(name: name)
        var row: [Cell] = []
        var inRow = false
        // The cell being read.
        var reference = ""
        var type = ""
        var styleIndex = 0
        var value: String?
        var formula: String?
        var inlineText: String?
        var phoneticDepth = 0
        var collecting: String?  // element whose text is being collected: "v", "f", "t", "formula"
        var buffer = ""
        var conditionalRange = ""

        func finishCell() throws {
            guard let (rowIndex, columnIndex) = splitReference(reference) else {
                throw ReadError(description: "bad cell reference \(reference) in sheet \(name)")
            }
            let format = styles.numberFormat(styleIndex: styleIndex)
            var cell = Cell(
                reference: reference, row: rowIndex, column: columnIndex, kind: .blank, text: "", number: nil,
                formula: formula, styleIndex: styleIndex, numberFormat: format.code, styleIsDate: format.isDate,
                isInlineString: type == "inlineStr")
            switch type {
            case "s":
                guard let index = value.flatMap({ Int($0) }), index < sharedStrings.count else {
                    throw ReadError(description: "bad shared string index in \(reference)")
                }
                cell.kind = .string
                cell.text = sharedStrings[index]
            case "inlineStr":
                cell.kind = .string
                cell.text = decodeEscapes(inlineText ?? "")
            case "b":
                cell.kind = .boolean
                cell.number = value.flatMap { Double($0) }
                cell.text = value == "1" ? "TRUE" : "FALSE"
            case "e":
                cell.kind = .error
                cell.text = value ?? ""
            case "str":
                cell.kind = .string
                cell.text = value ?? ""
            default:
                if let value {
                    cell.kind = .number
                    cell.text = value
                    cell.number = Double(value)
                }
            }
            if formula != nil {
                cell.kind = .formula
                cell.text = value ?? ""
            }
            row.append(cell)
            sheet.cellsByReference[reference] = cell
        }

        var failure: Error?
        try parse(
            data,
            start: { element, attributes in
                switch element {
                case "dimension": sheet.dimension = attributes["ref"]
                case "pane":
                    if let state = attributes["state"], state.hasPrefix("frozen") {
                        sheet.frozenPane = FrozenPane(
                            rows: attributes["ySplit"].map { Int(Double($0) ?? 0) } ?? 0,
                            columns: attributes["xSplit"].map { Int(Double($0) ?? 0) } ?? 0,
                            topLeftCell: attributes["topLeftCell"])
                    }
                case "col":
                    if let min = attributes["min"].flatMap({ Int($0) }),
                        let max = attributes["max"].flatMap({ Int($0) }),
                        let width = attributes["width"].flatMap({ Double($0) })
                    {
                        for column in min...max { sheet.columnWidths[column - 1] = width }
                    }
                case "row":
                    inRow = true
                    row = []
                case "c":
                    reference = attributes["r"] ?? ""
                    type = attributes["t"] ?? "n"
                    styleIndex = attributes["s"].flatMap { Int($0) } ?? 0
                    value = nil
                    formula = nil
                    inlineText = nil
                case "v", "f", "formula":
                    collecting = element
                    buffer = ""
                case "is": inlineText = ""
                case "rPh": phoneticDepth += 1
                case "t" where inlineText != nil && phoneticDepth == 0:
                    collecting = "t"
                    buffer = ""
                case "autoFilter": sheet.autoFilterRef = attributes["ref"]
                case "conditionalFormatting": conditionalRange = attributes["sqref"] ?? ""
                case "cfRule":
                    sheet.conditionalFormats.append(
                        ConditionalFormat(
                            range: conditionalRange, type: attributes["type"] ?? "", comparison: attributes["operator"],
                            formulas: [], dxfID: attributes["dxfId"].flatMap { Int($0) }))
                default: break
                }
            },
            end: { element in
                switch element {
                case "v" where collecting == "v": value = buffer
                case "f" where collecting == "f": formula = buffer
                case "t" where collecting == "t": inlineText = (inlineText ?? "") + buffer
                case "formula" where collecting == "formula":
                    if !sheet.conditionalFormats.isEmpty {
                        sheet.conditionalFormats[sheet.conditionalFormats.count - 1].formulas.append(buffer)
                    }
                case "rPh": phoneticDepth -= 1
                case "c":
                    do { try finishCell() } catch { failure = failure ?? error }
                case "row":
                    if inRow { sheet.rows.append(row) }
                    inRow = false
                default: break
                }
                if element == collecting { collecting = nil }
            },
            text: { if collecting != nil { buffer += $0 } }
        )
        if let failure { throw failure }
        return sheet
    }

    // MARK: - Helpers

    /// "C5" -> (row 4, column 2).
    static func splitReference(_ reference: String) -> (row: Int, column: Int)? {
        var column = 0
        var rowDigits = ""
        for character in reference {
            if let ascii = character.asciiValue, (65...90).contains(ascii), rowDigits.isEmpty {
                column = column * 26 + Int(ascii - 64)
            } else if character.isASCII, character.isNumber {
                rowDigits.append(character)
            } else {
                return nil
            }
        }
        guard column > 0, let row = Int(rowDigits), row > 0 else { return nil }
        return (row - 1, column - 1)
    }

    /// Decodes OOXML `_xHHHH_` escapes (`_x005F_` is a literal underscore).
    static func decodeEscapes(_ text: String) -> String {
        guard text.contains("_x") else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "_", index + 6 < scalars.count, scalars[index + 1] == "x", scalars[index + 6] == "_",
                let code = UInt32(String(String.UnicodeScalarView(scalars[(index + 2)...(index + 5)])), radix: 16),
                let decoded = Unicode.Scalar(code)
            {
                result.append(decoded)
                index += 7
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
    }

    private static func parse(_ data: Data, start: @escaping (String, [String: String]) -> Void) throws {
        try parse(data, start: start, end: { _ in }, text: { _ in })
    }

    private static func parse(
        _ data: Data,
        start: @escaping (String, [String: String]) -> Void,
        end: @escaping (String) -> Void,
        text: @escaping (String) -> Void
    ) throws {
        let handler = SAXHandler(start: start, end: end, text: text)
        // Fed as a stream: XMLParser(data:) hands libxml2 the whole document at once, and libxml2 (without
        // XML_PARSE_HUGE) fails with a bare "Code=1" error on single-line documents over 10 MB, which is what a
        // 100,000-row sheet is.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.delegate = handler
        guard parser.parse() else {
            throw ReadError(description: "XML parse error: \(String(describing: parser.parserError))")
        }
    }

    /// Forwards XMLParser events (element names without namespace prefix) to closures.
    private final class SAXHandler: NSObject, XMLParserDelegate {
        let start: (String, [String: String]) -> Void
        let end: (String) -> Void
        let text: (String) -> Void

        init(
            start: @escaping (String, [String: String]) -> Void,
            end: @escaping (String) -> Void,
            text: @escaping (String) -> Void
        ) {
            self.start = start
            self.end = end
            self.text = text
        }

        private func localName(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            start(localName(elementName), attributeDict)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            end(localName(elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text(string) }
    }
}
