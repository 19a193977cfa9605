/*
 * cli_run.h — running the `lightcone` CLI in integration tests: RUN a
 * command and check its exit code, then EXPECT things of its output.  The
 * test function declares `char out[OUT_CAP]` and a `done:` label.
 */
#ifndef LC_ITEST_CLI_RUN_H
#define LC_ITEST_CLI_RUN_H

#include <string.h>

#include "harness.h"
#include "unit/test.h"

#define OUT_CAP 16384

/* Run `lightcone ARGS...`, capturing its output in out; fail the test (goto
 * done) unless it exits with want. */
#define RUN(want, ...)                                                                             \
    do {                                                                                           \
        const char *args_[] = {__VA_ARGS__, NULL};                                                 \
        int code_ = itest_run(out, OUT_CAP, args_);                                                \
        if (code_ != (want)) {                                                                     \
            test_fail(__FILE__, __LINE__, "lightcone %s: exit %d, expected %d; output:\n%s",       \
                      args_[0], code_, want, out);                                                 \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define EXPECT_OUT(text)                                                                           \
    do {                                                                                           \
        if (!strstr(out, text)) {                                                                  \
            test_fail(__FILE__, __LINE__, "expected \"%s\" in the output:\n%s", text, out);        \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "EXPECT(%s); output:\n%s", #cond, out);                  \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#endif
