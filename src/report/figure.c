#include "report/figure.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"

extern char **environ;

void html_escaped(FILE *f, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '<') fputs("&lt;", f);
        else if (*p == '>') fputs("&gt;", f);
        else if (*p == '&') fputs("&amp;", f);
        else if (*p == '"') fputs("&quot;", f);
        else fputc(*p, f);
    }
}

static const char STYLE[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}"
    "h1{margin-bottom:.2em}h2{border-bottom:2px solid #ccd;padding-bottom:.2em;margin-top:2em}"
    ".sub{color:#667}nav a{margin-right:1em}"
    ".figs{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0;width:560px}"
    "figure img{width:560px;border:1px solid #e3e3ea;background:#fff}"
    "figcaption{font-size:.9em;margin-top:.3em}figcaption .files{color:#889;font-size:.85em}"
    "table{border-collapse:collapse;font-size:.88em;margin:.6em 0}"
    "td,th{border:1px solid #dde;padding:3px 8px;text-align:right}th{background:#f3f3f8}"
    "td:first-child,th:first-child{text-align:left}.note{color:#955;font-size:.92em;flex-basis:100%}";

// After every image has loaded or failed, the page records how many loaded
// (data-images="loaded/total"), so a headless browser's DOM dump can check it.
static const char CHECK_IMAGES[] =
    "<script>window.addEventListener('load',function(){var im=document.images,ok=0;"
    "for(var i=0;i<im.length;i++)if(im[i].complete&&im[i].naturalWidth>0)ok++;"
    "document.body.setAttribute('data-images',ok+'/'+im.length);});</script>";

int report_open(Report *r, const char *dir, const char *title, const char *subtitle) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    mkdir(dir, 0777);
    char path[2200];
    snprintf(path, sizeof path, "%s/index.html", dir);
    if (!(r->html = fopen(path, "w"))) return jp_fail("%s: cannot write", path);
    r->fits = open_memstream(&r->fits_text, &r->fits_len);
    fprintf(r->html, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_escaped(r->html, title);
    fprintf(r->html, "</title><style>%s</style>%s</head>\n<body>\n<h1>", STYLE, CHECK_IMAGES);
    html_escaped(r->html, title);
    fprintf(r->html, "</h1>\n<p class=\"sub\">");
    html_escaped(r->html, subtitle);
    fprintf(r->html, "</p>\n");
    return 0;
}

int report_close(Report *r) {
    fclose(r->fits);
    fprintf(r->html, "<section id=\"fits\"><h2>Fitted parameters</h2>\n");
    if (r->fits_len) {
        fprintf(r->html, "<p>Every law fitted above, with 95%% bootstrap intervals (whole seed groups resampled).</p>\n"
                         "<table><tr><th>law</th><th>data</th><th>parameter</th><th>estimate</th><th>95%% interval</th></tr>\n%s</table>\n",
                r->fits_text);
    } else {
        fprintf(r->html, "<p class=\"note\">No law could be fitted: the database needs three or more sizes.</p>\n");
    }
    fprintf(r->html, "</section>\n<footer class=\"sub\"><p>%d figures. Each figure's data, gnuplot script, SVG and PNG "
                     "are in this folder; run <code>gnuplot NAME.gp</code> there to redraw one.</p></footer>\n</body></html>\n",
            r->drawn);
    fclose(r->html);
    free(r->fits_text);
    return r->drawn == r->figures ? 0 : -1;
}

FILE *figure_data(Report *r, const char *name) {
    char path[2200];
    snprintf(path, sizeof path, "%s/%s.csv", r->dir, name);
    return fopen(path, "w");
}

// A gnuplot double-quoted string: text, then `raw` (gnuplot escapes, written as is).
static void gp_quoted(FILE *f, const char *text, const char *raw) {
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        fputc(*p, f);
    }
    fprintf(f, "%s\"", raw);
}

