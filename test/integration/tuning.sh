#!/usr/bin/env bash
# tuning.sh: live tuning on a full stack of its own. complaintd -t prints every operation's
# effective policy (defaults included) as config lines that paste back; then, under a bounded wrk
# load on a page that reads the database and S3 (a resident's photo), the replica lists, replica
# counts and policies in complaintd.conf change and are reloaded several times, by SIGHUP and by
# complaintctl reload: wrk sees no error and no answer but 2xx/3xx, each new generation answers
# /healthz, complaintctl reload names the generation it took, and a bad policy or duration is
# refused by complaintctl reload with its file, line and position while the old generation keeps
# serving.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 25
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
wrk_pid=
cleanup() {
	[ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null
	test_stack_cleanup
	rm -rf "$scratch"
}
trap cleanup EXIT

test_full_stack_up tuning
test_migrate
conf=$stack_dir/complaintd.conf
master_pid=$(cat "$stack_dir/complaintd.pid")
primary=$(sed -n 's/^replicas = \(primary=[^,]*\),.*/\1/p' "$conf")
standby=$(sed -n 's/^replicas = primary=[^,]*, \(standby=.*\)$/\1/p' "$conf")
s3_us=$(sed -n 's/^replicas = \(us=[^,]*\),.*/\1/p' "$conf")
s3_jp=$(sed -n 's/^replicas = us=[^,]*, \(jp=[^,]*\),.*/\1/p' "$conf")
s3_de=$(sed -n 's/^replicas = .*, \(de=.*\)$/\1/p' "$conf")
[ -n "$primary" ] && [ -n "$standby" ] && [ -n "$s3_us" ] && [ -n "$s3_jp" ] && [ -n "$s3_de" ] ||
	{ echo "Bail out! cannot read the replica lists of $conf"; exit 1; }

# --- complaintd -t: the effective policies, defaults included, in the grammar the keys take ---
"$binary" -c "$conf" -t >"$scratch/t.out" 2>&1
check "complaintd -t prints each operation's default policy expanded over its replicas" \
	bash -c 'grep -qx "get = seq(us, jp, de)" "$1" && grep -qx "put = quorum(2, us, jp, de)" "$1" &&
		grep -qx "write = retry(2, seq(primary, standby))" "$1" && grep -qx "read = seq(primary, standby)" "$1" &&
		grep -qx "send = retry(1, seq(sink))" "$1" && grep -qx "# db.write db.primary" "$1" &&
		grep -qx "attempt_timeout = 3s" "$1"' _ "$scratch/t.out"
# Pasted back, section by section, the printed lines make a config that prints the same.
cp "$conf" "$scratch/pasted.conf"
section=
while IFS= read -r line; do
	case $line in
	'['*']') section=${line#[}; section=${section%]} ;;
	*' = '*) [ -n "$section" ] && conf_set "$scratch/pasted.conf" "$section" "$line" ;;
	esac
done <"$scratch/t.out"
"$binary" -c "$scratch/pasted.conf" -t >"$scratch/t2.out" 2>&1
check "complaintd -t's lines pasted into the config give the same config" \
	bash -c 'diff <(tail -n +2 "$1") <(tail -n +2 "$2") >&2 && grep -qx "put = quorum(2, us, jp, de)" "$3"' _ \
	"$scratch/t.out" "$scratch/t2.out" "$scratch/pasted.conf"
check "the master's own pid file (runtime_dir) names the process the stack started" \
	[ "$(cat "$stack_dir/run/complaintd.pid")" = "$master_pid" ]

# --- the load: a resident's photo, read through db.read/db.primary (session, complaint) and s3.get ---
signup ada "Ada Resident" ada@example.org
file_complaint ada
photo="/complaints/$filed/photo"
cookie=$(awk '!/^#/ || /^#HttpOnly_/ {if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7}' "$scratch/ada.jar")
get ada "$photo"
check "the resident's photo is served before the load (200, image/jpeg)" \
	bash -c '[ "$1" = 200 ] && grep -qi "^content-type: image/jpeg" <<<"$2"' _ "$status" "$headers"

access_log="$stack_dir/nginx/access.log"
answers() { grep -c " $photo " "$access_log"; }
# more_answers N: wrk has had N more photos answered since the last call.
mark=0
more_answers() { [ "$(answers)" -ge $((mark + $1)) ]; }
next_mark() { mark=$(answers); }
cat >"$scratch/stop.lua" <<'LUA'
-- Stops each thread once the test is done (the stop file exists), between two requests.
local stop, seen = os.getenv("TUNING_STOP"), 0
function response(status, headers, body)
	seen = seen + 1
	if seen % 20 == 0 then
		local f = io.open(stop, "r")
		if f then f:close(); wrk.thread:stop() end
	end
