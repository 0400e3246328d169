#!/usr/bin/env bash
# mail_again.sh: an account mail sent again, on a full stack of its own, read through maildev's
# REST API. A resident whose address is unconfirmed finds "Send the confirmation link again" on
# their account page (their held complaint's page points there): each request mails one new link, and once it is sent the older link is
# refused; the new one confirms, after which the page offers nothing and a stale form is told the
# address is confirmed (409, nothing sent). The requests spend the budgets of "Forgot your
# password?": the account's address (429 with Retry-After past it, no mail) and the client's, which
# /forgot requests use up too. An admin sends an agent who has not set a password yet the
# invitation again from the agents page: one new mail, the older link refused, the new one sets the
# password, an admin_log row; an active or a disabled agent is refused (409, nothing sent), no
# agent is 404, and an agent's address has the same mail budget (429).
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 12
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up mail-again auth.mail_email_free=3 auth.mail_address_free=12
test_migrate

staff admin "admin.$$@example.org" "Ada Admin"
signin admin "admin.$$@example.org"
# links_to EMAIL PATH: how many links to PATH the mails maildev holds for EMAIL carry (one a mail);
# rows_of KIND EMAIL: the outbox's rows.
links_to() { mail_links "$1" "$2" | wc -l; }
rows_of() { sql "SELECT COUNT(*) FROM notifications WHERE kind = '$1' AND recipient = '$2'"; }
# mailed EMAIL PATH N: every queued mail is sent and EMAIL has N links to PATH (waits 20 s at most).
mailed_now() { settled && [ "$(links_to "$1" "$2")" = "$3" ]; }
mailed() { wait_until 20000 mailed_now "$@"; }
# again BROWSER: the account page's "Send the confirmation link again", with the page's token.
again() {
	get "$1" /account
	post "$1" /account/confirmation "csrf=$(csrf_of "$body" /account/confirmation)"
}

# ---- 1. the confirmation link sent again ----
bea="bea.$$@example.org"
signup_unconfirmed bea "Bea Resident" "$bea"
first=$(mail_link "$bea" /confirm-email) || { echo "Bail out! no confirmation mail to $bea"; exit 1; }
get bea /account; account_page=$(visible_text "$body"); stale_csrf=$(csrf_of "$body" /account/confirmation)
check "an unconfirmed resident's account page says so and offers \"Send the confirmation link again\"" \
	holds 'grep -q "Your address is not confirmed yet" <<<"$account_page" &&
		grep -q "Send the confirmation link again" <<<"$account_page" && [ -n "$stale_csrf" ]'
file_complaint bea; held=$filed
held_notice() { grep -o '<p class="notice held".*</p>' <<<"$body"; }
get bea "/complaints/$held"; reporter_notice=$(held_notice)
get admin "/complaints/$held"; admin_notice=$(held_notice)
check "the held complaint's page sends its reporter to the account page for a new link; staff see the notice without it" \
	holds 'grep -q "href=\"/account\"" <<<"$reporter_notice" && grep -q "waits until" <<<"$admin_notice" &&
		! grep -q "href=\"/account\"" <<<"$admin_notice"'
again bea; resent="$status $location"
get bea "$location"; sent_page=$(visible_text "$body")
second=$(mail_link "$bea" /confirm-email 2) || { echo "Bail out! no second confirmation mail to $bea"; exit 1; }
mailed "$bea" /confirm-email 2
check "the request answers 303 to the account page ($resent), which says a new link is on its way; exactly one more mail reaches the address (mails: $(links_to "$bea" /confirm-email), outbox rows: $(rows_of confirm "$bea")), with another link" \
	holds '[ "$resent" = "303 /account?sent=confirmation" ] && grep -q "We sent a new confirmation link to $bea" <<<"$sent_page" &&
		[ "$(links_to "$bea" /confirm-email)/$(rows_of confirm "$bea")" = 2/2 ] && [ "$first" != "$second" ]'
