-- Sends a new DPoP proof on every request, for scripts/dpop-bench.sh: reads a file of lines
-- `TOKEN PROOF` (auth-bench dpop-requests), one bound token and a distinct proof each, and
-- sends each line once as `Authorization: DPoP TOKEN` and `DPoP: PROOF`. A proof is good once:
-- when the file runs out, requests repeat and the server refuses them (the script fails the
-- run on any non-2xx answer).
--
--   wrk -s bench/wrk/dpop-requests.lua http://127.0.0.1:PORT/items -- REQUESTS_FILE
--
-- The requests are formatted once, in init, so that the client's per-request cost stays as
-- low as with a fixed header.

local requests = {}
local index = 0

function init(args)
   local path = args[1]
   if not path then
      error("usage: wrk -s dpop-requests.lua URL -- REQUESTS_FILE")
   end
   for line in io.lines(path) do
      local token, proof = line:match("^(%S+) (%S+)$")
      if token then
         requests[#requests + 1] = wrk.format(nil, nil, {
            ["Authorization"] = "DPoP " .. token,
            ["DPoP"] = proof,
         })
      end
   end
   if #requests == 0 then
      error("no requests in " .. path)
   end
end

function request()
   index = index % #requests + 1
   return requests[index]
end
