/*
 * repl.h: librepl, client-side replication — the only header the app includes from replication/.
 *
 * The app calls each backend (S3, the database, SNS, SMTP) as a *replica set* — named endpoints of
 * one service — through an *operation* (s3.put, s3.get, db.write...) run under a *policy*: a tree
 * whose leaves are replicas and whose inner nodes say how to combine them:
 *
 *   par(a, b, ...)         start all at once; the first success wins; the rest are cancelled
 *   seq(a, b, ...)         one after another until one succeeds (the paper's RB)
 *   retry(n, a)            run a, and again up to n more times while it fails (not when it
 *                          answers ABSENT: that is its answer)
 *   hedge(d, a, b, ...)    start a; start the next d after the last start, or at once when
 *                          every child started so far has failed; first success wins (d is a
 *                          duration: 20ms, 1s; bare digits are milliseconds)
 *   quorum(k, a, b, ...)   start all; success once k succeeded, failure once k is out of reach;
 *                          the rest are cancelled and reported REPL_UNKNOWN
 *
 * plus the nine strategies of the WS-DREAM paper as presets over the set's replicas r1..rN
 * (parallel, retry, rb, parallel+retry, retry+parallel, parallel+rb, rb+parallel, retry+rb,
 * rb+retry) with named parameters n (retries) and block (size). A set's name in a policy stands
 * for all its replicas in order: "quorum(2, s3)".
 *
 * One *attempt* is one unit of work on one replica: one HTTP request, or one whole database
 * transaction on one connection. Every attempt ends in an *outcome class* that the operation's
 * classifier assigns from what the transport saw (an HTTP status, a MySQL error, a timeout...):
 * success, retryable (try again or elsewhere), absent here (this replica lacks it: ask the next;
 * a failure only when every replica says so), final (a caller error: never tried elsewhere) or
 * unknown (it may have happened: retried only when the operation is idempotent). The result of
 * an execution names the winner and every attempt made, with its replica, start, end, outcome and
 * cause, and for quorum each replica's own outcome.
 *
 * All attempts of one execution run in one event loop in the calling thread: no thread per
 * attempt. Handles (curl easy handles, database connections) live in a `struct repl_client`, made
 * after fork in each process and reused across executions.
 *
 * Errors: every function returns enum repl_status (0 = REPL_OK); repl_strerror() names it and a
 * `struct repl_error` (when given) says where and why, for a person.
 */
#ifndef REPL_H
#define REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* librepl's caps, in one place (the web layer's are in fcgi/limits.h, which librepl does not
 * include): every buffer or count that grows from configuration text or from a replica's answer
 * gets its cap from here. */
#define REPL_NAME_MAX 32           /* bytes of a replica, set or operation name */
#define REPL_SET_REPLICAS_MAX 16   /* replicas in one set */
#define REPL_ATTEMPTS_MAX 64       /* attempts one execution may make */
#define REPL_POLICY_TEXT_MAX 4096  /* bytes of a policy's text */
#define REPL_POLICY_DEPTH_MAX 16   /* nesting of policy nodes */
#define REPL_POLICY_NODES_MAX 1024 /* nodes of one expanded policy, and instances of one run */
#define REPL_RETRY_MAX 100         /* n of retry(n, ...) */
#define REPL_HEDGE_DELAY_MAX_MS 600000  /* d of hedge(d, ...) */
#define REPL_MS_MAX 1000000000L    /* a longer time, deadline or backoff is refused: ~11.6 days */
#define REPL_HTTP_HEADER_MAX 1024  /* bytes of one HTTP request header line */
#define REPL_SQL_ROWS_DEFAULT 10000       /* rows_max of a transaction that sets none */
#define REPL_SQL_BYTES_DEFAULT (4u << 20) /* bytes_max of a transaction that sets none */
#define REPL_SQL_STATEMENTS_CACHED 64     /* prepared statements kept per MySQL connection */

