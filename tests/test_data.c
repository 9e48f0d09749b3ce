// IDX reader, the Fashion-MNIST loader (on tiny generated files) and the sampler.
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "base/error.h"
#include "base/rng.h"
#include "data/fashion.h"
#include "data/idx.h"
#include "data/sampler.h"

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return temp_dir_make(tmpdir, sizeof tmpdir, "test-data");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return temp_dir_remove(tmpdir);
}

// Writes an IDX file: magic (00 00 type ndim), big-endian dims, then `payload`
// bytes of data (i % 251), gzip-compressed unless the name lacks ".gz".
static void write_idx(const char *name, uint8_t type, int ndim, const uint32_t *dims, size_t payload,
                      const uint8_t *data) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    int gz = strstr(name, ".gz") != NULL;
    uint8_t head[4 + 16] = { 0, 0, type, (uint8_t)ndim };
    for (int d = 0; d < ndim; d++) {
        head[4 + 4 * d] = dims[d] >> 24; head[5 + 4 * d] = dims[d] >> 16;
        head[6 + 4 * d] = dims[d] >> 8;  head[7 + 4 * d] = dims[d];
    }
    uint8_t *body = malloc(payload + 1);
    for (size_t i = 0; i < payload; i++) body[i] = data ? data[i] : (uint8_t)(i % 251);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, head, 4 + 4 * ndim);
        if (payload) gzwrite(f, body, (unsigned)payload);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(head, 1, 4 + 4 * ndim, f);
        fwrite(body, 1, payload, f);
        fclose(f);
    }
    free(body);
}

static void expect_error(const char *name, int ndim, const char *fragment) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    IdxArray a;
    assert_int_equal(idx_read(path, ndim, &a), -1);
    assert_null(a.data);
    if (!strstr(jp_error(), fragment) || !strstr(jp_error(), name))
        fail_msg("error for %s was '%s', expected it to name the file and say '%s'", name, jp_error(), fragment);
}

static void test_idx_round_trip(void **state) {
    (void)state;
    uint32_t dims[3] = { 2, 3, 4 };
    write_idx("ok.gz", 0x08, 3, dims, 24, NULL);
    write_idx("ok.raw", 0x08, 3, dims, 24, NULL);
    const char *names[] = { "ok.gz", "ok.raw" };
    for (int k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[k]);
        IdxArray a;
        assert_int_equal(idx_read(path, 3, &a), 0);
        assert_int_equal(a.ndim, 3);
        assert_int_equal(a.dims[0], 2); assert_int_equal(a.dims[1], 3); assert_int_equal(a.dims[2], 4);
        assert_int_equal(a.count, 24);
        for (int i = 0; i < 24; i++) assert_int_equal(a.data[i], i);
        idx_free(&a);
    }
}

static void test_idx_bad_files(void **state) {
    (void)state;
    uint32_t dims[3] = { 2, 3, 4 };
    write_idx("truncated.gz", 0x08, 3, dims, 20, NULL);
    expect_error("truncated.gz", 3, "truncated");
    write_idx("magic.gz", 0x08, 3, dims, 24, NULL);
    {   // corrupt the magic: rewrite with a non-zero first byte
        char path[512];
        snprintf(path, sizeof path, "%s/badmagic.raw", tmpdir);
        FILE *f = fopen(path, "wb");
        uint8_t head[8] = { 0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 1 };
        fwrite(head, 1, 8, f);
        fputc(7, f);
        fclose(f);
    }
    expect_error("badmagic.raw", 1, "not an IDX file");
    expect_error("magic.gz", 1, "has 3 dimensions, expected 1");
    write_idx("float.gz", 0x0D, 3, dims, 24, NULL);
    expect_error("float.gz", 3, "data type 0x0d not supported");
    write_idx("header.gz", 0x08, 3, dims, 0, NULL);
    expect_error("header.gz", 3, "truncated");
    write_idx("trailing.gz", 0x08, 3, dims, 30, NULL);
    expect_error("trailing.gz", 3, "trailing bytes");
    uint32_t zero[1] = { 0 };
    write_idx("empty.gz", 0x08, 1, zero, 0, NULL);
    expect_error("empty.gz", 1, "size 0");
    expect_error("missing.gz", 3, "cannot open");
}

