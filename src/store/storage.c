/*
 * storage.c: photos in the S3 replica set through librepl (see storage.h).
 */
#include "storage.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "config.h"
#include "limits.h"
#include "log.h"
#include "secrets.h"
#include "store/backend.h"

#define STORAGE_PREFIX "/photos/"

struct storage {
	struct backend backend;   /* [s3]: s3.put, s3.get */
	char *region;
	char *access_key;
	char *secret_key;
};

static char *storage_strdup_secret(const struct secrets *secrets, const char *name)
{
	const char *value = secrets_get(secrets, name);
	return strdup(value != NULL ? value : "");
}

struct storage *storage_new(const struct config *config, const struct secrets *secrets, char *error,
                            size_t error_size)
{
	struct storage *storage = calloc(1, sizeof(*storage));
	if (storage == NULL) {
		snprintf(error, error_size, "out of memory");
		return NULL;
	}
	if (backend_init(&storage->backend, BACKEND_S3, config, error, error_size) != 0)
		goto fail;
	if (!storage->backend.configured)
		return storage;
	storage->region = strdup(config->s3_region);
	storage->access_key = storage_strdup_secret(secrets, "s3_access_key");
	storage->secret_key = storage_strdup_secret(secrets, "s3_secret_key");
	if (storage->region == NULL || storage->access_key == NULL || storage->secret_key == NULL) {
		snprintf(error, error_size, "out of memory");
		goto fail;
	}
	return storage;
fail:
	storage_free(storage);
	return NULL;
}

void storage_free(struct storage *storage)
{
	if (storage == NULL)
		return;
	backend_release(&storage->backend);
	if (storage->secret_key != NULL)
		sodium_memzero(storage->secret_key, strlen(storage->secret_key));
	free(storage->secret_key);
	free(storage->access_key);
	free(storage->region);
	free(storage);
}

int storage_worker_start(struct storage *storage, struct repl_stats *stats, char *error, size_t error_size)
{
	return backend_worker_start(&storage->backend, stats, error, error_size);
}

void storage_worker_stop(struct storage *storage)
{
	if (storage != NULL)
		backend_worker_stop(&storage->backend);
}

bool storage_configured(const struct storage *storage)
{
	return storage != NULL && storage->backend.configured;
}

size_t storage_replica_names(const struct storage *storage, const char *names[], size_t max)
{
	size_t count = 0;
	for (unsigned i = 0; storage_configured(storage) && i < storage->backend.set.count && count < max; i++)
		names[count++] = storage->backend.set.replicas[i].name;
	return count;
}

void storage_key(const uint8_t *bytes, size_t len, char key[STORAGE_KEY_SIZE])
{
	uint8_t digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, bytes, len);
	sodium_bin2hex(key, STORAGE_KEY_SIZE, digest, sizeof(digest));
}

/* A key is exactly what storage_key makes: it is part of a URL path. */
static bool storage_key_valid(const char *key)
{
	size_t len = strspn(key, "0123456789abcdef");
	return len == STORAGE_KEY_SIZE - 1 && key[len] == '\0';
}

/* Runs one request of operation; on STORAGE_OK the caller frees result. */
static enum storage_status storage_run(struct storage *storage, const struct repl_operation *operation,
                                       struct repl_http_request *request, struct repl_result *result)
{
	memset(result, 0, sizeof(*result));
	if (!storage_configured(storage))
		return STORAGE_NOT_CONFIGURED;
	if (storage->backend.client == NULL) {
		log_error("%s: no storage client in this process", operation->name);
		return STORAGE_UNAVAILABLE;
	}
	request->sigv4_service = "s3";
	request->sigv4_region = storage->region;
	request->access_key = storage->access_key;
	request->secret_key = storage->secret_key;
	enum repl_status status = repl_execute_http(storage->backend.client, operation, request, result);
	if (status == REPL_OK)
		return STORAGE_OK;
	if (status != REPL_ABSENT) {
		long last_status = result->attempt_count > 0 ? result->attempts[result->attempt_count - 1].observation.http_status : 0;
		log_error("%s: %s after %u attempts in %lld ms (last HTTP status %ld)", operation->name, repl_strerror(status),
		          result->attempt_count, (long long)result->elapsed_ms, last_status);
	}
	repl_result_free(result);
	return status == REPL_ABSENT ? STORAGE_NOT_FOUND : STORAGE_UNAVAILABLE;
}

