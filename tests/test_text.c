// The byte-level text corpus (data/text.h): loading a file, a folder and gzip, the
// split, nested D-subsets, batches, evaluation windows and the errors.
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/error.h"
#include "data/text.h"

#define SMALL "tests/data/small.txt"
#ifndef GCIDE
#define GCIDE "/usr/share/dictd/gcide.dict.dz"   // -DGCIDE=... to try the skip
#endif

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return temp_dir_make(tmpdir, sizeof tmpdir, "test-text");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return temp_dir_remove(tmpdir);
}

static char *tmp_path(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_gzip(const char *path, const void *data, size_t n) {
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(f), Z_OK);
}

static char *read_small(size_t *n) {
    char *s = slurp(SMALL);
    assert_non_null(s);
    *n = strlen(s);
    return s;
}

// A numbered corpus: records "%07ld\n" (8 bytes each, all different), no empty lines.
static char *numbered(long records) {
    char *s = malloc((size_t)records * 8 + 1);
    for (long i = 0; i < records; i++) {
        char record[32];
        snprintf(record, sizeof record, "%07ld\n", i);
        memcpy(s + 8 * i, record, 8);
    }
    s[records * 8] = 0;
    return s;
}

static TextSplit split_bytes(long val, long test, long block) {
    return (TextSplit){ .val_bytes = val, .test_bytes = test, .block = block };
}

static int contains(const uint8_t *hay, long n, const char *needle, size_t len) {
    return memmem(hay, (size_t)n, needle, len) != NULL;
}

// Each paragraph of small.txt lies in exactly one part; the parts cover the file.
static void test_load_file(void **state) {
    (void)state;
    size_t n;
    char *text = read_small(&n);
    TextSplit s = split_bytes(400, 400, TEXT_SPLIT_BLOCK);
    TextCorpus c;
    assert_int_equal(text_corpus_load(SMALL, &s, &c), 0);
    assert_int_equal(c.n_files, 1);
    assert_int_equal(c.n_bytes, (long)n);
    assert_int_equal(c.n_documents, 14);      // 14 paragraphs, 13 empty lines between them
    assert_int_equal(c.n_units, 14);
    assert_int_equal(c.part_bytes[0] + c.part_bytes[1] + c.part_bytes[2], (long)n);
    assert_true(c.part_bytes[TEXT_VAL] >= 400 && c.part_bytes[TEXT_VAL] < 400 + 500);
    assert_true(c.part_bytes[TEXT_TEST] >= 400 && c.part_bytes[TEXT_TEST] < 400 + 500);
    assert_int_equal(c.part_units[0] + c.part_units[1] + c.part_units[2], 14);
    int paragraphs = 0;
    for (char *p = text; *p;) {
        char *end = strstr(p, "\n\n");
        size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
        int found = 0;
        for (int k = 0; k < 3; k++) found += contains(c.part[k], c.part_bytes[k], p, len);
        assert_int_equal(found, 1);
        paragraphs++;
        p += len;
        while (*p == '\n') p++;
    }
    assert_int_equal(paragraphs, 14);
    text_corpus_free(&c);
    free(text);
}

