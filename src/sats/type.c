/*
 * type.c — SATS types: the static singletons, constructors, structural
 * recognition of the special types, Ref resolution, well-formedness checks,
 * readable rendering, and the BSATN codec of the meta-type (AlgebraicType and
 * Typespace, module-abi.md §5.2).
 *
 * A type is a tree of sats_type_t.  Trees are built either from the static
 * singletons below (primitives, Identity, Timestamp, ...), by the
 * constructors in an arena, or by sats_type_decode() in an arena.  A tree
 * never points back at itself: recursion goes only through SATS_REF, an index
 * into a typespace, so every function that does not follow Refs terminates on
 * tree depth alone.
 *
 * The meta-type, as BSATN (all integers little-endian):
 *
 *   AlgebraicType    size   contents
 *   ---------------  -----  ------------------------------------------------
 *   tag              1      sats_kind_t: Ref=0 Sum=1 Product=2 Array=3
 *                           String=4 Bool=5 I8=6 U8=7 ... F32=18 F64=19
 *   Ref payload      4      u32 typespace index
 *   Sum / Product    4      u32 count n, then n elements:
 *                    1        name: Option<String> tag, 0 = some, 1 = none
 *                    4+k      if some: u32 byte length k, then k UTF-8 bytes
 *                    ...      algebraic_type: an AlgebraicType
 *   Array payload    ...    the element AlgebraicType (no wrapper)
 *   primitives       0      nothing after the tag
 *
 *   Typespace        4      u32 count n, then n AlgebraicTypes
 *
 * Invariants:
 *   1. Special types are recognised structurally and never through a Ref:
 *      a one-field product with the magic field name and the exact inner
 *      kind, or a two-variant sum with the magic variant names (Option's
 *      "none" payload must be the empty product; ScheduleAt's payloads must
 *      be TimeDuration and Timestamp).
 *   2. Nesting is counted in compound types (Sum, Product, Array); a Ref
 *      does not count.  At most SATS_MAX_DEPTH compound types enclose one
 *      another in a single tree, in every function here (check, encode,
 *      decode).
 *   3. sats_resolve() follows at most SATS_MAX_DEPTH Refs in a row; a longer
 *      chain is a cycle of Refs (a type with no structure at all) and yields
 *      NULL.
 *   4. A decoded type is bounded by its input: every element count is checked
 *      against the bytes left before anything is allocated (an element takes
 *      at least 2 bytes, a typespace entry at least 1).  A decoded sum has at
 *      most 256 variants, and a decoded name is valid UTF-8 without NUL bytes
 *      (names are C strings).
 *   5. Work that follows Refs into the typespace (sats_type_check,
 *      sats_type_fixed_size, sats_type_format) is bounded: check visits each
 *      typespace entry once, fixed_size gives up (returns -1) after
 *      FIXED_SIZE_BUDGET nodes, and format stops following Refs once its
 *      output passes FORMAT_BUDGET bytes or a Ref is already being printed.
 *   6. Meta-encoding is canonical: a decoded type re-encodes to exactly the
 *      bytes it came from; on an encoding error the output buffer is cut
 *      back to its length before the call.
 */
#include <string.h>

#include "sats/sats.h"

#define FIXED_SIZE_BUDGET 65536
#define FORMAT_BUDGET     4096
#define MAX_SUM_VARIANTS  256

/* ---------------------------------------------------------------- singletons */

#define PRIM(k) [k] = {.kind = k}
static const sats_type_t prims[SATS_KIND_COUNT] = {
    PRIM(SATS_STRING), PRIM(SATS_BOOL), PRIM(SATS_I8),   PRIM(SATS_U8),
    PRIM(SATS_I16),    PRIM(SATS_U16),  PRIM(SATS_I32),  PRIM(SATS_U32),
    PRIM(SATS_I64),    PRIM(SATS_U64),  PRIM(SATS_I128), PRIM(SATS_U128),
    PRIM(SATS_I256),   PRIM(SATS_U256), PRIM(SATS_F32),  PRIM(SATS_F64),
};
#undef PRIM

/* The one-field "newtype" products, as data: recognition and construction
 * both read this table. */
