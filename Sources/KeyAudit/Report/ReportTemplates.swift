import Foundation
import Mustache

/// The templates a run renders with: the defaults compiled into the binary (generated from the top-level
/// `templates/` folder by `make templates`), each overridden by a file of the same name in `--templates DIR`.
///
/// Defaults are embedded rather than looked up beside the binary so that an installed keyaudit works from
/// any directory and can never pick up a stale copy; `make install` still copies them to
/// `share/keyaudit/templates` as a starting point for users' own.
public struct ReportTemplates: Sendable {
    public let library: MustacheLibrary
    public let xlsxLayout: XLSXLayout?
    /// Where each template came from (`built-in` or a path), for messages.
    public let origins: [String: String]

    /// Content types of keyaudit's templates, registered once, before any template is parsed.
    static let contentTypes: Void = {
        MustacheContentTypes.register(MarkdownContentType(), named: "MARKDOWN")
        MustacheContentTypes.register(HTMLScalarContentType(), named: "SAFEHTML")
    }()
    static let markdownPragma = "{{% CONTENT_TYPE: MARKDOWN}}"
    static let htmlPragma = "{{% CONTENT_TYPE: SAFEHTML}}"

    /// Loads and parses everything the formats need; any syntax error is a usage error naming file, line, column.
    public static func load(
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

/// Markdown escaping for text from the API (key names are hostile input): table cells cannot be broken
/// with `|` or a newline, no emphasis, code, link or HTML can be injected, and bidi controls are shown.
struct MarkdownContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Self.escape(text) }

    /// Bytes that may need escaping; a value without any (most numbers, dates, hashes) is returned as it is.
    static let special: [Bool] = (0..<256).map { byte in
        byte < 0x20 || byte >= 0x7F || "\\`*_[]|~#<>&:wW".utf8.contains(UInt8(byte))
    }

    static func escape(_ text: String) -> String {
        if !text.utf8.contains(where: { special[Int($0)] }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "`", "*", "_", "[", "]", "|", "~":
                out.append("\\")
                out.unicodeScalars.append(scalar)
            case "#" where previous == " " || out.isEmpty:
                out += "\\#"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n": out += " ↵ "
            case "\r", "\t": out += " "
            default:
                if Display.isInvisibleControl(scalar) {
                    out += Display.codePoint(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            previous = scalar
        }
        // GitHub turns bare URLs into links; a key name must not become a clickable link in a security report.
        if Self.hasAutolink(out) {
            out = out.replacingOccurrences(of: "://", with: "\\://")
            for prefix in ["www.", "WWW.", "Www."] {
                out = out.replacingOccurrences(of: prefix, with: prefix.dropLast() + "\\.")
            }
        }
        return out
    }

    /// Whether the text holds `://` or `www.` (in any case), checked on bytes.
    static func hasAutolink(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3 else { return false }
        for index in 0..<(bytes.count - 2) {
            if bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"),
                bytes[index + 2] == UInt8(ascii: "/")
            {
                return true
            }
            if index + 3 < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "w"),
                bytes[index + 1] | 0x20 == UInt8(ascii: "w"),
                bytes[index + 2] | 0x20 == UInt8(ascii: "w"), bytes[index + 3] == UInt8(ascii: ".")
            {
                return true
            }
        }
        return false
    }
}

/// HTML escaping one Unicode scalar at a time. swift-mustache's own escaper works on Swift characters, so a
/// `<` followed by a combining mark (one character, `≮`) slipped through unescaped; key names are hostile input.
/// Bidirectional controls are shown as their code point, so a name cannot reverse the text around it.
struct HTMLScalarContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Self.escape(text) }

    static func escape(_ text: String) -> String {
        // Most values (numbers, dates, hashes) need nothing: return them as they are.
        if !text.utf8.contains(where: {
            $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 || $0 < 0x20 || $0 >= 0x80
        }) {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += " ↵ "
            case "\t", "\r": out += " "
            default:
                if Display.isInvisibleControl(scalar) {
                    out += Display.codePoint(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
