#include "nn/safetensors.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/json.h"
#include "base/xalloc.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data are little-endian: convert on big-endian hosts");

#define HEADER_MAX (100u << 20)   // a header past 100 MB is not one of ours (the format's own limit)

static size_t tensor_count(int ndim, const int64_t *shape) {
    size_t c = 1;
    for (int d = 0; d < ndim; d++) c *= (size_t)shape[d];
    return c;
}

// The JSON header, padded with spaces to a multiple of 8 bytes; its length in *len.
static char *header_text(const SafeTensorOut *t, int n, const char *const (*meta)[2], int n_meta, size_t *len) {
    char *text = NULL;
    size_t size = 0;
    FILE *h = xopen_memstream(&text, &size);
    fputc('{', h);
    if (n_meta > 0) {
        fputs("\"__metadata__\":{", h);
        for (int i = 0; i < n_meta; i++) {
            if (i) fputc(',', h);
            json_key(h, meta[i][0]);
            json_str(h, meta[i][1]);
        }
        fputc('}', h);
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        if (i || n_meta > 0) fputc(',', h);
        json_key(h, t[i].name);
        fputs("{\"dtype\":\"F32\",\"shape\":[", h);
        for (int d = 0; d < t[i].ndim; d++) fprintf(h, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
        size_t bytes = 4 * tensor_count(t[i].ndim, t[i].shape);
        fprintf(h, "],\"data_offsets\":[%zu,%zu]}", offset, offset + bytes);
        offset += bytes;
    }
    fputc('}', h);
    while (ftell(h) % 8) fputc(' ', h);
    fclose(h);
    *len = size;
    return text;
}

int safetensors_write(const char *path, const SafeTensorOut *t, int n, const char *const (*meta)[2], int n_meta) {
    size_t len;
    char *header = header_text(t, n, meta, n_meta, &len);
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    uint64_t n_header = len;
    ok = ok && fwrite(&n_header, 8, 1, f) == 1 && fwrite(header, 1, len, f) == len;
    for (int i = 0; ok && i < n; i++) {
        size_t c = tensor_count(t[i].ndim, t[i].shape);
        ok = fwrite(t[i].data, sizeof(float), c, f) == c;
    }
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;   // on disk before the rename makes it the file
    int saved = errno;
    if (f && fclose(f) != 0 && ok) { ok = 0; saved = errno; }
    if (ok && rename(tmp, path) != 0) { ok = 0; saved = errno; }
    if (!ok) {
        unlink(tmp);
        jp_fail("%s: cannot write the weights: %s", path, strerror(saved));
    }
    free(tmp);
    free(header);
    return ok ? 0 : -1;
}

static int read_int64(struct fy_node *n, int64_t *v) {
    const char *s = n && fy_node_is_scalar(n) ? fy_node_get_scalar0(n) : NULL;
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno || x < 0) return -1;
    *v = x;
    return 0;
}

// One tensor's entry: dtype F32, its shape and its byte range (not yet checked against the data).
static int read_entry(const char *path, const char *name, struct fy_node *v, SafeTensorIn *t, uint64_t range[2]) {
    const char *dtype = fy_node_get_scalar0(fy_node_mapping_lookup_by_string(v, "dtype", -1));
    if (!dtype || strcmp(dtype, "F32")) return jp_fail("%s: tensor '%s' is %s: only F32 is read", path, name, dtype ? dtype : "of no dtype");
    struct fy_node *shape = fy_node_mapping_lookup_by_string(v, "shape", -1);
    struct fy_node *offsets = fy_node_mapping_lookup_by_string(v, "data_offsets", -1);
    int nd = shape && fy_node_is_sequence(shape) ? fy_node_sequence_item_count(shape) : -1;
    if (nd < 0 || nd > SAFETENSORS_MAX_DIMS || !offsets || !fy_node_is_sequence(offsets) || fy_node_sequence_item_count(offsets) != 2)
        return jp_fail("%s: tensor '%s': a shape of at most %d dimensions and two data_offsets are needed", path, name,
                       SAFETENSORS_MAX_DIMS);
    t->name = xstrdup(name);
    t->ndim = nd;
    for (int d = 0; d < nd; d++)
        if (read_int64(fy_node_sequence_get_by_index(shape, d), &t->shape[d]) != 0)
            return jp_fail("%s: tensor '%s': shape entry %d is not a whole number", path, name, d);
    t->count = tensor_count(nd, t->shape);
    int64_t b, e;
    if (read_int64(fy_node_sequence_get_by_index(offsets, 0), &b) || read_int64(fy_node_sequence_get_by_index(offsets, 1), &e) ||
        e < b || (uint64_t)(e - b) != 4 * t->count || b % 4)
        return jp_fail("%s: tensor '%s': data_offsets do not hold its %zu float32 values", path, name, t->count);
    range[0] = (uint64_t)b;
    range[1] = (uint64_t)e;
    return 0;
}

