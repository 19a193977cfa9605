/*
 * Subscription costs (issue 8), with examples/chat:
 *
 *   join delta  a join subscription over `message` and `user` with N rows
 *               each (1k, 10k, 100k): µs of subs_eval, and of the whole
 *               commit, for a transaction that changes one row (alternately
 *               a new message and a user going on/offline).  The delta
 *               formula probes indexes, so it should stay flat in N.
 *   fan-out     C WebSocket clients (v2, one epoll thread) each subscribed
 *               to `SELECT * FROM message WHERE text = 'room-K'`, K = i % 10,
 *               while send_message runs in process (db_call, pipelined):
 *               TransactionUpdate rows received per second, client side.
 *
 * Build and run:  make examples build/bench/bench_subs && build/bench/bench_subs [CLIENTS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "db/db.h"
#include "subs/subs.h"
#include "unit/module_fixture.h"
#include "unit/test.h"

#define JOIN_TXS 2000
#define ROOMS    10

_Noreturn static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_subs: %s: %s\n", what, msg ? msg : "");
    exit(1);
}

static uint64_t rng = 88172645463325252ull;
static uint32_t next_rand(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 32) % n;
}

/* ---------------------------------------------------------------- join delta */

typedef struct join_bench {
    db_t *db;
    uint32_t n, user_tid, msg_tid;
    uint8_t *online; /* per user */
    subs_mgr_t *mgr; /* NULL while seeding */
    subs_query_t *q;
    uint64_t eval_us, delta_rows;
    uint64_t step;
    atomic_bool finished;
} join_bench_t;

static size_t user_row(uint8_t *r, uint32_t i, bool online)
{
    memset(r, 0, 32);
    lc_store_u32le(r, i + 1);
    r[32] = 1; /* name: none */
    r[33] = online;
    return 34;
}

static size_t message_row(uint8_t *r, uint32_t sender, uint64_t seq)
{
    memset(r, 0, 32);
    lc_store_u32le(r, sender + 1);
    lc_store_u64le(r + 32, seq);
    memcpy(r + 40, "\x05\0\0\0hello", 9);
    return 49;
}

static void join_on_commit(void *arg, const store_changeset_t *cs, const mod_caller_t *caller)
{
    (void)caller;
    join_bench_t *b = arg;
    if (!b->mgr)
        return;
    lc_err_t err;
    store_view_t *v;
    if (store_view_open(db_store(b->db), &v, &err))
        die("view", err.msg);
    uint64_t t0 = lc_now_mono_us();
    if (subs_eval(b->mgr, cs, v, &err))
        die("subs_eval", err.msg);
    b->eval_us += lc_now_mono_us() - t0;
    subs_rows_t ins, del;
    if (subs_delta(b->q, &ins, &del))
        b->delta_rows += ins.nrows + del.nrows;
    store_view_close(v);
}

static int seed_fn(void *arg, store_tx_t *tx, lc_err_t *err)
{
    join_bench_t *b = arg;
    uint8_t r[64];
    store_insert_result_t res;
    for (uint32_t i = 0; i < b->n; i++) {
        b->online[i] = 1;
        if (store_insert(tx, b->user_tid, r, user_row(r, i, true), &res, err) ||
            store_insert(tx, b->msg_tid, r, message_row(r, i, i), &res, err))
            return -1;
    }
    return 0;
}

/* One row changed: a new message from a random user, or a random user
 * toggling `online` (a delete and an insert of the same key). */
static int step_fn(void *arg, store_tx_t *tx, lc_err_t *err)
{
    join_bench_t *b = arg;
    uint8_t r[64];
    store_insert_result_t res;
    uint32_t u = next_rand(b->n), deleted;
    if (b->step++ % 2 == 0)
        return store_insert(tx, b->msg_tid, r, message_row(r, u, b->n + b->step), &res, err);
    if (store_delete_value(tx, b->user_tid, r, user_row(r, u, b->online[u]), &deleted, err))
        return -1;
    b->online[u] ^= 1;
    return store_insert(tx, b->user_tid, r, user_row(r, u, b->online[u]), &res, err);
}

