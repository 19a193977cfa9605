/*
 * json.c — SATS-JSON: values as JSON text or jansson trees, and back
 * (protocol.md §2.2).
 *
 * Output.  Two flavours, chosen by sats_json_mode_t:
 *
 *   Type            TYPED                          UNTYPED
 *   Product         {"a":1,"b":"x"} in field       [1,"x"]
 *                   order; an unnamed field's
 *                   key is its index ("0", "1")
 *   Product{}       []                             []
 *   Sum             {"name":payload}; an unnamed   [tag,payload]
 *                   variant's key is its tag
 *   Option<T>       {"some":5} / {"none":[]}       [0,5] / [1,[]]
 *   Bool            true / false
 *   I8 ... I128,    bare numbers, every digit kept (u64, u128 and i128 are
 *   U8 ... U128     written as text, never through a double)
 *   I256 / U256     "0x2a", "-0x2a", "0x0": a string, lowercase hex with no
 *                   leading zeros (ethnum's serde form)
 *   F32 / F64       the shortest number that reads back exactly, as
 *                   serde_json writes it: 1.0, 0.1, 1e20, 1.5e-7; NaN and
 *                   infinities are null (serde_json does the same)
 *   String          a JSON string: ", \ and control characters escaped,
 *                   everything else (non-ASCII included) as it is
 *   Array<U8>       "0102ff": lowercase hex, no 0x
 *   Array<T>        [ ... ]
 *
 * Special types need no rule of their own: Identity is
 * {"__identity__":"0xc200..."} typed and ["0xc200..."] untyped, a Timestamp
 * {"__timestamp_micros_since_unix_epoch__":1767225600000000} or
 * [1767225600000000].
 *
 * sats_json_encode writes the text itself and is exact.  sats_json_from_value
 * builds a jansson tree, whose integers are int64: a u64 above INT64_MAX or a
 * 128-bit value outside int64 becomes a JSON real (the nearest double) there.
 * Use sats_json_encode for anything that leaves the process.
 *
 * Input (sats_json_to_value, sats_json_decode) is lenient, as the
 * reference's serde-based reader (crates/sats/src/de/serde.rs):
 *
 *   Product         an array (positional, exactly n elements) or an object
 *                   by field name (an unnamed field by its index); a missing
 *                   field or an unknown key is an error naming it
 *   Product{}       [] or {}
 *   Identity,       also the bare inner value: "0x..." or a plain 64 (32)
 *   ConnectionId,   digit hex string as /v1/identity writes it; a Uuid also
 *   Uuid            as 8-4-4-4-12 text
 *   Timestamp,      also the bare number of microseconds
 *   TimeDuration
 *   Sum             {"name":v}, {"<tag>":v} (a key that reads as a u8 is a
 *                   tag), or [tag, v] with tag a number, a name or a numeric
 *                   string
 *   Option<T>       also null for none; some is never a bare value (nor in
 *                   the reference)
 *   Integers        JSON integers; integral reals; strings holding a decimal
 *                   ("-12") or hex ("0x2a", "-0x2a") integer; each checked
 *                   against its type's range
 *   F32 / F64       numbers; numeric strings; "NaN", "inf", "-inf",
 *                   "Infinity", "-Infinity"
 *   String          a string
 *   Array<U8>       a hex string (0x prefix optional) or an array of numbers
 *
 * Big integers in text.  jansson refuses integer literals beyond int64, so
 * sats_json_decode first rewrites each such literal (outside strings) into
 * the string "\u0000<digits>", which no JSON string can otherwise start
 * with: a string that really starts with \u0000 gets a second \u0000 in
 * front, which the reader takes off again (invariant 1).  Positions in
 * jansson's syntax errors count the rewritten text.
 *
 * Invariants:
 *   1. With marked input (sats_json_decode), a string whose first byte is
 *      NUL is a rewritten integer literal if its second byte is not NUL, and
 *      otherwise the original string with one leading NUL removed.
 *   2. Every error names where in the value it happened: "at .a[2].b: ...",
 *      with ".name" for fields and variants, ".<i>" for unnamed fields and
 *      "[i]" for array elements ("at top level" for the root).
 *   3. Nesting is bounded by SATS_MAX_DEPTH in every direction; Refs are
 *      resolved with sats_resolve, so a Ref cycle is an error, not a loop.
 *   4. On error sats_json_encode leaves out as it found it.
 */
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sats/print_int.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- paths */

typedef struct jpath {
    char s[200];
    size_t len;
} jpath_t;

static size_t path_push(jpath_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a segment; returns the length to restore with path_pop.  A path
 * too long for the buffer keeps its first part. */
static size_t path_push(jpath_t *p, const char *fmt, ...)
{
    size_t old = p->len, room = sizeof p->s - p->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->s + p->len, room, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < room)
        p->len += (size_t)n;
    p->s[p->len] = 0;
    return old;
}

static size_t path_field(jpath_t *p, const char *name, uint32_t i)
{
    return name ? path_push(p, ".%s", name) : path_push(p, ".%u", i);
}

static void path_pop(jpath_t *p, size_t old)
{
    p->len = old;
    p->s[old] = 0;
}

