import KeyAuditCore

/// The rule catalog as data, for `keyaudit rules --format json`.
package enum RuleDescriptions {
    package static var json: JSONValue {
        .array(
            RuleCatalog.all.map { rule in
                .object(
                    JSONObject([
                        ("id", .string(rule.id)), ("scope", .string(rule.scope.rawValue)),
                        ("default_severity", .string(rule.defaultSeverity.rawValue)),
                        ("severity_note", rule.severityNote.map { .string($0) } ?? .null),
                        ("title", .string(rule.title)), ("risk", .string(rule.risk)),
                        ("remediation", .string(rule.remediation)),
                        ("evidence", .array(rule.evidenceFields.map { .string($0) })),
                    ]))
            })
    }
}
