import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// `--keep N`: the oldest complete run folders beyond N are removed once the new run is committed.
///
/// Which ones is decided before the commit, and recorded in the new run's snapshot.json (`removed_by_retention`:
/// each folder's snapshot path and sha256), so that `keyaudit verify` tells a run removed by retention from a
/// run deleted by hand. Only real folders named like run folders are considered (a link with such a name is
/// never followed, nor counted), never the new run (which `latest` will point to), whatever N is; removal
/// never follows a link out of the output folder.
enum Retention {
    struct Plan: Sendable {
        let keep: Int
        /// The folders to remove, oldest first.
        let names: [String]
        /// What the new snapshot records: each folder's snapshot and its sha256 now.
        let removals: [Snapshot.OmittedRun]
    }

    /// The folders that will be removed once `newRun` is committed.
    static func plan(_ output: OutputDirectory, keep: Int, newRun: String) -> Plan {
        let runs = (output.runFolders() + [newRun]).sorted(by: OutputDirectory.runOrder)
        guard runs.count > keep else { return Plan(keep: keep, names: [], removals: []) }
        // `latest` will point at the new run, which is never removed.
        let names = runs.prefix(runs.count - max(keep, 0)).filter { $0 != newRun }
        let removals = names.map { name in
            Snapshot.OmittedRun(
                path: "\(name)/snapshot.json", sha256: output.folder.openFolder(name)?.sha256(of: "snapshot.json"))
        }
        return Plan(keep: keep, names: names, removals: removals)
    }

    /// Removes the planned folders, after the commit: a folder that cannot be removed is a warning, never a
    /// failure of the run. Returns the names removed.
    static func execute(_ plan: Plan, output: OutputDirectory, diagnostics: Diagnostics) -> [String] {
        var removed: [String] = []
        for name in plan.names {
            if output.folder.removeTree(name) {
                removed.append(name)
            } else {
                diagnostics.raise(
                    "retention",
                    "--keep \(plan.keep): cannot remove the old run \(output.url(name)) (\(String(cString: strerror(errno)))); it is recorded as removed by this run: remove it by hand"
                )
            }
        }
        return removed
    }
}
