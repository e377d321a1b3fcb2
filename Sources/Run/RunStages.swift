import Foundation
import KeyAuditAPI
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditReport
import KeyAuditSnapshot
import Logging

/// The stages of one run, in the order data flows; ``RunJob/run(trap:)`` wires them.
///
///     prepare → list → previous → stage → audit → report (history read, workbook starts, diff handed to it; once
///     its rows are written: findings.json, diff.json, summary.json, Markdown and HTML) → commit
///
/// Each stage takes values and returns values. Only here do the clock, the file system layout and the network
/// meet: the stages it calls in the other targets (Snapshot, Audit, Diff, Report) are pure or write only where
/// they are told.
struct RunStages {
    let request: RunRequest
    let logger: Logger
    let diagnostics: Diagnostics
    /// Stand-in transport for tests; nil: AsyncHTTPClient.
    let transport: (any HTTPTransport)?
    let stats: FetchStats

    /// What every later stage needs and that must fail before anything slow starts.
    struct Setup {
        let output: OutputDirectory
        let lock: RunLock
        let templates: ReportTemplates
        let policy: Policy
    }

    /// prepare: the output folder and its lock; templates, layout and an explicit `--previous` checked now, so
    /// that a typo fails in a second, not after a ten-minute listing.
    func prepare() throws(KeyAuditError) -> Setup {
        for note in request.notes { diagnostics.raise(note.stage, note.message) }
        let output = try OutputDirectory.prepare(request.output)
        let lock = try RunLock(output: output)
        for kept in output.removeStaleStaging() {
            diagnostics.raise(
                "output",
                "an apply was stopped before it could write its record: \(kept)/\(ApplyJournal.fileName) lists the changes it made to the account; keep it as evidence, then remove the folder"
            )
        }
        try output.checkLatestReplaceable()
        let templates = try ReportTemplates.load(overrides: request.templatesDirectory, formats: request.formats)
        var policy = request.policy
        if case .demo = request.source, request.policy.source == Policy().source {
            policy = DemoAccount.policy(now: request.now)
        }
        if let path = request.previousPath {
            // Opened without blocking: a FIFO given as --previous is refused now, not waited on under the lock.
            _ = try MappedFile(path: try Snapshot.file(at: path), what: "--previous", kind: .data)
        }
        return Setup(output: output, lock: lock, templates: templates, policy: policy)
    }

    /// list: every key of the account as received, from the API, a file or the demo account.
    ///
    /// Secrets in the data are redacted here, as each key and workspace becomes part of the snapshot (see
    /// ``Redaction``): every later stage, and every file, sees only redacted data.
    func list() async throws(KeyAuditError) -> Snapshot {
        let snapshot: Snapshot
        switch request.source {
        case .api(let api):
            snapshot = try await listAccount(api)
        case .file(let path):
            let (loaded, sha, file) = try Snapshot.load(path: path)
            var coverage = loaded.coverage
            coverage.mode = .file
            coverage.notes.append(
                "keys read from \(file) (sha256 \(sha.prefix(12))…)"
                    + (loaded.takenAt.map { ", taken \(Timestamp.format($0))" } ?? ""))
            snapshot = Snapshot(
                takenAt: request.now, source: "file:\(file)", workspaces: loaded.workspaces, coverage: coverage,
                previous: nil, keys: loaded.keys, workspaceSecrets: loaded.workspaceSecrets)
        case .demo:
            snapshot = DemoAccount.snapshots(now: request.now).current
        }
        return snapshot
    }

    private func listAccount(_ api: RunRequest.APISource) async throws(KeyAuditError) -> Snapshot {
        let transport: any HTTPTransport
        if let injected = self.transport {
            transport = injected
        } else {
            transport = try AsyncHTTPTransport(
                target: api.baseURL, environment: api.environment, readTimeout: api.readTimeout)
        }
        let client = ManagementAPIClient(
            transport: transport, baseURL: api.baseURL, key: api.key, retry: api.retry,
            deadline: ContinuousClock.now + request.timeout,
            timeoutDescription: "\(request.timeout.components.seconds)s", stats: stats, logger: logger)
        let listing: AccountListing
        do {
            listing = try await client.listAccount(selected: api.workspaces, concurrency: api.concurrency)
        } catch {
            if self.transport == nil { await transport.shutdown() }
            throw error
        }
        if self.transport == nil { await transport.shutdown() }
        if listing.coverage.mode == .defaultListingOnly {
            diagnostics.raise(
                "listing",
                "/workspaces was unavailable to this key: only the default workspace was listed; keys in other workspaces are not covered (give them with --workspace ID)"
            )
        }
        if !listing.coverage.consistent {
            diagnostics.raise(
                "listing",
                "the listing never settled: keys were created or deleted while paging; the snapshot is marked inconsistent and may miss keys"
            )
        }
        let store = RawKeyStore()
        return Snapshot(
            takenAt: request.now, source: api.baseURL.string, workspaces: listing.workspaces,
            coverage: listing.coverage, previous: nil, keys: listing.keys.map { KeyRecord($0, store: store) })
    }

