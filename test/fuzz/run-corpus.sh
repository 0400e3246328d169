#!/bin/sh
# run-corpus.sh: runs every libFuzzer target over its seed corpus (no mutation), one TAP case
# per target: the smoke check that each parser still survives every input ever found
# interesting. Long runs: packaging/dev fuzz.
top=${srcdir:-.}
build=${top_builddir:-.}
targets="urlencoded cookie multipart request ini view policy replfault_http password photo"
set -- $targets
echo "1..$#"
n=0
for name in $targets; do
	n=$((n + 1))
	target="$build/test/fuzz/fuzz_$name"
	corpus="$top/test/fuzz/corpus/$name"
	count=$(ls "$corpus" 2>/dev/null | wc -l)
	if [ ! -x "$target" ] || [ "$count" -eq 0 ]; then
		echo "not ok $n - fuzz_$name over its corpus (target or corpus missing)"
		continue
	fi
	if log=$("$target" -runs=0 "$corpus" 2>&1); then
		echo "ok $n - fuzz_$name survives its $count corpus inputs"
	else
		echo "not ok $n - fuzz_$name over its corpus"
		echo "$log" | tail -n 30 | sed 's/^/# /'
	fi
done
