-- Shared by the wrk scripts of bench/portal.py: thread ids, input files, form encoding, and one
-- machine-readable result line (BENCH_RESULT {json}) that the Python harness parses.
--
-- wrk runs each script once per thread (own Lua state) plus once in the main state for
-- setup()/done(); per-thread counters are globals read back with thread:get() in done().

local M = {}

local threads = {}

-- Give every thread a distinct id (used to make per-request tokens unique across threads).
function M.setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

-- Lines of a text file (the harness writes references, codes and tokens there).
function M.read_lines(path)
  local lines = {}
  local handle = assert(io.open(path, "r"), "cannot open " .. path)
  for line in handle:lines() do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  handle:close()
  return lines
end

-- Split "a\tb\tc" into {"a", "b", "c"}.
function M.fields(line)
  local out = {}
  for part in string.gmatch(line, "[^\t]+") do
    table.insert(out, part)
  end
  return out
end

-- application/x-www-form-urlencoded value.
function M.encode(value)
  return (string.gsub(value, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

-- Encode a list of {name, value} pairs as a form body (a list keeps repeated names and order).
function M.form(pairs_list)
  local parts = {}
  for _, pair in ipairs(pairs_list) do
    table.insert(parts, M.encode(pair[1]) .. "=" .. M.encode(pair[2]))
  end
  return table.concat(parts, "&")
end

-- Count a response status in this thread (only scripts that define response() pay for this).
statuses = {}
function M.count(status)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

local function json_value(value)
  if type(value) == "number" then
    if value == math.floor(value) then
      return string.format("%d", value)
    end
    return string.format("%.4f", value)
  elseif type(value) == "table" then
    local parts = {}
    for k, v in pairs(value) do
      table.insert(parts, string.format("%q:%s", tostring(k), json_value(v)))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return string.format("%q", tostring(value))
end

-- Print one line: requests, duration, latency percentiles (ms), errors and counted statuses.
-- `extra_names` lists per-thread globals (numbers or string lists) to sum or gather.
function M.done(summary, latency, extra_names)
  local counted, extras = {}, {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for k, v in pairs(s) do
        counted[k] = (counted[k] or 0) + v
      end
    end
    for _, name in ipairs(extra_names or {}) do
      local v = thread:get(name)
      if type(v) == "number" then
        extras[name] = (extras[name] or 0) + v
      elseif type(v) == "table" then
        extras[name] = extras[name] or {}
        for _, item in ipairs(v) do
          table.insert(extras[name], item)
        end
      end
    end
  end
  local result = {
    requests = summary.requests,
    duration_s = summary.duration / 1e6,
    p50_ms = latency:percentile(50) / 1000,
    p90_ms = latency:percentile(90) / 1000,
    p99_ms = latency:percentile(99) / 1000,
    max_ms = latency.max / 1000,
    connect_errors = summary.errors.connect,
    read_errors = summary.errors.read,
    write_errors = summary.errors.write,
    timeouts = summary.errors.timeout,
    non_2xx_3xx = summary.errors.status,
    statuses = counted,
  }
  for k, v in pairs(extras) do
    if type(v) == "table" then
      -- lists go to a file (they can be long); the harness reads it back
      local path = os.getenv("BENCH_OUT_" .. string.upper(k))
      if path then
        local handle = assert(io.open(path, "w"))
        for _, item in ipairs(v) do
          handle:write(item, "\n")
        end
        handle:close()
      end
      result[k .. "_count"] = #v
    else
      result[k] = v
    end
  end
  io.write("BENCH_RESULT ", json_value(result), "\n")
end

return M
