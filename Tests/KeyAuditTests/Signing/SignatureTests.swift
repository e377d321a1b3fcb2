import Crypto
import Foundation
import Testing

@testable import KeyAuditCore

@Suite("Signing: SSH signatures")
struct SignatureTests {
    static let message = Array("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  report.json\n".utf8)

    /// Writes `key` as an allowed signer for someone@example.com and the message to `SHA256SUMS`.
    private func setUp(_ dir: TempDirectory, key: SSHPublicKey, options: String = "") throws {
        let optionField = options.isEmpty ? "" : options + " "
        try dir.write("allowed_signers", "someone@example.com \(optionField)\(key.openSSHText) comment here\n")
        try dir.write("SHA256SUMS", Data(Self.message))
    }

    private func sshVerify(
        _ dir: TempDirectory,
        namespace: String = "keyaudit",
        identity: String = "someone@example.com",
        messageFile: String = "SHA256SUMS"
    ) throws -> SSHKeygen.Result {
        try SSHKeygen.run(
            ["-Y", "verify", "-f", "allowed_signers", "-I", identity, "-n", namespace, "-s", "SHA256SUMS.sig"],
            stdinFile: dir.path(messageFile),
            in: dir
        )
    }

    @Test("Our signatures verify with ssh-keygen -Y verify; altered message and wrong namespace are rejected")
    func ourSignatureVerifiesWithSSHKeygen() throws {
        let dir = try TempDirectory()
        let key = OpenSSHPrivateKey.generate(comment: "signer")
        try setUp(dir, key: key.publicKey)
        let armored = try SSHSignature.sign(message: Self.message, namespace: "keyaudit", key: key)
        try dir.write("SHA256SUMS.sig", armored)

        let good = try sshVerify(dir)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("Good \"keyaudit\" signature for someone@example.com"))
        #expect(good.stdout.contains(key.publicKey.fingerprint))

        var altered = Self.message
        altered[0] ^= 0x01
        try dir.write("altered", Data(altered))
        #expect(try sshVerify(dir, messageFile: "altered").status != 0)
        #expect(try sshVerify(dir, namespace: "file").status != 0)
        #expect(try sshVerify(dir, identity: "other@example.com").status != 0)

