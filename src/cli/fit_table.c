#include "cli/fit_table.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

typedef struct { sqlite3 *db; const char *json; } J;

static sqlite3_stmt *q(J *j, const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(st, 1, j->json, -1, SQLITE_STATIC);
    return st;
}

static double num(J *j, const char *path) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT json_extract(?1, '%s')", path);
    sqlite3_stmt *st = q(j, sql);
    double v = NAN;
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void text(J *j, const char *path, char *out, size_t n) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT json_extract(?1, '%s')", path);
    sqlite3_stmt *st = q(j, sql);
    out[0] = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, n, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static void interval(FILE *o, const char *name, double est, double lo, double hi) {
    fprintf(o, "  %-22s %12.5g", name, est);
    if (isfinite(lo)) fprintf(o, "   [%.5g, %.5g]\n", lo, hi);
    else fprintf(o, "\n");
}

static void estimates(J *j, FILE *o, const char *object) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT key, json_extract(value, '$.estimate'), json_extract(value, '$.lo'),"
                              " json_extract(value, '$.hi') FROM json_each(?1, '%s') WHERE type = 'object'", object);
    sqlite3_stmt *st = q(j, sql);
    while (st && sqlite3_step(st) == SQLITE_ROW)
        interval(o, (const char *)sqlite3_column_text(st, 0), sqlite3_column_double(st, 1),
                 sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2),
                 sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3));
    sqlite3_finalize(st);
}

// What the groups of runs behind the fit differ in besides the law's axes (cmd_fit's check_groups).
static void group_lines(J *j, FILE *o) {
    char line[1200];
    text(j, "$.groups_warning", line, sizeof line);
    if (line[0]) fprintf(o, "  WARNING: %s\n", line);
    text(j, "$.groups_covary", line, sizeof line);
    if (line[0]) fprintf(o, "  note: %.0f groups of runs; %s\n", num(j, "$.groups"), line);
}

