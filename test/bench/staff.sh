# shellcheck shell=bash
# test/bench/staff.sh: sourced by test/bench/pages.sh. The staff's side of a bench stack: an admin
# and two agents made by complaintctl and signed in through /signin, a second resident signed up
# through the form (then signed in: sign-up makes no session), and the complaints the staff's cases read and change: the resident's
# complaints are written into the primary as root the way filing writes them (the row and its
# 'submit' status_track row); 200 of them are assigned to the first agent, and one is reassigned
# between the two agents until it has 50 history rows, both through the admin's POST
# /complaints/{id}/status; the rest stay submitted for the assignment case.

# staff_seed STACKCTL COMPLAINTCTL DIR URL SCRATCH POOL: the above, with POOL submitted complaints
# left for assigning; every account's password is staff_password. Sets staff_cookie_admin,
# staff_cookie_agent, staff_cookie_reporter (Cookie headers), staff_agents ("ID ID"),
# staff_status_csrf (the admin's token for the status forms), staff_complaint (the one with 50
# history rows) and staff_pool ("FIRST LAST": ids of the submitted ones). Non-zero, saying why on
# stderr, on any failure.
staff_password="staff bench password 15"
# shellcheck disable=SC2034  # the cookies, the pool: the caller's
staff_seed() {
	local stackctl=$1 complaintctl=$2 dir=$3 url=$4 scratch=$5 pool=$6
	local who page answer reporter i first
	staff_sql() { "$stackctl" sql "$dir" primary root "USE complaints; $1"; }
	# staff_form JAR PATH FIELD=VALUE...: a form POST from JAR's browser; echoes "STATUS LOCATION".
	staff_form() {
		local jar=$1 path=$2 args=() field; shift 2
		for field in "$@"; do args+=(--data-urlencode "$field"); done
		curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" -H "Origin: $url" \
			"${args[@]}" "$url$path"
	}
	# staff_csrf: the first csrf input's value in the HTML on stdin.
	staff_csrf() { sed 's/</\n</g' | grep -o '<input[^>]*name="csrf"[^>]*>' | head -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p'; }
	staff_cookie() { echo "session=$(awk -F'\t' '$6 == "session" { print $7 }' "$1" | tail -n 1)"; }
	for who in admin:admin:Ada agent:agent:Amy agent:agent2:Abel; do
		printf '%s\n' "$staff_password" | "$complaintctl" -c "$dir/complaintd.conf" "create-${who%%:*}" \
			--name "${who##*:} Staff" "$(cut -d: -f2 <<<"$who")@bench.example.org" >"$scratch/create.out" 2>&1 ||
			{ echo "staff_seed: create-${who%%:*}: $(cat "$scratch/create.out")" >&2; return 1; }
	done
	# Sign-up answers "check your mail" and makes no session: the reporter signs in like the staff.
	page=$(curl -s -c "$scratch/reporter.jar" -b "$scratch/reporter.jar" "$url/signup")
	answer=$(staff_form "$scratch/reporter.jar" /signup "name=Sam Street" "email=sam@bench.example.org" \
		"password=$staff_password" "csrf=$(staff_csrf <<<"$page")")
	[ "$answer" = "200 " ] || { echo "staff_seed: sign-up answered $answer" >&2; return 1; }
	for who in admin:admin agent:agent reporter:sam; do
		page=$(curl -s -c "$scratch/${who%%:*}.jar" -b "$scratch/${who%%:*}.jar" "$url/signin")
		answer=$(staff_form "$scratch/${who%%:*}.jar" /signin "email=${who##*:}@bench.example.org" \
			"password=$staff_password" "csrf=$(staff_csrf <<<"$page")")
		[ "${answer%% *}" = 303 ] || { echo "staff_seed: sign-in of ${who%%:*} answered $answer" >&2; return 1; }
	done
	staff_cookie_admin=$(staff_cookie "$scratch/admin.jar")
	staff_cookie_agent=$(staff_cookie "$scratch/agent.jar")
	staff_cookie_reporter=$(staff_cookie "$scratch/reporter.jar")
	staff_agents=$(staff_sql "SELECT GROUP_CONCAT(id ORDER BY email SEPARATOR ' ') FROM accounts
		WHERE email IN ('agent@bench.example.org', 'agent2@bench.example.org')")
	reporter=$(staff_sql "SELECT id FROM accounts WHERE email = 'sam@bench.example.org'")
	staff_sql "INSERT INTO complaints (category_id, reporter_id, description, address, due_at, submit_token)
		SELECT (SELECT MIN(id) FROM categories), $reporter, CONCAT('Pothole on Quay Road, number ', seq),
		'Quay Road 2', UTC_TIMESTAMP(3) + INTERVAL (seq % 30) DAY, UNHEX(SHA2(CONCAT('staff-', seq), 256))
		FROM seq_1_to_$((201 + pool)) ORDER BY seq;
		INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status)
		SELECT id, reporter_id, 'submit', NULL, 'submitted' FROM complaints WHERE reporter_id = $reporter" ||
		{ echo "staff_seed: the complaints could not be written" >&2; return 1; }
	# One INSERT ... SELECT: consecutive ids (innodb_autoinc_lock_mode 1), not MAX(id) + 1 before it.
	first=$(staff_sql "SELECT MIN(id) FROM complaints WHERE reporter_id = $reporter")
	[ "$(staff_sql "SELECT MAX(id) - MIN(id) FROM complaints WHERE reporter_id = $reporter")" = $((200 + pool)) ] ||
		{ echo "staff_seed: the complaints' ids are not consecutive" >&2; return 1; }
	# Written as root on the primary: the admin's reads go to the standby once it has them.
	for i in $(seq 200); do
		[ "$("$stackctl" sql "$dir" standby root "SELECT COUNT(*) FROM complaints.status_track
			WHERE complaint_id >= $first")" = $((201 + pool)) ] && break
		sleep 0.05
	done
	page=$(curl -s -b "$scratch/admin.jar" "$url/complaints/$first")
	staff_status_csrf=$(sed -n '\#<form[^>]*action="/complaints/[0-9]*/status"#,\#</form>#p' <<<"${page//</$'\n'<}" |
		staff_csrf) || true
	[ -n "$staff_status_csrf" ] || { echo "staff_seed: the admin's page of #$first has no status form" >&2; return 1; }
	# staff_move ID VERSION ACTION AGENT: the admin's change; fails unless it is made (303).
	staff_move() {
		answer=$(staff_form "$scratch/admin.jar" "/complaints/$1/status" "csrf=$staff_status_csrf" "version=$2" \
			"action=$3" "agent=$4")
		[ "${answer%% *}" = 303 ] || { echo "staff_seed: $3 of #$1 answered $answer" >&2; return 1; }
	}
	for ((i = 0; i < 200; i++)); do staff_move $((first + i)) 0 assign "${staff_agents%% *}" || return 1; done
	# Submitted, assigned, then 48 reassignments: 50 rows.
	staff_complaint=$((first + 200))
	staff_move "$staff_complaint" 0 assign "${staff_agents%% *}" || return 1
	for ((i = 1; i <= 48; i++)); do
		staff_move "$staff_complaint" "$i" reassign "$( ((i % 2)) && echo "${staff_agents##* }" || echo "${staff_agents%% *}")" ||
			return 1
	done
	staff_pool="$((first + 201)) $((first + 200 + pool))"
	[ "$(staff_sql "SELECT COUNT(*) FROM status_track WHERE complaint_id = $staff_complaint")" = 50 ] ||
		{ echo "staff_seed: #$staff_complaint does not have 50 history rows" >&2; return 1; }
}

# staff_console_load STACKCTL DIR AGENT REPORTER N: N more complaints of AGENT (filed by REPORTER),
# written as root on the primary the way staff_seed writes its own: four in five open (assigned or
# in progress), one in five resolved (on no console); one in 20 reopened in each of those states;
# 1,000 due dates, so that each is shared by N / 1,000 and the id decides among them. Their
# descriptions start "Console load ". Non-zero, saying why on stderr, on failure.
staff_console_load() {
	local stackctl=$1 dir=$2 agent=$3 reporter=$4 n=$5
	"$stackctl" sql "$dir" primary root "USE complaints; INSERT INTO complaints (category_id, reporter_id, description,
			address, status, assigned_agent_id, assigned_at, due_at, resolved_at, reopened_at, submit_token)
		SELECT (SELECT MIN(id) FROM categories), $reporter, CONCAT('Console load ', seq), 'Quay Road 3',
			ELT(1 + seq % 5, 'resolved', 'assigned', 'assigned', 'in_progress', 'in_progress'), $agent, UTC_TIMESTAMP(3),
			UTC_TIMESTAMP(3) + INTERVAL (seq * 7 % 1000) MINUTE, IF(seq % 5 = 0, UTC_TIMESTAMP(3), NULL),
			IF(seq % 20 IN (0, 1, 3), UTC_TIMESTAMP(3), NULL), UNHEX(SHA2(CONCAT('console-', seq), 256))
		FROM seq_1_to_$n; ANALYZE TABLE complaints" >/dev/null ||
		{ echo "staff_console_load: the complaints could not be written" >&2; return 1; }
}
