/*
 * literal — turns an SQL literal into a SATS value of the type of the
 * column it meets (protocol.md §5.2): integers must fit the column's width
 * (any width up to 256 bits), floats only for float columns, strings for
 * strings and as RFC 3339 for Timestamp, hex (0x.. or X'..' or a hex
 * string) for Identity, ConnectionId, Uuid and bytes, NULL for an Option's
 * none, and anything else of the Option's payload type for some.
 */
#include "sql/sql_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int type_err(const sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                    const sats_type_t *t, lc_err_t *err)
{
    lc_buf_t b;
    lc_buf_init(&b);
    sats_type_format(&b, ts, t);
    lc_buf_terminate(&b);
    static const char *const kinds[] = {"integer", "float", "string", "hex", "boolean", "NULL"};
    int rc = lc_err_set(err, LC_EINVAL, "%s literal `%s%s` cannot be used for %s of type %s",
                        kinds[e->u.lit.kind], e->u.lit.neg ? "-" : "", e->u.lit.text, what,
                        b.data ? (char *)b.data : "?");
    lc_buf_free(&b);
    return rc;
}

/* Decimal digits into a 256-bit little-endian magnitude; false on
 * overflow. */
static bool decimal_mag(const char *s, uint8_t mag[32])
{
    memset(mag, 0, 32);
    for (; *s; s++) {
        unsigned carry = (unsigned)(*s - '0');
        for (int i = 0; i < 32; i++) {
            unsigned v = mag[i] * 10u + carry;
            mag[i] = (uint8_t)v;
            carry = v >> 8;
        }
        if (carry)
            return false;
    }
    return true;
}

/* Whether magnitude mag (with sign neg) fits nbytes as signed or unsigned;
 * on success wide holds the two's complement value, sign-filled to 32. */
static bool fit(const uint8_t mag[32], bool neg, int nbytes, bool is_signed, uint8_t wide[32])
{
    bool zero = true;
    for (int i = 0; i < 32; i++) zero &= mag[i] == 0;
    if (zero)
        neg = false;
    if (neg && !is_signed)
        return false;
    for (int i = nbytes; i < 32; i++)
        if (mag[i])
            return false;
    if (is_signed) {
        uint8_t top = mag[nbytes - 1];
        if (top & 0x80) {
            /* only -2^(n-1) fits: top byte 0x80 and the rest zero */
            if (!neg || top != 0x80)
                return false;
            for (int i = 0; i < nbytes - 1; i++)
                if (mag[i])
                    return false;
        }
    }
    memcpy(wide, mag, 32);
    if (neg) {
        unsigned carry = 1;
        for (int i = 0; i < 32; i++) {
            unsigned v = (uint8_t)~wide[i] + carry;
            wide[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    return true;
}

static int int_value(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                     const sats_type_t *t, lc_err_t *err)
{
    if (e->u.lit.kind != LIT_INT)
        return type_err(e, what, ts, t, err);
    static const int size[] = {
        [SATS_I8] = 1,    [SATS_U8] = 1,    [SATS_I16] = 2,   [SATS_U16] = 2,
        [SATS_I32] = 4,   [SATS_U32] = 4,   [SATS_I64] = 8,   [SATS_U64] = 8,
        [SATS_I128] = 16, [SATS_U128] = 16, [SATS_I256] = 32, [SATS_U256] = 32};
    bool is_signed = t->kind == SATS_I8 || t->kind == SATS_I16 || t->kind == SATS_I32 ||
                     t->kind == SATS_I64 || t->kind == SATS_I128 || t->kind == SATS_I256;
    uint8_t mag[32], wide[32];
    if (!decimal_mag(e->u.lit.text, mag) || !fit(mag, e->u.lit.neg, size[t->kind], is_signed, wide))
        return lc_err_set(err, LC_ERANGE,
                          "integer literal `%s%s` is out of range for %s of type %s",
                          e->u.lit.neg ? "-" : "", e->u.lit.text, what, sats_kind_name(t->kind));
    memset(&e->val, 0, sizeof e->val);
    if (size[t->kind] <= 8) {
        uint64_t u = 0;
        memcpy(&u, wide, 8);
        if (is_signed)
            e->val.u.i = (int64_t)u;
        else
            e->val.u.u = u;
    } else {
        memcpy(e->val.u.wide, wide, 32);
    }
    return LC_OK;
}

/* Hex digits (an optional 0x) into exactly n bytes. */
static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    return strlen(s) == 2 * n && lc_hex_decode(out, n, s, 2 * n) == LC_OK;
}

/* Identity / ConnectionId / Uuid: hex, big-endian as displayed, into the
 * little-endian wide of the inner value. */
static int wide_hex(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                    const sats_type_t *t, size_t n, lc_arena_t *a, lc_err_t *err)
{
    uint8_t be[32];
    char buf[80];
    const char *s = e->u.lit.text;
    if (e->u.lit.kind == LIT_STRING && n == 16 && strlen(s) == 36) { /* UUID with dashes */
        size_t k = 0;
        for (const char *c = s; *c && k < sizeof buf - 1; c++)
            if (*c != '-')
                buf[k++] = *c;
        buf[k] = 0;
        s = buf;
    }
    if ((e->u.lit.kind != LIT_HEX && e->u.lit.kind != LIT_STRING) || !hex_bytes(s, be, n))
        return type_err(e, what, ts, t, err);
    sats_value_t *inner = lc_arena_zalloc(a, sizeof *inner);
    if (!inner)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) inner->u.wide[i] = be[n - 1 - i];
    e->val.u.elems.n = 1;
    e->val.u.elems.items = inner;
    return LC_OK;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* RFC 3339 ("2024-01-02T03:04:05.123456Z", "+hh:mm" offsets, a space for
 * T) or a bare date, into microseconds since the epoch. */
static bool parse_timestamp(const char *s, int64_t *us)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    s += n;
    int64_t frac = 0;
    int64_t off = 0;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
            return false;
        s += 1 + n;
        if (*s == '.') {
            int digits = 0;
            for (s++; isdigit((unsigned char)*s); s++, digits++)
                if (digits < 6)
                    frac = frac * 10 + (*s - '0');
            if (digits == 0)
                return false;
            for (; digits < 6; digits++) frac *= 10;
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int oh, om;
            if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
                return false;
            off = (*s == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60);
            s += 6;
        }
    }
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    int64_t secs =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *us = secs * 1000000 + frac;
    return true;
}

