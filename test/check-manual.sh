#!/bin/sh
# check-manual.sh: every key complaintd reads (its own --help-config) is documented in
# complaintd.conf(5), under its section's heading. TAP, one case per key.
top=${srcdir:-.}
build=${top_builddir:-.}
manual="$top/doc/complaintd.conf.5"
keys=$("$build/complaintd" --help-config | awk '{print $1}')
set -- $keys
echo "1..$#"
n=0
for entry in $keys; do
	n=$((n + 1))
	section=${entry%%.*}
	key=${entry#*.}
	# The key's .B line must come after its section's .SH heading and before the next .SH.
	if awk -v section=".SH [$section]" -v key=".B $key" '
		$0 == section { inside = 1; next }
		/^\.SH / { inside = 0 }
		inside && $0 == key { found = 1 }
		END { exit found ? 0 : 1 }' "$manual"; then
		echo "ok $n - complaintd.conf(5) documents [$section] $key"
	else
		echo "not ok $n - complaintd.conf(5) documents [$section] $key"
	fi
done
