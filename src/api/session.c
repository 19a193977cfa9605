/*
 * session.c — the WebSocket sessions of GET /v1/database/:db/subscribe
 * (../shared/spec/protocol.md §1-§4, §6): one per client connection, speaking
 * v3, v2 or the legacy v1 (bsatn or json; session_v1.c) to one
 * database, and the per-database fan-out of committed transactions to the
 * sessions' subscriptions.
 *
 * Threads.  A session is touched by four kinds of thread:
 *   loop        net's callbacks on_message and on_close (never block);
 *   worker      this file's small pool: db_connect and db_disconnect (they
 *               wait for the executor) and the final free (dropping the
 *               database reference may close the database);
 *   executor    everything that reads or changes subscriptions: Subscribe,
 *               Unsubscribe, OneOffQuery, CallProcedure (db_exec), reducer
 *               results (db_call's callback), the commit fan-out;
 *   durability  api_sessions_on_durable releases held messages.
 *
 * Session states (s->state, under s->mu):
 *
 *   state       entered by                    left by
 *   ACCEPTED    api_session_start             do_connect -> CONNECTING
 *                                             on_close   -> CLOSED
 *   CONNECTING  do_connect: db_connect runs   do_connect -> OPEN (InitialConnection
 *                                               sent, queued input flushed)
 *                                             do_connect -> CLOSED (refused: Close sent)
 *                                             on_close   -> CLOSING
 *   OPEN        do_connect                    on_close   -> CLOSING (disconnect queued)
 *   CLOSING     on_close                      do_disconnect -> CLOSED; do_connect, when
 *                                               the socket closed while it connected
 *   CLOSED      the above                     last reference -> session_free
 *
 * Invariants:
 *   1. InitialConnection is the first message: no client message reaches
 *      the executor before it is sent; input arriving earlier waits in
 *      s->inq and is flushed, in order, by do_connect.
 *   2. Client messages go to the executor in arrival order (db_call and
 *      db_exec share one FIFO per database), so they are handled in that
 *      order, and every answer, update and initial row set is produced in
 *      executor order.
 *   3. A session is in its database's list (sd->head) from accept to
 *      on_close; while listed it is alive (the net's reference is dropped
 *      only after it leaves the list).
 *   4. s->sets is touched only on the executor (and by the final free,
 *      after the last reference).
 *   5. The last reference is dropped on a worker: db_entry_release may
 *      close the database, which joins the executor and syncs the log.
 *   6. A session that db_connect accepted gets exactly one db_disconnect.
 *
 * Queries.  `SELECT * FROM t` (and `SELECT * FROM *`) subscribe to a whole
 * table: its changes go out as the changeset has them.  Every other query
 * (filters, joins, :sender) is compiled by src/subs into a subs_query_t
 * shared by all sessions of the database that subscribed to the same
 * normalised query; each set holds a reference per query.  Compiled
 * queries borrow the module definition: sess__subs_sync recompiles them when a
 * publish replaced it, before any use on the executor.
 *
 * Fan-out and confirmed reads, for a transaction T committed on the
 * executor:
 *   0. No session with a query set: api_sessions_on_commit returns after
 *      one counter load (sd->nsubscribed).
 *   1. db calls api_sessions_on_commit(cs, caller) before the caller's
 *      db_call callback.  The sessions with subscriptions are taken from
 *      the list (a reference each); the caller's own session (same
 *      identity and connection id) is skipped.
 *   2. Each changed table's inserts and deletes become wire row lists once
 *      per transaction, shared by every session; every compiled query is
 *      evaluated once (subs_eval, even when only the caller subscribed)
 *      and its delta rows are copied once into the transaction's arena,
 *      shared by all its subscribers.
 *   3. Per session: per query set (ascending id), per subscribed table
 *      (ascending name) that T changed, one TableUpdate (EventTable rows
 *      for event tables); one TransactionUpdate if anything, else nothing.
 *      The executor builds these descriptors; the fan-out thread encodes,
 *      compresses and sends them (section "fan-out thread"), and a
 *      session's other messages wait behind its queued ones.
 *   4. The caller's db_call callback builds the same for its own session
 *      inside ReducerResult Ok; failures become Err or InternalError.
 *   5. A message carrying rows of T (TransactionUpdate, ReducerResult Ok,
 *      SubscribeApplied, UnsubscribeApplied, OneOffQueryResult read at T)
 *      to a confirmed session is sent at once only if nothing is held and
 *      db_durable_offset >= T; otherwise it joins the tail of s->held.  The
 *      check and the append happen under s->mu.  A session holding more
 *      than HELD_MAX bytes (a log that cannot sync) is closed with 1008.
 *   6. The durability thread publishes the durable offset D, then calls
 *      api_sessions_on_durable(D), which under each s->mu sends held
 *      messages from the head while their offset <= D.  D is published
 *      before step 6 takes s->mu, so a message appended in step 5 is either
 *      seen by step 6 or was sent by step 5: none is stranded.
 *   7. Errors (SubscriptionError, ReducerResult Err and InternalError,
 *      ProcedureResult) and InitialConnection are never held.
 *   8. In-memory databases are durable at once (their durable offset is
 *      the committed one), so nothing is ever held there.
 */
#include <brotli/encode.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "api/session_priv.h"

/* Server preference order (§1.2). */
static const char *const PROTOCOLS[] = {"v3.bsatn.spacetimedb", "v2.bsatn.spacetimedb",
                                        "v1.bsatn.spacetimedb", "v1.json.spacetimedb"};
enum { PROTO_V3, PROTO_V2, PROTO_V1_BSATN, PROTO_V1_JSON };

#define COMPRESS_MIN 1024 /* bodies up to this size go uncompressed (§1.5) */
#define WORKERS_MAX  4
/* Bytes a session may hold for confirmed reads; past it (a log that cannot
 * sync) the client is disconnected rather than the server's memory. */
#define HELD_MAX       ((size_t)64 << 20)
#define TABLE_NAME_MAX 256

#define NO_SUCH_TABLE  "no such table: `%s`. If the table exists, it may be marked private."
#define UNSUPPORTED    "unsupported query (SELECT * FROM * is for Subscribe only): %s"

/* ---------------------------------------------------------------- worker pool
 *
 * Jobs that block (db_connect, db_disconnect) or may block (the final
 * free) run here, never on a loop or the executor.  Threads are started on
 * demand, up to WORKERS_MAX, and exit when the queue is empty.  W also
 * counts each api's live sessions for api_sessions_drain. */

typedef struct api_live {
    api_t *api;
    uint64_t n;
    struct api_live *next;
} api_live_t;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t freed; /* a session was freed */
    session_t *head, *tail;
    unsigned running;
    api_live_t *lives;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER};

static _Thread_local bool on_worker;

static void run_job(session_t *s, job_kind_t k);

static void *worker_main(void *arg)
{
    (void)arg;
    on_worker = true;
    pthread_mutex_lock(&W.mu);
    while (W.head) {
        session_t *s = W.head;
        W.head = s->job_next;
        if (!W.head)
            W.tail = NULL;
        job_kind_t k = s->job;
        s->job_next = NULL;
        s->job = JOB_NONE;
        pthread_mutex_unlock(&W.mu);
        run_job(s, k);
        pthread_mutex_lock(&W.mu);
    }
    W.running--;
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

/* Queue job k for s (s is in the queue at most once: every queued job holds
 * a reference, and JOB_FREE is queued only when none is left). */
static void worker_post(session_t *s, job_kind_t k)
{
    pthread_mutex_lock(&W.mu);
    LC_ASSERT(s->job == JOB_NONE);
    s->job = k;
    s->job_next = NULL;
    if (W.tail)
        W.tail->job_next = s;
    else
        W.head = s;
    W.tail = s;
    if (W.running < WORKERS_MAX) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, NULL) == 0)
            W.running++;
        else if (W.running == 0)
            lc_log_error("sessions: cannot start a worker thread; the job waits for the next");
        pthread_attr_destroy(&attr);
    }
    pthread_mutex_unlock(&W.mu);
}

static int live_inc(api_t *api)
{
    pthread_mutex_lock(&W.mu);
    api_live_t *l = W.lives;
    while (l && l->api != api) l = l->next;
    if (!l && (l = lc_calloc(1, sizeof *l))) {
        l->api = api;
        l->next = W.lives;
        W.lives = l;
    }
    if (l)
        l->n++;
    pthread_mutex_unlock(&W.mu);
    return l ? LC_OK : LC_ENOMEM;
}

static void live_dec(api_t *api)
{
    pthread_mutex_lock(&W.mu);
    for (api_live_t **pl = &W.lives; *pl; pl = &(*pl)->next) {
        api_live_t *l = *pl;
        if (l->api == api) {
            if (--l->n == 0) {
                *pl = l->next;
                lc_free(l);
            }
            break;
        }
    }
    pthread_cond_broadcast(&W.freed);
    pthread_mutex_unlock(&W.mu);
}

void api_sessions_drain(api_t *api)
{
    pthread_mutex_lock(&W.mu);
    for (;;) {
        api_live_t *l = W.lives;
        while (l && l->api != api) l = l->next;
        if (!l)
            break;
        pthread_cond_wait(&W.freed, &W.mu);
    }
    pthread_mutex_unlock(&W.mu);
}

/* ---------------------------------------------------------------- references */

