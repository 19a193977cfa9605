/*
 * Unit tests for the transport's HTTP side (src/net/loop.c, http.c): a real
 * server on 127.0.0.1 and a free port, two loops, driven by the blocking
 * client of net_client.h.  Covers GET and POST, keep-alive, pipelining in
 * order across a late answer, answers from another thread, chunked
 * streams and a client leaving one, 100-continue, malformed and oversized
 * requests (and the server serving the next client), the counters.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "net/net.h"
#include "net_client.h"
#include "test.h"

/* ---------------------------------------------------------------- the handler */

#define MAX_THREADS 16

static struct {
    pthread_t threads[MAX_THREADS];
    atomic_int nthreads;
    atomic_bool gone_called;
    atomic_int chunks_written;
} T;

static void spawn(void *(*fn)(void *), void *arg)
{
    int i = atomic_fetch_add(&T.nthreads, 1);
    if (i < MAX_THREADS)
        pthread_create(&T.threads[i], NULL, fn, arg);
}

static void join_all(void)
{
    int n = atomic_load(&T.nthreads);
    for (int i = 0; i < n && i < MAX_THREADS; i++) pthread_join(T.threads[i], NULL);
    atomic_store(&T.nthreads, 0);
}

static void *late_answer(void *arg)
{
    net_http_req_t *req = arg;
    usleep(30 * 1000);
    char body[64];
    const char *id = "";
    net_http_query_param(req, "id", &id);
    snprintf(body, sizeof body, "late %s", id);
    net_http_respond(req, 200, "text/plain", body, strlen(body));
    return NULL;
}

static void on_gone(net_http_req_t *req, void *user)
{
    atomic_store(&T.gone_called, true);
}

/* Writes chunks until the client leaves, then ends the stream. */
static void *follower(void *arg)
{
    net_http_req_t *req = arg;
    for (int i = 0; i < 2000 && !net_http_gone(req); i++) {
        char line[32];
        snprintf(line, sizeof line, "line %d\n", i);
        if (net_http_stream_write(req, line, strlen(line)) != LC_OK)
            break;
        atomic_fetch_add(&T.chunks_written, 1);
        usleep(2000);
    }
    net_http_stream_end(req);
    return NULL;
}

static void handler(net_http_req_t *req, void *user)
{
    const char *path = net_http_path(req);
    if (strcmp(path, "/hello") == 0) {
        net_http_respond(req, 200, "text/plain", "hello", 5);
    } else if (strcmp(path, "/echo") == 0) {
        size_t len;
        const uint8_t *body = net_http_body(req, &len);
        const char *a = NULL;
        if (net_http_query_param(req, "a", &a) == LC_OK)
            net_http_add_header(req, "X-A", a);
        const char *ua = net_http_header(req, "USER-agent");
        net_http_add_header(req, "X-Agent", ua ? ua : "-");
        net_http_add_header(req, "X-Method", net_http_method(req));
        net_http_respond(req, 200, "application/octet-stream", body, len);
    } else if (strcmp(path, "/param") == 0) {
        const char *v = NULL;
        int rc = net_http_query_param(req, "p", &v);
        char out[256];
        snprintf(out, sizeof out, "%d:%s", rc, rc == LC_OK ? v : "");
        net_http_respond(req, 200, "text/plain", out, strlen(out));
    } else if (strcmp(path, "/late") == 0) {
        spawn(late_answer, req);
    } else if (strcmp(path, "/stream3") == 0) {
        net_http_stream_begin(req, 200, "text/plain", NULL, NULL);
        net_http_stream_write(req, "one,", 4);
        net_http_stream_write(req, "two,", 4);
        net_http_stream_write(req, "three", 5);
        net_http_stream_end(req);
    } else if (strcmp(path, "/follow") == 0) {
        net_http_stream_begin(req, 200, "text/plain", on_gone, NULL);
        spawn(follower, req);
    } else {
        net_http_respond(req, 404, "text/plain", "not found", 9);
    }
}

