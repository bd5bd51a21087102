#!/usr/bin/env bash
# Submission load run (not a test; prints figures): a durable PostgreSQL (fsync on), fedsim with
# three large GPU clusters on loopback (bench/submit_fedsim.yaml), one `broker serve`, then
#   1. pgbench: the raw single-row INSERT rate of the same server (1 and 64 clients), for scale;
#      then, when built (BROKER_BUILD_BENCH), bench/store_bench: the store's submission path alone;
#   2. wrk: POST /api/v1/jobs from 64 concurrent connections for DURATION seconds (every job is
#      placed, recorded durably with its reservation, and created in Karmada before the 201;
#      writes arriving together share one commit: the run prints how many per commit);
#   3. broker RSS when idle and with 1,000 open client connections.
# Everything it starts is stopped on exit.
#
#   bench/submit_load.sh [BUILD_DIR] [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
duration=${2:-10}
connections=${3:-64}
[ "$duration" -le 60 ] || { echo "DURATION is capped at 60 s" >&2; exit 2; }
for tool in wrk pgbench python3 openssl; do
  command -v $tool >/dev/null || { echo "submit_load: $tool is required" >&2; exit 2; }
done

state=$(mktemp -d /tmp/broker-bench.XXXXXX)
chmod 711 "$state"  # as root, PostgreSQL runs as `postgres` below it
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  "$root/scripts/pg.sh" down "$state/pg" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_url() {
  for _ in $(seq 1 300); do
    url=$(grep -o "$2 listening on [a-z]*://[0-9.:]*" "$1" 2>/dev/null | awk '{print $NF}' | head -1 || true)
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.1
  done
  echo "$2 did not start:" >&2; cat "$1" >&2; return 1
}
job_states() {
  psql "$db" -Atc "SELECT string_agg(state || '=' || n, ' ') FROM (SELECT state, count(*) n FROM jobs GROUP BY state) s"
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# CPU time (user + system, clock ticks) of the given processes and their children's threads.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
postgres_pids() { pgrep -P "$(head -1 "$state/pg/data/postmaster.pid")" | tr '\n' ' '; head -1 "$state/pg/data/postmaster.pid"; }

db=$("$root/scripts/pg.sh" up "$state/pg" --fsync on --port 55990)
echo "== PostgreSQL (fsync on, synchronous_commit on): raw single-row INSERT rate (pgbench, 5 s)"
psql "$db" -qc "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, v text)" >/dev/null
echo "INSERT INTO bench_rows (v) VALUES ('x');" >"$state/insert.sql"
for c in 1 "$connections"; do
  pgbench -n -f "$state/insert.sql" -c "$c" -j 2 -T 5 "$db" 2>/dev/null |
    awk -v c="$c" '/latency average/ {lat=$4} /^tps/ {tps=$3} END {printf "  %3d clients: %8.0f inserts/s, mean latency %s ms\n", c, tps, lat}'
done

"$build/broker" migrate --database-url "$db" >/dev/null
if [ -x "$build/bench/store_bench" ]; then
  echo "== the store alone (no HTTP, no Karmada): submissions/s with 64 in flight vs 64-connection INSERTs"
  BENCH_DATABASE_URL="$db" "$build/bench/store_bench" 2>/dev/null |
    awk '/^(store|single)/ {printf "  %-36s", $1; for (i = 2; i <= NF; ++i) if ($i ~ /=/) printf " %s", $i; print ""}'
  psql "$db" -qc "DELETE FROM jobs WHERE namespace = 'bench'; DROP TABLE IF EXISTS bench_store_rows" >/dev/null
fi
"$build/fedsim" --listen 127.0.0.1:0 --config "$root/bench/submit_fedsim.yaml" \
  --kubeconfig-out "$state/karmada.kubeconfig" >"$state/fedsim.log" 2>&1 &
pids+=($!)
wait_for_url "$state/fedsim.log" fedsim >/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$state/k.pem" 2>/dev/null
openssl ec -in "$state/k.pem" -pubout -out "$state/pub.pem" 2>/dev/null
ulimit -n 4096 2>/dev/null || true
"$build/broker" serve --address 127.0.0.1 --port 0 --karmada-kubeconfig "$state/karmada.kubeconfig" \
  --database-url "$db" --jwt-public-key "$state/pub.pem" --log-level warn \
  ${BROKER_ARGS:-} >"$state/broker.log" 2>&1 &
pids+=($!)
broker_pid=$!
url=$(wait_for_url "$state/broker.log" broker)
for _ in $(seq 1 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.1; done
export TOKEN=$("$build/broker" token --key "$state/k.pem" --user bench --ttl 3600)
echo "== broker RSS idle: $(rss_kib $broker_pid) KiB"

echo "== POST /api/v1/jobs, $connections connections, ${duration} s (wrk)"
fedsim_pid=${pids[0]}
jobs_before=$(psql "$db" -Atc "SELECT count(*) FROM jobs")
cpu_before=("$(cpu_ticks "$broker_pid")" "$(cpu_ticks "$fedsim_pid")" "$(cpu_ticks $(postgres_pids))")
wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$root/bench/submit_wrk.lua" \
  "$url/api/v1/jobs" | grep -E '^(requests|latency_ms|non2xx)' | sed 's/^/  /'
cpu_after=("$(cpu_ticks "$broker_pid")" "$(cpu_ticks "$fedsim_pid")" "$(cpu_ticks $(postgres_pids))")
jobs=$(psql "$db" -Atc "SELECT count(*) FROM jobs")
echo "  jobs recorded: $jobs ($(job_states))"
# Per job submitted during the run (PostgreSQL: its server processes, connection backends included;
# a backend that exited during the run is not counted).
awk -v n=$((jobs - jobs_before)) -v hz="$(getconf CLK_TCK)" \
  -v b=$((cpu_after[0] - cpu_before[0])) -v f=$((cpu_after[1] - cpu_before[1])) \
  -v p=$((cpu_after[2] - cpu_before[2])) 'BEGIN {
    if (n > 0) printf "  CPU per job: broker %.2f ms, fedsim %.2f ms, PostgreSQL %.2f ms\n",
      b * 1000 / hz / n, f * 1000 / hz / n, p * 1000 / hz / n }'
queued=$(psql "$db" -Atc "SELECT count(*) FROM jobs WHERE state = 'Queued'")
if [ "$queued" -gt 0 ]; then
  echo "  warning: $queued jobs were queued (fedsim's GPUs ran out): the rate mixes in the cheaper queued path"
fi
curl -s "$url/metrics" | awk '/^broker_store_commit_groups_total/ {g=$2} /^broker_store_grouped_writes_total/ {w=$2}
  END {if (g > 0) printf "  group commit: %d writes in %d transactions (%.1f per commit)\n", w, g, w / g}'
# The newest jobs become Running at the status loop's next pass (--status-interval, 1 s).
for _ in $(seq 1 100); do
  [ "$(psql "$db" -Atc "SELECT count(*) FROM jobs WHERE state = 'Submitting'")" = 0 ] && break
  sleep 0.1
done
echo "  jobs after the next status pass: $(job_states)"
echo "== broker RSS after the load: $(rss_kib $broker_pid) KiB"

python3 - "$url" "$broker_pid" <<'EOF'
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
pid = sys.argv[2]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
conns = []
for _ in range(1000):
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive: the connection stays open
    conns.append(s)
for s in conns:
    s.recv(4096)
time.sleep(0.5)
print(f"== broker RSS with 1,000 open keep-alive connections: {rss()} KiB")
for s in conns:
    s.close()
EOF
