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
            if let problem = Self.problem(
                method: method, kind: kind, body: body, precondition: precondition, absent: absent, expected: expected)
            {
                throw bad("action \(index + 1) \(problem)")
            }
            actions.append(
                Action(
                    number: item["number"]?.intValue ?? index + 1, keyHash: hash,
                    keyName: item["key_name"]?.stringValue,
                    kind: kind, rules: (item["rules"]?.arrayValue ?? []).compactMap(\.stringValue),
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
    /// kind, the body, what must hold after (`expected`) and the precondition must all agree, and only changes
    /// that tighten a key are allowed (a limit of 0 to 1,000,000 USD as the policy allows, a reset period,
    /// disabling, counting BYOK in the limit; never a name, never loosening).
    static func problem(
        method: String, kind: String, body: JSONObject?, precondition: JSONObject, absent: [String],
        expected: JSONObject
    ) -> String? {
        for object in [body ?? JSONObject(), precondition, expected] where Set(object.keys).count != object.keys.count {
            return "has a member name twice"
        }
        guard precondition["updated_at"] != nil || absent.contains("updated_at") else {
            return "has no updated_at in its precondition"
        }
        if method == "DELETE" {
            guard kind == "delete", body == nil, expected.isEmpty else {
                return "is a DELETE whose kind or body disagree"
            }
            return nil
        }
        guard method == "PATCH", let body, !body.isEmpty else { return "has a wrong method or an empty body" }
        let kinds = kind.split(separator: "+").map(String.init)
        guard !kinds.isEmpty, Set(kinds).count == kinds.count else { return "has a malformed kind" }
        var covered = Set<String>()
        for part in kinds {
            let fields: [String]
            switch part {
            case "set-limit": fields = ["limit", "limit_reset"]
            case "disable": fields = ["disabled"]
            case "include-byok-in-limit": fields = ["include_byok_in_limit"]
            default: return "has a kind a plan may not have (\(Escaping.oneLine(part, limit: 40)))"
            }
            guard fields.contains(where: { body[$0] != nil }) else { return "is \(part) but its body does not say so" }
            covered.formUnion(fields)
        }
        for (field, value) in zip(body.keys, body.values) {
            guard covered.contains(field) else { return "changes \(field), which its kind does not" }
            switch (field, value) {
            case ("limit", .number):
                guard let limit = value.doubleValue, limit.isFinite, (0...1_000_000).contains(limit) else {
                    return "sets a limit outside 0 to 1,000,000 USD"
                }
            case ("limit_reset", .string(let reset)) where ["daily", "weekly", "monthly"].contains(reset): break
            case ("disabled", .bool(true)), ("include_byok_in_limit", .bool(true)): break
            default: return "sets \(field) to a value a plan may not (only tightening changes are planned)"
            }
            guard precondition[field] != nil || absent.contains(field) else {
                return "changes \(field) without its value before in the precondition"
            }
            guard let wanted = expected[field], wanted.sameValue(as: value) else {
                return "expects \(field) to be other than its body sets"
            }
        }
        guard expected.keys.count == body.keys.count else { return "expects fields its body does not set" }
        return nil
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
