/*
 * throttle.c: the sign-in throttling rules (see throttle.h) — growing delays per scope, the lock of
 * a pair, the cap on what the email alone may impose.
 */
#include "core/throttle.h"

#include <sodium.h>
#include <string.h>

static const char *const throttle_scope_names[THROTTLE_SCOPES] = {
	[THROTTLE_PAIR] = "pair",
	[THROTTLE_ADDRESS] = "address",
	[THROTTLE_EMAIL] = "email",
};

const char *throttle_scope_name(enum throttle_scope scope)
{
	return scope < THROTTLE_SCOPES ? throttle_scope_names[scope] : "?";
}

int64_t throttle_delay_ms(const struct throttle_rule *rule, unsigned failures)
{
	if (failures <= rule->free_failures || rule->first_delay_ms <= 0)
		return 0;
	int64_t delay = rule->first_delay_ms;
	for (unsigned extra = failures - rule->free_failures - 1; extra > 0 && delay < rule->max_delay_ms; extra--)
		delay *= 2;
	return delay < rule->max_delay_ms ? delay : rule->max_delay_ms;
}

struct throttle_verdict throttle_judge(const struct throttle_policy *policy,
                                       const struct throttle_count counts[THROTTLE_SCOPES], int64_t now_ms)
{
	struct throttle_verdict verdict = {.kind = THROTTLE_ALLOW};
	for (int scope = 0; scope < THROTTLE_SCOPES; scope++) {
		const struct throttle_rule *rule = &policy->rules[scope];
		const struct throttle_count *count = &counts[scope];
		if (count->failures == 0)
			continue;
		/* The email alone never locks, whatever the policy says: that would lock its owner out. A
		 * lock, once over, replaces the scope's delay: the next attempt is heard. */
		if (scope != THROTTLE_EMAIL && rule->lock_failures > 0 && count->failures >= rule->lock_failures) {
			if (now_ms < count->last_failure_ms + rule->lock_ms)
				return (struct throttle_verdict){THROTTLE_LOCKED, (enum throttle_scope)scope,
				                                 count->last_failure_ms + rule->lock_ms};
			continue;
		}
		if (now_ms - count->last_failure_ms > policy->window_ms)
			continue;
		int64_t delay = throttle_delay_ms(rule, count->failures);
		if (scope == THROTTLE_EMAIL && delay > THROTTLE_EMAIL_DELAY_CAP_MS)
			delay = THROTTLE_EMAIL_DELAY_CAP_MS;
		int64_t until = count->last_failure_ms + delay;
		if (until > now_ms && until > verdict.until_ms)
			verdict = (struct throttle_verdict){THROTTLE_WAIT, (enum throttle_scope)scope, until};
	}
	return verdict;
}

/* BLAKE2b over the scope's name and its parts, each ended by a NUL (no part holds one). */
static void throttle_hash(enum throttle_scope scope, const char *first, const char *second,
                          uint8_t out[THROTTLE_SUBJECT_SIZE])
{
	crypto_generichash_state state;
	const char *name = throttle_scope_name(scope);
	crypto_generichash_init(&state, NULL, 0, THROTTLE_SUBJECT_SIZE);
	crypto_generichash_update(&state, (const unsigned char *)name, strlen(name) + 1);
	crypto_generichash_update(&state, (const unsigned char *)first, strlen(first) + 1);
	if (second != NULL)
		crypto_generichash_update(&state, (const unsigned char *)second, strlen(second) + 1);
	crypto_generichash_final(&state, out, THROTTLE_SUBJECT_SIZE);
}

void throttle_subjects_make(const char *email, const char *address, struct throttle_subjects *out)
{
	char folded[256];
	size_t len = 0;
	for (; email != NULL && email[len] != '\0' && len + 1 < sizeof folded; len++)
		folded[len] = (char)(email[len] >= 'A' && email[len] <= 'Z' ? email[len] - 'A' + 'a' : email[len]);
	folded[len] = '\0';
	if (address == NULL)
		address = "";
	throttle_hash(THROTTLE_PAIR, folded, address, out->subject[THROTTLE_PAIR]);
	throttle_hash(THROTTLE_ADDRESS, address, NULL, out->subject[THROTTLE_ADDRESS]);
	throttle_hash(THROTTLE_EMAIL, folded, NULL, out->subject[THROTTLE_EMAIL]);
}
