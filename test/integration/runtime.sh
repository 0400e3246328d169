#!/usr/bin/env bash
# runtime.sh: the prefork runtime under nginx — a dead worker is replaced, SIGHUP swaps the
# configuration under load without dropping a request, a bad reload changes nothing, SIGTERM
# drains and cleans up, a bad configuration is refused with file, line and key.
source "$(dirname "$0")/lib.sh"
plan 17

check "--version prints the version" bash -c '"$1" --version | grep -qE "^complaintd [0-9]+\.[0-9]+\.[0-9]+$"' _ "$binary"
check "--help lists -c and the signals" bash -c '"$1" --help | grep -q -- "-c, --config FILE" && "$1" --help | grep -q "HUP reloads"' _ "$binary"

# A bad configuration is refused before anything starts, naming file, line and key.
bad_dir="$test_var/stacks/runtime-bad-$$"
mkdir -p "$bad_dir"
printf '[server]\nlisten = /tmp/complaintd-bad-%s.sock\nworkers = 0\n' "$$" >"$bad_dir/complaintd.conf"
"$binary" -c "$bad_dir/complaintd.conf" >"$bad_dir/out.log" 2>&1 && bad_status=0 || bad_status=$?
check "a configuration with workers = 0 is refused at start with file:line: [server] workers" \
	bash -c '[ "$1" = 1 ] && grep -q "$2:3: \[server\] workers: " "$3"' _ "$bad_status" "$bad_dir/complaintd.conf" "$bad_dir/out.log"
if [ "$(id -u)" -eq 0 ]; then
	printf '[server]\nlisten = /tmp/complaintd-nouser-%s.sock\ntemplates = %s/templates\n' "$$" "$top" >"$bad_dir/nouser.conf"
	"$binary" -c "$bad_dir/nouser.conf" >"$bad_dir/nouser.log" 2>&1 && nouser_status=0 || nouser_status=$?
	check "started as root with no user, complaintd refuses: workers would serve as root" \
		bash -c '[ "$1" = 1 ] && grep -q "started as root with no \[server\] user" "$2"' _ "$nouser_status" "$bad_dir/nouser.log"
else
	ok "# SKIP not root: no privileges to drop"
fi
rm -rf "$bad_dir"

test_stack_up runtime workers=2 drain_timeout=10s

# --- a worker killed is replaced ---
before=$(worker_pids)
victim=$(awk '{print $1}' <<<"$before")
kill -KILL "$victim"
# The master reaps and restarts within one 100 ms tick; allow 10x.
replaced() { local now; now=$(worker_pids); [ "$(wc -w <<<"$now")" -eq 2 ] && ! grep -qw "$victim" <<<"$now"; }
check "a SIGKILLed worker is replaced within 1 s" wait_until 1000 replaced
codes=$(for _ in $(seq 40); do curl -s -o /dev/null -w '%{http_code}\n' "$url/healthz"; done | sort | uniq -c | tr -s ' ')
check "requests keep being served after the kill (40 of 40 answered 200)" [ "$codes" = " 40 200" ]
check "the log says which worker died and that it was restarted" \
	bash -c 'grep -q "worker $1 (generation 1) killed by signal 9" "$2" && grep -q "restarting worker" "$2"' _ "$victim" "$stack_dir/complaintd.log"

# --- SIGHUP with a changed configuration, under load ---
old_pids=$(worker_pids)
wrk_out="$stack_dir/wrk.out"
access_log="$stack_dir/nginx/access.log"
answered_before=$(wc -l <"$access_log")
wrk -t2 -c8 -d6s "$url/healthz" >"$wrk_out" 2>&1 &
wrk_pid=$!
# The SIGHUP goes out once wrk has been answered (nginx logs each answer as it is sent), not
# after a guess at how long wrk takes to start.
wrk_answered() { [ "$(wc -l <"$access_log")" -ge $((answered_before + 100)) ]; }
check "wrk has 100 answers before the SIGHUP" wait_until 4000 wrk_answered
sed -i 's/^workers = .*/workers = 3/; s/^upload_max_bytes = .*/upload_max_bytes = 300K/' "$stack_dir/complaintd.conf"
kill -HUP "$master_pid"
wait "$wrk_pid"
diag "$(grep -E 'Requests/sec|requests in|Non-2xx|Socket errors' "$wrk_out")"
check "wrk saw requests served through the reload" grep -qE '^ +[0-9]+ requests in' "$wrk_out"
check "wrk saw 0 non-2xx answers during the reload" bash -c '! grep -q "Non-2xx" "$1"' _ "$wrk_out"
check "wrk saw 0 connect/read/write/timeout errors during the reload" bash -c '! grep -q "Socket errors" "$1"' _ "$wrk_out"
old_gone() { for pid in $old_pids; do kill -0 "$pid" 2>/dev/null && return 1; done; return 0; }
check "every worker of the old generation has exited" wait_until 10000 old_gone
new_pids=$(worker_pids)
check "the new generation has 3 workers, none of them old" \
	bash -c '[ "$(wc -w <<<"$1")" -eq 3 ] && for p in $2; do grep -qw "$p" <<<"$1" && exit 1; done; exit 0' _ "$new_pids" "$old_pids"
generations=$(for _ in $(seq 30); do curl -s "$url/healthz"; echo; done | grep -o '"config_generation":[0-9]*' | sort -u)
check "every answer after the reload reports config_generation 2" [ "$generations" = '"config_generation":2' ]
# 400 KiB: over the new limit (300K + 64K of form overhead), far under nginx's (the old 8M + 1M).
check "the reloaded setting is live: a body over the new upload limit gets the 413 naming it" \
	bash -c 'head -c $((400 * 1024)) /dev/zero | curl -s -H "Content-Type: application/x-www-form-urlencoded" \
		--data-binary @- "$1/" | grep -q "at most 300 KiB"' _ "$url"

# --- a bad reload changes nothing ---
cp "$stack_dir/complaintd.conf" "$stack_dir/good.conf"
echo "no_such_key = 1" >>"$stack_dir/complaintd.conf"
kill -HUP "$master_pid"
refused() { grep -q "complaintd.conf:[0-9]*: \[[a-z]*\] no_such_key: " "$stack_dir/complaintd.log" && grep -q "reload refused: generation 2 keeps running" "$stack_dir/complaintd.log"; }
stayed() { wait_until 5000 refused && [ "$(worker_pids)" = "$new_pids" ] && curl -s "$url/healthz" | grep -q '"config_generation":2'; }
check "a reload with an unknown key is refused with file:line and the generation stays" stayed
cp "$stack_dir/good.conf" "$stack_dir/complaintd.conf"

# --- SIGTERM drains and cleans up ---
socket="/tmp/complaintd-$stack_base/fcgi.sock"
kill -TERM "$master_pid"
master_gone() { ! kill -0 "$master_pid" 2>/dev/null; }
wait_until 10000 master_gone
check "SIGTERM: the master and every worker exit, and the socket is removed" \
	bash -c '! kill -0 "$1" 2>/dev/null && [ -z "$(pgrep -P "$1")" ] && [ ! -e "$2" ] && grep -q "master stopped" "$3"' _ "$master_pid" "$socket" "$stack_dir/complaintd.log"
