#!/bin/sh
# make-fixtures.sh: remakes the photo fixtures of this directory from nothing (no outside image):
# ImageMagick draws a small gradient, cwebp encodes the WebP, exiftool adds the metadata the
# cleaner must remove. Run from this directory; needs imagemagick, webp, libimage-exiftool-perl.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

convert -size 64x48 gradient:'#3060c0'-'#f0c040' -quality 85 "$tmp/base.jpg"
convert -size 64x48 gradient:'#3060c0'-'#f0c040' -depth 8 "$tmp/base.png"
cwebp -quiet -q 80 "$tmp/base.png" -o "$tmp/base.webp"

# The same private location everywhere: a park in Brussels.
gps='-GPSLatitude=50.8466 -GPSLatitudeRef=N -GPSLongitude=4.3528 -GPSLongitudeRef=E -GPSAltitude=57'
xmp_gps='-XMP-exif:GPSLatitude=50.8466N -XMP-exif:GPSLongitude=4.3528E'

# JPEG: GPS in EXIF and in XMP, IPTC (Photoshop APP13), a comment, a camera make.
cp "$tmp/base.jpg" jpeg_gps_exif_xmp_iptc.jpg
exiftool -q -overwrite_original $gps $xmp_gps -Make=PhoneCo -Model=Phone12 -Artist='Jane Resident' \
	-XMP-dc:Creator='Jane Resident' -IPTC:City=Brussels -IPTC:Keywords=home -IPTC:By-line='Jane Resident' \
	-Comment='taken at home' jpeg_gps_exif_xmp_iptc.jpg

# JPEG held sideways by a phone: Orientation 6 (rotate 90 CW to show), plus GPS.
cp "$tmp/base.jpg" jpeg_rotated_6.jpg
exiftool -q -overwrite_original $gps -Make=PhoneCo -Orientation#=6 jpeg_rotated_6.jpg

# PNG: GPS in an eXIf chunk (with Orientation 8), XMP in an iTXt chunk, a tEXt comment.
cp "$tmp/base.png" png_exif_itxt.png
exiftool -q -overwrite_original $gps -Orientation#=8 -Make=PhoneCo $xmp_gps \
	-PNG:Comment='taken at home' png_exif_itxt.png

# WebP: GPS in an EXIF chunk (with Orientation 3), an XMP chunk; exiftool turns it into VP8X.
cp "$tmp/base.webp" webp_exif_xmp.webp
exiftool -q -overwrite_original $gps -Orientation#=3 -Make=PhoneCo $xmp_gps webp_exif_xmp.webp

# Lossless WebP (VP8L inside VP8X) with GPS in EXIF and Orientation 1: nothing of it is kept.
cwebp -quiet -lossless "$tmp/base.png" -o webp_lossless_exif.webp
exiftool -q -overwrite_original $gps -Orientation#=1 -Make=PhoneCo webp_lossless_exif.webp
