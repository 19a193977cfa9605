/*
 * ws.c — WebSocket (RFC 6455) on an upgraded HTTP connection.
 *
 * Incoming bytes go through wslay's frame decoder (wslay_frame_recv: header
 * and length checks, unmasking); the message layer above it is ours, so
 * that limits are checked before memory is taken and every close carries
 * a reason.  Outgoing frames are built here: a server frame is a 2-, 4- or
 * 10-byte header and the unmasked payload, made once, in the sender's
 * thread, into the mailbox item that the loop hands to uv_write as is (no
 * further copy; wslay's event layer would copy each message twice more).
 *
 * Frame (§5.2), as the client sends it:
 *
 *   offset  size     field
 *   0       1        FIN (0x80), RSV1-3 (0x70, must be 0), opcode (0x0f)
 *   1       1        MASK (0x80, must be 1 from a client), length 0..125,
 *                    126: 16-bit length follows, 127: 64-bit length follows
 *   2       0/2/8    extended length, big-endian
 *   ..      4        masking key
 *   ..      length   payload (XORed with the key)
 *
 * Opcodes: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
 * Close payload: 2-byte code, big-endian, then a UTF-8 reason (<= 123 bytes).
 *
 * Invariants:
 *  1. A data message is at most ws_max_message_bytes: checked on each
 *     frame's header, before its payload is buffered (1009); its buffer
 *     grows with the bytes received, not with the length announced.
 *  2. Control frames are at most 125 bytes and never fragmented (wslay),
 *     may arrive between the fragments of a message, and do not count
 *     toward it.
 *  3. A delivered message counts in pending_msgs / pending_bytes until
 *     net_ws_msg_free; crossing either limit closes with 1013 "too many
 *     requests" (the reference server's code for the same condition).
 *  4. After our Close no data frame is sent (ws_closing, under conn->lock,
 *     stops net_ws_send) and none is delivered; after the peer's Close
 *     nothing more is read.
 *  5. on_close is called exactly once per accepted connection, on its loop
 *     thread, when the socket closes (net__ws_closed), with the peer's
 *     code if it sent one, else ours, else 1006.
 *
 * The WebSocket part of the connection state table (net_int.h):
 * UPGRADING -> WS (net__ws_open, when the 101 leaves the mailbox);
 * WS -> WS_CLOSING (start_closing: net_ws_close, shutdown, or the peer's
 * Close answered); WS or WS_CLOSING -> LINGER (net__ws_fail: bad frame,
 * too big, flood, too slow, idle); WS_CLOSING -> CLOSED when both Closes
 * are through (on_peer_close, net__ws_close_written) or at the deadline.
 */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>

#include "net_int.h"

#define WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define RESERVE_AHEAD (64 * 1024) /* message bytes reserved before they arrive */

/* ---------------------------------------------------------------- frames out */

