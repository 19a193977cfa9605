/*
 * mod_log — the module log of one database (module-abi.md §9, issue 5).
 *
 * Every console_log line a module writes, and the messages the host
 * injects about it (init, updates, reducer errors), is kept as one JSON
 * object per line in the reference's shape:
 *
 *   {"level":"Info","ts":1723456789012345,"target":"m","filename":"src/lib.rs",
 *    "line_number":42,"function":"add_person","message":"hello"}
 *
 * either in files, one per UTC day (<database dir>/module_logs/YYYY-MM-DD.log,
 * with .N.log parts when one day outgrows the size bound), or in a ring in
 * memory for in-memory databases.  Total size and age are bounded; the
 * oldest whole files go first.  Readers take the last N lines across days
 * (mod_log_read) and then follow new records by sequence number
 * (mod_log_wait, or mod_log_subscribe from an event loop).
 *
 * Public surface (prefix mod_log_):
 *   mod_log_open / _close       files in a directory (created 0700), or memory
 *   mod_log_append              one record; never fails the caller on disk errors
 *   mod_log_system              a host message (sentinel everywhere, level Info)
 *   mod_log_error_for           a reducer's user error or a rejected call
 *   mod_log_read                the last N records, and a cursor to follow from
 *   mod_log_wait                records after a cursor, blocking up to a timeout
 *   mod_log_subscribe / _unsubscribe   be told (from the appending thread) of news
 *   mod_log_encode              one record as its JSON line
 *   mod_log_format_text         a JSON line as `spacetime logs` prints it
 *   mod_log_level_*             names, console_log numbers, --level filtering
 *   mod_log_stats               counters (write errors, evictions, sizes)
 *
 * Thread safety: every function taking a mod_log_t may be called from any
 * thread at any time, except mod_log_close (no other call may be running or
 * start; waiters blocked in mod_log_wait are woken and told LC_EBUSY first).
 */
#ifndef LC_MOD_LOG_H
#define LC_MOD_LOG_H

#include "base/base.h"

typedef struct mod_log mod_log_t;

/* Injected records carry this in target, filename and (unless a function is
 * named) function; `spacetime logs` hides it. */
#define MOD_LOG_SENTINEL "__spacetimedb__"
/* line_number absent (console_log's 0xFFFFFFFF). */
#define MOD_LOG_LINE_NONE UINT32_MAX

/* The six levels, numbered as console_log numbers them (§3.8). */
typedef enum mod_log_level {
    MOD_LOG_ERROR = 0,
    MOD_LOG_WARN = 1,
    MOD_LOG_INFO = 2,
    MOD_LOG_DEBUG = 3,
    MOD_LOG_TRACE = 4,
    MOD_LOG_PANIC = 101,
} mod_log_level_t;

/* console_log's level argument, cut to a byte as the reference does: 0..4
 * and 101 as above, anything else Debug. */
mod_log_level_t mod_log_level_from_abi(uint32_t v);
/* "Error", "Warn", "Info", "Debug", "Trace", "Panic" (the JSON names). */
const char *mod_log_level_name(mod_log_level_t level);
/* Severity for filtering: trace 0 < debug 1 < info 2 < warn 3 < error 4 < panic 5. */
int mod_log_level_severity(mod_log_level_t level);
/* "trace" .. "panic", any case (the CLI's --level); LC_EINVAL otherwise. */
int mod_log_level_parse(const char *s, mod_log_level_t *out);
/* Whether a record of `level` is shown with minimum level `min`. */
bool mod_log_level_passes(mod_log_level_t level, mod_log_level_t min);
/* The level of a JSON line (for filtering --format json output without
 * reformatting it); LC_ECORRUPT if it is not a record. */
int mod_log_line_level(const char *json_line, size_t len, mod_log_level_t *out);

/* ---------------------------------------------------------------- records */

/* A byte range borrowed from the caller (e.g. wasm memory); p == NULL means
 * absent.  Bytes need not be valid UTF-8: they are decoded lossily, each
 * invalid sequence becoming U+FFFD, as the reference does. */
typedef struct mod_log_bytes {
    const void *p;
    size_t len;
} mod_log_bytes_t;

/* A C string as a byte range (NULL stays absent). */
mod_log_bytes_t mod_log_cstr(const char *s);

/* One frame of a panic backtrace; either name may be absent. */
typedef struct mod_log_frame {
    mod_log_bytes_t module_name;
    mod_log_bytes_t func_name;
} mod_log_frame_t;

/* A record to append.  Everything is borrowed for the duration of the call. */
typedef struct mod_log_record {
    mod_log_level_t level;
    int64_t ts_us;            /* µs since the Unix epoch; also picks the day file */
    mod_log_bytes_t target;   /* console_log target (module path), or absent */
    mod_log_bytes_t filename; /* source file, or absent */
    uint32_t line;            /* source line, or MOD_LOG_LINE_NONE */
    mod_log_bytes_t function; /* reducer/procedure/view running, or absent */
    mod_log_bytes_t message;  /* absent is written as "" */
    /* Panic records only (ignored otherwise; a Panic always gets a "trace"
     * array, empty when trace_len is 0): frames innermost first. */
    const mod_log_frame_t *trace;
    size_t trace_len;
} mod_log_record_t;

/* Append rec as one JSON line (ending in '\n') to out.  Strings are cut (at
 * a character boundary; the message gets " [truncated]") so that the line
 * stays within max_bytes (0 = no limit; at least 1024 otherwise);
 * *truncated (may be NULL) says whether anything was cut.  LC_ENOMEM only. */
int mod_log_encode(const mod_log_record_t *rec, size_t max_bytes, lc_buf_t *out, bool *truncated);

/* ---------------------------------------------------------------- the log */