// Flips bits in byte `at` of a file in tmpdir (at < 0: counted from the end), or cuts it to `at` bytes.
static void damage(const char *name, long at, int cut) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f), pos = at < 0 ? size + at : at;
    if (cut) { fclose(f); assert_int_equal(truncate(path, pos), 0); return; }
    fseek(f, pos, SEEK_SET);
    int c = fgetc(f);
    fseek(f, pos, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

// A damaged .gz is named corrupt, with zlib's reason, never "truncated" (a file whose
// valid stream is shorter than its header promises still is).
static void test_idx_corrupt_gzip(void **state) {
    (void)state;
    uint32_t dims[1] = { 4000 };
    uint8_t *data = malloc(4000);
    for (int i = 0; i < 4000; i++) data[i] = (uint8_t)((i * 7919u) >> 3);   // compresses into real blocks
    write_idx("crc.gz", 0x08, 1, dims, 4000, data);
    damage("crc.gz", -6, 0);   // the CRC-32 in the 8-byte trailer
    expect_error("crc.gz", 1, "corrupt gzip data: incorrect data check");
    write_idx("length.gz", 0x08, 1, dims, 4000, data);
    damage("length.gz", -2, 0);   // the length in the trailer
    expect_error("length.gz", 1, "corrupt gzip data: incorrect length check");
    write_idx("block.gz", 0x08, 1, dims, 4000, data);
    damage("block.gz", 10, 0);   // the first byte of the deflate stream: its block header
    expect_error("block.gz", 1, "corrupt gzip data");
    write_idx("cut.gz", 0x08, 1, dims, 4000, data);
    damage("cut.gz", 40, 1);
    expect_error("cut.gz", 1, "corrupt gzip data: the compressed stream is cut short");
    free(data);
}

// Issue 13 (fuzzing): the reader allocated what the header promised before
// reading anything, so 16 bytes claiming 65535 × 65535 took 4 GiB. It must grow
// its buffer with the data actually there. Checked in a child whose address
// space is capped 256 MiB above what it already uses (not under ASan, which
// reserves terabytes of address space); before the fix the read failed with
// "out of memory" instead of "truncated".
static void test_idx_header_promising_gigabytes(void **state) {
    (void)state;
    uint32_t huge[2] = { 65535, 65535 };
    write_idx("huge.raw", 0x08, 2, huge, 10, NULL);
#ifndef __SANITIZE_ADDRESS__
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (!f || fscanf(f, "%ld", &pages) != 1) _exit(3);
        fclose(f);
        struct rlimit r = { .rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)256 << 20) };
        r.rlim_max = r.rlim_cur;
        if (setrlimit(RLIMIT_AS, &r) != 0) _exit(3);
        char path[512];
        snprintf(path, sizeof path, "%s/huge.raw", tmpdir);
        IdxArray a;
        int rc = idx_read(path, 2, &a);
        _exit(rc == -1 && strstr(jp_error(), "truncated: header promises 4294836225 bytes") ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#endif
    expect_error("huge.raw", 2, "truncated: header promises 4294836225 bytes");
    // a file past the first 1 MiB of buffer still reads back exactly
    uint32_t dims[2] = { 3, 1000000 };
    write_idx("big.gz", 0x08, 2, dims, 3000000, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/big.gz", tmpdir);
    IdxArray a;
    assert_int_equal(idx_read(path, 2, &a), 0);
    assert_int_equal(a.count, 3000000);
    for (size_t i = 0; i < a.count; i++)
        if (a.data[i] != (uint8_t)(i % 251)) fail_msg("byte %zu is %d, expected %d", i, a.data[i], (int)(i % 251));
    idx_free(&a);
}

// A small "Fashion-MNIST" in the real file layout: every pixel of image i is 10·i, or with `varied`
// pixel j of image i is (97·i + 13·j) mod 256 (each image holds every byte value).
static void write_fake_fashion(const char *sub, int n_train, int n_test, int bad_label, int varied) {
    char dir[400];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    mkdir(dir, 0700);
    const char *prefix[2] = { "train", "t10k" };
    int counts[2] = { n_train, n_test };
    for (int k = 0; k < 2; k++) {
        int n = counts[k];
        uint8_t *img = malloc((size_t)n * 784), *lab = malloc(n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 784; j++) img[(size_t)i * 784 + j] = (uint8_t)(varied ? 97 * i + 13 * j : 10 * i);
            lab[i] = (uint8_t)(i % 10);
        }
        if (bad_label && k == 0) lab[n - 1] = 12;
        char name[256];
        uint32_t d3[3] = { (uint32_t)n, 28, 28 }, d1[1] = { (uint32_t)n };
        snprintf(name, sizeof name, "%s/%s-images-idx3-ubyte.gz", sub, prefix[k]);
        write_idx(name, 0x08, 3, d3, (size_t)n * 784, img);
        snprintf(name, sizeof name, "%s/%s-labels-idx1-ubyte.gz", sub, prefix[k]);
        write_idx(name, 0x08, 1, d1, n, lab);
        free(img); free(lab);
    }
}

