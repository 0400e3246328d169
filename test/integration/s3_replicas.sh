#!/usr/bin/env bash
# s3_replicas.sh: S3 replicas taken out of the set and added to it, by editing [s3] replicas and
# reloading (SIGHUP). A replica taken out keeps no queued repair and gets none afterwards; an empty
# replica added gets every existing photo from the photo-repair child, in the background, at [s3]
# backfill_rate photos a second, resuming where it stood after complaintd is restarted midway,
# with its progress printed by complaintctl backfills and under complaintctl replicas' tables.
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 14
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
scratch=$(mktemp -d)
rate=3
replicas_cleanup() {
	rm -rf "$scratch"
	test_stack_cleanup
}
trap replicas_cleanup EXIT
# S3 deadlines far over the stack's (2 s an attempt): s3rver answers in milliseconds, but a machine
# at a load of 30 once made a filing's put miss them.
test_full_stack_up s3_replicas "s3.backfill_rate=$rate" s3.attempt_timeout=20s s3.deadline=60s
test_migrate
stackctl="$top/packaging/stackctl"
conf="$stack_dir/complaintd.conf"
log="$stack_dir/complaintd.log"
# set_replicas NAME...: [s3] replicas becomes these of the stack's replicas, and complaintd reloads.
set_replicas() {
	local name list=
	for name in "$@"; do list+="${list:+, }$name=$(s3_url "$stack_dir" "$stack_base" "$name")"; done
	sed -i "/^\[s3\]/,/^\[/ s#^replicas = .*#replicas = $list#" "$conf"
	grep -q "^replicas = $list\$" "$conf" || { echo "Bail out! [s3] replicas not rewritten"; exit 1; }
	kill -HUP "$(cat "$stack_dir/complaintd.pid")"
}
repairs_for() { sql "SELECT COUNT(*) FROM photo_repairs WHERE replica = '$1'"; }
backfill() { sql "SELECT $1 FROM s3_backfills WHERE replica = '$2'"; }
signup ann "Ann Resident" "ann.$$@example.org"

# ---- the first run: the configured replicas count as whole ----
whole() { [ "$(sql "SELECT GROUP_CONCAT(replica, ':', status, ':', total ORDER BY replica) FROM s3_backfills")" = "de:done:0,jp:done:0,us:done:0" ]; }
check "the first run counts us, jp and de whole (done, nothing to copy)" wait_until 20000 whole

# ---- a replica taken out of the set ----
"$stackctl" stop-s3 "$stack_dir" de
file_complaint ann
check "a filing while de is down queues a repair for de" [ "$(repairs_for de)" = 1 ]
set_replicas us jp
gone_de() { [ "$(repairs_for de)" = 0 ] && [ -z "$(backfill status de)" ]; }
check "de taken out of [s3] replicas: its queued repair and its row are gone after the reload" wait_until 20000 gone_de
reloaded() { curl -s "$url/healthz" | grep -q '"config_generation":2'; }
wait_until 20000 reloaded || diag "the reload did not take: $(tail -n 5 "$log")"
file_complaint ann
check "a filing after it queues no repair for de (nor any: us and jp have it)" \
	[ "$(sql "SELECT COUNT(*) FROM photo_repairs")" = 0 ]
check "the repair child never copied a photo to de (it was down, then out of the set)" \
	bash -c '! grep -q "\.\.\. copied to de" "$1"' _ "$log"

# ---- an empty replica added ----
# Photos of their own: the JPEG with one byte of its scan data changed per copy (a byte that is
# not 0xFF next to one that is not either: still a well-formed stream), so each has its own key.
photos=15
python3 - "$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg" "$scratch" "$photos" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
pos = data.rindex(b'\xff\xd9') - 16
while data[pos] == 0xff or data[pos - 1] == 0xff or data[pos + 1] == 0xff:
    pos -= 1
for k in range(1, int(sys.argv[3]) + 1):
    copy = bytearray(data)
    copy[pos] = (data[pos] + k) % 255
    open('%s/photo%d.jpg' % (sys.argv[2], k), 'wb').write(copy)