static void sd_unref(sess_db_t *sd)
{
    if (atomic_fetch_sub_explicit(&sd->refs, 1, memory_order_acq_rel) != 1)
        return;
    LC_ASSERT(sd->head == NULL && sd->fan_head == NULL);
    subs_mgr_free(sd->subs);
    lc_buf_free(&sd->reply);
    pthread_mutex_destroy(&sd->mu);
    pthread_mutex_destroy(&sd->fan_mu);
    pthread_cond_destroy(&sd->fan_work);
    pthread_cond_destroy(&sd->fan_room);
    lc_free(sd);
}

/* e's session state with a reference, or NULL (create: make it). */
static sess_db_t *sd_get(api_t *api, db_entry_t *e, bool create)
{
    lc_err_t err;
    pthread_mutex_lock(&api->mu);
    sess_db_t *sd = e->user;
    if (!sd && create && (sd = lc_calloc(1, sizeof *sd))) {
        if (subs_mgr_new(&sd->subs, &err)) {
            lc_free(sd);
            sd = NULL;
        } else {
            atomic_init(&sd->refs, 1); /* e->user's */
            pthread_mutex_init(&sd->mu, NULL);
            pthread_mutex_init(&sd->fan_mu, NULL);
            pthread_cond_init(&sd->fan_work, NULL);
            pthread_cond_init(&sd->fan_room, NULL);
            sd->api = api;
            e->user = sd;
        }
    }
    if (sd)
        atomic_fetch_add_explicit(&sd->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&api->mu);
    return sd;
}

void sess__ref(session_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

static void session_free(session_t *s);

static void sess_unref(session_t *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (on_worker)
        session_free(s);
    else
        worker_post(s, JOB_FREE); /* invariant 5 */
}

void sess__qset_free(session_t *s, qset_t *q)
{
    for (uint32_t i = 0; i < q->ntables; i++) {
        lc_free(q->tables[i].name);
        subs_release(s->sd->subs, q->tables[i].q);
    }
    lc_free(q->tables);
}

/* Keep sd->nsubscribed in step after s->nsets went from before. */
void sess__sets_counted(session_t *s, uint32_t before)
{
    if (before == 0 && s->nsets > 0)
        atomic_fetch_add(&s->sd->nsubscribed, 1);
    else if (before > 0 && s->nsets == 0)
        atomic_fetch_sub(&s->sd->nsubscribed, 1);
}

static void held_free_all(session_t *s)
{
    for (held_t *h = s->held_head, *next; h; h = next) {
        next = h->next;
        lc_free(h);
    }
    s->held_head = s->held_tail = NULL;
    s->held_bytes = 0;
}

static void inq_free_all(session_t *s)
{
    for (uint32_t i = 0; i < s->ninq; i++) net_ws_msg_free(s->inq[i]);
    s->ninq = 0;
}

static void session_free(session_t *s)
{
    api_t *api = s->api;
    for (uint32_t i = 0; i < s->nsets; i++) sess__qset_free(s, &s->sets[i]);
    atomic_fetch_sub(&api->stats.subscriptions, s->nsets);
    if (s->nsets > 0)
        atomic_fetch_sub(&s->sd->nsubscribed, 1);
    lc_free(s->sets);
    held_free_all(s);
    inq_free_all(s);
    lc_free(s->inq);
    api_caller_free(&s->caller);
    net_ws_unref(s->ws);
    pthread_mutex_destroy(&s->mu);
    if (s->sd)
        sd_unref(s->sd);
    db_entry_release(s->e); /* may close the database: a worker thread (invariant 5) */
    lc_free(s);
    live_dec(api);
}

/* ---------------------------------------------------------------- sending */

uint8_t api__compression_for(uint8_t want, size_t n)
{
    return want == NET_COMPRESSION_NONE || n <= COMPRESS_MIN ? NET_COMPRESSION_NONE : want;
}

static int gzip_into(const uint8_t *body, size_t n, lc_buf_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip stream with its header (RFC 1952). */
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return LC_ENOMEM;
    size_t bound = deflateBound(&z, (uLong)n);
    int rc = lc_buf_reserve(out, bound);
    if (rc == LC_OK) {
        z.next_in = (Bytef *)body;
        z.avail_in = (uInt)n;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)bound;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END)
            out->len += bound - z.avail_out;
        else
            rc = LC_EIO;
    }
    deflateEnd(&z);
    return rc;
}

static int brotli_into(const uint8_t *body, size_t n, lc_buf_t *out)
{
    size_t cap = BrotliEncoderMaxCompressedSize(n);
    if (cap == 0)
        return LC_ERANGE;
    int rc = lc_buf_reserve(out, cap);
    if (rc)
        return rc;
    if (!BrotliEncoderCompress(1, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, body, &cap,
                               out->data + out->len))
        return LC_EIO;
    out->len += cap;
    return LC_OK;
}

int api__compress(uint8_t tag, const uint8_t *body, size_t n, lc_buf_t *out)
{
    size_t start = out->len;
    int rc = lc_buf_putc(out, tag);
    if (rc == LC_OK && n > UINT32_MAX && tag == NET_COMPRESSION_GZIP)
        rc = LC_ERANGE; /* zlib counts in 32 bits */
    if (rc == LC_OK) {
        if (tag == NET_COMPRESSION_GZIP)
            rc = gzip_into(body, n, out);
        else if (tag == NET_COMPRESSION_BROTLI)
            rc = brotli_into(body, n, out);
        else
            rc = lc_buf_append(out, body, n);
    }
    if (rc)
        out->len = start;
    return rc;
}

/* Close the socket for a failure of the session (1011 unless told). */
void sess__fail_locked(session_t *s, int code, const char *reason)
{
    if (!s->failed) {
        s->failed = true;
        if (s->ws) /* else api_session_start closes it after accept */
            net_ws_close(s->ws, code, reason);
    }
}

static void fail(session_t *s, int code, const char *reason)
{
    pthread_mutex_lock(&s->mu);
    sess__fail_locked(s, code, reason);
    pthread_mutex_unlock(&s->mu);
}

/* Send or hold one finished payload (invariants 5-7 of the fan-out). */
static void send_payload(session_t *s, const uint8_t *p, size_t n, bool rows, uint64_t offset)
{
    pthread_mutex_lock(&s->mu);
    if (s->failed || s->state >= SS_CLOSING) {
        /* dropped: the client is going */
    } else if (rows && s->confirmed && (s->held_head || offset > db_durable_offset(s->e->db))) {
        held_t *h = s->held_bytes + n <= HELD_MAX ? lc_malloc(sizeof *h + n) : NULL;
        if (h) {
            s->held_bytes += n;
            h->next = NULL;
            h->offset = offset;
            h->len = n;
            memcpy(h->data, p, n);
            if (s->held_tail)
                s->held_tail->next = h;
            else
                s->held_head = h;
            s->held_tail = h;
        } else {
            sess__fail_locked(s, NET_WS_POLICY, "too many messages waiting for durability");
        }
    } else if (db_running_alone(s->e->db)) {
        /* The only work on the executor (one client, light load): write it
         * now rather than wake the loop to do it. */
        net_ws_send_urgent(s->ws, !s->json, p, n);
    } else {
        net_ws_send(s->ws, !s->json, p, n); /* LC_EIO: closing; net handles slow clients */
    }
    pthread_mutex_unlock(&s->mu);
}

/* p[0..n) holds one message led by the tag 00: compress it as the client
 * asked, then send or hold it. */
static void deliver_bytes(session_t *s, const uint8_t *p, size_t n, bool rows, uint64_t offset)
{
    if (s->json) { /* v1.json: plain JSON text, never compressed (§1.5) */
        send_payload(s, p, n, rows, offset);
        return;
    }
    lc_buf_t z;
    lc_buf_init(&z);
    uint8_t tag = api__compression_for(s->compression, n - 1);
    /* On a compressor failure tag 0 goes out: always valid (§1.5). */
    if (tag != NET_COMPRESSION_NONE && api__compress(tag, p + 1, n - 1, &z) == LC_OK) {
        p = z.data;
        n = z.len;
    }
    send_payload(s, p, n, rows, offset);
    lc_buf_free(&z);
}

static int fan_message(session_t *s, const uint8_t *p, size_t n, bool rows, uint64_t offset);

/* b holds one message led by the tag 00: delivered now, or behind the
 * session's messages already in the fan-out queue (so that a client's
 * messages keep the order the executor made them in).  b is reset. */
void sess__deliver(session_t *s, lc_buf_t *b, bool rows, uint64_t offset)
{
    if (atomic_load(&s->queued) == 0)
        deliver_bytes(s, b->data, b->len, rows, offset);
    else if (fan_message(s, b->data, b->len, rows, offset))
        fail(s, NET_WS_INTERNAL_ERROR, "internal error: out of memory");
    lc_buf_reset(b);
}

/* An encoder failed: the client would miss data, so it goes. */
void sess__encode_failed(session_t *s, const lc_err_t *err)
{
    lc_log_error("session: cannot encode a message: %s", err->msg);
    fail(s, NET_WS_INTERNAL_ERROR, "internal error: cannot encode a message");
}

