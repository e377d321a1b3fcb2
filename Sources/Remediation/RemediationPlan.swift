import Foundation
import KeyAuditAudit
import KeyAuditCore

/// A reviewed list of changes to make through the Management API, made by `keyaudit plan` from one run's
/// unsuppressed findings and the policy's `remediation:` section, applied by `keyaudit apply`.
///
/// A plan is evidence too: it names the run it was made from (folder and snapshot sha256) and when, and every
/// action carries the exact request and the key as it was snapshotted (its precondition), so that `apply` can
/// refuse to touch a key someone edited since.
public struct RemediationPlan: Sendable, Equatable {
    /// The format of remediation.json; a newer one is refused.
    public static let schemaVersion = 1
    /// `remediation.json`'s `kind`, so that a plan is not mistaken for another JSON file.
    public static let kind = "keyaudit-remediation-plan"

    /// The run a plan was made from.
    public struct Source: Sendable, Equatable {
        /// The run folder's name, e.g. `20261126T030000Z`.
        public var runName: String
        /// The run folder's path when the plan was made (apply looks for it there, then beside the plan).
        public var runFolder: String
        /// sha256 of the run's snapshot.json: apply refuses a plan whose run no longer has it.
        public var snapshotSHA256: String
        /// When the run's snapshot was taken.
        public var takenAt: Date?

        package init(runName: String, runFolder: String, snapshotSHA256: String, takenAt: Date?) {
            self.runName = runName
            self.runFolder = runFolder
            self.snapshotSHA256 = snapshotSHA256
            self.takenAt = takenAt
        }
    }

    /// One HTTP call of the Management API, as it will be sent (paths relative to the base URL).
    public struct Request: Sendable, Equatable {
        /// `PATCH` or `DELETE`.
        public var method: String
        /// `/keys/<hash>`.
        public var path: String
        /// The JSON body of a `PATCH`; nil for `DELETE`.
        public var body: JSONObject?
    }

    /// One change to one key.
    public struct Action: Sendable, Equatable {
        /// Position in the plan, from 1: how the apply record and people refer to it.
        public var number: Int
        /// The key's hash.
        public var keyHash: String
        /// The key's name as snapshotted (for people; never used to find the key).
        public var keyName: String?
        /// What is done: `set-limit`, `disable`, `delete`, `include-byok-in-limit`, or several PATCH changes
        /// merged (`set-limit+include-byok-in-limit`).
        public var kind: String
        /// The rules whose findings this action fixes, the one that chose it first.
        public var rules: [String]
        /// The exact request.
        public var request: Request
        /// The key as snapshotted: `updated_at` and every field the action changes, exactly as received (a field
        /// that was absent is listed in ``absent``). Apply skips the key if any of them differs now.
        public var precondition: JSONObject
        /// Precondition fields the snapshotted key did not have at all.
        public var absent: [String]
        /// The fields the key must show once the change took (empty for a deletion: the key must be gone).
        public var expected: JSONObject

        /// Whether the action deletes the key.
        public var isDeletion: Bool { request.method == "DELETE" }
    }

    /// A finding for which the plan proposes nothing, and why (no remediation configured, left alone by the
    /// policy, too recent, covered by another action, rotate by hand, …).
    public struct Skipped: Sendable, Equatable {
        /// The key's hash (or `~nohash-…` for a key without one).
        public var keyHash: String
        /// The key's name as snapshotted.
        public var keyName: String?
        /// The finding's rule.
        public var rule: String
        /// Why nothing is planned, and what could be done.
        public var reason: String
    }

    /// The run the plan was made from.
    public var source: Source
    /// When the plan was made: apply refuses a plan older than `--max-plan-age`.
    public var createdAt: Date
    /// Where the `remediation:` section came from (the policy file's path, or "none").
    public var policySource: String
    /// The changes, in the order they will be applied.
    public var actions: [Action]
    /// The findings left alone, and why.
    public var skipped: [Skipped]
}
