/*
 * fuzz_bsatn — a libFuzzer target for the BSATN decoders (src/sats/bsatn.c
 * and the meta-type codec in src/sats/type.c).
 *
 * Input layout:
 *
 *   offset  size  contents
 *   ------  ----  -----------------------------------------------------------
 *   0       1     selector: s = byte % (NTYPES + 1); s < NTYPES picks a fixed
 *                 type from the table below, NTYPES picks none
 *   1       rest  the payload
 *
 * Every input goes through two paths:
 *   A. (s < NTYPES) the payload is decoded as a value of fixed type s;
 *   B. the payload is decoded as a Typespace; when that works, the typespace
 *      is not empty and sats_type_check() accepts its first type, the bytes
 *      after the typespace are decoded as a value of that type.
 *
 * Properties checked (abort() on violation, so libFuzzer reports a crash):
 *   1. decode and skip agree: same result code, same bytes consumed;
 *   2. a decoded value re-encodes to exactly the bytes it was decoded from;
 *   3. a decoded value compares equal to itself;
 *   4. a decoded typespace re-encodes to exactly its bytes;
 *   5. on top of that, ASan/UBSan see every read and allocation.
 * One arena holds everything decoded from an input and is reset after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "net/net.h"
#include "sats/sats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAMES(...) ((const char *[]){__VA_ARGS__})
#define TYPES(...) ((const sats_type_t *[]){__VA_ARGS__})
#define PRIM(k)    sats_prim(SATS_##k)

typedef struct fixed_type {
    const sats_typespace_t *ts;
    const sats_type_t *type;
} fixed_type_t;

enum { NTYPES = 12 };

static lc_arena_t types_arena; /* lives as long as the process */
static lc_arena_t input_arena; /* reset after every input */
static sats_typespace_t v2_ts, list_ts;
static fixed_type_t fixed[NTYPES];

/* ---------------------------------------------------------------- v2 messages */

/* ---------------------------------------------------------------- the type table */

static void build_types(void)
{
    lc_arena_t *a = &types_arena;
    lc_arena_init(a, 0);
    lc_arena_init(&input_arena, 0);
    net_v2_typespace(a, &v2_ts);

    /* 0: List = Option<(head: I32, tail: &0)>; 1: Array<&0>; 2: &1 */
    const sats_type_t **lt = lc_arena_zalloc(a, 3 * sizeof *lt);
    lt[0] = sats_type_option(
        a, sats_type_product(a, 2, NAMES("head", "tail"), TYPES(PRIM(I32), sats_type_ref(a, 0))));
    lt[1] = sats_type_array(a, sats_type_ref(a, 0));
    lt[2] = sats_type_ref(a, 1);
    list_ts.n = 3;
    list_ts.types = lt;

    const sats_type_t *all_prims =
        sats_type_product(a, 16, NULL,
                          TYPES(PRIM(BOOL), PRIM(I8), PRIM(U8), PRIM(I16), PRIM(U16), PRIM(I32),
                                PRIM(U32), PRIM(I64), PRIM(U64), PRIM(I128), PRIM(U128), PRIM(I256),
                                PRIM(U256), PRIM(F32), PRIM(F64), PRIM(STRING)));
    const sats_type_t *specials =
        sats_type_product(a, 5, NAMES("who", "conn", "at", "every", "id"),
                          TYPES(sats_type_identity(), sats_type_connection_id(),
                                sats_type_timestamp(), sats_type_schedule_at(), sats_type_uuid()));
    const sats_type_t *mixed = sats_type_sum(
        a, 4, NAMES("A", "B", "C", "D"),
        TYPES(sats_type_unit(), PRIM(U8), PRIM(STRING), sats_type_array(a, sats_type_unit())));

    int i = 0;
    fixed[i++] = (fixed_type_t){&v2_ts, sats_type_ref(a, NET_V2_CLIENT_MESSAGE)};
    fixed[i++] = (fixed_type_t){&v2_ts, sats_type_ref(a, NET_V2_SERVER_MESSAGE)};
    fixed[i++] = (fixed_type_t){&list_ts, sats_type_ref(a, 2)};
    fixed[i++] = (fixed_type_t){
        NULL, sats_type_option(a, sats_type_option(a, sats_type_array(a, PRIM(STRING))))};
    fixed[i++] = (fixed_type_t){NULL, sats_type_array(a, sats_type_bytes())};
    fixed[i++] = (fixed_type_t){NULL, all_prims};
    fixed[i++] = (fixed_type_t){NULL, sats_type_array(a, sats_type_unit())};
    fixed[i++] =
        (fixed_type_t){NULL, sats_type_array(a, sats_type_option(a, sats_type_array(a, specials)))};
    fixed[i++] = (fixed_type_t){NULL, sats_type_array(a, mixed)};
    fixed[i++] =
        (fixed_type_t){NULL, sats_type_result(a, PRIM(U128), sats_type_array(a, PRIM(I256)))};
    fixed[i++] = (fixed_type_t){NULL, sats_type_array(a, sats_type_array(a, sats_type_unit()))};
    fixed[i++] = (fixed_type_t){&v2_ts, sats_type_ref(a, NET_V2_BSATN_ROW_LIST)};
    if (i != NTYPES)
        abort();
}

