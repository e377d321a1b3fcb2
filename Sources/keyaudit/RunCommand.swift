import ArgumentParser
import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditReport
import KeyAuditRun
import Logging

/// What the audit holds keys to and what it writes.
struct AuditOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Policy file (YAML). Default: built-in thresholds, no suppressions.", valueName: "file"))
    var policy: String?

    @Option(
        name: .customLong("stale-after"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "Days after which an unedited enabled key is stale (overrides the policy).", valueName: "days"))
    var staleAfter: Int?

    @Option(
        name: .customLong("fail-on"),
        help: ArgumentHelp(
            "Exit 1 when an unsuppressed finding reaches this severity, or is new: \(FailOn.choices).",
            valueName: "level"))
    var failOn: String = "never"

    @OptionGroup var formats: ReportFormatsOption
    @OptionGroup var templates: TemplatesOption

    @Option(
        help: ArgumentHelp(
            "Compare with this snapshot.json or run folder instead of the newest run under --output.", valueName: "path"
        ))
    var previous: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Keep only the newest N run folders after a successful run.", valueName: "n"))
    var keep: Int?

    @Option(
        name: .customLong("report-rows"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "Rows per table in report.html, the findings' shared among rules (0: all); report.md is cut to fit a GitHub comment; report.xlsx and the JSON files hold every row.",
            valueName: "n"))
    var reportRows: Int = ReportContext.defaultRowLimit

    @Option(
        name: .customLong("metrics-file"),
        help: ArgumentHelp("Write Prometheus textfile metrics here, on success and on failure.", valueName: "path"))
    var metricsFile: String?

    func validate() throws {
        if let staleAfter, staleAfter < 0 || staleAfter > 36_500 {
            throw ValidationError("--stale-after must be between 0 and 36500 days")
        }
        if FailOn(failOn) == nil { throw ValidationError("--fail-on \(failOn): choose one of \(FailOn.choices)") }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
        if reportRows < 0 { throw ValidationError("--report-rows must be 0 (all) or more") }
    }

    func loadPolicy() throws(KeyAuditError) -> Policy {
        var policy = try policy.map { path throws(KeyAuditError) in try PolicyFile.load(path: path) } ?? Policy()
        if let staleAfter {
            policy.thresholds.staleAfterDays = staleAfter
            policy.source += " (stale_after_days \(staleAfter) from --stale-after)"
        }
        return policy
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Snapshot every key, audit, diff with the previous run and write the reports (the default).",
        discussion: """
            Writes <output>/<YYYYMMDDTHHMMSSZ>/ with snapshot.json, findings.json, diff.json (when there is a \
            previous run), summary.json, report.md, report.html, report.xlsx and SHA256SUMS, then points \
            <output>/latest at it. A failed run leaves no run folder and does not move latest. On a terminal it \
            ends with one line (the run folder, keys, findings, new findings); under cron it prints nothing \
            unless something is wrong.

            EXAMPLES
              keyaudit run --demo
              keyaudit run --key-file ~/.config/keyaudit/key --output ~/audits
              keyaudit run --policy policy.yml --fail-on high --keep 90
              keyaudit run --from-snapshot keys.json --format md,html
            """)

    @OptionGroup(title: "Keys") var source: SourceOptions
    @OptionGroup(title: "Audit and reports") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Logging") var logging: LoggingOptions

    func run() async throws {
        try await Self.execute(source: source, output: output, logging: logging, audit: audit)
    }

    /// `run`, and `snapshot` (no audit): flags → RunRequest → RunJob; the outcome → one line and the exit code.
    static func execute(
        source: SourceOptions, output: OutputOptions, logging: LoggingOptions, audit: AuditOptions?
    ) async throws {
        let logger = logging.makeLogger()
        let showProgress = !logging.quiet
        let started = Date()
        var request: RunRequest?
        do {
            request = try Self.request(source: source, output: output, audit: audit)
            guard let request else { return }
            let job = RunJob(request: request, logger: logger, onProgress: Terminal.progress(enabled: showProgress))
            let outcome: RunOutcome
            do {
                outcome = try await job.execute()
            } catch {
                Terminal.endProgress(enabled: showProgress)
                throw error
            }
            Terminal.endProgress(enabled: showProgress)
            ExitHeap.keep(outcome)
            let summary = Terminal.summary(outcome)
            logger.info("wrote \(summary)")
            // On a terminal, the run ends with one line saying what it found; under cron it stays silent.
            if logging.verbose || (!logging.quiet && Terminal.stderrIsTerminal) { print(summary) }
            if outcome.failed {
                // An error, not a warning: printed under --quiet too, or cron (which mails only what a job
                // prints) would swallow the one signal --fail-on exists to give.
                let count = outcome.audit.map { request.failOn.triggering($0.findings) } ?? 0
                logger.error(
                    "\(HumanReadable.count(count)) finding\(count == 1 ? "" : "s") at or above --fail-on \(audit?.failOn ?? "never"); the reports are in \(outcome.folder): exit 1"
                )
                throw ArgumentParser.ExitCode(ExitStatus.findings)
            }
        } catch let error as KeyAuditError {
            // The job writes the metrics of its own failures; one before it (a bad policy file) is written here.
            if request == nil, let metrics = audit?.metricsFile {
                MetricsFile.writeFailure(path: metrics, started: started, error: error)
            }
            throw Terminal.fail(error, format: logging.logFormat)
        }
    }

    static func request(
        source: SourceOptions, output: OutputOptions, audit: AuditOptions?
    ) throws(KeyAuditError) -> RunRequest {
        var notes: [Diagnostic] = []
        var request = RunRequest(
            source: try source.source(environment: ProcessInfo.processInfo.environment, notes: &notes),
            output: output.output, now: try output.clock(), timeout: source.timeoutDuration,
            snapshotOnly: audit == nil)
        let (signingKey, signingWarning) = try output.signing.load(environment: ProcessInfo.processInfo.environment)
        if let signingWarning { notes.append(Diagnostic(stage: "signing", message: signingWarning)) }
        request.signingKey = signingKey
        request.notes = notes
        if let audit {
            request.policy = try audit.loadPolicy()
            request.failOn = FailOn(audit.failOn) ?? .never
            request.formats = try audit.formats.formats()
            request.templatesDirectory = audit.templates.templates
            request.previousPath = audit.previous
            request.keep = audit.keep
            request.reportRowLimit = audit.reportRows
            request.metricsFile = audit.metricsFile
        } else {
            request.formats = []
        }
        return request
    }
}

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract:
            "Store a snapshot of every key (snapshot.json and SHA256SUMS in a run folder), without audit or reports.")

    @OptionGroup(title: "Keys") var source: SourceOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Logging") var logging: LoggingOptions

    func run() async throws {
        try await RunCommand.execute(source: source, output: output, logging: logging, audit: nil)
    }
}

/// What the process keeps until it exits instead of freeing it. A run's outcome holds every key and finding
/// (100,000 and 170,000 objects at that size): freeing them one by one took about a tenth of a second after the
/// run was done and committed, and the kernel takes the whole heap back at exit anyway. Only the command line
/// does this; `RunJob` used as a library frees everything as usual.
enum ExitHeap {
    private static let lock = NSLock()
    // Guarded by `lock`; only ever appended to.
    nonisolated(unsafe) private static var kept: [Any] = []

    static func keep(_ value: Any) {
        lock.withLock { kept.append(value) }
    }
}
