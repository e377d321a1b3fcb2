import Foundation

/// A folder opened once and worked in through its descriptor (`openat`, `mkdirat`, `renameat`, `symlinkat`,
/// `unlinkat`), so that a name is always looked up in this folder, whatever happens to its path meanwhile, and no
/// symbolic link is ever followed out of it.
///
/// Everything keyaudit creates inside the output folder goes through one of these: files are created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC`, so a file or a symbolic link already where keyaudit expects its
/// own is either removed first (``replaceFile(_:)``: never followed) or an error naming the path (73).
package final class Folder: @unchecked Sendable {
    // @unchecked: both properties are set once; the descriptor is only used in system calls, which are
    // thread-safe, and closed in deinit.
    /// The folder's path as given, for messages.
    package let path: String
    package let descriptor: Int32

    /// What a name in the folder is, seen without following a link.
    package enum EntryKind: Sendable, Equatable {
        case file, folder, symbolicLink, other
    }

    /// Opens the folder at `path`. Links in `path` itself are followed: it is the user's own choice of folder
    /// (`--output reports` where `reports` links to a volume).
    package init(opening path: String) throws(KeyAuditError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .cannotWrite(
                "cannot open the folder \(Escaping.oneLine(path)): \(String(cString: strerror(errno))); check the path and its permissions"
            )
        }
        self.path = path
        self.descriptor = descriptor
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// The path of `name` inside the folder, for messages.
    package func url(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// A path that reaches this folder through its descriptor (`/proc/self/fd/N` on Linux), for a library that
    /// only takes paths: a name looked up under it is looked up in this very folder, even if the folder was
    /// renamed or replaced since it was opened. The folder's own path where /proc is not mounted.
    package var descriptorPath: String {
        let candidate = "/proc/self/fd/\(descriptor)"
        var info = stat()
        var own = stat()
        guard stat(candidate, &info) == 0, fstat(descriptor, &own) == 0, info.st_ino == own.st_ino,
            info.st_dev == own.st_dev
        else { return path }
        return candidate
    }

    // MARK: Looking

    /// The `stat` of `name` itself (a link is not followed); nil when absent.
    package func status(of name: String) -> stat? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return info
    }

    /// What `name` is, without following a link; nil when absent.
    package func kind(of name: String) -> EntryKind? {
        guard let info = status(of: name) else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    /// Whether `name` here is the same folder or file as `other` (device and inode).
    package func holds(_ name: String, sameAs other: Folder) -> Bool {
        var mine = stat()
        guard let info = status(of: name), fstat(other.descriptor, &mine) == 0 else { return false }
        return info.st_ino == mine.st_ino && info.st_dev == mine.st_dev
    }

    /// The names in the folder, without `.` and `..`, unsorted; empty when it cannot be read.
    package func names() -> [String] {
        let copy = dup(descriptor)
        guard copy >= 0 else { return [] }
        guard let stream = fdopendir(copy) else {
            close(copy)
            return []
        }
        defer { closedir(stream) }
        // The copy shares the descriptor's position: start from the beginning whatever an earlier listing left.
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The target of the link `name`; nil when it is not a link.
    package func linkTarget(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlinkat(descriptor, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Reading

    /// A descriptor on the regular file `name`, opened without following a link or blocking (the caller closes
    /// it); nil when absent, a link, or not a regular file.
    package func openForReading(_ name: String) -> Int32? {
        let file = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard file >= 0 else { return nil }
        var info = stat()
        guard fstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(file)
            return nil
        }
        _ = fcntl(file, F_SETFL, fcntl(file, F_GETFL) & ~O_NONBLOCK)
        return file
    }

    /// The bytes of the regular file `name`; nil when it is absent, a link, not a regular file, unreadable, or
    /// larger than `limit`.
    package func read(_ name: String, limit: Int) -> [UInt8]? {
        guard let file = openForReading(name) else { return nil }
        defer { close(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(file, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { return nil }
        }
    }

    /// SHA-256 of the regular file `name`, read in 1 MiB chunks; nil when absent, a link or unreadable.
    package func sha256(of name: String) -> String? {
        guard let file = openForReading(name) else { return nil }
        defer { close(file) }
        return Checksum.sha256Hex(readingFrom: file)
    }

    // MARK: Creating

    /// Creates `name` as a new folder (mode 0750) and opens it. Anything already there, a link included, is an
    /// error: `mkdirat` never follows a link.
    package func createFolder(_ name: String) throws(KeyAuditError) -> Folder {
        guard mkdirat(descriptor, name, FileSystem.folderMode) == 0 else {
            throw failure("cannot create the folder", name)
        }
        guard let folder = openFolder(name) else { throw failure("cannot open the folder it just created", name) }
        fchmod(folder.descriptor, FileSystem.folderMode)
        return folder
    }

    /// Opens the folder `name` without following a link; nil when absent, a link or not a folder.
    package func openFolder(_ name: String) -> Folder? {
        let folder = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return nil }
        return Folder(descriptor: folder, path: url(name))
    }

    /// Creates `name` as a new file (mode 0640 unless told) for writing. Anything already there is an error
    /// naming the path: `O_EXCL` refuses an existing file and a link alike, so nothing is followed or truncated.
    package func createFile(_ name: String, mode: mode_t = FileSystem.fileMode) throws(KeyAuditError) -> OutputFile {
        let file = openat(descriptor, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else { throw failure("cannot create", name) }
        fchmod(file, mode)
        return OutputFile(descriptor: file, path: url(name))
    }

    /// Like ``createFile(_:mode:)``, but a file or a link already at `name` (a temporary file left by a killed
    /// run, a planted link) is removed first, never followed; a folder there is an error naming it.
    package func replaceFile(_ name: String, mode: mode_t = FileSystem.fileMode) throws(KeyAuditError) -> OutputFile {
        try removeEntry(name)
        return try createFile(name, mode: mode)
    }

    /// Writes `bytes` to `name` through a temporary file renamed over it, so that a reader sees the old file or
    /// the new one; a link at `name` or at the temporary name is replaced, never followed.
    package func writeAtomically(_ bytes: some Collection<UInt8>, to name: String) throws(KeyAuditError) {
        let temporary = "\(name).tmp"
        let file = try replaceFile(temporary)
        do throws(KeyAuditError) {
            try file.write(bytes)
            try file.close()
            try rename(temporary, to: name)
        } catch {
            unlinkat(descriptor, temporary, 0)
            throw error
        }
    }

    /// Makes the link `name` → `target`; anything already at `name` that is not a folder is removed first.
    package func makeLink(_ name: String, to target: String) throws(KeyAuditError) {
        try removeEntry(name)
        guard symlinkat(target, descriptor, name) == 0 else { throw failure("cannot create the link", name) }
    }

    // MARK: Moving and removing

    /// Renames `name` to `newName` in `destination` (this folder when nil). A file or link at `newName` is
    /// replaced (the link itself, never what it points to).
    package func rename(_ name: String, to newName: String, in destination: Folder? = nil) throws(KeyAuditError) {
        let target = destination ?? self
        guard renameat(descriptor, name, target.descriptor, newName) == 0 else {
            let reason = String(cString: strerror(errno))
            let isFolder = target.kind(of: newName) == .folder
            throw .cannotWrite(
                "cannot move \(Escaping.oneLine(url(name))) to \(Escaping.oneLine(target.url(newName))): \(reason)\(isFolder ? "; a folder is in the way: move it away" : "; check permissions")"
            )
        }
    }

    /// Removes `name` if it is a file, a link (the link itself) or anything else but a folder; nothing when
    /// absent. A folder there is an error naming it.
    package func removeEntry(_ name: String) throws(KeyAuditError) {
        guard let kind = kind(of: name) else { return }
        guard kind != .folder else {
            throw .cannotWrite(
                "\(Escaping.oneLine(url(name))) is a folder where keyaudit writes a file of its own; move it away")
        }
        guard unlinkat(descriptor, name, 0) == 0 || errno == ENOENT else { throw failure("cannot remove", name) }
    }

    /// Removes `name` and, if it is a folder, everything in it, without ever following a link: a link is removed
    /// as a link, wherever it points. Tries again while files keep appearing (a writer that has not stopped yet),
    /// a bounded number of times. Returns whether `name` is gone.
    @discardableResult
    package func removeTree(_ name: String) -> Bool {
        for _ in 0..<50 {
            guard let kind = kind(of: name) else { return true }
            if kind != .folder {
                if unlinkat(descriptor, name, 0) == 0 || errno == ENOENT { return true }
                return false
            }
            if let folder = openFolder(name) {
                for entry in folder.names() { folder.removeTree(entry) }
            }
            if unlinkat(descriptor, name, AT_REMOVEDIR) == 0 || errno == ENOENT { return true }
            guard errno == ENOTEMPTY || errno == EEXIST else { return false }
        }
        return kind(of: name) == nil
    }

    /// fsync on the folder, so that renames in it survive a power cut.
    package func sync() { fsync(descriptor) }

    /// A `cannotWrite` error naming `name`, clearer when a link or a file is in the way.
    private func failure(_ action: String, _ name: String) -> KeyAuditError {
        let reason = String(cString: strerror(errno))
        let location = Escaping.oneLine(url(name))
        switch kind(of: name) {
        case .symbolicLink:
            return .cannotWrite(
                "\(action) \(location): it is a symbolic link, which keyaudit never follows; remove it (it may have been planted)"
            )
        case .some(let kind) where action.hasPrefix("cannot create"):
            return .cannotWrite(
                "\(action) \(location): a \(kind == .folder ? "folder" : "file") is already there; move it away")
        default:
            return .cannotWrite("\(action) \(location): \(reason); check free space and permissions")
        }
    }
}
