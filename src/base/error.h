// Errors: functions return 0 on success and -1 on failure, after recording a
// message here (per thread). Callers add context or print jp_error().
#pragma once

int jp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  // records, returns -1
const char *jp_error(void);                                              // the last message
