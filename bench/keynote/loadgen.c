/*
 * The keynote load generator: examples/bank's transfer(from, to, 1) over
 * WebSocket against a running server, the way the reference's keynote
 * benchmark drives SpacetimeDB (../shared/spec/anchors.md §2.1): N
 * connections, each keeping up to D calls in flight, confirmed reads (the
 * protocol default), account pairs from a Zipf distribution.
 *
 * Why its own client and not the integration one: at hundreds of thousands
 * of calls per second on two shared cores the client must cost little, so
 * it uses non-blocking sockets under epoll (one thread per core), packs
 * every pending call of a connection into one v3 frame (one write), and
 * parses replies in place.  Client frames are masked with the zero key
 * (RFC 6455 allows any key), which makes masking free.
 *
 *   loadgen --port P [--db bank] [--conns 64] [--depth 40] [--threads T]
 *           [--alpha 0] [--accounts 100000] [--warmup 2] [--seconds 10]
 *           [--v2] [--label NAME]
 *
 * Prints one line: "loadgen label=... tps=N p50_ms=X p99_ms=Y errors=E ...".
 * Exit status 1 if a connection failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NPAIRS   (1u << 20)
#define HIST_US  200000 /* latency histogram: 1 µs buckets up to 200 ms */
#define MSG_LEN  38     /* one CallReducer transfer message */
#define RBUF_CAP (1u << 20)
#define SLOTS    4096 /* send times by request id; more than ever in flight (depth <= 1000) */

typedef struct opts {
    int port, conns, depth, threads, warmup, seconds;
    uint32_t accounts;
    double alpha;
    bool v2_only;
    const char *db, *label;
} opts_t;

typedef struct conn {
    int fd;
    bool v3;
    uint32_t next_id, inflight;
    uint32_t pair; /* index into the shared pair table */
    uint64_t sent_us[SLOTS];
    uint8_t *rbuf;
    size_t rlen;
    uint8_t *wbuf;
    size_t wlen, wcap;
    bool want_out;
} conn_t;

typedef struct worker {
    pthread_t tid;
    int epfd;
    conn_t **conns;
    int nconns;
    uint32_t *hist; /* counts per µs while measuring */
    _Atomic uint64_t ok, errors;
    bool failed;
    char why[160];
} worker_t;

static opts_t g_opt = {.port = 0,
                       .conns = 64,
                       .depth = 40,
                       .threads = 0,
                       .warmup = 2,
                       .seconds = 10,
                       .accounts = 100000,
                       .alpha = 0,
                       .db = "bank",
                       .label = "lightcone"};
static uint32_t *g_pairs; /* from, to interleaved */
static atomic_bool g_measuring, g_stop;

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, why);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p)
        die("calloc", "out of memory");
    return p;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---------------------------------------------------------------- account pairs */

static uint64_t rng_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ull;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Zipf over ids 0..n-1 (id k has weight 1/(k+1)^alpha; alpha 0 is uniform)
 * by CDF and binary search, as the reference's sampler does. */
