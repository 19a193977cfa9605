/*
 * binary.c — the part of the WebAssembly binary format the engine checks
 * before handing a module to wasm2c: the type, import, function and export
 * sections (every other section is skipped by its size).
 *
 * Layout (WebAssembly core spec §5.5):
 *
 *   offset  size  field
 *   0       4     magic "\0asm"
 *   4       4     version 1 (little-endian)
 *   8       ...   sections: id (1 byte), size (LEB128 u32), body
 *
 *   id  section   what is read here
 *   0   custom    skipped (may appear anywhere)
 *   1   type      func types: 0x60, vec(valtype) params, vec(valtype) results
 *   2   import    module name, field name, kind (0 func, 1 table, 2 memory,
 *                 3 global, 4 tag) and its description
 *   3   function  a type index per defined function
 *   7   export    name, kind, index
 *
 * Invariants:
 *   1. Every read is bounds-checked against the end of its section; a count
 *      is checked against the bytes left before anything is allocated for
 *      it, so memory use is bounded by the module's size.
 *   2. Known sections appear at most once, in the spec's order, and their
 *      bodies are consumed exactly.
 *   3. Everything else (function bodies, validation of instructions) is
 *      wasm2c's job: a module that passes here may still be refused there.
 */
#include <stdio.h>
#include <string.h>

#include "wasm_int.h"

typedef struct cur {
    const uint8_t *start; /* the module's first byte, for offsets in messages */
    const uint8_t *p, *end;
    lc_err_t *err;
} cur_t;

typedef struct types {
    char **sig; /* per type index */
    uint32_t n;
} types_t;

static int truncated(cur_t *c, const char *what)
{
    return LC_CORRUPT(c->err, "malformed module: %s at byte %zu runs past the end of its section",
                      what, (size_t)(c->p - c->start));
}

static int rd_u8(cur_t *c, uint8_t *v, const char *what)
{
    if (c->p >= c->end)
        return truncated(c, what);
    *v = *c->p++;
    return LC_OK;
}

/* Unsigned LEB128 of at most maxbits bits. */
static int rd_leb(cur_t *c, uint64_t *v, unsigned maxbits, const char *what)
{
    uint64_t r = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b = 0;
        if (rd_u8(c, &b, what))
            return LC_ECORRUPT;
        if (shift >= maxbits || (shift + 7 > maxbits && (b & 0x7f) >> (maxbits - shift) != 0))
            return LC_CORRUPT(c->err, "malformed module: %s at byte %zu is not a valid integer",
                              what, (size_t)(c->p - c->start - 1));
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *v = r;
    return LC_OK;
}

static int rd_u32(cur_t *c, uint32_t *v, const char *what)
{
    uint64_t x;
    int rc = rd_leb(c, &x, 32, what);
    *v = (uint32_t)x;
    return rc;
}

/* A count of items each at least min_size bytes long (invariant 1). */
static int rd_count(cur_t *c, uint32_t *n, size_t min_size, const char *what)
{
    if (rd_u32(c, n, what))
        return LC_ECORRUPT;
    if ((uint64_t)*n * min_size > (size_t)(c->end - c->p))
        return LC_CORRUPT(c->err, "malformed module: %s (%u) at byte %zu exceeds its section", what,
                          *n, (size_t)(c->p - c->start));
    return LC_OK;
}

/* A name as a NUL-terminated copy (the caller frees it). */
static int rd_name(cur_t *c, char **out, const char *what)
{
    uint32_t n;
    if (rd_u32(c, &n, what))
        return LC_ECORRUPT;
    if (n > (size_t)(c->end - c->p))
        return truncated(c, what);
    if (memchr(c->p, 0, n) != NULL)
        return LC_CORRUPT(c->err, "malformed module: %s at byte %zu contains a NUL byte", what,
                          (size_t)(c->p - c->start));
    char *s = lc_malloc((size_t)n + 1);
    if (s == NULL)
        return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    memcpy(s, c->p, n);
    s[n] = 0;
    c->p += n;
    *out = s;
    return LC_OK;
}

