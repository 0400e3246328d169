/*
 * test_photo.c: the photo cleaner's promises, on the fixtures of test/data/photos (real files
 * from ImageMagick, cwebp and exiftool, carrying GPS in EXIF, XMP, IPTC, eXIf, iTXt) and on
 * small files crafted here: metadata gone, orientation kept, picture data byte for byte, tails
 * after the image dropped, every truncation and broken length refused, bombs refused from their
 * headers, and anything not JPEG, PNG or WebP refused whatever it calls itself. Whether the
 * output still decodes is checked with Debian's tools by test/integration/photo_tools.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/photo.h"

struct test_bytes {
	uint8_t *data;
	size_t len;
};

static const struct photo_limits test_limits = {
	.bytes_max = PHOTO_BYTES_MAX_DEFAULT,
	.width_max = PHOTO_SIDE_MAX_DEFAULT,
	.height_max = PHOTO_SIDE_MAX_DEFAULT,
	.pixels_max = PHOTO_PIXELS_MAX_DEFAULT,
};

/* The words the fixtures' metadata holds; none may survive cleaning. */
static const char *const test_private_words[] = {
	"GPS", "xmpmeta", "Photoshop", "PhoneCo", "Phone12", "Jane Resident", "Brussels", "taken at home",
	"http://ns.adobe.com", "date:create", "tEXt", "iTXt", "zTXt", "tIME", "XMP ", "8BIM",
};

static struct test_bytes test_read_fixture(const char *name)
{
	const char *top = getenv("srcdir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/test/data/photos/%s", top != NULL ? top : ".", name);
	FILE *file = fopen(path, "rb");
	if (file == NULL)
		fail_msg("cannot open %s", path);
	struct test_bytes bytes = {malloc(1 << 20), 0};
	assert_non_null(bytes.data);
	bytes.len = fread(bytes.data, 1, 1 << 20, file);
	fclose(file);
	assert_true(bytes.len > 0 && bytes.len < 50 * 1024);
	return bytes;
}

static bool test_contains(const uint8_t *data, size_t len, const char *word)
{
	return memmem(data, len, word, strlen(word)) != NULL;
}

static enum photo_status test_clean(const uint8_t *data, size_t len, struct photo *out)
{
	char message[PHOTO_MESSAGE_SIZE];
	return photo_clean(data, len, &test_limits, out, message, sizeof(message));
}

/* The status and message of cleaning data with limits, the output freed. */
static enum photo_status test_refusal(const uint8_t *data, size_t len, const struct photo_limits *limits,
                                      char message[PHOTO_MESSAGE_SIZE])
{
	struct photo out;
	enum photo_status status = photo_clean(data, len, limits, &out, message, PHOTO_MESSAGE_SIZE);
	if (status == PHOTO_OK) {
		photo_free(&out);
	} else {
		assert_null(out.data);
		assert_int_equal(out.len, 0);
		assert_true(strlen(message) > 10);
	}
	return status;
}

/* ---- crafting ---- */