static int fail(lc_err_t *err, const jpath_t *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Invariant 2. */
static int fail(lc_err_t *err, const jpath_t *p, int code, const char *fmt, ...)
{
    char msg[LC_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lc_err_set(err, code, "at %s: %s", p->len ? p->s : "top level", msg);
}

/* ---------------------------------------------------------------- numbers */

static bool kind_signed(sats_kind_t k)
{
    return k == SATS_I8 || k == SATS_I16 || k == SATS_I32 || k == SATS_I64 || k == SATS_I128 ||
           k == SATS_I256;
}

static unsigned kind_bits(sats_kind_t k)
{
    switch (k) {
    case SATS_I8:
    case SATS_U8:
        return 8;
    case SATS_I16:
    case SATS_U16:
        return 16;
    case SATS_I32:
    case SATS_U32:
        return 32;
    case SATS_I64:
    case SATS_U64:
        return 64;
    case SATS_I128:
    case SATS_U128:
        return 128;
    default:
        return 256;
    }
}

/* Two's-complement negate 32 little-endian bytes in place. */
static void negate256(uint8_t m[32])
{
    unsigned carry = 1;
    for (int i = 0; i < 32; i++) {
        unsigned x = (uint8_t)~m[i] + carry;
        m[i] = (uint8_t)x;
        carry = x >> 8;
    }
}

/* "0x2a", "-0x2a", "0x0": the JSON text of a 256-bit integer, unquoted. */
static size_t hex256_text(char out[72], const uint8_t w[32], bool is_signed)
{
    static const char hx[] = "0123456789abcdef";
    uint8_t m[32];
    memcpy(m, w, 32);
    size_t k = 0;
    if (is_signed && (w[31] & 0x80)) {
        negate256(m);
        out[k++] = '-';
    }
    out[k++] = '0';
    out[k++] = 'x';
    bool started = false;
    for (int i = 63; i >= 0; i--) {
        unsigned nib = (m[i / 2] >> (4 * (i % 2))) & 15;
        if (nib != 0 || started || i == 0) {
            out[k++] = hx[nib];
            started = true;
        }
    }
    out[k] = 0;
    return k;
}

/* A finite float as serde_json (ryu) writes it. */
static size_t float_json_text(char out[48], double v, bool is_f32)
{
    size_t k = 0;
    if (signbit(v))
        out[k++] = '-';
    v = fabs(v);
    if (v == 0) {
        memcpy(out + k, "0.0", 4);
        return k + 3;
    }
    char d[SATS__DIGITS_MAX];
    int dp, n = sats__float_digits(v, is_f32, d, &dp);
    if (dp >= n && dp <= 16) {
        k += (size_t)snprintf(out + k, 48 - k, "%s%.*s.0", d, dp - n, "0000000000000000");
    } else if (dp > 0 && dp <= 16) {
        k += (size_t)snprintf(out + k, 48 - k, "%.*s.%s", dp, d, d + dp);
    } else if (dp > -5 && dp <= 0) {
        k += (size_t)snprintf(out + k, 48 - k, "0.%.*s%s", -dp, "0000", d);
    } else {
        k += (size_t)snprintf(out + k, 48 - k, "%c%s%se%d", d[0], n > 1 ? "." : "", d + 1, dp - 1);
    }
    return k;
}

/* ---------------------------------------------------------------- text out */

typedef struct enc {
    lc_buf_t *out;
    const sats_typespace_t *ts;
    sats_json_mode_t mode;
    lc_err_t *err;
    jpath_t path;
    bool oom; /* a write failed; checked once at the end */
} enc_t;

static void put(enc_t *e, const void *p, size_t n)
{
    if (!e->oom && n > 0 && lc_buf_append(e->out, p, n) < 0)
        e->oom = true;
}

static void puts_(enc_t *e, const char *s)
{
    put(e, s, strlen(s));
}

static void putc_(enc_t *e, char c)
{
    put(e, &c, 1);
}

/* A JSON string, escaped as serde_json escapes. */
static void put_jstring(enc_t *e, const char *s, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t run = 0;
    putc_(e, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(e, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hx[c >> 4];
            esc[5] = hx[c & 15];
        }
        puts_(e, esc);
    }
    put(e, s + run, n - run);
    putc_(e, '"');
}

static void put_index_key(enc_t *e, const char *name, uint32_t i)
{
    char num[16];
    if (name == NULL) {
        snprintf(num, sizeof num, "%u", i);
        name = num;
    }
    put_jstring(e, name, strlen(name));
    putc_(e, ':');
}

static int enc_value(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth);

static int enc_product(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth)
{
    uint32_t n = t->u.fields.n;
    if (v->u.elems.n != n || (n > 0 && v->u.elems.items == NULL))
        return fail(e->err, &e->path, LC_EINVAL, "value has %u fields, its type has %u",
                    v->u.elems.n, n);
    bool obj = e->mode == SATS_JSON_TYPED && n > 0;
    putc_(e, obj ? '{' : '[');
    for (uint32_t i = 0; i < n; i++) {
        const sats_field_t *f = &t->u.fields.items[i];
        if (i > 0)
            putc_(e, ',');
        if (obj)
            put_index_key(e, f->name, i);
        size_t mark = path_field(&e->path, f->name, i);
        int rc = enc_value(e, f->type, &v->u.elems.items[i], depth + 1);
        path_pop(&e->path, mark);
        if (rc < 0)
            return rc;
    }
    putc_(e, obj ? '}' : ']');
    return 0;
}

/* A sum's payload; a missing payload is accepted for a unit variant. */
static int enc_payload(enc_t *e, const sats_field_t *f, const sats_value_t *payload, int depth)
{
    if (payload != NULL)
        return enc_value(e, f->type, payload, depth);
    if (sats_type_special(sats_resolve(e->ts, f->type)) == SATS_SPECIAL_UNIT) {
        puts_(e, "[]");
        return 0;
    }
    return fail(e->err, &e->path, LC_EINVAL, "sum value has no payload");
}

static int enc_sum(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth)
{
    uint8_t tag = v->u.sum.tag;
    if (tag >= t->u.fields.n)
        return fail(e->err, &e->path, LC_EINVAL, "variant tag %u out of range (the sum has %u)",
                    tag, t->u.fields.n);
    const sats_field_t *f = &t->u.fields.items[tag];
    if (e->mode == SATS_JSON_TYPED) {
        putc_(e, '{');
        put_index_key(e, f->name, tag);
    } else {
        char num[8];
        snprintf(num, sizeof num, "[%u,", tag);
        puts_(e, num);
    }
    size_t mark = path_field(&e->path, f->name, tag);
    int rc = enc_payload(e, f, v->u.sum.payload, depth + 1);
    path_pop(&e->path, mark);
    putc_(e, e->mode == SATS_JSON_TYPED ? '}' : ']');
    return rc;
}

static int enc_bytes(enc_t *e, const sats_value_t *v)
{
    size_t n = v->u.bytes.len;
    if (n > 0 && v->u.bytes.ptr == NULL)
        return fail(e->err, &e->path, LC_EINVAL, "byte array has no data");
    putc_(e, '"');
    uint8_t *dst = e->oom ? NULL : lc_buf_extend(e->out, 2 * n + 1);
    if (dst == NULL) {
        e->oom = true;
        return 0;
    }
    lc_hex_encode((char *)dst, v->u.bytes.ptr, n);
    e->out->len--; /* the NUL lc_hex_encode adds */
    putc_(e, '"');
    return 0;
}

static int enc_array(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth)
{
    const sats_type_t *et = sats_resolve(e->ts, t->u.elem);
    if (et == NULL)
        return fail(e->err, &e->path, LC_EINVAL, "array element type cannot be resolved");
    if (et->kind == SATS_U8)
        return enc_bytes(e, v);
    uint32_t n = v->u.elems.n;
    if (n > 0 && v->u.elems.items == NULL)
        return fail(e->err, &e->path, LC_EINVAL, "array has no elements");
    putc_(e, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0)
            putc_(e, ',');
        size_t mark = path_push(&e->path, "[%u]", i);
        int rc = enc_value(e, et, &v->u.elems.items[i], depth + 1);
        path_pop(&e->path, mark);
        if (rc < 0)
            return rc;
    }
    putc_(e, ']');
    return 0;
}

static int enc_string(enc_t *e, const sats_value_t *v)
{
    const char *s = v->u.str.len ? v->u.str.ptr : "";
    if (s == NULL)
        return fail(e->err, &e->path, LC_EINVAL, "string has no data");
    if (!sats_utf8_valid(s, v->u.str.len))
        return fail(e->err, &e->path, LC_EINVAL, "string is not valid UTF-8");
    put_jstring(e, s, v->u.str.len);
    return 0;
}

static void enc_number(enc_t *e, sats_kind_t kind, const sats_value_t *v)
{
    char s[SATS__DEC_MAX + 8];
    if (kind == SATS_F32 || kind == SATS_F64) {
        double x = kind == SATS_F32 ? v->u.f32 : v->u.f64;
        if (!isfinite(x))
            puts_(e, "null");
        else
            put(e, s, float_json_text(s, x, kind == SATS_F32));
        return;
    }
    uint8_t w[32];
    sats__load_int(kind, v, w);
    if (kind == SATS_I256 || kind == SATS_U256) {
        size_t n = hex256_text(s + 1, w, kind == SATS_I256);
        s[0] = '"';
        s[n + 1] = '"';
        put(e, s, n + 2);
        return;
    }
    put(e, s, sats__wide_dec(s, w, kind_signed(kind)));
}

/* Invariant 3. */
static int enc_value(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth)
{
    if (depth > SATS_MAX_DEPTH)
        return fail(e->err, &e->path, LC_EINVAL, "value nests deeper than %d levels",
                    SATS_MAX_DEPTH);
    const sats_type_t *rt = sats_resolve(e->ts, t);
    if (rt == NULL)
        return fail(e->err, &e->path, LC_EINVAL, "type reference cannot be resolved");
    if (v == NULL)
        return fail(e->err, &e->path, LC_EINVAL, "value is missing");
    switch (rt->kind) {
    case SATS_PRODUCT:
        return enc_product(e, rt, v, depth);
    case SATS_SUM:
        return enc_sum(e, rt, v, depth);
    case SATS_ARRAY:
        return enc_array(e, rt, v, depth);
    case SATS_STRING:
        return enc_string(e, v);
    case SATS_BOOL:
        puts_(e, v->u.b ? "true" : "false");
        return 0;
    case SATS_REF:
    case SATS_KIND_COUNT:
        return fail(e->err, &e->path, LC_EINVAL, "type has an unknown kind %d", (int)rt->kind);
    default:
        enc_number(e, rt->kind, v);
        return 0;
    }
}

int sats_json_encode(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t,
                     const sats_value_t *v, sats_json_mode_t mode, lc_err_t *err)
{
    enc_t e = {.out = out, .ts = ts, .mode = mode, .err = err};
    size_t mark = out->len;
    int rc = enc_value(&e, t, v, 0);
    if (rc == 0 && e.oom)
        rc = lc_err_set(err, LC_ENOMEM, "out of memory writing JSON");
    if (rc < 0)
        out->len = mark; /* invariant 4 */
    return rc;
}

/* ---------------------------------------------------------------- jansson out */

typedef struct bld {
    const sats_typespace_t *ts;
    sats_json_mode_t mode;
    lc_err_t *err;
    jpath_t path;
} bld_t;

static json_t *oom(bld_t *b)
{
    lc_err_set(b->err, LC_ENOMEM, "out of memory building JSON");
    return NULL;
}

static json_t *bld_value(bld_t *b, const sats_type_t *t, const sats_value_t *v, int depth);

/* Append child to the array or object j (under key); both consumed on
 * failure.  Returns false if j is gone. */
static bool attach(bld_t *b, json_t *j, const char *name, uint32_t i, json_t *child)
{
    char num[16];
    if (child == NULL) {
        json_decref(j);
        return false;
    }
    int rc;
    if (json_is_object(j)) {
        if (name == NULL)
            snprintf(num, sizeof num, "%u", i);
        rc = json_object_set_new(j, name ? name : num, child);
    } else {
        rc = json_array_append_new(j, child);
    }
    if (rc < 0) {
        json_decref(j);
        oom(b);
        return false;
    }
    return true;
}

static json_t *bld_product(bld_t *b, const sats_type_t *t, const sats_value_t *v, int depth)
{
    uint32_t n = t->u.fields.n;
    if (v->u.elems.n != n || (n > 0 && v->u.elems.items == NULL)) {
        fail(b->err, &b->path, LC_EINVAL, "value has %u fields, its type has %u", v->u.elems.n, n);
        return NULL;
    }
    json_t *j = (b->mode == SATS_JSON_TYPED && n > 0) ? json_object() : json_array();
    if (j == NULL)
        return oom(b);
    for (uint32_t i = 0; i < n; i++) {
        const sats_field_t *f = &t->u.fields.items[i];
        size_t mark = path_field(&b->path, f->name, i);
        json_t *c = bld_value(b, f->type, &v->u.elems.items[i], depth + 1);
        path_pop(&b->path, mark);
        if (!attach(b, j, f->name, i, c))
            return NULL;
    }
    return j;
}

static json_t *bld_sum(bld_t *b, const sats_type_t *t, const sats_value_t *v, int depth)
{
    uint8_t tag = v->u.sum.tag;
    if (tag >= t->u.fields.n) {
        fail(b->err, &b->path, LC_EINVAL, "variant tag %u out of range (the sum has %u)", tag,
             t->u.fields.n);
        return NULL;
    }
    const sats_field_t *f = &t->u.fields.items[tag];
    size_t mark = path_field(&b->path, f->name, tag);
    json_t *c = NULL;
    if (v->u.sum.payload != NULL)
        c = bld_value(b, f->type, v->u.sum.payload, depth + 1);
    else if (sats_type_special(sats_resolve(b->ts, f->type)) != SATS_SPECIAL_UNIT)
        fail(b->err, &b->path, LC_EINVAL, "sum value has no payload");
    else if ((c = json_array()) == NULL)
        oom(b);
    path_pop(&b->path, mark);
    if (c == NULL)
        return NULL;
    bool typed = b->mode == SATS_JSON_TYPED;
    json_t *j = typed ? json_object() : json_array();
    if (j == NULL) {
        json_decref(c);
        return oom(b);
    }
    json_t *jt = typed ? NULL : json_integer(tag);
    if (!typed && jt == NULL) {
        json_decref(c);
        json_decref(j);
        return oom(b);
    }
    if (!typed && !attach(b, j, NULL, 0, jt)) {
        json_decref(c);
        return NULL;
    }
    return attach(b, j, f->name, tag, c) ? j : NULL;
}

static json_t *bld_array(bld_t *b, const sats_type_t *t, const sats_value_t *v, int depth)
{
    const sats_type_t *et = sats_resolve(b->ts, t->u.elem);
    if (et == NULL) {
        fail(b->err, &b->path, LC_EINVAL, "array element type cannot be resolved");
        return NULL;
    }
    if (et->kind == SATS_U8) {
        size_t n = v->u.bytes.len;
        char *hex = lc_malloc(2 * n + 1);
        if (hex == NULL)
            return oom(b);
        lc_hex_encode(hex, n ? v->u.bytes.ptr : (const uint8_t *)"", n);
        json_t *j = json_stringn(hex, 2 * n);
        lc_free(hex);
        return j ? j : oom(b);
    }
    json_t *j = json_array();
    if (j == NULL)
        return oom(b);
    for (uint32_t i = 0; i < v->u.elems.n; i++) {
        size_t mark = path_push(&b->path, "[%u]", i);
        json_t *c = bld_value(b, et, &v->u.elems.items[i], depth + 1);
        path_pop(&b->path, mark);
        if (!attach(b, j, NULL, i, c))
            return NULL;
    }
    return j;
}

/* An integer as a jansson value: exact within int64, else the nearest
 * double (256-bit values are strings, as in the text form). */
static json_t *bld_int(sats_kind_t kind, const sats_value_t *v)
{
    uint8_t w[32];
    sats__load_int(kind, v, w);
    bool sgn = kind_signed(kind);
    if (kind == SATS_I256 || kind == SATS_U256) {
        char s[72];
        hex256_text(s, w, sgn);
        return json_string(s);
    }
    bool neg = sgn && (w[31] & 0x80);
    bool fits = true;
    for (int i = 8; i < 32; i++) fits = fits && w[i] == (neg ? 0xff : 0);
    uint64_t lo = lc_load_u64le(w);
    if (fits && (neg ? lo >= (uint64_t)1 << 63 : lo < (uint64_t)1 << 63))
        return json_integer((json_int_t)(int64_t)lo);
    if (neg)
        negate256(w);
    double x = 0;
    for (int i = 31; i >= 0; i--) x = x * 256 + w[i];
    return json_real(neg ? -x : x);
}

static json_t *bld_scalar(bld_t *b, sats_kind_t kind, const sats_value_t *v)
{
    json_t *j;
    if (kind == SATS_STRING) {
        const char *s = v->u.str.len ? v->u.str.ptr : "";
        if (s == NULL || !sats_utf8_valid(s, v->u.str.len)) {
            fail(b->err, &b->path, LC_EINVAL, "string is not valid UTF-8");
            return NULL;
        }
        j = json_stringn(s, v->u.str.len);
    } else if (kind == SATS_BOOL) {
        j = json_boolean(v->u.b);
    } else if (kind == SATS_F32 || kind == SATS_F64) {
        double x = kind == SATS_F32 ? v->u.f32 : v->u.f64;
        j = isfinite(x) ? json_real(x) : json_null();
    } else {
        j = bld_int(kind, v);
    }
    return j ? j : oom(b);
}

static json_t *bld_value(bld_t *b, const sats_type_t *t, const sats_value_t *v, int depth)
{
    if (depth > SATS_MAX_DEPTH) {
        fail(b->err, &b->path, LC_EINVAL, "value nests deeper than %d levels", SATS_MAX_DEPTH);
        return NULL;
    }
    const sats_type_t *rt = sats_resolve(b->ts, t);
    if (rt == NULL || v == NULL || rt->kind == SATS_REF || rt->kind >= SATS_KIND_COUNT) {
        fail(b->err, &b->path, LC_EINVAL, "%s",
             v ? "type reference cannot be resolved" : "value is missing");
        return NULL;
    }
    switch (rt->kind) {
    case SATS_PRODUCT:
        return bld_product(b, rt, v, depth);
    case SATS_SUM:
        return bld_sum(b, rt, v, depth);
    case SATS_ARRAY:
        return bld_array(b, rt, v, depth);
    default:
        return bld_scalar(b, rt->kind, v);
    }
}

struct json_t *sats_json_from_value(const sats_typespace_t *ts, const sats_type_t *t,
                                    const sats_value_t *v, sats_json_mode_t mode, lc_err_t *err)
{
    bld_t b = {.ts = ts, .mode = mode, .err = err};
    return bld_value(&b, t, v, 0);
}

/* ---------------------------------------------------------------- reading */

typedef struct dec {
    lc_arena_t *a;
    const sats_typespace_t *ts;
    lc_err_t *err;
    jpath_t path;
    bool marked; /* input came through mark_text (invariant 1) */
} dec_t;

/* A 256-bit magnitude and a sign, before the range check. */
typedef struct bigint {
    uint8_t mag[32];
    bool neg;
} bigint_t;

enum { JS_PLAIN, JS_BIGINT };

/* The bytes of string j, and whether it is a rewritten integer literal
 * (invariant 1). */
static int jstr(const dec_t *d, const json_t *j, const char **s, size_t *n)
{
    *s = json_string_value(j);
    *n = json_string_length(j);
    if (!d->marked || *n == 0 || (*s)[0] != 0)
        return JS_PLAIN;
    bool user = *n >= 2 && (*s)[1] == 0;
    (*s)++;
    (*n)--;
    return user ? JS_PLAIN : JS_BIGINT;
}

/* A short description of j for messages: "a string", "1.5", "\"abc\"". */
static const char *describe(const dec_t *d, const json_t *j, char buf[96])
{
    const char *s;
    size_t n;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        if (jstr(d, j, &s, &n) == JS_BIGINT)
            snprintf(buf, 96, "%.*s", (int)LC_MIN(n, 80), s);
        else
            snprintf(buf, 96, "\"%.*s%s\"", (int)LC_MIN(n, 60), s, n > 60 ? "..." : "");
        return buf;
    case JSON_INTEGER:
        snprintf(buf, 96, "%lld", (long long)json_integer_value(j));
        return buf;
    case JSON_REAL:
        if (!isfinite(json_real_value(j)))
            return "a non-finite number";
        buf[float_json_text(buf, json_real_value(j), false)] = 0;
        return buf;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return "null";
    }
}

