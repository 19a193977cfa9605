/*
 * print_int.h — number-to-text helpers shared by print.c and json.c, not part
 * of the public surface in sats.h.  Names use the sats__ prefix.
 */
#ifndef LC_SATS_PRINT_INT_H
#define LC_SATS_PRINT_INT_H

#include "sats/sats.h"

/* Longest decimal text of a 256-bit integer: 78 digits, a sign, a NUL. */
#define SATS__DEC_MAX 80
/* Most significant digits a shortest round-trip double needs, plus a NUL. */
#define SATS__DIGITS_MAX 24

/* Load the integer of kind (I8 ... U256) held in v as 32 bytes of
 * little-endian two's complement, sign- or zero-extended from its width. */
void sats__load_int(sats_kind_t kind, const sats_value_t *v, uint8_t w[32]);
/* Decimal text of the 256-bit two's-complement integer w (negative only when
 * is_signed and the top bit is set) into out; returns its length. */
size_t sats__wide_dec(char out[SATS__DEC_MAX], const uint8_t w[32], bool is_signed);
/* The shortest decimal digits that read back as v (as a float when is_f32):
 * v = 0.DIGITS x 10^*dp.  v must be finite and > 0.  Returns the number of
 * digits written to digits (NUL-terminated, no trailing zeros). */
int sats__float_digits(double v, bool is_f32, char digits[SATS__DIGITS_MAX], int *dp);

#endif /* LC_SATS_PRINT_INT_H */
