import Foundation

/// One rule matched on one key (or on the snapshot as a whole), with what it saw and how to fix it.
///
/// A run can hold 170,000 of these, so what can be derived is not stored: the id and the remediation are
/// built from the rule and the key hash when asked for (they cost about 450 bytes a finding when stored),
/// and the suppression is a shared reference rather than eight strings copied into every finding.
public struct Finding: Sendable {
    public enum Status: String, Sendable {
        case new, persisting
    }

    public var rule: String
    public var severity: Severity
    /// nil for findings about the snapshot as a whole (`broken-chain`, `incomplete-coverage`).
    public var keyHash: String?
    public var keyName: String?
    public var workspaceId: String?
    public var message: String
    /// What the rule looked at, in a fixed order.
    public var evidence: JSONObject
    public var firstSeen: Date
    public var status: Status

    /// Set only when a stored finding's id, title or remediation differs from what this version derives.
    private var stored: StoredText?
    private var suppressionBox: SuppressionBox?

    public init(
        id: String? = nil, rule: String, severity: Severity, keyHash: String?, keyName: String?, workspaceId: String?,
        title: String, message: String, evidence: JSONObject, remediation: String? = nil, suppression: Suppression?,
        firstSeen: Date, status: Status
    ) {
        self.rule = rule
        self.severity = severity
        self.keyHash = keyHash
        self.keyName = keyName
        self.workspaceId = workspaceId
        self.message = message
        self.evidence = evidence
        self.firstSeen = firstSeen
        self.status = status
        self.suppressionBox = suppression.map(SuppressionBox.init)
        let text = StoredText(
            id: id.flatMap { $0 == Self.id(rule: rule, keyHash: keyHash) ? nil : $0 },
            title: title == RuleCatalog.rule(rule)?.title ? nil : title,
            remediation: remediation.flatMap { $0 == Self.remediation(rule: rule, keyHash: keyHash) ? nil : $0 })
        if text.id != nil || text.title != nil || text.remediation != nil { stored = text }
    }

    /// `<rule>:<key hash>` (`<rule>:snapshot` for snapshot findings): stable across runs, so findings can be
    /// followed from night to night.
    public var id: String { stored?.id ?? Self.id(rule: rule, keyHash: keyHash) }

    /// The rule's title.
    public var title: String { stored?.title ?? RuleCatalog.rule(rule)?.title ?? rule }

    /// How to fix it, with the Management API call for this key.
    public var remediation: String { stored?.remediation ?? Self.remediation(rule: rule, keyHash: keyHash) }

    public var suppression: Suppression? {
        get { suppressionBox?.value }
        set { suppressionBox = newValue.map(SuppressionBox.init) }
    }

    public var suppressed: Bool { suppressionBox != nil }

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
    public static func reportOrder(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
        if lhs.rule != rhs.rule { return lhs.rule < rhs.rule }
        return (lhs.keyHash ?? "snapshot") < (rhs.keyHash ?? "snapshot")
    }
}

/// What a finding read back from an older findings.json says differently from this version.
private final class StoredText: Sendable {
    let id: String?
    let title: String?
    let remediation: String?
    init(id: String?, title: String?, remediation: String?) {
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