static int expected(dec_t *d, const char *what, const json_t *j)
{
    char buf[96];
    return fail(d->err, &d->path, LC_EINVAL, "expected %s, got %s", what, describe(d, j, buf));
}

static int nomem(dec_t *d)
{
    return lc_err_set(d->err, LC_ENOMEM, "out of memory reading JSON");
}

static sats_value_t *alloc_values(dec_t *d, size_t n)
{
    static sats_value_t none;
    if (n == 0)
        return &none; /* never written: n == 0 */
    if (n > SIZE_MAX / sizeof(sats_value_t))
        return NULL;
    return lc_arena_zalloc(d->a, n * sizeof(sats_value_t));
}

/* m = m * mul + add; false on overflow past 256 bits. */
static bool mul_add(uint8_t m[32], unsigned mul, unsigned add)
{
    unsigned carry = add;
    for (int i = 0; i < 32; i++) {
        unsigned x = m[i] * mul + carry;
        m[i] = (uint8_t)x;
        carry = x >> 8;
    }
    return carry == 0;
}

static int digit_value(char c, bool hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* An optional sign, then decimal digits or 0x and hex digits.  0,
 * LC_EINVAL (not an integer) or LC_ERANGE (beyond 256 bits). */
static int parse_bigint(const char *s, size_t n, bigint_t *b)
{
    memset(b, 0, sizeof *b);
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        b->neg = s[i++] == '-';
    bool hex = n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
    i += hex ? 2 : 0;
    if (i == n)
        return LC_EINVAL;
    int rc = 0;
    for (; i < n; i++) {
        int dv = digit_value(s[i], hex);
        if (dv < 0)
            return LC_EINVAL;
        if (rc == 0 && !mul_add(b->mag, hex ? 16 : 10, (unsigned)dv))
            rc = LC_ERANGE;
    }
    return rc;
}

static void bigint_from_u64(bigint_t *b, uint64_t x, bool neg)
{
    memset(b, 0, sizeof *b);
    lc_store_u64le(b->mag, x);
    b->neg = neg;
}

/* An integral double; LC_EINVAL if it has a fraction or is not finite. */
static int bigint_from_double(bigint_t *b, double x)
{
    if (!isfinite(x) || floor(x) != x)
        return LC_EINVAL;
    double a = fabs(x);
    if (a < 18446744073709551616.0) {
        bigint_from_u64(b, (uint64_t)a, x < 0);
        return 0;
    }
    int e;
    double f = frexp(a, &e); /* a = f * 2^e, e > 64 */
    if (e > 256)
        return LC_ERANGE;
    bigint_from_u64(b, (uint64_t)ldexp(f, 53), x < 0);
    for (int k = 0; k < e - 53; k++) mul_add(b->mag, 2, 0);
    return 0;
}

/* Whether the bits of m at index >= k are all zero. */
static bool clear_from(const uint8_t m[32], unsigned k)
{
    for (unsigned i = k; i < 256; i++) {
        if (m[i / 8] & (1u << (i % 8)))
            return false;
    }
    return true;
}

/* Whether m is exactly 2^k. */
static bool is_pow2(const uint8_t m[32], unsigned k)
{
    for (unsigned i = 0; i < 256; i++) {
        if (((m[i / 8] >> (i % 8)) & 1) != (i == k))
            return false;
    }
    return true;
}

/* Range-check b against kind and store it in out; LC_ERANGE if it does not
 * fit. */
static int bigint_store(const bigint_t *b, sats_kind_t kind, sats_value_t *out)
{
    unsigned bits = kind_bits(kind);
    bool sgn = kind_signed(kind);
    if (b->neg && !clear_from(b->mag, 0)) {
        /* a negative value's magnitude is at most 2^(bits-1) */
        if (!sgn || !(clear_from(b->mag, bits - 1) || is_pow2(b->mag, bits - 1)))
            return LC_ERANGE;
    } else if (!clear_from(b->mag, sgn ? bits - 1 : bits)) {
        return LC_ERANGE;
    }
    uint8_t w[32];
    memcpy(w, b->mag, 32);
    if (b->neg)
        negate256(w);
    if (bits <= 64)
        out->u.u = lc_load_u64le(w); /* .i and .u share the bits */
    else
        memcpy(out->u.wide, w, 32);
    return 0;
}

static int dec_value(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *out, int depth);

static int range_error(dec_t *d, sats_kind_t kind, const json_t *j)
{
    char buf[96];
    return fail(d->err, &d->path, LC_ERANGE, "%s is out of range for %s", describe(d, j, buf),
                sats_kind_name(kind));
}

static int dec_int(dec_t *d, sats_kind_t kind, const json_t *j, sats_value_t *out)
{
    char what[48];
    snprintf(what, sizeof what, "an integer (%s)", sats_kind_name(kind));
    bigint_t b;
    int rc;
    const char *s;
    size_t n;
    switch (json_typeof(j)) {
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(j);
        bigint_from_u64(&b, x < 0 ? 0 - (uint64_t)x : (uint64_t)x, x < 0);
        rc = 0;
        break;
    }
    case JSON_REAL:
        rc = bigint_from_double(&b, json_real_value(j));
        break;
    case JSON_STRING:
        jstr(d, j, &s, &n);
        rc = parse_bigint(s, n, &b);
        break;
    default:
        return expected(d, what, j);
    }
    if (rc == LC_EINVAL)
        return expected(d, what, j);
    if (rc == 0)
        rc = bigint_store(&b, kind, out);
    return rc < 0 ? range_error(d, kind, j) : 0;
}