static size_t frame_header(uint8_t *h, uint8_t opcode, size_t len)
{
    h[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        h[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

static net_out_t *frame_new(out_kind_t kind, uint8_t opcode, const void *p, size_t len)
{
    uint8_t h[10];
    size_t hl = frame_header(h, opcode, len);
    net_out_t *o = net__out_new(kind, hl + len);
    if (o) {
        memcpy(o->data, h, hl);
        if (len)
            memcpy(o->data + hl, p, len);
    }
    return o;
}

/* How many bytes of s (at most max) end on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80) max--;
    return max;
}

net_out_t *net__ws_close_frame(uint16_t code, const char *reason)
{
    uint8_t payload[125];
    size_t len = 0;
    if (code != 0) {
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        size_t rl = reason ? utf8_cut(reason, 123) : 0;
        memcpy(payload + 2, reason, rl);
        len = 2 + rl;
    }
    net_out_t *o = frame_new(OUT_WS_CLOSE, WSLAY_CONNECTION_CLOSE, payload, len);
    if (o)
        o->code = code;
    return o;
}

/* ---------------------------------------------------------------- state changes */

static void set_closing(net_conn_t *c)
{
    uv_mutex_lock(&c->lock);
    c->ws_closing = true;
    uv_mutex_unlock(&c->lock);
}

/* Remember what our Close frame o says (for on_close) and queue it. */
static void send_close(net_conn_t *c, net_out_t *o)
{
    ws_state_t *ws = &c->ws;
    ws->close_sent = true;
    ws->our_code = o->code;
    size_t rl = o->len > 4 ? o->len - 4 : 0; /* 2-byte header, 2-byte code */
    memcpy(ws->our_reason, o->data + 4, rl);
    ws->our_reason[rl] = '\0';
    net__conn_write(c, o);
}

/* Free the message being assembled; msg_opcode stays, so that the
 * fragments still to come are recognised (and dropped). */
static void drop_message(ws_state_t *ws)
{
    lc_free(ws->msg);
    ws->msg = NULL;
    ws->msg_cap = 0;
}

/* WS -> WS_CLOSING with our Close o. */
static void start_closing(net_conn_t *c, net_out_t *o)
{
    set_closing(c);
    send_close(c, o);
    drop_message(&c->ws);
    c->state = CONN_WS_CLOSING;
    c->deadline = uv_now(&c->loop->uv) + net__cfg(c)->ws_close_timeout_ms;
    net__conn_flush(c);
}

void net__ws_begin_close(net_conn_t *c, uint16_t code, const char *reason)
{
    if (c->state != CONN_WS)
        return;
    net_out_t *o = net__ws_close_frame(code, reason);
    if (o == NULL) {
        net__conn_close(c);
        return;
    }
    start_closing(c, o);
}

void net__ws_close_item(net_conn_t *c, net_out_t *o)
{
    if (c->state != CONN_WS) {
        lc_free(o);
        return;
    }
    start_closing(c, o);
}

void net__ws_fail(net_conn_t *c, uint16_t code, const char *reason)
{
    if (c->state != CONN_WS && c->state != CONN_WS_CLOSING)
        return;
    lc_log_debug("net: %s: WebSocket closed: %u %s", c->peer, code, reason);
    set_closing(c);
    drop_message(&c->ws);
    if (!c->ws.close_sent) {
        net_out_t *o = net__ws_close_frame(code, reason);
        if (o)
            send_close(c, o);
    }
    net__conn_linger(c);
}

void net__ws_close_written(net_conn_t *c)
{
    c->ws.close_written = true;
    if (c->state == CONN_WS_CLOSING && c->ws.close_received)
        net__conn_close(c);
}

/* ---------------------------------------------------------------- frames in */

static ssize_t frame_recv(uint8_t *buf, size_t len, int flags, void *user)
{
    net_conn_t *c = user;
    size_t n = LC_MIN(len, c->ws.rx_len);
    memcpy(buf, c->ws.rx, n);
    c->ws.rx += n;
    c->ws.rx_len -= n;
    return (ssize_t)n;
}

static ssize_t frame_send(const uint8_t *data, size_t len, int flags, void *user)
{
    return WSLAY_ERR_CALLBACK_FAILURE; /* frames out are built by frame_new */
}

static int frame_genmask(uint8_t *buf, size_t len, void *user)
{
    memset(buf, 0, len);
    return 0;
}

static const struct wslay_frame_callbacks frame_callbacks = {frame_send, frame_recv, frame_genmask};

void net__ws_open(net_conn_t *c)
{
    LC_ASSERT(c->state == CONN_UPGRADING);
    if (c->cur) {
        net__req_unref(c->cur);
        c->cur = NULL;
    }
    if (wslay_frame_context_init(&c->ws.frames, &frame_callbacks, c) != 0) {
        c->ws.frames = NULL;
        net__conn_close(c);
        return;
    }
    c->state = CONN_WS;
    c->ws_open = true;
    uint64_t now = uv_now(&c->loop->uv);
    c->ws.last_ping = now;
    c->last_rx = now;
    atomic_fetch_add_explicit(&c->loop->stats.ws_opened, 1, memory_order_relaxed);
    net__conn_read(c, true);
    if (c->loop->stopping) {
        net__ws_begin_close(c, NET_WS_GOING_AWAY, "server shutting down");
        return;
    }
    if (c->in.len > c->in_off) {
        /* Frames the client sent before it saw the 101. */
        lc_buf_t early = c->in;
        size_t off = c->in_off;
        lc_buf_init(&c->in);
        c->in_off = 0;
        net__ws_input(c, early.data + off, early.len - off);
        lc_buf_free(&early);
    }
}

static bool valid_close_code(unsigned code)
{
    return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) ||
           (code >= 3000 && code <= 4999);
}

/* The peer's Close: remember it, answer it if we have not sent ours. */
static void on_peer_close(net_conn_t *c)
{
    ws_state_t *ws = &c->ws;
    if (ws->ctrl_len == 1) {
        net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "invalid close frame");
        return;
    }
    uint16_t code = NET_WS_NO_STATUS;
    size_t rl = 0;
    if (ws->ctrl_len >= 2) {
        code = (uint16_t)(ws->ctrl[0] << 8 | ws->ctrl[1]);
        rl = ws->ctrl_len - 2;
        if (!valid_close_code(code)) {
            net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "invalid close code");
            return;
        }
        if (!sats_utf8_valid(ws->ctrl + 2, rl)) {
            net__ws_fail(c, NET_WS_INVALID_DATA, "close reason is not valid UTF-8");
            return;
        }
    }
    ws->close_received = true;
    ws->peer_code = code;
    memcpy(ws->peer_reason, ws->ctrl + 2, rl);
    ws->peer_reason[rl] = '\0';
    if (c->state == CONN_WS) {
        /* Echo the code (§5.5.1); none if the peer gave none. */
        net_out_t *o = net__ws_close_frame(code == NET_WS_NO_STATUS ? 0 : code, "");
        if (o == NULL) {
            net__conn_close(c);
            return;
        }
        start_closing(c, o);
        return;
    }
    if (ws->close_written)
        net__conn_close(c);
}

