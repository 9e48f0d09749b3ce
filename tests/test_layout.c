// The architecture, checked: which folder may include which (docs/ARCHITECTURE.md),
// SQL only in src/store, no exit() outside src/cli, every allocation through
// base/xalloc, and short functions (none over 80 lines in src/cli; at most three
// in all of src/, each saying why in the comment above it).
// Runs from the repository root (as make test does).
#include "testutil.h"
#include <ctype.h>
#include <glob.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 4000
#define LONG_FUNCTION 80
#define MAX_LONG_FUNCTIONS 3

typedef struct {
    char path[256];
    char folder[32];        // "cli", "store", …
    int n;
    char **line;
} Source;

typedef struct {
    int n;
    Source *f;
} Tree;

static Tree load_tree(void) {
    glob_t g;
    assert_int_equal(glob("src/*/*.[ch]", 0, NULL, &g), 0);
    Tree t = { (int)g.gl_pathc, calloc(g.gl_pathc, sizeof(Source)) };
    for (size_t i = 0; i < g.gl_pathc; i++) {
        Source *s = &t.f[i];
        snprintf(s->path, sizeof s->path, "%s", g.gl_pathv[i]);
        const char *a = s->path + 4, *b = strchr(a, '/');
        snprintf(s->folder, sizeof s->folder, "%.*s", (int)(b - a), a);
        char *text = slurp(s->path);
        assert_non_null(text);
        s->line = calloc(MAX_LINES, sizeof(char *));
        for (char *p = text; *p && s->n < MAX_LINES;) {
            char *e = strchr(p, '\n');
            if (e) *e = 0;
            s->line[s->n++] = p;
            if (!e) break;
            p = e + 1;
        }
    }
    globfree(&g);
    assert_true(t.n > 50);   // the tree was found: run from the repository root
    return t;
}

static void tree_free(Tree *t) {
    for (int i = 0; i < t->n; i++) {
        if (t->f[i].n) free(t->f[i].line[0]);   // the file's text: line 0 starts it
        free(t->f[i].line);
    }
    free(t->f);
}

// Folders in data-flow order and what each may include (besides itself).
static const struct { const char *folder, *may_include; } RULES[] = {
    { "base", "" },
    { "nn", "base" },
    { "data", "base nn" },
    { "train", "base nn data" },
    { "tickets", "base nn data train" },
    { "store", "base" },
    { "sweep", "base nn data train tickets store" },
    { "stats", "base store" },
    { "fit", "base stats store" },
    { "seeds", "base stats fit store" },
    { "concepts", "base stats fit store" },
    { "report", "base stats fit seeds concepts store" },
    { "cli", "*" },
};

static const char *rule_of(const char *folder) {
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++)
        if (!strcmp(RULES[i].folder, folder)) return RULES[i].may_include;
    return NULL;
}

static int word_in(const char *word, const char *list) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    return 0;
}

static void test_includes_follow_the_data_flow(void **state) {
    (void)state;
    Tree t = load_tree();
    int bad = 0;
    for (int i = 0; i < t.n; i++) {
        const char *rule = rule_of(t.f[i].folder);
        if (!rule) { fprintf(stderr, "%s: folder '%s' is not in docs/ARCHITECTURE.md's table\n", t.f[i].path, t.f[i].folder); bad++; continue; }
        for (int k = 0; k < t.f[i].n; k++) {
            char dep[32];
            if (sscanf(t.f[i].line[k], "#include \"%31[a-z_]/", dep) != 1) continue;
            if (strcmp(dep, t.f[i].folder) && strcmp(rule, "*") && !word_in(dep, rule)) {
                fprintf(stderr, "%s:%d: %s may not include %s/\n", t.f[i].path, k + 1, t.f[i].folder, dep);
                bad++;
            }
        }
    }
    tree_free(&t);
    assert_int_equal(bad, 0);
}

// SQL text (a string literal opening with a statement keyword) or SQLite calls.
static void test_sql_only_in_store(void **state) {
    (void)state;
    Tree t = load_tree();
    regex_t sql;
    assert_int_equal(regcomp(&sql, "\"[ (]*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|BEGIN|COMMIT|ROLLBACK)[ (]"
                                   "|sqlite3_|sqlite3\\.h|[^A-Za-z_]FROM runs|json_extract\\(", REG_EXTENDED), 0);
    int bad = 0;
    for (int i = 0; i < t.n; i++) {
        if (!strcmp(t.f[i].folder, "store")) continue;
        for (int k = 0; k < t.f[i].n; k++)
            if (regexec(&sql, t.f[i].line[k], 0, NULL, 0) == 0) {
                fprintf(stderr, "%s:%d: SQL outside src/store: %.100s\n", t.f[i].path, k + 1, t.f[i].line[k]);
                bad++;
            }
    }
    regfree(&sql);
    tree_free(&t);
    assert_int_equal(bad, 0);
}

