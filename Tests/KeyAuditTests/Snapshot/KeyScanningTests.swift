import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditSnapshot

/// Keys are read straight from their bytes (`KeyObjectScanner`), and the rare key the scanner leaves alone as a
/// tree: both must build the same record (compact JSON, typed fields, problems, presence, unknown fields,
/// fingerprint, identity, redactions) and the same snapshot.json bytes. The seeded fuzz pass checks the same on
/// mutated snapshots (`FuzzTarget.snapshot`).
@Suite("Snapshot: keys read from their bytes")
struct KeyScanningTests {
    /// Made-up secrets in the OpenRouter shape (built at run time, so no secret scanner trips on the source).
    static let secret = "sk-or-v1-" + String(repeating: "0e6f", count: 15) + "1c96"
    static let hash = String(repeating: "ab12", count: 16)
    static let plain =
        #"{"hash":"\#(hash)","name":"ci","label":"sk-or-v1-ab1...ab12","disabled":false,"limit":10.50,"#
        + #""limit_remaining":1e2,"limit_reset":null,"usage":0,"created_at":"2025-01-01T00:00:00Z","#
        + #""workspace_id":"w1"}"#

    /// Each object, and whether the scanner reads it (false: it is read as a tree).
    static let cases: [(String, Bool)] = [
        (plain, true),
        // Whitespace anywhere between tokens, none inside strings.
        (
            "{ \"hash\" : \"\(hash)\" ,\n\t\"name\":\"a b\" , \"extra\" : [ 1 , { \"x\" : [ ] , \"y\" : { } } ] ,"
                + " \"disabled\" : true }", true
        ),
        ("{}", true),
        ("{ }", true),
        // No hash: the stand-in identity from the compact JSON.
        (#"{"name":"no hash","created_at":"2025-01-01T00:00:00Z","disabled":false}"#, true),
        // Unreadable fields of every kind, numbers kept as their text.
        (
            #"{"hash":"xyz","name":7,"label":["a"],"disabled":"maybe","limit":"12.5","limit_remaining":"abc","#
                + #""usage":1e400,"usage_daily":1e19,"usage_weekly":-0,"byok_usage":true,"created_at":"yesterday","#
                + #""updated_at":"0001-01-01T00:00:00Z","expires_at":5,"last_used_at":null,"#
                + #""include_byok_in_limit":"true","limit_reset":{"a":1},"workspace_id":null}"#, true
        ),
        // Duplicate members: the first value is read, every member kept and fingerprinted.
        (#"{"hash":"\#(hash)","name":"first","name":"second","usage":1,"usage":2,"x":1,"x":2}"#, true),
        // Non-ASCII text, a line separator's lead byte in another character (em dash), DEL.
        ("{\"hash\":\"\(hash)\",\"name\":\"é — 🙂 \u{7F}\",\"note\":\"ü\"}", true),
        // Escapes: read as trees (the writer spells some escaped characters otherwise).
        (#"{"hash":"\#(hash)","name":"a \"b\" \u0063 \/ \n"}"#, false),
        // A raw U+2028 is escaped when written: read as a tree.
        ("{\"hash\":\"\(hash)\",\"name\":\"a\u{2028}b\"}", false),
        // Secrets anywhere: read as trees and redacted, with the same records as before.
        ("{\"hash\":\"\(hash)\",\"name\":\"\(secret)\"}", false),
        ("{\"hash\":\"\(hash)\",\"meta\":{\"deep\":[\"x\",\"\(secret)\"]}}", false),
        ("{\"hash\":\"\(hash)\",\"\(secret)\":1}", false),
        ("{\"\(secret)\":\"\(secret)\",\"name\":\"\(secret)\"}", false),
        // A secret-shaped label and near misses stay readable and are read from the bytes.
        (#"{"hash":"\#(hash)","name":"task-or-0123456789abcdefghij sk-or-v1-abc"}"#, true),
    ]

    static func document(_ object: String, pretty: Bool) -> [UInt8] {
        Array((pretty ? "{\n  \"data\": [\n    \(object),\n    \(plain)\n  ]\n}" : "{\"keys\":[\(object)]}").utf8)
    }

    @Test("a key read from its bytes is the key read as a tree", arguments: cases.indices)
    func scannedEqualsTree(index: Int) throws {
        let (object, scanned) = Self.cases[index]
        var scanner = KeyObjectScanner()
        let took = Array(object.utf8).withUnsafeBytes { scanner.read($0) }
        #expect(took == scanned, "the scanner \(took ? "read" : "left") \(object)")
        for pretty in [false, true] {
            let bytes = Self.document(object, pretty: pretty)
            let fromBytes = try Snapshot.decode(bytes, origin: "t.json")
            let asTrees = try Snapshot.decode(bytes, origin: "t.json", scanKeys: false)
            #expect(fromBytes.keys.count == asTrees.keys.count)
            for (a, b) in zip(fromBytes.keys, asTrees.keys) {
                #expect(a.differences(from: b) == [], "\(object)")
            }
            #expect(fromBytes.encoded() == asTrees.encoded())
        }
    }

    @Test("the comparison finds a difference when there is one")
    func comparisonCanFail() throws {
        let one = try Snapshot.decode(Self.document(Self.plain, pretty: false), origin: "a.json").keys[0]
        let renamed = Self.plain.replacingOccurrences(of: #""name":"ci""#, with: #""name":"cd""#)
        let other = try Snapshot.decode(Self.document(renamed, pretty: false), origin: "b.json").keys[0]
        let differences = other.differences(from: one)
        #expect(differences.contains { $0.hasPrefix("raw") })
        #expect(differences.contains { $0.hasPrefix("strings") })
        #expect(differences.contains { $0.hasPrefix("configurationFingerprint") })
    }

    @Test("the fingerprint is the configuration's, however the object was read or spelled")
    func fingerprint() throws {
        func key(_ object: String) throws -> KeyRecord {
            try Snapshot.decode(Array("[\(object)]".utf8), origin: "f.json").keys[0]
        }
        let base = try key(#"{"hash":"\#(Self.hash)","name":"ab","usage":1,"limit":5}"#)
        // The same members spelled with an escape and spaces (read as a tree): the same fingerprint.
        let escaped = try key(#"{ "hash" : "\#(Self.hash)", "name" : "a\u0062", "usage" : 1, "limit" : 5 }"#)
        #expect(escaped.configurationFingerprint == base.configurationFingerprint)
        // Only a volatile member differs: the same configuration.
        let used = try key(#"{"hash":"\#(Self.hash)","name":"ab","usage":2,"limit":5}"#)
        #expect(used.configurationFingerprint == base.configurationFingerprint)
        // A configuration member differs, or is spelled as another number: another configuration.
        let limit = try key(#"{"hash":"\#(Self.hash)","name":"ab","usage":1,"limit":5.0}"#)
        #expect(limit.configurationFingerprint != base.configurationFingerprint)
        let order = try key(#"{"hash":"\#(Self.hash)","limit":5,"name":"ab","usage":1}"#)
        #expect(order.configurationFingerprint != base.configurationFingerprint)
    }

    @Test("reading elements as ranges checks and fails exactly as building them")
    func rangesFailAlike() {
        let documents = [
            #"{"data":[{"a":1},{"a":01}]}"#, #"{"data":[{"a":"\ud800"}]}"#, #"[{"a":[1,]}]"#, #"{"keys":[{"a":tru}]}"#,
            #"{"keys":[{"a":"x"}"#, "[{\"a\":\"\u{01}\"}]", #"{"keys":[1,"two",{"x":-}]}"#,
            "[" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "]",
            #"{"data":[{"a":1}], "keys":[{"b":2}, 3]}"#, "[\"\\u00e9\", {\"\u{FF}\": 1}]",
        ]
        // Invalid UTF-8 inside a key, and a huge number.
        let raw =
            documents.map { Array($0.utf8) } + [
                Array(#"[{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}]"#.utf8),
                Array(#"{"data":[{"a":1e999999999999999999}]}"#.utf8),
            ]
        for bytes in raw {
            let text = String(decoding: bytes, as: UTF8.self)
            var built: [(String, Int)] = []
            var ranges: [(String, Int)] = []
            let one = bytes.withUnsafeBytes { buffer in
                Result { () throws(JSONParseError) in
                    try JSONParser.parse(buffer) { name, _, offset in built.append((name, offset)) }
                }
            }
            let two = bytes.withUnsafeBytes { buffer in
                Result { () throws(JSONParseError) in
                    try JSONParser.parse(
                        buffer,
                        streamingElementRanges: { name, range in
                            ranges.append((name, range.upperBound))
                        })
                }
            }
            switch (one, two) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(text)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(text)")
            default: Issue.record("one parse failed and the other did not: \(text)")
            }
            #expect(built.map(\.0) == ranges.map(\.0) && built.map(\.1) == ranges.map(\.1), "\(text)")
        }
    }

    @Test("each range is the element's own bytes")
    func rangesAreElements() throws {
        let text = #"{"data": [ {"a": [1, {"b": "]}"}]} , 2, "x" ,null,[{}] ], "z": 1}"#
        let bytes = Array(text.utf8)
        var elements: [String] = []
        _ = try bytes.withUnsafeBytes { buffer in
            try JSONParser.parse(
                buffer,
                streamingElementRanges: { _, range in
                    elements.append(String(decoding: buffer[range], as: UTF8.self))
                })
        }
        #expect(elements == [#"{"a": [1, {"b": "]}"}]}"#, "2", #""x""#, "null", "[{}]"])
    }

    @Test("short decimals are read exactly as Double(text) reads them")
    func shortDecimals() {
        var generator = SystemRandomNumberGenerator()
        var lexemes = [
            "0", "-0", "0.0", "-0.000", "1", "10.50", "0.1", "0.3", "999999999999999", "-123456789.012345",
            "0.000000000000001", "9007199254740993", "1e2", "1E-7", "5.0e0", "123456789012345.6",
        ]
        for _ in 0..<20_000 {
            let whole = UInt64.random(in: 0...999_999_999, using: &generator)
            let places = Int.random(in: 0...8, using: &generator)
            let fraction = String(UInt64.random(in: 0...99_999_999, using: &generator)).prefix(places)
            lexemes.append(
                (Bool.random(using: &generator) ? "-" : "") + "\(whole)" + (places == 0 ? "" : ".\(fraction)"))
        }
        for text in lexemes {
            guard let number = JSONNumber(validating: text) else { continue }
            #expect(number.double?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
        #expect(JSONNumber.shortDecimal("0.000000000000001") == nil)  // 16 digits: left to Double(text)
        #expect(JSONNumber.shortDecimal("1e2") == nil)
    }

    @Test("a key list element that is not an object is still refused with its kind")
    func notAnObject() {
        for (element, kind) in [
            ("[1]", "array"), ("\"k\"", "string"), ("true", "boolean"), ("null", "null"), ("-1", "number"),
        ] {
            #expect(throws: KeyAuditError.self) {
                try Snapshot.decode(Array("{\"data\":[\(element)]}".utf8), origin: "o.json")
            }
            do {
                _ = try Snapshot.decode(Array("{\"data\":[{},\(element)]}".utf8), origin: "o.json")
            } catch {
                #expect(error.message.contains("item 1 of the key list is a JSON \(kind), not a key object"))
            }
        }
    }
}