static int read_metadata(struct fy_node *m, SafeTensors *st) {
    if (!fy_node_is_mapping(m)) return -1;
    void *it = NULL;
    struct fy_node_pair *p;
    int cap = fy_node_mapping_item_count(m);
    st->meta_key = xcalloc(cap ? cap : 1, sizeof(char *));
    st->meta_value = xcalloc(cap ? cap : 1, sizeof(char *));
    while ((p = fy_node_mapping_iterate(m, &it))) {
        const char *k = fy_node_get_scalar0(fy_node_pair_key(p)), *v = fy_node_get_scalar0(fy_node_pair_value(p));
        if (!k || !v) return -1;
        st->meta_key[st->n_meta] = xstrdup(k);
        st->meta_value[st->n_meta++] = xstrdup(v);
    }
    return 0;
}

static int by_offset(const void *a, const void *b) {
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

// The header's entries into st (tensors in file order); ranges[2·i] their byte ranges.
static int read_header(const char *path, const char *text, size_t len, SafeTensors *st, uint64_t **ranges) {
    struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
    struct fy_node *root = doc ? fy_document_root(doc) : NULL;
    if (!root || !fy_node_is_mapping(root)) { fy_document_destroy(doc); return jp_fail("%s: the header is not a JSON object", path); }
    int cap = fy_node_mapping_item_count(root), rc = 0;
    st->tensors = xcalloc(cap ? cap : 1, sizeof(SafeTensorIn));
    uint64_t *r = *ranges = xcalloc(cap ? 3 * cap : 1, sizeof(uint64_t));   // begin, end, index
    void *it = NULL;
    struct fy_node_pair *p;
    while (rc == 0 && (p = fy_node_mapping_iterate(root, &it))) {
        const char *name = fy_node_get_scalar0(fy_node_pair_key(p));
        struct fy_node *v = fy_node_pair_value(p);
        if (name && !strcmp(name, "__metadata__")) {
            if (read_metadata(v, st) != 0) rc = jp_fail("%s: __metadata__ must map strings to strings", path);
        } else if (!name || !fy_node_is_mapping(v)) {
            rc = jp_fail("%s: header entry %d is not a tensor", path, st->n + 1);
        } else {
            r[3 * st->n + 2] = (uint64_t)st->n;
            rc = read_entry(path, name, v, &st->tensors[st->n], &r[3 * st->n]);
            st->n++;   // counted even when refused, so that safetensors_free frees its name
        }
    }
    fy_document_destroy(doc);
    return rc;
}

// Tensors sorted by offset must tile [0, data_bytes) without gaps or overlaps.
static int place_tensors(const char *path, SafeTensors *st, uint64_t *r, uint64_t data_bytes) {
    qsort(r, st->n, 3 * sizeof(uint64_t), by_offset);
    SafeTensorIn *sorted = xcalloc(st->n ? st->n : 1, sizeof(SafeTensorIn));
    for (int i = 0; i < st->n; i++) sorted[i] = st->tensors[r[3 * i + 2]];
    free(st->tensors);
    st->tensors = sorted;
    uint64_t at = 0;
    for (int i = 0; i < st->n; i++) {
        if (r[3 * i] != at) return jp_fail("%s: tensor '%s' does not start where the one before it ends", path, sorted[i].name);
        sorted[i].data = st->blob + at / 4;
        at = r[3 * i + 1];
    }
    if (at != data_bytes)
        return jp_fail("%s: the data are %llu bytes but the tensors hold %llu", path, (unsigned long long)data_bytes,
                       (unsigned long long)at);
    return 0;
}

int safetensors_read(const char *path, SafeTensors *st) {
    memset(st, 0, sizeof *st);
    FILE *f = fopen(path, "rb");
    if (!f) return jp_fail("%s: %s", path, strerror(errno));
    uint64_t n_header = 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    if (size < 8 || fread(&n_header, 8, 1, f) != 1 || n_header > HEADER_MAX || n_header > (uint64_t)size - 8) {
        fclose(f);
        return jp_fail("%s: not a safetensors file (no header length)", path);
    }
    char *header = xmalloc(n_header + 1);
    uint64_t data_bytes = (uint64_t)size - 8 - n_header, *ranges = NULL;
    int rc = fread(header, 1, n_header, f) == n_header ? 0 : jp_fail("%s: cannot read the header", path);
    header[n_header] = 0;
    if (rc == 0) rc = read_header(path, header, n_header, st, &ranges);
    if (rc == 0 && data_bytes % 4) rc = jp_fail("%s: %llu data bytes are not whole float32 values", path, (unsigned long long)data_bytes);
    if (rc == 0) {
        st->blob = xmalloc(data_bytes ? data_bytes : 1);
        if (fread(st->blob, 1, data_bytes, f) != data_bytes) rc = jp_fail("%s: the data end early", path);
    }
    if (rc == 0) rc = place_tensors(path, st, ranges, data_bytes);
    fclose(f);
    free(header);
    free(ranges);
    if (rc != 0) safetensors_free(st);
    return rc;
}

void safetensors_free(SafeTensors *st) {
    for (int i = 0; i < st->n; i++) free(st->tensors[i].name);
    for (int i = 0; i < st->n_meta; i++) { free(st->meta_key[i]); free(st->meta_value[i]); }
    free(st->tensors);
    free(st->meta_key);
    free(st->meta_value);
    free(st->blob);
    memset(st, 0, sizeof *st);
}

const SafeTensorIn *safetensors_find(const SafeTensors *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

const char *safetensors_meta(const SafeTensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_key[i], key)) return st->meta_value[i];
    return NULL;
}
