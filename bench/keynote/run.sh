#!/bin/bash
# The keynote benchmark (issue 10; ../shared/spec/anchors.md §2.1), Lightcone and
# PostgreSQL side by side in one run on this machine:
#   - Lightcone: build/lightcone start on a free port with a durable data directory,
#     examples/bank published and seeded with 100,000 accounts of 1,000,000,000;
#     build/bench/loadgen drives transfer(from, to, 1) with 64 connections x 40 in
#     flight, confirmed reads (v3, several calls per frame).
#   - PostgreSQL 15: a throwaway cluster (unix socket in a temp dir, no TCP, fsync on,
#     synchronous_commit on, serializable), the same table and a plpgsql transfer
#     function (postgres.sql), pgbench with 64 clients, serialization failures retried
#     up to 10 times and counted as errors when they still fail.
# Both for alpha 0 (uniform) and 1.5 (Zipf), plus one client without pipelining.
# Ends with one line per alpha:
#   keynote alpha=A lightcone_tps=N postgres_tps=M ratio=R p50_ms=X p99_ms=Y
# Knobs: KEYNOTE_SECONDS (measured seconds per run, default 10), KEYNOTE_WARMUP (3).
set -eu
cd "$(dirname "$0")/../.."

SECS=${KEYNOTE_SECONDS:-10}
WARMUP=${KEYNOTE_WARMUP:-3}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
LOADGEN=build/bench/loadgen
ACCOUNTS=100000

tmp=$(mktemp -d /tmp/keynote.XXXXXX)
chmod 755 "$tmp" # the postgres user reaches its cluster through it
server_pid=
pg_started=
AS_PG=()
if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    AS_PG=(runuser -u postgres --)
fi

cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$pg_started" ] && "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$tmp/pg/data" -m immediate stop \
        >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------------ Lightcone

start_lightcone() {
    port=$(free_port)
    build/lightcone start --listen-addr "127.0.0.1:$port" --data-dir "$tmp/lc" \
        --non-interactive --log-level warn >"$tmp/lightcone.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/v1/ping" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -sf -X PUT --data-binary @build/examples/bank.wasm \
        "http://127.0.0.1:$port/v1/database/bank" >/dev/null
    curl -sf -X POST -H 'Content-Type: application/json' -d "[$ACCOUNTS, 1000000000]" \
        "http://127.0.0.1:$port/v1/database/bank/call/seed" >/dev/null
    echo "lightcone: pid $server_pid on port $port, bank seeded with $ACCOUNTS accounts"
}

# loadgen ARGS...: run it, echo its line, set lg_tps, lg_p50, lg_p99, lg_errors.
loadgen() {
    local line
    line=$("$LOADGEN" --port "$port" --accounts "$ACCOUNTS" "$@")
    echo "$line"
    lg_tps=$(field tps "$line")
    lg_p50=$(field p50_ms "$line")
    lg_p99=$(field p99_ms "$line")
    lg_errors=$(field errors "$line")
}

field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ------------------------------------------------------------------ PostgreSQL

start_postgres() {
    mkdir -p "$tmp/pg/sock"
    cp bench/keynote/postgres.sql bench/keynote/*.pgbench "$tmp/pg/"
    [ ${#AS_PG[@]} -gt 0 ] && chown -R postgres "$tmp/pg"
    "${AS_PG[@]}" "$PGBIN/initdb" -D "$tmp/pg/data" -A trust -U postgres >"$tmp/pg/initdb.log"
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories=$tmp/pg/sock -c max_connections=100 \
            -c fsync=on -c synchronous_commit=on -c default_transaction_isolation=serializable" \
        start >/dev/null
    pg_started=1
    "${AS_PG[@]}" "$PGBIN/psql" -q -h "$tmp/pg/sock" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -f "$tmp/pg/postgres.sql"
    echo "postgres: $("${AS_PG[@]}" "$PGBIN/postgres" --version), cluster in $tmp/pg"
}

# pgbench CLIENTS SCRIPT SECONDS: set pg_tps, pg_p50, pg_p99, pg_failed (from its
# per-transaction log: the third field is the latency in µs).
pgbench_run() {
    local clients=$1 script=$2 secs=$3 jobs=2 out
    [ "$clients" -lt 2 ] && jobs=1
    rm -rf "$tmp/pg/log" && mkdir -p "$tmp/pg/log"
    [ ${#AS_PG[@]} -gt 0 ] && chown postgres "$tmp/pg/log"
    out=$(cd "$tmp/pg/log" && "${AS_PG[@]}" "$PGBIN/pgbench" -h "$tmp/pg/sock" -U postgres \
        -n -M prepared -c "$clients" -j "$jobs" -T "$secs" --max-tries=10 -l \
        -f "$tmp/pg/$script" postgres 2>&1) || {
        echo "$out" >&2
        return 1
    }
    pg_tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)
    pg_failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
    pg_failed=${pg_failed:-0}
    read -r pg_p50 pg_p99 < <(cat "$tmp"/pg/log/pgbench_log.* | awk '$3 ~ /^[0-9]+$/ {print $3}' |
        sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f\n", a[int(NR*0.5)+1]/1000, a[int(NR*0.99)+1]/1000}')
    printf 'pgbench  clients=%d script=%s tps=%.0f p50_ms=%s p99_ms=%s failed=%s\n' \
        "$clients" "$script" "$pg_tps" "$pg_p50" "$pg_p99" "$pg_failed"
}

# ------------------------------------------------------------------ the run

echo "keynote: $(nproc) cores, ${SECS} s per run after ${WARMUP} s warm-up"
start_lightcone
start_postgres

echo "== one client, no pipelining, confirmed reads (p50 of send -> reply)"
loadgen --conns 1 --depth 1 --warmup 1 --seconds 5 --label single
single_lc=$lg_p50
pgbench_run 1 uniform.pgbench 5
single_pg=$pg_p50
echo "keynote single_client lightcone_p50_ms=$single_lc postgres_p50_ms=$single_pg"

results=()
for alpha in 0 1.5; do
    script=uniform.pgbench
    [ "$alpha" = 0 ] || script=zipf15.pgbench
    echo "== alpha=$alpha: 64 connections x 40 in flight (Lightcone), 64 clients (PostgreSQL)"
    loadgen --conns 64 --depth 40 --alpha "$alpha" --warmup "$WARMUP" --seconds "$SECS"
    pgbench_run 64 "$script" "$SECS"
    ratio=$(awk -v a="$lg_tps" -v b="$pg_tps" 'BEGIN {printf "%.1f", (b > 0) ? a / b : 0}')
    results+=("$(printf 'keynote alpha=%s lightcone_tps=%.0f postgres_tps=%.0f ratio=%s p50_ms=%s p99_ms=%s' \
        "$alpha" "$lg_tps" "$pg_tps" "$ratio" "$lg_p50" "$lg_p99")")
    [ "$lg_errors" = 0 ] || echo "warning: lightcone errors=$lg_errors"
    [ "$pg_failed" = 0 ] || echo "note: postgres failed transactions (after retries)=$pg_failed"
done
printf '%s\n' "${results[@]}"
