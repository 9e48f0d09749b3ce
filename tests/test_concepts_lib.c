// The concept study as a library: the analyses of concepts/analysis.h on
// hand-made studies with answers worked out by hand (Spearman of a known order,
// an exact power law, a slope with a hand-computed Student-t interval), and the
// store reader (store/read_concepts.h) and concept_study_load on a small database
// written through the store API.
#include "testutil.h"
#include <gsl/gsl_errno.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "concepts/analysis.h"
#include "concepts/study.h"
#include "base/zipf.h"
#include "store/read_concepts.h"
#include "store/store.h"

// A study of n sizes, C concepts, R runs each; every array zeroed, probes NaN.
static void study_make(ConceptStudy *st, int n, int C, int R) {
    memset(st, 0, sizeof *st);
    st->C = C;
    st->n_sizes = n;
    st->p = calloc(C, sizeof(double));
    st->size = calloc(n, sizeof(ConceptSize));
    for (int s = 0; s < n; s++) {
        ConceptSize *z = &st->size[s];
        z->n_runs = R;
        z->run_loss = calloc(R, sizeof(double));
        z->run_learned = calloc(R, sizeof(double));
        z->run_probe = calloc(R, sizeof *z->run_probe);
        for (int m = 0; m < R; m++)
            for (int i = 0; i < PROBE_METRICS; i++) z->run_probe[m][i] = NAN;
        for (int i = 0; i < PROBE_METRICS; i++) z->probe_mean[i] = z->probe_sd[i] = NAN;
        z->acc = calloc(C, sizeof(double));
        z->loss = calloc(C, sizeof(double));
        z->learned_frac = calloc(C, sizeof(double));
        z->learn_step = calloc(C, sizeof(double));
        for (int c = 0; c < C; c++) z->learn_step[c] = NAN;
    }
}

static void test_learned_by_most(void **state) {
    (void)state;
    ConceptStudy st;
    study_make(&st, 1, 9, 1);
    const double frac[9] = { 1, 0.5, 0.6, 0, 1, 0.49, 0.7, 0.8, 0.9 };   // half counts, 0.49 does not
    memcpy(st.size[0].learned_frac, frac, sizeof frac);
    char out[64];
    concept_learned_by_most(&st.size[0], 9, out, sizeof out);
    assert_string_equal(out, "0-2,4,6-8");
    for (int c = 0; c < 9; c++) st.size[0].learned_frac[c] = 0.2;
    concept_learned_by_most(&st.size[0], 9, out, sizeof out);
    assert_string_equal(out, "none");
    concept_study_free(&st);
}

static void test_heat_map_cells(void **state) {
    (void)state;
    assert_int_equal(concept_heat_bin(1), 1);
    assert_int_equal(concept_heat_bin(24), 1);   // up to 24 rows, one rank each
    assert_int_equal(concept_heat_bin(25), 2);
    assert_int_equal(concept_heat_bin(48), 2);
    assert_int_equal(concept_heat_bin(49), 3);
    ConceptStudy st;
    study_make(&st, 1, 4, 1);
    const double acc[4] = { 0.9, NAN, 0.5, 0.2 }, loss[4] = { 0.1, 0.3, 0.5, 0.7 };
    memcpy(st.size[0].acc, acc, sizeof acc);
    memcpy(st.size[0].loss, loss, sizeof loss);
    assert_float_equal(concept_heat_cell(&st, 0, 0, 2), 0.9, 1e-15);   // NaN skipped
    assert_float_equal(concept_heat_cell(&st, 0, 2, 4), 0.35, 1e-15);
    st.regression = 1;   // targets, not labels: the cell is the loss
    assert_float_equal(concept_heat_cell(&st, 0, 0, 4), 0.4, 1e-15);
    concept_study_free(&st);
}