static int valtype_char(cur_t *c, char *out)
{
    uint8_t t = 0;
    if (rd_u8(c, &t, "value type"))
        return LC_ECORRUPT;
    static const struct {
        uint8_t code;
        char ch;
    } map[] = {{0x7f, 'i'}, {0x7e, 'I'}, {0x7d, 'f'}, {0x7c, 'F'},
               {0x7b, 'v'}, {0x70, 'r'}, {0x6f, 'x'}};
    for (size_t i = 0; i < LC_ARRAY_LEN(map); i++) {
        if (map[i].code == t) {
            *out = map[i].ch;
            return LC_OK;
        }
    }
    return LC_CORRUPT(c->err, "malformed module: unknown value type 0x%02x at byte %zu", t,
                      (size_t)(c->p - c->start - 1));
}

/* vec(valtype), appended to s as signature characters. */
static int rd_valtypes(cur_t *c, lc_buf_t *s, uint32_t *n)
{
    if (rd_count(c, n, 1, "value type count"))
        return LC_ECORRUPT;
    for (uint32_t i = 0; i < *n; i++) {
        char ch = 0;
        if (valtype_char(c, &ch))
            return LC_ECORRUPT;
        if (lc_buf_putc(s, (uint8_t)ch))
            return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    }
    return LC_OK;
}

static int rd_functype(cur_t *c, char **sig)
{
    uint8_t form = 0;
    if (rd_u8(c, &form, "type form"))
        return LC_ECORRUPT;
    if (form != 0x60)
        return lc_err_set(c->err, LC_EINVAL,
                          "unsupported module: type form 0x%02x at byte %zu (only function types "
                          "are supported)",
                          form, (size_t)(c->p - c->start - 1));
    lc_buf_t s;
    lc_buf_init(&s);
    uint32_t np, nr;
    int rc = rd_valtypes(c, &s, &np);
    if (rc == 0 && lc_buf_putc(&s, ':'))
        rc = lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    if (rc == 0)
        rc = rd_valtypes(c, &s, &nr);
    if (rc == 0 && lc_buf_terminate(&s))
        rc = lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    if (rc) {
        lc_buf_free(&s);
        return rc;
    }
    *sig = (char *)lc_buf_take(&s, NULL);
    return LC_OK;
}

static int parse_types(cur_t *c, types_t *ty)
{
    if (rd_count(c, &ty->n, 3, "type count"))
        return LC_ECORRUPT;
    ty->sig = lc_calloc(ty->n, sizeof *ty->sig);
    if (ty->sig == NULL)
        return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    for (uint32_t i = 0; i < ty->n; i++) {
        int rc = rd_functype(c, &ty->sig[i]);
        if (rc)
            return rc;
    }
    return LC_OK;
}

static int rd_typeidx(cur_t *c, const types_t *ty, uint32_t *idx)
{
    if (rd_u32(c, idx, "type index"))
        return LC_ECORRUPT;
    if (*idx >= ty->n)
        return LC_CORRUPT(c->err, "malformed module: type index %u at byte %zu does not exist",
                          *idx, (size_t)(c->p - c->start));
    return LC_OK;
}

/* Table and memory limits: flags, min, optional max (64-bit for memory64). */
static int skip_limits(cur_t *c)
{
    uint8_t flags = 0;
    uint64_t v = 0;
    if (rd_u8(c, &flags, "limits"))
        return LC_ECORRUPT;
    if (flags > 7)
        return LC_CORRUPT(c->err, "malformed module: limits flags 0x%02x at byte %zu", flags,
                          (size_t)(c->p - c->start - 1));
    unsigned bits = (flags & 4) ? 64 : 32;
    if (rd_leb(c, &v, bits, "limits"))
        return LC_ECORRUPT;
    if ((flags & 1) && rd_leb(c, &v, bits, "limits"))
        return LC_ECORRUPT;
    return LC_OK;
}

/* The description of a non-function import: consumed, remembered, refused
 * later (once the whole module is known to be well-formed). */
static int skip_import_desc(cur_t *c, uint8_t kind, const types_t *ty, const char **what)
{
    uint8_t b = 0;
    uint32_t idx = 0;
    switch (kind) {
    case 1:
        *what = "table";
        return rd_u8(c, &b, "table type") || skip_limits(c) ? LC_ECORRUPT : LC_OK;
    case 2:
        *what = "memory";
        return skip_limits(c);
    case 3:
        *what = "global";
        return rd_u8(c, &b, "global type") || rd_u8(c, &b, "global mutability") ? LC_ECORRUPT
                                                                                : LC_OK;
    case 4:
        *what = "tag";
        return rd_u8(c, &b, "tag attribute") || rd_typeidx(c, ty, &idx) ? LC_ECORRUPT : LC_OK;
    default:
        return LC_CORRUPT(c->err, "malformed module: unknown import kind %u at byte %zu", kind,
                          (size_t)(c->p - c->start - 1));
    }
}

