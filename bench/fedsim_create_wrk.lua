-- wrk script for bench/fedsim_load.sh: POST one Pod per request (generateName, so every create
-- succeeds) through the cluster proxy into namespace "load" of member "load-1".
local body = [[{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"w-"},
"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"busybox:1.36",
"resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}]]

function request()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("requests=%d duration_s=%.2f rate_per_s=%.0f\n", summary.requests,
    secs, summary.requests / secs))
  io.write(string.format("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non2xx=%d errors connect=%d read=%d write=%d timeout=%d\n",
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
