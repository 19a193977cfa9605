/*
 * http.c — HTTP/1.1 on a connection: requests parsed with http_parser,
 * handed to the one handler, answered once from any thread.
 *
 * A connection parses one request at a time.  When a request is complete
 * the parser is paused (http_parser_pause) where it stands, the request
 * becomes conn->cur and goes to the handler; bytes that follow (pipelined
 * requests, early WebSocket frames) wait in conn->in, and reading stops if
 * they pile past IN_MAX.  When the answer's last bytes reach the loop
 * (OUT_HTTP_DONE, net__http_done) the parser resumes on them: answers leave
 * in the order the requests came, whatever thread made them.
 *
 * Request lifecycle and who holds a reference (net_http_req_t.refs):
 *
 *   on_message_begin        created; the connection's reference (c->building)
 *   on_message_complete     c->cur; the handler gets a second reference
 *   net_http_respond /      the handler's reference goes; the answer is posted
 *     net_ws_accept /         (OUT_HTTP_DONE, OUT_WS_ACCEPT)
 *     net_http_stream_end
 *   net__http_done /        the connection's goes (answer applied, or the
 *     net__http_closed        connection closed: gone is set first)
 *
 * so a handler answering late from another thread always finds its request
 * (and the connection's memory, invariant 2 of net_int.h) in place.
 *
 * Limits: the request target (max_url_bytes, 414), request line plus
 * headers (max_header_bytes, 431), the body (max_body_bytes, 413, checked
 * against Content-Length before a byte of it arrives, and while a chunked
 * body grows).  "Expect: 100-continue" is answered 100 Continue when the
 * headers pass (curl waits for it before sending a large body); any other
 * expectation gets 417.  A parse error gets 400 with the parser's reason.
 * Each of these answers carries Connection: close and the connection
 * lingers (net__conn_linger), so the client can read it before the close.
 *
 * The connection states (HTTP, UPGRADING, ... CLOSED) and the functions
 * that move between them are tabled in net_int.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net_int.h"

#define IN_MAX (256 * 1024) /* buffered input while a request is with the handler */

static _Thread_local net_http_req_t *tl_gone_req; /* on_gone running on this thread */

/* ---------------------------------------------------------------- requests */

static net_http_req_t *req_new(net_conn_t *c)
{
    net_http_req_t *r = lc_calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    if (uv_mutex_init(&r->cb_lock) != 0) {
        lc_free(r);
        return NULL;
    }
    atomic_init(&r->refs, 1);
    atomic_init(&r->gone, false);
    lc_arena_init(&r->arena, 4096);
    r->peer = lc_arena_strdup(&r->arena, c->peer);
    if (r->peer == NULL) {
        uv_mutex_destroy(&r->cb_lock);
        lc_arena_free(&r->arena);
        lc_free(r);
        return NULL;
    }
    net__conn_ref(c);
    r->conn = c;
    return r;
}

void net__req_unref(net_http_req_t *r)
{
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    lc_buf_free(&r->body);
    lc_buf_free(&r->extra);
    lc_free(r->headers);
    lc_arena_free(&r->arena);
    uv_mutex_destroy(&r->cb_lock);
    net__conn_unref(r->conn);
    lc_free(r);
}

/* ---------------------------------------------------------------- parser callbacks */

/* Stop the parse with an error answer (status, message). */
static int stop(net_conn_t *c, int status, const char *msg)
{
    c->fail_status = status;
    c->fail_msg = msg;
    return -1;
}

static int head_bytes(net_conn_t *c, size_t n)
{
    c->head_bytes += n;
    if (c->head_bytes > net__cfg(c)->max_header_bytes)
        return stop(c, 431, "request header fields too large");
    return 0;
}

