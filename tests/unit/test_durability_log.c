/*
 * Commit log and group commit tests: round trips across segments, offset
 * rules, a torn tail cut at every byte and every bit of the last record
 * flipped (repaired), every bit of a middle record flipped (LC_ECORRUPT,
 * file unchanged), damage in earlier segments, reads from the middle with
 * and without a usable index, prune, injected write and fsync failures, and
 * the writer under each fsync policy.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "durability/durability.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

/* Record `off` of the test logs: varying lengths (0 included), bytes
 * derived from the offset so that a misplaced record is noticed. */
static size_t payload_len(uint64_t off)
{
    return (size_t)(off * 37 % 120);
}

static void make_payload(uint64_t off, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) p[i] = (uint8_t)(off * 131 + i * 7 + (i >> 8));
}

static int append_one(dur_log_t *log, uint64_t off, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    make_payload(off, p, len);
    lc_err_t err;
    int rc = dur_log_append(log, off, p, len, &err);
    free(p);
    return rc;
}

static int append_range(dur_log_t *log, uint64_t from, uint64_t to)
{
    for (uint64_t off = from; off <= to; off++) {
        int rc = append_one(log, off, payload_len(off));
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* What dur_log_read delivered: consecutive offsets from `first`, each with
 * the payload make_payload gives it (of length len_of(off)). */
typedef struct collect {
    size_t (*len_of)(uint64_t off); /* NULL: payload_len */
    uint64_t first, next, count;
    bool bad;
} collect_t;

static int collect_cb(void *arg, uint64_t off, const uint8_t *p, size_t len)
{
    collect_t *c = arg;
    size_t want = c->len_of ? c->len_of(off) : payload_len(off);
    uint8_t *expect = malloc(want ? want : 1);
    make_payload(off, expect, want);
    bool ok = len == want && memcmp(p, expect, want) == 0 && (c->count == 0 || off == c->next);
    free(expect);
    if (!ok) {
        fprintf(stderr, "bad record %" PRIu64 " (len %zu, expected %zu)\n", off, len, want);
        c->bad = true;
        return LC_EINTERNAL;
    }
    if (c->count++ == 0)
        c->first = off;
    c->next = off + 1;
    return 0;
}

static int read_all(const char *dir, uint64_t from, collect_t *c, lc_err_t *err)
{
    memset(c, 0, sizeof *c);
    return dur_log_read(dir, from, collect_cb, c, err);
}

static void seg_file(char *out, size_t n, const char *dir, uint64_t first, const char *ext)
{
    snprintf(out, n, "%s/clog/%020" PRIu64 ".%s", dir, first, ext);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return NULL;
    uint8_t *p = malloc((size_t)st.st_size + 1);
    *len = (size_t)pread(fd, p, (size_t)st.st_size, 0);
    close(fd);
    return p;
}

static bool spit(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok = fd >= 0 && (size_t)write(fd, p, len) == len;
    if (fd >= 0)
        close(fd);
    return ok;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

/* The segments' first offsets, ascending; returns how many. */
static size_t list_segs(const char *dir, uint64_t *out, size_t max)
{
    char clog[512];
    snprintf(clog, sizeof clog, "%s/clog", dir);
    DIR *d = opendir(clog);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l == 24 && strcmp(e->d_name + 20, ".log") == 0 && n < max)
            out[n++] = strtoull(e->d_name, NULL, 10);
    }
    if (d)
        closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            uint64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

/* Byte positions of the records in a segment image; returns how many. */
static size_t record_positions(const uint8_t *p, size_t size, size_t *pos, size_t max)
{
    size_t n = 0;
    for (size_t at = 10; at + 26 <= size && n < max;) {
        pos[n++] = at;
        at += 26 + lc_load_u32le(p + at + 18);
    }
    return n;
}

static char *subdir(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", test_tmpdir(), name);
    return buf;
}

/* ---------------------------------------------------------------- the log */

TEST(log_round_trip_segments)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 2000, .index_interval = 256};
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_EQ_INT(info.last_offset, 0);
    CHECK_EQ_INT(info.first_offset, 0);
    CHECK_EQ_INT(info.segments, 0);
    CHECK_EQ_INT(dur_log_last_offset(log), 0);
    CHECK_OK(append_range(log, 1, 500));
    CHECK_EQ_INT(dur_log_last_offset(log), 500);
    CHECK(dur_log_bytes_written(log) > 500 * 26);
    CHECK_OK(dur_log_close(log, &err));

    uint64_t segs[256];
    size_t nsegs = list_segs(dir, segs, 256);
    CHECK(nsegs > 10);
    CHECK_EQ_INT(segs[0], 1);
    collect_t c;
    CHECK_OK(read_all(dir, 1, &c, &err));
    CHECK_EQ_INT(c.count, 500);
    CHECK_EQ_INT(c.first, 1);

    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_EQ_INT(info.first_offset, 1);
    CHECK_EQ_INT(info.last_offset, 500);
    CHECK_EQ_INT(info.segments, nsegs);
    CHECK(!info.tail_repaired);
    CHECK_OK(append_range(log, 501, 600));
    CHECK_OK(dur_log_sync(log, &err));
    CHECK_OK(read_all(dir, 0, &c, &err)); /* while open: everything synced is there */
    CHECK_EQ_INT(c.count, 600);
    CHECK_OK(dur_log_close(log, &err));
    CHECK_OK(read_all(dir, 0, &c, &err));
    CHECK_EQ_INT(c.count, 600);
    CHECK_EQ_INT(c.first, 1);
}

