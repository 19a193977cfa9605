/*
 * {{name}} — a Lightcone module in C, made by `lightcone init`.
 *
 * One public table, `person`, and two reducers: `add` inserts a person and `say_hello`
 * logs a greeting for everyone.  Build and publish with `lightcone publish -p . {{name}}`.
 */
#include <lightcone.h>

// clang-format off
LC_TABLE(person, LC_PUBLIC,
         LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(lc_string, name))
// clang-format on

LC_REDUCER(add, LC_ARG(lc_string, name))
{
    if (name.len == 0)
        return lc_err("Names must not be empty");
    person_t p = {.id = 0, .name = name};
    person_insert(&p);
    return lc_ok();
}

LC_REDUCER(say_hello)
{
    LC_LOG_INFO("Hello, World!");
    return lc_ok();
}