static void join_run(void *arg, db_t *db)
{
    join_bench_t *b = arg;
    lc_err_t err;
    uint64_t off;
    if (store_table_id(db_store(db), "user", &b->user_tid) ||
        store_table_id(db_store(db), "message", &b->msg_tid))
        die("tables", "no user/message");
    if (db_exec_write(db, seed_fn, b, &off, &err))
        die("seed", err.msg);
    sql_caller_t caller = {.is_owner = false};
    if (subs_mgr_new(&b->mgr, &err) ||
        subs_compile(b->mgr, NULL, db_def(db), db_store(db),
                     "SELECT message.* FROM message JOIN user ON message.sender = user.identity "
                     "WHERE user.online = true",
                     &caller, &b->q, &err))
        die("subs_compile", err.msg);
    for (int i = 0; i < JOIN_TXS / 10; i++) /* warm-up */
        if (db_exec_write(db, step_fn, b, &off, &err))
            die("step", err.msg);
    b->eval_us = b->delta_rows = 0;
    uint64_t t0 = lc_now_mono_us();
    for (int i = 0; i < JOIN_TXS; i++)
        if (db_exec_write(db, step_fn, b, &off, &err))
            die("step", err.msg);
    uint64_t total = lc_now_mono_us() - t0;
    printf("join delta  %6u rows/table: subs_eval %.2f us/tx, whole commit %.2f us/tx "
           "(%d txs, %.2f delta rows/tx)\n",
           b->n, (double)b->eval_us / JOIN_TXS, (double)total / JOIN_TXS, JOIN_TXS,
           (double)b->delta_rows / JOIN_TXS);
    subs_release(b->mgr, b->q);
    subs_mgr_free(b->mgr);
    b->mgr = NULL;
    atomic_store(&b->finished, true);
}

static void join_bench(wasm_engine_t *e, const uint8_t *wasm, size_t len, uint32_t n)
{
    join_bench_t b = {.n = n};
    b.online = calloc(n, 1);
    db_config_t cfg = {.engine = e, .on_commit = join_on_commit, .hook_arg = &b};
    cfg.identity[0] = 1;
    lc_err_t err;
    if (db_open(&cfg, &b.db, &err))
        die("db_open", err.msg);
    db_publish_opts_t o = {0};
    db_publish_result_t res;
    if (db_publish(b.db, wasm, len, &o, &res, &err))
        die("publish", err.msg);
    lc_buf_free(&res.plan);
    if (db_exec(b.db, join_run, &b))
        die("db_exec", "busy");
    while (!atomic_load(&b.finished)) usleep(1000);
    db_close(b.db);
    free(b.online);
}

/* ---------------------------------------------------------------- fan-out */

typedef struct conn {
    int fd;
    uint8_t *buf;
    size_t len, cap;
    bool applied;
} conn_t;

static uint64_t rows_received, updates_received;
static int applied_count;

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void ws_write_frame(int fd, const uint8_t *p, size_t len)
{
    uint8_t f[1024];
    size_t n = 0;
    f[n++] = 0x82;
    if (len < 126) {
        f[n++] = (uint8_t)(0x80 | len);
    } else {
        f[n++] = 0x80 | 126;
        f[n++] = (uint8_t)(len >> 8), f[n++] = (uint8_t)len;
    }
    memset(f + n, 0, 4); /* zero mask key: payload unchanged */
    n += 4;
    memcpy(f + n, p, len);
    n += len;
    if (write(fd, f, n) != (ssize_t)n)
        die("write", strerror(errno));
}

/* Blocking connect, upgrade and Subscribe; then nonblocking. */
static void conn_open(conn_t *c, int port, int idx)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect", strerror(errno));
    char key[25];
    for (int i = 0; i < 22; i++) key[i] = b64[(idx * 7 + i * 13) & 63];
    key[22] = key[23] = '=', key[24] = 0;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /v1/database/chat/subscribe?compression=None&confirmed=false HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Protocol: v2.bsatn.spacetimedb\r\n\r\n",
                     port, key);
    if (write(c->fd, req, (size_t)n) != n)
        die("upgrade", "short write");
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    char *end = NULL;
    while (!end) {
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - 1 - c->len);
        if (r <= 0)
            die("upgrade", "connection closed");
        c->len += (size_t)r;
        c->buf[c->len] = 0;
        end = strstr((char *)c->buf, "\r\n\r\n");
    }
    if (strncmp((char *)c->buf, "HTTP/1.1 101", 12) != 0)
        die("upgrade", (char *)c->buf);
    size_t hdr = (size_t)(end + 4 - (char *)c->buf);
    memmove(c->buf, c->buf + hdr, c->len - hdr);
    c->len -= hdr;
    char q[64];
    int ql = snprintf(q, sizeof q, "SELECT * FROM message WHERE text = 'room-%d'", idx % ROOMS);
    uint8_t m[128];
    size_t k = 0;
    m[k++] = 0;
    lc_store_u32le(m + k, 1), k += 4;
    lc_store_u32le(m + k, 1), k += 4;
    lc_store_u32le(m + k, 1), k += 4;
    lc_store_u32le(m + k, (uint32_t)ql), k += 4;
    memcpy(m + k, q, (size_t)ql), k += (size_t)ql;
    ws_write_frame(c->fd, m, k);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

