import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// Class 3 of issue 12: the management key and anything shaped like an OpenRouter secret never leave the
/// process: not on stderr or stdout, not in an error, not in any file; data from the API that holds one is
/// stored and reported redacted and raises `secret-in-metadata`.
@Suite("Hardening: redaction", .serialized)
struct RedactionTests {
    /// Made-up secrets in the OpenRouter shape (built at run time, so no secret scanner trips on the source).
    static let pasted = "sk-or-v1-" + String(repeating: "0e6f", count: 15) + "1c96"
    static let other = "SK-OR-v1-" + String(repeating: "Zz9", count: 8)

    // MARK: - The rule

    @Test("what is redacted and what stays readable")
    func rule() {
        // A label is masked already and stays as it is.
        #expect(Redaction.redact("label sk-or-v1-0e6...1c96") == "label sk-or-v1-0e6...1c96")
        #expect(Redaction.redact(Self.pasted) == "[REDACTED:sk-or-v1-0e6...1c96]")
        #expect(Redaction.redact("Bearer \(Self.pasted), again") == "Bearer [REDACTED:sk-or-v1-0e6...1c96], again")
        // Any case; a short body is masked without showing any of it.
        #expect(Redaction.redact(Self.other) == "[REDACTED:sk-or-v1-...]")
        // Too short to be a secret, or glued to a word: left alone.
        #expect(Redaction.redact("sk-or-v1-abc123") == "sk-or-v1-abc123")
        #expect(Redaction.redact("task-or-" + String(repeating: "x", count: 30)).hasPrefix("task-or-"))
        #expect(Redaction.redact("name_" + Self.pasted) == "name_[REDACTED:sk-or-v1-0e6...1c96]")
        // Redacting twice changes nothing more.
        let once = Redaction.redact("a \(Self.pasted) b \(Self.other)")
        #expect(Redaction.redact(once) == once)
        #expect(!Redaction.holdsSecret(once))
    }

    @Test("a registered management key of any shape is redacted wherever it appears")
    func registered() throws {
        let odd = "mgmt-" + UUID().uuidString
        #expect(Redaction.redact("x \(odd) y") == "x \(odd) y")
        _ = try ManagementKey(odd)
        #expect(Redaction.redact("x \(odd) y") == "x [REDACTED:management-key] y")
        #expect(KeyAuditError.usage("echo: \(odd)").message == "echo: [REDACTED:management-key]")
        #expect(Diagnostic(stage: "t", message: odd).message == "[REDACTED:management-key]")
        #expect(JSONWriter.string(.string(odd)) == "\"[REDACTED:management-key]\"")
    }

    @Test("JSON values: every string and member name at any depth, with where each was")
    func jsonValues() throws {
        let object = JSONObject([
            ("name", .string("bot \(Self.pasted)")), ("n", .number(JSONNumber(7))),
            ("meta", .object(JSONObject([("notes", .array(["ok", .string(Self.other)]))]))),
            (Self.pasted, .bool(true)),
        ])
        let (clean, records) = Redaction.redact(object)
        #expect(!Redaction.holdsSecret(JSONWriter.string(.object(clean))))
        #expect(records.map(\.field) == ["name", "meta.notes[1]", "[REDACTED:sk-or-v1-0e6...1c96] (member name)"])
        #expect(clean["n"] == .number(JSONNumber(7)))
        let untouched = JSONObject([("name", "plain"), ("label", "sk-or-v1-0e6...1c96")])
        #expect(Redaction.redact(untouched).records.isEmpty)
    }

    // MARK: - Through the binary

    @Test("an API error that echoes the key: one line, the key redacted, exit 64")
    func echoedKey() async throws {
        for echo in ["Invalid credential: Bearer \(StandInAccount.defaultManagementKey)", "bad key \(Self.pasted)"] {
            let account = Hardening.account(keys: 5)
            for format in ["text", "json"] {
                account.faults = [.reply(.error(status: 400, message: echo)).only("/keys")]
                let output = TemporaryFolder("redaction")
                let (result, _) = try await Hardening.run(account, output: output, extra: ["--log-format", format])
                #expect(result.status == 64, "\(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(result.stderr.contains("[REDACTED:"), "\(result.stderr)")
                Hardening.expectNothingLeft(output)
                Hardening.expectNoSecrets([account.managementKey, Self.pasted], in: result, output)
            }
        }
    }

