import Foundation
import KeyAuditAPI
import KeyAuditCore

/// Every key of the account at one moment, as received, plus where it came from and how completely it was read.
public struct Snapshot: Sendable {
    /// The snapshot.json format this keyaudit writes; files with a higher `schema_version` are refused.
    public static let schemaVersion = 1

    /// A reference to the snapshot this one follows: the chain a reviewer verifies.
    public struct Reference: Sendable, Equatable {
        /// Relative to the output folder when the previous run lives there (`20261125T030000Z/snapshot.json`).
        public var path: String
        /// SHA-256 of that snapshot.json as this run read it, lower-case hex; a later mismatch is a broken chain.
        public var sha256: String
        /// The sha256 that run's SHA256SUMS listed for its other evidence (findings.json, diff.json,
        /// summary.json) as this run read it; empty for a snapshot outside a run folder, and in snapshots written
        /// before it was recorded. The chain then covers every finding and change an earlier run recorded, not only
        /// its snapshot: a findings.json altered later, with SHA256SUMS rewritten to match, no longer matches what
        /// the next run recorded. Reports are left out: `render` may make them again.
        public var evidence: [String: String]
        /// The fingerprint of the key that signed that run's SHA256SUMS, when its signature held as this run read
        /// it (nil: it was not signed, or not checked). A signature deleted, or replaced by another key's, later
        /// breaks the chain even though each folder then looks consistent on its own.
        public var signedBy: String?

        package init(path: String, sha256: String, evidence: [String: String] = [:], signedBy: String? = nil) {
            self.path = path
            self.sha256 = sha256
            self.evidence = evidence
            self.signedBy = signedBy
        }

        /// The files of a run folder whose sums the next run records in ``evidence``.
        package static let evidenceFiles = ["diff.json", "findings.json", "summary.json"]