end
LUA
wrk_out="$scratch/wrk.out"
next_mark
TUNING_STOP="$scratch/stop" wrk -t2 -c4 -d300s --timeout 10s -s "$scratch/stop.lua" -H "Cookie: $cookie" \
	"$url$photo" >"$wrk_out" 2>&1 &
wrk_pid=$!
check "wrk has 50 photos answered before the first reload" wait_until 20000 more_answers 50

# reloaded N: generation N serves every /healthz answer (old workers gone) and wrk has had 50
# more photos answered since the reload, so the load ran across it.
reloaded() { wait_until 15000 serving_generation "$1" && wait_until 20000 more_answers 50; }

# 1. Policies (SIGHUP): a hedge with its delay in ms, over reordered replicas.
next_mark
conf_set "$conf" s3 "get = hedge(20ms, jp, us, de)"
conf_set "$conf" db "read = hedge(50ms, standby, primary)"
kill -HUP "$master_pid"
check "SIGHUP with hedged policies: generation 2 answers /healthz under the load" reloaded 2
check "the status file says the reload to generation 2 was taken" \
	bash -c 'grep -qx "generation=2" "$1" && grep -qx "last=taken" "$1" && grep -qx "reloads=1" "$1"' _ \
	"$stack_dir/run/complaintd.status"
check "complaintd -t prints the new policies as the keys take them" \
	bash -c '"$1" -c "$2" -t | grep -qx "get = hedge(20ms, jp, us, de)" &&
		"$1" -c "$2" -t | grep -qx "read = hedge(50ms, standby, primary)"' _ "$binary" "$conf"

# 2. Replica count (complaintctl reload): S3 down to two replicas, the quorum over what is left.
next_mark
conf_set "$conf" s3 "replicas = $s3_us, $s3_jp" "get = seq(s3)" "put = quorum(2, s3)"
"$complaintctl" -c "$conf" reload >"$scratch/reload.out" 2>&1 && reload_status=0 || reload_status=$?
check "complaintctl reload (two S3 replicas) says it was taken, generation 3" \
	bash -c '[ "$1" = 0 ] && grep -q "^reload taken: generation 3 serves now (master pid $2)$" "$3"' _ \
	"$reload_status" "$master_pid" "$scratch/reload.out"
check "generation 3 answers /healthz under the load" reloaded 3

# 3. Replica list (SIGHUP): the database without its standby.
next_mark
conf_set "$conf" db "replicas = $primary" "read = seq(db)"
kill -HUP "$master_pid"
check "SIGHUP with the database's standby taken out: generation 4 answers under the load" reloaded 4

# 4. Everything back (complaintctl reload), with a preset and the timeouts in other units.
next_mark
conf_set "$conf" db "replicas = $primary, $standby" "read = rb+retry(n=1)" "attempt_timeout = 3000ms"
conf_set "$conf" s3 "replicas = $s3_us, $s3_jp, $s3_de" "get = hedge(d=1s, s3)" "attempt_timeout = 2000"
"$complaintctl" -c "$conf" reload >"$scratch/reload.out" 2>&1 && reload_status=0 || reload_status=$?
check "complaintctl reload (both sets whole again) says it was taken, generation 5" \
	bash -c '[ "$1" = 0 ] && grep -q "^reload taken: generation 5 " "$2"' _ "$reload_status" "$scratch/reload.out"
check "generation 5 answers /healthz under the load" reloaded 5
check "complaintd -t prints the preset expanded and the delay in its largest unit" \
	bash -c '"$1" -c "$2" -t >"$3" && grep -qx "read = retry(1, seq(primary, standby))" "$3" &&
		grep -qx "get = hedge(1s, us, jp, de)" "$3" && grep -qx "attempt_timeout = 2s" "$3"' _ \
	"$binary" "$conf" "$scratch/t5.out"

# 5. A bad policy: refused with file, line, key and position; generation 5 keeps serving.
cp "$conf" "$scratch/good.conf"
next_mark
conf_set "$conf" s3 "get = hedge(20ms, us, nosuch)"
line=$(grep -n '^get = ' "$conf" | cut -d: -f1)
"$complaintctl" -c "$conf" reload >"$scratch/refused.out" 2>&1 && reload_status=0 || reload_status=$?
diag "$(cat "$scratch/refused.out")"
check "complaintctl reload of a bad policy exits 1 and shows the master's reason: file, line, key, position" \
	bash -c '[ "$1" = 1 ] &&
		grep -qF "complaintctl: reload refused: $2:$3: [s3] get: at 16: unknown replica or set '"'nosuch'"'" "$4" &&
		grep -q "generation 5 keeps serving (master pid $5)" "$4"' _ \
	"$reload_status" "$conf" "$line" "$scratch/refused.out" "$master_pid"
