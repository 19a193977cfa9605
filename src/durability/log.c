/*
 * log.c — the commit log: an append-only sequence of checksummed records,
 * one per committed transaction, split into segment files.
 *
 * The bytes follow the reference's commitlog (../shared/spec/engine.md
 * §3.3–3.7): the same segment header and commit framing, with one
 * transaction per commit (n = 1) and epoch 0.
 *
 * Files, in DIR/clog:
 *
 *   <20-digit first offset>.log   a segment: header, then records
 *   <20-digit first offset>.ofs   its offset index (a hint; may be missing)
 *
 * Segment header, 10 bytes:
 *
 *   off  size  field
 *   0    6     magic "(ds)^2" = 28 64 73 29 5E 32
 *   6    1     format version: 1
 *   7    1     checksum algorithm: 0 = CRC32C
 *   8    2     reserved, written 0, not checked
 *
 * Record (one commit holding one transaction), little-endian, 26 + len bytes:
 *
 *   off     size  field
 *   0       8     tx offset (the commit's min_tx_offset)
 *   8       8     epoch: 0 (not checked on read)
 *   16      2     n, transactions in the commit: 1 (others are unsupported)
 *   18      4     len, payload bytes
 *   22      len   payload (a transaction record, durability.h)
 *   22+len  4     CRC32C of bytes [0, 22+len)
 *
 * Offset index: a sequence of 16-byte entries, no header:
 *
 *   off  size  field
 *   0    8     tx offset of a record (0 ends the index)
 *   8    8     byte position of that record in the segment
 *
 * Invariants:
 *   1. Offsets are consecutive across the whole log: the first record of a
 *      segment has the offset in the segment's name, every other record the
 *      previous one's plus one, across segment boundaries too.
 *   2. Only the last segment grows.  A segment is flushed and fdatasync'ed
 *      before the next one is created, so every segment but the last is
 *      whole: damage in it is corruption, never a torn write.
 *   3. Every segment but the last holds at least one record; the last may
 *      hold only its header (just after a rotation).
 *   4. A new segment has its header written and fdatasync'ed and the
 *      directory fsync'ed before any record goes in.  Prune deletes the
 *      oldest segments first, never the last, then fsyncs the directory: the
 *      segments on disk are always one contiguous run.
 *   5. The index is a hint.  An entry is added when a record starts at least
 *      index_interval bytes after the previous entry (the first record of a
 *      segment, found from the header, is never indexed), and is written
 *      only after the bytes it points to were fdatasync'ed.  Readers check
 *      the record an entry points to (checksum and offset) and otherwise
 *      scan from the header.  The index is fdatasync'ed at rotation and
 *      close only (not per batch: that would double the fsyncs of group
 *      commit); the last segment's is rebuilt by every open.
 *   6. seg_end == flushed + buf_len: the current segment's size once the
 *      write buffer is written.  Records go to the file at `flushed`.
 *   7. After a failed write or fdatasync the log refuses everything but
 *      close: what reached the disk is unknown, and like PostgreSQL we never
 *      retry an fsync and carry on.  Reopening repairs or reports the file.
 *   8. The last segment may be longer than its records: the bytes from
 *      `flushed` to the end of the file (at most alloc_end) are zeros.  The
 *      writer zero-fills PREALLOC_CHUNK bytes ahead of the records, like
 *      PostgreSQL's WAL segments, so that the fdatasync of a batch flushes
 *      data only: the file's size and block map change, and need an inode
 *      write, once per chunk instead of at every batch.  Zero-filling is
 *      best effort (on failure the segment just grows with its records).
 *      Sealing a segment (rotation, close) cuts the zeros off before its
 *      fdatasync, so every segment but the last ends with its last record.
 *
 * Torn tails.  A crash may leave the end of the last segment partly
 * written.  A damaged record (incomplete header, length past the end of the
 * file, checksum mismatch) is a torn tail when no valid record — right
 * checksum, plausible offset — starts at any byte after it: then nothing
 * after it was ever fdatasync'ed, nothing was acknowledged as durable, and
 * open cuts it off (ftruncate, fdatasync, a warning).  A damaged record
 * followed by a valid one is corruption: LC_ECORRUPT naming the file and
 * byte, and nothing is changed.  So is a record whose checksum is right but
 * whose offset is wrong.  Readers (dur_log_read) apply the same rule but
 * change nothing: a torn tail is the end of the log.
 *
 * Zero tails.  A damaged record that starts a run of zeros reaching the end
 * of the last segment is preallocated space (invariant 8), not a torn
 * write: open keeps it, without a warning.  A record header of zeros is
 * never valid (offsets start at 1, n = 1), so readers, which may run while
 * the writer fills that space, take a zero header in the last segment as
 * the end of the log without searching on.
 *
 * Departures from the reference: a torn tail is truncated rather than left
 * in place with a new segment started after it; segments are zero-filled
 * ahead rather than preallocated whole; the index file is not preallocated
 * or mmapped; no compression of old segments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "durability.h"

enum {
    SEG_HDR = 10,                /* segment header bytes */
    REC_HDR = 22,                /* record header bytes */
    REC_MIN = REC_HDR + 4,       /* header + checksum: an empty record */
    IDX_ENTRY = 16,              /* offset index entry */
    WRITE_BUF_SIZE = 128 * 1024, /* appends are gathered up to this */
    READ_BUF_SIZE = 256 * 1024,  /* readers read this much at a time */
    SEARCH_CHUNK = 64 * 1024,    /* torn-tail search and index reads */
    PREALLOC_CHUNK = 1 << 20,    /* zero-filled ahead of the records (invariant 8) */
    ZERO_BUF = 64 * 1024,        /* zeros written per iovec entry */
};

#define DEFAULT_MAX_SEGMENT    (256ull << 20)
#define DEFAULT_INDEX_INTERVAL 4096u

static const uint8_t seg_magic[6] = {0x28, 0x64, 0x73, 0x29, 0x5E, 0x32};

/* A segment header: magic, version 1, CRC32C, reserved zeros. */
static void seg_header(uint8_t h[SEG_HDR])
{
    memcpy(h, seg_magic, sizeof seg_magic);
    h[6] = 1;
    h[7] = 0;
    h[8] = h[9] = 0;
}

typedef struct seglist {
    uint64_t *v; /* first offsets, ascending */
    size_t n, cap;
} seglist_t;

