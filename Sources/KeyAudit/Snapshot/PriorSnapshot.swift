import Foundation

/// The previous snapshot, condensed to what this run's audit and diff read from it.
///
/// A run needs three things from the snapshot before it: each key's configuration (for what changed), its
/// spend counters and disabled flag (for spend since then and `disabled-with-usage`), and which rules matched
/// it then (for first_seen, and for findings resolved since). Held whole, a 100,000-key snapshot costs about
/// 150 MB; condensed it is about a third of that, and a stored snapshot is read into it key by key
/// (``load(path:policy:now:)``) without ever being held as one tree.
public struct PriorSnapshot: Sendable {
    public struct Key: Sendable {
        public var identity: String
        public var name: String?
        public var workspaceId: String?
        public var disabled: Bool
        public var usage: Double?
        public var byokUsage: Double?
        /// The members that are configuration (not ``SnapshotDiff/volatileFields``), as compact JSON, in the
        /// order received. Empty when read against the current snapshot: `changes` holds the outcome instead.
        var configuration: [UInt8]
        /// When read against the current snapshot: how its configuration differs from the current key's
        /// (empty: not at all).
        var changes: [SnapshotDiff.FieldChange]?
        /// Bit `i` set: key rule `i` of ``PriorSnapshot/keyRules`` matched the key when it was taken.
        var matchedRules: UInt16

        public var isDisabled: Bool { disabled }
    }

    public var takenAt: Date?
    /// What the previous snapshot itself named as its predecessor (for the chain check).
    public var previous: Snapshot.Reference?
    /// Sorted by identity; a key listed twice keeps its last occurrence, as in ``Snapshot``.
    public private(set) var keys: [Key]

    /// The key rules, in catalog order: the bit positions of ``Key/matchedRules``.
    static let keyRules: [Rule] = RuleCatalog.all.filter { $0.scope == .key }

    /// Condenses `snapshot`, recording which rules of `policy` matched each key at its `takenAt` (or `now`).
    public init(_ snapshot: Snapshot, policy: Policy, now: Date, against current: Snapshot? = nil) {
        var builder = Builder(
            policy: policy, clock: (snapshot.takenAt ?? now).timeIntervalSince1970, current: current)
        for key in snapshot.keys { builder.add(key) }
        takenAt = snapshot.takenAt
        previous = snapshot.previous
        keys = builder.finish()
    }

    /// Reads a stored snapshot (a file, or the snapshot.json of a run folder) key by key.
    ///
    /// With `current`, each key is compared with the current one as it is read and only the differences are
    /// kept (a few bytes a key instead of its configuration): the diff must then be taken against `current`.
    public static func load(
        path: String, policy: Policy, now: Date, against current: Snapshot? = nil
    ) throws(KeyAuditError) -> (prior: PriorSnapshot, sha256: String, path: String) {
        let (prior, sha, file) = try Snapshot.withMappedFile(at: path) { mapped throws(KeyAuditError) in
            // The rules run at the snapshot's own taken_at, which the header may state after the keys: read
            // with the likely clock, and read again in the rare case the header says otherwise.
            let guess = Self.takenAtHint(mapped.bytes)
            var builder = Builder(policy: policy, clock: (guess ?? now).timeIntervalSince1970, current: current)
            let header = try Snapshot.read(
                mapped.bytes, origin: mapped.path, progress: mapped.release(below:), keepObjects: false,
                restart: { builder.keys.removeAll() }
            ) { builder.add($0, object: $1) }
            if header.takenAt != guess {
                builder = Builder(
                    policy: policy, clock: (header.takenAt ?? now).timeIntervalSince1970, current: current)
                _ = try Snapshot.read(
                    mapped.bytes, origin: mapped.path, progress: mapped.release(below:), keepObjects: false,
                    restart: { builder.keys.removeAll() }
                ) { builder.add($0, object: $1) }
            }
            return PriorSnapshot(takenAt: header.takenAt, previous: header.previous, keys: builder.finish())
        }
        return (prior, sha, file)
    }

    private init(takenAt: Date?, previous: Snapshot.Reference?, keys: [Key]) {
        self.takenAt = takenAt
        self.previous = previous
        self.keys = keys
    }

    /// The key with this identity, if the previous snapshot had it.
    public func key(_ identity: String) -> Key? {
        let low = Snapshot.firstIndex(atOrAfter: identity, in: keys, by: \.identity)
        return low < keys.count && keys[low].identity == identity ? keys[low] : nil
    }

