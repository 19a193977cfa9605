/*
 * Tests for src/sats/type.c: singletons, special-type recognition, Ref
 * resolution, checks, equality, fixed sizes, rendering, and the BSATN
 * meta-codec of AlgebraicType and Typespace.
 */
#include <stdlib.h>

#include "base/base.h"
#include "sats/sats.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

/* Parse hex with optional spaces into out (at most cap bytes); returns the
 * byte count, or -1 on a malformed string. */
static const char *const some_none[] = {"some", "none"};

/* Encode t and compare with hex; decode the hex back and compare types; every
 * proper prefix must fail with LC_ECORRUPT. */
static bool meta_roundtrip(const sats_type_t *t, const char *hex)
{
    uint8_t want[512];
    long n = test_unhex(hex, want, sizeof want);
    bool ok = n >= 0;
    lc_buf_t b = {0};
    lc_arena_t a;
    lc_arena_init(&a, 0);
    if (ok)
        ok = sats_type_encode(&b, t) == 0 && b.len == (size_t)n && memcmp(b.data, want, b.len) == 0;
    if (ok) {
        lc_rd_t r = lc_rd_make(want, (size_t)n);
        const sats_type_t *back = NULL;
        lc_err_t err;
        ok = sats_type_decode(&a, &r, &back, &err) == 0 && r.len == 0 && sats_type_eq(t, back);
    }
    for (long k = 0; ok && k < n; k++) {
        uint8_t *copy = lc_malloc((size_t)k + 1);
        memcpy(copy, want, (size_t)k);
        lc_rd_t r = lc_rd_make(copy, (size_t)k);
        const sats_type_t *back;
        ok = sats_type_decode(&a, &r, &back, NULL) == LC_ECORRUPT;
        lc_free(copy);
    }
    if (!ok && b.data) {
        char *h = malloc(2 * b.len + 1);
        lc_hex_encode(h, b.data, b.len);
        fprintf(stderr, "  meta encoding: %s\n  expected:      %s\n", h, hex);
        free(h);
    }
    lc_buf_free(&b);
    lc_arena_free(&a);
    return ok;
}

static bool formats_as(const sats_typespace_t *ts, const sats_type_t *t, const char *want)
{
    lc_buf_t b = {0};
    bool ok = sats_type_format(&b, ts, t) == 0 && lc_buf_terminate(&b) == 0 &&
              strcmp((const char *)b.data, want) == 0;
    if (!ok)
        fprintf(stderr, "  formatted \"%s\", expected \"%s\"\n", b.data ? (char *)b.data : "",
                want);
    lc_buf_free(&b);
    return ok;
}

static int decode_hex_type(lc_arena_t *a, const char *hex, const sats_type_t **out, lc_err_t *err)
{
    uint8_t buf[1024];
    long n = test_unhex(hex, buf, sizeof buf);
    if (n < 0)
        return LC_EINVAL;
    lc_rd_t r = lc_rd_make(buf, (size_t)n);
    int rc = sats_type_decode(a, &r, out, err);
    if (rc == 0 && r.len != 0)
        return LC_EINVAL;
    return rc;
}

/* ---------------------------------------------------------------- singletons */

TEST(sats_prim_singletons)
{
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++) {
        const sats_type_t *t = sats_prim((sats_kind_t)k);
        CHECK(t != NULL);
        CHECK_EQ_INT(t->kind, k);
        CHECK(t == sats_prim((sats_kind_t)k));
    }
    CHECK(sats_prim(SATS_REF) == NULL);
    CHECK(sats_prim(SATS_SUM) == NULL);
    CHECK(sats_prim(SATS_PRODUCT) == NULL);
    CHECK(sats_prim(SATS_ARRAY) == NULL);
    CHECK(sats_prim(SATS_KIND_COUNT) == NULL);
    CHECK(sats_prim((sats_kind_t)-1) == NULL);
    CHECK(sats_type_bytes()->kind == SATS_ARRAY);
    CHECK(sats_type_bytes()->u.elem == sats_prim(SATS_U8));
}

TEST(sats_kind_names)
{
    CHECK_EQ_STR(sats_kind_name(SATS_REF), "Ref");
    CHECK_EQ_STR(sats_kind_name(SATS_SUM), "Sum");
    CHECK_EQ_STR(sats_kind_name(SATS_PRODUCT), "Product");
    CHECK_EQ_STR(sats_kind_name(SATS_ARRAY), "Array");
    CHECK_EQ_STR(sats_kind_name(SATS_STRING), "String");
    CHECK_EQ_STR(sats_kind_name(SATS_BOOL), "Bool");
    CHECK_EQ_STR(sats_kind_name(SATS_U32), "U32");
    CHECK_EQ_STR(sats_kind_name(SATS_I256), "I256");
    CHECK_EQ_STR(sats_kind_name(SATS_F64), "F64");
    CHECK_EQ_STR(sats_kind_name(SATS_KIND_COUNT), "?");
}

