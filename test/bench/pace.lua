-- test/bench/pace.lua: wrk at a fixed rate rather than flat out. Each connection waits
-- WRK_PACE_MS (the environment's) before each of its requests, so C connections offer about
-- C * 1000 / WRK_PACE_MS requests a second (a little less: the answer's own time adds). wrk still
-- times each request from when it is sent, not from when it was due: a stall shows in the rate
-- reached, not in the percentiles.
local pace_ms = tonumber(os.getenv("WRK_PACE_MS") or "0")

function delay()
	return pace_ms
end
