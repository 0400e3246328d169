/*
 * workflow.c: a complaint's changes as its page offers them (see workflow.h). Who may do what is
 * core/workflow.c's table: the page lists the rows its caller may take, and the POST judges the
 * same row again against the complaint as it is now, then has store/db_complaints.c make it as one
 * transaction that names the version the page showed. A refusal changes nothing and says why:
 * 404 to whoever may not see the complaint, 403 for an action of someone else's, 409 for one the
 * complaint's state does not allow or a page that is out of date, 422 for a missing field.
 *
 * A resolve may carry a photo of the fix, taken as a filing's photo is (web/complaints.c): cleaned,
 * then stored on the S3 set under its content hash, and only then the change, whose public update
 * points at it; a photo refused or not stored changes nothing. A change that loses the version
 * race leaves the stored photo an orphan object, as a filing the database refused does: harmless,
 * content-addressed, reused by the next upload of the same bytes. The photo is served by its
 * update, to whoever may see the complaint and that update (never an internal note's to a resident).
 */
#include "web/workflow.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "core/text.h"
#include "core/workflow.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_complaints.h"
#include "store/storage.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

#define WORKFLOW_REASON_CHARS_MAX 1000   /* status_track.reason VARCHAR(1000) */
#define WORKFLOW_NOTE_CHARS_MAX 4000     /* updates.body VARCHAR(4000) */

static const char workflow_database_down[] =
	"The service cannot reach its database right now. Nothing was changed; please try again in a moment.";
static const char workflow_not_an_agent[] = "Please choose an active agent (not the one it is assigned to now).";

/* What each action's form asks for, and its button. */
static const struct {
	enum workflow_action action;
	const char *button;
	const char *reason_label;     /* NULL: no reason field */
	bool choose_agent, choose_rejection, rating;
	bool photo;                   /* an optional photo (a multipart form) */
} workflow_forms[] = {
	{WORKFLOW_ASSIGN, "Assign", NULL, true, false, false, false},
	{WORKFLOW_REASSIGN, "Reassign", NULL, true, false, false, false},
	{WORKFLOW_ACCEPT, "Accept", NULL, false, false, false, false},
	{WORKFLOW_DECLINE, "Decline", "Why you decline (staff only)", false, false, false, false},
	{WORKFLOW_RESOLVE, "Mark resolved", "What was done (the resident reads this)", false, false, false, true},
	{WORKFLOW_CONFIRM, "Yes, it is fixed", NULL, false, false, true, false},
	{WORKFLOW_REOPEN, "No, it is not fixed", "What is still wrong", false, false, false, false},
	{WORKFLOW_REJECT, "Reject", "Why (the resident reads this)", false, true, false, false},
	{WORKFLOW_WITHDRAW, "Withdraw my complaint", NULL, false, false, false, false},
	{WORKFLOW_UNASSIGN, "Put back in the queue", "Why (staff only)", false, false, false, false},
};

/* What the caller is to this complaint, as the table's actor bits. */
static unsigned workflow_actors(const struct call *call, const struct db_complaint *complaint)
{
	unsigned actors = 0;
	if (complaint->reporter_id == call->session->account_id)
		actors |= WORKFLOW_REPORTER;
	if (call->session->role == ACCOUNT_AGENT && complaint->assigned_agent_id == call->session->account_id)
		actors |= WORKFLOW_AGENT;
	if (call->session->role == ACCOUNT_ADMIN)
		actors |= WORKFLOW_ADMIN;
	return actors;
}

/* Whether the caller sees the staff's side: internal notes and reasons. */
static bool workflow_staff(unsigned actors)
{
	return (actors & (WORKFLOW_AGENT | WORKFLOW_ADMIN)) != 0;
}

/* Whether an action's reason may be shown to the resident (by the table's rows of that action). */
static bool workflow_reason_public(const char *stored_action)
{
	enum workflow_action action;
	if (!workflow_action_parse(stored_action, &action))
		return true;  /* submit, start, close: rows before the table, all public */
	for (size_t i = 0; i < workflow_table_count; i++)
		if (workflow_table[i].action == action)
			return workflow_table[i].reason_public;
	return false;
}

