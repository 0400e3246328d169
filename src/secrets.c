/*
 * secrets.c: reading the secrets file (see secrets.h).
 *
 * The file is opened without following symlinks and checked on the open descriptor (regular
 * file, owned by us or root, no group or other permission bits), so there is no window between
 * the check and the read. Its bytes are wiped before they are freed.
 */
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRETS_FILE_MAX 65536

static bool secrets_is_name(const char *name, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Splits text into lines and fills names/values in place; line numbers for errors. */
static int secrets_parse(struct secrets *secrets, const char *path, char *error, size_t error_size)
{
	char *line = secrets->text;
	unsigned number = 0;
	while (*line != '\0') {
		number++;
		char *end = strchr(line, '\n');
		char *next = end != NULL ? end + 1 : line + strlen(line);
		if (end != NULL)
			*end = '\0';
		size_t len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#') {
			line = next;
			continue;
		}
		char *equals = strchr(line, '=');
		if (equals == NULL || !secrets_is_name(line, (size_t)(equals - line))) {
			snprintf(error, error_size, "%s:%u: expected name=value with a name of a-z, 0-9 and _", path, number);
			return -1;
		}
		*equals = '\0';
		const char *value = equals + 1;
		for (const char *p = value; *p != '\0'; p++) {
			if ((unsigned char)*p < 32 || *p == 127) {
				snprintf(error, error_size, "%s:%u: %s: the value holds a control character", path, number, line);
				return -1;
			}
		}
		if (value[0] == '\0') {
			snprintf(error, error_size, "%s:%u: %s: the value is empty", path, number, line);
			return -1;
		}
		if (secrets_get(secrets, line) != NULL) {
			snprintf(error, error_size, "%s:%u: %s: given twice", path, number, line);
			return -1;
		}
		if (secrets->count == SECRETS_MAX) {
			snprintf(error, error_size, "%s:%u: more than %d secrets", path, number, SECRETS_MAX);
			return -1;
		}
		secrets->names[secrets->count] = line;
		secrets->values[secrets->count++] = value;
		line = next;
	}
	return 0;
}

int secrets_load(struct secrets *out, const char *path, char *error, size_t error_size)
{
	struct secrets fresh = {0};
	int result = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	struct stat st;

	if (fd < 0) {
		snprintf(error, error_size, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(error, error_size, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(error, error_size, "%s: readable by group or others (mode %04o): it must be 0600",
		         path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(error, error_size, "%s: owned by uid %ld, neither us nor root", path, (long)st.st_uid);
		goto out;
	}
	if (st.st_size > SECRETS_FILE_MAX) {
		snprintf(error, error_size, "%s: larger than %d bytes", path, SECRETS_FILE_MAX);
		goto out;
	}
	fresh.text_size = (size_t)st.st_size + 1;
	fresh.text = calloc(1, fresh.text_size);
	if (fresh.text == NULL) {
		snprintf(error, error_size, "%s: out of memory", path);
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, fresh.text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(error, error_size, "%s: read failed", path);
			goto out;
		}
		got += (size_t)n;
	}
	if (memchr(fresh.text, '\0', got) != NULL) {
		snprintf(error, error_size, "%s: holds a NUL byte", path);
		goto out;
	}
	if (secrets_parse(&fresh, path, error, error_size) != 0)
		goto out;
	secrets_free(out);
	*out = fresh;
	memset(&fresh, 0, sizeof(fresh));
	result = 0;
out:
	if (fd >= 0)
		close(fd);
	secrets_free(&fresh);
	return result;
}

const char *secrets_get(const struct secrets *secrets, const char *name)
{
	for (size_t i = 0; i < secrets->count; i++)
		if (strcmp(secrets->names[i], name) == 0)
			return secrets->values[i];
	return NULL;
}

void secrets_forget(struct secrets *secrets, const char *name)
{
	for (size_t i = 0; i < secrets->count; i++) {
		if (strcmp(secrets->names[i], name) != 0)
			continue;
		explicit_bzero((char *)secrets->values[i], strlen(secrets->values[i]));
		secrets->names[i] = secrets->names[secrets->count - 1];
		secrets->values[i] = secrets->values[secrets->count - 1];
		secrets->count--;
		return;
	}
}

void secrets_free(struct secrets *secrets)
{
	if (secrets->text != NULL) {
		explicit_bzero(secrets->text, secrets->text_size);
		free(secrets->text);
	}
	memset(secrets, 0, sizeof(*secrets));
}
