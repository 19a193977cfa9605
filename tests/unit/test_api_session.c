/*
 * Tests of the WebSocket sessions (src/api/session.c).  The query subset
 * and the compression helpers on their own; then real sessions over
 * sockets: a net server whose one route hands upgrades of
 * /v1/database/<name>/subscribe to api_session_start (the caller is named
 * by an X-Who header instead of a token), a registry hosting the chat
 * example (in memory, or durable for confirmed reads), and the raw
 * clients of net_client.h.  Each scenario runs between fx_start and
 * fx_stop, so a failed check still shuts everything down.
 */
#include <brotli/decode.h>
#include <dlfcn.h>
#include <zlib.h>

#include "api/session_int.h"
#include "test.h"
#include "unit/module_fixture.h"
#include "unit/net_client.h"

/* ---------------------------------------------------------------- helpers */

TEST(session_query_subset)
{
    char t[64];
    CHECK_EQ_INT(api__parse_query("SELECT * FROM person", t, sizeof t), API__QUERY_TABLE);
    CHECK_EQ_STR(t, "person");
    CHECK_EQ_INT(api__parse_query("  select\t*\nfrom \"Per son\" ; ", t, sizeof t),
                 API__QUERY_TABLE);
    CHECK_EQ_STR(t, "Per son");
    CHECK_EQ_INT(api__parse_query("SELECT*FROM x_1;", t, sizeof t), API__QUERY_TABLE);
    CHECK_EQ_STR(t, "x_1");
    CHECK_EQ_INT(api__parse_query("SELECT \"a\"\"b\" . * FROM \"a\"\"b\"", t, sizeof t),
                 LC_EUNSUPPORTED);
    CHECK_EQ_INT(api__parse_query("SELECT person.* FROM person", t, sizeof t), API__QUERY_TABLE);
    CHECK_EQ_STR(t, "person");
    CHECK_EQ_INT(api__parse_query("SELECT \"a\"\"b\".* FROM \"a\"\"b\"", t, sizeof t),
                 API__QUERY_TABLE);
    CHECK_EQ_STR(t, "a\"b");
    CHECK_EQ_INT(api__parse_query("Select * From *", t, sizeof t), API__QUERY_ALL);
    CHECK_EQ_INT(api__parse_query("SELECT * FROM *;", t, sizeof t), API__QUERY_ALL);
    static const char *const bad[] = {
        "",
        "   ",
        "SELECT name FROM person",
        "SELECT * FROM person WHERE id = 1",
        "SELECT * FROM person; SELECT * FROM x",
        "SELECT * FROMperson",
        "SELECTED * FROM person",
        "SELECT * FROM \"\"",
        "SELECT * FROM \"open",
        "SELECT * FROM 1abc",
        "SELECT * FROM a JOIN b",
        "SELECT other.* FROM person",
        "SELECT person.* FROM *",
        "DELETE FROM person",
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++)
        CHECK_MSG(api__parse_query(bad[i], t, sizeof t) == LC_EUNSUPPORTED, "accepted: %s", bad[i]);
    CHECK_EQ_INT(api__parse_query("SELECT * FROM abcdefgh", t, 8), LC_EUNSUPPORTED);
}

/* Inflate a gzip stream (windowBits 15 + 16 accepts only gzip). */
static long gunzip(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    long got = rc == Z_STREAM_END ? (long)(cap - z.avail_out) : -1;
    inflateEnd(&z);
    return got;
}

/* Brotli's decoder, found at run time: the server links only the
 * encoder.  NULL if the library is not installed. */
typedef BrotliDecoderResult (*brotli_decompress_fn)(size_t, const uint8_t *, size_t *, uint8_t *);

static brotli_decompress_fn brotli_decoder(void)
{
    static brotli_decompress_fn fn;
    if (!fn) {
        void *h = dlopen("libbrotlidec.so.1", RTLD_NOW | RTLD_LOCAL);
        fn = h ? (brotli_decompress_fn)dlsym(h, "BrotliDecoderDecompress") : NULL;
    }
    return fn;
}

static long unbrotli(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    size_t len = cap;
    brotli_decompress_fn fn = brotli_decoder();
    return fn && fn(n, p, &len, out) == BROTLI_DECODER_RESULT_SUCCESS ? (long)len : -1;
}

TEST(session_compression)
{
    CHECK_EQ_INT(api__compression_for(NET_COMPRESSION_GZIP, 1024), NET_COMPRESSION_NONE);
    CHECK_EQ_INT(api__compression_for(NET_COMPRESSION_GZIP, 1025), NET_COMPRESSION_GZIP);
    CHECK_EQ_INT(api__compression_for(NET_COMPRESSION_BROTLI, 5000), NET_COMPRESSION_BROTLI);
    CHECK_EQ_INT(api__compression_for(NET_COMPRESSION_NONE, 5000), NET_COMPRESSION_NONE);
    static uint8_t body[4000], back[5000];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (uint8_t)(i % 17 == 0 ? i : 'a');
    lc_buf_t b;
    lc_buf_init(&b);
    CHECK_OK(lc_buf_append(&b, "xy", 2)); /* appended after what is there */
    CHECK_OK(api__compress(NET_COMPRESSION_GZIP, body, sizeof body, &b));
    CHECK_EQ_INT(b.data[2], NET_COMPRESSION_GZIP);
    CHECK(b.data[3] == 0x1f && b.data[4] == 0x8b); /* the gzip magic: RFC 1952, not zlib */
    CHECK(b.len < sizeof body / 2);
    CHECK_EQ_INT(gunzip(b.data + 3, b.len - 3, back, sizeof back), (long)sizeof body);
    CHECK_EQ_MEM(back, body, sizeof body);
    lc_buf_reset(&b);
    CHECK_OK(api__compress(NET_COMPRESSION_BROTLI, body, sizeof body, &b));
    CHECK_EQ_INT(b.data[0], NET_COMPRESSION_BROTLI);
    CHECK(b.len < sizeof body / 2);
    if (brotli_decoder()) {
        CHECK_EQ_INT(unbrotli(b.data + 1, b.len - 1, back, sizeof back), (long)sizeof body);
        CHECK_EQ_MEM(back, body, sizeof body);
    }
    lc_buf_reset(&b);
    CHECK_OK(api__compress(NET_COMPRESSION_NONE, body, 10, &b));
    CHECK_EQ_INT(b.len, 11);
    CHECK_EQ_MEM(b.data + 1, body, 10);
    lc_buf_free(&b);
}

/* ---------------------------------------------------------------- the fixture */

static struct {
    api_t api;
    wasm_engine_t *engine;
    db_registry_t *reg;
    net_server_t *net;
    db_entry_t *db; /* our reference to the database "chat" */
    int port;
} F;

static void hook_commit(void *arg, db_entry_t *e, const store_changeset_t *cs,
                        const mod_caller_t *caller)
{
    api_sessions_on_commit(arg, e, cs, caller);
}

static void hook_durable(void *arg, db_entry_t *e, uint64_t offset)
{
    api_sessions_on_durable(arg, e, offset);
}

static void hook_free(void *arg, db_entry_t *e)
{
    api_sessions_free(arg, e);
}

