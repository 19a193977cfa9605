/*
 * bench_durability — the commit log under load, and recovery (run by
 * `make bench-durability`).
 *
 *   build/bench/bench_durability [recovery_txs [seconds [parts]]]
 *
 * recovery_txs (default 1,000,000) is the number of bank transfers logged
 * for part 4; seconds (default 3) is how long each throughput case of
 * parts 1-3 runs; parts (default "fsync,log,clients,recovery") picks the
 * parts to run, e.g. to profile one of them.  Everything happens in a
 * fresh directory lightcone-bench-XXXXXX under $TMPDIR (or /tmp), deleted
 * at the end.
 * Every case logs with DUR_FSYNC_EVERY_BATCH into a log of its own.
 *
 * Parts, in this order, each timed with CLOCK_MONOTONIC:
 *
 *   1. fsync_probe  the disk alone: write 4 KiB and fdatasync, again and
 *                   again for `seconds`, appending to a file (as the log
 *                   does: each fdatasync also writes the inode, whose size
 *                   changed), then overwriting a file written and synced
 *                   beforehand (data only); latency p50/p99
 *   2. log          a fast submitter that never waits (pipelined: what
 *                   group commit batches), for payloads of 100 B, 1 KiB
 *                   and 10 KiB:
 *                     raw    dur_writer_submit of a synthetic payload of
 *                            that size, offsets 1, 2, 3, ...
 *                     store  one transaction per record, inserting one row
 *                            into blob(id: u64 pk, payload: Array<U8>)
 *                            with a payload of that size, then
 *                            dur_txdata_encode + dur_writer_submit
 *                   Timed from the first submit until the last record is
 *                   durable (dur_writer_wait).  Figures: transactions/s,
 *                   MB/s of record payload (dur_writer_stats bytes, MB =
 *                   1e6 bytes, without the 26-byte framing), fsyncs/s and
 *                   transactions per fsync (dur_writer_stats).
 *   3. clients      N threads (N = 1, 16, 64), each in a loop: take a
 *                   shared mutex, make the store transaction of part 2
 *                   and submit it, release the mutex, then wait until its
 *                   own offset is durable (dur_writer_wait) — what a
 *                   client waits for before it may see its result
 *                   (confirmed reads).  Latency is from taking the mutex
 *                   to the end of the wait; figures: transactions/s,
 *                   p50/p99/max latency, fsyncs/s.
 *   4. recovery     bank(accounts: 10,000 rows of (id: u32 pk, balance:
 *                   i64); ledger: (n: u64 pk, from: u32, to: u32,
 *                   amount: i64)).  Each transaction reads two balances,
 *                   updates both rows and inserts a ledger row, through
 *                   the store, logged by a pipelined submitter.  Then
 *                   dur_log_open + close alone (it scans the last
 *                   segment), timed; dur_recover of the directory,
 *                   timed: from the log alone, then (after
 *                   dur_snapshot_write of the recovered state, timed)
 *                   from the snapshot.  Each
 *                   recovery runs twice: "cold" after the files were
 *                   dropped from the page cache (fsync +
 *                   posix_fadvise(DONTNEED); the VM host may still cache
 *                   them), then "warm".
 *
 * Every result is checked: records written == records submitted, the
 * durable offset reaches the last one, and every recovery yields the
 * state the bank had (row count and an order-independent hash of every
 * row of both tables, money conserved) at the right offset.  Any mismatch
 * ends the program with status 1.  Output: a table per part on stderr as
 * it goes, then greppable lines on stdout:
 *
 *   durability fsync_probe mode=append|overwrite p50_us=.. p99_us=.. mean_us=.. ...
 *   durability log mode=raw|store size=N tx_per_s=.. mb_per_s=.. fsyncs_per_s=.. tx_per_fsync=..
 *   durability clients size=N n=N tx_per_s=.. p50_us=.. p99_us=.. max_us=.. fsyncs_per_s=..
 *   durability bank_generate txs=.. seconds=.. tx_per_s=.. ...
 *   durability recovery txs=.. snapshot=no cache=cold|warm seconds=.. replay_tx_per_s=..
 *   durability recovery txs=.. snapshot=yes cache=cold|warm seconds=.. rows=.. rows_per_s=..
 *   durability log_open cache=cold|warm seconds=.. segments=.. log_mb=..
 *   durability snapshot_write rows=.. seconds=.. snapshot_mb=..
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durability/durability.h"

#define ACCOUNTS      10000
#define START_BALANCE 1000000
#define PROBE_BLOCK   4096
#define PROBE_FILE    (64 << 20)
#define SEED          0x5eedb0a7c0ffee01ull

/* ---------------------------------------------------------------- helpers */

