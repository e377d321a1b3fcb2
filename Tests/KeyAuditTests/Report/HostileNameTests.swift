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

/// Key names are hostile input. The fixed account of the report tests, with every key renamed to something
/// that would break or inject into a report, rendered in all three formats and checked for escaping.
@Suite("Hostile key names")
struct HostileNameTests {
    fileprivate static let script = "<script>alert(1)</script>"
    fileprivate static let pipe = "a|b"
    fileprivate static let newlines = "line one\nline two\r\nline three"
    fileprivate static let hyperlink = "=HYPERLINK(\"http://x\",\"y\")"
    fileprivate static let long = String(repeating: "long-name-", count: 30)
    fileprivate static let emoji = "🔑 prod 👩‍💻 key"
    fileprivate static let rtl = "invoice\u{202E}fdp.exe שלום"
    fileprivate static let empty = ""
    fileprivate static let markdown = "**bold** _x_ [l](http://e)"
    fileprivate static let backticks = "``` `code` ```"
    fileprivate static let formulaPlus = "+1+1"
    fileprivate static let formulaMinus = "-2+3"
    fileprivate static let formulaAt = "@SUM(A1:A2)"
    /// `<`, `"`, `&` and `|` each followed by a combining mark: one Character to Swift (`<` + U+0338 is `≮`),
    /// but still `<`, `"`, `&` and `|` to a browser or a Markdown parser.
    fileprivate static let combining =
        "x<\u{0338}img src=x onerror=alert(1)> \"\u{0301} onmouseover=alert(1) x=\"\u{0301} &\u{0301}amp; y|\u{0338}z"

    /// Key digit → hostile name; digits 1–8 are the fixture's keys, a–e extra keys without a limit.
    fileprivate static let names: [Character: String] = [
        "1": script, "2": pipe, "3": newlines, "4": hyperlink, "5": long, "6": emoji, "7": rtl, "8": empty,
        "a": markdown, "b": backticks, "c": formulaPlus, "d": formulaMinus, "e": formulaAt,
    ]

    fileprivate static func hostileContext(_ names: [Character: String] = names) -> ReportContext {
        let extra: [JSONObject] = names.keys.filter { !$0.isNumber }.sorted().map { digit in
            GoldenReportFixture.keyObject(
                digit, name: .string(names[digit]!), workspace: GoldenReportFixture.workspaceA,
                [("limit", nil), ("limit_remaining", nil), ("limit_reset", nil)])
        }
        var replaced: [Character: JSONValue] = [:]
        for (digit, name) in names where digit.isNumber { replaced[digit] = .string(name) }
        return GoldenReportFixture.context(names: replaced, extraKeys: extra)
    }

    fileprivate static func shortHash(_ digit: Character) -> String { String(repeating: String(digit), count: 12) }

    // MARK: - Markdown

    // Markdown parsers (GitHub's cmark-gfm) read bytes, not Swift Characters: a `|` or `<` followed by a
    // combining mark is one Character to Swift but still a `|` or `<` to them. Everything below works on
    // Unicode scalars.

    /// Number of `character` not escaped by a backslash (an odd run of backslashes before it).
    fileprivate static func unescapedCount(of character: Unicode.Scalar, in line: Substring) -> Int {
        var count = 0
        var backslashes = 0
        for c in line.unicodeScalars {
            if c == character, backslashes % 2 == 0 { count += 1 }
            backslashes = c == "\\" ? backslashes + 1 : 0
        }
        return count
    }

