/*
 * backend.h: the one shape every backend of the app has: a replica set and its operations, each
 * under its own policy, all from one config section. The table in backend.c has a row per
 * backend (its section, where its replicas, timeouts and policies are in struct config, and per
 * operation its name, policy key, idempotence and classifier); the same rows serve the config
 * check at load (file and line of a bad policy, in one place) and the backend's setup at each
 * (re)load, so adding a backend (SNS, SMTP) is a row here plus its calls in a file of store/.
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "repl.h"

struct config;

/* The backends, each a row of backend_specs. */
enum backend_kind {
	BACKEND_DB,   /* [db]: the MariaDB primary, standby and replicas (store/db.c) */
	BACKEND_S3,   /* [s3]: the photo buckets (store/storage.c) */
	BACKEND_SMTP, /* [smtp]: the mail relays (store/mail.c) */
};

/* Operations of each backend, in its row's order: the index into struct backend's operations. */
enum backend_db_operation { BACKEND_DB_WRITE, BACKEND_DB_PRIMARY, BACKEND_DB_READ };
enum backend_s3_operation { BACKEND_S3_PUT, BACKEND_S3_GET };
enum backend_smtp_operation { BACKEND_SMTP_SEND };

#define BACKEND_OPERATIONS_MAX 4

struct backend_operation_spec {
	const char *name;            /* "db.write": the operation, its row in the replica statistics */
	const char *policy_key;      /* the section's key of its policy: "write" */
	size_t policy_offset;        /* that policy's text in struct config */
	bool idempotent;             /* may be repeated and run in parallel (par, hedge) */
	repl_classify_fn classify;
};

struct backend_spec {
	const char *section;         /* the config section, and the replica set's name */
	const char *client_name;     /* for messages: "database client: ..." */
	size_t replicas_offset;      /* in struct config: the replica list (char *) */
	size_t attempt_timeout_offset, deadline_offset;   /* in struct config (long long, ms) */
	const struct backend_operation_spec *operations;
	size_t operation_count;
};

/* A backend as a process holds it: parsed by the master at (re)load, its client opened by each
 * process that calls it (backend_worker_start), never inherited across fork. */
struct backend {
	const struct backend_spec *spec;
	bool configured;             /* the section has replicas */
	struct repl_set set;
	struct repl_policy *policies[BACKEND_OPERATIONS_MAX];
	struct repl_operation operations[BACKEND_OPERATIONS_MAX];
	struct repl_client *client;
};

/* Sets up kind's backend from config: the set and every operation's policy. A section without
 * replicas gives an unconfigured backend. 0, or -1 with error "[section] key: reason". */
int backend_init(struct backend *backend, enum backend_kind kind, const struct config *config, char *error,
                 size_t error_size);
/* Frees what backend_init made (and the client); safe after a failed init. */
void backend_release(struct backend *backend);
/* The process's own librepl client (stats may be NULL: not counted). 0, or -1 with error. */
int backend_worker_start(struct backend *backend, struct repl_stats *stats, char *error, size_t error_size);
void backend_worker_stop(struct backend *backend);

/* One operation's effective settings, defaults included: what complaintd -t prints and the
 * replica page shows. */
struct backend_effective {
	const char *section;         /* "s3": the config section, and the replica set's name */
	const char *operation;       /* "s3.get" */
	const char *policy_key;      /* "get": the section's key of its policy */
	bool configured;             /* the section has replicas (else the operation never runs) */
	/* The policy as librepl runs it: presets and set names expanded, a hedge's delay with its
	 * unit, in the grammar the key takes (it can be pasted back); the key's text as written when
	 * the section has no replicas to expand it over. */
	char policy[REPL_POLICY_TEXT_MAX + 1];
	long long attempt_timeout_ms, deadline_ms;
};

/* Operations of every backend together: the most rows backend_effective fills. */
#define BACKEND_EFFECTIVE_MAX 8

/* Fills rows (room for max) with every operation of every backend in the table's order and sets
 * *count. 0, or -1 with error "[section] key: reason" for a config whose policies do not parse
 * (one config_load refused). */
int backend_effective(const struct config *config, struct backend_effective *rows, size_t max, size_t *count,
                      char *error, size_t error_size);
/* Writes the effective settings of every backend as config lines — per section its replicas,
 * each policy key (a comment names the operations that run under it), attempt_timeout and
 * deadline, in the forms a config file takes; a section without replicas gets its policies as
 * written, commented out — for complaintd -t. 0, or -1 with error. */
int backend_describe(const struct config *config, FILE *out, char *error, size_t error_size);

/* The config check of [section] key, a policy, once the whole file is loaded: every operation
 * that runs under it parses it over the section's replicas (nothing to check while there are
 * none). 0, or -1 with reason. */
int backend_check_policy(const struct config *config, const char *section, const char *key, char *reason,
                         size_t reason_size);

#endif