// A split's examples as the model reads them, in order (task_gather with rows NULL); labels too
// when `y` is not NULL.
static float *gather_all(const Task *t, const Split *s, int **y) {
    float *x = malloc(sizeof(float) * ((size_t)s->n * t->dim + 1));
    if (y) *y = malloc(sizeof(int) * (s->n + 1));
    task_gather(t, s, NULL, 0, s->n, x, y ? *y : NULL, NULL);
    return x;
}

static void test_fashion_loader(void **state) {
    (void)state;
    write_fake_fashion("fm", 12, 5, 0, 0);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/fm", tmpdir);
    FashionOptions opt = { .data_dir = dir, .val_size = 4 };
    Task t;
    assert_int_equal(fashion_load(&opt, &t), 0);
    assert_int_equal(t.dim, 784); assert_int_equal(t.n_out, 10);
    assert_int_equal(t.train.n, 8); assert_int_equal(t.val.n, 4); assert_int_equal(t.test.n, 5);
    // held in the files' width: a byte per pixel, an int per label, one 256-float table per split
    assert_int_equal(task_bytes(&t), 17 * (784 + sizeof(int)) + 3 * 256 * sizeof(float));
    // every training image is in exactly one of pool and validation; pixels scaled to [0,1]; labels kept
    int seen[12] = { 0 };
    Split *parts[2] = { &t.train, &t.val };
    float *pool = NULL;
    for (int k = 0; k < 2; k++) {
        int *y = NULL;
        float *x = gather_all(&t, parts[k], &y);
        for (int i = 0; i < parts[k]->n; i++) {
            int img = (int)(x[(size_t)i * 784] * 255.0f / 10.0f + 0.5f);
            assert_in_range(img, 0, 11);
            seen[img]++;
            assert_int_equal(y[i], img % 10);
            assert_float_equal(x[(size_t)i * 784 + 783], img * 10 / 255.0f, 1e-6);
        }
        if (k == 0) pool = x; else free(x);
        free(y);
    }
    for (int i = 0; i < 12; i++) assert_int_equal(seen[i], 1);
    // the pool keeps file order
    for (int i = 1; i < t.train.n; i++) assert_true(pool[(size_t)i * 784] > pool[(size_t)(i - 1) * 784]);
    free(pool);
    task_free(&t);

    // standardisation: the pool has mean 0 and std 1
    opt.standardize = 1;
    assert_int_equal(fashion_load(&opt, &t), 0);
    pool = gather_all(&t, &t.train, NULL);
    double s = 0, s2 = 0, n = (double)t.train.n * 784;
    for (size_t i = 0; i < (size_t)t.train.n * 784; i++) { s += pool[i]; s2 += (double)pool[i] * pool[i]; }
    assert_float_equal(s / n, 0.0, 1e-5);
    assert_float_equal(s2 / n, 1.0, 1e-4);
    free(pool);
    task_free(&t);

    opt.val_size = 12;
    assert_int_equal(fashion_load(&opt, &t), -1);
    assert_non_null(strstr(jp_error(), "validation size 12"));

    write_fake_fashion("badlabel", 12, 5, 1, 0);
    snprintf(dir, sizeof dir, "%s/badlabel", tmpdir);
    opt = (FashionOptions){ .data_dir = dir, .val_size = 2 };
    assert_int_equal(fashion_load(&opt, &t), -1);
    assert_non_null(strstr(jp_error(), "outside 0..9"));
}

// The loader before it kept bytes, on the raw files: split rows as floats px/255, and with
// standardisation (x − mean)/std over the pool, the sums in double in file order.
static float *old_floats(const IdxArray *img, const uint32_t *rows, int n) {
    float *x = malloc(sizeof(float) * ((size_t)n * 784 + 1));
    for (int i = 0; i < n; i++) {
        const uint8_t *px = img->data + (size_t)(rows ? rows[i] : (uint32_t)i) * 784;
        for (int j = 0; j < 784; j++) x[(size_t)i * 784 + j] = px[j] * (1.0f / 255.0f);
    }
    return x;
}

static void old_standardize(float *x[3], const int n[3]) {
    double sum = 0, sq = 0;
    size_t np = (size_t)n[0] * 784;
    for (size_t i = 0; i < np; i++) { sum += x[0][i]; sq += (double)x[0][i] * x[0][i]; }
    double mean = sum / np, std = sqrt(sq / np - mean * mean);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < (size_t)n[k] * 784; i++) x[k][i] = (float)((x[k][i] - mean) / std);
}

