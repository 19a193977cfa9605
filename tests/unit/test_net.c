/*
 * Tests for src/net/v2.c, the v2/v3 message codec: every frame of
 * protocol.md §3.6 byte for byte (server frames built by the encoders,
 * client frames read by the decoder), each encoded frame cross-checked
 * against the generic BSATN decoder and net_v2_typespace(), rejection of
 * every truncation and of bad tags, flags and strings, v3 batching both
 * ways, encoder argument errors, and allocation failures.
 */
#include "base/base.h"
#include "net/net.h"
#include "sats/sats.h"
#include "test.h"

#define TS_2026     1767225600000000
#define BOB         "03000000426f62"
#define ALICE       "05000000416c696365"

#define IDENTITY_LE "5d262a478b8f95220f3068040c203e32ac0eedc698d84435e9a25303603500c2"
#define CONN_LE     "efcdab8967452301efcdab8967452301"

static const uint8_t bob[] = {3, 0, 0, 0, 'B', 'o', 'b'};
static const uint8_t alice[] = {5, 0, 0, 0, 'A', 'l', 'i', 'c', 'e'};
static const uint8_t bob_alice[] = {3, 0, 0, 0, 'B', 'o', 'b', 5, 0, 0, 0, 'A', 'l', 'i', 'c', 'e'};
static const uint8_t scores[] = {1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0,
                                 2, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0};

/* ---------------------------------------------------------------- helpers */

static const net_row_list_t no_rows = {0};

static net_row_list_t fixed_rows(const uint8_t *p, size_t len, uint16_t size)
{
    return (net_row_list_t){
        .data = p, .len = len, .nrows = (uint32_t)(len / size), .fixed_size = size};
}

/* Unhex into a static buffer; the length or -1. */
static long unhex(const char *hex, uint8_t **out)
{
    static uint8_t buf[1024];
    *out = buf;
    return test_unhex(hex, buf, sizeof buf);
}

/* Whether p[0..n) holds exactly n_msgs ServerMessages for the generic
 * decoder (through net_v2_typespace), nothing left over. */
static bool generic_server_ok(const uint8_t *p, size_t n, int n_msgs)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_typespace_t ts;
    bool ok = net_v2_typespace(&a, &ts) == LC_OK;
    const sats_type_t *t = sats_type_ref(&a, NET_V2_SERVER_MESSAGE);
    lc_rd_t r = lc_rd_make(p, n);
    for (int i = 0; ok && i < n_msgs; i++) {
        sats_value_t v;
        ok = sats_bsatn_decode(&a, &r, &ts, t, &v, NULL) == LC_OK;
    }
    lc_arena_free(&a);
    return ok && r.len == 0;
}

/* How many bytes the generic decoder's skip takes of a ClientMessage at p,
 * or -1 if it rejects it. */
static long generic_client_len(const uint8_t *p, size_t n)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_typespace_t ts;
    long used = -1;
    if (net_v2_typespace(&a, &ts) == LC_OK) {
        lc_rd_t r = lc_rd_make(p, n);
        if (sats_bsatn_skip(&r, &ts, sats_type_ref(&a, NET_V2_CLIENT_MESSAGE), NULL) == LC_OK)
            used = (long)(n - r.len);
    }
    lc_arena_free(&a);
    return used;
}

/* ---------------------------------------------------------------- server frames */

typedef int (*build_fn)(lc_buf_t *b, bool with_tag);

static int f1_initial_connection(lc_buf_t *b, bool with_tag)
{
    uint8_t id[32], conn[16];
    if (test_unhex(IDENTITY_LE, id, sizeof id) != 32 ||
        test_unhex(CONN_LE, conn, sizeof conn) != 16)
        return LC_EINTERNAL;
    return net_v2_encode_initial_connection(b, with_tag, id, conn, "eyJ.x.y", NULL);
}

static int f3_subscribe_applied(lc_buf_t *b, bool with_tag)
{
    net_table_rows_t t = {"person", fixed_rows(bob, sizeof bob, 7)};
    return net_v2_encode_subscribe_applied(b, with_tag, 1, 0, &t, 1, NULL);
}