static void make_pairs(uint32_t n, double alpha)
{
    double *cdf = xmalloc(n * sizeof *cdf), sum = 0;
    for (uint32_t k = 0; k < n; k++) cdf[k] = sum += pow((double)k + 1, -alpha);
    g_pairs = xmalloc(2 * NPAIRS * sizeof *g_pairs);
    uint64_t s = 12345;
    for (uint32_t i = 0; i < NPAIRS; i++) {
        uint32_t pick[2];
        for (int j = 0; j < 2; j++) {
            do {
                double u = (double)(rng_next(&s) >> 11) / 9007199254740992.0 * sum;
                uint32_t lo = 0, hi = n - 1;
                while (lo < hi) {
                    uint32_t mid = (lo + hi) / 2;
                    if (cdf[mid] < u)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                pick[j] = lo;
            } while (j == 1 && pick[1] == pick[0]);
        }
        g_pairs[2 * i] = pick[0], g_pairs[2 * i + 1] = pick[1];
    }
    free(cdf);
}

/* ---------------------------------------------------------------- connecting */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Blocking connect and upgrade; leaves any bytes after the 101 in rbuf. */
static void ws_open(conn_t *c, int idx)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_opt.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char key[25];
    for (int i = 0; i < 22; i++) key[i] = b64[(idx * 7 + i * 13) & 63];
    key[22] = key[23] = '=', key[24] = 0;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /v1/database/%s/subscribe?compression=None HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Protocol: %s\r\n\r\n",
                     g_opt.db, g_opt.port, key,
                     g_opt.v2_only ? "v2.bsatn.spacetimedb"
                                   : "v3.bsatn.spacetimedb, v2.bsatn.spacetimedb");
    if (write(c->fd, req, (size_t)n) != n)
        die("upgrade", "short write");
    c->rbuf = xmalloc(RBUF_CAP);
    char *end = NULL;
    while (!end) {
        ssize_t r = read(c->fd, c->rbuf + c->rlen, RBUF_CAP - 1 - c->rlen);
        if (r <= 0)
            die("upgrade", "connection closed");
        c->rlen += (size_t)r;
        c->rbuf[c->rlen] = 0;
        end = strstr((char *)c->rbuf, "\r\n\r\n");
    }
    if (strncmp((char *)c->rbuf, "HTTP/1.1 101", 12) != 0)
        die("upgrade", (char *)c->rbuf);
    c->v3 = strstr((char *)c->rbuf, "v3.bsatn") != NULL;
    size_t hdr = (size_t)(end + 4 - (char *)c->rbuf);
    memmove(c->rbuf, c->rbuf + hdr, c->rlen - hdr);
    c->rlen -= hdr;
    c->wcap = (size_t)g_opt.depth * (MSG_LEN + 14) + 4096;
    c->wbuf = xmalloc(c->wcap);
    c->pair = (uint32_t)idx * 7919u;
}

/* ---------------------------------------------------------------- sending */

/* A masked (zero key) binary frame header for len payload bytes at p. */
static size_t frame_header(uint8_t *p, size_t len)
{
    size_t n = 0;
    p[n++] = 0x82;
    if (len < 126) {
        p[n++] = (uint8_t)(0x80 | len);
    } else {
        p[n++] = 0x80 | 126;
        p[n++] = (uint8_t)(len >> 8), p[n++] = (uint8_t)len;
    }
    memset(p + n, 0, 4);
    return n + 4;
}

/* CallReducer{id, 0, "transfer", (from, to, 1)} in BSATN. */
static void transfer_msg(conn_t *c, uint8_t *m)
{
    uint32_t i = c->pair++ & (NPAIRS - 1);
    m[0] = 3;
    put_u32(m + 1, c->next_id);
    m[5] = 0;
    put_u32(m + 6, 8);
    memcpy(m + 10, "transfer", 8);
    put_u32(m + 18, 16);
    put_u32(m + 22, g_pairs[2 * i]);
    put_u32(m + 26, g_pairs[2 * i + 1]);
    memset(m + 30, 0, 8);
    m[30] = 1;
    c->sent_us[c->next_id & (SLOTS - 1)] = now_us();
    c->next_id++;
    c->inflight++;
}

/* Queue calls up to the depth: one frame for all of them in v3, one frame
 * each in v2; either way one write. */
static void fill(conn_t *c)
{
    uint32_t k = atomic_load_explicit(&g_stop, memory_order_relaxed)
                     ? 0
                     : (uint32_t)g_opt.depth - c->inflight;
    if (k == 0)
        return;
    if (c->v3) {
        uint8_t *h = c->wbuf + c->wlen;
        size_t hl = frame_header(h, (size_t)k * MSG_LEN);
        uint8_t *m = h + hl;
        for (uint32_t i = 0; i < k; i++, m += MSG_LEN) transfer_msg(c, m);
        c->wlen += hl + (size_t)k * MSG_LEN;
    } else {
        for (uint32_t i = 0; i < k; i++) {
            uint8_t *h = c->wbuf + c->wlen;
            size_t hl = frame_header(h, MSG_LEN);
            transfer_msg(c, h + hl);
            c->wlen += hl + MSG_LEN;
        }
    }
}

static int flush(worker_t *w, conn_t *c)
{
    while (c->wlen) {
        ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0)
            return -1;
        memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
        c->wlen -= (size_t)n;
    }
    bool want = c->wlen > 0;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
    return 0;
}

/* ---------------------------------------------------------------- receiving */

static void record(worker_t *w, conn_t *c, uint32_t id, bool ok)
{
    c->inflight--;
    if (!atomic_load_explicit(&g_measuring, memory_order_relaxed))
        return;
    uint64_t us = now_us() - c->sent_us[id & (SLOTS - 1)];
    w->hist[us < HIST_US ? us : HIST_US - 1]++;
    atomic_fetch_add_explicit(ok ? &w->ok : &w->errors, 1, memory_order_relaxed);
}