/* ---------------------------------------------------------------- fan-out thread
 *
 * A transaction's updates for its subscribers are encoded, compressed and
 * sent by a thread of the database's own, not by the executor, which goes
 * on to the next transaction meanwhile.  The executor still decides who
 * gets which rows (fan-out steps 1-3: row lists built once per transaction
 * and copied into the job's arena, so the job outlives the next
 * evaluation); the thread does the per-client work.  The thread runs while
 * there is work and FAN_IDLE_MS after; a full queue (FAN_MAX_JOBS) makes
 * the executor wait, so a slow fan-out slows writers instead of growing
 * without bound.
 *
 * Order: s->queued counts a session's items in the queue.  The executor
 * sends a session's other messages (ReducerResult, SubscribeApplied, ...)
 * directly only while it is 0, else queues them behind; the thread
 * decrements it only after the item was handed to send_payload. */

#define FAN_MAX_JOBS 256
#define FAN_IDLE_MS  200

typedef struct fan_item {
    session_t *s; /* a reference */
    /* A TransactionUpdate to encode (in the job's arena), or, if sets is
     * NULL, a finished message (lc_malloc'd). */
    const net_query_set_update_t *sets;
    uint32_t nsets;
    uint8_t *msg;
    size_t len;
    bool rows;
    uint64_t offset;
} fan_item_t;

typedef struct fan_job {
    struct fan_job *next;
    lc_arena_t arena; /* a transaction's rows and update descriptors */
    uint32_t n;
    fan_item_t *items; /* lc_malloc'd */
} fan_job_t;

static void fan_job_free(fan_job_t *j)
{
    lc_arena_free(&j->arena);
    lc_free(j->items);
    lc_free(j);
}

static void fan_run(fan_job_t *j)
{
    lc_buf_t b;
    lc_buf_init(&b);
    for (uint32_t i = 0; i < j->n; i++) {
        fan_item_t *it = &j->items[i];
        session_t *s = it->s;
        lc_err_t err;
        if (!it->sets) {
            deliver_bytes(s, it->msg, it->len, it->rows, it->offset);
            lc_free(it->msg);
        } else if (net_v2_encode_transaction_update(&b, true, it->sets, it->nsets, &err)) {
            sess__encode_failed(s, &err);
        } else {
            deliver_bytes(s, b.data, b.len, true, it->offset);
        }
        lc_buf_reset(&b);
        atomic_fetch_sub(&s->queued, 1);
        sess_unref(s);
    }
    lc_buf_free(&b);
}

static void *fan_main(void *arg)
{
    sess_db_t *sd = arg;
    pthread_mutex_lock(&sd->fan_mu);
    for (;;) {
        if (!sd->fan_head) {
            if (sd->fan_stop)
                break;
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += FAN_IDLE_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            if (pthread_cond_timedwait(&sd->fan_work, &sd->fan_mu, &until) && !sd->fan_head)
                break;
            continue;
        }
        fan_job_t *j = sd->fan_head;
        if (!(sd->fan_head = j->next))
            sd->fan_tail = NULL;
        sd->fan_len--;
        pthread_cond_signal(&sd->fan_room);
        pthread_mutex_unlock(&sd->fan_mu);
        fan_run(j);
        fan_job_free(j);
        pthread_mutex_lock(&sd->fan_mu);
    }
    sd->fan_running = false;
    pthread_cond_broadcast(&sd->fan_room);
    pthread_mutex_unlock(&sd->fan_mu);
    api_t *api = sd->api;
    sd_unref(sd);
    live_dec(api); /* api_sessions_drain waits for this thread too */
    return NULL;
}

/* Start the thread (under sd->fan_mu): it holds a reference to sd and
 * counts as a live session of the api. */
static int fan_start(sess_db_t *sd)
{
    if (live_inc(sd->api))
        return LC_ENOMEM;
    atomic_fetch_add(&sd->refs, 1);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, fan_main, sd);
    pthread_attr_destroy(&attr);
    if (rc) {
        atomic_fetch_sub(&sd->refs, 1); /* not the last: the caller holds one */
        live_dec(sd->api);
        return LC_EIO;
    }
    sd->fan_running = true;
    return LC_OK;
}

/* Queue j (executor), or run it here if no thread can be started. */
static void fan_push(sess_db_t *sd, fan_job_t *j)
{
    pthread_mutex_lock(&sd->fan_mu);
    while (sd->fan_running && sd->fan_len >= FAN_MAX_JOBS)
        pthread_cond_wait(&sd->fan_room, &sd->fan_mu);
    if (!sd->fan_running && fan_start(sd)) {
        /* The queue is empty (no thread): sending here keeps the order. */
        pthread_mutex_unlock(&sd->fan_mu);
        lc_log_warn("sessions: cannot start a fan-out thread; sending on the executor");
        fan_run(j);
        fan_job_free(j);
        return;
    }
    j->next = NULL;
    if (sd->fan_tail)
        sd->fan_tail->next = j;
    else
        sd->fan_head = j;
    sd->fan_tail = j;
    sd->fan_len++;
    pthread_cond_signal(&sd->fan_work);
    pthread_mutex_unlock(&sd->fan_mu);
}

/* Queue a finished message for s behind its queued items (sess__deliver). */
static int fan_message(session_t *s, const uint8_t *p, size_t n, bool rows, uint64_t offset)
{
    fan_job_t *j = lc_calloc(1, sizeof *j);
    fan_item_t *it = j ? lc_calloc(1, sizeof *it) : NULL;
    uint8_t *copy = it ? lc_malloc(n ? n : 1) : NULL;
    if (!copy) {
        lc_free(it);
        lc_free(j);
        return LC_ENOMEM;
    }
    memcpy(copy, p, n);
    lc_arena_init(&j->arena, 0);
    sess__ref(s);
    atomic_fetch_add(&s->queued, 1);
    *it = (fan_item_t){.s = s, .msg = copy, .len = n, .rows = rows, .offset = offset};
    j->n = 1;
    j->items = it;
    fan_push(s->sd, j);
    return LC_OK;
}

/* Cut s to its longest valid UTF-8 prefix (module messages are cut to a
 * fixed size, maybe inside a character). */
void sess__utf8_trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && !sats_utf8_valid(s, n)) n--;
    s[n] = '\0';
}

/* ---------------------------------------------------------------- row lists */

/* A row list from separate rows, copied into one block of a (RowOffsets,
 * or FixedSize when every row has the same non-zero size). */
static int rows_from_ptrs(lc_arena_t *a, const uint8_t *const *rows, const uint32_t *lens,
                          uint32_t n, net_row_list_t *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return LC_OK;
    size_t total = 0;
    bool same = true;
    for (uint32_t i = 0; i < n; i++) {
        total += lens[i];
        same = same && lens[i] == lens[0];
    }
    uint8_t *data = lc_arena_alloc(a, total ? total : 1);
    uint32_t *offs = lc_arena_alloc(a, n * sizeof *offs);
    if (!data || !offs || total > UINT32_MAX)
        return LC_ENOMEM;
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        offs[i] = (uint32_t)at;
        memcpy(data + at, rows[i], lens[i]);
        at += lens[i];
    }
    out->data = data;
    out->len = total;
    out->nrows = n;
    out->offsets = offs;
    if (same && lens[0] > 0 && lens[0] <= UINT16_MAX)
        out->fixed_size = (uint16_t)lens[0];
    return LC_OK;
}

/* The same over a scan result (rows borrowed from rs). */
void sess__rows_from_scan(const store_rows_t *rs, net_row_list_t *out)
{
    memset(out, 0, sizeof *out);
    if (rs->count == 0)
        return;
    out->data = rs->data.data;
    out->len = rs->data.len;
    out->nrows = rs->count;
    out->offsets = rs->offsets;
    size_t size = rs->data.len / rs->count;
    bool same = size > 0 && size <= UINT16_MAX && size * rs->count == rs->data.len;
    for (uint32_t i = 0; same && i < rs->count; i++) same = rs->offsets[i] == i * size;
    if (same)
        out->fixed_size = (uint16_t)size;
}

/* The same over a compiled query's delta rows (shared by every subscriber
 * of the query until the next transaction). */
void sess__rows_from_subs(const subs_rows_t *r, net_row_list_t *out)
{
    store_rows_t rs = {.data = {.data = (uint8_t *)r->data, .len = r->len},
                       .count = r->nrows,
                       .offsets = (uint32_t *)r->offsets};
    sess__rows_from_scan(&rs, out);
}

/* ---------------------------------------------------------------- transaction updates */

int sess__tx_rows_init(tx_rows_t *tr, const store_changeset_t *cs)
{
    tr->cs = cs;
    lc_arena_init(&tr->arena, 64 * 1024);
    lc_map_init(&tr->query_rows);
    tr->t = cs->ntables ? lc_arena_zalloc(&tr->arena, cs->ntables * sizeof *tr->t) : NULL;
    return cs->ntables && !tr->t ? LC_ENOMEM : LC_OK;
}

void sess__tx_rows_free(tx_rows_t *tr)
{
    lc_map_free(&tr->query_rows);
    lc_arena_free(&tr->arena);
}

/* r copied into a, as a row list. */
static int rows_copy(lc_arena_t *a, const subs_rows_t *r, net_row_list_t *out)
{
    subs_rows_t c = *r;
    if (r->nrows > 0) {
        c.data = lc_arena_memdup(a, r->data, r->len ? r->len : 1);
        c.offsets = lc_arena_memdup(a, r->offsets, r->nrows * sizeof *r->offsets);
        if (!c.data || !c.offsets)
            return LC_ENOMEM;
    }
    sess__rows_from_subs(&c, out);
    return LC_OK;
}

