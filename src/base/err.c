/*
 * Error values and assertion support.
 *
 * An lc_err_t is a code plus a message for the person who will read it: a
 * client, a module author, an operator.  Messages state facts ("row is 3
 * bytes, expected at least 4"), never function names.  Context is added on
 * the way up with lc_err_prefix() ("decoding reducer arguments: ...").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static const struct {
    int code;
    const char *name;
} error_names[] = {
    {LC_OK, "ok"},
    {LC_ENOMEM, "out of memory"},
    {LC_EINVAL, "invalid argument"},
    {LC_ECORRUPT, "corrupt data"},
    {LC_ENOTFOUND, "not found"},
    {LC_EEXIST, "already exists"},
    {LC_EIO, "I/O error"},
    {LC_ERANGE, "out of range"},
    {LC_EBUSY, "busy"},
    {LC_EPERM, "not authorized"},
    {LC_EUNSUPPORTED, "not supported"},
    {LC_EINTERNAL, "internal error"},
};

const char *lc_strerror(int code)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(error_names); i++)
        if (error_names[i].code == code)
            return error_names[i].name;
    return "unknown error";
}

static int err_vset(lc_err_t *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

int lc_err_set(lc_err_t *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int lc_err_prefix(lc_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return LC_OK;
    char prefix[LC_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    size_t plen = strlen(prefix);
    memcpy(prefix + plen, ": ", 3);
    plen += 2;
    /* Shift the old message right, truncating its end if it no longer fits. */
    size_t old_len = strnlen(err->msg, sizeof err->msg - 1);
    if (plen + old_len > sizeof err->msg - 1)
        old_len = sizeof err->msg - 1 - plen;
    memmove(err->msg + plen, err->msg, old_len);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + old_len] = 0;
    return err->code;
}

void lc_err_clear(lc_err_t *err)
{
    if (err == NULL)
        return;
    err->code = LC_OK;
    err->msg[0] = 0;
}

int lc__corrupt(lc_err_t *err, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err != NULL) {
        err_vset(err, LC_ECORRUPT, fmt, ap);
    }
    va_end(ap);
#ifndef NDEBUG
    lc_log(LC_LOG_DEBUG, "corrupt data detected at %s:%d: %s", file, line,
           err ? err->msg : "(no message)");
#else
    (void)file;
    (void)line;
#endif
    return LC_ECORRUPT;
}

_Noreturn void lc__assert_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s at %s:%d\n", what, file, line);
    abort();
}