        /// As snapshot.json holds it; the two newer members only when known, so older readers and older runs'
        /// bytes are unchanged.
        package var json: JSONValue {
            var members: [(String, JSONValue)] = [("path", .string(path)), ("sha256", .string(sha256))]
            if !evidence.isEmpty {
                members.append(
                    (
                        "evidence",
                        .object(JSONObject(evidence.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
                    ))
            }
            if let signedBy { members.append(("signed_by", .string(signedBy))) }
            return .object(JSONObject(members))
        }
    }

    /// A run folder this snapshot's run passed over: one skipped as unusable while looking for the previous run,
    /// or one removed by `--keep` when this run was made. Recorded (in snapshot.json, which the next run's
    /// `previous.sha256` covers) so that a gap in the chain is explained or shown, never silent.
    public struct OmittedRun: Sendable, Equatable {
        /// Its snapshot, relative to the output folder: `20261125T030000Z/snapshot.json`.
        public var path: String
        /// SHA-256 of that snapshot.json when this run looked at it; nil when it was missing or unreadable.
        public var sha256: String?
        /// Why it was skipped; nil for a run removed by `--keep`.
        public var reason: String?

        package init(path: String, sha256: String?, reason: String? = nil) {
            self.path = path
            self.sha256 = sha256
            self.reason = reason
        }

        var json: JSONValue {
            var members: [(String, JSONValue)] = [
                ("path", .string(path)), ("sha256", sha256.map { .string($0) } ?? .null),
            ]
            if let reason { members.append(("reason", .string(reason))) }
            return .object(JSONObject(members))
        }

        init?(json: JSONValue) {
            guard let path = json["path"]?.stringValue else { return nil }
            self.init(path: path, sha256: json["sha256"]?.stringValue, reason: json["reason"]?.stringValue)
        }
    }

    /// When the listing was taken; nil only for raw key files that do not say.
    public var takenAt: Date?
    /// The base URL listed, or `file:<path>`.
    public var source: String
    /// The version of keyaudit that wrote it (`tool.version`); `unknown` for files that do not say.
    public var toolVersion: String
    /// Workspace objects as `GET /workspaces` returned them (only the selected ones with `--workspace`);
    /// empty when it was unavailable.
    public var workspaces: [JSONValue]
    /// How the listing was taken: workspaces, pages, requests, retries, and whether paging held still.
    public var coverage: Coverage
    /// The previous run's snapshot and its sha256 when this one was taken; nil on a first run.
    public var previous: Reference?
    /// Newer run folders than `previous` that could not be used (`skipped` in snapshot.json; absent when none).
    public var skipped: [OmittedRun] = []
    /// Run folders `--keep` removed after this run was committed (`removed_by_retention`; absent when none).
    public var removedByRetention: [OmittedRun] = []
    /// Sorted by ``KeyRecord/identity``.
    public var keys: [KeyRecord]
    /// Secrets found in the workspace objects as received and removed (see ``Redaction``); the keys' own are on
    /// each key (``KeyRecord/redactedSecrets``).
    package var workspaceSecrets: [WorkspaceSecret]

    /// A secret removed from a workspace object: which workspace, where in it and what.
    package struct WorkspaceSecret: Sendable, Equatable {
        /// The workspace's `id` as received (after redaction), or `#<position>` when it has none.
        package var workspace: String
        package var record: Redaction.Record

        package init(workspace: String, record: Redaction.Record) {
            self.workspace = workspace
            self.record = record
        }
    }

    /// A snapshot of `keys` (each redacted when it was made); the workspace objects are redacted here, and what
    /// is found joins `workspaceSecrets` (those of a snapshot read back or passed on).
    package init(
        takenAt: Date?, source: String, toolVersion: String = KeyAuditVersion.current, workspaces: [JSONValue],
        coverage: Coverage, previous: Reference?, keys: [KeyRecord], workspaceSecrets: [WorkspaceSecret] = []
    ) {
        self.takenAt = takenAt
        self.source = source
        self.toolVersion = toolVersion
        var secrets = workspaceSecrets
        self.workspaces = workspaces.enumerated().map { index, workspace in
            let (clean, records) = Redaction.redact(workspace)
            let id = clean["id"]?.stringValue ?? "#\(index)"
            secrets += records.map { WorkspaceSecret(workspace: id, record: $0) }
            return clean
        }
        self.workspaceSecrets = secrets
        self.coverage = coverage
        self.previous = previous
        self.keys = Self.sortedUnique(keys)
    }

    /// Every redaction of the snapshot, keys (in key order) then workspaces: what snapshot.json's `redactions`
    /// lists.
    package var redactions: [StoredRedaction] {
        var all: [StoredRedaction] = []
        for key in keys {
            for record in key.redactedSecrets {
                all.append(StoredRedaction(key: key.identity, workspace: nil, record: record))
            }
        }
        for secret in workspaceSecrets {
            all.append(StoredRedaction(key: nil, workspace: secret.workspace, record: secret.record))
        }
        return all
    }

    /// One entry of snapshot.json's `redactions`: `{"key": hash, "field": "name", "secret": "openrouter-secret"}`
    /// or the same with `"workspace": id`.
    package struct StoredRedaction: Sendable, Equatable {
        package var key: String?
        package var workspace: String?
        package var record: Redaction.Record

        var json: JSONValue {
            var members: [(String, JSONValue)] = []
            if let key { members.append(("key", .string(key))) }
            if let workspace { members.append(("workspace", .string(workspace))) }
            members.append(("field", .string(record.field)))
            members.append(("secret", .string(record.kind.rawValue)))
            return .object(JSONObject(members))
        }

        init(key: String?, workspace: String?, record: Redaction.Record) {
            self.key = key
            self.workspace = workspace
            self.record = record
        }

        /// nil when `value` is not an entry keyaudit writes.
        init?(json value: JSONValue) {
            guard let object = value.objectValue, let field = object["field"]?.stringValue,
                let kind = object["secret"]?.stringValue.flatMap(Redaction.Kind.init(rawValue:))
            else { return nil }
            let key = object["key"]?.stringValue
            let workspace = object["workspace"]?.stringValue
            guard (key == nil) != (workspace == nil) else { return nil }
            self.init(key: key, workspace: workspace, record: Redaction.Record(field: field, kind: kind))
        }
    }

    /// Puts the redactions a stored snapshot lists back on its keys and workspaces (the values themselves were
    /// redacted when it was written, so reading them finds nothing). Every entry is kept, repeats included: an
    /// object with a member name twice has two redactions at the same path, and writing the snapshot again must
    /// give the same bytes. Entries for keys the snapshot does not hold are dropped.
    mutating func restore(_ stored: [StoredRedaction]) {
        for entry in stored {
            if let key = entry.key {
                let index = Self.firstIndex(atOrAfter: key, in: keys, by: \.identity)
                if index < keys.count, keys[index].identity == key { keys[index].redactedSecrets.append(entry.record) }
            } else if let workspace = entry.workspace {
                workspaceSecrets.append(WorkspaceSecret(workspace: workspace, record: entry.record))
            }
        }
    }

    /// Sorted by identity; a key listed twice keeps its last occurrence.
    static func sortedUnique(_ keys: [KeyRecord]) -> [KeyRecord] { sortedUnique(keys, by: \.identity) }

    /// Binary search in items sorted by `identity`: the first position whose identity is not below `identity`.
    ///
    /// Inlinable so that each caller (other modules included) gets a copy specialised for its item type: the
    /// generic version copied a whole item (a ``KeyRecord`` is about 600 bytes of references) per comparison.
    @inlinable
    package static func firstIndex<Item>(atOrAfter identity: String, in items: [Item], by key: (Item) -> String) -> Int
    {
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if key(items[middle]) < identity { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Sorted by `identity`; an identity listed twice keeps its last occurrence. Already sorted and unique
    /// (a stored snapshot read back) costs one pass; otherwise the items are rearranged in place, since a
    /// second array of 100,000 keys would cost 30 MB.
    package static func sortedUnique<Item>(_ items: consuming [Item], by identity: (Item) -> String) -> [Item] {
        var items = items
        // The identities alone (a key is large: comparing through `identity` copied two keys per comparison).
        let identities = items.map(identity)
        if zip(identities, identities.dropFirst()).allSatisfy({ $0 < $1 }) { return items }
        let order = sortedOrder(identities)
        items.permute(into: order)
        var kept = 0
        for index in items.indices {
            if index + 1 < items.count, identities[order[index + 1]] == identities[order[index]] { continue }
            items.swapAt(kept, index)
            kept += 1
        }
        items.removeLast(items.count - kept)
        return items
    }

    /// The positions of `identities` in ascending order (`String`'s), equal ones in input order (so that the
    /// last occurrence is the last of its run).
    ///
    /// Compared by their first eight bytes as one number where that decides (hashes differ there): a `String`
    /// comparison per step was most of the sort. Only where both strings begin with nine ASCII bytes (or are
    /// ASCII and shorter): `String` orders by Unicode scalars after normalisation, which equals byte order on
    /// ASCII, and nothing after an ASCII ninth byte can change the first eight scalars.
    static func sortedOrder(_ identities: [String]) -> [Int] {
        struct Entry {
            var prefix: UInt64
            var exact: Bool
            var index: Int
        }
        var entries: [Entry] = []
        entries.reserveCapacity(identities.count)
        for index in identities.indices {
            var prefix: UInt64 = 0
            var exact = true
            var seen = 0
            for byte in identities[index].utf8.prefix(9) {
                if byte >= 0x80 { exact = false }
                if seen < 8 { prefix |= UInt64(truncatingIfNeeded: byte) &<< UInt64(truncatingIfNeeded: 56 - 8 * seen) }
                seen += 1
            }
            entries.append(Entry(prefix: prefix, exact: exact, index: index))
        }
        identities.withUnsafeBufferPointer { identities in
            entries.sort { a, b in
                if a.exact, b.exact, a.prefix != b.prefix { return a.prefix < b.prefix }
                let (x, y) = (identities[a.index], identities[b.index])
                return x == y ? a.index < b.index : x < y
            }
        }
        return entries.map(\.index)
    }

    /// Drops each key's object as received (see ``KeyRecord/releaseRaw()``): call once the snapshot is written
    /// and the previous one was compared with it.
    package mutating func releaseRawObjects() {
        for index in keys.indices { keys[index].releaseRaw() }
    }

    /// Keys not disabled (a key whose `disabled` cannot be read counts as enabled).
    public var enabledCount: Int { keys.count(where: \.isEnabled) }
    /// Lifetime spend of every key: usage plus BYOK usage.
    public var totalSpend: Double { keys.reduce(0) { $0 + ($1.usage ?? 0) + ($1.byokUsage ?? 0) } }
    /// Keys whose `disabled` is true.
    public var disabledCount: Int { keys.count(where: \.isDisabled) }

    // MARK: - Writing

    /// The snapshot.json bytes: the same snapshot always gives the same bytes. The header is indented,
    /// and each key is one compact line, so the file reads, greps and diffs well at 100,000 keys.
    package func encoded() -> [UInt8] {
        var all: [UInt8] = []
        encode { (chunk: [UInt8]) in all.append(contentsOf: chunk) }
        return all
    }

    /// The same bytes, handed to `emit` in chunks of about 1 MiB (written and hashed as they come, so a
    /// 60 MB snapshot is never held twice).
    package func encode<E: Error>(chunked emit: ([UInt8]) throws(E) -> Void) throws(E) {
        try ChunkedJSONWriter.write(to: emit) { (writer: inout ChunkedJSONWriter<E>) throws(E) in
            writer.text("{\n")
            writer.member("schema_version", .int(Self.schemaVersion))
            writer.member(
                "tool", .object(JSONObject([("name", .string("keyaudit")), ("version", .string(toolVersion))])))
            writer.member("taken_at", takenAt.map { .string(Timestamp.format($0)) } ?? .null)
            writer.member("source", .string(source))
            writer.member("workspaces", .array(workspaces))
            writer.member("coverage", coverage.json)
            // Only when something was redacted: a clean snapshot's bytes are unchanged.
            let redactions = self.redactions
            if !redactions.isEmpty { writer.member("redactions", .array(redactions.map(\.json))) }
            writer.member("previous", previous?.json ?? .null)
            // Written only when there is something to say, so that a run without them reads as before; readers
            // that do not know these members ignore them (the schema stays version 1).
            if !skipped.isEmpty { writer.member("skipped", .array(skipped.map(\.json))) }
            if !removedByRetention.isEmpty {
                writer.member("removed_by_retention", .array(removedByRetention.map(\.json)))
            }
            try writer.lineArray("keys", count: keys.count) { index, writer in
                precondition(!keys[index].rawReleased, "a snapshot is written before its keys' objects are released")
                keys[index].withRawBytes { writer.bytes($0) }
            }
        }
    }

    // MARK: - Reading

    /// Reads a keyaudit snapshot.json, a raw `GET /keys` body (`{"data": [...]}`), an object with a `keys`
    /// array, or a bare JSON array of key objects.
    ///
    /// - Parameter origin: the path, for messages.
    package static func decode(
        _ bytes: [UInt8], origin: String, scanKeys: Bool = true, threads: Int? = nil,
        batchSize: Int = KeyListReader<KeyRecord>.defaultBatchSize
    ) throws(KeyAuditError)
        -> Snapshot
    {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(KeyAuditError) -> Snapshot in
                try decode(
                    buffer, origin: origin, progress: nil, scanKeys: scanKeys, threads: threads, batchSize: batchSize)
            }
        }
        return try result.get()
    }

    ///
    /// - Parameter scanKeys: false reads every key as a tree (what the scanner must agree with; tests).
    /// - Parameter threads, batchSize: see ``read(_:origin:progress:keepObjects:scanKeys:threads:batchSize:restart:transform:key:)``.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, origin: String, progress: ((Int) -> Void)?, scanKeys: Bool = true,
        threads: Int? = nil, batchSize: Int = KeyListReader<KeyRecord>.defaultBatchSize
    ) throws(KeyAuditError) -> Snapshot {
        let (header, keys) = try readKeys(
            bytes, origin: origin, progress: progress, scanKeys: scanKeys, threads: threads, batchSize: batchSize)
        return Snapshot(header: header, keys: keys)
    }

