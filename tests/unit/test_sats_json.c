/*
 * Tests for src/sats/json.c: typed and untyped output of every kind, the
 * examples of protocol.md §2.2, exact big integers, every lenient input
 * form, round trips, and errors that name the path in the value.
 */
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "base/base.h"
#include "sats/sats.h"
#include "sats_util.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

#define TYPED   SATS_JSON_TYPED
#define UNTYPED SATS_JSON_UNTYPED

static sats_value_t vu(uint64_t u)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.u = u;
    return v;
}

static sats_value_t vi(int64_t i)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.i = i;
    return v;
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

static sats_value_t vstr(const char *s, size_t n)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.str.ptr = s;
    v.u.str.len = (uint32_t)n;
    return v;
}

/* A wide integer from big-endian hex (up to 64 digits), sign-filled from
 * bit 8*nbytes-1 when fill_sign. */
static sats_value_t vwide(const char *hex, size_t nbytes, bool fill_sign)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i++) {
        char c = hex[n - 1 - i];
        unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
        v.u.wide[i / 2] |= (uint8_t)(d << (4 * (i % 2)));
    }
    if (fill_sign && (v.u.wide[nbytes - 1] & 0x80))
        memset(v.u.wide + nbytes, 0xff, 32 - nbytes);
    return v;
}

static sats_value_t vprod(lc_arena_t *a, uint32_t n, const sats_value_t *items)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.elems.n = n;
    v.u.elems.items = n ? lc_arena_memdup(a, items, n * sizeof *items) : NULL;
    return v;
}

static sats_value_t vsum(lc_arena_t *a, uint8_t tag, sats_value_t payload)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    v.u.sum.tag = tag;
    v.u.sum.payload = lc_arena_memdup(a, &payload, sizeof payload);
    return v;
}

static sats_value_t vunit(void)
{
    sats_value_t v;
    memset(&v, 0, sizeof v);
    return v;
}

/* Results land in a ring of static buffers so two fit in one CHECK. */
static char ring[8][4096];
static int ring_at;

static char *next_buf(void)
{
    return ring[ring_at++ % 8];
}

