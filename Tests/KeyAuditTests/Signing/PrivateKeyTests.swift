import Foundation
import Testing

@testable import KeyAuditCore

@Suite("Signing: OpenSSH private keys")
struct PrivateKeyTests {
    @Test("ssh-keygen -y reproduces the .pub line of a key we generated")
    func generatedKeyAcceptedBySSHKeygen() throws {
        let dir = try TempDirectory()
        let key = OpenSSHPrivateKey.generate(comment: "keyaudit@build-host")
        try dir.write("priv", key.privateKeyFileText)
        try dir.write("priv.pub", key.publicKeyLine)

        let derived = try SSHKeygen.succeed(["-y", "-f", "priv"], in: dir)
        #expect(derived.stdout == key.publicKeyLine)

        // ssh-keygen -l prints "256 SHA256:... comment (ED25519)".
        let listed = try SSHKeygen.succeed(["-l", "-f", "priv.pub"], in: dir)
        #expect(listed.stdout == "256 \(key.publicKey.fingerprint) keyaudit@build-host (ED25519)\n")
    }

    @Test("ssh-keygen -Y sign works with a key we generated")
    func sshKeygenSignsWithGeneratedKey() throws {
        let dir = try TempDirectory()
        let key = OpenSSHPrivateKey.generate(comment: "signer@example.com")
        try dir.write("priv", key.privateKeyFileText)
        let message = "0123abcd  report.csv\n"
        try dir.write("SHA256SUMS", message)

        try SSHKeygen.succeed(["-Y", "sign", "-f", "priv", "-n", "keyaudit", "SHA256SUMS"], in: dir)
        let signature = try dir.read("SHA256SUMS.sig")
        let signer = try SSHSignature.verify(armored: signature, message: Array(message.utf8), namespace: "keyaudit")
        #expect(signer == key.publicKey)
        #if !canImport(Darwin)
            // BoringSSL's Ed25519 is deterministic like OpenSSH's, so our signature is byte-identical.
            #expect(try SSHSignature.sign(message: Array(message.utf8), namespace: "keyaudit", key: key) == signature)
        #endif
    }

    @Test(
        "Keys from ssh-keygen parse and re-serialize byte-for-byte",
        arguments: [
            "", "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh", "user@some.host.example.org",
        ])
    func sshKeygenKeyRoundTrips(comment: String) throws {
        let dir = try TempDirectory()
        let url = try SSHKeygen.generate(comment: comment, in: dir)
        let fileText = try String(contentsOf: url, encoding: .utf8)
        let pubText = try String(contentsOf: url.appendingPathExtension("pub"), encoding: .utf8)

        let key = try OpenSSHPrivateKey(fileText: fileText)
        #expect(key.comment == comment)
        #expect(key.publicKeyLine == pubText)
        #expect(try key.publicKey == SSHPublicKey(openSSHText: pubText))

        // The check number sits right after the fixed-size header:
        // 15 magic + 8 "none" + 8 "none" + 4 kdfoptions + 4 nkeys + 55 public key + 4 section length.
        let decoded = SignatureFixtures.decodeArmor(fileText)
        let check = decoded[98..<102].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(key.privateKeyFileText(checkNumber: check) == fileText)
    }

    @Test("The file layout matches ssh-keygen's: 70-column lines, newline-terminated, padding 1,2,3...")
    func fileLayout() throws {
        let key = OpenSSHPrivateKey.generate(comment: "abc")
        let text = key.privateKeyFileText
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "-----BEGIN OPENSSH PRIVATE KEY-----")
        #expect(lines.dropLast().last == "-----END OPENSSH PRIVATE KEY-----")
        #expect(lines.last == "")
        #expect(lines.dropFirst().dropLast(2).allSatisfy { $0.count <= 70 })
        #expect(lines.dropFirst().dropLast(3).allSatisfy { $0.count == 70 })

        let decoded = SignatureFixtures.decodeArmor(text)
        // Section: 8 check + 15 type + 36 pk + 68 sk + 7 comment = 134 bytes, padded to 136 with 1, 2.
        #expect(decoded.suffix(2) == [1, 2])
        #expect(decoded[94..<98] == [0, 0, 0, 136])
        #expect(decoded[98..<102] == decoded[102..<106])