/* q's delta rows for this transaction, copied once into tr. */
static int tx_query_rows(tx_rows_t *tr, const subs_query_t *q, const subs_rows_t *ins,
                         const subs_rows_t *del, const query_rows_t **out)
{
    query_rows_t *r = lc_map_get(&tr->query_rows, &q, sizeof q);
    if (!r) {
        if (!(r = lc_arena_zalloc(&tr->arena, sizeof *r)) || rows_copy(&tr->arena, ins, &r->ins) ||
            rows_copy(&tr->arena, del, &r->del) ||
            lc_map_put(&tr->query_rows, &q, sizeof q, r, NULL))
            return LC_ENOMEM;
    }
    *out = r;
    return LC_OK;
}

/* The changes of table_id in the transaction; NULL if it did not change. */
const tx_table_t *sess__tx_rows_table(tx_rows_t *tr, uint32_t table_id,
                                      const store_table_changes_t **changes)
{
    const store_changeset_t *cs = tr->cs;
    uint32_t lo = 0, hi = cs->ntables; /* cs->tables is ordered by table id */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cs->tables[mid].table_id < table_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == cs->ntables || cs->tables[lo].table_id != table_id)
        return NULL;
    const store_table_changes_t *c = &cs->tables[lo];
    tx_table_t *t = &tr->t[lo];
    if (!t->built) {
        t->built = true;
        t->rc = rows_from_ptrs(&tr->arena, c->inserts, c->insert_lens, c->ninserts, &t->ins);
        if (t->rc == LC_OK)
            t->rc = rows_from_ptrs(&tr->arena, c->deletes, c->delete_lens, c->ndeletes, &t->del);
    }
    *changes = c;
    return t;
}

/* The query-set updates of session s for the transaction (step 3):
 * *nsets of them in *out (tr's arena); 0 sets if nothing relevant. */
static int session_updates(session_t *s, tx_rows_t *tr, net_query_set_update_t **out,
                           uint32_t *nsets)
{
    *out = NULL;
    *nsets = 0;
    if (s->nsets == 0)
        return LC_OK;
    net_query_set_update_t *sets = lc_arena_alloc(&tr->arena, s->nsets * sizeof *sets);
    if (!sets)
        return LC_ENOMEM;
    uint32_t ns = 0;
    for (uint32_t i = 0; i < s->nsets; i++) {
        const qset_t *q = &s->sets[i];
        net_table_update_t *tu = NULL;
        uint32_t nt = 0;
        for (uint32_t j = 0; j < q->ntables; j++) {
            const store_table_changes_t *c;
            bool event = q->tables[j].event;
            subs_rows_t ins, del;
            const char *name = q->tables[j].name;
            if (q->tables[j].q) {
                const query_rows_t *qr;
                if (!subs_delta(q->tables[j].q, &ins, &del) || (event && ins.nrows == 0))
                    continue;
                if ((!tu && !(tu = lc_arena_alloc(&tr->arena, q->ntables * sizeof *tu))) ||
                    !(name = lc_arena_strdup(&tr->arena, name)) ||
                    tx_query_rows(tr, q->tables[j].q, &ins, &del, &qr))
                    return LC_ENOMEM;
                tu[nt++] = (net_table_update_t){.table_name = name,
                                                .event = event,
                                                .inserts = qr->ins,
                                                .deletes = event ? (net_row_list_t){0} : qr->del};
                continue;
            }
            const tx_table_t *t = sess__tx_rows_table(tr, q->tables[j].table_id, &c);
            if (!t || (c->ninserts == 0 && (event || c->ndeletes == 0)))
                continue;
            if (t->rc)
                return t->rc;
            if ((!tu && !(tu = lc_arena_alloc(&tr->arena, q->ntables * sizeof *tu))) ||
                !(name = lc_arena_strdup(&tr->arena, name)))
                return LC_ENOMEM;
            tu[nt++] = (net_table_update_t){.table_name = name,
                                            .event = event,
                                            .inserts = t->ins,
                                            .deletes = event ? (net_row_list_t){0} : t->del};
        }
        if (nt > 0)
            sets[ns++] = (net_query_set_update_t){q->id, nt, tu};
    }
    *out = sets;
    *nsets = ns;
    return LC_OK;
}

/* ---------------------------------------------------------------- queries */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') p++;
    return p;
}

static bool ident_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* A keyword (any case) that ends at a word boundary. */
static const char *keyword(const char *p, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(p, kw, n) != 0 || ident_char(p[n], false))
        return NULL;
    return p + n;
}

/* An identifier, bare or double-quoted ("" inside quotes is one quote),
 * copied into out[0..cap). */
static const char *identifier(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    if (*p == '"') {
        for (p++;; p++) {
            if (*p == '\0')
                return NULL;
            if (*p == '"' && *++p != '"')
                break;
            if (n + 1 >= cap)
                return NULL;
            out[n++] = *p;
        }
    } else {
        if (!ident_char(*p, true))
            return NULL;
        while (ident_char(*p, false)) {
            if (n + 1 >= cap)
                return NULL;
            out[n++] = *p++;
        }
    }
    if (n == 0)
        return NULL;
    out[n] = '\0';
    return p;
}

int api__parse_query(const char *q, char *table, size_t cap)
{
    char qual[TABLE_NAME_MAX];
    bool qualified = false;
    const char *p = keyword(skip_ws(q), "select");
    if (!p)
        return LC_EUNSUPPORTED;
    p = skip_ws(p);
    if (*p != '*') { /* t.* */
        if (!(p = identifier(p, qual, sizeof qual)) || *p++ != '.' || *p != '*')
            return LC_EUNSUPPORTED;
        qualified = true;
    }
    p = skip_ws(p + 1);
    if (!(p = keyword(p, "from")))
        return LC_EUNSUPPORTED;
    p = skip_ws(p);
    int kind = API__QUERY_TABLE;
    if (*p == '*' && !qualified) {
        kind = API__QUERY_ALL;
        p++;
    } else if (!(p = identifier(p, table, cap)) || (qualified && strcmp(qual, table) != 0)) {
        return LC_EUNSUPPORTED;
    }
    p = skip_ws(p);
    if (*p == ';')
        p = skip_ws(p + 1);
    return *p == '\0' ? kind : LC_EUNSUPPORTED;
}

static int tlist_add(tlist_t *l, uint32_t table_id, const char *name, bool event)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->t[i].table_id == table_id && !l->t[i].q)
            return LC_OK; /* duplicate queries in a set are one (§3.4) */
    if (lc_grow(&l->t, &l->cap, l->n, sizeof *l->t, 4))
        return LC_ENOMEM;
    l->t[l->n++] = (qtable_t){table_id, (char *)name, event, NULL};
    return LC_OK;
}

/* Drop a list being resolved: its compiled queries' references too (those
 * that went into a set were cleared by sess__add_set). */
void sess__tlist_free(session_t *s, tlist_t *l)
{
    for (uint32_t i = 0; i < l->n; i++) subs_release(s->sd->subs, l->t[i].q);
    lc_free(l->t);
    memset(l, 0, sizeof *l);
}

/* Before compiled queries are used on the executor: if a publish replaced
 * the module definition they borrow, recompile them against the new one. */
void sess__subs_sync(sess_db_t *sd, db_t *db)
{
    /* The generation, not the address: a new definition may be allocated
     * where the old one was. */
    uint64_t gen = db_def_generation(db);
    if (gen == sd->subs_gen && sd->subs_gen_seen)
        return;
    if (subs_mgr_count(sd->subs) > 0)
        subs_recompile(sd->subs, db_def(db), db_store(db));
    sd->subs_def = db_def(db);
    sd->subs_gen = gen;
    sd->subs_gen_seen = true;
}

/* A query beyond SELECT * FROM t: compiled by src/subs (protocol.md §5),
 * with :sender bound to the session's identity; identical queries of any
 * session share one compiled query. */