static int f5_reducer_ok(lc_buf_t *b, bool with_tag)
{
    net_table_update_t tu = {"person", false, fixed_rows(bob, sizeof bob, 7), no_rows};
    net_query_set_update_t qs = {0, 1, &tu};
    net_reducer_outcome_t o = {.kind = NET_RO_OK, .nsets = 1, .sets = &qs};
    return net_v2_encode_reducer_result(b, with_tag, 2, TS_2026, &o, NULL);
}

static int f6_transaction_update(lc_buf_t *b, bool with_tag)
{
    net_table_update_t tu = {"person", false, fixed_rows(alice, sizeof alice, 9),
                             fixed_rows(bob, sizeof bob, 7)};
    net_query_set_update_t qs = {0, 1, &tu};
    return net_v2_encode_transaction_update(b, with_tag, &qs, 1, NULL);
}

static int f7_unsubscribe_none(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_unsubscribe_applied(b, with_tag, 3, 0, false, NULL, 0, NULL);
}

static int f7_unsubscribe_some(lc_buf_t *b, bool with_tag)
{
    static const uint32_t offs[] = {0, 7};
    net_table_rows_t t = {"person", {bob_alice, sizeof bob_alice, 2, offs, 0}};
    return net_v2_encode_unsubscribe_applied(b, with_tag, 3, 0, true, &t, 1, NULL);
}

static int f8_subscription_error_some(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_subscription_error(b, with_tag, true, 5, 7, "no such table", NULL);
}

static int f8_subscription_error_none(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_subscription_error(b, with_tag, false, 0, 7, "no such table", NULL);
}

static int f9_reducer_err(lc_buf_t *b, bool with_tag)
{
    static const uint8_t e[] = "\x0b\0\0\0not allowed";
    net_reducer_outcome_t o = {.kind = NET_RO_ERR, .data = e, .len = sizeof e - 1};
    return net_v2_encode_reducer_result(b, with_tag, 2, TS_2026, &o, NULL);
}

static int f9_reducer_internal(lc_buf_t *b, bool with_tag)
{
    net_reducer_outcome_t o = {.kind = NET_RO_INTERNAL_ERROR, .message = "no such reducer"};
    return net_v2_encode_reducer_result(b, with_tag, 2, TS_2026, &o, NULL);
}

static int f9_reducer_ok_empty(lc_buf_t *b, bool with_tag)
{
    net_reducer_outcome_t o = {.kind = NET_RO_OK_EMPTY};
    return net_v2_encode_reducer_result(b, with_tag, 2, TS_2026, &o, NULL);
}

static int f10_one_off_err(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_one_off_result(b, with_tag, 9, "bad query", NULL, 0, NULL);
}

static int f10_one_off_ok(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_one_off_result(b, with_tag, 9, NULL, NULL, 0, NULL);
}

static int f11_procedure_result(lc_buf_t *b, bool with_tag)
{
    static const uint8_t ret[] = {0x2a, 0, 0, 0};
    return net_v2_encode_procedure_result(b, with_tag, NULL, ret, sizeof ret, TS_2026, 1500, 11,
                                          NULL);
}

static int f12_fixed_size_12(lc_buf_t *b, bool with_tag)
{
    net_table_rows_t t = {"score", fixed_rows(scores, sizeof scores, 12)};
    return net_v2_encode_subscribe_applied(b, with_tag, 1, 0, &t, 1, NULL);
}

/* Shapes §3.6 does not show: checked against the generic decoder only. */
static int x_event_table(lc_buf_t *b, bool with_tag)
{
    static const uint32_t offs[] = {0, 7};
    net_table_update_t tu[2] = {
        {"person", true, {bob_alice, sizeof bob_alice, 2, offs, 0}, no_rows},
        {"score", false, no_rows, fixed_rows(scores, sizeof scores, 12)},
    };
    net_query_set_update_t qs[2] = {{4, 2, tu}, {5, 0, NULL}};
    return net_v2_encode_transaction_update(b, with_tag, qs, 2, NULL);
}