static void identity_of(const char *who, uint8_t out[32])
{
    auth_identity_t id;
    auth_identity_from_claims(AUTH_LOCAL_ISSUER, who, &id);
    memcpy(out, id.le, 32);
}

/* The one route: upgrades of /v1/database/<name>/subscribe. */
static void route(net_http_req_t *req, void *user)
{
    const char *path = net_http_path(req);
    char name[64];
    const char *end = strstr(path, "/subscribe");
    size_t n = end ? (size_t)(end - path) - strlen("/v1/database/") : 0;
    if (strncmp(path, "/v1/database/", 13) != 0 || !end || n == 0 || n >= sizeof name) {
        api_text(req, 404, "no route");
        return;
    }
    memcpy(name, path + 13, n);
    name[n] = '\0';
    db_entry_t *e;
    lc_err_t err;
    if (db_registry_find(F.reg, name, &e, &err)) {
        api_text(req, 404, "%s", err.msg);
        return;
    }
    const char *who = net_http_header(req, "x-who");
    who = who ? who : "anon";
    api_caller_t c;
    memset(&c, 0, sizeof c);
    auth_identity_from_claims(AUTH_LOCAL_ISSUER, who, &c.claims.identity);
    c.claims.issuer = lc_strdup(AUTH_LOCAL_ISSUER);
    c.claims.subject = lc_strdup(who);
    c.claims.payload = lc_strdup("{\"sub\":\"x\"}");
    c.claims.payload_len = strlen(c.claims.payload);
    lc_buf_t tok;
    lc_buf_init(&tok);
    lc_buf_printf(&tok, "token-%s", who);
    lc_buf_terminate(&tok);
    c.token = (char *)lc_buf_take(&tok, &n);
    api_session_start(&F.api, req, e, &c);
}

static int fx_start(const char *module, bool durable)
{
    memset(&F, 0, sizeof F);
    size_t n;
    wasm_engine_config_t wc = {.cache_dir = fixture_cache_dir(), .opt_level = -1};
    wc.host_fns = mod_abi_host_fns(&n);
    wc.nhost_fns = n;
    lc_err_t err;
    int rc = wasm_engine_new(&wc, &F.engine, &err);
    db_registry_config_t rcfg = {.data_dir = durable ? test_tmpdir() : NULL,
                                 .engine = F.engine,
                                 .fsync = DUR_FSYNC_EVERY_BATCH,
                                 .on_commit = hook_commit,
                                 .on_durable = hook_durable,
                                 .on_entry_free = hook_free,
                                 .hook_arg = &F.api};
    rcfg.limits.memory_bytes = 64u << 20;
    F.api.reg = NULL;
    pthread_mutex_init(&F.api.mu, NULL);
    if (rc == LC_OK)
        rc = db_registry_open(&rcfg, &F.reg, &err);
    F.api.reg = F.reg;
    uint8_t owner[32];
    identity_of("owner", owner);
    if (rc == LC_OK)
        rc = db_registry_create(F.reg, "chat", owner, &F.db, &err);
    size_t len = 0;
    uint8_t *wasm = NULL;
    if (rc == LC_OK) {
        wasm = strcmp(module, "refuse-connect") == 0 ? fixture_hostile(module, &len)
                                                     : fixture_example(module, &len);
        rc = wasm ? LC_OK : lc_err_set(&err, LC_ENOTFOUND, "no module %s", module);
    }
    if (rc == LC_OK) {
        db_publish_opts_t o = {0};
        memcpy(o.owner, owner, 32);
        db_publish_result_t res;
        memset(&res, 0, sizeof res);
        rc = db_publish(F.db->db, wasm, len, &o, &res, &err);
        lc_buf_free(&res.plan);
    }
    lc_free(wasm);
    net_config_t nc;
    net_config_default(&nc);
    nc.port = 0;
    nc.loops = 1;
    nc.on_request = route;
    if (rc == LC_OK && (rc = net_server_start(&nc, &F.net, &err)) == LC_OK)
        F.port = net_server_port(F.net);
    if (rc)
        fprintf(stderr, "  fixture: %s\n", err.msg);
    return rc;
}

static void fx_stop(void)
{
    if (F.net)
        net_server_stop(F.net); /* every session closes: on_close, disconnect */
    api_sessions_drain(&F.api);
    db_entry_release(F.db);
    if (F.reg)
        db_registry_close(F.reg);
    pthread_mutex_destroy(&F.api.mu);
    if (F.engine)
        wasm_engine_free(F.engine);
    memset(&F, 0, sizeof F);
}

/* ---------------------------------------------------------------- clients */

/* Open a WebSocket to db as who; NULL unless the server answered 101.
 * r receives the response head (its body if refused). */
static tc_t *ws_open(const char *db, const char *who, const char *query, const char *protocols,
                     tc_resp_t *r)
{
    tc_t *c = tc_connect(F.port);
    if (!c)
        return NULL;
    char req[1024];
    snprintf(req, sizeof req,
             "GET /v1/database/%s/subscribe%s%s HTTP/1.1\r\nHost: localhost\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " TC_WS_KEY "\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\nX-Who: %s\r\n\r\n",
             db, query ? "?" : "", query ? query : "", protocols, who);
    if (!tc_send_str(c, req) || !tc_read_response(c, r) || r->status != 101) {
        tc_close(c);
        return NULL;
    }
    return c;
}

#define V2 "v2.bsatn.spacetimedb"
#define V3 "v3.bsatn.spacetimedb"

/* One server message, decompressed: the body after the tag in out
 * (malloc'd); *tag the compression tag.  False on a non-binary frame. */
static bool ws_msg(tc_t *c, uint8_t **out, size_t *len, int *tag)
{
    tc_frame_t f;
    *out = NULL;
    if (!tc_ws_read(c, &f) || f.opcode != 2 || f.len < 2) {
        free(f.data);
        return false;
    }
    *tag = f.data[0];
    size_t cap = 1 << 20;
    *out = malloc(cap);
    long n = -1;
    if (*tag == NET_COMPRESSION_NONE) {
        n = (long)f.len - 1;
        memcpy(*out, f.data + 1, (size_t)n);
    } else if (*tag == NET_COMPRESSION_GZIP) {
        n = gunzip(f.data + 1, f.len - 1, *out, cap);
    } else if (*tag == NET_COMPRESSION_BROTLI) {
        n = unbrotli(f.data + 1, f.len - 1, *out, cap);
    }
    free(f.data);
    *len = n < 0 ? 0 : (size_t)n;
    return n > 0;
}

/* A reader over a server message. */
typedef struct cur {
    const uint8_t *p;
    size_t n;
    bool bad;
} cur_t;

static const uint8_t *take(cur_t *c, size_t n)
{
    if (c->bad || c->n < n) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    c->n -= n;
    return p;
}

static uint32_t rd8(cur_t *c)
{
    const uint8_t *p = take(c, 1);
    return p ? p[0] : 0;
}

static uint32_t rd32(cur_t *c)
{
    const uint8_t *p = take(c, 4);
    return p ? lc_load_u32le(p) : 0;
}

