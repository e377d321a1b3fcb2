import Foundation
import KeyAuditCore
import KeyAuditReport

/// Reads the summaries of the runs before this one for the reports' trend: the small `summary.json` of each of
/// the newest run folders under `--output` (at most ``RunHistory/limit`` − 1 of them), never their snapshots.
///
/// An old run is never a reason to fail tonight's: a folder without the file (a run of an older keyaudit, a
/// `keyaudit snapshot`) is left out silently; one whose file is unreadable, altered since its SHA256SUMS was
/// written, or names another run is left out with a diagnostic, so the trend never draws a number it cannot
/// vouch for.
enum RunHistoryReader {
    static func read(_ output: OutputDirectory, before current: String, diagnostics: Diagnostics?) -> RunHistory {
        let earlier = output.runFolders().filter { OutputDirectory.runOrder($0, current) }
        var runs: [RunSummary] = []
        for name in earlier.suffix(RunHistory.limit - 1) {
            // Read through the folders' descriptors: no link is followed, no FIFO blocks.
            guard let folder = output.folder.openFolder(name), let kind = folder.kind(of: RunSummary.fileName) else {
                continue
            }
            func skip(_ reason: String) {
                diagnostics?.raise(
                    "history", "run \(name): \(RunSummary.fileName) \(reason); it is left out of the trend")
            }
            guard kind == .file, let bytes = folder.read(RunSummary.fileName, limit: RunSummary.sizeLimit) else {
                skip("is not a regular file keyaudit can read (a link, a folder, unreadable or over 64 KiB)")
                continue
            }
            guard let recorded = recordedSHA256(in: folder) else {
                skip("is not listed in the run's SHA256SUMS")
                continue
            }
            guard Checksum.sha256Hex(bytes) == recorded else {
                skip("does not match the sha256 its SHA256SUMS records (altered after the run)")
                continue
            }
            do {
                let summary = try RunSummary.decode(bytes)
                guard summary.run == name else {
                    skip("names another run (\(Escaping.oneLine(summary.run, limit: 40)))")
                    continue
                }
                runs.append(summary)
            } catch {
                skip("is not one this keyaudit understands (\(error.reason))")
            }
        }
        return RunHistory(runs: runs)
    }

    /// The sha256 the folder's SHA256SUMS records for summary.json.
    static func recordedSHA256(in folder: Folder) -> String? { recordedSHA256(of: RunSummary.fileName, in: folder) }

    /// The sha256 the folder's SHA256SUMS records for `file`; nil when it lists none, or no well-formed one (see
    /// ``RunFolder/recorded(_:in:)``).
    static func recordedSHA256(of file: String, in folder: Folder) -> String? {
        guard let bytes = folder.read(RunFolder.checksumFile, limit: 1 << 20),
            case .sum(let sum) = RunFolder.recorded(file, in: bytes)
        else { return nil }
        return sum
    }
}