TEST(sats_special_singletons)
{
    CHECK_EQ_INT(sats_type_special(sats_type_unit()), SATS_SPECIAL_UNIT);
    CHECK_EQ_INT(sats_type_special(sats_type_identity()), SATS_SPECIAL_IDENTITY);
    CHECK_EQ_INT(sats_type_special(sats_type_connection_id()), SATS_SPECIAL_CONNECTION_ID);
    CHECK_EQ_INT(sats_type_special(sats_type_timestamp()), SATS_SPECIAL_TIMESTAMP);
    CHECK_EQ_INT(sats_type_special(sats_type_time_duration()), SATS_SPECIAL_TIME_DURATION);
    CHECK_EQ_INT(sats_type_special(sats_type_uuid()), SATS_SPECIAL_UUID);
    CHECK_EQ_INT(sats_type_special(sats_type_schedule_at()), SATS_SPECIAL_SCHEDULE_AT);
    CHECK_EQ_INT(sats_type_special(sats_type_bytes()), SATS_SPECIAL_NONE);
    CHECK_EQ_INT(sats_type_special(sats_prim(SATS_U32)), SATS_SPECIAL_NONE);
    CHECK_EQ_INT(sats_type_special(NULL), SATS_SPECIAL_NONE);
    CHECK_EQ_STR(sats_type_identity()->u.fields.items[0].name, "__identity__");
    CHECK(sats_type_identity()->u.fields.items[0].type == sats_prim(SATS_U256));
}

TEST(sats_special_structural)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *id_name[] = {"__identity__"};
    const char *ts_name[] = {"__timestamp_micros_since_unix_epoch__"};
    const sats_type_t *u256[] = {sats_prim(SATS_U256)};
    const sats_type_t *u128[] = {sats_prim(SATS_U128)};
    const sats_type_t *i64[] = {sats_prim(SATS_I64)};
    const sats_type_t *ref[] = {sats_type_ref(&a, 0)};

    /* Built by hand, recognised by structure. */
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 1, id_name, u256)), SATS_SPECIAL_IDENTITY);
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 1, ts_name, i64)), SATS_SPECIAL_TIMESTAMP);
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 0, NULL, NULL)), SATS_SPECIAL_UNIT);
    /* Wrong inner kind, a Ref inner, no name, a second field: not special. */
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 1, id_name, u128)), SATS_SPECIAL_NONE);
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 1, id_name, ref)), SATS_SPECIAL_NONE);
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 1, NULL, u256)), SATS_SPECIAL_NONE);
    const char *two[] = {"__identity__", "x"};
    const sats_type_t *two_t[] = {sats_prim(SATS_U256), sats_prim(SATS_U8)};
    CHECK_EQ_INT(sats_type_special(sats_type_product(&a, 2, two, two_t)), SATS_SPECIAL_NONE);
    /* A sum with those names is not a product. */
    CHECK_EQ_INT(sats_type_special(sats_type_sum(&a, 1, id_name, u256)), SATS_SPECIAL_NONE);

    /* Option, Result, ScheduleAt. */
    sats_type_t *opt = sats_type_option(&a, sats_prim(SATS_STRING));
    CHECK_EQ_INT(sats_type_special(opt), SATS_SPECIAL_OPTION);
    CHECK_EQ_STR(opt->u.fields.items[0].name, "some");
    CHECK_EQ_STR(opt->u.fields.items[1].name, "none");
    CHECK_EQ_INT(sats_type_special(sats_type_result(&a, sats_prim(SATS_U8), sats_prim(SATS_U8))),
                 SATS_SPECIAL_RESULT);
    const sats_type_t *none_u8[] = {sats_prim(SATS_U8), sats_prim(SATS_U8)};
    CHECK_EQ_INT(sats_type_special(sats_type_sum(&a, 2, some_none, none_u8)), SATS_SPECIAL_NONE);
    const char *none_some[] = {"none", "some"};
    const sats_type_t *swapped[] = {sats_type_unit(), sats_prim(SATS_U8)};
    CHECK_EQ_INT(sats_type_special(sats_type_sum(&a, 2, none_some, swapped)), SATS_SPECIAL_NONE);
    const char *sched[] = {"Interval", "Time"};
    const sats_type_t *sched_ok[] = {sats_type_time_duration(), sats_type_timestamp()};
    const sats_type_t *sched_bad[] = {sats_type_timestamp(), sats_type_time_duration()};
    CHECK_EQ_INT(sats_type_special(sats_type_sum(&a, 2, sched, sched_ok)),
                 SATS_SPECIAL_SCHEDULE_AT);
    CHECK_EQ_INT(sats_type_special(sats_type_sum(&a, 2, sched, sched_bad)), SATS_SPECIAL_NONE);
    const char *three[] = {"some", "none", "other"};
    const sats_type_t *three_t[] = {sats_prim(SATS_U8), sats_type_unit(), sats_type_unit()};
    CHECK_EQ_INT(sats_type_special(sats_type_sum(&a, 3, three, three_t)), SATS_SPECIAL_NONE);
    lc_arena_free(&a);
}

