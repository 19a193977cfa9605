/*
 * Unit tests for the transport's WebSocket side (src/net/ws.c): a real
 * server on 127.0.0.1 and a free port, clients speaking hand-made frames
 * (net_client.h).  Covers the handshake and subprotocol choice, refusals,
 * echo of text and binary in all three length forms, fragments with a
 * control frame between them, pings both ways, the idle timeout, the close
 * handshake from either side, 1009, 1002, 1007, a flooding client cut off
 * while another is served, sends from another thread, a slow reader cut
 * off, and shutdown closing clients with 1001.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "net/net.h"
#include "net_client.h"
#include "test.h"

static const char *const protos[] = {"v3.bsatn.spacetimedb", "v2.bsatn.spacetimedb"};

#define HOLD ((void *)1)

static struct {
    pthread_mutex_t lock;
    atomic_int closes;
    int last_code;
    char last_reason[128];
    net_ws_t *ws; /* the last accepted, with a reference of the test's */
    net_ws_msg_t *held[64];
    int nheld;
} W = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_message(net_ws_t *ws, net_ws_msg_t *m, void *user)
{
    if (user == HOLD) {
        pthread_mutex_lock(&W.lock);
        if (W.nheld < 64)
            W.held[W.nheld++] = m;
        else
            net_ws_msg_free(m);
        pthread_mutex_unlock(&W.lock);
        return;
    }
    if (!m->binary && strcmp((char *)m->data, "close-me") == 0)
        net_ws_close(ws, 1000, "bye");
    else
        net_ws_send(ws, m->binary, m->data, m->len);
    net_ws_msg_free(m);
}

static void on_close(net_ws_t *ws, int code, const char *reason, void *user)
{
    pthread_mutex_lock(&W.lock);
    W.last_code = code;
    snprintf(W.last_reason, sizeof W.last_reason, "%s", reason);
    pthread_mutex_unlock(&W.lock);
    atomic_fetch_add(&W.closes, 1);
    net_ws_unref(ws); /* net_ws_accept's, taken on this thread */
}

static const net_ws_callbacks_t callbacks = {on_message, on_close};

static void handler(net_http_req_t *req, void *user)
{
    const char *path = net_http_path(req);
    if (!net_http_is_upgrade(req)) {
        net_http_respond(req, 404, "text/plain", "not found", 9);
        return;
    }
    const char *why;
    int status = net_ws_handshake_check(req, &why);
    if (status != 0) {
        net_http_respond(req, status, "text/plain", why, strlen(why));
        return;
    }
    const char *proto = net_ws_select_protocol(req, protos, 2);
    if (proto == NULL) {
        static const char msg[] = "no valid protocol selected";
        net_http_respond(req, 400, "text/plain", msg, sizeof msg - 1);
        return;
    }
    net_http_add_header(req, "spacetime-identity", "c200abc");
    net_ws_t *ws;
    void *u = strcmp(path, "/hold") == 0 ? HOLD : NULL;
    if (net_ws_accept(req, proto, &callbacks, u, &ws) != LC_OK)
        return;
    net_ws_ref(ws);
    pthread_mutex_lock(&W.lock);
    net_ws_t *old = W.ws;
    W.ws = ws;
    pthread_mutex_unlock(&W.lock);
    net_ws_unref(old);
}

static net_server_t *start(net_config_t *cfg)
{
    lc_err_t err;
    net_server_t *s = NULL;
    atomic_store(&W.closes, 0);
    W.last_code = 0;
    W.last_reason[0] = '\0';
    W.nheld = 0;
    cfg->host = "127.0.0.1";
    cfg->port = 0;
    cfg->loops = 2;
    cfg->on_request = handler;
    cfg->shutdown_timeout_ms = 2000;
    cfg->ws_close_timeout_ms = 200;
    if (net_server_start(cfg, &s, &err) != LC_OK)
        fprintf(stderr, "net_server_start: %s\n", err.msg);
    return s;
}

static net_server_t *start_default(void)
{
    net_config_t cfg;
    net_config_default(&cfg);
    return start(&cfg);
}

