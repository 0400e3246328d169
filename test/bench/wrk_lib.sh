# shellcheck shell=bash
# test/bench/wrk_lib.sh: sourced by the benchmarks that drive wrk (http.sh, pages.sh): one run
# of wrk and the three figures read back from its --latency report.

# wrk_ms: wrk's latency ("850.00us", "1.23ms", "1.02s") on stdin, in milliseconds.
wrk_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

# wrk_run REPORT WRK-ARGS...: runs wrk --latency with WRK-ARGS, its report into REPORT; sets
# wrk_rps, wrk_p50 and wrk_p99 (ms), then fails when some answer was not 2xx or 3xx (a refusal
# is no timing, unless refusing is the case).
# shellcheck disable=SC2034  # the figures are the caller's
wrk_run() {
	local report=$1; shift
	wrk --latency "$@" >"$report"
	wrk_rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$report")
	wrk_p50=$(awk '$1 == "50%" {print $2}' "$report" | wrk_ms)
	wrk_p99=$(awk '$1 == "99%" {print $2}' "$report" | wrk_ms)
	if grep -q '^ *Non-2xx or 3xx responses' "$report"; then
		echo "wrk $*: $(grep '^ *Non-2xx or 3xx responses' "$report")" >&2
		return 1
	fi
}
