/*
 * http.c — the CLI's HTTP/1.1 client: one blocking request per connection
 * ("Connection: close"), to http:// or https:// URLs, over transport.c
 * (plain TCP or TLS).
 *
 * The response body is framed by Transfer-Encoding: chunked (logs --follow
 * streams that way), Content-Length, or the end of the connection.  A 2xx
 * body can be streamed to a callback piece by piece; anything else is kept
 * whole so that the caller can print the server's error text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_int.h"

#define MAX_HEAD (64 * 1024)

typedef struct conn {
    cli_conn_t *t;
    char buf[16384];
    size_t pos, end;
    bool eof;
} conn_t;

/* ---------------------------------------------------------------- reading */

static int fill(conn_t *c, lc_err_t *err)
{
    if (c->pos < c->end || c->eof)
        return LC_OK;
    size_t n;
    int rc = cli_conn_read(c->t, c->buf, sizeof c->buf, -1, &n, err);
    if (rc)
        return rc;
    c->pos = 0;
    c->end = n;
    c->eof = n == 0;
    return LC_OK;
}

/* One line without its CRLF into out (NUL-terminated). */
static int read_line(conn_t *c, lc_buf_t *out, lc_err_t *err)
{
    lc_buf_reset(out);
    for (;;) {
        if (fill(c, err))
            return err->code;
        if (c->eof)
            return lc_err_set(err, LC_ECORRUPT, "the server closed the connection early");
        char ch = c->buf[c->pos++];
        if (ch == '\n')
            break;
        if (ch != '\r' && lc_buf_putc(out, (uint8_t)ch))
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        if (out->len > MAX_HEAD)
            return lc_err_set(err, LC_ECORRUPT, "response header too long");
    }
    return lc_buf_terminate(out) ? lc_err_set(err, LC_ENOMEM, "out of memory") : LC_OK;
}

typedef struct sink {
    cli_http_data_cb cb;
    void *arg;
    lc_buf_t body;
    bool stopped;
} sink_t;

static int emit(sink_t *s, const char *p, size_t n, lc_err_t *err)
{
    if (s->stopped || n == 0)
        return LC_OK;
    if (s->cb) {
        if (s->cb(s->arg, p, n))
            s->stopped = true;
        return LC_OK;
    }
    return lc_buf_append(&s->body, p, n) ? lc_err_set(err, LC_ENOMEM, "out of memory") : LC_OK;
}

/* Copy up to n bytes (all remaining when n == SIZE_MAX) to the sink. */
static int read_body(conn_t *c, size_t n, sink_t *s, lc_err_t *err)
{
    while (n > 0 && !s->stopped) {
        if (fill(c, err))
            return err->code;
        if (c->eof)
            return n == SIZE_MAX
                       ? LC_OK
                       : lc_err_set(err, LC_ECORRUPT, "the server closed the connection early");
        size_t k = c->end - c->pos;
        if (k > n)
            k = n;
        if (emit(s, c->buf + c->pos, k, err))
            return err->code;
        c->pos += k;
        if (n != SIZE_MAX)
            n -= k;
    }
    return LC_OK;
}

static int read_chunked(conn_t *c, sink_t *s, lc_err_t *err)
{
    lc_buf_t line;
    lc_buf_init(&line);
    int rc;
    for (;;) {
        if ((rc = read_line(c, &line, err)))
            break;
        char *end;
        unsigned long long size = strtoull((char *)line.data, &end, 16);
        if (end == (char *)line.data) {
            rc = lc_err_set(err, LC_ECORRUPT, "bad chunk size in the response");
            break;
        }
        if (size == 0) {
            do rc = read_line(c, &line, err); /* trailers */
            while (rc == LC_OK && line.len > 0);
            break;
        }
        if ((rc = read_body(c, (size_t)size, s, err)) || s->stopped ||
            (rc = read_line(c, &line, err)))
            break;
    }
    lc_buf_free(&line);
    return rc;
}

