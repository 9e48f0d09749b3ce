#include "store/where.h"

#include <ctype.h>
#include <string.h>

#include "base/error.h"

// Walks the text as SQLite's tokenizer would for the parts that matter here:
// string literals '…', quoted identifiers "…", `…`, […], and comments -- and /* */,
// inside which parentheses and ';' mean nothing.
int where_check(const char *where) {
    int depth = 0;
    for (const char *p = where; *p; p++) {
        size_t at = (size_t)(p - where);
        char close = *p == '\'' ? '\'' : *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
        if (close) {   // a doubled closing quote stands for itself
            const char *q = p + 1;
            while (*q && !(*q == close && !(close != ']' && q[1] == close))) q += *q == close ? 2 : 1;
            if (!*q) return jp_fail("--where '%s': the %c at offset %zu is never closed", where, *p, at);
            p = q;
        } else if (p[0] == '-' && p[1] == '-') {
            while (p[1] && p[1] != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");
            if (!q) return jp_fail("--where '%s': the comment at offset %zu is never closed", where, at);
            p = q + 1;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth < 0) {
            return jp_fail("--where '%s': the ')' at offset %zu closes a parenthesis it did not open;"
                           " give one condition on runs r, e.g. \"r.depth = 2\"", where, at);
        } else if (*p == ';') {
            return jp_fail("--where '%s': ';' at offset %zu: give one condition, not statements", where, at);
        }
    }
    if (depth > 0) return jp_fail("--where '%s': %d parenthesis(es) never closed", where, depth);
    const char *s = where;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return jp_fail("--where is empty: give a condition on runs r, e.g. \"r.depth = 2\"");
    return 0;
}

// Only what a SELECT of existing rows needs; everything else (writes, ATTACH,
// PRAGMA, CREATE TEMP …, transactions) fails the prepare. One exception: the first
// use of a table-valued function such as json_each asks for SQLITE_UPDATE on
// sqlite_master's columns while SQLite sets it up in memory (nothing is written;
// sqlite3_stmt_readonly below still has the last word).
static int authorize(void *denied, int action, const char *a, const char *b, const char *c, const char *d) {
    (void)b; (void)c; (void)d;
    if (action == SQLITE_SELECT || action == SQLITE_READ || action == SQLITE_FUNCTION) return SQLITE_OK;
    if (action == SQLITE_UPDATE && a && (!strcmp(a, "sqlite_master") || !strcmp(a, "sqlite_schema"))) return SQLITE_OK;
    *(int *)denied = action;
    return SQLITE_DENY;
}

int where_prepare(sqlite3 *h, const char *head, const char *where, const char *tail, sqlite3_stmt **st) {
    *st = NULL;
    if (where && where_check(where) != 0) return -1;
    // The newlines end a trailing -- comment inside the where before our ")".
    char *sql = sqlite3_mprintf("%s%s%s%s%s", head, where ? " AND (\n" : "", where ? where : "", where ? "\n)" : "",
                                tail ? tail : "");
    if (!sql) return jp_fail("out of memory building the query");
    int denied = 0;
    const char *rest = NULL;
    sqlite3_set_authorizer(h, authorize, &denied);
    int rc = sqlite3_prepare_v2(h, sql, -1, st, &rest);
    sqlite3_set_authorizer(h, NULL, NULL);
    const char *who = where ? "--where '" : "", *who_end = where ? "': " : "";
    if (rc != SQLITE_OK) {
        if (denied)
            jp_fail("%s%s%snot a read (SQLite action %d refused): a condition may only read the store", who,
                    where ? where : "", who_end, denied);
        else
            jp_fail("%s%s%s%s", who, where ? where : "", who_end, sqlite3_errmsg(h));
        sqlite3_free(sql);
        sqlite3_finalize(*st);
        *st = NULL;
        return -1;
    }
    while (rest && isspace((unsigned char)*rest)) rest++;
    const char *problem = !*st ? "no statement"
                          : rest && *rest ? "text after the statement"
                          : !sqlite3_stmt_readonly(*st) ? "the statement would write"
                          : NULL;
    if (problem) {
        jp_fail("%s%s%s%s%s%.60s%s", who, where ? where : "", who_end, problem, rest && *rest ? ": '" : "",
                rest && *rest ? rest : "", rest && *rest ? "'" : "");
        sqlite3_finalize(*st);
        *st = NULL;
        sqlite3_free(sql);
        return -1;
    }
    sqlite3_free(sql);
    return 0;
}