// A folder: its regular files, by name, each one document (empty lines do not divide them).
static void test_load_folder(void **state) {
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", tmp_path("folder"));
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *names[4] = { "d.txt", "b.txt", "a.txt", "c.txt" };
    const char *bodies[4] = { "dddd dddd\n\ndddd\n", "bbbb bbbb\n\nbbbb\n", "aaaa\n\naaaa aaaa\n", "cccc cccc cccc\n" };
    char path[700];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        write_bytes(path, bodies[i], strlen(bodies[i]));
    }
    snprintf(path, sizeof path, "%s/.hidden", dir);
    write_bytes(path, "hidden\n", 7);
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/sub/e.txt", dir);
    write_bytes(path, "eeee\n", 5);
    TextSplit s = split_bytes(1, 1, TEXT_SPLIT_BLOCK);
    TextCorpus c;
    assert_int_equal(text_corpus_load(dir, &s, &c), 0);
    assert_int_equal(c.n_files, 4);
    assert_int_equal(c.n_documents, 4);
    assert_int_equal(c.n_bytes, 16 + 16 + 16 + 15);
    assert_int_equal(c.part_units[TEXT_VAL], 1);
    assert_int_equal(c.part_units[TEXT_TEST], 1);
    assert_int_equal(c.part_units[TEXT_TRAIN], 2);
    // validation and test are one whole file each; training the other two in name order
    int used[4] = { 0 };
    for (int k = TEXT_VAL; k <= TEXT_TEST; k++)
        for (int i = 0; i < 4; i++)
            if ((long)strlen(bodies[i]) == c.part_bytes[k] && !memcmp(c.part[k], bodies[i], strlen(bodies[i])))
                used[i]++;
    char expect[64] = "";
    const int by_name[4] = { 2, 1, 3, 0 };   // a, b, c, d
    for (int j = 0; j < 4; j++)
        if (!used[by_name[j]]) strcat(expect, bodies[by_name[j]]);
    assert_int_equal(used[0] + used[1] + used[2] + used[3], 2);
    assert_int_equal(c.part_bytes[TEXT_TRAIN], (long)strlen(expect));
    assert_memory_equal(c.part[TEXT_TRAIN], expect, strlen(expect));
    text_corpus_free(&c);
}

// gzip and dictzip names read the same bytes, so the same corpus and split as the plain file.
static void test_load_gzip(void **state) {
    (void)state;
    size_t n;
    char *text = read_small(&n);
    TextSplit s = split_bytes(400, 400, TEXT_SPLIT_BLOCK);
    TextCorpus plain, gz;
    assert_int_equal(text_corpus_load(SMALL, &s, &plain), 0);
    const char *names[2] = { "small.txt.gz", "small.dz" };
    for (int i = 0; i < 2; i++) {
        write_gzip(tmp_path(names[i]), text, n);
        assert_int_equal(text_corpus_load(tmp_path(names[i]), &s, &gz), 0);
        assert_int_equal(gz.n_bytes, (long)n);
        assert_int_equal(gz.n_documents, plain.n_documents);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(gz.part_bytes[k], plain.part_bytes[k]);
            assert_memory_equal(gz.part[k], plain.part[k], (size_t)plain.part_bytes[k]);
        }
        text_corpus_free(&gz);
    }
    // compression is recognised by content: a plain text named .gz reads as it is
    write_bytes(tmp_path("plain.gz"), text, n);
    assert_int_equal(text_corpus_load(tmp_path("plain.gz"), &s, &gz), 0);
    assert_int_equal(gz.n_bytes, (long)n);
    assert_memory_equal(gz.part[TEXT_VAL], plain.part[TEXT_VAL], (size_t)plain.part_bytes[TEXT_VAL]);
    text_corpus_free(&gz);
    text_corpus_free(&plain);
    free(text);
}

// One undivided text splits by blocks: each record in exactly one part; the same twice.
static void test_split_by_blocks_is_fixed_and_disjoint(void **state) {
    (void)state;
    long records = 5000;
    char *text = numbered(records);
    write_bytes(tmp_path("numbers.txt"), text, (size_t)records * 8);
    TextSplit s = { .val_fraction = 0.1, .test_fraction = 0.05, .block = 800 };
    TextCorpus a, b;
    assert_int_equal(text_corpus_load(tmp_path("numbers.txt"), &s, &a), 0);
    assert_int_equal(text_corpus_load(tmp_path("numbers.txt"), &s, &b), 0);
    assert_int_equal(a.n_documents, 1);
    assert_int_equal(a.n_units, 50);
    assert_int_equal(a.part_bytes[TEXT_VAL], 4000);    // 10% of 40 000: five blocks
    assert_int_equal(a.part_bytes[TEXT_TEST], 2400);   // 5% = 2000: three blocks
    assert_int_equal(a.part_bytes[TEXT_TRAIN], 40000 - 6400);
    int *seen = calloc((size_t)records, sizeof(int));
    for (int k = 0; k < 3; k++) {
        assert_memory_equal(a.part[k], b.part[k], (size_t)a.part_bytes[k]);
        long prev = -1;
        for (long i = 0; i < a.part_bytes[k]; i += 8) {
            long r = strtol((const char *)a.part[k] + i, NULL, 10);
            assert_true(r > prev);   // corpus order within a part
            prev = r;
            seen[r]++;
        }
    }
    for (long r = 0; r < records; r++) assert_int_equal(seen[r], 1);
    free(seen);
    text_corpus_free(&a);
    text_corpus_free(&b);
    free(text);
}