static void on_control(net_conn_t *c)
{
    ws_state_t *ws = &c->ws;
    switch (ws->frame_opcode) {
    case WSLAY_CONNECTION_CLOSE:
        on_peer_close(c);
        break;
    case WSLAY_PING:
        if (c->state == CONN_WS) {
            net_out_t *o = frame_new(OUT_BYTES, WSLAY_PONG, ws->ctrl, ws->ctrl_len);
            if (o)
                net__conn_write(c, o);
        }
        break;
    case WSLAY_PONG:
        ws->ping_outstanding = false;
        break;
    }
}

/* A complete data message: check it, count it, hand it over. */
static void on_message(net_conn_t *c)
{
    ws_state_t *ws = &c->ws;
    net_ws_msg_t *m = ws->msg;
    bool binary = ws->msg_opcode == WSLAY_BINARY_FRAME;
    ws->msg = NULL;
    ws->msg_cap = 0;
    ws->msg_opcode = 0;
    m->data = (uint8_t *)(m + 1);
    m->data[m->len] = '\0';
    m->binary = binary;
    if (!binary && !sats_utf8_valid(m->data, m->len)) {
        lc_free(m);
        net__ws_fail(c, NET_WS_INVALID_DATA, "text message is not valid UTF-8");
        return;
    }
    const net_config_t *cfg = net__cfg(c);
    m->ws = c;
    net__conn_ref(c);
    unsigned n = atomic_fetch_add(&ws->pending_msgs, 1) + 1;
    size_t bytes = atomic_fetch_add(&ws->pending_bytes, m->len) + m->len;
    atomic_fetch_add_explicit(&c->loop->stats.msgs_in, 1, memory_order_relaxed);
    if (n > cfg->ws_max_pending_msgs || bytes > cfg->ws_max_pending_bytes) {
        net_ws_msg_free(m);
        net__ws_fail(c, NET_WS_TRY_AGAIN, "too many requests");
        return;
    }
    c->ws_cb.on_message(c, m, c->ws_user);
}

/* Make room for need bytes of message (plus a NUL). */
static bool msg_reserve(net_conn_t *c, size_t need)
{
    ws_state_t *ws = &c->ws;
    if (ws->msg && need + 1 <= ws->msg_cap)
        return true;
    size_t cap = LC_MAX(need + 1, ws->msg_cap * 2);
    cap = LC_MIN(cap, net__cfg(c)->ws_max_message_bytes + 1);
    cap = LC_MAX(cap, need + 1);
    net_ws_msg_t *m = lc_realloc(ws->msg, sizeof *m + cap);
    if (m == NULL)
        return false;
    if (ws->msg == NULL)
        memset(m, 0, sizeof *m);
    ws->msg = m;
    ws->msg_cap = cap;
    return true;
}

