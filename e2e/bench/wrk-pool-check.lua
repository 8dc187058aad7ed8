-- Checks that a wrk request script hands out pre-built requests: run as
-- `WRK_CHECK_SCRIPT=<script> wrk -s wrk-pool-check.lua http://127.0.0.1:9/` (plus the script's own
-- environment). It loads the script and calls wrk.init() the way each wrk thread does, then calls
-- request() WRK_CHECK_CALLS times with the garbage collector stopped and prints how many bytes those
-- calls allocated. Handing out a string that already exists allocates nothing; building one (wrk.format,
-- `..`, string.format, a header table) allocates every time. Exits before wrk connects anywhere.
if jit then jit.off() end -- the interpreter: no trace objects counted as allocations

dofile(os.getenv("WRK_CHECK_SCRIPT"))
wrk.init({})
local produce = request or wrk.request
local calls = tonumber(os.getenv("WRK_CHECK_CALLS") or "10000")
produce() -- wrk's own first call, which checks that the request parses

local results = {}
for i = 1, calls do results[i] = false end -- slots exist before the measured loop

collectgarbage("collect")
collectgarbage("stop")
local before = collectgarbage("count")
for i = 1, calls do results[i] = produce() end
local allocated = (collectgarbage("count") - before) * 1024
collectgarbage("restart")

local seen, distinct, malformed = {}, 0, 0
for i = 1, calls do
  local r = results[i]
  if type(r) ~= "string" or not r:match("^%u+ /%S* HTTP/1%.1\r\n") or not r:find("\r\nHost: ", 1, true)
      or not r:find("\r\n\r\n", 1, true) then
    malformed = malformed + 1
  elseif not seen[r] then
    seen[r] = true
    distinct = distinct + 1
  end
end
local authorized = type(results[1]) == "string" and results[1]:find("\r\nAuthorization: Bearer ", 1, true) ~= nil

io.write(string.format(
  '{"calls":%d,"allocatedBytes":%d,"distinct":%d,"malformed":%d,"poolSize":%d,"authorized":%s}\n',
  calls, allocated, distinct, malformed, pool_size or 0, tostring(authorized)))
os.exit(0)
