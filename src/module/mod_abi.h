/*
 * mod_abi — the host side of the SpacetimeDB module ABI: the thirty
 * functions a module imports from spacetime_10.0 .. spacetime_10.5
 * (../shared/spec/module-abi.md §0, §2, §3, §4.1, §6.4, §6.6-6.8).
 *
 * One mod_abi_ctx_t per wasm instance is the instance's host context: the
 * engine passes it as the first argument of every import.  The host (the
 * database layer) fills the public fields, links mod_abi_host_fns() into
 * the engine, and brackets each export call with mod_abi_call_begin/_end.
 * Guest memory and traps are reached only through ctx->memory and
 * ctx->trap, so nothing here depends on the engine.
 *
 * Guest pointers (§0): every pointer and length is a u32 offset into linear
 * memory; [ptr, ptr+len) is checked in 64 bits against the size fetched
 * for that access (never cached: memory may grow or move between calls);
 * ptr 0 is NULL and invalid even with len 0.  A bad pointer traps with a
 * message "<import>: <what> ..." (console_log alone swallows it).  Integers
 * in guest memory are little-endian and unaligned.
 *
 * Handles (§3.1), all dropped by mod_abi_call_end:
 *   bytes source  u32 from a counter starting at 1 (0 = the empty source);
 *                 freed when read to the end
 *   bytes sink    u32 from a counter starting at 1
 *   row iterator  slab index + 1 (freed slots reused last-freed first)
 *   timer         slab index + 1, likewise
 * (The reference keeps iterators and timers across calls; here they end
 * with the call like sources and sinks, which no guest can tell apart.)
 *
 * Transactions: the datastore imports act on ctx->tx; NULL gives
 * NOT_IN_TRANSACTION.  States of ctx->tx:
 *
 *   state       entered by                           left by
 *   NONE        host sets tx = NULL                  host sets tx; START
 *   CALL        host sets tx (reducer, init, ...)    host clears it
 *   ANONYMOUS   procedure_start_mut_tx (hooks.       procedure_commit_mut_tx,
 *               tx_begin); tx_anonymous = true       procedure_abort_mut_tx, or
 *                                                    the host at procedure end
 *                                                    (abort, log "aborting
 *                                                    dangling ...")
 *
 * Store errors become errnos as §2 maps them; anything else (out of memory,
 * a broken invariant) traps with the store's message.
 */
#ifndef LC_MOD_ABI_H
#define LC_MOD_ABI_H

#include "base/base.h"
#include "module/mod_log.h"
#include "store/store.h"
#include "wasm/wasm.h"

/* Error numbers returned to the guest (§2, crates/primitives/src/errno.rs). */
typedef enum mod_errno {
    MOD_ERRNO_OK = 0,
    MOD_ERRNO_HOST_CALL_FAILURE = 1,
    MOD_ERRNO_NOT_IN_TRANSACTION = 2,
    MOD_ERRNO_BSATN_DECODE_ERROR = 3,
    MOD_ERRNO_NO_SUCH_TABLE = 4,
    MOD_ERRNO_NO_SUCH_INDEX = 5,
    MOD_ERRNO_NO_SUCH_ITER = 6,
    MOD_ERRNO_NO_SUCH_CONSOLE_TIMER = 7,
    MOD_ERRNO_NO_SUCH_BYTES = 8,
    MOD_ERRNO_NO_SPACE = 9,
    MOD_ERRNO_WRONG_INDEX_ALGO = 10,
    MOD_ERRNO_BUFFER_TOO_SMALL = 11,
    MOD_ERRNO_UNIQUE_ALREADY_EXISTS = 12,
    MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG = 13,
    MOD_ERRNO_INDEX_NOT_UNIQUE = 14,
    MOD_ERRNO_NO_SUCH_ROW = 15,
    MOD_ERRNO_AUTO_INC_OVERFLOW = 16,
    MOD_ERRNO_WOULD_BLOCK_TRANSACTION = 17,
    MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS = 18,
    MOD_ERRNO_TRANSACTION_IS_READ_ONLY = 19,
    MOD_ERRNO_TRANSACTION_IS_MUT = 20,
    MOD_ERRNO_HTTP_ERROR = 21,
} mod_errno_t;

/* Rows are handed to the guest in chunks of whole rows, a chunk closed as
 * soon as it holds more than this many bytes (§3.4). */
#define MOD_ABI_ROW_CHUNK 32768

/* What the host provides beyond the store.  Every hook gets ctx->hook_arg
 * first.  A NULL hook means the feature is missing: the import then behaves
 * as noted.  Byte ranges passed to hooks are borrowed for the call only
 * (they may point into guest memory).  Hooks must not call into wasm,
 * except tx_commit (view refresh); memory is fetched again afterwards. */
