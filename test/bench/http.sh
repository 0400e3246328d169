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

# wrk's latency line "50%  1.23ms" in milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

for name in "${cases[@]}"; do
	curl -fs -o /dev/null "$url${paths[$name]}" || [ "$name" = notfound ]
	wrk -t2 -c32 -d10s --latency "$url${paths[$name]}" >"$out/$name.wrk"
	rps[$name]=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$out/$name.wrk")
	p50[$name]=$(awk '$1 == "50%" {print $2}' "$out/$name.wrk" | to_ms)
	p99[$name]=$(awk '$1 == "99%" {print $2}' "$out/$name.wrk" | to_ms)
done

echo "| case | path | req/s | p50 ms | p99 ms | req/s vs static |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for name in "${cases[@]}"; do
	ratio=$(awk -v a="${rps[$name]}" -v b="${rps[static]}" 'BEGIN {printf "%.2f", a / b}')
	echo "| $name | ${paths[$name]} | ${rps[$name]} | ${p50[$name]} | ${p99[$name]} | $ratio |"
done
echo
echo "wrk -t2 -c32 -d10s, $workers complaintd workers, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
