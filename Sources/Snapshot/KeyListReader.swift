import Foundation
import KeyAuditCore

/// Reads the objects of a snapshot's key list into records on up to two threads, handing them back in file order.
///
/// The parser validates the document on the calling thread and hands over each key's byte range; ranges go out
/// in batches. A second thread (for a large file, on a machine with more than one core) reads batches as they
/// come; the calling thread reads one itself whenever more than ``maximumBacklog`` wait, so that the two share
/// the work and only a few batches of the mapped file are in flight. Whatever thread read a batch, its results
/// are handed to the caller's `key` on the calling thread, batch after batch, in file order: the caller's state
/// (and the order of its keys) is the same as with one thread.
///
/// Why a second thread: at 100,000 keys, reading the objects into records (the scanner, the typed fields, the
/// SHA-256 of the configuration, and for a previous snapshot the rules) is about three quarters of decoding, and
/// the parser's validation pass the rest. The run cannot start its workbook before both snapshots are read.
package struct KeyListReader<Item: Sendable> {
    /// One batch of a key list's elements, by position in the document.
    struct Batch: Sendable {
        var sequence: Int
        var ranges: [Range<Int>]
    }

    /// What the calling thread knows of each batch it submitted.
    struct Submitted {
        /// The position of its first element in its member's array.
        var firstIndex: Int
        /// `keys` follows `data` here: what was handed over before is forgotten.
        var restartsList: Bool
        /// Where its last element ends.
        var end: Int
    }

    /// What became of one element.
    enum Outcome: Sendable {
        case key(Item)
        /// Not an object: the first byte of its text (for the message).
        case notAnObject(UInt8?)
    }

    /// Turns the elements of a batch into outcomes; one per thread (each has its scanner and its store).
    struct Worker: Sendable {
        // The mapped file outlives every worker: ``KeyListReader/read(_:)`` joins the second thread before it
        // returns or throws.
        let bytes: Unchecked<UnsafeRawBufferPointer>
        let store: RawKeyStore?
        let scanKeys: Bool
        let transform: @Sendable (KeyRecord, [UInt8]) -> Item
        var scanner = KeyObjectScanner()

        mutating func read(_ batch: Batch) -> [Outcome] {
            var outcomes: [Outcome] = []
            outcomes.reserveCapacity(batch.ranges.count)
            for range in batch.ranges {
                let item = UnsafeRawBufferPointer(rebasing: bytes.value[range])
                if scanKeys, scanner.read(item) {
                    outcomes.append(.key(transform(KeyRecord(scanned: scanner, store: store), scanner.configuration)))
                    continue
                }
                // Checked by the parser already: parsing it alone cannot fail.
                guard case .object(let object)? = try? JSONParser.parse(item) else {
                    outcomes.append(.notAnObject(item.first))
                    continue
                }
                // Redacted before anything sees it.
                let (clean, secrets) = Redaction.redact(object)
                let configuration = KeyRecord.configuration(of: clean)
                outcomes.append(
                    .key(
                        transform(
                            KeyRecord(redacted: clean, secrets: secrets, configuration: configuration, store: store),
                            configuration)))
            }
            return outcomes
        }
    }

    /// Batches waiting to be read, and batches read but not yet handed back.
    final class Queue: @unchecked Sendable {
        // @unchecked: every property is read and written under `condition` only.
        private let condition = NSCondition()
        private var waiting: [Batch] = []
        private var next = 0
        private var read: [Int: [Outcome]] = [:]
        private var closed = false

        /// Batches submitted and not yet taken.
        var backlog: Int {
            condition.lock()
            defer { condition.unlock() }
            return waiting.count - next
        }

        func submit(_ batch: Batch) {
            condition.lock()
            waiting.append(batch)
            condition.broadcast()
            condition.unlock()
        }

        /// The oldest batch not yet taken; with `waiting`, blocks for one until the queue is closed.
        func take(waiting block: Bool) -> Batch? {
            condition.lock()
            defer { condition.unlock() }
            while block, next == waiting.count, !closed { condition.wait() }
            guard next < waiting.count else { return nil }
            let batch = waiting[next]
            waiting[next].ranges = []
            next += 1
            if next == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                next = 0
            }
            return batch
        }

        func finish(_ sequence: Int, _ outcomes: [Outcome]) {
            condition.lock()
            read[sequence] = outcomes
            condition.broadcast()
            condition.unlock()
        }

        /// The outcomes of batch `sequence` once read; with `waiting`, blocks until they are.
        func outcomes(of sequence: Int, waiting block: Bool) -> [Outcome]? {
            condition.lock()
            defer { condition.unlock() }
            while block, read[sequence] == nil { condition.wait() }
            return read.removeValue(forKey: sequence)
        }

        /// No more batches: the second thread ends once it has none. Batches not yet taken are dropped (a failed
        /// parse).
        func close() {
            condition.lock()
            closed = true
            waiting.removeAll()
            next = 0
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Keys per batch: about 330 KB of a keyaudit snapshot.
    package static var defaultBatchSize: Int { 512 }
    /// Batches allowed to wait before the calling thread reads one itself.
    static var maximumBacklog: Int { 2 }
    /// Batches allowed to be submitted and not yet handed back before the calling thread waits for the oldest.
    static var maximumUnreturned: Int { 8 }
    /// Files from this size are read on two threads (when there are two cores): below it a thread is not worth
    /// starting.
    static var twoThreadsFrom: Int { 1 << 20 }
}
