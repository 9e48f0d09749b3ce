// The reads of jackpot report: one typed reader per query it makes, and the conditions
// that select a view's runs. A condition is SQL on runs r, built here and handed on as it
// is to points_from_store, samples_from_store (their `where`) and report_db_groups: the
// report composes its views from the functions below and holds no SQL itself.
// Readers return 0, or −1 with jp_error() saying why (base/error.h).
#pragma once
#include <stddef.h>

#include "store/groups.h"

typedef struct ReportDb ReportDb;   // a read-only connection to one jackpot database

// Opens path read-only; refuses a file without jackpot's runs table ("PATH: not a jackpot
// database (…)"). *db is NULL on failure.
int report_db_open(const char *path, ReportDb **db);
void report_db_close(ReportDb *db);   // NULL is fine

// The user's selection, --sweep and --where (each may be NULL), for the readers that take no
// condition (the finished runs, the sweeps, the tickets): checked here by the rules of
// store/where.h, the database named when it is refused. 0, or −1.
int report_db_select(ReportDb *db, const char *sweep, const char *where);

// Runs done or diverged (within the selection).
long report_db_finished_runs(ReportDb *db);

// Each sweep (in creation order; only --sweep's) and its runs of the selection by status.
typedef struct {
    char *name, *created;
    int runs, done, failed, diverged;
} ReportSweep;
typedef struct {
    int n;
    ReportSweep *sweep;   // [n]
} ReportSweeps;
int report_db_sweeps(ReportDb *db, ReportSweeps *out);   // 0 rows when the query fails
void report_sweeps_free(ReportSweeps *s);

// Each task and toy world of the finished runs within the user's selection (--sweep and
// --where, each may be NULL), the one with the most runs first. world is the toy world's
// fields ("world.concepts=8 world.zipf=1.3", "" for other tasks); cond selects the
// world's runs within the selection. Fails when the --where is not one read-only condition
// (store/where.h), naming the database.
typedef struct {
    char *task, *world, *cond;
} ReportWorld;
typedef struct {
    int n;
    ReportWorld *world;   // [n]
} ReportWorlds;
int report_db_worlds(ReportDb *db, const char *sweep, const char *where, ReportWorlds *out);
void report_worlds_free(ReportWorlds *w);

// The groups of the finished runs that cond selects, compared field by field (store/groups.h).
int report_db_groups(ReportDb *db, const char *cond, GroupDiff *d);

// --group-by FIELD: a key of the runs' params JSON ("optim.lr", "model.depth") or, where none
// has it, a column of runs ("lr"). Fails with a message naming FIELD when it is neither, or no
// run of the selection has it.
int report_db_group_by(ReportDb *db, const char *field);
// The values of the --group-by field among the finished runs of cond, numbers in numeric order
// before texts (a run without the field: value "absent"), each with cond narrowed to it.
typedef struct {
    int n;
    char **value, **cond;   // [n] the value as shown; cond AND the field = value (free them)
} ReportGroupValues;
int report_db_group_values(ReportDb *db, const char *cond, ReportGroupValues *out);
void report_group_values_free(ReportGroupValues *g);

// Conditions built on another (each a new string: free it).
// cond, narrowed to group g's values of fields[n] of d (group_diff_where).
char *report_cond_group(const char *cond, const GroupDiff *d, int g, const int *fields, int n);
// cond, narrowed to one training-set size (0: fresh samples or the whole pool).
char *report_cond_train_size(const char *cond, long train_size);
// cond (NULL: every run) narrowed to the toy world of Zipf exponent zipf (world.zipf); free it.
char *report_cond_world_zipf(const char *cond, double zipf);
// cond, narrowed to one model size, runs with a training-set size only.
char *report_cond_model_size(const char *cond, long n_params);

// The training-set size (0 for none) with the most distinct model sizes among the finished
// runs of cond, ties to the larger; how many sizes it has. 0 and 0 when there is none.
void report_db_most_sizes_at_d(ReportDb *db, const char *cond, long *train_size, int *n_sizes);
// The model size with the most distinct training-set sizes (runs with one), ties to the larger.
void report_db_most_sizes_at_n(ReportDb *db, const char *cond, long *n_params, int *n_sizes);

// Learning curves: per model size and step, the mean FLOPs and test loss over the finished runs
// of cond, and how many runs; ordered by size, then step.
typedef struct {
    long n_params, step;
    double flops, loss;
    int runs;
} ReportCurvePoint;
typedef struct {
    int n;
    ReportCurvePoint *point;   // [n]
} ReportCurves;
int report_db_curves(ReportDb *db, const char *cond, ReportCurves *out);
void report_curves_free(ReportCurves *c);

// Lottery tickets: rows in the tickets table (0 without the table), and per variant and
// pruning level (ordered so) the means over runs; both within the selection.
long report_db_ticket_rows(ReportDb *db);
typedef struct {
    char variant[32];
    int level, runs;
    double density, acc, acc_sq, best_step;   // means of density, best_test_acc, its square, best_step
} ReportTicketLevel;
typedef struct {
    int n;
    ReportTicketLevel *level;   // [n]
} ReportTicketLevels;
int report_db_ticket_levels(ReportDb *db, ReportTicketLevels *out);   // "tickets table unreadable: …"
// What the selected ticket runs prune, for the figures' titles: "fashion-mnist, MLP 784-300-100-10"
// (several: joined by "; "); "" when unknown.
void report_db_ticket_model(ReportDb *db, char *out, size_t n);
void report_ticket_levels_free(ReportTicketLevels *t);
// The learning curves of the tickets (and the dense level 0) within the selection: per level and
// step (ordered so), the mean validation loss and test accuracy over runs. 0 (n = 0 for a database
// without curves: one made before schema 7, or no evaluations), or −1.
typedef struct { int level; long step; double val_loss, test_acc; } ReportTicketPoint;
typedef struct { int n; ReportTicketPoint *point; } ReportTicketCurves;
int report_db_ticket_curves(ReportDb *db, ReportTicketCurves *out);

// Sweep names, each once, in order of their first id (a sweep edited and rerun keeps its name).
typedef struct {
    char *name;
    long first_id;
} ReportSweepName;
typedef struct {
    int n;
    ReportSweepName *sweep;   // [n]
} ReportSweepNames;
int report_db_sweep_names(ReportDb *db, ReportSweepNames *out);
void report_sweep_names_free(ReportSweepNames *s);