static int special_value(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                         const sats_type_t *t, sats_special_t sp, lc_arena_t *a, lc_err_t *err)
{
    switch (sp) {
    case SATS_SPECIAL_IDENTITY:
        return wide_hex(e, what, ts, t, 32, a, err);
    case SATS_SPECIAL_CONNECTION_ID:
    case SATS_SPECIAL_UUID:
        return wide_hex(e, what, ts, t, 16, a, err);
    case SATS_SPECIAL_TIMESTAMP:
    case SATS_SPECIAL_TIME_DURATION: {
        sats_value_t *inner = lc_arena_zalloc(a, sizeof *inner);
        if (!inner)
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        sql_expr_t tmp = *e;
        if (e->u.lit.kind == LIT_INT) {
            int rc = int_value(&tmp, what, ts, sats_prim(SATS_I64), err);
            if (rc)
                return rc;
            inner->u.i = tmp.val.u.i;
        } else if (sp == SATS_SPECIAL_TIMESTAMP && e->u.lit.kind == LIT_STRING &&
                   parse_timestamp(e->u.lit.text, &inner->u.i)) {
        } else {
            return type_err(e, what, ts, t, err);
        }
        e->val.u.elems.n = 1;
        e->val.u.elems.items = inner;
        return LC_OK;
    }
    default:
        return type_err(e, what, ts, t, err);
    }
}

static int option_value(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                        const sats_type_t *t, const sql_caller_t *caller, lc_arena_t *a,
                        lc_err_t *err)
{
    sats_value_t *payload = lc_arena_zalloc(a, sizeof *payload);
    if (!payload)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    if (e->kind == EX_LIT && e->u.lit.kind == LIT_NULL) {
        memset(&e->val, 0, sizeof e->val);
        e->val.u.sum.tag = 1; /* none: the empty product */
        e->val.u.sum.payload = payload;
        return LC_OK;
    }
    int rc = sql__type_literal(e, what, ts, t->u.fields.items[0].type, caller, a, err);
    if (rc)
        return rc;
    *payload = e->val;
    memset(&e->val, 0, sizeof e->val);
    e->val.u.sum.tag = 0;
    e->val.u.sum.payload = payload;
    return LC_OK;
}

