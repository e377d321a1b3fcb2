import Foundation
import Yams

/// Reads keyaudit's YAML files (the policy, the workbook layout) strictly: every error is a usage error naming
/// the file, the line and column, and the field, because a typo in a security policy must not loosen it silently.
///
/// YAML from outside is hostile. Before Yams composes a document this checks what would make composing
/// explode: a file over ``maximumBytes``, nesting deeper than ``maximumDepth``, and aliases used as mapping
/// keys (Yams hashes every mapping key, so a 400-byte "billion laughs" used as a key costs minutes of CPU).
/// After composing, the document's size with every alias expanded is counted up to ``maximumNodes``. A bad
/// file is refused in well under a second.
package struct YAMLReader: Sendable {
    /// The file name used in messages.
    package let file: String

    package static let maximumBytes = 1 << 20
    package static let maximumDepth = 64
    /// Nodes in the document with aliases expanded; policies and layouts have a few hundred.
    package static let maximumNodes = 100_000

    package init(file: String) { self.file = file }

    /// A `name: value` mapping in document order, with the nodes of its keys for messages.
    package struct Mapping {
        package var ordered: [(String, Node)]
        package var keyNodes: [String: Node]
        package subscript(name: String) -> Node? { ordered.first { $0.0 == name }?.1 }
    }

    // MARK: - Reading a document

    /// Reads `path` (a regular file of at most ``maximumBytes``, UTF-8 without NUL bytes) and composes it.
    ///
    /// - Parameter what: how messages name the file, e.g. `--policy`.
    package static func load(path: String, what: String) throws(KeyAuditError) -> (text: String, root: Node?) {
        let bytes = try InputFile.read(path, what: what, limit: maximumBytes)
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            throw .usage(
                "\(what) \(Escaping.oneLine(path)) is not a YAML text file (it holds binary data); point it at the YAML file"
            )
        }
        return (text, try YAMLReader(file: path).compose(text))
    }

    /// Composes `text`, refusing what would make composing it explode (see the type's notes).
    package func compose(_ text: String) throws(KeyAuditError) -> Node? {
        guard text.utf8.count <= Self.maximumBytes else {
            throw .usage("\(file) is larger than \(Self.maximumBytes / 1024) KiB; this is not a keyaudit YAML file")
        }
        try prescan(text)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw .usage("\(file):\(Self.describe(error)); fix the YAML syntax")
        } catch {
            throw .usage("\(file): \(Escaping.oneLine(String(describing: error))); fix the YAML syntax")
        }
        if let root {
            var budget = Self.maximumNodes
            guard Self.fits(root, budget: &budget) else {
                throw .usage(
                    "\(file): the document expands to more than \(Self.maximumNodes) values through aliases; remove the aliases (&anchor / *alias)"
                )
            }
        }
        return root
    }

    /// One pass over the text, outside quoted scalars and comments: indentation and flow nesting depth, and
    /// aliases or explicit (`?`) keys in key position. Conservative: it may refuse a file that YAML would
    /// accept (an alias written where a key could be), never the reverse of what matters here.
    private func prescan(_ text: String) throws(KeyAuditError) {
        let bytes = Array(text.utf8)
        var line = 1
        var lineStart = true
        var indent = 0
        var depth = 0
        var quote: UInt8?
        var previous = UInt8(ascii: "\n")
        var index = 0
        func fail(_ problem: String) -> KeyAuditError { .usage("\(file):\(line): \(problem)") }
        while index < bytes.count {
            let byte = bytes[index]
            defer {
                previous = byte
                index += 1
            }
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = true
                indent = 0
                continue
            }
            if let open = quote {
                if byte == open {
                    quote = nil
                } else if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\"), index + 1 < bytes.count,
                    bytes[index + 1] != UInt8(ascii: "\n")
                {
                    index += 1  // the escaped character
                }
                continue
            }
            if lineStart {
                if byte == UInt8(ascii: " ") {
                    indent += 1
                    if indent > 2 * Self.maximumDepth {
                        throw fail("indented more than \(2 * Self.maximumDepth) columns; flatten the document")
                    }
                    continue
                }
                lineStart = false
                if byte == UInt8(ascii: "?"), index + 1 == bytes.count || Self.isSpace(bytes[index + 1]) {
                    throw fail("an explicit `?` key; keyaudit's YAML files take plain `name: value` keys only")
                }
            }
            let tokenStart =
                Self.isSpace(previous) || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                || previous == UInt8(ascii: ",")
            switch byte {
            case UInt8(ascii: "#") where Self.isSpace(previous):
                while index + 1 < bytes.count, bytes[index + 1] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if tokenStart || previous == UInt8(ascii: ":") { quote = byte }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if tokenStart || previous == UInt8(ascii: ":") {
                    depth += 1
                    if depth > Self.maximumDepth {
                        throw fail("nested more than \(Self.maximumDepth) levels deep; flatten the document")
                    }
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth > 0 { depth -= 1 }
            case UInt8(ascii: "?") where previous == UInt8(ascii: "{") || previous == UInt8(ascii: ","):
                throw fail("an explicit `?` key; keyaudit's YAML files take plain `name: value` keys only")
            case UInt8(ascii: "*") where tokenStart:
                var end = index + 1
                while end < bytes.count, Self.isAnchorCharacter(bytes[end]) { end += 1 }
                guard end > index + 1 else { break }
                while end < bytes.count, bytes[end] == UInt8(ascii: " ") { end += 1 }
                if end < bytes.count, bytes[end] == UInt8(ascii: ":") {
                    throw fail("an alias is used as a mapping key; keyaudit's YAML files take plain keys only")
                }
            default:
                break
            }
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// libyaml's anchor and alias names: letters, digits, `-` and `_`.
    private static func isAnchorCharacter(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// Whether the document, aliases expanded, has at most `budget` nodes (stops counting once over).
    private static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias:
            return true
        case .sequence(let sequence):
            for item in sequence where !fits(item, budget: &budget) { return false }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard fits(key, budget: &budget), fits(value, budget: &budget) else { return false }
            }
            return true
        }
    }

    /// `line:column: problem` of a Yams error, on one line.
    package static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "\(mark.line):\(mark.column): \(Escaping.oneLine(problem))"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return
                "\(context.mark.line):\(context.mark.column): duplicate key \(Escaping.oneLine(duplicates.joined(separator: ", ")))"
        default:
            return " \(Escaping.oneLine(String(describing: error)))"
        }
    }

    // MARK: - Reading nodes

    /// A YAML null: nothing, `~` or `null`.
    package static func isEmpty(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A usage error at `node`'s place: `file:line:column: text`.
    package func error(_ node: Node?, _ text: String) -> KeyAuditError {
        let place = node?.mark.map { "\($0.line):\($0.column)" } ?? "1:1"
        return .usage("\(file):\(place): \(Escaping.oneLine(text))")
    }

    /// A mapping whose keys are text; with `allowed`, any other key is an error.
    package func mapping(_ node: Node, _ field: String, allowed: [String]?) throws(KeyAuditError) -> Mapping {
        guard case .mapping(let mapping) = node else {
            throw error(node, "\(field) must be a mapping of `name: value` lines")
        }
        var result = Mapping(ordered: [], keyNodes: [:])
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw error(keyNode, "\(field) has a key that is not text")
            }
            let name = scalar.string
            if let allowed, !allowed.contains(name) {
                throw error(
                    keyNode,
                    "\(field) has an unknown setting \"\(name)\"; expected one of \(allowed.joined(separator: ", "))")
            }
            if result.keyNodes[name] != nil { throw error(keyNode, "\(field).\(name) is given twice") }
            result.ordered.append((name, value))
            result.keyNodes[name] = keyNode
        }
        return result
    }

    /// A list.
    package func sequence(_ node: Node, _ field: String, _ hint: String) throws(KeyAuditError) -> [Node] {
        guard case .sequence(let sequence) = node else { throw error(node, "\(field) must be a list\(hint)") }
        return Array(sequence)
    }

    package func scalar(_ node: Node, _ field: String, _ expected: String) throws(KeyAuditError) -> String {
        guard case .scalar(let scalar) = node else { throw error(node, "\(field) must be \(expected)") }
        return scalar.string
    }

    package func string(_ node: Node, _ field: String) throws(KeyAuditError) -> String {
        try scalar(node, field, "text")
    }

    package func int(_ node: Node, _ field: String) throws(KeyAuditError) -> Int {
        let text = try scalar(node, field, "a whole number")
        guard let value = Int(text) else { throw error(node, "\(field) must be a whole number, not \"\(text)\"") }
        return value
    }

    /// A whole number of days, 0…36500.
    package func days(_ node: Node, _ field: String) throws(KeyAuditError) -> Int {
        let value = try int(node, field)
        guard value >= 0, value <= 36_500 else { throw error(node, "\(field) must be between 0 and 36500 days") }
        return value
    }

    package func double(_ node: Node, _ field: String) throws(KeyAuditError) -> Double {
        let text = try scalar(node, field, "a number")
        guard let value = Double(text), value.isFinite else {
            throw error(node, "\(field) must be a number, not \"\(text)\"")
        }
        return value
    }

    package func bool(_ node: Node, _ field: String) throws(KeyAuditError) -> Bool {
        let text = try scalar(node, field, "true or false")
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(field) must be true or false, not \"\(text)\"")
        }
    }
}
