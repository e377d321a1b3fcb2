import Foundation

/// File writes with the modes, durability and error messages a run folder needs.
package enum FileSystem {
    package static let fileMode: mode_t = 0o640
    package static let folderMode: mode_t = 0o750

    /// Writes `bytes` to a new file at `path` with mode 0640, flushed to disk.
    package static func write(_ bytes: some Collection<UInt8>, to path: String) throws(KeyAuditError) {
        let file = try OutputFile(path: path)
        try file.write(bytes)
        try file.close()
    }

    /// Creates the new file `path` (mode `mode`) holding `bytes`. Anything already at `path`, a link included (even
    /// one pointing nowhere), is refused as a usage error (64) naming it: nothing is replaced or written through.
    package static func createNew(_ path: String, mode: mode_t, bytes: some Collection<UInt8>) throws(KeyAuditError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw .usage("\(Escaping.oneLine(path)) already exists; choose another name or move it away first")
            }
            throw .cannotWrite(
                "cannot create \(Escaping.oneLine(path)): \(String(cString: strerror(errno))); check that its folder exists and is writable"
            )
        }
        fchmod(descriptor, mode)
        let file = OutputFile(descriptor: descriptor, path: path)
        try file.write(bytes)
        try file.close()
    }

    /// `path` with every symbolic link resolved (`realpath`): `reports/latest` becomes the run folder it points to.
    /// nil when it does not exist.
    package static func resolved(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The text of `errno` or a Foundation error, for one-line messages.
    package static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        return (error as NSError).localizedDescription
    }
}

/// A file being written: buffered, mode 0640, every failure (a full disk included) a `cannotWrite` error.
///
/// Reports are streamed through one of these instead of being built as one large String.
package final class OutputFile {
    package let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    /// Creates or truncates the file at `path`; a symbolic link there is refused, not followed. Inside the output
    /// folder, files are created through ``Folder`` instead (relative to its descriptor, never replacing).
    package init(path: String) throws(KeyAuditError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, FileSystem.fileMode)
        guard descriptor >= 0 else {
            throw .cannotWrite(
                "cannot create \(path): \(String(cString: strerror(errno))); check free space and permissions")
        }
        fchmod(descriptor, FileSystem.fileMode)
        buffer.reserveCapacity(Self.flushThreshold + 65_536)
    }

    /// Takes over `descriptor`, open for writing on the file at `path` (for messages); closes it.
    package init(descriptor: Int32, path: String) {
        self.path = path
        self.descriptor = descriptor
        buffer.reserveCapacity(Self.flushThreshold + 65_536)
    }

    deinit {
        if descriptor >= 0 { _ = closeDescriptor(descriptor) }
    }

    package func write(_ bytes: some Collection<UInt8>) throws(KeyAuditError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    package func write(_ text: String) throws(KeyAuditError) {
        var text = text
        var failure: KeyAuditError?
        text.withUTF8 { pointer in
            do throws(KeyAuditError) { try write(pointer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    package func flush() throws(KeyAuditError) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(
                    "cannot write \(path): \(String(cString: strerror(errno))); free some space or fix permissions")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs to disk and closes; a full disk surfaces here at the latest.
    package func close() throws(KeyAuditError) {
        try flush()
        guard fsync(descriptor) == 0 || errno == EINVAL else {
            throw .cannotWrite("cannot write \(path): \(String(cString: strerror(errno))); free some space")
        }
        let result = closeDescriptor(descriptor)
        descriptor = -1
        guard result == 0 else {
            throw .cannotWrite("cannot write \(path): \(String(cString: strerror(errno))); free some space")
        }
    }
}

/// close(2), out of reach of `OutputFile.close()`'s name.
private func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
