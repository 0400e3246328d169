#!/usr/bin/env bash
# repl_transports.sh: librepl's transports against real servers, on one full stack: the HTTP
# transport over the three S3 replicas (test/integration/repl_http.c), the SMTP transport over the
# mail sink (test/integration/repl_smtp.c) and the MariaDB transport over the primary/standby
# pair (test/integration/repl_mysql.c). They are cmocka programs the
# build makes but `make check` does not run; this script starts the stack they share, runs them
# with its directory and port base, and reports each of their cases as one line here.
source "$(dirname "$0")/lib.sh"
# One line per cmocka case: repl_http.c's, then repl_mysql.c's (each ends by breaking what it
# tested: an S3 replica stopped, the primary killed).
http_cases=10
smtp_cases=6
mysql_cases=22
plan $((http_cases + smtp_cases + mysql_cases))

builddir=${REPL_TEST_BUILDDIR:-$(dirname "$binary")}
make -C "$builddir" test/integration/repl_http test/integration/repl_smtp test/integration/repl_mysql >/dev/null ||
	{ echo "Bail out! cannot build the transport tests in $builddir"; exit 1; }

test_full_stack_up repl

# run_cases PROGRAM COUNT: runs the cmocka program against the stack; its results become ours,
# its other lines diagnostics; a case it never reported (a crash) fails.
run_cases() {
	local program=$1 count=$2 line reported=0
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok [0-9]* - }"; reported=$((reported + 1)) ;;
		"not ok "*) not_ok "${line#not ok [0-9]* - }"; reported=$((reported + 1)) ;;
		*) diag "$line" ;;
		esac
	done < <(CMOCKA_MESSAGE_OUTPUT=TAP srcdir=$top REPL_TEST_STACK_DIR=$stack_dir REPL_TEST_STACK_BASE=$stack_base \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$builddir/$program" 2>&1)
	while [ "$reported" -lt "$count" ]; do
		not_ok "$(basename "$program"): a case that never reported"
		reported=$((reported + 1))
	done
}

run_cases test/integration/repl_http "$http_cases"
run_cases test/integration/repl_smtp "$smtp_cases"
run_cases test/integration/repl_mysql "$mysql_cases"
