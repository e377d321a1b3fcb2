import Foundation
import KeyAuditCore

/// `keyaudit verify RUN_DIR`: every file against SHA256SUMS, then the chain of `previous.sha256` back
/// through older run folders, each of which is checked the same way.
public enum ChainVerifier {
    /// The outcome of `verify(runFolder:)`: intact when `broken` is nil.
    public struct Report: Sendable {
        /// One line per check made, for stdout.
        public var checked: [String] = []
        /// The first broken link, if any.
        public var broken: String?
        /// Why the walk stopped (first run, or an older run not present).
        public var end: String = ""
    }

    /// Checks `runFolder` against its SHA256SUMS, then follows `previous` to older run folders beside it and
    /// checks each the same way, until the first run, a run no longer present, or the first broken link.
    public static func verify(runFolder: String) -> Report {
        var report = Report()
        var folder = URL(fileURLWithPath: runFolder).standardizedFileURL.path
        var visited = Set<String>()
        while true {
            guard visited.insert(folder).inserted else {
                report.broken = "\(folder): the chain of previous snapshots loops back on itself"
                return report
            }
            if let problem = checkSums(folder, report: &report) {
                report.broken = problem
                return report
            }
            let snapshotPath = (folder as NSString).appendingPathComponent("snapshot.json")
            guard let data = FileManager.default.contents(atPath: snapshotPath),
                let document = try? JSONParser.parse([UInt8](data))
            else {
                report.broken = "\(snapshotPath): missing or not valid JSON"
                return report
            }
            guard let previous = document["previous"], let object = previous.objectValue,
                let path = object["path"]?.stringValue, let recorded = object["sha256"]?.stringValue
            else {
                report.end = "\((folder as NSString).lastPathComponent) is the first run of the chain"
                return report
            }
            if path.hasPrefix("demo:") {
                report.end = "the chain starts at the embedded demo account"
                return report
            }
            let outputFolder = (folder as NSString).deletingLastPathComponent
            let candidate = path.hasPrefix("/") ? path : (outputFolder as NSString).appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: candidate) else {
                report.end =
                    "\(path) is not present (pruned by --keep, or not part of this bundle); the chain was verified up to it"
                return report
            }
            guard let actual = try? Checksum.sha256Hex(fileAt: candidate) else {
                report.broken = "\(candidate): cannot be read"
                return report
            }
            guard actual == recorded else {
                report.broken =
                    "\(candidate) does not match the sha256 recorded in \(snapshotPath) (recorded \(recorded), found \(actual)): the older snapshot was altered"
                return report
            }
            report.checked.append("ok  \(candidate) matches the sha256 recorded by the next run")
            folder = (candidate as NSString).deletingLastPathComponent
        }
    }

    /// Checks SHA256SUMS of one run folder; returns the first problem.
    static func checkSums(_ folder: String, report: inout Report) -> String? {
        let sumsPath = (folder as NSString).appendingPathComponent(RunFolder.checksumFile)
        guard let data = FileManager.default.contents(atPath: sumsPath), let text = String(data: data, encoding: .utf8)
        else {
            return "\(sumsPath): missing or unreadable; this is not a complete keyaudit run folder"
        }
        var listed = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64 else { return "\(sumsPath): malformed line \"\(line)\"" }
            var name = String(parts[1])
            if name.hasPrefix(" ") || name.hasPrefix("*") { name.removeFirst() }
            guard !name.contains("/"), name != "..", name != "." else {
                return "\(sumsPath): names a file outside the run folder (\(name))"
            }
            listed.insert(name)
            let file = (folder as NSString).appendingPathComponent(name)
            guard let actual = try? Checksum.sha256Hex(fileAt: file) else {
                return "\(file): listed in SHA256SUMS but missing"
            }
            guard actual == parts[0] else {
                return "\(file) does not match SHA256SUMS (recorded \(parts[0]), found \(actual)): it was altered"
            }
            report.checked.append("ok  \(file)")
        }
        let present = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in present.sorted() where name != RunFolder.checksumFile && !listed.contains(name) {
            return
                "\((folder as NSString).appendingPathComponent(name)) is not listed in SHA256SUMS: it was added after the run"
        }
        return nil
    }
}
