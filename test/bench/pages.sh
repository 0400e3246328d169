#!/usr/bin/env bash
# test/bench/pages.sh: each complaintd page as a share of the stack's own limit, measured in one
# run. Starts a full stack (MariaDB primary + standby, S3 replicas, nginx, complaintd with 4
# workers), the resident of test/resident.sh (200 complaints, one with 20 history rows), the
# staff of test/bench/staff.sh (an admin; an agent with 200 assigned complaints; a complaint with
# 50 history rows; ASSIGN_POOL, default 20,000, submitted complaints to assign), and beside
# complaintd two baselines of hello_fcgi (test/bench/hello_fcgi.c) behind the same nginx (a server
# block of its own each), 4 workers each: a bare libfcgi hello world, and hello + one prepared
# primary-key SELECT on the same primary (prepared once per worker). Then, per case: wrk -t2 -c32
# flat out (req/s, p50, p99), and again paced at half that rate (test/bench/pace.lua: a fixed delay
# per connection) for the p99 a page has when the machine is not saturated; the assignment case is
# test/bench/assign.lua (each request assigns another submitted complaint). Last, the
# worker-memory run: MIX_REQUESTS (default 200,000) requests of a mix (test/bench/mix.lua) of
# signed-in pages, filings with a photo and a few sign-ins, each worker's RSS sampled every 2 s
# (for twice the time the rates measured before it predict, or MIX_SECONDS). CONSOLE_LOAD=N gives
# the agent N more complaints (test/bench/staff.sh's staff_console_load) before the cases.
# Prints Markdown tables. PAGES_CASES="hello hello_pk agent" runs only those cases (a page's share
# needs its baseline's case: hello for GET /, hello_pk for the others) and no worker-memory run
# (its length comes from every page's rate); MIX_REQUESTS=0 skips that run too.
#   usage: test/bench/pages.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY HELLO_FCGI_BINARY [SECONDS]
set -euo pipefail
usage="usage: pages.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY HELLO_FCGI_BINARY [SECONDS]"
binary=${1:?$usage}
complaintctl=${2:?$usage}
hello=${3:?$usage}
seconds=${4:-10}
mix_requests=${MIX_REQUESTS:-200000}
assign_pool=${ASSIGN_POOL:-20000}
top=$(cd "$(dirname "$0")/../.." && pwd)
bench=$top/test/bench
stackctl="$top/packaging/stackctl"
dir="$top/var/stacks/bench-pages-$$"
out="$top/var/bench"
mkdir -p "$out" "$top/var/stacks"
# shellcheck source=test/bench/baselines.sh
source "$bench/baselines.sh"
cleanup() {
	baselines_down
	"$stackctl" down "$dir" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
base=$(COMPLAINTD_BINARY=$binary "$stackctl" up "$dir" workers=4 log_level=warn 2>"$out/pages-up.log")
"$complaintctl" -c "$dir/complaintd.conf" migrate --migrations "$top/db/migrations" >/dev/null
url="http://127.0.0.1:$base"
jar="$out/pages.jar"
rm -f "$jar"
# shellcheck source=test/resident.sh
source "$top/test/resident.sh"
resident_seed "$stackctl" "$dir" "$url" "$jar"
cookie="session=$(awk -F'\t' '$6 == "session" { print $7 }' "$jar" | tail -n 1)"
# shellcheck source=test/bench/staff.sh
source "$bench/staff.sh"
staff_seed "$stackctl" "$complaintctl" "$dir" "$url" "$out" "$assign_pool"
# CONSOLE_LOAD=N: N more complaints of the agent, four in five open (staff_console_load).
console_load=${CONSOLE_LOAD:-0}
if [ "$console_load" -gt 0 ]; then
	staff_console_load "$stackctl" "$dir" "${staff_agents%% *}" \
		"$("$stackctl" sql "$dir" primary root "SELECT id FROM complaints.accounts WHERE email = 'sam@bench.example.org'")" \
		"$console_load"
fi
sql_count() { "$stackctl" sql "$dir" primary root "USE complaints; $1"; }
# shellcheck source=test/bench/wrk_lib.sh
source "$bench/wrk_lib.sh"

# ---- the baselines, behind the stack's nginx (test/bench/baselines.sh), 4 workers each ----
baselines_up "$dir" "$base" "$hello" 4 "$out/pages-hello.log" || exit 1

# ---- the cases ----
read -ra cases <<<"${PAGES_CASES:-hello hello_pk home account complaint list agent complaint50 assign}"
declare -A what=(
	[hello]="a bare libfcgi hello world, 4 workers"
	[hello_pk]="hello + one prepared primary-key SELECT per request (prepared once per worker)"
	[home]="GET / (no session)"
	[account]="GET /account (session + the account)"
	[complaint]="GET /complaints/{id} (session + the complaint + its 20 history rows)"
	[list]="GET /complaints, a resident with 200 complaints, 20 shown"
	[agent]="GET /agent, the console of an agent with 200 assigned complaints$([ "$console_load" -gt 0 ] &&
		echo " and $console_load more (four in five open)"), 20 shown"
	[complaint50]="GET /complaints/{id}, a complaint with 50 history rows (its resident's page)"
	[assign]="POST /complaints/{id}/status action=assign (an admin; another submitted complaint each time)"
)
declare -A target=(
	[hello]="$baseline_hello_url" [hello_pk]="$baseline_pk_url" [home]="$url/"
	[account]="$url/account" [complaint]="$url/complaints/$resident_complaint" [list]="$url/complaints"
	[agent]="$url/agent" [complaint50]="$url/complaints/$staff_complaint" [assign]="$url/"
)
for name in "${cases[@]}"; do
	[ -n "${what[$name]:-}" ] || { echo "pages.sh: no case $name in PAGES_CASES (cases: ${!what[*]})" >&2; exit 1; }
