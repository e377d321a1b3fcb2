import Foundation
import KeyAuditAPI
import KeyAuditCore
import KeyAuditRemediation
import Logging

/// `keyaudit apply PLAN`: a reviewed plan applied through the Management API, with its safety rails, leaving an
/// `apply-<time>` folder of evidence built and committed like a run folder.
///
/// Before anything: the plan must be readable, younger than `--max-plan-age`, and its run folder must verify and
/// still hold the snapshot the plan was made from. Without `--yes` nothing is sent and nothing is written: the
/// plan is printed as it would be applied. With `--yes` the output folder is locked like a run's, and each
/// action goes through ``Applier`` (read first, skip what changed, read back, deletions only with
/// `--allow-delete`, at most `--max-changes` requests).
package struct ApplyJob: Sendable {
    package var planPath: String
    /// Where the apply folder goes; nil: beside the plan's run folder (where the next run will find it).
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
        /// What stopped the apply early (the API unreachable, the key refused), after the evidence was written.
        package var stoppedBy: KeyAuditError?
        /// Every action applied or already applied (exit 0); otherwise exit 1.
        package var complete: Bool { stoppedBy == nil && results.allSatisfy(\.succeeded) }
    }

    /// The plan, checked: the bytes as read (the apply folder keeps them) and the run folder it names.
    package struct CheckedPlan: Sendable {
        package var plan: RemediationPlan
        package var bytes: [UInt8]
        package var runFolder: String
    }

    /// Reads and checks the plan; every refusal is 65 naming what failed.
    package func check() throws(KeyAuditError) -> CheckedPlan {
        let bytes = try InputFile.read(planPath, what: "the plan", limit: 64 << 20, kind: .data)
        let plan = try RemediationPlan.decode(bytes, origin: planPath)
        let age = now.timeIntervalSince(plan.createdAt)
        let limit = Double(maxPlanAge.components.seconds)
        guard age <= limit else {
            throw .malformedData(
                "\(planPath) was made \(Timestamp.format(plan.createdAt)), more than --max-plan-age (\(Self.describe(maxPlanAge))) ago; the account may have changed: run keyaudit again and make a new plan"
            )
        }
        guard age >= -300 else {
            throw .malformedData(
                "\(planPath) says it was made \(Timestamp.format(plan.createdAt)), in the future; check the clock or make a new plan"
            )
        }
        let runFolder =
            output.map { ($0 as NSString).appendingPathComponent(plan.source.runName) } ?? plan.source.runFolder
        guard FileManager.default.fileExists(atPath: runFolder) else {
            throw .malformedData(
                "the plan's run folder \(runFolder) is not there; give --output the folder that holds \(plan.source.runName)"
            )
        }
        let verification = ChainVerifier.verify(runFolder: runFolder)
        if let broken = verification.broken {
            throw .malformedData(
                "the plan's run folder \(runFolder) fails verification (\(broken)); apply acts only on evidence that holds")
        }
        let snapshot = (runFolder as NSString).appendingPathComponent("snapshot.json")
        let sha = try? Checksum.sha256Hex(fileAt: snapshot)
        guard sha == plan.source.snapshotSHA256 else {
            throw .malformedData(
                "\(snapshot) is not the snapshot the plan was made from (its sha256 differs); make a new plan from that run")
        }
        return CheckedPlan(plan: plan, bytes: bytes, runFolder: runFolder)
    }

    /// Dry run (no `--yes`): the checked plan, nothing sent, nothing written. With `--yes`: the changes, then the
    /// apply folder.
    package func run() async throws(KeyAuditError) -> Outcome {
        let checked = try check()
        guard yes else { return Outcome(plan: checked.plan, results: [], folder: nil, stoppedBy: nil) }
        let outputPath = output ?? (checked.runFolder as NSString).deletingLastPathComponent
        let outputFolder = try OutputDirectory.open(outputPath)
        let lock = try RunLock(output: outputFolder)
        defer { lock.release() }
        let started = Date()
        let editor: any KeyEditing
        var transport: (any HTTPTransport)?
        if let injected = self.editor {
            editor = injected
        } else {
            guard let api else {
                throw .keyRejected("apply --yes needs the management key: set OPENROUTER_MANAGEMENT_KEY or --key-file")
            }
            let http = try AsyncHTTPTransport(target: api.baseURL, environment: api.environment)
            transport = http
            editor = ManagementAPIClient(
                transport: http, baseURL: api.baseURL, key: api.key, retry: api.retry,
                deadline: ContinuousClock.now + timeout, timeoutDescription: "\(timeout.components.seconds)s",
                stats: FetchStats(), logger: logger)
        }
        let applier = Applier(allowDelete: allowDelete, maxChanges: maxChanges)
        let (results, stoppedBy) = await applier.apply(checked.plan, through: editor)
        await transport?.shutdown()
        // The first request refused for the key: nothing happened, there is nothing to record.
        if let stoppedBy, case .keyRejected = stoppedBy, results.allSatisfy({ $0.outcome == .notAttempted }) {
            throw stoppedBy
        }
        let record = ApplyRecord(
            planBytes: checked.bytes, plan: checked.plan, results: results, stoppedBy: stoppedBy, startedAt: started,
            finishedAt: Date(), allowDelete: allowDelete, maxChanges: maxChanges)
        let folder = try record.write(into: outputFolder, name: "apply-\(Timestamp.compact(now))", signingKey: signingKey)
        return Outcome(plan: checked.plan, results: results, folder: folder, stoppedBy: stoppedBy)
    }

    /// `7d`, `48h`, `90m`, `3600s` for messages.
    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
        return "\(seconds)s"
    }
}