check "after the refusal generation 5 still answers every /healthz, and the photos keep coming" \
	holds 'serving_generation 5 && wait_until 20000 more_answers 50'
# A duration is written as the policies write it; a bad one is refused the same way.
cp "$scratch/good.conf" "$conf"
conf_set "$conf" s3 "attempt_timeout = 3x"
line=$(grep -n '^attempt_timeout = 3x' "$conf" | cut -d: -f1)
"$complaintctl" -c "$conf" reload >"$scratch/refused.out" 2>&1 && reload_status=0 || reload_status=$?
check "a bad duration is refused the same way: \"3x\" at 1, unknown unit 'x'" \
	bash -c '[ "$1" = 1 ] && grep -qF "$2:$3: [s3] attempt_timeout: \"3x\" is not a duration: at 1: unknown unit '"'x'"'" "$4"' _ \
	"$reload_status" "$conf" "$line" "$scratch/refused.out"
check "the status file keeps the refusal's reason and generation 5" \
	bash -c 'grep -qx "generation=5" "$1" && grep -qx "last=refused" "$1" && grep -q "^reason=.*unknown unit" "$1"' _ \
	"$stack_dir/run/complaintd.status"

# 6. The good file back: taken again.
cp "$scratch/good.conf" "$conf"
next_mark
"$complaintctl" -c "$conf" reload >"$scratch/reload.out" 2>&1 && reload_status=0 || reload_status=$?
check "the corrected file is taken: generation 6 answers under the load" \
	holds '[ "$reload_status" = 0 ] && grep -q "^reload taken: generation 6 " "$scratch/reload.out" && reloaded 6'

# The end of the load: each thread stops after its answer in hand (the stop file), then SIGINT
# ends wrk's wait for -d and it reports.
touch "$scratch/stop"
still() { local before; before=$(answers); sleep 0.5; [ "$(answers)" = "$before" ]; }
wait_until 20000 still
kill -INT "$wrk_pid"
wait "$wrk_pid"
wrk_pid=
diag "$(grep -E 'requests in|Non-2xx|Socket errors' "$wrk_out")"
# The waits above saw at least 50 photos answered before the first reload and after each of six.
check "wrk counts the photos answered through all six generations (350 or more)" \
	bash -c '[ "$(sed -n "s/^ *\([0-9]*\) requests in.*/\1/p" "$1")" -ge 350 ]' _ "$wrk_out"
check "wrk saw 0 answers other than 2xx/3xx" bash -c '! grep -q "Non-2xx or 3xx" "$1"' _ "$wrk_out"
check "wrk saw 0 connect/read/write/timeout errors" bash -c '! grep -q "Socket errors" "$1"' _ "$wrk_out"

# --- complaintctl reload when it cannot find a master ---
grep -v '^runtime_dir' "$conf" >"$scratch/no-dir.conf"
"$complaintctl" -c "$scratch/no-dir.conf" reload >"$scratch/none.out" 2>&1 && none_status=0 || none_status=$?
check "without [server] runtime_dir, complaintctl reload exits 2 and says to set it" \
	bash -c '[ "$1" = 2 ] && grep -q "\[server\] runtime_dir is not set" "$2"' _ "$none_status" "$scratch/none.out"
mkdir -p "$scratch/empty"
conf_set "$scratch/no-dir.conf" server "runtime_dir = $scratch/empty"
"$complaintctl" -c "$scratch/no-dir.conf" reload >"$scratch/none.out" 2>&1 && none_status=0 || none_status=$?
check "with no master in runtime_dir, complaintctl reload exits 3 and says so" \
	bash -c '[ "$1" = 3 ] && grep -q "no complaintd.pid in .*: no master runs with this runtime_dir" "$2"' _ \
	"$none_status" "$scratch/none.out"
kill -TERM "$master_pid"
master_gone() { ! kill -0 "$master_pid" 2>/dev/null; }
wait_until 20000 master_gone
check "a stopped master removes its pid and status files" \
	bash -c '[ ! -e "$1/complaintd.pid" ] && [ ! -e "$1/complaintd.status" ]' _ "$stack_dir/run"
