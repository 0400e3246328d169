/*
 * home.c: the public landing page: what the service does and where to start.
 */
#include "home.h"

#include <json-c/json.h>

#include "app.h"
#include "response.h"
#include "web/call.h"
#include "web/render.h"

void home_page(struct call *call)
{
	struct json_object *data = json_object_new_object();
	if (data != NULL)
		json_object_object_add(data, "signed_in", json_object_new_boolean(call->session != NULL));
	response_header(call->response, "Cache-Control", "no-cache");
	render_page(call, 200, "Report a problem in your city", "home", data);
}
