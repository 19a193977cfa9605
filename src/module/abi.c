/*
 * The host ABI's import table and the rules every import shares: guest
 * memory access with the null/bounds rule, traps, the mapping of store
 * errors to errnos, and the two name lookups.  module-abi.md §0, §2, §3.0
 * and §3.3 are the contract; mod_abi.h says how the host uses it.
 *
 * The imports live in four files by concern: abi.c (lookups), abi_data.c
 * (rows: counts, scans, writes, deletes), abi_handles.c (bytes sources and
 * sinks, row iterators, the per-call handle tables) and abi_misc.c
 * (logging, timers, identity, JWT, scheduling, procedures).
 *
 * Invariants:
 *   1. Guest memory is fetched through ctx->memory for every access, never
 *      kept across a store or hook call.
 *   2. An import that traps returns at once, with no further effect; its
 *      return value is ignored by the engine.
 *   3. Out-pointers are written only after the operation succeeded, as the
 *      reference's cvt_ret does: a bad out-pointer traps after the fact,
 *      and an errno return never touches it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module/mod_abi.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- the table */

#define V0 "spacetime_10.0"
#define V1 "spacetime_10.1"
#define V2 "spacetime_10.2"
#define V3 "spacetime_10.3"
#define V4 "spacetime_10.4"
#define V5 "spacetime_10.5"

static const wasm_host_fn_t host_fns[] = {
    {V0, "table_id_from_name", "iii:i", (void *)mod_abi__table_id_from_name},
    {V0, "index_id_from_name", "iii:i", (void *)mod_abi__index_id_from_name},
    {V0, "datastore_table_row_count", "ii:i", (void *)mod_abi__datastore_table_row_count},
    {V0, "datastore_table_scan_bsatn", "ii:i", (void *)mod_abi__datastore_table_scan_bsatn},
    {V0, "datastore_index_scan_range_bsatn", "iiiiiiiii:i",
     (void *)mod_abi__datastore_index_scan_range_bsatn},
    {V0, "datastore_btree_scan_bsatn", "iiiiiiiii:i",
     (void *)mod_abi__datastore_index_scan_range_bsatn},
    {V0, "row_iter_bsatn_advance", "iii:i", (void *)mod_abi__row_iter_bsatn_advance},
    {V0, "row_iter_bsatn_close", "i:i", (void *)mod_abi__row_iter_bsatn_close},
    {V0, "datastore_insert_bsatn", "iii:i", (void *)mod_abi__datastore_insert_bsatn},
    {V0, "datastore_update_bsatn", "iiii:i", (void *)mod_abi__datastore_update_bsatn},
    {V0, "datastore_delete_by_index_scan_range_bsatn", "iiiiiiiii:i",
     (void *)mod_abi__datastore_delete_by_index_scan_range_bsatn},
    {V0, "datastore_delete_by_btree_scan_bsatn", "iiiiiiiii:i",
     (void *)mod_abi__datastore_delete_by_index_scan_range_bsatn},
    {V0, "datastore_delete_all_by_eq_bsatn", "iiii:i",
     (void *)mod_abi__datastore_delete_all_by_eq_bsatn},
    {V0, "bytes_source_read", "iii:i", (void *)mod_abi__bytes_source_read},
    {V0, "bytes_sink_write", "iii:i", (void *)mod_abi__bytes_sink_write},
    {V0, "console_log", "iiiiiiii:", (void *)mod_abi__console_log},
    {V0, "console_timer_start", "ii:i", (void *)mod_abi__console_timer_start},
    {V0, "console_timer_end", "i:i", (void *)mod_abi__console_timer_end},
    {V0, "identity", "i:", (void *)mod_abi__identity},
    {V0, "volatile_nonatomic_schedule_immediate",
     "iiii:", (void *)mod_abi__volatile_nonatomic_schedule_immediate},
    {V1, "bytes_source_remaining_length", "ii:i", (void *)mod_abi__bytes_source_remaining_length},
    {V2, "get_jwt", "ii:i", (void *)mod_abi__get_jwt},
    {V3, "procedure_sleep_until", "I:I", (void *)mod_abi__procedure_sleep_until},
    {V3, "procedure_start_mut_tx", "i:i", (void *)mod_abi__procedure_start_mut_tx},
    {V3, "procedure_commit_mut_tx", ":i", (void *)mod_abi__procedure_commit_mut_tx},
    {V3, "procedure_abort_mut_tx", ":i", (void *)mod_abi__procedure_abort_mut_tx},
    {V3, "procedure_http_request", "iiiii:i", (void *)mod_abi__procedure_http_request},
    {V4, "datastore_index_scan_point_bsatn", "iiii:i",
     (void *)mod_abi__datastore_index_scan_point_bsatn},
    {V4, "datastore_delete_by_index_scan_point_bsatn", "iiii:i",
     (void *)mod_abi__datastore_delete_by_index_scan_point_bsatn},
    {V5, "datastore_clear", "ii:i", (void *)mod_abi__datastore_clear},
};

