// The small-product kernels (src/nn/mm.h) against 1-thread OpenBLAS on the products of
// a linear layer: forward C = X·Wᵀ (mm_nt), weight gradient dW = dYᵀ·X (mm_tn) and input
// gradient dX = dY·W (mm_nn, left out for the input layer, where it is never formed).
// Kernel and sgemm alternate (ABAB), best of REPS trials each. The 1-thread sgemm ceiling is
// probed in the same run, before and after: 2048³ (best of three) and 512³ (best of ten), whose
// short trials survive a loaded machine better; %ceil is against the higher. %peak is against
// the core's FMA peak (fma_peak_gflops), which load cannot inflate. The layer line is the three
// (or two) products together, which is what mm_prefer decides on.
//
// usage: mm_small [REPS [B IN OUT]...]   (REPS default 7; layers given replace the table's)
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "base/clock.h"
#include "base/xalloc.h"
#include "nn/blas.h"
#include "nn/mm.h"

typedef struct {
    int B, in, out;
    float *X, *W, *Y, *dY, *dW, *dX;
} Layer;

// Runs product p (0 forward, 1 weight gradient, 2 input gradient) n times, by the kernels
// (blas 0) or by sgemm (blas 1).
static void product(const Layer *L, int p, int blas, int n) {
    int B = L->B, in = L->in, out = L->out;
    for (int t = 0; t < n; t++) {
        if (p == 0 && !blas) mm_nt(B, out, in, L->X, in, L->W, in, L->Y, out);
        if (p == 0 && blas)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0f, L->X, in, L->W, in, 0.0f, L->Y, out);
        if (p == 1 && !blas) mm_tn(B, out, in, L->dY, out, L->X, in, L->dW, in);
        if (p == 1 && blas)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0f, L->dY, out, L->X, in, 0.0f, L->dW, in);
        if (p == 2 && !blas) mm_nn(B, out, in, L->dY, out, L->W, in, L->dX, in);
        if (p == 2 && blas)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0f, L->dY, out, L->W, in, 0.0f, L->dX, in);
    }
}

static float *filled(long n) {
    float *a = xmalloc_array((size_t)n, sizeof(float));
    for (long i = 0; i < n; i++) a[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    return a;
}

#ifdef __AVX512F__
#include <immintrin.h>
// The core's own ceiling: 12 independent chains of 16-lane FMAs in registers (best of 20 short
// trials), what no GEMM can pass. The asm keeps the chains apart (equal chains would be merged).
static volatile float sink;
static double fma_peak_gflops(void) {
    __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f), a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    double best = 1e30;
    const long n = 200000;
    for (int t = 0; t < 20; t++) {
        double t0 = clock_now_s();
        __m512 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8],
               a9 = a[9], a10 = a[10], a11 = a[11];
        for (long i = 0; i < n; i++) {
            a0 = _mm512_fmadd_ps(a0, x, y), a1 = _mm512_fmadd_ps(a1, x, y), a2 = _mm512_fmadd_ps(a2, x, y);
            a3 = _mm512_fmadd_ps(a3, x, y), a4 = _mm512_fmadd_ps(a4, x, y), a5 = _mm512_fmadd_ps(a5, x, y);
            a6 = _mm512_fmadd_ps(a6, x, y), a7 = _mm512_fmadd_ps(a7, x, y), a8 = _mm512_fmadd_ps(a8, x, y);
            a9 = _mm512_fmadd_ps(a9, x, y), a10 = _mm512_fmadd_ps(a10, x, y), a11 = _mm512_fmadd_ps(a11, x, y);
            __asm__("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8),
                    "+v"(a9), "+v"(a10), "+v"(a11));
        }
        double dt = clock_now_s() - t0;
        best = dt < best ? dt : best;
        sink = a0[0] + a11[0];
    }
    return 12.0 * 32 * n / best / 1e9;
}
#else
static double fma_peak_gflops(void) { return 0; }
#endif