TEST(sats_constructors_copy_names)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    char name[] = "field";
    const char *names[] = {name, NULL};
    const sats_type_t *types[] = {sats_prim(SATS_U8), sats_prim(SATS_STRING)};
    sats_type_t *p = sats_type_product(&a, 2, names, types);
    name[0] = 'X';
    CHECK(p != NULL && p->kind == SATS_PRODUCT && p->u.fields.n == 2);
    CHECK_EQ_STR(p->u.fields.items[0].name, "field");
    CHECK(p->u.fields.items[1].name == NULL);
    CHECK(p->u.fields.items[1].type == sats_prim(SATS_STRING));
    sats_type_t *arr = sats_type_array(&a, p);
    CHECK(arr->kind == SATS_ARRAY && arr->u.elem == p);
    sats_type_t *r = sats_type_ref(&a, 7);
    CHECK(r->kind == SATS_REF && r->u.ref == 7);
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- resolve / check */

TEST(sats_resolve_refs)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *types[3];
    types[0] = sats_type_ref(&a, 1);
    types[1] = sats_type_ref(&a, 2);
    types[2] = sats_prim(SATS_U64);
    sats_typespace_t ts = {3, types};
    CHECK(sats_resolve(&ts, sats_type_ref(&a, 0)) == sats_prim(SATS_U64));
    CHECK(sats_resolve(&ts, sats_prim(SATS_BOOL)) == sats_prim(SATS_BOOL));
    CHECK(sats_resolve(NULL, sats_prim(SATS_BOOL)) == sats_prim(SATS_BOOL));
    CHECK(sats_resolve(&ts, sats_type_ref(&a, 3)) == NULL);
    CHECK(sats_resolve(NULL, sats_type_ref(&a, 0)) == NULL);

    /* A cycle of refs: 0 -> 1 -> 0. */
    const sats_type_t *cyc[2] = {sats_type_ref(&a, 1), sats_type_ref(&a, 0)};
    sats_typespace_t cts = {2, cyc};
    CHECK(sats_resolve(&cts, sats_type_ref(&a, 0)) == NULL);
    lc_err_t err;
    CHECK_EQ_INT(sats_type_check(&cts, sats_type_ref(&a, 0), &err), LC_EINVAL);
    CHECK(strstr(err.msg, "cycle") != NULL);
    /* A self-reference. */
    const sats_type_t *self[1] = {sats_type_ref(&a, 0)};
    sats_typespace_t sts = {1, self};
    CHECK(sats_resolve(&sts, self[0]) == NULL);
    CHECK_EQ_INT(sats_type_check(&sts, self[0], NULL), LC_EINVAL);
    lc_arena_free(&a);
}

