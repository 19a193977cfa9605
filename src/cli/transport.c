/*
 * transport.c — the byte stream under the CLI's HTTP client (http.c) and its
 * WebSocket client (cmd_subscribe.c): plain TCP for http:// servers, TLS over
 * TCP for https:// ones.
 *
 * TLS is OpenSSL's, set up the way a browser would check a server:
 *   1. TLS 1.2 or newer;
 *   2. SNI names the host (not for an IP literal, which RFC 6066 forbids);
 *   3. the chain must verify against the system's default CA paths
 *      (SSL_CERT_FILE / SSL_CERT_DIR move them), plus the PEM file named by
 *      LIGHTCONE_CA_FILE when set (a private CA, or a test's self-signed
 *      certificate);
 *   4. the leaf must name the host: a DNS name (SSL_set1_host) or, for an IP
 *      literal, that address (X509_VERIFY_PARAM_set1_ip_asc).
 * A failure is LC_EIO like any other connection failure, worded
 * "TLS handshake with HOST:PORT failed: certificate verify failed: REASON".
 *
 * Once connected (and past the TLS handshake, which blocks, bounded by a
 * receive timeout) the socket is non-blocking and every wait is a poll():
 * while a cli_progress line is active it wakes every 100 ms to redraw it, so
 * a command that uploads a module or waits on the server (publish: the
 * server compiles it) shows it is alive, without a thread.  The TLS side
 * runs without SSL_MODE_AUTO_RETRY: a record that carries no application
 * data (a TLS 1.3 session ticket) makes SSL_read return WANT_READ, and the
 * read goes back to poll().
 *
 * SIGPIPE: plain sends use MSG_NOSIGNAL; OpenSSL writes with write(2), so its
 * writes run with SIGPIPE blocked and a SIGPIPE they raise is taken back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"

struct cli_conn {
    int fd;
    SSL_CTX *ctx; /* NULL for plain TCP */
    SSL *ssl;
};

/* How long connect's TLS handshake may wait for the server before giving up. */
#define HANDSHAKE_TIMEOUT_S 30
/* How often a wait wakes to redraw an active progress line. */
#define TICK_MS 100

/* ---------------------------------------------------------------- url */

/* Copy n bytes of s into dst[cap] as a string; -1 when empty or too long. */
static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* host[:port] or [v6]:port from the authority a[0..n). */
static int parse_authority(const char *a, size_t n, cli_url_t *u)
{
    const char *port = NULL, *end = a + n;
    if (n > 0 && a[0] == '[') { /* an IPv6 literal */
        const char *close = memchr(a, ']', n);
        if (!close || copy_part(u->host, sizeof u->host, a + 1, (size_t)(close - a - 1)))
            return -1;
        if (close + 1 < end && close[1] != ':')
            return -1;
        port = close + 1 < end ? close + 2 : NULL;
    } else {
        const char *colon = memchr(a, ':', n);
        if (copy_part(u->host, sizeof u->host, a, colon ? (size_t)(colon - a) : n))
            return -1;
        port = colon ? colon + 1 : NULL;
    }
    if (port) {
        if (copy_part(u->port, sizeof u->port, port, (size_t)(end - port)) ||
            strspn(u->port, "0123456789") != strlen(u->port))
            return -1;
    } else {
        strcpy(u->port, u->tls ? "443" : "80");
    }
    bool v6 = strchr(u->host, ':') != NULL;
    bool dflt = strcmp(u->port, u->tls ? "443" : "80") == 0;
    snprintf(u->authority, sizeof u->authority, "%s%s%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "",
             dflt ? "" : ":", dflt ? "" : u->port);
    return 0;
}

int cli_url_parse(const char *s, cli_url_t *u, lc_err_t *err)
{
    memset(u, 0, sizeof *u);
    const char *h;
    if (strncmp(s, "http://", 7) == 0) {
        h = s + 7;
    } else if (strncmp(s, "https://", 8) == 0) {
        h = s + 8;
        u->tls = true;
    } else {
        return lc_err_set(err, LC_EINVAL, "not an http:// or https:// URL: %s", s);
    }
    const char *slash = strchr(h, '/');
    size_t alen = slash ? (size_t)(slash - h) : strlen(h);
    if (parse_authority(h, alen, u) != 0)
        return lc_err_set(err, LC_EINVAL, "bad URL: %s", s);
    snprintf(u->prefix, sizeof u->prefix, "%s", slash ? slash : "");
    size_t pl = strlen(u->prefix);
    while (pl > 0 && u->prefix[pl - 1] == '/') u->prefix[--pl] = 0;
    return LC_OK;
}

/* ---------------------------------------------------------------- tcp */

static int tcp_connect(const cli_url_t *u, int *fd_out, lc_err_t *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0)
        return lc_err_set(err, LC_EIO, "cannot resolve %s: %s", u->host, gai_strerror(rc));
    int fd = -1, last = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            last = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot connect to %s:%s: %s", u->host, u->port,
                          strerror(last));
    *fd_out = fd;
    return LC_OK;
}

