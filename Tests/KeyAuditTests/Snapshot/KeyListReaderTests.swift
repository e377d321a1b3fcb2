import Foundation
import Testing

@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditSampleAccount
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// A large snapshot is read on two threads (`KeyListReader`): whatever thread reads a batch and however the
/// batches are cut, the records, their order, the file's bytes written back, the errors and the previous
/// snapshot's condensed keys must be what one thread gives.
@Suite("Snapshot: a key list read on two threads")
struct KeyListReaderTests {
    /// 2026-11-26T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_694_400)

    /// `count` generated keys, with every few one the scanner leaves to the tree reader (an escape, a secret,
    /// a line separator) and a key listed twice.
    static func objects(_ count: Int, seed: UInt64 = 5) -> [String] {
        let options = AccountGenerator.Options(
            count: count, workspaces: ["ws-a", "ws-b"], disabled: count / 10, seed: seed,
            now: now.timeIntervalSince1970)
        var objects = AccountGenerator.lines(options)
        for index in stride(from: 3, to: objects.count, by: 97) {
            objects[index] = objects[index].replacingOccurrences(of: "\"name\":\"", with: "\"name\":\"\\u0041")
        }
        for index in stride(from: 11, to: objects.count, by: 389) {
            objects[index] = objects[index].replacingOccurrences(
                of: "\"name\":\"", with: "\"name\":\"\(KeyScanningTests.secret) ")
        }
        for index in stride(from: 17, to: objects.count, by: 401) {
            objects[index] = objects[index].replacingOccurrences(of: "\"name\":\"", with: "\"name\":\"a\u{2028}")
        }
        if objects.count > 40 {
            objects.append(objects[40].replacingOccurrences(of: "\"usage\":", with: "\"usage\":7,\"u\":"))
        }
        return objects
    }

    static func document(_ objects: [String]) -> [UInt8] {
        Array("{\"schema_version\":1,\"keys\":[\n\(objects.joined(separator: ",\n"))\n]}".utf8)
    }

    static func decode(_ bytes: [UInt8], threads: Int, batchSize: Int) -> Result<Snapshot, KeyAuditError> {
        Result { () throws(KeyAuditError) -> Snapshot in
            try Snapshot.decode(bytes, origin: "t.json", threads: threads, batchSize: batchSize)
        }
    }

    /// Each way of reading `bytes` on two threads, and one thread with the usual batches.
    static let ways = [(2, 1), (2, 7), (2, 64), (2, 512), (1, 7)]

    @Test("two threads give the keys, order, redactions and bytes of one")
    func sameSnapshot() throws {
        let bytes = Self.document(Self.objects(3_000))
        let alone = try Snapshot.decode(bytes, origin: "t.json", threads: 1)
        #expect(alone.keys.count == 3_000)
        #expect(!alone.redactions.isEmpty)
        let written = alone.encoded()
        for (threads, batchSize) in Self.ways {
            let shared = try Self.decode(bytes, threads: threads, batchSize: batchSize).get()
            #expect(shared.keys.map(\.identity) == alone.keys.map(\.identity))
            for (a, b) in zip(shared.keys, alone.keys) where !a.differences(from: b).isEmpty {
                Issue.record(
                    "\(threads) threads, batches of \(batchSize): \(a.identity) differs: \(a.differences(from: b))")
                break
            }
            #expect(shared.redactions == alone.redactions)
            #expect(shared.encoded() == written, "\(threads) threads, batches of \(batchSize)")
        }
    }

    @Test("file order shows: of a key listed twice, the later copy is kept, on any thread")
    func laterCopyKept() throws {
        var objects = Self.objects(200)
        let last = objects.count - 1  // the copy of key 40 with another usage, appended by `objects`
        let listedLast = try Snapshot.decode(Self.document(objects), origin: "t.json", threads: 2, batchSize: 7)
        objects.swapAt(40, last)
        let listedFirst = try Snapshot.decode(Self.document(objects), origin: "t.json", threads: 2, batchSize: 7)
        let identity = listedLast.keys.first { $0.usage == 7 }?.identity
        #expect(identity != nil)
        #expect(listedFirst.keys.first { $0.identity == identity }?.usage != 7)
        #expect(listedFirst.encoded() != listedLast.encoded())
    }

