// Zipf frequencies of a toy world's concepts (data/world.h draws concepts with
// them; concepts/study.h weighs per-concept losses by them): here, where both the
// training wing and the analyses may include it.
#pragma once

// p[C]: p_c = (c+1)^−s / Σ_j (j+1)^−s, c = 0..C−1 (concept c is frequency rank c).
void zipf_frequencies(double s, int C, double *p);
