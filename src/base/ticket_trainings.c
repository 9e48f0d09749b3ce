#include "base/ticket_trainings.h"

#include <math.h>

double ticket_trainings(double rounds, double target_density, double rate, int controls, int instability_points) {
    if (rounds < 1 && target_density > 0 && rate > 0 && rate < 1)   // 1e-9: an exact power is reached, not passed
        rounds = fmin(100, fmax(1, ceil(log(target_density) / log(1 - rate) - 1e-9)));
    if (rounds < 1) return 1;
    return (rounds + 1) * (instability_points >= 2 ? 2 : 1) + rounds * controls;
}
