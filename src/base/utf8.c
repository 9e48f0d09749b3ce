#include "base/utf8.h"

#include <stdint.h>

int utf8_sequence(const char *text, size_t left, const char **why) {
    const uint8_t *s = (const uint8_t *)text;
    const char *ignored;
    if (!why) why = &ignored;
    uint8_t b = s[0];
    if (b == 0) { *why = "a NUL byte"; return 0; }
    if (b < 0x80) return 1;
    int n;
    uint32_t cp, min;
    if (b >= 0xc2 && b <= 0xdf) { n = 2; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { n = 3; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 4; cp = b & 0x07; min = 0x10000; }
    else { *why = b == 0xc0 || b == 0xc1 ? "an overlong encoding" : "not UTF-8"; return 0; }
    if ((size_t)n > left) { *why = "a UTF-8 sequence cut short"; return 0; }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) { *why = "a UTF-8 sequence cut short"; return 0; }
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min) { *why = "an overlong encoding"; return 0; }
    if (cp >= 0xd800 && cp <= 0xdfff) { *why = "a UTF-16 surrogate"; return 0; }
    if (cp > 0x10ffff) { *why = "a code point past U+10FFFF"; return 0; }
    return n;
}

int utf8_check(const char *text, size_t len, Utf8Error *e) {
    const uint8_t *s = (const uint8_t *)text;
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        const char *why = "";
        int n = utf8_sequence(text + i, len - i, &why);
        if (!n) {
            *e = (Utf8Error){ .offset = i, .line = line, .col = col, .byte = s[i], .why = why };
            return -1;
        }
        if (s[i] == '\n') { line++; col = 1; }
        else col++;
        i += (size_t)n;
    }
    return 0;
}
