/*
 * modlog.c — the module log of one database (mod_log.h; module-abi.md §9).
 *
 * What a module prints with console_log, and what the host says about it,
 * must survive restarts and days, stay bounded, and reach `lightcone logs
 * -f` as it happens.  The reference keeps one file per UTC day and reads
 * only the newest; here the files are a bounded, ordered set read as one.
 *
 * Line format: the reference's serde_json output of its LogEvent, fields in
 * this order, absent ones left out:
 *
 *   field        JSON          source
 *   level        string        "Error" "Warn" "Info" "Debug" "Trace" "Panic"
 *   ts           integer       µs since the Unix epoch
 *   target       string        console_log target
 *   filename     string        console_log filename
 *   line_number  integer       console_log line (absent for 0xFFFFFFFF)
 *   function     string        reducer/procedure/view running
 *   message      string        always present
 *   trace        array         Panic only: [{"module_name":..,"func_name":..}]
 *
 * Strings are decoded lossily from UTF-8 (each maximal invalid subpart
 * becomes U+FFFD, as Rust's from_utf8_lossy does) and escaped as serde_json
 * escapes: \" \\ \b \f \n \r \t, other controls as \u00xx, nothing else.
 *
 * Files, in the log directory:
 *
 *   YYYY-MM-DD.log     the first file of a UTC day
 *   YYYY-MM-DD.N.log   part N >= 1 of the same day, after the day's
 *                      previous part reached a quarter of the size bound
 *
 * Invariants:
 *   1. Files are ordered by (day, part); that is the order records were
 *      appended in.  Only the newest ("current") file is written, and a
 *      record never goes to an older day than the current one (a record
 *      stamped earlier, such as a reducer error carrying the reducer's
 *      timestamp, joins the current file).
 *   2. A file holds whole lines, each ending in '\n'.  Bytes after a file's
 *      last newline are not a record: open cuts such a torn tail from the
 *      newest file, a failed write is truncated away (or, failing that, the
 *      file is abandoned for a new part), and readers ignore the rest.
 *   3. After each append the files total at most max_total_bytes: the
 *      oldest files are deleted whole, never the current one, and the
 *      current one never grows past part_max = max_total_bytes / 4 (a new
 *      part starts instead), which lines cannot exceed (max_record_bytes is
 *      clamped to it).  Files older than max_age_days, counted back from the
 *      current day, are deleted when a day starts and at open.
 *   4. The in-memory tail ("ring") holds the newest records, consecutive in
 *      sequence number, within mem_tail_bytes (max_total_bytes in memory
 *      logs) but never fewer than one.  Each entry records the position it
 *      was appended at (file id, offset): every record before it is in the
 *      files before that position, or was lost to a write error.  So a read
 *      is: file bytes before the oldest entry's position, then the ring —
 *      records whose write failed are still returned.
 *   5. Sequence numbers (cursors) count records appended since open; a
 *      cursor from one mod_log_t means nothing to another.
 *   6. Subscriber callbacks run with the lock held, so after unsubscribe
 *      returns a callback is neither running nor will run.
 *
 * Durability: lines are written with one write(2) each and never fsynced.
 * The module log is diagnostics, not data: a crash may lose its last lines,
 * which costs nothing a transaction depends on, while an fsync per
 * console_log would put a disk flush inside every logging reducer.
 * Likewise a disk error never fails a reducer: it is counted and the
 * record stays in memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "module/mod_log.h"

#define MIB                  (1024u * 1024u)
#define DEFAULT_DISK_BYTES   (64ull * MIB)
#define DEFAULT_MEMORY_BYTES (4ull * MIB)
#define DEFAULT_TAIL_BYTES   (1ull * MIB)
#define DEFAULT_RECORD_BYTES (256u * 1024u)
#define DEFAULT_AGE_DAYS     30u
#define MIN_TOTAL_BYTES      (16u * 1024u)
#define MIN_RECORD_BYTES     1024u
#define US_PER_DAY           86400000000ll
#define LAST_FILE_DAY        2932896 /* 9999-12-31 */
#define READ_CHUNK           65536
#define TRUNC_MARK           " [truncated]"

typedef struct lfile {
    int64_t day;   /* days since 1970-01-01 */
    uint32_t part; /* 0: YYYY-MM-DD.log; n: YYYY-MM-DD.n.log */
    uint64_t id;   /* grows with (day, part); never reused */
    uint64_t size; /* bytes written (whole lines, invariant 2) */
} lfile_t;

typedef struct entry {
    uint64_t seq;
    uint64_t file_id; /* invariant 4: the record follows [0, file_off) of file_id */
    uint64_t file_off;
    char *line; /* lc_malloc'd JSON line with its '\n' */
    size_t len;
} entry_t;

typedef struct sub {
    void (*cb)(void *arg);
    void *arg;
} sub_t;

struct mod_log {
    pthread_mutex_t mu;
    pthread_cond_t news; /* a record arrived, or the log is closing */
    pthread_cond_t idle; /* the last waiter left a closing log */

    /* Files; dirfd < 0 for a memory-only log. */
    int dirfd;
    char *dir;
    int fd; /* the current file, open for appending, or -1 */
    bool need_new_part;
    lfile_t *files;
    uint32_t nfiles, files_cap;
    uint64_t next_file_id;
    uint64_t disk_bytes;

    /* Bounds (resolved from the config). */
    uint64_t cap, part_max, mem_bound;
    uint32_t max_age_days;
    size_t max_record;

    /* The in-memory tail: a circular array, capacity a power of two. */
    entry_t *ring;
    size_t ring_cap, ring_head, ring_count;
    uint64_t mem_bytes;
    uint64_t next_seq;

    sub_t *subs;
    uint32_t nsubs, subs_cap;
    uint32_t waiters;
    bool closing;

    uint64_t records, write_errors, dropped, truncated, files_removed;
    bool write_failing; /* the last write failed (warn once per episode) */
    long fail_after;    /* tests: mod_log__fail_writes_after */
    bool fail_writes;
};

