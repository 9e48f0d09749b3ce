// OpenBLAS: thread control, kernel selection and a speed probe (the GEMM calls
// themselves are in nn/linear.c). The thread count is process-wide state: only the
// command line sets it (blas_set_threads, once per command), never the library.
#pragma once

// Debian's OpenBLAS 0.3.21 takes some AVX-512 CPUs it does not know (Zen 4/5
// on some hosts) for Haswell and runs AVX2 kernels. The core type is read once,
// when the library loads, so the only fix from inside is to set
// OPENBLAS_CORETYPE=SkylakeX and re-execute. Call first thing in main(); it
// returns at once unless the CPU has AVX-512, OpenBLAS chose a core without it,
// and OPENBLAS_CORETYPE is unset (a user's setting always wins).
void blas_select_kernels(char **argv);

void blas_set_threads(int n);
const char *blas_core_name(void);
const char *blas_config(void);

// sgemm n×n×n on OpenBLAS's current thread count (the caller sets it), best of a few
// repetitions, in GFLOP/s.
double blas_probe_gflops(int n);
