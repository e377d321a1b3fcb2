import ArgumentParser
import Foundation
import KeyAuditCore
import KeyAuditReport
import KeyAuditRun

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two snapshots or run folders (exit 0 whatever it finds).",
        discussion: """
            Give the older and the newer snapshot.json or run folder, or --last N to compare the newest run under \
            --output with the run N-1 runs before it: --last 2 compares the two newest, --last 8 the newest with \
            the one a week earlier when runs are nightly.

            EXAMPLES
              keyaudit diff reports/20261125T030000Z reports/latest
              keyaudit diff --last 2 --output reports
              keyaudit diff --last 8 --format md > weekly-changes.md
              keyaudit diff old new --format json | jq .findings
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, md }

    @Argument(help: ArgumentHelp("The older snapshot.json or run folder.", valueName: "old"))
    var old: String?

    @Argument(help: ArgumentHelp("The newer snapshot.json or run folder.", valueName: "new"))
    var new: String?

    @Option(
        help: ArgumentHelp(
            "Compare the newest run under --output with the one N-1 runs before it (2: the two newest).",
            valueName: "n"))
    var last: Int?

    @OptionGroup var output: OutputFolderOption

    @Option(
        help: ArgumentHelp(
            "text, json (the diff.json document) or md (a Markdown section).", valueName: "text|json|md"))
    var format: Format = .text

    @OptionGroup var templates: TemplatesOption

    func validate() throws {
        if let last {
            guard (2...10_000).contains(last) else {
                throw ValidationError("--last takes a number of runs from 2 (the two newest) to 10000")
            }
            guard old == nil else { throw ValidationError("give either OLD NEW or --last N, not both") }
        } else {
            guard old != nil, new != nil else {
                throw ValidationError("give two snapshots or run folders: keyaudit diff OLD NEW (or --last N)")
            }
        }
    }

    func run() throws {
        do {
            var (oldPath, newPath) = (old ?? "", new ?? "")
            if let last {
                let runs = (try? OutputDirectory.open(output.output))?.runFolders() ?? []
                guard runs.count >= last else {
                    throw KeyAuditError.usage(
                        "--last \(last) needs \(last) run folders under \(output.output), found \(runs.count); give a smaller N or run keyaudit more often"
                    )
                }
                oldPath = (output.output as NSString).appendingPathComponent(runs[runs.count - last])
                newPath = (output.output as NSString).appendingPathComponent(runs[runs.count - 1])
            }
            let newer = try StoredRun.load(newPath)
            let diff = StoredRun.diff(from: try StoredRun.load(oldPath), to: newer)
            switch format {
            case .text:
                print(diff.textSummary(), terminator: "")
            case .json:
                print(String(decoding: diff.encoded(), as: UTF8.self), terminator: "")
            case .md:
                print(
                    try diff.markdown(templatesDirectory: templates.templates, current: newer.snapshot), terminator: "")
            }
        } catch let error as KeyAuditError {
            throw Terminal.fail(error, format: .text)
        }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render the reports of a stored run folder again (e.g. after editing templates), without network.",
        discussion: """
            Verifies RUN_DIR first and refuses (65) a folder whose files do not match its SHA256SUMS or whose \
            signature does not match; --force renders it anyway. Replaces the reports, records the re-render in \
            rerenders.json, refreshes SHA256SUMS and, with --signing-key, signs it again (otherwise a signature the \
            run had is removed: it would no longer match).
            """)

    @Argument(help: ArgumentHelp("The run folder.", valueName: "run-dir")) var runDirectory: String
    @OptionGroup var formats: ReportFormatsOption
    @OptionGroup var templates: TemplatesOption
    @OptionGroup var signing: SigningKeyOption

    @Flag(
        help:
            "Render a folder that fails verification; the files that did not match are recorded in it and `keyaudit verify` still reports them."
    )
    var force = false

    func run() throws {
        do {
            let folder = FileSystem.resolved(runDirectory) ?? runDirectory
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw KeyAuditError.malformedData("\(runDirectory) is not a run folder")
            }
            let (key, warning) = try signing.load(environment: ProcessInfo.processInfo.environment)
            if let warning { Terminal.writeError("keyaudit: warning: \(warning)\n") }
            let warnings = try RenderJob.render(
                runFolder: folder, formats: try formats.formats(), templatesDirectory: templates.templates,
                force: force, signingKey: key)
            for warning in warnings { Terminal.writeError("keyaudit: warning: \(warning.message)\n") }
        } catch let error as KeyAuditError {
            throw Terminal.fail(error, format: .text)
        }
    }
}
