import Foundation
import Testing

/// No integer conversion that can trap outside `Checked` (Sources/Core/Checked.swift).
///
/// `Int(someDouble)`, `Int64(x * 1000)`, `UInt32(someInt)` and the like stop the process when the value does not
/// fit; a number from outside must reach an integer through `Checked`, which answers nil instead. The scan below
/// finds every unlabelled conversion to an integer type in `Sources/` (comments and string text skipped, string
/// interpolations scanned) and accepts only the forms that cannot trap:
///
/// - a labelled initializer: `truncatingIfNeeded:`, `bitPattern:`, `exactly:`, `clamping:`, `ascii:`,
///   `littleEndian:`, `bigEndian:`;
/// - parsing text, which fails with nil instead of trapping: a `radix:` argument, an argument that is visibly
///   text (`String(…)`, a string literal), or a result used as an optional (`?? default`, `!= nil`, `?.`,
///   `if let` / `guard let` / `while let` bindings, which the compiler only allows on an optional);
/// - an integer literal;
/// - the reviewed conversions listed in ``reviewed``, each with why it cannot trap (widening a narrower type,
///   an index into an array in memory), by its call text as the scan sees it (string literals as spaces).
///
/// A force-unwrapped parse (`Int(text)!`) is not accepted: it traps on bad text.
@Suite("Checked conversions")
struct CheckedConversionTests {
    /// Conversions that cannot trap although the scan cannot see it, by file and exact call text.
    static let reviewed: [String: [String: String]] = [
        "Audit/Finding.swift": [
            "Int32(index)": "a key's position in the audited snapshot, an array in memory (2^31 keys would be 400 GB)",
            "Int(index)": "Int32 widened to Int",
        ],
        "Audit/Auditor.swift": [
            "Int32(index)": "a key's position in the audited snapshot, an array in memory (2^31 keys would be 400 GB)",
            "Int(match.key)": "Int32 widened to Int",
        ],
        "API/BaseURL.swift": [
            "Int32(address.pointee.sa_family)": "sa_family_t (UInt16) widened to Int32"
        ],
        "Core/Files/Checksum.swift": [
            "Int(byte >> 4)": "a UInt8 widened to Int", "Int(byte & 0x0f)": "a UInt8 widened to Int",
        ],
        "Core/Files/FileSystem.swift": ["Int32(underlying.code)": "an errno value from an NSError (0...4095)"],
        "Core/Files/MappedFile.swift": ["Int32(_SC_PAGESIZE)": "a libc constant"],
        "Core/JSON/JSONWriter.swift": [
            "UInt64(raw.loadUnaligned(as: UInt32.self))": "UInt32 widened to UInt64",
            "UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))": "UInt32 widened to UInt64",
            "UInt64(index * 8)": "index < 8 here (a string shorter than 8 bytes)",
            "UInt64(base[index])": "a UInt8 widened to UInt64",
            "Int(byte >> 4)": "a UInt8 widened to Int", "Int(byte & 0x0F)": "a UInt8 widened to Int",
        ],
        "Core/JSON/JSONParser.swift": [
            "UInt64(Self.shapeCount - 1)": "a positive constant",
            "UInt64(64 - Self.shortStringCountLog2)": "a positive constant",
            "UInt64(bytes[index])": "a UInt8 widened to UInt64",
            "UInt64(index &* 8)": "index < 8 here (a short string's first word)",
            "UInt64((index &- 8) &* 8)": "8 <= index < 16 here (a short string's second word)",
            "UInt32(unit)": "a UInt16 widened to UInt32", "UInt32(low)": "a UInt16 widened to UInt32",
            "UInt16(digit)": "a hexadecimal digit (0...15)", "UInt16(p[offset])": "a UInt8 widened to UInt16",
        ],
        "Core/Redaction.swift": ["Int32(first)": "a UInt8 widened to Int32 (memchr's argument)"],
        "Core/Text/Escaping.swift": [
            "UInt8(byte)": "a byte value 0...255 from a 0..<256 range", "Int($0)": "a UInt8 widened to Int",
        ],
        "Core/Signing/SSHBase64.swift": [
            "Int(char)": "a UInt8 widened to Int", "UInt8(index)": "a position in the 64-letter alphabet",
            "UInt32(first)": "a UInt8 widened to UInt32", "UInt32(second ?? 0)": "a UInt8 widened to UInt32",
            "UInt32(third ?? 0)": "a UInt8 widened to UInt32", "Int(group >> 18 & 0x3F)": "six bits (0...63)",
            "Int(group >> 12 & 0x3F)": "six bits (0...63)", "Int(group >> 6 & 0x3F)": "six bits (0...63)",
            "Int(group & 0x3F)": "six bits (0...63)", "UInt32(value)": "a UInt8 widened to UInt32",
        ],
        "Core/Signing/SSHWire.swift": [
            "UInt32(bytes[index])": "a UInt8 widened to UInt32",
            "UInt64(declared)": "a UInt32 widened to UInt64", "UInt64(remainingCount)": "a count (from 0) widened",
            "Int(declared)": "a UInt32 widened to Int, checked against what is left just before",
            "UInt32(raw.count)": "wire strings keyaudit writes itself: hashes, names and keys, far below 4 GiB",
        ],
        "Core/Signing/AllowedSigners.swift": [
            // String literals read as spaces in the scan: this is `Int($1 - UInt8(ascii: "0"))`.
            "Int($1 - UInt8(ascii: \" \"))": "a decimal digit (all checked to be 0...9 just before)"
        ],
        "Core/Signing/OpenSSHPrivateKey.swift": ["UInt8($0.offset + 1)": "a padding position below the block size (8)"],
        "Core/Text/Timestamp.swift": ["Int(byte - 48)": "a decimal digit (0...9), checked just before"],
        "Report/ReportFacts.swift": [
            "Int(perKey[index])": "an Int32 tally widened to Int",
            "Int(perKeyNew[index])": "an Int32 tally widened to Int",
            "Int(perKeySeverity[index * severities + severity])": "an Int32 tally widened to Int",
        ],
        "Report/ReportViewModel.swift": ["Int(findings[position])": "an Int32 tally widened to Int"],
        "Report/XLSX/XLSXChart.swift": [
            "UInt16(setup.pagesWide)": "checked to be 0...32767 just before",
            "UInt16(setup.pagesTall)": "checked to be 0...32767 just before",
            "Int32(xOffset)": "checked to be 0...100000 just before",
            "UInt8(LXW_CHART_COLUMN.rawValue)": "a libxlsxwriter constant",
            "UInt8(LXW_CHART_COLUMN_STACKED.rawValue)": "a libxlsxwriter constant",
            "UInt8(LXW_CHART_LINE.rawValue)": "a libxlsxwriter constant",
            "UInt8(LXW_CHART_LEGEND_BOTTOM.rawValue)": "a libxlsxwriter constant",
        ],
        "Report/XLSX/XLSXError.swift": ["Int(code.rawValue)": "a libxlsxwriter error code (a small C enum)"],
        "Report/XLSX/XLSXFormat.swift": ["UInt8(value.rawValue)": "a libxlsxwriter alignment/border constant (< 256)"],
        "Report/XLSX/XLSXWorkbook.swift": ["Int(LXW_FORMAT_FIELD_LEN)": "a libxlsxwriter constant"],
        "Report/XLSX/XLSXWorksheet.swift": [
            "UInt8(65 + digit)": "a letter A...Z (digit is 0...25)",
            "UInt8(LXW_CONDITIONAL_TYPE_CELL.rawValue)": "a libxlsxwriter constant",
            "UInt8(LXW_CONDITIONAL_CRITERIA_EQUAL_TO.rawValue)": "a libxlsxwriter constant",
            "UInt(Self.maxRows)": "a positive constant", "UInt(Self.maxColumns)": "a positive constant",
            "UInt8($0.value)": "an ASCII scalar (checked with isASCII first)",
        ],
        "SampleAccount/SplitMix64.swift": [
            "UInt64(range.count)": "the count of a non-empty range (positive)",
            "UInt64(bound)": "a positive bound (the generator's callers pass constants)",
            "Int(next() % UInt64(range.count))": "below range.count, an Int",
            "Int(next() % UInt64(bound))": "below bound, an Int",
        ],
        "SampleAccount/AccountGenerator.swift": ["UInt64(index)": "a position in the generated account (from 0)"],
        "TestSupport/StandInAccount.swift": ["UInt64(index)": "a position in the generated account (from 0)"],
        "TestSupport/StandInServer.swift": [
            "Int(byte >> 4)": "a UInt8 widened to Int", "Int(byte & 0xF)": "a UInt8 widened to Int",
        ],
        "keyaudit-bench/main.swift": [
            "Int(usage.ru_maxrss)": "ru_maxrss is a C long, the size of Int on the platforms keyaudit builds for"
        ],
    ]

