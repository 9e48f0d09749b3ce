#include "sweep/progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

#define TTY_REDRAW_S 0.25   // the live line at most 4 times a second
#define WINDOW_S 10.0       // throughput over the last 10-20 s
#define ETA_MIN_S 2.0       // the ETA after 2 s of training ...
#define ETA_MIN_FRAC 0.01   // ... or 1% of the FLOPs

static double period_from_env(void) {
    const char *s = getenv("JACKPOT_PROGRESS_S");
    char *end;
    double v = s ? strtod(s, &end) : NAN;
    return s && end != s && !*end && v >= 0 && isfinite(v) ? v : 30.0;
}

static void *ticker_main(void *arg);

void progress_init(Progress *p, int groups, long runs, long runs_before, double flops, int quiet) {
    double t = clock_now_s();
    *p = (Progress){ .now = clock_now_s, .tty = isatty(2), .quiet = quiet, .period_s = period_from_env(),
                     .groups_total = groups, .runs_total = runs, .runs_before = runs_before, .flops_total = flops,
                     .t0 = t, .t_first = -1, .last_line = t, .val_loss = NAN, .best_val_loss = INFINITY };
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);   // the ticker's waits, as base/clock
    pthread_cond_init(&p->wake, &attr);
    pthread_condattr_destroy(&attr);
    // Without the ticker (it could not start) the line is drawn on evaluations only.
    if (!quiet) p->ticking = pthread_create(&p->ticker, NULL, ticker_main, p) == 0;
}

void progress_format_duration(double s, char *out, size_t n) {
    if (!isfinite(s) || s < 0 || s > 1e12) { snprintf(out, n, "?"); return; }
    long t = lround(s);   // whole seconds first: 26 min 59.7 s is "27m00s", never "26m60s"
    if (t < 60) snprintf(out, n, "%lds", t);
    else if (t < 3600) snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(out, n, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

// FLOPs done since the first evaluation over the wall time since, the rate of the rest. The
// FLOPs of the evaluation that started the clock were done before it: left out of the rate.
double progress_eta_s(const Progress *p, double now) {
    if (p->t_first < 0) return NAN;
    double span = p->t_last - p->t_first, done = p->flops_done - p->flops_first;
    int enough = span >= ETA_MIN_S || (p->flops_total > 0 && p->flops_done >= ETA_MIN_FRAC * p->flops_total);
    if (!enough || span <= 0 || done <= 0) return NAN;
    double left = (p->flops_total - p->flops_done) / (done / span) - (now - p->t_last);   // counts down between evaluations
    return left > 0 ? left : 0;
}

// Rates over the throughput window, to the latest advance (not to now: between advances nothing is
// counted — an evaluation, or the trainer's steps told a few times a second — and the rate would sag).
static void window_rates(const Progress *p, double *steps_s, double *tokens_s) {
    double span = p->t_last - p->mark[0].t;
    *steps_s = span > 0 ? (p->member_steps - p->mark[0].steps) / span : NAN;
    *tokens_s = span > 0 ? (p->tokens - p->mark[0].tokens) / span : NAN;
}

void progress_status(const Progress *p, double now, char *out, size_t n) {
    double steps_s, tokens_s;
    window_rates(p, &steps_s, &tokens_s);
    char rate[64] = "", loss[64] = "", elapsed[32], eta[32];
    if (isfinite(steps_s)) {
        int w = snprintf(rate, sizeof rate, "  %.0f member-steps/s", steps_s);
        if (p->tokens > 0 && isfinite(tokens_s)) snprintf(rate + w, sizeof rate - (size_t)w, "  %.0f tokens/s", tokens_s);
    }
    if (isfinite(p->val_loss) || isfinite(p->best_val_loss))
        snprintf(loss, sizeof loss, "  val loss %.4f (best %.4f)", p->val_loss, p->best_val_loss);
    progress_format_duration(now - p->t0, elapsed, sizeof elapsed);
    progress_format_duration(progress_eta_s(p, now), eta, sizeof eta);
    // The times first: a live line cut to the terminal's width keeps them.
    snprintf(out, n, "groups %d/%d  runs %ld/%ld  %s  ETA %s%s%s", p->groups_done, p->groups_total,
             p->runs_before + p->runs_done, p->runs_before + p->runs_total, elapsed, eta, rate, loss);
}

// The live line, rewritten in place: carriage return, the text, clear to the end of the line.
static void draw(Progress *p, double now) {
    char line[320];
    progress_status(p, now, line, sizeof line);
    // Cut to the terminal's width: a line that wraps is not rewritten by \r but stacks up.
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && ws.ws_col - 1 < (int)sizeof line) line[ws.ws_col - 1] = 0;
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->last_draw = now;
}

static void plain_line(Progress *p, double now) {
    char line[320];
    progress_status(p, now, line, sizeof line);
    fprintf(stderr, "progress: %s\n", line);
    fflush(stderr);
    p->last_line = now;
}

// Redraws between evaluations: the live line 4 times a second, or a plain line every period_s.
static void *ticker_main(void *arg) {
    Progress *p = arg;
    double tick = p->tty ? TTY_REDRAW_S : fmin(fmax(p->period_s, 0.05), 1.0);
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double until = (double)ts.tv_sec + ts.tv_nsec * 1e-9 + tick;
        ts.tv_sec = (time_t)until;
        ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&p->wake, &p->mu, &ts);
        if (p->stopping) break;
        double now = p->now();
        if (p->tty && now - p->last_draw >= TTY_REDRAW_S) draw(p, now);
        else if (!p->tty && now - p->last_line >= p->period_s) plain_line(p, now);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void progress_advance(Progress *p, double flops, double member_steps, double tokens, double val_loss) {
    pthread_mutex_lock(&p->mu);
    double now = p->now();
    p->flops_done += flops;
    p->member_steps += member_steps;
    p->tokens += tokens;
    if (!isnan(val_loss)) p->val_loss = val_loss;
    if (val_loss < p->best_val_loss) p->best_val_loss = val_loss;
    p->t_last = now;
    ProgressMark at = { now, p->member_steps, p->tokens };
    if (p->t_first < 0) {   // the clock of the rates starts here: loading data is not training
        p->t_first = now;
        p->flops_first = p->flops_done;
        p->mark[0] = p->mark[1] = at;
    } else if (now - p->mark[1].t >= WINDOW_S) {
        p->mark[0] = p->mark[1];
        p->mark[1] = at;
    }
    if (p->tty && !p->quiet && now - p->last_draw >= TTY_REDRAW_S) draw(p, now);
    pthread_mutex_unlock(&p->mu);
}

void progress_steps(void *progress, double member_steps, double flops) {
    progress_advance(progress, flops, member_steps, 0, NAN);
}

void progress_group_done(Progress *p, const char *label, int runs, double wall_s, int group_done) {
    pthread_mutex_lock(&p->mu);
    p->groups_done += group_done != 0;
    p->runs_done += runs;
    double now = p->now();
    if (!p->quiet) {
        if (p->tty) {
            draw(p, now);
        } else {
            char line[320];
            progress_status(p, now, line, sizeof line);
            fprintf(stderr, "group %s done in %.1f s | %s\n", label, wall_s, line);
            p->last_line = now;
        }
    }
    pthread_mutex_unlock(&p->mu);
}

void progress_finish(Progress *p) {
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->mu);
    if (p->ticking) pthread_join(p->ticker, NULL);
    if (p->tty && !p->quiet) fputc('\n', stderr);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
}