    /// previous: the run to compare with, read key by key against `current` (never whole next to it), the newer
    /// run folders that had to be skipped, and the first broken link of the chain.
    func previous(against current: Snapshot, setup: Setup) throws(KeyAuditError) -> PreviousRun.Search {
        var search: PreviousRun.Search
        if let path = request.previousPath {
            let run = try PreviousRun.explicit(
                path, output: setup.output, policy: setup.policy, now: request.now, against: current)
            search = PreviousRun.Search(run: run, brokenChain: run.brokenChain)
        } else {
            // A run folder from after this run: the clock was set back (or --now given in the past), or someone
            // planted one. Chaining to it would put the evidence out of order for good (every later run follows
            // the newest name, and verify fails this run as not in the chain); refused instead, with the fix.
            let stamp = Timestamp.compact(request.now)
            if let newest = setup.output.runFolders().last, newest.prefix(16) > stamp {
                throw .usage(
                    "the newest run folder \(Escaping.oneLine(newest, limit: 40)) in \(setup.output.path) is later than this run (\(stamp)): the clock was set back, or --now is in the past, or the folder was put there by hand; check the system clock and --now, or move that folder out of \(setup.output.path)"
                )
            }
            search = PreviousRun.newest(
                in: setup.output, policy: setup.policy, now: request.now, against: current, diagnostics: diagnostics)
        }
        if case .demo = request.source, search.run == nil {
            let demo = DemoAccount.snapshots(now: request.now).previous
            search.run = PreviousRun(
                snapshot: PreviousSnapshot(demo, policy: setup.policy, now: request.now, against: current),
                reference: Snapshot.Reference(
                    path: "demo:previous-snapshot", sha256: Checksum.sha256Hex(demo.encoded())),
                file: "the embedded demo account (a day earlier)", firstSeen: nil, brokenChain: nil)
        }
        if let broken = search.run?.brokenChain {
            diagnostics.raise("previous", "broken evidence chain: \(broken.message); see the broken-chain finding")
        }
        if let untrusted = search.run?.untrustedFindings, untrusted != search.run?.brokenChain {
            // A break earlier in the chain is the finding; this one still changes what first_seen says.
            diagnostics.raise("previous", "the previous run's \(untrusted.message)")
        }
        if let run = search.run, request.signingKey == nil, PreviousRun.isSigned(run.reference, output: setup.output) {
            diagnostics.raise(
                "signing",
                "the previous run \(run.reference.path) was signed and this one is not: give --signing-key (or KEYAUDIT_SIGNING_KEY_FILE), or `keyaudit verify --allowed-signers` reports an unsigned run after a signed one"
            )
        }
        return search
    }

    /// stage: the hidden staging folder with snapshot.json in it. From here on a signal or an error removes it.
    ///
    /// `--keep` is decided here, before snapshot.json is written: the run folders it will remove after the commit
    /// are recorded in it, with the newer run folders the previous-run search skipped.
    func stage(
        _ snapshot: inout Snapshot, previous: Snapshot.Reference?, skipped: [Snapshot.OmittedRun], setup: Setup,
        trap: SignalTrap?
    ) throws(KeyAuditError) -> (folder: RunFolder, snapshot: Snapshot.Reference, retention: Retention.Plan?) {
        snapshot.takenAt = request.now
        snapshot.previous = previous
        snapshot.skipped = skipped
        let name = setup.output.newRunName(for: request.now)
        let retention = request.keep.map { Retention.plan(setup.output, keep: $0, newRun: name) }
        snapshot.removedByRetention = retention?.removals ?? []
        if let retention, !retention.names.isEmpty {
            logger.info(
                "--keep \(retention.keep): \(retention.names.joined(separator: ", ")) will be removed once this run is committed (recorded in its snapshot.json)"
            )
        }
        let folder = try RunFolder(output: setup.output, name: name)
        trap?.setStaging(folder)
        let current = snapshot
        let sha: String
        do {
            sha = try folder.write(as: "snapshot.json") { emit throws(KeyAuditError) in
                try current.encode(chunked: emit)
            }
        } catch {
            folder.discard()
            throw error
        }
        // Written, and the previous snapshot was compared with it while read: the keys' objects as received are
        // not read again (about 110 MB at 100,000 keys).
        snapshot.releaseRawObjects()
        Memory.returnFreePages()
        return (folder, Snapshot.Reference(path: "snapshot.json", sha256: sha), retention)
    }

