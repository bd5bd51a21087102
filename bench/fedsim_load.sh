#!/usr/bin/env bash
# fedsim loopback load run (not a test; prints figures). Starts fedsim with one large member
# (1,000 nodes), then
#   1. wrk: POST Pods through the cluster proxy from CONNECTIONS keep-alive connections for
#      DURATION seconds (creates/s, latency);
#   2. wrk: GET a cluster-proxy list of exactly 1,000 running pods from 4 connections for 5 s
#      (p50/p99 latency);
#   3. fedsim RSS at the end;
#   4. jobs: a second fedsim with bench/submit_fedsim.yaml (three 700-node GPU clusters, as the
#      broker's load test uses) takes what the broker creates per job — a PropagationPolicy, a
#      PVC and a 1-GPU PyTorchJob — from CONNECTIONS connections for DURATION seconds (wrk);
#      prints jobs/s, fedsim CPU per job, and how long the controllers need afterwards until
#      every job has its pod in a member.
# PHASES (default "pods,list,jobs") picks what runs.
# Bounded: DURATION is capped at 60 s, every wait has a deadline, and everything it starts is
# stopped on exit.
#
#   bench/fedsim_load.sh [BUILD_DIR] [DURATION_SECONDS] [CONNECTIONS] [PHASES]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
duration=${2:-10}
connections=${3:-32}
phases=${4:-pods,list,jobs}
[ "$duration" -le 60 ] || { echo "DURATION is capped at 60 s" >&2; exit 2; }
for tool in wrk python3 curl; do
  command -v $tool >/dev/null || { echo "fedsim_load: $tool is required" >&2; exit 2; }
done
[ -x "$build/fedsim" ] || { echo "fedsim_load: no $build/fedsim" >&2; exit 2; }

state=$(mktemp -d /tmp/fedsim-load.XXXXXX)
pid=""
stop_fedsim() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
cleanup() {
  stop_fedsim
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_fedsim CONFIG: starts fedsim in the background and sets pid and url.
start_fedsim() {
  : >"$state/fedsim.log"
  "$build/fedsim" --listen 127.0.0.1:0 --config "$1" >"$state/fedsim.log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o 'fedsim listening on http://[0-9.:]*' "$state/fedsim.log" 2>/dev/null |
          awk '{print $NF}' | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "fedsim did not start:" >&2; cat "$state/fedsim.log" >&2; exit 1; }
}
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }
# CPU time (user + system) fedsim used so far, in milliseconds.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1000 / hz}' "/proc/$pid/stat"; }
has_phase() { [[ ",$phases," == *",$1,"* ]]; }

if has_phase pods || has_phase list; then
cat >"$state/federation.yaml" <<'YAML'
seed: 11
clusters:
  - name: load-1
    nodes: [{count: 1000, namePrefix: gpu, cpu: "64", memory: 512Gi, pods: 110, gpus: 8, gpuModel: A100}]
    workload: {startSeconds: 1, runSeconds: 3600}
YAML
start_fedsim "$state/federation.yaml"
proxy="$url/apis/cluster.karmada.io/v1alpha1/clusters/load-1/proxy"
echo "== fedsim up ($url), RSS $(rss_mib) MiB"

for ns in load list; do
  curl -sf --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"metadata\":{\"name\":\"$ns\"}}" "$proxy/api/v1/namespaces" >/dev/null
done
fi

if has_phase pods; then
echo "== POST pods via the cluster proxy, $connections connections, ${duration} s (wrk)"
cpu0=$(cpu_ms)
wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$root/bench/fedsim_create_wrk.lua" \
  "$proxy/api/v1/namespaces/load/pods" | grep -E '^(requests|latency_ms|non2xx)' | sed 's/^/  /'
echo "  fedsim CPU during the run: $(( $(cpu_ms) - cpu0 )) ms"
fi

if has_phase list; then
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
echo "== first cluster-proxy list of $count pods after they changed: $first_ms ms," \
  "$(wc -c <"$state/list.json") bytes (curl)"
echo "== GET cluster-proxy list of $count pods, 4 connections, 5 s (wrk)"
wrk -t1 -c4 -d5s --timeout 10s --latency "$proxy/api/v1/namespaces/list/pods" |
  grep -E '^\s+(50|90|99)%|Requests/sec|Non-2xx' | sed 's/^ */  /'
fi

if has_phase pods || has_phase list; then
echo "== fedsim RSS at the end: $(rss_mib) MiB"
stop_fedsim
fi