TEST(log_offsets_consecutive)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, &info, &err));
    CHECK_EQ_INT(append_one(log, 0, 3), LC_EINVAL);
    CHECK_OK(append_one(log, 5, payload_len(5))); /* an empty log starts anywhere */
    CHECK_EQ_INT(append_one(log, 7, 3), LC_EINVAL);
    CHECK_EQ_INT(append_one(log, 5, 3), LC_EINVAL);
    CHECK_OK(append_one(log, 6, payload_len(6)));
    CHECK_EQ_INT(dur_log_last_offset(log), 6);
    CHECK_OK(dur_log_close(log, &err));

    CHECK_OK(dur_log_open(dir, NULL, &log, &info, &err));
    CHECK_EQ_INT(info.first_offset, 5);
    CHECK_EQ_INT(info.last_offset, 6);
    CHECK_EQ_INT(dur_log_append(log, 8, "x", 1, &err), LC_EINVAL);
    CHECK(strstr(err.msg, "consecutive") != NULL);
    CHECK_OK(dur_log_close(log, &err));
    collect_t c;
    CHECK_OK(read_all(dir, 1, &c, &err));
    CHECK_EQ_INT(c.first, 5);
    CHECK_EQ_INT(c.count, 2);
}

static size_t big_len(uint64_t off)
{
    return off == 2 ? 300000 : off == 4 ? 2000000 : payload_len(off);
}

/* Records larger than the write buffer go straight to the file. */
TEST(log_large_records)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    for (uint64_t off = 1; off <= 6; off++) CHECK_OK(append_one(log, off, big_len(off)));
    CHECK_OK(dur_log_close(log, &err));
    collect_t c = {.len_of = big_len};
    CHECK_OK(dur_log_read(dir, 1, collect_cb, &c, &err));
    CHECK_EQ_INT(c.count, 6);
    CHECK(!c.bad);
    memset(&c, 0, sizeof c);
    c.len_of = big_len;
    CHECK_OK(dur_log_read(dir, 5, collect_cb, &c, &err));
    CHECK_EQ_INT(c.first, 5);
    CHECK_EQ_INT(c.count, 2);
}

/* max_segment_size 1: every record rotates, leaving an empty last segment;
 * prune down to it; an empty log restarts at any offset. */
TEST(log_empty_segments_and_prune)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 1};
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    uint64_t segs[16];
    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_OK(append_range(log, 1, 3));
    CHECK_OK(dur_log_close(log, &err));
    CHECK_EQ_INT(list_segs(dir, segs, 16), 4);
    CHECK_EQ_INT(segs[3], 4);

    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_EQ_INT(info.first_offset, 1);
    CHECK_EQ_INT(info.last_offset, 3);
    CHECK_EQ_INT(info.segments, 4);
    CHECK_OK(append_range(log, 4, 4));
    CHECK_OK(dur_log_prune(log, 4, &err)); /* segments 1..4 go, empty 5 stays */
    CHECK_EQ_INT(list_segs(dir, segs, 16), 1);
    CHECK_EQ_INT(segs[0], 5);
    char path[600];
    seg_file(path, sizeof path, dir, 1, "ofs");
    CHECK(access(path, F_OK) != 0);
    CHECK_OK(append_range(log, 5, 5));
    CHECK_OK(dur_log_prune(log, 5, &err));
    CHECK_OK(dur_log_close(log, &err));
    CHECK_EQ_INT(list_segs(dir, segs, 16), 1);
    CHECK_EQ_INT(segs[0], 6);

    /* Only an empty segment left: the log is empty and may start anywhere. */
    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_EQ_INT(info.last_offset, 0);
    CHECK_EQ_INT(info.first_offset, 0);
    CHECK_EQ_INT(info.segments, 1);
    CHECK_OK(append_range(log, 10, 10));
    CHECK_OK(dur_log_close(log, &err));
    CHECK_EQ_INT(list_segs(dir, segs, 16), 2);
    CHECK_EQ_INT(segs[0], 10);
    collect_t c;
    CHECK_OK(read_all(dir, 0, &c, &err));
    CHECK_EQ_INT(c.first, 10);
    CHECK_EQ_INT(c.count, 1);
}

