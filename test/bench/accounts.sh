#!/usr/bin/env bash
# test/bench/accounts.sh: what a signed-in request, a sign-in and a filing cost, as ratios from
# one run.
#
# Starts a full stack (MariaDB primary + standby with semi-sync, three S3 replicas, nginx,
# complaintd built with -O2), signs one resident up, then times N sequential requests of each
# case with curl (one client: latency, not throughput) and prints a Markdown table of p50 and p90
# and each case's p50 as a multiple of /healthz's. Bounded: 6 cases x N requests (default 40).
#   usage: test/bench/accounts.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY [N]
set -euo pipefail
binary=${1:?usage: accounts.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY [N]}
complaintctl=${2:?usage: accounts.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY [N]}
count=${3:-40}
top=$(cd "$(dirname "$0")/../.." && pwd)
stackctl="$top/packaging/stackctl"
dir="$top/var/stacks/bench-accounts-$$"
out="$top/var/bench"
mkdir -p "$out" "$top/var/stacks"
base=$(COMPLAINTD_BINARY=$binary "$stackctl" up "$dir" log_level=warn 2>"$out/accounts-up.log")
trap '"$stackctl" down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$complaintctl" -c "$dir/complaintd.conf" migrate --migrations "$top/db/migrations" >/dev/null
url="http://127.0.0.1:$base"
jar="$out/accounts.jar"
rm -f "$jar"
photo="$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg"
password='a long bench passphrase'

# csrf PAGE: the last csrf input of a page (the header's sign-out form comes first).
csrf() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$1" | tail -n 1; }
field() { sed -n "s/.*name=\"$2\" value=\"\\([^\"]*\\)\".*/\\1/p" <<<"$1" | head -n 1; }
page=$(curl -fs -c "$jar" -b "$jar" "$url/signup")
curl -fs -o /dev/null -c "$jar" -b "$jar" "$url/signup" --data-urlencode "csrf=$(csrf "$page")" \
	--data-urlencode name=Bench --data-urlencode email=bench@example.org --data-urlencode "password=$password"
# Sign-up answers "check your mail" and makes no session: the bench's browser signs in.
page=$(curl -fs -c "$jar" -b "$jar" "$url/signin")
curl -fs -o /dev/null -c "$jar" -b "$jar" "$url/signin" --data-urlencode "csrf=$(csrf "$page")" \
	--data-urlencode email=bench@example.org --data-urlencode "password=$password"

# time_case NAME STATUS COMMAND...: runs COMMAND (a curl printing "%{http_code} %{time_total}")
# count times; stops the bench if an answer is not STATUS (a timing of a refusal is no timing).
declare -A p50 p90
time_case() {
	local name=$1 expected=$2 code seconds; shift 2
	for _ in $(seq "$count"); do
		read -r code seconds < <("$@")
		[ "$code" = "$expected" ] || { echo "bench $name: HTTP $code, expected $expected" >&2; exit 1; }
		echo "$seconds"
	done >"$out/accounts-$name.times"
	p50[$name]=$(sort -n "$out/accounts-$name.times" | awk '{a[NR]=$1} END {printf "%.1f", a[int(NR*0.5)+1]*1000}')
	p90[$name]=$(sort -n "$out/accounts-$name.times" | awk '{a[NR]=$1} END {printf "%.1f", a[int(NR*0.9)]*1000}')
}
timed_get() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$jar" "$url$1" "${@:2}"; }
signin_once() {
	rm -f "$out/signin.jar"  # a new browser each time: a signed-in one is sent from /signin to /account
	local form; form=$(curl -s -c "$out/signin.jar" -b "$out/signin.jar" "$url/signin")
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -c "$out/signin.jar" -b "$out/signin.jar" "$url/signin" \
		--data-urlencode "csrf=$(csrf "$form")" --data-urlencode email=bench@example.org \
		--data-urlencode "password=$password"
}
file_once() {
	local form; form=$(curl -s -b "$jar" "$url/complaints/new")
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$jar" "$url/complaints" -F "csrf=$(csrf "$form")" \
		-F "submit_token=$(field "$form" submit_token)" -F category=streetlight \
		-F "description=Bench complaint about a lamp" -F "address=1 Bench Street" -F "photo=@$photo"
}

time_case healthz 200 timed_get /healthz
time_case account 200 timed_get /account
time_case signin 303 signin_once
time_case file 303 file_once
id=$(curl -s -b "$jar" "$url/complaints" | sed -n 's/.*href="\/complaints\/\([0-9]*\)".*/\1/p' | head -n 1)
etag=$(curl -s -D - -o /dev/null -b "$jar" "$url/complaints/$id/photo" | sed -n 's/^ETag: //Ip' | tr -d '\r')
time_case photo 200 timed_get "/complaints/$id/photo"
time_case photo304 304 timed_get "/complaints/$id/photo" -H "If-None-Match: $etag"

declare -A what=(
	[healthz]="GET /healthz (no session, no database)"
	[account]="GET /account: session on the primary + db.read of the account"
	[signin]="POST /signin: argon2id (64 MiB, t=2) + session write (semi-sync) + its GTID"
	[file]="POST /complaints: photo cleaned + s3.put quorum(2, 3) + row (semi-sync) + GTID"
	[photo]="GET /complaints/{id}/photo: db.read + s3.get"
	[photo304]="the same with If-None-Match: db.read, no S3"
)
echo "| case | p50 ms | p90 ms | p50 vs /healthz |"
echo "| --- | ---: | ---: | ---: |"
for name in healthz account signin file photo photo304; do
	ratio=$(awk -v a="${p50[$name]}" -v b="${p50[healthz]}" 'BEGIN {printf "%.1f", a / b}')
	echo "| ${what[$name]} | ${p50[$name]} | ${p90[$name]} | $ratio |"
done
echo
echo "$count sequential requests per case (curl, one client), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
