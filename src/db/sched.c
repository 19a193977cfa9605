/*
 * The scheduler: rows of schedule tables become timed reducer calls
 * (module-abi.md §6.4).
 *
 * Invariants:
 *   1. heap is a binary min-heap on due_us; it may hold stale entries.
 *   2. live maps (table_id, id) to the due time of the one entry that
 *      counts; an entry whose due time differs is stale and is dropped when
 *      popped.  So an update of a schedule row simply pushes again.
 *   3. Entries are pushed when a row is written, even if that transaction
 *      later rolls back: firing re-reads the row, and a missing row means
 *      the call was cancelled (the reference does the same).
 */
#include <string.h>

#include "db/db_int.h"

/* Delays at or beyond 2^36 - 1 ms are refused (§6.4). */
#define MAX_DELAY_US (((int64_t)1 << 36) - 1) * 1000

static void key_of(uint8_t key[12], uint32_t table_id, uint64_t id)
{
    memcpy(key, &table_id, 4);
    memcpy(key + 4, &id, 8);
}

static lc_map_t *live_map(db_t *db)
{
    return &db->sched_live;
}

static void sift_up(db_sched_entry_t *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].due_us <= h[i].due_us)
            break;
        db_sched_entry_t t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static void sift_down(db_sched_entry_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].due_us < h[m].due_us)
            m = l;
        if (r < n && h[r].due_us < h[m].due_us)
            m = r;
        if (m == i)
            return;
        db_sched_entry_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

int db__sched_push(db_t *db, int64_t due_us, uint32_t table_id, uint64_t id)
{
    if (db->nheap == db->capheap) {
        size_t cap = db->capheap ? db->capheap * 2 : 64;
        db_sched_entry_t *h = lc_realloc(db->heap, cap * sizeof *h);
        if (!h)
            return LC_ENOMEM;
        db->heap = h;
        db->capheap = cap;
    }
    uint8_t key[12];
    key_of(key, table_id, id);
    if (lc_map_put(live_map(db), key, sizeof key, (void *)(intptr_t)due_us, NULL))
        return LC_ENOMEM;
    db->heap[db->nheap] = (db_sched_entry_t){due_us, table_id, id};
    sift_up(db->heap, db->nheap++);
    return LC_OK;
}

int64_t db__sched_next_due(db_t *db)
{
    return db->nheap ? db->heap[0].due_us : -1;
}

static db_sched_entry_t pop(db_t *db)
{
    db_sched_entry_t top = db->heap[0];
    db->heap[0] = db->heap[--db->nheap];
    sift_down(db->heap, db->nheap, 0);
    return top;
}

/* The hook the module host calls when a transaction writes a schedule row. */
int db__on_schedule(void *arg, uint32_t table_id, uint64_t id, int64_t at_us, bool interval)
{
    db_t *db = arg;
    int64_t now = lc_now_wall_us();
    int64_t delay = interval ? (at_us < 0 ? -at_us : at_us) : at_us - now;
    if (delay < 0)
        delay = 0;
    if (delay >= MAX_DELAY_US)
        return MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG;
    if (db__sched_push(db, now + delay, table_id, id))
        lc_log(LC_LOG_ERROR, "scheduler: out of memory; a scheduled call is lost");
    return 0;
}

/* Read the schedule row (table_id, id) in tx into rows. */
static int read_row(db_t *db, store_tx_t *tx, const mod_schedule_info_t *si, uint64_t id,
                    store_rows_t *rows)
{
    uint8_t key[8];
    lc_store_u64le(key, id);
    return store_tx_index_point(tx, si->pk_index_id, key, sizeof key, rows, NULL);
}

/* After a run: delete a one-shot row, or push an interval row's next tick
 * (the first intended + m*|d| strictly after now). */
