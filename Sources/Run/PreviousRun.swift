import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditSnapshot

/// The run this one is compared with: its snapshot, findings, where it lives and whether its chain holds.
package struct PreviousRun: Sendable {
    /// Its snapshot, condensed to what the audit and the diff use.
    package var snapshot: PreviousSnapshot
    /// What the new snapshot records as `previous`.
    package var reference: Snapshot.Reference
    /// The file actually read, for messages.
    package var file: String
    package var firstSeen: [String: Date]?
    package var brokenChain: BrokenChain?

    /// What the search for the previous run found: the run (nil on a first run, or when none could be read), the
    /// newer run folders it had to pass over, and the first broken link, which the audit reports as
    /// `broken-chain`.
    package struct Search: Sendable {
        package var run: PreviousRun?
        /// Run folders newer than `run` that could not be used, newest first; recorded in the new snapshot.
        package var skipped: [Snapshot.OmittedRun] = []
        /// A skipped run, else a link of `run` that does not hold; nil when the chain holds.
        package var brokenChain: BrokenChain?
    }

    /// `--previous PATH`: a snapshot file or a run folder. An explicit choice that cannot be read is an error.
    static func explicit(
        _ path: String, output: OutputDirectory, policy: Policy, now: Date, against current: Snapshot
    ) throws(KeyAuditError) -> PreviousRun {
        let (snapshot, sha, file) = try PreviousSnapshot.load(path: path, policy: policy, now: now, against: current)
        let folder = (file as NSString).deletingLastPathComponent
        let opened = try? Folder(opening: folder)
        let findings = previousFindings(folder: folder, opened: opened)
        return PreviousRun(
            snapshot: snapshot, reference: Snapshot.Reference(path: relative(file, to: output), sha256: sha),
            file: file, firstSeen: findings.firstSeen,
            brokenChain: chainCheck(snapshot.previous, output: output, folder: folder, opened: opened)
                ?? findings.broken)
    }

    /// first_seen by finding id from the findings.json beside the previous snapshot, checked against that run's
    /// SHA256SUMS when it has one: a findings.json altered, removed or added after its run would otherwise move
    /// first_seen dates and put made-up ids among the diff's resolved findings without a word. Such a file is not
    /// used (first_seen then comes from the previous snapshot, re-audited) and is reported as a broken link of
    /// the chain. Without a SHA256SUMS (a snapshot file given with `--previous`, not a run folder) there is
    /// nothing to check it against, and it is read as it is.
    static func previousFindings(
        folder: String, opened: Folder?
    ) -> (firstSeen: [String: Date]?, broken: BrokenChain?) {
        let name = (folder as NSString).lastPathComponent
        let path = (folder as NSString).appendingPathComponent(FindingsDocument.fileName)
        let shown = "\(name)/\(FindingsDocument.fileName)"
        let fallback = "first_seen dates and resolved findings come from the previous snapshot instead"
        guard let sums = opened?.read(RunFolder.checksumFile, limit: 1 << 20) else {
            return (FindingsDocument.firstSeen(fileAt: path), nil)
        }
        let recorded = recordedSum(of: FindingsDocument.fileName, in: sums)
        guard let read = FindingsDocument.firstSeenAndHash(fileAt: path) else {
            // A snapshot-only run has none; one its run listed is missing, or no longer a regular file.
            guard let recorded else { return (nil, nil) }
            return (
                nil,
                BrokenChain(
                    path: shown, recorded: recorded, actual: "none",
                    reason: "listed in the run's SHA256SUMS but missing or not a regular file; \(fallback)")
            )
        }
        guard let recorded else {
            return (
                nil,
                BrokenChain(
                    path: shown, recorded: "not listed", actual: read.sha256,
                    reason: "not listed in the run's SHA256SUMS, so not written by that run; \(fallback)")
            )
        }
        guard recorded == read.sha256 else {
            return (
                nil,
                BrokenChain(
                    path: shown, recorded: recorded, actual: read.sha256,
                    reason:
                        "does not match the run's SHA256SUMS (recorded \(recorded.prefix(12))…, now \(read.sha256.prefix(12))…): it was altered after the run; \(fallback)"
                )
            )
        }
        return (read.firstSeen, nil)
    }

    /// What SHA256SUMS (`<64 hex>  <name>` lines) records for `name`; nil when it lists no such file.
    static func recordedSum(of name: String, in sums: [UInt8]) -> String? {
        let suffix = "  " + name
        // The first such line, whatever stands before the name: a malformed sum matches no file.
        let lines = String(decoding: sums, as: UTF8.self).split(separator: "\n")
        return lines.first { $0.hasSuffix(suffix) }.map { String($0.dropLast(suffix.count)) }
    }

    /// The newest complete run folder whose snapshot can be read. Newer ones that cannot (corrupt, unreadable,
    /// from a newer schema, a link or a file named like a run folder) are skipped with a warning, because an old
    /// file must never fail tonight's audit; but each is named in the new snapshot (`skipped`) and the first is
    /// raised as `broken-chain`, so that a tampered run cannot drop out of the chain unreported.
    static func newest(
        in output: OutputDirectory, policy: Policy, now: Date, against current: Snapshot, diagnostics: Diagnostics
    ) -> Search {
        let folders = output.runFolders()
        let impostors = Set(output.impostors())
        var candidates = (folders + impostors).sorted(by: OutputDirectory.runOrder).reversed().map { $0 }
        if let latest = output.latestTarget(), let newest = folders.last, latest != newest {
            // `latest` normally is the newest; if it is not, trust the folder names (a clock set back) but warn.
            diagnostics.raise(
                "previous",
                "`latest` points at \(latest), not at the newest run folder \(newest); compared with \(newest)")
        }
        if output.folder.kind(of: OutputDirectory.latestName) != nil, output.latestTarget() == nil, !folders.isEmpty {
            diagnostics.raise(
                "previous",
                "\(output.url(OutputDirectory.latestName)) is not a link to a run folder here; it will be replaced")
        }
        var search = Search()
        while let name = candidates.first {
            candidates.removeFirst()
            let folder = output.url(name)
            let file = (folder as NSString).appendingPathComponent("snapshot.json")
            let snapshotPath = "\(name)/snapshot.json"
            if impostors.contains(name) {
                let kind = output.folder.kind(of: name) == .symbolicLink ? "a symbolic link" : "not a folder"
                skip(
                    name, path: snapshotPath, sha256: nil, reason: "\(name) is \(kind), not a run folder",
                    in: &search, diagnostics: diagnostics)
                continue
            }
            do {
                let (snapshot, sha, _) = try PreviousSnapshot.load(
                    path: file, policy: policy, now: now, against: current)
                let opened = output.folder.openFolder(name)
                let findings = previousFindings(folder: folder, opened: opened)
                let run = PreviousRun(
                    snapshot: snapshot, reference: Snapshot.Reference(path: snapshotPath, sha256: sha),
                    file: file, firstSeen: findings.firstSeen,
                    brokenChain: chainCheck(snapshot.previous, output: output, folder: folder, opened: opened)
                        ?? findings.broken)
                search.run = run
                search.brokenChain = search.brokenChain ?? run.brokenChain
                return search
            } catch {
                skip(
                    name, path: snapshotPath,
                    sha256: output.folder.openFolder(name)?.sha256(of: "snapshot.json"),
                    reason: "unusable: \(error.message)", in: &search, diagnostics: diagnostics)
            }
        }
        return search
    }

    private static func skip(
        _ name: String, path: String, sha256: String?, reason: String, in search: inout Search,
        diagnostics: Diagnostics
    ) {
        search.skipped.append(Snapshot.OmittedRun(path: path, sha256: sha256, reason: reason))
        diagnostics.raise(
            "previous",
            "previous run \(name) is \(reason.hasPrefix("unusable") ? reason : "skipped: \(reason)"); looked further back, and recorded it as skipped (broken-chain)"
        )
        if search.brokenChain == nil {
            search.brokenChain = BrokenChain(
                path: path, recorded: "a usable snapshot", actual: sha256 ?? "none",
                reason:
                    "skipped when looking for the previous run (\(reason)); the chain passes over it, so nothing it recorded is checked against this run"
            )
        }
    }

    /// Whether the previous run's own snapshot still matches its SHA256SUMS, its signature (if it has one) still
    /// matches its SHA256SUMS, and the file its `previous` names still has the recorded sha256: the links a new
    /// run can check.
    static func chainCheck(
        _ predecessor: Snapshot.Reference?, output: OutputDirectory, folder: String, opened runFolder: Folder?
    ) -> BrokenChain? {
        let name = (folder as NSString).lastPathComponent
        if let runFolder, let sums = runFolder.read(RunFolder.checksumFile, limit: 1 << 20) {
            if let recorded = recordedSum(of: "snapshot.json", in: sums),
                let actual = runFolder.sha256(of: "snapshot.json"), actual != recorded
            {
                return BrokenChain(path: "\(name)/snapshot.json", recorded: recorded, actual: actual)
            }
            if runFolder.kind(of: RunSignature.fileName) != nil {
                let signature = runFolder.read(RunSignature.fileName, limit: RunSignature.readLimit) ?? []
                if case .invalid(let problem) = RunSignature.check(signature: signature, sums: sums) {
                    return BrokenChain(
                        path: "\(name)/\(RunSignature.fileName)", recorded: "a signature of SHA256SUMS",
                        actual: "no match",
                        reason: "the signature does not match the run's SHA256SUMS (\(problem))")
                }
            }
        }
        return predecessorCheck(predecessor, output: output, folder: folder)
    }

    static func predecessorCheck(
        _ predecessor: Snapshot.Reference?, output: OutputDirectory, folder: String
    ) -> BrokenChain? {
        guard let reference = predecessor, !reference.path.hasPrefix("demo:") else { return nil }
        let candidates = [
            output.url(reference.path),
            ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent(reference.path),
            reference.path,
        ]
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            // Pruned by --keep or moved: nothing to compare with here; `keyaudit verify` tells the two apart.
            return nil
        }
        guard let actual = try? Checksum.sha256Hex(fileAt: path) else { return nil }
        return actual == reference.sha256
            ? nil : BrokenChain(path: reference.path, recorded: reference.sha256, actual: actual)
    }

    static func relative(_ file: String, to output: OutputDirectory) -> String {
        let base = URL(fileURLWithPath: output.path).standardizedFileURL.path + "/"
        let full = URL(fileURLWithPath: file).standardizedFileURL.path
        return full.hasPrefix(base) ? String(full.dropFirst(base.count)) : full
    }

    /// Whether the previous run was signed: a run after a signed one should be signed too.
    static func isSigned(_ reference: Snapshot.Reference, output: OutputDirectory) -> Bool {
        let name = (reference.path as NSString).deletingLastPathComponent
        guard OutputDirectory.isRunFolderName(name), let folder = output.folder.openFolder(name) else { return false }
        return folder.kind(of: RunSignature.fileName) != nil
    }
}