/* Rows in one BsatnRowList at *p (advanced past it). */
static uint64_t row_list(const uint8_t **p)
{
    const uint8_t *q = *p;
    uint64_t rows = 0;
    if (*q++ == 0) {
        uint16_t size = (uint16_t)(q[0] | q[1] << 8);
        q += 2;
        uint32_t len = lc_load_u32le(q);
        rows = size ? len / size : 0;
        q += 4 + len;
    } else {
        rows = lc_load_u32le(q);
        q += 4 + 8 * rows;
        q += 4 + lc_load_u32le(q);
    }
    *p = q;
    return rows;
}

/* Rows in a TransactionUpdate body (after the tag). */
static uint64_t tx_update_rows(const uint8_t *p)
{
    uint64_t rows = 0;
    uint32_t nsets = lc_load_u32le(p);
    p += 4;
    for (uint32_t s = 0; s < nsets; s++) {
        p += 4;
        uint32_t ntables = lc_load_u32le(p);
        p += 4;
        for (uint32_t t = 0; t < ntables; t++) {
            p += 4 + lc_load_u32le(p);
            uint32_t nupd = lc_load_u32le(p);
            p += 4;
            for (uint32_t u = 0; u < nupd; u++) {
                bool persistent = *p++ == 0;
                rows += row_list(&p);
                if (persistent)
                    rows += row_list(&p);
            }
        }
    }
    return rows;
}

static void on_message(conn_t *c, const uint8_t *m, size_t len)
{
    if (len < 2)
        die("message", "short");
    switch (m[1]) { /* m[0]: compression tag */
    case 0:
        break;
    case 1:
        if (!c->applied)
            c->applied = true, applied_count++;
        break;
    case 3:
        die("subscribe", "SubscriptionError");
    case 4:
        updates_received++;
        rows_received += tx_update_rows(m + 2);
        break;
    default:
        break;
    }
}