TEST(sats_type_check_cases)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err;
    CHECK_OK(sats_type_check(NULL, sats_prim(SATS_U8), &err));
    CHECK_OK(sats_type_check(NULL, sats_type_schedule_at(), &err));

    /* A recursive list is fine: the recursion goes through a sum. */
    const sats_type_t *types[1];
    const sats_type_t *cons_t[] = {sats_prim(SATS_U8), sats_type_ref(&a, 0)};
    types[0] = sats_type_option(&a, sats_type_product(&a, 2, NULL, cons_t));
    sats_typespace_t ts = {1, types};
    CHECK_OK(sats_type_check(&ts, sats_type_ref(&a, 0), &err));
    CHECK_OK(sats_type_check(&ts, types[0], &err));

    /* Out of range, and no typespace at all. */
    CHECK_EQ_INT(sats_type_check(&ts, sats_type_ref(&a, 1), &err), LC_EINVAL);
    CHECK(strstr(err.msg, "&1") != NULL);
    CHECK_EQ_INT(sats_type_check(NULL, sats_type_ref(&a, 0), &err), LC_EINVAL);
    /* A bad ref deep inside a typespace entry is found too. */
    const sats_type_t *bad[2] = {sats_type_array(&a, sats_type_ref(&a, 1)),
                                 sats_type_option(&a, sats_type_ref(&a, 9))};
    sats_typespace_t bts = {2, bad};
    CHECK_EQ_INT(sats_type_check(&bts, sats_type_ref(&a, 0), &err), LC_EINVAL);
    CHECK(strstr(err.msg, "&9") != NULL);
    CHECK_EQ_INT(sats_type_check(NULL, NULL, &err), LC_EINVAL);

    /* Sums: 256 variants are fine, 257 are not. */
    const sats_type_t *many[257];
    for (int i = 0; i < 257; i++) many[i] = sats_type_unit();
    CHECK_OK(sats_type_check(NULL, sats_type_sum(&a, 256, NULL, many), &err));
    CHECK_EQ_INT(sats_type_check(NULL, sats_type_sum(&a, 257, NULL, many), &err), LC_EINVAL);

    /* The worklist allocation failing is a clean LC_ENOMEM. */
    lc_fault_alloc_after(1);
    int rc_nomem = sats_type_check(&ts, sats_type_ref(&a, 0), &err);
    lc_fault_alloc_after(0);
    CHECK_EQ_INT(rc_nomem, LC_ENOMEM);
    /* A missing typespace entry. */
    const sats_type_t *holes[1] = {NULL};
    sats_typespace_t hts = {1, holes};
    CHECK_EQ_INT(sats_type_check(&hts, sats_type_ref(&a, 0), &err), LC_EINVAL);
    CHECK(strstr(err.msg, "missing") != NULL);

    /* Nesting: 64 compound levels are fine, 65 are not. */
    const sats_type_t *t = sats_prim(SATS_U8);
    for (int i = 0; i < SATS_MAX_DEPTH; i++) t = sats_type_array(&a, t);
    CHECK_OK(sats_type_check(NULL, t, &err));
    CHECK_EQ_INT(sats_type_check(NULL, sats_type_array(&a, t), &err), LC_EINVAL);
    lc_arena_free(&a);
}

/* A long chain of typespace entries, each a product of a ref to the next,
 * must be checked without deep recursion. */
TEST(sats_type_check_long_chain)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    enum { N = 200000 };
    const sats_type_t **types = lc_arena_alloc(&a, N * sizeof *types);
    CHECK(types != NULL);
    for (uint32_t i = 0; i < N; i++) {
        const sats_type_t *next[] = {i + 1 < N ? sats_type_ref(&a, i + 1) : sats_prim(SATS_U8)};
        types[i] = sats_type_product(&a, 1, NULL, next);
    }
    sats_typespace_t ts = {N, types};
    CHECK_OK(sats_type_check(&ts, types[0], NULL));
    /* fixed_size gives up on the long chain instead of recursing 200000 deep. */
    CHECK_EQ_INT(sats_type_fixed_size(&ts, types[0]), -1);
    CHECK_EQ_INT(sats_type_fixed_size(&ts, types[N - 1]), 1);
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- eq / fixed size */

TEST(sats_type_eq_cases)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *n1[] = {"a", "b"}, *n2[] = {"a", "c"}, *n3[] = {"a", NULL};
    const sats_type_t *t1[] = {sats_prim(SATS_U8), sats_prim(SATS_STRING)};
    const sats_type_t *t2[] = {sats_prim(SATS_U8), sats_prim(SATS_U16)};
    CHECK(sats_type_eq(sats_type_product(&a, 2, n1, t1), sats_type_product(&a, 2, n1, t1)));
    CHECK(!sats_type_eq(sats_type_product(&a, 2, n1, t1), sats_type_product(&a, 2, n2, t1)));
    CHECK(!sats_type_eq(sats_type_product(&a, 2, n1, t1), sats_type_product(&a, 2, n3, t1)));
    CHECK(!sats_type_eq(sats_type_product(&a, 2, n1, t1), sats_type_product(&a, 2, n1, t2)));
    CHECK(!sats_type_eq(sats_type_product(&a, 2, n1, t1), sats_type_sum(&a, 2, n1, t1)));
    CHECK(!sats_type_eq(sats_type_product(&a, 2, n1, t1), sats_type_product(&a, 1, n1, t1)));
    CHECK(sats_type_eq(sats_type_product(&a, 2, NULL, t1), sats_type_product(&a, 2, NULL, t1)));
    CHECK(sats_type_eq(sats_type_ref(&a, 3), sats_type_ref(&a, 3)));
    CHECK(!sats_type_eq(sats_type_ref(&a, 3), sats_type_ref(&a, 4)));
    CHECK(sats_type_eq(sats_type_array(&a, sats_prim(SATS_U8)), sats_type_bytes()));
    CHECK(!sats_type_eq(sats_type_array(&a, sats_prim(SATS_I8)), sats_type_bytes()));
    CHECK(sats_type_eq(sats_type_option(&a, sats_type_identity()),
                       sats_type_option(&a, sats_type_identity())));
    CHECK(!sats_type_eq(sats_prim(SATS_U8), NULL));
    CHECK(sats_type_eq(NULL, NULL));
    lc_arena_free(&a);
}

