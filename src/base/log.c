/*
 * The process-wide logger.  One line per call, written with a single
 * write(2) so that lines from different threads never interleave.  Two
 * formats:
 *
 *   text  2026-11-24T09:44:26.123456Z INFO  server ready on 127.0.0.1:3000
 *   json  {"ts":"2026-11-24T09:44:26.123456Z","level":"info","msg":"server ready ..."}
 *
 * The JSON form is one object per line (JSON Lines) so that tools can follow
 * the log with a line reader.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

static atomic_int log_level = LC_LOG_INFO;
static atomic_int log_format = LC_LOG_TEXT;
static atomic_int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
static const char *const level_tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"};

void lc_log_set_level(lc_log_level_t level)
{
    atomic_store(&log_level, (int)level);
}
void lc_log_set_format(lc_log_format_t format)
{
    atomic_store(&log_format, (int)format);
}
void lc_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
}
lc_log_level_t lc_log_get_level(void)
{
    return (lc_log_level_t)atomic_load(&log_level);
}

const char *lc_log_level_name(lc_log_level_t level)
{
    return (unsigned)level < LC_ARRAY_LEN(level_names) ? level_names[level] : "unknown";
}

int lc_log_level_parse(const char *s, lc_log_level_t *level)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(level_names); i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *level = (lc_log_level_t)i;
            return LC_OK;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *level = LC_LOG_WARN;
        return LC_OK;
    }
    return LC_EINVAL;
}

/* Append s as the body of a JSON string (without quotes). */
static int json_escape(lc_buf_t *out, const char *s)
{
    int rc = LC_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == LC_OK; p++) {
        switch (*p) {
        case '"':
            rc = lc_buf_puts(out, "\\\"");
            break;
        case '\\':
            rc = lc_buf_puts(out, "\\\\");
            break;
        case '\n':
            rc = lc_buf_puts(out, "\\n");
            break;
        case '\r':
            rc = lc_buf_puts(out, "\\r");
            break;
        case '\t':
            rc = lc_buf_puts(out, "\\t");
            break;
        default:
            if (*p < 0x20)
                rc = lc_buf_printf(out, "\\u%04x", *p);
            else
                rc = lc_buf_putc(out, *p);
        }
    }
    return rc;
}

int lc_log_format_line(lc_buf_t *out, lc_log_format_t format, int64_t wall_us, lc_log_level_t level,
                       const char *msg)
{
    char ts[28];
    lc_format_rfc3339(ts, wall_us);
    if ((unsigned)level >= LC_ARRAY_LEN(level_names))
        level = LC_LOG_ERROR;
    if (format == LC_LOG_JSON) {
        int rc = lc_buf_printf(out, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
                               level_names[level]);
        if (rc == LC_OK)
            rc = json_escape(out, msg);
        return rc == LC_OK ? lc_buf_puts(out, "\"}\n") : rc;
    }
    return lc_buf_printf(out, "%s %s %s\n", ts, level_tags[level], msg);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere left to report a logging failure */
        p += w;
        n -= (size_t)w;
    }
}

void lc_vlog(lc_log_level_t level, const char *fmt, va_list ap)
{
    if ((int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* A stack buffer keeps logging working when malloc does not. */
    uint8_t line[2400];
    lc_buf_t out = {0};
    int rc = lc_log_format_line(&out, (lc_log_format_t)atomic_load(&log_format), lc_now_wall_us(),
                                level, msg);
    if (rc == LC_OK) {
        write_all(atomic_load(&log_fd), out.data, out.len);
    } else {
        int n = snprintf((char *)line, sizeof line, "%s\n", msg);
        write_all(atomic_load(&log_fd), line, (size_t)LC_MIN(n, (int)sizeof line - 1));
    }
    lc_buf_free(&out);
}

void lc_log(lc_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lc_vlog(level, fmt, ap);
    va_end(ap);
}