done
declare -A cookie_of=(
	[hello]="$cookie" [hello_pk]="$cookie" [account]="$cookie" [complaint]="$cookie" [list]="$cookie"
	[agent]="$staff_cookie_agent" [complaint50]="$staff_cookie_reporter"
)
# The assignment case's pool, each run starting past what the previous ones took.
assign_next=${staff_pool% *}
assign_script() {
	ASSIGN_FIRST=$assign_next ASSIGN_LAST=${staff_pool#* } ASSIGN_THREADS=2 ASSIGN_AGENTS=$staff_agents \
		ASSIGN_COOKIE=$staff_cookie_admin ASSIGN_CSRF=$staff_status_csrf ASSIGN_ORIGIN=$url "$@"
}
assign_taken() { assign_next=$((assign_next + $(awk '/requests in/ {print $1}' "$1") + 64)); }
declare -A rps p50 p99 paced_rps paced_p99
for name in "${cases[@]}"; do
	args=()
	[ -n "${cookie_of[$name]:-}" ] && args=(-H "Cookie: ${cookie_of[$name]}")
	run=()
	if [ "$name" = assign ]; then
		run=(assign_script)
		args=(-s "$bench/assign.lua")
	elif [ "$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "${target[$name]}")" != 200 ]; then
		echo "pages.sh: ${target[$name]} does not answer 200" >&2; exit 1
	fi
	"${run[@]}" wrk_run "$out/pages-$name.wrk" -t2 -c32 -d"${seconds}s" "${args[@]}" "${target[$name]}"
	rps[$name]=$wrk_rps p50[$name]=$wrk_p50 p99[$name]=$wrk_p99
	[ "$name" = assign ] && assign_taken "$out/pages-$name.wrk"
	# Half the peak over 32 connections: each waits 32 * 1000 / (peak / 2) ms before a request.
	[ "$name" = assign ] || args+=(-s "$bench/pace.lua")
	WRK_PACE_MS=$((64000 / (wrk_rps > 0 ? wrk_rps : 1))) "${run[@]}" wrk_run "$out/pages-$name-paced.wrk" -t2 -c32 \
		-d"${seconds}s" "${args[@]}" "${target[$name]}"
	paced_rps[$name]=$wrk_rps paced_p99[$name]=$wrk_p99
done

share() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%d%%", 100 * a / b}'; }
declare -A baseline=([home]=hello [account]=hello_pk [complaint]=hello_pk [list]=hello_pk [agent]=hello_pk
	[complaint50]=hello_pk [assign]=hello_pk)
echo "| page | req/s | as a share of the baseline | p50 ms | p99 ms | p99 ms at half the peak (req/s reached) |"
echo "| --- | ---: | --- | ---: | ---: | ---: |"
for name in "${cases[@]}"; do
	against=—
	[ -n "${baseline[$name]:-}" ] && [ -n "${rps[${baseline[$name]}]:-}" ] &&
		against="$(share "${rps[$name]}" "${rps[${baseline[$name]}]}") of ${baseline[$name]/hello_pk/hello + PK}"
	echo "| ${what[$name]} | ${rps[$name]} | $against | ${p50[$name]} | ${p99[$name]} | ${paced_p99[$name]} (${paced_rps[$name]}) |"
done
echo
echo "wrk -t2 -c32 -d${seconds}s per case, then paced at half its peak (pace.lua); complaintd and each baseline 4 workers; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

# ---- worker memory over a long mixed run ----
[ "$mix_requests" -gt 0 ] && [ -z "${PAGES_CASES:-}" ] || exit 0
master=$(cat "$dir/complaintd.pid")
workers=()
for pid in $(pgrep -P "$master"); do
	case $(cat "/proc/$pid/comm" 2>/dev/null) in photo-repair | timer) ;; *) workers+=("$pid") ;; esac