/* The JSON text of v, or "ERROR <code>: <message>". */
static const char *enc(const sats_type_t *t, const sats_value_t *v, sats_json_mode_t mode)
{
    char *s = next_buf();
    lc_buf_t b = {0};
    lc_err_t err;
    int rc = sats_json_encode(&b, NULL, t, v, mode, &err);
    if (rc < 0)
        snprintf(s, 4096, "ERROR %d: %s", rc, err.msg);
    else
        snprintf(s, 4096, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    lc_buf_free(&b);
    return s;
}

/* Decode text as t, then write it again in mode; or "ERROR <code>: <message>". */
static const char *reenc(lc_arena_t *a, const sats_type_t *t, const char *text,
                         sats_json_mode_t mode)
{
    sats_value_t v;
    lc_err_t err;
    int rc = sats_json_decode(a, text, strlen(text), NULL, t, &v, &err);
    if (rc < 0) {
        char *s = next_buf();
        snprintf(s, 4096, "ERROR %d: %s", rc, err.msg);
        return s;
    }
    return enc(t, &v, mode);
}

/* Decode text as t and give the error message, or "OK". */
static const char *dec_err(lc_arena_t *a, const sats_type_t *t, const char *text)
{
    sats_value_t v;
    lc_err_t err;
    if (sats_json_decode(a, text, strlen(text), NULL, t, &v, &err) == 0)
        return "OK";
    char *s = next_buf();
    snprintf(s, 4096, "%s", err.msg);
    return s;
}

static int dec_code(lc_arena_t *a, const sats_type_t *t, const char *text)
{
    sats_value_t v;
    return sats_json_decode(a, text, strlen(text), NULL, t, &v, NULL);
}

#define ID_HEX "c2000123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

/* ---------------------------------------------------------------- output */

TEST(json_encode_integers_exact)
{
    sats_value_t v = vu(255);
    CHECK_EQ_STR(enc(P(SATS_U8), &v, TYPED), "255");
    v = vi(-128);
    CHECK_EQ_STR(enc(P(SATS_I8), &v, TYPED), "-128");
    v = vi(-32768);
    CHECK_EQ_STR(enc(P(SATS_I16), &v, TYPED), "-32768");
    v = vu(65535);
    CHECK_EQ_STR(enc(P(SATS_U16), &v, UNTYPED), "65535");
    v = vi(INT32_MIN);
    CHECK_EQ_STR(enc(P(SATS_I32), &v, TYPED), "-2147483648");
    v = vu(UINT32_MAX);
    CHECK_EQ_STR(enc(P(SATS_U32), &v, TYPED), "4294967295");
    v = vi(INT64_MIN);
    CHECK_EQ_STR(enc(P(SATS_I64), &v, TYPED), "-9223372036854775808");
    v = vu(UINT64_MAX);
    CHECK_EQ_STR(enc(P(SATS_U64), &v, TYPED), "18446744073709551615");
    v = vwide("80000000000000000000000000000000", 16, true);
    CHECK_EQ_STR(enc(P(SATS_I128), &v, TYPED), "-170141183460469231731687303715884105728");
    v = vwide("ffffffffffffffffffffffffffffffff", 16, false);
    CHECK_EQ_STR(enc(P(SATS_U128), &v, UNTYPED), "340282366920938463463374607431768211455");
    v = vwide("2a", 16, true);
    CHECK_EQ_STR(enc(P(SATS_I128), &v, TYPED), "42");
}

TEST(json_encode_256_bit_as_hex_strings)
{
    sats_value_t v = vwide("2a", 32, true);
    CHECK_EQ_STR(enc(P(SATS_U256), &v, TYPED), "\"0x2a\"");
    CHECK_EQ_STR(enc(P(SATS_I256), &v, UNTYPED), "\"0x2a\"");
    memset(v.u.wide, 0xff, 32);
    v.u.wide[0] = 0xd6; /* -42 */
    CHECK_EQ_STR(enc(P(SATS_I256), &v, TYPED), "\"-0x2a\"");
    v = vunit();
    CHECK_EQ_STR(enc(P(SATS_U256), &v, TYPED), "\"0x0\"");
    memset(v.u.wide, 0xff, 32);
    CHECK_EQ_STR(enc(P(SATS_U256), &v, TYPED),
                 "\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"");
    memset(v.u.wide, 0, 32);
    v.u.wide[31] = 0x80; /* i256 min */
    CHECK_EQ_STR(enc(P(SATS_I256), &v, TYPED),
                 "\"-0x8000000000000000000000000000000000000000000000000000000000000000\"");
}

TEST(json_encode_floats)
{
    struct {
        double f;
        const char *want;
    } cases[] = {
        {1.0, "1.0"},
        {0.1, "0.1"},
        {-2.5, "-2.5"},
        {1e20, "1e20"},
        {1.5e-7, "1.5e-7"},
        {123456.789, "123456.789"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1e16, "1e16"},
        {1e15, "1000000000000000.0"},
        {0.00001, "0.00001"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e308"},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        sats_value_t v = vf64(cases[i].f);
        CHECK_EQ_STR(enc(P(SATS_F64), &v, TYPED), cases[i].want);
    }
    sats_value_t v = vf32(594806.58906f);
    CHECK_EQ_STR(enc(P(SATS_F32), &v, TYPED), "594806.56");
    v = vf32(0.1f);
    CHECK_EQ_STR(enc(P(SATS_F32), &v, TYPED), "0.1");
    v = vf64(NAN);
    CHECK_EQ_STR(enc(P(SATS_F64), &v, TYPED), "null");
    v = vf32(-INFINITY);
    CHECK_EQ_STR(enc(P(SATS_F32), &v, UNTYPED), "null");
}

TEST(json_encode_strings_escaped)
{
    static const char s[] = "a\"b\\c\n\t\x01\x7f\xc3\xa9/";
    sats_value_t v = vstr(s, sizeof s - 1);
    CHECK_EQ_STR(enc(P(SATS_STRING), &v, TYPED), "\"a\\\"b\\\\c\\n\\t\\u0001\x7f\xc3\xa9/\"");
    v = vstr("x\0y", 3);
    CHECK_EQ_STR(enc(P(SATS_STRING), &v, TYPED), "\"x\\u0000y\"");
    v = vstr("", 0);
    CHECK_EQ_STR(enc(P(SATS_STRING), &v, TYPED), "\"\"");
    v = vstr("\xff", 1);
    CHECK_EQ_STR(enc(P(SATS_STRING), &v, TYPED),
                 "ERROR -2: at top level: string is not valid UTF-8");
    v.u.b = true;
    CHECK_EQ_STR(enc(P(SATS_BOOL), &v, TYPED), "true");
}

TEST(json_encode_products_typed_and_untyped)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *t = PRODUCT(&a, 2, "id", P(SATS_U32), "name", P(SATS_STRING));
    sats_value_t items[] = {vu(1), vstr("Bob", 3)};
    sats_value_t v = vprod(&a, 2, items);
    CHECK_EQ_STR(enc(t, &v, TYPED), "{\"id\":1,\"name\":\"Bob\"}");
    CHECK_EQ_STR(enc(t, &v, UNTYPED), "[1,\"Bob\"]");
    const sats_type_t *tu = PRODUCT(&a, 2, NULL, P(SATS_U32), NULL, P(SATS_STRING));
    CHECK_EQ_STR(enc(tu, &v, TYPED), "{\"0\":1,\"1\":\"Bob\"}");
    sats_value_t unit = vunit();
    CHECK_EQ_STR(enc(sats_type_unit(), &unit, TYPED), "[]");
    CHECK_EQ_STR(enc(sats_type_unit(), &unit, UNTYPED), "[]");
    lc_arena_free(&a);
}

TEST(json_encode_sums_and_options)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *opt = sats_type_option(&a, P(SATS_I32));
    sats_value_t some = vsum(&a, 0, vi(5)), none = vsum(&a, 1, vunit());
    CHECK_EQ_STR(enc(opt, &some, TYPED), "{\"some\":5}");
    CHECK_EQ_STR(enc(opt, &none, TYPED), "{\"none\":[]}");
    CHECK_EQ_STR(enc(opt, &some, UNTYPED), "[0,5]");
    CHECK_EQ_STR(enc(opt, &none, UNTYPED), "[1,[]]");
    none.u.sum.payload = NULL; /* a missing unit payload is tolerated */
    CHECK_EQ_STR(enc(opt, &none, UNTYPED), "[1,[]]");
    const sats_type_t *s = SUM(&a, 2, "Wasm", sats_type_unit(), NULL, P(SATS_STRING));
    sats_value_t v = vsum(&a, 1, vstr("js", 2));
    CHECK_EQ_STR(enc(s, &v, TYPED), "{\"1\":\"js\"}");
    v = vsum(&a, 0, vunit());
    CHECK_EQ_STR(enc(s, &v, TYPED), "{\"Wasm\":[]}");
    v.u.sum.tag = 2;
    CHECK_EQ_STR(enc(s, &v, TYPED),
                 "ERROR -2: at top level: variant tag 2 out of range (the sum has 2)");
    lc_arena_free(&a);
}

TEST(json_encode_special_types)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_value_t w = vwide(ID_HEX, 32, false);
    sats_value_t id = vprod(&a, 1, &w);
    CHECK_EQ_STR(enc(sats_type_identity(), &id, TYPED), "{\"__identity__\":\"0x" ID_HEX "\"}");
    CHECK_EQ_STR(enc(sats_type_identity(), &id, UNTYPED), "[\"0x" ID_HEX "\"]");
    sats_value_t us = vi(1767225600000000);
    sats_value_t ts = vprod(&a, 1, &us);
    CHECK_EQ_STR(enc(sats_type_timestamp(), &ts, TYPED),
                 "{\"__timestamp_micros_since_unix_epoch__\":1767225600000000}");
    CHECK_EQ_STR(enc(sats_type_timestamp(), &ts, UNTYPED), "[1767225600000000]");
    sats_value_t d = vi(-1500000);
    sats_value_t dur = vprod(&a, 1, &d);
    CHECK_EQ_STR(enc(sats_type_time_duration(), &dur, TYPED),
                 "{\"__time_duration_micros__\":-1500000}");
    sats_value_t c = vwide("4d2", 16, false);
    sats_value_t cid = vprod(&a, 1, &c);
    CHECK_EQ_STR(enc(sats_type_connection_id(), &cid, TYPED), "{\"__connection_id__\":1234}");
    sats_value_t sched = vsum(&a, 0, dur);
    CHECK_EQ_STR(enc(sats_type_schedule_at(), &sched, TYPED),
                 "{\"Interval\":{\"__time_duration_micros__\":-1500000}}");
    CHECK_EQ_STR(enc(sats_type_schedule_at(), &sched, UNTYPED), "[0,[-1500000]]");
    lc_arena_free(&a);
}

