/// How much a finding matters, lowest first.
public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    var rank: Int {
        switch self {
        case .info: return 0
        case .low: return 1
        case .medium: return 2
        case .high: return 3
        case .critical: return 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// Most severe first, for reports.
    public static let descending: [Severity] = allCases.reversed()
}

/// When `keyaudit run` exits 1: `--fail-on`.
public enum FailOn: Sendable, Equatable {
    case severity(Severity)
    /// Any unsuppressed finding that is new since the previous run.
    case new
    case never

    /// Parses a `--fail-on` value: a severity name, `new` or `never`; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "new": self = .new
        case "never": self = .never
        default:
            guard let severity = Severity(rawValue: text) else { return nil }
            self = .severity(severity)
        }
    }

    /// The accepted `--fail-on` values, for help and error messages.
    public static let choices = "info, low, medium, high, critical, new, never"

    /// Whether these findings should fail the run.
    public func isTriggered(by findings: [Finding]) -> Bool {
        findings.contains(where: triggers)
    }

    /// How many of these findings fail the run.
    public func triggering(_ findings: [Finding]) -> Int {
        findings.count(where: triggers)
    }

    /// Whether this one finding fails the run.
    private func triggers(_ finding: Finding) -> Bool {
        switch self {
        case .never: return false
        case .new: return !finding.suppressed && finding.status == .new
        case .severity(let threshold): return !finding.suppressed && finding.severity >= threshold
        }
    }
}
