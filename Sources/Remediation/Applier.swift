import Foundation
import KeyAuditAPI
import KeyAuditCore
import KeyAuditSnapshot

/// What applying a plan needs from the Management API: read one key, change it, delete it.
package protocol KeyEditing: Sendable {
    /// The key as the API has it now; nil when it answers 404 (the key is gone). Throws ``EditFailure/status``
    /// when reading this key failed (after retries), ``EditFailure/fatal`` when the API cannot be used at all.
    func key(_ hash: String) async throws(EditFailure) -> JSONObject?
    /// Sends a plan's request; throws ``EditFailure`` when the API refused it (a status), or a `KeyAuditError`
    /// when it could not be reached, or the management key was refused.
    func send(_ request: RemediationPlan.Request) async throws(EditFailure)
}

/// Why one change was not made: the status the API answered with, or a fatal problem for the whole apply.
package enum EditFailure: Error, Sendable {
    /// The API answered the request with this status (after retries) and this message.
    case status(Int, String)
    /// A problem that stops the apply: the API unreachable, the management key refused, the deadline.
    case fatal(KeyAuditError)
}

/// What happened to one action of a plan: the evidence an apply folder records.
package struct ActionResult: Sendable, Equatable {
    /// How one action ended.
    package enum Outcome: String, Sendable, CaseIterable {
        /// The request was sent and reading the key back shows the change.
        case applied
        /// The key already was as the plan wants it (applied by an earlier apply, or by a person): nothing sent.
        case alreadyApplied = "already-applied"
        /// The key changed since the snapshot (its `updated_at` or a field the action changes): left alone.
        case skippedChanged = "skipped-changed"
        /// The key is gone.
        case skippedMissing = "skipped-missing"
        /// A deletion, and `--allow-delete` was not given.
        case skippedNotAllowed = "skipped-not-allowed"
        /// `--max-changes` was reached before this action.
        case skippedLimit = "skipped-limit"
        /// Not tried: the apply stopped before it (the API became unreachable).
        case notAttempted = "not-attempted"
        /// The request was refused, or the change did not take.
        case failed
    }

    package var number: Int
    package var keyHash: String
    package var keyName: String?
    package var outcome: Outcome
    /// One line: why it ended so (the field that changed, the status and message, …).
    package var detail: String
    /// The HTTP status of a refused request.
    package var status: Int?
    /// The key as read before the change (nil when it was gone or not read).
    package var before: JSONObject?
    /// The key as read back after the change (nil for a deletion, or when nothing was sent).
    package var after: JSONObject?

    /// Whether the plan's intent holds for this key now.
    package var succeeded: Bool { outcome == .applied || outcome == .alreadyApplied }
}