static void workflow_add_timeline(struct call *call, const struct db_complaint *complaint, bool staff,
                                  struct json_object *data)
{
	struct json_object *timeline = json_object_new_array();
	for (size_t i = 0; timeline != NULL && i < complaint->timeline_count; i++) {
		const struct db_status_entry *row = &complaint->timeline[i];
		struct json_object *entry = json_object_new_object();
		complaints_add_string(entry, "at", render_time(call, row->at));
		complaints_add_string(entry, "label", complaints_label(row->action));
		if (staff || workflow_reason_public(row->action))
			complaints_add_string(entry, "reason", row->reason);
		if (staff)
			/* No actor: the timer's auto_close, or auto-assignment's assign ("automatic"). */
			complaints_add_string(entry, "actor", row->actor != NULL                ? row->actor
			                                      : strcmp(row->action, "assign") == 0 ? "automatic"
			                                                                           : "the system");
		json_object_array_add(timeline, entry);
	}
	json_object_object_add(data, "timeline", timeline);
}

static void workflow_add_updates(struct call *call, const struct db_complaint *complaint, bool staff,
                                 struct json_object *data)
{
	char path[96];
	struct json_object *updates = json_object_new_array();
	for (size_t i = 0; updates != NULL && i < complaint->update_count; i++) {
		const struct db_update *update = &complaint->updates[i];
		if (update->internal && !staff)
			continue;  /* the store filters them already; never render one to a resident */
		struct json_object *entry = json_object_new_object();
		complaints_add_string(entry, "at", render_time(call, update->at));
		complaints_add_string(entry, "author", update->author);
		complaints_add_string(entry, "body", update->body);
		if (update->image_key != NULL) {
			snprintf(path, sizeof(path), "/complaints/%lld/updates/%lld/photo", (long long)complaint->id,
			         (long long)update->id);
			complaints_add_string(entry, "photo_path", path);
		}
		if (update->internal)
			json_object_object_add(entry, "internal", json_object_new_boolean(1));
		json_object_array_add(updates, entry);
	}
	json_object_object_add(data, "updates", updates);
}

/* The select of active agents with their open complaints. */
static struct json_object *workflow_agent_options(struct call *call, int64_t current)
{
	struct db_agent agents[DB_AGENTS_MAX];
	size_t count = 0;
	if (db_agents_active(call->app->db, call->request->arena, call->session, agents, DB_AGENTS_MAX, &count) != DB_OK)
		return NULL;
	struct json_object *options = json_object_new_array();
	for (size_t i = 0; options != NULL && i < count; i++) {
		if (agents[i].id == current)
			continue;
		struct json_object *option = json_object_new_object();
		json_object_object_add(option, "id", json_object_new_int64(agents[i].id));
		complaints_add_string(option, "name", agents[i].name);
		json_object_object_add(option, "open_count", json_object_new_int64(agents[i].open_count));
		json_object_array_add(options, option);
	}
	return options;
}

static void workflow_add_forms(struct call *call, const struct db_complaint *complaint, unsigned actors,
                               struct json_object *data)
{
	enum workflow_state state;
	struct json_object *forms = json_object_new_array();
	if (forms == NULL || !workflow_state_parse(complaint->status, &state))
		goto out;
	for (size_t i = 0; i < sizeof(workflow_forms) / sizeof(workflow_forms[0]); i++) {
		const struct workflow_transition *row = NULL;
		if (workflow_judge(state, workflow_forms[i].action, actors, true, complaint->agent_active, &row) != WORKFLOW_ALLOWED)
			continue;
		struct json_object *form = json_object_new_object();
		complaints_add_string(form, "action", workflow_action_name(row->action));
		complaints_add_string(form, "button", workflow_forms[i].button);
		complaints_add_string(form, "reason_label", workflow_forms[i].reason_label);
		if (workflow_forms[i].choose_agent) {
			json_object_object_add(form, "choose_agent", json_object_new_boolean(1));
			json_object_object_add(form, "agents", workflow_agent_options(call, complaint->assigned_agent_id));
		}
		if (workflow_forms[i].choose_rejection)
			json_object_object_add(form, "choose_rejection", json_object_new_boolean(1));
		if (workflow_forms[i].rating)
			json_object_object_add(form, "rating", json_object_new_boolean(1));
		if (workflow_forms[i].photo)
			json_object_object_add(form, "photo", json_object_new_boolean(1));
		json_object_array_add(forms, form);
	}
out:
	json_object_object_add(data, "forms", forms);
}