static void test_learning_order_and_spearman(void **state) {
    (void)state;
    ConceptStudy st;
    study_make(&st, 3, 6, 1);
    st.size[0].learned_mean = 2;
    st.size[1].learned_mean = 5;   // learned most: the order is read here
    st.size[2].learned_mean = 5;   // a tie keeps the first
    st.size[2].learn_step[0] = 1;
    // ranks 0..4 learned at 10, 30, 20, 40, 50; rank 5 never: Σd² = 2, ρ = 1 − 6·2/(5·24) = 0.9;
    // one pair of ten out of frequency order
    const double steps[6] = { 10, 30, 20, 40, 50, NAN };
    memcpy(st.size[1].learn_step, steps, sizeof steps);
    ConceptOrder o;
    concept_order(&st, &o);
    assert_int_equal(o.size, 1);
    assert_int_equal(o.k, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(o.concept[i], i);
        assert_float_equal(o.step[i], steps[i], 0);
    }
    assert_float_equal(o.rho, 0.9, 1e-12);
    assert_int_equal(o.pairs, 10);
    assert_int_equal(o.ordered, 9);
    concept_order_free(&o);
    // the reverse order: ρ = −1, no pair in order; rank 2 unlearned leaves a gap in the ranks
    const double rev[6] = { 60, 50, NAN, 30, 20, 10 };
    memcpy(st.size[1].learn_step, rev, sizeof rev);
    concept_order(&st, &o);
    assert_int_equal(o.k, 5);
    assert_int_equal(o.concept[2], 3);
    assert_float_equal(o.rho, -1, 1e-12);
    assert_int_equal(o.ordered, 0);
    concept_order_free(&o);
    // two learned: no rank correlation
    for (int c = 0; c < 6; c++) st.size[1].learn_step[c] = c < 2 ? 100.0 * c : NAN;
    concept_order(&st, &o);
    assert_int_equal(o.k, 2);
    assert_true(isnan(o.rho));
    assert_int_equal(o.ordered, 1);
    concept_order_free(&o);
    concept_study_free(&st);
}

static void test_exponent_of_exact_power_law(void **state) {
    (void)state;
    // 4 fresh-data sizes on L = 0.1 + 5·N^−0.5, and 3 fixed-D sizes at N = 4000 on L = 0.2 + 30·D^−0.3
    ConceptStudy st;
    study_make(&st, 8, 2, 2);
    const long N[4] = { 500, 1000, 4000, 16000 }, D[3] = { 1000, 10000, 100000 };
    for (int s = 0; s < 4; s++) {
        st.size[s].n_params = N[s];
        for (int m = 0; m < 2; m++) st.size[s].run_loss[m] = 0.1 + 5 * pow((double)N[s], -0.5);
    }
    for (int s = 4; s < 7; s++) {
        st.size[s].n_params = 4000;
        st.size[s].train_size = D[s - 4];
        for (int m = 0; m < 2; m++) st.size[s].run_loss[m] = 0.2 + 30 * pow((double)D[s - 4], -0.3);
    }
    st.size[7].n_params = 1000;   // fixed-D at a smaller model: not on the D axis
    st.size[7].train_size = 500;
    st.size[7].run_loss[0] = st.size[7].run_loss[1] = 9;
    assert_int_equal(concept_largest_fixed_d(&st), 4000);
    ConceptExponent e;
    assert_int_equal(concept_exponent(&st, AXIS_N, 0, 20, &e), 0);
    assert_int_equal(e.sizes, 4);
    assert_float_equal(e.alpha, 0.5, 1e-6);
    assert_float_equal(e.lo, 0.5, 1e-6);   // exact data: every resample gives the same α
    assert_float_equal(e.hi, 0.5, 1e-6);
    assert_int_equal(concept_exponent(&st, AXIS_D, 4000, 0, &e), 0);
    assert_int_equal(e.sizes, 3);
    assert_float_equal(e.alpha, 0.3, 1e-6);
    assert_true(isnan(e.lo) && isnan(e.hi));   // no resamples, no interval
    assert_int_equal(concept_exponent(&st, AXIS_D, 1000, 20, &e), 1);   // one size: not measured
    assert_int_equal(e.sizes, 1);
    assert_true(isnan(e.alpha));
    concept_study_free(&st);
}

