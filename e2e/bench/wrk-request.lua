-- wrk request pool: GET /v1/products/{id} (or a 100-item list page after {id}) with a random id and,
-- when WRK_TOKENS_FILE names a token file, a random bearer token from it. The requests are formatted
-- once, in init(), into a pool of WRK_POOL_SIZE (default 10,000) complete request strings; request()
-- only hands the next one out (wrk-pool.lua). Formatting per request (wrk.format builds a header table and joins
-- strings) cost wrk's single core enough that it, not the server, set the pace: against the bare
-- uWebSockets.js ceiling, 160,602 req/s formatted per request, 200,420 req/s pre-formatted.
-- 10,000 entries keep the server's caches exercised as by many distinct clients: ids over the whole
-- catalog, nearly every token of the pool. wrk-pool-check.lua checks that request() allocates nothing.
local kind = os.getenv("WRK_KIND") or "record"
local max_id = tonumber(os.getenv("WRK_MAX_ID") or "1")
local tokens_file = os.getenv("WRK_TOKENS_FILE") or ""

local tokens = {}
if tokens_file ~= "" then
  for line in io.lines(tokens_file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end

local function format_one()
  local id = math.random(1, max_id)
  local path
  if kind == "list" then
    path = "/v1/products?limit=100&after=" .. (id > 100 and id - 100 or 0)
  else
    path = "/v1/products/" .. id
  end
  local headers = {}
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[math.random(1, #tokens)] end
  return wrk.format("GET", path, headers)
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-pool.lua")(format_one)
