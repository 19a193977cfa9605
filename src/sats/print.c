/*
 * print.c — values as the reference CLI prints SQL results (`spacetime sql`),
 * and the psql-style table around them.
 *
 * The reference renders each cell with its "SATN" formatter for SQL
 * (crates/sats/src/satn.rs, PsqlClient::SpacetimeDB) and lays the cells out
 * with the `tabled` crate in Style::psql().  Its smoke test
 * (smoketests/tests/sql.py, test_sql_format) pins the output this file
 * reproduces:
 *
 *   Type                  Text                                      Notes
 *   Bool                  true / false
 *   I8 ... U256           decimal                                   128/256-bit too
 *   F32 / F64             shortest text that reads back, never an   Rust's Display:
 *                         exponent: 594806.56, -3454353.345389043,   1 (not 1.0), NaN,
 *                         0.0000001, 1000000000000000000000          inf, -inf, -0
 *   String                "text" — the bytes as they are, no escaping (as the reference)
 *   Array<U8>             0x0102ff
 *   Array<T>              [1, 2, 3]
 *   Identity              0x + 64 hex digits, big-endian
 *   ConnectionId          0x + 32 hex digits, big-endian
 *   Uuid                  "00000000-0000-0000-0000-000000000000"
 *   Timestamp             1970-01-01T00:00:00+00:00                 chrono's to_rfc3339:
 *                         2026-01-01T00:00:00.500+00:00             .mmm or .uuuuuu only
 *                                                                   when not zero
 *   TimeDuration          +1.500000 / -0.000001                     sign, seconds, micros
 *   Product               (a = 1, b = "x"); unnamed fields col_0, col_1, ...
 *   Sum                   (variant = payload); unit payload (); so Option is
 *                         (some = 5) / (none = ()), and an unnamed variant col_<tag>
 *
 * Special types are recognised at any depth, so a product holding an
 * Identity prints (owner = 0xc200...).
 *
 * Tables (sats_print_table), as tabled's psql style:
 *
 *    id | name                      every cell: one space, the text padded to
 *   ----+-------                    the column's display width, one space;
 *    1  | "Bob"                     columns joined by '|', the rule by '+';
 *                                   everything left-aligned, every line ends
 *                                   with '\n'
 *
 * Display width counts code points, with combining marks as 0 and East Asian
 * wide characters as 2.  A cell holding '\n' spans several lines; the row is
 * as tall as its tallest cell.
 *
 * Departures, where the reference has no answer:
 *   1. A Timestamp outside chrono's range (years -262144 ..= 262143) makes
 *      the reference CLI panic; here it prints as the reference's Display
 *      for Timestamp, "<seconds>.<micros>", e.g. -9223372036854.775808.
 *   2. Floats: the digits are the shortest that read back exactly, found by
 *      trying precisions in turn; in rare ties at a power of two this may
 *      pick a different last digit than Rust's Grisu/Ryu (same length).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sats/print_int.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- numbers */

void sats__load_int(sats_kind_t kind, const sats_value_t *v, uint8_t w[32])
{
    uint8_t fill = 0;
    switch (kind) {
    case SATS_I8:
    case SATS_I16:
    case SATS_I32:
    case SATS_I64:
        lc_store_u64le(w, (uint64_t)v->u.i);
        fill = v->u.i < 0 ? 0xff : 0;
        memset(w + 8, fill, 24);
        return;
    case SATS_I128:
        memcpy(w, v->u.wide, 16);
        fill = (v->u.wide[15] & 0x80) ? 0xff : 0;
        memset(w + 16, fill, 16);
        return;
    case SATS_U128:
        memcpy(w, v->u.wide, 16);
        memset(w + 16, 0, 16);
        return;
    case SATS_I256:
    case SATS_U256:
        memcpy(w, v->u.wide, 32);
        return;
    default: /* U8 ... U64 */
        lc_store_u64le(w, v->u.u);
        memset(w + 8, 0, 24);
        return;
    }
}

/* Divide the 256-bit magnitude m by 10 in place; returns the remainder. */
static unsigned divmod10(uint8_t m[32], bool *nonzero)
{
    unsigned rem = 0;
    *nonzero = false;
    for (int i = 31; i >= 0; i--) {
        unsigned cur = rem << 8 | m[i];
        m[i] = (uint8_t)(cur / 10);
        rem = cur % 10;
        if (m[i] != 0)
            *nonzero = true;
    }
    return rem;
}

