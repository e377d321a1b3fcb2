/// A JSON document kept exactly as received.
///
/// Objects keep every member in the order received (duplicate keys included) and numbers keep their exact
/// lexeme, so parsing and writing back (compact) reproduces the input byte for byte, whitespace aside.
///
/// Equality and hashing are exact: strings and keys compare by their UTF-8 bytes (not by Unicode canonical
/// equivalence), numbers by their lexeme (`1.0 != 1`), objects by their members in order. Two equal values
/// therefore always write to the same bytes.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// A number with its raw lexeme exactly as received.
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

// MARK: - Accessors

extension JSONValue {
    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number with its raw lexeme, if this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as the nearest `Double`, if this is a number that fits in a finite `Double`.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value.double }
        return nil
    }

    /// The number as an `Int`, if this is a number written as an integer (no fraction, no exponent) that fits.
    public var intValue: Int? {
        if case .number(let value) = self { return value.int }
        return nil
    }

    /// The object, if this is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of the first member named `key`, if this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The element at `index`, if this is an array and `index` is inside it.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }
}

// MARK: - Equality and hashing (exact, byte-wise)

extension JSONValue: Hashable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return JSONObject.utf8Equal(a, b)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .number(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(3 as UInt8)
            JSONObject.hashUTF8(value, into: &hasher)
        case .array(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value.count)
            for element in value { element.hash(into: &hasher) }
        case .object(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value)
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of the value.
    public var description: String { JSONWriter.string(self, style: .compact) }
}

// MARK: - Literals

/// `nil` written where a `JSONValue` (not a `JSONValue?`) is expected means JSON `null`, as in
/// `[("limit", nil)]`. Where an optional is expected, `nil` keeps meaning "absent". Beware of closures whose result
/// type is inferred: `{ cond ? value : nil }` infers `JSONValue` and yields `.null`, not `nil`; write `.null` or
/// spell the optional out when it matters.
extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Members in the order written; duplicate keys are kept.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

// MARK: - JSONNumber

/// A JSON number kept as its exact lexeme (`0.65017511`, `1e-7`, `-0`, `10` stay as written).
///
/// The lexeme always matches the RFC 8259 number grammar: it comes from the parser, from
/// `init?(validating:)`, or from the canonical `Int` / `Double` initialisers.
public struct JSONNumber: Sendable, Hashable {
    /// The lexeme, exactly as received or produced.
    public let text: String

    /// Wraps text already known to match the grammar (the parser, the canonical initialisers, and the snapshot
    /// reader for lexemes the parser checked).
    package init(uncheckedText text: String) {
        self.text = text
    }

