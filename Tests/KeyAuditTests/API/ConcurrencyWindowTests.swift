import Testing

@testable import KeyAuditAPI

/// The adaptive window on its own: counts of slots, no timing (a zero Retry-After pauses nobody).
@Suite("Concurrency window (AIMD)", .timeLimit(.minutes(1)))
struct ConcurrencyWindowTests {
    @Test("starts at the ceiling: without 429s it is a fixed concurrency")
    func startsAtCeiling() async throws {
        let window = ConcurrencyWindow(ceiling: 4)
        var slots: [ConcurrencyWindow.Slot] = []
        for _ in 0..<4 { slots.append(try #require(await window.acquire())) }
        #expect(window.window == 4)
        for slot in slots { window.release(slot, .answered) }
        #expect(window.window == 4)  // never above the ceiling
        #expect(ConcurrencyWindow(ceiling: 0).ceiling == 1)
    }

    @Test("a 429 halves the window once for the requests already in flight, then successes grow it by one")
    func halvesThenProbes() async throws {
        let window = ConcurrencyWindow(ceiling: 8)
        var slots: [ConcurrencyWindow.Slot] = []
        for _ in 0..<8 { slots.append(try #require(await window.acquire())) }
        window.release(slots.removeFirst(), .throttled(retryAfter: .zero))
        #expect(window.window == 4)
        // Sent before the halving: their 429s say nothing new.
        for slot in slots.prefix(3) { window.release(slot, .throttled(retryAfter: .zero)) }
        #expect(window.window == 4)
        for slot in slots.dropFirst(3) { window.release(slot, .failed) }
        #expect(window.throttled == 4)

        // A 429 to a request sent after the halving halves again, down to 1 and no lower.
        for expected in [2, 1, 1] {
            let slot = try #require(await window.acquire())
            window.release(slot, .throttled(retryAfter: .zero))
            #expect(window.window == expected)
        }
        #expect(window.smallestWindow == 1)

        // Then a run of successes adds one: 32 (at least; twice the window when that is more), and the run starts
        // again after each step.
        #expect(ConcurrencyWindow.successesBeforeProbe(window: 1) == 32)
        #expect(ConcurrencyWindow.successesBeforeProbe(window: 20) == 40)
        for _ in 0..<31 { window.release(try #require(await window.acquire()), .answered) }
        #expect(window.window == 1)
        window.release(try #require(await window.acquire()), .answered)
        #expect(window.window == 2)
        for _ in 0..<31 { window.release(try #require(await window.acquire()), .answered) }
        #expect(window.window == 2)
        window.release(try #require(await window.acquire()), .answered)
        #expect(window.window == 3)
        // A 429 breaks the run.
        for _ in 0..<31 { window.release(try #require(await window.acquire()), .answered) }
        window.release(try #require(await window.acquire()), .throttled(retryAfter: .zero))
        #expect(window.window == 1)
        window.release(try #require(await window.acquire()), .answered)
        #expect(window.window == 1)
        // A timeout or reset neither grows nor shrinks it.
        window.release(try #require(await window.acquire()), .failed)
        #expect(window.window == 1)
    }

    @Test("a sender waits for a slot, and gets it when one is released")
    func waitsForSlot() async throws {
        let window = ConcurrencyWindow(ceiling: 1)
        let held = try #require(await window.acquire())
        let waiting = Task { await window.acquire() != nil }
        window.release(held, .answered)
        #expect(await waiting.value)
    }

    @Test("a sender waiting for a slot stops when its task is cancelled (no hang)")
    func cancelledWaiter() async throws {
        let window = ConcurrencyWindow(ceiling: 1)
        let held = try #require(await window.acquire())
        let waiting = Task { await window.acquire() }
        waiting.cancel()
        #expect(await waiting.value == nil)
        window.release(held, .answered)
        #expect(await window.acquire() != nil)
    }
}