    /// The header and every key in file order: ``decode(_:origin:progress:scanKeys:threads:batchSize:)`` before
    /// the keys are sorted.
    private static func readKeys(
        _ bytes: UnsafeRawBufferPointer, origin: String, progress: ((Int) -> Void)?, scanKeys: Bool = true,
        threads: Int? = nil, batchSize: Int = KeyListReader<KeyRecord>.defaultBatchSize
    ) throws(KeyAuditError) -> (header: Header, keys: [KeyRecord]) {
        var keys: [KeyRecord] = []
        let header = try read(
            bytes, origin: origin, progress: progress, scanKeys: scanKeys, threads: threads, batchSize: batchSize,
            restart: { keys.removeAll() }, transform: { record, _ in record }, key: { keys.append($0) })
        return (header, keys)
    }

    /// A snapshot of `keys` (sorted here) as `header` describes it.
    private init(header: Header, keys: consuming [KeyRecord]) {
        var snapshot = Snapshot(
            takenAt: header.takenAt, source: header.source, toolVersion: header.toolVersion,
            workspaces: header.workspaces, coverage: header.coverage, previous: header.previous, keys: keys)
        snapshot.skipped = header.skipped
        snapshot.removedByRetention = header.removedByRetention
        snapshot.restore(header.redactions)
        self = snapshot
    }

