/// Path arithmetic on text, without Foundation's traps.
///
/// swift-corelibs-foundation's `NSString.deletingLastPathComponent` stops the process (SIGILL) on a path of one
/// character with or without trailing slashes (`m`, `.`, `./`, `a//`): exactly what a user types for
/// `--metrics-file m`, `--previous .` or `plan . --output p`. Every parent of a path from outside goes through
/// ``parent(of:)``; Tests/KeyAuditTests/Architecture/PathTextTests.swift keeps the Foundation call out of
/// Sources.
package enum PathText {
    /// `path` without its last component, as `deletingLastPathComponent` answers for the paths it does not trap
    /// on: `a/b/` → `a`, `/m` → `/`, `./m` → `.`, `m` → `` (the current folder, to callers), `/` → `/`.
    package static func parent(of path: String) -> String {
        var bytes = Array(path.utf8)
        let slash = UInt8(ascii: "/")
        guard !bytes.isEmpty else { return "" }
        while bytes.count > 1, bytes.last == slash { bytes.removeLast() }
        if bytes == [slash] { return "/" }
        guard let last = bytes.lastIndex(of: slash) else { return "" }
        var end = last
        while end > 0, bytes[end - 1] == slash { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The folder that holds `path`, to open: ``parent(of:)``, or `.` for a path in the current folder.
    package static func folder(of path: String) -> String {
        let parent = parent(of: path)
        return parent.isEmpty ? "." : parent
    }
}