typedef struct mod_abi_hooks {
    /* console_log and console_timer_end: one record, level already mapped
     * (§3.8), ts_us = now, function = ctx->func_name.  NULL: logs dropped. */
    void (*log)(void *arg, const mod_log_record_t *rec);
    /* After every successful insert or update (row = the stored row, with
     * generated values): if table_id is a schedule table, (re)schedule it
     * (§6.4).  Returns 0, MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG (returned to
     * the guest; the row stays written), or a negative LC_E* (trap).
     * NULL: no schedule tables. */
    int (*schedule)(void *arg, uint32_t table_id, const uint8_t *row, size_t len);
    /* get_jwt: the JWT payload stored for a connection.  LC_OK with
     * *payload = NULL when there is none; the bytes are copied before the
     * hook is called again.  Negative LC_E*: trap.  NULL: the payload is
     * read from st_connection_credentials in ctx->tx, as the reference
     * does. */
    int (*jwt)(void *arg, const uint8_t connection_id[16], const uint8_t **payload, size_t *len);
    /* Procedure transactions (§3.11), set all three or none.  tx_begin
     * blocks until the write lock is held and returns the new transaction;
     * tx_commit commits it (re-evaluating views, broadcasting) and always
     * consumes it, also on failure (negative LC_E*: trap with err's
     * message); tx_abort rolls it back.  NULL: procedure_start_mut_tx traps
     * ("no procedure transactions here"). */
    int (*tx_begin)(void *arg, store_tx_t **tx, lc_err_t *err);
    int (*tx_commit)(void *arg, store_tx_t *tx, lc_err_t *err);
    void (*tx_abort)(void *arg, store_tx_t *tx);
    /* volatile_nonatomic_schedule_immediate: enqueue a call of `name`
     * (valid UTF-8, not NUL-terminated) with BSATN args, not tied to the
     * transaction.  Negative LC_E*: trap.  NULL: the import traps. */
    int (*schedule_immediate)(void *arg, const char *name, size_t name_len, const uint8_t *args,
                              size_t args_len);
    /* procedure_sleep_until, async instances only: sleep until
     * wake_at_us (in the future; the ABI answers past times itself) and
     * return the wall clock then.  NULL: the import traps. */
    int64_t (*sleep_until)(void *arg, int64_t wake_at_us);
    /* procedure_http_request, async instances only, no tx open: perform the
     * request (BSATN http::Request, already checked to decode; body raw).
     * Returns 0 with *response = BSATN http::Response and *response_body,
     * or MOD_ERRNO_HTTP_ERROR with *error = a message (the ABI encodes it
     * as a BSATN String), or a negative LC_E* (trap).  NULL: every request
     * fails with HTTP_ERROR "HTTP requests are not available on this
     * host". */
    int (*http)(void *arg, const uint8_t *request, size_t request_len, const uint8_t *body,
                size_t body_len, lc_buf_t *response, lc_buf_t *response_body, lc_buf_t *error);
} mod_abi_hooks_t;

/* A slab of handles: ids are index + 1; freed slots are reused last-freed
 * first (the Rust slab crate's order). */
typedef struct mod_abi_slab {
    void **items;
    uint32_t *free; /* stack of free indexes */
    uint32_t n, cap, nfree;
} mod_abi_slab_t;

typedef struct mod_abi_source mod_abi_source_t;
typedef struct mod_abi_sink mod_abi_sink_t;

typedef struct mod_abi_ctx {
    /* ---- filled by the host ---- */
    void *inst; /* the wasm instance, passed back to memory and trap */
    /* The instance's linear memory and its size (wasm_instance_memory). */
    uint8_t *(*memory)(void *inst, uint64_t *size);
    /* Make the running call trap with msg once the import returns (a
     * wrapper of wasm_instance_trap). */
    void (*trap)(void *inst, const char *msg);
    store_db_t *db;
    store_tx_t *tx;                /* current transaction, or NULL */
    bool tx_anonymous;             /* tx came from procedure_start_mut_tx (set here) */
    uint8_t database_identity[32]; /* little-endian, as `identity` writes it */
    /* Source/accessor names of tables and indexes (§3.3), consulted after
     * the canonical names in the store; build with mod_abi_alias_put.
     * Borrowed (shared by a module's instances); may be NULL. */
    const lc_map_t *table_aliases;
    const lc_map_t *index_aliases;
    const char *func_name; /* canonical name of the running function, for logs; or NULL */
    bool async_lane;       /* procedure-lane instance: sleep and HTTP allowed */
    mod_abi_hooks_t hooks;
    void *hook_arg;

    /* ---- private to abi*.c ---- */
    mod_abi_source_t *sources;
    uint32_t nsources, sources_cap, next_source_id;
    uint8_t *spare_source; /* a dropped source's buffer, for the next */
    uint32_t spare_source_cap;
    mod_abi_sink_t *sinks;
    uint32_t nsinks, sinks_cap, next_sink_id;
    mod_abi_slab_t iters;
    mod_abi_slab_t timers;
    /* Reused across calls so that a point lookup allocates nothing: the
     * rows of the last scan, and finished iterators with their buffers. */
    store_rows_t scratch;
    void **iter_pool;
    uint32_t niter_pool;
} mod_abi_ctx_t;

