/*
 * Tests for src/sats/print.c: values as `spacetime sql` prints them (the
 * expected texts come from the reference's smoketests/tests/sql.py) and the
 * psql-style table.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "base/base.h"
#include "sats/sats.h"
#include "sats_util.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

static char ring[8][2048];
static int ring_at;

/* The printed text of v, or "ERROR <code>". */
static const char *pr(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *v)
{
    char *s = ring[ring_at++ % 8];
    lc_buf_t b = {0};
    int rc = sats_print_value(&b, ts, t, v);
    if (rc < 0)
        snprintf(s, 2048, "ERROR %d", rc);
    else
        snprintf(s, 2048, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    lc_buf_free(&b);
    return s;
}

/* Read v from JSON (json.c is tested on its own), then print it. */
static const char *pj(lc_arena_t *a, const sats_type_t *t, const char *json)
{
    sats_value_t v;
    lc_err_t err;
    if (sats_json_decode(a, json, strlen(json), NULL, t, &v, &err) < 0) {
        char *s = ring[ring_at++ % 8];
        snprintf(s, 2048, "BAD JSON: %s", err.msg);
        return s;
    }
    return pr(NULL, t, &v);
}

static sats_value_t vf64(double f)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.f64 = f;
    return v;
}

static sats_value_t vf32(float f)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.f32 = f;
    return v;
}

