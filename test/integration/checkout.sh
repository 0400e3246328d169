#!/usr/bin/env bash
# checkout.sh: the stacks work from any checkout path and any umask, as a root user's clone in
# /root (mode 0700) is: a copy of this checkout in a private 0700 directory, made under umask
# 077 (every file 0600), runs a stack whose nginx workers (nobody) still serve the stylesheet,
# spool a large body to their temp files for the app and show the styled 413 page. A path that
# the config files cannot hold (a space) is refused by packaging/dev in one line, before anything
# is built or started.
source "$(dirname "$0")/lib.sh"
plan 7

scratch=$(mktemp -d)
copy="$scratch/home/project"
cleanup_checkout() {
	test_stack_cleanup
	rm -rf "$scratch"
}
trap cleanup_checkout EXIT
(
	umask 077
	mkdir -p "$copy"
	chmod 0700 "$scratch/home"
	cd "$top" && git ls-files --cached --others --exclude-standard -- packaging nginx static templates data test/data/tiles |
		tar -c -T - -f - | tar -x --no-same-permissions -C "$copy" -f - &&
		# What packaging/dev install puts under var/node that nginx serves (the map's library),
		# as private as the rest.
		tar -c -f - var/node/node_modules/leaflet | tar -x --no-same-permissions -C "$copy" -f -
) || { echo "Bail out! cannot copy the checkout"; exit 1; }

# The stack runs entirely from the copy: its templates, static files, config and stack directory.
STACK_SRCDIR=$copy
test_var="$copy/var"
mkdir -p "$test_var/stacks"
private_file_mode=$(stat -c %a "$copy/static/css/site.css")
test_stack_up checkout upload_max_bytes=256K
check "a checkout in a 0700 directory with 0600 files (mode $private_file_mode) runs its stack" \
	bash -c '[ "$1" = 600 ] && [ "$(curl -s -o /dev/null -w "%{http_code}" "$2/healthz")" = 200 ]' _ "$private_file_mode" "$url"

curl -s -o "$scratch/site.css" "$url/static/css/site.css"
check "nginx's workers serve the stylesheet of that checkout" cmp -s "$scratch/site.css" "$copy/static/css/site.css"
curl -s -o "$scratch/leaflet.js" "$url/static/vendor/leaflet/leaflet.js"
check "and the map's library, installed under var/node as privately" \
	cmp -s "$scratch/leaflet.js" "$copy/var/node/node_modules/leaflet/dist/leaflet.js"

# 356 KiB: nginx spools it to a temp file (its workers must write there), then passes it on.
head -c $((356 * 1024)) /dev/zero | tr '\0' 'a' >"$scratch/medium.bin"
status=$(curl -s -o "$scratch/413-app.html" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary "@$scratch/medium.bin" "$url/")
check "a body nginx spools to its temp files reaches the app (its 413 naming the limit, got $status)" \
	bash -c '[ "$1" = 413 ] && grep -q "at most 256 KiB" "$2"' _ "$status" "$scratch/413-app.html"

head -c $((1400 * 1024)) /dev/zero >"$scratch/large.bin"
status=$(curl -s -o "$scratch/413-nginx.html" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
	--data-binary "@$scratch/large.bin" "$url/")
check "nginx's own 413 is the styled static page of that checkout (got $status)" \
	bash -c '[ "$1" = 413 ] && grep -q "Upload too large" "$2"' _ "$status" "$scratch/413-nginx.html"

# The same checkout seen through a path with a space.
ln -s "$copy" "$scratch/with space"
started=$SECONDS
"$scratch/with space/packaging/dev" up >"$scratch/dev.out" 2>&1 && dev_status=0 || dev_status=$?
check "packaging/dev up from a path with a space exits 1 with one line naming the path ($dev_status: $(head -c 300 "$scratch/dev.out"))" \
	bash -c '[ "$1" = 1 ] && [ "$(wc -l <"$2")" = 1 ] && grep -qF "$3" "$2"' _ "$dev_status" "$scratch/dev.out" "$scratch/with space"
check "and starts or builds nothing (no dev stack, no build directory; $((SECONDS - started)) s)" \
	bash -c '[ ! -e "$1/var/stacks/dev" ] && [ ! -e "$1/var/build" ]' _ "$copy"
