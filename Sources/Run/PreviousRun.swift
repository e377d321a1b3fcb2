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
            brokenChain: chainCheck(snapshot.previous, output: output, folder: folder))
    }

    /// The newest complete run folder whose snapshot can be read; unreadable ones are skipped with a warning,
    /// because an old file must never fail tonight's audit.
    static func newest(
        in output: OutputDirectory, policy: Policy, now: Date, against current: Snapshot, diagnostics: Diagnostics
    ) -> PreviousRun? {
        var candidates = output.runFolders().reversed().map { $0 }
        if let latest = output.latestTarget(), let index = candidates.firstIndex(of: latest), index != 0 {
            // `latest` normally is the newest; if it is not, trust the folder names (a clock set back) but warn.
            diagnostics.raise(
                "previous",
                "`latest` points at \(latest), not at the newest run folder \(candidates[0]); compared with \(candidates[0])"
            )
        }
        if FileManager.default.fileExists(atPath: output.url(OutputDirectory.latestName))
            || isLink(output.url(OutputDirectory.latestName)),
            output.latestTarget() == nil, !candidates.isEmpty
        {
            diagnostics.raise(
                "previous",
                "\(output.url(OutputDirectory.latestName)) is not a valid link to a run folder; it will be replaced")
        }
        while let name = candidates.first {
            candidates.removeFirst()
            let folder = output.url(name)
            let file = (folder as NSString).appendingPathComponent("snapshot.json")
            do {
                let (snapshot, sha, _) = try PreviousSnapshot.load(
                    path: file, policy: policy, now: now, against: current)
                return PreviousRun(
                    snapshot: snapshot, reference: Snapshot.Reference(path: "\(name)/snapshot.json", sha256: sha),
                    file: file,
                    firstSeen: FindingsDocument.firstSeen(
                        fileAt: (folder as NSString).appendingPathComponent(FindingsDocument.fileName)),
                    brokenChain: chainCheck(snapshot.previous, output: output, folder: folder))
            } catch {
                diagnostics.raise(
                    "previous", "previous run \(name) is unusable (\(error.message)); looked further back")
            }
        }
        return nil
    }

    /// Whether the previous run's own snapshot still matches its SHA256SUMS, and the file its `previous`
    /// names still has the recorded sha256: the two links a new run can check.
    static func chainCheck(
        _ predecessor: Snapshot.Reference?, output: OutputDirectory, folder: String
    ) -> BrokenChain? {
        let sums = (folder as NSString).appendingPathComponent(RunFolder.checksumFile)
        if let text = try? String(contentsOfFile: sums, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasSuffix("  snapshot.json") }),
            let actual = try? Checksum.sha256Hex(fileAt: (folder as NSString).appendingPathComponent("snapshot.json")),
            actual != String(line.prefix(64))
        {
            let name = (folder as NSString).lastPathComponent
            return BrokenChain(path: "\(name)/snapshot.json", recorded: String(line.prefix(64)), actual: actual)
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
            // Pruned by --keep or moved: nothing to compare with, which is not evidence of tampering.
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

    static func isLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }
}