    /// What a snapshot file says besides its keys.
    package struct Header {
        /// `taken_at`; nil when absent or unreadable (raw key lists have none).
        public var takenAt: Date?
        /// `source`, or `file:<path>` when the file does not say.
        public var source: String
        /// `tool.version`, or `unknown` when the file does not say.
        public var toolVersion: String
        /// `workspaces`, or empty when the file does not say.
        public var workspaces: [JSONValue]
        /// `coverage`, or a coverage in `file` mode for a raw key list.
        public var coverage: Coverage
        /// `previous`; nil when absent or incomplete.
        public var previous: Reference?
        /// `skipped`; empty when absent.
        public var skipped: [OmittedRun] = []
        /// `removed_by_retention`; empty when absent.
        public var removedByRetention: [OmittedRun] = []
        /// `redactions`: what was redacted when the snapshot was taken; empty when absent.
        package var redactions: [StoredRedaction] = []
    }

    /// Reads a snapshot document, handing each key to `key` as it is parsed (in file order, not sorted),
    /// so that the whole document is never held as one tree. `progress` gets the offset read so far.
    ///
    /// A document with both `keys` and `data` uses `keys`, as the stored snapshot format has it: when `keys`
    /// follows `data`, `restart` is called and the keys handed over so far are to be forgotten.
    ///
    /// Each key is read straight from its bytes (``KeyObjectScanner``), without a tree; the rare key that holds
    /// an escape, a line separator or anything ``Redaction`` removes is parsed into a tree, redacted and read
    /// from that, as every key used to be. Both give the same record for the same object.
    ///
    /// A large file is read on two threads (``KeyListReader``): `transform` turns each record into what the
    /// caller keeps, on whichever thread read it; `key` gets the results on the calling thread, in file order.
    ///
    /// - Parameter keepObjects: true when the keys are kept (their objects go to a store, one per thread reading);
    ///   false when each is looked at and dropped (`transform` gets the object's configuration members as
    ///   compact JSON alongside, see ``KeyRecord/configuration(of:)``, and the record keeps no object).
    /// - Parameter scanKeys: false reads every key as a tree (tests compare the two).
    /// - Parameter threads: how many threads read keys (1 or 2); nil chooses by the file's size and the cores.
    /// - Parameter batchSize: keys per batch handed between threads (tests make it small).
    package static func read<Item: Sendable>(
        _ bytes: UnsafeRawBufferPointer, origin: String, progress: ((Int) -> Void)?, keepObjects: Bool = true,
        scanKeys: Bool = true, threads: Int? = nil, batchSize: Int = KeyListReader<Item>.defaultBatchSize,
        restart: () -> Void, transform: @escaping @Sendable (KeyRecord, [UInt8]) -> Item,
        key: (consuming Item) -> Void
    ) throws(KeyAuditError) -> Header {
        typealias Reader = KeyListReader<Item>
        let twoThreads =
            threads.map { $0 > 1 }
            ?? (bytes.count >= Reader.twoThreadsFrom && ProcessInfo.processInfo.activeProcessorCount > 1)
        func worker() -> Reader.Worker {
            Reader.Worker(
                bytes: Unchecked(bytes), store: keepObjects ? RawKeyStore() : nil, scanKeys: scanKeys,
                transform: transform)
        }
        let queue = Reader.Queue()
        var mine = worker()
        let second: BackgroundJob<KeyAuditError>?
        if twoThreads {
            let theirs = worker()
            second = BackgroundJob { [queue] () throws(KeyAuditError) in
                var worker = theirs
                while let batch = queue.take(waiting: true) { queue.finish(batch.sequence, worker.read(batch)) }
            }
        } else {
            second = nil
        }
        // However this ends, the second thread is done with the file before it is unmapped.
        defer {
            queue.close()
            _ = second?.wait()
        }

        var submitted: [Reader.Submitted] = []
        var handedBack = 0
        var badItem: String?
        var member: String?
        var index = 0
        var batch: [Range<Int>] = []
        var batchFirstIndex = 0
        var batchRestartsList = false
        var furthest = 0

        /// Hands back, in order, the batches read so far; with `waiting`, all of them.
        func handBack(waiting: Bool) {
            while handedBack < submitted.count,
                var outcomes = queue.outcomes(of: handedBack, waiting: waiting)
            {
                let batch = submitted[handedBack]
                handedBack += 1
                if batch.restartsList {
                    restart()
                    badItem = nil
                }
                if badItem == nil {
                    // Moved out, not copied: a copy of a record read on the other thread would retain and
                    // release its store, which that thread is retaining for each record it makes.
                    outcomes.reverse()
                    var offset = 0
                    while let outcome = outcomes.popLast() {
                        defer { offset += 1 }
                        switch consume outcome {
                        case .key(let item):
                            key(item)
                        case .notAnObject(let first):
                            badItem =
                                "\(origin): item \(batch.firstIndex + offset) of the key list is a JSON \(Self.kindName(startingWith: first)), not a key object; the file is corrupt"
                        }
                        if badItem != nil { break }
                    }
                }
                if batch.end > 0 { progress?(batch.end) }
            }
        }
        func submit() {
            guard !batch.isEmpty || batchRestartsList else { return }
            submitted.append(
                Reader.Submitted(
                    firstIndex: batchFirstIndex, restartsList: batchRestartsList, end: batch.last?.upperBound ?? 0))
            queue.submit(Reader.Batch(sequence: submitted.count - 1, ranges: batch))
            batch.removeAll(keepingCapacity: true)
            batchFirstIndex = index
            batchRestartsList = false
            // Alone, read every batch at once; with a second thread, read one whenever it falls behind.
            while queue.backlog > (second == nil ? 0 : Reader.maximumBacklog), let next = queue.take(waiting: false) {
                queue.finish(next.sequence, mine.read(next))
            }
            // And wait for it when it is stuck on one batch (descheduled, or a batch of large objects) while this
            // thread read on: the batches read but not handed back keep their pages of the file and their records.
            handBack(waiting: submitted.count - handedBack > Reader.maximumUnreturned)
        }

        let document: JSONValue
        do {
            document = try JSONParser.parse(
                bytes,
                streamingElementRanges: { name, range in
                    furthest = range.upperBound
                    if member != name {
                        // `data` after `keys` is ignored; a later `keys` array replaces `data` items (a bad one too).
                        if member == "keys" { return }
                        submit()
                        batchRestartsList = member == "data"
                        member = name
                        index = 0
                        batchFirstIndex = 0
                    }
                    batch.append(range)
                    index += 1
                    if batch.count >= batchSize { submit() }
                })
        } catch {
            throw .malformedData(
                "\(origin) is not valid JSON (\(error)); point at a snapshot.json or a GET /keys response")
        }
        // An empty `keys` array after a `data` one hands over no element, but replaces `data` all the same.
        submit()
        if member == "data", document["keys"]?.arrayValue != nil {
            batchRestartsList = true
            submit()
        }
        while let next = queue.take(waiting: false) {
            queue.finish(next.sequence, mine.read(next))
            handBack(waiting: false)
        }
        handBack(waiting: true)
        progress?(furthest)
        var header: JSONObject?
        switch document {
        case .array:
            break
        case .object(let object):
            if let version = object["schema_version"] {
                guard let number = version.doubleValue.flatMap(Checked.int(exactly:)), number >= 1 else {
                    throw .malformedData(
                        "\(origin) has schema_version \(Escaping.oneLine(version.description, limit: 40)), which is not a version number; it is not a keyaudit snapshot"
                    )
                }
                guard number <= schemaVersion else {
                    throw .malformedData(
                        "\(origin) has schema_version \(number), newer than this keyaudit understands (\(schemaVersion)); upgrade keyaudit"
                    )
                }
            }
            if object["keys"]?.arrayValue != nil {
                header = object
            } else if object["data"]?.arrayValue == nil {
                throw .malformedData(
                    "\(origin) has neither a \"keys\" nor a \"data\" array; it is not a snapshot or a GET /keys response"
                )
            }
        default:
            throw .malformedData(
                "\(origin) holds a JSON \(document.kindName), not a snapshot; expected an object or an array of keys")
        }
        if let badItem { throw .malformedData(badItem) }
        var previous: Reference?
        if let object = header?["previous"]?.objectValue, let path = object["path"]?.stringValue,
            let sha = object["sha256"]?.stringValue
        {
            var evidence: [String: String] = [:]
            if let listed = object["evidence"]?.objectValue {
                for (name, value) in zip(listed.keys, listed.values) { evidence[name] = value.stringValue ?? "" }
            }
            previous = Reference(
                path: path, sha256: sha, evidence: evidence, signedBy: object["signed_by"]?.stringValue)
        }
        var redactions: [StoredRedaction] = []
        if let listed = header?["redactions"] {
            guard let items = listed.arrayValue else {
                throw .malformedData("\(origin): \"redactions\" is not a list; the file is corrupt")
            }
            for item in items {
                guard let entry = StoredRedaction(json: item) else {
                    throw .malformedData("\(origin): an entry of \"redactions\" cannot be read; the file is corrupt")
                }
                redactions.append(entry)
            }
        }
        let coverage: Coverage
        if let header {
            coverage = try Coverage(json: header["coverage"], origin: origin)
        } else {
            coverage = Coverage(mode: .file)
        }
        return Header(
            takenAt: header?["taken_at"]?.stringValue.flatMap(Timestamp.date),
            source: header?["source"]?.stringValue ?? "file:\(origin)",
            toolVersion: header?["tool"]?["version"]?.stringValue ?? "unknown",
            workspaces: header?["workspaces"]?.arrayValue ?? [],
            coverage: coverage, previous: previous,
            skipped: (header?["skipped"]?.arrayValue ?? []).compactMap(OmittedRun.init(json:)),
            removedByRetention: (header?["removed_by_retention"]?.arrayValue ?? []).compactMap(OmittedRun.init(json:)),
            redactions: redactions)
    }