void fit_table_print(const char *json, FILE *o) {
    J j = { NULL, json };
    sqlite3_open(":memory:", &j.db);
    char law[32], source[512];
    text(&j, "$.law", law, sizeof law);
    text(&j, "$.source", source, sizeof source);
    fprintf(o, "law %s on %.0f points from %s\n", law, num(&j, "$.points"), source);
    if (!strcmp(law, "isoflop")) {
        char kind[300];
        text(&j, "$.points_kind", kind, sizeof kind);
        fprintf(o, "  points: %s\n", kind);
        fprintf(o, "  %-12s %6s %6s %12s %12s %10s\n", "budget C", "points", "sizes", "N_opt", "D_opt", "L_opt");
        sqlite3_stmt *st = q(&j, "SELECT json_extract(value, '$.C'), json_extract(value, '$.points'), json_extract(value, '$.sizes'),"
                                 " json_extract(value, '$.ok'), json_extract(value, '$.N_opt'), json_extract(value, '$.D_opt'),"
                                 " json_extract(value, '$.L_opt'), json_extract(value, '$.reason') FROM json_each(?1, '$.budgets')");
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            fprintf(o, "  %-12.4g %6d %6d", sqlite3_column_double(st, 0), sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
            if (sqlite3_column_int(st, 3))
                fprintf(o, " %12.4g %12.4g %10.5g\n", sqlite3_column_double(st, 4), sqlite3_column_double(st, 5), sqlite3_column_double(st, 6));
            else
                fprintf(o, "  refused: %s\n", sqlite3_column_text(st, 7));
        }
        sqlite3_finalize(st);
        interval(o, "N_opt ∝ C^a: a", num(&j, "$.N_opt_exponent.estimate"), num(&j, "$.N_opt_exponent.lo"), num(&j, "$.N_opt_exponent.hi"));
        interval(o, "D_opt ∝ C^b: b", num(&j, "$.D_opt_exponent.estimate"), num(&j, "$.D_opt_exponent.lo"), num(&j, "$.D_opt_exponent.hi"));
        group_lines(&j, o);
        sqlite3_close(j.db);
        return;
    }
    fprintf(o, "  Huber δ = %g on log loss; %.0f starts (%.0f converged); %.0f bootstrap resamples over %.0f clusters\n",
            num(&j, "$.delta"), num(&j, "$.starts"), num(&j, "$.converged"), num(&j, "$.bootstrap"), num(&j, "$.clusters"));
    fprintf(o, "  %-22s %12s   %s\n", "parameter", "estimate", "95% interval");
    estimates(&j, o, "$.parameters");
    double rms = 0, worst = 0, n = 0;
    sqlite3_stmt *st = q(&j, "SELECT value FROM json_each(?1, '$.residuals')");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        double r = sqlite3_column_double(st, 0);
        rms += r * r; n++;
        if (fabs(r) > worst) worst = fabs(r);
    }
    sqlite3_finalize(st);
    fprintf(o, "  R² (log space) %.4f; log residuals: rms %.4f, max |r| %.4f\n", num(&j, "$.r2_log"), sqrt(rms / n), worst);
    if (isfinite(num(&j, "$.heldout.x")))
        fprintf(o, "  held out: the largest x = %.4g (%.0f points) refitted without: observed %.5g, predicted %.5g [%.5g, %.5g], error %+.2f%%\n",
                num(&j, "$.heldout.x"), num(&j, "$.heldout.points"), num(&j, "$.heldout.observed"), num(&j, "$.heldout.predicted"),
                num(&j, "$.heldout.lo"), num(&j, "$.heldout.hi"), 100 * num(&j, "$.heldout.relative_error"));
    else {
        char why[512];
        text(&j, "$.heldout_refused", why, sizeof why);
        if (why[0]) fprintf(o, "  held out: not possible: %s\n", why);
    }
    if (isfinite(num(&j, "$.prediction.loss")))
    {
        char at[64];
        double x1 = num(&j, "$.prediction.x[1]");
        if (isfinite(x1)) snprintf(at, sizeof at, "(%.4g, %.4g)", num(&j, "$.prediction.x[0]"), x1);
        else snprintf(at, sizeof at, "%.4g", num(&j, "$.prediction.x[0]"));
        fprintf(o, "  predicted loss at %s: %.5g [%.5g, %.5g]\n", at, num(&j, "$.prediction.loss"),
                num(&j, "$.prediction.lo"), num(&j, "$.prediction.hi"));
    }
    char warning[512];
    text(&j, "$.warning", warning, sizeof warning);
    if (warning[0]) fprintf(o, "  warning: %s\n", warning);
    text(&j, "$.clusters_warning", warning, sizeof warning);
    if (warning[0]) fprintf(o, "  warning: %s\n", warning);
    group_lines(&j, o);
    if (num(&j, "$.alpha_beta_distinguishable") == 0)
        fprintf(o, "  warning: the 95%% intervals of alpha and beta overlap: the data cannot tell them apart\n");
    if (isfinite(num(&j, "$.best_for_budget.budget"))) {
        fprintf(o, "budget %.4g: the lowest loss\n", num(&j, "$.best_for_budget.budget"));
        interval(o, "N", num(&j, "$.best_for_budget.N.estimate"), num(&j, "$.best_for_budget.N.lo"), num(&j, "$.best_for_budget.N.hi"));
        interval(o, "D", num(&j, "$.best_for_budget.D.estimate"), num(&j, "$.best_for_budget.D.lo"), num(&j, "$.best_for_budget.D.hi"));
        interval(o, "loss", num(&j, "$.best_for_budget.loss.estimate"), num(&j, "$.best_for_budget.loss.lo"), num(&j, "$.best_for_budget.loss.hi"));
        fprintf(o, "  %12s %12s %12s %10s\n", "budget", "N", "D", "loss");
        st = q(&j, "SELECT json_extract(value, '$.budget'), json_extract(value, '$.N'), json_extract(value, '$.D'),"
                   " json_extract(value, '$.loss') FROM json_each(?1, '$.best_for_budget.curve')");
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            if (sqlite3_column_type(st, 1) == SQLITE_NULL) fprintf(o, "  %12.4g  (infeasible)\n", sqlite3_column_double(st, 0));
            else fprintf(o, "  %12.4g %12.4g %12.4g %10.5g\n", sqlite3_column_double(st, 0), sqlite3_column_double(st, 1),
                         sqlite3_column_double(st, 2), sqlite3_column_double(st, 3));
        }
        sqlite3_finalize(st);
    }
    if (isfinite(num(&j, "$.cheapest_for_target.target_loss"))) {
        fprintf(o, "target loss %.5g: the cheapest way%s\n", num(&j, "$.cheapest_for_target.target_loss"),
                num(&j, "$.cheapest_for_target.reachable") ? "" : ": UNREACHABLE (below the fitted irreducible loss E)");
        interval(o, "N", num(&j, "$.cheapest_for_target.N.estimate"), num(&j, "$.cheapest_for_target.N.lo"), num(&j, "$.cheapest_for_target.N.hi"));
        interval(o, "D", num(&j, "$.cheapest_for_target.D.estimate"), num(&j, "$.cheapest_for_target.D.lo"), num(&j, "$.cheapest_for_target.D.hi"));
        interval(o, "cost", num(&j, "$.cheapest_for_target.cost.estimate"), num(&j, "$.cheapest_for_target.cost.lo"), num(&j, "$.cheapest_for_target.cost.hi"));
    }
    sqlite3_close(j.db);
}
