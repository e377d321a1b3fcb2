import Foundation
import Testing

@testable import KeyAuditCore

@Suite("Signing: allowed signers")
struct AllowedSignersTests {
    let alice = OpenSSHPrivateKey.generate(comment: "alice")
    let bob = OpenSSHPrivateKey.generate(comment: "bob")

    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: text)!
    }

    @Test("Principal patterns: lists, * and ?, negation")
    func principalPatterns() throws {
        let signers = try AllowedSigners(
            text: """
                alice@example.com,alice@example.org \(alice.publicKey.openSSHText)
                *@corp.example,!mallory@corp.example \(bob.publicKey.openSSHText) bob's laptop
                ?ob@example.net \(bob.publicKey.openSSHText)
                """)
        let ns = "keyaudit"
        #expect(signers.isAllowed(identity: "alice@example.com", key: alice.publicKey, namespace: ns))
        #expect(signers.isAllowed(identity: "alice@example.org", key: alice.publicKey, namespace: ns))
        #expect(!signers.isAllowed(identity: "alice@example.net", key: alice.publicKey, namespace: ns))
        #expect(!signers.isAllowed(identity: "alice@example.com", key: bob.publicKey, namespace: ns))
        #expect(signers.isAllowed(identity: "bob@corp.example", key: bob.publicKey, namespace: ns))
        #expect(signers.isAllowed(identity: "@corp.example", key: bob.publicKey, namespace: ns))
        #expect(!signers.isAllowed(identity: "mallory@corp.example", key: bob.publicKey, namespace: ns))
        #expect(!signers.isAllowed(identity: "bob@corp.example.org", key: bob.publicKey, namespace: ns))
        #expect(signers.isAllowed(identity: "rob@example.net", key: bob.publicKey, namespace: ns))
        #expect(!signers.isAllowed(identity: "ob@example.net", key: bob.publicKey, namespace: ns))
        #expect(!signers.isAllowed(identity: "robb@example.net", key: bob.publicKey, namespace: ns))

        #expect(signers.principals(for: alice.publicKey, namespace: ns) == ["alice@example.com", "alice@example.org"])
        #expect(signers.principals(for: bob.publicKey, namespace: ns) == ["*@corp.example", "?ob@example.net"])
        #expect(signers.entries.count == 3)
        #expect(signers.entries.map(\.lineNumber) == [1, 2, 3])
    }

    @Test(
        "Pattern matcher edge cases",
        arguments: [
            ("abc", "abc", SSHPatternList.Result.matched),
            ("abc", "a*", .matched),
            ("abc", "*c", .matched),
            ("abc", "*", .matched),
            ("", "*", .matched),
            ("", "", .noMatch),
            ("abc", "a?c", .matched),
            ("abc", "a??c", .noMatch),
            ("abc", "ABC", .noMatch),
            ("aXbXc", "a*b*c", .matched),
            ("abcbc", "*bc", .matched),
            ("abc", "x,y,!abc", .negated),
            ("abc", "!x", .noMatch),
            ("abc", "x,,abc,", .matched),
            ("", "x,", .noMatch),
            ("", ",x", .matched),
            (String(repeating: "a", count: 60), String(repeating: "*a", count: 30) + "b", .noMatch),
        ])
    func patterns(string: String, list: String, expected: SSHPatternList.Result) {
        #expect(SSHPatternList.match(string, against: list) == expected)
    }

    @Test("Hostile patterns cost polynomial time, and overlong patterns never match")
    func hostilePatterns() {
        let identity = String(repeating: "a", count: 5000)
        let pattern = String(repeating: "*a", count: 500) + "b"
        let start = Date()
        #expect(SSHPatternList.match(identity, against: pattern) == .noMatch)
        #expect(Date().timeIntervalSince(start) < 10)
        let long = String(repeating: "x", count: 1023)
        #expect(SSHPatternList.match(long, against: long) == .noMatch)
        #expect(SSHPatternList.match(String(long.dropLast()), against: String(long.dropLast())) == .matched)
    }

    @Test("namespaces= restricts the namespaces a key may sign in")
    func namespaces() throws {
        let signers = try AllowedSigners(
            text: """
                a@x namespaces="git,key*" \(alice.publicKey.openSSHText)
                b@x NAMESPACES="file",cert-authority \(bob.publicKey.openSSHText)
                b@x namespaces="file" \(bob.publicKey.openSSHText)
                """)
        #expect(signers.isAllowed(identity: "a@x", key: alice.publicKey, namespace: "keyaudit"))
        #expect(signers.isAllowed(identity: "a@x", key: alice.publicKey, namespace: "git"))
        #expect(!signers.isAllowed(identity: "a@x", key: alice.publicKey, namespace: "file"))
        #expect(signers.principals(for: alice.publicKey, namespace: "file").isEmpty)
        #expect(signers.isAllowed(identity: "b@x", key: bob.publicKey, namespace: "file"))
        #expect(!signers.isAllowed(identity: "b@x", key: bob.publicKey, namespace: "keyaudit"))
        #expect(signers.entries[0].namespaces == "git,key*")
        #expect(signers.entries[1].isCertificateAuthority)
    }

    @Test("valid-after and valid-before bound the time a key is valid (UTC with Z)")
    func validityUTC() throws {
        let signers = try AllowedSigners(
            text: """
                a@x valid-after="20240101Z",valid-before="202406301200Z" \(alice.publicKey.openSSHText)
                b@x valid-before="20250102030405Z" \(bob.publicKey.openSSHText)
                """)
        let key = alice.publicKey
        #expect(!signers.isAllowed(identity: "a@x", key: key, namespace: "n", at: Self.utc("2023-12-31T23:59:59Z")))
        #expect(signers.isAllowed(identity: "a@x", key: key, namespace: "n", at: Self.utc("2024-01-01T00:00:00Z")))
        #expect(signers.isAllowed(identity: "a@x", key: key, namespace: "n", at: Self.utc("2024-06-30T12:00:00Z")))
        #expect(!signers.isAllowed(identity: "a@x", key: key, namespace: "n", at: Self.utc("2024-06-30T12:00:01Z")))
        #expect(signers.entries[1].validBefore == Self.utc("2025-01-02T03:04:05Z"))
        #expect(signers.entries[1].validAfter == nil)
        #expect(signers.principals(for: bob.publicKey, namespace: "n", at: Self.utc("2025-01-02T03:04:06Z")).isEmpty)
        #expect(signers.principals(for: bob.publicKey, namespace: "n", at: Self.utc("2025-01-02T03:04:05Z")) == ["b@x"])
        // Sub-second times compare by whole seconds, as OpenSSH's time_t does.
        let justAfter = Self.utc("2025-01-02T03:04:05Z").addingTimeInterval(0.5)
        #expect(signers.principals(for: bob.publicKey, namespace: "n", at: justAfter) == ["b@x"])
    }

    @Test("Times without Z are local, and the UTC suffix is accepted")
    func validityLocal() throws {
        let signers = try AllowedSigners(
            text: """
                a@x valid-after="20240315" \(alice.publicKey.openSSHText)
                b@x valid-after="20240315101112utc" \(bob.publicKey.openSSHText)
                """)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let local = calendar.date(from: DateComponents(year: 2024, month: 3, day: 15))
        #expect(signers.entries[0].validAfter == local)
        #expect(signers.entries[1].validAfter == Self.utc("2024-03-15T10:11:12Z"))
    }

    @Test("Comments, blank lines, CRLF, indentation, quoted principals and key comments")
    func layout() throws {
        let text = [
            "# allowed signers for the audit team",
            "",
            "   ",
            "  # indented comment",
            "\t\"a@x,b@x\" \(alice.publicKey.openSSHText) alice's key, with spaces\r",
            "c@x \(bob.publicKey.openSSHText)",
            "",
        ].joined(separator: "\n")
        let signers = try AllowedSigners(text: text)
        #expect(signers.entries.count == 2)
        #expect(signers.entries[0].lineNumber == 5)
        #expect(signers.entries[0].principals == "a@x,b@x")
        #expect(signers.entries[1].lineNumber == 6)
        #expect(signers.isAllowed(identity: "b@x", key: alice.publicKey, namespace: "n"))
        #expect(signers.isAllowed(identity: "c@x", key: bob.publicKey, namespace: "n"))
    }

    @Test(
        "Malformed lines are errors that name the line",
        arguments: [
            ("a@x", "missing key"),
            ("a@x ssh-ed25519", "missing"),
            ("a@x ssh-ed25519 AAAA!!!!", "invalid ssh-ed25519 key"),
            ("a@x ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==", "invalid ssh-ed25519 key"),
            ("a@x frobnicate KEY", "unknown option \"frobnicate\""),
            ("a@x namespaces=git KEY", "double quotes"),
            ("a@x namespaces=\"git KEY", "no closing quote"),
            ("a@x namespaces=\"a\",namespaces=\"b\" KEY", "more than one namespaces"),
            ("a@x valid-after=\"2024\" KEY", "invalid valid-after time"),
            ("a@x valid-after=\"20241301\" KEY", "invalid valid-after time"),
            ("a@x valid-before=\"20240101Q\" KEY", "invalid valid-before time"),
            ("a@x valid-after=\"19700101Z\" KEY", "invalid valid-after time"),
            ("a@x valid-after=\"20240102Z\",valid-before=\"20240101Z\" KEY", "valid-before is not after valid-after"),
            ("a@x cert-authority, KEY", "end with a comma"),
            ("a@x cert-authorityX KEY", "unknown option"),
            ("\"a@x KEY", "no closing quote"),
            ("a@x namespaces=\"a\"", "missing key"),
            ("a@x ssh-foo AAAAB3", "unknown option \"ssh-foo\""),
            ("a@x cert-authority ssh-bar AAAA", "unknown key type"),
        ])
    func malformed(line: String, expectedReason: String) throws {
        let key = alice.publicKey.openSSHText
        let text = "# header\n\nok@x \(key)\n" + line.replacingOccurrences(of: "KEY", with: key) + "\nok@y \(key)\n"
        let error = #expect(throws: SigningError.self) { try AllowedSigners(text: text) }
        guard case .allowedSignersSyntax(let lineNumber, let reason) = error else {
            Issue.record("expected a syntax error, got \(String(describing: error))")
            return
        }
        #expect(lineNumber == 4)
        #expect(reason.contains(expectedReason), "\(reason)")
        #expect(error?.message.hasPrefix("allowed signers line 4: ") == true)
    }

    @Test("cert-authority lines are kept but never match a plain key")
    func certAuthoritySkipped() throws {
        let signers = try AllowedSigners(
            text: """
                *@example.com cert-authority \(alice.publicKey.openSSHText)
                b@example.com \(bob.publicKey.openSSHText)
                """)
        #expect(signers.entries.count == 2)
        #expect(!signers.isAllowed(identity: "a@example.com", key: alice.publicKey, namespace: "n"))
        #expect(signers.principals(for: alice.publicKey, namespace: "n").isEmpty)
        #expect(signers.isAllowed(identity: "b@example.com", key: bob.publicKey, namespace: "n"))
    }

    @Test("Keys of other types are accepted in the file and simply never match an Ed25519 key")
    func otherKeyTypes() throws {
        let dir = try TempDirectory()
        _ = try SSHKeygen.generate(type: "rsa", in: dir)
        let rsa = try SSHPublicKey(openSSHText: dir.read("k.pub"))
        let signers = try AllowedSigners(text: "r@x \(rsa.openSSHText) rsa\na@x \(alice.publicKey.openSSHText)\n")
        #expect(signers.entries[0].publicKey.keyType == "ssh-rsa")
        #expect(signers.isAllowed(identity: "r@x", key: rsa, namespace: "n"))
        #expect(!signers.isAllowed(identity: "r@x", key: alice.publicKey, namespace: "n"))
    }

    @Test("Empty files allow nobody; files over 1 MiB are refused")
    func sizes() throws {
        let empty = try AllowedSigners(text: "")
        #expect(empty.entries.isEmpty)
        #expect(!empty.isAllowed(identity: "a@x", key: alice.publicKey, namespace: "n"))

        let line = "a@x \(alice.publicKey.openSSHText)\n"
        let big = String(repeating: line, count: AllowedSigners.maximumFileSize / line.utf8.count + 1)
        #expect(throws: SigningError.allowedSignersTooLarge(size: big.utf8.count, limit: 1 << 20)) {
            try AllowedSigners(text: big)
        }
        let dir = try TempDirectory()
        let url = try dir.write("allowed_signers", big)
        #expect(throws: KeyAuditError.self) { try AllowedSigners.load(path: url.path) }
        let fine = try dir.write("fine", String(repeating: line, count: 3))
        #expect(try AllowedSigners.load(path: fine.path).entries.count == 3)
        #expect(throws: KeyAuditError.self) { try AllowedSigners.load(path: dir.path("missing").path) }
        // A FIFO is refused at once instead of blocking.
        let fifo = dir.path("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: KeyAuditError.self) { try AllowedSigners.load(path: fifo) }
    }

    /// Cross-checks our decision with `ssh-keygen -Y verify` on the same allowed signers file, identity and
    /// namespace (at the current time; the dates used are far from now).
    @Test("Decisions agree with ssh-keygen -Y verify")
    func agreesWithSSHKeygen() throws {
        let dir = try TempDirectory()
        let message = Array("payload\n".utf8)
        try dir.write("msg", Data(message))
        try dir.write("msg.sig", SSHSignature.sign(message: message, namespace: "keyaudit", key: alice))
        let key = alice.publicKey.openSSHText
        let files = [
            "a@x \(key)",
            "*@x,!m@x \(key)",
            "a@x namespaces=\"keyaudit\" \(key)",
            "a@x namespaces=\"git,file\" \(key)",
            "a@x namespaces=\"key*\",valid-after=\"20000101Z\" \(key)",
            "a@x valid-after=\"29990101\" \(key)",
            "a@x valid-before=\"20000101\" \(key)",
            "a@x valid-after=\"20000101\",valid-before=\"29990101235959Z\" \(key)",
            "*@x cert-authority \(key)",
            "# only a comment\n\nb@x \(bob.publicKey.openSSHText)\na@x \(key)",
            "b@x \(key)",
        ]
        for (index, file) in files.enumerated() {
            try dir.write("allowed_signers", file + "\n")
            let signers = try AllowedSigners.load(path: dir.path("allowed_signers").path)
            for identity in ["a@x", "m@x", "b@x"] {
                let ours = signers.isAllowed(identity: identity, key: alice.publicKey, namespace: "keyaudit")
                let theirs = try SSHKeygen.run(
                    ["-Y", "verify", "-f", "allowed_signers", "-I", identity, "-n", "keyaudit", "-s", "msg.sig"],
                    stdinFile: dir.path("msg"),
                    in: dir
                )
                #expect(ours == (theirs.status == 0), "file \(index) identity \(identity): \(theirs.stderr)")
            }
        }
    }
}
