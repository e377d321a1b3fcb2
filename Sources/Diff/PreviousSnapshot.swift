import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// The previous snapshot, condensed to what this run's audit and diff read from it.
///
/// A run needs three things from the snapshot before it: each key's configuration (for what changed), its
/// spend counters and disabled flag (for spend since then and `disabled-with-usage`), and which rules matched
/// it then (for first_seen, and for findings resolved since). Held whole, a 100,000-key snapshot costs about
/// 150 MB; condensed it is about a third of that, and a stored snapshot is read into it key by key
/// (``load(path:policy:now:)``) without ever being held as one tree.
package struct PreviousSnapshot: Sendable {
    package struct Key: Sendable {
        package var identity: String
        package var name: String?
        package var workspaceId: String?
        package var disabled: Bool
        package var usage: Double?
        package var byokUsage: Double?
        /// The members that are configuration (not ``KeyRecord/volatileFields``), as compact JSON, in the
        /// order received. Empty when read against the current snapshot: `changes` holds the outcome instead.
        var configuration: [UInt8]
        /// When read against the current snapshot: how its configuration differs from the current key's
        /// (empty: not at all).
        var changes: [SnapshotDiff.FieldChange]?
        /// The key rules (positions in ``PreviousSnapshot/rules``) that matched the key when it was taken.
        var matchedRules: RuleSet

        package var isDisabled: Bool { disabled }
        /// What the rules read of it.
        package var state: PreviousKeyState { PreviousKeyState(disabled: disabled, usage: usage, byokUsage: byokUsage) }
    }

    package var takenAt: Date?
    /// What the previous snapshot itself named as its predecessor (for the chain check).
    package var previous: Snapshot.Reference?
    /// Sorted by identity; a key listed twice keeps its last occurrence, as in ``Snapshot``.
    package private(set) var keys: [Key]

    /// The key rules the keys were audited with: the positions of ``Key/matchedRules``.
    package let rules: RulePositions

    /// Condenses `snapshot`, recording which rules of `policy` matched each key at its `takenAt` (or `now`).
    package init(
        _ snapshot: Snapshot, policy: Policy, now: Date, against current: Snapshot? = nil,
        rules: RulePositions = .catalog
    ) {
        var builder = Builder(
            policy: policy, clock: (snapshot.takenAt ?? now).timeIntervalSince1970, current: current, rules: rules)
        self.rules = rules
        for key in snapshot.keys { builder.add(key) }
        takenAt = snapshot.takenAt
        previous = snapshot.previous
        keys = builder.finish()
    }

    /// Reads a stored snapshot (a file, or the snapshot.json of a run folder) key by key.
    ///
    /// With `current`, each key is compared with the current one as it is read and only the differences are
    /// kept (a few bytes a key instead of its configuration): the diff must then be taken against `current`.
    ///
    /// - Parameter threads, batchSize: see ``Snapshot/read(_:origin:progress:keepObjects:scanKeys:threads:batchSize:restart:transform:key:)``
    ///   (tests).
    package static func load(
        path: String, policy: Policy, now: Date, against current: Snapshot? = nil, rules: RulePositions = .catalog,
        threads: Int? = nil, batchSize: Int = KeyListReader<Condensed>.defaultBatchSize
    ) throws(KeyAuditError) -> (snapshot: PreviousSnapshot, sha256: String, path: String) {
        let (snapshot, sha, file) = try Snapshot.withMappedFile(at: path) { mapped throws(KeyAuditError) in
            // The rules run at the snapshot's own taken_at, which the header may state after the keys: read
            // with the likely clock, and read again in the rare case the header says otherwise.
            let guess = Self.takenAtHint(mapped.bytes)
            var builder = Builder(
                policy: policy, clock: (guess ?? now).timeIntervalSince1970, current: current, rules: rules)
            let condenser = builder.condenser
            let header = try Snapshot.read(
                mapped.bytes, origin: mapped.path, progress: mapped.release(below:), keepObjects: false,
                threads: threads, batchSize: batchSize, restart: { builder.restart() },
                transform: { condenser.condense($0, configuration: $1) },
                key: { builder.add($0) })
            if header.takenAt != guess {
                builder = Builder(
                    policy: policy, clock: (header.takenAt ?? now).timeIntervalSince1970, current: current,
                    rules: rules)
                let condenser = builder.condenser
                _ = try Snapshot.read(
                    mapped.bytes, origin: mapped.path, progress: mapped.release(below:), keepObjects: false,
                    threads: threads, batchSize: batchSize, restart: { builder.restart() },
                    transform: { condenser.condense($0, configuration: $1) },
                    key: { builder.add($0) })
            }
            return (header, builder)
        } finishing: { (read: consuming (header: Snapshot.Header, builder: Builder)) in
            // Sorted while the file is hashed on another thread.
            let (header, builder) = read
            return PreviousSnapshot(
                takenAt: header.takenAt, previous: header.previous, keys: builder.finish(), rules: rules)
        }
        return (snapshot, sha, file)
    }

    private init(takenAt: Date?, previous: Snapshot.Reference?, keys: [Key], rules: RulePositions) {
        self.takenAt = takenAt
        self.previous = previous
        self.keys = keys
        self.rules = rules
    }

    /// The key with this identity, if the previous snapshot had it.
    package func key(_ identity: String) -> Key? { index(of: identity).map { keys[$0] } }

    /// Where the key with this identity is in ``keys`` (a binary search), if the previous snapshot had it.
    private func index(of identity: String) -> Int? {
        let low = Snapshot.firstIndex(atOrAfter: identity, in: keys, by: \.identity)
        return low < keys.count && keys[low].identity == identity ? low : nil
    }

    /// The ids (`<rule>:<hash>`) of the key findings the previous snapshot had.
    package var findingIDs: Set<String> {
        var ids = Set<String>()
        for key in keys where !key.matchedRules.isEmpty {
            for position in key.matchedRules.positions {
                ids.insert(rules.rules[position].id + ":" + key.identity)
            }
        }
        return ids
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

    /// One previous key as read: the key as kept, and what it is as a rotation's successor.
    package struct Condensed: Sendable {
        var key: Key
        var predecessor: String?
        var successor: RotationIndex.Successor?
    }

    /// What one previous key is read into: the part of reading that any thread may do (see
    /// ``Snapshot/read(_:origin:progress:keepObjects:scanKeys:threads:batchSize:restart:transform:key:)``).
    private struct Condenser: Sendable {
        let rules: [(position: Int, rule: Rule)]
        let thresholds: Policy.Thresholds
        let clock: Double
        let current: [KeyRecord]?
        /// The current keys' positions by identity (one hash per previous key instead of a binary search of
        /// string comparisons).
        let currentPositions: [String: Int]

        init(policy: Policy, clock: Double, current: Snapshot?, rules: RulePositions) {
            self.current = current?.keys
            var positions: [String: Int] = [:]
            if let keys = current?.keys {
                positions.reserveCapacity(keys.count)
                // Unique: a snapshot's keys are.
                for index in keys.indices { positions[keys[index].identity] = index }
            }
            self.currentPositions = positions
            self.rules = rules.rules.enumerated().filter { policy.setting(for: $0.element.id).enabled }
                .map { (position: $0.offset, rule: $0.element) }
            thresholds = policy.thresholds
            self.clock = clock
        }

        /// `configuration`: the record's configuration members as compact JSON (the record may not keep its
        /// object).
        func condense(_ record: KeyRecord, configuration: [UInt8]) -> Condensed {
            let input = RuleInput(key: record, previous: nil, thresholds: thresholds, now: clock)
            var matched = RuleSet()
            for (position, rule) in rules where rule.evaluate(input) != nil { matched.insert(position) }
            var key = Key(
                identity: record.identity, name: record.name, workspaceId: record.workspaceId,
                disabled: record.isDisabled, usage: record.usage, byokUsage: record.byokUsage, configuration: [],
                changes: nil, matchedRules: matched)
            if let current {
                if let position = currentPositions[record.identity] {
                    // Share the current key's strings where they are the same: no copy per key.
                    key.identity = current[position].identity
                    if key.name == current[position].name { key.name = current[position].name }
                    if key.workspaceId == current[position].workspaceId {
                        key.workspaceId = current[position].workspaceId
                    }
                    key.changes =
                        record.configurationFingerprint == current[position].configurationFingerprint
                        ? [] : SnapshotDiff.configurationChanges(configuration, current[position].raw)
                }
            } else {
                key.configuration = configuration
            }
            return Condensed(
                key: key, predecessor: record.rotatedFromHash, successor: RotationIndex.successor(record))
        }
    }

    /// Collects condensed keys in file order.
    private struct Builder {
        let condenser: Condenser
        var keys: [Key] = []
        /// Workspace ids repeat on every key: one string each.
        var workspaces: [String: String] = [:]
        /// Which key was rotated into which: known only once every key is read (see ``finish()``).
        var rotations = RotationIndex()

        var rules: [(position: Int, rule: Rule)] { condenser.rules }
        var thresholds: Policy.Thresholds { condenser.thresholds }
        var clock: Double { condenser.clock }

        init(policy: Policy, clock: Double, current: Snapshot?, rules: RulePositions) {
            condenser = Condenser(policy: policy, clock: clock, current: current, rules: rules)
        }

        /// Forgets the keys read so far (a `keys` list after a `data` one replaces it).
        mutating func restart() {
            keys.removeAll()
            rotations = RotationIndex()
        }

        mutating func add(_ record: KeyRecord) {
            add(condenser.condense(record, configuration: KeyRecord.configuration(of: record.raw)))
        }

        mutating func add(_ read: Condensed) {
            var key = read.key
            if let successor = read.successor { rotations.add(predecessor: read.predecessor, successor: successor) }
            if let id = key.workspaceId {
                if let shared = workspaces[id] { key.workspaceId = shared } else { workspaces[id] = id }
            }
            keys.append(key)
        }

        /// The keys sorted, with the rules that need the whole snapshot marked (a rotated key's successor may come
        /// after it in the file).
        /// Consuming: the keys are sorted in place, not copied first.
        consuming func finish() -> [Key] {
            var sorted = Snapshot.sortedUnique(keys, by: \.identity)
            guard !rotations.isEmpty,
                let position = rules.first(where: { $0.rule.id == RuleCatalog.rotatedPredecessorActive.id })?.position
            else { return sorted }
            for index in sorted.indices
            where RuleCatalog.rotatedPast(
                enabled: !sorted[index].disabled, identity: sorted[index].identity, rotations: rotations,
                thresholds: thresholds, now: clock) != nil
            {
                sorted[index].matchedRules.insert(position)
            }
            return sorted
        }
    }
}

extension PreviousSnapshot: PreviousKeys {
    package func positions(of current: [KeyRecord]) -> [Int] {
        var positions = [Int](repeating: -1, count: current.count)
        // A snapshot's keys are sorted by identity, and so are these: one merge walk. Keys built otherwise (not
        // strictly ascending) are searched for one by one.
        var next = 0
        for index in current.indices {
            let identity = current[index].identity
            guard index == 0 || current[index - 1].identity < identity else {
                return current.map { self.index(of: $0.identity) ?? -1 }
            }
            while next < keys.count && keys[next].identity < identity { next += 1 }
            if next < keys.count && keys[next].identity == identity { positions[index] = next }
        }
        return positions
    }

    package func state(at position: Int) -> PreviousKeyState { keys[position].state }

    package func matched(rule id: String, at position: Int) -> Bool {
        guard let rule = rules.position(of: id) else { return false }
        return keys[position].matchedRules.contains(rule)
    }

    /// Whether rule `id` matched the key `identity` (a search; the audit goes by ``positions(of:)``).
    package func matched(rule id: String, identity: String) -> Bool {
        index(of: identity).map { matched(rule: id, at: $0) } ?? false
    }
}

extension AuditHistory {
    /// A whole previous snapshot (tests, `keyaudit diff`), condensed under `policy` at its own `takenAt`.
    package init(
        snapshot: Snapshot, policy: Policy, now: Date, firstSeen: [String: Date]? = nil,
        brokenChain: BrokenChain? = nil
    ) {
        self.init(
            keys: PreviousSnapshot(snapshot, policy: policy, now: now), firstSeen: firstSeen, brokenChain: brokenChain)
    }
}
