#!/usr/bin/env bash
# signin_throttle.sh: sign-in under guessing and floods, through nginx on a stack of its own with
# the throttling set in seconds — an email failing from one address waits 5 s, then is locked for
# 6 s, with the end time said and Retry-After given, while another address signs in;
# the email alone waits at most its cap and is never locked; an address trying many emails
# waits; a known and an unknown email get the same answers after the same hashing work; a flood
# of 100 wrong sign-ins at once is throttled while another client's pages stay fast; a worker
# SIGKILLed while hashing frees its slot; every failure, wait and lock is logged without the
# password or an unknown email. Client addresses are loopback ones (curl --interface 127.0.0.N),
# which nginx passes on as $remote_addr.
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 17
stackctl="$top/packaging/stackctl"
scratch=$(mktemp -d)
trap 'test_stack_cleanup; rm -rf "$scratch"' EXIT
test_full_stack_up throttle auth.hash_concurrency=1 \
	auth.signin_window=120s auth.signin_first_delay=5s \
	auth.signin_pair_free_failures=2 auth.signin_pair_max_delay=10s auth.signin_lock_failures=4 auth.signin_lock_time=6s \
	auth.signin_address_free_failures=8 auth.signin_address_max_delay=2s \
	auth.signin_email_free_failures=6 auth.signin_email_max_delay=2s \
	"auth.common_passwords=$top/data/common-passwords.txt"
test_migrate
dir=$stack_dir
master_pid=$(cat "$dir/complaintd.pid")

password='lantern-quietly-9-orchard'
# signin BROWSER ADDRESS EMAIL PASSWORD: the sign-in form, then its POST, from 127.0.0.ADDRESS.
signin() {
	local client_address="127.0.0.$2"
	get "$1" /signin
	post "$1" /signin "email=$3" "password=$4" "csrf=$(csrf_of "$body" /signin)"
	retry_after=$(grep -i '^retry-after:' <<<"$headers" | sed 's/^[^:]*: *//')
}
# A resident's account, made through the form.
make_account() {
	get maker /signup
	post maker /signup "name=$1" "email=$2" "password=$password" "csrf=$(csrf_of "$body" /signup)"
	if ! { [ "$status" = 200 ] && grep -q "Check your mail" <<<"$body"; }; then
		echo "Bail out! sign-up of $2: $status $(text_of "$body")"; exit 1
	fi
	rm -f "$scratch/maker.jar"
}
make_account "Ada Pair" ada@example.test
make_account "Bo Email" bo@example.test
make_account "Cy Known" cy@example.test
# The sign-ups' own counts (requests that send a mail, under their own subjects) are not sign-in
# failures: the pair's rows below are counted beside them.
mail_rows=$("$stackctl" sql "$dir" primary app "SELECT COUNT(*) FROM signin_failures WHERE scope = 0")
log_lines=$(wc -l <"$dir/complaintd.log")

# ---- the pair: a wait of 5 s, then locked for 6 s (every wait far longer than a sign-in takes) ----
seen=
for attempt in 1 2 3; do
	signin a 1 ada@example.test wrong-password-$attempt
	seen="$seen $status"
done
signin a 1 ada@example.test wrong-password-4
early_status=$status early_retry=$retry_after early_text=$(visible_text "$body")
check "three wrong passwords are 401; a fourth at once is 429 with Retry-After up to 5, saying how long ($seen, $early_status, $early_retry: ${early_text:0:200})" \
	holds '[ "$seen" = " 401 401 401" ] && [ "$early_status" = 429 ] && [ "$early_retry" -ge 1 ] && [ "$early_retry" -le 5 ] &&
		grep -q "Please wait $early_retry seconds* (until [0-9:]*)" <<<"$early_text"'
sleep "$early_retry"
signin a 1 ada@example.test wrong-password-4
after_wait=$status
signin a 1 ada@example.test "$password"
locked_status=$status locked_retry=$retry_after locked_text=$(visible_text "$body")
check "after the wait the next try is heard (401); the fourth failure locks the pair, even for the right password ($after_wait, $locked_status, Retry-After $locked_retry: ${locked_text:0:240})" \
	holds '[ "$after_wait" = 401 ] && [ "$locked_status" = 429 ] && [ "$locked_retry" -ge 1 ] && [ "$locked_retry" -le 6 ] &&
		grep -q "locked until [0-9:]* (in $locked_retry seconds*)" <<<"$locked_text"'
signin other 2 ada@example.test "$password"
check "the same account signs in from another address meanwhile ($status $location)" \
	holds '[ "$status" = 303 ] && [ "$location" = /account ]'