    /// Splits a table row on its unescaped pipes (the cells between the outer ones).
    fileprivate static func cells(_ line: Substring) -> [String] {
        var cells: [String] = []
        var current = String.UnicodeScalarView()
        var backslashes = 0
        for c in line.unicodeScalars {
            if c == "|", backslashes % 2 == 0 {
                cells.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
            backslashes = c == "\\" ? backslashes + 1 : 0
        }
        cells.append(String(current))
        // Drop what precedes the first and follows the last pipe.
        return Array(cells.dropFirst().dropLast()).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A Markdown table: its header line, the pipe count of the header, and its rows.
    fileprivate struct Table {
        var header: Substring
        var pipes: Int
        var rows: [Substring]
    }

    fileprivate static func tables(_ markdown: String) -> [Table] {
        // Split on the byte: "\r\n" is one Character to Swift, and would hide a line break inside a row.
        let lines = markdown.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            Substring(String(decoding: $0, as: UTF8.self))
        }
        var tables: [Table] = []
        var index = 0
        while index + 1 < lines.count {
            let line = lines[index]
            if line.hasPrefix("|"), lines[index + 1].hasPrefix("|---") || lines[index + 1].hasPrefix("|--:") {
                var table = Table(header: line, pipes: unescapedCount(of: "|", in: line), rows: [])
                index += 2
                while index < lines.count, lines[index].hasPrefix("|") {
                    table.rows.append(lines[index])
                    index += 1
                }
                tables.append(table)
            } else {
                index += 1
            }
        }
        return tables
    }

    /// Problems in a cell's text: Markdown syntax or HTML that a name could have injected.
    fileprivate static func markdownProblems(_ cell: String) -> [String] {
        var problems: [String] = []
        for special: Unicode.Scalar in ["*", "_", "`", "[", "]", "|", "~"]
        where unescapedCount(of: special, in: Substring(cell)) > 0 {
            problems.append("unescaped \(special)")
        }
        let bytes = Array(cell.utf8)
        if bytes.contains(UInt8(ascii: "<")) { problems.append("raw <") }
        if bytes.contains(UInt8(ascii: ">")) { problems.append("raw >") }
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "&") {
            let after = bytes[index...]
            let entity = ["&lt;", "&gt;", "&amp;", "&quot;", "&#"].contains { after.starts(with: Array($0.utf8)) }
            if !entity {
                problems.append("raw &")
                break
            }
        }
        if bytes.contains(0x0A) || bytes.contains(0x0D) { problems.append("raw newline") }
        if cell.unicodeScalars.contains(where: {
            (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
        }) {
            problems.append("raw bidi control")
        }
        if cell.contains("://") && !cell.contains("\\://") { problems.append("bare URL (autolinked by GitHub)") }
        return problems
    }

    @Test("Markdown tables keep their columns and names cannot inject Markdown or HTML")
    func markdownIsEscaped() throws {
        let folder = try GoldenReportFixture.render(Self.hostileContext(), formats: [.md], label: "hostile-md")
        defer { try? FileManager.default.removeItem(at: folder) }
        let markdown = try GoldenReportFixture.text(folder, .md)
        let tables = Self.tables(markdown)
        #expect(tables.count >= 10)
        #expect(!markdown.utf8.contains(0x0D), "report.md has a carriage return")

        // Every row of every table has exactly as many cell separators as its header.
        for table in tables {
            for row in table.rows {
                #expect(
                    Self.unescapedCount(of: "|", in: row) == table.pipes,
                    "row has \(Self.unescapedCount(of: "|", in: row)) separators, header \(table.pipes): \(row)")
            }
        }

        // Findings: a table per rule, 5 columns, one row per finding (no rule has more than Markdown lists), the
        // key name in column 1.
        let context = Self.hostileContext()
        let findingTables = tables.filter { $0.header.hasPrefix("| Key | Workspace | Owner | Evidence | Status |") }
        #expect(findingTables.count == Set(context.audit.findings.map(\.rule)).count)
        #expect(findingTables.reduce(0) { $0 + $1.rows.count } == context.audit.findings.count)
        var names = Set<String>()
        for table in findingTables {
            #expect(table.pipes == 6)
            for row in table.rows {
                let cells = Self.cells(row)
                #expect(cells.count == 5, "\(row)")
                let problems = Self.markdownProblems(cells[0])
                #expect(problems.isEmpty, "findings key cell \(cells[0]): \(problems)")
                names.insert(cells[0])
            }
        }
        #expect(!markdown.contains("| Name | Hash |"), "report.md has no key inventory")

        // Names in the changes tables (added, spend, counter resets) are escaped too.
        for table in tables where table.header.hasPrefix("| Key | Hash |") {
            for row in table.rows {
                let cell = Self.cells(row)[0]
                #expect(Self.markdownProblems(cell).isEmpty, "changes cell \(cell): \(Self.markdownProblems(cell))")
            }
        }

        // Each name is there, on one line, in its escaped form (a long one cut for GitHub).
        for expected in [
            "&lt;script&gt;alert(1)&lt;/script&gt;", "a\\|b", "line one ↵ line two  ↵ line three",
            "=HYPERLINK(\"http\\://x\",\"y\")", String(Self.long.prefix(120)) + "…", Self.emoji,
            "invoiceU+202Efdp.exe שלום", "(empty name)", "\\*\\*bold\\*\\* \\_x\\_ \\[l\\](http\\://e)",
            "\\`\\`\\` \\`code\\` \\`\\`\\`",
        ] {
            #expect(names.contains(expected), "no finding row names \(expected)")
        }

        // Nothing of the raw names survives anywhere in the file.
        for raw in [Self.script, "<script", "a|b", "line one\n", "**bold**", "_x_", "[l](", "`code`", "\u{202E}"] {
            #expect(!markdown.contains(raw), "report.md contains the raw \(raw.debugDescription)")
        }
    }

