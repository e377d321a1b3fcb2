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
        MustacheContentTypes.register(HTMLScalarContentType(), named: "SAFEHTML")
    }()
    static let markdownPragma = "{{% CONTENT_TYPE: MARKDOWN}}"
    static let htmlPragma = "{{% CONTENT_TYPE: SAFEHTML}}"

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
                guard let data = FileManager.default.contents(atPath: path),
                    let text = String(data: data, encoding: .utf8)
                else {
                    throw .usage("cannot read template \(path); check its permissions and that it is UTF-8")
                }
                sources[name] = (text, path)
            }
        }
        var library = MustacheLibrary()
        var origins: [String: String] = [:]
        for (file, source) in sources where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
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

    /// Renders `report.<format>` with the view model.
    func render(_ format: ReportFormat, model: [String: Any]) throws(KeyAuditError) -> String {
        guard let text = library.render(model, withTemplate: "report.\(format.rawValue)") else {
            throw .usage("no report.\(format.rawValue).mustache template")
        }
        return text
    }
}

/// The `MARKDOWN` content type: every value a `.md` template prints goes through ``Escaping/markdown(_:)``.
struct MarkdownContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escaping.markdown(text) }
}

/// The `SAFEHTML` content type: every value a `.html` template prints goes through ``Escaping/html(_:)``.
struct HTMLScalarContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escaping.html(text) }
}