if has_phase jobs; then
start_fedsim "$root/bench/submit_fedsim.yaml"
echo "== jobs: fedsim up with bench/submit_fedsim.yaml ($url), RSS $(rss_mib) MiB"
# Per job, in the broker's order: PropagationPolicy, PVC, PyTorchJob (1 replica, 1 GPU), pinned
# round-robin to one of the three clusters as the broker's solver would.
cat >"$state/jobs.lua" <<'LUA'
local counter = 0
local step = 0
local threads = {}
thread_id = 0
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
local policy = [[{"apiVersion":"policy.karmada.io/v1alpha1","kind":"PropagationPolicy",
"metadata":{"name":"%s-propagation","labels":{"broker.gpufed.io/job-id":"%s"}},
"spec":{"placement":{"clusterAffinity":{"clusterNames":["cluster-%d"]}},"resourceSelectors":[
{"apiVersion":"v1","kind":"PersistentVolumeClaim","name":"%s-data"},
{"apiVersion":"kubeflow.org/v1","kind":"PyTorchJob","name":"%s"}]}}]]
local pvc = [[{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"%s-data",
"labels":{"broker.gpufed.io/job-id":"%s"}},"spec":{"accessModes":["ReadWriteOnce"],
"resources":{"requests":{"storage":"10Gi"}}}}]]
local job = [[{"apiVersion":"kubeflow.org/v1","kind":"PyTorchJob","metadata":{"name":"%s",
"labels":{"broker.gpufed.io/job-id":"%s"}},"spec":{"nprocPerNode":"1","pytorchReplicaSpecs":{
"Master":{"replicas":1,"restartPolicy":"OnFailure","template":{"metadata":{"labels":{
"broker.gpufed.io/job-id":"%s"}},"spec":{"containers":[{"name":"pytorch",
"image":"pytorch/pytorch:2.0.0","command":["/bin/sh","-c","python train.py"],
"resources":{"requests":{"cpu":"100m","memory":"128Mi","nvidia.com/gpu":"1"},
"limits":{"cpu":"100m","memory":"128Mi","nvidia.com/gpu":"1"}},
"volumeMounts":[{"name":"data","mountPath":"/data"}]}],
"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"%s-data"}}]}}}}}}]]
local headers = {["Content-Type"] = "application/json"}
function request()
  if step == 0 then counter = counter + 1 end
  local name = string.format("bench-%d-%d", thread_id, counter)
  local s = step
  step = (step + 1) % 3
  if s == 0 then
    return wrk.format("POST", "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies",
      headers, string.format(policy, name, name, counter % 3 + 1, name, name))
  elseif s == 1 then
    return wrk.format("POST", "/api/v1/namespaces/default/persistentvolumeclaims", headers,
      string.format(pvc, name, name))
  end
  return wrk.format("POST", "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs", headers,
    string.format(job, name, name, name, name))
end
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("creates=%d duration_s=%.2f creates_per_s=%.0f jobs_per_s=%.0f\n",
    summary.requests, secs, summary.requests / secs, summary.requests / 3 / secs))
  io.write(string.format("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non2xx=%d errors connect=%d read=%d write=%d timeout=%d\n",
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
LUA
echo "== POST PropagationPolicy + PVC + PyTorchJob per job, $connections connections, ${duration} s (wrk)"
cpu0=$(cpu_ms)
wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$state/jobs.lua" "$url" \
  >"$state/jobs.out"
cpu1=$(cpu_ms)
grep -E '^(creates|latency_ms|non2xx)' "$state/jobs.out" | sed 's/^/  /'
# The controllers may still be catching up: wait (at most 60 s) until every PyTorchJob has its
# pod in a member and nothing changes any more.
timeout 70 python3 - "$url" <<'PY'
import json, sys, time, urllib.request
url = sys.argv[1]
def stats():
    return json.load(urllib.request.urlopen(url + "/fedsim/v1/stats", timeout=10))
start = time.time()
def names(path):
    d = json.load(urllib.request.urlopen(url + path, timeout=30))
    return {i["metadata"]["name"] for i in d["items"]}
# wrk stops mid-job: count only the jobs whose policy was created too.
policies = names("/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies")
jobs = len({n for n in names("/apis/kubeflow.org/v1/namespaces/default/pytorchjobs")
            if n + "-propagation" in policies})
last, stable = None, 0
while time.time() - start < 60:
    s = stats()
    pods = sum(c.get("pods", 0) for c in s["clusters"].values())
    rv = s["controlPlane"]["resourceVersion"] + sum(c["resourceVersion"] for c in s["clusters"].values())
    if pods >= jobs and rv == last:
        stable += 1
        if stable >= 2:
            break
    else:
        stable = 0
    last = rv
    time.sleep(0.1)
print(f"  {jobs} complete jobs; member pods {pods}; settled {time.time() - start:.1f} s after the load")
PY
cpu2=$(cpu_ms)
jobs=$(awk -F'[= ]' '/^creates=/ {print int($2 / 3)}' "$state/jobs.out")
echo "  fedsim CPU: $((cpu1 - cpu0)) ms during the load, $((cpu2 - cpu1)) ms after it;" \
  "$(awk -v c=$((cpu2 - cpu0)) -v j="$jobs" 'BEGIN { if (j > 0) printf "%.3f", c / j; else print "n/a" }') ms per job"
echo "== fedsim RSS after the jobs: $(rss_mib) MiB"
stop_fedsim
fi