typedef struct newtype {
    const char *field;
    sats_kind_t inner;
    sats_special_t special;
    const char *display;
} newtype_t;

static const newtype_t newtypes[] = {
    {"__identity__", SATS_U256, SATS_SPECIAL_IDENTITY, "Identity"},
    {"__connection_id__", SATS_U128, SATS_SPECIAL_CONNECTION_ID, "ConnectionId"},
    {"__timestamp_micros_since_unix_epoch__", SATS_I64, SATS_SPECIAL_TIMESTAMP, "Timestamp"},
    {"__time_duration_micros__", SATS_I64, SATS_SPECIAL_TIME_DURATION, "TimeDuration"},
    {"__uuid__", SATS_U128, SATS_SPECIAL_UUID, "Uuid"},
};

#define NEWTYPE(var, fld, K)                                                                       \
    static const sats_field_t var##_fields[] = {{fld, &prims[K]}};                                 \
    static const sats_type_t var = {.kind = SATS_PRODUCT, .u.fields = {1, var##_fields}}
NEWTYPE(identity_type, "__identity__", SATS_U256);
NEWTYPE(connection_id_type, "__connection_id__", SATS_U128);
NEWTYPE(timestamp_type, "__timestamp_micros_since_unix_epoch__", SATS_I64);
NEWTYPE(time_duration_type, "__time_duration_micros__", SATS_I64);
NEWTYPE(uuid_type, "__uuid__", SATS_U128);
#undef NEWTYPE

static const sats_type_t unit_type = {.kind = SATS_PRODUCT, .u.fields = {0, NULL}};
static const sats_type_t bytes_type = {.kind = SATS_ARRAY, .u.elem = &prims[SATS_U8]};
static const sats_field_t schedule_at_variants[] = {
    {"Interval", &time_duration_type},
    {"Time", &timestamp_type},
};
static const sats_type_t schedule_at_type = {.kind = SATS_SUM,
                                             .u.fields = {2, schedule_at_variants}};

static bool is_prim(int kind)
{
    return kind >= SATS_STRING && kind < SATS_KIND_COUNT;
}
static bool is_compound(int kind)
{
    return kind == SATS_SUM || kind == SATS_PRODUCT || kind == SATS_ARRAY;
}

const sats_type_t *sats_prim(sats_kind_t kind)
{
    return is_prim((int)kind) ? &prims[kind] : NULL;
}
const sats_type_t *sats_type_unit(void)
{
    return &unit_type;
}
const sats_type_t *sats_type_identity(void)
{
    return &identity_type;
}
const sats_type_t *sats_type_connection_id(void)
{
    return &connection_id_type;
}
const sats_type_t *sats_type_timestamp(void)
{
    return &timestamp_type;
}
const sats_type_t *sats_type_time_duration(void)
{
    return &time_duration_type;
}
const sats_type_t *sats_type_uuid(void)
{
    return &uuid_type;
}
const sats_type_t *sats_type_schedule_at(void)
{
    return &schedule_at_type;
}
const sats_type_t *sats_type_bytes(void)
{
    return &bytes_type;
}

static const char *const kind_names[SATS_KIND_COUNT] = {
    "Ref", "Sum", "Product", "Array", "String", "Bool", "I8",   "U8",   "I16", "U16",
    "I32", "U32", "I64",     "U64",   "I128",   "U128", "I256", "U256", "F32", "F64",
};

const char *sats_kind_name(sats_kind_t kind)
{
    return (int)kind >= 0 && (int)kind < SATS_KIND_COUNT ? kind_names[kind] : "?";
}

/* ---------------------------------------------------------------- constructors */

static sats_type_t *make_fields(lc_arena_t *a, sats_kind_t kind, uint32_t n,
                                const char *const *names, const sats_type_t *const *types)
{
    sats_type_t *t = lc_arena_zalloc(a, sizeof *t);
    if (t == NULL)
        return NULL;
    sats_field_t *f = NULL;
    if (n > 0) {
        f = lc_arena_zalloc(a, (size_t)n * sizeof *f);
        if (f == NULL)
            return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        f[i].type = types[i];
        if (names != NULL && names[i] != NULL) {
            f[i].name = lc_arena_strdup(a, names[i]);
            if (f[i].name == NULL)
                return NULL;
        }
    }
    t->kind = kind;
    t->u.fields.n = n;
    t->u.fields.items = f;
    return t;
}

sats_type_t *sats_type_product(lc_arena_t *a, uint32_t n, const char *const *names,
                               const sats_type_t *const *types)
{
    return make_fields(a, SATS_PRODUCT, n, names, types);
}

sats_type_t *sats_type_sum(lc_arena_t *a, uint32_t n, const char *const *names,
                           const sats_type_t *const *types)
{
    return make_fields(a, SATS_SUM, n, names, types);
}

sats_type_t *sats_type_array(lc_arena_t *a, const sats_type_t *elem)
{
    sats_type_t *t = lc_arena_zalloc(a, sizeof *t);
    if (t == NULL)
        return NULL;
    t->kind = SATS_ARRAY;
    t->u.elem = elem;
    return t;
}

sats_type_t *sats_type_ref(lc_arena_t *a, uint32_t ref)
{
    sats_type_t *t = lc_arena_zalloc(a, sizeof *t);
    if (t == NULL)
        return NULL;
    t->kind = SATS_REF;
    t->u.ref = ref;
    return t;
}

sats_type_t *sats_type_option(lc_arena_t *a, const sats_type_t *some)
{
    static const char *const names[] = {"some", "none"};
    const sats_type_t *types[] = {some, &unit_type};
    return make_fields(a, SATS_SUM, 2, names, types);
}

sats_type_t *sats_type_result(lc_arena_t *a, const sats_type_t *ok, const sats_type_t *err)
{
    static const char *const names[] = {"ok", "err"};
    const sats_type_t *types[] = {ok, err};
    return make_fields(a, SATS_SUM, 2, names, types);
}

/* ---------------------------------------------------------------- recognition */

static bool name_is(const sats_field_t *f, const char *name)
{
    return f->name != NULL && strcmp(f->name, name) == 0;
}

static sats_special_t special_product(const sats_type_t *t)
{
    if (t->u.fields.n == 0)
        return SATS_SPECIAL_UNIT;
    if (t->u.fields.n != 1 || t->u.fields.items[0].type == NULL)
        return SATS_SPECIAL_NONE;
    const sats_field_t *f = &t->u.fields.items[0];
    for (size_t i = 0; i < LC_ARRAY_LEN(newtypes); i++) {
        if (name_is(f, newtypes[i].field) && f->type->kind == newtypes[i].inner)
            return newtypes[i].special;
    }
    return SATS_SPECIAL_NONE;
}

static sats_special_t special_sum(const sats_type_t *t)
{
    if (t->u.fields.n != 2)
        return SATS_SPECIAL_NONE;
    const sats_field_t *v = t->u.fields.items;
    if (v[0].type == NULL || v[1].type == NULL)
        return SATS_SPECIAL_NONE;
    if (name_is(&v[0], "some") && name_is(&v[1], "none") &&
        sats_type_special(v[1].type) == SATS_SPECIAL_UNIT)
        return SATS_SPECIAL_OPTION;
    if (name_is(&v[0], "ok") && name_is(&v[1], "err"))
        return SATS_SPECIAL_RESULT;
    if (name_is(&v[0], "Interval") && name_is(&v[1], "Time") &&
        sats_type_special(v[0].type) == SATS_SPECIAL_TIME_DURATION &&
        sats_type_special(v[1].type) == SATS_SPECIAL_TIMESTAMP)
        return SATS_SPECIAL_SCHEDULE_AT;
    return SATS_SPECIAL_NONE;
}

sats_special_t sats_type_special(const sats_type_t *t)
{
    if (t == NULL)
        return SATS_SPECIAL_NONE;
    if (t->kind == SATS_PRODUCT)
        return special_product(t);
    if (t->kind == SATS_SUM)
        return special_sum(t);
    return SATS_SPECIAL_NONE;
}

/* Invariant 3. */
const sats_type_t *sats_resolve(const sats_typespace_t *ts, const sats_type_t *t)
{
    for (int hops = 0; t != NULL && t->kind == SATS_REF; hops++) {
        if (hops >= SATS_MAX_DEPTH || ts == NULL || t->u.ref >= ts->n)
            return NULL;
        t = ts->types[t->u.ref];
    }
    return t;
}

/* ---------------------------------------------------------------- check */

/* Typespace entries reached through Refs are checked once each, from a
 * worklist rather than by recursion, so a long chain of entries that refer
 * to one another cannot exhaust the C stack (invariant 5). */
typedef struct check_ctx {
    const sats_typespace_t *ts;
    uint8_t *seen;  /* bitmap over ts->types; NULL until the first Ref */
    uint32_t *todo; /* worklist of typespace indexes, same block as seen */
    uint32_t ntodo;
    lc_err_t *err;
} check_ctx_t;

static int check_ref(check_ctx_t *c, uint32_t ref)
{
    const sats_typespace_t *ts = c->ts;
    if (ts == NULL || ref >= ts->n)
        return lc_err_set(c->err, LC_EINVAL, "type refers to &%u, but the typespace has %u types",
                          ref, ts ? ts->n : 0);
    if (c->seen == NULL) {
        /* First Ref: allocate the worklist and the bitmap together. */
        size_t n = ts->n;
        uint8_t *mem = lc_calloc(1, n * sizeof(uint32_t) + (n + 7) / 8);
        if (mem == NULL)
            return lc_err_set(c->err, LC_ENOMEM, "out of memory checking a type");
        c->todo = (uint32_t *)mem;
        c->seen = mem + n * sizeof(uint32_t);
    }
    if (c->seen[ref / 8] & (1u << (ref % 8)))
        return 0;
    c->seen[ref / 8] |= (uint8_t)(1u << (ref % 8));
    c->todo[c->ntodo++] = ref;
    return 0;
}

static int check_node(check_ctx_t *c, const sats_type_t *t, int depth)
{
    if (t == NULL)
        return lc_err_set(c->err, LC_EINVAL, "type is missing");
    if (is_compound((int)t->kind) && depth >= SATS_MAX_DEPTH)
        return lc_err_set(c->err, LC_EINVAL, "type nests deeper than %d levels", SATS_MAX_DEPTH);
    switch (t->kind) {
    case SATS_REF:
        return check_ref(c, t->u.ref);
    case SATS_SUM:
        if (t->u.fields.n > MAX_SUM_VARIANTS)
            return lc_err_set(c->err, LC_EINVAL, "sum type has %u variants; at most %d allowed",
                              t->u.fields.n, MAX_SUM_VARIANTS);
        /* fall through */
    case SATS_PRODUCT:
        if (t->u.fields.n > 0 && t->u.fields.items == NULL)
            return lc_err_set(c->err, LC_EINVAL, "%s type has no elements array",
                              sats_kind_name(t->kind));
        for (uint32_t i = 0; i < t->u.fields.n; i++) {
            int rc = check_node(c, t->u.fields.items[i].type, depth + 1);
            if (rc < 0)
                return rc;
        }
        return 0;
    case SATS_ARRAY:
        return check_node(c, t->u.elem, depth + 1);
    default:
        if (is_prim((int)t->kind))
            return 0;
        return lc_err_set(c->err, LC_EINVAL, "unknown type kind %d", (int)t->kind);
    }
}

static int check_entry(check_ctx_t *c, uint32_t ref)
{
    sats_type_t probe = {.kind = SATS_REF, .u.ref = ref};
    if (c->ts->types[ref] == NULL)
        return lc_err_set(c->err, LC_EINVAL, "typespace entry &%u is missing", ref);
    if (sats_resolve(c->ts, &probe) == NULL)
        return lc_err_set(c->err, LC_EINVAL, "type &%u is a cycle of refs with no structure", ref);
    return check_node(c, c->ts->types[ref], 0);
}

int sats_type_check(const sats_typespace_t *ts, const sats_type_t *t, lc_err_t *err)
{
    check_ctx_t c = {.ts = ts, .err = err};
    int rc = check_node(&c, t, 0);
    while (rc == 0 && c.ntodo > 0) rc = check_entry(&c, c.todo[--c.ntodo]);
    lc_free(c.todo); /* the bitmap shares its block */
    return rc;
}

/* ---------------------------------------------------------------- equality */

bool sats_type_eq(const sats_type_t *a, const sats_type_t *b)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SATS_REF:
        return a->u.ref == b->u.ref;
    case SATS_SUM:
    case SATS_PRODUCT:
        if (a->u.fields.n != b->u.fields.n)
            return false;
        for (uint32_t i = 0; i < a->u.fields.n; i++) {
            const sats_field_t *fa = &a->u.fields.items[i], *fb = &b->u.fields.items[i];
            if ((fa->name == NULL) != (fb->name == NULL))
                return false;
            if (fa->name != NULL && strcmp(fa->name, fb->name) != 0)
                return false;
            if (!sats_type_eq(fa->type, fb->type))
                return false;
        }
        return true;
    case SATS_ARRAY:
        return sats_type_eq(a->u.elem, b->u.elem);
    default:
        return true;
    }
}