// Every split keeps bytes (no float copy), and every example it hands out, in order or by random
// rows (the prefetching path), is bit for bit the float the old loader stored, in both modes.
static void test_fashion_bytes_match_old_floats(void **state) {
    (void)state;
    enum { N = 40, NT = 7, VAL = 9 };
    write_fake_fashion("varied", N, NT, 0, 1);
    char path[512];
    IdxArray img, timg;
    snprintf(path, sizeof path, "%s/varied/train-images-idx3-ubyte.gz", tmpdir);
    assert_int_equal(idx_read(path, 3, &img), 0);
    snprintf(path, sizeof path, "%s/varied/t10k-images-idx3-ubyte.gz", tmpdir);
    assert_int_equal(idx_read(path, 3, &timg), 0);
    uint32_t order[N], pool[N];
    int is_val[N] = { 0 }, np = 0;
    rng_permutation(0, RNG_STREAM_SPLIT, order, N);
    for (int i = 0; i < VAL; i++) is_val[order[i]] = 1;
    for (int i = 0; i < N; i++) if (!is_val[i]) pool[np++] = (uint32_t)i;
    uint32_t rows[N];   // a random order of the pool's rows, longer than the prefetch distance
    rng_permutation(3, 0, rows, (uint32_t)np);
    snprintf(path, sizeof path, "%s/varied", tmpdir);
    for (int standardize = 0; standardize <= 1; standardize++) {
        int n[3] = { np, VAL, NT };
        float *want[3] = { old_floats(&img, pool, np), old_floats(&img, order, VAL), old_floats(&timg, NULL, NT) };
        if (standardize) old_standardize(want, n);
        FashionOptions opt = { .data_dir = path, .val_size = VAL, .standardize = standardize };
        Task t;
        assert_int_equal(fashion_load(&opt, &t), 0);
        Split *got[3] = { &t.train, &t.val, &t.test };
        for (int k = 0; k < 3; k++) {
            assert_int_equal(got[k]->n, n[k]);
            assert_null(got[k]->x);
            assert_non_null(got[k]->x8);
            float *x = gather_all(&t, got[k], NULL);
            assert_memory_equal(x, want[k], sizeof(float) * n[k] * 784);
            free(x);
        }
        float *x = malloc(sizeof(float) * np * 784);
        int y[N];
        task_gather(&t, &t.train, rows, 0, np, x, y, NULL);
        for (int i = 0; i < np; i++) {
            assert_memory_equal(x + (size_t)i * 784, want[0] + (size_t)rows[i] * 784, sizeof(float) * 784);
            assert_int_equal(y[i], pool[rows[i]] % 10);
        }
        free(x);
        for (int k = 0; k < 3; k++) free(want[k]);
        task_free(&t);
    }
    idx_free(&img);
    idx_free(&timg);
}

// A split that stores floats (toy worlds, hand-made test splits) hands them out as they are, with
// its regression targets.
static void test_gather_float_split(void **state) {
    (void)state;
    enum { N = 20, DIM = 3, OUT = 2 };
    float xs[N * DIM], ts[N * OUT];
    for (int i = 0; i < N * DIM; i++) xs[i] = 0.5f * i;
    for (int i = 0; i < N * OUT; i++) ts[i] = -1.0f * i;
    Task t = { .dim = DIM, .n_out = OUT };
    Split s = { .n = N, .x = xs, .t = ts };
    uint32_t rows[12];
    for (int j = 0; j < 12; j++) rows[j] = (uint32_t)(19 - j);
    float X[12 * DIM], T[12 * OUT];
    task_gather(&t, &s, rows, 0, 12, X, NULL, T);
    for (int j = 0; j < 12; j++) {
        assert_memory_equal(X + j * DIM, xs + rows[j] * DIM, sizeof(float) * DIM);
        assert_memory_equal(T + j * OUT, ts + rows[j] * OUT, sizeof(float) * OUT);
    }
    task_gather(&t, &s, NULL, 5, 3, X, NULL, T);
    assert_memory_equal(X, xs + 5 * DIM, sizeof(float) * 3 * DIM);
    assert_memory_equal(T, ts + 5 * OUT, sizeof(float) * 3 * OUT);
}

