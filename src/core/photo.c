/*
 * photo.c: the photo cleaner (see photo.h) — one strict walker per format over segments
 * (JPEG) or chunks (PNG, WebP), copying only what a decoder needs.
 *
 * Each walker runs twice over the same bytes: first with a counting writer, which validates
 * everything, reads the dimensions and the orientation and measures the output; then, the
 * output allocated once, with a writing one. The second run cannot meet an error the first did
 * not, and the minimal Exif block (which only the second run writes, the orientation being
 * known by then) fits in the slack PHOTO_EXIF_ROOM reserves. The writer never writes past its
 * capacity, whatever happens.
 */
#include "photo.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Exif TIFF block holding only Orientation: header, IFD0 with one SHORT entry, no next IFD. */
#define PHOTO_EXIF_TIFF_SIZE 26
/* The largest wrapper around it (a PNG chunk: length, type, CRC) and then some. */
#define PHOTO_EXIF_ROOM 64
#define PHOTO_EXIF_TAG_ORIENTATION 0x0112
#define PHOTO_EXIF_TYPE_SHORT 3

/* Where cleaned bytes go: data NULL only counts. */
struct photo_writer {
	uint8_t *data;
	size_t len;
	size_t capacity;
};

struct photo_job {
	const uint8_t *in;
	size_t len;
	const struct photo_limits *limits;
	const char *format_name;
	struct photo_writer writer;
	int emit_orientation; /* the orientation to write back: 1 (nothing) on the counting run */
	uint32_t width;
	uint32_t height;
	int orientation;
	char *message;
	size_t message_size;
};

typedef enum photo_status (*photo_rewrite_function)(struct photo_job *job);

static enum photo_status photo_jpeg_rewrite(struct photo_job *job);
static enum photo_status photo_png_rewrite(struct photo_job *job);
static enum photo_status photo_webp_rewrite(struct photo_job *job);

/* The formats, told apart by their first bytes; '?' in mask is a byte that may be anything. */
static const struct photo_kind {
	enum photo_format format;
	const char *name;
	const char *mime_type;
	const char *extension;
	const char *magic;
	const char *mask;
	photo_rewrite_function rewrite;
} photo_kinds[] = {
	{PHOTO_FORMAT_JPEG, "JPEG", "image/jpeg", "jpg", "\xff\xd8\xff", "xxx", photo_jpeg_rewrite},
	{PHOTO_FORMAT_PNG, "PNG", "image/png", "png", "\x89PNG\r\n\x1a\n", "xxxxxxxx", photo_png_rewrite},
	{PHOTO_FORMAT_WEBP, "WebP", "image/webp", "webp", "RIFF....WEBP", "xxxx????xxxx", photo_webp_rewrite},
};

const char *photo_strerror(enum photo_status status)
{
	static const char *const messages[] = {
		[PHOTO_OK] = "ok",
		[PHOTO_UNSUPPORTED] = "not a JPEG, PNG or WebP still photo",
		[PHOTO_TOO_LARGE] = "photo over the size or pixel limits",
		[PHOTO_MALFORMED] = "photo file damaged or incomplete",
		[PHOTO_NO_MEMORY] = "out of memory",
	};
	if ((size_t)status >= sizeof(messages) / sizeof(messages[0]) || messages[status] == NULL)
		return "unknown photo status";
	return messages[status];
}

void photo_free(struct photo *out)
{
	if (out == NULL)
		return;
	free(out->data);
	memset(out, 0, sizeof(*out));
}

__attribute__((format(printf, 3, 4))) static enum photo_status
photo_refuse(struct photo_job *job, enum photo_status status, const char *format, ...)
{
	if (job->message_size > 0) {
		va_list args;
		va_start(args, format);
		vsnprintf(job->message, job->message_size, format, args);
		va_end(args);
	}
	return status;
}

/* what says which rule the file broke, for the curious and for the log; the sentence is the
 * resident's. */
static enum photo_status photo_malformed(struct photo_job *job, const char *what)
{
	return photo_refuse(job, PHOTO_MALFORMED, "This photo file is damaged or incomplete (%s: %s).",
	                    job->format_name, what);
}

static enum photo_status photo_animated(struct photo_job *job)
{
	return photo_refuse(job, PHOTO_UNSUPPORTED,
	                    "Animated images are not accepted: please send a still photo.");
}

/* The caps on what a decoder will allocate, from the header's dimensions. */
static enum photo_status photo_check_dimensions(struct photo_job *job, uint32_t width, uint32_t height)
{
	const struct photo_limits *limits = job->limits;
	if (width == 0 || height == 0)
		return photo_malformed(job, "the picture has no width or height");
	if (width > limits->width_max || height > limits->height_max ||
	    (uint64_t)width * height > limits->pixels_max)
		return photo_refuse(job, PHOTO_TOO_LARGE,
		                    "This photo is %" PRIu32 " x %" PRIu32 " pixels: photos up to %" PRIu32
		                    " x %" PRIu32 " pixels and %.1f megapixels are accepted.",
		                    width, height, limits->width_max, limits->height_max,
		                    (double)limits->pixels_max / 1e6);
	job->width = width;
	job->height = height;
	return PHOTO_OK;
}

