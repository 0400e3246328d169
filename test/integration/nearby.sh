#!/usr/bin/env bash
# nearby.sh: "Is it one of these?" on a full stack of its own. A resident's check on the filing
# form (a POST with its step field, no JavaScript) lists the open complaints of the same category
# within 100 m filed in the last 30 days, nearest first, each with its distance rounded to 10 m,
# its age and status only; one 150 m away, one in the search box but outside the circle, one 31
# days old, one of another category and a rejected one are not listed; a resolved one is. Following
# one lists it under My complaints and opens its restricted page; a complaint not near the place
# given cannot be followed. Lookups are budgeted per account (429 past 20 an hour, again after the
# window). An admin sees the nearby complaints in full on a complaint's page and marks it a
# duplicate of one (rejected by the status machine, reason "Duplicate of #N", a status_track row);
# its resident is pointed to the original and sees it in the restricted form. Its follower is
# queued a mail when it is rejected, without the reason (the reporter's carries it). No page a resident
# is answered ever holds another resident's description or address (a unique marker searched in
# every response).
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 22
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up nearby
test_migrate

marker="Secret-marker-$$-$RANDOM"
staff admin "admin.$$@example.org" "Ada Admin"
signin admin "admin.$$@example.org"
signup ann "Ann Reporter" "ann.$$@example.org"
signup bob "Bob Resident" "bob.$$@example.org"
signup cat "Cat Resident" "cat.$$@example.org"
signup dan "Dan Resident" "dan.$$@example.org"
# Every answer a resident other than the reporter gets, for the marker's search at the end.
seen() { printf '%s\n%s\n' "$headers" "$body" >>"$scratch/residents_saw"; }

# place ID LAT LON [CATEGORY] [DAYS-AGO]: moves Ann's filed complaint to a place, a category and
# a filing date, and gives it the marker.
place() {
	sql "UPDATE complaints SET lat = $2, lon = $3, description = 'Leak at the corner $marker $1',
		address = 'Address-$marker', category_id = (SELECT id FROM categories WHERE code = '${4:-water_leak}'),
		created_at = UTC_TIMESTAMP(3) - INTERVAL ${5:-1} DAY WHERE id = $1"
}
# Around (51.5, -0.12): a metre is 0.00000898 degrees of latitude and 0.00001443 of longitude.
file_complaint ann; near=$filed;      place "$near" 51.500000 -0.119423           # 40 m east
file_complaint ann; edge=$filed;      place "$edge" 51.500845 -0.120000           # 94 m north
file_complaint ann; far=$filed;       place "$far" 51.501350 -0.120000            # 150 m north
file_complaint ann; corner=$filed
place "$corner" 51.500808 -0.118701                                                # 90 m N, 90 m E: 127 m
file_complaint ann; old=$filed;       place "$old" 51.500000 -0.119711 water_leak 31  # 20 m, 31 days old
file_complaint ann; other=$filed;     place "$other" 51.500090 -0.120000 streetlight  # 10 m, streetlight
file_complaint ann; rejected=$filed;  place "$rejected" 51.500270 -0.120000       # 30 m, rejected below
file_complaint ann; resolved=$filed;  place "$resolved" 51.500540 -0.120000       # 60 m, resolved
sql "UPDATE complaints SET status = 'resolved', resolved_at = UTC_TIMESTAMP(3) WHERE id = $resolved"
change --or-bail admin "$rejected" reject closing_reason=not_responsible "reason=Private land."

# check_similar BROWSER CATEGORY LAT LON: the filing form, then its "Check for similar complaints".
check_similar() {
	get "$1" /complaints/new
	fetch "$1" POST /complaints -H "Origin: $url" --form-string "step=Check for similar complaints" --form-string "category=$2" \
		--form-string "lat=$3" --form-string "lon=$4" --form-string description= \
		--form-string "csrf=$(input_value "$body" csrf)" --form-string "submit_token=$(input_value "$body" submit_token)"
}
listed() { grep -o 'id="nearby-[0-9]*"' <<<"$body" | grep -o '[0-9]*' | tr '\n' ' '; }