TEST(json_encode_bytes_and_arrays)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    static const uint8_t raw[] = {1, 2, 0xff};
    sats_value_t b = vunit();
    b.u.bytes.ptr = raw;
    b.u.bytes.len = 3;
    CHECK_EQ_STR(enc(sats_type_bytes(), &b, TYPED), "\"0102ff\"");
    b.u.bytes.len = 0;
    CHECK_EQ_STR(enc(sats_type_bytes(), &b, UNTYPED), "\"\"");
    const sats_type_t *arr = sats_type_array(&a, P(SATS_U32));
    sats_value_t items[] = {vu(1), vu(2), vu(3)};
    sats_value_t v = vprod(&a, 3, items);
    CHECK_EQ_STR(enc(arr, &v, TYPED), "[1,2,3]");
    v.u.elems.n = 0;
    CHECK_EQ_STR(enc(arr, &v, TYPED), "[]");
    /* Array<Option<String>> nested */
    const sats_type_t *nested = sats_type_array(&a, sats_type_option(&a, P(SATS_STRING)));
    sats_value_t opts[] = {vsum(&a, 0, vstr("x", 1)), vsum(&a, 1, vunit())};
    v = vprod(&a, 2, opts);
    CHECK_EQ_STR(enc(nested, &v, TYPED), "[{\"some\":\"x\"},{\"none\":[]}]");
    CHECK_EQ_STR(enc(nested, &v, UNTYPED), "[[0,\"x\"],[1,[]]]");
    lc_arena_free(&a);
}

TEST(json_encode_refs_and_errors_keep_buffer)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *inner = PRODUCT(&a, 1, "x", P(SATS_U8));
    const sats_type_t *types[] = {inner};
    sats_typespace_t ts = {1, types};
    const sats_type_t *t = PRODUCT(&a, 1, "p", sats_type_ref(&a, 0));
    sats_value_t x = vu(7);
    sats_value_t in = vprod(&a, 1, &x);
    sats_value_t v = vprod(&a, 1, &in);
    lc_buf_t b = {0};
    lc_err_t err;
    CHECK_OK(lc_buf_puts(&b, "keep"));
    CHECK_OK(sats_json_encode(&b, &ts, t, &v, TYPED, &err));
    CHECK_OK(lc_buf_terminate(&b));
    CHECK_EQ_STR((char *)b.data, "keep{\"p\":{\"x\":7}}");
    b.len = 4;
    CHECK_EQ_INT(sats_json_encode(&b, NULL, t, &v, TYPED, &err), LC_EINVAL);
    CHECK_EQ_STR(err.msg, "at .p: type reference cannot be resolved");
    CHECK_EQ_INT(b.len, 4);
    /* a bad tag deep inside: the path names it */
    const sats_type_t *lst =
        sats_type_array(&a, PRODUCT(&a, 1, "o", sats_type_option(&a, P(SATS_U8))));
    sats_value_t bad = vsum(&a, 9, vunit());
    sats_value_t row = vprod(&a, 1, &bad);
    sats_value_t rows[] = {row, row};
    sats_value_t arr = vprod(&a, 2, rows);
    CHECK_EQ_INT(sats_json_encode(&b, NULL, lst, &arr, UNTYPED, &err), LC_EINVAL);
    CHECK_EQ_STR(err.msg, "at [0].o: variant tag 9 out of range (the sum has 2)");
    CHECK_EQ_INT(b.len, 4);
    lc_buf_free(&b);
    lc_arena_free(&a);
}