/* One ServerMessage at p (n bytes left); its length, or 0 if unparseable. */
static size_t server_msg(worker_t *w, conn_t *c, const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] == 0) /* InitialConnection: identity, connection id, token */
        return n >= 53 ? 53 + get_u32(p + 49) : 0;
    if (n < 15 || p[0] != 6)
        return 0;
    uint32_t id = get_u32(p + 1);
    switch (p[13]) {
    case 0: /* Ok(ret_value bytes, transaction_update: empty without subscriptions) */
        if (n < 22 || get_u32(p + 18 + get_u32(p + 14)) != 0)
            return 0;
        record(w, c, id, true);
        return 22 + get_u32(p + 14);
    case 1: /* OkEmpty */
        record(w, c, id, true);
        return 14;
    case 2: /* Err(bytes) */
    case 3: /* InternalError(string) */
        record(w, c, id, false);
        return 18 + get_u32(p + 14);
    }
    return 0;
}

static int payload(worker_t *w, conn_t *c, const uint8_t *p, size_t n)
{
    if (n < 1 || p[0] != 0)
        return snprintf(w->why, sizeof w->why, "compressed or empty payload"), -1;
    for (size_t off = 1; off < n;) {
        size_t len = server_msg(w, c, p + off, n - off);
        if (!len)
            return snprintf(w->why, sizeof w->why, "unexpected message tag %u", p[off]), -1;
        off += len;
        if (!c->v3)
            break;
    }
    return 0;
}

/* Consume the whole frames in rbuf. */
static int frames(worker_t *w, conn_t *c)
{
    size_t off = 0;
    for (;;) {
        uint8_t *f = c->rbuf + off;
        size_t left = c->rlen - off, hl = 2, len;
        if (left < 2)
            break;
        len = f[1] & 0x7f;
        if (len == 126)
            hl = 4, len = left >= 4 ? (size_t)f[2] << 8 | f[3] : 0;
        else if (len == 127) {
            hl = 10, len = 0;
            for (int i = 0; i < 8 && left >= 10; i++) len = len << 8 | f[2 + i];
        }
        if (left < hl || left < hl + len)
            break;
        int op = f[0] & 0x0f;
        if (op == 2 && payload(w, c, f + hl, len))
            return -1;
        if (op == 8)
            return snprintf(w->why, sizeof w->why, "server closed the connection"), -1;
        if (op == 9) { /* ping: answer with a pong carrying the same data */
            if (len > 125 || c->wlen + 6 + len > c->wcap)
                return -1;
            uint8_t *h = c->wbuf + c->wlen;
            h[0] = 0x8a, h[1] = (uint8_t)(0x80 | len);
            memset(h + 2, 0, 4);
            memcpy(h + 6, f + hl, len);
            c->wlen += 6 + len;
        }
        off += hl + len;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return 0;
}

static int on_readable(worker_t *w, conn_t *c)
{
    for (;;) {
        if (c->rlen == RBUF_CAP)
            return snprintf(w->why, sizeof w->why, "frame too large"), -1;
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF_CAP - c->rlen, 0);
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return snprintf(w->why, sizeof w->why, "connection lost"), -1;
        c->rlen += (size_t)n;
        if (frames(w, c))
            return -1;
        if ((size_t)n < RBUF_CAP / 2)
            return 0;
    }
}

/* ---------------------------------------------------------------- threads */

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    struct epoll_event evs[64];
    for (int i = 0; i < w->nconns; i++) {
        fill(w->conns[i]);
        if (flush(w, w->conns[i]))
            goto fail;
    }
    for (;;) {
        bool stopping = atomic_load(&g_stop), idle = true;
        for (int i = 0; i < w->nconns && stopping; i++) idle &= w->conns[i]->inflight == 0;
        if (stopping && idle)
            return NULL;
        int n = epoll_wait(w->epfd, evs, 64, 1000);
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && on_readable(w, c))
                goto fail;
            fill(c);
            if (flush(w, c))
                goto fail;
        }
    }
fail:
    w->failed = true;
    if (!w->why[0])
        snprintf(w->why, sizeof w->why, "%s", strerror(errno));
    atomic_store(&g_stop, true);
    return NULL;
}

