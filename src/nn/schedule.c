#include "nn/schedule.h"

#include <math.h>
#include <string.h>

float schedule_factor(const Schedule *sch, long s) {
    if (sch->warmup > 0 && s < sch->warmup) return (float)(s + 1) / (float)sch->warmup;
    if (sch->kind == SCHED_CONSTANT) return 1.0f;
    long span = sch->total - sch->warmup - 1;
    double progress = span > 0 ? (double)(s - sch->warmup) / (double)span : 1.0;
    if (progress > 1.0) progress = 1.0;
    double shape = sch->kind == SCHED_COSINE ? 0.5 * (1.0 + cos(M_PI * progress)) : 1.0 - progress;
    return (float)(sch->min_ratio + (1.0 - sch->min_ratio) * shape);
}

static const char *const SCHEDULE_NAMES[] = { "constant", "cosine", "linear" };

const char *schedule_name(ScheduleKind kind) { return SCHEDULE_NAMES[kind]; }

int schedule_parse(const char *name, ScheduleKind *kind) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, SCHEDULE_NAMES[i]) == 0) { *kind = (ScheduleKind)i; return 0; }
    return -1;
}
