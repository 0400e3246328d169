#!/usr/bin/env bash
# resident.sh: what a resident finds around the pages, on a full stack of its own — the header
# with the pages of the viewer's role on every page (error pages too), "File a complaint" while
# signed out asking to sign in and why, and sign-in and sign-up returning to the page that asked
# (`next`) only when it is exactly the path of a GET route: an absolute URL, "//host", a
# backslash, an encoded newline or a POST-only path is ignored, never an error; times in the
# city's zone; the photo's limit stated on the form, a refused photo keeping what was typed, the
# photo served "private, no-cache" with its ETag (304 on revalidation), and sign-out clearing the
# browser's cache; the map: Leaflet and its licence served by nginx, tiles from the stack's own
# tile server, which the CSP names exactly, the map's pages sending their origin to it, and a
# complaint filed without JavaScript by its address.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 32
scratch=$(mktemp -d)
trap 'test_stack_cleanup; rm -rf "$scratch"' EXIT
test_full_stack_up resident upload_max_bytes=256K
test_migrate

password=Corr3ct-horse-battery
email="rose.$$@example.org"

# ---- signed out: "File a complaint" asks to sign in, and says why ----
get anon /complaints/new
check "signed out, File a complaint goes to sign-in naming the form as next (got $status $location)" \
	holds '[ "$status $location" = "303 /signin?next=/complaints/new" ]'
get anon "$location"
check "the sign-in page says why: to file a complaint, and that the form comes next" \
	holds '[ "$status" = 200 ] && visible_text "$body" | grep -q "To file a complaint, please sign in" &&
		grep -q "<input type=\"hidden\" name=\"next\" value=\"/complaints/new\">" <<<"$body"'
check "its link to create an account carries next along" \
	holds 'grep -q "href=\"/signup?next=/complaints/new\"" <<<"$body"'
get anon /signin
check "the bare sign-in page asks nothing and carries no next" \
	holds '[ "$status" = 200 ] && ! grep -q "name=\"next\"" <<<"$body" && ! visible_text "$body" | grep -q "To file a complaint"'

signup_query="?next=/complaints/new" sign_up rose "Rose Resident" "$email" "$password" next=/complaints/new
signup_answer=$status signup_page=$body
sign_in rose "$email" "$password" next=/complaints/new
check "sign-up from there says \"check your mail\" ($signup_answer) with a sign-in link that carries next; signing in goes on to the form (got $status $location)" \
	holds '[ "$signup_answer" = 200 ] && grep -q "href=\"/signin?next=/complaints/new\"" <<<"$signup_page" &&
		[ "$status $location" = "303 /complaints/new" ]'

# ---- the header: the viewer's pages, on every page ----
get rose /account
check "a resident's header links to My complaints and File a complaint, and says resident" \
	holds 'grep -q "<a href=\"/complaints\">My complaints</a>" <<<"$body" &&
		grep -q "<a href=\"/complaints/new\">File a complaint</a>" <<<"$body" &&
		! grep -q "href=\"/agent\"" <<<"$body" && visible_text "$body" | grep -q "Role resident"'
# ---- honest words: times in the city's zone (the stack's time_zone is Europe/Brussels) ----
stored=$("$top/packaging/stackctl" sql "$stack_dir" primary app "SELECT created_at FROM accounts WHERE email = '$email'")
brussels=$(LC_ALL=C TZ=Europe/Brussels date -d "${stored%.*} UTC" '+%-d %b %Y, %H:%M')
check "the account's creation shows in Brussels time to the minute ($brussels, stored $stored UTC)" \
	holds 'visible_text "$body" | grep -qE "Since $brussels (Change|Confirm)" && ! grep -q "UTC" <<<"$body"'
check "the footer names nothing internal" holds '! grep -qi "served from" <<<"$body"'
get rose /no/such/page
check "a 404 page shows the signed-in header (the name, My complaints, Sign out; no Sign in)" \
	holds '[ "$status" = 404 ] && grep -q "Rose Resident" <<<"$body" && grep -q "My complaints" <<<"$body" &&
		grep -q "Sign&nbsp;out" <<<"$body" && ! grep -q "href=\"/signin\"" <<<"$body"'