static int parse_imports(cur_t *c, const types_t *ty, wasm__info_t *info, uint32_t **functypes)
{
    uint32_t n;
    if (rd_count(c, &n, 4, "import count"))
        return LC_ECORRUPT;
    info->imports = lc_calloc(n, sizeof *info->imports);
    *functypes = lc_calloc(n, sizeof **functypes);
    if (info->imports == NULL || *functypes == NULL)
        return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    for (uint32_t i = 0; i < n; i++) {
        char *mod = NULL, *name = NULL;
        uint8_t kind = 0;
        int rc = rd_name(c, &mod, "import module name");
        if (rc == 0)
            rc = rd_name(c, &name, "import name");
        if (rc == 0)
            rc = rd_u8(c, &kind, "import kind");
        if (rc) {
            lc_free(mod);
            lc_free(name);
            return rc;
        }
        if (kind == 0) {
            wasm__import_t *im = &info->imports[info->nimports++];
            im->module = mod;
            im->name = name;
            uint32_t t;
            if (rd_typeidx(c, ty, &t))
                return LC_ECORRUPT;
            (*functypes)[info->nimports - 1] = t;
            im->sig = lc_strdup(ty->sig[t]);
            if (im->sig == NULL)
                return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
            continue;
        }
        const char *what = NULL;
        rc = skip_import_desc(c, kind, ty, &what);
        if (rc == 0 && info->bad_import_kind == NULL) {
            info->bad_import_kind = what;
            info->bad_import_module = mod;
            info->bad_import_name = name;
        } else {
            lc_free(mod);
            lc_free(name);
        }
        if (rc)
            return rc;
    }
    return LC_OK;
}

static int parse_functions(cur_t *c, const types_t *ty, uint32_t nimports, uint32_t **functypes,
                           uint32_t *nfuncs)
{
    uint32_t n;
    if (rd_count(c, &n, 1, "function count"))
        return LC_ECORRUPT;
    uint32_t *ft = lc_realloc(*functypes, ((size_t)nimports + n + 1) * sizeof *ft);
    if (ft == NULL)
        return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    *functypes = ft;
    for (uint32_t i = 0; i < n; i++)
        if (rd_typeidx(c, ty, &ft[nimports + i]))
            return LC_ECORRUPT;
    *nfuncs = nimports + n;
    return LC_OK;
}

static int add_export(cur_t *c, wasm__info_t *info, char *name, const char *sig)
{
    wasm__export_t *ex = &info->exports[info->nexports++];
    ex->name = name;
    ex->sig = lc_strdup(sig);
    if (ex->sig == NULL)
        return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    const char *colon = strchr(sig, ':');
    ex->nparams = (uint32_t)(colon - sig);
    ex->nresults = (uint32_t)strlen(colon + 1);
    ex->callable = strspn(sig, "iIfF:") == strlen(sig);
    return LC_OK;
}

static int parse_exports(cur_t *c, const types_t *ty, wasm__info_t *info, const uint32_t *functypes,
                         uint32_t nfuncs)
{
    uint32_t n;
    if (rd_count(c, &n, 3, "export count"))
        return LC_ECORRUPT;
    info->exports = lc_calloc(n, sizeof *info->exports);
    if (info->exports == NULL)
        return lc_err_set(c->err, LC_ENOMEM, "out of memory reading the module");
    for (uint32_t i = 0; i < n; i++) {
        char *name = NULL;
        uint8_t kind = 0;
        uint32_t idx = 0;
        int rc = rd_name(c, &name, "export name");
        if (rc == 0)
            rc = rd_u8(c, &kind, "export kind");
        if (rc == 0)
            rc = rd_u32(c, &idx, "export index");
        if (rc) {
            lc_free(name);
            return rc;
        }
        if (kind > 4) {
            lc_free(name);
            return LC_CORRUPT(c->err, "malformed module: unknown export kind %u", kind);
        }
        if (kind == 2 && strcmp(name, "memory") == 0)
            info->memory_export = true;
        if (kind != 0) {
            lc_free(name);
            continue;
        }
        if (idx >= nfuncs) {
            rc = LC_CORRUPT(c->err,
                            "malformed module: export `%s` names function %u, which "
                            "does not exist",
                            name, idx);
            lc_free(name);
            return rc;
        }
        if (add_export(c, info, name, ty->sig[functypes[idx]]))
            return LC_ENOMEM;
    }
    return LC_OK;
}

