/*
 * durability — committed data survives crashes and restarts: the commit
 * log (segments of checksummed records), group commit on a dedicated
 * thread, transaction records (changesets in BSATN), snapshots, recovery,
 * and backups.  ../shared/spec/engine.md §3 describes the reference.
 *
 * Layout of one database's durable state (under its directory DIR):
 *
 *   DIR/clog/<20-digit min offset>.log     log segments
 *   DIR/clog/<20-digit min offset>.ofs     offset index of that segment
 *   DIR/snapshots/<20-digit offset>.snap   snapshots (written as .tmp, renamed)
 *
 * Offsets: every committed transaction that changed something has an
 * offset (store_changeset_t.tx_offset), consecutive from 1.  The log holds
 * a record per offset; a snapshot at offset S holds the state after S.
 */
#ifndef LC_DURABILITY_H
#define LC_DURABILITY_H

#include "base/base.h"
#include "store/store.h"

/* ================================================================ the log */

typedef struct dur_log dur_log_t;

typedef struct dur_log_options {
    uint64_t max_segment_size; /* rotate after a segment reaches this; default 256 MiB */
    uint32_t index_interval;   /* bytes between offset-index entries; default 4096 */
} dur_log_options_t;

/* What opening found and did. */
typedef struct dur_log_open_info {
    uint64_t first_offset; /* lowest offset in the log, 0 if empty */
    uint64_t last_offset;  /* highest whole record, 0 if empty */
    uint32_t segments;
    bool tail_repaired; /* a torn last record was cut off */
    uint64_t cut_bytes; /* how many bytes were cut */
} dur_log_open_info_t;

/* Open (creating if missing) the log in dir (DIR/clog).  Scans the last
 * segment: a torn tail — an incomplete or checksum-failing LAST record — is
 * truncated away, with a warning logged; damage before the last record is
 * LC_ECORRUPT naming the segment and byte offset, and nothing is changed.
 * opt may be NULL for defaults. */
int dur_log_open(const char *dir, const dur_log_options_t *opt, dur_log_t **out,
                 dur_log_open_info_t *info, lc_err_t *err);
/* Append one record (buffered).  tx_offset must be last_offset + 1 (or
 * any offset >= 1 when the log is empty, e.g. after a snapshot). */
int dur_log_append(dur_log_t *log, uint64_t tx_offset, const void *payload, size_t len,
                   lc_err_t *err);
/* Write buffered records to the file (no fsync). */
int dur_log_flush(dur_log_t *log, lc_err_t *err);
/* Flush, then fdatasync the segment (and the offset index). */
int dur_log_sync(dur_log_t *log, lc_err_t *err);
uint64_t dur_log_last_offset(const dur_log_t *log);
/* Bytes appended since open (for metrics and benchmarks). */
uint64_t dur_log_bytes_written(const dur_log_t *log);
/* Flush, sync and close. */
int dur_log_close(dur_log_t *log, lc_err_t *err);
/* Delete whole segments whose records all lie at or below offset (after a
 * snapshot made them unnecessary). */
int dur_log_prune(dur_log_t *log, uint64_t offset, lc_err_t *err);

/* Visit every record with offset >= from, in order, from the log in dir.
 * The callback returns 0 to go on or an error code to stop (returned).
 * Damage is LC_ECORRUPT (a torn tail is not damage if the log was opened
 * and repaired first; a reader on an unrepaired log stops at the tail). */
typedef int (*dur_record_cb)(void *arg, uint64_t tx_offset, const uint8_t *payload, size_t len);
int dur_log_read(const char *dir, uint64_t from, dur_record_cb cb, void *arg, lc_err_t *err);

/* Fault injection for tests: make the nth segment write, fdatasync or
 * creation of any log (counting from now, 1-based) and all after it fail
 * with EIO; n == 0 turns it off.  Process-wide, like lc_fault_alloc_after. */
void dur_fault_io_after(long n);

/* ================================================================ group commit */

typedef enum dur_fsync_policy {
    DUR_FSYNC_EVERY_BATCH = 0, /* default: fdatasync after each drained batch */
    DUR_FSYNC_INTERVAL = 1,    /* fdatasync at most every interval_ms */
    DUR_FSYNC_NEVER = 2,       /* write, never fsync (durable = written) */
} dur_fsync_policy_t;

typedef struct dur_writer dur_writer_t;

typedef struct dur_writer_stats {
    uint64_t records, bytes, batches, fsyncs;
} dur_writer_stats_t;

/* Start the group-commit thread writing to log (which it then owns until
 * dur_writer_stop).  on_durable, if not NULL, is called on the writer
 * thread each time the durable offset advances (to wake an event loop). */
int dur_writer_start(dur_log_t *log, dur_fsync_policy_t policy, uint32_t interval_ms,
                     void (*on_durable)(void *arg, uint64_t offset), void *arg, dur_writer_t **out,
                     lc_err_t *err);
/* Queue one record (copied).  Blocks while the queue is full (back-pressure
 * on the writer of transactions).  Offsets must be consecutive. */
int dur_writer_submit(dur_writer_t *w, uint64_t tx_offset, const void *payload, size_t len,
                      lc_err_t *err);