TEST(log_prune_keeps_a_suffix)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 2000, .index_interval = 512};
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    uint64_t segs[256], after[256];
    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_OK(append_range(log, 1, 300));
    size_t n = list_segs(dir, segs, 256);
    CHECK(n > 6);
    CHECK_OK(dur_log_prune(log, segs[3] - 2, &err)); /* segment 2 still needed */
    CHECK_EQ_INT(list_segs(dir, after, 256), n - 2);
    CHECK_EQ_INT(after[0], segs[2]);
    CHECK_OK(dur_log_prune(log, segs[3] - 1, &err));
    CHECK_EQ_INT(list_segs(dir, after, 256), n - 3);
    CHECK_EQ_INT(after[0], segs[3]);
    CHECK_OK(dur_log_close(log, &err));
    collect_t c;
    CHECK_OK(read_all(dir, 1, &c, &err));
    CHECK_EQ_INT(c.first, segs[3]);
    CHECK_EQ_INT(c.count, 300 - segs[3] + 1);
    CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
    CHECK_EQ_INT(info.first_offset, segs[3]);
    CHECK_EQ_INT(info.last_offset, 300);
    CHECK_OK(dur_log_prune(log, UINT64_MAX, &err)); /* never the last segment */
    CHECK_EQ_INT(list_segs(dir, after, 256), 1);
    CHECK_OK(append_range(log, 301, 310));
    CHECK_OK(dur_log_close(log, &err));
    CHECK_OK(read_all(dir, 0, &c, &err));
    CHECK_EQ_INT(c.first, after[0]);
    CHECK_EQ_INT(c.next, 311);
}

/* Cut the file at every byte of its last record: opening keeps the
 * records before it, and appending goes on with the right offset. */
TEST(log_torn_tail_every_byte)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(append_range(log, 1, 20));
    CHECK_OK(dur_log_close(log, &err));
    char path[600];
    seg_file(path, sizeof path, dir, 1, "log");
    size_t size;
    uint8_t *orig = slurp(path, &size);
    CHECK(orig != NULL);
    size_t start = size - (26 + payload_len(20));
    lc_log_level_t level = lc_log_get_level();
    lc_log_set_level(LC_LOG_ERROR); /* one warning per repair */
    bool ok = true;
    for (size_t cut = start; cut < size && ok; cut++) {
        ok = spit(path, orig, cut) && dur_log_open(dir, NULL, &log, &info, &err) == LC_OK;
        if (!ok)
            break;
        ok = info.last_offset == 19 && info.tail_repaired == (cut > start) &&
             info.cut_bytes == cut - start && file_size(path) == start;
        ok = append_range(log, 20, 20) == LC_OK && ok;
        ok = dur_log_close(log, &err) == LC_OK && ok;
        collect_t c;
        ok = ok && read_all(dir, 1, &c, &err) == LC_OK && c.count == 20;
        CHECK_MSG(ok, "cut at byte %zu of %zu: %s", cut, size, err.msg);
    }
    lc_log_set_level(level);
    free(orig);
    CHECK(ok);
    CHECK_EQ_INT(file_size(path), size);
}

/* A crash right after creating a segment leaves less than a header. */
TEST(log_torn_segment_header)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 1}; /* the last segment is empty */
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    uint64_t segs[64];
    CHECK_OK(dur_log_open(dir, &opt, &log, NULL, &err));
    CHECK_OK(append_range(log, 1, 20));
    CHECK_OK(dur_log_close(log, &err));
    size_t n = list_segs(dir, segs, 64);
    char path[600];
    seg_file(path, sizeof path, dir, segs[n - 1], "log");
    lc_log_level_t level = lc_log_get_level();
    lc_log_set_level(LC_LOG_ERROR);
    for (size_t cut = 0; cut < 10; cut++) {
        CHECK_OK(truncate(path, (off_t)cut));
        CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
        CHECK(info.tail_repaired);
        CHECK_EQ_INT(info.last_offset, 20);
        CHECK_EQ_INT(file_size(path), 10);
        CHECK_OK(dur_log_close(log, &err));
    }
    lc_log_set_level(level);
    collect_t c;
    CHECK_OK(read_all(dir, 1, &c, &err));
    CHECK_EQ_INT(c.count, 20);
}

/* Every bit of the last record flipped: a torn tail, repaired. */
TEST(log_bitflip_last_record_is_torn)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(append_range(log, 1, 20));
    CHECK_OK(dur_log_close(log, &err));
    char path[600];
    seg_file(path, sizeof path, dir, 1, "log");
    size_t size;
    uint8_t *orig = slurp(path, &size);
    CHECK(orig != NULL);
    size_t start = size - (26 + payload_len(20));
    lc_log_level_t level = lc_log_get_level();
    lc_log_set_level(LC_LOG_ERROR);
    bool ok = true;
    for (size_t bit = start * 8; bit < size * 8 && ok; bit++) {
        orig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ok = spit(path, orig, size);
        orig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ok = ok && dur_log_open(dir, NULL, &log, &info, &err) == LC_OK;
        if (!ok)
            break;
        ok = info.tail_repaired && info.last_offset == 19 && info.cut_bytes == size - start;
        ok = dur_log_close(log, &err) == LC_OK && ok;
    }
    lc_log_set_level(level);
    free(orig);
    CHECK_MSG(ok, "flipping a bit of the last record: %s", err.msg);
}

/* Every bit of a middle record flipped: LC_ECORRUPT naming the file, for
 * open and read, and the file is left as it was. */
