/*
 * net_client.h — a minimal blocking HTTP and WebSocket client for the
 * transport's unit tests (test_net_http.c, test_net_ws.c): raw sockets on
 * 127.0.0.1, a receive timeout so that a broken server fails a test instead
 * of hanging it, and frames built by hand (masked, as a client must).
 * Plain malloc: these buffers are the test's, not the server's, and stay
 * out of the lc_malloc leak count.
 */
#ifndef LC_TEST_NET_CLIENT_H
#define LC_TEST_NET_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TC_BUF (256 * 1024)

typedef struct tc {
    int fd;
    size_t len; /* bytes in buf not yet consumed */
    uint8_t buf[TC_BUF];
} tc_t;

/* Connect to 127.0.0.1:port; NULL on failure.  Free with tc_close. */
static inline tc_t *tc_connect(int port)
{
    tc_t *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    int one = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        free(c);
        return NULL;
    }
    return c;
}

static inline void tc_close(tc_t *c)
{
    if (c) {
        close(c->fd);
        free(c);
    }
}

static inline bool tc_send(tc_t *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static inline bool tc_send_str(tc_t *c, const char *s)
{
    return tc_send(c, s, strlen(s));
}

/* Receive more bytes: the count, 0 at EOF, -1 on error or timeout. */
static inline int tc_fill(tc_t *c)
{
    if (c->len == TC_BUF)
        return -1;
    ssize_t n;
    do n = recv(c->fd, c->buf + c->len, TC_BUF - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        c->len += (size_t)n;
    return (int)n;
}

static inline void tc_consume(tc_t *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static inline bool tc_read(tc_t *c, void *out, size_t n)
{
    uint8_t *o = out;
    while (n > 0) {
        if (c->len == 0 && tc_fill(c) <= 0)
            return false;
        size_t k = n < c->len ? n : c->len;
        memcpy(o, c->buf, k);
        tc_consume(c, k);
        o += k;
        n -= k;
    }
    return true;
}

/* Read through delim; the line (delim included) in out, NUL-terminated. */
static inline bool tc_read_until(tc_t *c, const char *delim, char *out, size_t cap)
{
    size_t dl = strlen(delim);
    for (;;) {
        for (size_t i = 0; i + dl <= c->len; i++) {
            if (memcmp(c->buf + i, delim, dl) == 0) {
                size_t n = i + dl;
                if (n >= cap)
                    return false;
                memcpy(out, c->buf, n);
                out[n] = '\0';
                tc_consume(c, n);
                return true;
            }
        }
        if (tc_fill(c) <= 0)
            return false;
    }
}

/* Whether the server closes the connection (EOF or reset) before the
 * timeout, discarding what comes before. */
static inline bool tc_wait_eof(tc_t *c)
{
    for (;;) {
        c->len = 0;
        ssize_t n = recv(c->fd, c->buf, TC_BUF, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

/* ---------------------------------------------------------------- HTTP */

typedef struct tc_resp {
    int status;
    char head[8192];
    char *body; /* malloc'd, NUL-terminated */
    size_t len;
} tc_resp_t;

/* A header of the response head, copied into out; false if absent. */
static inline bool tc_header(const tc_resp_t *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        const char *eol = strstr(p, "\r\n");
        if (eol == NULL)
            return false;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            size_t n = (size_t)(eol - v);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        p = eol;
    }
    return false;
}

static inline void tc_resp_free(tc_resp_t *r)
{
    free(r->body);
    r->body = NULL;
}

/* Read one chunk of a chunked body: its size (0 for the last), its bytes
 * appended to r->body. */
static inline long tc_read_chunk(tc_t *c, tc_resp_t *r)
{
    char line[64];
    if (!tc_read_until(c, "\r\n", line, sizeof line))
        return -1;
    long n = strtol(line, NULL, 16);
    char *b = realloc(r->body, r->len + (size_t)n + 1);
    if (b == NULL)
        return -1;
    r->body = b;
    if (!tc_read(c, r->body + r->len, (size_t)n) || !tc_read(c, line, 2))
        return -1;
    r->len += (size_t)n;
    r->body[r->len] = '\0';
    return n;
}

/* Read a response head only. */
static inline bool tc_read_head(tc_t *c, tc_resp_t *r)
{
    memset(r, 0, sizeof *r);
    if (!tc_read_until(c, "\r\n\r\n", r->head, sizeof r->head))
        return false;
    r->status = atoi(r->head + 9);
    r->body = calloc(1, 1);
    return strncmp(r->head, "HTTP/1.", 7) == 0;
}

/* Read a whole response (Content-Length or chunked). */
static inline bool tc_read_response(tc_t *c, tc_resp_t *r)
{
    if (!tc_read_head(c, r))
        return false;
    char v[64];
    if (tc_header(r, "transfer-encoding", v, sizeof v)) {
        long n;
        while ((n = tc_read_chunk(c, r)) > 0) {
        }
        return n == 0;
    }
    if (!tc_header(r, "content-length", v, sizeof v))
        return true;
    size_t n = (size_t)strtoull(v, NULL, 10);
    free(r->body);
    r->body = malloc(n + 1);
    r->len = n;
    if (r->body == NULL || !tc_read(c, r->body, n))
        return false;
    r->body[n] = '\0';
    return true;
}

/* ---------------------------------------------------------------- WebSocket */

#define TC_WS_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define TC_WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" /* RFC 6455 §1.3's example */

/* Send the upgrade request for path (with protocols, if not NULL) and read
 * the response head into r. */
static inline bool tc_ws_handshake(tc_t *c, const char *path, const char *protocols, tc_resp_t *r)
{
    char req[1024];
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: " TC_WS_KEY "\r\n"
             "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
             path, protocols ? "Sec-WebSocket-Protocol: " : "", protocols ? protocols : "",
             protocols ? "\r\n" : "");
    return tc_send_str(c, req) && tc_read_head(c, r);
}

/* Send one frame: b0 is FIN|RSV|opcode; masked unless told otherwise. */
static inline bool tc_ws_frame(tc_t *c, uint8_t b0, const void *p, size_t n, bool mask)
{
    uint8_t *f = malloc(n + 14);
    size_t h = 0;
    f[h++] = b0;
    uint8_t m = mask ? 0x80 : 0;
    if (n < 126) {
        f[h++] = (uint8_t)(m | n);
    } else if (n <= 0xffff) {
        f[h++] = m | 126;
        f[h++] = (uint8_t)(n >> 8);
        f[h++] = (uint8_t)n;
    } else {
        f[h++] = m | 127;
        for (int i = 0; i < 8; i++) f[h++] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    }
    const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    if (mask) {
        memcpy(f + h, key, 4);
        h += 4;
    }
    const uint8_t *src = p;
    for (size_t i = 0; i < n; i++) f[h + i] = mask ? src[i] ^ key[i % 4] : src[i];
    bool ok = tc_send(c, f, h + n);
    free(f);
    return ok;
}

/* Shorthands for whole messages. */
static inline bool tc_ws_text(tc_t *c, const char *s)
{
    return tc_ws_frame(c, 0x81, s, strlen(s), true);
}
static inline bool tc_ws_binary(tc_t *c, const void *p, size_t n)
{
    return tc_ws_frame(c, 0x82, p, n, true);
}
static inline bool tc_ws_send_close(tc_t *c, int code, const char *reason)
{
    uint8_t p[125] = {(uint8_t)(code >> 8), (uint8_t)code};
    size_t rl = strlen(reason);
    memcpy(p + 2, reason, rl);
    return tc_ws_frame(c, 0x88, p, 2 + rl, true);
}

typedef struct tc_frame {
    uint8_t b0, opcode;
    bool fin, masked;
    uint8_t *data; /* malloc'd, NUL-terminated */
    size_t len;
} tc_frame_t;

/* Read one frame from the server. */
static inline bool tc_ws_read(tc_t *c, tc_frame_t *f)
{
    uint8_t h[2];
    memset(f, 0, sizeof *f);
    if (!tc_read(c, h, 2))
        return false;
    f->b0 = h[0];
    f->fin = h[0] & 0x80;
    f->opcode = h[0] & 0x0f;
    f->masked = h[1] & 0x80;
    uint64_t n = h[1] & 0x7f;
    uint8_t ext[8];
    if (n == 126) {
        if (!tc_read(c, ext, 2))
            return false;
        n = (uint64_t)ext[0] << 8 | ext[1];
    } else if (n == 127) {
        if (!tc_read(c, ext, 8))
            return false;
        n = 0;
        for (int i = 0; i < 8; i++) n = n << 8 | ext[i];
    }
    f->data = malloc(n + 1);
    f->len = n;
    if (f->data == NULL || !tc_read(c, f->data, n))
        return false;
    f->data[n] = '\0';
    return true;
}

/* Read frames until a Close; its code and reason.  Other frames are
 * skipped (counted in *skipped if not NULL). */
static inline bool tc_ws_read_close(tc_t *c, int *code, char *reason, size_t cap, long *skipped)
{
    for (;;) {
        tc_frame_t f;
        if (!tc_ws_read(c, &f)) {
            free(f.data);
            return false;
        }
        if (f.opcode == 8) {
            *code = f.len >= 2 ? (f.data[0] << 8 | f.data[1]) : 1005;
            size_t rl = f.len >= 2 ? f.len - 2 : 0;
            if (rl >= cap)
                rl = cap - 1;
            memcpy(reason, f.data + 2, rl);
            reason[rl] = '\0';
            free(f.data);
            return true;
        }
        if (skipped)
            (*skipped)++;
        free(f.data);
    }
}

#endif /* LC_TEST_NET_CLIENT_H */