static const char *table(uint32_t ncols, const char *const *headers, uint32_t nrows,
                         const char *const *cells)
{
    char *s = ring[ring_at++ % 8];
    lc_buf_t b = {0};
    int rc = sats_print_table(&b, ncols, headers, nrows, cells);
    if (rc < 0)
        snprintf(s, 2048, "ERROR %d", rc);
    else
        snprintf(s, 2048, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    lc_buf_free(&b);
    return s;
}

/* ---------------------------------------------------------------- values */

TEST(print_integers)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK_EQ_STR(pj(&a, P(SATS_I8), "-25"), "-25");
    CHECK_EQ_STR(pj(&a, P(SATS_U8), "105"), "105");
    CHECK_EQ_STR(pj(&a, P(SATS_I64), "-9223372036854775808"), "-9223372036854775808");
    CHECK_EQ_STR(pj(&a, P(SATS_U64), "18446744073709551615"), "18446744073709551615");
    CHECK_EQ_STR(pj(&a, P(SATS_I128), "-234434897853"), "-234434897853");
    CHECK_EQ_STR(pj(&a, P(SATS_U128), "340282366920938463463374607431768211455"),
                 "340282366920938463463374607431768211455");
    CHECK_EQ_STR(pj(&a, P(SATS_I256), "-234434897853"), "-234434897853");
    CHECK_EQ_STR(pj(&a, P(SATS_U256), "\"0x2a\""), "42");
    CHECK_EQ_STR(pj(&a, P(SATS_I256),
                    "\"-0x8000000000000000000000000000000000000000000000000000000000000000\""),
                 "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    CHECK_EQ_STR(pj(&a, P(SATS_BOOL), "true"), "true");
    lc_arena_free(&a);
}

TEST(print_floats_like_rust_display)
{
    struct {
        double f;
        const char *want;
    } cases[] = {
        /* The reference module stores -3454353.345389043278459, whose
         * shortest form is -3454353.3453890434; its smoke test shows
         * -3454353.345389043 because serde_json's default (not correctly
         * rounded) float parser hands the CLI the neighbouring double.  That
         * double prints the same here: */
        {-3454353.345389043, "-3454353.345389043"},
        {-3454353.345389043278459, "-3454353.3453890434"},
        {1.0, "1"},
        {0.1, "0.1"},
        {1e21, "1000000000000000000000"},
        {1e-7, "0.0000001"},
        {-0.0, "-0"},
        {0.0, "0"},
        {NAN, "NaN"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {56.78, "56.78"},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        sats_value_t v = vf64(cases[i].f);
        CHECK_EQ_STR(pr(NULL, P(SATS_F64), &v), cases[i].want);
    }
    sats_value_t v = vf32(594806.58906f);
    CHECK_EQ_STR(pr(NULL, P(SATS_F32), &v), "594806.56");
    v = vf32(12.34f);
    CHECK_EQ_STR(pr(NULL, P(SATS_F32), &v), "12.34");
    v = vf32(3.4028235e38f);
    CHECK_EQ_STR(pr(NULL, P(SATS_F32), &v), "340282350000000000000000000000000000000");
}

TEST(print_strings_bytes_arrays)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK_EQ_STR(pj(&a, P(SATS_STRING), "\"This is spacetimedb\""), "\"This is spacetimedb\"");
    /* as the reference: the text as it is, quotes and newlines included */
    CHECK_EQ_STR(pj(&a, P(SATS_STRING), "\"a\\\"b\\nc\""), "\"a\"b\nc\"");
    CHECK_EQ_STR(pj(&a, sats_type_bytes(), "[1,2,3,4,5,6,7]"), "0x01020304050607");
    CHECK_EQ_STR(pj(&a, sats_type_bytes(), "[]"), "0x");
    const sats_type_t *arr = sats_type_array(&a, P(SATS_I32));
    CHECK_EQ_STR(pj(&a, arr, "[1,-2,3]"), "[1, -2, 3]");
    CHECK_EQ_STR(pj(&a, arr, "[]"), "[]");
    const sats_type_t *strs = sats_type_array(&a, P(SATS_STRING));
    CHECK_EQ_STR(pj(&a, strs, "[\"a\",\"b\"]"), "[\"a\", \"b\"]");
    lc_arena_free(&a);
}

TEST(print_special_types)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK_EQ_STR(pj(&a, sats_type_identity(), "\"0x1\""),
                 "0x0000000000000000000000000000000000000000000000000000000000000001");
    CHECK_EQ_STR(pj(&a, sats_type_identity(),
                    "\"c2000123456789abcdef0123456789abcdef0123456789abcdef0123456789ab\""),
                 "0xc2000123456789abcdef0123456789abcdef0123456789abcdef0123456789ab");
    CHECK_EQ_STR(pj(&a, sats_type_connection_id(), "0"), "0x00000000000000000000000000000000");
    CHECK_EQ_STR(pj(&a, sats_type_connection_id(), "\"0x0102\""),
                 "0x00000000000000000000000000000102");
    CHECK_EQ_STR(pj(&a, sats_type_uuid(), "0"), "\"00000000-0000-0000-0000-000000000000\"");
    CHECK_EQ_STR(pj(&a, sats_type_uuid(), "\"0x123456789abcdef0fedcba9876543210\""),
                 "\"12345678-9abc-def0-fedc-ba9876543210\"");
    const sats_type_t *ts = sats_type_timestamp();
    CHECK_EQ_STR(pj(&a, ts, "0"), "1970-01-01T00:00:00+00:00");
    CHECK_EQ_STR(pj(&a, ts, "1767225600000000"), "2026-01-01T00:00:00+00:00");
    CHECK_EQ_STR(pj(&a, ts, "1767225600500000"), "2026-01-01T00:00:00.500+00:00");
    CHECK_EQ_STR(pj(&a, ts, "1767225600000001"), "2026-01-01T00:00:00.000001+00:00");
    CHECK_EQ_STR(pj(&a, ts, "951782400123000"), "2000-02-29T00:00:00.123+00:00");
    CHECK_EQ_STR(pj(&a, ts, "-1"), "1969-12-31T23:59:59.999999+00:00");
    CHECK_EQ_STR(pj(&a, ts, "-62135596800000000"), "0001-01-01T00:00:00+00:00");
    CHECK_EQ_STR(pj(&a, ts, "-62167219200000001"), "-0001-12-31T23:59:59.999999+00:00");
    CHECK_EQ_STR(pj(&a, ts, "253402300800000000"), "+10000-01-01T00:00:00+00:00");
    CHECK_EQ_STR(pj(&a, ts, "-9223372036854775808"), "-9223372036854.775808");
    CHECK_EQ_STR(pj(&a, ts, "9223372036854775807"), "9223372036854.775807");
    const sats_type_t *d = sats_type_time_duration();
    CHECK_EQ_STR(pj(&a, d, "0"), "+0.000000");
    CHECK_EQ_STR(pj(&a, d, "1500000"), "+1.500000");
    CHECK_EQ_STR(pj(&a, d, "-1"), "-0.000001");
    CHECK_EQ_STR(pj(&a, d, "-9223372036854775808"), "-9223372036854.775808");
    lc_arena_free(&a);
}