/* ---------------------------------------------------------------- tls */

/* The first queued OpenSSL error as text, or fallback. */
static const char *ssl_reason(const char *fallback)
{
    static char buf[256];
    unsigned long e = ERR_get_error();
    if (!e)
        return fallback;
    const char *r = ERR_reason_error_string(e);
    snprintf(buf, sizeof buf, "%s", r ? r : ERR_error_string(e, NULL));
    return buf;
}

static int tls_context(SSL_CTX **out, lc_err_t *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return lc_err_set(err, LC_ENOMEM, "cannot set up TLS: %s", ssl_reason("out of memory"));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* Servers and proxies often close without close_notify; HTTP's own
     * framing (Content-Length, chunked) still catches a cut body. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (SSL_CTX_set_default_verify_paths(ctx) != 1)
        ERR_clear_error(); /* no system store: LIGHTCONE_CA_FILE may still do */
    const char *ca = getenv("LIGHTCONE_CA_FILE");
    if (ca && *ca && access(ca, R_OK) != 0) {
        lc_err_set(err, LC_EINVAL, "cannot read LIGHTCONE_CA_FILE=%s: %s", ca, strerror(errno));
        SSL_CTX_free(ctx);
        return err->code;
    }
    if (ca && *ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        lc_err_set(err, LC_EINVAL,
                   "cannot load LIGHTCONE_CA_FILE=%s: %s (expected PEM certificates)", ca,
                   ssl_reason("no certificates in it"));
        SSL_CTX_free(ctx);
        return err->code;
    }
    *out = ctx;
    return LC_OK;
}

/* Why SSL_connect failed, for "TLS handshake with H:P failed: <why>". */
static void handshake_failure(cli_conn_t *c, const cli_url_t *u, int ret, lc_err_t *err)
{
    long vr = SSL_get_verify_result(c->ssl);
    int e = SSL_get_error(c->ssl, ret);
    if (vr != X509_V_OK) {
        bool name = vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH;
        lc_err_set(
            err, LC_EIO, "TLS handshake with %s:%s failed: certificate verify failed: %s%s%s%s",
            u->host, u->port, X509_verify_cert_error_string(vr),
            name ? " (the certificate is not for " : "", name ? u->host : "", name ? ")" : "");
    } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        const char *why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
                          : errno                                 ? strerror(errno)
                                  : "the server closed the connection";
        lc_err_set(err, LC_EIO, "TLS handshake with %s:%s failed: %s", u->host, u->port, why);
    } else {
        lc_err_set(err, LC_EIO, "TLS handshake with %s:%s failed: %s (is it an https server?)",
                   u->host, u->port, ssl_reason("protocol error"));
    }
}

static int tls_start(cli_conn_t *c, const cli_url_t *u, lc_err_t *err)
{
    if (!(c->ssl = SSL_new(c->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1)
        return lc_err_set(err, LC_ENOMEM, "cannot set up TLS: %s", ssl_reason("out of memory"));
    unsigned char addr[16];
    bool ip = inet_pton(AF_INET, u->host, addr) == 1 || inet_pton(AF_INET6, u->host, addr) == 1;
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host)
                : SSL_set_tlsext_host_name(c->ssl, u->host) == 1 && SSL_set1_host(c->ssl, u->host);
    if (ok != 1)
        return lc_err_set(err, LC_EINVAL, "cannot check TLS certificates for host %s", u->host);
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    /* A server that accepts but never answers would hang the handshake. */
    struct timeval tv = {.tv_sec = HANDSHAKE_TIMEOUT_S};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ERR_clear_error();
    errno = 0;
    int ret = SSL_connect(c->ssl);
    if (ret != 1) {
        handshake_failure(c, u, ret, err);
        return err->code;
    }
    tv.tv_sec = 0;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return LC_OK;
}

/* OpenSSL's I/O with SIGPIPE held back: a peer that went away is an error
 * to report, not a reason for the process to die. */
typedef struct nopipe {
    sigset_t old;
    bool pending_before;
} nopipe_t;

static void nopipe_begin(nopipe_t *np)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    np->pending_before = sigismember(&pending, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &np->old);
}

static void nopipe_end(nopipe_t *np)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    if (!np->pending_before && sigismember(&pending, SIGPIPE))
        sigtimedwait(&set, NULL, &(struct timespec){0, 0});
    sigprocmask(SIG_SETMASK, &np->old, NULL);
}

/* ---------------------------------------------------------------- connection */

