/*
 * workflow.h: the staff's and the reporter's actions on one complaint, over core/workflow.c's
 * table: the forms a complaint's page offers its caller (only the table's rows they may take),
 * the one POST that makes a change, and public updates and internal notes.
 */
#ifndef WEB_WORKFLOW_H
#define WEB_WORKFLOW_H

struct call;
struct db_complaint;
struct json_object;

/* Adds to a complaint page's data what its caller may see and do: the resident's sentence, the
 * timeline (internal reasons for staff only), the updates, and one form per allowed action. */
void workflow_page_fill(struct call *call, const struct db_complaint *complaint, struct json_object *data);

/* POST /complaints/{id}/status: action, version and what the action needs. */
void workflow_change(struct call *call);
/* POST /complaints/{id}/notes: body and, for staff, internal. */
void workflow_note(struct call *call);
/* GET /complaints/{id}/updates/{update_id}/photo: an update's photo (a resolve's photo of the fix),
 * for whoever may see the complaint and that update; 404 to anyone else. */
void workflow_update_photo(struct call *call);

#endif