const wasm_host_fn_t *mod_abi_host_fns(size_t *n)
{
    *n = LC_ARRAY_LEN(host_fns);
    return host_fns;
}

int mod_abi_engine_new(const char *cache_dir, wasm_engine_t **out, lc_err_t *err)
{
    wasm_engine_config_t ec = {.cache_dir = cache_dir, .opt_level = -1};
    ec.host_fns = mod_abi_host_fns(&ec.nhost_fns);
    return wasm_engine_new(&ec, out, err);
}

void mod_abi_tmp_cache_dir(char *out, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/lightcone-wasm-cache-%ld", tmp ? tmp : "/tmp", (long)getuid());
}

/* ---------------------------------------------------------------- traps */

void mod_abi__trap(mod_abi_ctx_t *ctx, const char *fn, const char *fmt, ...)
{
    char msg[LC_ERR_MSG_MAX + 128];
    int n = snprintf(msg, sizeof msg, "%s: ", fn);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    if (ctx->trap)
        ctx->trap(ctx->inst, msg);
}

/* ---------------------------------------------------------------- guest memory */

static uint8_t *memory(mod_abi_ctx_t *ctx, uint64_t *size)
{
    uint8_t *base = ctx->memory ? ctx->memory(ctx->inst, size) : NULL;
    if (base == NULL)
        *size = 0;
    return base;
}

uint8_t *mod_abi__mem_quiet(mod_abi_ctx_t *ctx, uint32_t ptr, uint64_t len)
{
    uint64_t size;
    uint8_t *base = memory(ctx, &size);
    if (ptr == 0 || (uint64_t)ptr + len > size) /* ptr < 2^32, len < 2^33: no overflow */
        return NULL;
    return base + ptr;
}

uint8_t *mod_abi__mem(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                      uint64_t len)
{
    uint64_t size;
    uint8_t *base = memory(ctx, &size);
    if (ptr == 0) {
        mod_abi__trap(ctx, fn, "%s is a null pointer", what);
        return NULL;
    }
    if ((uint64_t)ptr + len > size) {
        mod_abi__trap(ctx, fn,
                      "%s [%" PRIu32 ", +%" PRIu64 ") is out of bounds of memory (%" PRIu64
                      " bytes)",
                      what, ptr, len, size);
        return NULL;
    }
    return base + ptr;
}

bool mod_abi__read_u32(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                       uint32_t *v)
{
    uint8_t *p = mod_abi__mem(ctx, fn, what, ptr, 4);
    if (p)
        *v = lc_load_u32le(p);
    return p != NULL;
}

bool mod_abi__write(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                    const void *src, size_t n)
{
    uint8_t *p = mod_abi__mem(ctx, fn, what, ptr, n);
    if (p && n)
        memcpy(p, src, n);
    return p != NULL;
}

bool mod_abi__write_u32(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                        uint32_t v)
{
    uint8_t b[4];
    lc_store_u32le(b, v);
    return mod_abi__write(ctx, fn, what, ptr, b, 4);
}

bool mod_abi__write_u64(mod_abi_ctx_t *ctx, const char *fn, const char *what, uint32_t ptr,
                        uint64_t v)
{
    uint8_t b[8];
    lc_store_u64le(b, v);
    return mod_abi__write(ctx, fn, what, ptr, b, 8);
}