static void rdstr(cur_t *c, char *out, size_t cap)
{
    uint32_t n = rd32(c);
    const uint8_t *p = take(c, n);
    size_t k = p ? (n < cap ? n : cap - 1) : 0;
    if (p)
        memcpy(out, p, k);
    out[k] = '\0';
}

/* A BsatnRowList: its row count; the first row's bytes in *first. */
static uint32_t rdrows(cur_t *c, const uint8_t **first)
{
    uint32_t rows;
    if (rd8(c) == 0) {
        const uint8_t *p = take(c, 2);
        uint32_t size = p ? lc_load_u16le(p) : 1;
        uint32_t len = rd32(c);
        rows = len / size;
        const uint8_t *d = take(c, len);
        if (first)
            *first = d;
        return rows;
    }
    rows = rd32(c);
    take(c, 8 * (size_t)rows);
    uint32_t len = rd32(c);
    const uint8_t *d = take(c, len);
    if (first)
        *first = d;
    return rows;
}

/* A summary of a QueryRows or a TransactionUpdate: "name:rows ..." or
 * "qs:name+ins-del ...". */
static void query_rows(cur_t *c, char *out, size_t cap)
{
    uint32_t n = rd32(c);
    size_t at = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < n && !c->bad; i++) {
        char name[64];
        rdstr(c, name, sizeof name);
        uint32_t rows = rdrows(c, NULL);
        at += (size_t)snprintf(out + at, cap - at, "%s%s:%u", i ? " " : "", name, rows);
    }
}

static void query_sets(cur_t *c, char *out, size_t cap)
{
    uint32_t n = rd32(c);
    size_t at = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < n && !c->bad; i++) {
        uint32_t qs = rd32(c), nt = rd32(c);
        for (uint32_t j = 0; j < nt && !c->bad; j++) {
            char name[64];
            rdstr(c, name, sizeof name);
            uint32_t nrows = rd32(c);
            for (uint32_t k = 0; k < nrows && !c->bad; k++) {
                bool event = rd8(c) == 1;
                uint32_t ins = rdrows(c, NULL), del = event ? 0 : rdrows(c, NULL);
                at += (size_t)snprintf(out + at, cap - at, "%s%u:%s+%u-%u%s", at ? " " : "", qs,
                                       name, ins, del, event ? "e" : "");
            }
        }
    }
}

/* Read the next message and describe it in one line:
 *   init                            InitialConnection
 *   applied R Q <tables>            SubscribeApplied
 *   unsub R Q none | <tables>       UnsubscribeApplied
 *   suberr R|- Q <message>          SubscriptionError
 *   tx <sets>                       TransactionUpdate
 *   oneoff R ok <tables> | err <m>  OneOffQueryResult
 *   reducer R ok <sets> | err <m> | internal <m>
 *   procedure R internal <m>        ProcedureResult */
static bool next(tc_t *c, char *out, size_t cap)
{
    uint8_t *m;
    size_t len;
    int tag;
    if (!ws_msg(c, &m, &len, &tag)) {
        free(m);
        snprintf(out, cap, "(no message)");
        return false;
    }
    cur_t r = {m, len, false};
    char a[1024], s[512];
    uint32_t kind = rd8(&r), rid = 0, qs = 0;
    switch (kind) {
    case NET_SM_INITIAL_CONNECTION:
        take(&r, 48);
        rdstr(&r, s, sizeof s);
        snprintf(out, cap, "init");
        break;
    case NET_SM_SUBSCRIBE_APPLIED:
        rid = rd32(&r);
        qs = rd32(&r);
        query_rows(&r, a, sizeof a);
        snprintf(out, cap, "applied %u %u %s", rid, qs, a);
        break;
    case NET_SM_UNSUBSCRIBE_APPLIED:
        rid = rd32(&r);
        qs = rd32(&r);
        if (rd8(&r) == 0)
            query_rows(&r, a, sizeof a);
        else
            snprintf(a, sizeof a, "none");
        snprintf(out, cap, "unsub %u %u %s", rid, qs, a);
        break;
    case NET_SM_SUBSCRIPTION_ERROR: {
        bool some = rd8(&r) == 0;
        rid = some ? rd32(&r) : 0;
        qs = rd32(&r);
        rdstr(&r, s, sizeof s);
        if (some)
            snprintf(out, cap, "suberr %u %u %s", rid, qs, s);
        else
            snprintf(out, cap, "suberr - %u %s", qs, s);
        break;
    }
    case NET_SM_TRANSACTION_UPDATE:
        query_sets(&r, a, sizeof a);
        snprintf(out, cap, "tx %s", a);
        break;
    case NET_SM_ONE_OFF_QUERY_RESULT:
        rid = rd32(&r);
        if (rd8(&r) == 0) {
            query_rows(&r, a, sizeof a);
            snprintf(out, cap, "oneoff %u ok %s", rid, a);
        } else {
            rdstr(&r, s, sizeof s);
            snprintf(out, cap, "oneoff %u err %s", rid, s);
        }
        break;
    case NET_SM_REDUCER_RESULT: {
        rid = rd32(&r);
        take(&r, 8);
        uint32_t o = rd8(&r);
        if (o == 0) {
            take(&r, rd32(&r)); /* ret_value */
            query_sets(&r, a, sizeof a);
            snprintf(out, cap, "reducer %u ok %s", rid, a);
        } else if (o == 2) {
            uint32_t n = rd32(&r);
            cur_t e = {take(&r, n), n, false};
            e.bad = e.p == NULL;
            rdstr(&e, s, sizeof s); /* Err: a BSATN String inside the bytes */
            r.bad = r.bad || e.bad || e.n != 0;
            snprintf(out, cap, "reducer %u err %s", rid, s);
        } else {
            rdstr(&r, s, sizeof s);
            snprintf(out, cap, "reducer %u internal %s", rid, s);
        }
        break;
    }
    case NET_SM_PROCEDURE_RESULT:
        rd8(&r);
        rdstr(&r, s, sizeof s);
        take(&r, 16);
        rid = rd32(&r);
        snprintf(out, cap, "procedure %u internal %s", rid, s);
        break;
    default:
        snprintf(out, cap, "kind %u", kind);
    }
    if (r.bad || r.n != 0)
        snprintf(out, cap, "(malformed message of kind %u)", kind);
    free(m);
    return true;
}

#define EXPECT(c, want)                                                                            \
    do {                                                                                           \
        char got_[2048];                                                                           \
        next((c), got_, sizeof got_);                                                              \
        CHECK_EQ_STR(got_, (want));                                                                \
    } while (0)

/* Client messages, appended to b (v3 frames are several in one). */
static void cm_subscribe(lc_buf_t *b, uint32_t rid, uint32_t qs, const char *const *q, uint32_t n)
{
    lc_buf_putc(b, NET_CM_SUBSCRIBE);
    lc_buf_put_u32le(b, rid);
    lc_buf_put_u32le(b, qs);
    lc_buf_put_u32le(b, n);
    for (uint32_t i = 0; i < n; i++) {
        lc_buf_put_u32le(b, (uint32_t)strlen(q[i]));
        lc_buf_puts(b, q[i]);
    }
}