/* ---------------------------------------------------------------- fixed size */

static const int8_t prim_sizes[SATS_KIND_COUNT] = {
    [SATS_BOOL] = 1,  [SATS_I8] = 1,    [SATS_U8] = 1,    [SATS_I16] = 2, [SATS_U16] = 2,
    [SATS_I32] = 4,   [SATS_U32] = 4,   [SATS_I64] = 8,   [SATS_U64] = 8, [SATS_I128] = 16,
    [SATS_U128] = 16, [SATS_I256] = 32, [SATS_U256] = 32, [SATS_F32] = 4, [SATS_F64] = 8,
};

static int64_t fixed_size(const sats_typespace_t *ts, const sats_type_t *t, int depth, long *budget)
{
    t = sats_resolve(ts, t);
    if (t == NULL || depth >= SATS_MAX_DEPTH || --*budget < 0)
        return -1;
    switch (t->kind) {
    case SATS_PRODUCT: {
        int64_t total = 0;
        for (uint32_t i = 0; i < t->u.fields.n; i++) {
            int64_t s = fixed_size(ts, t->u.fields.items[i].type, depth + 1, budget);
            if (s < 0 || total > INT32_MAX)
                return -1;
            total += s;
        }
        return total;
    }
    case SATS_SUM: {
        int64_t size = -1;
        for (uint32_t i = 0; i < t->u.fields.n; i++) {
            int64_t s = fixed_size(ts, t->u.fields.items[i].type, depth + 1, budget);
            if (s < 0 || (i > 0 && s != size))
                return -1;
            size = s;
        }
        return size < 0 ? -1 : 1 + size;
    }
    default:
        if (is_prim((int)t->kind) && prim_sizes[t->kind] > 0)
            return prim_sizes[t->kind];
        return -1; /* String, Array, unknown */
    }
}

