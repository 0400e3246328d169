/*
 * db_nearby.c: the statements of nearby complaints (see db_nearby.h), over db.c's core.
 *
 * A lookup reads idx_complaints_nearby (category_id, lat, lon) (migration 0015): the category is a
 * const table found by its code (or the complaint asked about by its id), so the complaints are a
 * range of the index on (category_id, lat) inside core/nearby.c's box, with lon checked from the
 * index entry and the 100 m circle too (index condition pushdown), the open statuses and the 30
 * days on the rows the box kept. doc/performance.md has the rows it examines on 20,000 seeded
 * complaints.
 */
#include "store/db_nearby.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "core/nearby.h"
#include "store/db_accounts.h"
#include "store/db_core.h"

#define DB_NEARBY_STRINGIFY(x) #x
#define DB_NEARBY_TEXT(x) DB_NEARBY_STRINGIFY(x)

/* Both lookups: the columns, then "FROM <the one complaint or category> JOIN complaints c", then
 * the same conditions. The distance is on core/nearby.c's local flat map, in plain arithmetic (a
 * POINT constant would print as binary in the plan the test reads). Parameters: the distance's four
 * (lat, metres per degree of lat, lon, of lon), the category or complaint, the box (lat min, max,
 * lon min, max), the distance's four again, the complaint left out, the limit. */
#define DB_NEARBY_DISTANCE \
	"SQRT(POW((c.lat - CAST(? AS DOUBLE)) * CAST(? AS DOUBLE), 2)" \
	" + POW((c.lon - CAST(? AS DOUBLE)) * CAST(? AS DOUBLE), 2))"
#define DB_NEARBY_COLUMNS \
	"SELECT c.id, k.name AS category, c.status, DATEDIFF(UTC_TIMESTAMP(3), c.created_at) AS age_days," \
	" " DB_NEARBY_DISTANCE " AS distance_m"
#define DB_NEARBY_WHERE \
	" WHERE c.lat BETWEEN CAST(? AS DECIMAL(9, 6)) AND CAST(? AS DECIMAL(9, 6))" \
	" AND c.lon BETWEEN CAST(? AS DECIMAL(10, 6)) AND CAST(? AS DECIMAL(10, 6))" \
	" AND c.status IN ('submitted', 'assigned', 'in_progress', 'resolved')" \
	" AND c.created_at >= UTC_TIMESTAMP(3) - INTERVAL " DB_NEARBY_TEXT(NEARBY_DAYS) " DAY" \
	" AND " DB_NEARBY_DISTANCE " <= " DB_NEARBY_TEXT(NEARBY_RADIUS_M) \
	" AND c.id <> ? ORDER BY distance_m, c.id LIMIT ?"

static const char db_nearby_by_code[] =
	DB_NEARBY_COLUMNS
	" FROM categories k JOIN complaints c USE INDEX (idx_complaints_nearby) ON c.category_id = k.id"
	" AND k.code = ?" DB_NEARBY_WHERE;

static const char db_nearby_by_complaint[] =
	DB_NEARBY_COLUMNS ", c.description, c.address, r.name AS reporter"
	" FROM complaints o JOIN categories k ON k.id = o.category_id"
	" JOIN complaints c USE INDEX (idx_complaints_nearby) ON c.category_id = o.category_id AND o.id = ?"
	" JOIN accounts r ON r.id = c.reporter_id" DB_NEARBY_WHERE;

/* The box's bounds as text with six decimals, rounded outwards, and the metres per degree. */
struct db_nearby_bounds {
	char lat_min[24], lat_max[24], lon_min[24], lon_max[24];
	char per_lat[24], per_lon[24];
};

static bool db_nearby_bounds(const char *lat, const char *lon, struct db_nearby_bounds *out)
{
	char *end_lat = NULL, *end_lon = NULL;
	double la = strtod(lat, &end_lat), lo = strtod(lon, &end_lon);
	if (end_lat == lat || *end_lat != '\0' || end_lon == lon || *end_lon != '\0')
		return false;
	struct nearby_box box;
	nearby_box(la, lo, NEARBY_RADIUS_M, &box);
	snprintf(out->lat_min, sizeof(out->lat_min), "%.6f", box.lat_min - 0.000001);
	snprintf(out->lat_max, sizeof(out->lat_max), "%.6f", box.lat_max + 0.000001);
	snprintf(out->lon_min, sizeof(out->lon_min), "%.6f", box.lon_min - 0.000001);
	snprintf(out->lon_max, sizeof(out->lon_max), "%.6f", box.lon_max + 0.000001);
	double per_lat, per_lon;
	nearby_metres_per_degree(la, &per_lat, &per_lon);
	snprintf(out->per_lat, sizeof(out->per_lat), "%.3f", per_lat);
	snprintf(out->per_lon, sizeof(out->per_lon), "%.3f", per_lon);
	return true;
}

