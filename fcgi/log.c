/*
 * log.c: the event log on stderr (see log.h).
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_threshold = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

int log_level_parse(const char *text)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
		if (strcmp(text, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_write(enum log_level level, const char *format, ...)
{
	if (level < log_threshold)
		return;
	int saved_errno = errno;
	char line[1024];
	struct timespec now;
	struct tm utc;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	size_t len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &utc);
	int n = snprintf(line + len, sizeof(line) - len, ".%03ldZ %s %ld ", now.tv_nsec / 1000000L,
	                 log_level_names[level], (long)getpid());
	if (n > 0)
		len += (size_t)n;
	va_list args;
	va_start(args, format);
	n = vsnprintf(line + len, sizeof(line) - len, format, args);
	va_end(args);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1;
	/* One line per event: a message never spans lines, and a newline in it (from a peer's
	 * error text) must not forge a second log line. */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t ignored = write(STDERR_FILENO, line, len);
	(void)ignored;
	errno = saved_errno;
}
