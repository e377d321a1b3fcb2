import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditCore
@testable import KeyAuditTestSupport

/// Classes 10 and 11 of issue 12: base URL edge cases, and the small contract breaks (usage errors on one line,
/// key-file warnings, binary policies, SIGHUP, `--now` out of range).
@Suite("Hardening: base URL and small contracts", .serialized)
struct ContractTests {
    // MARK: - Base URL

    @Test(
        "ports outside 1...65535 are usage errors, not a crash in the HTTP stack",
        arguments: [
            "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "https://openrouter.ai:65536/api/v1",
            "http://[::1]:70000",
        ])
    func ports(_ url: String) async throws {
        #expect(throws: KeyAuditError.self) { try BaseURL(url) }
        let output = TemporaryFolder("contracts")
        let key = StandInAccount.defaultManagementKey
        let result = try await CLI.run(
            ["run", "--base-url", url, "--output", output.path],
            environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": key]))
        Hardening.expectFailure(result, output, status: 64, mentions: ["port"], secrets: [key])
    }

    @Test("plain http only to a loopback address or localhost itself")
    func loopbackOnly() throws {
        for url in [
            "http://127.0.0.1:8080/api/v1", "http://127.9.8.7/", "http://[::1]:8080/", "http://[::ffff:127.0.0.1]/",
            "http://localhost:1234/", "http://LOCALHOST/",
        ] {
            #expect(throws: Never.self, "\(url)") { try BaseURL(url) }
        }
        for url in [
            "http://anything.localhost/", "http://localhost.example.com/", "http://127.0.0.1.nip.io/", "http://127.1/",
            "http://0x7f.0.0.1/", "http://2130706433/", "http://[::2]/", "http://10.0.0.1/", "http://[fe80::1]/",
        ] {
            #expect(throws: KeyAuditError.self, "\(url)") { try BaseURL(url) }
        }
        // https is allowed anywhere; such hosts are not loopback for the proxy either.
        #expect(!BaseURL.isLoopback("api.localhost"))
        #expect(BaseURL.isLoopback("[::1]") && BaseURL.isLoopback("127.0.0.1"))
        // Every address localhost resolves to is loopback here, so it is accepted.
        #expect(BaseURL.nonLoopbackAddress(of: "localhost") == nil)
        #expect(BaseURL.nonLoopbackAddress(of: "no-such-host.invalid") != nil)
    }

    @Test("an IPv6 literal (brackets and all) reaches the host it names: ::1, IPv4-mapped, and a proxy")
    func ipv6Literals() async throws {
        // Foundation on Linux keeps the brackets in URLComponents.host: the URL sent must not get a second pair.
        let url = try BaseURL("http://[::1]:8080/api/v1/")
        #expect(url.host == "::1" && url.string == "http://[::1]:8080/api/v1")
        #expect(try BaseURL("https://[2001:db8::1]/api/v1").string == "https://[2001:db8::1]/api/v1")
        #expect(try BaseURL("http://[::ffff:127.0.0.1]/").host == "::ffff:127.0.0.1")
        let proxy = try ProxySettings(environment: ["HTTPS_PROXY": "http://[2001:db8::3]:3128"]).proxy(
            for: try BaseURL("https://openrouter.ai/api/v1"))
        #expect(proxy?.host == "2001:db8::3" && proxy?.port == 3128)

        let account = Hardening.account(keys: 5)
        let server: StandInServer
        do {
            server = try await StandInServer.start(host: "::1", account.handler)
        } catch {
            // A machine without IPv6 loopback cannot run the end-to-end half; the URL checks above still ran.
            return
        }
        let output = TemporaryFolder("contracts-ipv6")
        let started = Date()
        let result = try await CLI.run(
            [
                "run", "--base-url", server.baseURL, "--output", output.path, "--now", Hardening.now, "--format",
                "md", "--timeout", "20",
            ],
            environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": account.managementKey]))
        try await server.stop()
        #expect(result.status == 0, "\(server.baseURL): \(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 15, "a retried connection failure, not an answer")
        #expect(!server.requests.isEmpty)
        Hardening.expectNoSecrets([account.managementKey], in: result, output)
    }

    @Test("HTTPS_PROXY with a port outside 1...65535 is a usage error")
    func proxyPort() throws {
        let settings = ProxySettings(environment: ["HTTPS_PROXY": "http://proxy.example:99999"])
        #expect(throws: KeyAuditError.self) { try settings.proxy(for: try BaseURL("https://openrouter.ai/api/v1")) }
    }

    // MARK: - Usage errors

    @Test("usage errors are one line, `keyaudit: error: …`, exit 64")
    func usageErrors() async throws {
        let cases: [[String]] = [
            ["--no-such-flag"], ["run", "--concurrency", "many"], ["run", "--concurrency", "0"], ["diff"],
            ["diff", "a", "b", "--last", "2"], ["verify"], ["rules", "--format", "xml"],
            ["run", "--fail-on", "sometimes"],
            ["policy", "check"], ["run", "--quiet", "--verbose"], ["run", "--log-format", "yaml"],
            ["no-such-command", "x"],
        ]
        // A negative or odd number names the flag and its range, not "Missing value".
        let numbers: [([String], String)] = [
            (["run", "--timeout", "-1"], "--timeout must be"), (["run", "--keep", "-1"], "--keep must be"),
            (["run", "--report-rows", "-1"], "--report-rows must be"),
            (["run", "--stale-after", "-5"], "--stale-after"),
            (["run", "--timeout", "0x10"], "0x10"), (["run", "--read-timeout", "nan"], "nan"),
            (["apply", "plan.json", "--max-changes", "-3"], "--max-changes must be"),
        ]
        for (arguments, expected) in numbers {
            let result = try await CLI.run(arguments, environment: CLI.environment())
            #expect(result.status == 64, "\(arguments): exit \(result.status), \(result.stderr)")
            #expect(result.stderr.contains(expected) && !result.stderr.contains("Missing value"), "\(result.stderr)")
        }
        for arguments in cases {
            let result = try await CLI.run(arguments, environment: CLI.environment())
            #expect(result.status == 64, "\(arguments): exit \(result.status), \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("keyaudit: error: "), "\(result.stderr)")
            #expect(!result.stderr.contains("Error:") && !result.stderr.contains("Usage:"), "\(result.stderr)")
            #expect(result.stderr.contains("--help"), "no pointer to the help: \(result.stderr)")
        }
    }

    @Test("--help and --version still print on stdout and exit 0")
    func helpAndVersion() async throws {
        for arguments in [["--help"], ["run", "--help"], ["--version"], ["help", "diff"]] {
            let result = try await CLI.run(arguments, environment: CLI.environment())
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.isEmpty && result.stderr.isEmpty)
        }
        let help = try await CLI.run(["run", "--help"], environment: CLI.environment())
        #expect(help.stdout.contains("--read-timeout"))
    }

    @Test("--now outside 1970 to 9999 is a usage error; the ends are accepted")
    func nowRange() async throws {
        for now in ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1899-06-01T00:00:00Z"] {
            let output = TemporaryFolder("contracts")
            let result = try await CLI.run(
                ["run", "--demo", "--output", output.path, "--now", now], environment: CLI.environment())
            Hardening.expectFailure(result, output, status: 64, mentions: ["--now", "1970"], secrets: [])
        }
        for now in ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
            let output = TemporaryFolder("contracts")
            let result = try await CLI.run(
                ["snapshot", "--demo", "--output", output.path, "--now", now], environment: CLI.environment())
            #expect(result.status == 0, "\(now): \(result.stderr)")
        }
    }

    // MARK: - Key file

    @Test("a key file others can read gets one warning saying what chmod 600 fixes; 0600 and 0400 get none")
    func keyFileModes() async throws {
        let account = Hardening.account(keys: 5)
        let folder = TemporaryFolder("key-modes")
        for (mode, warned, who) in [
            (0o600, false, ""), (0o400, false, ""), (0o640, true, "group"), (0o644, true, "every user"),
            (0o660, true, "replace"), (0o604, true, "every user"),
        ] as [(Int, Bool, String)] {
            let path = folder.url("key-\(String(mode, radix: 8))")
            #expect(
                FileManager.default.createFile(
                    atPath: path, contents: Data((account.managementKey + "\n").utf8),
                    attributes: [.posixPermissions: mode]))
            chmod(path, mode_t(truncatingIfNeeded: mode))
            let output = TemporaryFolder("contracts")
            let result = try await StandInServer.with(account.handler) { server in
                try await CLI.run(
                    [
                        "run", "--base-url", server.baseURL, "--key-file", path, "--output", output.path, "--now",
                        Hardening.now, "--format", "md",
                    ], environment: CLI.environment())
            }
            #expect(result.status == 0, "\(result.stderr)")
            let warnings = result.stderr.split(separator: "\n").filter { $0.contains("--key-file") }
            #expect(warnings.count == (warned ? 1 : 0), "mode \(String(mode, radix: 8)): \(result.stderr)")
            if warned {
                let line = String(warnings[0])
                #expect(line.hasPrefix("keyaudit: warning: --key-file"), "\(line)")
                #expect(!line.contains("warning: warning:"))
                #expect(line.contains("chmod 600") && line.contains("only its owner") && line.contains(who), "\(line)")
            }
            Hardening.expectNoSecrets([account.managementKey], in: result, output)
        }
    }

    // MARK: - Policy files

    @Test("a binary policy file: one line, 64, no raw bytes in the message")
    func binaryPolicy() async throws {
        let folder = TemporaryFolder("policies")
        var random = SystemRandomNumberGenerator()
        let samples: [(String, [UInt8])] = [
            ("random.yml", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }),
            ("nul.yml", Array("version: 1\n\0\0\0rules:\n".utf8)),
            ("latin1.yml", [0x76, 0x65, 0x72, 0x3A, 0x20, 0xE9, 0xFF, 0x0A]),
            ("controls.yml", Array("version: 1\nthresholds:\n  stale_after_days: \u{1B}[31m9\u{7}\n".utf8)),
            ("gzip.yml", [0x1F, 0x8B, 0x08, 0x00] + Array(repeating: 0, count: 60)),
        ]
        for (name, bytes) in samples {
            let path = folder.url(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for arguments in [
                ["policy", "check", path], ["run", "--demo", "--policy", path, "--output", folder.url("out")],
            ] {
                let result = try await CLI.run(arguments, environment: CLI.environment())
                #expect(result.status == 64, "\(name): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(name): \(result.stderr.debugDescription)")
                #expect(
                    !result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(name): control bytes")
            }
        }
    }

    // MARK: - Signals

    @Test(
        "SIGHUP and SIGQUIT are handled like SIGTERM: exit 129 and 131, staging removed, latest unchanged",
        arguments: [SIGHUP, SIGQUIT])
    func stops(signal: Int32) async throws {
        let inputs = TemporaryFolder("signals-input")
        let keys = OperationsTests.keysFile(inputs, count: 40_000)
        let output = TemporaryFolder("signals")
        let first = try await CLI.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-01-14T03:00:00Z"], environment: CLI.environment())
        #expect(first.status == 0)
        let result = try await CLI.run(
            ["run", "--from-snapshot", keys, "--output", output.path, "--now", Hardening.now],
            environment: CLI.environment()
        ) { process in
            while true {
                let staging = OperationsTests.stagingFolders(output)
                if let folder = staging.first,
                    FileManager.default.fileExists(atPath: output.url("\(folder)/snapshot.json"))
                {
                    break
                }
                guard process.isRunning else { return }
                try await Task.sleep(for: .milliseconds(5))
            }
            kill(process.processIdentifier, signal)
        }
        #expect(result.status == 128 + signal, "\(result.stderr)")
        #expect(!result.signalled)
        #expect(output.runFolders() == ["20260114T030000Z"])
        #expect(OperationsTests.stagingFolders(output).isEmpty, "\(output.allFiles())")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: output.url("latest")) == "20260114T030000Z")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("a crash signal prints one fixed line, not the runtime's backtrace, and nothing of memory")
    func crashLine() async throws {
        let inputs = TemporaryFolder("crash-input")
        let keys = OperationsTests.keysFile(inputs, count: 40_000)
        let output = TemporaryFolder("crash")
        let result = try await CLI.run(
            ["run", "--from-snapshot", keys, "--output", output.path, "--now", Hardening.now],
            environment: CLI.environment()
        ) { process in
            // Delivered from outside, the signal takes the same handler a fault would.
            while process.isRunning, OperationsTests.stagingFolders(output).isEmpty {
                try await Task.sleep(for: .milliseconds(5))
            }
            kill(process.processIdentifier, SIGSEGV)
        }
        #expect(result.signalled && result.status == SIGSEGV, "\(result.status) \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("keyaudit: error: internal error (SIGSEGV)"), "\(result.stderr)")
        #expect(!result.stderr.contains("Backtrac") && !result.stderr.contains("0x"))
        #expect(output.runFolders().allSatisfy { $0.hasPrefix(".keyaudit-tmp-") }, "no run folder is committed")
        // What it left in its staging folder, the next run removes.
        let next = try await CLI.run(
            ["run", "--demo", "--output", output.path, "--now", "2026-11-25T03:00:00Z", "--quiet"],
            environment: CLI.environment())
        #expect(next.status == 0, "\(next.stderr)")
        #expect(OperationsTests.stagingFolders(output).isEmpty, "\(output.allFiles())")
    }

    @Test("a run older than the newest run folder (clock set back, a planted folder) is refused: 64, chain intact")
    func clockSetBack() async throws {
        let output = TemporaryFolder("clock")
        let first = try await CLI.run(["run", "--demo", "--output", output.path, "--now", "2026-11-26T03:00:00Z", "-q"])
        #expect(first.status == 0, "\(first.stderr)")
        let back = try await CLI.run(["run", "--demo", "--output", output.path, "--now", "2026-11-25T03:00:00Z", "-q"])
        #expect(back.status == 64, "\(back.stderr)")
        #expect(back.stderr.split(separator: "\n").count == 1, "\(back.stderr)")
        #expect(back.stderr.contains("20261126T030000Z") && back.stderr.contains("clock"), "\(back.stderr)")
        #expect(output.runFolders() == ["20261126T030000Z"])
        // The same second again is not going back: it gets a folder of its own, after the first.
        let same = try await CLI.run(["run", "--demo", "--output", output.path, "--now", "2026-11-26T03:00:00Z", "-q"])
        #expect(same.status == 0, "\(same.stderr)")
        // A folder planted far in the future is refused the same way, not chained to.
        let planted = output.url("20991231T000000Z")
        try FileManager.default.copyItem(atPath: output.url("20261126T030000Z"), toPath: planted)
        let next = try await CLI.run(["run", "--demo", "--output", output.path, "--now", "2026-11-27T03:00:00Z", "-q"])
        #expect(next.status == 64, "\(next.stderr)")
        #expect(next.stderr.contains("20991231T000000Z"), "\(next.stderr)")
        try FileManager.default.removeItem(atPath: planted)
        let verify = try await CLI.run(["verify", output.url("latest")])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test(
        "one-line contracts: a keygen comment that would break the allowed signers line, a key too short to be redacted, a layout wider than a sheet"
    )
    func smallContracts() async throws {
        let work = TemporaryFolder("small-contracts")
        for comment in ["a\nb", "two words", "a,b", "quote\"d", ""] {
            let key = work.url("k-\(comment.count)")
            let made = try await CLI.run(["keygen", key, "--comment", comment])
            #expect(made.status == 64, "\(comment): \(made.stdout)\(made.stderr)")
            #expect(!FileManager.default.fileExists(atPath: key), "\(comment)")
        }
        let good = try await CLI.run(["keygen", work.url("good"), "--comment", "audit@example.com"])
        #expect(good.status == 0 && good.stdout.contains("audit@example.com namespaces="), "\(good.stderr)")

        // Refused before anything is sent: the redaction would not recognise it in an echoed error.
        let short = try await CLI.run(
            ["run", "--base-url", "http://127.0.0.1:9/api/v1", "--output", work.url("out")],
            environment: CLI.environment(["OPENROUTER_MANAGEMENT_KEY": "abc12"]))
        #expect(short.status == 77, "\(short.stderr)")
        #expect(short.stderr.split(separator: "\n").count == 1 && short.stderr.contains("too short"))
        #expect(!short.stderr.contains("abc12"))

        let templates = work.url("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
        let columns = String(repeating: "      - { header: H, field: name }\n", count: 16_385)
        try Data("sheets:\n  - name: Keys\n    source: keys\n    columns:\n\(columns)".utf8).write(
            to: URL(fileURLWithPath: templates + "/report.xlsx.yml"))
        let wide = try await CLI.run([
            "run", "--demo", "--output", work.url("out"), "--templates", templates, "--format", "xlsx",
        ])
        #expect(wide.status == 64, "\(wide.stderr)")
        #expect(wide.stderr.contains("at most 16,384") && wide.stderr.split(separator: "\n").count == 1)
    }
}
