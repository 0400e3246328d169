#!/usr/bin/env bash
# test/integration/replbench.sh: the replbench smoke run — the WS-DREAM Tables 6 and 7 (and hedge,
# quorum, trace) with librepl's real executor over loopback against a replfault child on this
# script's own port base, few cases per cell and time scaled to a tenth. Checks that the tables
# were printed, the CSV and the charts written, and that no cell disagrees with the closed-form
# model (replbench's exit status; its check is at alpha 1e-4 per test, with a fixed seed, so a
# flag means a bug in the executor or the model, not bad luck). About two minutes on two cores.
set -uo pipefail
top=${STACK_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
test_var=${TEST_VAR:-$top/var}
# shellcheck source=packaging/stack.sh
source "$top/packaging/stack.sh"

# The sanitized build when there is one (packaging/dev test), else the plain one.
find_tool() {
	local name=$1 dir
	for dir in "$test_var/build-asan" "$test_var/build"; do
		if [ -x "$dir/replication/tools/$name" ]; then
			echo "$dir/replication/tools/$name"
			return 0
		fi
	done
	return 1
}

echo "1..5"
replbench=${REPLBENCH_BINARY:-$(find_tool replbench)} || { echo "Bail out! replbench is not built"; exit 1; }
replfault=${REPLFAULT_BINARY:-$(find_tool replfault)} || { echo "Bail out! replfault is not built"; exit 1; }

base=$(stack_claim_base $$) || { echo "Bail out! no free port base"; exit 1; }
out="$test_var/replbench-smoke-$base"
log="$out.txt"
trap 'stack_release_base "$base"; rm -rf "$out" "$log" "$out.err"' EXIT
rm -rf "$out"
mkdir -p "$test_var"
: >"$log"

start=$(date +%s)
"$replbench" --replfault "$replfault" --data "$top/test/data/wsdream" --port-base "$base" \
	--scale 0.1 --cases 50 --jobs 4 --seed 1 --out "$out" >"$log" 2>"$out.err"
status=$?
elapsed=$(($(date +%s) - start))
sed 's/^/# /' "$log"
grep -v '^replbench: \(normal\|faulty\|fault5\|trace\) ' "$out.err" 2>/dev/null | sed 's/^/# stderr: /'

n=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

tables=$(grep -c '^Table [67]\. ' "$log" || true)
[ "$tables" -eq 4 ]; result $? "Tables 6 (normal, faulty) and 7 (normal, 5% fault) printed"
[ "$(grep -c '^  [1-9] \(parallel\|retry\|rb\)' "$log")" -ge 27 ]; result $? "every strategy has a row in Table 6 (both environments) and over the trace"
rows=0
[ -f "$out/replbench.csv" ] && rows=$(grep -vc '^#\|^table,' "$out/replbench.csv")
[ "$rows" -ge 46 ]; result $? "CSV written with every cell ($rows rows)"
charts=0
for chart in rtt-strategies rtt-replicas hedge; do
	for ext in png svg; do
		[ -s "$out/$chart.$ext" ] && charts=$((charts + 1))
	done
done
[ "$charts" -eq 6 ]; result $? "charts drawn as PNG and SVG ($charts of 6)"
grep -q '^flagged: 0 of ' "$log" && [ "$status" -eq 0 ]
result $? "no cell flagged against the model (exit status $status)"
# Speed is measured, not asserted (shared machine): the issue's budget for this run is 5 minutes.
echo "# smoke run took ${elapsed}s (budget: 300 s)"
