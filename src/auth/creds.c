/*
 * Credentials of an HTTP request or WebSocket upgrade: which token, if any,
 * the client presented (protocol.md §1.3, §7.5).  Pure string handling; the
 * token itself is judged by token.c.
 */
#include <string.h>
#include <strings.h>

#include "auth/auth.h"

static const char BEARER[] = "bearer";

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int auth_bearer_parse(const char *value, size_t len, const char **tok, size_t *tok_len,
                      lc_err_t *err)
{
    const char *p = value, *end = value + len;
    while (p < end && is_ows(*p)) p++;
    while (end > p && is_ows(end[-1])) end--;
    size_t scheme = sizeof BEARER - 1;
    bool ok =
        (size_t)(end - p) > scheme && strncasecmp(p, BEARER, scheme) == 0 && is_ows(p[scheme]);
    if (ok) {
        p += scheme;
        while (p < end && is_ows(*p)) p++;
        for (const char *q = p; q < end; q++)
            if (is_ows(*q))
                ok = false;
    }
    if (!ok || p == end)
        return lc_err_set(err, LC_EINVAL, AUTH_MALFORMED_HEADER_MSG);
    *tok = p;
    *tok_len = (size_t)(end - p);
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* application/x-www-form-urlencoded decoding of n bytes; a '%' not followed
 * by two hex digits is kept as it is, as form_urlencoded does. */
static int form_decode(const char *s, size_t n, char **out, lc_err_t *err)
{
    char *o = lc_malloc(n + 1);
    if (o == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            o[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = hex_digit(s[i + 1])) >= 0 &&
                   (lo = hex_digit(s[i + 2])) >= 0) {
            o[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    if (memchr(o, 0, k) != NULL) {
        lc_free(o);
        return lc_err_set(err, LC_EINVAL, AUTH_MALFORMED_HEADER_MSG);
    }
    o[k] = 0;
    *out = o;
    return 0;
}

int auth_query_token(const char *query, size_t len, char **tok, lc_err_t *err)
{
    static const char KEY[] = "token";
    const char *p = query, *end = query + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *kend = eq ? eq : stop;
        if ((size_t)(kend - p) == sizeof KEY - 1 && memcmp(p, KEY, sizeof KEY - 1) == 0) {
            const char *v = eq ? eq + 1 : stop;
            return form_decode(v, (size_t)(stop - v), tok, err);
        }
        p = amp ? amp + 1 : end;
    }
    return LC_ENOTFOUND;
}

int auth_request_token(const char *authorization, size_t auth_len, const char *query,
                       size_t query_len, char **tok, lc_err_t *err)
{
    *tok = NULL;
    if (authorization != NULL) {
        const char *t;
        size_t n;
        if (auth_bearer_parse(authorization, auth_len, &t, &n, NULL) == 0) {
            *tok = lc_malloc(n + 1);
            if (*tok == NULL)
                return lc_err_set(err, LC_ENOMEM, "out of memory");
            memcpy(*tok, t, n);
            (*tok)[n] = 0;
            return 0;
        }
    }
    /* A header that is not Bearer falls back to the query, as in the
     * reference's SpacetimeCreds::from_request_parts. */
    int rc = query ? auth_query_token(query, query_len, tok, err) : LC_ENOTFOUND;
    if (rc != LC_ENOTFOUND)
        return rc;
    if (authorization != NULL)
        return lc_err_set(err, LC_EINVAL, AUTH_MALFORMED_HEADER_MSG);
    return 0;
}
