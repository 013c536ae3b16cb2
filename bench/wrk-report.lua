-- wrk `done` hook for bench/wrk.ts: one line of JSON after wrk's own report (times in microseconds).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SKIFF-BENCH-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
