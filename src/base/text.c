#include "base/text.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>

void fnv1a_hex(const char *text, char out[17]) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

// One field at *p, unquoted in place and terminated; *p moves past its comma.
// Returns 1 if another field follows (a comma ended this one), 0 at the record's end.
static int csv_field(char **p_, char **field) {
    char *p = *p_, *out = p;
    *field = p;
    if (*p == '"') {
        char *r = p + 1;
        for (;;) {
            if (!*r) break;
            if (*r == '"' && r[1] == '"') { *out++ = '"'; r += 2; continue; }
            if (*r == '"') { r++; break; }
            *out++ = *r++;
        }
        p = r;
    } else {
        while (*p && *p != ',' && *p != '\n' && *p != '\r') *out++ = *p++;
    }
    int more = *p == ',';
    *out = 0;
    *p_ = p + more;
    return more;
}

int csv_split(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max)
        if (!csv_field(&p, &fields[n++])) break;
    return n;
}

int csv_split_all(char *line, char ***fields, int *cap) {
    int n = 0, more = 1;
    char *p = line;
    while (more) {
        if (n == *cap) {
            int c = *cap ? 2 * *cap : 64;
            *fields = xrealloc(*fields, sizeof(char *) * c);
            *cap = c;
        }
        more = csv_field(&p, &(*fields)[n++]);
    }
    return n;
}
