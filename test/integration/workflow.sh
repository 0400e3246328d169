#!/usr/bin/env bash
# workflow.sh: the status machine through the browser's forms, on a full stack of its own: every
# transition of core/workflow.c's table by its allowed actor (resident, field agent, admin), and at
# each state every (action, actor) the table does not allow answered 404 (who may not see the
# complaint), 403 (someone else's action) or 409 (not from this state) with nothing changed — the
# version, the status and the history as they were; a page out of date refused with 409; two admins
# assigning the same complaint at the same instant, many times, through nginx: one wins, the other
# gets 409, one status_track row per success; "fixed" only after the resident confirms; internal
# notes and a decline's reason never on any of the resident's pages; a resolve with a photo of the
# fix (cleaned and stored like a filing's photo, served to the complaint's viewers only), a bad
# photo refused with nothing changed, and a resolve without one.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 29
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up workflow workflow.feedback_period=5m
"$complaintctl" -c "$stack_dir/complaintd.conf" migrate --migrations "$top/db/migrations" >"$scratch/migrate.out" 2>&1 || {
	echo "Bail out! complaintctl migrate failed"; diag "$(cat "$scratch/migrate.out")"; exit 1; }

photo="$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg"
[ -f "$photo" ] || { echo "Bail out! no fixture $photo"; exit 1; }
state_of() { sql "SELECT CONCAT(status, '/', version, '/', COALESCE(closing_reason, '-'), '/', COALESCE(assigned_agent_id, 0), '/', (SELECT COUNT(*) FROM status_track WHERE complaint_id = $1), '/', (SELECT COUNT(*) FROM updates WHERE complaint_id = $1)) FROM complaints WHERE id = $1"; }

staff admin admin.$$@example.org "Ada Admin"
staff admin admin2.$$@example.org "Abe Admin"
staff agent amy.$$@example.org "Amy Agent"
staff agent abel.$$@example.org "Abel Agent"
signin admin admin.$$@example.org
signin admin2 admin2.$$@example.org
signin amy amy.$$@example.org
signin abel abel.$$@example.org
signup ann "Ann Resident" "ann.$$@example.org"
signup bob "Bob Neighbour" "bob.$$@example.org"
amy_id=$(id_of "amy.$$@example.org")
abel_id=$(id_of "abel.$$@example.org")
# A form token for complaints' status forms is the session's, the same on every complaint's page:
# each caller takes theirs from a page of their own (a complaint they filed), so a refusal below is
# the workflow's, not the CSRF check's.
for who in bob amy abel; do file_complaint "$who"; change "$who" "$filed" nothing >/dev/null; done
# Each actor's browser: the reporter, another resident, the agent the tests assign (amy), another
# agent, an admin.
actors=(ann bob amy abel admin)

# The table, written again by hand: "state action actor" allowed.
allowed="submitted assign admin
assigned accept amy
assigned decline amy
assigned reassign admin
in_progress reassign admin
in_progress resolve amy
resolved confirm ann
resolved reopen ann
submitted reject admin
assigned reject admin
in_progress reject admin
submitted withdraw ann
assigned unassign admin
in_progress unassign admin
resolved auto_close system"
actions=(assign accept decline reassign resolve confirm reopen reject withdraw unassign auto_close)

