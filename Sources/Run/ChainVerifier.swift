import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// `keyaudit verify RUN_DIR`: every run folder beside RUN_DIR, each against its SHA256SUMS and signature, then the
/// chain they form: each `previous.sha256` against the older snapshot, and every gap explained or reported.
///
/// A run folder no later run links to (except the newest) is a gap: a run skipped as unusable (recorded by the
/// run that skipped it) or one whose successor was removed. A link to a run that is not there is a gap unless a
/// run recorded removing it with `--keep`. With ``Options/partial``, a folder that holds only some of the runs (a
/// run sent for review) may miss the runs before its oldest one.
public enum ChainVerifier {
    /// What to check besides the checksums and the chain.
    public struct Options: Sendable {
        /// OpenSSH allowed signers: every signature is checked against it (a bad signature, an unknown signer or
        /// an unsigned run after a signed one fails); nil: signatures are checked for consistency only.
        public var allowedSigners: AllowedSigners?
        /// The folder holds only some of the runs: the oldest run's missing predecessor is noted, not a failure.
        public var partial: Bool

        /// Options for `keyaudit verify`.
        public init(allowedSigners: AllowedSigners? = nil, partial: Bool = false) {
            self.allowedSigners = allowedSigners
            self.partial = partial
        }
    }

    /// The outcome of `verify(runFolder:options:)`: intact when `problems` is empty.
    public struct Report: Sendable {
        /// One line per check made, for stdout.
        public var checked: [String] = []
        /// Every problem found, in the order found: each names the run or file.
        public var problems: [String] = []
        /// The first problem, if any.
        public var broken: String? { problems.first }
        /// What was verified, for the closing line.
        public var end: String = ""
    }

    /// A run folder checked on its own: its files against SHA256SUMS, its signature, its re-render record.
    struct FolderCheck {
        /// `ok  <file>` for each file that matches.
        var lines: [String] = []
        /// Files that do not match SHA256SUMS: listed sha256 (nil: not listed) and found (nil: missing).
        var mismatches: [RenderRecord.FileChange] = []
        /// Every problem, one line each, naming the file.
        var problems: [String] = []
        /// SHA256SUMS as read; nil when missing.
        var sums: [UInt8]?
        var signature: RunSignature.Check?
        var renders: RenderRecord?
    }

