#include "sweep/lm_probe.h"

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/xalloc.h"
#include "nn/gpt.h"
#include "sweep/plan_probe.h"

// One member's forward and backward on its own buffers (a probe's member).
typedef struct { GptWork w; float *params, *grads; } ProbeMember;

static void probe_step(const GptShape *sh, ProbeMember *p, const int *tokens, int B, int T) {
    gpt_forward(sh, p->params, tokens, tokens + 1, B, T, &p->w);
    gpt_backward(sh, p->params, tokens, B, T, &p->w, p->grads);
}

double lm_probe_step_s(const RunSpec *s, int k) {
    GptShape sh = spec_gpt_shape(s);
    int B = (int)s->batch, T = (int)s->context;
    if (gpt_shape_check(&sh) != 0) return -1;
    size_t P = gpt_n_params(&sh), n = (size_t)B * (size_t)T;
    ProbeMember *pm = xcalloc((size_t)k, sizeof *pm);
    int *tokens = xmalloc_array(n + 1, sizeof(int)), ok = 1;
    for (size_t i = 0; i <= n; i++) tokens[i] = (int)((i * 131 + 7) % GPT_VOCAB);
    for (int m = 0; m < k; m++) {
        pm[m].params = xmalloc_array(P, sizeof(float));
        pm[m].grads = xmalloc_array(P, sizeof(float));
        gpt_init_params(&sh, pm[m].params, 1);
        if (gpt_work_init(&pm[m].w, &sh, B, T) != 0) ok = 0;
    }
    double t = -1;
    int reps = 0;
    if (ok) {
        double t0 = 0, c0 = 0;
        for (; reps < 21 && (reps < 2 || t < 0.2); reps++) {   // rep 0: warm-up
            if (reps == 1) { t0 = clock_now_s(); c0 = plan_cpu_s(); }
#pragma omp parallel for num_threads(k) schedule(static, 1)
            for (int m = 0; m < k; m++) probe_step(&sh, &pm[m], tokens, B, T);
            t = reps ? clock_now_s() - t0 : 0;
        }
        t *= plan_idle_share(plan_cpu_s() - c0, t, k) / (reps - 1);   // as on idle cores
    }
    for (int m = 0; m < k; m++) {
        if (ok) gpt_work_free(&pm[m].w);
        free(pm[m].params);
        free(pm[m].grads);
    }
    free(pm);
    free(tokens);
    return t;
}

double lm_group_seconds(const RunSpec *s, int M, int threads, double step_s) {
    double rounds = ceil((double)M / (threads > 0 ? threads : 1));   // members run one per thread
    double eval_bytes = (double)(s->text_val_bytes + s->text_test_bytes);
    struct stat st;
    if (!s->text_val_bytes && !s->text_test_bytes && stat(s->text_path, &st) == 0 && S_ISREG(st.st_mode))
        eval_bytes = (s->text_val_fraction + s->text_test_fraction) * (double)st.st_size;
    double evals = (double)(s->steps / (s->eval_every > 0 ? s->eval_every : s->steps) + 1);
    double eval_steps = evals * eval_bytes / ((double)s->batch * (double)s->context) / 3.0;   // forward ≈ ⅓ of a step
    return rounds * step_s * ((double)s->steps + eval_steps);
}
