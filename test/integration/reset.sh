#!/usr/bin/env bash
# reset.sh: the mails about an account, on a full stack of its own, read through maildev's REST
# API: "Forgot your password?" answers a known and an unknown address alike and mails a reset link
# only to the account; the outbox row holds no token (the notifier mints it when it sends, only
# its hash stored); the link shows its form on every GET, works once, ends every session of the
# account, is refused after its (short, in this config) lifetime and after a newer link; requests
# are throttled per typed address and per client; sign-up answers a taken address like a new one
# (no session either way) and mails the owner; a new resident's complaint is held out of the
# admin's lists until their address is confirmed by the mailed link, and says so; an admin's
# invitation goes by mail, its page showing no link.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 16
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up reset auth.reset_link_lifetime=60s auth.mail_email_free=6 auth.mail_address_free=40
test_migrate

staff admin "admin.$$@example.org" "Ada Admin"
signin admin "admin.$$@example.org"
ann="ann.$$@example.org"
signup ann "Ann Resident" "$ann"
# same_answer A B ADDRESS-A ADDRESS-B: the two answers' status and visible text are the same once
# each typed address is replaced by the word ADDRESS.
answer_of() { printf '%s %s' "$status" "$(visible_text "$body" | sed "s/$1/ADDRESS/g")"; }
# ask_reset BROWSER EMAIL: the form, then its POST.
ask_reset() {
	get "$1" /forgot
	post "$1" /forgot "email=$2" "csrf=$(csrf_of "$body" /forgot)"
}
resets_of() { sql "SELECT COUNT(*) FROM notifications WHERE kind = 'reset' AND recipient = '$1'"; }

# ---- 1. the form, and the same answer for a known and an unknown address ----
get - /signin
signin_links=$(grep -c 'href="/forgot"' <<<"$body")
get - /forgot
check "the sign-in page links to /forgot, whose form is 200 (links: $signin_links, form: $status)" \
	holds '[ "$signin_links" = 1 ] && [ "$status" = 200 ] && grep -q "action=\"/forgot\"" <<<"$body"'
nobody="nobody.$$@example.org"
ask_reset visitor "$ann"; known=$(answer_of "$ann"); known_cookie=$(grep -ci '^set-cookie: session' <<<"$headers")
ask_reset visitor "$nobody"; unknown=$(answer_of "$nobody"); unknown_cookie=$(grep -ci '^set-cookie: session' <<<"$headers")
diag "known: ${known:0:200}" "unknown: ${unknown:0:200}"
check "a reset asked for a known and an unknown address: the same status and page ($status), no session" \
	holds '[ "$known" = "$unknown" ] && [ "$status" = 200 ] && [ "$known_cookie$unknown_cookie" = 00 ]'
check "the outbox holds one reset row for the account's address and none for the unknown one" \
	holds '[ "$(resets_of "$ann")/$(resets_of "$nobody")" = 1/0 ]'

# ---- 2. the link: minted at sending, only its hash stored, once ----
link=$(mail_link "$ann" /reset-password) || { echo "Bail out! no reset mail to $ann"; exit 1; }
token=$(token_of "$link")
stored=$(sql "SELECT COUNT(*) FROM tokens WHERE token_hash = UNHEX(SHA2('$token', 256)) AND purpose = 'password_reset'")
in_rows=$(sql "SELECT COUNT(*) FROM notifications WHERE INSTR(CONCAT(body, COALESCE(data, '')), '$token') > 0")
check "the mailed token (${#token} characters) is stored only as its SHA-256; no outbox row's body or data holds it" \
	holds '[ "${#token}" = 43 ] && [ "$stored/$in_rows" = 1/0 ] &&
		[ "$(sql "SELECT COUNT(*) FROM tokens WHERE token_hash = '\''$token'\''")" = 0 ]'
# Ann is signed in elsewhere (the signup helper's browser): the reset ends that session too.
get ann /account; before=$status
get reset "$link"; first_get=$status
get reset "$link"; second_get=$status
form_csrf=$(csrf_of "$body" /reset-password)
new_password='a brand new phrase for ann'
post reset /reset-password "token=$token" "csrf=$form_csrf" "password=$new_password" "confirmation=$new_password"
used="$status $location"
get ann /account; after="$status $location"
check "the link's page shows its form on every GET ($first_get $second_get); its POST sets the password ($used) and ends the account's other session (/account was $before, now $after)" \
	holds '[ "$first_get $second_get $before" = "200 200 200" ] && [ "$used" = "303 /signin?password=set" ] &&
		[[ $after == "303 /signin"* ]]'