TEST(json_from_value_builds_jansson)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *t =
        PRODUCT(&a, 5, "id", P(SATS_U64), "big", P(SATS_U64), "o", sats_type_option(&a, P(SATS_I8)),
                "h", P(SATS_U256), "f", P(SATS_F64));
    sats_value_t items[] = {vu(7), vu(UINT64_MAX), vsum(&a, 1, vunit()), vwide("2a", 32, false),
                            vf64(NAN)};
    sats_value_t v = vprod(&a, 5, items);
    lc_err_t err;
    json_t *j = sats_json_from_value(NULL, t, &v, TYPED, &err);
    CHECK(j != NULL);
    CHECK(json_is_integer(json_object_get(j, "id")));
    CHECK(json_is_real(json_object_get(j, "big"))); /* documented fallback */
    CHECK(json_real_value(json_object_get(j, "big")) == 18446744073709551616.0);
    char *text = json_dumps(json_object_get(j, "o"), JSON_COMPACT);
    CHECK_EQ_STR(text, "{\"none\":[]}");
    free(text);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "h")), "0x2a");
    CHECK(json_is_null(json_object_get(j, "f")));
    json_decref(j);
    j = sats_json_from_value(NULL, t, &v, UNTYPED, &err);
    CHECK(json_is_array(j) && json_array_size(j) == 5);
    text = json_dumps(json_array_get(j, 2), JSON_COMPACT);
    CHECK_EQ_STR(text, "[1,[]]");
    free(text);
    json_decref(j);
    /* i128 min is outside int64: a real */
    sats_value_t m = vwide("80000000000000000000000000000000", 16, true);
    j = sats_json_from_value(NULL, P(SATS_I128), &m, TYPED, &err);
    CHECK(json_is_real(j) && json_real_value(j) == -1.7014118346046923e38);
    json_decref(j);
    m = vwide("ffffffffffffffffffffffffffffff85", 16, true); /* -123 */
    j = sats_json_from_value(NULL, P(SATS_I128), &m, TYPED, &err);
    CHECK(json_is_integer(j) && json_integer_value(j) == -123);
    json_decref(j);
    v.u.elems.items[2].u.sum.tag = 5;
    CHECK(sats_json_from_value(NULL, t, &v, TYPED, &err) == NULL);
    CHECK_EQ_STR(err.msg, "at .o: variant tag 5 out of range (the sum has 2)");
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- input */

TEST(json_decode_products_both_forms)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *t = PRODUCT(&a, 2, "id", P(SATS_U32), "name", P(SATS_STRING));
    CHECK_EQ_STR(reenc(&a, t, "[1,\"Bob\"]", TYPED), "{\"id\":1,\"name\":\"Bob\"}");
    CHECK_EQ_STR(reenc(&a, t, " {\"name\": \"Bob\", \"id\": 1} ", UNTYPED), "[1,\"Bob\"]");
    CHECK_EQ_STR(dec_err(&a, t, "{\"id\":1}"), "at top level: missing field name");
    CHECK_EQ_STR(dec_err(&a, t, "{}"), "at top level: missing fields id, name");
    CHECK_EQ_STR(dec_err(&a, t, "{\"id\":1,\"name\":\"x\",\"age\":3}"),
                 "at top level: unknown field \"age\" (expected id, name)");
    CHECK_EQ_STR(dec_err(&a, t, "[1]"), "at top level: expected an array of 2 elements, got 1");
    CHECK_EQ_STR(dec_err(&a, t, "\"Bob\""),
                 "at top level: expected an object or an array, got \"Bob\"");
    CHECK(strncmp(dec_err(&a, t, "{\"id\":1,\"id\":2,\"name\":\"x\"}"), "invalid JSON", 12) == 0);
    const sats_type_t *tu = PRODUCT(&a, 2, NULL, P(SATS_U8), NULL, P(SATS_BOOL));
    CHECK_EQ_STR(reenc(&a, tu, "{\"1\":true,\"0\":3}", UNTYPED), "[3,true]");
    CHECK_EQ_STR(reenc(&a, sats_type_unit(), "[]", TYPED), "[]");
    CHECK_EQ_STR(reenc(&a, sats_type_unit(), "{}", TYPED), "[]");
    CHECK_EQ_STR(dec_err(&a, sats_type_unit(), "[1]"),
                 "at top level: expected an array of 0 elements, got 1");
    lc_arena_free(&a);
}

TEST(json_decode_sums_every_form)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *opt = sats_type_option(&a, P(SATS_I32));
    const char *some_forms[] = {"{\"some\":5}", "{\"0\":5}", "[0,5]",
                                "[\"some\",5]", "[\"0\",5]", "{\"+0\":5}"};
    for (size_t i = 0; i < LC_ARRAY_LEN(some_forms); i++)
        CHECK_EQ_STR(reenc(&a, opt, some_forms[i], UNTYPED), "[0,5]");
    const char *none_forms[] = {"null",   "{\"none\":[]}", "{\"none\":{}}", "{\"none\":null}",
                                "[1,[]]", "{\"1\":[]}"};
    for (size_t i = 0; i < LC_ARRAY_LEN(none_forms); i++)
        CHECK_EQ_STR(reenc(&a, opt, none_forms[i], TYPED), "{\"none\":[]}");
    CHECK_EQ_STR(dec_err(&a, opt, "5"),
                 "at top level: expected a sum ({\"variant\": payload} or [tag, payload]), got 5");
    CHECK_EQ_STR(dec_err(&a, opt, "{\"Some\":5}"),
                 "at top level: unknown variant \"Some\" (expected some, none)");
    CHECK_EQ_STR(dec_err(&a, opt, "{\"some\":5,\"none\":[]}"),
                 "at top level: expected an object with exactly one key (the variant), got 2 keys");
    CHECK_EQ_STR(dec_err(&a, opt, "[2,5]"),
                 "at top level: variant tag 2 out of range (the sum has 2)");
    CHECK_EQ_STR(dec_err(&a, opt, "[300,5]"), "at top level: variant tag 300 out of range");
    CHECK_EQ_STR(dec_err(&a, opt, "[0]"), "at top level: expected [tag, payload], got 1 elements");
    CHECK_EQ_STR(dec_err(&a, opt, "{\"some\":\"x\"}"),
                 "at .some: expected an integer (I32), got \"x\"");
    CHECK_EQ_STR(dec_err(&a, opt, "{\"none\":[1]}"),
                 "at .none: expected an array of 0 elements, got 1");
    /* null is none only for an Option */
    const sats_type_t *res = sats_type_result(&a, P(SATS_U8), P(SATS_STRING));
    CHECK_EQ_STR(reenc(&a, res, "{\"err\":\"no\"}", UNTYPED), "[1,\"no\"]");
    CHECK(strstr(dec_err(&a, res, "null"), "expected a sum") != NULL);
    lc_arena_free(&a);
}

