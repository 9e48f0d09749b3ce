// The report end to end: a toy-world sweep and a lottery-ticket run, `jackpot report`, every figure's
// data, script, SVG and PNG on disk, every section in index.html; then the page
// rendered in headless Chromium, which must load every image, and a screenshot.
// Without Chromium (it could not be installed) the browser half is skipped with a message,
// and tests/run fails: tests/expected-skips does not allow this skip.
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int sh(const char *cmd) {
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long file_size(const char *dir, const char *name, const char *ext) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static char dir[64], db[96];

static int setup(void **state) {
    (void)state;
    if (temp_dir_make(dir, sizeof dir, "report") != 0) return -1;
    char yaml[160], cmd[1024];
    snprintf(yaml, sizeof yaml, "%s/toy.yaml", dir);
    snprintf(db, sizeof db, "%s/runs.db", dir);
    FILE *f = fopen(yaml, "w");
    fputs("name: toy\ntask: {name: sparse-parity}\nworld: {concepts: 8, bits: 12, zipf: 1.3, eval_per_concept: 16}\n"
          "probe: {concepts: 2}\nmodel: {depth: 1}\noptim: {lr: 0.003}\nbudget: {batch: 128, steps: 1500, evals: 5}\n"
          "grid: {model.width: [4, 8, 16, 32]}\nseeds: {init: 3}\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s run %s --db %s --quiet > %s/run.log 2>&1", bin(), yaml, db, dir);
    if (sh(cmd) != 0) return -1;
    // and a small lottery-ticket experiment on Fashion-MNIST, for the ticket figures
    snprintf(yaml, sizeof yaml, "%s/tickets.yaml", dir);
    f = fopen(yaml, "w");
    fputs("name: tk\ntask: {train_size: 1000, val_size: 1000}\nmodel: {width: 16, depth: 1}\n"
          "budget: {batch: 50, steps: 40, evals: 2}\ntickets: {rounds: 2, reinit: true, random_mask: true}\n"
          "seeds: {init: 2}\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s tickets %s --db %s --quiet > %s/tickets.log 2>&1", bin(), yaml, db, dir);
    return sh(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

static const char *const FIGURES[] = {
    "loss_vs_N_sparse_parity", "residuals_N_sparse_parity", "frontier_sparse_parity",
    "curves_vs_steps_sparse_parity", "curves_vs_flops_sparse_parity", "seeds_strip_sparse_parity",
    "seeds_spread_sparse_parity", "best_of_k_sparse_parity", "concepts_heatmap", "concepts_learned",
    "concepts_order", "interference", "tickets", "tickets_steps", "tickets_curves",
};

// The ticket figure's legend names exactly the variants its data holds (none that was not run).
static void check_ticket_legend(const char *out) {
    char path[400];
    snprintf(path, sizeof path, "%s/tickets.csv", out);
    char *csv = slurp(path);
    snprintf(path, sizeof path, "%s/tickets.gp", out);
    char *gp = slurp(path);
    assert_non_null(csv);
    assert_non_null(gp);
    const char *line = strstr(gp, "variants = \"");
    assert_non_null(line);
    char variants[128];
    assert_int_equal(sscanf(line, "variants = \"%127[^\"]", variants), 1);
    const char *all[] = { "ticket", "reinit", "random_mask", "oneshot", "dense" };
    int named = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char row[32];
        snprintf(row, sizeof row, "\n%s,", all[i]);
        int in_data = strstr(csv, row) != NULL, in_legend = 0;
        for (char *w = variants; *w; w += strcspn(w, " "), w += strspn(w, " "))
            in_legend |= strncmp(w, all[i], strlen(all[i])) == 0 && (w[strlen(all[i])] == ' ' || !w[strlen(all[i])]);
        if (in_data != in_legend) fail_msg("variant %s: in the data %d, in the legend %d", all[i], in_data, in_legend);
        named += in_legend;
    }
    assert_true(named >= 2);   // the fixture runs tickets and a control
    // the title names what was pruned: the task and the architecture (hidden widths joined by '-')
    const char *title = strstr(gp, "Test accuracy against density (");
    assert_non_null(title);
    const char *arch = strstr(title, ", MLP ");
    assert_non_null(arch);
    size_t len = strcspn(arch + 2, ",\"'\n");   // "300-100", not "300,100": no comma before the title ends
    assert_true(arch[2 + len] != ',');
    free(csv);
    free(gp);
}

// No note on the page is a reader's raw error: none names the database file or a reader's words
// ("no finished runs with metric", "unreadable"); an absent figure says what data it needs.
static void assert_notes_say_what_is_needed(const char *html) {
    for (const char *p = html; (p = strstr(p, "<p class=\"note\">")); p++) {
        const char *end = strstr(p, "</p>");
        assert_non_null(end);
        char text[1200];
        snprintf(text, sizeof text, "%.*s", (int)(end - p), p);
        if (strstr(text, db) || strstr(text, "no finished runs with") || strstr(text, "unreadable") || strstr(text, "SQL"))
            fail_msg("a note shows an error string: %s", text);
    }
}

static void test_report_writes_every_figure(void **state) {
    (void)state;
    char cmd[1024], out[160];
    snprintf(out, sizeof out, "%s/report", dir);
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s --boot 50 > %s/report.log 2>&1", bin(), db, out, dir);
    assert_int_equal(sh(cmd), 0);
    for (size_t i = 0; i < sizeof FIGURES / sizeof FIGURES[0]; i++) {
        const char *exts[] = { "csv", "gp", "svg", "png" };
        for (int e = 0; e < 4; e++)
            if (file_size(out, FIGURES[i], exts[e]) <= 0) fail_msg("%s/%s.%s missing or empty", out, FIGURES[i], exts[e]);
    }
    char path[400];
    snprintf(path, sizeof path, "%s/index.html", out);
    char *html = slurp(path);
    assert_non_null(html);
    const char *sections[] = { "id=\"overview\"", "id=\"scaling-sparse_parity\"", "id=\"curves-sparse_parity\"",
                               "id=\"seeds-sparse_parity\"", "id=\"tickets\"", "id=\"concepts\"", "id=\"fits\"" };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (!strstr(html, sections[i])) fail_msg("index.html has no section %s", sections[i]);
    assert_notes_say_what_is_needed(html);
    // best of k: beyond the largest trained size the law is an extrapolation, drawn as its own line
    snprintf(path, sizeof path, "%s/best_of_k_sparse_parity.csv", out);
    char *bok = slurp(path);
    assert_non_null(bok);
    assert_non_null(strstr(bok, "\nlaw,"));
    assert_non_null(strstr(bok, "\nextrapolated,"));
    free(bok);
    // the frontier's exponent comes with its interval
    const char *gamma = strstr(html, "fitted with γ = ");
    assert_non_null(gamma);
    assert_non_null(strstr(gamma, "(95% bootstrap interval)"));
    // every image the page shows is a file in the folder, and every figure has a caption
    int images = 0;
    for (const char *p = html; (p = strstr(p, "<img src=\"")); p += 10) {
        char name[128];
        sscanf(p + 10, "%127[^\"]", name);
        snprintf(path, sizeof path, "%s/%s", out, name);
        struct stat st;
        if (stat(path, &st) != 0) fail_msg("index.html shows %s, which is not there", name);
        images++;
    }
    int captions = 0;
    for (const char *p = html; (p = strstr(p, "<figcaption>")); p++) captions++;
    assert_int_equal(captions, images);
    assert_true(images >= (int)(sizeof FIGURES / sizeof FIGURES[0]));
    assert_non_null(strstr(html, "L(N) = E + A·N^−α"));   // the fitted-parameters table
    check_ticket_legend(out);
    // the scripts redraw their figures by themselves
    snprintf(cmd, sizeof cmd, "cd %s && rm loss_vs_N_sparse_parity.svg && gnuplot loss_vs_N_sparse_parity.gp", out);
    assert_int_equal(sh(cmd), 0);
    assert_true(file_size(out, "loss_vs_N_sparse_parity", "svg") > 0);
    free(html);
    // the figures hold their data, not just axes: the heat map one filled square per cell (no
    // bitmap a browser would smooth when it scales the figure), the law its points
    snprintf(path, sizeof path, "%s/concepts_heatmap.csv", out);
    char *csv = slurp(path);
    assert_non_null(csv);
    int cells = -1;   // rows after the header
    for (const char *p = csv; (p = strchr(p, '\n')); p++) cells++;
    free(csv);
    snprintf(path, sizeof path, "%s/concepts_heatmap.svg", out);
    char *svg = slurp(path);
    assert_non_null(svg);
    assert_null(strstr(svg, "data:image/png"));
    int squares = 0;
    for (const char *p = svg; (p = strstr(p, "<polygon fill = 'rgb(")); p++) squares++;
    assert_true(cells > 0);
    assert_true(squares >= cells);
    free(svg);
    snprintf(path, sizeof path, "%s/loss_vs_N_sparse_parity.svg", out);
    svg = slurp(path);
    int markers = 0;   // gnuplot's SVG draws point type 7 (the runs) as uses of #gpPt6
    for (const char *p = svg; (p = strstr(p, "href='#gpPt6' transform")); p++) markers++;
    assert_true(markers >= 4 * 3);   // every run (4 widths × 3 seeds), and the legend's sample
    free(svg);
    // a database that is not one is refused with its name
    snprintf(cmd, sizeof cmd, "%s report --db %s/toy.yaml -o %s/bad > %s/bad.log 2>&1", bin(), dir, dir, dir);
    assert_int_equal(sh(cmd), 1);
    snprintf(path, sizeof path, "%s/bad.log", dir);
    char *log = slurp(path);
    assert_non_null(log);
    assert_non_null(strstr(log, "toy.yaml: file is not a database"));
    free(log);
}

static void test_report_renders_in_chromium(void **state) {
    (void)state;
    const char *chromium = access("/usr/bin/chromium", X_OK) == 0 ? "/usr/bin/chromium" : NULL;
    if (!chromium) {
        print_message("SKIPPED: Chromium is not installed (scripts/install-deps could not install it); "
                      "the report was not rendered in a browser\n");
        skip();
    }
    char cmd[2048], out[160], dom[160];
    snprintf(out, sizeof out, "%s/report", dir);
    if (file_size(out, "index", "html") <= 0) {
        snprintf(cmd, sizeof cmd, "%s report --db %s -o %s --boot 50 > /dev/null 2>&1", bin(), db, out);
        assert_int_equal(sh(cmd), 0);
    }
    const char *flags = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "
                        "--disable-background-networking --no-first-run";
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(cmd, sizeof cmd, "%s %s --user-data-dir=%s/chromium --virtual-time-budget=15000 --dump-dom file://%s/index.html "
             "> %s 2>/dev/null", chromium, flags, dir, out, dom);
    assert_int_equal(sh(cmd), 0);
    char *page = slurp(dom);
    assert_non_null(page);
    // The page's own script counts the images that loaded: data-images="loaded/total".
    const char *mark = strstr(page, "data-images=\"");
    if (!mark) fail_msg("the rendered page has no data-images mark (did its script run?)");
    int loaded = -1, total = -2;
    sscanf(mark, "data-images=\"%d/%d\"", &loaded, &total);
    print_message("Chromium loaded %d of %d images\n", loaded, total);
    assert_true(total >= (int)(sizeof FIGURES / sizeof FIGURES[0]));
    assert_int_equal(loaded, total);
    const char *sections[] = { "Overview", "Scaling laws: sparse-parity", "Learning curves: sparse-parity",
                               "Across seeds: sparse-parity", "Lottery tickets", "Concepts in toy worlds", "Fitted parameters" };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (!strstr(page, sections[i])) fail_msg("the rendered page has no section '%s'", sections[i]);
    free(page);
    snprintf(cmd, sizeof cmd, "%s %s --user-data-dir=%s/chromium --window-size=1280,3000 --screenshot=%s/screenshot.png "
             "file://%s/index.html > /dev/null 2>&1", chromium, flags, dir, out, out);
    assert_int_equal(sh(cmd), 0);
    assert_true(file_size(out, "screenshot", "png") > 50000);   // a blank page compresses to a few kB
}

// --sweep and --where reach every section: the overview lists only the chosen sweep, and the
// lottery tickets section only the chosen runs' tickets.
static void test_report_selection_reaches_overview_and_tickets(void **state) {
    (void)state;
    char cmd[1024], out[160], path[400];
    snprintf(out, sizeof out, "%s/only_toy", dir);
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s --boot 20 --sweep toy > /dev/null 2>&1", bin(), db, out);
    assert_int_equal(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/index.html", out);
    char *html = slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "<tr><td>toy</td>"));
    assert_null(strstr(html, "<tr><td>tk</td>"));
    assert_non_null(strstr(html, "no ticket experiments"));
    free(html);
    assert_true(file_size(out, "tickets", "csv") < 0);
    snprintf(out, sizeof out, "%s/only_tk", dir);
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s --boot 20 --where \"r.task = 'fashion-mnist'\" > /dev/null 2>&1", bin(), db, out);
    assert_int_equal(sh(cmd), 0);
    assert_true(file_size(out, "tickets", "png") > 0);
    snprintf(path, sizeof path, "%s/index.html", out);
    html = slurp(path);
    assert_non_null(strstr(html, "<tr><td>tk</td>"));
    assert_null(strstr(html, "<tr><td>toy</td>"));
    // the ticket runs alone have no sizes, curves or seeds to draw: each absent figure says what it needs
    assert_notes_say_what_is_needed(html);
    assert_non_null(strstr(html, "learning curves: not drawn: it needs runs with evaluations"));
    free(html);
}