typedef struct mod_log_config {
    /* Bound on the bytes of all files together, or of the ring in memory.
     * 0 = 64 MiB on disk, 4 MiB in memory.  Files are at most a quarter of
     * it (a day rotates into YYYY-MM-DD.N.log parts), so that deleting the
     * oldest file frees little.  Values below 16 KiB are raised to 16 KiB. */
    uint64_t max_total_bytes;
    /* Days of files kept, counting the newest day; 0 = 30. */
    uint32_t max_age_days;
    /* Newest records kept in memory beside the files, for followers and in
     * case the disk fails; 0 = 1 MiB.  Unused in memory-only logs. */
    uint64_t mem_tail_bytes;
    /* Bound on one line; 0 = 256 KiB; never more than a quarter of
     * max_total_bytes.  Longer messages are truncated. */
    uint32_t max_record_bytes;
} mod_log_config_t;

/* Open the log in directory dir (created 0700 if missing; its parent must
 * exist), picking up the files already there, or in memory when dir is
 * NULL.  cfg may be NULL for defaults.  A torn last line in the newest file
 * (a crash mid-write) is cut off.  *out is the caller's; free with
 * mod_log_close. */
int mod_log_open(const char *dir, const mod_log_config_t *cfg, mod_log_t **out, lc_err_t *err);
/* Close the files and free everything.  NULL is a no-op. */
void mod_log_close(mod_log_t *log);

/* Append one record: one write(2) to the current day file, then the
 * in-memory tail, then followers are woken.  A failed write (disk full, file
 * removed) is counted in the stats and the record stays readable from
 * memory; it never fails the caller.  Returns LC_OK, or LC_ENOMEM when the
 * record could not even be built (dropped; also counted).  log == NULL is a
 * no-op (hosts without a log). */
int mod_log_append(mod_log_t *log, const mod_log_record_t *rec);
/* A host message: level Info, sentinel target, filename and function, now. */
void mod_log_system(mod_log_t *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A reducer's user error, or a call refused before running (no such
 * reducer, bad arguments): level Error, sentinel target and filename,
 * function = the requested name, ts = the reducer's timestamp. */
void mod_log_error_for(mod_log_t *log, const char *function, int64_t ts_us, const char *msg);

/* ---------------------------------------------------------------- readers */

/* Append the last num_lines records (0 = all that remain), oldest first,
 * as JSON lines to out, reading across day files.  *cursor_out (may be
 * NULL) receives the cursor to follow from: mod_log_wait with it returns
 * exactly the records appended after those returned here.  With out NULL
 * only the cursor is taken (the HTTP route's num_lines=0: nothing, then
 * follow).  LC_ENOMEM, or LC_EIO when a file cannot be read. */
int mod_log_read(mod_log_t *log, size_t num_lines, lc_buf_t *out, uint64_t *cursor_out);

/* Append to out the records appended since cursor (a sequence number from
 * mod_log_read or an earlier wait), waiting up to timeout_ms for one if
 * there are none yet (0: do not wait; < 0: wait indefinitely).  On return
 * *cursor_out is the cursor for the next call; it equals cursor when the
 * wait timed out with nothing.  A follower that fell behind the in-memory
 * tail skips ahead to its oldest record.  LC_EBUSY when the log is being
 * closed; LC_ENOMEM. */
int mod_log_wait(mod_log_t *log, uint64_t cursor, int timeout_ms, lc_buf_t *out,
                 uint64_t *cursor_out);

/* Call cb(arg) after each append, on the appending thread, with the log's
 * lock held: cb must only signal (uv_async_send, a condition variable) and
 * never call into the log.  Once mod_log_unsubscribe(log, cb, arg) has
 * returned, cb is not running and never runs again for that pair. */
int mod_log_subscribe(mod_log_t *log, void (*cb)(void *arg), void *arg);
void mod_log_unsubscribe(mod_log_t *log, void (*cb)(void *arg), void *arg);

/* ---------------------------------------------------------------- the CLI */

/* Append the text form of one JSON line (trailing newline optional) as
 * `spacetime logs` prints it (colours aside), ending in '\n':
 *
 *   2024-08-12T10:39:49.012345Z  INFO: add_person src/lib.rs:42: hello
 *
 * the timestamp as chrono prints it (fraction in 3 or 6 digits, none when
 * zero), the level right-aligned to 5, the function and the filename[:line]
 * each only when present and not the sentinel (and the ": " after them only
 * when one is printed); Panic records add "backtrace:" and one line per
 * frame.  LC_ECORRUPT if the line is not a record; LC_ENOMEM. */
int mod_log_format_text(const char *json_line, size_t len, lc_buf_t *out);

/* ---------------------------------------------------------------- stats */

typedef struct mod_log_stats {
    uint64_t records;       /* appended since open */
    uint64_t write_errors;  /* records not written to disk (kept in memory) */
    uint64_t dropped;       /* lost to allocation failure: never appended, or
                               appended but missing from the in-memory tail */
    uint64_t truncated;     /* records cut to max_record_bytes */
    uint64_t files_removed; /* files deleted by the size or age bound */
    uint64_t disk_bytes;    /* bytes in the files now */
    uint32_t files;         /* files now */
    uint64_t mem_records;   /* records in the in-memory tail */
    uint64_t mem_bytes;     /* their bytes */
    uint64_t next_seq;      /* cursor of the next record */
} mod_log_stats_t;
void mod_log_stats(mod_log_t *log, mod_log_stats_t *out);

/* Tests: make the nth write(2) from now and all after it fail with ENOSPC
 * (n == 0 turns it off). */
void mod_log__fail_writes_after(mod_log_t *log, long n);

#endif /* LC_MOD_LOG_H */
