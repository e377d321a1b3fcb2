import Foundation

/// One rule matched on one key (or on the snapshot as a whole), with what it saw and how to fix it.
public struct Finding: Sendable {
    public enum Status: String, Sendable {
        case new, persisting
    }

    /// `<rule>:<key hash>`: stable across runs, so findings can be followed from night to night.
    public var id: String
    public var rule: String
    public var severity: Severity
    /// nil for findings about the snapshot as a whole (`broken-chain`, `incomplete-coverage`).
    public var keyHash: String?
    public var keyName: String?
    public var workspaceId: String?
    public var title: String
    public var message: String
    /// What the rule looked at, in a fixed order.
    public var evidence: JSONObject
    public var remediation: String
    public var suppression: Suppression?
    public var firstSeen: Date
    public var status: Status

    public var suppressed: Bool { suppression != nil }

    /// Most severe first, then rule, then key: the order of findings.json and the reports.
    public static func reportOrder(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
        if lhs.rule != rhs.rule { return lhs.rule < rhs.rule }
        return lhs.id < rhs.id
    }
}
