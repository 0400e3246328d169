#!/usr/bin/env bash
# unsubscribe.sh: switching kinds of mail off, on a full stack of its own, read through maildev: the
# switches on /account (a resident sees their status mails, an agent their work mails too); a kind
# switched off writes no outbox row and sends no mail while the other kinds and other people's mails
# still come; a security mail's kind cannot be switched off; a status mail carries List-Unsubscribe
# with this site's one-click link and List-Unsubscribe-Post, an agent's work mail neither; the link
# from a real mail: a GET only shows a page and changes nothing, a POST without a session, an Origin
# or a form token (as a mail provider sends it) switches that one kind off, and the same link
# altered (its signature, its kind, its account) is refused with 403 and changes nothing.
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 17
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up unsubscribe notify.batch=20
test_migrate

staff admin "admin.$$@example.org" "Ada Admin"
staff agent "amy.$$@example.org" "Amy Agent"
signin admin "admin.$$@example.org"
signin amy "amy.$$@example.org"
signup ann "Ann Resident" "ann.$$@example.org"
signup ben "Ben Resident" "ben.$$@example.org"
ann_id=$(id_of "ann.$$@example.org")
ben_id=$(id_of "ben.$$@example.org")
amy_id=$(id_of "amy.$$@example.org")

# switches BROWSER: the mail switches of BROWSER's account page, "kind:on kind:off ...".
switches() {
	get "$1" /account
	grep -o '<input type="checkbox" name="on" value="[a-z_]*"[^>]*>' <<<"${body//</$'\n'<}" |
		sed -e 's/.*value="\([a-z_]*\)" checked.*/\1:on/' -e 's/.*value="\([a-z_]*\)".*/\1:off/' | tr '\n' ' '
}
# switch_on BROWSER KIND...: the account page's mail form, posted with these kinds ticked
# (followed: the four about a complaint one follows, left on).
followed=(followed_resolved followed_rejected followed_reopened followed_closed)
switch_on() {
	local browser=$1 kind fields=(); shift
	for kind in "$@"; do fields+=("on=$kind"); done
	get "$browser" /account
	post "$browser" /account/mail "csrf=$(csrf_of "$body" /account/mail)" form=mail "${fields[@]}"
}
optouts() { sql "SELECT COALESCE(GROUP_CONCAT(kind ORDER BY kind SEPARATOR ' '), '') FROM notification_optouts WHERE account_id = $1"; }
# sent_to ADDRESS: the subjects' last words of the mails maildev holds for ADDRESS, sorted.
sent_to() { mails | awk -F'|' -v to="$1" '$1 == to { sub(/^.*\): /, "", $3); print $3 }' | sort | tr '\n' ',' | sed 's/,$//'; }
deliver() { wait_until 30000 settled && sleep 1; }

# ---- the switches on /account ----
check "a resident's account page lists their nine status mails (five about their own complaints, four about ones they follow), all on ($(switches ann))" \
	[ "$(switches ann)" = "filed:on resolved:on rejected:on reopened:on closed:on followed_resolved:on followed_rejected:on followed_reopened:on followed_closed:on " ]
check "an agent's lists their work mails too ($(switches amy))" \
	[ "$(switches amy)" = "filed:on resolved:on rejected:on reopened:on closed:on assigned:on reopened_agent:on followed_resolved:on followed_rejected:on followed_reopened:on followed_closed:on " ]
switch_on ann rejected reopened closed "${followed[@]}"
saved="$status $location"
check "ann switches \"received\" and \"resolved\" off: 303 to her page, which shows it ($saved; $(switches ann))" \
	bash -c '[ "$1" = "303 /account?changed=mail#mail" ] && [ "$2" = "filed resolved" ] &&
		[ "$3" = "filed:off resolved:off rejected:on reopened:on closed:on followed_resolved:on followed_rejected:on followed_reopened:on followed_closed:on " ] && grep -q "mail settings were saved" <<<"$4"' \
	_ "$saved" "$(optouts "$ann_id")" "$(switches ann)" "$(get ann '/account?changed=mail'; visible_text "$body")"
