# test/integration/lib.sh: TAP output and a private stack for one integration test script.
#
# A script sources this, calls plan N, then test_stack_up (nginx + complaintd) or
# test_full_stack_up (every server of a stack), each on its own port base, directory and sockets,
# so it runs beside the developer's stack and other tests, and reports each behaviour with
# ok/not_ok. The stack is stopped and its port base released when the script exits.

top=${STACK_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
STACK_SRCDIR=$top
# shellcheck source=packaging/stack.sh
source "$top/packaging/stack.sh"
binary=${COMPLAINTD_BINARY:-$top/var/build-asan/complaintd}
test_var=${TEST_VAR:-$top/var}
mkdir -p "$test_var/stacks"

test_number=0
plan() { echo "1..$1"; }
ok() { test_number=$((test_number + 1)); echo "ok $test_number - $*"; }
not_ok() { test_number=$((test_number + 1)); echo "not ok $test_number - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# check NAME COMMAND...: ok when COMMAND succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

stack_dir=
stack_base=
stack_full=
test_stack_cleanup() {
	if [ -n "$stack_full" ]; then
		# Down, a full stack keeps its logs; its datadirs (over 100 MB) go.
		"$top/packaging/stackctl" down "$stack_dir" >/dev/null 2>&1
		rm -rf "$stack_dir/mariadb/primary" "$stack_dir/mariadb/standby" "$stack_dir.up.log" "$stack_dir.migrate.out"
		return
	fi
	[ -n "$stack_dir" ] && stack_stop "$stack_dir"
	[ -n "$stack_base" ] && stack_release_base "$stack_base"
}
trap test_stack_cleanup EXIT

# test_stack_up NAME [KEY=VALUE...]: starts nginx + complaintd on a fresh port base; sets
# stack_dir, stack_base, url (http://127.0.0.1:BASE). Extra pairs go into [server].
test_stack_up() {
	local name=$1; shift
	stack_base=$(stack_claim_base $$) || { echo "Bail out! no free port base"; exit 1; }
	stack_dir="$test_var/stacks/$name-$stack_base"
	rm -rf "$stack_dir"
	mkdir -p "$stack_dir"
	stack_write_config "$stack_dir" "$stack_base" "$@"
	if ! stack_start "$stack_dir" "$stack_base" "$binary"; then
		echo "Bail out! the stack did not start"
		diag "$(tail -n 20 "$stack_dir/complaintd.log" 2>/dev/null)" "$(tail -n 20 "$stack_dir/nginx/error.log" 2>/dev/null)"
		exit 1
	fi
	url="http://127.0.0.1:$stack_base"
	master_pid=$(cat "$stack_dir/complaintd.pid")
}

# test_full_stack_up NAME [KEY=VALUE...]: the whole stack (MariaDB primary + standby, three S3
# replicas, the mail sink, complaintd, nginx) through packaging/stackctl on a fresh port base;
# sets stack_dir, stack_base and url. Extra pairs go into the config (stackctl up's KEY=VALUE).
test_full_stack_up() {
	local name=$1; shift
	stack_full=yes
	stack_dir="$test_var/stacks/$name-$$"
	if ! stack_base=$(COMPLAINTD_BINARY=$binary "$top/packaging/stackctl" up "$stack_dir" "$@" 2>"$stack_dir.up.log"); then
		echo "Bail out! the stack did not start"
		diag "$(tail -n 20 "$stack_dir.up.log")"
		exit 1
	fi
	url="http://127.0.0.1:$stack_base"
	mail_web="http://127.0.0.1:$(stack_port "$stack_base" mail-web)"
}

# test_migrate: applies db/migrations to the full stack's database with complaintctl
# (COMPLAINTCTL_BINARY), bailing out when it fails.
test_migrate() {
	local complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
	"$complaintctl" -c "$stack_dir/complaintd.conf" migrate --migrations "$top/db/migrations" >"$stack_dir.migrate.out" 2>&1 || {
		echo "Bail out! complaintctl migrate failed"; diag "$(cat "$stack_dir.migrate.out")"; exit 1; }
}

# The worker pids of the master, sorted, one line (not its named children, photo-repair, timer and notifier).
worker_pids() {
	local pid
	for pid in $(pgrep -P "$master_pid"); do
		case $(cat "/proc/$pid/comm" 2>/dev/null) in photo-repair | timer | notifier) ;; *) echo "$pid" ;; esac
	done | sort -n | tr '\n' ' '
}

