#!/usr/bin/env bash
# categories.sh: running the city's work on a full stack of its own. An admin adds, renames,
# retargets, reorders and deactivates categories on /admin/categories (bad input refused with a
# sentence and nothing written); a deactivated category leaves the filing form and keeps its
# complaints, which the queue still filters by it; a new target moves no due date of a complaint
# filed before it. Due dates follow the target in the city's zone: the stack runs in a zone whose
# UTC offset changes within the next 182 days, so "182d" lands on the filing's wall-clock time (not
# 182 x 24 hours later) and "4368h" exactly 4,368 hours later. Agents read their overdue list on
# /agent/overdue, admins theirs through /admin/agents' link to the queue. The admin log records
# every admin action of the test, filters by admin, action and target, and its keyset pages walk
# the whole log once, in order. Auto-assignment ([workflow] auto_assign on): 1,000 filings into a
# pool of four agents, one disabled midway, end with the three others' open counts within one of
# each other, every assignment by the system (status_track actor NULL, "automatic" on the page),
# each with its message to the agent; a category without a pool leaves its complaints unassigned.
# The 1,000 filings take minutes on a loaded two-core machine (each cleans and stores a photo).
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 33
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT

# A zone whose offset now differs from its offset 182 days from now (one of the two hemispheres').
now=$(date +%s)
zone=
for candidate in Europe/Lisbon Australia/Sydney; do
	[ "$(TZ=$candidate date -d "@$now" +%z)" != "$(TZ=$candidate date -d "@$((now + 182 * 86400))" +%z)" ] &&
		zone=$candidate && break
done
[ -n "$zone" ] || { echo "Bail out! no zone changes its offset within 182 days of $(date -u)"; exit 1; }
test_full_stack_up categories "time_zone=$zone" workflow.auto_assign=on
test_migrate

staff admin "admin.$$@example.org" "Ada Admin"
staff admin "boss.$$@example.org" "Bea Boss"
signin admin "admin.$$@example.org"
signin boss "boss.$$@example.org"
signup ann "Ann Resident" "ann.$$@example.org"
admin_id=$(id_of "admin.$$@example.org")
boss_id=$(id_of "boss.$$@example.org")
category_id() { sql "SELECT id FROM categories WHERE code = '$1'"; }
# edit BROWSER CODE FIELD=VALUE...: the category's form posted with the page's token.
edit() {
	local browser=$1 id; id=$(category_id "$2"); shift 2
	get "$browser" /admin/categories
	post "$browser" "/admin/categories/$id" "csrf=$(csrf_of "$body" "/admin/categories/[0-9]*")" "$@"
}
add() {
	get "$1" /admin/categories
	post "$1" /admin/categories "csrf=$(csrf_of "$body" /admin/categories)" "${@:2}"
}
form_offers() { get ann /complaints/new; grep -q "value=\"$1\"" <<<"$body"; }
# epoch SQL-EXPRESSION: a UTC DATETIME of the database as seconds since the epoch.
epoch() { sql "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', $1)"; }

# 1. The page, and adding a category.
get admin /admin/categories
check "the categories page lists the seeded ones with their targets (Water leak 2d) and says a target moves no filed due date" \
	holds '[ "$status" = 200 ] && grep -q "value=\"2d\"" <<<"$body" &&
		grep -q "does not move the due dates of complaints already filed" <<<"$(visible_text "$body")"'