static int compile_query(session_t *s, db_t *db, const char *text, tlist_t *l, lc_err_t *err)
{
    sql_caller_t who = {.is_owner = s->owner};
    for (int i = 0; i < 32; i++) who.sender[i] = s->caller.claims.identity.le[31 - i];
    const mod_def_t *def = db_def(db); /* stable on the executor */
    subs_query_t *q;
    sess__subs_sync(s->sd, db);
    int rc = subs_compile(s->sd->subs, NULL, def, db_store(db), text, &who, &q, err);
    if (rc)
        return rc;
    const mod_table_t *t = def ? mod_def_table(def, subs_query_table(q)) : NULL;
    bool event = t && t->is_event;
    if (event && s->v1) {
        lc_err_set(err, LC_EUNSUPPORTED, "subscribing to event table `%s` requires WebSocket v2",
                   subs_query_table(q));
        subs_release(s->sd->subs, q);
        return LC_EUNSUPPORTED;
    }
    for (uint32_t i = 0; i < l->n; i++)
        if (l->t[i].q == q) { /* the same query twice in a set is one (§3.4) */
            subs_release(s->sd->subs, q);
            return LC_OK;
        }
    if (lc_grow(&l->t, &l->cap, l->n, sizeof *l->t, 4)) {
        subs_release(s->sd->subs, q);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    l->t[l->n++] = (qtable_t){subs_query_table_id(q), (char *)subs_query_table(q), event, q};
    return LC_OK;
}

/* SELECT * FROM name, compiled (for row-level security). */
static int whole_table_query(session_t *s, db_t *db, const char *name, tlist_t *l, lc_err_t *err)
{
    char sql[TABLE_NAME_MAX + 32];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", name);
    return compile_query(s, db, sql, l, err);
}

/* Whether the session may read table t (§4.6). */
static bool visible(const session_t *s, const mod_table_t *t)
{
    return t->access == MOD_ACCESS_PUBLIC || s->owner;
}

/* Resolve one query into l.  all_ok: SELECT * FROM * is allowed (Subscribe
 * only).  On error err holds the message for the client. */
int sess__resolve_query(session_t *s, db_t *db, const char *q, bool all_ok, tlist_t *l,
                        lc_err_t *err)
{
    char name[TABLE_NAME_MAX];
    int kind = api__parse_query(q, name, sizeof name);
    const mod_def_t *def = db_def(db); /* stable on the executor */
    /* Row-level security filters whole tables too: a non-owner's queries
     * all go through src/subs when the module has rules. */
    bool filtered = def && def->nrls > 0 && !s->owner;
    if (kind < 0 || (kind == API__QUERY_TABLE && filtered))
        return compile_query(s, db, q, l, err);
    if (kind == API__QUERY_ALL && !all_ok)
        return lc_err_set(err, LC_EUNSUPPORTED, UNSUPPORTED, q);
    uint32_t id;
    if (kind == API__QUERY_ALL) {
        for (uint32_t i = 0; def && i < def->ntables; i++) {
            const mod_table_t *t = &def->tables[i];
            if (t->is_event || !visible(s, t) || store_table_id(db_store(db), t->name, &id))
                continue;
            int rc = filtered ? whole_table_query(s, db, t->name, l, err)
                              : tlist_add(l, id, t->name, false);
            if (rc)
                return rc == LC_ENOMEM ? lc_err_set(err, LC_ENOMEM, "out of memory") : rc;
        }
        return LC_OK;
    }
    const mod_table_t *t = def ? mod_def_table(def, name) : NULL;
    if (!t || !visible(s, t) || store_table_id(db_store(db), t->name, &id))
        return lc_err_set(err, LC_ENOTFOUND, NO_SUCH_TABLE, name);
    if (t->is_event && s->v1)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "subscribing to event table `%s` requires WebSocket v2", name);
    if (tlist_add(l, id, t->name, t->is_event))
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    return LC_OK;
}

/* The current rows of a compiled query, as a scan result. */
static int query_rows(const subs_query_t *q, store_view_t *v, store_rows_t *out, lc_err_t *err)
{
    lc_arena_t a;
    subs_rows_t r;
    lc_arena_init(&a, 16 * 1024);
    int rc = subs_initial(q, v, &a, &r, err);
    if (rc == LC_OK && r.nrows > 0) {
        out->offsets = lc_malloc(r.nrows * sizeof *out->offsets);
        if (!out->offsets || lc_buf_append(&out->data, r.data, r.len)) {
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
        } else {
            memcpy(out->offsets, r.offsets, r.nrows * sizeof *out->offsets);
            out->count = out->cap = r.nrows;
        }
    }
    lc_arena_free(&a);
    return rc;
}

/* Current rows of l's tables, read in one view at *offset: rows[i] for
 * table i (caller frees with sess__scans_free). */
int sess__scan_tables(db_t *db, const tlist_t *l, store_rows_t **rows, uint64_t *offset,
                      lc_err_t *err)
{
    *rows = l->n ? lc_calloc(l->n, sizeof **rows) : NULL;
    if (l->n && !*rows)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < l->n; i++) store_rows_init(&(*rows)[i]);
    store_view_t *v;
    int rc = store_view_open(db_store(db), &v, err);
    if (rc)
        return rc;
    *offset = store_view_offset(v);
    for (uint32_t i = 0; rc == LC_OK && i < l->n; i++)
        rc = l->t[i].q ? query_rows(l->t[i].q, v, &(*rows)[i], err)
                       : store_view_scan(v, l->t[i].table_id, &(*rows)[i], err);
    store_view_close(v);
    return rc;
}

void sess__scans_free(store_rows_t *rows, uint32_t n)
{
    for (uint32_t i = 0; rows && i < n; i++) store_rows_free(&rows[i]);
    lc_free(rows);
}

/* The SingleTableRows of a scan, one per table; empty tables are skipped
 * unless keep_empty.  *n of them in out (caller frees). */
static int table_rows(const tlist_t *l, const store_rows_t *rows, bool keep_empty,
                      net_table_rows_t **out, uint32_t *n)
{
    *out = l->n ? lc_calloc(l->n, sizeof **out) : NULL;
    *n = 0;
    if (l->n && !*out)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < l->n; i++) {
        if (rows[i].count == 0 && !keep_empty)
            continue;
        (*out)[*n].table = l->t[i].name;
        sess__rows_from_scan(&rows[i], &(*out)[*n].rows);
        (*n)++;
    }
    return LC_OK;
}

static int qtable_cmp(const void *a, const void *b)
{
    return strcmp(((const qtable_t *)a)->name, ((const qtable_t *)b)->name);
}

qset_t *sess__find_set(session_t *s, uint32_t id, uint32_t *pos)
{
    uint32_t lo = 0, hi = s->nsets;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->sets[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return lo < s->nsets && s->sets[lo].id == id ? &s->sets[lo] : NULL;
}

/* Register query set id over l's queries (names copied, sorted; the
 * compiled queries' references move from l to the set). */
int sess__add_set(session_t *s, uint32_t id, tlist_t *l)
{
    uint32_t pos;
    sess__find_set(s, id, &pos);
    if (lc_grow(&s->sets, &s->capsets, s->nsets, sizeof *s->sets, 4))
        return LC_ENOMEM;
    qset_t q = {id, l->n, l->n ? lc_calloc(l->n, sizeof(qtable_t)) : NULL};
    if (l->n && !q.tables)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < l->n; i++) {
        q.tables[i] = l->t[i];
        if (!(q.tables[i].name = lc_strdup(l->t[i].name))) {
            for (uint32_t j = 0; j <= i; j++) q.tables[j].q = NULL; /* still l's */
            q.ntables = i;
            sess__qset_free(s, &q);
            return LC_ENOMEM;
        }
    }
    qsort(q.tables, q.ntables, sizeof *q.tables, qtable_cmp);
    memmove(&s->sets[pos + 1], &s->sets[pos], (s->nsets - pos) * sizeof *s->sets);
    s->sets[pos] = q;
    s->nsets++;
    sess__sets_counted(s, s->nsets - 1);
    for (uint32_t i = 0; i < l->n; i++) l->t[i].q = NULL; /* the set's references now */
    return LC_OK;
}

/* ---------------------------------------------------------------- client messages (executor) */

bool sess__live(session_t *s)
{
    pthread_mutex_lock(&s->mu);
    bool ok = s->state == SS_OPEN && !s->failed;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void sub_error(session_t *s, const net_client_msg_t *m, const char *msg)
{
    lc_buf_t b;
    lc_err_t err;
    lc_buf_init(&b);
    if (net_v2_encode_subscription_error(&b, true, true, m->request_id, m->query_set_id, msg, &err))
        sess__encode_failed(s, &err);
    else
        sess__deliver(s, &b, false, 0);
    lc_buf_free(&b);
}

static void do_subscribe(session_t *s, db_t *db, const net_client_msg_t *m)
{
    lc_err_t err;
    char msg[96];
    if (sess__find_set(s, m->query_set_id, NULL)) {
        snprintf(msg, sizeof msg, "query set id %u is already in use", m->query_set_id);
        sub_error(s, m, msg);
        return;
    }
    tlist_t l = {0};
    store_rows_t *rows = NULL;
    net_table_rows_t *tr = NULL;
    uint32_t ntr = 0;
    uint64_t offset = 0;
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < m->nqueries; i++)
        rc = sess__resolve_query(s, db, m->queries[i], true, &l, &err);
    if (rc == LC_OK)
        rc = sess__scan_tables(db, &l, &rows, &offset, &err);
    if (rc == LC_OK && table_rows(&l, rows, false, &tr, &ntr))
        rc = lc_err_set(&err, LC_ENOMEM, "out of memory");
    if (rc == LC_OK &&
        (rc = net_v2_encode_subscribe_applied(&b, true, m->request_id, m->query_set_id, tr, ntr,
                                              &err)) == LC_OK &&
        (rc = sess__add_set(s, m->query_set_id, &l)) != LC_OK)
        lc_err_set(&err, rc, "out of memory");
    if (rc == LC_OK) {
        atomic_fetch_add(&s->api->stats.subscriptions, 1);
        sess__deliver(s, &b, true, offset);
    } else {
        sub_error(s, m, err.msg);
    }
    lc_buf_free(&b);
    lc_free(tr);
    sess__scans_free(rows, l.n);
    sess__tlist_free(s, &l);
}

