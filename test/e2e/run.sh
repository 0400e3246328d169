#!/usr/bin/env bash
# test/e2e/run.sh: runs the browser tests — each test/e2e/*.mjs (or those named) with node, where
# it finds playwright-core under var/node and Debian's chromium. Each test prints TAP and starts
# and stops its own stack; screenshots go under var/test-artifacts/e2e/. Exits non-zero if any
# test failed or could not start.
#
#   test/e2e/run.sh [TEST.mjs...]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
export STACK_SRCDIR=${STACK_SRCDIR:-$top}
export TEST_VAR=${TEST_VAR:-$top/var}
export NODE_PREFIX=${NODE_PREFIX:-$top/var/node}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# What a test needs before it can say anything; missing, the test bails out (counted as failed).
missing=
command -v node >/dev/null || missing="node (deb nodejs)"
[ -f "$NODE_PREFIX/node_modules/playwright-core/package.json" ] ||
	missing="${missing:+$missing, }playwright-core under $NODE_PREFIX (packaging/dev install)"
[ -x "$CHROMIUM" ] || missing="${missing:+$missing, }chromium at $CHROMIUM (packaging/dev install)"

[ $# -gt 0 ] || set -- "$here"/*.mjs
status=0
for test in "$@"; do
	case $(basename "$test") in tap.mjs | stack.mjs) continue ;; esac  # the tests' modules
	if [ -n "$missing" ]; then
		# The test's own plan (its tapPlan(N) line) first: every step it planned then fails.
		echo "1..$(sed -n 's/^tapPlan(\([0-9]*\));.*/\1/p' "$test" | head -n 1)"
		echo "Bail out! $(basename "$test") cannot run: missing $missing"
		status=1
		continue
	fi
	node "$test" || status=1
done
exit $status
