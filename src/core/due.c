/*
 * due.c: a category's target time to resolve, parsed and written back, and the due date it gives
 * a complaint in the city's time zone (see due.h).
 */
#include "core/due.h"

#include <stdio.h>
#include <string.h>

static const struct {
	char suffix;
	enum due_unit unit;
	unsigned min, max;
	const char *range;
} due_units[] = {
	{'d', DUE_DAYS, DUE_DAYS_MIN, DUE_DAYS_MAX, "Please give a target between 1d and 365d."},
	{'h', DUE_HOURS, DUE_HOURS_MIN, DUE_HOURS_MAX, "Please give a target between 24h and 8760h (365 days)."},
};

const char *due_target_parse(const char *text, struct due_target *out)
{
	static const char shape[] = "Please write the target as a number of days or hours, such as 3d or 48h.";
	unsigned long amount = 0;
	size_t digits = 0;
	if (text == NULL)
		return shape;
	while (*text == ' ')
		text++;
	while (text[digits] >= '0' && text[digits] <= '9' && digits < 6)
		amount = amount * 10 + (unsigned long)(text[digits++] - '0');
	if (digits == 0 || text[digits] == '\0')
		return shape;
	const char *rest = text + digits + 1;
	while (*rest == ' ')
		rest++;
	if (*rest != '\0')
		return shape;
	for (size_t i = 0; i < sizeof(due_units) / sizeof(due_units[0]); i++) {
		if (text[digits] != due_units[i].suffix)
			continue;
		if (amount < due_units[i].min || amount > due_units[i].max)
			return due_units[i].range;
		out->unit = due_units[i].unit;
		out->amount = (unsigned)amount;
		return NULL;
	}
	return shape;
}

void due_target_format(const struct due_target *target, char *out, size_t size)
{
	snprintf(out, size, "%u%c", target->amount, target->unit == DUE_HOURS ? 'h' : 'd');
}

void due_target_stored(const struct due_target *target, unsigned *days, unsigned *hours)
{
	if (target->unit == DUE_HOURS) {
		*hours = target->amount;
		*days = (target->amount + 23) / 24;
	} else {
		*hours = 0;
		*days = target->amount;
	}
}

bool due_target_from_stored(long long days, long long hours, struct due_target *out)
{
	if (hours != 0) {
		out->unit = DUE_HOURS;
		out->amount = (unsigned)hours;
		return hours >= DUE_HOURS_MIN && hours <= DUE_HOURS_MAX;
	}
	out->unit = DUE_DAYS;
	out->amount = (unsigned)days;
	return days >= DUE_DAYS_MIN && days <= DUE_DAYS_MAX;
}

time_t due_at(time_t filed, const struct due_target *target)
{
	if (target->unit == DUE_HOURS)
		return filed + (time_t)target->amount * 3600;
	struct tm local;
	if (localtime_r(&filed, &local) == NULL)
		return (time_t)-1;
	local.tm_mday += (int)target->amount;
	local.tm_isdst = -1;  /* the due day's own offset, not the filing day's */
	return mktime(&local);
}

void due_utc_text(time_t t, int ms, char *out, size_t size)
{
	struct tm utc;
	char seconds[20] = "";
	if (gmtime_r(&t, &utc) != NULL)
		strftime(seconds, sizeof(seconds), "%Y-%m-%d %H:%M:%S", &utc);
	snprintf(out, size, "%s.%03d", seconds, ms);
}
