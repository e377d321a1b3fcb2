#include "keyaudit_system.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// Async-signal-safe: write(2), signal(2) and raise(3) only; the text is fixed (nothing of the process's memory).
static void keyaudit_crash(int number) {
    const char *name = "a crash signal";
    switch (number) {
    case SIGSEGV: name = "SIGSEGV"; break;
    case SIGBUS: name = "SIGBUS"; break;
    case SIGILL: name = "SIGILL"; break;
    case SIGFPE: name = "SIGFPE"; break;
    case SIGABRT: name = "SIGABRT"; break;
    case SIGTRAP: name = "SIGTRAP"; break;
    }
    static const char before[] = "keyaudit: error: internal error (";
    static const char after[] =
        "): keyaudit stopped; earlier runs are untouched and the next run removes what this one left in its "
        "staging folder; please report it with the command line (not the key)\n";
    ssize_t ignored = write(2, before, sizeof before - 1);
    ignored = write(2, name, strlen(name));
    ignored = write(2, after, sizeof after - 1);
    (void)ignored;
    signal(number, SIG_DFL);
    raise(number);
}

int keyaudit_install_crash_handlers(void) {
    static char alternate[64 * 1024];
    stack_t stack;
    memset(&stack, 0, sizeof stack);
    stack.ss_sp = alternate;
    stack.ss_size = sizeof alternate;
    int failed = sigaltstack(&stack, NULL) == 0 ? 0 : -1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = keyaudit_crash;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    const int numbers[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    for (size_t index = 0; index < sizeof numbers / sizeof numbers[0]; index++) {
        if (sigaction(numbers[index], &action, NULL) != 0) failed = -1;
    }
    // SIGQUIT (Ctrl-backslash) ends the process as its default does (no core: the limit is 0); the runtime's handler
    // would print the backtrace. Commands that write folders handle it like SIGTERM (SignalTrap).
    if (signal(SIGQUIT, SIG_DFL) == SIG_ERR) failed = -1;
    return failed;
}

#if defined(__linux__)
#include <sys/prctl.h>

int keyaudit_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1; }

int keyaudit_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#else
int keyaudit_set_not_dumpable(void) { return -1; }

int keyaudit_is_dumpable(void) { return -1; }
#endif