int64_t sats_type_fixed_size(const sats_typespace_t *ts, const sats_type_t *t)
{
    long budget = FIXED_SIZE_BUDGET;
    return fixed_size(ts, t, 0, &budget);
}

/* ---------------------------------------------------------------- format */

typedef struct fmt_ctx {
    lc_buf_t *out;
    const sats_typespace_t *ts;
    size_t start;                  /* out->len when formatting began */
    uint32_t open[SATS_MAX_DEPTH]; /* Refs being expanded, innermost last */
    int nopen;
} fmt_ctx_t;

static int fmt_type(fmt_ctx_t *c, const sats_type_t *t, int depth);

static bool ref_open(const fmt_ctx_t *c, uint32_t ref)
{
    for (int i = 0; i < c->nopen; i++) {
        if (c->open[i] == ref)
            return true;
    }
    return false;
}

static int fmt_ref(fmt_ctx_t *c, const sats_type_t *t, int depth)
{
    uint32_t ref = t->u.ref;
    const sats_typespace_t *ts = c->ts;
    if (ts == NULL || ref >= ts->n || ts->types[ref] == NULL || ref_open(c, ref) ||
        c->nopen >= SATS_MAX_DEPTH || c->out->len - c->start > FORMAT_BUDGET)
        return lc_buf_printf(c->out, "&%u", ref);
    c->open[c->nopen++] = ref;
    int rc = fmt_type(c, ts->types[ref], depth);
    c->nopen--;
    return rc;
}