/* ---------------------------------------------------------------- levels */

mod_log_level_t mod_log_level_from_abi(uint32_t v)
{
    switch ((uint8_t)v) { /* the reference takes the argument as a u8 */
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 101:
        return (mod_log_level_t)(uint8_t)v;
    default:
        return MOD_LOG_DEBUG;
    }
}

const char *mod_log_level_name(mod_log_level_t level)
{
    switch (level) {
    case MOD_LOG_ERROR:
        return "Error";
    case MOD_LOG_WARN:
        return "Warn";
    case MOD_LOG_INFO:
        return "Info";
    case MOD_LOG_TRACE:
        return "Trace";
    case MOD_LOG_PANIC:
        return "Panic";
    default:
        return "Debug";
    }
}

int mod_log_level_severity(mod_log_level_t level)
{
    switch (level) {
    case MOD_LOG_TRACE:
        return 0;
    case MOD_LOG_INFO:
        return 2;
    case MOD_LOG_WARN:
        return 3;
    case MOD_LOG_ERROR:
        return 4;
    case MOD_LOG_PANIC:
        return 5;
    default:
        return 1;
    }
}

static const mod_log_level_t all_levels[] = {MOD_LOG_ERROR, MOD_LOG_WARN,  MOD_LOG_INFO,
                                             MOD_LOG_DEBUG, MOD_LOG_TRACE, MOD_LOG_PANIC};

int mod_log_level_parse(const char *s, mod_log_level_t *out)
{
    for (size_t i = 0; s != NULL && i < LC_ARRAY_LEN(all_levels); i++) {
        if (strcasecmp(s, mod_log_level_name(all_levels[i])) == 0) {
            *out = all_levels[i];
            return LC_OK;
        }
    }
    return LC_EINVAL;
}

bool mod_log_level_passes(mod_log_level_t level, mod_log_level_t min)
{
    return mod_log_level_severity(level) >= mod_log_level_severity(min);
}

/* The level named by the JSON string s (n bytes, exact case). */
static int level_by_name(const char *s, size_t n, mod_log_level_t *out)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(all_levels); i++) {
        const char *name = mod_log_level_name(all_levels[i]);
        if (strlen(name) == n && memcmp(name, s, n) == 0) {
            *out = all_levels[i];
            return LC_OK;
        }
    }
    return LC_ECORRUPT;
}

int mod_log_line_level(const char *json_line, size_t len, mod_log_level_t *out)
{
    /* Our own lines start with the level: skip the parser for them. */
    static const char prefix[] = "{\"level\":\"";
    size_t plen = sizeof prefix - 1;
    if (len > plen && memcmp(json_line, prefix, plen) == 0) {
        const char *end = memchr(json_line + plen, '"', len - plen);
        if (end != NULL &&
            level_by_name(json_line + plen, (size_t)(end - json_line) - plen, out) == 0)
            return LC_OK;
    }
    json_t *j = json_loadb(json_line, len, JSON_ALLOW_NUL, NULL);
    json_t *lv = json_object_get(j, "level");
    int rc = json_is_string(lv) ? level_by_name(json_string_value(lv), json_string_length(lv), out)
                                : LC_ECORRUPT;
    json_decref(j);
    return rc;
}

/* ---------------------------------------------------------------- encoding */

mod_log_bytes_t mod_log_cstr(const char *s)
{
    mod_log_bytes_t b = {s, s ? strlen(s) : 0};
    return b;
}

/* Length of the valid UTF-8 character at p (n > 0 bytes available), or 0
 * when it is invalid; *skip is how many bytes to consume either way: the
 * character, or the maximal invalid subpart (Unicode's "substitution of
 * maximal subparts", which is what Rust's from_utf8_lossy does). */
static size_t utf8_char(const uint8_t *p, size_t n, size_t *skip)
{
    uint8_t b = p[0], lo = 0x80, hi = 0xBF;
    size_t w;
    *skip = 1;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        w = 2;
    else if (b >= 0xE0 && b <= 0xEF)
        w = 3, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    else if (b >= 0xF0 && b <= 0xF4)
        w = 4, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < 2 || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < w; i++) {
        if (i >= n || (p[i] & 0xC0) != 0x80) {
            *skip = i;
            return 0;
        }
    }
    *skip = w;
    return w;
}