static void photo_put(struct photo_writer *writer, const void *bytes, size_t n)
{
	if (writer->data != NULL && writer->len <= writer->capacity && n <= writer->capacity - writer->len)
		memcpy(writer->data + writer->len, bytes, n);
	writer->len += n;
}

static void photo_put_byte(struct photo_writer *writer, uint8_t byte)
{
	photo_put(writer, &byte, 1);
}

static uint16_t photo_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t photo_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t photo_le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t photo_le24(const uint8_t *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t photo_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | photo_le24(p);
}

static void photo_store_be32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)(value >> 24), p[1] = (uint8_t)(value >> 16);
	p[2] = (uint8_t)(value >> 8), p[3] = (uint8_t)value;
}

static void photo_store_le32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)value, p[1] = (uint8_t)(value >> 8);
	p[2] = (uint8_t)(value >> 16), p[3] = (uint8_t)(value >> 24);
}

/* ---- Exif: the orientation in, a block with only the orientation out ---- */

/* The Orientation (1-8) of IFD0 in an Exif TIFF block, or 0 when there is none or the block
 * cannot be trusted: every offset is checked against len before it is read. */
static int photo_exif_orientation(const uint8_t *tiff, size_t len)
{
	if (len < 8)
		return 0;
	bool big_endian;
	if (tiff[0] == 'M' && tiff[1] == 'M')
		big_endian = true;
	else if (tiff[0] == 'I' && tiff[1] == 'I')
		big_endian = false;
	else
		return 0;
	uint16_t (*read16)(const uint8_t *) = big_endian ? photo_be16 : photo_le16;
	uint32_t (*read32)(const uint8_t *) = big_endian ? photo_be32 : photo_le32;
	if (read16(tiff + 2) != 42)
		return 0;
	uint32_t ifd = read32(tiff + 4);
	if (ifd < 8 || ifd > len || len - ifd < 2)
		return 0;
	size_t count = read16(tiff + ifd);
	size_t entries = (size_t)ifd + 2;
	if ((len - entries) / 12 < count)
		return 0;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *entry = tiff + entries + 12 * i;
		if (read16(entry) != PHOTO_EXIF_TAG_ORIENTATION)
			continue;
		if (read16(entry + 2) != PHOTO_EXIF_TYPE_SHORT || read32(entry + 4) != 1)
			return 0;
		uint16_t value = read16(entry + 8);
		return value >= 1 && value <= 8 ? value : 0;
	}
	return 0;
}

/* Notes the first Exif block's orientation; later blocks are ignored, as viewers do. */
static void photo_exif_read(struct photo_job *job, bool *seen, const uint8_t *tiff, size_t len)
{
	if (*seen)
		return;
	*seen = true;
	int orientation = photo_exif_orientation(tiff, len);
	job->orientation = orientation != 0 ? orientation : 1;
}

static void photo_exif_minimal(uint8_t tiff[PHOTO_EXIF_TIFF_SIZE], int orientation)
{
	static const uint8_t block[PHOTO_EXIF_TIFF_SIZE] = {
		'M', 'M', 0, 42, 0, 0, 0, 8,       /* big-endian TIFF, IFD0 at 8 */
		0, 1,                              /* one entry */
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, /* Orientation, SHORT, 1 value (set below) */
		0, 0, 0, 0,                        /* no next IFD */
	};
	memcpy(tiff, block, sizeof(block));
	tiff[19] = (uint8_t)orientation;
}

/* ---- JPEG ---- */

enum photo_jpeg_action {
	PHOTO_JPEG_REFUSE = 0, /* SOI again, RSTn outside a scan, DNL, DHP, EXP, JPGn, TEM, reserved */
	PHOTO_JPEG_KEEP,       /* tables: DHT, DAC, DQT, DRI */
	PHOTO_JPEG_FRAME,      /* SOF0-SOF15 but DHT, JPG and DAC */
	PHOTO_JPEG_SCAN,       /* SOS */
	PHOTO_JPEG_END,        /* EOI */
	PHOTO_JPEG_APPLICATION, /* APPn: kept only when photo_jpeg_kept_applications names it */
	PHOTO_JPEG_DROP,       /* COM */
};

static const struct photo_jpeg_marker {
	uint8_t first;
	uint8_t last;
	enum photo_jpeg_action action;
} photo_jpeg_markers[] = {
	{0xc0, 0xc3, PHOTO_JPEG_FRAME},       {0xc4, 0xc4, PHOTO_JPEG_KEEP},
	{0xc5, 0xc7, PHOTO_JPEG_FRAME},       {0xc9, 0xcb, PHOTO_JPEG_FRAME},
	{0xcc, 0xcc, PHOTO_JPEG_KEEP},        {0xcd, 0xcf, PHOTO_JPEG_FRAME},
	{0xd9, 0xd9, PHOTO_JPEG_END},         {0xda, 0xda, PHOTO_JPEG_SCAN},
	{0xdb, 0xdb, PHOTO_JPEG_KEEP},        {0xdd, 0xdd, PHOTO_JPEG_KEEP},
	{0xe0, 0xef, PHOTO_JPEG_APPLICATION}, {0xfe, 0xfe, PHOTO_JPEG_DROP},
};