TEST(log_bitflip_middle_record_is_corrupt)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(append_range(log, 1, 20));
    CHECK_OK(dur_log_close(log, &err));
    char path[600];
    seg_file(path, sizeof path, dir, 1, "log");
    size_t size, pos[32];
    uint8_t *orig = slurp(path, &size);
    CHECK(orig != NULL);
    CHECK_EQ_INT(record_positions(orig, size, pos, 32), 20);
    bool ok = true;
    for (size_t bit = pos[9] * 8; bit < pos[10] * 8 && ok; bit++) {
        orig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ok = spit(path, orig, size);
        ok = ok && dur_log_open(dir, NULL, &log, NULL, &err) == LC_ECORRUPT && log == NULL;
        ok = ok && strstr(err.msg, "00000000000000000001.log") != NULL;
        collect_t c;
        ok = ok && read_all(dir, 0, &c, &err) == LC_ECORRUPT && c.count < 10;
        size_t now_len;
        uint8_t *now = slurp(path, &now_len);
        ok = ok && now && now_len == size && memcmp(now, orig, size) == 0;
        free(now);
        orig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_MSG(ok, "bit %zu of record 10: %s", bit - pos[9] * 8, err.msg);
    }
    free(orig);
}

/* Damage in a segment that is not the last is never a torn tail. */
TEST(log_damage_in_earlier_segment)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 2000, .index_interval = 256};
    dur_log_t *log;
    lc_err_t err;
    collect_t c;
    uint64_t segs[256];
    CHECK_OK(dur_log_open(dir, &opt, &log, NULL, &err));
    CHECK_OK(append_range(log, 1, 200));
    CHECK_OK(dur_log_close(log, &err));
    CHECK(list_segs(dir, segs, 256) > 4);
    char path[600];
    seg_file(path, sizeof path, dir, segs[1], "log");
    size_t size, pos[64];
    uint8_t *orig = slurp(path, &size);
    CHECK(orig != NULL);
    size_t n = record_positions(orig, size, pos, 64);
    CHECK(n > 3);

    /* the last record of segment 2: open checks segment tails */
    orig[size - 2] ^= 0x10;
    CHECK(spit(path, orig, size));
    CHECK_EQ_INT(dur_log_open(dir, &opt, &log, NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, path + strlen(dir) + 6) != NULL);
    CHECK_EQ_INT(read_all(dir, 1, &c, &err), LC_ECORRUPT);
    CHECK_EQ_INT(c.next, segs[1] + n - 1);
    orig[size - 2] ^= 0x10;

    /* truncated: a torn write, but not in the last segment */
    CHECK(spit(path, orig, size - 3));
    CHECK_EQ_INT(dur_log_open(dir, &opt, &log, NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(read_all(dir, 1, &c, &err), LC_ECORRUPT);

    /* the first record of segment 2: reading through it fails; reading from
     * the last record of the segment seeks past it with the index */
    orig[pos[1] - 1] ^= 0x01;
    CHECK(spit(path, orig, size));
    CHECK_EQ_INT(read_all(dir, 1, &c, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "checksum") != NULL);
    CHECK_OK(read_all(dir, segs[2] - 1, &c, &err));
    CHECK_EQ_INT(c.first, segs[2] - 1);
    CHECK_EQ_INT(c.count, 200 - segs[2] + 2);
    orig[pos[1] - 1] ^= 0x01;

    /* a bad segment header */
    orig[2] ^= 0xff;
    CHECK(spit(path, orig, size));
    CHECK_EQ_INT(dur_log_open(dir, &opt, &log, NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "magic") != NULL);
    orig[2] ^= 0xff;
    CHECK(spit(path, orig, size));
    free(orig);
    CHECK_OK(read_all(dir, 1, &c, &err));
    CHECK_EQ_INT(c.count, 200);

    /* a missing segment: offsets not consecutive */
    char ofs[600];
    seg_file(path, sizeof path, dir, segs[2], "log");
    seg_file(ofs, sizeof ofs, dir, segs[2], "ofs");
    CHECK_OK(unlink(path));
    unlink(ofs);
    CHECK_EQ_INT(dur_log_open(dir, &opt, &log, NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "consecutive") != NULL);
    CHECK_EQ_INT(read_all(dir, 1, &c, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "consecutive") != NULL);
}

/* Reads starting anywhere, with the index, with a garbage index, and
 * without one. */
TEST(log_read_from_middle)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 64 * 1024, .index_interval = 1024};
    dur_log_t *log;
    lc_err_t err;
    collect_t c;
    uint64_t segs[64];
    CHECK_OK(dur_log_open(dir, &opt, &log, NULL, &err));
    CHECK_OK(append_range(log, 1, 2000));
    CHECK_OK(dur_log_close(log, &err));
    size_t n = list_segs(dir, segs, 64);
    CHECK(n > 2);
    char ofs[600];
    seg_file(ofs, sizeof ofs, dir, segs[0], "ofs");
    CHECK(file_size(ofs) > 16 * 30 && file_size(ofs) % 16 == 0);

    uint64_t froms[64 * 3 + 8] = {0, 1, 2, 777, 1000, 1999, 2000, 2001};
    size_t nf = 8;
    for (size_t i = 0; i < n; i++) {
        froms[nf++] = segs[i] - 1;
        froms[nf++] = segs[i];
        froms[nf++] = segs[i] + 1;
    }
    for (int round = 0; round < 3; round++) {
        if (round == 1) { /* garbage indexes */
            for (size_t i = 0; i < n; i++) {
                seg_file(ofs, sizeof ofs, dir, segs[i], "ofs");
                size_t len;
                uint8_t *p = slurp(ofs, &len);
                CHECK(p != NULL);
                for (size_t j = 8; j + 8 <= len; j += 16) p[j] += 26; /* shifted positions */
                if (i == 1)
                    for (size_t j = 0; j < len; j++) p[j] = (uint8_t)(j * 77);
                CHECK(spit(ofs, p, len));
                free(p);
            }
        }
        if (round == 2) /* no indexes at all */
            for (size_t i = 0; i < n; i++) {
                seg_file(ofs, sizeof ofs, dir, segs[i], "ofs");
                CHECK_OK(unlink(ofs));
            }
        for (size_t i = 0; i < nf; i++) {
            uint64_t from = froms[i];
            CHECK_OK(read_all(dir, from, &c, &err));
            uint64_t want_first = from ? from : 1;
            CHECK_EQ_INT(c.count, from > 2000 ? 0 : 2000 - want_first + 1);
            if (c.count)
                CHECK_EQ_INT(c.first, want_first);
        }
    }
    /* opening rebuilds the last segment's index */
    CHECK_OK(dur_log_open(dir, &opt, &log, NULL, &err));
    CHECK_OK(dur_log_close(log, &err));
    seg_file(ofs, sizeof ofs, dir, segs[n - 1], "ofs");
    CHECK(file_size(ofs) > 0 && file_size(ofs) != UINT64_MAX);
}

