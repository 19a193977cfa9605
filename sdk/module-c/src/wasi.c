/*
 * wasi.c — the WASI functions libc may call, provided inside the module (lightcone.h
 * invariant 5).
 *
 * A host that follows the reference links only spacetime_10.x functions (module-abi.md §1.1):
 * a module importing wasi_snapshot_preview1 would not load.  wasi-libc reaches WASI through
 * symbols named __imported_wasi_snapshot_preview1_<fn>; defining them here resolves those
 * references inside the module, so they never become imports.  The linker keeps only the ones
 * libc code actually uses.  What they do:
 *   fd_write       stdout lines -> console_log at Info, stderr at Warn (target "wasi")
 *   fd_fdstat_get  stdout/stderr are character devices, so stdio flushes at each newline
 *   fd_seek        not seekable; fd_close: nothing to close
 *   clock_time_get the current call's timestamp (time() is then deterministic per call)
 *   args, environ  empty;  proc_exit: trap (exit() and abort() fail the call)
 * Anything else libc might want (files, sockets, random_get) stays an import, and the host
 * refuses the module: deliberately, since a reducer cannot use it.
 */
#include "internal.h"

enum { WASI_ESUCCESS = 0, WASI_EBADF = 8, WASI_ESPIPE = 70 };

typedef struct ciovec {
    const uint8_t *buf;
    uint32_t len;
} ciovec;

int32_t __imported_wasi_snapshot_preview1_fd_write(int32_t fd, int32_t iovs, int32_t n,
                                                   int32_t written)
{
    const ciovec *v = (const ciovec *)(uintptr_t)iovs;
    uint32_t total = 0;
    for (int32_t i = 0; i < n; i++) total += v[i].len;
    *(uint32_t *)(uintptr_t)written = total;
    if (fd != 1 && fd != 2)
        return WASI_EBADF;
    char small[512];
    char *msg = total <= sizeof small ? small : lc_alloc(total);
    uint32_t len = 0;
    for (int32_t i = 0; i < n; i++) {
        if (v[i].len)
            memcpy(msg + len, v[i].buf, v[i].len);
        len += v[i].len;
    }
    if (len > 0 && msg[len - 1] == '\n')
        len--;
    if (len > 0)
        lc_sys_console_log(fd == 2 ? LC_LEVEL_WARN : LC_LEVEL_INFO, "wasi", 4, NULL, 0, UINT32_MAX,
                           msg, len);
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_fd_fdstat_get(int32_t fd, int32_t stat)
{
    if (fd < 0 || fd > 2)
        return WASI_EBADF;
    uint8_t *p = (uint8_t *)(uintptr_t)stat;
    memset(p, 0, 24);
    p[0] = 2; /* __WASI_FILETYPE_CHARACTER_DEVICE; no rights: not seekable, so a "tty" */
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_fd_seek(int32_t fd, int64_t offset, int32_t whence,
                                                  int32_t out)
{
    (void)fd, (void)offset, (void)whence, (void)out;
    return WASI_ESPIPE;
}

int32_t __imported_wasi_snapshot_preview1_fd_close(int32_t fd)
{
    (void)fd;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_clock_time_get(int32_t clock, int64_t precision,
                                                         int32_t out)
{
    (void)clock, (void)precision;
    int64_t us = lc__current ? lc__current->timestamp.micros : 0;
    *(uint64_t *)(uintptr_t)out = (uint64_t)us * 1000u;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_clock_res_get(int32_t clock, int32_t out)
{
    (void)clock;
    *(uint64_t *)(uintptr_t)out = 1000;
    return WASI_ESUCCESS;
}

static int32_t empty_sizes(int32_t count, int32_t size)
{
    *(uint32_t *)(uintptr_t)count = 0;
    *(uint32_t *)(uintptr_t)size = 0;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_args_sizes_get(int32_t count, int32_t size)
{
    return empty_sizes(count, size);
}

int32_t __imported_wasi_snapshot_preview1_environ_sizes_get(int32_t count, int32_t size)
{
    return empty_sizes(count, size);
}

int32_t __imported_wasi_snapshot_preview1_args_get(int32_t argv, int32_t buf)
{
    (void)argv, (void)buf;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_environ_get(int32_t env, int32_t buf)
{
    (void)env, (void)buf;
    return WASI_ESUCCESS;
}

_Noreturn void __imported_wasi_snapshot_preview1_proc_exit(int32_t code)
{
    lc_panic("the module called exit(%d)", code);
}
