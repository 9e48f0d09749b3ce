// Shared test helpers (cmocka).
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

// The whole file as one NUL-terminated string (free it), or NULL if it cannot be opened.
static inline char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc(n + 1);
    s[fread(s, 1, n, f)] = 0;
    fclose(f);
    return s;
}

// The jackpot binary under test: $JACKPOT_BIN (tests/run sets it), else build/jackpot.
static inline const char *bin(void) {
    const char *b = getenv("JACKPOT_BIN");
    return b ? b : "build/jackpot";
}

// Runs `jackpot ARGS`, capturing stdout and stderr into out[cap]; returns the exit status.
static inline int run(const char *args, char *out, size_t cap) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin(), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The first column of the first row of a query (−1 when it gives no row); a query
// that does not prepare fails the test, naming it.
static inline double sql_value(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

// Writes text to path (a sweep config, a CSV), failing the test when it cannot.
static inline void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("%s: cannot open for writing", path);
    if (fputs(text, f) < 0 || fclose(f) != 0) fail_msg("%s: cannot write", path);
}

// A fresh folder /tmp/jackpot-NAME-XXXXXX, its path in dir[n]: 0, or −1.
static inline int temp_dir_make(char *dir, size_t n, const char *name) {
    snprintf(dir, n, "/tmp/jackpot-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

// The folder and everything in it: 0, or −1.
static inline int temp_dir_remove(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

// ---- values out of a JSON text, by path ----
// Paths are SQLite's: '$.a.b', '$.groups[1].N', '$."key with spaces"'. Each call parses
// the text with SQLite's JSON functions on an in-memory database and fails the test when
// the text is not one valid JSON object or array, so `--json` output is checked whole,
// not by substrings that a broken document could still contain.

typedef struct {
    char type[8];   // json_type: null, true, false, integer, real, text, array, object; "" when absent
    double number;  // integer or real; NaN for null
    char *text;     // json_extract as text (strings unquoted and unescaped, arrays and objects as JSON)
    int length;     // json_array_length (arrays)
} JsonValue_;

static inline JsonValue_ json_value_(const char *json, const char *path) {
    JsonValue_ v = { "", NAN, NULL, 0 };
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) fail_msg("sqlite3_open(:memory:) failed");
    if (sqlite3_prepare_v2(db, "SELECT json_valid(?1) AND json_type(?1) IN ('object', 'array'), "
                               "json_type(?1, ?2), json_extract(?1, ?2), json_array_length(?1, ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    // a broken text or path makes SQLite raise an error ("malformed JSON") instead of a row
    if (sqlite3_step(st) != SQLITE_ROW) fail_msg("JSON %s: %s, in:\n%.600s", path, sqlite3_errmsg(db), json);
    if (sqlite3_column_int(st, 0) != 1) fail_msg("JSON %s: not one valid JSON object or array:\n%.600s", path, json);
    const char *type = (const char *)sqlite3_column_text(st, 1);
    if (type) {
        snprintf(v.type, sizeof v.type, "%s", type);
        if (!strcmp(type, "integer") || !strcmp(type, "real")) v.number = sqlite3_column_double(st, 2);
        const char *text = (const char *)sqlite3_column_text(st, 2);
        if (!text) text = "null";
        v.text = malloc(strlen(text) + 1);
        memcpy(v.text, text, strlen(text) + 1);
        v.length = sqlite3_column_int(st, 3);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

// The JSON type at path as json_type names it ("null", "true", "false", "integer", "real",
// "text", "array", "object"), compared with want; "absent" matches nothing at the path.
static inline int json_type_is(const char *json, const char *path, const char *want) {
    JsonValue_ v = json_value_(json, path);
    free(v.text);
    return !strcmp(v.type[0] ? v.type : "absent", want);
}

// The number at path (NaN for null, which is how jackpot writes a number it does not
// have); fails the test when the path holds nothing, or something else.
static inline double json_number_at(const char *json, const char *path) {
    JsonValue_ v = json_value_(json, path);
    free(v.text);
    if (!v.type[0]) fail_msg("JSON: nothing at %s in:\n%.600s", path, json);
    if (strcmp(v.type, "integer") && strcmp(v.type, "real") && strcmp(v.type, "null"))
        fail_msg("JSON: %s is %s, not a number", path, v.type);
    return v.number;
}

// The value at path as text (free it): a string unquoted and unescaped, an array or
// object as compact JSON, anything else as written; fails the test when the path
// holds nothing.
static inline char *json_text_at(const char *json, const char *path) {
    JsonValue_ v = json_value_(json, path);
    if (!v.type[0]) fail_msg("JSON: nothing at %s in:\n%.600s", path, json);
    return v.text;
}

// Elements of the array at path; fails the test when it is not an array.
static inline int json_length_at(const char *json, const char *path) {
    JsonValue_ v = json_value_(json, path);
    free(v.text);
    if (strcmp(v.type, "array")) fail_msg("JSON: %s is %s, not an array", path, v.type[0] ? v.type : "absent");
    return v.length;
}

// Fails the test unless the text at path equals want.
#define assert_json_text(json, path, want)                                                          \
    do {                                                                                            \
        char *got_ = json_text_at((json), (path));                                                  \
        if (strcmp(got_, (want))) fail_msg("JSON %s is '%s', expected '%s'", (path), got_, (want)); \
        free(got_);                                                                                 \
    } while (0)
