/*
 * dur_int.h — helpers shared inside src/durability only.
 */
#ifndef LC_DUR_INT_H
#define LC_DUR_INT_H

#include <limits.h>

#include "durability.h"

/* LEB128 varints (txdata records, snapshots). */
int dur__put_varint(lc_buf_t *b, uint64_t v);
int dur__get_varint(lc_rd_t *r, uint64_t *v);

/* Files: write every byte (retrying short writes and EINTR), read a whole
 * file, create directories (0700), fsync a directory.  Errors name path. */
int dur__write_all(int fd, const void *p, size_t n, const char *path, lc_err_t *err);
int dur__read_file(const char *path, lc_buf_t *out, lc_err_t *err);
int dur__mkdirs(const char *path, lc_err_t *err);
int dur__fsync_dir(const char *path, lc_err_t *err);

/* Snapshots: the path of the snapshot at offset in sdir; the offsets of
 * the snapshots present, ascending (caller frees with lc_free). */
void dur__snapshot_path(char *out, size_t outlen, const char *sdir, uint64_t offset);
int dur__list_snapshots(const char *sdir, uint64_t **offsets, uint32_t *n);
/* Read and verify a snapshot file into out; *offset is its tx offset. */
int dur__snapshot_read(const char *path, lc_buf_t *out, uint64_t *offset, lc_err_t *err);
/* Restore a verified snapshot into a freshly bootstrapped database. */
int dur__snapshot_restore(store_db_t *db, const lc_buf_t *snap, lc_err_t *err);

#endif /* LC_DUR_INT_H */