    /// Accepts `text` only if it is a number by the RFC 8259 grammar
    /// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, nothing before or after).
    public init?(validating text: String) {
        var copy = text
        let valid = copy.withUTF8 { buffer -> Bool in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return false }
            switch JSONNumber.scan(base, count: buffer.count, from: 0) {
            case .success(let end): return end == buffer.count
            case .failure: return false
            }
        }
        guard valid else { return nil }
        self.text = copy
    }

    /// The canonical lexeme of an integer (`-42`).
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// The canonical lexeme of a finite double, or `nil` for NaN and infinities (JSON cannot express them).
    ///
    /// Integral values with a magnitude below 2^63 are written as integers (`10.0` gives `10`, `-0.0` gives `-0`,
    /// `2^53` gives `9007199254740992`); every other value uses Swift's shortest round-trip form (`0.1`, `1e-07`,
    /// `1e+300`), so `JSONNumber(x)!.double == x` for every finite `x`.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        if value.magnitude < 9_223_372_036_854_775_808, let whole = Checked.int64(exactly: value) {
            self.text = value == 0 && value.sign == .minus ? "-0" : String(whole)
        } else {
            let text = value.description
            self.text = text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
    }

    /// The nearest `Double`, or `nil` when the magnitude is too large for a finite `Double` (`1e400`).
    public var double: Double? {
        if let exact = Self.shortDecimal(text) { return exact }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The value of a lexeme without exponent and with at most 15 digits (most amounts: `53.65405236`),
    /// computed exactly: the digits as an integer below 2^53 and a power of ten up to 10^15 are both exact
    /// `Double`s, so one division rounds correctly and equals what `Double(text)` answers. nil otherwise.
    @inline(__always)
    static func shortDecimal(_ text: String) -> Double? {
        var digits: UInt64 = 0
        var count = 0
        var fraction = -1
        var negative = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits = digits &* 10 &+ UInt64(truncatingIfNeeded: byte &- UInt8(ascii: "0"))
                count += 1
                if fraction >= 0 { fraction += 1 }
                if count > 15 { return nil }
            case UInt8(ascii: "."):
                fraction = 0
            case UInt8(ascii: "-") where count == 0:
                negative = true
            default:
                return nil  // an exponent
            }
        }
        guard count > 0 else { return nil }
        let magnitude = Double(digits) / Self.powersOfTen[max(0, fraction)]
        return negative ? -magnitude : magnitude
    }

    private static let powersOfTen: [Double] = (0...15).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// The value as an `Int` when the lexeme is an integer (no fraction or exponent) that fits; otherwise `nil`.
    public var int: Int? { Int(text, radix: 10) }

    /// Why a number lexeme is invalid, and where (byte offset in the scanned buffer).
    struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    /// Scans one number starting at `start` and returns the offset just past it.
    ///
    /// Reads at most `count` bytes from `base`; never reads past the number except one byte to decide where it ends.
    @inline(__always)
    static func scan(_ base: UnsafePointer<UInt8>, count: Int, from start: Int) -> Result<Int, SyntaxError> {
        var i = start
        if base[i] == UInt8(ascii: "-") {
            i += 1
            guard i < count, base[i] &- 0x30 < 10 else {
                return .failure(SyntaxError(offset: i, reason: "expected a digit after '-' in number"))
            }
        }
        if base[i] == UInt8(ascii: "0") {
            i += 1
            if i < count, base[i] &- 0x30 < 10 {
                return .failure(SyntaxError(offset: i - 1, reason: "leading zeros are not allowed in numbers"))
            }
        } else if base[i] &- 0x31 < 9 {
            i += 1
            while i < count, base[i] &- 0x30 < 10 { i += 1 }
        } else {
            return .failure(SyntaxError(offset: i, reason: "expected a digit in number"))
        }
        if i < count, base[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, base[i] &- 0x30 < 10 else {
                return .failure(SyntaxError(offset: i, reason: "expected a digit after '.' in number"))
            }
            i += 1
            while i < count, base[i] &- 0x30 < 10 { i += 1 }
        }
        if i < count, base[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < count, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, base[i] &- 0x30 < 10 else {
                return .failure(SyntaxError(offset: i, reason: "expected a digit in the exponent of number"))
            }
            i += 1
            while i < count, base[i] &- 0x30 < 10 { i += 1 }
        }
        return .success(i)
    }
}

extension JSONNumber: CustomStringConvertible {
    public var description: String { text }
}

// MARK: - JSONObject

/// The members of a JSON object, in the order received.
///
/// Duplicate keys are kept as received; lookups return the first member with the key. Lookups are a linear scan
/// over `keys` comparing UTF-8 bytes (cheap for the ~20 members of an API object; no dictionary per object).
/// Iterating yields `(key: String, value: JSONValue)` pairs in order.
public struct JSONObject: Sendable {
    /// The member names, in order (duplicates kept).
    public private(set) var keys: [String]
    /// The member values, parallel to `keys`.
    public private(set) var values: [JSONValue]

    /// An empty object.
    public init() {
        keys = []
        values = []
    }

