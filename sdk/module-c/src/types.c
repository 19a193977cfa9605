/*
 * types.c — the descriptors of the built-in types (lightcone.h invariant 1): one constant per
 * C type name that may appear in a column, field, element or argument.
 */
#include "lightcone.h"

#define LC__DEFINE_BUILTIN(T, K)                                                                   \
    const lc_type_t lc_sats_type_of_##T = {.kind = K, .size = sizeof(T)};
LC__BUILTIN_TYPES(LC__DEFINE_BUILTIN)
