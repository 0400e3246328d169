#!/usr/bin/env bash
# replfault.sh: the fault-injecting replica server as a benchmark client sees it — six replicas of
# the Hong Kong profile answer within their scaled latency range, repeatably for a seed; each
# injected fault looks like the real one to curl (503, reset, truncated body, a hang of every
# replica at once); the proxy adds its delay in front of a real server; bad input and bad setups
# are refused; SIGTERM exits 0.
source "$(dirname "$0")/lib.sh"
plan 19

replfault=${REPLFAULT_BINARY:-$test_var/build-asan/replication/tools/replfault}
profile=$top/test/data/wsdream/wsdream-per-replica.csv
six=a-us,a-jp,a-de,a-ca,a-fr,a-uk
# The Hong Kong rows' rtt_min and rtt_max (ms), in the order of $six.
mins=(250 203 343 250 343 328)
maxs=(9562 9937 9750 9515 9750 9813)
scale=0.01

[ -x "$replfault" ] || { echo "Bail out! no replfault at $replfault (set REPLFAULT_BINARY)"; exit 1; }
stack_base=$(stack_claim_base $$) || { echo "Bail out! no free port base"; exit 1; }
work=$(mktemp -d /tmp/replfault-test.XXXXXX)

pids=()
replfault_cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$work"
	test_stack_cleanup
}
trap replfault_cleanup EXIT

# rf_start NAME ARGS...: starts replfault, waits for its ready line; sets rf_pid.
rf_start() {
	local name=$1; shift
	"$replfault" "$@" >"$work/$name.out" 2>"$work/$name.err" &
	rf_pid=$!
	pids+=("$rf_pid")
	wait_until 5000 grep -q '^replfault ready' "$work/$name.out"
}
# rf_stop PID: SIGTERM, then the exit status.
rf_stop() { kill -TERM "$1"; wait "$1"; }

# curl_six ARGS...: one request per replica, prints "exit code time_total" per line.
curl_six() {
	local i code rc
	for i in 0 1 2 3 4 5; do
		code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$@" "http://127.0.0.1:$((stack_base + i))/")
		rc=$?
		echo "$rc $code"
	done
}

# ---- a normal run ----
common=(--profile "$profile" --location hong-kong --replicas $six --port-base "$stack_base" --scale $scale --seed 7)
rf_start normal "${common[@]}" && started=1 || started=0
want="replfault ready a-us=127.0.0.1:$stack_base a-jp=127.0.0.1:$((stack_base + 1)) a-de=127.0.0.1:$((stack_base + 2)) a-ca=127.0.0.1:$((stack_base + 3)) a-fr=127.0.0.1:$((stack_base + 4)) a-uk=127.0.0.1:$((stack_base + 5))"
check "replfault prints one ready line naming each replica's address" \
	bash -c '[ "$1" = 1 ] && [ "$(cat "$2")" = "$3" ]' _ "$started" "$work/normal.out" "$want"

"$replfault" "${common[@]}" --dry-run 20 --dry-run-attempts 2 >"$work/dry1"
"$replfault" "${common[@]}" --dry-run 20 --dry-run-attempts 2 >"$work/dry2"
"$replfault" "${common[@]}" --seed 8 --dry-run 20 --dry-run-attempts 2 >"$work/dry3"
check "the same seed gives the same decisions and latencies, byte for byte" cmp -s "$work/dry1" "$work/dry2"
check "another seed gives other latencies" bash -c '! cmp -s "$1" "$2" && [ "$(wc -l <"$1")" = 241 ]' _ "$work/dry1" "$work/dry3"