EOF
for ((k = 1; k <= photos; k++)); do
	file_complaint_try ann water_leak "Leak number $k" "$scratch/photo$k.jpg" ||
		{ echo "Bail out! filing photo $k: $status $(text_of "$body")"; exit 1; }
done
keys=$(sql "SELECT DISTINCT image_key FROM complaints WHERE image_key IS NOT NULL")
total=$(sql "SELECT COUNT(*) FROM complaints WHERE image_key IS NOT NULL")
diag "$(wc -l <<<"$keys") photos in $total complaints"
"$stackctl" add-s3 "$stack_dir" br >/dev/null || { echo "Bail out! no fourth replica"; exit 1; }
log_mark=$(wc -l <"$log")
started=$(date +%s%N)
set_replicas us jp br
copying() { [ "$(backfill status br)" = copying ]; }
check "br added: its backfill starts, listing the $total photos filed before it" \
	holds 'wait_until 20000 copying && [ "$(backfill total br)" = "$total" ]'
# The rate: never more than rate photos a second since the reload (plus the one that starts a
# second), however fast the machine; sampled until a third are copied.
throttled=yes
third() {
	local copied elapsed_ms
	copied=$(backfill copied br)
	elapsed_ms=$((($(date +%s%N) - started) / 1000000))
	[ "$((copied * 1000))" -le "$((rate * elapsed_ms + 1000))" ] || { throttled="$copied in $elapsed_ms ms"; }
	[ "$copied" -ge $((total / 3)) ]
}
check "a third of the photos copied (within $((total * 10 / rate + 20)) s)" wait_until $(((total * 10 / rate + 20) * 1000)) third
check "copied at $rate photos a second at most ($throttled)" [ "$throttled" = yes ]
"$complaintctl" -c "$conf" backfills >"$scratch/midway" 2>&1
check "complaintctl backfills shows br copying, N of $total, on host local" \
	grep -qE "^br +copying +[0-9]+ of $total .* local$" "$scratch/midway"
diag "$(cat "$scratch/midway")"
"$complaintctl" -c "$conf" replicas >"$scratch/replicas" 2>&1
"$complaintctl" -c "$conf" replicas --json >"$scratch/replicas.json" 2>&1
check "complaintctl replicas shows the same progress under its tables, and in its JSON" \
	holds 'grep -q "^S3 backfills" "$scratch/replicas" && grep -qE "^br +copying +[0-9]+ of $total " "$scratch/replicas" &&
	       python3 -c "import json, sys; b = {r[\"replica\"]: r for r in json.load(open(sys.argv[1]))[\"backfills\"]};
assert b[\"br\"][\"total\"] == int(sys.argv[2]) and 0 < b[\"br\"][\"copied\"] <= b[\"br\"][\"total\"], b" "$scratch/replicas.json" "$total"'

# ---- restarted midway ----
"$stackctl" stop-host "$stack_dir" 1
before=$(backfill copied br)
COMPLAINTD_BINARY=$binary "$stackctl" start-host "$stack_dir" 1
done_br() { [ "$(backfill status br)" = done ]; }
check "after the restart the backfill finishes (within $((total * 10 / rate + 30)) s)" \
	wait_until $(((total * 10 / rate + 30) * 1000)) done_br
missing=0
for key in $keys; do [ -f "$(s3_object_file br "$key")" ] || missing=$((missing + 1)); done
check "every photo is on br ($(wc -l <<<"$keys") objects, $missing missing)" [ "$missing" = 0 ]
copies=$(tail -n +"$((log_mark + 1))" "$log" | grep -c "s3.backfill: photo [0-9a-f]*\.\.\. copied to br")
check "the restart resumed: $before copied before it (0 < it < $total), $copies copies in all (at most $total + 1)" \
	holds '[ "$before" -gt 0 ] && [ "$before" -lt "$total" ] && [ "$copies" -le $((total + 1)) ]'
"$complaintctl" -c "$conf" backfills >"$scratch/done" 2>&1
check "complaintctl backfills shows br done, $total of $total, and no de" \
	holds 'grep -qE "^br +done +$total of $total " "$scratch/done" && ! grep -q "^de " "$scratch/done"'
diag "$(cat "$scratch/done")"
