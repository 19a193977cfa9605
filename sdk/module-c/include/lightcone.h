/*
 * lightcone.h — the Lightcone C module SDK: a database module written in C, compiled by clang to
 * wasm32, that runs on Lightcone (and on SpacetimeDB 2.x, whose module ABI it speaks).
 *
 * A module declares tables and reducers; the SDK turns each declaration into a C type, typed
 * functions and an entry in the module definition the host reads at publish time:
 *
 *   #include <lightcone.h>
 *
 *   LC_TABLE(accounts, LC_PUBLIC,
 *       LC_COL(uint32_t, id, LC_PRIMARY_KEY),
 *       LC_COL(int64_t, balance))
 *
 *   LC_REDUCER(deposit, LC_ARG(uint32_t, id), LC_ARG(int64_t, amount))
 *   {
 *       accounts_t a;
 *       if (!accounts_find_by_id(id, &a))
 *           return lc_err("no account %u", id);
 *       a.balance += amount;
 *       accounts_update_by_id(&a);
 *       return lc_ok();
 *   }
 *
 * docs/MODULES-IN-C.md is the tutorial and the full reference; this comment is the map.
 *
 * How it works.  Every declaration expands, through the X-macro machinery at the end of this
 * file, into (1) a plain C struct, (2) a constant type descriptor (lc_type_t: kind, C size,
 * field names, offsets and types) and (3) a constructor function that registers the table or
 * reducer with the library when the module starts.  The library (sdk/module-c/src) is generic:
 * it encodes and decodes BSATN by walking descriptors, writes the V10 RawModuleDef from the
 * registry in __describe_module__, and dispatches __call_reducer__ by reducer id.  The typed
 * functions (accounts_insert, accounts_find_by_id, ...) are static inline wrappers that pass the
 * descriptor along, so a mistyped row is a compile error.
 *
 * Invariants the rest of the SDK relies on:
 *   1. The C type of every column, field, element and argument is named by ONE identifier
 *      (uint32_t, lc_string, a type declared with LC_STRUCT/LC_SUM/LC_ENUM/LC_ARRAY_TYPE/
 *      LC_OPTION_TYPE, a table's row type <table>_t); its descriptor is lc_sats_type_of_<T>
 *      and its kind the enum constant lc_sats_kind_of_<T>.  Anything else fails to compile.
 *   2. Reducer ids are the positions in the Reducers section, which is registration order:
 *      the order of LC_REDUCER/LC_INIT/... in the source (constructors run in definition order
 *      within a file, and files in link order).  describe and dispatch read the same list.
 *   3. Everything the library hands out during a reducer call (decoded strings, arrays, lc_fmt
 *      results, iterator buffers, lc_alloc) lives in the call arena and is gone when the call
 *      returns.  Copy what must outlive it into a table.
 *   4. Decoded strings are NUL-terminated (ptr[len] == 0), so they can go to C string
 *      functions; strings you build need not be.
 *   5. The module imports only spacetime_10.x functions: the WASI functions libc may call
 *      (printf, time) are provided by the SDK and routed to console_log / the call timestamp.
 */
#ifndef LIGHTCONE_H
#define LIGHTCONE_H

#if !defined(__wasm32__)
#error                                                                                             \
    "lightcone.h builds modules for wasm32: use `lightcone build DIR` or clang --target=wasm32-wasi"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LC__UNUSED __attribute__((unused))
#define LC__FN     static inline __attribute__((unused))

/* ---------------------------------------------------------------- value types */

/* 128- and 256-bit integers: little-endian 64-bit words, w[0]/lo least significant. */
typedef struct lc_u128 {
    uint64_t lo, hi;
} lc_u128;
typedef struct lc_i128 {
    uint64_t lo;
    int64_t hi;
} lc_i128;
typedef struct lc_u256 {
    uint64_t w[4];
} lc_u256;
typedef struct lc_i256 {
    uint64_t w[4]; /* two's complement; the sign is the top bit of w[3] */
} lc_i256;

/* A UTF-8 string: not owned.  Strings the SDK decodes are NUL-terminated (invariant 4). */
typedef struct lc_string {
    const char *ptr;
    uint32_t len;
} lc_string;

/* A byte string (SATS Array<U8>). */
typedef struct lc_bytes {
    const uint8_t *ptr;
    uint32_t len;
} lc_bytes;

/* Identity: a 256-bit number, bytes little-endian (hex display is big-endian). */
typedef struct lc_identity {
    uint8_t bytes[32];
} lc_identity;

/* ConnectionId: a 128-bit number, bytes little-endian; all zero means "none". */
typedef struct lc_connection_id {
    uint8_t bytes[16];
} lc_connection_id;

/* Microseconds since the Unix epoch. */
typedef struct lc_timestamp {
    int64_t micros;
} lc_timestamp;

/* A signed span of microseconds. */
typedef struct lc_time_duration {
    int64_t micros;
} lc_time_duration;

/* When a schedule-table row fires: every `micros` (LC_SCHEDULE_INTERVAL) or once at the
 * timestamp `micros` (LC_SCHEDULE_TIME). */
typedef struct lc_schedule_at {
    uint8_t tag;
    int64_t micros;
} lc_schedule_at;
enum { LC_SCHEDULE_INTERVAL = 0, LC_SCHEDULE_TIME = 1 };

/* ---------------------------------------------------------------- type descriptors */

/* What a C type is in SATS.  0 is never a kind. */
typedef enum lc_kind {
    LC_K_BOOL = 1,
    LC_K_I8,
    LC_K_U8,
    LC_K_I16,
    LC_K_U16,
    LC_K_I32,
    LC_K_U32,
    LC_K_I64,
    LC_K_U64,
    LC_K_I128,
    LC_K_U128,
    LC_K_I256,
    LC_K_U256,
    LC_K_F32,
    LC_K_F64,
    LC_K_STRING,
    LC_K_BYTES,
    LC_K_ARRAY,         /* struct { T *items; uint32_t len; } */
    LC_K_OPTION,        /* struct { bool has; T value; } */
    LC_K_PRODUCT,       /* a struct (LC_STRUCT, a table row) */
    LC_K_SUM,           /* struct { uint8_t tag; union { ... }; } (LC_SUM) */
    LC_K_ENUM,          /* a C enum whose variants carry nothing (LC_ENUM) */
    LC_K_IDENTITY,      /* the special types of the module ABI, written inline */
    LC_K_CONNECTION_ID, /* ... */
    LC_K_TIMESTAMP,     /* ... */
    LC_K_TIME_DURATION, /* ... */
    LC_K_SCHEDULE_AT,   /* ... */
} lc_kind;

#define LC__KIND_IS_INT(k) ((k) >= LC_K_I8 && (k) <= LC_K_U256)
#define LC__KIND_IS_DIRECT(k)                                                                      \
    ((k) == LC_K_U8 || (k) == LC_K_U16 || (k) == LC_K_U32 || (k) == LC_K_U64 || (k) == LC_K_ENUM)

typedef struct lc_type lc_type_t;

/* A field of a product, a variant of a sum (type NULL: no payload), a column (with its
 * attribute flags) or a reducer parameter. */
typedef struct lc_field {
    const char *name;
    const lc_type_t *type;
    uint32_t offset; /* of the member in the C struct (sums: of the payload) */
    uint32_t flags;  /* columns only: LC_PRIMARY_KEY | LC_UNIQUE | ... */
} lc_field_t;

struct lc_type {
    uint8_t kind;             /* lc_kind */
    uint32_t size;            /* sizeof the C representation */
    const char *name;         /* products, sums, enums: the type's name in the module */
    const lc_type_t *elem;    /* arrays, options: the element type */
    uint32_t value_offset;    /* options: offset of value; sums: offset of the payload union */
    const lc_field_t *fields; /* products: fields; sums and enums: variants */
    uint32_t nfields;
};

/* The descriptor of a type named by one identifier (invariant 1). */
#define LC_TYPE(T) (&lc_sats_type_of_##T)

/* Built-in types: every name usable in LC_COL, LC_ARG, LC_FIELD, LC_VARIANT, arrays, options. */
#define LC__BUILTIN_TYPES(X)                                                                       \
    X(bool, LC_K_BOOL)                                                                             \
    X(_Bool, LC_K_BOOL)                                                                            \
    X(int8_t, LC_K_I8)                                                                             \
    X(uint8_t, LC_K_U8)                                                                            \
    X(int16_t, LC_K_I16)                                                                           \
    X(uint16_t, LC_K_U16)                                                                          \
    X(int32_t, LC_K_I32)                                                                           \
    X(uint32_t, LC_K_U32)                                                                          \
    X(int64_t, LC_K_I64)                                                                           \
    X(uint64_t, LC_K_U64)                                                                          \
    X(lc_i128, LC_K_I128)                                                                          \
    X(lc_u128, LC_K_U128)                                                                          \
    X(lc_i256, LC_K_I256)                                                                          \
    X(lc_u256, LC_K_U256)                                                                          \
    X(float, LC_K_F32)                                                                             \
    X(double, LC_K_F64)                                                                            \
    X(lc_string, LC_K_STRING)                                                                      \
    X(lc_bytes, LC_K_BYTES)                                                                        \
    X(lc_identity, LC_K_IDENTITY)                                                                  \
    X(lc_connection_id, LC_K_CONNECTION_ID)                                                        \
    X(lc_timestamp, LC_K_TIMESTAMP)                                                                \
    X(lc_time_duration, LC_K_TIME_DURATION)                                                        \
    X(lc_schedule_at, LC_K_SCHEDULE_AT)