/* Position of a known section in the spec's order (0 = custom). */
static int section_rank(uint8_t id)
{
    static const int8_t rank[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
    return id < sizeof rank ? rank[id] : -1;
}

typedef struct parse_state {
    types_t ty;
    uint32_t *functypes; /* type index per function index (imports first) */
    uint32_t nfuncs;
} parse_state_t;

static int parse_section(cur_t *c, uint8_t id, parse_state_t *st, wasm__info_t *info)
{
    switch (id) {
    case 1:
        return parse_types(c, &st->ty);
    case 2: {
        int rc = parse_imports(c, &st->ty, info, &st->functypes);
        st->nfuncs = info->nimports;
        return rc;
    }
    case 3:
        return parse_functions(c, &st->ty, info->nimports, &st->functypes, &st->nfuncs);
    case 7:
        return parse_exports(c, &st->ty, info, st->functypes, st->nfuncs);
    default:
        c->p = c->end;
        return LC_OK;
    }
}

static int parse_sections(cur_t *c, parse_state_t *st, wasm__info_t *info)
{
    int last_rank = 0;
    const uint8_t *end = c->end;
    while (c->p < end) {
        uint8_t id;
        uint32_t size;
        c->end = end;
        if (rd_u8(c, &id, "section id") || rd_u32(c, &size, "section size"))
            return LC_ECORRUPT;
        int rank = section_rank(id);
        if (rank < 0)
            return LC_CORRUPT(c->err, "malformed module: unknown section id %u at byte %zu", id,
                              (size_t)(c->p - c->start));
        if (rank > 0 && rank <= last_rank)
            return LC_CORRUPT(c->err, "malformed module: section %u out of order or repeated", id);
        if (size > (size_t)(end - c->p))
            return LC_CORRUPT(c->err, "malformed module: section %u (%u bytes) runs past the end",
                              id, size);
        if (rank > 0)
            last_rank = rank;
        c->end = c->p + size;
        int rc = parse_section(c, id, st, info);
        if (rc)
            return rc;
        if (c->p != c->end)
            return LC_CORRUPT(c->err, "malformed module: section %u has %zu unread bytes", id,
                              (size_t)(c->end - c->p));
    }
    return LC_OK;
}

static int count_import_modules(wasm__info_t *info, lc_err_t *err)
{
    lc_map_t seen;
    lc_map_init(&seen);
    for (uint32_t i = 0; i < info->nimports; i++) {
        if (lc_map_gets(&seen, info->imports[i].module) != NULL)
            continue;
        if (lc_map_puts(&seen, info->imports[i].module, info)) {
            lc_map_free(&seen);
            return lc_err_set(err, LC_ENOMEM, "out of memory reading the module");
        }
        info->nimport_modules++;
    }
    lc_map_free(&seen);
    return LC_OK;
}

int wasm__parse(const uint8_t *p, size_t len, wasm__info_t *info, lc_err_t *err)
{
    memset(info, 0, sizeof *info);
    if (len < 8 || memcmp(p, "\0asm", 4) != 0)
        return lc_err_set(err, LC_EINVAL, "not a wasm binary (no \\0asm header)");
    if (lc_load_u32le(p + 4) != 1)
        return lc_err_set(err, LC_EINVAL, "unsupported wasm binary version %u",
                          lc_load_u32le(p + 4));
    cur_t c = {p, p + 8, p + len, err};
    parse_state_t st = {{NULL, 0}, NULL, 0};
    int rc = parse_sections(&c, &st, info);
    if (rc == 0)
        rc = count_import_modules(info, err);
    for (uint32_t i = 0; i < st.ty.n && st.ty.sig; i++) lc_free(st.ty.sig[i]);
    lc_free(st.ty.sig);
    lc_free(st.functypes);
    return rc;
}

void wasm__info_free(wasm__info_t *info)
{
    for (uint32_t i = 0; i < info->nimports; i++) {
        lc_free(info->imports[i].module);
        lc_free(info->imports[i].name);
        lc_free(info->imports[i].sig);
    }
    lc_free(info->imports);
    for (uint32_t i = 0; i < info->nexports; i++) {
        lc_free(info->exports[i].name);
        lc_free(info->exports[i].sig);
    }
    lc_free(info->exports);
    lc_free(info->bad_import_module);
    lc_free(info->bad_import_name);
    memset(info, 0, sizeof *info);
}