TEST(json_decode_big_integers_exact)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK_EQ_STR(reenc(&a, P(SATS_U64), "18446744073709551615", TYPED), "18446744073709551615");
    CHECK_EQ_STR(reenc(&a, P(SATS_I64), "-9223372036854775808", TYPED), "-9223372036854775808");
    CHECK_EQ_STR(reenc(&a, P(SATS_I128), "-170141183460469231731687303715884105728", TYPED),
                 "-170141183460469231731687303715884105728");
    CHECK_EQ_STR(reenc(&a, P(SATS_U128), "340282366920938463463374607431768211455", TYPED),
                 "340282366920938463463374607431768211455");
    const sats_type_t *arr = sats_type_array(&a, P(SATS_U128));
    CHECK_EQ_STR(reenc(&a, arr, "[340282366920938463463374607431768211455, 0, -0]", TYPED),
                 "[340282366920938463463374607431768211455,0,0]");
    CHECK_EQ_STR(reenc(&a, P(SATS_U256), "\"0x2a\"", TYPED), "\"0x2a\"");
    CHECK_EQ_STR(reenc(&a, P(SATS_I256), "\"-0x2a\"", TYPED), "\"-0x2a\"");
    CHECK_EQ_STR(reenc(&a, P(SATS_I256), "-42", TYPED), "\"-0x2a\"");
    CHECK_EQ_STR(reenc(&a, P(SATS_U256), "\"1000000000000000000000000000000\"", TYPED),
                 "\"0xc9f2c9cd04674edea40000000\"");
    CHECK_EQ_STR(
        reenc(&a, P(SATS_U256),
              "115792089237316195423570985008687907853269984665640564039457584007913129639935",
              TYPED),
        "\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"");
    CHECK_EQ_STR(reenc(&a, P(SATS_U8), "\"200\"", TYPED), "200");
    CHECK_EQ_STR(reenc(&a, P(SATS_U16), "\"0xff\"", TYPED), "255");
    CHECK_EQ_STR(reenc(&a, P(SATS_U8), "3.0", TYPED), "3");
    CHECK_EQ_STR(reenc(&a, P(SATS_U128), "1e30", TYPED), "1000000000000000019884624838656");
    /* ranges */
    CHECK_EQ_STR(dec_err(&a, P(SATS_U8), "256"), "at top level: 256 is out of range for U8");
    CHECK_EQ_STR(dec_err(&a, P(SATS_I8), "-129"), "at top level: -129 is out of range for I8");
    CHECK_EQ_STR(reenc(&a, P(SATS_I8), "-128", TYPED), "-128");
    CHECK_EQ_STR(dec_err(&a, P(SATS_U32), "-1"), "at top level: -1 is out of range for U32");
    CHECK_EQ_STR(dec_err(&a, P(SATS_U64), "18446744073709551616"),
                 "at top level: 18446744073709551616 is out of range for U64");
    CHECK_EQ_STR(dec_err(&a, P(SATS_I128), "170141183460469231731687303715884105728"),
                 "at top level: 170141183460469231731687303715884105728 is out of range for I128");
    CHECK_EQ_STR(
        dec_err(&a, P(SATS_U256),
                "\"0x1"
                "0000000000000000000000000000000000000000000000000000000000000000\""),
        "at top level: \"0x1000000000000000000000000000000000000000000000000000000000...\" is out "
        "of range for U256");
    CHECK_EQ_INT(dec_code(&a, P(SATS_U8), "256"), LC_ERANGE);
    CHECK_EQ_STR(dec_err(&a, P(SATS_U8), "1.5"), "at top level: expected an integer (U8), got 1.5");
    CHECK_EQ_STR(dec_err(&a, P(SATS_U8), "\"12a\""),
                 "at top level: expected an integer (U8), got \"12a\"");
    CHECK_EQ_STR(dec_err(&a, P(SATS_U8), "true"),
                 "at top level: expected an integer (U8), got true");
    CHECK_EQ_INT(dec_code(&a, P(SATS_U8), "true"), LC_EINVAL);
    lc_arena_free(&a);
}

TEST(json_decode_floats_and_bools)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK_EQ_STR(reenc(&a, P(SATS_F64), "1", TYPED), "1.0");
    CHECK_EQ_STR(reenc(&a, P(SATS_F64), "-2.5e3", TYPED), "-2500.0");
    CHECK_EQ_STR(reenc(&a, P(SATS_F64), "\"0.25\"", TYPED), "0.25");
    CHECK_EQ_STR(reenc(&a, P(SATS_F64), "123456789012345678901234567890", TYPED),
                 "1.2345678901234568e29");
    CHECK_EQ_STR(reenc(&a, P(SATS_F32), "0.1", TYPED), "0.1");
    sats_value_t v;
    CHECK_OK(sats_json_decode(&a, "\"NaN\"", 5, NULL, P(SATS_F64), &v, NULL));
    CHECK(isnan(v.u.f64));
    CHECK_OK(sats_json_decode(&a, "\"-Infinity\"", 11, NULL, P(SATS_F32), &v, NULL));
    CHECK(isinf(v.u.f32) && v.u.f32 < 0);
    CHECK_EQ_STR(dec_err(&a, P(SATS_F32), "1e39"), "at top level: 1e39 is out of range for F32");
    CHECK_EQ_STR(dec_err(&a, P(SATS_F64), "\"x1\""),
                 "at top level: expected a number (F64), got \"x1\"");
    CHECK_EQ_STR(dec_err(&a, P(SATS_F64), "null"),
                 "at top level: expected a number (F64), got null");
    CHECK_EQ_STR(reenc(&a, P(SATS_BOOL), "false", TYPED), "false");
    CHECK_EQ_STR(dec_err(&a, P(SATS_BOOL), "1"), "at top level: expected true or false, got 1");
    lc_arena_free(&a);
}

