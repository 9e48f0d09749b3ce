#include "base/json.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/utf8.h"

void json_str(FILE *f, const char *text) {
    if (!f) return;
    if (!text) { fputs("null", f); return; }
    fputc('"', f);
    const char *end = text + strlen(text);
    for (const char *p = text; *p;) {
        unsigned c = (unsigned char)*p;
        if (c == '"' || c == '\\') { fputc('\\', f); fputc((int)c, f); p++; continue; }
        if (c < 0x20) {
            const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (esc) fputs(esc, f);
            else fprintf(f, "\\u%04x", c);
            p++;
            continue;
        }
        int n = utf8_sequence(p, (size_t)(end - p), NULL);
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
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    json_str(f, s);
    free(s);
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