/* Drop the test's handle and held messages (before the leak check). */
static void release(void)
{
    pthread_mutex_lock(&W.lock);
    net_ws_t *ws = W.ws;
    W.ws = NULL;
    for (int i = 0; i < W.nheld; i++) net_ws_msg_free(W.held[i]);
    W.nheld = 0;
    pthread_mutex_unlock(&W.lock);
    net_ws_unref(ws);
}

/* Wait (up to 5 s) until n connections have closed. */
static bool wait_closes(int n)
{
    for (int i = 0; i < 5000 && atomic_load(&W.closes) < n; i++) usleep(1000);
    return atomic_load(&W.closes) >= n;
}

static int last_code(char *reason, size_t cap)
{
    pthread_mutex_lock(&W.lock);
    int code = W.last_code;
    snprintf(reason, cap, "%s", W.last_reason);
    pthread_mutex_unlock(&W.lock);
    return code;
}

/* Connect and upgrade to path with the v2 and v3 subprotocols. */
static tc_t *ws_connect(net_server_t *s, const char *path)
{
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    if (c == NULL || !tc_ws_handshake(c, path, "v2.bsatn.spacetimedb, v3.bsatn.spacetimedb", &r) ||
        r.status != 101) {
        tc_close(c);
        c = NULL;
    }
    tc_resp_free(&r);
    return c;
}

/* Expect a Close with code (and reason, unless NULL), then EOF. */
static bool expect_close(tc_t *c, int code, const char *reason)
{
    int got;
    char why[128];
    if (!tc_ws_read_close(c, &got, why, sizeof why, NULL)) {
        fprintf(stderr, "no close frame\n");
        return false;
    }
    if (got != code || (reason && strcmp(why, reason) != 0)) {
        fprintf(stderr, "close %d \"%s\", expected %d \"%s\"\n", got, why, code,
                reason ? reason : "*");
        return false;
    }
    return tc_wait_eof(c);
}

/* Connect to /ws and round trip once, so that the accept has been applied
 * and the loop is idle; *c gets the client, the result the server's handle
 * (NULL on failure). */
static net_ws_t *ws_connect_ready(net_server_t *s, tc_t **c)
{
    tc_frame_t f;
    *c = ws_connect(s, "/ws");
    if (*c == NULL || !tc_ws_text(*c, "hi") || !tc_ws_read(*c, &f))
        return NULL;
    free(f.data);
    pthread_mutex_lock(&W.lock);
    net_ws_t *ws = W.ws;
    pthread_mutex_unlock(&W.lock);
    return ws;
}

/* ---------------------------------------------------------------- tests */

TEST(net_ws_handshake_echo_close)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(tc_ws_handshake(c, "/ws", "v2.bsatn.spacetimedb, v3.bsatn.spacetimedb", &r));
    CHECK_EQ_INT(r.status, 101);
    char v[128];
    CHECK(tc_header(&r, "sec-websocket-accept", v, sizeof v));
    CHECK_EQ_STR(v, TC_WS_ACCEPT);
    CHECK(tc_header(&r, "sec-websocket-protocol", v, sizeof v));
    CHECK_EQ_STR(v, "v3.bsatn.spacetimedb"); /* the server's preference */
    CHECK(tc_header(&r, "spacetime-identity", v, sizeof v));
    CHECK_EQ_STR(v, "c200abc");
    tc_resp_free(&r);

    tc_frame_t f;
    CHECK(tc_ws_binary(c, "\x00\x01\x02", 3));
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.opcode, 2);
    CHECK(f.fin && !f.masked);
    CHECK_EQ_INT(f.len, 3);
    CHECK_EQ_MEM(f.data, "\x00\x01\x02", 3);
    free(f.data);
    CHECK(tc_ws_text(c, "h\xc3\xa9llo"));
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.opcode, 1);
    CHECK_EQ_STR((char *)f.data, "h\xc3\xa9llo");
    free(f.data);
    /* 16- and 64-bit lengths. */
    size_t sizes[] = {300, 70000, 0};
    for (int i = 0; i < 3; i++) {
        uint8_t *p = malloc(sizes[i] + 1);
        for (size_t k = 0; k < sizes[i]; k++) p[k] = (uint8_t)(k * 7);
        CHECK(tc_ws_binary(c, p, sizes[i]));
        CHECK(tc_ws_read(c, &f));
        CHECK_EQ_INT(f.len, sizes[i]);
        CHECK(memcmp(f.data, p, sizes[i]) == 0);
        free(f.data);
        free(p);
    }
    net_metrics_t m;
    net_server_metrics(s, &m);
    CHECK_EQ_INT(m.websockets_open, 1);
    CHECK_EQ_INT(m.ws_messages_in, 5);
    CHECK_EQ_INT(m.ws_messages_out, 5);

    /* The client closes: the server echoes the code and closes the TCP. */
    CHECK(tc_ws_send_close(c, 1000, "done"));
    CHECK(expect_close(c, 1000, ""));
    CHECK(wait_closes(1));
    char why[128];
    CHECK_EQ_INT(last_code(why, sizeof why), 1000);
    CHECK_EQ_STR(why, "done");
    tc_close(c);
    release();
    net_server_stop(s);
}

