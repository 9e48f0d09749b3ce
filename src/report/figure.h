// The report's output: one folder with index.html and, per figure, its data
// (NAME.csv), the gnuplot script that draws it (NAME.gp) and what it drew
// (NAME.svg, NAME.png). A researcher restyles a figure for a paper by editing
// NAME.gp and running `gnuplot NAME.gp` in the folder.
#pragma once
#include <stdio.h>

typedef struct {
    char dir[2048];
    FILE *html;             // index.html, written top to bottom
    FILE *fits;             // the fitted-parameters table rows (HTML), emitted at the end
    char *fits_text;
    size_t fits_len;
    int figures, drawn;
    char error[512];        // the first figure that failed to draw
    char summary[1024];     // one line per L(N) fitted, for the command to print
} Report;

// Creates the folder (any name: gnuplot runs there without a shell) and starts index.html.
// 0, or −1 (jp_error()) when index.html cannot be written.
int report_open(Report *r, const char *dir, const char *title, const char *subtitle);
// Writes the fitted-parameters section and the closing tags; returns 0 if every figure drew.
int report_close(Report *r);

// NAME.csv, opened for writing (the caller writes a header row, then data).
FILE *figure_data(Report *r, const char *name);

// Writes NAME.gp: the common style, the title and axis labels, `setup` (log
// scales, ranges; may be empty) and `plot` (the plot command), drawn to SVG
// then PNG; runs gnuplot in the folder (posix_spawn, no shell); adds the figure with `caption` (one
// sentence saying what it shows) to the page. Returns 0 or −1 (r->error).
int figure_draw(Report *r, const char *name, const char *title, const char *xlabel, const char *ylabel,
                const char *setup, const char *plot, const char *caption);

// HTML helpers: a section (id, heading, one paragraph), a note, escaped text.
void report_section(Report *r, const char *id, const char *heading, const char *intro);
void report_section_end(Report *r);
void report_note(Report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// A figure or table the data does not allow: a note saying what data it needs, never the raw
// error of the reader that found nothing ("WHAT: not drawn: it needs NEEDS.").
void report_missing(Report *r, const char *what, const char *needs);
void html_escaped(FILE *f, const char *text);

// One row of the fitted-parameters table: what was fitted, on which data, the
// parameter, its estimate and 95% interval (NaN: none).
void report_fit_row(Report *r, const char *law, const char *data, const char *param, double value, double lo, double hi);
