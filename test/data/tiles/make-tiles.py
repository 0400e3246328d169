#!/usr/bin/env python3
# make-tiles.py: the handful of map tiles the test stacks serve (packaging/stack.sh's tile server):
# 3x3 tiles around the stacks' map_center (50.8466, 4.3528) at zoom 13 (the filing form's) and 17
# (a complaint's), each a plain 256x256 PNG with a grid line and a colour by zoom, so a screenshot
# shows whether tiles loaded. Run it here to make them again; its output is committed.
import math, os, struct, zlib

CENTER = (50.8466, 4.3528)

def tile_of(lat, lon, zoom):
    n = 2 ** zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y

def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

def png(colour):
    rows = []
    for y in range(256):
        row = bytearray()
        for x in range(256):
            row += bytes((150, 150, 150)) if x == 0 or y == 0 else bytes(colour)
        rows.append(b'\0' + bytes(row))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 256, 256, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b''))

here = os.path.dirname(os.path.abspath(__file__))
for zoom, colour in ((13, (222, 236, 214)), (17, (236, 228, 210))):
    cx, cy = tile_of(*CENTER, zoom)
    data = png(colour)
    for x in range(cx - 1, cx + 2):
        for y in range(cy - 1, cy + 2):
            os.makedirs(os.path.join(here, str(zoom), str(x)), exist_ok=True)
            with open(os.path.join(here, str(zoom), str(x), '%d.png' % y), 'wb') as f:
                f.write(data)