#define LC__DECLARE_BUILTIN(T, K)                                                                  \
    extern const lc_type_t lc_sats_type_of_##T;                                                    \
    enum { lc_sats_kind_of_##T = K };
LC__BUILTIN_TYPES(LC__DECLARE_BUILTIN)

/* C types without a fixed width are refused with a message instead of "undeclared identifier". */
#define LC__REFUSE(msg)                                                                            \
    (sizeof(struct {                                                                               \
         _Static_assert(0, msg);                                                                   \
         int lc__x;                                                                                \
     }) *                                                                                          \
     0)
#define LC__REFUSE_TYPE(msg) (*(const lc_type_t *)LC__REFUSE(msg))
#define LC__NOT_FIXED                                                                              \
    "this C type has no fixed width: use int8_t..int64_t, uint8_t..uint64_t, bool, float, "        \
    "double, lc_string or another SATS type named by one identifier"
#define lc_sats_type_of_int      LC__REFUSE_TYPE(LC__NOT_FIXED)
#define lc_sats_kind_of_int      LC__REFUSE(LC__NOT_FIXED)
#define lc_sats_type_of_long     LC__REFUSE_TYPE(LC__NOT_FIXED)
#define lc_sats_kind_of_long     LC__REFUSE(LC__NOT_FIXED)
#define lc_sats_type_of_short    LC__REFUSE_TYPE(LC__NOT_FIXED)
#define lc_sats_kind_of_short    LC__REFUSE(LC__NOT_FIXED)
#define lc_sats_type_of_unsigned LC__REFUSE_TYPE(LC__NOT_FIXED)
#define lc_sats_kind_of_unsigned LC__REFUSE(LC__NOT_FIXED)
#define lc_sats_type_of_size_t   LC__REFUSE_TYPE(LC__NOT_FIXED)
#define lc_sats_kind_of_size_t   LC__REFUSE(LC__NOT_FIXED)
#define lc_sats_type_of_char                                                                       \
    LC__REFUSE_TYPE("char is not a SATS type: use lc_string for text, int8_t or uint8_t for "      \
                    "bytes")
#define lc_sats_kind_of_char                                                                       \
    LC__REFUSE("char is not a SATS type: use lc_string for text, int8_t or uint8_t for bytes")

/* ---------------------------------------------------------------- declaring types */

/*
 * LC_STRUCT(point, LC_FIELD(int32_t, x), LC_FIELD(int32_t, y))
 *     typedef struct point { int32_t x; int32_t y; } point;  a SATS product named "point".
 * LC_SUM(shape, LC_VARIANT(double, circle), LC_VARIANT(point, square), LC_UNIT(empty))
 *     typedef struct shape { uint8_t tag; union { double circle; point square; }; } shape;
 *     with tag values shape_circle, shape_square, shape_empty (declaration order).
 * LC_ENUM(color, red, green, blue)
 *     typedef enum color { color_red, color_green, color_blue } color;  a sum of unit variants.
 * LC_ARRAY_TYPE(points, point)
 *     typedef struct points { point *items; uint32_t len; } points;
 * LC_OPTION_TYPE(maybe_point, point)
 *     typedef struct maybe_point { bool has; point value; } maybe_point;
 */
#define LC_FIELD(T, name)   (FIELD, T, name)
#define LC_VARIANT(T, name) (VARIANT, T, name)
#define LC_UNIT(name)       (UNIT, name)

#define LC_STRUCT(N, ...)                                                                          \
    typedef struct N {                                                                             \
        LC__MAPA(LC__S_MEMBER, N, LC__NOSEP, __VA_ARGS__)                                          \
    } N;                                                                                           \
    static const lc_field_t lc__fields_##N[] LC__UNUSED = {                                        \
        LC__MAPA(LC__S_FIELD, N, LC__NOSEP, __VA_ARGS__){0}};                                      \
    enum { lc_sats_kind_of_##N = LC_K_PRODUCT };                                                   \
    static const lc_type_t lc_sats_type_of_##N LC__UNUSED = {                                      \
        .kind = LC_K_PRODUCT,                                                                      \
        .size = sizeof(N),                                                                         \
        .name = #N,                                                                                \
        .fields = lc__fields_##N,                                                                  \
        .nfields = sizeof(lc__fields_##N) / sizeof(lc_field_t) - 1};                               \
    LC__FN const lc_type_t *lc__type_##N(void)                                                     \
    {                                                                                              \
        return &lc_sats_type_of_##N;                                                               \
    }

#define LC_SUM(N, ...)                                                                             \
    typedef struct N {                                                                             \
        uint8_t tag;                                                                               \
        union {                                                                                    \
            char lc__unit;                                                                         \
            LC__MAPA(LC__U_MEMBER, N, LC__NOSEP, __VA_ARGS__)                                      \
        };                                                                                         \
    } N;                                                                                           \
    enum { LC__MAPA(LC__U_TAG, N, LC__NOSEP, __VA_ARGS__) lc__ntags_##N };                         \
    static const lc_field_t lc__variants_##N[] LC__UNUSED = {                                      \
        LC__MAPA(LC__U_FIELD, N, LC__NOSEP, __VA_ARGS__){0}};                                      \
    enum { lc_sats_kind_of_##N = LC_K_SUM };                                                       \
    static const lc_type_t lc_sats_type_of_##N LC__UNUSED = {                                      \
        .kind = LC_K_SUM,                                                                          \
        .size = sizeof(N),                                                                         \
        .name = #N,                                                                                \
        .value_offset = offsetof(N, lc__unit),                                                     \
        .fields = lc__variants_##N,                                                                \
        .nfields = sizeof(lc__variants_##N) / sizeof(lc_field_t) - 1};                             \
    LC__FN const lc_type_t *lc__type_##N(void)                                                     \
    {                                                                                              \
        return &lc_sats_type_of_##N;                                                               \
    }

#define LC_ENUM(N, ...)                                                                            \
    typedef enum N { LC__MAPA(LC__E_CONST, N, LC__NOSEP, __VA_ARGS__) } N;                         \
    static const lc_field_t lc__variants_##N[] LC__UNUSED = {                                      \
        LC__MAPA(LC__E_FIELD, N, LC__NOSEP, __VA_ARGS__){0}};                                      \
    enum { lc_sats_kind_of_##N = LC_K_ENUM };                                                      \
    static const lc_type_t lc_sats_type_of_##N LC__UNUSED = {                                      \
        .kind = LC_K_ENUM,                                                                         \
        .size = sizeof(N),                                                                         \
        .name = #N,                                                                                \
        .fields = lc__variants_##N,                                                                \
        .nfields = sizeof(lc__variants_##N) / sizeof(lc_field_t) - 1};                             \
    LC__FN const lc_type_t *lc__type_##N(void)                                                     \
    {                                                                                              \
        return &lc_sats_type_of_##N;                                                               \
    }

#define LC_ARRAY_TYPE(N, T)                                                                        \
    typedef struct N {                                                                             \
        T *items;                                                                                  \
        uint32_t len;                                                                              \
    } N;                                                                                           \
    enum { lc_sats_kind_of_##N = LC_K_ARRAY };                                                     \
    static const lc_type_t lc_sats_type_of_##N LC__UNUSED = {                                      \
        .kind = LC_K_ARRAY, .size = sizeof(N), .elem = &lc_sats_type_of_##T};                      \
    LC__FN const lc_type_t *lc__type_##N(void)                                                     \
    {                                                                                              \
        return &lc_sats_type_of_##N;                                                               \
    }

#define LC_OPTION_TYPE(N, T)                                                                       \
    typedef struct N {                                                                             \
        bool has;                                                                                  \
        T value;                                                                                   \
    } N;                                                                                           \
    enum { lc_sats_kind_of_##N = LC_K_OPTION };                                                    \
    static const lc_type_t lc_sats_type_of_##N LC__UNUSED = {.kind = LC_K_OPTION,                  \
                                                             .size = sizeof(N),                    \
                                                             .elem = &lc_sats_type_of_##T,         \
                                                             .value_offset = offsetof(N, value)};  \
    LC__FN const lc_type_t *lc__type_##N(void)                                                     \
    {                                                                                              \
        return &lc_sats_type_of_##N;                                                               \
    }

/* Options: LC_SOME(lc_option_i32, 5), LC_NONE(lc_option_i32). */
#define LC_SOME(OptT, v) ((OptT){.has = true, .value = (v)})
#define LC_NONE(OptT)    ((OptT){.has = false})

/* Ready-made arrays and options of the built-in types. */
LC_ARRAY_TYPE(lc_array_bool, bool);
LC_ARRAY_TYPE(lc_array_i8, int8_t);
LC_ARRAY_TYPE(lc_array_i16, int16_t);
LC_ARRAY_TYPE(lc_array_u16, uint16_t);
LC_ARRAY_TYPE(lc_array_i32, int32_t);
LC_ARRAY_TYPE(lc_array_u32, uint32_t);
LC_ARRAY_TYPE(lc_array_i64, int64_t);
LC_ARRAY_TYPE(lc_array_u64, uint64_t);
LC_ARRAY_TYPE(lc_array_f32, float);
LC_ARRAY_TYPE(lc_array_f64, double);
LC_ARRAY_TYPE(lc_array_string, lc_string);
LC_ARRAY_TYPE(lc_array_identity, lc_identity);
LC_OPTION_TYPE(lc_option_bool, bool);
LC_OPTION_TYPE(lc_option_u8, uint8_t);
LC_OPTION_TYPE(lc_option_i32, int32_t);
LC_OPTION_TYPE(lc_option_u32, uint32_t);
LC_OPTION_TYPE(lc_option_i64, int64_t);
LC_OPTION_TYPE(lc_option_u64, uint64_t);
LC_OPTION_TYPE(lc_option_f64, double);
LC_OPTION_TYPE(lc_option_string, lc_string);
LC_OPTION_TYPE(lc_option_bytes, lc_bytes);
LC_OPTION_TYPE(lc_option_identity, lc_identity);
LC_OPTION_TYPE(lc_option_timestamp, lc_timestamp);

/* ---------------------------------------------------------------- reducer context and results */

/* What a reducer knows about its call; `ctx` in every reducer body. */
typedef struct lc_ctx {
    lc_identity sender;             /* the caller (the database for init and schedules) */
    lc_connection_id connection_id; /* all zero when has_connection_id is false */
    bool has_connection_id;         /* false for init, scheduled and system calls */
    lc_timestamp timestamp;         /* when the call was made */
    const char *reducer;            /* this reducer's name */
} lc_ctx;

/* A reducer's outcome: return lc_ok() or lc_err("..."). A struct, so `return 0;` is an error. */
typedef struct lc_result {
    int code; /* 0 ok, 1 user error (message set by lc_err) */
} lc_result;

static inline lc_result lc_ok(void)
{
    return (lc_result){0};
}
/* Fail the reducer with a message for the caller; the transaction is rolled back. */
lc_result lc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The identity of this database (the host's `identity` import). */
lc_identity lc_database_identity(void);

/* ---------------------------------------------------------------- logging */

enum {
    LC_LEVEL_ERROR = 0,
    LC_LEVEL_WARN = 1,
    LC_LEVEL_INFO = 2,
    LC_LEVEL_DEBUG = 3,
    LC_LEVEL_TRACE = 4,
    LC_LEVEL_PANIC = 101,
};

/* One module-log record at `level` with the source file and line (console_log). */
void lc_log_at(int level, const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define LC_LOG_ERROR(...) lc_log_at(LC_LEVEL_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define LC_LOG_WARN(...)  lc_log_at(LC_LEVEL_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define LC_LOG_INFO(...)  lc_log_at(LC_LEVEL_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define LC_LOG_DEBUG(...) lc_log_at(LC_LEVEL_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define LC_LOG_TRACE(...) lc_log_at(LC_LEVEL_TRACE, __FILE__, __LINE__, __VA_ARGS__)

/* Log at level Panic and trap: the call fails as an internal error and is rolled back. */
_Noreturn void lc_panic_at(const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define lc_panic(...) lc_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* ---------------------------------------------------------------- memory, strings, helpers */

/* Memory from the call arena (invariant 3): 8-byte aligned, freed when the call returns. */
void *lc_alloc(size_t size);

/* printf-style formatting without libc's printf: %d %i %u %x %X %o %c %s %p %f %e %g %%, with
 * flags, width, precision and the hh h l ll z j t modifiers.  Returns the length the whole
 * output needs; writes at most cap-1 characters and a NUL when cap > 0. */
int lc_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
int lc_format(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A formatted string in the call arena (NUL-terminated). */
lc_string lc_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline lc_string lc_str(const char *s)
{
    return (lc_string){s, (uint32_t)strlen(s)};
}
static inline bool lc_string_eq(lc_string a, lc_string b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}
static inline lc_bytes lc_bytes_of(const void *p, uint32_t len)
{
    return (lc_bytes){(const uint8_t *)p, len};
}
static inline bool lc_identity_eq(lc_identity a, lc_identity b)
{
    return memcmp(a.bytes, b.bytes, 32) == 0;
}
static inline bool lc_connection_id_eq(lc_connection_id a, lc_connection_id b)
{
    return memcmp(a.bytes, b.bytes, 16) == 0;
}
/* The 64-character big-endian hex form of an identity (as clients and the CLI show it). */
void lc_identity_to_hex(lc_identity id, char out[65]);

static inline lc_u128 lc_u128_from_u64(uint64_t v)
{
    return (lc_u128){v, 0};
}
static inline lc_i128 lc_i128_from_i64(int64_t v)
{
    return (lc_i128){(uint64_t)v, v < 0 ? -1 : 0};
}
static inline lc_u256 lc_u256_from_u64(uint64_t v)
{
    return (lc_u256){{v, 0, 0, 0}};
}
static inline lc_i256 lc_i256_from_i64(int64_t v)
{
    uint64_t s = v < 0 ? UINT64_MAX : 0;
    return (lc_i256){{(uint64_t)v, s, s, s}};
}

static inline lc_time_duration lc_duration_us(int64_t us)
{
    return (lc_time_duration){us};
}
static inline lc_time_duration lc_duration_ms(int64_t ms)
{
    return (lc_time_duration){ms * 1000};
}
static inline lc_timestamp lc_timestamp_add(lc_timestamp t, lc_time_duration d)
{
    return (lc_timestamp){t.micros + d.micros};
}
static inline lc_schedule_at lc_schedule_interval(lc_time_duration every)
{
    return (lc_schedule_at){LC_SCHEDULE_INTERVAL, every.micros};
}
static inline lc_schedule_at lc_schedule_time(lc_timestamp at)
{
    return (lc_schedule_at){LC_SCHEDULE_TIME, at.micros};
}

/* ---------------------------------------------------------------- BSATN */

/* A growing output buffer: starts in `buf` (may be NULL), spills into the call arena. */
typedef struct lc_writer {
    uint8_t *data;
    uint32_t len, cap;
} lc_writer;
void lc_writer_init(lc_writer *w, void *buf, uint32_t cap);
void lc_write_bytes(lc_writer *w, const void *p, uint32_t n);
/* Append the BSATN of the C value at v, of type t. */
void lc_write_value(lc_writer *w, const lc_type_t *t, const void *v);

/* A cursor over BSATN bytes. */
typedef struct lc_reader {
    const uint8_t *p;
    uint32_t len, pos;
} lc_reader;
/* Decode one value of type t into out; strings and arrays go to the call arena.
 * Returns 0, or -1 if the bytes are malformed (out is then unspecified). */
int lc_read_value(lc_reader *r, const lc_type_t *t, void *out);

/* ---------------------------------------------------------------- tables: runtime */

/* Column attributes (LC_COL) and index algorithms (LC_COL, LC_INDEX). */
enum {
    LC_PRIMARY_KEY = 1 << 0, /* unique, the table's primary key (btree unless LC_HASH) */
    LC_UNIQUE = 1 << 1,      /* unique (btree unless LC_HASH/LC_DIRECT) */
    LC_AUTO_INC = 1 << 2,    /* a sequence fills the column when inserted as 0 */
    LC_BTREE = 1 << 3,       /* a btree index: point and range lookups */
    LC_HASH = 1 << 4,        /* a hash index: point lookups */
    LC_DIRECT = 1 << 5,      /* a direct index on small unsigned keys: point and range */
};
#define LC__COL_FLAGS    (LC_PRIMARY_KEY | LC_UNIQUE | LC_AUTO_INC | LC_BTREE | LC_HASH | LC_DIRECT)
#define LC__UNIQUE_FLAGS (LC_PRIMARY_KEY | LC_UNIQUE)
#define LC__INDEX_FLAGS  (LC_PRIMARY_KEY | LC_UNIQUE | LC_BTREE | LC_HASH | LC_DIRECT)

/* Table access (LC_TABLE's second argument); LC_EVENT may be or-ed in for an event table. */
enum { LC_PUBLIC = 0, LC_PRIVATE = 1, LC_EVENT = 2 };

/* Status of inserts and updates. */
enum {
    LC_STATUS_OK = 0,
    LC_STATUS_UNIQUE_ALREADY_EXISTS = 12, /* a unique column already holds that value */
    LC_STATUS_SCHEDULE_DELAY_TOO_LONG = 13,
    LC_STATUS_NO_SUCH_ROW = 15, /* update: no row with that key */
};

#define LC_MAX_INDEX_COLS 16

typedef struct lc_table lc_table_t;

/* LC_INDEX as written. */
typedef struct lc_index_decl {
    const char *name;
    uint32_t algo;
    uint16_t ncols;
    uint16_t cols[LC_MAX_INDEX_COLS];
} lc_index_decl_t;

/* LC_SCHEDULE as written. */
typedef struct lc_schedule_decl {
    const char *reducer;
    uint16_t col;
} lc_schedule_decl_t;

/* An index of a table, built by the library from the column flags and LC_INDEXes. */
typedef struct lc_index {
    lc_table_t *table;
    const char *accessor; /* column name, or the LC_INDEX name */
    char *source_name;    /* "{table}_{cols}_idx_{btree|hash|direct}" */
    uint32_t algo;        /* LC_BTREE, LC_HASH or LC_DIRECT */
    bool unique;
    uint16_t ncols;
    uint16_t cols[LC_MAX_INDEX_COLS];
    uint32_t id; /* host index id, looked up on first use */
    bool have_id;
} lc_index_t;

struct lc_table {
    const char *name;
    const lc_type_t *row;
    uint32_t access;
    const lc_index_decl_t *decls;
    uint32_t ndecls;
    const lc_schedule_decl_t *schedule; /* NULL when not a schedule table */
    lc_index_t *indexes;                /* storage for up to max_indexes */
    uint32_t max_indexes;
    /* filled by the library */
    uint32_t nindexes;
    bool prepared, have_id;
    uint32_t id;
    lc_table_t *next;
};

/* A row iterator.  Exhausted iterators hold no host resources; close one you leave early. */
typedef struct lc_iter {
    uint32_t handle; /* host RowIter, 0 once exhausted */
    const lc_type_t *row;
    uint8_t *buf;
    uint32_t cap, len, pos;
} lc_iter;

bool lc_iter_next(lc_iter *it, void *row);
void lc_iter_close(lc_iter *it);

/* The library behind the generated table functions (called through them, not directly). */
void lc__register_table(lc_table_t *t);
lc_index_t *lc__col_index(lc_table_t *t, uint16_t col);
lc_index_t *lc__named_index(lc_table_t *t, const char *name);
int lc__insert(lc_table_t *t, void *row);
uint32_t lc__delete_row(lc_table_t *t, const void *row);
uint64_t lc__count(lc_table_t *t);
uint64_t lc__clear(lc_table_t *t);
lc_iter lc__scan_all(lc_table_t *t);
bool lc__find(lc_index_t *ix, const void *key_row, void *out);
int lc__update(lc_index_t *ix, void *row);
uint32_t lc__delete_point(lc_index_t *ix, const void *key_row);
lc_iter lc__scan_point(lc_index_t *ix, const void *key_row);
lc_iter lc__scan_range(lc_index_t *ix, const void *lo_row, const void *hi_row);

/* ---------------------------------------------------------------- reducers: runtime */

enum {
    LC_LIFECYCLE_NONE = -1,
    LC_LIFECYCLE_INIT = 0,
    LC_LIFECYCLE_CONNECTED = 1,
    LC_LIFECYCLE_DISCONNECTED = 2
};

typedef struct lc_reducer {
    const char *name;
    const lc_field_t *params;
    uint32_t nparams;
    uint32_t args_size;
    lc_result (*fn)(const lc_ctx *ctx, void *args);
    int client_callable;
    int lifecycle;
    struct lc_reducer *next;
} lc_reducer_t;

void lc__register_reducer(lc_reducer_t *r);

/* ---------------------------------------------------------------- declaring tables */

/*
 * LC_TABLE(name, LC_PUBLIC | LC_PRIVATE [| LC_EVENT], items...)  where each item is
 *   LC_COL(type, column [, attributes...])   attributes: LC_PRIMARY_KEY, LC_UNIQUE, LC_AUTO_INC,
 *                                            LC_BTREE, LC_HASH, LC_DIRECT (comma- or |-separated)
 *   LC_INDEX(index, LC_BTREE | LC_HASH | LC_DIRECT, column, ...)   a (multi-column) index
 *   LC_SCHEDULE(reducer, column)             makes a schedule table: `column` is lc_schedule_at,
 *                                            the primary key a uint64_t, and `reducer` takes the
 *                                            row: LC_REDUCER(reducer, LC_ARG(name_t, row))
 *
 * declares the row type name_t and, all static inline:
 *   int      name_insert(name_t *row)           0, LC_STATUS_UNIQUE_ALREADY_EXISTS or
 *                                               LC_STATUS_SCHEDULE_DELAY_TOO_LONG; LC_AUTO_INC
 *                                               columns inserted as 0 get their value in *row
 *   uint32_t name_delete(const name_t *row)     rows equal to *row deleted (0 or 1)
 *   uint64_t name_count(void), name_clear(void) rows in the table / rows deleted
 *   name_iter name_iter_all(void)               every row; then
 *   bool     name_next(name_iter *it, name_t *row), void name_iter_close(name_iter *it)
 * per unique column c (LC_PRIMARY_KEY, LC_UNIQUE):
 *   bool     name_find_by_c(T key, name_t *out)
 *   int      name_update_by_c(name_t *row)      replaces the row with row->c; 0 or
 *                                               LC_STATUS_NO_SUCH_ROW / _UNIQUE_ALREADY_EXISTS
 * per indexed column c (any attribute but LC_AUTO_INC) and per LC_INDEX i over (c0, c1, ...):
 *   name_iter name_filter_by_c(T key)           / name_filter_by_i(T0 c0, T1 c1, ...)
 *   uint32_t  name_delete_by_c(T key)           / name_delete_by_i(T0 c0, T1 c1, ...)
 *   name_iter name_range_by_c(const T *lo, const T *hi)  / name_range_by_i(...): rows with
 *             lo <= c <= hi (first column for i); NULL is unbounded; not for LC_HASH.
 * Calling a function the table's attributes do not allow is a compile error that says why.
 */
#define LC_COL(T, name, ...)      (COL, T, name, (0 LC__MAPA(LC__OR_FLAG, _, LC__NOSEP, __VA_ARGS__)))
#define LC_INDEX(name, algo, ...) (IDX, name, algo, __VA_ARGS__)
#define LC_SCHEDULE(reducer, col) (SCHED, reducer, col)

#define LC_TABLE(t, acc, ...)                                                                      \
    typedef struct t##_t {                                                                         \
        LC__MAPA(LC__T_MEMBER, t, LC__NOSEP, __VA_ARGS__)                                          \
    } t##_t;                                                                                       \
    enum { LC__MAPA(LC__T_COLID, t, LC__NOSEP, __VA_ARGS__) t##__lc_ncols };                       \
    enum {                                                                                         \
        t##__lc_npk = 0 LC__MAPA(LC__T_NPK, t, LC__NOSEP, __VA_ARGS__),                            \
        t##__lc_nsched = 0 LC__MAPA(LC__T_NSCHED, t, LC__NOSEP, __VA_ARGS__)                       \
    };                                                                                             \
    _Static_assert(((acc) & ~(LC_PRIVATE | LC_EVENT)) == 0,                                        \
                   "LC_TABLE(" #t "): access must be LC_PUBLIC or LC_PRIVATE (| LC_EVENT)");       \
    _Static_assert(t##__lc_npk <= 1, "LC_TABLE(" #t "): more than one LC_PRIMARY_KEY column");     \
    _Static_assert(t##__lc_nsched <= 1, "LC_TABLE(" #t "): more than one LC_SCHEDULE");            \
    _Static_assert(t##__lc_nsched == 0 || t##__lc_npk == 1,                                        \
                   "LC_TABLE(" #t "): a schedule table needs a uint64_t LC_PRIMARY_KEY column "    \
                   "(the scheduled_id, usually also LC_AUTO_INC)");                                \
    LC__MAPA(LC__T_CHECK, t, LC__NOSEP, __VA_ARGS__)                                               \
    static const lc_field_t t##__lc_fields[] LC__UNUSED = {                                        \
        LC__MAPA(LC__T_FIELD, t, LC__NOSEP, __VA_ARGS__){0}};                                      \
    enum { lc_sats_kind_of_##t##_t = LC_K_PRODUCT };                                               \
    static const lc_type_t lc_sats_type_of_##t##_t LC__UNUSED = {.kind = LC_K_PRODUCT,             \
                                                                 .size = sizeof(t##_t),            \
                                                                 .name = #t,                       \
                                                                 .fields = t##__lc_fields,         \
                                                                 .nfields = t##__lc_ncols};        \
    static const lc_index_decl_t t##__lc_idecls[] LC__UNUSED = {                                   \
        LC__MAPA(LC__T_IDECL, t, LC__NOSEP, __VA_ARGS__){0}};                                      \
    static const lc_schedule_decl_t t##__lc_sdecls[] LC__UNUSED = {                                \
        LC__MAPA(LC__T_SDECL, t, LC__NOSEP, __VA_ARGS__){0}};                                      \
    static lc_index_t t##__lc_ix[LC__NARGS(__VA_ARGS__)];                                          \
    static lc_table_t t##__lc_table LC__UNUSED = {                                                 \
        .name = #t,                                                                                \
        .row = &lc_sats_type_of_##t##_t,                                                           \
        .access = (acc),                                                                           \
        .decls = t##__lc_idecls,                                                                   \
        .ndecls = sizeof(t##__lc_idecls) / sizeof(lc_index_decl_t) - 1,                            \
        .schedule = t##__lc_nsched ? t##__lc_sdecls : 0,                                           \
        .indexes = t##__lc_ix,                                                                     \
        .max_indexes = LC__NARGS(__VA_ARGS__)};                                                    \
    __attribute__((constructor)) static void t##__lc_register(void)                                \
    {                                                                                              \
        lc__register_table(&t##__lc_table);                                                        \
    }                                                                                              \
    typedef struct t##_iter {                                                                      \
        lc_iter it;                                                                                \
    } t##_iter;                                                                                    \
    LC__FN int t##_insert(t##_t *row)                                                              \
    {                                                                                              \
        return lc__insert(&t##__lc_table, row);                                                    \
    }                                                                                              \
    LC__FN uint32_t t##_delete(const t##_t *row)                                                   \
    {                                                                                              \
        return lc__delete_row(&t##__lc_table, row);                                                \
    }                                                                                              \
    LC__FN uint64_t t##_count(void)                                                                \
    {                                                                                              \
        return lc__count(&t##__lc_table);                                                          \
    }                                                                                              \
    LC__FN uint64_t t##_clear(void)                                                                \
    {                                                                                              \
        return lc__clear(&t##__lc_table);                                                          \
    }                                                                                              \
    LC__FN t##_iter t##_iter_all(void)                                                             \
    {                                                                                              \
        return (t##_iter){lc__scan_all(&t##__lc_table)};                                           \
    }                                                                                              \
    LC__FN bool t##_next(t##_iter *it, t##_t *row)                                                 \
    {                                                                                              \
        return lc_iter_next(&it->it, row);                                                         \
    }                                                                                              \
    LC__FN void t##_iter_close(t##_iter *it)                                                       \
    {                                                                                              \
        lc_iter_close(&it->it);                                                                    \
    }                                                                                              \
    LC__MAPA(LC__T_FUNCS, t, LC__NOSEP, __VA_ARGS__)

/* ---------------------------------------------------------------- declaring reducers */

/*
 * LC_REDUCER(name, LC_ARG(type, arg), ...) { ... return lc_ok(); }
 *     a reducer clients can call; the body sees `ctx` (const lc_ctx *) and its arguments.
 * LC_INIT(name)                 runs once when the database is created
 * LC_CLIENT_CONNECTED(name)     runs when a client connects (an error refuses the client)
 * LC_CLIENT_DISCONNECTED(name)  runs when a client disconnects
 * A reducer named by a table's LC_SCHEDULE takes that table's row: LC_ARG(table_t, row).
 */
#define LC_ARG(T, name)       (ARG, T, name)

#define LC_REDUCER(name, ...) LC__REDUCER(name, 1, LC_LIFECYCLE_NONE, __VA_ARGS__)
#define LC_INIT(name)                                                                              \
    const char lc__only_one_LC_INIT_per_module = 0;                                                \
    LC__REDUCER(name, 0, LC_LIFECYCLE_INIT)
#define LC_CLIENT_CONNECTED(name)                                                                  \
    const char lc__only_one_LC_CLIENT_CONNECTED_per_module = 0;                                    \
    LC__REDUCER(name, 0, LC_LIFECYCLE_CONNECTED)
#define LC_CLIENT_DISCONNECTED(name)                                                               \
    const char lc__only_one_LC_CLIENT_DISCONNECTED_per_module = 0;                                 \
    LC__REDUCER(name, 0, LC_LIFECYCLE_DISCONNECTED)

#define LC__REDUCER(N, callable, life, ...)                                                        \
    struct lc__args_##N {                                                                          \
        char lc__pad;                                                                              \
        LC__MAPA(LC__R_MEMBER, N, LC__NOSEP, __VA_ARGS__)                                          \
    };                                                                                             \
    lc_result lc_reducer__##N(const lc_ctx *ctx LC__MAPA(LC__R_PARAM, N, LC__NOSEP, __VA_ARGS__)); \
    static const lc_field_t lc__argf_##N[] = {                                                     \
        LC__MAPA(LC__R_FIELD, N, LC__NOSEP, __VA_ARGS__){0}};                                      \
    static lc_result lc__thunk_##N(const lc_ctx *ctx, void *lc__args)                              \
    {                                                                                              \
        struct lc__args_##N *lc__a = (struct lc__args_##N *)lc__args;                              \
        (void)lc__a;                                                                               \
        return lc_reducer__##N(ctx LC__MAPA(LC__R_PASS, N, LC__NOSEP, __VA_ARGS__));               \
    }                                                                                              \
    static lc_reducer_t lc__reducer_##N = {.name = #N,                                             \
                                           .params = lc__argf_##N,                                 \
                                           .nparams =                                              \
                                               sizeof(lc__argf_##N) / sizeof(lc_field_t) - 1,      \
                                           .args_size = sizeof(struct lc__args_##N),               \
                                           .fn = lc__thunk_##N,                                    \
                                           .client_callable = (callable),                          \
                                           .lifecycle = (life)};                                   \
    __attribute__((constructor)) static void lc__register_##N(void)                                \
    {                                                                                              \
        lc__register_reducer(&lc__reducer_##N);                                                    \
    }                                                                                              \
    lc_result lc_reducer__##N(const lc_ctx *ctx __attribute__((unused))                            \
                              LC__MAPA(LC__R_PARAM, N, LC__NOSEP, __VA_ARGS__))

/* ---------------------------------------------------------------- row-level security */

/*
 * LC_RLS(name, "SELECT * FROM t WHERE owner = :sender")
 *     a row-level security rule: clients other than the database owner see a row of t only
 *     when some rule of t returns it (in SQL, subscriptions and one-off queries).  A rule is
 *     a subscription query returning whole rows of one public table; it may join another
 *     table on indexed columns (`SELECT t.* FROM t JOIN u ON t.x = u.y WHERE u.z = :sender`)
 *     and use :sender, the caller's identity.  The server checks rules when it publishes.
 */
typedef struct lc_rls {
    const char *sql;
    struct lc_rls *next;
} lc_rls_t;

void lc__register_rls(lc_rls_t *r);

#define LC_RLS(name, sql_text)                                                                     \
    static lc_rls_t lc__rls_##name = {.sql = (sql_text)};                                          \
    __attribute__((constructor)) static void lc__register_rls_##name(void)                         \
    {                                                                                              \
        lc__register_rls(&lc__rls_##name);                                                         \
    }

/* ================================================================ machinery below this line */

#define LC__CAT(a, b)   LC__CAT_(a, b)
#define LC__CAT_(a, b)  a##b
#define LC__CATB(a, b)  LC__CATB_(a, b)
#define LC__CATB_(a, b) a##b
#define LC__EXPAND(...) __VA_ARGS__
#define LC__NOSEP()
#define LC__COMMA()       ,
#define LC__FIRST(x, ...) x
#define LC__OR_FLAG(c, x) | (x)

/* Items are tuples (KIND, ...); LC__DISPATCH(OP, c, item) calls LC__OP_KIND(c, ...). */
#define LC__DISPATCH(op, c, item)       LC__DISPATCH1(op, c, LC__EXPAND item)
#define LC__DISPATCH1(op, c, ...)       LC__DISPATCH2(op, c, __VA_ARGS__)
#define LC__DISPATCH2(op, c, kind, ...) LC__##op##_##kind(c, __VA_ARGS__)

/* An item that is not a tuple reaches LC__<OP>_LC__EXPAND: say what was expected. */
#define LC__T_MEMBER_LC__EXPAND                                                                    \
    _Static_assert(0, "LC_TABLE: each item must be LC_COL(type, name, attributes...), "            \
                      "LC_INDEX(...) or LC_SCHEDULE(...)");
#define LC__R_MEMBER_LC__EXPAND                                                                    \
    _Static_assert(0, "LC_REDUCER: each parameter must be written LC_ARG(type, name)");
#define LC__S_MEMBER_LC__EXPAND                                                                    \
    _Static_assert(0, "LC_STRUCT: each field must be written LC_FIELD(type, name)");
#define LC__U_MEMBER_LC__EXPAND                                                                    \
    _Static_assert(0, "LC_SUM: each variant must be LC_VARIANT(type, name) or LC_UNIT(name)");

/* -- LC_STRUCT */
#define LC__S_MEMBER(n, item)       LC__DISPATCH(S_MEMBER, n, item)
#define LC__S_MEMBER_FIELD(n, T, f) T f;
#define LC__S_MEMBER_COL(n, ...)                                                                   \
    _Static_assert(0, "LC_STRUCT(" #n "): fields are LC_FIELD(type, name); LC_COL is for tables");
#define LC__S_MEMBER_ARG(n, ...)                                                                   \
    _Static_assert(0, "LC_STRUCT(" #n "): fields are LC_FIELD(type, name); LC_ARG is for "         \
                      "reducers");
#define LC__S_FIELD(n, item)       LC__DISPATCH(S_FIELD, n, item)
#define LC__S_FIELD_FIELD(n, T, f) {#f, &lc_sats_type_of_##T, offsetof(n, f), 0},
#define LC__S_FIELD_COL(n, ...)
#define LC__S_FIELD_ARG(n, ...)

/* -- LC_SUM */
#define LC__U_MEMBER(n, item)         LC__DISPATCH(U_MEMBER, n, item)
#define LC__U_MEMBER_VARIANT(n, T, v) T v;
#define LC__U_MEMBER_UNIT(n, v)
#define LC__U_TAG(n, item)           LC__DISPATCH(U_TAG, n, item)
#define LC__U_TAG_VARIANT(n, T, v)   n##_##v,
#define LC__U_TAG_UNIT(n, v)         n##_##v,
#define LC__U_FIELD(n, item)         LC__DISPATCH(U_FIELD, n, item)
#define LC__U_FIELD_VARIANT(n, T, v) {#v, &lc_sats_type_of_##T, offsetof(n, v), 0},
#define LC__U_FIELD_UNIT(n, v)       {#v, 0, 0, 0},

/* -- LC_ENUM: items are plain identifiers */
#define LC__E_CONST(n, v) n##_##v,
#define LC__E_FIELD(n, v) {#v, 0, 0, 0},

/* -- LC_TABLE */
#define LC__T_MEMBER(t, item)        LC__DISPATCH(T_MEMBER, t, item)
#define LC__T_MEMBER_COL(t, T, c, F) T c;
#define LC__T_MEMBER_IDX(t, ...)
#define LC__T_MEMBER_SCHED(t, ...)
#define LC__T_MEMBER_ARG(t, ...)                                                                   \
    _Static_assert(0, "LC_TABLE(" #t "): columns are LC_COL(type, name, attributes...); "          \
                      "LC_ARG is for reducer parameters");
#define LC__T_MEMBER_FIELD(t, ...)                                                                 \
    _Static_assert(0, "LC_TABLE(" #t "): columns are LC_COL(type, name, attributes...); "          \
                      "LC_FIELD is for LC_STRUCT");

#define LC__T_COLID(t, item)        LC__DISPATCH(T_COLID, t, item)
#define LC__T_COLID_COL(t, T, c, F) t##__lc_col_##c,
#define LC__T_COLID_IDX(t, ...)
#define LC__T_COLID_SCHED(t, ...)
#define LC__T_COLID_ARG(t, ...)
#define LC__T_COLID_FIELD(t, ...)

#define LC__T_NPK(t, item)        LC__DISPATCH(T_NPK, t, item)
#define LC__T_NPK_COL(t, T, c, F) +!!((F)&LC_PRIMARY_KEY)
#define LC__T_NPK_IDX(t, ...)
#define LC__T_NPK_SCHED(t, ...)
#define LC__T_NPK_ARG(t, ...)
#define LC__T_NPK_FIELD(t, ...)

#define LC__T_NSCHED(t, item) LC__DISPATCH(T_NSCHED, t, item)
#define LC__T_NSCHED_COL(t, ...)
#define LC__T_NSCHED_IDX(t, ...)
#define LC__T_NSCHED_SCHED(t, ...) +1
#define LC__T_NSCHED_ARG(t, ...)
#define LC__T_NSCHED_FIELD(t, ...)

#define LC__T_CHECK(t, item) LC__DISPATCH(T_CHECK, t, item)
#define LC__T_CHECK_COL(t, T, c, F)                                                                \
    _Static_assert(((F) & ~LC__COL_FLAGS) == 0, "LC_COL(" #T ", " #c "): unknown attribute");      \
    _Static_assert(!((F)&LC_AUTO_INC) || LC__KIND_IS_INT(lc_sats_kind_of_##T),                     \
                   "LC_TABLE(" #t "): LC_AUTO_INC column '" #c "' must have an integer type");     \
    _Static_assert(!!((F)&LC_BTREE) + !!((F)&LC_HASH) + !!((F)&LC_DIRECT) <= 1,                    \
                   "LC_TABLE(" #t "): column '" #c "' has more than one of LC_BTREE, LC_HASH, "    \
                   "LC_DIRECT");                                                                   \
    _Static_assert(!((F)&LC_DIRECT) || LC__KIND_IS_DIRECT(lc_sats_kind_of_##T),                    \
                   "LC_TABLE(" #t "): LC_DIRECT column '" #c "' must be uint8_t, uint16_t, "       \
                   "uint32_t, uint64_t or an LC_ENUM");                                            \
    _Static_assert(!(t##__lc_nsched && ((F)&LC_PRIMARY_KEY)) || lc_sats_kind_of_##T == LC_K_U64,   \
                   "LC_TABLE(" #t "): the primary key of a schedule table must be uint64_t");
#define LC__T_CHECK_IDX(t, name, algo, ...)                                                        \
    _Static_assert((algo) == LC_BTREE || (algo) == LC_HASH || (algo) == LC_DIRECT,                 \
                   "LC_INDEX(" #name "): the algorithm must be LC_BTREE, LC_HASH or LC_DIRECT");   \
    _Static_assert((algo) != LC_DIRECT || LC__NARGS(__VA_ARGS__) == 1,                             \
                   "LC_INDEX(" #name "): an LC_DIRECT index has exactly one column");              \
    _Static_assert(LC__NARGS(__VA_ARGS__) <= LC_MAX_INDEX_COLS,                                    \
                   "LC_INDEX(" #name "): at most 16 columns");                                     \
    LC__MAPB(LC__T_CHECK_IXCOL, t, LC__NOSEP, __VA_ARGS__)
#define LC__T_CHECK_IXCOL(t, c)                                                                    \
    _Static_assert(sizeof(((t##_t *)0)->c) > 0, "LC_INDEX: '" #c "' must be a column of " #t);
#define LC__T_CHECK_SCHED(t, r, c)                                                                 \
    _Static_assert(__builtin_types_compatible_p(__typeof__(((t##_t *)0)->c), lc_schedule_at),      \
                   "LC_SCHEDULE(" #r ", " #c "): column '" #c "' of " #t                           \
                   " must have type lc_schedule_at");                                              \
    lc_result lc_reducer__##r(const lc_ctx *ctx, t##_t row);
#define LC__T_CHECK_ARG(t, ...)
#define LC__T_CHECK_FIELD(t, ...)

#define LC__T_FIELD(t, item)        LC__DISPATCH(T_FIELD, t, item)
#define LC__T_FIELD_COL(t, T, c, F) {#c, &lc_sats_type_of_##T, offsetof(t##_t, c), (F)},
#define LC__T_FIELD_IDX(t, ...)
#define LC__T_FIELD_SCHED(t, ...)
#define LC__T_FIELD_ARG(t, ...)
#define LC__T_FIELD_FIELD(t, ...)

#define LC__T_IDECL(t, item) LC__DISPATCH(T_IDECL, t, item)
#define LC__T_IDECL_COL(t, ...)
#define LC__T_IDECL_IDX(t, name, algo, ...)                                                        \
    {#name, (algo), LC__NARGS(__VA_ARGS__), {LC__MAPB(LC__T_IXCOLID, t, LC__COMMA, __VA_ARGS__)}},
#define LC__T_IXCOLID(t, c) t##__lc_col_##c
#define LC__T_IDECL_SCHED(t, ...)
#define LC__T_IDECL_ARG(t, ...)
#define LC__T_IDECL_FIELD(t, ...)

#define LC__T_SDECL(t, item) LC__DISPATCH(T_SDECL, t, item)
#define LC__T_SDECL_COL(t, ...)
#define LC__T_SDECL_IDX(t, ...)
#define LC__T_SDECL_SCHED(t, r, c) {#r, t##__lc_col_##c},
#define LC__T_SDECL_ARG(t, ...)
#define LC__T_SDECL_FIELD(t, ...)

#define LC__T_FUNCS(t, item) LC__DISPATCH(T_FUNCS, t, item)
#define LC__T_FUNCS_SCHED(t, ...)
#define LC__T_FUNCS_ARG(t, ...)
#define LC__T_FUNCS_FIELD(t, ...)

/* The functions of one column.  Each checks, at compile time, that the column's attributes
 * allow it: a call that does not is a call to an `error` function, which clang reports with
 * the message (at -O0 it is a link error naming lc_misuse__<table>__<column>__...). */
#define LC__T_FUNCS_COL(t, T, c, F)                                                                \
    extern void lc_misuse__##t##__##c##__not_unique(void)                                          \
        __attribute__((error(#t "_find_by_" #c " / " #t "_update_by_" #c ": column " #t "." #c     \
                                " is not LC_PRIMARY_KEY or LC_UNIQUE")));                          \
    extern void lc_misuse__##t##__##c##__no_index(void) __attribute__((error(                      \
        #t "_filter_by_" #c " / " #t "_delete_by_" #c ": column " #t "." #c                        \
           " has no index (give it LC_BTREE, LC_HASH, LC_DIRECT, LC_UNIQUE or LC_PRIMARY_KEY)"))); \
    extern void lc_misuse__##t##__##c##__no_range(void)                                            \
        __attribute__((error(#t "_range_by_" #c ": column " #t "." #c                              \
                                " has no index that can scan ranges (LC_HASH cannot; nor can "     \
                                "ranges be taken over an LC_STRUCT column)")));                    \
    LC__FN lc_index_t *t##__lc_ix_##c(void)                                                        \
    {                                                                                              \
        static lc_index_t *ix;                                                                     \
        return ix ? ix : (ix = lc__col_index(&t##__lc_table, t##__lc_col_##c));                    \
    }                                                                                              \
    LC__FN bool t##_find_by_##c(T key, t##_t *out)                                                 \
    {                                                                                              \
        if (!((F)&LC__UNIQUE_FLAGS))                                                               \
            lc_misuse__##t##__##c##__not_unique();                                                 \
        t##_t lc__k;                                                                               \
        lc__k.c = key;                                                                             \
        return lc__find(t##__lc_ix_##c(), &lc__k, out);                                            \
    }                                                                                              \
    LC__FN int t##_update_by_##c(t##_t *row)                                                       \
    {                                                                                              \
        if (!((F)&LC__UNIQUE_FLAGS))                                                               \
            lc_misuse__##t##__##c##__not_unique();                                                 \
        return lc__update(t##__lc_ix_##c(), row);                                                  \
    }                                                                                              \
    LC__FN uint32_t t##_delete_by_##c(T key)                                                       \
    {                                                                                              \
        if (!((F)&LC__INDEX_FLAGS))                                                                \
            lc_misuse__##t##__##c##__no_index();                                                   \
        t##_t lc__k;                                                                               \
        lc__k.c = key;                                                                             \
        return lc__delete_point(t##__lc_ix_##c(), &lc__k);                                         \
    }                                                                                              \
    LC__FN t##_iter t##_filter_by_##c(T key)                                                       \
    {                                                                                              \
        if (!((F)&LC__INDEX_FLAGS))                                                                \
            lc_misuse__##t##__##c##__no_index();                                                   \
        t##_t lc__k;                                                                               \
        lc__k.c = key;                                                                             \
        return (t##_iter){lc__scan_point(t##__lc_ix_##c(), &lc__k)};                               \
    }                                                                                              \
    LC__FN t##_iter t##_range_by_##c(const T *lo, const T *hi)                                     \
    {                                                                                              \
        if (!((F)&LC__INDEX_FLAGS) || ((F)&LC_HASH) || lc_sats_kind_of_##T == LC_K_PRODUCT)        \
            lc_misuse__##t##__##c##__no_range();                                                   \
        t##_t lc__l, lc__h;                                                                        \
        if (lo)                                                                                    \
            lc__l.c = *lo;                                                                         \
        if (hi)                                                                                    \
            lc__h.c = *hi;                                                                         \
        return (t##_iter){lc__scan_range(t##__lc_ix_##c(), lo ? &lc__l : 0, hi ? &lc__h : 0)};     \
    }

/* The functions of one LC_INDEX. */
#define LC__T_FUNCS_IDX(t, name, algo, ...)                                                        \
    extern void lc_misuse__##t##__##name##__no_range(void)                                         \
        __attribute__((error(#t "_range_by_" #name ": index " #name " of " #t                      \
                                " is LC_HASH, which cannot scan ranges")));                        \
    LC__FN lc_index_t *t##__lc_ix_##name(void)                                                     \
    {                                                                                              \
        static lc_index_t *ix;                                                                     \
        return ix ? ix : (ix = lc__named_index(&t##__lc_table, #name));                            \
    }                                                                                              \
    LC__FN t##_iter t##_filter_by_##name(LC__MAPB(LC__T_IXPARAM, t, LC__COMMA, __VA_ARGS__))       \
    {                                                                                              \
        t##_t lc__k;                                                                               \
        LC__MAPB(LC__T_IXSET, t, LC__NOSEP, __VA_ARGS__)                                           \
        return (t##_iter){lc__scan_point(t##__lc_ix_##name(), &lc__k)};                            \
    }                                                                                              \
    LC__FN uint32_t t##_delete_by_##name(LC__MAPB(LC__T_IXPARAM, t, LC__COMMA, __VA_ARGS__))       \
    {                                                                                              \
        t##_t lc__k;                                                                               \
        LC__MAPB(LC__T_IXSET, t, LC__NOSEP, __VA_ARGS__)                                           \
        return lc__delete_point(t##__lc_ix_##name(), &lc__k);                                      \
    }                                                                                              \
    LC__FN t##_iter t##_range_by_##name(                                                           \
        const __typeof__(((t##_t *)0)->LC__FIRST(__VA_ARGS__, )) *lo,                              \
        const __typeof__(((t##_t *)0)->LC__FIRST(__VA_ARGS__, )) *hi)                              \
    {                                                                                              \
        if ((algo) == LC_HASH)                                                                     \
            lc_misuse__##t##__##name##__no_range();                                                \
        t##_t lc__l, lc__h;                                                                        \
        if (lo)                                                                                    \
            lc__l.LC__FIRST(__VA_ARGS__, ) = *lo;                                                  \
        if (hi)                                                                                    \
            lc__h.LC__FIRST(__VA_ARGS__, ) = *hi;                                                  \
        return (t##_iter){lc__scan_range(t##__lc_ix_##name(), lo ? &lc__l : 0, hi ? &lc__h : 0)};  \
    }
#define LC__T_IXPARAM(t, c) __typeof__(((t##_t *)0)->c) c
#define LC__T_IXSET(t, c)   lc__k.c = c;

/* -- LC_REDUCER */
#define LC__R_MEMBER(n, item)     LC__DISPATCH(R_MEMBER, n, item)
#define LC__R_MEMBER_ARG(n, T, a) T a;
#define LC__R_MEMBER_COL(n, ...)                                                                   \
    _Static_assert(0, "LC_REDUCER(" #n "): parameters are LC_ARG(type, name); LC_COL is for "      \
                      "tables");
#define LC__R_MEMBER_FIELD(n, ...)                                                                 \
    _Static_assert(0, "LC_REDUCER(" #n "): parameters are LC_ARG(type, name); LC_FIELD is for "    \
                      "LC_STRUCT");
#define LC__R_PARAM(n, item)     LC__DISPATCH(R_PARAM, n, item)
#define LC__R_PARAM_ARG(n, T, a) , T a
#define LC__R_PARAM_COL(n, ...)
#define LC__R_PARAM_FIELD(n, ...)
#define LC__R_FIELD(n, item)     LC__DISPATCH(R_FIELD, n, item)
#define LC__R_FIELD_ARG(n, T, a) {#a, &lc_sats_type_of_##T, offsetof(struct lc__args_##n, a), 0},
#define LC__R_FIELD_COL(n, ...)
#define LC__R_FIELD_FIELD(n, ...)
#define LC__R_PASS(n, item)     LC__DISPATCH(R_PASS, n, item)
#define LC__R_PASS_ARG(n, T, a) , lc__a->a
#define LC__R_PASS_COL(n, ...)
#define LC__R_PASS_FIELD(n, ...)

/* LC__MAPA/LC__MAPB(M, c, SEP, items...) expand to M(c, item1) SEP() M(c, item2) ... for up to
 * 64 items; two copies so that one can run inside the other.  Generated; keep them in step. */
// clang-format off
#define LC__NARGS(...) LC__NARGS_(__VA_ARGS__, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define LC__NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58, _59, _60, _61, _62, _63, _64, N, ...) N
#define LC__MAPA(M, c, S, ...) __VA_OPT__(LC__CAT(LC__MAPA_, LC__NARGS(__VA_ARGS__))(M, c, S, __VA_ARGS__))
#define LC__MAPA_1(M, c, S, x) M(c, x)
#define LC__MAPA_2(M, c, S, x, ...) M(c, x) S() LC__MAPA_1(M, c, S, __VA_ARGS__)
#define LC__MAPA_3(M, c, S, x, ...) M(c, x) S() LC__MAPA_2(M, c, S, __VA_ARGS__)
#define LC__MAPA_4(M, c, S, x, ...) M(c, x) S() LC__MAPA_3(M, c, S, __VA_ARGS__)
#define LC__MAPA_5(M, c, S, x, ...) M(c, x) S() LC__MAPA_4(M, c, S, __VA_ARGS__)
#define LC__MAPA_6(M, c, S, x, ...) M(c, x) S() LC__MAPA_5(M, c, S, __VA_ARGS__)
#define LC__MAPA_7(M, c, S, x, ...) M(c, x) S() LC__MAPA_6(M, c, S, __VA_ARGS__)
#define LC__MAPA_8(M, c, S, x, ...) M(c, x) S() LC__MAPA_7(M, c, S, __VA_ARGS__)
#define LC__MAPA_9(M, c, S, x, ...) M(c, x) S() LC__MAPA_8(M, c, S, __VA_ARGS__)
#define LC__MAPA_10(M, c, S, x, ...) M(c, x) S() LC__MAPA_9(M, c, S, __VA_ARGS__)
#define LC__MAPA_11(M, c, S, x, ...) M(c, x) S() LC__MAPA_10(M, c, S, __VA_ARGS__)
#define LC__MAPA_12(M, c, S, x, ...) M(c, x) S() LC__MAPA_11(M, c, S, __VA_ARGS__)
#define LC__MAPA_13(M, c, S, x, ...) M(c, x) S() LC__MAPA_12(M, c, S, __VA_ARGS__)
#define LC__MAPA_14(M, c, S, x, ...) M(c, x) S() LC__MAPA_13(M, c, S, __VA_ARGS__)
#define LC__MAPA_15(M, c, S, x, ...) M(c, x) S() LC__MAPA_14(M, c, S, __VA_ARGS__)
#define LC__MAPA_16(M, c, S, x, ...) M(c, x) S() LC__MAPA_15(M, c, S, __VA_ARGS__)
#define LC__MAPA_17(M, c, S, x, ...) M(c, x) S() LC__MAPA_16(M, c, S, __VA_ARGS__)
#define LC__MAPA_18(M, c, S, x, ...) M(c, x) S() LC__MAPA_17(M, c, S, __VA_ARGS__)
#define LC__MAPA_19(M, c, S, x, ...) M(c, x) S() LC__MAPA_18(M, c, S, __VA_ARGS__)
#define LC__MAPA_20(M, c, S, x, ...) M(c, x) S() LC__MAPA_19(M, c, S, __VA_ARGS__)
#define LC__MAPA_21(M, c, S, x, ...) M(c, x) S() LC__MAPA_20(M, c, S, __VA_ARGS__)
#define LC__MAPA_22(M, c, S, x, ...) M(c, x) S() LC__MAPA_21(M, c, S, __VA_ARGS__)
#define LC__MAPA_23(M, c, S, x, ...) M(c, x) S() LC__MAPA_22(M, c, S, __VA_ARGS__)
#define LC__MAPA_24(M, c, S, x, ...) M(c, x) S() LC__MAPA_23(M, c, S, __VA_ARGS__)
#define LC__MAPA_25(M, c, S, x, ...) M(c, x) S() LC__MAPA_24(M, c, S, __VA_ARGS__)
#define LC__MAPA_26(M, c, S, x, ...) M(c, x) S() LC__MAPA_25(M, c, S, __VA_ARGS__)
#define LC__MAPA_27(M, c, S, x, ...) M(c, x) S() LC__MAPA_26(M, c, S, __VA_ARGS__)
#define LC__MAPA_28(M, c, S, x, ...) M(c, x) S() LC__MAPA_27(M, c, S, __VA_ARGS__)
#define LC__MAPA_29(M, c, S, x, ...) M(c, x) S() LC__MAPA_28(M, c, S, __VA_ARGS__)
#define LC__MAPA_30(M, c, S, x, ...) M(c, x) S() LC__MAPA_29(M, c, S, __VA_ARGS__)
#define LC__MAPA_31(M, c, S, x, ...) M(c, x) S() LC__MAPA_30(M, c, S, __VA_ARGS__)
#define LC__MAPA_32(M, c, S, x, ...) M(c, x) S() LC__MAPA_31(M, c, S, __VA_ARGS__)
#define LC__MAPA_33(M, c, S, x, ...) M(c, x) S() LC__MAPA_32(M, c, S, __VA_ARGS__)
#define LC__MAPA_34(M, c, S, x, ...) M(c, x) S() LC__MAPA_33(M, c, S, __VA_ARGS__)
#define LC__MAPA_35(M, c, S, x, ...) M(c, x) S() LC__MAPA_34(M, c, S, __VA_ARGS__)
#define LC__MAPA_36(M, c, S, x, ...) M(c, x) S() LC__MAPA_35(M, c, S, __VA_ARGS__)
#define LC__MAPA_37(M, c, S, x, ...) M(c, x) S() LC__MAPA_36(M, c, S, __VA_ARGS__)
#define LC__MAPA_38(M, c, S, x, ...) M(c, x) S() LC__MAPA_37(M, c, S, __VA_ARGS__)
#define LC__MAPA_39(M, c, S, x, ...) M(c, x) S() LC__MAPA_38(M, c, S, __VA_ARGS__)
#define LC__MAPA_40(M, c, S, x, ...) M(c, x) S() LC__MAPA_39(M, c, S, __VA_ARGS__)
#define LC__MAPA_41(M, c, S, x, ...) M(c, x) S() LC__MAPA_40(M, c, S, __VA_ARGS__)
#define LC__MAPA_42(M, c, S, x, ...) M(c, x) S() LC__MAPA_41(M, c, S, __VA_ARGS__)
#define LC__MAPA_43(M, c, S, x, ...) M(c, x) S() LC__MAPA_42(M, c, S, __VA_ARGS__)
#define LC__MAPA_44(M, c, S, x, ...) M(c, x) S() LC__MAPA_43(M, c, S, __VA_ARGS__)
#define LC__MAPA_45(M, c, S, x, ...) M(c, x) S() LC__MAPA_44(M, c, S, __VA_ARGS__)
#define LC__MAPA_46(M, c, S, x, ...) M(c, x) S() LC__MAPA_45(M, c, S, __VA_ARGS__)
#define LC__MAPA_47(M, c, S, x, ...) M(c, x) S() LC__MAPA_46(M, c, S, __VA_ARGS__)
#define LC__MAPA_48(M, c, S, x, ...) M(c, x) S() LC__MAPA_47(M, c, S, __VA_ARGS__)
#define LC__MAPA_49(M, c, S, x, ...) M(c, x) S() LC__MAPA_48(M, c, S, __VA_ARGS__)
#define LC__MAPA_50(M, c, S, x, ...) M(c, x) S() LC__MAPA_49(M, c, S, __VA_ARGS__)
#define LC__MAPA_51(M, c, S, x, ...) M(c, x) S() LC__MAPA_50(M, c, S, __VA_ARGS__)
#define LC__MAPA_52(M, c, S, x, ...) M(c, x) S() LC__MAPA_51(M, c, S, __VA_ARGS__)
#define LC__MAPA_53(M, c, S, x, ...) M(c, x) S() LC__MAPA_52(M, c, S, __VA_ARGS__)
#define LC__MAPA_54(M, c, S, x, ...) M(c, x) S() LC__MAPA_53(M, c, S, __VA_ARGS__)
#define LC__MAPA_55(M, c, S, x, ...) M(c, x) S() LC__MAPA_54(M, c, S, __VA_ARGS__)
#define LC__MAPA_56(M, c, S, x, ...) M(c, x) S() LC__MAPA_55(M, c, S, __VA_ARGS__)
#define LC__MAPA_57(M, c, S, x, ...) M(c, x) S() LC__MAPA_56(M, c, S, __VA_ARGS__)
#define LC__MAPA_58(M, c, S, x, ...) M(c, x) S() LC__MAPA_57(M, c, S, __VA_ARGS__)
#define LC__MAPA_59(M, c, S, x, ...) M(c, x) S() LC__MAPA_58(M, c, S, __VA_ARGS__)
#define LC__MAPA_60(M, c, S, x, ...) M(c, x) S() LC__MAPA_59(M, c, S, __VA_ARGS__)
#define LC__MAPA_61(M, c, S, x, ...) M(c, x) S() LC__MAPA_60(M, c, S, __VA_ARGS__)
#define LC__MAPA_62(M, c, S, x, ...) M(c, x) S() LC__MAPA_61(M, c, S, __VA_ARGS__)
#define LC__MAPA_63(M, c, S, x, ...) M(c, x) S() LC__MAPA_62(M, c, S, __VA_ARGS__)
#define LC__MAPA_64(M, c, S, x, ...) M(c, x) S() LC__MAPA_63(M, c, S, __VA_ARGS__)
#define LC__MAPB(M, c, S, ...) __VA_OPT__(LC__CATB(LC__MAPB_, LC__NARGS(__VA_ARGS__))(M, c, S, __VA_ARGS__))
#define LC__MAPB_1(M, c, S, x) M(c, x)
#define LC__MAPB_2(M, c, S, x, ...) M(c, x) S() LC__MAPB_1(M, c, S, __VA_ARGS__)
#define LC__MAPB_3(M, c, S, x, ...) M(c, x) S() LC__MAPB_2(M, c, S, __VA_ARGS__)
#define LC__MAPB_4(M, c, S, x, ...) M(c, x) S() LC__MAPB_3(M, c, S, __VA_ARGS__)
#define LC__MAPB_5(M, c, S, x, ...) M(c, x) S() LC__MAPB_4(M, c, S, __VA_ARGS__)
#define LC__MAPB_6(M, c, S, x, ...) M(c, x) S() LC__MAPB_5(M, c, S, __VA_ARGS__)
#define LC__MAPB_7(M, c, S, x, ...) M(c, x) S() LC__MAPB_6(M, c, S, __VA_ARGS__)
#define LC__MAPB_8(M, c, S, x, ...) M(c, x) S() LC__MAPB_7(M, c, S, __VA_ARGS__)
#define LC__MAPB_9(M, c, S, x, ...) M(c, x) S() LC__MAPB_8(M, c, S, __VA_ARGS__)
#define LC__MAPB_10(M, c, S, x, ...) M(c, x) S() LC__MAPB_9(M, c, S, __VA_ARGS__)
#define LC__MAPB_11(M, c, S, x, ...) M(c, x) S() LC__MAPB_10(M, c, S, __VA_ARGS__)
#define LC__MAPB_12(M, c, S, x, ...) M(c, x) S() LC__MAPB_11(M, c, S, __VA_ARGS__)
#define LC__MAPB_13(M, c, S, x, ...) M(c, x) S() LC__MAPB_12(M, c, S, __VA_ARGS__)
#define LC__MAPB_14(M, c, S, x, ...) M(c, x) S() LC__MAPB_13(M, c, S, __VA_ARGS__)
#define LC__MAPB_15(M, c, S, x, ...) M(c, x) S() LC__MAPB_14(M, c, S, __VA_ARGS__)
#define LC__MAPB_16(M, c, S, x, ...) M(c, x) S() LC__MAPB_15(M, c, S, __VA_ARGS__)
#define LC__MAPB_17(M, c, S, x, ...) M(c, x) S() LC__MAPB_16(M, c, S, __VA_ARGS__)
#define LC__MAPB_18(M, c, S, x, ...) M(c, x) S() LC__MAPB_17(M, c, S, __VA_ARGS__)
#define LC__MAPB_19(M, c, S, x, ...) M(c, x) S() LC__MAPB_18(M, c, S, __VA_ARGS__)
#define LC__MAPB_20(M, c, S, x, ...) M(c, x) S() LC__MAPB_19(M, c, S, __VA_ARGS__)
#define LC__MAPB_21(M, c, S, x, ...) M(c, x) S() LC__MAPB_20(M, c, S, __VA_ARGS__)
#define LC__MAPB_22(M, c, S, x, ...) M(c, x) S() LC__MAPB_21(M, c, S, __VA_ARGS__)
#define LC__MAPB_23(M, c, S, x, ...) M(c, x) S() LC__MAPB_22(M, c, S, __VA_ARGS__)
#define LC__MAPB_24(M, c, S, x, ...) M(c, x) S() LC__MAPB_23(M, c, S, __VA_ARGS__)
#define LC__MAPB_25(M, c, S, x, ...) M(c, x) S() LC__MAPB_24(M, c, S, __VA_ARGS__)
#define LC__MAPB_26(M, c, S, x, ...) M(c, x) S() LC__MAPB_25(M, c, S, __VA_ARGS__)
#define LC__MAPB_27(M, c, S, x, ...) M(c, x) S() LC__MAPB_26(M, c, S, __VA_ARGS__)
#define LC__MAPB_28(M, c, S, x, ...) M(c, x) S() LC__MAPB_27(M, c, S, __VA_ARGS__)
#define LC__MAPB_29(M, c, S, x, ...) M(c, x) S() LC__MAPB_28(M, c, S, __VA_ARGS__)
#define LC__MAPB_30(M, c, S, x, ...) M(c, x) S() LC__MAPB_29(M, c, S, __VA_ARGS__)
#define LC__MAPB_31(M, c, S, x, ...) M(c, x) S() LC__MAPB_30(M, c, S, __VA_ARGS__)
#define LC__MAPB_32(M, c, S, x, ...) M(c, x) S() LC__MAPB_31(M, c, S, __VA_ARGS__)
#define LC__MAPB_33(M, c, S, x, ...) M(c, x) S() LC__MAPB_32(M, c, S, __VA_ARGS__)
#define LC__MAPB_34(M, c, S, x, ...) M(c, x) S() LC__MAPB_33(M, c, S, __VA_ARGS__)
#define LC__MAPB_35(M, c, S, x, ...) M(c, x) S() LC__MAPB_34(M, c, S, __VA_ARGS__)
#define LC__MAPB_36(M, c, S, x, ...) M(c, x) S() LC__MAPB_35(M, c, S, __VA_ARGS__)
#define LC__MAPB_37(M, c, S, x, ...) M(c, x) S() LC__MAPB_36(M, c, S, __VA_ARGS__)
#define LC__MAPB_38(M, c, S, x, ...) M(c, x) S() LC__MAPB_37(M, c, S, __VA_ARGS__)
#define LC__MAPB_39(M, c, S, x, ...) M(c, x) S() LC__MAPB_38(M, c, S, __VA_ARGS__)
#define LC__MAPB_40(M, c, S, x, ...) M(c, x) S() LC__MAPB_39(M, c, S, __VA_ARGS__)
#define LC__MAPB_41(M, c, S, x, ...) M(c, x) S() LC__MAPB_40(M, c, S, __VA_ARGS__)
#define LC__MAPB_42(M, c, S, x, ...) M(c, x) S() LC__MAPB_41(M, c, S, __VA_ARGS__)
#define LC__MAPB_43(M, c, S, x, ...) M(c, x) S() LC__MAPB_42(M, c, S, __VA_ARGS__)
#define LC__MAPB_44(M, c, S, x, ...) M(c, x) S() LC__MAPB_43(M, c, S, __VA_ARGS__)
#define LC__MAPB_45(M, c, S, x, ...) M(c, x) S() LC__MAPB_44(M, c, S, __VA_ARGS__)
#define LC__MAPB_46(M, c, S, x, ...) M(c, x) S() LC__MAPB_45(M, c, S, __VA_ARGS__)
#define LC__MAPB_47(M, c, S, x, ...) M(c, x) S() LC__MAPB_46(M, c, S, __VA_ARGS__)
#define LC__MAPB_48(M, c, S, x, ...) M(c, x) S() LC__MAPB_47(M, c, S, __VA_ARGS__)
#define LC__MAPB_49(M, c, S, x, ...) M(c, x) S() LC__MAPB_48(M, c, S, __VA_ARGS__)
#define LC__MAPB_50(M, c, S, x, ...) M(c, x) S() LC__MAPB_49(M, c, S, __VA_ARGS__)
#define LC__MAPB_51(M, c, S, x, ...) M(c, x) S() LC__MAPB_50(M, c, S, __VA_ARGS__)
#define LC__MAPB_52(M, c, S, x, ...) M(c, x) S() LC__MAPB_51(M, c, S, __VA_ARGS__)
#define LC__MAPB_53(M, c, S, x, ...) M(c, x) S() LC__MAPB_52(M, c, S, __VA_ARGS__)
#define LC__MAPB_54(M, c, S, x, ...) M(c, x) S() LC__MAPB_53(M, c, S, __VA_ARGS__)
#define LC__MAPB_55(M, c, S, x, ...) M(c, x) S() LC__MAPB_54(M, c, S, __VA_ARGS__)
#define LC__MAPB_56(M, c, S, x, ...) M(c, x) S() LC__MAPB_55(M, c, S, __VA_ARGS__)
#define LC__MAPB_57(M, c, S, x, ...) M(c, x) S() LC__MAPB_56(M, c, S, __VA_ARGS__)
#define LC__MAPB_58(M, c, S, x, ...) M(c, x) S() LC__MAPB_57(M, c, S, __VA_ARGS__)
#define LC__MAPB_59(M, c, S, x, ...) M(c, x) S() LC__MAPB_58(M, c, S, __VA_ARGS__)
#define LC__MAPB_60(M, c, S, x, ...) M(c, x) S() LC__MAPB_59(M, c, S, __VA_ARGS__)
#define LC__MAPB_61(M, c, S, x, ...) M(c, x) S() LC__MAPB_60(M, c, S, __VA_ARGS__)
#define LC__MAPB_62(M, c, S, x, ...) M(c, x) S() LC__MAPB_61(M, c, S, __VA_ARGS__)
#define LC__MAPB_63(M, c, S, x, ...) M(c, x) S() LC__MAPB_62(M, c, S, __VA_ARGS__)
#define LC__MAPB_64(M, c, S, x, ...) M(c, x) S() LC__MAPB_63(M, c, S, __VA_ARGS__)
// clang-format on

#endif /* LIGHTCONE_H */