    @Test(
        "keys and workspaces holding secrets: stored and reported redacted, secret-in-metadata, the snapshot lists each"
    )
    func secretsInData() async throws {
        let management = StandInAccount.defaultManagementKey
        let base = Hardening.account(keys: 12).keys()
        var keys = base
        keys[0]["name"] = "ci \(management)"
        keys[1]["metadata"] = ["note": "rotated to \(Self.pasted)", "tags": ["a", Self.other]]
        let untouchedHash = keys[2]["hash"] as? String ?? ""
        let account = StandInAccount(workspaces: [
            StandInWorkspace(
                id: Hardening.workspace, name: "Prod", description: "old key \(Self.pasted)", keys: keys)
        ])
        let output = TemporaryFolder("redaction")
        let (result, _) = try await Hardening.run(account, output: output)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning") && result.stderr.contains("secret-in-metadata"), "\(result.stderr)")
        let folder = try #require(output.runFolders().first)
        Hardening.expectNoSecrets([management, Self.pasted, Self.other], in: result, output)
        // The workbook is compressed: read it back.
        let workbook = try XLSXReader.read(URL(fileURLWithPath: output.url("\(folder)/report.xlsx")))
        for (part, data) in workbook.parts {
            let text = String(decoding: data, as: UTF8.self)
            for secret in [management, Self.pasted, Self.other] {
                #expect(!text.contains(secret), "report.xlsx \(part) holds a secret")
            }
        }
        // The snapshot lists each redaction; everything else is as received.
        let snapshot = try Snapshot.load(path: output.url(folder)).snapshot
        let stored = snapshot.redactions
        #expect(
            stored.contains {
                $0.key == (keys[0]["hash"] as? String) && $0.record == .init(field: "name", kind: .managementKey)
            })
        #expect(stored.contains { $0.key == (keys[1]["hash"] as? String) && $0.record.field == "metadata.note" })
        #expect(stored.contains { $0.key == (keys[1]["hash"] as? String) && $0.record.field == "metadata.tags[1]" })
        #expect(stored.contains { $0.workspace == Hardening.workspace && $0.record.field == "description" })
        let plain = try #require(snapshot.keys.first { $0.identity == untouchedHash })
        #expect(plain.raw == (try JSONParser.parse(Array(StandInJSON.encode(keys[2])))).objectValue)
        #expect(plain.label?.hasPrefix("sk-or-v1-") == true, "a label must stay readable")
        // The findings: the two keys and the workspace.
        let findings = try JSONParser.parse(Array(Hardening.text(of: output.url("\(folder)/findings.json")).utf8))
        let secret = (findings["findings"]?.arrayValue ?? []).filter { $0["rule"]?.stringValue == "secret-in-metadata" }
        #expect(
            Set(secret.compactMap { $0["key_hash"]?.stringValue }) == [
                keys[0]["hash"] as? String ?? "", keys[1]["hash"] as? String ?? "",
            ])
        #expect(secret.contains { $0["id"]?.stringValue == "secret-in-metadata:workspace:\(Hardening.workspace)" })
        #expect(secret.allSatisfy { $0["severity"]?.stringValue == "high" })
        #expect(secret.contains { $0["message"]?.stringValue?.contains("the management key in name") == true })
        // The reports show the redacted text.
        #expect(Hardening.text(of: output.url("\(folder)/report.md")).contains("REDACTED"))
        #expect(Hardening.text(of: output.url("\(folder)/report.html")).contains("REDACTED"))
        // Read back as --from-snapshot: the redactions survive (and the findings with them).
        let again = TemporaryFolder("redaction")
        let fromFile = try await CLI.run(
            [
                "run", "--from-snapshot", output.url(folder), "--output", again.path, "--now", Hardening.now,
                "--format", "md",
            ],
            environment: CLI.environment())
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let refound = Hardening.text(of: again.url("\(again.runFolders().first ?? "")/findings.json"))
        #expect(refound.contains("secret-in-metadata:\(keys[0]["hash"] as? String ?? "")"))
        #expect(refound.contains("secret-in-metadata:workspace:"))
    }

    @Test("a snapshot file written before redaction existed: what is read from it is redacted (diff, --from-snapshot)")
    func oldFiles() async throws {
        let folder = TemporaryFolder("redaction")
        let hash = String(repeating: "ab", count: 32)
        let old = """
            {"data": [{"hash": "\(hash)", "name": "leaked \(Self.pasted)", "disabled": false, "limit": 1, \
            "created_at": "2025-01-01T00:00:00Z"}]}
            """
        let new = old.replacingOccurrences(of: "leaked", with: "renamed")
        try Data(old.utf8).write(to: URL(fileURLWithPath: folder.url("old.json")))
        try Data(new.utf8).write(to: URL(fileURLWithPath: folder.url("new.json")))
        for format in ["text", "json", "md"] {
            let diff = try await CLI.run(
                ["diff", folder.url("old.json"), folder.url("new.json"), "--format", format],
                environment: CLI.environment())
            #expect(diff.status == 0, "\(diff.stderr)")
            #expect(!diff.stdout.contains(Self.pasted) && !diff.stderr.contains(Self.pasted))
            #expect(diff.stdout.contains("REDACTED"), "\(format): \(diff.stdout)")
        }
        let output = TemporaryFolder("redaction")
        let run = try await CLI.run(
            ["run", "--from-snapshot", folder.url("old.json"), "--output", output.path, "--now", Hardening.now],
            environment: CLI.environment())
        #expect(run.status == 0, "\(run.stderr)")
        Hardening.expectNoSecrets([Self.pasted], in: run, output)
        #expect(
            Hardening.text(of: output.url("\(output.runFolders().first ?? "")/findings.json")).contains(
                "secret-in-metadata:\(hash)"))
    }

    @Test("paths and flag values that hold a secret are redacted in errors too")
    func pathsAndFlags() async throws {
        let output = TemporaryFolder("redaction")
        for arguments in [
            ["run", "--demo", "--output", output.path, "--policy", "/nonexistent/\(Self.pasted).yml"],
            ["run", "--demo", "--output", output.path, "--concurrency", Self.pasted],
            ["diff", "/nonexistent/\(Self.pasted)", "/nonexistent/b"],
        ] {
            let result = try await CLI.run(arguments, environment: CLI.environment())
            #expect([64, 65].contains(result.status), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(!result.stderr.contains(Self.pasted), "\(result.stderr)")
        }
    }
}
