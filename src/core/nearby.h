/*
 * nearby.h: the rules of "Is it one of these?" without I/O: which complaints count as nearby (the
 * same category, open, within NEARBY_RADIUS_M of the place, filed in the last NEARBY_DAYS days),
 * the bounding box the store searches before it measures, what a resident is shown of someone
 * else's complaint (a distance rounded to NEARBY_ROUND_M), and the per-account budget of lookups
 * that keeps a sweep of coordinates from mapping everyone's complaints.
 */
#ifndef CORE_NEARBY_H
#define CORE_NEARBY_H

#include <stdbool.h>
#include <stdint.h>

#define NEARBY_RADIUS_M 100
#define NEARBY_DAYS 30
#define NEARBY_ROUND_M 10
#define NEARBY_MAX 10                  /* suggestions shown, nearest first */

/* An account may look up (or follow) NEARBY_LOOKUPS times per NEARBY_WINDOW_S: a resident filing
 * needs a few; a sweep of a city needs thousands. */
#define NEARBY_LOOKUPS 20
#define NEARBY_WINDOW_S 3600

struct nearby_box {
	double lat_min, lat_max, lon_min, lon_max;
};

/* The box around (lat, lon) holding every point within radius_m (a little more: the circle is
 * checked by the store). Near the poles and the antimeridian the box is the whole band of
 * longitude, which is correct and only slower. */
void nearby_box(double lat, double lon, double radius_m, struct nearby_box *out);

/* Metres per degree of latitude and of longitude around latitude lat: the store measures short
 * distances on this local flat map (under 0.1% off the great circle within 100 m). */
void nearby_metres_per_degree(double lat, double *per_lat, double *per_lon);

/* A distance as a resident is shown it: to the nearest NEARBY_ROUND_M metres. */
int64_t nearby_round(double metres);

/* Whether a lookup may go ahead, given the account's lookups in its window (counting this one). */
bool nearby_allowed(int64_t lookups_in_window);

#endif