TEST(net_ws_refused)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(tc_ws_handshake(c, "/ws", "v1.json.spacetimedb", &r));
    CHECK_EQ_INT(r.status, 400);
    tc_resp_free(&r);
    CHECK(tc_wait_eof(c));
    tc_close(c);

    c = tc_connect(net_server_port(s));
    CHECK(tc_send_str(c, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                         "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " TC_WS_KEY "\r\n\r\n"));
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_INT(r.status, 400);
    CHECK(strstr(r.body, "version") != NULL);
    tc_resp_free(&r);
    tc_close(c);

    c = tc_connect(net_server_port(s));
    CHECK(tc_send_str(c, "POST /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                         "Content-Length: 0\r\n\r\n"));
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_INT(r.status, 405);
    tc_resp_free(&r);
    tc_close(c);
    CHECK_EQ_INT(atomic_load(&W.closes), 0);
    net_server_stop(s);
}

TEST(net_ws_fragments_and_pings)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = ws_connect(s, "/ws");
    CHECK(c != NULL);
    tc_frame_t f;
    CHECK(tc_ws_frame(c, 0x01, "Hel", 3, true)); /* text, not final */
    CHECK(tc_ws_frame(c, 0x89, "abc", 3, true)); /* ping in between */
    CHECK(tc_ws_frame(c, 0x00, "l", 1, true));   /* continuation */
    CHECK(tc_ws_frame(c, 0x80, "o!", 2, true));  /* continuation, final */
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.opcode, 10); /* pong */
    CHECK_EQ_STR((char *)f.data, "abc");
    free(f.data);
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.opcode, 1);
    CHECK_EQ_STR((char *)f.data, "Hello!");
    free(f.data);
    /* An unsolicited pong is ignored; a fragmented binary message. */
    CHECK(tc_ws_frame(c, 0x8a, "", 0, true));
    CHECK(tc_ws_frame(c, 0x02, "\x01", 1, true));
    CHECK(tc_ws_frame(c, 0x80, "\x02\x03", 2, true));
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.opcode, 2);
    CHECK_EQ_MEM(f.data, "\x01\x02\x03", 3);
    free(f.data);
    tc_close(c);
    CHECK(wait_closes(1));
    char why[128];
    CHECK_EQ_INT(last_code(why, sizeof why), 1006);
    release();
    net_server_stop(s);
}

TEST(net_ws_server_ping_and_idle_timeout)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.ws_ping_interval_ms = 30;
    cfg.ws_idle_timeout_ms = 300;
    net_server_t *s = start(&cfg);
    CHECK(s != NULL);
    tc_t *c = ws_connect(s, "/ws");
    CHECK(c != NULL);
    tc_frame_t f;
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.opcode, 9);
    CHECK_EQ_INT(f.len, 0);
    free(f.data);
    CHECK(tc_ws_frame(c, 0x8a, "", 0, true));
    /* Silence from now on: the server gives up. */
    CHECK(expect_close(c, 1001, "idle timeout"));
    tc_close(c);
    CHECK(wait_closes(1));
    release();
    net_server_stop(s);
}