sleep "$locked_retry"
signin a 1 ada@example.test "$password"
check "once the lock has ended (Retry-After later) the right password signs in from the locked address ($status)" \
	[ "$status" = 303 ]
pair_rows=$(($("$stackctl" sql "$dir" primary app "SELECT COUNT(*) FROM signin_failures WHERE scope = 0") - mail_rows))
check "a success forgets its pair's failures (pair rows left: $pair_rows, the other address's untouched)" \
	[ "$pair_rows" = 0 ]

# ---- the email alone: waits at most its cap (2 s here), never locked ----
email_statuses=
max_retry=0
for address in 10 11 12 13 14 15 16 17 18 19; do
	signin "e$address" "$address" bo@example.test "wrong-$address"
	email_statuses="$email_statuses $status"
	if [ "$status" = 429 ]; then
		[ "$retry_after" -gt "$max_retry" ] && max_retry=$retry_after
		grep -q locked <<<"$body" && email_statuses="$email_statuses(locked)"
		sleep "$retry_after"
	fi
done
check "from ten addresses, the email alone makes them wait, at most 2 s, never locked ($email_statuses; longest $max_retry s)" \
	holds '[ "$max_retry" -ge 1 ] && [ "$max_retry" -le 2 ] && ! grep -q locked <<<"$email_statuses" &&
		grep -q 429 <<<"$email_statuses"'
sleep 2
signin e20 20 bo@example.test "$password"
check "after its cap the account's owner signs in from a new address ($status)" [ "$status" = 303 ]
sed 's/^signin_email_max_delay = .*//' "$dir/complaintd.conf" >"$scratch/cap.conf"
sed -i 's/^\[auth\]$/[auth]\nsignin_email_max_delay = 31s/' "$scratch/cap.conf"
"$binary" -t -c "$scratch/cap.conf" >"$scratch/cap.out" 2>&1 && cap_status=0 || cap_status=$?
check "a config asking the email alone to wait over 30 s is refused, naming file, line and key ($cap_status: $(head -c 200 "$scratch/cap.out"))" \
	holds '[ "$cap_status" = 1 ] && grep -q "cap.conf:[0-9]*: \[auth\] signin_email_max_delay" "$scratch/cap.out"'

# ---- the address: many emails from one address ----
address_statuses=
for n in 1 2 3 4 5 6 7 8 9 10; do
	signin s 30 "nobody-$n@example.test" wrong
	address_statuses="$address_statuses $status"
done
check "an address trying many unknown emails waits once past its free failures ($address_statuses)" \
	holds '[ "$address_statuses" = " 401 401 401 401 401 401 401 401 401 429" ]'

# ---- a known and an unknown email: the same answers, the same work ----
answers() {
	local email=$1 address=$2 n out=
	for n in 1 2 3 4; do
		signin "k$address" "$address" "$email" wrong
		out="$out $status/${verifications:-?}/${retry_after:+wait}"
		visible_text "$body" | sed "s/$email/EMAIL/g; s/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/TIME/g; s/wait [0-9]* seconds*/wait N seconds/" \
			>"$scratch/answer-$address-$n"
	done
	echo "$out"
}
known=$(answers cy@example.test 40)
unknown=$(answers nobody-else@example.test 41)
check "a known and an unknown email: the same statuses, hashing work and waits ($known | $unknown)" \
	holds '[ "$known" = "$unknown" ] && [ "$known" = " 401/1/ 401/1/ 401/1/ 429/0/wait" ]'
check "and the same pages, word for word" \
	bash -c 'for n in 1 2 3 4; do cmp -s "$1/answer-40-$n" "$1/answer-41-$n" || exit 1; done' _ "$scratch"

# ---- a flood from one client while another browses ----
client_address=127.0.0.50 get flood /signin
flood_csrf=$(csrf_of "$body" /signin)
cp "$scratch/flood.jar" "$scratch/flood-ro.jar"
: >"$scratch/page-times"
(
	deadline=$((SECONDS + 30))
	while [ ! -f "$scratch/flood-done" ] && [ $SECONDS -lt $deadline ]; do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url/" >>"$scratch/page-times"
	done
) &
browser_pid=$!
sleep 0.2
seq 1 100 | xargs -P 100 -I{} curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.50 \
	-b "$scratch/flood-ro.jar" -H "Origin: $url" --data-urlencode "email=flooded@example.test" \
	--data-urlencode "password=wrong-{}" --data-urlencode "csrf=$flood_csrf" "$url/signin" >"$scratch/flood-statuses"
