// Small text utilities shared by the store, the sweep and the analyses.
#pragma once
#include <stdint.h>

// FNV-1a, 64 bits, as 16 lower-case hex digits: stable identities of canonical texts.
void fnv1a_hex(const char *text, char out[17]);

// Splits one CSV record in place (RFC 4180 quoting; the line's newline ends it);
// fields[] point into line. Returns the number of fields (at most max).
int csv_split(char *line, char **fields, int max);

// The same for a record of any width: *fields (NULL with *cap 0 at first; the
// caller frees it) grows to hold every field. Returns the number of fields.
int csv_split_all(char *line, char ***fields, int *cap);
