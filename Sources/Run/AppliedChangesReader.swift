import Foundation
import KeyAuditCore
import KeyAuditReport
import KeyAuditSnapshot

/// Reads the apply folders made since the previous run (between the newest run folder before `current` and
/// `current`) for the reports' list of changes keyaudit applied.
///
/// Like the trend, an apply record is believed only if its results.json matches its SHA256SUMS; one that does
/// not is left out with a diagnostic (and `keyaudit verify` reports it).
enum AppliedChangesReader {
    /// results.json is a few kilobytes per action; 25 actions per apply by default.
    static let sizeLimit = 64 << 20

    static func read(_ output: OutputDirectory, before current: String, diagnostics: Diagnostics?) -> [AppliedChange] {
        let earlierRun = output.runFolders().filter { OutputDirectory.runOrder($0, current) }.last
        let currentStamp = String(current.prefix(16))
        let sinceStamp = earlierRun.map { String($0.prefix(16)) }
        let names = output.folder.names().filter { name in
            guard ChainVerifier.isApplyFolderName(name), output.folder.kind(of: name) == .folder else { return false }
            let stamp = String(name.dropFirst(ApplyRecord.prefix.count).prefix(16))
            return stamp <= currentStamp && sinceStamp.map { stamp >= $0 } ?? true
        }.sorted()
        var changes: [AppliedChange] = []
        var shas: [String: String?] = [:]
        // A run's snapshot is hashed once, and only for a run an apply folder names.
        func snapshotSHA256(_ run: String) -> String? {
            if let known = shas[run] { return known }
            let sha =
                output.folder.openFolder(run).flatMap { _ in
                    try? Snapshot.header(fileAt: output.url(run) + "/snapshot.json").1
                }
            shas[run] = sha
            return sha
        }
        for name in names {
            func skip(_ reason: String) {
                diagnostics?.raise(
                    "applied", "apply folder \(name): results.json \(reason); its changes are not listed in the reports"
                )
            }
            guard let folder = output.folder.openFolder(name), folder.kind(of: "results.json") == .file,
                let bytes = folder.read("results.json", limit: sizeLimit)
            else {
                skip("is not a regular file keyaudit can read")
                continue
            }
            guard let recorded = RunHistoryReader.recordedSHA256(of: "results.json", in: folder),
                Checksum.sha256Hex(bytes) == recorded
            else {
                skip("does not match the sha256 its SHA256SUMS records (altered after the apply)")
                continue
            }
            // The whole folder must hold, as verify checks it: a folder made by hand with a results.json and a
            // matching SHA256SUMS is not a change keyaudit applied.
            if let problem = ChainVerifier.applyFolderProblem(output, name: name, snapshotSHA256: snapshotSHA256) {
                diagnostics?.raise(
                    "applied",
                    "apply folder \(name) does not verify (\(Escaping.oneLine(problem, limit: 300))); its changes are not listed in the reports"
                )
                continue
            }
            guard let document = try? JSONParser.parse(bytes), document["kind"]?.stringValue == ApplyRecord.kind,
                let finished = document["finished_at"]?.stringValue.flatMap(Timestamp.date)
            else {
                skip("is not an apply record this keyaudit understands")
                continue
            }
            for result in document["results"]?.arrayValue ?? [] where result["outcome"]?.stringValue == "applied" {
                guard let hash = result["key_hash"]?.stringValue else { continue }
                changes.append(
                    AppliedChange(
                        folder: name, appliedAt: finished, keyHash: hash, keyName: result["key_name"]?.stringValue,
                        action: result["action"]?.stringValue ?? "", detail: result["detail"]?.stringValue ?? ""))
            }
        }
        return changes
    }
}