enum photo_jpeg_application {
	PHOTO_JPEG_APP_JFIF, /* kept, thumbnail removed */
	PHOTO_JPEG_APP_KEEP, /* kept as is */
	PHOTO_JPEG_APP_EXIF, /* read for the orientation, dropped */
};

/* The APPn segments read or kept; any other is dropped (APP1 XMP, APP13 IPTC, JFXX, MPF...). */
static const struct photo_jpeg_application_kind {
	uint8_t marker;
	const char *signature;
	size_t signature_len;
	enum photo_jpeg_application kind;
} photo_jpeg_applications[] = {
	{0xe0, "JFIF\0", 5, PHOTO_JPEG_APP_JFIF},
	{0xe1, "Exif\0\0", 6, PHOTO_JPEG_APP_EXIF},
	{0xe2, "ICC_PROFILE\0", 12, PHOTO_JPEG_APP_KEEP},
	{0xee, "Adobe", 5, PHOTO_JPEG_APP_KEEP},
};

/* JFIF's fixed part: "JFIF\0", version, units, densities, thumbnail width and height. */
#define PHOTO_JFIF_SIZE 14
#define PHOTO_JPEG_COMPONENTS_MAX 4

static enum photo_jpeg_action photo_jpeg_action_of(uint8_t marker)
{
	for (size_t i = 0; i < sizeof(photo_jpeg_markers) / sizeof(photo_jpeg_markers[0]); i++)
		if (marker >= photo_jpeg_markers[i].first && marker <= photo_jpeg_markers[i].last)
			return photo_jpeg_markers[i].action;
	return PHOTO_JPEG_REFUSE;
}

static const struct photo_jpeg_application_kind *photo_jpeg_application_of(uint8_t marker, const uint8_t *body,
                                                                           size_t len)
{
	for (size_t i = 0; i < sizeof(photo_jpeg_applications) / sizeof(photo_jpeg_applications[0]); i++) {
		const struct photo_jpeg_application_kind *kind = &photo_jpeg_applications[i];
		if (kind->marker == marker && len >= kind->signature_len &&
		    memcmp(body, kind->signature, kind->signature_len) == 0)
			return kind;
	}
	return NULL;
}

static void photo_jpeg_put_segment(struct photo_writer *writer, uint8_t marker, const uint8_t *body, size_t len)
{
	uint8_t head[4] = {0xff, marker, (uint8_t)((len + 2) >> 8), (uint8_t)(len + 2)};
	photo_put(writer, head, sizeof(head));
	photo_put(writer, body, len);
}

/* The Exif APP1 with only the orientation, once, before the first segment that is not JFIF. */
static void photo_jpeg_put_orientation(struct photo_job *job, bool *written)
{
	if (*written || job->emit_orientation == 1)
		return;
	*written = true;
	uint8_t body[6 + PHOTO_EXIF_TIFF_SIZE] = "Exif\0";
	photo_exif_minimal(body + 6, job->emit_orientation);
	photo_jpeg_put_segment(&job->writer, 0xe1, body, sizeof(body));
}

/* SOFn: precision, height, width, then 1-4 components (id, sampling factors 1-4, table 0-3). */
static enum photo_status photo_jpeg_frame(struct photo_job *job, const uint8_t *body, size_t len)
{
	if (len < 6)
		return photo_malformed(job, "the frame header is too short");
	size_t components = body[5];
	if (components < 1 || components > PHOTO_JPEG_COMPONENTS_MAX || len != 6 + 3 * components)
		return photo_malformed(job, "the frame header has a wrong number of components");
	if (body[0] < 2 || body[0] > 16)
		return photo_malformed(job, "the frame header has a wrong sample precision");
	for (size_t i = 0; i < components; i++) {
		const uint8_t *component = body + 6 + 3 * i;
		unsigned horizontal = component[1] >> 4, vertical = component[1] & 15u;
		if (horizontal < 1 || horizontal > 4 || vertical < 1 || vertical > 4 || component[2] > 3)
			return photo_malformed(job, "the frame header has a wrong component");
	}
	if (photo_be16(body + 1) == 0)
		return photo_malformed(job, "the height is only given after the picture (DNL)");
	return photo_check_dimensions(job, photo_be16(body + 3), photo_be16(body + 1));
}

/* The entropy-coded data after an SOS header at *pos: up to the next marker that is neither a
 * stuffed 00 nor a restart marker, fill bytes 0xFF before it not included. */
static enum photo_status photo_jpeg_entropy(struct photo_job *job, size_t *pos)
{
	const uint8_t *in = job->in;
	size_t start = *pos, at = *pos;
	for (;;) {
		const uint8_t *ff = at < job->len ? memchr(in + at, 0xff, job->len - at) : NULL;
		if (ff == NULL)
			return photo_malformed(job, "the file ends inside the picture data");
		size_t marker = (size_t)(ff - in), next = marker + 1;
		while (next < job->len && in[next] == 0xff)
			next++;
		if (next >= job->len)
			return photo_malformed(job, "the file ends inside the picture data");
		if (in[next] == 0x00 || (in[next] >= 0xd0 && in[next] <= 0xd7)) {
			at = next + 1;
			continue;
		}
		photo_put(&job->writer, in + start, marker - start);
		*pos = marker;
		return PHOTO_OK;
	}
}

