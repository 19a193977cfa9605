/*
 * The host ABI imports that are not about rows: console_log, identity,
 * get_jwt, volatile_nonatomic_schedule_immediate and the procedure calls
 * (transactions, sleep, HTTP).  module-abi.md §1.4, §3.8-3.11 are the
 * contract; what the host must supply comes through ctx->hooks.
 *
 * console_log never traps: a bad pointer makes it a silent no-op, and a
 * NULL target or filename means "absent" (§3.8).  The two suspending
 * imports (sleep, HTTP) trap in main-lane instances, as the reference's
 * stubs do (§1.4).
 */
#include <stdio.h>
#include <string.h>

#include "module/mod_abi.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- logging */

void mod_abi__log(mod_abi_ctx_t *ctx, mod_log_level_t level, mod_log_bytes_t target,
                  mod_log_bytes_t filename, uint32_t line, mod_log_bytes_t message)
{
    if (ctx->hooks.log == NULL)
        return;
    mod_log_record_t rec = {
        .level = level,
        .ts_us = lc_now_wall_us(),
        .target = target,
        .filename = filename,
        .line = line,
        .function = {ctx->func_name, ctx->func_name ? strlen(ctx->func_name) : 0},
        .message = message,
    };
    ctx->hooks.log(ctx->hook_arg, &rec);
}

/* LogLevel::from(u8) of the reference: the argument is cut to a byte. */
static mod_log_level_t level_from_abi(uint32_t v)
{
    uint8_t b = (uint8_t)v;
    if (b <= MOD_LOG_TRACE)
        return (mod_log_level_t)b;
    return b == MOD_LOG_PANIC ? MOD_LOG_PANIC : MOD_LOG_DEBUG;
}

/* An optional string: ptr 0 = absent; *ok false on a bad range. */
static mod_log_bytes_t optional_str(mod_abi_ctx_t *ctx, uint32_t ptr, uint32_t len, bool *ok)
{
    mod_log_bytes_t s = {NULL, 0};
    if (ptr == 0)
        return s;
    s.p = mod_abi__mem_quiet(ctx, ptr, len);
    s.len = len;
    *ok = *ok && s.p != NULL;
    return s;
}

void mod_abi__console_log(void *c, uint32_t level, uint32_t target, uint32_t target_len,
                          uint32_t filename, uint32_t filename_len, uint32_t line, uint32_t msg,
                          uint32_t msg_len)
{
    mod_abi_ctx_t *ctx = c;
    bool ok = true;
    mod_log_bytes_t t = optional_str(ctx, target, target_len, &ok);
    mod_log_bytes_t f = optional_str(ctx, filename, filename_len, &ok);
    mod_log_bytes_t m = {mod_abi__mem_quiet(ctx, msg, msg_len), msg_len};
    if (!ok || m.p == NULL)
        return;
    mod_abi__log(ctx, level_from_abi(level), t, f, line, m);
}

void mod_abi_format_duration(char *out, size_t cap, uint64_t nanos)
{
    uint64_t secs = nanos / 1000000000u, sub = nanos % 1000000000u;
    uint64_t whole, frac = 0, div = 0;
    const char *unit;
    if (secs > 0) {
        whole = secs, frac = sub, div = 100000000u, unit = "s";
    } else if (sub >= 1000000u) {
        whole = sub / 1000000u, frac = sub % 1000000u, div = 100000u, unit = "ms";
    } else if (sub >= 1000u) {
        whole = sub / 1000u, frac = sub % 1000u, div = 100u, unit = "\xC2\xB5s"; /* µs */
    } else {
        whole = sub, unit = "ns";
    }
    /* Rust prints every fractional digit up to the last non-zero one */
    char digits[16];
    size_t nd = 0;
    while (frac > 0 && div > 0) {
        digits[nd++] = (char)('0' + frac / div);
        frac %= div;
        div /= 10;
    }
    digits[nd] = 0;
    snprintf(out, cap, "%llu%s%s%s", (unsigned long long)whole, nd ? "." : "", digits, unit);
}

/* ---------------------------------------------------------------- identity and JWT */

void mod_abi__identity(void *c, uint32_t out)
{
    mod_abi_ctx_t *ctx = c;
    mod_abi__write(ctx, "identity", "out", out, ctx->database_identity, 32);
}

