// Greedy list scheduling, simulated: see makespan.h.
#include "sweep/makespan.h"

#include <stdlib.h>

#include "base/xalloc.h"

Makespan makespan_simulate(const double *cost, int n, int slots, double *busy) {
    Makespan m = { 0, 0, 0, -1 };
    if (slots < 1) slots = 1;
    double *free_at = busy ? busy : xmalloc(sizeof(double) * (size_t)slots);   // [slots]
    for (int s = 0; s < slots; s++) free_at[s] = 0;
    // A linear scan for the earliest slot, over the first min(n, slots) only: part i < slots finds
    // slot i still idle, so slots past n are never the lowest earliest one. O(n · min(n, slots)):
    // milliseconds for the thousands of parts a sweep has (a heap would break ties by slot index
    // only with more care).
    int scan = n < slots ? n : slots;
    for (int i = 0; i < n; i++) {
        int first = 0;
        for (int s = 1; s < scan; s++)
            if (free_at[s] < free_at[first]) first = s;
        free_at[first] += cost[i];
        m.total += cost[i];
        if (m.largest_at < 0 || cost[i] > m.largest) { m.largest = cost[i]; m.largest_at = i; }
    }
    for (int s = 0; s < slots; s++)
        if (free_at[s] > m.makespan) m.makespan = free_at[s];
    if (!busy) free(free_at);
    return m;
}

double makespan_lower_bound(const Makespan *m, int slots) {
    double even = m->total / (slots > 0 ? slots : 1);
    return even > m->largest ? even : m->largest;
}
