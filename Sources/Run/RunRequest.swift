import Foundation
import KeyAuditCore
import KeyAuditAPI
import KeyAuditSnapshot
import KeyAuditAudit
import KeyAuditDiff
import KeyAuditReport
import KeyAuditSampleAccount

/// Everything one `keyaudit run` (or `snapshot`) needs, resolved from flags, environment and files.
package struct RunRequest: Sendable {
    package enum Source: Sendable {
        case api(APISource)
        /// `--from-snapshot PATH`.
        case file(String)
        /// `--demo`: the embedded sample account.
        case demo
    }

    package struct APISource: Sendable {
        package var baseURL: BaseURL
        package var key: ManagementKey
        package var workspaces: [String]
        package var concurrency: Int
        package var retry: RetryPolicy
        package var environment: [String: String]

        package init(
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

    package var source: Source
    package var output: String
    /// The run's clock: snapshot time, run folder name, rule evaluation.
    package var now: Date
    /// Overall deadline for talking to the API.
    package var timeout: Duration
    /// `--previous PATH`; nil: the newest complete run folder under `output`.
    package var previousPath: String?
    /// `keyaudit snapshot`: store the snapshot only.
    package var snapshotOnly: Bool
    package var formats: [ReportFormat]
    package var policy: Policy
    package var failOn: FailOn
    /// `--templates DIR`: files there override the default templates one by one.
    package var templatesDirectory: String?
    /// `--keep N`: complete run folders kept after a successful run.
    package var keep: Int?
    /// `--metrics-file PATH`: Prometheus textfile metrics, written on success and on failure.
    package var metricsFile: String?
    /// Problems found while the request was resolved (a key file others can read): raised as the run's first
    /// diagnostics, so they reach its reports as well as stderr.
    package var notes: [Diagnostic] = []
    /// `--report-rows N`: rows per table in report.md/report.html (0: all).
    package var reportRowLimit: Int = ReportContext.defaultRowLimit

    package init(
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
package struct RunOutcome: Sendable {
    package var folder: String
    package var snapshot: Snapshot
    package var audit: AuditResult?
    package var diff: SnapshotDiff?
    package var requests: Int
    package var retries: Int
    /// `--fail-on` was reached: exit 1.
    package var failed: Bool
    package var removedByRetention: [String]
    /// What the run recovered from, in the order raised (also in findings.json and the reports).
    package var diagnostics: [Diagnostic]
}