/* ---------------------------------------------------------------- checks */

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_bsatn: %s\n", what);
    abort();
}

/* Decode one value of t from p[0..n); check properties 1-3. */
static void check_value(const sats_typespace_t *ts, const sats_type_t *t, const uint8_t *p,
                        size_t n)
{
    lc_rd_t r = lc_rd_make(p, n), r2 = lc_rd_make(p, n);
    sats_value_t v;
    lc_err_t err;
    int rc = sats_bsatn_decode(&input_arena, &r, ts, t, &v, &err);
    int rc2 = sats_bsatn_skip(&r2, ts, t, NULL);
    if (rc == LC_ENOMEM)
        return;
    if (rc != rc2)
        fail("decode and skip disagree on the result");
    if (rc != 0)
        return;
    if (r.len != r2.len)
        fail("decode and skip consumed different lengths");
    size_t used = n - r.len;
    lc_buf_t b = {0};
    if (sats_bsatn_encode(&b, ts, t, &v, &err) != 0)
        fail("a decoded value does not encode");
    if (b.len != used || (used > 0 && memcmp(b.data, p, used) != 0))
        fail("a decoded value re-encodes to different bytes");
    lc_buf_free(&b);
    if (!sats_value_eq(ts, t, &v, &v))
        fail("a decoded value is not equal to itself");
}

static void check_typespace(const uint8_t *p, size_t n)
{
    lc_rd_t r = lc_rd_make(p, n);
    sats_typespace_t ts;
    if (sats_typespace_decode(&input_arena, &r, &ts, NULL) != 0)
        return;
    size_t used = n - r.len;
    lc_buf_t b = {0};
    if (sats_typespace_encode(&b, &ts) != 0)
        fail("a decoded typespace does not encode");
    if (b.len != used || memcmp(b.data, p, used) != 0)
        fail("a decoded typespace re-encodes to different bytes");
    lc_buf_free(&b);
    if (ts.n == 0 || sats_type_check(&ts, ts.types[0], NULL) != 0)
        return;
    /* Bounded work on a checked type (type.c invariant 5). */
    lc_buf_t f = {0};
    (void)sats_type_format(&f, &ts, ts.types[0]);
    lc_buf_free(&f);
    (void)sats_type_fixed_size(&ts, ts.types[0]);
    check_value(&ts, ts.types[0], r.p, r.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        build_types();
        ready = true;
    }
    if (size < 1)
        return 0;
    unsigned sel = data[0] % (NTYPES + 1);
    if (sel < NTYPES)
        check_value(fixed[sel].ts, fixed[sel].type, data + 1, size - 1);
    check_typespace(data + 1, size - 1);
    lc_arena_reset(&input_arena);
    return 0;
}
