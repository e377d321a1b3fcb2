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
        // The workbook (libxlsxwriter and zlib, one core's worth of work at 100,000 keys) is written on a
        // thread of its own while the Markdown and HTML reports render on this one.
        let workbook = WorkbookJob()
        if formats.contains(.xlsx) {
            let layout: XLSXLayout
            if let loaded = templates.xlsxLayout {
                layout = loaded
            } else {
                layout = try XLSXLayout.parse(
                    EmbeddedTemplates.files[XLSXLayout.fileName] ?? "", name: "templates/\(XLSXLayout.fileName)")
            }
            let path = (directory as NSString).appendingPathComponent(ReportFormat.xlsx.fileName)
            workbook.start { () throws(KeyAuditError) in
                try XLSXReport.write(context: context, layout: layout, to: path)
            }
        }
        var failure: KeyAuditError?
        let textFormats = formats.filter { $0 != .xlsx }
        if !textFormats.isEmpty {
            do throws(KeyAuditError) {
                let model = ReportViewModel.build(context)
                for format in textFormats {
                    let text = try templates.render(format, model: model)
                    let file = try OutputFile(path: (directory as NSString).appendingPathComponent(format.fileName))
                    try file.write(text)
                    try file.close()
                }
            } catch {
                failure = error
            }
        }
        if let error = workbook.wait() { failure = failure ?? error }
        if let failure { throw failure }
    }
}

/// One background job with a typed error, waited for once.
private final class WorkbookJob: @unchecked Sendable {
    // @unchecked: `error` is written by the job before `done` is signalled and read only after waiting on it.
    private let done = DispatchSemaphore(value: 0)
    private var error: KeyAuditError?
    private var started = false

    func start(_ work: @escaping @Sendable () throws(KeyAuditError) -> Void) {
        started = true
        let thread = Thread { [self] in
            do throws(KeyAuditError) { try work() } catch { self.error = error }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func wait() -> KeyAuditError? {
        guard started else { return nil }
        done.wait()
        return error
    }
}
