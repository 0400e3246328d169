/*
 * nearby.h: complaints near a place on the pages (see nearby.c): the filing form's "Is it one of
 * these?", following one, the restricted page of a followed (or original) complaint, and the
 * admin's full list with "mark as a duplicate" beside a complaint.
 */
#ifndef WEB_NEARBY_H
#define WEB_NEARBY_H

#include <stdbool.h>
#include <stdint.h>

struct call;
struct db_complaint;
struct json_object;

/* The filing form's check: the suggestions for (category, lat, lon) as the form's "nearby" object
 * (the list, or a sentence why there is none); the lookup is counted against the account's budget.
 * Returns the status the form answers with (200, 429 over the budget, 503). */
int nearby_suggest(struct call *call, const char *category, const char *lat, const char *lon,
                   struct json_object **nearby);
/* POST /complaints/{id}/follow (category, lat, lon: the place the form gave). */
void nearby_follow(struct call *call);
/* GET /complaints/{id} for a caller who may not see the whole complaint: its restricted page when
 * they follow it or their complaint was rejected as its duplicate (true: answered). */
bool nearby_glimpse_page(struct call *call, int64_t id);
/* An admin's complaint page: the nearby ones in full as data's "nearby_full", each with a form that
 * rejects this complaint as its duplicate when the status machine allows it. */
void nearby_add_full(struct call *call, const struct db_complaint *complaint, struct json_object *data);

#endif