TEST(print_products_and_sums_as_the_reference)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    /* smoketests/tests/sql.py: t_ints_tuple */
    const sats_type_t *ints =
        PRODUCT(&a, 6, "i_8", P(SATS_I8), "i_16", P(SATS_I16), "i_32", P(SATS_I32), "i_64",
                P(SATS_I64), "i_128", P(SATS_I128), "i_256", P(SATS_I256));
    CHECK_EQ_STR(pj(&a, ints, "[-25,-3224,-23443,-2344353,-234434897853,-234434897853]"),
                 "(i_8 = -25, i_16 = -3224, i_32 = -23443, i_64 = -2344353, i_128 = "
                 "-234434897853, i_256 = -234434897853)");
    /* t_others_tuple */
    const sats_type_t *others =
        PRODUCT(&a, 10, "bool", P(SATS_BOOL), "f_32", P(SATS_F32), "f_64", P(SATS_F64), "str",
                P(SATS_STRING), "bytes", sats_type_bytes(), "identity", sats_type_identity(),
                "connection_id", sats_type_connection_id(), "timestamp", sats_type_timestamp(),
                "duration", sats_type_time_duration(), "uuid", sats_type_uuid());
    CHECK_EQ_STR(
        pj(&a, others,
           "[true, 594806.58906, -3454353.345389043, \"This is spacetimedb\", "
           "\"01020304050607\", \"0x1\", 0, 0, 0, 0]"),
        "(bool = true, f_32 = 594806.56, f_64 = -3454353.345389043, str = \"This is spacetimedb\", "
        "bytes = 0x01020304050607, identity = "
        "0x0000000000000000000000000000000000000000000000000000000000000001, connection_id = "
        "0x00000000000000000000000000000000, timestamp = 1970-01-01T00:00:00+00:00, duration = "
        "+0.000000, uuid = \"00000000-0000-0000-0000-000000000000\")");
    /* t_enums and t_enums_tuple */
    const sats_type_t *action =
        SUM(&a, 2, "Inactive", sats_type_unit(), "Active", sats_type_unit());
    const sats_type_t *opt = sats_type_option(&a, P(SATS_BOOL));
    const sats_type_t *res = sats_type_result(&a, P(SATS_BOOL), P(SATS_STRING));
    CHECK_EQ_STR(pj(&a, opt, "{\"some\":true}"), "(some = true)");
    CHECK_EQ_STR(pj(&a, opt, "null"), "(none = ())");
    CHECK_EQ_STR(pj(&a, res, "{\"ok\":false}"), "(ok = false)");
    CHECK_EQ_STR(pj(&a, action, "{\"Active\":[]}"), "(Active = ())");
    const sats_type_t *enums =
        PRODUCT(&a, 3, "bool_opt", opt, "bool_result", res, "action", action);
    CHECK_EQ_STR(pj(&a, enums, "[[0,true],[0,false],[1,[]]]"),
                 "(bool_opt = (some = true), bool_result = (ok = false), action = (Active = ()))");
    /* unnamed fields and variants */
    const sats_type_t *tup = PRODUCT(&a, 2, NULL, P(SATS_U8), NULL, P(SATS_STRING));
    CHECK_EQ_STR(pj(&a, tup, "[1,\"x\"]"), "(col_0 = 1, col_1 = \"x\")");
    const sats_type_t *anon = SUM(&a, 2, NULL, P(SATS_U8), NULL, tup);
    CHECK_EQ_STR(pj(&a, anon, "[1,[2,\"y\"]]"), "(col_1 = (col_0 = 2, col_1 = \"y\"))");
    CHECK_EQ_STR(pj(&a, sats_type_unit(), "[]"), "()");
    CHECK_EQ_STR(pj(&a, sats_type_schedule_at(), "{\"Interval\": 1000000}"),
                 "(Interval = +1.000000)");
    const sats_type_t *ids = sats_type_array(&a, opt);
    CHECK_EQ_STR(pj(&a, ids, "[null,[0,false]]"), "[(none = ()), (some = false)]");
    lc_arena_free(&a);
}

