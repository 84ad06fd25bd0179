-- wrk script: GET /healthz with an optional think time (LOAD_DELAY_MS): the floor of an HTTP request on this machine.
local delay_ms = tonumber(os.getenv("LOAD_DELAY_MS") or "0") or 0
function request() return wrk.format("GET", "/healthz") end
if delay_ms > 0 then function delay() return delay_ms end end