TEST(sats_type_fixed_sizes)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    static const int sizes[SATS_KIND_COUNT] = {
        [SATS_STRING] = -1, [SATS_BOOL] = 1,  [SATS_I8] = 1,    [SATS_U8] = 1,
        [SATS_I16] = 2,     [SATS_U16] = 2,   [SATS_I32] = 4,   [SATS_U32] = 4,
        [SATS_I64] = 8,     [SATS_U64] = 8,   [SATS_I128] = 16, [SATS_U128] = 16,
        [SATS_I256] = 32,   [SATS_U256] = 32, [SATS_F32] = 4,   [SATS_F64] = 8,
    };
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++)
        CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_prim((sats_kind_t)k)), sizes[k]);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_unit()), 0);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_identity()), 32);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_connection_id()), 16);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_timestamp()), 8);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_schedule_at()), 9);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_bytes()), -1);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_option(&a, sats_prim(SATS_U32))), -1);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_sum(&a, 0, NULL, NULL)), -1);
    const sats_type_t *f[] = {sats_prim(SATS_U32), sats_prim(SATS_U64)};
    sats_type_t *row = sats_type_product(&a, 2, NULL, f);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, row), 12);
    const sats_type_t *units[] = {sats_type_unit(), sats_type_unit(), sats_type_unit()};
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_sum(&a, 3, NULL, units)), 1);
    /* Through refs. */
    const sats_type_t *types[] = {row};
    sats_typespace_t ts = {1, types};
    const sats_type_t *r2[] = {sats_type_ref(&a, 0), sats_type_ref(&a, 0)};
    CHECK_EQ_INT(sats_type_fixed_size(&ts, sats_type_product(&a, 2, NULL, r2)), 24);
    CHECK_EQ_INT(sats_type_fixed_size(NULL, sats_type_ref(&a, 0)), -1);
    /* A recursive product has no fixed size and must not loop. */
    const sats_type_t *rec[1];
    const sats_type_t *rec_f[] = {sats_prim(SATS_U8), sats_type_ref(&a, 0)};
    rec[0] = sats_type_product(&a, 2, NULL, rec_f);
    sats_typespace_t rts = {1, rec};
    CHECK_EQ_INT(sats_type_fixed_size(&rts, rec[0]), -1);
    lc_arena_free(&a);
}

/* Entries that each hold two refs to the next would take 2^64 steps to walk
 * naively; the budget keeps fixed_size and format quick. */
TEST(sats_type_exponential_refs)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    enum { N = 64 };
    const sats_type_t *types[N];
    for (uint32_t i = 0; i < N; i++) {
        const sats_type_t *f[] = {sats_type_ref(&a, i + 1), sats_type_ref(&a, i + 1)};
        types[i] = i + 1 < N ? sats_type_product(&a, 2, NULL, f) : sats_prim(SATS_U8);
    }
    sats_typespace_t ts = {N, types};
    CHECK_OK(sats_type_check(&ts, types[0], NULL));
    CHECK_EQ_INT(sats_type_fixed_size(&ts, types[0]), -1);
    CHECK_EQ_INT(sats_type_fixed_size(&ts, types[N - 3]), 4);
    lc_buf_t b = {0};
    CHECK_OK(sats_type_format(&b, &ts, types[0]));
    CHECK(b.len < 3 * 4096);
    lc_buf_free(&b);
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- format */