static void quiet_log(int *saved_fd)
{
    *saved_fd = open("/dev/null", O_WRONLY);
    if (*saved_fd >= 0)
        lc_log_set_fd(*saved_fd);
}

static void loud_log(int fd)
{
    lc_log_set_fd(2);
    if (fd >= 0)
        close(fd);
}

/* A failed write or fdatasync breaks the log until it is reopened. */
TEST(log_io_failure)
{
    for (long nth = 1; nth <= 2; nth++) {
        char *dir = subdir(nth == 1 ? "a" : "b");
        dur_log_t *log;
        lc_err_t err;
        CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
        CHECK_OK(append_range(log, 1, 10));
        CHECK_OK(dur_log_sync(log, &err));
        dur_fault_io_after(nth); /* 1: the write fails; 2: the fdatasync */
        CHECK_OK(append_range(log, 11, 11));
        int rc = dur_log_sync(log, &err);
        dur_fault_io_after(0);
        CHECK_EQ_INT(rc, LC_EIO);
        CHECK(strstr(err.msg, nth == 1 ? "cannot write" : "fdatasync") != NULL);
        CHECK(strstr(err.msg, "Input/output error") != NULL);
        CHECK_EQ_INT(append_one(log, 12, 1), LC_EIO);
        CHECK_EQ_INT(dur_log_sync(log, &err), LC_EIO);
        CHECK(strstr(err.msg, "earlier failure") != NULL);
        CHECK_EQ_INT(dur_log_close(log, &err), LC_EIO);
        dur_log_open_info_t info;
        CHECK_OK(dur_log_open(dir, NULL, &log, &info, &err));
        CHECK_EQ_INT(info.last_offset, nth == 1 ? 10 : 11);
        CHECK_OK(dur_log_close(log, &err));
    }
}

/* Each I/O step of a rotation failing in turn: the old segment's write (1)
 * and fdatasync (2), creating the new one (3), its header write (4) and
 * fdatasync (5).  The log reopens with everything that reached the file. */
TEST(log_rotation_failure)
{
    lc_log_level_t level = lc_log_get_level();
    lc_log_set_level(LC_LOG_ERROR); /* a repaired segment header warns */
    for (long nth = 1; nth <= 5; nth++) {
        char name[8];
        snprintf(name, sizeof name, "r%ld", nth);
        char *dir = subdir(name);
        dur_log_options_t opt = {.max_segment_size = 1000};
        dur_log_t *log;
        lc_err_t err;
        uint64_t segs[8];
        CHECK_OK(dur_log_open(dir, &opt, &log, NULL, &err));
        uint64_t off = 1;
        for (; dur_log_bytes_written(log) + 10 + 26 + payload_len(off) < 1000; off++)
            CHECK_OK(append_range(log, off, off));
        CHECK_OK(dur_log_sync(log, &err));
        CHECK_EQ_INT(list_segs(dir, segs, 8), 1);
        dur_fault_io_after(nth);
        int rc = append_range(log, off, off); /* this one rotates */
        dur_fault_io_after(0);
        CHECK_EQ_INT(rc, LC_EIO);
        CHECK_EQ_INT(dur_log_close(log, &err), LC_EIO);
        dur_log_open_info_t info;
        CHECK_OK(dur_log_open(dir, &opt, &log, &info, &err));
        CHECK_EQ_INT(info.last_offset, nth == 1 ? off - 1 : off);
        CHECK_EQ_INT(info.segments, nth <= 3 ? 1 : 2);
        CHECK_EQ_INT(info.tail_repaired, nth == 4);
        CHECK_OK(append_range(log, info.last_offset + 1, off + 5));
        CHECK_OK(dur_log_close(log, &err));
        collect_t c;
        CHECK_OK(read_all(dir, 0, &c, &err));
        CHECK_EQ_INT(c.count, off + 5);
    }
    lc_log_set_level(level);
}

