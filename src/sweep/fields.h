// The table of run-spec fields: the one place that names a field, its type and
// its accepted range. The YAML config, canonical forms, JSON and exports all
// read it, so adding a hyper-parameter is one row here.
#pragma once
#include <stdio.h>
#include <stddef.h>

#include "sweep/spec.h"

typedef enum { F_INT, F_REAL, F_BOOL, F_ENUM, F_STRING, F_INT_LIST, F_BUDGET, F_SEED } FieldType;

typedef struct {
    const char *path;                 // "section.key", as written in the YAML
    FieldType type;
    size_t offset;                    // into RunSpec
    double min, max;                  // numbers: inclusive range; strings: max length
    const char *const *names;         // enums: accepted names
    int n_names;
    int identity;                     // part of the canonical form
    int budget_kind;                  // F_BUDGET: which BudgetKind this key sets
} Field;

extern const Field spec_fields[];
extern const int spec_field_count;

const Field *field_find(const char *path);

// Parses scalar text into the field of `s`. Lists (F_INT_LIST) take items[n].
// On error records "expected …, got '…'" in jp_error() (base/error.h) and returns −1.
int field_set_scalar(const Field *f, RunSpec *s, const char *text);
int field_set_list(const Field *f, RunSpec *s, const char *const *items, int n);

// The field's value as canonical text ("%ld", "%.17g", a name, "300,100").
void field_format(const Field *f, const RunSpec *s, char *out, size_t outlen);
// JSON value (numbers bare, strings quoted, lists as arrays).
void field_format_json(const Field *f, const RunSpec *s, FILE *out);
// "an integer in [1, 65536]", "one of relu, gelu, tanh", …
void field_describe(const Field *f, char *out, size_t outlen);
