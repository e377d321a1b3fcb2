import Foundation
import KeyAuditSampleAccount

/// Seeded mutations over a corpus, for a fuzzing pass without libFuzzer (the test suite's short pass).
///
/// Each input is a corpus entry changed a few times: bytes flipped, inserted, removed, repeated, a token of the
/// target's dictionary inserted, or a piece of another entry spliced in. The same seed gives the same inputs.
package struct Mutator {
    private var random: SplitMix64
    private let corpus: [[UInt8]]
    private let dictionary: [[UInt8]]

    package init(seed: UInt64, corpus: [[UInt8]], dictionary: [String]) {
        self.random = SplitMix64(state: seed)
        self.corpus = corpus.isEmpty ? [[]] : corpus
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    /// The next input: a corpus entry with one to eight mutations, at most `limit` bytes.
    package mutating func next(limit: Int = 1 << 16) -> [UInt8] {
        var bytes = corpus[random.below(corpus.count)]
        for _ in 0..<(1 + random.below(8)) { mutate(&bytes) }
        if bytes.count > limit { bytes.removeLast(bytes.count - limit) }
        return bytes
    }

    private mutating func position(in bytes: [UInt8]) -> Int { bytes.isEmpty ? 0 : random.below(bytes.count + 1) }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        switch random.below(8) {
        case 0 where !bytes.isEmpty:
            let index = random.below(bytes.count)
            bytes[index] ^= UInt8(truncatingIfNeeded: 1 << random.below(8))
        case 1:
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position(in: bytes))
        case 2 where !bytes.isEmpty:
            let start = random.below(bytes.count)
            let length = min(bytes.count - start, 1 + random.below(16))
            bytes.removeSubrange(start..<(start + length))
        case 3 where !bytes.isEmpty:
            let start = random.below(bytes.count)
            let length = min(bytes.count - start, 1 + random.below(32))
            let piece = Array(bytes[start..<(start + length)])
            bytes.insert(contentsOf: piece, at: position(in: bytes))
        case 4...5 where !dictionary.isEmpty:
            bytes.insert(contentsOf: dictionary[random.below(dictionary.count)], at: position(in: bytes))
        case 6:
            let other = corpus[random.below(corpus.count)]
            guard !other.isEmpty else { return }
            let start = random.below(other.count)
            let length = min(other.count - start, 1 + random.below(64))
            bytes.insert(contentsOf: other[start..<(start + length)], at: position(in: bytes))
        default:
            // A byte replaced by one that matters to parsers.
            guard !bytes.isEmpty else { return }
            let special: [UInt8] = [0x00, 0x0A, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x80, 0xC0, 0xFF, 0x30]
            bytes[random.below(bytes.count)] = special[random.below(special.count)]
        }
    }
}

/// A bounded fuzzing pass: `iterations` mutated inputs of a target, stopping early after `timeLimit`.
package struct MutationRun: Sendable {
    package var target: FuzzTarget
    package var seed: UInt64
    package var iterations: Int
    package var timeLimit: Duration

    package init(target: FuzzTarget, seed: UInt64, iterations: Int, timeLimit: Duration) {
        self.target = target
        self.seed = seed
        self.iterations = iterations
        self.timeLimit = timeLimit
    }

    /// The failures (input, what broke), at most `maximumFailures`, and how many inputs ran.
    package func run(corpus: [[UInt8]], maximumFailures: Int = 5) -> (failures: [([UInt8], String)], ran: Int) {
        var mutator = Mutator(seed: seed, corpus: corpus, dictionary: target.dictionary)
        var failures: [([UInt8], String)] = []
        let started = ContinuousClock.now
        var ran = 0
        // The seeds themselves first, then mutations.
        let inputs = corpus.makeIterator()
        var seeds = inputs
        while ran < iterations, ContinuousClock.now - started < timeLimit, failures.count < maximumFailures {
            let input = seeds.next() ?? mutator.next()
            if let problem = target.check(input) { failures.append((input, problem)) }
            ran += 1
        }
        return (failures, ran)
    }
}