TEST(json_decode_strings_and_nul_escapes)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK_EQ_STR(reenc(&a, P(SATS_STRING), "\"h\\u00e9\\n\"", TYPED), "\"h\xc3\xa9\\n\"");
    /* strings that start with NUL survive the big-integer rewrite */
    CHECK_EQ_STR(reenc(&a, P(SATS_STRING), "\"\\u0000\"", TYPED), "\"\\u0000\"");
    CHECK_EQ_STR(reenc(&a, P(SATS_STRING), "\"\\u0000123\"", TYPED), "\"\\u0000123\"");
    const sats_type_t *arr = sats_type_array(&a, P(SATS_STRING));
    CHECK_EQ_STR(reenc(&a, arr, "[\"\\u000012345678901234567890\", \"\\u0000\\u0000x\"]", TYPED),
                 "[\"\\u000012345678901234567890\",\"\\u0000\\u0000x\"]");
    /* a big number is no string, a numeric string no number */
    CHECK_EQ_STR(dec_err(&a, P(SATS_STRING), "12345678901234567890123"),
                 "at top level: expected a string, got 12345678901234567890123");
    CHECK_EQ_STR(dec_err(&a, P(SATS_STRING), "12"), "at top level: expected a string, got 12");
    CHECK_EQ_STR(reenc(&a, P(SATS_STRING), "\"12345678901234567890123\"", TYPED),
                 "\"12345678901234567890123\"");
    /* object keys are never rewritten */
    const sats_type_t *t = PRODUCT(&a, 1, "a", P(SATS_U8));
    CHECK(strncmp(dec_err(&a, t, "{\"\\u0000\": 1}"), "invalid JSON", 12) == 0);
    CHECK(strncmp(dec_err(&a, t, "{\"\\u0000\" : 1}"), "invalid JSON", 12) == 0);
    CHECK_EQ_STR(dec_err(&a, P(SATS_STRING), "[1"),
                 "invalid JSON at line 1, column 2: ']' expected near end of file");
    lc_arena_free(&a);
}

TEST(json_decode_bytes_forms)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *b = sats_type_bytes();
    CHECK_EQ_STR(reenc(&a, b, "\"0102ff\"", TYPED), "\"0102ff\"");
    CHECK_EQ_STR(reenc(&a, b, "\"0x0102FF\"", TYPED), "\"0102ff\"");
    CHECK_EQ_STR(reenc(&a, b, "[1, 2, 255]", TYPED), "\"0102ff\"");
    CHECK_EQ_STR(reenc(&a, b, "[]", TYPED), "\"\"");
    CHECK_EQ_STR(reenc(&a, b, "\"\"", TYPED), "\"\"");
    CHECK_EQ_STR(dec_err(&a, b, "\"012\""),
                 "at top level: hex string has an odd number of digits (3)");
    CHECK_EQ_STR(dec_err(&a, b, "\"zz\""),
                 "at top level: expected a hex string or an array of bytes, got \"zz\"");
    CHECK_EQ_STR(dec_err(&a, b, "[1, 256]"), "at [1]: 256 is out of range for U8");
    CHECK_EQ_STR(dec_err(&a, b, "7"),
                 "at top level: expected a hex string or an array of bytes, got 7");
    lc_arena_free(&a);
}

TEST(json_decode_special_types_bare_and_wrapped)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *id = sats_type_identity();
    const char *want = "[\"0x" ID_HEX "\"]";
    CHECK_EQ_STR(reenc(&a, id, "{\"__identity__\":\"0x" ID_HEX "\"}", UNTYPED), want);
    CHECK_EQ_STR(reenc(&a, id, "[\"0x" ID_HEX "\"]", UNTYPED), want);
    CHECK_EQ_STR(reenc(&a, id, "\"0x" ID_HEX "\"", UNTYPED), want);
    CHECK_EQ_STR(reenc(&a, id, "\"" ID_HEX "\"", UNTYPED), want);
    CHECK_EQ_STR(dec_err(&a, id, "\"c200\""),
                 "at top level: expected 64 hex digits for an Identity, got \"c200\"");
    const sats_type_t *ts = sats_type_timestamp();
    CHECK_EQ_STR(reenc(&a, ts, "1767225600000000", TYPED),
                 "{\"__timestamp_micros_since_unix_epoch__\":1767225600000000}");
    CHECK_EQ_STR(reenc(&a, ts, "[1767225600000000]", TYPED),
                 "{\"__timestamp_micros_since_unix_epoch__\":1767225600000000}");
    CHECK_EQ_STR(reenc(&a, sats_type_time_duration(), "\"-5\"", UNTYPED), "[-5]");
    CHECK_EQ_STR(reenc(&a, sats_type_connection_id(), "1234", TYPED),
                 "{\"__connection_id__\":1234}");
    CHECK_EQ_STR(
        reenc(&a, sats_type_connection_id(), "\"000000000000000000000000000004d2\"", TYPED),
        "{\"__connection_id__\":1234}");
    CHECK_EQ_STR(reenc(&a, sats_type_uuid(), "\"00000000-0000-0000-0000-0000000004d2\"", UNTYPED),
                 "[1234]");
    CHECK_EQ_STR(reenc(&a, sats_type_schedule_at(), "{\"Time\": 5}", TYPED),
                 "{\"Time\":{\"__timestamp_micros_since_unix_epoch__\":5}}");
    lc_arena_free(&a);
}

