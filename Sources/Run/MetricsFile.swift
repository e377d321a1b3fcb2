import Foundation
import KeyAuditCore

/// Prometheus text exposition for node_exporter's textfile collector, written atomically (a temporary file
/// renamed over the target) on success and on failure, so monitoring always sees one whole file.
package enum MetricsFile {
    /// The metrics of a run that succeeded.
    package static func successText(started: Date, outcome: RunOutcome) -> String {
        var metrics = common(started: started, success: true)
        metrics.gauge(
            "keyaudit_keys", help: "Keys in the snapshot, by state.",
            samples: [
                (["state": "enabled"], Double(outcome.snapshot.enabledCount)),
                (["state": "disabled"], Double(outcome.snapshot.disabledCount)),
            ])
        if let audit = outcome.audit {
            var counts: [String: Int] = [:]
            for finding in audit.findings where !finding.suppressed {
                counts["\(finding.rule)\u{0}\(finding.severity.rawValue)", default: 0] += 1
            }
            metrics.gauge(
                "keyaudit_findings", help: "Unsuppressed findings of the last successful run, by rule and severity.",
                samples: counts.sorted { $0.key < $1.key }.map { key, count in
                    let parts = key.split(separator: "\u{0}").map(String.init)
                    return (["rule": parts[0], "severity": parts[1]], Double(count))
                })
            metrics.gauge(
                "keyaudit_suppressed_findings", help: "Findings suppressed by the policy.",
                samples: [([:], Double(audit.findings.count - audit.unsuppressedCount))])
        }
        metrics.counter(
            "keyaudit_api_requests_total", help: "HTTP requests made to the Management API by the last run.",
            value: Double(outcome.requests))
        metrics.counter(
            "keyaudit_api_retries_total", help: "Requests retried by the last run.", value: Double(outcome.retries))
        return metrics.text
    }

    /// The metrics of a run that failed with `error`.
    package static func failureText(started: Date, error: KeyAuditError) -> String {
        var metrics = common(started: started, success: false)
        metrics.gauge(
            "keyaudit_last_run_exit_code", help: "Exit code of the last run.", samples: [([:], Double(error.exitCode))])
        return metrics.text
    }

    /// Best effort, for a failure before the run could start (a bad policy file): a failure to write metrics must
    /// not hide the run's own error.
    package static func writeFailure(path: String, started: Date, error: KeyAuditError) {
        _ = (try? PendingMetrics(path: path))?.finish(failureText(started: started, error: error))
    }

    static func common(started: Date, success: Bool) -> Exposition {
        var metrics = Exposition()
        let now = Date()
        metrics.gauge(
            "keyaudit_last_run_timestamp_seconds", help: "When the last run ended (Unix time).",
            samples: [([:], now.timeIntervalSince1970.rounded())])
        metrics.gauge(
            "keyaudit_last_run_success", help: "1 when the last run succeeded, 0 when it failed.",
            samples: [([:], success ? 1 : 0)])
        metrics.gauge(
            "keyaudit_run_duration_seconds", help: "Wall time of the last run.",
            samples: [([:], (now.timeIntervalSince(started) * 1000).rounded() / 1000)])
        if let peak = peakResidentBytes() {
            metrics.gauge(
                "keyaudit_peak_resident_bytes", help: "Peak resident memory of the last run (for sizing its limit).",
                samples: [([:], Double(peak))])
        }
        return metrics
    }

    /// VmHWM of this process. Not `getrusage`'s ru_maxrss: a process started with vfork (posix_spawn, many
    /// schedulers) inherits its parent's peak in that figure, while VmHWM belongs to its own memory map.
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int(String($0)) })
        else { return nil }
        return kilobytes * 1024
    }

    /// The text format: HELP and TYPE lines, then samples with escaped label values.
    struct Exposition {
        var text = ""

        mutating func gauge(_ name: String, help: String, samples: [([String: String], Double)]) {
            family(name, type: "gauge", help: help, samples: samples)
        }

        mutating func counter(_ name: String, help: String, value: Double) {
            family(name, type: "counter", help: help, samples: [([:], value)])
        }

        private mutating func family(_ name: String, type: String, help: String, samples: [([String: String], Double)])
        {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                let labelText =
                    labels.isEmpty
                    ? ""
                    : "{"
                        + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }
                        .joined(separator: ",") + "}"
                text += "\(name)\(labelText) \(Self.number(value))\n"
            }
        }

        static func escape(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }

        static func number(_ value: Double) -> String {
            if abs(value) < 1e15, let whole = Checked.int64(exactly: value) { return String(whole) }
            return String(value)
        }
    }
}

/// `--metrics-file`, made ready before the run starts: its temporary file is created then, beside the target
/// (exclusive, never through a link), so a missing folder or a folder in the target's place fails the run at
/// once, before anything is committed. What is left for the end, writing a few hundred bytes into the open file
/// and renaming it over the target, cannot fail the run any more: a problem is returned as a warning.
package final class PendingMetrics: @unchecked Sendable {
    // @unchecked: `file` is guarded by `lock` (the run and the signal handler may both finish it; the first wins).
    package let path: String
    private let folder: Folder
    private let name: String
    private let temporary: String
    private let lock = NSLock()
    private var file: OutputFile?

    package init(path: String) throws(KeyAuditError) {
        self.path = path
        let directory = PathText.parent(of: path)
        name = (path as NSString).lastPathComponent
        temporary = "\(name).tmp.\(getpid())"
        guard !name.isEmpty, !path.hasSuffix("/") else {
            throw .usage("--metrics-file \(path) names a folder; give the path of a file, e.g. keyaudit.prom")
        }
        do {
            folder = try Folder(opening: directory.isEmpty ? "." : directory)
        } catch {
            throw .cannotWrite("--metrics-file \(path) cannot be written: \(error.message)")
        }
        if folder.kind(of: name) == .folder {
            throw .cannotWrite("--metrics-file \(path) is a folder; give the path of a file, e.g. keyaudit.prom")
        }
        do {
            // Read by node_exporter, which runs as another user; it holds no secret.
            file = try folder.replaceFile(temporary, mode: 0o644)
        } catch {
            throw .cannotWrite("cannot write --metrics-file \(path): \(error.message)")
        }
    }

    deinit { abandon() }

    /// Writes `text` and renames it over the target; nil on success, otherwise the problem, as a warning. Only
    /// the first call writes.
    package func finish(_ text: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let file else { return nil }
        self.file = nil
        do throws(KeyAuditError) {
            try file.write(Redaction.redact(text))
            try file.close()
            try folder.rename(temporary, to: name)
            return nil
        } catch {
            unlinkat(folder.descriptor, temporary, 0)
            return "--metrics-file \(path) was not updated: \(error.message)"
        }
    }

    /// Removes the temporary file unwritten.
    package func abandon() {
        lock.lock()
        defer { lock.unlock() }
        guard file != nil else { return }
        file = nil
        unlinkat(folder.descriptor, temporary, 0)
    }
}
