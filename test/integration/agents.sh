#!/usr/bin/env bash
# agents.sh: the admin's agents page on a full stack of its own: an admin invites an agent, whose
# set-password link goes by mail only (read from maildev; the page never shows it); the invited account signs in with nothing until the link's form
# is posted; opening the link (twice) uses nothing, a weak password or a differing confirmation is
# refused and leaves the link usable, a good one sets the password (the agent then signs in and
# works from /agent) and uses the link up; a used, expired or unknown link is refused (410, 404)
# changing nothing; the token is stored only as its hash, and is in no log; the page sends
# Referrer-Policy: strict-origin; a duplicate email invites nobody. Disabling an agent ends their
# session at their next request, puts their assigned, reopened and in-progress complaints back in
# the queue (one unassign row each, version bumped, on the admin's unassigned list) and they cannot
# sign in; a resolved complaint of theirs that its resident reopens goes back to the queue too,
# still reopened, and stays reopened when assigned to another agent; only admins reach any of it.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 23
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
# Failed sign-ins are part of this test: no throttling delay may stand in for a refusal.
test_full_stack_up agents auth.signin_pair_free_failures=50 auth.signin_email_free_failures=50
test_migrate

staff admin "admin.$$@example.org" "Ada Admin"
staff agent "abel.$$@example.org" "Abel Agent"
signin admin "admin.$$@example.org"
signin abel "abel.$$@example.org"
signup ann "Ann Resident" "ann.$$@example.org"
admin_id=$(sql "SELECT id FROM accounts WHERE email = 'admin.$$@example.org'")
abel_id=$(sql "SELECT id FROM accounts WHERE email = 'abel.$$@example.org'")
amy_email="amy.$$@example.org"
counts() { sql "SELECT CONCAT((SELECT COUNT(*) FROM accounts), '/', (SELECT COUNT(*) FROM tokens), '/', (SELECT COUNT(*) FROM admin_log))"; }
# invite NAME EMAIL: the admin's invitation through the agents page's form.
invite() {
	get admin /admin/agents
	post admin /admin/agents "csrf=$(csrf_of "$body" /admin/agents)" "name=$1" "email=$2"
}
# invited_link EMAIL: the set-password link of the invitation mailed to EMAIL (the notifier mints
# it when it sends).
invited_link() { mail_link "$1" /set-password || { echo "Bail out! no invitation mail to $1"; exit 1; }; }
# open_link BROWSER TOKEN / set_password BROWSER TOKEN PASSWORD CONFIRMATION: the link's page, and
# its form's POST with the page's form token.
open_link() { get "$1" "/set-password?token=$2"; }
set_password() {
	open_link "$1" "$2"
	post "$1" /set-password "csrf=$(csrf_of "$body" /set-password)" "token=$2" "password=$3" "confirmation=$4"
}
# try_signin BROWSER EMAIL PASSWORD: one sign-in; status and location as fetch sets them.
try_signin() {
	get "$1" /signin
	post "$1" /signin "email=$2" "password=$3" "csrf=$(csrf_of "$body" /signin)"
}
hash_of() { sql "SELECT password_hash FROM accounts WHERE email = '$1'"; }
token_state() { sql "SELECT CONCAT(used_at IS NOT NULL, '/', expires_at > UTC_TIMESTAMP(3)) FROM tokens WHERE token_hash = UNHEX(SHA2('$1', 256))"; }

