# shellcheck shell=bash
# test/resident.sh: sourced by test/integration/round_trips.sh and test/bench/pages.sh. A resident
# signed up and signed in through the forms (so a real session, holding its sign-in's GTID; sign-up
# answers "check your mail" and makes no session), with 200 complaints,
# the newest of them with 20 history rows, written straight into a stack's primary as root and
# waited for on its standby.

# resident_seed STACKCTL DIR URL JAR: signs the resident up and in with the cookie jar JAR and writes
# the rows; sets resident_account and resident_complaint (the one with the history). Non-zero,
# saying why on stderr, on any failure.
resident_seed() {
	local stackctl=$1 dir=$2 url=$3 jar=$4 page csrf answer
	resident_sql() { "$stackctl" sql "$dir" "$1" root "USE complaints; $2"; }
	page=$(curl -s -c "$jar" -b "$jar" "$url/signup")
	csrf=$(grep -o '<input[^>]*name="csrf"[^>]*>' <<<"$page" | head -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p')
	answer=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" -H "Origin: $url" \
		--data-urlencode "name=Rita Counter" --data-urlencode "email=rita@example.org" \
		--data-urlencode "password=counting round trips 14" --data-urlencode "csrf=$csrf" "$url/signup")
	[ "$answer" = "200 " ] || { echo "resident_seed: sign-up answered $answer" >&2; return 1; }
	page=$(curl -s -c "$jar" -b "$jar" "$url/signin")
	csrf=$(grep -o '<input[^>]*name="csrf"[^>]*>' <<<"$page" | head -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p')
	answer=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" -H "Origin: $url" \
		--data-urlencode "email=rita@example.org" --data-urlencode "password=counting round trips 14" \
		--data-urlencode "csrf=$csrf" "$url/signin")
	[ "$answer" = "303 $url/account" ] || { echo "resident_seed: sign-in answered $answer" >&2; return 1; }
	resident_account=$(resident_sql primary "SELECT id FROM accounts WHERE email = 'rita@example.org'")
	resident_sql primary "INSERT INTO complaints (category_id, reporter_id, description, address, due_at, submit_token)
		SELECT (SELECT MIN(id) FROM categories), $resident_account, CONCAT('Streetlight out, number ', seq),
		'Main Street 1', UTC_TIMESTAMP(3) + INTERVAL 7 DAY, UNHEX(SHA2(CONCAT('resident-', seq), 256))
		FROM seq_1_to_200" || { echo "resident_seed: the complaints could not be written" >&2; return 1; }
	resident_complaint=$(resident_sql primary "SELECT MAX(id) FROM complaints WHERE reporter_id = $resident_account")
	resident_sql primary "INSERT INTO status_track (complaint_id, action, to_status, reason)
		SELECT $resident_complaint, 'submit', 'submitted', CONCAT('step ', seq) FROM seq_1_to_20" || {
		echo "resident_seed: the history could not be written" >&2; return 1; }
	local tries
	for tries in $(seq 200); do
		[ "$(resident_sql standby "SELECT COUNT(*) FROM status_track WHERE complaint_id = $resident_complaint")" = 20 ] &&
			return 0
		sleep 0.05
	done
	echo "resident_seed: the standby did not apply the rows in $((tries / 20)) s" >&2
	return 1
}
