import Dispatch
import Foundation

/// Turns SIGINT/SIGTERM into a clean stop: the staging folder of the run in progress is removed, `latest`
/// and earlier runs are left alone, and the process exits 130 or 143.
///
/// The handler runs on a dispatch queue, not in signal context, so removing files there is safe.
package final class SignalTrap: @unchecked Sendable {
    // @unchecked: `staging` is guarded by `lock`; the sources are set once in install().
    private let lock = NSLock()
    private var staging: String?
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "keyaudit.signals")

    package init() {}

    package func install(onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in
                let path = lock.withLock { staging }
                if let path {
                    // Renamed first, so that files the run opens from now on fail instead of landing in a
                    // folder being removed; then removed.
                    let trash = path + "-stopped"
                    let target = rename(path, trash) == 0 ? trash : path
                    try? FileManager.default.removeItem(atPath: target)
                }
                onSignal(signalNumber)
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The folder to remove if a signal arrives now (nil once the run has been committed).
    func setStaging(_ path: String?) {
        lock.withLock { staging = path }
    }
}
