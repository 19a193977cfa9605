/*
 * writer.c — group commit: one thread takes every queued record, appends
 * them all to the log, then makes the batch durable with a single
 * fdatasync, so the fsync rate adapts to the load (engine.md §3.1).
 *
 * Submitters copy their record into a bounded queue and return; the
 * thread drains the whole queue at once.  A submitter with several records
 * at hand (the executor, at the end of a batch of calls) queues them as one
 * entry, framed: one allocation, one lock and at most one wake-up of the
 * thread for the lot.  Policies:
 *
 *   EVERY_BATCH  append the batch, dur_log_sync, durable = last appended
 *   INTERVAL     append and flush the batch (write(2)) promptly; sync when
 *                interval_ms have passed since the last sync (the thread
 *                wakes up for it); durable advances only at a sync
 *   NEVER        append and flush; durable = last written (no fsync until
 *                dur_writer_stop closes the log)
 *
 * States (w->stopping, w->failed):
 *
 *   state      how it is entered                         submit  thread
 *   ---------  ----------------------------------------  ------  --------------------
 *   RUNNING    dur_writer_start                          queues  drains, syncs
 *   STOPPING   dur_writer_stop                           EINVAL  drains, syncs, exits
 *   FAILED     a write or fsync failed (writer thread)   EIO     drops the queue, exits
 *
 * dur_writer_stop joins the thread, closes the log and frees the writer in
 * every state.
 *
 * Invariants:
 *   1. durable only advances past an offset after the dur_log_sync
 *      (EVERY_BATCH, INTERVAL) or dur_log_flush (NEVER) covering it
 *      succeeded, and never again after a failure: a failed fsync leaves
 *      the file's state unknown, so we never retry and carry on.
 *   2. The queue holds at most MAX_RECORDS records and MAX_BYTES bytes of
 *      payload; a single entry larger than that is let in alone.
 *      Submit blocks while the queue is full.  The batch being written is
 *      outside the queue, so at most twice the bound is in memory.
 *   3. Queued offsets are consecutive and continue the log (submit checks).
 *   4. on_durable runs without the lock, with increasing offsets: on the
 *      writer thread, or on a submitter that wrote inline (6).
 *   6. Inline commit (dur_writer_submit_framed_inline): a submitter that
 *      finds the writer idle (nothing queued, not busy, EVERY_BATCH)
 *      appends, syncs and publishes on its own thread, saving the hand-off
 *      to the writer and back for a lone transaction.  busy, set under the
 *      lock, keeps the thread and an inline writer off the log at the same
 *      time; the thread does not take a batch while busy.
 *   5. durable is written under the lock (waiters check it under the lock)
 *      and read without it (atomic).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "durability.h"

enum {
    MAX_RECORDS = 16384,
    MAX_BYTES = 16 * 1024 * 1024,
};

/* n records with offsets offset..offset+n-1; payload holds them framed as
 * n x (u32 LE length, bytes), checked by the submitter. */
typedef struct entry {
    struct entry *next;
    uint64_t offset;
    size_t n, len;
    uint8_t payload[];
} entry_t;

enum { FRAME_HDR = 4 };

struct dur_writer {
    dur_log_t *log;
    dur_fsync_policy_t policy;
    uint32_t interval_ms;
    void (*on_durable)(void *arg, uint64_t offset);
    void *arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;     /* to the thread: records queued, or stop */
    pthread_cond_t space;    /* to submitters: the queue has room, or failure */
    pthread_cond_t progress; /* to waiters: durable advanced, or failure */
    entry_t *head, **tail;   /* the queue */
    size_t queued, queued_bytes;
    uint64_t next_offset; /* what the next submit must bring; 0 = any >= 1 */
    bool busy;            /* a batch is being written and synced (thread or inline) */
    bool stopping, failed;
    char fail_msg[LC_ERR_MSG_MAX];
    _Atomic uint64_t durable;
    _Atomic uint64_t records, bytes, batches, fsyncs;
};

/* ================================================================ time */

static struct timespec deadline_after_us(int64_t us)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

static int cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

/* ================================================================ the thread */

static void free_entries(entry_t *e)
{
    while (e != NULL) {
        entry_t *next = e->next;
        lc_free(e);
        e = next;
    }
}

/* Make offset durable: publish it, wake waiters, tell the owner. */
static void publish(dur_writer_t *w, uint64_t offset)
{
    if (offset <= atomic_load(&w->durable))
        return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->durable, offset);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_broadcast(&w->progress); /* waiters test under the lock: none is missed */
    if (w->on_durable != NULL)
        w->on_durable(w->arg, offset);
}