enum repl_status {
	REPL_OK = 0,
	REPL_FAILED,        /* every path failed (the attempts say how) */
	REPL_ABSENT,        /* every replica asked said "absent here" */
	REPL_FINAL,         /* an attempt failed finally (e.g. 4xx, constraint): not tried elsewhere */
	REPL_UNKNOWN,       /* the outcome may have happened and the operation is not idempotent */
	REPL_DEADLINE,      /* the operation's deadline passed before a success */
	REPL_BAD_POLICY,    /* policy text malformed, or a replica it names is not in the set */
	REPL_NOT_IDEMPOTENT,/* par/hedge/quorum over an operation that is not idempotent */
	REPL_BAD_ARGUMENT,  /* a name too long, too many replicas, a bad URL... */
	REPL_NO_MEMORY,
	REPL_TRANSPORT,     /* a transport could not be set up (curl, MariaDB client) */
};

const char *repl_strerror(enum repl_status status);

/* Where and why, for a person: "policy: at 12: expected ',' or ')'" */
struct repl_error {
	size_t position;     /* byte offset in the text, for parse errors */
	char message[192];
};

/* ---- replica sets ---- */

struct repl_replica {
	char name[REPL_NAME_MAX + 1];
	char url[512];       /* http(s)://host:port/bucket or mariadb://host:port/database */
	unsigned index;      /* position in its set, 0-based */
};

struct repl_set {
	char name[REPL_NAME_MAX + 1];
	struct repl_replica replicas[REPL_SET_REPLICAS_MAX];
	unsigned count;
};

/* Parses "name=url, name=url, ..." (the config's replica lists) into set. */
enum repl_status repl_set_parse(struct repl_set *set, const char *set_name, const char *text,
                                struct repl_error *error);
/* The replica called name, or NULL. */
const struct repl_replica *repl_set_find(const struct repl_set *set, const char *name);

/* ---- durations ---- */

/* A duration is written the same way in a policy (hedge's delay), in the app's config keys and
 * in complaintctl's options: decimal digits, then a unit — ms, s, m (minutes), h, d (days) or w
 * (weeks) — with nothing between them; bare digits are milliseconds, as policies and configs have
 * always read them. */
#define REPL_DURATION_UNITS "ms, s, m, h, d or w; bare digits are milliseconds"

/* Reads the duration at the start of text (len bytes) into *ms. With used, reading stops after
 * the unit and *used says how many bytes it took (a policy's cursor); without, the whole text must
 * be the duration (a config value). REPL_BAD_ARGUMENT, error saying at which byte and why, for no
 * digits, an unknown unit, bytes after it (without used) or a value over LLONG_MAX ms; *ms and
 * *used are then untouched. */
enum repl_status repl_duration_parse(const char *text, size_t len, long long *ms, size_t *used,
                                     struct repl_error *error);
/* Writes ms in the largest unit up to days that holds it whole ("20ms", "3s", "2m", "1h", "14d",
 * "0ms"; never weeks), which repl_duration_parse reads back to ms. Returns the length it needs, like snprintf. */
size_t repl_duration_format(long long ms, char *buf, size_t size);

/* ---- policies ---- */

enum repl_node_kind {
	REPL_NODE_REPLICA = 0,
	REPL_NODE_PAR,
	REPL_NODE_SEQ,
	REPL_NODE_RETRY,
	REPL_NODE_HEDGE,
	REPL_NODE_QUORUM,
};

/* A policy tree, expanded (presets and set names replaced by what they stand for). Read-only
 * once parsed; nodes live in the policy's own allocation. */
struct repl_node {
	enum repl_node_kind kind;
	unsigned replica;               /* REPLICA: index in the set */
	unsigned parameter;             /* RETRY: n; HEDGE: delay in ms; QUORUM: k */
	struct repl_node **children;
	unsigned child_count;
};

struct repl_policy {
	const struct repl_set *set;     /* the set whose replica indexes the leaves hold */
	struct repl_node *root;
};

/* Parses text (a preset or a tree) over set. When idempotent is false, par, hedge and quorum
 * are refused (REPL_NOT_IDEMPOTENT): parallel copies of a payment are several payments. On
 * failure *policy is untouched and error says at which byte and what was expected. */
enum repl_status repl_policy_parse(const char *text, size_t len, const struct repl_set *set,
                                   bool idempotent, struct repl_policy **policy,
                                   struct repl_error *error);
