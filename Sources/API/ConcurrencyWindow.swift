import Foundation

/// How many requests of one listing may be in flight, adapted to the server's rate limit (AIMD).
///
/// The window starts at the ceiling (`--concurrency`), so an API without a rate limit is listed exactly as fast as
/// with a fixed concurrency. A 429 halves it (once per window: answers to requests sent before the last halving
/// do not halve again) and stops every sender until the `Retry-After` has passed; after a run of successes the
/// window grows by one, never past the ceiling. The run is ``successesBeforeProbe(window:)``: twice the window and
/// at least 32, much slower probing than TCP's one step per round trip, because the server's token bucket hides
/// an overshoot until it runs dry and every probe that finds the limit costs a 429: at most one 429 per 32
/// answers keeps them under 5 % of the requests, where a fixed concurrency meets them on a steady share.
///
/// A lock and continuations rather than an actor: a waiter must be removable synchronously when its task is
/// cancelled (a sibling page failed), or the task group would never finish.
package final class ConcurrencyWindow: @unchecked Sendable {
    /// What became of one request that held a slot.
    package enum Outcome: Sendable {
        /// Any answer that is not a rate limit (2xx, or an error that is not the server pacing us).
        case answered
        /// 429: slow down, and let nobody send before `retryAfter` has passed.
        case throttled(retryAfter: Duration)
        /// No answer (a timeout or a reset): says nothing about the rate.
        case failed
    }

    /// A held slot, returned to ``release(_:_:)``.
    package struct Slot: Sendable {
        fileprivate let generation: Int
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var window: Int
        var inFlight = 0
        var successes = 0
        /// Increments on each halving; a 429 to a request sent in an earlier generation does not halve again.
        var generation = 0
        var pausedUntil: ContinuousClock.Instant?
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        var throttled = 0
        var smallest: Int
    }

    /// The most requests ever in flight (`--concurrency`).
    package let ceiling: Int
    private let lock = NSLock()
    private var state: State

    package init(ceiling: Int) {
        self.ceiling = max(1, ceiling)
        self.state = State(window: max(1, ceiling), smallest: max(1, ceiling))
    }

    /// The current window.
    package var window: Int { lock.withLock { state.window } }
    /// 429s reported so far.
    package var throttled: Int { lock.withLock { state.throttled } }
    /// The smallest the window has been.
    package var smallestWindow: Int { lock.withLock { state.smallest } }

    /// Answers in a row (no 429 among them) before the window grows by one.
    package static func successesBeforeProbe(window: Int) -> Int { max(2 * window, 32) }

    /// Waits for a free slot and for any `Retry-After` pause to end; nil when the task was cancelled meanwhile.
    package func acquire() async -> Slot? {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            enum Step {
                case take(Slot)
                case sleep(ContinuousClock.Instant)
                case wait
            }
            let step: Step = lock.withLock {
                if let until = state.pausedUntil {
                    if until > now { return .sleep(until) }
                    state.pausedUntil = nil
                }
                guard state.inFlight < state.window else { return .wait }
                state.inFlight += 1
                return .take(Slot(generation: state.generation))
            }
            switch step {
            case .take(let slot):
                return slot
            case .sleep(let until):
                do { try await Task.sleep(until: until, clock: .continuous) } catch { return nil }
            case .wait:
                await waitForRelease()
            }
        }
        return nil
    }

    /// Gives the slot back and adapts the window to what the request met.
    package func release(_ slot: Slot, _ outcome: Outcome) {
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            state.inFlight -= 1
            switch outcome {
            case .answered:
                state.successes += 1
                if state.successes >= Self.successesBeforeProbe(window: state.window) && state.window < ceiling {
                    state.window += 1
                    state.successes = 0
                }
            case .throttled(let retryAfter):
                state.throttled += 1
                state.successes = 0
                let until = ContinuousClock.now + retryAfter
                state.pausedUntil = max(state.pausedUntil ?? until, until)
                if slot.generation == state.generation {
                    state.window = max(1, state.window / 2)
                    state.smallest = min(state.smallest, state.window)
                    state.generation += 1
                }
            case .failed:
                break
            }
            // Waiters re-check for themselves (the pause, a slot taken meanwhile); wake as many as there is room for.
            let room = max(0, state.window - state.inFlight)
            let count = min(room, state.waiters.count)
            let woken = state.waiters.prefix(count).map(\.continuation)
            state.waiters.removeFirst(count)
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    private func waitForRelease() async {
        let id: UInt64 = lock.withLock {
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    // Cancelled before the continuation was registered, or room appeared meanwhile.
                    if Task.isCancelled || state.inFlight < state.window { return true }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            continuation?.resume()
        }
    }
}