/* Enter FAILED (lock held): log it, drop the queue, wake everyone. */
static void fail_locked(dur_writer_t *w, const lc_err_t *err)
{
    w->failed = true;
    snprintf(w->fail_msg, sizeof w->fail_msg, "%s", err->msg);
    lc_log_error("commit log writer failed; no more transactions can be made durable: %s",
                 err->msg);
    free_entries(w->head);
    w->head = NULL;
    w->tail = &w->head;
    w->queued = w->queued_bytes = 0;
    pthread_cond_broadcast(&w->progress);
    pthread_cond_broadcast(&w->space);
}

/* Append the records of one entry to the log (buffered). */
static int write_frames(dur_writer_t *w, uint64_t offset, size_t n, const uint8_t *p, lc_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t len = lc_load_u32le(p);
        int rc = dur_log_append(w->log, offset + i, p + FRAME_HDR, len, err);
        if (rc != LC_OK)
            return rc;
        atomic_fetch_add_explicit(&w->records, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->bytes, len, memory_order_relaxed);
        p += FRAME_HDR + (size_t)len;
    }
    return LC_OK;
}

static int write_entry(dur_writer_t *w, const entry_t *e, lc_err_t *err)
{
    return write_frames(w, e->offset, e->n, e->payload, err);
}

/* Append a batch to the log (buffered), freeing its entries. */
static int write_batch(dur_writer_t *w, entry_t *batch, lc_err_t *err)
{
    int rc = LC_OK;
    if (batch != NULL)
        atomic_fetch_add_explicit(&w->batches, 1, memory_order_relaxed);
    while (batch != NULL) {
        entry_t *next = batch->next;
        if (rc == LC_OK)
            rc = write_entry(w, batch, err);
        lc_free(batch);
        batch = next;
    }
    return rc;
}

static int sync_log(dur_writer_t *w, lc_err_t *err)
{
    int rc = dur_log_sync(w->log, err);
    if (rc == LC_OK)
        atomic_fetch_add_explicit(&w->fsyncs, 1, memory_order_relaxed);
    return rc;
}

/* Per-thread state of the INTERVAL policy. */
typedef struct pacing {
    int64_t last_sync_us;
    bool dirty; /* records written since the last sync */
} pacing_t;

/* After a batch: write, sync as the policy says, publish. */
static int settle(dur_writer_t *w, bool stopping, pacing_t *pc, lc_err_t *err)
{
    uint64_t written = dur_log_last_offset(w->log);
    bool pending = written > atomic_load(&w->durable);
    int rc = LC_OK;
    if (w->policy == DUR_FSYNC_EVERY_BATCH) {
        if (pending && (rc = sync_log(w, err)) == LC_OK)
            publish(w, written);
        return rc;
    }
    if ((rc = dur_log_flush(w->log, err)) != LC_OK)
        return rc;
    if (w->policy == DUR_FSYNC_NEVER) {
        publish(w, written);
        return LC_OK;
    }
    pc->dirty = pending;
    int64_t now = lc_now_mono_us();
    if (pending && (stopping || now - pc->last_sync_us >= (int64_t)w->interval_ms * 1000)) {
        if ((rc = sync_log(w, err)) != LC_OK)
            return rc;
        pc->last_sync_us = now;
        pc->dirty = false;
        publish(w, written);
    }
    return LC_OK;
}

/* Wait (lock held) until there is work: records, a stop, or an INTERVAL
 * sync that has come due. */
static void wait_for_work(dur_writer_t *w, const pacing_t *pc)
{
    while ((w->head == NULL || w->busy) && !w->stopping) {
        if (w->busy || w->policy != DUR_FSYNC_INTERVAL || !pc->dirty) {
            pthread_cond_wait(&w->work, &w->mu);
            continue;
        }
        int64_t due = pc->last_sync_us + (int64_t)w->interval_ms * 1000 - lc_now_mono_us();
        if (due <= 0)
            return;
        struct timespec ts = deadline_after_us(due);
        pthread_cond_timedwait(&w->work, &w->mu, &ts);
    }
}