TEST(sats_type_format_cases)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK(formats_as(NULL, sats_prim(SATS_U32), "U32"));
    CHECK(formats_as(NULL, sats_prim(SATS_STRING), "String"));
    CHECK(formats_as(NULL, sats_type_bytes(), "Array<U8>"));
    CHECK(formats_as(NULL, sats_type_option(&a, sats_prim(SATS_STRING)), "Option<String>"));
    CHECK(formats_as(NULL, sats_type_identity(), "Identity"));
    CHECK(formats_as(NULL, sats_type_connection_id(), "ConnectionId"));
    CHECK(formats_as(NULL, sats_type_timestamp(), "Timestamp"));
    CHECK(formats_as(NULL, sats_type_time_duration(), "TimeDuration"));
    CHECK(formats_as(NULL, sats_type_uuid(), "Uuid"));
    CHECK(formats_as(NULL, sats_type_schedule_at(), "ScheduleAt"));
    CHECK(formats_as(NULL, sats_type_unit(), "()"));
    CHECK(formats_as(NULL, sats_type_result(&a, sats_prim(SATS_U8), sats_prim(SATS_STRING)),
                     "Result<U8, String>"));
    const char *pn[] = {"id", "name"};
    const sats_type_t *pt[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING)};
    CHECK(formats_as(NULL, sats_type_product(&a, 2, pn, pt), "(id: U32, name: String)"));
    CHECK(formats_as(NULL, sats_type_product(&a, 2, NULL, pt), "(U32, String)"));
    const char *sn[] = {"A", "B"};
    const sats_type_t *st[] = {sats_type_unit(), sats_prim(SATS_U8)};
    CHECK(formats_as(NULL, sats_type_sum(&a, 2, sn, st), "{A | B(U8)}"));
    CHECK(formats_as(NULL, sats_type_array(&a, sats_type_option(&a, sats_type_identity())),
                     "Array<Option<Identity>>"));
    /* Refs: expanded when the typespace has them, "&N" otherwise or when
     * they recur. */
    const sats_type_t *types[2];
    const sats_type_t *cons[] = {sats_prim(SATS_U8), sats_type_ref(&a, 0)};
    types[0] = sats_type_option(&a, sats_type_product(&a, 2, NULL, cons));
    types[1] = sats_prim(SATS_I64);
    sats_typespace_t ts = {2, types};
    CHECK(formats_as(&ts, sats_type_ref(&a, 1), "I64"));
    CHECK(formats_as(NULL, sats_type_ref(&a, 1), "&1"));
    CHECK(formats_as(&ts, sats_type_ref(&a, 5), "&5"));
    CHECK(formats_as(&ts, sats_type_ref(&a, 0), "Option<(U8, &0)>"));
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- meta codec */

TEST(sats_meta_primitives)
{
    char hex[3];
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++) {
        snprintf(hex, sizeof hex, "%02x", k);
        CHECK_MSG(meta_roundtrip(sats_prim((sats_kind_t)k), hex), "kind %d", k);
    }
}

TEST(sats_meta_compound)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    CHECK(meta_roundtrip(sats_type_ref(&a, 5), "00 05000000"));
    CHECK(meta_roundtrip(sats_type_bytes(), "03 07"));
    CHECK(meta_roundtrip(sats_type_array(&a, sats_prim(SATS_STRING)), "03 04"));
    CHECK(meta_roundtrip(sats_type_unit(), "02 00000000"));
    CHECK(meta_roundtrip(sats_type_identity(),
                         "02 01000000 00 0c000000 5f5f6964656e746974795f5f 11"));
    CHECK(meta_roundtrip(sats_type_option(&a, sats_prim(SATS_U8)),
                         "01 02000000 00 04000000 736f6d65 07 00 04000000 6e6f6e65 02 00000000"));
    const char *pn[] = {"id", NULL};
    const sats_type_t *pt[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING)};
    CHECK(
        meta_roundtrip(sats_type_product(&a, 2, pn, pt), "02 02000000 00 02000000 6964 0b 01 04"));
    CHECK(meta_roundtrip(sats_type_schedule_at(),
                         "01 02000000"
                         " 00 08000000 496e74657276616c 02 01000000 00 18000000"
                         " 5f5f74696d655f6475726174696f6e5f6d6963726f735f5f 0c"
                         " 00 04000000 54696d65 02 01000000 00 25000000"
                         " 5f5f74696d657374616d705f6d6963726f735f73696e63655f756e69785f65706f6368"
                         "5f5f 0c"));
    /* Every kind at once, with multibyte names. */
    const char *names[] = {"é", "snow☃", NULL, "x"};
    const sats_type_t *inner[] = {sats_type_array(&a, sats_type_ref(&a, 3)),
                                  sats_type_result(&a, sats_prim(SATS_F32), sats_prim(SATS_F64)),
                                  sats_type_sum(&a, 0, NULL, NULL), sats_type_connection_id()};
    sats_type_t *p = sats_type_product(&a, 4, names, inner);
    CHECK(meta_roundtrip(p, "02 04000000"
                            " 00 02000000 c3a9 03 00 03000000"
                            " 00 07000000 736e6f77e29883 01 02000000 00 02000000 6f6b 12"
                            " 00 03000000 657272 13"
                            " 01 01 00000000"
                            " 00 01000000 78 02 01000000 00 11000000"
                            " 5f5f636f6e6e656374696f6e5f69645f5f 0f"));
    lc_arena_free(&a);
}

