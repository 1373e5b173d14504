-- wrk script: cycle through the paths given after "--", print a JSON summary at the end.
-- Requests carry "Accept-Encoding: gzip" as browsers' do; WRK_ACCEPT_ENCODING overrides it ("" sends none).
local paths = {}
local n = 0
local encoding = os.getenv("WRK_ACCEPT_ENCODING") or "gzip"
if encoding ~= "" then
  wrk.headers["Accept-Encoding"] = encoding
end

function init(args)
  for _, p in ipairs(args) do
    paths[#paths + 1] = p
  end
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