        let reparsed = try OpenSSHPrivateKey(fileText: text)
        #expect(reparsed.publicKey == key.publicKey)
        #expect(reparsed.comment == "abc")
        // A fresh random check number each time.
        #expect(Set((0..<4).map { _ in key.privateKeyFileText }).count > 1)
    }

    @Test("A passphrase-protected key is refused with instructions")
    func encryptedKey() throws {
        let dir = try TempDirectory()
        let url = try SSHKeygen.generate(passphrase: "secret", in: dir)
        let text = try String(contentsOf: url, encoding: .utf8)
        let error = #expect(throws: SigningError.self) { try OpenSSHPrivateKey(fileText: text) }
        #expect(error == .encryptedPrivateKey(cipher: "aes256-ctr", kdf: "bcrypt"))
        #expect(error?.message.contains("ssh-keygen -p -N '' -f FILE") == true)
        #expect(error?.message.contains("encrypted") == true)
    }

    @Test(
        "RSA and ECDSA keys are refused as unsupported",
        arguments: [("rsa", "ssh-rsa"), ("ecdsa", "ecdsa-sha2-nistp256")]
    )
    func unsupportedTypes(type: String, wireName: String) throws {
        let dir = try TempDirectory()
        let url = try SSHKeygen.generate(type: type, in: dir)
        let text = try String(contentsOf: url, encoding: .utf8)
        let error = #expect(throws: SigningError.self) { try OpenSSHPrivateKey(fileText: text) }
        #expect(error == .unsupportedKeyType(wireName))
        #expect(error?.message.contains("ssh-keygen -t ed25519") == true)
    }

    @Test("Differing check numbers are reported as corruption")
    func checkNumberMismatch() throws {
        let key = OpenSSHPrivateKey.generate(comment: "c")
        var decoded = SignatureFixtures.decodeArmor(key.privateKeyFileText(checkNumber: 0x0102_0304))
        decoded[105] ^= 0xFF
        let text = SignatureFixtures.armor(decoded, label: "OPENSSH PRIVATE KEY")
        #expect(throws: SigningError.privateKeyCheckMismatch) { try OpenSSHPrivateKey(fileText: text) }
    }

    @Test("Mismatched public and private halves are refused")
    func mismatchedHalves() throws {
        let key = OpenSSHPrivateKey.generate(comment: "c")
        let other = OpenSSHPrivateKey.generate(comment: "c")
        var decoded = SignatureFixtures.decodeArmor(key.privateKeyFileText(checkNumber: 7))
        let otherDecoded = SignatureFixtures.decodeArmor(other.privateKeyFileText(checkNumber: 7))
        // Swap in the other key's seed: the first half of the 64-byte secret field, which follows the section start
        // (98), the check numbers (8), the type (15), the public key (36) and the field's length (4).
        let seedStart = 98 + 8 + 15 + 36 + 4
        decoded.replaceSubrange(seedStart..<(seedStart + 32), with: otherDecoded[seedStart..<(seedStart + 32)])
        let text = SignatureFixtures.armor(decoded, label: "OPENSSH PRIVATE KEY")
        let error = #expect(throws: SigningError.self) { try OpenSSHPrivateKey(fileText: text) }
        guard case .malformedPrivateKey = error else {
            Issue.record("expected malformedPrivateKey, got \(String(describing: error))")
            return
        }
    }

    @Test("The private key never shows in description, debugDescription, dump or error messages")
    func secretHygiene() throws {
        let key = OpenSSHPrivateKey.generate(comment: "hygiene")
        let seed = Array(key.signingKey.rawRepresentation)
        let secretForms = [
            SignatureFixtures.hex(seed), Data(seed).base64EncodedString(),
            String(Data(seed).base64EncodedString().prefix(40)),
        ]
        var dumped = ""
        dump(key, to: &dumped)
        var mirrored = ""
        for child in Mirror(reflecting: key).children {
            mirrored += "\(child.label ?? ""): \(child.value)\n"
        }
        let printed = [
            key.description, key.debugDescription, String(describing: key), String(reflecting: key), "\(key)",
            dumped, mirrored,
        ]
        for text in printed {
            #expect(text.contains("redacted"))
            #expect(text.contains(key.publicKey.fingerprint))
            for secret in secretForms {
                #expect(!text.contains(secret))
            }
        }
        // Nor the seed as Swift prints an array.
        #expect(!printed.joined().contains("\(seed)"))
    }

    @Test("Writing the key file leaves the in-memory key intact")
    func exportDoesNotDamageKey() throws {
        let key = OpenSSHPrivateKey.generate(comment: "")
        let seed = Array(key.signingKey.rawRepresentation)
        let first = key.privateKeyFileText
        _ = key.privateKeyFileText
        #expect(Array(key.signingKey.rawRepresentation) == seed)
        #expect(seed != [UInt8](repeating: 0, count: 32))
        let armored = try SSHSignature.sign(message: [1, 2, 3], namespace: "n", key: key)
        #expect(try SSHSignature.verify(armored: armored, message: [1, 2, 3], namespace: "n") == key.publicKey)
        // Same seed, so the same deterministic signature as a key parsed back from the file.
        let reparsed = try OpenSSHPrivateKey(fileText: first)
        #expect(try SSHSignature.sign(message: [1, 2, 3], namespace: "n", key: reparsed) == armored)
    }

    @Test("Generated keys have distinct seeds and newline-free comments")
    func generation() throws {
        let first = OpenSSHPrivateKey.generate(comment: "line one\nline two")
        let second = OpenSSHPrivateKey.generate(comment: "")
        #expect(first.publicKey != second.publicKey)
        #expect(first.comment == "line one line two")
        #expect(first.publicKeyLine.filter { $0 == "\n" }.count == 1)
        #expect(second.publicKeyLine == second.publicKey.openSSHText + " \n")
        #expect(try OpenSSHPrivateKey(fileText: second.privateKeyFileText).comment == "")
    }
}
