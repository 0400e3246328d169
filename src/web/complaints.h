/*
 * complaints.h: the residents' side of complaints — the filing form, filing (photo cleaned, stored
 * on the S3 replica set, then the row), "my complaints", a complaint's page and its photo.
 */
#ifndef COMPLAINTS_H
#define COMPLAINTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/photo.h"
#include "store/storage.h"

struct call;
struct db_complaint;
struct field;
struct json_object;

void complaints_new_form(struct call *call);
void complaints_file(struct call *call);
void complaints_mine(struct call *call);
/* GET /agent: the agent's console; GET /admin/unassigned and /admin/reopened: the admin's queues. */
/* GET /agent/overdue: the agent's complaints past their due date. */
void complaints_agent_overdue(struct call *call);
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

/* A photo as every upload of one is taken (a resident's filing, an agent's photo of the fix):
 * complaints_photo_clean cleans the form's file field under the config's caps (core/photo.c:
 * format by its bytes, size and pixel caps, metadata removed; *message, in the arena, says why
 * not; a file the form reader dropped for being over upload_max_bytes is PHOTO_TOO_LARGE with
 * the limit in words); complaints_photo_store puts the cleaned bytes on the S3 set under their content hash
 * (s3.put) and lists the replicas it left without them, for the photo_repairs rows the same
 * transaction as the row that points at the photo writes. */
struct complaints_stored_photo {
	char key[STORAGE_KEY_SIZE];
	struct storage_put_report report;
	const char *repairs[REPL_SET_REPLICAS_MAX];   /* the report's replica names */
	size_t repair_count;
};
enum photo_status complaints_photo_clean(struct call *call, const struct field *file, struct photo *photo,
                                        const char **message);
enum storage_status complaints_photo_store(struct call *call, const struct photo *photo,
                                           struct complaints_stored_photo *out);
/* Answers with the stored photo of key (200, or 304 to a browser that has it; 404, 503). */
void complaints_photo_send(struct call *call, const char *key);

#endif
