#!/usr/bin/env bash
# The product on its embedded default: a private PostgreSQL, fedsim with three GPU clusters, and the
# broker. Submits the seed's example job, shows its placement and state, and prints what to try.
# Runs in the foreground until Ctrl-C; with --detach it leaves the processes running and prints how
# to stop them. DATABASE_URL, when set, replaces the private PostgreSQL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
detach=0
[ "${1:-}" = "--detach" ] && detach=1

bash scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-$root/build} bash scripts/build.sh >/dev/null
build=${BUILD_DIR:-$root/build}

state=$(mktemp -d /tmp/broker-demo.XXXXXX)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -z "${DEMO_EXTERNAL_DB:-}" ] && [ -d "$state/pg" ]; then scripts/pg.sh down "$state/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$state"
}
if [ $detach = 0 ]; then trap stop_all EXIT INT TERM; fi

# Waits (bounded) for a process to print its "listening on URL" line and echoes the URL.
wait_for_url() {
  local log=$1 what=$2
  for _ in $(seq 1 300); do
    url=$(grep -o "$what listening on [a-z]*://[0-9.:]*" "$log" 2>/dev/null | awk '{print $NF}' | head -1)
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.1
  done
  echo "$what did not start; its log:" >&2; cat "$log" >&2; return 1
}

if [ -z "${DATABASE_URL:-}" ]; then
  mkdir -p "$state/pg"
  DATABASE_URL=$(scripts/pg.sh up "$state/pg")
else
  DEMO_EXTERNAL_DB=1
fi
export DATABASE_URL

"$build/fedsim" --listen 127.0.0.1:0 --demo --time-scale 10 --kubeconfig-out "$state/karmada.kubeconfig" \
  >"$state/fedsim.log" 2>&1 &
pids+=($!)
fedsim_url=$(wait_for_url "$state/fedsim.log" fedsim)

openssl ecparam -name prime256v1 -genkey -noout -out "$state/jwt.key" 2>/dev/null
openssl ec -in "$state/jwt.key" -pubout -out "$state/jwt.pub" 2>/dev/null
"$build/broker" migrate --database-url "$DATABASE_URL" >/dev/null
"$build/broker" serve --port "${PORT:-0}" --karmada-kubeconfig "$state/karmada.kubeconfig" \
  --database-url "$DATABASE_URL" --jwt-public-key "$state/jwt.pub" \
  --cors-origin http://localhost:5173 >"$state/broker.log" 2>&1 &
pids+=($!)
broker_url=$(wait_for_url "$state/broker.log" broker)
token=$("$build/broker" token --key "$state/jwt.key" --user demo --role admin --ttl 86400)

echo "fedsim (Karmada API):  $fedsim_url   kubeconfig: $state/karmada.kubeconfig"
echo "broker:                $broker_url"
echo
echo "== member clusters"
curl -sf -H "Authorization: Bearer $token" "$broker_url/api/v1/proxy/clusters" | python3 -m json.tool
echo
echo "== submitting the seed example job (PyTorchJob, 4 replicas x 1 GPU, on cluster-1 or cluster-2)"
job=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -X POST "$broker_url/api/v1/jobs" -d @"$root/config/examples/seed-job.json")
echo "$job" | python3 -m json.tool
id=$(echo "$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 50); do
  st=$(curl -sf -H "Authorization: Bearer $token" "$broker_url/api/v1/jobs/$id/status" || true)
  case "$st" in *'"state":"Running"'*|*'"state":"Succeeded"'*|*'"state":"Failed"'*) break ;; esac
  sleep 0.2
done
echo
echo "== its status"
echo "$st" | python3 -m json.tool
cat <<EOT

Try:
  export TOKEN=$token
  curl -H "Authorization: Bearer \$TOKEN" $broker_url/api/v1/jobs
  curl -H "Authorization: Bearer \$TOKEN" $broker_url/api/v1/jobs/$id/status
  curl -H "Authorization: Bearer \$TOKEN" "$broker_url/api/v1/jobs/$id/logs?tailLines=20"
  curl -H "Authorization: Bearer \$TOKEN" "$broker_url/api/v1/proxy/resources?kind=pods"
  kubectl --kubeconfig $state/karmada.kubeconfig get clusters
  curl $broker_url/metrics
EOT
if [ $detach = 1 ]; then
  echo
  echo "running in the background; stop with: kill ${pids[*]}; scripts/pg.sh down $state/pg"
  exit 0
fi
echo
echo "Ctrl-C stops everything."
wait