/* The escape of ASCII byte c into esc (returns its length; 1 = as is). */
static size_t escape_ascii(uint8_t c, char esc[7])
{
    static const char hex[] = "0123456789abcdef";
    const char *s = NULL;
    switch (c) {
    case '"':
        s = "\\\"";
        break;
    case '\\':
        s = "\\\\";
        break;
    case '\b':
        s = "\\b";
        break;
    case '\f':
        s = "\\f";
        break;
    case '\n':
        s = "\\n";
        break;
    case '\r':
        s = "\\r";
        break;
    case '\t':
        s = "\\t";
        break;
    default:
        if (c >= 0x20) {
            esc[0] = (char)c;
            return 1;
        }
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
    memcpy(esc, s, 2);
    return 2;
}

/* Append bytes [p, p+n) as the body of a JSON string, decoded lossily, in
 * at most budget bytes; stops at a character boundary and sets *cut when
 * the budget runs out.  Memory errors show in out->oom. */
static void put_escaped(lc_buf_t *out, const uint8_t *p, size_t n, size_t budget, bool *cut)
{
    if (lc_buf_reserve(out, n <= budget / 6 ? n * 6 : budget) != LC_OK)
        return;
    size_t used = 0;
    for (size_t i = 0; i < n;) {
        size_t run = 0;
        while (i + run < n && p[i + run] >= 0x20 && p[i + run] < 0x80 && p[i + run] != '"' &&
               p[i + run] != '\\')
            run++;
        if (run > 0) { /* plain ASCII goes in one copy */
            size_t k = LC_MIN(run, budget - used);
            lc_buf_append(out, p + i, k);
            used += k;
            i += k;
            if (k < run) {
                *cut = true;
                return;
            }
            continue;
        }
        char esc[7];
        size_t skip, clen = utf8_char(p + i, n - i, &skip);
        const char *src = esc;
        if (clen == 1)
            clen = escape_ascii(p[i], esc);
        else if (clen == 0)
            src = "\xEF\xBF\xBD", clen = 3; /* U+FFFD */
        else
            src = (const char *)p + i;
        if (clen > budget - used) {
            *cut = true;
            return;
        }
        if (lc_buf_append(out, src, clen) != LC_OK)
            return;
        used += clen;
        i += skip;
    }
}

static void put_field(lc_buf_t *out, const char *key, mod_log_bytes_t v, size_t budget, bool *cut)
{
    if (v.p == NULL)
        return;
    lc_buf_printf(out, ",\"%s\":\"", key);
    put_escaped(out, v.p, v.len, budget, cut);
    lc_buf_putc(out, '"');
}

/* ,"trace":[{"module_name":..,"func_name":..},...] within budget bytes:
 * frames that do not fit are left out. */
static void put_trace(lc_buf_t *out, const mod_log_record_t *rec, size_t budget, bool *cut)
{
    lc_buf_puts(out, ",\"trace\":[");
    size_t start = out->len;
    for (size_t i = 0; i < rec->trace_len && !out->oom; i++) {
        size_t before = out->len;
        const mod_log_frame_t *f = &rec->trace[i];
        lc_buf_puts(out, i ? ",{" : "{");
        if (f->module_name.p != NULL) {
            lc_buf_puts(out, "\"module_name\":\"");
            put_escaped(out, f->module_name.p, f->module_name.len, budget / 4, cut);
            lc_buf_putc(out, '"');
        }
        if (f->func_name.p != NULL) {
            lc_buf_puts(out, f->module_name.p != NULL ? ",\"func_name\":\"" : "\"func_name\":\"");
            put_escaped(out, f->func_name.p, f->func_name.len, budget / 4, cut);
            lc_buf_putc(out, '"');
        }
        lc_buf_putc(out, '}');
        if (out->len - start > budget) {
            out->len = before;
            *cut = true;
            break;
        }
    }
    lc_buf_putc(out, ']');
}

int mod_log_encode(const mod_log_record_t *rec, size_t max_bytes, lc_buf_t *out, bool *truncated)
{
    size_t limit = max_bytes == 0 ? SIZE_MAX : LC_MAX(max_bytes, MIN_RECORD_BYTES);
    size_t field = limit == SIZE_MAX ? SIZE_MAX : limit / 8;
    size_t base = out->len;
    bool cut = false, was_oom = out->oom;
    out->oom = false;
    lc_buf_printf(out, "{\"level\":\"%s\",\"ts\":%lld", mod_log_level_name(rec->level),
                  (long long)rec->ts_us);
    put_field(out, "target", rec->target, field, &cut);
    put_field(out, "filename", rec->filename, field, &cut);
    if (rec->line != MOD_LOG_LINE_NONE)
        lc_buf_printf(out, ",\"line_number\":%u", (unsigned)rec->line);
    put_field(out, "function", rec->function, field, &cut);
    /* The trace follows the message but is built first, so that the message
     * gets whatever room the line has left. */
    lc_buf_t trace = {0};
    if (rec->level == MOD_LOG_PANIC) {
        put_trace(&trace, rec, field == SIZE_MAX ? SIZE_MAX : field * 2, &cut);
        out->oom |= trace.oom;
    }
    static const char mkey[] = ",\"message\":\"";
    size_t fixed = out->len - base + trace.len + sizeof mkey - 1 + 3 + sizeof TRUNC_MARK - 1;
    size_t room = limit == SIZE_MAX ? SIZE_MAX : (limit > fixed ? limit - fixed : 0);
    bool mcut = false;
    lc_buf_puts(out, mkey);
    const uint8_t *msg = rec->message.p ? rec->message.p : (const uint8_t *)"";
    put_escaped(out, msg, rec->message.p ? rec->message.len : 0, room, &mcut);
    if (mcut)
        lc_buf_puts(out, TRUNC_MARK);
    lc_buf_putc(out, '"');
    lc_buf_append(out, trace.data, trace.len);
    lc_buf_puts(out, "}\n");
    lc_buf_free(&trace);
    bool oom = out->oom;
    out->oom |= was_oom;
    if (truncated != NULL)
        *truncated = cut || mcut;
    if (oom) {
        out->len = base;
        return LC_ENOMEM;
    }
    return LC_OK;
}

/* ---------------------------------------------------------------- dates */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The UTC day of ts_us, or -1 when it has no file name (before 1970 or
 * after 9999). */
static int64_t day_of(int64_t ts_us)
{
    int64_t day = floor_div(ts_us, US_PER_DAY);
    return day >= 0 && day <= LAST_FILE_DAY ? day : -1;
}

static void file_name(char out[40], int64_t day, uint32_t part)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    if (part == 0)
        snprintf(out, 40, "%04lld-%02u-%02u.log", (long long)y, m, d);
    else
        snprintf(out, 40, "%04lld-%02u-%02u.%u.log", (long long)y, m, d, (unsigned)part);
}

