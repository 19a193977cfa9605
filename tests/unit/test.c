/*
 * The test runner shared by the unit and integration suites: runs tables of
 * test cases (optionally only names containing a filter), checks each test
 * for leaked lc_malloc blocks, and ends with "<suite>: N passed, N failed".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/base.h"
#include "test.h"

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

bool test_current_failed(void)
{
    return current_failed;
}

int test_run(const char *suite, const test_case_t *const *tables, size_t ntables,
             const char *filter)
{
    lc_alloc_track(true);
    int passed = 0, failed = 0;

    for (size_t t = 0; t < ntables; t++) {
        for (const test_case_t *tc = tables[t]; tc->name; tc++) {
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
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}

long test_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *s = hex; *s; s++) {
        int v;
        if (*s == ' ' || *s == '\n')
            continue;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            return -1;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n >= cap)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 ? (long)n : -1;
}