size_t sats__wide_dec(char out[SATS__DEC_MAX], const uint8_t w[32], bool is_signed)
{
    uint8_t m[32];
    memcpy(m, w, 32);
    bool neg = is_signed && (w[31] & 0x80);
    if (neg) { /* two's-complement negate to get the magnitude */
        unsigned carry = 1;
        for (int i = 0; i < 32; i++) {
            unsigned x = (uint8_t)~m[i] + carry;
            m[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    char rev[SATS__DEC_MAX];
    size_t n = 0;
    bool more = true;
    while (more) rev[n++] = (char)('0' + divmod10(m, &more));
    size_t len = 0;
    if (neg)
        out[len++] = '-';
    while (n > 0) out[len++] = rev[--n];
    out[len] = 0;
    return len;
}

int sats__float_digits(double v, bool is_f32, char digits[SATS__DIGITS_MAX], int *dp)
{
    char tmp[40];
    int maxp = is_f32 ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        bool same = is_f32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v;
        if (same)
            break;
    }
    /* tmp is d[.ddd]e<sign>dd */
    const char *s = tmp;
    int n = 0;
    digits[n++] = *s++;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) digits[n++] = *s;
    }
    int e = (*s == 'e') ? atoi(s + 1) : 0;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = 0;
    *dp = e + 1;
    return n;
}

static int put_zeros(lc_buf_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        if (lc_buf_putc(out, '0') < 0)
            return LC_ENOMEM;
    }
    return 0;
}

/* Rust's Display for f32/f64: plain decimal, never an exponent. */
static int put_float(lc_buf_t *out, double v, bool is_f32)
{
    if (isnan(v))
        return lc_buf_puts(out, "NaN");
    if (signbit(v) && lc_buf_putc(out, '-') < 0)
        return LC_ENOMEM;
    v = fabs(v);
    if (isinf(v))
        return lc_buf_puts(out, "inf");
    if (v == 0)
        return lc_buf_putc(out, '0');
    char d[SATS__DIGITS_MAX];
    int dp, n = sats__float_digits(v, is_f32, d, &dp);
    if (dp <= 0) {
        if (lc_buf_puts(out, "0.") < 0 || put_zeros(out, -dp) < 0)
            return LC_ENOMEM;
        return lc_buf_append(out, d, (size_t)n);
    }
    if (dp >= n) {
        if (lc_buf_append(out, d, (size_t)n) < 0)
            return LC_ENOMEM;
        return put_zeros(out, dp - n);
    }
    if (lc_buf_append(out, d, (size_t)dp) < 0 || lc_buf_putc(out, '.') < 0)
        return LC_ENOMEM;
    return lc_buf_append(out, d + dp, (size_t)(n - dp));
}

static int put_int(lc_buf_t *out, sats_kind_t kind, const sats_value_t *v)
{
    uint8_t w[32];
    char dec[SATS__DEC_MAX];
    sats__load_int(kind, v, w);
    bool is_signed = kind == SATS_I8 || kind == SATS_I16 || kind == SATS_I32 || kind == SATS_I64 ||
                     kind == SATS_I128 || kind == SATS_I256;
    size_t n = sats__wide_dec(dec, w, is_signed);
    return lc_buf_append(out, dec, n);
}

/* ---------------------------------------------------------------- specials */

/* "0x" and the n little-endian bytes at p as big-endian hex. */
static int put_hex_be(lc_buf_t *out, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    uint8_t *dst = lc_buf_extend(out, 2 + 2 * n);
    if (dst == NULL)
        return LC_ENOMEM;
    *dst++ = '0';
    *dst++ = 'x';
    for (size_t i = n; i-- > 0;) {
        *dst++ = (uint8_t)hx[p[i] >> 4];
        *dst++ = (uint8_t)hx[p[i] & 15];
    }
    return 0;
}

static int put_bytes(lc_buf_t *out, const uint8_t *p, size_t n)
{
    uint8_t *dst = lc_buf_extend(out, 2 + 2 * n + 1);
    if (dst == NULL)
        return LC_ENOMEM;
    dst[0] = '0';
    dst[1] = 'x';
    if (n > 0)
        lc_hex_encode((char *)dst + 2, p, n);
    out->len--; /* drop the NUL lc_hex_encode wrote */
    return 0;
}

static int put_uuid(lc_buf_t *out, const uint8_t le[16])
{
    static const char hx[] = "0123456789abcdef";
    char s[40];
    size_t k = 0;
    s[k++] = '"';
    for (int i = 15, nd = 0; i >= 0; i--, nd += 2) {
        if (nd == 8 || nd == 12 || nd == 16 || nd == 20)
            s[k++] = '-';
        s[k++] = hx[le[i] >> 4];
        s[k++] = hx[le[i] & 15];
    }
    s[k++] = '"';
    return lc_buf_append(out, s, k);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Hinnant's
 * days_from_civil, inverted). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The reference's Display for Timestamp and TimeDuration: sign, whole
 * seconds, six digits of microseconds. */