    /// audit: the findings under the policy, first_seen and status from the previous run.
    func audit(_ snapshot: Snapshot, previous: PreviousRun?, brokenChain: BrokenChain?, setup: Setup) -> AuditResult {
        let result = Auditor.audit(
            snapshot,
            history: AuditHistory(keys: previous?.snapshot, firstSeen: previous?.firstSeen, brokenChain: brokenChain),
            policy: setup.policy, now: request.now)
        let secretKeys = snapshot.keys.count { !$0.redactedSecrets.isEmpty }
        let workspaces = Set(snapshot.workspaceSecrets.map(\.workspace)).count
        if secretKeys + workspaces > 0 {
            let what = [
                secretKeys > 0 ? "\(secretKeys) key\(secretKeys == 1 ? "" : "s")" : nil,
                workspaces > 0 ? "\(workspaces) workspace\(workspaces == 1 ? "" : "s")" : nil,
            ].compactMap { $0 }.joined(separator: " and ")
            diagnostics.raise(
                "audit",
                "\(what) held a secret (the management key or an OpenRouter API key) in \(secretKeys + workspaces == 1 ? "its" : "their") data; it was redacted from every output and the snapshot lists where (see the secret-in-metadata findings)"
            )
        }
        let unreadable = snapshot.keys.count { !$0.problems.isEmpty }
        if unreadable > 0 {
            diagnostics.raise(
                "audit",
                "\(unreadable) key\(unreadable == 1 ? " has fields" : "s have fields") that cannot be read; they are kept and flagged (see the unreadable-data findings)"
            )
        }
        return result
    }

    /// report: findings.json, the diff and diff.json, summary.json, and the reports.
    ///
    /// The workbook starts first, on threads of its own (its Findings and Keys sheets need only the audit); the
    /// diff is taken meanwhile and handed over, and the previous run let go. findings.json, diff.json, summary.json
    /// and the Markdown and HTML reports are written once the workbook's rows are, while it is compressed.
    func report(
        _ snapshot: Snapshot, _ reference: Snapshot.Reference, _ audit: AuditResult,
        previous: consuming PreviousRun?, brokenChain: BrokenChain?, folder: RunFolder, setup: Setup
    ) throws(KeyAuditError) -> SnapshotDiff? {
        var context = ReportContext(
            runName: folder.name, generatedAt: request.now, snapshot: snapshot, snapshotSHA256: reference.sha256,
            audit: audit, diff: nil, brokenChain: brokenChain, rowLimit: request.reportRowLimit)
        context.history = RunHistoryReader.read(setup.output, before: folder.name, diagnostics: diagnostics)
        context.appliedChanges = AppliedChangesReader.read(setup.output, before: folder.name, diagnostics: diagnostics)
        context.diagnostics = diagnostics.all
        let reports = try ReportJob.start(
            request.formats, context: context, templates: setup.templates, folder: folder.staging)
        defer { reports.abandon() }
        let recorded = diagnostics.all
        var diff: SnapshotDiff?
        if let before = previous {
            diff = SnapshotDiff.compare(
                previous: before.snapshot,
                from: .init(
                    path: before.reference.path, takenAt: before.snapshot.takenAt, sha256: before.reference.sha256),
                previousFirstSeen: before.firstSeen, current: snapshot,
                to: .init(path: "\(folder.name)/snapshot.json", takenAt: snapshot.takenAt, sha256: reference.sha256),
                audit: audit)
            context.diff = diff
        }
        previous = nil
        Memory.returnFreePages()
        // The workbook's rows take both cores (Keys and Findings on two threads); compressing them takes one. So
        // the workbook gets the diff for its last sheets now, and this thread writes its own files while zlib
        // runs: no slower when the workbook is not asked for, about a second sooner at 100,000 keys when it is.
        reports.handOver(context)
        reports.waitUntilRowsWritten()
        try folder.write(as: FindingsDocument.fileName) { emit throws(KeyAuditError) in
            try FindingsDocument.encode(
                audit: audit, snapshot: snapshot, snapshotReference: reference, generatedAt: request.now,
                diagnostics: recorded, chunked: emit)
        }
        if let diff {
            try folder.write(as: SnapshotDiff.fileName) { emit throws(KeyAuditError) in
                try diff.encode(chunked: emit)
            }
        }
        // This run's numbers, for the trend of the runs after it (listed in SHA256SUMS like every file).
        try folder.write(RunSummary(context).encoded(), as: RunSummary.fileName)
        // Every file but the workbook is written: checksummed now, while the workbook is compressed.
        try reports.finish(context) { folder.checksumWrittenFiles(except: [ReportFormat.xlsx.fileName]) }
        return context.diff
    }

    /// commit: SHA256SUMS and its signature, the checks that could still fail the run (`latest` replaceable: its
    /// new link is made now), the rename into place; then `latest` and retention, which can no longer fail it.
    ///
    /// Failures before the rename are errors and discard the run; after it, nothing turns the committed run into a
    /// failure: a problem is a warning (a diagnostic, printed; it cannot reach the committed files any more).
    func commit(
        _ folder: RunFolder, retention: Retention.Plan?, setup: Setup, trap: SignalTrap?
    ) throws(KeyAuditError) -> (String, [String]) {
        try folder.seal(signingKey: request.signingKey)
        let latest = try setup.output.prepareLatest(folder.name)
        do {
            try folder.commit()
        } catch {
            latest.discard()
            throw error
        }
        trap?.setStaging(nil)
        if let warning = latest.commit() { diagnostics.raise("commit", warning) }
        var removed: [String] = []
        if let retention {
            removed = Retention.execute(retention, output: setup.output, diagnostics: diagnostics)
            if !removed.isEmpty { logger.info("--keep \(retention.keep): removed \(removed.count) old run folder(s)") }
        }
        return (folder.finalPath, removed)
    }
}