// Runs `gnuplot NAME.gp` in dir (its working directory, no shell between: any folder name
// works), its output in NAME.log there. Returns 0 when gnuplot exited with 0; *missing
// when there is no gnuplot to run.
static int run_gnuplot(const char *dir, const char *name, int *missing) {
    char script[128], log[128];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(log, sizeof log, "%s.log", name);
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return -1;
    int rc = posix_spawn_file_actions_addchdir_np(&fa, dir);   // first: the paths below are relative to it
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid;
    char *argv[] = { "gnuplot", script, NULL };
    if (rc == 0) rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {   // what a shell would have said, for the log the report points to
        *missing = rc == ENOENT;
        char path[2200];
        snprintf(path, sizeof path, "%s/%s", dir, log);
        FILE *f = fopen(path, "w");
        if (f) { fprintf(f, "gnuplot: %s\n", *missing ? "not found on the PATH" : strerror(rc)); fclose(f); }
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

// Whether `text` sets a log scale on `axis` ('x' or 'y'): "set logscale x", "… xy".
static int log_axis(const char *text, char axis) {
    for (const char *p = text; (p = strstr(p, "set logscale ")); p++) {
        const char *w = p + strlen("set logscale ");
        size_t n = strcspn(w, " \n;");
        if (memchr(w, axis, n)) return 1;
    }
    return 0;
}

// Labelled tics on a log axis, decided in gnuplot once a first pass has fixed the axis
// range, so that every log axis has three or more labels in one format: decades as 10^k
// (every other one over nine or more), with 1-3, 1-2-5 or finer steps between when the
// axis spans under two decades, and as a last resort five values of 3 digits. Values near
// 1 (losses, accuracies, densities) are labelled as plain decimals instead.
static void log_tics_gp(FILE *f, char axis) {
    char A = (char)(axis - 'a' + 'A');
    fprintf(f, "# labelled %c tics: 10^k, and 1-3 or 1-2-5 steps between when the axis spans under two decades\n"
               "jp_lo = GPVAL_%c_MIN < GPVAL_%c_MAX ? GPVAL_%c_MIN : GPVAL_%c_MAX\n"
               "jp_hi = GPVAL_%c_MIN < GPVAL_%c_MAX ? GPVAL_%c_MAX : GPVAL_%c_MIN\n",
            axis, A, A, A, A, A, A, A, A);
    fprintf(f, "jp_dec = jp_lo >= 0.01 && jp_hi <= 100\n"
               "jp_ms(k) = k == 1 ? '1' : k == 2 ? '1 3' : k == 3 ? '1 2 5' : k == 4 ? '1 1.5 2 3 4 5 6 7 8' : "
               "'1 1.2 1.4 1.6 1.8 2 2.5 3 3.5 4 4.5 5 5.5 6 7 8 9'\n"
               "jp_n = 0\njp_k = 0\n"
               "while (jp_n < 3 && jp_k < 5) { jp_k = jp_k + 1; jp_t = ''; jp_n = 0\n"
               "do for [e = floor(log10(jp_lo)) : ceil(log10(jp_hi))] { do for [m in jp_ms(jp_k)] {\n"
               "    v = (m + 0) * 10.0**e\n"
               "    if (v >= jp_lo * 0.999 && v <= jp_hi * 1.001 && (jp_hi / jp_lo < 1e9 || e %% 2 == 0)) {\n"
               "        jp_t = jp_t . (jp_n ? ', ' : '') . sprintf('\"%%s\" %%.6g', jp_dec ? sprintf('%%g', v) : "
               "m eq '1' ? sprintf('10^{%%d}', e) : sprintf('%%s×10^{%%d}', m, e), v)\n"
               "        jp_n = jp_n + 1 } } } }\n"
               "if (jp_n < 3) { jp_t = ''; do for [i = 0 : 4] { v = sprintf('%%.3g', jp_lo * (jp_hi / jp_lo)**(i / 4.0)) + 0\n"
               "    jp_t = jp_t . (i ? ', ' : '') . sprintf('\"%%g\" %%g', v, v) } }\n"
               "eval sprintf('set %ctics (%%s)', jp_t)\n", axis);
}

int figure_draw(Report *r, const char *name, const char *title, const char *xlabel, const char *ylabel,
                const char *setup, const char *plot, const char *caption) {
    r->figures++;
    char path[2200];
    snprintf(path, sizeof path, "%s/%s.gp", r->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) { snprintf(r->error, sizeof r->error, "%.400s: cannot write", path); return -1; }
    fprintf(f, "# %s — drawn by jackpot report from %s.csv. Edit and run: gnuplot %s.gp\n", title, name, name);
    // The SVG is interactive (zoom, coordinates on hover) when opened on its own. A first
    // pass to no output fixes the axis ranges the log-axis tics are chosen from.
    fprintf(f, "set datafile separator ','\nset datafile missing 'nan'\nset encoding utf8\n"
               "set terminal svg size 720,540 dynamic enhanced mouse standalone font 'DejaVu Sans,15' background rgb 'white'\n"
               "set output '/dev/null'\nset title noenhanced ");
    gp_quoted(f, title, "");
    fprintf(f, "\nset xlabel noenhanced ");
    gp_quoted(f, xlabel, "\\n");   // a blank second line: gnuplot would draw the key below over it
    fprintf(f, "\nset ylabel noenhanced ");
    gp_quoted(f, ylabel, "");
    // Okabe–Ito: eight colours told apart with any colour vision, black last.
    fprintf(f, "\nset grid lc rgb '#e0e0e0'\nset key below box samplen 2 spacing 1.1 width 1 height 0.6\n"
               "set autoscale fix\nset offsets graph 0.04, graph 0.04, graph 0.08, graph 0.08\n"
               "set style line 1 lc rgb '#0072B2' lw 2 pt 7\nset style line 2 lc rgb '#D55E00' lw 2 pt 5\n"
               "set style line 3 lc rgb '#009E73' lw 2 pt 9\nset style line 4 lc rgb '#E69F00' lw 2 pt 13\n"
               "set style line 5 lc rgb '#CC79A7' lw 2 pt 11\nset style line 6 lc rgb '#56B4E9' lw 2 pt 7\n"
               "set style line 7 lc rgb '#F0E442' lw 2 pt 5\nset style line 8 lc rgb '#000000' lw 2 pt 9\n"
               "set style increment user\n"
               "set palette defined (0 '#440154', 0.5 '#21918c', 1 '#fde725')\n%s\n%s\n", setup, plot);
    if (log_axis(setup, 'x') || log_axis(plot, 'x')) log_tics_gp(f, 'x');
    if (log_axis(setup, 'y') || log_axis(plot, 'y')) log_tics_gp(f, 'y');
    fprintf(f, "set output '%s.svg'\nreplot\n"
               "set terminal pngcairo size 1080,810 enhanced font 'DejaVu Sans,19' background rgb 'white'\n"
               "set output '%s.png'\nreplot\n", name, name);
    fclose(f);
    int missing = 0, rc = run_gnuplot(r->dir, name, &missing);
    char svg[2200];
    snprintf(svg, sizeof svg, "%s/%s.svg", r->dir, name);
    struct stat st;
    int ok = rc == 0 && stat(svg, &st) == 0 && st.st_size > 0;
    char log[2200];
    snprintf(log, sizeof log, "%s/%s.log", r->dir, name);
    if (ok && stat(log, &st) == 0 && st.st_size == 0) remove(log);   // gnuplot had nothing to say
    if (!ok && !r->error[0])
        snprintf(r->error, sizeof r->error, "gnuplot failed on %.300s/%.40s.gp (see %.40s.log)%s", r->dir, name, name,
                 missing ? ": gnuplot is not installed (scripts/install-deps)" : "");
    // an <img> runs no script: the SVG opened on its own is the interactive one
    fprintf(r->html, "<figure id=\"fig-%s\"><a href=\"%s.svg\" title=\"open to zoom and read coordinates\">"
                     "<img src=\"%s.svg\" alt=\"", name, name, name);
    html_escaped(r->html, title);
    fprintf(r->html, "\"></a><figcaption><b>");
    html_escaped(r->html, title);
    fprintf(r->html, ".</b> ");
    html_escaped(r->html, caption);
    fprintf(r->html, " <span class=\"files\"><a href=\"%s.csv\">data</a> · <a href=\"%s.gp\">script</a> · "
                     "<a href=\"%s.png\">png</a></span></figcaption></figure>\n", name, name, name);
    if (ok) r->drawn++;
    return ok ? 0 : -1;
}

void report_section(Report *r, const char *id, const char *heading, const char *intro) {
    fprintf(r->html, "<section id=\"%s\"><h2>", id);
    html_escaped(r->html, heading);
    fprintf(r->html, "</h2>\n<p>");
    html_escaped(r->html, intro);
    fprintf(r->html, "</p>\n<div class=\"figs\">\n");
}

void report_section_end(Report *r) { fprintf(r->html, "</div></section>\n"); }

void report_note(Report *r, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(r->html, "<p class=\"note\">");
    html_escaped(r->html, text);
    fprintf(r->html, "</p>\n");
}

void report_missing(Report *r, const char *what, const char *needs) {
    report_note(r, "%s: not drawn: it needs %s.", what, needs);
}

static void cell(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "<td>%.4g</td>", v);
    else fprintf(f, "<td>–</td>");
}

void report_fit_row(Report *r, const char *law, const char *data, const char *param, double value, double lo, double hi) {
    fprintf(r->fits, "<tr><td>");
    html_escaped(r->fits, law);
    fprintf(r->fits, "</td><td>");
    html_escaped(r->fits, data);
    fprintf(r->fits, "</td><td>");
    html_escaped(r->fits, param);
    fprintf(r->fits, "</td>");
    cell(r->fits, value);
    if (isfinite(lo)) fprintf(r->fits, "<td>[%.4g, %.4g]</td></tr>\n", lo, hi);
    else fprintf(r->fits, "<td>–</td></tr>\n");
}