static int x_procedure_error(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_procedure_result(b, with_tag, "procedure panicked", NULL, 0, 0, 0, 12,
                                          NULL);
}

static int x_one_off_ok_rows(lc_buf_t *b, bool with_tag)
{
    static const uint32_t offs[] = {0, 7, 7}; /* a zero-size row in the middle */
    net_table_rows_t t = {"person", {bob_alice, sizeof bob_alice, 3, offs, 0}};
    return net_v2_encode_one_off_result(b, with_tag, 9, NULL, &t, 1, NULL);
}

static int x_unsubscribe_some_empty(lc_buf_t *b, bool with_tag)
{
    return net_v2_encode_unsubscribe_applied(b, with_tag, 3, 0, true, NULL, 0, NULL);
}

static const struct server_frame {
    const char *name;
    build_fn build;
    const char *hex; /* the spec's bytes, 00 tag included; NULL: not in §3.6 */
} server_frames[] = {
    {"1 InitialConnection", f1_initial_connection,
     "00 00 " IDENTITY_LE " " CONN_LE " 07000000 65794a2e782e79"},
    {"3 SubscribeApplied", f3_subscribe_applied,
     "00 01 01000000 00000000 01000000 06000000 706572736f6e 00 0700 07000000 " BOB},
    {"5 ReducerResult Ok", f5_reducer_ok,
     "00 06 02000000 0040204648470600 00 00000000 01000000 00000000"
     " 01000000 06000000 706572736f6e 01000000 00 00 0700 07000000 " BOB " 01 00000000 00000000"},
    {"6 TransactionUpdate", f6_transaction_update,
     "00 04 01000000 00000000 01000000 06000000706572736f6e 01000000 00 00 0900 09000000 " ALICE
     " 00 0700 07000000 " BOB},
    {"7 UnsubscribeApplied None", f7_unsubscribe_none, "00 02 03000000 00000000 01"},
    {"7 UnsubscribeApplied Some", f7_unsubscribe_some,
     "00 02 03000000 00000000 00 01000000 06000000706572736f6e 01 02000000 0000000000000000"
     " 0700000000000000 10000000 03000000426f62 05000000416c696365"},
    {"8 SubscriptionError Some", f8_subscription_error_some,
     "00 03 00 05000000 07000000 0d000000 6e6f2073756368207461626c65"},
    {"8 SubscriptionError None", f8_subscription_error_none,
     "00 03 01 07000000 0d000000 6e6f2073756368207461626c65"},
    {"9 ReducerResult Err", f9_reducer_err,
     "00 06 02000000 0040204648470600 02 0f000000 0b0000006e6f7420616c6c6f776564"},
    {"9 ReducerResult InternalError", f9_reducer_internal,
     "00 06 02000000 0040204648470600 03 0f000000 6e6f20737563682072656475636572"},
    {"9 ReducerResult OkEmpty", f9_reducer_ok_empty, "00 06 02000000 0040204648470600 01"},
    {"10 OneOffQueryResult Err", f10_one_off_err, "00 05 09000000 01 09000000 626164207175657279"},
    {"10 OneOffQueryResult Ok", f10_one_off_ok, "00 05 09000000 00 00000000"},
    {"11 ProcedureResult", f11_procedure_result,
     "00 07 00 04000000 2a000000 0040204648470600 dc05000000000000 0b000000"},
    {"12 SubscribeApplied FixedSize(12)", f12_fixed_size_12,
     "00 01 01000000 00000000 01000000 05000000 73636f7265 00 0c00 18000000 01000000"
     " 0a00000000000000 02000000 1400000000000000"},
    {"x EventTable and two query sets", x_event_table, NULL},
    {"x ProcedureResult InternalError", x_procedure_error, NULL},
    {"x OneOffQueryResult Ok with offsets", x_one_off_ok_rows, NULL},
    {"x UnsubscribeApplied Some(no tables)", x_unsubscribe_some_empty, NULL},
};

