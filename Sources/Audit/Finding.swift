import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// One rule matched on one key (or on the snapshot as a whole), with what it saw and how to fix it.
///
/// A run can hold 170,000 of these (a million is possible: ten rules on 100,000 keys), so a finding from the
/// audit stores only what cannot be derived: rule, severity, status, first_seen, suppression and which key.
/// Its message and evidence are computed again from the key when asked for: rules are pure functions of the
/// key, the previous key, the thresholds and the clock, which the audit keeps once for all its findings
/// (``KeyFindingSource``). Stored, the text costs about 450 bytes a finding; derived, nothing. Id, title
/// and remediation are likewise built from the rule and the key hash. Findings read back from a
/// findings.json, and the snapshot-wide ones, carry their text.
public struct Finding: Sendable {
    /// Whether the previous run already had this finding (same id).
    public enum Status: String, Sendable {
        case new, persisting
    }

    /// The id of the rule that matched, e.g. `stale-key`.
    public var rule: String
    /// The severity in force: the policy's override, else the rule's graded or default severity.
    public var severity: Severity
    /// When the finding was first seen: from the previous findings.json, else the previous snapshot's time when
    /// it matched there too, else this run's clock.
    public var firstSeen: Date
    /// `persisting` when the previous run had a finding with the same id, `new` otherwise.
    public var status: Status
    private let source: Source
    private var suppressionBox: SuppressionBox?

    private enum Source: Sendable {
        /// Key `index` of the audited snapshot.
        case key(KeyFindingSource, index: Int32)
        case stored(StoredFinding)
    }

    /// A finding with its text given (read back from findings.json, or about the snapshot as a whole).
    package init(
        id: String? = nil, rule: String, severity: Severity, keyHash: String?, keyName: String?, workspaceId: String?,
        title: String, message: String, evidence: JSONObject, remediation: String? = nil, suppression: Suppression?,
        firstSeen: Date, status: Status
    ) {
        self.rule = rule
        self.severity = severity
        self.firstSeen = firstSeen
        self.status = status
        self.suppressionBox = suppression.map(SuppressionBox.init)
        self.source = .stored(
            StoredFinding(
                keyHash: keyHash, keyName: keyName, workspaceId: workspaceId, message: message, evidence: evidence,
                id: id.flatMap { $0 == Self.id(rule: rule, keyHash: keyHash) ? nil : $0 },
                title: title == RuleCatalog.rule(rule)?.title ? nil : title,
                remediation: remediation.flatMap { $0 == Self.remediation(rule: rule, keyHash: keyHash) ? nil : $0 }
            ))
    }

    /// A finding of the audit on key `index` of `source`; its text is derived when asked for.
    init(rule: String, severity: Severity, source: KeyFindingSource, index: Int, firstSeen: Date) {
        self.rule = rule
        self.severity = severity
        self.firstSeen = firstSeen
        self.status = .new
        self.source = .key(source, index: Int32(index))
    }

    /// nil for findings about the snapshot as a whole (`broken-chain`, `incomplete-coverage`).
    public var keyHash: String? {
        switch source {
        case .key(let keys, let index): return keys.keys[Int(index)].identity
        case .stored(let stored): return stored.keyHash
        }
    }

    /// The key's `name` as received (hostile text); nil for snapshot findings or a key without a readable name.
    public var keyName: String? {
        switch source {
        case .key(let keys, let index): return keys.keys[Int(index)].name
        case .stored(let stored): return stored.keyName
        }
    }

    /// The key's `workspace_id`; nil for snapshot findings or when the API sent none.
    public var workspaceId: String? {
        switch source {
        case .key(let keys, let index): return keys.keys[Int(index)].workspaceId
        case .stored(let stored): return stored.workspaceId
        }
    }

    /// The audited key itself, for a finding of the audit; nil for findings read back from a findings.json and
    /// for snapshot findings (look the key up by ``keyHash`` then).
    package var auditedKey: KeyRecord? {
        if case .key(let keys, let index) = source { return keys.keys[Int(index)] }
        return nil
    }

    /// The position of its key in the audited snapshot's keys; nil as for ``auditedKey``.
    package var keyIndex: Int? {
        if case .key(_, let index) = source { return Int(index) }
        return nil
    }

    /// The key's `creator_user_id`, read without copying the key; nil as for ``auditedKey`` or when it has none.
    package var creatorUserId: String? {
        if case .key(let keys, let index) = source { return keys.keys[Int(index)].creatorUserId }
        return nil
    }

    /// The message and the evidence together (one evaluation of the rule where they are derived).
    public var text: (message: String, evidence: JSONObject) {
        switch source {
        case .key(let keys, let index):
            guard let match = keys.match(rule: rule, index: Int(index)) else { return ("", JSONObject()) }
            return (match.message, JSONObject(match.evidence))
        case .stored(let stored):
            return (stored.message, stored.evidence)
        }
    }

