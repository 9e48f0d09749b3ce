// jackpot compare's arithmetic (fit/compare.h): on two arms drawn from power laws whose
// compute-equivalent multiplier is planted, the recovered k(C), its trend and the budget where it
// crosses 1 agree with the planted values within their intervals.
#include "testutil.h"

#include "base/rng.h"
#include "fit/compare.h"

// Points of L = E + A·C^−γ at 13 budgets from 1e8 to 1e12 with 3 seeds each, multiplicative noise
// of 0.5%; each budget a cluster (its seeds resample together).
static void arm_points(Points *p, double E, double A, double g, uint64_t seed) {
    points_alloc(p, 39);
    for (int i = 0, k = 0; i < 13; i++)
        for (int s = 0; s < 3; s++, k++) {
            double C = 1e8 * pow(10, i / 3.0);
            p->x[AXIS_C][k] = C;
            p->loss[k] = (E + A * pow(C, -g)) * (1 + 0.005 * rng_normal(seed, 0, (uint64_t)k));
            p->cluster[k] = i;
        }
    p->n = 39;
    p->n_clusters = 13;
}

static const CompareOptions OPT = { .kind = COMPARE_POWER, .axis = AXIS_C, .n_boot = 300, .seed = 7, .delta = 1e-3, .cost_b = 1 };

// B reaches at C what A reaches at 2C, everywhere: k = 2 at every budget, no trend, no crossing.
static void test_constant_multiplier(void **state) {
    (void)state;
    Points a, b;
    arm_points(&a, 0.5, 1000, 0.3, 1);
    arm_points(&b, 0.5, 1000 * pow(2, -0.3), 0.3, 2);
    Comparison r;
    assert_int_equal(compare_arms(&OPT, &a, &b, &r), 0);
    assert_float_equal(r.x_lo, 1e8, 1);
    assert_float_equal(r.x_hi, 1e12, 1e4);
    for (int i = 0; i < r.n; i += 8) {
        print_message("C = %.3g: k = %.3f [%.3f, %.3f]\n", r.x[i], r.k[i].v, r.k[i].lo, r.k[i].hi);
        assert_true(r.k[i].lo <= 2 && 2 <= r.k[i].hi);
        assert_true(fabs(r.k[i].v - 2) < 0.5);
        assert_true(isnan(r.k_net[i].v));   // no cost given
    }
    print_message("trend %.4f [%.4f, %.4f]: %s\n", r.trend.v, r.trend.lo, r.trend.hi, r.trend_verdict);
    assert_true(r.trend.lo <= 0 && 0 <= r.trend.hi);
    assert_string_equal(r.trend_verdict, "constant within the interval");
    assert_false(r.crosses);
    compare_free(&r);
    // B's step costs 1.3×: the net multiplier at equal spend is 2 / 1.3^γ·… exactly x_A(L_B(C/1.3))/C
    CompareOptions o = OPT;
    o.cost_b = 1.3;
    assert_int_equal(compare_arms(&o, &a, &b, &r), 0);
    for (int i = 0; i < r.n; i += 8) {
        double want = 2 / 1.3;   // a power law with a common E: L_B(C/1.3) = L_A(2C/1.3)
        assert_true(fabs(r.k_net[i].v - want) < 0.4);
        assert_true(r.k_net[i].lo <= want && want <= r.k_net[i].hi);
        assert_true(r.k_net[i].v < r.k[i].v);
    }
    compare_free(&r);
    points_free(&a);
    points_free(&b);
}

