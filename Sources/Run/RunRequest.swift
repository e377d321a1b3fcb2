import Foundation
import KeyAuditAPI
import KeyAuditAudit
import KeyAuditCore
import KeyAuditDiff
import KeyAuditReport
import KeyAuditSnapshot

/// Everything one `keyaudit run` (or `snapshot`) needs, resolved from flags, environment and files.
public struct RunRequest: Sendable {
    /// Where the keys come from.
    public enum Source: Sendable {
        case api(APISource)
        /// `--from-snapshot PATH`.
        case file(String)
        /// `--demo`: the embedded sample account.
        case demo
    }

    /// How to reach the Management API (neither `--from-snapshot` nor `--demo`).
    public struct APISource: Sendable {
        /// `--base-url`, else `OPENROUTER_BASE_URL`, else OpenRouter's production API.
        public var baseURL: BaseURL
        /// The management key, from `--key-file` or `OPENROUTER_MANAGEMENT_KEY`.
        public var key: ManagementKey
        /// Workspace ids given with `--workspace`; empty: every workspace `/workspaces` lists.
        public var workspaces: [String]
        /// The most key pages fetched in parallel (`--concurrency`, 1 to 64); fewer while the API answers 429.
        public var concurrency: Int
        /// How failed requests are retried (`--max-retries`).
        public var retry: RetryPolicy
        /// The process environment, read for `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy`.
        public var environment: [String: String]
        /// `--read-timeout`: a request during which nothing arrives for this long fails and is retried.
        public var readTimeout: Duration

        /// The API settings as given; nothing is checked or contacted here.
        public init(
            baseURL: BaseURL, key: ManagementKey, workspaces: [String], concurrency: Int, retry: RetryPolicy,
            environment: [String: String], readTimeout: Duration = .seconds(30)
        ) {
            self.baseURL = baseURL
            self.key = key
            self.workspaces = workspaces
            self.concurrency = concurrency
            self.retry = retry
            self.environment = environment
            self.readTimeout = readTimeout
        }
    }

    /// Where the keys come from: the API, a file, or the embedded demo account.
    public var source: Source
    /// `--output`: the folder holding the run folders, `latest` and the lock.
    public var output: String
    /// The run's clock: snapshot time, run folder name, rule evaluation.
    public var now: Date
    /// Overall deadline for talking to the API, response bodies included (`--timeout`).
    public var timeout: Duration
    /// `--previous PATH`; nil: the newest complete run folder under `output`.
    public var previousPath: String?
    /// `keyaudit snapshot`: store the snapshot only.
    public var snapshotOnly: Bool
    /// `--format`: the reports to write; none are written when `snapshotOnly`.
    public var formats: [ReportFormat]
    /// The policy in force: `--policy` with `--stale-after` applied, or the built-in defaults.
    public var policy: Policy
    /// `--fail-on`: when unsuppressed findings make the run exit 1.
    public var failOn: FailOn
    /// `--templates DIR`: files there override the default templates one by one.
    public var templatesDirectory: String?
    /// `--keep N`: complete run folders kept after a successful run.
    public var keep: Int?
    /// `--metrics-file PATH`: Prometheus textfile metrics, written on success and on failure.
    public var metricsFile: String?
    /// `--signing-key FILE` (or `KEYAUDIT_SIGNING_KEY_FILE`): signs SHA256SUMS into SHA256SUMS.sig before the
    /// commit; nil: the run is not signed.
    public var signingKey: SigningKey?
    /// Problems found while the request was resolved (a key file others can read): raised as the run's first
    /// diagnostics, so they reach its reports as well as stderr.
    package var notes: [Diagnostic] = []
    /// `--report-rows N`: rows per table in report.md/report.html (0: all).
    public var reportRowLimit: Int = ReportContext.defaultRowLimit

    /// A request; what is not given takes the command line's defaults (600 s timeout, every format,
    /// the built-in policy, `--fail-on never`).
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
    /// Path of the committed run folder under `output` (the one `latest` now points to).
    public var folder: String
    /// The snapshot stored in it; its keys' objects as received are already released (``KeyRecord/raw`` is empty).
    public var snapshot: Snapshot
    /// The audit; nil for `keyaudit snapshot`.
    public var audit: AuditResult?
    /// The comparison with the previous run; nil on a first run and for `keyaudit snapshot`.
    public var diff: SnapshotDiff?
    /// HTTP requests sent to the API, retries included; 0 when the keys came from a file or the demo.
    public var requests: Int
    /// Requests sent again after a transient failure; 0 when the keys came from a file or the demo.
    public var retries: Int
    /// `--fail-on` was reached: exit 1.
    public var failed: Bool
    /// Names of the old run folders `--keep` removed after the commit; empty without `--keep`.
    public var removedByRetention: [String]
    /// What the run recovered from, in the order raised (also in findings.json and the reports).
    public var diagnostics: [Diagnostic]
}