    /// The snapshot file to read for `path`: the file itself, or the snapshot.json inside a run folder.
    /// (Only a `stat`: whether it is a regular file is checked on the descriptor when it is opened.)
    package static func file(at path: String) throws(KeyAuditError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .malformedData(
                "\(Escaping.oneLine(path)) cannot be read (\(String(cString: strerror(errno)))); give a snapshot.json or a run folder"
            )
        }
        return (info.st_mode & S_IFMT) == S_IFDIR ? (path as NSString).appendingPathComponent("snapshot.json") : path
    }

    /// Maps a snapshot file, checksums it and reads it with `body`, giving back its pages as they are parsed.
    /// The file is opened without blocking: a FIFO, device or socket is refused at once (65), never waited on.
    package static func withMappedFile<T>(
        at path: String, _ body: (MappedFile) throws(KeyAuditError) -> T
    ) throws(KeyAuditError) -> (value: T, sha256: String, path: String) {
        try withMappedFile(at: path, body, finishing: { $0 })
    }

    /// ``withMappedFile(at:_:)``, then `finishing` with what `body` returned, on this thread while the file is
    /// hashed on another: `finishing` is where the keys are sorted (about a tenth of a second at 100,000 keys,
    /// as long as the hash), and it must not touch the file.
    package static func withMappedFile<T, U>(
        at path: String, _ body: (MappedFile) throws(KeyAuditError) -> T, finishing: (consuming T) -> U
    ) throws(KeyAuditError) -> (value: U, sha256: String, path: String) {
        let file = try file(at: path)
        let mapped = try MappedFile(path: file, what: "snapshot", kind: .data)
        // Parsed first, hashed after: a file that is not a snapshot (20 GB of zeros) fails at its first byte
        // instead of after a pass over all of it.
        let value = try body(mapped)
        let hash = HashOfFile()
        // The file is the other thread's alone until it is waited for (`body` is done with it, `finishing` never
        // sees it), and stays mapped until then: `mapped` lives to the end of this function.
        let input = Unchecked(mapped)
        let hashing = BackgroundJob<Never> { hash.sha256 = input.value.sha256Hex() }
        let finished = finishing(value)
        _ = hashing.wait()
        return (finished, hash.sha256, file)
    }