static uint32_t test_crc32(const uint8_t *bytes, size_t len)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= bytes[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void test_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Appends a PNG chunk with a correct CRC at *len. */
static void test_png_chunk(uint8_t *buffer, size_t *len, const char *type, const void *data, uint32_t data_len)
{
	uint8_t *chunk = buffer + *len;
	test_put_be32(chunk, data_len);
	memcpy(chunk + 4, type, 4);
	if (data_len > 0)
		memcpy(chunk + 8, data, data_len);
	test_put_be32(chunk + 8 + data_len, test_crc32(chunk + 4, 4 + (size_t)data_len));
	*len += 12 + data_len;
}

/* A PNG header claiming width x height, 8-bit grey. */
static size_t test_png_start(uint8_t *buffer, uint32_t width, uint32_t height)
{
	size_t len = 8;
	memcpy(buffer, "\x89PNG\r\n\x1a\n", 8);
	uint8_t header[13] = {0};
	test_put_be32(header, width);
	test_put_be32(header + 4, height);
	header[8] = 8;
	test_png_chunk(buffer, &len, "IHDR", header, sizeof(header));
	return len;
}

/* Where the chunk of this type starts in a PNG, or 0. */
static size_t test_png_find(const uint8_t *data, size_t len, const char *type)
{
	for (size_t pos = 8; pos + 12 <= len;) {
		uint32_t data_len = (uint32_t)data[pos] << 24 | data[pos + 1] << 16 | data[pos + 2] << 8 | data[pos + 3];
		if (memcmp(data + pos + 4, type, 4) == 0)
			return pos;
		pos += 12 + (size_t)data_len;
	}
	return 0;
}

/* Where the first JPEG marker code (the byte after FF) equal to code is, walking segments, or 0. */
static size_t test_jpeg_find(const uint8_t *data, size_t len, uint8_t code)
{
	for (size_t pos = 2; pos + 4 <= len && data[pos] == 0xff;) {
		if (data[pos + 1] == code)
			return pos;
		if (data[pos + 1] == 0xda)
			return 0;
		pos += 2 + (size_t)(data[pos + 2] << 8 | data[pos + 3]);
	}
	return 0;
}

/* ---- the fixtures ---- */

static const struct test_fixture {
	const char *name;
	enum photo_format format;
	const char *mime_type;
	const char *extension;
	int orientation;
} test_fixtures[] = {
	{"jpeg_gps_exif_xmp_iptc.jpg", PHOTO_FORMAT_JPEG, "image/jpeg", "jpg", 1},
	{"jpeg_rotated_6.jpg", PHOTO_FORMAT_JPEG, "image/jpeg", "jpg", 6},
	{"png_exif_itxt.png", PHOTO_FORMAT_PNG, "image/png", "png", 8},
	{"webp_exif_xmp.webp", PHOTO_FORMAT_WEBP, "image/webp", "webp", 3},
	{"webp_lossless_exif.webp", PHOTO_FORMAT_WEBP, "image/webp", "webp", 1},
};

#define TEST_FIXTURE_COUNT (sizeof(test_fixtures) / sizeof(test_fixtures[0]))

/* The 26-byte TIFF block holding only Orientation = value, as any reader parses it. */
static void test_minimal_exif(uint8_t tiff[26], int value)
{
	static const uint8_t block[26] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3,
	                                  0,   0,   0, 1,  0, 0, 0, 0, 0, 0, 0,    0};
	memcpy(tiff, block, 26);
	tiff[19] = (uint8_t)value;
}

static void test_fixtures_lose_every_private_word(void **state)
{
	(void)state;
	for (size_t i = 0; i < TEST_FIXTURE_COUNT; i++) {
		const struct test_fixture *fixture = &test_fixtures[i];
		struct test_bytes in = test_read_fixture(fixture->name);
		/* The fixture really carries a location: the test cannot pass by an empty fixture. */
		assert_true(test_contains(in.data, in.len, "GPS") || test_contains(in.data, in.len, "PhoneCo"));
		struct photo out;
		char message[PHOTO_MESSAGE_SIZE] = "junk";
		assert_int_equal(photo_clean(in.data, in.len, &test_limits, &out, message, sizeof(message)), PHOTO_OK);
		assert_string_equal(message, "");
		assert_int_equal(out.format, fixture->format);
		assert_string_equal(out.mime_type, fixture->mime_type);
		assert_string_equal(out.extension, fixture->extension);
		assert_int_equal(out.width, 64);
		assert_int_equal(out.height, 48);
		assert_int_equal(out.orientation, fixture->orientation);
		for (size_t w = 0; w < sizeof(test_private_words) / sizeof(test_private_words[0]); w++)
			if (test_contains(out.data, out.len, test_private_words[w]))
				fail_msg("%s keeps \"%s\"", fixture->name, test_private_words[w]);
		/* The only Exif left, if any, is the orientation block. */
		uint8_t tiff[26];
		test_minimal_exif(tiff, fixture->orientation);
		assert_int_equal(memmem(out.data, out.len, "MM\0*", 4) != NULL, fixture->orientation != 1);
		if (fixture->orientation != 1)
			assert_non_null(memmem(out.data, out.len, tiff, sizeof(tiff)));
		assert_false(test_contains(out.data, out.len, "II*"));
		assert_true(out.len < in.len);
		photo_free(&out);
		free(in.data);
	}
}

