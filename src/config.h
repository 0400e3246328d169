/*
 * config.h: complaintd's settings, as read from its INI file.
 *
 * The whole file is described once, in the key table of config.c; this struct is where the
 * values land. Strings are malloc'd by the reader and freed by config_free.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Where the C library reads time zones (Debian's tzdata). */
#define CONFIG_ZONEINFO_DIR "/usr/share/zoneinfo"

struct config {
	/* [server] */
	char *listen;
	char *listen_peers;            /* a TCP listen's allowed peers (CIDR list) */
	char *socket_mode;
	long long workers;
	char *user;
	char *location;
	char *map_tiles;               /* tile URL template ({z}/{x}/{y}); "" = no map */
	char *map_attribution;         /* the tile server's credit, as text */
	char *map_center;              /* "LAT,LON" where the filing form's map opens */
	long long map_zoom;
	char *time_zone;               /* the city's zone (tz database name): pages show times in it */
	char *templates;
	size_t upload_max_bytes;
	long long photo_side_max;      /* pixels of a photo's width or height */
	long long photo_pixels_max;    /* width x height */
	long long drain_timeout_ms;
	char *log_level;
	char *runtime_dir;             /* the master's pid and status files (fcgi/control.h); "" = none */
	char *secrets;                 /* path of the 0600 secrets file; "" = none */
	char *origin;                  /* the site's public origin (https://host[:port]); "" = from the request */
	char *public_url;              /* the site's address in mails (https://host[/prefix]); "" = no links */
	/* [db]: the MariaDB replica set (primary first) */
	char *db_replicas;
	char *db_user;
	char *db_migrate_user;
	char *db_write_policy;         /* db.write: transactions on the writable set */
	char *db_read_policy;          /* db.read: reads that may go to a replica */
	long long db_attempt_timeout_ms;
	long long db_deadline_ms;
	/* [s3]: the object storage replica set */
	char *s3_replicas;
	char *s3_region;
	char *s3_put_policy;
	char *s3_get_policy;
	long long s3_attempt_timeout_ms;
	long long s3_deadline_ms;
	long long s3_repair_interval_ms;  /* how often the repair child looks for photos to copy */
	long long s3_backfill_rate;       /* photos a second copied to a replica added to the set */
	/* [smtp]: the mail relays (libcurl's SMTP through librepl) */
	char *smtp_replicas;
	char *smtp_tls;                /* "required" (implicit or STARTTLS) or "none" (loopback only) */
	bool smtp_auth;                /* AUTH with the secrets smtp_user and smtp_password */
	char *smtp_from;               /* the envelope and From: address */
	char *smtp_send_policy;
	long long smtp_attempt_timeout_ms;
	long long smtp_deadline_ms;
	/* [notify]: the outbox's delivery (the notifier child) */
	long long notify_max_attempts;
	long long notify_backoff_base_ms;
	long long notify_backoff_max_ms;
	long long notify_lease_ms;
	long long notify_interval_ms;
	long long notify_batch;
	long long notify_retention_ms;
	char *notify_message_id_domain;
	long long feedback_period_ms;     /* [workflow]: resolved this long without an answer: auto_close */
	bool auto_assign;                 /* [workflow]: new complaints to their category's pool (/admin/categories) */
	/* [ops] */
	char *stats_file;              /* librepl's stats segment; "" = beside the listen socket */
	char *metrics_allow;           /* client addresses (CIDR list) /metrics answers */
	long long stats_flush_interval_ms; /* the timer's flushes into replica_observations */
	long long observations_retention_ms; /* replica_observations older than this are deleted */
	long long queue_cache_max_age_ms; /* [queue]: how long a worker shows the queue's counts, agents, categories again */
	/* [auth] */
	char *common_passwords;        /* file of common passwords, one per line, refused at sign-up */
	long long password_ops_limit;  /* argon2id time cost (libsodium opslimit) */
	size_t password_mem_limit;     /* argon2id memory (libsodium memlimit) */
	long long session_idle_ms;
	long long session_absolute_ms;
	long long hash_concurrency;    /* argon2id computations at once on this host; 0 = workers - 1 */
	/* [auth] sign-in throttling (core/throttle.h) */
	long long signin_window_ms;
	long long signin_first_delay_ms;
	long long signin_pair_free_failures;
	long long signin_pair_max_delay_ms;
	long long signin_lock_failures;
	long long signin_lock_ms;
	long long signin_address_free_failures;
	long long signin_address_max_delay_ms;
	long long signin_email_free_failures;
	long long signin_email_max_delay_ms;
	long long reset_link_lifetime_ms;    /* a password-reset link works this long after it is sent */
	long long mail_window_ms;            /* mail-sending requests (reset, sign-up) forgotten after this */
	long long mail_first_delay_ms;
	long long mail_email_free;           /* requests of one typed email before it must wait */
	long long mail_address_free;         /* requests from one client address before it must wait */
	long long mail_address_max_delay_ms;
};

struct secrets;
struct ini_duration;

/* How every duration key is written: librepl's durations (repl_duration_parse), the syntax of a
 * policy's hedge delay too. For other readers of INI files (complaintctl's, the tests'). */
extern const struct ini_duration config_durations;

/* Reads path into config (zeroed, or a previous load's result). On failure config is unchanged
 * and error holds "FILE:LINE: [section] key: reason". */
int config_load(struct config *config, const char *path, char *error, size_t error_size);
void config_free(struct config *config);
/* Checks that secrets holds every secret the configured backends need (db_app_password when
 * [db] has replicas, s3_access_key and s3_secret_key when [s3] has). 0 = fine. */
int config_check_secrets(const struct config *config, const struct secrets *secrets, char *error,
                         size_t error_size);
/* The stats segment's path: [ops] stats_file, or its default from listen. 0, or -1 when it
 * does not fit path_size. */
int config_stats_path(const struct config *config, char *path, size_t path_size);
/* Lists every key with its type, default and help (complaintd --help-config). */
void config_describe(FILE *out);

#endif
