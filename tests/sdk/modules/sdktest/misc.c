/*
 * misc.c — the rest of the SDK surface: formatting, printf and time() through the WASI
 * shims, identities and the call context, large arguments, panics, lifecycle registration.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "fmt_cases.h"
#include "sdktest.h"

LC_INIT(init)
{
    LC_LOG_INFO("init: %s", ctx->reducer);
    return lc_ok();
}

LC_REDUCER(fmt_cases)
{
    char buf[256];
#define FMT_ONE(...)                                                                               \
    lc_format(buf, sizeof buf, __VA_ARGS__);                                                       \
    LC_LOG_INFO("%s", buf);
    FMT_CASES(FMT_ONE)
    /* truncation: the return value is the full length, the output is cut and terminated */
    int n = lc_format(buf, 6, "%s", "truncated");
    LC_LOG_INFO("trunc: %d %s", n, buf);
    lc_string s = lc_fmt("%s-%d", "arena", 7);
    LC_LOG_INFO("lc_fmt: %u %s", s.len, s.ptr);
    return lc_ok();
}

LC_REDUCER(stdio)
{
    printf("printf line %d\n", 1);
    printf("two lines\nin one call\n");
    fprintf(stderr, "to stderr\n");
    printf("time %lld\n", (long long)time(NULL));
    return lc_ok();
}

LC_REDUCER(context)
{
    char sender[65], db[65];
    lc_identity_to_hex(ctx->sender, sender);
    lc_identity_to_hex(lc_database_identity(), db);
    LC_LOG_INFO("sender %s", sender);
    LC_LOG_INFO("database %s", db);
    LC_LOG_INFO("connection %d %02x%02x", ctx->has_connection_id, ctx->connection_id.bytes[0],
                ctx->connection_id.bytes[15]);
    LC_LOG_INFO("timestamp %lld", (long long)ctx->timestamp.micros);
    LC_LOG_INFO("reducer %s", ctx->reducer);
    return lc_ok();
}

LC_ARRAY_TYPE(pos_list, pos);

/* More than 256 bytes of arguments, and arrays of structs. */
LC_REDUCER(big_args, LC_ARG(lc_string, a), LC_ARG(lc_string, b), LC_ARG(pos_list, points),
           LC_ARG(lc_array_string, words))
{
    int64_t sx = 0, sy = 0;
    for (uint32_t i = 0; i < points.len; i++) {
        sx += points.items[i].x;
        sy += points.items[i].y;
    }
    uint32_t chars = 0;
    for (uint32_t i = 0; i < words.len; i++) chars += words.items[i].len;
    LC_LOG_INFO("big_args: %u %u %u %lld %lld %u %u", a.len, b.len, points.len, (long long)sx,
                (long long)sy, words.len, chars);
    return lc_ok();
}

LC_REDUCER(panic, LC_ARG(lc_string, why))
{
    lc_panic("panic: %s", why.ptr);
}

LC_REDUCER(math, LC_ARG(double, v))
{
    LC_LOG_INFO("math: %.6f %.6f", sqrt(v), floor(v * 2.5));
    return lc_ok();
}
