/*
 * repl_stack.c: the stack the transport tests run against (see repl_stack.h).
 */
#include "repl_stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int repl_stack_open(char *dir, size_t dir_size, long *base, struct repl_client **client, char *why,
                    size_t why_size)
{
	const char *dir_text = getenv("REPL_TEST_STACK_DIR");
	const char *base_text = getenv("REPL_TEST_STACK_BASE");
	char *end = NULL;
	if ((dir != NULL && dir_text == NULL) || base_text == NULL) {
		snprintf(why, why_size, "%s not set: run test/integration/repl_transports.sh",
		         dir != NULL ? "REPL_TEST_STACK_DIR and REPL_TEST_STACK_BASE are" : "REPL_TEST_STACK_BASE is");
		return -1;
	}
	if (dir != NULL)
		snprintf(dir, dir_size, "%s", dir_text);
	*base = strtol(base_text, &end, 10);
	if (end == base_text || *end || *base <= 0) {
		snprintf(why, why_size, "REPL_TEST_STACK_BASE is %.64s", base_text);
		return -1;
	}
	if (repl_client_new(client, NULL) != REPL_OK) {
		snprintf(why, why_size, "repl_client_new failed");
		return -1;
	}
	return 0;
}

bool repl_stack_secret(const char *dir, const char *name, char *out, size_t size)
{
	char path[512], line[512];
	snprintf(path, sizeof path, "%s/secrets", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t name_len = strlen(name);
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		if (strncmp(line, name, name_len) != 0 || line[name_len] != '=')
			continue;
		line[strcspn(line, "\n")] = '\0';
		const char *value = line + name_len + 1;
		size_t value_len = strlen(value);
		if (value_len >= size)
			break;
		memcpy(out, value, value_len + 1);
		found = true;
	}
	fclose(f);
	return found;
}

const char *repl_stack_srcdir(void)
{
	const char *dir = getenv("srcdir");
	return dir && *dir ? dir : ".";
}
