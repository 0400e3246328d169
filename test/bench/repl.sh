#!/usr/bin/env bash
# test/bench/repl.sh: librepl's executor overhead (in-process transport) and the wall time of
# par over the three S3 replicas against one plain libcurl request, on a private set of S3
# replicas (their own port base). Prints numbers, asserts nothing. Bounded: a few seconds.
#   usage: test/bench/repl.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: repl.sh BUILD_DIR}
STACK_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
source "$STACK_SRCDIR/packaging/stack.sh"
base=$(stack_claim_base $$)
dir="$STACK_SRCDIR/var/stacks/bench-repl-$base"
trap 's3_stop "$dir"; stack_release_base "$base"' EXIT
mkdir -p "$dir"
s3_start "$dir" "$base" >/dev/null
key=$(stack_secret_get "$dir" s3_access_key)
secret=$(stack_secret_get "$dir" s3_secret_key)
urls="$(s3_url "$dir" "$base" us),$(s3_url "$dir" "$base" jp),$(s3_url "$dir" "$base" de)"
REPL_BENCH_URLS=$urls REPL_BENCH_ACCESS_KEY=$key REPL_BENCH_SECRET_KEY=$secret "$build/test/bench/repl_overhead"
