-- One wrk script for every benchmark request (bench/portal.py sets it up through the environment):
--   BENCH_METHOD        GET or POST (default GET)
--   BENCH_BODIES        file of form bodies, one per line, used in turn (each thread starts at
--                       its own offset); "__TOKEN__" in a body becomes a token unique to the request
--   BENCH_HEADERS       file of "Name: value" lines sent with every request (cookie, content type)
--   BENCH_ADDRESSES     file of client addresses sent in turn as X-Forwarded-For (the portal runs
--                       with LANTERN_TRUST_PROXY=true then), so one connection plays many clients
--   BENCH_COUNT         "1": count every response status (costs wrk some CPU, so only when needed)
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("wrk_common")

local method = os.getenv("BENCH_METHOD") or "GET"
local bodies, headers, addresses = nil, {}, nil
local next_body, next_address = 1, 1
sent = 0

function setup(thread)
  common.setup(thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  local path = os.getenv("BENCH_BODIES")
  if path then
    bodies = common.read_lines(path)
    next_body = ((thread_id or 1) * 7919) % #bodies + 1
  end
  path = os.getenv("BENCH_HEADERS")
  if path then
    for _, line in ipairs(common.read_lines(path)) do
      local name, value = string.match(line, "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
  end
  path = os.getenv("BENCH_ADDRESSES")
  if path then
    addresses = common.read_lines(path)
    next_address = ((thread_id or 1) * 104729) % #addresses + 1
  end
end

local function token()
  -- unique across threads (thread id) and within one (counter); random tail as a browser's
  return string.format("%04x%08x%08x%08x", thread_id or 0, sent, math.random(0, 0x7fffffff),
    math.random(0, 0x7fffffff))
end

function request()
  sent = sent + 1
  local body = nil
  if bodies then
    body = bodies[next_body]
    next_body = next_body % #bodies + 1
    if string.find(body, "__TOKEN__", 1, true) then
      body = string.gsub(body, "__TOKEN__", token())
    end
  end
  if addresses then
    headers["X-Forwarded-For"] = addresses[next_address]
    next_address = next_address % #addresses + 1
  end
  return wrk.format(method, nil, headers, body)
end

if os.getenv("BENCH_COUNT") == "1" then
  function response(status, response_headers, body)
    common.count(status)
  end
end

function done(summary, latency, requests)
  common.done(summary, latency, { "sent" })
end
