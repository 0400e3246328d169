/*
 * linktoken.c: the purposes of single-use link tokens, their links and what a refused link says
 * (see linktoken.h).
 */
#include "linktoken.h"

#include <stdio.h>
#include <string.h>

#define LINKTOKEN_HOUR_MS (60LL * 60 * 1000)

/* {stored name, path, lifetime}, by purpose. */
static const struct {
	const char *stored;
	const char *path;
	long long lifetime_ms;
} linktoken_purposes[] = {
	[LINKTOKEN_AGENT_INVITE] = {"agent_invite", "/set-password", 24 * LINKTOKEN_HOUR_MS},
	[LINKTOKEN_PASSWORD_RESET] = {"password_reset", "/reset-password", 1 * LINKTOKEN_HOUR_MS},
	[LINKTOKEN_EMAIL_CONFIRM] = {"email_confirm", "/confirm-email", 72 * LINKTOKEN_HOUR_MS},
};

/* {state, status, sentence}: what a person who opens or posts a link reads. */
static const struct {
	int status;
	const char *sentence;
} linktoken_refusals[] = {
	[LINKTOKEN_VALID] = {200, ""},
	[LINKTOKEN_UNKNOWN] = {404, "This link is not valid. Check that you copied all of it, or ask for a new one."},
	[LINKTOKEN_USED] = {410, "This link was already used, and works only once. Sign in with the password you "
	                         "set, or ask for a new link."},
	[LINKTOKEN_EXPIRED] = {410, "This link has expired. Ask for a new one."},
	[LINKTOKEN_ACCOUNT_DISABLED] = {410, "This link no longer works: its account was disabled."},
};

static bool linktoken_known(enum linktoken_purpose purpose)
{
	return (size_t)purpose < sizeof(linktoken_purposes) / sizeof(linktoken_purposes[0]);
}

const char *linktoken_purpose_stored(enum linktoken_purpose purpose)
{
	return linktoken_known(purpose) ? linktoken_purposes[purpose].stored : "";
}

const char *linktoken_path(enum linktoken_purpose purpose)
{
	return linktoken_known(purpose) ? linktoken_purposes[purpose].path : "/";
}

long long linktoken_lifetime_ms(enum linktoken_purpose purpose)
{
	return linktoken_known(purpose) ? linktoken_purposes[purpose].lifetime_ms : 0;
}

void linktoken_duration_text(long long ms, char *out, size_t size)
{
	if (ms >= 2 * LINKTOKEN_HOUR_MS)
		snprintf(out, size, "%lld hours", ms / LINKTOKEN_HOUR_MS);
	else if (ms >= 2 * 60 * 1000)
		snprintf(out, size, "%lld minutes", ms / (60 * 1000));
	else
		snprintf(out, size, "%lld seconds", ms / 1000);
}

void linktoken_lifetime_text(enum linktoken_purpose purpose, char *out, size_t size)
{
	linktoken_duration_text(linktoken_lifetime_ms(purpose), out, size);
}

void linktoken_new(char text[TOKEN_TEXT_SIZE], uint8_t hash[TOKEN_HASH_SIZE])
{
	token_new(text);
	token_hash(text, TOKEN_TEXT_LEN, hash);
}

/* Whether origin is scheme://host[:port] with nothing a link could not carry as it is; *len is
 * its length without one trailing '/'. */
static bool linktoken_origin_ok(const char *origin, size_t *len)
{
	static const char host_bytes[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
	size_t scheme;
	if (origin == NULL)
		return false;
	if (strncmp(origin, "https://", 8) == 0)
		scheme = 8;
	else if (strncmp(origin, "http://", 7) == 0)
		scheme = 7;
	else
		return false;
	*len = strlen(origin);
	if (*len > scheme && origin[*len - 1] == '/')
		(*len)--;
	if (*len == scheme)
		return false;
	for (size_t i = scheme; i < *len; i++)
		if (strchr(host_bytes, origin[i]) == NULL)
			return false;
	return true;
}

enum linktoken_status linktoken_url(const char *origin, enum linktoken_purpose purpose, const char *text, char *out,
                                    size_t size)
{
	size_t len = 0;
	if (size > 0)
		out[0] = '\0';
	if (!linktoken_origin_ok(origin, &len) || !linktoken_known(purpose))
		return LINKTOKEN_BAD_ORIGIN;
	int written = snprintf(out, size, "%.*s%s?token=%s", (int)len, origin, linktoken_path(purpose), text);
	if (written < 0 || (size_t)written >= size) {
		if (size > 0)
			out[0] = '\0';
		return LINKTOKEN_TOO_LONG;
	}
	return LINKTOKEN_OK;
}

enum linktoken_state linktoken_judge(bool found, bool used, bool expired, bool disabled)
{
	if (!found)
		return LINKTOKEN_UNKNOWN;
	if (used)
		return LINKTOKEN_USED;
	if (expired)
		return LINKTOKEN_EXPIRED;
	if (disabled)
		return LINKTOKEN_ACCOUNT_DISABLED;
	return LINKTOKEN_VALID;
}

int linktoken_refusal(enum linktoken_state state, const char **sentence)
{
	if ((size_t)state >= sizeof(linktoken_refusals) / sizeof(linktoken_refusals[0]))
		state = LINKTOKEN_UNKNOWN;
	*sentence = linktoken_refusals[state].sentence;
	return linktoken_refusals[state].status;
}
