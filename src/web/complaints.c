/*
 * complaints.c: the residents' side of complaints (see complaints.h).
 *
 * Filing runs in this order, so that a failure leaves nothing behind that points nowhere:
 *   1. every field checked; the form comes back with what was typed and a message by the field
 *      (a photo over upload_max_bytes too: the form reader dropped its bytes and kept the rest,
 *      and the answer is 413, the status of a photo too large wherever it is found);
 *   2. the photo cleaned (photo.c: format by its bytes, size and pixel caps, metadata removed);
 *   3. the cleaned photo stored on the S3 set under its content hash (s3.put); on failure the
 *      form comes back with a message and nothing is written;
 *   4. the row inserted with the form's submit token (UNIQUE): a double click, a retried POST or
 *      a write retried on the standby finds the complaint the token filed and goes to it.
 * A photo stored in step 3 whose row never comes (the database failed) is an orphan object:
 * harmless, content-addressed, and the next filing of the same photo reuses it.
 *
 * Who sees what: a complaint and its photo are shown to its reporter, its assigned agent and
 * admins; a resident who follows it, or whose complaint was rejected as its duplicate, gets its
 * restricted page (web/nearby.c: category, status, age, distance; no photo); anyone else gets the
 * same 404 as for a complaint that does not exist.
 */
#include "complaints.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/due.h"
#include "core/photo.h"
#include "core/text.h"
#include "core/token.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_complaints.h"
#include "store/storage.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/nearby.h"
#include "web/render.h"
#include "web/workflow.h"

#define COMPLAINTS_DESCRIPTION_MIN 10
#define COMPLAINTS_DESCRIPTION_MAX 4000   /* complaints.description, Open311's cap */
#define COMPLAINTS_ADDRESS_MAX 255
#define COMPLAINTS_PAGE_SIZE 20
#define COMPLAINTS_PAGES_MAX 10000

/* Words for a status, and for what happened in a timeline entry. */
static const struct {
	const char *code;
	const char *label;
} complaints_labels[] = {
	{"submitted", "Submitted"},   {"assigned", "Assigned to an agent"}, {"in_progress", "In progress"},
	{"resolved", "Resolved"},     {"closed", "Closed"},                 {"rejected", "Rejected"},
	{"submit", "Submitted"},      {"assign", "Assigned to an agent"},   {"reassign", "Given to another agent"},
	{"unassign", "Unassigned"},   {"start", "Work started"},            {"resolve", "Resolved"},
	{"reopen", "Reopened"},       {"close", "Closed"},                  {"reject", "Rejected"},
	{"auto_close", "Closed automatically"},
	{"accept", "Accepted by the agent"}, {"decline", "Declined by the agent"},
	{"confirm", "Confirmed fixed"},     {"withdraw", "Withdrawn"},
};

/* The page of a read the database could not answer. */
static const char complaints_database_down[] =
	"The service cannot reach its database right now. Please try again in a moment.";

const char *complaints_label(const char *code)
{
	for (size_t i = 0; code != NULL && i < sizeof(complaints_labels) / sizeof(complaints_labels[0]); i++)
		if (strcmp(complaints_labels[i].code, code) == 0)
			return complaints_labels[i].label;
	return code != NULL ? code : "";
}

void complaints_add_string(struct json_object *object, const char *key, const char *value)
{
	if (object != NULL && value != NULL)
		json_object_object_add(object, key, json_object_new_string(value));
}

/* An id from a "{id}" capture: 1 to 2^53 (what a page may show), or 0. */
int64_t complaints_id(const char *text)
{
	char *end = NULL;
	if (text == NULL || text[0] < '1' || text[0] > '9' || strlen(text) > 15)
		return 0;
	errno = 0;
	long long id = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0' ? (int64_t)id : 0;
}

/* ---- the form ---- */