TEST(net_server_frames_exact)
{
    size_t nspec = 0;
    for (size_t i = 0; i < LC_ARRAY_LEN(server_frames); i++) {
        const struct server_frame *f = &server_frames[i];
        lc_buf_t b = {0};
        int rc = f->build(&b, true);
        bool generic = rc == LC_OK && b.len > 0 && b.data[0] == 0 &&
                       generic_server_ok(b.data + 1, b.len - 1, 1);
        uint8_t *want = NULL;
        long n = f->hex ? unhex(f->hex, &want) : 0;
        bool same = f->hex == NULL || (n > 0 && (size_t)n == b.len && !memcmp(b.data, want, b.len));
        if (!same && rc == LC_OK)
            test_mem_eq(__FILE__, __LINE__, f->name, b.data, want, LC_MIN(b.len, (size_t)n));
        size_t len = b.len;
        lc_buf_free(&b);
        CHECK_MSG(rc == LC_OK, "frame %s: encoder returned %d", f->name, rc);
        CHECK_MSG(same, "frame %s: %zu bytes differ from the spec's %ld", f->name, len, n);
        CHECK_MSG(generic, "frame %s: the generic decoder disagrees", f->name);
        nspec += f->hex != NULL;
    }
    CHECK_EQ_INT(nspec, 15);
}

/* with_tag = false writes the same message without the leading 00, after
 * whatever the buffer already holds. */
TEST(net_server_frames_untagged)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(server_frames); i++) {
        const struct server_frame *f = &server_frames[i];
        lc_buf_t tagged = {0}, bare = {0};
        lc_buf_append(&bare, "xy", 2);
        int rc1 = f->build(&tagged, true), rc2 = f->build(&bare, false);
        bool same = rc1 == LC_OK && rc2 == LC_OK && bare.len + 1 == tagged.len + 2 &&
                    !memcmp(bare.data, "xy", 2) &&
                    !memcmp(bare.data + 2, tagged.data + 1, tagged.len - 1);
        lc_buf_free(&tagged);
        lc_buf_free(&bare);
        CHECK_MSG(same, "frame %s: untagged encoding differs", f->name);
    }
}

/* Two queries of one set on one table (a whole-table query and a filter):
 * one TableUpdate with two TableUpdateRows, not two TableUpdates (§4.2). */
TEST(net_table_update_one_per_table)
{
    net_table_update_t tu[3] = {
        {"person", false, fixed_rows(bob, sizeof bob, 7), no_rows},
        {"person", false, no_rows, fixed_rows(alice, sizeof alice, 9)},
        {"score", false, no_rows, no_rows},
    };
    net_query_set_update_t qs = {1, 3, tu};
    lc_buf_t b = {0};
    CHECK_OK(net_v2_encode_transaction_update(&b, true, &qs, 1, NULL));
    uint8_t *want = NULL;
    long n =
        unhex("00 04 01000000 01000000 02000000"
              " 06000000706572736f6e 02000000"
              " 00 00 0700 07000000 " BOB " 01 00000000 00000000"
              " 00 01 00000000 00000000 00 0900 09000000 " ALICE " 05000000 73636f7265 01000000"
              " 00 01 00000000 00000000 01 00000000 00000000",
              &want);
    CHECK(n > 0 && (size_t)n == b.len);
    if (n > 0 && (size_t)n == b.len)
        test_mem_eq(__FILE__, __LINE__, "one TableUpdate per table", b.data, want, b.len);
    CHECK(generic_server_ok(b.data + 1, b.len - 1, 1));
    lc_buf_free(&b);
}

