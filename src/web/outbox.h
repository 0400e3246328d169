/*
 * outbox.h: the admins' view of the outbox: the messages that failed for good (whom, which kind,
 * how often tried, the last error; never a body), each with a "send again".
 */
#ifndef WEB_OUTBOX_H
#define WEB_OUTBOX_H

struct call;

/* GET /admin/notifications: the failed messages, newest first. */
void outbox_failed_page(struct call *call);
/* POST /admin/notifications/{id}/retry: that failed message pending again, from attempt zero. */
void outbox_retry(struct call *call);

#endif
