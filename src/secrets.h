/*
 * secrets.h: the 0600 file of passwords and keys that the configuration names.
 *
 * Secrets never live in complaintd.conf (which operators paste into tickets) nor in logs. The
 * master reads them at start and on SIGHUP from a file only its owner may read; a file readable
 * by group or others is refused, naming the file and its mode but never a value.
 */
#ifndef SECRETS_H
#define SECRETS_H

#include <stddef.h>

#define SECRETS_MAX 32

struct secrets {
	char *text;                   /* the file's bytes; names and values point into it */
	size_t text_size;
	size_t count;
	const char *names[SECRETS_MAX];
	const char *values[SECRETS_MAX];
};

/* Reads path: "NAME=VALUE" lines, '#' comments, names [a-z0-9_]. On failure out is untouched
 * and error says "PATH:LINE: reason" or "PATH: reason". */
int secrets_load(struct secrets *out, const char *path, char *error, size_t error_size);
/* The value of name, or NULL. */
const char *secrets_get(const struct secrets *secrets, const char *name);
/* Wipes name's value and removes it: a process keeps only the secrets it needs. */
void secrets_forget(struct secrets *secrets, const char *name);
/* Wipes the bytes and frees them. Safe on a zeroed struct. */
void secrets_free(struct secrets *secrets);

#endif
