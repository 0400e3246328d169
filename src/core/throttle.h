/*
 * throttle.h: the rules of sign-in throttling, without I/O (OWASP ASVS 4.0, 2.2 anti-automation).
 *
 * Failed sign-ins are counted in three scopes: the pair (typed email, client address), the client
 * address, and the typed email alone. Each scope lets some failures pass freely, then makes the
 * next attempt wait a delay that doubles with each further failure, up to the scope's cap; the
 * pair alone is locked for a while once its failures reach the lock threshold. The email alone
 * never locks and waits at most THROTTLE_EMAIL_DELAY_CAP_MS, so nobody can lock an account's owner
 * out from elsewhere. Scopes are keyed by what was typed, not by the account found, so an unknown
 * email is throttled exactly like a known one: no answer tells them apart. Failures older than the
 * window are forgotten (the store restarts a count after a quiet window).
 */
#ifndef CORE_THROTTLE_H
#define CORE_THROTTLE_H

#include <stdint.h>

enum throttle_scope { THROTTLE_PAIR = 0, THROTTLE_ADDRESS, THROTTLE_EMAIL, THROTTLE_SCOPES };

/* The email alone never makes anyone wait longer than this. */
#define THROTTLE_EMAIL_DELAY_CAP_MS 30000

struct throttle_rule {
	unsigned free_failures;  /* failures before the first delay */
	int64_t first_delay_ms;  /* the delay after free_failures + 1 failures; doubled after each more */
	int64_t max_delay_ms;
	unsigned lock_failures;  /* failures that lock the scope; 0 = never */
	int64_t lock_ms;
};

struct throttle_policy {
	struct throttle_rule rules[THROTTLE_SCOPES];
	int64_t window_ms;  /* a count older than this (since its last failure) is forgotten */
};

/* One scope's record: its failures and the time of the last one (0 = none). */
struct throttle_count {
	unsigned failures;
	int64_t last_failure_ms;
};

enum throttle_verdict_kind { THROTTLE_ALLOW = 0, THROTTLE_WAIT, THROTTLE_LOCKED };

struct throttle_verdict {
	enum throttle_verdict_kind kind;
	enum throttle_scope scope;  /* the scope that decided (WAIT, LOCKED) */
	int64_t until_ms;           /* when the next attempt may come (WAIT, LOCKED) */
};

/* What each scope is keyed by, hashed (BLAKE2b, 16 bytes): neither the typed email nor the
 * address is stored in the clear. The email is compared without ASCII letter case. */
#define THROTTLE_SUBJECT_SIZE 16
struct throttle_subjects {
	uint8_t subject[THROTTLE_SCOPES][THROTTLE_SUBJECT_SIZE];
};
void throttle_subjects_make(const char *email, const char *address, struct throttle_subjects *out);

/* Whether an attempt at now_ms may go ahead: a lock first, then the longest wait of any scope. */
struct throttle_verdict throttle_judge(const struct throttle_policy *policy,
                                       const struct throttle_count counts[THROTTLE_SCOPES], int64_t now_ms);
/* The delay a rule imposes after failures failures (0 while they are free). */
int64_t throttle_delay_ms(const struct throttle_rule *rule, unsigned failures);
/* "pair", "address", "email": for logs. */
const char *throttle_scope_name(enum throttle_scope scope);

#endif
