import Foundation
import Testing

@testable import KeyAuditCore
@testable import KeyAuditRun
@testable import KeyAuditTestSupport

extension OutputFolderDefences {
    /// Signed runs through the real binary, checked by the real `ssh-keygen -Y verify`: keygen, run --signing-key,
    /// verify --allowed-signers, render --force with and without a key, and keys that cannot be used.
    @Suite("Signing: signed runs")
    struct SignedRunTests {
        /// A key made by `keyaudit keygen` in `keys`, and an allowed signers file naming it `identity`.
        static func keygen(
            _ keys: TempDirectory, name: String = "signing", identity: String = "audit@example.com"
        ) async throws
            -> (key: String, allowedSigners: String)
        {
            let key = keys.path(name).path
            let made = try await CLI.run(["keygen", key, "--comment", identity])
            #expect(made.status == 0, "\(made.stderr)")
            let allowed = keys.path("\(name).allowed_signers").path
            let line = made.stdout.split(separator: "\n").last.map(String.init) ?? ""
            try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: allowed))
            return (key, allowed)
        }

        /// `ssh-keygen -Y verify -f ALLOWED -I IDENTITY -n keyaudit -s SIG < MESSAGE`, as the README tells a reviewer.
        static func sshVerify(
            folder: String, allowedSigners: String, identity: String, message: String = "SHA256SUMS",
            in dir: TempDirectory
        ) throws -> SSHKeygen.Result {
            try SSHKeygen.run(
                [
                    "-Y", "verify", "-f", allowedSigners, "-I", identity, "-n", "keyaudit", "-s",
                    folder + "/SHA256SUMS.sig",
                ],
                stdinFile: URL(fileURLWithPath: folder + "/" + message), in: dir)
        }

        /// The base64 body of a private key file: what must never appear anywhere keyaudit writes or prints.
        static func secretBody(_ keyFile: String) -> [String] {
            Evidence.text(keyFile).split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
                .filter { $0.count >= 40 }
        }

        static func expectNoSecret(
            _ keyFile: String, in output: TemporaryFolder, _ results: [CLIResult],
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            for line in secretBody(keyFile) {
                #expect(!output.anyFileContains(line), "the signing key reached a file", sourceLocation: sourceLocation)
                for result in results {
                    #expect(
                        !result.stdout.contains(line) && !result.stderr.contains(line), "the signing key was printed",
                        sourceLocation: sourceLocation)
                }
            }
        }

        @Test("keygen writes FILE (0600) and FILE.pub in OpenSSH's formats and never replaces a file")
        func keygen() async throws {
            let keys = try TempDirectory()
            let (key, _) = try await Self.keygen(keys)
            var info = stat()
            #expect(stat(key, &info) == 0 && info.st_mode & 0o777 == 0o600)
            #expect(stat(key + ".pub", &info) == 0 && info.st_mode & 0o777 == 0o644)
            #expect(Evidence.text(key).hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
            // ssh-keygen reads the private key and derives the same public key.
            let derived = try SSHKeygen.succeed(["-y", "-f", key], in: keys)
            #expect(
                Evidence.text(key + ".pub").hasPrefix(derived.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            let before = Evidence.text(key)
            for existing in [key, keys.path("other").path] {
                if existing != key {
                    _ = FileManager.default.createFile(atPath: existing + ".pub", contents: Data("mine\n".utf8))
                }
                let again = try await CLI.run(["keygen", existing])
                #expect(again.status == 64, "\(again.stderr)")
                #expect(again.stderr.split(separator: "\n").count == 1 && again.stderr.contains("already exists"))
            }
            #expect(Evidence.text(key) == before)
            #expect(!FileManager.default.fileExists(atPath: keys.path("other").path))
            #expect(Evidence.text(keys.path("other.pub").path) == "mine\n")
            // A link where the key would go is refused, not followed.
            let outside = TemporaryFolder("keygen-outside")
            let victim = Evidence.victim(outside)
            try FileManager.default.createSymbolicLink(atPath: keys.path("linked").path, withDestinationPath: victim)
            #expect(try await CLI.run(["keygen", keys.path("linked").path]).status == 64)
            Evidence.expectUntouched(victim)
        }

        @Test("a signed run verifies with ssh-keygen -Y verify; an altered SHA256SUMS is rejected by it")
        func signedRunVerifiesWithSSHKeygen() async throws {
            let keys = try TempDirectory()
            let (key, allowed) = try await Self.keygen(keys)
            let output = TemporaryFolder("signed")
            let first = try await Evidence.demo(output, now: "2026-11-25T03:00:00Z", ["--signing-key", key])
            #expect(first.status == 0, "\(first.stderr)")
            // The environment variable works as the flag does.
            let second = try await Evidence.demo(
                output, ["--format", "md,xlsx"], environment: CLI.environment(["KEYAUDIT_SIGNING_KEY_FILE": key]))
            #expect(second.status == 0, "\(second.stderr)")
            for run in ["20261125T030000Z", "20261126T030000Z"] {
                let folder = output.url(run)
                var info = stat()
                #expect(stat(folder + "/SHA256SUMS.sig", &info) == 0 && info.st_mode & 0o777 == 0o640)
                #expect(!Evidence.text(folder + "/SHA256SUMS").contains("SHA256SUMS.sig"))
                let good = try Self.sshVerify(
                    folder: folder, allowedSigners: allowed, identity: "audit@example.com", in: keys)
                #expect(good.status == 0, "\(good.stderr)")
                #expect(good.stdout.contains("Good \"keyaudit\" signature for audit@example.com"))
                #expect(
                    try Self.sshVerify(folder: folder, allowedSigners: allowed, identity: "other@example.com", in: keys)
                        .status != 0)
            }
            // An altered SHA256SUMS (one report's line changed) is rejected by ssh-keygen.
            let folder = output.url("20261126T030000Z")
            let altered = Evidence.text(folder + "/SHA256SUMS").replacingOccurrences(
                of: "  report.md", with: "  report.MD")
            try Data(altered.utf8).write(to: URL(fileURLWithPath: keys.path("altered").path))
            try FileManager.default.copyItem(atPath: folder + "/SHA256SUMS.sig", toPath: keys.path("altered.sig").path)
            let rejected = try SSHKeygen.run(
                ["-Y", "verify", "-f", allowed, "-I", "audit@example.com", "-n", "keyaudit", "-s", "altered.sig"],
                stdinFile: keys.path("altered"), in: keys)
            #expect(rejected.status != 0)

            let verify = try await CLI.run(["verify", output.url("latest"), "--allowed-signers", allowed])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("signed  20261125T030000Z by audit@example.com"))
            #expect(verify.stdout.contains("signed  20261126T030000Z by audit@example.com"))
            let unchecked = try await CLI.run(["verify", output.url("latest")])
            #expect(unchecked.status == 0)
            #expect(unchecked.stdout.contains("--allowed-signers"))
            Self.expectNoSecret(key, in: output, [first, second, verify, unchecked])
        }

        @Test("a key from ssh-keygen -t ed25519 -N '' works as it is; a group-readable one is warned about")
        func sshKeygenKey() async throws {
            let keys = try TempDirectory()
            let key = try SSHKeygen.generate(comment: "ops@example.com", name: "id_ed25519", in: keys).path
            try Data("ops@example.com \(Evidence.text(key + ".pub"))".utf8).write(
                to: URL(fileURLWithPath: keys.path("allowed").path))
            let output = TemporaryFolder("signed-ssh-keygen")
            let run = try await Evidence.demo(output, ["--signing-key", key])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("signing"), "\(run.stderr)")
            let good = try Self.sshVerify(
                folder: output.url("latest"), allowedSigners: keys.path("allowed").path, identity: "ops@example.com",
                in: keys)
            #expect(good.status == 0, "\(good.stderr)")
            chmod(key, 0o604)
            let warned = try await Evidence.demo(output, now: "2026-11-27T03:00:00Z", ["--signing-key", key])
            #expect(warned.status == 0)
            #expect(warned.stderr.contains("can be read by other users") && warned.stderr.contains("chmod 600"))
            #expect(!warned.stderr.contains("warning: warning:"))
            Self.expectNoSecret(key, in: output, [run, warned])
        }

        @Test("a key that cannot sign is 64 with one line, before anything is written")
        func unusableKeys() async throws {
            let keys = try TempDirectory()
            let encrypted = try SSHKeygen.generate(passphrase: "correct horse", name: "encrypted", in: keys).path
            let rsa = try SSHKeygen.generate(type: "rsa", name: "rsa", in: keys).path
            try keys.write("garbage", "not a key at all\n")
            try keys.write("empty", "")
            try keys.write("huge", String(repeating: "A", count: 100_000))
            #expect(mkfifo(keys.path("fifo").path, 0o600) == 0)
            let cases: [(String, [String])] = [
                (encrypted, ["encrypted"]), (rsa, ["ssh-rsa", "not supported"]),
                (keys.path("garbage").path, ["OPENSSH PRIVATE KEY"]),
                (keys.path("empty").path, ["OPENSSH PRIVATE KEY"]),
                (keys.path("huge").path, ["larger than"]), (keys.path("fifo").path, ["not a regular file"]),
                (keys.url.path, ["not a regular file"]), (keys.path("missing").path, ["cannot read"]),
            ]
            for (key, mentions) in cases {
                let output = TemporaryFolder("signed-bad-key")
                let result = try await Evidence.demo(output, ["--signing-key", key])
                Evidence.expectFailure(result, output, status: 64, mentions: ["--signing-key"] + mentions)
                #expect(!FileManager.default.fileExists(atPath: output.url(".keyaudit.lock")), "the run had started")
                Self.expectNoSecret(key, in: output, [result])
            }
            let viaEnvironment = TemporaryFolder("signed-bad-key-env")
            let result = try await Evidence.demo(
                viaEnvironment, environment: CLI.environment(["KEYAUDIT_SIGNING_KEY_FILE": encrypted]))
            Evidence.expectFailure(
                result, viaEnvironment, status: 64, mentions: ["KEYAUDIT_SIGNING_KEY_FILE", "encrypted"])
        }

        @Test(
            "verify --allowed-signers: an unknown signer, a bad signature and an unsigned run after a signed one are 65"
        )
        func verifyFailures() async throws {
            let keys = try TempDirectory()
            let (key, allowed) = try await Self.keygen(keys)
            let (_, strangers) = try await Self.keygen(keys, name: "stranger", identity: "someone@example.com")
            let output = TemporaryFolder("signed-verify")
            #expect(try await Evidence.demo(output, now: "2026-11-24T03:00:00Z", ["--signing-key", key]).status == 0)
            #expect(try await Evidence.demo(output, now: "2026-11-25T03:00:00Z", ["--signing-key", key]).status == 0)

            let unknown = try await CLI.run(["verify", output.url("latest"), "--allowed-signers", strangers])
            #expect(unknown.status == 65)
            #expect(unknown.stderr.contains("20261124T030000Z") && unknown.stderr.contains("unknown signer"))

            // An unsigned run after the signed ones: the run warns, verify fails it by name.
            let unsigned = try await Evidence.demo(output)
            #expect(unsigned.status == 0)
            #expect(unsigned.stderr.contains("was signed and this one is not"))
            let afterSigned = try await CLI.run(["verify", output.url("latest"), "--allowed-signers", allowed])
            #expect(afterSigned.status == 65)
            #expect(afterSigned.stderr.contains("20261126T030000Z is not signed"), "\(afterSigned.stderr)")
            let withoutSigners = try await CLI.run(["verify", output.url("latest")])
            #expect(withoutSigners.status == 0)
            #expect(withoutSigners.stdout.contains("unsigned  20261126T030000Z"))

            // SHA256SUMS rewritten to match an edited report: the checksums agree, the signature does not.
            let copy = TemporaryFolder("signed-verify-copy")
            try FileManager.default.copyItem(
                atPath: output.url("20261124T030000Z"), toPath: copy.url("20261124T030000Z"))
            let folder = copy.url("20261124T030000Z")
            try Data("edited\n".utf8).write(to: URL(fileURLWithPath: folder + "/report.md"))
            let sums =
                Evidence.text(folder + "/SHA256SUMS").split(separator: "\n").map { line in
                    line.hasSuffix("  report.md")
                        ? "\(try! Checksum.sha256Hex(fileAt: folder + "/report.md"))  report.md" : String(line)
                }.joined(separator: "\n") + "\n"
            try Data(sums.utf8).write(to: URL(fileURLWithPath: folder + "/SHA256SUMS"))
            for signers in [[], ["--allowed-signers", allowed]] {
                let bad = try await CLI.run(["verify", folder] + signers)
                #expect(bad.status == 65)
                #expect(
                    bad.stderr.contains("SHA256SUMS.sig") && bad.stderr.contains("20261124T030000Z"), "\(bad.stderr)")
            }
            // And the next run's chain check reports it as broken-chain.
            let next = try await Evidence.demo(copy, ["--signing-key", key])
            #expect(next.status == 0)
            #expect(Evidence.text(copy.url("20261126T030000Z/findings.json")).contains("SHA256SUMS"))
            #expect(next.stderr.contains("broken evidence chain"))
        }

        @Test("render --force re-signs with --signing-key; without it the signature is removed and verify says so")
        func renderSigning() async throws {
            let keys = try TempDirectory()
            let (key, allowed) = try await Self.keygen(keys)
            let output = TemporaryFolder("signed-render")
            #expect(try await Evidence.demo(output, ["--signing-key", key]).status == 0)
            let run = output.url("20261126T030000Z")

            let resigned = try await CLI.run(["render", run, "--format", "md", "--signing-key", key])
            #expect(resigned.status == 0, "\(resigned.stderr)")
            #expect(
                try Self.sshVerify(folder: run, allowedSigners: allowed, identity: "audit@example.com", in: keys).status
                    == 0)
            let record = try JSONParser.parse(
                [UInt8](FileManager.default.contents(atPath: run + "/rerenders.json") ?? Data()))
            #expect(record["renders"]?.arrayValue?.first?["signed_by"]?.stringValue?.hasPrefix("SHA256:") == true)
            #expect(try await CLI.run(["verify", run, "--allowed-signers", allowed]).status == 0)

            // A damaged report repaired with --force but without the key: the signature would no longer match.
            try Data("damaged\n".utf8).write(to: URL(fileURLWithPath: run + "/report.md"))
            let unsigned = try await CLI.run(["render", run, "--format", "md", "--force"])
            #expect(unsigned.status == 0)
            #expect(unsigned.stderr.contains("signature") && unsigned.stderr.contains("--signing-key"))
            #expect(!FileManager.default.fileExists(atPath: run + "/SHA256SUMS.sig"))
            let verify = try await CLI.run(["verify", run, "--allowed-signers", allowed])
            #expect(verify.status == 65)
            #expect(verify.stderr.contains("20261126T030000Z is not signed") && verify.stderr.contains("re-rendered"))
            let plain = try await CLI.run(["verify", run])
            #expect(plain.status == 0)
            #expect(plain.stdout.contains("unsigned  20261126T030000Z: it was re-rendered"))
            // Signed again: verify accepts it, and the record keeps every render.
            #expect(try await CLI.run(["render", run, "--format", "md", "--signing-key", key]).status == 0)
            #expect(try await CLI.run(["verify", run, "--allowed-signers", allowed]).status == 0)
            Self.expectNoSecret(key, in: output, [resigned, unsigned, verify, plain])
        }

        /// Rewrites SHA256SUMS over the files as they are now: what someone who can write the output folder, but
        /// does not hold the signing key, does after editing a file.
        static func rewriteSums(_ run: String) throws {
            var lines: [String] = []
            for line in Evidence.text(run + "/SHA256SUMS").split(separator: "\n") {
                let name = String(line.dropFirst(66))
                lines.append("\(try Checksum.sha256Hex(fileAt: run + "/" + name))  \(name)")
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: run + "/SHA256SUMS"))
        }

        @Test(
            "render --force over a signature that no longer matches a rewritten SHA256SUMS: verify keeps failing the run"
        )
        func renderForceOverBrokenSignature() async throws {
            let keys = try TempDirectory()
            let (key, allowed) = try await Self.keygen(keys)
            let output = TemporaryFolder("signed-launder")
            #expect(try await Evidence.demo(output, ["--signing-key", key]).status == 0)
            let original = output.url("20261126T030000Z")
            let edits: [(String, String, [String])] = [
                ("snapshot.json, re-signed", "snapshot.json", ["--signing-key", key]),
                ("snapshot.json, unsigned", "snapshot.json", []),
                ("findings.json, re-signed", "findings.json", ["--signing-key", key]),
                ("summary.json, unsigned", "summary.json", []),
            ]
            for (label, file, signing) in edits {
                let copy = TemporaryFolder("signed-launder-copy")
                let run = copy.url("20261126T030000Z")
                try FileManager.default.copyItem(atPath: original, toPath: run)
                let path = run + "/" + file
                chmod(path, 0o640)
                let edited = Evidence.text(path).replacingOccurrences(of: "\"keys\": ", with: "\"keys\":  ")
                try Data(edited.utf8).write(to: URL(fileURLWithPath: path))
                try Self.rewriteSums(run)
                // Every file matches SHA256SUMS now; only the signature shows that SHA256SUMS was rewritten.
                let refused = try await CLI.run(["render", run, "--format", "md"] + signing)
                #expect(refused.status == 65, "\(label): \(refused.stderr)")
                let forced = try await CLI.run(["render", run, "--format", "md", "--force"] + signing)
                #expect(forced.status == 0, "\(label): \(forced.stderr)")
                #expect(forced.stderr.contains("did not match its SHA256SUMS"), "\(label): \(forced.stderr)")
                for arguments in [["verify", run], ["verify", run, "--allowed-signers", allowed]] {
                    let verify = try await CLI.run(arguments)
                    #expect(verify.status == 65, "\(label) \(arguments): \(verify.stdout)")
                    #expect(
                        verify.stderr.hasPrefix("keyaudit: error: ") && verify.stderr.split(separator: "\n").count == 1)
                    #expect(verify.stdout.contains("over a signature that did not match"), "\(label): \(verify.stdout)")
                }
                // The folder fails verification for good: rendering again takes --force, and signed, does not clear it.
                #expect(try await CLI.run(["render", run, "--format", "md", "--signing-key", key]).status == 65)
                #expect(
                    try await CLI.run(["render", run, "--format", "md", "--force", "--signing-key", key]).status == 0)
                #expect(try await CLI.run(["verify", run, "--allowed-signers", allowed]).status == 65, "\(label)")
                Self.expectNoSecret(key, in: copy, [refused, forced])
            }
        }

        @Test(
            "signatures deleted and a file altered with SHA256SUMS rewritten: the next run's record catches it in verify, run and render"
        )
        func signaturesRemovedLater() async throws {
            let keys = try TempDirectory()
            let (key, allowed) = try await Self.keygen(keys)
            let output = TemporaryFolder("downgrade")
            for day in 24...26 {
                let made = try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z", ["--signing-key", key])
                #expect(made.status == 0, "\(made.stderr)")
            }
            let (first, second) = (output.url("20261124T030000Z"), output.url("20261125T030000Z"))
            // Each folder stays consistent on its own: no signature, every file matching its SHA256SUMS.
            for run in [first, second] { try FileManager.default.removeItem(atPath: run + "/SHA256SUMS.sig") }
            let findings = first + "/findings.json"
            chmod(findings, 0o640)
            let forged = Evidence.text(findings).replacingOccurrences(
                of: "\"first_seen\":\"2026-11-2", with: "\"first_seen\":\"2001-11-2")
            try Data(forged.utf8).write(to: URL(fileURLWithPath: findings))
            try Self.rewriteSums(first)
            for arguments in [
                ["verify", output.url("latest")], ["verify", output.url("latest"), "--allowed-signers", allowed],
            ] {
                let verify = try await CLI.run(arguments)
                #expect(verify.status == 65, "\(arguments): \(verify.stdout)")
                #expect(verify.stdout.contains("recorded it signed by"), "\(verify.stdout)")
                #expect(verify.stdout.contains("not as"), "the altered findings.json: \(verify.stdout)")
            }
            // The second run, unsigned now, follows a run recorded as signed: render will not sign it again.
            let render = try await CLI.run(["render", second, "--format", "md", "--signing-key", key])
            #expect(render.status == 65, "\(render.stderr)")
            #expect(render.stderr.contains("is not signed, but the run it follows is"), "\(render.stderr)")
            // The next run checks the run before its previous one against what its previous one recorded.
            let next = try await Evidence.demo(output, now: "2026-11-27T03:00:00Z", ["--signing-key", key])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("broken evidence chain"), "\(next.stderr)")
            #expect(Evidence.text(output.url("20261127T030000Z/findings.json")).contains("\"broken-chain"))
        }

        @Test(
            "an unsigned chain: a findings.json altered with its SHA256SUMS rewritten fails verify by the next run's record"
        )
        func evidenceRecordedByTheNextRun() async throws {
            let output = TemporaryFolder("evidence-record")
            for day in 25...26 {
                #expect(try await Evidence.demo(output, now: "2026-11-\(day)T03:00:00Z").status == 0)
            }
            let first = output.url("20261125T030000Z")
            let snapshot = Evidence.text(output.url("20261126T030000Z/snapshot.json"))
            #expect(snapshot.contains("\"evidence\"") && snapshot.contains("\"findings.json\""))
            #expect(try await CLI.run(["verify", output.url("latest")]).status == 0)
            let findings = first + "/findings.json"
            chmod(findings, 0o640)
            try Data((Evidence.text(findings) + " ").utf8).write(to: URL(fileURLWithPath: findings))
            try Self.rewriteSums(first)
            let verify = try await CLI.run(["verify", output.url("latest")])
            #expect(verify.status == 65, "\(verify.stdout)")
            #expect(verify.stdout.contains("findings.json") && verify.stdout.contains("rewritten to match"))
            // A record forged to name a file with terminal escapes: the next run's warning shows them escaped.
            let second = output.url("20261126T030000Z")
            let snapshotFile = second + "/snapshot.json"
            chmod(snapshotFile, 0o640)
            let forged = Evidence.text(snapshotFile).replacingOccurrences(
                of: "\"previous\": {", with: "\"previous\": {\"evidence\": {\"\\u001b[2Jevil\": \"x\"}, ")
            try Data(forged.utf8).write(to: URL(fileURLWithPath: snapshotFile))
            try Self.rewriteSums(second)
            let next = try await Evidence.demo(output, now: "2026-11-27T03:00:00Z")
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("broken evidence chain") && next.stderr.contains("evil"), "\(next.stderr)")
            #expect(!next.stderr.contains("\u{1B}"), "a control character from a run folder reached the terminal")
        }
    }
}