// k falls from 4 at 1e8 to 1 at 1e12: B has the smaller exponent. With a common E,
// k(C) = (A_A/A_B)^(1/γ_A)·C^(γ_B/γ_A − 1). Over 20 seeded draws the 95% intervals of k at both
// ends, of the trend and of the crossing cover the planted values in at least 80% of draws (a
// percentile bootstrap over 13 clusters covers a little less than 95%: measured 85–100% over 20 draws).
static void test_vanishing_multiplier(void **state) {
    (void)state;
    double gA = 0.3, slope = log(0.25) / log(1e4), gB = gA * (1 + slope);
    double AA = 1000, AB = AA * pow(pow(1e12, slope), gA);   // k(1e12) = 1
    enum { DRAWS = 20 };
    int cover[4] = { 0 }, shrinks = 0;
    for (int d = 0; d < DRAWS; d++) {
        Points a, b;
        arm_points(&a, 0.5, AA, gA, 100 + 2 * d);
        arm_points(&b, 0.5, AB, gB, 101 + 2 * d);
        Comparison r;
        assert_int_equal(compare_arms(&OPT, &a, &b, &r), 0);
        cover[0] += r.k[0].lo <= 4 && 4 <= r.k[0].hi;
        cover[1] += r.k[r.n - 1].lo <= 1 && 1 <= r.k[r.n - 1].hi;
        cover[2] += r.trend.lo <= slope && slope <= r.trend.hi;
        cover[3] += r.cross.lo <= 1e12 && 1e12 <= r.cross.hi;
        shrinks += !strcmp(r.trend_verdict, "shrinks with x");
        if (d == 0)
            print_message("k(1e8) = %.3f [%.3f, %.3f]; k(1e12) = %.3f [%.3f, %.3f]; trend %.4f [%.4f, %.4f] (planted %.4f); "
                          "crossing %.4g [%.4g, %.4g]\n", r.k[0].v, r.k[0].lo, r.k[0].hi, r.k[r.n - 1].v, r.k[r.n - 1].lo,
                          r.k[r.n - 1].hi, r.trend.v, r.trend.lo, r.trend.hi, slope, r.cross.v, r.cross.lo, r.cross.hi);
        points_free(&a);
        points_free(&b);
        compare_free(&r);
    }
    print_message("coverage in %d draws: k(1e8) %d, k(1e12) %d, trend %d, crossing %d; 'shrinks' %d\n", DRAWS, cover[0], cover[1],
                  cover[2], cover[3], shrinks);
    for (int q = 0; q < 4; q++) assert_true(cover[q] >= DRAWS * 8 / 10);
    assert_int_equal(shrinks, DRAWS);
}

// The closed forms: x_for inverts loss_at for both kinds; a loss below the floor is never reached.
static void test_inverse(void **state) {
    (void)state;
    const double tp[3] = { log(0.5), log(40), 0.3 }, tc[5] = { log(1.7), log(400), log(410), 0.34, 0.28 };
    CompareOptions p = OPT, c = OPT;
    c.kind = COMPARE_CHINCHILLA;
    for (double x = 1e6; x < 1e22; x *= 37) {
        assert_float_equal(compare_x_for(&p, tp, compare_loss_at(&p, tp, x)), x, 1e-9 * x);
        assert_float_equal(compare_x_for(&c, tc, compare_loss_at(&c, tc, x)), x, 1e-9 * x);
    }
    assert_true(isinf(compare_x_for(&p, tp, 0.49)));
    assert_true(isinf(compare_x_for(&c, tc, 1.69)));
    // Chinchilla's frontier is the minimum over N at C = 6ND: no split does better
    double C = 1e18, best = compare_loss_at(&c, tc, C);
    for (double N = 1e6; N < 1e12; N *= 1.1) {
        double D = C / (6 * N), L = exp(tc[0]) + exp(tc[1]) * pow(N, -tc[3]) + exp(tc[2]) * pow(D, -tc[4]);
        assert_true(L >= best * (1 - 1e-12));
    }
}

// Arms on budgets that do not overlap: refused, naming why.
static void test_disjoint_ranges(void **state) {
    (void)state;
    Points a, b;
    arm_points(&a, 0.5, 40, 0.3, 1);
    arm_points(&b, 0.5, 40, 0.3, 2);
    for (int i = 0; i < b.n; i++) b.x[AXIS_C][i] *= 1e6;
    Comparison r;
    assert_int_equal(compare_arms(&OPT, &a, &b, &r), -1);
    points_free(&a);
    points_free(&b);
}