// A byte split of any width (the vector path converts 64 bytes at a time, the rest masked) gives
// lut[byte] for every byte, by rows and in order, with its labels.
static void test_gather_byte_split(void **state) {
    (void)state;
    enum { N = 30 };
    int dims[] = { 1, 5, 63, 64, 65, 100, 128, 784 + 3 };
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = (float)(v * v) * 1e-3f - (v & 1 ? 7.25f : -0.5f);
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        int dim = dims[d];
        Task t = { .dim = dim, .n_out = 10 };
        uint8_t *x8 = malloc((size_t)N * dim);
        int y[N], labels[N];
        for (int i = 0; i < N * dim; i++) x8[i] = (uint8_t)(i * 37 + i / 7);
        for (int i = 0; i < N; i++) y[i] = i % 10;
        Split s = { .n = N, .x8 = x8, .lut = lut, .y = y };
        uint32_t rows[N];
        rng_permutation(9, 0, rows, N);
        float *X = malloc(sizeof(float) * N * dim);
        task_gather(&t, &s, rows, 0, N, X, labels, NULL);
        for (int j = 0; j < N; j++) {
            for (int k = 0; k < dim; k++)
                if (memcmp(&X[j * dim + k], &lut[x8[rows[j] * dim + k]], 4))
                    fail_msg("dim %d row %d column %d: %g, expected %g", dim, j, k, X[j * dim + k], lut[x8[rows[j] * dim + k]]);
            assert_int_equal(labels[j], y[rows[j]]);
        }
        task_gather(&t, &s, NULL, 3, N - 3, X, NULL, NULL);
        for (int i = 0; i < (N - 3) * dim; i++) assert_memory_equal(&X[i], &lut[x8[3 * dim + i]], 4);
        free(X);
        free(x8);
    }
}

static void test_sampler(void **state) {
    (void)state;
    enum { POOL = 100, D = 30, B = 7 };
    Sampler a, b, small;
    assert_int_equal(sampler_init(&a, 5, D, POOL), 0);
    assert_int_equal(sampler_init(&b, 6, D, POOL), 0);
    assert_int_equal(sampler_init(&small, 5, 10, POOL), 0);
    // before the first batch the rows are the subset: the first D of the pool's permutation by the seed
    uint32_t subset[D], perm[POOL];
    memcpy(subset, a.rows, sizeof subset);
    rng_permutation(5, RNG_STREAM_SUBSET, perm, POOL);
    assert_memory_equal(subset, perm, sizeof subset);
    // a smaller D with the same seed is a subset of the larger one
    for (int i = 0; i < 10; i++) assert_int_equal(small.rows[i], subset[i]);
    assert_true(memcmp(subset, b.rows, sizeof(uint32_t) * D) != 0);
    // each epoch visits each of the D examples exactly once, across batch boundaries
    uint32_t rows[B * 30];
    for (long s = 0; s < 30; s++) sampler_batch(&a, s, B, rows + s * B);
    for (int e = 0; e < 7; e++) {
        int hits[POOL] = { 0 };
        for (int j = 0; j < D; j++) hits[rows[e * D + j]]++;
        for (int j = 0; j < D; j++) assert_int_equal(hits[subset[j]], 1);
        // epoch e is the subset in the order of its own permutation (stream RNG_STREAM_ORDER + 16·e)
        uint32_t order[D];
        rng_permutation(5, RNG_STREAM_ORDER + 16 * (uint64_t)e, order, D);
        for (int j = 0; j < D; j++) assert_int_equal(rows[e * D + j], subset[order[j]]);
    }
    // epochs are reshuffled, and random access, back and forth across epochs, gives the same
    // batches as sequential
    assert_true(memcmp(rows, rows + D, sizeof(uint32_t) * D) != 0);
    uint32_t again[B];
    long steps[] = { 13, 2, 29, 0, 17 };
    for (int k = 0; k < 5; k++) {
        sampler_batch(&a, steps[k], B, again);
        assert_memory_equal(again, rows + steps[k] * B, sizeof again);
    }
    sampler_free(&a); sampler_free(&b); sampler_free(&small);
    assert_int_equal(sampler_init(&a, 1, POOL + 1, POOL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_round_trip),
        cmocka_unit_test(test_idx_bad_files),
        cmocka_unit_test(test_idx_corrupt_gzip),
        cmocka_unit_test(test_idx_header_promising_gigabytes),
        cmocka_unit_test(test_fashion_loader),
        cmocka_unit_test(test_fashion_bytes_match_old_floats),
        cmocka_unit_test(test_gather_float_split),
        cmocka_unit_test(test_gather_byte_split),
        cmocka_unit_test(test_sampler),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
