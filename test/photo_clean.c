/*
 * photo_clean.c: photo-clean, a test program that runs photo_clean over one file, so that
 * test/integration/photo_tools.sh can check its output with Debian's own image tools.
 *
 * Usage: photo-clean IN OUT. Writes the cleaned photo to OUT and "FORMAT WIDTH HEIGHT
 * ORIENTATION" to stdout; on refusal writes "STATUS: message" to stderr and exits 2 (1 for an
 * I/O error). The caps are the module's defaults unless PHOTO_BYTES_MAX, PHOTO_SIDE_MAX or
 * PHOTO_PIXELS_MAX say otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/photo.h"

static unsigned long long photo_clean_setting(const char *name, unsigned long long fallback)
{
	const char *text = getenv(name);
	if (text == NULL || *text == '\0')
		return fallback;
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0') {
		fprintf(stderr, "photo-clean: %s is not a number\n", name);
		exit(1);
	}
	return value;
}

int main(int argc, char **argv)
{
	int code = 1;
	FILE *file = NULL;
	uint8_t *bytes = NULL;
	struct photo photo = {0};
	if (argc != 3) {
		fprintf(stderr, "usage: photo-clean IN OUT\n");
		return 1;
	}
	struct photo_limits limits = {
		.bytes_max = (size_t)photo_clean_setting("PHOTO_BYTES_MAX", PHOTO_BYTES_MAX_DEFAULT),
		.width_max = (uint32_t)photo_clean_setting("PHOTO_SIDE_MAX", PHOTO_SIDE_MAX_DEFAULT),
		.height_max = (uint32_t)photo_clean_setting("PHOTO_SIDE_MAX", PHOTO_SIDE_MAX_DEFAULT),
		.pixels_max = photo_clean_setting("PHOTO_PIXELS_MAX", PHOTO_PIXELS_MAX_DEFAULT),
	};
	/* Reads up to one byte past the cap, so that a larger file is seen as larger. */
	size_t room = limits.bytes_max + 1, len = 0;
	if ((file = fopen(argv[1], "rb")) == NULL || (bytes = malloc(room)) == NULL) {
		fprintf(stderr, "photo-clean: %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	len = fread(bytes, 1, room, file);
	if (ferror(file)) {
		fprintf(stderr, "photo-clean: %s: read error\n", argv[1]);
		goto out;
	}
	fclose(file);
	file = NULL;
	char message[PHOTO_MESSAGE_SIZE];
	enum photo_status status = photo_clean(bytes, len, &limits, &photo, message, sizeof(message));
	if (status != PHOTO_OK) {
		fprintf(stderr, "%s: %s\n", photo_strerror(status), message);
		code = 2;
		goto out;
	}
	if ((file = fopen(argv[2], "wb")) == NULL || fwrite(photo.data, 1, photo.len, file) != photo.len ||
	    fclose(file) != 0) {
		file = NULL;
		fprintf(stderr, "photo-clean: %s: cannot write\n", argv[2]);
		goto out;
	}
	file = NULL;
	printf("%s %u %u %d\n", photo.extension, (unsigned)photo.width, (unsigned)photo.height, photo.orientation);
	code = 0;
out:
	if (file != NULL)
		fclose(file);
	free(bytes);
	photo_free(&photo);
	return code;
}
