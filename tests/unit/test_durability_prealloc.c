/*
 * test_durability_prealloc — the commit log's zero-filled segments (log.c
 * invariant 8) and the writer's framed batches (dur_writer_submit_framed).
 *
 * A crash leaves the last segment with its records followed by zeros: the
 * "crash" here is a copy of the segment taken while the log is open, after
 * a sync.  Opening the copy must keep every record with no repair and no
 * warning, append after them, and cut the zeros when the log is closed; a
 * torn record in front of the zeros is still a torn tail.  Readers treat
 * the zeros as the end of the log.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durability/durability.h"
#include "test.h"

static size_t plen(uint64_t off)
{
    return 20 + (size_t)(off % 7) * 9;
}

static void fill(uint64_t off, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(off * 31 + i);
}

static int append_to(dur_log_t *log, uint64_t from, uint64_t to)
{
    uint8_t p[128];
    for (uint64_t off = from; off <= to; off++) {
        fill(off, p, plen(off));
        int rc = dur_log_append(log, off, p, plen(off), NULL);
        if (rc)
            return rc;
    }
    return LC_OK;
}

typedef struct seen {
    uint64_t count, next;
    bool bad;
} seen_t;

static int seen_cb(void *arg, uint64_t off, const uint8_t *p, size_t len)
{
    seen_t *s = arg;
    uint8_t want[128];
    fill(off, want, plen(off));
    if (len != plen(off) || memcmp(p, want, len) != 0 || (s->count && off != s->next))
        s->bad = true;
    s->count++;
    s->next = off + 1;
    return s->bad ? LC_EINTERNAL : 0;
}

static uint64_t read_count(const char *dir, lc_err_t *err)
{
    seen_t s = {0};
    int rc = dur_log_read(dir, 1, seen_cb, &s, err);
    return rc || s.bad ? UINT64_MAX : s.count;
}

static void seg_path(char *out, size_t n, const char *dir)
{
    snprintf(out, n, "%s/clog/%020d.log", dir, 1);
}

static uint64_t fsize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

/* Copy file from into a fresh dir/clog as segment 1. */
static bool copy_seg(const char *from, const char *dir)
{
    char clog[700], to[800];
    snprintf(clog, sizeof clog, "%s/clog", dir);
    mkdir(dir, 0700);
    if (mkdir(clog, 0700) != 0)
        return false;
    seg_path(to, sizeof to, dir);
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok = in >= 0 && out >= 0;
    char buf[65536];
    ssize_t n;
    while (ok && (n = read(in, buf, sizeof buf)) > 0) ok = write(out, buf, (size_t)n) == n;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return ok;
}

/* Records end at byte end of path: what follows is all zeros. */
static bool zeros_after(const char *path, uint64_t end)
{
    int fd = open(path, O_RDONLY);
    uint8_t buf[4096];
    ssize_t n;
    bool ok = fd >= 0;
    for (uint64_t at = end; ok && (n = pread(fd, buf, sizeof buf, (off_t)at)) > 0;
         at += (uint64_t)n)
        for (ssize_t i = 0; i < n; i++) ok = ok && buf[i] == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static uint64_t records_bytes(uint64_t from, uint64_t to)
{
    uint64_t n = 0;
    for (uint64_t off = from; off <= to; off++) n += 26 + plen(off);
    return n;
}

/* A synced segment is zero-filled ahead of its records; close cuts it. */
TEST(prealloc_fills_and_close_trims)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    lc_err_t err;
    char path[600];
    seg_path(path, sizeof path, dir);
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(append_to(log, 1, 50));
    CHECK_OK(dur_log_sync(log, &err));
    uint64_t end = 10 + records_bytes(1, 50);
    CHECK(fsize(path) > end);
    CHECK(zeros_after(path, end));
    CHECK_EQ_INT(read_count(dir, &err), 50); /* a reader stops at the zeros */
    CHECK_OK(dur_log_close(log, &err));
    CHECK_EQ_INT(fsize(path), end);
    CHECK_EQ_INT(read_count(dir, &err), 50);
}

/* The state a crash leaves: records, then zeros.  Open keeps it all, with
 * no repair; appending goes on after the records. */
