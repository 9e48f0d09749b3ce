// The report's sections, each drawing what the database allows and saying
// (as a note) what it could not draw and why.
#pragma once
#include "concepts/study.h"
#include "fit/fit.h"
#include "report/figure.h"
#include "store/read_report.h"

enum { MAX_GROUPS = 8 };   // --group-by series drawn in one figure (the palette has 8 line styles)

typedef struct {
    Report *r;
    ReportDb *db;
    const char *db_path;
    int n_boot;
    int unit;              // 0 loss, 1 accuracy, 2 logit of accuracy
    char task[96];         // shown: the task, and which of its worlds when a database holds several
    char tag[48];          // figure-name suffix ("fashion-mnist" → "fashion_mnist", a second world → "…_w2")
    char *where_task;      // the condition selecting this view's runs (store/read_report.h): this task (and toy
                           // world), the user's --sweep and --where, and the view's settings when the task's
                           // groups differ in more than N and D (store/groups.h)
    long d_star;           // the training-set size with the most model sizes (0: the whole pool / fresh)
    int n_sizes_at_d;      // how many model sizes it has
    char *where_d;         // the condition: this view at d_star
    const char *metric;    // what the laws and IsoFLOP profiles fit (as jackpot fit --metric)
    // IsoFLOP profiles vary N and the budget, not only N and D: their own split of the task's
    // groups (drawn in the first view of a task): a condition, and the task with what sets each apart
    int n_iso;
    char *iso_where[4];
    char iso_label[4][160];
    // --group-by: the field and its values among the view's runs, each a condition (where_task
    // narrowed to it) and a label "FIELD=value": one series per value in L(N), the learning
    // curves and the spread across seeds (n_groups 0: not grouped)
    const char *group_by;
    int n_groups;
    char *group_where[MAX_GROUPS];
    char group_label[MAX_GROUPS][160];
    char *repeat_where;    // repeated data (report/repeat.c) spans budgets: the task's runs when they differ only in
                           // N, D and the budget, set in its first view (NULL: each view draws its own)
    char repeat_task[96];  // and the task it shows, without the view's setting
    int have_law;          // L(N) fitted: law_theta holds E, A, α (logs as the law stores them)
    double law_theta[LAW_MAX_THETA];
} TaskView;

// The value of group g (its label after "FIELD="), as a CSV field: quoted when it holds a comma or quote.
void group_value_csv(FILE *c, const TaskView *v, int g);

// Opens the task's section "KIND-TAG", headed "HEADING: task".
void task_section(const TaskView *v, const char *kind, const char *heading, const char *intro);

void section_scaling(TaskView *v);
void section_repeat(TaskView *v);   // report/repeat.c: loss against epochs, the data-constrained law
void section_extrapolation(TaskView *v);   // after section_scaling: laws ranked by held-out error
void section_curves(TaskView *v);
void section_seeds(TaskView *v);
void section_tickets(Report *r, ReportDb *db);
void section_compares(Report *r, const char *db_path);
// The injection experiment's figures (concepts/injection.h); nothing when no run has an injection.
void section_injection(Report *r, const char *db_path, const char *sweep, const char *where);   // sweep may be NULL
void section_concepts(Report *r, ReportDb *db, const char *db_path, const char *sweep, const char *where, double threshold);   // sweep may be NULL