/* The parameters of both lookups, in the statements' order (bounds: the box's text, kept by the
 * caller). */
#define DB_NEARBY_PARAMS 15
static void db_nearby_params(const char *lat, const char *lon, struct repl_sql_param first, int64_t exclude,
                             size_t max, const struct db_nearby_bounds *bounds,
                             struct repl_sql_param out[DB_NEARBY_PARAMS])
{
	const struct repl_sql_param params[DB_NEARBY_PARAMS] = {
		db_text(lat), db_text(bounds->per_lat), db_text(lon), db_text(bounds->per_lon), first,
		db_text(bounds->lat_min), db_text(bounds->lat_max), db_text(bounds->lon_min), db_text(bounds->lon_max),
		db_text(lat), db_text(bounds->per_lat), db_text(lon), db_text(bounds->per_lon),
		db_integer(exclude), db_integer((int64_t)max),
	};
	memcpy(out, params, sizeof(params));
}

static enum db_status db_nearby_run(struct db *db, struct arena *arena, const struct db_session *session,
                                    const char *sql, struct repl_sql_param first, int64_t exclude, const char *lat,
                                    const char *lon, bool full, struct db_nearby *out, size_t max, size_t *count)
{
	struct db_nearby_bounds bounds;
	*count = 0;
	if (!db_nearby_bounds(lat, lon, &bounds))
		return DB_NOT_FOUND;
	struct repl_sql_param params[DB_NEARBY_PARAMS];
	db_nearby_params(lat, lon, first, exclude, max, &bounds, params);
	const struct repl_sql_statement statement = {sql, params, DB_NEARBY_PARAMS, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		struct db_nearby *item = &out[*count];
		const char *distance = db_column_text(rows, i, "distance_m");
		memset(item, 0, sizeof(*item));
		item->id = db_column_integer(rows, i, "id");
		item->category = db_column_text(rows, i, "category");
		item->status = db_column_text(rows, i, "status");
		item->age_days = db_column_integer(rows, i, "age_days");
		item->distance_m = distance != NULL ? strtod(distance, NULL) : 0;
		if (full) {
			item->description = db_column_text(rows, i, "description");
			item->address = db_column_text(rows, i, "address");
			item->reporter = db_column_text(rows, i, "reporter");
		}
		if (item->category == NULL || item->status == NULL)
			return DB_UNAVAILABLE;
		(*count)++;
	}
	return DB_OK;
}

enum db_status db_nearby_by_category(struct db *db, struct arena *arena, const struct db_session *session,
                                     const char *category_code, const char *lat, const char *lon,
                                     struct db_nearby *out, size_t max, size_t *count)
{
	/* Parameters in the statement's order: the category comes after the distance's point. */
	return db_nearby_run(db, arena, session, db_nearby_by_code, db_text(category_code), 0, lat, lon, false, out, max,
	                     count);
}

enum db_status db_nearby_of_complaint(struct db *db, struct arena *arena, const struct db_session *session,
                                      int64_t id, const char *lat, const char *lon, struct db_nearby *out,
                                      size_t max, size_t *count)
{
	*count = 0;
	if (lat == NULL || lon == NULL)
		return DB_OK;
	return db_nearby_run(db, arena, session, db_nearby_by_complaint, db_integer(id), id, lat, lon, true, out, max,
	                     count);
}

enum db_status db_nearby_count_lookup(struct db *db, struct arena *arena, struct db_session *session,
                                      int64_t *lookups)
{
	struct repl_sql_param counted[] = {db_integer(session->account_id)};
	const struct repl_sql_statement count = {
		/* MariaDB assigns left to right: window_start is still the old one when lookups is set. */
		"INSERT INTO nearby_lookups (account_id, window_start, lookups) VALUES (?, UTC_TIMESTAMP(3), 1)"
		" ON DUPLICATE KEY UPDATE"
		" lookups = IF(window_start < UTC_TIMESTAMP(3) - INTERVAL " DB_NEARBY_TEXT(NEARBY_WINDOW_S)
		" SECOND, 1, lookups + 1),"
		" window_start = IF(window_start < UTC_TIMESTAMP(3) - INTERVAL " DB_NEARBY_TEXT(NEARBY_WINDOW_S)
		" SECOND, UTC_TIMESTAMP(3), window_start)",
		counted, 1, false};
	enum db_status status = db_write(db, &count, 1, NULL);
	if (status != DB_OK)
		return status;
	const struct repl_sql_statement read = {"SELECT lookups FROM nearby_lookups WHERE account_id = ?", counted, 1,
	                                        true};
	const struct repl_sql_rows *rows = NULL;
	status = db_read_row(db, arena, DB_READ_PRIMARY, &read, NULL, &rows);
	if (status == DB_OK)
		*lookups = db_column_integer(rows, 0, "lookups");
	return status;
}

