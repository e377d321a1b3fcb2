import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// remediation.json (read and written) and remediation.md (for people).
extension RemediationPlan {
    /// The plan as remediation.json: pretty, stable field order, the same plan always the same bytes.
    package func encoded() -> [UInt8] {
        var out = JSONWriter.bytes(json, style: .pretty(indent: 2, level: 0))
        out.append(10)
        return out
    }

    package var json: JSONValue {
        .object(
            JSONObject([
                ("schema_version", .int(Self.schemaVersion)), ("kind", .string(Self.kind)),
                ("created_at", .string(Timestamp.format(createdAt))),
                (
                    "run",
                    .object(
                        JSONObject([
                            ("name", .string(source.runName)), ("folder", .string(source.runFolder)),
                            ("snapshot_sha256", .string(source.snapshotSHA256)),
                            ("taken_at", source.takenAt.map { .string(Timestamp.format($0)) } ?? .null),
                        ]))
                ),
                ("policy", .string(policySource)),
                ("actions", .array(actions.map(\.json))),
                (
                    "skipped",
                    .array(
                        skipped.map { item in
                            .object(
                                JSONObject([
                                    ("key_hash", .string(item.keyHash)),
                                    ("key_name", item.keyName.map { .string($0) } ?? .null),
                                    ("rule", .string(item.rule)), ("reason", .string(item.reason)),
                                ]))
                        })
                ),
            ]))
    }

    /// Reads remediation.json strictly: anything unexpected makes the plan unusable (65), because apply acts on it.
    package static func decode(_ bytes: [UInt8], origin: String) throws(KeyAuditError) -> RemediationPlan {
        func bad(_ what: String) -> KeyAuditError {
            .malformedData("\(origin) is not a usable keyaudit plan: \(what); make a new one with `keyaudit plan`")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw bad("not valid JSON (\(error))")
        }
        // One member name twice anywhere (an action, its request, the run) reads differently in jq or Python,
        // which keep the last, than here: the plan a reviewer inspected with them would not be the one applied.
        if let name = document.firstRepeatedMember() {
            throw bad("the member \(Escaping.oneLine(name, limit: 40)) appears twice in one object")
        }
        guard document["kind"]?.stringValue == kind else { throw bad("its kind is not \(kind)") }
        guard let version = document["schema_version"]?.intValue, version == schemaVersion else {
            throw bad("schema_version is not \(schemaVersion)")
        }
        guard let created = document["created_at"]?.stringValue.flatMap(Timestamp.date),
            let run = document["run"]?.objectValue, let runName = run["name"]?.stringValue,
            let runFolder = run["folder"]?.stringValue, let sha = run["snapshot_sha256"]?.stringValue,
            let items = document["actions"]?.arrayValue
        else { throw bad("created_at, run or actions is missing") }
        var actions: [Action] = []
        for (index, item) in items.enumerated() {
            guard let hash = item["key_hash"]?.stringValue, KeyRecord.isWellFormedHash(hash),
                let kind = item["kind"]?.stringValue, let request = item["request"]?.objectValue,
                let method = request["method"]?.stringValue, method == "PATCH" || method == "DELETE",
                let path = request["path"]?.stringValue, path == "/keys/\(hash)",
                let precondition = item["precondition"]?.objectValue, let expected = item["expected"]?.objectValue
            else { throw bad("action \(index + 1) is malformed") }
            let body = request["body"]?.objectValue
            let absent = (item["absent"]?.arrayValue ?? []).compactMap(\.stringValue)
            let rules = (item["rules"]?.arrayValue ?? []).compactMap(\.stringValue)
            if let problem = Self.problem(
                method: method, kind: kind, rules: rules, body: body, precondition: precondition, absent: absent,
                expected: expected)
            {
                throw bad("action \(index + 1) \(problem)")
            }
            actions.append(
                Action(
                    number: item["number"]?.intValue ?? index + 1, keyHash: hash,
                    keyName: item["key_name"]?.stringValue,
                    kind: kind, rules: rules,
                    request: Request(method: method, path: path, body: body), precondition: precondition,
                    absent: absent, expected: expected))
        }
        guard Set(actions.map(\.keyHash)).count == actions.count else { throw bad("a key has two actions") }
        guard actions.map(\.number) == Array(stride(from: 1, through: actions.count, by: 1)) else {
            throw bad("its actions are not numbered 1, 2, 3… in order")
        }
        let skipped: [Skipped] = (document["skipped"]?.arrayValue ?? []).compactMap { item in
            guard let hash = item["key_hash"]?.stringValue, let rule = item["rule"]?.stringValue else { return nil }
            return Skipped(
                keyHash: hash, keyName: item["key_name"]?.stringValue, rule: rule,
                reason: item["reason"]?.stringValue ?? "")
        }
        return RemediationPlan(
            source: Source(
                runName: runName, runFolder: runFolder, snapshotSHA256: sha,
                takenAt: run["taken_at"]?.stringValue.flatMap(Timestamp.date)),
            createdAt: created, policySource: document["policy"]?.stringValue ?? "none", actions: actions,
            skipped: skipped)
    }