static char root[1024]; /* the temporary directory, removed at exit */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_durability: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void lc_ok(int rc, const lc_err_t *err, const char *what)
{
    if (rc != LC_OK)
        die("%s: %s: %s", what, lc_strerror(rc), err->msg);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = SEED;

/* splitmix64: fixed seed, so every run does the same work. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a splitmix finish */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
    if (root[0])
        rm_tree(root);
}

static void subdir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", root, name);
    if (mkdir(out, 0700) != 0)
        die("cannot create %s", out);
}

/* Sum the sizes of a tree's files; with evict, also drop them from the
 * page cache (fsync'ed first: POSIX_FADV_DONTNEED leaves dirty pages). */
static uint64_t tree_bytes;
static bool tree_evict;

static int tree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    tree_bytes += (uint64_t)st->st_size;
    if (!tree_evict)
        return 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("cannot open %s", path);
    if (fsync(fd) != 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
        die("cannot drop %s from the page cache", path);
    close(fd);
    return 0;
}

static uint64_t tree_size(const char *path, bool evict)
{
    tree_bytes = 0;
    tree_evict = evict;
    nftw(path, tree_entry, 16, FTW_PHYS);
    return tree_bytes;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Latency samples (ns), growable. */
typedef struct samples {
    int64_t *v;
    size_t n, cap;
} samples_t;

static void samples_add(samples_t *s, int64_t x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (s->v == NULL)
            die("out of memory");
    }
    s->v[s->n++] = x;
}

/* Sorts s; the q-quantile in µs. */
static double quantile_us(samples_t *s, double q)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_i64);
    return (double)s->v[(size_t)((double)(s->n - 1) * q)] / 1e3;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Greppable lines, printed together at the end. */
static char lines[64][320];
static int nlines;

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...)
{
    if (nlines == (int)LC_ARRAY_LEN(lines))
        die("too many result lines");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lines[nlines++], sizeof lines[0], fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- 1. fsync probe */

/* Write 4 KiB + fdatasync in a loop: appending (each fdatasync must also
 * write the inode, since the size changed: what the log does), or
 * overwriting a file written and synced beforehand (data only). */
static void fsync_probe(bool append, double seconds)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/fsync-probe", root);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("cannot create %s", path);
    uint8_t block[PROBE_BLOCK];
    memset(block, 0, sizeof block);
    off_t size = (off_t)PROBE_FILE;
    for (off_t off = 0; !append && off < size; off += (off_t)sizeof block)
        if (pwrite(fd, block, sizeof block, off) != (ssize_t)sizeof block)
            die("fsync probe: write failed");
    if (fdatasync(fd) != 0)
        die("fsync probe: fdatasync failed");
    for (size_t i = 0; i < sizeof block; i++) block[i] = (uint8_t)rng_next();
    samples_t s = {0};
    double t0 = now_s(), sum = 0;
    off_t off = 0;
    while (now_s() - t0 < seconds) {
        int64_t a = now_ns();
        if (pwrite(fd, block, sizeof block, off) != (ssize_t)sizeof block || fdatasync(fd) != 0)
            die("fsync probe: write or fdatasync failed");
        int64_t d = now_ns() - a;
        samples_add(&s, d);
        sum += (double)d;
        off += (off_t)sizeof block;
        if (!append && off >= size)
            off = 0;
    }
    close(fd);
    unlink(path);
    double mean = sum / (double)s.n / 1e3;
    double p50 = quantile_us(&s, 0.5), p99 = quantile_us(&s, 0.99);
    const char *mode = append ? "append" : "overwrite";
    fprintf(stderr,
            "  fsync probe (%-9s 4 KiB + fdatasync): p50 %5.0f us, p99 %5.0f us, mean %5.0f us, "
            "%zu fsyncs\n",
            mode, p50, p99, mean, s.n);
    line("durability fsync_probe mode=%s p50_us=%.0f p99_us=%.0f mean_us=%.0f fsyncs=%zu "
         "fsyncs_per_s=%.0f",
         mode, p50, p99, mean, s.n, (double)s.n / seconds);
    free(s.v);
}

/* ---------------------------------------------------------------- blob table */

typedef struct blob_db {
    store_db_t *db;
    uint32_t table;
    uint64_t next_id;
    uint8_t *row; /* id, then the payload: u32 length + bytes */
    size_t size;  /* payload bytes */
    lc_buf_t rec;
} blob_db_t;