/* ---------------------------------------------------------------- API */

/* The 30 imports (module, name, signature, C function), for
 * wasm_engine_config_t.host_fns.  Static data. */
const wasm_host_fn_t *mod_abi_host_fns(size_t *n);
/* A module engine with those imports, compiling into cache_dir at the
 * default optimisation level (what the server and generate --bin-path use). */
int mod_abi_engine_new(const char *cache_dir, wasm_engine_t **out, lc_err_t *err);
/* The compile cache without a data directory (--in-memory, or no home):
 * $TMPDIR (or /tmp)/lightcone-wasm-cache-<uid>. */
void mod_abi_tmp_cache_dir(char *out, size_t cap);

/* Zero ctx and set up empty handle tables; the host fills the public
 * fields afterwards. */
void mod_abi_ctx_init(mod_abi_ctx_t *ctx);
/* Free every handle (ctx->tx is the host's and is left alone). */
void mod_abi_ctx_free(mod_abi_ctx_t *ctx);

/* Around each export call (reducer, procedure, view, describe, setup):
 * both drop every source, sink, iterator and timer and restart the source
 * and sink counters at 1.  Read the call's sinks before call_end. */
void mod_abi_call_begin(mod_abi_ctx_t *ctx);
void mod_abi_call_end(mod_abi_ctx_t *ctx);

/* A bytes source holding a copy of bytes; *id = 0 (and nothing created)
 * when len is 0.  LC_ERANGE past 4 GiB - 1, LC_ENOMEM. */
int mod_abi_source_new(mod_abi_ctx_t *ctx, const uint8_t *bytes, size_t len, uint32_t *id,
                       lc_err_t *err);
/* A new empty sink for the guest to write to. */
int mod_abi_sink_new(mod_abi_ctx_t *ctx, uint32_t *id, lc_err_t *err);
/* The bytes written to sink id so far (valid until the next write or
 * call_end; NULL with *len = 0 when empty), or NULL when there is no such
 * sink. */
const uint8_t *mod_abi_sink_data(mod_abi_ctx_t *ctx, uint32_t id, size_t *len);

/* Record a source/accessor name for a table or index id in an alias map
 * (lc_map_init'ed by the caller, who frees it with lc_map_free). */
int mod_abi_alias_put(lc_map_t *aliases, const char *name, uint32_t id);

/* Rust's `{:?}` of a Duration (1.5ms, 12µs, 2.000000001s, 0ns) into out
 * (at least 32 bytes). */
void mod_abi_format_duration(char *out, size_t cap, uint64_t nanos);

/* ---------------------------------------------------------------- private (abi*.c) */

