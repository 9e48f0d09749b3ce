#include "base/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"

// Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there are not
// one (overlong forms, surrogates and code points past U+10FFFF included).
static int utf8_len(const unsigned char *p) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    int n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n) return 0;
    for (int k = 1; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] > 0x9F) return 0;   // UTF-16 surrogates
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] > 0x8F) return 0;   // past U+10FFFF
    return n;
}

void json_str(FILE *f, const char *text) {
    if (!f) return;
    if (!text) { fputs("null", f); return; }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        unsigned c = *p;
        if (c == '"' || c == '\\') { fputc('\\', f); fputc((int)c, f); p++; continue; }
        if (c < 0x20) {
            const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (esc) fputs(esc, f);
            else fprintf(f, "\\u%04x", c);
            p++;
            continue;
        }
        int n = utf8_len(p);
        if (n == 0) { fputs("\\ufffd", f); p++; continue; }
        fwrite(p, 1, (size_t)n, f);
        p += n;
    }
    fputc('"', f);
}

void json_strf(FILE *f, const char *fmt, ...) {
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    json_str(f, n < 0 ? "" : s);
    if (n >= 0) free(s);
}

void json_num(FILE *f, double v) {
    if (!f) return;
    if (!isfinite(v)) { fputs("null", f); return; }
    char b[40];
    format_real(b, sizeof b, v);
    fputs(b, f);
}

void json_key(FILE *f, const char *key) {
    if (!f) return;
    json_str(f, key);
    fputc(':', f);
}