/* Open a database with the blob table; the creation is logged (offset 1). */
static void blob_open(blob_db_t *b, dur_writer_t *w, size_t size)
{
    lc_err_t err = {0};
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"id", "payload"};
    const sats_type_t *types[] = {sats_prim(SATS_U64), sats_type_array(&a, sats_prim(SATS_U8))};
    static const uint16_t c0[] = {0};
    store_index_def_t idx = {"blob_id_idx_btree", STORE_INDEX_BTREE, 1, c0};
    store_constraint_def_t con = {"blob_id_key", 1, c0};
    store_table_def_t def = {.name = "blob",
                             .row_type = sats_type_product(&a, 2, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .access = STORE_PUBLIC,
                             .nindexes = 1,
                             .indexes = &idx,
                             .nconstraints = 1,
                             .constraints = &con};
    memset(b, 0, sizeof *b);
    lc_ok(store_db_open(&b->db, &err), &err, "open");
    store_tx_t *tx;
    lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    lc_ok(store_create_table(tx, &def, &b->table, &err), &err, "create table");
    store_changeset_t cs;
    lc_ok(store_tx_commit(tx, &cs, &err), &err, "commit");
    lc_ok(dur_txdata_encode(&b->rec, &cs, lc_now_wall_us()), &err, "encode");
    lc_ok(dur_writer_submit(w, cs.tx_offset, b->rec.data, b->rec.len, &err), &err, "submit");
    store_changeset_free(&cs);
    lc_arena_free(&a);
    b->size = size;
    b->row = malloc(12 + size);
    if (b->row == NULL)
        die("out of memory");
    lc_store_u32le(b->row + 8, (uint32_t)size);
    for (size_t i = 0; i < size; i++) b->row[12 + i] = (uint8_t)rng_next();
}

static void blob_close(blob_db_t *b)
{
    store_db_close(b->db);
    free(b->row);
    lc_buf_free(&b->rec);
}

/* One transaction inserting one row, logged; returns its offset. */
static uint64_t blob_tx(blob_db_t *b, dur_writer_t *w)
{
    lc_err_t err = {0};
    uint64_t id = ++b->next_id;
    lc_store_u64le(b->row, id);
    lc_store_u64le(b->row + 12, id); /* every payload differs */
    store_tx_t *tx;
    lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    store_insert_result_t res;
    lc_ok(store_insert(tx, b->table, b->row, 12 + b->size, &res, &err), &err, "insert");
    if (res.existed)
        die("insert of blob %llu: row already there", (unsigned long long)id);
    store_changeset_t cs;
    lc_ok(store_tx_commit(tx, &cs, &err), &err, "commit");
    if (cs.tx_offset == 0 || cs.ntables != 1 || cs.tables[0].ninserts != 1)
        die("blob changeset: offset %llu, %u tables", (unsigned long long)cs.tx_offset, cs.ntables);
    lc_buf_reset(&b->rec);
    lc_ok(dur_txdata_encode(&b->rec, &cs, lc_now_wall_us()), &err, "encode");
    lc_ok(dur_writer_submit(w, cs.tx_offset, b->rec.data, b->rec.len, &err), &err, "submit");
    uint64_t off = cs.tx_offset;
    store_changeset_free(&cs);
    return off;
}

static dur_writer_t *writer_open(const char *dir)
{
    lc_err_t err = {0};
    dur_log_t *log;
    dur_log_open_info_t li;
    dur_writer_t *w;
    lc_ok(dur_log_open(dir, NULL, &log, &li, &err), &err, "log open");
    lc_ok(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, NULL, NULL, &w, &err), &err,
          "writer start");
    return w;
}

static void writer_close(dur_writer_t *w, uint64_t last)
{
    lc_err_t err = {0};
    dur_writer_stats_t st;
    dur_writer_stats(w, &st);
    if (st.records != last || dur_writer_durable(w) != last)
        die("writer: %llu records written, durable %llu, expected %llu",
            (unsigned long long)st.records, (unsigned long long)dur_writer_durable(w),
            (unsigned long long)last);
    lc_ok(dur_writer_stop(w, &err), &err, "writer stop");
}

/* ---------------------------------------------------------------- 2. pipelined */

