-- wrk request pool of order writes: POST /v1/orders with a bearer token drawn from WRK_TOKENS_FILE, a
-- one-line order of one of WRK_PRODUCTS hot products, and an Idempotency-Key of its own
-- (WRK_KEY_PREFIX .. "-" .. n) on every request. All formatted in init() into a pool of WRK_POOL_SIZE
-- requests (wrk-pool.lua); request() only hands the next one out. The pool is sized by the harness
-- (writes.ts) to more requests than a run sends: every request is a distinct write, never a replay of
-- an earlier key (the harness checks the run sent fewer requests than the pool holds).
local tokens_file = os.getenv("WRK_TOKENS_FILE") or ""
local products = tonumber(os.getenv("WRK_PRODUCTS") or "100")
local key_prefix = os.getenv("WRK_KEY_PREFIX") or "bench"

local tokens = {}
for line in io.lines(tokens_file) do
  if #line > 0 then tokens[#tokens + 1] = line end
end

local n = 0
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-pool.lua")(function()
  n = n + 1
  local body = '{"lines":[{"productId":' .. math.random(1, products) .. ',"quantity":1}]}'
  return wrk.format("POST", "/v1/orders", {
    ["Authorization"] = "Bearer " .. tokens[math.random(1, #tokens)],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key_prefix .. "-" .. n,
  }, body)
end)