switch_on ann rejected reopened closed "${followed[@]}" agent_invite
refused="$status"
switch_on ann rejected reopened closed "${followed[@]}" assigned
check "a kind the account may not switch (a security mail's: agent_invite; an agent's for a resident) is 422, nothing changed ($refused, $status)" \
	bash -c '[ "$1" = 422 ] && [ "$2" = 422 ] && [ "$3" = "filed resolved" ]' _ "$refused" "$status" "$(optouts "$ann_id")"
get ann /account
post ann /account/mail "csrf=$(csrf_of "$body" /account/mail)" on=closed
check "a post that is not the whole form (no form=mail) is 422 and switches nothing off ($status)" \
	bash -c '[ "$1" = 422 ] && [ "$2" = "filed resolved" ]' _ "$status" "$(optouts "$ann_id")"

# ---- switched-off kinds write no row and send no mail; the rest still come ----
mail_clear
file_complaint ann; c1=$filed
change --or-bail admin "$c1" assign "agent=$amy_id"
change --or-bail amy "$c1" accept
change --or-bail amy "$c1" resolve "reason=Valve replaced"
change --or-bail ann "$c1" reopen "reason=Still dripping"
deliver
wait_until 10000 count_is 3 || true
check "filed, assigned, resolved, reopened: ann gets only \"reopened\" ($(sent_to "ann.$$@example.org")), amy her two ($(sent_to "amy.$$@example.org"))" \
	bash -c '[ "$1" = reopened ] && [ "$2" = "assigned to you,reopened by its reporter" ] && [ "$3" = 3 ]' _ \
	"$(sent_to "ann.$$@example.org")" "$(sent_to "amy.$$@example.org")" "$(mail_count)"
check "the outbox holds no row of a switched-off kind (filed, resolved) for that complaint" \
	[ "$(sql "SELECT COUNT(*) FROM notifications WHERE complaint_id = $c1 AND kind IN ('filed', 'resolved')")" = 0 ]

# ---- the headers ----
link=$(mail_header "ann.$$@example.org" reopened list-unsubscribe)
post_header=$(mail_header "ann.$$@example.org" reopened list-unsubscribe-post)
diag "List-Unsubscribe: $link" "List-Unsubscribe-Post: $post_header"
pattern="^<$url/unsubscribe\\?account=$ann_id&kind=reopened&sig=[A-Za-z0-9_-]{43}>\$"
check "a status mail carries List-Unsubscribe: <$url/unsubscribe?account=ID&kind=KIND&sig=43 characters> and List-Unsubscribe-Post: List-Unsubscribe=One-Click" \
	bash -c '[[ $1 =~ $2 ]] && [ "$3" = "List-Unsubscribe=One-Click" ]' _ "$link" "$pattern" "$post_header"
check "an agent's work mail (its Message-ID: $(mail_header "amy.$$@example.org" "assigned to you" message-id)) carries neither" \
	bash -c '[ -n "$1" ] && [ -z "$2" ] && [ -z "$3" ]' _ "$(mail_header "amy.$$@example.org" "assigned to you" message-id)" \
	"$(mail_header "amy.$$@example.org" "assigned to you" list-unsubscribe)" \
	"$(mail_header "amy.$$@example.org" "assigned to you" list-unsubscribe-post)"