/* What the resident typed, and what is wrong with it, field by field. */
struct complaints_form {
	const char *category;
	const char *description;
	const char *address;
	const char *lat;
	const char *lon;
	const char *submit_token;
	const char *errors[6];   /* by enum complaints_field */
	const char *message;     /* above the form: storage or database trouble */
	struct json_object *nearby;  /* the check's suggestions (web/nearby.c); NULL: not checked */
	/* The categories, once read (the check reads them; the page shows them). */
	struct db_category categories[DB_CATEGORIES_MAX];
	size_t category_count;
	bool categories_read;
};

/* When a complaint of the form's (known) category filed now is due, by the category's target in
 * the city's zone: both times as the database stores them (UTC). False: no target can be read. */
static bool complaints_due(const struct complaints_form *form, char filed_at[DUE_TIME_SIZE],
                           char due_text[DUE_TIME_SIZE])
{
	struct timespec now;
	struct due_target target;
	for (size_t i = 0; i < form->category_count; i++) {
		const struct db_category *category = &form->categories[i];
		if (strcmp(category->code, form->category) != 0 ||
		    !due_target_from_stored(category->target_days, category->target_hours, &target))
			continue;
		clock_gettime(CLOCK_REALTIME, &now);
		time_t due = due_at(now.tv_sec, &target);
		if (due == (time_t)-1)
			return false;
		int ms = (int)(now.tv_nsec / 1000000);
		due_utc_text(now.tv_sec, ms, filed_at, DUE_TIME_SIZE);
		due_utc_text(due, ms, due_text, DUE_TIME_SIZE);
		return true;
	}
	return false;
}

/* Whether this filing goes to its category's pool ([workflow] auto_assign). The one place that
 * holds a complaint back from auto-assignment: one whose reporter has not confirmed their address
 * yet will be held back here, to wait in the unassigned queue for an admin. */
static bool complaints_auto_assign(const struct call *call)
{
	return call->app->config.auto_assign;
}

/* Reads the active categories into form, once per request. */
static enum db_status complaints_categories(struct call *call, struct complaints_form *form)
{
	if (form->categories_read)
		return DB_OK;
	enum db_status status = db_categories(call->app->db, call->request->arena, form->categories, DB_CATEGORIES_MAX,
	                                      &form->category_count);
	form->categories_read = status == DB_OK;
	return status;
}

enum complaints_field {
	FIELD_CATEGORY,
	FIELD_DESCRIPTION,
	FIELD_ADDRESS,
	FIELD_LOCATION,
	FIELD_PHOTO,
	FIELD_TOKEN,
};

static const char *const complaints_error_keys[] = {
	[FIELD_CATEGORY] = "category_error", [FIELD_DESCRIPTION] = "description_error",
	[FIELD_ADDRESS] = "address_error",   [FIELD_LOCATION] = "location_error",
	[FIELD_PHOTO] = "photo_error",       [FIELD_TOKEN] = "token_error",
};

/* The largest photo in words ("8 MB"), into words (32 bytes). */
static void complaints_photo_limit_words(const struct call *call, char *words, size_t size)
{
	size_t bytes = call->app->config.upload_max_bytes;
	if (bytes % (1024 * 1024) == 0)
		snprintf(words, size, "%zu MB", bytes / (1024 * 1024));
	else
		snprintf(words, size, "%zu KB", bytes / 1024);
}

/* The largest photo, in bytes for the browser's check (complaint-form.js) and in words. */
static void complaints_add_photo_limit(struct call *call, struct json_object *data)
{
	size_t bytes = call->app->config.upload_max_bytes;
	char words[32];
	complaints_photo_limit_words(call, words, sizeof(words));
	if (data != NULL)
		json_object_object_add(data, "photo_max_bytes", json_object_new_int64((int64_t)bytes));
	complaints_add_string(data, "photo_max", words);
}

