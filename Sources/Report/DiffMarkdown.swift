import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditSnapshot

extension SnapshotDiff {
    /// The "Changes since the previous run" section alone, rendered with the `changes.md` template
    /// (`keyaudit diff --format md`); `current` is the newer snapshot (key names of the findings).
    package func markdown(templatesDirectory: String?, current: Snapshot) throws(KeyAuditError) -> String {
        let templates = try ReportTemplates.load(overrides: templatesDirectory, formats: [.md])
        let context = ReportContext(
            runName: PathText.parent(of: to.path), generatedAt: to.takenAt ?? Date(),
            snapshot: current, snapshotSHA256: to.sha256,
            audit: AuditResult(findings: [], suppressions: [], policy: Policy()), diff: self, brokenChain: nil)
        let profile = ReportViewModel.Profile.html(rowLimit: ReportContext.defaultRowLimit)
        var model = ReportViewModel.build(ReportFacts(context), profile: profile)
        model["has_changes"] = true
        guard let text = templates.library.render(model, withTemplate: "changes.md") else {
            throw .usage("no changes.md.mustache template")
        }
        return text
    }
}