TEST(print_errors_leave_buffer)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *opt = sats_type_option(&a, P(SATS_BOOL));
    const sats_type_t *t = PRODUCT(&a, 2, "x", P(SATS_U8), "o", opt);
    sats_value_t items[2], payload;
    memset(items, 0, sizeof items);
    memset(&payload, 0, sizeof payload);
    items[1].u.sum.tag = 7;
    items[1].u.sum.payload = &payload;
    sats_value_t v;
    v.u.elems.n = 2;
    v.u.elems.items = items;
    lc_buf_t b = {0};
    CHECK_OK(lc_buf_puts(&b, "keep"));
    CHECK_EQ_INT(sats_print_value(&b, NULL, t, &v), LC_EINVAL);
    CHECK_EQ_INT(b.len, 4);
    CHECK_EQ_INT(sats_print_value(&b, NULL, sats_type_ref(&a, 0), &v), LC_EINVAL);
    items[1].u.sum.tag = 1;
    items[1].u.sum.payload = NULL; /* a missing unit payload prints as () */
    CHECK_OK(sats_print_value(&b, NULL, t, &v));
    CHECK_OK(lc_buf_terminate(&b));
    CHECK_EQ_STR((char *)b.data, "keep(x = 0, o = (none = ()))");
    lc_buf_free(&b);
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- tables */

TEST(print_table_psql_style)
{
    /* smoketests/tests/sql.py: SELECT * FROM t_ints (the test strips
     * trailing spaces; tabled pads every cell, as here) */
    const char *h[] = {"i_8", "i_16", "i_32", "i_64", "i_128", "i_256"};
    const char *c[] = {"-25", "-3224", "-23443", "-2344353", "-234434897853", "-234434897853"};
    CHECK_EQ_STR(table(6, h, 1, c),
                 " i_8 | i_16  | i_32   | i_64     | i_128         | i_256         \n"
                 "-----+-------+--------+----------+---------------+---------------\n"
                 " -25 | -3224 | -23443 | -2344353 | -234434897853 | -234434897853 \n");
    const char *h2[] = {"bool_opt", "bool_result", "action"};
    const char *c2[] = {"(some = true)", "(ok = false)", "(Active = ())"};
    CHECK_EQ_STR(table(3, h2, 1, c2), " bool_opt      | bool_result  | action        \n"
                                      "---------------+--------------+---------------\n"
                                      " (some = true) | (ok = false) | (Active = ()) \n");
    const char *h3[] = {"id", "name"};
    const char *c3[] = {"1", "\"Bob\"", "22", "\"Al\""};
    CHECK_EQ_STR(table(2, h3, 2, c3), " id | name  \n"
                                      "----+-------\n"
                                      " 1  | \"Bob\" \n"
                                      " 22 | \"Al\"  \n");
    CHECK_EQ_STR(table(2, h3, 0, NULL), " id | name \n----+------\n");
    CHECK_EQ_STR(table(0, NULL, 0, NULL), "");
}

TEST(print_table_wide_and_multiline_cells)
{
    const char *h[] = {"k", "v"};
    /* "名前" is 4 columns wide; "e\xcc\x81" (e + combining acute) is 1 */
    const char *c[] = {"\xe5\x90\x8d\xe5\x89\x8d", "e\xcc\x81", "x", "\"two\nlines\""};
    CHECK_EQ_STR(table(2, h, 2, c), " k    | v      \n"
                                    "------+--------\n"
                                    " \xe5\x90\x8d\xe5\x89\x8d | e\xcc\x81      \n"
                                    " x    | \"two   \n"
                                    "      | lines\" \n");
    const char *nul[] = {NULL, ""};
    CHECK_EQ_STR(table(2, h, 1, nul), " k | v \n---+---\n   |   \n");
}

TEST(print_out_of_memory_is_clean)
{
    const char *h[] = {"id", "name"};
    const char *c[] = {"1", "\"Bob\"", "22", "\"Al\""};
    int rc = LC_ENOMEM;
    for (long n = 1; n < 100 && rc == LC_ENOMEM; n++) {
        lc_buf_t b = {0};
        lc_fault_alloc_after(n);
        rc = sats_print_table(&b, 2, h, 2, c);
        lc_fault_alloc_after(0);
        CHECK(rc == 0 || (rc == LC_ENOMEM && b.len == 0));
        lc_buf_free(&b);
    }
    CHECK_EQ_INT(rc, 0);
}

const test_case_t test_sats_print_cases[] = {
    TEST_CASE(print_integers),
    TEST_CASE(print_floats_like_rust_display),
    TEST_CASE(print_strings_bytes_arrays),
    TEST_CASE(print_special_types),
    TEST_CASE(print_products_and_sums_as_the_reference),
    TEST_CASE(print_errors_leave_buffer),
    TEST_CASE(print_table_psql_style),
    TEST_CASE(print_table_wide_and_multiline_cells),
    TEST_CASE(print_out_of_memory_is_clean),
    TEST_END,
};
