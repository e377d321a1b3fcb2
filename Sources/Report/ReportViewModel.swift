import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditSnapshot
import Mustache

/// The data handed to every report template, as nested `[String: Any]` values (which swift-mustache reads
/// through `MustacheParent`, without Mirror). Every field is listed in templates/README.md; a test renders
/// the default templates and fails on any name they use that is not here.
///
/// HumanReadable values are formatted here (money as `$1,234.56`, times as `2026-11-26 03:00 UTC`, missing values
/// as `—`); raw values sit beside them with a `_raw` suffix. Strings are not escaped here: the template's
/// content type escapes them (HTML by default, MARKDOWN for `.md` templates).
package enum ReportViewModel {
    static let none = "—"

    package static func build(_ context: ReportContext) -> [String: Any] {
        let snapshot = context.snapshot
        let audit = context.audit
        let summary = FindingsDocument.Summary(snapshot: snapshot, audit: audit)
        let workspaces = context.workspaceNames()
        let findingsPerKey = audit.unsuppressedCountByKey()
        let totalSpend = snapshot.totalSpend
        let thresholds = audit.policy.thresholds

        var model: [String: Any] = [
            "tool_version": context.toolVersion,
            "run_name": context.runName,
            "generated_at": Timestamp.display(context.generatedAt),
            "generated_at_raw": Timestamp.format(context.generatedAt),
            "snapshot_taken_at": snapshot.takenAt.map(Timestamp.display) ?? none,
            "snapshot_sha256": context.snapshotSHA256,
            "source": snapshot.source,
        ]
        model["scope"] = scope(snapshot, workspaces: workspaces)
        if let previous = previous(snapshot, diff: context.diff) { model["previous"] = previous }
        model["has_previous"] = snapshot.previous != nil
        model["diagnostics"] = context.diagnostics.map { ["stage": $0.stage, "message": $0.message] }
        model["has_diagnostics"] = !context.diagnostics.isEmpty
        if let broken = context.brokenChain {
            model["broken_chain"] = [
                "path": broken.path, "recorded_sha256": broken.recorded, "actual_sha256": broken.actual,
            ]
        }
        model["policy"] =
            [
                "source": audit.policy.source,
                "stale_after_days": thresholds.staleAfterDays,
                "expiring_within_days": thresholds.expiringWithinDays,
                "unused_after_days": thresholds.unusedAfterDays,
                "limit_remaining_share": String(format: "%g%%", thresholds.limitRemainingShare * 100),
                "limit_remaining_share_raw": thresholds.limitRemainingShare,
                "suppression_warning_days": thresholds.suppressionWarningDays,
                "rules": RuleCatalog.all.map { rule -> [String: Any] in
                    let setting = audit.policy.setting(for: rule.id)
                    return [
                        "id": rule.id, "title": rule.title, "enabled": setting.enabled,
                        "severity": (setting.severity ?? rule.defaultSeverity).rawValue,
                        "overridden": setting.severity != nil || !setting.enabled,
                    ]
                },
            ] as [String: Any]
        let summaryFields: [String: Any?] = [
            "keys": summary.keys, "enabled": summary.enabled, "disabled": summary.disabled,
            "findings": summary.findings, "suppressed": summary.suppressed,
            "by_severity": summary.bySeverity.map { ["severity": $0.0.rawValue, "count": $0.1] as [String: Any] },
            "by_rule": summary.byRule.map { id, count -> [String: Any] in
                ["rule": id, "title": RuleCatalog.rule(id)?.title ?? id, "count": count]
            },
            "total_spend": HumanReadable.money(totalSpend), "total_spend_raw": totalSpend,
            "spend_since_previous": context.diff.map { HumanReadable.money($0.spend.total) } ?? none,
            "spend_since_previous_raw": context.diff?.spend.total,
        ]
        model["summary"] = summaryFields.compactMapValues { $0 }
        let limit = context.rowLimit > 0 ? context.rowLimit : Int.max
        let shownFindings = audit.findings.prefix(limit)
        model["findings"] = shownFindings.map { finding(for: $0, workspaces: workspaces) }
        model["has_findings"] = !audit.findings.isEmpty
        model["findings_truncated"] = truncation(shown: shownFindings.count, total: audit.findings.count)
        if let diff = context.diff { model["changes"] = changes(diff, limit: limit) }
        model["has_changes"] = context.diff != nil
        model["suppressions"] = suppressions(audit.suppressions)
        let shownKeys = snapshot.keys.prefix(limit)
        model["keys"] = KeyRows(keys: shownKeys, workspaces: workspaces, findings: findingsPerKey)
        model["keys_truncated"] = truncation(shown: shownKeys.count, total: snapshot.keys.count)
        return model
    }

    /// Section present when a list was cut: `shown`, `total`, `omitted`.
    static func truncation(shown: Int, total: Int) -> [String: Any]? {
        guard shown < total else { return nil }
        return ["shown": shown, "total": total, "omitted": total - shown]
    }

    static func scope(_ snapshot: Snapshot, workspaces: [String: String]) -> [String: Any] {
        let coverage = snapshot.coverage
        return [
            "mode": coverage.mode.rawValue,
            "workspace_count": coverage.workspaces.count,
            "workspaces": coverage.workspaces.map { workspace -> [String: Any] in
                [
                    "id": workspace.id ?? "(default listing)",
                    "name": workspace.id.flatMap { workspaces[$0] } ?? (workspace.id == nil ? "default" : none),
                    "keys": workspace.keys, "pages": workspace.pages, "attempts": workspace.attempts,
                    "consistent": workspace.consistent,
                ]
            },
            "pages": coverage.pages, "requests": coverage.requests, "retries": coverage.retries,
            "include_disabled": coverage.includeDisabled, "consistent": coverage.consistent,
            "notes": coverage.notes,
        ]
    }

    static func previous(_ snapshot: Snapshot, diff: SnapshotDiff?) -> [String: Any]? {
        guard let reference = snapshot.previous else { return nil }
        return [
            "path": reference.path, "sha256": reference.sha256,
            "taken_at": diff?.from.takenAt.map(Timestamp.display) ?? none,
        ]
    }

    static func finding(for finding: Finding, workspaces: [String: String]) -> [String: Any] {
        let row: [String: Any?] = [
            "id": finding.id, "rule": finding.rule, "severity": finding.severity.rawValue,
            "title": finding.title, "key_name": displayName(finding.keyName, isKey: finding.keyHash != nil),
            "key_name_raw": finding.keyName ?? "",
            "key_hash": finding.keyHash ?? "", "key_hash_short": finding.keyHash.map { String($0.prefix(12)) } ?? none,
            "workspace": finding.workspaceId.map { workspaces[$0] ?? $0 } ?? none,
            "workspace_id": finding.workspaceId ?? "",
            "message": finding.message, "remediation": finding.remediation,
            "status": finding.status.rawValue, "is_new": finding.status == .new,
            "first_seen": Timestamp.display(finding.firstSeen),
            "suppressed": finding.suppressed,
            "suppression": finding.suppression.map { suppression -> [String: Any] in
                [
                    "reason": suppression.reason, "owner": suppression.owner, "ticket": suppression.ticket ?? none,
                    "expires": suppression.expires,
                ]
            },
        ]
        return row.compactMapValues { $0 }
    }

    static func changes(_ diff: SnapshotDiff, limit: Int = Int.max) -> [String: Any] {
        func ref(_ key: SnapshotDiff.KeyRef) -> [String: Any] {
            [
                "name": displayName(key.name, isKey: true), "hash": key.hash, "hash_short": String(key.hash.prefix(12)),
                "workspace_id": key.workspaceId ?? none,
            ]
        }
        func value(_ value: JSONValue?) -> String {
            guard let value else { return "(absent)" }
            return JSONWriter.string(value, style: .compact)
        }
        let elapsed = diff.spend.elapsedSeconds.map { seconds -> String in
            seconds >= 86_400 * 2
                ? String(format: "%.1f days", seconds / 86_400) : String(format: "%.1f hours", seconds / 3600)
        }
        return [
            "from_path": diff.from.path, "from_taken_at": diff.from.takenAt.map(Timestamp.display) ?? none,
            "elapsed": elapsed ?? none,
            "added": diff.added.prefix(limit).map(ref), "added_count": diff.added.count,
            "removed": diff.removed.prefix(limit).map(ref), "removed_count": diff.removed.count,
            "lists_truncated": [diff.added.count, diff.removed.count, diff.changed.count].contains { $0 > limit },
            "row_limit": limit,
            "changed": diff.changed.prefix(limit).map { change -> [String: Any] in
                [
                    "name": displayName(change.name, isKey: true), "hash": change.hash,
                    "hash_short": String(change.hash.prefix(12)),
                    "fields": change.changes.map { field -> [String: Any] in
                        ["field": field.field, "from": value(field.from), "to": value(field.to)]
                    },
                ]
            },
            "changed_count": diff.changed.count,
            "spend_total": HumanReadable.money(diff.spend.total), "spend_total_raw": diff.spend.total,
            "top_spenders": diff.spend.top(SnapshotDiff.topSpenders).map { spend -> [String: Any] in
                [
                    "name": displayName(spend.name, isKey: true), "hash_short": String(spend.hash.prefix(12)),
                    "growth": HumanReadable.money(spend.growth), "growth_raw": spend.growth,
                    "usage": HumanReadable.money(spend.usageTo),
                ]
            },
            "counter_resets": diff.spend.counterResets.map { spend -> [String: Any] in
                [
                    "name": displayName(spend.name, isKey: true), "hash_short": String(spend.hash.prefix(12)),
                    "from": HumanReadable.money(spend.usageFrom), "to": HumanReadable.money(spend.usageTo),
                ]
            },
            "new_findings": diff.findings.new, "new_findings_count": diff.findings.new.count,
            "resolved_findings": diff.findings.resolved, "resolved_findings_count": diff.findings.resolved.count,
            "persisting_findings_count": diff.findings.persisting.count,
            "is_empty": diff.isEmpty,
            "has_added": !diff.added.isEmpty, "has_removed": !diff.removed.isEmpty,
            "has_changed": !diff.changed.isEmpty, "has_top_spenders": diff.spend.top(1).count > 0,
            "has_counter_resets": !diff.spend.counterResets.isEmpty, "has_new_findings": !diff.findings.new.isEmpty,
            "has_resolved_findings": !diff.findings.resolved.isEmpty,
        ]
    }

    static func suppressions(_ statuses: [SuppressionStatus]) -> [String: Any] {
        func rows(_ state: SuppressionStatus.State) -> [[String: Any]] {
            statuses.filter { $0.state == state }.map { status in
                let suppression = status.suppression
                return [
                    "key": suppression.key, "rule": suppression.rule, "reason": suppression.reason,
                    "owner": suppression.owner, "ticket": suppression.ticket ?? none, "expires": suppression.expires,
                    "matched": status.matched, "location": suppression.location, "state": status.state.rawValue,
                ]
            }
        }
        return [
            "active": rows(.active), "expiring_soon": rows(.expiringSoon), "expired": rows(.expired),
            "unmatched": rows(.unmatched), "count": statuses.count, "has_any": !statuses.isEmpty,
        ]
    }

    /// A key's name for display: an empty or missing name is shown as such rather than as nothing.
    static func displayName(_ name: String?, isKey: Bool) -> String {
        guard isKey else { return "(whole snapshot)" }
        guard let name else { return "(no name)" }
        return name.isEmpty ? "(empty name)" : name
    }

    static func money(_ value: Double?) -> String { value.map(HumanReadable.money) ?? none }

    static func time(_ seconds: Double?) -> String {
        seconds.map { Timestamp.display(Date(timeIntervalSince1970: $0)) } ?? none
    }
}

