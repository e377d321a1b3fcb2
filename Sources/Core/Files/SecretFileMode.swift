import Foundation

/// Who besides its owner can read or replace a file that holds a secret (the management key file, the signing
/// key), and the warning that says so.
///
/// Other users' bits always count. The group's count unless the file's group is a supplementary group of this
/// process that is not its own primary group: that is how Kubernetes shares a mounted secret with a pod
/// (`fsGroup`, mode 0440, owner root), where `chmod 600` would lock keyaudit out. A group-readable file in the
/// group keyaudit runs as (a user's `staff` or `users` group, 0640) is shared with every member: warned.
package enum SecretFileMode {
    /// The warning for a file with `status` (nil when only its owner can read and write it).
    ///
    /// - Parameters:
    ///   - what: how messages name the file, e.g. `--key-file`.
    ///   - holds: what the file gives whoever reads it, e.g. `the management key`.
    package static func warning(_ status: stat, what: String, path: String, holds: String) -> String? {
        let mode = status.st_mode
        let others = mode & (S_IROTH | S_IWOTH) != 0
        let group = mode & (S_IRGRP | S_IWGRP) != 0 && !isPlatformSharedGroup(status.st_gid)
        guard others || group else { return nil }
        let writable = others ? mode & S_IWOTH != 0 : mode & S_IWGRP != 0
        let who = others ? "every user on this machine" : "the members of its group"
        let shown = Escaping.oneLine(path)
        return
            "\(what) \(shown) can be read by other users (mode \(String(mode & 0o777, radix: 8))): \(who) can \(writable ? "read or replace" : "read") \(holds); run `chmod 600 \(shown)` so that only its owner can"
    }

    /// A supplementary group of this process other than its primary group (see the type's notes).
    static func isPlatformSharedGroup(_ gid: gid_t) -> Bool {
        guard gid != getegid() else { return false }
        let count = getgroups(0, nil)
        guard count > 0 else { return false }
        var groups = [gid_t](repeating: 0, count: Checked.int(count) ?? 0)
        let filled = getgroups(count, &groups)
        return filled > 0 && groups.prefix(Checked.int(filled) ?? 0).contains(gid)
    }
}
