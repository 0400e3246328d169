/*
 * csv.c: CSV cells (see csv.h).
 */
#include "core/csv.h"

#include <string.h>

size_t csv_text_size(const char *text)
{
	return text == NULL ? 0 : 2 * strlen(text) + 3;
}

char *csv_text(char *out, const char *text)
{
	if (text == NULL)
		return out;
	*out++ = '"';
	if (text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL)
		*out++ = '\'';
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"')
			*out++ = '"';
		*out++ = *p;
	}
	*out++ = '"';
	return out;
}

char *csv_number(char *out, const char *number)
{
	size_t len = number != NULL ? strspn(number, "-0123456789.") : 0;
	memcpy(out, number != NULL ? number : "", len);
	return out + len;
}