void workflow_page_fill(struct call *call, const struct db_complaint *complaint, struct json_object *data)
{
	enum workflow_state state = WORKFLOW_SUBMITTED;
	if (data == NULL)
		return;
	unsigned actors = workflow_actors(call, complaint);
	bool staff = workflow_staff(actors);
	workflow_state_parse(complaint->status, &state);
	complaints_add_string(data, "status_sentence", workflow_resident_sentence(state, complaint->closing_reason));
	if (complaint->duplicate_of_id != 0)
		json_object_object_add(data, "duplicate_of", json_object_new_int64(complaint->duplicate_of_id));
	if (complaint->reopened_at != NULL && staff)
		complaints_add_string(data, "reopened_at", render_time(call, complaint->reopened_at));
	json_object_object_add(data, "version", json_object_new_int64(complaint->version));
	json_object_object_add(data, "staff", json_object_new_boolean(staff));
	workflow_add_timeline(call, complaint, staff, data);
	workflow_add_updates(call, complaint, staff, data);
	workflow_add_forms(call, complaint, actors, data);
	complaints_add_string(data, "status_csrf", auth_session_csrf_token(call, "/complaints/{id}/status"));
	if (staff)
		complaints_add_string(data, "notes_csrf", auth_session_csrf_token(call, "/complaints/{id}/notes"));
}

/* A form field trimmed (arena), "" when absent. */
static const char *workflow_field(struct call *call, const char *name)
{
	return text_trimmed(call->request->arena, fields_value(&call->request->form, name));
}

/* A positive integer field, or 0. */
static int64_t workflow_number(struct call *call, const char *name)
{
	return complaints_id(workflow_field(call, name));
}

/* The version field (what the page showed), or -1 when it is not a number. */
static int64_t workflow_version(struct call *call)
{
	const char *text = workflow_field(call, "version");
	char *end = NULL;
	if (text[0] < '0' || text[0] > '9' || strlen(text) > 15)
		return -1;
	long long version = strtoll(text, &end, 10);
	return *end == '\0' ? (int64_t)version : -1;
}

/* The fields of the move the row needs beyond the reason; a refusal's status and sentence. */
static int workflow_move_fields(struct call *call, const struct db_complaint *complaint, struct db_move *move,
                                const char **message)
{
	enum db_status status = DB_OK;
	switch (move->row->action) {
	case WORKFLOW_ASSIGN:
	case WORKFLOW_REASSIGN:
		/* Whether the chosen agent is active is the UPDATE's own test (db_complaint_move), not a
		 * read before it: a move it refuses is told apart afterwards (workflow_change). */
		move->agent_id = workflow_number(call, "agent");
		if (move->agent_id == 0 || move->agent_id == complaint->assigned_agent_id) {
			*message = workflow_not_an_agent;
			return 422;
		}
		return 0;
	case WORKFLOW_REJECT:
		move->closing_reason = workflow_field(call, "closing_reason");
		if (!workflow_rejection_parse(move->closing_reason)) {
			*message = "Please choose why it is rejected.";
			return 422;
		}
		if (strcmp(move->closing_reason, "duplicate") != 0)
			return 0;
		move->duplicate_of_id = workflow_number(call, "duplicate_of");
		status = move->duplicate_of_id == 0 || move->duplicate_of_id == complaint->id
		                 ? DB_NOT_FOUND
		                 : db_complaint_exists(call->app->db, call->request->arena, call->session,
		                                       move->duplicate_of_id);
		if (status != DB_OK) {
			*message = "A duplicate needs the number of another complaint that exists.";
			return status == DB_NOT_FOUND ? 422 : 503;
		}
		return 0;
	case WORKFLOW_RESOLVE:
		move->update_body = move->reason;
		return 0;
	case WORKFLOW_CONFIRM:
		move->rating = (int)workflow_number(call, "rating");
		move->comment = workflow_field(call, "comment");
		if (move->comment[0] == '\0')
			move->comment = NULL;
		if (move->rating < 1 || move->rating > 5) {
			*message = "Please give a rating from 1 to 5.";
			return 422;
		}
		if (move->comment != NULL && text_characters(move->comment, true) > 2000) {
			*message = "Your comment is too long: at most 2,000 characters.";
			return 422;
		}
		return 0;
	default:
		return 0;
	}
}

