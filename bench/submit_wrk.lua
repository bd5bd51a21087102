-- wrk script for bench/submit_load.sh: POST /api/v1/jobs with a unique job name per request
-- (names are per thread and counter), a bearer token from the TOKEN environment variable.
local counter = 0
thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

local token = os.getenv("TOKEN") or ""
local template = [[{"name":"bench-%d-%d","namespace":"default","jobType":"pytorch",
"image":"pytorch/pytorch:2.0.0","command":"python train.py","replicas":1,"cpuRequest":"100m",
"memoryRequest":"128Mi","gpuRequest":1}]]

function request()
  counter = counter + 1
  local body = string.format(template, thread_id, counter)
  return wrk.format("POST", "/api/v1/jobs", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

local codes = {}
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d duration_s=%.2f rps=%.1f\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non2xx=%d errors connect=%d read=%d write=%d timeout=%d\n",
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
