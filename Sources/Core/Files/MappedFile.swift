import Foundation

/// A file mapped read-only, whose pages can be given back once read.
///
/// Snapshots are read through this rather than into an array: a 66 MB snapshot read into memory is a
/// quarter of the 250 MB budget at 100,000 keys, while a private read-only mapping can drop the pages
/// already parsed (`release(below:)`) and the kernel reads them again from the file should they be touched.
package final class MappedFile {
    package let path: String
    package let count: Int
    private let base: UnsafeMutableRawPointer?
    private var released = 0
    private static let pageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))

    /// nil when the file cannot be opened, is not a regular file, or cannot be mapped.
    package convenience init?(path: String) {
        do throws(KeyAuditError) {
            try self.init(path: path, what: "file", kind: .data)
        } catch {
            return nil
        }
    }

    /// Maps the regular file at `path`, opened without blocking (see ``InputFile/open(_:what:kind:)``): a FIFO,
    /// a device or a folder is refused at once with a one-line error naming it as `what`.
    package init(path: String, what: String, kind: InputFile.Kind) throws(KeyAuditError) {
        self.path = path
        let descriptor = try InputFile.open(path, what: what, kind: kind)
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, let size = Checked.int(info.st_size), size >= 0 else {
            throw kind.error("cannot read \(what) \(Escaping.oneLine(path)): its size cannot be read")
        }
        count = size
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw kind.error(
                "cannot read \(what) \(Escaping.oneLine(path)): \(String(cString: strerror(errno))); check free memory")
        }
        base = mapped
        _ = madvise(mapped, count, MADV_SEQUENTIAL)
    }

    deinit {
        if let base { munmap(base, count) }
    }

    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Drops the resident pages wholly below `offset` (in steps of 8 MiB, so the call is rare). Safe at any
    /// time: the mapping is private and read-only, so a dropped page reads back from the file if touched.
    package func release(below offset: Int) {
        guard let base else { return }
        let end = offset / Self.pageSize * Self.pageSize
        guard end - released >= 8 << 20 else { return }
        _ = madvise(base + released, end - released, MADV_DONTNEED)
        released = end
    }

    /// SHA-256 of the whole file, read through the mapping and released as it goes (also after a parse has
    /// released it once: the pass starts over from the first byte).
    package func sha256Hex() -> String {
        released = 0
        var stream = Checksum.Stream()
        var offset = 0
        let chunk = 8 << 20
        while offset < count {
            let length = min(chunk, count - offset)
            stream.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]))
            offset += length
            release(below: offset)
        }
        released = 0
        return stream.finalize()
    }
}
