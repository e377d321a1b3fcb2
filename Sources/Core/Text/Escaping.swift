import Foundation

/// Every escaper keyaudit has, in one place: text from the API (key names above all) is hostile input, and each
/// output format gets it made harmless here. Invisible and bidirectional controls are shown as their code point
/// (`U+202E`) everywhere, so a name cannot hide or reverse the text around it.
package enum Escaping {
    // MARK: - Markdown

    /// Markdown escaping for text from the API: table cells cannot be broken with `|` or a newline, no emphasis,
    /// code, link or HTML can be injected, and bidi controls are shown.
    /// Bytes that may need escaping; a value without any (most numbers, dates, hashes) is returned as it is.
    static let markdownSpecial: [Bool] = (0..<256).map { byte in
        byte < 0x20 || byte >= 0x7F || "\\`*_[]|~#<>&:wW".utf8.contains(UInt8(byte))
    }

    package static func markdown(_ text: String) -> String {
        if !text.utf8.contains(where: { markdownSpecial[Int($0)] }) { return text }
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
                if isInvisibleControl(scalar) {
                    out += codePoint(scalar)
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

    /// A whole code span (backticks included) that shows `text` exactly, for a Markdown table cell.
    ///
    /// Backslash escapes do not work inside backticks (`created\_at` would show its backslash), so nothing is
    /// escaped inside: the span is fenced with one backtick more than the longest run of backticks in the text
    /// (padded with spaces when the text starts or ends with a backtick or space, which CommonMark strips once).
    /// Only what a table needs changes: `|` becomes `\|` (GFM splits cells before it parses code spans and
    /// removes that backslash), line breaks become ` ↵ `, and invisible controls show as `U+202E`.
    package static func markdownCode(_ text: String) -> String {
        var body = ""
        body.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 4)
        var longestRun = 0
        var run = 0
        for scalar in text.unicodeScalars {
            if scalar == "`" {
                run += 1
                longestRun = max(longestRun, run)
            } else {
                run = 0
            }
            switch scalar {
            case "|": body += "\\|"
            case "\n": body += " ↵ "
            case "\r", "\t": body += " "
            default:
                if isInvisibleControl(scalar) {
                    body += codePoint(scalar)
                } else {
                    body.unicodeScalars.append(scalar)
                }
            }
        }
        if body.isEmpty { return "` `" }
        let fence = String(repeating: "`", count: longestRun + 1)
        let pad =
            body.hasPrefix("`") || body.hasSuffix("`") || body.hasPrefix(" ") || body.hasSuffix(" ") ? " " : ""
        return fence + pad + body + pad + fence
    }

    // MARK: - Workbook cells

    /// Text for a workbook cell as HTML and Markdown show it: invisible and bidirectional controls as their
    /// code point (`U+202E`, so a name cannot reverse itself into `…exe.txt`), line breaks as ` ↵ `.
    package static func visible(_ text: String) -> String {
        // Fast path: ASCII without controls (nearly every name, id and hash) needs nothing. A workbook of
        // 100,000 keys has millions of text cells: the bytes are scanned in place, not through an iterator.
        let plain =
            text.utf8.withContiguousStorageIfAvailable { bytes in
                for byte in bytes where byte < 0x20 || byte >= 0x7F { return false }
                return true
            } ?? !text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F })
        if plain { return text }
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += " ↵ "
            case "\r", "\t": out += " "
            default:
                if isInvisibleControl(scalar) {
                    out += codePoint(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
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

    // MARK: - HTML

    /// HTML escaping one Unicode scalar at a time. swift-mustache's own escaper works on Swift characters, so a
    /// `<` followed by a combining mark (one character, `≮`) slipped through unescaped.
    package static func html(_ text: String) -> String {
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
                if isInvisibleControl(scalar) {
                    out += codePoint(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    // MARK: - Terminal and shared

    /// Control characters (newlines, escapes, bidi overrides) replaced by visible stand-ins.
    package static func terminal(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            default:
                if isInvisibleControl(scalar) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// C0/C1 controls and the bidirectional formatting characters: in a key name they can only hide or
    /// reorder text, so every renderer shows them as their code point instead.
    package static func isInvisibleControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F, 0x80..<0xA0, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }

    /// `U+202E`: how the report renderers show an invisible control.
    package static func codePoint(_ scalar: Unicode.Scalar) -> String {
        // Padded to four digits (U+0001, not U+1): an unpadded code point followed by a letter would read as
        // another one (U+1 then "F" looks like U+1F).
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Text from outside (a file name, an API message, a parser's complaint) made fit for a one-line message:
    /// control characters and line breaks become spaces, invisible controls are shown, and it is cut at
    /// `limit` characters.
    package static func oneLine(_ text: String, limit: Int = 300) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += " "
            } else if isInvisibleControl(scalar) {
                out += codePoint(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}
