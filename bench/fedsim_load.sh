#!/usr/bin/env bash
# fedsim loopback load run (not a test; prints figures). Starts fedsim with one large member
# (1,000 nodes), then
#   1. wrk: POST Pods through the cluster proxy from CONNECTIONS keep-alive connections for
#      DURATION seconds (creates/s, latency);
#   2. wrk: GET a cluster-proxy list of exactly 1,000 running pods from 4 connections for 5 s
#      (p50/p99 latency);
#   3. fedsim RSS at the end.
# Bounded: DURATION is capped at 60 s, every wait has a deadline, and everything it starts is
# stopped on exit.
#
#   bench/fedsim_load.sh [BUILD_DIR] [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
duration=${2:-10}
connections=${3:-32}
[ "$duration" -le 60 ] || { echo "DURATION is capped at 60 s" >&2; exit 2; }
for tool in wrk python3 curl; do
  command -v $tool >/dev/null || { echo "fedsim_load: $tool is required" >&2; exit 2; }
done
[ -x "$build/fedsim" ] || { echo "fedsim_load: no $build/fedsim" >&2; exit 2; }

state=$(mktemp -d /tmp/fedsim-load.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$state/federation.yaml" <<'YAML'
seed: 11
clusters:
  - name: load-1
    nodes: [{count: 1000, namePrefix: gpu, cpu: "64", memory: 512Gi, pods: 110, gpus: 8, gpuModel: A100}]
    workload: {startSeconds: 1, runSeconds: 3600}
YAML

"$build/fedsim" --listen 127.0.0.1:0 --config "$state/federation.yaml" >"$state/fedsim.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'fedsim listening on http://[0-9.:]*' "$state/fedsim.log" 2>/dev/null |
        awk '{print $NF}' | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "fedsim did not start:" >&2; cat "$state/fedsim.log" >&2; exit 1; }
proxy="$url/apis/cluster.karmada.io/v1alpha1/clusters/load-1/proxy"
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }
echo "== fedsim up ($url), RSS $(rss_mib) MiB"

for ns in load list; do
  curl -sf --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"metadata\":{\"name\":\"$ns\"}}" "$proxy/api/v1/namespaces" >/dev/null
done

echo "== POST pods via the cluster proxy, $connections connections, ${duration} s (wrk)"
wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$root/bench/fedsim_create_wrk.lua" \
  "$proxy/api/v1/namespaces/load/pods" | grep -E '^(requests|latency_ms|non2xx)' | sed 's/^/  /'

# Exactly 1,000 pods in "list", created over one keep-alive connection, then let them start.
timeout 120 python3 - "$proxy" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
body = json.dumps({"metadata": {"generateName": "l-", "labels": {"app": "list"}},
                   "spec": {"restartPolicy": "Never", "containers": [
                       {"name": "main", "image": "busybox:1.36",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}})
for _ in range(1000):
    c.request("POST", u.path + "/api/v1/namespaces/list/pods", body,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit(f"create failed: {r.status}")
PY
sleep 2  # startSeconds: 1 — the pods go Running, so the list carries full status
first=$(curl -sf --max-time 10 -o "$state/list.json" -w '%{time_total}' \
        "$proxy/api/v1/namespaces/list/pods")
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' \
        "$state/list.json")
first_ms=$(awk -v t="$first" 'BEGIN { printf "%.1f", t * 1000 }')
echo "== first cluster-proxy list of $count pods (nothing cached): $first_ms ms," \
  "$(wc -c <"$state/list.json") bytes (curl)"
echo "== GET cluster-proxy list of $count pods, 4 connections, 5 s (wrk)"
wrk -t1 -c4 -d5s --timeout 10s --latency "$proxy/api/v1/namespaces/list/pods" |
  grep -E '^\s+(50|90|99)%|Requests/sec|Non-2xx' | sed 's/^ */  /'
echo "== fedsim RSS at the end: $(rss_mib) MiB"
