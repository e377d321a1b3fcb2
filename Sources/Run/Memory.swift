#if canImport(Glibc)
    import Glibc
#endif

/// Gives freed heap memory back to the system.
///
/// glibc keeps freed small blocks in the heap, so after the keys' objects as received (about 110 MB at
/// 100,000 keys) are dropped, the process would still hold their pages while the audit allocates around
/// them. `malloc_trim` returns whole free pages from anywhere in the heap; it costs a few milliseconds and
/// is called at the points where a run drops a large structure. Glibc's module map does not export it, so
/// it is looked up once by name; on a libc without it this does nothing.
enum Memory {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let trim: Trim? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: Trim.self)
        #else
            return nil
        #endif
    }()

    static func returnFreePages() {
        _ = trim?(0)
    }
}