# refusals ID: at the complaint's state, every action by every actor the table does not allow,
# naming the complaint's current version: 404 when the actor may not see it (bob; amy when it is
# not hers; abel), else 403 when the action exists in this state for someone else, else 409; after
# them the complaint is as it was (status, version, closing reason, agent, history, updates).
# Sets refusal_errors ("" when all were right) and refusal_count.
refusals() {
	local id=$1 state agent version_now before after action actor expected visible
	state=$(sql "SELECT status FROM complaints WHERE id = $id")
	version_now=$(sql "SELECT version FROM complaints WHERE id = $id")
	agent=$(sql "SELECT COALESCE(assigned_agent_id, 0) FROM complaints WHERE id = $id")
	refusal_errors= refusal_count=0
	before=$(state_of "$id")
	for action in "${actions[@]}"; do
		for actor in "${actors[@]}"; do
			grep -qx "$state $action $actor" <<<"$allowed" && continue
			case $actor in
			bob | abel) visible=no ;;
			amy) if [ "$agent" = "$amy_id" ]; then visible=yes; else visible=no; fi ;;
			*) visible=yes ;;
			esac
			if [ $visible = no ]; then expected=404
			elif grep -q "^$state $action " <<<"$allowed"; then expected=403
			else expected=409; fi
			change --version "$version_now" "$actor" "$id" "$action" "reason=because" "agent=$abel_id" rating=3 \
				closing_reason=not_responsible
			refusal_count=$((refusal_count + 1))
			[ "$status" = "$expected" ] || refusal_errors+="$state $action $actor: $status (expected $expected); "
		done
	done
	# Versions only grow and history only lengthens: one look after them all sees any change.
	after=$(state_of "$id")
	[ "$before" = "$after" ] || refusal_errors+="the complaint changed: $before -> $after; "
}
# moved LABEL EXPECTED-STATUS EXPECTED-TRACK-ACTION: the last change answered with a redirect, and
# the complaint's last status_track row is that action by the right account.
last_action() { sql "SELECT CONCAT(action, ' ', to_status) FROM status_track WHERE complaint_id = $1 ORDER BY id DESC LIMIT 1"; }

# ---- one complaint through the whole loop ----
file_complaint ann; c1=$filed
refusals "$c1"
check "submitted: $refusal_count refused (state, action, actor), each 404/403/409 changing nothing ${refusal_errors}" \
	holds '[ -z "$refusal_errors" ] && [ "$refusal_count" -gt 40 ]'
# An assignment to someone who is not an active agent: the sentence, nothing changed, from a
# current page or an old one (the UPDATE checks the agent; the one agent is read when it refused);
# to an active agent from an old page: 409.
staff agent "dora.$$@example.org" "Dora Agent"
dora_id=$(id_of "dora.$$@example.org")
sql "UPDATE accounts SET disabled_at = UTC_TIMESTAMP(3) WHERE id = $dora_id"
before=$(state_of "$c1")
not_agents=
for who in "$dora_id" "$(id_of "ann.$$@example.org")" 999999 abc; do
	change admin "$c1" assign "agent=$who"
	not_agents+="$status:$(grep -c 'Please choose an active agent (not the one it is assigned to now)\.' <<<"$body") "
done
change --version 7 admin "$c1" assign "agent=$dora_id"; not_agents+="old page $status, "
change --version 7 admin "$c1" assign "agent=$amy_id"; not_agents+="an agent from an old page $status"
check "assigning to a disabled agent, a resident, no account, no number: 422 with the sentence, nothing changed ($not_agents)" \
	holds '[ "$not_agents" = "422:1 422:1 422:1 422:1 old page 422, an agent from an old page 409" ] && [ "$(state_of "$c1")" = "$before" ]'
change admin "$c1" assign "agent=$amy_id"; a1="$status $(last_action "$c1")"
get amy "/complaints/$c1"; amy_sees=$status
check "the admin assigns it to an agent ($a1) and the agent now sees it ($amy_sees)" \
	holds '[ "$a1" = "303 assign assigned" ] && [ "$amy_sees" = 200 ]'
refusals "$c1"
check "assigned: $refusal_count refused, nothing changed ${refusal_errors}" holds '[ -z "$refusal_errors" ]'
marker_note="internal-note-marker-$$"
marker_decline="decline-marker-$$"
get amy "/complaints/$c1"
post amy "/complaints/$c1/notes" "csrf=$(csrf_of "$body" "/complaints/$c1/notes")" "body=$marker_note" internal=1
note_status=$status
change amy "$c1" decline "reason=$marker_decline"; d1="$status $location $(last_action "$c1")"
get amy "/complaints/$c1"; amy_after=$status
check "the agent adds an internal note ($note_status) and declines with a reason ($d1): back in the queue, gone from the agent ($amy_after)" \
	holds '[ "$note_status" = 303 ] && [ "$d1" = "303 /agent decline submitted" ] && [ "$amy_after" = 404 ]'
