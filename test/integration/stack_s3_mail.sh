#!/usr/bin/env bash
# stack_s3_mail.sh: the stack's three S3 replicas check SigV4 like real S3 and keep their data
# across a restart; the mail sink receives SMTP and shows it through its REST API.
source "$(dirname "$0")/lib.sh"
# shellcheck source=packaging/stack-s3.sh
source "$top/packaging/stack-s3.sh"
plan 16

stack_base=$(stack_claim_base $$) || { echo "Bail out! no free port base"; exit 1; }
stack_dir="$test_var/stacks/s3mail-$stack_base"
s3mail_cleanup() {
	s3_stop "$stack_dir"
	mail_stop "$stack_dir"
	test_stack_cleanup
}
trap s3mail_cleanup EXIT
rm -rf "$stack_dir"
mkdir -p "$stack_dir"

started=$(date +%s%N)
if ! s3_start "$stack_dir" "$stack_base"; then
	echo "Bail out! the S3 replicas did not start"
	diag "$(tail -n 20 "$stack_dir"/s3/*.log 2>/dev/null)"
	exit 1
fi
s3_ms=$(( ($(date +%s%N) - started) / 1000000 ))
started=$(date +%s%N)
if ! mail_start "$stack_dir" "$stack_base"; then
	echo "Bail out! the mail sink did not start"
	diag "$(tail -n 20 "$stack_dir/mail.log" 2>/dev/null)"
	exit 1
fi
mail_ms=$(( ($(date +%s%N) - started) / 1000000 ))
diag "three S3 replicas up in $s3_ms ms, maildev up in $mail_ms ms"

key=$(stack_secret_get "$stack_dir" s3_access_key)
secret=$(stack_secret_get "$stack_dir" s3_secret_key)
work="$stack_dir/work"
mkdir -p "$work"