    // MARK: - HTML

    /// Every element the default templates use; anything else was injected.
    fileprivate static let allowedElements: Set<String> = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "span", "code",
        "strong", "nav", "a", "main", "section", "table", "thead", "tbody", "tr", "th", "td", "bdi", "div", "b",
        "details", "summary", "ul", "li", "footer", "colgroup", "col", "input", "label", "figure", "figcaption",
        "svg", "line", "text", "rect", "polyline", "circle",
    ]

    @Test("HTML shows names as text, runs no script and loads nothing")
    func htmlIsEscaped() throws {
        let folder = try GoldenReportFixture.render(Self.hostileContext(), formats: [.html], label: "hostile-html")
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = try GoldenReportFixture.text(folder, .html)

        #expect(!html.lowercased().contains("<script"), "report.html has a <script")
        #expect(html.contains("<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>"))
        #expect(html.contains("<bdi>a|b</bdi>"))
        #expect(html.contains("<bdi>\(Self.emoji)</bdi>"))
        #expect(html.contains("<bdi>\(Self.long)</bdi>"))
        #expect(html.contains("<bdi>(empty name)</bdi>"))
        #expect(html.contains("<bdi>**bold** _x_ [l](http://e)</bdi>"))
        #expect(html.contains("<bdi>=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)</bdi>"))

        // Every `<` opens a tag the templates write: no `<` from a name survives, no element is injected,
        // and no attribute other than the templates' own appears.
        let tag = try Regex(#"<(/?)([A-Za-z!][A-Za-z0-9]*)([^<>]*)>"#)
        let attributeName = try Regex(#"([A-Za-z-]+)\s*="#)
        let allowedAttributes: Set<String> = [
            "lang", "charset", "http-equiv", "content", "name", "class", "href", "id", "role", "type", "for",
            // The trend charts' SVG: geometry and presentation only.
            "viewbox", "aria-labelledby", "x", "y", "x1", "y1", "x2", "y2", "width", "height", "fill", "stroke",
            "stroke-width", "text-anchor", "font-size", "points", "cx", "cy", "r",
        ]
        var seen = Set<String>()
        var tags = 0
        for match in html.matches(of: tag) {
            tags += 1
            let name = String(match.output[2].substring ?? "").lowercased()
            seen.insert(name)
            #expect(Self.allowedElements.contains(name), "unexpected element <\(name)> in report.html")
            let attributes = String(match.output[3].substring ?? "")
            // Attribute values are quoted by the templates; drop them before looking at attribute names.
            let unquoted = attributes.replacing(try Regex(#""[^"]*""#), with: "\"\"")
            for attribute in unquoted.matches(of: attributeName) {
                let attributeText = String(attribute.output[1].substring ?? "").lowercased()
                #expect(allowedAttributes.contains(attributeText), "attribute \(attributeText) in <\(name)>")
            }
        }
        #expect(seen.contains("bdi") && seen.contains("table") && seen.contains("svg"))
        let lessThan = html.utf8.filter { $0 == UInt8(ascii: "<") }.count
        #expect(
            lessThan == tags, "\(lessThan - tags) `<` in report.html do not open a template tag (unescaped from a name)"
        )

        // A Content-Security-Policy that forbids loading anything, in <head>.
        let head = try #require(html.range(of: "</head>")).lowerBound
        let cspPattern = try Regex(#"<meta http-equiv="Content-Security-Policy" content="([^"]*)">"#)
        let csp = try #require(html.firstMatch(of: cspPattern), "no CSP meta tag")
        #expect(csp.range.upperBound <= head)
        let policy = String(csp.output[1].substring ?? "")
        let directives = Dictionary(
            policy.split(separator: ";").map { part -> (String, String) in
                let words = part.split(separator: " ", maxSplits: 1)
                return (String(words.first ?? ""), words.count > 1 ? String(words[1]) : "")
            }, uniquingKeysWith: { first, _ in first })
        #expect(directives["default-src"] == "'none'")
        for fetch in ["script-src", "img-src", "font-src", "connect-src", "frame-src", "object-src", "media-src"] {
            #expect(directives[fetch] == nil || directives[fetch] == "'none'", "CSP allows \(fetch)")
        }
        #expect(directives["style-src"] == "'unsafe-inline'")
        #expect(!policy.contains("http") && !policy.contains("*") && !policy.contains("data:"))

        // No attribute points anywhere outside the document.
        let attribute = try Regex(#"\s(src|href|action|formaction|srcset|poster|data|background)\s*=\s*"([^"]*)""#)
        for match in html.matches(of: attribute) {
            let name = String(match.output[1].substring ?? "")
            let value = String(match.output[2].substring ?? "")
            #expect(name == "href" && value.hasPrefix("#"), "\(name)=\"\(value)\" in report.html")
        }
        #expect(!html.lowercased().contains("url("))
        #expect(!html.lowercased().contains("@import"))

        // A right-to-left override cannot act at all: it is shown as its code point, inside the <bdi>
        // that isolates the name.
        #expect(!html.unicodeScalars.contains("\u{202E}"), "a raw U+202E reached report.html")
        #expect(html.contains("<bdi>") && html.contains("U+202E"))
    }

    /// `bytes` holds `sequence` somewhere.
    fileprivate static func contains(_ bytes: [UInt8], _ sequence: [UInt8]) -> Bool {
        guard bytes.count >= sequence.count else { return false }
        return (0...(bytes.count - sequence.count)).contains {
            bytes[$0..<($0 + sequence.count)].elementsEqual(sequence)
        }
    }

    @Test("escaping holds when a combining mark follows <, \" or & (HTML) and | (Markdown)")
    func escapingHoldsBeforeCombiningMarks() throws {
        var names = Self.names.filter { $0.key.isNumber }
        names["f"] = Self.combining
        let context = Self.hostileContext(names)
        // A user's inventory template that puts the name in an attribute, as templates may.
        let overrides = try GoldenReportFixture.scratchFolder("hostile-attr")
        defer { try? FileManager.default.removeItem(at: overrides) }
        let attributeTemplate =
            "<section id=\"inventory\">{{#keys}}<p title=\"{{name}}\">{{hash_short}}</p>\n{{/keys}}</section>\n"
        try Data(attributeTemplate.utf8).write(to: overrides.appendingPathComponent("inventory.html.mustache"))
        let standard = try GoldenReportFixture.render(context, formats: [.md, .html], label: "combining")
        let custom = try GoldenReportFixture.render(
            context, formats: [.html], overrides: overrides.path, label: "combining-attr")
        defer {
            try? FileManager.default.removeItem(at: standard)
            try? FileManager.default.removeItem(at: custom)
        }
        let html = Array(try GoldenReportFixture.text(standard, .html).utf8)
        // `<` U+0338, `"` U+0301, `&` U+0301 must come out as &lt;, &quot;, &amp; before the mark.
        let rawLessThan = Self.contains(html, [0x3C, 0xCC, 0xB8])
        let rawAmpersand = Self.contains(html, [0x26, 0xCC, 0x81])
        let escapedLessThan = Self.contains(html, Array("&lt;\u{0338}img".utf8))
        #expect(!rawLessThan, "`<` + U+0338 from a name is written raw in report.html")
        #expect(!rawAmpersand, "`&` + U+0301 from a name is written raw in report.html")
        #expect(escapedLessThan, "`<` + U+0338 does not appear as &lt; + U+0338")
        let attributes = Array(try GoldenReportFixture.text(custom, .html).utf8)
        let rawQuote = Self.contains(attributes, [0x22, 0xCC, 0x81])
        let injected = Self.contains(attributes, Array("\u{0301} onmouseover=alert(1) x=\"".utf8))
        #expect(!rawQuote, "`\"` + U+0301 from a name is written raw: it ends a template's attribute")
        #expect(!injected, "a name adds an onmouseover attribute to a user template's element")

        let markdown = try GoldenReportFixture.text(standard, .md)
        let findings = try #require(
            Self.tables(markdown).first { table in table.rows.contains { $0.contains("img src") } })
        let row = try #require(findings.rows.first { $0.contains("img src") })
        #expect(Self.unescapedCount(of: "|", in: row) == findings.pipes)
        #expect(Self.markdownProblems(Self.cells(row)[0]).isEmpty, "\(Self.markdownProblems(Self.cells(row)[0]))")
    }

    // MARK: - XLSX

    @Test("In the workbook a formula-looking name is a string, never a formula")
    func xlsxWritesNamesAsStrings() throws {
        let folder = try GoldenReportFixture.render(Self.hostileContext(), formats: [.xlsx], label: "hostile-xlsx")
        defer { try? FileManager.default.removeItem(at: folder) }
        let book = try XLSXReader.read(folder.appendingPathComponent("report.xlsx"))

        for sheetName in book.sheetNames {
            let sheet = try book.sheet(named: sheetName)
            for cell in sheet.rows.joined() {
                #expect(cell.kind != .formula, "\(sheetName)!\(cell.reference) is a formula: \(cell.formula ?? "")")
                #expect(cell.formula == nil)
            }
        }
        let keys = try book.sheet(named: "Keys")
        let header = try #require(keys.rows.first)
        let nameColumn = try #require(header.first { $0.text == "Name" }?.column)
        let hashColumn = try #require(header.first { $0.text == "Hash" }?.column)
        var found: [String: XLSXReader.Cell] = [:]
        for row in keys.rows.dropFirst() {
            guard let hash = row.first(where: { $0.column == hashColumn })?.text,
                let name = row.first(where: { $0.column == nameColumn })
            else { continue }
            found[hash] = name
        }
        for digit: Character in ["4", "c", "d", "e", "1", "2", "6", "a", "b"] {
            let cell = try #require(found[GoldenReportFixture.hash(digit)], "no Keys row for key \(digit)")
            #expect(cell.kind == .string)
            #expect(cell.text == Self.names[digit], "Keys name of key \(digit)")
            #expect(
                cell.numberFormat == "@", "a name from the API is stored as Text, so editing it cannot make a formula")
        }
        // Controls are shown as HTML and Markdown show them: no right-to-left override reverses a name.
        #expect(found[GoldenReportFixture.hash("7")]?.text == "invoiceU+202Efdp.exe שלום")
        #expect(found[GoldenReportFixture.hash("3")]?.text == "line one ↵ line two  ↵ line three")
        for sheetName in book.sheetNames {
            for cell in try book.sheet(named: sheetName).rows.joined() {
                #expect(
                    !cell.text.unicodeScalars.contains("\u{202E}"), "\(sheetName)!\(cell.reference) has a raw U+202E")
            }
        }
        let findings = try book.sheet(named: "Findings")
        let findingsHeader = try #require(findings.rows.first)
        let keyNameColumn = try #require(findingsHeader.first { $0.text == "Key name" }?.column)
        let nameCells = findings.rows.dropFirst().compactMap { row in row.first { $0.column == keyNameColumn } }
        let hyperlinkCell = try #require(nameCells.first { $0.text == Self.hyperlink })
        #expect(hyperlinkCell.kind == .string)
        #expect(nameCells.contains { $0.text == Self.formulaAt && $0.kind == .string })
    }
}
