#!/usr/bin/env bash
# test/bench/queue.sh: the admin's queue at city scale (issue 16), as shares of the stack's own
# limit measured in the same run. Starts a full stack (MariaDB primary + standby, S3 replicas,
# nginx, complaintd with 4 workers), seeds QUEUE_COMPLAINTS (default 100,000) complaints with
# `complaintctl seed` (timed, in slices of 20,000), signs an admin in through /signin, and starts beside complaintd the
# two baselines of test/bench/baselines.sh (hello; hello + one primary-key SELECT), 4 workers each.
# Then wrk -t2 -c32 on each case flat out: the queue's first page, page 2,000 (its "next" link
# built from the keyset position SQL finds at row 99,950, checked to show that row first), a text
# search of two words, a word in more than the queue's 1,500 candidates (the page that says so),
# the overdue filter (each worker keeping the pages' rows, counts, agents and categories for
# [queue] cache_max_age, 5 s), and the first page again after a reload with cache_max_age = 0
# (every page reads them all, as before the cache). Last, the unfiltered CSV export once with curl: its time and size, and
# the peak RSS (VmHWM, reset before through /proc/PID/clear_refs) of the worker that served it
# (the one whose CPU time moved). Prints Markdown tables.
#   usage: test/bench/queue.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY HELLO_FCGI_BINARY [SECONDS]
# Not set -e: lib.sh's browser functions let a grep find nothing; every step that matters is checked.
set -uo pipefail
usage="usage: queue.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY HELLO_FCGI_BINARY [SECONDS]"
COMPLAINTD_BINARY=${1:?$usage}
COMPLAINTCTL_BINARY=${2:?$usage}
hello=${3:?$usage}
seconds=${4:-10}
complaints=${QUEUE_COMPLAINTS:-100000}
page=${QUEUE_PAGE:-2000}  # the deep page: its first row is the ((page - 1) * 50 + 1)th by due date
bench=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/integration/lib.sh
source "$bench/../integration/lib.sh"
# shellcheck source=test/bench/baselines.sh
source "$bench/baselines.sh"
# shellcheck source=test/bench/wrk_lib.sh
source "$bench/wrk_lib.sh"
out="$test_var/bench"
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'baselines_down; rm -rf "$scratch"; test_stack_cleanup' EXIT
fail() { echo "queue.sh: $*" >&2; exit 1; }

test_full_stack_up bench-queue workers=4 log_level=warn queue.cache_max_age=5s
test_migrate
# In slices of 20,000 (each with 1,000 residents and 10 agents of its own): on a loaded machine a
# seed's transaction can time out, and a slice that stops is topped up by the next one.
started=$SECONDS
: >"$out/queue-seed.out"
for attempt in $(seq 10); do
	have=$(sql "SELECT COUNT(*) FROM complaints") || fail "the complaints cannot be counted"
	[ "$have" -ge "$complaints" ] && break
	slice=$((complaints - have < 20000 ? complaints - have : 20000))
	"$COMPLAINTCTL_BINARY" -c "$stack_dir/complaintd.conf" seed --complaints "$slice" --residents 1000 --agents 10 \
		>>"$out/queue-seed.out" 2>&1 || echo "slice $attempt stopped: $(tail -n 1 "$out/queue-seed.out")" >>"$out/queue-seed.out"
done
[ "$have" -ge "$complaints" ] || fail "seed: $have complaints after 10 slices: $(tail -n 3 "$out/queue-seed.out")"
complaints=$have
seed_seconds=$((SECONDS - started))
seed_load=$(cut -d' ' -f1-3 /proc/loadavg)
sql "ANALYZE TABLE complaints, categories, accounts, status_track PERSISTENT FOR ALL" >/dev/null || fail "ANALYZE TABLE failed"
staff admin "admin.bench@example.org" "Ada Admin"
signin admin "admin.bench@example.org"
cookie="session=$(awk -F'\t' '$6 == "session" { print $7 }' "$scratch/admin.jar" | tail -n 1)"
baselines_up "$stack_dir" "$stack_base" "$hello" 4 "$out/queue-hello.log" || exit 1

