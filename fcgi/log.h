/*
 * log.h: one line per event on stderr: "TIME LEVEL PID message".
 *
 * Every process of the runtime (master, workers, extra children) logs through here, so an
 * operator can grep one stream. Messages never hold secrets or request bodies; callers pass
 * what happened and the id needed to find it. Lines are written with a single write(2), so lines
 * from concurrent processes do not interleave.
 */
#ifndef FCGI_LOG_H
#define FCGI_LOG_H

enum log_level { LOG_LEVEL_DEBUG = 0, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Lines below this level are dropped (default: info). */
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; -1 if unknown. */
int log_level_parse(const char *text);

void log_write(enum log_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
