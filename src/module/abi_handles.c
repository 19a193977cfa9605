/*
 * The per-call handle tables of the host ABI — bytes sources, bytes sinks,
 * row iterators, console timers — and the imports that use them
 * (module-abi.md §3.1, §3.2, §3.4, §3.8).
 *
 * Sources and sinks are short arrays searched by id (a call has a handful);
 * iterators and timers live in slabs, because a guest may open many and
 * ids are slab index + 1 as in the reference.
 *
 * A row iterator is materialized when the scan runs (snapshot semantics):
 * the rows' bytes in one buffer cut into chunks of whole rows, a chunk
 * closed once it exceeds MOD_ABI_ROW_CHUNK bytes; an empty chunk is never
 * made (so rows of an empty product type yield nothing, as in the
 * reference's ChunkedWriter).  row_iter_bsatn_advance copies as many whole
 * chunks as fit.
 *
 * Invariants:
 *   1. Source ids and sink ids are unique within a call and never 0; a
 *      source in the table always has bytes left (an exhausted source is
 *      removed at once).
 *   2. Every chunk of an iterator is non-empty; iter->next <= nchunks.
 */
#include <string.h>

#include "module/mod_abi.h"

struct mod_abi_source {
    uint32_t id;
    uint32_t len, pos;
    uint32_t cap; /* bytes allocated at data */
    uint8_t *data;
};

/* A dropped source's buffer up to this size is kept for the next source
 * (every reducer call has one, its arguments), so calls allocate nothing. */
#define SOURCE_SPARE_MAX 4096u
#define SOURCE_MIN_CAP   256u

static void source_release(mod_abi_ctx_t *ctx, uint8_t *data, uint32_t cap)
{
    if (ctx->spare_source == NULL && cap <= SOURCE_SPARE_MAX) {
        ctx->spare_source = data;
        ctx->spare_source_cap = cap;
    } else {
        lc_free(data);
    }
}

struct mod_abi_sink {
    uint32_t id;
    lc_buf_t buf;
};

typedef struct iter {
    uint8_t *data;    /* every row, concatenated */
    uint32_t *ends;   /* end offset of each chunk in data */
    uint32_t nchunks; /* chunks in ends */
    uint32_t next;    /* the next chunk to hand out */
    size_t data_cap;  /* capacities, kept while the iterator waits in the pool */
    uint32_t ends_cap;
} iter_t;

/* Finished iterators kept for reuse by one ctx. */
#define ITER_POOL_MAX 8

typedef struct timer {
    int64_t start_us;
    size_t len;
    uint8_t name[]; /* raw guest bytes */
} span_t;

/* ---------------------------------------------------------------- slabs */

static int slab_add(mod_abi_slab_t *s, void *item, uint32_t *id)
{
    uint32_t i;
    if (s->nfree > 0) {
        i = s->free[--s->nfree];
    } else {
        if (s->n >= UINT32_MAX - 1)
            return LC_ERANGE;
        if (s->n == s->cap) {
            uint32_t cap = s->cap ? s->cap * 2 : 8;
            void **items = lc_realloc(s->items, sizeof *items * cap);
            if (items == NULL)
                return LC_ENOMEM;
            s->items = items;
            uint32_t *fr = lc_realloc(s->free, sizeof *fr * cap);
            if (fr == NULL)
                return LC_ENOMEM;
            s->free = fr;
            s->cap = cap;
        }
        i = s->n++;
    }
    s->items[i] = item;
    *id = i + 1;
    return LC_OK;
}

static void *slab_get(const mod_abi_slab_t *s, uint32_t id)
{
    return id >= 1 && id <= s->n ? s->items[id - 1] : NULL;
}

static void *slab_take(mod_abi_slab_t *s, uint32_t id)
{
    void *item = slab_get(s, id);
    if (item) {
        s->items[id - 1] = NULL;
        s->free[s->nfree++] = id - 1; /* room: nfree < n <= cap */
    }
    return item;
}

/* Free every item; keep the arrays for the next call. */
static void slab_clear(mod_abi_slab_t *s, void (*free_item)(void *))
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->items[i])
            free_item(s->items[i]);
    s->n = s->nfree = 0;
}

