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
        return PreviousRun(
            snapshot: snapshot, reference: Snapshot.Reference(path: relative(file, to: output), sha256: sha),
            file: file,
            firstSeen: FindingsDocument.firstSeen(
                fileAt: (folder as NSString).appendingPathComponent(FindingsDocument.fileName)),
            brokenChain: chainCheck(
                snapshot.previous, output: output, folder: folder, opened: try? Folder(opening: folder)))
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
                let run = PreviousRun(
                    snapshot: snapshot, reference: Snapshot.Reference(path: snapshotPath, sha256: sha),
                    file: file,
                    firstSeen: FindingsDocument.firstSeen(
                        fileAt: (folder as NSString).appendingPathComponent(FindingsDocument.fileName)),
                    brokenChain: chainCheck(
                        snapshot.previous, output: output, folder: folder, opened: output.folder.openFolder(name)))
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
            let text = String(decoding: sums, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasSuffix("  snapshot.json") }),
                let actual = runFolder.sha256(of: "snapshot.json"), actual != String(line.prefix(64))
            {
                return BrokenChain(path: "\(name)/snapshot.json", recorded: String(line.prefix(64)), actual: actual)
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
