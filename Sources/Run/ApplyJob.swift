import Foundation
import KeyAuditAPI
import KeyAuditAudit
import KeyAuditCore
import KeyAuditRemediation
import KeyAuditSnapshot
import Logging

/// `keyaudit apply PLAN`: a reviewed plan applied through the Management API, with its safety rails, leaving an
/// `apply-<time>` folder of evidence built and committed like a run folder.
///
/// Before anything: the plan must be readable, younger than `--max-plan-age`, and its run folder must verify and
/// still hold the snapshot the plan was made from, with every key the plan touches as the plan says it was
/// snapshotted (a plan edited after review cannot reach a key the run did not hold, or carry a precondition the
/// run does not show). Without `--yes` nothing is sent and nothing is written: the plan is printed as it would
/// be applied. With `--yes` the output folder is locked like a run's, and each action goes through ``Applier``
/// (read first, skip what changed, read back, deletions only with `--allow-delete`, at most `--max-changes`
/// requests). A signal lets the change in progress finish; the evidence is written, then the process exits.
package struct ApplyJob: Sendable {
    package var planPath: String
    /// The folder that holds the plan's run folder, where the apply folder goes; nil: the run folder's parent
    /// as the plan records it.
    package var output: String?
    package var yes: Bool
    package var allowDelete: Bool
    package var maxChanges: Int
    package var maxPlanAge: Duration
    package var now: Date
    /// How to reach the Management API (only with `--yes`).
    package var api: RunRequest.APISource?
    package var timeout: Duration
    package var signingKey: SigningKey?
    package var logger: Logger
    /// Stand-in API for tests; nil: the Management API through `api`.
    package var editor: (any KeyEditing)?

    package init(
        planPath: String, output: String?, yes: Bool, allowDelete: Bool, maxChanges: Int, maxPlanAge: Duration,
        now: Date, api: RunRequest.APISource?, timeout: Duration, signingKey: SigningKey?, logger: Logger
    ) {
        self.planPath = planPath
        self.output = output
        self.yes = yes
        self.allowDelete = allowDelete
        self.maxChanges = maxChanges
        self.maxPlanAge = maxPlanAge
        self.now = now
        self.api = api
        self.timeout = timeout
        self.signingKey = signingKey
        self.logger = logger
    }

    /// What an apply did.
    package struct Outcome: Sendable {
        package var plan: RemediationPlan
        /// Each action's result; empty for a dry run.
        package var results: [ActionResult]
        /// The committed apply folder; nil for a dry run.
        package var folder: String?
        /// What stopped the apply early (the API unreachable, the key refused, a signal), after the evidence was
        /// written.
        package var stoppedBy: KeyAuditError?
        /// Why the apply folder could not be written after changes were made (they are in ``results``).
        package var recordError: KeyAuditError?
        /// Every action applied or already applied (exit 0); otherwise exit 1.
        package var complete: Bool { stoppedBy == nil && recordError == nil && results.allSatisfy(\.succeeded) }
    }

    /// The plan, checked: the bytes as read (the apply folder keeps them) and the run folder it names.
    package struct CheckedPlan: Sendable {
        package var plan: RemediationPlan
        package var bytes: [UInt8]
        package var runFolder: String
        package var outputFolder: String
        /// Key hash → its successor's hash, for actions on a rotated key's predecessor: the successor must still
        /// exist, enabled, when the predecessor is changed (see ``Applier``).
        package var successors: [String: String] = [:]
    }

    /// Reads and checks the plan; every refusal is 65 naming what failed.
    package func check() throws(KeyAuditError) -> CheckedPlan {
        let bytes = try InputFile.read(planPath, what: "the plan", limit: 64 << 20, kind: .data)
        let plan = try RemediationPlan.decode(bytes, origin: planPath)
        let age = now.timeIntervalSince(plan.createdAt)
        let limit = Double(maxPlanAge.components.seconds)
        guard age <= limit else {
            throw .malformedData(
                "\(planPath) was made \(Timestamp.format(plan.createdAt)), more than --max-plan-age \(Self.describe(maxPlanAge)) ago; the account may have changed: run keyaudit again and make a new plan"
            )
        }
        guard age >= -300 else {
            throw .malformedData(
                "\(planPath) says it was made \(Timestamp.format(plan.createdAt)), in the future; check the clock or make a new plan"
            )
        }
        guard OutputDirectory.isRunFolderName(plan.source.runName) else {
            throw .malformedData(
                "\(planPath) names run \(Escaping.oneLine(plan.source.runName, limit: 80)), which is not a run folder's name; make a new plan"
            )
        }
        let outputFolder =
            output ?? (PathText.parent(of: plan.source.runFolder) as String)
        let runFolder = (outputFolder as NSString).appendingPathComponent(plan.source.runName)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runFolder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .malformedData(
                "the plan's run folder \(runFolder) is not there; give --output the folder that holds \(plan.source.runName)"
            )
        }
        let verification = ChainVerifier.verify(runFolder: runFolder)
        if let broken = verification.broken {
            throw .malformedData(
                "the plan's run folder \(runFolder) fails verification (\(broken)); apply acts only on evidence that holds"
            )
        }
        let run = try StoredRun.load(runFolder)
        if let takenAt = run.snapshot.takenAt {
            guard plan.createdAt.timeIntervalSince(takenAt) >= -300 else {
                throw .malformedData(
                    "\(planPath) says it was made \(Timestamp.format(plan.createdAt)), before the run it was made from (\(Timestamp.format(takenAt))); the plan was edited, make a new one"
                )
            }
            guard now >= takenAt else {
                throw .usage(
                    "--now \(Timestamp.format(now)) is before the run the plan was made from (\(Timestamp.format(takenAt))); an apply cannot be recorded before its run"
                )
            }
        }
        guard run.snapshotSHA256 == plan.source.snapshotSHA256 else {
            throw .malformedData(
                "\(run.snapshotPath) is not the snapshot the plan was made from (its sha256 differs); make a new plan from that run"
            )
        }
        // The plan's age is not enough: a plan made today from a run of last spring acts on last spring's account.
        if let takenAt = run.snapshot.takenAt, now.timeIntervalSince(takenAt) > limit {
            throw .malformedData(
                "the plan's run \(plan.source.runName) took its snapshot \(Timestamp.format(takenAt)), more than --max-plan-age \(Self.describe(maxPlanAge)) ago; the account may have changed: run keyaudit again and make a new plan"
            )
        }
        if yes { try checkAccount(run.snapshot.source) }
        let successors = try Self.checkActions(
            plan, against: run.snapshot, findings: run.verifiedAudit(), origin: planPath)
        return CheckedPlan(
            plan: plan, bytes: bytes, runFolder: runFolder, outputFolder: outputFolder, successors: successors)
    }

    /// With `--yes`, the plan's keys must come from the account being changed: a plan made from the demo is
    /// refused (its keys are made up, and a deletion of a key that is not there reads as already done), and one
    /// whose run listed another API than `--base-url` is refused. A run that read its keys from a file
    /// (`--from-snapshot`) cannot say where they came from: it is applied, with a warning.
    func checkAccount(_ source: String) throws(KeyAuditError) {
        if source == "demo" {
            throw .usage(
                "\(planPath) was made from the demo account, whose keys are made up; apply it without --yes to see what would be done, or make a plan from a run of the real account"
            )
        }
        if source.hasPrefix("file:") {
            logger.warning(
                "the plan's run read its keys from \(Escaping.oneLine(String(source.dropFirst(5)), limit: 200)), not from the API: nothing ties them to this account but the hashes; each key is read before it is changed"
            )
            return
        }
        if let api, editor == nil, source != api.baseURL.string {
            throw .usage(
                "the plan's run listed keys at \(Escaping.oneLine(source, limit: 200)), and --base-url is \(api.baseURL.string); apply the plan to the API its run listed, or make a new plan"
            )
        }
    }

    /// Every action is one the run's evidence supports: its key is in the snapshot under the name the plan shows
    /// the reviewer, its precondition is the key as snapshotted, and every rule it fixes is an unsuppressed finding
    /// of that key in the run's findings.json. (``RemediationPlan/decode(_:origin:)`` already checked that the
    /// kind fixes those rules and that the precondition holds every field it must.) A plan edited after review
    /// cannot delete a key the run found nothing wrong with, or show it under another name.
    ///
    /// Returns, for each action fixing `rotated-predecessor-active`, the successor its finding names.
    @discardableResult
    static func checkActions(
        _ plan: RemediationPlan, against snapshot: Snapshot, findings: AuditResult, origin: String
    ) throws(KeyAuditError) -> [String: String] {
        var rulesByKey: [String: Set<String>] = [:]
        var successors: [String: String] = [:]
        for finding in findings.findings where !finding.suppressed {
            guard let hash = finding.keyHash else { continue }
            rulesByKey[hash, default: []].insert(finding.rule)
            if finding.rule == "rotated-predecessor-active",
                let successor = finding.evidence["successor_hash"]?.stringValue
            {
                successors[hash] = successor
            }
        }
        for action in plan.actions {
            let index = Snapshot.firstIndex(atOrAfter: action.keyHash, in: snapshot.keys, by: \.identity)
            guard index < snapshot.keys.count, snapshot.keys[index].identity == action.keyHash else {
                throw .malformedData(
                    "\(origin): action \(action.number) changes key \(action.keyHash.prefix(12))…, which the run's snapshot does not hold; the plan was not made from this run, make a new one"
                )
            }
            let key = snapshot.keys[index]
            guard action.keyName == key.name else {
                throw .malformedData(
                    "\(origin): action \(action.number) names key \(action.keyHash.prefix(12))… \(Escaping.oneLine(action.keyName ?? "(no name)", limit: 60)), but the run's snapshot names it \(Escaping.oneLine(key.name ?? "(no name)", limit: 60)); the plan was edited, make a new one"
                )
            }
            let differs = Applier.differences(key.raw, from: action.precondition, absent: action.absent)
            guard differs.isEmpty else {
                throw .malformedData(
                    "\(origin): action \(action.number)'s precondition (\(differs.joined(separator: ", "))) is not the key as snapshotted; the plan was edited, make a new one"
                )
            }
            let found = rulesByKey[action.keyHash] ?? []
            if let rule = action.rules.first(where: { !found.contains($0) }) {
                throw .malformedData(
                    "\(origin): action \(action.number) fixes \(Escaping.oneLine(rule, limit: 40)) on key \(action.keyHash.prefix(12))…, but the run's findings.json has no such unsuppressed finding for it; the plan was edited, make a new one"
                )
            }
        }
        let acted = Set(
            plan.actions.filter { $0.rules.contains("rotated-predecessor-active") }.map(\.keyHash))
        return successors.filter { acted.contains($0.key) }
    }

    /// Dry run (no `--yes`): the checked plan, nothing sent, nothing written. With `--yes`: the changes, then the
    /// apply folder. `trap` (installed by ``execute()``) defers signals while changes are being made.
    package func run(trap: SignalTrap? = nil) async throws(KeyAuditError) -> Outcome {
        let checked = try check()
        guard yes else { return Outcome(plan: checked.plan, results: [], folder: nil, stoppedBy: nil) }
        let outputFolder = try OutputDirectory.open(checked.outputFolder)
        if signingKey == nil,
            outputFolder.folder.openFolder(checked.plan.source.runName)?.kind(of: RunSignature.fileName) == .file
        {
            logger.warning(
                "the plan's run \(checked.plan.source.runName) is signed and this apply is not: give --signing-key (or KEYAUDIT_SIGNING_KEY_FILE), or `keyaudit verify --allowed-signers` reports an unsigned apply folder"
            )
        }
        let lock = try RunLock(output: outputFolder)
        defer { lock.release() }
        let started = Date()
        let editor: any KeyEditing
        var transport: (any HTTPTransport)?
        if let injected = self.editor {
            editor = injected
        } else {
            guard let api else {
                throw .keyRejected(
                    "apply --yes needs the management key: set OPENROUTER_MANAGEMENT_KEY or give --key-file")
            }
            let http = try AsyncHTTPTransport(
                target: api.baseURL, environment: api.environment, readTimeout: api.readTimeout)
            transport = http
            editor = ManagementAPIClient(
                transport: http, baseURL: api.baseURL, key: api.key, retry: api.retry,
                deadline: ContinuousClock.now + timeout, timeoutDescription: Self.describe(timeout),
                stats: FetchStats(), logger: logger)
        }
        // The record is started before the first request (its staging folder made, the plan written into it), so
        // that a folder that cannot be written fails the apply before anything is changed.
        let staging = try ApplyRecord.begin(
            into: outputFolder, name: ApplyRecord.prefix + Timestamp.compact(now), planBytes: checked.bytes, trap: trap)
        // Discarded on the way out unless it holds the journal of changes that could not be recorded otherwise.
        var keepStaging = false
        defer {
            trap?.setStaging(nil)
            trap?.setJournal(nil)
            if !keepStaging { staging.discard() }
        }
        do {
            try await editor.checkEndpoint()
        } catch {
            await transport?.shutdown()
            throw error
        }
        trap?.deferSignals()
        let applier = Applier(allowDelete: allowDelete, maxChanges: maxChanges, successors: checked.successors)
        let journal = ApplyJournal(staging)
        trap?.setJournal(staging)
        let (results, stoppedBy) = await applier.apply(
            checked.plan, through: editor, interrupted: { trap?.pendingSignal }, journal: journal.record)
        await transport?.shutdown()
        // Stopped before any request for any key: nothing happened, there is nothing to record.
        if let stoppedBy, results.allSatisfy({ $0.outcome == .notAttempted }) {
            throw stoppedBy
        }
        let record = ApplyRecord(
            planBytes: checked.bytes, plan: checked.plan, results: results, stoppedBy: stoppedBy, startedAt: started,
            finishedAt: Date(), allowDelete: allowDelete, maxChanges: maxChanges, baseURL: api?.baseURL.string)
        var outcome = Outcome(plan: checked.plan, results: results, folder: nil, stoppedBy: stoppedBy)
        do {
            outcome.folder = try record.finish(staging, signingKey: signingKey, journal: journal)
        } catch {
            // Changes were made: they are still returned (and printed), with why they could not be recorded;
            // the staging folder keeps the journal of them (the next run names it).
            outcome.recordError = error
            keepStaging = staging.staging.kind(of: ApplyJournal.fileName) == .file
        }
        return outcome
    }

    /// ``run(trap:)`` with signals handled: before any change a signal stops the apply at once (exit 128+n);
    /// once changes are being made, the one in progress finishes and the evidence is written first.
    package func execute() async throws(KeyAuditError) -> Outcome {
        let trap = SignalTrap()
        trap.install()
        return try await run(trap: trap)
    }

    /// `7d`, `48h`, `90m`, `3600s` for messages.
    package static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds > 0 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds > 0 && seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
        if seconds > 0 && seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// `--max-plan-age`: a whole number followed by `d`, `h`, `m` or `s` (`7d`, `36h`), from 1 minute to 365 days.
    package static func parseAge(_ text: String) -> Duration? {
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return nil }
        let scale: Int
        switch unit {
        case "d": scale = 86_400
        case "h": scale = 3_600
        case "m": scale = 60
        case "s": scale = 1
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        guard !overflow, (60...365 * 86_400).contains(seconds) else { return nil }
        return .seconds(seconds)
    }
}
