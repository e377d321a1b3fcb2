import Foundation
import KeyAuditCore
import Yams

/// Reads a policy YAML file strictly: an unknown key, a wrong type or a missing `expires` is an error
/// naming the file, line and field, because a typo in a security policy must not loosen it silently.
public enum PolicyFile {
    /// Reads and validates the policy file at `path` (`--policy`); ``Policy/source`` is set to `path`.
    ///
    /// - Throws: ``KeyAuditError/usage(_:)`` (exit 64) naming the file, and the line and column of a content error.
    public static func load(path: String) throws(KeyAuditError) -> Policy {
        let (_, root) = try YAMLReader.load(path: path, what: "--policy")
        return try policy(root, name: path)
    }

    /// Validates policy YAML given as text; `name` stands for the file in messages and in ``Policy/source``.
    public static func parse(_ text: String, name: String) throws(KeyAuditError) -> Policy {
        try policy(try YAMLReader(file: name).compose(text), name: name)
    }

    private static func policy(_ root: Node?, name: String) throws(KeyAuditError) -> Policy {
        var policy = Policy()
        policy.source = name
        guard let root else { return policy }  // an empty file: the defaults
        let reader = YAMLReader(file: name)
        var top = try reader.mapping(
            root, "the policy", allowed: ["version", "thresholds", "rules", "suppressions", "remediation"])
        // A section left empty (`suppressions:` with its entries commented out) is the same as no section.
        top.ordered.removeAll { _, node in YAMLReader.isEmpty(node) }

        if let version = top["version"] {
            let number = try reader.int(version, "version")
            guard number == 1 else {
                throw reader.error(version, "version is \(number), but this keyaudit reads policy version 1")
            }
        }
        if let node = top["thresholds"] {
            let thresholds = try reader.mapping(node, "thresholds", allowed: Policy.Thresholds.names)
            if let value = thresholds["stale_after_days"] {
                policy.thresholds.staleAfterDays = try reader.days(value, "thresholds.stale_after_days")
            }
            if let value = thresholds["expiring_within_days"] {
                policy.thresholds.expiringWithinDays = try reader.days(value, "thresholds.expiring_within_days")
            }
            if let value = thresholds["unused_after_days"] {
                policy.thresholds.unusedAfterDays = try reader.days(value, "thresholds.unused_after_days")
            }
            if let value = thresholds["rotation_grace_days"] {
                policy.thresholds.rotationGraceDays = try reader.days(value, "thresholds.rotation_grace_days")
            }
            if let value = thresholds["suppression_warning_days"] {
                policy.thresholds.suppressionWarningDays = try reader.days(value, "thresholds.suppression_warning_days")
            }
            if let value = thresholds["limit_remaining_share"] {
                let share = try reader.double(value, "thresholds.limit_remaining_share")
                guard share >= 0, share <= 1 else {
                    throw reader.error(
                        value, "thresholds.limit_remaining_share must be between 0 and 1 (e.g. 0.1 for 10%)")
                }
                policy.thresholds.limitRemainingShare = share
            }
        }
        if let node = top["rules"] {
            let rules = try reader.mapping(node, "rules", allowed: nil)
            for (id, value) in rules.ordered {
                guard RuleCatalog.rule(id) != nil else {
                    throw reader.error(
                        rules.keyNodes[id] ?? value,
                        "rules.\(id) is not a rule id; `keyaudit rules` lists them (\(RuleCatalog.all.map(\.id).joined(separator: ", ")))"
                    )
                }
                let fields = try reader.mapping(value, "rules.\(id)", allowed: ["enabled", "severity"])
                var setting = Policy.RuleSetting()
                if let enabled = fields["enabled"] { setting.enabled = try reader.bool(enabled, "rules.\(id).enabled") }
                if let severity = fields["severity"] {
                    setting.severity = try reader.severity(severity, "rules.\(id).severity")
                }
                policy.rules[id] = setting
            }
        }
        if let node = top["remediation"] {
            let entries = try reader.mapping(node, "remediation", allowed: nil)
            for (id, value) in entries.ordered {
                guard let rule = RuleCatalog.rule(id) else {
                    throw reader.error(
                        entries.keyNodes[id] ?? value,
                        "remediation.\(id) is not a rule id; `keyaudit rules` lists them")
                }
                policy.remediation[id] = try remediationChoice(value, rule: rule, reader: reader)
            }
        }
        if let node = top["suppressions"] {
            let sequence = try reader.sequence(node, "suppressions", " of entries (`- key: …`)")
            for (index, item) in sequence.enumerated() {
                let field = "suppressions[\(index)]"
                let entry = try reader.mapping(
                    item, field, allowed: ["key", "rule", "reason", "owner", "ticket", "expires"])
                func required(_ name: String, _ hint: String) throws(KeyAuditError) -> String {
                    guard let value = entry[name] else {
                        throw reader.error(item, "\(field).\(name) is missing; \(hint)")
                    }
                    let text = try reader.string(value, "\(field).\(name)")
                    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw reader.error(value, "\(field).\(name) is empty; \(hint)")
                    }
                    return text
                }
                let key = try required("key", "give a key hash or a glob over key names")
                let rule = try required("rule", "give a rule id or \"*\"")
                guard rule == "*" || RuleCatalog.rule(rule) != nil else {
                    throw reader.error(
                        entry["rule"] ?? item, "\(field).rule \"\(rule)\" is not a rule id; `keyaudit rules` lists them"
                    )
                }
                let reason = try required("reason", "say why the risk is accepted")
                let owner = try required("owner", "name who accepted the risk")
                let expires = try required("expires", "every suppression needs an expiry date (YYYY-MM-DD)")
                guard let expiresAt = expiryInstant(expires) else {
                    throw reader.error(
                        entry["expires"] ?? item, "\(field).expires \"\(expires)\" is not a date; write YYYY-MM-DD")
                }
                let ticket = try entry["ticket"].map { node throws(KeyAuditError) in
                    try reader.string(node, "\(field).ticket")
                }
                policy.suppressions.append(
                    Suppression(
                        key: key, rule: rule, reason: reason, owner: owner, ticket: ticket, expires: expires,
                        expiresAt: expiresAt, location: "\(name):\(item.mark?.line ?? 0)"))
            }
        }
        return policy
    }

    /// One `remediation:` entry: `{action: set-limit, limit: 50, limit_reset: monthly}` and the like.
    private static func remediationChoice(
        _ node: Node, rule: Rule, reader: YAMLReader
    ) throws(KeyAuditError) -> RemediationChoice {
        let field = "remediation.\(rule.id)"
        let entry = try reader.mapping(node, field, allowed: ["action", "limit", "limit_reset", "older_than_days"])
        guard let actionNode = entry["action"] else {
            throw reader.error(
                node,
                "\(field).action is missing; choose one of \(RemediationChoice.Action.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let name = try reader.string(actionNode, "\(field).action")
        guard let action = RemediationChoice.Action(rawValue: name) else {
            throw reader.error(
                actionNode,
                "\(field).action \"\(name)\" is not an action; choose one of \(RemediationChoice.Action.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var choice = RemediationChoice(action: action)
        guard choice.fits(rule: rule.id) else {
            let fitting = RemediationChoice.Action.allCases.filter { RemediationChoice(action: $0).fits(rule: rule.id) }
            throw reader.error(
                actionNode,
                "\(field).action \(name) does not fix \(rule.id) findings; for \(rule.id) choose \(fitting.map(\.rawValue).joined(separator: ", "))"
            )
        }
        if let node = entry["limit"] {
            guard action == .setLimit else { throw reader.error(node, "\(field).limit applies to set-limit only") }
            let limit = try reader.double(node, "\(field).limit")
            guard limit >= 0, limit <= 1_000_000 else {
                throw reader.error(node, "\(field).limit must be between 0 and 1000000 (USD)")
            }
            choice.limit = limit
        }
        if let node = entry["limit_reset"] {
            guard action == .setLimit else {
                throw reader.error(node, "\(field).limit_reset applies to set-limit only")
            }
            let reset = try reader.string(node, "\(field).limit_reset")
            guard ["daily", "weekly", "monthly"].contains(reset) else {
                throw reader.error(node, "\(field).limit_reset must be daily, weekly or monthly, not \"\(reset)\"")
            }
            choice.limitReset = reset
        }
        if let node = entry["older_than_days"] {
            guard action != .none else { throw reader.error(node, "\(field).older_than_days does not apply to none") }
            choice.olderThanDays = try reader.days(node, "\(field).older_than_days")
        }
        if action == .setLimit, choice.limit == nil, rule.id != "limit-never-resets" {
            throw reader.error(
                node, "\(field): set-limit needs a limit (USD) for \(rule.id), e.g. {action: set-limit, limit: 50}")
        }
        if action == .setLimit, choice.limit == nil, choice.limitReset == nil {
            throw reader.error(node, "\(field): set-limit needs a limit, a limit_reset or both")
        }
        return choice
    }

    /// A date suppresses through the end of that UTC day; a full timestamp, until that instant.
    package static func expiryInstant(_ text: String) -> Date? {
        if text.count == 10, let start = Timestamp.parse(text + "T00:00:00Z") {
            return Date(timeIntervalSince1970: start + 86_400)
        }
        return Timestamp.date(text)
    }

    /// The commented starting file `keyaudit policy init` writes.
    public static let starter = """
        # keyaudit policy (version 1). Every setting is optional; what is left out keeps its default.
        # The policy in force is recorded in findings.json and stated in every report.
        version: 1

        thresholds:
          stale_after_days: 90          # stale-key: enabled key not edited (updated_at, else created_at) for more days
          expiring_within_days: 14      # expiring-soon: expires_at within this many days
          unused_after_days: 60         # unused-key: last_used_at older than this many days
          limit_remaining_share: 0.1    # limit-nearly-exhausted: limit_remaining below this share of limit
          suppression_warning_days: 14  # suppressions expiring within this many days are listed as expiring soon
          rotation_grace_days: 7        # rotated-predecessor-active: days a rotated key may stay enabled

        # Per rule: turn it off, or change its severity (info, low, medium, high, critical).
        # `keyaudit rules` lists every rule id. To use the example, replace {} by the lines below, uncommented.
        rules: {}
        #  limit-never-resets:
        #    enabled: true
        #    severity: medium

        # Accepted risks. A suppressed finding stays in findings.json and the reports, marked suppressed,
        # and does not count towards --fail-on. `expires` is required: the risk is re-reviewed when it lapses.
        # To accept one, replace [] by entries like the one below, uncommented.
        suppressions: []
        #  - key: "ci-runner-*"          # a key hash (64 hex) or a glob over key names
        #    rule: no-limit              # a rule id, or "*"
        #    reason: "CI keys are capped by the runner's own budget"
        #    owner: "platform-team@example.com"
        #    ticket: "SEC-1234"
        #    expires: 2027-03-31         # YYYY-MM-DD, inclusive (UTC)

        # What `keyaudit plan RUN_DIR --policy THIS_FILE` proposes for each rule's unsuppressed findings; nothing
        # is changed until a person runs `keyaudit apply PLAN --yes`. At most one action per key. Actions:
        #   set-limit {limit: USD, limit_reset: daily|weekly|monthly}    no-limit, limit-never-resets, limit-nearly-exhausted
        #   disable                                                       most rules on enabled keys
        #   delete {older_than_days: N}   (apply needs --allow-delete)   expired-not-deleted, disabled-with-usage,
        #                                                                 stale-key, unused-key, rotated-predecessor-active
        #   include-byok-in-limit                                         byok-outside-limit
        #   none                                                          any rule: listed, left alone
        # older_than_days: only findings older than that by the rule's measure (days since expiry, last edit, last use).
        # keyaudit never rotates a key (a new secret must reach an application): stale keys are listed "rotate by hand".
        # To plan fixes, replace {} by lines like those below, uncommented.
        remediation: {}
        #  no-limit: {action: set-limit, limit: 50, limit_reset: monthly}
        #  stale-key: {action: disable}
        #  expired-not-deleted: {action: delete, older_than_days: 30}
        #  byok-outside-limit: {action: include-byok-in-limit}
        #  disabled-with-usage: {action: none}

        """
}

extension YAMLReader {
    func severity(_ node: Node, _ field: String) throws(KeyAuditError) -> Severity {
        let text = try scalar(node, field, "a severity")
        guard let severity = Severity(rawValue: text) else {
            throw error(node, "\(field) \"\(text)\" is not a severity; use info, low, medium, high or critical")
        }
        return severity
    }
}
