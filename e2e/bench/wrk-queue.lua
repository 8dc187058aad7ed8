-- A queue of single-use, pre-formatted requests, shared by the grant scripts whose credentials can be
-- spent once (refresh tokens, authorization codes). Loaded with dofile by those scripts; it defines
-- request() and returns the push function the script fills it with.
--
-- request() hands out the oldest ready request without building anything (wrk-pool-check.lua checks
-- that). Should the queue run dry, the thread stops and the request sent with it is `spent`, which the
-- server refuses: the harness fails on any non-2xx.
local queue, head, tail = {}, 1, 0
local spent

local function push(ready)
  tail = tail + 1
  queue[tail] = ready
end

local function size()
  return tail - head + 1
end

-- The request sent if the queue ran dry (a credential that does not exist).
local function set_spent(request)
  spent = request
end

-- wrk calls request() once before it connects, to count pipelined requests in what it returns; that
-- call must not spend a credential (its answer is never sent).
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

return { push = push, size = size, set_spent = set_spent }
