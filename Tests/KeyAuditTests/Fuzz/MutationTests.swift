import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditFuzzing

/// The test suite's short fuzzing pass: seeded mutations of the corpus in Fuzz/corpus/ through each fuzz target
/// (the same checks `make fuzz` runs under libFuzzer for as long as asked). Bounded: a few thousand inputs a
/// target, a few seconds at most, the same inputs on every run.
@Suite("Fuzzing: a short seeded pass", .serialized)
struct MutationTests {
    /// Runs `work` on a thread of its own: a few seconds of parsing on Swift's cooperative pool (two threads on a
    /// two-core machine) would starve every other test's networking and timers meanwhile.
    static func offThePool<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static func describe(_ input: [UInt8]) -> String {
        let text = String(decoding: input.prefix(400), as: UTF8.self)
        return text.debugDescription + (input.count > 400 ? " (\(input.count) bytes)" : "")
    }

    @Test("every fuzz target holds on its corpus and on seeded mutations of it", arguments: FuzzTarget.allCases)
    func seededPass(target: FuzzTarget) async {
        let corpus = target.corpus(root: Self.root)
        #expect(!corpus.isEmpty, "Fuzz/corpus/\(target.rawValue) is empty")
        // KEYAUDIT_MUTATIONS=N and KEYAUDIT_MUTATION_SEED=S run a longer or another pass by hand.
        let environment = ProcessInfo.processInfo.environment
        let iterations =
            environment["KEYAUDIT_MUTATIONS"].flatMap { Int($0) } ?? (target == .snapshot ? 2_000 : 5_000)
        let seed = environment["KEYAUDIT_MUTATION_SEED"].flatMap { UInt64($0) } ?? 0x6B65_7961_7564_6974
        let limit: Duration = environment["KEYAUDIT_MUTATIONS"] == nil ? .seconds(6) : .seconds(3_600)
        let run = MutationRun(target: target, seed: seed, iterations: iterations, timeLimit: limit)
        let (failures, ran) = await Self.offThePool { run.run(corpus: corpus) }
        for (input, problem) in failures {
            Issue.record("\(problem)\n  input: \(Self.describe(input))")
        }
        #expect(ran >= min(iterations, 200), "only \(ran) inputs in the time limit")
    }

    @Test("the checks can fail: known differences and broken properties are reported")
    func checksCanFail() {
        // A broken property in each target's own terms, built by hand.
        #expect(FuzzTarget.oneLine("two\nlines") != nil)
        #expect(JSONOracle.check(Array("[1,2]".utf8)) == nil)
        #expect(JSONOracle.check(Array("[1,2".utf8)) == nil)  // both refuse
        #expect(TimestampOracle.check(Array("2026-02-29T00:00:00Z".utf8)) == nil)  // both refuse
        #expect(TimestampOracle.check(Array("2024-02-29T00:00:00Z".utf8)) == nil)  // both read it
        #expect(TimestampOracle.reference("2024-02-29T00:00:00Z") == 1_709_164_800)
        #expect(TimestampOracle.reference("1969-12-31T23:59:59.5Z") == -0.5)
        #expect(TimestampOracle.reference("2026-01-15T12:00:00Z\n") == nil)
        // The JSON comparison itself: a value difference is found.
        #expect(JSONOracle.plain(.number(JSONNumber(1))) != JSONOracle.plain(NSNumber(value: 2))!)
        #expect(JSONOracle.plain(.string("é")) != JSONOracle.plain("e\u{301}")!)
    }

    @Test("the mutator is deterministic and stays within its limit")
    func mutatorIsDeterministic() {
        var first = Mutator(seed: 7, corpus: [Array("{\"a\": 1}".utf8)], dictionary: ["null"])
        var second = Mutator(seed: 7, corpus: [Array("{\"a\": 1}".utf8)], dictionary: ["null"])
        for _ in 0..<200 {
            let input = first.next(limit: 64)
            #expect(input == second.next(limit: 64))
            #expect(input.count <= 64)
        }
    }
}
