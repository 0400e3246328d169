/*
 * backend.c: the backends' table, the one setup they share, and their effective settings as
 * complaintd -t prints them (see backend.h).
 */
#include "backend.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

static const struct backend_operation_spec backend_db_operations[] = {
	[BACKEND_DB_WRITE] = {"db.write", "write", offsetof(struct config, db_write_policy), false, repl_classify_sql},
	/* A read-only transaction is safe to repeat; it still follows the write policy's order. */
	[BACKEND_DB_PRIMARY] = {"db.primary", "write", offsetof(struct config, db_write_policy), true,
	                        repl_classify_sql},
	[BACKEND_DB_READ] = {"db.read", "read", offsetof(struct config, db_read_policy), true, repl_classify_sql},
};

static const struct backend_operation_spec backend_s3_operations[] = {
	/* Content-addressed keys: a repeated PUT stores the same bytes, so every policy is safe. */
	[BACKEND_S3_PUT] = {"s3.put", "put", offsetof(struct config, s3_put_policy), true, repl_classify_http_write},
	[BACKEND_S3_GET] = {"s3.get", "get", offsetof(struct config, s3_get_policy), true, repl_classify_http_read},
};

static const struct backend_operation_spec backend_smtp_operations[] = {
	/* A mail sent twice arrives twice: sequential policies only. */
	[BACKEND_SMTP_SEND] = {"smtp.send", "send", offsetof(struct config, smtp_send_policy), false, repl_classify_smtp},
};

#define BACKEND_COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

static const struct backend_spec backend_specs[] = {
	[BACKEND_DB] = {"db", "database", offsetof(struct config, db_replicas),
	                offsetof(struct config, db_attempt_timeout_ms), offsetof(struct config, db_deadline_ms),
	                backend_db_operations, BACKEND_COUNT_OF(backend_db_operations)},
	[BACKEND_S3] = {"s3", "storage", offsetof(struct config, s3_replicas),
	                offsetof(struct config, s3_attempt_timeout_ms), offsetof(struct config, s3_deadline_ms),
	                backend_s3_operations, BACKEND_COUNT_OF(backend_s3_operations)},
	[BACKEND_SMTP] = {"smtp", "mail", offsetof(struct config, smtp_replicas),
	                  offsetof(struct config, smtp_attempt_timeout_ms), offsetof(struct config, smtp_deadline_ms),
	                  backend_smtp_operations, BACKEND_COUNT_OF(backend_smtp_operations)},
};

_Static_assert(BACKEND_COUNT_OF(backend_db_operations) + BACKEND_COUNT_OF(backend_s3_operations) +
                       BACKEND_COUNT_OF(backend_smtp_operations) <=
                   BACKEND_EFFECTIVE_MAX,
               "BACKEND_EFFECTIVE_MAX holds every operation");

static const char *backend_config_text(const struct config *config, size_t offset)
{
	const char *text = *(char *const *)((const char *)config + offset);
	return text != NULL ? text : "";
}

static long long backend_config_ms(const struct config *config, size_t offset)
{
	return *(const long long *)((const char *)config + offset);
}

int backend_init(struct backend *backend, enum backend_kind kind, const struct config *config, char *error,
                 size_t error_size)
{
	const struct backend_spec *spec = &backend_specs[kind];
	const char *replicas = backend_config_text(config, spec->replicas_offset);
	struct repl_error repl_error;
	memset(backend, 0, sizeof(*backend));
	backend->spec = spec;
	if (replicas[0] == '\0')
		return 0;
	if (repl_set_parse(&backend->set, spec->section, replicas, &repl_error) != REPL_OK) {
		snprintf(error, error_size, "[%s] replicas: %s", spec->section, repl_error.message);
		goto fail;
	}
	for (size_t i = 0; i < spec->operation_count; i++) {
		const struct backend_operation_spec *op = &spec->operations[i];
		const char *text = backend_config_text(config, op->policy_offset);
		struct repl_operation *operation = &backend->operations[i];
		if (repl_policy_parse(text, strlen(text), &backend->set, op->idempotent, &backend->policies[i],
		                      &repl_error) != REPL_OK) {
			snprintf(error, error_size, "[%s] %s: %s", spec->section, op->policy_key, repl_error.message);
			goto fail;
		}
		snprintf(operation->name, sizeof(operation->name), "%s", op->name);
		operation->set = &backend->set;
		operation->policy = backend->policies[i];
		operation->idempotent = op->idempotent;
		operation->classify = op->classify;
		operation->attempt_timeout_ms = backend_config_ms(config, spec->attempt_timeout_offset);
		operation->deadline_ms = backend_config_ms(config, spec->deadline_offset);
	}
	backend->configured = true;
	return 0;
fail:
	backend_release(backend);
	return -1;
}

void backend_release(struct backend *backend)
{
	backend_worker_stop(backend);
	for (size_t i = 0; i < BACKEND_OPERATIONS_MAX; i++) {
		repl_policy_free(backend->policies[i]);
		backend->policies[i] = NULL;
	}
	backend->configured = false;
}

int backend_worker_start(struct backend *backend, struct repl_stats *stats, char *error, size_t error_size)
{
	if (!backend->configured || backend->client != NULL)
		return 0;
	enum repl_status status = repl_client_new(&backend->client, stats);
	if (status != REPL_OK) {
		snprintf(error, error_size, "%s client: %s", backend->spec->client_name, repl_strerror(status));
		return -1;
	}
	return 0;
}