# ---- the check ----
check_similar bob water_leak 51.500000 -0.120000; seen
list=$(listed)
check "a check answers 200 and lists the open water leaks within 100 m of the last 30 days, nearest first: $near $resolved $edge (got: $list; $status)" \
	holds '[ "$status" = 200 ] && [ "$list" = "$near $resolved $edge " ]'
check "150 m away, 127 m in the box's corner, 31 days old, a streetlight and a rejected one are not listed" \
	holds '! grep -Eq "id=\"nearby-($far|$corner|$old|$other|$rejected)\"" <<<"$body"'
item=$(visible_text "$(sed -n "/id=\"nearby-$edge\"/,/<\/li>/p" <<<"$body")")
check "each shows its category, its distance rounded to 10 m, its age and its status ($item)" \
	holds 'grep -q "Water leak" <<<"$item" && grep -q "about 90 m away" <<<"$item" && grep -q "filed 1 day ago" <<<"$item" && grep -q "Submitted" <<<"$item"'
check "the check files nothing and keeps what was typed" \
	holds '[ "$(sql "SELECT COUNT(*) FROM complaints WHERE reporter_id = $(id_of bob.$$@example.org)")" = 0 ] && grep -q "value=\"51.500000\"" <<<"$body"'
check_similar bob streetlight 51.500000 -0.120000; seen
check "a check for streetlights lists the streetlight 10 m away and no water leak ($(listed))" \
	holds '[ "$(listed)" = "$other " ]'
check_similar bob water_leak 51.510000 -0.120000; seen
check "a check far from all of them says none is near and to file ($status)" \
	holds '[ "$status" = 200 ] && [ -z "$(listed)" ] && grep -q "please file yours" <<<"$body"'
check_similar bob water_leak '' ''; seen
check "a check without a place asks for the position ($status)" \
	holds '[ "$status" = 422 ] || grep -q "Give the place" <<<"$body"'

# ---- following ----
check_similar bob water_leak 51.500000 -0.120000; seen
follow_token=$(csrf_of "$body" "/complaints/$near/follow")
post bob "/complaints/$far/follow" "csrf=$follow_token" category=water_leak lat=51.500000 lon=-0.120000; seen
check "a complaint not near the place given cannot be followed: 404, nothing written ($status)" \
	holds '[ "$status" = 404 ] && [ "$(sql "SELECT COUNT(*) FROM complaint_followers")" = 0 ]'
post bob "/complaints/$near/follow" "csrf=$follow_token" category=water_leak; seen
check "following without the place is refused: 422 ($status)" holds '[ "$status" = 422 ]'
post bob "/complaints/$near/follow" "csrf=$follow_token" category=water_leak lat=51.500000 lon=-0.120000; seen
check "following a listed one: 303 to My complaints, one followers row with the rounded distance ($status $location)" \
	holds '[ "$status $location" = "303 /complaints?followed=1" ] && [ "$(sql "SELECT CONCAT(complaint_id, \"/\", distance_m) FROM complaint_followers")" = "$near/40" ]'
get bob /complaints; seen
check "My complaints lists the followed one with its status and distance" \
	holds 'grep -q "id=\"followed-$near\"" <<<"$body" && grep -q "about 40 m from the place you gave" <<<"$body"'
get bob "/complaints/$near"; seen
check "its page answers the follower 200 in the restricted form ($status)" \
	holds '[ "$status" = 200 ] && grep -q "You follow this complaint" <<<"$body" && ! grep -q "workflow-form" <<<"$body"'
get bob "/complaints/$near/photo"; seen
check "its photo stays 404 to the follower ($status)" holds '[ "$status" = 404 ]'
get bob "/complaints/$edge"; seen
check "a complaint not followed stays 404 ($status)" holds '[ "$status" = 404 ]'

