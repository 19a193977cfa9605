/* The unit-test suite: every table named in test_list.h. */
#include <stdlib.h>

#include "base/base.h"
#include "test.h"

#define X(table) extern const test_case_t table[];
#include "test_list.h"
#undef X

static const test_case_t *const all_tables[] = {
#define X(table) table,
#include "test_list.h"
#undef X
};

int main(int argc, char **argv)
{
    lc_log_set_level(LC_LOG_WARN);
    /* tests/run.sh names the sanitizer run of this same suite "unit-asan". */
    const char *suite = getenv("LC_TEST_SUITE") ? getenv("LC_TEST_SUITE") : "unit";
    return test_run(suite, all_tables, LC_ARRAY_LEN(all_tables), argc > 1 ? argv[1] : NULL);
}
