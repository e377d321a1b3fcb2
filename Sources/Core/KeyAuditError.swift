import Foundation

/// Every fatal problem keyaudit can report, each carrying what the user needs to act on it.
///
/// The exit code of each case is decided here and nowhere else (sysexits.h values), so the
/// README's table, `--help` and the behaviour cannot drift apart.
package enum KeyAuditError: Error, Sendable, Equatable {
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
    /// The run was stopped by a signal (130 for SIGINT, 143 for SIGTERM).
    case interrupted(signal: Int32)

    /// The process exit code for this error.
    package var exitCode: Int32 {
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

    /// The one line printed on stderr: cause and what to do.
    package var message: String {
        switch self {
        case .usage(let text), .malformedData(let text), .apiUnavailable(let text), .cannotWrite(let text),
            .locked(let text), .keyRejected(let text):
            return text
        case .interrupted(let signal):
            return
                "interrupted by signal \(signal): the run was stopped, no run folder was written and `latest` is unchanged"
        }
    }
}

extension KeyAuditError: CustomStringConvertible {
    package var description: String { message }
}

/// The exit codes keyaudit uses (see README, "Exit codes").
package enum ExitStatus {
    package static let success: Int32 = 0
    /// Findings at or above `--fail-on`.
    package static let findings: Int32 = 1
    package static let usage: Int32 = 64
    package static let dataError: Int32 = 65
    package static let unavailable: Int32 = 69
    package static let cannotCreate: Int32 = 73
    package static let tempFail: Int32 = 75
    package static let noPermission: Int32 = 77
}
