#include "data/task.h"

#include <stdlib.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "data/world.h"

static void split_free(Split *s) {
    free(s->x);
    free(s->x8);
    free(s->lut);
    free(s->y);
    free(s->t);
    free(s->concept_start);
    free(s->concept_weight);
    *s = (Split){ 0 };
}

void task_free(Task *t) {
    split_free(&t->train);
    split_free(&t->val);
    split_free(&t->test);
    if (t->world) world_free(t->world);
    free(t->world);
    t->world = NULL;
}

static size_t split_bytes(const Split *s, int dim, int n_out) {
    size_t n = (size_t)s->n, bytes = 0;
    if (s->x) bytes += n * dim * sizeof(float);
    if (s->x8) bytes += n * dim + 256 * sizeof(float);
    if (s->y) bytes += n * sizeof(int);
    if (s->t) bytes += n * n_out * sizeof(float);
    return bytes;
}

size_t task_bytes(const Task *t) {
    return split_bytes(&t->train, t->dim, t->n_out) + split_bytes(&t->val, t->dim, t->n_out) +
           split_bytes(&t->test, t->dim, t->n_out);
}

// Rows requested ahead of the one being converted. A random row of the pool misses every cache
// level; asking for the next rows' lines while converting this one keeps several misses in flight
// instead of one (bench/gather.c measures it).
enum { PREFETCH_AHEAD = 8 };

static void prefetch_bytes(const uint8_t *p, int n) {
    for (int o = 0; o < n; o += 64) __builtin_prefetch(p + o, 0, 0);
    __builtin_prefetch(p + n - 1, 0, 0);   // a row need not start on a line
}

