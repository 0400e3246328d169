/*
 * fuzz_photo.c: libFuzzer target for photo_clean, which reads every byte of an uploaded photo.
 *
 * Beyond "no crash, no leak, no overflow" (the sanitizers), each answer is checked: a refusal
 * has no output and a printable sentence; an accepted photo is within the caps, starts with its
 * format's signature, holds only the parts the cleaner keeps (walked here independently: JPEG
 * segments before the first scan, every PNG chunk with its CRC, every WebP chunk), is refused
 * when cut by one byte, and comes out of a second cleaning unchanged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/photo.h"

static const struct photo_limits fuzz_limits = {
	.bytes_max = 1 << 20,
	.width_max = 4000,
	.height_max = 3000,
	.pixels_max = 6000000,
};

static uint32_t fuzz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t fuzz_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t fuzz_crc32(const uint8_t *bytes, size_t len)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= bytes[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static bool fuzz_one_of(const uint8_t *type, const char *const *list)
{
	for (; *list != NULL; list++)
		if (memcmp(type, *list, 4) == 0)
			return true;
	return false;
}

/* JPEG: before the first scan only JFIF without thumbnail, the 34-byte orientation APP1,
 * ICC_PROFILE, Adobe and tables; never a comment or another APPn. */
static void fuzz_check_jpeg(const struct photo *photo)
{
	const uint8_t *d = photo->data;
	if (photo->len < 4 || memcmp(d, "\xff\xd8", 2) != 0 || memcmp(d + photo->len - 2, "\xff\xd9", 2) != 0)
		abort();
	for (size_t pos = 2;;) {
		if (photo->len - pos < 4 || d[pos] != 0xff)
			abort();
		uint8_t marker = d[pos + 1];
		size_t len = (size_t)d[pos + 2] << 8 | d[pos + 3];
		const uint8_t *body = d + pos + 4;
		if (marker == 0xda)
			return;
		if (marker == 0xfe || (marker >= 0xe3 && marker <= 0xed) || marker == 0xef)
			abort();
		if (marker == 0xe0 && (len != 16 || memcmp(body, "JFIF\0", 5) != 0 || body[12] || body[13]))
			abort();
		if (marker == 0xe1 && (len != 34 || memcmp(body, "Exif\0\0MM\0*", 10) != 0 || photo->orientation == 1))
			abort();
		if (marker == 0xe2 && memcmp(body, "ICC_PROFILE\0", 12) != 0)
			abort();
		if (marker == 0xee && memcmp(body, "Adobe", 5) != 0)
			abort();
		pos += 2 + len;
	}
}

static void fuzz_check_png(const struct photo *photo)
{
	static const char *const kept[] = {"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM",
	                                   "sRGB", "iCCP", "sBIT", "pHYs", "bKGD", "eXIf", NULL};
	const uint8_t *d = photo->data;
	size_t pos = 8;
	for (;;) {
		if (photo->len - pos < 12)
			abort();
		uint32_t len = fuzz_be32(d + pos);
		if (len > photo->len - pos - 12 || !fuzz_one_of(d + pos + 4, kept) ||
		    fuzz_crc32(d + pos + 4, 4 + (size_t)len) != fuzz_be32(d + pos + 8 + len))
			abort();
		if (memcmp(d + pos + 4, "eXIf", 4) == 0 && (len != 26 || photo->orientation == 1))
			abort();
		pos += 12 + (size_t)len;
		if (memcmp(d + pos - 12 - len + 4, "IEND", 4) == 0)
			break;
	}
	if (pos != photo->len)
		abort();
}

static void fuzz_check_webp(const struct photo *photo)
{
	static const char *const kept[] = {"VP8 ", "VP8L", "VP8X", "ICCP", "ALPH", "EXIF", NULL};
	const uint8_t *d = photo->data;
	if (photo->len < 20 || fuzz_le32(d + 4) != photo->len - 8)
		abort();
	bool extended = memcmp(d + 12, "VP8X", 4) == 0;
	if (extended && (d[20] & ~0x38u) != 0)
		abort(); /* only ICC, alpha and EXIF flags; no XMP, no animation, no reserved bits */
	bool exif = false;
	for (size_t pos = 12; pos < photo->len;) {
		if (photo->len - pos < 8)
			abort();
		uint32_t len = fuzz_le32(d + pos + 4);
		if (len > photo->len - pos - 8 || !fuzz_one_of(d + pos, kept))
			abort();
		if (memcmp(d + pos, "EXIF", 4) == 0) {
			if (len != 26 || photo->orientation == 1)
				abort();
			exif = true;
		}
		pos += 8 + (size_t)len + (len & 1);
	}
	if (extended && exif != ((d[20] & 0x08) != 0))
		abort();
}

static void fuzz_check_message(const char *message, size_t size)
{
	size_t len = strnlen(message, size);
	if (len == 0 || len == size)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)message[i] < 0x20 || (unsigned char)message[i] >= 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct photo photo, again;
	char message[PHOTO_MESSAGE_SIZE];
	enum photo_status status = photo_clean(data, size, &fuzz_limits, &photo, message, sizeof(message));
	if (status != PHOTO_OK) {
		if (photo.data != NULL || photo.len != 0)
			abort();
		fuzz_check_message(message, sizeof(message));
		return 0;
	}
	if (message[0] != '\0' || photo.len > size + 64 || photo.width == 0 || photo.height == 0 ||
	    photo.width > fuzz_limits.width_max || photo.height > fuzz_limits.height_max ||
	    (uint64_t)photo.width * photo.height > fuzz_limits.pixels_max || photo.orientation < 1 ||
	    photo.orientation > 8)
		abort();
	switch (photo.format) {
	case PHOTO_FORMAT_JPEG:
		fuzz_check_jpeg(&photo);
		break;
	case PHOTO_FORMAT_PNG:
		fuzz_check_png(&photo);
		break;
	case PHOTO_FORMAT_WEBP:
		fuzz_check_webp(&photo);
		break;
	default:
		abort();
	}
	if (photo_clean(photo.data, photo.len - 1, &fuzz_limits, &again, message, sizeof(message)) == PHOTO_OK)
		abort();
	if (photo_clean(photo.data, photo.len, &fuzz_limits, &again, message, sizeof(message)) != PHOTO_OK ||
	    again.len != photo.len || memcmp(again.data, photo.data, photo.len) != 0 || again.width != photo.width ||
	    again.height != photo.height || again.orientation != photo.orientation || again.format != photo.format)
		abort();
	photo_free(&again);
	photo_free(&photo);
	return 0;
}
