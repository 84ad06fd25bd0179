-- wrk script: POST /v1/leads/EV-<n>/events, one event per request, to leads picked at random among
-- LOAD_IDS (default 1000). Event ids are unique per thread and request, so every event is stored and
-- folded (none is a duplicate); types rotate through page views, email clicks, call transcript
-- segments and pre-approvals.
--   LOAD_IDS, LOAD_DELAY_MS (per-connection think time), LOAD_ID_PREFIX (default EV-)
local ids = tonumber(os.getenv("LOAD_IDS") or "1000") or 1000
local delay_ms = tonumber(os.getenv("LOAD_DELAY_MS") or "0") or 0
local prefix = os.getenv("LOAD_ID_PREFIX") or "EV-"
local threads = {}
local counter = 0
local headers = { ["Content-Type"] = "application/json" }
local bodies = {
   '{"event_id":"%s","type":"page_view","properties":{"page":"pricing"}}',
   '{"event_id":"%s","type":"email_click"}',
   '{"event_id":"%s","type":"call_transcript","properties":{"text":"We love the area and we are ready to see it this week, but the price worries me a bit."}}',
   '{"event_id":"%s","type":"page_view","properties":{"page":"listing"}}',
   '{"event_id":"%s","type":"preapproval","properties":{"approved":true}}',
}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

function init(args)
   math.randomseed(os.time() + (thread_id or 0) * 7919)
end

function request()
   counter = counter + 1
   local id = string.format("w%d-%d-%d", thread_id or 0, os.time(), counter)
   local body = string.format(bodies[(counter % #bodies) + 1], id)
   return wrk.format("POST", "/v1/leads/" .. prefix .. math.random(1, ids) .. "/events", headers, body)
end

if delay_ms > 0 then
   function delay() return delay_ms end
end
