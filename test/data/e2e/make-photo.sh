#!/bin/sh
# make-photo.sh: remakes streetlight.jpg, the photo the browser test files with its complaint, from
# nothing (no outside image): ImageMagick draws a dark street and a lamp post. Run from this
# directory; needs imagemagick.
set -eu
convert -size 320x240 gradient:'#101830'-'#303848' \
	-fill '#505860' -draw 'rectangle 150,60 158,240' \
	-fill '#f0d060' -draw 'circle 154,55 170,55' \
	-strip -quality 80 streetlight.jpg
