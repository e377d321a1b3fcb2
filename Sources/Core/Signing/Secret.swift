#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Wiping of buffers that held private key material.
///
/// Swift gives no guarantee that a copy of an array never lingers elsewhere (copy-on-write, reallocation while
/// growing), so this is best-effort hygiene: the module keeps secrets in few buffers, pre-sizes the ones it grows,
/// and wipes each one as soon as it is no longer needed. The C routines used here are ones the optimizer may not
/// remove as dead stores, unlike a plain loop or `memset`.
enum Secret {
    /// Overwrites the array's storage with zeros; the count is unchanged. If the storage is shared with another
    /// array, that array is *not* affected (Swift copies first), so callers wipe the buffer they own.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { zero($0) }
    }

    static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            return
        }
        #if canImport(Darwin)
            _ = memset_s(base, buffer.count, 0, buffer.count)
        #elseif canImport(Glibc) || canImport(Musl)
            explicit_bzero(base, buffer.count)
        #else
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        #endif
    }
}