/* ---------------------------------------------------------------- the writer */

enum { W_RECORDS = 10000, W_LEN = 100 };

static size_t fixed_len(uint64_t off)
{
    (void)off;
    return W_LEN;
}

typedef struct durable_seen {
    _Atomic uint64_t last, calls;
    atomic_bool backwards;
} durable_seen_t;

static void on_durable(void *arg, uint64_t offset)
{
    durable_seen_t *s = arg;
    if (offset <= atomic_load(&s->last))
        atomic_store(&s->backwards, true);
    atomic_store(&s->last, offset);
    atomic_fetch_add(&s->calls, 1);
}

static int submit_range(dur_writer_t *w, uint64_t from, uint64_t to, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    int rc = LC_OK;
    for (uint64_t off = from; off <= to && rc == LC_OK; off++) {
        make_payload(off, p, len);
        rc = dur_writer_submit(w, off, p, len, NULL);
    }
    free(p);
    return rc;
}

static void run_policy(dur_fsync_policy_t policy, uint32_t interval_ms, const char *name)
{
    char *dir = subdir(name);
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    durable_seen_t seen = {0};
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, policy, interval_ms, on_durable, &seen, &w, &err));
    CHECK_EQ_INT(dur_writer_durable(w), 0);
    CHECK_OK(submit_range(w, 1, W_RECORDS, W_LEN));
    CHECK_OK(dur_writer_wait(w, W_RECORDS, 30 * 1000000));
    CHECK_EQ_INT(dur_writer_durable(w), W_RECORDS);
    dur_writer_stats_t st;
    dur_writer_stats(w, &st);
    CHECK_EQ_INT(st.records, W_RECORDS);
    CHECK_EQ_INT(st.bytes, (uint64_t)W_RECORDS * W_LEN);
    CHECK(st.batches >= 1 && st.batches <= st.records);
    if (policy == DUR_FSYNC_NEVER)
        CHECK_EQ_INT(st.fsyncs, 0);
    else
        CHECK(st.fsyncs >= 1 && st.fsyncs <= st.batches + 1);
    if (policy == DUR_FSYNC_EVERY_BATCH) /* a fast submitter: big batches */
        CHECK_MSG(st.fsyncs * 10 < st.records, "%" PRIu64 " fsyncs for %" PRIu64 " records",
                  st.fsyncs, st.records);
    CHECK_OK(dur_writer_stop(w, &err));
    CHECK_EQ_INT(atomic_load(&seen.last), W_RECORDS);
    CHECK(!atomic_load(&seen.backwards));

    dur_log_open_info_t info;
    CHECK_OK(dur_log_open(dir, NULL, &log, &info, &err));
    CHECK_EQ_INT(info.last_offset, W_RECORDS);
    CHECK(!info.tail_repaired);
    CHECK_OK(dur_log_close(log, &err));
    collect_t c = {.len_of = fixed_len};
    CHECK_OK(dur_log_read(dir, 1, collect_cb, &c, &err));
    CHECK_EQ_INT(c.count, W_RECORDS);
}

TEST(writer_every_batch)
{
    run_policy(DUR_FSYNC_EVERY_BATCH, 0, "every");
}

TEST(writer_interval)
{
    run_policy(DUR_FSYNC_INTERVAL, 5, "interval");
}

TEST(writer_never)
{
    run_policy(DUR_FSYNC_NEVER, 0, "never");
}

/* INTERVAL: a lone record becomes durable by the timer, not by more work. */
TEST(writer_interval_timer)
{
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    CHECK_OK(dur_log_open(test_tmpdir(), NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_INTERVAL, 50, NULL, NULL, &w, &err));
    int64_t t0 = lc_now_mono_us();
    CHECK_OK(submit_range(w, 1, 1, 10));
    CHECK_OK(dur_writer_wait(w, 1, 10 * 1000000));
    int64_t took = lc_now_mono_us() - t0;
    CHECK_MSG(took < 5 * 1000000, "took %lld us", (long long)took);
    dur_writer_stats_t st;
    dur_writer_stats(w, &st);
    CHECK_EQ_INT(st.fsyncs, 1);
    CHECK_OK(dur_writer_stop(w, &err));
}

/* One record framed as dur_writer_submit_framed takes it, into buf. */
static size_t frame_one(uint64_t off, uint8_t *buf)
{
    lc_store_u32le(buf, W_LEN);
    make_payload(off, buf + 4, W_LEN);
    return 4 + W_LEN;
}

typedef struct inline_seen {
    durable_seen_t seen;
    pthread_t caller;
    atomic_uint on_caller; /* on_durable calls on the submitting thread */
} inline_seen_t;

static void on_durable_where(void *arg, uint64_t offset)
{
    inline_seen_t *s = arg;
    on_durable(&s->seen, offset);
    if (pthread_equal(pthread_self(), s->caller))
        atomic_fetch_add(&s->on_caller, 1);
}