static int sender_value(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                        const sats_type_t *t, const sats_type_t *r, const sql_caller_t *caller,
                        lc_arena_t *a, lc_err_t *err)
{
    sats_special_t sp = sats_type_special(r);
    if (sp == SATS_SPECIAL_IDENTITY) {
        sats_value_t *inner = lc_arena_zalloc(a, sizeof *inner);
        if (!inner)
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        for (int i = 0; i < 32; i++) inner->u.wide[i] = caller->sender[31 - i];
        e->val.u.elems.n = 1;
        e->val.u.elems.items = inner;
        return LC_OK;
    }
    if (r->kind == SATS_ARRAY && r->u.elem->kind == SATS_U8) {
        e->val.u.bytes.ptr = lc_arena_memdup(a, caller->sender, 32);
        e->val.u.bytes.len = 32;
        return e->val.u.bytes.ptr ? LC_OK : lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    lc_buf_t b;
    lc_buf_init(&b);
    sats_type_format(&b, ts, t);
    lc_buf_terminate(&b);
    int rc = lc_err_set(err, LC_EINVAL, "`:sender` cannot be used for %s of type %s", what,
                        b.data ? (char *)b.data : "?");
    lc_buf_free(&b);
    return rc;
}

int sql__type_literal(sql_expr_t *e, const char *what, const sats_typespace_t *ts,
                      const sats_type_t *t, const sql_caller_t *caller, lc_arena_t *a,
                      lc_err_t *err)
{
    const sats_type_t *r = sats_resolve(ts, t);
    if (!r)
        return lc_err_set(err, LC_EINTERNAL, "unresolvable column type");
    e->ts = ts;
    e->type = t;
    memset(&e->val, 0, sizeof e->val);
    if (e->kind == EX_SENDER)
        return sender_value(e, what, ts, t, r, caller, a, err);
    sats_special_t sp = sats_type_special(r);
    if (sp == SATS_SPECIAL_OPTION)
        return option_value(e, what, ts, r, caller, a, err);
    if (e->u.lit.kind == LIT_NULL)
        return lc_err_set(err, LC_EINVAL, "NULL cannot be used for %s: it is not an Option", what);
    if (sp != SATS_SPECIAL_NONE)
        return special_value(e, what, ts, t, sp, a, err);
    switch (r->kind) {
    case SATS_BOOL:
        if (e->u.lit.kind != LIT_BOOL)
            return type_err(e, what, ts, t, err);
        e->val.u.b = e->u.lit.b;
        return LC_OK;
    case SATS_STRING:
        if (e->u.lit.kind != LIT_STRING)
            return type_err(e, what, ts, t, err);
        e->val.u.str.ptr = e->u.lit.text;
        e->val.u.str.len = (uint32_t)strlen(e->u.lit.text);
        return LC_OK;
    case SATS_F32:
    case SATS_F64: {
        if (e->u.lit.kind != LIT_INT && e->u.lit.kind != LIT_FLOAT)
            return type_err(e, what, ts, t, err);
        double d = strtod(e->u.lit.text, NULL) * (e->u.lit.neg ? -1 : 1);
        if (r->kind == SATS_F32)
            e->val.u.f32 = (float)d;
        else
            e->val.u.f64 = d;
        return LC_OK;
    }
    case SATS_ARRAY:
        if (r->u.elem->kind == SATS_U8 && e->u.lit.kind == LIT_HEX) {
            size_t n = strlen(e->u.lit.text);
            uint8_t *p = lc_arena_alloc(a, n / 2 + 1);
            if (!p)
                return lc_err_set(err, LC_ENOMEM, "out of memory");
            if (n % 2 || lc_hex_decode(p, n / 2, e->u.lit.text, n))
                return type_err(e, what, ts, t, err);
            e->val.u.bytes.ptr = p;
            e->val.u.bytes.len = (uint32_t)(n / 2);
            return LC_OK;
        }
        return type_err(e, what, ts, t, err);
    default:
        if (r->kind >= SATS_I8 && r->kind <= SATS_U256)
            return int_value(e, what, ts, r, err);
        return type_err(e, what, ts, t, err);
    }
}
