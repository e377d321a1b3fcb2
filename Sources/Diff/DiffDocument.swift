import Foundation
import KeyAuditCore

/// diff.json and the plain-text summary `keyaudit diff` prints.
extension SnapshotDiff {
    /// Spenders listed in reports and in `spend.top`.
    public static let topSpenders = 10

    /// The complete diff.json bytes (pretty-printed) in one array; `encode(chunked:)` streams the same bytes.
    public func encoded() -> [UInt8] {
        var all: [UInt8] = []
        encode { (chunk: [UInt8]) in all.append(contentsOf: chunk) }
        return all
    }

    /// The bytes of ``json`` written pretty, handed out in chunks of about 1 MiB, with the long lists
    /// (keys added, removed, changed, spend per key, finding ids) built one element at a time: at 100,000
    /// keys the whole tree is about 50 MB, for a 15 MB file.
    package func encode<E: Error>(chunked emit: ([UInt8]) throws(E) -> Void) throws(E) {
        try ChunkedJSONWriter.write(to: emit) { (writer: inout ChunkedJSONWriter<E>) throws(E) in
            try writer.pretty(streamed)
        }
    }

    /// ``json``, with its long lists left lazy.
    var streamed: LazyJSON {
        let parts = parts
        return .object([
            ("schema_version", .value(.int(Self.schemaVersion))),
            ("from", .value(parts.endpoint(from))),
            ("to", .value(parts.endpoint(to))),
            ("added", .array(added.count) { parts.ref(added[$0]) }),
            ("removed", .array(removed.count) { parts.ref(removed[$0]) }),
            ("changed", .array(changed.count) { parts.change(changed[$0]) }),
            (
                "spend",
                .object([
                    ("elapsed_seconds", .value(spend.elapsedSeconds.map { .double($0) } ?? .null)),
                    ("usage_growth", .value(.money(spend.usageGrowth))),
                    ("byok_usage_growth", .value(.money(spend.byokGrowth))),
                    ("total_growth", .value(.money(spend.total))),
                    ("top", .value(.array(spend.top(Self.topSpenders).map(parts.spend)))),
                    ("keys", .array(spend.keys.count) { parts.spend(spend.keys[$0]) }),
                ])
            ),
            (
                "findings",
                .object([
                    ("new", .array(findings.new.count) { .string(findings.new[$0]) }),
                    ("resolved", .array(findings.resolved.count) { .string(findings.resolved[$0]) }),
                    ("persisting", .array(findings.persisting.count) { .string(findings.persisting[$0]) }),
                ])
            ),
        ])
    }

    /// The pieces of diff.json, one element at a time.
    private var parts: Parts { Parts() }

    private struct Parts {
        func endpoint(_ endpoint: Endpoint) -> JSONValue {
            .object(
                JSONObject([
                    ("path", .string(endpoint.path)), ("taken_at", .seconds(endpoint.takenAt?.timeIntervalSince1970)),
                    ("sha256", .string(endpoint.sha256)),
                ]))
        }

        func ref(_ key: KeyRef) -> JSONValue {
            .object(
                JSONObject([
                    ("hash", .string(key.hash)), ("name", key.name.map { .string($0) } ?? .null),
                    ("workspace_id", key.workspaceId.map { .string($0) } ?? .null),
                ]))
        }

        func spend(_ spend: KeySpend) -> JSONValue {
            .object(
                JSONObject([
                    ("hash", .string(spend.hash)), ("name", spend.name.map { .string($0) } ?? .null),
                    ("usage_from", .money(spend.usageFrom)), ("usage_to", .money(spend.usageTo)),
                    ("byok_usage_from", .money(spend.byokFrom)), ("byok_usage_to", .money(spend.byokTo)),
                    ("growth", .money(spend.growth)), ("counter_went_down", .bool(spend.counterWentDown)),
                ]))
        }

        func change(_ change: KeyChange) -> JSONValue {
            .object(
                JSONObject([
                    ("hash", .string(change.hash)), ("name", change.name.map { .string($0) } ?? .null),
                    (
                        "changes",
                        .object(
                            JSONObject(
                                change.changes.map { field in
                                    // An absent side is left out and named: null and absent stay distinct.
                                    var entry = JSONObject()
                                    if let from = field.from {
                                        entry["from"] = from
                                    } else {
                                        entry["from_absent"] = .bool(true)
                                    }
                                    if let to = field.to {
                                        entry["to"] = to
                                    } else {
                                        entry["to_absent"] = .bool(true)
                                    }
                                    return (field.field, .object(entry))
                                }))
                    ),
                ]))
        }
    }

    /// diff.json as one tree (tests, small diffs); ``encode(chunked:)`` writes the same bytes.
    public var json: JSONValue { streamed.materialized }

    /// A readable summary for a terminal. Names are shown with control characters replaced, so a hostile
    /// key name cannot move the cursor or forge lines.
    public func textSummary() -> String {
        func name(_ text: String?) -> String { Escaping.terminal(text ?? "") }
        func value(_ value: JSONValue?) -> String {
            value.map { Escaping.terminal(JSONWriter.string($0, style: .compact)) } ?? "(absent)"
        }
        var lines: [String] = []
        let fromTime = from.takenAt.map(Timestamp.format) ?? "unknown time"
        let toTime = to.takenAt.map(Timestamp.format) ?? "unknown time"
        lines.append("Changes from \(name(from.path)) (\(fromTime)) to \(name(to.path)) (\(toTime))")
        lines.append(
            "  \(added.count) added, \(removed.count) removed, \(changed.count) reconfigured; spend \(HumanReadable.money(spend.total)); findings \(findings.new.count) new, \(findings.resolved.count) resolved, \(findings.persisting.count) persisting"
        )
        if !added.isEmpty {
            lines.append("Added:")
            lines += added.map {
                "  + \(name(String($0.hash.prefix(12))))  \(name($0.name))  [\(name($0.workspaceId ?? "-"))]"
            }
        }
        if !removed.isEmpty {
            lines.append("Removed:")
            lines += removed.map {
                "  - \(name(String($0.hash.prefix(12))))  \(name($0.name))  [\(name($0.workspaceId ?? "-"))]"
            }
        }
        if !changed.isEmpty {
            lines.append("Reconfigured:")
            for change in changed {
                lines.append("  ~ \(name(String(change.hash.prefix(12))))  \(name(change.name))")
                for field in change.changes {
                    lines.append("      \(name(field.field)): \(value(field.from)) -> \(value(field.to))")
                }
            }
        }
        let top = spend.top(Self.topSpenders)
        if !top.isEmpty {
            lines.append("Largest spend since the previous snapshot:")
            lines += top.map {
                "  \(HumanReadable.money($0.growth))  \(name(String($0.hash.prefix(12))))  \(name($0.name))"
            }
        }
        let resets = spend.counterResets
        if !resets.isEmpty {
            lines.append("Usage counters that went down (reset or recreated key):")
            lines += resets.map {
                "  \(name(String($0.hash.prefix(12))))  \(name($0.name))  usage \(HumanReadable.money($0.usageFrom)) -> \(HumanReadable.money($0.usageTo))"
            }
        }
        if !findings.new.isEmpty {
            lines.append("New findings:")
            lines += findings.new.map { "  \(name($0))" }
        }
        if !findings.resolved.isEmpty {
            lines.append("Resolved findings:")
            lines += findings.resolved.map { "  \(name($0))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