TEST(json_decode_errors_name_the_path)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *inner = PRODUCT(&a, 2, "b", P(SATS_U8), NULL, P(SATS_STRING));
    const sats_type_t *t = PRODUCT(&a, 2, "name", P(SATS_STRING), "a", sats_type_array(&a, inner));
    CHECK_EQ_STR(dec_err(&a, t, "{\"name\":\"x\",\"a\":[[1,\"y\"],{\"b\":\"no\",\"1\":\"z\"}]}"),
                 "at .a[1].b: expected an integer (U8), got \"no\"");
    CHECK_EQ_STR(dec_err(&a, t, "{\"name\":\"x\",\"a\":[[1,2]]}"),
                 "at .a[0].1: expected a string, got 2");
    CHECK_EQ_STR(dec_err(&a, t, "{\"name\":5,\"a\":[]}"), "at .name: expected a string, got 5");
    CHECK_EQ_STR(dec_err(&a, t, "{\"name\":\"x\",\"a\":{}}"),
                 "at .a: expected an array, got an object");
    CHECK_EQ_STR(dec_err(&a, t, "nope"),
                 "invalid JSON at line 1, column 4: invalid token near 'nope'");
    const sats_type_t *opt = sats_type_option(&a, t);
    CHECK_EQ_STR(dec_err(&a, opt, "{\"some\":{\"name\":1,\"a\":[]}}"),
                 "at .some.name: expected a string, got 1");
    /* a Ref that leads nowhere */
    CHECK_EQ_STR(dec_err(&a, sats_type_ref(&a, 3), "1"),
                 "at top level: type reference cannot be resolved");
    lc_arena_free(&a);
}

TEST(json_decode_depth_is_bounded)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    /* a self-referential list type: Ref 0 = Option<(head: U8, tail: Ref 0)> */
    const sats_type_t *node = PRODUCT(&a, 2, "head", P(SATS_U8), "tail", sats_type_ref(&a, 0));
    const sats_type_t *types[] = {sats_type_option(&a, node)};
    sats_typespace_t ts = {1, types};
    lc_buf_t b = {0};
    for (int i = 0; i < 40; i++) CHECK_OK(lc_buf_puts(&b, "[0,[1,"));
    CHECK_OK(lc_buf_puts(&b, "null"));
    for (int i = 0; i < 40; i++) CHECK_OK(lc_buf_puts(&b, "]]"));
    sats_value_t v;
    lc_err_t err;
    CHECK_EQ_INT(sats_json_decode(&a, (char *)b.data, b.len, &ts, types[0], &v, &err), LC_EINVAL);
    CHECK(strstr(err.msg, "value nests deeper than 64 levels") != NULL);
    lc_buf_reset(&b);
    for (int i = 0; i < 10; i++) CHECK_OK(lc_buf_puts(&b, "[0,[1,"));
    CHECK_OK(lc_buf_puts(&b, "null"));
    for (int i = 0; i < 10; i++) CHECK_OK(lc_buf_puts(&b, "]]"));
    CHECK_OK(sats_json_decode(&a, (char *)b.data, b.len, &ts, types[0], &v, &err));
    lc_buf_reset(&b);
    CHECK_OK(sats_json_encode(&b, &ts, types[0], &v, UNTYPED, &err));
    CHECK_OK(lc_buf_terminate(&b));
    CHECK(strncmp((char *)b.data, "[0,[1,[0,[1,", 12) == 0);
    lc_buf_free(&b);
    lc_arena_free(&a);
}

TEST(json_round_trip_typed_and_untyped)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *t = PRODUCT(
        &a, 14, "b", P(SATS_BOOL), "i8", P(SATS_I8), "u16", P(SATS_U16), "i32", P(SATS_I32), "u64",
        P(SATS_U64), "i128", P(SATS_I128), "u128", P(SATS_U128), "i256", P(SATS_I256), "f32",
        P(SATS_F32), "f64", P(SATS_F64), "s", P(SATS_STRING), "bytes", sats_type_bytes(), "opt",
        sats_type_option(&a, sats_type_array(&a, sats_type_identity())), "when",
        sats_type_schedule_at());
    const char *typed =
        "{\"b\":true,\"i8\":-7,\"u16\":65535,\"i32\":-2147483648,\"u64\":18446744073709551615,"
        "\"i128\":-170141183460469231731687303715884105728,"
        "\"u128\":340282366920938463463374607431768211455,\"i256\":\"-0x1234567890abcdef\","
        "\"f32\":3.4028235e38,\"f64\":-1.2345678901234568e-300,\"s\":\"\\u0000\\\"\xe2\x82\xac\","
        "\"bytes\":\"00ff\",\"opt\":{\"some\":[{\"__identity__\":\"0x" ID_HEX "\"}]},"
        "\"when\":{\"Time\":{\"__timestamp_micros_since_unix_epoch__\":-1}}}";
    const char *untyped = reenc(&a, t, typed, UNTYPED);
    CHECK_EQ_STR(untyped,
                 "[true,-7,65535,-2147483648,18446744073709551615,"
                 "-170141183460469231731687303715884105728,"
                 "340282366920938463463374607431768211455,\"-0x1234567890abcdef\","
                 "3.4028235e38,-1.2345678901234568e-300,\"\\u0000\\\"\xe2\x82\xac\",\"00ff\","
                 "[0,[[\"0x" ID_HEX "\"]]],[1,[-1]]]");
    CHECK_EQ_STR(reenc(&a, t, typed, TYPED), typed);
    CHECK_EQ_STR(reenc(&a, t, untyped, TYPED), typed);
    /* value equality through both forms */
    sats_value_t v1, v2;
    CHECK_OK(sats_json_decode(&a, typed, strlen(typed), NULL, t, &v1, NULL));
    CHECK_OK(sats_json_decode(&a, untyped, strlen(untyped), NULL, t, &v2, NULL));
    CHECK(sats_value_eq(NULL, t, &v1, &v2));
    /* through jansson: u64 max became the double 2^64 (the documented
     * fallback), which no longer fits */
    json_t *j = sats_json_from_value(NULL, t, &v1, UNTYPED, NULL);
    CHECK(j != NULL);
    sats_value_t v3;
    lc_err_t err;
    CHECK_EQ_INT(sats_json_to_value(&a, j, NULL, t, &v3, &err), LC_ERANGE);
    CHECK_EQ_STR(err.msg, "at .u64: 1.8446744073709552e19 is out of range for U64");
    /* with u64 max - 2047 it comes back, one double below */
    json_array_set_new(j, 4, json_real(18446744073709549568.0));
    json_array_set_new(j, 5, json_integer(-5));
    json_array_set_new(j, 6, json_integer(5));
    CHECK_EQ_INT(sats_json_to_value(&a, j, NULL, t, &v3, &err), 0);
    json_decref(j);
    CHECK(v3.u.elems.items[0].u.b && v3.u.elems.items[1].u.i == -7);
    CHECK(v3.u.elems.items[4].u.u == 18446744073709549568u);
    v3.u.elems.items[4] = v1.u.elems.items[4];
    v3.u.elems.items[5] = v1.u.elems.items[5];
    v3.u.elems.items[6] = v1.u.elems.items[6];
    CHECK(sats_value_eq(NULL, t, &v1, &v3));
    lc_arena_free(&a);
}