/* A frame header: check it against the message in progress. */
static bool frame_start(net_conn_t *c, const struct wslay_frame_iocb *f)
{
    ws_state_t *ws = &c->ws;
    uint8_t op = f->opcode;
    if (f->rsv != 0) {
        net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "reserved bits set");
        return false;
    }
    if (!f->mask) {
        net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "client frames must be masked");
        return false;
    }
    ws->in_frame = true;
    ws->frame_opcode = op;
    ws->frame_fin = f->fin;
    ws->frame_left = f->payload_length;
    if (op == WSLAY_CONNECTION_CLOSE || op == WSLAY_PING || op == WSLAY_PONG) {
        ws->ctrl_len = 0;
        return true;
    }
    if (op == WSLAY_CONTINUATION_FRAME) {
        if (ws->msg_opcode == 0) {
            net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "continuation frame without a message");
            return false;
        }
    } else if (op == WSLAY_TEXT_FRAME || op == WSLAY_BINARY_FRAME) {
        if (ws->msg_opcode != 0) {
            net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "new message inside a fragmented one");
            return false;
        }
        ws->msg_opcode = op;
    } else {
        net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "unknown opcode");
        return false;
    }
    if (c->state != CONN_WS)
        return true; /* closing: data is read and dropped */
    size_t have = ws->msg ? ws->msg->len : 0;
    size_t max = net__cfg(c)->ws_max_message_bytes;
    if (f->payload_length > max - have) {
        net__ws_fail(c, NET_WS_TOO_BIG, "message too big");
        return false;
    }
    /* Memory follows the bytes that arrive, not the length announced. */
    size_t first = (size_t)LC_MIN(f->payload_length, (uint64_t)RESERVE_AHEAD);
    if (!msg_reserve(c, have + first)) {
        net__ws_fail(c, NET_WS_INTERNAL_ERROR, "out of memory");
        return false;
    }
    return true;
}

/* A frame's last byte has arrived. */
static void frame_end(net_conn_t *c)
{
    ws_state_t *ws = &c->ws;
    ws->in_frame = false;
    if (ws->frame_opcode >= WSLAY_CONNECTION_CLOSE) {
        on_control(c);
    } else if (ws->frame_fin) {
        if (c->state == CONN_WS) {
            on_message(c);
        } else {
            drop_message(ws);
            ws->msg_opcode = 0;
        }
    }
}

/* One piece of a frame from the decoder. */
static bool on_chunk(net_conn_t *c, const struct wslay_frame_iocb *f)
{
    ws_state_t *ws = &c->ws;
    if (!ws->in_frame && !frame_start(c, f))
        return false;
    size_t n = f->data_length;
    if (n) {
        if (ws->frame_opcode >= WSLAY_CONNECTION_CLOSE) {
            memcpy(ws->ctrl + ws->ctrl_len, f->data, n);
            ws->ctrl_len += n;
        } else if (c->state == CONN_WS) {
            if (!msg_reserve(c, ws->msg->len + n)) {
                net__ws_fail(c, NET_WS_INTERNAL_ERROR, "out of memory");
                return false;
            }
            memcpy((uint8_t *)(ws->msg + 1) + ws->msg->len, f->data, n);
            ws->msg->len += n;
        }
        ws->frame_left -= n;
    }
    if (ws->frame_left == 0)
        frame_end(c);
    return c->state == CONN_WS || c->state == CONN_WS_CLOSING;
}

void net__ws_input(net_conn_t *c, const uint8_t *p, size_t n)
{
    LC_ASSERT(c->state == CONN_WS || c->state == CONN_WS_CLOSING);
    ws_state_t *ws = &c->ws;
    ws->rx = p;
    ws->rx_len = n;
    while ((c->state == CONN_WS || c->state == CONN_WS_CLOSING) && !ws->close_received) {
        struct wslay_frame_iocb f;
        memset(&f, 0, sizeof f);
        ssize_t r = wslay_frame_recv(ws->frames, &f);
        if (r == WSLAY_ERR_WANT_READ)
            break;
        if (r < 0) {
            net__ws_fail(c, NET_WS_PROTOCOL_ERROR, "malformed frame");
            break;
        }
        if (!on_chunk(c, &f))
            break;
    }
    ws->rx = NULL;
    ws->rx_len = 0;
}

