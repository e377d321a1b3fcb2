import Foundation

/// One check keyaudit runs, with everything a reviewer needs to understand and fix what it finds.
public struct Rule: Sendable {
    public enum Scope: String, Sendable {
        /// Evaluated on every key.
        case key
        /// Evaluated once on the snapshot (its chain, its coverage).
        case snapshot
    }

    /// Part of the contract: policy files and suppressions name rules by id.
    public let id: String
    public let scope: Scope
    public let defaultSeverity: Severity
    /// When the severity depends on the evidence, how.
    public let severityNote: String?
    public let title: String
    public let risk: String
    /// How to fix it, with the Management API call; `{hash}` stands for the key's hash.
    public let remediation: String
    public let evidenceFields: [String]
    /// Whether `evaluate` reads the previous snapshot's key (the audit keeps it for the findings' text).
    var readsPrevious = false
    /// Pure: the same key, previous key, thresholds and clock give the same answer.
    let evaluate: @Sendable (RuleInput) -> RuleMatch?

    /// `remediation` cut at each `{hash}`: split once per run, joined per finding (there can be 100,000).
    var remediationParts: [String] {
        remediation.split(separator: "{hash}", omittingEmptySubsequences: false).map(String.init)
    }
}

/// What a key rule sees.
struct RuleInput {
    var key: KeyRecord
    /// The same key (by hash) in the previous snapshot, if there was one.
    var previous: PriorSnapshot.Key?
    var thresholds: Policy.Thresholds
    /// The run's clock, seconds since 1970.
    var now: Double
}

/// What a rule reports when it matches.
struct RuleMatch {
    /// nil: the rule's default severity.
    var severity: Severity?
    var message: String
    var evidence: [(String, JSONValue)]
}

extension JSONValue {
    static func seconds(_ value: Double?) -> JSONValue {
        value.map { .string(Timestamp.format(Date(timeIntervalSince1970: $0))) } ?? .null
    }
    static func money(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    /// A finite number, or null (JSON has no NaN or infinity).
    static func double(_ value: Double) -> JSONValue { JSONNumber(value).map { .number($0) } ?? .null }
    static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
}
