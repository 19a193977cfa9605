/* The integration suite: tests that drive the real lightcone binary. */
#include <signal.h>

#include "base/base.h"
#include "unit/test.h"

extern const test_case_t test_start_cases[];
extern const test_case_t test_crash_cases[];
extern const test_case_t test_backup_cases[];
extern const test_case_t test_api_cases[];
extern const test_case_t test_cli_cases[];
extern const test_case_t test_cli_generate_cases[];
extern const test_case_t test_crash_server_cases[];
extern const test_case_t test_rls_cases[];

static const test_case_t *const all_tables[] = {
    test_start_cases, test_crash_cases,        test_backup_cases,       test_api_cases,
    test_cli_cases,   test_crash_server_cases, test_cli_generate_cases, test_rls_cases,
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    return test_run("integration", all_tables, LC_ARRAY_LEN(all_tables), argc > 1 ? argv[1] : NULL);
}