/* The canonical text of an expanded policy, e.g. "retry(2, seq(primary, standby))" or
 * "hedge(20ms, us, jp)" (a delay always with its unit); parsing it again gives the same tree.
 * Returns the length it needs, like snprintf. */
size_t repl_policy_print(const struct repl_policy *policy, char *buf, size_t size);
void repl_policy_free(struct repl_policy *policy);

/* ---- outcomes of attempts ---- */

enum repl_outcome {
	REPL_OUTCOME_SUCCESS = 0,
	REPL_OUTCOME_RETRYABLE,
	REPL_OUTCOME_ABSENT,    /* this replica does not have it: ask the next */
	REPL_OUTCOME_FINAL,
	REPL_OUTCOME_UNKNOWN,   /* may have taken effect (connection lost after COMMIT was sent) */
	REPL_OUTCOME_CANCELLED, /* stopped by the executor: another path won, or the deadline */
};

/* Why an attempt failed, in the columns of the stats (the paper's Fail, split by cause). */
enum repl_cause {
	REPL_CAUSE_NONE = 0,    /* success */
	REPL_CAUSE_TIMEOUT,     /* no answer within the attempt's timeout */
	REPL_CAUSE_CONNECT,     /* could not connect, or the connection was refused or reset */
	REPL_CAUSE_PROTOCOL,    /* HTTP 5xx or a protocol error (truncated body, bad reply) */
	REPL_CAUSE_OTHER,       /* everything else: 4xx, SQL errors, cancelled */
	REPL_CAUSE_COUNT
};

const char *repl_outcome_name(enum repl_outcome outcome);
const char *repl_cause_name(enum repl_cause cause);

/* What a transport saw of one attempt; the operation's classifier maps it to an outcome. */
struct repl_observation {
	enum repl_cause cause;          /* NONE when the exchange completed (whatever its status) */
	long http_status;               /* HTTP transports: the status; 0 when none arrived */
	unsigned sql_errno;             /* MySQL: the server's or client's error number; 0 = none */
	bool commit_sent;               /* MySQL: COMMIT was sent before the connection was lost */
	long smtp_reply;                /* SMTP: the server's last reply code (250, 451, 550...); 0 = none */
};

typedef enum repl_outcome (*repl_classify_fn)(const struct repl_observation *observation);

/* The standard tables (DESIGN.md "Outcomes"). */
enum repl_outcome repl_classify_http_read(const struct repl_observation *observation);  /* s3.get: 404 = absent */
enum repl_outcome repl_classify_http_write(const struct repl_observation *observation); /* s3.put, sns.publish */
enum repl_outcome repl_classify_sql(const struct repl_observation *observation);        /* db.read, db.write */
/* smtp.send: a 2xx reply is success, 4xx or no reply retryable, 5xx final (the relay refused
 * the message itself: another one would too). */
enum repl_outcome repl_classify_smtp(const struct repl_observation *observation);

/* ---- operations and their execution ---- */

/* The work one attempt does, for the transport of the replica's scheme. */
struct repl_http_header {
	const char *name;
	const char *value;
};

struct repl_query_pair {
	const char *name;
	const char *value;
};

struct repl_http_request {
	const char *method;                  /* "GET", "PUT", ... */
	const char *path;                    /* appended to the replica's URL: "/photos/ab12.jpg" */
	const struct repl_query_pair *query; /* sorted and encoded by the transport (SigV4 needs it) */
	size_t query_count;
	const struct repl_http_header *headers;
	size_t header_count;
	const void *body;
	size_t body_len;
	const char *sigv4_service;           /* "s3", "sns"; NULL = unsigned */
	const char *sigv4_region;
	const char *access_key;
	const char *secret_key;
	size_t response_max;                 /* bytes of response body kept (0: none); the rest is read
	                                      * and dropped, the response marked truncated, and the
	                                      * status alone classifies the attempt */
};

/* The answer of the winning attempt, or of the FINAL one for REPL_FINAL; nothing is kept of the
 * other attempts (a quorum's other replicas included). Owned by the result. */
struct repl_http_response {
	long status;
	char *body;                 /* NUL-terminated; NULL when no byte was kept */
	size_t body_len;            /* at most the request's response_max */
	bool truncated;             /* the body was longer than response_max: only its start is here */
	char etag[128];
	char content_type[128];
};

