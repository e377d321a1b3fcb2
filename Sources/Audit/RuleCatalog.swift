import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// Every rule keyaudit knows, in the order `keyaudit rules` lists them. Ids and default severities are
/// part of the contract (policy files and suppressions name them); the README's rule table mirrors this list.
public enum RuleCatalog {
    /// Every rule: the key rules, then the snapshot rules `broken-chain` and `incomplete-coverage`.
    /// (`secret-in-metadata` is a key rule that also reports workspaces, as findings without a key.)
    public static let all: [Rule] = [
        staleKey, noLimit, disabledWithUsage, expiredNotDeleted, expiringSoon, limitNearlyExhausted,
        byokOutsideLimit, limitNeverResets, unusedKey, rotatedPredecessorActive, unreadableData, secretInMetadata,
        brokenChain,
        incompleteCoverage,
    ]

    private static let byID: [String: Rule] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })

    /// The rule with this id; nil for an id keyaudit does not know.
    public static func rule(_ id: String) -> Rule? { byID[id] }

    static let day = 86_400.0

    /// Whole days in `seconds` (timestamps are years 0000 to 9999, so any difference fits; bounded all the same).
    static func days(_ seconds: Double) -> Int {
        Checked.clampedInt((seconds / day).rounded(.down), to: -4_000_000...4_000_000)
    }

    static func dollars(_ value: Double) -> String { HumanReadable.money(value) }

    // MARK: - The three asked for

    static let staleKey = Rule(
        id: "stale-key", scope: .key, defaultSeverity: .medium, severityNote: nil,
        title: "Key not reviewed or rotated",
        risk:
            "An enabled key nobody has edited for months is likely forgotten: its owner may have left, and a leaked copy keeps working. updated_at moves when a person edits the key, not when the key is used.",
        remediation:
            "Ask the key's owner whether it is still needed. Rotate it: create a replacement with POST /api/v1/keys, move the callers, then DELETE /api/v1/keys/{hash}. Or confirm it by editing it (PATCH /api/v1/keys/{hash}), which records the review in updated_at.",
        evidenceFields: ["reference_field", "reference_timestamp", "age_days", "stale_after_days"],
        evaluate: { input in
            let key = input.key
            guard key.isEnabled else { return nil }
            // created_at stands in only when updated_at is null or absent; an unreadable updated_at is
            // unreadable-data's to report, not a reason to judge by the creation date.
            if key.presence(of: "updated_at") == .value, key.updatedAt == nil { return nil }
            let (field, reference): (String, Double?) =
                key.updatedAt != nil ? ("updated_at", key.updatedAt) : ("created_at", key.createdAt)
            guard let reference else { return nil }
            let age = input.now - reference
            guard age > Double(input.thresholds.staleAfterDays) * day else { return nil }
            return RuleMatch(
                severity: nil,
                message:
                    "not reviewed or rotated for \(days(age)) days (\(field) \(Timestamp.format(Date(timeIntervalSince1970: reference)))); the policy allows \(input.thresholds.staleAfterDays)",
                evidence: [
                    ("reference_field", .string(field)), ("reference_timestamp", .seconds(reference)),
                    ("age_days", .int(days(age))), ("stale_after_days", .int(input.thresholds.staleAfterDays)),
                ])
        })

    static let noLimit = Rule(
        id: "no-limit", scope: .key, defaultSeverity: .high, severityNote: nil,
        title: "Key without a credit limit",
        risk:
            "An enabled key with no credit limit can spend without bound: a leaked or runaway key is capped only by the account's balance.",
        remediation:
            "Set a limit that fits the key's purpose: PATCH /api/v1/keys/{hash} with {\"limit\": 50, \"limit_reset\": \"monthly\"} (USD).",
        evidenceFields: ["limit", "usage", "usage_monthly"],
        evaluate: { input in
            let key = input.key
            guard key.isEnabled else { return nil }
            // A limit that is present but unreadable is reported by unreadable-data, not guessed at here.
            if key.presence(of: "limit") == .value { return nil }
            let absent = key.presence(of: "limit") == .absent
            return RuleMatch(
                severity: nil,
                message:
                    "enabled with no credit limit (limit is \(absent ? "absent" : "null")); lifetime spend \(dollars(key.usage ?? 0))",
                evidence: [
                    ("limit", absent ? .string("absent") : .null), ("usage", .money(key.usage)),
                    ("usage_monthly", .money(key.usageMonthly)),
                ])
        })

    static let disabledWithUsage = Rule(
        id: "disabled-with-usage", scope: .key, defaultSeverity: .medium,
        severityNote:
            "high when usage grew since the previous snapshot while the key was disabled in both; medium when a daily, weekly or monthly counter is above 0; low for historical spend only",
        title: "Disabled key that shows usage",
        risk:
            "Spend on a disabled key means it was used while it should not have been, or very recently before it was disabled. A disabled key with only historical spend is a candidate for deletion.",
        remediation:
            "Find out who used it (creator_user_id, external_user, the activity log). If it is no longer needed, DELETE /api/v1/keys/{hash}; a disabled key that is kept can be re-enabled by anyone with the management key.",
        evidenceFields: [
            "usage", "byok_usage", "usage_daily", "usage_weekly", "usage_monthly", "previous_usage", "usage_growth",
        ],
        readsPrevious: true,
        evaluate: { input in
            let key = input.key
            guard key.isDisabled else { return nil }
            let usage = key.usage ?? 0
            let byok = key.byokUsage ?? 0
            guard usage > 0 || byok > 0 else { return nil }
            var evidence: [(String, JSONValue)] = [
                ("usage", .money(key.usage)), ("byok_usage", .money(key.byokUsage)),
                ("usage_daily", .money(key.usageDaily)), ("usage_weekly", .money(key.usageWeekly)),
                ("usage_monthly", .money(key.usageMonthly)),
            ]
            if let previous = input.previous, previous.isDisabled {
                let before = (previous.usage ?? 0) + (previous.byokUsage ?? 0)
                // Each counter on its own: a reset of one must not hide growth of the other.
                let growth = max(0, usage - (previous.usage ?? 0)) + max(0, byok - (previous.byokUsage ?? 0))
                evidence.append(("previous_usage", .money(before)))
                evidence.append(("usage_growth", .money(growth)))
                if growth > 0 {
                    return RuleMatch(
                        severity: .high,
                        message:
                            "spent \(dollars(growth)) since the previous snapshot while disabled (lifetime \(dollars(usage + byok)))",
                        evidence: evidence)
                }
            }
            let recent = [
                key.usageDaily, key.usageWeekly, key.usageMonthly, key.byokUsageDaily, key.byokUsageWeekly,
                key.byokUsageMonthly,
            ].contains { ($0 ?? 0) > 0 }
            if recent {
                return RuleMatch(
                    severity: .medium,
                    message:
                        "disabled, but shows recent spend (this month \(dollars((key.usageMonthly ?? 0) + (key.byokUsageMonthly ?? 0))))",
                    evidence: evidence)
            }
            return RuleMatch(
                severity: .low,
                message: "disabled with historical spend of \(dollars(usage + byok)); a candidate for deletion",
                evidence: evidence)
        })

    // MARK: - Expiry

    static let expiredNotDeleted = Rule(
        id: "expired-not-deleted", scope: .key, defaultSeverity: .medium, severityNote: nil,
        title: "Expired key not deleted",
        risk:
            "An expired key no longer works but still clutters the inventory and hides which keys are live; reviewers cannot tell an intended expiry from a forgotten key.",
        remediation: "Delete it: DELETE /api/v1/keys/{hash}.",
        evidenceFields: ["expires_at", "expired_days_ago"],
        evaluate: { input in
            guard let expires = input.key.expiresAt, expires <= input.now else { return nil }
            let ago = days(input.now - expires)
            return RuleMatch(
                severity: nil,
                message:
                    "expired \(ago) days ago (\(Timestamp.format(Date(timeIntervalSince1970: expires)))) and was not deleted",
                evidence: [("expires_at", .seconds(expires)), ("expired_days_ago", .int(ago))])
        })

    static let expiringSoon = Rule(
        id: "expiring-soon", scope: .key, defaultSeverity: .low, severityNote: nil,
        title: "Key expiring soon",
        risk: "Callers of a key that expires stop working at that moment unless a replacement is rolled out first.",
        remediation:
            "Create a replacement with POST /api/v1/keys (with a new expires_at), move the callers, then DELETE /api/v1/keys/{hash}.",
        evidenceFields: ["expires_at", "expires_in_days", "expiring_within_days"],
        evaluate: { input in
            guard input.key.isEnabled, let expires = input.key.expiresAt, expires > input.now,
                expires - input.now <= Double(input.thresholds.expiringWithinDays) * day
            else { return nil }
            let left = days(expires - input.now)
            return RuleMatch(
                severity: nil,
                message: "expires in \(left) days (\(Timestamp.format(Date(timeIntervalSince1970: expires))))",
                evidence: [
                    ("expires_at", .seconds(expires)), ("expires_in_days", .int(left)),
                    ("expiring_within_days", .int(input.thresholds.expiringWithinDays)),
                ])
        })

    // MARK: - Limits

    static let limitNearlyExhausted = Rule(
        id: "limit-nearly-exhausted", scope: .key, defaultSeverity: .medium, severityNote: nil,
        title: "Credit limit nearly exhausted",
        risk:
            "A key close to its limit is about to stop working (an outage for its callers), or is spending faster than planned.",
        remediation:
            "Check whether the spend is expected. If so, raise the limit: PATCH /api/v1/keys/{hash} with {\"limit\": <new USD limit>}; if not, disable it: PATCH /api/v1/keys/{hash} with {\"disabled\": true}.",
        evidenceFields: ["limit", "limit_remaining", "remaining_share", "limit_remaining_share"],
        evaluate: { input in
            let key = input.key
            guard key.isEnabled, let limit = key.limit, limit > 0, let remaining = key.limitRemaining else {
                return nil
            }
            let share = input.thresholds.limitRemainingShare
            guard remaining < limit * share else { return nil }
            let left = max(0, remaining) / limit
            return RuleMatch(
                severity: nil,
                message:
                    "\(dollars(max(0, remaining))) of its \(dollars(limit)) limit left (\(String(format: "%.1f", left * 100))%, threshold \(String(format: "%g", share * 100))%)",
                evidence: [
                    ("limit", .money(limit)), ("limit_remaining", .money(remaining)),
                    ("remaining_share", .double((left * 10_000).rounded() / 10_000)),
                    ("limit_remaining_share", .double(share)),
                ])
        })

    static let byokOutsideLimit = Rule(
        id: "byok-outside-limit", scope: .key, defaultSeverity: .medium, severityNote: nil,
        title: "BYOK spend outside the credit limit",
        risk:
            "With include_byok_in_limit false, spend through bring-your-own provider keys is not counted against the key's limit: the limit caps only part of what the key can spend.",
        remediation:
            "Count BYOK spend against the limit: PATCH /api/v1/keys/{hash} with {\"include_byok_in_limit\": true}.",
        evidenceFields: ["byok_usage", "limit", "include_byok_in_limit"],
        evaluate: { input in
            let key = input.key
            guard key.isEnabled, key.includeByokInLimit == false, let byok = key.byokUsage, byok > 0,
                let limit = key.limit
            else { return nil }
            return RuleMatch(
                severity: nil,
                message: "\(dollars(byok)) of BYOK spend is not counted against its \(dollars(limit)) limit",
                evidence: [
                    ("byok_usage", .money(byok)), ("limit", .money(limit)), ("include_byok_in_limit", .bool(false)),
                ])
        })

    static let limitNeverResets = Rule(
        id: "limit-never-resets", scope: .key, defaultSeverity: .low, severityNote: nil,
        title: "Credit limit never resets",
        risk:
            "A limit with no reset period is a lifetime budget: once spent the key stops for good, and until then nothing bounds the spend per day or month.",
        remediation:
            "Give the limit a period: PATCH /api/v1/keys/{hash} with {\"limit_reset\": \"monthly\"} (or daily, weekly).",
        evidenceFields: ["limit", "limit_reset"],
        evaluate: { input in
            let key = input.key
            guard key.isEnabled, let limit = key.limit else { return nil }
            if key.presence(of: "limit_reset") == .value { return nil }
            return RuleMatch(
                severity: nil, message: "its \(dollars(limit)) limit never resets (limit_reset is null)",
                evidence: [("limit", .money(limit)), ("limit_reset", .null)])
        })

    // MARK: - Use

    static let unusedKey = Rule(
        id: "unused-key", scope: .key, defaultSeverity: .low, severityNote: nil,
        title: "Enabled key not used",
        risk:
            "An enabled key nobody uses is attack surface with no benefit: if it leaked, its first use would be the attacker's.",
        remediation:
            "Confirm with its owner, then disable it (PATCH /api/v1/keys/{hash} with {\"disabled\": true}) or delete it (DELETE /api/v1/keys/{hash}).",
        evidenceFields: ["last_used_at", "unused_days", "unused_after_days"],
        evaluate: { input in
            let key = input.key
            // last_used_at is a newer field: when the API does not send it, there is nothing to judge.
            guard key.isEnabled, key.has("last_used_at") else { return nil }
            let threshold = Double(input.thresholds.unusedAfterDays) * day
            if let last = key.lastUsedAt {
                guard input.now - last > threshold else { return nil }
                return RuleMatch(
                    severity: nil,
                    message:
                        "not used for \(days(input.now - last)) days (last_used_at \(Timestamp.format(Date(timeIntervalSince1970: last))))",
                    evidence: [
                        ("last_used_at", .seconds(last)), ("unused_days", .int(days(input.now - last))),
                        ("unused_after_days", .int(input.thresholds.unusedAfterDays)),
                    ])
            }
            // "Never used" only when no usage was ever recorded: a null last_used_at next to lifetime spend is
            // missing data (usage predating the field), not proof of disuse.
            guard key.presence(of: "last_used_at") == .null, (key.usage ?? 0) == 0, (key.byokUsage ?? 0) == 0,
                let created = key.createdAt, input.now - created > threshold
            else { return nil }
            return RuleMatch(
                severity: nil, message: "never used in the \(days(input.now - created)) days since it was created",
                evidence: [
                    ("last_used_at", .null), ("unused_days", .int(days(input.now - created))),
                    ("unused_after_days", .int(input.thresholds.unusedAfterDays)),
                ])
        })

    package static let rotatedPredecessorActive = Rule(
        id: "rotated-predecessor-active", scope: .key, defaultSeverity: .medium, severityNote: nil,
        title: "Rotated key still enabled",
        risk:
            "A key that was rotated has a successor that took over its callers; while the old key stays enabled, a leaked copy of it keeps working and the rotation protects nothing.",
        remediation:
            "Check that no caller still uses it (its last_used_at), then disable it: PATCH /api/v1/keys/{hash} with {\"disabled\": true}; delete it later with DELETE /api/v1/keys/{hash}.",
        evidenceFields: [
            "successor_hash", "successor_name", "successor_created_at", "rotated_days_ago", "rotation_grace_days",
        ],
        evaluate: { input in
            guard
                let (successor, created) = rotatedPast(
                    enabled: input.key.isEnabled, identity: input.key.identity, rotations: input.rotations,
                    thresholds: input.thresholds, now: input.now)
            else { return nil }
            let ago = input.now - created
            return RuleMatch(
                severity: nil,
                message:
                    "still enabled \(days(ago)) days after it was rotated into \(successor.name.map { "\"\($0)\" " } ?? "")(\(successor.identity.prefix(12))); the policy allows \(input.thresholds.rotationGraceDays)",
                evidence: [
                    ("successor_hash", .string(successor.identity)),
                    ("successor_name", successor.name.map { .string($0) } ?? .null),
                    ("successor_created_at", .seconds(created)), ("rotated_days_ago", .int(days(ago))),
                    ("rotation_grace_days", .int(input.thresholds.rotationGraceDays)),
                ])
        })

    /// `rotated-predecessor-active`'s test, also run by the previous snapshot's reader once it has every key:
    /// an enabled key whose successor, enabled and not expired, was created more than the grace period ago.
    package static func rotatedPast(
        enabled: Bool, identity: String, rotations: RotationIndex, thresholds: Policy.Thresholds, now: Double
    ) -> (RotationIndex.Successor, Double)? {
        // The successor must be usable now (enabled, which the index ensures, and not expired): otherwise the
        // predecessor may be the only key that works, and disabling it would stop its callers.
        guard enabled, let successor = rotations.successor(of: identity), let created = successor.createdAt,
            now - created > Double(thresholds.rotationGraceDays) * day, (successor.expiresAt ?? .infinity) > now
        else { return nil }
        return (successor, created)
    }

    // MARK: - Data

    static let unreadableData = Rule(
        id: "unreadable-data", scope: .key, defaultSeverity: .medium, severityNote: nil,
        title: "Key data that cannot be read",
        risk:
            "A field keyaudit cannot read (a timestamp or number in an unexpected form, a missing hash) means the rules that need it could not judge this key: a risk may be hidden.",
        remediation:
            "Look at the key in the snapshot (snapshot.json keeps it exactly as received) and with GET /api/v1/keys/{hash}; if the API changed its format, upgrade keyaudit.",
        evidenceFields: ["problems"],
        evaluate: { input in
            let problems = input.key.problems
            guard !problems.isEmpty else { return nil }
            let text = problems.map { problem in
                "\(problem.field) \(problem.problem)\(problem.value.map { " (\($0))" } ?? "")"
            }
            return RuleMatch(
                severity: nil, message: "cannot read: " + text.joined(separator: "; "),
                evidence: [
                    (
                        "problems",
                        .array(
                            problems.map { problem in
                                .object(
                                    JSONObject([
                                        ("field", .string(problem.field)), ("problem", .string(problem.problem)),
                                        ("value", problem.value.map { .string($0) } ?? .null),
                                    ]))
                            })
                    )
                ])
        })

    static let secretInMetadata = Rule(
        id: "secret-in-metadata", scope: .key, defaultSeverity: .high, severityNote: nil,
        title: "Secret pasted into key or workspace data",
        risk:
            "A key's name (or another field) that holds the management key or an OpenRouter API key makes that secret readable by everyone who can list keys, and by everything that ever showed the listing: dashboards, logs, earlier reports. keyaudit removed it from every file and line it wrote, but the secret itself has leaked.",
        remediation:
            "Revoke the exposed secret: a management key in Settings > Management keys, an API key with DELETE /api/v1/keys/{leaked key's hash} (the redacted text shows its label, sk-or-v1-abc...1234, to find it), and replace it. Then clean the field: PATCH /api/v1/keys/{hash} with a new {\"name\": …} (or the workspace's settings).",
        evidenceFields: ["fields", "secrets"],
        evaluate: { input in
            let redacted = input.key.redactedSecrets
            guard !redacted.isEmpty else { return nil }
            return RuleMatch(severity: nil, message: secretMessage(redacted), evidence: secretEvidence(redacted))
        })

    /// `held the management key in name; an OpenRouter secret in metadata.note (redacted everywhere)`.
    static func secretMessage(_ records: [Redaction.Record]) -> String {
        let managementKey = records.filter { $0.kind == .managementKey }.map(\.field)
        let secrets = records.filter { $0.kind == .openRouterSecret }.map(\.field)
        var parts: [String] = []
        if !managementKey.isEmpty { parts.append("the management key in \(managementKey.joined(separator: ", "))") }
        if !secrets.isEmpty {
            parts.append(
                "\(secrets.count == 1 ? "an OpenRouter secret" : "OpenRouter secrets") in \(secrets.joined(separator: ", "))"
            )
        }
        return "held \(parts.joined(separator: "; ")); it was redacted from every output, but it has leaked: revoke it"
    }

    static func secretEvidence(_ records: [Redaction.Record]) -> [(String, JSONValue)] {
        [
            ("fields", .array(records.map { .string($0.field) })),
            ("secrets", .array(records.map { .string($0.kind.rawValue) })),
        ]
    }

    // MARK: - The snapshot itself

    static let brokenChain = Rule(
        id: "broken-chain", scope: .snapshot, defaultSeverity: .critical, severityNote: nil,
        title: "Evidence chain broken",
        risk:
            "The previous run's snapshot no longer matches the checksum recorded when the following run read it, its findings.json no longer matches its SHA256SUMS (so its first_seen dates were not used), its signature does not match, or a newer run folder had to be skipped as unusable so the chain passes over it: an earlier run was altered, replaced or corrupted after the fact.",
        remediation:
            "Run `keyaudit verify` on the run folders to find the altered one, restore it from backup, and find out who changed it.",
        evidenceFields: ["snapshot", "recorded_sha256", "actual_sha256", "reason"],
        evaluate: { _ in nil })

    static let incompleteCoverage = Rule(
        id: "incomplete-coverage", scope: .snapshot, defaultSeverity: .high,
        severityNote:
            "high when paging never settled (keys may be missing); low when /workspaces was unavailable and only the default listing was read",
        title: "Snapshot may not hold every key",
        risk:
            "Findings can only be trusted for keys that were listed: a listing that shifted while paging, or that could not enumerate workspaces, may have missed keys.",
        remediation:
            "Run keyaudit again when keys are not being created or deleted in bulk; if /workspaces is unavailable, give every workspace with --workspace ID.",
        evidenceFields: ["mode", "consistent", "notes"],
        evaluate: { _ in nil })
}
