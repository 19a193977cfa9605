#!/bin/sh
# run.sh — the C module SDK's tests; ends with "sdk: N passed, N failed".
#
#   tests/sdk/run.sh        (from the repository root, after `make build/lightcone`)
#
# 1. `make examples` builds build/examples/{bank,chat,alltypes}.wasm;
# 2. `lightcone build` builds the SDK test module (tests/sdk/modules/sdktest, two files);
# 3. check_examples.mjs: imports, exports and the module definitions of the examples;
# 4. behaviour.mjs: the modules' reducers under a toy host in node (lib/host.mjs), and the
#    SDK's formatter against the C library's (fmt_native.c);
# 5. misuse.sh: modules that misuse the SDK fail to compile, saying why.
set -u
cd "$(dirname "$0")/../.."

OUT=build/sdk-test
LIGHTCONE=${LIGHTCONE:-build/lightcone}
mkdir -p "$OUT"
passed=0
failed=0

# step NAME COMMAND...: run; count the "N passed, N failed" line it prints, or one failure.
step() {
    name=$1
    shift
    "$@" >"$OUT/step.log" 2>&1
    status=$?
    cat "$OUT/step.log"
    line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' "$OUT/step.log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed/\1/')
        [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    elif [ "$status" -eq 0 ]; then
        echo "ok   sdk: $name"
        p=1 f=0
    else
        echo "FAIL sdk: $name (exit status $status)"
        p=0 f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    return "$status"
}

step "make examples" make -s examples &&
    step "lightcone build tests/sdk/modules/sdktest" \
        "$LIGHTCONE" build tests/sdk/modules/sdktest -o "$OUT/sdktest.wasm" &&
    step "cc tests/sdk/fmt_native.c" \
        cc -std=c17 -Wall -Itests/sdk -o "$OUT/fmt_native" tests/sdk/fmt_native.c -lm &&
    "$OUT/fmt_native" >"$OUT/fmt_native.txt"
if [ $failed -eq 0 ]; then
    step examples node tests/sdk/check_examples.mjs build/examples
    step behaviour node tests/sdk/behaviour.mjs build/examples "$OUT/sdktest.wasm" \
        "$OUT/fmt_native.txt"
    step misuse tests/sdk/misuse.sh "$LIGHTCONE"
fi
rm -f "$OUT/step.log"
echo "sdk: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
