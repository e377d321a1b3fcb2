import Foundation
import KeyAuditCore

/// What keyaudit checks in templates before swift-mustache parses or renders them: swift-mustache renders a
/// partial it cannot find as nothing (a report silently missing a section), recurses into a partial that
/// includes itself until the stack overflows, and parses nested sections recursively.
///
/// So, before any template is parsed: a size limit and a nesting limit; and once all are known: every
/// partial a report reaches exists, none includes itself, and chains of partials are bounded. Each is a usage
/// error (64) naming the template, its line, and what to do.
enum TemplateCheck {
    /// Larger than any report template; a bigger file is not one.
    static let sizeLimit = 1 << 20
    /// Sections (and blocks) open inside each other.
    static let nestingLimit = 64
    /// Partials included through partials.
    static let partialDepthLimit = 32

    /// One tag of a template.
    struct Tag: Equatable {
        /// nil for a variable; otherwise one of `# ^ / > < $ & { ! % =`.
        var kind: Character?
        var name: String
        var line: Int
    }

    /// The tags of `text`, following set-delimiter tags (`{{=<% %>=}}`) as swift-mustache does.
    static func tags(_ text: String) -> [Tag] {
        var tags: [Tag] = []
        var open = Array("{{".utf8)
        var close = Array("}}".utf8)
        let bytes = Array(text.utf8)
        var index = 0
        var line = 1
        func matches(_ delimiter: [UInt8], at position: Int) -> Bool {
            guard position + delimiter.count <= bytes.count else { return false }
            for offset in delimiter.indices where bytes[position + offset] != delimiter[offset] { return false }
            return true
        }
        while index < bytes.count {
            if bytes[index] == 0x0A { line += 1 }
            guard matches(open, at: index) else {
                index += 1
                continue
            }
            let tagLine = line
            var start = index + open.count
            var closing = close
            var kind: Character?
            // `{{{name}}}` with the default delimiters.
            if open == Array("{{".utf8), start < bytes.count, bytes[start] == UInt8(ascii: "{") {
                kind = "{"
                start += 1
                closing = Array("}}}".utf8)
            }
            var end = start
            while end < bytes.count, !matches(closing, at: end) {
                if bytes[end] == 0x0A { line += 1 }
                end += 1
            }
            guard end < bytes.count else { break }
            // Whitespace as swift-mustache skips it (`Character.isWhitespace`: tabs and newlines too). A check
            // that reads a tag differently from the renderer is a check the renderer can be led around.
            var content = trimmed(String(decoding: bytes[start..<end], as: UTF8.self))
            if kind == nil, let first = content.first, "#^/><$&!%=".contains(first) {
                kind = first
                content = trimmed(String(content.dropFirst()))
            }
            if kind == "=" {
                // `{{=<% %>=}}`: read as swift-mustache's parserSetDelimiter does: the start delimiter runs to
                // whitespace, the end one to whitespace or `=`.
                let characters = Array(content)
                var position = 0
                func run(while condition: (Character) -> Bool) -> String {
                    let from = position
                    while position < characters.count, condition(characters[position]) { position += 1 }
                    return String(characters[from..<position])
                }
                let newOpen = run { !$0.isWhitespace }
                _ = run { $0.isWhitespace }
                let newClose = run { $0 != "=" && !$0.isWhitespace }
                if !newOpen.isEmpty, !newClose.isEmpty {
                    open = Array(newOpen.utf8)
                    close = Array(newClose.utf8)
                }
            }
            tags.append(Tag(kind: kind, name: content, line: tagLine))
            index = end + closing.count
        }
        return tags
    }

    /// `text` without the whitespace swift-mustache skips around a tag's name.
    private static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }

    /// Size and nesting of one template's source, before it is parsed.
    static func checkSource(_ text: String, place: String) throws(KeyAuditError) {
        guard text.utf8.count <= sizeLimit else {
            throw .usage("\(place) is larger than \(sizeLimit / 1024) KiB; this is not a report template")
        }
        var depth = 0
        for tag in tags(text) {
            switch tag.kind {
            case "#", "^", "$", "<":
                depth += 1
                guard depth <= nestingLimit else {
                    throw .usage(
                        "\(place):\(tag.line): sections nested more than \(nestingLimit) deep; simplify the template")
                }
            case "/":
                depth = max(depth - 1, 0)
            default:
                break
            }
        }
    }

    /// Every partial the report templates reach exists, none includes itself, no chain is deeper than the limit.
    ///
    /// - Parameters:
    ///   - sources: template name (without `.mustache`) → its text.
    ///   - places: template name → how messages name its file.
    ///   - roots: the report templates to be rendered, e.g. `report.md`.
    static func checkPartials(
        _ sources: [String: String], places: [String: String], roots: [String]
    ) throws(KeyAuditError) {
        var references: [String: [Tag]] = [:]
        for (name, text) in sources {
            references[name] = tags(text).filter { $0.kind == ">" || $0.kind == "<" }
        }
        var finished = Set<String>()
        func visit(_ name: String, _ path: [String]) throws(KeyAuditError) {
            if finished.contains(name) { return }
            let place = places[name] ?? "templates/\(name).mustache"
            guard path.count <= partialDepthLimit else {
                throw .usage(
                    "\(place): partials included more than \(partialDepthLimit) deep (\(path.joined(separator: " → "))); simplify the templates"
                )
            }
            for tag in references[name] ?? [] {
                let target = tag.name
                if target.hasPrefix("*") {
                    throw .usage(
                        "\(place):\(tag.line): dynamic partial {{>\(Escaping.oneLine(target, limit: 60))}} is not supported (a value from the data would choose the template); name the partial"
                    )
                }
                guard sources[target] != nil else {
                    throw .usage(
                        "\(place):\(tag.line): partial {{\(tag.kind!) \(Escaping.oneLine(target, limit: 60))}} does not exist; add \(Escaping.oneLine(target, limit: 60)).mustache to the --templates folder or correct the name"
                    )
                }
                if let start = path.firstIndex(of: target) {
                    let cycle = (path[start...] + [target]).joined(separator: " → ")
                    throw .usage(
                        "\(place):\(tag.line): partial \(target) includes itself (\(cycle)); the report would never end, remove the loop"
                    )
                }
                try visit(target, path + [target])
            }
            finished.insert(name)
        }
        for root in roots where sources[root] != nil { try visit(root, [root]) }
        // Without a loop, partials can still multiply: each including the next twice, 32 deep, is four billion
        // inclusions of the last. Counted with repetition (the graph has no cycle now, so this ends).
        var inclusions: [String: Int] = [:]
        func count(_ name: String) -> Int {
            if let known = inclusions[name] { return known }
            var total = 0
            for tag in references[name] ?? [] { total = min(total + 1 + count(tag.name), Self.inclusionLimit + 1) }
            inclusions[name] = total
            return total
        }
        for root in roots where sources[root] != nil && count(root) > Self.inclusionLimit {
            throw .usage(
                "\(places[root] ?? "templates/\(root).mustache"): its partials include partials more than \(HumanReadable.count(Self.inclusionLimit)) times in all; a report template includes each a few times: simplify the templates"
            )
        }
    }

    /// Partials included, counted with repetition, below one report template.
    static let inclusionLimit = 10_000
}
