/* A small HTTP/1.1 and WebSocket client for integration tests; see
 * http_client.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "http_client.h"

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w, n -= (size_t)w;
    }
    return 0;
}

/* Read until the peer closes or timeout_ms of silence; returns bytes. */
static size_t read_all(int fd, char **out, int timeout_ms)
{
    size_t len = 0, cap = 65536;
    char *b = malloc(cap);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        if (len + 4096 > cap)
            b = realloc(b, cap *= 2);
        ssize_t r = read(fd, b + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    b[len] = 0;
    *out = b;
    return len;
}

int http_request(int port, const char *method, const char *path, const char *headers,
                 const void *body, size_t len, http_resp_t *out)
{
    memset(out, 0, sizeof *out);
    int fd = connect_port(port);
    if (fd < 0)
        return -1;
    char head[8192];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     method, path, len, headers ? headers : "");
    char *raw = NULL;
    size_t rlen = 0;
    if (write_all(fd, head, (size_t)n) == 0 && (len == 0 || write_all(fd, body, len) == 0))
        rlen = read_all(fd, &raw, 30000);
    close(fd);
    if (!raw)
        return -1;
    char *end = strstr(raw, "\r\n\r\n");
    if (rlen < 12 || !end) {
        free(raw);
        return -1;
    }
    out->status = atoi(raw + 9);
    size_t hl = (size_t)(end - raw);
    if (hl >= sizeof out->headers)
        hl = sizeof out->headers - 1;
    for (size_t i = 0; i < hl; i++) out->headers[i] = (char)tolower((unsigned char)raw[i]);
    const char *b = end + 4;
    size_t blen = rlen - (size_t)(b - raw);
    out->body = malloc(blen + 1);
    /* Chunked bodies (streams) are joined; others taken as they are. */
    if (strstr(out->headers, "transfer-encoding: chunked")) {
        size_t o = 0;
        const char *p = b, *e = b + blen;
        while (p < e) {
            unsigned long sz = strtoul(p, NULL, 16);
            const char *nl = strstr(p, "\r\n");
            if (!nl || sz == 0)
                break;
            p = nl + 2;
            if (p + sz > e)
                sz = (unsigned long)(e - p);
            memcpy(out->body + o, p, sz);
            o += sz;
            p += sz + 2;
        }
        blen = o;
    } else {
        memcpy(out->body, b, blen);
    }
    out->body[blen] = 0;
    out->body_len = blen;
    free(raw);
    return 0;
}

void http_resp_free(http_resp_t *r)
{
    free(r->body);
    r->body = NULL;
}