# ---- the budget ----
dan_id=$(id_of "dan.$$@example.org")
sql "INSERT INTO nearby_lookups (account_id, window_start, lookups) VALUES ($dan_id, UTC_TIMESTAMP(3), 19)"
check_similar dan water_leak 51.500000 -0.120000; seen; twentieth=$status
check_similar dan water_leak 51.500000 -0.120000; seen
check "the 20th lookup of the hour is answered, the 21st is 429 and lists nothing ($twentieth, $status)" \
	holds '[ "$twentieth" = 200 ] && [ "$status" = 429 ] && [ -z "$(listed)" ] && grep -q "many times" <<<"$body"'
sql "UPDATE nearby_lookups SET window_start = UTC_TIMESTAMP(3) - INTERVAL 61 MINUTE WHERE account_id = $dan_id"
check_similar dan water_leak 51.500000 -0.120000; seen
check "after the hour the budget starts again ($status, $(listed))" holds '[ "$status" = 200 ] && [ -n "$(listed)" ]'

# ---- an admin marks a duplicate ----
file_complaint cat; dup=$filed
sql "UPDATE complaints SET lat = 51.500040, lon = -0.119423 WHERE id = $dup"
get admin "/complaints/$dup"
check "the admin's page of a complaint lists the nearby ones in full (description, reporter), itself left out" \
	holds 'grep -q "id=\"nearby-$near\"" <<<"$body" && grep -q "$marker $near" <<<"$body" && grep -q "Ann Reporter" <<<"$body" && ! grep -q "id=\"nearby-$dup\"" <<<"$body"'
form=$(sed -n "/id=\"nearby-$near\"/,/<\/li>/p" <<<"${body//</$'\n'<}")
post admin "/complaints/$dup/status" "csrf=$(input_value "$form" csrf)" "version=$(input_value "$form" version)" \
	action=reject closing_reason=duplicate "duplicate_of=$(input_value "$form" duplicate_of)" "reason=$(input_value "$form" reason)"
check "its mark-as-duplicate form rejects it as a duplicate of #$near through the status machine ($status)" \
	holds '[ "$status" = 303 ] && [ "$(sql "SELECT CONCAT(status, \"/\", closing_reason, \"/\", duplicate_of_id) FROM complaints WHERE id = $dup")" = "rejected/duplicate/$near" ] && [ "$(sql "SELECT reason FROM status_track WHERE complaint_id = $dup AND action = \"reject\"")" = "Duplicate of #$near" ]'
get cat "/complaints/$dup"; seen
check "its resident reads the reason and is pointed to the original" \
	holds 'grep -q "Duplicate of #$near" <<<"$body" && grep -q "href=\"/complaints/$near\"" <<<"$body"'
get cat "/complaints/$near"; seen
check "the original opens for them in the restricted form ($status)" \
	holds '[ "$status" = 200 ] && grep -q "closed as a duplicate of this one" <<<"$body"'

# ---- followers hear of it ----
change --or-bail admin "$near" reject closing_reason=no_further_action "reason=Reason-$marker"
bob_id=$(id_of "bob.$$@example.org")
check "rejecting the followed complaint queues its follower a mail without the reason, its reporter one with it" \
	holds '[ "$(sql "SELECT COUNT(*) FROM notifications WHERE complaint_id = $near AND account_id = $bob_id AND kind = '"'followed_rejected'"' AND JSON_VALUE(data, '"'$.reason'"') IS NULL AND data NOT LIKE '"'%$marker%'"'")" = 1 ] && [ "$(sql "SELECT COUNT(*) FROM notifications WHERE complaint_id = $near AND kind = '"'rejected'"' AND data LIKE '"'%Reason-$marker%'"'")" = 1 ]'

# ---- the marker ----
saw=$(grep -c . "$scratch/residents_saw")
check "no answer to another resident ($saw lines) holds a description or address of Ann's" \
	holds '[ "$saw" -gt 100 ] && ! grep -q "$marker" "$scratch/residents_saw"'