/* A v3 payload: one tag, then three messages back to back. */
TEST(net_v3_server_batch)
{
    lc_buf_t b = {0};
    CHECK_OK(net_v3_begin_frame(&b));
    CHECK_OK(f1_initial_connection(&b, false));
    CHECK_OK(f3_subscribe_applied(&b, false));
    CHECK_OK(f6_transaction_update(&b, false));
    uint8_t want[512];
    long n = test_unhex("00"
                        " 00 " IDENTITY_LE " " CONN_LE " 07000000 65794a2e782e79"
                        " 01 01000000 00000000 01000000 06000000 706572736f6e 00 0700 07000000 " BOB
                        " 04 01000000 00000000 01000000 06000000706572736f6e 01000000 00 00 0900"
                        " 09000000 " ALICE " 00 0700 07000000 " BOB,
                        want, sizeof want);
    bool same = n > 0 && (size_t)n == b.len && !memcmp(b.data, want, b.len);
    bool generic = generic_server_ok(b.data + 1, b.len - 1, 3);
    bool generic_not_2 = !generic_server_ok(b.data + 1, b.len - 1, 2);
    lc_buf_free(&b);
    CHECK(same);
    CHECK(generic);
    CHECK(generic_not_2); /* three messages, not two and some bytes */
}

TEST(net_encode_errors)
{
    lc_err_t err;
    lc_buf_t b = {0};
    lc_buf_append(&b, "keep", 4);
    static const uint32_t down[] = {0, 9, 7}, late[] = {3, 7};
    const net_row_list_t bad_lists[] = {
        {bob, sizeof bob, 2, NULL, 7},                     /* 2 rows of 7 in 7 bytes */
        {bob, sizeof bob, 0, NULL, 0},                     /* no rows but data */
        {bob_alice, 16, 3, down, 0},                       /* offsets go down */
        {bob_alice, 16, 2, late, 0},                       /* first row not at 0 */
        {bob, sizeof bob, 2, (const uint32_t[]){0, 8}, 0}, /* past the end */
        {bob, sizeof bob, 1, NULL, 0},                     /* no offsets, no fixed size */
        {NULL, 7, 1, NULL, 7},                             /* length without data */
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(bad_lists); i++) {
        net_table_rows_t t = {"person", bad_lists[i]};
        CHECK_EQ_INT(net_v2_encode_subscribe_applied(&b, true, 1, 0, &t, 1, &err), LC_EINVAL);
        CHECK_EQ_INT(b.len, 4);
        net_table_update_t tu = {"person", false, no_rows, bad_lists[i]};
        net_query_set_update_t qs = {0, 1, &tu};
        CHECK_EQ_INT(net_v2_encode_transaction_update(&b, false, &qs, 1, &err), LC_EINVAL);
        CHECK_EQ_INT(b.len, 4);
    }
    uint8_t id[32] = {0}, conn[16] = {0};
    CHECK_EQ_INT(net_v2_encode_initial_connection(&b, true, id, conn, "\xc3\x28", &err), LC_EINVAL);
    CHECK(strstr(err.msg, "UTF-8") != NULL);
    CHECK_EQ_INT(net_v2_encode_initial_connection(&b, true, id, conn, NULL, &err), LC_EINVAL);
    CHECK_EQ_INT(net_v2_encode_initial_connection(&b, true, NULL, conn, "t", &err), LC_EINVAL);
    CHECK_EQ_INT(net_v2_encode_subscription_error(&b, true, false, 0, 1, NULL, &err), LC_EINVAL);
    CHECK_EQ_INT(net_v2_encode_subscribe_applied(&b, true, 1, 0, NULL, 2, &err), LC_EINVAL);
    CHECK_EQ_INT(net_v2_encode_transaction_update(&b, true, NULL, 1, &err), LC_EINVAL);
    net_reducer_outcome_t o = {.kind = (net_reducer_outcome_kind_t)4};
    CHECK_EQ_INT(net_v2_encode_reducer_result(&b, true, 1, 0, &o, &err), LC_EINVAL);
    CHECK_EQ_INT(net_v2_encode_reducer_result(&b, true, 1, 0, NULL, &err), LC_EINVAL);
    o = (net_reducer_outcome_t){.kind = NET_RO_ERR, .data = NULL, .len = 3};
    CHECK_EQ_INT(net_v2_encode_reducer_result(&b, true, 1, 0, &o, &err), LC_EINVAL);
    o = (net_reducer_outcome_t){.kind = NET_RO_ERR, .data = bob, .len = (size_t)UINT32_MAX + 1};
    CHECK_EQ_INT(net_v2_encode_reducer_result(&b, true, 1, 0, &o, &err), LC_ERANGE);
    CHECK_EQ_INT(b.len, 4);
    CHECK_EQ_MEM(b.data, "keep", 4);
    lc_buf_free(&b);
}

