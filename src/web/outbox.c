/*
 * outbox.c: the admins' list of failed messages and their "send again" (see outbox.h).
 */
#include "outbox.h"

#include <json-c/json.h>

#include "app.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_outbox.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

static const char outbox_database_down[] =
	"The service cannot reach its database right now. Please try again in a moment.";

void outbox_failed_page(struct call *call)
{
	struct db_failed_notification items[DB_FAILED_LIST_MAX];
	size_t count = 0;
	if (db_outbox_failed_list(call->app->db, call->request->arena, items, DB_FAILED_LIST_MAX, &count) != DB_OK) {
		render_error(call, 503, outbox_database_down);
		return;
	}
	struct json_object *data = json_object_new_object();
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; data != NULL && list != NULL && i < count; i++) {
		struct json_object *item = json_object_new_object();
		if (item == NULL)
			break;
		json_object_object_add(item, "id", json_object_new_int64(items[i].id));
		if (items[i].complaint_id != 0)
			json_object_object_add(item, "complaint_id", json_object_new_int64(items[i].complaint_id));
		complaints_add_string(item, "kind", items[i].kind);
		complaints_add_string(item, "recipient", items[i].recipient);
		json_object_object_add(item, "attempts", json_object_new_int64(items[i].attempts));
		complaints_add_string(item, "last_error", items[i].last_error);
		complaints_add_string(item, "created_at", render_time(call, items[i].created_at));
		json_object_array_add(list, item);
	}
	if (data != NULL) {
		json_object_object_add(data, "messages", list);
		json_object_object_add(data, "empty", json_object_new_boolean(count == 0));
		complaints_add_string(data, "retry_csrf", auth_session_csrf_token(call, "/admin/notifications/{id}/retry"));
	} else {
		json_object_put(list);
	}
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Failed messages", "notifications", data);
}

void outbox_retry(struct call *call)
{
	int64_t id = complaints_id(call->captures[0]);
	bool found = false;
	enum db_status status = id == 0 ? DB_OK : db_outbox_retry(call->app->db, call->session->account_id, id, &found);
	if (status != DB_OK) {
		render_error(call, 503, outbox_database_down);
		return;
	}
	if (!found) {
		render_error(call, 404, "There is no failed message at this address (it may have been sent again already).");
		return;
	}
	response_redirect(call->response, 303, "/admin/notifications");
}
