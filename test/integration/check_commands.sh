#!/usr/bin/env bash
# check_commands.sh: packaging/check-commands, which CI runs, finds a command that no listed
# package provides — where a script calls it, by file and line — and only real calls: not a word
# in a comment, a here-document or a line marked "(optional command)". Needs no stack.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
echo "1..5"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
test_number=0
check() {
	local name=$1; shift
	test_number=$((test_number + 1))
	if "$@"; then echo "ok $test_number - $name"; else echo "not ok $test_number - $name"; fi
}

out=$("$top/packaging/check-commands" 2>&1) && status=0 || status=$?
check "every command this checkout's scripts call comes from packaging/packages.txt ($status: ${out:0:300})" [ "$status" = 0 ]

# A program "installed by hand": on the PATH, owned by no Debian package.
mkdir "$scratch/bin"
printf '#!/bin/sh\nexit 0\n' >"$scratch/bin/handmade" && chmod +x "$scratch/bin/handmade"
run() { CHECK_COMMANDS_PATH="$scratch/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$top/packaging/check-commands" "$@" 2>&1; }

printf '#!/bin/bash\nset -e\nlist=$(ls /tmp | handmade --count)\n' >"$scratch/called.sh"
out=$(run "$scratch/called.sh") && status=0 || status=$?
check "a call inside \$( ... | ... ) fails, naming the file, the line and the program ($status: $out)" \
	bash -c '[ "$1" = 1 ] && grep -qF "$2:3 calls handmade: $3/bin/handmade, which no Debian package provides" <<<"$4"' _ \
	"$status" "$scratch/called.sh" "$scratch" "$out"

printf '#!/bin/bash\ntrue && echo ok; handmade\nif true; then handmade; fi\n' >"$scratch/twice.sh"
out=$(run "$scratch/twice.sh") && status=0 || status=$?
check "after && and ; and then: found, and reported once ($status: $out)" \
	bash -c '[ "$1" = 1 ] && [ "$(grep -c "calls handmade" <<<"$2")" = 1 ] && grep -qF "twice.sh:2 calls handmade" <<<"$2"' _ "$status" "$out"

cat >"$scratch/quiet.sh" <<'SCRIPT'
#!/bin/bash
# handmade is not called here
echo "handmade makes the words"
cat <<TEXT
handmade
TEXT
command -v handmade >/dev/null && handmade --once # (optional command)
# (optional command): the next line runs it only where present
[ -x /usr/local/bin/handmade ] && handmade
SCRIPT
out=$(run "$scratch/quiet.sh") && status=0 || status=$?
check "comments, text, here-documents and optional calls are no calls ($status: $out)" [ "$status" = 0 ]

printf '#!/bin/bash\nhyperfine --version\n' >"$scratch/listed.sh"
out=$(run "$scratch/listed.sh") && status=0 || status=$?
check "a program of a listed package passes ($status: $out)" [ "$status" = 0 ]