done
rss_of() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo gone; }
# Per 1,000 requests: the resident's pages, 20 filings with a photo, one sign-in (with the right
# password, as the staff's four accounts in turn, all from 127.0.0.1: the throttle counts only
# failures; a sign-in finding every hash slot busy would be a 503, counted below).
mix="/*150 /account*300 /complaints*150 /complaints/$resident_complaint*379 file*20 signin*1"
new_page=$(curl -s -H "Cookie: $cookie" "$url/complaints/new" | sed 's/</\n</g')
# The filing form's token (the header's sign-out form has one of its own, first).
file_csrf=$(sed -n '\#<form[^>]*action="/complaints"#,\#</form>#p' <<<"$new_page" | grep -o '<input[^>]*name="csrf"[^>]*>' |
	head -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p') || true
category=$(grep -o '<option value="[^"]\+"' <<<"$new_page" | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/')
signin_page=$(curl -s -c "$out/visitor.jar" "$url/signin" | sed 's/</\n</g')
signin_csrf=$(grep -o '<input[^>]*name="csrf"[^>]*>' <<<"$signin_page" | head -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p')
visitor="visitor=$(awk -F'\t' '$6 == "visitor" { print $7 }' "$out/visitor.jar" | tail -n 1)"
if [ -z "$file_csrf" ] || [ -z "$category" ] || [ -z "$signin_csrf" ]; then
	echo "pages.sh: no filing form or sign-in form to mix in" >&2; exit 1
fi
# wrk runs for a time, not a count: mix.lua stops each thread at its share of the requests, and
# the run lasts what the mix should take at the rates measured above (a filing taken as half an
# assignment's rate, a sign-in as 10 a second), twice over, or MIX_SECONDS.
mix_seconds=${MIX_SECONDS:-$(awk -v n="$mix_requests" -v home="${rps[home]}" -v account="${rps[account]}" -v list="${rps[list]}" \
	-v complaint="${rps[complaint]}" -v assign="${rps[assign]}" 'BEGIN {
		per_cycle = 150 / home + 300 / account + 150 / list + 379 / complaint + 20 * 2 / assign + 1 / 10
		printf "%d", 5 + 2 * n * per_cycle / 1000 }')}
MIX_PATHS=$mix MIX_COOKIE=$cookie MIX_REQUESTS=$mix_requests MIX_THREADS=2 MIX_ORIGIN=$url \
	MIX_FILE_CSRF=$file_csrf MIX_CATEGORY=$category MIX_PHOTO="$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg" \
	MIX_SIGNIN_COOKIE=$visitor MIX_SIGNIN_CSRF=$signin_csrf MIX_SIGNIN_PASSWORD="$staff_password" \
	MIX_SIGNIN_EMAILS="admin@bench.example.org agent@bench.example.org agent2@bench.example.org sam@bench.example.org" \
	wrk -t2 -c32 -d"${mix_seconds}s" -s "$bench/mix.lua" "$url/" >"$out/pages-mix.wrk" &
mix_pid=$!
samples="$out/pages-rss.txt"
: >"$samples"
while kill -0 "$mix_pid" 2>/dev/null; do
	line="$SECONDS"
	for pid in "${workers[@]}"; do line+=" $(rss_of "$pid")"; done
	echo "$line" >>"$samples"
	sleep 2
done
wait "$mix_pid"
echo
echo "Worker RSS (MB), sampled every 2 s, during up to $mix_requests requests of the mix (per 1,000) $mix" \
	"($(awk '/requests in/ {print $1, "requests in", $4}' "$out/pages-mix.wrk" | tr -d ,)," \
	"$(awk '/Non-2xx/ {print $NF}' "$out/pages-mix.wrk" | grep . || echo 0) not 2xx/3xx)"
echo
echo "Filed during the run: $(sql_count "SELECT COUNT(*) FROM complaints WHERE description LIKE 'Broken bench%'");" \
	"sessions made by sign-ins: $(sql_count "SELECT COUNT(*) FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE a.email LIKE '%@bench.example.org'") (the seeding's three included)"
echo
echo "| worker | first sample | after warm-up (10 s) | median after warm-up | last sample | max |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for ((i = 0; i < ${#workers[@]}; i++)); do
	median=$(awk -v column=$((i + 2)) 'NR == 1 {start = $1} $1 - start >= 10 {print $column}' "$samples" | sort -n |
		awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	awk -v column=$((i + 2)) -v worker="$((i + 1))" -v median="$median" 'NR == 1 {first = $column; start = $1}
		!warm && $1 - start >= 10 {warm = $column}
		{last = $column; if ($column + 0 > max + 0) max = $column}
		END {printf "| %s | %s | %s | %s | %s | %s |\n", worker, first, warm, median, last, max}' "$samples"
done