// A corpus of 100 000 bytes: training 80 000, about 20 chunks.
static void load_numbered(TextCorpus *c) {
    char *text = numbered(12500);
    write_bytes(tmp_path("big.txt"), text, 100000);
    free(text);
    TextSplit s = { .val_fraction = 0.1, .test_fraction = 0.1, .block = 1000 };
    assert_int_equal(text_corpus_load(tmp_path("big.txt"), &s, c), 0);
    assert_int_equal(c->part_bytes[TEXT_TRAIN], 80000);
}

static uint8_t *member_stream(const TextMember *m) {
    uint8_t *s = malloc((size_t)m->D);
    text_member_read(m, 0, m->D, s);
    return s;
}

// The D tokens: whole training chunks, none twice, a prefix of a larger D's for the seed.
static void test_subsets_nest_across_D(void **state) {
    (void)state;
    TextCorpus c;
    load_numbered(&c);
    const long Ds[3] = { 5000, 20000, 80000 };
    TextMember m[3], other;
    uint8_t *st[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(text_member_init(&c, Ds[i], 32, 7, &m[i]), 0);
        st[i] = member_stream(&m[i]);
    }
    assert_memory_equal(st[0], st[1], 5000);
    assert_memory_equal(st[1], st[2], 20000);
    long n_chunks = (80000 + TEXT_CHUNK - 1) / TEXT_CHUNK;
    int *used = calloc((size_t)n_chunks, sizeof(int));
    for (long pos = 0; pos < 80000;) {   // D = all training bytes: each chunk exactly once
        int found = 0;
        for (long j = 0; j < n_chunks && !found; j++) {
            long len = 80000 - j * TEXT_CHUNK < TEXT_CHUNK ? 80000 - j * TEXT_CHUNK : TEXT_CHUNK;
            if (pos + len <= 80000 && !memcmp(st[2] + pos, c.part[TEXT_TRAIN] + j * TEXT_CHUNK, (size_t)len)) {
                used[j]++; found = 1; pos += len;
            }
        }
        assert_true(found);
    }
    for (long j = 0; j < n_chunks; j++) assert_int_equal(used[j], 1);
    assert_memory_not_equal(st[2], c.part[TEXT_TRAIN], 80000);   // shuffled, not the part itself
    assert_int_equal(text_member_init(&c, 20000, 32, 8, &other), 0);
    uint8_t *o = member_stream(&other);
    assert_memory_not_equal(o, st[1], 20000);
    // the subset does not depend on the context
    TextMember wide;
    assert_int_equal(text_member_init(&c, 20000, 500, 7, &wide), 0);
    uint8_t *w = member_stream(&wide);
    assert_memory_equal(w, st[1], 20000);
    free(w); free(o); free(used);
    text_member_free(&wide);
    text_member_free(&other);
    for (int i = 0; i < 3; i++) { free(st[i]); text_member_free(&m[i]); }
    text_corpus_free(&c);
}

// The window index of each batch row: where it starts in the member's stream / context.
static long window_of(const TextMember *m, const uint8_t *stream, const uint8_t *row) {
    for (long w = 0; w < m->n_windows; w++)
        if (!memcmp(stream + w * m->context, row, (size_t)m->context + 1)) return w;
    return -1;
}

#define CTX 63
#define BATCH 16
#define STEPS 100