# s3 USER:SECRET PAYLOAD-HASH CURL-ARGS...: a SigV4-signed request; prints the HTTP status,
# leaves the body in $work/out.
s3() {
	local user=$1 hash=$2; shift 2
	curl -s -o "$work/out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$user" \
		-H "x-amz-content-sha256: $hash" "$@"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# error_is STATUS CODE GOT-STATUS: the answer was STATUS with an S3 XML error CODE.
error_is() { [ "$3" = "$1" ] && grep -q "<Error><Code>$2</Code>" "$work/out"; }

# One object per replica: binary bytes, including NUL and CR/LF, so nothing is re-encoded.
for name in "${S3_REPLICAS[@]}"; do
	{ printf 'replica %s\r\n\0' "$name"; head -c 4096 /dev/urandom; } >"$work/$name.bin"
	bucket=$(s3_url "$stack_dir" "$stack_base" "$name")
	put=$(s3 "$key:$secret" "$(sha "$work/$name.bin")" -H 'Content-Type: application/octet-stream' \
		-T "$work/$name.bin" "$bucket/photos/$name.bin")
	get=$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$bucket/photos/$name.bin")
	check "replica $name stores a correctly signed PUT and a signed GET returns the same bytes" \
		bash -c '[ "$1" = 200 ] && [ "$2" = 200 ] && cmp -s "$3" "$4"' _ "$put" "$get" "$work/out" "$work/$name.bin"
done

us=$(s3_url "$stack_dir" "$stack_base" us)
status=$(s3 "$key:wrong-$secret" UNSIGNED-PAYLOAD "$us/photos/us.bin")
check "a request signed with the wrong secret is 403 SignatureDoesNotMatch" error_is 403 SignatureDoesNotMatch "$status"

status=$(s3 "AKIAUNKNOWNKEY000000:$secret" UNSIGNED-PAYLOAD "$us/photos/us.bin")
check "a request with an unknown access key is 403 InvalidAccessKeyId" error_is 403 InvalidAccessKeyId "$status"

status=$(curl -s -o "$work/out" -w '%{http_code}' "$us/photos/us.bin")
check "an unsigned GET is 403 AccessDenied" error_is 403 AccessDenied "$status"
status=$(curl -s -o "$work/out" -w '%{http_code}' -T "$work/jp.bin" "$us/photos/unsigned.bin")
check "an unsigned PUT is 403 AccessDenied" error_is 403 AccessDenied "$status"

# The signature covers the declared hash; the body sent is another one. Real S3 answers
# 400 XAmzContentSHA256Mismatch and stores nothing.
status=$(s3 "$key:$secret" "$(sha "$work/us.bin")" -T "$work/jp.bin" "$us/photos/us.bin")
cp "$work/out" "$work/mismatch.out"
get=$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$us/photos/us.bin")
check "a body not matching the signed x-amz-content-sha256 is 400 XAmzContentSHA256Mismatch, nothing stored" \
	bash -c '[ "$1" = 400 ] && grep -q "<Code>XAmzContentSHA256Mismatch</Code>" "$2" &&
		[ "$3" = 200 ] && cmp -s "$4" "$5"' _ "$status" "$work/mismatch.out" "$get" "$work/out" "$work/us.bin"

# The date is checked before the signature: a well-formed header with an old x-amz-date.
status=$(curl -s -o "$work/out" -w '%{http_code}' -H 'x-amz-date: 20200101T000000Z' \
	-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	-H "Authorization: AWS4-HMAC-SHA256 Credential=$key/20200101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$(printf '0%.0s' {1..64})" \
	"$us/photos/us.bin")
check "a request dated more than 15 minutes off is 403 RequestTimeTooSkewed" error_is 403 RequestTimeTooSkewed "$status"

# SigV4 canonicalises the query sorted by name; curl signs it as written. A spec-conforming
# server (real S3, and this one) accepts the sorted form and rejects the unsorted one.
sorted=$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$us?list-type=2&prefix=photos%2F")
grep -q '<Key>photos/us.bin</Key>' "$work/out" && listed=yes || listed=no
unsorted=$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$us?prefix=photos%2F&list-type=2")
check "a signed ListObjectsV2 with a sorted query lists the object; the unsorted query is refused" \
	bash -c '[ "$1" = 200 ] && [ "$2" = yes ] && [ "$3" = 403 ]' _ "$sorted" "$listed" "$unsorted"

check "the secrets file is mode 0600 and no replica shows the secret in its command line" \
	bash -c '[ "$(stat -c %a "$1/secrets")" = 600 ] &&
		! ps -o args= -p "$(cat "$1"/s3/*.pid | paste -sd,)" | grep -qF -- "$2"' _ "$stack_dir" "$secret"

ports="$(stack_port "$stack_base" s3-us) $(stack_port "$stack_base" s3-jp) $(stack_port "$stack_base" s3-de) $(stack_port "$stack_base" smtp) $(stack_port "$stack_base" mail-web)"
listening=$(ss -ltnH "( sport >= :$stack_base and sport < :$((stack_base + 20)) )" | awk '{print $4}' | sort | tr '\n' ' ')
expected=$(for p in $ports; do echo "127.0.0.1:$p"; done | sort | tr '\n' ' ')
check "the replicas and the mail sink listen on 127.0.0.1 only, on the stack's ports" [ "$listening" = "$expected" ]
[ "$listening" = "$expected" ] || diag "listening: $listening" "expected:  $expected"

# A stopped replica refuses connections; the other two still serve; restarted, it has its data.
s3_stop_replica "$stack_dir" jp
jp=$(s3_url "$stack_dir" "$stack_base" jp)
s3 "$key:$secret" UNSIGNED-PAYLOAD "$jp/photos/jp.bin" >/dev/null && jp_rc=0 || jp_rc=$?
others=$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$us/photos/us.bin")
cmp -s "$work/out" "$work/us.bin" && others+=same
others+=/$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$(s3_url "$stack_dir" "$stack_base" de)/photos/de.bin")
cmp -s "$work/out" "$work/de.bin" && others+=same
check "a replica stopped with s3_stop_replica refuses connections (curl rc 7) while us and de serve" \
	bash -c '[ "$1" = 7 ] && [ "$2" = 200same/200same ]' _ "$jp_rc" "$others"
[ "$jp_rc" = 7 ] || diag "curl rc for the stopped replica: $jp_rc; others: $others"

started=$(date +%s%N)
s3_start_replica "$stack_dir" jp && restarted=yes || restarted=no
diag "replica jp restarted in $(( ($(date +%s%N) - started) / 1000000 )) ms"
get=$(s3 "$key:$secret" UNSIGNED-PAYLOAD "$jp/photos/jp.bin")
check "after s3_start_replica the replica serves its old object again, same port, same bytes" \
	bash -c '[ "$1" = yes ] && [ "$2" = 200 ] && cmp -s "$3" "$4"' _ "$restarted" "$get" "$work/out" "$work/jp.bin"

# Mail: SMTP in, REST out.
smtp=$(stack_port "$stack_base" smtp)
web=$(stack_port "$stack_base" mail-web)
subject="Stack test $$ $RANDOM"
printf 'From: complaintd <noreply@city.test>\r\nTo: Ada <ada@example.test>\r\nSubject: %s\r\n\r\nYour complaint was received.\r\n' \
	"$subject" >"$work/mail.txt"
curl -s "smtp://127.0.0.1:$smtp" --mail-from noreply@city.test --mail-rcpt ada@example.test \
	-T "$work/mail.txt" && sent=yes || sent=no
# maildev stores the mail asynchronously: poll its REST API briefly.
mail_seen() {
	curl -s "http://127.0.0.1:$web/api/email" | node -e '
		let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
			const mails = JSON.parse(s);
			const m = mails.find((x) => x.subject === process.argv[1]);
			const to = m && [].concat(m.to || []).map((a) => a.address);
			process.exit(m && to.includes("ada@example.test") ? 0 : 1);
		});' "$subject"
}
wait_until 3000 mail_seen && seen=yes || seen=no
check "the mail sink receives a mail over SMTP and shows its subject and recipient at /api/email" \
	[ "$sent/$seen" = yes/yes ]
[ "$seen" = yes ] || diag "$(curl -s "http://127.0.0.1:$web/api/email" | head -c 600)"

started=$(date +%s%N)
mail_stop "$stack_dir"
diag "maildev stopped in $(( ($(date +%s%N) - started) / 1000000 )) ms"
curl -s "smtp://127.0.0.1:$smtp" --mail-from noreply@city.test --mail-rcpt ada@example.test \
	-T "$work/mail.txt" && smtp_rc=0 || smtp_rc=$?
check "after mail_stop SMTP refuses connections (curl rc 7)" [ "$smtp_rc" = 7 ]
