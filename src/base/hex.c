/*
 * Hexadecimal encoding: lowercase on output, either case on input.  Used for
 * identities, connection ids, hashes in logs and test vectors.  Decoding is
 * strict: the length must be exact and every character a hex digit, since a
 * silently truncated or half-parsed identity would name someone else.
 */
#include "base.h"

static const char HEX_DIGITS[] = "0123456789abcdef";

void lc_hex_encode(char *out, const void *p, size_t n)
{
    const uint8_t *in = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX_DIGITS[in[i] >> 4];
        out[2 * i + 1] = HEX_DIGITS[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* The value of one hex digit, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int lc_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (n > SIZE_MAX / 2 || hexlen != 2 * n)
        return LC_EINVAL;
    /* Check everything first so that out is untouched on error. */
    for (size_t i = 0; i < hexlen; i++)
        if (hex_value(hex[i]) < 0)
            return LC_EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
    return 0;
}