static int on_message_begin(http_parser *p)
{
    net_conn_t *c = p->data;
    c->building = req_new(c);
    if (c->building == NULL)
        return stop(c, 503, "out of memory");
    c->head_bytes = 0;
    c->in_value = false;
    lc_buf_reset(&c->url);
    lc_buf_reset(&c->field);
    lc_buf_reset(&c->value);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    net_conn_t *c = p->data;
    if (c->url.len + n > net__cfg(c)->max_url_bytes)
        return stop(c, 414, "request target too long");
    if (head_bytes(c, n) != 0)
        return -1;
    if (lc_buf_append(&c->url, at, n) != LC_OK)
        return stop(c, 503, "out of memory");
    return 0;
}

static int commit_header(net_conn_t *c)
{
    net_http_req_t *r = c->building;
    size_t vlen = c->value.len;
    while (vlen > 0 && (c->value.data[vlen - 1] == ' ' || c->value.data[vlen - 1] == '\t')) vlen--;
    if (lc_grow(&r->headers, &r->cap_headers, r->nheaders, sizeof *r->headers, 16) != LC_OK)
        return stop(c, 503, "out of memory");
    net_header_t *h = &r->headers[r->nheaders];
    h->name = lc_arena_strndup(&r->arena, (const char *)c->field.data, c->field.len);
    h->value = lc_arena_strndup(&r->arena, (const char *)c->value.data, vlen);
    if (h->name == NULL || h->value == NULL)
        return stop(c, 503, "out of memory");
    r->nheaders++;
    lc_buf_reset(&c->field);
    lc_buf_reset(&c->value);
    c->in_value = false;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    net_conn_t *c = p->data;
    if (head_bytes(c, n) != 0)
        return -1;
    if (c->in_value && commit_header(c) != 0)
        return -1;
    if (lc_buf_append(&c->field, at, n) != LC_OK)
        return stop(c, 503, "out of memory");
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    net_conn_t *c = p->data;
    if (head_bytes(c, n) != 0)
        return -1;
    c->in_value = true;
    if (lc_buf_append(&c->value, at, n) != LC_OK)
        return stop(c, 503, "out of memory");
    return 0;
}

/* Split the request target into path and query. */
static int split_url(net_conn_t *c, http_parser *p)
{
    net_http_req_t *r = c->building;
    r->url = lc_arena_strndup(&r->arena, (const char *)c->url.data, c->url.len);
    if (r->url == NULL)
        return stop(c, 503, "out of memory");
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(r->url, c->url.len, p->method == HTTP_CONNECT, &u) != 0)
        return stop(c, 400, "malformed request target");
    if (u.field_set & (1 << UF_PATH))
        r->path = lc_arena_strndup(&r->arena, r->url + u.field_data[UF_PATH].off,
                                   u.field_data[UF_PATH].len);
    else
        r->path = p->method == HTTP_CONNECT ? r->url : "/";
    if (u.field_set & (1 << UF_QUERY))
        r->query = lc_arena_strndup(&r->arena, r->url + u.field_data[UF_QUERY].off,
                                    u.field_data[UF_QUERY].len);
    else
        r->query = "";
    if (r->path == NULL || r->query == NULL)
        return stop(c, 503, "out of memory");
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    net_conn_t *c = p->data;
    net_http_req_t *r = c->building;
    if (c->in_value && commit_header(c) != 0)
        return -1;
    if (split_url(c, p) != 0)
        return -1;
    r->method = http_method_str((enum http_method)p->method);
    r->http_major = p->http_major;
    r->http_minor = p->http_minor;
    r->upgrade = p->upgrade;
    r->head = p->method == HTTP_HEAD;
    const net_config_t *cfg = net__cfg(c);
    bool has_length = (p->flags & F_CONTENTLENGTH) && p->content_length != ULLONG_MAX;
    if (has_length && p->content_length > cfg->max_body_bytes)
        return stop(c, 413, "request body too large");
    const char *expect = net_http_header(r, "expect");
    if (expect) {
        if (strcasecmp(expect, "100-continue") != 0)
            return stop(c, 417, "unsupported expectation");
        if (p->http_major == 1 && p->http_minor >= 1) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            net_out_t *o = net__out_new(OUT_BYTES, sizeof cont - 1);
            if (o == NULL)
                return stop(c, 503, "out of memory");
            memcpy(o->data, cont, sizeof cont - 1);
            net__conn_write(c, o);
        }
    }
    if (has_length && p->content_length > 0 &&
        lc_buf_reserve(&r->body, (size_t)p->content_length + 1) != LC_OK)
        return stop(c, 503, "out of memory");
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    net_conn_t *c = p->data;
    net_http_req_t *r = c->building;
    if (r->body.len + n > net__cfg(c)->max_body_bytes)
        return stop(c, 413, "request body too large");
    if (lc_buf_append(&r->body, at, n) != LC_OK)
        return stop(c, 503, "out of memory");
    return 0;
}

