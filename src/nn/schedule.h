// Learning-rate schedules: a factor in [0, 1] applied to the peak rate.
//   warmup: linear from 1/warmup to 1 over the first `warmup` steps
//   then constant, or cosine / linear decay to min_ratio at the last step.
#pragma once

typedef enum { SCHED_CONSTANT, SCHED_COSINE, SCHED_LINEAR } ScheduleKind;

typedef struct {
    ScheduleKind kind;
    long warmup;        // steps
    long total;         // steps in the run
    float min_ratio;    // final rate / peak rate for the decays
} Schedule;

// Factor for 0-based step s.
float schedule_factor(const Schedule *sch, long s);

#define SCHEDULE_COUNT 3
extern const char *const schedule_names[SCHEDULE_COUNT];
const char *schedule_name(ScheduleKind kind);
int schedule_parse(const char *name, ScheduleKind *kind);
