-- wrk script: GET /v1/leads/<id>/score for ids LIVE-1 … LIVE-<LOAD_IDS>, picked at random, with an
-- optional per-connection think time (LOAD_DELAY_MS) so a fixed number of connections paces the rate.
local ids = tonumber(os.getenv("LOAD_IDS") or "1000") or 1000
local delay_ms = tonumber(os.getenv("LOAD_DELAY_MS") or "0") or 0
local prefix = os.getenv("LOAD_ID_PREFIX") or "LIVE-"
function init(args)
   math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end
function request()
   return wrk.format("GET", "/v1/leads/" .. prefix .. math.random(1, ids) .. "/score")
end
if delay_ms > 0 then
   function delay() return delay_ms end
end
