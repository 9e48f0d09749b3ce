#include "data/text.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"

#define READ_CHUNK (1 << 20)

TextSplit text_split_default(void) {
    return (TextSplit){ .val_fraction = 0.01, .test_fraction = 0.01, .block = TEXT_SPLIT_BLOCK };
}

// The corpus while it is read: all bytes, and where each document ends.
typedef struct {
    uint8_t *bytes;
    long n, cap;
    long *doc_end;
    long n_docs, docs_cap;
} Reading;

static void push_doc(Reading *r, long end) {
    long start = r->n_docs ? r->doc_end[r->n_docs - 1] : 0;
    if (end <= start) return;   // empty documents (an empty file) are dropped
    if (r->n_docs == r->docs_cap) {
        r->docs_cap = r->docs_cap ? 2 * r->docs_cap : 1024;
        r->doc_end = xrealloc_array(r->doc_end, r->docs_cap, sizeof(long));
    }
    r->doc_end[r->n_docs++] = end;
}

// Documents end after each run of two or more newlines (a paragraph and its empty lines).
static void mark_paragraphs(Reading *r, long from) {
    for (long i = from; i < r->n;) {
        if (r->bytes[i] != '\n') { i++; continue; }
        long j = i;
        while (j < r->n && r->bytes[j] == '\n') j++;
        if (j - i >= 2 && j < r->n) push_doc(r, j);
        i = j;
    }
}