/* Renders the form with form's values and messages (status 200 for a fresh one). */
static void complaints_form_render(struct call *call, int status, struct complaints_form *form)
{
	if (complaints_categories(call, form) != DB_OK) {
		render_error(call, 503, complaints_database_down);
		return;
	}
	struct json_object *data = json_object_new_object();
	struct json_object *options = json_object_new_array();
	for (size_t i = 0; data != NULL && options != NULL && i < form->category_count; i++) {
		const struct db_category *category = &form->categories[i];
		struct json_object *option = json_object_new_object();
		if (option == NULL)
			break;
		complaints_add_string(option, "code", category->code);
		complaints_add_string(option, "name", category->name);
		if (form->category != NULL && strcmp(form->category, category->code) == 0)
			json_object_object_add(option, "selected", json_object_new_boolean(1));
		json_object_array_add(options, option);
	}
	if (data != NULL)
		json_object_object_add(data, "categories", options);
	else
		json_object_put(options);
	complaints_add_string(data, "description", form->description);
	complaints_add_string(data, "address", form->address);
	complaints_add_string(data, "lat", form->lat);
	complaints_add_string(data, "lon", form->lon);
	complaints_add_string(data, "submit_token", form->submit_token);
	complaints_add_string(data, "csrf", auth_session_csrf_token(call, "/complaints"));
	complaints_add_string(data, "message", form->message);
	complaints_add_photo_limit(call, data);
	if (data != NULL && form->nearby != NULL)
		json_object_object_add(data, "nearby", form->nearby);
	render_add_map(call, data, form->lat, form->lon, true);
	for (size_t i = 0; i < sizeof(complaints_error_keys) / sizeof(complaints_error_keys[0]); i++)
		complaints_add_string(data, complaints_error_keys[i], form->errors[i]);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, "File a complaint", "complaint_new", data);
}

void complaints_new_form(struct call *call)
{
	char token[TOKEN_TEXT_SIZE];
	struct complaints_form form = {0};
	if (!storage_configured(call->app->storage)) {
		render_error(call, 503, "Filing complaints is not available on this server.");
		return;
	}
	token_new(token);
	form.submit_token = token;
	complaints_form_render(call, 200, &form);
}

/* A coordinate: a plain decimal number (no exponent, no hex, no inf/nan) within [-limit, limit],
 * rewritten with six decimals (about 0.1 m). NULL when it is not one. */
static const char *complaints_coordinate(struct arena *arena, const char *text, double limit)
{
	char *end = NULL;
	if (text == NULL || text[0] == '\0' || strlen(text) > 32 || strspn(text, "+-0123456789.") != strlen(text))
		return NULL;
	errno = 0;
	double value = strtod(text, &end);
	if (errno != 0 || *end != '\0' || !isfinite(value) || value < -limit || value > limit)
		return NULL;
	char *out = arena_alloc(arena, 32);
	if (out != NULL)
		snprintf(out, 32, "%.6f", value);
	return out;
}

/* Checks the text fields into form (errors set per field): DB_OK when all are fine,
 * DB_NOT_FOUND when one is not, another status when the categories could not be read. */
