/*
 * due.h: a category's target time to resolve and the due date it gives a complaint, without I/O.
 * A target is written as the config writes durations, a whole number and a unit: "3d" (days:
 * the same wall-clock time that many days later in the city's zone, whatever a DST change in
 * between does to the hours) or "48h" (hours: that many elapsed hours). Between 1 day and 365
 * days (24h to 8760h): the admin queue's filing-date ranges rely on a due date being 1 to 365
 * days after filing (store/db_queue.c).
 */
#ifndef DUE_H
#define DUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum due_unit { DUE_DAYS = 0, DUE_HOURS };

struct due_target {
	enum due_unit unit;
	unsigned amount;
};

#define DUE_DAYS_MIN 1
#define DUE_DAYS_MAX 365
#define DUE_HOURS_MIN 24
#define DUE_HOURS_MAX (24 * 365)
#define DUE_TARGET_SIZE 8          /* "8760h" and its NUL, with room */
#define DUE_TIME_SIZE 24           /* "YYYY-MM-DD HH:MM:SS.mmm" */

/* Parses "3d" or "48h" (spaces around it allowed, nothing else). NULL when it is one, else the
 * sentence that says what is wrong with it. */
const char *due_target_parse(const char *text, struct due_target *out);

/* Writes the target back ("3d", "48h") into out (DUE_TARGET_SIZE bytes). */
void due_target_format(const struct due_target *target, char *out, size_t size);

/* The target as a category row stores it: target_days, and target_hours (0: none, the target is
 * in days). A days target stores its days; an hours target its hours and the days rounded up (what
 * readers that know only days see). */
void due_target_stored(const struct due_target *target, unsigned *days, unsigned *hours);
/* And back from the row; false when the row holds no valid target. */
bool due_target_from_stored(long long days, long long hours, struct due_target *out);

/* The due date of a complaint filed at `filed` (seconds since the epoch) under the target, in the
 * process's time zone (TZ: [server] time_zone). A days target keeps the filing's wall-clock time;
 * when that time does not exist on the due day (the hour a spring change skips) mktime moves it
 * forward by the gap. (time_t)-1 when the zone cannot say. */
time_t due_at(time_t filed, const struct due_target *target);

/* "YYYY-MM-DD HH:MM:SS.mmm" in UTC (the database's times) of t plus milliseconds ms. */
void due_utc_text(time_t t, int ms, char *out, size_t size);

#endif