static void after_run(db_t *db, const mod_schedule_info_t *si, uint32_t table_id, uint64_t id,
                      int64_t intended, bool interval, int64_t at)
{
    int64_t now = lc_now_wall_us();
    if (interval) {
        int64_t d = at < 0 ? -at : at;
        if (d == 0)
            d = 1;
        int64_t next = intended + d;
        if (next <= now)
            next = intended + ((now - intended) / d + 1) * d;
        db__sched_push(db, next, table_id, id);
        return;
    }
    store_tx_t *tx;
    lc_err_t err;
    uint8_t key[8];
    lc_store_u64le(key, id);
    uint32_t n;
    if (store_tx_begin(db->store, &tx, &err))
        return;
    if (store_delete_by_point(tx, si->pk_index_id, key, sizeof key, &n, &err)) {
        store_tx_rollback(tx);
        return;
    }
    store_changeset_t cs;
    if (db__commit(db, tx, now, &cs, &err) == LC_OK) {
        db__notify_commit(db, &cs);
        store_changeset_free(&cs);
    }
}

static void fire(db_t *db, const db_sched_entry_t *e)
{
    mod_schedule_info_t si;
    if (!db->host || mod_host_schedule_info(db->host, e->table_id, &si))
        return; /* the table is no longer a schedule table */
    store_tx_t *tx;
    lc_err_t err;
    if (store_tx_begin(db->store, &tx, &err))
        return;
    store_rows_t rows;
    store_rows_init(&rows);
    if (read_row(db, tx, &si, e->id, &rows) || rows.count == 0) {
        store_rows_free(&rows);
        store_tx_rollback(tx); /* cancelled: the row is gone */
        return;
    }
    const uint8_t *row = rows.data.data + rows.offsets[0];
    size_t len = (rows.count > 1 ? rows.offsets[1] : rows.data.len) - rows.offsets[0];
    int64_t at = 0;
    bool interval = false;
    uint64_t id;
    if (mod_host_schedule_row(db->host, e->table_id, row, len, &id, &at, &interval)) {
        store_rows_free(&rows);
        store_tx_rollback(tx);
        return;
    }
    int64_t now = lc_now_wall_us();
    mod_caller_t caller = {.timestamp_us = now > e->due_us ? now : e->due_us};
    memcpy(caller.identity, db->cfg.identity, 32);
    atomic_fetch_add(&db->stats.scheduled_runs, 1);
    db__finish_reducer(db, tx, si.reducer, &caller, row, len, NULL, NULL);
    store_rows_free(&rows);
    after_run(db, &si, e->table_id, e->id, e->due_us, interval, at);
}

void db__sched_run_due(db_t *db, int64_t now_us)
{
    while (db->nheap && db->heap[0].due_us <= now_us) {
        db_sched_entry_t e = pop(db);
        uint8_t key[12];
        key_of(key, e.table_id, e.id);
        void *live = lc_map_get(live_map(db), key, sizeof key);
        if (!live || (int64_t)(intptr_t)live != e.due_us)
            continue; /* invariant 2: stale */
        lc_map_del(live_map(db), key, sizeof key);
        fire(db, &e);
    }
}

/* Enqueue every row of every schedule table (after open or publish). */
int db__sched_load(db_t *db)
{
    if (!db->host)
        return LC_OK;
    uint32_t *ids, n;
    if (store_table_ids(db->store, &ids, &n, NULL))
        return LC_ENOMEM;
    store_tx_t *tx;
    int rc = store_tx_begin(db->store, &tx, NULL);
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) {
        mod_schedule_info_t si;
        if (mod_host_schedule_info(db->host, ids[i], &si))
            continue;
        store_rows_t rows;
        store_rows_init(&rows);
        rc = store_tx_scan(tx, ids[i], &rows, NULL);
        for (uint32_t r = 0; rc == LC_OK && r < rows.count; r++) {
            size_t end = r + 1 < rows.count ? rows.offsets[r + 1] : rows.data.len;
            uint64_t id;
            int64_t at;
            bool interval;
            if (mod_host_schedule_row(db->host, ids[i], rows.data.data + rows.offsets[r],
                                      end - rows.offsets[r], &id, &at, &interval) == LC_OK)
                db__on_schedule(db, ids[i], id, at, interval);
        }
        store_rows_free(&rows);
    }
    if (tx)
        store_tx_rollback(tx);
    lc_free(ids);
    return rc;
}

void db__sched_clear(db_t *db)
{
    db->nheap = 0;
    lc_map_free(&db->sched_live);
    lc_map_init(&db->sched_live);
}

void db__sched_free(db_t *db)
{
    lc_free(db->heap);
    db->heap = NULL;
    db->nheap = db->capheap = 0;
    lc_map_free(&db->sched_live);
}