TEST(sats_meta_typespace_roundtrip)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *types[3];
    const char *ln[] = {"head", "tail"};
    const sats_type_t *lt[] = {sats_prim(SATS_I32), sats_type_ref(&a, 0)};
    types[0] = sats_type_option(&a, sats_type_product(&a, 2, ln, lt));
    types[1] = sats_type_schedule_at();
    types[2] = sats_type_array(&a, sats_type_ref(&a, 1));
    sats_typespace_t ts = {3, types};
    lc_buf_t b = {0};
    CHECK_OK(sats_typespace_encode(&b, &ts));
    CHECK_EQ_INT(lc_load_u32le(b.data), 3);
    lc_rd_t r = lc_rd_make(b.data, b.len);
    sats_typespace_t back;
    lc_err_t err;
    int rc = sats_typespace_decode(&a, &r, &back, &err);
    size_t left = r.len;
    /* Every prefix fails. */
    bool prefixes_fail = true;
    for (size_t k = 0; k < b.len; k++) {
        uint8_t *copy = lc_malloc(k + 1);
        memcpy(copy, b.data, k);
        lc_rd_t pr = lc_rd_make(copy, k);
        sats_typespace_t x;
        if (sats_typespace_decode(&a, &pr, &x, NULL) != LC_ECORRUPT)
            prefixes_fail = false;
        lc_free(copy);
    }
    lc_buf_free(&b);
    CHECK_OK(rc);
    CHECK_EQ_INT(left, 0);
    CHECK(prefixes_fail);
    CHECK_EQ_INT(back.n, 3);
    for (int i = 0; i < 3; i++) CHECK(sats_type_eq(back.types[i], types[i]));
    CHECK_OK(sats_type_check(&back, sats_type_ref(&a, 2), &err));
    CHECK_EQ_INT(sats_type_special(back.types[1]), SATS_SPECIAL_SCHEDULE_AT);

    /* An empty typespace. */
    uint8_t empty[4] = {0};
    r = lc_rd_make(empty, 4);
    CHECK_OK(sats_typespace_decode(&a, &r, &back, &err));
    CHECK_EQ_INT(back.n, 0);
    lc_arena_free(&a);
}

TEST(sats_meta_rejects)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err;
    const sats_type_t *t;
    /* Unknown kind tag. */
    CHECK_EQ_INT(decode_hex_type(&a, "14", &t, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "tag 20") != NULL);
    CHECK_EQ_INT(decode_hex_type(&a, "ff", &t, &err), LC_ECORRUPT);
    /* Bad Option tag for a name. */
    CHECK_EQ_INT(decode_hex_type(&a, "02 01000000 02 07", &t, &err), LC_ECORRUPT);
    /* Name not UTF-8, name with a NUL. */
    CHECK_EQ_INT(decode_hex_type(&a, "02 01000000 00 02000000 c0af 07", &t, &err), LC_ECORRUPT);
    CHECK_EQ_INT(decode_hex_type(&a, "02 01000000 00 02000000 6100 07", &t, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "NUL") != NULL);
    /* Hostile counts: no allocation, clean error. */
    CHECK_EQ_INT(decode_hex_type(&a, "02 ffffffff 01 07", &t, &err), LC_ECORRUPT);
    CHECK_EQ_INT(decode_hex_type(&a, "01 ffffffff", &t, &err), LC_ECORRUPT);
    uint8_t tsbytes[] = {0xff, 0xff, 0xff, 0x7f, 0x07};
    lc_rd_t r = lc_rd_make(tsbytes, sizeof tsbytes);
    sats_typespace_t ts;
    CHECK_EQ_INT(sats_typespace_decode(&a, &r, &ts, &err), LC_ECORRUPT);
    /* A typespace entry that fails names its index. */
    uint8_t ts2[] = {0x02, 0, 0, 0, 0x07, 0x63};
    r = lc_rd_make(ts2, sizeof ts2);
    CHECK_EQ_INT(sats_typespace_decode(&a, &r, &ts, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "typespace type 1") != NULL);
    lc_arena_free(&a);
}