post reset /reset-password "token=$token" "csrf=$form_csrf" "password=$new_password" "confirmation=$new_password"
again=$status
sign_in newpw "$ann" "$new_password"; new_signin=$status
sign_in oldpw "$ann" "$password"; old_signin=$status
check "the link refused on its second use ($again); the new password signs in ($new_signin), the old one not ($old_signin)" \
	holds '[ "$again/$new_signin/$old_signin" = 410/303/401 ]'
password=$new_password

# ---- 3. a newer link voids the older; a link expires ----
ask_reset visitor "$ann"; ask_reset visitor "$ann"
if ! older=$(mail_link "$ann" /reset-password 2) || ! newer=$(mail_link "$ann" /reset-password 3); then
	echo "Bail out! two more reset mails did not come"; exit 1
fi
get - "$older"; older_status=$status
get - "$newer"; newer_status=$status
check "after a newer link the older one is refused ($older_status), the newer works ($newer_status)" \
	holds '[ "$older_status/$newer_status" = 404/200 ] && [ "$(token_of "$older")" != "$(token_of "$newer")" ]'
# The lifetime runs from the sending: wait until the newer link's end, by the database's clock.
left=$(sql "SELECT CEIL(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), expires_at) / 1000000) FROM tokens
	WHERE token_hash = UNHEX(SHA2('$(token_of "$newer")', 256))")
[[ $left =~ ^-?[0-9]+$ ]] || { echo "Bail out! the newer link has no token row: $left"; exit 1; }
[ "$left" -gt 0 ] && sleep $((left + 1))
get - "$newer"; expired=$status
check "a reset link is refused once its lifetime (60 s here) has passed: $expired, says it expired" \
	holds '[ "$expired" = 410 ] && grep -q "expired" <<<"$body"'

# ---- 4. sign-up: a taken address answered like a new one; its owner told ----
bea="bea.$$@example.org"
sign_up bea "Bea Resident" "$bea" 'Bea-s own phrase 42'
new_answer=$(answer_of "$bea"); new_cookie=$(grep -ci '^set-cookie: session' <<<"$headers")
sign_up mallory "Mallory" "$ann" 'Mallory-s phrase 42'
taken_answer=$(answer_of "$ann"); taken_cookie=$(grep -ci '^set-cookie: session' <<<"$headers")
check "sign-up with a new and with a taken address: the same answer ($status, \"check your mail\"), no session either way" \
	holds '[ "$new_answer" = "$taken_answer" ] && [ "$status" = 200 ] && grep -q "Check your mail" <<<"$body" &&
		[ "$new_cookie$taken_cookie" = 00 ] && [ "$(sql "SELECT name FROM accounts WHERE email = '\''$ann'\''")" = "Ann Resident" ]'
wait_until 20000 mail_links_at_least "$ann" /forgot 1
check "the owner of the taken address gets \"Someone tried to sign up with your address\", linking to /forgot" \
	holds 'mail_subjects "$ann" | grep -qx "Someone tried to sign up with your address" &&
		[ "$(mail_links "$ann" /forgot)" = /forgot ]'

# ---- 5. throttling: per typed address (the same for a known and an unknown one), per client ----
throttled_after() {  # throttled_after EMAIL: how many requests went through before a 429
	local n=0
	while [ $n -lt 12 ]; do
		ask_reset "flood-$1" "$1"
		[ "$status" = 429 ] && break
		n=$((n + 1))
	done
	# The wait it names is counted from the last request: its seconds may differ.
	echo "$n $(grep -ci '^retry-after:' <<<"$headers") $(answer_of "$1" | sed 's/[0-9][0-9]*/N/g')"
}
known_flood=$(throttled_after "$ann")
unknown_flood=$(throttled_after "other.$$@example.org")
[ "${known_flood#* }" = "${unknown_flood#* }" ] ||
	diag "the throttled pages differ:" "$(diff <(tr ' ' '\n' <<<"${known_flood#* }") <(tr ' ' '\n' <<<"${unknown_flood#* }"))"
# Ann's address was typed 5 times already (her sign-up, 3 resets, Mallory's sign-up), another
# one never: of the 6 requests the config lets through, 1 remained for hers and 6 for the other;
# then the same 429 page.
check "resets of one typed address are throttled (429 with Retry-After), known or not, with the same page" \
	holds '[ "${known_flood%% *}" = 1 ] && [ "${unknown_flood%% *}" = 6 ] &&
		[ "${known_flood#* }" = "${unknown_flood#* }" ] && [[ ${known_flood#* } == "1 N "* ]]'
client_flood() {
	local n=0
	while [ $n -lt 45 ]; do
		ask_reset client "someone$n.$$@example.org"
		[ "$status" = 429 ] && break
		n=$((n + 1))
	done
	echo "$n"
}
client_address=127.0.0.3 flooded=$(client_flood)
client_address=127.0.0.4 ask_reset elsewhere "someone-else.$$@example.org"; elsewhere=$status
check "one client asking for many addresses is throttled after 40 ($flooded); another client is not ($elsewhere)" \
	holds '[ "$flooded/$elsewhere" = 40/200 ]'

# ---- 6. confirmation: held complaints ----
password='Bea-s own phrase 42'
signin bea "$bea"
file_complaint bea; held=$filed
get bea "/complaints/$held"; held_page=$(visible_text "$body")
get admin /admin/unassigned; in_unassigned=$(grep -c "href=\"/complaints/$held\"" <<<"$body")
get admin "/admin?status=submitted"; in_queue=$(grep -c "href=\"/complaints/$held\"" <<<"$body")
check "an unconfirmed resident may sign in and file; the complaint's page says it waits for the address; the admin's queue and unassigned list leave it out ($in_queue, $in_unassigned)" \
	holds '[ -n "$held" ] && grep -q "waits until the reporter.s email address is confirmed" <<<"$held_page" &&
		[ "$in_queue/$in_unassigned" = 0/0 ]'
confirm_link=$(mail_link "$bea" /confirm-email) || { echo "Bail out! no confirmation mail to $bea"; exit 1; }
confirm_token=$(token_of "$confirm_link")
confirm_rows=$(sql "SELECT COUNT(*) FROM notifications WHERE INSTR(CONCAT(body, COALESCE(data, '')), '$confirm_token') > 0")
get again "$confirm_link"; confirm_get=$status; again_csrf=$(csrf_of "$body" /confirm-email)
confirmed_before=$(sql "SELECT email_confirmed_at IS NOT NULL FROM accounts WHERE email = '$bea'")
confirm_address bea "$bea"
get bea "/complaints/$held"; released_page=$(visible_text "$body")
get admin /admin/unassigned; now_unassigned=$(grep -c "href=\"/complaints/$held\"" <<<"$body")
# The queue a worker keeps for [queue] cache_max_age (5 s) shows another account's change once it
# is read anew: the released complaint is there within ten times that.
queue_has_held() {
	get admin "/admin?status=submitted"; now_queue=$(grep -c "href=\"/complaints/$held\"" <<<"$body")
	[ "$now_queue" = 1 ]
}
wait_until 50000 queue_has_held
check "the confirmation link (token in no outbox row: $confirm_rows) shows a button on GET without confirming ($confirm_get, confirmed: $confirmed_before); its POST releases the complaint to the queue ($now_queue) and unassigned list ($now_unassigned)" \
	holds '[ "$confirm_rows/$confirm_get/$confirmed_before" = 0/200/0 ] && [ "$now_queue/$now_unassigned" = 1/1 ] &&
		! grep -q "waits until" <<<"$released_page"'
post again /confirm-email "token=$confirm_token" "csrf=$again_csrf"
check "the confirmation link works once: a second POST is $status" holds '[ "$status" = 410 ]'

# ---- 7. an agent's invitation goes by mail ----
amy="amy.$$@example.org"
get admin /admin/agents
post admin /admin/agents "name=Amy Agent" "email=$amy" "csrf=$(csrf_of "$body" /admin/agents)"
invited=$status; page_links=$(grep -c 'token=' <<<"$body")
invite=$(mail_link "$amy" /set-password) || { echo "Bail out! no invitation mail to $amy"; exit 1; }
get amy "$invite"
post amy /set-password "token=$(token_of "$invite")" "csrf=$(csrf_of "$body" /set-password)" \
	"password=Amy-s first phrase 42" "confirmation=Amy-s first phrase 42"
set_answer="$status $location"
sign_in amy "$amy" 'Amy-s first phrase 42'
check "an invitation: 201 with no link on the page ($invited, links: $page_links); the mailed link sets the password ($set_answer) and the agent signs in ($status)" \
	holds '[ "$invited/$page_links" = 201/0 ] && [ "$set_answer" = "303 /signin?password=set" ] && [ "$status" = 303 ] &&
		mail_subjects "$amy" | grep -qx "You are invited to work on residents'\'' complaints"'