static net_server_t *start(net_config_t *cfg)
{
    lc_err_t err;
    net_server_t *s = NULL;
    memset(&T, 0, sizeof T);
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

/* One request on c, its response in r. */
static bool roundtrip(tc_t *c, const char *request, tc_resp_t *r)
{
    return tc_send_str(c, request) && tc_read_response(c, r);
}

/* ---------------------------------------------------------------- tests */

TEST(net_http_get_post)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    CHECK(c != NULL);
    tc_resp_t r;
    CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r));
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(r.body, "hello");
    char v[128];
    CHECK(tc_header(&r, "content-type", v, sizeof v));
    CHECK_EQ_STR(v, "text/plain");
    CHECK(tc_header(&r, "date", v, sizeof v));
    tc_resp_free(&r);

    CHECK(roundtrip(c,
                    "POST /echo?a=x%20y+z&b HTTP/1.1\r\nHost: x\r\nUser-Agent: t1\r\n"
                    "Content-Length: 11\r\n\r\nhello world",
                    &r));
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(r.body, "hello world");
    CHECK(tc_header(&r, "x-a", v, sizeof v));
    CHECK_EQ_STR(v, "x y z");
    CHECK(tc_header(&r, "x-agent", v, sizeof v));
    CHECK_EQ_STR(v, "t1");
    CHECK(tc_header(&r, "x-method", v, sizeof v));
    CHECK_EQ_STR(v, "POST");
    tc_resp_free(&r);

    /* A chunked request body. */
    CHECK(roundtrip(c,
                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
                    &r));
    CHECK_EQ_STR(r.body, "abcdefg");
    tc_resp_free(&r);

    CHECK(roundtrip(c, "GET /nope HTTP/1.1\r\n\r\n", &r));
    CHECK_EQ_INT(r.status, 404);
    tc_resp_free(&r);

    /* Query parameters: decoded, absent, malformed, empty. */
    const char *params[][2] = {
        {"/param?x=1&p=%41%2fb%c3%a9+c", "0:A/b\xc3\xa9 c"},
        {"/param?x=1", "-4:"},
        {"/param?p=%4", "-2:"},
        {"/param?p&q=2", "0:"},
        {"/param?%70=key%20escaped", "0:key escaped"},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(params); i++) {
        char req[256];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\n\r\n", params[i][0]);
        CHECK(roundtrip(c, req, &r));
        CHECK_EQ_STR(r.body, params[i][1]);
        tc_resp_free(&r);
    }

    /* HEAD: the length, no body (the next response must parse). */
    CHECK(tc_send_str(c, "HEAD /hello HTTP/1.1\r\n\r\n"));
    CHECK(tc_read_head(c, &r));
    CHECK(tc_header(&r, "content-length", v, sizeof v));
    CHECK_EQ_STR(v, "5");
    tc_resp_free(&r);
    CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\n\r\n", &r));
    CHECK_EQ_STR(r.body, "hello");
    tc_resp_free(&r);
    tc_close(c);
    net_server_stop(s);
}

TEST(net_http_keep_alive_and_close)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    CHECK(c != NULL);
    tc_resp_t r;
    for (int i = 0; i < 3; i++) {
        CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\n\r\n", &r));
        CHECK_EQ_STR(r.body, "hello");
        tc_resp_free(&r);
    }
    CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", &r));
    char v[64];
    CHECK(tc_header(&r, "connection", v, sizeof v));
    CHECK_EQ_STR(v, "close");
    tc_resp_free(&r);
    CHECK(tc_wait_eof(c));
    tc_close(c);

    /* HTTP/1.0 closes unless asked to keep alive. */
    c = tc_connect(net_server_port(s));
    CHECK(roundtrip(c, "GET /hello HTTP/1.0\r\n\r\n", &r));
    CHECK_EQ_STR(r.body, "hello");
    tc_resp_free(&r);
    CHECK(tc_wait_eof(c));
    tc_close(c);
    net_server_stop(s);
    join_all();
}

TEST(net_http_pipelined_in_order)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    CHECK(c != NULL);
    /* The first is answered late from another thread; the others must wait. */
    CHECK(tc_send_str(c, "GET /late?id=1 HTTP/1.1\r\n\r\n"
                         "GET /hello HTTP/1.1\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                         "GET /late?id=2 HTTP/1.1\r\n\r\n"));
    tc_resp_t r;
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_STR(r.body, "late 1");
    tc_resp_free(&r);
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_STR(r.body, "hello");
    tc_resp_free(&r);
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_STR(r.body, "abc");
    tc_resp_free(&r);
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_STR(r.body, "late 2");
    tc_resp_free(&r);
    tc_close(c);
    join_all();
    net_server_stop(s);
}

TEST(net_http_async_answer_after_client_left)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    CHECK(tc_send_str(c, "GET /late?id=9 HTTP/1.1\r\n\r\n"));
    tc_close(c); /* before the answer: it must be dropped harmlessly */
    join_all();
    /* A half-closed client still gets its answer. */
    c = tc_connect(net_server_port(s));
    CHECK(tc_send_str(c, "GET /late?id=3 HTTP/1.1\r\n\r\n"));
    shutdown(c->fd, SHUT_WR);
    tc_resp_t r;
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_STR(r.body, "late 3");
    tc_resp_free(&r);
    CHECK(tc_wait_eof(c));
    tc_close(c);
    join_all();
    net_server_stop(s);
}

