-- wrk: POST /oauth/token with the authorization_code grant (a public client: client_id + PKCE
-- code_verifier). Codes are single-use, so each request spends the next code of WRK_CODES_FILE, a pool
-- prepared before the run (one per line); every request is formatted in init() and request() hands out
-- the next one without building anything (wrk-pool-check.lua checks that). Should the pool run dry, the
-- thread stops (the harness fails on any non-2xx).
local queue, head, tail = {}, 1, 0
pool_size = 0

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local function exchange(code)
  return wrk.format("POST", "/oauth/token", headers,
    "grant_type=authorization_code&client_id=" .. os.getenv("WRK_CLIENT_ID") ..
    "&redirect_uri=" .. os.getenv("WRK_REDIRECT_URI") ..
    "&code_verifier=" .. os.getenv("WRK_CODE_VERIFIER") .. "&code=" .. code)
end

local spent

init = function()
  for line in io.lines(os.getenv("WRK_CODES_FILE")) do
    if #line > 0 then
      tail = tail + 1
      queue[tail] = exchange(line)
    end
  end
  pool_size = tail
  spent = exchange("none")
end

-- wrk calls request() once before it connects, to count pipelined requests in what it returns; that
-- call must not spend a code (its answer is never sent).
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
