import Foundation
import KeyAuditAPI
import KeyAuditCore
import Logging

/// One run of keyaudit, start to finish: the stages of ``RunStages`` wired in order.
public struct RunJob: Sendable {
    /// What to run, resolved from flags, environment and files.
    public var request: RunRequest
    /// Where warnings, recovered problems and progress notes go (stderr from the command line).
    public var logger: Logger
    /// Called with (pages, keys) as pages arrive, for a progress line on a terminal.
    public var onProgress: (@Sendable (Int, Int) -> Void)?
    /// Stand-in transport for tests; nil: AsyncHTTPClient.
    package var transport: (any HTTPTransport)?

    package init(
        request: RunRequest, logger: Logger, onProgress: (@Sendable (Int, Int) -> Void)? = nil,
        transport: (any HTTPTransport)? = nil
    ) {
        self.request = request
        self.logger = logger
        self.onProgress = onProgress
        self.transport = transport
    }

    /// The run as the command line runs it: SIGHUP, SIGINT and SIGTERM remove the staging folder and exit
    /// 129/130/143, a file-size limit is a write error instead of a kill, and `--metrics-file` is written on
    /// success and on failure.
    ///
    /// The metrics file's temporary file is created first, so that a metrics path that cannot be written fails
    /// the run before anything is committed; once the run folder is committed, nothing turns the run into a
    /// failure: a metrics file that cannot be renamed into place is a warning (in the outcome's diagnostics).
    public func execute() async throws(KeyAuditError) -> RunOutcome {
        // A file-size limit (ulimit -f) must surface as a write error (exit 73, run discarded), not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        let started = Date()
        let metrics = try request.metricsFile.map { (path) throws(KeyAuditError) in try PendingMetrics(path: path) }
        let trap = SignalTrap()
        let logger = self.logger
        trap.install { signal in
            let error = KeyAuditError.interrupted(signal: signal)
            _ = metrics?.finish(MetricsFile.failureText(started: started, error: error))
            logger.error("\(error.message)")
        }
        do {
            var outcome = try await run(trap: trap)
            if let warning = metrics?.finish(MetricsFile.successText(started: started, outcome: outcome)) {
                logger.warning("\(warning)")
                outcome.diagnostics.append(Diagnostic(stage: "metrics", message: warning))
            }
            return outcome
        } catch {
            _ = metrics?.finish(MetricsFile.failureText(started: started, error: error))
            throw error
        }
    }

    /// The pipeline alone, for a program that handles signals itself: no signal handler is installed and no
    /// metrics file is written.
    public func run() async throws(KeyAuditError) -> RunOutcome { try await run(trap: nil) }

    /// The pipeline; `trap` learns the staging folder to remove if a signal arrives.
    package func run(trap: SignalTrap?) async throws(KeyAuditError) -> RunOutcome {
        let logger = self.logger
        let stages = RunStages(
            request: request, logger: logger, diagnostics: Diagnostics { logger.warning("\($0.message)") },
            transport: transport, stats: FetchStats(onProgress: onProgress))
        let setup = try stages.prepare()
        defer { setup.lock.release() }
        var snapshot = try await stages.list()
        let search = try stages.previous(against: snapshot, setup: setup)
        let (skipped, brokenChain) = (search.skipped, search.brokenChain)
        let previous = (consume search).run
        let (folder, reference, retention) = try stages.stage(
            &snapshot, previous: previous?.reference, skipped: skipped, setup: setup, trap: trap)
        defer { folder.discard() }
        let audit =
            request.snapshotOnly
            ? nil : stages.audit(snapshot, previous: previous, brokenChain: brokenChain, setup: setup)
        let diff = try audit.flatMap { (audit) throws(KeyAuditError) in
            try stages.report(
                snapshot, reference, audit, previous: consume previous, brokenChain: brokenChain, folder: folder,
                setup: setup)
        }
        let (path, removed) = try stages.commit(folder, retention: retention, setup: setup, trap: trap)
        return RunOutcome(
            folder: path, snapshot: snapshot, audit: audit, diff: diff, requests: await stages.stats.requests,
            retries: await stages.stats.retries,
            failed: audit.map { request.failOn.isTriggered(by: $0.findings) } ?? false, removedByRetention: removed,
            diagnostics: stages.diagnostics.all)
    }
}