get old "$second"; old_csrf=$(csrf_of "$body" /confirm-email)
get old "$first"; old_get=$status
post old /confirm-email "token=$(token_of "$first")" "csrf=$old_csrf"; old_post=$status
confirmed=$(sql "SELECT email_confirmed_at IS NOT NULL FROM accounts WHERE email = '$bea'")
check "the first link is refused once the new one is sent (GET $old_get, POST $old_post), confirming nothing ($confirmed)" \
	holds '[ "$old_get/$old_post/$confirmed" = 404/404/0 ]'
confirm_address bea "$bea" 2
get bea /account; confirmed_page=$(visible_text "$body")
post bea /account/confirmation "csrf=$stale_csrf"; stale="$status $(visible_text "$body")"
check "the new link confirms; the account page then offers no button, and its stale form is told the address is confirmed (${stale:0:3}), nothing queued ($(rows_of confirm "$bea") rows)" \
	holds '! grep -q "Send the confirmation link again" <<<"$confirmed_page" && [ "${stale:0:3}" = 409 ] &&
		grep -q "confirmed already, so no mail was sent" <<<"$stale" && [ "$(rows_of confirm "$bea")" = 2 ]'

# until_throttled COMMAND...: runs COMMAND (a request) until it answers 429, while n is under 6,
# counting on from n; sets throttled ("STATUS RETRY-AFTER-HEADERS") and throttled_page.
until_throttled() {
	while [ "$n" -lt 6 ]; do
		"$@"
		[ "$status" = 429 ] && break
		n=$((n + 1))
	done
	throttled="$status $(grep -ci '^retry-after:' <<<"$headers")"
	throttled_page=$(visible_text "$body")
}
# ---- 2. the account's address budget (mail_email_free = 3: the sign-up and two more) ----
cal="cal.$$@example.org"
signup_unconfirmed cal "Cal Resident" "$cal"
n=0
until_throttled again cal
mailed "$cal" /confirm-email 3
check "after the sign-up's mail, $n more go through and the next is 429 with Retry-After ($throttled), saying to wait, on the account page; exactly 3 mails reach the address ($(links_to "$cal" /confirm-email))" \
	holds '[ "$n/$throttled" = "2/429 1" ] && grep -q "Too many requests for this address" <<<"$throttled_page" &&
		grep -q "Send the confirmation link again" <<<"$throttled_page" &&
		[ "$(rows_of confirm "$cal")/$(links_to "$cal" /confirm-email)" = 3/3 ]'

# ---- 3. the client's budget, which /forgot spends too (mail_address_free = 12) ----
dan="dan.$$@example.org"
client_address=127.0.0.5 signup_unconfirmed dan "Dan Resident" "$dan"
for i in $(seq 1 11); do
	client_address=127.0.0.5 get visitor /forgot
	client_address=127.0.0.5 post visitor /forgot "email=someone$i.$$@example.org" "csrf=$(csrf_of "$body" /forgot)"
done
forgot_last=$status
client_address=127.0.0.5 again dan; from_flooded=$status
client_address=127.0.0.6 again dan; from_elsewhere=$status
check "12 mail requests from one client (a sign-up, 11 resets: the last $forgot_last) leave its \"send again\" 429 ($from_flooded); from another client it goes through ($from_elsewhere)" \
	holds '[ "$forgot_last/$from_flooded/$from_elsewhere" = 200/429/303 ]'

