// How many trainings iterative magnitude pruning runs for each member (jackpot tickets): shared by
// the planner and the tickets command (src/sweep) and by `jackpot status` (src/store), which
// reads the same settings from a run's params.
#pragma once

// Level 0 (the dense network) and every round's ticket, each with an instability copy when
// instability_points ≥ 2, and every round's `controls` (reinit, random_mask, oneshot: how many
// are on). With rounds < 1 and a target_density, the rounds until (1 − rate)^r reaches it
// (1 to 100; the output layer's slower rate can make it a round or two more). No rounds and no
// target: 1, a plain training.
double ticket_trainings(double rounds, double target_density, double rate, int controls, int instability_points);