static void log_pipelined(bool raw, size_t size, double seconds)
{
    lc_err_t err = {0};
    char dir[PATH_MAX], name[64];
    snprintf(name, sizeof name, "log-%s-%zu", raw ? "raw" : "store", size);
    subdir(dir, sizeof dir, name);
    dur_writer_t *w = writer_open(dir);
    blob_db_t b;
    uint8_t *payload = NULL;
    uint64_t last = 0;
    if (raw) {
        payload = malloc(size);
        if (payload == NULL)
            die("out of memory");
        for (size_t i = 0; i < size; i++) payload[i] = (uint8_t)rng_next();
    } else {
        blob_open(&b, w, size);
        last = 1;
        lc_ok(dur_writer_wait(w, last, -1), &err, "wait");
    }
    dur_writer_stats_t s0, s1;
    dur_writer_stats(w, &s0);
    double t0 = now_s(), end = t0 + seconds;
    for (uint64_t i = 0;; i++) {
        if ((i & 63) == 0 && now_s() >= end)
            break;
        if (raw) {
            last++;
            memcpy(payload, &last, size < 8 ? size : 8);
            lc_ok(dur_writer_submit(w, last, payload, size, &err), &err, "submit");
        } else {
            last = blob_tx(&b, w);
        }
    }
    double t_submit = now_s() - t0;
    lc_ok(dur_writer_wait(w, last, -1), &err, "wait");
    double t = now_s() - t0;
    dur_writer_stats(w, &s1);
    uint64_t txs = s1.records - s0.records, bytes = s1.bytes - s0.bytes,
             fsyncs = s1.fsyncs - s0.fsyncs;
    writer_close(w, last);
    if (!raw)
        blob_close(&b);
    free(payload);
    rm_tree(dir);
    double tps = (double)txs / t, mbps = (double)bytes / t / 1e6, fps = (double)fsyncs / t;
    double per_fsync = fsyncs ? (double)txs / (double)fsyncs : 0;
    fprintf(stderr,
            "  log %-5s %6zu B  %9.0f tx/s  %7.1f MB/s  %6.0f fsyncs/s  %7.1f tx/fsync  "
            "(record %.0f B, submitting took %.2f of %.2f s)\n",
            raw ? "raw" : "store", size, tps, mbps, fps, per_fsync, (double)bytes / (double)txs,
            t_submit, t);
    line("durability log mode=%s size=%zu tx_per_s=%.0f mb_per_s=%.1f fsyncs_per_s=%.0f "
         "tx_per_fsync=%.1f record_bytes=%.0f txs=%llu seconds=%.2f",
         raw ? "raw" : "store", size, tps, mbps, fps, per_fsync, (double)bytes / (double)txs,
         (unsigned long long)txs, t);
}

/* ---------------------------------------------------------------- 3. clients */

typedef struct clients {
    pthread_mutex_t mu;
    pthread_barrier_t start;
    blob_db_t b;
    dur_writer_t *w;
    uint64_t last; /* highest offset submitted (under mu) */
    double end;
} clients_t;

typedef struct client {
    clients_t *c;
    samples_t lat;
    pthread_t thread;
} client_t;

static void *client_main(void *p)
{
    client_t *cl = p;
    clients_t *c = cl->c;
    pthread_barrier_wait(&c->start);
    while (now_s() < c->end) {
        int64_t a = now_ns();
        pthread_mutex_lock(&c->mu);
        uint64_t off = blob_tx(&c->b, c->w);
        c->last = off;
        pthread_mutex_unlock(&c->mu);
        int rc = dur_writer_wait(c->w, off, -1);
        if (rc != LC_OK)
            die("wait for %llu: %s", (unsigned long long)off, lc_strerror(rc));
        samples_add(&cl->lat, now_ns() - a);
    }
    return NULL;
}

static void log_clients(size_t size, int n, double seconds)
{
    lc_err_t err = {0};
    char dir[PATH_MAX], name[64];
    snprintf(name, sizeof name, "clients-%zu-%d", size, n);
    subdir(dir, sizeof dir, name);
    clients_t c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    pthread_barrier_init(&c.start, NULL, (unsigned)n + 1);
    c.w = writer_open(dir);
    blob_open(&c.b, c.w, size);
    c.last = 1;
    lc_ok(dur_writer_wait(c.w, 1, -1), &err, "wait");
    client_t *cl = calloc((size_t)n, sizeof *cl);
    if (cl == NULL)
        die("out of memory");
    for (int i = 0; i < n; i++) {
        cl[i].c = &c;
        if (pthread_create(&cl[i].thread, NULL, client_main, &cl[i]) != 0)
            die("cannot start client threads");
    }
    dur_writer_stats_t s0, s1;
    dur_writer_stats(c.w, &s0);
    double t0 = now_s();
    c.end = t0 + seconds;
    pthread_barrier_wait(&c.start);
    samples_t all = {0};
    for (int i = 0; i < n; i++) {
        pthread_join(cl[i].thread, NULL);
        for (size_t k = 0; k < cl[i].lat.n; k++) samples_add(&all, cl[i].lat.v[k]);
        free(cl[i].lat.v);
    }
    double t = now_s() - t0;
    dur_writer_stats(c.w, &s1);
    uint64_t txs = s1.records - s0.records, fsyncs = s1.fsyncs - s0.fsyncs;
    if (txs != all.n)
        die("clients: %llu records written, %zu confirmed", (unsigned long long)txs, all.n);
    writer_close(c.w, c.last);
    blob_close(&c.b);
    free(cl);
    pthread_barrier_destroy(&c.start);
    pthread_mutex_destroy(&c.mu);
    rm_tree(dir);
    double tps = (double)txs / t, fps = (double)fsyncs / t;
    double p50 = quantile_us(&all, 0.5), p99 = quantile_us(&all, 0.99), mx = quantile_us(&all, 1.0);
    double per_fsync = fsyncs ? (double)txs / (double)fsyncs : 0;
    fprintf(stderr,
            "  clients %6zu B  n=%-3d %8.0f tx/s  p50 %7.0f us  p99 %7.0f us  max %7.0f us  "
            "%6.0f fsyncs/s  %5.1f tx/fsync\n",
            size, n, tps, p50, p99, mx, fps, per_fsync);
    line("durability clients size=%zu n=%d tx_per_s=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f "
         "fsyncs_per_s=%.0f tx_per_fsync=%.1f",
         size, n, tps, p50, p99, mx, fps, per_fsync);
    free(all.v);
}