/* A float from the text of a JSON string. */
static bool parse_float_text(const char *s, size_t n, double *x)
{
    static const struct {
        const char *name;
        double value;
    } names[] = {
        {"NaN", NAN},
        {"nan", NAN},
        {"inf", INFINITY},
        {"+inf", INFINITY},
        {"-inf", -INFINITY},
        {"Infinity", INFINITY},
        {"+Infinity", INFINITY},
        {"-Infinity", -INFINITY},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(names); i++) {
        if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0) {
            *x = names[i].value;
            return true;
        }
    }
    if (n == 0 || !(s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
        return false;
    char *end;
    *x = strtod(s, &end);
    return end == s + n;
}

static int dec_float(dec_t *d, sats_kind_t kind, const json_t *j, sats_value_t *out)
{
    const char *what = kind == SATS_F32 ? "a number (F32)" : "a number (F64)";
    const char *s;
    size_t n;
    double x;
    if (json_is_integer(j))
        x = (double)json_integer_value(j);
    else if (json_is_real(j))
        x = json_real_value(j);
    else if (!json_is_string(j))
        return expected(d, what, j);
    else if (jstr(d, j, &s, &n), !parse_float_text(s, n, &x))
        return expected(d, what, j);
    if (kind == SATS_F64) {
        out->u.f64 = x;
        return 0;
    }
    /* doubles from FLT_MAX up to the midpoint below 2^128 round to FLT_MAX */
    if (isfinite(x) && fabs(x) >= 0x1.ffffffp127)
        return range_error(d, kind, j);
    if (isfinite(x) && fabs(x) > FLT_MAX)
        out->u.f32 = x > 0 ? FLT_MAX : -FLT_MAX;
    else
        out->u.f32 = (float)x;
    return 0;
}

static int dec_string(dec_t *d, const json_t *j, sats_value_t *out)
{
    const char *s;
    size_t n;
    if (!json_is_string(j) || jstr(d, j, &s, &n) == JS_BIGINT)
        return expected(d, "a string", j);
    if (n > UINT32_MAX)
        return fail(d->err, &d->path, LC_ERANGE, "string of %zu bytes is too long", n);
    if (!sats_utf8_valid(s, n))
        return fail(d->err, &d->path, LC_EINVAL, "string is not valid UTF-8");
    char *p = lc_arena_alloc(d->a, n + 1);
    if (p == NULL)
        return nomem(d);
    memcpy(p, s, n);
    p[n] = 0;
    out->u.str.ptr = p;
    out->u.str.len = (uint32_t)n;
    return 0;
}

static int dec_byte_array(dec_t *d, const json_t *j, sats_value_t *out)
{
    size_t n = json_array_size(j);
    if (n > UINT32_MAX)
        return fail(d->err, &d->path, LC_ERANGE, "array of %zu bytes is too long", n);
    uint8_t *p = lc_arena_alloc(d->a, n + 1);
    if (p == NULL)
        return nomem(d);
    for (size_t i = 0; i < n; i++) {
        sats_value_t b;
        size_t mark = path_push(&d->path, "[%zu]", i);
        int rc = dec_int(d, SATS_U8, json_array_get(j, i), &b);
        path_pop(&d->path, mark);
        if (rc < 0)
            return rc;
        p[i] = (uint8_t)b.u.u;
    }
    out->u.bytes.ptr = p;
    out->u.bytes.len = (uint32_t)n;
    return 0;
}

static int dec_bytes(dec_t *d, const json_t *j, sats_value_t *out)
{
    const char *what = "a hex string or an array of bytes";
    const char *s;
    size_t n;
    if (json_is_array(j))
        return dec_byte_array(d, j, out);
    if (!json_is_string(j) || jstr(d, j, &s, &n) == JS_BIGINT)
        return expected(d, what, j);
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n % 2 != 0)
        return fail(d->err, &d->path, LC_EINVAL, "hex string has an odd number of digits (%zu)", n);
    if (n / 2 > UINT32_MAX)
        return fail(d->err, &d->path, LC_ERANGE, "hex string of %zu digits is too long", n);
    uint8_t *p = lc_arena_alloc(d->a, n / 2 + 1);
    if (p == NULL)
        return nomem(d);
    if (lc_hex_decode(p, n / 2, s, n) < 0)
        return expected(d, what, j);
    out->u.bytes.ptr = p;
    out->u.bytes.len = (uint32_t)(n / 2);
    return 0;
}