get admin "/complaints/$c1"
check "the admin's page shows the decline's reason and the internal note" \
	holds 'grep -q "$marker_decline" <<<"$body" && grep -q "$marker_note" <<<"$body"'
change admin "$c1" assign "agent=$amy_id"
change admin "$c1" reassign "agent=$abel_id"; r1="$status $(last_action "$c1")"
get amy "/complaints/$c1"; amy_after=$status
change abel "$c1" accept; ac1="$status $(last_action "$c1")"
check "reassigned to another agent ($r1): the first one gets 404 ($amy_after), the new one accepts ($ac1)" \
	holds '[ "$r1" = "303 reassign assigned" ] && [ "$amy_after" = 404 ] && [ "$ac1" = "303 accept in_progress" ]'
change admin "$c1" reassign "agent=$amy_id"
change amy "$c1" accept
refusals "$c1"
check "in_progress: $refusal_count refused, nothing changed ${refusal_errors}" holds '[ -z "$refusal_errors" ]'
change amy "$c1" resolve "reason=Pipe replaced and the road dried"; rs1="$status $(last_action "$c1")"
get ann "/complaints/$c1"
check "the agent resolves with a public note ($rs1): the resident reads it and is asked whether it is fixed, not told it is" \
	holds '[ "$rs1" = "303 resolve resolved" ] && grep -q "Pipe replaced" <<<"$body" && grep -q "is it fixed" <<<"$body" &&
		! grep -q "Fixed —" <<<"$body" && grep -q "action-confirm" <<<"$body" && grep -q "action-reopen" <<<"$body"'
refusals "$c1"
check "resolved: $refusal_count refused, nothing changed ${refusal_errors}" holds '[ -z "$refusal_errors" ]'
file_complaint ann; sooner=$filed
change admin "$sooner" assign "agent=$amy_id"
sql "UPDATE complaints SET due_at = due_at - INTERVAL 30 DAY WHERE id = $sooner"
change ann "$c1" reopen "reason=Still leaking at the corner"; ro1="$status $(last_action "$c1")"
reopened=$(sql "SELECT CONCAT(assigned_agent_id = $amy_id, reopened_at IS NOT NULL) FROM complaints WHERE id = $c1")
get admin /admin/reopened; admin_reopened=$body
get amy /agent; console=$body
first_on_console=$(grep -o 'href="/complaints/[0-9]*"' <<<"$console" | head -n 1)
get abel /agent; abel_console=$body
check "a reopened complaint leads the agent's console ($first_on_console), before one due sooner, and shows on the admin's reopened list, not on another agent's console" \
	holds '[ "$first_on_console" = "href=\"/complaints/$c1\"" ] && grep -q "href=\"/complaints/$sooner\"" <<<"$console" && grep -q "href=\"/complaints/$c1\"" <<<"$admin_reopened" &&
		! grep -q "href=\"/complaints/$c1\"" <<<"$abel_console"'
change amy "$c1" accept
cleared=$(sql "SELECT reopened_at IS NULL FROM complaints WHERE id = $c1")
check "the resident reopens ($ro1): assigned to the same agent, marked reopened ($reopened) until the agent acts ($cleared)" \
	holds '[ "$ro1" = "303 reopen assigned" ] && [ "$reopened" = 11 ] && [ "$cleared" = 1 ]'
change amy "$c1" resolve "reason=Second repair done"
change ann "$c1" confirm rating=4 "comment=Thanks"; cf1="$status $(last_action "$c1")"
feedback=$(sql "SELECT rating FROM feedback WHERE complaint_id = $c1")
get ann "/complaints/$c1"
check "the resident confirms with a rating ($cf1, rating $feedback): the page says fixed" \
	holds '[ "$cf1" = "303 confirm closed" ] && [ "$feedback" = 4 ] && grep -q "Fixed — you confirmed it." <<<"$body"'
refusals "$c1"
check "closed: $refusal_count refused, nothing changed ${refusal_errors}" holds '[ -z "$refusal_errors" ]'