static void test_jpeg_keeps_the_picture_and_drops_exif_xmp_iptc_and_comments(void **state)
{
	(void)state;
	struct test_bytes in = test_read_fixture("jpeg_gps_exif_xmp_iptc.jpg");
	assert_true(test_jpeg_find(in.data, in.len, 0xe1) != 0);
	assert_true(test_jpeg_find(in.data, in.len, 0xed) != 0);
	assert_true(test_jpeg_find(in.data, in.len, 0xfe) != 0);
	struct photo out;
	assert_int_equal(test_clean(in.data, in.len, &out), PHOTO_OK);
	assert_int_equal(test_jpeg_find(out.data, out.len, 0xe1), 0);
	assert_int_equal(test_jpeg_find(out.data, out.len, 0xed), 0);
	assert_int_equal(test_jpeg_find(out.data, out.len, 0xfe), 0);
	/* JFIF first, then tables; from the frame header to EOI, the input's very bytes. */
	assert_memory_equal(out.data, "\xff\xd8\xff\xe0\x00\x10JFIF", 10);
	size_t in_frame = test_jpeg_find(in.data, in.len, 0xdb), out_frame = test_jpeg_find(out.data, out.len, 0xdb);
	assert_true(in_frame != 0 && out_frame != 0);
	assert_int_equal(in.len - in_frame, out.len - out_frame);
	assert_memory_equal(in.data + in_frame, out.data + out_frame, in.len - in_frame);
	photo_free(&out);
	free(in.data);
}

static void test_rotated_jpeg_keeps_its_orientation_after_jfif(void **state)
{
	(void)state;
	struct test_bytes in = test_read_fixture("jpeg_rotated_6.jpg");
	struct photo out;
	assert_int_equal(test_clean(in.data, in.len, &out), PHOTO_OK);
	assert_int_equal(out.orientation, 6);
	/* SOI, APP0 JFIF (18 bytes), then APP1: "Exif\0\0" and the 26-byte block. */
	uint8_t app1[4 + 6 + 26] = {0xff, 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0};
	test_minimal_exif(app1 + 10, 6);
	assert_memory_equal(out.data + 2 + 18, app1, sizeof(app1));
	photo_free(&out);
	free(in.data);
}

static void test_png_drops_exif_and_text_chunks_and_keeps_orientation_with_a_good_crc(void **state)
{
	(void)state;
	struct test_bytes in = test_read_fixture("png_exif_itxt.png");
	const char *dropped[] = {"eXIf", "iTXt", "tEXt", "tIME"};
	for (size_t i = 0; i < 4; i++)
		assert_true(test_png_find(in.data, in.len, dropped[i]) != 0);
	struct photo out;
	assert_int_equal(test_clean(in.data, in.len, &out), PHOTO_OK);
	for (size_t i = 1; i < 4; i++)
		assert_int_equal(test_png_find(out.data, out.len, dropped[i]), 0);
	const char *kept[] = {"PLTE", "gAMA", "cHRM", "bKGD", "IDAT", "IEND"};
	for (size_t i = 0; i < 6; i++)
		assert_true(test_png_find(out.data, out.len, kept[i]) != 0);
	/* One eXIf, the orientation only, right before IDAT, with its CRC. */
	size_t exif = test_png_find(out.data, out.len, "eXIf");
	assert_true(exif != 0);
	assert_memory_equal(out.data + exif, "\0\0\0\x1a" "eXIf", 8);
	uint8_t tiff[26];
	test_minimal_exif(tiff, 8);
	assert_memory_equal(out.data + exif + 8, tiff, 26);
	uint8_t crc[4];
	test_put_be32(crc, test_crc32(out.data + exif + 4, 30));
	assert_memory_equal(out.data + exif + 34, crc, 4);
	assert_int_equal(test_png_find(out.data, out.len, "IDAT"), exif + 38);
	photo_free(&out);
	free(in.data);
}

