#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

// Long enough for a path, a --where condition and the store's own message together.
static _Thread_local char last_error[4096];

int jp_fail(const char *fmt, ...) {
    char message[sizeof last_error];   // formatted apart first: an argument may be jp_error() itself (context added)
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    memcpy(last_error, message, sizeof message);
    return -1;
}

const char *jp_error(void) { return last_error[0] ? last_error : "unknown error"; }
