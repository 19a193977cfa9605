/* Type builders shared by the SATS unit tests. */
#ifndef LC_TEST_SATS_UTIL_H
#define LC_TEST_SATS_UTIL_H

#include <stdarg.h>

#include "sats/sats.h"

static inline const sats_type_t *P(sats_kind_t k)
{
    return sats_prim(k);
}

/* A product (or sum) of n fields: names (NULL for unnamed) then types. */
static inline const sats_type_t *fields_of(lc_arena_t *a, sats_kind_t kind, uint32_t n, ...)
{
    const char *names[16];
    const sats_type_t *types[16];
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++) {
        names[i] = va_arg(ap, const char *);
        types[i] = va_arg(ap, const sats_type_t *);
    }
    va_end(ap);
    return kind == SATS_PRODUCT ? sats_type_product(a, n, names, types)
                                : sats_type_sum(a, n, names, types);
}
#define PRODUCT(a, n, ...) fields_of(a, SATS_PRODUCT, n, __VA_ARGS__)
#define SUM(a, n, ...)     fields_of(a, SATS_SUM, n, __VA_ARGS__)

#endif
