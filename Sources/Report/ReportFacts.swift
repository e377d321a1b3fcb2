import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditSnapshot

/// What every report of a run is made of, computed once from the context in one pass over the findings and one
/// over the keys: the findings grouped by rule, the owners' tallies, the summary and the trend. The view model
/// then only cuts lists to what a format shows (``ReportViewModel/Profile``), so report.md can be built again
/// with shorter lists until it fits GitHub without the 170,000 findings of a large account being walked again.
struct ReportFacts {
    let context: ReportContext
    let summary: RunSummary
    let counts: FindingsDocument.Summary
    /// Workspace id → name, from the workspaces the listing returned.
    let workspaceNames: [String: String]
    /// Rules with findings, most severe first.
    let groups: [RuleGroup]
    let owners: Owners
    /// This run and the ones before it, oldest first, at most ``RunHistory/limit``.
    let trend: [RunSummary]
    /// Most rows any list keeps; profiles cut further.
    let rowCap: Int

    /// The findings of one rule.
    struct RuleGroup {
        var rule: String
        var title: String
        var risk: String
        /// The remediation with `{hash}` standing for the key's hash: the API call as a pattern.
        var remediation: String
        /// The API calls of the remediation, as patterns with `{hash}` (copy-paste calls per key are made from them).
        var calls: [String]
        /// The most severe of its unsuppressed findings (of all, when every one is suppressed).
        var severity: Severity
        /// Unsuppressed findings per severity.
        var bySeverity: [Severity: Int] = [:]
        var unsuppressed = 0
        var suppressed = 0
        var new = 0
        /// Positions in `audit.findings`, in report order: the first unsuppressed ones, then the first suppressed.
        var shownUnsuppressed: [Int] = []
        var shownSuppressed: [Int] = []
        let catalogPosition: Int
    }

    /// Findings by workspace and by creator (`creator_user_id`), so each team sees what is theirs.
    struct Owners {
        struct Row {
            var id: String?
            var keys = 0
            var findings = 0
            var new = 0
            /// Unsuppressed findings per severity, most severe first (critical … info).
            var bySeverity = [Int](repeating: 0, count: Severity.allCases.count)
        }

        /// Every workspace the keys name, most findings first.
        var byWorkspace: [Row]
        /// Creators with at least one finding, most findings first; plus how many creators have keys.
        var byCreator: [Row]
        var creatorsWithKeys: Int
    }

    init(_ context: ReportContext) {
        self.context = context
        let limit = context.rowLimit > 0 ? context.rowLimit : Int.max
        rowCap = limit
        summary = RunSummary(context)
        counts = FindingsDocument.Summary(snapshot: context.snapshot, audit: context.audit)
        workspaceNames = context.workspaceNames()
        trend = Array((context.history.runs + [summary]).suffix(RunHistory.limit))

        // One pass over the findings: groups, and the owners' findings.
        let findings = context.audit.findings
        var groupIndex: [String: Int] = [:]
        var groups: [RuleGroup] = []
        var workspaceRows: [String: Owners.Row] = [:]
        var creatorRows: [String: Owners.Row] = [:]
        let noWorkspace = "\u{0}none"
        let keys = context.snapshot.keys
        for (position, finding) in findings.enumerated() {
            let index: Int
            if let known = groupIndex[finding.rule] {
                index = known
            } else {
                index = groups.count
                groupIndex[finding.rule] = index
                groups.append(Self.group(for: finding))
            }
            if finding.suppressed {
                groups[index].suppressed += 1
                if groups[index].shownSuppressed.count < limit { groups[index].shownSuppressed.append(position) }
                continue
            }
            groups[index].unsuppressed += 1
            groups[index].bySeverity[finding.severity, default: 0] += 1
            if groups[index].unsuppressed == 1 || finding.severity > groups[index].severity {
                groups[index].severity = finding.severity
            }
            let isNew = finding.status == .new
            if isNew { groups[index].new += 1 }
            if groups[index].shownUnsuppressed.count < limit { groups[index].shownUnsuppressed.append(position) }
            guard let hash = finding.keyHash else { continue }
            let key = finding.auditedKey ?? Self.key(hash, in: keys)
            let severityColumn = Severity.descending.firstIndex(of: finding.severity) ?? 0
            func count(_ row: inout Owners.Row) {
                row.findings += 1
                row.bySeverity[severityColumn] += 1
                if isNew { row.new += 1 }
            }
            count(&workspaceRows[finding.workspaceId ?? noWorkspace, default: Owners.Row()])
            if let creator = key?.creatorUserId { count(&creatorRows[creator, default: Owners.Row()]) }
        }
        self.groups = groups.sorted { a, b in
            if (a.unsuppressed > 0) != (b.unsuppressed > 0) { return a.unsuppressed > 0 }
            if a.severity != b.severity { return a.severity > b.severity }
            return a.catalogPosition < b.catalogPosition
        }

        // One pass over the keys: how many keys each workspace and creator has.
        var creatorsWithKeys = Set<String>()
        for key in keys {
            workspaceRows[key.workspaceId ?? noWorkspace, default: Owners.Row()].keys += 1
            if let creator = key.creatorUserId {
                if creatorRows[creator] != nil {
                    creatorRows[creator]!.keys += 1
                } else {
                    creatorsWithKeys.insert(creator)
                }
            }
        }
        func ordered(_ rows: [String: Owners.Row]) -> [Owners.Row] {
            rows.map { id, row in
                var row = row
                row.id = id == noWorkspace ? nil : id
                return row
            }.sorted { a, b in
                a.findings != b.findings ? a.findings > b.findings : (a.id ?? "") < (b.id ?? "")
            }
        }
        owners = Owners(
            byWorkspace: ordered(workspaceRows), byCreator: ordered(creatorRows),
            creatorsWithKeys: creatorsWithKeys.count + creatorRows.count)
    }