/* The payload in st_connection_credentials (connection_id, jwt_payload)
 * for a connection, as the reference reads it; *id = 0 when none. */
static int jwt_from_store(mod_abi_ctx_t *ctx, const uint8_t cid[16], uint32_t *id, lc_err_t *err)
{
    uint32_t ix;
    int rc = store_index_id(ctx->db, "st_connection_credentials_connection_id_idx_btree", &ix);
    if (NEVER(rc != LC_OK))
        return lc_err_set(err, LC_EINTERNAL, "st_connection_credentials has no index");
    store_rows_t rows;
    store_rows_init(&rows);
    rc = store_tx_index_point(ctx->tx, ix, cid, 16, &rows, err);
    *id = 0;
    if (rc == LC_OK && rows.count > 0) {
        const uint8_t *p = rows.data.data + rows.offsets[0];
        size_t avail = rows.data.len - rows.offsets[0];
        uint32_t len = avail >= 20 ? lc_load_u32le(p + 16) : UINT32_MAX;
        rc = len <= avail - 20 ? mod_abi_source_new(ctx, p + 20, len, id, err)
                               : lc_err_set(err, LC_ECORRUPT, "bad st_connection_credentials row");
    }
    store_rows_free(&rows);
    return rc;
}

static int jwt_from_hook(mod_abi_ctx_t *ctx, const uint8_t cid[16], uint32_t *id, lc_err_t *err)
{
    const uint8_t *payload = NULL;
    size_t len = 0;
    int rc = ctx->hooks.jwt(ctx->hook_arg, cid, &payload, &len);
    if (rc != LC_OK)
        return lc_err_set(err, rc, "looking up the JWT failed: %s", lc_strerror(rc));
    *id = 0;
    return payload ? mod_abi_source_new(ctx, payload, len, id, err) : LC_OK;
}

uint32_t mod_abi__get_jwt(void *c, uint32_t connection_id, uint32_t out)
{
    static const char fn[] = "get_jwt";
    mod_abi_ctx_t *ctx = c;
    const uint8_t *p = mod_abi__mem(ctx, fn, "connection_id", connection_id, 16);
    if (p == NULL)
        return 0;
    uint8_t cid[16];
    memcpy(cid, p, 16);
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    uint32_t id;
    lc_err_t err = {0};
    int rc =
        ctx->hooks.jwt ? jwt_from_hook(ctx, cid, &id, &err) : jwt_from_store(ctx, cid, &id, &err);
    if (rc != LC_OK) {
        mod_abi__trap(ctx, fn, "%s", err.msg);
        return 0;
    }
    mod_abi__write_u32(ctx, fn, "out", out, id);
    return 0;
}

/* ---------------------------------------------------------------- scheduling */

void mod_abi__volatile_nonatomic_schedule_immediate(void *c, uint32_t name, uint32_t name_len,
                                                    uint32_t args, uint32_t args_len)
{
    static const char fn[] = "volatile_nonatomic_schedule_immediate";
    mod_abi_ctx_t *ctx = c;
    const uint8_t *n = mod_abi__mem(ctx, fn, "name", name, name_len);
    if (n == NULL)
        return;
    if (!sats_utf8_valid(n, name_len)) {
        mod_abi__trap(ctx, fn, "name is not valid UTF-8");
        return;
    }
    const uint8_t *a = mod_abi__mem(ctx, fn, "args", args, args_len);
    if (a == NULL)
        return;
    if (ctx->hooks.schedule_immediate == NULL) {
        mod_abi__trap(ctx, fn, "not available on this host");
        return;
    }
    int rc = ctx->hooks.schedule_immediate(ctx->hook_arg, (const char *)n, name_len, a, args_len);
    if (rc < 0)
        mod_abi__trap(ctx, fn, "%s", lc_strerror(rc));
}

/* ---------------------------------------------------------------- procedures */

static bool async_only(mod_abi_ctx_t *ctx, const char *fn)
{
    if (!ctx->async_lane)
        mod_abi__trap(ctx, fn, "only available in async instances (procedures)");
    return ctx->async_lane;
}

