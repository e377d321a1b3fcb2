/// Deterministic JSON serialisation of `JSONValue` to UTF-8 bytes.
///
/// - Members are written in their stored order, numbers as their stored lexeme, so a compact write of a parsed
///   compact document reproduces it byte for byte.
/// - Strings are redacted (``Redaction``), then escape `"`, `\`, control characters (`\b \f \n \r \t`, others as lowercase `\u00XX`) and
///   U+2028 / U+2029 (as `\u2028` / `\u2029`); everything else, `/` included, is written as UTF-8 verbatim.
/// - `.pretty` matches Python's `json.dumps(value, indent=2, ensure_ascii=False)` layout: one element or member
///   per line, `"key": value`, `[]` and `{}` for empty containers, no trailing spaces, no final newline (Python
///   leaves U+2028 / U+2029 unescaped; this writer escapes them).
///
/// Output is appended to a caller-provided `[UInt8]`, so a large document can be streamed: write each element into
/// a reused buffer (`.pretty(indent: 2, level: 1)` for elements of a top-level array), flush it, clear it keeping
/// its capacity. Writing a whole large document into a fresh array works too, but pays for the array's growth.
package struct JSONWriter: Sendable {
    /// How to lay out the text.
    package enum Style: Sendable, Hashable {
        /// No whitespace at all: `{"a":[1,2]}`.
        case compact
        /// One element or member per line, indented by `indent` spaces per level.
        ///
        /// `level` is the nesting level the value is written at, for streaming a value into a larger document:
        /// its inner lines are indented by `(level + 1) * indent` spaces and its closing bracket by
        /// `level * indent`; the first line is never indented (the caller has positioned the value).
        case pretty(indent: Int = 2, level: Int = 0)
    }

    /// Appends the JSON text of `value` to `buffer`.
    package static func write(_ value: JSONValue, into buffer: inout [UInt8], style: Style = .compact) {
        write(value, into: &buffer, style: style, secrets: Redaction.secrets)
    }

    /// The same, with the registered secrets taken beforehand (``Redaction/secrets``), by a writer of many values:
    /// the registry's lock once, not once per string.
    package static func write(
        _ value: JSONValue, into buffer: inout [UInt8], style: Style = .compact, secrets: [[UInt8]]
    ) {
        _JSONOutput.withOutput(appendingTo: &buffer) { output in
            switch style {
            case .compact:
                writeCompact(value, into: &output, secrets: secrets)
            case .pretty(let indent, let level):
                // Clamped so absurd arguments cannot overflow the indentation arithmetic.
                writePretty(
                    value, indent: min(max(0, indent), 1024), level: min(max(0, level), 1 << 20), into: &output,
                    secrets: secrets)
            }
        }
    }

    /// The JSON text of `value` as UTF-8 bytes.
    package static func bytes(_ value: JSONValue, style: Style = .compact) -> [UInt8] {
        var buffer: [UInt8] = []
        write(value, into: &buffer, style: style)
        return buffer
    }

    /// The JSON text of `value`.
    package static func string(_ value: JSONValue, style: Style = .compact) -> String {
        String(decoding: bytes(value, style: style), as: UTF8.self)
    }

    /// Appends `string` as a quoted, escaped JSON string to `buffer` (for streaming keys and values).
    package static func writeString(_ string: String, into buffer: inout [UInt8]) {
        writeString(string, into: &buffer, secrets: Redaction.secrets)
    }

    /// The same, with the registered secrets taken beforehand (``Redaction/secrets``).
    package static func writeString(_ string: String, into buffer: inout [UInt8], secrets: [[UInt8]]) {
        _JSONOutput.withOutput(appendingTo: &buffer) { output in writeString(string, into: &output, secrets: secrets) }
    }

    /// Every string keyaudit writes as JSON (member names included) passes ``Redaction`` here: whatever reached a
    /// value unnoticed (a policy's text, a path, an old snapshot read back), no JSON file, log line or JSON
    /// output carries a secret. The one exception is fixed text in the source, written as a `StaticString`
    /// (`ChunkedJSONWriter.text(_: StaticString)`: findings.json's member names), which holds no secret.
    @inline(__always)
    private static func writeString(_ string: String, into output: inout _JSONOutput, secrets: [[UInt8]]) {
        let string = Redaction.redact(string, secrets: secrets)
        output.append(UInt8(ascii: "\""))
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { escape($0, into: &output) }
        if done == nil {
            Array(string.utf8).withUnsafeBufferPointer { escape($0, into: &output) }
        }
        output.append(UInt8(ascii: "\""))
    }

    // MARK: - Layouts

    private static func writeCompact(_ value: JSONValue, into output: inout _JSONOutput, secrets: [[UInt8]]) {
        switch value {
        case .null:
            output.append("null")
        case .bool(let flag):
            output.append(flag ? "true" : "false")
        case .number(let number):
            output.appendUTF8(number.text)
        case .string(let string):
            writeString(string, into: &output, secrets: secrets)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { elements in
                for index in elements.indices {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    writeCompact(elements[index], into: &output, secrets: secrets)
                }
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            object.keys.withUnsafeBufferPointer { keys in
                object.values.withUnsafeBufferPointer { values in
                    for index in keys.indices {
                        if index > 0 { output.append(UInt8(ascii: ",")) }
                        writeString(keys[index], into: &output, secrets: secrets)
                        output.append(UInt8(ascii: ":"))
                        writeCompact(values[index], into: &output, secrets: secrets)
                    }
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writePretty(
        _ value: JSONValue, indent: Int, level: Int, into output: inout _JSONOutput, secrets: [[UInt8]]
    ) {
        switch value {
        case .array(let elements) where !elements.isEmpty:
            output.append(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { elements in
                for index in elements.indices {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    output.newline(indent * (level + 1))
                    writePretty(elements[index], indent: indent, level: level + 1, into: &output, secrets: secrets)
                }
            }
            output.newline(indent * level)
            output.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            output.append(UInt8(ascii: "{"))
            object.keys.withUnsafeBufferPointer { keys in
                object.values.withUnsafeBufferPointer { values in
                    for index in keys.indices {
                        if index > 0 { output.append(UInt8(ascii: ",")) }
                        output.newline(indent * (level + 1))
                        writeString(keys[index], into: &output, secrets: secrets)
                        output.append(": ")
                        writePretty(values[index], indent: indent, level: level + 1, into: &output, secrets: secrets)
                    }
                }
            }
            output.newline(indent * level)
            output.append(UInt8(ascii: "}"))
        default:
            writeCompact(value, into: &output, secrets: secrets)
        }
    }

    // MARK: - Strings

    /// The high bit of each byte of `word` that needs attention when escaping: a control character, `"`, `\` or
    /// 0xE2 (the lead byte of U+2028 / U+2029). Only the lowest flagged byte is exact.
    @inline(__always)
    private static func escapeCandidates(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let lineSeparatorLead = word ^ (ones &* 0xE2)
        let hasControl = (word &- (ones &* 0x20)) & ~word
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasLead = (lineSeparatorLead &- ones) & ~lineSeparatorLead
        return (hasControl | hasQuote | hasBackslash | hasLead) & highs
    }

    /// Appends the escaped form of the UTF-8 bytes (without quotes), copying unescaped runs in bulk.
    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout _JSONOutput) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        let raw = UnsafeRawPointer(base)
        if count < 8 {
            // Short strings (most keys): test all bytes at once, as one word built without reading past the end.
            var word: UInt64 = 0x6161_6161_6161_6161  // "aaaaaaaa": plain padding
            if count >= 4 {
                word =
                    UInt64(raw.loadUnaligned(as: UInt32.self))
                    | UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32
            } else {
                for index in 0..<count {
                    word = word & ~(0xFF << UInt64(index * 8)) | UInt64(base[index]) << UInt64(index * 8)
                }
            }
            if escapeCandidates(word) == 0 {
                output.append(base, count: count)
                return
            }
        }
        var runStart = 0
        var i = 0
        while i < count {
            if i + 8 <= count {
                let candidates = escapeCandidates(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if candidates == 0 {
                    i += 8
                    continue
                }
                i += candidates.trailingZeroBitCount >> 3
            } else if count >= 8 {
                // The last bytes: look at the final eight (overlapping bytes already done) and ignore those before i.
                let offset = count - 8
                let done = UInt64(truncatingIfNeeded: (i - offset) * 8)
                let candidates =
                    escapeCandidates(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) & (~0 << done)
                if candidates == 0 {
                    i = count
                    break
                }
                i = offset + candidates.trailingZeroBitCount >> 3
            }
            let byte = base[i]
            // Plain bytes: not a control character, quote or backslash, and not 0xE2.
            if byte >= 0x20, byte != 0x22, byte != 0x5C, byte != 0xE2 {
                i += 1
                continue
            }
            var length = 1
            if byte == 0xE2 {
                // U+2028 is E2 80 A8, U+2029 is E2 80 A9; any other E2 sequence is plain.
                guard i + 2 < count, base[i + 1] == 0x80, base[i + 2] == 0xA8 || base[i + 2] == 0xA9 else {
                    i += 1
                    continue
                }
                length = 3
            }
            if i > runStart {
                output.append(base + runStart, count: i - runStart)
            }
            switch byte {
            case 0x22: output.append(#"\""#)
            case 0x5C: output.append(#"\\"#)
            case 0x08: output.append(#"\b"#)
            case 0x0C: output.append(#"\f"#)
            case 0x0A: output.append(#"\n"#)
            case 0x0D: output.append(#"\r"#)
            case 0x09: output.append(#"\t"#)
            case 0xE2: output.append(base[i + 2] == 0xA8 ? #"\u2028"# : #"\u2029"#)
            default:
                let hexDigits: StaticString = "0123456789abcdef"
                output.append(#"\u00"#)
                output.append(hexDigits.utf8Start[Int(byte >> 4)])
                output.append(hexDigits.utf8Start[Int(byte & 0x0F)])
            }
            i += length
            runStart = i
        }
        if count > runStart {
            output.append(base + runStart, count: count - runStart)
        }
    }
}

/// A byte sink for `JSONWriter`: bytes are gathered in a chunk on the stack and appended to the array in bulk, so the
/// hot path is a bounds check and a store instead of an `Array.append` call. Not for use outside `JSONWriter`.
struct _JSONOutput: ~Copyable {
    private var bytes: [UInt8]
    private let chunk: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var used = 0

    /// Runs `body` with an output that appends to `buffer`.
    static func withOutput(appendingTo buffer: inout [UInt8], _ body: (inout _JSONOutput) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8192) { chunk in
            var output = _JSONOutput(taking: &buffer, chunk: chunk)
            body(&output)
            buffer = output.takeBytes()
        }
    }

    /// Takes over `buffer` (leaving it empty) so appends go to a uniquely referenced array.
    private init(taking buffer: inout [UInt8], chunk: UnsafeMutableBufferPointer<UInt8>) {
        bytes = []
        swap(&bytes, &buffer)
        self.chunk = chunk.baseAddress!
        capacity = chunk.count
    }

    /// Everything written, appended to the array that was taken over.
    private mutating func takeBytes() -> [UInt8] {
        flush()
        var result: [UInt8] = []
        swap(&result, &bytes)
        return result
    }

    private mutating func flush() {
        guard used > 0 else { return }
        bytes.append(contentsOf: UnsafeBufferPointer(start: chunk, count: used))
        used = 0
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if used == capacity { flush() }
        chunk[used] = byte
        used &+= 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count: Int) {
        if count <= capacity &- used {
            let target = UnsafeMutableRawPointer(chunk + used)
            let from = UnsafeRawPointer(source)
            if count >= 8 && count <= 16 {
                // Two overlapping words: cheaper than a call to memmove for short strings.
                target.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                target.storeBytes(
                    of: from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8,
                    as: UInt64.self)
            } else if count >= 4 && count < 8 {
                target.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
                target.storeBytes(
                    of: from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), toByteOffset: count - 4,
                    as: UInt32.self)
            } else {
                (chunk + used).update(from: source, count: count)
            }
            used &+= count
        } else {
            flush()
            bytes.append(contentsOf: UnsafeBufferPointer(start: source, count: count))
        }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    @inline(__always)
    mutating func appendUTF8(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable {
            if let base = $0.baseAddress { append(base, count: $0.count) }
        }
        if done == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    private static let spaces: StaticString =
        "                                                                                                    "

    /// A line feed and `count` spaces.
    @inline(__always)
    mutating func newline(_ count: Int) {
        append(0x0A)
        var remaining = count
        while remaining > 0 {
            let run = min(remaining, Self.spaces.utf8CodeUnitCount)
            append(Self.spaces.utf8Start, count: run)
            remaining -= run
        }
    }
}
