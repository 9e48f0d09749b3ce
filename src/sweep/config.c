#include "sweep/config.h"

#include <errno.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#define MAX_SEEDS 100000

typedef struct {
    const char *path;
} Ctx;

static void node_mark(struct fy_node *n, int *line, int *col) {
    *line = 1; *col = 1;
    while (n && !fy_node_is_scalar(n)) {
        void *it = NULL;
        if (fy_node_is_mapping(n)) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_sequence_iterate(n, &it);
        }
    }
    if (!n) return;
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    if (m) { *line = m->line + 1; *col = m->column + 1; }
}

// Records "path:line:col: field: what" (the node's position) in jp_error(); an argument may be
// jp_error() itself (a field_set_* message). Returns −1.
__attribute__((format(printf, 4, 5)))
static int fail_at(Ctx *x, struct fy_node *at, const char *field, const char *fmt, ...) {
    int line, col;
    node_mark(at, &line, &col);
    char what[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return jp_fail("%s:%d:%d: %s%s%s", x->path, line, col, field ? field : "", field ? ": " : "", what);
}

static const char *scalar(struct fy_node *n) { return fy_node_get_scalar0(n); }

static const char *kind_of(struct fy_node *n) {
    return fy_node_is_mapping(n) ? "a mapping" : fy_node_is_sequence(n) ? "a list" : "a scalar";
}

// Sets one field of `s` from a node: a scalar, or a sequence of scalars for lists.
static int set_from_node(Ctx *x, const Field *f, RunSpec *s, struct fy_node *v) {
    if (fy_node_is_scalar(v)) {
        if (field_set_scalar(f, s, scalar(v)) != 0) return fail_at(x, v, f->path, "%s", jp_error());
        return 0;
    }
    if (fy_node_is_sequence(v)) {
        const char *items[MLP_MAX_DEPTH + 1];
        int n = 0;
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(v, &it))) {
            if (!fy_node_is_scalar(item)) return fail_at(x, item, f->path, "expected integers, got %s", kind_of(item));
            RunSpec one = *s;   // each item alone first, so an error points at it
            if (f->type == F_INT_LIST && field_set_list(f, &one, &(const char *){ scalar(item) }, 1) != 0)
                return fail_at(x, item, f->path, "%s", jp_error());
            if (n <= MLP_MAX_DEPTH) items[n] = scalar(item);
            n++;
        }
        if (field_set_list(f, s, items, n) != 0) return fail_at(x, v, f->path, "%s", jp_error());
        return 0;
    }
    char what[256];
    field_describe(f, what, sizeof what);
    return fail_at(x, v, f->path, "expected %s, got a mapping", what);
}

static void list_keys(const char *section, char *out, size_t outlen) {
    size_t n = 0, len = strlen(section);
    out[0] = 0;
    for (int i = 0; i < spec_field_count && n < outlen; i++)
        if (!strncmp(spec_fields[i].path, section, len) && spec_fields[i].path[len] == '.' && spec_fields[i].type != F_SEED)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", spec_fields[i].path + len + 1);
}

// Where each field was set: base section or an axis, for conflict messages.
typedef struct { const Field *field; struct fy_node *at; const char *where; } Setting;
typedef struct { Setting s[128]; int n; } Settings;

static int note_setting(Ctx *x, Settings *set, const Field *f, struct fy_node *at, const char *where) {
    for (int i = 0; i < set->n; i++) {
        if (set->s[i].field == f) {
            int line, col;
            node_mark(set->s[i].at, &line, &col);
            return fail_at(x, at, f->path, "also set in %s (line %d); set it in one place", set->s[i].where, line);
        }
    }
    if (set->n < 128) set->s[set->n++] = (Setting){ f, at, where };
    return 0;
}

