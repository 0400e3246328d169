/*
 * test_nearby.c: the rules of nearby complaints — the search box holds every point 100 m away in
 * every direction (at the equator, in a northern city, in a southern one, next to the
 * antimeridian, near a pole) and not much more; the flat map's distances agree with the great
 * circle within 0.1% at 100 m; distances shown rounded to 10 m; the lookup budget's 20th lookup
 * allowed, its 21st not.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/nearby.h"

#define PI 3.14159265358979323846

/* The point distance metres from (lat, lon) at bearing degrees, on the sphere of 6,371 km. */
static void destination(double lat, double lon, double bearing, double metres, double *out_lat, double *out_lon)
{
	double d = metres / 6371000.0, b = bearing * PI / 180, p = lat * PI / 180, l = lon * PI / 180;
	double p2 = asin(sin(p) * cos(d) + cos(p) * sin(d) * cos(b));
	double l2 = l + atan2(sin(b) * sin(d) * cos(p), cos(d) - sin(p) * sin(p2));
	*out_lat = p2 * 180 / PI;
	*out_lon = l2 * 180 / PI;
}

static void test_the_box_holds_the_circle_and_not_much_more(void **state)
{
	(void)state;
	const double places[][2] = {{0, 0}, {51.5, -0.12}, {-33.87, 151.21}, {64.1, -21.9}, {38.72, -9.14}};
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		struct nearby_box box;
		nearby_box(places[i][0], places[i][1], NEARBY_RADIUS_M, &box);
		for (double bearing = 0; bearing < 360; bearing += 15) {
			double lat, lon;
			destination(places[i][0], places[i][1], bearing, NEARBY_RADIUS_M, &lat, &lon);
			assert_true(lat >= box.lat_min && lat <= box.lat_max);
			assert_true(lon >= box.lon_min && lon <= box.lon_max);
		}
		/* 110 m north is outside: the box is the circle's, not a wider one. */
		double lat, lon;
		destination(places[i][0], places[i][1], 0, 110, &lat, &lon);
		assert_true(lat > box.lat_max);
	}
}

static void test_near_the_antimeridian_and_the_poles_the_box_is_every_longitude(void **state)
{
	(void)state;
	struct nearby_box box;
	nearby_box(10, 179.9995, NEARBY_RADIUS_M, &box);
	assert_true(box.lon_min == -180 && box.lon_max == 180);
	nearby_box(89.9999, 20, NEARBY_RADIUS_M, &box);
	assert_true(box.lon_min == -180 && box.lon_max == 180);
}

static void test_the_flat_map_agrees_with_the_great_circle_at_100_m(void **state)
{
	(void)state;
	const double places[][2] = {{0, 0}, {51.5, -0.12}, {-33.87, 151.21}, {64.1, -21.9}};
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		double per_lat, per_lon;
		nearby_metres_per_degree(places[i][0], &per_lat, &per_lon);
		for (double bearing = 0; bearing < 360; bearing += 30) {
			double lat, lon;
			destination(places[i][0], places[i][1], bearing, 100, &lat, &lon);
			double flat = sqrt(pow((lat - places[i][0]) * per_lat, 2) + pow((lon - places[i][1]) * per_lon, 2));
			assert_true(fabs(flat - 100) < 0.1);
		}
	}
}

static void test_distances_are_shown_to_the_nearest_10_m(void **state)
{
	(void)state;
	assert_int_equal(nearby_round(0), 0);
	assert_int_equal(nearby_round(4.9), 0);
	assert_int_equal(nearby_round(5.1), 10);
	assert_int_equal(nearby_round(39.96), 40);
	assert_int_equal(nearby_round(93.96), 90);
	assert_int_equal(nearby_round(99.99), 100);
	assert_int_equal(nearby_round(-3), 0);
}

static void test_the_budget_allows_20_lookups(void **state)
{
	(void)state;
	assert_true(nearby_allowed(1));
	assert_true(nearby_allowed(NEARBY_LOOKUPS));
	assert_false(nearby_allowed(NEARBY_LOOKUPS + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_box_holds_the_circle_and_not_much_more),
		cmocka_unit_test(test_near_the_antimeridian_and_the_poles_the_box_is_every_longitude),
		cmocka_unit_test(test_the_flat_map_agrees_with_the_great_circle_at_100_m),
		cmocka_unit_test(test_distances_are_shown_to_the_nearest_10_m),
		cmocka_unit_test(test_the_budget_allows_20_lookups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