    /// The hash a background thread computes, read after waiting for it.
    private final class HashOfFile: @unchecked Sendable {
        // @unchecked: written by the hashing thread before it signals, read only after waiting.
        var sha256 = ""
    }

    /// What a snapshot file says besides its keys, and its sha256: the keys are parsed (so a damaged file is
    /// found) but not kept.
    package static func header(fileAt path: String) throws(KeyAuditError) -> (header: Header, sha256: String) {
        let (header, sha, _) = try withMappedFile(at: path) { mapped throws(KeyAuditError) in
            try read(
                mapped.bytes, origin: mapped.path, progress: mapped.release(below:), keepObjects: false, restart: {},
                transform: { _, _ in () }, key: { _ in })
        }
        return (header, sha)
    }

    /// Reads a snapshot file, or the snapshot.json inside a run folder.
    package static func load(path: String) throws(KeyAuditError) -> (snapshot: Snapshot, sha256: String, path: String) {
        let file = try file(at: path)
        let (snapshot, sha, _) = try withMappedFile(
            at: file,
            { mapped throws(KeyAuditError) in
                try readKeys(mapped.bytes, origin: file, progress: { mapped.release(below: $0) })
            }, finishing: { Snapshot(header: $0.header, keys: $0.keys) })
        return (snapshot, sha, file)
    }
}

extension Snapshot {
    /// "object", "array", … for the JSON value whose text starts with `byte` (valid JSON), for messages.
    static func kindName(startingWith byte: UInt8?) -> String {
        switch byte {
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "array"
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "number"
        }
    }
}

extension JSONValue {
    /// "object", "array", … for messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