static int parse_section(Ctx *x, SweepConfig *c, const char *section, struct fy_node *map, Settings *set) {
    if (!fy_node_is_mapping(map)) return fail_at(x, map, section, "expected a mapping of fields, got %s", kind_of(map));
    void *it = NULL;
    struct fy_node_pair *p;
    int budgets = 0;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        char path[256], keys[1024];
        snprintf(path, sizeof path, "%s.%s", section, fy_node_is_scalar(k) ? scalar(k) : "?");
        const Field *f = field_find(path);
        if (!f || f->type == F_SEED) {
            list_keys(section, keys, sizeof keys);
            return fail_at(x, k, path, "unknown field (%s accepts: %s)", section, keys);
        }
        if (f->type == F_BUDGET && budgets++)
            return fail_at(x, k, path, "give one of steps, examples, epochs, flops, tokens_per_param");
        if (!v) return fail_at(x, k, path, "missing value");
        if (note_setting(x, set, f, k, section) != 0 || set_from_node(x, f, &c->base, v) != 0) return -1;
    }
    return 0;
}

static int parse_axes(Ctx *x, SweepConfig *c, const char *kind, struct fy_node *map, Axis *axes, int *n_axes, Settings *set) {
    if (!fy_node_is_mapping(map)) return fail_at(x, map, kind, "expected a mapping of field: [values], got %s", kind_of(map));
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        const char *name = fy_node_is_scalar(k) ? scalar(k) : "?";
        const Field *f = field_find(name);
        if (!f) return fail_at(x, k, kind, "unknown field '%s' (axes are section.key, e.g. model.width)", name);
        if (f->type == F_SEED) return fail_at(x, k, name, "seeds are set under seeds: {init: …, data: …}");
        if (!v || !fy_node_is_sequence(v) || fy_node_sequence_item_count(v) < 1)
            return fail_at(x, v ? v : k, name, "expected a non-empty list of values");
        if (*n_axes == SWEEP_MAX_AXES) return fail_at(x, k, kind, "more than %d axes", SWEEP_MAX_AXES);
        if (note_setting(x, set, f, k, kind) != 0) return -1;
        Axis *a = &axes[(*n_axes)++];
        a->field = f;
        a->n = fy_node_sequence_item_count(v);
        a->values = xcalloc((size_t)a->n, sizeof *a->values);
        void *jt = NULL;
        for (int i = 0; i < a->n; i++) {
            a->values[i] = fy_node_sequence_iterate(v, &jt);
            RunSpec scratch = c->base;   // check every value now, not mid-sweep
            if (set_from_node(x, f, &scratch, a->values[i]) != 0) return -1;
        }
        if (!strcmp(kind, "zip")) {
            if (c->zip_len && a->n != c->zip_len)
                return fail_at(x, k, name, "has %d values but %s has %d; zip axes move together and need equal lengths",
                               a->n, axes[0].field->path, c->zip_len);
            c->zip_len = a->n;
        }
    }
    return 0;
}

static int parse_seed_list(Ctx *x, const char *field, struct fy_node *v, uint64_t **out, int *n) {
    const char *what = "expected a count (4), a list ([0, 1, 5]) or a range (\"0:8\")";
    uint64_t *list = xmalloc_array(MAX_SEEDS, sizeof(uint64_t));
    *out = list;
    *n = 0;
    if (fy_node_is_sequence(v)) {
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(v, &it))) {
            char *end;
            const char *t = fy_node_is_scalar(item) ? scalar(item) : "";
            errno = 0;
            unsigned long long s = strtoull(t, &end, 10);
            if (!*t || *end || errno || t[0] == '-') return fail_at(x, item, field, "expected a non-negative integer seed, got '%s'", t);
            if (*n == MAX_SEEDS) return fail_at(x, item, field, "more than %d seeds", MAX_SEEDS);
            list[(*n)++] = s;
        }
        if (*n == 0) return fail_at(x, v, field, "%s, got an empty list", what);
        return 0;
    }
    if (!fy_node_is_scalar(v)) return fail_at(x, v, field, "%s, got %s", what, kind_of(v));
    const char *t = scalar(v);
    unsigned long long a, b, step = 1;
    char tail;
    if (sscanf(t, "%llu:%llu%c", &a, &b, &tail) == 2 || sscanf(t, "%llu:%llu:%llu%c", &a, &b, &step, &tail) == 3) {
        // Counted as (b − a − 1) / step + 1 and filled by count: b − a + step − 1 wrapped past
        // 2^64 to a small count for "0:18446744073709551615:2" (a fuzzer found it), and s += step
        // could wrap back below b.
        if (b <= a || step == 0 || (b - a - 1) / step + 1 > MAX_SEEDS || t[0] == '-')
            return fail_at(x, v, field, "range '%s' must have STOP > START and at most %d values", t, MAX_SEEDS);
        for (unsigned long long i = 0, count = (b - a - 1) / step + 1; i < count; i++) list[(*n)++] = a + i * step;
        return 0;
    }
    char *end;
    errno = 0;
    long count = strtol(t, &end, 10);
    if (*t && !*end && !errno && count >= 1 && count <= MAX_SEEDS) {
        for (long s = 0; s < count; s++) list[(*n)++] = (uint64_t)s;
        return 0;
    }
    return fail_at(x, v, field, "%s, got '%s'", what, t);
}