/// Applies a plan through the Management API, action by action, carefully: each key is read first and left
/// alone if it is gone or changed since the snapshot; the change is read back; deletions need permission;
/// at most `maxChanges` requests are sent. Running it again on the same plan sends only what is left (a key
/// already as the plan wants it is recognised by its state, not by memory of an earlier apply).
package struct Applier: Sendable {
    package var allowDelete: Bool
    package var maxChanges: Int

    package init(allowDelete: Bool, maxChanges: Int) {
        self.allowDelete = allowDelete
        self.maxChanges = maxChanges
    }

    /// Every action's result, in plan order. Throws only what stops the whole apply before anything was sent
    /// (the key refused on the first request); a problem later is recorded and the rest marked not attempted,
    /// so that what was already changed is still written down. `stoppedBy` says what stopped it.
    ///
    /// `interrupted` is asked before each action: a signal (SIGINT, SIGTERM, SIGHUP) lets the action in progress
    /// finish, then stops, so that every change sent is written down.
    package func apply(
        _ plan: RemediationPlan, through api: any KeyEditing,
        interrupted: @Sendable () -> Int32? = { nil }
    ) async -> (results: [ActionResult], stoppedBy: KeyAuditError?) {
        var results: [ActionResult] = []
        var sent = 0
        var stop: KeyAuditError?
        for action in plan.actions {
            var result = ActionResult(
                number: action.number, keyHash: action.keyHash, keyName: action.keyName, outcome: .notAttempted,
                detail: "not tried: the apply stopped before it", status: nil, before: nil, after: nil)
            if stop == nil, let signal = interrupted() { stop = .interrupted(signal: signal) }
            if stop != nil {
                results.append(result)
                continue
            }
            do throws(EditFailure) {
                result = try await apply(action, through: api, sent: &sent)
            } catch {
                switch error {
                case .fatal(let fatal):
                    stop = fatal
                    result.detail = "not completed: \(fatal.message)"
                case .status(let status, let message):
                    result.outcome = .failed
                    result.status = status
                    result.detail = "the API answered \(status)\(message.isEmpty ? "" : ": \(message)")"
                }
            }
            results.append(result)
        }
        return (results, stop)
    }

    private func apply(
        _ action: RemediationPlan.Action, through api: any KeyEditing, sent: inout Int
    ) async throws(EditFailure) -> ActionResult {
        var result = ActionResult(
            number: action.number, keyHash: action.keyHash, keyName: action.keyName, outcome: .failed, detail: "",
            status: nil, before: nil, after: nil)
        let current = try await api.key(action.keyHash)
        guard let current else {
            result.outcome = action.isDeletion ? .alreadyApplied : .skippedMissing
            result.detail = action.isDeletion ? "the key is already gone" : "the key no longer exists"
            return result
        }
        result.before = current
        if !action.isDeletion, Self.differences(current, from: action.expected, absent: []).isEmpty {
            result.outcome = .alreadyApplied
            result.detail = "the key already is as planned; nothing sent"
            return result
        }
        let changed = Self.differences(current, from: action.precondition, absent: action.absent)
        guard changed.isEmpty else {
            result.outcome = .skippedChanged
            result.detail = "the key changed since the snapshot (\(changed.joined(separator: ", "))); make a new plan"
            return result
        }
        if action.isDeletion && !allowDelete {
            result.outcome = .skippedNotAllowed
            result.detail = "a deletion: give --allow-delete to apply it"
            return result
        }
        guard sent < maxChanges else {
            result.outcome = .skippedLimit
            result.detail = "--max-changes \(maxChanges) reached; apply the plan again to continue"
            return result
        }
        sent += 1
        var refusal: (status: Int, message: String)?
        do throws(EditFailure) {
            try await api.send(action.request)
        } catch {
            guard case .status(let status, let message) = error else { throw error }
            refusal = (status, message)
        }
        let after: JSONObject?
        do throws(EditFailure) {
            after = try await api.key(action.keyHash)
        } catch {
            guard case .status(let status, let message) = error else { throw error }
            result.status = status
            result.detail =
                "the request was sent, but reading the key back was answered \(status)\(message.isEmpty ? "" : ": \(message)"); whether it took is not known: apply the plan again to find out"
            return result
        }
        result.after = after
        // A deletion retried after a lost answer meets 404: the key being gone is what was wanted.
        if let refusal, !(action.isDeletion && after == nil) {
            result.outcome = .failed
            result.status = refusal.status
            result.detail = "the API answered \(refusal.status)\(refusal.message.isEmpty ? "" : ": \(refusal.message)")"
            return result
        }
        if action.isDeletion {
            result.outcome = after == nil ? .applied : .failed
            result.detail = after == nil ? "deleted" : "the API accepted the deletion but the key is still there"
        } else if let after {
            let missing = Self.differences(after, from: action.expected, absent: [])
            result.outcome = missing.isEmpty ? .applied : .failed
            result.detail =
                missing.isEmpty
                ? "changed: " + action.expected.keys.joined(separator: ", ")
                : "the API accepted the change but the key does not show it (\(missing.joined(separator: ", ")))"
        } else {
            result.outcome = .failed
            result.detail = "the key disappeared after the change"
        }
        return result
    }

    /// The fields of `key` that are not as `wanted` says (numbers compared by value), and those that are present
    /// though `absent` says they should not be.
    package static func differences(_ key: JSONObject, from wanted: JSONObject, absent: [String]) -> [String] {
        var fields: [String] = []
        for (field, value) in zip(wanted.keys, wanted.values) {
            guard let now = key[field], now.sameValue(as: value) else {
                fields.append(field)
                continue
            }
        }
        for field in absent where key[field] != nil { fields.append(field) }
        return fields
    }
}