static void test_webp_drops_exif_and_xmp_and_fixes_flags_and_size(void **state)
{
	(void)state;
	struct test_bytes in = test_read_fixture("webp_exif_xmp.webp");
	assert_true(test_contains(in.data, in.len, "XMP "));
	assert_int_equal(in.data[20] & 0x0c, 0x0c); /* VP8X says EXIF and XMP */
	struct photo out;
	assert_int_equal(test_clean(in.data, in.len, &out), PHOTO_OK);
	uint32_t riff = out.data[4] | out.data[5] << 8 | out.data[6] << 16 | (uint32_t)out.data[7] << 24;
	assert_int_equal(riff, out.len - 8);
	assert_memory_equal(out.data + 12, "VP8X", 4);
	assert_int_equal(out.data[20], 0x08); /* EXIF only: the orientation is kept */
	assert_memory_equal(out.data + out.len - 34, "EXIF\x1a\0\0\0", 8);
	photo_free(&out);
	free(in.data);

	in = test_read_fixture("webp_lossless_exif.webp");
	assert_int_equal(test_clean(in.data, in.len, &out), PHOTO_OK);
	assert_int_equal(out.orientation, 1);
	assert_int_equal(out.data[20], 0);
	assert_false(test_contains(out.data, out.len, "EXIF"));
	assert_int_equal(out.len, 12 + 18 + 8 + 94); /* RIFF, VP8X, VP8L */
	photo_free(&out);
	free(in.data);
}

static void test_cleaning_twice_changes_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < TEST_FIXTURE_COUNT; i++) {
		struct test_bytes in = test_read_fixture(test_fixtures[i].name);
		struct photo once, twice;
		assert_int_equal(test_clean(in.data, in.len, &once), PHOTO_OK);
		assert_int_equal(test_clean(once.data, once.len, &twice), PHOTO_OK);
		assert_int_equal(once.len, twice.len);
		assert_memory_equal(once.data, twice.data, once.len);
		assert_int_equal(twice.orientation, test_fixtures[i].orientation);
		photo_free(&once);
		photo_free(&twice);
		free(in.data);
	}
}

static void test_a_polyglot_tail_is_dropped(void **state)
{
	(void)state;
	static const char tail[] = "<html><script>alert(document.cookie)</script></html>";
	for (size_t i = 0; i < TEST_FIXTURE_COUNT; i++) {
		struct test_bytes in = test_read_fixture(test_fixtures[i].name);
		struct photo plain, tailed;
		assert_int_equal(test_clean(in.data, in.len, &plain), PHOTO_OK);
		memcpy(in.data + in.len, tail, sizeof(tail) - 1);
		assert_int_equal(test_clean(in.data, in.len + sizeof(tail) - 1, &tailed), PHOTO_OK);
		assert_false(test_contains(tailed.data, tailed.len, "<script"));
		assert_int_equal(plain.len, tailed.len);
		assert_memory_equal(plain.data, tailed.data, plain.len);
		photo_free(&plain);
		photo_free(&tailed);
		free(in.data);
	}
}

static void test_jpeg_segments_between_scans_are_dropped_too(void **state)
{
	(void)state;
	struct test_bytes in = test_read_fixture("jpeg_rotated_6.jpg");
	/* A comment and an APP13 slipped between the scan and EOI. */
	static const uint8_t hidden[] = "\xff\xfe\x00\x0bGPS 50.84\xff\xed\x00\x0dPhotoshop 3";
	assert_memory_equal(in.data + in.len - 2, "\xff\xd9", 2);
	memcpy(in.data + in.len - 2, hidden, sizeof(hidden) - 1);
	memcpy(in.data + in.len - 2 + sizeof(hidden) - 1, "\xff\xd9", 2);
	struct photo out;
	assert_int_equal(test_clean(in.data, in.len + sizeof(hidden) - 1, &out), PHOTO_OK);
	assert_false(test_contains(out.data, out.len, "GPS"));
	assert_false(test_contains(out.data, out.len, "Photoshop"));
	photo_free(&out);
	free(in.data);
}

/* How many first bytes tell the format. */
static size_t test_magic_len(enum photo_format format)
{
	return format == PHOTO_FORMAT_JPEG ? 3 : format == PHOTO_FORMAT_PNG ? 8 : 12;
}

