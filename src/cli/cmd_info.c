// jackpot info: what this machine is and how fast its GEMM runs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "base/ranks.h"
#include "nn/blas.h"

static void print_cpu_model(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            printf("cpu:            %s", strchr(line, ':') + 2);
            break;
        }
    if (f) fclose(f);
}

int cmd_info(int argc, char **argv) {
    int probe = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            puts("usage: jackpot info [--no-probe]\n\n"
                 "Prints the CPU, the core count, the OpenBLAS kernels in use (and whether jackpot\n"
                 "chose them), the MPI library jackpot was built with (or none), and sgemm 2048² GFLOP/s on 1 thread and on all cores.\n\n"
                 "  --no-probe   skip the GEMM speed probe");
            return 0;
        }
        if (strcmp(argv[i], "--no-probe") == 0) probe = 0;
        else usage_error("info", "unknown option '%s'", argv[i]);
    }
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    print_cpu_model();
    printf("cores:          %d\n", cores);
    const char *env = getenv("OPENBLAS_CORETYPE"), *detected = getenv("JACKPOT_BLAS_DETECTED");
    if (detected)
        printf("blas kernels:   %s (OpenBLAS detected %s; jackpot set OPENBLAS_CORETYPE=%s)\n",
               blas_core_name(), detected, env);
    else
        printf("blas kernels:   %s (%s%s)\n", blas_core_name(), env ? "OPENBLAS_CORETYPE=" : "detected by OpenBLAS",
               env ? env : "");
    printf("blas config:    %s\n", blas_config());
    if (ranks_built_with_mpi())
        printf("mpi:            %s (built with MPI: mpirun -np P jackpot run … trains on P processes)\n", ranks_library());
    else
        printf("mpi:            %s\n", ranks_library());
    if (probe) {
        blas_set_threads(1);
        printf("sgemm 2048²:    %.0f GFLOP/s on 1 thread\n", blas_probe_gflops(2048));
        blas_set_threads(cores);
        printf("sgemm 2048²:    %.0f GFLOP/s on %d threads\n", blas_probe_gflops(2048), cores);
    }
    return 0;
}