void task_prefetch(const Task *t, const Split *s, const uint32_t *rows, int n) {
    size_t bytes = s->x8 ? (size_t)t->dim : sizeof(float) * t->dim;
    for (int j = 0; j < n; j++) {
        const char *row = s->x8 ? (const char *)(s->x8 + (size_t)rows[j] * t->dim) : (const char *)(s->x + (size_t)rows[j] * t->dim);
        for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(row + o, 0, 2);
        __builtin_prefetch(row + bytes - 1, 0, 2);
    }
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
// The 256-float table as four byte planes (plane p: byte p of every entry), 4 × 64 bytes each, and
// the byte order that makes the interleaving come out in element order (see convert_64).
typedef struct { __m512i plane[4][4], order; } ByteTable;

static void byte_table(const float *lut, ByteTable *bt) {
    uint8_t planes[4][256], order[64];
    for (int v = 0; v < 256; v++) {
        uint32_t u;
        memcpy(&u, lut + v, 4);
        for (int p = 0; p < 4; p++) planes[p][v] = (uint8_t)(u >> (8 * p));
    }
    for (int p = 0; p < 4; p++)
        for (int q = 0; q < 4; q++) bt->plane[p][q] = _mm512_loadu_si512(planes[p] + 64 * q);
    // position 16·lane + 4·k + i must hold element 16·k + 4·lane + i
    for (int q = 0; q < 64; q++) order[q] = (uint8_t)(16 * ((q / 4) % 4) + 4 * (q / 16) + q % 4);
    bt->order = _mm512_loadu_si512(order);
}

// Up to 64 bytes (t of them) → floats by the table, in about 30 instructions. vpermi2b looks 64
// bytes up among 128 entries, two of them and the index's top bit cover 256, once per byte plane;
// unpacking bytes to words to dwords reassembles the floats but only within 128-bit lanes, so the
// input is permuted first (bt->order) for register k to hold elements 16k..16k+15 in order.
static void convert_64(const ByteTable *bt, const uint8_t *src, float *dst, int t) {
    __m512i idx = _mm512_maskz_loadu_epi8(t == 64 ? ~0ull : (1ull << t) - 1, src);
    idx = _mm512_permutexvar_epi8(bt->order, idx);
    __mmask64 high = _mm512_movepi8_mask(idx);
    __m512i b[4];
    for (int p = 0; p < 4; p++) {
        __m512i lo = _mm512_permutex2var_epi8(bt->plane[p][0], idx, bt->plane[p][1]);
        __m512i hi = _mm512_permutex2var_epi8(bt->plane[p][2], idx, bt->plane[p][3]);
        b[p] = _mm512_mask_blend_epi8(high, lo, hi);
    }
    __m512i lo01 = _mm512_unpacklo_epi8(b[0], b[1]), hi01 = _mm512_unpackhi_epi8(b[0], b[1]);
    __m512i lo23 = _mm512_unpacklo_epi8(b[2], b[3]), hi23 = _mm512_unpackhi_epi8(b[2], b[3]);
    __m512i r[4] = { _mm512_unpacklo_epi16(lo01, lo23), _mm512_unpackhi_epi16(lo01, lo23),
                     _mm512_unpacklo_epi16(hi01, hi23), _mm512_unpackhi_epi16(hi01, hi23) };
    for (int k = 0; k < 4 && 16 * k < t; k++) {
        int c = t - 16 * k < 16 ? t - 16 * k : 16;
        _mm512_mask_storeu_epi32(dst + 16 * k, (__mmask16)((1u << c) - 1), r[k]);
    }
}

static void convert_row(const ByteTable *bt, const float *lut, const uint8_t *src, float *dst, int dim) {
    (void)lut;
    for (int k = 0; k < dim; k += 64) convert_64(bt, src + k, dst + k, dim - k < 64 ? dim - k : 64);
}
#elif defined(__AVX512F__)
// AVX-512 without VBMI (Intel before Ice Lake). Pixels scaled to [0,1] (the table is v · (1/255), the
// default) convert arithmetically, to the same floats; any other table, 16 entries per gather.
typedef int ByteTable;   // 1: the table is v · (1/255)
static void byte_table(const float *lut, ByteTable *bt) {
    *bt = 1;
    for (int v = 0; v < 256; v++) *bt &= lut[v] == (float)v * (1.0f / 255.0f);
}
static void convert_row(const ByteTable *bt, const float *lut, const uint8_t *src, float *dst, int dim) {
    int k = 0;
    for (; k + 16 <= dim; k += 16) {
        __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(src + k)));
        __m512 x = *bt ? _mm512_mul_ps(_mm512_cvtepi32_ps(idx), _mm512_set1_ps(1.0f / 255.0f))
                       : _mm512_i32gather_ps(idx, lut, 4);
        _mm512_storeu_ps(dst + k, x);
    }
    for (; k < dim; k++) dst[k] = lut[src[k]];
}
#else
typedef int ByteTable;
static void byte_table(const float *lut, ByteTable *bt) { (void)lut; *bt = 0; }
static void convert_row(const ByteTable *bt, const float *lut, const uint8_t *src, float *dst, int dim) {
    (void)bt;
    for (int k = 0; k < dim; k++) dst[k] = lut[src[k]];
}
#endif

// X[n][dim] = lut[x8 rows]: each byte through the split's table, so a standardised dataset reads
// exactly the floats it would have stored.
static void gather_bytes(const Split *s, int dim, const uint32_t *rows, int start, int n, float *X) {
    ByteTable bt;
    byte_table(s->lut, &bt);
    for (int j = 0; j < n; j++) {
        if (rows && j + PREFETCH_AHEAD < n) prefetch_bytes(s->x8 + (size_t)rows[j + PREFETCH_AHEAD] * dim, dim);
        const uint8_t *src = s->x8 + (rows ? rows[j] : (size_t)start + j) * dim;
        convert_row(&bt, s->lut, src, X + (size_t)j * dim, dim);
    }
}

void task_gather(const Task *t, const Split *s, const uint32_t *rows, int start, int n,
                 float *X, int *labels, float *targets) {
    int dim = t->dim, n_out = t->n_out;
    if (s->x8) gather_bytes(s, dim, rows, start, n, X);
    for (int j = 0; j < n; j++) {
        size_t r = rows ? rows[j] : (size_t)start + j;
        if (!s->x8) memcpy(X + (size_t)j * dim, s->x + r * dim, sizeof(float) * dim);
        if (labels && s->y) labels[j] = s->y[r];
        if (targets && s->t) memcpy(targets + (size_t)j * n_out, s->t + r * n_out, sizeof(float) * n_out);
    }
}
