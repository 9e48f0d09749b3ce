// Sampling a continuation from a byte-level GPT (nn/gpt.h), for a researcher to see what
// a model has learned.
//
// Each new byte: run the model on the last min(length, context) bytes (the window slides
// once the text outgrows the context), take the logits z[256] at the last position, and
//   temperature 0:  the argmax (the lowest byte on a tie): greedy, deterministic;
//   temperature τ:  p ∝ exp((z − max z)/τ) in double precision; byte = the first b whose
//                   cumulative p exceeds u·Σp, u = rng_uniform53(seed, RNG_STREAM_TEXT_SAMPLE, i)
//                   for new byte i, so a (seed, prompt, params) gives the same text anywhere.
// No KV cache: each byte costs one forward pass over the window (O(n·context²)); fine for the
// short samples of `jackpot sample` on models of this size.
#pragma once
#include <stdint.h>

#include "nn/gpt.h"

// out[n_new] = the continuation of prompt[n_prompt]. An empty prompt starts from "\n" (a
// document boundary in the text corpora), which is not part of the output. 0, or −1
// (jp_fail: a bad shape, n_new < 0, temperature < 0 or not finite).
int gpt_sample(const GptShape *s, const float *params, const uint8_t *prompt, int n_prompt, int n_new,
               float temperature, uint64_t seed, uint8_t *out);