/* Each allocation failing in turn: LC_ENOMEM and the buffer as it was, or
 * the right bytes. */
TEST(net_encode_fault_injection)
{
    bool saw_ok = false;
    for (long fail = 1; fail < 20 && !saw_ok; fail++) {
        lc_buf_t b = {0};
        lc_fault_alloc_after(fail);
        int rc = f7_unsubscribe_some(&b, true);
        lc_fault_alloc_after(0);
        size_t len = b.len;
        lc_buf_free(&b);
        CHECK(rc == LC_OK || (rc == LC_ENOMEM && len == 0));
        saw_ok = rc == LC_OK;
    }
    CHECK(saw_ok);
}

/* ---------------------------------------------------------------- client frames */

#define F2  "00 01000000 00000000 01000000 14000000 53454c454354202a2046524f4d20706572736f6e"
#define F4  "03 02000000 00 03000000 616464 07000000 " BOB
#define F13 "01 03000000 00000000 01"
#define F14 "02 09000000 14000000 53454c454354202a2046524f4d20706572736f6e"
#define F15 "04 0b000000 00 09000000 6765745f73636f7265 00000000"

static const char *const client_frames[] = {F2, F4, F13, F14, F15};

/* Decode hex as a v2 frame into m (arena a); the result code. */
static int dec2(lc_arena_t *a, const char *hex, net_client_msg_t *m, lc_err_t *err)
{
    uint8_t *p;
    long n = unhex(hex, &p);
    if (n < 0)
        return LC_EINTERNAL;
    return net_v2_decode_client_frame(a, p, (size_t)n, m, err);
}

TEST(net_client_frames_decoded)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    net_client_msg_t m;
    lc_err_t err;
    int rc = dec2(&a, F2, &m, &err);
    bool ok2 = rc == LC_OK && m.kind == NET_CM_SUBSCRIBE && m.request_id == 1 &&
               m.query_set_id == 0 && m.nqueries == 1 &&
               !strcmp(m.queries[0], "SELECT * FROM person") && m.query == NULL && m.name == NULL;
    rc = dec2(&a, F4, &m, &err);
    bool ok4 = rc == LC_OK && m.kind == NET_CM_CALL_REDUCER && m.request_id == 2 && m.flags == 0 &&
               !strcmp(m.name, "add") && m.args_len == 7 && !memcmp(m.args, bob, 7);
    rc = dec2(&a, F13, &m, &err);
    bool ok13 = rc == LC_OK && m.kind == NET_CM_UNSUBSCRIBE && m.request_id == 3 &&
                m.query_set_id == 0 && m.flags == NET_UNSUB_SEND_DROPPED_ROWS;
    rc = dec2(&a, "01 03000000 07000000 00", &m, &err);
    bool ok13d = rc == LC_OK && m.query_set_id == 7 && m.flags == NET_UNSUB_DEFAULT;
    rc = dec2(&a, F14, &m, &err);
    bool ok14 = rc == LC_OK && m.kind == NET_CM_ONE_OFF_QUERY && m.request_id == 9 &&
                !strcmp(m.query, "SELECT * FROM person");
    rc = dec2(&a, F15, &m, &err);
    bool ok15 = rc == LC_OK && m.kind == NET_CM_CALL_PROCEDURE && m.request_id == 11 &&
                !strcmp(m.name, "get_score") && m.args_len == 0;
    rc = dec2(&a, "00 05000000 06000000 02000000 00000000 01000000 78", &m, &err);
    bool ok_two =
        rc == LC_OK && m.nqueries == 2 && !strcmp(m.queries[0], "") && !strcmp(m.queries[1], "x");
    rc = dec2(&a, "00 05000000 06000000 00000000", &m, &err);
    bool ok_none = rc == LC_OK && m.nqueries == 0 && m.queries == NULL;
    lc_arena_free(&a);
    CHECK(ok2);
    CHECK(ok4);
    CHECK(ok13);
    CHECK(ok13d);
    CHECK(ok14);
    CHECK(ok15);
    CHECK(ok_two);
    CHECK(ok_none);
}