uint64_t mod_abi__procedure_sleep_until(void *c, uint64_t wake_at_us)
{
    static const char fn[] = "procedure_sleep_until";
    mod_abi_ctx_t *ctx = c;
    if (!async_only(ctx, fn))
        return 0;
    int64_t wake = (int64_t)wake_at_us, now = lc_now_wall_us();
    if (wake < 0 || wake <= now)
        return (uint64_t)now;
    if (ctx->hooks.sleep_until == NULL) {
        mod_abi__trap(ctx, fn, "not available on this host");
        return 0;
    }
    return (uint64_t)ctx->hooks.sleep_until(ctx->hook_arg, wake);
}

uint32_t mod_abi__procedure_start_mut_tx(void *c, uint32_t out)
{
    static const char fn[] = "procedure_start_mut_tx";
    mod_abi_ctx_t *ctx = c;
    if (ctx->tx != NULL)
        return MOD_ERRNO_WOULD_BLOCK_TRANSACTION;
    const mod_abi_hooks_t *h = &ctx->hooks;
    if (h->tx_begin == NULL || h->tx_commit == NULL || h->tx_abort == NULL) {
        mod_abi__trap(ctx, fn, "no procedure transactions here");
        return 0;
    }
    store_tx_t *tx = NULL;
    lc_err_t err = {0};
    int rc = h->tx_begin(ctx->hook_arg, &tx, &err);
    if (rc != LC_OK || tx == NULL) {
        mod_abi__trap(ctx, fn, "%s", err.msg[0] ? err.msg : lc_strerror(rc));
        return 0;
    }
    ctx->tx = tx;
    ctx->tx_anonymous = true;
    mod_abi__write_u64(ctx, fn, "out", out, (uint64_t)lc_now_wall_us());
    return 0;
}

/* Take the anonymous transaction from ctx, or NULL (then the guest gets
 * TRANSACTION_NOT_ANONYMOUS). */
static store_tx_t *take_anonymous(mod_abi_ctx_t *ctx)
{
    if (ctx->tx == NULL || !ctx->tx_anonymous)
        return NULL;
    store_tx_t *tx = ctx->tx;
    ctx->tx = NULL;
    ctx->tx_anonymous = false;
    return tx;
}

uint32_t mod_abi__procedure_commit_mut_tx(void *c)
{
    mod_abi_ctx_t *ctx = c;
    store_tx_t *tx = take_anonymous(ctx);
    if (tx == NULL)
        return MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS;
    lc_err_t err = {0};
    int rc = ctx->hooks.tx_commit(ctx->hook_arg, tx, &err);
    if (rc != LC_OK)
        mod_abi__trap(ctx, "procedure_commit_mut_tx", "%s", err.msg[0] ? err.msg : lc_strerror(rc));
    return 0;
}

uint32_t mod_abi__procedure_abort_mut_tx(void *c)
{
    mod_abi_ctx_t *ctx = c;
    store_tx_t *tx = take_anonymous(ctx);
    if (tx == NULL)
        return MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS;
    ctx->hooks.tx_abort(ctx->hook_arg, tx);
    return 0;
}

/* spacetimedb_lib::http::Request (§3.11) in arena a. */
static const sats_type_t *http_request_type(lc_arena_t *a)
{
    static const char *const methods[] = {"Get",     "Head",    "Post",  "Put",   "Delete",
                                          "Connect", "Options", "Trace", "Patch", "Extension"};
    static const char *const versions[] = {"Http09", "Http10", "Http11", "Http2", "Http3"};
    const sats_type_t *unit = sats_type_unit(), *str = sats_prim(SATS_STRING);
    const sats_type_t *mt[10], *vt[5];
    for (int i = 0; i < 9; i++) mt[i] = unit;
    mt[9] = str;
    for (int i = 0; i < 5; i++) vt[i] = unit;
    const char *pair_names[] = {"name", "value"};
    const sats_type_t *pair_types[] = {str, sats_type_bytes()};
    const sats_type_t *pair = sats_type_product(a, 2, pair_names, pair_types);
    const sats_type_t *entries = pair ? sats_type_array(a, pair) : NULL;
    const char *headers_names[] = {"entries"};
    const sats_type_t *headers = entries ? sats_type_product(a, 1, headers_names, &entries) : NULL;
    const char *names[] = {"method", "headers", "timeout", "uri", "version"};
    const sats_type_t *types[] = {sats_type_sum(a, 10, methods, mt), headers,
                                  sats_type_option(a, sats_type_time_duration()), str,
                                  sats_type_sum(a, 5, versions, vt)};
    for (int i = 0; i < 5; i++)
        if (types[i] == NULL)
            return NULL;
    return sats_type_product(a, 5, names, types);
}