static int put_secs_micros(lc_buf_t *out, int64_t us, const char *plus)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    return lc_buf_printf(out, "%s%llu.%06llu", us < 0 ? "-" : plus,
                         (unsigned long long)(mag / 1000000), (unsigned long long)(mag % 1000000));
}

/* chrono's DateTime<Utc>::to_rfc3339(): seconds precision, then .mmm or
 * .uuuuuu only when needed, then +00:00. */
static int put_timestamp(lc_buf_t *out, int64_t us)
{
    int64_t frac = us % 1000000;
    int64_t secs = us / 1000000 - (frac < 0);
    if (frac < 0)
        frac += 1000000;
    int64_t days = secs / 86400 - (secs % 86400 < 0);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    if (y < -262144 || y > 262143)
        return put_secs_micros(out, us, "");
    int rc = (y >= 0 && y <= 9999) ? lc_buf_printf(out, "%04lld", (long long)y)
                                   : lc_buf_printf(out, "%+05lld", (long long)y);
    if (rc < 0)
        return rc;
    rc = lc_buf_printf(out, "-%02u-%02uT%02u:%02u:%02u", mo, d, (unsigned)(sod / 3600),
                       (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
    if (rc < 0)
        return rc;
    if (frac != 0 && frac % 1000 == 0)
        rc = lc_buf_printf(out, ".%03u", (unsigned)(frac / 1000));
    else if (frac != 0)
        rc = lc_buf_printf(out, ".%06u", (unsigned)frac);
    if (rc < 0)
        return rc;
    return lc_buf_puts(out, "+00:00");
}

/* The single field of a special product, or NULL if v does not hold one. */
static const sats_value_t *inner(const sats_value_t *v)
{
    return (v->u.elems.n == 1 && v->u.elems.items != NULL) ? &v->u.elems.items[0] : NULL;
}

/* Print a special product; returns 1 if t is not one this file renders. */
static int put_special(lc_buf_t *out, sats_special_t sp, const sats_value_t *v)
{
    if (sp != SATS_SPECIAL_IDENTITY && sp != SATS_SPECIAL_CONNECTION_ID &&
        sp != SATS_SPECIAL_TIMESTAMP && sp != SATS_SPECIAL_TIME_DURATION && sp != SATS_SPECIAL_UUID)
        return 1;
    const sats_value_t *x = inner(v);
    if (x == NULL)
        return LC_EINVAL;
    switch (sp) {
    case SATS_SPECIAL_IDENTITY:
        return put_hex_be(out, x->u.wide, 32);
    case SATS_SPECIAL_CONNECTION_ID:
        return put_hex_be(out, x->u.wide, 16);
    case SATS_SPECIAL_UUID:
        return put_uuid(out, x->u.wide);
    case SATS_SPECIAL_TIMESTAMP:
        return put_timestamp(out, x->u.i);
    default:
        return put_secs_micros(out, x->u.i, "+");
    }
}

/* ---------------------------------------------------------------- values */

typedef struct pctx {
    lc_buf_t *out;
    const sats_typespace_t *ts;
} pctx_t;

static int pr_value(pctx_t *c, const sats_type_t *t, const sats_value_t *v, int depth);

/* "name = " for a product field or sum variant; col_<i> when unnamed. */
static int put_label(lc_buf_t *out, const char *name, uint32_t i)
{
    if (name != NULL)
        return lc_buf_printf(out, "%s = ", name);
    return lc_buf_printf(out, "col_%u = ", i);
}

static int pr_product(pctx_t *c, const sats_type_t *t, const sats_value_t *v, int depth)
{
    int rc = put_special(c->out, sats_type_special(t), v);
    if (rc <= 0)
        return rc;
    uint32_t n = t->u.fields.n;
    if (v->u.elems.n != n || (n > 0 && v->u.elems.items == NULL))
        return LC_EINVAL;
    if (lc_buf_putc(c->out, '(') < 0)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const sats_field_t *f = &t->u.fields.items[i];
        if (i > 0 && lc_buf_puts(c->out, ", ") < 0)
            return LC_ENOMEM;
        if ((rc = put_label(c->out, f->name, i)) < 0)
            return rc;
        if ((rc = pr_value(c, f->type, &v->u.elems.items[i], depth + 1)) < 0)
            return rc;
    }
    return lc_buf_putc(c->out, ')');
}

static int pr_sum(pctx_t *c, const sats_type_t *t, const sats_value_t *v, int depth)
{
    uint8_t tag = v->u.sum.tag;
    if (tag >= t->u.fields.n)
        return LC_EINVAL;
    const sats_field_t *f = &t->u.fields.items[tag];
    int rc;
    if (lc_buf_putc(c->out, '(') < 0 || (rc = put_label(c->out, f->name, tag)) < 0)
        return LC_ENOMEM;
    if (v->u.sum.payload != NULL)
        rc = pr_value(c, f->type, v->u.sum.payload, depth + 1);
    else if (sats_type_special(sats_resolve(c->ts, f->type)) == SATS_SPECIAL_UNIT)
        rc = lc_buf_puts(c->out, "()");
    else
        rc = LC_EINVAL;
    if (rc < 0)
        return rc;
    return lc_buf_putc(c->out, ')');
}

static int pr_array(pctx_t *c, const sats_type_t *t, const sats_value_t *v, int depth)
{
    const sats_type_t *et = sats_resolve(c->ts, t->u.elem);
    if (et == NULL)
        return LC_EINVAL;
    if (et->kind == SATS_U8)
        return put_bytes(c->out, v->u.bytes.ptr, v->u.bytes.len);
    uint32_t n = v->u.elems.n;
    if (n > 0 && v->u.elems.items == NULL)
        return LC_EINVAL;
    if (lc_buf_putc(c->out, '[') < 0)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        int rc;
        if (i > 0 && lc_buf_puts(c->out, ", ") < 0)
            return LC_ENOMEM;
        if ((rc = pr_value(c, et, &v->u.elems.items[i], depth + 1)) < 0)
            return rc;
    }
    return lc_buf_putc(c->out, ']');
}