static enum photo_status photo_jpeg_rewrite(struct photo_job *job)
{
	const uint8_t *in = job->in;
	size_t len = job->len, pos = 2;
	bool have_frame = false, exif_seen = false, orientation_written = false;
	int scans = 0;
	photo_put(&job->writer, in, 2);
	for (;;) {
		if (pos >= len || in[pos] != 0xff)
			return photo_malformed(job, pos >= len ? "the file ends before the end of image marker"
			                                       : "a segment does not start with a marker");
		while (pos < len && in[pos] == 0xff)
			pos++;
		if (pos >= len)
			return photo_malformed(job, "the file ends inside a marker");
		uint8_t marker = in[pos++];
		enum photo_jpeg_action action = photo_jpeg_action_of(marker);
		if (action == PHOTO_JPEG_REFUSE)
			return photo_malformed(job, "a marker that has no place in a photo");
		if (action == PHOTO_JPEG_END) {
			if (scans == 0)
				return photo_malformed(job, "the file ends before any picture data");
			photo_jpeg_put_orientation(job, &orientation_written);
			photo_put(&job->writer, (const uint8_t[]){0xff, 0xd9}, 2);
			return PHOTO_OK; /* anything after EOI is dropped */
		}
		if (len - pos < 2)
			return photo_malformed(job, "the file ends inside a segment length");
		size_t segment_len = photo_be16(in + pos);
		if (segment_len < 2)
			return photo_malformed(job, "a segment has a length below 2");
		if (segment_len > len - pos)
			return photo_malformed(job, "a segment runs past the end of the file");
		const uint8_t *body = in + pos + 2;
		size_t body_len = segment_len - 2;
		pos += segment_len;

		enum photo_status status;
		const struct photo_jpeg_application_kind *application;
		switch (action) {
		case PHOTO_JPEG_APPLICATION:
			application = photo_jpeg_application_of(marker, body, body_len);
			if (application == NULL)
				break;
			if (application->kind == PHOTO_JPEG_APP_EXIF) {
				photo_exif_read(job, &exif_seen, body + 6, body_len - 6);
			} else if (application->kind == PHOTO_JPEG_APP_JFIF) {
				if (body_len < PHOTO_JFIF_SIZE)
					break; /* not a JFIF header a decoder could use */
				uint8_t jfif[PHOTO_JFIF_SIZE];
				memcpy(jfif, body, PHOTO_JFIF_SIZE - 2);
				jfif[PHOTO_JFIF_SIZE - 2] = 0, jfif[PHOTO_JFIF_SIZE - 1] = 0;
				photo_jpeg_put_segment(&job->writer, marker, jfif, sizeof(jfif));
			} else {
				photo_jpeg_put_orientation(job, &orientation_written);
				photo_jpeg_put_segment(&job->writer, marker, body, body_len);
			}
			break;
		case PHOTO_JPEG_FRAME:
			if (have_frame)
				return photo_malformed(job, "the file holds a second frame");
			if ((status = photo_jpeg_frame(job, body, body_len)) != PHOTO_OK)
				return status;
			have_frame = true;
			photo_jpeg_put_orientation(job, &orientation_written);
			photo_jpeg_put_segment(&job->writer, marker, body, body_len);
			break;
		case PHOTO_JPEG_KEEP:
			photo_jpeg_put_orientation(job, &orientation_written);
			photo_jpeg_put_segment(&job->writer, marker, body, body_len);
			break;
		case PHOTO_JPEG_SCAN:
			if (!have_frame)
				return photo_malformed(job, "picture data comes before the frame header");
			if (body_len < 1 || body[0] < 1 || body[0] > PHOTO_JPEG_COMPONENTS_MAX ||
			    body_len != 4 + 2 * (size_t)body[0])
				return photo_malformed(job, "a scan header has a wrong length");
			if (++scans > PHOTO_JPEG_SCANS_MAX)
				return photo_refuse(job, PHOTO_UNSUPPORTED,
				                    "This JPEG is made of more than %d scans, which is not accepted.",
				                    PHOTO_JPEG_SCANS_MAX);
			photo_jpeg_put_orientation(job, &orientation_written);
			photo_jpeg_put_segment(&job->writer, marker, body, body_len);
			if ((status = photo_jpeg_entropy(job, &pos)) != PHOTO_OK)
				return status;
			break;
		default: /* COM */
			break;
		}
	}
}

/* ---- PNG ---- */

enum photo_png_action {
	PHOTO_PNG_DROP = 0, /* any ancillary chunk not named: tEXt, zTXt, iTXt, tIME, sPLT... */
	PHOTO_PNG_HEADER,   /* IHDR */
	PHOTO_PNG_PALETTE,  /* PLTE */
	PHOTO_PNG_DATA,     /* IDAT */
	PHOTO_PNG_END,      /* IEND */
	PHOTO_PNG_KEEP,     /* ancillary chunks a decoder uses for colours, transparency, size */
	PHOTO_PNG_EXIF,     /* eXIf: read for the orientation, dropped */
	PHOTO_PNG_ANIMATION, /* APNG: refused */
};