/* 0 if request starts with a valid http::Request (trailing bytes are
 * ignored, as by bsatn::from_slice), else LC_ECORRUPT or LC_ENOMEM. */
static int check_request(const uint8_t *p, size_t n)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *t = http_request_type(&a);
    sats_typespace_t ts = {0, NULL};
    lc_rd_t r = lc_rd_make(p, n);
    int rc = t ? sats_bsatn_skip(&r, &ts, t, NULL) : LC_ENOMEM;
    lc_arena_free(&a);
    return rc;
}

/* Write a source id to out + 4*slot (the reference's saturating add). */
static bool write_source(mod_abi_ctx_t *ctx, const char *fn, uint32_t out, int slot,
                         const lc_buf_t *bytes)
{
    uint32_t id;
    lc_err_t err = {0};
    if (mod_abi_source_new(ctx, bytes->data, bytes->len, &id, &err) != LC_OK) {
        mod_abi__trap(ctx, fn, "%s", err.msg);
        return false;
    }
    uint32_t at = slot && out > UINT32_MAX - 4 ? UINT32_MAX : out + 4u * (uint32_t)slot;
    return mod_abi__write_u32(ctx, fn, "out", at, id);
}

/* Run the request through the hook (or fail it when there is none). */
static int http_run(mod_abi_ctx_t *ctx, const uint8_t *req, uint32_t req_len, const uint8_t *body,
                    uint32_t body_len, lc_buf_t *resp, lc_buf_t *resp_body, lc_buf_t *error)
{
    if (ctx->hooks.http == NULL) {
        lc_buf_puts(error, "HTTP requests are not available on this host");
        return MOD_ERRNO_HTTP_ERROR;
    }
    return ctx->hooks.http(ctx->hook_arg, req, req_len, body, body_len, resp, resp_body, error);
}

uint32_t mod_abi__procedure_http_request(void *c, uint32_t request, uint32_t request_len,
                                         uint32_t body, uint32_t body_len, uint32_t out)
{
    static const char fn[] = "procedure_http_request";
    mod_abi_ctx_t *ctx = c;
    if (!async_only(ctx, fn))
        return 0;
    const uint8_t *req = mod_abi__mem(ctx, fn, "request", request, request_len);
    if (req == NULL)
        return 0;
    int rc = check_request(req, request_len);
    if (rc == LC_ECORRUPT)
        return MOD_ERRNO_BSATN_DECODE_ERROR;
    const uint8_t *b = rc == LC_OK ? mod_abi__mem(ctx, fn, "body", body, body_len) : NULL;
    if (b == NULL) {
        if (rc != LC_OK)
            mod_abi__trap(ctx, fn, "out of memory");
        return 0;
    }
    if (ctx->tx != NULL)
        return MOD_ERRNO_WOULD_BLOCK_TRANSACTION;
    lc_buf_t resp = {0}, resp_body = {0}, error = {0};
    rc = http_run(ctx, req, request_len, b, body_len, &resp, &resp_body, &error);
    uint32_t ret = 0;
    if (resp.oom || resp_body.oom || error.oom) {
        mod_abi__trap(ctx, fn, "out of memory");
    } else if (rc == 0) {
        if (write_source(ctx, fn, out, 0, &resp))
            write_source(ctx, fn, out, 1, &resp_body);
    } else if (rc == MOD_ERRNO_HTTP_ERROR) {
        lc_buf_t msg = {0}; /* BSATN String */
        lc_buf_put_u32le(&msg, (uint32_t)error.len);
        lc_buf_append(&msg, error.data, error.len);
        if (msg.oom)
            mod_abi__trap(ctx, fn, "out of memory");
        else if (write_source(ctx, fn, out, 0, &msg))
            ret = MOD_ERRNO_HTTP_ERROR;
        lc_buf_free(&msg);
    } else {
        mod_abi__trap(ctx, fn, "%s", rc < 0 ? lc_strerror(rc) : "bad hook result");
    }
    lc_buf_free(&resp);
    lc_buf_free(&resp_body);
    lc_buf_free(&error);
    return ret;
}
