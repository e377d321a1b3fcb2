import Foundation

/// Writes the requested report files into a run folder.
public enum ReportWriter {
    public static func write(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, into folder: RunFolder
    ) throws(KeyAuditError) {
        try write(formats, context: context, templates: templates, directory: folder.stagingPath)
    }

    /// Writes into any folder (a staging folder, or a stored run folder for `keyaudit render`).
    public static func write(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, directory: String
    ) throws(KeyAuditError) {
        let textFormats = formats.filter { $0 != .xlsx }
        if !textFormats.isEmpty {
            let model = ReportViewModel.build(context)
            for format in textFormats {
                let text = try templates.render(format, model: model)
                let file = try OutputFile(path: (directory as NSString).appendingPathComponent(format.fileName))
                try file.write(text)
                try file.close()
            }
        }
        if formats.contains(.xlsx) {
            var layout: XLSXLayout
            if let loaded = templates.xlsxLayout {
                layout = loaded
            } else {
                layout = try XLSXLayout.parse(
                    EmbeddedTemplates.files[XLSXLayout.fileName] ?? "", name: "templates/\(XLSXLayout.fileName)")
            }
            try XLSXReport.write(
                context: context, layout: layout, to: (directory as NSString).appendingPathComponent(ReportFormat.xlsx.fileName))
        }
    }
}