/* ---------------------------------------------------------------- 4. recovery */

typedef struct bank {
    store_db_t *db;
    uint32_t accounts, ledger, acc_pk;
    store_rows_t rows;
    lc_buf_t rec;
} bank_t;

/* What must survive: per table, row count and the sum of row hashes. */
typedef struct digest {
    uint64_t accounts, accounts_hash, ledger, ledger_hash;
    int64_t money;
} digest_t;

static void bank_lookup(bank_t *k)
{
    if (store_table_id(k->db, "accounts", &k->accounts) != LC_OK ||
        store_table_id(k->db, "ledger", &k->ledger) != LC_OK ||
        store_index_id(k->db, "accounts_id", &k->acc_pk) != LC_OK)
        die("bank: tables missing");
}

/* Create the tables and seed the accounts, in one logged transaction. */
static void bank_create(bank_t *k, dur_writer_t *w)
{
    lc_err_t err = {0};
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *an[] = {"id", "balance"}, *ln[] = {"n", "from", "to", "amount"};
    const sats_type_t *at[] = {sats_prim(SATS_U32), sats_prim(SATS_I64)};
    const sats_type_t *lt[] = {sats_prim(SATS_U64), sats_prim(SATS_U32), sats_prim(SATS_U32),
                               sats_prim(SATS_I64)};
    static const uint16_t c0[] = {0};
    store_index_def_t aix = {"accounts_id", STORE_INDEX_BTREE, 1, c0};
    store_index_def_t lix = {"ledger_n", STORE_INDEX_BTREE, 1, c0};
    store_constraint_def_t acon = {"accounts_id_key", 1, c0}, lcon = {"ledger_n_key", 1, c0};
    store_table_def_t adef = {.name = "accounts",
                              .row_type = sats_type_product(&a, 2, an, at),
                              .primary_key = 0,
                              .type = STORE_TABLE_USER,
                              .nindexes = 1,
                              .indexes = &aix,
                              .nconstraints = 1,
                              .constraints = &acon};
    store_table_def_t ldef = {.name = "ledger",
                              .row_type = sats_type_product(&a, 4, ln, lt),
                              .primary_key = 0,
                              .type = STORE_TABLE_USER,
                              .nindexes = 1,
                              .indexes = &lix,
                              .nconstraints = 1,
                              .constraints = &lcon};
    store_tx_t *tx;
    lc_ok(store_tx_begin(k->db, &tx, &err), &err, "begin");
    lc_ok(store_create_table(tx, &adef, &k->accounts, &err), &err, "create accounts");
    lc_ok(store_create_table(tx, &ldef, &k->ledger, &err), &err, "create ledger");
    for (uint32_t i = 0; i < ACCOUNTS; i++) {
        uint8_t row[12];
        lc_store_u32le(row, i);
        lc_store_u64le(row + 4, START_BALANCE);
        store_insert_result_t res;
        lc_ok(store_insert(tx, k->accounts, row, sizeof row, &res, &err), &err, "seed");
    }
    store_changeset_t cs;
    lc_ok(store_tx_commit(tx, &cs, &err), &err, "commit");
    lc_ok(dur_txdata_encode(&k->rec, &cs, lc_now_wall_us()), &err, "encode");
    lc_ok(dur_writer_submit(w, cs.tx_offset, k->rec.data, k->rec.len, &err), &err, "submit");
    store_changeset_free(&cs);
    lc_arena_free(&a);
    bank_lookup(k);
}

