/*
 * base — the ground floor every other Lightcone module stands on.
 *
 * Public surface (all names start with lc_ / LC_):
 *   errors      lc_err_t, LC_E* codes, lc_err_set(), lc_strerror(), LC_CORRUPT()
 *   asserts     LC_ASSERT(), NEVER()
 *   buffers     lc_buf_t: growable byte buffer, little-endian writers
 *   reader      lc_rd_t: bounds-checked cursor over borrowed bytes
 *   arenas      lc_arena_t: bump allocation with cleanups, freed at once
 *   hash map    lc_map_t: open addressing, byte-string keys, void * values
 *   logging     lc_log(), levels, text or JSON lines
 *   time        lc_now_mono_us(), lc_now_wall_us()
 *   checksums   lc_crc32c()
 *   BLAKE3      lc_blake3_t, lc_blake3()
 *   hex         lc_hex_encode(), lc_hex_decode()
 *   random      lc_random_bytes()
 *
 * Nothing here depends on any other Lightcone module.  Functions that can
 * fail return 0 or a negative LC_E* code and, when given an lc_err_t, fill in
 * a message a user can act on.
 */
#ifndef LC_BASE_H
#define LC_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The version of Lightcone (the CLI, /v1/health). */
#define LC_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

/* Stable error codes.  Never renumber: they appear in logs and tests. */
enum {
    LC_OK = 0,
    LC_ENOMEM = -1,        /* allocation failed */
    LC_EINVAL = -2,        /* bad argument or request */
    LC_ECORRUPT = -3,      /* bytes do not decode: truncated, hostile, damaged */
    LC_ENOTFOUND = -4,     /* no such thing */
    LC_EEXIST = -5,        /* already exists / unique violation */
    LC_EIO = -6,           /* operating-system I/O failure */
    LC_ERANGE = -7,        /* value out of range / too large */
    LC_EBUSY = -8,         /* resource held by someone else */
    LC_EPERM = -9,         /* not authorized */
    LC_EUNSUPPORTED = -10, /* valid, but not implemented here */
    LC_EINTERNAL = -11,    /* a bug: an invariant did not hold */
};

#define LC_ERR_MSG_MAX 512

/* An error value: a code and a message for the user.  Lives on the caller's
 * stack; no allocation.  A NULL lc_err_t * is accepted everywhere and means
 * "the caller only wants the code". */
typedef struct lc_err {
    int code;
    char msg[LC_ERR_MSG_MAX];
} lc_err_t;

