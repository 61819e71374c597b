-- wrk script for bench/taxii: walk a TAXII 2.1 collection page by page, again and again.
--
--   wrk -c C -d D -s bench/taxii_walk.lua http://HOST:PORT -- FIRSTPATH "Authorization: …"
--
-- Each connection requests FIRSTPATH (e.g. /api1/collections/ID/objects/?limit=1000), then
-- FIRSTPATH&next=<token> with the token of each response until "more" is false, then starts
-- over. For servers whose `next` tokens are single-use server-side cursors (medallion), where a
-- replayed URL list cannot work; the page mix is the same as cycling through one full walk.
--
-- done() prints one parseable line:
--   WRK requests=N duration_us=D bytes=B non2xx=E errors=X timeouts=T p50_us=… p95_us=…
--       p99_us=… max_us=… walks=W
-- walks = walks completed (a response with "more" false or no token).

local first
local headers = {}
local pending = {}
local threads = {}
walks = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  first = args[1]
  local name, value = (args[2] or ""):match("^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
  headers["Accept"] = "application/taxii+json;version=2.1"
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if not first then return wrk.format("GET") end  -- wrk's own probe before init()
  -- wrk writes a connection's next request right after that connection's response() ran, so
  -- the token just pushed is the one this connection continues with.
  local token = table.remove(pending)
  if token then
    local sep = first:find("?", 1, true) and "&" or "?"
    return wrk.format("GET", first .. sep .. "next=" .. urlencode(token), headers)
  end
  return wrk.format("GET", first, headers)
end

function response(status, hdrs, body)
  if status ~= 200 then return end
  -- Both servers write "more" and "next" before "objects"; look there first, so as not to scan
  -- a megabyte of objects per page on the client.
  local head = body:sub(1, 1024)
  local more = head:match('"more"%s*:%s*(%a+)') or body:match('"more"%s*:%s*(%a+)')
  local token = head:match('"next"%s*:%s*"([^"]*)"')
  if not token and more == "true" then token = body:match('"next"%s*:%s*"([^"]*)"') end
  if more == "true" and token and #token > 0 then
    table.insert(pending, token)
  else
    walks = walks + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("walks") or 0) end
  io.write(string.format(
      "WRK requests=%d duration_us=%d bytes=%d non2xx=%d errors=%d timeouts=%d " ..
      "p50_us=%d p95_us=%d p99_us=%d max_us=%d walks=%d\n",
      summary.requests, summary.duration, summary.bytes, e.status,
      e.connect + e.read + e.write + e.timeout, e.timeout, latency:percentile(50),
      latency:percentile(95), latency:percentile(99), latency.max, total))
end
