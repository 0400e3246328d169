/*
 * nearby.c: the rules of nearby complaints (see nearby.h): the search box, the rounding of what a
 * resident is shown, the lookup budget.
 */
#include "core/nearby.h"

#include <math.h>

#define NEARBY_METRES_PER_DEGREE 111195.0   /* of latitude; of longitude at the equator (R = 6,371 km) */
#define NEARBY_PI 3.14159265358979323846

void nearby_box(double lat, double lon, double radius_m, struct nearby_box *out)
{
	/* 1% more than the radius: the store's distance and this box differ by far less. */
	double dlat = radius_m * 1.01 / NEARBY_METRES_PER_DEGREE;
	double cos_lat = cos(lat * NEARBY_PI / 180.0);
	out->lat_min = lat - dlat;
	out->lat_max = lat + dlat;
	if (cos_lat < 0.01 || lon - radius_m * 1.01 / (NEARBY_METRES_PER_DEGREE * cos_lat) < -180.0 ||
	    lon + radius_m * 1.01 / (NEARBY_METRES_PER_DEGREE * cos_lat) > 180.0) {
		out->lon_min = -180.0;
		out->lon_max = 180.0;
		return;
	}
	double dlon = radius_m * 1.01 / (NEARBY_METRES_PER_DEGREE * cos_lat);
	out->lon_min = lon - dlon;
	out->lon_max = lon + dlon;
}

void nearby_metres_per_degree(double lat, double *per_lat, double *per_lon)
{
	*per_lat = NEARBY_METRES_PER_DEGREE;
	*per_lon = NEARBY_METRES_PER_DEGREE * cos(lat * NEARBY_PI / 180.0);
}

int64_t nearby_round(double metres)
{
	if (!(metres > 0))
		return 0;
	return (int64_t)llround(metres / NEARBY_ROUND_M) * NEARBY_ROUND_M;
}

bool nearby_allowed(int64_t lookups_in_window)
{
	return lookups_in_window <= NEARBY_LOOKUPS;
}