/* The optional photo of a form that offers one (the resolve's photo of the fix), cleaned and stored
 * as a filing's photo is: 0 with move->update_image_key and its repairs set (or no photo given),
 * else a refusal's status and sentence, nothing changed. */
static int workflow_fix_photo(struct call *call, struct db_move *move, struct complaints_stored_photo *stored,
                              const char **message)
{
	struct photo photo = {0};
	int status = 0;
	const struct field *file = fields_find(&call->request->form, "photo");
	if (file == NULL || file->filename == NULL || (file->value_len == 0 && !file->over_limit))
		return 0;
	enum photo_status cleaned = complaints_photo_clean(call, file, &photo, message);
	if (cleaned != PHOTO_OK) {
		/* The sentence says what is wrong with the photo; nothing was resolved. */
		const char *why = *message != NULL ? *message : "This photo cannot be used.";
		size_t size = strlen(why) + 96;
		char *text = arena_alloc(call->request->arena, size);
		if (text != NULL)
			snprintf(text, size, "%s The complaint was not marked resolved.", why);
		*message = text != NULL ? text : why;
		status = cleaned == PHOTO_NO_MEMORY ? 503 : 422;
		goto out;
	}
	if (complaints_photo_store(call, &photo, stored) != STORAGE_OK) {
		*message = "The photo could not be stored just now, so the complaint was not marked resolved. Please send "
		           "the form again in a moment.";
		status = 503;
		goto out;
	}
	move->update_image_key = stored->key;
	move->repair_replicas = stored->repairs;
	move->repair_count = stored->repair_count;
out:
	photo_free(&photo);
	return status;
}

