#include "report/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "report/sections.h"
#include "store/groups.h"
#include "store/read_report.h"

void task_section(const TaskView *v, const char *kind, const char *heading, const char *intro) {
    char id[96], text[160];
    snprintf(id, sizeof id, "%s-%s", kind, v->tag);
    snprintf(text, sizeof text, "%s: %s", heading, v->task);
    report_section(v->r, id, text, intro);
}

void group_value_csv(FILE *c, const TaskView *v, int g) {
    const char *value = v->group_label[g] + strlen(v->group_by) + 1;
    if (!strpbrk(value, ",\"\n")) { fputs(value, c); return; }
    fputc('"', c);
    for (const char *p = value; *p; p++) fprintf(c, *p == '"' ? "\"\"" : "%c", *p);
    fputc('"', c);
}

static void overview(Report *r, ReportDb *db) {
    report_section(r, "overview", "Overview", "What the database holds: sweeps, runs by status, and tasks.");
    fprintf(r->html, "</div><table><tr><th>sweep</th><th>created</th><th>runs</th><th>done</th><th>failed</th><th>diverged</th></tr>\n");
    ReportSweeps s;
    if (report_db_sweeps(db, &s) == 0) {
        for (int i = 0; i < s.n; i++) {
            const ReportSweep *w = &s.sweep[i];
            fprintf(r->html, "<tr><td>");
            html_escaped(r->html, w->name);
            fprintf(r->html, "</td><td>");
            html_escaped(r->html, w->created);
            fprintf(r->html, "</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>\n", w->runs, w->done, w->failed, w->diverged);
        }
        report_sweeps_free(&s);
    }
    fprintf(r->html, "</table><div>\n");
    report_section_end(r);
}

// The groups that stand for each distinct setting of the fields conf, in ascending order of
// the settings: first[i] is a group of the i-th setting. Returns how many settings.
static int distinct_settings(const GroupDiff *d, const int *conf, int n_conf, int *first) {
    char (*seen)[160] = xmalloc(sizeof *seen * d->n_groups), label[160];
    int n_seen = 0, order[d->n_groups];
    group_diff_order(d, conf, n_conf, order);
    for (int o = 0; o < d->n_groups; o++) {
        group_diff_label(d, order[o], conf, n_conf, label, sizeof label);
        int s = 0;
        while (s < n_seen && strcmp(seen[s], label)) s++;
        if (s < n_seen) continue;
        memcpy(seen[n_seen], label, sizeof label);
        first[n_seen++] = order[o];
    }
    free(seen);
    return n_seen;
}

// One IsoFLOP profile set over all of the task's runs.
static void whole_task_iso(TaskView *v, const TaskView *base) {
    v->n_iso = 1;
    v->iso_where[0] = xstrdup(base->where_task);
    snprintf(v->iso_label[0], sizeof v->iso_label[0], "%s", base->task);
}

// One view per setting of the confounded fields conf (at most room), each its own condition,
// headed by the setting; a note says what differs. Returns the views written to out.
static int confounded_views(Report *r, const GroupDiff *d, const int *conf, int n_conf, const TaskView *base,
                            TaskView *out, int room) {
    char what[1024], label[160];
    group_diff_describe(d, conf, n_conf, what, sizeof what);
    int first[d->n_groups], n_seen = distinct_settings(d, conf, n_conf, first), n = 0;   // one view per setting
    for (int i = 0; i < n_seen && n < room; i++) {
        int g = first[i];
        group_diff_label(d, g, conf, n_conf, label, sizeof label);
        TaskView *v = &out[n++];
        *v = *base;
        v->n_iso = 0;
        v->where_task = report_cond_group(base->where_task, d, g, conf, n_conf);
        snprintf(v->task, sizeof v->task, "%.40s, %.50s", base->task, label);
        size_t k = strlen(v->tag);
        snprintf(v->tag + k, sizeof v->tag - k, "_c%d", n);
    }
    report_note(r, "%s: its groups of runs differ in %s at equal model and data sizes: each setting is drawn on its own "
                "below, never pooled as seeds%s.", base->task, what,
                n_seen > n ? " (only the first ones: choose others with jackpot report --where)" : "");
    return n;
}

// IsoFLOP profiles span budgets: v's sets, one per setting of what differs at equal N and budget.
static void iso_views(const GroupDiff *d, const TaskView *base, TaskView *v) {
    int conf[d->n_fields + 1], cov[d->n_fields + 1], n_conf, n_cov;
    group_diff_split(d, GROUP_AXIS_N | GROUP_AXIS_BUDGET, conf, &n_conf, cov, &n_cov);
    if (!n_conf) { whole_task_iso(v, base); return; }
    char label[160];
    int first[d->n_groups], n_seen = distinct_settings(d, conf, n_conf, first);
    for (int i = 0; i < n_seen && v->n_iso < 4; i++) {
        int g = first[i];
        group_diff_label(d, g, conf, n_conf, label, sizeof label);
        v->iso_where[v->n_iso] = report_cond_group(base->where_task, d, g, conf, n_conf);
        snprintf(v->iso_label[v->n_iso++], sizeof label, "%.60s, %.90s", base->task, label);
    }
}

