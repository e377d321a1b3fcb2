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
    /// Why its findings.json was not used, when it was not (see ``check(_:output:folder:opened:isRunFolder:snapshotSHA256:)``).
    package var untrustedFindings: BrokenChain?

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
        // A relative file in the working folder has no parent in its path: its folder is still there to check.
        let folder = PathText.folder(of: file)
        let name = ((folder as NSString).standardizingPath as NSString).lastPathComponent
        let check = check(
            snapshot.previous, output: output, folder: folder, opened: try? Folder(opening: folder),
            isRunFolder: OutputDirectory.isRunFolderName(name),
            snapshotSHA256: (file as NSString).lastPathComponent == "snapshot.json" ? sha : nil)
        return PreviousRun(
            snapshot: snapshot,
            reference: Snapshot.Reference(
                path: relative(file, to: output), sha256: sha, evidence: check.evidence, signedBy: check.signedBy),
            file: file, firstSeen: check.firstSeen, brokenChain: check.brokenChain,
            untrustedFindings: check.untrustedFindings)
    }

    /// What the previous run folder's own records say, each read once: whether its snapshot and signature still
    /// match its SHA256SUMS, whether the snapshot its `previous` names still has the recorded sha256, and first_seen
    /// by finding id from its findings.json.
    struct FolderCheck {
        var firstSeen: [String: Date]?
        /// The first link that does not hold (raised as `broken-chain`).
        var brokenChain: BrokenChain?
        /// Why findings.json was not used, when it was not; it may also be `brokenChain`.
        var untrustedFindings: BrokenChain?
        /// What the folder's SHA256SUMS lists for its other evidence, and the fingerprint of the key whose
        /// signature over it held: recorded in the next snapshot's `previous`, so that the chain covers them.
        var evidence: [String: String] = [:]
        var signedBy: String?
    }

    /// The previous run's findings.json is used only when it matches that run's SHA256SUMS, and that only when
    /// the SHA256SUMS itself holds (its snapshot matches it, its signature if any verifies): a findings.json
    /// altered, removed or added after its run would otherwise move first_seen dates and put made-up ids among
    /// the diff's resolved findings without a word. When it is not used, first_seen comes from the previous
    /// snapshot, re-audited, and the reason is raised. A run folder without a readable SHA256SUMS is a broken
    /// link (keyaudit always writes one); a snapshot file given with `--previous` outside a run folder has
    /// nothing to be checked against, and the findings.json beside it is read as it is.
    ///
    /// - Parameter snapshotSHA256: the sha256 of the folder's snapshot.json as it was just read, when that is the
    ///   file read (not hashed a second time); nil: hash it here.
    static func check(
        _ predecessor: Snapshot.Reference?, output: OutputDirectory, folder: String, opened: Folder?, isRunFolder: Bool,
        snapshotSHA256: String?
    ) -> FolderCheck {
        let name = Escaping.oneLine((folder as NSString).lastPathComponent, limit: 80)
        guard let opened, let sums = opened.read(RunFolder.checksumFile, limit: 1 << 20) else {
            guard isRunFolder else {
                let path = (folder as NSString).appendingPathComponent(FindingsDocument.fileName)
                return FolderCheck(
                    firstSeen: FindingsDocument.firstSeen(fileAt: path),
                    brokenChain: predecessorCheck(predecessor, output: output, folder: folder))
            }
            return FolderCheck(
                brokenChain: BrokenChain(
                    path: "\(name)/\(RunFolder.checksumFile)", recorded: "a SHA256SUMS", actual: "none",
                    reason:
                        "missing or unreadable (a link, not a regular file, or over 1 MiB): nothing the run wrote can be checked, so its findings.json is not used"
                ))
        }
        let evidence = RunFolder.evidence(in: sums)
        let (broken, signedBy) = ownRecords(sums: sums, opened: opened, name: name, snapshotSHA256: snapshotSHA256)
        if let broken {
            return FolderCheck(brokenChain: broken, evidence: evidence)
        }
        let (firstSeen, untrusted) = findings(sums: sums, opened: opened, name: name)
        return FolderCheck(
            firstSeen: firstSeen,
            brokenChain: predecessorCheck(predecessor, output: output, folder: folder) ?? untrusted,
            untrustedFindings: untrusted, evidence: evidence, signedBy: signedBy)
    }

    /// Whether the run's snapshot.json still matches its SHA256SUMS, and its signature (if it has one) that
    /// SHA256SUMS: the first link that does not hold.
    private static func ownRecords(
        sums: [UInt8], opened: Folder, name: String, snapshotSHA256: String?
    ) -> (BrokenChain?, signedBy: String?) {
        switch RunFolder.recorded("snapshot.json", in: sums) {
        case .sum(let recorded):
            if let actual = snapshotSHA256 ?? opened.sha256(of: "snapshot.json"), actual != recorded {
                return (BrokenChain(path: "\(name)/snapshot.json", recorded: recorded, actual: actual), nil)
            }
        case .malformed:
            return (
                BrokenChain(
                    path: "\(name)/\(RunFolder.checksumFile)", recorded: "one line for snapshot.json",
                    actual: "malformed",
                    reason: "its line for snapshot.json is not `<sha256>  snapshot.json`, or there are several"), nil
            )
        case .notListed:
            return (
                BrokenChain(
                    path: "\(name)/\(RunFolder.checksumFile)", recorded: "a line for snapshot.json", actual: "none",
                    reason: "does not list snapshot.json, which every run writes"), nil
            )
        }
        // The signature is read and checked once: a valid one names the signer the next snapshot records.
        guard opened.kind(of: RunSignature.fileName) != nil else { return (nil, nil) }
        let signature = opened.read(RunSignature.fileName, limit: RunSignature.readLimit) ?? []
        switch RunSignature.check(signature: signature, sums: sums) {
        case .valid(let key):
            return (nil, key.fingerprint)
        case .invalid(let problem):
            return (
                BrokenChain(
                    path: "\(name)/\(RunSignature.fileName)", recorded: "a signature of SHA256SUMS", actual: "no match",
                    reason: "the signature does not match the run's SHA256SUMS (\(problem))"), nil
            )
        }
    }

    /// first_seen from the run's findings.json if SHA256SUMS lists it and it matches, byte for byte as parsed;
    /// else why not (nothing, for a run that wrote none: `keyaudit snapshot`).
    private static func findings(
        sums: [UInt8], opened: Folder, name: String
    ) -> (firstSeen: [String: Date]?, untrusted: BrokenChain?) {
        let file = FindingsDocument.fileName
        let shown = "\(name)/\(file)"
        let instead = "first_seen dates and resolved findings come from the previous snapshot instead"
        switch RunFolder.recorded(file, in: sums) {
        case .malformed:
            return (
                nil,
                BrokenChain(
                    path: "\(name)/\(RunFolder.checksumFile)", recorded: "one line for \(file)", actual: "malformed",
                    reason: "its line for \(file) is not `<sha256>  \(file)`, or there are several; \(instead)")
            )
        case .notListed:
            guard opened.kind(of: file) != nil else { return (nil, nil) }
            return (
                nil,
                BrokenChain(
                    path: shown, recorded: "not listed", actual: opened.sha256(of: file) ?? "unreadable",
                    reason: "present but not listed in the run's SHA256SUMS (added after the run); \(instead)")
            )
        case .sum(let recorded):
            guard let descriptor = opened.openForReading(file) else {
                return (
                    nil,
                    BrokenChain(
                        path: shown, recorded: recorded, actual: "none",
                        reason: "listed in the run's SHA256SUMS but missing, a link or not a regular file; \(instead)")
                )
            }
            defer { close(descriptor) }
            guard let read = FindingsDocument.firstSeenAndHash(descriptor: descriptor) else {
                return (
                    nil,
                    BrokenChain(
                        path: shown, recorded: recorded, actual: "unreadable",
                        reason: "listed in the run's SHA256SUMS but not a findings.json this tool wrote; \(instead)")
                )
            }
            guard read.sha256 == recorded else {
                return (
                    nil,
                    BrokenChain(
                        path: shown, recorded: recorded, actual: read.sha256,
                        reason:
                            "does not match the run's SHA256SUMS (recorded \(recorded.prefix(12))…, now \(read.sha256.prefix(12))…), altered after the run; \(instead)"
                    )
                )
            }
            return (read.firstSeen, nil)
        }
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
                let check = check(
                    snapshot.previous, output: output, folder: folder, opened: output.folder.openFolder(name),
                    isRunFolder: true, snapshotSHA256: sha)
                let run = PreviousRun(
                    snapshot: snapshot,
                    reference: Snapshot.Reference(
                        path: snapshotPath, sha256: sha, evidence: check.evidence, signedBy: check.signedBy),
                    file: file, firstSeen: check.firstSeen, brokenChain: check.brokenChain,
                    untrustedFindings: check.untrustedFindings)
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

    static func predecessorCheck(
        _ predecessor: Snapshot.Reference?, output: OutputDirectory, folder: String
    ) -> BrokenChain? {
        guard let reference = predecessor, !reference.path.hasPrefix("demo:") else { return nil }
        let candidates = [
            output.url(reference.path),
            (PathText.parent(of: folder) as NSString).appendingPathComponent(reference.path),
            reference.path,
        ]
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            // Pruned by --keep or moved: nothing to compare with here; `keyaudit verify` tells the two apart.
            return nil
        }
        guard let actual = try? Checksum.sha256Hex(fileAt: path) else { return nil }
        guard actual == reference.sha256 else {
            return BrokenChain(path: reference.path, recorded: reference.sha256, actual: actual)
        }
        return recordedFolderCheck(reference, folder: PathText.folder(of: path))
    }

    /// The run folder holding `reference`'s snapshot against what the run after it recorded of it: the sums its
    /// SHA256SUMS lists for its evidence (so a findings.json altered with SHA256SUMS rewritten to match is
    /// caught) and the key that signed it (so a signature deleted or replaced is). Nil when it holds, or when
    /// nothing was recorded (older runs).
    static func recordedFolderCheck(_ reference: Snapshot.Reference, folder: String) -> BrokenChain? {
        guard !reference.evidence.isEmpty || reference.signedBy != nil else { return nil }
        let opened = try? Folder(opening: folder)
        let sums = opened?.read(RunFolder.checksumFile, limit: 1 << 20)
        let signature = opened?.read(RunSignature.fileName, limit: RunSignature.readLimit).map {
            RunSignature.check(signature: $0, sums: sums ?? [])
        }
        let run = PathText.parent(of: reference.path)
        let signaturePath = "\(run)/\(RunSignature.fileName)"
        switch RecordedFolderMismatch.first(reference, sums: sums, signature: signature) {
        case nil:
            return nil
        case .evidence(let file, let recorded, let listed):
            return BrokenChain(
                path: "\(run)/\(file)", recorded: recorded, actual: listed ?? "not listed",
                reason:
                    "its SHA256SUMS no longer lists the sha256 the next run recorded for it: the file was altered and the sums rewritten to match"
            )
        case .signatureGone(let signer):
            return BrokenChain(
                path: signaturePath, recorded: "a signature by \(signer)", actual: "none that holds",
                reason: "the next run found that run signed; its signature was removed or broken since")
        case .signedAgain(let signer, let now):
            return BrokenChain(
                path: signaturePath, recorded: "a signature by \(signer)", actual: "one by \(now)",
                reason: "the next run found that run signed by another key; it was signed again since")
        }
    }

    static func relative(_ file: String, to output: OutputDirectory) -> String {
        let base = URL(fileURLWithPath: output.path).standardizedFileURL.path + "/"
        let full = URL(fileURLWithPath: file).standardizedFileURL.path
        return full.hasPrefix(base) ? String(full.dropFirst(base.count)) : full
    }

    /// Whether the previous run was signed: a run after a signed one should be signed too.
    static func isSigned(_ reference: Snapshot.Reference, output: OutputDirectory) -> Bool {
        let name = PathText.parent(of: reference.path)
        guard OutputDirectory.isRunFolderName(name), let folder = output.folder.openFolder(name) else { return false }
        return folder.kind(of: RunSignature.fileName) != nil
    }
}