static enum db_status complaints_form_check(struct call *call, struct complaints_form *form,
                                            const char **lat_value, const char **lon_value)
{
	struct arena *arena = call->request->arena;
	const struct fields *fields = &call->request->form;
	form->category = text_trimmed(arena, fields_value(fields, "category"));
	form->description = text_newlines(arena, text_trimmed(arena, fields_value(fields, "description")));
	form->address = text_trimmed(arena, fields_value(fields, "address"));
	form->lat = text_trimmed(arena, fields_value(fields, "lat"));
	form->lon = text_trimmed(arena, fields_value(fields, "lon"));
	form->submit_token = text_trimmed(arena, fields_value(fields, "submit_token"));

	bool known = false;
	enum db_status status = complaints_categories(call, form);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < form->category_count && !known; i++)
		known = strcmp(form->categories[i].code, form->category) == 0;
	if (!known)
		form->errors[FIELD_CATEGORY] = "Please choose what kind of problem this is.";

	long characters = text_characters(form->description, true);
	if (characters < 0)
		form->errors[FIELD_DESCRIPTION] = "The description contains characters that cannot be shown.";
	else if (characters < COMPLAINTS_DESCRIPTION_MIN)
		form->errors[FIELD_DESCRIPTION] = "Please describe the problem in at least 10 characters.";
	else if (characters > COMPLAINTS_DESCRIPTION_MAX)
		form->errors[FIELD_DESCRIPTION] = "The description is too long: at most 4,000 characters.";

	characters = text_characters(form->address, false);
	if (characters < 0 || characters > COMPLAINTS_ADDRESS_MAX)
		form->errors[FIELD_ADDRESS] = "The address must be at most 255 characters, without control characters.";

	*lat_value = NULL;
	*lon_value = NULL;
	bool has_lat = form->lat[0] != '\0', has_lon = form->lon[0] != '\0';
	if (has_lat || has_lon) {
		*lat_value = complaints_coordinate(arena, form->lat, 90.0);
		*lon_value = complaints_coordinate(arena, form->lon, 180.0);
		if (*lat_value == NULL || *lon_value == NULL)
			form->errors[FIELD_LOCATION] = "Latitude must be a number from -90 to 90 and longitude from -180 to 180, "
			                               "both given (e.g. 51.507351 and -0.127758).";
	} else if (form->address[0] == '\0') {
		form->errors[FIELD_LOCATION] = "Please give the address, or the place's latitude and longitude.";
	}

	uint8_t ignored[TOKEN_HASH_SIZE];
	if (token_parse(form->submit_token, strlen(form->submit_token), ignored) != TOKEN_OK)
		form->errors[FIELD_TOKEN] = "This form is incomplete. Please reload the page and fill it in again.";

	for (size_t i = 0; i < sizeof(form->errors) / sizeof(form->errors[0]); i++)
		if (form->errors[i] != NULL)
			return DB_NOT_FOUND;
	return DB_OK;
}

/* The status a refused photo answers with, by photo_clean's verdict. */
static int complaints_photo_status(enum photo_status status)
{
	static const int statuses[] = {
		[PHOTO_UNSUPPORTED] = 415,
		[PHOTO_TOO_LARGE] = 413,
		[PHOTO_MALFORMED] = 400,
		[PHOTO_NO_MEMORY] = 503,
	};
	return (size_t)status < sizeof(statuses) / sizeof(statuses[0]) && statuses[status] != 0 ? statuses[status] : 400;
}

enum photo_status complaints_photo_clean(struct call *call, const struct field *file, struct photo *photo,
                                        const char **message)
{
	const struct config *config = &call->app->config;
	const struct photo_limits limits = {
		.bytes_max = config->upload_max_bytes,
		.width_max = (uint32_t)config->photo_side_max,
		.height_max = (uint32_t)config->photo_side_max,
		.pixels_max = (uint64_t)config->photo_pixels_max,
	};
	char text[PHOTO_MESSAGE_SIZE] = "";
	if (file->over_limit) {
		/* The form reader dropped its bytes as they came (fcgi/multipart.c): nothing to clean. */
		char words[32];
		complaints_photo_limit_words(call, words, sizeof(words));
		snprintf(text, sizeof(text),
		         "This photo is larger than %s, the largest accepted, so it was not kept. Please attach a smaller "
		         "one; everything else you typed is still here.",
		         words);
		*message = arena_strndup(call->request->arena, text, strlen(text));
		return PHOTO_TOO_LARGE;
	}
	enum photo_status status =
		photo_clean((const uint8_t *)file->value, file->value_len, &limits, photo, text, sizeof(text));
	*message = status == PHOTO_OK ? NULL : arena_strndup(call->request->arena, text, strlen(text));
	return status;
}