        // And ssh-keygen -Y find-principals finds the signer from our signature.
        let found = try SSHKeygen.succeed(
            ["-Y", "find-principals", "-f", "allowed_signers", "-s", "SHA256SUMS.sig"],
            in: dir
        )
        #expect(found.stdout == "someone@example.com\n")
    }

    @Test("Signatures by ssh-keygen -Y sign verify with ours; altered message throws")
    func sshKeygenSignatureVerifiesWithOurs() throws {
        let dir = try TempDirectory()
        let url = try SSHKeygen.generate(comment: "other@example.com", in: dir)
        try dir.write("SHA256SUMS", Data(Self.message))
        try SSHKeygen.succeed(["-Y", "sign", "-f", url.lastPathComponent, "-n", "keyaudit", "SHA256SUMS"], in: dir)
        let armored = try dir.read("SHA256SUMS.sig")
        let expected = try SSHPublicKey(openSSHText: dir.read("k.pub"))

        let signer = try SSHSignature.verify(armored: armored, message: Self.message, namespace: "keyaudit")
        #expect(signer == expected)
        #expect(signer.keyType == "ssh-ed25519")
        #expect(signer.ed25519RawKey?.count == 32)
        let listed = try SSHKeygen.succeed(["-l", "-f", "k.pub"], in: dir)
        #expect(listed.stdout.split(separator: " ")[1] == Substring(signer.fingerprint))

        var altered = Self.message
        altered[altered.count - 2] ^= 0x20
        #expect(throws: SigningError.signatureMismatch) {
            try SSHSignature.verify(armored: armored, message: altered, namespace: "keyaudit")
        }
        #expect(throws: SigningError.signatureMismatch) {
            try SSHSignature.verify(armored: armored, message: Self.message.dropLast(), namespace: "keyaudit")
        }
        #expect(throws: SigningError.namespaceMismatch(expected: "git", found: "keyaudit")) {
            try SSHSignature.verify(armored: armored, message: Self.message, namespace: "git")
        }
        let parsed = try SSHSignature(armored: armored)
        #expect(parsed.namespace == "keyaudit")
        #expect(parsed.hashAlgorithm == "sha512")
    }

    @Test("sha256 signatures from ssh-keygen -O hashalg=sha256 verify too")
    func sha256Signature() throws {
        let dir = try TempDirectory()
        let url = try SSHKeygen.generate(in: dir)
        try dir.write("SHA256SUMS", Data(Self.message))
        try SSHKeygen.succeed(
            ["-Y", "sign", "-f", url.lastPathComponent, "-n", "keyaudit", "-O", "hashalg=sha256", "SHA256SUMS"],
            in: dir
        )
        let armored = try dir.read("SHA256SUMS.sig")
        #expect(try SSHSignature(armored: armored).hashAlgorithm == "sha256")
        try SSHSignature.verify(armored: armored, message: Self.message, namespace: "keyaudit")
        #expect(throws: SigningError.signatureMismatch) {
            try SSHSignature.verify(armored: armored, message: Self.message + [0x0A], namespace: "keyaudit")
        }
    }

    #if !canImport(Darwin)
        // Ed25519 in BoringSSL and OpenSSH is deterministic, so identical inputs give identical files. CryptoKit on
        // Apple platforms randomizes Ed25519 signatures, hence the platform condition.
        @Test(
            "Our armored output is byte-identical to ssh-keygen's, including when the base64 fills whole lines",
            arguments: ["keyaudit", "n", String(repeating: "x", count: 40), String(repeating: "y", count: 145)]
        )
        func byteIdenticalToSSHKeygen(namespace: String) throws {
            let dir = try TempDirectory()
            let url = try SSHKeygen.generate(in: dir)
            let key = try OpenSSHPrivateKey(fileText: String(contentsOf: url, encoding: .utf8))
            try dir.write("SHA256SUMS", Data(Self.message))
            try SSHKeygen.succeed(["-Y", "sign", "-f", url.lastPathComponent, "-n", namespace, "SHA256SUMS"], in: dir)
            let theirs = try dir.read("SHA256SUMS.sig")
            let ours = try SSHSignature.sign(message: Self.message, namespace: namespace, key: key)
            #expect(ours == theirs)
        }
    #endif

    @Test("Armor: 70-column lines, markers, final newline; whole-line base64 has no blank line")
    func armorLayout() throws {
        let key = OpenSSHPrivateKey.generate(comment: "")
        // 170 bytes of fixed fields + a 40-byte namespace = 210 bytes = 280 base64 characters = exactly 4 lines.
        for namespace in ["keyaudit", String(repeating: "x", count: 40)] {
            let armored = try SSHSignature.sign(message: [1, 2, 3], namespace: namespace, key: key)
            #expect(armored.hasPrefix("-----BEGIN SSH SIGNATURE-----\n"))
            #expect(armored.hasSuffix("\n-----END SSH SIGNATURE-----\n"))
            let lines = armored.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(!lines.dropLast().contains(""))
            #expect(lines.dropFirst().dropLast(2).allSatisfy { $0.count <= 70 })
            #expect(lines.dropFirst().dropLast(3).allSatisfy { $0.count == 70 })
            try SSHSignature.verify(armored: armored, message: [1, 2, 3], namespace: namespace)
        }
    }

    @Test("CRLF line ends and surrounding whitespace are accepted")
    func lenientWhitespace() throws {
        let key = OpenSSHPrivateKey.generate(comment: "")
        let armored = try SSHSignature.sign(message: Data("m".utf8), namespace: "ns", key: key)
        let crlf = "\n  " + armored.replacingOccurrences(of: "\n", with: "\r\n") + "\n\n"
        #expect(try SSHSignature.verify(armored: crlf, message: Data("m".utf8), namespace: "ns") == key.publicKey)
        #expect(throws: SigningError.self) {
            try SSHSignature.verify(armored: armored + "trailing", message: Data("m".utf8), namespace: "ns")
        }
    }

    @Test("Unsupported hash algorithms, versions and key types are refused")
    func unsupportedContents() throws {
        let key = OpenSSHPrivateKey.generate(comment: "")
        let good = try SSHSignature(armored: SSHSignature.sign(message: [9], namespace: "ns", key: key))

        func rebuilt(version: UInt32 = 1, keyBlob: [UInt8]? = nil, hash: String = "sha512") -> String {
            var writer = SSHWire.Writer()
            writer.writeRaw(Array("SSHSIG".utf8))
            writer.writeUInt32(version)
            writer.writeString(keyBlob ?? good.publicKey.wireBlob)
            writer.writeString("ns")
            writer.writeString([UInt8]())
            writer.writeString(hash)
            writer.writeString(good.signatureBlob)
            return SignatureFixtures.armor(writer.bytes, label: "SSH SIGNATURE")
        }
        // Rebuilding with our writer and Foundation's encoder reproduces the original exactly.
        #expect(try SSHSignature.verify(armored: rebuilt(), message: [9], namespace: "ns") == key.publicKey)
        #expect(throws: SigningError.unsupportedHashAlgorithm("md5")) {
            try SSHSignature.verify(armored: rebuilt(hash: "md5"), message: [9], namespace: "ns")
        }
        #expect(throws: SigningError.signatureMismatch) {
            try SSHSignature.verify(armored: rebuilt(hash: "sha256"), message: [9], namespace: "ns")
        }
        #expect(throws: SigningError.unsupportedSignatureVersion(2)) {
            try SSHSignature.verify(armored: rebuilt(version: 2), message: [9], namespace: "ns")
        }
        var rsaBlob = SSHWire.Writer()
        rsaBlob.writeString("ssh-rsa")
        rsaBlob.writeString([1, 0, 1])
        rsaBlob.writeString([0, 0xC3, 0x55])
        #expect(throws: SigningError.unsupportedKeyType("ssh-rsa")) {
            try SSHSignature.verify(armored: rebuilt(keyBlob: rsaBlob.bytes), message: [9], namespace: "ns")
        }
        // Another Ed25519 key in place of the signer's: the signature no longer matches.
        let other = OpenSSHPrivateKey.generate(comment: "")
        #expect(throws: SigningError.signatureMismatch) {
            try SSHSignature.verify(armored: rebuilt(keyBlob: other.publicKey.wireBlob), message: [9], namespace: "ns")
        }
    }

    @Test("An RSA signature made by ssh-keygen is refused as an unsupported key type")
    func rsaSignatureFromSSHKeygen() throws {
        let dir = try TempDirectory()
        let url = try SSHKeygen.generate(type: "rsa", in: dir)
        try dir.write("SHA256SUMS", Data(Self.message))
        try SSHKeygen.succeed(["-Y", "sign", "-f", url.lastPathComponent, "-n", "keyaudit", "SHA256SUMS"], in: dir)
        #expect(throws: SigningError.unsupportedKeyType("ssh-rsa")) {
            try SSHSignature.verify(armored: dir.read("SHA256SUMS.sig"), message: Self.message, namespace: "keyaudit")
        }
    }

    @Test("Empty namespaces are refused for signing and verifying")
    func emptyNamespace() throws {
        let key = OpenSSHPrivateKey.generate(comment: "")
        #expect(throws: SigningError.emptyNamespace) {
            try SSHSignature.sign(message: [1], namespace: "", key: key)
        }
        let armored = try SSHSignature.sign(message: [1], namespace: "x", key: key)
        #expect(throws: SigningError.emptyNamespace) {
            try SSHSignature.verify(armored: armored, message: [1], namespace: "")
        }
    }

    @Test("Public key text parsing and fingerprints")
    func publicKeys() throws {
        let key = OpenSSHPrivateKey.generate(comment: "x")
        let parsed = try SSHPublicKey(openSSHText: key.publicKeyLine)
        #expect(parsed == key.publicKey)
        #expect(try SSHPublicKey(wireBlob: parsed.wireBlob) == parsed)
        #expect(try SSHPublicKey(ed25519: parsed.ed25519RawKey ?? []) == parsed)
        #expect(parsed.fingerprint.hasPrefix("SHA256:"))
        #expect(parsed.fingerprint.count == 7 + 43)
        #expect(!parsed.fingerprint.contains("="))
        let digest = Data(SHA256.hash(data: parsed.wireBlob)).base64EncodedString()
        #expect(parsed.fingerprint == "SHA256:" + digest.trimmingCharacters(in: CharacterSet(charactersIn: "=")))

        // The type in the text must match the blob.
        let mislabeled = "ssh-rsa " + key.publicKey.openSSHText.split(separator: " ")[1]
        #expect(throws: SigningError.self) { try SSHPublicKey(openSSHText: mislabeled) }
        #expect(throws: SigningError.self) { try SSHPublicKey(openSSHText: "ssh-ed25519") }
        #expect(throws: SigningError.self) { try SSHPublicKey(ed25519: [UInt8](repeating: 0, count: 31)) }
    }
}
