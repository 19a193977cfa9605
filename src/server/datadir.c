/*
 * The data directory.  Layout (grows with later modules):
 *
 *   <data_dir>/
 *     lightcone.lock     flock(2)-held by the running server; holds its pid
 *     databases/         one directory per database (commit log, snapshots)
 *
 * Invariant 1: at most one server process holds the lock of a directory;
 * a second one fails to start with a message naming the holder's pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

/* mkdir -p, mode 0700 for directories we create (the data is private). */
static int make_dirs(const char *path, lc_err_t *err)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return lc_err_set(err, LC_EINVAL, "data directory path is empty or too long");
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return lc_err_set(err, LC_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return lc_err_set(err, LC_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
    struct stat st;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_EIO, "%s exists and is not a directory", tmp);
    return LC_OK;
}

static void read_holder_pid(int fd, char *out, size_t outlen)
{
    ssize_t n = pread(fd, out, outlen - 1, 0);
    out[n > 0 ? n : 0] = 0;
    out[strcspn(out, "\n")] = 0;
    if (out[0] == 0)
        snprintf(out, outlen, "unknown");
}

int server_data_dir_open(const char *dir, int *lock_fd, lc_err_t *err)
{
    int rc = make_dirs(dir, err);
    if (rc != LC_OK)
        return rc;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/databases", dir);
    if ((rc = make_dirs(path, err)) != LC_OK)
        return rc;
    snprintf(path, sizeof path, "%s/lightcone.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32];
        read_holder_pid(fd, pid, sizeof pid);
        close(fd);
        if (e == EWOULDBLOCK)
            return lc_err_set(err, LC_EBUSY,
                              "data directory %s is in use by another lightcone server (pid %s)",
                              dir, pid);
        return lc_err_set(err, LC_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(e));
    }
    *lock_fd = fd;
    return LC_OK;
}
