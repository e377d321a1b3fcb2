import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// One check keyaudit runs, with everything a reviewer needs to understand and fix what it finds.
public struct Rule: Sendable {
    /// What a rule is evaluated on.
    public enum Scope: String, Sendable {
        /// Evaluated on every key.
        case key
        /// Evaluated once on the snapshot (its chain, its coverage).
        case snapshot
    }

    /// Part of the contract: policy files and suppressions name rules by id.
    public let id: String
    /// Whether it runs on each key or once on the whole snapshot.
    public let scope: Scope
    /// The severity of its findings unless the rule grades them (see `severityNote`) or the policy overrides it.
    public let defaultSeverity: Severity
    /// When the severity depends on the evidence, how.
    public let severityNote: String?
    /// A short heading for its findings and `keyaudit rules`, e.g. "Key not reviewed or rotated".
    public let title: String
    /// Why a match matters, in a few sentences (printed by `keyaudit rules`).
    public let risk: String
    /// How to fix it, with the Management API call; `{hash}` stands for the key's hash.
    public let remediation: String
    /// Names of the members of its findings' `evidence`, in order (printed by `keyaudit rules`).
    public let evidenceFields: [String]
    /// Whether `evaluate` reads the previous snapshot's key (the audit keeps it for the findings' text).
    package var readsPrevious = false
    /// Pure: the same key, previous key, thresholds and clock give the same answer.
    package let evaluate: @Sendable (RuleInput) -> RuleMatch?

    package init(
        id: String, scope: Scope, defaultSeverity: Severity, severityNote: String?, title: String, risk: String,
        remediation: String, evidenceFields: [String], readsPrevious: Bool = false,
        evaluate: @escaping @Sendable (RuleInput) -> RuleMatch?
    ) {
        self.id = id
        self.scope = scope
        self.defaultSeverity = defaultSeverity
        self.severityNote = severityNote
        self.title = title
        self.risk = risk
        self.remediation = remediation
        self.evidenceFields = evidenceFields
        self.readsPrevious = readsPrevious
        self.evaluate = evaluate
    }

    /// `remediation` cut at each `{hash}`: split once per run, joined per finding (there can be 100,000).
    var remediationParts: [String] {
        remediation.split(separator: "{hash}", omittingEmptySubsequences: false).map(String.init)
    }
}

/// What a key rule sees.
package struct RuleInput {
    package init(
        key: KeyRecord, previous: PreviousKeyState?, thresholds: Policy.Thresholds, now: Double,
        rotations: RotationIndex = RotationIndex()
    ) {
        self.key = key
        self.previous = previous
        self.thresholds = thresholds
        self.now = now
        self.rotations = rotations
    }

    package var key: KeyRecord
    /// The same key (by hash) in the previous snapshot, if there was one.
    package var previous: PreviousKeyState?
    package var thresholds: Policy.Thresholds
    /// The run's clock, seconds since 1970.
    package var now: Double
    /// Which keys of the same snapshot were rotated into which (for `rotated-predecessor-active`).
    package var rotations: RotationIndex
}

/// What a rule reports when it matches.
///
/// The message and the evidence are built when read, not when the rule matches: the audit and the previous
/// snapshot's reader only ask whether a rule matched (and at which severity) for every key of two snapshots,
/// and building each sentence, timestamp and evidence list there cost about half a second at 100,000 keys. A
/// finding reads them from here when its text is wanted (see ``Finding``).
package struct RuleMatch {
    /// nil: the rule's default severity.
    package var severity: Severity?
    private let makeMessage: () -> String
    private let makeEvidence: () -> [(String, JSONValue)]

    package init(
        severity: Severity?, message: @autoclosure @escaping () -> String,
        evidence: @autoclosure @escaping () -> [(String, JSONValue)]
    ) {
        self.severity = severity
        self.makeMessage = message
        self.makeEvidence = evidence
    }

    /// What was found, in one sentence with the values the rule saw.
    package var message: String { makeMessage() }
    /// What the rule looked at, in a fixed order.
    package var evidence: [(String, JSONValue)] { makeEvidence() }
}