// --group-by: a sweep of two learning rates × 3 widths × 3 training-set sizes (2 seeds) drawn as one
// series per rate in L(N), L(D), the learning curves and the spread across seeds; --where narrows it to one series;
// a field no run has is refused with exit 2, naming it.
static int csv_has_group(const char *out, const char *name, const char *value) {
    char path[400], needle[64];
    snprintf(path, sizeof path, "%s/%s.csv", out, name);
    char *csv = slurp(path);
    if (!csv) fail_msg("%s missing", path);
    snprintf(needle, sizeof needle, ",%s,", value);
    int found = strstr(csv, needle) != NULL;
    free(csv);
    return found;
}

static void test_report_group_by(void **state) {
    (void)state;
    char yaml[160], gdb[160], out[160], cmd[1400], path[400];
    snprintf(yaml, sizeof yaml, "%s/lrs.yaml", dir);
    snprintf(gdb, sizeof gdb, "%s/lrs.db", dir);
    FILE *f = fopen(yaml, "w");
    fputs("name: lrs\ntask: {name: sparse-parity}\nworld: {concepts: 8, bits: 12, zipf: 1.3, eval_per_concept: 16}\n"
          "model: {depth: 1}\nbudget: {batch: 64, steps: 200, evals: 4}\n"
          "grid: {optim.lr: [0.01, 0.001], model.width: [4, 8, 16], task.train_size: [256, 512, 1024]}\nseeds: {init: 2}\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s run %s --db %s --quiet > %s/lrs.log 2>&1", bin(), yaml, gdb, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(out, sizeof out, "%s/by_lr", dir);
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s --boot 20 --group-by optim.lr > %s/by_lr.log 2>&1", bin(), gdb, out, dir);
    assert_int_equal(sh(cmd), 0);
    const char *figs[] = { "loss_vs_N_sparse_parity", "curves_vs_steps_sparse_parity", "curves_vs_flops_sparse_parity",
                           "seeds_spread_sparse_parity", "loss_vs_D_sparse_parity", "residuals_N_sparse_parity" };
    for (int i = 0; i < 6; i++) {   // one figure holding both rates (not a figure per rate)
        assert_true(file_size(out, figs[i], "png") > 0);
        if (!csv_has_group(out, figs[i], "0.001") || !csv_has_group(out, figs[i], "0.01")) fail_msg("%s.csv lacks a rate", figs[i]);
    }
    assert_true(file_size(out, "loss_vs_N_sparse_parity_c1", "csv") < 0);   // the rates are not split into views
    snprintf(path, sizeof path, "%s/loss_vs_N_sparse_parity.csv", out);
    char *csv = slurp(path);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "kind,group,optim.lr,n_params,loss\n"));
    assert_true(strstr(csv, "run,1,0.001,") < strstr(csv, "run,2,0.01,"));   // numeric order: 0.001 first
    free(csv);
    snprintf(path, sizeof path, "%s/index.html", out);
    char *html = slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "optim.lr=0.001: α ="));   // the page names both, each with its own law
    assert_non_null(strstr(html, "optim.lr=0.01: α ="));
    assert_non_null(strstr(html, "<caption>optim.lr=0.001: Final test loss across seeds"));   // a table per rate
    assert_non_null(strstr(html, "<caption>optim.lr=0.01: Final test loss across seeds"));
    free(html);
    snprintf(path, sizeof path, "%s/by_lr.log", dir);   // and the command prints a law per rate
    char *log = slurp(path);
    assert_non_null(strstr(log, "L(N) on sparse-parity, optim.lr=0.001"));
    assert_non_null(strstr(log, "L(N) on sparse-parity, optim.lr=0.01"));
    free(log);

    // --where keeps one rate: one series
    snprintf(out, sizeof out, "%s/one_lr", dir);
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s --boot 20 --group-by optim.lr --where 'r.lr < 0.005' > /dev/null 2>&1",
             bin(), gdb, out);
    assert_int_equal(sh(cmd), 0);
    for (int i = 0; i < 6; i++) {
        assert_true(csv_has_group(out, figs[i], "0.001"));
        assert_false(csv_has_group(out, figs[i], "0.01"));
    }
    snprintf(path, sizeof path, "%s/index.html", out);
    html = slurp(path);
    assert_non_null(strstr(html, "selected by --sweep and --where"));
    free(html);

    // a field no run has: a usage error naming it
    char text[4096];
    snprintf(cmd, sizeof cmd, "report --db %s -o %s/bad_field --group-by optim.lrr", gdb, dir);
    assert_int_equal(run(cmd, text, sizeof text), 2);
    assert_non_null(strstr(text, "--group-by 'optim.lrr'"));
    assert_non_null(strstr(text, "optim.lr"));   // the fields it could have meant
    snprintf(cmd, sizeof cmd, "report --db %s -o %s/bad_field --group-by 'x;y'", gdb, dir);
    assert_int_equal(run(cmd, text, sizeof text), 2);
    assert_non_null(strstr(text, "not a field name"));
    // a column of runs works too
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s/by_col --boot 20 --group-by lr > /dev/null 2>&1", bin(), gdb, dir);
    assert_int_equal(sh(cmd), 0);
    snprintf(out, sizeof out, "%s/by_col", dir);
    assert_true(csv_has_group(out, "loss_vs_N_sparse_parity", "0.01"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_writes_every_figure),
        cmocka_unit_test(test_report_renders_in_chromium),
        cmocka_unit_test(test_report_group_by),
        cmocka_unit_test(test_report_selection_reaches_overview_and_tickets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