struct repl_operation {
	char name[REPL_NAME_MAX + 1];   /* "s3.put": the stats row */
	const struct repl_set *set;
	const struct repl_policy *policy;
	bool idempotent;
	repl_classify_fn classify;
	long attempt_timeout_ms;
	long deadline_ms;
	/* Backoff between retries: off when base is 0 (the paper's setting). Full jitter:
	 * a uniform wait in [0, min(cap, base * 2^k)). */
	long backoff_base_ms;
	long backoff_cap_ms;
};

/* ---- SQL transactions (MySQL / MariaDB replicas: mariadb://host:port/database) ---- */

enum repl_sql_type {
	REPL_SQL_NULL = 0,
	REPL_SQL_STRING,         /* text, len bytes (may hold NULs: sent as binary) */
	REPL_SQL_INT64,
};

struct repl_sql_param {
	enum repl_sql_type type;
	const char *text;
	size_t len;
	int64_t integer;
};

/* One statement, always run as a prepared statement with ? placeholders. */
struct repl_sql_statement {
	const char *sql;
	const struct repl_sql_param *params;
	size_t param_count;      /* must equal the statement's placeholders, else final (2034) */
	bool returns_rows;       /* a SELECT: its rows go to the result */
};

/* The work of one attempt: connect (or reuse this client's connection to the replica as user),
 * (wait_gtid) check that the server has applied wait_gtid, START TRANSACTION, every statement
 * in order, COMMIT, then (capture_gtid) SELECT @@last_gtid on the same connection, for
 * read-your-writes. A read_only transaction of one statement runs without START
 * TRANSACTION/COMMIT (autocommit); one of several uses START TRANSACTION READ ONLY. Each
 * connection keeps up to REPL_SQL_STATEMENTS_CACHED statements prepared, by their text (the
 * least recently used one closed to make room): a statement is prepared on its first use on a
 * connection and only executed after that, so a cached single-statement read is one round
 * trip; a reconnect prepares again, and so does a server that answers 1615 (ER_NEED_REPREPARE)
 * or 1243 (unknown statement). A failed
 * attempt re-runs from the start, on whatever replica the policy picks next. The password is
 * passed to the server only, never logged nor kept by librepl. */
struct repl_sql_transaction {
	const struct repl_sql_statement *statements;
	size_t statement_count;
	const char *user;
	const char *password;
	bool read_only;
	bool capture_gtid;
	/* Read-your-writes: a GTID list "D-S-N[,D-S-N...]" (a session's last result.sql.gtid).
	 * When non-NULL and non-empty, each attempt first reads SELECT @@GLOBAL.gtid_current_pos
	 * on its connection (MariaDB: a primary's own writes, a replica's applied ones, both after
	 * a promotion) — unless the position last read on that connection already holds wait_gtid
	 * (positions only grow), when it skips the query — and, unless repl_gtid_reached() says
	 * the server has applied wait_gtid, ends
	 * without running a statement: observation sql_errno REPL_SQL_ERRNO_STALE, cause NONE,
	 * which repl_classify_sql makes ABSENT (the policy asks its next child; the primary, last,
	 * always has its own writes). Malformed: REPL_BAD_ARGUMENT before any attempt; a server
	 * answer that is not a GTID list: cause PROTOCOL. */
	const char *wait_gtid;
	size_t rows_max;         /* rows over all statements; 0 = REPL_SQL_ROWS_DEFAULT; more: PROTOCOL */
	size_t bytes_max;        /* bytes of values; 0 = REPL_SQL_BYTES_DEFAULT; more: PROTOCOL */
};

/* One value as text, the text the mariadb client prints (integers in decimal, dates as
 * 'YYYY-MM-DD...', a DOUBLE as the shortest text that reads back as the same number). */
struct repl_sql_value {
	const char *data;        /* NUL-terminated (len bytes before it); NULL for SQL NULL */
	size_t len;
	bool null;
};

