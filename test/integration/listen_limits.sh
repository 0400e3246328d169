#!/usr/bin/env bash
# listen_limits.sh: complaintd serving over TCP (host:port) instead of a unix socket, workers
# running as the unprivileged user, and nginx's rate limit on the sign-in routes answering 429.
source "$(dirname "$0")/lib.sh"
plan 7
# A sign-in rate of 1 a minute with a burst of 2: the fourth quick request is over it.
STACK_SIGNIN_RATE=1r/m STACK_SIGNIN_BURST=2 test_stack_up listen listen=127.0.0.1:@PORT12@

fcgi_port=$((stack_base + 12))
check "complaintd listens on 127.0.0.1:$fcgi_port when listen is host:port" \
	bash -c 'ss -ltnH "( sport = :$1 )" | grep -q "127.0.0.1:$1"' _ "$fcgi_port"
check "pages are served through nginx over the TCP socket" \
	bash -c 'curl -fs "$1/" | grep -q "Report a problem in your city"' _ "$url"
workers_unprivileged() {
	local pid
	[ "$(id -u)" -eq 0 ] || { diag "not root: nothing to drop"; return 0; }
	[ "$(ps -o user= -p "$master_pid" | tr -d ' ')" = root ] || return 1
	for pid in $(worker_pids); do
		[ "$(ps -o user= -p "$pid" | tr -d ' ')" = nobody ] || return 1
	done
}
check "the master keeps root while every worker runs as nobody" workers_unprivileged

codes=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{http_code} ' "$url/signin"; done)
diag "sign-in answers: $codes"
check "nginx answers 429 once a client goes over the sign-in rate" grep -q 429 <<<"$codes"
codes=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{http_code} ' "$url/"; done)
check "other pages are not rate limited" [ "$codes" = "200 200 200 200 200 " ]

# A master killed outright takes its workers with it (they drop privileges first, then ask for
# the parent-death signal, which a uid change would clear), so a restart finds no one answering.
orphans=$(worker_pids)
kill -KILL "$master_pid"
# Gone or a zombie: an orphan's exit is reaped by whatever pid 1 is, in its own time.
orphans_gone() {
	local pid
	for pid in $orphans; do
		case $(ps -o stat= -p "$pid" 2>/dev/null) in '' | Z*) ;; *) return 1 ;; esac
	done
}
check "workers exit within 1 s when their master is SIGKILLed" wait_until 1000 orphans_gone
"$binary" -c "$stack_dir/complaintd.conf" </dev/null >>"$stack_dir/complaintd.log" 2>&1 &
echo $! >"$stack_dir/complaintd.pid"
master_pid=$!
restarted() { curl -fs "$url/healthz" | grep -q '"status":"ok"'; }
check "a new complaintd starts on the same socket and serves" wait_until 5000 restarted