# ---- the other ends: withdraw, reject (a duplicate), unassign ----
file_complaint ann; c2=$filed
get admin /admin/unassigned; unassigned=$body
change ann "$c2" withdraw; w2="$status $(last_action "$c2")"
get admin /admin/unassigned; unassigned_after=$body
get ann "/complaints/$c2"
check "the resident withdraws a submitted complaint ($w2): closed, withdrawn, never fixed, gone from the admin's unassigned list" \
	holds '[ "$w2" = "303 withdraw closed" ] && grep -q "Withdrawn by you." <<<"$body" && ! grep -q "Fixed" <<<"$body" &&
		grep -q "href=\"/complaints/$c2\"" <<<"$unassigned" && ! grep -q "href=\"/complaints/$c2\"" <<<"$unassigned_after"'
file_complaint ann; c3=$filed
change admin "$c3" reject closing_reason=duplicate duplicate_of=999999 "reason=Reported before"; bad_dup="$status $(state_of "$c3")"
change admin "$c3" reject closing_reason=duplicate "duplicate_of=$c1" "reason=Reported before"; rj3="$status $(last_action "$c3")"
get ann "/complaints/$c3"
check "a duplicate needs an existing original ($bad_dup); rejected as one ($rj3) the resident reads why and a link to it" \
	holds '[[ $bad_dup == "422 submitted/0/"* ]] && [ "$rj3" = "303 reject rejected" ] && grep -q "Reported before" <<<"$body" &&
		grep -q "href=\"/complaints/$c1\"" <<<"$body"'
refusals "$c3"
check "rejected: $refusal_count refused, nothing changed ${refusal_errors}" holds '[ -z "$refusal_errors" ]'
file_complaint ann; c4=$filed
change admin "$c4" assign "agent=$amy_id"
change admin "$c4" unassign "reason=unassign-marker-$$"; u4="$status $(last_action "$c4")"
change admin "$c4" assign "agent=$amy_id"; change amy "$c4" accept
change admin "$c4" unassign "reason=unassign-marker-$$"; u4b="$status $(last_action "$c4")"
change admin "$c4" reject closing_reason=no_further_action "reason=Not needed"; rj4="$status $(last_action "$c4")"
check "an admin puts assigned ($u4) and in-progress ($u4b) complaints back in the queue, and rejects ($rj4)" \
	holds '[ "$u4" = "303 unassign submitted" ] && [ "$u4b" = "303 unassign submitted" ] && [ "$rj4" = "303 reject rejected" ]'
logged=$(sql "SELECT COUNT(*) FROM admin_log WHERE target_complaint_id IN ($c1, $c3, $c4)")
check "every admin action on a complaint wrote admin_log ($logged rows)" holds '[ "$logged" -ge 10 ]'

# ---- a page out of date ----
file_complaint ann; c5=$filed
change admin "$c5" assign "agent=$amy_id"
before=$(state_of "$c5")
change --version 0 admin "$c5" reassign "agent=$abel_id"; stale=$status
check "a change naming the version an older page showed is refused (409) and changes nothing" \
	holds '[ "$stale" = 409 ] && [ "$before" = "$(state_of "$c5")" ] && grep -q "Reload the page" <<<"$body"'

# ---- two admins, one complaint, the same instant, through nginx ----
races=20 wins=0 losses=0 others= double=
for _ in $(seq "$races"); do
	file_complaint ann; id=$filed
	get admin "/complaints/$id"; t1=$(csrf_of "$body" "/complaints/$id/status")
	get admin2 "/complaints/$id"; t2=$(csrf_of "$body" "/complaints/$id/status")
	version=$(sql "SELECT version FROM complaints WHERE id = $id")
	for pair in "admin $t1 $amy_id" "admin2 $t2 $abel_id"; do
		read -r who token agent <<<"$pair"
		curl -s -o /dev/null -w '%{http_code}\n' -b "$scratch/$who.jar" -H "Origin: $url" \
			--data-urlencode "csrf=$token" --data-urlencode "version=$version" --data-urlencode action=assign \
			--data-urlencode "agent=$agent" "$url/complaints/$id/status" >"$scratch/race-$who" &
	done
	wait
	answers=$(sort "$scratch/race-admin" "$scratch/race-admin2" | tr '\n' ' ')
	case $answers in
	"303 409 ") wins=$((wins + 1)) losses=$((losses + 1)) ;;
	*) others+="$answers; " ;;
	esac
	rows=$(sql "SELECT COUNT(*) FROM status_track WHERE complaint_id = $id AND action = 'assign'")
	[ "$rows" = 1 ] || double+="$id: $rows rows; "
