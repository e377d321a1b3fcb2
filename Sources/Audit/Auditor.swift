import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// The audit of one snapshot: findings in report order, and how each suppression fared.
public struct AuditResult: Sendable {
    /// Every finding, suppressed ones included: most severe first, then by rule id and key hash.
    public var findings: [Finding]
    /// One entry per suppression of the policy, in the policy's order, with how it fared.
    public var suppressions: [SuppressionStatus]
    /// The policy the audit ran under (recorded in findings.json and stated in every report).
    public var policy: Policy

    package init(findings: [Finding], suppressions: [SuppressionStatus], policy: Policy) {
        self.findings = findings
        self.suppressions = suppressions
        self.policy = policy
    }

    /// A copy: at 170,000 findings, 30 MB. Prefer ``unsuppressedCount`` or a loop with `where !suppressed`.
    package var unsuppressed: [Finding] { findings.filter { !$0.suppressed } }

    /// Findings no active suppression covers: what the reports count and `--fail-on` looks at.
    public var unsuppressedCount: Int { findings.count { !$0.suppressed } }

    /// Unsuppressed findings per key identity (the reports' and the workbook's "findings" column).
    package func unsuppressedCountByKey() -> [String: Int] {
        var counts: [String: Int] = [:]
        for finding in findings where !finding.suppressed {
            if let hash = finding.keyHash { counts[hash, default: 0] += 1 }
        }
        return counts
    }
}

/// How one suppression of the policy fared in this run.
public struct SuppressionStatus: Sendable {
    /// Where a suppression stands at the run's clock (`state` in findings.json and the reports).
    public enum State: String, Sendable {
        /// Suppressing, and not expiring within the warning window.
        case active
        /// Suppressing, but lapses within `suppression_warning_days`.
        case expiringSoon = "expiring-soon"
        /// Lapsed: the findings it matches count again.
        case expired
        /// In force but matched no finding (a typo, or the risk is gone): worth removing.
        case unmatched
    }

    /// The suppression as the policy states it.
    public var suppression: Suppression
    /// Active, expiring soon, expired or unmatched, judged at the run's clock.
    public var state: State
    /// Findings it matched (suppressed while active, counted again once expired).
    public var matched: Int

    package init(suppression: Suppression, state: State, matched: Int) {
        self.suppression = suppression
        self.state = state
        self.matched = matched
    }
}

/// What the rules read of a key as the previous snapshot had it.
package struct PreviousKeyState: Sendable {
    package var disabled: Bool
    package var usage: Double?
    package var byokUsage: Double?

    package init(disabled: Bool, usage: Double?, byokUsage: Double?) {
        self.disabled = disabled
        self.usage = usage
        self.byokUsage = byokUsage
    }

    package var isDisabled: Bool { disabled }
}

/// The previous snapshot as the audit sees it: each key's state then, and which rules matched it then.
///
/// The Diff stage's `PreviousSnapshot` is what a run hands over (read key by key, condensed); the audit only asks
/// these questions of it, so it needs nothing from a later stage.
package protocol PreviousKeys: Sendable {
    /// When the previous snapshot was taken (first_seen of findings it already had).
    var takenAt: Date? { get }
    /// For each of `keys` in order, the position of the previous key with the same identity, or -1 when there is
    /// none: found once for all keys (one walk of two sorted lists, when both are) instead of a search per key
    /// and again per finding. The positions are for ``state(at:)`` and ``matched(rule:at:)``.
    func positions(of keys: [KeyRecord]) -> [Int]
    /// The state of the previous key at `position` (from ``positions(of:)``).
    func state(at position: Int) -> PreviousKeyState
    /// Whether rule `id` matched the previous key at `position` (from ``positions(of:)``).
    func matched(rule id: String, at position: Int) -> Bool
}

/// What is known of the run before this one, for first_seen/status and for the chain check.
package struct AuditHistory: Sendable {
    /// The previous snapshot's keys, condensed; nil on a first run.
    package var keys: (any PreviousKeys)?
    /// Finding id → first_seen, from the previous findings.json (nil when there was none).
    package var firstSeen: [String: Date]?
    /// Set when the current snapshot's `previous.sha256` does not match the previous file on disk.
    package var brokenChain: BrokenChain?

    package init(keys: (any PreviousKeys)? = nil, firstSeen: [String: Date]? = nil, brokenChain: BrokenChain? = nil) {
        self.keys = keys
        self.firstSeen = firstSeen
        self.brokenChain = brokenChain
    }
}

/// A link of the evidence chain that does not hold: a file whose sha256 is not the one recorded for it, a run
/// folder the previous-run search had to skip, a signature that does not match.
package struct BrokenChain: Sendable, Equatable {
    package var path: String
    package var recorded: String
    package var actual: String
    /// What happened, when it is more than a changed sha256 (a run skipped as unusable, a bad signature).
    package var reason: String?

    package init(path: String, recorded: String, actual: String, reason: String? = nil) {
        self.path = path
        self.recorded = recorded
        self.actual = actual
        self.reason = reason
    }

    /// One line for the finding and the warning.
    package var message: String {
        if let reason { return "\(path): \(reason)" }
        return
            "\(path) does not match the sha256 recorded for it (recorded \(recorded.prefix(12))…, now \(actual.prefix(12))…): it was altered after it was read"
    }
}

