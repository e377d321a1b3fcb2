import Foundation

/// Why a JSON text was rejected, and where.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset (0-based) of the problem in the input; the input's length when it ended too early.
    public let offset: Int
    /// Line of the problem (1-based; lines end at `\n`).
    public let line: Int
    /// Column of the problem (1-based, counted in Unicode scalars from the line start).
    public let column: Int
    /// What is wrong, e.g. `expected ',' or '}' in object`.
    public let reason: String

    public init(offset: Int, line: Int, column: Int, reason: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line 3, column 17: expected ',' or '}' in object`
    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict RFC 8259 JSON parser that keeps the document exactly as received (see `JSONValue`).
///
/// - Whitespace (space, tab, CR, LF) is allowed before and after the value, nothing else; a leading UTF-8 byte
///   order mark is ignored.
/// - Strings must be valid UTF-8 without raw control characters; escapes are decoded, `\uXXXX` surrogate pairs
///   joined, a lone surrogate is an error.
/// - Numbers must match the grammar and are kept as their lexeme.
/// - Arrays and objects nest at most `maximumDepth` levels, so hostile input cannot exhaust the stack.
///
/// The parser reads one contiguous buffer with a cursor and builds values with ordinary Swift arrays and
/// strings: no manual memory management, safe to run on many tasks at once. Object keys repeat across the
/// objects of a listing, so each parse keeps a small cache of key strings to share their storage.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 512

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = Cursor(buffer)
            do throws(JSONParseError) { return .success(try parser.document()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = data.withUnsafeBytes { raw in
            var parser = Cursor(raw.bindMemory(to: UInt8.self))
            do throws(JSONParseError) { return .success(try parser.document()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Whether the bytes start, after whitespace and an optional byte order mark, with `<`:
    /// the server answered with an HTML (or XML) page rather than JSON.
    public static func looksLikeHTML<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        var iterator = bytes.makeIterator()
        var position = 0
        while let byte = iterator.next() {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
                break
            case 0xEF where position == 0:
                guard iterator.next() == 0xBB, iterator.next() == 0xBF else { return false }
                position = 2
            case UInt8(ascii: "<"):
                return true
            default:
                return false
            }
            position += 1
        }
        return false
    }
}

/// The cursor over one input buffer.
private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0
    /// Key strings already built in this document, by their bytes' hash, so 100,000 objects with the same 20
    /// keys share 20 strings.
    var keyCache: [Int: String] = [:]

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        let end = min(offset ?? position, bytes.count)
        var line = 1
        var column = 1
        var index = 0
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return JSONParseError(offset: end, line: line, column: column, reason: reason)
    }

    func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02X", byte)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        skipWhitespace()
        guard position < bytes.count else { throw fail("empty input; expected a JSON value") }
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else {
            throw fail("unexpected \(describe(bytes[position])) after the JSON value")
        }
        return value
    }

    mutating func value() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw fail("unexpected end of input; expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case let byte: throw fail("unexpected \(describe(byte)); expected a value")
        }
    }

    mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("unexpected end of input in a literal") }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw fail("invalid literal; expected \(word)", at: position + index)
        }
        position += count
        return value
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONParser.maximumDepth else {
            throw fail("nesting deeper than \(JSONParser.maximumDepth) levels")
        }
    }

    mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input in an array; expected ',' or ']'") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(items)
            case let byte:
                throw fail("unexpected \(describe(byte)) in an array; expected ',' or ']'")
            }
        }
    }

    mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        position += 1
        var keys: [String] = []
        var values: [JSONValue] = []
        keys.reserveCapacity(24)
        values.reserveCapacity(24)
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject(uncheckedKeys: keys, values: values))
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw fail(
                    position < bytes.count
                        ? "unexpected \(describe(bytes[position])) in an object; expected a member name"
                        : "unexpected end of input in an object; expected a member name")
            }
            keys.append(try key())
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw fail("expected ':' after a member name")
            }
            position += 1
            skipWhitespace()
            values.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input in an object; expected ',' or '}'") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(JSONObject(uncheckedKeys: keys, values: values))
            case let byte:
                throw fail("unexpected \(describe(byte)) in an object; expected ',' or '}'")
            }
        }
    }

    /// A member name: plain ASCII names (all of the API's) come from the per-document cache.
    mutating func key() throws(JSONParseError) -> String {
        let start = position + 1
        var index = start
        var hash = 5381
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let cached = keyCache[hash &* 31 &+ (index - start)] else { break }
                // Verify (a hash collision must not rename a field).
                if cached.utf8.count == index - start,
                    cached.utf8.elementsEqual(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                {
                    position = index + 1
                    return cached
                }
                break
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            hash = (hash &* 33) ^ Int(byte)
            index += 1
        }
        let name = try string()
        if name.utf8.count <= 64, name.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\\") }),
            keyCache.count < 4096
        {
            var nameHash = 5381
            for byte in name.utf8 { nameHash = (nameHash &* 33) ^ Int(byte) }
            keyCache[nameHash &* 31 &+ name.utf8.count] = name
        }
        return name
    }

    /// A string starting at the opening quote; the cursor ends after the closing quote.
    mutating func string() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes. Validates UTF-8 through String(validating:).
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw fail("invalid UTF-8 in a string", at: start)
                }
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character \(describe(byte)) in a string; it must be escaped") }
            position += 1
        }
        guard position < bytes.count else { throw fail("unexpected end of input in a string", at: bytes.count) }
        // Slow path: decode escapes into a byte buffer.
        var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw fail("invalid UTF-8 in a string", at: start)
                }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { throw fail("unexpected end of input in an escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw fail("lone high surrogate \\u\(String(scalar, radix: 16)) in a string") }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw fail("high surrogate not followed by a low surrogate in a string")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone low surrogate \\u\(String(scalar, radix: 16)) in a string")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    throw fail("invalid escape \\\(describe(escape)) in a string", at: position - 1)
                }
            default:
                if byte < 0x20 { throw fail("control character \(describe(byte)) in a string; it must be escaped") }
                out.append(byte)
                position += 1
            }
        }
        throw fail("unexpected end of input in a string", at: bytes.count)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("unexpected end of input in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit \(describe(byte)) in a \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    mutating func number() throws(JSONParseError) -> JSONNumber {
        let start = position
        guard let base = bytes.baseAddress else { throw fail("empty input") }
        switch JSONNumber.scan(base, count: bytes.count, from: start) {
        case .success(let end):
            position = end
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            return JSONNumber(uncheckedText: text)
        case .failure(let error):
            throw fail("invalid number: \(error.reason)", at: error.offset)
        }
    }
}
