import Foundation
import Testing

@testable import KeyAuditCore

/// Every malformed input must throw a `SigningError`; none may trap. (The typed `throws(SigningError)` API means a
/// test only has to survive the call: a trap would kill the whole test process.)
@Suite("Signing: hostile inputs")
struct SigningHostileInputTests {
    @Test("Empty and whitespace-only files throw")
    func emptyInputs() {
        for text in ["", "\n", "   \r\n\t"] {
            #expect(throws: SigningError.notAnOpenSSHPrivateKey) { try OpenSSHPrivateKey(fileText: text) }
            #expect(throws: SigningError.notAnSSHSignature) { try SSHSignature(armored: text) }
        }
        #expect(throws: SigningError.self) { try OpenSSHPrivateKey(fileContents: [UInt8]()) }
        #expect(throws: SigningError.self) { try SSHSignature(wireBytes: []) }
        #expect(throws: SigningError.self) { try SSHPublicKey(wireBlob: [UInt8]()) }
        #expect(throws: SigningError.self) { try SSHPublicKey(openSSHText: "") }
        #expect(throws: SigningError.self) {
            try OpenSSHPrivateKey(fileText: "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n")
        }
        #expect(throws: SigningError.self) {
            try SSHSignature(armored: "-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n")
        }
    }

    @Test("Truncated, garbage and non-canonical base64 throws")
    func badBase64() throws {
        let key = OpenSSHPrivateKey.generate(comment: "x")
        let keyText = key.privateKeyFileText
        let signature = try SSHSignature.sign(message: [1], namespace: "n", key: key)
        for text in [keyText, signature] {
            let lines = text.split(separator: "\n").map(String.init)
            // Drop a body line: still valid base64 characters, but the structure is cut short.
            let missingLine = ([lines[0]] + lines[2...]).joined(separator: "\n") + "\n"
            // Cut in the middle of a line: the base64 no longer decodes.
            let cut = lines[0] + "\n" + String(lines[1].prefix(33)) + "\n" + lines[lines.count - 1] + "\n"
            let garbage = lines[0] + "\n" + "!!!! not base64 @@@@\n" + lines[lines.count - 1] + "\n"
            let noFooter = lines.dropLast().joined(separator: "\n")
            let padInside = lines[0] + "\nAA==AAAA\n" + lines[lines.count - 1] + "\n"
            let nonCanonical = lines[0] + "\nAB==\n" + lines[lines.count - 1] + "\n"
            for broken in [missingLine, cut, garbage, noFooter, padInside, nonCanonical] {
                #expect(throws: SigningError.self) { try OpenSSHPrivateKey(fileText: broken) }
                #expect(throws: SigningError.self) { try SSHSignature(armored: broken) }
            }
        }
        #expect(SSHBase64.decode(Array("AB==".utf8)) == nil)
        #expect(SSHBase64.decode(Array("AA==".utf8)) == [0])
        #expect(SSHBase64.decode(Array("AAA".utf8)) == nil)
        #expect(SSHBase64.decode(Array("A===".utf8)) == nil)
        #expect(SSHBase64.decode(Array("AAAA\n".utf8)) == nil)
        #expect(SSHBase64.decode(Array("AA\nAA".utf8), allowWhitespace: true) == [0, 0, 0])
        #expect(SSHBase64.decode([0xFF, 0x80, 0x00, 0x41]) == nil)
    }

    @Test("Huge declared lengths throw without allocating")
    func hugeLengths() {
        var reader = SSHWire.Reader([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]) { .malformedSignature(reason: $0) }
        #expect(throws: SigningError.self) { try reader.readString("field") }
        var short = SSHWire.Reader([0, 0, 0]) { .malformedSignature(reason: $0) }
        #expect(throws: SigningError.self) { try short.readUInt32("number") }
        var negative = SSHWire.Reader([1, 2]) { .malformedSignature(reason: $0) }
        #expect(throws: SigningError.self) { try negative.readBytes(count: -1, "bytes") }
        #expect(throws: SigningError.self) { try negative.readBytes(count: Int.max, "bytes") }

        for length: UInt32 in [0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 1 << 20, 60] {
            // A signature whose public key claims `length` bytes.
            var signature = SSHWire.Writer()
            signature.writeRaw(Array("SSHSIG".utf8))
            signature.writeUInt32(1)
            signature.writeUInt32(length)
            signature.writeRaw([0, 0, 0, 11] + Array("ssh-ed25519".utf8))
            #expect(throws: SigningError.self) { try SSHSignature(wireBytes: signature.bytes) }
            let armored = SignatureFixtures.armor(signature.bytes, label: "SSH SIGNATURE")
            #expect(throws: SigningError.self) { try SSHSignature(armored: armored) }

            // A private key whose cipher name, and then whose private section, claims `length` bytes.
            var cipher = SSHWire.Writer()
            cipher.writeRaw(OpenSSHPrivateKey.magic)
            cipher.writeUInt32(length)
            cipher.writeRaw(Array("none".utf8))
            #expect(throws: SigningError.self) {
                try OpenSSHPrivateKey(fileText: SignatureFixtures.armor(cipher.bytes, label: "OPENSSH PRIVATE KEY"))
            }
            let valid = SignatureFixtures.decodeArmor(OpenSSHPrivateKey.generate(comment: "").privateKeyFileText)
            var section = Array(valid[..<94])
            section += (0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * $0)) }
            section += valid[98...]
            #expect(throws: SigningError.self) {
                try OpenSSHPrivateKey(fileText: SignatureFixtures.armor(section, label: "OPENSSH PRIVATE KEY"))
            }
        }
    }

    @Test("Oversized inputs are refused before decoding")
    func oversized() {
        let big =
            "-----BEGIN SSH SIGNATURE-----\n" + String(repeating: "AAAA", count: 20_000) + "\n"
            + "-----END SSH SIGNATURE-----\n"
        #expect(throws: SigningError.self) { try SSHSignature(armored: big) }
        let bigKey =
            "-----BEGIN OPENSSH PRIVATE KEY-----\n" + String(repeating: "AAAA", count: 20_000) + "\n"
            + "-----END OPENSSH PRIVATE KEY-----\n"
        #expect(throws: SigningError.self) { try OpenSSHPrivateKey(fileText: bigKey) }
    }

    @Test("Error messages are one line and echo hostile text only shortened and without control characters")
    func messages() {
        let hostile = String(repeating: "A", count: 500) + "\u{1B}[31m\nnext line"
        let errors: [SigningError] = [
            .encryptedPrivateKey(cipher: hostile, kdf: "bcrypt"),
            .unsupportedKeyType(hostile),
            .namespaceMismatch(expected: "keyaudit", found: hostile),
            .unsupportedHashAlgorithm(hostile),
            .allowedSignersSyntax(line: 3, reason: "unknown option \"\(SigningError.clean(hostile))\""),
        ]
        for error in errors {
            #expect(!error.message.contains("\n"))
            #expect(!error.message.contains("\u{1B}"))
            #expect(error.message.count < 400)
            #expect(error.description == error.message)
        }
    }

    /// Mutates a valid input thousands of times (flip, set, insert or delete bytes; truncate) at both the armored
    /// text level and the decoded binary level (re-armored, so the wire parser sees every mutation).
    @Test("Seeded mutation loop: private keys and signatures never trap")
    func mutationLoop() throws {
        var rng = MutationGenerator(seed: 0x5EED_0F_55_5316)
        let key = OpenSSHPrivateKey.generate(comment: "fuzz@example.com")
        let keyText = Array(key.privateKeyFileText.utf8)
        let keyBinary = SignatureFixtures.decodeArmor(key.privateKeyFileText)
        let message = Array("a  b\n".utf8)
        let signatureText = Array(try SSHSignature.sign(message: message, namespace: "keyaudit", key: key).utf8)
        let signatureBinary = SignatureFixtures.decodeArmor(String(decoding: signatureText, as: UTF8.self))

        var keysParsed = 0
        var signaturesVerified = 0
        for round in 0..<3000 {
            let mutatedKeyText = Self.mutate(keyText, using: &rng)
            if (try? OpenSSHPrivateKey(fileText: String(decoding: mutatedKeyText, as: UTF8.self))) != nil {
                keysParsed += 1
            }
            let mutatedKeyBinary = Self.mutate(keyBinary, using: &rng)
            let rearmoredKey = SignatureFixtures.armor(mutatedKeyBinary, label: "OPENSSH PRIVATE KEY")
            if let parsed = try? OpenSSHPrivateKey(fileText: rearmoredKey) {
                keysParsed += 1
                // Whatever survives parsing must still be a coherent key.
                let armored = try SSHSignature.sign(message: message, namespace: "n", key: parsed)
                #expect(try SSHSignature.verify(armored: armored, message: message, namespace: "n") == parsed.publicKey)
            }

            let mutatedSignatureText = Self.mutate(signatureText, using: &rng)
            let text = String(decoding: mutatedSignatureText, as: UTF8.self)
            if (try? SSHSignature.verify(armored: text, message: message, namespace: "keyaudit")) != nil {
                signaturesVerified += 1
            }
            let mutatedSignatureBinary = Self.mutate(signatureBinary, using: &rng)
            if (try? SSHSignature(wireBytes: mutatedSignatureBinary).verify(message: message, namespace: "keyaudit"))
                != nil
            {
                // A changed binary signature must never verify.
                #expect(mutatedSignatureBinary == signatureBinary, "round \(round) verified a mutated signature")
            }
            _ = try? AllowedSigners(text: String(decoding: mutatedSignatureText, as: UTF8.self))
        }
        // Some mutations are harmless (whitespace in the armor, a changed comment byte); the loop is only useful if
        // most are not, and if the harmless ones still work.
        #expect(keysParsed < 3000)
        #expect(signaturesVerified < 3000)
    }

    /// One to three random edits, or a truncation.
    static func mutate(_ input: [UInt8], using rng: inout MutationGenerator) -> [UInt8] {
        var bytes = input
        if Int.random(in: 0..<8, using: &rng) == 0 {
            return Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
        }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !bytes.isEmpty else {
                break
            }
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1:
                bytes[index] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
            default:
                bytes.remove(at: index)
            }
        }
        return bytes
    }
}
