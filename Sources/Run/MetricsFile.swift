import Foundation
import KeyAuditCore

/// Prometheus text exposition for node_exporter's textfile collector, written atomically (a temporary file
/// renamed over the target) on success and on failure, so monitoring always sees one whole file.
package enum MetricsFile {
    package static func writeSuccess(path: String, started: Date, outcome: RunOutcome) throws(KeyAuditError) {
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
        try write(metrics.text, to: path)
    }

    /// Best effort: a failure to write metrics must not hide the run's own error.
    package static func writeFailure(path: String, started: Date, error: KeyAuditError) {
        var metrics = common(started: started, success: false)
        metrics.gauge(
            "keyaudit_last_run_exit_code", help: "Exit code of the last run.", samples: [([:], Double(error.exitCode))])
        try? write(metrics.text, to: path)
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
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kilobytes * 1024
    }

    static func write(_ text: String, to path: String) throws(KeyAuditError) {
        let temporary = path + ".tmp.\(getpid())"
        do {
            try FileSystem.write(Array(text.utf8), to: temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        chmod(temporary, 0o644)  // read by node_exporter, which runs as another user; holds no secret
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite("cannot write --metrics-file \(path): \(reason)")
        }
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
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
    }
}
