-- test/bench/mix.lua: wrk over a mix of requests for the worker-memory run of pages.sh. MIX_PATHS
-- names the mix, space-separated, each "KIND*COUNT" (COUNT requests of a cycle; the cycle is
-- shuffled once, the same way every run): KIND is a path to GET with the resident's session
-- (MIX_COOKIE), "file" (a filing with a photo: multipart POST /complaints with MIX_FILE_CSRF,
-- MIX_CATEGORY, a fresh submit token and the JPEG at MIX_PHOTO) or "signin" (POST /signin with the
-- visitor cookie and token MIX_SIGNIN_COOKIE, MIX_SIGNIN_CSRF, as the accounts of MIX_SIGNIN_EMAILS
-- in turn with MIX_SIGNIN_PASSWORD). Each of wrk's threads stops after its share of MIX_REQUESTS
-- (MIX_REQUESTS / MIX_THREADS).
local threads = {}

function setup(thread)
	thread:set("index", #threads)
	threads[#threads + 1] = thread
end

local function env(name)
	return os.getenv(name) or ""
end

local function urlencode(text)
	return (text:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local cycle = {}
for kind, count in string.gmatch(env("MIX_PATHS"), "(%S+)%*(%d+)") do
	for _ = 1, tonumber(count) do
		cycle[#cycle + 1] = kind
	end
end
math.randomseed(14)
for i = #cycle, 2, -1 do
	local j = math.random(i)
	cycle[i], cycle[j] = cycle[j], cycle[i]
end

local cookie = env("MIX_COOKIE")
local origin = env("MIX_ORIGIN")
local share = math.floor(tonumber(env("MIX_REQUESTS")) / tonumber(env("MIX_THREADS")))
local photo = ""
if env("MIX_PHOTO") ~= "" then
	local f = assert(io.open(env("MIX_PHOTO"), "rb"))
	photo = f:read("*a")
	f:close()
end
local boundary = "mixboundary14"
local function part(name, value)
	return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
local emails = {}
for email in string.gmatch(env("MIX_SIGNIN_EMAILS"), "%S+") do
	emails[#emails + 1] = email
end
local sent, answered, filed, signins = 0, 0, 0, 0

local function filing()
	filed = filed + 1
	-- A submit token is 43 base64url characters whose last carries no stray bits ('A').
	local token = string.format("mix%02d%037dA", index, filed)
	local body = part("csrf", env("MIX_FILE_CSRF")) .. part("submit_token", token) ..
		part("category", env("MIX_CATEGORY")) .. part("description", "Broken bench on the green, filing " .. filed) ..
		part("address", "The Green 1") ..
		"--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"bench.jpg\"\r\n" ..
		"Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. boundary .. "--\r\n"
	return wrk.format("POST", "/complaints", {["Cookie"] = cookie, ["Origin"] = origin,
		["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end

local function signin()
	signins = signins + 1
	local body = "email=" .. urlencode(emails[(signins % #emails) + 1]) .. "&password=" ..
		urlencode(env("MIX_SIGNIN_PASSWORD")) .. "&csrf=" .. urlencode(env("MIX_SIGNIN_CSRF"))
	return wrk.format("POST", "/signin", {["Cookie"] = env("MIX_SIGNIN_COOKIE"), ["Origin"] = origin,
		["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

function request()
	sent = sent + 1
	local kind = cycle[(sent % #cycle) + 1]
	if kind == "file" then
		return filing()
	elseif kind == "signin" then
		return signin()
	end
	return wrk.format("GET", kind, {["Cookie"] = cookie})
end

function response(status, headers, body)
	answered = answered + 1
	if share > 0 and answered >= share then
		wrk.thread:stop()
	end
end