static void test_every_truncation_is_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < TEST_FIXTURE_COUNT; i++) {
		struct test_bytes in = test_read_fixture(test_fixtures[i].name);
		struct photo clean;
		assert_int_equal(test_clean(in.data, in.len, &clean), PHOTO_OK);
		for (size_t cut = 0; cut < clean.len; cut++) {
			char message[PHOTO_MESSAGE_SIZE];
			enum photo_status status = test_refusal(clean.data, cut, &test_limits, message);
			if (status != (cut < test_magic_len(test_fixtures[i].format) ? PHOTO_UNSUPPORTED : PHOTO_MALFORMED))
				fail_msg("%s cut at %zu: %s (%s)", test_fixtures[i].name, cut, photo_strerror(status),
				         message);
		}
		photo_free(&clean);
		free(in.data);
	}
}

/* Cleaning a fixture with one byte changed at offset (found by finder) is refused as malformed. */
static void test_assert_malformed(const char *name, size_t offset, uint8_t value)
{
	struct test_bytes in = test_read_fixture(name);
	assert_true(offset < in.len);
	in.data[offset] = value;
	char message[PHOTO_MESSAGE_SIZE];
	if (test_refusal(in.data, in.len, &test_limits, message) != PHOTO_MALFORMED)
		fail_msg("%s with byte %zu = %#x not refused as malformed", name, offset, value);
	assert_non_null(strstr(message, "damaged or incomplete"));
	free(in.data);
}

static void test_broken_lengths_and_checksums_are_refused(void **state)
{
	(void)state;
	struct test_bytes jpeg = test_read_fixture("jpeg_rotated_6.jpg");
	struct test_bytes png = test_read_fixture("png_exif_itxt.png");
	struct test_bytes webp = test_read_fixture("webp_exif_xmp.webp");
	size_t app1 = test_jpeg_find(jpeg.data, jpeg.len, 0xe1);
	size_t frame = test_jpeg_find(jpeg.data, jpeg.len, 0xc0);
	size_t idat = test_png_find(png.data, png.len, "IDAT");
	size_t text = test_png_find(png.data, png.len, "tEXt");

	test_assert_malformed("jpeg_rotated_6.jpg", app1 + 2, 0xff);  /* a segment past the end */
	test_assert_malformed("jpeg_rotated_6.jpg", app1 + 3, 1);     /* length 1 */
	test_assert_malformed("jpeg_rotated_6.jpg", app1 + 2, 0);
	test_assert_malformed("jpeg_rotated_6.jpg", frame + 1, 0xda); /* a scan before the frame */
	test_assert_malformed("jpeg_rotated_6.jpg", frame + 1, 0xd8); /* SOI again */
	test_assert_malformed("jpeg_rotated_6.jpg", frame + 9, 0);    /* no components */
	test_assert_malformed("jpeg_rotated_6.jpg", frame + 6, 0);    /* height 48 -> 0: DNL */
	test_assert_malformed("jpeg_rotated_6.jpg", frame + 11, 0);   /* component 1 sampled 0x0 */
	test_assert_malformed("png_exif_itxt.png", idat + 10, (uint8_t)(png.data[idat + 10] ^ 1)); /* CRC */
	test_assert_malformed("png_exif_itxt.png", text + 8, 'X');    /* text changed, CRC not */
	test_assert_malformed("png_exif_itxt.png", idat, 0x80);       /* length over 2^31 */
	test_assert_malformed("png_exif_itxt.png", idat + 3, 0xff);   /* IDAT past the end */
	test_assert_malformed("webp_exif_xmp.webp", 7, 0x10);         /* RIFF size past the end */
	test_assert_malformed("webp_exif_xmp.webp", 4, (uint8_t)(webp.data[4] + 1)); /* odd RIFF size */
	test_assert_malformed("webp_exif_xmp.webp", 24, 0x30);        /* canvas 49 wide, picture 64 */
	test_assert_malformed("webp_exif_xmp.webp", 16, 11);          /* VP8X of 11 bytes */
	test_assert_malformed("webp_exif_xmp.webp", 12, 'X');         /* first chunk unknown */
	free(jpeg.data);
	free(png.data);
	free(webp.data);
}

