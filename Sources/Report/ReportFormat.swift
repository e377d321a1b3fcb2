import Foundation
import KeyAuditCore

/// Report formats (`--format md,html,xlsx`).
public enum ReportFormat: String, Sendable, CaseIterable {
    case md, html, xlsx

    /// The file written in the run folder: `report.md`, `report.html` or `report.xlsx`.
    public var fileName: String { "report.\(rawValue)" }

    /// Parses `md,html,xlsx`.
    public static func parseList(_ text: String) throws(KeyAuditError) -> [ReportFormat] {
        var formats: [ReportFormat] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let format = ReportFormat(rawValue: name == "markdown" ? "md" : name) else {
                throw .usage("--format \(text): unknown format \"\(name)\"; choose from md, html, xlsx")
            }
            if !formats.contains(format) { formats.append(format) }
        }
        guard !formats.isEmpty else { throw .usage("--format is empty; choose from md, html, xlsx") }
        return formats
    }
}
