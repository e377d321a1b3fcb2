import Foundation
import KeyAuditCore

/// `rerenders.json` in a run folder: every `keyaudit render` of it, so that a SHA256SUMS rewritten by a re-render
/// says so, and what it replaced, instead of quietly vouching for whatever the folder held.
///
/// Each entry records when, by which keyaudit, the reports replaced (sha256 before and after), and, for a render
/// forced over a folder that failed verification, every file that did not match SHA256SUMS and was left as it
/// was (`accepted`). The file is listed in SHA256SUMS, which the run's signature (if any) covers. `keyaudit
/// verify` prints each entry, and fails a run whose forced re-render accepted a file it did not replace: a
/// re-render can repair a report, never launder evidence.
struct RenderRecord: Sendable {
    static let fileName = "rerenders.json"
    static let schemaVersion = 1
    static let readLimit = 4 << 20
    /// `signature_before` of a render over a signature that did not match SHA256SUMS.
    static let invalidSignature = "invalid"

    /// A file that changed, or did not match: its sha256 before (nil: absent) and after (or as found).
    struct FileChange: Sendable, Equatable {
        var file: String
        var before: String?
        var after: String?
    }

    struct Entry: Sendable {
        var renderedAt: Date
        var version: String
        var forced: Bool
        /// Why the folder failed verification before a forced render; nil when it passed.
        var verificationFailure: String?
        /// Reports written again: sha256 before and after.
        var replaced: [FileChange]
        /// Files that did not match SHA256SUMS and were kept as found (forced renders only): listed sha256
        /// (nil: not listed) and found (nil: missing).
        var accepted: [FileChange]
        /// SHA-256 of SHA256SUMS before the render.
        var sumsBefore: String?
        /// The key that had signed the run before (`SHA256:…`), or `invalid`; nil when it was not signed.
        var signatureBefore: String?
        /// The key that signed the re-rendered SHA256SUMS; nil when it was not signed again.
        var signedBy: String?
    }

    var entries: [Entry] = []

    /// Reads the record in `folder`; an absent file is an empty record, an unreadable one nil.
    static func read(in folder: Folder) -> RenderRecord? {
        guard folder.kind(of: fileName) != nil else { return RenderRecord() }
        guard let bytes = folder.read(fileName, limit: readLimit), let document = try? JSONParser.parse(bytes),
            let items = document["renders"]?.arrayValue
        else { return nil }
        func changes(_ value: JSONValue?, _ before: String, _ after: String) -> [FileChange] {
            (value?.arrayValue ?? []).compactMap { item in
                item["file"]?.stringValue.map {
                    FileChange(file: $0, before: item[before]?.stringValue, after: item[after]?.stringValue)
                }
            }
        }
        return RenderRecord(
            entries: items.map { item in
                Entry(
                    renderedAt: item["rendered_at"]?.stringValue.flatMap(Timestamp.date)
                        ?? Date(timeIntervalSince1970: 0),
                    version: item["keyaudit_version"]?.stringValue ?? "unknown",
                    forced: item["forced"]?.boolValue ?? false,
                    verificationFailure: item["verification_failure"]?.stringValue,
                    replaced: changes(item["replaced"], "sha256_before", "sha256_after"),
                    accepted: changes(item["accepted"], "sha256_listed", "sha256_found"),
                    sumsBefore: item["sha256sums_before"]?.stringValue,
                    signatureBefore: item["signature_before"]?.stringValue,
                    signedBy: item["signed_by"]?.stringValue)
            })
    }

    var encoded: [UInt8] {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        func changes(_ list: [FileChange], _ before: String, _ after: String) -> JSONValue {
            .array(
                list.map {
                    .object(
                        JSONObject([
                            ("file", .string($0.file)), (before, optional($0.before)), (after, optional($0.after)),
                        ]))
                })
        }
        let renders: [JSONValue] = entries.map { entry in
            .object(
                JSONObject([
                    ("rendered_at", .string(Timestamp.format(entry.renderedAt))),
                    ("keyaudit_version", .string(entry.version)), ("forced", .bool(entry.forced)),
                    ("verification_failure", optional(entry.verificationFailure)),
                    ("replaced", changes(entry.replaced, "sha256_before", "sha256_after")),
                    ("accepted", changes(entry.accepted, "sha256_listed", "sha256_found")),
                    ("sha256sums_before", optional(entry.sumsBefore)),
                    ("signature_before", optional(entry.signatureBefore)), ("signed_by", optional(entry.signedBy)),
                ]))
        }
        let document = JSONValue.object(
            JSONObject([("schema_version", .int(Self.schemaVersion)), ("renders", .array(renders))]))
        return Array((JSONWriter.string(document, style: .pretty(indent: 2, level: 0)) + "\n").utf8)
    }
}

extension RenderRecord.Entry {
    /// One line for `verify`: what the re-render did.
    var summary: String {
        var text =
            "re-rendered at \(Timestamp.format(renderedAt)) by keyaudit \(version)\(forced ? " with --force" : "")"
        if !replaced.isEmpty { text += "; replaced \(replaced.map(\.file).joined(separator: ", "))" }
        if let signatureBefore, signedBy == nil {
            text += "; its signature (\(signatureBefore)) was removed, not renewed"
        } else if let signedBy {
            text += "; signed again by \(signedBy)"
        }
        return text
    }
}