static void do_unsubscribe(session_t *s, db_t *db, const net_client_msg_t *m)
{
    uint32_t pos;
    qset_t *q = sess__find_set(s, m->query_set_id, &pos);
    if (!q) {
        char msg[96];
        snprintf(msg, sizeof msg, "Subscription not found: query set id %u", m->query_set_id);
        sub_error(s, m, msg);
        return;
    }
    bool with_rows = m->flags == NET_UNSUB_SEND_DROPPED_ROWS;
    tlist_t l = {q->tables, q->ntables, q->ntables};
    store_rows_t *rows = NULL;
    net_table_rows_t *tr = NULL;
    uint32_t ntr = 0;
    uint64_t offset = 0;
    lc_err_t err;
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = with_rows ? sess__scan_tables(db, &l, &rows, &offset, &err) : LC_OK;
    if (rc == LC_OK && with_rows && table_rows(&l, rows, false, &tr, &ntr))
        rc = lc_err_set(&err, LC_ENOMEM, "out of memory");
    if (rc == LC_OK)
        rc = net_v2_encode_unsubscribe_applied(&b, true, m->request_id, m->query_set_id, with_rows,
                                               tr, ntr, &err);
    if (rc == LC_OK) {
        /* Rows or not, it waits behind held updates of the set (FIFO). */
        sess__deliver(s, &b, true, offset);
        sess__qset_free(s, q);
        memmove(q, q + 1, (s->nsets - pos - 1) * sizeof *q);
        s->nsets--;
        sess__sets_counted(s, s->nsets + 1);
        atomic_fetch_sub(&s->api->stats.subscriptions, 1);
    } else {
        sub_error(s, m, err.msg);
    }
    lc_buf_free(&b);
    lc_free(tr);
    sess__scans_free(rows, l.n);
}

static void do_one_off(session_t *s, db_t *db, const net_client_msg_t *m)
{
    tlist_t l = {0};
    store_rows_t *rows = NULL;
    net_table_rows_t *tr = NULL;
    uint32_t ntr = 0;
    uint64_t offset = 0;
    lc_err_t err;
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = sess__resolve_query(s, db, m->query, false, &l, &err);
    if (rc == LC_OK)
        rc = sess__scan_tables(db, &l, &rows, &offset, &err);
    if (rc == LC_OK && table_rows(&l, rows, true, &tr, &ntr)) /* exactly one, even empty */
        rc = lc_err_set(&err, LC_ENOMEM, "out of memory");
    if (rc == LC_OK)
        rc = net_v2_encode_one_off_result(&b, true, m->request_id, NULL, tr, ntr, &err);
    if (rc == LC_OK) {
        sess__deliver(s, &b, true, offset);
    } else if (net_v2_encode_one_off_result(&b, true, m->request_id, err.msg, NULL, 0, &err)) {
        sess__encode_failed(s, &err);
    } else {
        sess__deliver(s, &b, false, 0);
    }
    lc_buf_free(&b);
    lc_free(tr);
    sess__scans_free(rows, l.n);
    sess__tlist_free(s, &l);
}

static void do_procedure(session_t *s, const net_client_msg_t *m)
{
    lc_err_t err;
    lc_buf_t b;
    lc_buf_init(&b);
    if (net_v2_encode_procedure_result(&b, true, "procedures are not supported yet", NULL, 0, 0, 0,
                                       m->request_id, &err))
        sess__encode_failed(s, &err);
    else
        sess__deliver(s, &b, false, 0);
    lc_buf_free(&b);
}

void sess__frame_unref(frame_t *f)
{
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    lc_arena_free(&f->arena);
    net_ws_msg_free(f->msg);
    lc_free(f);
}

op_t *sess__op_new(session_t *s)
{
    op_t *op = lc_calloc(1, sizeof *op);
    if (op) {
        op->s = s;
        sess__ref(s);
    }
    return op;
}

void sess__op_free(op_t *op)
{
    if (op->f)
        sess__frame_unref(op->f);
    sess_unref(op->s);
    lc_free(op);
}

/* A Subscribe, Unsubscribe, OneOffQuery or CallProcedure on the executor. */
static void exec_op(void *arg, db_t *db)
{
    op_t *op = arg;
    session_t *s = op->s;
    if (sess__live(s)) {
        sess__subs_sync(s->sd, db);
        switch (op->m->kind) {
        case NET_CM_SUBSCRIBE:
            do_subscribe(s, db, op->m);
            break;
        case NET_CM_UNSUBSCRIBE:
            do_unsubscribe(s, db, op->m);
            break;
        case NET_CM_ONE_OFF_QUERY:
            do_one_off(s, db, op->m);
            break;
        case NET_CM_CALL_PROCEDURE:
            do_procedure(s, op->m);
            break;
        case NET_CM_CALL_REDUCER:
            (void)NEVER(true);
            break;
        }
    }
    sess__op_free(op);
}

#define REPLY_BUF_KEEP 65536 /* a bigger reply buffer is not kept */

/* db_call's callback: the caller's one ReducerResult (steps 4, 7). */
static void reducer_done(void *arg, const db_call_result_t *res)
{
    session_t *s = arg; /* submit's reference */
    api_t *api = s->api;
    const mod_outcome_t *o = &res->outcome;
    atomic_fetch_add(&api->stats.reducer_calls, 1);
    atomic_fetch_add(&api->stats.reducer_us, o->wall_us);
    if (o->status != MOD_OK)
        atomic_fetch_add(&api->stats.reducer_errors, 1);
    if (!sess__live(s)) {
        sess_unref(s);
        return;
    }
    char text[sizeof o->message];
    snprintf(text, sizeof text, "%s", o->message);
    sess__utf8_trim(text);
    net_reducer_outcome_t out = {.message = text};
    net_query_set_update_t *sets = NULL;
    tx_rows_t tr = {.cs = res->cs};
    lc_arena_init(&tr.arena, 4096);
    lc_buf_t *b = &s->sd->reply; /* we run on the executor: it is ours */
    lc_err_t err;
    int rc = LC_OK;
    switch (o->status) {
    case MOD_OK:
        out.kind = NET_RO_OK;
        /* Only a subscriber gets rows in its result: the others skip the
         * per-call row lists (a 64 KiB arena each). */
        if (res->cs && res->tx_offset && s->nsets > 0) {
            lc_arena_free(&tr.arena);
            if ((rc = sess__tx_rows_init(&tr, res->cs)) == LC_OK)
                rc = session_updates(s, &tr, &sets, &out.nsets);
            out.sets = sets;
        }
        break;
    case MOD_USER_ERROR: {
        /* Err carries the message as a BSATN String (§4.3). */
        size_t n = strlen(text);
        uint8_t *p = lc_arena_alloc(&tr.arena, 4 + n);
        if (!p) {
            rc = LC_ENOMEM;
            break;
        }
        lc_store_u32le(p, (uint32_t)n);
        memcpy(p + 4, text, n);
        out.kind = NET_RO_ERR;
        out.data = p;
        out.len = 4 + n;
        break;
    }
    default: /* internal errors and bad requests (no such reducer, bad arguments) */
        out.kind = NET_RO_INTERNAL_ERROR;
        break;
    }
    if (rc)
        lc_err_set(&err, rc, "out of memory");
    else
        rc = net_v2_encode_reducer_result(b, true, res->request_id, res->timestamp_us, &out, &err);
    if (rc)
        sess__encode_failed(s, &err);
    else
        sess__deliver(s, b, o->status == MOD_OK, o->status == MOD_OK ? res->tx_offset : 0);
    if (b->cap > REPLY_BUF_KEEP || b->oom)
        lc_buf_free(b);
    else
        lc_buf_reset(b);
    sess__tx_rows_free(&tr);
    sess_unref(s);
}

/* ---------------------------------------------------------------- client messages (arrival) */

/* Hand one decoded message to the executor (invariant 2). */
static int submit(session_t *s, frame_t *f, const net_client_msg_t *m)
{
    if (m->kind == NET_CM_CALL_REDUCER) {
        /* No op: the call job carries everything, the request id in the
         * caller, and reducer_done gets s (this reference). */
        mod_caller_t c = {.timestamp_us = lc_now_wall_us(), .request_id = m->request_id};
        memcpy(c.identity, s->caller.claims.identity.le, 32);
        memcpy(c.connection_id, s->connection_id, 16);
        sess__ref(s);
        int rc = db_call(s->e->db, m->name, m->args, m->args_len, &c, reducer_done, s);
        if (rc)
            sess_unref(s);
        return rc;
    }
    op_t *op = sess__op_new(s);
    if (!op)
        return LC_ENOMEM;
    op->m = m;
    op->request_id = m->request_id;
    op->f = f;
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    int rc = db_exec(s->e->db, exec_op, op);
    if (rc)
        sess__op_free(op);
    return rc;
}

