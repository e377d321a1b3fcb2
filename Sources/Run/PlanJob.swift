import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditRemediation
import KeyAuditSnapshot

/// `keyaudit plan RUN_DIR`: a remediation plan from a stored run, without network.
///
/// The run folder is verified first: a plan is made only from evidence that holds (a tampered findings.json
/// must not become a change to the account). The plan goes to remediation.json, and remediation.md beside it
/// for the person who signs it off; neither is written into the run folder, whose SHA256SUMS it would break.
package enum PlanJob {
    /// What `plan` made and where it wrote it.
    package struct Outcome: Sendable {
        package var plan: RemediationPlan
        package var jsonPath: String
        package var markdownPath: String
    }

    /// - Parameters:
    ///   - output: the plan's JSON file; its Markdown is written beside it with the `.md` extension.
    package static func plan(
        runFolder: String, policy: Policy, output: String, now: Date
    ) throws(KeyAuditError) -> Outcome {
        let verification = ChainVerifier.verify(runFolder: runFolder)
        if let broken = verification.broken {
            throw .malformedData(
                "\(runFolder) fails verification (\(broken)); a plan is made only from a run folder that verifies")
        }
        let run = try StoredRun.load(runFolder)
        let audit = try run.verifiedAudit()
        let folder = URL(fileURLWithPath: run.folder).standardizedFileURL.path
        let plan = Planner.plan(
            snapshot: run.snapshot, audit: audit,
            source: .init(
                runName: (folder as NSString).lastPathComponent, runFolder: folder,
                snapshotSHA256: run.snapshotSHA256, takenAt: run.snapshot.takenAt),
            policy: policy, now: now)
        let markdownPath = (output as NSString).deletingPathExtension + ".md"
        guard markdownPath != output else {
            throw .usage("--output \(output) must end in .json: the Markdown plan is written beside it as .md")
        }
        let parentPath =
            PathText.folder(of: output)
        // Never into a run or apply folder: a file there breaks its SHA256SUMS, and verify (and apply) refuse it.
        let parentName =
            (URL(fileURLWithPath: parentPath).standardizedFileURL.resolvingSymlinksInPath().path as NSString)
            .lastPathComponent
        if OutputDirectory.isRunFolderName(parentName) || ChainVerifier.isApplyFolderName(parentName) {
            throw .usage(
                "--output \(output) is inside the run or apply folder \(parentName), whose SHA256SUMS it would break; write the plan elsewhere"
            )
        }
        // Written through the folder's descriptor and renamed into place: a planted link is replaced, not followed.
        let parent = try Folder(opening: parentPath)
        try parent.writeAtomically(plan.encoded(), to: (output as NSString).lastPathComponent)
        try parent.writeAtomically(
            Array(plan.markdown(planFile: output).utf8), to: (markdownPath as NSString).lastPathComponent)
        return Outcome(plan: plan, jsonPath: output, markdownPath: markdownPath)
    }
}
