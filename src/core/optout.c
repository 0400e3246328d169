/*
 * optout.c: the switchable kinds of mail and the signed one-click unsubscribe link (see optout.h).
 */
#include "optout.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(OPTOUT_MAC_TEXT_SIZE ==
                   sodium_base64_ENCODED_LEN(crypto_auth_hmacsha512256_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "OPTOUT_MAC_TEXT_SIZE fits the MAC as unpadded base64url and a NUL");

/* Every kind of core/mail.c's table a person may do without. Not here, so never switchable: the
 * security mails, whichever kinds they come as. */
const struct optout_kind optout_kinds[] = {
	{"filed", "We received a complaint you filed"},
	{"resolved", "A complaint of yours was resolved"},
	{"rejected", "A complaint of yours was rejected"},
	{"reopened", "A complaint of yours was reopened"},
	{"closed", "A complaint of yours was closed"},
	{"assigned", "A complaint was assigned to you (agents)"},
	{"reopened_agent", "A complaint you resolved was reopened (agents)"},
	{"followed_resolved", "A complaint you follow was resolved"},
	{"followed_rejected", "A complaint you follow was rejected"},
	{"followed_reopened", "A complaint you follow was reopened"},
	{"followed_closed", "A complaint you follow was closed"},
};

const size_t optout_kind_count = sizeof(optout_kinds) / sizeof(optout_kinds[0]);

static const char *const optout_status_names[] = {
	[OPTOUT_OK] = "ok",
	[OPTOUT_WEAK_KEY] = "no unsubscribe_key, or one shorter than 32 bytes",
	[OPTOUT_NOT_SWITCHABLE] = "this kind of mail cannot be switched off",
	[OPTOUT_BAD_MAC] = "the link's signature does not match",
	[OPTOUT_TOO_LONG] = "the link is too long",
};

const char *optout_strerror(enum optout_status status)
{
	if ((size_t)status < sizeof(optout_status_names) / sizeof(optout_status_names[0]))
		return optout_status_names[status];
	return "unknown status";
}

const struct optout_kind *optout_find(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < optout_kind_count; i++)
		if (strcmp(optout_kinds[i].kind, kind) == 0)
			return &optout_kinds[i];
	return NULL;
}

bool optout_shown(const struct optout_kind *kind, bool staff)
{
	const struct mail_kind *mail = mail_kind_find(kind->kind);
	return mail != NULL && (staff || mail->to != MAIL_TO_AGENT);
}

/* Separates these MACs from any other use of an HMAC; its NUL ends it. */
static const char optout_context[] = "complaintd unsubscribe link v1";

enum optout_status optout_mac(const char *key, int64_t account_id, const char *kind, char out[OPTOUT_MAC_TEXT_SIZE])
{
	uint8_t mac[crypto_auth_hmacsha512256_BYTES], id[8];
	crypto_auth_hmacsha512256_state state;
	out[0] = '\0';
	if (key == NULL || strlen(key) < OPTOUT_KEY_MIN)
		return OPTOUT_WEAK_KEY;
	if (optout_find(kind) == NULL)
		return OPTOUT_NOT_SWITCHABLE;
	/* Fixed-width fields before the kind, so no two (account, kind) pairs give the same input. */
	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)((uint64_t)account_id >> (56 - 8 * i));
	crypto_auth_hmacsha512256_init(&state, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha512256_update(&state, (const unsigned char *)optout_context, sizeof(optout_context));
	crypto_auth_hmacsha512256_update(&state, id, sizeof(id));
	crypto_auth_hmacsha512256_update(&state, (const unsigned char *)kind, strlen(kind));
	crypto_auth_hmacsha512256_final(&state, mac);
	sodium_bin2base64(out, OPTOUT_MAC_TEXT_SIZE, mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(&state, sizeof(state));
	sodium_memzero(mac, sizeof(mac));
	return OPTOUT_OK;
}

enum optout_status optout_check(const char *key, int64_t account_id, const char *kind, const char *sent)
{
	char expected[OPTOUT_MAC_TEXT_SIZE];
	enum optout_status status = optout_mac(key, account_id, kind, expected);
	if (status != OPTOUT_OK)
		return status;
	/* Lengths are public; the bytes are compared in constant time. */
	bool same = sent != NULL && strlen(sent) == OPTOUT_MAC_TEXT_LEN &&
	            sodium_memcmp(sent, expected, OPTOUT_MAC_TEXT_LEN) == 0;
	sodium_memzero(expected, sizeof(expected));
	return same ? OPTOUT_OK : OPTOUT_BAD_MAC;
}

enum optout_status optout_link(const char *key, const char *public_url, int64_t account_id, const char *kind,
                               char *out, size_t size)
{
	char mac[OPTOUT_MAC_TEXT_SIZE];
	enum optout_status status = optout_mac(key, account_id, kind, mac);
	if (size > 0)
		out[0] = '\0';
	if (status != OPTOUT_OK)
		return status;
	int n = snprintf(out, size, "%s" OPTOUT_PATH "?account=%lld&kind=%s&sig=%s", public_url, (long long)account_id,
	                 kind, mac);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			out[0] = '\0';
		return OPTOUT_TOO_LONG;
	}
	return OPTOUT_OK;
}

bool optout_parse_account(const char *text, int64_t *out)
{
	int64_t value = 0;
	if (text == NULL || text[0] < '1' || text[0] > '9' || strlen(text) > 18)
		return false;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		value = value * 10 + (*p - '0');
	}
	*out = value;
	return true;
}