// Each row a window of the member's D tokens; each epoch every window once; the same
// batches when computed again in another order (resume), other batches for another seed.
static void test_batches_are_reproducible(void **state) {
    (void)state;
    TextCorpus c;
    load_numbered(&c);
    TextMember m;
    assert_int_equal(text_member_init(&c, 30000, CTX, 11, &m), 0);
    assert_int_equal(m.n_windows, 29999 / CTX);
    uint8_t *stream = member_stream(&m);
    size_t size = (size_t)BATCH * (CTX + 1);
    uint8_t *all = malloc(STEPS * size);
    for (long s = 0; s < STEPS; s++) text_batch(&m, s, BATCH, all + s * size);
    long n = m.n_windows, *count = calloc((size_t)n, sizeof(long));
    for (long p = 0; p < STEPS * BATCH; p++) {
        long w = window_of(&m, stream, all + p * (CTX + 1));
        assert_true(w >= 0);
        count[w]++;
        if ((p + 1) % n == 0)   // an epoch complete: every window exactly (p + 1) / n times
            for (long k = 0; k < n; k++) assert_int_equal(count[k], (p + 1) / n);
    }
    TextMember again;
    assert_int_equal(text_member_init(&c, 30000, CTX, 11, &again), 0);
    uint8_t *batch = malloc(size);
    const long steps[4] = { 77, 3, 99, 40 };
    for (int i = 0; i < 4; i++) {
        text_batch(&again, steps[i], BATCH, batch);
        assert_memory_equal(batch, all + steps[i] * size, size);
    }
    TextMember other;
    assert_int_equal(text_member_init(&c, 30000, CTX, 12, &other), 0);
    text_batch(&other, 0, BATCH, batch);
    assert_memory_not_equal(batch, all, size);
    free(batch); free(count); free(all); free(stream);
    text_member_free(&other);
    text_member_free(&again);
    text_member_free(&m);
    text_corpus_free(&c);
}

// Validation and test windows tile their parts with stride context.
static void test_eval_windows_tile_the_parts(void **state) {
    (void)state;
    TextCorpus c;
    load_numbered(&c);
    for (int k = TEXT_VAL; k <= TEXT_TEST; k++) {
        long n = text_eval_count(&c, (TextPart)k, 100);
        assert_int_equal(n, (10000 - 1) / 100);
        uint8_t *w = malloc((size_t)n * 101);
        text_eval_windows(&c, (TextPart)k, 100, 0, n, w);
        for (long i = 0; i < n; i++) {
            assert_memory_equal(w + i * 101, c.part[k] + i * 100, 101);
            if (i) assert_int_equal(w[i * 101], w[(i - 1) * 101 + 100]);   // one shared byte
        }
        uint8_t one[101];
        text_eval_windows(&c, (TextPart)k, 100, n - 1, 1, one);
        assert_memory_equal(one, w + (n - 1) * 101, 101);
        free(w);
    }
    assert_int_equal(text_eval_count(&c, TEXT_VAL, 9999), 1);
    assert_int_equal(text_eval_count(&c, TEXT_VAL, 10000), -1);
    assert_non_null(strstr(jp_error(), "validation part's 10000 bytes are fewer than one window of context + 1 = 10001"));
    assert_non_null(strstr(jp_error(), "big.txt"));
    text_corpus_free(&c);
}

static void expect_load_error(const char *path, const TextSplit *s, const char *fragment) {
    TextCorpus c;
    assert_int_equal(text_corpus_load(path, s, &c), -1);
    if (!strstr(jp_error(), fragment) || !strstr(jp_error(), path))
        fail_msg("error \"%s\" lacks \"%s\" or the path %s", jp_error(), fragment, path);
    assert_null(c.part[0]);
}

static void test_load_errors(void **state) {
    (void)state;
    TextSplit s = split_bytes(400, 400, TEXT_SPLIT_BLOCK);
    expect_load_error(tmp_path("nowhere.txt"), &s, "No such file or directory");
    size_t n;
    char *text = read_small(&n);
    uint8_t bad[64] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };   // a gzip header, then not deflate
    memset(bad + 10, 0xff, sizeof bad - 10);
    write_bytes(tmp_path("corrupt.gz"), bad, sizeof bad);
    expect_load_error(tmp_path("corrupt.gz"), &s, "cannot read");
    write_gzip(tmp_path("whole.gz"), text, n);
    char *gz = slurp(tmp_path("whole.gz"));
    struct stat st;
    assert_int_equal(stat(tmp_path("whole.gz"), &st), 0);
    write_bytes(tmp_path("truncated.gz"), gz, (size_t)st.st_size / 2);
    expect_load_error(tmp_path("truncated.gz"), &s, "cannot read");
    write_bytes(tmp_path("empty.txt"), "", 0);
    expect_load_error(tmp_path("empty.txt"), &s, "empty");
    write_gzip(tmp_path("empty.gz"), "", 0);
    expect_load_error(tmp_path("empty.gz"), &s, "empty");
    assert_int_equal(mkdir(tmp_path("nofiles"), 0700), 0);
    write_bytes(tmp_path("nofiles/.hidden"), "hidden\n", 7);
    expect_load_error(tmp_path("nofiles"), &s, "holds no files");
    assert_int_equal(mkdir(tmp_path("emptyfiles"), 0700), 0);
    write_bytes(tmp_path("emptyfiles/a.txt"), "", 0);
    write_gzip(tmp_path("emptyfiles/b.gz"), "", 0);
    expect_load_error(tmp_path("emptyfiles"), &s, "empty");
    TextSplit big = split_bytes(3000, 1000, TEXT_SPLIT_BLOCK);   // 4097 bytes cannot give 4000 and training
    expect_load_error(SMALL, &big, "4097 bytes in 14 split units are too few for validation 3000 bytes, test 1000");
    TextSplit none = { .val_fraction = 0, .test_fraction = 0.1, .block = 100 };
    expect_load_error(SMALL, &none, "must not be empty");
    TextSplit whole = { .val_fraction = 1, .test_fraction = 0.1, .block = 100 };
    expect_load_error(SMALL, &whole, "fractions must be in [0, 1)");
    free(gz);
    free(text);
}