/// Runs every enabled rule over a snapshot and applies the policy's suppressions.
package enum Auditor {
    package static func audit(
        _ snapshot: Snapshot, history: AuditHistory = AuditHistory(), policy: Policy, now: Date,
        rules: [Rule] = RuleCatalog.all
    )
        -> AuditResult
    {
        let previous = history.keys
        let positions = previous?.positions(of: snapshot.keys)
        var findings = evaluate(
            snapshot, previous: previous, positions: positions, policy: policy, now: now, rules: rules)
        findings.append(contentsOf: snapshotFindings(snapshot, history: history, policy: policy, now: now))

        // first_seen and status: from the previous findings.json, else from the previous snapshot re-audited
        // (the rules it matched then are recorded per key, so no table of 170,000 ids is built for it).
        if let firstSeen = history.firstSeen {
            for index in findings.indices {
                if let seen = firstSeen[findings[index].id] {
                    findings[index].firstSeen = seen
                    findings[index].status = .persisting
                }
            }
        } else if let previous, let positions {
            let seenAt = previous.takenAt ?? now
            for index in findings.indices {
                // Every finding of `evaluate` has its key's position; the snapshot-wide ones have no key.
                guard let key = findings[index].keyIndex else { continue }
                let position = positions[key]
                if position >= 0, previous.matched(rule: findings[index].rule, at: position) {
                    findings[index].firstSeen = seenAt
                    findings[index].status = .persisting
                }
            }
        }

        var statuses: [SuppressionStatus] = []
        for suppression in policy.suppressions {
            let active = suppression.isActive(at: now)
            var matched = 0
            for index in findings.indices where suppression.matches(findings[index]) {
                matched += 1
                if active, findings[index].suppression == nil { findings[index].suppression = suppression }
            }
            let state: SuppressionStatus.State
            if !active {
                state = .expired
            } else if matched == 0 {
                state = .unmatched
            } else if suppression.expiresAt.timeIntervalSince(now)
                <= Double(policy.thresholds.suppressionWarningDays) * RuleCatalog.day
            {
                state = .expiringSoon
            } else {
                state = .active
            }
            statuses.append(SuppressionStatus(suppression: suppression, state: state, matched: matched))
        }
        // Sorted through small keys: a Finding is large, and copying two per comparison dominated the audit.
        // (rule, key hash) orders exactly as the id `<rule>:<hash>` does, without building 170,000 ids.
        // Findings without a key sort after the keys' (a workspace's by its id, after the snapshot-wide ones).
        let keys = findings.map {
            (rank: -$0.severity.rank, rule: $0.rule, key: $0.keyHash ?? "snapshot" + ($0.workspaceId ?? ""))
        }
        let order = findings.indices.sorted { keys[$0] < keys[$1] }
        findings.permute(into: order)
        return AuditResult(findings: findings, suppressions: statuses, policy: policy)
    }

    /// Key rules over every key, without suppressions or history. The findings keep only which rule matched
    /// which key; their text is derived from the same inputs when asked for (see ``Finding``).
    ///
    /// - Parameter parts: how many parts the keys are cut into, evaluated at once; nil: one per core from 20,000
    ///   keys, else one.
    /// - Parameter positions: `previous.positions(of: snapshot.keys)`, when the caller has it already.
    static func evaluate(
        _ snapshot: Snapshot, previous: (any PreviousKeys)?, positions: [Int]? = nil, policy: Policy, now: Date,
        rules: [Rule], parts: Int? = nil
    ) -> [Finding] {
        let rules = rules.filter { $0.scope == .key && policy.setting(for: $0.id).enabled }
        let clock = now.timeIntervalSince1970
        let severities = rules.map { policy.setting(for: $0.id).severity }
        let rotations = RotationIndex(snapshot.keys)
        let keys = snapshot.keys
        let positions = previous.map { positions ?? $0.positions(of: keys) } ?? []
        let thresholds = policy.thresholds
        // Every key is evaluated on its own, so the keys are cut in parts evaluated at once (one per core, from
        // 20,000 keys: below that a thread costs more than it saves) and the parts' matches joined in key order:
        // the same findings in the same order as one loop.
        let parts = max(
            1, parts ?? (keys.count >= 20_000 ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1))
        let results = PartResults(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (keys.count * part / parts)..<(keys.count * (part + 1) / parts)
            var evaluated = Evaluated()
            for index in range {
                let before = previous.flatMap { positions[index] < 0 ? nil : $0.state(at: positions[index]) }
                let input = RuleInput(
                    key: keys[index], previous: before, thresholds: thresholds, now: clock, rotations: rotations)
                for (position, rule) in rules.enumerated() {
                    guard let match = rule.evaluate(input) else { continue }
                    evaluated.matches.append(
                        (position, Int32(index), severities[position] ?? match.severity ?? rule.defaultSeverity))
                    if rule.readsPrevious, let before { evaluated.previousKeys[Int32(index)] = before }
                }
            }
            results.set(part, evaluated)
        }
        var matches: [(rule: Int, key: Int32, severity: Severity)] = []
        var previousKeys: [Int32: PreviousKeyState] = [:]
        for part in results.all {
            matches.append(contentsOf: part.matches)
            previousKeys.merge(part.previousKeys) { first, _ in first }
        }
        let source = KeyFindingSource(
            keys: snapshot.keys, previous: previousKeys, thresholds: policy.thresholds, clock: clock, rules: rules,
            rotations: rotations)
        var findings: [Finding] = []
        // Exactly sized, with room for the snapshot findings: a doubling array of 170,000 findings would hold
        // both copies for a moment.
        findings.reserveCapacity(matches.count + 4)
        for match in matches {
            findings.append(
                Finding(
                    rule: rules[match.rule].id, severity: match.severity, source: source, index: Int(match.key),
                    firstSeen: now))
        }
        return findings
    }

    /// What one part of the keys matched.
    private struct Evaluated: Sendable {
        var matches: [(rule: Int, key: Int32, severity: Severity)] = []
        var previousKeys: [Int32: PreviousKeyState] = [:]
    }

    /// The parts' results, each set once by the thread that evaluated it.
    private final class PartResults: @unchecked Sendable {
        // @unchecked: `parts` is guarded by `lock`.
        private let lock = NSLock()
        private var parts: [Evaluated]

        init(count: Int) { parts = Array(repeating: Evaluated(), count: count) }

        func set(_ part: Int, _ evaluated: Evaluated) { lock.withLock { parts[part] = evaluated } }

        /// In part order; read after `concurrentPerform` has returned.
        var all: [Evaluated] { lock.withLock { parts } }
    }

    static func snapshotFindings(_ snapshot: Snapshot, history: AuditHistory, policy: Policy, now: Date) -> [Finding] {
        var findings: [Finding] = []
        func add(_ rule: Rule, severity: Severity, message: String, evidence: [(String, JSONValue)]) {
            guard policy.setting(for: rule.id).enabled else { return }
            findings.append(
                Finding(
                    rule: rule.id,
                    severity: policy.setting(for: rule.id).severity ?? severity,
                    keyHash: nil, keyName: nil, workspaceId: nil, title: rule.title, message: message,
                    evidence: JSONObject(evidence), suppression: nil, firstSeen: now,
                    status: .new))
        }
        if let broken = history.brokenChain {
            add(
                RuleCatalog.brokenChain, severity: .critical,
                message: broken.message,
                evidence: [
                    ("snapshot", .string(broken.path)), ("recorded_sha256", .string(broken.recorded)),
                    ("actual_sha256", .string(broken.actual)),
                ] + (broken.reason.map { [("reason", JSONValue.string($0))] } ?? []))
        }
        // A workspace that held a secret: one finding per workspace, without a key (its id names the workspace).
        let rule = RuleCatalog.secretInMetadata
        if policy.setting(for: rule.id).enabled {
            var byWorkspace: [(String, [Redaction.Record])] = []
            for secret in snapshot.workspaceSecrets {
                if let index = byWorkspace.firstIndex(where: { $0.0 == secret.workspace }) {
                    byWorkspace[index].1.append(secret.record)
                } else {
                    byWorkspace.append((secret.workspace, [secret.record]))
                }
            }
            for (workspace, records) in byWorkspace {
                findings.append(
                    Finding(
                        id: "\(rule.id):workspace:\(workspace)", rule: rule.id,
                        severity: policy.setting(for: rule.id).severity ?? rule.defaultSeverity, keyHash: nil,
                        keyName: nil, workspaceId: workspace, title: rule.title,
                        message: "workspace \(workspace) " + RuleCatalog.secretMessage(records),
                        evidence: JSONObject([("workspace", .string(workspace))] + RuleCatalog.secretEvidence(records)),
                        suppression: nil, firstSeen: now, status: .new))
            }
        }
        let coverage = snapshot.coverage
        if !coverage.consistent {
            add(
                RuleCatalog.incompleteCoverage, severity: .high,
                message: "paging never settled: the listing may miss keys created or deleted during the run",
                evidence: [
                    ("mode", .string(coverage.mode.rawValue)), ("consistent", .bool(false)),
                    ("notes", .array(coverage.notes.map { .string($0) })),
                ])
        } else if coverage.mode == .defaultListingOnly {
            add(
                RuleCatalog.incompleteCoverage, severity: .low,
                message: "only the default workspace was listed: /workspaces was unavailable to this key",
                evidence: [
                    ("mode", .string(coverage.mode.rawValue)), ("consistent", .bool(true)),
                    ("notes", .array(coverage.notes.map { .string($0) })),
                ])
        }
        return findings
    }
}
