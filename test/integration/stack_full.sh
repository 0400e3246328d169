#!/usr/bin/env bash
# stack_full.sh: the whole stack as `packaging/dev up` starts it — every server runs on loopback
# only, complaintd is configured for the database and S3 replica sets with its secrets in a 0600
# file, a test can break parts through stackctl, and `down` leaves nothing running.
source "$(dirname "$0")/lib.sh"
plan 9
stackctl="$top/packaging/stackctl"
dir="$test_var/stacks/full-$$"
rm -rf "$dir"
started=$(date +%s%N)
base=$(COMPLAINTD_BINARY=$binary "$stackctl" up "$dir" 2>"$test_var/stacks/full-$$.up.log") || {
	echo "Bail out! the full stack did not start"; diag "$(tail -n 20 "$test_var/stacks/full-$$.up.log")"; exit 1; }
diag "full stack up in $((($(date +%s%N) - started) / 1000000)) ms"
trap '"$stackctl" down "$dir" >/dev/null 2>&1' EXIT
url="http://127.0.0.1:$base"

all_running() {
	local name
	for name in nginx complaintd mariadb/primary mariadb/standby s3/us s3/jp s3/de mail; do
		kill -0 "$(cat "$dir/$name.pid" 2>/dev/null)" 2>/dev/null || { diag "$name is not running"; return 1; }
	done
}
check "nginx, complaintd, MariaDB primary + standby, three S3 replicas and the mail sink run" all_running
check "complaintd accepted the generated configuration with its [db] and [s3] replica sets" \
	bash -c 'grep -q "^\[db\]" "$1/complaintd.conf" && grep -q "^\[s3\]" "$1/complaintd.conf" &&
		curl -fs "$2/healthz" | grep -q "\"status\":\"ok\""' _ "$dir" "$url"
secrets_private() {
	[ "$(stat -c %a "$dir/secrets")" = 600 ] || return 1
	local value
	for value in $(sed 's/^[^=]*=//' "$dir/secrets"); do
		grep -qF "$value" "$dir/complaintd.conf" && { diag "a secret is in complaintd.conf"; return 1; }
	done
	return 0
}
check "the credentials live only in the 0600 secrets file, not in complaintd.conf" secrets_private
# Every listening socket of the stack's processes is on 127.0.0.1.
loopback_only() {
	local pids listeners
	pids=$(for f in "$dir"/*.pid "$dir"/mariadb/*.pid "$dir"/s3/*.pid; do cat "$f"; done | tr '\n' '|')
	listeners=$(ss -ltnpH | grep -E "pid=(${pids%|})[,)]")
	[ -n "$listeners" ] && ! awk '{print $4}' <<<"$listeners" | grep -qv '^127\.0\.0\.1:'
}
check "every server of the stack listens on 127.0.0.1 only" loopback_only
"$stackctl" stop-s3 "$dir" jp
check "stackctl stop-s3 stops exactly that replica" \
	bash -c '! kill -0 "$(cat "$1/s3/jp.pid" 2>/dev/null)" 2>/dev/null && kill -0 "$(cat "$1/s3/us.pid")"' _ "$dir"
"$stackctl" start-s3 "$dir" jp
check "stackctl start-s3 brings it back on its port" \
	bash -c 'curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$2/complaints" | grep -q 403' _ "$dir" "$((base + 4))"
"$stackctl" stop-mail "$dir"
check "stackctl stop-mail stops the mail sink" \
	bash -c '! curl -s -o /dev/null "http://127.0.0.1:$1/api/healthz"' _ "$((base + 10))"
pids=$(cat "$dir"/*.pid "$dir"/mariadb/*.pid "$dir"/s3/*.pid 2>/dev/null)
"$stackctl" down "$dir"
none_left() { local pid; for pid in $pids; do kill -0 "$pid" 2>/dev/null && return 1; done; return 0; }
check "stackctl down stops every process of the stack" none_left
check "down releases the port base" bash -c '[ ! -d "${STACK_PORTS_DIR:-/tmp/complaintd-ports}/$1" ]' _ "$base"
trap - EXIT