/// The key inventory, built row by row while the template renders it, so that 100,000 keys never exist
/// as 100,000 dictionaries at once.
struct KeyRows: MustacheSequence {
    let keys: ArraySlice<KeyRecord>
    let workspaces: [String: String]
    let findings: [String: Int]

    func makeIterator() -> AnyIterator<[String: Any]> {
        var index = 0
        return AnyIterator {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            return row(keys[keys.startIndex + index])
        }
    }

    func row(_ key: KeyRecord) -> [String: Any] {
        let extra = key.extraFields
        let none = ReportViewModel.none
        let row: [String: Any?] = [
            "name": ReportViewModel.displayName(key.name, isKey: true), "name_raw": key.name ?? "",
            "hash": key.identity, "hash_short": key.shortHash, "label": key.label ?? none,
            "workspace": key.workspaceId.map { workspaces[$0] ?? $0 } ?? none, "workspace_id": key.workspaceId ?? "",
            "status": key.disabled == nil ? "unknown" : (key.isDisabled ? "disabled" : "enabled"),
            "disabled": key.isDisabled,
            "limit": key.limit.map(HumanReadable.money) ?? (key.has("limit") ? "none" : "(absent)"),
            "limit_raw": key.limit,
            "limit_remaining": ReportViewModel.money(key.limitRemaining),
            "limit_reset": key.limitReset ?? "never",
            "include_byok_in_limit": key.includeByokInLimit.map { $0 ? "yes" : "no" } ?? none,
            "usage": ReportViewModel.money(key.usage), "usage_raw": key.usage,
            "usage_monthly": ReportViewModel.money(key.usageMonthly),
            "byok_usage": ReportViewModel.money(key.byokUsage),
            "created_at": ReportViewModel.time(key.createdAt), "updated_at": ReportViewModel.time(key.updatedAt),
            "expires_at": ReportViewModel.time(key.expiresAt), "last_used_at": ReportViewModel.time(key.lastUsedAt),
            "creator_user_id": key.creatorUserId ?? none,
            "findings": findings[key.identity] ?? 0,
            "has_problems": !key.problems.isEmpty,
            "extra": extra.isEmpty ? "" : JSONWriter.string(.object(JSONObject(extra)), style: .compact),
        ]
        return row.compactMapValues { $0 }
    }
}