enum storage_status complaints_photo_store(struct call *call, const struct photo *photo,
                                           struct complaints_stored_photo *out)
{
	storage_key(photo->data, photo->len, out->key);
	enum storage_status status =
		storage_put(call->app->storage, out->key, photo->data, photo->len, photo->mime_type, &out->report);
	out->repair_count = status == STORAGE_OK ? out->report.missing_count : 0;
	for (unsigned i = 0; i < out->repair_count; i++)
		out->repairs[i] = out->report.missing[i];
	return status;
}

/* The form's "Check for similar complaints" (a step field): the form again with what was typed and
 * the open complaints of its category near its place (web/nearby.c); nothing is filed. */
static void complaints_check(struct call *call)
{
	struct complaints_form form = {0};
	const char *lat = NULL, *lon = NULL;
	enum db_status checked = complaints_form_check(call, &form, &lat, &lon);
	if (checked != DB_OK && checked != DB_NOT_FOUND) {
		render_error(call, 503, complaints_database_down);
		return;
	}
	/* Only what the check needs is judged now; the rest when the form is filed. */
	for (size_t i = 0; i < sizeof(form.errors) / sizeof(form.errors[0]); i++)
		if (i != FIELD_CATEGORY && i != FIELD_LOCATION)
			form.errors[i] = NULL;
	int status = 422;
	if (form.errors[FIELD_CATEGORY] == NULL && form.errors[FIELD_LOCATION] == NULL)
		status = nearby_suggest(call, form.category, lat, lon, &form.nearby);
	const struct field *file = fields_find(&call->request->form, "photo");
	if (file != NULL && file->filename != NULL && file->value_len > 0)
		form.errors[FIELD_PHOTO] = "The check does not keep photos: please attach yours again before filing.";
	complaints_form_render(call, status, &form);
}

void complaints_file(struct call *call)
{
	struct complaints_form form = {0};
	struct photo photo = {0};
	struct complaints_stored_photo stored;
	const char *lat = NULL, *lon = NULL;
	int status = 422;

	if (!storage_configured(call->app->storage)) {
		render_error(call, 503, "Filing complaints is not available on this server.");
		return;
	}
	/* The check's button is the form's only named one (an input, so the filing button stays the
	 * form's one button[type=submit]). */
	if (text_trimmed(call->request->arena, fields_value(&call->request->form, "step"))[0] != '\0') {
		complaints_check(call);
		return;
	}
	enum db_status checked = complaints_form_check(call, &form, &lat, &lon);
	if (checked != DB_OK && checked != DB_NOT_FOUND) {
		render_error(call, 503,
		             "The service cannot reach its database right now, and nothing was filed. Please try again "
		             "in a moment.");
		return;
	}
	bool fields_ok = checked == DB_OK;
	const struct field *file = fields_find(&call->request->form, "photo");
	if (file == NULL || file->filename == NULL || (file->value_len == 0 && !file->over_limit)) {
		form.errors[FIELD_PHOTO] = "Please attach a photo of the problem.";
		goto refuse;
	}
	enum photo_status cleaned = complaints_photo_clean(call, file, &photo, &form.errors[FIELD_PHOTO]);
	if (cleaned != PHOTO_OK) {
		status = complaints_photo_status(cleaned);
		goto refuse;
	}
	if (!fields_ok)
		goto refuse;

	if (complaints_photo_store(call, &photo, &stored) != STORAGE_OK) {
		form.message = "Your photo could not be stored just now, so nothing was filed. Please attach it again and "
		               "send the form in a moment.";
		status = 503;
		goto refuse;
	}
	/* The due date from the target the form's check read (core/due.c: the city's zone). */
	char filed_at[DUE_TIME_SIZE], due_text[DUE_TIME_SIZE];
	if (!complaints_due(&form, filed_at, due_text)) {
		form.message = "Your complaint could not be saved just now. Please attach the photo again and send the "
		               "form in a moment.";
		status = 503;
		goto refuse;
	}
	struct db_new_complaint complaint = {
		.category_code = form.category,
		.filed_at = filed_at,
		.due_at = due_text,
		.description = form.description,
		.address = form.address[0] != '\0' ? form.address : NULL,
		.lat = lat,
		.lon = lon,
		.image_key = stored.key,
		.repair_replicas = stored.repairs,
		.repair_count = stored.repair_count,
		.auto_assign = complaints_auto_assign(call),
	};
	token_hash(form.submit_token, strlen(form.submit_token), complaint.submit_token);
	int64_t id = 0;
	bool existing = false;
	enum db_status filed =
		db_complaint_file(call->app->db, call->request->arena, call->session, &complaint, &id, &existing);
	if (filed == DB_OK) {
		char location[64];
		snprintf(location, sizeof(location), "/complaints/%lld", (long long)id);
		if (!existing)
			log_info("complaints: account %lld filed complaint %lld (photo missing on %u replicas, queued for repair)",
			         (long long)call->session->account_id, (long long)id, stored.report.missing_count);
		photo_free(&photo);
		response_redirect(call->response, 303, location);
		return;
	}
	form.message = filed == DB_UNKNOWN
	                   ? "We lost contact with the database while filing. Please look at your complaints before "
	                     "sending this again."
	                   : "Your complaint could not be saved just now. Please attach the photo again and send the "
	                     "form in a moment.";
	status = filed == DB_NOT_FOUND ? 422 : 503;
	if (filed == DB_NOT_FOUND)
		form.errors[FIELD_CATEGORY] = "Please choose what kind of problem this is.";
	if (filed == DB_DUPLICATE) {
		/* The token filed someone else's complaint: a fresh one lets this form be sent again. */
		char *fresh = arena_alloc(call->request->arena, TOKEN_TEXT_SIZE);
		if (fresh != NULL)
			token_new(fresh);
		form.submit_token = fresh;
		form.message = "This form had been used already. Please check it and send it again.";
		status = 409;
	}
refuse:
	photo_free(&photo);
	complaints_form_render(call, status, &form);
}

