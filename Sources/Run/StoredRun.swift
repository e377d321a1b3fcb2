import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditReport
import KeyAuditSnapshot

/// A finished run folder read back: what `keyaudit render` re-renders and `keyaudit diff` compares.
public struct StoredRun: Sendable {
    /// The folder holding the snapshot file: the run folder, or a loose snapshot file's directory.
    public var folder: String
    /// The snapshot read from the file.
    public var snapshot: Snapshot
    /// SHA-256 of the snapshot file as read, lower-case hex.
    public var snapshotSHA256: String
    /// The snapshot file read: the path given, or the snapshot.json inside the folder given.
    public var snapshotPath: String

    /// Reads a run folder or a snapshot file.
    public static func load(_ path: String) throws(KeyAuditError) -> StoredRun {
        let (snapshot, sha, file) = try Snapshot.load(path: path)
        return StoredRun(
            folder: PathText.folder(of: file), snapshot: snapshot, snapshotSHA256: sha,
            snapshotPath: file)
    }

    var findingsPath: String { (folder as NSString).appendingPathComponent(FindingsDocument.fileName) }

    /// Finding ids of this run: from its findings.json when there is one, recomputed under `policy` otherwise.
    package func findingIDs(policy: Policy) -> Set<String> {
        if let seen = FindingsDocument.firstSeen(fileAt: findingsPath) { return Set(seen.keys) }
        return Set(Auditor.audit(snapshot, policy: policy, now: snapshot.takenAt ?? Date()).findings.map(\.id))
    }

    /// Compares two stored runs (or snapshot files).
    public static func diff(from old: StoredRun, to new: StoredRun, policy: Policy = Policy()) -> SnapshotDiff {
        SnapshotDiff.compare(
            previous: old.snapshot,
            from: .init(path: old.snapshotPath, takenAt: old.snapshot.takenAt, sha256: old.snapshotSHA256),
            previousFindingIDs: old.findingIDs(policy: policy), current: new.snapshot,
            to: .init(path: new.snapshotPath, takenAt: new.snapshot.takenAt, sha256: new.snapshotSHA256),
            currentFindingIDs: new.findingIDs(policy: policy))
    }

    /// The audit as stored in findings.json (see ``storedFindings(matchingSums:)``).
    package func storedAudit() throws(KeyAuditError) -> AuditResult { try storedFindings().audit }

    /// The audit as stored in findings.json, only if the run's SHA256SUMS lists it with the sum of the very bytes
    /// parsed: what `plan` and `apply` act on, after verifying the folder, so that a findings.json replaced
    /// between the verification and the read is refused rather than believed.
    package func verifiedAudit() throws(KeyAuditError) -> AuditResult {
        try storedFindings(matchingSums: true).audit
    }

    /// Most diagnostics a re-render carries over from findings.json: a run raises a handful; a file with more was
    /// not written by keyaudit, and the reports must stay readable.
    static let storedDiagnosticsLimit = 200