    /// Checks one run folder: every file listed in SHA256SUMS (a link is never read through: keyaudit writes
    /// none), every file present but not listed (except SHA256SUMS.sig), the signature against SHA256SUMS with
    /// the key it names, and the re-render record.
    static func checkFolder(_ folder: Folder) -> FolderCheck {
        var check = FolderCheck()
        let sumsName = RunFolder.checksumFile
        var listed = Set<String>()
        if folder.kind(of: sumsName) == .file, let sums = folder.read(sumsName, limit: 1 << 20) {
            check.sums = sums
            // Lines split on bytes (Swift's String would keep "\r\n" as one character, so a file with CRLF line
            // ends read as one line), a CR before the LF dropped, hex compared lower-cased, and a name listed
            // twice refused: as RunFolder.recorded reads SHA256SUMS for `run`, so that verify and the next run
            // never disagree on what a run recorded. `sha256sum`'s binary-mode `*name` is accepted too.
            for var bytes in sums.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
                let line = String(decoding: bytes, as: UTF8.self)
                let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].utf8.count == 64, parts[0].allSatisfy(\.isHexDigit) else {
                    check.problems.append(
                        "\(folder.url(sumsName)): malformed line \"\(Escaping.oneLine(line))\"")
                    continue
                }
                var name = String(parts[1])
                if name.hasPrefix(" ") || name.hasPrefix("*") { name.removeFirst() }
                guard !name.isEmpty, !name.contains("/"), name != "..", name != ".",
                    !RunFolder.unlisted.contains(name), RunFolder.listable([name]) == [name]
                else {
                    check.problems.append(
                        "\(folder.url(sumsName)): names a file it cannot list (\(Escaping.oneLine(name)))")
                    continue
                }
                guard listed.insert(name).inserted else {
                    check.problems.append(
                        "\(folder.url(sumsName)): lists \(Escaping.oneLine(name)) twice; which sum would count?")
                    continue
                }
                let recorded = String(parts[0]).lowercased()
                let file = folder.url(name)
                switch folder.kind(of: name) {
                case nil:
                    check.mismatches.append(.init(file: name, before: recorded, after: nil))
                    check.problems.append("\(file): listed in SHA256SUMS but missing")
                case .file?:
                    let actual = folder.sha256(of: name)
                    if actual == recorded {
                        check.lines.append("ok  \(file)")
                    } else {
                        check.mismatches.append(.init(file: name, before: recorded, after: actual))
                        check.problems.append(
                            "\(file) does not match SHA256SUMS (recorded \(recorded), found \(actual ?? "unreadable")): it was altered"
                        )
                    }
                case .some(let kind):
                    check.mismatches.append(.init(file: name, before: recorded, after: nil))
                    check.problems.append(
                        "\(file) is \(kind == .symbolicLink ? "a symbolic link" : "not a regular file"), where SHA256SUMS lists a file: keyaudit never writes one; it was planted"
                    )
                }
            }
        } else {
            check.problems.append(
                "\(folder.url(sumsName)): missing or unreadable; this is not a complete keyaudit run folder")
        }
        for name in folder.names().sorted() where !listed.contains(name) && name != sumsName {
            if name == RunSignature.fileName, folder.kind(of: name) == .file { continue }
            check.mismatches.append(.init(file: name, before: nil, after: folder.sha256(of: name)))
            check.problems.append(
                "\(folder.url(Escaping.oneLine(name))) is not listed in SHA256SUMS: it was added after the run")
        }
        if folder.kind(of: RunSignature.fileName) == .file {
            let signature = folder.read(RunSignature.fileName, limit: RunSignature.readLimit) ?? []
            let result = RunSignature.check(signature: signature, sums: check.sums ?? [])
            check.signature = result
            if case .invalid(let problem) = result {
                check.problems.append(
                    "\(folder.url(RunSignature.fileName)) does not match \(folder.url(sumsName)): \(problem)")
            }
        }
        check.renders = RenderRecord.read(in: folder)
        if check.renders == nil, listed.contains(RenderRecord.fileName) {
            check.problems.append("\(folder.url(RenderRecord.fileName)): not a re-render record keyaudit can read")
        }
        for entry in check.renders?.entries ?? [] where !entry.accepted.isEmpty {
            let files = entry.accepted.map { change in
                "\(change.file) (\(change.before.map { "listed \($0.prefix(12))…" } ?? "not listed"), \(change.after.map { "found \($0.prefix(12))…" } ?? "missing"))"
            }
            check.problems.append(
                "\(folder.path) was re-rendered with --force at \(Timestamp.format(entry.renderedAt)) over files that did not match its SHA256SUMS: \(files.joined(separator: ", ")); a re-render does not make them evidence again: restore them from a backup"
            )
        }
        // A signature that did not match SHA256SUMS means SHA256SUMS itself was rewritten after the run: every
        // file may match it and still be altered, so no re-render (signed again or not) makes the folder evidence.
        for entry in check.renders?.entries ?? [] where entry.signatureBefore == RenderRecord.invalidSignature {
            check.problems.append(
                "\(folder.path) was re-rendered\(entry.forced ? " with --force" : "") at \(Timestamp.format(entry.renderedAt)) over a signature that did not match its SHA256SUMS: SHA256SUMS was rewritten after the run was signed, so none of its files can be trusted; restore the run from a backup"
            )
        }
        return check
    }

    /// What verify learns of one run folder.
    private struct RunState {
        var name: String
        var check: FolderCheck
        /// The snapshot's header; nil when it cannot be read.
        var header: Snapshot.Header?
        var snapshotSHA256: String?
    }

    /// Checks `runFolder` and every run folder beside it, and the chain they form. A folder not named like a run
    /// folder is checked alone, with its own links.
    public static func verify(runFolder: String, options: Options = Options()) -> Report {
        var report = Report()
        let path = URL(fileURLWithPath: runFolder).standardizedFileURL.path
        let given = (path as NSString).lastPathComponent
        guard let output = try? OutputDirectory.open(PathText.parent(of: path)),
            output.folder.openFolder(given) != nil
        else {
            report.problems.append("\(runFolder) is not a folder (or is a link to one); give the run folder itself")
            return report
        }
        if isApplyFolderName(given) {
            var snapshots: [String: String] = [:]
            for name in output.runFolders() {
                if let sha = try? Snapshot.header(fileAt: output.url(name) + "/snapshot.json").1 {
                    snapshots[name] = sha
                }
            }
            let signedRuns = output.runFolders().contains {
                output.folder.openFolder($0)?.kind(of: RunSignature.fileName) == .file
            }
            _ = applyFolders(
                output, only: given, snapshots: snapshots, signedRuns: signedRuns, options: options, report: &report)
            report.end = "apply folder \(given) checked"
            return report
        }
        // The output folder itself (it holds run folders, or `latest`): checked as one run folder, every run in
        // it would read as a file added after the run. Say what to give instead.
        if let opened = output.folder.openFolder(given), OutputDirectory.isOutputFolder(opened, name: given) {
            report.problems.append(OutputDirectory.notARunFolder(runFolder))
            return report
        }
        var names = [given]
        if OutputDirectory.isRunFolderName(given) {
            names = output.runFolders()
            for impostor in output.impostors() {
                report.problems.append(
                    "\(output.url(impostor)) is \(output.folder.kind(of: impostor) == .symbolicLink ? "a symbolic link" : "not a folder") named like a run folder: keyaudit never makes one; it was planted"
                )
            }
        } else {
            report.checked.append(
                "note  \(given) is not named like a run folder (YYYYMMDDTHHMMSSZ): it is checked alone, not with the runs beside it"
            )
        }
        var states: [String: RunState] = [:]
        for name in names {
            guard let folder = output.folder.openFolder(name) else { continue }
            let check = checkFolder(folder)
            report.checked.append(contentsOf: check.lines)
            report.problems.append(contentsOf: check.problems)
            var state = RunState(name: name, check: check)
            if folder.kind(of: "snapshot.json") == .file {
                do {
                    let (header, sha) = try Snapshot.header(fileAt: folder.url("snapshot.json"))
                    state.header = header
                    state.snapshotSHA256 = sha
                } catch {
                    report.problems.append("\(folder.url("snapshot.json")): \(error.message)")
                }
            } else {
                report.problems.append("\(folder.url("snapshot.json")): missing, or not a regular file")
            }
            if let problem = misnamed(name, header: state.header) { report.problems.append(problem) }
            states[name] = state
        }
        for name in names { renders(of: states[name], output: output, report: &report) }
        links(names, states: states, output: output, options: options, report: &report)
        signatures(names, given: given, states: states, options: options, report: &report)
        var applies = 0
        if OutputDirectory.isRunFolderName(given) {
            applies = applyFolders(
                output, snapshots: states.compactMapValues(\.snapshotSHA256),
                signedRuns: states.values.contains { $0.check.signature != nil }, options: options, report: &report)
        }
        let start: String
        switch names.first.flatMap({ states[$0]?.header?.previous }) {
        case nil: start = "it starts at \(names.first ?? given), the first run"
        case .some(let previous) where previous.path.hasPrefix("demo:"):
            start = "it starts at the embedded demo account"
        case .some(let previous): start = "it goes on before \(names.first ?? given), at \(previous.path)"
        }
        report.end =
            "\(names.count) run folder\(names.count == 1 ? "" : "s") checked (\(names.first ?? given)\(names.count > 1 ? " to \(names.last ?? given)" : ""))\(applies > 0 ? " and \(applies) apply folder\(applies == 1 ? "" : "s")" : ""); \(start)"
        return report
    }

    /// A run folder is named for its snapshot's `taken_at` (`-2`, `-3`… when two runs share a second): a folder
    /// renamed afterwards would move a run in time (hide a gap between nightly runs, or pass a copy off as a later
    /// run), so a name that does not match is a problem. A snapshot without a readable `taken_at` is not checked.
    static func misnamed(_ name: String, header: Snapshot.Header?) -> String? {
        guard OutputDirectory.isRunFolderName(name), let takenAt = header?.takenAt else { return nil }
        let expected = Timestamp.compact(takenAt)
        guard name.prefix(16) != expected else { return nil }
        return
            "\(name) holds a snapshot taken at \(Timestamp.format(takenAt)), which names its folder \(expected): the run folder was renamed after the run"
    }

    /// Prints each re-render (a forced one that kept files that did not match is among the folder's problems).
    private static func renders(of state: RunState?, output: OutputDirectory, report: inout Report) {
        guard let state, let record = state.check.renders else { return }
        for entry in record.entries { report.checked.append("render  \(state.name): \(entry.summary)") }
    }

    /// The run folder a `previous.path` names, when it is `<run folder>/snapshot.json` in the output folder.
    private static func runName(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1] == "snapshot.json", OutputDirectory.isRunFolderName(String(parts[0])) else {
            return nil
        }
        return String(parts[0])
    }

    /// What the run after a folder recorded of it (the sums of its evidence, the key that signed it) against the
    /// folder as it is now; nil when it holds or nothing was recorded (runs made before these were recorded).
    static func recordedFolderProblem(
        _ previous: Snapshot.Reference, of check: FolderCheck?, by name: String
    ) -> String? {
        switch RecordedFolderMismatch.first(previous, sums: check?.sums, signature: check?.signature) {
        case nil:
            return nil
        case .evidence(let file, let recorded, let listed):
            return
                "its SHA256SUMS lists \(file) as \(listed ?? "nothing"), not as \(recorded) as \(name) recorded: the file was altered and the sums rewritten to match"
        case .signatureGone(let signer):
            return "\(name) recorded it signed by \(signer); its signature has been removed or broken since"
        case .signedAgain(let signer, let now):
            return "\(name) recorded it signed by \(signer); it is now signed by \(now): signed again since"
        }
    }

    /// Every `previous` link against the snapshot it names, and every run folder no later run links to.
    private static func links(
        _ names: [String], states: [String: RunState], output: OutputDirectory, options: Options,
        report: inout Report
    ) {
        let present = Set(names)
        var removed: [String: (by: String, sha256: String?)] = [:]
        var skipped: [String: (by: String, reason: String)] = [:]
        for name in names {
            for entry in states[name]?.header?.removedByRetention ?? [] { removed[entry.path] = (name, entry.sha256) }
            for entry in states[name]?.header?.skipped ?? [] {
                skipped[entry.path] = (name, entry.reason ?? "unusable")
            }
        }
        var linked = Set<String>()
        for (index, name) in names.enumerated() {
            guard let previous = states[name]?.header?.previous else { continue }
            let snapshot = output.url("\(name)/snapshot.json")
            if previous.path.hasPrefix("demo:") {
                report.checked.append("chain  \(name) follows the embedded demo account: the chain starts there")
                continue
            }
            guard let target = runName(previous.path) else {
                // An explicit --previous outside the output folder: checked when it is still where it was.
                if FileManager.default.fileExists(atPath: previous.path) {
                    let actual = try? Checksum.sha256Hex(fileAt: previous.path)
                    if actual == previous.sha256 {
                        report.checked.append("ok  \(previous.path) matches the sha256 recorded by \(name)")
                    } else {
                        report.problems.append(
                            "\(previous.path) does not match the sha256 recorded in \(snapshot) (recorded \(previous.sha256), found \(actual ?? "unreadable")): the older snapshot was altered"
                        )
                    }
                } else {
                    report.checked.append(
                        "note  \(name) was compared with \(previous.path), outside this folder and not present: not checked"
                    )
                }
                continue
            }
            if present.contains(target) {
                linked.insert(target)
                let actual = states[target]?.snapshotSHA256
                if actual == previous.sha256 {
                    report.checked.append(
                        "ok  \(output.url(previous.path)) matches the sha256 recorded by the next run, \(name)")
                    if let problem = recordedFolderProblem(previous, of: states[target]?.check, by: name) {
                        report.problems.append("\(output.url(target)): \(problem)")
                    } else if !previous.evidence.isEmpty {
                        report.checked.append(
                            "ok  \(output.url(target)): its evidence\(previous.signedBy == nil ? "" : " and signature") as recorded by the next run, \(name)"
                        )
                    }
                } else {
                    report.problems.append(
                        "\(output.url(previous.path)) does not match the sha256 recorded in \(snapshot) (recorded \(previous.sha256), found \(actual ?? "unreadable")): the older snapshot was altered"
                    )
                }
            } else if let record = removed[previous.path] {
                if let sha = record.sha256, sha != previous.sha256 {
                    report.problems.append(
                        "\(previous.path) was altered before --keep removed it: \(record.by) recorded sha256 \(sha), \(name) had read \(previous.sha256)"
                    )
                } else {
                    report.checked.append(
                        "ok  \(target), which \(name) follows, was removed by --keep when \(record.by) was made (recorded in its snapshot.json)"
                    )
                }
            } else if options.partial && index == 0 {
                report.checked.append(
                    "note  \(target), which \(name) follows, is not in this folder (--partial): the chain was checked from \(name) on"
                )
            } else {
                report.problems.append(
                    "\(name) follows \(target), which is missing, and no run records removing it (--keep records what it removes): it was deleted or moved away\(index == 0 ? "; if this folder holds only some of the runs, give --partial" : "")"
                )
            }
        }
        guard names.count > 1 else { return }
        for name in names.dropLast() where !linked.contains(name) {
            if let skip = skipped["\(name)/snapshot.json"] {
                report.problems.append(
                    "\(output.url(name)) is not in the chain: \(skip.by) skipped it (\(skip.reason)) and reported it as broken-chain"
                )
            } else {
                report.problems.append(
                    "\(output.url(name)) is not in the chain: no later run follows it (the next run was compared with another one, or this folder was added afterwards)"
                )
            }
        }
        for (path, skip) in skipped.sorted(by: { $0.key < $1.key }) {
            guard let target = runName(path), !present.contains(target), removed[path] == nil else { continue }
            report.problems.append(
                "\(target), which \(skip.by) skipped as unusable (\(skip.reason)), is missing and no run records removing it"
            )
        }
    }

    /// Each signature: consistent with SHA256SUMS always; with allowed signers, made by an allowed key, and no
    /// unsigned run after a signed one.
    private static func signatures(
        _ names: [String], given: String, states: [String: RunState], options: Options, report: inout Report
    ) {
        var signedBefore: String?
        var anySigned = false
        for name in names {
            guard let state = states[name] else { continue }
            let removedBy = state.check.renders?.entries.last(where: { $0.signatureBefore != nil && $0.signedBy == nil }
            )
            switch state.check.signature {
            case .valid(let key)?:
                anySigned = true
                signedBefore = name
                guard let allowed = options.allowedSigners else {
                    report.checked.append(
                        "signed  \(name) with key \(key.fingerprint) (the signature matches SHA256SUMS; who holds the key is not checked without --allowed-signers)"
                    )
                    continue
                }
                let at = state.header?.takenAt ?? Date()
                let principals = allowed.principals(for: key, namespace: RunSignature.namespace, at: at)
                if principals.isEmpty {
                    report.problems.append(
                        "\(name) is signed by key \(key.fingerprint), which --allowed-signers does not allow to sign for namespace \(RunSignature.namespace) at \(Timestamp.format(at)): an unknown signer"
                    )
                } else {
                    report.checked.append(
                        "signed  \(name) by \(principals.joined(separator: ", ")) (\(key.fingerprint))")
                }
            case .invalid?:
                anySigned = true
                signedBefore = name
            case nil:
                var why: String?
                if let removedBy {
                    why =
                        "it was re-rendered at \(Timestamp.format(removedBy.renderedAt)) without --signing-key, and its signature (\(removedBy.signatureBefore ?? "")) was removed"
                } else if let signedBefore {
                    why = "it follows the signed run \(signedBefore)"
                } else if name == given && options.allowedSigners != nil {
                    why = "it is the run to verify, and --allowed-signers was given"
                }
                if let why, options.allowedSigners != nil {
                    report.problems.append("\(name) is not signed, but \(why)")
                } else {
                    report.checked.append("unsigned  \(name)\(why.map { ": \($0)" } ?? "")")
                }
            }
        }
        if anySigned && options.allowedSigners == nil {
            report.checked.append(
                "note  signatures were checked against SHA256SUMS only: give --allowed-signers FILE to check who signed"
            )
        }
    }
}
