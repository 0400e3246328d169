/*
 * metrics.h: GET /metrics (the Prometheus text format) and the per-route request counts it
 * reports.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

struct app;
struct call;
struct routes_entry;
struct tally;

/* Master, before the first fork: the shared segment of the request counts. 0 or -1. */
int metrics_create(struct tally *requests);
/* Worker: counts one answered request; route NULL = no row of the table matched (a 404 or
 * 405), counted as route "unmatched" under its method (GET, POST or other), never its path. */
void metrics_count_request(struct app *app, const struct routes_entry *route, const char *method, int status,
                           uint64_t elapsed_us);
/* GET /metrics: answered to [ops] metrics_allow addresses only; everyone else gets the 404
 * page of an address with no page. */
void metrics_page(struct call *call);

#endif
