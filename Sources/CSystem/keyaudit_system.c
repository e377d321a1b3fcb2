#include "keyaudit_system.h"

#if defined(__linux__)
#include <sys/prctl.h>

int keyaudit_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1; }

int keyaudit_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#else
int keyaudit_set_not_dumpable(void) { return -1; }

int keyaudit_is_dumpable(void) { return -1; }
#endif