TEST(prealloc_zero_tail_is_not_torn)
{
    const char *dir = test_tmpdir();
    char crashed[600], from[700], path[800];
    snprintf(crashed, sizeof crashed, "%s/crashed", dir);
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(append_to(log, 1, 30));
    CHECK_OK(dur_log_sync(log, &err));
    seg_path(from, sizeof from, dir);
    CHECK(copy_seg(from, crashed));
    CHECK_OK(dur_log_close(log, &err));
    seg_path(path, sizeof path, crashed);
    uint64_t end = 10 + records_bytes(1, 30);
    CHECK(fsize(path) > end);
    CHECK_OK(dur_log_open(crashed, NULL, &log, &info, &err));
    CHECK(!info.tail_repaired);
    CHECK_EQ_INT(info.cut_bytes, 0);
    CHECK_EQ_INT(info.last_offset, 30);
    CHECK_OK(append_to(log, 31, 40));
    CHECK_OK(dur_log_close(log, &err));
    CHECK_EQ_INT(fsize(path), 10 + records_bytes(1, 40));
    CHECK_EQ_INT(read_count(crashed, &err), 40);
}

/* A record cut short in front of the zeros is a torn tail: cut, warned. */
TEST(prealloc_torn_record_before_zeros)
{
    const char *dir = test_tmpdir();
    char crashed[600], from[700], path[800];
    snprintf(crashed, sizeof crashed, "%s/crashed", dir);
    dur_log_t *log;
    dur_log_open_info_t info;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(append_to(log, 1, 30));
    CHECK_OK(dur_log_sync(log, &err));
    seg_path(from, sizeof from, dir);
    CHECK(copy_seg(from, crashed));
    CHECK_OK(dur_log_close(log, &err));
    seg_path(path, sizeof path, crashed);
    /* zero the second half of record 30: its write was torn */
    uint64_t start = 10 + records_bytes(1, 29), len = 26 + plen(30);
    uint8_t z[128] = {0};
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ_INT(pwrite(fd, z, (size_t)(len / 2), (off_t)(start + len - len / 2)), (long)(len / 2));
    close(fd);
    lc_log_level_t level = lc_log_get_level();
    lc_log_set_level(LC_LOG_ERROR); /* the repair warns */
    int rc = dur_log_open(crashed, NULL, &log, &info, &err);
    lc_log_set_level(level);
    CHECK_OK(rc);
    CHECK(info.tail_repaired);
    CHECK_EQ_INT(info.last_offset, 29);
    CHECK_EQ_INT(fsize(path), start);
    CHECK_OK(dur_log_close(log, &err));
    CHECK_EQ_INT(read_count(crashed, &err), 29);
}

static int frame(lc_buf_t *b, uint64_t off)
{
    uint8_t p[128];
    fill(off, p, plen(off));
    lc_buf_put_u32le(b, (uint32_t)plen(off));
    return lc_buf_append(b, p, plen(off));
}

/* Framed batches land as separate records with consecutive offsets; bad
 * framing is refused and queues nothing. */
TEST(writer_submit_framed)
{
    const char *dir = test_tmpdir();
    dur_log_t *log;
    dur_writer_t *w;
    lc_err_t err;
    CHECK_OK(dur_log_open(dir, NULL, &log, NULL, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, NULL, NULL, &w, &err));
    lc_buf_t b;
    lc_buf_init(&b);
    for (uint64_t off = 1; off <= 10; off++) CHECK_OK(frame(&b, off));
    CHECK_EQ_INT(dur_writer_submit_framed(w, 1, 11, b.data, b.len, &err), LC_EINVAL);
    CHECK_EQ_INT(dur_writer_submit_framed(w, 1, 10, b.data, b.len - 1, &err), LC_EINVAL);
    CHECK_EQ_INT(dur_writer_submit_framed(w, 1, 0, b.data, 0, &err), LC_EINVAL);
    CHECK_OK(dur_writer_submit_framed(w, 1, 10, b.data, b.len, &err));
    uint8_t p[128];
    fill(11, p, plen(11));
    CHECK_OK(dur_writer_submit(w, 11, p, plen(11), &err));
    lc_buf_reset(&b);
    CHECK_OK(frame(&b, 13));
    CHECK_EQ_INT(dur_writer_submit_framed(w, 13, 1, b.data, b.len, &err), LC_EINVAL); /* gap */
    lc_buf_reset(&b);
    for (uint64_t off = 12; off <= 20; off++) CHECK_OK(frame(&b, off));
    CHECK_OK(dur_writer_submit_framed(w, 12, 9, b.data, b.len, &err));
    lc_buf_free(&b);
    CHECK_OK(dur_writer_wait(w, 20, -1));
    dur_writer_stats_t st;
    dur_writer_stats(w, &st);
    CHECK_EQ_INT(st.records, 20);
    CHECK_OK(dur_writer_stop(w, &err));
    CHECK_EQ_INT(read_count(dir, &err), 20);
}

const test_case_t test_durability_prealloc_cases[] = {
    TEST_CASE(prealloc_fills_and_close_trims),
    TEST_CASE(prealloc_zero_tail_is_not_torn),
    TEST_CASE(prealloc_torn_record_before_zeros),
    TEST_CASE(writer_submit_framed),
    TEST_END,
};
