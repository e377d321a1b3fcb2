import Foundation
import KeyAuditAudit
import KeyAuditCore

/// The geometry of report.html's trend charts: findings by severity, keys and spend per run, as plain numbers
/// the template draws as inline SVG (rectangles, a polyline, text). Nothing here is markup: every label still
/// goes through the template's escaping, and the page needs no script and loads nothing (the CSP is unchanged).
enum TrendCharts {
    static let width = 440.0
    static let height = 210.0
    static let left = 58.0
    static let right = 12.0
    static let top = 26.0
    static let bottom = 30.0

    /// Severity colours, the same as the page's badges.
    static let colours: [Severity: String] = [
        .critical: "#7d1a1a", .high: "#b42318", .medium: "#c27c0e", .low: "#1f5fa8", .info: "#8c959f",
    ]

    static func charts(_ runs: [RunSummary]) -> [[String: Any]] {
        [findings(runs), keys(runs), spend(runs)]
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// An axis label: a whole number with thousands separators, for any finite value (no conversion to Int,
    /// which would trap on a spend of 1e19 from a hostile key).
    static func whole(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        let digits = String(format: "%.0f", abs(value))
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 && digits != "0" ? "-" : "") + grouped
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (at least 1).
    static func niceMaximum(_ value: Double) -> Double {
        guard value.isFinite, value > 1 else { return 1 }
        let magnitude = pow(10, (log10(value)).rounded(.down))
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    struct Frame {
        let runs: Int
        let maximum: Double
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
        var slot: Double { plotWidth / Double(max(runs, 1)) }
        var barWidth: Double { min(slot * 0.7, 40) }
        func x(_ index: Int) -> Double { left + slot * Double(index) + slot / 2 }
        func y(_ value: Double) -> Double { top + plotHeight - plotHeight * min(max(value / maximum, 0), 1) }
    }

    /// Grid lines with their labels, the axis line and the run labels under it (first, middle, last).
    static func frame(
        _ frame: Frame, runs: [RunSummary], label: (Double) -> String
    ) -> [String: Any] {
        let grid = [0.0, 0.5, 1.0].map { share -> [String: Any] in
            let value = frame.maximum * share
            return [
                "y": number(frame.y(value)), "x1": number(left), "x2": number(width - right),
                "label_x": number(left - 6), "label_y": number(frame.y(value) + 4.5), "label": label(value),
            ]
        }
        var picked = [0, runs.count - 1]
        if runs.count > 4 { picked.insert(runs.count / 2, at: 1) }
        let labels = picked.map { index -> [String: Any] in
            [
                "x": number(frame.x(index)), "y": number(height - bottom + 18),
                "text": String(ReportViewModel.day(runs[index].takenAt).dropFirst(5)),
            ]
        }
        return [
            "width": number(width), "height": number(height), "grid": grid, "x_labels": labels,
            "axis_y": number(frame.y(0)), "axis_x1": number(left), "axis_x2": number(width - right),
        ]
    }

    static func findings(_ runs: [RunSummary]) -> [String: Any] {
        let frame = Frame(runs: runs.count, maximum: niceMaximum(Double(runs.map(\.findings).max() ?? 0)))
        var bars: [[String: Any]] = []
        for (index, run) in runs.enumerated() {
            var base = 0.0
            let parts = Severity.descending.compactMap { severity -> String? in
                let value = run.bySeverity[severity] ?? 0
                return value > 0 ? "\(HumanReadable.count(value)) \(severity.rawValue)" : nil
            }
            let title =
                "\(run.run): \(HumanReadable.count(run.findings)) findings"
                + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
            for severity in Severity.descending {
                let value = Double(run.bySeverity[severity] ?? 0)
                guard value > 0 else { continue }
                let top = frame.y(base + value)
                bars.append([
                    "x": number(frame.x(index) - frame.barWidth / 2), "y": number(top),
                    "w": number(frame.barWidth), "h": number(max(frame.y(base) - top, 0.5)),
                    "fill": colours[severity] ?? "#8c959f", "title": title,
                ])
                base += value
            }
        }
        var chart = self.frame(frame, runs: runs, label: whole)
        chart["id"] = "trend-findings"
        chart["title"] = "Findings by severity per run (suppressed ones not counted)"
        chart["bars"] = bars
        chart["has_line"] = false
        chart["legend"] = legend(Severity.descending.map { ($0.rawValue, colours[$0] ?? "#8c959f") })
        return chart
    }

    static func keys(_ runs: [RunSummary]) -> [String: Any] {
        let frame = Frame(runs: runs.count, maximum: niceMaximum(Double(runs.map(\.keys).max() ?? 0)))
        var points: [String] = []
        var dots: [[String: Any]] = []
        for (index, run) in runs.enumerated() {
            let x = number(frame.x(index))
            let y = number(frame.y(Double(run.keys)))
            points.append("\(x),\(y)")
            dots.append([
                "cx": x, "cy": y,
                "title":
                    "\(run.run): \(HumanReadable.count(run.keys)) keys (\(HumanReadable.count(run.enabled)) enabled, \(HumanReadable.count(run.disabled)) disabled)",
            ])
        }
        var chart = self.frame(frame, runs: runs, label: whole)
        chart["id"] = "trend-keys"
        chart["title"] = "Keys per run"
        chart["bars"] = [[String: Any]]()
        chart["has_line"] = true
        chart["line"] = points.joined(separator: " ")
        chart["dots"] = dots
        chart["legend"] = legend([("keys", "#1b1f24")])
        return chart
    }

    static func spend(_ runs: [RunSummary]) -> [String: Any] {
        let frame = Frame(
            runs: runs.count, maximum: niceMaximum(runs.compactMap(\.spendSincePrevious).max() ?? 0))
        var bars: [[String: Any]] = []
        for (index, run) in runs.enumerated() {
            guard let spend = run.spendSincePrevious, spend > 0 else { continue }
            let top = frame.y(spend)
            bars.append([
                "x": number(frame.x(index) - frame.barWidth / 2), "y": number(top), "w": number(frame.barWidth),
                "h": number(max(frame.y(0) - top, 0.5)), "fill": "#2f6f4f",
                "title": "\(run.run): \(HumanReadable.money(spend)) since the run before",
            ])
        }
        var chart = self.frame(frame, runs: runs) { value in
            value >= 100 || value == 0 ? "$" + whole(value) : HumanReadable.money(value)
        }
        chart["id"] = "trend-spend"
        chart["title"] = "Spend since the previous run (USD)"
        chart["bars"] = bars
        chart["has_line"] = false
        chart["legend"] = legend([("spend", "#2f6f4f")])
        return chart
    }

    static func legend(_ items: [(String, String)]) -> [[String: Any]] {
        items.enumerated().map { index, item in
            [
                "x": number(left + Double(index) * 74), "y": "5", "text_x": number(left + Double(index) * 74 + 14),
                "text_y": "14", "text": item.0, "fill": item.1,
            ]
        }
    }
}
