/*
 * names.c — canonical names: case conversion as the reference does it, and
 * the identifier rule every name must pass (module-abi.md §5.10).
 *
 * The reference converts with the Rust crate convert_case 0.6,
 * `to_case(Case::Snake)` (and Camel for sum variants, Pascal for type
 * names) with the default word boundaries.  Its algorithm, which this file
 * reproduces step for step:
 *
 *   1. Walk the characters.  Before character i there is a word boundary
 *      when, looking at the original string,
 *        a. character i is `_`, `-` or space: the character is dropped;
 *        b. the pair (i-1, i) is lower->upper, upper->digit, digit->upper,
 *           digit->lower or lower->digit;
 *        c. the triple (i-1, i, i+1) is upper, upper, lower (an acronym
 *           ends: "IOStream" -> "IO" "Stream").
 *      (upper->lower alone is not a boundary by default.)
 *   2. Empty words are dropped ("__a--b" has words "a", "b").
 *   3. Snake: every word lowercased, joined with `_`.  Camel: the first
 *      word lowercased, the others capitalised (first character upper, rest
 *      lower), joined with nothing.  Pascal: every word capitalised.
 *
 * "Upper" and "lower" mean what Rust's grapheme test means: the character
 * has a case (its upper and lower mappings differ) and equals its upper
 * (resp. lower) mapping.  Digits are ASCII digits only.
 *
 * Where this departs: the crate works on grapheme clusters with Unicode's
 * full case mappings; here characters are code points with the simple
 * mappings of the C library's C.UTF-8 locale (towupper_l/towlower_l).  For
 * ASCII — every name the official bindings emit in practice — the result
 * is identical.  Non-ASCII names differ only in corner cases (combining
 * marks, characters whose mapping has several code points such as `ß`).
 * Without a C.UTF-8 locale, non-ASCII characters count as caseless.
 *
 * Identifiers (the reference's `Identifier::new`): non-empty, first
 * character `_` or XID_Start, the rest XID_Continue.  Here: ASCII letters,
 * digits and `_` exactly as the reference; a non-ASCII character is
 * accepted where the C.UTF-8 locale calls it alphabetic (start) or
 * alphanumeric (continue).  Combining marks are therefore refused, and NFC
 * normalisation is not checked.
 */
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

#include "module/mod_def.h"

/* ---------------------------------------------------------------- characters */

static locale_t uloc;
static pthread_once_t uloc_once = PTHREAD_ONCE_INIT;

static void uloc_init(void)
{
    uloc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The process-wide C.UTF-8 locale, or 0 when the C library has none. */
static locale_t unicode_locale(void)
{
    pthread_once(&uloc_once, uloc_init);
    return uloc;
}

static uint32_t to_lower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    locale_t l = unicode_locale();
    return l ? (uint32_t)towlower_l((wint_t)c, l) : c;
}

static uint32_t to_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    locale_t l = unicode_locale();
    return l ? (uint32_t)towupper_l((wint_t)c, l) : c;
}

static bool is_upper(uint32_t c)
{
    uint32_t u = to_upper(c);
    return u != to_lower(c) && c == u;
}

static bool is_lower(uint32_t c)
{
    uint32_t l = to_lower(c);
    return l != to_upper(c) && c == l;
}

static bool is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

static bool is_delim(uint32_t c)
{
    return c == '_' || c == '-' || c == ' ';
}

/* Decode the code point at s[*i] and advance; names here come from
 * validated UTF-8, but a stray byte decodes as itself rather than looping. */
static uint32_t utf8_next(const char *s, size_t *i)
{
    const uint8_t *p = (const uint8_t *)s + *i;
    uint32_t c = p[0];
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (extra == 0) {
        *i += 1;
        return c;
    }
    c &= 0x3Fu >> extra;
    for (int k = 1; k <= extra; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            *i += 1;
            return p[0];
        }
        c = c << 6 | (p[k] & 0x3F);
    }
    *i += (size_t)extra + 1;
    return c;
}