done
check "two admins assign at once $races times: one wins (303), the other gets 409 each time ($wins/$losses ${others})" \
	holds '[ "$wins" = "$races" ] && [ "$losses" = "$races" ] && [ -z "$others" ]'
check "exactly one status_track row per winning assignment ${double}" holds '[ -z "$double" ]'

# ---- what the resident never sees ----
leaks=
for path in /complaints "/complaints/$c1" "/complaints/$c4" "/complaints?page=1"; do
	get ann "$path"
	for marker in "$marker_note" "$marker_decline" "unassign-marker-$$"; do
		grep -q "$marker" <<<"$body" && leaks+="$path has $marker; "
	done
done
check "no internal note, decline or unassign reason on any of the resident's pages ${leaks}" holds '[ -z "$leaks" ]'

# ---- the timer: resolved and unanswered for the feedback period (5 min here) ----
file_complaint ann; c6=$filed
change admin "$c6" assign "agent=$amy_id"; change amy "$c6" accept; change amy "$c6" resolve "reason=Fixed the valve"
sql "UPDATE complaints SET resolved_at = resolved_at - INTERVAL 6 MINUTE WHERE id = $c6"
closed_by_timer() { [ "$(sql "SELECT CONCAT(status, ' ', closing_reason) FROM complaints WHERE id = $c6")" = "closed no_feedback" ]; }
wait_until 45000 closed_by_timer; auto="$(last_action "$c6")"
get ann "/complaints/$c6"
timer_named=$(pgrep -P "$(cat "$stack_dir/complaintd.pid" 2>/dev/null || echo 0)" -x timer | wc -l)
check "the timer child ($timer_named in ps) closes a resolved complaint nobody answered ($auto): the resident reads 'not confirmed by you', not fixed" \
	holds '[ "$auto" = "auto_close closed" ] && grep -q "Resolved — not confirmed by you." <<<"$body" && ! grep -q "Fixed —" <<<"$body"'

# ---- a resolve with a photo of the fix ----
file_complaint ann; c7=$filed
change admin "$c7" assign "agent=$amy_id"; change amy "$c7" accept
get amy "/complaints/$c7"
resolve_form=$(sed -n '\#<form[^>]*id="action-resolve"#,\#</form>#p' <<<"${body//</$'\n'<}")
printf 'This is a text file, not a photo of a repaired pipe.\n' >"$scratch/not-a-photo.jpg"
before=$(state_of "$c7")
change --multipart amy "$c7" resolve --form-string "reason=Valve replaced" -F "photo=@$scratch/not-a-photo.jpg;type=image/jpeg"
bad_photo="$status $(text_of "$body" 2000)"
check "the agent's resolve form is multipart with an optional photo; a file that is no photo is refused (${bad_photo:0:3}) with a sentence, and the complaint is as it was" \
	holds 'grep -q "enctype=\"multipart/form-data\"" <<<"$resolve_form" && grep -q "type=\"file\" name=\"photo\"" <<<"$resolve_form" &&
		! grep -q "required" <<<"$(grep "name=\"photo\"" <<<"$resolve_form")" &&
		[[ $bad_photo == "422 "*"not marked resolved"* ]] && [ "$before" = "$(state_of "$c7")" ]'
# Over upload_max_bytes (8M here), under nginx's cap: the form reader drops it; never a resolve
# without the photo the agent sent.
head -c $((8 * 1024 * 1024 + 200 * 1024)) /dev/zero >"$scratch/huge.jpg"
change --multipart amy "$c7" resolve --form-string "reason=Valve replaced" -F "photo=@$scratch/huge.jpg;type=image/jpeg"
huge_photo="$status $(text_of "$body" 2000)"
rm -f "$scratch/huge.jpg"
check "a photo of the fix over the 8 MB limit is refused (${huge_photo:0:3}) saying the limit, and the complaint is as it was (not resolved without it)" \
	holds '[[ $huge_photo == "422 "*"larger than 8 MB"*"not marked resolved"* ]] && [ "$before" = "$(state_of "$c7")" ]'
