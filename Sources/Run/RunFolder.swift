import Foundation
import KeyAuditCore

/// A run being built in a hidden staging folder under `--output`, moved into place only when complete.
///
/// Until ``commit()`` nothing visible changes: no run folder appears and `latest` stays where it was.
/// ``discard()`` (called on any failure or signal) removes the staging folder.
package final class RunFolder: @unchecked Sendable {
    // @unchecked: used by one task at a time (the run), and by the signal handler only through `stagingPath`, which is immutable.
    package let output: OutputDirectory
    package let name: String
    package let stagingPath: String
    private var committed = false

    package init(output: OutputDirectory, name: String) throws(KeyAuditError) {
        self.output = output
        self.name = name
        self.stagingPath = output.url("\(OutputDirectory.stagingPrefix)\(name)-\(getpid())")
        try? FileManager.default.removeItem(atPath: stagingPath)
        guard mkdir(stagingPath, FileSystem.folderMode) == 0 else {
            throw .cannotWrite(
                "cannot create a run folder in \(output.path): \(String(cString: strerror(errno))); check free space and permissions"
            )
        }
        chmod(stagingPath, FileSystem.folderMode)
    }

    package var finalPath: String { output.url(name) }

    /// Path of `file` inside the staging folder.
    package func path(_ file: String) -> String { (stagingPath as NSString).appendingPathComponent(file) }

    package func write(_ bytes: some Collection<UInt8>, as file: String) throws(KeyAuditError) {
        try FileSystem.write(bytes, to: path(file))
    }

    /// Writes a file from chunks as `produce` hands them over; returns the file's sha256.
    @discardableResult
    func write(
        as file: String, _ produce: (_ emit: ([UInt8]) throws(KeyAuditError) -> Void) throws(KeyAuditError) -> Void
    ) throws(KeyAuditError) -> String {
        let output = try OutputFile(path: path(file))
        var hash = Checksum.Stream()
        try produce { (chunk: [UInt8]) throws(KeyAuditError) in
            hash.update(chunk)
            try output.write(chunk)
        }
        try output.close()
        return hash.finalize()
    }

    /// Writes SHA256SUMS over every other file, moves the folder into place and points `latest` at it.
    @discardableResult
    package func commit() throws(KeyAuditError) -> String {
        try RunFolder.writeChecksums(in: stagingPath)
        guard rename(stagingPath, finalPath) == 0 else {
            throw .cannotWrite(
                "cannot move the finished run into \(finalPath): \(String(cString: strerror(errno))); check permissions"
            )
        }
        committed = true
        FileSystem.syncFolder(output.path)
        try output.setLatest(name)
        return finalPath
    }

    /// Removes the staging folder; harmless after a commit.
    package func discard() {
        guard !committed else { return }
        try? FileManager.default.removeItem(atPath: stagingPath)
    }

    package static let checksumFile = "SHA256SUMS"

    /// `sha256sum -c`-compatible lines for every regular file in `folder` except SHA256SUMS, sorted by name.
    static func writeChecksums(in folder: String) throws(KeyAuditError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0 != checksumFile }.sorted()
        } catch {
            throw .cannotWrite("cannot list \(folder): \(FileSystem.reason(error))")
        }
        var text = ""
        for name in names {
            let file = (folder as NSString).appendingPathComponent(name)
            do {
                text += "\(try Checksum.sha256Hex(fileAt: file))  \(name)\n"
            } catch {
                throw .cannotWrite("cannot read back \(file) to checksum it: \(error)")
            }
        }
        let target = (folder as NSString).appendingPathComponent(checksumFile)
        let temporary = target + ".tmp"
        try FileSystem.write(Array(text.utf8), to: temporary)
        guard rename(temporary, target) == 0 else {
            throw .cannotWrite("cannot write \(target): \(String(cString: strerror(errno)))")
        }
    }
}

extension FileSystem {
    /// fsync on a folder, so a rename in it survives a power cut.
    static func syncFolder(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
