import Foundation
import KeyAuditCore
import Logging

/// `--keep N`: after a successful run, the oldest complete run folders beyond N are removed.
///
/// Only folders whose names match the run-folder pattern are ever considered, and never the one `latest`
/// points to, whatever N is.
enum Retention {
    static func prune(_ output: OutputDirectory, keep: Int, logger: Logger) -> [String] {
        let runs = output.runFolders()
        guard runs.count > keep else { return [] }
        let latest = output.latestTarget()
        var removed: [String] = []
        for name in runs.prefix(runs.count - max(keep, 0)) where name != latest {
            guard OutputDirectory.isRunFolderName(name) else { continue }
            do {
                try FileManager.default.removeItem(atPath: output.url(name))
                removed.append(name)
            } catch {
                logger.warning("--keep: cannot remove old run \(name): \(FileSystem.reason(error))")
            }
        }
        if !removed.isEmpty { logger.info("--keep \(keep): removed \(removed.count) old run folder(s)") }
        return removed
    }
}