/* ---- the lists: the resident's, the agent's console, the admin's queues ---- */

/* What each list page says around its rows. */
static const struct complaints_list_page {
	enum db_complaint_list list;
	const char *title;
	const char *path;             /* the pager's links */
	const char *empty;            /* the first page without rows */
	bool can_file;                /* the "File a complaint" button */
} complaints_list_pages[] = {
	{DB_LIST_MINE, "My complaints", "/complaints", "You have not filed a complaint yet.", true},
	{DB_LIST_AGENT, "My assigned complaints", "/agent", "Nothing is assigned to you right now.", false},
	{DB_LIST_UNASSIGNED, "Unassigned complaints", "/admin/unassigned", "Every complaint has an agent.", false},
	{DB_LIST_REOPENED, "Reopened complaints", "/admin/reopened", "No complaint is waiting after a reopening.", false},
	{DB_LIST_AGENT_OVERDUE, "My overdue complaints", "/agent/overdue", "None of your complaints is overdue.", false},
};

static void complaints_list(struct call *call, const struct complaints_list_page *page_of)
{
	struct db_complaint_summary items[COMPLAINTS_PAGE_SIZE];
	size_t count = 0;
	bool more = false;
	const char *page_text = fields_value(&call->request->query, "page");
	long page = 1;
	if (page_text != NULL) {
		char *end = NULL;
		page = strtol(page_text, &end, 10);
		if (end == page_text || *end != '\0' || page < 1 || page > COMPLAINTS_PAGES_MAX) {
			render_error(call, 400, "There is no such page of this list.");
			return;
		}
	}
	enum db_status status = db_complaints_list(call->app->db, call->request->arena, call->session, page_of->list,
	                                           (size_t)(page - 1) * COMPLAINTS_PAGE_SIZE, COMPLAINTS_PAGE_SIZE, items,
	                                           &count, &more);
	if (status != DB_OK) {
		render_error(call, 503, complaints_database_down);
		return;
	}
	struct json_object *data = json_object_new_object();
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; data != NULL && list != NULL && i < count; i++) {
		struct json_object *item = json_object_new_object();
		if (item == NULL)
			break;
		json_object_object_add(item, "id", json_object_new_int64(items[i].id));
		complaints_add_string(item, "category", items[i].category);
		complaints_add_string(item, "status", items[i].status);
		complaints_add_string(item, "status_label", complaints_label(items[i].status));
		complaints_add_string(item, "description", items[i].description);
		complaints_add_string(item, "created_at", render_time(call, items[i].created_at));
		if (items[i].followed) {
			/* Someone else's: the restricted form (web/nearby.c), its description not even read. */
			json_object_object_add(item, "followed", json_object_new_boolean(1));
			json_object_object_add(item, "distance_m", json_object_new_int64(items[i].distance_m));
		}
		complaints_add_string(item, "due_at", render_time(call, items[i].due_at));
		if (items[i].reopened)
			json_object_object_add(item, "reopened", json_object_new_boolean(1));
		if (items[i].overdue)
			json_object_object_add(item, "overdue", json_object_new_boolean(1));
		json_object_array_add(list, item);
	}
	if (data != NULL) {
		json_object_object_add(data, "complaints", list);
		json_object_object_add(data, "empty", json_object_new_boolean(count == 0 && page == 1));
		complaints_add_string(data, "title", page_of->title);
		complaints_add_string(data, "path", page_of->path);
		complaints_add_string(data, "empty_text", page_of->empty);
		if (page_of->list == DB_LIST_AGENT)
			complaints_add_string(data, "overdue_link", "/agent/overdue");
		else if (page_of->list == DB_LIST_AGENT_OVERDUE)
			complaints_add_string(data, "all_link", "/agent");
		json_object_object_add(data, "can_file", json_object_new_boolean(page_of->can_file));
		if (page_of->list == DB_LIST_MINE && fields_value(&call->request->query, "followed") != NULL)
			json_object_object_add(data, "followed_now", json_object_new_boolean(1));
		if (page > 1)
			json_object_object_add(data, "previous_page", json_object_new_int64(page - 1));
		if (more)
			json_object_object_add(data, "next_page", json_object_new_int64(page + 1));
	} else {
		json_object_put(list);
	}
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, page_of->title, "complaints", data);
}

