// The one JSON writer (base/json): every string it writes is valid JSON that reads back
// as the text (quotes, backslashes, control characters; bytes that are not UTF-8 as
// U+FFFD), every finite number reads back as the same double, NaN and inf as null.
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

// What SQLite's JSON reader makes of text: its value as text (json_extract of the whole),
// and whether it is valid at all.
static int parse(const char *json, char *value, size_t cap) {
    sqlite3 *h;
    sqlite3_stmt *st;
    sqlite3_open(":memory:", &h);
    sqlite3_prepare_v2(h, "SELECT json_valid(?1), json_extract(?1, '$')", -1, &st, NULL);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int ok = sqlite3_column_int(st, 0);
    const unsigned char *v = sqlite3_column_text(st, 1);
    snprintf(value, cap, "%s", v ? (const char *)v : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(h);
    return ok;
}

static char *written(void (*write)(FILE *, const void *), const void *arg) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    write(f, arg);
    fclose(f);
    return text;
}

static void w_str(FILE *f, const void *s) { json_str(f, s); }
static void w_num(FILE *f, const void *v) { json_num(f, *(const double *)v); }

static void test_strings_round_trip(void **state) {
    (void)state;
    const char *texts[] = { "plain", "db:/tmp/a\"b\\c/x.db", "tab\there\nnew line\r\b\f", "\x01\x1f end",
                            "grüße, α ∝ N^−½, 🙂", "", "/*'\"--" };
    char value[256];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *j = written(w_str, texts[i]);
        if (!parse(j, value, sizeof value)) fail_msg("invalid JSON for text %zu: %s", i, j);
        assert_string_equal(value, texts[i]);
        for (const unsigned char *p = (const unsigned char *)j; *p; p++) assert_true(*p >= 0x20);   // no raw control byte
        free(j);
    }
    // bytes that are not UTF-8 (a lone continuation, an overlong '/', a surrogate, 0xff): U+FFFD each
    const char *bad[] = { "a\x80z", "a\xc0\xafz", "a\xed\xa0\x80z", "%\xff" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *j = written(w_str, bad[i]);
        if (!parse(j, value, sizeof value)) fail_msg("invalid JSON for bad UTF-8 %zu: %s", i, j);
        assert_non_null(strstr(j, "\\ufffd"));
        free(j);
    }
    char *j = written(w_str, NULL);
    assert_string_equal(j, "null");
    free(j);
    json_str(NULL, "nothing");   // a NULL stream writes nothing
    json_num(NULL, 1.0);
}

static void test_numbers_round_trip(void **state) {
    (void)state;
    const double v[] = { 0, -0.0, 0.9, 1e-3, 1.0 / 3, 6.02214076e23, -2.5e-308, 1.7976931348623157e308, 4.9e-324, 123456789012345678.0 };
    char value[256];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *j = written(w_num, &v[i]);
        assert_int_equal(parse(j, value, sizeof value), 1);
        assert_true(strtod(j, NULL) == v[i]);
        free(j);
    }
    char *j = written(w_num, &(double){ 0.9 });
    assert_string_equal(j, "0.9");   // the shortest text that reads back, not 0.90000000000000002
    free(j);
    const double odd[] = { NAN, INFINITY, -INFINITY };
    for (int i = 0; i < 3; i++) {
        j = written(w_num, &odd[i]);
        assert_string_equal(j, "null");
        free(j);
    }
}

// The tests' own reader (testutil.h: json_number_at and friends), on a document with
// every kind of value.
static void test_reading_by_path(void **state) {
    (void)state;
    const char *doc = "{\"law\":\"power\",\"n\":10,\"x\":0.25,\"none\":null,\"ok\":true,"
                      "\"path\":\"/tmp/q\\\"u\\\\o\",\"a\":[1,{\"b\":-2e-3}],\"key with space\":{}}";
    assert_json_text(doc, "$.law", "power");
    assert_json_text(doc, "$.path", "/tmp/q\"u\\o");   // unescaped
    assert_json_text(doc, "$.a", "[1,{\"b\":-2e-3}]");
    assert_true(json_number_at(doc, "$.n") == 10);
    assert_true(json_number_at(doc, "$.x") == 0.25);
    assert_true(json_number_at(doc, "$.a[1].b") == -2e-3);
    assert_true(isnan(json_number_at(doc, "$.none")));
    assert_int_equal(json_length_at(doc, "$.a"), 2);
    assert_true(json_type_is(doc, "$.none", "null"));
    assert_true(json_type_is(doc, "$.ok", "true"));
    assert_true(json_type_is(doc, "$.\"key with space\"", "object"));
    assert_true(json_type_is(doc, "$.missing", "absent"));
    assert_true(json_type_is(doc, "$.a[2]", "absent"));
    assert_true(json_type_is("[]", "$", "array"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_round_trip),
        cmocka_unit_test(test_numbers_round_trip),
        cmocka_unit_test(test_reading_by_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