void net__ws_tick(net_conn_t *c, uint64_t now)
{
    LC_ASSERT(c->state == CONN_WS);
    const net_config_t *cfg = net__cfg(c);
    ws_state_t *ws = &c->ws;
    if (now - c->last_rx >= cfg->ws_idle_timeout_ms) {
        net__ws_fail(c, NET_WS_GOING_AWAY, "idle timeout");
        return;
    }
    if (!ws->ping_outstanding && now - ws->last_ping >= cfg->ws_ping_interval_ms) {
        net_out_t *o = frame_new(OUT_BYTES, WSLAY_PING, NULL, 0);
        if (o) {
            net__conn_write(c, o);
            ws->ping_outstanding = true;
            ws->last_ping = now;
            net__conn_flush(c);
        }
    }
}

void net__ws_closed(net_conn_t *c)
{
    ws_state_t *ws = &c->ws;
    drop_message(ws);
    if (ws->frames) {
        wslay_frame_context_free(ws->frames);
        ws->frames = NULL;
    }
    if (c->ws_open)
        atomic_fetch_add_explicit(&c->loop->stats.ws_closed, 1, memory_order_relaxed);
    int code = NET_WS_ABNORMAL;
    const char *reason = "";
    if (ws->close_received) {
        code = ws->peer_code;
        reason = ws->peer_reason;
    } else if (ws->close_sent) {
        code = ws->our_code;
        reason = ws->our_reason;
    }
    if (c->ws_cb.on_close)
        c->ws_cb.on_close(c, code, reason, c->ws_user);
}

/* ---------------------------------------------------------------- handshake */

/* Whether any header called name holds tok in its comma-separated list. */
static bool header_has_token(const net_http_req_t *req, const char *name, const char *tok,
                             bool any_case)
{
    size_t tlen = strlen(tok);
    for (uint32_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) != 0)
            continue;
        const char *p = req->headers[i].value;
        while (*p) {
            while (*p == ' ' || *p == '\t' || *p == ',') p++;
            const char *start = p;
            while (*p && *p != ',') p++;
            const char *end = p;
            while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
            size_t n = (size_t)(end - start);
            if (n == tlen && (any_case ? strncasecmp(start, tok, n) : strncmp(start, tok, n)) == 0)
                return true;
        }
    }
    return false;
}

static bool valid_key(const char *key)
{
    /* 16 bytes in base64: 22 characters and "==". */
    if (key == NULL || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (int i = 0; i < 22; i++) {
        char ch = key[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (!ok)
            return false;
    }
    return true;
}

int net_ws_handshake_check(const net_http_req_t *req, const char **why)
{
    if (strcmp(req->method, "GET") != 0) {
        *why = "method not allowed: a WebSocket upgrade is a GET";
        return 405;
    }
    if (!header_has_token(req, "upgrade", "websocket", true) ||
        !header_has_token(req, "connection", "upgrade", true)) {
        *why = "expected a WebSocket upgrade";
        return 426;
    }
    const char *version = net_http_header(req, "sec-websocket-version");
    if (version == NULL || strcmp(version, "13") != 0) {
        *why = "unsupported WebSocket version: expected 13";
        return 400;
    }
    if (!valid_key(net_http_header(req, "sec-websocket-key"))) {
        *why = "missing or invalid Sec-WebSocket-Key";
        return 400;
    }
    *why = "";
    return 0;
}

const char *net_ws_select_protocol(const net_http_req_t *req, const char *const *prefs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (header_has_token(req, "sec-websocket-protocol", prefs[i], false))
            return prefs[i];
    return NULL;
}

/* Sec-WebSocket-Accept: base64(SHA-1(key + GUID)), 28 characters. */
static void accept_key(const char *key, char out[29])
{
    char buf[24 + sizeof WS_GUID];
    memcpy(buf, key, 24);
    memcpy(buf + 24, WS_GUID, sizeof WS_GUID - 1);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)buf, 24 + sizeof WS_GUID - 1, digest);
    EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
}

