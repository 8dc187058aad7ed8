-- wrk request generator: a random product id (and a random bearer token from a pool) per request,
-- so caches on the server are exercised the way many distinct clients would exercise them.
local kind = os.getenv("WRK_KIND") or "record"
local max_id = tonumber(os.getenv("WRK_MAX_ID") or "1")
local tokens_file = os.getenv("WRK_TOKENS_FILE") or ""
local tokens = {}

if tokens_file ~= "" then
  for line in io.lines(tokens_file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end

math.randomseed(os.time())

request = function()
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
