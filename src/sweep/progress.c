#include "sweep/progress.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "base/clock.h"

void progress_init(Progress *p, int groups, long runs, long runs_before, double flops, int quiet) {
    *p = (Progress){ .tty = isatty(2), .quiet = quiet, .groups_total = groups, .runs_total = runs,
                     .runs_before = runs_before, .flops_total = flops, .t0 = clock_now_s(), .best_val_loss = INFINITY };
    pthread_mutex_init(&p->mu, NULL);
}

void progress_format_duration(double s, char *out, size_t n) {
    if (!isfinite(s) || s < 0 || s > 1e12) { snprintf(out, n, "?"); return; }
    long t = lround(s);   // whole seconds first: 26 min 59.7 s is "27m00s", never "26m60s"
    if (t < 60) snprintf(out, n, "%lds", t);
    else if (t < 3600) snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(out, n, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

static void status_text(Progress *p, char *out, size_t n) {
    double elapsed = clock_now_s() - p->t0;
    double rate = elapsed > 0 ? p->member_steps / elapsed : 0;
    char eta[32], best[32] = "–";
    progress_format_duration(p->flops_done > 0 ? (p->flops_total - p->flops_done) * elapsed / p->flops_done : NAN, eta, sizeof eta);
    if (isfinite(p->best_val_loss)) snprintf(best, sizeof best, "%.4f", p->best_val_loss);
    snprintf(out, n, "groups %d/%d  runs %ld/%ld  %.0f member-steps/s  ETA %s  best val loss %s", p->groups_done,
             p->groups_total, p->runs_before + p->runs_done, p->runs_before + p->runs_total, rate, eta, best);
}

static void draw(Progress *p) {
    char line[256];
    status_text(p, line, sizeof line);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->last_draw = clock_now_s();
}

void progress_advance(Progress *p, double flops, double member_steps, double val_loss) {
    pthread_mutex_lock(&p->mu);
    p->flops_done += flops;
    p->member_steps += member_steps;
    if (val_loss < p->best_val_loss) p->best_val_loss = val_loss;
    if (p->tty && !p->quiet && clock_now_s() - p->last_draw > 0.2) draw(p);
    pthread_mutex_unlock(&p->mu);
}

void progress_group_done(Progress *p, const char *label, int runs, double wall_s, int group_done) {
    pthread_mutex_lock(&p->mu);
    p->groups_done += group_done != 0;
    p->runs_done += runs;
    if (!p->quiet) {
        if (p->tty) {
            draw(p);
        } else {
            char line[256];
            status_text(p, line, sizeof line);
            fprintf(stderr, "group %s done in %.1f s | %s\n", label, wall_s, line);
        }
    }
    pthread_mutex_unlock(&p->mu);
}

void progress_finish(Progress *p) {
    if (p->tty && !p->quiet) fputc('\n', stderr);
    pthread_mutex_destroy(&p->mu);
}
