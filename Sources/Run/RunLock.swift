import Foundation
import KeyAuditCore

/// `<output>/.keyaudit.lock`, held with flock(2) for the whole run.
///
/// The kernel releases a flock when its holder exits, however it exits, so a lock file left behind by a
/// killed run never blocks the next one. The file holds the holder's pid and start time for the message
/// a second run prints.
package final class RunLock: @unchecked Sendable {
    // @unchecked: the descriptor is written once in init and closed once in release/deinit.
    package static let fileName = ".keyaudit.lock"
    private var descriptor: Int32

    package init(output: OutputDirectory) throws(KeyAuditError) {
        let path = output.url(Self.fileName)
        // Never follows a link (O_NOFOLLOW), never blocks on a FIFO (O_NONBLOCK), and only a plain file with one
        // name is used: the lock file is truncated and written, so a link or a hard link planted in its place
        // would otherwise have another file overwritten.
        descriptor = openat(
            output.folder.descriptor, Self.fileName, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            if output.folder.kind(of: Self.fileName) == .symbolicLink {
                throw .cannotWrite(
                    "the lock file \(path) is a symbolic link, which keyaudit never follows; remove it (it may have been planted) and run again"
                )
            }
            throw .cannotWrite(
                "cannot create the lock file \(path): \(String(cString: strerror(errno))); check permissions")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1 else {
            let problem =
                (info.st_mode & S_IFMT) == S_IFREG ? "has other names (a hard link)" : "is not a regular file"
            close(descriptor)
            descriptor = -1
            throw .cannotWrite(
                "the lock file \(path) \(problem), so keyaudit will not write to it; remove it (it may have been planted) and run again"
            )
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            descriptor = -1
            throw .locked(
                "another keyaudit run holds \(path)\(holder.map { " (\($0))" } ?? ""); wait for it to finish, or make sure runs do not overlap"
            )
        }
        ftruncate(descriptor, 0)
        let text = "pid \(getpid()), started \(Timestamp.format(Date()))\n"
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    private static func readHolder(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // The file is in a folder others may write to: what it says is shown on one line, escaped.
        return text.isEmpty ? nil : Escaping.oneLine(text, limit: 120)
    }

    package func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