/* Queue n >= 1 records with offsets first_offset..first_offset+n-1 in one
 * go (copied): framed holds them as n x (u32 LE length, payload), len bytes
 * in all (LC_EINVAL if the frames do not fill it exactly).  One lock and one
 * allocation for the lot; otherwise as dur_writer_submit. */
int dur_writer_submit_framed(dur_writer_t *w, uint64_t first_offset, size_t n, const void *framed,
                             size_t len, lc_err_t *err);
/* As dur_writer_submit_framed, but when the writer is idle (nothing queued
 * or being written, policy EVERY_BATCH) append, sync and publish on the
 * calling thread (on_durable runs here), sparing a lone transaction the
 * hand-off to the writer thread and back.  Blocks for the fsync. */
int dur_writer_submit_framed_inline(dur_writer_t *w, uint64_t first_offset, size_t n,
                                    const void *framed, size_t len, lc_err_t *err);
/* The highest offset known durable under the policy. */
uint64_t dur_writer_durable(const dur_writer_t *w);
/* Wait until offset is durable or timeout_us passes (-1: forever);
 * LC_EBUSY on timeout, LC_EIO if the writer failed (its error is logged). */
int dur_writer_wait(dur_writer_t *w, uint64_t offset, int64_t timeout_us);
void dur_writer_stats(const dur_writer_t *w, dur_writer_stats_t *out);
/* Drain the queue, sync, stop the thread, and close the log. */
int dur_writer_stop(dur_writer_t *w, lc_err_t *err);

/* ================================================================ transaction records */

/*
 * A transaction record (the payload of a log record):
 *
 *   off  size  field
 *   0    1     flags: 0x10 timestamp present, 0x20 mutations present
 *   1    8     timestamp, i64 LE microseconds since the Unix epoch (if 0x10)
 *   ..         mutations (if 0x20):
 *                varint ngroups, { u32 table_id, varint nrows, nrows x (varint len, row) }
 *                  for the inserts, then the same for the deletes
 *                varint ntruncates, ntruncates x u32 table_id
 *
 * Rows are BSATN, each preceded by its length so that a record can be
 * checked and split without the schema.  Groups are in table-id order, so
 * system tables (catalog rows) replay before user tables.  varint = LEB128.
 */
int dur_txdata_encode(lc_buf_t *out, const store_changeset_t *cs, int64_t timestamp_us);

/* A decoded record; rows point into the payload. */
typedef struct dur_txdata {
    int64_t timestamp_us;
    uint32_t ngroups; /* inserts then deletes, see is_delete */
    struct dur_group {
        uint32_t table_id;
        bool is_delete;
        uint32_t nrows;
        const uint8_t *rows; /* nrows x (varint len, row) */
        size_t rows_len;
    } * groups;
    uint32_t ntruncates;
    uint32_t *truncates;
} dur_txdata_t;

int dur_txdata_decode(lc_arena_t *a, const uint8_t *p, size_t n, dur_txdata_t *out, lc_err_t *err);

/* ================================================================ snapshots, recovery */

/* Write a snapshot of the view's state into dir/snapshots (temporary
 * name, checksum, fsync, atomic rename, fsync of the directory); keep the
 * newest `keep` snapshots and delete older ones. */
int dur_snapshot_write(const char *dir, store_db_t *db, store_view_t *view, uint32_t keep,
                       lc_err_t *err);

/* A thread that snapshots db into dir every `every` transactions, keeping
 * the newest `keep`, never past the durable offset.  Feed it the durable
 * offset (e.g. from the group-commit writer's on_durable callback). */
typedef struct dur_snapshotter dur_snapshotter_t;
int dur_snapshotter_start(const char *dir, store_db_t *db, uint64_t every, uint32_t keep,
                          dur_snapshotter_t **out, lc_err_t *err);
void dur_snapshotter_notify(dur_snapshotter_t *s, uint64_t durable);
/* Snapshots written so far. */
uint64_t dur_snapshotter_taken(dur_snapshotter_t *s);
/* Stop the thread (a snapshot being written is finished first). */
void dur_snapshotter_stop(dur_snapshotter_t *s);

typedef struct dur_recovery_info {
    uint64_t snapshot_offset; /* 0 if none was used */
    uint64_t replayed;        /* log records applied */
    uint64_t last_offset;     /* the database's committed offset after recovery */
    bool tail_repaired;
} dur_recovery_info_t;

/* Open the database stored in dir: the newest valid snapshot, then the log
 * after it.  A new, empty database if dir holds nothing. */
int dur_recover(const char *dir, store_db_t **db, dur_recovery_info_t *info, lc_err_t *err);

/* ================================================================ backup */

/* Copy the database in src into the new or empty directory dst while src
 * may be in use: its newest snapshot and every whole log record after it.
 * The copy is then recovered in memory to prove it; info describes it. */
int dur_backup(const char *src, const char *dst, dur_recovery_info_t *info, lc_err_t *err);
/* Prove the backup by recovering it, then copy it into the new or empty
 * directory dst, and prove the result. */
int dur_restore(const char *backup, const char *dst, dur_recovery_info_t *info, lc_err_t *err);

#endif /* LC_DURABILITY_H */
