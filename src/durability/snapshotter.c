/*
 * The snapshotter: a thread that takes a snapshot every N transactions,
 * beside the writer of transactions (a read view lets it copy the state
 * without stopping anyone), so that recovery replays at most about N
 * records.
 *
 * As numbered steps, each time the durable offset (fed by
 * dur_snapshotter_notify, typically from the group-commit writer's
 * on_durable) has moved `every` past the last snapshot:
 *   1. Open a read view: the state as of its offset V.
 *   2. Wait until V is durable too: a snapshot must never hold a
 *      transaction the log could still lose (recovery would see a state
 *      the log cannot reach).
 *   3. Write it (dur_snapshot_write: temporary name, fsync, rename) and
 *      keep the newest `keep`.  The log itself is left whole: pruning it
 *      (dur_log_prune) is a separate decision, since backups read it.
 * A failed snapshot is logged and retried at the next interval; it never
 * stops the database.
 */
#include <pthread.h>
#include <string.h>

#include "durability.h"

struct dur_snapshotter {
    char dir[4096];
    store_db_t *db;
    uint64_t every, last, durable;
    uint32_t keep;
    uint64_t taken;
    uint64_t waiting_for; /* take_one waits until this offset is durable; 0: none */
    bool stopping;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
};

static bool due(const dur_snapshotter_t *s)
{
    return s->durable >= s->last + s->every;
}

/* Steps 1-3 once; called without the lock. */
static void take_one(dur_snapshotter_t *s)
{
    lc_err_t err;
    store_view_t *v;
    if (store_view_open(s->db, &v, &err) != LC_OK) {
        lc_log_error("snapshot: %s", err.msg);
        return;
    }
    uint64_t at = store_view_offset(v);
    pthread_mutex_lock(&s->mu);
    s->waiting_for = at;
    while (s->durable < at && !s->stopping) pthread_cond_wait(&s->cond, &s->mu);
    s->waiting_for = 0;
    bool go = s->durable >= at;
    pthread_mutex_unlock(&s->mu);
    if (go && at > s->last) {
        if (dur_snapshot_write(s->dir, s->db, v, s->keep, &err) == LC_OK) {
            lc_log_info("snapshot at transaction %llu written", (unsigned long long)at);
            pthread_mutex_lock(&s->mu);
            s->last = at;
            s->taken++;
            pthread_mutex_unlock(&s->mu);
        } else {
            lc_log_error("snapshot at transaction %llu failed (will retry): %s",
                         (unsigned long long)at, err.msg);
            pthread_mutex_lock(&s->mu);
            s->last = at; /* retry after another interval, not in a loop */
            pthread_mutex_unlock(&s->mu);
        }
    }
    store_view_close(v);
}

static void *snapshotter_main(void *arg)
{
    dur_snapshotter_t *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stopping && !due(s)) pthread_cond_wait(&s->cond, &s->mu);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->mu);
        take_one(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int dur_snapshotter_start(const char *dir, store_db_t *db, uint64_t every, uint32_t keep,
                          dur_snapshotter_t **out, lc_err_t *err)
{
    if (every == 0 || strlen(dir) >= sizeof(((dur_snapshotter_t *)0)->dir))
        return lc_err_set(err, LC_EINVAL, "snapshotter: interval must be > 0 and dir short");
    dur_snapshotter_t *s = lc_calloc(1, sizeof *s);
    if (s == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    strcpy(s->dir, dir);
    s->db = db;
    s->every = every;
    s->keep = keep;
    s->last = s->durable = store_db_committed_offset(db); /* recovered state is on disk */
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, snapshotter_main, s) != 0) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cond);
        lc_free(s);
        return lc_err_set(err, LC_EIO, "snapshotter: cannot start its thread");
    }
    *out = s;
    return LC_OK;
}

void dur_snapshotter_notify(dur_snapshotter_t *s, uint64_t durable)
{
    pthread_mutex_lock(&s->mu);
    bool wake = false;
    if (durable > s->durable) {
        s->durable = durable;
        /* Called after every fsync: wake the thread only when a snapshot
         * came due or one waits for this offset, not to find nothing to do. */
        wake = due(s) || (s->waiting_for && durable >= s->waiting_for);
    }
    /* Under the lock: dur_snapshotter_stop may destroy the condition as
     * soon as it has the lock.  Rare now, so waking a thread into it is
     * cheap. */
    if (wake)
        pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

uint64_t dur_snapshotter_taken(dur_snapshotter_t *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->taken;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void dur_snapshotter_stop(dur_snapshotter_t *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    lc_free(s);
}