/* Trap the running call with "<fn>: <message>". */
void mod_abi__trap(mod_abi_ctx_t *ctx, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Guest bytes [ptr, ptr+len), or NULL after trapping. */
uint8_t *mod_abi__mem(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                      uint64_t len);
/* The same without trapping (console_log). */
uint8_t *mod_abi__mem_quiet(mod_abi_ctx_t *ctx, uint32_t ptr, uint64_t len);
bool mod_abi__read_u32(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                       uint32_t *v);
bool mod_abi__write(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                    const void *src, size_t n);
bool mod_abi__write_u32(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                        uint32_t v);
bool mod_abi__write_u64(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                        uint64_t v);

/* Which errno each store code becomes for one import; 0 = trap. */
typedef struct mod_abi_errmap {
    uint8_t notfound, corrupt, exist, unsupported;
} mod_abi_errmap_t;
/* The errno for a failed store call, or 0 after trapping. */
uint32_t mod_abi__store_errno(mod_abi_ctx_t *ctx, const char *fn, int rc, const lc_err_t *err,
                              const mod_abi_errmap_t *map);

/* Register a materialized row set as an iterator (the rows are copied;
 * rows itself is left to the caller); *id is its handle. */
int mod_abi__iter_new(mod_abi_ctx_t *ctx, const store_rows_t *rows, uint32_t *id);
/* The ctx's scratch row set, emptied (valid until the next scan). */
store_rows_t *mod_abi__scratch(mod_abi_ctx_t *ctx);
/* Emit one log record through hooks.log. */
void mod_abi__log(mod_abi_ctx_t *ctx, mod_log_level_t level, mod_log_bytes_t target,
                  mod_log_bytes_t filename, uint32_t line, mod_log_bytes_t message);

/* The imports, one C function each (signatures as in module-abi.md §3.0;
 * i32 is uint32_t, i64 uint64_t). */
uint32_t mod_abi__table_id_from_name(void *c, uint32_t name, uint32_t name_len, uint32_t out);
uint32_t mod_abi__index_id_from_name(void *c, uint32_t name, uint32_t name_len, uint32_t out);
uint32_t mod_abi__datastore_table_row_count(void *c, uint32_t table_id, uint32_t out);
uint32_t mod_abi__datastore_table_scan_bsatn(void *c, uint32_t table_id, uint32_t out);
uint32_t mod_abi__datastore_index_scan_range_bsatn(void *c, uint32_t index_id, uint32_t prefix,
                                                   uint32_t prefix_len, uint32_t prefix_elems,
                                                   uint32_t rstart, uint32_t rstart_len,
                                                   uint32_t rend, uint32_t rend_len, uint32_t out);
uint32_t mod_abi__datastore_index_scan_point_bsatn(void *c, uint32_t index_id, uint32_t point,
                                                   uint32_t point_len, uint32_t out);
uint32_t mod_abi__row_iter_bsatn_advance(void *c, uint32_t iter, uint32_t buf,
                                         uint32_t buf_len_ptr);
uint32_t mod_abi__row_iter_bsatn_close(void *c, uint32_t iter);
uint32_t mod_abi__datastore_insert_bsatn(void *c, uint32_t table_id, uint32_t row,
                                         uint32_t row_len_ptr);
uint32_t mod_abi__datastore_update_bsatn(void *c, uint32_t table_id, uint32_t index_id,
                                         uint32_t row, uint32_t row_len_ptr);
uint32_t mod_abi__datastore_delete_by_index_scan_range_bsatn(void *c, uint32_t index_id,
                                                             uint32_t prefix, uint32_t prefix_len,
                                                             uint32_t prefix_elems, uint32_t rstart,
                                                             uint32_t rstart_len, uint32_t rend,
                                                             uint32_t rend_len, uint32_t out);
uint32_t mod_abi__datastore_delete_by_index_scan_point_bsatn(void *c, uint32_t index_id,
                                                             uint32_t point, uint32_t point_len,
                                                             uint32_t out);
uint32_t mod_abi__datastore_delete_all_by_eq_bsatn(void *c, uint32_t table_id, uint32_t rel,
                                                   uint32_t rel_len, uint32_t out);
uint32_t mod_abi__datastore_clear(void *c, uint32_t table_id, uint32_t out);
uint32_t mod_abi__bytes_source_read(void *c, uint32_t source, uint32_t buf, uint32_t buf_len_ptr);
uint32_t mod_abi__bytes_source_remaining_length(void *c, uint32_t source, uint32_t out);
uint32_t mod_abi__bytes_sink_write(void *c, uint32_t sink, uint32_t buf, uint32_t buf_len_ptr);
void mod_abi__console_log(void *c, uint32_t level, uint32_t target, uint32_t target_len,
                          uint32_t filename, uint32_t filename_len, uint32_t line, uint32_t msg,
                          uint32_t msg_len);
uint32_t mod_abi__console_timer_start(void *c, uint32_t name, uint32_t name_len);
uint32_t mod_abi__console_timer_end(void *c, uint32_t timer);
void mod_abi__identity(void *c, uint32_t out);
uint32_t mod_abi__get_jwt(void *c, uint32_t connection_id, uint32_t out);
void mod_abi__volatile_nonatomic_schedule_immediate(void *c, uint32_t name, uint32_t name_len,
                                                    uint32_t args, uint32_t args_len);
uint64_t mod_abi__procedure_sleep_until(void *c, uint64_t wake_at_us);
uint32_t mod_abi__procedure_start_mut_tx(void *c, uint32_t out);
uint32_t mod_abi__procedure_commit_mut_tx(void *c);
uint32_t mod_abi__procedure_abort_mut_tx(void *c);
uint32_t mod_abi__procedure_http_request(void *c, uint32_t request, uint32_t request_len,
                                         uint32_t body, uint32_t body_len, uint32_t out);

#endif /* LC_MOD_ABI_H */
