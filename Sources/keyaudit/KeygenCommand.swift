import ArgumentParser
import Foundation
import KeyAuditCore

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an Ed25519 signing key pair: FILE (private, mode 0600) and FILE.pub.",
        discussion: """
            The files are in OpenSSH's formats, as ssh-keygen -t ed25519 -N '' writes them (a key made by \
            ssh-keygen works as well). Give FILE to keyaudit run --signing-key; give reviewers the allowed \
            signers line printed here (it holds the public key only). Existing files are never replaced.
            """)

    @Argument(help: ArgumentHelp("The private key file to create (FILE.pub is created beside it).", valueName: "file"))
    var file: String

    @Option(
        help: ArgumentHelp(
            "Comment stored in the key, and the identity in the allowed signers line.", valueName: "text"))
    var comment: String?

    func validate() throws {
        // The comment is also the principal of the allowed signers line printed below: one field of one line,
        // which whitespace would end, a comma split into two principals, and a quote or a newline break.
        if let comment,
            comment.isEmpty
                || !comment.unicodeScalars.allSatisfy({
                    $0.value > 0x20 && $0.value < 0x7F && !",\"'".unicodeScalars.contains($0)
                })
        {
            throw ValidationError(
                "--comment is the identity in the allowed signers line: give one word of printable ASCII without spaces, commas or quotes, e.g. audit@example.com"
            )
        }
    }

    func run() throws {
        do throws(KeyAuditError) {
            let identity = comment ?? "keyaudit@\(ProcessInfo.processInfo.hostName)"
            let key = SigningKey.generate(comment: identity)
            try key.write(to: file)
            let principal = identity.contains(" ") || identity.isEmpty ? "keyaudit" : identity
            print("wrote \(file) (private key, mode 0600: keep it secret) and \(file).pub")
            print("fingerprint: \(key.fingerprint)")
            print(
                "allowed signers line for reviewers (ssh-keygen -Y verify -f allowed_signers -I \(principal) -n keyaudit):"
            )
            print("\(principal) namespaces=\"keyaudit\" \(key.publicKeyText)")
        } catch {
            throw Terminal.fail(error, format: .text)
        }
    }
}