    /// Whether `rule` matched the key `identity` in the previous snapshot.
    public func matched(rule: String, identity: String) -> Bool {
        guard let bit = Self.keyRuleBits[rule], let key = key(identity) else { return false }
        return key.matchedRules & (1 << bit) != 0
    }

    static let keyRuleBits = Dictionary(uniqueKeysWithValues: keyRules.enumerated().map { ($1.id, $0) })

    /// The ids (`<rule>:<hash>`) of the key findings the previous snapshot had.
    public var findingIDs: Set<String> {
        var ids = Set<String>()
        for key in keys where key.matchedRules != 0 {
            for (bit, rule) in Self.keyRules.enumerated() where key.matchedRules & (1 << bit) != 0 {
                ids.insert(rule.id + ":" + key.identity)
            }
        }
        return ids
    }

    /// The configuration members of a key as compact JSON: what two snapshots compare to find changes.
    static func configuration(of raw: JSONObject) -> [UInt8] {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(raw.count)
        for (field, value) in zip(raw.keys, raw.values) where !SnapshotDiff.volatileFields.contains(field) {
            members.append((field, value))
        }
        var bytes: [UInt8] = []
        JSONWriter.write(.object(JSONObject(members)), into: &bytes, style: .compact)
        return bytes
    }

    /// A quick look for `"taken_at": "…"` near the start of the file (where keyaudit writes it). Only a hint:
    /// the parsed header decides.
    static func takenAtHint(_ bytes: UnsafeRawBufferPointer) -> Date? {
        let window = bytes.prefix(65_536)
        let needle = Array("\"taken_at\"".utf8)
        guard let start = window.firstRange(of: needle)?.upperBound else { return nil }
        var rest = window[start...].drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard rest.first == UInt8(ascii: ":") else { return nil }
        rest = rest.dropFirst().drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard rest.first == UInt8(ascii: "\"") else { return nil }
        rest = rest.dropFirst()
        let text = rest.prefix { $0 != UInt8(ascii: "\"") }.prefix(64)
        return Timestamp.date(String(decoding: text, as: UTF8.self))
    }

    /// Collects condensed keys, evaluating the rules on each as it arrives.
    private struct Builder {
        let rules: [(bit: Int, rule: Rule)]
        let thresholds: Policy.Thresholds
        let clock: Double
        let current: [KeyRecord]?
        var keys: [Key] = []
        /// Workspace ids repeat on every key: one string each.
        var workspaces: [String: String] = [:]

        init(policy: Policy, clock: Double, current: Snapshot?) {
            self.current = current?.keys
            rules = PriorSnapshot.keyRules.enumerated().filter { policy.setting(for: $0.element.id).enabled }
                .map { (bit: $0.offset, rule: $0.element) }
            thresholds = policy.thresholds
            self.clock = clock
        }

        mutating func add(_ record: KeyRecord) { add(record, object: record.raw) }

        /// `object`: the record's object as received (the record may not keep it).
        mutating func add(_ record: KeyRecord, object: JSONObject) {
            let input = RuleInput(key: record, previous: nil, thresholds: thresholds, now: clock)
            var matched: UInt16 = 0
            for (bit, rule) in rules where rule.evaluate(input) != nil { matched |= 1 << bit }
            var workspace = record.workspaceId
            if let id = workspace {
                if let shared = workspaces[id] { workspace = shared } else { workspaces[id] = id }
            }
            var key = Key(
                identity: record.identity, name: record.name, workspaceId: workspace, disabled: record.isDisabled,
                usage: record.usage, byokUsage: record.byokUsage, configuration: [], changes: nil,
                matchedRules: matched)
            guard let current else {
                key.configuration = PriorSnapshot.configuration(of: object)
                keys.append(key)
                return
            }
            let low = Snapshot.firstIndex(atOrAfter: record.identity, in: current, by: \.identity)
            if low < current.count, current[low].identity == record.identity {
                let now = current[low]
                // Share the current key's strings where they are the same: no copy per key.
                key.identity = now.identity
                if key.name == now.name { key.name = now.name }
                if key.workspaceId == now.workspaceId { key.workspaceId = now.workspaceId }
                key.changes =
                    record.configurationFingerprint == now.configurationFingerprint
                    ? [] : SnapshotDiff.configurationChanges(PriorSnapshot.configuration(of: object), now.raw)
            }
            keys.append(key)
        }

        func finish() -> [Key] { Snapshot.sortedUnique(keys, by: \.identity) }
    }
}
