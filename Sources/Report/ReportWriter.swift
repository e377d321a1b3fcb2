import Foundation
import KeyAuditCore
import KeyAuditAPI
import KeyAuditSnapshot
import KeyAuditAudit
import KeyAuditDiff

/// Writes the requested report files into a run folder.
package enum ReportWriter {
    /// Writes into any folder (a staging folder, or a stored run folder for `keyaudit render`).
    package static func write(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, directory: String
    ) throws(KeyAuditError) {
        let handoff = DiffHandoff()
        handoff.fulfil(context.diff)
        let workbook = try startWorkbook(
            formats, context: context, diff: handoff, templates: templates, directory: directory)
        try writeText(formats, context: context, templates: templates, directory: directory, workbook: workbook)
    }

    /// Starts report.xlsx on a thread of its own (libxlsxwriter and zlib are one core's worth of work at
    /// 100,000 keys): the Findings and Keys sheets need only the audit, so a run starts it right after the
    /// audit, and the Summary and Changes sheets wait for `diff` while findings.json and the diff are written.
    /// nil when xlsx is not asked for. The job must be waited for (``writeText(_:context:templates:directory:workbook:)``
    /// or ``WorkbookJob/wait()``) before the folder is used or removed.
    package static func startWorkbook(
        _ formats: [ReportFormat], context: ReportContext, diff: DiffHandoff, templates: ReportTemplates,
        directory: String
    ) throws(KeyAuditError) -> WorkbookJob? {
        guard formats.contains(.xlsx) else { return nil }
        let layout: XLSXLayout
        if let loaded = templates.xlsxLayout {
            layout = loaded
        } else {
            layout = try XLSXLayout.parse(
                EmbeddedTemplates.files[XLSXLayout.fileName] ?? "", name: "templates/\(XLSXLayout.fileName)")
        }
        let path = (directory as NSString).appendingPathComponent(ReportFormat.xlsx.fileName)
        let job = WorkbookJob()
        job.start { () throws(KeyAuditError) in
            try XLSXReport.write(context: context, diff: diff.wait, layout: layout, to: path)
        }
        return job
    }

    /// Renders the Markdown and HTML reports on this thread, then waits for `workbook`.
    package static func writeText(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, directory: String,
        workbook: WorkbookJob?
    ) throws(KeyAuditError) {
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
        if let error = workbook?.wait() { failure = failure ?? error }
        if let failure { throw failure }
    }
}

/// The diff, handed from the run to the workbook thread once it is known (nil: none, or the run failed).
package final class DiffHandoff: @unchecked Sendable {
    // @unchecked: `value` is written once before `ready` is signalled and read only after waiting on it.
    private let ready = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var value: SnapshotDiff?
    private var fulfilled = false

    /// The first call counts; later ones do nothing (a run fulfils it on every path).
    package init() {}

    package func fulfil(_ diff: SnapshotDiff?) {
        lock.lock()
        defer { lock.unlock() }
        guard !fulfilled else { return }
        fulfilled = true
        value = diff
        ready.signal()
    }

    @Sendable func wait() -> SnapshotDiff? {
        ready.wait()
        ready.signal()
        return value
    }
}

/// One background job with a typed error.
package final class WorkbookJob: @unchecked Sendable {
    // @unchecked: `error` is written by the job before `done` is signalled and read only after waiting on it;
    // `waited` is used by the thread that started the job only.
    private let done = DispatchSemaphore(value: 0)
    private var error: KeyAuditError?
    private var started = false
    private var waited = false

    func start(_ work: @escaping @Sendable () throws(KeyAuditError) -> Void) {
        started = true
        let thread = Thread { [self] in
            do throws(KeyAuditError) { try work() } catch { self.error = error }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the job has finished (at once when it already was waited for); its error, if any.
    package func wait() -> KeyAuditError? {
        guard started else { return nil }
        if !waited {
            done.wait()
            waited = true
        }
        return error
    }
}