// Repeated data spans budgets (epochs over one training set): the whole task, in its first view,
// when its groups differ in nothing but N, D and the budget (else each view draws its own).
static void repeat_view(const GroupDiff *d, const TaskView *base, TaskView *v) {
    int conf[d->n_fields + 1], cov[d->n_fields + 1], n_conf, n_cov;
    group_diff_split(d, GROUP_AXIS_N | GROUP_AXIS_D | GROUP_AXIS_BUDGET, conf, &n_conf, cov, &n_cov);
    if (n_conf) return;
    v->repeat_where = xstrdup(base->where_task);
    snprintf(v->repeat_task, sizeof v->repeat_task, "%s", base->task);
}

// The views of one task (and world): one, or one per setting when its groups differ in more
// than N and D at equal N and D (two learning rates: never pooled as seeds of one size), each
// headed by what sets it apart; and the IsoFLOP split (N and the budget vary there) in the first.
// Returns the views written to out (at least 1, at most room); each owns its conditions.
static int split_views(Report *r, ReportDb *db, const TaskView *base, TaskView *out, int room) {
    out[0] = *base;
    out[0].n_iso = 0;
    GroupDiff d;
    if (report_db_groups(db, base->where_task, &d) != 0) {
        report_note(r, "%s: the runs' settings could not be read; the task is drawn as one view.", base->task);
        out[0].where_task = xstrdup(base->where_task);
        whole_task_iso(&out[0], base);
        return 1;
    }
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov, n = 1;
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_D, conf, &n_conf, cov, &n_cov);
    if (base->group_by) {   // the --group-by field (or its column: lr for optim.lr) is series within the view, not split off
        int k = 0;
        for (int i = 0; i < n_conf; i++) {
            const char *field = d.field[conf[i]], *dot = strrchr(field, '.');
            if (strcmp(field, base->group_by) && !(dot && !strcmp(dot + 1, base->group_by))) conf[k++] = conf[i];
        }
        n_conf = k;
    }
    if (n_cov) {
        char what[1024];
        group_diff_describe(&d, cov, n_cov, what, sizeof what);
        report_note(r, "%s: %s change with the model or data size (set per size); the laws absorb them.", base->task, what);
    }
    if (n_conf) n = confounded_views(r, &d, conf, n_conf, base, out, room);
    else out[0].where_task = xstrdup(base->where_task);
    iso_views(&d, base, &out[0]);
    repeat_view(&d, base, &out[0]);
    group_diff_free(&d);
    return n;
}

static void view_free(TaskView *v) {
    free(v->where_task);
    free(v->repeat_where);
    free(v->where_d);
    for (int g = 0; g < v->n_groups; g++) free(v->group_where[g]);
    for (int i = 0; i < v->n_iso; i++) free(v->iso_where[i]);
}

// The view of world w before it is split: its task and tag ("_w2" for a task's second world).
static void world_view(TaskView *base, const ReportWorld *w, int same) {
    const char *task = w->task;
    size_t k = 0;
    for (const char *p = task; *p && k + 6 < sizeof base->tag; p++) base->tag[k++] = isalnum((unsigned char)*p) ? *p : '_';
    base->tag[k] = 0;
    if (same) {
        snprintf(base->tag + k, sizeof base->tag - k, "_w%d", same + 1);
        snprintf(base->task, sizeof base->task, "%.40s, world %d", task, same + 1);
        report_note(base->r, "%s is %s (%.300s).", base->task, task, w->world);
    } else {
        snprintf(base->task, sizeof base->task, "%.40s", task);
    }
    base->where_task = w->cond;   // borrowed: split_views gives each view its own copy
}

// --group-by: the view's values of the field, each its own series (the first MAX_GROUPS).
static void view_groups(Report *r, TaskView *v) {
    ReportGroupValues G;
    if (report_db_group_values(v->db, v->where_task, &G) != 0) {
        report_note(r, "%s: the values of --group-by could not be read; the view is drawn ungrouped.", v->task);
        return;
    }
    for (int g = 0; g < G.n && g < MAX_GROUPS; g++) {
        v->group_where[v->n_groups] = xstrdup(G.cond[g]);
        char *label = v->group_label[v->n_groups++];
        snprintf(label, sizeof v->group_label[0], "%s=%.100s", v->group_by, G.value[g]);
        for (char *p = label; *p; p++) if (*p == '\'' || *p == '\\') *p = '_';   // quoted in gnuplot titles
    }
    if (G.n > MAX_GROUPS)
        report_note(r, "%s: %s has %d values; the figures show the first %d (choose others with --where).", v->task,
                    v->group_by, G.n, MAX_GROUPS);
    report_group_values_free(&G);
}