static int fmt_fields(fmt_ctx_t *c, const sats_type_t *t, int depth)
{
    bool sum = t->kind == SATS_SUM;
    int rc = lc_buf_puts(c->out, sum ? "{" : "(");
    for (uint32_t i = 0; rc == 0 && i < t->u.fields.n; i++) {
        const sats_field_t *f = &t->u.fields.items[i];
        if (i > 0)
            rc = lc_buf_puts(c->out, sum ? " | " : ", ");
        if (rc == 0 && f->name != NULL)
            rc = lc_buf_puts(c->out, f->name);
        if (rc < 0)
            break;
        if (sum && f->name != NULL) {
            /* A unit payload is left out: "{A | B(U8)}". */
            if (sats_type_special(f->type) == SATS_SPECIAL_UNIT)
                continue;
            rc = lc_buf_puts(c->out, "(");
            if (rc == 0)
                rc = fmt_type(c, f->type, depth + 1);
            if (rc == 0)
                rc = lc_buf_puts(c->out, ")");
            continue;
        }
        if (f->name != NULL)
            rc = lc_buf_puts(c->out, ": ");
        if (rc == 0)
            rc = fmt_type(c, f->type, depth + 1);
    }
    if (rc == 0)
        rc = lc_buf_puts(c->out, sum ? "}" : ")");
    return rc;
}