struct repl_sql_rows {
	unsigned column_count;   /* 0 for a statement without returns_rows */
	char **column_names;     /* column_count names as the SELECT gives them (its aliases), so a
	                            caller can read a column by name; NULL without rows to return */
	size_t row_count;
	struct repl_sql_value *values;   /* row_count x column_count, row by row */
	uint64_t affected_rows;
	uint64_t insert_id;
	char *storage;           /* what values point into */
};

/* ---- mail (SMTP replicas: smtp://host:port, or smtps://host:port for implicit TLS) ---- */

enum repl_smtp_tls {
	/* smtps://: TLS from the first byte; smtp://: STARTTLS, and a server that does not offer it
	 * or fails the handshake is a failed attempt (cause PROTOCOL or CONNECT), never clear text. */
	REPL_SMTP_TLS_REQUIRED = 0,
	/* Clear text (a relay on the loopback): refused with credentials (REPL_BAD_ARGUMENT). */
	REPL_SMTP_TLS_NONE,
};

/* The work of one attempt: connect (TLS as tls says), AUTH when username is set, MAIL FROM, one
 * RCPT TO, DATA (libcurl dot-stuffs it), QUIT. The message is the caller's, as sent: header
 * lines, an empty line, the body, every line ending CRLF. */
struct repl_smtp_message {
	const char *from;            /* the envelope sender: an address, without <> */
	const char *to;              /* the one envelope recipient */
	const char *data;
	size_t data_len;
	enum repl_smtp_tls tls;
	const char *username;        /* AUTH (PLAIN or LOGIN, as the server offers); NULL: none */
	const char *password;        /* passed to the server only, never logged nor kept */
};

/* The sql_errno of an attempt that found its replica stale for wait_gtid: librepl's own, in the
 * gap MySQL and MariaDB leave between their client-side 5000-5999 and the server's 10000 up. */
#define REPL_SQL_ERRNO_STALE 9001u

/* Has position (a server's gtid_current_pos, "D-S-N[,D-S-N...]" or "") applied wanted (the same
 * form)? *reached is true when, for every GTID D-S-N of wanted, position holds domain D with a
 * sequence >= N; the server id is ignored (sequences grow within a domain across a failover).
 * A NULL or empty wanted is reached by any position. Numbers are decimal: domain and server id
 * 32 bits, sequence 64. REPL_BAD_ARGUMENT (and *reached false) when position is NULL or either
 * text is not such a list (no spaces, no empty item, no sign, no overflow). */
enum repl_status repl_gtid_reached(const char *position, const char *wanted, bool *reached);

/* The winner's answer (or, for REPL_FINAL, nothing: the attempt's sql_errno says why). */
struct repl_sql_result {
	struct repl_sql_rows *statements;   /* one per statement, in order */
	size_t statement_count;
	char gtid[64];           /* @@last_gtid after COMMIT ("0-1-42"); "" when not captured */
};

struct repl_attempt {
	unsigned replica;               /* index in the set */
	int64_t start_ms;               /* on the client's clock, from the execution's start */
	int64_t end_ms;
	enum repl_outcome outcome;
	enum repl_cause cause;
	struct repl_observation observation;
};

struct repl_result {
	enum repl_status status;
	int winner;                     /* replica index of the success; -1 if none */
	struct repl_attempt attempts[REPL_ATTEMPTS_MAX];
	unsigned attempt_count;
	/* quorum: each replica's own outcome (REPL_OUTCOME_UNKNOWN for those cancelled) */
	enum repl_outcome replica_outcomes[REPL_SET_REPLICAS_MAX];
	struct repl_http_response response;      /* the winner's answer (HTTP) */
	struct repl_sql_result sql;              /* the winner's rows (SQL) */
	int64_t elapsed_ms;
};

void repl_result_free(struct repl_result *result);

/* ---- the client: one per process, made after fork ---- */

struct repl_client;
struct repl_stats;

/* A client with its own event loop and handle caches; stats (may be NULL) counts every attempt. */
enum repl_status repl_client_new(struct repl_client **client, struct repl_stats *stats);
void repl_client_free(struct repl_client *client);

/* Runs operation with request on every attempt; fills result (free it with repl_result_free). */
enum repl_status repl_execute_http(struct repl_client *client, const struct repl_operation *operation,
                                   const struct repl_http_request *request, struct repl_result *result);