static int on_message_complete(http_parser *p)
{
    net_conn_t *c = p->data;
    net_http_req_t *r = c->building;
    if (lc_buf_terminate(&r->body) != LC_OK)
        return stop(c, 503, "out of memory");
    r->keep_alive = http_should_keep_alive(p);
    c->building = NULL;
    c->cur = r;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---------------------------------------------------------------- the parse loop */

int net__http_init(net_conn_t *c)
{
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    return LC_OK;
}

void net__http_free(net_conn_t *c)
{
    lc_buf_free(&c->in);
    lc_buf_free(&c->url);
    lc_buf_free(&c->field);
    lc_buf_free(&c->value);
}

static void dispatch(net_conn_t *c)
{
    net_http_req_t *r = c->cur;
    net_loop_t *l = c->loop;
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed); /* the handler's */
    atomic_fetch_add_explicit(&l->stats.requests, 1, memory_order_relaxed);
    if (r->upgrade)
        c->state = CONN_UPGRADING;
    l->srv->cfg.on_request(r, l->srv->cfg.user);
}

/* Parse p[0..n); returns the bytes consumed.  Dispatches a complete
 * request, or answers an error. */
static size_t parse(net_conn_t *c, const uint8_t *p, size_t n)
{
    LC_ASSERT(c->state == CONN_HTTP && c->cur == NULL);
    c->fail_status = 0;
    size_t used = http_parser_execute(&c->parser, &settings, (const char *)p, n);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) {
        dispatch(c);
    } else if (e != HPE_OK) {
        if (c->fail_status)
            net__http_fail(c, c->fail_status, c->fail_msg);
        else if (e == HPE_HEADER_OVERFLOW)
            net__http_fail(c, 431, "request header fields too large");
        else {
            char msg[128];
            snprintf(msg, sizeof msg, "malformed request: %s", http_errno_description(e));
            net__http_fail(c, 400, msg);
        }
        return n;
    }
    return used;
}

/* Parse what is buffered in c->in. */
static void parse_buffered(net_conn_t *c)
{
    while (c->state == CONN_HTTP && c->cur == NULL && c->in_off < c->in.len) {
        size_t used = parse(c, c->in.data + c->in_off, c->in.len - c->in_off);
        if (c->state == CONN_CLOSED || c->state == CONN_LINGER)
            return;
        c->in_off += used;
        if (used == 0)
            break;
    }
    if (c->in_off == c->in.len) {
        lc_buf_reset(&c->in);
        c->in_off = 0;
    } else if (c->in_off > 0) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
}

static bool buffer_input(net_conn_t *c, const uint8_t *p, size_t n)
{
    if (lc_buf_append(&c->in, p, n) != LC_OK) {
        net__conn_close(c);
        return false;
    }
    return true;
}