// Library code returns errors (jp_fail); only the command line ends the process.
// And every allocation goes through base/xalloc, which names the failed size and place.
static void test_no_exit_or_bare_allocation_in_the_library(void **state) {
    (void)state;
    Tree t = load_tree();
    regex_t ex, alloc;
    assert_int_equal(regcomp(&ex, "(^|[^_a-z])(exit|abort)\\(", REG_EXTENDED), 0);
    assert_int_equal(regcomp(&alloc, "(^|[^_a-z])(malloc|calloc|realloc|strdup|strndup|asprintf|vasprintf|aligned_alloc|posix_memalign)\\(",
                             REG_EXTENDED), 0);
    int bad = 0;
    for (int i = 0; i < t.n; i++) {
        int cli = !strcmp(t.f[i].folder, "cli"), xalloc = strstr(t.f[i].path, "base/xalloc.") != NULL;
        for (int k = 0; k < t.f[i].n; k++) {
            const char *l = t.f[i].line[k];
            const char *c = strstr(l, "//");
            char code[1024];
            snprintf(code, sizeof code, "%.*s", c ? (int)(c - l) : (int)strlen(l), l);   // comments may name them
            if (!cli && !xalloc && regexec(&ex, code, 0, NULL, 0) == 0) {
                fprintf(stderr, "%s:%d: exit/abort outside src/cli: %s\n", t.f[i].path, k + 1, l);
                bad++;
            }
            if (!xalloc && regexec(&alloc, code, 0, NULL, 0) == 0) {
                fprintf(stderr, "%s:%d: allocation not through base/xalloc: %s\n", t.f[i].path, k + 1, l);
                bad++;
            }
        }
    }
    regfree(&ex);
    regfree(&alloc);
    tree_free(&t);
    assert_int_equal(bad, 0);
}

// A function definition opens at column 0 (its header ends in "{" or the next line is
// "{") and closes with "}" at column 0. Data (initialisers, typedefs) is not a function.
static int function_header(const Source *s, int k) {
    const char *l = s->line[k];
    if (!isalpha((unsigned char)l[0]) || strchr(l, '=') || !strncmp(l, "typedef", 7) || !strncmp(l, "struct", 6) ||
        !strncmp(l, "enum", 4) || !strncmp(l, "union", 5) || !strchr(l, '('))
        return 0;
    size_t n = strlen(l);
    while (n && l[n - 1] == ' ') n--;
    if (n && l[n - 1] == '{') return 1;
    for (int j = k + 1; j < s->n && j < k + 6; j++) {   // a header over several lines
        if (s->line[j][0] == '{') return 1;
        size_t m = strlen(s->line[j]);
        if (m && s->line[j][m - 1] == '{' && s->line[j][0] == ' ') return 1;
        if (m && (s->line[j][m - 1] == ';' || s->line[j][0] == '}')) return 0;
    }
    return 0;
}

// Does the comment block just above line k give a reason for the length?
static int says_why(const Source *s, int k) {
    for (int j = k - 1; j >= 0 && !strncmp(s->line[j], "//", 2); j--)
        if (strstr(s->line[j], "80 lines")) return 1;
    return 0;
}

static void test_functions_are_short(void **state) {
    (void)state;
    Tree t = load_tree();
    int bad = 0, long_ones = 0;
    for (int i = 0; i < t.n; i++) {
        const Source *s = &t.f[i];
        for (int k = 0; k < s->n; k++) {
            if (!function_header(s, k)) continue;
            int end = k + 1;
            while (end < s->n && s->line[end][0] != '}') end++;
            int length = end - k + 1;
            if (length > LONG_FUNCTION) {
                int cli = !strcmp(s->folder, "cli");
                fprintf(stderr, "%s:%d: %d lines%s: %.80s\n", s->path, k + 1, length,
                        cli ? " (none may be over 80 in src/cli)" : says_why(s, k) ? "" : " without a reason in the comment above it",
                        s->line[k]);
                long_ones++;
                bad += cli || !says_why(s, k);
            }
            k = end;
        }
    }
    tree_free(&t);
    assert_int_equal(bad, 0);
    assert_true(long_ones <= MAX_LONG_FUNCTIONS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_includes_follow_the_data_flow),
        cmocka_unit_test(test_sql_only_in_store),
        cmocka_unit_test(test_no_exit_or_bare_allocation_in_the_library),
        cmocka_unit_test(test_functions_are_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