static int parse_seeds(Ctx *x, SweepConfig *c, struct fy_node *map) {
    if (!fy_node_is_mapping(map)) return fail_at(x, map, "seeds", "expected {init: …, data: …}, got %s", kind_of(map));
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        const char *key = fy_node_is_scalar(k) ? scalar(k) : "?";
        if (!v) return fail_at(x, k, "seeds", "%s: missing value", key);
        if (!strcmp(key, "init")) {
            free(c->init_seeds);
            if (parse_seed_list(x, "seeds.init", v, &c->init_seeds, &c->n_init) != 0) return -1;
        } else if (!strcmp(key, "data")) {
            free(c->data_seeds);
            if (parse_seed_list(x, "seeds.data", v, &c->data_seeds, &c->n_data) != 0) return -1;
        } else {
            return fail_at(x, k, "seeds", "unknown key '%s' (seeds accepts: init, data)", key);
        }
    }
    return 0;
}

static int check_shape_fields(Ctx *x, const Settings *set) {
    struct fy_node *hidden = NULL, *width_or_depth = NULL;
    for (int i = 0; i < set->n; i++) {
        const char *p = set->s[i].field->path;
        if (!strcmp(p, "model.hidden")) hidden = set->s[i].at;
        if (!strcmp(p, "model.width") || !strcmp(p, "model.depth")) width_or_depth = set->s[i].at;
    }
    if (hidden && width_or_depth)
        return fail_at(x, hidden, "model.hidden", "cannot be combined with model.width or model.depth; use one or the other");
    return 0;
}

static int parse_document(Ctx *x, SweepConfig *c) {
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET, .diag = diag };
    c->doc = fy_document_build_from_string(&cfg, c->text, FY_NT);
    if (!c->doc) {
        void *it = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);   // line, column: 1-based here
        if (e) jp_fail("%s:%d:%d: YAML syntax: %s", x->path, e->line, e->column, e->msg);
        else jp_fail("%s: not valid YAML", x->path);
        fy_diag_destroy(diag);
        return -1;
    }
    fy_diag_destroy(diag);
    struct fy_node *root = fy_document_root(c->doc);
    if (!root || !fy_node_is_mapping(root))
        return fail_at(x, root, NULL, "a sweep config is a mapping with task, model, optim, schedule, budget, grid, zip, seeds");
    Settings set = { .n = 0 };
    static const char *const sections[] = { "task", "model", "optim", "schedule", "budget", "tickets", "world", "probe", "injection" };
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(root, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        const char *key = fy_node_is_scalar(k) ? scalar(k) : "?";
        int known = 0;
        if (!v) return fail_at(x, k, key, "missing value");
        for (int i = 0; i < (int)(sizeof sections / sizeof sections[0]); i++)
            if (!strcmp(key, sections[i])) {
                known = 1;
                if (parse_section(x, c, key, v, &set) != 0) return -1;
            }
        if (known) continue;
        if (!strcmp(key, "name")) {
            if (!fy_node_is_scalar(v)) return fail_at(x, v, "name", "expected a string, got %s", kind_of(v));
            snprintf(c->name, sizeof c->name, "%s", scalar(v));
        } else if (!strcmp(key, "max_runs")) {
            char *end;
            const char *t = fy_node_is_scalar(v) ? scalar(v) : "";
            errno = 0;
            long m = strtol(t, &end, 10);
            if (!*t || *end || errno || m < 1 || m > SWEEP_MAX_RUNS_LIMIT)
                return fail_at(x, v, "max_runs", "expected an integer in [1, %ld], got %s%s%s", (long)SWEEP_MAX_RUNS_LIMIT,
                               *t ? "'" : kind_of(v), *t ? t : "", *t ? "'" : "");
            c->max_runs = m;
        } else if (!strcmp(key, "grid")) {
            if (parse_axes(x, c, "grid", v, c->grid, &c->n_grid, &set) != 0) return -1;
        } else if (!strcmp(key, "zip")) {
            if (parse_axes(x, c, "zip", v, c->zip, &c->n_zip, &set) != 0) return -1;
        } else if (!strcmp(key, "seeds")) {
            if (parse_seeds(x, c, v) != 0) return -1;
        } else {
            return fail_at(x, k, key, "unknown section (expected name, task, world, probe, injection, model, optim, schedule, budget, tickets, grid, zip, seeds, max_runs)");
        }
    }
    return check_shape_fields(x, &set);
}

