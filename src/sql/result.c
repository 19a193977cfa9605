/*
 * result — renders a result for its readers: the /sql JSON body
 * (protocol.md §8.3: schema as the typed SATS-JSON of a ProductType, rows in
 * untyped SATS-JSON) and the psql-style table `lightcone sql` prints.
 */
#include "sql/sql_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int json_string(lc_buf_t *out, const char *s)
{
    int rc = lc_buf_putc(out, '"');
    for (; *s && rc == LC_OK; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            rc = lc_buf_printf(out, "\\%c", c);
        else if (c < 0x20)
            rc = lc_buf_printf(out, "\\u%04x", c);
        else
            rc = lc_buf_putc(out, c);
    }
    return rc ? rc : lc_buf_putc(out, '"');
}

/* The typed SATS-JSON of an AlgebraicType. */
static int type_json(lc_buf_t *out, const sats_type_t *t)
{
    switch (t->kind) {
    case SATS_REF:
        return lc_buf_printf(out, "{\"Ref\":%u}", t->u.ref);
    case SATS_ARRAY: {
        int rc = lc_buf_puts(out, "{\"Array\":");
        rc = rc ? rc : type_json(out, t->u.elem);
        return rc ? rc : lc_buf_putc(out, '}');
    }
    case SATS_PRODUCT:
    case SATS_SUM: {
        int rc = lc_buf_puts(out, t->kind == SATS_PRODUCT ? "{\"Product\":{\"elements\":["
                                                          : "{\"Sum\":{\"variants\":[");
        for (uint32_t i = 0; i < t->u.fields.n && rc == LC_OK; i++) {
            const sats_field_t *f = &t->u.fields.items[i];
            if (i)
                rc = lc_buf_putc(out, ',');
            if (rc == LC_OK && f->name) {
                rc = lc_buf_puts(out, "{\"name\":{\"some\":");
                rc = rc ? rc : json_string(out, f->name);
                rc = rc ? rc : lc_buf_puts(out, "},\"algebraic_type\":");
            } else if (rc == LC_OK) {
                rc = lc_buf_puts(out, "{\"name\":{\"none\":[]},\"algebraic_type\":");
            }
            rc = rc ? rc : type_json(out, f->type);
            rc = rc ? rc : lc_buf_putc(out, '}');
        }
        return rc ? rc : lc_buf_puts(out, "]}}");
    }
    default:
        return lc_buf_printf(out, "{\"%s\":[]}", sats_kind_name(t->kind));
    }
}

int sql_result_json(lc_buf_t *out, const sql_result_t *r, uint64_t duration_us, lc_err_t *err)
{
    int rc = lc_buf_puts(out, "[{\"schema\":{\"elements\":[");
    for (uint32_t c = 0; c < r->ncols && rc == LC_OK; c++) {
        rc = lc_buf_puts(out, c ? ",{\"name\":{\"some\":" : "{\"name\":{\"some\":");
        rc = rc ? rc : json_string(out, r->cols[c].name);
        rc = rc ? rc : lc_buf_puts(out, "},\"algebraic_type\":");
        rc = rc ? rc : type_json(out, r->cols[c].type);
        rc = rc ? rc : lc_buf_putc(out, '}');
    }
    rc = rc ? rc : lc_buf_puts(out, "]},\"rows\":[");
    for (uint32_t i = 0; i < r->nrows && rc == LC_OK; i++) {
        rc = lc_buf_puts(out, i ? ",[" : "[");
        for (uint32_t c = 0; c < r->ncols && rc == LC_OK; c++) {
            if (c)
                rc = lc_buf_putc(out, ',');
            rc = rc ? rc
                    : sats_json_encode(out, r->cols[c].ts, r->cols[c].type,
                                       &r->cells[i * r->ncols + c], SATS_JSON_UNTYPED, err);
        }
        rc = rc ? rc : lc_buf_putc(out, ']');
    }
    rc = rc ? rc
            : lc_buf_printf(out,
                            "],\"total_duration_micros\":%" PRIu64
                            ",\"stats\":{\"rows_inserted\":%" PRIu64 ",\"rows_deleted\":%" PRIu64
                            ",\"rows_updated\":%" PRIu64 "}}]",
                            duration_us, r->stats.rows_inserted, r->stats.rows_deleted,
                            r->stats.rows_updated);
    if (rc == LC_ENOMEM)
        lc_err_set(err, rc, "out of memory");
    return rc;
}

int sql_result_print(lc_buf_t *out, const sql_result_t *r)
{
    size_t ncells = (size_t)r->nrows * r->ncols;
    const char **headers = lc_calloc(r->ncols + 1, sizeof *headers);
    char **cells = lc_calloc(ncells + 1, sizeof *cells);
    int rc = headers && cells ? LC_OK : LC_ENOMEM;
    for (uint32_t c = 0; c < r->ncols && rc == LC_OK; c++) headers[c] = r->cols[c].name;
    for (size_t i = 0; i < ncells && rc == LC_OK; i++) {
        lc_buf_t b;
        lc_buf_init(&b);
        const sql_col_t *col = &r->cols[i % r->ncols];
        rc = sats_print_value(&b, col->ts, col->type, &r->cells[i]);
        rc = rc ? rc : lc_buf_terminate(&b);
        cells[i] = rc ? NULL : (char *)lc_buf_take(&b, NULL);
        lc_buf_free(&b);
        if (rc == LC_OK && !cells[i])
            rc = LC_ENOMEM;
    }
    if (rc == LC_OK)
        rc = sats_print_table(out, r->ncols, headers, r->nrows, (const char *const *)cells);
    for (size_t i = 0; cells && i < ncells; i++) lc_free(cells[i]);
    lc_free(cells);
    lc_free((void *)headers);
    return rc;
}
