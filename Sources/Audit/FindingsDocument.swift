import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// findings.json: the audit as data, for tools and for the next run's first_seen/status.
package enum FindingsDocument {
    package static let schemaVersion = 1
    package static let fileName = "findings.json"

    /// The summary counts, shared by findings.json, the reports and the metrics.
    package struct Summary: Sendable {
        package var keys: Int
        package var enabled: Int
        package var disabled: Int
        /// Unsuppressed findings.
        package var findings: Int
        package var suppressed: Int
        /// Unsuppressed findings by rule id, every rule listed (0 included), in catalog order.
        package var byRule: [(String, Int)]
        /// Unsuppressed findings by severity, most severe first.
        package var bySeverity: [(Severity, Int)]

        package init(snapshot: Snapshot, audit: AuditResult) {
            keys = snapshot.keys.count
            enabled = snapshot.enabledCount
            disabled = snapshot.disabledCount
            var rules: [String: Int] = [:]
            var severities: [Severity: Int] = [:]
            var counted = 0
            for index in audit.findings.indices where !audit.findings[index].suppressed {
                counted += 1
                rules[audit.findings[index].rule, default: 0] += 1
                severities[audit.findings[index].severity, default: 0] += 1
            }
            findings = counted
            suppressed = audit.findings.count - counted
            byRule = RuleCatalog.all.map { ($0.id, rules[$0.id] ?? 0) }
            bySeverity = Severity.descending.map { ($0, severities[$0] ?? 0) }
        }
    }

    package static func encode(
        audit: AuditResult, snapshot: Snapshot, snapshotReference: Snapshot.Reference, generatedAt: Date
    ) -> [UInt8] {
        var all: [UInt8] = []
        encode(audit: audit, snapshot: snapshot, snapshotReference: snapshotReference, generatedAt: generatedAt) {
            (chunk: [UInt8]) in all.append(contentsOf: chunk)
        }
        return all
    }

    /// The same bytes in chunks of about 1 MiB (findings.json is 150 MB at 100,000 keys).
    package static func encode<E: Error>(
        audit: AuditResult, snapshot: Snapshot, snapshotReference: Snapshot.Reference, generatedAt: Date,
        diagnostics: [Diagnostic] = [], chunked emit: ([UInt8]) throws(E) -> Void
    ) throws(E) {
        let summary = Summary(snapshot: snapshot, audit: audit)
        try ChunkedJSONWriter.write(to: emit) { (writer: inout ChunkedJSONWriter<E>) throws(E) in
            writer.text("{\n")
            writer.member("schema_version", .int(schemaVersion))
            writer.member("generated_at", .string(Timestamp.format(generatedAt)))
            writer.member(
                "snapshot",
                .object(
                    JSONObject([
                        ("path", .string(snapshotReference.path)), ("sha256", .string(snapshotReference.sha256)),
                    ])))
            writer.member("policy", policyJSON(audit.policy))
            writer.member(
                "summary",
                .object(
                    JSONObject([
                        ("keys", .int(summary.keys)), ("enabled", .int(summary.enabled)),
                        ("disabled", .int(summary.disabled)), ("findings", .int(summary.findings)),
                        ("suppressed", .int(summary.suppressed)),
                        ("by_rule", .object(JSONObject(summary.byRule.map { ($0.0, .int($0.1)) }))),
                        ("by_severity", .object(JSONObject(summary.bySeverity.map { ($0.0.rawValue, .int($0.1)) }))),
                    ])))
            writer.member("suppressions", .array(audit.suppressions.map(suppressionStatusJSON)))
            // Present when the run recovered from something (an unreadable previous run, a partial listing);
            // absent otherwise, so that a clean run's file is unchanged.
            if !diagnostics.isEmpty { writer.member("diagnostics", .array(diagnostics.map(\.json))) }
            // Most findings share one first_seen (this run's, or the previous run's): formatted once.
            var lastSeen = (date: Date.distantPast, text: Timestamp.format(Date.distantPast))
            try writer.lineArray("findings", count: audit.findings.count) { index, writer in
                let finding = audit.findings[index]
                if finding.firstSeen != lastSeen.date {
                    lastSeen = (finding.firstSeen, Timestamp.format(finding.firstSeen))
                }
                write(finding, firstSeen: lastSeen.text, to: &writer)
            }
        }
    }

    /// `finding` as ``findingJSON(_:firstSeen:)`` is written compact, byte for byte (PolicyTests'
    /// `findingWrittenWithoutTree` compares them), without building the tree: at 170,000 findings the trees and
    /// their strings cost about a second of the run's CPU time. Every value passes redaction; the member names
    /// are fixed text and do not.
    static func write<E: Error>(_ finding: Finding, firstSeen: String, to writer: inout ChunkedJSONWriter<E>) {
        let (message, evidence) = finding.text
        let keyHash = finding.keyHash
        func optional(_ value: String?, _ writer: inout ChunkedJSONWriter<E>) {
            if let value { writer.string(value) } else { writer.text("null" as StaticString) }
        }
        writer.text(#"{"id":"# as StaticString)
        writer.string(finding.id)
        writer.text(#","rule":"# as StaticString)
        writer.string(finding.rule)
        writer.text(#","severity":"# as StaticString)
        writer.string(finding.severity.rawValue)
        writer.text(#","key_hash":"# as StaticString)
        optional(keyHash, &writer)
        writer.text(#","key_name":"# as StaticString)
        optional(finding.keyName, &writer)
        writer.text(#","workspace_id":"# as StaticString)
        optional(finding.workspaceId, &writer)
        writer.text(#","title":"# as StaticString)
        writer.string(finding.title)
        writer.text(#","message":"# as StaticString)
        writer.string(message)
        writer.text(#","evidence":"# as StaticString)
        writer.value(.object(evidence), style: .compact)
        writer.text(#","remediation":"# as StaticString)
        writer.string(finding.remediation)
        let suppression = finding.suppression
        writer.text(suppression == nil ? #","suppressed":false"# as StaticString : #","suppressed":true"#)
        writer.text(#","suppression":"# as StaticString)
        if let suppression {
            writer.value(suppressionJSON(suppression), style: .compact)
        } else {
            writer.text("null" as StaticString)
        }
        writer.text(#","first_seen":"# as StaticString)
        writer.string(firstSeen)
        writer.text(#","status":"# as StaticString)
        writer.string(finding.status.rawValue)
        writer.text("}" as StaticString)
    }

    static func findingJSON(_ finding: Finding, firstSeen: String? = nil) -> JSONValue {
        let (message, evidence) = finding.text
        return .object(
            JSONObject([
                ("id", .string(finding.id)), ("rule", .string(finding.rule)),
                ("severity", .string(finding.severity.rawValue)),
                ("key_hash", finding.keyHash.map { .string($0) } ?? .null),
                ("key_name", finding.keyName.map { .string($0) } ?? .null),
                ("workspace_id", finding.workspaceId.map { .string($0) } ?? .null),
                ("title", .string(finding.title)), ("message", .string(message)),
                ("evidence", .object(evidence)), ("remediation", .string(finding.remediation)),
                ("suppressed", .bool(finding.suppressed)),
                ("suppression", finding.suppression.map(suppressionJSON) ?? .null),
                ("first_seen", .string(firstSeen ?? Timestamp.format(finding.firstSeen))),
                ("status", .string(finding.status.rawValue)),
            ]))
    }

    static func suppressionJSON(_ suppression: Suppression) -> JSONValue {
        .object(
            JSONObject([
                ("key", .string(suppression.key)), ("rule", .string(suppression.rule)),
                ("reason", .string(suppression.reason)), ("owner", .string(suppression.owner)),
                ("ticket", suppression.ticket.map { .string($0) } ?? .null),
                ("expires", .string(suppression.expires)), ("location", .string(suppression.location)),
            ]))
    }

    static func suppressionStatusJSON(_ status: SuppressionStatus) -> JSONValue {
        guard case .object(var object) = suppressionJSON(status.suppression) else { return .null }
        object["state"] = .string(status.state.rawValue)
        object["matched"] = .int(status.matched)
        return .object(object)
    }

    package static func policyJSON(_ policy: Policy) -> JSONValue {
        let thresholds = policy.thresholds
        return .object(
            JSONObject([
                ("source", .string(policy.source)),
                (
                    "thresholds",
                    .object(
                        JSONObject([
                            ("stale_after_days", .int(thresholds.staleAfterDays)),
                            ("expiring_within_days", .int(thresholds.expiringWithinDays)),
                            ("unused_after_days", .int(thresholds.unusedAfterDays)),
                            ("limit_remaining_share", .double(thresholds.limitRemainingShare)),
                            ("suppression_warning_days", .int(thresholds.suppressionWarningDays)),
                            ("rotation_grace_days", .int(thresholds.rotationGraceDays)),
                        ]))
                ),
                (
                    "rules",
                    .object(
                        JSONObject(
                            RuleCatalog.all.map { rule in
                                let setting = policy.setting(for: rule.id)
                                return (
                                    rule.id,
                                    .object(
                                        JSONObject([
                                            ("enabled", .bool(setting.enabled)),
                                            ("severity", .string((setting.severity ?? rule.defaultSeverity).rawValue)),
                                            ("severity_overridden", .bool(setting.severity != nil)),
                                        ]))
                                )
                            }))
                ),
                ("suppressions", .int(policy.suppressions.count)),
            ]))
    }

    /// Finding id → first_seen (and the ids) of a findings.json; nil when unreadable (the caller recomputes).
    package static func firstSeen(fileAt path: String) -> [String: Date]? {
        // Mapped, and given back as it is read: at 100,000 keys the file is 150 MB.
        guard let mapped = MappedFile(path: path) else { return nil }
        return firstSeenByLine(mapped.bytes, release: mapped.release(below:)) ?? firstSeenByParsing(mapped.bytes)
    }

    /// The most a findings.json checked against its run's SHA256SUMS may hold (about 50 times the file of a
    /// 100,000-key account): a larger one, or a sparse one claiming terabytes, is not read to the end.
    package static let verifiedReadLimit = 8 << 30
    /// The longest line of such a file (a finding is a few kilobytes).
    static let verifiedLineLimit = 16 << 20

    /// ``firstSeen(fileAt:)`` of the open regular file `descriptor`, in this tool's layout only (one finding per
    /// line), and the sha256 of exactly the bytes parsed: each chunk is read once into memory, hashed and parsed
    /// there, so what is checked against SHA256SUMS is what is used. nil: not in that layout, a line over
    /// ``verifiedLineLimit``, more than ``verifiedReadLimit`` bytes, or a read error (nothing is hashed past
    /// the point where reading stopped).
    package static func firstSeenAndHash(descriptor: Int32) -> (firstSeen: [String: Date], sha256: String)? {
        var stream = Checksum.Stream()
        var lines = FirstSeenLines()
        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            total += count
            guard total <= verifiedReadLimit else { return nil }
            let ok = chunk.withUnsafeBytes { raw -> Bool in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                stream.update(bytes)
                var start = 0
                while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    if carry.isEmpty {
                        guard lines.consume(UnsafeRawBufferPointer(rebasing: bytes[start..<newline])) else {
                            return false
                        }
                    } else {
                        carry.append(contentsOf: bytes[start..<newline])
                        let whole = carry.withUnsafeBytes { lines.consume($0) }
                        carry.removeAll(keepingCapacity: true)
                        guard whole else { return false }
                    }
                    start = newline + 1
                }
                carry.append(contentsOf: bytes[start...])
                return carry.count <= verifiedLineLimit
            }
            guard ok else { return nil }
        }
        if !carry.isEmpty {
            guard carry.withUnsafeBytes({ lines.consume($0) }) else { return nil }
        }
        guard let firstSeen = lines.finish() else { return nil }
        return (firstSeen, stream.finalize())
    }

    /// The lines of a findings.json in this tool's layout, one at a time: the header is indented and each finding
    /// is one compact line.
    struct FirstSeenLines {
        private static let versionPrefix = Array("  \"schema_version\": ".utf8)
        private static let findingPrefix = Array("    {\"id\":".utf8)
        private var result: [String: Date] = [:]
        private var sawVersion = false

        /// False: not in that layout (stop reading).
        mutating func consume(_ line: UnsafeRawBufferPointer) -> Bool {
            if !sawVersion, line.starts(with: Self.versionPrefix) {
                let digits = line.dropFirst(Self.versionPrefix.count).prefix { $0 >= 48 && $0 <= 57 }
                guard let version = Int(String(decoding: digits, as: UTF8.self)),
                    version <= FindingsDocument.schemaVersion
                else {
                    return false
                }
                sawVersion = true
                return true
            }
            guard sawVersion, line.starts(with: Self.findingPrefix) else { return true }
            var object = line.dropFirst(4)
            if object.last == UInt8(ascii: ",") { object = object.dropLast() }
            guard let finding = try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: object)),
                let id = finding["id"]?.stringValue
            else {
                return false
            }
            result[id] =
                finding["first_seen"]?.stringValue.flatMap(Timestamp.date) ?? Date(timeIntervalSince1970: 0)
            return true
        }

        /// first_seen by id; nil when the file never said its schema version.
        func finish() -> [String: Date]? { sawVersion ? result : nil }
    }

    /// The usual case, a findings.json this tool wrote: the header is indented and each finding is one
    /// compact line, so each line is parsed on its own. A 150 MB file (100,000 keys) parsed whole would
    /// hold about 600 MB; line by line it holds one finding at a time. nil: not in that layout.
    static func firstSeenByLine(
        _ bytes: UnsafeRawBufferPointer, release: (Int) -> Void = { _ in }
    ) -> [String: Date]? {
        var lines = FirstSeenLines()
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            guard lines.consume(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else { return nil }
            start = end + 1
            release(start)
        }
        return lines.finish()
    }

    static func firstSeenByLine(_ bytes: [UInt8]) -> [String: Date]? {
        bytes.withUnsafeBytes { firstSeenByLine($0) }
    }

    static func firstSeenByParsing(_ bytes: UnsafeRawBufferPointer) -> [String: Date]? {
        guard let document = try? JSONParser.parse(bytes) else { return nil }
        return firstSeen(in: document)
    }

    static func firstSeenByParsing(_ bytes: [UInt8]) -> [String: Date]? {
        guard let document = try? JSONParser.parse(bytes) else { return nil }
        return firstSeen(in: document)
    }

    private static func firstSeen(in document: JSONValue) -> [String: Date]? {
        guard let version = document["schema_version"]?.doubleValue.flatMap(Checked.int(exactly:)),
            (1...schemaVersion).contains(version), let findings = document["findings"]?.arrayValue
        else { return nil }
        var result: [String: Date] = [:]
        for finding in findings {
            guard let id = finding["id"]?.stringValue else { continue }
            result[id] = finding["first_seen"]?.stringValue.flatMap(Timestamp.date) ?? Date(timeIntervalSince1970: 0)
        }
        return result
    }
}