TEST(net_http_stream)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(roundtrip(c, "GET /stream3 HTTP/1.1\r\n\r\n", &r));
    char v[64];
    CHECK(tc_header(&r, "transfer-encoding", v, sizeof v));
    CHECK_EQ_STR(v, "chunked");
    CHECK_EQ_STR(r.body, "one,two,three");
    tc_resp_free(&r);
    /* The connection is still usable. */
    CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\n\r\n", &r));
    CHECK_EQ_STR(r.body, "hello");
    tc_resp_free(&r);

    /* Follow, read a few lines, leave: the producer hears of it. */
    CHECK(tc_send_str(c, "GET /follow HTTP/1.1\r\n\r\n"));
    CHECK(tc_read_head(c, &r));
    CHECK_EQ_INT(r.status, 200);
    for (int i = 0; i < 3; i++) CHECK(tc_read_chunk(c, &r) > 0);
    CHECK(strncmp(r.body, "line 0\nline 1\n", 14) == 0);
    tc_resp_free(&r);
    tc_close(c);
    join_all();
    CHECK(atomic_load(&T.gone_called));
    CHECK(atomic_load(&T.chunks_written) < 2000);
    net_server_stop(s);
}

TEST(net_http_stream_until_shutdown)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(tc_send_str(c, "GET /follow HTTP/1.1\r\n\r\n"));
    CHECK(tc_read_head(c, &r));
    CHECK(tc_read_chunk(c, &r) > 0);
    tc_resp_free(&r);
    /* Stopping the server ends the stream (after shutdown_timeout_ms at
     * worst) and tells the producer. */
    net_server_stop(s);
    join_all();
    CHECK(atomic_load(&T.gone_called));
    tc_close(c);
}

TEST(net_http_expect_continue)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    CHECK(
        tc_send_str(c, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    char line[256];
    CHECK(tc_read_until(c, "\r\n\r\n", line, sizeof line));
    CHECK_EQ_STR(line, "HTTP/1.1 100 Continue\r\n\r\n");
    CHECK(tc_send_str(c, "12345"));
    tc_resp_t r;
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(r.body, "12345");
    tc_resp_free(&r);

    CHECK(roundtrip(c, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nExpect: tea\r\n\r\n", &r));
    CHECK_EQ_INT(r.status, 417);
    tc_resp_free(&r);
    CHECK(tc_wait_eof(c));
    tc_close(c);
    net_server_stop(s);
}

TEST(net_http_malformed)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *bad = tc_connect(net_server_port(s));
    tc_t *good = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(roundtrip(bad, "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", &r));
    CHECK_EQ_INT(r.status, 400);
    CHECK(strncmp(r.body, "malformed request", 17) == 0);
    char v[64];
    CHECK(tc_header(&r, "connection", v, sizeof v));
    CHECK_EQ_STR(v, "close");
    tc_resp_free(&r);
    CHECK(tc_wait_eof(bad));
    tc_close(bad);

    bad = tc_connect(net_server_port(s));
    CHECK(roundtrip(bad, "\x01\x02garbage\r\n\r\n", &r));
    CHECK_EQ_INT(r.status, 400);
    tc_resp_free(&r);
    tc_close(bad);

    CHECK(roundtrip(good, "GET /hello HTTP/1.1\r\n\r\n", &r));
    CHECK_EQ_STR(r.body, "hello");
    tc_resp_free(&r);
    tc_close(good);
    net_server_stop(s);
}

TEST(net_http_limits)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.max_header_bytes = 1024;
    cfg.max_url_bytes = 256;
    cfg.max_body_bytes = 4096;
    net_server_t *s = start(&cfg);
    CHECK(s != NULL);
    int port = net_server_port(s);
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char req[8192];
    tc_resp_t r;

    tc_t *c = tc_connect(port);
    snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nX-Big: %s\r\n\r\n", big);
    CHECK(roundtrip(c, req, &r));
    CHECK_EQ_INT(r.status, 431);
    tc_resp_free(&r);
    tc_close(c);

    c = tc_connect(port);
    snprintf(req, sizeof req, "GET /%.*s HTTP/1.1\r\n\r\n", 300, big);
    CHECK(roundtrip(c, req, &r));
    CHECK_EQ_INT(r.status, 414);
    tc_resp_free(&r);
    tc_close(c);

    /* Refused on the header, before the body is sent. */
    c = tc_connect(port);
    CHECK(roundtrip(c, "POST /echo HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", &r));
    CHECK_EQ_INT(r.status, 413);
    tc_resp_free(&r);
    tc_close(c);

    /* A chunked body that grows past the limit. */
    c = tc_connect(port);
    snprintf(req, sizeof req,
             "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n%x\r\n%s\r\n",
             (unsigned)strlen(big), big, (unsigned)strlen(big), big);
    CHECK(roundtrip(c, req, &r));
    CHECK_EQ_INT(r.status, 413);
    tc_resp_free(&r);
    tc_close(c);

    /* Within the limits all is well. */
    c = tc_connect(port);
    snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", strlen(big),
             big);
    CHECK(roundtrip(c, req, &r));
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.len, strlen(big));
    tc_resp_free(&r);
    tc_close(c);
    net_server_stop(s);
}