/* Status line and headers: the status, Content-Length (-1 if absent), chunked. */
static int read_head(conn_t *c, int *status, long long *clen, bool *chunked, lc_err_t *err)
{
    lc_buf_t line;
    lc_buf_init(&line);
    int rc = read_line(c, &line, err);
    if (rc == LC_OK && sscanf((char *)line.data, "HTTP/1.%*d %d", status) != 1)
        rc = lc_err_set(err, LC_ECORRUPT, "not an HTTP response");
    *clen = -1;
    *chunked = false;
    while (rc == LC_OK && (rc = read_line(c, &line, err)) == LC_OK && line.len > 0) {
        char *h = (char *)line.data, *v = strchr(h, ':');
        if (!v)
            continue;
        *v++ = 0;
        while (*v == ' ' || *v == '\t') v++;
        if (strcasecmp(h, "content-length") == 0)
            *clen = strtoll(v, NULL, 10);
        else if (strcasecmp(h, "transfer-encoding") == 0 && strcasestr(v, "chunked"))
            *chunked = true;
    }
    lc_buf_free(&line);
    return rc;
}

/* ---------------------------------------------------------------- request */

static int send_request(cli_conn_t *t, const cli_url_t *u, const char *method, const char *path,
                        const char *token, const char *ctype, const void *body, size_t len,
                        lc_err_t *err)
{
    lc_buf_t h;
    lc_buf_init(&h);
    lc_buf_printf(&h,
                  "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lightcone/%s\r\n"
                  "Connection: close\r\nContent-Length: %zu\r\n",
                  method, u->prefix, path, u->authority, LIGHTCONE_VERSION, len);
    if (token)
        lc_buf_printf(&h, "Authorization: Bearer %s\r\n", token);
    if (ctype)
        lc_buf_printf(&h, "Content-Type: %s\r\n", ctype);
    int rc = lc_buf_puts(&h, "\r\n") ? lc_err_set(err, LC_ENOMEM, "out of memory")
                                     : cli_conn_write(t, h.data, h.len, err);
    lc_buf_free(&h);
    return rc ? rc : cli_conn_write(t, body, len, err);
}

static int exchange(conn_t *c, cli_http_data_cb on_data, void *arg, cli_http_resp_t *out,
                    lc_err_t *err)
{
    long long clen;
    bool chunked;
    int rc = read_head(c, &out->status, &clen, &chunked, err);
    if (rc)
        return rc;
    bool stream = on_data && out->status >= 200 && out->status < 300;
    sink_t s = {.cb = stream ? on_data : NULL, .arg = arg};
    lc_buf_init(&s.body);
    if (out->status == 204 || out->status == 304 || out->status < 200)
        rc = LC_OK; /* never a body */
    else if (chunked)
        rc = read_chunked(c, &s, err);
    else
        rc = read_body(c, clen >= 0 ? (size_t)clen : SIZE_MAX, &s, err);
    if (rc == LC_OK && !stream) {
        if (lc_buf_terminate(&s.body))
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
        out->len = s.body.len;
        out->body = (char *)lc_buf_take(&s.body, NULL);
    }
    lc_buf_free(&s.body);
    return rc;
}

int cli_http_request(const char *base_url, const char *method, const char *path, const char *token,
                     const char *ctype, const void *body, size_t len, cli_http_data_cb on_data,
                     void *arg, cli_http_resp_t *out, lc_err_t *err)
{
    memset(out, 0, sizeof *out);
    cli_url_t u;
    int rc = cli_url_parse(base_url, &u, err);
    if (rc)
        return rc;
    conn_t *c = lc_calloc(1, sizeof *c);
    if (!c)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    rc = cli_conn_open(&u, &c->t, err);
    if (rc == LC_OK) {
        rc = send_request(c->t, &u, method, path, token, ctype, body, len, err);
        if (rc == LC_OK) {
            cli_progress_sent(); /* now the wait for the server's answer */
            rc = exchange(c, on_data, arg, out, err);
        }
        cli_conn_close(c->t);
    }
    lc_free(c);
    if (rc)
        cli_http_resp_free(out);
    return rc;
}

void cli_http_resp_free(cli_http_resp_t *r)
{
    lc_free(r->body);
    r->body = NULL;
    r->len = 0;
}

int cli_http_escape(lc_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-_.~", *p);
        int rc =
            plain ? lc_buf_putc(out, *p) : lc_buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
        if (rc)
            return rc;
    }
    return LC_OK;
}
