#!/bin/sh
# check-banned.sh: fails if a source file calls a function we ban (unbounded or error-blind
# string and number functions), as curl's checksrc does. TAP output, one case per function.
# A call is the name followed by "(", outside comments and strings is not distinguished: write
# around it rather than mention it in code.
top=${srcdir:-.}
banned="sprintf vsprintf strcpy strcat strncpy strncat atoi atol atoll atof gets strtok tmpnam mktemp"
files=$(cd "$top" && find fcgi src replication test/unit test/fuzz test/integration -name '*.[ch]' 2>/dev/null | sort)
set -- $banned
echo "1..$#"
n=0
for fn in $banned; do
	n=$((n + 1))
	hits=$(cd "$top" && grep -nE "(^|[^A-Za-z0-9_>.])$fn[[:space:]]*\(" $files /dev/null | grep -v "^[^:]*:[0-9]*:[[:space:]]*\*")
	if [ -n "$hits" ]; then
		echo "not ok $n - no call to $fn()"
		echo "$hits" | sed 's/^/# /'
	else
		echo "ok $n - no call to $fn()"
	fi
done
