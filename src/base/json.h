// The one JSON writer: every --json output and every JSON text the store keeps
// (fits, dists) is written with these, so that any string — a database path with
// a quote, a backslash, a newline or bytes that are not UTF-8 — still gives valid
// JSON (RFC 8259) and every number reads back as the same double.
// A NULL stream writes nothing: a caller may skip JSON it does not need without a
// branch at every call.
#pragma once
#include <stdarg.h>
#include <stdio.h>

// "text" with ", \ and the control characters U+0000..U+001F escaped (\n, \t, … or
// \u00XX); a byte sequence that is not UTF-8 becomes U+FFFD. NULL writes null.
void json_str(FILE *f, const char *text);

// The same for a printf-formatted text (verdicts, reasons).
void json_strf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// A number: the shortest text that reads back as the same double (%.15g … %.17g);
// NaN and ±inf, which JSON cannot hold, as null.
void json_num(FILE *f, double v);

// "key": (the key escaped as json_str does), ready for its value.
void json_key(FILE *f, const char *key);
