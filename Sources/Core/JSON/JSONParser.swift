import Foundation

/// Why a JSON text was rejected, and where.
package struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset (0-based) of the problem in the input; the input's length when it ended too early.
    package let offset: Int
    /// Line of the problem (1-based; lines end at `\n`).
    package let line: Int
    /// Column of the problem (1-based, counted in Unicode scalars, i.e. UTF-8 lead bytes, from the line start).
    package let column: Int
    /// What is wrong, e.g. `expected ',' or '}' in object`.
    package let reason: String

    package init(offset: Int, line: Int, column: Int, reason: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line 3, column 17: expected ',' or '}' in object`
    package var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict RFC 8259 JSON parser that keeps the document exactly as received (see `JSONValue`).
///
/// - Whitespace (space, tab, CR, LF) is allowed before and after the value, nothing else; a leading UTF-8 byte
///   order mark is ignored (RFC 8259 §8.1 allows this).
/// - Any value may be the top-level value.
/// - Strings must be valid UTF-8 without raw control characters (< 0x20); all escapes are decoded, `\uXXXX`
///   surrogate pairs are joined and a lone surrogate is an error.
/// - Numbers must match the grammar and are kept as their lexeme.
/// - Arrays and objects may nest at most `maximumDepth` levels. Parsing is iterative, so hostile input cannot
///   overflow the stack.
package enum JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    package static let maximumDepth = 512

    /// Parses one JSON document.
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONParseError(offset: 0, line: 1, column: 1, reason: "empty input; expected a JSON value")
        }
        var parser = _JSONParserState(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        return try parser.parseDocument()
    }

    /// Parses one JSON document.
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        try parse(UnsafeRawBufferPointer(bytes))
    }

    /// Parses one JSON document.
    package static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses one JSON document.
    package static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        let result = data.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses one JSON document from its text (the string's UTF-8 bytes).
    package static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses one JSON document from any collection of bytes (contiguous collections are not copied).
    package static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        if let contiguous { return try contiguous.get() }
        return try parse(Array(bytes))
    }

    /// Whether the bytes start, after whitespace and an optional byte order mark, with `<`:
    /// the server answered with an HTML (or XML) page rather than JSON.
    package static func looksLikeHTML<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
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

/// The parser's working state over one contiguous input. Not for use outside `JSONParser`.
///
/// - Finished values of the open containers live on one manually managed stack, so finishing a container moves its
///   elements (no reference counting) into one array of the exact size.
/// - Object keys are interned: each distinct key is decoded into a `String` once, the key stack holds small ids,
///   and objects with the same keys in the same order share one `keys` array (100,000 API key objects with the
///   same 20 keys allocate 20 strings and one array, not 2 million strings and 100,000 arrays).
/// - Short strings and number lexemes (at most 16 bytes) go through a small cache, since `"0"`, `"null"`-like
///   values and dates repeat a lot and building a `String` costs more than a lookup.
struct _JSONParserState: ~Copyable {
    private let p: UnsafePointer<UInt8>
    private let count: Int
    private var pos = 0

    /// Finished values of the open containers, innermost last.
    private var values: UnsafeMutablePointer<JSONValue>
    private var valueCount = 0
    private var valueCapacity: Int

    /// Key ids of the open objects, innermost last.
    private var keyIDs: UnsafeMutablePointer<Int>
    private var keyCount = 0
    private var keyCapacity: Int

    /// Decoded bytes of the string being read when it has escapes (reused).
    private var scratch: [UInt8] = []

    /// Interned keys by id, and what identifies their bytes.
    private var internedStrings: [String] = []
    private var internedEntries: [InternEntry] = []
    /// Open-addressing table of interned ids (-1: empty), `internSlotCount` slots, allocated on first use.
    private var internSlots: UnsafeMutablePointer<Int>?
    private var internSlotCount = 0
    private var internedInTable = 0
    /// Probes allowed before a key is kept without interning (hostile inputs cannot make lookups quadratic).
    private static let maxProbes = 16
    /// Distinct keys interned at most; later new keys are kept without interning.
    private static let maxInterned = 1 << 16

    /// Recent key lists (ids and the shared `keys` array), direct-mapped by a hash of the ids.
    private var shapes: UnsafeMutablePointer<Shape>?
    private static let shapeCount = 64
    /// For each depth, the slot in `shapes` of the last object finished there: its keys predict the keys of the
    /// next object at that depth (API answers are arrays of objects with the same keys in the same order).
    private var depthShapes: UnsafeMutablePointer<Int>?

    /// Recent short strings (at most 16 bytes), direct-mapped by their bytes.
    private var shortStrings: UnsafeMutablePointer<ShortString>?
    private static let shortStringCountLog2 = 10

    private struct Frame {
        var isObject: Bool
        var valueStart: Int
        var keyStart: Int
        /// Elements go to `elementSink` instead of into the array.
        var streamed = false
    }

    /// When set, the elements of a top-level array, or of the top-level object's `keys` or `data` array, are
    /// handed here one by one (with the member name, "" for a top-level array) and left out of the tree, with
    /// the offset just past each element.
    var elementSink: ((String, JSONValue, Int) -> Void)?
    /// When set instead, those elements are validated exactly as they would be parsed but never built: each is
    /// handed here as the member name and the byte range it spans.
    var elementRangeSink: ((String, Range<Int>) -> Void)?
    /// Inside an element handed to `elementRangeSink`: values are checked, not built.
    private var skipping = false
    /// Where that element started.
    private var elementStart = 0

    private struct Shape {
        var hash: UInt64 = 0
        var ids: [Int] = []
        var keys: [String] = []
    }

    private struct InternEntry {
        var hash: UInt64
        var length: Int
        /// Whether the key was read without escapes, so its bytes contain no `"`, `\` or control character and
        /// can be matched directly against the input.
        var raw: Bool
        /// The bytes, zero-padded, when `length <= 16`.
        var word0: UInt64
        var word1: UInt64
    }

    private struct ShortString {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        var length = -1
        var string = ""
    }

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.p = base
        self.count = count
        valueCapacity = 64
        values = .allocate(capacity: valueCapacity)
        keyCapacity = 64
        keyIDs = .allocate(capacity: keyCapacity)
    }

    deinit {
        values.deinitialize(count: valueCount)
        values.deallocate()
        keyIDs.deallocate()
        if let internSlots { internSlots.deallocate() }
        if let shapes {
            shapes.deinitialize(count: Self.shapeCount)
            shapes.deallocate()
        }
        if let shortStrings {
            shortStrings.deinitialize(count: 1 << Self.shortStringCountLog2)
            shortStrings.deallocate()
        }
        if let depthShapes { depthShapes.deallocate() }
    }

    // MARK: Stacks

    /// Moves `value` onto the stack, leaving `.null` in its place (a swap: no reference counting).
    @inline(__always)
    private mutating func pushValue(taking value: inout JSONValue) {
        if valueCount == valueCapacity { growValues() }
        let slot = values + valueCount
        slot.initialize(to: .null)
        swap(&slot.pointee, &value)
        valueCount += 1
    }

    @inline(never)
    private mutating func growValues() {
        let newCapacity = valueCapacity * 2
        let newValues = UnsafeMutablePointer<JSONValue>.allocate(capacity: newCapacity)
        newValues.moveInitialize(from: values, count: valueCount)
        values.deallocate()
        values = newValues
        valueCapacity = newCapacity
    }

    @inline(__always)
    private mutating func pushKey(_ id: Int) {
        if keyCount == keyCapacity { growKeys() }
        keyIDs[keyCount] = id
        keyCount += 1
    }

    @inline(never)
    private mutating func growKeys() {
        let newCapacity = keyCapacity * 2
        let newKeys = UnsafeMutablePointer<Int>.allocate(capacity: newCapacity)
        newKeys.initialize(from: keyIDs, count: keyCount)
        keyIDs.deallocate()
        keyIDs = newKeys
        keyCapacity = newCapacity
    }

    /// Moves the values from `start` to the top of the stack into a new array.
    @inline(__always)
    private mutating func popValues(from start: Int) -> [JSONValue] {
        let moved = valueCount - start
        var array: [JSONValue] = []
        // `reserveCapacity` + `append` is specialised; `Array(unsafeUninitializedCapacity:)` looks up generic
        // metadata on every call on Linux, which costs more than the appends.
        array.reserveCapacity(moved)
        for index in start..<valueCount { array.append((values + index).move()) }
        valueCount = start
        return array
    }

    /// The `keys` array of the object whose key ids run from `start` to the top of the key stack.
    @inline(__always)
    private mutating func popKeys(from start: Int, depth: Int) -> [String] {
        let moved = keyCount - start
        let ids = keyIDs + start
        keyCount = start
        var hash = UInt64(truncatingIfNeeded: moved) &* 0x9E37_79B9_7F4A_7C15
        for index in 0..<moved {
            hash = (hash ^ UInt64(truncatingIfNeeded: ids[index])) &* 0xBF58_476D_1CE4_E5B9
        }
        hash ^= hash >> 31
        let table: UnsafeMutablePointer<Shape>
        if let shapes {
            table = shapes
        } else {
            table = .allocate(capacity: Self.shapeCount)
            table.initialize(repeating: Shape(), count: Self.shapeCount)
            shapes = table
        }
        let slotIndex = Int(truncatingIfNeeded: hash & UInt64(Self.shapeCount - 1))
        let slot = table + slotIndex
        if depthShapes == nil {
            depthShapes = .allocate(capacity: JSONParser.maximumDepth + 1)
            depthShapes!.initialize(repeating: -1, count: JSONParser.maximumDepth + 1)
        }
        depthShapes![depth] = slotIndex
        if slot.pointee.hash == hash, slot.pointee.ids.count == moved {
            let same = slot.pointee.ids.withUnsafeBufferPointer { cached -> Bool in
                for index in 0..<moved where cached[index] != ids[index] { return false }
                return true
            }
            if same { return slot.pointee.keys }
        }
        var keys: [String] = []
        keys.reserveCapacity(moved)
        var idList: [Int] = []
        idList.reserveCapacity(moved)
        for index in 0..<moved {
            keys.append(internedStrings[ids[index]])
            idList.append(ids[index])
        }
        slot.pointee = Shape(hash: hash, ids: idList, keys: keys)
        return keys
    }

    // MARK: Interning and caches

    /// The id of the key spelled by `bytes`, interning it (and building its `String`) on first sight.
    @inline(__always)
    private mutating func internKey(_ bytes: UnsafePointer<UInt8>, length: Int, canOverread: Bool, raw: Bool) -> Int {
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        let hash: UInt64
        if length <= 16 {
            (word0, word1) = Self.paddedWords(bytes, length: length, canOverread: canOverread)
            hash = Self.hashWords(word0, word1, length: length)
        } else {
            hash = Self.hashLongBytes(bytes, length: length)
        }
        if internSlots == nil {
            internSlotCount = 256
            internSlots = .allocate(capacity: internSlotCount)
            internSlots!.initialize(repeating: -1, count: internSlotCount)
        }
        let slots = internSlots!
        let mask = internSlotCount - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        for _ in 0..<Self.maxProbes {
            let id = slots[slot]
            if id < 0 {
                let newID = addInterned(bytes, length: length, hash: hash, raw: raw, word0: word0, word1: word1)
                if internedInTable < Self.maxInterned {
                    slots[slot] = newID
                    internedInTable += 1
                    if internedInTable * 2 > internSlotCount { growInternSlots() }
                }
                return newID
            }
            let found = internedEntries.withUnsafeBufferPointer { entries -> Bool in
                let entry = entries[id]
                guard entry.hash == hash, entry.length == length else { return false }
                if length <= 16 { return entry.word0 == word0 && entry.word1 == word1 }
                return Self.equals(internedStrings[id], bytes, length: length)
            }
            if found { return id }
            slot = (slot + 1) & mask
        }
        return addInterned(bytes, length: length, hash: hash, raw: raw, word0: word0, word1: word1)
    }

    private mutating func addInterned(
        _ bytes: UnsafePointer<UInt8>, length: Int, hash: UInt64, raw: Bool, word0: UInt64, word1: UInt64
    ) -> Int {
        internedStrings.append(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self))
        internedEntries.append(InternEntry(hash: hash, length: length, raw: raw, word0: word0, word1: word1))
        return internedStrings.count - 1
    }

    @inline(never)
    private mutating func growInternSlots() {
        guard let old = internSlots else { return }
        let oldCount = internSlotCount
        internSlotCount *= 2
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: internSlotCount)
        slots.initialize(repeating: -1, count: internSlotCount)
        let mask = internSlotCount - 1
        for index in 0..<oldCount where old[index] >= 0 {
            let id = old[index]
            var slot = Int(truncatingIfNeeded: internedEntries[id].hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = id
        }
        old.deallocate()
        internSlots = slots
    }

    @inline(__always)
    private static func equals(_ string: String, _ bytes: UnsafePointer<UInt8>, length: Int) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == length else { return false }
        return utf8.withContiguousStorageIfAvailable {
            JSONObject.bytesEqual($0, UnsafeBufferPointer(start: bytes, count: length))
        } ?? utf8.elementsEqual(UnsafeBufferPointer(start: bytes, count: length))
    }

    /// The `String` for `length` validated UTF-8 bytes, shared with an identical recent short string when possible.
    @inline(__always)
    private mutating func makeString(_ bytes: UnsafePointer<UInt8>, length: Int, canOverread: Bool) -> String {
        guard length <= 16 else {
            return String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
        let (word0, word1) = Self.paddedWords(bytes, length: length, canOverread: canOverread)
        let hash = Self.hashWords(word0, word1, length: length)
        let table: UnsafeMutablePointer<ShortString>
        if let shortStrings {
            table = shortStrings
        } else {
            table = .allocate(capacity: 1 << Self.shortStringCountLog2)
            table.initialize(repeating: ShortString(), count: 1 << Self.shortStringCountLog2)
            shortStrings = table
        }
        let entry = table + Int(truncatingIfNeeded: hash >> UInt64(64 - Self.shortStringCountLog2))
        if entry.pointee.length == length, entry.pointee.word0 == word0, entry.pointee.word1 == word1 {
            return entry.pointee.string
        }
        let string = String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        entry.pointee = ShortString(word0: word0, word1: word1, length: length, string: string)
        return string
    }

    /// The (at most 16) bytes as two little-endian words, zero-padded. With `canOverread`, up to 16 bytes from
    /// `bytes` may be read (the caller checked they are inside the input).
    @inline(__always)
    private static func paddedWords(
        _ bytes: UnsafePointer<UInt8>, length: Int, canOverread: Bool
    )
        -> (UInt64, UInt64)
    {
        if canOverread {
            let raw = UnsafeRawPointer(bytes)
            var word0 = raw.loadUnaligned(as: UInt64.self)
            var word1 = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            if length < 8 {
                word0 &= (1 &<< UInt64(truncatingIfNeeded: length &* 8)) &- 1
                word1 = 0
            } else if length < 16 {
                word1 &= (1 &<< UInt64(truncatingIfNeeded: (length &- 8) &* 8)) &- 1
            }
            return (word0, word1)
        }
        var word0: UInt64 = 0
        var word1: UInt64 = 0
        for index in 0..<length {
            if index < 8 {
                word0 |= UInt64(bytes[index]) &<< UInt64(index &* 8)
            } else {
                word1 |= UInt64(bytes[index]) &<< UInt64((index &- 8) &* 8)
            }
        }
        return (word0, word1)
    }

    /// A 64-bit hash of at most 16 bytes given as zero-padded words.
    @inline(__always)
    private static func hashWords(_ word0: UInt64, _ word1: UInt64, length: Int) -> UInt64 {
        var hash = (UInt64(truncatingIfNeeded: length) &* 0x9E37_79B9_7F4A_7C15) ^ word0
        hash = (hash ^ (hash >> 32)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 29) ^ word1) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 32)
    }

    /// A 64-bit hash of more than 16 bytes (all of them).
    private static func hashLongBytes(_ bytes: UnsafePointer<UInt8>, length: Int) -> UInt64 {
        let raw = UnsafeRawPointer(bytes)
        var hash = UInt64(truncatingIfNeeded: length) &* 0x9E37_79B9_7F4A_7C15
        var index = 0
        while index + 8 <= length {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
            index += 8
        }
        if index < length {
            // The last 8 bytes, overlapping the previous word (they exist: length > 16).
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)) &* 0x94D0_49BB_1331_11EB
        }
        return hash ^ (hash >> 32)
    }

    // MARK: Document and values

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { pos = 3 }
        skipWhitespace()
        guard pos < count else { throw error("empty input; expected a JSON value", at: pos) }
        let value = try parseValue()
        skipWhitespace()
        guard pos == count else {
            throw error("unexpected \(describe(p[pos])) after the JSON value", at: pos)
        }
        return value
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < count {
            switch p[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    /// Parses the value at `pos` (whitespace already skipped), iteratively: open containers live on `frames`.
    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var frames: [Frame] = []
        nextValue: while true {
            var value: JSONValue
            // A value starts at `pos`.
            guard pos < count else { throw error("unexpected end of input; expected a JSON value", at: pos) }
            if elementRangeSink != nil, let frame = frames.last, frame.streamed {
                skipping = true
                elementStart = pos
            }
            switch p[pos] {
            case UInt8(ascii: "\""):
                if skipping {
                    _ = try scanString()
                    value = .null
                } else {
                    value = .string(try parseStringValue())
                }
            case UInt8(ascii: "{"):
                guard frames.count < JSONParser.maximumDepth else { throw tooDeep() }
                pos += 1
                skipWhitespace()
                if pos < count, p[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    frames.append(Frame(isObject: true, valueStart: valueCount, keyStart: keyCount))
                    try parseKeyAndColon(afterComma: false, depth: frames.count - 1, index: 0)
                    continue nextValue
                }
            case UInt8(ascii: "["):
                guard frames.count < JSONParser.maximumDepth else { throw tooDeep() }
                pos += 1
                skipWhitespace()
                if pos < count, p[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    frames.append(
                        Frame(
                            isObject: false, valueStart: valueCount, keyStart: keyCount,
                            streamed: (elementSink != nil || elementRangeSink != nil)
                                && streamedMember(depth: frames.count) != nil))
                    continue nextValue
                }
            case UInt8(ascii: "t"):
                try expectLiteral("true", word: 0x6575_7274)
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false", word: 0x6573_6C61)
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null", word: 0x6C6C_756E)
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if skipping {
                    try skipNumber()
                    value = .null
                } else {
                    value = .number(try parseNumber())
                }
            case UInt8(ascii: "]") where frames.last.map { !$0.isObject } ?? false:
                throw error("trailing comma in array", at: pos)
            default:
                throw unexpectedValueStart()
            }

            // `value` is complete: hand it to the enclosing containers, closing those that end here.
            while true {
                guard let frame = frames.last else { return value }
                if frame.streamed, let elementSink {
                    elementSink(streamedMember(depth: frames.count - 1) ?? "", value, pos)
                    value = .null
                } else if frame.streamed, let elementRangeSink {
                    skipping = false
                    elementRangeSink(streamedMember(depth: frames.count - 1) ?? "", elementStart..<pos)
                } else if !skipping {
                    pushValue(taking: &value)
                }
                skipWhitespace()
                guard pos < count else {
                    throw error(
                        frame.isObject
                            ? "unexpected end of input; expected ',' or '}' in object"
                            : "unexpected end of input; expected ',' or ']' in array", at: pos)
                }
                let byte = p[pos]
                if byte == UInt8(ascii: ",") {
                    pos += 1
                    skipWhitespace()
                    if frame.isObject {
                        try parseKeyAndColon(
                            afterComma: true, depth: frames.count - 1, index: keyCount - frame.keyStart)
                    }
                    continue nextValue
                }
                if frame.isObject {
                    guard byte == UInt8(ascii: "}") else { throw error("expected ',' or '}' in object", at: pos) }
                    pos += 1
                    frames.removeLast()
                    let keys = popKeys(from: frame.keyStart, depth: frames.count)
                    if skipping {
                        value = .null
                    } else {
                        value = .object(JSONObject(uncheckedKeys: keys, values: popValues(from: frame.valueStart)))
                    }
                } else {
                    guard byte == UInt8(ascii: "]") else { throw error("expected ',' or ']' in array", at: pos) }
                    pos += 1
                    frames.removeLast()
                    value = skipping ? .null : .array(popValues(from: frame.valueStart))
                }
            }
        }
    }

    /// For an array opened at `depth`: "" when it is the document, the member name when it is the top-level
    /// object's `keys` or `data`, otherwise nil.
    private func streamedMember(depth: Int) -> String? {
        if depth == 0 { return "" }
        guard depth == 1, keyCount > 0 else { return nil }
        let id = keyIDs[keyCount - 1]
        guard id >= 0, id < internedStrings.count else { return nil }
        let name = internedStrings[id]
        return name == "keys" || name == "data" ? name : nil
    }

    /// Reads `"key"` `:` and the whitespace after it, leaving `pos` at the member's value. `depth` and `index`
    /// locate the key (the object's depth, the member's position) to predict it from the previous object.
    private mutating func parseKeyAndColon(afterComma: Bool, depth: Int, index: Int) throws(JSONParseError) {
        guard pos < count else {
            throw error("unexpected end of input; expected a string key in object", at: pos)
        }
        guard p[pos] == UInt8(ascii: "\"") else {
            if afterComma, p[pos] == UInt8(ascii: "}") { throw error("trailing comma in object", at: pos) }
            throw error(
                "expected \(afterComma ? "a string key" : "a string key or '}'") in object, found \(describe(p[pos]))",
                at: pos)
        }
        let start = pos + 1
        var id = predictedKey(at: start, depth: depth, index: index)
        if id >= 0 {
            pos = start + internedEntries[id].length + 1
        } else if let length = try scanString() {
            id = internKey(p + start, length: length, canOverread: start + 16 <= count, raw: true)
        } else {
            id = scratch.withUnsafeBufferPointer {
                internKey($0.baseAddress!, length: $0.count, canOverread: false, raw: false)
            }
        }
        pushKey(id)
        skipWhitespace()
        guard pos < count else { throw error("unexpected end of input; expected ':' after object key", at: pos) }
        guard p[pos] == UInt8(ascii: ":") else {
            throw error("expected ':' after object key, found \(describe(p[pos]))", at: pos)
        }
        pos += 1
        skipWhitespace()
    }

    /// The id of the key the previous object at `depth` had at `index`, if the input at `start` is exactly that key
    /// followed by its closing quote; otherwise -1.
    @inline(__always)
    private func predictedKey(at start: Int, depth: Int, index: Int) -> Int {
        guard let depthShapes, let shapes else { return -1 }
        let slot = depthShapes[depth]
        guard slot >= 0 else { return -1 }
        let id = shapes[slot].ids.withUnsafeBufferPointer { index < $0.count ? $0[index] : -1 }
        guard id >= 0 else { return -1 }
        return internedEntries.withUnsafeBufferPointer { entries -> Int in
            let entry = entries[id]
            let length = entry.length
            guard entry.raw, start + length < count, p[start + length] == UInt8(ascii: "\"") else { return -1 }
            if length <= 16 {
                let (word0, word1) = Self.paddedWords(p + start, length: length, canOverread: start + 16 <= count)
                return word0 == entry.word0 && word1 == entry.word1 ? id : -1
            }
            return Self.equals(internedStrings[id], p + start, length: length) ? id : -1
        }
    }

    /// Checks the literal `true`, `false` or `null` at `pos` (its first byte already matched) and moves past it.
    @inline(__always)
    private mutating func expectLiteral(_ literal: StaticString, word: UInt32) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        // The last four bytes of the literal, compared at once.
        if pos + length <= count,
            UnsafeRawPointer(p + pos + length - 4).loadUnaligned(as: UInt32.self) == word
        {
            pos += length
            return
        }
        throw badLiteral(literal)
    }

    @inline(never)
    private func badLiteral(_ literal: StaticString) -> JSONParseError {
        let bytes = literal.utf8Start
        for index in 0..<literal.utf8CodeUnitCount {
            guard pos + index < count else {
                return error("unexpected end of input in literal; expected '\(literal)'", at: count)
            }
            guard p[pos + index] == bytes[index] else { break }
        }
        return error("invalid literal; expected '\(literal)'", at: pos)
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        switch JSONNumber.scan(p, count: count, from: start) {
        case .success(let end):
            pos = end
            return JSONNumber(
                uncheckedText: makeString(p + start, length: end - start, canOverread: start + 16 <= count))
        case .failure(let failure):
            throw error(
                failure.offset == count ? "unexpected end of input; \(failure.reason)" : failure.reason,
                at: failure.offset)
        }
    }

    /// Checks the number at `pos` as ``parseNumber()`` does, without keeping it.
    private mutating func skipNumber() throws(JSONParseError) {
        switch JSONNumber.scan(p, count: count, from: pos) {
        case .success(let end):
            pos = end
        case .failure(let failure):
            throw error(
                failure.offset == count ? "unexpected end of input; \(failure.reason)" : failure.reason,
                at: failure.offset)
        }
    }

    // MARK: Strings

    /// Reads the string value starting at the `"` at `pos`.
    @inline(__always)
    private mutating func parseStringValue() throws(JSONParseError) -> String {
        let start = pos + 1
        if let length = try scanString() {
            return makeString(p + start, length: length, canOverread: start + 16 <= count)
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    /// Validates the string starting at the `"` at `pos` and moves past it. Returns its length in bytes when it has
    /// no escapes (its bytes are then the input's, from `pos + 1`), or `nil` when it was decoded into `scratch`.
    @inline(__always)
    private mutating func scanString() throws(JSONParseError) -> Int? {
        let start = pos + 1
        var i = start
        let raw = UnsafeRawPointer(p)
        while true {
            if i + 8 <= count {
                // Eight bytes at a time: skip plain ASCII, stop exactly at the first special byte.
                let special = Self.specialBytes(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if special == 0 {
                    i += 8
                    continue
                }
                i += special.trailingZeroBitCount >> 3
            } else if i >= count {
                throw error("unexpected end of input in string (unterminated string)", at: count)
            }
            let byte = p[i]
            if byte == UInt8(ascii: "\"") {
                pos = i + 1
                return i - start
            }
            if byte == UInt8(ascii: "\\") {
                try decodeEscapedString(start: start, from: i)
                return nil
            }
            if byte < 0x20 { throw controlCharacter(at: i) }
            if byte >= 0x80 {
                i = try validateUTF8(at: i)
            } else {
                i += 1  // a plain byte in the last seven of the input
            }
        }
    }

    /// The high bit of each byte of `word` that is `"`, `\`, a control character or non-ASCII. Bits above the
    /// lowest one may be false positives (borrows), the lowest one is exact, so it locates the first special byte.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = word &- (ones &* 0x20)
        return (hasQuote | hasBackslash | hasControl | word) & highs
    }

    /// The slow path for a string with escapes: decodes it into `scratch` and moves past it.
    private mutating func decodeEscapedString(start: Int, from escape: Int) throws(JSONParseError) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: escape - start))
        var i = escape
        while i < count {
            let byte = p[i]
            if byte == UInt8(ascii: "\"") {
                pos = i + 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                i = try decodeEscape(at: i)
                continue
            }
            // A run of plain bytes, copied in one go.
            let runStart = i
            while i < count {
                let byte = p[i]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw controlCharacter(at: i) }
                if byte >= 0x80 { i = try validateUTF8(at: i) } else { i += 1 }
            }
            scratch.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
        }
        throw error("unexpected end of input in string (unterminated string)", at: count)
    }

    /// Decodes the escape at `at` (a backslash) into `scratch`; returns the offset after it.
    private mutating func decodeEscape(at start: Int) throws(JSONParseError) -> Int {
        guard start + 1 < count else { throw error("unexpected end of input in string escape", at: count) }
        let decoded: UInt8
        switch p[start + 1] {
        case UInt8(ascii: "\""): decoded = 0x22
        case UInt8(ascii: "\\"): decoded = 0x5C
        case UInt8(ascii: "/"): decoded = 0x2F
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            let unit = try hex4(at: start + 2)
            var scalar = UInt32(unit)
            var end = start + 6
            if unit >= 0xD800, unit <= 0xDBFF {
                guard end + 1 < count, p[end] == UInt8(ascii: "\\"), p[end + 1] == UInt8(ascii: "u") else {
                    throw error(
                        "lone surrogate \\u\(Self.hex(unit)) in string"
                            + " (a high surrogate must be followed by a \\u low surrogate)", at: start)
                }
                let low = try hex4(at: end + 2)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw error(
                        "lone surrogate \\u\(Self.hex(unit)) in string"
                            + " (followed by \\u\(Self.hex(low)), not a low surrogate)", at: start)
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                end += 6
            } else if unit >= 0xDC00, unit <= 0xDFFF {
                throw error(
                    "lone surrogate \\u\(Self.hex(unit)) in string (a low surrogate without a high one)", at: start)
            }
            appendUTF8(scalar)
            return end
        default:
            throw error("invalid escape \\\(describeRaw(p[start + 1])) in string", at: start)
        }
        scratch.append(decoded)
        return start + 2
    }

    /// Each byte below is in range by the case it is in (truncation never drops a bit that is set).
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(truncatingIfNeeded: 0xC0 | (scalar >> 6)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(truncatingIfNeeded: 0xE0 | (scalar >> 12)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(truncatingIfNeeded: 0xF0 | (scalar >> 18)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        }
    }

    /// The four hex digits at `at` as a UTF-16 code unit.
    private func hex4(at start: Int) throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for index in start..<start + 4 {
            guard index < count else { throw error("unexpected end of input in \\u escape", at: count) }
            let byte = p[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape: expected 4 hex digits, found \(describe(byte))", at: index)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Validates the multi-byte UTF-8 sequence at `at` (RFC 3629: no overlongs, no surrogates, at most U+10FFFF);
    /// returns the offset after it.
    @inline(__always)
    private func validateUTF8(at start: Int) throws(JSONParseError) -> Int {
        let lead = p[start]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: throw invalidUTF8(at: start)
        }
        guard start + length <= count else { throw invalidUTF8(at: start) }
        let second = p[start + 1]
        guard second >= low, second <= high else { throw invalidUTF8(at: start) }
        if length > 2 {
            guard p[start + 2] & 0xC0 == 0x80 else { throw invalidUTF8(at: start) }
            if length > 3 {
                guard p[start + 3] & 0xC0 == 0x80 else { throw invalidUTF8(at: start) }
            }
        }
        return start + length
    }

    // MARK: Errors (cold)

    @inline(never)
    private func error(_ reason: String, at offset: Int) -> JSONParseError {
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, count)
        while index < end {
            let byte = p[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return JSONParseError(offset: offset, line: line, column: column, reason: reason)
    }

    @inline(never)
    private func tooDeep() -> JSONParseError {
        error("nesting deeper than \(JSONParser.maximumDepth) arrays and objects", at: pos)
    }

    @inline(never)
    private func controlCharacter(at offset: Int) -> JSONParseError {
        error("unescaped control character U+\(Self.hex(UInt16(p[offset]))) in string", at: offset)
    }

    @inline(never)
    private func invalidUTF8(at offset: Int) -> JSONParseError {
        error("invalid UTF-8 byte 0x\(Self.hex(p[offset])) in string", at: offset)
    }

    @inline(never)
    private func unexpectedValueStart() -> JSONParseError {
        let byte = p[pos]
        var reason = "unexpected \(describe(byte)); expected a JSON value"
        if byte == UInt8(ascii: "<"), JSONParser.looksLikeHTML(UnsafeBufferPointer(start: p, count: pos + 1)) {
            reason += " (the input looks like an HTML page, not JSON)"
        }
        return error(reason, at: pos)
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte <= 0x7E ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(Self.hex(byte))"
    }

    private func describeRaw(_ byte: UInt8) -> String {
        byte >= 0x21 && byte <= 0x7E ? String(Character(Unicode.Scalar(byte))) : "(byte 0x\(Self.hex(byte)))"
    }

    private static func hex(_ value: UInt8) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count < 2 ? "0" + digits : digits
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

extension JSONParser {
    /// Parses one document, handing the elements of its key list (a top-level array, or the top-level
    /// object's `keys` or `data` array) to `element` one by one instead of keeping them in the tree:
    /// `element(member, value, offset)` gets the member name ("" for a top-level array) and the offset just
    /// past the element. Returns the document with those arrays empty.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer, streamingElements element: (String, JSONValue, Int) -> Void
    ) throws(JSONParseError) -> JSONValue {
        try withoutActuallyEscaping(element) { sink in
            Result { () throws(JSONParseError) -> JSONValue in
                try parseDocument(bytes) { $0.elementSink = sink }
            }
        }.get()
    }

    /// One document, with the parser set up by `configure` (where its key list's elements go).
    private static func parseDocument(
        _ bytes: UnsafeRawBufferPointer, _ configure: (inout _JSONParserState) -> Void
    ) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONParseError(offset: 0, line: 1, column: 1, reason: "empty input; expected a JSON value")
        }
        var parser = _JSONParserState(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        configure(&parser)
        return try parser.parseDocument()
    }
}

extension JSONParser {
    /// Parses one document as ``parse(_:streamingElements:)`` does, with the same checks and errors, but hands
    /// over each element of the key list as the byte range it spans (`element(member, range)`), never building
    /// it: the caller reads it from the bytes. Returns the document with those arrays empty.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer, streamingElementRanges element: (String, Range<Int>) -> Void
    ) throws(JSONParseError) -> JSONValue {
        try withoutActuallyEscaping(element) { sink in
            Result { () throws(JSONParseError) -> JSONValue in
                try parseDocument(bytes) { $0.elementRangeSink = sink }
            }
        }.get()
    }
}
