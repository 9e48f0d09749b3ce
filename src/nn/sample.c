#include "nn/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"

// The next byte from one position's logits z[V].
static int pick(const float *z, float temperature, uint64_t seed, uint64_t index) {
    int best = 0;
    for (int v = 1; v < GPT_VOCAB; v++)
        if (z[v] > z[best]) best = v;
    if (temperature == 0.0f) return best;
    double p[GPT_VOCAB], sum = 0;
    for (int v = 0; v < GPT_VOCAB; v++) sum += p[v] = exp(((double)z[v] - z[best]) / temperature);
    double u = rng_uniform53(seed, RNG_STREAM_TEXT_SAMPLE, index) * sum, c = 0;
    for (int v = 0; v < GPT_VOCAB; v++)
        if ((c += p[v]) > u) return v;
    return best;   // rounding left u at the very top: the likeliest byte
}

int gpt_sample(const GptShape *s, const float *params, const uint8_t *prompt, int n_prompt, int n_new,
               float temperature, uint64_t seed, uint8_t *out) {
    if (gpt_shape_check(s) != 0) return -1;
    if (n_prompt < 0 || n_new < 0 || !(temperature >= 0) || isinf(temperature))
        return jp_fail("gpt_sample: lengths must be non-negative and the temperature finite and ≥ 0");
    if (n_new == 0) return 0;
    GptWork w;
    if (gpt_work_init(&w, s, 1, s->context) != 0) return -1;
    int start = n_prompt ? 0 : 1, n = start + n_prompt;   // text = ["\n"] prompt continuation
    int *text = xmalloc_array((size_t)n + n_new, sizeof(int));
    if (!n_prompt) text[0] = '\n';
    for (int i = 0; i < n_prompt; i++) text[start + i] = prompt[i];
    for (int i = 0; i < n_new; i++, n++) {
        int T = n < s->context ? n : s->context;
        gpt_forward(s, params, text + n - T, NULL, 1, T, &w);
        text[n] = pick(w.logits + (size_t)(T - 1) * GPT_VOCAB, temperature, seed, (uint64_t)i);
        out[i] = (uint8_t)text[n];
    }
    free(text);
    gpt_work_free(&w);
    return 0;
}