static void test_probe_trend(void **state) {
    (void)state;
    // fresh-data runs at N = 100, 1000, 10000 (x = log10 N = 2, 3, 4), two each with y = 0.02·x ± 0.01:
    // slope 0.02; s² = 6·1e-4/4, Sxx = 4, half width t(0.975, 4)·√(s²/Sxx) = 2.7764451·0.0061237244
    ConceptStudy st;
    study_make(&st, 4, 4, 2);
    for (int s = 0; s < 3; s++) {
        st.size[s].n_params = (long)pow(10, s + 2);
        st.size[s].run_probe[0][PROBE_COS_FR] = 0.02 * (s + 2) + 0.01;
        st.size[s].run_probe[1][PROBE_COS_FR] = 0.02 * (s + 2) - 0.01;
    }
    st.size[3].n_params = 1000;   // fixed D: left out
    st.size[3].train_size = 100;
    st.size[3].run_probe[0][PROBE_COS_FR] = st.size[3].run_probe[1][PROBE_COS_FR] = 5;
    st.size[2].probe_mean[PROBE_COS_FR] = 0.1;
    assert_int_equal(concept_probed_sizes(&st), 1);
    SlopeFit f;
    assert_int_equal(concept_probe_trend(&st, PROBE_COS_FR, &f), 0);
    assert_int_equal(f.n, 6);
    assert_float_equal(f.slope, 0.02, 1e-12);
    double half = 2.7764451051977987 * 0.0061237243569579455;
    assert_float_equal(f.lo, 0.02 - half, 1e-9);
    assert_float_equal(f.hi, 0.02 + half, 1e-9);
    // runs without the probe are skipped; one size left: no trend, and how many runs it had
    st.size[0].run_probe[0][PROBE_COS_FR] = st.size[0].run_probe[1][PROBE_COS_FR] = NAN;
    st.size[1].run_probe[0][PROBE_COS_FR] = st.size[1].run_probe[1][PROBE_COS_FR] = NAN;
    assert_int_equal(concept_probe_trend(&st, PROBE_COS_FR, &f), -1);
    assert_int_equal(f.n, 2);
    assert_int_equal(concept_probe_trend(&st, PROBE_DLOSS_RARE, &f), -1);   // never probed
    assert_int_equal(f.n, 0);
    concept_study_free(&st);
}