    /// What was found on this key, in one sentence with the values the rule saw. (Only the message: the
    /// workbook asks it of every finding, and the evidence would be built for nothing.)
    public var message: String {
        switch source {
        case .key(let keys, let index): return keys.match(rule: rule, index: Int(index))?.message ?? ""
        case .stored(let stored): return stored.message
        }
    }

    /// What the rule looked at, in a fixed order.
    public var evidence: JSONObject {
        switch source {
        case .key(let keys, let index):
            return keys.match(rule: rule, index: Int(index)).map { JSONObject($0.evidence) } ?? JSONObject()
        case .stored(let stored): return stored.evidence
        }
    }

    /// `<rule>:<key hash>` (`<rule>:snapshot` for snapshot findings): stable across runs, so findings can be
    /// followed from night to night.
    public var id: String { stored?.id ?? Self.id(rule: rule, keyHash: keyHash) }

    /// The rule's title.
    public var title: String { stored?.title ?? RuleCatalog.rule(rule)?.title ?? rule }

    /// How to fix it, with the Management API call for this key.
    public var remediation: String { stored?.remediation ?? Self.remediation(rule: rule, keyHash: keyHash) }

    /// The active suppression that silences it (the first matching one in policy order); nil when it counts.
    public var suppression: Suppression? {
        get { suppressionBox?.value }
        set { suppressionBox = newValue.map(SuppressionBox.init) }
    }

    /// Whether an active suppression covers it: it stays in the reports but not in the counts or `--fail-on`.
    public var suppressed: Bool { suppressionBox != nil }

    private var stored: StoredFinding? {
        if case .stored(let stored) = source { return stored }
        return nil
    }

    static func id(rule: String, keyHash: String?) -> String { rule + ":" + (keyHash ?? "snapshot") }

    static func remediation(rule id: String, keyHash: String?) -> String {
        guard let parts = remediationParts[id] else { return "" }
        // A key without a usable hash (`~nohash-…`) gets the template as written: there is no call to name.
        guard let keyHash, !keyHash.hasPrefix(KeyRecord.noHashPrefix) else { return parts.joined(separator: "{hash}") }
        return parts.joined(separator: keyHash)
    }

    /// Each rule's remediation cut at `{hash}`: split once, joined per finding.
    private static let remediationParts: [String: [String]] = Dictionary(
        uniqueKeysWithValues: RuleCatalog.all.map { ($0.id, $0.remediationParts) })

    /// Most severe first, then rule, then key: the order of findings.json and the reports.
    package static func reportOrder(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
        if lhs.rule != rhs.rule { return lhs.rule < rhs.rule }
        return (lhs.keyHash ?? "snapshot") < (rhs.keyHash ?? "snapshot")
    }
}

/// What the findings of one audit are derived from: the audited keys, the previous keys the rules that read
/// them need, the thresholds and the clock. Shared by all of them.
final class KeyFindingSource: Sendable {
    let keys: [KeyRecord]
    /// By key index, only for keys with a finding of a rule that reads the previous key.
    let previous: [Int32: PreviousKeyState]
    let thresholds: Policy.Thresholds
    let clock: Double
    /// The rules the audit ran, by id (the catalog, or the list a test gave).
    let rules: [String: Rule]
    let rotations: RotationIndex

    init(
        keys: [KeyRecord], previous: [Int32: PreviousKeyState], thresholds: Policy.Thresholds, clock: Double,
        rules: [Rule], rotations: RotationIndex
    ) {
        self.rotations = rotations
        self.keys = keys
        self.previous = previous
        self.thresholds = thresholds
        self.clock = clock
        self.rules = Dictionary(rules.map { ($0.id, $0) }) { first, _ in first }
    }

    func match(rule id: String, index: Int) -> RuleMatch? {
        guard let rule = rules[id] else { return nil }
        return rule.evaluate(
            RuleInput(
                key: keys[index], previous: previous[Int32(index)], thresholds: thresholds, now: clock,
                rotations: rotations))
    }
}

/// The text of a finding that carries it.
private final class StoredFinding: Sendable {
    let keyHash: String?
    let keyName: String?
    let workspaceId: String?
    let message: String
    let evidence: JSONObject
    /// Set only where a stored finding's id, title or remediation differs from what this version derives.
    let id: String?
    let title: String?
    let remediation: String?

    init(
        keyHash: String?, keyName: String?, workspaceId: String?, message: String, evidence: JSONObject, id: String?,
        title: String?, remediation: String?
    ) {
        self.keyHash = keyHash
        self.keyName = keyName
        self.workspaceId = workspaceId
        self.message = message
        self.evidence = evidence
        self.id = id
        self.title = title
        self.remediation = remediation
    }
}

/// One suppression shared by every finding it silences.
private final class SuppressionBox: Sendable {
    let value: Suppression
    init(_ value: Suppression) { self.value = value }
}