struct dur_log {
    char *dir; /* DIR/clog */
    dur_log_options_t opt;
    seglist_t segs;     /* the segments; the last is the current one */
    int fd;             /* current segment, -1 if none */
    uint64_t seg_end;   /* invariant 6 */
    uint64_t flushed;   /* bytes of the current segment in the file */
    uint64_t alloc_end; /* invariant 8: the file is at most this long */
    bool no_prealloc;   /* zero-filling failed: grow this segment plainly */
    uint8_t *buf;       /* WRITE_BUF_SIZE bytes, buf_len used */
    size_t buf_len;
    uint64_t last_offset; /* 0: the log is empty */
    uint64_t bytes_written;
    int ofs_fd;            /* index of the current segment, -1 if none */
    uint64_t ofs_end;      /* bytes of index written */
    uint64_t idx_last_pos; /* position of the last entry, or SEG_HDR */
    lc_buf_t idx_pending;  /* entries waiting for an fdatasync (invariant 5) */
    bool ofs_broken;       /* an index write failed: stop indexing this segment */
    int failed;            /* invariant 7: the LC_E* code of the failure */
    char fail_msg[LC_ERR_MSG_MAX];
};

/* ================================================================ system calls */

static atomic_long io_fault_countdown; /* 0 = off; fail when it reaches 1 */

void dur_fault_io_after(long n)
{
    atomic_store(&io_fault_countdown, n);
}

/* Fault injection for segment writes, fdatasyncs and creation. */
static bool io_fault(void)
{
    long n = atomic_load(&io_fault_countdown);
    if (n == 0)
        return false;
    if (n == 1) {
        errno = EIO;
        return true;
    }
    atomic_fetch_sub(&io_fault_countdown, 1);
    return false;
}

/* pwritev all of iov at pos, through short writes and EINTR.  Returns 0 or
 * -1 with errno set. */