enum storage_status storage_put(struct storage *storage, const char *key, const uint8_t *bytes, size_t len,
                                const char *content_type, struct storage_put_report *report)
{
	char path[sizeof(STORAGE_PREFIX) + STORAGE_KEY_SIZE];
	struct repl_http_header headers[] = {{"Content-Type", content_type}};
	struct repl_result result;
	memset(report, 0, sizeof(*report));
	if (!storage_key_valid(key))
		return STORAGE_UNAVAILABLE;
	snprintf(path, sizeof(path), STORAGE_PREFIX "%s", key);
	struct repl_http_request request = {
		.method = "PUT", .path = path, .headers = headers, .header_count = 1, .body = bytes, .body_len = len,
	};
	enum storage_status status = storage_run(storage, &storage->backend.operations[BACKEND_S3_PUT], &request, &result);
	if (status != STORAGE_OK)
		return status;
	/* Every replica without a successful attempt of this put lacks the object (a quorum's
	 * cancelled ones may have it: a repair PUTs the same bytes again, which is harmless). */
	bool stored[REPL_SET_REPLICAS_MAX] = {false};
	for (unsigned i = 0; i < result.attempt_count; i++)
		if (result.attempts[i].outcome == REPL_OUTCOME_SUCCESS)
			stored[result.attempts[i].replica] = true;
	for (unsigned i = 0; i < storage->backend.set.count; i++)
		if (!stored[i])
			snprintf(report->missing[report->missing_count++], REPL_NAME_MAX + 1, "%s", storage->backend.set.replicas[i].name);
	repl_result_free(&result);
	return STORAGE_OK;
}

enum storage_status storage_get(struct storage *storage, struct arena *arena, const char *key,
                                struct storage_object *out)
{
	char path[sizeof(STORAGE_PREFIX) + STORAGE_KEY_SIZE];
	struct repl_result result;
	memset(out, 0, sizeof(*out));
	if (!storage_key_valid(key))
		return STORAGE_NOT_FOUND;
	snprintf(path, sizeof(path), STORAGE_PREFIX "%s", key);
	/* Whatever any configuration could have stored: lowering upload_max_bytes later must not make
	 * older photos unreadable. */
	struct repl_http_request request = {.method = "GET", .path = path, .response_max = LIMIT_UPLOAD_HARD_MAX};
	enum storage_status status = storage_run(storage, &storage->backend.operations[BACKEND_S3_GET], &request, &result);
	if (status != STORAGE_OK)
		return status;
	const struct repl_http_response *response = &result.response;
	uint8_t *bytes = response->body_len > 0 ? arena_alloc(arena, response->body_len) : NULL;
	if (response->truncated || response->body_len == 0 || bytes == NULL) {
		log_error("s3.get: a stored photo is empty, over the upload limit or out of request memory");
		status = STORAGE_UNAVAILABLE;
		goto out;
	}
	memcpy(bytes, response->body, response->body_len);
	out->bytes = bytes;
	out->len = response->body_len;
	out->content_type = arena_strndup(arena, response->content_type, strlen(response->content_type));
	out->etag = arena_strndup(arena, response->etag, strlen(response->etag));
out:
	repl_result_free(&result);
	return status;
}

enum storage_status storage_copy_to(struct storage *storage, struct arena *arena, const char *key,
                                    const char *replica_name)
{
	struct storage_object object;
	struct repl_policy *policy = NULL;
	struct repl_error error;
	struct repl_result result;
	char path[sizeof(STORAGE_PREFIX) + STORAGE_KEY_SIZE];
	if (!storage_configured(storage))
		return STORAGE_NOT_CONFIGURED;
	if (repl_set_find(&storage->backend.set, replica_name) == NULL ||
	    repl_policy_parse(replica_name, strlen(replica_name), &storage->backend.set, true, &policy, &error) != REPL_OK)
		return STORAGE_NO_REPLICA;
	enum storage_status status = storage_get(storage, arena, key, &object);
	if (status != STORAGE_OK) {
		repl_policy_free(policy);
		return status;
	}
	struct repl_operation operation = storage->backend.operations[BACKEND_S3_PUT];
	snprintf(operation.name, sizeof(operation.name), "s3.repair");
	operation.policy = policy;
	struct repl_http_header headers[] = {
		{"Content-Type", object.content_type[0] != '\0' ? object.content_type : "application/octet-stream"}};
	snprintf(path, sizeof(path), STORAGE_PREFIX "%s", key);
	struct repl_http_request request = {
		.method = "PUT", .path = path, .headers = headers, .header_count = 1, .body = object.bytes, .body_len = object.len,
	};
	status = storage_run(storage, &operation, &request, &result);
	if (status == STORAGE_OK)
		repl_result_free(&result);
	repl_policy_free(policy);
	return status;
}
