// Checked allocation: every heap allocation in jackpot goes through these.
// On failure they print "jackpot: out of memory: cannot allocate N bytes
// (file:line)" and abort(): running out of memory is not an input error that a
// caller could report better (inputs that would need absurd sizes are refused
// before allocating, e.g. the sweep's max_runs), and an abort leaves a core and a
// stack for the rare real case. A size whose computation would overflow (n ×
// size) fails the same way instead of wrapping to a small buffer.
// A request for 0 bytes returns a unique, freeable pointer (never NULL).
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define xmalloc(size) jp_xmalloc((size), __FILE__, __LINE__)
#define xcalloc(n, size) jp_xcalloc((n), (size), __FILE__, __LINE__)
#define xrealloc(p, size) jp_xrealloc((p), (size), __FILE__, __LINE__)
#define xmalloc_array(n, size) jp_xmalloc_array((n), (size), __FILE__, __LINE__)    // n × size, overflow-checked
#define xrealloc_array(p, n, size) jp_xrealloc_array((p), (n), (size), __FILE__, __LINE__)
#define xstrdup(s) jp_xstrdup((s), __FILE__, __LINE__)
#define xasprintf(...) jp_xasprintf(__FILE__, __LINE__, __VA_ARGS__)    // a new formatted string
#define xvasprintf(fmt, ap) jp_xvasprintf(__FILE__, __LINE__, (fmt), (ap))
#define xopen_memstream(text, len) jp_xopen_memstream((text), (len), __FILE__, __LINE__)   // never NULL
// Other allocators (glibc's hash tables): their failure reported and aborted the same way.
#define xout_of_memory(what) jp_out_of_memory((what), __FILE__, __LINE__)

void *jp_xmalloc(size_t size, const char *file, int line) __attribute__((malloc, returns_nonnull));
void *jp_xcalloc(size_t n, size_t size, const char *file, int line) __attribute__((malloc, returns_nonnull));
void *jp_xrealloc(void *p, size_t size, const char *file, int line) __attribute__((returns_nonnull));
void *jp_xmalloc_array(size_t n, size_t size, const char *file, int line) __attribute__((malloc, returns_nonnull));
void *jp_xrealloc_array(void *p, size_t n, size_t size, const char *file, int line) __attribute__((returns_nonnull));
char *jp_xstrdup(const char *s, const char *file, int line) __attribute__((malloc, returns_nonnull));
char *jp_xasprintf(const char *file, int line, const char *fmt, ...)
    __attribute__((malloc, returns_nonnull, format(printf, 3, 4)));
char *jp_xvasprintf(const char *file, int line, const char *fmt, va_list ap)
    __attribute__((malloc, returns_nonnull, format(printf, 3, 0)));
FILE *jp_xopen_memstream(char **text, size_t *len, const char *file, int line) __attribute__((returns_nonnull));
void jp_out_of_memory(const char *what, const char *file, int line) __attribute__((noreturn, cold));
