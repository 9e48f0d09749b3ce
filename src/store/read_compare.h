// Typed reader for the comparisons `jackpot compare` recorded (tables compares and
// compare_curve, schema 8): what the report draws. The SQL lives here.
#pragma once

typedef struct {
    long id;
    char law[32], metric[64], axis[16], arm[2][64], where[2][512];
    double cost_b, trend[3], crossing[3];   // estimate and 95% interval (NaN: none)
    int crossing_within;
    int n;                                  // budgets on its grid
    double *x, *loss_a, *loss_b, *k, *k_lo, *k_hi, *k_net, *k_net_lo, *k_net_hi;   // [n] each (NaN: NULL)
} StoredCompare;

// The latest comparison of each distinct setting (law, metric, arms and their conditions, cost)
// in the database at path, oldest first, at most max. 0 with *n set (0 when there are none or
// the database predates schema 8), or −1 with jp_error().
int store_read_compares(const char *path, int max, StoredCompare **out, int *n);
void stored_compares_free(StoredCompare *c, int n);