int http_header(const http_resp_t *r, const char *name, char *out, size_t cap)
{
    char key[128];
    snprintf(key, sizeof key, "\r\n%s:", name);
    const char *p = strstr(r->headers, key);
    if (!p)
        return -1;
    p += strlen(key);
    while (*p == ' ') p++;
    size_t n = strcspn(p, "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return 0;
}

int http_raw(int port, const char *raw, size_t len, char *out, size_t cap)
{
    int fd = connect_port(port);
    if (fd < 0)
        return -1;
    char *resp = NULL;
    if (write_all(fd, raw, len) == 0)
        read_all(fd, &resp, 2000);
    close(fd);
    int status = resp && strncmp(resp, "HTTP/1.1 ", 9) == 0 ? atoi(resp + 9) : -1;
    if (out)
        snprintf(out, cap, "%s", resp ? resp : "");
    free(resp);
    return status;
}

/* ---------------------------------------------------------------- WebSocket */

int ws_connect(ws_client_t *c, int port, const char *path, const char *protocols,
               const char *headers)
{
    memset(c, 0, sizeof *c);
    c->fd = connect_port(port);
    if (c->fd < 0)
        return -1;
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Protocol: %s\r\n%s\r\n",
                     path, protocols, headers ? headers : "");
    if (write_all(c->fd, req, (size_t)n))
        return -1;
    /* Read the response head byte by byte so no frame bytes are eaten. */
    char head[8192];
    size_t hl = 0;
    while (hl + 1 < sizeof head) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0 || read(c->fd, head + hl, 1) != 1)
            return -1;
        hl++;
        if (hl >= 4 && memcmp(head + hl - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    head[hl] = 0;
    int status = atoi(head + 9);
    if (status != 101)
        return status ? status : -1;
    for (char *p = head; *p; p++) *p = (char)tolower((unsigned char)*p);
    const char *pr = strstr(head, "sec-websocket-protocol:");
    if (pr) {
        pr += 23;
        while (*pr == ' ') pr++;
        snprintf(c->protocol, sizeof c->protocol, "%.*s", (int)strcspn(pr, "\r\n"), pr);
    }
    return 0;
}

static int send_frame(ws_client_t *c, int opcode, const void *p, size_t len)
{
    uint8_t h[14];
    size_t hl = 0;
    h[hl++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        h[hl++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        h[hl++] = 0x80 | 126;
        h[hl++] = (uint8_t)(len >> 8);
        h[hl++] = (uint8_t)len;
    } else {
        h[hl++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) h[hl++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(h + hl, mask, 4);
    hl += 4;
    uint8_t *m = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) m[i] = ((const uint8_t *)p)[i] ^ mask[i % 4];
    int rc = write_all(c->fd, h, hl) || write_all(c->fd, m, len) ? -1 : 0;
    free(m);
    return rc;
}

int ws_send(ws_client_t *c, int binary, const void *p, size_t len)
{
    return send_frame(c, binary ? 2 : 1, p, len);
}

/* Make sure n bytes are buffered. */
static int fill(ws_client_t *c, size_t n, int timeout_ms)
{
    while (c->len < n) {
        if (c->cap < n + 65536) {
            c->cap = n + 65536;
            c->buf = realloc(c->buf, c->cap);
        }
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (r <= 0)
            return -1;
        c->len += (size_t)r;
    }
    return 0;
}

int ws_recv(ws_client_t *c, int timeout_ms, int *opcode, uint8_t **data, size_t *len)
{
    uint8_t *msg = NULL;
    size_t mlen = 0;
    int first_op = 0;
    for (;;) {
        if (fill(c, 2, timeout_ms))
            return free(msg), -1;
        int fin = c->buf[0] & 0x80, op = c->buf[0] & 0x0f;
        size_t pl = c->buf[1] & 0x7f, hl = 2;
        if (pl == 126) {
            if (fill(c, 4, timeout_ms))
                return free(msg), -1;
            pl = (size_t)c->buf[2] << 8 | c->buf[3];
            hl = 4;
        } else if (pl == 127) {
            if (fill(c, 10, timeout_ms))
                return free(msg), -1;
            pl = 0;
            for (int i = 0; i < 8; i++) pl = pl << 8 | c->buf[2 + i];
            hl = 10;
        }
        if (fill(c, hl + pl, timeout_ms))
            return free(msg), -1;
        const uint8_t *payload = c->buf + hl;
        if (op == 9) { /* ping: answer */
            send_frame(c, 10, payload, pl);
        } else if (op != 10) {
            if (op != 0)
                first_op = op;
            msg = realloc(msg, mlen + pl + 1);
            memcpy(msg + mlen, payload, pl);
            mlen += pl;
        }
        memmove(c->buf, c->buf + hl + pl, c->len - hl - pl);
        c->len -= hl + pl;
        if (op < 8 && !fin)
            continue;
        if (op == 9 || op == 10)
            continue;
        msg = realloc(msg, mlen + 1);
        msg[mlen] = 0;
        *opcode = first_op;
        *data = msg;
        *len = mlen;
        return 0;
    }
}

void ws_close(ws_client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* ---------------------------------------------------------------- identities */

/* A new identity: its token ("Authorization: Bearer ...\r\n" in auth) and hex. */
int http_new_identity(int port, char *auth, size_t cap, char *hex)
{
    http_resp_t r;
    if (http_request(port, "POST", "/v1/identity", NULL, NULL, 0, &r) || r.status != 200)
        return -1;
    json_t *j = json_loads(r.body, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "token"));
    const char *id = json_string_value(json_object_get(j, "identity"));
    int rc = tok && id ? 0 : -1;
    if (rc == 0) {
        snprintf(auth, cap, "Authorization: Bearer %s\r\n", tok);
        snprintf(hex, 65, "%s", id);
    }
    json_decref(j);
    http_resp_free(&r);
    return rc;
}

/* ---------------------------------------------------------------- example modules */

char *http_read_example(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "build/examples/%s.wasm", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

int http_publish_example(int port, const char *auth, const char *name, const char *module,
                         http_resp_t *r)
{
    size_t len;
    char *wasm = http_read_example(module, &len);
    if (!wasm)
        return -1;
    char path[128];
    snprintf(path, sizeof path, "/v1/database/%s", name);
    int rc = http_request(port, "PUT", path, auth, wasm, len, r);
    free(wasm);
    return rc;
}