fetch rose DELETE /account
check "a 405 page shows the signed-in header too" \
	holds '[ "$status" = 405 ] && grep -q "Rose Resident" <<<"$body"'

# ---- next: only a GET route's exact path is followed ----
# ignored LABEL NEXT: a sign-in (from a browser of its own) posting NEXT lands on /account.
ignored() {
	sign_in "device$test_number" "$email" "$password" "next=$2"
	check "sign-in ignores next as $1 (got $status $location)" holds '[ "$status $location" = "303 /account" ]'
}
ignored "an absolute URL" "http://evil.example/complaints"
ignored "//host" "//evil.example/complaints"
ignored "a backslash" '/\evil.example'
ignored "an encoded newline" $'/complaints\r\nSet-Cookie: session=x'
ignored "a POST-only path" "/signout"
sign_in device-last "$email" "$password" "next=/complaints/42"
check "sign-in follows next when it is a GET route's path with its capture (got $status $location)" \
	holds '[ "$status $location" = "303 /complaints/42" ]'

# ---- photos ----
# file_form BROWSER PHOTO FIELD=VALUE...: the filing form, then its POST (multipart) with its
# tokens, PHOTO (a file) and the fields. Sets what fetch sets.
file_form() {
	local browser=$1 photo=$2 field args=(); shift 2
	get "$browser" /complaints/new
	form_page=$body
	local token; token=$(grep -o '<input[^>]*name="submit_token"[^>]*>' <<<"$body" | sed -n 's/.*value="\([^"]*\)".*/\1/p')
	for field in "$@"; do args+=(--form-string "$field"); done
	fetch "$browser" POST /complaints -H "Origin: $url" --form-string "csrf=$(csrf_of "$body" /complaints)" \
		--form-string "submit_token=$token" "${args[@]}" -F "photo=@$photo"
}
get rose /complaints/new
check "the filing form states the photo's size limit, and gives it to the browser's check" \
	holds 'visible_text "$body" | grep -q "at most 256 KB" &&
		grep -q "data-max-bytes=\"262144\"" <<<"$body" && grep -q "src=\"/static/js/complaint-form.js\"" <<<"$body"'

head -c 300000 /dev/urandom >"$scratch/big.png"
typed='Broken <b>bench</b> & "glass" on the path'
file_form rose "$scratch/big.png" category=water_leak "description=$typed" "address=3 Rue <Haute>" lat=50.8466 lon=4.3528
check "a photo over the limit is refused by the app with the form again ($status)" \
	holds '[ "$status" = 413 ] && grep -q "id=\"photo-error\"" <<<"$body"'
check "everything typed is kept, escaped: category, description, address, position" \
	holds 'grep -q "<option value=\"water_leak\" selected>" <<<"$body" &&
		grep -qF "Broken &lt;b&gt;bench&lt;/b&gt; &amp; &quot;glass&quot; on the path</textarea>" <<<"$body" &&
		grep -qF "value=\"3 Rue &lt;Haute&gt;\"" <<<"$body" && grep -q "value=\"50.8466\"" <<<"$body" &&
		grep -q "value=\"4.3528\"" <<<"$body"'

file_form rose "$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg" category=water_leak \
	"description=Water runs down the street" "address=3 Rue Haute"
complaint=$location
check "without JavaScript (curl), the map's form files a complaint by its address alone ($complaint)" \
	holds '[[ $complaint =~ ^/complaints/[0-9]+$ ]]'
get rose "$complaint/photo"
etag=$(grep -i '^etag:' <<<"$headers" | sed 's/^[^:]*: *//')
cache=$(grep -i '^cache-control:' <<<"$headers" | sed 's/^[^:]*: *//')
check "the photo is served Cache-Control \"private, no-cache\" with its ETag ($status, $cache, $etag)" \
	holds '[ "$status" = 200 ] && [ "$cache" = "private, no-cache" ] && [[ $etag =~ ^\"[0-9a-f]{64}\"$ ]]'
get rose "$complaint/photo" -H "If-None-Match: $etag"
check "revalidating with the ETag is a 304 without the photo ($status)" \
	holds '[ "$status" = 304 ] && [ ! -s "$scratch/body" ]'
