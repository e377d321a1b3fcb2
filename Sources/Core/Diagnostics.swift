import Foundation

/// A problem a run recovered from: it goes on, but a reviewer must hear of it (an unreadable previous run that
/// was skipped, a listing that fell back to the default workspace, a broken evidence chain).
///
/// Fatal problems are ``KeyAuditError``s; recoverable ones are these values, collected while the run goes
/// (``Diagnostics``), printed as warnings the moment they are raised, and written into findings.json and every
/// report. The few raised after the run folder is committed (retention) can only be printed.
public struct Diagnostic: Sendable, Equatable {
    /// The stage that raised it: `listing`, `previous`, `audit`, `retention`, …
    public var stage: String
    /// One line: what happened and what it means for the run (redacted, see ``Redaction``).
    public var message: String

    package init(stage: String, message: String) {
        self.stage = stage
        self.message = Redaction.redact(message)
    }

    package var json: JSONValue {
        .object(JSONObject([("stage", .string(stage)), ("message", .string(message))]))
    }
}

/// The diagnostics of one run, in the order raised. Shared by the stages (and threads) of the run.
package final class Diagnostics: @unchecked Sendable {
    // @unchecked: `items` is guarded by `lock`; `onRaise` is set once at creation.
    private let lock = NSLock()
    private var items: [Diagnostic] = []
    private let onRaise: @Sendable (Diagnostic) -> Void

    /// - Parameter onRaise: called with each diagnostic as it is raised (the run prints it as a warning).
    package init(onRaise: @escaping @Sendable (Diagnostic) -> Void = { _ in }) {
        self.onRaise = onRaise
    }

    package func raise(_ stage: String, _ message: String) {
        // Messages name files, keys and paths read from hostile places (a run folder's records, the API): one
        // line, control characters shown escaped, before they reach a terminal, a log or a report.
        let diagnostic = Diagnostic(stage: stage, message: Escaping.oneLine(message, limit: 4_000))
        lock.withLock { items.append(diagnostic) }
        onRaise(diagnostic)
    }

    package var all: [Diagnostic] { lock.withLock { items } }
}
