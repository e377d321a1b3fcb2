import ArgumentParser
import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditRemediation
import KeyAuditRun

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Turn a run's findings into a remediation plan to review (no network, changes nothing).",
        discussion: """
            Verifies RUN_DIR, then proposes at most one change per key for its unsuppressed findings, as the \
            policy's remediation section says (see `keyaudit policy init`): set a limit, disable, delete, count \
            BYOK usage in the limit. Without a remediation section it proposes nothing and lists what could be \
            done. Writes the plan (JSON, what apply reads) and the same as Markdown beside it (for the reviewer). \
            Each action records the exact request and the key as snapshotted: apply leaves alone a key that \
            changed since.

            EXAMPLES
              keyaudit plan reports/latest --policy policy.yml
              keyaudit plan reports/20261126T030000Z --policy policy.yml --output /tmp/plan.json
            """)

    @Argument(help: ArgumentHelp("The run folder whose findings to fix.", valueName: "run-dir"))
    var runDirectory: String

    @Option(
        help: ArgumentHelp("Policy file whose remediation section chooses the changes.", valueName: "file"))
    var policy: String?

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("The plan's file (.json); its Markdown is written beside it (.md).", valueName: "file"))
    var output: String = "remediation.json"

    @Option(help: ArgumentHelp("Pin the plan's clock, e.g. 2026-11-26T03:00:00Z.", valueName: "iso8601"))
    var now: String?

    func run() throws {
        do throws(KeyAuditError) {
            let folder = FileSystem.resolved(runDirectory) ?? runDirectory
            let policy =
                try self.policy.map { path throws(KeyAuditError) in try PolicyFile.load(path: path) } ?? Policy()
            let clock = try OutputOptions.parseClock(now)
            let outcome = try PlanJob.plan(runFolder: folder, policy: policy, output: output, now: clock)
            let plan = outcome.plan
            let deletions = plan.actions.count { $0.isDeletion }
            var line =
                "\(outcome.jsonPath): \(plan.actions.count) change\(plan.actions.count == 1 ? "" : "s")"
                + (deletions > 0 ? " (\(deletions) deletion\(deletions == 1 ? "" : "s"))" : "")
                + ", \(plan.skipped.count) finding\(plan.skipped.count == 1 ? "" : "s") left alone"
            if plan.actions.isEmpty && policy.remediation.isEmpty {
                line += "; the policy has no remediation section, see `keyaudit policy init`"
            } else {
                line += "; review \(outcome.markdownPath), then `keyaudit apply \(outcome.jsonPath)`"
            }
            print(line)
        } catch {
            throw Terminal.fail(error, format: .text)
        }
    }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a reviewed remediation plan through the Management API (only with --yes).",
        discussion: """
            Without --yes, prints what would be done and changes nothing. With --yes, for each action: reads \
            the key (GET /keys/{hash}); leaves it alone if it is gone or changed since the snapshot; otherwise \
            sends the request and reads the key back to check that the change took. Deletions also need \
            --allow-delete. At most --max-changes requests per apply. Refuses (65) a plan older than \
            --max-plan-age, or whose run folder fails verify or no longer holds the plan's snapshot. Every \
            apply --yes writes apply-<YYYYMMDDTHHMMSSZ>/ beside the run folders: the plan, each action's \
            outcome with the key before and after, SHA256SUMS (signed with --signing-key); `keyaudit verify` \
            checks it and the next run's reports list its changes. Running the same plan again sends only what \
            is left.

            EXIT CODES
              0   every action applied or already applied (or a dry run)
              1   an action was skipped (changed, missing, not allowed, over --max-changes) or failed
              64, 65, 69, 73, 75, 77, 129/130/131/143 as for run

            EXAMPLES
              keyaudit apply remediation.json
              keyaudit apply remediation.json --yes --key-file ~/.config/keyaudit/key
              keyaudit apply remediation.json --yes --allow-delete --max-changes 10
            """)

    @Argument(help: ArgumentHelp("The plan (remediation.json from keyaudit plan).", valueName: "plan"))
    var planPath: String

    @Flag(help: "Make the changes. Without it, apply only prints what it would do.")
    var yes = false

    @Flag(name: .customLong("allow-delete"), help: "Allow the plan's deletions (skipped otherwise).")
    var allowDelete = false

    @Option(
        name: .customLong("max-changes"),
        parsing: .unconditional,
        help: ArgumentHelp("At most this many requests that change a key (1 to 10000).", valueName: "n"))
    var maxChanges: Int = 25

    @Option(
        name: .customLong("max-plan-age"),
        help: ArgumentHelp("Refuse a plan older than this: 7d, 36h, 90m.", valueName: "age"))
    var maxPlanAge: String = "7d"

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "Folder that holds the plan's run folder, where the apply folder goes (default: as the plan records).",
            valueName: "dir"))
    var output: String?

    @OptionGroup(title: "Management API") var api: APIOptions
    @OptionGroup var signing: SigningKeyOption

    @Option(help: ArgumentHelp("Pin the apply's clock, e.g. 2026-11-26T03:00:00Z.", valueName: "iso8601"))
    var now: String?

    @OptionGroup(title: "Logging") var logging: LoggingOptions

    func validate() throws {
        guard (1...10_000).contains(maxChanges) else { throw ValidationError("--max-changes must be 1 to 10000") }
        guard ApplyJob.parseAge(maxPlanAge) != nil else {
            throw ValidationError("--max-plan-age \(maxPlanAge): write a whole number and d, h or m, from 1m to 365d")
        }
    }

    func run() async throws {
        let logger = logging.makeLogger()
        do {
            let environment = ProcessInfo.processInfo.environment
            var notes: [Diagnostic] = []
            // The key and the signing key are read only when changes are to be made.
            let source = yes ? try api.resolve(environment: environment, notes: &notes) : nil
            let (signingKey, signingWarning) = yes ? try signing.load(environment: environment) : (nil, nil)
            if let signingWarning { notes.append(Diagnostic(stage: "signing", message: signingWarning)) }
            for note in notes { logger.warning("\(note.message)") }
            let job = ApplyJob(
                planPath: planPath, output: output, yes: yes, allowDelete: allowDelete, maxChanges: maxChanges,
                maxPlanAge: ApplyJob.parseAge(maxPlanAge) ?? .seconds(7 * 86_400),
                now: try OutputOptions.parseClock(now),
                api: source, timeout: api.timeoutDuration, signingKey: signingKey, logger: logger)
            let outcome = try await job.execute()
            guard yes else {
                print(dryRun(outcome.plan), terminator: "")
                return
            }
            for result in outcome.results {
                print(
                    "\(result.outcome.rawValue)  #\(result.number) \(Escaping.terminal(result.keyName ?? "(no name)")) "
                        + "(\(result.keyHash.prefix(12))): \(Escaping.terminal(result.detail))")
            }
            if let recordError = outcome.recordError {
                throw Terminal.fail(
                    .cannotWrite(
                        "the changes listed above were made, but their apply record could not be written (\(recordError.message)); keep this output as their record"
                    ), format: logging.logFormat)
            }
            let applied = outcome.results.count { $0.outcome == .applied }
            let already = outcome.results.count { $0.outcome == .alreadyApplied }
            print(
                "\(outcome.folder ?? ""): \(applied) applied, \(already) already applied, "
                    + "\(outcome.results.count - applied - already) not done")
            if let stopped = outcome.stoppedBy {
                if case .interrupted(let signal) = stopped {
                    Terminal.writeError(
                        "keyaudit: error: interrupted by signal \(signal) after the change in progress; what was changed is recorded in \(outcome.folder ?? "the apply folder")\n"
                    )
                    throw ExitCode(128 + signal)
                }
                throw Terminal.fail(stopped, format: logging.logFormat)
            }
            if !outcome.complete { throw ExitCode(ExitStatus.findings) }
        } catch let error as KeyAuditError {
            throw Terminal.fail(error, format: logging.logFormat)
        }
    }

    /// What `apply` without `--yes` prints: each action and the request it would send, and what the rails do.
    func dryRun(_ plan: RemediationPlan) -> String {
        var lines = [
            "Plan made \(Timestamp.format(plan.createdAt)) from run \(plan.source.runName): \(plan.actions.count) change\(plan.actions.count == 1 ? "" : "s"). Nothing is changed without --yes."
        ]
        var sendable = 0
        for action in plan.actions {
            var note = ""
            if action.isDeletion && !allowDelete {
                note = "  [skipped: needs --allow-delete]"
            } else if sendable >= maxChanges {
                note = "  [skipped: over --max-changes \(maxChanges)]"
            } else {
                sendable += 1
            }
            let body = action.request.body.map { " " + JSONWriter.string(.object($0), style: .compact) } ?? ""
            lines.append(
                "#\(action.number) \(Escaping.terminal(action.kind))  \(Escaping.terminal(action.keyName ?? "(no name)")) "
                    + "(\(action.keyHash.prefix(12))): \(action.request.method) \(action.request.path)\(body)\(note)")
        }
        lines.append(
            "With --yes: each key is read first and left alone if it changed since the snapshot; at most \(maxChanges) request\(maxChanges == 1 ? "" : "s") would be sent."
        )
        return lines.joined(separator: "\n") + "\n"
    }
}
