#!/bin/sh
# Runs every test suite and ends with one line: "N passed, N failed".
#
# Suites, each printing "<suite>: N passed, N failed":
#   format       clang-format finds nothing to change
#   unit         unit tests, release build
#   unit-asan    the same tests under AddressSanitizer + UBSan
#   unit-tsan    the same tests under ThreadSanitizer
#   fuzz         a short fixed run of every libFuzzer target (BSATN, durability)
#   sdk          the C module SDK: examples' imports and definitions, their
#                reducers under a toy host in node, compile-time misuse errors
#   integration  the real lightcone binary, started on free ports
#   e2e          the official TypeScript SDK (npm spacetimedb) against the real
#                server: chat, reconnect with a saved token, bank
# A suite that crashes before printing its line counts as one failure.
set -u
cd "$(dirname "$0")/.."

FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-15}
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run SUITE COMMAND...: run, echo its output, add its counts to the totals.
run() {
    suite=$1
    shift
    echo "== $suite"
    "$@" >"$log" 2>&1
    status=$?
    cat "$log"
    line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$suite: 0 passed, 1 failed (exit status $status, no summary)"
        total_fail=$((total_fail + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed/\1/')
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # a non-zero exit must never read as a pass
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

format_check() {
    if make -s check-format; then
        echo "format: 1 passed, 0 failed"
    else
        echo "run 'make format' to fix the layout"
        echo "format: 0 passed, 1 failed"
        return 1
    fi
}

# Every fuzzer for a short fixed time; the BSATN one starts from its corpus.
fuzz_smoke() {
    failed=0
    for f in build/fuzz/fuzz_*; do
        name=${f#build/fuzz/}
        corpus=$(mktemp -d)
        seeds=""
        [ "$name" = fuzz_bsatn ] && seeds=tests/fuzz/corpus
        # shellcheck disable=SC2086  # no seeds is no argument
        $f -max_total_time="$FUZZ_SMOKE_SECONDS" -print_final_stats=1 "$corpus" $seeds \
            >"$corpus.log" 2>&1
        status=$?
        # The fuzzer's progress lines are noise when it passes; show them on failure.
        if [ $status -eq 0 ]; then
            echo "$name: $(grep -E '^stat::number_of_executed_units' "$corpus.log")"
        else
            tail -n 60 "$corpus.log"
            failed=1
        fi
        rm -rf "$corpus" "$corpus.log"
    done
    if [ $failed -eq 0 ]; then
        echo "fuzz: 1 passed, 0 failed"
    else
        echo "fuzz: 0 passed, 1 failed"
    fi
    return $failed
}

# Deadlock detection is off: a transaction write-locks tables in whatever
# order it touches them, which ThreadSanitizer reports as lock-order
# inversion, but every such path holds the database's writer mutex, so two
# of them never interleave.  Data races are reported and fail the suite.
tsan_unit() {
    LC_TEST_SUITE=unit-tsan TSAN_OPTIONS=halt_on_error=1:detect_deadlocks=0 build/tsan/unit
}

asan_unit() {
    LC_TEST_SUITE=unit-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1 build/asan/unit
}

run format format_check
run unit build/unit
run unit-asan asan_unit
run unit-tsan tsan_unit
run fuzz fuzz_smoke
run sdk tests/sdk/run.sh
run integration build/integration
run e2e tests/e2e/run.sh

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
