/*
 * bsatn.c — BSATN (module-abi.md §7) between C values and bytes, driven by type descriptors.
 *
 * Encoding walks the descriptor and the C struct together: fixed-width numbers are copied as
 * they lie in memory (wasm32 is little-endian, as BSATN is), strings and arrays follow their
 * pointers, options and sums write a tag then the payload.  Decoding mirrors it, checks every
 * length against the bytes left, and copies strings, byte strings and arrays into the call
 * arena, strings with a NUL after them (lightcone.h invariants 3 and 4).
 *
 * C layouts, by kind:
 *   ARRAY   struct { T *items; uint32_t len; }      items at 0, len at 4
 *   OPTION  struct { bool has; T value; }           value at value_offset
 *   SUM     struct { uint8_t tag; union {...}; }    payload of variant i at fields[i].offset
 *   ENUM    a C enum of size 1, 2 or 4               the value is the tag
 */
#include "internal.h"

typedef struct array_hdr {
    void *items;
    uint32_t len;
} array_hdr;

_Static_assert(offsetof(lc_array_i32, items) == offsetof(array_hdr, items), "array layout");
_Static_assert(offsetof(lc_array_i32, len) == offsetof(array_hdr, len), "array layout");

/* ---------------------------------------------------------------- writer */

void lc_writer_init(lc_writer *w, void *buf, uint32_t cap)
{
    w->data = buf;
    w->len = 0;
    w->cap = buf ? cap : 0;
}

static void reserve(lc_writer *w, uint32_t n)
{
    if (w->cap - w->len >= n)
        return;
    uint64_t need = (uint64_t)w->len + n;
    uint64_t cap = w->cap < 256 ? 256 : (uint64_t)w->cap * 2;
    while (cap < need) cap *= 2;
    if (cap > UINT32_MAX)
        lc_panic("BSATN value larger than 4 GiB");
    uint8_t *data = lc_alloc((size_t)cap);
    if (w->len)
        memcpy(data, w->data, w->len);
    w->data = data;
    w->cap = (uint32_t)cap;
}

