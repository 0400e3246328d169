#!/usr/bin/env bash
# runner_counts.sh: how `packaging/dev test` counts a suite's TAP log — every planned test that
# never ran is a failure (a suite that dies at its third test of 54 fails 52 times, not once), a
# log without a plan or with more results than planned fails once, and a clean log only passes.
# Needs no stack.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
echo "1..4"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=packaging/dev
source "$top/packaging/dev"
n=0
# counts NAME LOG-TEXT: the totals tap_count makes of LOG-TEXT alone, as "passed failed".
counts() {
	printf '%b' "$2" >"$scratch/$1.log"
	passed=0 failed=0
	tap_count "$scratch/$1.log" 2>/dev/null
	echo "$passed $failed"
}
expect() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1 ($2)"; else echo "not ok $n - $1 (got $2, want $3)"; fi
}
expect "a suite that dies after 2 of its 54 tests: 2 passed, 52 failed" \
	"$(counts died '1..54\nok 1 - a\nok 2 - b\nBail out! the stack did not start\n')" "2 52"
expect "a suite that bails out before its plan: one failure" "$(counts noplan 'Bail out! no node\n')" "0 1"
expect "more results than planned: the extra is one failure" \
	"$(counts extra '1..1\nok 1 - a\nok 2 - b\n')" "2 1"
expect "a complete run with one failure counts just that" \
	"$(counts clean '1..3\nok 1 - a\nnot ok 2 - b\n# why\nok 3 - c\n')" "2 1"