static void cm_unsubscribe(lc_buf_t *b, uint32_t rid, uint32_t qs, uint8_t flags)
{
    lc_buf_putc(b, NET_CM_UNSUBSCRIBE);
    lc_buf_put_u32le(b, rid);
    lc_buf_put_u32le(b, qs);
    lc_buf_putc(b, flags);
}

static void cm_one_off(lc_buf_t *b, uint32_t rid, const char *q)
{
    lc_buf_putc(b, NET_CM_ONE_OFF_QUERY);
    lc_buf_put_u32le(b, rid);
    lc_buf_put_u32le(b, (uint32_t)strlen(q));
    lc_buf_puts(b, q);
}

/* A call with one String argument (arg NULL: none). */
static void cm_call(lc_buf_t *b, uint8_t kind, uint32_t rid, const char *name, const char *arg)
{
    lc_buf_putc(b, kind);
    lc_buf_put_u32le(b, rid);
    lc_buf_putc(b, 0);
    lc_buf_put_u32le(b, (uint32_t)strlen(name));
    lc_buf_puts(b, name);
    size_t n = arg ? strlen(arg) : 0;
    lc_buf_put_u32le(b, arg ? (uint32_t)(4 + n) : 0);
    if (arg) {
        lc_buf_put_u32le(b, (uint32_t)n);
        lc_buf_puts(b, arg);
    }
}

/* Send b as one binary message and empty it. */
static bool send_buf(tc_t *c, lc_buf_t *b)
{
    bool ok = tc_ws_binary(c, b->data, b->len);
    lc_buf_reset(b);
    return ok;
}

static bool call(tc_t *c, uint32_t rid, const char *name, const char *arg)
{
    lc_buf_t b;
    lc_buf_init(&b);
    cm_call(&b, NET_CM_CALL_REDUCER, rid, name, arg);
    bool ok = send_buf(c, &b);
    lc_buf_free(&b);
    return ok;
}

static bool subscribe(tc_t *c, uint32_t rid, uint32_t qs, const char *q)
{
    lc_buf_t b;
    lc_buf_init(&b);
    cm_subscribe(&b, rid, qs, &q, 1);
    bool ok = send_buf(c, &b);
    lc_buf_free(&b);
    return ok;
}

/* ---------------------------------------------------------------- sessions */

/* Two clients on the chat example: every message kind, the caller versus
 * the others, errors, disconnect. */
static void chat_flow(void)
{
    tc_resp_t r;
    lc_buf_t b;
    lc_buf_init(&b);
    /* alice speaks v2 and subscribes before InitialConnection arrives: the
     * message waits for the connect (invariant 1). */
    tc_t *a = ws_open("chat", "alice", "compression=None", V2, &r);
    char proto[64] = "", idhex[80] = "", want_hex[AUTH_IDENTITY_HEX_LEN + 1];
    tc_header(&r, "sec-websocket-protocol", proto, sizeof proto);
    tc_header(&r, "spacetime-identity", idhex, sizeof idhex);
    tc_resp_free(&r);
    CHECK(a);
    CHECK_EQ_STR(proto, V2);
    auth_identity_t aid;
    auth_identity_from_claims(AUTH_LOCAL_ISSUER, "alice", &aid);
    auth_identity_to_hex(&aid, want_hex);
    CHECK_EQ_STR(idhex, want_hex); /* the 101 names the caller (§7.5) */
    const char *const qa[] = {"SELECT * FROM user", "select * from \"message\";"};
    cm_subscribe(&b, 1, 0, qa, 2);
    CHECK(send_buf(a, &b));
    uint8_t *m;
    size_t len;
    int tag;
    CHECK(ws_msg(a, &m, &len, &tag));
    uint8_t alice[32];
    identity_of("alice", alice);
    bool init_ok = len == 1 + 32 + 16 + 4 + 11 && m[0] == NET_SM_INITIAL_CONNECTION &&
                   memcmp(m + 1, alice, 32) == 0 &&
                   memcmp(m + 49, "\x0b\0\0\0token-alice", 15) == 0;
    free(m);
    CHECK(init_ok);
    EXPECT(a, "applied 1 0 user:1"); /* alice's own row; the empty message table is skipped */

    /* bob speaks v3 (offered first) and sends two messages in one frame. */
    tc_t *bob = ws_open("chat", "bob", "compression=None", V3 ", " V2, &r);
    tc_header(&r, "sec-websocket-protocol", proto, sizeof proto);
    tc_resp_free(&r);
    CHECK(bob);
    CHECK_EQ_STR(proto, V3);
    EXPECT(bob, "init");
    EXPECT(a, "tx 0:user+1-0"); /* bob's client_connected */
    const char *all = "SELECT * FROM *";
    cm_subscribe(&b, 7, 3, &all, 1);
    cm_call(&b, NET_CM_CALL_REDUCER, 8, "set_name", "bob");
    CHECK(send_buf(bob, &b));
    EXPECT(bob, "applied 7 3 user:2");
    EXPECT(bob, "reducer 8 ok 3:user+1-1"); /* the caller's rows come in its result */
    EXPECT(a, "tx 0:user+1-1");

    CHECK(call(a, 2, "send_message", ""));
    EXPECT(a, "reducer 2 err Messages must not be empty");
    CHECK(call(a, 3, "nope", NULL));
    EXPECT(a, "reducer 3 internal no such reducer `nope`");
    CHECK(call(a, 4, "send_message", "hi"));
    EXPECT(a, "reducer 4 ok 0:message+1-0");
    EXPECT(bob, "tx 3:message+1-0");
    CHECK(call(a, 5, "client_connected", NULL));
    char line[512];
    next(a, line, sizeof line);
    CHECK_MSG(strncmp(line, "reducer 5 internal can't directly call", 38) == 0, "%s", line);

    CHECK(subscribe(a, 20, 0, "SELECT * FROM user"));
    EXPECT(a, "suberr 20 0 query set id 0 is already in use");
    CHECK(subscribe(a, 21, 5, "SELECT * FROM nope"));
    EXPECT(a, "suberr 21 5 no such table: `nope`. If the table exists, it may be marked private.");
    CHECK(subscribe(a, 22, 6, "SELECT name FROM user"));
    EXPECT(a, "suberr 22 6 Subscriptions must be typed to a single table: select whole rows with "
              "SELECT * or SELECT t.*, executing: `SELECT name FROM user`");
    /* v2: one message per payload; what follows it is ignored (§1.4). */
    cm_one_off(&b, 30, "SELECT * FROM message");
    cm_one_off(&b, 99, "SELECT * FROM message");
    CHECK(send_buf(a, &b));
    EXPECT(a, "oneoff 30 ok message:1");
    cm_one_off(&b, 31, "SELECT * FROM *");
    CHECK(send_buf(a, &b));
    EXPECT(a, "oneoff 31 err unsupported query (SELECT * FROM * is for Subscribe only): "
              "SELECT * FROM *");
    cm_call(&b, NET_CM_CALL_PROCEDURE, 32, "whatever", NULL);
    CHECK(send_buf(a, &b));
    EXPECT(a, "procedure 32 internal procedures are not supported yet");

    cm_unsubscribe(&b, 40, 0, NET_UNSUB_SEND_DROPPED_ROWS);
    CHECK(send_buf(a, &b));
    EXPECT(a, "unsub 40 0 message:1 user:2");
    cm_unsubscribe(&b, 41, 0, NET_UNSUB_DEFAULT);
    CHECK(send_buf(a, &b));
    EXPECT(a, "suberr 41 0 Subscription not found: query set id 0");
    CHECK(subscribe(a, 42, 9, "SELECT * FROM user"));
    EXPECT(a, "applied 42 9 user:2");
    cm_unsubscribe(&b, 43, 9, NET_UNSUB_DEFAULT);
    CHECK(send_buf(a, &b));
    EXPECT(a, "unsub 43 9 none");
    CHECK(subscribe(a, 44, 1, "SELECT * FROM \"user\""));
    EXPECT(a, "applied 44 1 user:2");

    /* bob leaves: client_disconnected marks him offline; alice sees it. */
    CHECK(tc_ws_send_close(bob, 1000, "bye"));
    tc_close(bob);
    EXPECT(a, "tx 1:user+1-1");

    /* A text frame ends the session (§1.4). */
    CHECK(tc_ws_text(a, "hello"));
    int code;
    char reason[128];
    CHECK(tc_ws_read_close(a, &code, reason, sizeof reason, NULL));
    CHECK_EQ_INT(code, 1011);
    CHECK_EQ_STR(reason, "v2 websocket does not support text messages");
    tc_close(a);
    lc_buf_free(&b);
    CHECK_EQ_INT(atomic_load(&F.api.stats.sessions_total), 2);
    CHECK_EQ_INT(atomic_load(&F.api.stats.reducer_calls), 5);
    CHECK_EQ_INT(atomic_load(&F.api.stats.reducer_errors), 3);
}