# ---- the invitation ----
before=$(counts)
invite "Amy Agent" "$amy_email"; invited=$status invite_page=$body
link=$(invited_link "$amy_email"); token=$(token_of "$link")
amy_id=$(sql "SELECT id FROM accounts WHERE email = '$amy_email'")
row=$(sql "SELECT CONCAT(a.role, ' ', a.password_hash, ' ', t.purpose, ' ', TIMESTAMPDIFF(SECOND, t.created_at, t.expires_at))
	FROM accounts a JOIN tokens t ON t.account_id = a.id WHERE a.email = '$amy_email'")
logged=$(sql "SELECT COUNT(*) FROM admin_log WHERE actor_id = $admin_id AND action = 'invite_agent' AND target_account_id = $amy_id")
check "the admin invites an agent ($invited): the answer says a mail with a single-use link valid 24 hours is on its way and shows no link; the mail's token is 43 characters; an agent account without a password and an agent_invite token of 24 h are stored ($row), and admin_log records it" \
	holds '[ "$invited" = 201 ] && [ ${#token} = 43 ] && grep -q "invitation mail is on its way" <<<"$invite_page" &&
		grep -q "24 hours" <<<"$invite_page" && ! grep -q "token=" <<<"$invite_page" &&
		[ "$row" = "agent ! agent_invite 86400" ] && [ "$logged" = 1 ]'
get admin /admin/agents; agents_page=$body
check "the agents page, seen again, lists the invited agent without the link" \
	holds 'grep -q "$amy_email" <<<"$agents_page" && grep -q "has not set a password" <<<"$agents_page" &&
		! grep -qF "$token" <<<"$agents_page" && ! grep -q "set-password?token" <<<"$agents_page"'
stored=$(sql "SELECT COUNT(*) FROM tokens WHERE token_hash = UNHEX(SHA2('$token', 256))")
in_clear=$(sql "SELECT COUNT(*) FROM tokens WHERE LOCATE('$token', CONCAT_WS(' ', purpose, token_hash, HEX(token_hash), created_at, expires_at)) > 0")
check "only the token's SHA-256 is stored ($stored row by hash, $in_clear holding the text)" \
	holds '[ "$stored" = 1 ] && [ "$in_clear" = 0 ]'

# ---- before the link is used, nothing signs the invited account in ----
wrong= guesses=("" "!" "$password" "Amy Agent" "$amy_email")
for guess in "${guesses[@]}"; do
	try_signin amy "$amy_email" "$guess"
	[ "$status" = 401 ] && grep -q "Wrong email or password." <<<"$body" || wrong+="'$guess': $status; "
done
sessions=$(sql "SELECT COUNT(*) FROM sessions WHERE account_id = $amy_id")
check "the invited account cannot sign in before setting a password: ${#guesses[@]} tries, the empty one among them, answer 401 ($sessions sessions) ${wrong}" \
	holds '[ -z "$wrong" ] && [ "$sessions" = 0 ]'

# ---- opening the link uses nothing ----
open_link amy "$token"; first="$status" first_headers=$headers
open_link amy "$token"; second="$status" form_page=$body amy_form=$(csrf_of "$body" /set-password)
check "opening the link twice shows the form both times ($first, $second) for the invited account, and uses nothing ($(token_state "$token"))" \
	holds '[ "$first $second" = "200 200" ] && grep -q "$amy_email" <<<"$form_page" && grep -q "action=\"/set-password\"" <<<"$form_page" &&
		[ "$(token_state "$token")" = 0/1 ] && [ "$(hash_of "$amy_email")" = "!" ]'
referrer=$(grep -i '^referrer-policy:' <<<"$first_headers" | tr '\n' ' ')
check "the link's page says Referrer-Policy: strict-origin, alone ($referrer), and is not cached" \
	holds '[ "$referrer" = "Referrer-Policy: strict-origin " ] && grep -qi "^cache-control: no-store" <<<"$first_headers"'

# ---- refusals that leave the link usable ----
set_password amy "$token" short short; weak="$status"
set_password amy "$token" "$password" "${password}x"; differ="$status"
set_password amy "$token" "" ""; empty="$status"
check "a password under the policy ($weak), a differing confirmation ($differ) or none ($empty) is refused with the form, and the link stays usable ($(token_state "$token"))" \
	holds '[ "$weak $differ $empty" = "422 422 422" ] && [ "$(token_state "$token")" = 0/1 ] && [ "$(hash_of "$amy_email")" = "!" ]'
post amy /set-password "token=$token" "password=$password" "confirmation=$password"; no_form_token=$status
check "a POST without the page's form token is refused ($no_form_token) and uses nothing" \
	holds '[ "$no_form_token" = 403 ] && [ "$(token_state "$token")" = 0/1 ]'

# ---- the good password ----
set_password amy "$token" "$password" "$password"; set="$status $location"
get amy "$location"; notice=$(grep -c "Your password is set" <<<"$body")
amy_hash=$(hash_of "$amy_email")
signin amy "$amy_email"
get amy /agent; console=$status
check "a good password is set ($set, the sign-in page says so): the link is used up ($(token_state "$token")), and the agent signs in and sees /agent ($console)" \
	holds '[ "$set" = "303 /signin?password=set" ] && [ "$notice" = 1 ] && [ "$(token_state "$token")" = 1/1 ] && [[ $amy_hash == \$argon2id* ]] && [ "$console" = 200 ]'
# The form posted again (the browser's back button, another tab).
post amy /set-password "csrf=$amy_form" "token=$token" "password=Another-good-passphrase" \
	"confirmation=Another-good-passphrase"; again=$status
open_link ann "$token"; reopened=$status
check "the link used once is refused after (POST $again, GET $reopened, 'already used') and changes nothing" \
	holds '[ "$again" = 410 ] && [ "$reopened" = 410 ] && grep -q "already used" <<<"$body" && [ "$(hash_of "$amy_email")" = "$amy_hash" ]'

# ---- expired and unknown links ----
# Eve opens her link in time, and posts its form after it has expired. (Writes name the account,
# never the token's text: the binary log keeps the statements of writes.)
invite "Eve Agent" "eve.$$@example.org"; eve_token=$(token_of "$(invited_link "eve.$$@example.org")")
eve_id=$(sql "SELECT id FROM accounts WHERE email = 'eve.$$@example.org'")
open_link eve "$eve_token"; eve_form=$(csrf_of "$body" /set-password)
sql "UPDATE tokens SET created_at = created_at - INTERVAL 25 HOUR, expires_at = expires_at - INTERVAL 25 HOUR WHERE account_id = $eve_id"
open_link eve "$eve_token"; expired_get=$status expired_text=$body
post eve /set-password "csrf=$eve_form" "token=$eve_token" "password=$password" "confirmation=$password"; expired_post=$status
check "an expired link is refused (GET $expired_get, POST $expired_post: 'expired') and sets nothing" \
	holds '[ "$expired_get $expired_post" = "410 410" ] && grep -q "expired" <<<"$expired_text" && [ "$(hash_of "eve.$$@example.org")" = "!" ]'
open_link eve "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"; unknown=$status
open_link eve "not-a-token"; malformed=$status
get eve /set-password; missing=$status
check "an unknown, a malformed or no token is 404 ($unknown, $malformed, $missing)" \
	holds '[ "$unknown $malformed $missing" = "404 404 404" ]'

# ---- a duplicate email, and fields that cannot be an account's ----
before=$(counts)
invite "Amy Again" "AMY.$$@example.org"; duplicate=$status duplicate_text=$body
invite "" "not an email"; bad_fields=$status
check "inviting a registered email (in other letter case) is refused ($duplicate, with a sentence) and so are a missing name and a bad email ($bad_fields): nothing written" \
	holds '[ "$duplicate $bad_fields" = "409 422" ] && grep -q "already exists" <<<"$duplicate_text" && [ "$(counts)" = "$before" ]'

# ---- the token in no log ----
# (The mail sink's mailbox, $stack_dir/mail, holds the mails: that is where a link belongs.)
leaks=$(grep -rlaF --exclude-dir=mail -e "$token" -e "$eve_token" "$stack_dir" 2>/dev/null | tr '\n' ' ')
access_lines=$(grep -c '"GET /set-password HTTP' "$stack_dir/nginx/access.log")
check "no file of the stack but the mailbox (complaintd's and nginx's logs, the databases, the outbox) holds a token's text (${leaks:-none}); nginx logs the link's page without its query ($access_lines lines)" \
	holds '[ -z "$leaks" ] && [ "$access_lines" -ge 4 ]'

# ---- disabling an agent ----
file_complaint ann; assigned=$filed
change admin "$assigned" assign "agent=$amy_id"
file_complaint ann; working=$filed
change admin "$working" assign "agent=$amy_id"; change amy "$working" accept
file_complaint ann; reopen=$filed
change admin "$reopen" assign "agent=$amy_id"; change amy "$reopen" accept
change amy "$reopen" resolve "reason=Valve replaced"; change ann "$reopen" reopen "reason=Still leaking"
file_complaint ann; resolved=$filed
change admin "$resolved" assign "agent=$amy_id"; change amy "$resolved" accept; change amy "$resolved" resolve "reason=Done"
setup=$(sql "SELECT GROUP_CONCAT(CONCAT(status, IF(reopened_at IS NULL, '', '+reopened')) ORDER BY id) FROM complaints WHERE assigned_agent_id = $amy_id")
[ "$setup" = "assigned,in_progress,assigned+reopened,resolved" ] || { echo "Bail out! the agent's complaints are $setup"; exit 1; }
versions_before=$(sql "SELECT GROUP_CONCAT(version ORDER BY id) FROM complaints WHERE id IN ($assigned, $working, $reopen)")
get admin /admin/agents
open_count=$(sed -n "/id=\"agent-$amy_id\"/,/<\/tr>/p" <<<"${body//</$'\n'<}" | sed -n 's/.*class="agent-open">\([0-9]*\).*/\1/p')
post admin "/admin/agents/$amy_id/disable" "csrf=$(csrf_of "$body" "/admin/agents/$amy_id/disable")"; disabled="$status $location"
get amy /agent; amy_next="$status $location"
check "the admin disables the agent ($disabled; the page showed $open_count open complaints): the agent's next request is signed out ($amy_next), their sessions gone" \
	holds '[ "$disabled" = "303 /admin/agents?disabled=$amy_id" ] && [ "$open_count" = 3 ] && [ "$amy_next" = "303 /signin?next=/agent" ] &&
		[ "$(sql "SELECT COUNT(*) FROM sessions WHERE account_id = $amy_id")" = 0 ]'
back=$(sql "SELECT GROUP_CONCAT(CONCAT(status, '/', COALESCE(assigned_agent_id, '-'), '/', reopened_at IS NULL) ORDER BY id) FROM complaints WHERE id IN ($assigned, $working, $reopen)")
versions_after=$(sql "SELECT GROUP_CONCAT(version - 1 ORDER BY id) FROM complaints WHERE id IN ($assigned, $working, $reopen)")
tracks=$(sql "SELECT GROUP_CONCAT(CONCAT(from_status, '>', to_status, '/', actor_id) ORDER BY complaint_id) FROM status_track
	WHERE complaint_id IN ($assigned, $working, $reopen) AND action = 'unassign'")
still=$(sql "SELECT CONCAT(status, '/', assigned_agent_id) FROM complaints WHERE id = $resolved")
check "their assigned, in-progress and reopened complaints are back in submitted without an agent ($back), each version bumped once, one unassign row each by the admin ($tracks); the resolved one stays ($still)" \
	holds '[ "$back" = "submitted/-/1,submitted/-/1,submitted/-/1" ] && [ "$versions_after" = "$versions_before" ] &&
		[ "$tracks" = "assigned>submitted/$admin_id,in_progress>submitted/$admin_id,assigned>submitted/$admin_id" ] && [ "$still" = "resolved/$amy_id" ]'
get admin /admin/unassigned; unassigned=$body
get admin "/admin/agents?disabled=$amy_id"; agents_after=$body
logged=$(sql "SELECT CONCAT((SELECT COUNT(*) FROM admin_log WHERE action = 'disable_account' AND target_account_id = $amy_id AND actor_id = $admin_id), '/',
	(SELECT COUNT(*) FROM admin_log WHERE action = 'unassign' AND target_account_id = $amy_id))")
check "they are on the admin's unassigned list; the agents page says the agent is disabled, with no disable button; admin_log has the disable and each unassign ($logged)" \
	holds 'grep -q "href=\"/complaints/$assigned\"" <<<"$unassigned" && grep -q "href=\"/complaints/$working\"" <<<"$unassigned" &&
		grep -q "href=\"/complaints/$reopen\"" <<<"$unassigned" && grep -q "Amy Agent is disabled" <<<"$agents_after" &&
		! grep -q "/admin/agents/$amy_id/disable" <<<"$agents_after" && [ "$logged" = 1/3 ]'
get ann "/complaints/$reopen"
check "the resident's page does not show the disable's reason (staff only)" \
	holds '[ "$status" = 200 ] && ! grep -q "was disabled" <<<"$body"'
try_signin amy "$amy_email" "$password"; disabled_signin="$status"
check "the disabled agent cannot sign in with their password ($disabled_signin, 'Wrong email or password.')" \
	holds '[ "$disabled_signin" = 401 ] && grep -q "Wrong email or password." <<<"$body"'
# The resolved one, reopened by its resident after its agent was disabled: back to the queue.
change ann "$resolved" reopen "reason=Still dripping"; reopened="$status $location"
after_reopen=$(sql "SELECT CONCAT(status, '/', COALESCE(assigned_agent_id, '-'), '/', reopened_at IS NOT NULL) FROM complaints WHERE id = $resolved")
reopen_track=$(sql "SELECT GROUP_CONCAT(CONCAT(action, ':', from_status, '>', to_status, '/', actor_id)) FROM status_track
	WHERE complaint_id = $resolved AND id > (SELECT MAX(id) FROM status_track WHERE complaint_id = $resolved AND action = 'resolve')")
get admin /admin/reopened; admin_reopened=$body
get admin /admin/unassigned; unassigned=$body
check "a resident reopens a resolved complaint whose agent was disabled since ($reopened): it is submitted without an agent, still reopened ($after_reopen), one reopen row ($reopen_track), on the admin's reopened and unassigned lists" \
	holds '[ "$reopened" = "303 /complaints/$resolved" ] && [ "$after_reopen" = "submitted/-/1" ] &&
		[ "$reopen_track" = "reopen:resolved>submitted/$(sql "SELECT id FROM accounts WHERE email = '"'"'ann.$$@example.org'"'"'")" ] &&
		grep -q "href=\"/complaints/$resolved\"" <<<"$admin_reopened" && grep -q "href=\"/complaints/$resolved\"" <<<"$unassigned"'
change admin "$resolved" assign "agent=$abel_id"; assigned_again=$status
get abel /agent; abel_console=$body
check "assigned to another agent ($assigned_again), it stays reopened until that agent acts: first on their console, marked reopened" \
	holds '[ "$assigned_again" = 303 ] && [ "$(sql "SELECT CONCAT(status, '"'"'/'"'"', assigned_agent_id, '"'"'/'"'"', reopened_at IS NOT NULL) FROM complaints WHERE id = $resolved")" = "assigned/$abel_id/1" ] &&
		[ "$(grep -o "href=\"/complaints/[0-9]*\"" <<<"$abel_console" | head -n 1)" = "href=\"/complaints/$resolved\"" ] &&
		sed -n "/href=\"\/complaints\/$resolved\"/,/<\/li>/p" <<<"$abel_console" | grep -q "Reopened"'
tracks_before=$(sql "SELECT COUNT(*) FROM status_track")
get admin /admin/agents; disable_form=$(csrf_of "$body" "/admin/agents/$abel_id/disable")
post admin "/admin/agents/$amy_id/disable" "csrf=$disable_form"; twice=$status
post admin "/admin/agents/$admin_id/disable" "csrf=$disable_form"; not_agent=$status
check "disabling again is 409 and an account that is not an agent 404; nothing changes" \
	holds '[ "$twice $not_agent" = "409 404" ] && [ "$(sql "SELECT COUNT(*) FROM status_track")" = "$tracks_before" ] &&
		[ "$(sql "SELECT disabled_at IS NULL FROM accounts WHERE id = $admin_id")" = 1 ]'

# ---- only admins ----
before=$(counts)
answers=
for who in - ann abel; do
	get "$who" /admin/agents; answers+="$who GET $status; "
	post "$who" /admin/agents "csrf=$(csrf_of "$body" /admin/agents)" "name=Mallory" "email=mallory.$$@example.org"
	answers+="$who POST $status; "
	post "$who" "/admin/agents/$abel_id/disable" "csrf=$(csrf_of "$body")"; answers+="$who disable $status; "
done
check "signed out, a resident and an agent are kept out of the agents page and its forms (${answers}), and nothing is written" \
	holds '[ "$answers" = "- GET 303; - POST 403; - disable 403; ann GET 403; ann POST 403; ann disable 403; abel GET 403; abel POST 403; abel disable 403; " ] &&
		[ "$(counts)" = "$before" ] && [ "$(sql "SELECT disabled_at IS NULL FROM accounts WHERE id = $abel_id")" = 1 ]'
