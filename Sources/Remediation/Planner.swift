import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// Turns one run's unsuppressed findings into a ``RemediationPlan`` under the policy's `remediation:` section:
/// pure, no network, no clock but the one given.
package enum Planner {
    /// Kinds of change in the order one wins over another when several findings of one key ask for different
    /// ones: a deletion makes the rest moot, disabling makes a new limit moot; PATCH changes merge.
    private static let precedence: [RemediationChoice.Action] = [.delete, .disable, .setLimit, .includeByokInLimit]

    package static func plan(
        snapshot: Snapshot, audit: AuditResult, source: RemediationPlan.Source, policy: Policy, now: Date
    ) -> RemediationPlan {
        var keysByIdentity: [String: KeyRecord] = [:]
        for key in snapshot.keys { keysByIdentity[key.identity] = key }
        // The findings of each key, in report order (most severe first).
        var order: [String] = []
        var byKey: [String: [Finding]] = [:]
        var skipped: [RemediationPlan.Skipped] = []
        for finding in audit.findings where !finding.suppressed {
            guard let hash = finding.keyHash else { continue }  // about the snapshot as a whole
            if byKey[hash] == nil { order.append(hash) }
            byKey[hash, default: []].append(finding)
        }
        var actions: [RemediationPlan.Action] = []
        for hash in order {
            let findings = byKey[hash] ?? []
            let key = keysByIdentity[hash]
            let name = key?.name ?? findings.first?.keyName
            func skip(_ finding: Finding, _ reason: String) {
                skipped.append(.init(keyHash: hash, keyName: name, rule: finding.rule, reason: reason))
            }
            guard KeyRecord.isWellFormedHash(hash), let key else {
                for finding in findings {
                    skip(finding, "the key has no usable hash: it cannot be addressed through the Management API")
                }
                continue
            }
            var chosen: [(Finding, RemediationChoice)] = []
            for finding in findings {
                guard let choice = policy.remediation[finding.rule] else {
                    skip(finding, unplannedReason(finding.rule))
                    continue
                }
                if choice.action == .none {
                    skip(finding, "left alone: the policy's remediation for \(finding.rule) is `none`")
                    continue
                }
                if let days = choice.olderThanDays {
                    // An age that cannot be told is not old enough: older_than_days guards deletions.
                    guard let age = age(of: finding, key: key, now: now) else {
                        skip(finding, "left alone: its age cannot be told, and the policy acts after \(days) days")
                        continue
                    }
                    if age <= Double(days) {
                        skip(
                            finding,
                            "not yet: \(Int(exactly: age.rounded(.down)).map(String.init) ?? "?") days old by its rule's measure, the policy acts after \(days)"
                        )
                        continue
                    }
                }
                if let loosening = loosening(choice, key: key) {
                    skip(finding, loosening)
                    continue
                }
                chosen.append((finding, choice))
            }
            guard let winner = precedence.first(where: { kind in chosen.contains { $0.1.action == kind } }) else {
                continue
            }
            // PATCH changes merge into one request; a deletion or a disable stands alone and covers the rest.
            let merged =
                winner == .delete || winner == .disable
                ? chosen.filter { $0.1.action == winner }
                : chosen.filter { $0.1.action == .setLimit || $0.1.action == .includeByokInLimit }
            for (finding, choice) in chosen where !merged.contains(where: { $0.0.rule == finding.rule }) {
                skip(
                    finding,
                    "covered by the \(winner.rawValue) planned for this key (\(choice.action.rawValue) not needed)")
            }
            actions.append(action(number: actions.count + 1, key: key, merged.map { ($0.0.rule, $0.1) }))
        }
        return RemediationPlan(
            source: source, createdAt: now, policySource: policy.remediation.isEmpty ? "none" : policy.source,
            actions: actions, skipped: skipped)
    }

    /// Why a rule without a remediation entry gets no action, with what could be done.
    private static func unplannedReason(_ rule: String) -> String {
        if rule == "stale-key" {
            return
                "rotate by hand: keyaudit never rotates a key (the new secret must reach its application); create a replacement, move the callers, then disable this one (or set `remediation: stale-key: {action: disable}`)"
        }
        let fitting = RemediationChoice.Action.allCases.filter {
            $0 != .none && RemediationChoice(action: $0).fits(rule: rule)
        }
        guard !fitting.isEmpty else { return "no Management API change fixes \(rule): see its remediation" }
        return
            "no remediation for \(rule) in the policy; it could be \(fitting.map(\.rawValue).joined(separator: " or "))"
    }

    /// Why a `set-limit` would loosen the key rather than tighten it, or nil: a limit above the key's own, or a
    /// shorter reset period on a key with a limit (it could spend its limit more often). keyaudit never loosens a
    /// key, whatever the policy says; `apply` refuses such a change in an edited plan too.
    private static func loosening(_ choice: RemediationChoice, key: KeyRecord) -> String? {
        guard choice.action == .setLimit, let current = key.limit else { return nil }
        if let limit = choice.limit, limit > current {
            return
                "left alone: the policy's limit of \(HumanReadable.money(limit)) is above the key's \(HumanReadable.money(current)), and keyaudit never raises a limit"
        }
        if let reset = choice.limitReset, let period = RemediationPlan.resetDays[reset],
            let was = key.raw["limit_reset"]?.stringValue.flatMap({ RemediationPlan.resetDays[$0] }), period < was
        {
            return
                "left alone: the policy's \(reset) reset is shorter than the key's, and keyaudit never lets a key spend its limit more often"
        }
        return nil
    }

    /// How old a finding is by its rule's own measure, in days: since expiry, since the last edit, since the last
    /// use, since the rotation; otherwise since the key was created.
    static func age(of finding: Finding, key: KeyRecord, now: Date) -> Double? {
        let evidence = finding.evidence
        for field in ["expired_days_ago", "age_days", "unused_days", "rotated_days_ago"] {
            if let days = evidence[field]?.doubleValue { return days }
        }
        return key.createdAt.map { (now.timeIntervalSince1970 - $0) / 86_400 }
    }

    /// The request, precondition and expected state of one action on `key`.
    private static func action(
        number: Int, key: KeyRecord, _ choices: [(rule: String, choice: RemediationChoice)]
    ) -> RemediationPlan.Action {
        let raw = key.raw
        var body = JSONObject()
        var kinds: [String] = []
        for (_, choice) in choices {
            if !kinds.contains(choice.action.rawValue) { kinds.append(choice.action.rawValue) }
            switch choice.action {
            case .setLimit:
                if let limit = choice.limit { body["limit"] = .money(limit) }
                if let reset = choice.limitReset { body["limit_reset"] = .string(reset) }
            case .disable:
                body["disabled"] = .bool(true)
            case .includeByokInLimit:
                body["include_byok_in_limit"] = .bool(true)
            case .delete, .none:
                break
            }
        }
        var precondition = JSONObject()
        var absent: [String] = []
        for field in RemediationPlan.preconditionFields(kinds: kinds, rules: choices.map(\.rule)) {
            if let value = raw[field] { precondition[field] = value } else { absent.append(field) }
        }
        let isDelete = choices.contains { $0.choice.action == .delete }
        return RemediationPlan.Action(
            number: number, keyHash: key.identity, keyName: key.name, kind: kinds.joined(separator: "+"),
            rules: choices.map(\.rule),
            request: .init(
                method: isDelete ? "DELETE" : "PATCH", path: "/keys/\(key.identity)", body: isDelete ? nil : body),
            precondition: precondition, absent: absent, expected: isDelete ? JSONObject() : body)
    }
}
