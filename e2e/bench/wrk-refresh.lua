-- wrk: POST /oauth/token with the refresh_token grant. Refresh tokens are single-use, so the script
-- keeps a queue: it starts with the tokens in WRK_REFRESH_TOKENS_FILE (one per connection), each
-- answer's new refresh token joins the queue and the next request spends the oldest one. A refused
-- request adds nothing; should the queue run dry, the thread stops (the harness fails on any non-2xx).
local queue, head, tail = {}, 1, 0

init = function()
  for line in io.lines(os.getenv("WRK_REFRESH_TOKENS_FILE")) do
    if #line > 0 then
      tail = tail + 1
      queue[tail] = line
    end
  end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local function refresh(token)
  return wrk.format("POST", "/oauth/token", headers, "grant_type=refresh_token&refresh_token=" .. token)
end

-- wrk calls request() once before it connects, to count pipelined requests in what it returns; that
-- call must not spend a token (its answer is never sent).
local verified = false

request = function()
  if not verified then
    verified = true
    return refresh(queue[head] or "none")
  end
  if head > tail then
    wrk.thread:stop()
    return refresh("none")
  end
  local token = queue[head]
  queue[head] = nil
  head = head + 1
  return refresh(token)
end

response = function(status, _, body)
  if status ~= 200 then return end
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end