static void slab_free(mod_abi_slab_t *s, void (*free_item)(void *))
{
    slab_clear(s, free_item);
    lc_free(s->items);
    lc_free(s->free);
    memset(s, 0, sizeof *s);
}

static void iter_free(void *p)
{
    iter_t *it = p;
    lc_free(it->data);
    lc_free(it->ends);
    lc_free(it);
}

/* A finished iterator goes back to the ctx's pool (or is freed). */
static void iter_release(mod_abi_ctx_t *ctx, iter_t *it)
{
    if (!it)
        return;
    if (ctx->niter_pool == ITER_POOL_MAX ||
        (!ctx->iter_pool &&
         !(ctx->iter_pool = lc_malloc(ITER_POOL_MAX * sizeof *ctx->iter_pool)))) {
        iter_free(it);
        return;
    }
    it->nchunks = it->next = 0;
    ctx->iter_pool[ctx->niter_pool++] = it;
}

/* Return every live iterator of the call to the pool. */
static void release_iters(mod_abi_ctx_t *ctx)
{
    for (uint32_t i = 0; i < ctx->iters.n; i++)
        if (ctx->iters.items[i])
            iter_release(ctx, ctx->iters.items[i]);
    ctx->iters.n = ctx->iters.nfree = 0;
}

store_rows_t *mod_abi__scratch(mod_abi_ctx_t *ctx)
{
    ctx->scratch.count = 0;
    lc_buf_reset(&ctx->scratch.data);
    return &ctx->scratch;
}

/* ---------------------------------------------------------------- ctx and calls */

void mod_abi_ctx_init(mod_abi_ctx_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->next_source_id = 1;
    ctx->next_sink_id = 1;
}

static void drop_handles(mod_abi_ctx_t *ctx)
{
    for (uint32_t i = 0; i < ctx->nsources; i++)
        source_release(ctx, ctx->sources[i].data, ctx->sources[i].cap);
    for (uint32_t i = 0; i < ctx->nsinks; i++) lc_buf_free(&ctx->sinks[i].buf);
    ctx->nsources = ctx->nsinks = 0;
    ctx->next_source_id = ctx->next_sink_id = 1;
    release_iters(ctx);
    slab_clear(&ctx->timers, lc_free);
}

void mod_abi_ctx_free(mod_abi_ctx_t *ctx)
{
    drop_handles(ctx);
    lc_free(ctx->sources);
    lc_free(ctx->spare_source);
    ctx->spare_source = NULL;
    lc_free(ctx->sinks);
    slab_free(&ctx->iters, iter_free);
    slab_free(&ctx->timers, lc_free);
    for (uint32_t i = 0; i < ctx->niter_pool; i++) iter_free(ctx->iter_pool[i]);
    lc_free(ctx->iter_pool);
    ctx->iter_pool = NULL;
    ctx->niter_pool = 0;
    store_rows_free(&ctx->scratch);
    ctx->sources = NULL;
    ctx->sinks = NULL;
    ctx->sources_cap = ctx->sinks_cap = 0;
}

void mod_abi_call_begin(mod_abi_ctx_t *ctx)
{
    drop_handles(ctx);
}

void mod_abi_call_end(mod_abi_ctx_t *ctx)
{
    drop_handles(ctx);
}

/* ---------------------------------------------------------------- sources */

