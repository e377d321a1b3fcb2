import ArgumentParser
import Foundation
import KeyAuditAPI
import KeyAuditCore
import KeyAuditReport
import KeyAuditRun
import Logging

/// How the Management API is reached: base URL, key, deadlines, retries (run, snapshot, apply).
struct APIOptions: ParsableArguments {
    @Option(
        name: .customLong("base-url"),
        help: ArgumentHelp(
            "Management API base URL (env OPENROUTER_BASE_URL). Plain http is refused except to loopback.",
            valueName: "url"))
    var baseURL: String?

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "Read the management key from this file (whitespace trimmed) instead of OPENROUTER_MANAGEMENT_KEY.",
            valueName: "path"))
    var keyFile: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Overall deadline for talking to the API, response bodies included, in seconds.", valueName: "seconds"))
    var timeout: Seconds = Seconds(600)

    @Option(
        name: .customLong("read-timeout"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "A request during which nothing arrives for this many seconds fails (and is retried).",
            valueName: "seconds"))
    var readTimeout: Seconds = Seconds(30)

    @Option(
        name: .customLong("max-retries"),
        parsing: .unconditional,
        help: ArgumentHelp("Retries of a failed request (429, 5xx, timeouts, resets), 0 to 20.", valueName: "n"))
    var maxRetries: Int = 5

    func validate() throws {
        for (flag, value) in [("--timeout", timeout.value), ("--read-timeout", readTimeout.value)] {
            guard value > 0, Checked.duration(seconds: value) != nil else {
                throw ValidationError(
                    "\(flag) must be a number of seconds above 0 and at most \(Checked.int(exactly: Checked.maximumSeconds) ?? 0) (a year)"
                )
            }
        }
        guard maxRetries >= 0 && maxRetries <= 20 else {
            throw ValidationError("--max-retries must be between 0 and 20")
        }
    }

    /// The API settings, with the key read now (from `--key-file` or the environment).
    func resolve(
        environment: [String: String], workspaces: [String] = [], concurrency: Int = 1, notes: inout [Diagnostic]
    ) throws(KeyAuditError) -> RunRequest.APISource {
        let baseURL = try BaseURL(self.baseURL ?? environment["OPENROUTER_BASE_URL"] ?? BaseURL.defaultValue)
        let (key, warning) = try ManagementKey.load(keyFile: keyFile, environment: environment)
        if let warning { notes.append(Diagnostic(stage: "key", message: warning)) }
        return RunRequest.APISource(
            baseURL: baseURL, key: key, workspaces: workspaces, concurrency: concurrency,
            retry: RetryPolicy(maxRetries: maxRetries), environment: environment,
            readTimeout: Checked.duration(seconds: readTimeout.value) ?? .seconds(30))
    }

    /// `--timeout` as a duration (checked by `validate()`).
    var timeoutDuration: Duration { Checked.duration(seconds: timeout.value) ?? .seconds(600) }
}

/// Where the keys come from and how the API is talked to.
struct SourceOptions: ParsableArguments {
    @OptionGroup var api: APIOptions

    @Option(
        name: .customLong("workspace"),
        help: ArgumentHelp("List only this workspace (repeatable). Default: every workspace.", valueName: "id"))
    var workspaces: [String] = []

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Most pages fetched in parallel (1 to 64); fewer while the API answers 429.", valueName: "n")
    )
    var concurrency: Int = 4

    @Option(
        name: .customLong("from-snapshot"),
        help: ArgumentHelp(
            "Read the keys from a file instead of the API: a snapshot.json, a GET /keys body {\"data\": [...]}, or a JSON array.",
            valueName: "path"))
    var fromSnapshot: String?

    @Flag(help: "Audit the embedded sample account instead of a real one (no key needed).")
    var demo = false

    func validate() throws {
        guard concurrency >= 1 && concurrency <= 64 else {
            throw ValidationError("--concurrency must be between 1 and 64")
        }
        guard !(demo && fromSnapshot != nil) else {
            throw ValidationError("--demo and --from-snapshot cannot be used together")
        }
    }

    /// Resolves the source; the key is only read when the API is used.
    func source(environment: [String: String], notes: inout [Diagnostic]) throws(KeyAuditError) -> RunRequest.Source {
        if demo { return .demo }
        if let fromSnapshot { return .file(fromSnapshot) }
        return .api(
            try api.resolve(
                environment: environment, workspaces: workspaces, concurrency: concurrency, notes: &notes))
    }

    /// `--timeout` as a duration (checked by `validate()`).
    var timeoutDuration: Duration { api.timeoutDuration }
}

