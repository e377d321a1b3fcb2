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
/// HumanReadable values are formatted here (counts as `100,000`, money as `$1,234.56`, times as
/// `2026-11-26 03:00 UTC`, missing values as `—`); raw values sit beside them with a `_raw` suffix. Strings are
/// not escaped here: the template's content type escapes them (HTML by default, MARKDOWN for `.md` templates).
///
/// Nothing here walks the findings or keys: ``ReportFacts`` did that once; this only cuts its lists to what the
/// ``Profile`` shows, so that building the model for a 100,000-key account costs a few thousand rows.
package enum ReportViewModel {
    static let none = "—"

    /// How much of each list a report shows, and how long a value from the API may be.
    package struct Profile: Sendable, Equatable {
        /// Finding rows over all rules together (each rule gets a fair share, so none is left without rows).
        var findingRows: Int
        /// Finding rows of one rule.
        var rowsPerRule: Int
        /// Rows of each list of changes (added, removed, reconfigured, new and resolved findings).
        var changeRows: Int
        /// Rows of each owners table.
        var ownerRows: Int
        /// Rows of each suppression state.
        var suppressionRows: Int
        /// Rows of the key inventory.
        var inventoryRows: Int
        /// Runs in the trend table (the charts draw every run of the history).
        var trendRows: Int
        /// Values from the API longer than this many characters are cut, with `…`; nil: never.
        var clip: Int?

        /// report.html: every list cut at `--report-rows`, the findings sharing that many rows among rules.
        package static func html(rowLimit: Int) -> Profile {
            let limit = rowLimit > 0 ? rowLimit : Int.max
            return Profile(
                findingRows: limit, rowsPerRule: limit, changeRows: limit, ownerRows: min(limit, 200),
                suppressionRows: limit, inventoryRows: limit, trendRows: RunHistory.limit, clip: nil)
        }

        /// report.md, from the longest lists to the shortest: it is rendered at each in turn until it fits in
        /// ``ReportTemplates/markdownBudget`` (GitHub refuses a body over 65,536 characters).
        package static func markdown(rowLimit: Int) -> [Profile] {
            let limit = rowLimit > 0 ? rowLimit : Int.max
            let levels: [(Int, Int, Int, Int, Int, Int)] = [
                (10, 15, 10, 25, 10, 120), (5, 8, 5, 12, 10, 80), (2, 3, 3, 6, 5, 60), (0, 0, 0, 0, 3, 40),
            ]
            return levels.map { rule, changes, owners, suppressions, trend, clip in
                Profile(
                    findingRows: min(limit, rule * RuleCatalog.all.count), rowsPerRule: min(limit, rule),
                    changeRows: min(limit, changes), ownerRows: min(limit, owners),
                    suppressionRows: min(limit, suppressions), inventoryRows: 0, trendRows: trend, clip: clip)
            }
        }
    }

    /// The model report.html is rendered with (and a custom template that does not say otherwise).
    package static func build(_ context: ReportContext) -> [String: Any] {
        build(ReportFacts(context), profile: .html(rowLimit: context.rowLimit))
    }

    static func build(_ facts: ReportFacts, profile: Profile) -> [String: Any] {
        Builder(facts: facts, profile: profile).model()
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

    /// `2026-11-26`.
    static func day(_ date: Date) -> String { String(Timestamp.format(date).prefix(10)) }

    /// `2026-11-26` for seconds since 1970, `—` for none.
    static func dayOf(_ seconds: Double?) -> String { seconds.map { day(Date(timeIntervalSince1970: $0)) } ?? none }

    /// Section present when a list was cut: `shown`, `total`, `omitted` (formatted), `omitted_raw`.
    static func truncation(shown: Int, total: Int) -> [String: Any]? {
        guard shown < total else { return nil }
        return [
            "shown": HumanReadable.count(shown), "total": HumanReadable.count(total),
            "omitted": HumanReadable.count(total - shown), "omitted_raw": total - shown,
        ]
    }

    /// A configuration value for people: a string as it is (no JSON quotes), anything else as compact JSON.
    static func plain(_ value: JSONValue?) -> String {
        guard let value else { return "(absent)" }
        if case .string(let text) = value { return text }
        return JSONWriter.string(value, style: .compact)
    }
}

/// Builds the model of one profile from the facts.
private struct Builder {
    let facts: ReportFacts
    let profile: ReportViewModel.Profile
    var context: ReportContext { facts.context }
    let none = ReportViewModel.none

    /// Text from the API, cut to the profile's length.
    func text(_ value: String) -> String {
        guard let clip = profile.clip, value.unicodeScalars.count > clip else { return value }
        return String(String.UnicodeScalarView(value.unicodeScalars.prefix(clip))) + "…"
    }

    func name(_ value: String?, isKey: Bool = true) -> String {
        text(ReportViewModel.displayName(value, isKey: isKey))
    }

    func workspace(_ id: String?) -> String { facts.workspaceName(id).map(text) ?? none }

    func count(_ value: Int) -> String { HumanReadable.count(value) }

    func model() -> [String: Any] {
        let snapshot = context.snapshot
        var model: [String: Any] = [
            "tool_version": context.toolVersion,
            "run_name": context.runName,
            "generated_at": Timestamp.display(context.generatedAt),
            "generated_at_raw": Timestamp.format(context.generatedAt),
            "snapshot_taken_at": snapshot.takenAt.map(Timestamp.display) ?? none,
            "snapshot_sha256": context.snapshotSHA256,
            "source": text(snapshot.source),
            "code": ReportTemplates.codeSpanLambda,
        ]
        model["summary"] = summary()
        model["trend"] = trend()
        model["scope"] = scope()
        if let reference = snapshot.previous {
            model["previous"] = [
                "path": text(reference.path), "sha256": reference.sha256,
                "taken_at": context.diff?.from.takenAt.map(Timestamp.display) ?? none,
            ]
        }
        model["has_previous"] = snapshot.previous != nil
        model["diagnostics"] = context.diagnostics.map { ["stage": $0.stage, "message": text($0.message)] }
        model["has_diagnostics"] = !context.diagnostics.isEmpty
        model["evidence_chain"] = context.evidenceChainNotes.map(text)
        model["has_evidence_chain"] = !context.evidenceChainNotes.isEmpty
        if let broken = context.brokenChain {
            // An altered snapshot has a recorded sha256 to show; a run skipped as unusable has only its reason.
            let altered = broken.recorded.count == 64 && broken.recorded.allSatisfy(\.isHexDigit)
            model["broken_chain"] = [
                "path": text(broken.path), "recorded_sha256": broken.recorded, "actual_sha256": broken.actual,
                "altered": altered, "reason": text(broken.reason ?? "its recorded snapshot is missing or unreadable"),
            ]
        }
        model["policy"] = policy()
        let (groups, shown) = findingGroups()
        model["findings_by_rule"] = groups
        model["has_findings"] = !context.audit.findings.isEmpty
        model["findings_shown"] = count(shown)
        model["findings_truncated"] = ReportViewModel.truncation(shown: shown, total: context.audit.findings.count)
        if let diff = context.diff { model["changes"] = changes(diff) }
        if !context.appliedChanges.isEmpty { model["applied"] = applied() }
        model["has_changes"] = context.diff != nil
        model["owners"] = owners()
        model["suppressions"] = suppressions()
        let shownKeys = snapshot.keys.prefix(profile.inventoryRows)
        model["keys"] = KeyRows(keys: shownKeys, workspaces: facts.workspaceNames, findings: facts.findingsPerKey)
        model["keys_truncated"] = ReportViewModel.truncation(shown: shownKeys.count, total: snapshot.keys.count)
        return model
    }

    // MARK: - Summary

    func summary() -> [String: Any] {
        let summary = facts.summary
        let fields: [String: Any?] = [
            "keys": count(summary.keys), "keys_raw": summary.keys,
            "enabled": count(summary.enabled), "enabled_raw": summary.enabled,
            "disabled": count(summary.disabled), "disabled_raw": summary.disabled,
            "findings": count(summary.findings), "findings_raw": summary.findings,
            "suppressed": count(summary.suppressed), "suppressed_raw": summary.suppressed,
            "new": summary.new.map(count) ?? none, "new_raw": summary.new,
            "resolved": summary.resolved.map(count) ?? none, "resolved_raw": summary.resolved,
            "has_previous": summary.new != nil,
            "total_spend": HumanReadable.money(summary.totalSpend), "total_spend_raw": summary.totalSpend,
            "spend_since_previous": ReportViewModel.money(summary.spendSincePrevious),
            "spend_since_previous_raw": summary.spendSincePrevious,
            "coverage": summary.coverage.sentence, "coverage_status": summary.coverage.status.rawValue,
            "coverage_complete": summary.coverage.status == .complete,
            "by_severity": Severity.descending.map { severity -> [String: Any] in
                let value = summary.bySeverity[severity] ?? 0
                return ["severity": severity.rawValue, "count": count(value), "count_raw": value]
            },
            "by_rule": RuleCatalog.all.map { rule -> [String: Any] in
                let id = rule.id
                let value = facts.byRule[id] ?? 0
                return [
                    "rule": id, "title": RuleCatalog.rule(id)?.title ?? id, "count": count(value), "count_raw": value,
                    "severity":
                        (context.audit.policy.setting(for: id).severity ?? RuleCatalog.rule(id)?.defaultSeverity
                        ?? .info).rawValue,
                ]
            },
        ]
        return fields.compactMapValues { $0 }
    }

    // MARK: - Trend

    func trend() -> [String: Any] {
        let runs = facts.trend
        var model: [String: Any] = ["has_trend": runs.count >= 2, "count": runs.count]
        model["runs"] = runs.reversed().prefix(profile.trendRows).map { run -> [String: Any] in
            [
                "run": text(run.run), "date": Timestamp.display(run.takenAt), "day": ReportViewModel.day(run.takenAt),
                "keys": count(run.keys), "enabled": count(run.enabled), "disabled": count(run.disabled),
                "findings": count(run.findings),
                "critical": count(run.bySeverity[.critical] ?? 0), "high": count(run.bySeverity[.high] ?? 0),
                "medium": count(run.bySeverity[.medium] ?? 0), "low": count(run.bySeverity[.low] ?? 0),
                "info": count(run.bySeverity[.info] ?? 0),
                "new": run.new.map(count) ?? none, "resolved": run.resolved.map(count) ?? none,
                "suppressed": count(run.suppressed), "total_spend": HumanReadable.money(run.totalSpend),
                "spend_since_previous": ReportViewModel.money(run.spendSincePrevious),
                "coverage": text(run.coverage.sentence), "coverage_status": run.coverage.status.rawValue,
                "is_current": run.run == context.runName,
            ]
        }
        if runs.count >= 2 { model["charts"] = TrendCharts.charts(runs) }
        return model
    }

    // MARK: - Scope and policy

    func scope() -> [String: Any] {
        let coverage = context.snapshot.coverage
        var workspaces: [[String: Any]]
        if coverage.workspaces.isEmpty {
            // Keys from a file: the workspaces are the ones the keys name.
            workspaces = facts.owners.byWorkspace.sorted { ($0.id ?? "\u{10FFFF}") < ($1.id ?? "\u{10FFFF}") }.map {
                row in
                [
                    "id": text(row.id ?? "(none)"), "name": row.id.map { workspace($0) } ?? "(no workspace)",
                    "keys": count(row.keys), "pages": none, "attempts": none, "consistent": true,
                ]
            }
        } else {
            workspaces = coverage.workspaces.map { listing -> [String: Any] in
                [
                    "id": text(listing.id ?? "(default listing)"),
                    "name": listing.id.map { workspace($0) } ?? "default",
                    "keys": count(listing.keys), "pages": count(listing.pages), "attempts": count(listing.attempts),
                    "consistent": listing.consistent,
                ]
            }
        }
        return [
            "mode": coverage.mode.rawValue, "workspace_count": count(workspaces.count),
            "workspaces": workspaces, "pages": count(coverage.pages), "requests": count(coverage.requests),
            "retries": count(coverage.retries), "include_disabled": coverage.includeDisabled,
            "consistent": coverage.consistent, "notes": coverage.notes.map(text),
            "verdict": facts.summary.coverage.sentence,
        ]
    }

    func policy() -> [String: Any] {
        let audit = context.audit
        let thresholds = audit.policy.thresholds
        let share = String(format: "%g%%", thresholds.limitRemainingShare * 100)
        return [
            "source": text(audit.policy.source),
            "stale_after_days": thresholds.staleAfterDays,
            "expiring_within_days": thresholds.expiringWithinDays,
            "unused_after_days": thresholds.unusedAfterDays,
            "limit_remaining_share": share,
            "limit_remaining_share_raw": thresholds.limitRemainingShare,
            "suppression_warning_days": thresholds.suppressionWarningDays,
            "thresholds": PolicyLabels.thresholds(thresholds).map { ["label": $0.label, "value": $0.value] },
            "rules": RuleCatalog.all.map { rule -> [String: Any] in
                let setting = audit.policy.setting(for: rule.id)
                return [
                    "id": rule.id, "title": rule.title, "enabled": setting.enabled,
                    "severity": (setting.severity ?? rule.defaultSeverity).rawValue,
                    "overridden": setting.severity != nil || !setting.enabled,
                ]
            },
        ]
    }

    // MARK: - Findings by rule

    /// Rows each group shows: at most `rowsPerRule`, and together at most `findingRows`. The rows are shared out
    /// like water: every group gets up to the same level (so the rules with few findings show all of theirs), and
    /// what is left below the next level goes one row each to the most severe rules first.
    func rowBudget(_ groups: [ReportFacts.RuleGroup]) -> [Int] {
        ReportViewModel.rowBudget(groups, profile: profile)
    }
}

extension ReportViewModel {
    static func rowBudget(_ groups: [ReportFacts.RuleGroup], profile: Profile) -> [Int] {
        let wanted = groups.map { min($0.unsuppressed + $0.suppressed, profile.rowsPerRule) }
        let total = profile.findingRows
        func used(_ level: Int) -> Int { wanted.reduce(0) { $0 + min($1, level) } }
        var low = 0
        var high = wanted.max() ?? 0
        while low < high {
            let middle = (low + high + 1) / 2
            if used(middle) <= total { low = middle } else { high = middle - 1 }
        }
        var budget = wanted.map { min($0, low) }
        var left = total - used(low)
        for index in budget.indices where left > 0 && wanted[index] > budget[index] {
            budget[index] += 1
            left -= 1
        }
        return budget
    }
}

extension Builder {
    func findingGroups() -> ([[String: Any]], Int) {
        let findings = context.audit.findings
        let budget = rowBudget(facts.groups)
        var shownTotal = 0
        let groups = zip(facts.groups, budget).map { group, rows -> [String: Any] in
            let positions = Array((group.shownUnsuppressed + group.shownSuppressed).prefix(rows))
            shownTotal += positions.count
            let total = group.unsuppressed + group.suppressed
            let severities = Severity.descending.compactMap { severity -> String? in
                guard let value = group.bySeverity[severity], value > 0 else { return nil }
                return "\(count(value)) \(severity.rawValue)"
            }
            var model: [String: Any] = [
                "rule": group.rule, "title": group.title, "severity": group.severity.rawValue, "risk": group.risk,
                "remediation": group.remediation, "calls": group.calls, "has_calls": !group.calls.isEmpty,
                "count": count(group.unsuppressed), "count_raw": group.unsuppressed,
                "noun": group.unsuppressed == 1 ? "finding" : "findings",
                "suppressed": count(group.suppressed), "suppressed_raw": group.suppressed,
                "new": count(group.new), "new_raw": group.new, "has_new": group.new > 0,
                "has_suppressed": group.suppressed > 0,
                "severities": severities.joined(separator: ", "), "is_graded": group.bySeverity.count > 1,
                "rows": positions.map { row(findings[$0], calls: group.calls) }, "has_rows": !positions.isEmpty,
            ]
            model["more"] = ReportViewModel.truncation(shown: positions.count, total: total)
            return model
        }
        return (groups, shownTotal)
    }

    func row(_ finding: Finding, calls: [String]) -> [String: Any] {
        let key = finding.auditedKey ?? finding.keyHash.flatMap { ReportFacts.key($0, in: context.snapshot.keys) }
        let row: [String: Any?] = [
            "id": finding.id, "rule": finding.rule, "severity": finding.severity.rawValue,
            "key_name": name(finding.keyName, isKey: finding.keyHash != nil),
            "key_hash": finding.keyHash ?? "",
            "key_hash_short": finding.keyHash.map { String($0.prefix(12)) } ?? none,
            "workspace": workspace(finding.workspaceId), "workspace_id": finding.workspaceId.map(text) ?? "",
            "owner": key?.creatorUserId.map(text) ?? none,
            "evidence": text(finding.message),
            "status": finding.status.rawValue, "is_new": finding.status == .new,
            "first_seen": Timestamp.display(finding.firstSeen), "since": ReportViewModel.day(finding.firstSeen),
            "suppressed": finding.suppressed,
            "suppression": finding.suppression.map { suppression -> [String: Any] in
                [
                    "reason": text(suppression.reason), "owner": text(suppression.owner),
                    "ticket": suppression.ticket.map(text) ?? none, "expires": suppression.expires,
                ]
            },
            "calls": RemediationCalls.calls(calls, hash: finding.keyHash),
        ]
        return row.compactMapValues { $0 }
    }

    // MARK: - Changes

    /// The changes `keyaudit apply` made since the previous run, oldest first.
    func applied() -> [String: Any] {
        let changes = context.appliedChanges
        let limit = profile.changeRows
        return [
            "count": count(changes.count), "truncated": changes.count > limit, "row_limit": count(limit),
            "rows": changes.prefix(limit).map { change -> [String: Any] in
                [
                    "applied_at": Timestamp.display(change.appliedAt), "folder": text(change.folder),
                    "key_name": name(change.keyName), "hash": change.keyHash,
                    "hash_short": String(change.keyHash.prefix(12)), "action": text(change.action),
                    "detail": text(change.detail),
                ]
            },
        ]
    }

    func changes(_ diff: SnapshotDiff) -> [String: Any] {
        let limit = profile.changeRows
        func ref(_ key: SnapshotDiff.KeyRef) -> [String: Any] {
            [
                "name": name(key.name), "hash": key.hash, "hash_short": String(key.hash.prefix(12)),
                "workspace": workspace(key.workspaceId), "workspace_id": key.workspaceId.map(text) ?? none,
            ]
        }
        let elapsed = diff.spend.elapsedSeconds.map { seconds -> String in
            seconds >= 86_400 * 2
                ? String(format: "%.1f days", seconds / 86_400) : String(format: "%.1f hours", seconds / 3600)
        }
        let changedRows = diff.changed.prefix(limit).map { change -> [String: Any] in
            [
                "name": name(change.name), "hash": change.hash, "hash_short": String(change.hash.prefix(12)),
                "workspace": workspace(change.workspaceId),
                "fields": change.changes.map { field -> [String: Any] in
                    [
                        "field": text(field.field), "from": text(ReportViewModel.plain(field.from)),
                        "to": text(ReportViewModel.plain(field.to)),
                    ]
                },
            ]
        }
        // In a run the audit knows each new finding's severity; `keyaudit diff` has only the ids.
        let newFindings =
            context.audit.findings.isEmpty
            ? (findingRefs(diff.findings.new, limit: limit), diff.findings.new.count) : self.newFindings(limit: limit)
        let topSpenders = facts.topSpenders.prefix(min(SnapshotDiff.topSpenders, max(limit, 3)))
        let resolved = findingRefs(diff.findings.resolved, limit: limit)
        let cut = [
            diff.added.count > limit, diff.removed.count > limit, diff.changed.count > limit,
            newFindings.total > limit, diff.findings.resolved.count > limit,
        ]
        return [
            "from_path": text(diff.from.path), "from_taken_at": diff.from.takenAt.map(Timestamp.display) ?? none,
            "elapsed": elapsed ?? none,
            "added": diff.added.prefix(limit).map(ref), "added_count": count(diff.added.count),
            "removed": diff.removed.prefix(limit).map(ref), "removed_count": count(diff.removed.count),
            "changed": changedRows, "changed_count": count(diff.changed.count),
            "lists_truncated": cut.contains(true), "row_limit": count(limit),
            "spend_total": HumanReadable.money(diff.spend.total), "spend_total_raw": diff.spend.total,
            "top_spenders": topSpenders.map { spend -> [String: Any] in
                [
                    "name": name(spend.name), "hash_short": String(spend.hash.prefix(12)),
                    "growth": HumanReadable.money(spend.growth), "growth_raw": spend.growth,
                    "usage": HumanReadable.money(spend.usageTo),
                ]
            },
            "counter_resets": facts.counterResets.prefix(limit).map { spend -> [String: Any] in
                [
                    "name": name(spend.name), "hash_short": String(spend.hash.prefix(12)),
                    "from": HumanReadable.money(spend.usageFrom), "to": HumanReadable.money(spend.usageTo),
                ]
            },
            "new_findings": newFindings.rows, "new_findings_count": count(diff.findings.new.count),
            "resolved_findings": resolved, "resolved_findings_count": count(diff.findings.resolved.count),
            "persisting_findings_count": count(diff.findings.persisting.count),
            "is_empty": diff.isEmpty,
            "has_added": !diff.added.isEmpty, "has_removed": !diff.removed.isEmpty,
            "has_changed": !diff.changed.isEmpty, "has_top_spenders": !facts.topSpenders.isEmpty,
            "has_counter_resets": !facts.counterResets.isEmpty, "has_new_findings": !diff.findings.new.isEmpty,
            "has_resolved_findings": !diff.findings.resolved.isEmpty,
        ]
    }

    /// The findings marked new, most severe first (the audit's order), with the key's name and workspace.
    func newFindings(limit: Int) -> (rows: [[String: Any]], total: Int) {
        let findings = context.audit.findings
        let rows = facts.newPositions.prefix(limit).map { position -> [String: Any] in
            let finding = findings[position]
            return [
                "rule": finding.rule, "title": finding.title, "severity": finding.severity.rawValue,
                "key_name": name(finding.keyName, isKey: finding.keyHash != nil),
                "hash_short": finding.keyHash.map { String($0.prefix(12)) } ?? none,
                "workspace": workspace(finding.workspaceId), "suppressed": finding.suppressed,
            ]
        }
        return (rows, facts.newTotal)
    }

    /// Finding ids (resolved ones, or new ones without an audit) with the key's name (from this snapshot, or the
    /// keys removed since) and the severity the rule has under the policy, most severe first.
    func findingRefs(_ ids: [String], limit: Int) -> [[String: Any]] {
        let policy = context.audit.policy
        func severity(_ rule: String) -> Severity {
            policy.setting(for: rule).severity ?? RuleCatalog.rule(rule)?.defaultSeverity ?? .info
        }
        // Most severe first without sorting every id: one bucket per severity, each kept to `limit`.
        var buckets = [[String]](repeating: [], count: Severity.allCases.count)
        for id in ids {
            let column = Severity.descending.firstIndex(of: severity(String(id.prefix { $0 != ":" }))) ?? 0
            if buckets[column].count < limit { buckets[column].append(id) }
        }
        return buckets.joined().prefix(limit).map { id -> [String: Any] in
            let rule = String(id.prefix { $0 != ":" })
            let hash = String(id.drop { $0 != ":" }.dropFirst())
            let info = hash == "snapshot" ? (name: nil, workspaceId: nil, known: false) : facts.keyInfo(hash)
            return [
                "rule": rule, "title": RuleCatalog.rule(rule)?.title ?? rule, "severity": severity(rule).rawValue,
                "key_name": hash == "snapshot"
                    ? "(whole snapshot)" : (info.known ? name(info.name) : "(key not in either snapshot)"),
                "hash_short": hash == "snapshot" ? none : String(hash.prefix(12)),
                "workspace": workspace(info.workspaceId), "suppressed": false,
            ]
        }
    }

    // MARK: - Owners

    func owners() -> [String: Any] {
        let owners = facts.owners
        func rows(_ list: [ReportFacts.Owners.Row], label: (String?) -> String) -> [[String: Any]] {
            list.prefix(profile.ownerRows).map { row -> [String: Any] in
                var model: [String: Any] = [
                    "name": label(row.id), "id": row.id.map(text) ?? none, "keys": count(row.keys),
                    "findings": count(row.findings), "findings_raw": row.findings, "new": count(row.new),
                ]
                for (index, severity) in Severity.descending.enumerated() {
                    model[severity.rawValue] = count(row.bySeverity[index])
                }
                return model
            }
        }
        let workspaces = owners.byWorkspace
        let creators = owners.byCreator.filter { $0.findings > 0 }
        var model: [String: Any] = [
            "by_workspace": rows(workspaces) { $0.map { workspace($0) } ?? "(no workspace)" },
            "by_creator": rows(creators) { $0.map(text) ?? "(unknown)" },
            "creators_with_keys": count(owners.creatorsWithKeys),
            "creators_with_findings": count(creators.count),
            "has_creators": !creators.isEmpty,
        ]
        model["by_workspace_truncated"] = ReportViewModel.truncation(
            shown: min(workspaces.count, profile.ownerRows), total: workspaces.count)
        model["by_creator_truncated"] = ReportViewModel.truncation(
            shown: min(creators.count, profile.ownerRows), total: creators.count)
        return model
    }

    // MARK: - Suppressions

    func suppressions() -> [String: Any] {
        let statuses = context.audit.suppressions
        var cut = false
        func rows(_ state: SuppressionStatus.State) -> [[String: Any]] {
            let matching = statuses.filter { $0.state == state }
            if matching.count > profile.suppressionRows { cut = true }
            return matching.prefix(profile.suppressionRows).map { status in
                let suppression = status.suppression
                return [
                    "key": text(suppression.key), "rule": suppression.rule, "reason": text(suppression.reason),
                    "owner": text(suppression.owner), "ticket": suppression.ticket.map(text) ?? none,
                    "expires": suppression.expires, "matched": count(status.matched), "matched_raw": status.matched,
                    "location": text(suppression.location), "state": status.state.rawValue,
                ]
            }
        }
        var model: [String: Any] = [
            "expired": rows(.expired), "expiring_soon": rows(.expiringSoon), "active": rows(.active),
            "unmatched": rows(.unmatched), "count": count(statuses.count), "has_any": !statuses.isEmpty,
        ]
        model["truncated"] = cut
        return model
    }
}

/// Readable labels for the policy's thresholds (reports and the workbook's Summary).
package enum PolicyLabels {
    package static func thresholds(_ thresholds: Policy.Thresholds) -> [(label: String, value: String)] {
        func days(_ value: Int) -> String { "\(HumanReadable.count(value)) day\(value == 1 ? "" : "s")" }
        return [
            ("Stale after (not edited for)", days(thresholds.staleAfterDays)),
            ("Expiring soon (expires within)", days(thresholds.expiringWithinDays)),
            ("Unused after (not used for)", days(thresholds.unusedAfterDays)),
            (
                "Limit nearly exhausted (remaining below)",
                String(format: "%g%% of the limit", thresholds.limitRemainingShare * 100)
            ),
            ("Suppression expiring soon (within)", days(thresholds.suppressionWarningDays)),
            ("Rotated key may stay enabled (after its successor)", days(thresholds.rotationGraceDays)),
        ]
    }
}

/// The key inventory, built row by row while the template renders it, so that 100,000 keys never exist
/// as 100,000 dictionaries at once.
struct KeyRows: MustacheSequence {
    let keys: ArraySlice<KeyRecord>
    let workspaces: [String: String]
    /// Unsuppressed findings per key, by position in the snapshot.
    let findings: [Int32]

    func makeIterator() -> AnyIterator<[String: Any]> {
        var index = 0
        return AnyIterator {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            let position = keys.startIndex + index
            return row(keys[position], findings: position < findings.count ? Int(findings[position]) : 0)
        }
    }

    func row(_ key: KeyRecord, findings: Int) -> [String: Any] {
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
            "created_day": ReportViewModel.dayOf(key.createdAt), "updated_day": ReportViewModel.dayOf(key.updatedAt),
            "expires_day": ReportViewModel.dayOf(key.expiresAt), "last_used_day": ReportViewModel.dayOf(key.lastUsedAt),
            "creator_user_id": key.creatorUserId ?? none,
            "findings": HumanReadable.count(findings),
            "has_problems": !key.problems.isEmpty,
            "extra": extra.isEmpty ? "" : JSONWriter.string(.object(JSONObject(extra)), style: .compact),
        ]
        return row.compactMapValues { $0 }
    }
}