/* Record code and a printf-style message in err (if not NULL); returns code. */
int lc_err_set(lc_err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix the message already in err with more context ("reading row: ..."). */
int lc_err_prefix(lc_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reset err to LC_OK with an empty message. */
void lc_err_clear(lc_err_t *err);
/* A short constant name for a code ("corrupt data"). */
const char *lc_strerror(int code);

/* Mark where bad data was first detected: in debug builds the file and line
 * are logged, so a fuzz crash or a corrupt log can be traced.  Evaluates to
 * LC_ECORRUPT after filling err. */
#define LC_CORRUPT(err, ...) lc__corrupt((err), __FILE__, __LINE__, __VA_ARGS__)
int lc__corrupt(lc_err_t *err, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---------------------------------------------------------------- asserts */

/* LC_ASSERT documents an invariant; checked in debug builds only.
 * NEVER(x) marks a "cannot happen" branch: it aborts in debug builds (so tests
 * find it) and evaluates to x in release builds, which take the branch and
 * survive.  Use as `if (NEVER(p == NULL)) return LC_EINTERNAL;`. */
#ifdef NDEBUG
#define LC_ASSERT(x) ((void)0)
#define NEVER(x)     (x)
#else
#define LC_ASSERT(x) ((x) ? (void)0 : lc__assert_fail(#x, __FILE__, __LINE__))
#define NEVER(x)     ((x) ? (lc__assert_fail("NEVER(" #x ")", __FILE__, __LINE__), 1) : 0)
#endif
_Noreturn void lc__assert_fail(const char *what, const char *file, int line);

#define LC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LC_MIN(a, b)    ((a) < (b) ? (a) : (b))
#define LC_MAX(a, b)    ((a) > (b) ? (a) : (b))

/* ---------------------------------------------------------------- memory */

/* malloc/realloc/calloc that abort on failure are NOT provided on purpose:
 * callers handle LC_ENOMEM.  These wrappers exist so that tests can make the
 * Nth allocation fail (fault injection); set by lc_fault_alloc_after(). */
void *lc_malloc(size_t n);
void *lc_calloc(size_t count, size_t size);
void *lc_realloc(void *p, size_t n);
void lc_free(void *p);
char *lc_strdup(const char *s);
/* Make room in a growable array: if *n == *cap, double *cap (at least
 * first_cap) and realloc *(void **)array to *cap elements of elem bytes.
 * On failure the array is untouched and LC_ENOMEM is returned. */
int lc_grow(void *array, uint32_t *cap, uint32_t n, size_t elem, uint32_t first_cap);
/* Make allocation number n (counting from now, 1-based) and all after it fail;
 * n == 0 turns fault injection off. */
void lc_fault_alloc_after(long n);
/* Number of lc_malloc'd blocks not yet freed (tests check it for leaks). */
long lc_alloc_live(void);
/* Count live blocks from now on (off by default: the count is a shared
 * atomic every allocation would write; the test runner turns it on). */
void lc_alloc_track(bool on);

/* ---------------------------------------------------------------- buffers */

/* A growable byte buffer.  Owns data; free with lc_buf_free().  A zeroed
 * struct is a valid empty buffer. */
typedef struct lc_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    /* Set when a growth failed; cleared by reset.  Lets a caller make many
     * appends and check once (as SQLite's StrAccum does). */
    bool oom;
    /* data is the caller's memory (lc_buf_init_with), never freed here;
     * growing past it moves the contents to the heap. */
    bool borrowed;
} lc_buf_t;

void lc_buf_init(lc_buf_t *b);
/* Start with the caller's memory (e.g. a stack array) as the first cap
 * bytes, so short contents need no allocation. */
void lc_buf_init_with(lc_buf_t *b, void *mem, size_t cap);
void lc_buf_free(lc_buf_t *b);
/* Forget the contents, keep the memory. */
void lc_buf_reset(lc_buf_t *b);
/* Make room for at least n more bytes. */
int lc_buf_reserve(lc_buf_t *b, size_t n);
/* Grow len by n and return a pointer to the n new (uninitialised) bytes, or
 * NULL on allocation failure. */
uint8_t *lc_buf_extend(lc_buf_t *b, size_t n);
int lc_buf_append(lc_buf_t *b, const void *p, size_t n);
int lc_buf_putc(lc_buf_t *b, uint8_t c);
int lc_buf_puts(lc_buf_t *b, const char *s);
int lc_buf_printf(lc_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lc_buf_vprintf(lc_buf_t *b, const char *fmt, va_list ap);
int lc_buf_put_u16le(lc_buf_t *b, uint16_t v);
int lc_buf_put_u32le(lc_buf_t *b, uint32_t v);
int lc_buf_put_u64le(lc_buf_t *b, uint64_t v);
/* Append a NUL without counting it in len, so data can be used as a C string. */
int lc_buf_terminate(lc_buf_t *b);
/* Hand the bytes to the caller (who frees them with lc_free); b becomes empty. */
uint8_t *lc_buf_take(lc_buf_t *b, size_t *len);

/* Little-endian loads and stores on raw memory (no alignment needed). */
static inline uint16_t lc_load_u16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t lc_load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t lc_load_u64le(const uint8_t *p)
{
    return (uint64_t)lc_load_u32le(p) | (uint64_t)lc_load_u32le(p + 4) << 32;
}
static inline void lc_store_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void lc_store_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void lc_store_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ---------------------------------------------------------------- reader */

/* A cursor over borrowed bytes.  Every read checks the remaining length
 * first; reading past the end is an LC_ECORRUPT error, never an
 * out-of-bounds access. */
typedef struct lc_rd {
    const uint8_t *p;
    size_t len; /* bytes remaining from p */
} lc_rd_t;

static inline lc_rd_t lc_rd_make(const void *p, size_t len)
{
    lc_rd_t r = {(const uint8_t *)p, len};
    return r;
}
/* Point *out at the next n bytes and skip them. */
int lc_rd_bytes(lc_rd_t *r, size_t n, const uint8_t **out);
int lc_rd_u8(lc_rd_t *r, uint8_t *v);
int lc_rd_u16le(lc_rd_t *r, uint16_t *v);
int lc_rd_u32le(lc_rd_t *r, uint32_t *v);
int lc_rd_u64le(lc_rd_t *r, uint64_t *v);

/* ---------------------------------------------------------------- arenas */

/* An arena hands out memory that lives until lc_arena_reset() or
 * lc_arena_free(), which release it all at once and run the registered
 * cleanups in reverse order.  Arenas are named by lifetime: a request, a
 * message, a transaction.  Not thread-safe. */
typedef struct lc_arena_chunk lc_arena_chunk_t;
typedef struct lc_arena_cleanup lc_arena_cleanup_t;
typedef struct lc_arena {
    lc_arena_chunk_t *chunk; /* current chunk; older ones chained behind it */
    lc_arena_cleanup_t *cleanups;
    size_t chunk_size; /* default size of new chunks */
    size_t total;      /* bytes handed out since the last reset */
} lc_arena_t;

void lc_arena_init(lc_arena_t *a, size_t chunk_size);
/* Release everything and run cleanups; the arena stays usable. */
void lc_arena_reset(lc_arena_t *a);
/* Release everything; the arena must be re-initialised before reuse. */
void lc_arena_free(lc_arena_t *a);
/* n bytes aligned to 16, or NULL on allocation failure. */
void *lc_arena_alloc(lc_arena_t *a, size_t n);
void *lc_arena_zalloc(lc_arena_t *a, size_t n);
void *lc_arena_memdup(lc_arena_t *a, const void *p, size_t n);
/* A NUL-terminated copy of n bytes of s. */
char *lc_arena_strndup(lc_arena_t *a, const char *s, size_t n);
char *lc_arena_strdup(lc_arena_t *a, const char *s);
char *lc_arena_printf(lc_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run fn(arg) when the arena is reset or freed (close an fd, drop an
 * instance).  Returns LC_ENOMEM if it could not be registered. */
int lc_arena_on_reset(lc_arena_t *a, void (*fn)(void *arg), void *arg);

/* ---------------------------------------------------------------- hashing */

/* A random seed drawn once per process from the CSPRNG (never 0), for
 * hash tables whose keys a client may choose. */
uint64_t lc_hash_seed(void);
/* A fast non-cryptographic 64-bit hash of bytes, seeded.  Used by hash maps
 * and hash indexes; not stable across versions, never written to disk. */
uint64_t lc_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t lc_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---------------------------------------------------------------- hash map */

/* An open-addressing hash map (linear probing, backward-shift deletion, no
 * tombstones) from byte-string keys to void * values.  The map copies keys;
 * values are borrowed.  Iteration order is unspecified.  Not thread-safe. */
typedef struct lc_map_slot lc_map_slot_t;
typedef struct lc_map {
    lc_map_slot_t *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count; /* live entries */
    uint64_t seed;
} lc_map_t;

void lc_map_init(lc_map_t *m);
/* Free the map's memory (keys included); values are the caller's. */
void lc_map_free(lc_map_t *m);
/* The value stored for key, or NULL if absent (store non-NULL values). */
void *lc_map_get(const lc_map_t *m, const void *key, size_t klen);
/* Insert or replace.  If old is not NULL it receives the replaced value (or
 * NULL). */
int lc_map_put(lc_map_t *m, const void *key, size_t klen, void *val, void **old);
/* Remove key; returns its value or NULL if absent. */
void *lc_map_del(lc_map_t *m, const void *key, size_t klen);
static inline size_t lc_map_count(const lc_map_t *m)
{
    return m->count;
}
/* Iterate: start with *pos = 0; returns false at the end.  Must not be
 * mixed with puts or dels. */
bool lc_map_next(const lc_map_t *m, size_t *pos, const void **key, size_t *klen, void **val);

/* Convenience wrappers for C-string and u64 keys. */
static inline void *lc_map_gets(const lc_map_t *m, const char *s);
static inline int lc_map_puts(lc_map_t *m, const char *s, void *val);
void *lc_map_get_u64(const lc_map_t *m, uint64_t key);
int lc_map_put_u64(lc_map_t *m, uint64_t key, void *val);
void *lc_map_del_u64(lc_map_t *m, uint64_t key);

/* ---------------------------------------------------------------- logging */

typedef enum lc_log_level {
    LC_LOG_ERROR = 0,
    LC_LOG_WARN = 1,
    LC_LOG_INFO = 2,
    LC_LOG_DEBUG = 3,
    LC_LOG_TRACE = 4,
} lc_log_level_t;

typedef enum lc_log_format {
    LC_LOG_TEXT = 0, /* 2026-11-24T09:44:26.123456Z INFO  message */
    LC_LOG_JSON = 1, /* {"ts":"…","level":"info","msg":"…"} */
} lc_log_format_t;

/* Configure the process-wide logger.  Defaults: INFO, TEXT, stderr. */
void lc_log_set_level(lc_log_level_t level);
void lc_log_set_format(lc_log_format_t format);
void lc_log_set_fd(int fd);
lc_log_level_t lc_log_get_level(void);
/* Parse "error", "warn", "info", "debug", "trace"; returns 0 or LC_EINVAL. */
int lc_log_level_parse(const char *s, lc_log_level_t *level);
const char *lc_log_level_name(lc_log_level_t level);
/* Write one line (one write(2) call, so lines from threads do not mix). */
void lc_log(lc_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lc_vlog(lc_log_level_t level, const char *fmt, va_list ap);
#define lc_log_error(...) lc_log(LC_LOG_ERROR, __VA_ARGS__)
#define lc_log_warn(...)  lc_log(LC_LOG_WARN, __VA_ARGS__)
#define lc_log_info(...)  lc_log(LC_LOG_INFO, __VA_ARGS__)
#define lc_log_debug(...) lc_log(LC_LOG_DEBUG, __VA_ARGS__)
/* Format one log line into out (used by lc_log and by tests). */
int lc_log_format_line(lc_buf_t *out, lc_log_format_t format, int64_t wall_us, lc_log_level_t level,
                       const char *msg);

/* ---------------------------------------------------------------- time */

/* Microseconds on a clock that never goes back (CLOCK_MONOTONIC). */
int64_t lc_now_mono_us(void);
/* Microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t lc_now_wall_us(void);
/* Format wall_us as RFC 3339 UTC with microseconds: 2026-11-24T09:44:26.123456Z
 * (out must hold 28 bytes). */
void lc_format_rfc3339(char out[28], int64_t wall_us);

/* ---------------------------------------------------------------- crc32c */

/* CRC-32C (Castagnoli).  Start with crc = 0; pass the previous result to
 * continue over more bytes.  Uses SSE4.2 when the CPU has it. */
uint32_t lc_crc32c(uint32_t crc, const void *p, size_t n);

/* ---------------------------------------------------------------- blake3 */

#define LC_BLAKE3_OUT_LEN   32
#define LC_BLAKE3_KEY_LEN   32
#define LC_BLAKE3_BLOCK_LEN 64
#define LC_BLAKE3_CHUNK_LEN 1024
#define LC_BLAKE3_MAX_DEPTH 54

/* Incremental BLAKE3 hasher (hash, keyed hash, key derivation, XOF). */
typedef struct lc_blake3 {
    uint32_t key[8];
    uint32_t cv_stack[LC_BLAKE3_MAX_DEPTH + 1][8];
    uint8_t cv_stack_len;
    /* the chunk being filled */
    uint32_t chunk_cv[8];
    uint64_t chunk_counter;
    uint8_t block[LC_BLAKE3_BLOCK_LEN];
    uint8_t block_len;
    uint8_t blocks_compressed;
    uint8_t flags;
} lc_blake3_t;

void lc_blake3_init(lc_blake3_t *h);
void lc_blake3_init_keyed(lc_blake3_t *h, const uint8_t key[LC_BLAKE3_KEY_LEN]);
void lc_blake3_init_derive_key(lc_blake3_t *h, const char *context);
void lc_blake3_update(lc_blake3_t *h, const void *p, size_t n);
/* Write out_len bytes of output (any length: BLAKE3 is an XOF).  Does not
 * change the hasher; more input may follow. */
void lc_blake3_final(const lc_blake3_t *h, uint8_t *out, size_t out_len);
/* One-shot 32-byte hash. */
void lc_blake3(uint8_t out[LC_BLAKE3_OUT_LEN], const void *p, size_t n);

/* ---------------------------------------------------------------- hex */

/* Lowercase hex of n bytes into out (2n chars plus a NUL). */
void lc_hex_encode(char *out, const void *p, size_t n);
/* Decode exactly 2*n hex digits (either case) from hex into n bytes.
 * LC_EINVAL on a wrong length or a non-hex character. */
int lc_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen);

/* ---------------------------------------------------------------- random */

/* Fill p with n bytes from the kernel's CSPRNG (getrandom). */
int lc_random_bytes(void *p, size_t n);

/* ---------------------------------------------------------------- inline */

static inline void *lc_map_gets(const lc_map_t *m, const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return lc_map_get(m, s, n);
}
static inline int lc_map_puts(lc_map_t *m, const char *s, void *val)
{
    size_t n = 0;
    while (s[n]) n++;
    return lc_map_put(m, s, n, val, NULL);
}

#endif /* LC_BASE_H */
