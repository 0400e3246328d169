/*
 * storage.h: complaint photos in the S3 replica set, through librepl's s3.put and s3.get.
 *
 * An object's key is the SHA-256 of its bytes in lower-case hex, under "photos/": the same photo
 * always has the same key, so a PUT repeated on any replica (a retry, a hedge, a repair) writes
 * the same object, which is what makes every policy safe for s3.put. s3.put runs [s3] put (by
 * default quorum(2, s3): two of the three replicas must store it before a complaint points at
 * it); s3.get runs [s3] get, where a replica that answers 404 is "absent here" and the next is
 * asked. Replicas a successful put left without the object are reported to the caller, which
 * records them for repair (store/db_complaints.c, the photo_repairs table).
 *
 * Made by the master at (re)load (set and policies parsed once); each worker opens its librepl
 * client in storage_worker_start. Nothing here logs keys of the secrets file.
 */
#ifndef STORAGE_H
#define STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repl.h"

struct arena;
struct config;
struct secrets;

enum storage_status {
	STORAGE_OK = 0,
	STORAGE_NOT_FOUND,       /* every replica asked said 404 */
	STORAGE_UNAVAILABLE,     /* the policy could not succeed within the deadline */
	STORAGE_NOT_CONFIGURED,  /* [s3] replicas is empty */
	STORAGE_NO_REPLICA,      /* storage_copy_to: no such replica in [s3] replicas (any more) */
};

#define STORAGE_KEY_SIZE 65  /* 64 hex digits and a NUL */

struct storage;
struct repl_stats;

/* NULL on failure with error "[s3] key: reason"; a config without [s3] replicas gives a storage
 * whose every call answers STORAGE_NOT_CONFIGURED. */
struct storage *storage_new(const struct config *config, const struct secrets *secrets, char *error,
                            size_t error_size);
void storage_free(struct storage *storage);
int storage_worker_start(struct storage *storage, struct repl_stats *stats, char *error, size_t error_size);
void storage_worker_stop(struct storage *storage);
bool storage_configured(const struct storage *storage);
/* The names of the set's replicas, in the config's order (pointers into storage); their count. */
size_t storage_replica_names(const struct storage *storage, const char *names[], size_t max);

/* key = hex SHA-256 of bytes. */
void storage_key(const uint8_t *bytes, size_t len, char key[STORAGE_KEY_SIZE]);

/* What a successful put left undone: the replicas (by name) that do not hold the object. */
struct storage_put_report {
	unsigned missing_count;
	char missing[REPL_SET_REPLICAS_MAX][REPL_NAME_MAX + 1];
};

/* Stores bytes under key (storage_key of them) with its content type. */
enum storage_status storage_put(struct storage *storage, const char *key, const uint8_t *bytes, size_t len,
                                const char *content_type, struct storage_put_report *report);

/* A stored photo, copied into the request's arena. */
struct storage_object {
	const uint8_t *bytes;
	size_t len;
	const char *content_type;
	const char *etag;         /* the replica's ETag, quoted as sent */
};

enum storage_status storage_get(struct storage *storage, struct arena *arena, const char *key,
                                struct storage_object *out);

/* Copies key from one replica that has it to replica_name (the repair of a put's leftovers).
 * STORAGE_NO_REPLICA before any request when replica_name is not in the set; STORAGE_NOT_FOUND
 * when no replica has the object. */
enum storage_status storage_copy_to(struct storage *storage, struct arena *arena, const char *key,
                                    const char *replica_name);

#endif