TEST(json_float_round_trip_is_exact)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const double samples[] = {0.1,
                              1.0 / 3,
                              2.0 / 3,
                              1e-310,
                              4.9e-324,
                              1.7976931348623157e308,
                              123456789.123456789,
                              -0.000123,
                              9007199254740993.0,
                              0.3};
    for (size_t i = 0; i < LC_ARRAY_LEN(samples); i++) {
        sats_value_t v = vf64(samples[i]), back;
        const char *text = enc(P(SATS_F64), &v, TYPED);
        CHECK_OK(sats_json_decode(&a, text, strlen(text), NULL, P(SATS_F64), &back, NULL));
        CHECK_MSG(back.u.f64 == samples[i], "%s did not read back", text);
        if (fabs(samples[i]) > FLT_MAX)
            continue;
        v = vf32((float)samples[i]);
        text = enc(P(SATS_F32), &v, TYPED);
        CHECK_OK(sats_json_decode(&a, text, strlen(text), NULL, P(SATS_F32), &back, NULL));
        CHECK_MSG(back.u.f32 == (float)samples[i], "%s did not read back as f32", text);
    }
    lc_arena_free(&a);
}

TEST(json_to_value_with_jansson_input)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *t = PRODUCT(&a, 2, "n", P(SATS_U64), "s", P(SATS_STRING));
    json_t *j = json_pack("{s:I,s:s}", "n", (json_int_t)42, "s", "\xc3\xa9");
    sats_value_t v;
    lc_err_t err;
    CHECK_OK(sats_json_to_value(&a, j, NULL, t, &v, &err));
    CHECK_EQ_INT(v.u.elems.items[0].u.u, 42);
    CHECK_EQ_STR(v.u.elems.items[1].u.str.ptr, "\xc3\xa9");
    json_decref(j);
    /* not marked: a string starting with NUL is just a string */
    j = json_stringn("\0"
                     "12",
                     3);
    CHECK_OK(sats_json_to_value(&a, j, NULL, P(SATS_STRING), &v, &err));
    CHECK_EQ_INT(v.u.str.len, 3);
    json_decref(j);
    CHECK_EQ_INT(sats_json_to_value(&a, NULL, NULL, t, &v, &err), LC_EINVAL);
    lc_arena_free(&a);
}

TEST(json_out_of_memory_is_clean)
{
    const char *text = "{\"a\":[1,2,3],\"s\":\"hello\",\"o\":{\"some\":\"0102\"},"
                       "\"n\":340282366920938463463374607431768211455}";
    int rc = LC_ENOMEM;
    for (long n = 1; n < 500 && rc == LC_ENOMEM; n++) {
        lc_arena_t a;
        lc_arena_init(&a, 64);
        const sats_type_t *t = NULL;
        lc_buf_t b = {0};
        lc_err_t err;
        sats_value_t v;
        lc_fault_alloc_after(n);
        t = PRODUCT(&a, 4, "a", sats_type_array(&a, P(SATS_U16)), "s", P(SATS_STRING), "o",
                    sats_type_option(&a, sats_type_bytes()), "n", P(SATS_U128));
        rc = t ? sats_json_decode(&a, text, strlen(text), NULL, t, &v, &err) : LC_ENOMEM;
        if (rc == 0)
            rc = sats_json_encode(&b, NULL, t, &v, TYPED, &err);
        lc_fault_alloc_after(0);
        if (rc == 0) {
            CHECK_OK(lc_buf_terminate(&b));
            CHECK_EQ_STR((char *)b.data, text);
        } else {
            CHECK_EQ_INT(rc, LC_ENOMEM);
            CHECK_EQ_INT(b.len, 0);
        }
        lc_buf_free(&b);
        lc_arena_free(&a);
    }
    CHECK_EQ_INT(rc, 0);
}

const test_case_t test_sats_json_cases[] = {
    TEST_CASE(json_encode_integers_exact),
    TEST_CASE(json_encode_256_bit_as_hex_strings),
    TEST_CASE(json_encode_floats),
    TEST_CASE(json_encode_strings_escaped),
    TEST_CASE(json_encode_products_typed_and_untyped),
    TEST_CASE(json_encode_sums_and_options),
    TEST_CASE(json_encode_special_types),
    TEST_CASE(json_encode_bytes_and_arrays),
    TEST_CASE(json_encode_refs_and_errors_keep_buffer),
    TEST_CASE(json_from_value_builds_jansson),
    TEST_CASE(json_decode_products_both_forms),
    TEST_CASE(json_decode_sums_every_form),
    TEST_CASE(json_decode_big_integers_exact),
    TEST_CASE(json_decode_floats_and_bools),
    TEST_CASE(json_decode_strings_and_nul_escapes),
    TEST_CASE(json_decode_bytes_forms),
    TEST_CASE(json_decode_special_types_bare_and_wrapped),
    TEST_CASE(json_decode_errors_name_the_path),
    TEST_CASE(json_decode_depth_is_bounded),
    TEST_CASE(json_round_trip_typed_and_untyped),
    TEST_CASE(json_float_round_trip_is_exact),
    TEST_CASE(json_to_value_with_jansson_input),
    TEST_CASE(json_out_of_memory_is_clean),
    TEST_END,
};
