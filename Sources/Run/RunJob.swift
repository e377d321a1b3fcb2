import Foundation
import Logging
import KeyAuditCore
import KeyAuditAPI
import KeyAuditSnapshot
import KeyAuditAudit
import KeyAuditDiff
import KeyAuditReport
import KeyAuditSampleAccount

/// One run of keyaudit, start to finish: lock, snapshot, audit, diff, reports, commit, retention.
///
/// This is the only place where the clock, the file-system layout and the network client meet; every stage
/// it calls takes values and returns values.
package struct RunJob: Sendable {
    package var request: RunRequest
    package var logger: Logger
    package var trap: SignalTrap?
    /// Called with (pages, keys) as pages arrive, for a progress line on a terminal.
    package var onProgress: (@Sendable (Int, Int) -> Void)?
    /// Stand-in transport for tests; nil: AsyncHTTPClient.
    package var transport: (any HTTPTransport)?

    package init(
        request: RunRequest, logger: Logger, trap: SignalTrap? = nil, onProgress: (@Sendable (Int, Int) -> Void)? = nil,
        transport: (any HTTPTransport)? = nil
    ) {
        self.request = request
        self.logger = logger
        self.trap = trap
        self.onProgress = onProgress
        self.transport = transport
    }

    package func run() async throws(KeyAuditError) -> RunOutcome {
        let output = OutputDirectory(path: request.output)
        try output.prepare()
        let lock = try RunLock(output: output)
        defer { lock.release() }
        output.removeStaleStaging()

        // Load templates and layout first: a broken template fails in a second, not after a ten-minute listing.
        let templates = try ReportTemplates.load(overrides: request.templatesDirectory, formats: request.formats)

        var policy = request.policy
        if case .demo = request.source, request.policy.source == Policy().source {
            policy = DemoAccount.policy(now: request.now)
        }
        // An explicit --previous that cannot be opened fails now, not after the listing; it is read after it.
        if let path = request.previousPath {
            let file = try Snapshot.file(at: path)
            guard MappedFile(path: file) != nil else {
                throw .malformedData("cannot read \(file); give a snapshot.json or a run folder that holds one")
            }
        }

        // 1. Snapshot.
        let stats = FetchStats(onProgress: onProgress)
        var current: Snapshot
        switch request.source {
        case .api(let api):
            current = try await listAccount(api, stats: stats)
        case .file(let path):
            let (loaded, sha, file) = try Snapshot.load(path: path)
            var coverage = loaded.coverage
            coverage.mode = .file
            coverage.notes.append(
                "keys read from \(file) (sha256 \(sha.prefix(12))…)"
                    + (loaded.takenAt.map { ", taken \(Timestamp.format($0))" } ?? ""))
            current = Snapshot(
                takenAt: request.now, source: "file:\(file)", workspaces: loaded.workspaces, coverage: coverage,
                previous: nil, keys: loaded.keys)
        case .demo:
            current = DemoAccount.snapshots(now: request.now).current
        }

        // The previous snapshot is read after the current one, key by key, and compared with it as it is
        // read: it is never in memory whole next to the current one (see PreviousSnapshot).
        var previous: PreviousRun?
        if let path = request.previousPath {
            previous = try PreviousRun.explicit(
                path, output: output, policy: policy, now: request.now, against: current)
        } else {
            previous = PreviousRun.newest(
                in: output, policy: policy, now: request.now, against: current, logger: logger)
        }
        if case .demo = request.source, previous == nil {
            let demo = DemoAccount.snapshots(now: request.now).previous
            previous = PreviousRun(
                snapshot: PreviousSnapshot(demo, policy: policy, now: request.now, against: current),
                reference: Snapshot.Reference(
                    path: "demo:previous-snapshot", sha256: Checksum.sha256Hex(demo.encoded())),
                file: "the embedded demo account (a day earlier)", firstSeen: nil, brokenChain: nil)
        }
        current.takenAt = request.now
        current.previous = previous?.reference

        // 2. Stage the run folder; from here on a signal or error removes it.
        let folder = try RunFolder(output: output, name: output.newRunName(for: request.now))
        trap?.setStaging(folder.stagingPath)
        defer {
            folder.discard()
            trap?.setStaging(nil)
        }
        let snapshotSHA = try folder.write(as: "snapshot.json") { emit throws(KeyAuditError) in
            try current.encode(chunked: emit)
        }
        let snapshotReference = Snapshot.Reference(path: "snapshot.json", sha256: snapshotSHA)
        // Written, and the previous snapshot was compared with it while read: the keys' objects as received are
        // not read again (about 110 MB at 100,000 keys).
        current.releaseRawObjects()
        Memory.returnFreePages()

        var audit: AuditResult?
        var diff: SnapshotDiff?
        if !request.snapshotOnly {
            // 3. Audit.
            let result = Auditor.audit(
                current,
                history: AuditHistory(
                    keys: previous?.snapshot, firstSeen: previous?.firstSeen, brokenChain: previous?.brokenChain),
                policy: policy, now: request.now)
            audit = result
            let brokenChain = previous?.brokenChain

            // 4. The workbook starts now, on a thread of its own: its Findings and Keys sheets need only the
            // audit, and its Summary and Changes sheets wait for the diff while findings.json and diff.json are
            // written here.
            let diffHandoff = DiffHandoff()
            let workbook = try ReportWriter.startWorkbook(
                request.formats,
                context: ReportContext(
                    runName: folder.name, generatedAt: request.now, snapshot: current,
                    snapshotSHA256: snapshotReference.sha256, audit: result, diff: nil, brokenChain: brokenChain,
                    rowLimit: request.reportRowLimit),
                diff: diffHandoff, templates: templates, directory: folder.stagingPath)
            defer {
                // However this block is left: the workbook must not wait for a diff that will not come, and must
                // be finished before the staging folder can be removed.
                diffHandoff.fulfil(nil)
                _ = workbook?.wait()
            }

            try folder.write(as: FindingsDocument.fileName) { emit throws(KeyAuditError) in
                try FindingsDocument.encode(
                    audit: result, snapshot: current, snapshotReference: snapshotReference, generatedAt: request.now,
                    chunked: emit)
            }
            if let broken = previous?.brokenChain {
                logger.error(
                    "broken evidence chain: \(broken.path) no longer has the sha256 recorded for it; see the broken-chain finding"
                )
            }

            // 5. Diff.
            if let previous {
                let result = SnapshotDiff.compare(
                    previous: previous.snapshot,
                    from: .init(
                        path: previous.reference.path, takenAt: previous.snapshot.takenAt,
                        sha256: previous.reference.sha256),
                    previousFirstSeen: previous.firstSeen, current: current,
                    to: .init(
                        path: "\(folder.name)/snapshot.json", takenAt: current.takenAt, sha256: snapshotReference.sha256
                    ),
                    audit: result)
                diff = result
                try folder.write(as: SnapshotDiff.fileName) { emit throws(KeyAuditError) in
                    try result.encode(chunked: emit)
                }
            }
            diffHandoff.fulfil(diff)
            // The previous run is not needed past the diff: let it go before the reports.
            previous = nil
            Memory.returnFreePages()

            // 6. Markdown and HTML, then wait for the workbook.
            let context = ReportContext(
                runName: folder.name, generatedAt: request.now, snapshot: current,
                snapshotSHA256: snapshotReference.sha256,
                audit: result, diff: diff, brokenChain: brokenChain, rowLimit: request.reportRowLimit)
            try ReportWriter.writeText(
                request.formats, context: context, templates: templates, directory: folder.stagingPath,
                workbook: workbook)
        }

        // 7. Into place.
        let finalPath = try folder.commit()
        trap?.setStaging(nil)
        var removed: [String] = []
        if let keep = request.keep { removed = Retention.prune(output, keep: keep, logger: logger) }
        return RunOutcome(
            folder: finalPath, snapshot: current, audit: audit, diff: diff, requests: await stats.requests,
            retries: await stats.retries, failed: audit.map { request.failOn.isTriggered(by: $0.findings) } ?? false,
            removedByRetention: removed)
    }

    private func listAccount(_ api: RunRequest.APISource, stats: FetchStats) async throws(KeyAuditError) -> Snapshot {
        let transport: any HTTPTransport
        if let injected = self.transport {
            transport = injected
        } else {
            transport = try AsyncHTTPTransport(target: api.baseURL, environment: api.environment)
        }
        let client = ManagementAPIClient(
            transport: transport, baseURL: api.baseURL, key: api.key, retry: api.retry,
            deadline: ContinuousClock.now + request.timeout,
            timeoutDescription: "\(request.timeout.components.seconds)s",
            stats: stats, logger: logger)
        let listing: AccountListing
        do {
            listing = try await client.listAccount(selected: api.workspaces, concurrency: api.concurrency)
        } catch {
            if self.transport == nil { await transport.shutdown() }
            throw error
        }
        if self.transport == nil { await transport.shutdown() }
        if !listing.coverage.consistent {
            logger.error(
                "the listing never settled: keys were created or deleted while paging; the snapshot is marked inconsistent and may miss keys"
            )
        }
        return Snapshot(
            takenAt: request.now, source: api.baseURL.string, workspaces: listing.workspaces,
            coverage: listing.coverage,
            previous: nil, keys: listing.keys.map { [store = RawKeyStore()] in KeyRecord($0, store: store) })
    }
}
