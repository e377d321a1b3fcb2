import Foundation
import KeyAuditCore

/// The reports of one run, written in two steps so that the workbook can start before the diff is known.
///
/// ``start(_:context:templates:directory:)`` starts report.xlsx on a thread of its own (libxlsxwriter and zlib
/// are one core's worth of work at 100,000 keys): its Findings and Keys sheets need only the audit. While it
/// writes them, the run writes findings.json and the diff; ``finish(_:)`` hands the complete context over (the
/// Summary and Changes sheets are written from it), renders Markdown and HTML on this thread, and waits for the
/// workbook. Every way out of a run must end in ``finish(_:)`` or ``abandon()`` before the folder is removed.
package final class ReportJob: @unchecked Sendable {
    // @unchecked: used by the run's task only; the workbook thread sees only `handoff` and the context it was
    // started with.
    private let formats: [ReportFormat]
    private let templates: ReportTemplates
    private let directory: String
    private let handoff: ContextHandoff
    private let workbook: WorkbookJob?

    private init(
        formats: [ReportFormat], templates: ReportTemplates, directory: String, handoff: ContextHandoff,
        workbook: WorkbookJob?
    ) {
        self.formats = formats
        self.templates = templates
        self.directory = directory
        self.handoff = handoff
        self.workbook = workbook
    }

    /// Starts the workbook (when xlsx is asked for) from `context`, which need not hold the diff yet.
    package static func start(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, directory: String
    ) throws(KeyAuditError) -> ReportJob {
        var workbook: WorkbookJob?
        let handoff = ContextHandoff()
        if formats.contains(.xlsx) {
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
                try XLSXReport.write(context: context, complete: handoff.wait, layout: layout, to: path)
            }
            workbook = job
        }
        return ReportJob(
            formats: formats, templates: templates, directory: directory, handoff: handoff, workbook: workbook)
    }

    /// Hands `context` (now with the diff) to the workbook, writes report.md and report.html, and waits for
    /// the workbook. The first error wins.
    package func finish(_ context: ReportContext) throws(KeyAuditError) {
        handoff.fulfil(context)
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

    /// Stops waiting for a context that will not come and waits for the workbook to end: for a run that failed.
    package func abandon() {
        handoff.fulfil(nil)
        _ = workbook?.wait()
    }

    /// Every report of `context` at once, into any folder (a stored run folder for `keyaudit render`).
    package static func write(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, directory: String
    ) throws(KeyAuditError) {
        let job = try start(formats, context: context, templates: templates, directory: directory)
        try job.finish(context)
    }
}

/// The complete context, handed from the run to the workbook thread once it is known (nil: the run failed).
final class ContextHandoff: @unchecked Sendable {
    // @unchecked: `value` is written once before `ready` is signalled and read only after waiting on it.
    private let ready = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var value: ReportContext?
    private var fulfilled = false

    /// The first call counts; later ones do nothing (a run fulfils it on every path).
    func fulfil(_ context: ReportContext?) {
        lock.lock()
        defer { lock.unlock() }
        guard !fulfilled else { return }
        fulfilled = true
        value = context
        ready.signal()
    }

    @Sendable func wait() -> ReportContext? {
        ready.wait()
        ready.signal()
        return value
    }
}

/// One background job with a typed error.
final class WorkbookJob: @unchecked Sendable {
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
    func wait() -> KeyAuditError? {
        guard started else { return nil }
        if !waited {
            done.wait()
            waited = true
        }
        return error
    }
}