    /// The audit as stored in findings.json (so re-rendered reports say exactly what the run said), and the
    /// diagnostics the run raised (`diagnostics`), which its reports showed as warnings.
    package func storedFindings(
        matchingSums: Bool = false
    ) throws(KeyAuditError) -> (audit: AuditResult, diagnostics: [Diagnostic]) {
        var exists = stat()
        guard lstat(findingsPath, &exists) == 0 else {
            throw .malformedData(
                "\(findingsPath) is missing; `keyaudit render` needs a run folder written by `keyaudit run`")
        }
        // Opened without blocking and mapped: a FIFO is refused at once, a large file is not copied.
        let mapped = try MappedFile(path: findingsPath, what: "findings file", kind: .data)
        if matchingSums {
            let sums = (try? Folder(opening: folder))?.read(RunFolder.checksumFile, limit: 1 << 20)
            guard let sums, case .sum(let recorded) = RunFolder.recorded(FindingsDocument.fileName, in: sums),
                Checksum.sha256Hex(mapped.bytes) == recorded
            else {
                throw .malformedData(
                    "\(findingsPath) does not match the run's SHA256SUMS (it changed after the run, or after it was just verified); check the folder with `keyaudit verify`"
                )
            }
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(mapped.bytes)
        } catch {
            throw .malformedData("\(findingsPath) is not valid JSON (\(error)); the run folder is damaged")
        }
        guard let version = document["schema_version"]?.doubleValue.flatMap(Checked.int(exactly:)),
            (1...FindingsDocument.schemaVersion).contains(version), let items = document["findings"]?.arrayValue
        else {
            throw .malformedData("\(findingsPath) is not a findings.json this keyaudit understands")
        }
        /// A whole number from 0 up, or nil when absent; anything else makes the file corrupt (65).
        func count(_ value: JSONValue?, _ name: String) throws(KeyAuditError) -> Int? {
            guard let value else { return nil }
            guard let number = value.doubleValue.flatMap(Checked.int(exactly:)), number >= 0 else {
                throw .malformedData(
                    "\(findingsPath): \(name) is \(Escaping.oneLine(value.description, limit: 40)), not a whole number; the run folder is damaged"
                )
            }
            return number
        }
        var policy = Policy()
        let policyJSON = document["policy"]
        policy.source = policyJSON?["source"]?.stringValue ?? "unknown"
        if let thresholds = policyJSON?["thresholds"] {
            func int(_ name: String) throws(KeyAuditError) -> Int? {
                try count(thresholds[name], "policy.thresholds.\(name)")
            }
            policy.thresholds.staleAfterDays = try int("stale_after_days") ?? policy.thresholds.staleAfterDays
            policy.thresholds.expiringWithinDays =
                try int("expiring_within_days") ?? policy.thresholds.expiringWithinDays
            policy.thresholds.unusedAfterDays = try int("unused_after_days") ?? policy.thresholds.unusedAfterDays
            policy.thresholds.suppressionWarningDays =
                try int("suppression_warning_days") ?? policy.thresholds.suppressionWarningDays
            policy.thresholds.rotationGraceDays = try int("rotation_grace_days") ?? policy.thresholds.rotationGraceDays
            policy.thresholds.limitRemainingShare =
                thresholds["limit_remaining_share"]?.doubleValue ?? policy.thresholds.limitRemainingShare
        }
        if let rules = policyJSON?["rules"]?.objectValue {
            for (id, value) in zip(rules.keys, rules.values) {
                var setting = Policy.RuleSetting()
                setting.enabled = value["enabled"]?.boolValue ?? true
                if value["severity_overridden"]?.boolValue == true {
                    setting.severity = value["severity"]?.stringValue.flatMap(Severity.init(rawValue:))
                }
                policy.rules[id] = setting
            }
        }
        func suppression(_ value: JSONValue?) -> Suppression? {
            guard let value, let key = value["key"]?.stringValue, let expires = value["expires"]?.stringValue else {
                return nil
            }
            return Suppression(
                key: key, rule: value["rule"]?.stringValue ?? "*", reason: value["reason"]?.stringValue ?? "",
                owner: value["owner"]?.stringValue ?? "", ticket: value["ticket"]?.stringValue, expires: expires,
                expiresAt: PolicyFile.expiryInstant(expires) ?? Date(timeIntervalSince1970: 0),
                location: value["location"]?.stringValue ?? "")
        }
        let findings: [Finding] = items.compactMap { item in
            guard let id = item["id"]?.stringValue, let rule = item["rule"]?.stringValue,
                let severity = item["severity"]?.stringValue.flatMap(Severity.init(rawValue:))
            else { return nil }
            return Finding(
                id: id, rule: rule, severity: severity, keyHash: item["key_hash"]?.stringValue,
                keyName: item["key_name"]?.stringValue, workspaceId: item["workspace_id"]?.stringValue,
                title: item["title"]?.stringValue ?? rule, message: item["message"]?.stringValue ?? "",
                evidence: item["evidence"]?.objectValue ?? JSONObject(),
                remediation: item["remediation"]?.stringValue ?? "",
                suppression: item["suppressed"]?.boolValue == true ? suppression(item["suppression"]) : nil,
                firstSeen: item["first_seen"]?.stringValue.flatMap(Timestamp.date) ?? Date(timeIntervalSince1970: 0),
                status: item["status"]?.stringValue == "persisting" ? .persisting : .new)
        }
        var statuses: [SuppressionStatus] = []
        for value in document["suppressions"]?.arrayValue ?? [] {
            guard let entry = suppression(value),
                let state = value["state"]?.stringValue.flatMap(SuppressionStatus.State.init(rawValue:))
            else { continue }
            statuses.append(
                SuppressionStatus(
                    suppression: entry, state: state, matched: try count(value["matched"], "suppressions.matched") ?? 0)
            )
        }
        policy.suppressions = statuses.map(\.suppression)
        let listed = document["diagnostics"]?.arrayValue ?? []
        var diagnostics = listed.prefix(Self.storedDiagnosticsLimit).compactMap { item -> Diagnostic? in
            guard let stage = item["stage"]?.stringValue, let message = item["message"]?.stringValue else { return nil }
            return Diagnostic(
                stage: Escaping.oneLine(stage, limit: 40), message: Escaping.oneLine(message, limit: 2000))
        }
        if listed.count > Self.storedDiagnosticsLimit {
            diagnostics.append(
                Diagnostic(
                    stage: "render",
                    message:
                        "\(HumanReadable.count(listed.count - Self.storedDiagnosticsLimit)) more diagnostics in findings.json are not shown"
                ))
        }
        return (AuditResult(findings: findings, suppressions: statuses, policy: policy), diagnostics)
    }
}

