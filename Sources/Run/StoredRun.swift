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
            folder: (file as NSString).deletingLastPathComponent, snapshot: snapshot, snapshotSHA256: sha,
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

    /// The audit as stored in findings.json (so re-rendered reports say exactly what the run said).
    package func storedAudit() throws(KeyAuditError) -> AuditResult {
        guard let data = FileManager.default.contents(atPath: findingsPath) else {
            throw .malformedData(
                "\(findingsPath) is missing; `keyaudit render` needs a run folder written by `keyaudit run`")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse([UInt8](data))
        } catch {
            throw .malformedData("\(findingsPath) is not valid JSON (\(error)); the run folder is damaged")
        }
        guard let version = document["schema_version"]?.doubleValue, Int(version) <= FindingsDocument.schemaVersion,
            let items = document["findings"]?.arrayValue
        else {
            throw .malformedData("\(findingsPath) is not a findings.json this keyaudit understands")
        }
        var policy = Policy()
        let policyJSON = document["policy"]
        policy.source = policyJSON?["source"]?.stringValue ?? "unknown"
        if let thresholds = policyJSON?["thresholds"] {
            func int(_ name: String) -> Int? { thresholds[name]?.doubleValue.map { Int($0) } }
            policy.thresholds.staleAfterDays = int("stale_after_days") ?? policy.thresholds.staleAfterDays
            policy.thresholds.expiringWithinDays = int("expiring_within_days") ?? policy.thresholds.expiringWithinDays
            policy.thresholds.unusedAfterDays = int("unused_after_days") ?? policy.thresholds.unusedAfterDays
            policy.thresholds.suppressionWarningDays =
                int("suppression_warning_days") ?? policy.thresholds.suppressionWarningDays
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
        let statuses: [SuppressionStatus] = (document["suppressions"]?.arrayValue ?? []).compactMap { value in
            guard let entry = suppression(value),
                let state = value["state"]?.stringValue.flatMap(SuppressionStatus.State.init(rawValue:))
            else { return nil }
            return SuppressionStatus(
                suppression: entry, state: state, matched: value["matched"]?.doubleValue.map { Int($0) } ?? 0)
        }
        policy.suppressions = statuses.map(\.suppression)
        return AuditResult(findings: findings, suppressions: statuses, policy: policy)
    }
}

/// `keyaudit render RUN_DIR`: the reports of a stored run, rendered again (after a template change),
/// replacing the old ones atomically and refreshing SHA256SUMS. No network.
public enum RenderJob {
    /// Renders `formats` for `runFolder` again from its snapshot.json, findings.json and the previous run
    /// beside it; files in `templatesDirectory` override the built-in templates one by one (nil: built-in only).
    public static func render(
        runFolder: String, formats: [ReportFormat], templatesDirectory: String?
    ) throws(KeyAuditError) {
        let templates = try ReportTemplates.load(overrides: templatesDirectory, formats: formats)
        let run = try StoredRun.load(runFolder)
        let audit = try run.storedAudit()
        var diff: SnapshotDiff?
        if let previous = run.snapshot.previous, !previous.path.hasPrefix("demo:") {
            let output = (run.folder as NSString).deletingLastPathComponent
            let path = (output as NSString).appendingPathComponent(previous.path)
            if let old = try? StoredRun.load(path) {
                var result = StoredRun.diff(from: old, to: run, policy: audit.policy)
                result.from.path = previous.path
                result.to.path = "\((run.folder as NSString).lastPathComponent)/snapshot.json"
                diff = result
            }
        }
        let output = OutputDirectory(path: (run.folder as NSString).deletingLastPathComponent)
        let lock = try RunLock(output: output)
        defer { lock.release() }
        // Rendered beside the run folder, then each file is renamed over the old one: a failure midway
        // leaves the old reports in place.
        let staging = output.url("\(OutputDirectory.stagingPrefix)render-\(getpid())")
        try? FileManager.default.removeItem(atPath: staging)
        guard mkdir(staging, FileSystem.folderMode) == 0 else {
            throw .cannotWrite(
                "cannot create a temporary folder in \(output.path): \(String(cString: strerror(errno)))")
        }
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let context = ReportContext(
            runName: (run.folder as NSString).lastPathComponent, generatedAt: run.snapshot.takenAt ?? Date(),
            snapshot: run.snapshot, snapshotSHA256: run.snapshotSHA256, audit: audit, diff: diff, brokenChain: nil)
        try ReportJob.write(formats, context: context, templates: templates, directory: staging)
        for format in formats {
            let target = (run.folder as NSString).appendingPathComponent(format.fileName)
            guard rename((staging as NSString).appendingPathComponent(format.fileName), target) == 0 else {
                throw .cannotWrite("cannot replace \(target): \(String(cString: strerror(errno)))")
            }
        }
        try RunFolder.writeChecksums(in: run.folder)
    }
}
