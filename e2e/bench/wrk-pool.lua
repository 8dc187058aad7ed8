-- A pool of pre-formatted requests, shared by the GET scripts (wrk-request.lua, wrk-pairs.lua).
-- Loaded with dofile; call the function it returns with the script's `format_one()`, which builds one
-- complete request string. init() formats WRK_POOL_SIZE (default 10,000) of them; request() only
-- hands the next one out, so building never happens on wrk's measured path (wrk-pool-check.lua checks
-- that request() allocates nothing).
return function(format_one)
  local size = tonumber(os.getenv("WRK_POOL_SIZE") or "10000")
  local cursor = 0

  -- Globals, so wrk-pool-check.lua (and `thread:get`) can read them.
  pool = {}
  pool_size = 0

  -- In init(), not at load time: wrk.init() has set the Host header by then. wrk's first request()
  -- call (it counts pipelined requests in the answer) also comes after init().
  init = function()
    math.randomseed(os.time())
    for i = 1, size do pool[i] = format_one() end
    pool_size = size
  end

  request = function()
    cursor = cursor % pool_size + 1
    return pool[cursor]
  end

  -- WRK_PAUSE_MS > 0: each connection waits that long after an answer before sending its next request
  -- (wrk calls delay() after every response). Two servers paced alike get about the same request rate
  -- with wrk far from its bound, so their CPU per request compares at equal load (the paced control).
  local pause = tonumber(os.getenv("WRK_PAUSE_MS") or "") or 0
  if pause > 0 then
    delay = function() return pause end
  end
end
