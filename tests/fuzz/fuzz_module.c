/*
 * fuzz_module — a libFuzzer target for the two parsers that read what a
 * publisher uploads: the wasm section parser (src/wasm/binary.c) and the
 * module-definition decoder and validator (src/module/def*.c).
 *
 * The first input byte picks the parser; the rest is its input.
 *   even: wasm__parse(); on success the shim generator runs over the result.
 *   odd:  mod_def_decode(); on success every table's store definition is
 *         built, and a migration plan from the definition to itself must be
 *         allowed and empty (property 1).
 * Properties (abort() on violation): 1 as above; 2 a failure always comes
 * with a message; 3 ASan/UBSan see every read and allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "module/mod_def.h"
#include "wasm/wasm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_wasm(const uint8_t *p, size_t n)
{
    wasm__info_t info;
    lc_err_t err = {0};
    if (wasm__parse(p, n, &info, &err) != LC_OK) {
        wasm__info_free(&info); /* the parser leaves cleanup to the caller */
        if (err.msg[0] == 0)
            abort(); /* property 2 */
        return;
    }
    lc_buf_t shim;
    lc_buf_init(&shim);
    wasm__shim_source(&info, &shim);
    lc_buf_free(&shim);
    wasm__info_free(&info);
}

static void fuzz_def(const uint8_t *p, size_t n)
{
    mod_def_t *d;
    lc_err_t err = {0};
    if (mod_def_decode(p, n, &d, &err) != LC_OK) {
        if (err.msg[0] == 0)
            abort(); /* property 2 */
        return;
    }
    for (uint32_t i = 0; i < d->ntables; i++) {
        lc_arena_t a;
        lc_arena_init(&a, 0);
        store_table_def_t sdef;
        mod_def_table_store_def(d, i, &a, &sdef, &err);
        lc_arena_free(&a);
    }
    mod_migration_t *plan = NULL;
    if (mod_def_plan_migration(d, d, &plan, &err) == LC_OK) {
        for (uint32_t i = 0; i < plan->nsteps; i++)
            if (!plan->steps[i].is_view && plan->steps[i].kind != MOD_STEP_UPDATE_VIEW)
                abort(); /* property 1: nothing changes */
        if (plan->refused)
            abort();
    }
    mod_migration_free(plan);
    mod_def_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_def(data + 1, size - 1);
    else
        fuzz_wasm(data + 1, size - 1);
    return 0;
}