static void *writer_main(void *p)
{
    dur_writer_t *w = p;
    pacing_t pc = {.last_sync_us = lc_now_mono_us()};
    pthread_mutex_lock(&w->mu);
    for (;;) {
        wait_for_work(w, &pc);
        entry_t *batch = w->head;
        bool stopping = w->stopping;
        w->head = NULL;
        w->tail = &w->head;
        w->queued = w->queued_bytes = 0;
        w->busy = true;
        pthread_cond_broadcast(&w->space);
        pthread_mutex_unlock(&w->mu);
        lc_err_t err;
        lc_err_clear(&err);
        int rc = write_batch(w, batch, &err);
        if (rc == LC_OK)
            rc = settle(w, stopping, &pc, &err);
        pthread_mutex_lock(&w->mu);
        w->busy = false;
        if (rc != LC_OK) {
            fail_locked(w, &err);
            break;
        }
        if (stopping && w->head == NULL)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ================================================================ the API */

static void writer_free(dur_writer_t *w)
{
    free_entries(w->head);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->space);
    pthread_cond_destroy(&w->progress);
    pthread_mutex_destroy(&w->mu);
    lc_free(w);
}

static int writer_init_sync(dur_writer_t *w)
{
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return -1;
    if (cond_init_mono(&w->work) != 0) {
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    if (cond_init_mono(&w->space) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    if (cond_init_mono(&w->progress) != 0) {
        pthread_cond_destroy(&w->space);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    return 0;
}

int dur_writer_start(dur_log_t *log, dur_fsync_policy_t policy, uint32_t interval_ms,
                     void (*on_durable)(void *arg, uint64_t offset), void *arg, dur_writer_t **out,
                     lc_err_t *err)
{
    *out = NULL;
    if (policy != DUR_FSYNC_EVERY_BATCH && policy != DUR_FSYNC_INTERVAL &&
        policy != DUR_FSYNC_NEVER)
        return lc_err_set(err, LC_EINVAL, "unknown fsync policy %d", (int)policy);
    /* What the log holds when we start counts as durable: make it so. */
    int rc = dur_log_sync(log, err);
    if (rc != LC_OK)
        return rc;
    dur_writer_t *w = lc_calloc(1, sizeof *w);
    if (w == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory starting the commit log writer");
    if (writer_init_sync(w) != 0) {
        lc_free(w);
        return lc_err_set(err, LC_ENOMEM, "cannot create the commit log writer's locks");
    }
    w->log = log;
    w->policy = policy;
    w->interval_ms = interval_ms;
    w->on_durable = on_durable;
    w->arg = arg;
    w->tail = &w->head;
    uint64_t last = dur_log_last_offset(log);
    w->next_offset = last ? last + 1 : 0;
    atomic_store(&w->durable, last);
    if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
        writer_free(w);
        return lc_err_set(err, LC_EIO, "cannot start the commit log writer thread: %s",
                          strerror(rc));
    }
    *out = w;
    return LC_OK;
}

static bool queue_full(const dur_writer_t *w, const entry_t *e)
{
    return w->queued > 0 &&
           (w->queued + e->n > MAX_RECORDS || w->queued_bytes + e->len > MAX_BYTES);
}

/* Check and queue e (lock held).  The thread waits only on an empty queue,
 * so only the first entry of a batch needs to wake it: *wake says so, and
 * the caller signals after unlocking (a thread woken under the lock would
 * only block on it). */
static int enqueue_locked(dur_writer_t *w, entry_t *e, bool *wake, lc_err_t *err)
{
    *wake = false;
    while (!w->failed && !w->stopping && queue_full(w, e)) pthread_cond_wait(&w->space, &w->mu);
    if (w->failed)
        return lc_err_set(err, LC_EIO, "the commit log writer failed: %s", w->fail_msg);
    if (w->stopping)
        return lc_err_set(err, LC_EINVAL, "the commit log writer is stopping");
    if (w->next_offset ? e->offset != w->next_offset : e->offset == 0)
        return lc_err_set(err, LC_EINVAL,
                          "commit log offsets must be consecutive: got %" PRIu64
                          ", expected %" PRIu64,
                          e->offset, w->next_offset ? w->next_offset : 1);
    bool was_empty = w->head == NULL;
    *w->tail = e;
    w->tail = &e->next;
    w->queued += e->n;
    w->queued_bytes += e->len;
    w->next_offset = e->offset + e->n;
    *wake = was_empty;
    return LC_OK;
}

static int enqueue(dur_writer_t *w, entry_t *e, lc_err_t *err)
{
    bool wake;
    pthread_mutex_lock(&w->mu);
    int rc = enqueue_locked(w, e, &wake, err);
    pthread_mutex_unlock(&w->mu);
    if (wake)
        pthread_cond_signal(&w->work);
    if (rc != LC_OK)
        lc_free(e);
    return rc;
}

int dur_writer_submit(dur_writer_t *w, uint64_t tx_offset, const void *payload, size_t len,
                      lc_err_t *err)
{
    if (len > UINT32_MAX)
        return lc_err_set(err, LC_ERANGE,
                          "a commit log record holds at most %" PRIu32 " bytes, not %zu",
                          UINT32_MAX, len);
    entry_t *e = lc_malloc(sizeof *e + FRAME_HDR + len);
    if (e == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory queueing a commit log record");
    e->next = NULL;
    e->offset = tx_offset;
    e->n = 1;
    e->len = FRAME_HDR + len;
    lc_store_u32le(e->payload, (uint32_t)len);
    if (len > 0)
        memcpy(e->payload + FRAME_HDR, payload, len);
    return enqueue(w, e, err);
}

/* Do the frames fill exactly len bytes with n records? */
static bool frames_ok(const uint8_t *p, size_t n, size_t len)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (len - pos < FRAME_HDR || len - pos - FRAME_HDR < lc_load_u32le(p + pos))
            return false;
        pos += FRAME_HDR + (size_t)lc_load_u32le(p + pos);
    }
    return pos == len;
}

int dur_writer_submit_framed(dur_writer_t *w, uint64_t first_offset, size_t n, const void *framed,
                             size_t len, lc_err_t *err)
{
    if (n == 0 || !frames_ok(framed, n, len))
        return lc_err_set(err, LC_EINVAL, "badly framed commit log records");
    entry_t *e = lc_malloc(sizeof *e + len);
    if (e == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory queueing commit log records");
    e->next = NULL;
    e->offset = first_offset;
    e->n = n;
    e->len = len;
    memcpy(e->payload, framed, len);
    return enqueue(w, e, err);
}

int dur_writer_submit_framed_inline(dur_writer_t *w, uint64_t first_offset, size_t n,
                                    const void *framed, size_t len, lc_err_t *err)
{
    if (n == 0 || !frames_ok(framed, n, len))
        return lc_err_set(err, LC_EINVAL, "badly framed commit log records");
    pthread_mutex_lock(&w->mu);
    bool idle = w->policy == DUR_FSYNC_EVERY_BATCH && !w->failed && !w->stopping && !w->busy &&
                w->head == NULL && first_offset != 0 &&
                (w->next_offset == 0 || first_offset == w->next_offset);
    if (idle) {
        w->busy = true;
        w->next_offset = first_offset + n;
    }
    pthread_mutex_unlock(&w->mu);
    if (!idle)
        return dur_writer_submit_framed(w, first_offset, n, framed, len, err);
    atomic_fetch_add_explicit(&w->batches, 1, memory_order_relaxed);
    int rc = write_frames(w, first_offset, n, framed, err);
    if (rc == LC_OK)
        rc = sync_log(w, err);
    if (rc == LC_OK)
        publish(w, dur_log_last_offset(w->log));
    pthread_mutex_lock(&w->mu);
    w->busy = false;
    if (rc != LC_OK)
        fail_locked(w, err);
    /* The thread waits for busy to clear only with records queued meanwhile;
     * waking it otherwise would cost a futex call per inline commit. */
    bool wake = w->head != NULL;
    pthread_mutex_unlock(&w->mu);
    if (wake)
        pthread_cond_signal(&w->work);
    return rc;
}

uint64_t dur_writer_durable(const dur_writer_t *w)
{
    return atomic_load(&w->durable);
}

int dur_writer_wait(dur_writer_t *w, uint64_t offset, int64_t timeout_us)
{
    if (atomic_load(&w->durable) >= offset)
        return LC_OK;
    struct timespec ts = deadline_after_us(timeout_us > 0 ? timeout_us : 0);
    int timed_out = 0;
    pthread_mutex_lock(&w->mu);
    while (atomic_load(&w->durable) < offset && !w->failed && timed_out != ETIMEDOUT) {
        if (timeout_us < 0)
            pthread_cond_wait(&w->progress, &w->mu);
        else
            timed_out = pthread_cond_timedwait(&w->progress, &w->mu, &ts);
    }
    int rc = atomic_load(&w->durable) >= offset ? LC_OK : w->failed ? LC_EIO : LC_EBUSY;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void dur_writer_stats(const dur_writer_t *w, dur_writer_stats_t *out)
{
    out->records = atomic_load_explicit(&w->records, memory_order_relaxed);
    out->bytes = atomic_load_explicit(&w->bytes, memory_order_relaxed);
    out->batches = atomic_load_explicit(&w->batches, memory_order_relaxed);
    out->fsyncs = atomic_load_explicit(&w->fsyncs, memory_order_relaxed);
}

int dur_writer_stop(dur_writer_t *w, lc_err_t *err)
{
    if (w == NULL)
        return LC_OK;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->work);
    pthread_cond_broadcast(&w->space);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    lc_err_t cerr;
    int rc = dur_log_close(w->log, &cerr);
    if (w->failed)
        rc = lc_err_set(err, LC_EIO, "the commit log writer failed: %s", w->fail_msg);
    else if (rc != LC_OK)
        rc = lc_err_set(err, rc, "%s", cerr.msg);
    writer_free(w);
    return rc;
}
