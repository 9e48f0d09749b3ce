// safetensors: the exact bytes of a small file, a round trip, a reading by another
// tool (Python's json and struct, as the format's spec describes it), and refusals.
#include "testutil.h"
#include <stdint.h>
#include <unistd.h>

#include "base/error.h"
#include "nn/safetensors.h"

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    if (temp_dir_make(dir, sizeof dir, "safetensors") != 0) return -1;
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

static void write_bytes(const char *p, const void *b, size_t n) {
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

// One tensor w = [1, −2] and one metadata pair: the header is the JSON below, padded
// with spaces to 88 bytes (a multiple of 8), then 00 00 80 3f and 00 00 00 c0.
static void test_exact_bytes(void **state) {
    (void)state;
    const float w[2] = { 1.0f, -2.0f };
    SafeTensorOut t = { "w", 1, { 2 }, w };
    const char *meta[1][2] = { { "step", "3" } };
    assert_int_equal(safetensors_write(path, &t, 1, meta, 1), 0);
    const char *json = "{\"__metadata__\":{\"step\":\"3\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t padded = (strlen(json) + 7) / 8 * 8;
    unsigned char want[256] = { 0 };
    uint64_t n = padded;
    memcpy(want, &n, 8);
    memset(want + 8, ' ', padded);
    memcpy(want + 8, json, strlen(json));
    const unsigned char data[8] = { 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0 };
    memcpy(want + 8 + padded, data, 8);
    FILE *f = fopen(path, "rb");
    unsigned char got[256];
    size_t len = fread(got, 1, sizeof got, f);
    fclose(f);
    assert_int_equal(len, 8 + padded + 8);
    assert_memory_equal(got, want, len);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);   // renamed into place
}

static void test_round_trip_and_python_reads_it(void **state) {
    (void)state;
    float a[2 * 3], b[4], c[1] = { 3.25f };
    for (int i = 0; i < 6; i++) a[i] = (float)i / 7.0f - 0.3f;
    for (int i = 0; i < 4; i++) b[i] = -1e-30f * (float)(i + 1);
    SafeTensorOut t[3] = { { "blocks.0.attn.w_qkv", 2, { 2, 3 }, a }, { "ln_f.bias", 1, { 4 }, b }, { "scalar", 0, { 0 }, c } };
    const char *meta[2][2] = { { "format", "jackpot gpt" }, { "quote \"and\" slash \\", "ünïcode" } };
    assert_int_equal(safetensors_write(path, t, 3, meta, 2), 0);
    SafeTensors st;
    if (safetensors_read(path, &st) != 0) fail_msg("%s", jp_error());
    assert_int_equal(st.n, 3);
    const SafeTensorIn *x = safetensors_find(&st, "blocks.0.attn.w_qkv");
    assert_non_null(x);
    assert_int_equal(x->ndim, 2);
    assert_true(x->shape[0] == 2 && x->shape[1] == 3 && x->count == 6);
    assert_memory_equal(x->data, a, sizeof a);
    assert_memory_equal(safetensors_find(&st, "ln_f.bias")->data, b, sizeof b);
    const SafeTensorIn *s = safetensors_find(&st, "scalar");
    assert_true(s->ndim == 0 && s->count == 1 && s->data[0] == 3.25f);
    assert_null(safetensors_find(&st, "nope"));
    assert_string_equal(safetensors_meta(&st, "format"), "jackpot gpt");
    assert_string_equal(safetensors_meta(&st, "quote \"and\" slash \\"), "ünïcode");
    safetensors_free(&st);
    // another reader: the format's definition in a few lines of Python
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import json,struct,sys; b=open('%s','rb').read(); n=struct.unpack('<Q',b[:8])[0]; "
             "h=json.loads(b[8:8+n]); t=h['blocks.0.attn.w_qkv']; s,e=t['data_offsets']; "
             "v=struct.unpack('<6f',b[8+n+s:8+n+e]); sys.exit(0 if t['shape']==[2,3] and abs(v[5]-(5/7-0.3))<1e-6 "
             "and h['__metadata__']['format']=='jackpot gpt' else 1)\"", path);
    assert_int_equal(system(cmd), 0);
}

static void expect_refusal(const void *bytes, size_t n, const char *why) {
    write_bytes(path, bytes, n);
    SafeTensors st;
    assert_int_equal(safetensors_read(path, &st), -1);
    if (!strstr(jp_error(), why) || !strstr(jp_error(), path)) fail_msg("error '%s' lacks '%s'", jp_error(), why);
}

static void test_refusals(void **state) {
    (void)state;
    expect_refusal("abc", 3, "not a safetensors file");
    uint64_t huge = 1ull << 40;
    expect_refusal(&huge, 8, "not a safetensors file");
    static unsigned char b[512];
    struct { const char *json; size_t data; const char *why; } bad[] = {
        { "[1,2]", 0, "not a JSON object" },
        { "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "only F32" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "do not hold its 2" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "the data are 4 bytes" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"v\":{\"dtype\":\"F32\",\"shape\":[1],"
          "\"data_offsets\":[0,4]}}", 8, "does not start where" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "not a whole number" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t n = strlen(bad[i].json);
        memcpy(b, &n, 8);
        memcpy(b + 8, bad[i].json, n);
        memset(b + 8 + n, 0, bad[i].data);
        expect_refusal(b, 8 + n + bad[i].data, bad[i].why);
    }
    SafeTensors st;
    assert_int_equal(safetensors_read("/nonexistent/w.safetensors", &st), -1);
    assert_non_null(strstr(jp_error(), "No such file"));
    float w = 1;
    SafeTensorOut t = { "w", 1, { 1 }, &w };
    assert_int_equal(safetensors_write("/nonexistent/w.safetensors", &t, 1, NULL, 0), -1);
    assert_non_null(strstr(jp_error(), "/nonexistent/w.safetensors: cannot write the weights"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_and_python_reads_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