static const struct photo_png_chunk {
	char type[5];
	enum photo_png_action action;
} photo_png_chunks[] = {
	{"IHDR", PHOTO_PNG_HEADER}, {"PLTE", PHOTO_PNG_PALETTE}, {"IDAT", PHOTO_PNG_DATA},
	{"IEND", PHOTO_PNG_END},    {"tRNS", PHOTO_PNG_KEEP},    {"gAMA", PHOTO_PNG_KEEP},
	{"cHRM", PHOTO_PNG_KEEP},   {"sRGB", PHOTO_PNG_KEEP},    {"iCCP", PHOTO_PNG_KEEP},
	{"sBIT", PHOTO_PNG_KEEP},   {"pHYs", PHOTO_PNG_KEEP},    {"bKGD", PHOTO_PNG_KEEP},
	{"eXIf", PHOTO_PNG_EXIF},   {"acTL", PHOTO_PNG_ANIMATION}, {"fcTL", PHOTO_PNG_ANIMATION},
	{"fdAT", PHOTO_PNG_ANIMATION},
};

#define PHOTO_PNG_SIGNATURE_SIZE 8
#define PHOTO_PNG_HEADER_SIZE 13
#define PHOTO_PNG_LENGTH_MAX 0x7fffffffu
#define PHOTO_PNG_COLOUR_PALETTE 3

/* The bit depths each colour type allows, as a bit set (PNG specification, table 11.1). */
static const unsigned photo_png_depths[7] = {
	[0] = 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8 | 1u << 16,
	[2] = 1u << 8 | 1u << 16,
	[3] = 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8,
	[4] = 1u << 8 | 1u << 16,
	[6] = 1u << 8 | 1u << 16,
};

struct photo_png_crc {
	uint32_t table[256];
};

static void photo_png_crc_init(struct photo_png_crc *crc)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc->table[n] = c;
	}
}