static int pr_string(lc_buf_t *out, const sats_value_t *v)
{
    if (v->u.str.len > 0 && v->u.str.ptr == NULL)
        return LC_EINVAL;
    if (lc_buf_putc(out, '"') < 0 || lc_buf_append(out, v->u.str.ptr, v->u.str.len) < 0)
        return LC_ENOMEM;
    return lc_buf_putc(out, '"');
}

static int pr_value(pctx_t *c, const sats_type_t *t, const sats_value_t *v, int depth)
{
    if (depth > SATS_MAX_DEPTH)
        return LC_EINVAL;
    t = sats_resolve(c->ts, t);
    if (t == NULL || v == NULL)
        return LC_EINVAL;
    switch (t->kind) {
    case SATS_PRODUCT:
        return pr_product(c, t, v, depth);
    case SATS_SUM:
        return pr_sum(c, t, v, depth);
    case SATS_ARRAY:
        return pr_array(c, t, v, depth);
    case SATS_STRING:
        return pr_string(c->out, v);
    case SATS_BOOL:
        return lc_buf_puts(c->out, v->u.b ? "true" : "false");
    case SATS_F32:
        return put_float(c->out, v->u.f32, true);
    case SATS_F64:
        return put_float(c->out, v->u.f64, false);
    case SATS_REF:
    case SATS_KIND_COUNT:
        return LC_EINVAL;
    default:
        return put_int(c->out, t->kind, v);
    }
}

int sats_print_value(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t,
                     const sats_value_t *v)
{
    pctx_t c = {out, ts};
    size_t mark = out->len;
    int rc = pr_value(&c, t, v, 0);
    if (rc < 0)
        out->len = mark; /* leave no half-printed value behind */
    return rc;
}

/* ---------------------------------------------------------------- tables */

/* Decode one UTF-8 sequence leniently: a bad byte is U+FFFD of length 1. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    size_t len = b < 0x80             ? 1
                 : (b & 0xe0) == 0xc0 ? 2
                 : (b & 0xf0) == 0xe0 ? 3
                 : (b & 0xf8) == 0xf0 ? 4
                                      : 0;
    if (len == 0 || len > n) {
        *cp = 0xfffd;
        return 1;
    }
    uint32_t x = len == 1 ? b : b & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        x = x << 6 | (s[i] & 0x3f);
    }
    *cp = x;
    return len;
}

typedef struct cp_range {
    uint32_t lo, hi;
} cp_range_t;

static bool in_ranges(uint32_t cp, const cp_range_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    }
    return false;
}

/* Columns a terminal gives one code point: combining marks and zero-width
 * characters 0, East Asian wide and fullwidth characters 2, the rest 1. */