# Each replica answers 200 no sooner than its scaled rtt_min and the sampled latency, no later
# than its scaled rtt_max plus 200 ms for the machine.
bad=
for i in 0 1 2 3 4 5; do
	name=$(cut -d, -f$((i + 1)) <<<"$six")
	sampled=$(awk -v n="$name" '$1 == 3 && $2 == n && $3 == 0 { print $5 }' "$work/dry1")
	out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H 'X-Repl-Case: 3' "http://127.0.0.1:$((stack_base + i))/")
	rc=${out% *}
	t=${out#* }
	ms=$(awk -v t="$t" 'BEGIN { printf "%.3f", t * 1000 }')
	awk -v ms="$ms" -v lo="${mins[$i]}" -v hi="${maxs[$i]}" -v s=$scale -v sampled="$sampled" \
		'BEGIN { exit !(ms >= lo * s && ms >= sampled && ms <= hi * s + 200) }' && [ "$rc" = 200 ] ||
		bad="$bad $name:$rc:${ms}ms(sampled $sampled)"
done
check "each replica answers within its scaled [rtt_min, rtt_max] and not before its sampled latency" [ -z "$bad" ]
[ -z "$bad" ] || diag "$bad"

# The latency a request gets is the dry run's for its (case, attempt), whatever the connection.
served=$(curl -s -D - -o /dev/null -H 'X-Repl-Case: 17' -H 'X-Repl-Attempt: 1' "http://127.0.0.1:$((stack_base + 2))/" |
	tr -d '\r' | awk '/^X-Repl-Latency-Ms:/ { print $2 }')
expected=$(awk '$1 == 17 && $2 == "a-de" && $3 == 1 { printf "%.3f", $5 }' "$work/dry1")
check "a request's (case, attempt) headers pick the dry run's latency ($expected ms)" \
	bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$served" "$expected"

log=$(curl -sv -H 'X-Repl-Case: 1' "http://127.0.0.1:$stack_base/a" "http://127.0.0.1:$stack_base/b" 2>&1)
check "keep-alive: two requests on one connection, each answered with its body" \
	bash -c 'grep -q "Re-using existing connection" <<<"$1" && [ "$(grep -c "^ok a-us 1$" <<<"$1")" = 2 ]' _ "$log"

body=$(head -c 100000 /dev/zero | tr '\0' x | curl -s --data-binary @- -H 'Expect:' "http://127.0.0.1:$((stack_base + 1))/")
check "a request body is read and discarded, then answered" [ "$body" = "ok a-jp 0" ]

codes=$(
	curl -s -o /dev/null -w '%{http_code} ' -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$stack_base/"
	curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary abc "http://127.0.0.1:$stack_base/"
)
printf 'GET / HTTP/1.1\r\nBad Header\r\n\r\n' >"$work/bad.req"
reply=$(exec 3<>"/dev/tcp/127.0.0.1/$stack_base"; cat "$work/bad.req" >&3; timeout 2 head -c 12 <&3)
check "a head over 16 KiB is 431, a chunked upload 411, a malformed header 400" \
	bash -c '[ "$1" = "431 411" ] && [ "$2" = "HTTP/1.1 400" ]' _ "$codes" "$reply"

rf_stop "$rf_pid" && status=0 || status=$?
check "SIGTERM stops replfault with status 0" [ "$status" = 0 ]

# ---- injected faults ----
rf_start f503 "${common[@]}" --503 1
out=$(curl_six)
check "--503 1: every replica answers 503" bash -c '[ "$(awk "\$1 == 0 && \$2 == 503" <<<"$1" | wc -l)" = 6 ]' _ "$out"
rf_stop "$rf_pid"

rf_start reset "${common[@]}" --reset 1
out=$(curl_six)
check "--reset 1: curl sees a reset or an empty reply on every replica (56 or 52)" \
	bash -c '[ "$(awk "\$1 == 56 || \$1 == 52" <<<"$1" | wc -l)" = 6 ]' _ "$out"
rf_stop "$rf_pid"

rf_start truncate "${common[@]}" --truncate 1
out=$(curl_six)
check "--truncate 1: curl reports a partial file (18) on every replica" \
	bash -c '[ "$(awk "\$1 == 18" <<<"$1" | wc -l)" = 6 ]' _ "$out"
rf_stop "$rf_pid"

rf_start corr "${common[@]}" --correlated 1 --hang-max-ms 300000
out=$(curl_six -m 0.5)
check "--correlated 1: all six replicas hang on a case (curl -m 0.5 times out on each)" \
	bash -c '[ "$(awk "\$1 == 28" <<<"$1" | wc -l)" = 6 ]' _ "$out"
rf_stop "$rf_pid" && status=0 || status=$?
check "SIGTERM with hanging connections open still exits 0" [ "$status" = 0 ]

rf_start hang "${common[@]}" --hang 1
# A hang ends at --hang-max-ms: 30 s x scale = 300 ms here, closed without an answer.
read -r t rc < <(curl -s -o /dev/null -w '%{time_total}' -m 5 "http://127.0.0.1:$stack_base/"; echo " $?")
t_ms=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
check "a hang is closed without an answer after --hang-max-ms (300 ms at this scale; took ${t_ms} ms)" \
	bash -c '[ "$1" = 52 ] && [ "$2" -ge 300 ] && [ "$2" -le 1500 ]' _ "$rc" "$t_ms"
rf_stop "$rf_pid"

# ---- proxy ----
backend=$((stack_base + 10))
front=$((stack_base + 11))
rf_start backend --profile "$profile" --location hong-kong --replicas a-us --port-base "$backend" --scale $scale --seed 7
backend_pid=$rf_pid
proxy=(--profile "$profile" --location hong-kong --proxy "a-jp=$front:127.0.0.1:$backend" --scale 0.1 --seed 7)
delay=$("$replfault" "${proxy[@]}" --dry-run 1 | awk '$1 == 0 && $2 == "a-jp" { print $5 }')
rf_start proxy "${proxy[@]}"
read -r t body < <(curl -s -w '%{time_total} ' -o "$work/proxied" "http://127.0.0.1:$front/" && cat "$work/proxied")
t_ms=$(awk -v t="$t" 'BEGIN { printf "%.3f", t * 1000 }')
check "the proxy relays to the backend after its own delay (${delay} ms; took ${t_ms} ms)" \
	bash -c 'grep -qx "ok a-us 0" "$1" && awk -v a="$2" -v d="$3" "BEGIN { exit !(a >= d && a <= d + 1200) }"' _ \
	"$work/proxied" "$t_ms" "$delay"
rf_stop "$rf_pid"
rf_start proxyreset "${proxy[@]}" --reset 1
curl -s -o /dev/null "http://127.0.0.1:$front/" && rc=0 || rc=$?
check "a proxy injecting resets: curl sees the connection reset or closed (56 or 52; got $rc)" \
	bash -c '[ "$1" = 56 ] || [ "$1" = 52 ]' _ "$rc"
rf_stop "$rf_pid"
rf_stop "$backend_pid"

# ---- refused setups ----
"$replfault" "${common[@]}" --address 0.0.0.0 >/dev/null 2>"$work/addr.err" && rc=0 || rc=$?
check "an --address outside 127.0.0.0/8 is refused" bash -c '[ "$1" != 0 ] && grep -q "127" "$2"' _ "$rc" "$work/addr.err"
printf '# c\nlocation,replica,fail_rate_pct,fail,all,rtt_avg,rtt_std,rtt_min,rtt_max,prot_avg,prot_std\nhong-kong,a-us,0.3,1,2,4x3,309,250,9562,,\n' >"$work/bad.csv"
"$replfault" --profile "$work/bad.csv" --location hong-kong --port-base "$stack_base" >/dev/null 2>"$work/csv.err" && rc=0 || rc=$?
check "a broken profile is refused with its file and line" \
	bash -c '[ "$1" != 0 ] && grep -q "bad.csv:3: rtt_avg" "$2"' _ "$rc" "$work/csv.err"
