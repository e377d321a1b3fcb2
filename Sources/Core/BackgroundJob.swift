import Foundation

/// Work on a thread of its own, joined with ``wait()``: the workbook and its second sheet thread, and the second
/// reader of a large snapshot. 8 MiB of stack, not a secondary thread's small default.
package final class BackgroundJob<Failure: Error>: @unchecked Sendable {
    // @unchecked: `failure` is written by the thread before `done` is signalled and read only after waiting on
    // it; `waited` is used by the thread that started the job only.
    private let done = DispatchSemaphore(value: 0)
    private var failure: Failure?
    private var waited = false

    /// Starts `work`; `whenDone` runs after it, however it ended.
    package init(whenDone: @escaping @Sendable () -> Void = {}, _ work: @escaping @Sendable () throws(Failure) -> Void)
    {
        let thread = Thread { [self] in
            do throws(Failure) { try work() } catch { failure = error }
            whenDone()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the work has ended (at once when it already was waited for); its error, if any.
    package func wait() -> Failure? {
        if !waited {
            done.wait()
            waited = true
        }
        return failure
    }
}

/// A value handed to another thread that the type system cannot see is safe to share: see each use.
package struct Unchecked<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
