-- test/bench/mix.lua: wrk over a mix of signed-in pages for the worker-memory run of pages.sh.
-- The environment names them: MIX_PATHS (space-separated; a path may repeat, to weigh it),
-- MIX_COOKIE (the session's Cookie header) and MIX_REQUESTS (each of wrk's threads stops after
-- its share, MIX_REQUESTS / MIX_THREADS).
local paths = {}
for path in string.gmatch(os.getenv("MIX_PATHS") or "/", "%S+") do
	paths[#paths + 1] = path
end
local cookie = os.getenv("MIX_COOKIE") or ""
local share = math.floor(tonumber(os.getenv("MIX_REQUESTS") or "0") / tonumber(os.getenv("MIX_THREADS") or "1"))
local sent, answered = 0, 0

function request()
	sent = sent + 1
	return wrk.format("GET", paths[(sent % #paths) + 1], {["Cookie"] = cookie})
end

function response(status, headers, body)
	answered = answered + 1
	if share > 0 and answered >= share then
		wrk.thread:stop()
	end
end