    private static func group(for finding: Finding) -> RuleGroup {
        let rule = RuleCatalog.rule(finding.rule)
        let remediation = rule?.remediation ?? finding.remediation
        return RuleGroup(
            rule: finding.rule, title: rule?.title ?? finding.title, risk: rule?.risk ?? "",
            remediation: remediation, calls: rule == nil ? [] : RemediationCalls.patterns(in: remediation),
            severity: finding.severity,
            catalogPosition: RuleCatalog.all.firstIndex { $0.id == finding.rule } ?? RuleCatalog.all.count)
    }

    /// The key with `hash` in keys sorted by identity.
    static func key(_ hash: String, in keys: [KeyRecord]) -> KeyRecord? {
        let index = Snapshot.firstIndex(atOrAfter: hash, in: keys, by: \.identity)
        return index < keys.count && keys[index].identity == hash ? keys[index] : nil
    }

    /// Name and workspace of the key a finding id names, from the current keys or the removed ones.
    func keyInfo(_ hash: String) -> (name: String?, workspaceId: String?, known: Bool) {
        Self.keyInfo(hash, context: context)
    }

    static func keyInfo(_ hash: String, context: ReportContext) -> (name: String?, workspaceId: String?, known: Bool) {
        if let key = key(hash, in: context.snapshot.keys) { return (key.name, key.workspaceId, true) }
        if let removed = context.diff?.removed {
            let index = Snapshot.firstIndex(atOrAfter: hash, in: removed, by: \.hash)
            if index < removed.count, removed[index].hash == hash {
                return (removed[index].name, removed[index].workspaceId, true)
            }
        }
        return (nil, nil, false)
    }

    func workspaceName(_ id: String?) -> String? { id.map { workspaceNames[$0] ?? $0 } }
}

/// The Management API calls a remediation text names, as patterns: `PATCH /api/v1/keys/{hash} {"limit": 50}`.
enum RemediationCalls {
    static let methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]

    /// Calls on `/api/v1/keys/{hash}`, with the JSON body that follows `with`, in the order written, each once.
    static func patterns(in text: String) -> [String] {
        var calls: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: " /api/v1/keys/{hash}") {
            let before = rest[..<range.lowerBound]
            let method = methods.first { before.hasSuffix($0) }
            var call = method.map { "\($0) /api/v1/keys/{hash}" }
            var after = rest[range.upperBound...]
            if call != nil, after.hasPrefix(" with {") {
                after = after.dropFirst(" with ".count)
                var depth = 0
                var end = after.startIndex
                for index in after.indices {
                    if after[index] == "{" { depth += 1 }
                    if after[index] == "}" {
                        depth -= 1
                        if depth == 0 {
                            end = after.index(after: index)
                            break
                        }
                    }
                }
                if end > after.startIndex {
                    call! += " " + after[..<end]
                    after = after[end...]
                }
            }
            if let call, !calls.contains(call) { calls.append(call) }
            rest = after
        }
        return calls
    }

    /// The patterns with the key's hash in place; none for a key without a usable hash.
    static func calls(_ patterns: [String], hash: String?) -> [String] {
        guard let hash, !hash.hasPrefix(KeyRecord.noHashPrefix) else { return [] }
        return patterns.map { $0.replacingOccurrences(of: "{hash}", with: hash) }
    }
}
