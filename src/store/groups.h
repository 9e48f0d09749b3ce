// What tells groups apart. A group is every run equal in every field but its
// seeds (runs.group_hash). Analyses must never pool two groups as "seeds" of one
// size, and must name what differs between the groups they show ("optim.lr 0.001
// vs 0.01"). This module reads one run's params JSON (runs.params) per group and
// compares them field by field, in one place for fit, dist, report and concepts.
//
// Field classes (the keys of runs.params, see sweep/spec.c):
//   ignored   seeds (seed.*), where the data lives (task.data_dir), the evaluation
//             schedule (budget.eval_every, budget.evals) and resolved.* (derived from
//             the fields below): never what tells two experiments apart
//   axis N    model.width, model.depth, model.hidden: the model size
//   axis D    task.train_size: the training-set size
//   budget    budget.*: how long it trains (the C and steps axes)
//   other     everything else (optim.*, schedule.*, task.name, world.*, …)
// A field that differs between groups is *confounded* for a set of axes when two
// groups with equal values of every axis field differ in it: their runs would be
// pooled as seeds of one point. Otherwise it only *co-varies* with the axes (set
// per size, e.g. a learning rate zipped with the width), which a law may absorb.
#pragma once
#include <sqlite3.h>
#include <stddef.h>

enum { GROUP_AXIS_N = 1, GROUP_AXIS_D = 2, GROUP_AXIS_BUDGET = 4 };

typedef struct {
    int n_groups, n_fields;
    char (*hash)[17];      // [n_groups] as given
    char (*field)[48];     // [n_fields] the params keys whose values differ between groups, sorted, ignored ones left out
    char **value;          // [n_groups · n_fields] value[g·n_fields + f]: canonical text ("" when the key is absent)
    int *kind;             // [n_groups · n_fields] 0 absent, 1 number, 2 text, 3 JSON (arrays, booleans as true/false)
} GroupDiff;

// Reads the params of one run of each group hashes[n] (duplicates are kept once each).
// A hash with no run is an error naming it. 0, or −1 with jp_error() (base/error.h).
int group_diff_load(sqlite3 *db, const char (*hashes)[17], int n, GroupDiff *d);
// The same for every group of the finished runs matching `where` (SQL on runs r; may be NULL).
int group_diff_load_where(sqlite3 *db, const char *where, GroupDiff *d);
void group_diff_free(GroupDiff *d);
int group_diff_index(const GroupDiff *d, const char *hash);   // −1 when absent

int group_field_ignored(const char *field);

// The fields (indices into d->field) that are not on `axes`: confounded[] (pooled as
// seeds otherwise) and covarying[] (set per size); each array has room for d->n_fields.
void group_diff_split(const GroupDiff *d, int axes, int *confounded, int *n_conf, int *covarying, int *n_cov);

// "optim.lr 0.001 vs 0.01" or "optim.lr 0.001, 0.003, 0.01" for fields[n] ("; " between fields).
void group_diff_describe(const GroupDiff *d, const int *fields, int n, char *out, size_t len);
// order[n_groups]: the groups sorted by their values of fields[n] (numbers by value), ties by index.
void group_diff_order(const GroupDiff *d, const int *fields, int n, int *order);
// "optim.lr = 0.01, optim.wd = 0" : group g's values of fields[n] ("" when n = 0).
void group_diff_label(const GroupDiff *d, int g, const int *fields, int n, char *out, size_t len);
// SQL on runs r selecting group g's value of each of fields[n] (joined by AND; "1" when n = 0),
// e.g. r.lr = 0.01 or json_extract(r.params, '$."optim.wd"') = 0: what to pass to --where.
void group_diff_where(const GroupDiff *d, int g, const int *fields, int n, char *out, size_t len);
// The --where that selects the smallest setting of fields[n], as one shell word for a message
// (--where "json_extract(r.params, '$.\"optim.wd\"') = 0"): what a refusal or warning suggests.
void group_diff_suggest_where(const GroupDiff *d, const int *fields, int n, char *out, size_t len);
// fields[]: the indices of the fields that no axis in `axes` varies (what labels a group besides
// them). Returns how many.
int group_diff_fields_off(const GroupDiff *d, int axes, int *fields);
