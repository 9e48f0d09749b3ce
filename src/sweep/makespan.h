// The distributed scheduler's finishing time, predicted: rank 0 hands the queue's parts (in
// queue order, largest first) to whichever of the S worker slots frees first, i.e. greedy list
// scheduling onto S identical slots (LPT when the queue is longest first). Pure arithmetic, for
// `jackpot plan --ranks`.
#pragma once

typedef struct {
    double makespan;   // when the last slot finishes
    double total;      // all parts' costs: total / slots bounds any schedule from below
    double largest;    // the largest part: so does it
    int largest_at;    // its index in the queue (−1 when there are no parts)
} Makespan;

// Simulates cost[n] (seconds, ≥ 0, in queue order) onto `slots` slots (≥ 1): each part goes to
// the slot that frees first, ties to the lowest slot. busy[slots], when not NULL, receives each
// slot's busy time (the makespan is their maximum).
Makespan makespan_simulate(const double *cost, int n, int slots, double *busy);

// max(total / slots, largest): no schedule of these parts on `slots` slots finishes sooner.
double makespan_lower_bound(const Makespan *m, int slots);
