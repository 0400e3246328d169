-- test/bench/assign.lua: wrk as an admin assigning complaints, for pages.sh's assignment case: each
-- request is POST /complaints/{id}/status action=assign of the next complaint of the pool (still
-- submitted, version 0), to the two agents in turn, with the admin's session and form token. The
-- environment names them: ASSIGN_FIRST, ASSIGN_LAST (the pool's ids), ASSIGN_AGENTS ("ID ID"),
-- ASSIGN_COOKIE, ASSIGN_CSRF, ASSIGN_ORIGIN; wrk's threads take every ASSIGN_THREADS-th id each, so
-- no complaint is assigned twice. A thread past the pool's end stops. WRK_PACE_MS, when set,
-- paces each connection as pace.lua does.
local threads = {}

function setup(thread)
	thread:set("index", #threads)
	threads[#threads + 1] = thread
end

local first = tonumber(os.getenv("ASSIGN_FIRST") or "0")
local last = tonumber(os.getenv("ASSIGN_LAST") or "0")
local step = tonumber(os.getenv("ASSIGN_THREADS") or "1")
local agents = {}
for agent in string.gmatch(os.getenv("ASSIGN_AGENTS") or "", "%S+") do
	agents[#agents + 1] = agent
end
local headers = {
	["Cookie"] = os.getenv("ASSIGN_COOKIE") or "",
	["Origin"] = os.getenv("ASSIGN_ORIGIN") or "",
	["Content-Type"] = "application/x-www-form-urlencoded",
}
local csrf = (os.getenv("ASSIGN_CSRF") or ""):gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
local pace_ms = tonumber(os.getenv("WRK_PACE_MS") or "0")
local sent = 0

function request()
	local id = first + index + step * sent
	sent = sent + 1
	if id > last then
		wrk.thread:stop()
	end
	local body = "action=assign&version=0&agent=" .. agents[(sent % #agents) + 1] .. "&csrf=" .. csrf
	return wrk.format("POST", "/complaints/" .. id .. "/status", headers, body)
end

if pace_ms > 0 then
	function delay()
		return pace_ms
	end
end
