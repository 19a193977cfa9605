/*
 * The unit-test runner: runs every table in test_list.h (or only tests whose
 * name contains argv[1]), checks each test for leaked lc_malloc blocks, and
 * ends with the line "unit: N passed, N failed".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

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

static bool current_failed;
static const char *current_name;
static char tmpdir[256];

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s (%s:%d): ", current_name, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failed = true;
}

bool test_mem_eq(const char *file, int line, const char *what, const void *a, const void *b,
                 size_t n)
{
    if (memcmp(a, b, n) == 0)
        return true;
    char *ha = malloc(2 * n + 1), *hb = malloc(2 * n + 1);
    if (ha && hb) {
        lc_hex_encode(ha, a, n);
        lc_hex_encode(hb, b, n);
        test_fail(file, line, "%s differs:\n  got      %s\n  expected %s", what, ha, hb);
    } else {
        test_fail(file, line, "%s differs", what);
    }
    free(ha);
    free(hb);
    return false;
}

const char *test_tmpdir(void)
{
    if (tmpdir[0] == 0) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/lc-unit-XXXXXX", base);
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

static void remove_tmpdir(void)
{
    if (tmpdir[0] == 0)
        return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    tmpdir[0] = 0;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;

    lc_log_set_level(LC_LOG_WARN);
    for (size_t t = 0; t < LC_ARRAY_LEN(all_tables); t++) {
        for (const test_case_t *tc = all_tables[t]; tc->name; tc++) {
            if (filter && !strstr(tc->name, filter))
                continue;
            current_name = tc->name;
            current_failed = false;
            long live_before = lc_alloc_live();
            tc->fn();
            lc_fault_alloc_after(0);
            long leaked = lc_alloc_live() - live_before;
            if (!current_failed && leaked != 0)
                test_fail(__FILE__, __LINE__, "leaked %ld lc_malloc block(s)", leaked);
            remove_tmpdir();
            if (current_failed)
                failed++;
            else
                passed++;
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
