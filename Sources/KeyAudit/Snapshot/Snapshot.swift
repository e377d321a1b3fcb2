import Foundation

/// Every key of the account at one moment, as received, plus where it came from and how completely it was read.
public struct Snapshot: Sendable {
    public static let schemaVersion = 1

    /// A reference to the snapshot this one follows: the chain a reviewer verifies.
    public struct Reference: Sendable, Equatable {
        /// Relative to the output folder when the previous run lives there (`20261125T030000Z/snapshot.json`).
        public var path: String
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// When the listing was taken; nil only for raw key files that do not say.
    public var takenAt: Date?
    /// The base URL listed, or `file:<path>`.
    public var source: String
    public var toolVersion: String
    public var workspaces: [JSONValue]
    public var coverage: Coverage
    public var previous: Reference?
    /// Sorted by ``KeyRecord/identity``.
    public var keys: [KeyRecord]

    public init(
        takenAt: Date?, source: String, toolVersion: String = KeyAuditVersion.current, workspaces: [JSONValue],
        coverage: Coverage, previous: Reference?, keys: [KeyRecord]
    ) {
        self.takenAt = takenAt
        self.source = source
        self.toolVersion = toolVersion
        self.workspaces = workspaces
        self.coverage = coverage
        self.previous = previous
        self.keys = Self.sortedUnique(keys)
    }

    /// Sorted by identity; a key listed twice keeps its last occurrence.
    static func sortedUnique(_ keys: [KeyRecord]) -> [KeyRecord] {
        // Sorted through indices (a KeyRecord is large); ties keep input order so the last occurrence wins below.
        let order = keys.indices.sorted { lhs, rhs in
            let (a, b) = (keys[lhs].identity, keys[rhs].identity)
            return a != b ? a < b : lhs < rhs
        }
        var result: [KeyRecord] = []
        result.reserveCapacity(keys.count)
        for (position, index) in order.enumerated() {
            if position + 1 < order.count, keys[order[position + 1]].identity == keys[index].identity { continue }
            result.append(keys[index])
        }
        return result
    }

    public var enabledCount: Int { keys.count(where: \.isEnabled) }
    /// Lifetime spend of every key: usage plus BYOK usage.
    public var totalSpend: Double { keys.reduce(0) { $0 + ($1.usage ?? 0) + ($1.byokUsage ?? 0) } }
    public var disabledCount: Int { keys.count(where: \.isDisabled) }

    // MARK: - Writing

    /// The snapshot.json bytes: the same snapshot always gives the same bytes. The header is indented,
    /// and each key is one compact line, so the file reads, greps and diffs well at 100,000 keys.
    public func encoded() -> [UInt8] {
        var all: [UInt8] = []
        encode { chunk in all.append(contentsOf: chunk) }
        return all
    }

    /// The same bytes, handed to `emit` in chunks of about 1 MiB (written and hashed as they come, so a
    /// 60 MB snapshot is never held twice).
    public func encode<E: Error>(chunked emit: ([UInt8]) throws(E) -> Void) throws(E) {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20 + 65_536)
        func line(_ text: String) { out.append(contentsOf: Array(text.utf8)) }
        func member(_ name: String, _ value: JSONValue, last: Bool = false) {
            line("  \"\(name)\": ")
            JSONWriter.write(value, into: &out, style: .pretty(indent: 2, level: 1))
            line(last ? "\n" : ",\n")
        }
        line("{\n")
        member("schema_version", .number(JSONNumber(Self.schemaVersion)))
        member(
            "tool",
            .object(JSONObject([("name", .string("keyaudit")), ("version", .string(toolVersion))])))
        member("taken_at", takenAt.map { .string(Timestamp.format($0)) } ?? .null)
        member("source", .string(source))
        member("workspaces", .array(workspaces))
        member("coverage", coverage.json)
        member(
            "previous",
            previous.map { .object(JSONObject([("path", .string($0.path)), ("sha256", .string($0.sha256))])) }
                ?? .null)
        line("  \"keys\": [")
        for (index, key) in keys.enumerated() {
            line(index == 0 ? "\n    " : ",\n    ")
            JSONWriter.write(.object(key.raw), into: &out, style: .compact)
            if out.count >= 1 << 20 {
                try emit(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        line(keys.isEmpty ? "]\n" : "\n  ]\n")
        line("}\n")
        try emit(out)
    }

    // MARK: - Reading

    /// Reads a keyaudit snapshot.json, a raw `GET /keys` body (`{"data": [...]}`), an object with a `keys`
    /// array, or a bare JSON array of key objects.
    ///
    /// - Parameter origin: the path, for messages.
    public static func decode(_ bytes: [UInt8], origin: String) throws(KeyAuditError) -> Snapshot {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw .malformedData(
                "\(origin) is not valid JSON (\(error)); point at a snapshot.json or a GET /keys response")
        }
        let items: [JSONValue]
        var header: JSONObject?
        switch document {
        case .array(let array):
            items = array
        case .object(let object):
            if let version = object["schema_version"] {
                guard let number = version.doubleValue, number == number.rounded() else {
                    throw .malformedData(
                        "\(origin) has a schema_version that is not a whole number; it is not a keyaudit snapshot")
                }
                guard Int(number) <= schemaVersion else {
                    throw .malformedData(
                        "\(origin) has schema_version \(Int(number)), newer than this keyaudit understands (\(schemaVersion)); upgrade keyaudit"
                    )
                }
            }
            if let keys = object["keys"]?.arrayValue {
                items = keys
                header = object
            } else if let data = object["data"]?.arrayValue {
                items = data
            } else {
                throw .malformedData(
                    "\(origin) has neither a \"keys\" nor a \"data\" array; it is not a snapshot or a GET /keys response"
                )
            }
        default:
            throw .malformedData(
                "\(origin) holds a JSON \(document.kindName), not a snapshot; expected an object or an array of keys")
        }
        var keys: [KeyRecord] = []
        keys.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else {
                throw .malformedData(
                    "\(origin): item \(index) of the key list is a JSON \(item.kindName), not a key object; the file is corrupt"
                )
            }
            keys.append(KeyRecord(object))
        }
        let takenAt = header?["taken_at"]?.stringValue.flatMap(Timestamp.date)
        var previous: Reference?
        if let object = header?["previous"]?.objectValue, let path = object["path"]?.stringValue,
            let sha = object["sha256"]?.stringValue
        {
            previous = Reference(path: path, sha256: sha)
        }
        return Snapshot(
            takenAt: takenAt,
            source: header?["source"]?.stringValue ?? "file:\(origin)",
            toolVersion: header?["tool"]?["version"]?.stringValue ?? "unknown",
            workspaces: header?["workspaces"]?.arrayValue ?? [],
            coverage: header.map { Coverage(json: $0["coverage"]) } ?? Coverage(mode: .file),
            previous: previous,
            keys: keys)
    }

    /// Reads a snapshot file, or the snapshot.json inside a run folder.
    public static func load(path: String) throws(KeyAuditError) -> (snapshot: Snapshot, sha256: String, path: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .malformedData("\(path) does not exist; give a snapshot.json or a run folder")
        }
        let file = isDirectory.boolValue ? (path as NSString).appendingPathComponent("snapshot.json") : path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .malformedData("cannot read \(file); give a snapshot.json or a run folder that holds one")
        }
        let bytes = [UInt8](data)
        return (try decode(bytes, origin: file), Checksum.sha256Hex(bytes), file)
    }
}

extension JSONValue {
    /// "object", "array", … for messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