    /// The root of the package (the folder that holds Package.swift).
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url.deleteLastPathComponent()
        }
        return url
    }()

    @Test("no conversion in Sources can trap on a value out of range, except through Checked")
    func sourcesUseChecked() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        var problems: [String] = []
        var used = Set<String>()
        let files = FileManager.default.enumerator(atPath: sources.path)
        while let file = files?.nextObject() as? String {
            guard file.hasSuffix(".swift"), file != "Core/Checked.swift", !file.hasSuffix("EmbeddedTemplates.swift")
            else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for hit in Self.trappingConversions(in: text) {
                if Self.reviewed[file]?[hit.call] != nil {
                    used.insert("\(file)|\(hit.call)")
                    continue
                }
                problems.append("Sources/\(file):\(hit.line): \(hit.call)")
            }
        }
        #expect(
            problems.isEmpty,
            """
            these conversions can trap on a value out of range: use Checked (Sources/Core/Checked.swift), a labelled \
            form (exactly:, truncatingIfNeeded:, clamping:) where the value is known to fit, or add the call to \
            CheckedConversionTests.reviewed with the reason it cannot trap:
            \(problems.joined(separator: "\n"))
            """)
        // A reviewed entry that no longer exists is removed, so the list stays a list of real exceptions.
        let stale = Self.reviewed.flatMap { file, calls in calls.keys.map { "\(file)|\($0)" } }.filter {
            !used.contains($0)
        }
        #expect(stale.isEmpty, "reviewed conversions no longer in Sources (remove them): \(stale.sorted())")
    }

    @Test("the scan flags trapping conversions and leaves parsing, labelled and literal forms alone")
    func scanIsPrecise() {
        let flagged = [
            "let n = Int(value)", "timeout: .milliseconds(Int64(seconds * 1000))", "let total = Int(cents / 100)",
            "UInt32(offset)", #"print("\(Int(x))")"#, "let x = Int(text)!", "map { Int($0) }",
            "func f() -> Int { Int(d.rounded()) }", "let a = [Int(x), 2]", "f(a,\n b)\nlet n = Int(x)",
            "Int(-x)",
        ]
        for source in flagged {
            #expect(Self.trappingConversions(in: source).count == 1, "not flagged: \(source)")
        }
        let accepted = [
            "guard let n = Int(text) else { return }", "if let n = Int(text), n > 0 {}", "let n = Int(text) ?? 0",
            "Int(truncatingIfNeeded: x)", "UInt8(ascii: \"a\")", "Int(exactly: d)", "UInt32(digits, radix: 16)",
            "Int(String(decoding: bytes, as: UTF8.self)) ?? 1", "// Int(x) in a comment", #"let s = "Int(x)""#,
            "let n = Int(1_000)", "while let n = Int(next()) {}", "x, let n = Int(text) {", "Int(\"12\")",
            "if Int(text) != nil {}", "let count: Int = items.count", "Int.max", "MyInt(x)",
        ]
        for source in accepted {
            #expect(Self.trappingConversions(in: source).isEmpty, "flagged: \(source)")
        }
    }

    // MARK: - The scan

    struct Hit {
        var line: Int
        var call: String
    }

    static let integerTypes: Set<String> = [
        "Int", "Int8", "Int16", "Int32", "Int64", "UInt", "UInt8", "UInt16", "UInt32", "UInt64", "CInt", "CLong",
        "CShort", "CChar", "CUnsignedInt", "CUnsignedLong", "CUnsignedShort", "CUnsignedChar", "CLongLong",
        "CUnsignedLongLong", "Int128", "UInt128", "socklen_t", "off_t", "size_t", "ssize_t", "mode_t", "pid_t",
        "uid_t", "gid_t", "time_t", "suseconds_t", "clock_t", "rlim_t", "in_port_t", "sa_family_t",
    ]
    static let safeLabels: Set<String> = [
        "truncatingIfNeeded", "bitPattern", "exactly", "clamping", "ascii", "littleEndian", "bigEndian",
    ]

    /// The unlabelled, non-literal, non-parsing integer conversions in `source`.
    static func trappingConversions(in source: String) -> [Hit] {
        let code = Array(codeOnly(source).utf8)
        var hits: [Hit] = []
        var index = 0
        var line = 1
        while index < code.count {
            let byte = code[index]
            if byte == 10 { line += 1 }
            guard isIdentifierStart(byte), index == 0 || !isIdentifier(code[index - 1]) && code[index - 1] != 46
            else {
                index += 1
                continue
            }
            var end = index
            while end < code.count, isIdentifier(code[end]) { end += 1 }
            let name = String(decoding: code[index..<end], as: UTF8.self)
            guard integerTypes.contains(name), end < code.count, code[end] == 40,
                let close = matchingParenthesis(code, from: end)
            else {
                index = end
                continue
            }
            let argument = String(decoding: code[(end + 1)..<close], as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let call = String(decoding: code[index...close], as: UTF8.self)
            if !isSafe(argument: argument, before: code[..<index], after: code[(close + 1)...]) {
                hits.append(Hit(line: line, call: call))
            }
            index = end
        }
        return hits
    }

    static func isSafe(argument: String, before: ArraySlice<UInt8>, after: ArraySlice<UInt8>) -> Bool {
        // A labelled first argument.
        if let colon = argument.firstIndex(of: ":"),
            argument[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
            safeLabels.contains(String(argument[..<colon]))
        {
            return true
        }
        if argument.contains("radix:") { return true }
        // An integer literal.
        if argument.range(of: #"^-?(0x[0-9a-fA-F_]+|0b[01_]+|0o[0-7_]+|[0-9][0-9_]*)$"#, options: .regularExpression)
            != nil
        {
            return true
        }
        // Visibly text: the argument is a string (blanked to spaces inside quotes) or String(…).
        if argument.hasPrefix("\"") || argument.hasPrefix("String(") { return true }
        // Used as an optional: the compiler only accepts these on a failable (parsing) initializer.
        let rest = String(decoding: after.prefix(12), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("??") || rest.hasPrefix("!= nil") || rest.hasPrefix("== nil") || rest.hasPrefix("?.") {
            return true
        }
        // A conditional binding: `if let n = `, `guard let n = `, `while let n = `, or `, let n = ` in a condition.
        let lead = String(decoding: before.suffix(200), as: UTF8.self)
        return lead.range(
            of: #"(\b(guard|if|while)|,)\s*(let|var)\s+\w+\s*(:\s*[\w?]+\s*)?=\s*$"#, options: .regularExpression)
            != nil
    }

    /// The closing parenthesis matching the one at `open`.
    static func matchingParenthesis(_ code: [UInt8], from open: Int) -> Int? {
        var depth = 0
        var index = open
        while index < code.count {
            if code[index] == 40 { depth += 1 }
            if code[index] == 41 {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return nil
    }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }

    static func isIdentifier(_ byte: UInt8) -> Bool { isIdentifierStart(byte) || (byte >= 48 && byte <= 57) }

    /// `source` with comments blanked and the text of string literals replaced by spaces (quotes kept, so a
    /// string argument still reads as one); interpolations (`\(…)`) stay code. Lines are preserved.
    static func codeOnly(_ source: String) -> String {
        let bytes = Array(source.utf8)
        var out = bytes
        enum Mode {
            case code
            case string(hashes: Int, multiline: Bool)
        }
        // Each entry: the mode to return to and the parenthesis depth at which an interpolation closes.
        var stack: [(Mode, Int)] = []
        var mode = Mode.code
        var depth = 0
        var index = 0
        func blank(_ range: Range<Int>) {
            for position in range where out[position] != 10 { out[position] = 32 }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch mode {
            case .code:
                if byte == 47, index + 1 < bytes.count, bytes[index + 1] == 47 {
                    var end = index
                    while end < bytes.count, bytes[end] != 10 { end += 1 }
                    blank(index..<end)
                    index = end
                    continue
                }
                if byte == 47, index + 1 < bytes.count, bytes[index + 1] == 42 {
                    var end = index + 2
                    var nesting = 1
                    while end + 1 < bytes.count, nesting > 0 {
                        if bytes[end] == 47 && bytes[end + 1] == 42 {
                            nesting += 1
                            end += 2
                        } else if bytes[end] == 42 && bytes[end + 1] == 47 {
                            nesting -= 1
                            end += 2
                        } else {
                            end += 1
                        }
                    }
                    blank(index..<min(end, bytes.count))
                    index = end
                    continue
                }
                if byte == 40 { depth += 1 }
                if byte == 41 {
                    if let (returnTo, closeDepth) = stack.last, closeDepth == depth {
                        stack.removeLast()
                        mode = returnTo
                        depth -= 1
                        index += 1
                        continue
                    }
                    depth -= 1
                }
                if byte == 35 || byte == 34 {
                    var hashes = 0
                    var position = index
                    while position < bytes.count, bytes[position] == 35 {
                        hashes += 1
                        position += 1
                    }
                    if position < bytes.count, bytes[position] == 34 {
                        let multiline =
                            position + 2 < bytes.count && bytes[position + 1] == 34 && bytes[position + 2] == 34
                        mode = .string(hashes: hashes, multiline: multiline)
                        index = position + (multiline ? 3 : 1)
                        continue
                    }
                }
                index += 1
            case .string(let hashes, let multiline):
                // An interpolation: `\(` (or `\#(` in a raw string) returns to code until its `)`.
                if byte == 92 {
                    var position = index + 1
                    var count = 0
                    while count < hashes, position < bytes.count, bytes[position] == 35 {
                        count += 1
                        position += 1
                    }
                    if count == hashes, position < bytes.count, bytes[position] == 40 {
                        blank(index..<position)
                        depth += 1
                        stack.append((mode, depth))
                        mode = .code
                        index = position + 1
                        continue
                    }
                    if hashes == 0 {
                        blank(index..<min(index + 2, bytes.count))
                        index += 2
                        continue
                    }
                }
                let quotes = multiline ? 3 : 1
                if byte == 34, index + quotes + hashes <= bytes.count,
                    bytes[index..<(index + quotes)].allSatisfy({ $0 == 34 }),
                    bytes[(index + quotes)..<(index + quotes + hashes)].allSatisfy({ $0 == 35 })
                {
                    mode = .code
                    index += quotes + hashes
                    continue
                }
                out[index] = byte == 10 ? 10 : 32
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