static int64_t bank_balance(bank_t *k, store_tx_t *tx, uint32_t id)
{
    lc_err_t err = {0};
    uint8_t key[4];
    lc_store_u32le(key, id);
    k->rows.count = 0;
    lc_buf_reset(&k->rows.data);
    lc_ok(store_tx_index_point(tx, k->acc_pk, key, 4, &k->rows, &err), &err, "balance");
    if (k->rows.count != 1)
        die("account %u: %u rows", id, k->rows.count);
    return (int64_t)lc_load_u64le(k->rows.data.data + k->rows.offsets[0] + 4);
}

static void bank_set(bank_t *k, store_tx_t *tx, uint32_t id, int64_t balance)
{
    lc_err_t err = {0};
    uint8_t row[12];
    lc_store_u32le(row, id);
    lc_store_u64le(row + 4, (uint64_t)balance);
    store_insert_result_t res;
    lc_ok(store_update(tx, k->accounts, k->acc_pk, row, sizeof row, &res, &err), &err, "update");
}

/* Transfer n: two balances updated, ledger row n inserted; logged. */
static uint64_t bank_transfer(bank_t *k, dur_writer_t *w, uint64_t n)
{
    lc_err_t err = {0};
    uint64_t r = rng_next();
    uint32_t from = (uint32_t)(r % ACCOUNTS);
    uint32_t to = (from + 1 + (uint32_t)((r >> 20) % (ACCOUNTS - 1))) % ACCOUNTS;
    int64_t amount = 1 + (int64_t)((r >> 40) % 1000);
    store_tx_t *tx;
    lc_ok(store_tx_begin(k->db, &tx, &err), &err, "begin");
    bank_set(k, tx, from, bank_balance(k, tx, from) - amount);
    bank_set(k, tx, to, bank_balance(k, tx, to) + amount);
    uint8_t row[24];
    lc_store_u64le(row, n);
    lc_store_u32le(row + 8, from);
    lc_store_u32le(row + 12, to);
    lc_store_u64le(row + 16, (uint64_t)amount);
    store_insert_result_t res;
    lc_ok(store_insert(tx, k->ledger, row, sizeof row, &res, &err), &err, "ledger");
    store_changeset_t cs;
    lc_ok(store_tx_commit(tx, &cs, &err), &err, "commit");
    lc_buf_reset(&k->rec);
    lc_ok(dur_txdata_encode(&k->rec, &cs, lc_now_wall_us()), &err, "encode");
    lc_ok(dur_writer_submit(w, cs.tx_offset, k->rec.data, k->rec.len, &err), &err, "submit");
    uint64_t off = cs.tx_offset;
    store_changeset_free(&cs);
    return off;
}

static void table_digest(store_view_t *v, uint32_t table, uint64_t *count, uint64_t *hash,
                         int64_t *money)
{
    lc_err_t err = {0};
    store_rows_t rows;
    store_rows_init(&rows);
    lc_ok(store_view_scan(v, table, &rows, &err), &err, "scan");
    *count = rows.count;
    *hash = 0;
    for (uint32_t i = 0; i < rows.count; i++) {
        size_t end = i + 1 < rows.count ? rows.offsets[i + 1] : rows.data.len;
        const uint8_t *row = rows.data.data + rows.offsets[i];
        *hash += hash_bytes(row, end - rows.offsets[i]);
        if (money)
            *money += (int64_t)lc_load_u64le(row + 4);
    }
    store_rows_free(&rows);
}

static digest_t bank_digest(bank_t *k)
{
    lc_err_t err = {0};
    digest_t d = {0};
    store_view_t *v;
    lc_ok(store_view_open(k->db, &v, &err), &err, "view");
    table_digest(v, k->accounts, &d.accounts, &d.accounts_hash, &d.money);
    table_digest(v, k->ledger, &d.ledger, &d.ledger_hash, NULL);
    store_view_close(v);
    return d;
}

