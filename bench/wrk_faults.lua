-- wrk script for the fault runs (bench/faults.py): counts responses by status and prints a JSON summary.
--
--   wrk ... -s bench/wrk_faults.lua http://host -- TEMPLATE PATH...
--
-- One request in eight is a new patient: TEMPLATE with its two %d filled with an age (18-100) and a creatinine
-- clearance (5-150), so pages are built (and the cache is written and read) all through the run; the other
-- requests cycle through the PATHs, which are served from the cache.
wrk.headers["Accept-Encoding"] = "gzip" -- as browsers send

local threads = {}
local offset = 0

function setup(thread) -- each thread starts its patients elsewhere
  thread:set("start", offset)
  offset = offset + 7919
  threads[#threads + 1] = thread
end

local template
local paths = {}
local n = 0
statuses = {} -- a global, so that done() can read it from each thread

function init(args)
  template = args[1]
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  n = start or 0
end

function request()
  n = n + 1
  if n % 8 == 0 then
    local k = math.floor(n / 8)
    return wrk.format("GET", string.format(template, 18 + k % 83, 5 + math.floor(k / 83) % 146))
  end
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    parts[#parts + 1] = string.format('"%s": %d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "statuses": {%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, table.concat(parts, ", ")))
end