static void test_member_errors(void **state) {
    (void)state;
    TextSplit s = split_bytes(400, 400, TEXT_SPLIT_BLOCK);
    TextCorpus c;
    TextMember m;
    assert_int_equal(text_corpus_load(SMALL, &s, &c), 0);
    long train = c.part_bytes[TEXT_TRAIN];
    assert_int_equal(text_member_init(&c, train + 1, 64, 1, &m), -1);
    assert_non_null(strstr(jp_error(), "is more than the training part's"));
    assert_non_null(strstr(jp_error(), SMALL));
    assert_int_equal(text_member_init(&c, 64, 64, 1, &m), -1);
    assert_non_null(strstr(jp_error(), "D = 64 training tokens is less than one window of context + 1 = 65"));
    assert_int_equal(text_member_init(&c, 100, 0, 1, &m), -1);
    assert_non_null(strstr(jp_error(), "context 0 must be at least 1"));
    assert_int_equal(text_member_init(&c, 65, 64, 1, &m), 0);   // exactly one window
    assert_int_equal(m.n_windows, 1);
    uint8_t row[65];
    text_batch(&m, 5, 1, row);
    assert_memory_equal(row, c.part[TEXT_TRAIN], 65);   // one chunk: the stream is the part's start
    text_member_free(&m);
    text_corpus_free(&c);
}

// The default corpus: Debian's dict-gcide, when installed (scripts/install-deps does).
static void test_gcide_loads(void **state) {
    (void)state;
    if (access(GCIDE, R_OK) != 0) skip();
    TextSplit s = text_split_default();
    TextCorpus c;
    assert_int_equal(text_corpus_load(GCIDE, &s, &c), 0);
    assert_true(c.n_bytes > 20000000 && c.n_bytes < 100000000);
    assert_true(c.n_documents > 100000);
    assert_true(c.part_bytes[TEXT_VAL] >= c.n_bytes / 100 && c.part_bytes[TEXT_VAL] < c.n_bytes / 100 + 70000);
    for (int i = 0; i < 4096; i++) {
        uint8_t b = c.part[TEXT_TRAIN][i];
        if (!(b == '\n' || b == '\t' || (b >= 32 && b < 127))) fail_msg("byte %d is %d, not text", i, b);
    }
    assert_non_null(memmem(c.part[TEXT_TRAIN], 65536, "database", 8));
    TextMember m;
    assert_int_equal(text_member_init(&c, 1000000, 256, 3, &m), 0);
    uint8_t batch[4 * 257];
    text_batch(&m, 1000, 4, batch);
    text_member_free(&m);
    text_corpus_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_folder),
        cmocka_unit_test(test_load_gzip),
        cmocka_unit_test(test_split_by_blocks_is_fixed_and_disjoint),
        cmocka_unit_test(test_subsets_nest_across_D),
        cmocka_unit_test(test_batches_are_reproducible),
        cmocka_unit_test(test_eval_windows_tile_the_parts),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_member_errors),
        cmocka_unit_test(test_gcide_loads),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
