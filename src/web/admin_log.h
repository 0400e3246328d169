/*
 * admin_log.h: the admin log's page: what admins did (assignments, rejections, invitations,
 * disabled accounts, category changes, bulk actions...), newest first, filtered by admin, action
 * and target, in keyset pages.
 */
#ifndef WEB_ADMIN_LOG_H
#define WEB_ADMIN_LOG_H

struct call;

/* GET /admin/log?admin=ID&action=NAME&target=complaint|account|category&target_id=N&after=AT,ID */
void admin_log_page(struct call *call);

#endif