// ---- the store reader, on a database written through the store API ----

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    if (temp_dir_make(dir, sizeof dir, "concepts") != 0) return -1;
    snprintf(path, sizeof path, "%s/runs.db", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

// A finished run of width w (n_params 10·w), learning rate lr and seed, in group `group`, on a
// 3-concept world of Zipf s = 1 (zipf_s as text), with evaluations at steps 0, 10, 20:
//   concept 0: loss 1, 0.05, 0.02   (under 0.1 from step 10)
//   concept 1: loss 1, 0.5, l1      (l1 < 0.1: learned at step 20)
//   concept 2: loss 1, 1, 0.9       (never; with seed 1 the final loss is NaN, NULL in the store)
// probe cos_fr: 7 at step 0 (not averaged), then 0.1 and 0.3 + seed/10; best_step 10 when best.
static long add_run(Store *s, long sweep, int pos, int w, const char *lr, int seed, const char *group, double l1,
                    const char *zipf_s, int best) {
    char hash[17], json[256], status[16];
    long id;
    snprintf(hash, sizeof hash, "%s-%d-%s-%d", group, w, lr, seed);
    snprintf(json, sizeof json, "{\"task.name\":\"sparse-parity\",\"model.width\":%d,\"optim.lr\":%s,\"seed.init\":%d,"
             "\"world.concepts\":3,\"world.zipf\":%s}", w, lr, seed, zipf_s);
    StoreRun r = { .hash = hash, .group_hash = group, .params_json = json, .task = "sparse-parity", .family = "mlp",
                   .hidden = "8", .optim = "adamw", .width = w, .depth = 1, .n_params = 10 * w, .batch = 8, .steps = 20,
                   .lr = atof(lr) };
    assert_int_equal(store_add_run(s, sweep, pos, &r, &id, status), 0);
    const double loss[3][3] = { { 1, 1, 1 }, { 0.05, 0.5, 1 }, { 0.02, l1, seed == 1 ? NAN : 0.9 } }, acc[3] = { 0.5, 0.6, 0.7 };
    const double probe[3] = { 7, 0.1, 0.3 + seed / 10.0 };
    for (int e = 0; e < 3; e++) {
        StoreConcepts c = { 3, loss[e], acc };
        StoreMetric m[2] = { { "probe", "cos_fr", probe[e] }, { "val", "loss", 1 } };
        assert_int_equal(store_add_eval(s, id, 10 * e, 0, 0, 0, m, 2, &c), 0);
    }
    StoreSummary sum = { "best_step", 10 };
    assert_int_equal(store_finish_run(s, id, "done", -1, 1, NULL, &sum, best), 0);
    return id;
}

static void make_db(void) {
    Store s;
    assert_int_equal(store_open(&s, path, 0), 0);
    long a, b;
    assert_int_equal(store_add_sweep(&s, "rates", "a.yaml", "a", &a), 0);
    assert_int_equal(store_add_sweep(&s, "other-world", "b.yaml", "b", &b), 0);
    add_run(&s, a, 0, 16, "0.01", 0, "g16a", 0.05, "1", 1);
    add_run(&s, a, 1, 8, "0.01", 0, "g8", 0.05, "1", 1);
    add_run(&s, a, 2, 8, "0.01", 1, "g8", 0.5, "1", 1);   // its concept 1 stays at 0.5: not learned
    add_run(&s, a, 3, 16, "0.001", 0, "g16b", 0.05, "1", 0);
    add_run(&s, b, 0, 8, "0.01", 0, "gz", 0.05, "2", 0);   // another Zipf exponent: another world
    store_close(&s);
}

static void test_reader(void **state) {
    (void)state;
    make_db();
    ConceptReader *r;
    assert_int_equal(concept_reader_open(path, &r), 0);
    ConceptRun *runs;
    int n;
    assert_int_equal(concept_reader_runs(r, "rates", NULL, 0, &runs, &n), 0);
    assert_int_equal(n, 4);   // by n_params, then group: g8 (ids 2, 3), g16a (1), g16b (4)
    const long ids[4] = { 2, 3, 1, 4 };
    const char *groups[4] = { "g8", "g8", "g16a", "g16b" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(runs[i].id, ids[i]);
        assert_string_equal(runs[i].group, groups[i]);
        assert_int_equal(runs[i].final_step, 20);   // the last evaluation
        assert_int_equal(runs[i].C, 3);
        assert_float_equal(runs[i].zipf, 1, 0);
        assert_string_equal(runs[i].task, "sparse-parity");
        assert_string_equal(runs[i].world, "world.concepts=3 world.zipf=1");
    }
    assert_int_equal(runs[0].n_params, 80);
    free(runs);
    assert_int_equal(concept_reader_runs(r, "rates", NULL, 1, &runs, &n), 0);   // at best: best_step where recorded
    assert_int_equal(runs[0].final_step, 10);
    assert_int_equal(runs[3].final_step, 20);   // id 4 recorded none
    free(runs);
    assert_int_equal(concept_reader_runs(r, NULL, NULL, 0, &runs, &n), 0);
    assert_int_equal(n, 5);
    free(runs);
    assert_int_equal(concept_reader_runs(r, "nosuch", NULL, 0, &runs, &n), 0);
    assert_int_equal(n, 0);
    free(runs);

    double loss[4], acc[4], first[4], probe[2];
    assert_int_equal(concept_reader_metrics_at(r, 3, 20, 4, loss, acc), 0);
    assert_float_equal(loss[0], 0.02, 0);
    assert_float_equal(loss[1], 0.5, 0);
    assert_true(isnan(loss[2]));   // stored NULL
    assert_float_equal(acc[2], 0.7, 0);
    assert_true(isnan(loss[3]) && isnan(acc[3]));   // no such concept
    assert_int_equal(concept_reader_first_under(r, 2, 0.1, 4, first), 0);
    assert_float_equal(first[0], 10, 0);
    assert_float_equal(first[1], 20, 0);
    assert_true(isnan(first[2]) && isnan(first[3]));
    const char *names[2] = { "cos_fr", "cos_ff" };
    assert_int_equal(concept_reader_probe_means(r, 3, names, 2, probe), 0);
    assert_float_equal(probe[0], (0.1 + 0.4) / 2, 1e-12);   // after step 0 only
    assert_true(isnan(probe[1]));

    const char keys[3][17] = { "g8", "g16a", "g16b" };
    char labels[3][128], mixed[128];
    assert_int_equal(concept_reader_group_labels(r, keys, 3, labels, mixed, sizeof mixed), 0);
    assert_string_equal(labels[0], "optim.lr = 0.01");
    assert_string_equal(labels[2], "optim.lr = 0.001");
    assert_string_equal(mixed, "optim.lr 0.001 vs 0.01");   // g16a and g16b share N and D
    const char unknown[1][17] = { "nosuch" };
    assert_int_equal(concept_reader_group_labels(r, unknown, 1, labels, mixed, sizeof mixed), -1);
    assert_non_null(strstr(jp_error(), "nosuch"));
    concept_reader_close(r);

    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.db", dir);
    assert_int_equal(concept_reader_open(missing, &r), -1);
    assert_null(r);
    assert_non_null(strstr(jp_error(), "none.db"));
}

static void test_study_load(void **state) {
    (void)state;
    make_db();
    ConceptStudy st;
    char want[256];
    assert_int_equal(concept_study_load(path, "rates", NULL, 0.1, 0, &st), 0);
    snprintf(want, sizeof want, "%s sweep rates", path);
    assert_string_equal(st.source, want);
    assert_string_equal(st.task, "sparse-parity");
    assert_int_equal(st.C, 3);
    assert_int_equal(st.regression, 0);
    assert_int_equal(st.manifold_dim, 0);
    double p[3];
    zipf_frequencies(1, 3, p);
    assert_float_equal(st.p[0], 6.0 / 11, 1e-12);   // ∝ 1/(c + 1)
    assert_float_equal(st.p[2], p[2], 0);
    assert_int_equal(st.n_sizes, 3);   // g8 (2 seeds), g16a and g16b: equal N, two rates
    assert_string_equal(st.mixed, "optim.lr 0.001 vs 0.01");
    assert_string_equal(st.size[0].label, "optim.lr = 0.01");
    assert_string_equal(st.size[2].label, "optim.lr = 0.001");
    const ConceptSize *z = &st.size[0];
    assert_int_equal(z->n_runs, 2);
    assert_int_equal(z->n_params, 80);
    assert_int_equal(z->width, 8);
    // seed 0 ends at losses (0.02, 0.05, 0.9): 2 learned, expected loss (6·0.02 + 3·0.05 + 2·0.9)/11;
    // seed 1 at (0.02, 0.5, NaN): 1 learned, expected loss NaN (left out of the mean)
    assert_float_equal(z->run_learned[0], 2, 0);
    assert_float_equal(z->run_learned[1], 1, 0);
    assert_float_equal(z->run_loss[0], 2.07 / 11, 1e-12);
    assert_true(isnan(z->run_loss[1]));
    assert_float_equal(z->learned_mean, 1.5, 1e-12);
    assert_float_equal(z->learned_sd, sqrt(0.5), 1e-12);
    assert_float_equal(z->loss_mean, 2.07 / 11, 1e-12);
    const double frac[3] = { 1, 0.5, 0 }, loss[3] = { 0.02, 0.275, 0.9 }, acc[3] = { 0.5, 0.6, 0.7 };
    for (int c = 0; c < 3; c++) {
        assert_float_equal(z->learned_frac[c], frac[c], 1e-12);
        assert_float_equal(z->loss[c], loss[c], 1e-12);
        assert_float_equal(z->acc[c], acc[c], 1e-12);
    }
    assert_float_equal(z->learn_step[0], 10, 0);   // median of 10 and 10
    assert_float_equal(z->learn_step[1], 20, 0);   // the one run that learned it
    assert_true(isnan(z->learn_step[2]));
    assert_float_equal(z->probe_mean[PROBE_COS_FR], 0.225, 1e-12);   // runs' means 0.2 and 0.25
    assert_float_equal(z->probe_sd[PROBE_COS_FR], 0.025 * sqrt(2), 1e-12);
    assert_true(isnan(z->probe_mean[PROBE_COS_FF]));
    concept_study_free(&st);

    // at each run's best step (10 where recorded): seed 0 of g8 is at (0.05, 0.5, 1): 1 learned
    assert_int_equal(concept_study_load(path, "rates", NULL, 0.1, 1, &st), 0);
    assert_float_equal(st.size[0].run_learned[0], 1, 0);
    assert_float_equal(st.size[2].run_learned[0], 2, 0);   // g16b recorded no best step: its last
    concept_study_free(&st);

    // refusals, with the texts report/concepts.c tells apart
    assert_int_equal(concept_study_load(path, NULL, NULL, 0.1, 0, &st), CONCEPT_STUDY_SEVERAL_WORLDS);
    assert_non_null(strstr(jp_error(), "runs of several toy worlds (sparse-parity world.concepts=3 world.zipf=1; "
                                "and sparse-parity world.concepts=3 world.zipf=2); choose one with --sweep"));
    assert_int_equal(concept_study_load(path, "nosuch", NULL, 0.1, 0, &st), -1);
    snprintf(want, sizeof want, "%s sweep nosuch: no finished runs with per-concept metrics (toy-world tasks) in this sweep", path);
    assert_string_equal(jp_error(), want);
    assert_int_equal(concept_study_load(path, "other-world", NULL, 0.1, 0, &st), 0);
    assert_float_equal(st.zipf, 2, 0);
    assert_int_equal(st.n_sizes, 1);
    assert_string_equal(st.mixed, "");
    assert_string_equal(st.size[0].label, "");   // one group: nothing to tell apart
    concept_study_free(&st);
}

int main(void) {
    gsl_set_error_handler_off();   // as jackpot's main(): the library reads GSL's status codes, never aborts
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learned_by_most),
        cmocka_unit_test(test_heat_map_cells),
        cmocka_unit_test(test_learning_order_and_spearman),
        cmocka_unit_test(test_exponent_of_exact_power_law),
        cmocka_unit_test(test_probe_trend),
        cmocka_unit_test_setup_teardown(test_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_study_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