/* Well-formed chunks (good CRCs) in an order or with values PNG forbids. */
static void test_a_png_breaking_the_chunk_rules_is_refused(void **state)
{
	(void)state;
	static const char idat[] = "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01";
	char message[PHOTO_MESSAGE_SIZE];
	uint8_t buffer[256];
	size_t len;
	/* IHDR not first. */
	memcpy(buffer, "\x89PNG\r\n\x1a\n", 8), len = 8;
	test_png_chunk(buffer, &len, "gAMA", "\0\0\xb1\x8f", 4);
	test_png_chunk(buffer, &len, "IHDR", "\0\0\0\x01\0\0\0\x01\x08\0\0\0\0", 13);
	test_png_chunk(buffer, &len, "IDAT", idat, 10);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	assert_int_equal(test_refusal(buffer, len, &test_limits, message), PHOTO_MALFORMED);
	/* An unknown critical chunk, a second IHDR, IDAT split, a non-empty IEND, no IDAT. */
	static const struct {
		const char *type;
		const char *data;
		uint32_t len;
		bool after_data;
	} wrong[] = {
		{"QUUX", "x", 1, false}, {"IHDR", "\0\0\0\x01\0\0\0\x01\x08\0\0\0\0", 13, false},
		{"IDAT", idat, 10, true}, {"IEND", "x", 1, true},
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		len = test_png_start(buffer, 1, 1);
		if (!wrong[i].after_data)
			test_png_chunk(buffer, &len, wrong[i].type, wrong[i].data, wrong[i].len);
		test_png_chunk(buffer, &len, "IDAT", idat, 10);
		if (wrong[i].after_data) {
			test_png_chunk(buffer, &len, "bKGD", "\0\0", 2);
			test_png_chunk(buffer, &len, wrong[i].type, wrong[i].data, wrong[i].len);
		}
		test_png_chunk(buffer, &len, "IEND", NULL, 0);
		if (test_refusal(buffer, len, &test_limits, message) != PHOTO_MALFORMED)
			fail_msg("a PNG with %s not refused", wrong[i].type);
	}
	len = test_png_start(buffer, 1, 1);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	assert_int_equal(test_refusal(buffer, len, &test_limits, message), PHOTO_MALFORMED);
	/* A colour type and depth PNG does not define (grey at 3 bits). */
	len = test_png_start(buffer, 1, 1);
	buffer[8 + 8 + 8] = 3;
	test_put_be32(buffer + 8 + 8 + 13, test_crc32(buffer + 12, 17));
	test_png_chunk(buffer, &len, "IDAT", idat, 10);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	assert_int_equal(test_refusal(buffer, len, &test_limits, message), PHOTO_MALFORMED);
	/* The control: the same file with the right depth is accepted. */
	buffer[8 + 8 + 8] = 8;
	test_put_be32(buffer + 8 + 8 + 13, test_crc32(buffer + 12, 17));
	assert_int_equal(test_refusal(buffer, len, &test_limits, message), PHOTO_OK);
}

