import Foundation

/// The keys' objects as received, as compact JSON, packed into a few large blocks.
///
/// Each ``KeyRecord`` points into a store instead of holding its object as a tree. A tree costs about 700 bytes a
/// key in small allocations interleaved with the strings the typed fields keep; once dropped it leaves holes
/// the allocator can neither fill nor give back. Compact JSON in blocks that double up to 8 MiB (anonymous
/// mappings from 1 MiB up) costs the text alone (about 620 bytes a key) and is returned to the system whole
/// when the last key lets go of the store. A store holding one key (tests, one-off records) is one small block.
///
/// Appended to by one reader while a snapshot is built, read-only afterwards: that is what makes sharing it
/// between keys (and threads) safe, hence `@unchecked Sendable`.
package final class RawKeyStore: @unchecked Sendable {
    private struct Chunk {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var used = 0
        var mapped: Bool { capacity >= RawKeyStore.mapFrom }
    }

    private var chunks: [Chunk] = []
    private static let largestChunk = 8 << 20
    private static let mapFrom = 1 << 20

    package init() {}

    deinit {
        for chunk in chunks {
            if chunk.mapped { munmap(chunk.base, chunk.capacity) } else { chunk.base.deallocate() }
        }
    }

    /// Where one object lies in the store. Whole `Int`s (24 bytes a key, 12 more than three `UInt32`s): no size
    /// an object from outside can have needs a conversion that could trap.
    struct Location: Sendable {
        var chunk: Int
        var offset: Int
        var length: Int
    }

    /// Appends `bytes`; never moves what is already stored.
    func append(_ bytes: [UInt8]) -> Location {
        if chunks.isEmpty || chunks[chunks.count - 1].capacity - chunks[chunks.count - 1].used < bytes.count {
            let grown = min(Self.largestChunk, max(1_024, 2 * (chunks.last?.capacity ?? 0)))
            let capacity = max(grown, bytes.count)
            if capacity >= Self.mapFrom {
                let mapped = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                guard let mapped, mapped != MAP_FAILED else {
                    fatalError("out of memory: cannot map \(capacity) bytes for the snapshot's keys")
                }
                chunks.append(Chunk(base: mapped, capacity: capacity))
            } else {
                chunks.append(Chunk(base: .allocate(byteCount: capacity, alignment: 16), capacity: capacity))
            }
        }
        let index = chunks.count - 1
        let offset = chunks[index].used
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress {
                (chunks[index].base + offset).copyMemory(from: start, byteCount: source.count)
            }
        }
        chunks[index].used += bytes.count
        return Location(chunk: index, offset: offset, length: bytes.count)
    }

    func withBytes<R>(_ location: Location, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let chunk = chunks[location.chunk]
        return try body(UnsafeRawBufferPointer(start: chunk.base + location.offset, count: location.length))
    }
}