    /// Why an action is not one `keyaudit plan` could have written, or nil. A plan is a file a person may edit
    /// between review and apply, and apply acts on it with a key that can destroy the account: the method, the
    /// kind, the rules it fixes, the body, what must hold after (`expected`) and the precondition must all agree,
    /// the precondition must hold every field ``preconditionFields(kinds:rules:)`` names (no fewer: a precondition
    /// cut down lets a changed key through), and only changes that tighten a key are allowed (a limit of 0 to
    /// 1,000,000 USD and never above the key's limit, a reset period and never a shorter one, disabling,
    /// counting BYOK in the limit; never a name).
    static func problem(
        method: String, kind: String, rules: [String], body: JSONObject?, precondition: JSONObject,
        absent: [String], expected: JSONObject
    ) -> String? {
        for object in [body ?? JSONObject(), precondition, expected] where Set(object.keys).count != object.keys.count {
            return "has a member name twice"
        }
        let kinds = kind.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        guard !kinds.isEmpty, Set(kinds).count == kinds.count else { return "has a malformed kind" }
        var choices: [RemediationChoice] = []
        for part in kinds {
            guard let action = RemediationChoice.Action(rawValue: part), action != .none else {
                return "has a kind a plan may not have (\(Escaping.oneLine(part, limit: 40)))"
            }
            choices.append(RemediationChoice(action: action))
        }
        // Every rule is fixed by one of the kinds, and every kind fixes one of the rules: a plan cannot delete a
        // key for a finding no deletion fixes.
        guard !rules.isEmpty, Set(rules).count == rules.count else { return "names no rule, or one rule twice" }
        for rule in rules where !choices.contains(where: { $0.fits(rule: rule) }) {
            return "fixes \(Escaping.oneLine(rule, limit: 40)) with \(kind), which does not fix that rule"
        }
        for choice in choices where !rules.contains(where: { choice.fits(rule: $0) }) {
            return "is \(choice.action.rawValue) for rules it does not fix"
        }
        let required = Self.preconditionFields(kinds: kinds, rules: rules)
        guard Set(absent).count == absent.count, Set(precondition.keys).isDisjoint(with: absent),
            Set(precondition.keys).union(absent) == Set(required)
        else {
            return "has a precondition other than \(required.joined(separator: ", ")) as snapshotted"
        }
        if method == "DELETE" {
            guard kinds == ["delete"], body == nil, expected.isEmpty else {
                return "is a DELETE whose kind or body disagree"
            }
            return nil
        }
        guard method == "PATCH", !kinds.contains("delete"), let body, !body.isEmpty else {
            return "has a wrong method or an empty body"
        }
        var covered = Set<String>()
        for part in kinds {
            let fields: [String]
            switch part {
            case "set-limit": fields = ["limit", "limit_reset"]
            case "disable": fields = ["disabled"]
            default: fields = ["include_byok_in_limit"]
            }
            guard fields.contains(where: { body[$0] != nil }) else { return "is \(part) but its body does not say so" }
            covered.formUnion(fields)
        }
        for (field, value) in zip(body.keys, body.values) {
            guard covered.contains(field) else { return "changes \(field), which its kind does not" }
            switch (field, value) {
            case ("limit", .number(let number)):
                // Sent as written: only the canonical lexeme of a plain amount (no `-0`, `1E6`, `1e-400`).
                guard let limit = value.doubleValue, limit.isFinite, limit.sign == .plus,
                    (0...1_000_000).contains(limit), JSONNumber(limit)?.text == number.text
                else {
                    return "sets a limit other than a plain amount from 0 to 1,000,000 USD"
                }
                if let before = precondition["limit"]?.doubleValue, limit > before {
                    return "raises the key's limit (only tightening changes are planned)"
                }
            case ("limit_reset", .string(let reset)):
                guard let period = Self.resetDays[reset] else {
                    return "sets limit_reset to a value a plan may not (daily, weekly or monthly)"
                }
                // A shorter period on a key with a limit lets it spend the limit more often.
                if precondition["limit"]?.doubleValue != nil, case .string(let before)? = precondition["limit_reset"],
                    let was = Self.resetDays[before], period < was
                {
                    return "shortens the key's reset period (only tightening changes are planned)"
                }
            case ("disabled", .bool(true)), ("include_byok_in_limit", .bool(true)): break
            default: return "sets \(field) to a value a plan may not (only tightening changes are planned)"
            }
            guard let wanted = expected[field], wanted.sameValue(as: value) else {
                return "expects \(field) to be other than its body sets"
            }
        }
        guard expected.keys.count == body.keys.count else { return "expects fields its body does not set" }
        return nil
    }