/* Recover dir, timed, and check the state; returns the database. */
static store_db_t *recover_checked(const char *dir, const digest_t *want, uint64_t last,
                                   uint64_t txs, bool snapshot, bool cold)
{
    lc_err_t err = {0};
    uint64_t bytes = tree_size(dir, cold);
    bank_t k = {0};
    dur_recovery_info_t info;
    double t0 = now_s();
    lc_ok(dur_recover(dir, &k.db, &info, &err), &err, "recover");
    double t = now_s() - t0;
    bank_lookup(&k);
    digest_t got = bank_digest(&k);
    if (memcmp(&got, want, sizeof got) != 0 || info.last_offset != last ||
        store_db_committed_offset(k.db) != last || (snapshot && info.snapshot_offset != last) ||
        (!snapshot && (info.snapshot_offset != 0 || info.replayed != last)))
        die("recovery (snapshot=%d): offset %llu (snapshot %llu, %llu replayed), %llu accounts, "
            "%llu ledger rows; expected offset %llu, %llu ledger rows, same hashes",
            snapshot, (unsigned long long)info.last_offset,
            (unsigned long long)info.snapshot_offset, (unsigned long long)info.replayed,
            (unsigned long long)got.accounts, (unsigned long long)got.ledger,
            (unsigned long long)last, (unsigned long long)want->ledger);
    double per_million = t / (double)txs * 1e6, mb = (double)bytes / 1e6;
    const char *cache = cold ? "cold" : "warm";
    if (snapshot) {
        uint64_t rows = got.accounts + got.ledger;
        fprintf(stderr,
                "  recovery snapshot %s %.2f s  (%llu rows restored, %.0f rows/s; %.1f MB "
                "on disk)\n",
                cache, t, (unsigned long long)rows, (double)rows / t, mb);
        line("durability recovery txs=%llu snapshot=yes cache=%s seconds=%.2f rows=%llu "
             "rows_per_s=%.0f records_replayed=%llu dir_mb=%.1f",
             (unsigned long long)txs, cache, t, (unsigned long long)rows, (double)rows / t,
             (unsigned long long)info.replayed, mb);
    } else {
        fprintf(stderr,
                "  recovery log      %s %.2f s  (%llu records replayed, %.0f tx/s of replay, "
                "%.2f s per million transactions; %.1f MB on disk)\n",
                cache, t, (unsigned long long)info.replayed, (double)txs / t, per_million, mb);
        line("durability recovery txs=%llu snapshot=no cache=%s seconds=%.2f "
             "replay_tx_per_s=%.0f seconds_per_million=%.2f records_replayed=%llu dir_mb=%.1f",
             (unsigned long long)txs, cache, t, (double)txs / t, per_million,
             (unsigned long long)info.replayed, mb);
    }
    return k.db;
}