// Refuses text that is not UTF-8 before libfyaml sees it: some invalid bytes make
// it loop forever (e.g. "%" then 0xff), and the location helps anyway.
static int check_utf8(const char *path, const char *text, size_t len) {
    Utf8Error e;
    if (utf8_check(text, len, &e) == 0) return 0;
    return jp_fail("%s:%d:%d: %s (byte 0x%02x at offset %zu); a sweep config must be UTF-8 text", path, e.line, e.col,
                   e.why, e.byte, e.offset);
}

// The run count as a product of its factors, for the refusal message.
static void describe_size(const SweepConfig *c, char *out, size_t outlen) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < c->n_grid && k < outlen; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%s%s %d", k ? " × " : "", c->grid[i].field->path, c->grid[i].n);
    if (c->n_zip && k < outlen) k += (size_t)snprintf(out + k, outlen - k, "%szip %d", k ? " × " : "", c->zip_len);
    if (k < outlen) snprintf(out + k, outlen - k, "%sseeds %d × %d", k ? " × " : "", c->n_init, c->n_data);
}

// Refuses a sweep of more than max_runs runs from the axis sizes alone, before
// any allocation or expansion (a 1e9-point grid used to crash in malloc, a 1e6
// one to validate silently for minutes).
static int check_size(const SweepConfig *c) {
    long n = sweep_size(c);
    long cap = c->max_runs ? c->max_runs : SWEEP_DEFAULT_MAX_RUNS;
    if (n <= cap) return 0;
    char factors[1024];
    describe_size(c, factors, sizeof factors);
    char count[64];
    if (n == LONG_MAX) {   // saturated: say roughly how many
        double d = (double)c->n_init * c->n_data * (c->n_zip ? c->zip_len : 1);
        for (int i = 0; i < c->n_grid; i++) d *= c->grid[i].n;
        snprintf(count, sizeof count, "about %.3g", d);
    } else {
        snprintf(count, sizeof count, "%ld", n);
    }
    char advice[96];
    if (n > SWEEP_MAX_RUNS_LIMIT) snprintf(advice, sizeof advice, "no sweep may have more than %ld: split it", SWEEP_MAX_RUNS_LIMIT);
    else snprintf(advice, sizeof advice, "set max_runs: %ld (top level) to run them all", n);
    return jp_fail("%s: the sweep has %s runs (%s), more than max_runs %ld; %s", c->path, count, factors, cap, advice);
}

