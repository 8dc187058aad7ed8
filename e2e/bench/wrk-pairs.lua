-- wrk request pool of (path, token) pairs that belong together: WRK_REQUESTS_FILE holds one
-- "<path>\t<token>" per line (a user's own order and that user's token, for collections whose rows
-- belong to owners, where a random id with a random token would be a 404). Formatted once, in init(),
-- into a pool of WRK_POOL_SIZE (default 10,000) request strings drawn at random from the file; request()
-- only hands the next one out (wrk-pool.lua; see wrk-request.lua for why).
local requests_file = os.getenv("WRK_REQUESTS_FILE") or ""

local pairs_read = {}
for line in io.lines(requests_file) do
  local path, token = line:match("^([^\t]+)\t(.+)$")
  if path then pairs_read[#pairs_read + 1] = { path, token } end
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-pool.lua")(function()
  local pair = pairs_read[math.random(1, #pairs_read)]
  return wrk.format("GET", pair[1], { ["Authorization"] = "Bearer " .. pair[2] })
end)
