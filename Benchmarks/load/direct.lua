-- wrk script: POSTs the file named by LOAD_BODY to LOAD_PATH, unchanged (for the mock upstream alone).
local body
local path = os.getenv("LOAD_PATH") or "/"
function init(args)
   local fh = assert(io.open(os.getenv("LOAD_BODY"), "rb"))
   body = fh:read("*a")
   fh:close()
end
function request()
   return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end
