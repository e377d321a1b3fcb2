import Foundation
import KeyAuditSnapshot

/// Thresholds, per-rule settings and suppressions: what the audit holds keys to.
public struct Policy: Sendable, Equatable {
    /// The numbers the rules compare against (`thresholds:` in the policy file).
    public struct Thresholds: Sendable, Equatable {
        /// `stale-key`: an enabled key not edited for more than this many days.
        public var staleAfterDays: Int = 90
        /// `expiring-soon`: `expires_at` within this many days.
        public var expiringWithinDays: Int = 14
        /// `unused-key`: `last_used_at` older than this many days.
        public var unusedAfterDays: Int = 60
        /// `limit-nearly-exhausted`: `limit_remaining` below this share of `limit` (0…1).
        public var limitRemainingShare: Double = 0.1
        /// Suppressions expiring within this many days are listed as "expiring soon".
        public var suppressionWarningDays: Int = 14
        /// `rotated-predecessor-active`: a rotated key may stay enabled this many days after its successor was
        /// created, while callers move over.
        public var rotationGraceDays: Int = 7

        /// The defaults: stale after 90 days, expiring within 14, unused after 60, a 10% share, 14-day warning,
        /// 7 days of grace after a rotation.
        public init() {}

        static let names = [
            "stale_after_days", "expiring_within_days", "unused_after_days", "limit_remaining_share",
            "suppression_warning_days", "rotation_grace_days",
        ]
    }

    /// One rule's entry under `rules:` in the policy file.
    public struct RuleSetting: Sendable, Equatable {
        /// False: the rule is not evaluated and produces no findings.
        public var enabled: Bool = true
        /// Replaces the rule's own severity (including the graded severities of `disabled-with-usage`).
        public var severity: Severity?

        /// A setting; by default the rule is enabled at its own severity.
        public init(enabled: Bool = true, severity: Severity? = nil) {
            self.enabled = enabled
            self.severity = severity
        }
    }

    /// The thresholds in force (`thresholds:` in the policy file, `--stale-after` applied).
    public var thresholds = Thresholds()
    /// By rule id; rules not named keep their defaults.
    public var rules: [String: RuleSetting] = [:]
    /// Accepted risks, in the order the policy file lists them.
    public var suppressions: [Suppression] = []
    /// What `keyaudit plan` proposes for each rule's findings (`remediation:`), by rule id; a rule not named
    /// gets no action.
    public var remediation: [String: RemediationChoice] = [:]
    /// Where the policy came from: `built-in defaults` or the file's path.
    public var source: String = "built-in defaults"

    /// The built-in defaults: default thresholds, every rule enabled at its own severity, no suppressions.
    public init() {}

    /// The setting for rule id `rule`; enabled at the rule's own severity when the policy does not name it.
    public func setting(for rule: String) -> RuleSetting { rules[rule] ?? RuleSetting() }
}

/// An accepted risk: findings it matches stay visible but do not count, until it expires.
public struct Suppression: Sendable, Equatable {
    /// A 64-hex key hash, or a glob (`*`, `?`, `[…]`) over key names.
    public var key: String
    /// A rule id, or `*` for every rule.
    public var rule: String
    /// Why the risk is accepted; shown beside every finding it suppresses.
    public var reason: String
    /// Who accepted the risk, e.g. an email address.
    public var owner: String
    /// A tracking reference such as `SEC-1234`; nil when the policy gives none.
    public var ticket: String?
    /// The day it lapses, as written (`2027-01-31`); it suppresses through the end of that day, UTC.
    public var expires: String
    /// The first instant at which it no longer suppresses.
    public var expiresAt: Date
    /// Its position in the policy file, for messages (`policy.yml:14`).
    public var location: String

    /// A suppression as read from a policy file (or back from findings.json); `expiresAt` is the instant
    /// after the last day, UTC.
    public init(
        key: String, rule: String, reason: String, owner: String, ticket: String?, expires: String, expiresAt: Date,
        location: String
    ) {
        self.key = key
        self.rule = rule
        self.reason = reason
        self.owner = owner
        self.ticket = ticket
        self.expires = expires
        self.expiresAt = expiresAt
        self.location = location
    }

    package var matchesByHash: Bool { KeyRecord.isWellFormedHash(key) }

