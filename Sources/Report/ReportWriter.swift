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
    private let folder: Folder
    private let handoff: ContextHandoff
    private let workbook: BackgroundJob<KeyAuditError>?
    /// Opened once the workbook's rows are written, and when its job ends whatever happened.
    private let rowsWritten: Latch

    private init(
        formats: [ReportFormat], templates: ReportTemplates, folder: Folder, handoff: ContextHandoff,
        workbook: BackgroundJob<KeyAuditError>?, rowsWritten: Latch
    ) {
        self.formats = formats
        self.templates = templates
        self.folder = folder
        self.handoff = handoff
        self.workbook = workbook
        self.rowsWritten = rowsWritten
    }

    /// Starts the workbook (when xlsx is asked for) from `context`, which need not hold the diff yet. Every report
    /// is created in `folder` through its descriptor, replacing a file or link of the same name, never following it.
    package static func start(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, folder: Folder
    ) throws(KeyAuditError) -> ReportJob {
        var workbook: BackgroundJob<KeyAuditError>?
        let handoff = ContextHandoff()
        let rowsWritten = Latch()
        if formats.contains(.xlsx) {
            let layout: XLSXLayout
            if let loaded = templates.xlsxLayout {
                layout = loaded
            } else {
                layout = try XLSXLayout.parse(
                    EmbeddedTemplates.files[XLSXLayout.fileName] ?? "", name: "templates/\(XLSXLayout.fileName)")
            }
            // libxlsxwriter opens report.xlsx (and its temporary files) by path, with fopen, which follows links.
            // That is safe here: the folder is one keyaudit has just created with mkdirat (which never follows a
            // link and fails on anything already there), mode 0750 and owned by keyaudit's user, so no other user
            // can have put a link named report.xlsx in it; and the path given is the folder's descriptor path
            // (/proc/self/fd/N on Linux), so even someone who can rename entries of the output folder during the
            // run cannot swap another folder in under the staging folder's name. The file is removed first, as
            // a link of that name would be, in case the folder is an older one (`keyaudit render` writes into a
            // fresh staging folder too).
            try folder.removeEntry(ReportFormat.xlsx.fileName)
            let path = (folder.descriptorPath as NSString).appendingPathComponent(ReportFormat.xlsx.fileName)
            let (hidden, shown) = (folder.descriptorPath, folder.path)
            workbook = BackgroundJob(whenDone: rowsWritten.open) { () throws(KeyAuditError) in
                do throws(KeyAuditError) {
                    try XLSXReport.write(
                        context: context, complete: handoff.wait, rowsWritten: rowsWritten.open, layout: layout,
                        to: path)
                } catch {
                    // Messages name the folder as the user knows it, not the descriptor path.
                    throw error.replacingInMessage(hidden, with: shown)
                }
            }
        }
        return ReportJob(
            formats: formats, templates: templates, folder: folder, handoff: handoff, workbook: workbook,
            rowsWritten: rowsWritten)
    }

    /// Hands `context` (now with the diff) to the workbook, for its last sheets.
    package func handOver(_ context: ReportContext) { handoff.fulfil(context) }

    /// Blocks until the workbook's rows are all written (or it failed), when only compressing them is left: one
    /// core's work, while writing the rows took both. A run writes its other files from here on, so that they
    /// share the machine with zlib rather than with the rows. Returns at once without a workbook.
    package func waitUntilRowsWritten() { if workbook != nil { rowsWritten.wait() } }

    /// Hands `context` (now with the diff) to the workbook, writes report.md and report.html, and waits for
    /// the workbook. The first error wins.
    ///
    /// - Parameter whileCompressing: runs once Markdown and HTML are written, before waiting for the workbook
    ///   (which by then is compressing its sheets on one core).
    package func finish(
        _ context: ReportContext, whileCompressing: () -> Void = {}
    ) throws(KeyAuditError) {
        handoff.fulfil(context)
        var failure: KeyAuditError?
        let textFormats = formats.filter { $0 != .xlsx }
        if !textFormats.isEmpty {
            do throws(KeyAuditError) {
                let facts = ReportFacts(context)
                for format in textFormats {
                    let text = format == .md ? try templates.renderMarkdown(facts) : try templates.renderHTML(facts)
                    let file = try folder.replaceFile(format.fileName)
                    // Redacted as a whole: a secret that reached the model or a template is not written.
                    try file.write(Redaction.redact(text))
                    try file.close()
                }
            } catch {
                failure = error
            }
        }
        if failure == nil { whileCompressing() }
        if let error = workbook?.wait() { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// Stops waiting for a context that will not come and waits for the workbook to end: for a run that failed.
    package func abandon() {
        handoff.fulfil(nil)
        _ = workbook?.wait()
    }

    /// Every report of `context` at once, into `folder` (the staging folder of `keyaudit render`).
    package static func write(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, folder: Folder
    ) throws(KeyAuditError) {
        let job = try start(formats, context: context, templates: templates, folder: folder)
        try job.finish(context)
    }

    /// The same into the folder at `directory` (tests, the benchmark).
    package static func write(
        _ formats: [ReportFormat], context: ReportContext, templates: ReportTemplates, directory: String
    ) throws(KeyAuditError) {
        try write(formats, context: context, templates: templates, folder: try Folder(opening: directory))
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

/// A gate that opens once and stays open.
final class Latch: @unchecked Sendable {
    // @unchecked: `isOpen` is guarded by `lock`; the semaphore is thread-safe.
    private let gate = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var isOpen = false

    /// The first call opens it; later ones do nothing.
    @Sendable func open() {
        lock.lock()
        defer { lock.unlock() }
        guard !isOpen else { return }
        isOpen = true
        gate.signal()
    }

    /// Blocks until it is open.
    func wait() {
        gate.wait()
        gate.signal()
    }
}
