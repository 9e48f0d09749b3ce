// Fuzz target: fit's CSV reader (points_from_csv), with and without a cluster
// column, checking the contract fit relies on: every cluster id in [0, n_clusters).
#include <string.h>
#include <unistd.h>

#include "../fuzz.h"
#include "base/error.h"
#include "fit/points.h"

static void check(const char *path, const char *const cols[AXIS_COUNT], const char *cluster_col) {
    Points p;
    if (points_from_csv(path, cols, "loss", cluster_col, &p) != 0) {
        FUZZ_CHECK(jp_error()[0] != 0);
        return;
    }
    FUZZ_CHECK(p.n >= 0 && p.n_clusters >= 0 && p.n_clusters <= p.n);
    for (int i = 0; i < p.n; i++) {
        FUZZ_CHECK(p.cluster[i] >= 0 && p.cluster[i] < p.n_clusters);
        for (int a = 0; a < AXIS_COUNT; a++)
            if (cols[a]) (void)p.x[a][i];   // read: ASan checks the arrays hold n
    }
    points_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file(data, size, ".csv");
    const char *n_only[AXIS_COUNT] = { [AXIS_N] = "N" };
    const char *n_and_d[AXIS_COUNT] = { [AXIS_N] = "N", [AXIS_D] = "D" };
    check(path, n_only, NULL);
    check(path, n_and_d, "cluster");
    unlink(path);
    return 0;
}