/* CRC-32 of type and data, as the chunk's CRC field holds it. */
static uint32_t photo_png_crc_of(const struct photo_png_crc *crc, const uint8_t *bytes, size_t len)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++)
		c = crc->table[(c ^ bytes[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static enum photo_png_action photo_png_action_of(const uint8_t *type)
{
	for (size_t i = 0; i < sizeof(photo_png_chunks) / sizeof(photo_png_chunks[0]); i++)
		if (memcmp(type, photo_png_chunks[i].type, 4) == 0)
			return photo_png_chunks[i].action;
	return PHOTO_PNG_DROP;
}

static bool photo_png_type_valid(const uint8_t *type)
{
	for (int i = 0; i < 4; i++)
		if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z')))
			return false;
	return true;
}

static enum photo_status photo_png_header(struct photo_job *job, const uint8_t *data, size_t len,
                                          uint8_t *colour_type)
{
	if (len != PHOTO_PNG_HEADER_SIZE)
		return photo_malformed(job, "the header chunk has a wrong length");
	uint32_t width = photo_be32(data), height = photo_be32(data + 4);
	uint8_t depth = data[8], colour = data[9];
	if (width > PHOTO_PNG_LENGTH_MAX || height > PHOTO_PNG_LENGTH_MAX)
		return photo_malformed(job, "the header gives an impossible size");
	if (colour >= sizeof(photo_png_depths) / sizeof(photo_png_depths[0]) || depth > 16 ||
	    !(photo_png_depths[colour] & (1u << depth)))
		return photo_malformed(job, "the header gives a wrong colour type or bit depth");
	if (data[10] != 0 || data[11] != 0 || data[12] > 1)
		return photo_malformed(job, "the header gives an unknown compression, filter or interlace");
	*colour_type = colour;
	return photo_check_dimensions(job, width, height);
}

static void photo_png_put_orientation(struct photo_job *job, const struct photo_png_crc *crc)
{
	if (job->emit_orientation == 1)
		return;
	uint8_t chunk[4 + 4 + PHOTO_EXIF_TIFF_SIZE + 4];
	photo_store_be32(chunk, PHOTO_EXIF_TIFF_SIZE);
	memcpy(chunk + 4, "eXIf", 4);
	photo_exif_minimal(chunk + 8, job->emit_orientation);
	photo_store_be32(chunk + 8 + PHOTO_EXIF_TIFF_SIZE, photo_png_crc_of(crc, chunk + 4, 4 + PHOTO_EXIF_TIFF_SIZE));
	photo_put(&job->writer, chunk, sizeof(chunk));
}

static enum photo_status photo_png_rewrite(struct photo_job *job)
{
	const uint8_t *in = job->in;
	size_t len = job->len, pos = PHOTO_PNG_SIGNATURE_SIZE;
	struct photo_png_crc crc;
	photo_png_crc_init(&crc);
	bool have_palette = false, exif_seen = false;
	enum { BEFORE_DATA, IN_DATA, AFTER_DATA } data_state = BEFORE_DATA;
	uint8_t colour_type = 0;
	photo_put(&job->writer, in, PHOTO_PNG_SIGNATURE_SIZE);
	for (bool first = true;; first = false) {
		if (len - pos < 12)
			return photo_malformed(job, pos == len ? "the file ends before the end chunk"
			                                       : "the file ends inside a chunk");
		uint32_t data_len = photo_be32(in + pos);
		const uint8_t *type = in + pos + 4, *data = in + pos + 8;
		if (data_len > PHOTO_PNG_LENGTH_MAX || !photo_png_type_valid(type))
			return photo_malformed(job, "a chunk has a wrong length or name");
		if (data_len > len - pos - 12)
			return photo_malformed(job, "a chunk runs past the end of the file");
		if (photo_png_crc_of(&crc, type, 4 + (size_t)data_len) != photo_be32(data + data_len))
			return photo_malformed(job, "a chunk fails its CRC check");
		const uint8_t *chunk = in + pos;
		size_t chunk_len = 12 + (size_t)data_len;
		pos += chunk_len;

		enum photo_png_action action = photo_png_action_of(type);
		if (first != (action == PHOTO_PNG_HEADER))
			return photo_malformed(job, first ? "the header chunk is not first" : "a second header chunk");
		if (data_state == IN_DATA && action != PHOTO_PNG_DATA)
			data_state = AFTER_DATA;
		enum photo_status status;
		switch (action) {
		case PHOTO_PNG_HEADER:
			if ((status = photo_png_header(job, data, data_len, &colour_type)) != PHOTO_OK)
				return status;
			photo_put(&job->writer, chunk, chunk_len);
			break;
		case PHOTO_PNG_PALETTE:
			if (have_palette || data_state != BEFORE_DATA)
				return photo_malformed(job, "a palette after the picture data, or two");
			have_palette = true;
			photo_put(&job->writer, chunk, chunk_len);
			break;
		case PHOTO_PNG_DATA:
			if (data_state == AFTER_DATA)
				return photo_malformed(job, "the picture data is split by other chunks");
			if (data_state == BEFORE_DATA)
				photo_png_put_orientation(job, &crc);
			data_state = IN_DATA;
			photo_put(&job->writer, chunk, chunk_len);
			break;
		case PHOTO_PNG_END:
			if (data_len != 0 || data_state == BEFORE_DATA)
				return photo_malformed(job, "the end chunk is not empty, or there is no picture data");
			if (colour_type == PHOTO_PNG_COLOUR_PALETTE && !have_palette)
				return photo_malformed(job, "a palette image has no palette");
			photo_put(&job->writer, chunk, chunk_len);
			return PHOTO_OK; /* anything after IEND is dropped */
		case PHOTO_PNG_KEEP:
			photo_put(&job->writer, chunk, chunk_len);
			break;
		case PHOTO_PNG_EXIF:
			photo_exif_read(job, &exif_seen, data, data_len);
			break;
		case PHOTO_PNG_ANIMATION:
			return photo_animated(job);
		case PHOTO_PNG_DROP:
			/* Bit 5 of the first letter clear (upper case): critical, a decoder must stop. */
			if (!(type[0] & 0x20))
				return photo_malformed(job, "a chunk of an unknown kind that decoders must understand");
			break;
		}
	}
}

/* ---- WebP ---- */

enum photo_webp_action {
	PHOTO_WEBP_DROP = 0, /* unknown chunks */
	PHOTO_WEBP_LOSSY,    /* VP8 */
	PHOTO_WEBP_LOSSLESS, /* VP8L */
	PHOTO_WEBP_EXTENDED, /* VP8X: first only */
	PHOTO_WEBP_COLOUR,   /* ICCP */
	PHOTO_WEBP_ALPHA,    /* ALPH */
	PHOTO_WEBP_EXIF,     /* read for the orientation, dropped */
	PHOTO_WEBP_XMP,      /* dropped */
	PHOTO_WEBP_ANIMATION, /* ANIM, ANMF: refused */
};

static const struct photo_webp_chunk {
	char fourcc[5];
	enum photo_webp_action action;
} photo_webp_chunks[] = {
	{"VP8 ", PHOTO_WEBP_LOSSY}, {"VP8L", PHOTO_WEBP_LOSSLESS}, {"VP8X", PHOTO_WEBP_EXTENDED},
	{"ICCP", PHOTO_WEBP_COLOUR}, {"ALPH", PHOTO_WEBP_ALPHA},   {"EXIF", PHOTO_WEBP_EXIF},
	{"XMP ", PHOTO_WEBP_XMP},   {"ANIM", PHOTO_WEBP_ANIMATION}, {"ANMF", PHOTO_WEBP_ANIMATION},
};

#define PHOTO_WEBP_HEADER_SIZE 12
#define PHOTO_WEBP_EXTENDED_SIZE 10
#define PHOTO_WEBP_FLAG_ICC 0x20u
#define PHOTO_WEBP_FLAG_ALPHA 0x10u
#define PHOTO_WEBP_FLAG_EXIF 0x08u
#define PHOTO_WEBP_FLAG_ANIMATION 0x02u
#define PHOTO_WEBP_LOSSLESS_SIGNATURE 0x2f

static enum photo_webp_action photo_webp_action_of(const uint8_t *fourcc)
{
	for (size_t i = 0; i < sizeof(photo_webp_chunks) / sizeof(photo_webp_chunks[0]); i++)
		if (memcmp(fourcc, photo_webp_chunks[i].fourcc, 4) == 0)
			return photo_webp_chunks[i].action;
	return PHOTO_WEBP_DROP;
}

/* The picture size of a VP8 key frame (RFC 6386 section 9.1) or a VP8L header (WebP lossless
 * bitstream specification, section 3). */
static enum photo_status photo_webp_bitstream(struct photo_job *job, enum photo_webp_action action,
                                              const uint8_t *data, size_t len, uint32_t *width,
                                              uint32_t *height)
{
	if (action == PHOTO_WEBP_LOSSY) {
		if (len < 10)
			return photo_malformed(job, "the lossy picture header is too short");
		uint32_t tag = photo_le24(data);
		bool key_frame = !(tag & 1);
		uint32_t version = (tag >> 1) & 7, shown = (tag >> 4) & 1, partition = tag >> 5;
		if (!key_frame || version > 3 || !shown || partition > len - 10 ||
		    memcmp(data + 3, "\x9d\x01\x2a", 3) != 0)
			return photo_malformed(job, "the lossy picture header is wrong");
		*width = photo_le16(data + 6) & 0x3fffu;
		*height = photo_le16(data + 8) & 0x3fffu;
		return PHOTO_OK;
	}
	if (len < 5 || data[0] != PHOTO_WEBP_LOSSLESS_SIGNATURE || (photo_le32(data + 1) >> 29) != 0)
		return photo_malformed(job, "the lossless picture header is wrong");
	uint32_t bits = photo_le32(data + 1);
	*width = (bits & 0x3fffu) + 1;
	*height = ((bits >> 14) & 0x3fffu) + 1;
	return PHOTO_OK;
}

static void photo_webp_put_chunk(struct photo_writer *writer, const char *fourcc, const uint8_t *data, size_t len)
{
	uint8_t head[8];
	memcpy(head, fourcc, 4);
	photo_store_le32(head + 4, (uint32_t)len);
	photo_put(writer, head, sizeof(head));
	photo_put(writer, data, len);
	if (len & 1)
		photo_put_byte(writer, 0);
}

static enum photo_status photo_webp_rewrite(struct photo_job *job)
{
	const uint8_t *in = job->in;
	uint32_t riff_size = photo_le32(in + 4);
	if (riff_size < 4 + 8 || (riff_size & 1))
		return photo_malformed(job, "the RIFF size is wrong");
	if (riff_size > job->len - 8)
		return photo_malformed(job, "the file is shorter than its RIFF size");
	size_t end = 8 + (size_t)riff_size, pos = PHOTO_WEBP_HEADER_SIZE; /* after end: dropped */
	size_t start = job->writer.len;
	photo_put(&job->writer, "RIFF\0\0\0\0WEBP", PHOTO_WEBP_HEADER_SIZE);

	bool extended = false, have_picture = false, have_colour = false, exif_seen = false;
	uint8_t flags = 0;
	uint32_t canvas_width = 0, canvas_height = 0;
	size_t flags_at = 0;
	for (bool first = true; pos < end; first = false) {
		if (end - pos < 8)
			return photo_malformed(job, "the file ends inside a chunk header");
		const uint8_t *fourcc = in + pos;
		uint32_t data_len = photo_le32(in + pos + 4);
		if (data_len > end - pos - 8 || (data_len & 1u) > end - pos - 8 - data_len)
			return photo_malformed(job, "a chunk runs past the RIFF size");
		const uint8_t *data = in + pos + 8;
		pos += 8 + (size_t)data_len + (data_len & 1u);

		enum photo_webp_action action = photo_webp_action_of(fourcc);
		if (first && action != PHOTO_WEBP_LOSSY && action != PHOTO_WEBP_LOSSLESS &&
		    action != PHOTO_WEBP_EXTENDED)
			return photo_malformed(job, "the first chunk is not a picture or a VP8X header");
		if (!first && !extended)
			continue; /* a simple file is its one picture chunk: anything after it is dropped */
		enum photo_status status;
		uint32_t width = 0, height = 0;
		switch (action) {
		case PHOTO_WEBP_EXTENDED:
			if (!first)
				return photo_malformed(job, "a second VP8X header");
			if (data_len != PHOTO_WEBP_EXTENDED_SIZE)
				return photo_malformed(job, "the VP8X header has a wrong length");
			if (data[0] & PHOTO_WEBP_FLAG_ANIMATION)
				return photo_animated(job);
			extended = true;
			flags = data[0] & PHOTO_WEBP_FLAG_ALPHA;
			canvas_width = photo_le24(data + 4) + 1;
			canvas_height = photo_le24(data + 7) + 1;
			if ((status = photo_check_dimensions(job, canvas_width, canvas_height)) != PHOTO_OK)
				return status;
			flags_at = job->writer.len + 8;
			photo_webp_put_chunk(&job->writer, "VP8X", data, data_len);
			break;
		case PHOTO_WEBP_LOSSY:
		case PHOTO_WEBP_LOSSLESS:
			if (have_picture)
				return photo_malformed(job, "a second picture");
			if ((status = photo_webp_bitstream(job, action, data, data_len, &width, &height)) != PHOTO_OK)
				return status;
			if (extended && (width != canvas_width || height != canvas_height))
				return photo_malformed(job, "the picture and the canvas differ in size");
			if (!extended && (status = photo_check_dimensions(job, width, height)) != PHOTO_OK)
				return status;
			have_picture = true;
			photo_webp_put_chunk(&job->writer, (const char *)fourcc, data, data_len);
			break;
		case PHOTO_WEBP_COLOUR:
			if (have_colour || have_picture)
				continue; /* only the first profile, before the picture, counts */
			have_colour = true;
			flags |= PHOTO_WEBP_FLAG_ICC;
			photo_webp_put_chunk(&job->writer, "ICCP", data, data_len);
			break;
		case PHOTO_WEBP_ALPHA:
			if (!have_picture)
				photo_webp_put_chunk(&job->writer, "ALPH", data, data_len);
			break;
		case PHOTO_WEBP_EXIF:
			if (data_len >= 6 && memcmp(data, "Exif\0\0", 6) == 0)
				photo_exif_read(job, &exif_seen, data + 6, data_len - 6);
			else
				photo_exif_read(job, &exif_seen, data, data_len);
			break;
		case PHOTO_WEBP_ANIMATION:
			return photo_animated(job);
		case PHOTO_WEBP_XMP:
		case PHOTO_WEBP_DROP:
			break;
		}
	}
	if (!have_picture)
		return photo_malformed(job, "there is no picture");
	if (extended && job->emit_orientation != 1) {
		uint8_t tiff[PHOTO_EXIF_TIFF_SIZE];
		photo_exif_minimal(tiff, job->emit_orientation);
		photo_webp_put_chunk(&job->writer, "EXIF", tiff, sizeof(tiff));
		flags |= PHOTO_WEBP_FLAG_EXIF;
	}
	struct photo_writer *writer = &job->writer;
	if (writer->data != NULL && writer->len <= writer->capacity) {
		photo_store_le32(writer->data + start + 4, (uint32_t)(writer->len - start - 8));
		if (extended) {
			/* The flags, then 3 reserved bytes, which must be written as zeros. */
			writer->data[flags_at] = flags;
			memset(writer->data + flags_at + 1, 0, 3);
		}
	}
	return PHOTO_OK;
}

/* ---- the entry point ---- */

static const struct photo_kind *photo_kind_of(const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < sizeof(photo_kinds) / sizeof(photo_kinds[0]); i++) {
		const struct photo_kind *kind = &photo_kinds[i];
		size_t magic_len = strlen(kind->mask);
		if (len < magic_len)
			continue;
		size_t k = 0;
		while (k < magic_len && (kind->mask[k] == '?' || (uint8_t)kind->magic[k] == in[k]))
			k++;
		if (k == magic_len)
			return kind;
	}
	return NULL;
}

enum photo_status photo_clean(const uint8_t *in, size_t len, const struct photo_limits *limits,
                              struct photo *out, char *message, size_t message_size)
{
	struct photo_job job = {
		.in = in,
		.len = len,
		.limits = limits,
		.emit_orientation = 1,
		.orientation = 1,
		.message = message,
		.message_size = message_size,
	};
	memset(out, 0, sizeof(*out));
	if (message_size > 0)
		message[0] = '\0';
	enum photo_status status;
	if (len > limits->bytes_max) {
		/* In MB as people count them, but never "0.0 MB" for a small cap. */
		bool in_kb = limits->bytes_max < 1024 * 1024;
		double unit = in_kb ? 1024.0 : 1024.0 * 1024.0;
		status = photo_refuse(&job, PHOTO_TOO_LARGE, "This photo is %.1f %s: photos up to %.1f %s are accepted.",
		                      (double)len / unit, in_kb ? "KB" : "MB", (double)limits->bytes_max / unit,
		                      in_kb ? "KB" : "MB");
		goto out;
	}
	const struct photo_kind *kind = in != NULL ? photo_kind_of(in, len) : NULL;
	if (kind == NULL) {
		status = photo_refuse(&job, PHOTO_UNSUPPORTED, "Only JPEG, PNG and WebP photos are accepted.");
		goto out;
	}
	job.format_name = kind->name;

	/* Counting run: validates, measures, finds the size and the orientation. */
	if ((status = kind->rewrite(&job)) != PHOTO_OK)
		goto out;
	size_t capacity = job.writer.len + PHOTO_EXIF_ROOM;
	out->data = malloc(capacity);
	if (out->data == NULL) {
		status = photo_refuse(&job, PHOTO_NO_MEMORY, "The photo could not be processed: out of memory.");
		goto out;
	}
	/* Writing run. */
	job.writer = (struct photo_writer){.data = out->data, .len = 0, .capacity = capacity};
	job.emit_orientation = job.orientation;
	if ((status = kind->rewrite(&job)) != PHOTO_OK)
		goto out;
	if (job.writer.len > capacity) {
		status = photo_malformed(&job, "the cleaned photo outgrew its room");
		goto out;
	}
	out->len = job.writer.len;
	out->format = kind->format;
	out->mime_type = kind->mime_type;
	out->extension = kind->extension;
	out->width = job.width;
	out->height = job.height;
	out->orientation = job.orientation;
out:
	if (status != PHOTO_OK) {
		photo_free(out);
		if (message_size > 0)
			message[message_size - 1] = '\0';
	}
	return status;
}
