/*
 * test — the unit-test harness.  One file per module under tests/unit/
 * defines its tests with TEST() and lists them in a table at its end:
 *
 *     TEST(buf_grows) { ... CHECK(b.len == 3); ... }
 *     const test_case_t test_base_cases[] = {
 *         TEST_CASE(buf_grows),
 *         TEST_END,
 *     };
 *
 * and test_list.h names every file's table once.  CHECK* macros record a
 * failure with its file and line and return from the test; a test passes
 * when no check failed and it freed every lc_malloc'd byte it took (the
 * runner compares the live-allocation count before and after).
 */
#ifndef LC_TEST_H
#define LC_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case_t;

#define TEST(name) static void test_##name(void)
#define TEST_CASE(name)                                                                            \
    {                                                                                              \
#name, test_##name                                                                         \
    }
#define TEST_END                                                                                   \
    {                                                                                              \
        NULL, NULL                                                                                 \
    }

/* Record a failed check; used by the macros below. */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Run every case of every table whose name contains filter (all when NULL);
 * print "<suite>: N passed, N failed"; return 0 when none failed. */
int test_run(const char *suite, const test_case_t *const *tables, size_t ntables,
             const char *filter);
/* Whether the running test has failed a check (integration tests keep the
 * server's log when it has). */
bool test_current_failed(void);
/* Decode hex (spaces and newlines ignored) into out: the byte count, or -1
 * on a bad digit, an odd count or more than cap bytes. */
long test_unhex(const char *hex, uint8_t *out, size_t cap);
/* Path of a fresh temporary directory, removed after the test. */
const char *test_tmpdir(void);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* expr must evaluate to 0 (LC_OK). */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        long long rc_ = (long long)(expr);                                                         \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s returned %lld, expected 0", #expr, rc_);             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_);      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                     \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", \
                      b_ ? b_ : "(null)");                                                         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Compare n bytes; on mismatch print both in hex. */
#define CHECK_EQ_MEM(a, b, n)                                                                      \
    do {                                                                                           \
        if (!test_mem_eq(__FILE__, __LINE__, #a, (a), (b), (n)))                                   \
            return;                                                                                \
    } while (0)
bool test_mem_eq(const char *file, int line, const char *what, const void *a, const void *b,
                 size_t n);

#endif /* LC_TEST_H */
