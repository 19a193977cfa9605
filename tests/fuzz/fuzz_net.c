/*
 * fuzz_net — a libFuzzer target for the v2/v3 client message decoder
 * (src/net/v2.c), checked against the generic BSATN decoder reading the
 * same bytes as net_v2_typespace()'s ClientMessage.
 *
 * Input layout: the whole input is one WebSocket payload from a client.
 *
 * Every input goes through three paths:
 *   A. messages are decoded one by one with net_v2_decode_client() until
 *      the input is used up or one fails;
 *   B. the input is decoded as a v3 frame (net_v3_decode_client_frame);
 *   C. the input is decoded as a v2 frame (net_v2_decode_client_frame).
 *
 * Properties checked (abort() on violation, so libFuzzer reports a crash):
 *   1. for each message A decodes, sats_bsatn_skip() accepts the same bytes
 *      and consumes exactly as many;
 *   2. the fields agree with sats_bsatn_decode()'s value: kind, ids, flags,
 *      every string and the args bytes;
 *   3. when A rejects a message the generic decoder accepts, the message
 *      breaks one of v2.c's two stricter rules (call flags != 0, a NUL in a
 *      string) — v2.c invariant 2;
 *   4. a failed decode leaves the reader where the message started;
 *   5. B succeeds exactly when A decoded the whole input, with the same
 *      count; C exactly when A decoded a first message (v2 ignores any bytes
 *      after it, as the reference server does);
 *   6. on top of that, ASan/UBSan see every read and allocation.
 * One arena holds everything decoded from an input and is reset after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "net/net.h"
#include "sats/sats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lc_arena_t types_arena; /* lives as long as the process */
static lc_arena_t input_arena; /* reset after every input */
static sats_typespace_t v2_ts;
static const sats_type_t *client_type;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_net: %s\n", what);
    abort();
}

static void setup(void)
{
    lc_arena_init(&types_arena, 0);
    lc_arena_init(&input_arena, 0);
    if (net_v2_typespace(&types_arena, &v2_ts) != LC_OK)
        fail("cannot build the v2 typespace");
    client_type = sats_type_ref(&types_arena, NET_V2_CLIENT_MESSAGE);
}

/* ---------------------------------------------------------------- field checks */

static bool str_is(const sats_value_t *v, const char *s)
{
    return s != NULL && strlen(s) == v->u.str.len && memcmp(s, v->u.str.ptr, v->u.str.len) == 0;
}

static bool has_nul(const sats_value_t *v)
{
    return memchr(v->u.str.ptr, 0, v->u.str.len) != NULL;
}

/* Property 2: m says what the generic value v says. */
static bool same_fields(const net_client_msg_t *m, const sats_value_t *v)
{
    const sats_value_t *f = v->u.sum.payload->u.elems.items;
    if ((unsigned)m->kind != v->u.sum.tag || m->request_id != f[0].u.u)
        return false;
    switch (m->kind) {
    case NET_CM_SUBSCRIBE:
        if (m->query_set_id != f[1].u.elems.items[0].u.u || m->nqueries != f[2].u.elems.n)
            return false;
        for (uint32_t i = 0; i < m->nqueries; i++)
            if (!str_is(&f[2].u.elems.items[i], m->queries[i]))
                return false;
        return true;
    case NET_CM_UNSUBSCRIBE:
        return m->query_set_id == f[1].u.elems.items[0].u.u && m->flags == f[2].u.sum.tag;
    case NET_CM_ONE_OFF_QUERY:
        return str_is(&f[1], m->query);
    case NET_CM_CALL_REDUCER:
    case NET_CM_CALL_PROCEDURE:
        return m->flags == f[1].u.u && str_is(&f[2], m->name) && m->args_len == f[3].u.bytes.len &&
               (m->args_len == 0 || memcmp(m->args, f[3].u.bytes.ptr, m->args_len) == 0);
    }
    return false;
}

/* Property 3: whether a message the generic decoder accepts breaks one of
 * v2.c's stricter rules. */
static bool stricter_rule_broken(const sats_value_t *v)
{
    const sats_value_t *f = v->u.sum.payload->u.elems.items;
    switch (v->u.sum.tag) {
    case NET_CM_SUBSCRIBE:
        for (uint32_t i = 0; i < f[2].u.elems.n; i++)
            if (has_nul(&f[2].u.elems.items[i]))
                return true;
        return false;
    case NET_CM_ONE_OFF_QUERY:
        return has_nul(&f[1]);
    case NET_CM_CALL_REDUCER:
    case NET_CM_CALL_PROCEDURE:
        return f[1].u.u != 0 || has_nul(&f[2]);
    }
    return false;
}

/* ---------------------------------------------------------------- paths */

/* Path A on one message at r: properties 1-4.  Whether ours decoded it. */
static bool check_one(lc_rd_t *r, net_client_msg_t *m)
{
    lc_rd_t start = *r, gen = *r;
    int rc = net_v2_decode_client(&input_arena, r, m, NULL);
    if (rc == LC_ENOMEM)
        fail("out of memory");
    sats_value_t v;
    int grc = sats_bsatn_decode(&input_arena, &gen, &v2_ts, client_type, &v, NULL);
    if (grc == LC_ENOMEM)
        fail("out of memory");
    lc_rd_t skip = start;
    if ((sats_bsatn_skip(&skip, &v2_ts, client_type, NULL) == LC_OK) != (grc == LC_OK))
        fail("the generic decode and skip disagree");
    if (rc != LC_OK) {
        if (r->p != start.p || r->len != start.len)
            fail("a failed decode moved the reader");
        if (grc == LC_OK && !stricter_rule_broken(&v))
            fail("a message the generic decoder accepts was rejected");
        return false;
    }
    if (grc != LC_OK)
        fail("a message the generic decoder rejects was accepted");
    if (skip.len != r->len || gen.len != r->len)
        fail("the generic decoder consumed a different length");
    if (!same_fields(m, &v))
        fail("the fields differ from the generic decoder's");
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    /* A: one by one. */
    lc_rd_t r = lc_rd_make(data, size);
    net_client_msg_t m;
    uint32_t count = 0;
    bool all = size > 0, first_ok = false;
    while (r.len > 0) {
        if (!check_one(&r, &m)) {
            all = false;
            break;
        }
        if (count++ == 0)
            first_ok = true;
    }
    /* B and C: property 5. */
    net_client_msg_t *msgs;
    uint32_t n;
    int rc3 = net_v3_decode_client_frame(&input_arena, data, size, &msgs, &n, NULL);
    if ((rc3 == LC_OK) != all || (rc3 == LC_OK && n != count))
        fail("the v3 frame decoder disagrees with decoding one by one");
    if (rc3 != LC_OK && (msgs != NULL || n != 0))
        fail("a failed v3 decode returned messages");
    int rc2 = net_v2_decode_client_frame(&input_arena, data, size, &m, NULL);
    if ((rc2 == LC_OK) != first_ok)
        fail("the v2 frame decoder disagrees with decoding one by one");
    lc_arena_reset(&input_arena);
    return 0;
}
