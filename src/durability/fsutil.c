/* File and encoding helpers shared by the durability module (dur_int.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"

int dur__put_varint(lc_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return lc_buf_append(b, tmp, (size_t)n);
}

int dur__get_varint(lc_rd_t *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t byte;
        if (lc_rd_u8(r, &byte) != LC_OK)
            return LC_ECORRUPT;
        x |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = x;
            return LC_OK;
        }
    }
    return LC_ECORRUPT;
}

int dur__write_all(int fd, const void *p, size_t n, const char *path, lc_err_t *err)
{
    const uint8_t *src = p;
    while (n > 0) {
        ssize_t w = write(fd, src, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return lc_err_set(err, LC_EIO, "cannot write %s: %s", path,
                              w < 0 ? strerror(errno) : "no progress");
        src += w;
        n -= (size_t)w;
    }
    return LC_OK;
}

int dur__read_file(const char *path, lc_buf_t *out, lc_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lc_err_set(err, errno == ENOENT ? LC_ENOTFOUND : LC_EIO, "cannot open %s: %s", path,
                          strerror(errno));
    int rc = LC_OK;
    for (;;) {
        if (lc_buf_reserve(out, 1 << 16) != LC_OK) {
            rc = lc_err_set(err, LC_ENOMEM, "out of memory reading %s", path);
            break;
        }
        ssize_t got = read(fd, out->data + out->len, out->cap - out->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = lc_err_set(err, LC_EIO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        out->len += (size_t)got;
    }
    close(fd);
    return rc;
}

int dur__mkdirs(const char *path, lc_err_t *err)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return lc_err_set(err, LC_EINVAL, "path is empty or too long");
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1;; p++) {
        if (*p != '/' && *p != 0)
            continue;
        char c = *p;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return lc_err_set(err, LC_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
        *p = c;
        if (c == 0)
            break;
    }
    return LC_OK;
}

int dur__fsync_dir(const char *path, lc_err_t *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot open directory %s: %s", path, strerror(errno));
    int rc = fsync(fd) == 0
                 ? LC_OK
                 : lc_err_set(err, LC_EIO, "cannot sync directory %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

void dur__snapshot_path(char *out, size_t outlen, const char *sdir, uint64_t offset)
{
    snprintf(out, outlen, "%s/%020" PRIu64 ".snap", sdir, offset);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int dur__list_snapshots(const char *sdir, uint64_t **offsets, uint32_t *n)
{
    *offsets = NULL;
    *n = 0;
    DIR *d = opendir(sdir);
    if (d == NULL)
        return errno == ENOENT ? LC_OK : LC_EIO;
    uint64_t *v = NULL;
    uint32_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        unsigned long long off = strtoull(e->d_name, &end, 10);
        if (end != e->d_name + 20 || strcmp(end, ".snap") != 0)
            continue; /* temporary files and strangers */
        if (lc_grow(&v, &cap, count, sizeof *v, 8) != LC_OK) {
            lc_free(v);
            closedir(d);
            return LC_ENOMEM;
        }
        v[count++] = off;
    }
    closedir(d);
    if (count > 1)
        qsort(v, count, sizeof *v, cmp_u64);
    *offsets = v;
    *n = count;
    return LC_OK;
}
