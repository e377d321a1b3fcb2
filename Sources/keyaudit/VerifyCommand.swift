import ArgumentParser
import Foundation
import KeyAuditRun

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a run folder's SHA256SUMS and the chain of previous snapshots (exit 0 intact, 65 broken).",
        discussion: "This is what a reviewer runs on an attached run folder. Older runs are looked for beside it.")

    @Argument(help: ArgumentHelp("A run folder (or `latest`).", valueName: "run-dir")) var runDirectory: String
    @Flag(name: .shortAndLong, help: "Print nothing on success.") var quiet = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw Terminal.fail(
                .malformedData("\(runDirectory) is not a run folder; give the folder holding SHA256SUMS"), format: .text
            )
        }
        let report = ChainVerifier.verify(runFolder: (runDirectory as NSString).resolvingSymlinksInPath)
        if !quiet { for line in report.checked { print(line) } }
        if let broken = report.broken {
            throw Terminal.fail(.malformedData("verification failed: \(broken)"), format: .text)
        }
        if !quiet { print("intact: \(report.end)") }
    }
}
