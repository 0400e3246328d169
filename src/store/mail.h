/*
 * mail.h: mail through the [smtp] replica set (librepl's smtp.send over libcurl's SMTP): the
 * backend, its credentials from the secrets file, and sending one composed message.
 */
#ifndef STORE_MAIL_H
#define STORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct secrets;
struct mail;
struct repl_stats;

enum mail_send_status {
	MAIL_SEND_OK = 0,
	MAIL_SEND_FAILED,        /* no relay took it (down, refused for now, no TLS): try again later */
	MAIL_SEND_REFUSED,       /* a relay refused the message itself (5xx) */
	MAIL_SEND_NOT_CONFIGURED,
};

/* The [smtp] backend (unconfigured when it has no replicas); NULL with error on failure. */
struct mail *mail_new(const struct config *config, const struct secrets *secrets, char *error, size_t error_size);
void mail_free(struct mail *mail);
bool mail_configured(const struct mail *mail);
/* The process's own client (after fork). 0, or -1 with error. */
int mail_worker_start(struct mail *mail, struct repl_stats *stats, char *error, size_t error_size);
void mail_worker_stop(struct mail *mail);
/* The envelope sender ([smtp] from). */
const char *mail_from(const struct mail *mail);

/* Sends data (a whole message, CRLF lines) to one recipient under smtp.send's policy. On failure
 * error says, per attempt, which relay answered what ("r1: connect; r2: reply 451"): never a
 * credential. */
enum mail_send_status mail_send(struct mail *mail, const char *to, const char *data, size_t len, char *error,
                                size_t error_size);

#endif
