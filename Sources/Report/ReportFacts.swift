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
    /// Unsuppressed findings per rule id (rules with none are absent).
    let byRule: [String: Int]
    /// Workspace id → name, from the workspaces the listing returned.
    let workspaceNames: [String: String]
    /// Rules with findings, most severe first.
    let groups: [RuleGroup]
    let owners: Owners
    /// This run and the ones before it, oldest first, at most ``RunHistory/limit``.
    let trend: [RunSummary]
    /// Most rows any list keeps; profiles cut further.
    let rowCap: Int
    /// Unsuppressed findings per key, by the key's position in the snapshot.
    let findingsPerKey: [Int32]
    /// Positions in `audit.findings` of the first findings marked new (at most `rowCap`), and how many there are.
    let newPositions: [Int]
    let newTotal: Int
    /// The largest spenders since the previous run, and the keys whose usage went down (each sorted once here:
    /// every profile of report.md would otherwise sort 100,000 keys again).
    let topSpenders: [SnapshotDiff.KeySpend]
    let counterResets: [SnapshotDiff.KeySpend]

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
        /// Creators with at least one finding, most findings first.
        var byCreator: [Row]
        /// Creators with at least one key.
        var creatorsWithKeys: Int
    }

    /// One pass over the findings and one over the keys; no dictionary is looked up per finding (findings come
    /// grouped by rule, and are tallied per key first, then per workspace and creator while walking the keys).
    init(_ context: ReportContext) {
        self.context = context
        let limit = context.rowLimit > 0 ? context.rowLimit : Int.max
        rowCap = limit
        summary = RunSummary(context)
        workspaceNames = context.workspaceNames()
        trend = Array((context.history.runs + [summary]).suffix(RunHistory.limit))

        let findings = context.audit.findings
        let keys = context.snapshot.keys
        let severities = Severity.descending.count
        var perKey = [Int32](repeating: 0, count: keys.count)
        var perKeyNew = [Int32](repeating: 0, count: keys.count)
        var perKeySeverity = [Int32](repeating: 0, count: keys.count * severities)
        var groupIndex: [String: Int] = [:]
        var groups: [RuleGroup] = []
        var current = -1
        var newPositions: [Int] = []
        var newTotal = 0
        for (position, finding) in findings.enumerated() {
            let isNew = finding.status == .new
            if isNew {
                newTotal += 1
                if newPositions.count < limit { newPositions.append(position) }
            }
            // Findings are sorted by severity, then rule: the group of the previous finding is usually this one's.
            if current < 0 || groups[current].rule != finding.rule {
                if let known = groupIndex[finding.rule] {
                    current = known
                } else {
                    current = groups.count
                    groupIndex[finding.rule] = current
                    groups.append(Self.group(for: finding))
                }
            }
            if finding.suppressed {
                groups[current].suppressed += 1
                if groups[current].shownSuppressed.count < limit { groups[current].shownSuppressed.append(position) }
                continue
            }
            groups[current].unsuppressed += 1
            groups[current].bySeverity[finding.severity, default: 0] += 1
            if groups[current].unsuppressed == 1 || finding.severity > groups[current].severity {
                groups[current].severity = finding.severity
            }
            if isNew { groups[current].new += 1 }
            if groups[current].shownUnsuppressed.count < limit { groups[current].shownUnsuppressed.append(position) }
            guard let index = Self.position(of: finding, in: keys) else { continue }
            perKey[index] += 1
            if isNew { perKeyNew[index] += 1 }
            perKeySeverity[index * severities + (Severity.descending.firstIndex(of: finding.severity) ?? 0)] += 1
        }
        self.groups = groups.sorted { a, b in
            if (a.unsuppressed > 0) != (b.unsuppressed > 0) { return a.unsuppressed > 0 }
            if a.severity != b.severity { return a.severity > b.severity }
            return a.catalogPosition < b.catalogPosition
        }
        byRule = Dictionary(uniqueKeysWithValues: groups.map { ($0.rule, $0.unsuppressed) })
        findingsPerKey = perKey
        self.newPositions = newPositions
        self.newTotal = newTotal

        // One pass over the keys: each key's tallies go to its workspace and creator.
        let noWorkspace = "\u{0}none"
        var workspaceRows: [String: Owners.Row] = [:]
        var creatorRows: [String: Owners.Row] = [:]
        func add(_ index: Int, to row: inout Owners.Row) {
            row.keys += 1
            guard perKey[index] > 0 else { return }
            row.findings += Int(perKey[index])
            row.new += Int(perKeyNew[index])
            for severity in 0..<severities {
                row.bySeverity[severity] += Int(perKeySeverity[index * severities + severity])
            }
        }
        // By index, reading the two fields in place: `enumerated()` would copy every key (a dozen retains each).
        for index in keys.indices {
            add(index, to: &workspaceRows[keys[index].workspaceId ?? noWorkspace, default: Owners.Row()])
            if let creator = keys[index].creatorUserId {
                add(index, to: &creatorRows[creator, default: Owners.Row()])
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
            byWorkspace: ordered(workspaceRows), byCreator: ordered(creatorRows.filter { $0.value.findings > 0 }),
            creatorsWithKeys: creatorRows.count)

        let spend = context.diff?.spend
        topSpenders = spend?.top(SnapshotDiff.topSpenders) ?? []
        counterResets = spend?.counterResets ?? []
    }

    /// The position of a finding's key in `keys`: the audit's own index when it matches (identity strings of the
    /// same key share storage, so the check is one pointer comparison), else a binary search by hash (findings
    /// read back from a findings.json); nil for snapshot findings and keys not in the snapshot.
    static func position(of finding: Finding, in keys: [KeyRecord]) -> Int? {
        guard let hash = finding.keyHash else { return nil }
        if let index = finding.keyIndex, index < keys.count, keys[index].identity == hash { return index }
        let index = Snapshot.firstIndex(atOrAfter: hash, in: keys, by: \.identity)
        return index < keys.count && keys[index].identity == hash ? index : nil
    }

    private static func group(for finding: Finding) -> RuleGroup {
        let rule = RuleCatalog.rule(finding.rule)
        let remediation = rule?.remediation ?? finding.remediation
        return RuleGroup(
            rule: finding.rule, title: rule?.title ?? finding.title, risk: rule?.risk ?? "",
            remediation: remediation, calls: RemediationCalls.patterns(forRule: finding.rule),
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

    /// The calls the reports show beside a rule's findings, ready to send for each key (report.html offers them
    /// to copy, report.xlsx has a column). Declared per rule, not lifted from the remediation text: a call is
    /// shown only when it is the whole fix and can be undone, or acts on a key that is already dead. So
    /// `expiring-soon` shows no DELETE (a replacement must exist first), `stale-key` and `disabled-with-usage`
    /// none (a person decides first), `limit-nearly-exhausted` none (raise or disable: a choice), and
    /// `secret-in-metadata` none (the new name is not known). The remediation text says the whole procedure;
    /// ReviewerReportTests checks that every call here is one it names.
    static let byRule: [String: [String]] = [
        "no-limit": ["PATCH /api/v1/keys/{hash} {\"limit\": 50, \"limit_reset\": \"monthly\"}"],
        "expired-not-deleted": ["DELETE /api/v1/keys/{hash}"],
        "byok-outside-limit": ["PATCH /api/v1/keys/{hash} {\"include_byok_in_limit\": true}"],
        "limit-never-resets": ["PATCH /api/v1/keys/{hash} {\"limit_reset\": \"monthly\"}"],
        "unused-key": ["PATCH /api/v1/keys/{hash} {\"disabled\": true}"],
        "rotated-predecessor-active": ["PATCH /api/v1/keys/{hash} {\"disabled\": true}"],
    ]

    /// The calls shown for `rule`'s findings (see ``byRule``).
    static func patterns(forRule rule: String) -> [String] { byRule[rule] ?? [] }

    /// Calls on `/api/v1/keys/{hash}` a remediation text names, with the JSON body that follows `with`, in the
    /// order written, each once.
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
