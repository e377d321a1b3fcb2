import Foundation

/// Everything one `keyaudit run` (or `snapshot`) needs, resolved from flags, environment and files.
public struct RunRequest: Sendable {
    public enum Source: Sendable {
        case api(APISource)
        /// `--from-snapshot PATH`.
        case file(String)
        /// `--demo`: the embedded sample account.
        case demo
    }

    public struct APISource: Sendable {
        public var baseURL: BaseURL
        public var key: ManagementKey
        public var workspaces: [String]
        public var concurrency: Int
        public var retry: RetryPolicy
        public var environment: [String: String]

        public init(
            baseURL: BaseURL, key: ManagementKey, workspaces: [String], concurrency: Int, retry: RetryPolicy,
            environment: [String: String]
        ) {
            self.baseURL = baseURL
            self.key = key
            self.workspaces = workspaces
            self.concurrency = concurrency
            self.retry = retry
            self.environment = environment
        }
    }

    public var source: Source
    public var output: String
    /// The run's clock: snapshot time, run folder name, rule evaluation.
    public var now: Date
    /// Overall deadline for talking to the API.
    public var timeout: Duration
    /// `--previous PATH`; nil: the newest complete run folder under `output`.
    public var previousPath: String?
    /// `keyaudit snapshot`: store the snapshot only.
    public var snapshotOnly: Bool
    public var formats: [ReportFormat]
    public var policy: Policy
    public var failOn: FailOn
    /// `--templates DIR`: files there override the default templates one by one.
    public var templatesDirectory: String?
    /// `--keep N`: complete run folders kept after a successful run.
    public var keep: Int?
    /// `--report-rows N`: rows per table in report.md/report.html (0: all).
    public var reportRowLimit: Int = ReportContext.defaultRowLimit

    public init(
        source: Source, output: String, now: Date, timeout: Duration = .seconds(600), previousPath: String? = nil,
        snapshotOnly: Bool = false, formats: [ReportFormat] = ReportFormat.allCases, policy: Policy = Policy(),
        failOn: FailOn = .never, templatesDirectory: String? = nil, keep: Int? = nil
    ) {
        self.source = source
        self.output = output
        self.now = now
        self.timeout = timeout
        self.previousPath = previousPath
        self.snapshotOnly = snapshotOnly
        self.formats = formats
        self.policy = policy
        self.failOn = failOn
        self.templatesDirectory = templatesDirectory
        self.keep = keep
    }
}

/// What a finished run produced, for the exit code, the metrics and the closing log line.
public struct RunOutcome: Sendable {
    public var folder: String
    public var snapshot: Snapshot
    public var audit: AuditResult?
    public var diff: SnapshotDiff?
    public var requests: Int
    public var retries: Int
    /// `--fail-on` was reached: exit 1.
    public var failed: Bool
    public var removedByRetention: [String]
}

/// Report formats (`--format md,html,xlsx`).
public enum ReportFormat: String, Sendable, CaseIterable {
    case md, html, xlsx

    public var fileName: String { "report.\(rawValue)" }

    /// Parses `md,html,xlsx`.
    public static func parseList(_ text: String) throws(KeyAuditError) -> [ReportFormat] {
        var formats: [ReportFormat] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let format = ReportFormat(rawValue: name == "markdown" ? "md" : name) else {
                throw .usage("--format \(text): unknown format \"\(name)\"; choose from md, html, xlsx")
            }
            if !formats.contains(format) { formats.append(format) }
        }
        guard !formats.isEmpty else { throw .usage("--format is empty; choose from md, html, xlsx") }
        return formats
    }
}
