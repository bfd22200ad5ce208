-- wrk script of tests/bench/gateway-load.sh: every request carries the next
-- token of a file (one per line), so the gateway's verified-token cache
-- never answers, and goes to tenant t<i mod tenants>.
--   wrk -t THREADS -s distinct-tokens.lua URL -- TOKENS_FILE TENANTS OFFSET THREADS
-- Thread k of n sends tokens OFFSET+k, OFFSET+k+n, ... (wrapping at the end
-- of the file).
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local tokens, i, stride, tenants = {}, 0, 1, 1
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  tenants = tonumber(args[2]) or 1
  stride = tonumber(args[4]) or 2
  i = (tonumber(args[3]) or 0) + (id - 1)
end

function request()
  local t = tokens[(i % #tokens) + 1]
  local tenant = i % tenants
  i = i + stride
  return wrk.format("GET", "/t/t" .. tenant .. "/chat", { ["Authorization"] = "Bearer " .. t })
end
