// The batch gather of Fashion-MNIST-sized data: B random rows of 784 from a pool of N, held as
// floats (a memcpy per row, the loader before issue 16) or as bytes converted through the split's
// 256-entry table with the rows 8 ahead prefetched (task_gather today: AVX-512 VBMI where the
// build has it, else a scalar loop). The forms alternate, so all see the same machine; each round
// gathers R batches of each and keeps the round's mean, and the best and median rounds are
// printed. A third form is the naive byte gather (a scalar table lookup, no prefetch), to show
// what the vector conversion and the prefetch buy. Single-threaded; CPU time beside wall time.
//
// usage: gather [--pool N] [--batch B] [--rounds K] [--reps R]
// prints µs per gather of each form (best and median of the rounds, wall and CPU), the load average.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"
#include "data/task.h"

enum { DIM = 784 };

typedef struct { double wall, cpu; } Times;

// xorshift64: the bench's rows and bytes need no more than a fast, fixed sequence.
static uint64_t next(uint64_t *s) {
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return *s;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// The byte form without prefetch: the conversion task_gather does, row by row.
static void gather_noprefetch(const Split *s, const uint32_t *rows, int n, float *X) {
    for (int j = 0; j < n; j++) {
        const uint8_t *src = s->x8 + (size_t)rows[j] * DIM;
        for (int k = 0; k < DIM; k++) X[(size_t)j * DIM + k] = s->lut[src[k]];
    }
}

// Mean µs per gather over `reps` batches of fresh random rows (drawn before the clock starts); kind 0 float, 1 bytes, 2 bytes
// without prefetch.
static Times run(const Task *t, const Split *s, int kind, uint64_t *rng, int reps, int B, uint32_t *rows, float *X) {
    for (size_t j = 0; j < (size_t)reps * B; j++) rows[j] = (uint32_t)(next(rng) % (uint64_t)s->n);
    double w0 = wall_now(), c0 = cpu_now();
    for (int r = 0; r < reps; r++) {
        const uint32_t *batch = rows + (size_t)r * B;
        if (kind == 2) gather_noprefetch(s, batch, B, X);
        else task_gather(t, s, batch, 0, B, X, NULL, NULL);
    }
    return (Times){ 1e6 * (wall_now() - w0) / reps, 1e6 * (cpu_now() - c0) / reps };
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int N = 60000, B = 128, K = 15, R = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--pool")) N = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) B = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) K = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) R = atoi(argv[i + 1]);
        else { fprintf(stderr, "usage: gather [--pool N] [--batch B] [--rounds K] [--reps R]\n"); return 2; }
    }
    if (N < 1 || B < 1 || K < 1 || R < 1 || K > 1000) { fprintf(stderr, "gather: sizes must be positive\n"); return 2; }
    Task t = { .dim = DIM, .n_out = 10 };
    Split f = { .n = N, .x = xmalloc(sizeof(float) * (size_t)N * DIM) };
    Split b = { .n = N, .x8 = xmalloc((size_t)N * DIM), .lut = xmalloc(sizeof(float) * 256) };
    uint64_t rng = 88172645463325252ull;
    for (int v = 0; v < 256; v++) b.lut[v] = (v / 255.0f - 0.286f) / 0.353f;
    for (size_t i = 0; i < (size_t)N * DIM; i++) { b.x8[i] = (uint8_t)(next(&rng) >> 56); f.x[i] = b.lut[b.x8[i]]; }
    uint32_t *rows = xmalloc(sizeof(uint32_t) * (size_t)R * B);   // each round's batches, drawn before timing
    float *X = xmalloc(sizeof(float) * (size_t)B * DIM);
    double wall[3][1000], cpu[3][1000];
    for (int k = 0; k < K; k++)
        for (int kind = 0; kind < 3; kind++) {
            Times tm = run(&t, kind ? &b : &f, kind, &rng, R, B, rows, X);
            wall[kind][k] = tm.wall;
            cpu[kind][k] = tm.cpu;
        }
    const char *name[3] = { "float memcpy", "bytes+lut, prefetch 8", "bytes, scalar lut, no prefetch" };
    printf("gather of %d random rows of %d from a pool of %d; %d rounds of %d, alternating\n", B, DIM, N, K, R);
    for (int kind = 0; kind < 3; kind++) {
        qsort(wall[kind], K, sizeof(double), cmp);
        qsort(cpu[kind], K, sizeof(double), cmp);
        printf("%-24s wall us best %6.1f median %6.1f   cpu us best %6.1f median %6.1f\n", name[kind],
               wall[kind][0], wall[kind][K / 2], cpu[kind][0], cpu[kind][K / 2]);
    }
    double load[3];
    if (getloadavg(load, 3) == 3) printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    free(rows); free(X); free(f.x); free(b.x8); free(b.lut);
    return 0;
}