before=$(sql "SELECT CONCAT((SELECT COUNT(*) FROM categories), '/', (SELECT COUNT(*) FROM admin_log))")
add admin code=graffiti "name=Graffiti" target=2w sort_order=60
check "a target of 2w is refused (422) with a sentence, nothing written" \
	holds '[ "$status" = 422 ] && grep -q "Please write the target as a number of days or hours" <<<"$body" &&
		[ "$(sql "SELECT CONCAT((SELECT COUNT(*) FROM categories), \"/\", (SELECT COUNT(*) FROM admin_log))")" = "$before" ]'
add admin code=Graffiti "name=Graffiti" target=3d sort_order=60
check "a code with capitals is refused (422), nothing written" \
	holds '[ "$status" = 422 ] && [ -z "$(category_id Graffiti)" ] && [ -z "$(category_id graffiti)" ]'
add admin code=graffiti "name=Graffiti" target=3d sort_order=60
check "a good category is added (303 to the page) and offered on the filing form" \
	holds '[ "$status" = 303 ] && [ "$location" = "/admin/categories?saved=$(category_id graffiti)" ] && form_offers graffiti'
add admin code=graffiti "name=Graffiti again" target=3d sort_order=60
check "a code taken is refused (409), nothing added" \
	holds '[ "$status" = 409 ] && [ "$(sql "SELECT COUNT(*) FROM categories WHERE code = \"graffiti\"")" = 1 ]'

# 2. Renaming, reordering, retargeting, deactivating: complaints keep their category and due date.
file_complaint ann graffiti; graffiti_complaint=$filed
due_before=$(sql "SELECT due_at FROM complaints WHERE id = $graffiti_complaint")
edit admin graffiti "name=Wall graffiti" target=30h sort_order=5 active=1
check "a rename, a target in hours and a new order are saved" \
	holds '[ "$status" = 303 ] && [ "$(sql "SELECT CONCAT(name, \"/\", target_days, \"/\", target_hours, \"/\", sort_order) FROM categories WHERE code = \"graffiti\"")" = "Wall graffiti/2/30/5" ]'
check "the new target moves no due date of a complaint filed before it" \
	holds '[ "$(sql "SELECT due_at FROM complaints WHERE id = $graffiti_complaint")" = "$due_before" ]'
get ann /complaints/new
check "the filing form lists the category first, under its new name" \
	holds 'grep -o "<option value=\"[a-z_][a-z_]*\"" <<<"$body" | head -n 1 | grep -q graffiti && grep -q ">Wall graffiti<" <<<"$body"'
edit admin graffiti "name=Wall graffiti" target=30h sort_order=5
check "deactivated (the box unticked): it leaves the filing form" \
	holds '[ "$status" = 303 ] && [ "$(sql "SELECT active FROM categories WHERE code = \"graffiti\"")" = 0 ] && ! form_offers graffiti'
get ann /complaints/new
fetch ann POST /complaints -H "Origin: $url" --form-string category=graffiti --form-string "description=Paint on the old wall again" \
	--form-string "csrf=$(input_value "$body" csrf)" --form-string "submit_token=$(input_value "$body" submit_token)" \
	-F "photo=@$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg"
check "a filing in it is refused (422), nothing filed" \
	holds '[ "$status" = 422 ] && [ "$(sql "SELECT COUNT(*) FROM complaints c JOIN categories k ON k.id = c.category_id WHERE k.code = \"graffiti\"")" = 1 ]'
get ann "/complaints/$graffiti_complaint"
check "its complaint keeps it: the resident's page names it and still shows the expected date" \
	holds '[ "$status" = 200 ] && grep -q "Wall graffiti" <<<"$body" && grep -q "expected by" <<<"$body"'
get admin "/admin?category=graffiti"
check "the queue still filters by it and lists its complaint" \
	holds '[ "$status" = 200 ] && grep -q "/complaints/$graffiti_complaint\"" <<<"$body" && grep -q "value=\"graffiti\"" <<<"$body"'
edit admin graffiti "name=" target=30h sort_order=5
check "an empty name is refused (422) with a sentence on that category's form, nothing changed" \
	holds '[ "$status" = 422 ] && grep -q "Please give the category a name" <<<"$body" &&
		[ "$(sql "SELECT name FROM categories WHERE code = \"graffiti\"")" = "Wall graffiti" ]'
edit admin graffiti "name=Wall graffiti" target=3d sort_order=99999
check "an order past 65535 is refused (422)" holds '[ "$status" = 422 ] && grep -q "from 0 to 65535" <<<"$body"'
post admin /admin/categories/9999 "csrf=$(csrf_of "$body" "/admin/categories/[0-9]*")" "name=Nothing" target=3d sort_order=1
check "no category of that number: 404, nothing written" \
	holds '[ "$status" = 404 ] && [ "$(sql "SELECT COUNT(*) FROM admin_log WHERE target_category_id = 9999")" = 0 ]'

# 3. Due dates in the city's zone, across its next offset change.
edit admin road_damage "name=Road damage" target=182d sort_order=30 active=1
edit admin drainage "name=Drainage" target=4368h sort_order=50 active=1
file_complaint ann road_damage; days_complaint=$filed
file_complaint ann drainage; hours_complaint=$filed
filed_days=$(epoch "(SELECT created_at FROM complaints WHERE id = $days_complaint)")
due_days=$(epoch "(SELECT due_at FROM complaints WHERE id = $days_complaint)")
# The filing's local date 182 calendar days on (a relative item after an explicit zone, so the
# number is never read as an offset), at the filing's local time.
expected_day=$(date -u -d "$(TZ=$zone date -d "@$filed_days" +%F) 12:00 UTC 182 days" +%F)
expected=$(TZ=$zone date -d "$expected_day $(TZ=$zone date -d "@$filed_days" +%T)" +%s)
check "182d in $zone: the filing's wall-clock time 182 days later ($(TZ=$zone date -d "@$due_days" '+%F %T %z')), not 182 x 24 h" \
	holds '[ "$due_days" = "$expected" ] && [ $((due_days - filed_days)) != $((182 * 86400)) ]'
check "4368h: exactly 4,368 hours after filing" \
	holds '[ $(( $(epoch "(SELECT due_at FROM complaints WHERE id = $hours_complaint)") - $(epoch "(SELECT created_at FROM complaints WHERE id = $hours_complaint)") )) = $((4368 * 3600)) ]'
get ann "/complaints/$days_complaint"
check "the resident reads the expected date in the city's time ($(TZ=$zone date -d "@$due_days" '+%-d %b %Y'))" \
	holds 'grep -q "expected by $(TZ=$zone date -d "@$due_days" "+%-d %b %Y")" <<<"$body"'

# 4. Overdue lists.
staff agent "olga.$$@example.org" "Olga Agent"; signin olga "olga.$$@example.org"
olga_id=$(id_of "olga.$$@example.org")
file_complaint ann; late=$filed
file_complaint ann; on_time=$filed
sql "UPDATE complaints SET status = 'assigned', assigned_agent_id = $olga_id, assigned_at = UTC_TIMESTAMP(3) WHERE id IN ($late, $on_time);
	UPDATE complaints SET due_at = UTC_TIMESTAMP(3) - INTERVAL 2 DAY, created_at = UTC_TIMESTAMP(3) - INTERVAL 5 DAY WHERE id = $late"
get olga /agent/overdue
check "the agent's overdue list has the late complaint, marked, and not the one on time" \
	holds '[ "$status" = 200 ] && grep -q "/complaints/$late\"" <<<"$body" && ! grep -q "/complaints/$on_time\"" <<<"$body" && grep -q "Overdue" <<<"$body"'
get olga /agent
check "the agent's console marks it overdue and links the overdue list" \
	holds 'grep -q "/agent/overdue" <<<"$body" && [ "$(grep -c "status-badge overdue" <<<"$body")" = 1 ]'
get admin /admin/agents
link=$(grep -o "/admin?agent=$olga_id&amp;overdue=1" <<<"$body" | head -n 1 | sed 's/&amp;/\&/')
get admin "$link"
check "the admin reaches the agent's overdue queue from the agents page" \
	holds '[ -n "$link" ] && [ "$status" = 200 ] && grep -q "/complaints/$late\"" <<<"$body" && ! grep -q "/complaints/$on_time\"" <<<"$body"'

# 5. The admin log: every action writes its row in its own transaction.
get boss /admin/agents
post boss /admin/agents "csrf=$(csrf_of "$body" /admin/agents)" "name=Ivy Invited" "email=ivy.$$@example.org"
ivy_id=$(id_of "ivy.$$@example.org")
get boss /admin/agents
post boss "/admin/agents/$ivy_id/disable" "csrf=$(csrf_of "$body" "/admin/agents/[0-9]*/disable")"
file_complaint ann; to_assign=$filed
change --or-bail admin "$to_assign" assign "agent=$olga_id"
file_complaint ann; to_reject=$filed
change --or-bail admin "$to_reject" reject closing_reason=no_further_action "reason=Not the city's"
file_complaint ann; bulk=$filed
get admin /admin
post admin /admin/bulk-assign "csrf=$(csrf_of "$body" /admin/bulk-assign)" "back=status=submitted" "agent=$olga_id" \
	"c=$bulk:$(sql "SELECT version FROM complaints WHERE id = $bulk")"
logged() { sql "SELECT COUNT(*) FROM admin_log WHERE action = '$1' AND $2"; }
check "every action has its row: category_add, category_edit, invite_agent, disable_account, assign, reject, bulk assign" \
	holds '[ "$(logged category_add "actor_id = $admin_id AND target_category_id = $(category_id graffiti)")" = 1 ] &&
		[ "$(logged category_edit "actor_id = $admin_id AND target_category_id = $(category_id graffiti)")" = 2 ] &&
		[ "$(logged invite_agent "actor_id = $boss_id AND target_account_id = $ivy_id")" = 1 ] &&
		[ "$(logged disable_account "actor_id = $boss_id AND target_account_id = $ivy_id")" = 1 ] &&
		[ "$(logged assign "actor_id = $admin_id AND target_complaint_id = $to_assign")" = 1 ] &&
		[ "$(logged reject "actor_id = $admin_id AND target_complaint_id = $to_reject")" = 1 ] &&
		[ "$(logged assign "target_complaint_id = $bulk AND detail = \"bulk assignment from the queue\"")" = 1 ]'
get admin "/admin/log?action=category_edit"
check "filtered by action: only category changes, each naming its category" \
	holds '[ "$status" = 200 ] && [ "$(grep -c "class=\"log-row " <<<"$body")" = "$(sql "SELECT COUNT(*) FROM admin_log WHERE action = \"category_edit\"")" ] &&
		! grep -q "class=\"log-row log-[^c]" <<<"$body" && grep -q "Wall graffiti" <<<"$body"'
get admin "/admin/log?admin=$boss_id"
check "filtered by admin: only Bea's two actions" \
	holds '[ "$(grep -c "class=\"log-row " <<<"$body")" = 2 ] && grep -q "log-invite_agent" <<<"$body" && grep -q "log-disable_account" <<<"$body"'
get admin "/admin/log?target=complaint&target_id=$to_reject"
check "filtered by target: the rejected complaint's one row" \
	holds '[ "$(grep -c "class=\"log-row " <<<"$body")" = 1 ] && grep -q "log-reject" <<<"$body" && grep -q "Not the city" <<<"$body"'
get admin "/admin/log?action=dance"
check "an unknown action or target is a 400 with a sentence" \
	holds '[ "$status" = 400 ] && grep -q "no such action" <<<"$body" && get admin "/admin/log?target=planet&target_id=1" && [ "$status" = 400 ]'
# 130 more rows with one timestamp, so pages break ties by id; then the keyset walk from page 1.
sql "INSERT INTO admin_log (at, actor_id, action, target_category_id, detail)
	SELECT '2026-01-01 00:00:00.000', $admin_id, 'category_edit', $(category_id other), CONCAT('seeded ', seq) FROM seq_1_to_130"
walk=$scratch/walk; : >"$walk"; page=/admin/log; pages=0
while [ -n "$page" ] && [ $pages -lt 20 ]; do
	get admin "$page"; pages=$((pages + 1))
	grep -o 'id="log-[0-9]*"' <<<"$body" | tr -dc '0-9\n' >>"$walk"
	page=$(grep -o 'href="/admin/log?[^"]*after=[^"]*" rel="next"' <<<"$body" | sed 's/^href="//; s/" rel="next"$//; s/&amp;/\&/g')
done
diag "log rows: $(sql "SELECT COUNT(*) FROM admin_log"), walked: $(wc -l <"$walk")"
check "the keyset walk ($pages pages of 50) sees every row once, newest first, and no link carries an offset" \
	holds '[ "$(tr "\n" " " <"$walk")" = "$(sql "SELECT id FROM admin_log ORDER BY at DESC, id DESC" | tr "\n" " ")" ] &&
		[ $pages -ge 3 ] && ! grep -q "offset=\|page=" <<<"$body"'

# 6. Auto-assignment: four agents in the garbage pool, 1,000 filings, one agent disabled midway.
for n in 1 2 3 4; do staff agent "pool$n.$$@example.org" "Pool Agent $n"; done
pool=(); for n in 1 2 3 4; do pool+=("$(id_of "pool$n.$$@example.org")"); done
edit admin garbage "name=Garbage" target=3d sort_order=40 active=1 "pool=${pool[0]}" "pool=${pool[1]}" "pool=${pool[2]}" "pool=${pool[3]}"
check "the pool is saved with the category" \
	holds '[ "$status" = 303 ] && [ "$(sql "SELECT GROUP_CONCAT(agent_id ORDER BY agent_id) FROM category_agents WHERE category_id = $(category_id garbage)")" = "$(IFS=,; echo "${pool[*]}")" ]'
file_complaint ann streetlight; unpooled=$filed
check "a category without a pool leaves its complaint submitted" \
	holds '[ "$(sql "SELECT CONCAT(status, \"/\", COALESCE(assigned_agent_id, \"none\")) FROM complaints WHERE id = $unpooled")" = "submitted/none" ]'
# file_garbage N BATCH: N filings as the resident by four concurrent clients (so choices race for
# the pool's lock), each filing with a token of its own (the form's shape) and BATCH in its
# description (ids cannot tell the batches apart: an attempt retried after a timeout leaves a gap);
# bails out on a refusal.
get ann /complaints/new; file_csrf=$(input_value "$body" csrf)
file_garbage() {
	local worker
	for worker in 1 2 3 4; do
		(
			for ((i = worker; i <= $1; i += 4)); do
				token=$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')
				answer=$(curl -s -o /dev/null -w '%{http_code}' -b "$scratch/ann.jar" -H "Origin: $url" \
					--form-string category=garbage --form-string "description=Bins overflowing, batch $2, number $i" \
					--form-string "address=3 Dock Road" --form-string "csrf=$file_csrf" \
					--form-string "submit_token=${token:0:42}A" -F "photo=@$top/test/data/photos/jpeg_rotated_6.jpg" \
					"$url/complaints")
				[ "$answer" = 303 ] || echo "filing $i: $answer" >>"$scratch/refused"
			done
		) &
	done
	wait
	[ ! -s "$scratch/refused" ] || { echo "Bail out! $(head -n 3 "$scratch/refused")"; exit 1; }
}
first=$(sql "SELECT COALESCE(MAX(id), 0) FROM complaints")
file_garbage 500 one
get admin /admin/agents
post admin "/admin/agents/${pool[3]}/disable" "csrf=$(csrf_of "$body" "/admin/agents/[0-9]*/disable")"
file_garbage 500 two
open_of() { sql "SELECT COUNT(*) FROM complaints WHERE assigned_agent_id = $1 AND status IN ('assigned', 'in_progress')"; }
counts="$(open_of "${pool[0]}") $(open_of "${pool[1]}") $(open_of "${pool[2]}") $(open_of "${pool[3]}")"
check "fair: the three active agents hold 291-292 open each, the disabled one none (counts: $counts)" \
	holds 'read -r a b c d <<<"$counts"; read -r low _ high <<<"$(printf "%s\n" "$a" "$b" "$c" | sort -n | tr "\n" " ")";
		[ $((a + b + c)) = 875 ] && [ "$d" = 0 ] && [ $((high - low)) -le 1 ]'
first_batch=$(sql "SELECT GROUP_CONCAT(n ORDER BY n) FROM (SELECT COUNT(*) AS n FROM complaints WHERE id > $first AND description LIKE 'Bins overflowing, batch one,%' GROUP BY assigned_agent_id) x")
check "the first 500 went round the four, 125 each, and the disabled agent's 125 are back in the queue (counts: $first_batch)" \
	holds '[ "$first_batch" = "125,125,125,125" ] &&
		[ "$(sql "SELECT COUNT(*) FROM complaints WHERE id > $first AND status = \"submitted\"")" = 125 ]'
check "every one of the 1,000 was assigned by the system (actor NULL), each with its message to the agent" \
	holds '[ "$(sql "SELECT COUNT(*) FROM status_track WHERE complaint_id > $first AND action = \"assign\" AND actor_id IS NULL")" = 1000 ] &&
		[ "$(sql "SELECT COUNT(*) FROM notifications WHERE complaint_id > $first AND kind = \"assigned\" AND account_id IN ($(IFS=,; echo "${pool[*]}"))")" = 1000 ]'
get admin "/complaints/$((first + 1))"
check "the complaint's page shows the assignment as automatic" holds 'grep -q "automatic" <<<"$body"'
