/*
 * db_optouts.h: the kinds of mail an account switched off (notification_optouts, migration 0012):
 * the change of the /account form, and the one-click link's "switch this one off". The account
 * page reads them with the account (store/db_accounts.c), the outbox inside each event's
 * transaction (db_outbox.c). Which kinds may be switched off at all is core/optout.c's table; these
 * statements trust their caller on that.
 */
#ifndef DB_OPTOUTS_H
#define DB_OPTOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct db_session;

#define DB_OPTOUTS_MAX 16

/* One switch of the /account form. */
struct db_optout_switch {
	const char *kind;
	bool on;
};

/* The session's account's switches, as one transaction (count at most DB_OPTOUTS_MAX): a kind
 * switched on loses its row, one switched off gets one. */
enum db_status db_optouts_set(struct db *db, struct db_session *session, const struct db_optout_switch *switches,
                              size_t count);

/* The one-click link: kind off for account_id, without a session. Repeating it changes nothing;
 * an account that no longer exists gets no row. */
enum db_status db_optouts_switch_off(struct db *db, int64_t account_id, const char *kind);

#endif