void net__http_input(net_conn_t *c, const uint8_t *p, size_t n)
{
    if (c->state != CONN_HTTP || c->cur != NULL) {
        /* Waiting for the handler: keep the bytes, within reason. */
        if (buffer_input(c, p, n) && c->in.len - c->in_off > IN_MAX)
            net__conn_read(c, false);
        return;
    }
    if (c->in.len > c->in_off) {
        if (buffer_input(c, p, n))
            parse_buffered(c);
        return;
    }
    size_t used = parse(c, p, n);
    if (c->state != CONN_CLOSED && c->state != CONN_LINGER && used < n)
        buffer_input(c, p + used, n - used);
}

void net__http_done(net_conn_t *c, bool close_after)
{
    LC_ASSERT(c->state == CONN_HTTP || c->state == CONN_UPGRADING);
    net_http_req_t *r = c->cur;
    c->cur = NULL;
    if (r)
        net__req_unref(r);
    if (close_after || c->state == CONN_UPGRADING || c->loop->stopping) {
        net__conn_linger(c);
        return;
    }
    LC_ASSERT(c->state == CONN_HTTP);
    http_parser_pause(&c->parser, 0);
    net__conn_read(c, true);
    parse_buffered(c);
    if (c->state == CONN_HTTP && c->cur == NULL && c->peer_eof)
        net__conn_linger(c);
}

static net_out_t *error_response(int status, const char *msg);

void net__http_fail(net_conn_t *c, int status, const char *msg)
{
    if (c->building) {
        net__req_unref(c->building);
        c->building = NULL;
    }
    net_out_t *o = error_response(status, msg);
    if (o == NULL) {
        net__conn_close(c);
        return;
    }
    lc_log_debug("net: %s: %d %s", c->peer, status, msg);
    net__conn_write(c, o);
    net__conn_linger(c);
}

/* Run the stream's on_gone (loop thread), unless it has ended. */
static void notify_gone(net_http_req_t *r)
{
    atomic_store(&r->gone, true);
    uv_mutex_lock(&r->cb_lock);
    if (r->streaming && !r->ended && r->on_gone) {
        tl_gone_req = r;
        r->on_gone(r, r->gone_user);
        tl_gone_req = NULL;
    }
    uv_mutex_unlock(&r->cb_lock);
}

bool net__http_streaming(net_conn_t *c)
{
    net_http_req_t *r = c->cur;
    if (r == NULL)
        return false;
    uv_mutex_lock(&r->cb_lock);
    bool s = r->streaming;
    uv_mutex_unlock(&r->cb_lock);
    return s;
}

void net__http_closed(net_conn_t *c)
{
    if (c->building) {
        net__req_unref(c->building);
        c->building = NULL;
    }
    net_http_req_t *r = c->cur;
    if (r) {
        c->cur = NULL;
        notify_gone(r);
        net__req_unref(r);
    }
}

/* ---------------------------------------------------------------- answers */

static void put_date(lc_buf_t *b)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    lc_buf_printf(b, "Date: %s\r\n", date);
}

static const char *reason_phrase(int status)
{
    const char *s = http_status_str((enum http_status)status);
    return strcmp(s, "<unknown>") == 0 ? "Unknown" : s;
}

