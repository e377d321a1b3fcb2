import ArgumentParser
import Foundation
import KeyAuditAPI
import KeyAuditCore
import KeyAuditRun
import Logging

/// Log lines on stderr, as text (`keyaudit: warning: …`) or JSON (one object per line).
///
/// Nothing keyaudit logs carries the management key: the key lives in `ManagementKey`, whose description
/// is a placeholder, and the HTTP layer never logs headers.
struct StderrLogHandler: LogHandler {
    let format: LogFormat
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let message = event.message.description
        let line: String
        switch format {
        case .text:
            let prefix = event.level >= .warning ? "\(event.level == .warning ? "warning" : "error"): " : ""
            // On a terminal, first clear the progress line the message would otherwise be glued to.
            line = (Terminal.stderrIsTerminal ? "\r\u{1B}[K" : "") + "keyaudit: \(prefix)\(message)\n"
        case .json:
            var fields = [
                ("time", Timestamp.format(Date())), ("level", event.level.rawValue), ("message", message),
            ]
            for (key, value) in (metadata.merging(event.metadata ?? [:]) { _, new in new }).sorted(by: {
                $0.key < $1.key
            }) {
                fields.append((key, "\(value)"))
            }
            line = Terminal.jsonLine(fields) + "\n"
        }
        Terminal.writeError(line)
    }
}

enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    /// Writes `text` to stderr, redacted (see ``Redaction``): the one way anything reaches stderr.
    static func writeError(_ text: String) {
        var text = Redaction.redact(text)
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    /// One compact JSON object per line, escaped by the project's JSON writer.
    static func jsonLine(_ fields: [(String, String)]) -> String {
        JSONWriter.string(.object(JSONObject(fields.map { ($0.0, .string($0.1)) })), style: .compact)
    }

    /// How a command ends with an error: the exit code, after one line on stderr (or the help text on stdout
    /// for `--help` and `--version`, which exit 0). Errors keyaudit raised were printed where they were turned
    /// into an exit code; swift-argument-parser's usage errors (three lines starting `Error:` by default)
    /// become one line here.
    static func finish<Command: ParsableCommand>(_ error: any Error, command: Command.Type) -> Int32 {
        let code = command.exitCode(for: error).rawValue
        if code == ExitStatus.success { command.exit(withError: error) }
        if error is ExitCode { return code }
        if let error = error as? KeyAuditError { return fail(error, format: .text).rawValue }
        let lines = command.message(for: error).split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        var cause = lines.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 }.joined(separator: "; ")
        if cause.isEmpty { cause = "\(error)" }
        // "See 'keyaudit run --help' for more information." names the command the usage error is about.
        let full = command.fullMessage(for: error, columns: 1_000)
        var help = "keyaudit --help"
        if let start = full.range(of: "See '"), let end = full[start.upperBound...].firstIndex(of: "'") {
            help = String(full[start.upperBound..<end])
        }
        // `run` is the default command, so a mistyped command reads as an argument to `run`: say what it is.
        let commands = Command.configuration.subcommands.map { $0._commandName }
        if let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-"), !commands.isEmpty,
            !commands.contains(first), cause.contains("Unexpected argument '\(first)'")
        {
            cause = "unknown command '\(first)'; the commands are \(commands.joined(separator: ", "))"
            help = "keyaudit --help"
        }
        let usage = code == ExitStatus.usage
        writeError("keyaudit: error: \(Escaping.oneLine(cause, limit: 2_000))\(usage ? "; see `\(help)`" : "")\n")
        return code
    }

    /// Prints the error as one line and turns it into the documented exit code.
    static func fail(_ error: KeyAuditError, format: LogFormat) -> ArgumentParser.ExitCode {
        switch format {
        case .text:
            writeError("keyaudit: error: \(error.message)\n")
        case .json:
            writeError(
                jsonLine([
                    ("time", Timestamp.format(Date())), ("level", "error"), ("message", error.message),
                    ("exit_code", String(error.exitCode)),
                ]) + "\n")
        }
        return ArgumentParser.ExitCode(error.exitCode)
    }

    /// A progress line that rewrites itself, only when stderr is a terminal (never under cron).
    static func progress(enabled: Bool) -> (@Sendable (Int, Int) -> Void)? {
        guard enabled, stderrIsTerminal else { return nil }
        return { pages, keys in writeError("\r\u{1B}[Kkeyaudit: \(pages) pages, \(keys) keys") }
    }

    /// `reports/20261126T030000Z: 250 keys, 41 findings (3 new)`: what a run on a terminal ends with.
    static func summary(_ outcome: RunOutcome) -> String {
        let keys = outcome.snapshot.keys.count
        var line = "\(outcome.folder): \(HumanReadable.count(keys)) key\(keys == 1 ? "" : "s")"
        if let audit = outcome.audit {
            let findings = audit.unsuppressedCount
            let new = audit.findings.count { !$0.suppressed && $0.status == .new }
            line +=
                ", \(HumanReadable.count(findings)) finding\(findings == 1 ? "" : "s") (\(HumanReadable.count(new)) new)"
        }
        return line
    }

    static func endProgress(enabled: Bool) {
        if enabled, stderrIsTerminal { writeError("\r\u{1B}[K") }
    }
}

/// `print` for this module: stdout passes the same redaction as stderr (see ``Redaction``), so what the commands
/// print (diff summaries, policies, verify lines, run summaries) cannot carry a secret either. It shadows
/// `Swift.print` in the command-line target on purpose: a new `print` cannot bypass it.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator) + terminator
    Swift.print(Redaction.redact(text), terminator: "")
}