sleep 0.2
touch "$scratch/flood-done"
wait "$browser_pid"
flood_summary=$(sort "$scratch/flood-statuses" | uniq -c | tr -s ' \n' ' ')
hashed=$(grep -c '^401$' "$scratch/flood-statuses")
page_count=$(wc -l <"$scratch/page-times")
page_p99=$(awk '{ print $2 }' "$scratch/page-times" | sort -n | awk '{ t[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%d", t[i] * 1000 }')
page_errors=$(awk '$1 != 200' "$scratch/page-times" | wc -l)
check "100 wrong sign-ins at once are throttled: at most a few are hashed, the rest refused at once ($flood_summary)" \
	holds '[ "$(wc -l <"$scratch/flood-statuses")" = 100 ] && [ "$hashed" -le 5 ] &&
		! grep -qv "^\(401\|429\|503\)$" "$scratch/flood-statuses"'
check "meanwhile another client's GET / stays fast: p99 $page_p99 ms over $page_count pages, under 100 ms, none failed ($page_errors)" \
	holds '[ "$page_count" -ge 10 ] && [ "$page_p99" -lt 100 ] && [ "$page_errors" = 0 ]'
diag "flood: $flood_summary; GET / p99 $page_p99 ms over $page_count"

# ---- logged: failures, waits and locks, with the address and the account, never a secret ----
log=$(tail -n +$((log_lines + 1)) "$dir/complaintd.log")
ada_id=$("$stackctl" sql "$dir" primary app "SELECT id FROM accounts WHERE email = 'ada@example.test'")
check "failed, throttled and locked sign-ins are logged with the address and the account id" \
	holds 'grep -q "sign-in failed for account $ada_id from 127.0.0.1" <<<"$log" &&
		grep -q "sign-in throttled for account $ada_id from 127.0.0.1 (pair)" <<<"$log" &&
		grep -q "sign-in locked for account $ada_id from 127.0.0.1 (pair)" <<<"$log" &&
		grep -q "sign-in failed for an unknown email from 127.0.0.30" <<<"$log"'
check "the log holds no password and no unknown email" \
	holds '! grep -q -e "wrong-password" -e "nobody-" -e "flooded@" -e "$password" <<<"$log"'

# ---- a worker SIGKILLed while hashing frees its slot ----
# Slow hashing for new passwords (verifying keeps each stored hash's own cost), then a sign-up
# that holds the host's one slot for seconds.
sed -i 's/^\[auth\]$/[auth]\npassword_ops_limit = 20/' "$dir/complaintd.conf"
old_workers=$(worker_pids)
kill -HUP "$master_pid"
wait_until 10000 bash -c '[ "$(curl -s "$1/healthz" | sed -n "s/.*\"config_generation\":\([0-9]*\).*/\1/p")" = 2 ]' _ "$url" ||
	diag "the reload did not take: $(tail -n 3 "$dir/complaintd.log")"
# Only fresh workers, which have hashed nothing yet, are left (an old one's memory may stay high).
old_gone() { local pid; for pid in $old_workers; do kill -0 "$pid" 2>/dev/null && return 1; done; return 0; }
wait_until 10000 old_gone || diag "old workers still alive: $old_workers"
get slow /signup
post slow /signup "name=Di Slow" "email=di@example.test" "password=$password" "csrf=$(csrf_of "$body" /signup)" &
signup_pid=$!
# The hashing worker: the one whose memory grew by argon2id's 64 MiB.
hashing_worker() {
	local pid
	for pid in $(worker_pids); do
		[ "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)" -gt 50000 ] && { echo "$pid"; return 0; }
	done
	return 1
}
wait_until 5000 hashing_worker >/dev/null && victim=$(hashing_worker) || victim=
signin busy 60 cy@example.test wrong-while-hashing
busy_status=$status busy_retry=$retry_after
[ -n "$victim" ] && kill -KILL "$victim"
wait "$signup_pid" 2>/dev/null
signin freed 61 cy@example.test "$password"
check "while one worker hashes, another sign-in is 503 with Retry-After 1 at once ($busy_status, Retry-After ${busy_retry:-none}, hashing worker ${victim:-not found})" \
	holds '[ -n "$victim" ] && [ "$busy_status" = 503 ] && [ "$busy_retry" = 1 ]'
check "once that worker is SIGKILLed its slot is free: the next sign-in is hashed and succeeds ($status)" \
	[ "$status" = 303 ]