static bool parse_digits(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* Parse a file name of ours; false for anything else in the directory. */
static bool parse_file_name(const char *name, int64_t *day, uint32_t *part)
{
    size_t n = strlen(name);
    uint32_t y, m, d;
    if (n < 14 || name[4] != '-' || name[7] != '-' || name[10] != '.' ||
        strcmp(name + n - 4, ".log") != 0 || !parse_digits(name, 4, &y) ||
        !parse_digits(name + 5, 2, &m) || !parse_digits(name + 8, 2, &d) || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return false;
    *part = 0;
    if (n > 14) {
        size_t plen = n - 15; /* "YYYY-MM-DD." + digits + ".log" */
        if (n < 16 || plen > 9 || name[11] == '0' || !parse_digits(name + 11, plen, part) ||
            name[11 + plen] != '.')
            return false;
    }
    *day = days_from_civil(y, m, d);
    char check[40];
    file_name(check, *day, *part);
    return *day >= 0 && strcmp(check, name) == 0; /* rejects 2024-02-30 */
}

/* ---------------------------------------------------------------- files */

static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return LC_EIO;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return LC_OK;
}

/* Scan bytes [0, end) of fd backwards.  *line_end: just past the last
 * newline (0: no whole line).  With want > 0, *start is where the last
 * `want` whole lines begin (0 if there are fewer) and *got their number. */
static int scan_tail(int fd, uint64_t end, size_t want, uint64_t *line_end, uint64_t *start,
                     size_t *got)
{
    *line_end = *start = 0;
    *got = 0;
    uint8_t *buf = lc_malloc(READ_CHUNK);
    if (buf == NULL)
        return LC_ENOMEM;
    bool have_end = false;
    size_t count = 0;
    uint64_t pos = end;
    int rc = LC_OK;
    while (pos > 0 && rc == LC_OK) {
        size_t n = (size_t)LC_MIN(pos, (uint64_t)READ_CHUNK);
        pos -= n;
        if ((rc = pread_full(fd, buf, n, pos)) != LC_OK)
            break;
        for (size_t i = n; i-- > 0;) {
            if (buf[i] != '\n')
                continue;
            if (!have_end) {
                have_end = true;
                *line_end = pos + i + 1;
                if (want == 0)
                    goto done;
            } else if (++count == want) {
                *start = pos + i + 1;
                *got = want;
                goto done;
            }
        }
    }
    if (have_end)
        *got = count + 1;
done:
    lc_free(buf);
    return rc;
}

static lfile_t *current(mod_log_t *log)
{
    return log->nfiles ? &log->files[log->nfiles - 1] : NULL;
}

static void close_current(mod_log_t *log)
{
    if (log->fd >= 0)
        close(log->fd);
    log->fd = -1;
}

/* Delete the oldest file (never the current one: callers check nfiles). */
static void remove_oldest(mod_log_t *log)
{
    char name[40];
    file_name(name, log->files[0].day, log->files[0].part);
    if (unlinkat(log->dirfd, name, 0) != 0 && errno != ENOENT)
        lc_log_warn("module log %s: cannot remove %s: %s", log->dir, name, strerror(errno));
    log->disk_bytes -= log->files[0].size;
    memmove(log->files, log->files + 1, (log->nfiles - 1) * sizeof *log->files);
    log->nfiles--;
    log->files_removed++;
}

/* Invariant 3. */
static void enforce_bounds(mod_log_t *log)
{
    int64_t newest = log->nfiles ? current(log)->day : 0;
    while (log->nfiles > 1 && log->files[0].day <= newest - (int64_t)log->max_age_days)
        remove_oldest(log);
    while (log->nfiles > 1 && log->disk_bytes > log->cap) remove_oldest(log);
}

/* Open the current file for appending (creating it; read-write so that
 * open can cut a torn tail).  A file that turns out to exist already is
 * taken at its real size. */
static void open_current(mod_log_t *log)
{
    lfile_t *cur = current(log);
    char name[40];
    file_name(name, cur->day, cur->part);
    log->fd = openat(log->dirfd, name, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    if (log->fd >= 0 && fstat(log->fd, &st) == 0 && (uint64_t)st.st_size != cur->size) {
        log->disk_bytes += (uint64_t)st.st_size - cur->size;
        cur->size = (uint64_t)st.st_size;
    }
}

static int add_file(mod_log_t *log, int64_t day, uint32_t part)
{
    if (lc_grow(&log->files, &log->files_cap, log->nfiles, sizeof *log->files, 8) != LC_OK)
        return LC_ENOMEM;
    lfile_t f = {day, part, log->next_file_id++, 0};
    log->files[log->nfiles++] = f;
    return LC_OK;
}

/* Make the file where a record of `day` and len bytes belongs the current
 * one, and open it (invariants 1 and 3); on failure log->fd stays -1. */
static void choose_file(mod_log_t *log, int64_t day, size_t len)
{
    lfile_t *cur = current(log);
    if (cur != NULL && day < cur->day)
        day = cur->day;
    bool new_day = cur == NULL || day > cur->day;
    bool new_part =
        !new_day && (log->need_new_part || (cur->size > 0 && cur->size + len > log->part_max));
    if (new_day || new_part) {
        close_current(log);
        if (add_file(log, day, new_day ? 0 : cur->part + 1) != LC_OK)
            return;
        log->need_new_part = false;
        enforce_bounds(log);
    }
    if (log->fd < 0)
        open_current(log);
}

/* Write the whole line: one write(2), more only if it was interrupted or
 * short (then the disk is full and the next one fails). */
static bool write_line(mod_log_t *log, const char *p, size_t n, size_t *written)
{
    *written = 0;
    if (log->fail_after > 0 && --log->fail_after == 0)
        log->fail_writes = true;
    if (log->fail_writes) {
        errno = ENOSPC;
        return false;
    }
    while (*written < n) {
        ssize_t w = write(log->fd, p + *written, n - *written);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return false;
        }
        *written += (size_t)w;
    }
    return true;
}

/* A failed write: cut what part of the line got in (invariant 2), or
 * abandon the file for a new part if even that fails. */
static void write_failed(mod_log_t *log, size_t written, int e)
{
    log->write_errors++;
    if (!log->write_failing)
        lc_log_warn("module log %s: cannot write: %s; keeping records in memory", log->dir,
                    strerror(e));
    log->write_failing = true;
    lfile_t *cur = current(log);
    if (written > 0 && (log->fd < 0 || ftruncate(log->fd, (off_t)cur->size) != 0)) {
        cur->size += written;
        log->disk_bytes += written;
        close_current(log);
        log->need_new_part = true;
    }
}

/* Write line to the files; *file_id and *file_off receive the position it
 * was appended at (invariant 4), whether or not the write succeeded. */
static void write_to_files(mod_log_t *log, int64_t day, const char *line, size_t len,
                           uint64_t *file_id, uint64_t *file_off)
{
    errno = 0;
    choose_file(log, day, len);
    lfile_t *cur = current(log);
    *file_id = cur ? cur->id : 0;
    *file_off = cur ? cur->size : 0;
    size_t written = 0;
    if (log->fd < 0) {
        write_failed(log, 0, errno ? errno : EIO);
        return;
    }
    if (!write_line(log, line, len, &written)) {
        write_failed(log, written, errno);
        return;
    }
    log->write_failing = false;
    cur->size += len;
    log->disk_bytes += len;
    enforce_bounds(log);
}

/* ---------------------------------------------------------------- ring */

static entry_t *ring_at(mod_log_t *log, size_t i)
{
    return &log->ring[(log->ring_head + i) & (log->ring_cap - 1)];
}

static void ring_pop(mod_log_t *log)
{
    entry_t *e = ring_at(log, 0);
    log->mem_bytes -= e->len;
    lc_free(e->line);
    log->ring_head = (log->ring_head + 1) & (log->ring_cap - 1);
    log->ring_count--;
}

static int ring_push(mod_log_t *log, const entry_t *e)
{
    if (log->ring_count == log->ring_cap) {
        size_t cap = log->ring_cap ? log->ring_cap * 2 : 64;
        entry_t *ring = lc_malloc(cap * sizeof *ring);
        if (ring == NULL)
            return LC_ENOMEM;
        for (size_t i = 0; i < log->ring_count; i++) ring[i] = *ring_at(log, i);
        lc_free(log->ring);
        log->ring = ring;
        log->ring_cap = cap;
        log->ring_head = 0;
    }
    *ring_at(log, log->ring_count++) = *e;
    log->mem_bytes += e->len;
    while (log->ring_count > 1 && log->mem_bytes > log->mem_bound) ring_pop(log);
    return LC_OK;
}

/* Append the lines of ring entries [from, ring_count) to out. */
static int copy_ring(mod_log_t *log, size_t from, lc_buf_t *out)
{
    for (size_t i = from; i < log->ring_count; i++) {
        entry_t *e = ring_at(log, i);
        if (lc_buf_append(out, e->line, e->len) != LC_OK)
            return LC_ENOMEM;
    }
    return LC_OK;
}

/* ---------------------------------------------------------------- open */

static int resolve_config(mod_log_t *log, const mod_log_config_t *cfg, bool in_memory)
{
    mod_log_config_t c = cfg ? *cfg : (mod_log_config_t){0};
    log->cap = c.max_total_bytes ? c.max_total_bytes
                                 : (in_memory ? DEFAULT_MEMORY_BYTES : DEFAULT_DISK_BYTES);
    log->cap = LC_MAX(log->cap, MIN_TOTAL_BYTES);
    log->part_max = log->cap / 4;
    log->mem_bound =
        in_memory ? log->cap : (c.mem_tail_bytes ? c.mem_tail_bytes : DEFAULT_TAIL_BYTES);
    log->max_age_days = c.max_age_days ? c.max_age_days : DEFAULT_AGE_DAYS;
    uint64_t rec = c.max_record_bytes ? c.max_record_bytes : DEFAULT_RECORD_BYTES;
    log->max_record = (size_t)LC_MAX(LC_MIN(rec, log->part_max), (uint64_t)MIN_RECORD_BYTES);
    return LC_OK;
}

static int cmp_files(const void *a, const void *b)
{
    const lfile_t *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->part < y->part ? -1 : x->part > y->part;
}

/* Pick up the files already in the directory (invariant 1). */
static int scan_dir(mod_log_t *log, lc_err_t *err)
{
    int fd = dup(log->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return lc_err_set(err, LC_EIO, "cannot list %s: %s", log->dir, strerror(errno));
    }
    struct dirent *de;
    int rc = LC_OK;
    while (rc == LC_OK && (de = readdir(d)) != NULL) {
        int64_t day;
        uint32_t part;
        struct stat st;
        if (!parse_file_name(de->d_name, &day, &part) ||
            fstatat(log->dirfd, de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (lc_grow(&log->files, &log->files_cap, log->nfiles, sizeof *log->files, 8) != LC_OK)
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
        else
            log->files[log->nfiles++] = (lfile_t){day, part, 0, (uint64_t)st.st_size};
    }
    closedir(d);
    if (log->nfiles > 1)
        qsort(log->files, log->nfiles, sizeof *log->files, cmp_files);
    for (uint32_t i = 0; i < log->nfiles; i++) {
        log->files[i].id = log->next_file_id++;
        log->disk_bytes += log->files[i].size;
    }
    return rc;
}

/* Open the newest file and cut a torn last line off it (invariant 2). */
static void repair_newest(mod_log_t *log)
{
    lfile_t *cur = current(log);
    if (cur == NULL)
        return;
    open_current(log);
    uint64_t line_end, start;
    size_t got;
    if (log->fd < 0 || scan_tail(log->fd, cur->size, 0, &line_end, &start, &got) != LC_OK ||
        line_end == cur->size)
        return;
    lc_log_warn("module log %s: cutting a torn last line", log->dir);
    if (ftruncate(log->fd, (off_t)line_end) == 0) {
        log->disk_bytes -= cur->size - line_end;
        cur->size = line_end;
    } else {
        close_current(log);
        log->need_new_part = true;
    }
}

static int open_dir(mod_log_t *log, const char *dir, lc_err_t *err)
{
    if ((log->dir = lc_strdup(dir)) == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return lc_err_set(err, LC_EIO, "cannot create %s: %s", dir, strerror(errno));
    log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (log->dirfd < 0)
        return lc_err_set(err, LC_EIO, "cannot open %s: %s", dir, strerror(errno));
    int rc = scan_dir(log, err);
    if (rc != LC_OK)
        return rc;
    repair_newest(log);
    enforce_bounds(log);
    return LC_OK;
}

static int init_sync(mod_log_t *log)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return LC_ENOMEM;
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_mutex_init(&log->mu, NULL) || pthread_cond_init(&log->news, &a) ||
             pthread_cond_init(&log->idle, NULL);
    pthread_condattr_destroy(&a);
    return rc ? LC_ENOMEM : LC_OK;
}

int mod_log_open(const char *dir, const mod_log_config_t *cfg, mod_log_t **out, lc_err_t *err)
{
    *out = NULL;
    mod_log_t *log = lc_calloc(1, sizeof *log);
    if (log == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    log->dirfd = log->fd = -1;
    log->next_file_id = 1;
    resolve_config(log, cfg, dir == NULL);
    if (init_sync(log) != LC_OK) {
        lc_free(log);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    int rc = dir ? open_dir(log, dir, err) : LC_OK;
    if (rc != LC_OK) {
        mod_log_close(log);
        return rc;
    }
    *out = log;
    return LC_OK;
}

void mod_log_close(mod_log_t *log)
{
    if (log == NULL)
        return;
    pthread_mutex_lock(&log->mu);
    log->closing = true;
    pthread_cond_broadcast(&log->news);
    while (log->waiters > 0) pthread_cond_wait(&log->idle, &log->mu);
    pthread_mutex_unlock(&log->mu);
    close_current(log);
    if (log->dirfd >= 0)
        close(log->dirfd);
    while (log->ring_count) ring_pop(log);
    lc_free(log->ring);
    lc_free(log->files);
    lc_free(log->subs);
    lc_free(log->dir);
    pthread_mutex_destroy(&log->mu);
    pthread_cond_destroy(&log->news);
    pthread_cond_destroy(&log->idle);
    lc_free(log);
}

/* ---------------------------------------------------------------- append */

int mod_log_append(mod_log_t *log, const mod_log_record_t *rec)
{
    if (log == NULL)
        return LC_OK;
    lc_buf_t b = {0};
    bool cut = false;
    int rc = mod_log_encode(rec, log->max_record, &b, &cut);
    size_t len = 0;
    entry_t e = {0};
    e.line = rc == LC_OK ? (char *)lc_buf_take(&b, &len) : NULL;
    e.len = len;
    int64_t day = day_of(rec->ts_us);
    pthread_mutex_lock(&log->mu);
    if (e.line == NULL) {
        log->dropped++;
        pthread_mutex_unlock(&log->mu);
        lc_buf_free(&b);
        return LC_ENOMEM;
    }
    if (day < 0) /* no file name for it: the current day, or today */
        day = log->nfiles ? current(log)->day : day_of(lc_now_wall_us());
    if (log->dirfd >= 0)
        write_to_files(log, day, e.line, e.len, &e.file_id, &e.file_off);
    e.seq = log->next_seq;
    if (ring_push(log, &e) != LC_OK) {
        /* Keep the ring consecutive (invariant 4): start it afresh. */
        while (log->ring_count) ring_pop(log);
        lc_free(e.line);
        log->dropped++;
        rc = LC_ENOMEM;
    }
    log->next_seq++; /* written or not, a record was appended (invariant 5) */
    log->records++;
    log->truncated += cut;
    pthread_cond_broadcast(&log->news);
    for (uint32_t i = 0; i < log->nsubs; i++) log->subs[i].cb(log->subs[i].arg);
    pthread_mutex_unlock(&log->mu);
    return rc;
}

static void append_injected(mod_log_t *log, const char *function, int64_t ts_us,
                            mod_log_level_t level, const char *msg, size_t len)
{
    mod_log_record_t rec = {
        .level = level,
        .ts_us = ts_us,
        .target = mod_log_cstr(MOD_LOG_SENTINEL),
        .filename = mod_log_cstr(MOD_LOG_SENTINEL),
        .line = MOD_LOG_LINE_NONE,
        .function = mod_log_cstr(function ? function : MOD_LOG_SENTINEL),
        .message = {msg, len},
    };
    mod_log_append(log, &rec);
}

void mod_log_system(mod_log_t *log, const char *fmt, ...)
{
    if (log == NULL)
        return;
    lc_buf_t msg = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = lc_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (rc == LC_OK) {
        append_injected(log, NULL, lc_now_wall_us(), MOD_LOG_INFO, (const char *)msg.data, msg.len);
    } else {
        pthread_mutex_lock(&log->mu);
        log->dropped++;
        pthread_mutex_unlock(&log->mu);
    }
    lc_buf_free(&msg);
}

void mod_log_error_for(mod_log_t *log, const char *function, int64_t ts_us, const char *msg)
{
    if (log != NULL)
        append_injected(log, function, ts_us, MOD_LOG_ERROR, msg ? msg : "", msg ? strlen(msg) : 0);
}

/* ---------------------------------------------------------------- read */

typedef struct span {
    lfile_t f;    /* a copy, taken under the lock */
    uint64_t end; /* read no further than this */
} span_t;

typedef struct seg {
    int fd;
    uint64_t start, end;
} seg_t;

/* The last `want` lines (0: all) of the spans, oldest first, into out.
 * Runs without the lock: files removed meanwhile are skipped (they were the
 * oldest), and appends go past the spans' ends. */
static int read_spans(int dirfd, const span_t *spans, uint32_t n, size_t want, lc_buf_t *out)
{
    seg_t *segs = lc_calloc(n ? n : 1, sizeof *segs);
    if (segs == NULL)
        return LC_ENOMEM;
    uint32_t nseg = 0;
    int rc = LC_OK;
    size_t left = want;
    for (uint32_t i = n; i-- > 0 && rc == LC_OK && (want == 0 || left > 0);) {
        char name[40];
        file_name(name, spans[i].f.day, spans[i].f.part);
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        uint64_t line_end, start;
        size_t got;
        rc = scan_tail(fd, spans[i].end, left, &line_end, &start, &got);
        segs[nseg++] = (seg_t){fd, want ? start : 0, line_end};
        left -= LC_MIN(got, left);
    }
    for (uint32_t i = nseg; i-- > 0;) {
        size_t len = (size_t)(segs[i].end - segs[i].start);
        uint8_t *dst = rc == LC_OK && len ? lc_buf_extend(out, len) : NULL;
        if (rc == LC_OK && len && dst == NULL)
            rc = LC_ENOMEM;
        if (dst != NULL && (rc = pread_full(segs[i].fd, dst, len, segs[i].start)) != LC_OK)
            out->len -= len;
        close(segs[i].fd);
    }
    lc_free(segs);
    return rc;
}

/* Copy the files before the oldest ring entry's position (invariant 4). */
static int snapshot_spans(mod_log_t *log, span_t **out, uint32_t *n)
{
    uint64_t sid = UINT64_MAX, soff = 0;
    if (log->ring_count) {
        sid = ring_at(log, 0)->file_id;
        soff = ring_at(log, 0)->file_off;
    }
    *n = 0;
    *out = lc_calloc(log->nfiles ? log->nfiles : 1, sizeof **out);
    if (*out == NULL)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < log->nfiles && log->files[i].id <= sid; i++) {
        lfile_t *f = &log->files[i];
        (*out)[(*n)++] = (span_t){*f, f->id == sid ? LC_MIN(soff, f->size) : f->size};
    }
    return LC_OK;
}

int mod_log_read(mod_log_t *log, size_t num_lines, lc_buf_t *out, uint64_t *cursor_out)
{
    pthread_mutex_lock(&log->mu);
    if (cursor_out != NULL)
        *cursor_out = log->next_seq;
    size_t have = log->ring_count;
    if (out == NULL) {
        pthread_mutex_unlock(&log->mu);
        return LC_OK;
    }
    if (log->dirfd < 0 || (num_lines != 0 && num_lines <= have)) {
        size_t from = num_lines && num_lines < have ? have - num_lines : 0;
        int rc = copy_ring(log, from, out);
        pthread_mutex_unlock(&log->mu);
        return rc;
    }
    span_t *spans;
    uint32_t nspans;
    lc_buf_t tail = {0};
    int rc = snapshot_spans(log, &spans, &nspans);
    if (rc == LC_OK)
        rc = copy_ring(log, 0, &tail);
    int dirfd = log->dirfd;
    pthread_mutex_unlock(&log->mu);
    if (rc == LC_OK)
        rc = read_spans(dirfd, spans, nspans, num_lines ? num_lines - have : 0, out);
    if (rc == LC_OK)
        rc = lc_buf_append(out, tail.data, tail.len);
    lc_buf_free(&tail);
    lc_free(spans);
    return rc;
}

/* ---------------------------------------------------------------- follow */

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int mod_log_wait(mod_log_t *log, uint64_t cursor, int timeout_ms, lc_buf_t *out,
                 uint64_t *cursor_out)
{
    struct timespec deadline;
    if (timeout_ms > 0)
        deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&log->mu);
    if (cursor > log->next_seq)
        cursor = log->next_seq;
    while (!log->closing && log->next_seq == cursor && timeout_ms != 0) {
        log->waiters++;
        int w = timeout_ms < 0 ? pthread_cond_wait(&log->news, &log->mu)
                               : pthread_cond_timedwait(&log->news, &log->mu, &deadline);
        if (--log->waiters == 0 && log->closing)
            pthread_cond_signal(&log->idle);
        if (w == ETIMEDOUT)
            break;
    }
    int rc = LC_OK;
    if (log->closing) {
        rc = LC_EBUSY;
    } else if (log->next_seq > cursor) {
        uint64_t first = log->ring_count ? ring_at(log, 0)->seq : log->next_seq;
        rc = copy_ring(log, cursor > first ? (size_t)(cursor - first) : 0, out);
        cursor = log->next_seq;
    }
    if (cursor_out != NULL)
        *cursor_out = cursor;
    pthread_mutex_unlock(&log->mu);
    return rc;
}

int mod_log_subscribe(mod_log_t *log, void (*cb)(void *arg), void *arg)
{
    pthread_mutex_lock(&log->mu);
    int rc = lc_grow(&log->subs, &log->subs_cap, log->nsubs, sizeof *log->subs, 4);
    if (rc == LC_OK)
        log->subs[log->nsubs++] = (sub_t){cb, arg};
    pthread_mutex_unlock(&log->mu);
    return rc;
}

void mod_log_unsubscribe(mod_log_t *log, void (*cb)(void *arg), void *arg)
{
    pthread_mutex_lock(&log->mu);
    for (uint32_t i = 0; i < log->nsubs; i++) {
        if (log->subs[i].cb == cb && log->subs[i].arg == arg) {
            memmove(log->subs + i, log->subs + i + 1, (log->nsubs - i - 1) * sizeof *log->subs);
            log->nsubs--;
            break;
        }
    }
    pthread_mutex_unlock(&log->mu);
}

/* ---------------------------------------------------------------- text */

/* A timestamp as chrono's Debug prints a DateTime<Utc>, which is what
 * `spacetime logs` shows: 2024-08-12T10:39:49.012345Z, the fraction in
 * 3 digits when whole milliseconds, left out when zero. */
static void put_chrono_ts(lc_buf_t *out, int64_t ts_us)
{
    int64_t day = floor_div(ts_us, US_PER_DAY);
    int64_t us = ts_us - day * US_PER_DAY, y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    if (y >= 0 && y <= 9999)
        lc_buf_printf(out, "%04lld", (long long)y);
    else
        lc_buf_printf(out, "%+05lld", (long long)y);
    int64_t secs = us / 1000000, frac = us % 1000000;
    lc_buf_printf(out, "-%02u-%02uT%02d:%02d:%02d", m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
                  (int)(secs % 60));
    if (frac != 0 && frac % 1000 == 0)
        lc_buf_printf(out, ".%03d", (int)(frac / 1000));
    else if (frac != 0)
        lc_buf_printf(out, ".%06d", (int)frac);
    lc_buf_puts(out, "Z ");
}

static void put_json_str(lc_buf_t *out, const json_t *s)
{
    lc_buf_append(out, json_string_value(s), json_string_length(s));
}

/* A string member that may be absent or null; false when it is something else. */
static bool opt_string(const json_t *obj, const char *key, const json_t **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = json_is_string(v) ? v : NULL;
    return v == NULL || json_is_null(v) || json_is_string(v);
}

static bool opt_u32(const json_t *obj, const char *key, bool *present, uint32_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *present = json_is_integer(v);
    if (*present)
        *out = (uint32_t)json_integer_value(v);
    return v == NULL || json_is_null(v) ||
           (*present && json_integer_value(v) >= 0 && json_integer_value(v) <= UINT32_MAX);
}

static bool frame_symbol(lc_buf_t *out, const json_t *sym, size_t i, const json_t *func)
{
    const json_t *name, *file;
    bool has_line, has_col;
    uint32_t line = 0, col = 0;
    if (!json_is_object(sym) || !opt_string(sym, "name", &name) ||
        !opt_string(sym, "file", &file) || !opt_u32(sym, "line", &has_line, &line) ||
        !opt_u32(sym, "column", &has_col, &col))
        return false;
    if (i > 0)
        lc_buf_puts(out, "       ");
    if (name != NULL)
        put_json_str(out, name);
    else if (i == 0 && func != NULL)
        put_json_str(out, func);
    else
        lc_buf_puts(out, i == 0 ? "<unknown>" : "<inlined function>");
    if (file != NULL) {
        lc_buf_puts(out, "\n         at ");
        put_json_str(out, file);
        if (has_line)
            lc_buf_printf(out, ":%u", (unsigned)line);
        if (has_line && has_col)
            lc_buf_printf(out, ":%u", (unsigned)col);
    }
    lc_buf_putc(out, '\n');
    return true;
}

/* The reference CLI's fmt_backtrace, colours aside. */
static bool put_backtrace(lc_buf_t *out, const json_t *trace)
{
    lc_buf_puts(out, "backtrace:\n");
    for (size_t i = 0; i < json_array_size(trace); i++) {
        const json_t *f = json_array_get(trace, i), *module, *func;
        if (!json_is_object(f) || !opt_string(f, "module_name", &module) ||
            !opt_string(f, "func_name", &func))
            return false;
        const json_t *syms = json_object_get(f, "symbols");
        lc_buf_printf(out, "  %3zu: ", i);
        if (json_array_size(syms) == 0) {
            if (module != NULL) {
                put_json_str(out, module);
                lc_buf_putc(out, '!');
            }
            if (func != NULL)
                put_json_str(out, func);
            else
                lc_buf_puts(out, "<unknown>");
            lc_buf_putc(out, '\n');
        }
        for (size_t k = 0; k < json_array_size(syms); k++)
            if (!frame_symbol(out, json_array_get(syms, k), k, func))
                return false;
    }
    return true;
}

static bool format_record(lc_buf_t *out, const json_t *j)
{
    const json_t *lv = json_object_get(j, "level"), *ts = json_object_get(j, "ts");
    const json_t *msg = json_object_get(j, "message"), *func, *file;
    const json_t *trace = json_object_get(j, "trace");
    mod_log_level_t level;
    bool has_line;
    uint32_t line = 0;
    if (!json_is_string(lv) ||
        level_by_name(json_string_value(lv), json_string_length(lv), &level) != LC_OK ||
        !json_is_string(msg) || !(ts == NULL || json_is_null(ts) || json_is_integer(ts)) ||
        !opt_string(j, "function", &func) || !opt_string(j, "filename", &file) ||
        !opt_u32(j, "line_number", &has_line, &line) ||
        !(trace == NULL || json_is_null(trace) || json_is_array(trace)))
        return false;
    static const char *const tags[] = {"ERROR", " WARN", " INFO", "DEBUG", "TRACE"};
    if (json_is_integer(ts))
        put_chrono_ts(out, (int64_t)json_integer_value(ts));
    lc_buf_printf(out, "%s: ", level == MOD_LOG_PANIC ? "PANIC" : tags[level]);
    bool sep = false;
    if (func != NULL && strcmp(json_string_value(func), MOD_LOG_SENTINEL) != 0) {
        put_json_str(out, func);
        sep = true;
    }
    if (file != NULL && strcmp(json_string_value(file), MOD_LOG_SENTINEL) != 0) {
        if (sep)
            lc_buf_putc(out, ' ');
        put_json_str(out, file);
        if (has_line)
            lc_buf_printf(out, ":%u", (unsigned)line);
        sep = true;
    }
    if (sep)
        lc_buf_puts(out, ": ");
    put_json_str(out, msg);
    lc_buf_putc(out, '\n');
    return !json_is_array(trace) || put_backtrace(out, trace);
}

int mod_log_format_text(const char *json_line, size_t len, lc_buf_t *out)
{
    json_t *j = json_loadb(json_line, len, JSON_ALLOW_NUL, NULL);
    size_t base = out->len;
    bool was_oom = out->oom;
    out->oom = false;
    bool ok = json_is_object(j) && format_record(out, j);
    json_decref(j);
    bool oom = out->oom;
    out->oom |= was_oom;
    if (!ok || oom)
        out->len = base;
    return !ok ? LC_ECORRUPT : oom ? LC_ENOMEM : LC_OK;
}

/* ---------------------------------------------------------------- stats */

void mod_log_stats(mod_log_t *log, mod_log_stats_t *out)
{
    pthread_mutex_lock(&log->mu);
    *out = (mod_log_stats_t){
        .records = log->records,
        .write_errors = log->write_errors,
        .dropped = log->dropped,
        .truncated = log->truncated,
        .files_removed = log->files_removed,
        .disk_bytes = log->disk_bytes,
        .files = log->nfiles,
        .mem_records = log->ring_count,
        .mem_bytes = log->mem_bytes,
        .next_seq = log->next_seq,
    };
    pthread_mutex_unlock(&log->mu);
}

void mod_log__fail_writes_after(mod_log_t *log, long n)
{
    pthread_mutex_lock(&log->mu);
    log->fail_after = n;
    log->fail_writes = false;
    pthread_mutex_unlock(&log->mu);
}
