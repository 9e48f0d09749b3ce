#include "nn/blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/xalloc.h"

static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

static int core_has_avx512(const char *core) {
    static const char *const AVX512_CORES[] = { "SkylakeX", "Cooperlake", "SapphireRapids" };
    for (size_t i = 0; i < sizeof AVX512_CORES / sizeof AVX512_CORES[0]; i++)
        if (strcasecmp(core, AVX512_CORES[i]) == 0) return 1;
    return 0;
}

void blas_select_kernels(char **argv) {
    // The library is loaded by now, so we can ask which core it detected.
    const char *core = openblas_get_corename();
    if (getenv("OPENBLAS_CORETYPE") || getenv("JACKPOT_BLAS_DETECTED") || !cpu_has_avx512() ||
        core_has_avx512(core))
        return;
    // OpenBLAS's SkylakeX kernels need only AVX-512 F/BW/DQ/VL, which every
    // AVX-512 CPU (Intel since Skylake-SP, AMD since Zen 4) has.
    setenv("JACKPOT_BLAS_DETECTED", core, 1);   // what OpenBLAS chose alone; also stops a loop
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    execv("/proc/self/exe", argv);
    // exec failed (no /proc?): carry on with the kernels we have.
}

void blas_set_threads(int n) { openblas_set_num_threads(n); }
const char *blas_core_name(void) { return openblas_get_corename(); }
const char *blas_config(void) { return openblas_get_config(); }

double blas_probe_gflops(int n) {
    float *a = xmalloc(sizeof(float) * n * n * 3);
    for (long i = 0; i < 3L * n * n; i++) a[i] = (float)(i % 7) * 0.1f;
    double best = 1e30;
    for (int rep = 0; rep < 4; rep++) {
        double t0 = clock_now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, a + n * n, n, 0.0f, a + 2 * n * n, n);
        double dt = clock_now_s() - t0;
        if (dt < best) best = dt;
    }
    free(a);
    return 2.0 * n * (double)n * n / best / 1e9;
}