/* Runs transaction as each attempt (one whole transaction on one connection; classify with
 * repl_classify_sql); the winner's rows and GTID are in result->sql. Connections are made
 * lazily, one per (replica, user) kept by the client, and dropped when they fail or an attempt
 * on them is cancelled. Observations: sql_errno from the client library or server; cause
 * CONNECT when no connection could be made, PROTOCOL when it broke mid-transaction (or a cap
 * was passed), NONE for a server error (the attempt's cause is then the SQL table's: TIMEOUT
 * for a lock wait timeout, CONNECT for too many connections, else OTHER); commit_sent once
 * COMMIT went out. */
enum repl_status repl_execute_sql(struct repl_client *client, const struct repl_operation *operation,
                                  const struct repl_sql_transaction *transaction,
                                  struct repl_result *result);

/* Runs message as each attempt (classify with repl_classify_smtp). A message is not idempotent:
 * give its operation a sequential policy. Observations: smtp_reply from the server when one
 * refused a step (cause NONE); cause CONNECT when no connection (or TLS session) could be made,
 * TIMEOUT, or PROTOCOL (no STARTTLS, a broken exchange). */
enum repl_status repl_execute_smtp(struct repl_client *client, const struct repl_operation *operation,
                                   const struct repl_smtp_message *message, struct repl_result *result);

/* ---- stats: per (operation, replica), in a file-backed segment shared by processes ---- */

#define REPL_STATS_BUCKETS 32       /* log2 buckets of microseconds: [2^i, 2^(i+1)) */

/* A merged row: the paper's Table 1 columns plus the histogram. */
struct repl_stats_row {
	char operation[REPL_NAME_MAX + 1];
	char replica[REPL_NAME_MAX + 1];
	uint64_t all;
	uint64_t fail[REPL_CAUSE_COUNT];   /* fail[REPL_CAUSE_NONE] is unused */
	uint64_t successes;
	double rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms;
	uint64_t histogram[REPL_STATS_BUCKETS];
};

#define REPL_STATS_ROWS_MAX 256     /* (operation, replica) rows in a segment */

/* Opens (creating if needed, mode 0600) the segment at path with room for `slots` processes;
 * slots 0 opens an existing segment with whatever it was made for (readers). A file of another
 * geometry, magic or version, or a truncated one, is refused: REPL_BAD_ARGUMENT. */
enum repl_status repl_stats_open(struct repl_stats **stats, const char *path, unsigned slots,
                                 struct repl_error *error);
void repl_stats_close(struct repl_stats *stats);
/* Claims this process's slot (call after fork, once per process). */
enum repl_status repl_stats_attach(struct repl_stats *stats, struct repl_error *error);
/* Counts one attempt. rtt_us is used for successes only. */
void repl_stats_record(struct repl_stats *stats, const char *operation, const char *replica,
                       enum repl_cause cause, uint64_t rtt_us);
/* Merges every slot into rows (at most max); returns the number of rows. */
size_t repl_stats_read(struct repl_stats *stats, struct repl_stats_row *rows, size_t max);
/* The p-th percentile (0 < p < 100) in ms from a row's histogram (the bucket's upper edge). */
double repl_stats_percentile(const struct repl_stats_row *row, double p);
/* A segment's identity: random bytes drawn when its file was made, as hex, and when (Unix ms).
 * A file removed and made again is another segment, whose counts start from zero. */
#define REPL_STATS_ID_BYTES 16
struct repl_stats_identity {
	char id[2 * REPL_STATS_ID_BYTES + 1];
	int64_t created_ms;
};
void repl_stats_identity(struct repl_stats *stats, struct repl_stats_identity *identity);
/* Attempts counted nowhere: a new row when all REPL_STATS_ROWS_MAX are taken, a name empty or
 * longer than REPL_NAME_MAX, or a process that found no free slot. */
uint64_t repl_stats_dropped(struct repl_stats *stats);
/* The paper's Table 1, one line per row: operation, replica, R%, Fail, All, RTT Avg, Std, Min,
 * Max, p50, p90, p99 (ms, over successes; "-" without any), then Fail by cause. */
void repl_stats_print_table(const struct repl_stats_row *rows, size_t count, FILE *out);

#endif
