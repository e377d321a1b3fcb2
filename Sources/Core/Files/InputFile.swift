import Foundation

/// Files keyaudit reads from outside (policy, templates, layout, key file, snapshots): hostile until checked.
///
/// Opened without blocking (a FIFO given as a file would otherwise hang the run while it holds the lock), then
/// checked to be a regular file on the descriptor itself (no window between a check and the open), and read
/// up to a limit (a 2 GB file given as a key file is refused, not read whole).
package enum InputFile {
    /// What a bad file is: a configuration error (64: policy, templates, layout, key file) or bad data
    /// (65: a snapshot, a run folder's files).
    package enum Kind: Sendable {
        case configuration
        case data

        func error(_ text: String) -> KeyAuditError {
            self == .configuration ? .usage(text) : .malformedData(text)
        }
    }

    /// An open descriptor on the regular file at `path` (the caller closes it).
    ///
    /// - Parameter what: how messages name the file, e.g. `--policy`.
    package static func open(_ path: String, what: String, kind: Kind) throws(KeyAuditError) -> Int32 {
        let descriptor = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw kind.error(
                "cannot read \(what) \(Escaping.oneLine(path)): \(reason); check the path and its permissions")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
            close(descriptor)
            throw kind.error(
                "\(what) \(Escaping.oneLine(path)) is not a regular file\(isFolder ? " (it is a folder)" : " (a FIFO, device or socket)"); give a file"
            )
        }
        // Reads from a regular file never block; clear the flag so nothing downstream is surprised.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return descriptor
    }

    /// The whole file, if it is a regular file of at most `limit` bytes.
    package static func read(
        _ path: String, what: String, limit: Int, kind: Kind = .configuration
    ) throws(KeyAuditError) -> [UInt8] {
        try readWithStatus(path, what: what, limit: limit, kind: kind).bytes
    }

    /// The whole file and its `fstat` (mode, owner) from the same descriptor, so the two cannot disagree.
    /// At most `limit` + 1 bytes are ever read.
    package static func readWithStatus(
        _ path: String, what: String, limit: Int, kind: Kind = .configuration
    ) throws(KeyAuditError) -> (bytes: [UInt8], status: stat) {
        let descriptor = try open(path, what: what, kind: kind)
        defer { close(descriptor) }
        var status = stat()
        _ = fstat(descriptor, &status)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(65_536, max(1, limit) + 1))
        while true {
            let wanted = min(chunk.count, limit + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw kind.error(
                    "cannot read \(what) \(Escaping.oneLine(path)): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= limit else {
                throw kind.error(
                    "\(what) \(Escaping.oneLine(path)) is larger than \(limit >= 1024 ? "\(limit / 1024) KiB" : "\(limit) bytes"); this is not the file keyaudit expects"
                )
            }
        }
        return (bytes, status)
    }
}
