#!/usr/bin/env bash
# test/bench/http.sh: throughput and latency of the web tier, as ratios from one run.
#
# Starts a private stack (nginx + complaintd built with -O2, its own port base), then runs wrk
# for each case and prints a Markdown table: requests/s, p50 and p99, and each case's ratio to
# nginx serving a static file (the ceiling of this machine). Absolute numbers move with the
# machine's load; the ratios are what doc/performance.md compares. Bounded: 4 cases x 10 s.
#   usage: test/bench/http.sh COMPLAINTD_BINARY [WORKERS]
set -euo pipefail
binary=${1:?usage: http.sh COMPLAINTD_BINARY [WORKERS]}
workers=${2:-2}
COMPLAINTD_BINARY=$binary
source "$(dirname "$0")/../integration/lib.sh"
test_stack_up bench workers="$workers" log_level=warn

out="$test_var/bench"
mkdir -p "$out"
declare -A rps p50 p99
cases=(static healthz home notfound)
declare -A paths=([static]=/static/css/site.css [healthz]=/healthz [home]=/ [notfound]=/no/such/page)

# shellcheck source=test/bench/wrk_lib.sh
source "$(dirname "$0")/wrk_lib.sh"
for name in "${cases[@]}"; do
	curl -fs -o /dev/null "$url${paths[$name]}" || [ "$name" = notfound ]
	# The 404 page is the case's answer: its non-2xx count is expected.
	wrk_run "$out/$name.wrk" -t2 -c32 -d10s "$url${paths[$name]}" || [ "$name" = notfound ]
	rps[$name]=$wrk_rps p50[$name]=$wrk_p50 p99[$name]=$wrk_p99
done

echo "| case | path | req/s | p50 ms | p99 ms | req/s vs static |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for name in "${cases[@]}"; do
	ratio=$(awk -v a="${rps[$name]}" -v b="${rps[static]}" 'BEGIN {printf "%.2f", a / b}')
	echo "| $name | ${paths[$name]} | ${rps[$name]} | ${p50[$name]} | ${p99[$name]} | $ratio |"
done
echo
echo "wrk -t2 -c32 -d10s, $workers complaintd workers, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