void workflow_change(struct call *call)
{
	struct complaints_stored_photo stored;
	struct db_complaint complaint;
	struct db_move move = {0};
	enum workflow_state state;
	enum workflow_action action;
	const char *message = NULL;
	int status = 0;
	if (!complaints_load(call, &complaint))
		return;
	if (!workflow_action_parse(fields_value(&call->request->form, "action"), &action) ||
	    !workflow_state_parse(complaint.status, &state)) {
		render_error(call, 400, "There is no such action.");
		return;
	}
	const char *reason = text_newlines(call->request->arena, workflow_field(call, "reason"));
	long reason_chars = text_characters(reason, true);
	if (reason_chars < 0 || reason_chars > WORKFLOW_REASON_CHARS_MAX) {
		render_error(call, 422, "The reason is too long (at most 1,000 characters) or has characters that cannot be shown.");
		return;
	}
	enum workflow_verdict verdict =
		workflow_judge(state, action, workflow_actors(call, &complaint), reason_chars > 0, complaint.agent_active,
		               &move.row);
	if (verdict != WORKFLOW_ALLOWED) {
		static const int statuses[] = {[WORKFLOW_WRONG_STATE] = 409, [WORKFLOW_WRONG_ACTOR] = 403,
		                               [WORKFLOW_NO_REASON] = 422};
		render_error(call, statuses[verdict], workflow_refusal(verdict));
		return;
	}
	move.complaint_id = complaint.id;
	move.version = workflow_version(call);
	move.actor_id = call->session->account_id;
	move.reason = reason_chars > 0 ? reason : NULL;
	move.admin_log = (move.row->who & WORKFLOW_ADMIN) != 0;
	status = workflow_move_fields(call, &complaint, &move, &message);
	for (size_t i = 0; status == 0 && i < sizeof(workflow_forms) / sizeof(workflow_forms[0]); i++)
		if (workflow_forms[i].action == action && workflow_forms[i].photo)
			status = workflow_fix_photo(call, &move, &stored, &message);
	if (status != 0) {
		render_error(call, status, message);
		return;
	}
	bool moved = false;
	enum db_status written = db_complaint_move(call->app->db, call->session, &move, &moved);
	if (written != DB_OK) {
		render_error(call, 503, workflow_database_down);
		return;
	}
	if (!moved) {
		/* An assignment's UPDATE also refuses an agent who is not active: which of the two it was. */
		enum db_status agent = move.row->agent == WORKFLOW_AGENT_CHOSEN
		                               ? db_agent_active(call->app->db, call->request->arena, call->session,
		                                                 move.agent_id, NULL)
		                               : DB_OK;
		if (agent != DB_OK) {
			render_error(call, agent == DB_NOT_FOUND ? 422 : 503,
			             agent == DB_NOT_FOUND ? workflow_not_an_agent : workflow_database_down);
			return;
		}
		render_error(call, 409,
		             "Someone changed this complaint since your page showed it, so nothing was done. Reload the page "
		             "to see it as it is now.");
		return;
	}
	log_info("workflow: account %lld: complaint %lld %s -> %s (%s%s)", (long long)call->session->account_id,
	         (long long)complaint.id, complaint.status, workflow_state_name(move.row->to),
	         workflow_action_name(action), move.update_image_key != NULL ? ", with a photo" : "");
	char location[64];
	/* An agent who declined no longer sees it: back to their console. */
	if (action == WORKFLOW_DECLINE)
		snprintf(location, sizeof(location), "/agent");
	else
		snprintf(location, sizeof(location), "/complaints/%lld", (long long)complaint.id);
	response_redirect(call->response, 303, location);
}

void workflow_note(struct call *call)
{
	struct db_complaint complaint;
	if (!complaints_load(call, &complaint))
		return;
	unsigned actors = workflow_actors(call, &complaint);
	if (!workflow_staff(actors)) {
		render_error(call, 403, "Only the complaint's agent and admins add updates here.");
		return;
	}
	const char *body = text_newlines(call->request->arena, workflow_field(call, "body"));
	long chars = text_characters(body, true);
	if (chars <= 0 || chars > WORKFLOW_NOTE_CHARS_MAX) {
		render_error(call, 422, "Please write the update: 1 to 4,000 characters.");
		return;
	}
	bool internal = strcmp(workflow_field(call, "internal"), "1") == 0;
	if (db_complaint_note(call->app->db, call->session, complaint.id, internal, body,
	                      (actors & WORKFLOW_ADMIN) != 0) != DB_OK) {
		render_error(call, 503, workflow_database_down);
		return;
	}
	char location[64];
	snprintf(location, sizeof(location), "/complaints/%lld", (long long)complaint.id);
	response_redirect(call->response, 303, location);
}

void workflow_update_photo(struct call *call)
{
	struct db_complaint complaint;
	if (!complaints_load(call, &complaint))
		return;
	bool staff = workflow_staff(workflow_actors(call, &complaint));
	int64_t id = complaints_id(call->captures[1]);
	for (size_t i = 0; id != 0 && i < complaint.update_count; i++) {
		const struct db_update *update = &complaint.updates[i];
		/* The store reads internal notes for staff only; never serve one's photo to anyone else. */
		if (update->id != id || (update->internal && !staff))
			continue;
		if (update->image_key == NULL)
			break;
		complaints_photo_send(call, update->image_key);
		return;
	}
	render_error(call, 404, "There is no photo at this address.");
}
