/*
 * photo.h: a resident's photo made safe to store — JPEG, PNG or WebP by its bytes, within the
 * size and pixel caps, with its metadata (above all its GPS location) removed and its
 * orientation kept.
 *
 * How: a strict segment/chunk-level rewrite, never a decode or a re-encode. Why:
 * - lossless: the stored photo is the resident's, pixel for pixel, without a second JPEG
 *   generation's artefacts or a PNG grown by a different encoder;
 * - no decoder in the worker: image decoders (libjpeg, libpng, libwebp, ImageMagick) are where
 *   image CVEs live, and here every byte of a photo comes from the internet. The rewrite reads
 *   only lengths, tags and a few header fields, so its whole attack surface is this file, and
 *   it is small enough for the fuzzer to cover (test/fuzz/fuzz_photo.c);
 * - caps from the headers: width and height are read from SOF / IHDR / VP8X, VP8 or VP8L before
 *   anything else, so a decompression bomb (a 60000x60000 picture in a few KB) is refused from
 *   its header, by us and for every decoder that later shows the photo.
 * Strict means every length is checked against what is left, CRCs (PNG) are checked, a file
 * that is truncated, has a bad length or lacks a required part is refused, and nothing the
 * module does not understand is copied through: unknown JPEG APPn segments, unknown PNG
 * ancillary chunks and unknown WebP chunks are dropped, unknown critical parts refused. Bytes
 * after the end of the image (JPEG EOI, PNG IEND, the RIFF size) are dropped: polyglot tails.
 *
 * Kept, per format (only what a decoder needs to show the right colours):
 *   JPEG: SOFn, DHT, DAC, DQT, DRI, SOS and the entropy-coded scans, APP0 JFIF (its thumbnail
 *         removed: a thumbnail is a second picture, possibly from before a crop), APP2
 *         ICC_PROFILE, APP14 Adobe (colour transform). Dropped: APP1 (Exif, XMP, extended
 *         XMP), APP13 (IPTC/Photoshop), COM, JFXX and every other APPn, also between scans.
 *   PNG:  IHDR, PLTE, IDAT, IEND, tRNS, gAMA, cHRM, sRGB, iCCP, sBIT, pHYs, bKGD. Dropped:
 *         eXIf, tEXt, zTXt, iTXt, tIME and every other ancillary chunk.
 *   WebP: VP8, VP8L, VP8X (EXIF and XMP flags cleared, reserved bits zeroed), ICCP, ALPH.
 *         Dropped: EXIF, XMP and unknown chunks; the RIFF size is recomputed.
 * Animated images (APNG, animated WebP) are refused: a complaint shows one still photo, and
 * frames would be more surface and more pixels than the caps were set for.
 * Orientation: read from the Exif IFD0 Orientation tag (0x0112, SHORT; either byte order;
 * out-of-bounds offsets or odd values mean "no orientation", since that Exif is dropped anyway
 * and a quirky maker note must not cost the resident the photo). When it is not 1, the output
 * carries a minimal Exif block holding only that tag (26 bytes of TIFF: no GPS, no date, no
 * camera), so viewers still turn the photo upright: an APP1 after APP0 (JPEG), an eXIf chunk
 * before the first IDAT (PNG), an EXIF chunk after the image with the VP8X flag set (WebP).
 * The rewrite is idempotent: cleaning a cleaned photo gives the same bytes. It keeps no state
 * between calls (any thread, any worker) and allocates only the output, once, after the input
 * has been read through and accepted.
 * What it cannot promise: the picture data and an ICC profile are copied as they are, so bytes
 * the uploader put there (text inside entropy-coded data, a profile's description) stay; none of
 * it is a location a phone wrote. Serve the stored photo with its mime_type and
 * "X-Content-Type-Options: nosniff", never as text or HTML.
 */
#ifndef PHOTO_H
#define PHOTO_H

#include <stddef.h>
#include <stdint.h>

enum photo_status {
	PHOTO_OK = 0,
	PHOTO_UNSUPPORTED, /* not JPEG, PNG or WebP by its bytes, or animated: a 415 */
	PHOTO_TOO_LARGE,   /* over the byte, width, height or pixel cap: a 413 */
	PHOTO_MALFORMED,   /* truncated, a bad length or CRC, a required part missing: a 400 */
	PHOTO_NO_MEMORY,
};

enum photo_format {
	PHOTO_FORMAT_NONE = 0,
	PHOTO_FORMAT_JPEG,
	PHOTO_FORMAT_PNG,
	PHOTO_FORMAT_WEBP,
};

/* Every field must be set; a photo over any of them is refused (PHOTO_TOO_LARGE). */
struct photo_limits {
	size_t bytes_max;    /* the uploaded file */
	uint32_t width_max;  /* pixels, as stored (before orientation) */
	uint32_t height_max;
	uint64_t pixels_max; /* width * height: what a decoder allocates for */
};

/* Defaults for the configuration: a phone's 12 MP photo is 2-5 MB; a 48 MP one (8000x6000) is
 * accepted, the 200 MP mode of a few phones is not (800 MB as RGBA in a viewer). */
#define PHOTO_BYTES_MAX_DEFAULT ((size_t)10 * 1024 * 1024)
#define PHOTO_SIDE_MAX_DEFAULT 12000u
#define PHOTO_PIXELS_MAX_DEFAULT 50000000u

/* A JPEG with more scans than this is refused: each progressive scan makes a decoder go over
 * the whole picture again, a known way to make a small file take minutes to show. Cameras and
 * encoders make 1 (baseline) to about 12. */
#define PHOTO_JPEG_SCANS_MAX 100

/* Room for any message photo_clean writes. */
#define PHOTO_MESSAGE_SIZE 256

struct photo {
	uint8_t *data;         /* the cleaned bytes (malloc'd; photo_free) */
	size_t len;
	enum photo_format format;
	const char *mime_type; /* static: "image/jpeg", "image/png", "image/webp" */
	const char *extension; /* static, without a dot: "jpg", "png", "webp" */
	uint32_t width;        /* as stored; orientation 5-8 swap them on screen */
	uint32_t height;
	int orientation;       /* 1-8, Exif's meaning; 1 when the photo had none */
};

const char *photo_strerror(enum photo_status status);

/*
 * Cleans in[0..len) into *out. The format is decided by the bytes only (FF D8 FF, the PNG
 * signature, RIFF....WEBP), never by a name or a Content-Type. On success message is "" and
 * out holds the cleaned photo (free it with photo_free). On failure *out is zeroed (photo_free
 * is still safe) and message (PHOTO_MESSAGE_SIZE is enough) holds one sentence for the
 * resident, which never repeats bytes of the file.
 */
enum photo_status photo_clean(const uint8_t *in, size_t len, const struct photo_limits *limits,
                              struct photo *out, char *message, size_t message_size);

/* Frees out->data and zeroes *out. NULL and zeroed photos are fine. */
void photo_free(struct photo *out);

#endif