# ---- 4. an agent's invitation sent again ----
# invite NAME EMAIL: the agents page's invitation form; invite_again ID: the row's button.
invite() {
	get admin /admin/agents
	post admin /admin/agents "csrf=$(csrf_of "$body" /admin/agents)" "name=$1" "email=$2"
	[ "$status" = 201 ] || { echo "Bail out! inviting $2: $status $(text_of "$body")"; exit 1; }
}
invite_again() {
	get admin /admin/agents
	post admin "/admin/agents/$1/invite" "csrf=$(csrf_of "$body" "/admin/agents/$1/invite")"
}
amy="amy.$$@example.org"
invite "Amy Agent" "$amy"
amy_id=$(id_of "$amy")
first=$(mail_link "$amy" /set-password) || { echo "Bail out! no invitation mail to $amy"; exit 1; }
get admin /admin/agents; reinvite_forms=$(grep -c "action=\"/admin/agents/[0-9]*/invite\"" <<<"$body")
again_csrf=$(csrf_of "$body" "/admin/agents/$amy_id/invite")
invite_again "$amy_id"; again_answer="$status $location"
get admin "$location"; notice=$(visible_text "$body")
second=$(mail_link "$amy" /set-password 2) || { echo "Bail out! no second invitation mail to $amy"; exit 1; }
mailed "$amy" /set-password 2
logged=$(sql "SELECT COUNT(*) FROM admin_log WHERE action = 'reinvite_agent' AND target_account_id = $amy_id")
check "the agents page offers the invited agent (only: $reinvite_forms form) the invitation again; it answers $again_answer with a notice, one more mail ($(links_to "$amy" /set-password)) with another link, and an admin_log row ($logged)" \
	holds '[ "$reinvite_forms" = 1 ] && [ "$again_answer" = "303 /admin/agents?invited=$amy_id" ] &&
		grep -q "Amy Agent is sent a new invitation" <<<"$notice" && [ "$(links_to "$amy" /set-password)/$logged" = 2/1 ] &&
		[ "$first" != "$second" ]'
get amy "$first"; old_get=$status
get amy "$second"
post amy /set-password "token=$(token_of "$second")" "csrf=$(csrf_of "$body" /set-password)" \
	"password=Amy-s first phrase 42" "confirmation=Amy-s first phrase 42"
set_answer="$status $location"
check "the first invitation link is refused ($old_get); the new one sets the password ($set_answer)" \
	holds '[ "$old_get" = 404 ] && [ "$set_answer" = "303 /signin?password=set" ]'
get admin /admin/agents; amy_forms=$(grep -c "action=\"/admin/agents/$amy_id/invite\"" <<<"$body")
post admin "/admin/agents/$amy_id/invite" "csrf=$again_csrf"; active="$status $(visible_text "$body")"
check "an agent who has set a password is offered no invitation again ($amy_forms forms) and a stale form is refused (${active:0:3}), nothing queued ($(rows_of invite "$amy") rows)" \
	holds '[ "$amy_forms" = 0 ] && [ "${active:0:3}" = 409 ] &&
		grep -q "has set a password already, so no invitation was sent" <<<"$active" && [ "$(rows_of invite "$amy")" = 2 ]'
bo="bo.$$@example.org"
invite "Bo Agent" "$bo"
bo_id=$(id_of "$bo")
get admin /admin/agents
post admin "/admin/agents/$bo_id/disable" "csrf=$(csrf_of "$body" "/admin/agents/$bo_id/disable")"
post admin "/admin/agents/$bo_id/invite" "csrf=$again_csrf"; disabled="$status $(visible_text "$body")"
post admin "/admin/agents/999999999/invite" "csrf=$again_csrf"; nobody=$status
check "a disabled agent is not invited again (${disabled:0:3}), nothing queued ($(rows_of invite "$bo") row); no agent of that number is $nobody" \
	holds '[ "${disabled:0:3}" = 409 ] && grep -q "is disabled, so no invitation was sent" <<<"$disabled" &&
		[ "$(rows_of invite "$bo")" = 1 ] && [ "$nobody" = 404 ]'
ivy="ivy.$$@example.org"
invite "Ivy Agent" "$ivy"
ivy_id=$(id_of "$ivy")
n=0
until_throttled invite_again "$ivy_id"
mailed "$ivy" /set-password 4
check "an agent's address has the mail budget: $n invitations again go through, then 429 with Retry-After ($throttled) saying to wait; 4 mails reach it ($(links_to "$ivy" /set-password))" \
	holds '[ "$n/$throttled" = "3/429 1" ] && grep -q "Too many requests for this address" <<<"$throttled_page" &&
		[ "$(rows_of invite "$ivy")/$(links_to "$ivy" /set-password)" = 4/4 ]'