/// `keyaudit render RUN_DIR`: the reports of a stored run, rendered again (after a template change), replacing the
/// old ones and refreshing SHA256SUMS. No network.
///
/// The folder is verified first (its files against SHA256SUMS, its signature against SHA256SUMS): a folder that
/// fails is refused (65), because rewriting SHA256SUMS over it would make altered or planted files look intact.
/// `force` renders it anyway; every re-render, forced or not, is recorded in the folder (`rerenders.json`: when,
/// by which keyaudit, the reports replaced and their sha256 before, and for a forced one every file that did not
/// match), and that record is listed in the new SHA256SUMS and covered by the new signature, if any.
public enum RenderJob {
    /// Renders `formats` for `runFolder` again from its snapshot.json, findings.json and the previous run
    /// beside it; files in `templatesDirectory` override the built-in templates one by one (nil: built-in only).
    ///
    /// - Parameters:
    ///   - force: render a folder that fails verification (recorded in it; `verify` still reports the files that
    ///     did not match).
    ///   - signingKey: signs the new SHA256SUMS. Without it, a signature the run had no longer matches and is
    ///     removed (recorded, and returned as a warning).
    /// - Returns: warnings to print.
    public static func render(
        runFolder: String, formats: [ReportFormat], templatesDirectory: String?, force: Bool = false,
        signingKey: SigningKey? = nil, now: Date = Date()
    ) throws(KeyAuditError) -> [Diagnostic] {
        let templates = try ReportTemplates.load(overrides: templatesDirectory, formats: formats)
        let name = (runFolder as NSString).lastPathComponent
        let output = try OutputDirectory.open(PathText.folder(of: runFolder))
        guard let folder = output.folder.openFolder(name) else {
            throw .malformedData("\(runFolder) is not a run folder (it is missing, or a link); give the run folder")
        }
        // Refused before the lock, which would otherwise be made in the folder above it.
        if OutputDirectory.isOutputFolder(folder, name: name) {
            throw .usage(OutputDirectory.notARunFolder(runFolder))
        }
        let lock = try RunLock(output: output)
        defer { lock.release() }
        output.removeStaleStaging()
        let check = ChainVerifier.checkFolder(folder)
        if let problem = check.problems.first, !force {
            throw .malformedData(
                "\(runFolder) fails verification, so it was not re-rendered: \(problem); find out what changed (keyaudit verify), restore the run from a backup, or pass --force to re-render it anyway (the re-render and every file that did not match are then recorded in the folder)"
            )
        }
        for file in ["snapshot.json", FindingsDocument.fileName] where folder.kind(of: file) != .file {
            throw .malformedData(
                "\(folder.url(file)) is missing or not a regular file (keyaudit never follows a link); the run folder cannot be rendered"
            )
        }
        let run = try StoredRun.load(runFolder)
        // Each folder on its own can be consistent after its signature was deleted and a file altered with
        // SHA256SUMS rewritten; signing it now would launder that. verify fails an unsigned run after a signed
        // one, and so render refuses it.
        if check.signature == nil, !force, let previous = run.snapshot.previous,
            previous.signedBy != nil || PreviousRun.isSigned(previous, output: output)
        {
            throw .malformedData(
                "\(runFolder) is not signed, but the run it follows is: its signature may have been removed after the run, so it was not re-rendered (keyaudit verify fails it too); restore the run from a backup, or pass --force to re-render it anyway (recorded in the folder)"
            )
        }
        let (audit, diagnostics) = try run.storedFindings()
        var diff: SnapshotDiff?
        if let previous = run.snapshot.previous, !previous.path.hasPrefix("demo:") {
            let path = (output.path as NSString).appendingPathComponent(previous.path)
            if let old = try? StoredRun.load(path) {
                var result = StoredRun.diff(from: old, to: run, policy: audit.policy)
                result.from.path = previous.path
                result.to.path = "\(name)/snapshot.json"
                diff = result
            }
        }
        // Rendered into a staging folder beside the run folder, then each file is renamed over the old one: a
        // failure midway leaves the old reports in place.
        let stagingName = "\(OutputDirectory.stagingPrefix)render-\(getpid())"
        output.folder.removeTree(stagingName)
        let staging = try output.folder.createFolder(stagingName)
        defer { output.folder.removeTree(stagingName) }
        var context = ReportContext(
            runName: name, generatedAt: run.snapshot.takenAt ?? Date(), snapshot: run.snapshot,
            snapshotSHA256: run.snapshotSHA256, audit: audit, diff: diff, brokenChain: nil)
        // The run's own warnings, as its reports first showed them (findings.json keeps them).
        context.diagnostics = diagnostics
        // The diff is made again from the previous run's snapshot; when that is not here (removed by --keep, a
        // folder copied alone, the demo's made-up previous run) the reports would read like a first run's.
        var missingPrevious: Diagnostic?
        if diff == nil, let previous = run.snapshot.previous {
            let note = Diagnostic(
                stage: "render",
                message:
                    "no Changes section when re-rendered: the previous snapshot \(Escaping.oneLine(previous.path, limit: 200)) is not in \(output.path) (removed by --keep, a folder copied alone, or the demo's); \(name)/diff.json still holds the run's own comparison"
            )
            context.diagnostics.append(note)
            missingPrevious = note
        }
        context.history = RunHistoryReader.read(output, before: name, diagnostics: nil)
        try ReportJob.write(formats, context: context, templates: templates, folder: staging)

        var entry = RenderRecord.Entry(
            renderedAt: now, version: KeyAuditVersion.current, forced: force, verificationFailure: check.problems.first,
            replaced: formats.map { format in
                RenderRecord.FileChange(
                    file: format.fileName, before: folder.sha256(of: format.fileName),
                    after: staging.sha256(of: format.fileName))
            },
            accepted: [], sumsBefore: check.sums.map { Checksum.sha256Hex($0) }, signatureBefore: nil,
            signedBy: signingKey?.fingerprint)
        // keyaudit's own temporary names (left by a killed render, or planted) are replaced, not kept.
        let temporaries = [RunFolder.checksumFile, RenderRecord.fileName, RunSignature.fileName].map { "\($0).tmp" }
        for name in temporaries where folder.kind(of: name) != nil {
            entry.replaced.append(.init(file: name, before: folder.sha256(of: name), after: nil))
        }
        let replacedNames = Set(entry.replaced.map(\.file))
        entry.accepted = check.mismatches.filter { !replacedNames.contains($0.file) }
        switch check.signature {
        case .valid(let key)?: entry.signatureBefore = key.fingerprint
        case .invalid?: entry.signatureBefore = RenderRecord.invalidSignature
        case nil: break
        }
        var record = check.renders ?? RenderRecord()
        record.entries.append(entry)

        for format in formats { try staging.rename(format.fileName, to: format.fileName, in: folder) }
        for name in temporaries { try folder.removeEntry(name) }
        try folder.writeAtomically(record.encoded, to: RenderRecord.fileName)
        let sums = try RunFolder.writeChecksums(in: folder)
        var warnings: [Diagnostic] = missingPrevious.map { [$0] } ?? []
        if entry.signatureBefore == RenderRecord.invalidSignature {
            warnings.append(
                Diagnostic(
                    stage: "render",
                    message:
                        "\(runFolder)'s signature did not match its SHA256SUMS (rewritten after the run was signed); the re-render is recorded in \(RenderRecord.fileName) and keyaudit verify keeps failing the run: restore it from a backup"
                ))
        }
        if let signingKey {
            try folder.writeAtomically(Array(try signingKey.sign(sums).utf8), to: RunSignature.fileName)
        } else if folder.kind(of: RunSignature.fileName) != nil, entry.signatureBefore == RenderRecord.invalidSignature
        {
            try folder.removeEntry(RunSignature.fileName)
        } else if folder.kind(of: RunSignature.fileName) != nil {
            try folder.removeEntry(RunSignature.fileName)
            warnings.append(
                Diagnostic(
                    stage: "render",
                    message:
                        "\(runFolder) was signed (\(entry.signatureBefore ?? "")); its signature no longer matches the new SHA256SUMS and was removed: give --signing-key to sign it again (the re-render is recorded in \(RenderRecord.fileName))"
                ))
        }
        folder.sync()
        return warnings
    }
}