TEST(net_ws_close_from_server)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = ws_connect(s, "/ws");
    CHECK(c != NULL);
    CHECK(tc_ws_text(c, "close-me"));
    int code;
    char why[128];
    CHECK(tc_ws_read_close(c, &code, why, sizeof why, NULL));
    CHECK_EQ_INT(code, 1000);
    CHECK_EQ_STR(why, "bye");
    CHECK(tc_ws_send_close(c, 1000, ""));
    CHECK(tc_wait_eof(c));
    tc_close(c);
    CHECK(wait_closes(1));
    CHECK_EQ_INT(last_code(why, sizeof why), 1000);
    /* Sending on a closed connection is a harmless no-op. */
    pthread_mutex_lock(&W.lock);
    net_ws_t *ws = W.ws;
    pthread_mutex_unlock(&W.lock);
    CHECK_EQ_INT(net_ws_send(ws, true, "x", 1), LC_EIO);
    net_ws_close(ws, 1000, "again");
    release();
    net_server_stop(s);
}

TEST(net_ws_too_big)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.ws_max_message_bytes = 1024;
    net_server_t *s = start(&cfg);
    CHECK(s != NULL);
    uint8_t big[2000] = {0};
    tc_t *c = ws_connect(s, "/ws");
    CHECK(c != NULL);
    CHECK(tc_ws_binary(c, big, 1024)); /* at the limit: fine */
    tc_frame_t f;
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_INT(f.len, 1024);
    free(f.data);
    CHECK(tc_ws_binary(c, big, sizeof big));
    CHECK(expect_close(c, 1009, "message too big"));
    tc_close(c);
    /* Fragments that add up past the limit. */
    c = ws_connect(s, "/ws");
    CHECK(c != NULL);
    CHECK(tc_ws_frame(c, 0x02, big, 600, true));
    CHECK(tc_ws_frame(c, 0x80, big, 600, true));
    CHECK(expect_close(c, 1009, "message too big"));
    tc_close(c);
    CHECK(wait_closes(2));
    release();
    net_server_stop(s);
}

TEST(net_ws_invalid_frames)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    struct {
        uint8_t b0;
        const char *payload;
        size_t len;
        bool mask;
        int code;
    } cases[] = {
        {0xc2, "x", 1, true, 1002},            /* RSV1 without an extension */
        {0x82, "x", 1, false, 1002},           /* unmasked */
        {0x83, "x", 1, true, 1002},            /* reserved opcode */
        {0x80, "x", 1, true, 1002},            /* continuation without a message */
        {0x09, "", 0, true, 1002},             /* fragmented ping */
        {0x81, "\xff\xfe", 2, true, 1007},     /* text that is not UTF-8 */
        {0x81, "\xed\xa0\x80", 3, true, 1007}, /* a surrogate */
        {0x88, "\x03\xe8\xff", 3, true, 1007}, /* close reason not UTF-8 */
        {0x88, "\x00\x10", 2, true, 1002},     /* close code 16 */
        {0x88, "\x03", 1, true, 1002},         /* one-byte close payload */
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        tc_t *c = ws_connect(s, "/ws");
        CHECK(c != NULL);
        CHECK(tc_ws_frame(c, cases[i].b0, cases[i].payload, cases[i].len, cases[i].mask));
        CHECK_MSG(expect_close(c, cases[i].code, NULL), "case %zu", i);
        tc_close(c);
    }
    /* A text message split inside a character is fine. */
    tc_t *c = ws_connect(s, "/ws");
    CHECK(tc_ws_frame(c, 0x01, "\xc3", 1, true));
    CHECK(tc_ws_frame(c, 0x80, "\xa9", 1, true));
    tc_frame_t f;
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_STR((char *)f.data, "\xc3\xa9");
    free(f.data);
    tc_close(c);
    CHECK(wait_closes((int)LC_ARRAY_LEN(cases) + 1));
    release();
    net_server_stop(s);
}