// jackpot compare end to end on a tiny sweep (two optimisers × three widths): the table, the
// JSON, the rows in compares and compare_curve, export, the report's figures; and bad inputs.
static void test_cli(void **state) {
    (void)state;
    char dir[128], path[256], args[1024];
    static char out[1 << 16];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "compare"), 0);
    snprintf(path, sizeof path, "%s/arms.yaml", dir);
    write_text(path, "name: arms\ntask: {name: fashion-mnist, val_size: 1000, train_size: 2000}\nmodel: {depth: 1}\n"
          "optim: {wd: 0, momentum: 0.9}\nbudget: {batch: 64, epochs: 2, evals: 8}\n"
          "grid:\n  model.width: [8, 16, 32]\nzip:\n  optim.name: [sgd, adamw]\n  optim.lr: [0.05, 0.003]\n");
    snprintf(args, sizeof args, "run %s --db %s/c.db --quiet", path, dir);
    if (run(args, out, sizeof out) != 0) fail_msg("jackpot %s:\n%s", args, out);
    snprintf(args, sizeof args, "compare --db %s/c.db --arm sgd=\"r.optim = 'sgd'\" --arm adamw=\"r.optim = 'adamw'\" --boot 200 --cost adamw=1.3", dir);
    if (run(args, out, sizeof out) != 0) fail_msg("jackpot %s:\n%s", args, out);
    const char *want[] = { "arm A 'sgd'", "arm B 'adamw'", "multiplier of adamw over sgd", "net k (B's unit costs 1.3×)", "trend: d log k / d log x",
                           "recorded as compare 1" };
    for (int i = 0; i < 6; i++) if (!strstr(out, want[i])) fail_msg("no '%s' in:\n%s", want[i], out);
    snprintf(args, sizeof args, "compare --db %s/c.db --arm sgd=\"r.optim = 'sgd'\" --arm adamw=\"r.optim = 'adamw'\" --boot 50 --json --no-save", dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_int_equal(json_length_at(out, "$.grid"), COMPARE_GRID);
    assert_true(json_number_at(out, "$.grid[0].k[0]") > 0);
    assert_true(json_type_is(out, "$.trend_verdict", "text"));
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/c.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM compares"), 1);   // --no-save kept the second out
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM compare_curve WHERE compare_id = 1"), COMPARE_GRID);
    assert_float_equal(sql_value(db, "SELECT cost_b FROM compares"), 1.3, 1e-12);
    sqlite3_close(db);
    snprintf(args, sizeof args, "export --db %s/c.db --what compare_curve", dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "compare_id,x,loss_a,loss_b,k,k_lo,k_hi,k_net,k_net_lo,k_net_hi"));
    snprintf(args, sizeof args, "report --db %s/c.db -o %s/report --boot 20", dir, dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    snprintf(path, sizeof path, "%s/report/compare_1_k.csv", dir);
    char *csv = slurp(path);
    assert_non_null(csv);
    free(csv);
    snprintf(path, sizeof path, "%s/report/index.html", dir);
    char *html = slurp(path);
    assert_non_null(strstr(html, "What adamw is worth over sgd"));
    free(html);
    // bad inputs: each refused, naming what is wrong
    const char *bad[][2] = {
        { "--arm a=\"r.optim = 'sgd'\"", "give two arms" },
        { "--arm a=\"r.optim = 'sgd'\" --arm b=\"r.optim = 'adamw'\" --arm c=\"1\"", "exactly two arms" },
        { "--arm a=\"r.optim = 'sgd'\" --arm a=\"r.optim = 'adamw'\"", "the two arms have one name" },
        { "--arm a=\"r.optim = 'sgd'\" --arm b=\"r.optim = 'adamw'\" --cost z=2", "--cost: 'z' is not an arm" },
        { "--arm a=\"r.optim = 'sgd'\" --arm b=\"r.optim = 'adamw'\" --metric final_test_loss", "expected eval:SPLIT_NAME" },
        { "--arm a=\"r.optim = 'sgd'\" --arm b=\"r.optim = 'adam'\"", "arm 'b': " },
        { "--arm a \"r.optim = 'sgd'\"", "expected NAME=WHERE" },
        { "--arm a=\"r.optim = 'sgd'\" --arm b=\"r.optim = 'adamw'\" --law kaplan", "--law: expected one of frontier, power, chinchilla" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(args, sizeof args, "compare --db %s/c.db %s --boot 10 --no-save", dir, bad[i][0]);
        int rc = run(args, out, sizeof out);
        if (rc == 0 || !strstr(out, bad[i][1])) fail_msg("jackpot %s: exit %d, expected '%s' in:\n%s", args, rc, bad[i][1], out);
    }
    assert_int_equal(temp_dir_remove(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_multiplier),
        cmocka_unit_test(test_vanishing_multiplier),
        cmocka_unit_test(test_inverse),
        cmocka_unit_test(test_disjoint_ranges),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
