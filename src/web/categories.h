/*
 * categories.h: the admin's categories page: every category, offered or not, with its target time
 * to resolve and its auto-assignment pool; adding one, and renaming, reordering, retargeting,
 * deactivating (never deleting) one.
 */
#ifndef WEB_CATEGORIES_H
#define WEB_CATEGORIES_H

struct call;

/* GET /admin/categories (?saved=ID: a notice for that category). */
void categories_page(struct call *call);
/* POST /admin/categories: code, name, target, sort_order. */
void categories_add(struct call *call);
/* POST /admin/categories/{id}: name, target, sort_order, active, pool (agent ids, repeated). */
void categories_edit(struct call *call);

#endif