TEST(session_chat_flow)
{
    if (fx_start("chat", false) == LC_OK)
        chat_flow();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* Updates are sent by the fan-out thread, other messages by the executor:
 * a client's messages still come in commit order.  Bob's calls are in
 * flight when Alice adds a second query set: every transaction committed
 * before her snapshot arrives before its SubscribeApplied (set 1 only),
 * every later one after it (both sets), and the snapshot holds exactly the
 * rows of the earlier ones. */
static bool until_reducer(tc_t *c, uint32_t rid, char *out, size_t cap);

static void fanout_order(void)
{
    enum { N = 300 };
    tc_resp_t r;
    tc_t *a = ws_open("chat", "alice", "compression=None", V2, &r);
    tc_resp_free(&r);
    tc_t *bob = ws_open("chat", "bob", "compression=None", V3, &r);
    tc_resp_free(&r);
    CHECK(a && bob);
    EXPECT(a, "init");
    EXPECT(bob, "init");
    CHECK(subscribe(a, 1, 1, "SELECT * FROM message"));
    EXPECT(a, "applied 1 1 ");
    for (uint32_t i = 0; i < N; i++) { /* distinct rows: a set ignores an equal insert */
        char text[16];
        snprintf(text, sizeof text, "m%u", i);
        CHECK(call(bob, 100 + i, "send_message", text));
    }
    EXPECT(a, "tx 1:message+1-0");
    CHECK(subscribe(a, 2, 2, "SELECT * FROM message"));
    char got[256], snapshot[256] = "";
    uint32_t before = 1, after = 0, wrong = 0;
    while (before + after < N && next(a, got, sizeof got)) {
        if (strncmp(got, "applied 2 2", 11) == 0)
            snprintf(snapshot, sizeof snapshot, "%s", got);
        else if (!snapshot[0])
            wrong += strcmp(got, "tx 1:message+1-0") != 0, before++;
        else
            wrong += strcmp(got, "tx 1:message+1-0 2:message+1-0") != 0, after++;
    }
    if (!snapshot[0] && next(a, got, sizeof got)) /* the burst ended first */
        snprintf(snapshot, sizeof snapshot, "%s", got);
    char want[64];
    snprintf(want, sizeof want, "applied 2 2 message:%u", before);
    CHECK_EQ_STR(snapshot, want);
    CHECK_EQ_INT(wrong, 0);
    CHECK_MSG(before + after == N, "%u + %u transactions, then: %s", before, after, got);
    CHECK(until_reducer(bob, 100 + N - 1, got, sizeof got));
    tc_close(a);
    tc_close(bob);
}

TEST(session_fanout_order)
{
    if (fx_start("chat", false) == LC_OK)
        fanout_order();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* Filtered and joined subscriptions on chat (src/subs): only matching rows
 * arrive, :sender is each session's own identity, the same query from two
 * sessions is shared, an update that leaves a join's result is a delete,
 * and refused queries leave the connection open. */
static void chat_filters(void)
{
    tc_resp_t r;
    tc_t *a = ws_open("chat", "alice", "compression=None", V2, &r);
    tc_resp_free(&r);
    tc_t *bob = ws_open("chat", "bob", "compression=None", V3, &r);
    tc_resp_free(&r);
    CHECK(a && bob);
    EXPECT(a, "init");
    EXPECT(bob, "init");
    CHECK(subscribe(a, 1, 1, "SELECT * FROM message WHERE text = 'x'"));
    EXPECT(a, "applied 1 1 ");
    CHECK(subscribe(bob, 2, 2, "select * from \"message\" where \"text\"='x'"));
    EXPECT(bob, "applied 2 2 ");
    CHECK(subscribe(bob, 3, 3, "SELECT * FROM user WHERE identity = :sender"));
    EXPECT(bob, "applied 3 3 user:1");
    CHECK(call(a, 10, "send_message", "y")); /* matches nobody's filter */
    EXPECT(a, "reducer 10 ok ");
    CHECK(call(a, 11, "send_message", "x"));
    EXPECT(a, "reducer 11 ok 1:message+1-0");
    EXPECT(bob, "tx 2:message+1-0");      /* nothing came for "y" */
    CHECK(call(a, 12, "set_name", "al")); /* not bob's :sender row */
    EXPECT(a, "reducer 12 ok ");
    CHECK(call(bob, 13, "set_name", "bo"));
    EXPECT(bob, "reducer 13 ok 3:user+1-1");

    /* A join on indexed columns (user.identity, message.sender): both
     * messages ("y" and "x") have their sender in user. */
    CHECK(subscribe(a, 14, 4, "SELECT m.* FROM message m JOIN user u ON m.sender = u.identity"));
    EXPECT(a, "applied 14 4 message:2");
    /* A join without an index on a join column is refused; the socket stays. */
    CHECK(subscribe(a, 16, 6, "SELECT m.* FROM message m JOIN message n ON m.text = n.text"));
    EXPECT(a, "suberr 16 6 Subscriptions require indexes on join columns, executing: `SELECT m.* "
              "FROM message m JOIN message n ON m.text = n.text`");
    CHECK(subscribe(a, 15, 5, "SELECT * FROM message WHERE NOT text = 'x'"));
    EXPECT(a, "suberr 15 5 Unsupported: NOT in a subscription, executing: `SELECT * FROM message "
              "WHERE NOT text = 'x'`");
    /* A join on the primary key (a self-join): bob's row while he is "bo". */
    CHECK(subscribe(a, 16, 6,
                    "SELECT u.* FROM user u JOIN user v ON u.identity = v.identity "
                    "WHERE v.name = 'bo'"));
    EXPECT(a, "applied 16 6 user:1");
    CHECK(call(bob, 17, "set_name", "bob2"));
    EXPECT(bob, "reducer 17 ok 3:user+1-1");
    EXPECT(a, "tx 6:user+0-1"); /* left the join: the old row is deleted */
    CHECK(call(bob, 18, "set_name", "bo"));
    EXPECT(bob, "reducer 18 ok 3:user+1-1");
    EXPECT(a, "tx 6:user+1-0");

    lc_buf_t b;
    lc_buf_init(&b);
    cm_one_off(&b, 20, "SELECT * FROM message WHERE text = 'y'");
    CHECK(send_buf(a, &b));
    EXPECT(a, "oneoff 20 ok message:1");
    cm_unsubscribe(&b, 21, 1, NET_UNSUB_SEND_DROPPED_ROWS);
    CHECK(send_buf(a, &b));
    EXPECT(a, "unsub 21 1 message:1");
    CHECK(call(bob, 22, "send_message", "x")); /* alice dropped set 1 */
    EXPECT(bob, "reducer 22 ok 2:message+1-0");
    EXPECT(a, "tx 4:message+1-0"); /* the join set (4) sees bob's message */
    CHECK(call(a, 23, "send_message", "x"));
    EXPECT(a, "reducer 23 ok 4:message+1-0");
    EXPECT(bob, "tx 2:message+1-0");
    lc_buf_free(&b);
    tc_close(a);
    tc_close(bob);
}

TEST(session_chat_filters)
{
    if (fx_start("chat", false) == LC_OK)
        chat_filters();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* What the upgrade refuses (400s), and a client-chosen connection id. */
static void refusals(void)
{
    static const struct {
        const char *query, *protocols;
        int status;
        const char *body;
    } cases[] = {
        {"compression=Zip", V2, 400,
         "Failed to deserialize query string: compression: unknown variant `Zip`, expected one "
         "of `None`, `Brotli`, `Gzip`"},
        {"compression=gzip", V2, 400, NULL},
        {"confirmed=yes", V2, 400, NULL},
        {"connection_id=00000000000000000000000000000000", V2, 400,
         "Invalid connection ID: the all-zeros ConnectionId is reserved."},
        {"connection_id=12", V2, 400, NULL},
        {NULL, "v0.bsatn.spacetimedb, v1.xml.spacetimedb", 400, "no valid protocol selected"},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        tc_resp_t r;
        tc_t *c = ws_open("chat", "x", cases[i].query, cases[i].protocols, &r);
        CHECK_MSG(!c && r.status == cases[i].status, "case %zu: status %d", i, r.status);
        if (cases[i].body)
            CHECK_EQ_STR(r.body, cases[i].body);
        tc_resp_free(&r);
    }
    tc_resp_t r;
    tc_t *c = ws_open("chat", "carol", "connection_id=0123456789abcdef0123456789abcdef", V2, &r);
    tc_resp_free(&r);
    CHECK(c);
    uint8_t *m;
    size_t len;
    int tag;
    bool ok = ws_msg(c, &m, &len, &tag);
    static const uint8_t le[16] = {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
                                   0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
    ok = ok && len > 49 && m[0] == NET_SM_INITIAL_CONNECTION && memcmp(m + 33, le, 16) == 0;
    free(m);
    tc_close(c);
    CHECK(ok);
    CHECK_EQ_INT(atomic_load(&F.api.stats.sessions_total), 1);
}

TEST(session_upgrade_refusals)
{
    if (fx_start("chat", false) == LC_OK)
        refusals();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* Bodies over 1 KiB are compressed as asked; smaller ones are not. */
static void compressed(void)
{
    tc_resp_t r;
    tc_t *g = ws_open("chat", "gina", "compression=Gzip", V2, &r);
    tc_resp_free(&r);
    tc_t *br = ws_open("chat", "bruno", NULL, V2, &r); /* Brotli by default */
    tc_resp_free(&r);
    CHECK(g && br);
    EXPECT(g, "init");
    EXPECT(br, "init");
    char text[3000];
    memset(text, 'z', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    CHECK(call(g, 1, "send_message", text));
    EXPECT(g, "reducer 1 ok ");
    const char *q = "SELECT * FROM message";
    CHECK(subscribe(g, 2, 0, q));
    CHECK(subscribe(br, 2, 0, q));
    uint8_t *m;
    size_t len;
    int tag;
    CHECK(ws_msg(g, &m, &len, &tag));
    free(m);
    CHECK_EQ_INT(tag, NET_COMPRESSION_GZIP);
    bool decoded = ws_msg(br, &m, &len, &tag);
    free(m);
    CHECK(decoded || !brotli_decoder());
    CHECK_EQ_INT(tag, NET_COMPRESSION_BROTLI);
    CHECK(call(g, 3, "send_message", "short"));
    CHECK(ws_msg(g, &m, &len, &tag));
    free(m);
    CHECK_EQ_INT(tag, NET_COMPRESSION_NONE);
    tc_close(g);
    tc_close(br);
}

TEST(session_compressed_frames)
{
    if (fx_start("chat", false) == LC_OK)
        compressed();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* A durable database: confirmed sessions get their rows once the log
 * synced (released by api_sessions_on_durable), unconfirmed ones at once;
 * both see the same messages in the same order. */
static void confirmed(void)
{
    tc_resp_t r;
    tc_t *a = ws_open("chat", "alice", "compression=None&confirmed=true", V2, &r);
    tc_resp_free(&r);
    tc_t *u = ws_open("chat", "ursula", "compression=None&confirmed=false", V2, &r);
    tc_resp_free(&r);
    CHECK(a && u);
    EXPECT(a, "init");
    EXPECT(u, "init");
    CHECK(subscribe(a, 1, 0, "SELECT * FROM user"));
    CHECK(subscribe(u, 1, 0, "SELECT * FROM user"));
    EXPECT(a, "applied 1 0 user:2");
    EXPECT(u, "applied 1 0 user:2");
    for (uint32_t i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%u", i);
        CHECK(call(a, 10 + i, "set_name", name));
    }
    for (uint32_t i = 0; i < 20; i++) {
        char want[64];
        snprintf(want, sizeof want, "reducer %u ok 0:user+1-1", 10 + i);
        EXPECT(a, want);
        EXPECT(u, "tx 0:user+1-1");
    }
    tc_close(a);
    tc_close(u);
}

TEST(session_confirmed_reads)
{
    if (fx_start("chat", true) == LC_OK)
        confirmed();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* client_connected refuses: a Close and no InitialConnection. */
static void refused(void)
{
    tc_resp_t r;
    tc_t *c = ws_open("chat", "mallory", NULL, V2, &r);
    tc_resp_free(&r);
    CHECK(c);
    int code;
    char reason[128];
    long skipped = 0;
    bool ok = tc_ws_read_close(c, &code, reason, sizeof reason, &skipped);
    tc_close(c);
    CHECK(ok);
    CHECK_EQ_INT(skipped, 0);
    CHECK_EQ_INT(code, 1008);
    CHECK_EQ_STR(reason, "nope");
}

TEST(session_connect_refused)
{
    if (fx_start("refuse-connect", false) == LC_OK)
        refused();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* The database goes away (api_sessions_free, as a delete does): every
 * session is closed with 1001 "module exited". */
static void database_gone(void)
{
    tc_resp_t r;
    tc_t *a = ws_open("chat", "alice", "compression=None", V2, &r);
    tc_resp_free(&r);
    CHECK(a);
    EXPECT(a, "init");
    CHECK(subscribe(a, 1, 0, "SELECT * FROM user"));
    EXPECT(a, "applied 1 0 user:1");
    api_sessions_free(&F.api, F.db);
    int code;
    char reason[128];
    bool ok = tc_ws_read_close(a, &code, reason, sizeof reason, NULL);
    tc_close(a);
    CHECK(ok);
    CHECK_EQ_INT(code, 1001);
    CHECK_EQ_STR(reason, "module exited");
}

TEST(session_database_gone)
{
    if (fx_start("chat", false) == LC_OK)
        database_gone();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* Read messages until the ReducerResult of rid; its line in out. */
static bool until_reducer(tc_t *c, uint32_t rid, char *out, size_t cap)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "reducer %u ", rid);
    while (next(c, out, cap))
        if (strncmp(out, prefix, strlen(prefix)) == 0)
            return true;
    return false;
}

/* Many clients pipelining calls while others vanish mid-stream (no Close
 * frame): fan-out on the executor races closes on the loop; the survivors
 * get every answer and the server still serves a newcomer. */
static void close_races(void)
{
    enum { N = 8, CALLS = 25 };
    tc_t *c[N] = {0};
    lc_buf_t b;
    lc_buf_init(&b);
    for (int i = 0; i < N; i++) {
        char who[16];
        snprintf(who, sizeof who, "user%d", i);
        tc_resp_t r;
        c[i] = ws_open("chat", who, i % 2 ? "compression=Gzip" : "compression=None", V3, &r);
        tc_resp_free(&r);
        CHECK(c[i]);
    }
    for (int i = 0; i < N; i++) {
        const char *all = "SELECT * FROM *";
        cm_subscribe(&b, 0, 0, &all, 1);
        for (uint32_t k = 1; k <= CALLS; k++) {
            char text[32];
            snprintf(text, sizeof text, "m%d-%u", i, k);
            cm_call(&b, NET_CM_CALL_REDUCER, k, k % 5 ? "send_message" : "set_name", text);
        }
        CHECK(send_buf(c[i], &b));
    }
    for (int i = 0; i < N; i += 2) { /* vanish */
        tc_close(c[i]);
        c[i] = NULL;
    }
    char line[2048];
    for (int i = 1; i < N; i += 2) {
        bool ok = until_reducer(c[i], CALLS, line, sizeof line);
        CHECK_MSG(ok && strncmp(line + 11, "ok", 2) == 0, "client %d: %s", i, line);
        tc_close(c[i]);
        c[i] = NULL;
    }
    tc_resp_t r;
    tc_t *late = ws_open("chat", "late", "compression=None", V2, &r);
    tc_resp_free(&r);
    CHECK(late);
    EXPECT(late, "init");
    CHECK(call(late, 1, "send_message", "still here"));
    EXPECT(late, "reducer 1 ok ");
    tc_close(late);
    lc_buf_free(&b);
}

TEST(session_close_races)
{
    if (fx_start("chat", false) == LC_OK)
        close_races();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

/* ---------------------------------------------------------------- v1 */

#define V1B "v1.bsatn.spacetimedb"
#define V1J "v1.json.spacetimedb"

/* A v1.bsatn message (tag 00 checked, body malloc'd in *out). */
static bool v1_bin(tc_t *c, uint8_t **out, size_t *len)
{
    int tag = -1;
    return ws_msg(c, out, len, &tag) && tag == NET_COMPRESSION_NONE;
}

/* A v1.json message: a text frame (malloc'd, NUL-terminated). */
static char *v1_text(tc_t *c)
{
    tc_frame_t f;
    if (!tc_ws_read(c, &f) || f.opcode != 1) {
        free(f.data);
        return NULL;
    }
    return (char *)f.data;
}

static void put_str(lc_buf_t *b, const char *s)
{
    lc_buf_put_u32le(b, (uint32_t)strlen(s));
    lc_buf_append(b, s, strlen(s));
}

/* BSATN CallReducer{reducer, args = BSATN(String arg), request_id, flags 0}. */
static bool v1_call_bsatn(tc_t *c, uint32_t rid, const char *name, const char *arg)
{
    lc_buf_t b, args;
    lc_buf_init(&b);
    lc_buf_init(&args);
    put_str(&args, arg);
    lc_buf_putc(&b, NET_V1_CM_CALL_REDUCER);
    put_str(&b, name);
    lc_buf_put_u32le(&b, (uint32_t)args.len);
    lc_buf_append(&b, args.data, args.len);
    lc_buf_put_u32le(&b, rid);
    lc_buf_putc(&b, 0);
    bool ok = tc_ws_binary(c, b.data, b.len);
    lc_buf_free(&b);
    lc_buf_free(&args);
    return ok;
}

/* Skip to the first binary message whose variant is kind. */
static bool v1_bin_until(tc_t *c, uint8_t kind, uint8_t **out, size_t *len)
{
    for (int i = 0; i < 8; i++) {
        if (!v1_bin(c, out, len))
            return false;
        if (*len > 0 && (*out)[0] == kind)
            return true;
        free(*out);
        *out = NULL;
    }
    return false;
}

/* Skip to the first text message holding needle. */
static char *v1_text_until(tc_t *c, const char *needle)
{
    for (int i = 0; i < 8; i++) {
        char *t = v1_text(c);
        if (!t || strstr(t, needle))
            return t;
        free(t);
    }
    return NULL;
}

/* A v1.bsatn client and a v1.json client on chat (§6, §4.8). */
static void v1_flow(void)
{
    tc_resp_t r;
    tc_t *a = ws_open("chat", "alice", "compression=None", V1B, &r);
    CHECK(a && r.status == 101);
    char proto[64] = "";
    tc_header(&r, "sec-websocket-protocol", proto, sizeof proto);
    CHECK_EQ_STR(proto, V1B);
    tc_resp_free(&r);
    tc_t *j = ws_open("chat", "jim", NULL, "v1.json.spacetimedb, v1.bsatn.spacetimedb", &r);
    CHECK(j && r.status == 101);
    tc_header(&r, "sec-websocket-protocol", proto, sizeof proto);
    CHECK_EQ_STR(proto, V1B); /* the server's order decides */
    tc_resp_free(&r);
    tc_close(j);
    j = ws_open("chat", "jim", NULL, V1J, &r);
    CHECK(j && r.status == 101);
    tc_resp_free(&r);
    if (!a || !j) {
        tc_close(a);
        tc_close(j);
        return;
    }

    /* IdentityToken first: identity, token, connection id. */
    uint8_t *m = NULL, id[32];
    size_t len = 0;
    identity_of("alice", id);
    CHECK(v1_bin(a, &m, &len));
    CHECK(m && len == 1 + 32 + 4 + 11 + 16 && m[0] == NET_V1_SM_IDENTITY_TOKEN);
    CHECK(m && memcmp(m + 1, id, 32) == 0 && memcmp(m + 37, "token-alice", 11) == 0);
    free(m);
    char *t = v1_text(j);
    CHECK(t && strncmp(t, "{\"IdentityToken\":{\"identity\":{\"__identity__\":\"0x", 46) == 0);
    CHECK(t && strstr(t, "\"token\":\"token-jim\""));
    free(t);

    /* Subscribe, in each encoding. */
    lc_buf_t b;
    lc_buf_init(&b);
    lc_buf_putc(&b, NET_V1_CM_SUBSCRIBE);
    lc_buf_put_u32le(&b, 1);
    put_str(&b, "SELECT * FROM user");
    lc_buf_put_u32le(&b, 7);
    CHECK(tc_ws_binary(a, b.data, b.len));
    CHECK(v1_bin_until(a, NET_V1_SM_INITIAL_SUBSCRIPTION, &m, &len));
    free(m);
    CHECK(tc_ws_text(j, "{\"Subscribe\":{\"query_strings\":[\"SELECT * FROM user\"],"
                        "\"request_id\":8}}"));
    t = v1_text_until(j, "InitialSubscription");
    CHECK(t && strstr(t, "\"request_id\":8") && strstr(t, "\"table_name\":\"user\""));
    free(t);

    /* A BSATN call: the caller's full update, the other's light one. */
    CHECK(v1_call_bsatn(a, 3, "set_name", "Alice"));
    CHECK(v1_bin_until(a, NET_V1_SM_TRANSACTION_UPDATE, &m, &len));
    CHECK(m && len > 2 && m[1] == NET_V1_COMMITTED);
    CHECK(m && memmem(m, len, "Alice", 5) && memmem(m, len, "set_name", 8));
    free(m);
    t = v1_text_until(j, "TransactionUpdate");
    CHECK(t && strstr(t, "Alice") && strstr(t, "\"user\""));
    free(t);

    /* A JSON call: args are JSON text inside a string. */
    CHECK(tc_ws_text(j, "{\"CallReducer\":{\"reducer\":\"set_name\",\"args\":\"[\\\"Jim\\\"]\","
                        "\"request_id\":4,\"flags\":0}}"));
    t = v1_text_until(j, "\"TransactionUpdate\"");
    CHECK(t && strstr(t, "\"Committed\"") && strstr(t, "Jim") &&
          strstr(t, "\"reducer_name\":\"set_name\"") && strstr(t, "\"request_id\":4"));
    free(t);
    CHECK(v1_bin_until(a, NET_V1_SM_TRANSACTION_UPDATE_LIGHT, &m, &len));
    CHECK(m && memmem(m, len, "Jim", 3));
    free(m);

    /* Unknown reducers: a failed update with reducer_id u32::MAX; the
     * connection stays open. */
    CHECK(v1_call_bsatn(a, 5, "nope", "x"));
    CHECK(v1_bin_until(a, NET_V1_SM_TRANSACTION_UPDATE, &m, &len));
    CHECK(m && len > 2 && m[1] == NET_V1_FAILED);
    static const uint8_t nope_max[] = {4, 0, 0, 0, 'n', 'o', 'p', 'e', 0xff, 0xff, 0xff, 0xff};
    CHECK(m && memmem(m, len, nope_max, sizeof nope_max));
    free(m);
    CHECK(tc_ws_text(j, "{\"CallReducer\":{\"reducer\":\"nope\",\"args\":\"[]\","
                        "\"request_id\":6,\"flags\":0}}"));
    t = v1_text_until(j, "\"TransactionUpdate\"");
    CHECK(t && strstr(t, "\"Failed\"") && strstr(t, "4294967295"));
    free(t);

    /* Still open: send_message, and a one-off query. */
    CHECK(tc_ws_text(j, "{\"CallReducer\":{\"reducer\":\"send_message\",\"args\":\"[\\\"hi\\\"]\","
                        "\"request_id\":9,\"flags\":0}}"));
    t = v1_text_until(j, "\"TransactionUpdate\"");
    CHECK(t && strstr(t, "\"Committed\"") && strstr(t, "\"request_id\":9"));
    free(t);
    lc_buf_reset(&b);
    lc_buf_putc(&b, NET_V1_CM_ONE_OFF_QUERY);
    lc_buf_put_u32le(&b, 2);
    lc_buf_append(&b, "q1", 2);
    put_str(&b, "SELECT * FROM message");
    CHECK(tc_ws_binary(a, b.data, b.len));
    CHECK(v1_bin_until(a, NET_V1_SM_ONE_OFF_QUERY_RESPONSE, &m, &len));
    CHECK(m && len > 8 && memcmp(m + 5, "q1", 2) == 0 && m[7] == 1 /* error: None */);
    CHECK(m && memmem(m, len, "hi", 2));
    free(m);
    CHECK(tc_ws_text(j, "{\"OneOffQuery\":{\"message_id\":\"7131\","
                        "\"query_string\":\"SELECT * FROM nowhere\"}}"));
    t = v1_text_until(j, "OneOffQueryResponse");
    CHECK(t && strstr(t, "\"some\"") && strstr(t, "nowhere"));
    free(t);

    /* SubscribeSingle / Unsubscribe, and a v1 error for a bad query. */
    CHECK(tc_ws_text(j, "{\"SubscribeSingle\":{\"query\":\"SELECT * FROM message\","
                        "\"request_id\":10,\"query_id\":{\"id\":3}}}"));
    t = v1_text_until(j, "SubscribeApplied");
    CHECK(t && strstr(t, "\"table_name\":\"message\"") && strstr(t, "hi"));
    free(t);
    CHECK(tc_ws_text(j, "{\"Unsubscribe\":{\"request_id\":11,\"query_id\":{\"id\":3}}}"));
    t = v1_text_until(j, "UnsubscribeApplied");
    CHECK(t && strstr(t, "\"request_id\":11"));
    free(t);
    CHECK(tc_ws_text(j, "{\"SubscribeMulti\":{\"query_strings\":[\"SELECT name FROM user\"],"
                        "\"request_id\":12,\"query_id\":{\"id\":4}}}"));
    t = v1_text_until(j, "SubscriptionError");
    CHECK(t && strstr(t, "Subscriptions must be typed to a single table"));
    free(t);
    lc_buf_free(&b);
    tc_close(a);
    tc_close(j);
}

TEST(session_v1)
{
    if (fx_start("chat", false) == LC_OK)
        v1_flow();
    else
        CHECK_MSG(false, "fixture");
    fx_stop();
}

const test_case_t test_api_session_cases[] = {
    TEST_CASE(session_close_races),
    TEST_CASE(session_query_subset),
    TEST_CASE(session_compression),
    TEST_CASE(session_chat_flow),
    TEST_CASE(session_chat_filters),
    TEST_CASE(session_fanout_order),
    TEST_CASE(session_upgrade_refusals),
    TEST_CASE(session_compressed_frames),
    TEST_CASE(session_confirmed_reads),
    TEST_CASE(session_connect_refused),
    TEST_CASE(session_database_gone),
    TEST_CASE(session_v1),
    TEST_END,
};
