import Foundation
import KeyAuditAPI
import KeyAuditCore
import KeyAuditSnapshot

/// What applying a plan needs from the Management API: read one key, change it, delete it.
package protocol KeyEditing: Sendable {
    /// Checks, before anything is read or changed, that this is the Management API and the key is accepted.
    func checkEndpoint() async throws(KeyAuditError)
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
    /// Key hash → the successor that made it a rotated key's predecessor. Before such a key is changed, its
    /// successor is read: gone or disabled, the callers may be back on the predecessor, and it is left alone.
    package var successors: [String: String]

    package init(allowDelete: Bool, maxChanges: Int, successors: [String: String] = [:]) {
        self.allowDelete = allowDelete
        self.maxChanges = maxChanges
        self.successors = successors
    }

    /// Every action's result, in plan order. Throws only what stops the whole apply before anything was sent
    /// (the key refused on the first request); a problem later is recorded and the rest marked not attempted,
    /// so that what was already changed is still written down. `stoppedBy` says what stopped it.
    ///
    /// `interrupted` is asked before each action: a signal (SIGINT, SIGTERM, SIGHUP) lets the action in progress
    /// finish, then stops, so that every change sent is written down.
    ///
    /// `journal` is told before each request is sent and after each action's result, so that what was done is
    /// on disk even if the process is killed before the record is written.
    package func apply(
        _ plan: RemediationPlan, through api: any KeyEditing,
        interrupted: @Sendable () -> Int32? = { nil }, journal: @Sendable (JSONObject) -> Void = { _ in }
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
                let (done, stopping) = try await apply(action, through: api, sent: &sent, journal: journal)
                result = done
                stop = stopping
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
            if result.outcome != .notAttempted {
                journal(
                    JSONObject([
                        ("event", .string("result")), ("number", .int(result.number)),
                        ("key_hash", .string(result.keyHash)), ("outcome", .string(result.outcome.rawValue)),
                        ("detail", .string(result.detail)), ("status", result.status.map { .int($0) } ?? .null),
                    ]))
            }
        }
        return (results, stop)
    }

    /// One action. Throws only before anything was sent for it; once the request may have gone out, the result
    /// says so (with the key as read before) and a problem that stops the apply is returned beside it.
    private func apply(
        _ action: RemediationPlan.Action, through api: any KeyEditing, sent: inout Int,
        journal: @Sendable (JSONObject) -> Void
    ) async throws(EditFailure) -> (ActionResult, stop: KeyAuditError?) {
        var result = ActionResult(
            number: action.number, keyHash: action.keyHash, keyName: action.keyName, outcome: .failed, detail: "",
            status: nil, before: nil, after: nil)
        let read = try await api.key(action.keyHash)
        guard let read else {
            result.outcome = action.isDeletion ? .alreadyApplied : .skippedMissing
            result.detail = action.isDeletion ? "the key is already gone" : "the key no longer exists"
            return (result, nil)
        }
        result.before = read
        // Compared as keyaudit stores keys: a secret in a field was redacted in the snapshot (and so in the
        // precondition), and must not make the key look changed.
        let current = Redaction.redact(read).object
        if !action.isDeletion, Self.differences(current, from: action.expected, absent: []).isEmpty {
            result.outcome = .alreadyApplied
            result.detail = "the key already is as planned; nothing sent"
            return (result, nil)
        }
        let changed = Self.differences(current, from: action.precondition, absent: action.absent)
        guard changed.isEmpty else {
            result.outcome = .skippedChanged
            result.detail = "the key changed since the snapshot (\(changed.joined(separator: ", "))); make a new plan"
            return (result, nil)
        }
        if let successor = successors[action.keyHash] {
            let found = try await api.key(successor)
            let disabled = found?["disabled"]?.boolValue ?? false
            if found == nil || disabled {
                result.outcome = .skippedChanged
                result.detail =
                    "its successor \(successor.prefix(12))… is \(found == nil ? "gone" : "disabled") since the snapshot: the callers may be back on this key; make a new plan"
                return (result, nil)
            }
        }
        if action.isDeletion && !allowDelete {
            result.outcome = .skippedNotAllowed
            result.detail = "a deletion: give --allow-delete to apply it"
            return (result, nil)
        }
        guard sent < maxChanges else {
            result.outcome = .skippedLimit
            result.detail = "--max-changes \(maxChanges) reached; apply the plan again to continue"
            return (result, nil)
        }
        sent += 1
        journal(
            JSONObject([
                ("event", .string("sending")), ("number", .int(action.number)), ("key_hash", .string(action.keyHash)),
                ("request", .string("\(action.request.method) \(action.request.path)")),
                ("before", .object(current)),
            ]))
        var refusal: (status: Int, message: String)?
        do throws(EditFailure) {
            try await api.send(action.request)
        } catch {
            switch error {
            case .status(let status, let message):
                refusal = (status, message)
            case .fatal(let fatal):
                // A timeout, a reset, the deadline: the request may have reached the API.
                result.detail =
                    "the request may have reached the API (\(fatal.message)); whether it took is not known: apply the plan again to find out"
                return (result, fatal)
            }
        }
        let readBack: JSONObject?
        do throws(EditFailure) {
            readBack = try await api.key(action.keyHash)
        } catch {
            switch error {
            case .status(let status, let message):
                result.status = status
                result.detail =
                    "the request was sent, but reading the key back was answered \(status)\(message.isEmpty ? "" : ": \(message)"); whether it took is not known: apply the plan again to find out"
                return (result, nil)
            case .fatal(let fatal):
                result.detail =
                    "the request was sent, but the key could not be read back (\(fatal.message)); whether it took is not known: apply the plan again to find out"
                return (result, fatal)
            }
        }
        result.after = readBack
        let after = readBack.map { Redaction.redact($0).object }
        // A deletion retried after a lost answer meets 404: the key being gone is what was wanted.
        if let refusal, !(action.isDeletion && after == nil) {
            result.outcome = .failed
            result.status = refusal.status
            result.detail = "the API answered \(refusal.status)\(refusal.message.isEmpty ? "" : ": \(refusal.message)")"
            return (result, nil)
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
        return (result, nil)
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
