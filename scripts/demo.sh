#!/usr/bin/env bash
# The product on its embedded default: a private PostgreSQL, fedsim with three GPU clusters, and the
# broker. Submits the seed's example job, follows it until it runs, and prints what to try.
#
#   scripts/demo.sh             runs in the foreground until Ctrl-C, then stops everything
#   scripts/demo.sh --detach    leaves the processes running and prints how to stop them
#
# DATABASE_URL, when set, replaces the private PostgreSQL. BUILD_DIR (default build/), PORT
# (default: any free port) and DEMO_SKIP_BUILD=1 (use the binaries already in BUILD_DIR) are
# honoured. Whatever happens, the foreground mode leaves no process
# running, and the detached mode leaves exactly the ones it lists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
detach=0
case "${1:-}" in
  --detach) detach=1 ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--detach]" >&2; exit 2 ;;
esac

# Sourced for its function (run as a script it exits 1 when no option is given).
# shellcheck source=deps.sh
. scripts/deps.sh
install_missing "${BROKER_PACKAGES[@]}"
build=${BUILD_DIR:-$root/build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
if [ "${DEMO_SKIP_BUILD:-0}" = 1 ] && [ -x "$build/broker" ] && [ -x "$build/fedsim" ]; then
  echo "using the existing $build/broker and $build/fedsim (DEMO_SKIP_BUILD=1)"
else
  echo "building broker and fedsim in $build (the first run takes a while) ..."
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" >/dev/null
  cmake --build "$build" -j "${BUILD_JOBS:-$(nproc)}" --target broker fedsim >/dev/null
fi

state=$(mktemp -d /tmp/broker-demo.XXXXXX)
# Traversable (not listable) by others: as root, PostgreSQL runs as `postgres` below it.
chmod 711 "$state"
pids=()
external_db=0
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Bounded: SIGTERM, up to 10 s of draining, then SIGKILL.
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ $external_db = 0 ] && [ -d "$state/pg" ]; then scripts/pg.sh down "$state/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$state"
}
# Until the demo is up, any failure (or Ctrl-C) cleans up, in both modes.
trap stop_all EXIT
trap 'exit 130' INT TERM

# Starts a program in its own session (so the terminal's Ctrl-C reaches only this script, which
# then stops it in order) with its output in a log file; records its pid.
start_bg() {
  local log=$1; shift
  setsid "$@" </dev/null >"$log" 2>&1 &
  pids+=($!)
}

# Waits (bounded) for a process to print its "listening on URL" line and echoes the URL.
wait_for_url() {
  local log=$1 what=$2 pid=$3
  for _ in $(seq 1 300); do
    url=$(grep -o "$what listening on [a-z]*://[0-9.:]*" "$log" 2>/dev/null | awk '{print $NF}' | head -1 || true)
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$what did not start; its log:" >&2; cat "$log" >&2; return 1
}

if [ -z "${DATABASE_URL:-}" ]; then
  mkdir -p "$state/pg"
  DATABASE_URL=$(scripts/pg.sh up "$state/pg")
else
  external_db=1
fi
export DATABASE_URL

start_bg "$state/fedsim.log" "$build/fedsim" --listen 127.0.0.1:0 --demo --time-scale 10 \
  --kubeconfig-out "$state/karmada.kubeconfig"
fedsim_url=$(wait_for_url "$state/fedsim.log" fedsim "${pids[-1]}")

openssl ecparam -name prime256v1 -genkey -noout -out "$state/jwt.key" 2>/dev/null
openssl ec -in "$state/jwt.key" -pubout -out "$state/jwt.pub" 2>/dev/null
"$build/broker" migrate --database-url "$DATABASE_URL" >/dev/null
start_bg "$state/broker.log" "$build/broker" serve --address 127.0.0.1 --port "${PORT:-0}" \
  --karmada-kubeconfig "$state/karmada.kubeconfig" --database-url "$DATABASE_URL" \
  --jwt-public-key "$state/jwt.pub" --cors-origin http://localhost:5173