/* Handle one incoming message (s->mu held, state OPEN). */
static void handle_locked(session_t *s, net_ws_msg_t *msg)
{
    if (s->failed) {
        net_ws_msg_free(msg);
        return;
    }
    if (s->v1) {
        sess__v1_handle_locked(s, msg);
        return;
    }
    if (!msg->binary) {
        net_ws_msg_free(msg);
        sess__fail_locked(s, NET_WS_INTERNAL_ERROR, "v2 websocket does not support text messages");
        return;
    }
    frame_t *f = lc_malloc(sizeof *f);
    if (!f) {
        net_ws_msg_free(msg);
        sess__fail_locked(s, NET_WS_INTERNAL_ERROR, "out of memory");
        return;
    }
    atomic_init(&f->refs, 1); /* ours, while submitting */
    lc_arena_init(&f->arena, 1024);
    f->msg = msg;
    net_client_msg_t *msgs;
    uint32_t n = 1;
    lc_err_t err;
    int rc;
    if (s->v3) {
        rc = net_v3_decode_client_frame(&f->arena, msg->data, msg->len, &msgs, &n, &err);
    } else {
        msgs = lc_arena_alloc(&f->arena, sizeof *msgs);
        rc = msgs ? net_v2_decode_client_frame(&f->arena, msg->data, msg->len, msgs, &err)
                  : lc_err_set(&err, LC_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; rc == LC_OK && i < n; i++)
        if ((rc = submit(s, f, &msgs[i])))
            lc_err_set(&err, rc, rc == LC_EBUSY ? "module exited" : "out of memory");
    if (rc)
        sess__fail_locked(s, rc == LC_EBUSY ? NET_WS_GOING_AWAY : NET_WS_INTERNAL_ERROR, err.msg);
    sess__frame_unref(f);
}

static void on_message(net_ws_t *ws, net_ws_msg_t *msg, void *user)
{
    session_t *s = user;
    pthread_mutex_lock(&s->mu);
    s->ws = ws;
    if (s->state == SS_OPEN) {
        handle_locked(s, msg);
    } else if (s->state < SS_OPEN && !s->failed &&
               lc_grow(&s->inq, &s->capinq, s->ninq, sizeof *s->inq, 8) == LC_OK) {
        s->inq[s->ninq++] = msg; /* invariant 1 */
    } else {
        if (s->state < SS_OPEN)
            sess__fail_locked(s, NET_WS_INTERNAL_ERROR, "out of memory");
        net_ws_msg_free(msg);
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---------------------------------------------------------------- lifecycle */

static void sd_unlist(session_t *s)
{
    sess_db_t *sd = s->sd;
    pthread_mutex_lock(&sd->mu);
    if (s->listed) {
        if (s->prev)
            s->prev->next = s->next;
        else
            sd->head = s->next;
        if (s->next)
            s->next->prev = s->prev;
        s->prev = s->next = NULL;
        s->listed = false;
    }
    pthread_mutex_unlock(&sd->mu);
}

static void on_close(net_ws_t *ws, int code, const char *reason, void *user)
{
    session_t *s = user;
    sd_unlist(s); /* invariant 3: before the net's reference goes */
    pthread_mutex_lock(&s->mu);
    s->ws = ws;
    bool owe = false;
    switch (s->state) {
    case SS_ACCEPTED:
        s->state = SS_CLOSED; /* do_connect will not connect */
        break;
    case SS_CONNECTING:
        s->state = SS_CLOSING; /* do_connect disconnects when db_connect returns */
        break;
    case SS_OPEN:
        s->state = SS_CLOSING;
        owe = s->connected;
        break;
    default:
        break;
    }
    inq_free_all(s);
    held_free_all(s);
    pthread_mutex_unlock(&s->mu);
    lc_log_debug("session %s: closed (%d %s)", s->e->identity_hex, code, reason);
    if (owe) {
        sess__ref(s);
        worker_post(s, JOB_DISCONNECT);
    }
    sess_unref(s); /* the net's */
}

static void send_initial_connection(session_t *s)
{
    lc_buf_t b;
    lc_err_t err;
    lc_buf_init(&b);
    const char *token = s->caller.token ? s->caller.token : "";
    if (s->v1) {
        net_v1_server_msg_t m = {.kind = NET_V1_SM_IDENTITY_TOKEN,
                                 .identity = s->caller.claims.identity.le,
                                 .connection_id = s->connection_id,
                                 .token = token};
        sess__v1_send(s, &m, false, 0);
        lc_buf_free(&b);
        return;
    }
    if (net_v2_encode_initial_connection(&b, true, s->caller.claims.identity.le, s->connection_id,
                                         token, &err))
        sess__encode_failed(s, &err);
    else
        sess__deliver(s, &b, false, 0);
    lc_buf_free(&b);
}

/* The connect lifecycle on a worker: client_connected, then
 * InitialConnection, then the input that waited (invariant 1). */
static void do_connect(session_t *s)
{
    pthread_mutex_lock(&s->mu);
    bool go = s->state == SS_ACCEPTED && !s->failed; /* failed: the database went */
    if (go)
        s->state = SS_CONNECTING;
    pthread_mutex_unlock(&s->mu);
    if (!go)
        return;
    mod_outcome_t out;
    memset(&out, 0, sizeof out);
    const uint8_t *id = s->caller.claims.identity.le;
    int rc = db_connect(s->e->db, id, s->connection_id, s->caller.claims.payload, &out);
    if (rc || out.status != MOD_OK) {
        /* Refused: the reference drops the socket without a Close (§1.2);
         * net only closes with one, so the client sees a Close and no
         * first message. */
        char reason[128];
        snprintf(reason, sizeof reason, "%.120s", rc ? "module exited" : out.message);
        sess__utf8_trim(reason);
        lc_log_debug("session %s: connect refused: %s", s->e->identity_hex, reason);
        pthread_mutex_lock(&s->mu);
        s->state = SS_CLOSED;
        int code = rc                             ? NET_WS_GOING_AWAY
                   : out.status == MOD_USER_ERROR ? NET_WS_POLICY
                                                  : NET_WS_INTERNAL_ERROR;
        sess__fail_locked(s, code, reason);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    send_initial_connection(s);
    pthread_mutex_lock(&s->mu);
    s->connected = true;
    bool open = s->state == SS_CONNECTING;
    if (open) {
        s->state = SS_OPEN;
        for (uint32_t i = 0; i < s->ninq; i++) handle_locked(s, s->inq[i]);
        s->ninq = 0;
    } else {
        s->state = SS_CLOSED; /* the socket closed meanwhile (invariant 6) */
    }
    pthread_mutex_unlock(&s->mu);
    if (!open)
        db_disconnect(s->e->db, id, s->connection_id);
}

static void do_disconnect(session_t *s)
{
    db_disconnect(s->e->db, s->caller.claims.identity.le, s->connection_id);
    pthread_mutex_lock(&s->mu);
    s->state = SS_CLOSED;
    pthread_mutex_unlock(&s->mu);
}

static void run_job(session_t *s, job_kind_t k)
{
    switch (k) {
    case JOB_CONNECT:
        do_connect(s);
        sess_unref(s);
        break;
    case JOB_DISCONNECT:
        do_disconnect(s);
        sess_unref(s);
        break;
    case JOB_FREE:
        session_free(s);
        break;
    case JOB_NONE:
        (void)NEVER(true);
        break;
    }
}

/* ---------------------------------------------------------------- start */

/* A query parameter: LC_OK with *v, LC_ENOTFOUND, or LC_EINVAL (bad
 * escapes) with *v = "". */
static int param(net_http_req_t *req, const char *name, const char **v)
{
    int rc = net_http_query_param(req, name, v);
    if (rc)
        *v = "";
    return rc;
}

/* Query parameters of the upgrade (§1.1).  0, or the HTTP status with the
 * message in why. */
static int parse_params(session_t *s, net_http_req_t *req, char *why, size_t cap)
{
    const char *v;
    int rc = param(req, "compression", &v);
    s->compression = NET_COMPRESSION_BROTLI;
    if (rc == LC_OK) {
        if (strcmp(v, "None") == 0)
            s->compression = NET_COMPRESSION_NONE;
        else if (strcmp(v, "Gzip") == 0)
            s->compression = NET_COMPRESSION_GZIP;
        else if (strcmp(v, "Brotli") != 0)
            rc = LC_EINVAL;
    }
    if (rc == LC_EINVAL) {
        snprintf(why, cap,
                 "Failed to deserialize query string: compression: unknown variant `%s`, "
                 "expected one of `None`, `Brotli`, `Gzip`",
                 v);
        return 400;
    }
    s->light = param(req, "light", &v) == LC_OK && strcmp(v, "true") == 0;
    s->confirmed = true; /* the v2/v3 default; v1's is false (check_request) */
    if ((rc = param(req, "confirmed", &v)) == LC_OK) {
        if (strcmp(v, "false") == 0)
            s->confirmed = false;
        else if (strcmp(v, "true") != 0)
            rc = LC_EINVAL;
    }
    if (rc == LC_EINVAL) {
        snprintf(why, cap,
                 "Failed to deserialize query string: confirmed: provided string was not "
                 "`true` or `false`");
        return 400;
    }
    auth_connection_id_t cid;
    if ((rc = param(req, "connection_id", &v)) == LC_OK) {
        if (strlen(v) != AUTH_CONNECTION_ID_HEX_LEN ||
            auth_connection_id_from_hex(v, strlen(v), &cid)) {
            snprintf(why, cap, "Failed to deserialize query string: connection_id: invalid hex");
            return 400;
        }
        if (auth_connection_id_is_zero(&cid)) {
            snprintf(why, cap, "Invalid connection ID: the all-zeros ConnectionId is reserved.");
            return 400;
        }
    } else if (rc == LC_EINVAL) {
        snprintf(why, cap, "Failed to deserialize query string: connection_id: invalid hex");
        return 400;
    } else if (auth_connection_id_generate(&cid)) {
        snprintf(why, cap, "cannot generate a connection id");
        return 500;
    }
    memcpy(s->connection_id, cid.le, 16);
    return 0;
}

/* Check the request and choose the protocol: 0, or the HTTP status. */
static int check_request(session_t *s, net_http_req_t *req, const char **proto, char *why,
                         size_t cap)
{
    const char *w;
    int status = net_ws_handshake_check(req, &w);
    if (status) {
        snprintf(why, cap, "%s", w);
        return status;
    }
    if ((status = parse_params(s, req, why, cap)))
        return status;
    *proto = net_ws_select_protocol(req, PROTOCOLS, LC_ARRAY_LEN(PROTOCOLS));
    if (!*proto) {
        snprintf(why, cap, "no valid protocol selected");
        return 400;
    }
    s->v3 = *proto == PROTOCOLS[PROTO_V3];
    s->v1 = *proto == PROTOCOLS[PROTO_V1_BSATN] || *proto == PROTOCOLS[PROTO_V1_JSON];
    s->json = *proto == PROTOCOLS[PROTO_V1_JSON];
    const char *v;
    if (s->v1 && param(req, "confirmed", &v) != LC_OK)
        s->confirmed = false; /* v1's default (§1.1) */
    return 0;
}

static session_t *session_new(api_t *api, db_entry_t *e, api_caller_t *caller)
{
    session_t *s = lc_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (live_inc(api)) {
        lc_free(s);
        return NULL;
    }
    s->api = api;
    s->e = e;
    s->caller = *caller;
    memset(caller, 0, sizeof *caller);
    s->owner = memcmp(s->caller.claims.identity.le, e->owner, 32) == 0;
    atomic_init(&s->refs, 1); /* the net's, from accept to on_close */
    pthread_mutex_init(&s->mu, NULL);
    s->state = SS_ACCEPTED;
    return s;
}

/* Put s in its database's list (before accept: invariant 3 holds from
 * the first callback on).  False if the database is going away. */
static bool sd_list(session_t *s)
{
    sess_db_t *sd = s->sd;
    pthread_mutex_lock(&sd->mu);
    bool ok = !sd->gone;
    if (ok) {
        s->next = sd->head;
        if (sd->head)
            sd->head->prev = s;
        sd->head = s;
        s->listed = true;
    }
    pthread_mutex_unlock(&sd->mu);
    return ok;
}

void api_session_start(api_t *api, net_http_req_t *req, db_entry_t *e, api_caller_t *caller)
{
    session_t *s = session_new(api, e, caller);
    if (!s) {
        api_text(req, 500, "out of memory");
        api_caller_free(caller);
        db_entry_release(e);
        return;
    }
    char why[256];
    const char *proto = NULL;
    int status = check_request(s, req, &proto, why, sizeof why);
    if (!status && !(s->sd = sd_get(api, e, true))) {
        snprintf(why, sizeof why, "out of memory");
        status = 500;
    }
    if (!status && !sd_list(s)) {
        snprintf(why, sizeof why, "No such database.");
        status = 404;
    }
    if (status) {
        api_text(req, status, "%s", why);
        sess_unref(s); /* freed on a worker */
        return;
    }
    /* Callbacks may start as soon as accept returns (on another thread if
     * we are not on the loop): the connect job's reference is taken first,
     * and s->ws is set under s->mu by whoever comes first. */
    sess__ref(s);
    /* The 101 carries what every /v1 answer does (§1.2, §7.5). */
    api_identity_headers(req, &s->caller);
    api_cors(req);
    static const net_ws_callbacks_t cb = {on_message, on_close};
    net_ws_t *ws;
    int rc = net_ws_accept(req, proto, &cb, s, &ws);
    if (rc) {
        if (rc != LC_EIO) /* not answered: refuse it */
            api_text(req, rc == LC_ENOMEM ? 500 : 400, "%s",
                     rc == LC_ENOMEM ? "out of memory" : "invalid WebSocket handshake");
        sd_unlist(s);
        sess_unref(s);
        sess_unref(s);
        return;
    }
    atomic_fetch_add(&api->stats.sessions_total, 1);
    pthread_mutex_lock(&s->mu);
    s->ws = ws;
    if (s->failed) /* api_sessions_free came first */
        net_ws_close(ws, NET_WS_GOING_AWAY, "module exited");
    pthread_mutex_unlock(&s->mu);
    worker_post(s, JOB_CONNECT);
}

/* ---------------------------------------------------------------- registry hooks */

/* The listed sessions with subscriptions, but the caller's, with a
 * reference each (step 1).  Executor thread. */
static session_t **subscribers(sess_db_t *sd, const mod_caller_t *caller, uint32_t *n)
{
    *n = 0;
    pthread_mutex_lock(&sd->mu);
    uint32_t count = 0;
    for (session_t *s = sd->head; s; s = s->next) count += s->nsets > 0;
    session_t **v = count ? lc_malloc(count * sizeof *v) : NULL;
    for (session_t *s = sd->head; v && s; s = s->next) {
        if (s->nsets == 0)
            continue;
        if (caller && memcmp(s->connection_id, caller->connection_id, 16) == 0 &&
            memcmp(s->caller.claims.identity.le, caller->identity, 32) == 0)
            continue; /* it gets its rows in ReducerResult */
        sess__ref(s);
        v[(*n)++] = s;
    }
    pthread_mutex_unlock(&sd->mu);
    if (count && !v)
        lc_log_error("sessions: out of memory: a transaction's updates were not sent");
    return v;
}

/* Evaluate every compiled query over the transaction once (step 2), for
 * the fan-out and the caller's ReducerResult alike. */
static void eval_queries(sess_db_t *sd, db_entry_t *e, const store_changeset_t *cs)
{
    if (subs_mgr_count(sd->subs) == 0)
        return;
    sess__subs_sync(sd, e->db);
    store_view_t *v;
    lc_err_t err;
    int rc = store_view_open(db_store(e->db), &v, &err);
    if (rc == LC_OK) {
        rc = subs_eval(sd->subs, cs, v, &err);
        store_view_close(v);
    }
    if (rc)
        lc_log_error("subscriptions: evaluating transaction %llu: %s",
                     (unsigned long long)cs->tx_offset, err.msg);
}

void api_sessions_on_commit(api_t *api, db_entry_t *e, const store_changeset_t *cs,
                            const mod_caller_t *caller)
{
    sess_db_t *sd = sd_get(api, e, false);
    if (!sd)
        return;
    if (atomic_load(&sd->nsubscribed) == 0) { /* step 0 */
        sd_unref(sd);
        return;
    }
    eval_queries(sd, e, cs);
    uint32_t n;
    session_t **v = subscribers(sd, caller, &n);
    fan_job_t *j = n ? lc_calloc(1, sizeof *j) : NULL;
    fan_item_t *items = j ? lc_calloc(n, sizeof *items) : NULL;
    if (n && !items)
        lc_log_error("sessions: out of memory: a transaction's updates were not sent");
    tx_rows_t tr;
    int rc = sess__tx_rows_init(&tr, cs);
    uint32_t ni = 0;
    for (uint32_t i = 0; i < n; i++) {
        session_t *s = v[i];
        net_query_set_update_t *sets;
        uint32_t nsets = 0;
        if (!items) {
            sess_unref(s);
            continue;
        }
        if (rc == LC_OK && s->v1) { /* v1 sessions are never queued: sent here */
            sess__v1_fanout(s, &tr, cs, caller);
            sess_unref(s);
            continue;
        }
        if (rc == LC_OK)
            rc = session_updates(s, &tr, &sets, &nsets);
        if (rc) {
            lc_err_t err;
            lc_err_set(&err, rc, "out of memory");
            sess__encode_failed(s, &err);
        } else if (nsets > 0) { /* the reference moves to the job */
            atomic_fetch_add(&s->queued, 1);
            items[ni++] =
                (fan_item_t){.s = s, .sets = sets, .nsets = nsets, .offset = cs->tx_offset};
            continue;
        }
        sess_unref(s);
    }
    lc_map_free(&tr.query_rows);
    if (ni > 0) { /* the job takes the arena: its rows are the updates' */
        j->arena = tr.arena;
        j->n = ni;
        j->items = items;
        fan_push(sd, j);
    } else {
        lc_arena_free(&tr.arena);
        lc_free(items);
        lc_free(j);
    }
    lc_free(v);
    sd_unref(sd);
}

void api_sessions_on_durable(api_t *api, db_entry_t *e, uint64_t offset)
{
    sess_db_t *sd = sd_get(api, e, false);
    if (!sd)
        return;
    bool alone = db_running_alone(e->db); /* an inline commit on the executor */
    pthread_mutex_lock(&sd->mu);
    for (session_t *s = sd->head; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        while (s->held_head && s->held_head->offset <= offset) {
            held_t *h = s->held_head;
            if (!(s->held_head = h->next))
                s->held_tail = NULL;
            s->held_bytes -= h->len;
            bool open = !s->failed && s->state < SS_CLOSING;
            if (open && alone) /* see send_payload */
                net_ws_send_urgent(s->ws, !s->json, h->data, h->len);
            else if (open)
                net_ws_send(s->ws, !s->json, h->data, h->len);
            lc_free(h);
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&sd->mu);
    sd_unref(sd);
}

void api_sessions_free(api_t *api, db_entry_t *e)
{
    pthread_mutex_lock(&api->mu);
    sess_db_t *sd = e->user;
    e->user = NULL;
    pthread_mutex_unlock(&api->mu);
    if (!sd)
        return;
    pthread_mutex_lock(&sd->mu);
    sd->gone = true;
    for (session_t *s = sd->head; s; s = s->next) fail(s, NET_WS_GOING_AWAY, "module exited");
    pthread_mutex_unlock(&sd->mu);
    pthread_mutex_lock(&sd->fan_mu); /* the fan-out thread leaves once it has sent its queue */
    sd->fan_stop = true;
    pthread_cond_broadcast(&sd->fan_work);
    pthread_mutex_unlock(&sd->fan_mu);
    sd_unref(sd); /* e->user's */
}
