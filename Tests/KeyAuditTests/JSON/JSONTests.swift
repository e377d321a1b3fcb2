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

/// Helpers shared by the JSON suites (file-private so they cannot clash with other test files).
private enum JSONTestSupport {
    static let hash = "3f1e0c9a7b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5"

    /// A key object as OpenRouter returns it, with a field keyaudit does not know yet.
    static let keyObject =
        #"{"hash":"\#(hash)","name":"a|b <script>","label":"sk-or-v1-0e6...1c96","disabled":false,"limit":null,"#
        + #""limit_remaining":null,"limit_reset":null,"include_byok_in_limit":false,"usage":0.65017511,"#
        + #""usage_daily":0,"created_at":"2025-02-19T20:52:27.363244+00:00","updated_at":null,"#
        + #""future_field":{"x":[1,2.50,"y"]}}"#

    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    static func compact(_ value: JSONValue) -> String {
        JSONWriter.string(value, style: .compact)
    }

    /// The error `text` is rejected with (records an issue if it is accepted).
    static func failure(
        _ text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> JSONParseError? {
        failure(bytes: Array(text.utf8), sourceLocation: sourceLocation)
    }

    static func failure(
        bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) -> JSONParseError? {
        do {
            let value = try JSONParser.parse(bytes)
            Issue.record("accepted \(bytes.count) bytes as \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// `count` key objects in one `{"data":[...]}` page, built without the writer under test.
    static func page(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 400)
        bytes.append(contentsOf: #"{"data":["#.utf8)
        for index in 0..<count {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            let hex = String(index, radix: 16)
            let hash = String(repeating: "0", count: 64 - hex.count) + hex
            let label = "sk-or-v1-\(hash.prefix(3))...\(hash.suffix(4))"
            let limit = index % 3 == 0 ? "null" : "\(index % 100).5"
            bytes.append(contentsOf: #"{"hash":"\#(hash)","name":"key \#(index) | \u00e9t\u00e9 <b>","#.utf8)
            bytes.append(contentsOf: #""label":"\#(label)","disabled":\#(index % 7 == 0),"limit":\#(limit),"#.utf8)
            bytes.append(contentsOf: #""limit_remaining":null,"limit_reset":null,"include_byok_in_limit":false,"#.utf8)
            bytes.append(contentsOf: #""usage":0.\#(index)17511,"usage_daily":\#(index % 5),"#.utf8)
            bytes.append(contentsOf: #""created_at":"2025-02-19T20:52:27.363244+00:00","#.utf8)
            bytes.append(contentsOf: #""updated_at":null,"future_field":{"x":[1,2.50,"y"],"n":\#(index)}}"#.utf8)
        }
        bytes.append(contentsOf: #"],"total_count":\#(count)}"#.utf8)
        return bytes
    }
}

// MARK: - Round trips

@Suite("JSON round trips")
struct JSONRoundTripTests {
    @Test func realisticKeyObjectCompactRoundTripIsByteExact() throws {
        let input = Array(JSONTestSupport.keyObject.utf8)
        let value = try JSONParser.parse(input)
        #expect(JSONWriter.bytes(value) == input)

        let object = try #require(value.objectValue)
        #expect(
            object.keys == [
                "hash", "name", "label", "disabled", "limit", "limit_remaining", "limit_reset",
                "include_byok_in_limit", "usage", "usage_daily", "created_at", "updated_at", "future_field",
            ])
        #expect(object["hash"]?.stringValue == JSONTestSupport.hash)
        #expect(object["name"]?.stringValue == "a|b <script>")
        #expect(object["disabled"]?.boolValue == false)
        #expect(object["limit"]?.isNull == true)
        #expect(object["usage"]?.numberValue?.text == "0.65017511")
        #expect(object["usage"]?.doubleValue == 0.65017511)
        #expect(object["usage_daily"]?.intValue == 0)
        #expect(value["future_field"]?["x"]?[1]?.numberValue?.text == "2.50")
        #expect(value["future_field"]?["x"]?[2]?.stringValue == "y")
        #expect(value["missing"] == nil)
    }

    @Test(arguments: [
        JSONTestSupport.keyObject,
        #"[]"#, #"{}"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #""""#, #""x""#,
        #"[[[]],{},[{}],{"a":{"b":{"c":[null]}}}]"#,
        #"{"a":1,"b":[true,false,null],"c":"\u00e9\n\t\"\\","d":-1.5e-7,"e":{"":0}}"#,
        #"[1e5,1E5,1e+5,1e-5,-0.0,0.1,123456789012345678901234567890,1.0000000000000000001]"#,
        "  {\n\t\"spaced\" :\r\n [ 1 , 2 ] }  \n",
    ])
    func parseWriteParseKeepsTheValue(_ text: String) throws {
        let value = try JSONTestSupport.parse(text)
        for style in [JSONWriter.Style.compact, .pretty(), .pretty(indent: 4, level: 0), .pretty(indent: 0, level: 3)] {
            let again = try JSONParser.parse(JSONWriter.bytes(value, style: style))
            #expect(again == value, "style \(style)")
        }
    }

    @Test func compactOutputOfSpacedInputIsTheMinifiedInput() throws {
        let value = try JSONTestSupport.parse("  {\n\t\"a\" :\r\n [ 1 , 2.50 , \"x y\" ] ,\"b\":{ } }  \n")
        #expect(JSONTestSupport.compact(value) == #"{"a":[1,2.50,"x y"],"b":{}}"#)
    }

    @Test func keyOrderIsKept() throws {
        let value = try JSONTestSupport.parse(#"{"z":1,"a":2,"m":3,"b":4}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m", "b"])
        #expect(value.objectValue?.map(\.key) == ["z", "a", "m", "b"])
        #expect(JSONTestSupport.compact(value) == #"{"z":1,"a":2,"m":3,"b":4}"#)
    }

    @Test func duplicateKeysAreKeptAndTheFirstWins() throws {
        let text = #"{"a":1,"b":2,"a":3}"#
        let value = try JSONTestSupport.parse(text)
        var object = try #require(value.objectValue)
        #expect(object.count == 3)
        #expect(object.keys == ["a", "b", "a"])
        #expect(object["a"]?.numberValue?.text == "1")
        #expect(object.allValues(forKey: "a").map { $0.numberValue?.text } == ["1", "3"])
        #expect(JSONTestSupport.compact(value) == text)

        object["a"] = 9
        #expect(JSONTestSupport.compact(.object(object)) == #"{"a":9,"b":2,"a":3}"#)
        object["c"] = "new"
        #expect(JSONTestSupport.compact(.object(object)) == #"{"a":9,"b":2,"a":3,"c":"new"}"#)
        object["a"] = nil
        #expect(JSONTestSupport.compact(.object(object)) == #"{"b":2,"c":"new"}"#)
        #expect(object["a"] == nil)

        // Removing a key repeated many times keeps the others in order.
        var many = JSONObject()
        for index in 0..<20_000 {
            many.append(key: index % 2 == 0 ? "k" : "v\(index)", value: .number(JSONNumber(index)))
        }
        #expect(many.removeValue(forKey: "k")?.intValue == 0)
        #expect(many.count == 10_000)
        #expect(many.keys.first == "v1")
        #expect(many.keys.last == "v19999")
        #expect(!many.contains("k"))
    }

    @Test(arguments: [
        "0.65017511", "1e-7", "-0", "10", "2.50", "1E+2", "-0.0e-0", "0e0", "123456789012345678901234567890",
        "1.0000000000000000000001", "-12.34E-56",
    ])
    func numberLexemesSurviveUnchanged(_ lexeme: String) throws {
        let value = try JSONTestSupport.parse(lexeme)
        #expect(value.numberValue?.text == lexeme)
        #expect(JSONTestSupport.compact(value) == lexeme)
        let inArray = try JSONTestSupport.parse("[\(lexeme), {\"n\": \(lexeme)}]")
        #expect(JSONTestSupport.compact(inArray) == "[\(lexeme),{\"n\":\(lexeme)}]")
    }

    @Test func emojiAndRightToLeftTextRoundTripByteForByte() throws {
        let text = #"{"שם":"שלום עולם","اسم":"مرحبا بالعالم","emoji":"👩‍👩‍👧 🇫🇷 😀","mixed":"a\u200fb ‎é"}"#
        let input = Array(text.utf8)
        let value = try JSONParser.parse(input)
        #expect(value["שם"]?.stringValue == "שלום עולם")
        #expect(value["اسم"]?.stringValue == "مرحبا بالعالم")
        #expect(value["emoji"]?.stringValue == "👩‍👩‍👧 🇫🇷 😀")
        #expect(value["mixed"]?.stringValue == "a\u{200F}b \u{200E}é")
        // Everything but the \u200f escape is written back verbatim.
        #expect(JSONTestSupport.compact(value) == text.replacingOccurrences(of: #"\u200f"#, with: "\u{200F}"))
    }

    @Test func prettyOutputParsesBackToTheSameValue() throws {
        let value = try JSONTestSupport.parse(JSONTestSupport.keyObject)
        let pretty = JSONWriter.string(value, style: .pretty())
        #expect(try JSONTestSupport.parse(pretty) == value)
        #expect(pretty.contains("\n  \"usage\": 0.65017511,\n"))
    }

    @Test func largeSnapshotOf100000KeyObjects() throws {
        let input = JSONTestSupport.page(count: 100_000)
        let value = try JSONParser.parse(input)
        let keys = try #require(value["data"]?.arrayValue)
        #expect(keys.count == 100_000)
        #expect(value["total_count"]?.intValue == 100_000)
        #expect(keys[0]["hash"]?.stringValue == String(repeating: "0", count: 64))
        #expect(keys[99_999]["name"]?.stringValue == "key 99999 | été <b>")
        #expect(keys[99_999]["future_field"]?["n"]?.intValue == 99_999)
        #expect(keys[12_345]["usage"]?.numberValue?.text == "0.1234517511")
        #expect(keys[3]["limit"]?.isNull == true)
        #expect(keys[4]["limit"]?.numberValue?.text == "4.5")
        #expect(keys.allSatisfy { $0.objectValue?.count == 13 })
        // The \u00e9 escapes are written back as UTF-8, everything else byte for byte.
        let expected = String(decoding: input, as: UTF8.self).replacingOccurrences(of: #"\u00e9"#, with: "é")
        #expect(JSONWriter.bytes(value) == Array(expected.utf8))
    }
}

// MARK: - Parser

@Suite("JSON parser")
struct JSONParserTests {
    @Test func everyEscapeIsDecoded() throws {
        let value = try JSONTestSupport.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u00E9\u20AC\u0000""#)
        #expect(value.stringValue == "\"\\/\u{8}\u{C}\n\r\tAéé€\u{0}")
    }

    @Test func escapesInKeysAreDecoded() throws {
        let value = try JSONTestSupport.parse(#"{"a\"b":1,"\u00e9":2,"tab\tkey":3}"#)
        #expect(value.objectValue?.keys == ["a\"b", "é", "tab\tkey"])
        #expect(value["é"]?.intValue == 2)
    }

    @Test func surrogatePairsAreJoined() throws {
        #expect(try JSONTestSupport.parse(#""\ud83d\ude00""#).stringValue == "😀")
        #expect(try JSONTestSupport.parse(#""\uD83D\uDE00""#).stringValue == "😀")
        #expect(try JSONTestSupport.parse(#""a\uD834\uDD1Eb""#).stringValue == "a𝄞b")
        #expect(try JSONTestSupport.parse(#""\udbff\udfff""#).stringValue == "\u{10FFFF}")
        let value = try JSONTestSupport.parse(#"["\ud83d\ude00"]"#)
        #expect(JSONWriter.bytes(value) == [0x5B, 0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22, 0x5D])
    }

    @Test(arguments: [
        (#""\ud83d""#, 2), (#""\ude00""#, 2), (#""x\ud83d\u0041""#, 3), (#""\ud83dx""#, 2),
        (#""\ud83d\ud83d""#, 2), (#""\udfff\ud800""#, 2), (#"{"k\udc00":1}"#, 4),
    ])
    func loneSurrogatesAreRejected(_ text: String, column: Int) throws {
        let error = try #require(JSONTestSupport.failure(text))
        #expect(error.reason.contains("lone surrogate"))
        #expect(error.line == 1)
        #expect(error.column == column)
    }

    @Test(arguments: [#""\u12""#, #""\u12G4""#, #""\x41""#, #""\'""#, #""\U0041""#, #""\"#, #""\u"#])
    func badEscapesAreRejected(_ text: String) throws {
        let error = try #require(JSONTestSupport.failure(text))
        #expect(error.reason.contains("escape") || error.reason.contains("end of input"))
    }

    @Test(
        arguments: [
            [0xFF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80],
            [0xC3], [0xE2, 0x28, 0xA1], [0xF0, 0x9F, 0x98],
        ] as [[UInt8]])
    func invalidUTF8IsRejected(_ bad: [UInt8]) throws {
        // In a short string, after a long ASCII run (past the eight-byte fast path), and in a key.
        for prefix in ["", "abcdefghijklmnopqrstuvwxyz"] {
            let bytes = [0x5B, 0x22] + Array(prefix.utf8) + bad + [0x22, 0x5D]
            let error = try #require(JSONTestSupport.failure(bytes: bytes))
            #expect(error.reason.contains("invalid UTF-8"))
            #expect(error.offset == 2 + prefix.utf8.count)
            #expect(error.column == 3 + prefix.count)
        }
        let key = [0x7B, 0x22] + bad + [0x22, 0x3A, 0x31, 0x7D]
        #expect(JSONTestSupport.failure(bytes: key)?.reason.contains("invalid UTF-8") == true)
    }

    @Test func validUTF8OfEveryLengthIsAccepted() throws {
        let text = "\"$ ¢ € 𐍈 \u{7F} \u{80} \u{7FF} \u{800} \u{FFFF} \u{10000} \u{10FFFF} \u{D7FF} \u{E000}\""
        #expect(try JSONTestSupport.parse(text).stringValue == String(text.dropFirst().dropLast()))
    }

    @Test(arguments: [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func controlCharactersInStringsAreRejected(_ control: UInt8) throws {
        let bytes = Array(#"{"ok":"ab"#.utf8) + [control] + Array(#"c"}"#.utf8)
        let error = try #require(JSONTestSupport.failure(bytes: bytes))
        #expect(error.reason.contains("control character"))
        #expect(error.offset == 9)
        #expect(error.line == 1)
        #expect(error.column == 10)
        let inKey = Array(#"{"a"#.utf8) + [control] + Array(#"":1}"#.utf8)
        #expect(JSONTestSupport.failure(bytes: inKey)?.reason.contains("control character") == true)
    }

    @Test func deleteAndSlashNeedNoEscape() throws {
        #expect(try JSONTestSupport.parse("\"a\u{7F}b/c\"").stringValue == "a\u{7F}b/c")
    }

    @Test(arguments: [
        ("", 1, 1, "empty input"),
        ("   \n  ", 2, 3, "empty input"),
        (#"{"a":1"#, 1, 7, "unexpected end of input; expected ',' or '}' in object"),
        (#"{"a":"#, 1, 6, "unexpected end of input; expected a JSON value"),
        (#"{"a""#, 1, 5, "unexpected end of input; expected ':' after object key"),
        (#"{"#, 1, 2, "unexpected end of input; expected a string key in object"),
        (#"[1,2"#, 1, 5, "unexpected end of input; expected ',' or ']' in array"),
        (#"{"a":1,}"#, 1, 8, "trailing comma in object"),
        (#"[1,2,]"#, 1, 6, "trailing comma in array"),
        (#"[1,2, ]"#, 1, 7, "trailing comma in array"),
        (#"{"a":1} x"#, 1, 9, "unexpected 'x' after the JSON value"),
        (#"[1] [2]"#, 1, 5, "unexpected '[' after the JSON value"),
        ("NaN", 1, 1, "unexpected 'N'; expected a JSON value"),
        ("[NaN]", 1, 2, "unexpected 'N'; expected a JSON value"),
        ("Infinity", 1, 1, "unexpected 'I'; expected a JSON value"),
        ("-Infinity", 1, 2, "expected a digit after '-' in number"),
        ("01", 1, 1, "leading zeros are not allowed in numbers"),
        ("[-012]", 1, 3, "leading zeros are not allowed in numbers"),
        ("1.", 1, 3, "unexpected end of input; expected a digit after '.' in number"),
        ("[1.]", 1, 4, "expected a digit after '.' in number"),
        ("1.e5", 1, 3, "expected a digit after '.' in number"),
        (".5", 1, 1, "unexpected '.'; expected a JSON value"),
        ("+1", 1, 1, "unexpected '+'; expected a JSON value"),
        ("-", 1, 2, "unexpected end of input; expected a digit after '-' in number"),
        ("1e", 1, 3, "unexpected end of input; expected a digit in the exponent of number"),
        ("[1e+]", 1, 5, "expected a digit in the exponent of number"),
        ("0x10", 1, 2, "unexpected 'x' after the JSON value"),
        ("<html><body>502 Bad Gateway</body></html>", 1, 1, "the input looks like an HTML page"),
        ("\n\n   <!DOCTYPE html>", 3, 4, "the input looks like an HTML page"),
        (#"{"a" 1}"#, 1, 6, "expected ':' after object key, found '1'"),
        ("{a:1}", 1, 2, "expected a string key or '}' in object, found 'a'"),
        (#"{"a":1,b:2}"#, 1, 8, "expected a string key in object, found 'b'"),
        (#"{"a":1 "b":2}"#, 1, 8, "expected ',' or '}' in object"),
        ("[1 2]", 1, 4, "expected ',' or ']' in array"),
        (#"[1,2}"#, 1, 5, "expected ',' or ']' in array"),
        (#"{"a":1]"#, 1, 7, "expected ',' or '}' in object"),
        ("tru", 1, 4, "unexpected end of input in literal; expected 'true'"),
        ("trUe", 1, 1, "invalid literal; expected 'true'"),
        ("[nul]", 1, 2, "invalid literal; expected 'null'"),
        ("fals", 1, 5, "unexpected end of input in literal; expected 'false'"),
        ("[True]", 1, 2, "unexpected 'T'; expected a JSON value"),
        (#""abc"#, 1, 5, "unexpected end of input in string (unterminated string)"),
        (#"["abc", "def"#, 1, 13, "unexpected end of input in string (unterminated string)"),
        ("'single'", 1, 1, "unexpected '''; expected a JSON value"),
        ("[1,\u{0C}2]", 1, 4, "unexpected byte 0x0C; expected a JSON value"),
        ("[1]\u{0}", 1, 4, "unexpected byte 0x00 after the JSON value"),
        ("[\"é\", x]", 1, 7, "unexpected 'x'; expected a JSON value"),
        ("{\n  \"a\": 1,\n  \"b\": [true, false]\n  \"c\": 3\n}", 4, 3, "expected ',' or '}' in object"),
        ("[\r\n1,\r\n2\r\n,,]", 4, 2, "unexpected ','; expected a JSON value"),
    ])
    func malformedInputIsRejectedWithItsPosition(_ text: String, line: Int, column: Int, reason: String) throws {
        let error = try #require(JSONTestSupport.failure(text))
        #expect(error.line == line)
        #expect(error.column == column)
        #expect(error.reason.contains(reason), "reason: \(error.reason)")
        #expect(error.description == "line \(error.line), column \(error.column): \(error.reason)")
    }

    @Test func errorDescriptionNamesLineAndColumn() throws {
        let text = "{\n  \"name\": \"x\",\n  \"usage\": 0.50 \"limit\": 1\n}"
        let error = try #require(JSONTestSupport.failure(text))
        #expect(error.description == "line 3, column 17: expected ',' or '}' in object")
        #expect(error.offset == 33)
        #expect("\(error)" == error.description)
    }

    @Test func truncatedDocumentsAreRejectedAtEveryCut() throws {
        let bytes = Array(JSONTestSupport.keyObject.utf8)
        for cut in 0..<bytes.count {
            let error = try #require(JSONTestSupport.failure(bytes: Array(bytes[..<cut])), "cut at \(cut)")
            #expect(error.offset <= cut, "cut at \(cut): \(error)")
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = JSONParser.maximumDepth
        #expect(depth == 512)
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONTestSupport.parse(text)
        var levels = 0
        while let inner = value.arrayValue {
            levels += 1
            guard let first = inner.first else { break }
            value = first
        }
        #expect(levels == depth)
        #expect(JSONTestSupport.compact(try JSONTestSupport.parse(text)) == text)
    }

    @Test(arguments: [513, 600, 100_000])
    func nestingBeyondTheLimitIsAnErrorNotACrash(_ depth: Int) throws {
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let error = try #require(JSONTestSupport.failure(arrays))
        #expect(error.reason.contains("nesting deeper than 512"))
        #expect(error.column == 513)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(JSONTestSupport.failure(objects)?.reason.contains("nesting deeper than 512") == true)
        let unclosed = String(repeating: "[", count: depth)
        #expect(JSONTestSupport.failure(unclosed)?.reason.contains("nesting deeper than 512") == true)
    }

    @Test func whitespaceAndByteOrderMark() throws {
        #expect(try JSONTestSupport.parse(" \t\r\n[ 1 ,\t2 ]\r\n ").arrayValue?.count == 2)
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)).arrayValue?.count == 1)
        #expect(JSONTestSupport.failure(bytes: [0xEF, 0xBB, 0xBF])?.reason.contains("empty input") == true)
        #expect(JSONTestSupport.failure(bytes: [0xEF, 0xBB]) != nil)
        #expect(JSONTestSupport.failure("\u{A0}1") != nil)
        #expect(JSONTestSupport.failure("[1]\u{2028}") != nil)
    }

    @Test func topLevelScalarsAreDocuments() throws {
        #expect(try JSONTestSupport.parse("null") == .null)
        #expect(try JSONTestSupport.parse(" true ") == .bool(true))
        #expect(try JSONTestSupport.parse("\"x\"") == .string("x"))
        #expect(try JSONTestSupport.parse("-1.5").doubleValue == -1.5)
        #expect(try JSONTestSupport.parse("7").intValue == 7)
    }

    @Test func everyInputTypeGivesTheSameValue() throws {
        let text = JSONTestSupport.keyObject
        let expected = try JSONTestSupport.parse(text)
        let bytes = Array(text.utf8)
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(Data(bytes)) == expected)
        #expect(try JSONParser.parse(bytes[...]) == expected)
        #expect(try JSONParser.parse(ArraySlice([0x20] + bytes).dropFirst()) == expected)
        #expect(try JSONParser.parse(text.utf8) == expected)
        #expect(try JSONParser.parse(AnyCollection(bytes)) == expected)
        #expect(try bytes.withUnsafeBytes { buffer in try JSONParser.parse(buffer) } == expected)
        #expect(try bytes.withUnsafeBufferPointer { buffer in try JSONParser.parse(buffer) } == expected)
        #expect(JSONTestSupport.failure(bytes: []) != nil)
        #expect((try? JSONParser.parse(Data())) == nil)
    }

    @Test func lookalikeKeysAcrossObjectsAreReadCorrectly() throws {
        // Keys are predicted from the previous object at the same depth; every kind of near miss must be read as is.
        let text = #"""
            [{"hash":1,"name":2},{"hash":3,"name":4},{"hashes":5,"name":6},{"h\u0061sh":7,"name":8},{"has":9},
             {"hash":10,"name":11,"extra":12},{"name":13,"hash":14},{"a\"b":15},{"a\"b":16},{"a\\":17},{"a":18},
             {"include_byok_in_limit":19},{"include_byok_in_limiX":20},{"include_byok_in_limit_":21},
             {"é":22},{"e\u0301":23},{"":24},{"":25,"":26}]
            """#
        let objects = try #require(JSONTestSupport.parse(text).arrayValue).map { try #require($0.objectValue) }
        let keys = objects.map(\.keys)
        #expect(
            keys == [
                ["hash", "name"], ["hash", "name"], ["hashes", "name"], ["hash", "name"], ["has"],
                ["hash", "name", "extra"], ["name", "hash"], ["a\"b"], ["a\"b"], ["a\\"], ["a"],
                ["include_byok_in_limit"], ["include_byok_in_limiX"], ["include_byok_in_limit_"],
                ["é"], ["e\u{301}"], [""], ["", ""],
            ])
        #expect(
            objects.map { $0.values.first?.intValue } == (1...25).filter { ![2, 4, 6, 8, 11, 12, 14].contains($0) })
        #expect(objects[6]["hash"]?.intValue == 14)
        #expect(objects[14]["é"]?.intValue == 22)
        #expect(objects[14]["e\u{301}"] == nil)
        #expect(objects[15]["e\u{301}"]?.intValue == 23)
    }

    @Test func shortStringsNearTheEndOfTheInput() throws {
        for text in [#"["12345678","1234567890123456"]"#, #""1234567890123456""#, #""a""#, "0", "[0,1,10,100]"] {
            #expect(JSONTestSupport.compact(try JSONTestSupport.parse(text)) == text)
        }
        let value = try JSONTestSupport.parse(#"["abc","abd","abc","1234567890123456","1234567890123457",12,13,12]"#)
        #expect(
            value.arrayValue?.map { $0.stringValue ?? $0.numberValue?.text } == [
                "abc", "abd", "abc", "1234567890123456", "1234567890123457", "12", "13", "12",
            ])
    }

    @Test func manyDistinctKeysInOneObject() throws {
        // More distinct keys than the parser interns.
        let count = 70_000
        var text = "{"
        for index in 0..<count {
            if index > 0 { text += "," }
            text += #""key-\#(index)":\#(index)"#
        }
        text += "}"
        let object = try #require(try JSONTestSupport.parse(text).objectValue)
        #expect(object.count == count)
        #expect(object["key-0"]?.intValue == 0)
        #expect(object["key-69999"]?.intValue == 69_999)
        #expect(JSONTestSupport.compact(.object(object)) == text)
    }

    @Test func parsingInParallelGivesIdenticalResults() async throws {
        let input = JSONTestSupport.page(count: 200)
        let expected = try JSONParser.parse(input)
        let results = try await withThrowingTaskGroup(of: JSONValue.self) { group in
            for _ in 0..<8 { group.addTask { try JSONParser.parse(input) } }
            var all: [JSONValue] = []
            for try await value in group { all.append(value) }
            return all
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == expected })
    }

    @Test func looksLikeHTML() {
        #expect(JSONParser.looksLikeHTML(Array("<html><body>Bad Gateway</body></html>".utf8)))
        #expect(JSONParser.looksLikeHTML(Array(" \r\n\t<!DOCTYPE html>".utf8)))
        #expect(JSONParser.looksLikeHTML([0xEF, 0xBB, 0xBF] + Array("<html>".utf8)))
        #expect(JSONParser.looksLikeHTML(Data("<?xml version=\"1.0\"?>".utf8)))
        #expect(!JSONParser.looksLikeHTML(Array(#"{"a":"<html>"}"#.utf8)))
        #expect(!JSONParser.looksLikeHTML(Array("x<html>".utf8)))
        #expect(!JSONParser.looksLikeHTML([UInt8]()))
        #expect(!JSONParser.looksLikeHTML(Array("   ".utf8)))
        #expect(!JSONParser.looksLikeHTML([0xEF, 0xBB]))
    }
}

// MARK: - Numbers

@Suite("JSON numbers")
struct JSONNumberTests {
    @Test(arguments: ["0", "-0", "1", "-1", "10", "1.5", "0.65017511", "1e5", "1E-5", "-12.34e+56", "0e0", "1e007"])
    func validLexemes(_ text: String) {
        #expect(JSONNumber(validating: text)?.text == text)
    }

    @Test(arguments: [
        "", " 1", "1 ", "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "1.e5", "0x10", "NaN", "Infinity",
        "-Infinity", "--1", "1.5e", "00", "1,5", "١", "1_000",
    ])
    func invalidLexemes(_ text: String) {
        #expect(JSONNumber(validating: text) == nil)
    }

    @Test func canonicalLexemesOfDoubles() throws {
        let cases: [(Double, String)] = [
            (10.0, "10"), (0, "0"), (-0.0, "-0"), (0.1, "0.1"), (1e-7, "1e-07"), (1e300, "1e+300"),
            (123456.789, "123456.789"), (-2.5, "-2.5"), (9_007_199_254_740_991, "9007199254740991"),
            (9_007_199_254_740_992, "9007199254740992"), (1e17, "100000000000000000"),
            (-9.223372036854775e18, "-9223372036854774784"), (9.3e18, "9.3e+18"),
            (Double.leastNonzeroMagnitude, "5e-324"),
            (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        ]
        for (double, lexeme) in cases {
            let number = try #require(JSONNumber(double))
            #expect(number.text == lexeme)
            #expect(JSONNumber(validating: number.text) != nil)
            #expect(number.double == double)
            #expect(number.double?.sign == double.sign)
        }
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(-Double.infinity) == nil)
    }

    @Test func canonicalLexemesOfIntegers() {
        #expect(JSONNumber(0).text == "0")
        #expect(JSONNumber(-42).text == "-42")
        #expect(JSONNumber(Int.max).text == "9223372036854775807")
        #expect(JSONNumber(Int.min).text == "-9223372036854775808")
        #expect(JSONNumber(Int.min).int == Int.min)
    }

    @Test func conversions() throws {
        #expect(JSONNumber(validating: "1e400")?.double == nil)
        #expect(JSONNumber(validating: "-1e400")?.double == nil)
        #expect(JSONNumber(validating: "1e-400")?.double == 0)
        #expect(JSONNumber(validating: "0.65017511")?.double == 0.65017511)
        #expect(JSONNumber(validating: "12")?.int == 12)
        #expect(JSONNumber(validating: "12.0")?.int == nil)
        #expect(JSONNumber(validating: "1e2")?.int == nil)
        #expect(JSONNumber(validating: "99999999999999999999")?.int == nil)
        #expect(JSONNumber(validating: "-0")?.double?.sign == .minus)
    }

    @Test func equalityIsByLexeme() throws {
        #expect(try JSONTestSupport.parse("1.0") != JSONTestSupport.parse("1"))
        #expect(try JSONTestSupport.parse("1.0") == JSONTestSupport.parse("1.0"))
        #expect(JSONNumber(10.0) == JSONNumber(10))
    }
}

// MARK: - Values and objects

@Suite("JSON values")
struct JSONValueTests {
    @Test func accessorsMatchOnlyTheirCase() throws {
        let value = try JSONTestSupport.parse(#"{"s":"x","b":true,"n":-2,"d":2.5,"o":{"k":[1]},"a":[null],"z":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["s"]?.boolValue == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["b"]?.stringValue == nil)
        #expect(value["n"]?.intValue == -2)
        #expect(value["n"]?.doubleValue == -2)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.intValue == nil)
        #expect(value["d"]?.numberValue?.text == "2.5")
        #expect(value["o"]?.objectValue?.count == 1)
        #expect(value["o"]?["k"]?[0]?.intValue == 1)
        #expect(value["o"]?["k"]?[1] == nil)
        #expect(value["o"]?["k"]?[-1] == nil)
        #expect(value["a"]?.arrayValue == [.null])
        #expect(value["z"]?.isNull == true)
        #expect(value["s"]?.isNull == false)
        #expect(value["s"]?["k"] == nil)
        #expect(value[0] == nil)
        #expect(value.objectValue?["missing"] == nil)
    }

    @Test func stringEqualityIsByteExact() throws {
        let composed = try JSONTestSupport.parse(#""\u00e9""#)
        let decomposed = try JSONTestSupport.parse(#""e\u0301""#)
        #expect(composed.stringValue == decomposed.stringValue)  // Swift's String equality is canonical
        #expect(composed != decomposed)  // JSON equality is not: the bytes differ
        #expect(Set([composed, decomposed, composed]).count == 2)
        #expect(JSONTestSupport.compact(decomposed) == "\"e\u{301}\"")

        let a = try JSONTestSupport.parse(#"{"\u00e9":1}"#)
        let b = try JSONTestSupport.parse(#"{"e\u0301":1}"#)
        #expect(a != b)
        #expect(a.objectValue?["é"]?.intValue == 1)
        #expect(b.objectValue?["é"] == nil)
        #expect(b.objectValue?["e\u{301}"]?.intValue == 1)
    }

    @Test func equalityAndHashingFollowStructure() throws {
        let x = try JSONTestSupport.parse(#"{"a":[1,"2",{"b":null}],"c":true}"#)
        let y = try JSONTestSupport.parse(#" { "a" : [ 1 , "2" , { "b" : null } ] , "c" : true } "#)
        let reordered = try JSONTestSupport.parse(#"{"c":true,"a":[1,"2",{"b":null}]}"#)
        #expect(x == y)
        #expect(x.hashValue == y.hashValue)
        #expect(x != reordered)
        #expect(Set([x, y, reordered]).count == 2)
        #expect(JSONValue.null != .bool(false))
        #expect(JSONValue.array([]) != .object(JSONObject()))
        #expect(JSONValue.string("1") != .number(JSONNumber(1)))
    }

    @Test func literalsBuildValues() {
        let value: JSONValue = ["name": "x", "n": 1, "ok": true, "none": nil, "list": [1, "two", [:]]]
        #expect(JSONTestSupport.compact(value) == #"{"name":"x","n":1,"ok":true,"none":null,"list":[1,"two",{}]}"#)
        let object: JSONObject = ["b": 1, "a": 2, "b": 3]
        #expect(object.keys == ["b", "a", "b"])
        // `nil` where a JSONValue is expected is JSON null; where an optional is expected it is "absent".
        let pairs: [(String, JSONValue)] = [("limit", nil), ("usage", 0.5 == 0.5 ? "x" : nil)]
        #expect(JSONTestSupport.compact(.object(JSONObject(pairs))) == #"{"limit":null,"usage":"x"}"#)
        let absent: JSONValue? = nil
        #expect(absent == nil)
        #expect(JSONObject(pairs)["missing"] == nil)
    }

    @Test func objectAPI() throws {
        var object = JSONObject([("x", 1), ("y", "two")])
        #expect(object.count == 2)
        #expect(!object.isEmpty)
        #expect(JSONObject().isEmpty)
        #expect(object.contains("x"))
        #expect(!object.contains("z"))
        #expect(object.index(forKey: "y") == 1)
        #expect(object.index(forKey: "Y") == nil)
        #expect(object[0].key == "x")
        #expect(object[1].value == "two")
        #expect(object.map(\.key) == ["x", "y"])
        #expect(Array(object.indices) == [0, 1])
        object.append(key: "x", value: 3)
        #expect(object.count == 3)
        #expect(object["x"] == 1)
        #expect(object.removeValue(forKey: "x") == 1)
        #expect(object.keys == ["y"])
        #expect(object.values == ["two"])
        #expect(object.removeValue(forKey: "x") == nil)
        var pairs: [String] = []
        for (key, value) in object { pairs.append("\(key)=\(value)") }
        #expect(pairs == [#"y="two""#])
        #expect(object.description == #"{"y":"two"}"#)
    }

    @Test func parsedObjectsWithTheSameKeysStayIndependent() throws {
        // Objects with the same keys share storage after parsing; changing one must not change the others.
        let value = try JSONTestSupport.parse(#"[{"hash":"a","n":1},{"hash":"b","n":2},{"hash":"c","n":3}]"#)
        var objects = try #require(value.arrayValue).map { try #require($0.objectValue) }
        objects[1]["hash"] = "changed"
        objects[1]["new"] = true
        objects[2]["n"] = nil
        #expect(
            objects.map(\.description) == [
                #"{"hash":"a","n":1}"#, #"{"hash":"changed","n":2,"new":true}"#, #"{"hash":"c"}"#,
            ])
        #expect(JSONTestSupport.compact(value) == #"[{"hash":"a","n":1},{"hash":"b","n":2},{"hash":"c","n":3}]"#)
    }

    @Test func lookupsFindKeysOfEveryLength() throws {
        var pairs: [(String, JSONValue)] = []
        for length in 0...40 { pairs.append((String(repeating: "k", count: length), .number(JSONNumber(length)))) }
        pairs.append(("ключ", "cyrillic"))
        let parsed = try #require(
            try JSONTestSupport.parse(JSONTestSupport.compact(.object(JSONObject(pairs)))).objectValue)
        for length in 0...40 {
            let key = String(repeating: "k", count: length)
            #expect(parsed[key]?.intValue == length)
            // A key built differently (not a literal, not from the parser) is found too.
            var built = ""
            for _ in 0..<length { built.append("k") }
            #expect(parsed[built]?.intValue == length)
        }
        #expect(parsed["ключ"]?.stringValue == "cyrillic")
        #expect(parsed["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"] == nil)
    }
}

// MARK: - Writer

@Suite("JSON writer")
struct JSONWriterTests {
    @Test func prettyMatchesPythonsIndent2Layout() throws {
        let value = try JSONTestSupport.parse(
            #"{"name":"a|b <script>","list":[1,2.5,{"x":null,"y":[true,false]}],"empty_list":[],"#
                + #""empty_object":{},"nested":{"k":[[]],"s":"é 😀 עברית"},"last":"tab\there"}"#
        )
        // python3 -c 'import json; print(json.dumps(v, indent=2, ensure_ascii=False))'
        let expected = """
            {
              "name": "a|b <script>",
              "list": [
                1,
                2.5,
                {
                  "x": null,
                  "y": [
                    true,
                    false
                  ]
                }
              ],
              "empty_list": [],
              "empty_object": {},
              "nested": {
                "k": [
                  []
                ],
                "s": "é 😀 עברית"
              },
              "last": "tab\\there"
            }
            """
        let pretty = JSONWriter.string(value, style: .pretty())
        #expect(pretty == expected)
        #expect(JSONWriter.string(value, style: .pretty(indent: 2, level: 0)) == expected)
        #expect(!pretty.split(separator: "\n").contains { $0.hasSuffix(" ") })
    }

    @Test func prettyScalarsAndEmptyContainers() {
        #expect(JSONWriter.string([], style: .pretty()) == "[]")
        #expect(JSONWriter.string([:], style: .pretty()) == "{}")
        #expect(JSONWriter.string("x", style: .pretty()) == #""x""#)
        #expect(JSONWriter.string(.null, style: .pretty()) == "null")
        #expect(JSONWriter.string([[], [:]], style: .pretty()) == "[\n  [],\n  {}\n]")
    }

    @Test func prettyIndentAndLevelForStreaming() {
        let value: JSONValue = ["a": [1, 2], "b": [:]]
        #expect(
            JSONWriter.string(value, style: .pretty(indent: 4, level: 0))
                == "{\n    \"a\": [\n        1,\n        2\n    ],\n    \"b\": {}\n}")
        #expect(
            JSONWriter.string(value, style: .pretty(indent: 2, level: 1))
                == "{\n    \"a\": [\n      1,\n      2\n    ],\n    \"b\": {}\n  }")
        #expect(JSONWriter.string(value, style: .pretty(indent: 0, level: 0)) == "{\n\"a\": [\n1,\n2\n],\n\"b\": {}\n}")
        #expect(
            JSONWriter.string(value, style: .pretty(indent: -3, level: -1))
                == JSONWriter.string(value, style: .pretty(indent: 0, level: 0)))

        // Streaming a document element by element gives the same bytes as writing it whole.
        let elements: [JSONValue] = [["k": 1], ["k": [true]], "s"]
        var streamed = Array("[".utf8)
        for (index, element) in elements.enumerated() {
            streamed.append(contentsOf: (index == 0 ? "\n  " : ",\n  ").utf8)
            JSONWriter.write(element, into: &streamed, style: .pretty(indent: 2, level: 1))
        }
        streamed.append(contentsOf: "\n]".utf8)
        #expect(streamed == JSONWriter.bytes(.array(elements), style: .pretty()))
    }

    @Test func writingAppendsToTheBuffer() {
        var buffer = Array("prefix:".utf8)
        JSONWriter.write(["a": 1], into: &buffer)
        JSONWriter.write("b", into: &buffer, style: .compact)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:{"a":1}"b""#)
        var key: [UInt8] = []
        JSONWriter.writeString("quote\" and \u{2028}", into: &key)
        #expect(String(decoding: key, as: UTF8.self) == #""quote\" and \u2028""#)
    }

    @Test func everyControlCharacterIsEscaped() {
        var raw = ""
        for scalar in 0..<0x20 { raw.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        let expected =
            #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f""#
        #expect(JSONTestSupport.compact(.string(raw)) == expected)
        // Long strings go through the eight-byte path: put the control characters after long plain runs.
        let long = String(repeating: "abcdefgh", count: 3) + raw + String(repeating: "ijklmnop", count: 3)
        #expect(
            JSONTestSupport.compact(.string(long))
                == "\"" + String(repeating: "abcdefgh", count: 3) + expected.dropFirst().dropLast()
                + String(repeating: "ijklmnop", count: 3) + "\"")
    }

    @Test func quotesBackslashesAndLineSeparatorsAreEscaped() throws {
        #expect(JSONTestSupport.compact(.string(#"say "hi" \ bye"#)) == #""say \"hi\" \\ bye""#)
        #expect(JSONTestSupport.compact(.string("a\u{2028}b\u{2029}c")) == #""a\u2028b\u2029c""#)
        let verbatim = "/ \u{7F} é € 😀 \u{2027} \u{202A}"
        #expect(JSONTestSupport.compact(.string(verbatim)) == "\"" + verbatim + "\"")
        #expect(JSONTestSupport.compact(.string("")) == #""""#)
        #expect(JSONTestSupport.compact(["\u{2028}": "\""]) == #"{"\u2028":"\""}"#)
        // Special characters at every position of an eight-byte block and in the final partial block.
        for length in 0..<20 {
            for position in 0..<length {
                for special in ["\"", "\\", "\n", "\u{2028}"] {
                    var text = String(repeating: "x", count: length)
                    let index = text.index(text.startIndex, offsetBy: position)
                    text.replaceSubrange(index...index, with: special)
                    let written = JSONWriter.bytes(.string(text))
                    #expect(try JSONParser.parse(written).stringValue == text, "\(length) \(position) \(special)")
                }
            }
        }
    }

    @Test func escapedInputIsWrittenInCanonicalForm() throws {
        let value = try JSONTestSupport.parse(#"["a\/b","\u0041","\u00e9","\ud83d\ude00","\u2028","\u001F","\f"]"#)
        #expect(JSONTestSupport.compact(value) == #"["a/b","A","é","😀","\u2028","\u001f","\f"]"#)
    }

    @Test func descriptionsAreCompactJSON() throws {
        let value = try JSONTestSupport.parse(#" { "a" : [ 1 , 2.50 ] } "#)
        #expect(value.description == #"{"a":[1,2.50]}"#)
        #expect("\(value)" == #"{"a":[1,2.50]}"#)
        #expect(value.objectValue?.description == #"{"a":[1,2.50]}"#)
        #expect(JSONNumber(validating: "2.50")?.description == "2.50")
    }

    @Test func deterministicOutput() throws {
        let value = try JSONParser.parse(JSONTestSupport.page(count: 50))
        let first = JSONWriter.bytes(value, style: .pretty())
        for _ in 0..<3 {
            #expect(JSONWriter.bytes(value, style: .pretty()) == first)
            #expect(JSONWriter.bytes(try JSONParser.parse(first), style: .pretty()) == first)
        }
    }
}