static int utf8_put(lc_buf_t *b, uint32_t c)
{
    uint8_t t[4];
    size_t n;
    if (c < 0x80) {
        t[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        t[0] = (uint8_t)(0xC0 | c >> 6);
        t[1] = (uint8_t)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        t[0] = (uint8_t)(0xE0 | c >> 12);
        t[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        t[2] = (uint8_t)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        t[0] = (uint8_t)(0xF0 | c >> 18);
        t[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
        t[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        t[3] = (uint8_t)(0x80 | (c & 0x3F));
        n = 4;
    }
    return lc_buf_append(b, t, n);
}

/* ---------------------------------------------------------------- case conversion */

enum { KEEP, SPLIT, DROP };

#define NO_CHAR UINT32_MAX

/* Step 1 of the essay: what happens before `cur`. */
static int boundary(uint32_t prev, uint32_t cur, uint32_t next)
{
    if (is_delim(cur))
        return DROP;
    if (prev == NO_CHAR)
        return KEEP;
    if ((is_lower(prev) && is_upper(cur)) || (is_upper(prev) && is_digit(cur)) ||
        (is_digit(prev) && is_upper(cur)) || (is_digit(prev) && is_lower(cur)) ||
        (is_lower(prev) && is_digit(cur)))
        return SPLIT;
    if (next != NO_CHAR && is_upper(prev) && is_upper(cur) && is_lower(next))
        return SPLIT;
    return KEEP;
}

typedef struct conv {
    lc_buf_t *out;
    mod_case_t to;
    uint32_t words; /* non-empty words written */
    uint32_t pos;   /* characters of the current word written */
    int rc;
} conv_t;

static void end_word(conv_t *c)
{
    if (c->pos > 0) {
        c->words++;
        c->pos = 0;
    }
}

/* Write one character of the current word; the separator goes in lazily,
 * so empty words never show (step 2). */
static void put_char(conv_t *c, uint32_t ch)
{
    if (c->pos == 0 && c->words > 0 && c->to == MOD_CASE_SNAKE && c->rc == 0)
        c->rc = lc_buf_putc(c->out, '_');
    bool capital =
        c->pos == 0 && (c->to == MOD_CASE_PASCAL || (c->to == MOD_CASE_CAMEL && c->words > 0));
    if (c->rc == 0)
        c->rc = utf8_put(c->out, capital ? to_upper(ch) : to_lower(ch));
    c->pos++;
}

int mod_name_convert_buf(lc_buf_t *out, const char *s, mod_case_t to)
{
    conv_t c = {.out = out, .to = to};
    size_t i = 0, n = strlen(s);
    uint32_t prev = NO_CHAR;
    uint32_t cur = n > 0 ? utf8_next(s, &i) : NO_CHAR;
    while (cur != NO_CHAR) {
        uint32_t next = i < n ? utf8_next(s, &i) : NO_CHAR;
        int b = boundary(prev, cur, next);
        if (b != KEEP)
            end_word(&c);
        if (b != DROP)
            put_char(&c, cur);
        prev = cur;
        cur = next;
    }
    return c.rc;
}

char *mod_name_convert(lc_arena_t *a, const char *s, mod_case_t to)
{
    char stack[128];
    lc_buf_t b;
    lc_buf_init_with(&b, stack, sizeof stack);
    char *r = NULL;
    if (mod_name_convert_buf(&b, s, to) == 0)
        r = lc_arena_strndup(a, b.len ? (const char *)b.data : "", b.len);
    lc_buf_free(&b);
    return r;
}

/* ---------------------------------------------------------------- identifiers */

static bool ident_start(uint32_t c)
{
    if (c < 0x80)
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    locale_t l = unicode_locale();
    return l ? iswalpha_l((wint_t)c, l) != 0 : true;
}

static bool ident_continue(uint32_t c)
{
    if (c < 0x80)
        return ident_start(c) || is_digit(c);
    locale_t l = unicode_locale();
    return l ? iswalnum_l((wint_t)c, l) != 0 : true;
}

const char *mod_ident_problem(const char *s)
{
    size_t i = 0, n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (!ident_start(utf8_next(s, &i)))
        return "must start with `_` or a letter";
    while (i < n) {
        if (!ident_continue(utf8_next(s, &i)))
            return "may contain only letters, digits and `_`";
    }
    return NULL;
}
