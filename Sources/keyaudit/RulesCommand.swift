import ArgumentParser
import Foundation
import KeyAuditAudit
import KeyAuditCore

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "List the audit rules: id, default severity, what they catch and how to fix it."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: ArgumentHelp("Output format.", valueName: "text|json")) var format: Format = .text

    func run() throws {
        switch format {
        case .json:
            print(JSONWriter.string(RuleDescriptions.json, style: .pretty(indent: 2, level: 0)))
        case .text:
            for rule in RuleCatalog.all {
                print("\(rule.id)  [\(rule.defaultSeverity.rawValue)]  \(rule.title)")
                if let note = rule.severityNote { print("    severity: \(note)") }
                print("    risk: \(rule.risk)")
                print("    fix:  \(rule.remediation)")
                print("    evidence: \(rule.evidenceFields.joined(separator: ", "))")
                print("")
            }
        }
    }
}

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with policy files.", subcommands: [Init.self, Check.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a commented starting policy file (to stdout, or to a file that must not exist yet).")

        @Argument(help: ArgumentHelp("File to create; omit to print the policy.", valueName: "file"))
        var file: String?

        func run() throws {
            guard let file else {
                print(PolicyFile.starter, terminator: "")
                return
            }
            // Never replaces a file, nor writes through a link planted at its name (even one pointing nowhere).
            do throws(KeyAuditError) {
                try FileSystem.createNew(file, mode: 0o644, bytes: Array(PolicyFile.starter.utf8))
            } catch {
                throw Terminal.fail(error, format: .text)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a policy file and print the policy it sets (exit 64 with file:line on an error).")

        @Argument(help: ArgumentHelp("The policy file.", valueName: "file")) var file: String

        func run() throws {
            do throws(KeyAuditError) {
                let policy = try PolicyFile.load(path: file)
                print(JSONWriter.string(FindingsDocument.policyJSON(policy), style: .pretty(indent: 2, level: 0)))
            } catch {
                throw Terminal.fail(error, format: .text)
            }
        }
    }
}
