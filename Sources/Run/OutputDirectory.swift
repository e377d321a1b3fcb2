import Foundation
import KeyAuditCore

/// The `--output` folder: run folders named by their clock, the `latest` link, the lock, the staging folders.
///
/// It is opened once, and everything keyaudit does inside it goes through its descriptor (``Folder``): a name is
/// looked up in this folder and no symbolic link in it is ever followed, so a link planted in place of keyaudit's
/// own files (the lock, `latest`, a staging or run folder) cannot send a write or a removal elsewhere.
package struct OutputDirectory: Sendable {
    package let path: String
    package let folder: Folder

    static let stagingPrefix = ".keyaudit-tmp-"
    static let latestTemporaryPrefix = ".latest-"
    package static let latestName = "latest"

    private init(path: String, folder: Folder) {
        self.path = path
        self.folder = folder
    }

    /// Opens an existing output folder (for `verify`, `render`, `diff --last`).
    package static func open(_ path: String) throws(KeyAuditError) -> OutputDirectory {
        OutputDirectory(path: path, folder: try Folder(opening: path))
    }

    /// Creates the folder (0750) if needed, checks that it can be written, and opens it.
    package static func prepare(_ path: String) throws(KeyAuditError) -> OutputDirectory {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .cannotWrite("--output \(path) exists and is not a folder; choose another --output")
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            } catch {
                throw .cannotWrite(
                    "cannot create --output \(path): \(FileSystem.reason(error)); check the path and permissions")
            }
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw .cannotWrite(
                "--output \(path) is not writable: \(String(cString: strerror(errno))); fix its permissions or choose another --output"
            )
        }
        return OutputDirectory(path: path, folder: try Folder(opening: path))
    }

    /// `20261126T030000Z`, optionally followed by `-2`, `-3`… when two runs share a second.
    package static func isRunFolderName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 16 else { return false }
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 48 && bytes[$0] <= 57 } }
        guard digits(0..<8), bytes[8] == UInt8(ascii: "T"), digits(9..<15), bytes[15] == UInt8(ascii: "Z") else {
            return false
        }
        if bytes.count == 16 { return true }
        return bytes.count > 17 && bytes.count <= 24 && bytes[16] == UInt8(ascii: "-") && digits(17..<bytes.count)
    }

    package func url(_ name: String) -> String { folder.url(name) }

    /// Complete run folders, oldest first (by the clock in their names, then their suffix). Only real folders:
    /// a link or a file named like a run folder is not one (see ``impostors()``).
    package func runFolders() -> [String] {
        folder.names().filter { Self.isRunFolderName($0) && folder.kind(of: $0) == .folder }.sorted(by: Self.runOrder)
    }

    /// Entries named like run folders that are not folders (a symbolic link, a file): keyaudit never makes them,
    /// so they were put there by hand. Oldest first.
    package func impostors() -> [String] {
        folder.names().filter { Self.isRunFolderName($0) && folder.kind(of: $0) != .folder }.sorted(by: Self.runOrder)
    }

    static func runOrder(_ lhs: String, _ rhs: String) -> Bool {
        func split(_ name: String) -> (String, Int) {
            let stamp = String(name.prefix(16))
            let suffix = name.count > 17 ? Int(name.dropFirst(17)) ?? 1 : 1
            return (stamp, suffix)
        }
        let (a, b) = (split(lhs), split(rhs))
        return a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
    }

    /// A name for a new run at `date` that nothing in the folder has yet (a dangling link included).
    package func newRunName(for date: Date) -> String {
        let base = Timestamp.compact(date)
        var name = base
        var suffix = 1
        while folder.kind(of: name) != nil {
            suffix += 1
            name = "\(base)-\(suffix)"
        }
        return name
    }

    /// The run folder `latest` points to, if it is a link to the name of a run folder here (as keyaudit writes it).
    package func latestTarget() -> String? {
        guard let target = folder.linkTarget(Self.latestName), Self.isRunFolderName(target),
            folder.kind(of: target) == .folder
        else { return nil }
        return target
    }

    /// `latest`, ready to be switched to a new run: made before the commit, so that what can fail fails while the
    /// run can still be discarded.
    package struct LatestSwitch: Sendable {
        let output: OutputDirectory
        let temporary: String

        /// Renames the new link over `latest` (replacing the link or file there, never following it). After the
        /// commit nothing may fail the run: a problem is returned as a warning.
        func commit() -> String? {
            do throws(KeyAuditError) {
                try output.folder.rename(temporary, to: OutputDirectory.latestName)
                return nil
            } catch {
                discard()
                return "the run was committed, but `latest` could not be switched to it: \(error.message)"
            }
        }

        func discard() { unlinkat(output.folder.descriptor, temporary, 0) }
    }

    /// Throws 73 when `latest` is a folder: a link cannot be renamed over it, and keyaudit does not remove a
    /// folder it did not make. Checked when a run starts (so it fails in a second) and again at the commit.
    package func checkLatestReplaceable() throws(KeyAuditError) {
        if folder.kind(of: Self.latestName) == .folder {
            throw .cannotWrite(
                "\(url(Self.latestName)) is a folder, not keyaudit's `latest` link, so it cannot be switched to a new run; move it away and run again (nothing was committed)"
            )
        }
    }

    /// Checks that `latest` can be replaced and makes the new link beside it (`.latest-<pid>` → `name`).
    package func prepareLatest(_ name: String) throws(KeyAuditError) -> LatestSwitch {
        try checkLatestReplaceable()
        let temporary = "\(Self.latestTemporaryPrefix)\(getpid())"
        try folder.makeLink(temporary, to: name)
        return LatestSwitch(output: self, temporary: temporary)
    }

    /// Whether `folder` (named `name`) is an output folder rather than a run folder: not named like a run, and
    /// holding `latest` or run folders. `verify` and `render` given one say which of its runs to give instead.
    package static func isOutputFolder(_ folder: Folder, name: String) -> Bool {
        !isRunFolderName(name)
            && (folder.kind(of: latestName) != nil || folder.names().contains(where: isRunFolderName))
    }

    /// What to say when an output folder is given where a run folder is wanted.
    package static func notARunFolder(_ path: String) -> String {
        "\(path) is an output folder (it holds run folders), not a run folder; give one of its runs, e.g. \((path as NSString).appendingPathComponent(latestName))"
    }

    /// Removes staging folders and `latest` links left by runs that were killed (only ever called while holding
    /// the lock). A link with such a name is removed as a link: nothing outside the folder is touched.
    ///
    /// An apply's staging folder that holds a journal (``ApplyJournal``) is kept: it is the only record of
    /// changes an apply killed mid-way made to the account. Their paths are returned, for a warning.
    @discardableResult
    package func removeStaleStaging() -> [String] {
        var kept: [String] = []
        for name in folder.names()
        where name.hasPrefix(Self.stagingPrefix) || name.hasPrefix(Self.latestTemporaryPrefix) {
            if name.hasPrefix(Self.stagingPrefix + ApplyRecord.prefix), folder.kind(of: name) == .folder,
                folder.openFolder(name)?.kind(of: ApplyJournal.fileName) == .file
            {
                kept.append(url(name))
                continue
            }
            folder.removeTree(name)
        }
        return kept
    }
}
