#ifndef KEYAUDIT_CXLSXWRITER_SHIM_H
#define KEYAUDIT_CXLSXWRITER_SHIM_H
#include <xlsxwriter.h>
#endif