static void test_a_png_with_its_palette_after_the_data_is_refused(void **state)
{
	(void)state;
	uint8_t buffer[256];
	size_t len = test_png_start(buffer, 1, 1);
	buffer[8 + 8 + 9] = 3; /* palette colour type: needs a PLTE */
	test_put_be32(buffer + 8 + 8 + 13, test_crc32(buffer + 12, 17));
	test_png_chunk(buffer, &len, "IDAT", "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);
	size_t before_palette = len;
	test_png_chunk(buffer, &len, "PLTE", "\0\0\0", 3);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	char message[PHOTO_MESSAGE_SIZE];
	assert_int_equal(test_refusal(buffer, len, &test_limits, message), PHOTO_MALFORMED);
	len = before_palette; /* and without one at all */
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	assert_int_equal(test_refusal(buffer, len, &test_limits, message), PHOTO_MALFORMED);
}

static void test_a_bomb_is_refused_from_its_header(void **state)
{
	(void)state;
	char message[PHOTO_MESSAGE_SIZE];
	/* PNG: the header, then nothing: refused for its size, not for being truncated. */
	uint8_t png[64];
	size_t png_len = test_png_start(png, 60000, 60000);
	assert_int_equal(test_refusal(png, png_len, &test_limits, message), PHOTO_TOO_LARGE);
	assert_non_null(strstr(message, "60000 x 60000 pixels"));
	/* JPEG: SOI, SOF0 of 60000 x 60000, nothing else. */
	static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xea, 0x60, 0xea, 0x60, 1, 1, 0x11, 0};
	assert_int_equal(test_refusal(jpeg, sizeof(jpeg), &test_limits, message), PHOTO_TOO_LARGE);
	/* WebP: a VP8X canvas of 60000 x 60000 and no picture. */
	uint8_t webp[30] = "RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0";
	webp[24] = 0x5f, webp[25] = 0xea, webp[27] = 0x5f, webp[28] = 0xea; /* 59999 */
	assert_int_equal(test_refusal(webp, sizeof(webp), &test_limits, message), PHOTO_TOO_LARGE);
	/* Each cap on its own: a fixture (64 x 48) under tighter limits. */
	struct test_bytes in = test_read_fixture("webp_lossless_exif.webp");
	struct photo_limits limits = test_limits;
	limits.width_max = 63;
	assert_int_equal(test_refusal(in.data, in.len, &limits, message), PHOTO_TOO_LARGE);
	limits = test_limits, limits.height_max = 47;
	assert_int_equal(test_refusal(in.data, in.len, &limits, message), PHOTO_TOO_LARGE);
	limits = test_limits, limits.pixels_max = 64 * 48 - 1;
	assert_int_equal(test_refusal(in.data, in.len, &limits, message), PHOTO_TOO_LARGE);
	limits.pixels_max = 64 * 48;
	assert_int_equal(test_refusal(in.data, in.len, &limits, message), PHOTO_OK);
	limits = test_limits, limits.bytes_max = in.len - 1;
	assert_int_equal(test_refusal(in.data, in.len, &limits, message), PHOTO_TOO_LARGE);
	assert_non_null(strstr(message, "KB"));
	free(in.data);
}

static void test_other_formats_are_refused_whatever_their_name(void **state)
{
	(void)state;
	static const char *const others[] = {
		"GIF89a\x01\x00\x01\x00\x00\x00\x00;<html><script>alert(1)</script></html>",
		"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
		"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
		"#!/bin/sh\nrm -rf /\n",
		"<?php system($_GET['c']); ?>",
		"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0(\0\0\0",
		"\0\0\0\030ftypheic\0\0\0\0mif1heic",
		"RIFF\x24\0\0\0WAVEfmt ",
		"\xff\xd8",
		"",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		size_t len = i == 7 ? 24 : strlen(others[i]); /* the HEIC box holds NUL bytes */
		char message[PHOTO_MESSAGE_SIZE];
		assert_int_equal(test_refusal((const uint8_t *)others[i], len, &test_limits, message), PHOTO_UNSUPPORTED);
		assert_string_equal(message, "Only JPEG, PNG and WebP photos are accepted.");
	}
}