int sweep_config_parse(const char *path, const char *text, SweepConfig *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    if (check_utf8(path, text, strlen(text)) != 0) return -1;
    c->text = xstrdup(text);
    spec_defaults(&c->base);
    Ctx x = { .path = path };
    if (parse_document(&x, c) != 0) { sweep_config_free(c); return -1; }
    if (!c->n_init) { c->init_seeds = xcalloc(1, sizeof(uint64_t)); c->n_init = 1; }
    if (!c->n_data) { c->data_seeds = xcalloc(1, sizeof(uint64_t)); c->n_data = 1; }
    if (!c->name[0]) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        snprintf(c->name, sizeof c->name, "%.*s", (int)strcspn(base, "."), base);
    }
    if (check_size(c) != 0) { sweep_config_free(c); return -1; }
    RunSpec *specs;
    long n;
    if (sweep_expand(c, &specs, &n) != 0) { sweep_config_free(c); return -1; }
    free(specs);
    return 0;
}

int sweep_config_load(const char *path, SweepConfig *c) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) return jp_fail("%s: cannot open: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        int e = errno;
        fclose(f);
        return jp_fail("%s: cannot read: %s", path, strerror(e));
    }
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, got, mem);
    int read_failed = ferror(f);
    fclose(f);
    if (fclose(mem) != 0 || !text) { free(text); return jp_fail("%s: cannot read: out of memory", path); }
    if (read_failed) { free(text); return jp_fail("%s: read error", path); }
    // Checked on the bytes as read, so a NUL byte is reported rather than ending the text early.
    int rc = check_utf8(path, text, len);
    if (rc == 0) rc = sweep_config_parse(path, text, c);
    free(text);
    return rc;
}

void sweep_config_free(SweepConfig *c) {
    for (int i = 0; i < c->n_grid; i++) free(c->grid[i].values);
    for (int i = 0; i < c->n_zip; i++) free(c->zip[i].values);
    if (c->doc) fy_document_destroy(c->doc);
    free(c->text);
    free(c->init_seeds);
    free(c->data_seeds);
    memset(c, 0, sizeof *c);
}

long sweep_size(const SweepConfig *c) {
    long n = (long)c->n_init * c->n_data;   // each at most MAX_SEEDS: no overflow
    if (c->n_zip && __builtin_mul_overflow(n, (long)c->zip_len, &n)) return LONG_MAX;
    for (int i = 0; i < c->n_grid; i++)
        if (__builtin_mul_overflow(n, (long)c->grid[i].n, &n)) return LONG_MAX;
    return n;
}

int sweep_expand(const SweepConfig *c, RunSpec **specs, long *n_out) {
    long n = sweep_size(c), k = 0;
    if (check_size(c) != 0) return -1;   // the caller skipped sweep_config_parse's check
    RunSpec *out = xmalloc_array((size_t)n, sizeof(RunSpec));
    Ctx x = { .path = c->path };
    int idx[SWEEP_MAX_AXES] = { 0 };
    long points = n / ((long)c->n_init * c->n_data * (c->n_zip ? c->zip_len : 1));
    for (long g = 0; g < points; g++) {
        RunSpec point = c->base;
        for (int a = 0; a < c->n_grid; a++) set_from_node(&x, c->grid[a].field, &point, c->grid[a].values[idx[a]]);
        for (int z = 0; z < (c->n_zip ? c->zip_len : 1); z++) {
            RunSpec zp = point;
            for (int a = 0; a < c->n_zip; a++) set_from_node(&x, c->zip[a].field, &zp, c->zip[a].values[z]);
            for (int i = 0; i < c->n_init; i++)
                for (int d = 0; d < c->n_data; d++) {
                    RunSpec s = zp;
                    s.init_seed = c->init_seeds[i];
                    s.data_seed = c->data_seeds[d];
                    if (spec_resolve(&s) != 0) {
                        free(out);
                        return jp_fail("%s: sweep point %ld: %s", c->path, k + 1, jp_error());
                    }
                    out[k++] = s;
                }
        }
        for (int a = c->n_grid - 1; a >= 0; a--) {   // odometer: last axis fastest
            if (++idx[a] < c->grid[a].n) break;
            idx[a] = 0;
        }
    }
    *specs = out;
    *n_out = n;
    return 0;
}