TEST(net_ws_flood_cut_off_others_served)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.ws_max_pending_msgs = 8;
    net_server_t *s = start(&cfg);
    CHECK(s != NULL);
    tc_t *good = ws_connect(s, "/ws");
    tc_t *flood = ws_connect(s, "/hold");
    CHECK(good != NULL && flood != NULL);
    for (int i = 0; i < 20; i++) CHECK(tc_ws_binary(flood, "spam", 4));
    tc_frame_t f;
    for (int i = 0; i < 20; i++) {
        CHECK(tc_ws_text(good, "ping?"));
        CHECK(tc_ws_read(good, &f));
        CHECK_EQ_STR((char *)f.data, "ping?");
        free(f.data);
    }
    CHECK(expect_close(flood, 1013, "too many requests"));
    tc_close(flood);
    CHECK(tc_ws_text(good, "still here"));
    CHECK(tc_ws_read(good, &f));
    CHECK_EQ_STR((char *)f.data, "still here");
    free(f.data);
    pthread_mutex_lock(&W.lock);
    CHECK_EQ_INT(W.nheld, 8);
    pthread_mutex_unlock(&W.lock);
    tc_close(good);
    CHECK(wait_closes(2));
    release();
    net_server_stop(s);
}

TEST(net_ws_send_from_thread)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c;
    net_ws_t *ws = ws_connect_ready(s, &c);
    CHECK(ws != NULL);
    tc_frame_t f;
    /* This thread is not the loop's. */
    for (int i = 0; i < 200; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "msg %d", i);
        CHECK_OK(net_ws_send(ws, false, msg, strlen(msg)));
    }
    net_ws_close(ws, 4000, "done sending");
    CHECK_EQ_INT(net_ws_send(ws, false, "late", 4), LC_EIO);
    for (int i = 0; i < 200; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "msg %d", i);
        CHECK(tc_ws_read(c, &f));
        CHECK_EQ_STR((char *)f.data, msg);
        free(f.data);
    }
    int code;
    char why[128];
    CHECK(tc_ws_read_close(c, &code, why, sizeof why, NULL));
    CHECK_EQ_INT(code, 4000);
    CHECK_EQ_STR(why, "done sending");
    CHECK(tc_ws_send_close(c, 4000, ""));
    CHECK(tc_wait_eof(c));
    tc_close(c);
    CHECK(wait_closes(1));
    release();
    net_server_stop(s);
}

/* net_ws_send_urgent writes at once when the connection is idle and
 * queues otherwise: mixed with net_ws_send, and with messages big enough to
 * fill the socket (a partial direct write queues its rest), every message
 * arrives whole and in order. */
TEST(net_ws_send_urgent_keeps_order)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c;
    net_ws_t *ws = ws_connect_ready(s, &c); /* the loop is idle */
    CHECK(ws != NULL);
    tc_frame_t f;
    enum { N = 400, BIG = 300 * 1024 };
    static uint8_t msg[BIG];
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = i < 40 || i % 97 == 5 ? BIG : 4 + (seed >> 8) % 200;
        lc_store_u32le(msg, (uint32_t)i);
        memset(msg + 4, 'a' + i % 26, len - 4);
        bool urgent = i < 40 || (seed >> 20) % 3 != 0; /* the first fill the socket */
        CHECK_OK(urgent ? net_ws_send_urgent(ws, true, msg, len) : net_ws_send(ws, true, msg, len));
    }
    seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = i < 40 || i % 97 == 5 ? BIG : 4 + (seed >> 8) % 200;
        CHECK(tc_ws_read(c, &f));
        CHECK_MSG(f.len == len && lc_load_u32le(f.data) == (uint32_t)i,
                  "message %d: %zu bytes, index %u", i, f.len,
                  f.len >= 4 ? lc_load_u32le(f.data) : 0);
        bool fill_ok = true;
        for (size_t k = 4; k < len; k++) fill_ok &= f.data[k] == 'a' + i % 26;
        CHECK_MSG(fill_ok, "message %d: damaged payload", i);
        free(f.data);
    }
    /* still a working connection: an echo goes both ways */
    CHECK(tc_ws_text(c, "after"));
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_STR((char *)f.data, "after");
    free(f.data);
    tc_close(c);
    CHECK(wait_closes(1));
    release();
    net_server_stop(s);
}

