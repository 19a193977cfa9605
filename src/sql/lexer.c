/*
 * lexer — splits SQL text into tokens.  Keywords are plain identifiers here
 * (the parser compares them case-insensitively), so a column may be named
 * like a keyword when quoted.  Strings use '' for a quote, quoted
 * identifiers "" for a double quote; `--` starts a comment to end of line.
 */
#include "sql/sql_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void sql__pos(const char *text, uint32_t pos, char *buf, size_t cap)
{
    uint32_t line = 1, col = 1;
    for (uint32_t i = 0; i < pos && text[i]; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(buf, cap, "%u:%u", line, col);
}

static int lex_error(const char *text, uint32_t pos, const char *what, lc_err_t *err)
{
    char p[32];
    sql__pos(text, pos, p, sizeof p);
    return lc_err_set(err, LC_EINVAL, "%s at %s", what, p);
}

/* A quoted run ending at the quote q, doubled quotes standing for one. */
static int lex_quoted(const char *s, size_t len, size_t *i, char q, lc_arena_t *a, sql_tok_t *t,
                      lc_err_t *err)
{
    size_t start = *i;
    char *out = lc_arena_alloc(a, len - start + 1);
    if (!out)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    uint32_t n = 0;
    size_t j = start + 1;
    for (;;) {
        if (j >= len)
            return lex_error(
                s, (uint32_t)start,
                q == '\'' ? "unterminated string literal" : "unterminated quoted identifier", err);
        if (s[j] == q) {
            if (j + 1 < len && s[j + 1] == q) {
                out[n++] = q;
                j += 2;
                continue;
            }
            j++;
            break;
        }
        out[n++] = s[j++];
    }
    out[n] = 0;
    t->text = out;
    t->len = n;
    *i = j;
    return LC_OK;
}

static bool is_ident_start(int c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident_char(int c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

static void lex_number(const char *s, size_t len, size_t *i, sql_tok_t *t)
{
    size_t j = *i;
    bool fl = false;
    while (j < len && isdigit((unsigned char)s[j])) j++;
    if (j < len && s[j] == '.') {
        fl = true;
        j++;
        while (j < len && isdigit((unsigned char)s[j])) j++;
    }
    if (j < len && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < len && (s[k] == '+' || s[k] == '-'))
            k++;
        if (k < len && isdigit((unsigned char)s[k])) {
            fl = true;
            j = k;
            while (j < len && isdigit((unsigned char)s[j])) j++;
        }
    }
    t->kind = fl ? TK_FLOAT : TK_INT;
    t->text = s + *i;
    t->len = (uint32_t)(j - *i);
    *i = j;
}

static int lex_one(const char *s, size_t len, size_t *i, lc_arena_t *a, sql_tok_t *t, lc_err_t *err)
{
    unsigned char c = (unsigned char)s[*i];
    t->pos = (uint32_t)*i;
    if (c == '\'') {
        t->kind = TK_STRING;
        return lex_quoted(s, len, i, '\'', a, t, err);
    }
    if (c == '"') {
        t->kind = TK_QIDENT;
        return lex_quoted(s, len, i, '"', a, t, err);
    }
    if ((c == 'x' || c == 'X') && *i + 1 < len && s[*i + 1] == '\'') {
        (*i)++;
        int rc = lex_quoted(s, len, i, '\'', a, t, err);
        t->kind = TK_HEX;
        return rc;
    }
    if (c == '0' && *i + 1 < len && (s[*i + 1] == 'x' || s[*i + 1] == 'X')) {
        size_t j = *i + 2;
        while (j < len && isxdigit((unsigned char)s[j])) j++;
        t->kind = TK_HEX;
        t->text = s + *i + 2;
        t->len = (uint32_t)(j - *i - 2);
        *i = j;
        return LC_OK;
    }
    if (isdigit(c) || (c == '.' && *i + 1 < len && isdigit((unsigned char)s[*i + 1]))) {
        lex_number(s, len, i, t);
        return LC_OK;
    }
    if (is_ident_start(c) ||
        (c == ':' && *i + 1 < len && is_ident_start((unsigned char)s[*i + 1]))) {
        size_t j = *i + 1;
        while (j < len && is_ident_char((unsigned char)s[j])) j++;
        t->kind = c == ':' ? TK_PARAM : TK_IDENT;
        t->text = s + *i + (c == ':');
        t->len = (uint32_t)(j - *i - (c == ':'));
        *i = j;
        return LC_OK;
    }
    static const char *const pairs[] = {"<=", ">=", "<>", "!="};
    for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++)
        if (*i + 1 < len && s[*i] == pairs[k][0] && s[*i + 1] == pairs[k][1]) {
            t->kind = TK_PUNCT;
            t->text = pairs[k];
            t->len = 2;
            *i += 2;
            return LC_OK;
        }
    if (c && strchr("(),.*;=<>+-", c)) {
        t->kind = TK_PUNCT;
        t->text = s + *i;
        t->len = 1;
        (*i)++;
        return LC_OK;
    }
    char what[64];
    snprintf(what, sizeof what, "unexpected character `%c`", c >= 0x20 && c < 0x7f ? c : '?');
    return lex_error(s, (uint32_t)*i, what, err);
}

int sql__lex(const char *text, size_t len, lc_arena_t *a, sql_tok_t **toks, uint32_t *n,
             lc_err_t *err)
{
    uint32_t cap = 16, cnt = 0;
    sql_tok_t *v = lc_arena_alloc(a, cap * sizeof *v);
    if (!v)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    size_t i = 0;
    for (;;) {
        while (i < len) {
            if (isspace((unsigned char)text[i]))
                i++;
            else if (text[i] == '-' && i + 1 < len && text[i + 1] == '-')
                while (i < len && text[i] != '\n') i++;
            else
                break;
        }
        if (cnt == cap) {
            sql_tok_t *nv = lc_arena_alloc(a, 2 * cap * sizeof *v);
            if (!nv)
                return lc_err_set(err, LC_ENOMEM, "out of memory");
            memcpy(nv, v, cap * sizeof *v);
            v = nv;
            cap *= 2;
        }
        sql_tok_t *t = &v[cnt];
        memset(t, 0, sizeof *t);
        if (i >= len) {
            t->kind = TK_EOF;
            t->pos = (uint32_t)len;
            t->text = "";
            cnt++;
            break;
        }
        int rc = lex_one(text, len, &i, a, t, err);
        if (rc)
            return rc;
        cnt++;
    }
    *toks = v;
    *n = cnt;
    return LC_OK;
}