broker_url=$(wait_for_url "$state/broker.log" broker "${pids[-1]}")
token=$("$build/broker" token --key "$state/jwt.key" --user demo --role admin --ttl 86400)
auth=(-H "Authorization: Bearer $token")

pretty() { python3 -m json.tool 2>/dev/null || cat; }

echo "fedsim (Karmada API):  $fedsim_url   kubeconfig: $state/karmada.kubeconfig"
echo "broker:                $broker_url"
echo
# The member list fills in once the broker has listed Karmada's clusters.
for _ in $(seq 1 100); do
  curl -sf "$broker_url/readyz" >/dev/null && break
  sleep 0.1
done
echo "== member clusters"
curl -sf "${auth[@]}" "$broker_url/api/v1/proxy/clusters" | pretty
echo
echo "== submitting the seed's example job (PyTorchJob, 4 replicas x 1 GPU, on cluster-1 or cluster-2)"
job=$(curl -sS "${auth[@]}" -H 'Content-Type: application/json' -X POST "$broker_url/api/v1/jobs" \
  -d @"$root/config/examples/seed-job.json")
echo "$job" | pretty
id=$(echo "$job" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id", ""))' 2>/dev/null || true)
if [ -z "$id" ]; then
  echo "the submission failed; broker log:" >&2; cat "$state/broker.log" >&2; exit 1
fi
st=
for _ in $(seq 1 150); do
  st=$(curl -sf "${auth[@]}" "$broker_url/api/v1/jobs/$id/status" || true)
  state_now=$(echo "$st" | python3 -c '
import json, sys
d = json.load(sys.stdin)
parts = [c.get("state") for c in d.get("clusters", [])]
print(d.get("state", "") + ("/" + ",".join(parts) if parts else ""))' 2>/dev/null || true)
  case "$state_now" in Running/Running*|Succeeded*|Failed*|Cancelled*) break ;; esac
  sleep 0.2
done
echo
echo "== its status"
echo "$st" | pretty
echo
echo "== the last log line of each pod"
curl -sf "${auth[@]}" "$broker_url/api/v1/jobs/$id/logs?tailLines=1" || true
cat <<EOT

Try:
  export TOKEN=$token
  curl -H "Authorization: Bearer \$TOKEN" $broker_url/api/v1/jobs
  curl -H "Authorization: Bearer \$TOKEN" $broker_url/api/v1/jobs/$id/status
  curl -H "Authorization: Bearer \$TOKEN" $broker_url/api/v1/jobs/$id/events
  curl -H "Authorization: Bearer \$TOKEN" "$broker_url/api/v1/jobs/$id/logs?tailLines=20"
  curl -N -H "Authorization: Bearer \$TOKEN" "$broker_url/api/v1/jobs/$id/logs?follow=true"
  curl -H "Authorization: Bearer \$TOKEN" -X DELETE $broker_url/api/v1/jobs/$id
  kubectl --kubeconfig $state/karmada.kubeconfig get clusters
  curl $broker_url/metrics
  curl $broker_url/openapi.json
EOT
if [ $detach = 1 ]; then
  trap - EXIT INT TERM
  stop_cmd="kill ${pids[*]}"
  [ $external_db = 0 ] && stop_cmd="$stop_cmd; sleep 1; $root/scripts/pg.sh down $state/pg"
  stop_cmd="$stop_cmd; rm -rf $state"
  echo
  echo "running in the background (pids ${pids[*]}); stop everything with:"
  echo "  $stop_cmd"
  exit 0
fi
echo
echo "Ctrl-C stops everything."
trap stop_all EXIT
trap 'exit 0' INT TERM
# Returns when Ctrl-C arrives (the trap runs stop_all on exit) or when a child dies.
while kill -0 "${pids[@]}" 2>/dev/null; do sleep 1; done
echo "a demo process exited unexpectedly; see its log:" >&2
tail -n 20 "$state"/*.log >&2 || true
exit 1