static void test_animations_are_refused(void **state)
{
	(void)state;
	char message[PHOTO_MESSAGE_SIZE];
	uint8_t png[256];
	size_t len = test_png_start(png, 1, 1);
	test_png_chunk(png, &len, "acTL", "\0\0\0\x02\0\0\0\0", 8);
	test_png_chunk(png, &len, "IDAT", "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);
	test_png_chunk(png, &len, "IEND", NULL, 0);
	assert_int_equal(test_refusal(png, len, &test_limits, message), PHOTO_UNSUPPORTED);
	assert_non_null(strstr(message, "Animated"));

	struct test_bytes webp = test_read_fixture("webp_exif_xmp.webp");
	webp.data[20] |= 0x02;
	assert_int_equal(test_refusal(webp.data, webp.len, &test_limits, message), PHOTO_UNSUPPORTED);
	assert_non_null(strstr(message, "Animated"));
	free(webp.data);
}

static void test_a_crafted_png_comes_out_without_its_text(void **state)
{
	(void)state;
	uint8_t buffer[512];
	size_t len = test_png_start(buffer, 1, 1);
	test_png_chunk(buffer, &len, "tEXt", "Comment\0GPS 50.8466 4.3528", 26);
	test_png_chunk(buffer, &len, "zTXt", "Location\0\0\x78\x9c\x03\x00\x00\x00\x00\x01", 16);
	test_png_chunk(buffer, &len, "prVt", "GPS private chunk", 17); /* unknown, ancillary */
	test_png_chunk(buffer, &len, "IDAT", "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);
	test_png_chunk(buffer, &len, "tEXt", "Comment\0GPS after the data", 27);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	struct photo out;
	assert_int_equal(test_clean(buffer, len, &out), PHOTO_OK);
	assert_int_equal(out.len, 8 + 25 + 22 + 12);
	assert_false(test_contains(out.data, out.len, "GPS"));
	assert_int_equal(out.orientation, 1);
	photo_free(&out);
}

static void test_an_exif_without_orientation_or_with_bad_offsets_means_upright(void **state)
{
	(void)state;
	/* Little-endian Exif whose IFD0 offset points past its end: ignored, not read. */
	uint8_t buffer[256];
	size_t len = test_png_start(buffer, 1, 1);
	test_png_chunk(buffer, &len, "eXIf", "II*\0\xf0\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0", 20);
	test_png_chunk(buffer, &len, "IDAT", "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	struct photo out;
	assert_int_equal(test_clean(buffer, len, &out), PHOTO_OK);
	assert_int_equal(out.orientation, 1);
	assert_int_equal(test_png_find(out.data, out.len, "eXIf"), 0);
	photo_free(&out);
	/* The same, offset right (8): orientation 6 read in little-endian, written back. */
	len = test_png_start(buffer, 1, 1);
	test_png_chunk(buffer, &len, "eXIf", "II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0", 26);
	test_png_chunk(buffer, &len, "IDAT", "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10);
	test_png_chunk(buffer, &len, "IEND", NULL, 0);
	assert_int_equal(test_clean(buffer, len, &out), PHOTO_OK);
	assert_int_equal(out.orientation, 6);
	assert_true(test_png_find(out.data, out.len, "eXIf") != 0);
	assert_false(test_contains(out.data, out.len, "II*"));
	photo_free(&out);
}

static void test_a_message_never_repeats_the_file(void **state)
{
	(void)state;
	static const char evil[] = "\xff\xd8\xff\xfe\xff\xff<script>alert(1)</script>";
	char message[PHOTO_MESSAGE_SIZE];
	assert_int_equal(test_refusal((const uint8_t *)evil, sizeof(evil) - 1, &test_limits, message), PHOTO_MALFORMED);
	assert_null(strstr(message, "script"));
	/* A small message buffer is cut, never overrun. */
	char small[8];
	memset(small, 'x', sizeof(small));
	struct photo out;
	assert_int_equal(photo_clean((const uint8_t *)"GIF89a", 6, &test_limits, &out, small, 5), PHOTO_UNSUPPORTED);
	assert_string_equal(small, "Only");
	assert_int_equal(small[5], 'x');
	photo_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_lose_every_private_word),
		cmocka_unit_test(test_jpeg_keeps_the_picture_and_drops_exif_xmp_iptc_and_comments),
		cmocka_unit_test(test_rotated_jpeg_keeps_its_orientation_after_jfif),
		cmocka_unit_test(test_png_drops_exif_and_text_chunks_and_keeps_orientation_with_a_good_crc),
		cmocka_unit_test(test_webp_drops_exif_and_xmp_and_fixes_flags_and_size),
		cmocka_unit_test(test_cleaning_twice_changes_nothing),
		cmocka_unit_test(test_a_polyglot_tail_is_dropped),
		cmocka_unit_test(test_jpeg_segments_between_scans_are_dropped_too),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_broken_lengths_and_checksums_are_refused),
		cmocka_unit_test(test_a_png_breaking_the_chunk_rules_is_refused),
		cmocka_unit_test(test_a_png_with_its_palette_after_the_data_is_refused),
		cmocka_unit_test(test_a_bomb_is_refused_from_its_header),
		cmocka_unit_test(test_other_formats_are_refused_whatever_their_name),
		cmocka_unit_test(test_animations_are_refused),
		cmocka_unit_test(test_a_crafted_png_comes_out_without_its_text),
		cmocka_unit_test(test_an_exif_without_orientation_or_with_bad_offsets_means_upright),
		cmocka_unit_test(test_a_message_never_repeats_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