/* Format a response head into b. */
static void put_head(lc_buf_t *b, int status, const char *content_type, const char *framing,
                     const lc_buf_t *extra, const char *connection)
{
    lc_buf_printf(b, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
    put_date(b);
    if (content_type)
        lc_buf_printf(b, "Content-Type: %s\r\n", content_type);
    if (framing)
        lc_buf_puts(b, framing);
    if (extra && extra->len)
        lc_buf_append(b, extra->data, extra->len);
    if (connection)
        lc_buf_printf(b, "Connection: %s\r\n", connection);
    lc_buf_puts(b, "\r\n");
}

/* An item holding head then body. */
static net_out_t *head_and_body(out_kind_t kind, lc_buf_t *head, const void *body, size_t len)
{
    net_out_t *o = head->oom ? NULL : net__out_new(kind, head->len + len);
    if (o) {
        memcpy(o->data, head->data, head->len);
        if (len)
            memcpy(o->data + head->len, body, len);
    }
    lc_buf_free(head);
    return o;
}

static net_out_t *error_response(int status, const char *msg)
{
    uint8_t mem[512];
    lc_buf_t head;
    lc_buf_init_with(&head, mem, sizeof mem);
    size_t len = strlen(msg);
    char framing[64];
    snprintf(framing, sizeof framing, "Content-Length: %zu\r\n", len);
    put_head(&head, status, "text/plain; charset=utf-8", framing, NULL, "close");
    net_out_t *o = head_and_body(OUT_BYTES, &head, msg, len);
    return o;
}

/* The Connection header an answer to r carries, and whether the
 * connection closes after it. */
static const char *connection_header(net_http_req_t *r, bool *close_after)
{
    *close_after = !r->keep_alive || r->upgrade;
    if (*close_after)
        return "close";
    return r->http_major == 1 && r->http_minor == 0 ? "keep-alive" : NULL;
}

int net_http_respond(net_http_req_t *req, int status, const char *content_type, const void *body,
                     size_t len)
{
    LC_ASSERT(!req->answered);
    req->answered = true;
    bool close_after;
    const char *conn = connection_header(req, &close_after);
    bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    char framing[64] = "";
    if (!no_body)
        snprintf(framing, sizeof framing, "Content-Length: %zu\r\n", len);
    uint8_t mem[1024];
    lc_buf_t head;
    lc_buf_init_with(&head, mem, sizeof mem);
    put_head(&head, status, content_type, framing, &req->extra, conn);
    bool send_body = !no_body && !req->head;
    net_out_t *o = head_and_body(OUT_HTTP_DONE, &head, body, send_body ? len : 0);
    int rc;
    if (o == NULL) {
        /* The client must not wait forever: close its connection. */
        o = net__out_new(OUT_HTTP_DONE, 0);
        rc = LC_ENOMEM;
        if (o) {
            o->close_after = true;
            net__conn_post(req->conn, o, false);
        }
    } else {
        o->close_after = close_after;
        rc = net__conn_post(req->conn, o, false);
    }
    net__req_unref(req);
    return rc;
}

int net_http_stream_begin(net_http_req_t *req, int status, const char *content_type,
                          net_http_gone_cb on_gone, void *user)
{
    LC_ASSERT(!req->answered);
    req->answered = true;
    req->chunked = req->http_major == 1 && req->http_minor >= 1;
    bool close_after;
    const char *conn = connection_header(req, &close_after);
    if (!req->chunked) {
        close_after = true; /* HTTP/1.0: the end of the body is the close */
        conn = "close";
    }
    req->close_after = close_after;
    uint8_t mem[1024];
    lc_buf_t head;
    lc_buf_init_with(&head, mem, sizeof mem);
    put_head(&head, status, content_type, req->chunked ? "Transfer-Encoding: chunked\r\n" : NULL,
             &req->extra, conn);
    net_out_t *o = head_and_body(OUT_BYTES, &head, NULL, 0);
    if (o == NULL || net__conn_post(req->conn, o, true) != LC_OK) {
        atomic_store(&req->gone, true);
        return LC_EIO;
    }
    /* gone is set before notify_gone takes cb_lock: if it is not set here,
     * notify_gone has not run and will see on_gone. */
    uv_mutex_lock(&req->cb_lock);
    bool gone = atomic_load(&req->gone);
    if (!gone) {
        req->streaming = true;
        req->on_gone = on_gone;
        req->gone_user = user;
    }
    uv_mutex_unlock(&req->cb_lock);
    return gone ? LC_EIO : LC_OK;
}

int net_http_stream_write(net_http_req_t *req, const void *data, size_t len)
{
    LC_ASSERT(req->answered && !req->ended);
    if (atomic_load(&req->gone))
        return LC_EIO;
    if (len == 0)
        return LC_OK; /* a zero-size chunk would end the body */
    char size[32] = "";
    int n = req->chunked ? snprintf(size, sizeof size, "%zx\r\n", len) : 0;
    size_t trail = req->chunked ? 2 : 0;
    net_out_t *o = net__out_new(OUT_BYTES, (size_t)n + len + trail);
    if (o == NULL)
        return LC_ENOMEM;
    memcpy(o->data, size, (size_t)n);
    memcpy(o->data + n, data, len);
    if (trail)
        memcpy(o->data + n + len, "\r\n", 2);
    return net__conn_post(req->conn, o, true);
}

void net_http_stream_end(net_http_req_t *req)
{
    if (tl_gone_req == req) {
        req->ended = true; /* inside on_gone: this thread holds cb_lock */
    } else {
        uv_mutex_lock(&req->cb_lock);
        req->ended = true;
        uv_mutex_unlock(&req->cb_lock);
    }
    static const char last[] = "0\r\n\r\n";
    size_t len = req->chunked ? sizeof last - 1 : 0;
    net_out_t *o = net__out_new(OUT_HTTP_DONE, len);
    if (o) {
        memcpy(o->data, last, len);
        o->close_after = req->close_after;
        net__conn_post(req->conn, o, false);
    }
    net__req_unref(req);
}

/* ---------------------------------------------------------------- getters */

const char *net_http_method(const net_http_req_t *req)
{
    return req->method;
}

const char *net_http_path(const net_http_req_t *req)
{
    return req->path;
}

const char *net_http_query(const net_http_req_t *req)
{
    return req->query;
}

const char *net_http_peer(const net_http_req_t *req)
{
    return req->peer;
}

const char *net_http_header(const net_http_req_t *req, const char *name)
{
    for (uint32_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

uint32_t net_http_header_count(const net_http_req_t *req)
{
    return req->nheaders;
}

void net_http_header_at(const net_http_req_t *req, uint32_t i, const char **name,
                        const char **value)
{
    LC_ASSERT(i < req->nheaders);
    *name = req->headers[i].name;
    *value = req->headers[i].value;
}

const uint8_t *net_http_body(const net_http_req_t *req, size_t *len)
{
    *len = req->body.len;
    return req->body.data ? req->body.data : (const uint8_t *)"";
}

bool net_http_is_upgrade(const net_http_req_t *req)
{
    return req->upgrade;
}

bool net_http_gone(const net_http_req_t *req)
{
    return atomic_load(&req->gone);
}

int net_http_add_header(net_http_req_t *req, const char *name, const char *value)
{
    LC_ASSERT(!req->answered);
    if (name[0] == '\0' || strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
        return LC_EINVAL;
    return lc_buf_printf(&req->extra, "%s: %s\r\n", name, value);
}

static int unhex(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decode form-style escapes of s[0..n) into out (at least n + 1 bytes). */
static int url_decode(const char *s, size_t n, char *out)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[j++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 1 < n ? unhex((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? unhex((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return LC_EINVAL;
            out[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return LC_OK;
}

int net_http_query_param(net_http_req_t *req, const char *name, const char **value)
{
    const char *q = req->query;
    size_t nlen = strlen(name);
    char small[256];
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t plen = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', plen);
        size_t klen = eq ? (size_t)(eq - q) : plen;
        if (klen < sizeof small && url_decode(q, klen, small) == LC_OK && strlen(small) == nlen &&
            memcmp(small, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : q + plen;
            size_t vlen = (size_t)(q + plen - v);
            char *out = lc_arena_alloc(&req->arena, vlen + 1);
            if (out == NULL)
                return LC_ENOMEM;
            if (url_decode(v, vlen, out) != LC_OK)
                return LC_EINVAL;
            *value = out;
            return LC_OK;
        }
        q += plen;
        if (*q == '&')
            q++;
    }
    return LC_ENOTFOUND;
}
