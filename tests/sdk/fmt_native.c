/*
 * fmt_native.c — prints tests/sdk/modules/sdktest/fmt_cases.h through the C library's
 * snprintf, one line per case: the reference the SDK's formatter is compared against.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "modules/sdktest/fmt_cases.h"

int main(void)
{
    char buf[256];
#define FMT_ONE(...)                                                                               \
    snprintf(buf, sizeof buf, __VA_ARGS__);                                                        \
    puts(buf);
    FMT_CASES(FMT_ONE)
    return 0;
}
