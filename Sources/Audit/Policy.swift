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

        /// The defaults: stale after 90 days, expiring within 14, unused after 60, a 10% share, 14-day warning.
        public init() {}

        static let names = [
            "stale_after_days", "expiring_within_days", "unused_after_days", "limit_remaining_share",
            "suppression_warning_days",
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
