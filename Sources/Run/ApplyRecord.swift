import Foundation
import KeyAuditCore
import KeyAuditRemediation

/// The evidence of one `keyaudit apply --yes`: an `apply-<YYYYMMDDTHHMMSSZ>` folder beside the run folders,
/// built in a staging folder and committed like a run (SHA256SUMS, a signature with a signing key), never
/// touching `latest`.
///
///     plan.json       the plan exactly as applied (its sha256 is in results.json)
///     results.json    per action: the outcome, why, the status, the key before and after
///     apply.md        the same for people
package struct ApplyRecord: Sendable {
    package static let schemaVersion = 1
    package static let kind = "keyaudit-apply"
    package static let prefix = "apply-"

    package var planBytes: [UInt8]
    package var plan: RemediationPlan
    package var results: [ActionResult]
    package var stoppedBy: KeyAuditError?
    package var startedAt: Date
    package var finishedAt: Date
    package var allowDelete: Bool
    package var maxChanges: Int
    /// The API the changes were sent to (`--base-url`); nil for a stand-in editor in tests.
    package var baseURL: String? = nil

    /// Starts the folder before anything is changed: a staging folder (a name already taken gets `-2`, `-3`…
    /// as runs do) holding the plan as it will be applied. The signal trap learns it, so a second signal removes
    /// it.
    package static func begin(
        into output: OutputDirectory, name: String, planBytes: [UInt8], trap: SignalTrap? = nil
    ) throws(KeyAuditError) -> RunFolder {
        var unique = name
        var suffix = 1
        while output.folder.kind(of: unique) != nil {
            suffix += 1
            unique = "\(name)-\(suffix)"
        }
        let folder = try RunFolder(output: output, name: unique)
        trap?.setStaging(folder)
        do {
            try folder.write(planBytes, as: "plan.json")
        } catch {
            folder.discard()
            throw error
        }
        return folder
    }

    /// Writes the results into the started folder, seals and commits it; returns its path.
    package func finish(
        _ folder: RunFolder, signingKey: SigningKey?, journal: ApplyJournal? = nil
    ) throws(KeyAuditError) -> String {
        var results = JSONWriter.bytes(json, style: .pretty(indent: 2, level: 0))
        results.append(10)
        try folder.write(results, as: "results.json")
        try folder.write(Array(markdown.utf8), as: "apply.md")
        // results.json now says everything the journal did; it is not part of the sealed record.
        journal?.finish()
        try folder.seal(signingKey: signingKey)
        try folder.commit()
        return folder.finalPath
    }

    package var json: JSONValue {
        .object(
            JSONObject([
                ("schema_version", .int(Self.schemaVersion)), ("kind", .string(Self.kind)),
                ("started_at", .string(Timestamp.format(startedAt))),
                ("finished_at", .string(Timestamp.format(finishedAt))),
                (
                    "plan",
                    .object(
                        JSONObject([
                            ("file", .string("plan.json")), ("sha256", .string(Checksum.sha256Hex(planBytes))),
                            ("created_at", .string(Timestamp.format(plan.createdAt))),
                            ("run", .string(plan.source.runName)),
                            ("snapshot_sha256", .string(plan.source.snapshotSHA256)),
                        ]))
                ),
                ("api", baseURL.map { .string($0) } ?? .null),
                ("allow_delete", .bool(allowDelete)), ("max_changes", .int(maxChanges)),
                ("stopped_by", stoppedBy.map { .string($0.message) } ?? .null),
                (
                    "results",
                    .array(
                        results.map { result in
                            .object(
                                JSONObject([
                                    ("number", .int(result.number)), ("key_hash", .string(result.keyHash)),
                                    ("key_name", result.keyName.map { .string($0) } ?? .null),
                                    ("action", .string(plan.actions.first { $0.number == result.number }?.kind ?? "")),
                                    ("outcome", .string(result.outcome.rawValue)), ("detail", .string(result.detail)),
                                    ("status", result.status.map { .int($0) } ?? .null),
                                    // As the API answered, through the one redaction: a secret pasted
                                    // into a key's name must not reach the evidence (see Redaction).
                                    ("before", result.before.map { .object(Redaction.redact($0).object) } ?? .null),
                                    ("after", result.after.map { .object(Redaction.redact($0).object) } ?? .null),
                                ]))
                        })
                ),
            ]))
    }

    package var markdown: String {
        var lines = [
            "# keyaudit apply \(Timestamp.format(startedAt))", "",
            "Plan made \(Timestamp.display(plan.createdAt)) from run \(Escaping.markdown(plan.source.runName)); "
                + "\(results.count { $0.outcome == .applied }) applied, "
                + "\(results.count { $0.outcome == .alreadyApplied }) already applied, "
                + "\(results.count { !$0.succeeded }) not done.",
        ]
        if let stoppedBy { lines += ["", "**Stopped early:** \(Escaping.markdown(stoppedBy.message))"] }
        lines += ["", "| # | Key | Hash | Action | Outcome | Why |", "|--:|---|---|---|---|---|"]
        for result in results {
            let action = plan.actions.first { $0.number == result.number }?.kind ?? ""
            lines.append(
                "| \(result.number) | \(Escaping.markdown(result.keyName ?? "(no name)")) | "
                    + "\(Escaping.markdownCode(String(result.keyHash.prefix(12)))) | \(Escaping.markdown(action)) | "
                    + "\(result.outcome.rawValue) | \(Escaping.markdown(result.detail)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What an apply has done so far, written into its staging folder before each request and after each result
/// (`journal.jsonl`, one JSON object per line, rewritten whole and synced each time). An apply that finishes
/// removes it: results.json says everything. One killed mid-way (a second signal, SIGKILL, a power cut) leaves
/// it, and its staging folder is then kept rather than cleaned up, because it is the only record of changes
/// already made to the account.
package final class ApplyJournal: @unchecked Sendable {
    // @unchecked: the lines are guarded by `lock`; the folder is written under it.
    package static let fileName = "journal.jsonl"
    private let folder: RunFolder
    private let lock = NSLock()
    private var lines: [UInt8] = []

    package init(_ folder: RunFolder) {
        self.folder = folder
    }

    /// Appends one event and writes the journal out.
    package func record(_ event: JSONObject) {
        lock.withLock {
            lines += JSONWriter.bytes(Redaction.redact(.object(event)).value, style: .compact)
            lines.append(10)
            try? folder.staging.writeAtomically(lines, to: Self.fileName)
            folder.staging.sync()
        }
    }

    /// Removed once results.json is written in its place.
    package func finish() {
        lock.withLock { try? folder.staging.removeEntry(Self.fileName) }
    }
}