/* Inline commits: an idle writer lets the submitter append, sync and
 * publish itself (durable on return, on_durable on its thread); mixed with
 * queued submits the offsets stay consecutive and every record is in the
 * log once; other policies and bad frames go the usual way. */
TEST(writer_inline_commit)
{
    char *dir = subdir("inline");
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    inline_seen_t seen = {.caller = pthread_self()};
    uint8_t buf[4 + W_LEN];
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, on_durable_where, &seen, &w, &err));
    uint64_t off = 1;
    for (; off <= 50; off++) { /* idle each time: synced here */
        size_t n = frame_one(off, buf);
        CHECK_OK(dur_writer_submit_framed_inline(w, off, 1, buf, n, &err));
        CHECK_EQ_INT(dur_writer_durable(w), off);
    }
    CHECK_EQ_INT(atomic_load(&seen.on_caller), 50);
    for (; off <= 2000; off++) { /* queued and inline interleaved */
        size_t n = frame_one(off, buf);
        int rc = off % 3 ? dur_writer_submit(w, off, buf + 4, W_LEN, &err)
                         : dur_writer_submit_framed_inline(w, off, 1, buf, n, &err);
        CHECK_OK(rc);
    }
    CHECK_OK(dur_writer_wait(w, 2000, 30 * 1000000));
    size_t n = frame_one(off, buf);
    CHECK_EQ_INT(dur_writer_submit_framed_inline(w, off + 1, 1, buf, n, &err), LC_EINVAL);
    CHECK_EQ_INT(dur_writer_submit_framed_inline(w, off, 1, buf, n - 1, &err), LC_EINVAL);
    dur_writer_stats_t st;
    dur_writer_stats(w, &st);
    CHECK_EQ_INT(st.records, 2000);
    CHECK_OK(dur_writer_stop(w, &err));
    CHECK(!atomic_load(&seen.seen.backwards));
    CHECK_EQ_INT(atomic_load(&seen.seen.last), 2000);
    collect_t c = {.len_of = fixed_len};
    CHECK_OK(dur_log_read(dir, 1, collect_cb, &c, &err));
    CHECK_EQ_INT(c.count, 2000);

    /* INTERVAL: never inline; durable waits for the timer. */
    dir = subdir("inline-interval");
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_INTERVAL, 200, NULL, NULL, &w, &err));
    n = frame_one(1, buf);
    CHECK_OK(dur_writer_submit_framed_inline(w, 1, 1, buf, n, &err));
    CHECK_EQ_INT(dur_writer_durable(w), 0);
    CHECK_OK(dur_writer_wait(w, 1, 10 * 1000000));
    CHECK_OK(dur_writer_stop(w, &err));
}

TEST(writer_offsets_and_timeouts)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, NULL, NULL, &w, &err));
    CHECK_OK(dur_writer_wait(w, 0, 0));
    CHECK_EQ_INT(dur_writer_wait(w, 1, 0), LC_EBUSY);
    CHECK_EQ_INT(dur_writer_wait(w, 1, 2000), LC_EBUSY);
    CHECK_EQ_INT(dur_writer_submit(w, 0, "x", 1, &err), LC_EINVAL);
    CHECK_OK(dur_writer_submit(w, 3, "x", 1, &err)); /* an empty log starts anywhere */
    CHECK_EQ_INT(dur_writer_submit(w, 5, "x", 1, &err), LC_EINVAL);
    CHECK(strstr(err.msg, "consecutive") != NULL);
    CHECK_OK(dur_writer_submit(w, 4, "", 0, &err));
    CHECK_OK(dur_writer_wait(w, 4, -1));
    CHECK_OK(dur_writer_stop(w, &err));

    /* a writer on a non-empty log continues it */
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_NEVER, 0, NULL, NULL, &w, &err));
    CHECK_EQ_INT(dur_writer_durable(w), 4);
    CHECK_EQ_INT(dur_writer_submit(w, 4, "x", 1, &err), LC_EINVAL);
    CHECK_EQ_INT(dur_writer_submit(w, 6, "x", 1, &err), LC_EINVAL);
    CHECK_OK(dur_writer_submit(w, 5, "x", 1, &err));
    CHECK_OK(dur_writer_wait(w, 5, -1));
    CHECK_OK(dur_writer_stop(w, &err));
    dur_log_open_info_t info;
    CHECK_OK(dur_log_open(dir, NULL, &log, &info, &err));
    CHECK_EQ_INT(info.first_offset, 3);
    CHECK_EQ_INT(info.last_offset, 5);
    CHECK_OK(dur_log_close(log, &err));
}

typedef struct live_reader {
    const char *dir;
    atomic_bool done;
    int reads, failures;
    uint64_t most;
    char msg[LC_ERR_MSG_MAX];
} live_reader_t;

static void *live_read_main(void *arg)
{
    live_reader_t *lr = arg;
    while (!atomic_load(&lr->done)) {
        collect_t c = {.len_of = fixed_len};
        lc_err_t err;
        int rc = dur_log_read(lr->dir, 1, collect_cb, &c, &err);
        lr->reads++;
        if (rc != LC_OK || (c.count && c.first != 1)) {
            lr->failures++;
            snprintf(lr->msg, sizeof lr->msg, "%s", err.msg);
        }
        lr->most = LC_MAX(lr->most, c.count);
    }
    return NULL;
}

