import CKeyAuditSystem
import Foundation

/// What the process does first, before it reads a key: no crash may ever write the management key to disk.
///
/// keyaudit holds a key that can delete every key of the account, often running as root from cron; a core dump
/// (of a crash, or one asked for with SIGQUIT or gcore) would copy it into a file that outlives the run. Both
/// ways to a dump are closed: the core limit is set to 0 (soft and hard, so nothing in the process can raise it
/// again) and the process is marked not dumpable (Linux `PR_SET_DUMPABLE` 0), which also keeps other processes of
/// the same user from attaching to it or reading its memory. And a crash prints one fixed line, not the Swift
/// runtime's backtrace with the memory its registers point at (see `keyaudit_install_crash_handlers`).
package enum ProcessHardening {
    /// Applies both; returns what could not be done (empty on Linux), for a warning.
    @discardableResult
    package static func apply() -> [String] {
        var problems: [String] = []
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        #if os(Linux)
            let resource = __rlimit_resource_t(RLIMIT_CORE.rawValue)
        #else
            let resource = RLIMIT_CORE
        #endif
        if setrlimit(resource, &limit) != 0 {
            problems.append("cannot set the core-dump limit to 0: \(String(cString: strerror(errno)))")
        }
        #if os(Linux)
            if markNotDumpable() != 0 {
                problems.append("cannot mark the process not dumpable: \(String(cString: strerror(errno)))")
            }
        #endif
        if keyaudit_install_crash_handlers() != 0 {
            problems.append("cannot install the crash handlers: \(String(cString: strerror(errno)))")
        }
        return problems
    }

    /// `PR_SET_DUMPABLE` 0 alone; 0 on success.
    package static func markNotDumpable() -> Int32 { keyaudit_set_not_dumpable() }

    /// The core-dump limit now in force (soft, hard); for tests and diagnostics.
    package static var coreLimit: (soft: rlim_t, hard: rlim_t) {
        var limit = rlimit()
        #if os(Linux)
            _ = getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
        #else
            _ = getrlimit(RLIMIT_CORE, &limit)
        #endif
        return (limit.rlim_cur, limit.rlim_max)
    }

    /// Whether the process may still be dumped (nil where that cannot be asked).
    package static var isDumpable: Bool? {
        let answer = keyaudit_is_dumpable()
        return answer < 0 ? nil : answer == 1
    }
}