// Appends the file's bytes (plain, gzip or dictzip), then ends a document there.
static int read_file(const char *path, Reading *r, int paragraphs) {
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return jp_fail("text corpus %s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    long from = r->n;
    for (;;) {
        if (r->cap - r->n < READ_CHUNK) {
            r->cap = r->cap ? 2 * r->cap : 4 * READ_CHUNK;
            r->bytes = xrealloc(r->bytes, (size_t)r->cap);
        }
        int got = gzread(f, r->bytes + r->n, READ_CHUNK);
        if (got < 0) {
            int code;
            const char *msg = gzerror(f, &code);
            jp_fail("text corpus %s: cannot read: %s", path, code == Z_ERRNO ? strerror(errno) : msg);
            gzclose_r(f);
            return -1;
        }
        if (got == 0) break;
        r->n += got;
    }
    int rc = gzclose_r(f);
    if (rc == Z_BUF_ERROR) return jp_fail("text corpus %s: cannot read: truncated gzip data", path);
    if (rc != Z_OK) return jp_fail("text corpus %s: cannot read (zlib error %d)", path, rc);
    if (paragraphs) mark_paragraphs(r, from);
    push_doc(r, r->n);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// The folder's regular, not hidden files, as full paths sorted by name; their count, or −1.
static long list_files(const char *dir, char ***out) {
    DIR *d = opendir(dir);
    if (!d) return jp_fail("text corpus %s: cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    long n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *full = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || n >= TEXT_MAX_FILES) { free(full); continue; }
        if (n == cap) { cap = cap ? 2 * cap : 64; names = xrealloc_array(names, cap, sizeof(char *)); }
        names[n++] = full;
    }
    closedir(d);
    if (n == 0) { free(names); return jp_fail("text corpus %s: the folder holds no files", dir); }
    qsort(names, (size_t)n, sizeof(char *), by_name);
    *out = names;
    return n;
}

static int read_path(const char *path, Reading *r, long *n_files) {
    struct stat st;
    if (stat(path, &st) != 0) return jp_fail("text corpus %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        *n_files = 1;
        return read_file(path, r, 1);
    }
    char **names = NULL;
    long n = list_files(path, &names);
    if (n < 0) return -1;
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) rc = read_file(names[i], r, 0);
    for (long i = 0; i < n; i++) free(names[i]);
    free(names);
    *n_files = n;
    return rc;
}

// Split units' ends: the documents, each longer than `block` cut into blocks. Their count.
static long make_units(const Reading *r, long block, long **unit_end) {
    long n = 0, cap = r->n_docs + r->n / block + 1;
    long *ends = xmalloc_array((size_t)cap, sizeof(long));
    long start = 0;
    for (long d = 0; d < r->n_docs; d++) {
        for (long s = start; s < r->doc_end[d]; s += block)
            ends[n++] = s + block < r->doc_end[d] ? s + block : r->doc_end[d];
        start = r->doc_end[d];
    }
    *unit_end = ends;
    return n;
}

static long split_target(double fraction, long bytes, long total) {
    return bytes > 0 ? bytes : (long)ceil(fraction * (double)total);
}

static int check_split(const char *path, const TextSplit *s) {
    if (s->block < 1) return jp_fail("text corpus %s: split block %ld must be at least 1", path, s->block);
    if (s->val_bytes < 0 || s->test_bytes < 0)
        return jp_fail("text corpus %s: validation and test sizes must not be negative", path);
    if (!(s->val_fraction >= 0 && s->val_fraction < 1) || !(s->test_fraction >= 0 && s->test_fraction < 1))
        return jp_fail("text corpus %s: validation and test fractions must be in [0, 1)", path);
    if ((s->val_bytes == 0 && s->val_fraction == 0) || (s->test_bytes == 0 && s->test_fraction == 0))
        return jp_fail("text corpus %s: the validation and test parts must not be empty", path);
    return 0;
}

// Copies the units marked `which` (in corpus order) into part `which`.
static void gather(TextCorpus *c, const Reading *r, const long *unit_end, const uint8_t *part_of, int which) {
    c->part[which] = xmalloc((size_t)c->part_bytes[which]);
    long at = 0, start = 0;
    for (long u = 0; u < c->n_units; u++) {
        if (part_of[u] == which) {
            memcpy(c->part[which] + at, r->bytes + start, (size_t)(unit_end[u] - start));
            at += unit_end[u] - start;
        }
        start = unit_end[u];
    }
}

// Validation from the front of a fixed permutation of the units, test next, training the rest.
static int split_units(TextCorpus *c, const Reading *r, const long *unit_end, const TextSplit *s) {
    long target[3] = { 0, split_target(s->val_fraction, s->val_bytes, r->n),
                       split_target(s->test_fraction, s->test_bytes, r->n) };
    uint32_t *perm = xmalloc_array((size_t)c->n_units, sizeof(uint32_t));
    uint8_t *part_of = xcalloc((size_t)c->n_units, 1);
    rng_permutation(0, RNG_STREAM_TEXT_SPLIT, perm, (uint32_t)c->n_units);
    long k = 0;
    for (int p = TEXT_VAL; p <= TEXT_TEST; p++)
        for (; k < c->n_units && c->part_bytes[p] < target[p]; k++) {
            long u = perm[k], len = unit_end[u] - (u ? unit_end[u - 1] : 0);
            part_of[u] = (uint8_t)p;
            c->part_bytes[p] += len;
            c->part_units[p]++;
        }
    c->part_units[TEXT_TRAIN] = c->n_units - k;
    c->part_bytes[TEXT_TRAIN] = r->n - c->part_bytes[TEXT_VAL] - c->part_bytes[TEXT_TEST];
    free(perm);
    int rc = 0;
    if (c->part_bytes[TEXT_VAL] < target[TEXT_VAL] || c->part_bytes[TEXT_TEST] < target[TEXT_TEST] ||
        c->part_bytes[TEXT_TRAIN] == 0)
        rc = jp_fail("text corpus %s: %ld bytes in %ld split units are too few for validation %ld bytes, "
                     "test %ld bytes and a training part", c->path, r->n, c->n_units,
                     target[TEXT_VAL], target[TEXT_TEST]);
    for (int p = 0; p < 3 && rc == 0; p++) gather(c, r, unit_end, part_of, p);
    free(part_of);
    return rc;
}

int text_corpus_load(const char *path, const TextSplit *split, TextCorpus *c) {
    *c = (TextCorpus){ .path = xstrdup(path) };
    if (check_split(path, split) != 0) { text_corpus_free(c); return -1; }
    Reading r = { 0 };
    int rc = read_path(path, &r, &c->n_files);
    if (rc == 0 && r.n == 0) rc = jp_fail("text corpus %s: empty (no bytes to train on)", path);
    if (rc == 0) {
        long *unit_end;
        c->n_bytes = r.n;
        c->n_documents = r.n_docs;
        c->n_units = make_units(&r, split->block, &unit_end);
        if (c->n_units > (long)UINT32_MAX)
            rc = jp_fail("text corpus %s: %ld split units are too many; raise the split block", path, c->n_units);
        else
            rc = split_units(c, &r, unit_end, split);
        free(unit_end);
    }
    free(r.bytes);
    free(r.doc_end);
    if (rc != 0) text_corpus_free(c);
    return rc;
}

void text_corpus_free(TextCorpus *c) {
    free(c->path);
    for (int p = 0; p < 3; p++) free(c->part[p]);
    *c = (TextCorpus){ 0 };
}

int text_member_init(const TextCorpus *c, long D, int context, uint64_t data_seed, TextMember *m) {
    *m = (TextMember){ .corpus = c, .data_seed = data_seed, .D = D, .context = context, .epoch = -1 };
    long n_train = c->part_bytes[TEXT_TRAIN];
    if (context < 1) return jp_fail("text corpus %s: context %d must be at least 1", c->path, context);
    if (D < (long)context + 1)
        return jp_fail("text corpus %s: D = %ld training tokens is less than one window of context + 1 = %d",
                       c->path, D, context + 1);
    if (D > n_train)
        return jp_fail("text corpus %s: D = %ld training tokens is more than the training part's %ld bytes",
                       c->path, D, n_train);
    if ((D - 1) / context > (long)UINT32_MAX)
        return jp_fail("text corpus %s: D = %ld makes too many windows of %d", c->path, D, context + 1);
    long n_chunks = (n_train + TEXT_CHUNK - 1) / TEXT_CHUNK;
    uint32_t *perm = xmalloc_array((size_t)n_chunks, sizeof(uint32_t));
    rng_permutation(data_seed, RNG_STREAM_TEXT_SUBSET, perm, (uint32_t)n_chunks);
    m->seg_start = xmalloc_array((size_t)n_chunks, sizeof(long));
    m->seg_pos = xmalloc_array((size_t)n_chunks + 1, sizeof(long));
    long pos = 0;
    while (pos < D) {
        long start = (long)perm[m->n_segments] * TEXT_CHUNK;
        long len = n_train - start < TEXT_CHUNK ? n_train - start : TEXT_CHUNK;
        m->seg_start[m->n_segments] = start;
        m->seg_pos[m->n_segments++] = pos;
        pos += len;
    }
    m->seg_pos[m->n_segments] = D;   // the last segment cut at D
    free(perm);
    m->n_windows = (D - 1) / context;
    m->order = xmalloc_array((size_t)m->n_windows, sizeof(uint32_t));
    return 0;
}

void text_member_free(TextMember *m) {
    free(m->seg_start);
    free(m->seg_pos);
    free(m->order);
    *m = (TextMember){ 0 };
}

void text_member_read(const TextMember *m, long pos, long n, uint8_t *out) {
    // the segment holding pos: the last i with seg_pos[i] <= pos
    long lo = 0, hi = m->n_segments - 1;
    while (lo < hi) {
        long mid = (lo + hi + 1) / 2;
        if (m->seg_pos[mid] <= pos) lo = mid; else hi = mid - 1;
    }
    const uint8_t *train = m->corpus->part[TEXT_TRAIN];
    for (long i = lo; n > 0; i++) {
        long off = pos - m->seg_pos[i], len = m->seg_pos[i + 1] - pos;
        if (len > n) len = n;
        memcpy(out, train + m->seg_start[i] + off, (size_t)len);
        out += len; pos += len; n -= len;
    }
}

void text_batch(TextMember *m, long step, int B, uint8_t *tokens) {
    long width = (long)m->context + 1;
    for (int j = 0; j < B; j++) {
        long pos = step * B + j;
        long epoch = pos / m->n_windows;
        if (epoch != m->epoch) {
            rng_permutation(m->data_seed, RNG_STREAM_TEXT_ORDER + ((uint64_t)epoch << 32), m->order,
                            (uint32_t)m->n_windows);
            m->epoch = epoch;
        }
        long w = m->order[pos % m->n_windows];
        text_member_read(m, w * m->context, width, tokens + (size_t)j * width);
    }
}

static const char *part_name(TextPart p) {
    return p == TEXT_TRAIN ? "training" : p == TEXT_VAL ? "validation" : "test";
}

long text_eval_count(const TextCorpus *c, TextPart which, int context) {
    if (context < 1) return jp_fail("text corpus %s: context %d must be at least 1", c->path, context);
    if (c->part_bytes[which] < (long)context + 1)
        return jp_fail("text corpus %s: the %s part's %ld bytes are fewer than one window of context + 1 = %d",
                       c->path, part_name(which), c->part_bytes[which], context + 1);
    return (c->part_bytes[which] - 1) / context;
}

void text_eval_windows(const TextCorpus *c, TextPart which, int context, long first, long n, uint8_t *tokens) {
    long width = (long)context + 1;
    for (long k = 0; k < n; k++)
        memcpy(tokens + (size_t)k * width, c->part[which] + (first + k) * context, (size_t)width);
}
