import Foundation

/// Every fatal problem keyaudit can report, each carrying what the user needs to act on it.
///
/// The exit code of each case is decided here and nowhere else (sysexits.h values), so the
/// README's table, `--help` and the behaviour cannot drift apart.
public enum KeyAuditError: Error, Sendable, Equatable {
    /// Bad flags, a bad policy, template or layout file, an unusable base URL (64).
    case usage(String)
    /// Data from the API or an input file that cannot be understood (65).
    case malformedData(String)
    /// The API could not be reached or kept failing after retries (69).
    case apiUnavailable(String)
    /// The output folder or a file in it cannot be written (73).
    case cannotWrite(String)
    /// Another run holds the lock on the output folder (75).
    case locked(String)
    /// The management key was missing or rejected (77).
    case keyRejected(String)
    /// The run was stopped by a signal (129 for SIGHUP, 130 for SIGINT, 131 for SIGQUIT, 143 for SIGTERM).
    case interrupted(signal: Int32)

    /// The process exit code for this error.
    public var exitCode: Int32 {
        switch self {
        case .usage: return ExitStatus.usage
        case .malformedData: return ExitStatus.dataError
        case .apiUnavailable: return ExitStatus.unavailable
        case .cannotWrite: return ExitStatus.cannotCreate
        case .locked: return ExitStatus.tempFail
        case .keyRejected: return ExitStatus.noPermission
        case .interrupted(let signal): return 128 + signal
        }
    }

    /// The one line printed on stderr: cause and what to do. Redacted (``Redaction``): an API error that echoes the
    /// management key, or a path that holds a secret, never carries it further.
    public var message: String {
        switch self {
        case .usage(let text), .malformedData(let text), .apiUnavailable(let text), .cannotWrite(let text),
            .locked(let text), .keyRejected(let text):
            return Escaping.oneLine(Redaction.redact(text), limit: 4000)
        case .interrupted(let signal):
            return
                "interrupted by signal \(signal): the run was stopped, no run folder was written and `latest` is unchanged"
        }
    }
}

extension KeyAuditError: CustomStringConvertible {
    public var description: String { message }
}

extension KeyAuditError {
    /// The same error with `text` replaced by `replacement` in its message (a path shown as the user knows it).
    package func replacingInMessage(_ text: String, with replacement: String) -> KeyAuditError {
        func fix(_ message: String) -> String { message.replacingOccurrences(of: text, with: replacement) }
        switch self {
        case .usage(let message): return .usage(fix(message))
        case .malformedData(let message): return .malformedData(fix(message))
        case .apiUnavailable(let message): return .apiUnavailable(fix(message))
        case .cannotWrite(let message): return .cannotWrite(fix(message))
        case .locked(let message): return .locked(fix(message))
        case .keyRejected(let message): return .keyRejected(fix(message))
        case .interrupted: return self
        }
    }
}

/// The exit codes keyaudit uses (see README, "Exit codes").
public enum ExitStatus {
    /// 0: success (`EX_OK`).
    public static let success: Int32 = 0
    /// Findings at or above `--fail-on`.
    public static let findings: Int32 = 1
    /// 64 (`EX_USAGE`): usage or configuration error: flags, policy file, templates, XLSX layout, base URL.
    public static let usage: Int32 = 64
    /// 65 (`EX_DATAERR`): malformed data from the API or a corrupt input file (`verify`: a broken chain).
    public static let dataError: Int32 = 65
    /// 69 (`EX_UNAVAILABLE`): the API is unavailable after retries, or `--timeout` was reached.
    public static let unavailable: Int32 = 69
    /// 73 (`EX_CANTCREAT`): the output cannot be written (permissions, full disk).
    public static let cannotCreate: Int32 = 73
    /// 75 (`EX_TEMPFAIL`): another run holds the lock on the output folder.
    public static let tempFail: Int32 = 75
    /// 77 (`EX_NOPERM`): the management key is missing or was rejected (401, or 403: not a management key).
    public static let noPermission: Int32 = 77
}