    package func matches(_ finding: Finding) -> Bool {
        guard rule == "*" || rule == finding.rule else { return false }
        guard let hash = finding.keyHash else { return false }
        if matchesByHash { return hash.lowercased() == key.lowercased() }
        return Glob.matches(key, finding.keyName ?? "")
    }

    package func isActive(at now: Date) -> Bool { now < expiresAt }
}

/// Shell-style globs over key names: `*`, `?` and `[…]` classes, matched on whole Unicode characters.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        match(Array(pattern), 0, Array(text), 0)
    }

    private static func match(_ p: [Character], _ pi: Int, _ t: [Character], _ ti: Int) -> Bool {
        var pi = pi
        var ti = ti
        var starP = -1
        var starT = -1
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                starP = pi
                starT = ti
                pi += 1
                continue
            }
            if pi < p.count, let (matched, next) = single(p, pi, t[ti]), matched {
                pi = next
                ti += 1
                continue
            }
            guard starP >= 0 else { return false }
            pi = starP + 1
            starT += 1
            ti = starT
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Whether pattern element at `pi` matches `c`, and the index after it.
    private static func single(_ p: [Character], _ pi: Int, _ c: Character) -> (Bool, Int)? {
        switch p[pi] {
        case "?":
            return (true, pi + 1)
        case "[":
            var index = pi + 1
            var negate = false
            if index < p.count, p[index] == "!" || p[index] == "^" {
                negate = true
                index += 1
            }
            var matched = false
            var first = true
            while index < p.count, p[index] != "]" || first {
                first = false
                if index + 2 < p.count, p[index + 1] == "-", p[index + 2] != "]" {
                    if p[index] <= c && c <= p[index + 2] { matched = true }
                    index += 3
                } else {
                    if p[index] == c { matched = true }
                    index += 1
                }
            }
            guard index < p.count else { return (p[pi] == c, pi + 1) }  // no closing bracket: literal
            return (matched != negate, index + 1)
        default:
            return (p[pi] == c, pi + 1)
        }
    }
}

/// What `keyaudit plan` proposes for the findings of one rule (an entry of `remediation:` in the policy file).
public struct RemediationChoice: Sendable, Equatable {
    /// The change made through the Management API.
    public enum Action: String, Sendable, CaseIterable {
        /// `PATCH /keys/{hash}` with `limit` and `limit_reset`.
        case setLimit = "set-limit"
        /// `PATCH /keys/{hash}` with `{"disabled": true}`.
        case disable
        /// `DELETE /keys/{hash}` (applied only with `keyaudit apply --allow-delete`).
        case delete
        /// `PATCH /keys/{hash}` with `{"include_byok_in_limit": true}`.
        case includeByokInLimit = "include-byok-in-limit"
        /// Nothing: the rule's findings are listed as left alone.
        case none
    }

    /// The change.
    public var action: Action
    /// `set-limit`: the credit limit in USD (nil: keep the key's limit, for `limit-never-resets`).
    public var limit: Double?
    /// `set-limit`: `daily`, `weekly` or `monthly` (nil: leave the reset period as it is).
    public var limitReset: String?
    /// Only keys whose finding is older than this many days by the rule's own measure (days since expiry,
    /// since the last edit, since the last use; otherwise since creation).
    public var olderThanDays: Int?

    /// A choice as the policy file states it.
    public init(action: Action, limit: Double? = nil, limitReset: String? = nil, olderThanDays: Int? = nil) {
        self.action = action
        self.limit = limit
        self.limitReset = limitReset
        self.olderThanDays = olderThanDays
    }

    /// The rules each action can fix; `none` fits every rule. `keyaudit policy check` refuses any other pairing.
    public static let fittingRules: [Action: Set<String>] = [
        .setLimit: ["no-limit", "limit-never-resets", "limit-nearly-exhausted"],
        .disable: [
            "stale-key", "no-limit", "expiring-soon", "limit-nearly-exhausted", "byok-outside-limit",
            "limit-never-resets", "unused-key", "rotated-predecessor-active",
        ],
        .delete: [
            "expired-not-deleted", "disabled-with-usage", "stale-key", "unused-key", "rotated-predecessor-active",
        ],
        .includeByokInLimit: ["byok-outside-limit"],
    ]

    /// Whether this action can fix findings of `rule`.
    public func fits(rule: String) -> Bool {
        action == .none || (Self.fittingRules[action]?.contains(rule) ?? false)
    }
}