int mod_abi_source_new(mod_abi_ctx_t *ctx, const uint8_t *bytes, size_t len, uint32_t *id,
                       lc_err_t *err)
{
    *id = 0;
    if (len == 0)
        return LC_OK;
    if (len > UINT32_MAX)
        return lc_err_set(err, LC_ERANGE, "a bytes source holds at most 4 GiB - 1 bytes");
    if (ctx->next_source_id == 0) /* the counter wrapped */
        return lc_err_set(err, LC_ERANGE, "too many bytes sources in one call");
    if (lc_grow(&ctx->sources, &ctx->sources_cap, ctx->nsources, sizeof *ctx->sources, 4) != LC_OK)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    uint8_t *copy = NULL;
    uint32_t cap = (uint32_t)LC_MAX(len, (size_t)SOURCE_MIN_CAP);
    if (ctx->spare_source && ctx->spare_source_cap >= len) {
        copy = ctx->spare_source;
        cap = ctx->spare_source_cap;
        ctx->spare_source = NULL;
    } else if ((copy = lc_malloc(cap)) == NULL) {
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    memcpy(copy, bytes, len);
    *id = ctx->next_source_id++;
    ctx->sources[ctx->nsources++] =
        (mod_abi_source_t){.id = *id, .len = (uint32_t)len, .pos = 0, .cap = cap, .data = copy};
    return LC_OK;
}

static mod_abi_source_t *source_find(mod_abi_ctx_t *ctx, uint32_t id)
{
    for (uint32_t i = 0; i < ctx->nsources; i++)
        if (ctx->sources[i].id == id)
            return &ctx->sources[i];
    return NULL;
}

static void source_drop(mod_abi_ctx_t *ctx, mod_abi_source_t *s)
{
    source_release(ctx, s->data, s->cap);
    *s = ctx->sources[--ctx->nsources];
}

uint32_t mod_abi__bytes_source_read(void *c, uint32_t source, uint32_t buf, uint32_t buf_len_ptr)
{
    static const char fn[] = "bytes_source_read";
    mod_abi_ctx_t *ctx = c;
    mod_abi_source_t *s = source_find(ctx, source);
    if (s == NULL)
        return MOD_ERRNO_NO_SUCH_BYTES;
    uint32_t cap;
    if (!mod_abi__read_u32(ctx, fn, "buffer_len_ptr", buf_len_ptr, &cap))
        return 0;
    uint8_t *p = mod_abi__mem(ctx, fn, "buffer", buf, cap);
    if (p == NULL)
        return 0;
    uint32_t n = LC_MIN(cap, s->len - s->pos);
    memcpy(p, s->data + s->pos, n);
    s->pos += n;
    if (!mod_abi__write_u32(ctx, fn, "buffer_len_ptr", buf_len_ptr, n))
        return 0;
    if (s->pos < s->len)
        return 0;
    source_drop(ctx, s);
    return (uint32_t)-1;
}

uint32_t mod_abi__bytes_source_remaining_length(void *c, uint32_t source, uint32_t out)
{
    mod_abi_ctx_t *ctx = c;
    mod_abi_source_t *s = source_find(ctx, source);
    if (s == NULL)
        return MOD_ERRNO_NO_SUCH_BYTES;
    mod_abi__write_u32(ctx, "bytes_source_remaining_length", "out", out, s->len - s->pos);
    return 0;
}

/* ---------------------------------------------------------------- sinks */

int mod_abi_sink_new(mod_abi_ctx_t *ctx, uint32_t *id, lc_err_t *err)
{
    if (ctx->next_sink_id == 0)
        return lc_err_set(err, LC_ERANGE, "too many bytes sinks in one call");
    if (lc_grow(&ctx->sinks, &ctx->sinks_cap, ctx->nsinks, sizeof *ctx->sinks, 4) != LC_OK)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    *id = ctx->next_sink_id++;
    ctx->sinks[ctx->nsinks++] = (mod_abi_sink_t){.id = *id};
    return LC_OK;
}

static mod_abi_sink_t *sink_find(mod_abi_ctx_t *ctx, uint32_t id)
{
    for (uint32_t i = 0; i < ctx->nsinks; i++)
        if (ctx->sinks[i].id == id)
            return &ctx->sinks[i];
    return NULL;
}

const uint8_t *mod_abi_sink_data(mod_abi_ctx_t *ctx, uint32_t id, size_t *len)
{
    mod_abi_sink_t *s = sink_find(ctx, id);
    *len = s ? s->buf.len : 0;
    return s ? s->buf.data : NULL;
}

uint32_t mod_abi__bytes_sink_write(void *c, uint32_t sink, uint32_t buf, uint32_t buf_len_ptr)
{
    static const char fn[] = "bytes_sink_write";
    mod_abi_ctx_t *ctx = c;
    mod_abi_sink_t *s = sink_find(ctx, sink);
    if (s == NULL)
        return MOD_ERRNO_NO_SUCH_BYTES;
    uint32_t len;
    if (!mod_abi__read_u32(ctx, fn, "buffer_len_ptr", buf_len_ptr, &len))
        return 0;
    const uint8_t *p = mod_abi__mem(ctx, fn, "buffer", buf, len);
    if (p == NULL)
        return 0;
    if (lc_buf_append(&s->buf, p, len) != LC_OK)
        mod_abi__trap(ctx, fn, "out of memory");
    return 0; /* *buffer_len_ptr stays: all len bytes were taken */
}

/* ---------------------------------------------------------------- row iterators */

/* Cut the rows into chunks (see the top of the file). */
static int chunk_rows(const store_rows_t *rows, iter_t *it)
{
    uint32_t need = rows->count ? rows->count : 1;
    if (it->ends_cap < need) {
        uint32_t *ends = lc_realloc(it->ends, sizeof *ends * need);
        if (ends == NULL)
            return LC_ENOMEM;
        it->ends = ends;
        it->ends_cap = need;
    }
    uint32_t start = 0;
    for (uint32_t i = 0; i < rows->count; i++) {
        uint32_t end = i + 1 < rows->count ? rows->offsets[i + 1] : (uint32_t)rows->data.len;
        if (end - start > MOD_ABI_ROW_CHUNK) {
            it->ends[it->nchunks++] = end;
            start = end;
        }
    }
    if (rows->data.len > start)
        it->ends[it->nchunks++] = (uint32_t)rows->data.len;
    return LC_OK;
}

int mod_abi__iter_new(mod_abi_ctx_t *ctx, const store_rows_t *rows, uint32_t *id)
{
    iter_t *it = ctx->niter_pool ? ctx->iter_pool[--ctx->niter_pool] : lc_calloc(1, sizeof *it);
    if (it == NULL)
        return LC_ENOMEM;
    int rc = chunk_rows(rows, it);
    if (rc == LC_OK && it->data_cap < rows->data.len) {
        uint8_t *d = lc_realloc(it->data, rows->data.len);
        if (d) {
            it->data = d;
            it->data_cap = rows->data.len;
        } else {
            rc = LC_ENOMEM;
        }
    }
    if (rc == LC_OK && rows->data.len)
        memcpy(it->data, rows->data.data, rows->data.len);
    if (rc == LC_OK)
        rc = slab_add(&ctx->iters, it, id);
    if (rc != LC_OK)
        iter_free(it);
    return rc;
}

static uint32_t chunk_start(const iter_t *it, uint32_t i)
{
    return i ? it->ends[i - 1] : 0;
}

uint32_t mod_abi__row_iter_bsatn_advance(void *c, uint32_t iter, uint32_t buf, uint32_t buf_len_ptr)
{
    static const char fn[] = "row_iter_bsatn_advance";
    mod_abi_ctx_t *ctx = c;
    iter_t *it = slab_get(&ctx->iters, iter);
    if (it == NULL)
        return MOD_ERRNO_NO_SUCH_ITER;
    uint32_t cap;
    if (!mod_abi__read_u32(ctx, fn, "buffer_len_ptr", buf_len_ptr, &cap))
        return 0;
    uint8_t *p = mod_abi__mem(ctx, fn, "buffer", buf, cap);
    if (p == NULL)
        return 0;
    uint32_t from = chunk_start(it, it->next), upto = it->next;
    while (upto < it->nchunks && it->ends[upto] - from <= cap) upto++;
    uint32_t written = chunk_start(it, upto) - from;
    if (written == 0 && upto < it->nchunks) {
        uint32_t need = it->ends[upto] - from;
        mod_abi__write_u32(ctx, fn, "buffer_len_ptr", buf_len_ptr, need);
        return MOD_ERRNO_BUFFER_TOO_SMALL;
    }
    if (written > 0)
        memcpy(p, it->data + from, written);
    it->next = upto;
    if (!mod_abi__write_u32(ctx, fn, "buffer_len_ptr", buf_len_ptr, written))
        return 0;
    if (it->next < it->nchunks)
        return 0;
    iter_release(ctx, slab_take(&ctx->iters, iter));
    return (uint32_t)-1;
}

uint32_t mod_abi__row_iter_bsatn_close(void *c, uint32_t iter)
{
    mod_abi_ctx_t *ctx = c;
    iter_t *it = slab_take(&ctx->iters, iter);
    if (it == NULL)
        return MOD_ERRNO_NO_SUCH_ITER;
    iter_release(ctx, it);
    return 0;
}

/* ---------------------------------------------------------------- timers */

uint32_t mod_abi__console_timer_start(void *c, uint32_t name, uint32_t name_len)
{
    static const char fn[] = "console_timer_start";
    mod_abi_ctx_t *ctx = c;
    const uint8_t *p = mod_abi__mem(ctx, fn, "name", name, name_len);
    if (p == NULL)
        return 0;
    span_t *t = lc_malloc(sizeof *t + name_len);
    uint32_t id = 0;
    if (t != NULL) {
        t->start_us = lc_now_mono_us();
        t->len = name_len;
        memcpy(t->name, p, name_len);
        if (slab_add(&ctx->timers, t, &id) == LC_OK)
            return id;
        lc_free(t);
    }
    mod_abi__trap(ctx, fn, "out of memory");
    return 0;
}

/* The length of the valid UTF-8 sequence at p (1..4), or 0 with *bad set
 * to the length of the maximal invalid subpart to replace by one U+FFFD
 * (Unicode §3.9, as Rust's from_utf8_lossy). */
static size_t utf8_seq(const uint8_t *p, size_t n, size_t *bad)
{
    uint8_t b = p[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        need = 1;
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        lo = b == 0xE0 ? 0xA0 : 0x80;
        hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        *bad = 1;
        return 0;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80, hi = 0xBF;
    }
    return i;
}

/* Append name as Rust's `{:?}` of its lossy UTF-8 decoding: quoted, with
 * \" \\ \t \r \n \0 and \u{..} for other control characters. */
static void debug_str(lc_buf_t *b, const uint8_t *p, size_t n)
{
    lc_buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        size_t bad = 0, k = utf8_seq(p + i, n - i, &bad);
        if (k == 0) {
            lc_buf_puts(b, "\xEF\xBF\xBD");
            i += bad;
            continue;
        }
        /* only one- and two-byte characters may need escaping */
        uint32_t cp = k == 1   ? p[i]
                      : k == 2 ? (uint32_t)(p[i] & 0x1F) << 6 | (p[i + 1] & 0x3F)
                               : 0x800;
        const char *esc = NULL;
        switch (cp) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\n':
            esc = "\\n";
            break;
        case 0:
            esc = "\\0";
            break;
        }
        if (esc)
            lc_buf_puts(b, esc);
        else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            lc_buf_printf(b, "\\u{%x}", cp);
        else
            lc_buf_append(b, p + i, k);
        i += k;
    }
    lc_buf_putc(b, '"');
}

uint32_t mod_abi__console_timer_end(void *c, uint32_t timer)
{
    mod_abi_ctx_t *ctx = c;
    span_t *t = slab_take(&ctx->timers, timer);
    if (t == NULL)
        return MOD_ERRNO_NO_SUCH_CONSOLE_TIMER;
    int64_t us = lc_now_mono_us() - t->start_us;
    char dur[48];
    mod_abi_format_duration(dur, sizeof dur, (uint64_t)(us > 0 ? us : 0) * 1000);
    lc_buf_t msg = {0};
    lc_buf_puts(&msg, "Timing span ");
    debug_str(&msg, t->name, t->len);
    lc_buf_printf(&msg, ": %s", dur);
    lc_free(t);
    if (msg.oom) {
        lc_buf_free(&msg);
        mod_abi__trap(ctx, "console_timer_end", "out of memory");
        return 0;
    }
    mod_log_bytes_t none = {NULL, 0}, text = {msg.data, msg.len};
    mod_abi__log(ctx, MOD_LOG_INFO, none, none, MOD_LOG_LINE_NONE, text);
    lc_buf_free(&msg);
    return 0;
}