static int fmt_special(fmt_ctx_t *c, const sats_type_t *t, sats_special_t sp, int depth)
{
    const sats_field_t *v = t->u.fields.items;
    int rc;
    switch (sp) {
    case SATS_SPECIAL_UNIT:
        return lc_buf_puts(c->out, "()");
    case SATS_SPECIAL_SCHEDULE_AT:
        return lc_buf_puts(c->out, "ScheduleAt");
    case SATS_SPECIAL_OPTION:
        rc = lc_buf_puts(c->out, "Option<");
        if (rc == 0)
            rc = fmt_type(c, v[0].type, depth + 1);
        return rc ? rc : lc_buf_puts(c->out, ">");
    case SATS_SPECIAL_RESULT:
        rc = lc_buf_puts(c->out, "Result<");
        if (rc == 0)
            rc = fmt_type(c, v[0].type, depth + 1);
        if (rc == 0)
            rc = lc_buf_puts(c->out, ", ");
        if (rc == 0)
            rc = fmt_type(c, v[1].type, depth + 1);
        return rc ? rc : lc_buf_puts(c->out, ">");
    default:
        for (size_t i = 0; i < LC_ARRAY_LEN(newtypes); i++) {
            if (newtypes[i].special == sp)
                return lc_buf_puts(c->out, newtypes[i].display);
        }
        return fmt_fields(c, t, depth);
    }
}

static int fmt_type(fmt_ctx_t *c, const sats_type_t *t, int depth)
{
    if (t == NULL)
        return lc_buf_puts(c->out, "<missing>");
    if (depth >= SATS_MAX_DEPTH)
        return lc_buf_puts(c->out, "...");
    switch (t->kind) {
    case SATS_REF:
        return fmt_ref(c, t, depth);
    case SATS_SUM:
    case SATS_PRODUCT: {
        sats_special_t sp = sats_type_special(t);
        if (sp != SATS_SPECIAL_NONE)
            return fmt_special(c, t, sp, depth);
        return fmt_fields(c, t, depth);
    }
    case SATS_ARRAY: {
        int rc = lc_buf_puts(c->out, "Array<");
        if (rc == 0)
            rc = fmt_type(c, t->u.elem, depth + 1);
        return rc ? rc : lc_buf_puts(c->out, ">");
    }
    default:
        return lc_buf_puts(c->out, sats_kind_name(t->kind));
    }
}

int sats_type_format(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t)
{
    fmt_ctx_t c = {.out = out, .ts = ts, .start = out->len};
    return fmt_type(&c, t, 0);
}

/* ---------------------------------------------------------------- meta encode */

static int enc_type(lc_buf_t *out, const sats_type_t *t, int depth);

