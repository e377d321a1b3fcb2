#ifndef KEYAUDIT_SYSTEM_H
#define KEYAUDIT_SYSTEM_H

// The few system calls Swift cannot reach on its own (prctl(2) is variadic, so it is not imported).

/// Marks the calling process as not dumpable (Linux: prctl(PR_SET_DUMPABLE, 0)): no core dump is written
/// whatever the core limit says, and other processes of the same user cannot ptrace it or read its memory.
/// Returns 0 on success, -1 on failure or where the call does not exist.
int keyaudit_set_not_dumpable(void);

/// 1 when the calling process is dumpable, 0 when it is not, -1 where that cannot be asked.
int keyaudit_is_dumpable(void);

/// Replaces the handlers of the crash signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP) with one that
/// writes a single fixed line to stderr and dies of the same signal: the Swift runtime's backtracer would print
/// pages of registers and the memory they point at (where the management key may be) to cron mail or a journal.
/// The handler runs on an alternate stack, so that a stack overflow on the main thread still gets its line.
/// Returns 0 on success, -1 if a handler could not be installed.
int keyaudit_install_crash_handlers(void);

#endif