static double percentile(uint32_t *hist, uint64_t total, double q)
{
    uint64_t want = (uint64_t)((double)total * q), seen = 0;
    for (uint32_t us = 0; us < HIST_US; us++)
        if ((seen += hist[us]) > want)
            return (double)us / 1000.0;
    return (double)HIST_US / 1000.0;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--v2")) {
            g_opt.v2_only = true;
            continue;
        }
        if (!v)
            die(a, "needs a value");
        i++;
        if (!strcmp(a, "--port"))
            g_opt.port = atoi(v);
        else if (!strcmp(a, "--db"))
            g_opt.db = v;
        else if (!strcmp(a, "--conns"))
            g_opt.conns = atoi(v);
        else if (!strcmp(a, "--depth"))
            g_opt.depth = atoi(v);
        else if (!strcmp(a, "--threads"))
            g_opt.threads = atoi(v);
        else if (!strcmp(a, "--alpha"))
            g_opt.alpha = atof(v);
        else if (!strcmp(a, "--accounts"))
            g_opt.accounts = (uint32_t)atol(v);
        else if (!strcmp(a, "--warmup"))
            g_opt.warmup = atoi(v);
        else if (!strcmp(a, "--seconds"))
            g_opt.seconds = atoi(v);
        else if (!strcmp(a, "--label"))
            g_opt.label = v;
        else
            die(a, "unknown option");
    }
    if (g_opt.port <= 0 || g_opt.conns < 1 || g_opt.depth < 1 || g_opt.depth > 1000 ||
        g_opt.accounts < 2)
        die("usage", "loadgen --port P [--conns N] [--depth D] [--alpha A] [--seconds S]");
    if (g_opt.threads <= 0)
        g_opt.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (g_opt.threads > g_opt.conns)
        g_opt.threads = g_opt.conns;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    make_pairs(g_opt.accounts, g_opt.alpha);
    int nt = g_opt.threads;
    worker_t *ws = xmalloc((size_t)nt * sizeof *ws);
    conn_t **all = xmalloc((size_t)g_opt.conns * sizeof *all);
    bool v3 = false;
    for (int i = 0; i < g_opt.conns; i++) {
        all[i] = xmalloc(sizeof **all);
        ws_open(all[i], i);
        v3 = all[i]->v3;
    }
    for (int t = 0; t < nt; t++) {
        worker_t *w = &ws[t];
        w->epfd = epoll_create1(0);
        w->conns = xmalloc((size_t)g_opt.conns * sizeof *w->conns);
        w->hist = xmalloc(HIST_US * sizeof *w->hist);
        for (int i = t; i < g_opt.conns; i += nt) {
            conn_t *c = all[i];
            if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0)
                die("fcntl", strerror(errno));
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev);
            w->conns[w->nconns++] = c;
        }
        pthread_create(&w->tid, NULL, worker_main, w);
    }
    sleep((unsigned)g_opt.warmup);
    atomic_store(&g_measuring, true);
    uint64_t t0 = now_us();
    sleep((unsigned)g_opt.seconds);
    atomic_store(&g_measuring, false);
    uint64_t us = now_us() - t0;
    atomic_store(&g_stop, true);
    uint64_t ok = 0, errors = 0, total = 0;
    uint32_t *hist = xmalloc(HIST_US * sizeof *hist);
    bool failed = false;
    for (int t = 0; t < nt; t++) {
        pthread_join(ws[t].tid, NULL);
        ok += ws[t].ok, errors += ws[t].errors;
        for (uint32_t i = 0; i < HIST_US; i++) hist[i] += ws[t].hist[i];
        if (ws[t].failed) {
            fprintf(stderr, "loadgen: thread %d: %s\n", t, ws[t].why);
            failed = true;
        }
    }
    total = ok + errors;
    printf("loadgen label=%s alpha=%g conns=%d depth=%d threads=%d protocol=%s tps=%.0f "
           "p50_ms=%.3f p99_ms=%.3f errors=%llu calls=%llu\n",
           g_opt.label, g_opt.alpha, g_opt.conns, g_opt.depth, nt, v3 ? "v3" : "v2",
           (double)ok * 1e6 / (double)us, percentile(hist, total, 0.50),
           percentile(hist, total, 0.99), (unsigned long long)errors, (unsigned long long)total);
    return failed ? 1 : 0;
}
