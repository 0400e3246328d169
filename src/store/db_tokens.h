/*
 * db_tokens.h: single-use link tokens (core/linktoken.h) in the tokens table, by the SHA-256 of
 * their text: what a link's page reads of one, and the POST that uses one up together with what
 * it does (a first password). Statements in db_tokens.c; always on the primary: a link is opened
 * right after it was made, and used once.
 */
#ifndef DB_TOKENS_H
#define DB_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/linktoken.h"
#include "store/db.h"

struct arena;

struct db_tokens_found {
	enum linktoken_state state;
	int64_t account_id;
	const char *name;            /* the account's (arena); NULL when unknown */
	const char *email;
};

/* The token of purpose with that hash, and its state (LINKTOKEN_UNKNOWN when there is none: still
 * DB_OK). Reads only: a GET of a link never uses it. */
enum db_status db_tokens_find(struct db *db, struct arena *arena, enum linktoken_purpose purpose,
                              const uint8_t token_hash[TOKEN_HASH_SIZE], struct db_tokens_found *out);

/* Uses the token up and sets its account's password, in one transaction: UPDATE tokens SET used_at
 * WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > now (and its account is
 * not disabled); only when that changed the row, the account's password hash and
 * password_changed_at, and its sessions ended. *used false: the token was unknown, used, expired
 * or its account disabled (maybe a moment ago, by another request): nothing was written. */
enum db_status db_tokens_set_password(struct db *db, enum linktoken_purpose purpose,
                                      const uint8_t token_hash[TOKEN_HASH_SIZE], const char *password_hash,
                                      bool *used);

#endif
