import Foundation
import KeyAuditAudit
import KeyAuditCore
import KeyAuditSnapshot

/// The parsers keyaudit runs on input from outside, each with what must hold for any input at all.
///
/// Shared by the fuzzer (`make fuzz`: libFuzzer through `swift build --sanitize fuzzer`, see Fuzz/README.md)
/// and the seeded mutation tests the test suite runs (`MutationTests`): the same checks, fed by libFuzzer's
/// coverage-guided mutations for as long as asked, or by a fixed sequence of mutations for a few seconds.
///
/// A crash, a hang or a broken property is a finding. ``check(_:)`` returns the broken property as text (nil
/// when every property holds); the fuzzer turns it into a crash so libFuzzer keeps the input.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `JSONParser` against Foundation's `JSONSerialization`: the same accept/reject and the same values
    /// (see ``JSONOracle`` for the documented differences left out of the comparison).
    case json
    /// `Timestamp.parse` against an independent reading of RFC 3339 (``TimestampOracle``).
    case timestamp
    /// `PolicyFile.parse` (YAMLReader and the policy's rules): a policy or a one-line usage error, never a
    /// crash, in well under a second.
    case policy
    /// `Snapshot.decode`, then the audit and findings.json of what it read: a snapshot or a one-line data error;
    /// what was read writes back to bytes that read back the same, and holds no secret.
    case snapshot

    /// The seed inputs in `Fuzz/corpus/<target>/` under `root` (the package folder).
    package func corpus(root: URL) -> [[UInt8]] {
        let folder = root.appendingPathComponent("Fuzz/corpus/\(rawValue)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            FileManager.default.contents(atPath: folder.appendingPathComponent(name).path).map { [UInt8]($0) }
        }
    }

    /// Runs the target on `bytes`; nil when every property holds, else what broke.
    package func check(_ bytes: [UInt8]) -> String? {
        switch self {
        case .json: return JSONOracle.check(bytes)
        case .timestamp: return TimestampOracle.check(bytes)
        case .policy: return Self.checkPolicy(bytes)
        case .snapshot: return Self.checkSnapshot(bytes)
        }
    }

    /// Tokens mutations insert: what the parsers treat specially.
    package var dictionary: [String] {
        switch self {
        case .json, .snapshot:
            return [
                "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "null",
                "true", "false", "-0", "1e400", "1e19", "1e300", "-1e300", "9223372036854775808", "0.1", "1E+2",
                "\u{FEFF}", "\"keys\":", "\"data\":", "\"schema_version\":", "\"coverage\":", "\"redactions\":",
                "\"pages\":", "\"limit\":", "\"usage\":", "\"created_at\":", "\"hash\":", "\"name\":",
                "\"sk-or-fuzz-ZZZZZZZZZZZZZZZZZZZZZZZZ\"",
                "\"2026-01-15T12:00:00Z\"", "\"0000-01-01T00:00:00Z\"", "\"9999-12-31T23:59:60.999999+23:59\"",
            ]
        case .timestamp:
            return ["T", "t", " ", "Z", "z", "+", "-", ":", ".", "0000", "9999", "1970", "02-29", "12-31", "23:59:60"]
        case .policy:
            return [
                "version: 1\n", "thresholds:\n", "  stale_after_days: ", "rules:\n", "suppressions:\n", "  - key: ",
                "    expires: ", "&a ", "*a", "<<: ", "? ", "- ", "{", "}", "[", "]", "\"", "'", "#", "\t", "\n",
                "!!binary ", "!!str ", "9999999999999999999999", "1e400", ".nan", "~", "|\n", ">\n",
            ]
        }
    }

    // MARK: - Policy

    static func checkPolicy(_ bytes: [UInt8]) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            return nil  // YAMLReader.load refuses these before parsing (tested on their own)
        }
        let started = ContinuousClock.now
        do {
            _ = try PolicyFile.parse(text, name: "fuzz.yml")
        } catch {
            if case .usage = error {} else { return "policy: not a usage error: \(error)" }
            if let problem = oneLine(error.message) { return "policy: \(problem)" }
        }
        let elapsed = ContinuousClock.now - started
        if elapsed > .seconds(1) { return "policy: took \(elapsed) (over a second)" }
        return nil
    }

    // MARK: - Snapshot

    static func checkSnapshot(_ bytes: [UInt8]) -> String? {
        let snapshot: Snapshot
        do {
            snapshot = try Snapshot.decode(bytes, origin: "fuzz.json")
        } catch {
            if case .malformedData = error {} else { return "snapshot: not a data error: \(error)" }
            return oneLine(error.message).map { "snapshot: \($0)" }
        }
        let encoded = snapshot.encoded()
        // Each key read from its bytes equals the key read as a tree (as every key was before the scanner).
        if let asTrees = try? Snapshot.decode(bytes, origin: "fuzz.json", scanKeys: false) {
            guard asTrees.keys.count == snapshot.keys.count else {
                return "snapshot: \(snapshot.keys.count) keys read from their bytes, \(asTrees.keys.count) as trees"
            }
            for (scanned, tree) in zip(snapshot.keys, asTrees.keys) {
                let differences = scanned.differences(from: tree)
                if !differences.isEmpty {
                    return "snapshot: a key read from its bytes differs from it read as a tree: \(differences)"
                }
            }
            if asTrees.encoded() != encoded { return "snapshot: keys read as trees write other bytes" }
        } else {
            return "snapshot: read from the keys' bytes, but not as trees"
        }
        if Redaction.holdsSecret(String(decoding: encoded, as: UTF8.self)) {
            return "snapshot: the written snapshot holds a secret"
        }
        do {
            let again = try Snapshot.decode(encoded, origin: "fuzz-again.json")
            let twice = again.encoded()
            if twice != encoded {
                return "snapshot: written, read and written again gives other bytes"
            }
        } catch {
            return "snapshot: what keyaudit wrote cannot be read back: \(error.message)"
        }
        // The audit and findings.json over whatever was read: formatting odd values must not trap.
        let audit = Auditor.audit(snapshot, policy: Policy(), now: Date(timeIntervalSince1970: 1_768_478_400))
        let findings = FindingsDocument.encode(
            audit: audit, snapshot: snapshot, snapshotReference: .init(path: "snapshot.json", sha256: "0"),
            generatedAt: Date(timeIntervalSince1970: 1_768_478_400))
        if (try? JSONParser.parse(findings)) == nil { return "snapshot: findings.json is not valid JSON" }
        return nil
    }

    /// nil when `message` is one line, else why not.
    static func oneLine(_ message: String) -> String? {
        if message.contains(where: { $0.isNewline }) {
            return "the message is not one line: \(message.debugDescription)"
        }
        if message.isEmpty { return "the message is empty" }
        return nil
    }
}
