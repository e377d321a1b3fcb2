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
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw .cannotWrite(
                "cannot create the lock file \(path): \(String(cString: strerror(errno))); check permissions")
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
        return text.isEmpty ? nil : text
    }

    package func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