# wait_until MILLISECONDS COMMAND...: polls COMMAND every 50 ms; fails after MILLISECONDS.
wait_until() {
	local limit=$1; shift
	local deadline; deadline=$(($(date +%s%N) + limit * 1000000))
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# generations_seen N: the config_generation of N /healthz answers, each distinct one once, sorted.
generations_seen() {
	local _
	for _ in $(seq "$1"); do curl -s "$url/healthz"; echo; done | sed -n 's/.*"config_generation":\([0-9]*\).*/\1/p' |
		sort -nu | tr '\n' ' ' | sed 's/ $//'
}
# serving_generation N: every one of 10 /healthz answers reports generation N (old workers gone).
serving_generation() { [ "$(generations_seen 10)" = "$1" ]; }

# conf_set FILE SECTION KEY=VALUE...: sets each KEY in [SECTION] of an INI file, replacing its line
# or adding one after the section's header (the section itself added at the end when missing).
conf_set() { python3 "$top/test/integration/conf_set.py" "$@"; }

# ---- /metrics, as a scraper reads it (the script sets scratch, a directory, and url) ----

# scrape: GET /metrics from 127.0.0.1 into $scratch/metrics.txt, parsed into $scratch/samples
# (prom_samples.py's lines); fails when it does not answer 200 or does not parse.
scrape() {
	client_address=127.0.0.1 get - /metrics
	cp "$scratch/body" "$scratch/metrics.txt"
	[ "$status" = 200 ] && python3 "$top/test/integration/prom_samples.py" <"$scratch/metrics.txt" >"$scratch/samples" 2>"$scratch/parse.err"
}
# sample 'NAME{LABELS}': its value in the last scrape (labels sorted by name), 0 when absent.
sample() { awk -F'\t' -v key="$1" '$1 == key { print $2; found = 1 } END { if (!found) print 0 }' "$scratch/samples"; }

# ---- a browser: one cookie jar per name (the script sets scratch, a directory, and url) ----

# fetch BROWSER METHOD PATH [CURL-ARGS...]: one request with BROWSER's cookie jar ("-": none).
# Sets status, headers (CR stripped), body (the text, NULs dropped; the bytes stay in
# $scratch/body), location and verifications (the test build's X-Test-Password-Verifications).
# It speaks from client_address when the script sets one.
fetch() {
	local browser=$1 method=$2 path=$3; shift 3
	local args=(-s -o "$scratch/body" -D "$scratch/headers" -w '%{http_code}')
	if [ "$browser" != - ]; then
		touch "$scratch/$browser.jar"
		args+=(-b "$scratch/$browser.jar" -c "$scratch/$browser.jar")
	fi
	[ "$method" = GET ] || args+=(-X "$method")
	# A script may speak from another loopback address (nginx's $remote_addr), e.g. 127.0.0.2.
	[ -n "${client_address:-}" ] && args+=(--interface "$client_address")
	: >"$scratch/body"
	: >"$scratch/headers"
	status=$(curl "${args[@]}" "$@" "$url$path") || status=000
	headers=$(tr -d '\r' <"$scratch/headers")
	body=$(tr -d '\0' <"$scratch/body")
	location=$(grep -i '^location:' <<<"$headers" | sed 's/^[^:]*: *//')
	verifications=$(grep -i '^x-test-password-verifications:' <<<"$headers" | sed 's/^[^:]*: *//')
}
get() { fetch "$1" GET "$2" "${@:3}"; }

# post BROWSER PATH [--origin ORIGIN | --no-origin] FIELD=VALUE...: a form POST, each value
# url-encoded. A browser sends its own Origin with a form POST, so by default so does this.
post() {
	local browser=$1 path=$2; shift 2
	local origin=$url args=() field
	case ${1:-} in
	--origin) origin=$2; shift 2 ;;
	--no-origin) origin=; shift ;;
	esac
	[ -n "$origin" ] && args+=(-H "Origin: $origin")
	for field in "$@"; do args+=(--data-urlencode "$field"); done
	[ $# -gt 0 ] || args+=(--data '')
	fetch "$browser" POST "$path" "${args[@]}"
}