static int dec_array(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *out, int depth)
{
    const sats_type_t *et = sats_resolve(d->ts, t->u.elem);
    if (et == NULL)
        return fail(d->err, &d->path, LC_EINVAL, "array element type cannot be resolved");
    if (et->kind == SATS_U8)
        return dec_bytes(d, j, out);
    if (!json_is_array(j))
        return expected(d, "an array", j);
    size_t n = json_array_size(j);
    if (n > UINT32_MAX)
        return fail(d->err, &d->path, LC_ERANGE, "array of %zu elements is too long", n);
    sats_value_t *items = alloc_values(d, n);
    if (items == NULL)
        return nomem(d);
    out->u.elems.n = (uint32_t)n;
    out->u.elems.items = n ? items : NULL;
    for (size_t i = 0; i < n; i++) {
        size_t mark = path_push(&d->path, "[%zu]", i);
        int rc = dec_value(d, et, json_array_get(j, i), &items[i], depth + 1);
        path_pop(&d->path, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The key a field (or variant) has in an object: its name, or its index. */
static const char *key_of(const sats_field_t *f, uint32_t i, char num[16])
{
    if (f->name != NULL)
        return f->name;
    snprintf(num, 16, "%u", i);
    return num;
}

/* The fields or variants of t as "a, b, c" for messages. */
static const char *name_list(const sats_type_t *t, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < t->u.fields.n && k < size; i++) {
        char num[16];
        int n = snprintf(buf + k, size - k, "%s%s", i ? ", " : "",
                         key_of(&t->u.fields.items[i], i, num));
        k += n > 0 ? (size_t)n : 0;
    }
    if (k >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return t->u.fields.n ? buf : "(none)";
}

static long field_index(const sats_type_t *t, const char *key)
{
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        char num[16];
        if (strcmp(key_of(&t->u.fields.items[i], i, num), key) == 0)
            return i;
    }
    return -1;
}

static int dec_field(dec_t *d, const sats_type_t *t, uint32_t i, const json_t *j, sats_value_t *out,
                     int depth)
{
    const sats_field_t *f = &t->u.fields.items[i];
    size_t mark = path_field(&d->path, f->name, i);
    int rc = dec_value(d, f->type, j, out, depth + 1);
    path_pop(&d->path, mark);
    return rc;
}

static int dec_fields_array(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *items,
                            int depth)
{
    uint32_t n = t->u.fields.n;
    if (json_array_size(j) != n)
        return fail(d->err, &d->path, LC_EINVAL, "expected an array of %u elements, got %zu", n,
                    json_array_size(j));
    for (uint32_t i = 0; i < n; i++) {
        int rc = dec_field(d, t, i, json_array_get(j, i), &items[i], depth);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int dec_fields_object(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *items,
                             int depth)
{
    char names[160], num[16];
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)j, key, val)
    {
        if (field_index(t, key) < 0)
            return fail(d->err, &d->path, LC_EINVAL, "unknown field \"%.80s\" (expected %s)", key,
                        name_list(t, names, sizeof names));
    }
    char missing[200] = "";
    size_t k = 0, nmissing = 0;
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        key = key_of(&t->u.fields.items[i], i, num);
        if (json_object_get(j, key) != NULL || k >= sizeof missing)
            continue;
        int n = snprintf(missing + k, sizeof missing - k, "%s%s", nmissing++ ? ", " : "", key);
        k += n > 0 ? (size_t)n : 0;
    }
    if (nmissing > 0)
        return fail(d->err, &d->path, LC_EINVAL, "missing field%s %s", nmissing > 1 ? "s" : "",
                    missing);
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        key = key_of(&t->u.fields.items[i], i, num);
        int rc = dec_field(d, t, i, json_object_get(j, key), &items[i], depth);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool is_newtype(sats_special_t sp)
{
    return sp == SATS_SPECIAL_IDENTITY || sp == SATS_SPECIAL_CONNECTION_ID ||
           sp == SATS_SPECIAL_TIMESTAMP || sp == SATS_SPECIAL_TIME_DURATION ||
           sp == SATS_SPECIAL_UUID;
}

/* Identity, ConnectionId or Uuid as plain big-endian hex with no 0x (and,
 * for a Uuid, hyphens anywhere). */
static int dec_plain_hex(dec_t *d, sats_special_t sp, const char *s, size_t n, sats_value_t *x)
{
    size_t nbytes = sp == SATS_SPECIAL_IDENTITY ? 32 : 16, k = 0;
    const char *name = sp == SATS_SPECIAL_IDENTITY        ? "an Identity"
                       : sp == SATS_SPECIAL_CONNECTION_ID ? "a ConnectionId"
                                                          : "a Uuid";
    char hex[64];
    uint8_t be[32];
    for (size_t i = 0; i < n && k <= 2 * nbytes; i++) {
        if (s[i] == '-' && sp == SATS_SPECIAL_UUID)
            continue;
        if (k < 2 * nbytes)
            hex[k] = s[i];
        k++;
    }
    if (k != 2 * nbytes || lc_hex_decode(be, nbytes, hex, k) < 0)
        return fail(d->err, &d->path, LC_EINVAL, "expected %zu hex digits for %s, got \"%.*s\"",
                    2 * nbytes, name, (int)LC_MIN(n, 80), s);
    memset(x->u.wide, 0, sizeof x->u.wide);
    for (size_t i = 0; i < nbytes; i++) x->u.wide[i] = be[nbytes - 1 - i];
    return 0;
}

/* A one-field special product given as its bare inner value. */
static int dec_bare_special(dec_t *d, const sats_type_t *t, sats_special_t sp, const json_t *j,
                            sats_value_t *out, int depth)
{
    sats_value_t *x = alloc_values(d, 1);
    if (x == NULL)
        return nomem(d);
    out->u.elems.n = 1;
    out->u.elems.items = x;
    const char *s;
    size_t n;
    bool hexy =
        sp == SATS_SPECIAL_IDENTITY || sp == SATS_SPECIAL_CONNECTION_ID || sp == SATS_SPECIAL_UUID;
    if (hexy && json_is_string(j) && jstr(d, j, &s, &n) == JS_PLAIN &&
        !(n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
        return dec_plain_hex(d, sp, s, n, x);
    return dec_value(d, t->u.fields.items[0].type, j, x, depth + 1);
}

static int dec_product(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *out,
                       int depth)
{
    sats_special_t sp = sats_type_special(t);
    if (is_newtype(sp) && !json_is_array(j) && !json_is_object(j))
        return dec_bare_special(d, t, sp, j, out, depth);
    uint32_t n = t->u.fields.n;
    sats_value_t *items = alloc_values(d, n);
    if (items == NULL)
        return nomem(d);
    out->u.elems.n = n;
    out->u.elems.items = n ? items : NULL;
    if (n == 0 && json_is_null(j))
        return 0; /* unit as null: {"none": null} */
    if (json_is_array(j))
        return dec_fields_array(d, t, j, items, depth);
    if (json_is_object(j))
        return dec_fields_object(d, t, j, items, depth);
    return expected(d, n ? "an object or an array" : "[] or {}", j);
}

static int check_tag(dec_t *d, const sats_type_t *t, unsigned long tag)
{
    if (tag < t->u.fields.n)
        return 0;
    return fail(d->err, &d->path, LC_EINVAL, "variant tag %lu out of range (the sum has %u)", tag,
                t->u.fields.n);
}

/* A variant from an object key or a string tag: a u8 in decimal (as Rust's
 * u8::from_str reads it) is a tag, anything else a name. */
static int variant_by_key(dec_t *d, const sats_type_t *t, const char *key, uint32_t *tag)
{
    const char *p = key + (key[0] == '+');
    unsigned long v = 0;
    size_t nd = 0;
    for (; *p >= '0' && *p <= '9' && v <= 255; p++, nd++) v = v * 10 + (unsigned long)(*p - '0');
    if (nd > 0 && *p == 0 && v <= 255) {
        *tag = (uint32_t)v;
        return check_tag(d, t, v);
    }
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        const char *name = t->u.fields.items[i].name;
        if (name != NULL && strcmp(name, key) == 0) {
            *tag = i;
            return 0;
        }
    }
    char names[160];
    return fail(d->err, &d->path, LC_EINVAL, "unknown variant \"%.80s\" (expected %s)", key,
                name_list(t, names, sizeof names));
}

/* The tag of [tag, payload]: a number, or a string as variant_by_key. */
static int variant_by_json(dec_t *d, const sats_type_t *t, const json_t *j, uint32_t *tag)
{
    const char *s;
    size_t n;
    if (json_is_integer(j)) {
        json_int_t x = json_integer_value(j);
        if (x < 0 || x > 255)
            return fail(d->err, &d->path, LC_EINVAL, "variant tag %lld out of range", (long long)x);
        *tag = (uint32_t)x;
        return check_tag(d, t, (unsigned long)x);
    }
    if (json_is_string(j) && jstr(d, j, &s, &n) == JS_PLAIN && strlen(s) == n)
        return variant_by_key(d, t, s, tag);
    return expected(d, "a variant tag or name", j);
}

static int dec_sum(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *out, int depth)
{
    const json_t *payload;
    uint32_t tag = 0;
    int rc;
    sats_value_t *p = alloc_values(d, 1);
    if (p == NULL)
        return nomem(d);
    if (json_is_null(j) && sats_type_special(t) == SATS_SPECIAL_OPTION) {
        out->u.sum.tag = 1; /* none, with the zeroed unit payload */
        out->u.sum.payload = p;
        return 0;
    }
    if (json_is_object(j)) {
        if (json_object_size(j) != 1)
            return fail(d->err, &d->path, LC_EINVAL,
                        "expected an object with exactly one key (the variant), got %zu keys",
                        json_object_size(j));
        void *it = json_object_iter((json_t *)j);
        rc = variant_by_key(d, t, json_object_iter_key(it), &tag);
        payload = json_object_iter_value(it);
    } else if (json_is_array(j)) {
        if (json_array_size(j) != 2)
            return fail(d->err, &d->path, LC_EINVAL, "expected [tag, payload], got %zu elements",
                        json_array_size(j));
        rc = variant_by_json(d, t, json_array_get(j, 0), &tag);
        payload = json_array_get(j, 1);
    } else {
        return expected(d, "a sum ({\"variant\": payload} or [tag, payload])", j);
    }
    if (rc < 0)
        return rc;
    const sats_field_t *f = &t->u.fields.items[tag];
    size_t mark = path_field(&d->path, f->name, tag);
    rc = dec_value(d, f->type, payload, p, depth + 1);
    path_pop(&d->path, mark);
    out->u.sum.tag = (uint8_t)tag;
    out->u.sum.payload = p;
    return rc;
}

/* Invariant 3. */
static int dec_value(dec_t *d, const sats_type_t *t, const json_t *j, sats_value_t *out, int depth)
{
    if (depth > SATS_MAX_DEPTH)
        return fail(d->err, &d->path, LC_EINVAL, "value nests deeper than %d levels",
                    SATS_MAX_DEPTH);
    const sats_type_t *rt = sats_resolve(d->ts, t);
    if (rt == NULL)
        return fail(d->err, &d->path, LC_EINVAL, "type reference cannot be resolved");
    if (j == NULL)
        return fail(d->err, &d->path, LC_EINVAL, "value is missing");
    switch (rt->kind) {
    case SATS_PRODUCT:
        return dec_product(d, rt, j, out, depth);
    case SATS_SUM:
        return dec_sum(d, rt, j, out, depth);
    case SATS_ARRAY:
        return dec_array(d, rt, j, out, depth);
    case SATS_STRING:
        return dec_string(d, j, out);
    case SATS_BOOL:
        if (!json_is_boolean(j))
            return expected(d, "true or false", j);
        out->u.b = json_is_true(j);
        return 0;
    case SATS_F32:
    case SATS_F64:
        return dec_float(d, rt->kind, j, out);
    case SATS_REF:
    case SATS_KIND_COUNT:
        return fail(d->err, &d->path, LC_EINVAL, "type has an unknown kind %d", (int)rt->kind);
    default:
        return dec_int(d, rt->kind, j, out);
    }
}

int sats_json_to_value(lc_arena_t *a, const struct json_t *j, const sats_typespace_t *ts,
                       const sats_type_t *t, sats_value_t *out, lc_err_t *err)
{
    dec_t d = {.a = a, .ts = ts, .err = err};
    memset(out, 0, sizeof *out);
    return dec_value(&d, t, j, out, 0);
}

/* ---------------------------------------------------------------- big literals */

/* Whether s[0..n) is a JSON integer literal: -?(0|[1-9][0-9]*). */
static bool is_int_literal(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-');
    if (i == n || (s[i] == '0' && n - i > 1))
        return false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

static bool fits_int64(const char *s, size_t n)
{
    bool neg = s[0] == '-';
    size_t nd = n - neg;
    if (nd != 19)
        return nd < 19;
    return memcmp(s + neg, neg ? "9223372036854775808" : "9223372036854775807", 19) <= 0;
}

/* Index just past the string starting at text[i] == '"'. */
static size_t string_end(const char *text, size_t len, size_t i)
{
    for (i++; i < len && text[i] != '"'; i++) {
        if (text[i] == '\\')
            i++;
    }
    return i < len ? i + 1 : len;
}

/* Whether the string ending before text[end] is an object key. */
static bool is_key(const char *text, size_t len, size_t end)
{
    while (end < len &&
           (text[end] == ' ' || text[end] == '\t' || text[end] == '\n' || text[end] == '\r'))
        end++;
    return end < len && text[end] == ':';
}

static bool num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

typedef struct marker {
    const char *text;
    size_t copied; /* text[0..copied) is already in out */
    lc_buf_t *out;
    int rc;
} marker_t;

/* Copy text up to i, then add s. */
static void mark_emit(marker_t *m, size_t i, const char *s)
{
    if (m->rc == 0 && (lc_buf_append(m->out, m->text + m->copied, i - m->copied) < 0 ||
                       lc_buf_puts(m->out, s) < 0))
        m->rc = LC_ENOMEM;
    m->copied = i;
}

/* Rewrite text for jansson (invariant 1): integer literals beyond int64
 * become "\u0000<digits>", and string values starting with \u0000 get
 * another.  out stays empty when nothing needed rewriting. */
static int mark_text(const char *text, size_t len, lc_buf_t *out)
{
    marker_t m = {text, 0, out, 0};
    for (size_t i = 0; i < len && m.rc == 0;) {
        if (text[i] == '"') {
            size_t end = string_end(text, len, i);
            if (end - i >= 7 && memcmp(text + i + 1, "\\u0000", 6) == 0 && !is_key(text, len, end))
                mark_emit(&m, i + 1, "\\u0000");
            i = end;
        } else if (text[i] == '-' || (text[i] >= '0' && text[i] <= '9')) {
            size_t end = i;
            while (end < len && num_char(text[end])) end++;
            if (is_int_literal(text + i, end - i) && !fits_int64(text + i, end - i)) {
                mark_emit(&m, i, "\"\\u0000");
                mark_emit(&m, end, "\"");
            }
            i = end;
        } else {
            i++;
        }
    }
    if (m.rc == 0 && m.copied > 0)
        mark_emit(&m, len, "");
    return m.rc;
}

int sats_json_decode(lc_arena_t *a, const char *text, size_t len, const sats_typespace_t *ts,
                     const sats_type_t *t, sats_value_t *out, lc_err_t *err)
{
    lc_buf_t buf = {0};
    if (mark_text(text, len, &buf) < 0) {
        lc_buf_free(&buf);
        return lc_err_set(err, LC_ENOMEM, "out of memory reading JSON");
    }
    json_error_t je;
    size_t flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
    json_t *j = buf.len ? json_loadb((const char *)buf.data, buf.len, flags, &je)
                        : json_loadb(text, len, flags, &je);
    lc_buf_free(&buf);
    if (j == NULL)
        return lc_err_set(err, LC_EINVAL, "invalid JSON at line %d, column %d: %s", je.line,
                          je.column, je.text);
    dec_t d = {.a = a, .ts = ts, .err = err, .marked = true};
    memset(out, 0, sizeof *out);
    int rc = dec_value(&d, t, j, out, 0);
    json_decref(j);
    return rc;
}
