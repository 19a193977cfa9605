/*
 * Hot backup and restore of one database directory.
 *
 * A backup is itself a database directory: the newest snapshot and the log
 * records after it.  It can be taken while a server appends to the source:
 *   1. Copy the newest snapshot (snapshot files never change once they have
 *      their final name).
 *   2. Read the source log from the snapshot's offset + 1, record by record,
 *      and append each record to a fresh log in the destination.  Reading
 *      stops at the last whole record, so a record being written at that
 *      moment is simply not included: the copy is a transaction-consistent
 *      prefix of the source.
 *   3. Sync everything, then prove the copy by recovering it in memory.
 * Restore is the reverse: prove the backup by recovering it, then copy it
 * into the (absent or empty) target directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"

static int copy_file(const char *from, const char *to, lc_err_t *err)
{
    lc_buf_t b = {0};
    int rc = dur__read_file(from, &b, err);
    int fd = rc == LC_OK ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (rc == LC_OK && fd < 0)
        rc = lc_err_set(err, LC_EIO, "cannot create %s: %s", to, strerror(errno));
    if (rc == LC_OK)
        rc = dur__write_all(fd, b.data, b.len, to, err);
    if (rc == LC_OK && fdatasync(fd) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot sync %s: %s", to, strerror(errno));
    if (fd >= 0)
        close(fd);
    lc_buf_free(&b);
    return rc;
}

/* Step 1: returns the snapshot's offset (0 if there is none). */
static int copy_newest_snapshot(const char *src, const char *dst, uint64_t *offset, lc_err_t *err)
{
    char sdir[PATH_MAX], ddir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/snapshots", src);
    snprintf(ddir, sizeof ddir, "%s/snapshots", dst);
    uint64_t *offs;
    uint32_t n;
    *offset = 0;
    if (dur__list_snapshots(sdir, &offs, &n) != LC_OK)
        return lc_err_set(err, LC_EIO, "cannot list the snapshots in %s", sdir);
    int rc = LC_OK;
    if (n > 0) {
        *offset = offs[n - 1];
        dur__snapshot_path(from, sizeof from, sdir, *offset);
        dur__snapshot_path(to, sizeof to, ddir, *offset);
        rc = dur__mkdirs(ddir, err);
        if (rc == LC_OK)
            rc = copy_file(from, to, err);
        if (rc == LC_OK)
            rc = dur__fsync_dir(ddir, err);
    }
    lc_free(offs);
    return rc;
}

typedef struct copy_ctx {
    dur_log_t *log;
    uint64_t records;
    lc_err_t *err;
} copy_ctx_t;

static int copy_record(void *arg, uint64_t offset, const uint8_t *payload, size_t len)
{
    copy_ctx_t *c = arg;
    c->records++;
    return dur_log_append(c->log, offset, payload, len, c->err);
}

static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return errno == ENOENT;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Steps 1-2 from src into the empty directory dst. */
static int copy_database(const char *src, const char *dst, dur_recovery_info_t *info, lc_err_t *err)
{
    if (!dir_is_empty(dst))
        return lc_err_set(err, LC_EEXIST, "%s is not empty: choose a new directory", dst);
    uint64_t snap = 0;
    int rc = dur__mkdirs(dst, err);
    if (rc == LC_OK)
        rc = copy_newest_snapshot(src, dst, &snap, err);
    dur_log_t *log = NULL;
    dur_log_open_info_t li;
    if (rc == LC_OK)
        rc = dur_log_open(dst, NULL, &log, &li, err);
    copy_ctx_t ctx = {log, 0, err};
    if (rc == LC_OK)
        rc = dur_log_read(src, snap + 1, copy_record, &ctx, err);
    if (log) {
        lc_err_t close_err;
        int crc = dur_log_close(log, &close_err);
        if (rc == LC_OK && crc != LC_OK) {
            if (err)
                *err = close_err;
            rc = crc;
        }
    }
    info->snapshot_offset = snap;
    info->replayed = ctx.records;
    return rc;
}

/* Step 3: recovering the copy proves it whole. */
static int prove(const char *dir, dur_recovery_info_t *info, lc_err_t *err)
{
    store_db_t *db;
    int rc = dur_recover(dir, &db, info, err);
    if (rc != LC_OK)
        return lc_err_prefix(err, "the copy in %s does not recover", dir);
    store_db_close(db);
    return LC_OK;
}

int dur_backup(const char *src, const char *dst, dur_recovery_info_t *info, lc_err_t *err)
{
    memset(info, 0, sizeof *info);
    struct stat st;
    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_ENOTFOUND, "no database directory at %s", src);
    int rc = copy_database(src, dst, info, err);
    return rc == LC_OK ? prove(dst, info, err) : rc;
}

int dur_restore(const char *backup, const char *dst, dur_recovery_info_t *info, lc_err_t *err)
{
    memset(info, 0, sizeof *info);
    int rc = prove(backup, info, err);
    if (rc != LC_OK)
        return rc;
    rc = copy_database(backup, dst, info, err);
    return rc == LC_OK ? prove(dst, info, err) : rc;
}
