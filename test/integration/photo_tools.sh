#!/usr/bin/env bash
# photo_tools.sh: the photo cleaner judged by Debian's own image tools. Each fixture of
# test/data/photos goes through photo-clean (src/core/photo.c behind a file interface); exiftool
# must find no location, XMP, IPTC, text or camera tag left, yet the orientation the fixture
# had; djpeg, pngcheck and dwebp must accept the output, and decode it to the very pixels of
# the original (the rewrite is lossless). A polyglot tail, a GIF/HTML polyglot, an SVG, HTML, a
# script named .jpg and a decompression bomb are refused. Needs no stack: plain TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
clean=${PHOTO_CLEAN_BINARY:-$top/var/build-asan/test/photo-clean}
photos=$top/test/data/photos
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1

test_number=0
ok() { test_number=$((test_number + 1)); echo "ok $test_number - $*"; }
not_ok() { test_number=$((test_number + 1)); echo "not ok $test_number - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# fixture, expected orientation (empty: none), decoder
fixtures=(
	"jpeg_gps_exif_xmp_iptc.jpg||jpeg"
	"jpeg_rotated_6.jpg|6|jpeg"
	"png_exif_itxt.png|8|png"
	"webp_exif_xmp.webp|3|webp"
	"webp_lossless_exif.webp||webp"
)
refusals=7
# The plan comes first: a missing tool below then fails every planned test.
echo "1..$((${#fixtures[@]} * 6 + refusals))"
[ -x "$clean" ] || { echo "Bail out! no photo-clean at $clean (packaging/dev build, or set PHOTO_CLEAN_BINARY)"; exit 1; }
for tool in exiftool djpeg pngcheck dwebp convert python3; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (packaging/dev install)"; exit 1; }
done

# Tags that tell where, when or by whom a photo was taken, as exiftool names them.
private='GPS|XMP|IPTC|Photoshop|Comment|Make|Model|Artist|Creator|By-line|Keywords|City|Date|ModifyDate'
private_tags() { exiftool -a -G1 -s -q -q "$1" | grep -E "^\[($private)|($private)" | grep -v -E '^\[(File|ExifTool|System)\]'; }

# The decoded pixels of a photo, as one hash (the decoders ignore the orientation tag).
pixels() {
	case $2 in
	jpeg) djpeg -pnm "$1" ;;
	png) convert "png:$1" -depth 8 rgba:- ;;
	webp) dwebp -quiet -pam "$1" -o - ;;
	esac | sha256sum | cut -d' ' -f1
}
decodes() {
	case $2 in
	jpeg) djpeg "$1" >/dev/null ;; # exits 2 on any warning (corrupt data, premature end)
	png) pngcheck -q "$1" >/dev/null ;;
	webp) dwebp -quiet "$1" -o /dev/null ;;
	esac
}

for entry in "${fixtures[@]}"; do
	IFS='|' read -r name orientation decoder <<<"$entry"
	in=$photos/$name out=$scratch/$name
	if "$clean" "$in" "$out" >"$scratch/stdout" 2>"$scratch/stderr"; then
		ok "$name is accepted as $(cat "$scratch/stdout")"
	else
		not_ok "$name is accepted"; diag "$(cat "$scratch/stderr")"
	fi
	before=$(private_tags "$in") after=$(private_tags "$out")
	if [ -n "$before" ] && [ -z "$after" ] && [ -s "$out" ]; then
		ok "$name: exiftool finds none of its $(echo "$before" | wc -l) location, XMP, IPTC, text and camera tags"
	else
		not_ok "$name: no private tag left"; diag "before: $before" "after: $after"
	fi
	got=$(exiftool -n -s3 -Orientation "$out" 2>/dev/null)
	check "$name: orientation ${orientation:-none} as before" [ "$got" = "$orientation" ] ||
		diag "got '$got'"
	if decodes "$out" "$decoder" 2>"$scratch/decoder"; then
		ok "$name: $decoder decoder accepts the cleaned file"
	else
		not_ok "$name: $decoder decoder accepts the cleaned file"; diag "$(cat "$scratch/decoder")"
	fi
	a=$(pixels "$in" "$decoder" 2>/dev/null) b=$(pixels "$out" "$decoder" 2>/dev/null)
	empty=$(printf '' | sha256sum | cut -d' ' -f1)
	if [ -n "$a" ] && [ "$a" != "$empty" ] && [ "$a" = "$b" ]; then
		ok "$name: the same pixels as the original"
	else
		not_ok "$name: the same pixels as the original"; diag "original $a, cleaned $b"
	fi
	cat "$in" - >"$scratch/tail-$name" <<<'<html><script>alert(document.cookie)</script></html>'
	if "$clean" "$scratch/tail-$name" "$scratch/tail-out-$name" >/dev/null 2>&1 &&
		cmp -s "$scratch/tail-out-$name" "$out" && ! grep -q '<script' "$scratch/tail-out-$name"; then
		ok "$name with an HTML tail: the tail is dropped"
	else
		not_ok "$name with an HTML tail: the tail is dropped"
	fi
done

# refused NAME FILE WORDS [ENV...]: photo-clean exits 2 with WORDS in its message, writes nothing.
refused() {
	local name=$1 file=$2 words=$3; shift 3
	rm -f "$scratch/refused.out"
	env "$@" "$clean" "$file" "$scratch/refused.out" >/dev/null 2>"$scratch/stderr"
	local status=$?
	if [ $status -eq 2 ] && grep -q "$words" "$scratch/stderr" && [ ! -e "$scratch/refused.out" ]; then
		ok "$name is refused: $(cat "$scratch/stderr")"
	else
		not_ok "$name is refused ($words)"; diag "exit $status: $(cat "$scratch/stderr")"
	fi
}
convert -size 8x8 xc:red "$scratch/real.gif"
{ cat "$scratch/real.gif"; echo '<html><script>alert(1)</script></html>'; } >"$scratch/polyglot.jpg"
refused "a GIF/HTML polyglot named .jpg" "$scratch/polyglot.jpg" "Only JPEG, PNG and WebP"
echo '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>' >"$scratch/drawing.png"
refused "an SVG named .png" "$scratch/drawing.png" "Only JPEG, PNG and WebP"
echo '<!DOCTYPE html><html><body><script>alert(1)</script></body></html>' >"$scratch/page.webp"
refused "an HTML page named .webp" "$scratch/page.webp" "Only JPEG, PNG and WebP"
printf '#!/bin/sh\necho owned\n' >"$scratch/script.jpg"
refused "a script named .jpg" "$scratch/script.jpg" "Only JPEG, PNG and WebP"
# A PNG whose header claims 60000 x 60000 (3.6 gigapixels), with a real deflate stream of one
# row: a few hundred bytes that would ask a decoder for 14 GB.
python3 - "$scratch/bomb.png" <<'PY'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
header = struct.pack('>IIBBBBB', 60000, 60000, 8, 6, 0, 0, 0)
row = zlib.compress(b'\0' + b'\0' * 60000 * 4, 9)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', row) + chunk(b'IEND', b''))
PY
refused "a PNG decompression bomb (60000 x 60000)" "$scratch/bomb.png" "60000 x 60000 pixels"
refused "a photo over the byte cap" "$photos/jpeg_gps_exif_xmp_iptc.jpg" "up to 1.0 KB" PHOTO_BYTES_MAX=1024
truncated=$scratch/truncated.jpg
head -c 2000 "$photos/jpeg_gps_exif_xmp_iptc.jpg" >"$truncated"
refused "a truncated JPEG" "$truncated" "damaged or incomplete"