enum { MAX_VIEWS = 12 };

// Scaling, learning curves and seeds, for each task and toy world (the one with the most runs first):
// runs of different worlds never share a law, a curve or a seed group. Within one, groups of runs
// that differ in more than N and D (two learning rates) are views of their own (split_views).
// Returns the views written to views[MAX_VIEWS], or −1 (the --where refused).
static int task_views(Report *r, ReportDb *db, const ReportOptions *o, TaskView *views) {
    ReportWorlds W;
    if (report_db_worlds(db, o->sweep, o->where, &W) != 0) return -1;
    char names[MAX_VIEWS][32];   // each world's task name
    int n_tasks = 0, n_worlds = 0;
    for (int i = 0; i < W.n && n_tasks < MAX_VIEWS; i++) {
        TaskView base = { .r = r, .db = db, .db_path = o->db, .n_boot = o->n_boot, .unit = o->unit,
                          .metric = o->metric ? o->metric : "final_test_loss", .group_by = o->group_by };
        snprintf(names[n_worlds], sizeof names[0], "%.31s", W.world[i].task);
        int same = 0;   // earlier worlds of the same task: this is its world number same + 1
        for (int t = 0; t < n_worlds; t++) same += !strcmp(names[t], names[n_worlds]);
        world_view(&base, &W.world[i], same);
        n_tasks += split_views(r, db, &base, views + n_tasks, MAX_VIEWS - n_tasks);
        n_worlds++;
    }
    report_worlds_free(&W);
    for (int t = 0; t < n_tasks; t++) {   // the training-set size with the most model sizes
        TaskView *v = &views[t];
        report_db_most_sizes_at_d(db, v->where_task, &v->d_star, &v->n_sizes_at_d);
        v->where_d = report_cond_train_size(v->where_task, v->d_star);
        if (o->group_by) view_groups(r, v);
    }
    return n_tasks;
}

static void task_sections(Report *r, TaskView *views, int n_tasks, const char *db_path) {
    fprintf(r->html, "<div id=\"scaling\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_scaling(&views[t]);
    for (int t = 0; t < n_tasks; t++) section_repeat(&views[t]);   // silent unless some U was repeated at several lengths
    fprintf(r->html, "<div id=\"extrapolation\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_extrapolation(&views[t]);
    fprintf(r->html, "<div id=\"curves\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_curves(&views[t]);
    fprintf(r->html, "<div id=\"seeds\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_seeds(&views[t]);
    if (n_tasks == 0) report_note(r, "No finished runs yet: run a sweep (jackpot run CONFIG --db %s) first.", db_path);
}

int report_write(const ReportOptions *o, ReportResult *res) {
    memset(res, 0, sizeof *res);
    ReportDb *db;
    if (report_db_open(o->db, &db) != 0) return -1;
    if (report_db_select(db, o->sweep, o->where) != 0) { report_db_close(db); return -1; }
    if (o->group_by && report_db_group_by(db, o->group_by) != 0) { report_db_close(db); return -2; }
    Report r;
    char subtitle[1200];
    snprintf(subtitle, sizeof subtitle, "From %s: %ld finished runs%s. Drawn by jackpot report with gnuplot; "
             "intervals are 95%% bootstrap intervals (%d resamples).", o->db, report_db_finished_runs(db),
             o->sweep || o->where ? " selected by --sweep and --where" : "", o->n_boot);
    if (report_open(&r, o->out, "jackpot report", subtitle) != 0) { report_db_close(db); return -1; }
    fprintf(r.html, "<nav><a href=\"#overview\">overview</a><a href=\"#scaling\">scaling laws</a><a href=\"#extrapolation\">extrapolation</a>"
                    "<a href=\"#curves\">learning curves</a><a href=\"#seeds\">across seeds</a>"
                    "<a href=\"#tickets\">lottery tickets</a><a href=\"#concepts\">concepts</a>"
                    "<a href=\"#fits\">fitted parameters</a></nav>\n");
    overview(&r, db);
    TaskView views[MAX_VIEWS];
    int n_tasks = task_views(&r, db, o, views);
    if (n_tasks < 0) {
        report_db_close(db);
        char why[512];
        snprintf(why, sizeof why, "%s", jp_error());
        report_close(&r);
        return jp_fail("%s", why);
    }
    task_sections(&r, views, n_tasks, o->db);
    for (int t = 0; t < n_tasks; t++) view_free(&views[t]);
    section_tickets(&r, db);
    section_compares(&r, o->db);
    section_concepts(&r, db, o->db, o->sweep, o->where, o->concept_threshold);
    section_injection(&r, o->db, o->sweep, o->where);
    report_db_close(db);
    snprintf(res->summary, sizeof res->summary, "%s", r.summary);
    snprintf(res->undrawn, sizeof res->undrawn, "%s", r.error);
    res->figures = r.figures;
    res->drawn = r.drawn;
    report_close(&r);
    return 0;
}