link=${link#<}
link=${link%>}
path=${link#"$url"}

# ---- the link: GET shows, POST does, an altered one is refused ----
fetch - GET "$path"
check "a GET of the link (a mail scanner's) shows a page with one button and changes nothing ($status)" \
	bash -c '[ "$1" = 200 ] && grep -q "Switch them off" <<<"$2" && [ "$3" = "filed resolved" ]' _ "$status" \
	"$(visible_text "$body")" "$(optouts "$ann_id")"
sig=${path##*sig=}
last=${sig: -1}
altered=${path%?}$([ "$last" = A ] && echo B || echo A)
other_kind=${path/kind=reopened/kind=closed}
other_account=${path/account=$ann_id/account=$ben_id}
answers=
for forged in "$altered" "$other_kind" "$other_account" "${path%%&sig=*}&sig=$(printf 'A%.0s' $(seq 43))"; do
	fetch - POST "$forged" --data "List-Unsubscribe=One-Click"
	answers+="$status "
	fetch - GET "$forged"
	answers+="$status "
done
check "the link altered (a character of its signature, its kind, its account; a made-up signature) is 403 to GET and POST ($answers)" \
	[ "$answers" = "403 403 403 403 403 403 403 403 " ]
check "... and nobody's switches changed" \
	bash -c '[ "$1" = "filed resolved" ] && [ -z "$2" ]' _ "$(optouts "$ann_id")" "$(optouts "$ben_id")"
fetch - POST "${path/kind=reopened/kind=agent_invite}" --data "List-Unsubscribe=One-Click"
check "a security mail's kind in the link is refused ($status), nothing written" \
	bash -c '[ "$1" = 400 ] && [ "$2" = "filed resolved" ]' _ "$status" "$(optouts "$ann_id")"
# A mail provider's one-click POST: no cookie, no Origin, no form token (RFC 8058).
fetch - POST "$path" --data "List-Unsubscribe=One-Click"
first="$status"
fetch - POST "$path" --data "List-Unsubscribe=One-Click"
check "the link's POST without a session switches \"reopened\" off ($first, again $status), and the account page shows it" \
	bash -c '[ "$1" = 200 ] && [ "$2" = 200 ] && [ "$3" = "filed reopened resolved" ] &&
		[ "$4" = "filed:off resolved:off rejected:on reopened:off closed:on followed_resolved:on followed_rejected:on followed_reopened:on followed_closed:on " ]' _ \
	"$first" "$status" "$(optouts "$ann_id")" "$(switches ann)"

# ---- after it: ann no longer hears of reopenings; her closing and amy's mails still come ----
mail_clear
change --or-bail amy "$c1" accept
change --or-bail amy "$c1" resolve "reason=Valve replaced again"
change --or-bail ann "$c1" reopen "reason=Dripping again"
change --or-bail amy "$c1" accept
change --or-bail amy "$c1" resolve "reason=Pipe replaced"
change --or-bail ann "$c1" confirm "rating=4" "comment=Dry now"
deliver
wait_until 10000 count_is 2 || true
check "resolve, reopen, resolve, confirm: ann gets only \"closed\" ($(sent_to "ann.$$@example.org")), amy \"reopened by its reporter\" ($(sent_to "amy.$$@example.org"))" \
	bash -c '[ "$1" = closed ] && [ "$2" = "reopened by its reporter" ] && [ "$3" = 2 ]' _ \
	"$(sent_to "ann.$$@example.org")" "$(sent_to "amy.$$@example.org")" "$(mail_count)"

# ---- an agent's own switch; another resident's mails are theirs ----
switch_on amy filed resolved rejected reopened closed reopened_agent "${followed[@]}"
mail_clear
file_complaint ben; c2=$filed
change --or-bail admin "$c2" assign "agent=$amy_id"
deliver
wait_until 10000 count_is 1 || true
check "amy switched \"assigned\" off: ben's complaint assigned to her sends ben \"received\" ($(sent_to "ben.$$@example.org")) and amy nothing ($(sent_to "amy.$$@example.org"))" \
	bash -c '[ "$1" = received ] && [ -z "$2" ] && [ "$3" = 1 ]' _ \
	"$(sent_to "ben.$$@example.org")" "$(sent_to "amy.$$@example.org")" "$(mail_count)"

# ---- the key ----
# nokey SECRETS-LINES...: complaintd -t on a config with [smtp] replicas and public_url, and these secrets.
nokey() {
	printf '%s\n' "[server]" "listen = /tmp/complaintd-$stack_base/nokey.sock" "templates = $top/templates" \
		"public_url = https://complaints.example.org" "secrets = $scratch/nokey.secrets" \
		"[smtp]" "replicas = a=smtp://127.0.0.1:25" "tls = none" >"$scratch/nokey.conf"
	(umask 077; printf '%s\n' "$@" >"$scratch/nokey.secrets")
	"$binary" -c "$scratch/nokey.conf" -t 2>&1
}
missing=$(nokey "csrf_key=$(printf 'k%.0s' $(seq 40))")
short=$(nokey "unsubscribe_key=$(printf 'k%.0s' $(seq 31))")
check "mail with links needs unsubscribe_key of 32 bytes or more: complaintd -t names it ($missing; $short)" \
	bash -c 'grep -q "nokey.secrets: unsubscribe_key is missing" <<<"$1" && grep -q "unsubscribe_key is shorter than 32 bytes" <<<"$2"' \
	_ "$missing" "$short"