static int enc_fields(lc_buf_t *out, const sats_type_t *t, int depth)
{
    int rc = lc_buf_put_u32le(out, t->u.fields.n);
    for (uint32_t i = 0; rc == 0 && i < t->u.fields.n; i++) {
        const sats_field_t *f = &t->u.fields.items[i];
        if (f->name == NULL) {
            rc = lc_buf_putc(out, 1); /* Option::none */
        } else {
            size_t len = strlen(f->name);
            if (len > UINT32_MAX)
                return LC_ERANGE;
            rc = lc_buf_putc(out, 0); /* Option::some */
            if (rc == 0)
                rc = lc_buf_put_u32le(out, (uint32_t)len);
            if (rc == 0)
                rc = lc_buf_append(out, f->name, len);
        }
        if (rc == 0)
            rc = enc_type(out, f->type, depth + 1);
    }
    return rc;
}

static int enc_type(lc_buf_t *out, const sats_type_t *t, int depth)
{
    if (t == NULL || (int)t->kind < 0 || (int)t->kind >= SATS_KIND_COUNT)
        return LC_EINVAL;
    if (is_compound((int)t->kind) && depth >= SATS_MAX_DEPTH)
        return LC_EINVAL;
    int rc = lc_buf_putc(out, (uint8_t)t->kind);
    if (rc < 0)
        return rc;
    switch (t->kind) {
    case SATS_REF:
        return lc_buf_put_u32le(out, t->u.ref);
    case SATS_SUM:
    case SATS_PRODUCT:
        return enc_fields(out, t, depth);
    case SATS_ARRAY:
        return enc_type(out, t->u.elem, depth + 1);
    default:
        return 0;
    }
}

int sats_type_encode(lc_buf_t *out, const sats_type_t *t)
{
    size_t start = out->len;
    int rc = enc_type(out, t, 0);
    if (rc < 0)
        out->len = start; /* no partial type is left behind */
    return rc;
}

int sats_typespace_encode(lc_buf_t *out, const sats_typespace_t *ts)
{
    size_t start = out->len;
    int rc = lc_buf_put_u32le(out, ts->n);
    for (uint32_t i = 0; rc == 0 && i < ts->n; i++) rc = enc_type(out, ts->types[i], 0);
    if (rc < 0)
        out->len = start;
    return rc;
}

/* ---------------------------------------------------------------- meta decode */

typedef struct meta_dec {
    lc_arena_t *a;
    lc_rd_t *r;
    const uint8_t *base; /* where decoding began, for byte offsets in messages */
    lc_err_t *err;
} meta_dec_t;

static size_t meta_off(const meta_dec_t *d)
{
    return (size_t)(d->r->p - d->base);
}

static int meta_nomem(const meta_dec_t *d)
{
    return lc_err_set(d->err, LC_ENOMEM, "out of memory decoding a type");
}

static int meta_u8(meta_dec_t *d, uint8_t *v, const char *what)
{
    if (lc_rd_u8(d->r, v) < 0)
        return LC_CORRUPT(d->err, "type is truncated: %s missing at byte %zu", what, meta_off(d));
    return 0;
}

static int meta_u32(meta_dec_t *d, uint32_t *v, const char *what)
{
    if (lc_rd_u32le(d->r, v) < 0)
        return LC_CORRUPT(d->err, "type is truncated: %s missing at byte %zu", what, meta_off(d));
    return 0;
}

/* An element or variant name: Option<String>, tag 0 = some, 1 = none. */
static int meta_name(meta_dec_t *d, const char **out)
{
    uint8_t tag;
    uint32_t len;
    const uint8_t *p;
    int rc = meta_u8(d, &tag, "name option tag");
    if (rc < 0)
        return rc;
    *out = NULL;
    if (tag == 1)
        return 0;
    if (tag != 0)
        return LC_CORRUPT(d->err, "name option tag %u at byte %zu is neither some (0) nor none (1)",
                          tag, meta_off(d) - 1);
    if ((rc = meta_u32(d, &len, "name length")) < 0)
        return rc;
    if (lc_rd_bytes(d->r, len, &p) < 0)
        return LC_CORRUPT(d->err, "name of %u bytes at byte %zu runs past the end (%zu left)", len,
                          meta_off(d), d->r->len);
    if (!sats_utf8_valid(p, len))
        return LC_CORRUPT(d->err, "name at byte %zu is not valid UTF-8", meta_off(d) - len);
    if (memchr(p, 0, len) != NULL)
        return LC_CORRUPT(d->err, "name at byte %zu contains a NUL byte", meta_off(d) - len);
    *out = lc_arena_strndup(d->a, (const char *)p, len);
    return *out ? 0 : meta_nomem(d);
}