int cli_conn_open(const cli_url_t *u, cli_conn_t **out, lc_err_t *err)
{
    *out = NULL;
    cli_conn_t *c = lc_calloc(1, sizeof *c);
    if (!c)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    c->fd = -1;
    /* The context first: a bad LIGHTCONE_CA_FILE is reported before any network. */
    int rc = u->tls ? tls_context(&c->ctx, err) : LC_OK;
    if (rc == LC_OK)
        rc = tcp_connect(u, &c->fd, err);
    if (rc == LC_OK && u->tls)
        rc = tls_start(c, u, err);
    if (rc == LC_OK && fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot set up the connection: %s", strerror(errno));
    if (rc) {
        cli_conn_close(c);
        return rc;
    }
    *out = c;
    return LC_OK;
}

void cli_conn_close(cli_conn_t *c)
{
    if (!c)
        return;
    if (c->ssl) {
        nopipe_t np;
        nopipe_begin(&np);
        if (SSL_is_init_finished(c->ssl))
            SSL_shutdown(c->ssl); /* close_notify; no wait for the server's */
        nopipe_end(&np);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    ERR_clear_error();
    if (c->fd >= 0)
        close(c->fd);
    lc_free(c);
}

/* Wait until fd is ready for events or timeout_ms passes (-1: no limit),
 * ticking an active progress line.  1 ready, 0 timed out, -1 failed. */
static int wait_fd(int fd, short events, int timeout_ms)
{
    int64_t until = timeout_ms >= 0 ? lc_now_mono_us() / 1000 + timeout_ms : -1;
    for (;;) {
        int slice = timeout_ms;
        if (until >= 0) {
            int64_t left = until - lc_now_mono_us() / 1000;
            slice = left > 0 ? (int)left : 0;
        }
        if (cli_progress_active() && (slice < 0 || slice > TICK_MS))
            slice = TICK_MS;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, slice);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
        cli_progress_tick();
        if (r == 0 && until >= 0 && lc_now_mono_us() / 1000 >= until)
            return 0;
    }
}

static int tls_write(cli_conn_t *c, const char *p, size_t n, lc_err_t *err)
{
    while (n > 0) {
        nopipe_t np;
        nopipe_begin(&np);
        ERR_clear_error();
        errno = 0;
        int k = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
        int e = k > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, k);
        int saved = errno;
        nopipe_end(&np);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, -1) < 0)
                return lc_err_set(err, LC_EIO, "connection broke: %s", strerror(errno));
        } else {
            return lc_err_set(err, LC_EIO, "connection broke: %s",
                              e == SSL_ERROR_SYSCALL && saved ? strerror(saved)
                                                              : ssl_reason("TLS error"));
        }
    }
    return LC_OK;
}

int cli_conn_write(cli_conn_t *c, const void *p, size_t n, lc_err_t *err)
{
    if (c->ssl)
        return tls_write(c, p, n, err);
    const char *q = p;
    while (n > 0) {
        ssize_t k = send(c->fd, q, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(c->fd, POLLOUT, -1) < 0)
                return lc_err_set(err, LC_EIO, "connection broke: %s", strerror(errno));
            continue;
        }
        if (k <= 0)
            return lc_err_set(err, LC_EIO, "connection broke: %s", strerror(errno));
        q += k;
        n -= (size_t)k;
    }
    return LC_OK;
}

/* One SSL_read: 1 with *got (0 = end of stream), 0 to wait again, or an error. */
static int tls_read_once(cli_conn_t *c, void *p, size_t cap, size_t *got, lc_err_t *err)
{
    ERR_clear_error();
    errno = 0;
    int k = SSL_read(c->ssl, p, cap > INT32_MAX ? INT32_MAX : (int)cap);
    if (k > 0) {
        *got = (size_t)k;
        return 1;
    }
    switch (SSL_get_error(c->ssl, k)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0; /* a record without application data */
    case SSL_ERROR_ZERO_RETURN:
        *got = 0;
        return 1;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 && ERR_peek_error() == 0) {
            *got = 0; /* the peer closed without close_notify */
            return 1;
        }
        return lc_err_set(err, LC_EIO, "connection broke: %s",
                          errno ? strerror(errno) : ssl_reason("TLS error"));
    default:
        return lc_err_set(err, LC_EIO, "connection broke: %s", ssl_reason("TLS error"));
    }
}

int cli_conn_read(cli_conn_t *c, void *p, size_t cap, int timeout_ms, size_t *got, lc_err_t *err)
{
    int64_t until = timeout_ms >= 0 ? lc_now_mono_us() / 1000 + timeout_ms : -1;
    *got = 0;
    for (;;) {
        if (!c->ssl || SSL_pending(c->ssl) == 0) {
            int left = -1;
            if (until >= 0) {
                int64_t l = until - lc_now_mono_us() / 1000;
                left = l > 0 ? (int)l : 0;
            }
            int r = wait_fd(c->fd, POLLIN, left);
            if (r == 0)
                return 1;
            if (r < 0)
                return lc_err_set(err, LC_EIO, "connection broke: %s", strerror(errno));
        }
        if (c->ssl) {
            int r = tls_read_once(c, p, cap, got, err);
            if (r != 0)
                return r < 0 ? r : LC_OK;
            continue;
        }
        ssize_t n = recv(c->fd, p, cap, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return lc_err_set(err, LC_EIO, "connection broke: %s", strerror(errno));
        *got = (size_t)n;
        return LC_OK;
    }
}
