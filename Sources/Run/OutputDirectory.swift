import Foundation
import KeyAuditCore

/// The `--output` folder: run folders named by their clock, the `latest` link, the lock, the staging folders.
package struct OutputDirectory: Sendable {
    package let path: String

    static let stagingPrefix = ".keyaudit-tmp-"
    package static let latestName = "latest"

    package init(path: String) {
        self.path = path
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
        return bytes.count > 17 && bytes[16] == UInt8(ascii: "-") && digits(17..<bytes.count)
    }

    /// Creates the folder (0750) if needed and checks that it can be written.
    package func prepare() throws(KeyAuditError) {
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
    }

    package func url(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Complete run folders, oldest first (by the clock in their names, then their suffix).
    package func runFolders() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter(Self.isRunFolderName).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url(name), isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted(by: Self.runOrder)
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

    /// A name for a new run at `date` that no folder has yet.
    package func newRunName(for date: Date) -> String {
        let base = Timestamp.compact(date)
        var name = base
        var suffix = 1
        while FileManager.default.fileExists(atPath: url(name)) {
            suffix += 1
            name = "\(base)-\(suffix)"
        }
        return name
    }

    /// The run folder `latest` points to, if it is a valid link to a run folder here.
    package func latestTarget() -> String? {
        guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: url(Self.latestName)) else {
            return nil
        }
        let name = (destination as NSString).lastPathComponent
        return runFolders().contains(name) ? name : nil
    }

    /// Points `latest` at `name` atomically: a new link is made beside it and renamed over it.
    package func setLatest(_ name: String) throws(KeyAuditError) {
        let temporary = url(".latest-\(getpid())")
        unlink(temporary)
        guard symlink(name, temporary) == 0 else {
            throw .cannotWrite("cannot create the `latest` link in \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, url(Self.latestName)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite("cannot update the `latest` link in \(path): \(reason); is `latest` a folder?")
        }
    }

    /// Removes staging folders left by runs that were killed (only ever called while holding the lock).
    package func removeStaleStaging() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix(Self.stagingPrefix) {
            try? FileManager.default.removeItem(atPath: url(name))
        }
    }
}