    /// An object with these members, in this order (duplicates kept).
    public init(_ pairs: [(String, JSONValue)]) {
        keys = []
        values = []
        keys.reserveCapacity(pairs.count)
        values.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            keys.append(key)
            values.append(value)
        }
    }

    /// Parallel arrays of equal length (the parser's path).
    init(uncheckedKeys keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
    }

    /// The number of members (duplicates counted).
    public var count: Int { keys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    /// The position of the first member named `key`.
    public func index(forKey key: String) -> Int? {
        let targetCount = key.utf8.count
        return keys.withUnsafeBufferPointer { buffer -> Int? in
            for index in buffer.indices {
                let candidate = buffer[index]
                if Self.sameRepresentation(candidate, key) { return index }
                if candidate.utf8.count == targetCount, Self.utf8Equal(candidate, key) { return index }
            }
            return nil
        }
    }

    /// Whether a member named `key` exists.
    public func contains(_ key: String) -> Bool { index(forKey: key) != nil }

    /// The value of the first member named `key`.
    ///
    /// Setting a value replaces the first member named `key` in place (keeping its position) or appends a new
    /// member; setting `nil` removes every member named `key`.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(forKey: key) else { return nil }
            return values[index]
        }
        set {
            if let newValue {
                if let index = index(forKey: key) {
                    values[index] = newValue
                } else {
                    append(key: key, value: newValue)
                }
            } else {
                _ = removeValue(forKey: key)
            }
        }
    }

    /// Appends a member, even if one with the same key exists.
    public mutating func append(key: String, value: JSONValue) {
        keys.append(key)
        values.append(value)
    }

    /// Removes every member named `key`; returns the value of the first one removed.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let first = index(forKey: key) else { return nil }
        let removed = values[first]
        // One pass that keeps the other members in order (linear even with many duplicates).
        var keptKeys = Array(keys[..<first])
        var keptValues = Array(values[..<first])
        keptKeys.reserveCapacity(keys.count - 1)
        keptValues.reserveCapacity(keys.count - 1)
        for index in (first + 1)..<keys.count where !Self.utf8Equal(keys[index], key) {
            keptKeys.append(keys[index])
            keptValues.append(values[index])
        }
        keys = keptKeys
        values = keptValues
        return removed
    }

    /// The values of every member named `key`, in order (more than one only for duplicate keys).
    public func allValues(forKey key: String) -> [JSONValue] {
        var found: [JSONValue] = []
        for index in keys.indices where Self.utf8Equal(keys[index], key) { found.append(values[index]) }
        return found
    }

    // MARK: Byte-wise string helpers

    /// Whether two strings have the same in-memory representation (same inline bytes, or the same storage), which
    /// implies equal contents. A fast first check only: equal strings may have different representations.
    @inline(__always)
    static func sameRepresentation(_ a: String, _ b: String) -> Bool {
        guard MemoryLayout<String>.size == 16 else { return false }
        return withUnsafeBytes(of: a) { ra in
            withUnsafeBytes(of: b) { rb in
                ra.loadUnaligned(as: UInt64.self) == rb.loadUnaligned(as: UInt64.self)
                    && ra.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                        == rb.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            }
        }
    }

    @inline(__always)
    static func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = a.count
        guard count == b.count else { return false }
        guard count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        let ra = UnsafeRawPointer(pa)
        let rb = UnsafeRawPointer(pb)
        var i = 0
        while i + 8 <= count {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            {
                return false
            }
            i += 8
        }
        while i < count {
            if pa[i] != pb[i] { return false }
            i += 1
        }
        return true
    }

    /// Equality of the UTF-8 bytes (JSON compares names code unit by code unit, not by canonical equivalence).
    @inline(__always)
    static func utf8Equal(_ a: String, _ b: String) -> Bool {
        if sameRepresentation(a, b) { return true }
        let ua = a.utf8
        let ub = b.utf8
        guard ua.count == ub.count else { return false }
        let result = ua.withContiguousStorageIfAvailable { ba in
            ub.withContiguousStorageIfAvailable { bb in bytesEqual(ba, bb) }
        }
        if let result, let result { return result }
        return ua.elementsEqual(ub)
    }

    package static func hashUTF8(_ string: String, into hasher: inout Hasher) {
        let utf8 = string.utf8
        hasher.combine(utf8.count)
        let done: Void? = utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in utf8 { hasher.combine(byte) }
        }
    }
}

extension JSONObject: RandomAccessCollection {
    public typealias Element = (key: String, value: JSONValue)
    public typealias Index = Int
    public typealias Indices = Range<Int>

    public var startIndex: Int { 0 }
    public var endIndex: Int { keys.count }

    public subscript(position: Int) -> (key: String, value: JSONValue) {
        (keys[position], values[position])
    }
}

extension JSONObject: Hashable {
    /// Members equal pairwise, in order (byte-wise keys).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.keys.count == rhs.keys.count else { return false }
        for index in lhs.keys.indices where !utf8Equal(lhs.keys[index], rhs.keys[index]) {
            return false
        }
        return lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys.count)
        for index in keys.indices {
            Self.hashUTF8(keys[index], into: &hasher)
            values[index].hash(into: &hasher)
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Members in the order written; duplicate keys are kept.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

extension JSONObject: CustomStringConvertible {
    /// The compact JSON text of the object.
    public var description: String { JSONWriter.string(.object(self), style: .compact) }
}
