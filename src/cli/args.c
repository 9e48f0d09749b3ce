#include "cli/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "jackpot %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see: jackpot %s --help)\n", cmd);
    va_end(ap);
    exit(2);
}

long arg_long(const char *cmd, const char *flag, const char *s, long min, long max) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);   // accepts 1e6 as well as 1000000
    if (errno || end == s || *end || v != (double)(long)v || v < min || v > max)
        usage_error(cmd, "%s: expected an integer in [%ld, %ld], got '%s'", flag, min, max, s);
    return (long)v;
}

double arg_double(const char *cmd, const char *flag, const char *s, double min, double max) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max))
        usage_error(cmd, "%s: expected a number in [%g, %g], got '%s'", flag, min, max, s);
    return v;
}

static int parse_u64(const char *s, const char **end, uint64_t *v) {
    char *e;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long x = strtoull(s, &e, 10);
    if (errno) return -1;
    *v = x;
    *end = e;
    return 0;
}

int arg_seed_list(const char *cmd, const char *flag, const char *s, uint64_t *out, int max_n) {
    const char *p = s;
    uint64_t a, b, step = 1;
    if (parse_u64(p, &p, &a) == 0 && *p == ':') {
        if (parse_u64(p + 1, &p, &b) != 0 || (*p == ':' && (parse_u64(p + 1, &p, &step) != 0 || step == 0)) || *p || b <= a)
            usage_error(cmd, "%s: expected a range START:STOP[:STEP] with STOP > START, got '%s'", flag, s);
        uint64_t count = (b - a - 1) / step + 1;   // b − a + step − 1 could wrap past 2^64
        if (count > (uint64_t)max_n)
            usage_error(cmd, "%s: range '%s' has more than %d values", flag, s, max_n);
        int n = 0;
        for (uint64_t i = 0; i < count; i++) out[n++] = a + i * step;
        return n;
    }
    int n = 0;
    p = s;
    for (;;) {
        uint64_t v;
        if (parse_u64(p, &p, &v) != 0 || (*p && *p != ','))
            usage_error(cmd, "%s: expected a list like 0,1,2 or a range like 0:8, got '%s'", flag, s);
        if (n == max_n) usage_error(cmd, "%s: more than %d values in '%s'", flag, max_n, s);
        out[n++] = v;
        if (!*p) return n;
        p++;
    }
}

int arg_int_list(const char *cmd, const char *flag, const char *s, int *out, int max_n, int min, int max) {
    int n = 0;
    const char *p = s;
    for (;;) {
        char *e;
        errno = 0;
        long v = strtol(p, &e, 10);
        if (e == p || errno || v < min || v > max || (*e && *e != ','))
            usage_error(cmd, "%s: expected a comma-separated list of integers in [%d, %d], got '%s'", flag, min, max, s);
        if (n == max_n) usage_error(cmd, "%s: at most %d values, got '%s'", flag, max_n, s);
        out[n++] = (int)v;
        if (!*e) return n;
        p = e + 1;
    }
}
