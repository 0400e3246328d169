/*
 * complaints.h: the residents' side of complaints — the filing form, filing (photo cleaned, stored
 * on the S3 replica set, then the row), "my complaints", a complaint's page and its photo.
 */
#ifndef COMPLAINTS_H
#define COMPLAINTS_H

#include <stdbool.h>
#include <stdint.h>

struct call;
struct db_complaint;
struct json_object;

void complaints_new_form(struct call *call);
void complaints_file(struct call *call);
void complaints_mine(struct call *call);
/* GET /agent: the agent's console; GET /admin/unassigned and /admin/reopened: the admin's queues. */
void complaints_agent_console(struct call *call);
void complaints_unassigned(struct call *call);
void complaints_reopened(struct call *call);
void complaints_page(struct call *call);
void complaints_photo(struct call *call);

/* For the other pages of a complaint (web/workflow.c): the complaint of the "{id}" capture the
 * caller may see (false: a 404 or 503 was written); an id from a capture (0: none); a string
 * added to a page's data unless NULL; the words for a stored status or action. */
bool complaints_load(struct call *call, struct db_complaint *complaint);
int64_t complaints_id(const char *text);
void complaints_add_string(struct json_object *object, const char *key, const char *value);
const char *complaints_label(const char *code);

#endif