void complaints_mine(struct call *call)
{
	complaints_list(call, &complaints_list_pages[DB_LIST_MINE]);
}

void complaints_agent_console(struct call *call)
{
	complaints_list(call, &complaints_list_pages[DB_LIST_AGENT]);
}

void complaints_agent_overdue(struct call *call)
{
	complaints_list(call, &complaints_list_pages[DB_LIST_AGENT_OVERDUE]);
}

void complaints_unassigned(struct call *call)
{
	complaints_list(call, &complaints_list_pages[DB_LIST_UNASSIGNED]);
}

void complaints_reopened(struct call *call)
{
	complaints_list(call, &complaints_list_pages[DB_LIST_REOPENED]);
}

/* The complaint of the "{id}" capture that the caller may see, or an answer written. */
bool complaints_load(struct call *call, struct db_complaint *complaint)
{
	int64_t id = complaints_id(call->captures[0]);
	enum db_status status =
		id == 0 ? DB_NOT_FOUND : db_complaint_get(call->app->db, call->request->arena, call->session, id, complaint);
	if (status == DB_NOT_FOUND) {
		render_error(call, 404, "There is no complaint at this address.");
		return false;
	}
	if (status != DB_OK) {
		render_error(call, 503, complaints_database_down);
		return false;
	}
	return true;
}

