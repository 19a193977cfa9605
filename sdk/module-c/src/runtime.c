/*
 * runtime.c — the module's two entry points and what they stand on: the registry, the call
 * arena, bytes sources and sinks, and user errors.
 *
 * __describe_module__(sink)   writes the RawModuleDef (moddef.c) into the sink.
 * __call_reducer__(id, sender[4], conn[2], timestamp, args, err_sink)
 *     1. resets the arena; finds reducer `id` (its position in the registry, invariant 2);
 *     2. reads the argument bytes from the BytesSource (0 = no bytes; one host call when they
 *        fit in 256 bytes) and decodes them into the reducer's argument struct;
 *     3. calls the reducer; on lc_err it writes the message into err_sink and returns 1,
 *        otherwise 0 (module-abi.md §4.3).  Bad argument bytes or a bad id trap (lc_panic):
 *        the host checked the arguments, so either is a bug, not a user error.
 * Both first run the constructors (lc__start), which register the tables and reducers: the
 * module exports no _initialize, so nothing else runs them.
 */
#include <stdlib.h>

#include "internal.h"

const lc_ctx *lc__current;

/* ---------------------------------------------------------------- registry */

static lc_table_t *tables, **tables_tail = &tables;
static lc_reducer_t *reducers, **reducers_tail = &reducers;
static lc_rls_t *rls, **rls_tail = &rls;

extern void __wasm_call_ctors(void);

void lc__start(void)
{
    static bool started;
    if (started)
        return;
    started = true;
    __wasm_call_ctors();
}

lc_table_t *lc__tables(void)
{
    return tables;
}
lc_reducer_t *lc__reducers(void)
{
    return reducers;
}
lc_rls_t *lc__rls(void)
{
    return rls;
}

static bool same_columns(const lc_type_t *a, const lc_type_t *b)
{
    if (a->nfields != b->nfields)
        return false;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
            a->fields[i].type->kind != b->fields[i].type->kind ||
            a->fields[i].flags != b->fields[i].flags)
            return false;
    return true;
}

/* A table declared in a header is registered once per file that includes it: keep the first.
 * Two different declarations under one name would read each other's rows wrongly: refuse. */
void lc__register_table(lc_table_t *t)
{
    lc__table_prepare(t);
    for (lc_table_t *o = tables; o; o = o->next) {
        if (strcmp(o->name, t->name) != 0)
            continue;
        if (!same_columns(o->row, t->row))
            lc_panic("two different tables are named %s", t->name);
        return;
    }
    *tables_tail = t;
    tables_tail = &t->next;
}

void lc__register_reducer(lc_reducer_t *r)
{
    *reducers_tail = r;
    reducers_tail = &r->next;
}

void lc__register_rls(lc_rls_t *r)
{
    *rls_tail = r;
    rls_tail = &r->next;
}

/* ---------------------------------------------------------------- arena */

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    _Alignas(8) uint8_t data[];
} chunk;

#define CHUNK_MIN (64 * 1024)

static chunk *first, *cur;

static chunk *new_chunk(size_t need)
{
    size_t cap = need < CHUNK_MIN ? CHUNK_MIN : need;
    chunk *c = malloc(sizeof(chunk) + cap);
    if (!c)
        lc_panic("out of memory (%zu bytes)", need);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

void *lc_alloc(size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (!cur)
        first = cur = new_chunk(size);
    if (cur->cap - cur->used < size) {
        chunk *c = new_chunk(size);
        cur->next = c;
        cur = c;
    }
    void *p = cur->data + cur->used;
    cur->used += size;
    return p;
}

void lc__arena_release(void *p, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (cur && (uint8_t *)p + size == cur->data + cur->used)
        cur->used -= size;
}

/* Keep the first chunk (so steady calls allocate nothing from malloc), free the rest. */
void lc__arena_reset(void)
{
    if (!first)
        return;
    chunk *c = first->next;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    first->next = NULL;
    first->used = 0;
    cur = first;
}

/* ---------------------------------------------------------------- bytes, errors */

static void sink_write(uint32_t sink, const void *data, uint32_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        uint32_t n = len;
        if (lc_sys_sink_write(sink, p, &n) != 0 || n == 0 || n > len)
            return;
        p += n;
        len -= n;
    }
}

/* Read a whole BytesSource: into `small` with one host call when it fits (the common case,
 * e.g. every transfer of the bank), else the rest into the arena after asking its length. */
