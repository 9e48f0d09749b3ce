// Enum ↔ name tables for command-line and config values.
#pragma once
#include <string.h>

// The index of `name` in names[0..n), or −1.
static inline int name_index(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}
#define NAME_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))