void complaints_page(struct call *call)
{
	struct db_complaint complaint;
	int64_t id = complaints_id(call->captures[0]);
	enum db_status status =
		id == 0 ? DB_NOT_FOUND : db_complaint_get(call->app->db, call->request->arena, call->session, id, &complaint);
	/* Someone else's complaint: its restricted page to a follower, or to the reporter of a duplicate. */
	if (status == DB_NOT_FOUND && id != 0 && nearby_glimpse_page(call, id))
		return;
	if (status != DB_OK) {
		render_error(call, status == DB_NOT_FOUND ? 404 : 503,
		             status == DB_NOT_FOUND ? "There is no complaint at this address." : complaints_database_down);
		return;
	}
	struct json_object *data = json_object_new_object();
	if (data != NULL) {
		json_object_object_add(data, "id", json_object_new_int64(complaint.id));
		if (complaint.image_key != NULL)
			json_object_object_add(data, "has_photo", json_object_new_boolean(1));
	}
	workflow_page_fill(call, &complaint, data);
	complaints_add_string(data, "category", complaint.category);
	complaints_add_string(data, "status", complaint.status);
	complaints_add_string(data, "status_label", complaints_label(complaint.status));
	complaints_add_string(data, "description", complaint.description);
	complaints_add_string(data, "address", complaint.address);
	complaints_add_string(data, "lat", complaint.lat);
	complaints_add_string(data, "lon", complaint.lon);
	complaints_add_string(data, "created_at", render_time(call, complaint.created_at));
	complaints_add_string(data, "due_at", render_time(call, complaint.due_at));
	/* Held until its reporter confirms their address: they are told why nobody has it yet, and
	 * where a new link is sent; staff who open it by its number see the same line without that. */
	if (complaint.held_since != NULL) {
		json_object_object_add(data, "held", json_object_new_boolean(1));
		if (complaint.reporter_id == call->session->account_id)
			json_object_object_add(data, "held_mine", json_object_new_boolean(1));
	}
	if (complaint.lat != NULL)
		render_add_map(call, data, complaint.lat, complaint.lon, false);
	nearby_add_full(call, &complaint, data);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, complaint.category, "complaint", data);
}

/* A stored photo by its key, from the S3 set (s3.get: a replica without it is absent, the next is
 * asked). Its key is its content hash, so it is its own strong ETag and never changes: a browser
 * revalidating gets 304 without a trip to S3. "no-cache": the browser asks each time, so that on a
 * shared computer a photo is shown only to a session allowed to see it (and sign-out clears the
 * cache). */
void complaints_photo_send(struct call *call, const char *key)
{
	static const char *const image_types[] = {"image/jpeg", "image/png", "image/webp"};
	struct storage_object object;
	char etag[STORAGE_KEY_SIZE + 2];
	snprintf(etag, sizeof(etag), "\"%s\"", key);
	response_header(call->response, "Cache-Control", "private, no-cache");
	response_header(call->response, "ETag", etag);
	const char *match = request_param(call->request, "HTTP_IF_NONE_MATCH");
	if (match != NULL && strstr(match, etag) != NULL) {
		response_body(call->response, 304, NULL, NULL, 0);
		return;
	}
	enum storage_status status = storage_get(call->app->storage, call->request->arena, key, &object);
	if (status != STORAGE_OK) {
		render_error(call, status == STORAGE_NOT_FOUND ? 404 : 503,
		             status == STORAGE_NOT_FOUND ? "This photo is missing." : "The photo cannot be loaded right now.");
		return;
	}
	const char *type = "application/octet-stream";
	for (size_t i = 0; i < sizeof(image_types) / sizeof(image_types[0]); i++)
		if (strcmp(object.content_type, image_types[i]) == 0)
			type = image_types[i];
	response_body(call->response, 200, type, (const char *)object.bytes, object.len);
}

/* The photo filed with the complaint. */
void complaints_photo(struct call *call)
{
	struct db_complaint complaint;
	if (!complaints_load(call, &complaint))
		return;
	if (complaint.image_key == NULL) {
		render_error(call, 404, "This complaint has no photo.");
		return;
	}
	complaints_photo_send(call, complaint.image_key);
}
