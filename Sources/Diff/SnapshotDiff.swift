import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// What changed between two snapshots of the same account. Identity is the key's hash, so a renamed key
/// is the same key with a changed `name`.
public struct SnapshotDiff: Sendable {
    package static let schemaVersion = 1
    package static let fileName = "diff.json"

    /// One side of the comparison: which snapshot file, taken when, with which checksum.
    public struct Endpoint: Sendable {
        /// The snapshot file: relative to the output folder in a run (`20261125T030000Z/snapshot.json`),
        /// as given to `keyaudit diff` otherwise.
        public var path: String
        /// The snapshot's `taken_at`; nil when the file does not say (a raw key list).
        public var takenAt: Date?
        /// SHA-256 of the snapshot file's bytes, lower-case hex.
        public var sha256: String

        package init(path: String, takenAt: Date?, sha256: String) {
            self.path = path
            self.takenAt = takenAt
            self.sha256 = sha256
        }
    }

    /// A key found in only one of the two snapshots (added or removed).
    public struct KeyRef: Sendable, Equatable {
        /// The key's ``KeyRecord/identity``: its `hash`, or a `~nohash-…` stand-in when it had none.
        public var hash: String
        /// Its `name` in the snapshot that has it; nil when missing or unreadable.
        public var name: String?
        /// Its `workspace_id`; nil when the API sent none.
        public var workspaceId: String?
    }

    /// One field's change; nil `from`/`to` means the field was absent (distinct from a JSON null).
    public struct FieldChange: Sendable, Equatable {
        /// The key object's member, as the API names it, e.g. `limit` or `disabled`.
        public var field: String
        /// The value in the older snapshot; nil when the field was absent there.
        public var from: JSONValue?
        /// The value in the newer snapshot; nil when the field is absent now.
        public var to: JSONValue?
    }

    /// A key in both snapshots whose configuration changed (volatile fields such as usage are not compared).
    public struct KeyChange: Sendable {
        /// The key's ``KeyRecord/identity``: its `hash`, or a `~nohash-…` stand-in when it has none.
        public var hash: String
        /// The current name.
        public var name: String?
        /// Its current `workspace_id`; nil when the API sent none.
        public var workspaceId: String?
        /// The configuration fields that differ: in the current object's order, then fields only the old one had.
        public var changes: [FieldChange]
    }

    /// One key in both snapshots whose `usage` or `byok_usage` moved, with both readings.
    public struct KeySpend: Sendable {
        /// The key's ``KeyRecord/identity``: its `hash`, or a `~nohash-…` stand-in when it has none.
        public var hash: String
        /// Its current `name`; nil when missing or unreadable.
        public var name: String?
        /// Lifetime `usage` in the older snapshot, USD; 0 when absent or unreadable there.
        public var usageFrom: Double
        /// Lifetime `usage` in the newer snapshot, USD; 0 when absent or unreadable.
        public var usageTo: Double
        /// Lifetime `byok_usage` in the older snapshot, USD; 0 when absent or unreadable there.
        public var byokFrom: Double
        /// Lifetime `byok_usage` in the newer snapshot, USD; 0 when absent or unreadable.
        public var byokTo: Double
        /// Growth of usage + byok_usage; 0 when a counter went down.
        public var growth: Double { max(0, usageTo - usageFrom) + max(0, byokTo - byokFrom) }
        /// A counter went down: the key was reset or recreated; never counted as negative spend.
        public var counterWentDown: Bool { usageTo < usageFrom || byokTo < byokFrom }
    }

    /// Spend between the two snapshots, from the keys' lifetime `usage` and `byok_usage` counters.
    public struct Spend: Sendable {
        /// Seconds between the two snapshots' `taken_at`; nil when either is unknown.
        public var elapsedSeconds: Double?
        /// Growth of `usage` summed over keys in both snapshots, USD; a counter that went down adds 0.
        public var usageGrowth: Double
        /// Growth of `byok_usage` summed over keys in both snapshots, USD; a counter that went down adds 0.
        public var byokGrowth: Double
        /// Keys whose usage moved (up, or down as a reset), by hash.
        public var keys: [KeySpend]
        /// `usageGrowth + byokGrowth`, USD (keys added since the older snapshot are not counted).
        public var total: Double { usageGrowth + byokGrowth }

        /// The largest spenders since the previous snapshot, largest first (ties by hash).
        ///
        /// One pass keeping the best `count` in order: sorting 100,000 keys for the top ten cost 0.12 s.
        public func top(_ count: Int) -> [KeySpend] {
            guard count > 0 else { return [] }
            func before(_ a: KeySpend, _ b: KeySpend) -> Bool {
                a.growth != b.growth ? a.growth > b.growth : a.hash < b.hash
            }
            var best: [KeySpend] = []
            for key in keys where key.growth > 0 {
                if best.count == count, let last = best.last, !before(key, last) { continue }
                best.insert(key, at: best.firstIndex { before(key, $0) } ?? best.count)
                if best.count > count { best.removeLast() }
            }
            return best
        }