get anon "$complaint/photo" -H "If-None-Match: $etag"
check "revalidating without a session is no 304: the photo is asked for again only by a session that may see it ($status $location)" \
	holds '[ "$status" = 303 ]'
get rose /account
post rose /signout "csrf=$(csrf_of "$body" /signout)"
check "sign-out sends Clear-Site-Data: \"cache\" ($status)" \
	holds '[ "$status" = 303 ] && grep -qi "^clear-site-data: \"cache\"$" <<<"$headers"'

# ---- the map ----
tiles="http://127.0.0.1:$(stack_port "$stack_base" tiles)"
sign_in rose "$email" "$password"
get rose /complaints/new
check "the filing form carries the map of the configured tile server, with Leaflet and map.js" \
	holds 'grep -qF "data-tiles=\"$tiles/{z}/{x}/{y}.png\"" <<<"$body" &&
		grep -q "src=\"/static/vendor/leaflet/leaflet.js\"" <<<"$body" && grep -q "src=\"/static/js/map.js\"" <<<"$body" &&
		grep -q "name=\"address\"" <<<"$body"'
csp=$(grep -i '^content-security-policy:' <<<"$headers")
check "its CSP lets images come from the site and exactly that tile server ($csp)" \
	holds 'grep -q "img-src .self. data: blob: $tiles;" <<<"$csp" && [ "$(grep -o "http[^ ;]*" <<<"$csp")" = "$tiles" ]'
check "the map's pages send their origin to the tile server (Referrer-Policy strict-origin-when-cross-origin), others none" \
	holds 'grep -qi "^referrer-policy: strict-origin-when-cross-origin$" <<<"$headers" &&
		get rose "$complaint" && grep -qi "^referrer-policy: strict-origin-when-cross-origin$" <<<"$headers" &&
		get rose /account && grep -qi "^referrer-policy: same-origin$" <<<"$headers"'
check "nginx serves Leaflet with its licence" \
	holds 'get - /static/vendor/leaflet/leaflet.js && [ "$status" = 200 ] && get - /static/vendor/leaflet/LICENSE &&
		[ "$status" = 200 ] && grep -q "BSD" <<<"$body"'
tile=$(cd "$top/test/data/tiles" && ls 13/*/*.png | head -n 1)
check "the stack's tile server serves the handful of tiles ($tile)" \
	holds '[ "$(curl -s -o /dev/null -w "%{http_code} %{content_type}" "$tiles/$tile")" = "200 image/png" ]'
file_form rose "$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg" category=water_leak \
	"description=Water runs down the street" lat=50.8470 lon=4.3530
placed_id=${location##*/} by_address_id=${complaint##*/}
get rose "$location"
check "a complaint with a position shows it on its map (data-lat, data-lon, no picking)" \
	holds 'grep -q "data-lat=\"50.847000\" data-lon=\"4.353000\"" <<<"$body" && ! grep -q "data-pick" <<<"$body"'

# ---- the map on the admin's queue ----
# Rose's complaints wait out of the queue until she confirms her address: she does, from the mail.
confirm_address rose "$email"
staff admin "queue.$$@example.org" "Quinn Admin"
signin admin "queue.$$@example.org"
get admin /admin
queue=$body
marked=$(grep -o '<tr [^>]*data-marker="[0-9]*"' <<<"$queue" | grep -o 'data-marker="[0-9]*"' | grep -o '[0-9]*' | tr '\n' ' ')
check "the queue's map marks each row with a position (#$placed_id), not one by address alone (#$by_address_id): marked ${marked:-none}" \
	holds 'grep -q "id=\"map\"[^>]*data-markers=\"1\"" <<<"$queue" && grep -q "src=\"/static/js/map.js\"" <<<"$queue" &&
		[ "$marked" = "$placed_id " ] && grep -q "data-marker=\"$placed_id\" data-lat=\"50.847000\" data-lon=\"4.353000\"" <<<"$queue" &&
		grep -q "<a href=\"/complaints/$by_address_id\">" <<<"$queue"'
check "the queue is a map page: it sends its origin to the tile server (Referrer-Policy strict-origin-when-cross-origin)" \
	holds 'grep -qi "^referrer-policy: strict-origin-when-cross-origin$" <<<"$headers"'
