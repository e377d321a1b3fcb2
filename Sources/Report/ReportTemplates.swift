import Foundation
import KeyAuditCore
import Mustache

/// The templates a run renders with: the defaults compiled into the binary (generated from the top-level
/// `templates/` folder by `make templates`), each overridden by a file of the same name in `--templates DIR`.
///
/// Defaults are embedded rather than looked up beside the binary so that an installed keyaudit works from
/// any directory and can never pick up a stale copy; `make install` still copies them to
/// `share/keyaudit/templates` as a starting point for users' own.
package struct ReportTemplates: Sendable {
    package let library: MustacheLibrary
    package let xlsxLayout: XLSXLayout?
    /// Where each template came from (`built-in` or a path), for messages.
    package let origins: [String: String]

    /// Content types of keyaudit's templates, registered once, before any template is parsed.
    static let contentTypes: Void = {
        MustacheContentTypes.register(MarkdownContentType(), named: "MARKDOWN")
        MustacheContentTypes.register(MarkdownCodeContentType(), named: "MARKDOWN_CODE")
        MustacheContentTypes.register(HTMLScalarContentType(), named: "SAFEHTML")
    }()
    static let markdownPragma = "{{% CONTENT_TYPE: MARKDOWN}}"
    static let htmlPragma = "{{% CONTENT_TYPE: SAFEHTML}}"

    /// `{{#code}}{{value}}{{/code}}` in a Markdown template: each value printed inside becomes a complete code
    /// span (backticks included) that shows it exactly, since backslash escapes do not work inside backticks.
    /// The lambda only puts the section's own text (from the template, never from the data) under the
    /// `MARKDOWN_CODE` content type.
    static var codeSpanLambda: MustacheLambda {
        MustacheLambda { (text: String) -> Any? in "{{% CONTENT_TYPE: MARKDOWN_CODE}}" + text }
    }

    /// report.md stays under this many characters (UTF-16 units) for any account: GitHub refuses an issue, pull
    /// request or comment body over 65,536.
    package static let markdownBudget = 60_000

    /// Loads and parses everything the formats need; any syntax error is a usage error naming file, line, column.
    package static func load(
        overrides directory: String?, formats: [ReportFormat]
    ) throws(KeyAuditError)
        -> ReportTemplates
    {
        _ = contentTypes
        var sources = EmbeddedTemplates.files.mapValues { (text: $0, origin: "built-in templates/") }
        if let directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw .usage("--templates \(directory) is not a folder; point it at a folder of .mustache files")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where name.hasSuffix(".mustache") || name.hasSuffix(".yml") {
                let path = (directory as NSString).appendingPathComponent(name)
                // Opened without blocking, a regular file within the size limit: a FIFO or a huge file is refused.
                let bytes = try InputFile.read(path, what: "template", limit: TemplateCheck.sizeLimit)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw .usage("template \(Escaping.oneLine(path)) is not UTF-8 text; save it as UTF-8")
                }
                sources[name] = (text, path)
            }
        }
        var library = MustacheLibrary()
        var origins: [String: String] = [:]
        var texts: [String: String] = [:]
        var places: [String: String] = [:]
        for (file, source) in sources.sorted(by: { $0.key < $1.key }) where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            let place = source.origin.hasPrefix("built-in") ? "templates/\(file)" : source.origin
            try TemplateCheck.checkSource(source.text, place: place)
            texts[name] = source.text
            places[name] = place
            var text = source.text
            // swift-mustache renders partials with its own HTML escaping unless they say otherwise: every
            // template gets keyaudit's content type on a line of its own (a standalone tag, so it leaves no
            // trace in the output), and no partial can slip through with the wrong escaping.
            var addedLines = 0
            if name.hasSuffix(".md"), !text.hasPrefix(markdownPragma) {
                text = markdownPragma + "\n" + text
                addedLines = 1
            } else if name.hasSuffix(".html"), !text.hasPrefix(htmlPragma) {
                text = htmlPragma + "\n" + text
                addedLines = 1
            }
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch let error as MustacheTemplate.ParserError {
                let place = source.origin.hasPrefix("built-in") ? "templates/\(file)" : source.origin
                throw .usage(
                    "\(place):\(error.context.lineNumber - addedLines):\(error.context.columnNumber): template syntax error (\(error.error)); fix the template"
                )
            } catch {
                throw .usage("\(source.origin): template syntax error (\(error)); fix the template")
            }
            origins[name] = source.origin
        }
        try TemplateCheck.checkPartials(
            texts, places: places,
            roots: formats.filter { $0 != .xlsx }.map { "report.\($0.rawValue)" })
        for format in formats where format != .xlsx {
            guard library.getTemplate(named: "report.\(format.rawValue)") != nil else {
                throw .usage(
                    "no report.\(format.rawValue).mustache template; restore it in --templates or drop \(format.rawValue) from --format"
                )
            }
        }
        var layout: XLSXLayout?
        if formats.contains(.xlsx), let source = sources[XLSXLayout.fileName] {
            let place = source.origin.hasPrefix("built-in") ? "templates/\(XLSXLayout.fileName)" : source.origin
            layout = try XLSXLayout.parse(source.text, name: place)
        }
        return ReportTemplates(library: library, xlsxLayout: layout, origins: origins)
    }

    /// Renders `report.<format>` with the view model, within a ``RenderBudget`` of `limit` list elements.
    func render(_ format: ReportFormat, model: [String: Any], limit: Int = 500_000) throws(KeyAuditError) -> String {
        let budget = RenderBudget(limit: limit)
        guard let text = library.render(budget.wrap(model), withTemplate: "report.\(format.rawValue)") else {
            throw .usage("no report.\(format.rawValue).mustache template")
        }
        guard !budget.exhausted else {
            let origin = origins["report.\(format.rawValue)"] ?? "report.\(format.rawValue).mustache"
            throw .usage(
                "\(origin) (or a partial it includes) renders more than \(HumanReadable.count(limit)) list elements, lists nested inside lists; a report template goes through each list once: simplify it"
            )
        }
        return text
    }

    /// report.html: every list cut at `--report-rows`.
    func renderHTML(_ facts: ReportFacts) throws(KeyAuditError) -> String {
        try render(
            .html, model: ReportViewModel.build(facts, profile: .html(rowLimit: facts.context.rowLimit)),
            limit: RenderBudget.limit(for: facts))
    }

    /// report.md, with shorter lists until it fits ``markdownBudget``; as a last resort the text is cut at a line
    /// end with a note (a template that prints more than any list can hold).
    func renderMarkdown(_ facts: ReportFacts) throws(KeyAuditError) -> String {
        var text = ""
        for profile in ReportViewModel.Profile.markdown(rowLimit: facts.context.rowLimit) {
            text = try render(
                .md, model: ReportViewModel.build(facts, profile: profile), limit: RenderBudget.limit(for: facts))
            if text.utf16.count <= Self.markdownBudget { return text }
        }
        let note =
            "\n\n> **report.md was cut here** to stay under GitHub's size limit; report.html and report.xlsx hold everything.\n"
        var kept = Substring(text)
        let room = Self.markdownBudget - note.utf16.count
        while kept.utf16.count > room, let newline = kept.dropLast().lastIndex(of: "\n") { kept = kept[..<newline] }
        if kept.utf16.count > room { kept = "" }
        return String(kept) + note
    }
}

/// The `MARKDOWN` content type: every value a `.md` template prints goes through ``Escaping/markdown(_:)``.
struct MarkdownContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escaping.markdown(text) }
}

/// The `MARKDOWN_CODE` content type: each value becomes a whole code span, see ``Escaping/markdownCode(_:)``.
struct MarkdownCodeContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escaping.markdownCode(text) }
}

/// The `SAFEHTML` content type: every value a `.html` template prints goes through ``Escaping/html(_:)``.
struct HTMLScalarContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escaping.html(text) }
}