void lc_write_bytes(lc_writer *w, const void *p, uint32_t n)
{
    reserve(w, n);
    if (n)
        memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void write_u8(lc_writer *w, uint8_t v)
{
    lc_write_bytes(w, &v, 1);
}
static void write_u32(lc_writer *w, uint32_t v)
{
    lc_write_bytes(w, &v, 4);
}

static uint32_t enum_value(const lc_type_t *t, const void *v)
{
    switch (t->size) {
    case 1:
        return *(const uint8_t *)v;
    case 2:
        return *(const uint16_t *)v;
    default:
        return *(const uint32_t *)v;
    }
}

static void set_enum_value(const lc_type_t *t, void *v, uint32_t tag)
{
    switch (t->size) {
    case 1:
        *(uint8_t *)v = (uint8_t)tag;
        break;
    case 2:
        *(uint16_t *)v = (uint16_t)tag;
        break;
    default:
        *(uint32_t *)v = tag;
    }
}

static void write_sum(lc_writer *w, const lc_type_t *t, const uint8_t *v)
{
    uint8_t tag = *v;
    if (tag >= t->nfields)
        lc_panic("%s: tag %u is not a variant", t->name, tag);
    write_u8(w, tag);
    if (t->fields[tag].type)
        lc_write_value(w, t->fields[tag].type, v + t->fields[tag].offset);
}

void lc_write_value(lc_writer *w, const lc_type_t *t, const void *value)
{
    const uint8_t *v = value;
    switch (t->kind) {
    case LC_K_BOOL:
        write_u8(w, *(const bool *)v ? 1 : 0);
        return;
    case LC_K_STRING:
    case LC_K_BYTES: {
        const lc_bytes *s = value;
        write_u32(w, s->len);
        lc_write_bytes(w, s->ptr, s->len);
        return;
    }
    case LC_K_ARRAY: {
        const array_hdr *a = value;
        write_u32(w, a->len);
        for (uint32_t i = 0; i < a->len; i++)
            lc_write_value(w, t->elem, (const uint8_t *)a->items + (size_t)i * t->elem->size);
        return;
    }
    case LC_K_OPTION:
        if (!*(const bool *)v) {
            write_u8(w, 1);
            return;
        }
        write_u8(w, 0);
        lc_write_value(w, t->elem, v + t->value_offset);
        return;
    case LC_K_PRODUCT:
        for (uint32_t i = 0; i < t->nfields; i++)
            lc_write_value(w, t->fields[i].type, v + t->fields[i].offset);
        return;
    case LC_K_SUM:
        write_sum(w, t, v);
        return;
    case LC_K_ENUM: {
        uint32_t tag = enum_value(t, v);
        if (tag >= t->nfields)
            lc_panic("%s: %u is not a variant", t->name, tag);
        write_u8(w, (uint8_t)tag);
        return;
    }
    case LC_K_SCHEDULE_AT: {
        const lc_schedule_at *s = value;
        write_u8(w, s->tag);
        lc_write_bytes(w, &s->micros, 8);
        return;
    }
    case LC_K_TIMESTAMP:
    case LC_K_TIME_DURATION:
        lc_write_bytes(w, v, 8);
        return;
    default: /* integers, floats, Identity, ConnectionId: the bytes as they lie */
        lc_write_bytes(w, v, t->size);
        return;
    }
}

/* ---------------------------------------------------------------- reader */

static const uint8_t *take(lc_reader *r, uint32_t n)
{
    if (r->len - r->pos < n)
        return NULL;
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static int read_u8(lc_reader *r, uint8_t *out)
{
    const uint8_t *p = take(r, 1);
    if (!p)
        return -1;
    *out = *p;
    return 0;
}

static int read_u32(lc_reader *r, uint32_t *out)
{
    const uint8_t *p = take(r, 4);
    if (!p)
        return -1;
    memcpy(out, p, 4);
    return 0;
}

/* A string or byte string, copied into the arena with a NUL after it. */
static int read_blob(lc_reader *r, lc_bytes *out)
{
    uint32_t n;
    if (read_u32(r, &n))
        return -1;
    const uint8_t *p = take(r, n);
    if (!p)
        return -1;
    uint8_t *copy = lc_alloc((size_t)n + 1);
    memcpy(copy, p, n);
    copy[n] = 0;
    *out = (lc_bytes){copy, n};
    return 0;
}

/* Whether a value of t can take zero bytes (then an element count cannot be checked against
 * the bytes left). */
static bool can_be_empty(const lc_type_t *t)
{
    if (t->kind != LC_K_PRODUCT)
        return false;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (!can_be_empty(t->fields[i].type))
            return false;
    return true;
}

static int read_array(lc_reader *r, const lc_type_t *t, array_hdr *out)
{
    uint32_t n;
    if (read_u32(r, &n))
        return -1;
    if (n > r->len - r->pos && !can_be_empty(t->elem))
        return -1;
    uint8_t *items = n ? lc_alloc((size_t)n * t->elem->size) : NULL;
    for (uint32_t i = 0; i < n; i++)
        if (lc_read_value(r, t->elem, items + (size_t)i * t->elem->size))
            return -1;
    out->items = items;
    out->len = n;
    return 0;
}

static int read_sum(lc_reader *r, const lc_type_t *t, uint8_t *out)
{
    uint8_t tag;
    if (read_u8(r, &tag) || tag >= t->nfields)
        return -1;
    *out = tag;
    if (!t->fields[tag].type)
        return 0;
    return lc_read_value(r, t->fields[tag].type, out + t->fields[tag].offset);
}

int lc_read_value(lc_reader *r, const lc_type_t *t, void *out)
{
    uint8_t *o = out;
    uint8_t tag;
    switch (t->kind) {
    case LC_K_BOOL:
        if (read_u8(r, &tag) || tag > 1)
            return -1;
        *(bool *)o = tag;
        return 0;
    case LC_K_STRING:
    case LC_K_BYTES:
        return read_blob(r, out);
    case LC_K_ARRAY:
        return read_array(r, t, out);
    case LC_K_OPTION:
        if (read_u8(r, &tag) || tag > 1)
            return -1;
        *(bool *)o = tag == 0;
        if (tag == 1) {
            memset(o + t->value_offset, 0, t->elem->size);
            return 0;
        }
        return lc_read_value(r, t->elem, o + t->value_offset);
    case LC_K_PRODUCT:
        for (uint32_t i = 0; i < t->nfields; i++)
            if (lc_read_value(r, t->fields[i].type, o + t->fields[i].offset))
                return -1;
        return 0;
    case LC_K_SUM:
        return read_sum(r, t, o);
    case LC_K_ENUM:
        if (read_u8(r, &tag) || tag >= t->nfields)
            return -1;
        set_enum_value(t, o, tag);
        return 0;
    case LC_K_SCHEDULE_AT: {
        lc_schedule_at *s = out;
        const uint8_t *p;
        if (read_u8(r, &tag) || tag > 1 || !(p = take(r, 8)))
            return -1;
        s->tag = tag;
        memcpy(&s->micros, p, 8);
        return 0;
    }
    case LC_K_TIMESTAMP:
    case LC_K_TIME_DURATION: {
        const uint8_t *p = take(r, 8);
        if (!p)
            return -1;
        memcpy(o, p, 8);
        return 0;
    }
    default: {
        const uint8_t *p = take(r, t->size);
        if (!p)
            return -1;
        memcpy(o, p, t->size);
        return 0;
    }
    }
}