change --multipart amy "$c7" resolve --form-string "reason=Valve replaced, photo attached" -F "photo=@$photo"
rs7="$status $(last_action "$c7")"
fix_key=$(sql "SELECT image_key FROM updates WHERE complaint_id = $c7 AND image_key IS NOT NULL")
update7=$(sql "SELECT id FROM updates WHERE complaint_id = $c7 AND image_key IS NOT NULL")
get ann "/complaints/$c7"; ann_page=$body
fix_path="/complaints/$c7/updates/$update7/photo"
check "the agent resolves with a photo of the fix ($rs7): the resident's page shows it with the agent's note" \
	holds '[ "$rs7" = "303 resolve resolved" ] && [[ $fix_key =~ ^[0-9a-f]{64}$ ]] &&
		grep -q "<img class=\"update-photo\" src=\"$fix_path\"" <<<"$ann_page" && grep -q "Valve replaced, photo attached" <<<"$ann_page"'
served=
for who in ann amy admin; do
	get "$who" "$fix_path"
	served+="$who $status $(grep -i '^content-type:' <<<"$headers" | sed 's/^[^:]*: *//') $(sha256sum <"$scratch/body" | cut -c1-64); "
	cp "$scratch/body" "$scratch/fix-$who.jpg"
done
uploaded=$(sha256sum <"$photo" | cut -c1-64)
get bob "$fix_path"; bob_fix=$status
get abel "$fix_path"; abel_fix=$status
expected_served=
for who in ann amy admin; do expected_served+="$who 200 image/jpeg $fix_key; "; done
check "the photo's route serves the cleaned bytes (their hash is the stored key, not the upload's; no GPS left) to the reporter, the agent and an admin; another resident ($bob_fix) and another agent ($abel_fix) get 404" \
	holds '[ "$served" = "$expected_served" ] && [ "$fix_key" != "$uploaded" ] && grep -qa GPS "$photo" && ! grep -qa GPS "$scratch/fix-ann.jpg" &&
		[ "$bob_fix" = 404 ] && [ "$abel_fix" = 404 ]'
# An internal note with a photo (the store's rows allow one): never served to the resident.
internal7=$(sql "INSERT INTO updates (complaint_id, author_id, internal, body, image_key) VALUES ($c7, $amy_id, 1, 'staff-photo-$$', '$fix_key'); SELECT LAST_INSERT_ID()")
get ann "/complaints/$c7/updates/$internal7/photo"; ann_internal=$status
get amy "/complaints/$c7/updates/$internal7/photo"; amy_internal=$status
get ann "/complaints/$c1/updates/$update7/photo"; other_complaint=$status
change ann "$c7" reopen "reason=The valve drips again"
change amy "$c7" accept
change --multipart amy "$c7" resolve --form-string "reason=Valve tightened, no photo"; rs7b="$status $(last_action "$c7")"
plain=$(sql "SELECT COALESCE(image_key, 'none') FROM updates WHERE complaint_id = $c7 AND body = 'Valve tightened, no photo'")
get ann "/complaints/$c7"; photos_shown=$(grep -o '<img class="update-photo"' <<<"$body" | wc -l)
check "an internal note's photo is 404 to the resident ($ann_internal; $amy_internal to the agent), an update's photo only under its own complaint ($other_complaint); resolving again without a photo works ($rs7b, photo $plain) and the page shows the one photo ($photos_shown)" \
	holds '[ "$ann_internal" = 404 ] && [ "$amy_internal" = 200 ] && [ "$other_complaint" = 404 ] &&
		[ "$rs7b" = "303 resolve resolved" ] && [ "$plain" = none ] && [ "$photos_shown" = 1 ] && grep -q "Valve tightened, no photo" <<<"$body"'
