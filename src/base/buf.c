/*
 * Growable byte buffers (lc_buf_t) and bounds-checked readers (lc_rd_t).
 *
 * Invariants of lc_buf_t:
 *   1. len <= cap; data is NULL exactly when cap == 0; data is lc_malloc'd
 *      unless borrowed (the caller's memory, never freed or resized here).
 *   2. Growth at least doubles cap, so appending n bytes one at a time costs
 *      O(n) amortised.
 *   3. A failed allocation leaves the contents as they were and sets oom,
 *      which stays set until the next reset.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

void lc_buf_init(lc_buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void lc_buf_init_with(lc_buf_t *b, void *mem, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->data = mem;
    b->cap = cap;
    b->borrowed = true;
}

void lc_buf_free(lc_buf_t *b)
{
    if (!b->borrowed)
        lc_free(b->data);
    memset(b, 0, sizeof *b);
}

void lc_buf_reset(lc_buf_t *b)
{
    b->len = 0;
}

int lc_buf_reserve(lc_buf_t *b, size_t n)
{
    if (n <= b->cap - b->len)
        return LC_OK;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return LC_ENOMEM;
    }
    size_t want = b->len + n;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want) cap *= 2;
    uint8_t *p = b->borrowed ? lc_malloc(cap) : lc_realloc(b->data, cap);
    if (p == NULL) {
        b->oom = true;
        return LC_ENOMEM;
    }
    if (b->borrowed && b->len)
        memcpy(p, b->data, b->len);
    b->borrowed = false;
    b->data = p;
    b->cap = cap;
    return LC_OK;
}

uint8_t *lc_buf_extend(lc_buf_t *b, size_t n)
{
    if (lc_buf_reserve(b, n) != LC_OK)
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

int lc_buf_append(lc_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return LC_OK;
    uint8_t *dst = lc_buf_extend(b, n);
    if (dst == NULL)
        return LC_ENOMEM;
    memcpy(dst, p, n);
    return LC_OK;
}

int lc_buf_putc(lc_buf_t *b, uint8_t c)
{
    return lc_buf_append(b, &c, 1);
}

int lc_buf_puts(lc_buf_t *b, const char *s)
{
    return lc_buf_append(b, s, strlen(s));
}

int lc_buf_vprintf(lc_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return LC_EINVAL;
    if ((size_t)n < sizeof small)
        return lc_buf_append(b, small, (size_t)n);
    if (lc_buf_reserve(b, (size_t)n + 1) != LC_OK)
        return LC_ENOMEM;
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return LC_OK;
}

int lc_buf_printf(lc_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = lc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int lc_buf_put_u16le(lc_buf_t *b, uint16_t v)
{
    uint8_t *p = lc_buf_extend(b, 2);
    if (p == NULL)
        return LC_ENOMEM;
    lc_store_u16le(p, v);
    return LC_OK;
}

int lc_buf_put_u32le(lc_buf_t *b, uint32_t v)
{
    uint8_t *p = lc_buf_extend(b, 4);
    if (p == NULL)
        return LC_ENOMEM;
    lc_store_u32le(p, v);
    return LC_OK;
}

int lc_buf_put_u64le(lc_buf_t *b, uint64_t v)
{
    uint8_t *p = lc_buf_extend(b, 8);
    if (p == NULL)
        return LC_ENOMEM;
    lc_store_u64le(p, v);
    return LC_OK;
}

int lc_buf_terminate(lc_buf_t *b)
{
    if (lc_buf_reserve(b, 1) != LC_OK)
        return LC_ENOMEM;
    b->data[b->len] = 0;
    return LC_OK;
}

uint8_t *lc_buf_take(lc_buf_t *b, size_t *len)
{
    if (b->borrowed) { /* the caller's memory cannot be handed over: copy it */
        uint8_t *copy = lc_malloc(b->len ? b->len : 1);
        if (copy == NULL)
            return NULL;
        if (b->len)
            memcpy(copy, b->data, b->len);
        if (len)
            *len = b->len;
        memset(b, 0, sizeof *b);
        return copy;
    }
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}

/* ---------------------------------------------------------------- reader */

int lc_rd_bytes(lc_rd_t *r, size_t n, const uint8_t **out)
{
    if (n > r->len)
        return LC_ECORRUPT;
    *out = r->p;
    r->p += n;
    r->len -= n;
    return LC_OK;
}

int lc_rd_u8(lc_rd_t *r, uint8_t *v)
{
    if (r->len < 1)
        return LC_ECORRUPT;
    *v = r->p[0];
    r->p++;
    r->len--;
    return LC_OK;
}

int lc_rd_u16le(lc_rd_t *r, uint16_t *v)
{
    const uint8_t *p;
    if (lc_rd_bytes(r, 2, &p) != LC_OK)
        return LC_ECORRUPT;
    *v = lc_load_u16le(p);
    return LC_OK;
}

int lc_rd_u32le(lc_rd_t *r, uint32_t *v)
{
    const uint8_t *p;
    if (lc_rd_bytes(r, 4, &p) != LC_OK)
        return LC_ECORRUPT;
    *v = lc_load_u32le(p);
    return LC_OK;
}

int lc_rd_u64le(lc_rd_t *r, uint64_t *v)
{
    const uint8_t *p;
    if (lc_rd_bytes(r, 8, &p) != LC_OK)
        return LC_ECORRUPT;
    *v = lc_load_u64le(p);
    return LC_OK;
}
