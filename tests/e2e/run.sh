#!/bin/sh
# run.sh — end to end with the official npm `spacetimedb` SDK; ends with
# "e2e: N passed, N failed".
#
#   tests/e2e/run.sh        (from anywhere; after `make build/lightcone examples`)
#
# Installs the pinned node packages (npm ci) when they are missing, starts the
# real `build/lightcone start` on a free port with a temporary data directory,
# publishes build/examples/chat.wasm, bank.wasm and alltypes.wasm over HTTP, runs each
# tests/e2e/*.test.mjs against it under a timeout, then stops the server with
# SIGTERM.  The server's log is kept under build/test-logs/ when anything
# failed.  Missing node, npm or build outputs are failures, never skips.
#
# Before the tests, `lightcone generate --lang typescript` writes bindings for
# each published module into the temporary directory (generated.test.mjs).
#
# Environment: LIGHTCONE_BIN (default build/lightcone), E2E_FILTER (run only
# tests whose file name contains it), E2E_TIMEOUT (seconds per test, 25).
set -u
cd "$(dirname "$0")/../.."

BIN=${LIGHTCONE_BIN:-build/lightcone}
TEST_TIMEOUT=${E2E_TIMEOUT:-25}
passed=0
failed=0
tmp=$(mktemp -d)
server_pid=""

ok() {
    echo "ok   e2e: $1"
    passed=$((passed + 1))
}