/* The generic decoder takes exactly the bytes ours does. */
TEST(net_client_frames_generic)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(client_frames); i++) {
        uint8_t *p;
        long n = unhex(client_frames[i], &p);
        CHECK(n > 0);
        CHECK_EQ_INT(generic_client_len(p, (size_t)n), n);
    }
}

/* Every proper prefix of every client frame is LC_ECORRUPT, and the reader
 * stays where the message started. */
TEST(net_client_prefixes)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err;
    net_client_msg_t m, *msgs;
    uint32_t count;
    int bad = 0;
    for (size_t i = 0; i < LC_ARRAY_LEN(client_frames); i++) {
        uint8_t *p;
        long n = unhex(client_frames[i], &p);
        for (long k = 0; k < n; k++) {
            lc_rd_t r = lc_rd_make(p, (size_t)k);
            bad += net_v2_decode_client(&a, &r, &m, &err) != LC_ECORRUPT;
            bad += r.p != p || r.len != (size_t)k;
            bad += net_v2_decode_client_frame(&a, p, (size_t)k, &m, &err) != LC_ECORRUPT;
            bad += net_v3_decode_client_frame(&a, p, (size_t)k, &msgs, &count, &err) != LC_ECORRUPT;
            bad += msgs != NULL || count != 0;
        }
    }
    lc_arena_free(&a);
    CHECK_EQ_INT(bad, 0);
}

typedef struct reject {
    const char *hex;
    const char *msg; /* a word the error message must hold */
} reject_t;

TEST(net_client_rejects)
{
    static const reject_t rejects[] = {
        {"05 00000000", "tag 5"},
        {"ff", "tag 255"},
        {"03 02000000 01 03000000 616464 00000000", "flags is 1"},
        {"04 0b000000 80 09000000 6765745f73636f7265 00000000", "flags is 128"},
        {"01 03000000 00000000 02", "flags variant 2"},
        {"00 01000000 00000000 01000000 02000000 c328", "not valid UTF-8"},
        {"00 01000000 00000000 01000000 03000000 eda080", "not valid UTF-8"}, /* surrogate */
        {"02 09000000 02000000 c0af", "not valid UTF-8"},                     /* overlong */
        {"03 02000000 00 01000000 ff 00000000", "reducer is not valid UTF-8"},
        {"04 02000000 00 05000000 6164640078 00000000", "procedure holds a NUL"},
        {"02 09000000 01000000 00", "NUL"},
        {"00 01000000 00000000 ffffffff", "truncated in query_strings"},
        {"00 01000000 00000000 02000000 00000000", "truncated in query_strings"},
        {"03 02000000 00 03000000 616464 08000000 " BOB, "truncated in args"},
        {"", "empty"},
    };
    lc_arena_t a;
    lc_arena_init(&a, 0);
    net_client_msg_t m;
    for (size_t i = 0; i < LC_ARRAY_LEN(rejects); i++) {
        lc_err_t err = {0};
        int rc = dec2(&a, rejects[i].hex, &m, &err);
        if (rc != LC_ECORRUPT || strstr(err.msg, rejects[i].msg) == NULL) {
            lc_arena_free(&a);
            CHECK_MSG(false, "%s: rc %d, message \"%s\", expected LC_ECORRUPT and \"%s\"",
                      rejects[i].hex, rc, err.msg, rejects[i].msg);
        }
    }
    lc_arena_free(&a);
}

