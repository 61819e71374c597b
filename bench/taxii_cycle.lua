-- wrk script for bench/taxii: GET the pages of a TAXII 2.1 collection, round-robin.
--
--   wrk -c C -d D -s bench/taxii_cycle.lua http://HOST:PORT -- URLFILE "Authorization: …"
--
-- URLFILE lists request paths, one a line (bench/taxii writes every page of the collection,
-- found by walking `next` once). Each wrk thread starts at its own offset in the list. Only for
-- servers whose `next` tokens can be replayed (stateless paging); see taxii_walk.lua otherwise.
--
-- done() prints one parseable line:
--   WRK requests=N duration_us=D bytes=B non2xx=E errors=X timeouts=T p50_us=… p95_us=…
--       p99_us=… max_us=…

local paths = {}
local pos = 1
local headers = {}
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
  local name, value = (args[2] or ""):match("^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
  headers["Accept"] = "application/taxii+json;version=2.1"
  local nthreads = math.max(counter - 1, 1)
  pos = (math.floor(((id or 1) - 1) * #paths / nthreads) % #paths) + 1
end

function request()
  local p = paths[pos]
  if not p then return wrk.format("GET") end  -- wrk's own probe before init()
  pos = pos + 1
  if pos > #paths then pos = 1 end
  return wrk.format("GET", p, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
      "WRK requests=%d duration_us=%d bytes=%d non2xx=%d errors=%d timeouts=%d " ..
      "p50_us=%d p95_us=%d p99_us=%d max_us=%d\n",
      summary.requests, summary.duration, summary.bytes, e.status,
      e.connect + e.read + e.write + e.timeout, e.timeout, latency:percentile(50),
      latency:percentile(95), latency:percentile(99), latency.max))
end
