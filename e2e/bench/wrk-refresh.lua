-- wrk: POST /oauth/token with the refresh_token grant. Refresh tokens are single-use, so the script
-- keeps a queue of ready requests: it starts with one per token in WRK_REFRESH_TOKENS_FILE (one per
-- connection), each answer's new refresh token is formatted into a request when it arrives (it cannot
-- exist earlier) and joins the queue, and request() hands out the oldest one without building anything
-- (wrk-pool-check.lua checks that). A refused request adds nothing; should the queue run dry, the
-- thread stops (the harness fails on any non-2xx).
local queue, head, tail = {}, 1, 0

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local function refresh(token)
  return wrk.format("POST", "/oauth/token", headers, "grant_type=refresh_token&refresh_token=" .. token)
end
local function enqueue(token)
  tail = tail + 1
  queue[tail] = refresh(token)
end

-- Sent only if the queue ran dry, as the thread stops; answered 400, which fails the run.
local spent

init = function()
  for line in io.lines(os.getenv("WRK_REFRESH_TOKENS_FILE")) do
    if #line > 0 then enqueue(line) end
  end
  spent = refresh("none")
end

-- wrk calls request() once before it connects, to count pipelined requests in what it returns; that
-- call must not spend a token (its answer is never sent).
local verified = false

request = function()
  if not verified then
    verified = true
    return queue[head] or spent
  end
  if head > tail then
    wrk.thread:stop()
    return spent
  end
  local ready = queue[head]
  queue[head] = nil
  head = head + 1
  return ready
end

response = function(status, _, body)
  if status ~= 200 then return end
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then enqueue(token) end
end