void backend_worker_stop(struct backend *backend)
{
	if (backend->client != NULL) {
		repl_client_free(backend->client);
		backend->client = NULL;
	}
}

int backend_check_policy(const struct config *config, const char *section, const char *key, char *reason,
                         size_t reason_size)
{
	for (size_t kind = 0; kind < BACKEND_COUNT_OF(backend_specs); kind++) {
		const struct backend_spec *spec = &backend_specs[kind];
		const char *replicas = backend_config_text(config, spec->replicas_offset);
		struct repl_set set;
		struct repl_error error;
		if (strcmp(spec->section, section) != 0 || replicas[0] == '\0')
			continue;
		if (repl_set_parse(&set, spec->section, replicas, &error) != REPL_OK) {
			snprintf(reason, reason_size, "%s", error.message);
			return -1;
		}
		for (size_t i = 0; i < spec->operation_count; i++) {
			const struct backend_operation_spec *op = &spec->operations[i];
			const char *text = backend_config_text(config, op->policy_offset);
			struct repl_policy *policy = NULL;
			if (strcmp(op->policy_key, key) != 0)
				continue;
			if (repl_policy_parse(text, strlen(text), &set, op->idempotent, &policy, &error) != REPL_OK) {
				snprintf(reason, reason_size, "%s", error.message);
				return -1;
			}
			repl_policy_free(policy);
		}
	}
	return 0;
}

/* ---- the effective settings ---- */

int backend_effective(const struct config *config, struct backend_effective *rows, size_t max, size_t *count,
                      char *error, size_t error_size)
{
	*count = 0;
	for (size_t kind = 0; kind < BACKEND_COUNT_OF(backend_specs); kind++) {
		const struct backend_spec *spec = &backend_specs[kind];
		struct backend backend;
		if (backend_init(&backend, (enum backend_kind)kind, config, error, error_size) != 0)
			return -1;
		for (size_t i = 0; i < spec->operation_count && *count < max; i++) {
			const struct backend_operation_spec *op = &spec->operations[i];
			struct backend_effective *row = &rows[(*count)++];
			row->section = spec->section;
			row->operation = op->name;
			row->policy_key = op->policy_key;
			row->configured = backend.configured;
			if (backend.configured)
				repl_policy_print(backend.policies[i], row->policy, sizeof(row->policy));
			else
				snprintf(row->policy, sizeof(row->policy), "%s", backend_config_text(config, op->policy_offset));
			row->attempt_timeout_ms = backend_config_ms(config, spec->attempt_timeout_offset);
			row->deadline_ms = backend_config_ms(config, spec->deadline_offset);
		}
		backend_release(&backend);
	}
	return 0;
}

static void backend_describe_duration(FILE *out, const char *key, long long ms)
{
	char text[32];
	repl_duration_format(ms, text, sizeof(text));
	fprintf(out, "%s = %s\n", key, text);
}

/* Whether row r's policy key came in an earlier row of its section (db.primary runs db.write's). */
static bool backend_key_seen(const struct backend_effective *rows, size_t r)
{
	for (size_t j = 0; j < r; j++)
		if (strcmp(rows[j].section, rows[r].section) == 0 && strcmp(rows[j].policy_key, rows[r].policy_key) == 0)
			return true;
	return false;
}

int backend_describe(const struct config *config, FILE *out, char *error, size_t error_size)
{
	struct backend_effective rows[BACKEND_EFFECTIVE_MAX];
	size_t count = 0;
	if (backend_effective(config, rows, BACKEND_EFFECTIVE_MAX, &count, error, error_size) != 0)
		return -1;
	for (size_t kind = 0; kind < BACKEND_COUNT_OF(backend_specs); kind++) {
		const struct backend_spec *spec = &backend_specs[kind];
		struct repl_set set;
		struct repl_error repl_error;
		const char *replicas = backend_config_text(config, spec->replicas_offset);
		bool configured = replicas[0] != '\0' && repl_set_parse(&set, spec->section, replicas, &repl_error) == REPL_OK;
		fprintf(out, "\n[%s]\n", spec->section);
		if (configured) {
			fprintf(out, "replicas = ");
			for (unsigned r = 0; r < set.count; r++)
				fprintf(out, "%s%s=%s", r > 0 ? ", " : "", set.replicas[r].name, set.replicas[r].url);
			fputc('\n', out);
		} else {
			fprintf(out, "# no replicas: the %s backend is not configured; its policies as written:\n",
			        spec->client_name);
		}
		/* One line per policy key: after a comment naming the operations it runs, or (nothing to
		 * expand it over) commented out itself. */
		for (size_t r = 0; r < count; r++) {
			if (strcmp(rows[r].section, spec->section) != 0 || backend_key_seen(rows, r))
				continue;
			if (configured) {
				fprintf(out, "#");
				for (size_t j = r; j < count; j++)
					if (strcmp(rows[j].section, rows[r].section) == 0 &&
					    strcmp(rows[j].policy_key, rows[r].policy_key) == 0)
						fprintf(out, " %s", rows[j].operation);
				fputc('\n', out);
			}
			fprintf(out, "%s%s = %s\n", configured ? "" : "# ", rows[r].policy_key, rows[r].policy);
		}
		if (configured) {
			backend_describe_duration(out, "attempt_timeout", backend_config_ms(config, spec->attempt_timeout_offset));
			backend_describe_duration(out, "deadline", backend_config_ms(config, spec->deadline_offset));
		}
	}
	return 0;
}
