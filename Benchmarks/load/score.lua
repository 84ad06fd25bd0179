-- wrk script for Benchmarks/load/run.sh: POSTs a JSON template with a fresh lead_id per request.
--
-- Environment:
--   LOAD_BODY      file holding the body template; __LEAD_ID__ is replaced per request (required;
--                  a body without __LEAD_ID__ is sent unchanged, so every request is the same lead)
--   LOAD_PATH      request path (default /v1/leads/score)
--   LOAD_DELAY_MS  per-connection think time in ms before each request (default 0 = none); wrk's
--                  latency figures exclude it, so a fixed number of connections paces the load
--   LOAD_OUT       file that done() writes its JSON summary to (optional)
--   LOAD_TARGET, LOAD_CONNS  copied into the summary (optional)

local path = os.getenv("LOAD_PATH") or "/v1/leads/score"
local delay_ms = tonumber(os.getenv("LOAD_DELAY_MS") or "0") or 0
local threads = {}
local prefix, suffix, fixed
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

function init(args)
   local name = os.getenv("LOAD_BODY")
   local fh = assert(io.open(name, "rb"), "LOAD_BODY must name a readable file")
   local template = fh:read("*a")
   fh:close()
   local at = template:find("__LEAD_ID__", 1, true)
   if at then
      prefix = template:sub(1, at - 1)
      suffix = template:sub(at + #"__LEAD_ID__")
      prefix = prefix .. "W" .. tostring(thread_id or 0) .. "-"
   else
      fixed = template
   end
end

function request()
   if fixed then return wrk.format("POST", path, headers, fixed) end
   counter = counter + 1
   return wrk.format("POST", path, headers, prefix .. counter .. suffix)
end

if delay_ms > 0 then
   function delay()
      return delay_ms
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   local fields = {
      string.format('"requests":%d', summary.requests),
      string.format('"duration_s":%.3f', seconds),
      string.format('"requests_per_s":%.1f', summary.requests / seconds),
      string.format('"bytes":%d', summary.bytes),
      string.format('"p50_us":%.1f', latency:percentile(50)),
      string.format('"p90_us":%.1f', latency:percentile(90)),
      string.format('"p99_us":%.1f', latency:percentile(99)),
      string.format('"p999_us":%.1f', latency:percentile(99.9)),
      string.format('"mean_us":%.1f', latency.mean),
      string.format('"max_us":%.1f', latency.max),
      string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
         e.connect, e.read, e.write, e.status, e.timeout),
      string.format('"errors_total":%d', e.connect + e.read + e.write + e.status + e.timeout),
      string.format('"delay_ms":%s', tostring(delay_ms)),
   }
   local target, conns = os.getenv("LOAD_TARGET"), os.getenv("LOAD_CONNS")
   if target and target ~= "" then table.insert(fields, '"target_per_s":' .. target) end
   if conns and conns ~= "" then table.insert(fields, '"connections":' .. conns) end
   local text = "{" .. table.concat(fields, ",") .. "}"
   local out = os.getenv("LOAD_OUT")
   if out and out ~= "" then
      local fh = assert(io.open(out, "w"))
      fh:write(text, "\n")
      fh:close()
   end
   io.write("summary ", text, "\n")
end