static const uint8_t *source_read_all(uint32_t source, uint8_t *small, uint32_t small_cap,
                                      uint32_t *len_out)
{
    *len_out = 0;
    if (source == 0)
        return small;
    uint32_t got = small_cap;
    int32_t rc = lc_sys_source_read(source, small, &got);
    if (got > small_cap)
        lc_panic("the host wrote past the argument buffer");
    if (rc == -1) {
        *len_out = got;
        return small;
    }
    if (rc != 0)
        lc_panic("reading the call's arguments failed: %s", lc__errno_name(rc));
    uint32_t rest;
    if (lc_sys_source_remaining(source, &rest) != 0 || rest > UINT32_MAX - got)
        lc_panic("cannot read the call's arguments");
    uint32_t total = got + rest;
    uint8_t *buf = lc_alloc(total);
    memcpy(buf, small, got);
    for (;;) {
        uint32_t n = total - got;
        rc = lc_sys_source_read(source, buf + got, &n);
        if (n > total - got)
            lc_panic("the call's arguments grew while being read");
        got += n;
        if (rc == -1)
            break;
        if (rc != 0 || n == 0)
            lc_panic("reading the call's arguments failed: %s", lc__errno_name(rc));
    }
    *len_out = got;
    return buf;
}

static const char *err_msg;
static uint32_t err_len;

lc_result lc_err(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = lc_vformat(NULL, 0, fmt, ap);
    char *buf = lc_alloc((size_t)n + 1);
    lc_vformat(buf, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    err_msg = buf;
    err_len = (uint32_t)n;
    return (lc_result){1};
}

lc_identity lc_database_identity(void)
{
    static lc_identity id;
    static bool have;
    if (!have) {
        lc_sys_identity(id.bytes);
        have = true;
    }
    return id;
}

const char *lc__errno_name(int32_t code)
{
    static const char *const names[] = {
        "OK",
        "HOST_CALL_FAILURE",
        "NOT_IN_TRANSACTION",
        "BSATN_DECODE_ERROR",
        "NO_SUCH_TABLE",
        "NO_SUCH_INDEX",
        "NO_SUCH_ITER",
        "NO_SUCH_CONSOLE_TIMER",
        "NO_SUCH_BYTES",
        "NO_SPACE",
        "WRONG_INDEX_ALGO",
        "BUFFER_TOO_SMALL",
        "UNIQUE_ALREADY_EXISTS",
        "SCHEDULE_AT_DELAY_TOO_LONG",
        "INDEX_NOT_UNIQUE",
        "NO_SUCH_ROW",
        "AUTO_INC_OVERFLOW",
    };
    if (code >= 0 && (size_t)code < sizeof names / sizeof names[0])
        return names[code];
    return "unknown error";
}

/* ---------------------------------------------------------------- exports */

__attribute__((export_name("__describe_module__"))) void lc__describe_module(uint32_t sink)
{
    lc__start();
    lc__arena_reset();
    lc_writer w;
    lc_writer_init(&w, NULL, 0);
    lc__write_module_def(&w);
    sink_write(sink, w.data, w.len);
}

static lc_reducer_t *reducer_by_id(uint32_t id)
{
    lc_reducer_t *r = reducers;
    for (uint32_t i = 0; r && i < id; i++) r = r->next;
    return r;
}

static void decode_args(const lc_reducer_t *r, const uint8_t *bytes, uint32_t len, void *args)
{
    lc_reader rd = {bytes, len, 0};
    for (uint32_t i = 0; i < r->nparams; i++) {
        const lc_field_t *p = &r->params[i];
        if (lc_read_value(&rd, p->type, (uint8_t *)args + p->offset))
            lc_panic("%s: argument '%s' does not decode", r->name, p->name);
    }
    if (rd.pos != len)
        lc_panic("%s: %u bytes after the arguments", r->name, len - rd.pos);
}

__attribute__((export_name("__call_reducer__"))) int32_t
lc__call_reducer(uint32_t id, uint64_t sender0, uint64_t sender1, uint64_t sender2,
                 uint64_t sender3, uint64_t conn0, uint64_t conn1, uint64_t timestamp,
                 uint32_t args, uint32_t err_sink)
{
    lc__start();
    lc__arena_reset();
    lc_reducer_t *r = reducer_by_id(id);
    if (!r)
        lc_panic("no reducer with id %u", id);
    lc_ctx ctx = {.timestamp = {(int64_t)timestamp}, .reducer = r->name};
    uint64_t sender[4] = {sender0, sender1, sender2, sender3}, conn[2] = {conn0, conn1};
    memcpy(ctx.sender.bytes, sender, 32);
    memcpy(ctx.connection_id.bytes, conn, 16);
    ctx.has_connection_id = (conn0 | conn1) != 0;

    _Alignas(8) uint8_t small_bytes[256], small_args[256];
    uint32_t len;
    const uint8_t *bytes = source_read_all(args, small_bytes, sizeof small_bytes, &len);
    void *a = r->args_size <= sizeof small_args ? small_args : lc_alloc(r->args_size);
    memset(a, 0, r->args_size);
    decode_args(r, bytes, len, a);

    err_msg = NULL;
    err_len = 0;
    lc__current = &ctx;
    lc_result res = r->fn(&ctx, a);
    lc__current = NULL;
    if (res.code == 0)
        return 0;
    if (!err_msg) {
        err_msg = "the reducer failed";
        err_len = (uint32_t)strlen(err_msg);
    }
    sink_write(err_sink, err_msg, err_len);
    return 1;
}