/// `--output DIR`: the folder that holds the run folders (run, snapshot, diff --last, apply).
struct OutputFolderOption: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Folder that holds the run folders.", valueName: "dir"))
    var output: String = "reports"
}

/// `--templates DIR`: templates overriding the built-in ones file by file (run, render, diff --format md).
struct TemplatesOption: ParsableArguments {
    @Option(
        help: ArgumentHelp("Folder of templates overriding the built-in ones file by file.", valueName: "dir"))
    var templates: String?
}

/// `--format LIST`: the report files to write (run, render).
struct ReportFormatsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Report formats to write: md, html, xlsx (comma-separated).", valueName: "list"))
    var format: String = "md,html,xlsx"

    func formats() throws(KeyAuditError) -> [ReportFormat] { try ReportFormat.parseList(format) }
}

/// `--signing-key FILE` (or `KEYAUDIT_SIGNING_KEY_FILE`): the key that signs SHA256SUMS (run, snapshot, render).
struct SigningKeyOption: ParsableArguments {
    @Option(
        name: .customLong("signing-key"),
        help: ArgumentHelp(
            "Sign SHA256SUMS into SHA256SUMS.sig with this unencrypted OpenSSH Ed25519 private key (env KEYAUDIT_SIGNING_KEY_FILE; see keyaudit keygen).",
            valueName: "file"))
    var signingKey: String?

    /// The key, from the flag or else the environment, and a warning when others can read the file.
    func load(environment: [String: String]) throws(KeyAuditError) -> (key: SigningKey?, warning: String?) {
        if let signingKey { return try SigningKey.load(path: signingKey, what: "--signing-key") }
        if let path = environment["KEYAUDIT_SIGNING_KEY_FILE"], !path.isEmpty {
            return try SigningKey.load(path: path, what: "KEYAUDIT_SIGNING_KEY_FILE")
        }
        return (nil, nil)
    }
}

/// Where runs are written and which clock they use.
struct OutputOptions: ParsableArguments {
    @OptionGroup var folder: OutputFolderOption
    var output: String { folder.output }
    @OptionGroup var signing: SigningKeyOption

    @Option(
        help: ArgumentHelp(
            "Pin the run's clock (snapshot time, folder name, rule evaluation), e.g. 2026-11-26T03:00:00Z.",
            valueName: "iso8601"))
    var now: String?

    /// The first instant `--now` may name (1970-01-01) and the first it may not (10000-01-01): a run's clock
    /// names its folder and every date it writes, and dates outside these years cannot be written everywhere.
    static let clockRange = 0.0..<253_402_300_800.0

    func clock() throws(KeyAuditError) -> Date { try Self.parseClock(now) }

    /// `--now` as given (checked), or the current time.
    static func parseClock(_ now: String?) throws(KeyAuditError) -> Date {
        guard let now else { return Date() }
        let shown = Escaping.oneLine(now, limit: 60)
        guard let seconds = Timestamp.parse(now) else {
            throw .usage("--now \(shown) is not an ISO 8601 date-time; write e.g. 2026-11-26T03:00:00Z")
        }
        guard Self.clockRange.contains(seconds) else {
            throw .usage("--now \(shown) is outside the years 1970 to 9999; give a date in that range")
        }
        return Date(timeIntervalSince1970: seconds)
    }
}

/// What is written to stderr.
struct LoggingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print errors only.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print what the run does (pages, retries, files).")
    var verbose = false

    @Option(name: .customLong("log-format"), help: ArgumentHelp("Log line format.", valueName: "text|json"))
    var logFormat: LogFormat = .text

    func validate() throws {
        guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose cannot be used together") }
    }

    func makeLogger() -> Logger {
        let level: Logger.Level = quiet ? .error : (verbose ? .info : .warning)
        let format = logFormat
        var logger = Logger(label: "keyaudit") { _ in StderrLogHandler(format: format) }
        logger.logLevel = level
        return logger
    }
}

enum LogFormat: String, ExpressibleByArgument, Sendable, CaseIterable {
    case text, json
}

/// A number of seconds on the command line, shown in help as it is written (`600`, not `600.0`).
struct Seconds: ExpressibleByArgument, Sendable {
    var value: Double

    init(_ value: Double) { self.value = value }

    /// Decimal only: `Double` alone would also take `0x10` (16), `inf` and `nan`.
    init?(argument: String) {
        guard !argument.isEmpty, argument.allSatisfy({ "0123456789.eE+-".contains($0) }),
            let value = Double(argument)
        else { return nil }
        self.value = value
    }

    var defaultValueDescription: String {
        value == value.rounded() && abs(value) < 1e15 ? String(format: "%.0f", value) : String(value)
    }
}
