#!/usr/bin/env bash
# pages.sh: what a browser sees through nginx — pages in the layout, health, errors, limits.
source "$(dirname "$0")/lib.sh"
plan 17
# A small upload limit so the app's own 413 is cheap to reach: nginx allows 1M more.
test_stack_up pages upload_max_bytes=256K

body=$(curl -s "$url/")
headers=$(curl -s -D - -o /dev/null "$url/")
check "GET / is the landing page in the site layout" \
	grep -q '<h1>Report a problem in your city</h1>' <<<"$body"
check "the landing page links to sign in and to filing a complaint" \
	bash -c 'grep -q "href=\"/signin\"" <<<"$1" && grep -q "href=\"/complaints/new\"" <<<"$1"' _ "$body"
check "the layout's stylesheet is served by nginx with a day of caching" \
	bash -c 'curl -s -D - -o /dev/null "$1/static/css/site.css" | grep -qi "^Cache-Control: max-age=86400"' _ "$url"
check "every page carries the security headers" \
	bash -c 'grep -qi "^Content-Security-Policy: .*frame-ancestors .none." <<<"$1" &&
		grep -qi "^X-Content-Type-Options: nosniff" <<<"$1" && grep -qi "^Referrer-Policy: same-origin" <<<"$1"' _ "$headers"

health=$(curl -s "$url/healthz")
check "GET /healthz answers JSON with status, version, pid, config_generation and location" \
	bash -c 'echo "$1" | grep -qE "^\{\"status\":\"ok\",\"version\":\"[0-9.]+\",\"pid\":[0-9]+,\"config_generation\":1,\"location\":\"local\"\}$"' _ "$health"
check "/healthz is application/json and never cached" \
	bash -c 'curl -s -D - -o /dev/null "$1/healthz" | grep -qi "^Content-Type: application/json" &&
		curl -s -D - -o /dev/null "$1/healthz" | grep -qi "^Cache-Control: no-store"' _ "$url"

status=$(curl -s -o "$stack_dir/404.html" -w '%{http_code}' "$url/no/such/page")
check "an unknown route is a 404 page in the layout" \
	bash -c '[ "$1" = 404 ] && grep -q "404 · Not Found" "$2" && grep -q "site.css" "$2"' _ "$status" "$stack_dir/404.html"
# This stack has no database: a session cookie on an unknown address cannot be looked up, and the
# page still says 404 (signed out), not 503.
cookie="session=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
status=$(curl -s -o "$stack_dir/404-db.html" -w '%{http_code}' -b "$cookie" "$url/no/such/page")
check "an unknown route with a session cookie and the database out of reach is still a 404 ($status)" \
	bash -c '[ "$1" = 404 ] && grep -q "404 · Not Found" "$2"' _ "$status" "$stack_dir/404-db.html"

status=$(curl -s -o "$stack_dir/400.html" -w '%{http_code}' "$url/?q=%zz")
check "a malformed query string is a 400 page that says why" \
	bash -c '[ "$1" = 400 ] && grep -q "malformed percent-escape" "$2"' _ "$status" "$stack_dir/400.html"

# A file beside static/ in nginx's document root: no URL may reach it.
echo "not for the web" >"/tmp/complaintd-$stack_base/www/beside-static.txt"
status=$(curl -s -o "$stack_dir/escape.out" -w '%{http_code}' --path-as-is "$url/static/../beside-static.txt")
status_alias=$(curl -s -o "$stack_dir/escape-alias.out" -w '%{http_code}' --path-as-is "$url/static../beside-static.txt")
check "a path escaping with .. never reaches a file outside static/ (got $status, and $status_alias for /static../)" \
	bash -c 'for s in "$1" "$2"; do [ "$s" = 400 ] || [ "$s" = 404 ] || exit 1; done
		! grep -q "not for the web" "$3" "$4"' _ "$status" "$status_alias" "$stack_dir/escape.out" "$stack_dir/escape-alias.out"

status=$(curl -s -o "$stack_dir/405.html" -D "$stack_dir/405.headers" -w '%{http_code}' -X POST --data 'a=b' "$url/")
check "POST to a GET-only page is 405 with an Allow header" \
	bash -c '[ "$1" = 405 ] && grep -qi "^Allow: GET, HEAD" "$2"' _ "$status" "$stack_dir/405.headers"

status=$(curl -s -o /dev/null -w '%{http_code}' -I "$url/")
check "HEAD / answers 200 without a body" [ "$status" = 200 ]

# 256 KiB + 100 KiB: under nginx's limit (256K + 1M), over the app's (256K + 64K of form overhead).
head -c $((356 * 1024)) /dev/zero | tr '\0' 'a' >"$stack_dir/medium.bin"
status=$(curl -s -o "$stack_dir/413-app.html" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary "@$stack_dir/medium.bin" "$url/")
check "a body over the app's upload limit gets the app's 413 page, naming the limit" \
	bash -c '[ "$1" = 413 ] && grep -q "at most 256 KiB" "$2" && grep -q "site.css" "$2"' _ "$status" "$stack_dir/413-app.html"

head -c $((1400 * 1024)) /dev/zero >"$stack_dir/large.bin"
status=$(curl -s -o "$stack_dir/413-nginx.html" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
	--data-binary "@$stack_dir/large.bin" "$url/")
check "a body over nginx's limit gets nginx's 413, the styled static page, saying where to go back" \
	bash -c '[ "$1" = 413 ] && grep -q "Upload too large" "$2" && grep -q "site.css" "$2" &&
		grep -q "Back button" "$2" && grep -q "href=\"/complaints/new\"" "$2"' _ "$status" "$stack_dir/413-nginx.html"

status=$(curl -s -o "$stack_dir/nul.html" -w '%{http_code}' "$url/?q=a%00b")
check "a query holding an encoded NUL byte is a 400 that says why" \
	bash -c '[ "$1" = 400 ] && grep -q "NUL byte" "$2"' _ "$status" "$stack_dir/nul.html"

# The runtime refuses a second server on a socket that a live one answers.
second_log="$stack_dir/second.log"
"$binary" -c "$stack_dir/complaintd.conf" >"$second_log" 2>&1 && second_status=0 || second_status=$?
check "a second complaintd on the same socket refuses to start and says why" \
	bash -c '[ "$1" = 1 ] && grep -q "another server is already answering" "$2"' _ "$second_status" "$second_log"
check "the first server still answers after the refused start" \
	bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" "$1/healthz")" = 200 ]' _ "$url"