enum db_status db_nearby_follow(struct db *db, struct db_session *session, int64_t id, int64_t distance_m)
{
	struct repl_sql_param params[] = {db_integer(session->account_id), db_integer(distance_m), db_integer(id),
	                                  db_integer(session->account_id)};
	const struct repl_sql_statement statement = {
		"INSERT IGNORE INTO complaint_followers (account_id, complaint_id, distance_m)"
		" SELECT ?, id, ? FROM complaints WHERE id = ? AND reporter_id <> ?",
		params, 4, false};
	struct db_written written;
	enum db_status status = db_write(db, &statement, 1, &written);
	if (status == DB_OK)
		db_session_remember(db, session, &written);
	return status;
}

/* The restricted form's columns; "followed" and "distance_m" come from the caller's statement. */
#define DB_GLIMPSE_COLUMNS \
	"SELECT c.id, k.name AS category, c.status, c.closing_reason," \
	" DATEDIFF(UTC_TIMESTAMP(3), c.created_at) AS age_days"

static void db_glimpse_read(const struct repl_sql_rows *rows, size_t i, struct db_glimpse *out)
{
	const char *distance = db_column_text(rows, i, "distance_m");
	out->id = db_column_integer(rows, i, "id");
	out->category = db_column_text(rows, i, "category");
	out->status = db_column_text(rows, i, "status");
	out->closing_reason = db_column_text(rows, i, "closing_reason");
	out->age_days = db_column_integer(rows, i, "age_days");
	out->distance_m = distance != NULL ? nearby_round(strtod(distance, NULL)) : -1;
	out->followed = db_column_integer(rows, i, "followed") != 0;
}

enum db_status db_nearby_glimpse(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                 struct db_glimpse *out)
{
	struct repl_sql_param params[] = {db_integer(session->account_id), db_integer(session->account_id),
	                                  db_integer(id), db_integer(session->account_id),
	                                  db_integer(session->account_id)};
	/* Followed: the distance the follower was shown; pointed here as a duplicate: the distance
	 * from the caller's own complaint. */
	const struct repl_sql_statement statement = {
		DB_GLIMPSE_COLUMNS ", COALESCE(f.distance_m,"
		" (SELECT MIN(ST_Distance_Sphere(POINT(d.lon, d.lat), POINT(c.lon, c.lat)))"
		" FROM complaints d"
		" WHERE d.duplicate_of_id = c.id AND d.reporter_id = ?)) AS distance_m, f.account_id IS NOT NULL AS followed"
		" FROM complaints c JOIN categories k ON k.id = c.category_id"
		" LEFT JOIN complaint_followers f ON f.complaint_id = c.id AND f.account_id = ?"
		" WHERE c.id = ? AND (f.account_id = ? OR EXISTS (SELECT 1 FROM complaints d"
		" WHERE d.duplicate_of_id = c.id AND d.reporter_id = ?))",
		params, 5, true};
	const struct repl_sql_rows *rows = NULL;
	memset(out, 0, sizeof(*out));
	enum db_status status = db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	db_glimpse_read(rows, 0, out);
	return out->category != NULL && out->status != NULL ? DB_OK : DB_UNAVAILABLE;
}

const char *db_nearby_sql_inline(struct arena *arena, const char *category_code, const char *lat, const char *lon)
{
	struct db_nearby_bounds bounds;
	struct repl_sql_param params[DB_NEARBY_PARAMS];
	if (!db_nearby_bounds(lat, lon, &bounds) || category_code[strspn(category_code, "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0')
		return NULL;
	db_nearby_params(lat, lon, db_text(category_code), 0, NEARBY_MAX, &bounds, params);
	size_t size = sizeof(db_nearby_by_code) + DB_NEARBY_PARAMS * 64;
	char *out = arena_alloc(arena, size);
	size_t used = 0, next = 0;
	if (out == NULL)
		return NULL;
	for (const char *p = db_nearby_by_code; *p != '\0' && used + 64 < size; p++) {
		if (*p != '?' || next == DB_NEARBY_PARAMS) {
			out[used++] = *p;
			continue;
		}
		const struct repl_sql_param *param = &params[next++];
		int n = param->type == REPL_SQL_INT64 ? snprintf(out + used, size - used, "%lld", (long long)param->integer)
		                                      : snprintf(out + used, size - used, "'%.*s'", (int)param->len, param->text);
		used += n > 0 ? (size_t)n : 0;
	}
	out[used] = '\0';
	return out;
}
