-- Sends a token the server has not seen recently on every request, for the "new token every
-- request" runs of scripts/load-bench.sh: cycles through a file of distinct tokens (one a
-- line), more than any verified-token cache keeps, so every request misses it.
--
--   wrk -s bench/wrk/fresh-tokens.lua http://127.0.0.1:PORT/items -- TOKENS_FILE [START]
--
-- START (default 0) skips that many tokens first, so that a run continues where the
-- previous run against the same server stopped instead of replaying tokens it just cached.
-- The requests are formatted once, in init, so that the client's per-request cost stays as
-- low as with a fixed header.

local requests = {}
local index = 0

function init(args)
   local path = args[1]
   if not path then
      error("usage: wrk -s fresh-tokens.lua URL -- TOKENS_FILE [START]")
   end
   for token in io.lines(path) do
      requests[#requests + 1] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
   end
   if #requests == 0 then
      error("no tokens in " .. path)
   end
   index = (tonumber(args[2]) or 0) % #requests
end

function request()
   index = index % #requests + 1
   return requests[index]
end
