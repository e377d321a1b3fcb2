import KeyAuditCore
import KeyAuditDiff

extension SnapshotDiff {
    /// The "Changes since the previous run" section alone, rendered with the `changes.md` template
    /// (`keyaudit diff --format md`).
    package func markdown(templatesDirectory: String?) throws(KeyAuditError) -> String {
        let templates = try ReportTemplates.load(overrides: templatesDirectory, formats: [.md])
        let model: [String: Any] = ["changes": ReportViewModel.changes(self), "has_changes": true]
        guard let text = templates.library.render(model, withTemplate: "changes.md") else {
            throw .usage("no changes.md.mustache template")
        }
        return text
    }
}
