#include "base/text.h"

#include <stdio.h>

void fnv1a_hex(const char *text, char out[17]) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int csv_split(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        fields[n++] = p;
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
        int end = *p != ',';
        *out = 0;
        if (end) break;
        p++;
    }
    return n;
}