    @Test("a bad item is named by its place, a later keys list replaces data, on any thread")
    func failuresAndRestarts() throws {
        let objects = Self.objects(1_500)
        let withNumber = objects.enumerated().map { $0.offset == 1_234 ? "12" : $0.element }
        let documents: [(String, [UInt8])] = [
            ("a number at 1,234", Self.document(withNumber)),
            // `data` with a bad item, then `keys`: keys wins, the bad item does not count.
            (
                "data, then keys",
                Array(
                    "{\"data\":[\(withNumber.joined(separator: ","))],\"keys\":[\(objects.prefix(900).joined(separator: ","))]}"
                        .utf8)
            ),
            // `keys` first: a later `data` is ignored, bad item and all.
            (
                "keys, then data",
                Array(
                    "{\"keys\":[\(objects.prefix(700).joined(separator: ","))],\"data\":[\(withNumber.joined(separator: ","))]}"
                        .utf8)
            ),
            // An empty `keys` after `data` replaces it all the same.
            ("data, then empty keys", Array("{\"data\":[\(objects.joined(separator: ","))],\"keys\":[]}".utf8)),
            ("empty keys, then data", Array("{\"keys\":[],\"data\":[\(objects.joined(separator: ","))]}".utf8)),
            (
                "a bare array with a string at 1,234",
                Array(
                    "[\(objects.enumerated().map { $0.offset == 1_234 ? "\"s\"" : $0.element }.joined(separator: ","))]"
                        .utf8)
            ),
            // Malformed after many keys: the parse fails while the second thread reads.
            ("broken at the end", Array(String(decoding: Self.document(objects), as: UTF8.self).dropLast(3).utf8)),
        ]
        for (what, bytes) in documents {
            func outcome(_ result: Result<Snapshot, KeyAuditError>) -> String {
                switch result {
                case .success(let snapshot): "\(snapshot.keys.count) keys, \(snapshot.keys.map(\.identity).hashValue)"
                case .failure(let error): "\(error.exitCode): \(error)"
                }
            }
            let alone = outcome(Self.decode(bytes, threads: 1, batchSize: 512))
            for (threads, batchSize) in Self.ways {
                #expect(outcome(Self.decode(bytes, threads: threads, batchSize: batchSize)) == alone, "\(what)")
            }
            switch what {
            case "a number at 1,234": #expect(alone.contains("item 1234 of the key list is a JSON number"))
            case "a bare array with a string at 1,234":
                #expect(alone.contains("item 1234 of the key list is a JSON string"))
            case "data, then keys": #expect(alone.hasPrefix("900 keys"))
            case "keys, then data": #expect(alone.hasPrefix("700 keys"))
            case "data, then empty keys": #expect(alone.hasPrefix("0 keys"))
            case "empty keys, then data": #expect(alone.hasPrefix("0 keys"))
            default: #expect(alone.contains("is not valid JSON"))
            }
        }
    }

    @Test("a previous snapshot read on two threads, against the current one, condenses as on one")
    func samePrevious() throws {
        let folder = TemporaryFolder()
        let previousObjects = Self.objects(2_500, seed: 5)
        // The current snapshot: most keys the same, some reconfigured, some gone, some new.
        var currentObjects = Array(previousObjects.prefix(2_200))
        for index in stride(from: 0, to: currentObjects.count, by: 13) {
            currentObjects[index] = currentObjects[index].replacingOccurrences(
                of: "\"name\":\"", with: "\"name\":\"renamed ")
        }
        currentObjects += Self.objects(300, seed: 9)
        let current = try Snapshot.decode(Self.document(currentObjects), origin: "current.json")
        let header = "{\"schema_version\":1,\"taken_at\":\"2026-11-25T12:00:00Z\",\"keys\":["
        let path = folder.url("previous.json")
        try Data((header + previousObjects.joined(separator: ",") + "]}").utf8).write(to: URL(fileURLWithPath: path))
        func condensed(threads: Int, batchSize: Int, against: Snapshot?) throws -> [String] {
            let (previous, _, _) = try PreviousSnapshot.load(
                path: path, policy: Policy(), now: Self.now, against: against, threads: threads, batchSize: batchSize)
            return previous.keys.map { "\($0)" }
        }
        for against in [current, nil] {
            let alone = try condensed(threads: 1, batchSize: 512, against: against)
            #expect(alone.count == 2_500)
            if against != nil {
                #expect(alone.contains { $0.contains("changes: Optional([") && !$0.contains("changes: Optional([])") })
            }
            for (threads, batchSize) in Self.ways {
                #expect(try condensed(threads: threads, batchSize: batchSize, against: against) == alone)
            }
        }
    }
}