TEST(net_v3_client_frames)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err;
    net_client_msg_t *msgs;
    uint32_t count;
    uint8_t *p;
    long n = unhex(F2 " " F4, &p);
    int rc = net_v3_decode_client_frame(&a, p, (size_t)n, &msgs, &count, &err);
    bool two = rc == LC_OK && count == 2 && msgs[0].kind == NET_CM_SUBSCRIBE &&
               !strcmp(msgs[0].queries[0], "SELECT * FROM person") &&
               msgs[1].kind == NET_CM_CALL_REDUCER && !strcmp(msgs[1].name, "add") &&
               msgs[1].args == p + n - 7;
    /* Nine messages: past the first growth of the array. */
    n = unhex(F13 F14 F15 F2 F4 F13 F14 F15 F2, &p);
    rc = net_v3_decode_client_frame(&a, p, (size_t)n, &msgs, &count, &err);
    bool nine = rc == LC_OK && count == 9 && msgs[8].kind == NET_CM_SUBSCRIBE &&
                msgs[4].kind == NET_CM_CALL_REDUCER && !strcmp(msgs[7].name, "get_score");
    n = unhex(F13 " 02 09", &p);
    int rc_trail = net_v3_decode_client_frame(&a, p, (size_t)n, &msgs, &count, &err);
    bool trail_msg = strstr(err.msg, "message 2") != NULL;
    int rc_trail2 = net_v3_decode_client_frame(&a, p, (size_t)n - 1, &msgs, &count, &err);
    int rc_empty = net_v3_decode_client_frame(&a, p, 0, &msgs, &count, &err);
    bool empty_msg = strstr(err.msg, "empty") != NULL;
    net_client_msg_t m;
    int rc_v2 = net_v2_decode_client_frame(&a, p, (size_t)n - 2, &m, &err);
    /* v2 ignores bytes after its one message, as the reference server does */
    int rc_v2_trail = net_v2_decode_client_frame(&a, p, (size_t)n, &m, &err);
    bool v2_trail_msg = rc_v2_trail == LC_OK && m.kind == NET_CM_UNSUBSCRIBE;
    lc_arena_free(&a);
    CHECK(two);
    CHECK(nine);
    CHECK_EQ_INT(rc_trail, LC_ECORRUPT);
    CHECK(trail_msg);
    CHECK_EQ_INT(rc_trail2, LC_ECORRUPT);
    CHECK_EQ_INT(rc_empty, LC_ECORRUPT);
    CHECK(empty_msg);
    CHECK_OK(rc_v2);
    CHECK(v2_trail_msg);
}

TEST(net_decode_fault_injection)
{
    uint8_t *p;
    long n = unhex(F2 F4 F14 F2 F15 F13, &p);
    CHECK(n > 0);
    bool saw_ok = false;
    for (long fail = 1; fail < 50 && !saw_ok; fail++) {
        lc_arena_t small;
        lc_arena_init(&small, 64);
        net_client_msg_t *msgs;
        uint32_t count;
        lc_fault_alloc_after(fail);
        int rc = net_v3_decode_client_frame(&small, p, (size_t)n, &msgs, &count, NULL);
        lc_fault_alloc_after(0);
        lc_arena_free(&small);
        CHECK(rc == LC_OK || rc == LC_ENOMEM);
        saw_ok = rc == LC_OK;
    }
    CHECK(saw_ok);
}

const test_case_t test_net_cases[] = {
    TEST_CASE(net_server_frames_exact),
    TEST_CASE(net_server_frames_untagged),
    TEST_CASE(net_v3_server_batch),
    TEST_CASE(net_table_update_one_per_table),
    TEST_CASE(net_encode_errors),
    TEST_CASE(net_encode_fault_injection),
    TEST_CASE(net_client_frames_decoded),
    TEST_CASE(net_client_frames_generic),
    TEST_CASE(net_client_prefixes),
    TEST_CASE(net_client_rejects),
    TEST_CASE(net_v3_client_frames),
    TEST_CASE(net_decode_fault_injection),
    TEST_END,
};