static void on_readable(conn_t *c)
{
    for (;;) {
        if (c->cap - c->len < 4096)
            c->buf = realloc(c->buf, c->cap *= 2);
        ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r <= 0)
            die("read", "connection closed");
        c->len += (size_t)r;
    }
    size_t off = 0;
    while (c->len - off >= 2) {
        const uint8_t *h = c->buf + off;
        size_t hl = 2, pl = h[1] & 0x7f;
        if (pl == 126) {
            if (c->len - off < 4)
                break;
            pl = (size_t)h[2] << 8 | h[3], hl = 4;
        } else if (pl == 127) {
            if (c->len - off < 10)
                break;
            pl = 0;
            for (int i = 0; i < 8; i++) pl = pl << 8 | h[2 + i];
            hl = 10;
        }
        if (c->len - off < hl + pl)
            break;
        if ((h[0] & 0x0f) == 2)
            on_message(c, h + hl, pl);
        else if ((h[0] & 0x0f) == 8)
            die("server", "closed the connection");
        off += hl + pl;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

typedef struct sender {
    db_t *db;
    atomic_bool stop;
    atomic_uint_fast64_t sent, done;
} sender_t;

static void send_done(void *arg, const db_call_result_t *res)
{
    sender_t *s = arg;
    if (res->outcome.status != MOD_OK)
        die("send_message", res->outcome.message);
    atomic_fetch_add(&s->done, 1);
}

/* send_message("room-K") round robin, up to 256 calls in flight. */
static void *sender_main(void *arg)
{
    sender_t *s = arg;
    mod_caller_t c = {.timestamp_us = lc_now_wall_us()};
    c.identity[0] = 0xee;
    uint8_t a[16];
    for (uint64_t i = 0; !atomic_load(&s->stop); i++) {
        while (i - atomic_load(&s->done) >= 256) sched_yield();
        lc_store_u32le(a, 6);
        memcpy(a + 4, "room-", 5);
        a[9] = (uint8_t)('0' + i % ROOMS);
        c.timestamp_us++; /* distinct rows: an identical row would be no change */
        if (db_call(s->db, "send_message", a, 10, &c, send_done, s))
            die("db_call", "refused");
        atomic_fetch_add(&s->sent, 1);
    }
    while (atomic_load(&s->done) < atomic_load(&s->sent)) sched_yield();
    return NULL;
}

static void poll_for(int ep, conn_t *conns, uint64_t us)
{
    struct epoll_event ev[256];
    uint64_t end = (uint64_t)lc_now_mono_us() + us;
    while ((uint64_t)lc_now_mono_us() < end) {
        int n = epoll_wait(ep, ev, 256, 10);
        for (int i = 0; i < n; i++) on_readable(&conns[ev[i].data.u32]);
    }
}

static void fanout(int port, db_t *db, int clients, int seconds)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    conn_t *conns = calloc((size_t)clients, sizeof *conns);
    int ep = epoll_create1(0);
    for (int i = 0; i < clients; i++) {
        conn_open(&conns[i], port, i);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        if (i % 100 == 99)
            poll_for(ep, conns, 1000);
    }
    uint64_t t = lc_now_mono_us();
    while (applied_count < clients && lc_now_mono_us() - t < 60000000) poll_for(ep, conns, 10000);
    if (applied_count < clients)
        die("subscribe", "not every client got SubscribeApplied");
    sender_t s = {.db = db};
    pthread_t th;
    pthread_create(&th, NULL, sender_main, &s);
    poll_for(ep, conns, 1000000); /* warm-up */
    uint64_t r0 = rows_received, u0 = updates_received, d0 = atomic_load(&s.done);
    uint64_t t0 = lc_now_mono_us();
    poll_for(ep, conns, (uint64_t)seconds * 1000000);
    uint64_t us = lc_now_mono_us() - t0;
    uint64_t rows = rows_received - r0, upd = updates_received - u0,
             txs = atomic_load(&s.done) - d0;
    atomic_store(&s.stop, true);
    pthread_join(th, NULL);
    printf("fan-out     %d clients (v2, 1 epoll thread), %d rooms: %.0f row updates/s delivered, "
           "%.0f TransactionUpdates/s, %.0f txs/s committed (%.1f rows per tx)\n",
           clients, ROOMS, (double)rows * 1e6 / (double)us, (double)upd * 1e6 / (double)us,
           (double)txs * 1e6 / (double)us, txs ? (double)rows / (double)txs : 0.0);
    for (int i = 0; i < clients; i++) close(conns[i].fd), free(conns[i].buf);
    close(ep);
    free(conns);
}

static void fanout_bench(wasm_engine_t *engine, const uint8_t *wasm, size_t len, int clients)
{
    lc_err_t err;
    auth_keys_t *keys;
    if (auth_keys_generate(&keys, &err))
        die("keys", err.msg);
    api_config_t ac = {.keys = keys};
    net_config_default(&ac.net);
    ac.net.port = 0;
    ac.db.data_dir = test_tmpdir();
    ac.db.engine = engine;
    ac.db.fsync = DUR_FSYNC_EVERY_BATCH;
    api_t *api;
    if (api_start(&ac, &api, &err))
        die("api_start", err.msg);
    db_entry_t *e;
    uint8_t owner[32] = {1};
    db_publish_opts_t po = {0};
    db_publish_result_t pr;
    if (db_registry_create(api_registry(api), "chat", owner, &e, &err) ||
        db_publish(e->db, wasm, len, &po, &pr, &err))
        die("publish", err.msg);
    lc_buf_free(&pr.plan);
    fanout(api_port(api), e->db, clients, 5);
    db_entry_release(e);
    api_stop(api);
    auth_keys_free(keys);
}

int main(int argc, char **argv)
{
    lc_log_set_level(LC_LOG_WARN);
    int clients = argc > 1 ? atoi(argv[1]) : 1000;
    size_t nfns, len;
    lc_err_t err;
    wasm_engine_config_t ec = {.cache_dir = fixture_cache_dir(), .opt_level = -1};
    ec.host_fns = mod_abi_host_fns(&nfns);
    ec.nhost_fns = nfns;
    wasm_engine_t *engine;
    if (wasm_engine_new(&ec, &engine, &err))
        die("engine", err.msg);
    uint8_t *wasm = fixture_example("chat", &len);
    if (!wasm)
        die("chat.wasm", "run `make examples`");
    join_bench(engine, wasm, len, 1000);
    join_bench(engine, wasm, len, 10000);
    join_bench(engine, wasm, len, 100000);
    fanout_bench(engine, wasm, len, clients);
    lc_free(wasm);
    wasm_engine_free(engine);
    return 0;
}