static size_t cp_width(uint32_t cp)
{
    static const cp_range_t zero[] = {
        {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a},
        {0x064b, 0x065f}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x200b, 0x200f},
        {0x20d0, 0x20ff}, {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff},
    };
    static const cp_range_t wide[] = {
        {0x1100, 0x115f},   {0x2e80, 0x303e},   {0x3041, 0x33ff},   {0x3400, 0x4dbf},
        {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},
        {0xfe30, 0xfe4f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
        {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
    };
    if (cp < 0x300)
        return 1;
    if (in_ranges(cp, zero, LC_ARRAY_LEN(zero)))
        return 0;
    return in_ranges(cp, wide, LC_ARRAY_LEN(wide)) ? 2 : 1;
}

static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += utf8_next((const uint8_t *)s + i, n - i, &cp);
        w += cp_width(cp);
    }
    return w;
}

/* Line k (0-based) of cell s, or an empty line past its last. */
static const char *cell_line(const char *s, size_t k, size_t *len)
{
    for (; k > 0 && s != NULL; k--) {
        s = strchr(s, '\n');
        if (s != NULL)
            s++;
    }
    if (s == NULL) {
        *len = 0;
        return "";
    }
    const char *nl = strchr(s, '\n');
    *len = nl ? (size_t)(nl - s) : strlen(s);
    return s;
}

static size_t cell_lines(const char *s)
{
    size_t n = 1;
    for (; s != NULL && (s = strchr(s, '\n')) != NULL; s++) n++;
    return n;
}

static size_t cell_width(const char *s)
{
    size_t w = 0, nl = cell_lines(s);
    for (size_t k = 0; k < nl; k++) {
        size_t len;
        const char *line = cell_line(s, k, &len);
        w = LC_MAX(w, text_width(line, len));
    }
    return w;
}

static int put_spaces(lc_buf_t *out, size_t n)
{
    uint8_t *p = lc_buf_extend(out, n);
    if (p == NULL && n > 0)
        return LC_ENOMEM;
    if (n > 0)
        memset(p, ' ', n);
    return 0;
}

/* One table row: each cell padded to its column, as many lines as its
 * tallest cell. */
static int put_row(lc_buf_t *out, uint32_t ncols, const char *const *row, const size_t *w)
{
    size_t height = 1;
    for (uint32_t c = 0; c < ncols; c++) height = LC_MAX(height, cell_lines(row[c]));
    for (size_t k = 0; k < height; k++) {
        for (uint32_t c = 0; c < ncols; c++) {
            size_t len;
            const char *line = cell_line(row[c] ? row[c] : "", k, &len);
            if ((c > 0 && lc_buf_putc(out, '|') < 0) || lc_buf_putc(out, ' ') < 0 ||
                lc_buf_append(out, line, len) < 0 ||
                put_spaces(out, w[c] - text_width(line, len) + 1) < 0)
                return LC_ENOMEM;
        }
        if (lc_buf_putc(out, '\n') < 0)
            return LC_ENOMEM;
    }
    return 0;
}

static int put_rule(lc_buf_t *out, uint32_t ncols, const size_t *w)
{
    for (uint32_t c = 0; c < ncols; c++) {
        if (c > 0 && lc_buf_putc(out, '+') < 0)
            return LC_ENOMEM;
        uint8_t *p = lc_buf_extend(out, w[c] + 2);
        if (p == NULL)
            return LC_ENOMEM;
        memset(p, '-', w[c] + 2);
    }
    return lc_buf_putc(out, '\n');
}

int sats_print_table(lc_buf_t *out, uint32_t ncols, const char *const *headers, uint32_t nrows,
                     const char *const *cells)
{
    if (ncols == 0)
        return 0;
    size_t *w = lc_calloc(ncols, sizeof *w);
    if (w == NULL)
        return LC_ENOMEM;
    for (uint32_t c = 0; c < ncols; c++) {
        w[c] = cell_width(headers[c]);
        for (uint32_t r = 0; r < nrows; r++)
            w[c] = LC_MAX(w[c], cell_width(cells[(size_t)r * ncols + c]));
    }
    size_t mark = out->len;
    int rc = put_row(out, ncols, headers, w);
    if (rc == 0)
        rc = put_rule(out, ncols, w);
    for (uint32_t r = 0; r < nrows && rc == 0; r++)
        rc = put_row(out, ncols, cells + (size_t)r * ncols, w);
    lc_free(w);
    if (rc < 0)
        out->len = mark;
    return rc;
}
