-- wrk script for the traffic mode (bench/traffic.py): every request a different address.
--
--   wrk -tT ... -s bench/wrk_traffic.lua http://host -- FILE START T
--
-- FILE holds one path per line (made ahead of time by bench/traffic.py). Thread t of T sends lines
-- START+t, START+t+T, START+t+2T, ... so no address is sent twice in a run, by any thread or connection
-- (wrk calls request() once per request, for whichever of the thread's connections is free). bench/run.py
-- moves START past the lines used, so runs that follow send new addresses too. If a run needs more lines
-- than the file holds it wraps around, and the summary's "wrapped" says so.
-- Requests carry "Accept-Encoding: gzip" as browsers' do; WRK_ACCEPT_ENCODING overrides it ("" sends none).
local encoding = os.getenv("WRK_ACCEPT_ENCODING") or "gzip"
if encoding ~= "" then
  wrk.headers["Accept-Encoding"] = encoding
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local lines = {}
local position = 0
local step = 1
wrapped = 0 -- a global, so that done() can read it from each thread

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in file:lines() do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  file:close()
  step = tonumber(args[3]) or 1
  position = (tonumber(args[2]) or 0) + (tid or 0)
end

function request()
  if position >= #lines then
    position = position % #lines
    wrapped = 1
  end
  local path = lines[position + 1]
  position = position + step
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  local any_wrapped = 0
  for _, thread in ipairs(threads) do
    if thread:get("wrapped") == 1 then
      any_wrapped = 1
    end
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "wrapped": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    any_wrapped))
end
