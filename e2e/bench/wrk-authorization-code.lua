-- wrk: POST /oauth/token with the authorization_code grant (a public client: client_id + PKCE
-- code_verifier). Codes are single-use, so each request spends the next code of WRK_CODES_FILE, a pool
-- prepared before the run (one per line); every request is formatted in init() and handed out by the
-- queue of wrk-queue.lua.
local queue = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-queue.lua")
pool_size = 0

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local function exchange(code)
  return wrk.format("POST", "/oauth/token", headers,
    "grant_type=authorization_code&client_id=" .. os.getenv("WRK_CLIENT_ID") ..
    "&redirect_uri=" .. os.getenv("WRK_REDIRECT_URI") ..
    "&code_verifier=" .. os.getenv("WRK_CODE_VERIFIER") .. "&code=" .. code)
end

init = function()
  for line in io.lines(os.getenv("WRK_CODES_FILE")) do
    if #line > 0 then queue.push(exchange(line)) end
  end
  pool_size = queue.size()
  queue.set_spent(exchange("none"))
end
