import Foundation
import KeyAuditCore

/// Apply folders (`apply-<time>`, see ``ApplyRecord``) are evidence of changes made to the account: `verify`
/// checks each one beside the runs like a run folder (SHA256SUMS, signature), then that its plan.json is the
/// plan results.json names, and that the run the plan was made from is there with the same snapshot.
extension ChainVerifier {
    static func isApplyFolderName(_ name: String) -> Bool {
        name.hasPrefix(ApplyRecord.prefix)
            && OutputDirectory.isRunFolderName(String(name.dropFirst(ApplyRecord.prefix.count)))
    }

    /// Checks every apply folder under `output` (or only `only`), after the runs were checked: `snapshots` maps
    /// each run folder's name to its snapshot's sha256; `signedRuns` says whether any run was signed.
    static func applyFolders(
        _ output: OutputDirectory, only: String? = nil, snapshots: [String: String], signedRuns: Bool,
        options: Options, report: inout Report
    ) -> Int {
        if only == nil {
            for impostor in output.folder.names().sorted()
            where isApplyFolderName(impostor) && output.folder.kind(of: impostor) != .folder {
                report.problems.append(
                    "\(output.url(impostor)) is \(output.folder.kind(of: impostor) == .symbolicLink ? "a symbolic link" : "not a folder") named like an apply folder: keyaudit never makes one; it was planted"
                )
            }
        }
        let names =
            only.map { [$0] }
            ?? output.folder.names().filter { isApplyFolderName($0) && output.folder.kind(of: $0) == .folder }.sorted()
        for name in names {
            guard let folder = output.folder.openFolder(name) else {
                report.problems.append(
                    "\(output.url(name)) is not a folder (or is a link to one); keyaudit never makes one")
                continue
            }
            let check = checkFolder(folder)
            report.checked.append(contentsOf: check.lines)
            report.problems.append(contentsOf: check.problems)
            record(of: folder, name: name, snapshots: snapshots, report: &report)
            signature(check.signature, name: name, signedRuns: signedRuns, options: options, report: &report)
        }
        return names.count
    }

    /// Why the reports must not believe the apply folder `name` (nil: it holds): its files against SHA256SUMS,
    /// its plan against results.json, the plan's run present with the snapshot the plan was made from. Used by the
    /// next run before it lists the folder's changes; `snapshotSHA256` gives a run folder's snapshot sha256.
    static func applyFolderProblem(
        _ output: OutputDirectory, name: String, snapshotSHA256: (String) -> String?
    ) -> String? {
        guard let folder = output.folder.openFolder(name) else { return "it is not a folder keyaudit made" }
        let check = checkFolder(folder)
        if let first = check.problems.first { return first }
        guard let bytes = folder.read("results.json", limit: 256 << 20), let results = try? JSONParser.parse(bytes),
            results["kind"]?.stringValue == ApplyRecord.kind, let plan = results["plan"],
            let sha = folder.sha256(of: "plan.json"), sha == plan["sha256"]?.stringValue
        else { return "results.json does not record applying its plan.json" }
        guard let run = plan["run"]?.stringValue, OutputDirectory.isRunFolderName(run),
            let recorded = plan["snapshot_sha256"]?.stringValue, snapshotSHA256(run) == recorded
        else { return "the run its plan was made from is not beside it with the same snapshot" }
        return nil
    }

    /// results.json read back: its plan sha256 against plan.json, its run against the run folder beside it.
    private static func record(of folder: Folder, name: String, snapshots: [String: String], report: inout Report) {
        guard let bytes = folder.read("results.json", limit: 256 << 20), let results = try? JSONParser.parse(bytes),
            results["kind"]?.stringValue == ApplyRecord.kind, let plan = results["plan"]
        else {
            report.problems.append("\(folder.url("results.json")): missing, or not an apply record keyaudit can read")
            return
        }
        // The name comes from the apply's clock (--now when given), started_at from the machine's: a name far
        // from it was given with --now, and a reviewer reading the folders in time order should know.
        let stamp = Array(name.dropFirst(ApplyRecord.prefix.count).prefix(16))
        if stamp.count == 16,
            let named = Timestamp.date(
                "\(String(stamp[0..<4]))-\(String(stamp[4..<6]))-\(String(stamp[6..<8]))T\(String(stamp[9..<11])):\(String(stamp[11..<13])):\(String(stamp[13..<15]))Z"
            ),
            let started = results["started_at"]?.stringValue.flatMap(Timestamp.date),
            abs(started.timeIntervalSince(named)) > 3_600
        {
            report.checked.append(
                "note  \(name) is named for \(Timestamp.format(named)) (apply --now) but started at \(Timestamp.format(started)) by the machine's clock"
            )
        }
        let planSHA = folder.sha256(of: "plan.json")
        if planSHA == nil || planSHA != plan["sha256"]?.stringValue {
            report.problems.append(
                "\(folder.url("plan.json")) is not the plan \(folder.url("results.json")) records applying (sha256 differs)"
            )
        }
        guard let run = plan["run"]?.stringValue, let snapshot = plan["snapshot_sha256"]?.stringValue else {
            report.problems.append("\(folder.url("results.json")): the plan's run is not recorded")
            return
        }
        switch snapshots[run] {
        case nil:
            report.checked.append("note  \(name): its plan's run \(Escaping.oneLine(run, limit: 40)) is not beside it")
        case snapshot?:
            report.checked.append("apply  \(name): plan from \(run), \(Self.summary(results))")
        case .some:
            report.problems.append(
                "\(name) applied a plan made from a snapshot of \(run) other than the one that run folder holds")
        }
    }

    private static func summary(_ results: JSONValue) -> String {
        var counts: [String: Int] = [:]
        for result in results["results"]?.arrayValue ?? [] {
            counts[result["outcome"]?.stringValue ?? "?", default: 0] += 1
        }
        return counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    private static func signature(
        _ signature: RunSignature.Check?, name: String, signedRuns: Bool, options: Options, report: inout Report
    ) {
        switch signature {
        case .valid(let key)?:
            guard let allowed = options.allowedSigners else {
                report.checked.append("signed  \(name) with key \(key.fingerprint)")
                return
            }
            let principals = allowed.principals(for: key, namespace: RunSignature.namespace, at: Date())
            if principals.isEmpty {
                report.problems.append(
                    "\(name) is signed by key \(key.fingerprint), which --allowed-signers does not allow: an unknown signer"
                )
            } else {
                report.checked.append("signed  \(name) by \(principals.joined(separator: ", ")) (\(key.fingerprint))")
            }
        case .invalid?:
            break  // already a problem of the folder check
        case nil:
            if options.allowedSigners != nil && signedRuns {
                report.problems.append("\(name) is not signed, but the runs beside it are")
            } else {
                report.checked.append("unsigned  \(name)")
            }
        }
    }
}
