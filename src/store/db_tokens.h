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
 * password_changed_at, and its sessions ended; and, since the link came by mail, the address
 * confirmed as db_tokens_confirm_email does. *used false: the token was unknown, used, expired
 * or its account disabled (maybe a moment ago, by another request): nothing was written. */
enum db_status db_tokens_set_password(struct db *db, enum linktoken_purpose purpose,
                                      const uint8_t token_hash[TOKEN_HASH_SIZE], const char *password_hash,
                                      bool *used);

/* Mints a link: the tokens row of purpose for account_id with that hash, valid lifetime_ms from
 * now, in one transaction with the removal of the account's earlier unused tokens of the same
 * purpose (a newer link voids the older: those links are unknown from now on). The notifier calls
 * it just before it sends the mail that carries the link. */
enum db_status db_tokens_mint(struct db *db, enum linktoken_purpose purpose, int64_t account_id,
                              const uint8_t token_hash[TOKEN_HASH_SIZE], long long lifetime_ms);

/* Uses an address-confirmation token up, in one transaction: the account's email_confirmed_at set
 * (kept when it was set already) and its held complaints released to the queue. *used false:
 * unknown, used, expired or disabled; nothing written. */
enum db_status db_tokens_confirm_email(struct db *db, const uint8_t token_hash[TOKEN_HASH_SIZE], bool *used);

#endif