static int pwrite_all(int fd, uint64_t pos, struct iovec *iov, int iovcnt, bool faults)
{
    for (;;) {
        while (iovcnt > 0 && iov->iov_len == 0) {
            iov++;
            iovcnt--;
        }
        if (iovcnt == 0)
            return 0;
        ssize_t n = faults && io_fault() ? -1 : pwritev(fd, iov, iovcnt, (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC; /* no progress: treat as a full disk */
            return -1;
        }
        pos += (uint64_t)n;
        size_t left = (size_t)n;
        while (iovcnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
}

static int write_seg(int fd, uint64_t pos, struct iovec *iov, int iovcnt, const char *path,
                     lc_err_t *err)
{
    if (pwrite_all(fd, pos, iov, iovcnt, true) != 0)
        return lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    return LC_OK;
}

/* Read up to n bytes at pos; *got < n only at the end of the file. */
static int read_at(int fd, uint64_t pos, void *p, size_t n, size_t *got, const char *path,
                   lc_err_t *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)p + done, n - done, (off_t)(pos + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return lc_err_set(err, LC_EIO, "cannot read %s: %s", path, strerror(errno));
        if (r == 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    return LC_OK;
}

static int sync_file(int fd, const char *path, lc_err_t *err)
{
    int r;
    do {
        r = io_fault() ? -1 : fdatasync(fd);
    } while (r != 0 && errno == EINTR);
    if (r != 0)
        return lc_err_set(err, LC_EIO, "cannot fdatasync %s: %s", path, strerror(errno));
    return LC_OK;
}

static int sync_dir(const char *path, lc_err_t *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot open directory %s: %s", path, strerror(errno));
    int r;
    do {
        r = fsync(fd);
    } while (r != 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (r != 0)
        return lc_err_set(err, LC_EIO, "cannot fsync directory %s: %s", path, strerror(saved));
    return LC_OK;
}

/* mkdir path (mode 0700) unless it exists; a new directory is made durable
 * by an fsync of its parent. */
static int make_dir(const char *path, lc_err_t *err)
{
    if (mkdir(path, 0700) == 0) {
        char parent[PATH_MAX];
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;
        if (slash == path)
            n = 1;
        memcpy(parent, n ? path : ".", n ? n : 1);
        parent[n ? n : 1] = 0;
        return sync_dir(parent, err);
    }
    struct stat st;
    if (errno != EEXIST)
        return lc_err_set(err, LC_EIO, "cannot create directory %s: %s", path, strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_EIO, "%s exists and is not a directory", path);
    return LC_OK;
}

static void file_path(char *out, const char *dir, uint64_t first, const char *ext)
{
    snprintf(out, PATH_MAX, "%s/%020" PRIu64 ".%s", dir, first, ext);
}

/* ================================================================ segment list */

static bool parse_seg_name(const char *name, uint64_t *first)
{
    if (strlen(name) != 24 || strcmp(name + 20, ".log") != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *first = v;
    return true;
}

static int seglist_push(seglist_t *l, uint64_t v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        uint64_t *p = lc_realloc(l->v, cap * sizeof *p);
        if (p == NULL)
            return LC_ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return LC_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The segments in dir, ascending.  *missing (if not NULL) tells whether dir
 * does not exist, which is then not an error. */
static int list_segments(const char *dir, seglist_t *out, bool *missing, lc_err_t *err)
{
    DIR *d = opendir(dir);
    if (d == NULL && errno == ENOENT && missing != NULL) {
        *missing = true;
        return LC_OK;
    }
    if (d == NULL)
        return lc_err_set(err, LC_EIO, "cannot open directory %s: %s", dir, strerror(errno));
    int rc = LC_OK;
    struct dirent *e;
    uint64_t first;
    while (rc == LC_OK && (e = readdir(d)) != NULL) {
        if (!parse_seg_name(e->d_name, &first))
            continue;
        if (first == 0)
            rc = LC_CORRUPT(err, "commit log segment %s/%s: offsets start at 1", dir, e->d_name);
        else if (seglist_push(out, first) != LC_OK)
            rc = lc_err_set(err, LC_ENOMEM, "out of memory listing %s", dir);
    }
    closedir(d);
    if (rc == LC_OK && out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_u64);
    return rc;
}

/* ================================================================ scanning */

/* A cursor over the records of one segment file, reading through a bounded
 * buffer (it grows only to hold a record larger than READ_BUF_SIZE). */
typedef struct scan {
    int fd;
    const char *path;
    uint64_t size; /* bytes considered: the file's size when opened */
    uint64_t pos;  /* where the next record starts */
    uint8_t *buf;  /* cap bytes; len valid from file position buf_pos */
    size_t cap, len;
    uint64_t buf_pos;
    const char *why; /* what was wrong, after SCAN_DAMAGED */
} scan_t;

typedef struct rec {
    uint64_t offset, pos;
    const uint8_t *payload; /* valid until the next scan call */
    uint32_t len;
} rec_t;

enum { SCAN_END = 0, SCAN_REC = 1, SCAN_DAMAGED = 2 };

static void scan_init(scan_t *s, int fd, const char *path, uint64_t size)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->path = path;
    s->size = size;
    s->pos = SEG_HDR;
}

static void scan_free(scan_t *s)
{
    lc_free(s->buf);
    s->buf = NULL;
}

/* Point *out at the n bytes at pos, which lie below s->size. */
static int scan_fill(scan_t *s, uint64_t pos, size_t n, const uint8_t **out, lc_err_t *err)
{
    if (pos >= s->buf_pos && pos + n <= s->buf_pos + s->len) {
        *out = s->buf + (pos - s->buf_pos);
        return LC_OK;
    }
    if (s->buf == NULL || n > s->cap) {
        size_t cap = LC_MAX(n, (size_t)READ_BUF_SIZE);
        lc_free(s->buf);
        s->len = 0;
        s->cap = 0;
        if ((s->buf = lc_malloc(cap)) == NULL)
            return lc_err_set(err, LC_ENOMEM, "out of memory reading %s", s->path);
        s->cap = cap;
    }
    size_t want = (size_t)LC_MIN((uint64_t)s->cap, s->size - pos), got;
    int rc = read_at(s->fd, pos, s->buf, want, &got, s->path, err);
    s->buf_pos = pos;
    s->len = rc == LC_OK ? got : 0;
    if (rc != LC_OK)
        return rc;
    if (got < n)
        return lc_err_set(err, LC_EIO, "%s shrank while being read", s->path);
    *out = s->buf;
    return LC_OK;
}

static int damaged(scan_t *s, const char *why)
{
    s->why = why;
    return SCAN_DAMAGED;
}

/* The record at s->pos: SCAN_REC (and advance), SCAN_END at the end of the
 * file, SCAN_DAMAGED (s->why says how), or a negative error. */
static int scan_next(scan_t *s, rec_t *r, lc_err_t *err)
{
    uint64_t left = s->size - s->pos;
    const uint8_t *p;
    if (left == 0)
        return SCAN_END;
    if (left < REC_HDR)
        return damaged(s, "incomplete record header");
    int rc = scan_fill(s, s->pos, REC_HDR, &p, err);
    if (rc != LC_OK)
        return rc;
    uint32_t len = lc_load_u32le(p + 18);
    if ((uint64_t)len + REC_MIN > left)
        return damaged(s, "record extends past the end of the file");
    if ((rc = scan_fill(s, s->pos, (size_t)len + REC_MIN, &p, err)) != LC_OK)
        return rc;
    if (lc_crc32c(0, p, (size_t)len + REC_HDR) != lc_load_u32le(p + REC_HDR + len))
        return damaged(s, "checksum mismatch");
    if (lc_load_u16le(p + 16) != 1)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "%s: the commit at byte %" PRIu64 " holds %u transactions; "
                          "only one per commit is supported",
                          s->path, s->pos, lc_load_u16le(p + 16));
    r->offset = lc_load_u64le(p);
    r->pos = s->pos;
    r->payload = p + REC_HDR;
    r->len = len;
    s->pos += (uint64_t)len + REC_MIN;
    return SCAN_REC;
}

/* Whether the n-byte record at pos, whose header is hdr, has a right checksum. */
static int crc_matches(scan_t *s, uint64_t pos, const uint8_t *hdr, uint32_t len, uint8_t *tmp,
                       bool *ok, lc_err_t *err)
{
    uint32_t crc = lc_crc32c(0, hdr, REC_HDR);
    uint64_t at = pos + REC_HDR, end = at + len;
    size_t got;
    while (at < end) {
        size_t n = (size_t)LC_MIN((uint64_t)SEARCH_CHUNK, end - at);
        int rc = read_at(s->fd, at, tmp, n, &got, s->path, err);
        if (rc != LC_OK)
            return rc;
        if (got < n)
            return lc_err_set(err, LC_EIO, "%s shrank while being read", s->path);
        crc = lc_crc32c(crc, tmp, n);
        at += n;
    }
    uint8_t want[4];
    int rc = read_at(s->fd, end, want, 4, &got, s->path, err);
    if (rc != LC_OK)
        return rc;
    *ok = got == 4 && crc == lc_load_u32le(want);
    return LC_OK;
}

/* A valid record could start at p (within the file at pos): n = 1, an offset
 * in [lo, hi], a length that fits. */
static bool plausible(const scan_t *s, const uint8_t *p, uint64_t pos, uint64_t lo, uint64_t hi)
{
    uint64_t off = lc_load_u64le(p);
    return off >= lo && off <= hi && lc_load_u16le(p + 16) == 1 &&
           (uint64_t)lc_load_u32le(p + 18) + REC_MIN <= s->size - pos;
}

/* Whether a whole record with a right checksum and an offset >= lo starts
 * at any byte in [from, s->size).  Bounded memory: two SEARCH_CHUNK buffers. */
static int record_follows(scan_t *s, uint64_t from, uint64_t lo, bool *found, lc_err_t *err)
{
    *found = false;
    if (from >= s->size || s->size - from < REC_MIN)
        return LC_OK;
    uint64_t hi = lo + (s->size - from) / REC_MIN;
    uint8_t *chunk = lc_malloc(SEARCH_CHUNK + REC_HDR), *tmp = lc_malloc(SEARCH_CHUNK);
    int rc = chunk && tmp ? LC_OK : lc_err_set(err, LC_ENOMEM, "out of memory reading %s", s->path);
    for (uint64_t base = from; rc == LC_OK && !*found && base + REC_MIN <= s->size;
         base += SEARCH_CHUNK) {
        size_t want = (size_t)LC_MIN((uint64_t)SEARCH_CHUNK + REC_HDR, s->size - base), got;
        if ((rc = read_at(s->fd, base, chunk, want, &got, s->path, err)) != LC_OK)
            break;
        for (size_t i = 0; i < SEARCH_CHUNK && i + REC_HDR <= got && !*found; i++) {
            if (plausible(s, chunk + i, base + i, lo, hi))
                rc = crc_matches(s, base + i, chunk + i, lc_load_u32le(chunk + i + 18), tmp, found,
                                 err);
            if (rc != LC_OK)
                break;
        }
    }
    lc_free(chunk);
    lc_free(tmp);
    return rc;
}

/* ================================================================ walking a segment */

/* Records of one segment, checked for consecutive offsets (invariant 1). */
typedef struct walk {
    scan_t s;
    uint64_t expect;   /* offset the next record must have */
    uint64_t good_end; /* byte position after the last whole record */
    uint64_t records;  /* records visited */
    bool torn;         /* stopped at a torn tail */
    bool zero_is_end;  /* a reader of the last segment, which may be growing */
    uint64_t retried;  /* where such a reader last re-read a damaged record */
} walk_t;

enum { WALK_RETRY = 1 }; /* on_damage: read the record at w->s.pos again */

typedef int (*rec_fn)(void *arg, const rec_t *r);

static void walk_init(walk_t *w, int fd, const char *path, uint64_t size, uint64_t first)
{
    memset(w, 0, sizeof *w);
    scan_init(&w->s, fd, path, size);
    w->expect = first;
    w->good_end = SEG_HDR;
}

/* Whether the record header at s->pos (or what is left of the file, if
 * shorter) is all zeros: preallocated space. */
static int zero_header(scan_t *s, bool *zero, lc_err_t *err)
{
    const uint8_t *p;
    size_t n = (size_t)LC_MIN((uint64_t)REC_HDR, s->size - s->pos);
    int rc = scan_fill(s, s->pos, n, &p, err);
    *zero = rc == LC_OK;
    for (size_t i = 0; *zero && i < n; i++) *zero = p[i] == 0;
    return rc;
}

/* A damaged record at w->s.pos: a torn tail (w->torn) if allowed and no
 * valid record follows it, else LC_ECORRUPT.  A reader of the last segment
 * may have caught the writer halfway through that record, in the zeros it
 * writes into, and found the records written after it: it reads the record
 * again once (WALK_RETRY) before calling it corrupt.  The writer writes in
 * ascending order, so a record found after it means it is whole by now. */
static int on_damage(walk_t *w, bool allow_torn, lc_err_t *err)
{
    bool found = false;
    if (allow_torn && w->zero_is_end) {
        int rc = zero_header(&w->s, &w->torn, err);
        if (rc != LC_OK || w->torn)
            return rc;
    }
    if (allow_torn) {
        int rc = record_follows(&w->s, w->s.pos + 1, w->expect, &found, err);
        if (rc != LC_OK)
            return rc;
        if (!found) {
            w->torn = true;
            return LC_OK;
        }
    }
    if (found && w->zero_is_end && w->retried != w->s.pos) {
        w->retried = w->s.pos;
        w->s.len = 0; /* drop what was read */
        return WALK_RETRY;
    }
    return LC_CORRUPT(err,
                      "commit log segment %s is damaged at byte %" PRIu64
                      " (the record for offset %" PRIu64 "): %s%s",
                      w->s.path, w->s.pos, w->expect, w->s.why,
                      found ? "; valid records follow it, so this is not a torn write" : "");
}

/* Visit the records from w->s.pos to the end of the segment. */
static int walk_records(walk_t *w, bool allow_torn, rec_fn fn, void *arg, lc_err_t *err)
{
    for (;;) {
        rec_t r;
        int rc = scan_next(&w->s, &r, err);
        if (rc == SCAN_END)
            return LC_OK;
        if (rc == SCAN_DAMAGED) {
            rc = on_damage(w, allow_torn, err);
            if (rc == WALK_RETRY)
                continue;
            return rc;
        }
        if (rc < 0)
            return rc;
        if (r.offset != w->expect)
            return LC_CORRUPT(err,
                              "commit log segment %s: the record at byte %" PRIu64
                              " has offset %" PRIu64 ", expected %" PRIu64,
                              w->s.path, r.pos, r.offset, w->expect);
        w->expect++;
        w->good_end = w->s.pos;
        w->records++;
        if (fn != NULL && (rc = fn(arg, &r)) != 0)
            return rc;
    }
}

static int check_header(int fd, const char *path, uint64_t size, lc_err_t *err)
{
    uint8_t h[SEG_HDR];
    size_t got = 0;
    int rc = size < SEG_HDR ? LC_OK : read_at(fd, 0, h, SEG_HDR, &got, path, err);
    if (rc != LC_OK)
        return rc;
    if (got < SEG_HDR)
        return LC_CORRUPT(err,
                          "commit log segment %s: incomplete segment header (%" PRIu64 " bytes)",
                          path, size);
    if (memcmp(h, seg_magic, sizeof seg_magic) != 0)
        return LC_CORRUPT(err, "%s is not a commit log segment (bad magic at byte 0)", path);
    if (h[6] != 1)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "commit log segment %s has format version %u; only 1 is supported", path,
                          h[6]);
    if (h[7] != 0)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "commit log segment %s uses checksum algorithm %u; only 0 (CRC32C) "
                          "is supported",
                          path, h[7]);
    return LC_OK;
}

/* ================================================================ the offset index */

typedef struct idx_hit {
    uint64_t offset, pos;
    bool found;
} idx_hit_t;

/* The last usable entry with offset <= target in the index at path, for a
 * segment of size bytes starting at offset first.  Best effort: an
 * unreadable index finds nothing.  Entries must increase; reading stops at
 * the first that does not. */
static void index_lookup(const char *path, uint64_t first, uint64_t size, uint64_t target,
                         idx_hit_t *hit)
{
    memset(hit, 0, sizeof *hit);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t *chunk = fd >= 0 ? lc_malloc(SEARCH_CHUNK) : NULL;
    uint64_t prev_off = first, prev_pos = SEG_HDR, at = 0;
    size_t got = 0;
    bool go = chunk != NULL;
    while (go && read_at(fd, at, chunk, SEARCH_CHUNK, &got, path, NULL) == LC_OK && got > 0) {
        for (size_t i = 0; go && i + IDX_ENTRY <= got; i += IDX_ENTRY) {
            uint64_t off = lc_load_u64le(chunk + i), pos = lc_load_u64le(chunk + i + 8);
            go = off > prev_off && off <= target && pos > prev_pos && pos <= size &&
                 size - pos >= REC_MIN;
            if (go) {
                hit->offset = prev_off = off;
                hit->pos = prev_pos = pos;
                hit->found = true;
            }
        }
        at += got - got % IDX_ENTRY;
        go = go && got == SEARCH_CHUNK;
    }
    lc_free(chunk);
    if (fd >= 0)
        close(fd);
}

/* Start w at the index entry nearest below target if the record there is
 * whole and has the entry's offset, else at the header. */
static int walk_seek(walk_t *w, const char *ofs_path, uint64_t first, uint64_t target,
                     lc_err_t *err)
{
    idx_hit_t h;
    index_lookup(ofs_path, first, w->s.size, target, &h);
    if (!h.found)
        return LC_OK;
    rec_t r;
    w->s.pos = h.pos;
    int rc = scan_next(&w->s, &r, err);
    if (rc < 0)
        return rc;
    if (rc == SCAN_REC && r.offset == h.offset) {
        w->expect = h.offset;
        w->s.pos = w->good_end = h.pos;
    } else {
        w->s.pos = SEG_HDR;
    }
    return LC_OK;
}

/* Index entries for a segment being scanned at open (invariant 5). */
typedef struct idx_build {
    lc_buf_t entries;
    uint64_t last_pos;
    uint32_t interval;
} idx_build_t;

static int idx_add(lc_buf_t *b, uint64_t *last_pos, uint32_t interval, uint64_t offset,
                   uint64_t pos)
{
    if (pos - *last_pos < interval)
        return LC_OK;
    *last_pos = pos;
    lc_buf_put_u64le(b, offset);
    lc_buf_put_u64le(b, pos);
    return b->oom ? LC_ENOMEM : LC_OK;
}

static int idx_build_cb(void *arg, const rec_t *r)
{
    idx_build_t *ib = arg;
    return idx_add(&ib->entries, &ib->last_pos, ib->interval, r->offset, r->pos);
}

/* Whether the file holds exactly the n bytes at want. */
static bool file_equals(int fd, const uint8_t *want, size_t n)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != n)
        return false;
    uint8_t *have = n ? lc_malloc(SEARCH_CHUNK) : NULL;
    bool same = true;
    for (size_t at = 0, got = 0; same && at < n; at += got) {
        size_t want_n = LC_MIN((size_t)SEARCH_CHUNK, n - at);
        same = have && read_at(fd, at, have, want_n, &got, "", NULL) == LC_OK && got == want_n &&
               memcmp(have, want + at, got) == 0;
    }
    lc_free(have);
    return same;
}

/* Open the current segment's index and make it hold exactly the entries
 * found by the scan.  Best effort: failures only stop indexing. */
static void index_reopen(dur_log_t *log, const lc_buf_t *entries, uint64_t last_pos)
{
    char path[PATH_MAX];
    file_path(path, log->dir, log->segs.v[log->segs.n - 1], "ofs");
    log->idx_last_pos = last_pos;
    log->ofs_end = entries->len;
    log->ofs_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (log->ofs_fd >= 0 && file_equals(log->ofs_fd, entries->data, entries->len))
        return;
    struct iovec iov = {entries->data, entries->len};
    if (log->ofs_fd < 0 || ftruncate(log->ofs_fd, 0) != 0 ||
        pwrite_all(log->ofs_fd, 0, &iov, 1, false) != 0) {
        lc_log_warn("commit log index %s cannot be written (%s); reads will scan", path,
                    strerror(errno));
        log->ofs_broken = true;
    }
}

/* Write the entries whose records are now fdatasync'ed. */
static void index_write_pending(dur_log_t *log)
{
    if (log->idx_pending.len == 0)
        return;
    struct iovec iov = {log->idx_pending.data, log->idx_pending.len};
    if (log->ofs_fd >= 0 && !log->ofs_broken) {
        if (pwrite_all(log->ofs_fd, log->ofs_end, &iov, 1, false) == 0) {
            log->ofs_end += log->idx_pending.len;
        } else {
            lc_log_warn("commit log index of segment %020" PRIu64 " in %s cannot be written "
                        "(%s); reads will scan",
                        log->segs.v[log->segs.n - 1], log->dir, strerror(errno));
            log->ofs_broken = true;
        }
    }
    lc_buf_reset(&log->idx_pending);
}

/* ================================================================ opening */

/* Check segment i (not the last): header, records from its last index
 * entry to the end, and that it ends just before segment i + 1 begins. */
static int check_closed(dur_log_t *log, size_t i, lc_err_t *err)
{
    char path[PATH_MAX], ofs[PATH_MAX];
    uint64_t first = log->segs.v[i], next = log->segs.v[i + 1];
    file_path(path, log->dir, first, "log");
    file_path(ofs, log->dir, first, "ofs");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    int rc = fstat(fd, &st) == 0
                 ? LC_OK
                 : lc_err_set(err, LC_EIO, "cannot stat %s: %s", path, strerror(errno));
    walk_t w;
    walk_init(&w, fd, path, rc == LC_OK ? (uint64_t)st.st_size : 0, first);
    if (rc == LC_OK)
        rc = check_header(fd, path, w.s.size, err);
    if (rc == LC_OK)
        rc = walk_seek(&w, ofs, first, UINT64_MAX, err);
    if (rc == LC_OK)
        rc = walk_records(&w, false, NULL, NULL, err);
    if (rc == LC_OK && w.records == 0)
        rc = LC_CORRUPT(err, "commit log segment %s holds no records but is not the last", path);
    if (rc == LC_OK && w.expect != next)
        rc = LC_CORRUPT(err,
                        "commit log offsets are not consecutive: %s ends with offset %" PRIu64
                        " but the next segment starts at %" PRIu64,
                        path, w.expect - 1, next);
    scan_free(&w.s);
    close(fd);
    return rc;
}

/* Cut the torn tail found by w off the current segment. */
static int cut_tail(dur_log_t *log, const walk_t *w, dur_log_open_info_t *info, lc_err_t *err)
{
    uint64_t cut = w->s.size - w->good_end;
    if (ftruncate(log->fd, (off_t)w->good_end) != 0)
        return lc_err_set(err, LC_EIO, "cannot truncate %s: %s", w->s.path, strerror(errno));
    int rc = sync_file(log->fd, w->s.path, err);
    if (rc != LC_OK)
        return rc;
    lc_log_warn("commit log: cut a torn tail of %" PRIu64 " bytes from %s at byte %" PRIu64
                " (%s); %" PRIu64 " bytes remain, the last record has offset %" PRIu64,
                cut, w->s.path, w->good_end, w->s.why, w->good_end, w->expect - 1);
    info->tail_repaired = true;
    info->cut_bytes += cut;
    return LC_OK;
}

/* Write a fresh header over a last segment shorter than one (a crash right
 * after creating it). */
static int rewrite_header(int fd, const char *path, uint64_t size, dur_log_open_info_t *info,
                          lc_err_t *err)
{
    uint8_t h[SEG_HDR];
    seg_header(h);
    struct iovec iov = {h, SEG_HDR};
    if (ftruncate(fd, 0) != 0)
        return lc_err_set(err, LC_EIO, "cannot truncate %s: %s", path, strerror(errno));
    int rc = write_seg(fd, 0, &iov, 1, path, err);
    if (rc == LC_OK)
        rc = sync_file(fd, path, err);
    if (rc != LC_OK)
        return rc;
    lc_log_warn("commit log: rewrote the incomplete header (%" PRIu64 " bytes) of %s", size, path);
    info->tail_repaired = true;
    info->cut_bytes += size;
    return LC_OK;
}

/* Whether bytes [from, s->size) are all zeros: preallocated space
 * (invariant 8) rather than a torn write. */
static int zero_tail(scan_t *s, uint64_t from, bool *zero, lc_err_t *err)
{
    uint8_t *chunk = lc_malloc(SEARCH_CHUNK);
    if (chunk == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory reading %s", s->path);
    int rc = LC_OK;
    *zero = true;
    for (uint64_t at = from; rc == LC_OK && *zero && at < s->size; at += SEARCH_CHUNK) {
        size_t want = (size_t)LC_MIN((uint64_t)SEARCH_CHUNK, s->size - at), got;
        rc = read_at(s->fd, at, chunk, want, &got, s->path, err);
        if (rc == LC_OK && got < want)
            rc = lc_err_set(err, LC_EIO, "%s shrank while being read", s->path);
        for (size_t i = 0; rc == LC_OK && *zero && i < want; i++) *zero = chunk[i] == 0;
    }
    lc_free(chunk);
    return rc;
}

/* Scan the last segment, repair a torn tail, make it durable, rebuild its
 * index.  On success log->fd is open on it. */
static int open_last(dur_log_t *log, dur_log_open_info_t *info, lc_err_t *err)
{
    char path[PATH_MAX];
    uint64_t first = log->segs.v[log->segs.n - 1];
    file_path(path, log->dir, first, "log");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int rc = lc_err_set(err, LC_EIO, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    log->fd = fd;
    uint64_t size = (uint64_t)st.st_size;
    int rc = size < SEG_HDR ? rewrite_header(fd, path, size, info, err)
                            : check_header(fd, path, size, err);
    walk_t w;
    walk_init(&w, fd, path, LC_MAX(size, (uint64_t)SEG_HDR), first);
    idx_build_t ib = {.last_pos = SEG_HDR, .interval = log->opt.index_interval};
    if (rc == LC_OK)
        rc = walk_records(&w, true, idx_build_cb, &ib, err);
    bool zeros = false;
    if (rc == LC_OK && w.torn)
        rc = zero_tail(&w.s, w.good_end, &zeros, err);
    if (rc == LC_OK)
        rc = w.torn && !zeros ? cut_tail(log, &w, info, err) : sync_file(fd, path, err);
    if (rc == LC_OK) {
        log->seg_end = log->flushed = w.good_end;
        log->alloc_end = zeros ? w.s.size : w.good_end;
        log->last_offset = w.records == 0 && log->segs.n == 1 ? 0 : w.expect - 1;
        index_reopen(log, &ib.entries, ib.last_pos);
    }
    scan_free(&w.s);
    lc_buf_free(&ib.entries);
    return rc;
}

static int log_new(const char *dir, const dur_log_options_t *opt, dur_log_t **out, lc_err_t *err)
{
    size_t n = strlen(dir);
    if (n == 0 || n + 64 >= PATH_MAX)
        return lc_err_set(err, LC_EINVAL, "the database directory path is empty or too long");
    dur_log_t *log = lc_calloc(1, sizeof *log);
    char *path = lc_malloc(n + 6);
    uint8_t *buf = lc_malloc(WRITE_BUF_SIZE);
    if (log == NULL || path == NULL || buf == NULL) {
        lc_free(log);
        lc_free(path);
        lc_free(buf);
        return lc_err_set(err, LC_ENOMEM, "out of memory opening the commit log");
    }
    snprintf(path, n + 6, "%s/clog", dir);
    log->dir = path;
    log->buf = buf;
    log->fd = log->ofs_fd = -1;
    log->opt.max_segment_size =
        opt && opt->max_segment_size ? opt->max_segment_size : DEFAULT_MAX_SEGMENT;
    log->opt.index_interval =
        opt && opt->index_interval ? opt->index_interval : DEFAULT_INDEX_INTERVAL;
    *out = log;
    return LC_OK;
}

static void log_free(dur_log_t *log)
{
    if (log->fd >= 0)
        close(log->fd);
    if (log->ofs_fd >= 0)
        close(log->ofs_fd);
    lc_buf_free(&log->idx_pending);
    lc_free(log->segs.v);
    lc_free(log->buf);
    lc_free(log->dir);
    lc_free(log);
}

static int open_segments(dur_log_t *log, const char *dir, dur_log_open_info_t *info, lc_err_t *err)
{
    int rc = make_dir(dir, err);
    if (rc == LC_OK)
        rc = make_dir(log->dir, err);
    if (rc == LC_OK)
        rc = list_segments(log->dir, &log->segs, NULL, err);
    for (size_t i = 0; rc == LC_OK && i + 1 < log->segs.n; i++) rc = check_closed(log, i, err);
    if (rc == LC_OK && log->segs.n > 0)
        rc = open_last(log, info, err);
    return rc;
}

int dur_log_open(const char *dir, const dur_log_options_t *opt, dur_log_t **out,
                 dur_log_open_info_t *info, lc_err_t *err)
{
    dur_log_open_info_t scratch;
    if (info == NULL)
        info = &scratch;
    memset(info, 0, sizeof *info);
    *out = NULL;
    dur_log_t *log = NULL;
    int rc = log_new(dir, opt, &log, err);
    if (rc != LC_OK)
        return rc;
    if ((rc = open_segments(log, dir, info, err)) != LC_OK) {
        log_free(log);
        return rc;
    }
    info->last_offset = log->last_offset;
    info->first_offset = log->last_offset ? log->segs.v[0] : 0;
    info->segments = (uint32_t)log->segs.n;
    *out = log;
    return LC_OK;
}

/* ================================================================ appending */

/* Refuse an operation on a log broken by an I/O failure (invariant 7). */
static int refuse(const dur_log_t *log, lc_err_t *err)
{
    return lc_err_set(err, log->failed,
                      "the commit log is unusable after an earlier failure (%s); reopen it",
                      log->fail_msg);
}

/* Record the failure rc (message in err) and return it. */
static int fail(dur_log_t *log, int rc, lc_err_t *err)
{
    log->failed = rc;
    snprintf(log->fail_msg, sizeof log->fail_msg, "%s", err->msg);
    return rc;
}

/* Zero-fill the current segment ahead of its records up to at least need
 * bytes (invariant 8).  Best effort, and outside fault injection: a
 * failure leaves some zeros at the end, which is allowed, and the segment
 * grows plainly from then on. */
static void preallocate(dur_log_t *log, uint64_t need)
{
    static uint8_t zeros[ZERO_BUF]; /* never written */
    log->alloc_end = LC_MAX(log->alloc_end, log->flushed);
    if (need <= log->alloc_end || log->no_prealloc || log->alloc_end >= log->opt.max_segment_size)
        return;
    uint64_t end = LC_MAX(need, LC_MIN(log->alloc_end + PREALLOC_CHUNK, log->opt.max_segment_size));
    while (log->alloc_end < end) {
        struct iovec iov[16];
        int n = 0;
        uint64_t at = log->alloc_end;
        for (; n < 16 && at < end; n++) {
            iov[n].iov_base = zeros;
            iov[n].iov_len = (size_t)LC_MIN((uint64_t)ZERO_BUF, end - at);
            at += iov[n].iov_len;
        }
        if (pwrite_all(log->fd, log->alloc_end, iov, n, false) != 0) {
            log->no_prealloc = true;
            log->alloc_end = at; /* an upper bound of the file's size */
            return;
        }
        log->alloc_end = at;
    }
}

/* Write the buffer at `flushed`, zero-filling ahead first unless the
 * segment is being sealed. */
static int write_buf(dur_log_t *log, bool prealloc, lc_err_t *err)
{
    if (log->buf_len == 0)
        return LC_OK;
    if (prealloc)
        preallocate(log, log->flushed + log->buf_len);
    char path[PATH_MAX];
    file_path(path, log->dir, log->segs.v[log->segs.n - 1], "log");
    struct iovec iov = {log->buf, log->buf_len};
    int rc = write_seg(log->fd, log->flushed, &iov, 1, path, err);
    if (rc != LC_OK)
        return rc;
    log->flushed += log->buf_len;
    log->alloc_end = LC_MAX(log->alloc_end, log->flushed);
    log->buf_len = 0;
    return LC_OK;
}

static int flush_buf(dur_log_t *log, lc_err_t *err)
{
    return write_buf(log, true, err);
}

/* Flush, fdatasync, then write the index entries now covered. */
static int sync_current(dur_log_t *log, lc_err_t *err)
{
    char path[PATH_MAX];
    file_path(path, log->dir, log->segs.v[log->segs.n - 1], "log");
    int rc = flush_buf(log, err);
    if (rc == LC_OK)
        rc = sync_file(log->fd, path, err);
    if (rc == LC_OK)
        index_write_pending(log);
    return rc;
}

/* Cut the zeros after the last record off the current segment (invariant
 * 8); the fdatasync that follows makes the new size durable. */
static int trim_current(dur_log_t *log, lc_err_t *err)
{
    int rc = write_buf(log, false, err);
    if (rc != LC_OK || log->alloc_end <= log->seg_end)
        return rc;
    if (ftruncate(log->fd, (off_t)log->seg_end) != 0) {
        char path[PATH_MAX];
        file_path(path, log->dir, log->segs.v[log->segs.n - 1], "log");
        return lc_err_set(err, LC_EIO, "cannot truncate %s: %s", path, strerror(errno));
    }
    log->alloc_end = log->seg_end;
    return LC_OK;
}

/* Make the current segment and its index durable and close them. */
static int seal_current(dur_log_t *log, lc_err_t *err)
{
    int rc = trim_current(log, err);
    if (rc == LC_OK)
        rc = sync_current(log, err);
    if (rc != LC_OK)
        return rc;
    if (log->ofs_fd >= 0 && !log->ofs_broken && fdatasync(log->ofs_fd) != 0)
        lc_log_warn("commit log index of segment %020" PRIu64 " in %s: fdatasync failed: %s",
                    log->segs.v[log->segs.n - 1], log->dir, strerror(errno));
    if (log->ofs_fd >= 0)
        close(log->ofs_fd);
    close(log->fd);
    log->fd = log->ofs_fd = -1;
    return LC_OK;
}

/* Create segment `first` (invariant 4) and make it current. */
static int create_segment(dur_log_t *log, uint64_t first, lc_err_t *err)
{
    char path[PATH_MAX], ofs[PATH_MAX];
    file_path(path, log->dir, first, "log");
    file_path(ofs, log->dir, first, "ofs");
    if (seglist_push(&log->segs, first) != LC_OK)
        return lc_err_set(err, LC_ENOMEM, "out of memory creating a commit log segment");
    log->segs.n--; /* pushed for real below, once the file exists */
    int fd = io_fault() ? -1 : open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot create %s: %s", path, strerror(errno));
    uint8_t h[SEG_HDR];
    seg_header(h);
    struct iovec iov = {h, SEG_HDR};
    int rc = write_seg(fd, 0, &iov, 1, path, err);
    if (rc == LC_OK)
        rc = sync_file(fd, path, err);
    if (rc == LC_OK)
        rc = sync_dir(log->dir, err);
    if (rc != LC_OK) {
        close(fd);
        return rc;
    }
    log->segs.v[log->segs.n++] = first;
    log->fd = fd;
    log->seg_end = log->flushed = log->idx_last_pos = log->alloc_end = SEG_HDR;
    log->no_prealloc = false;
    log->ofs_end = 0;
    log->ofs_fd = open(ofs, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    log->ofs_broken = log->ofs_fd < 0;
    return LC_OK;
}

/* Delete the files of the last segment, which holds no record, so that an
 * empty log can start at another offset. */
static int drop_empty_current(dur_log_t *log, lc_err_t *err)
{
    char path[PATH_MAX], ofs[PATH_MAX];
    uint64_t first = log->segs.v[log->segs.n - 1];
    file_path(path, log->dir, first, "log");
    file_path(ofs, log->dir, first, "ofs");
    close(log->fd);
    if (log->ofs_fd >= 0)
        close(log->ofs_fd);
    log->fd = log->ofs_fd = -1;
    log->segs.n--;
    if (unlink(path) != 0 && errno != ENOENT)
        return lc_err_set(err, LC_EIO, "cannot delete %s: %s", path, strerror(errno));
    unlink(ofs);
    return LC_OK;
}

/* Make sure an empty log has a current segment named first. */
static int start_log_at(dur_log_t *log, uint64_t first, lc_err_t *err)
{
    if (log->fd >= 0 && log->segs.v[log->segs.n - 1] == first)
        return LC_OK;
    int rc = log->fd >= 0 ? drop_empty_current(log, err) : LC_OK;
    return rc == LC_OK ? create_segment(log, first, err) : rc;
}

static int check_offset(const dur_log_t *log, uint64_t tx_offset, lc_err_t *err)
{
    if (log->last_offset == 0 && tx_offset == 0)
        return lc_err_set(err, LC_EINVAL, "commit log offsets start at 1");
    if (log->last_offset != 0 && tx_offset != log->last_offset + 1)
        return lc_err_set(err, LC_EINVAL,
                          "commit log offsets must be consecutive: got %" PRIu64 " after %" PRIu64,
                          tx_offset, log->last_offset);
    return LC_OK;
}

/* Frame one record into the write buffer, or straight to the file if it is
 * larger than the buffer. */
static int put_record(dur_log_t *log, uint64_t tx_offset, const void *payload, uint32_t len,
                      lc_err_t *err)
{
    uint8_t hdr[REC_HDR], crc[4];
    lc_store_u64le(hdr, tx_offset);
    lc_store_u64le(hdr + 8, 0);
    lc_store_u16le(hdr + 16, 1);
    lc_store_u32le(hdr + 18, len);
    lc_store_u32le(crc, lc_crc32c(lc_crc32c(0, hdr, REC_HDR), payload, len));
    size_t total = (size_t)len + REC_MIN;
    int rc = log->buf_len + total > WRITE_BUF_SIZE ? flush_buf(log, err) : LC_OK;
    if (rc != LC_OK)
        return rc;
    struct iovec iov[3] = {{hdr, REC_HDR}, {(void *)payload, len}, {crc, 4}};
    if (total > WRITE_BUF_SIZE) {
        char path[PATH_MAX];
        file_path(path, log->dir, log->segs.v[log->segs.n - 1], "log");
        if ((rc = write_seg(log->fd, log->flushed, iov, 3, path, err)) != LC_OK)
            return rc;
        log->flushed += total;
        log->alloc_end = LC_MAX(log->alloc_end, log->flushed);
    } else {
        for (int i = 0; i < 3; i++) {
            if (iov[i].iov_len > 0)
                memcpy(log->buf + log->buf_len, iov[i].iov_base, iov[i].iov_len);
            log->buf_len += iov[i].iov_len;
        }
    }
    log->seg_end += total;
    return LC_OK;
}

static int append_record(dur_log_t *log, uint64_t tx_offset, const void *payload, uint32_t len,
                         lc_err_t *err)
{
    int rc = log->last_offset == 0 ? start_log_at(log, tx_offset, err) : LC_OK;
    uint64_t pos = log->seg_end;
    if (rc == LC_OK)
        rc = put_record(log, tx_offset, payload, len, err);
    if (rc != LC_OK)
        return rc;
    log->last_offset = tx_offset;
    log->bytes_written += (uint64_t)len + REC_MIN;
    if (idx_add(&log->idx_pending, &log->idx_last_pos, log->opt.index_interval, tx_offset, pos))
        lc_buf_reset(&log->idx_pending); /* out of memory: the index is a hint */
    if (log->seg_end >= log->opt.max_segment_size) {
        if ((rc = seal_current(log, err)) == LC_OK)
            rc = create_segment(log, tx_offset + 1, err);
    }
    return rc;
}

int dur_log_append(dur_log_t *log, uint64_t tx_offset, const void *payload, size_t len,
                   lc_err_t *err)
{
    lc_err_t scratch;
    if (err == NULL)
        err = &scratch;
    if (log->failed)
        return refuse(log, err);
    if (len > UINT32_MAX)
        return lc_err_set(err, LC_ERANGE,
                          "a commit log record holds at most %" PRIu32 " bytes, not %zu",
                          UINT32_MAX, len);
    int rc = check_offset(log, tx_offset, err);
    if (rc != LC_OK)
        return rc;
    rc = append_record(log, tx_offset, payload, (uint32_t)len, err);
    return rc == LC_OK ? LC_OK : fail(log, rc, err);
}

int dur_log_flush(dur_log_t *log, lc_err_t *err)
{
    lc_err_t scratch;
    if (err == NULL)
        err = &scratch;
    if (log->failed)
        return refuse(log, err);
    if (log->fd < 0)
        return LC_OK;
    int rc = flush_buf(log, err);
    return rc == LC_OK ? LC_OK : fail(log, rc, err);
}

int dur_log_sync(dur_log_t *log, lc_err_t *err)
{
    lc_err_t scratch;
    if (err == NULL)
        err = &scratch;
    if (log->failed)
        return refuse(log, err);
    if (log->fd < 0)
        return LC_OK;
    int rc = sync_current(log, err);
    return rc == LC_OK ? LC_OK : fail(log, rc, err);
}

uint64_t dur_log_last_offset(const dur_log_t *log)
{
    return log->last_offset;
}

uint64_t dur_log_bytes_written(const dur_log_t *log)
{
    return log->bytes_written;
}

int dur_log_close(dur_log_t *log, lc_err_t *err)
{
    if (log == NULL)
        return LC_OK;
    int rc = LC_OK;
    if (log->failed)
        rc = refuse(log, err);
    else if (log->fd >= 0)
        rc = seal_current(log, err);
    log_free(log);
    return rc;
}

int dur_log_prune(dur_log_t *log, uint64_t offset, lc_err_t *err)
{
    size_t k = 0;
    int rc = LC_OK;
    char path[PATH_MAX];
    while (k + 1 < log->segs.n && log->segs.v[k + 1] - 1 <= offset) {
        file_path(path, log->dir, log->segs.v[k], "log");
        if (unlink(path) != 0 && errno != ENOENT) {
            rc = lc_err_set(err, LC_EIO, "cannot delete %s: %s", path, strerror(errno));
            break;
        }
        file_path(path, log->dir, log->segs.v[k], "ofs");
        unlink(path);
        k++;
    }
    if (k == 0)
        return rc;
    memmove(log->segs.v, log->segs.v + k, (log->segs.n - k) * sizeof *log->segs.v);
    log->segs.n -= k;
    int rc2 = sync_dir(log->dir, rc == LC_OK ? err : NULL);
    return rc != LC_OK ? rc : rc2;
}

/* ================================================================ reading */

typedef struct reader {
    const char *dir;
    const seglist_t *segs;
    uint64_t from;
    uint64_t expect; /* offset the next segment must start with; 0 = unknown */
    dur_record_cb cb;
    void *arg;
} reader_t;

static int reader_cb(void *arg, const rec_t *r)
{
    reader_t *rd = arg;
    return r->offset >= rd->from ? rd->cb(rd->arg, r->offset, r->payload, r->len) : 0;
}

/* Visit the records of segment i; the first segment visited may start
 * from its index. */
static int read_segment(reader_t *rd, size_t i, bool seek, lc_err_t *err)
{
    char path[PATH_MAX], ofs[PATH_MAX];
    uint64_t first = rd->segs->v[i];
    bool last = i + 1 == rd->segs->n;
    file_path(path, rd->dir, first, "log");
    file_path(ofs, rd->dir, first, "ofs");
    if (rd->expect != 0 && first != rd->expect)
        return LC_CORRUPT(err,
                          "commit log offsets are not consecutive: %s starts at %" PRIu64
                          " but the previous segment ends at %" PRIu64,
                          path, first, rd->expect - 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int rc = lc_err_set(err, LC_EIO, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    walk_t w;
    walk_init(&w, fd, path, (uint64_t)st.st_size, first);
    w.zero_is_end = last;
    int rc = last && w.s.size < SEG_HDR ? LC_OK : check_header(fd, path, w.s.size, err);
    if (rc == LC_OK && w.s.size >= SEG_HDR && seek)
        rc = walk_seek(&w, ofs, first, rd->from, err);
    if (rc == LC_OK && w.s.size >= SEG_HDR)
        rc = walk_records(&w, last, reader_cb, rd, err);
    if (rc == LC_OK && !last && w.records == 0)
        rc = LC_CORRUPT(err, "commit log segment %s holds no records but is not the last", path);
    rd->expect = w.expect;
    scan_free(&w.s);
    close(fd);
    return rc;
}

int dur_log_read(const char *dir, uint64_t from, dur_record_cb cb, void *arg, lc_err_t *err)
{
    char clog[PATH_MAX];
    if (strlen(dir) + 64 >= PATH_MAX)
        return lc_err_set(err, LC_EINVAL, "the database directory path is too long");
    snprintf(clog, sizeof clog, "%s/clog", dir);
    seglist_t segs = {0};
    bool missing = false;
    int rc = list_segments(clog, &segs, &missing, err);
    size_t start = 0;
    while (start + 1 < segs.n && segs.v[start + 1] <= from) start++;
    reader_t rd = {.dir = clog, .segs = &segs, .from = from, .cb = cb, .arg = arg};
    for (size_t i = start; rc == LC_OK && i < segs.n; i++)
        rc = read_segment(&rd, i, i == start && from > segs.v[i], err);
    lc_free(segs.v);
    return rc;
}