# csrf_of HTML [ACTION]: the value of the hidden csrf input of the form posting to ACTION (of the
# page's first one when no form names ACTION).
csrf_of() {
	local html form=
	html=${1//</$'\n'<}
	[ -n "${2:-}" ] && form=$(sed -n "\#<form[^>]*action=\"$2\"#,\#</form>#p" <<<"$html")
	[ -n "$form" ] || form=$html
	grep -o '<input[^>]*name="csrf"[^>]*>' <<<"$form" | head -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p'
}

# ---- reading pages ----

# holds EXPRESSION: check's predicate; EXPRESSION (single-quoted by the caller) is evaluated when
# the check runs, so it may call this script's functions.
holds() { eval "$1"; }
# A page's visible text: tags out, blanks squeezed.
visible_text() { sed -e 's/<[^>]*>/ /g' <<<"$1" | tr -s ' \n\t' ' '; }
# The start of it, for diagnostics.
text_of() { visible_text "$1" | head -c "${2:-400}"; }

# sign_up BROWSER NAME EMAIL PASSWORD [FIELD=VALUE...]: the sign-up form (its query, e.g.
# "?next=/complaints/new", from signup_query), then its POST with the form's token and the extra
# fields. Sets what post sets.
sign_up() {
	local browser=$1 name=$2 email=$3 pass=$4; shift 4
	get "$browser" "/signup${signup_query:-}"
	post "$browser" /signup "name=$name" "email=$email" "password=$pass" "csrf=$(csrf_of "$body" /signup)" "$@"
}
# sign_in BROWSER EMAIL PASSWORD [FIELD=VALUE...]: the sign-in form, then its POST with the form's
# token and the extra fields. Sets what post sets.
sign_in() {
	local browser=$1 email=$2 pass=$3; shift 3
	get "$browser" /signin
	post "$browser" /signin "email=$email" "password=$pass" "csrf=$(csrf_of "$body" /signin)" "$@"
}

# ---- accounts and complaints on a full stack (after test_full_stack_up and test_migrate; the
# script sets scratch; every account's password is $password) ----

password=${password:-Corr3ct-horse-battery}
# sql STATEMENTS: runs them on the stack's primary as the app's user and prints the rows. A shell
# function (stack-mariadb.sh's), not stackctl: no exec, so no cap on the statements' length.
sql() { mariadb_sql "$stack_dir" primary app "$@"; }
# standby_applied: waits (60 s at most) until the standby has applied what the primary has
# written so far, so that a read sent to the standby sees it; false when it did not.
standby_applied() {
	local position; position=$(mariadb_sql "$stack_dir" primary root "SELECT @@global.gtid_binlog_pos")
	[ "$(mariadb_sql "$stack_dir" standby root "SELECT MASTER_GTID_WAIT('$position', 60)")" = 0 ]
}
# input_value HTML NAME: the value of the (last) input named NAME.
input_value() {
	grep -o "<input[^>]*name=\"$2\"[^>]*>" <<<"${1//</$'\n'<}" | tail -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p'
}
# staff ROLE EMAIL [NAME]: an account made on the server by complaintctl (create-admin,
# create-agent); without NAME, complaintctl's default name.
staff() {
	local complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
	printf '%s\n' "$password" | "$complaintctl" -c "$stack_dir/complaintd.conf" "create-$1" ${3:+--name "$3"} "$2" \
		>"$scratch/create.out" 2>&1 || { echo "Bail out! create-$1 $2: $(cat "$scratch/create.out")"; exit 1; }
}
# s3_object_file NAME KEY: where replica NAME's s3rver keeps the photo KEY (present when it has it).
s3_object_file() { echo "$stack_dir/s3/$1/$S3_BUCKET/photos/$2._S3rver_object"; }

# ---- mail, read through the full stack's maildev (its REST API) ----

mail_api() { echo "http://127.0.0.1:$(stack_port "$stack_base" mail-web)/api"; }
mail_count() { curl -s "$(mail_api)/email" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
mail_clear() { curl -s -X DELETE "$(mail_api)/email/all" >/dev/null; }
# mail_subjects TO: the subjects of the mails to TO (letter case aside), oldest first.
mail_subjects() {
	curl -s "$(mail_api)/email" | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if any(t["address"].lower() == sys.argv[1].lower() for t in m.get("to", [])):
        print(m.get("subject", ""))
' "$1"
}
# mail_links TO PATH: the links to PATH (e.g. /confirm-email) in the text of the mails to TO,
# oldest first, each without its origin (as fetch takes it).
mail_links() {
	curl -s "$(mail_api)/email" | python3 -c '
import json, re, sys
for m in json.load(sys.stdin):
    if any(t["address"].lower() == sys.argv[1].lower() for t in m.get("to", [])):
        for link in re.findall(r"https?://[^/\s]+(/[^\s<>\"]*)", m.get("text") or ""):
            if link.split("?")[0] == sys.argv[2]:
                print(link)
' "$1" "$2"
}
mail_links_at_least() { [ "$(mail_links "$1" "$2" | wc -l)" -ge "$3" ]; }
# mail_link TO PATH [N]: waits (20 s) for the Nth link (default the first) to PATH in TO's mails
# and prints it; fails when none comes.
mail_link() {
	wait_until 20000 mail_links_at_least "$1" "$2" "${3:-1}" || return 1
	mail_links "$1" "$2" | sed -n "${3:-1}p"
}
# token_of LINK: the token its query carries.
token_of() { sed -n 's/.*[?&]token=\([^&]*\).*/\1/p' <<<"$1"; }

# signup BROWSER NAME EMAIL: a resident through the forms, as a person does it: sign-up ("check
# your mail", no session), sign-in, then the confirmation mail's link and its button; bails out on
# a refusal. signup_unconfirmed stops before the mail.
signup_unconfirmed() {
	sign_up "$1" "$2" "$3" "$password"
	if ! { [ "$status" = 200 ] && grep -q "Check your mail" <<<"$body"; }; then
		echo "Bail out! sign-up of $3: $status $(text_of "$body")"; exit 1
	fi
	signin "$1" "$3"
}
signup() {
	signup_unconfirmed "$@"
	confirm_address "$1" "$3"
}
# confirm_address BROWSER EMAIL [N]: opens the Nth confirmation link mailed to EMAIL and presses
# its button; bails out unless the address is then confirmed.
confirm_address() {
	local link
	link=$(mail_link "$2" /confirm-email "${3:-1}") || { echo "Bail out! no confirmation mail to $2"; exit 1; }
	get "$1" "$link"
	post "$1" /confirm-email "token=$(token_of "$link")" "csrf=$(csrf_of "$body" /confirm-email)"
	if ! { [ "$status" = 200 ] && grep -q "is confirmed" <<<"$body"; }; then
		echo "Bail out! confirming $2: $status $(text_of "$body")"; exit 1
	fi
}
signin() {
	sign_in "$1" "$2" "$password"
	[ "$status" = 303 ] || { echo "Bail out! sign-in of $2: $status $(text_of "$body")"; exit 1; }
}
# id_of EMAIL: the account's id.
id_of() { sql "SELECT id FROM accounts WHERE email = '$1'"; }
# file_complaint BROWSER [CATEGORY]: files a complaint (a water leak unless CATEGORY names
# another) with a photo as BROWSER; sets filed (its id).
file_complaint() {
	file_complaint_try "$1" "${2:-water_leak}" "Water runs down Mill Lane ($RANDOM)" ||
		{ echo "Bail out! filing: $status $(text_of "$body")"; exit 1; }
}
# file_complaint_try BROWSER CATEGORY DESCRIPTION [PHOTO]: the filing form, then its POST with
# that description and a photo (a JPEG of test/data/photos unless PHOTO names another); sets what
# fetch sets, and filed (the id) when it was answered with the complaint's page. Fails otherwise.
file_complaint_try() {
	filing_form "$1"
	filing_post "$@"
}
# filing_form BROWSER: the filing form, its tokens kept in form_csrf and form_token for filing_post.
filing_form() {
	get "$1" /complaints/new
	form_csrf=$(input_value "$body" csrf) form_token=$(input_value "$body" submit_token)
}
# filing_post BROWSER CATEGORY DESCRIPTION [PHOTO]: file_complaint_try's POST, with the tokens of
# the last filing_form.
filing_post() {
	local photo=${4:-$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg}
	filed=
	fetch "$1" POST /complaints -H "Origin: $url" --form-string "category=$2" \
		--form-string "description=$3" --form-string "address=12 Mill Lane" \
		--form-string "csrf=$form_csrf" --form-string "submit_token=$form_token" -F "photo=@$photo"
	[[ $location =~ ^/complaints/([0-9]+)$ ]] || return 1
	filed=${BASH_REMATCH[1]}
}
# change [--version N] [--multipart] [--or-bail] BROWSER ID ACTION [FIELD=VALUE...]: the
# complaint's page, then its status form's POST with the page's token and the complaint's current
# version. The token is the session's, the same on every complaint's page: a page without the form
# (a complaint the caller may not see, or no action of theirs) leaves the browser's token from its
# last page that had one, so the POST is still a well-formed form. --version N names version N
# instead (an out-of-date page's); --multipart sends it as the resolve form does (multipart, its
# photo field), the arguments then curl's (--form-string FIELD=VALUE, -F photo=@FILE); --or-bail
# bails out unless it is answered 303.
declare -gA change_token
change() {
	local version='' multipart='' or_bail=''
	while :; do
		case $1 in
		--version) version=$2; shift 2 ;;
		--multipart) multipart=1; shift ;;
		--or-bail) or_bail=1; shift ;;
		*) break ;;
		esac
	done
	local browser=$1 id=$2 action=$3 token; shift 3
	get "$browser" "/complaints/$id"
	token=$(csrf_of "$body" "/complaints/$id/status")
	[ -n "$token" ] && [ "$token" != "$(csrf_of "$body" /signout)" ] && change_token[$browser]=$token
	token=${change_token[$browser]:-}
	[ -n "$version" ] || version=$(sql "SELECT version FROM complaints WHERE id = $id")
	if [ -n "$multipart" ]; then
		fetch "$browser" POST "/complaints/$id/status" -H "Origin: $url" --form-string "csrf=$token" \
			--form-string "version=$version" --form-string "action=$action" "$@"
	else
		post "$browser" "/complaints/$id/status" "csrf=$token" "version=$version" "action=$action" "$@"
	fi
	[ -z "$or_bail" ] || [ "$status" = 303 ] ||
		{ echo "Bail out! $action of $id by $browser: $status $(text_of "$body")"; exit 1; }
}