TEST(net_http_large_body)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    size_t n = 3u << 20;
    char *body = malloc(n);
    for (size_t i = 0; i < n; i++) body[i] = (char)('a' + i % 26);
    char head[128];
    snprintf(head, sizeof head, "POST /echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", n);
    CHECK(tc_send_str(c, head));
    CHECK(tc_send(c, body, n));
    tc_resp_t r;
    CHECK(tc_read_response(c, &r));
    CHECK_EQ_INT(r.len, n);
    CHECK(memcmp(r.body, body, n) == 0);
    tc_resp_free(&r);
    free(body);
    tc_close(c);
    net_server_stop(s);
}

TEST(net_http_idle_timeout)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.http_idle_timeout_ms = 100;
    net_server_t *s = start(&cfg);
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\n\r\n", &r));
    tc_resp_free(&r);
    CHECK(tc_wait_eof(c)); /* idle keep-alive connection closed */
    tc_close(c);
    net_server_stop(s);
}

TEST(net_http_shutdown_finishes_request)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *idle = tc_connect(net_server_port(s));
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    CHECK(roundtrip(idle, "GET /hello HTTP/1.1\r\n\r\n", &r));
    tc_resp_free(&r);
    CHECK(tc_send_str(c, "GET /late?id=7 HTTP/1.1\r\n\r\n"));
    usleep(5000); /* let the request reach the handler (not a timing check) */
    net_server_stop(s);
    join_all();
    CHECK(tc_wait_eof(idle));
    /* The request in flight was answered before its connection closed,
     * unless it had not yet been read when the stop came. */
    if (tc_read_response(c, &r)) {
        CHECK_EQ_STR(r.body, "late 7");
        tc_resp_free(&r);
    }
    CHECK(tc_wait_eof(c));
    tc_close(idle);
    tc_close(c);
}

TEST(net_http_metrics)
{
    net_server_t *s = start_default();
    CHECK(s != NULL);
    tc_t *c = tc_connect(net_server_port(s));
    tc_resp_t r;
    for (int i = 0; i < 2; i++) {
        CHECK(roundtrip(c, "GET /hello HTTP/1.1\r\n\r\n", &r));
        tc_resp_free(&r);
    }
    net_metrics_t m;
    net_server_metrics(s, &m);
    CHECK_EQ_INT(m.http_requests, 2);
    CHECK_EQ_INT(m.connections_total, 1);
    CHECK_EQ_INT(m.connections_open, 1);
    CHECK(m.bytes_in >= 2 * strlen("GET /hello HTTP/1.1\r\n\r\n"));
    CHECK(m.bytes_out > 10);
    tc_close(c);
    net_server_stop(s);
}

TEST(net_http_listen_error)
{
    net_config_t cfg;
    net_config_default(&cfg);
    cfg.host = "not-an-address";
    cfg.on_request = handler;
    net_server_t *s = NULL;
    lc_err_t err;
    CHECK_EQ_INT(net_server_start(&cfg, &s, &err), LC_EINVAL);
    CHECK(s == NULL);
    /* A port in use. */
    net_server_t *a = start_default();
    CHECK(a != NULL);
    net_config_default(&cfg);
    cfg.port = net_server_port(a);
    cfg.on_request = handler;
    CHECK_EQ_INT(net_server_start(&cfg, &s, &err), LC_EIO);
    net_server_stop(a);
}

const test_case_t test_net_http_cases[] = {
    TEST_CASE(net_http_get_post),
    TEST_CASE(net_http_keep_alive_and_close),
    TEST_CASE(net_http_pipelined_in_order),
    TEST_CASE(net_http_async_answer_after_client_left),
    TEST_CASE(net_http_stream),
    TEST_CASE(net_http_stream_until_shutdown),
    TEST_CASE(net_http_expect_continue),
    TEST_CASE(net_http_malformed),
    TEST_CASE(net_http_limits),
    TEST_CASE(net_http_large_body),
    TEST_CASE(net_http_idle_timeout),
    TEST_CASE(net_http_shutdown_finishes_request),
    TEST_CASE(net_http_metrics),
    TEST_CASE(net_http_listen_error),
    TEST_END,
};