# fail NAME REASON [DETAIL-FILE]: one failure, with the detail indented below.
fail() {
    echo "FAIL e2e: $1: $2"
    [ $# -ge 3 ] && [ -s "$3" ] && sed 's/^/    /' "$3" | tail -n 40
    failed=$((failed + 1))
}

finish() {
    stop_server
    if [ "$failed" -ne 0 ] && [ -s "$tmp/server.log" ]; then
        mkdir -p build/test-logs
        keep=build/test-logs/e2e-server-$(date +%Y%m%d-%H%M%S).log
        cp "$tmp/server.log" "$keep"
        echo "server log kept in $keep"
    fi
    rm -rf "$tmp"
    echo "e2e: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# Graceful stop: SIGTERM, up to 10 s to exit, then SIGKILL.  A server that
# does not exit 0 on SIGTERM is a failure (it must flush and shut down).
stop_server() {
    [ -n "$server_pid" ] || return 0
    pid=$server_pid
    server_pid=""
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        fail "server stops on SIGTERM" "still running 10 s after SIGTERM; killed"
        return
    fi
    wait "$pid"
    status=$?
    if [ "$status" -eq 0 ]; then
        ok "server stops on SIGTERM"
    else
        fail "server stops on SIGTERM" "exit status $status"
    fi
}

trap 'fail "interrupted" "signal"; finish' INT TERM

# --- prerequisites: each missing piece is a loud failure ---------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    fail "node and npm" "not found on PATH; install node 20+ and npm (the SDK tests need them)"
    finish
fi
if [ ! -f tests/e2e/node_modules/.package-lock.json ] ||
    [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
    if ! (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1; then
        fail "npm ci in tests/e2e" "failed" "$tmp/npm.log"
        finish
    fi
fi
missing=""
for f in "$BIN" build/examples/chat.wasm build/examples/bank.wasm build/examples/alltypes.wasm; do
    [ -f "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
    fail "build outputs" "missing:$missing (run 'make build/lightcone examples')"
    finish
fi

# --- server --------------------------------------------------------------------
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
base=http://127.0.0.1:$port
"$BIN" start --data-dir "$tmp/data" --listen-addr "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
i=0
while ! grep -q "lightcone ready" "$tmp/server.log" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid"
        status=$?
        server_pid=""
        fail "start the server" "lightcone start exited with status $status before it was ready" "$tmp/server.log"
        finish
    fi
    if [ $i -ge 200 ]; then
        fail "start the server" "not ready after 20 s" "$tmp/server.log"
        finish
    fi
    sleep 0.1
    i=$((i + 1))
done

# publish NAME: PUT build/examples/NAME.wasm as database NAME; 0 on success.
publish() {
    code=$(curl -sS -o "$tmp/publish.out" -w '%{http_code}' -X PUT \
        -H 'Content-Type: application/octet-stream' \
        --data-binary "@build/examples/$1.wasm" "$base/v1/database/$1" 2>"$tmp/publish.err")
    body=$(head -c 400 "$tmp/publish.out" 2>/dev/null)
    if [ "$code" != 200 ]; then
        fail "publish $1.wasm" "PUT /v1/database/$1 answered HTTP $code: $body$(cat "$tmp/publish.err")"
        return 1
    fi
    if ! grep -q '"Success"' "$tmp/publish.out" || ! grep -q '"database_identity"' "$tmp/publish.out"; then
        fail "publish $1.wasm" "PUT /v1/database/$1: 200 without a PublishResult Success: $body"
        return 1
    fi
    ok "publish $1.wasm"
}

published=" "
for db in chat bank alltypes; do
    publish "$db" && published="$published$db "
done

# --- generated bindings ----------------------------------------------------------
# `lightcone generate --lang typescript` for each published module into
# $tmp/gen/NAME/index.mjs; $tmp/node_modules points at ours so that the
# generated files' `import 'spacetimedb'` resolves to the same SDK.
# generated.test.mjs imports them from $LIGHTCONE_GENERATED.
ln -s "$PWD/tests/e2e/node_modules" "$tmp/node_modules"
for db in $published; do
    if XDG_CONFIG_HOME="$tmp/config" "$BIN" generate --lang typescript -s "$base" \
        --out-dir "$tmp/gen/$db" "$db" >"$tmp/generate.log" 2>&1; then
        ok "generate $db bindings"
    else
        fail "generate $db bindings" "lightcone generate failed" "$tmp/generate.log"
    fi
done

# --- a project from `lightcone init`, end to end -------------------------------------
# init a C module with a TypeScript client, publish it with the CLI (which
# builds it), generate its bindings into the client and run the client's
# main.mjs: it connects, subscribes, calls `add` and exits 0 once it sees the
# row it added.
init_project() {
    proj=$tmp/init/myapp
    cfg="$tmp/config"
    if ! { XDG_CONFIG_HOME=$cfg "$BIN" init --client typescript "$proj" &&
        XDG_CONFIG_HOME=$cfg "$BIN" publish -s "$base" -p "$proj" myapp &&
        XDG_CONFIG_HOME=$cfg "$BIN" generate -s "$base" --lang typescript \
            --out-dir "$proj/client/module_bindings" myapp; } >"$tmp/init.log" 2>&1; then
        fail "init-client" "lightcone init / publish / generate failed" "$tmp/init.log"
        return
    fi
    ln -s "$PWD/tests/e2e/node_modules" "$proj/client/node_modules"
    if LIGHTCONE_URL=$base LIGHTCONE_DB=myapp timeout -k 5 "$TEST_TIMEOUT" \
        node "$proj/client/main.mjs" alice >"$tmp/client.log" 2>&1 &&
        grep -q "inserted person .*: alice" "$tmp/client.log"; then
        ok "init-client"
    else
        fail "init-client" "the generated project's client did not see its row" "$tmp/client.log"
    fi
}
case init-client in *"${E2E_FILTER:-}"*) init_project ;; esac

# --- tests ---------------------------------------------------------------------
# Each test names the database it needs in a line "// database: NAME".
for t in tests/e2e/*.test.mjs; do
    name=$(basename "$t" .test.mjs)
    case "$name" in *"${E2E_FILTER:-}"*) ;; *) continue ;; esac
    db=$(sed -nE 's|^// database: ([a-z0-9-]+)$|\1|p' "$t" | head -n 1)
    case "$published" in
    *" $db "*) ;;
    *)
        fail "$name" "not run: database '$db' was not published"
        continue
        ;;
    esac
    LIGHTCONE_URL=$base LIGHTCONE_GENERATED=$tmp/gen LIGHTCONE_PUBLISHED="$published" timeout -k 5 "$TEST_TIMEOUT" node "$t" >"$tmp/test.log" 2>&1
    status=$?
    if [ "$status" -eq 0 ]; then
        ok "$name"
    elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        fail "$name" "killed after ${TEST_TIMEOUT} s" "$tmp/test.log"
    else
        # The test's own "NAME: reason" line is the reason; the rest (minus
        # the SDK's "Connecting" chatter) is shown below it.
        reason=$(grep -m 1 -E "^$name: " "$tmp/test.log" | sed "s/^$name: //" | cut -c 1-800)
        grep -v -E "^$name: |INFO Connecting to SpacetimeDB" "$tmp/test.log" >"$tmp/detail.log"
        fail "$name" "${reason:-exit status $status}" "$tmp/detail.log"
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        fail "server still running after $name" "it exited" "$tmp/server.log"
        wait "$server_pid" 2>/dev/null
        server_pid=""
        break
    fi
done

finish