static void recovery(uint64_t txs)
{
    lc_err_t err = {0};
    char dir[PATH_MAX];
    subdir(dir, sizeof dir, "bank");
    dur_writer_t *w = writer_open(dir);
    bank_t k = {0};
    store_rows_init(&k.rows);
    lc_ok(store_db_open(&k.db, &err), &err, "open");
    bank_create(&k, w);
    uint64_t last = 1;
    dur_writer_stats_t s0, s1;
    dur_writer_stats(w, &s0);
    double t0 = now_s();
    for (uint64_t n = 1; n <= txs; n++) {
        last = bank_transfer(&k, w, n);
        if (n % 200000 == 0)
            fprintf(stderr, "  ... %llu transfers, %.1f s\n", (unsigned long long)n, now_s() - t0);
    }
    lc_ok(dur_writer_wait(w, last, -1), &err, "wait");
    double t = now_s() - t0;
    dur_writer_stats(w, &s1);
    writer_close(w, last);
    digest_t want = bank_digest(&k);
    if (want.accounts != ACCOUNTS || want.ledger != txs ||
        want.money != (int64_t)ACCOUNTS * START_BALANCE || last != txs + 1)
        die("bank after %llu transfers: %llu accounts, %llu ledger rows, offset %llu",
            (unsigned long long)txs, (unsigned long long)want.accounts,
            (unsigned long long)want.ledger, (unsigned long long)last);
    store_db_close(k.db);
    store_rows_free(&k.rows);
    lc_buf_free(&k.rec);
    uint64_t recs = s1.records - s0.records, fsyncs = s1.fsyncs - s0.fsyncs;
    char clog[PATH_MAX + 8];
    snprintf(clog, sizeof clog, "%s/clog", dir);
    double log_mb = (double)tree_size(clog, false) / 1e6;
    fprintf(stderr,
            "  bank: %llu transfers logged in %.2f s (%.0f tx/s pipelined, %llu fsyncs, %.0f "
            "tx/fsync), log %.1f MB (%.0f B per transaction on disk)\n",
            (unsigned long long)txs, t, (double)recs / t, (unsigned long long)fsyncs,
            fsyncs ? (double)recs / (double)fsyncs : 0, log_mb, log_mb * 1e6 / (double)last);
    line("durability bank_generate txs=%llu seconds=%.2f tx_per_s=%.0f fsyncs=%llu "
         "tx_per_fsync=%.0f log_mb=%.1f log_bytes_per_tx=%.0f",
         (unsigned long long)txs, t, (double)recs / t, (unsigned long long)fsyncs,
         fsyncs ? (double)recs / (double)fsyncs : 0, log_mb, log_mb * 1e6 / (double)last);

    /* opening the log alone (it scans the last segment), cold then warm */
    for (int cold = 1; cold >= 0; cold--) {
        tree_size(clog, cold);
        dur_log_t *log;
        dur_log_open_info_t li;
        t0 = now_s();
        lc_ok(dur_log_open(dir, NULL, &log, &li, &err), &err, "log open");
        lc_ok(dur_log_close(log, &err), &err, "log close");
        t = now_s() - t0;
        if (li.last_offset != last)
            die("log open: last offset %llu, expected %llu", (unsigned long long)li.last_offset,
                (unsigned long long)last);
        fprintf(stderr, "  log open + close %s: %.3f s (%u segment(s), %.1f MB)\n",
                cold ? "cold" : "warm", t, li.segments, log_mb);
        line("durability log_open cache=%s seconds=%.3f segments=%u log_mb=%.1f",
             cold ? "cold" : "warm", t, li.segments, log_mb);
    }

    /* from the log alone, cold then warm; the warm copy takes the snapshot */
    store_db_close(recover_checked(dir, &want, last, txs, false, true));
    store_db_t *db = recover_checked(dir, &want, last, txs, false, false);
    store_view_t *v;
    lc_ok(store_view_open(db, &v, &err), &err, "view");
    t0 = now_s();
    lc_ok(dur_snapshot_write(dir, db, v, 1, &err), &err, "snapshot");
    t = now_s() - t0;
    store_view_close(v);
    store_db_close(db);
    char snaps[PATH_MAX + 16];
    snprintf(snaps, sizeof snaps, "%s/snapshots", dir);
    double snap_mb = (double)tree_size(snaps, false) / 1e6;
    fprintf(stderr, "  snapshot of %llu rows written in %.2f s, %.1f MB\n",
            (unsigned long long)(want.accounts + want.ledger), t, snap_mb);
    line("durability snapshot_write rows=%llu seconds=%.2f snapshot_mb=%.1f",
         (unsigned long long)(want.accounts + want.ledger), t, snap_mb);

    /* from the snapshot (nothing to replay after it), cold then warm */
    store_db_close(recover_checked(dir, &want, last, txs, true, true));
    store_db_close(recover_checked(dir, &want, last, txs, true, false));
    rm_tree(dir);
}

/* ---------------------------------------------------------------- main */

#define USAGE "usage: bench_durability [recovery_txs [seconds [fsync,log,clients,recovery]]]"

int main(int argc, char **argv)
{
    uint64_t txs = 1000000;
    double seconds = 3;
    if (argc > 1) {
        long long v = strtoll(argv[1], NULL, 10);
        if (v < 1 || v > 100000000)
            die(USAGE);
        txs = (uint64_t)v;
    }
    if (argc > 2 && (seconds = strtod(argv[2], NULL)) <= 0)
        die(USAGE);
    const char *parts = argc > 3 ? argv[3] : "fsync,log,clients,recovery";
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/lightcone-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL)
        die("cannot create a directory in %s", tmp && *tmp ? tmp : "/tmp");
    atexit(cleanup);
    lc_log_set_level(LC_LOG_WARN);
    fprintf(stderr, "bench_durability: in %s, %.1f s per case, %llu transactions to recover\n",
            root, seconds, (unsigned long long)txs);

    static const size_t sizes[] = {100, 1024, 10240};
    static const int nclients[] = {1, 16, 64};
    if (strstr(parts, "fsync")) {
        fsync_probe(true, seconds);
        fsync_probe(false, seconds);
    }
    for (size_t i = 0; strstr(parts, "log") && i < LC_ARRAY_LEN(sizes); i++)
        log_pipelined(true, sizes[i], seconds);
    for (size_t i = 0; strstr(parts, "log") && i < LC_ARRAY_LEN(sizes); i++)
        log_pipelined(false, sizes[i], seconds);
    for (size_t i = 0; strstr(parts, "clients") && i < LC_ARRAY_LEN(sizes); i++)
        for (size_t j = 0; j < LC_ARRAY_LEN(nclients); j++)
            log_clients(sizes[i], nclients[j], seconds);
    if (strstr(parts, "recovery"))
        recovery(txs);

    printf("\n");
    for (int i = 0; i < nlines; i++) printf("%s\n", lines[i]);
    return 0;
}