# ---- the full stack's mail sink (maildev, read through its REST API at mail_web) and outbox ----

# mails: one line per mail in maildev: "to|names|subject|message-id|first complaint link|header count"
# (python3 reads the JSON).
mails() {
	curl -s "$mail_web/api/email" | python3 -c '
import json, re, sys
for m in json.load(sys.stdin):
    to = ",".join(t["address"] for t in m.get("to", []))
    names = ",".join(t.get("name", "") for t in m.get("to", []))
    link = re.search(r"https?://[^\s<>\"]+/complaints/[0-9]+", m.get("text") or "")
    print("|".join([to, names, m.get("subject", ""), m.get("headers", {}).get("message-id", ""), link.group(0) if link else "", str(len(m.get("headers", {})))]))
'
}
# mail_header TO SUBJECT-END HEADER: HEADER's value, unfolded, as the relay got it (the message's
# source, not maildev's parse of it) in the first mail to TO whose subject ends with SUBJECT-END;
# "" when there is no such mail or header.
mail_header() {
	python3 -c '
import email, email.policy, json, sys, urllib.request
web, to, end, name = sys.argv[1:5]
for m in json.load(urllib.request.urlopen(web + "/api/email")):
    if to in [t["address"] for t in m.get("to", [])] and m.get("subject", "").endswith(end):
        source = urllib.request.urlopen(web + "/api/email/" + m["id"] + "/source").read()
        print(email.message_from_bytes(source, policy=email.policy.default).get(name, ""))
        break
' "$mail_web" "$1" "$2" "$3"
}
# marks_mismatched: how many marks of replica statistics differ from the sum of their periods
# (each (location, segment, operation, replica)'s rows of replica_observations): 0 when every
# attempt flushed was written once.
marks_mismatched() {
	mariadb_sql "$stack_dir" primary root "SELECT COUNT(*) FROM complaints.replica_marks m LEFT JOIN (SELECT location,
		segment, operation, replica, SUM(attempts) AS attempts, SUM(successes) AS successes
		FROM complaints.replica_observations GROUP BY location, segment, operation, replica) o
		USING (location, segment, operation, replica) WHERE COALESCE(o.successes, 0) <> m.successes
		OR COALESCE(o.attempts, 0) <> m.successes + m.fail_timeout + m.fail_connect + m.fail_protocol + m.fail_other"
}
# outbox STATUSES: how many notifications are in these statuses ("'pending', 'sending'").
outbox() { sql "SELECT COUNT(*) FROM notifications WHERE status IN ($1)"; }
settled() { [ "$(outbox "'pending', 'sending'")" = 0 ]; }
count_is() { [ "$(mail_count)" = "$1" ]; }
