import Foundation
import KeyAuditCore
import KeyAuditSnapshot

/// A run being built in a hidden staging folder under `--output`, moved into place only when complete.
///
/// Until ``commit()`` nothing visible changes: no run folder appears and `latest` stays where it was.
/// ``discard()`` (called on any failure or signal) removes the staging folder. Every file is created in the
/// staging folder through its descriptor (``Folder``), new and exclusive: nothing planted can be followed.
package final class RunFolder: @unchecked Sendable {
    // @unchecked: used by one task at a time (the run), and by the signal handler only through `discard()`, which
    // removes by name and is harmless after the commit.
    package let output: OutputDirectory
    package let name: String
    /// `.keyaudit-tmp-<name>-<pid>`, in the output folder.
    package let stagingName: String
    /// The staging folder, opened when it was created.
    package let staging: Folder
    private var committed = false

    package init(output: OutputDirectory, name: String) throws(KeyAuditError) {
        self.output = output
        self.name = name
        self.stagingName = "\(OutputDirectory.stagingPrefix)\(name)-\(getpid())"
        // Left by a killed run whose pid this process reuses, or planted (a link is removed as a link).
        output.folder.removeTree(stagingName)
        do {
            staging = try output.folder.createFolder(stagingName)
        } catch {
            throw .cannotWrite("cannot create a run folder in \(output.path): \(error.message)")
        }
    }

    package var stagingPath: String { output.url(stagingName) }
    package var finalPath: String { output.url(name) }

    package func write(_ bytes: some Collection<UInt8>, as file: String) throws(KeyAuditError) {
        let output = try staging.createFile(file)
        try output.write(bytes)
        try output.close()
    }

    /// Writes a file from chunks as `produce` hands them over; returns the file's sha256.
    @discardableResult
    func write(
        as file: String, _ produce: (_ emit: ([UInt8]) throws(KeyAuditError) -> Void) throws(KeyAuditError) -> Void
    ) throws(KeyAuditError) -> String {
        let output = try staging.createFile(file)
        var hash = Checksum.Stream()
        try produce { (chunk: [UInt8]) throws(KeyAuditError) in
            hash.update(chunk)
            try output.write(chunk)
        }
        try output.close()
        return hash.finalize()
    }

    /// Sums taken by ``checksumWrittenFiles(except:)``, each with the file as it was when read.
    private var earlySums: [String: (sum: String, stamp: FileStamp)] = [:]

    /// Checksums the files written so far, but those in `except` (still being written). The run calls this while
    /// the workbook is compressed, one core's work with the other idle; ``seal(signingKey:)`` then reads back
    /// only the files that are new or not the same file since (device, inode, size, modification and change
    /// time): what SHA256SUMS lists is still what the folder holds, about 0.2 s sooner at 100,000 keys. (A file
    /// rewritten in place to the same size within the same tick of the kernel's file clock keeps its early sum,
    /// which `verify` then reports as not matching: an alteration is found, never vouched for.)
    package func checksumWrittenFiles(except: Set<String>) {
        for name in Self.listable(staging.names()) where !except.contains(name) {
            // One descriptor: the stamp and the sum are of the same file, unchanged while it was read.
            guard let file = staging.openForReading(name) else { continue }
            defer { close(file) }
            guard let before = FileStamp(open: file), let sum = Checksum.sha256Hex(readingFrom: file),
                FileStamp(open: file) == before
            else { continue }
            earlySums[name] = (sum, before)
        }
    }

    /// SHA256SUMS over every other file and, with a signing key, SHA256SUMS.sig: the last files of the run.
    package func seal(signingKey: SigningKey?) throws(KeyAuditError) {
        let sums = try RunFolder.writeChecksums(in: staging, known: earlySums)
        if let signingKey {
            try staging.writeAtomically(Array(try signingKey.sign(sums).utf8), to: RunSignature.fileName)
        }
        staging.sync()
    }

    /// Moves the sealed folder into place. The staging folder must still be the one this run created (not a
    /// folder swapped in under its name), and nothing may have taken the run's name meanwhile.
    package func commit() throws(KeyAuditError) {
        guard output.folder.holds(stagingName, sameAs: staging) else {
            throw .cannotWrite(
                "the staging folder \(stagingPath) was replaced while the run was writing it; nothing was committed: find out who writes into \(output.path)"
            )
        }
        guard output.folder.kind(of: name) == nil else {
            throw .cannotWrite(
                "\(finalPath) appeared while the run was being written; nothing was committed: run again")
        }
        do {
            try output.folder.rename(stagingName, to: name)
        } catch {
            throw .cannotWrite("cannot move the finished run into \(finalPath): \(error.message)")
        }
        committed = true
        output.folder.sync()
    }

    /// Removes the staging folder; harmless after a commit (its name is gone by then).
    package func discard() {
        guard !committed else { return }
        output.folder.removeTree(stagingName)
    }

    package static let checksumFile = "SHA256SUMS"

    /// What a run's SHA256SUMS records for one file.
    enum Recorded: Equatable {
        case sum(String)
        case notListed
        /// A line names the file but is not `<64 hex digits>  <name>`, or more than one does.
        case malformed
    }

    /// What `sums` (SHA256SUMS's bytes: `<64 hex>  <name>` lines, as keyaudit and `sha256sum` write them)
    /// records for `name`. One parser for every reader that trusts a file because SHA256SUMS lists it: a line
    /// ending in CR is read without it, hex is compared lower-cased, and two lines for one name are malformed
    /// (which one would count?).
    static func recorded(_ name: String, in sums: [UInt8]) -> Recorded {
        let suffix = Array("  \(name)".utf8)
        var found: Recorded = .notListed
        for var line in sums.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.count > suffix.count, line.suffix(suffix.count).elementsEqual(suffix) else { continue }
            let hex = line.prefix(line.count - suffix.count)
            guard found == .notListed, hex.count == 64, hex.allSatisfy({ Self.isHexDigit($0) }) else {
                return .malformed
            }
            found = .sum(String(decoding: hex, as: UTF8.self).lowercased())
        }
        return found
    }

    /// What `sums` lists for the files the next run records of this one (``Snapshot/Reference/evidenceFiles``):
    /// name → sha256, lower-case; a file not listed, or listed badly, is left out.
    static func evidence(in sums: [UInt8]) -> [String: String] {
        var evidence: [String: String] = [:]
        for name in Snapshot.Reference.evidenceFiles {
            if case .sum(let sum) = recorded(name, in: sums) { evidence[name] = sum }
        }
        return evidence
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }

    /// Files of a run folder that SHA256SUMS does not list: itself, and the signature over it.
    static let unlisted: Set<String> = [checksumFile, RunSignature.fileName]

    /// The names SHA256SUMS may list: not itself or its signature, and not a name with a control character or
    /// a backslash, which cannot be one line of it (keyaudit never makes one: left out, and `verify` reports it
    /// as a file added after the run).
    static func listable(_ names: [String]) -> [String] {
        names.filter { name in
            !unlisted.contains(name) && !name.unicodeScalars.contains { $0.value < 0x20 || $0 == "\\" }
        }
    }

    /// Writes `sha256sum -c`-compatible lines for every regular file in `folder` except SHA256SUMS and its
    /// signature, sorted by name (links and other entries are never read through); returns the bytes written.
    ///
    /// - Parameter known: sums already taken, used for a file that is still the same file (see ``FileStamp``).
    @discardableResult
    static func writeChecksums(
        in folder: Folder, known: [String: (sum: String, stamp: FileStamp)] = [:]
    ) throws(KeyAuditError) -> [UInt8] {
        var text = ""
        for name in listable(folder.names()).sorted() where folder.kind(of: name) == .file {
            if let early = known[name], FileStamp(folder, name) == early.stamp {
                text += "\(early.sum)  \(name)\n"
                continue
            }
            guard let sum = folder.sha256(of: name) else {
                throw .cannotWrite("cannot read back \(folder.url(name)) to checksum it")
            }
            text += "\(sum)  \(name)\n"
        }
        let bytes = Array(text.utf8)
        try folder.writeAtomically(bytes, to: checksumFile)
        return bytes
    }
}

/// A regular file as `stat` sees it: a file rewritten, replaced or grown since has another stamp.
struct FileStamp: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec

    /// The stamp of the regular file `name` in `folder` (a link is not followed); nil for anything else.
    init?(_ folder: Folder, _ name: String) {
        guard let info = folder.status(of: name) else { return nil }
        self.init(info)
    }

    /// The stamp of the file open as `file`; nil when it is not a regular file.
    init?(open file: Int32) {
        var info = stat()
        guard fstat(file, &info) == 0 else { return nil }
        self.init(info)
    }

    private init?(_ info: stat) {
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
        size = Int64(truncatingIfNeeded: info.st_size)
        #if canImport(Darwin)
            modified = info.st_mtimespec
            changed = info.st_ctimespec
        #else
            modified = info.st_mtim
            changed = info.st_ctim
        #endif
    }

    static func == (a: FileStamp, b: FileStamp) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
            && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }
}