/* ---------------------------------------------------------------- store errors */

uint32_t mod_abi__store_errno(mod_abi_ctx_t *ctx, const char *fn, int rc, const lc_err_t *err,
                              const mod_abi_errmap_t *map)
{
    uint8_t e = 0;
    switch (rc) {
    case LC_ENOTFOUND:
        e = map->notfound;
        break;
    case LC_ECORRUPT:
        e = map->corrupt;
        break;
    case LC_EEXIST:
        e = map->exist;
        break;
    case LC_EUNSUPPORTED:
        e = map->unsupported;
        break;
    }
    if (e == 0)
        mod_abi__trap(ctx, fn, "%s", err && err->msg[0] ? err->msg : lc_strerror(rc));
    return e;
}

/* ---------------------------------------------------------------- name lookups */

int mod_abi_alias_put(lc_map_t *aliases, const char *name, uint32_t id)
{
    /* ids are stored as id + 1: the map refuses NULL values */
    return lc_map_puts(aliases, name, (void *)((uintptr_t)id + 1));
}

/* The guest's name as valid UTF-8, or NULL after trapping. */
static const uint8_t *guest_name(mod_abi_ctx_t *ctx, const char *fn, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = mod_abi__mem(ctx, fn, "name", ptr, len);
    if (p && !sats_utf8_valid(p, len)) {
        mod_abi__trap(ctx, fn, "name is not valid UTF-8");
        return NULL;
    }
    return p;
}

typedef int (*canonical_fn)(store_db_t *db, const char *name, uint32_t *id);

/* Canonical name in the store first, then the module's aliases (§3.3):
 * LC_OK, LC_ENOTFOUND or LC_ENOMEM. */
static int resolve(mod_abi_ctx_t *ctx, canonical_fn canonical, const lc_map_t *aliases,
                   const uint8_t *name, uint32_t len, uint32_t *id)
{
    if (memchr(name, 0, len) == NULL) { /* store names hold no NUL */
        char small[256];
        char *s = len < sizeof small ? small : lc_malloc((size_t)len + 1);
        if (s == NULL)
            return LC_ENOMEM;
        memcpy(s, name, len);
        s[len] = 0;
        int rc = canonical(ctx->db, s, id);
        if (s != small)
            lc_free(s);
        if (rc == LC_OK)
            return LC_OK;
    }
    void *v = aliases ? lc_map_get(aliases, name, len) : NULL;
    if (v == NULL)
        return LC_ENOTFOUND;
    *id = (uint32_t)((uintptr_t)v - 1);
    return LC_OK;
}

static uint32_t lookup(void *c, const char *fn, canonical_fn canonical, const lc_map_t *aliases,
                       uint32_t miss, uint32_t name_ptr, uint32_t name_len, uint32_t out)
{
    mod_abi_ctx_t *ctx = c;
    const uint8_t *name = guest_name(ctx, fn, name_ptr, name_len);
    if (name == NULL)
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    uint32_t id;
    int rc = resolve(ctx, canonical, aliases, name, name_len, &id);
    if (rc == LC_ENOTFOUND)
        return miss;
    if (rc != LC_OK) {
        mod_abi__trap(ctx, fn, "out of memory");
        return 0;
    }
    mod_abi__write_u32(ctx, fn, "out", out, id);
    return 0;
}

uint32_t mod_abi__table_id_from_name(void *c, uint32_t name, uint32_t name_len, uint32_t out)
{
    mod_abi_ctx_t *ctx = c;
    return lookup(c, "table_id_from_name", store_table_id, ctx->table_aliases,
                  MOD_ERRNO_NO_SUCH_TABLE, name, name_len, out);
}

uint32_t mod_abi__index_id_from_name(void *c, uint32_t name, uint32_t name_len, uint32_t out)
{
    mod_abi_ctx_t *ctx = c;
    return lookup(c, "index_id_from_name", store_index_id, ctx->index_aliases,
                  MOD_ERRNO_NO_SUCH_INDEX, name, name_len, out);
}
