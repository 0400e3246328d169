/*
 * queue.h: the admin's console over every complaint: the queue (GET /admin) with its filters,
 * capped counts and keyset pager, bulk assignment of the selected complaints (POST
 * /admin/bulk-assign) and the CSV export of the current filter (GET /admin/export.csv).
 */
#ifndef WEB_QUEUE_H
#define WEB_QUEUE_H

struct call;

void queue_page(struct call *call);
void queue_bulk_assign(struct call *call);
void queue_export(struct call *call);

#endif
