-- wrk: POST /oauth/token with the refresh_token grant. Refresh tokens are single-use, so the script
-- keeps a queue of ready requests (wrk-queue.lua): it starts with one per token in
-- WRK_REFRESH_TOKENS_FILE (one per connection), and each answer's new refresh token is formatted into
-- a request when it arrives (it cannot exist earlier) and joins the queue. A refused request adds
-- nothing.
local queue = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-queue.lua")

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local function refresh(token)
  return wrk.format("POST", "/oauth/token", headers, "grant_type=refresh_token&refresh_token=" .. token)
end

init = function()
  for line in io.lines(os.getenv("WRK_REFRESH_TOKENS_FILE")) do
    if #line > 0 then queue.push(refresh(line)) end
  end
  queue.set_spent(refresh("none"))
end

response = function(status, _, body)
  if status ~= 200 then return end
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then queue.push(refresh(token)) end
end