static net_out_t *upgrade_response(net_http_req_t *req, const char *subprotocol)
{
    char key[29];
    accept_key(net_http_header(req, "sec-websocket-key"), key);
    uint8_t mem[1024];
    lc_buf_t b;
    lc_buf_init_with(&b, mem, sizeof mem);
    lc_buf_printf(&b,
                  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
                  key);
    if (subprotocol)
        lc_buf_printf(&b, "Sec-WebSocket-Protocol: %s\r\n", subprotocol);
    if (req->extra.len)
        lc_buf_append(&b, req->extra.data, req->extra.len);
    lc_buf_puts(&b, "\r\n");
    net_out_t *o = b.oom ? NULL : net__out_new(OUT_WS_ACCEPT, b.len);
    if (o)
        memcpy(o->data, b.data, b.len);
    lc_buf_free(&b);
    return o;
}

int net_ws_accept(net_http_req_t *req, const char *subprotocol, const net_ws_callbacks_t *cb,
                  void *user, net_ws_t **out)
{
    LC_ASSERT(!req->answered);
    *out = NULL;
    const char *why;
    if (!req->upgrade || net_ws_handshake_check(req, &why) != 0)
        return LC_EINVAL;
    if (subprotocol && strpbrk(subprotocol, "\r\n") != NULL)
        return LC_EINVAL;
    net_out_t *o = upgrade_response(req, subprotocol);
    if (o == NULL)
        return LC_ENOMEM;
    req->answered = true;
    net_conn_t *c = req->conn;
    uv_mutex_lock(&c->lock);
    int rc = LC_EIO;
    if (!c->closed) {
        c->ws_cb = *cb;
        c->ws_user = user;
        c->ws_accepted = true;
        net__conn_ref(c); /* the caller's */
        rc = net__conn_post_locked(c, o, false);
    } else {
        lc_free(o);
    }
    uv_mutex_unlock(&c->lock);
    if (rc == LC_OK)
        *out = c;
    net__req_unref(req);
    return rc;
}

/* ---------------------------------------------------------------- sending */

static int ws_send(net_ws_t *ws, bool binary, const void *data, size_t len, bool now)
{
    net_out_t *o = frame_new(OUT_WS_MSG, binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME, data, len);
    if (o == NULL)
        return LC_ENOMEM;
    uv_mutex_lock(&ws->lock);
    int rc;
    if (ws->closed || ws->ws_closing) {
        lc_free(o);
        rc = LC_EIO;
    } else {
        rc = now ? net__conn_post_now_locked(ws, o) : net__conn_post_locked(ws, o, true);
    }
    uv_mutex_unlock(&ws->lock);
    return rc;
}

int net_ws_send(net_ws_t *ws, bool binary, const void *data, size_t len)
{
    return ws_send(ws, binary, data, len, false);
}

int net_ws_send_urgent(net_ws_t *ws, bool binary, const void *data, size_t len)
{
    return ws_send(ws, binary, data, len, true);
}

void net_ws_close(net_ws_t *ws, int code, const char *reason)
{
    /* 1005, 1006 and the like name situations; they are never sent. */
    if (!valid_close_code((unsigned)code))
        code = NET_WS_NORMAL;
    net_out_t *o = net__ws_close_frame((uint16_t)code, reason);
    if (o == NULL)
        return;
    uv_mutex_lock(&ws->lock);
    if (ws->closed || ws->ws_closing) {
        lc_free(o);
    } else {
        ws->ws_closing = true;
        net__conn_post_locked(ws, o, false);
    }
    uv_mutex_unlock(&ws->lock);
}

void net_ws_ref(net_ws_t *ws)
{
    net__conn_ref(ws);
}

void net_ws_unref(net_ws_t *ws)
{
    if (ws)
        net__conn_unref(ws);
}

void net_ws_msg_free(net_ws_msg_t *msg)
{
    if (msg == NULL)
        return;
    net_conn_t *c = msg->ws;
    atomic_fetch_sub(&c->ws.pending_msgs, 1);
    atomic_fetch_sub(&c->ws.pending_bytes, msg->len);
    lc_free(msg);
    net__conn_unref(c);
}