        /// Keys whose `usage` or `byok_usage` went down (the key was reset or recreated).
        public var counterResets: [KeySpend] { keys.filter(\.counterWentDown) }
    }

    /// Finding ids (`<rule>:<key hash>`) compared between the two runs; each list sorted.
    public struct FindingChanges: Sendable {
        /// Ids found now that the older run did not have.
        public var new: [String]
        /// Ids the older run had that are no longer found.
        public var resolved: [String]
        /// Ids found by both runs.
        public var persisting: [String]
    }

    /// The older snapshot.
    public var from: Endpoint
    /// The newer snapshot (in a run, this run's).
    public var to: Endpoint
    /// Keys only in the newer snapshot, sorted by identity.
    public var added: [KeyRef]
    /// Keys only in the older snapshot (deleted since), sorted by identity.
    public var removed: [KeyRef]
    /// Keys in both whose configuration changed, sorted by identity.
    public var changed: [KeyChange]
    /// Spend between the two snapshots.
    public var spend: Spend
    /// Finding ids new, resolved and persisting since the older run.
    public var findings: FindingChanges

    /// True when no key was added, removed, reconfigured or spent, and no finding is new or resolved.
    public var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && spend.keys.isEmpty && findings.new.isEmpty
            && findings.resolved.isEmpty
    }

    /// Compares `previous` with `current`; finding ids come from each side's findings (file or recomputed).
    package static func compare(
        previous: Snapshot, from: Endpoint, previousFindingIDs: Set<String>,
        current: Snapshot, to: Endpoint, currentFindingIDs: Set<String>
    ) -> SnapshotDiff {
        compare(
            previous: PreviousSnapshot(previous, policy: Policy(), now: previous.takenAt ?? Date()), from: from,
            previousFindingIDs: previousFindingIDs, current: current, to: to, currentFindingIDs: currentFindingIDs)
    }

    /// Compares a condensed previous snapshot with `current`.
    package static func compare(
        previous: PreviousSnapshot, from: Endpoint, previousFindingIDs: Set<String>,
        current: Snapshot, to: Endpoint, currentFindingIDs: Set<String>
    ) -> SnapshotDiff {
        compare(
            previous: previous, from: from, current: current, to: to,
            findings: FindingChanges(
                new: currentFindingIDs.subtracting(previousFindingIDs).sorted(),
                resolved: previousFindingIDs.subtracting(currentFindingIDs).sorted(),
                persisting: currentFindingIDs.intersection(previousFindingIDs).sorted()))
    }

    /// Compares a condensed previous snapshot with `current`, whose audit already marked each finding new or
    /// persisting against the same previous run (its findings.json, or the rules it matched per key): only
    /// the resolved ones are left to find, and no set of 170,000 ids is built for either side.
    package static func compare(
        previous: PreviousSnapshot, from: Endpoint, previousFirstSeen: [String: Date]?,
        current: Snapshot, to: Endpoint, audit: AuditResult
    ) -> SnapshotDiff {
        var new: [String] = []
        var persisting: [String] = []
        let rules = previous.rules
        let positions = previous.positions(of: current.keys)
        // The rules that matched each current key now, by its position in `current` (the audit's findings know
        // it); by identity for a finding whose key is not found there (an audit of other keys: tests).
        var rulesByKey = [RuleSet](repeating: RuleSet(), count: current.keys.count)
        var rulesByIdentity: [String: RuleSet] = [:]
        var snapshotFindings = Set<String>()
        for finding in audit.findings {
            if finding.status == .persisting { persisting.append(finding.id) } else { new.append(finding.id) }
            if let hash = finding.keyHash, let position = rules.position(of: finding.rule) {
                if let index = finding.keyIndex, index < current.keys.count, current.keys[index].identity == hash {
                    rulesByKey[index].insert(position)
                } else {
                    rulesByIdentity[hash, default: RuleSet()].insert(position)
                }
            } else {
                snapshotFindings.insert(finding.id)
            }
        }
        var resolved: [String] = []
        if let previousFirstSeen {
            // Ids from a findings.json: looked up by identity.
            for (index, key) in current.keys.enumerated() where !rulesByKey[index].isEmpty {
                rulesByIdentity[key.identity, default: RuleSet()].formUnion(rulesByKey[index])
            }
            for id in previousFirstSeen.keys {
                let (rule, hash) = (id.prefix { $0 != ":" }, id.drop { $0 != ":" }.dropFirst())
                if let position = rules.position(of: String(rule)) {
                    if !(rulesByIdentity[String(hash)]?.contains(position) ?? false) { resolved.append(id) }
                } else if !snapshotFindings.contains(id) {
                    resolved.append(id)
                }
            }
        } else {
            var currentOf = [Int](repeating: -1, count: previous.keys.count)
            for index in positions.indices where positions[index] >= 0 {
                let position = positions[index]
                if currentOf[position] < 0 {
                    currentOf[position] = index
                } else {
                    // The same identity twice among the current keys (not in a snapshot, whose keys are unique).
                    rulesByIdentity[current.keys[index].identity, default: RuleSet()].formUnion(rulesByKey[index])
                }
            }
            for (position, key) in previous.keys.enumerated() where !key.matchedRules.isEmpty {
                var still = rulesByIdentity.isEmpty ? RuleSet() : rulesByIdentity[key.identity] ?? RuleSet()
                if currentOf[position] >= 0 { still.formUnion(rulesByKey[currentOf[position]]) }
                for rule in key.matchedRules.positions where !still.contains(rule) {
                    resolved.append(rules.rules[rule].id + ":" + key.identity)
                }
            }
        }
        new.sort()
        persisting.sort()
        resolved.sort()
        return compare(
            previous: previous, from: from, current: current, to: to,
            findings: FindingChanges(new: new, resolved: resolved, persisting: persisting), positions: positions)
    }

    /// - Parameter positions: `previous.positions(of: current.keys)`, when the caller has it already.
    static func compare(
        previous: PreviousSnapshot, from: Endpoint, current: Snapshot, to: Endpoint, findings: FindingChanges,
        positions: [Int]? = nil
    ) -> SnapshotDiff {
        var added: [KeyRef] = []
        var changed: [KeyChange] = []
        var spends: [KeySpend] = []
        var usageGrowth = 0.0
        var byokGrowth = 0.0
        let positions = positions ?? previous.positions(of: current.keys)
        let before = previous.keys
        var kept = [Bool](repeating: false, count: before.count)
        for (index, key) in current.keys.enumerated() {
            let position = positions[index]
            guard position >= 0 else {
                added.append(KeyRef(hash: key.identity, name: key.name, workspaceId: key.workspaceId))
                continue
            }
            kept[position] = true
            let changes = before[position].changes ?? configurationChanges(before[position].configuration, key.raw)
            if !changes.isEmpty {
                changed.append(
                    KeyChange(hash: key.identity, name: key.name, workspaceId: key.workspaceId, changes: changes))
            }
            let spend = KeySpend(
                hash: key.identity, name: key.name, usageFrom: before[position].usage ?? 0, usageTo: key.usage ?? 0,
                byokFrom: before[position].byokUsage ?? 0, byokTo: key.byokUsage ?? 0)
            if spend.usageFrom != spend.usageTo || spend.byokFrom != spend.byokTo {
                spends.append(spend)
                usageGrowth += max(0, spend.usageTo - spend.usageFrom)
                byokGrowth += max(0, spend.byokTo - spend.byokFrom)
            }
        }
        let removed = before.indices.filter { !kept[$0] }.map {
            KeyRef(hash: before[$0].identity, name: before[$0].name, workspaceId: before[$0].workspaceId)
        }
        var elapsed: Double?
        if let start = from.takenAt, let end = to.takenAt { elapsed = end.timeIntervalSince(start) }
        return SnapshotDiff(
            from: from, to: to, added: added, removed: removed, changed: changed,
            spend: Spend(elapsedSeconds: elapsed, usageGrowth: usageGrowth, byokGrowth: byokGrowth, keys: spends),
            findings: findings)
    }

    /// Configuration fields that differ between a condensed previous key and the current one. The common case,
    /// nothing changed, is one comparison of bytes.
    static func configurationChanges(_ old: [UInt8], _ new: JSONObject) -> [FieldChange] {
        let current = KeyRecord.configuration(of: new)
        guard current != old else { return [] }
        guard let before = try? JSONParser.parse(old).objectValue else { return [] }
        return fieldChanges(before, new)
    }

    /// Configuration fields that differ, in the order they appear (current first, then fields only the old key had).
    static func fieldChanges(_ old: JSONObject, _ new: JSONObject) -> [FieldChange] {
        // Fast path: the same fields in the same order (nearly every key between two listings) compare
        // position by position, without a lookup per field.
        if old.keys == new.keys {
            var changes: [FieldChange] = []
            for index in new.keys.indices where !KeyRecord.volatileFields.contains(new.keys[index]) {
                if !old.values[index].sameValue(as: new.values[index]) {
                    changes.append(FieldChange(field: new.keys[index], from: old.values[index], to: new.values[index]))
                }
            }
            return changes
        }
        var changes: [FieldChange] = []
        for (field, value) in zip(new.keys, new.values) where !KeyRecord.volatileFields.contains(field) {
            let previous = old[field]
            if previous == nil || !previous!.sameValue(as: value) {
                changes.append(FieldChange(field: field, from: previous, to: value))
            }
        }
        for (field, value) in zip(old.keys, old.values)
        where !KeyRecord.volatileFields.contains(field) && new[field] == nil {
            changes.append(FieldChange(field: field, from: value, to: nil))
        }
        return changes
    }
}