/* dur_log_read while a writer appends and rotates: every read sees a
 * clean prefix of the log (a record being written is its end). */
TEST(writer_concurrent_reader)
{
    const char *dir = test_tmpdir();
    dur_log_options_t opt = {.max_segment_size = 64 * 1024, .index_interval = 1024};
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, &opt, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_NEVER, 0, NULL, NULL, &w, &err));
    live_reader_t lr = {.dir = dir};
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, live_read_main, &lr));
    int rc = LC_OK;
    for (uint64_t off = 1; off <= 20000 && rc == LC_OK; off += 100) {
        rc = submit_range(w, off, off + 99, W_LEN);
        if (lr.reads < 3)
            usleep(1000);
    }
    CHECK_OK(dur_writer_wait(w, 20000, 10 * 1000000));
    atomic_store(&lr.done, true);
    pthread_join(t, NULL);
    CHECK_OK(rc);
    CHECK_OK(dur_writer_stop(w, &err));
    CHECK_MSG(lr.failures == 0, "%d of %d reads failed: %s", lr.failures, lr.reads, lr.msg);
    CHECK(lr.reads > 0);
}

static size_t huge_len(uint64_t off)
{
    return off == 7 ? 17u << 20 : 1u << 20;
}

/* Records of 1 MiB fill the 16 MiB queue (submit blocks); one larger than
 * the whole queue is let in alone. */
TEST(writer_big_records)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, NULL, NULL, &w, &err));
    uint8_t *p = malloc(17u << 20);
    CHECK(p != NULL);
    int rc = LC_OK;
    for (uint64_t off = 1; off <= 24 && rc == LC_OK; off++) {
        make_payload(off, p, huge_len(off));
        rc = dur_writer_submit(w, off, p, huge_len(off), &err);
    }
    free(p);
    CHECK_OK(rc);
    CHECK_OK(dur_writer_stop(w, &err));
    collect_t c = {.len_of = huge_len};
    CHECK_OK(dur_log_read(dir, 1, collect_cb, &c, &err));
    CHECK_EQ_INT(c.count, 24);
}

/* A failed write or fdatasync: waiters get LC_EIO, durable does not move,
 * submits are refused, stop reports it; reopening finds every record that
 * was durable.  nth: 1 fails the write of the batch, 2 its fdatasync. */
static void writer_fails_at(long nth)
{
    char name[8];
    snprintf(name, sizeof name, "f%ld", nth);
    char *dir = subdir(name);
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, NULL, NULL, &w, &err));
    CHECK_OK(submit_range(w, 1, 100, 50));
    CHECK_OK(dur_writer_wait(w, 100, 10 * 1000000));
    dur_fault_io_after(nth);
    CHECK_OK(submit_range(w, 101, 101, 50));
    int rc = dur_writer_wait(w, 101, 10 * 1000000);
    dur_fault_io_after(0);
    CHECK_EQ_INT(rc, LC_EIO);
    CHECK_EQ_INT(dur_writer_durable(w), 100);
    CHECK_OK(dur_writer_wait(w, 100, 0));
    CHECK_EQ_INT(dur_writer_submit(w, 102, "x", 1, &err), LC_EIO);
    CHECK(strstr(err.msg, "failed") != NULL);
    CHECK_EQ_INT(dur_writer_stop(w, &err), LC_EIO);
    dur_log_open_info_t info;
    CHECK_OK(dur_log_open(dir, NULL, &log, &info, &err));
    CHECK_EQ_INT(info.last_offset, nth == 1 ? 100 : 101);
    CHECK_OK(dur_log_close(log, &err));
}

TEST(writer_io_failure)
{
    int devnull;
    quiet_log(&devnull); /* the writer logs its failure as an error */
    writer_fails_at(1);
    writer_fails_at(2);
    loud_log(devnull);
}

const test_case_t test_durability_log_cases[] = {
    TEST_CASE(log_round_trip_segments),
    TEST_CASE(log_offsets_consecutive),
    TEST_CASE(log_large_records),
    TEST_CASE(log_empty_segments_and_prune),
    TEST_CASE(log_prune_keeps_a_suffix),
    TEST_CASE(log_torn_tail_every_byte),
    TEST_CASE(log_torn_segment_header),
    TEST_CASE(log_bitflip_last_record_is_torn),
    TEST_CASE(log_bitflip_middle_record_is_corrupt),
    TEST_CASE(log_damage_in_earlier_segment),
    TEST_CASE(log_read_from_middle),
    TEST_CASE(log_io_failure),
    TEST_CASE(log_rotation_failure),
    TEST_CASE(writer_every_batch),
    TEST_CASE(writer_interval),
    TEST_CASE(writer_never),
    TEST_CASE(writer_interval_timer),
    TEST_CASE(writer_offsets_and_timeouts),
    TEST_CASE(writer_inline_commit),
    TEST_CASE(writer_concurrent_reader),
    TEST_CASE(writer_big_records),
    TEST_CASE(writer_io_failure),
    TEST_END,
};