# Page 2,000 by due date: the keyset position its "next" link would carry, the 99,950th row's
# (due_at, id), written into page 1's own next link.
get admin "/admin?sort=due"
first_next=$(grep -o 'href="[^"]*" rel="next"' <<<"$body" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g') ||
	fail "the queue's first page ($status) has no next link: $(text_of "$body")"
position=$(sql "SELECT CONCAT(CAST(due_at AS CHAR), ',', id) FROM complaints ORDER BY due_at, id LIMIT 1 OFFSET $(((page - 1) * 50 - 1))") ||
	fail "no keyset position for page $page"
expected_first=$(sql "SELECT id FROM complaints ORDER BY due_at, id LIMIT 1 OFFSET $(((page - 1) * 50))")
encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$position")
page2000=$(sed "s/after=[^&]*/after=$encoded/" <<<"$first_next")
get admin "$page2000"
shown_first=$(grep -o 'name="c" value="[0-9]*:' <<<"$body" | head -n 1 | sed 's/[^0-9]//g')
[ "$status" = 200 ] && [ "$shown_first" = "$expected_first" ] ||
	fail "page $page ($page2000) answered $status, first row #$shown_first, not #$expected_first"

cases=(hello hello_pk first page2000 search common overdue first_uncached)
declare -A what=(
	[hello]="a bare libfcgi hello world, 4 workers"
	[hello_pk]="hello + one prepared primary-key SELECT per request"
	[first]="GET /admin, the first page (every status, by due date)"
	[page2000]="GET /admin, page $page (its keyset link)"
	[search]="GET /admin?q=Harbour Alfama (two words, every status)"
	[common]="GET /admin?q=Harbour (a word in more than 1,500 complaints: the page saying so)"
	[overdue]="GET /admin?overdue=1"
	[first_uncached]="GET /admin, the first page, its rows, counts and agents read for every page (cache_max_age = 0)"
)
declare -A target=(
	[hello]="$baseline_hello_url" [hello_pk]="$baseline_pk_url" [first]="$url/admin" [page2000]="$url$page2000"
	[search]="$url/admin?q=Harbour+Alfama" [common]="$url/admin?q=Harbour" [overdue]="$url/admin?overdue=1"
	[first_uncached]="$url/admin"
)
declare -A rows_of rps p50 p99
# reload_uncached: the same stack with [queue] cache_max_age = 0 (every page reads its rows, counts,
# agents and categories, as before the cache), its new workers answering.
reload_uncached() {
	local old
	master_pid=$(cat "$stack_dir/complaintd.pid")
	old=$(worker_pids)
	sed -i 's/^cache_max_age = .*/cache_max_age = 0/' "$stack_dir/complaintd.conf"
	kill -HUP "$master_pid"
	gone() { local pid; for pid in $old; do kill -0 "$pid" 2>/dev/null && return 1; done; return 0; }
	wait_until 30000 gone || fail "the old workers did not leave after the reload"
}
for name in "${cases[@]}"; do
	args=()
	[ "$name" = first_uncached ] && reload_uncached
	case $name in hello | hello_pk) ;; *)
		args=(-H "Cookie: $cookie")
		get admin "${target[$name]#"$url"}"
		[ "$status" = 200 ] || fail "${target[$name]} answered $status"
		rows_of[$name]="$(grep -c 'name="c" value=' <<<"$body" || true) rows"
		grep -q 'id="too-wide"' <<<"$body" && rows_of[$name]="no rows: \"$(grep -o 'id="too-wide">[^<]*' <<<"$body" | sed 's/.*>//' | cut -c1-60)…\""
		;;
	esac
	wrk_run "$out/queue-$name.wrk" -t2 -c32 -d"${seconds}s" "${args[@]}" "${target[$name]}" || fail "wrk on $name failed"
	rps[$name]=$wrk_rps p50[$name]=$wrk_p50 p99[$name]=$wrk_p99
done
load_wrk=$(cut -d' ' -f1-3 /proc/loadavg)

share() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f%%", 100 * a / b}'; }
echo "Seeded $complaints complaints in $seed_seconds s (load average $seed_load at its end)."
echo
echo "| case | shows | req/s | share of hello + PK | p50 ms | p99 ms |"
echo "| --- | --- | ---: | --- | ---: | ---: |"
for name in "${cases[@]}"; do
	against=—
	case $name in hello | hello_pk) ;; *) against=$(share "${rps[$name]}" "${rps[hello_pk]}") ;; esac
	echo "| ${what[$name]} | ${rows_of[$name]:-—} | ${rps[$name]} | $against | ${p50[$name]} | ${p99[$name]} |"
done
echo
echo "wrk -t2 -c32 -d${seconds}s per case; complaintd and each baseline 4 workers; $(nproc) cores, load average $load_wrk after the last case"
echo
# The export: the worker that serves it is the one whose CPU time moves (the stack is otherwise idle).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }
master_pid=$(cat "$stack_dir/complaintd.pid")
declare -A ticks_before rss_before
for pid in $(worker_pids); do
	echo 5 >"/proc/$pid/clear_refs"  # resets VmHWM to the current RSS
	ticks_before[$pid]=$(ticks "$pid")
	rss_before[$pid]=$(kb "$pid" VmRSS)
done
export_stats=$(curl -s -o "$scratch/export.csv" -w '%{http_code} %{time_total} %{size_download}' -H "Cookie: $cookie" \
	"$url/admin/export.csv")
server=
for pid in $(worker_pids); do
	[ -z "$server" ] || [ $(($(ticks "$pid") - ticks_before[$pid])) -gt $(($(ticks "$server") - ticks_before[$server])) ] &&
		server=$pid
done
exported=$(python3 "$top/test/integration/csv_check.py" ids "$scratch/export.csv" | cut -d' ' -f1)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
[ "${export_stats%% *}" = 200 ] && [ "$exported" = "$complaints" ] ||
	fail "the export answered ${export_stats%% *} with $exported rows of $complaints (load average $load_end)"

read -r _ export_seconds export_bytes <<<"$export_stats"
echo "| export | rows | bytes | seconds | rows/s | serving worker's RSS before (MB) | its peak RSS during (VmHWM, MB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -v rows="$exported" -v bytes="$export_bytes" -v s="$export_seconds" -v before="${rss_before[$server]}" \
	-v peak="$(kb "$server" VmHWM)" 'BEGIN {printf "| GET /admin/export.csv (no filter) | %d | %d | %.1f | %d | %.1f | %.1f |\n",
		rows, bytes, s, rows / s, before / 1024, peak / 1024}'
echo
echo "load average $load_end at the end"
