/*
 * Clocks in microseconds.  The monotonic clock measures durations and
 * deadlines; the wall clock stamps transactions, logs and Timestamps, and
 * may jump.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base.h"

int64_t lc_now_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t lc_now_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void lc_format_rfc3339(char out[28], int64_t wall_us)
{
    /* Floor division so that times before 1970 print correctly too. */
    int64_t secs = wall_us / 1000000, micros = wall_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
        snprintf(out, 28, "%lld", (long long)wall_us);
        return;
    }
    /* The fields are in range (year checked above), so the text is exactly
     * 27 characters; the larger scratch buffer only quiets the compiler. */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)micros);
    memcpy(out, tmp, 27);
    out[27] = 0;
}