TEST(net_ws_too_slow)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.max_out_bytes = 256 * 1024;
    net_server_t *s = start(&cfg);
    CHECK(s != NULL);
    tc_t *c;
    net_ws_t *ws = ws_connect_ready(s, &c);
    CHECK(ws != NULL);
    /* The client reads nothing; the server's queue grows to the bound. */
    static uint8_t chunk[64 * 1024];
    int sent = 0;
    while (sent < 5000 && net_ws_send(ws, true, chunk, sizeof chunk) == LC_OK) sent++;
    CHECK(sent < 5000);
    long skipped = 0;
    int code;
    char why[128];
    CHECK(tc_ws_read_close(c, &code, why, sizeof why, &skipped));
    CHECK_EQ_INT(code, 1008);
    CHECK_EQ_STR(why, "too slow");
    CHECK(skipped <= sent);
    tc_close(c);
    CHECK(wait_closes(1));
    release();
    net_server_stop(s);
}

TEST(net_ws_early_frames)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    /* The handshake and a frame in one write, before the 101. */
    uint8_t frame[] = {0x81, 0x82, 0, 0, 0, 0, 'o', 'k'};
    char req[512];
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: " TC_WS_KEY "\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Protocol: v2.bsatn.spacetimedb\r\n\r\n");
    size_t n = strlen(req);
    memcpy(req + n, frame, sizeof frame);
    CHECK(tc_send(c, req, n + sizeof frame));
    tc_resp_t r;
    CHECK(tc_read_head(c, &r));
    CHECK_EQ_INT(r.status, 101);
    char v[64];
    CHECK(tc_header(&r, "sec-websocket-protocol", v, sizeof v));
    CHECK_EQ_STR(v, "v2.bsatn.spacetimedb");
    tc_resp_free(&r);
    tc_frame_t f;
    CHECK(tc_ws_read(c, &f));
    CHECK_EQ_STR((char *)f.data, "ok");
    free(f.data);
    tc_close(c);
    CHECK(wait_closes(1));
    release();
    net_server_stop(s);
}

TEST(net_ws_shutdown_sends_1001)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *a = ws_connect(s, "/ws");
    tc_t *b = ws_connect(s, "/ws");
    CHECK(a != NULL && b != NULL);
    tc_frame_t f;
    CHECK(tc_ws_text(a, "x"));
    CHECK(tc_ws_read(a, &f));
    free(f.data);
    CHECK(tc_ws_text(b, "y"));
    CHECK(tc_ws_read(b, &f));
    free(f.data);
    /* The clients do not answer the Close: stop waits ws_close_timeout_ms. */
    net_server_stop(s);
    CHECK(expect_close(a, 1001, "server shutting down"));
    CHECK(expect_close(b, 1001, "server shutting down"));
    CHECK_EQ_INT(atomic_load(&W.closes), 2);
    char why[128];
    CHECK_EQ_INT(last_code(why, sizeof why), 1001);
    tc_close(a);
    tc_close(b);
    release();
}

const test_case_t test_net_ws_cases[] = {
    TEST_CASE(net_ws_handshake_echo_close),
    TEST_CASE(net_ws_refused),
    TEST_CASE(net_ws_fragments_and_pings),
    TEST_CASE(net_ws_server_ping_and_idle_timeout),
    TEST_CASE(net_ws_close_from_server),
    TEST_CASE(net_ws_too_big),
    TEST_CASE(net_ws_invalid_frames),
    TEST_CASE(net_ws_flood_cut_off_others_served),
    TEST_CASE(net_ws_send_from_thread),
    TEST_CASE(net_ws_send_urgent_keeps_order),
    TEST_CASE(net_ws_too_slow),
    TEST_CASE(net_ws_early_frames),
    TEST_CASE(net_ws_shutdown_sends_1001),
    TEST_END,
};
