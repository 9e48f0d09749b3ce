#include "nn/schedule.h"

#include <math.h>
#include <string.h>

#include "base/names.h"

float schedule_factor(const Schedule *sch, long s) {
    if (sch->warmup > 0 && s < sch->warmup) return (float)(s + 1) / (float)sch->warmup;
    if (sch->kind == SCHED_CONSTANT) return 1.0f;
    long span = sch->total - sch->warmup - 1;
    double progress = span > 0 ? (double)(s - sch->warmup) / (double)span : 1.0;
    if (progress > 1.0) progress = 1.0;
    double shape = sch->kind == SCHED_COSINE ? 0.5 * (1.0 + cos(M_PI * progress)) : 1.0 - progress;
    return (float)(sch->min_ratio + (1.0 - sch->min_ratio) * shape);
}

const char *const schedule_names[SCHEDULE_COUNT] = { "constant", "cosine", "linear" };

const char *schedule_name(ScheduleKind kind) { return schedule_names[kind]; }

int schedule_parse(const char *name, ScheduleKind *kind) {
    int i = name_index(schedule_names, NAME_COUNT(schedule_names), name);
    if (i >= 0) *kind = (ScheduleKind)i;
    return i >= 0 ? 0 : -1;
}