static double cpu_s(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Best seconds per call of product p by each side, alternating kernel and sgemm trial by trial.
static void race(const Layer *L, int p, int reps, double best[2]) {
    double flops = 2.0 * L->B * L->in * L->out;
    int n = (int)(4e7 / flops) + 1;   // ~0.3 ms a trial at the ceiling
    best[0] = best[1] = 1e30;
    product(L, p, 0, n);
    product(L, p, 1, n);   // warm caches and OpenBLAS's buffers
    for (int r = 0; r < 2 * reps; r++) {
        double t0 = clock_now_s();
        product(L, p, r % 2, n);
        double dt = (clock_now_s() - t0) / n;
        if (dt < best[r % 2]) best[r % 2] = dt;
    }
}

static double peak;   // the FMA peak, GFLOP/s

static void bench_layer(int B, int in, int out, int reps, double ceiling) {
    Layer L = { B, in, out, filled((long)B * in), filled((long)out * in), filled((long)B * out),
                filled((long)B * out), filled((long)out * in), filled((long)B * in) };
    static const char *NAME[3] = { "nt  X·Wᵀ", "tn  dYᵀ·X", "nn  dY·W" };
    double sum[2] = { 0, 0 }, flops = 2.0 * B * in * out;
    int products = in == 784 ? 2 : 3;
    for (int p = 0; p < products; p++) {
        double best[2];
        race(&L, p, reps, best);
        sum[0] += best[0];
        sum[1] += best[1];
        printf("%4d×%4d→%-4d  %-10s  %7.1f  %7.1f  %5.2f  %5.0f%%  %5.0f%%  %5.0f%%\n", B, in, out, NAME[p],
               flops / best[0] / 1e9, flops / best[1] / 1e9, best[1] / best[0], 100 * flops / best[0] / 1e9 / ceiling,
               100 * flops / best[1] / 1e9 / ceiling, 100 * flops / best[0] / 1e9 / peak);
    }
    printf("%4d×%4d→%-4d  %-8s  %7.1f  %7.1f  %5.2f  %5.0f%%  %5.0f%%  %5.0f%%   mm_prefer %d\n", B, in, out, "layer",
           products * flops / sum[0] / 1e9, products * flops / sum[1] / 1e9, sum[1] / sum[0],
           100 * products * flops / sum[0] / 1e9 / ceiling, 100 * products * flops / sum[1] / 1e9 / ceiling,
           100 * products * flops / sum[0] / 1e9 / peak, mm_prefer(B, in, out));
    free(L.X); free(L.W); free(L.Y); free(L.dY); free(L.dW); free(L.dX);
}

int main(int argc, char **argv) {
    blas_select_kernels(argv);
    blas_set_threads(1);
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    double w0 = clock_now_s(), c0 = cpu_s(), ceiling = 0;
    for (int i = 0; i < 3; i++) {   // best of three probes: the machine is shared
        double g = blas_probe_gflops(2048);
        ceiling = g > ceiling ? g : ceiling;
    }
    double small = 0;   // 512³ trials are short enough to fall between other processes' slices
    for (int i = 0; i < 10; i++) {
        double g = blas_probe_gflops(512);
        small = g > small ? g : small;
    }
    printf("OpenBLAS %s, 1 thread; sgemm 2048³ %.1f GFLOP/s, 512³ %.1f: ceiling (%%ceil) the higher; best of %d, ABAB\n",
           blas_core_name(), ceiling, small, reps);
    peak = fma_peak_gflops();
    printf("FMA peak of one core (16-lane FMAs in registers): %.1f GFLOP/s (%%peak)\n", peak);
    ceiling = small > ceiling ? small : ceiling;
    printf("layer B×in→out  product     mm GF/s  blas GF/s  blas/mm time  mm %%ceil  blas %%ceil  mm %%peak\n");
    for (int i = 2; i + 2 < argc; i += 3) bench_layer(atoi(argv[i]), atoi(argv[i + 1]), atoi(argv[i + 2]), reps, ceiling);
    static const int WIDTH[4] = { 8, 16, 32, 64 };
    for (int i = 0; i < 4 && argc <= 2; i++) {
        int w = WIDTH[i];
        bench_layer(128, 784, w, reps, ceiling);
        bench_layer(128, w, w, reps, ceiling);
        bench_layer(128, w, 10, reps, ceiling);
    }
    if (argc <= 2) {
        bench_layer(256, 784, 1024, reps, ceiling);
        bench_layer(256, 1024, 1024, reps, ceiling);
    }
    double after = blas_probe_gflops(2048), after_small = blas_probe_gflops(512), wall = clock_now_s() - w0;
    printf("after: sgemm 2048³ %.1f, 512³ %.1f GFLOP/s; wall %.1f s, cpu (user+sys) %.1f s\n", after, after_small, wall,
           cpu_s() - c0);
    return 0;
}
