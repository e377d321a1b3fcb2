import Foundation
import KeyAuditCore

/// `JSONParser` compared with Foundation's `JSONSerialization` (`.fragmentsAllowed`), which serves as the
/// reference for what is JSON and what it means.
///
/// Both must accept or both reject, and what they accept must have the same values: the same strings (Unicode
/// scalar by scalar), numbers equal as `Double`s, the same arrays, objects with the same members. Left out of
/// the comparison, because the two differ by design (each is still parsed by keyaudit, so a crash or a hang
/// is still found):
///
/// - **Duplicate member names.** keyaudit keeps every member (an object is kept exactly as received);
///   JSONSerialization keeps one. Compared with the last value winning on keyaudit's side.
/// - **Lone surrogates** (`"\ud800"`). keyaudit refuses them (the text could not be a Swift `String`);
///   JSONSerialization accepts some. Inputs with a `\uD800`–`\uDFFF` escape are not compared.
/// - **Numbers beyond `Double`** (`1e400`, or over 300 digits). keyaudit keeps the lexeme; JSONSerialization
///   refuses some or turns them into infinity. Not compared.
/// - **Other encodings.** JSONSerialization also reads UTF-16 and UTF-32 (it guesses from NUL bytes and byte
///   order marks); keyaudit reads UTF-8 only, a leading UTF-8 byte order mark aside. Inputs with a NUL byte
///   among their first four bytes, or starting with a UTF-16/32 byte order mark, are not compared.
/// - **Nesting deeper than 500** (keyaudit's limit is 512, JSONSerialization's its own). Not compared.
/// - **Trailing commas** (`[1,]`, `{"a":1,}`). JSONSerialization on Linux accepts them; RFC 8259 does not, and
///   neither does keyaudit. Not counted as a difference.
/// - **The last digits of long numbers.** JSONSerialization on Linux does not always round a long mantissa
///   correctly (`12345678901234567812.50` comes out an ulp off); keyaudit keeps the lexeme and reads it with
///   the correctly rounded `Double(_:)`. Numbers are compared to within 1e-14, relative.
/// - **U+FEFF in strings** (the byte order mark, as a zero-width no-break space: `"é\u{FEFF}"`).
///   JSONSerialization on Linux drops it from strings and member names (its strings pass through NSString);
///   keyaudit keeps the text as received. Compared without it.
/// - **Top-level scalars** are compared: both accept them here (`.fragmentsAllowed`).
package enum JSONOracle {
    /// A value as both parsers can express it.
    indirect enum Plain: Equatable, CustomStringConvertible {
        case null
        case bool(Bool)
        case number(Double)
        case string([Unicode.Scalar])
        case array([Plain])
        case object([String: Plain])

        static func == (lhs: Plain, rhs: Plain) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.number(let a), .number(let b)):
                return a == b || (a.isNaN && b.isNaN) || abs(a - b) <= 1e-14 * max(abs(a), abs(b))
            case (.string(let a), .string(let b)): return a == b
            case (.array(let a), .array(let b)): return a == b
            case (.object(let a), .object(let b)): return a == b
            default: return false
            }
        }

        var description: String {
            switch self {
            case .null: return "null"
            case .bool(let flag): return "\(flag)"
            case .number(let value): return "\(value)"
            case .string(let scalars):
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars)
                return text.debugDescription
            case .array(let elements): return "[" + elements.map(\.description).joined(separator: ",") + "]"
            case .object(let members):
                return "{"
                    + members.sorted { $0.key < $1.key }.map { "\($0.key.debugDescription):\($0.value)" }
                    .joined(separator: ",") + "}"
            }
        }
    }

    package static func check(_ bytes: [UInt8]) -> String? {
        let ours = Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(bytes) }
        if case .failure(let error) = ours, error.description.contains(where: \.isNewline) {
            return "json: the parse error is not one line: \(error.description.debugDescription)"
        }
        guard isCompared(bytes) else { return nil }
        let theirs = Result { try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) }
        switch (ours, theirs) {
        case (.success(let value), .success(let object)):
            if value.containsHugeNumber { return nil }
            let left = plain(value)
            guard let right = plain(object) else { return "json: JSONSerialization gave an unexpected type" }
            return left == right ? nil : "json: the values differ: keyaudit \(left), JSONSerialization \(right)"
        case (.failure, .failure):
            return nil
        case (.success(let value), .failure(let error)):
            if value.containsHugeNumber { return nil }
            return "json: keyaudit accepted what JSONSerialization refused (\(error))"
        case (.failure(let error), .success):
            if error.reason.hasPrefix("trailing comma") { return nil }
            return "json: keyaudit refused what JSONSerialization accepted (\(error))"
        }
    }

    /// Whether `bytes` is compared at all (see the type's notes for what is not).
    static func isCompared(_ bytes: [UInt8]) -> Bool {
        if bytes.prefix(4).contains(0) { return false }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) { return false }
        // A `\uD8xx`–`\uDFxx` escape, in any case.
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == 0x5C, bytes[index + 1] | 0x20 == 0x75, bytes[index + 2] | 0x20 == 0x64,
                [0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66].contains(bytes[index + 3] | 0x20)
            {
                return false
            }
            index += 1
        }
        // Nesting: counted over the raw bytes (an over-estimate inside strings, which only skips more).
        var depth = 0
        var deepest = 0
        for byte in bytes {
            if byte == 0x5B || byte == 0x7B {
                depth += 1
                deepest = max(deepest, depth)
            } else if byte == 0x5D || byte == 0x7D {
                depth -= 1
            }
        }
        return deepest <= 500
    }

    /// The text's scalars, U+FEFF left out (see the type's notes).
    static func scalars(_ text: String) -> [Unicode.Scalar] { text.unicodeScalars.filter { $0 != "\u{FEFF}" } }

    /// A member name as compared: U+FEFF left out.
    static func name(_ text: String) -> String {
        var clean = ""
        clean.unicodeScalars.append(contentsOf: scalars(text))
        return clean
    }

    static func plain(_ value: JSONValue) -> Plain {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number): return .number(number.double ?? .nan)
        case .string(let text): return .string(scalars(text))
        case .array(let elements): return .array(elements.map(plain))
        case .object(let object):
            var members: [String: Plain] = [:]
            for (key, member) in zip(object.keys, object.values) { members[name(key)] = plain(member) }
            return .object(members)
        }
    }

    static func plain(_ object: Any) -> Plain? {
        if object is NSNull { return .null }
        if let text = object as? String { return .string(scalars(text)) }
        if let flag = object as? Bool, type(of: object) == Bool.self { return .bool(flag) }
        if let number = object as? NSNumber {
            // On Linux `true`/`false` may come back as NSNumbers of a Bool.
            if String(cString: number.objCType) == "c", number.intValue == 0 || number.intValue == 1 {
                return .bool(number.boolValue)
            }
            return .number(number.doubleValue)
        }
        if let array = object as? [Any] {
            var elements: [Plain] = []
            for element in array {
                guard let converted = plain(element) else { return nil }
                elements.append(converted)
            }
            return .array(elements)
        }
        if let dictionary = object as? [String: Any] {
            var members: [String: Plain] = [:]
            for (key, member) in dictionary {
                guard let converted = plain(member) else { return nil }
                members[name(key)] = converted
            }
            return .object(members)
        }
        return nil
    }
}

extension JSONValue {
    /// Whether a number in it is beyond a finite `Double` or longer than 300 characters (not compared).
    var containsHugeNumber: Bool {
        switch self {
        case .number(let number): return number.double == nil || number.text.utf8.count > 300
        case .array(let elements): return elements.contains(where: \.containsHugeNumber)
        case .object(let object): return object.values.contains(where: \.containsHugeNumber)
        default: return false
        }
    }
}