TEST(sats_meta_sum_variant_limit)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_buf_t b = {0};
    const sats_type_t *many[257];
    for (int i = 0; i < 257; i++) many[i] = sats_prim(SATS_U8);
    CHECK_OK(sats_type_encode(&b, sats_type_sum(&a, 256, NULL, many)));
    lc_rd_t r = lc_rd_make(b.data, b.len);
    const sats_type_t *t;
    int rc256 = sats_type_decode(&a, &r, &t, NULL);
    lc_buf_reset(&b);
    CHECK_OK(sats_type_encode(&b, sats_type_sum(&a, 257, NULL, many)));
    r = lc_rd_make(b.data, b.len);
    int rc257 = sats_type_decode(&a, &r, &t, NULL);
    /* A product has no such limit. */
    lc_buf_reset(&b);
    CHECK_OK(sats_type_encode(&b, sats_type_product(&a, 257, NULL, many)));
    r = lc_rd_make(b.data, b.len);
    int rcp = sats_type_decode(&a, &r, &t, NULL);
    lc_buf_free(&b);
    CHECK_OK(rc256);
    CHECK_EQ_INT(rc257, LC_ECORRUPT);
    CHECK_OK(rcp);
    CHECK_EQ_INT(t->u.fields.n, 257);
    lc_arena_free(&a);
}

TEST(sats_meta_depth_limit)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    uint8_t buf[SATS_MAX_DEPTH + 2];
    /* 64 nested arrays of U8 decode; 65 do not. */
    memset(buf, SATS_ARRAY, sizeof buf);
    buf[SATS_MAX_DEPTH] = SATS_U8;
    lc_rd_t r = lc_rd_make(buf, SATS_MAX_DEPTH + 1);
    const sats_type_t *t;
    lc_err_t err;
    CHECK_OK(sats_type_decode(&a, &r, &t, &err));
    CHECK_OK(sats_type_check(NULL, t, &err));
    lc_buf_t b = {0};
    int rc_enc = sats_type_encode(&b, t);
    bool same = rc_enc == 0 && b.len == SATS_MAX_DEPTH + 1 && memcmp(b.data, buf, b.len) == 0;
    lc_buf_free(&b);
    CHECK(same);
    memset(buf, SATS_ARRAY, sizeof buf);
    buf[SATS_MAX_DEPTH + 1] = SATS_U8;
    r = lc_rd_make(buf, SATS_MAX_DEPTH + 2);
    CHECK_EQ_INT(sats_type_decode(&a, &r, &t, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "deeper") != NULL);
    /* Encoding a too-deep type fails too. */
    const sats_type_t *deep = sats_prim(SATS_U8);
    for (int i = 0; i <= SATS_MAX_DEPTH; i++) deep = sats_type_array(&a, deep);
    CHECK_OK(lc_buf_puts(&b, "x"));
    int rc_deep = sats_type_encode(&b, deep);
    size_t len_after = b.len;
    lc_buf_free(&b);
    CHECK(rc_deep < 0);
    CHECK_EQ_INT(len_after, 1); /* nothing partial is left behind */
    lc_arena_free(&a);
}

const test_case_t test_sats_type_cases[] = {
    TEST_CASE(sats_prim_singletons),
    TEST_CASE(sats_kind_names),
    TEST_CASE(sats_special_singletons),
    TEST_CASE(sats_special_structural),
    TEST_CASE(sats_constructors_copy_names),
    TEST_CASE(sats_resolve_refs),
    TEST_CASE(sats_type_check_cases),
    TEST_CASE(sats_type_check_long_chain),
    TEST_CASE(sats_type_eq_cases),
    TEST_CASE(sats_type_fixed_sizes),
    TEST_CASE(sats_type_exponential_refs),
    TEST_CASE(sats_type_format_cases),
    TEST_CASE(sats_meta_primitives),
    TEST_CASE(sats_meta_compound),
    TEST_CASE(sats_meta_typespace_roundtrip),
    TEST_CASE(sats_meta_rejects),
    TEST_CASE(sats_meta_sum_variant_limit),
    TEST_CASE(sats_meta_depth_limit),
    TEST_END,
};