static int meta_type(meta_dec_t *d, const sats_type_t **out, int depth);

static int meta_fields(meta_dec_t *d, sats_kind_t kind, const sats_type_t **out, int depth)
{
    uint32_t n;
    int rc = meta_u32(d, &n, "element count");
    if (rc < 0)
        return rc;
    /* Invariant 4: each element takes at least a name tag and a type tag. */
    if (n > d->r->len / 2)
        return LC_CORRUPT(d->err, "%s of %u elements at byte %zu cannot fit in the %zu bytes left",
                          sats_kind_name(kind), n, meta_off(d) - 4, d->r->len);
    if (kind == SATS_SUM && n > MAX_SUM_VARIANTS)
        return LC_CORRUPT(d->err, "sum type at byte %zu has %u variants; at most %d allowed",
                          meta_off(d) - 4, n, MAX_SUM_VARIANTS);
    sats_type_t *t = lc_arena_zalloc(d->a, sizeof *t);
    sats_field_t *f = n ? lc_arena_zalloc(d->a, (size_t)n * sizeof *f) : NULL;
    if (t == NULL || (n > 0 && f == NULL))
        return meta_nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = meta_name(d, &f[i].name)) < 0 || (rc = meta_type(d, &f[i].type, depth + 1)) < 0)
            return rc;
    }
    t->kind = kind;
    t->u.fields.n = n;
    t->u.fields.items = f;
    *out = t;
    return 0;
}

static int meta_type(meta_dec_t *d, const sats_type_t **out, int depth)
{
    uint8_t tag;
    int rc = meta_u8(d, &tag, "AlgebraicType tag");
    if (rc < 0)
        return rc;
    if (tag >= SATS_KIND_COUNT)
        return LC_CORRUPT(d->err, "AlgebraicType tag %u at byte %zu is not a known kind", tag,
                          meta_off(d) - 1);
    if (is_prim(tag)) {
        *out = &prims[tag];
        return 0;
    }
    if (tag == SATS_REF) {
        uint32_t ref;
        if ((rc = meta_u32(d, &ref, "Ref index")) < 0)
            return rc;
        sats_type_t *t = sats_type_ref(d->a, ref);
        *out = t;
        return t ? 0 : meta_nomem(d);
    }
    if (depth >= SATS_MAX_DEPTH)
        return LC_CORRUPT(d->err, "type at byte %zu nests deeper than %d levels", meta_off(d) - 1,
                          SATS_MAX_DEPTH);
    if (tag == SATS_ARRAY) {
        const sats_type_t *elem;
        if ((rc = meta_type(d, &elem, depth + 1)) < 0)
            return rc;
        sats_type_t *t = sats_type_array(d->a, elem);
        *out = t;
        return t ? 0 : meta_nomem(d);
    }
    return meta_fields(d, (sats_kind_t)tag, out, depth);
}

int sats_type_decode(lc_arena_t *a, lc_rd_t *r, const sats_type_t **out, lc_err_t *err)
{
    meta_dec_t d = {.a = a, .r = r, .base = r->p, .err = err};
    return meta_type(&d, out, 0);
}

int sats_typespace_decode(lc_arena_t *a, lc_rd_t *r, sats_typespace_t *out, lc_err_t *err)
{
    meta_dec_t d = {.a = a, .r = r, .base = r->p, .err = err};
    uint32_t n;
    int rc = meta_u32(&d, &n, "typespace count");
    if (rc < 0)
        return rc;
    /* Invariant 4: every type takes at least its tag byte. */
    if (n > r->len)
        return LC_CORRUPT(err, "typespace of %u types cannot fit in the %zu bytes left", n, r->len);
    const sats_type_t **types = NULL;
    if (n > 0) {
        types = lc_arena_zalloc(a, (size_t)n * sizeof *types);
        if (types == NULL)
            return meta_nomem(&d);
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = meta_type(&d, &types[i], 0)) < 0) {
            lc_err_prefix(err, "typespace type %u", i);
            return rc;
        }
    }
    out->n = n;
    out->types = types;
    return 0;
}
