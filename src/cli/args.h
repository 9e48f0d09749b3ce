// Command-line values: parsed or rejected with a message that names the flag
// and the accepted range, exit status 2.
#pragma once
#include <stdint.h>

_Noreturn void usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

long arg_long(const char *cmd, const char *flag, const char *s, long min, long max);
double arg_double(const char *cmd, const char *flag, const char *s, double min, double max);

// Integer lists: "3", "0,4,7", "0:8" (0..7) or "0:8:2"; at most max_n values.
int arg_seed_list(const char *cmd, const char *flag, const char *s, uint64_t *out, int max_n);
// Positive integer lists "300,100".
int arg_int_list(const char *cmd, const char *flag, const char *s, int *out, int max_n, int min, int max);
