// Checked allocation (src/base/xalloc.h): a failed or overflowing request
// aborts with a message naming the size and the caller's file:line, never
// returns NULL; and the UTF-8 validator's verdicts on RFC 3629's edge cases.
#include "testutil.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/utf8.h"
#include "base/xalloc.h"

// Runs fn in a child with stderr captured; returns what it printed, and the signal that ended it.
static int in_child(void (*fn)(void), char *out, size_t outlen) {
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 2);
        close(fd[0]);
        fn();
        _exit(0);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < outlen && (got = read(fd[0], out + n, outlen - 1 - n)) > 0) n += (size_t)got;
    out[n] = 0;
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static volatile size_t huge_n = SIZE_MAX / 4;   // volatile: no compile-time overflow warning
static void overflowing_array(void) { (void)xmalloc_array(huge_n, 8); }
#ifndef __SANITIZE_ADDRESS__
static void impossible_size(void) { (void)xmalloc(huge_n); }
#endif

static void test_failures_name_the_size(void **state) {
    (void)state;
    char out[512], want[256];
    assert_int_equal(in_child(overflowing_array, out, sizeof out), SIGABRT);
    snprintf(want, sizeof want, "jackpot: out of memory: cannot allocate %zu × 8 bytes (more than SIZE_MAX) (tests/test_xalloc.c:", (size_t)huge_n);
    if (!strstr(out, want)) fail_msg("got '%s', expected it to contain '%s'", out, want);
#ifndef __SANITIZE_ADDRESS__   // ASan reports an impossible size itself
    assert_int_equal(in_child(impossible_size, out, sizeof out), SIGABRT);
    snprintf(want, sizeof want, "jackpot: out of memory: cannot allocate %zu bytes (tests/test_xalloc.c:", (size_t)huge_n);
    if (!strstr(out, want)) fail_msg("got '%s', expected it to contain '%s'", out, want);
#endif
}

static void test_ordinary_use(void **state) {
    (void)state;
    char *p = xmalloc(0), *q = xcalloc(0, 8);   // zero bytes: still a pointer to free
    assert_non_null(p);
    assert_non_null(q);
    free(p);
    free(q);
    int *a = xcalloc(4, sizeof(int));
    for (int i = 0; i < 4; i++) assert_int_equal(a[i], 0), a[i] = i + 1;
    a = xrealloc_array(a, 1000, sizeof(int));
    for (int i = 0; i < 4; i++) assert_int_equal(a[i], i + 1);
    free(a);
    char *s = xstrdup("jackpot");
    assert_string_equal(s, "jackpot");
    free(s);
}

static int check(const char *s, size_t len, Utf8Error *e) { return utf8_check(s, len, e); }

static void test_utf8_edges(void **state) {
    (void)state;
    Utf8Error e;
    // accepted: ASCII, the first and last code point of each length, a BOM
    const char *ok = "a\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xef\xbb\xbf\xed\x9f\xbf\xee\x80\x80";
    assert_int_equal(check(ok, strlen(ok), &e), 0);
    struct { const char *s; size_t len, offset; const char *why; } bad[] = {
        { "\x80", 1, 0, "not UTF-8" },                         // a lone continuation byte
        { "ab\xff", 3, 2, "not UTF-8" },
        { "\xc0\x80", 2, 0, "an overlong encoding" },          // NUL, overlong
        { "\xe0\x9f\xbf", 3, 0, "an overlong encoding" },
        { "\xf0\x8f\xbf\xbf", 4, 0, "an overlong encoding" },
        { "\xed\xa0\x80", 3, 0, "a UTF-16 surrogate" },
        { "\xf4\x90\x80\x80", 4, 0, "a code point past U+10FFFF" },
        { "\xf5\x80\x80\x80", 4, 0, "not UTF-8" },
        { "x\xe2\x82", 3, 1, "a UTF-8 sequence cut short" },   // at the end of the text
        { "\xe2\x28\xa1", 3, 0, "a UTF-8 sequence cut short" },
        { "a\0b", 3, 1, "a NUL byte" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(check(bad[i].s, bad[i].len, &e), -1);
        assert_int_equal(e.offset, bad[i].offset);
        assert_string_equal(e.why, bad[i].why);
    }
    // line and column (in characters) of the bad byte
    const char *text = "ok: 1\n\xc3\xa9t\xc3\xa9: \xff\n";
    assert_int_equal(check(text, strlen(text), &e), -1);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.col, 6);
    assert_int_equal(e.byte, 0xff);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failures_name_the_size),
        cmocka_unit_test(test_ordinary_use),
        cmocka_unit_test(test_utf8_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