    /// The reset periods a plan may set, in days, to tell a shorter one.
    static let resetDays = ["daily": 1, "weekly": 7, "monthly": 30]

    /// Rules that judge a key by its use: an action for one of them also needs the key's use unchanged, because
    /// a key used since the snapshot is no longer what its finding said.
    static let usageRules: Set<String> = ["unused-key"]

    /// The fields an action's precondition holds (present, or listed as absent), in order: `updated_at`; the
    /// fields the change sets (both of a limit, so that apply can tell a raise); for a deletion, everything a
    /// deletion's rules judge by, the key's use included (a deletion cannot be undone, and `updated_at` does not
    /// move when a key is used); for a rule that judges use, the key's use.
    package static func preconditionFields(kinds: [String], rules: [String]) -> [String] {
        var fields = ["updated_at"]
        for kind in kinds {
            switch kind {
            case "set-limit": fields += ["limit", "limit_reset"]
            case "disable": fields += ["disabled"]
            case "include-byok-in-limit": fields += ["include_byok_in_limit"]
            case "delete":
                fields += ["disabled", "expires_at", "limit", "limit_reset", "name", "usage", "last_used_at"]
            default: break
            }
        }
        if rules.contains(where: usageRules.contains) { fields += ["usage", "last_used_at"] }
        var seen = Set<String>()
        return fields.filter { seen.insert($0).inserted }
    }

    /// remediation.md: what the plan does, for the person who signs it off.
    /// `planFile` is the plan's file name as the reviewer will apply it.
    package func markdown(planFile: String = "remediation.json") -> String {
        func md(_ text: String) -> String { Escaping.markdown(text) }
        func code(_ text: String) -> String { Escaping.markdownCode(text) }
        var lines = [
            "# Remediation plan for run \(md(source.runName))", "",
            "Made \(Timestamp.display(createdAt)) from `\(source.runName)/snapshot.json` (sha256 "
                + "\(code(source.snapshotSHA256))) under the policy \(md(policySource)). Nothing has been changed: "
                + "review it, then run \(code("keyaudit apply " + planFile)) to see what would be done and "
                + "\(code("keyaudit apply " + planFile + " --yes")) to do it.", "",
        ]
        if actions.isEmpty {
            lines.append(
                policySource == "none"
                    ? "**No action is planned**: the policy has no `remediation:` section. The findings below list what could be done."
                    : "**No action is planned.**")
        } else {
            let deletions = actions.count { $0.isDeletion }
            lines.append(
                "**\(HumanReadable.count(actions.count)) action\(actions.count == 1 ? "" : "s")**"
                    + (deletions > 0 ? ", \(deletions) of them deletions (applied only with `--allow-delete`)" : "")
                    + ". Before each, apply reads the key again and skips it if it changed since the snapshot.")
            lines += ["", "| # | Key | Hash | Fixes | Request | Precondition |", "|--:|---|---|---|---|---|"]
            for action in actions {
                let body = action.request.body.map { " " + JSONWriter.string(.object($0), style: .compact) } ?? ""
                let precondition =
                    zip(action.precondition.keys, action.precondition.values).map {
                        "\($0.0) = \(JSONWriter.string($0.1, style: .compact))"
                    } + action.absent.map { "\($0) absent" }
                lines.append(
                    "| \(action.number) | \(md(action.keyName ?? "(no name)")) | \(code(String(action.keyHash.prefix(12)))) | "
                        + "\(action.rules.map(code).joined(separator: ", ")) | "
                        + "\(code(action.request.method + " " + action.request.path + body)) | "
                        + "\(precondition.map(code).joined(separator: "<br>")) |")
            }
        }
        if !skipped.isEmpty {
            lines += ["", "## Left alone", "", "| Key | Hash | Rule | Why |", "|---|---|---|---|"]
            for item in skipped {
                lines.append(
                    "| \(md(item.keyName ?? "(no name)")) | \(code(String(item.keyHash.prefix(12)))) | "
                        + "\(code(item.rule)) | \(md(item.reason)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension RemediationPlan.Action {
    var json: JSONValue {
        .object(
            JSONObject([
                ("number", .int(number)), ("key_hash", .string(keyHash)),
                ("key_name", keyName.map { .string($0) } ?? .null), ("kind", .string(kind)),
                ("rules", .array(rules.map { .string($0) })),
                (
                    "request",
                    .object(
                        JSONObject(
                            [("method", .string(request.method)), ("path", .string(request.path))]
                                + (request.body.map { [("body", JSONValue.object($0))] } ?? [])))
                ),
                ("precondition", .object(precondition)), ("absent", .array(absent.map { .string($0) })),
                ("expected", .object(expected)),
            ]))
    }
}
