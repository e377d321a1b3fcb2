import Dispatch
import Foundation

/// Turns SIGHUP, SIGINT, SIGQUIT and SIGTERM into a clean stop: the staging folder of the run in progress is
/// removed, `latest` and earlier runs are left alone, and the process exits 129, 130, 131 or 143. (SIGHUP comes
/// when the terminal or the ssh session that started a run goes away; SIGQUIT is Ctrl-\, which would otherwise
/// end the run with the runtime's backtrace and leave its staging folder behind.)
///
/// The handler runs on a dispatch queue, not in signal context, so removing files there is safe.
package final class SignalTrap: @unchecked Sendable {
    // @unchecked: `staging` is guarded by `lock`; the sources are set once in install().
    private let lock = NSLock()
    private var staging: RunFolder?
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "keyaudit.signals")

    package init() {}

    /// A signal received while ``deferring`` is on; the job stops at its next safe point.
    private var pending: Int32?
    private var deferring = false

    /// From now on, a first signal is only noted (see ``pendingSignal``) instead of ending the process: for
    /// `apply`, which finishes the change in progress and writes down what it changed before it exits. A second
    /// signal still ends the process at once.
    package func deferSignals() { lock.withLock { deferring = true } }

    /// The signal received while deferring, if any.
    package var pendingSignal: Int32? { lock.withLock { pending } }

    package func install(onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        for signalNumber in [SIGHUP, SIGINT, SIGQUIT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [self] in
                let noted: Bool = lock.withLock {
                    guard deferring, pending == nil else { return false }
                    pending = signalNumber
                    return true
                }
                if noted { return }
                if lock.withLock({ deferring }), let journal = lock.withLock({ journal }),
                    journal.staging.kind(of: ApplyJournal.fileName) == .file
                {
                    // The journal is the only record of the changes already made: it stays, and says what.
                    FileHandle.standardError.write(
                        Data(
                            "keyaudit: error: interrupted again by signal \(signalNumber): the changes made so far are listed in \(journal.stagingPath)/\(ApplyJournal.fileName) (the one in progress may have been made too); keep it as evidence and apply the plan again to see where each key stands\n"
                                .utf8))
                    onSignal(signalNumber)
                    exit(128 + signalNumber)
                }
                if lock.withLock({ deferring }) {
                    FileHandle.standardError.write(
                        Data(
                            "keyaudit: error: interrupted again by signal \(signalNumber): the change in progress may have been made and is not recorded; apply the plan again to see where each key stands\n"
                                .utf8))
                }
                // Removed by name through the output folder's descriptor; files the run still creates meanwhile are
                // removed on the next pass, and once the folder is gone nothing more can be created in it.
                lock.withLock { staging }?.discard()
                onSignal(signalNumber)
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The run folder to discard if a signal arrives now (nil once the run has been committed).
    func setStaging(_ folder: RunFolder?) {
        lock.withLock { staging = folder }
    }

    /// An apply's staging folder, which keeps its journal when a second signal ends the apply.
    private var journal: RunFolder?

    func setJournal(_ folder: RunFolder?) {
        lock.withLock { journal = folder }
    }
}
