/*
 * mysql.c: librepl's MariaDB/MySQL transport over MariaDB Connector/C's non-blocking API
 * (MYSQL_OPT_NONBLOCK, every blocking call as _start then _cont). One attempt is one whole
 * transaction on one connection, run as a small state machine: connect (or take this client's
 * idle connection to that replica as that user), optionally SELECT @@GLOBAL.gtid_current_pos
 * (read-your-writes), START TRANSACTION, each statement prepared (or taken from the connection's
 * cache of prepared statements), bound, executed and its rows fetched one by one into the
 * attempt's result, COMMIT, then optionally SELECT @@last_gtid. Also
 * here: the comparison of GTID positions (repl_gtid_reached). The transport never waits itself:
 * fds() hands the sockets to the clock (curl_multi_poll's extra fds), next_event_us() the
 * library's own timeouts, and perform() asks poll() with a zero timeout which sockets are ready
 * and continues those attempts. Every attempt is driven from perform() only, so start() never
 * reports.
 *
 * Decisions the caller can see:
 * - A server error inside a transaction is followed by a ROLLBACK on the same connection before
 *   the attempt is reported, so the connection goes back to the pool clean and holds no locks.
 * - A client-library error (2000-2999, 5000-5999) drops the connection. Before any reply in this
 *   attempt it is CONNECT, after one PROTOCOL. A pooled connection that turns out dead before
 *   its first reply (the server closed it while idle) is re-made once within the same attempt:
 *   nothing was executed on it.
 * - A cancelled attempt (loser, attempt timeout, deadline) shuts its socket down and closes the
 *   connection without waiting; the pool forgets it.
 * - Values come back as text, the text the mariadb client prints: a column the server sends as
 *   text (strings, DECIMAL, BIT) is its bytes; the connector makes the text of the others (numbers,
 *   dates, times) from their binary value. Rows are fetched unbuffered, so a result over rows_max
 *   or bytes_max stops at the cap (PROTOCOL) instead of first buffering everything; that
 *   connection is dropped.
 * - How a column is fetched: a column whose text the connector makes is fetched into a buffer of
 *   MYSQL_FORMATTED_MAX bytes, whole in that one fetch. The connector writes a FLOAT's or DOUBLE's
 *   text to the width of the buffer it is given (ma_gcvt with the buffer's length, at most 299),
 *   so that text has no length of its own to size a buffer by: measured with no buffer it is
 *   empty or one character, and fetched again at that length plus one it is a digit rounded to
 *   fit (0.1 read as "0"; 1e300 a length that changed between the two fetches, so a failed read).
 *   At the widest width the text is the shortest that reads back as the same number: the
 *   server's own, which the mariadb client prints. Any other column is measured by the fetch (a
 *   zero-length buffer) and then copied, at its length, by mysql_stmt_fetch_column; so is a
 *   formatted text longer than its buffer (a DOUBLE with fixed decimals, written at its full
 *   length whatever the width).
 * - Prepared statements are kept per connection, keyed by their text, at most
 *   REPL_SQL_STATEMENTS_CACHED of them: a statement is prepared on its first use on a connection
 *   and only executed after that; the least recently used one is closed to make room. A
 *   reconnect starts with an empty cache; an execution the server refuses because the statement
 *   must be prepared again (1615 ER_NEED_REPREPARE, 1243 ER_UNKNOWN_STMT_HANDLER) closes it and
 *   prepares it again, once per statement and attempt. A failed statement stays cached: the
 *   server keeps it whatever its execution answered.
 * - A read-only transaction of one statement runs without START TRANSACTION/COMMIT: one round
 *   trip (COM_STMT_EXECUTE) once its statement is cached.
 * - wait_gtid: the position is read outside any transaction, before START TRANSACTION, so the
 *   statements' snapshot is taken after it and sees what it holds. A server that has not
 *   applied wait_gtid ends the attempt with sql_errno REPL_SQL_ERRNO_STALE (cause NONE) and
 *   keeps its connection in the pool: nothing ran on it. An answer that is not one GTID list
 *   (no row, NULL, a NUL byte, bad syntax) is PROTOCOL and drops the connection.
 *   MASTER_GTID_WAIT is not used: on a primary it reads gtid_slave_pos, which lacks the
 *   primary's own writes, so the primary would look stale for them. Each connection keeps the
 *   last position it read: a server's gtid_current_pos only grows while a connection to it
 *   lives (short of an operator's RESET MASTER or SET GLOBAL gtid_slave_pos on a live replica),
 *   so when that position already holds wait_gtid the query is skipped and the read is one
 *   round trip again; a position that does not hold it is read afresh.
 */
#include "transport.h"

#include <mysql.h>
#include <errmsg.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MYSQL_CONNS_MAX 32             /* connections kept by one client (idle + busy) */
#define MYSQL_HOST_MAX 256
#define MYSQL_DB_MAX 65
#define MYSQL_USER_MAX 81
#define MYSQL_POSITION_MAX 512         /* a gtid_current_pos kept per connection; longer: not kept */
#define MYSQL_FORMATTED_MAX 300        /* a formatted column's buffer: the connector's widest text + NUL */

/* A statement prepared on a connection, by its text. */
struct mysql_cached_stmt {
	char *sql;                     /* NULL: a free entry */
	MYSQL_STMT *stmt;
	uint64_t used;                 /* the connection's use count at its last use (LRU) */
};

struct mysql_conn {
	char url[sizeof ((struct repl_replica *)0)->url];
	char user[MYSQL_USER_MAX];
	MYSQL *mysql;
	bool busy;
	struct mysql_cached_stmt stmts[REPL_SQL_STATEMENTS_CACHED];
	uint64_t uses;
	char position[MYSQL_POSITION_MAX];   /* the last gtid_current_pos read here; "" none */
};

struct mysql_attempt;

struct mysql_transport {
	struct repl_transport transport;
	struct mysql_conn conns[MYSQL_CONNS_MAX];
	struct mysql_attempt *attempts;    /* in flight */
	int64_t now_us;
};

enum mysql_step {
	STEP_CONNECT = 0,
	STEP_POSITION_QUERY,           /* wait_gtid: SELECT @@GLOBAL.gtid_current_pos */
	STEP_POSITION_STORE,
	STEP_BEGIN,
	STEP_PREPARE,
	STEP_EXECUTE,
	STEP_FETCH,
	STEP_COMMIT,
	STEP_GTID_QUERY,
	STEP_GTID_STORE,
	STEP_ROLLBACK,
};

struct mysql_attempt {
	struct mysql_attempt *next;
	struct repl_xfer *xfer;
	const struct repl_sql_transaction *txn;
	struct mysql_conn *conn;
	char host[MYSQL_HOST_MAX];
	char db[MYSQL_DB_MAX];
	unsigned port;
	enum mysql_step step;
	bool started;                  /* the step's _start was called; continue with _cont */
	bool kick;                     /* runnable without an event (new, or just reconnected) */
	int wait;                      /* MYSQL_WAIT_* the library waits for */
	int ready;                     /* events seen by perform's poll */
	int64_t timeout_us;            /* when wait has MYSQL_WAIT_TIMEOUT */
	bool transaction;              /* START TRANSACTION went through */
	bool reused;                   /* the connection came from the pool */
	bool replied;                  /* some step of this attempt got an answer */
	bool commit_sent;
	bool done;
	size_t statement;
	MYSQL_STMT *stmt;              /* the current statement: the cache's, or being prepared */
	bool stmt_cached;              /* stmt belongs to the connection's cache */
	bool reprepared;               /* the current statement was prepared again once already */
	MYSQL_BIND *params;
	MYSQL_BIND *columns;
	char *formatted;               /* the formatted columns' buffers, MYSQL_FORMATTED_MAX each */
	unsigned long *lengths;
	my_bool *nulls;
	my_bool *errors;
	MYSQL_RES *gtid_res;           /* the answer of the position or the @@last_gtid query */
	size_t rows, bytes;          /* over all statements: for the caps */
	size_t storage_used, storage_cap;   /* the current statement's own storage */
	MYSQL *ret_mysql;
	int ret_int;
	my_bool ret_bool;
	struct repl_observation failure;   /* reported after the ROLLBACK */
};

static struct mysql_transport *from_transport(struct repl_transport *transport)
{
	return (struct mysql_transport *)((char *)transport - offsetof(struct mysql_transport, transport));
}

/* ---- the replica's URL ---- */

/* "mariadb://host:port/database" (or mysql://); port defaults to 3306. */
static enum repl_status parse_url(const char *url, struct mysql_attempt *a)
{
	static const char *const schemes[] = {"mariadb://", "mysql://"};
	const char *p = NULL;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !p; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			p = url + strlen(schemes[i]);
	if (!p)
		return REPL_BAD_ARGUMENT;
	size_t host_len = strcspn(p, ":/");
	if (host_len == 0 || host_len >= sizeof a->host)
		return REPL_BAD_ARGUMENT;
	memcpy(a->host, p, host_len);
	a->host[host_len] = '\0';
	p += host_len;
	a->port = 3306;
	if (*p == ':') {
		char *end = NULL;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port <= 0 || port > 65535 || (*end && *end != '/'))
			return REPL_BAD_ARGUMENT;
		a->port = (unsigned)port;
		p = end;
	}
	if (*p != '/' || !p[1] || strlen(p + 1) >= sizeof a->db || strpbrk(p + 1, "/?#"))
		return REPL_BAD_ARGUMENT;
	memcpy(a->db, p + 1, strlen(p + 1) + 1);
	return REPL_OK;
}

/* ---- GTID positions ---- */

struct mysql_gtid {
	uint64_t domain;
	uint64_t sequence;
};

enum gtid_item {
	GTID_ITEM = 0,     /* one GTID read */
	GTID_END,          /* the list ended */
	GTID_MALFORMED,
};

/* A decimal number of at most max at *cursor, advanced past it; false on no digit or overflow. */
static bool gtid_number(const char **cursor, uint64_t max, uint64_t *value)
{
	const char *p = *cursor;
	uint64_t v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');
		if (v > (max - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*cursor = p;
	*value = v;
	return true;
}

static bool gtid_dash(const char **cursor)
{
	if (**cursor != '-')
		return false;
	(*cursor)++;
	return true;
}

/* The next GTID of list (at *cursor, advanced past it): items "D-S-N" separated by single
 * commas, nothing else. */
static enum gtid_item gtid_next(const char *list, const char **cursor, struct mysql_gtid *gtid)
{
	const char *p = *cursor;
	uint64_t server;
	if (*p == '\0')
		return GTID_END;
	if (p != list && *p++ != ',')
		return GTID_MALFORMED;
	if (!gtid_number(&p, UINT32_MAX, &gtid->domain) || !gtid_dash(&p) ||
	    !gtid_number(&p, UINT32_MAX, &server) || !gtid_dash(&p) ||
	    !gtid_number(&p, UINT64_MAX, &gtid->sequence))
		return GTID_MALFORMED;
	*cursor = p;
	return GTID_ITEM;
}

static bool gtid_list_valid(const char *list)
{
	const char *cursor = list;
	struct mysql_gtid gtid;
	enum gtid_item item;
	while ((item = gtid_next(list, &cursor, &gtid)) == GTID_ITEM)
		continue;
	return item == GTID_END;
}

/* Does position (well-formed) hold wanted's domain at wanted's sequence or later? */
static bool gtid_holds(const char *position, const struct mysql_gtid *wanted)
{
	const char *cursor = position;
	struct mysql_gtid held;
	while (gtid_next(position, &cursor, &held) == GTID_ITEM)
		if (held.domain == wanted->domain && held.sequence >= wanted->sequence)
			return true;
	return false;
}

enum repl_status repl_gtid_reached(const char *position, const char *wanted, bool *reached)
{
	if (!reached)
		return REPL_BAD_ARGUMENT;
	*reached = false;
	if (!position || !gtid_list_valid(position) || (wanted && !gtid_list_valid(wanted)))
		return REPL_BAD_ARGUMENT;
	const char *list = wanted ? wanted : "";
	const char *cursor = list;
	struct mysql_gtid gtid;
	while (gtid_next(list, &cursor, &gtid) == GTID_ITEM)
		if (!gtid_holds(position, &gtid))
			return REPL_OK;
	*reached = true;
	return REPL_OK;
}

/* ---- connections ---- */

/* Frees c's prepared statements: after mysql_close, memory only; on an open connection each
 * close sends COM_STMT_CLOSE, which has no answer to wait for. */
static void conn_stmt_free(struct mysql_cached_stmt *entry)
{
	if (entry->stmt)
		mysql_stmt_close(entry->stmt);
	free(entry->sql);
	memset(entry, 0, sizeof *entry);
}

/* Closes c's connection without waiting (after shutdown() the library's COM_QUIT fails at
 * once) and forgets what the server held for it: its statements and its position. */
static void conn_disconnect(struct mysql_conn *c)
{
	if (c->mysql) {
		my_socket fd = mysql_get_socket(c->mysql);
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
		mysql_close(c->mysql);
		c->mysql = NULL;
	}
	for (size_t i = 0; i < REPL_SQL_STATEMENTS_CACHED; i++)
		conn_stmt_free(&c->stmts[i]);
	c->uses = 0;
	c->position[0] = '\0';
}

static void conn_close(struct mysql_conn *c)
{
	conn_disconnect(c);
	memset(c, 0, sizeof *c);
}

/* sql's prepared statement on c, or NULL; a hit counts as a use. */
static MYSQL_STMT *conn_stmt_find(struct mysql_conn *c, const char *sql)
{
	for (size_t i = 0; i < REPL_SQL_STATEMENTS_CACHED; i++) {
		struct mysql_cached_stmt *entry = &c->stmts[i];
		if (entry->sql && strcmp(entry->sql, sql) == 0) {
			entry->used = ++c->uses;
			return entry->stmt;
		}
	}
	return NULL;
}

/* Keeps stmt (just prepared from sql) in c's cache, closing the least recently used one when
 * it is full; false on OOM (stmt stays the caller's). */
static bool conn_stmt_keep(struct mysql_conn *c, const char *sql, MYSQL_STMT *stmt)
{
	struct mysql_cached_stmt *slot = &c->stmts[0];
	for (size_t i = 0; i < REPL_SQL_STATEMENTS_CACHED && slot->sql; i++)
		if (!c->stmts[i].sql || c->stmts[i].used < slot->used)
			slot = &c->stmts[i];
	char *copy = strdup(sql);
	if (!copy)
		return false;
	conn_stmt_free(slot);
	slot->sql = copy;
	slot->stmt = stmt;
	slot->used = ++c->uses;
	return true;
}

/* Closes stmt, one of c's prepared statements (the server says it must be prepared again). */
static void conn_stmt_forget(struct mysql_conn *c, const MYSQL_STMT *stmt)
{
	for (size_t i = 0; i < REPL_SQL_STATEMENTS_CACHED; i++)
		if (c->stmts[i].stmt == stmt)
			conn_stmt_free(&c->stmts[i]);
}

/* This replica's idle connection as user, or a fresh slot (mysql NULL) to connect in. */
static struct mysql_conn *conn_take(struct mysql_transport *t, const char *url, const char *user)
{
	struct mysql_conn *spare = NULL, *idle = NULL;
	for (size_t i = 0; i < MYSQL_CONNS_MAX; i++) {
		struct mysql_conn *c = &t->conns[i];
		if (c->busy)
			continue;
		if (c->mysql && strcmp(c->url, url) == 0 && strcmp(c->user, user) == 0) {
			c->busy = true;
			return c;
		}
		if (!c->mysql && !spare)
			spare = c;
		if (c->mysql && !idle)
			idle = c;
	}
	struct mysql_conn *c = spare ? spare : idle;
	if (!c)
		return NULL;
	conn_close(c);
	snprintf(c->url, sizeof c->url, "%s", url);
	snprintf(c->user, sizeof c->user, "%s", user);
	c->busy = true;
	return c;
}

static bool conn_open(struct mysql_conn *c)
{
	c->mysql = mysql_init(NULL);
	if (!c->mysql)
		return false;
	/* Every session speaks utf8mb4 and UTC: the schema's CURRENT_TIMESTAMP defaults and the
	 * app's times assume it, whatever the server's own time zone is. */
	if (mysql_options(c->mysql, MYSQL_OPT_NONBLOCK, 0) != 0 ||
	    mysql_options(c->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(c->mysql, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'") != 0) {
		mysql_close(c->mysql);
		c->mysql = NULL;
		return false;
	}
	return true;
}

/* ---- results ---- */

static bool is_client_error(unsigned e)
{
	return (e >= 2000 && e < 3000) || (e >= 5000 && e < 6000);
}

/* Makes values point into storage (which may have moved while it grew). */
static void rows_fix(struct repl_sql_rows *rows)
{
	size_t offset = 0, count = rows->row_count * rows->column_count;
	for (size_t i = 0; i < count; i++) {
		struct repl_sql_value *v = &rows->values[i];
		if (v->null) {
			v->data = NULL;
			continue;
		}
		v->data = rows->storage + offset;
		offset += v->len + 1;
	}
}

static struct repl_sql_rows *current_rows(struct mysql_attempt *a)
{
	return &a->xfer->sql.statements[a->statement];
}

/* ---- the state machine ---- */

/* Lets go of the current statement: the cache keeps its own; one not (yet) prepared is freed
 * (it holds nothing on the server). */
static void stmt_release(struct mysql_attempt *a)
{
	if (a->stmt && !a->stmt_cached)
		mysql_stmt_close(a->stmt);
	a->stmt = NULL;
	a->stmt_cached = false;
	free(a->params);
	free(a->columns);
	free(a->formatted);
	free(a->lengths);
	free(a->nulls);
	free(a->errors);
	a->params = a->columns = NULL;
	a->formatted = NULL;
	a->lengths = NULL;
	a->nulls = a->errors = NULL;
}

static void attempt_free(struct mysql_attempt *a)
{
	if (a->gtid_res)
		mysql_free_result(a->gtid_res);
	stmt_release(a);
	free(a);
}

/* Closes a's connection but keeps its pool slot (to connect again in). */
static void close_mysql(struct mysql_attempt *a)
{
	if (!a->conn || !a->conn->mysql)
		return;
	if (a->gtid_res) {
		mysql_free_result(a->gtid_res);
		a->gtid_res = NULL;
	}
	conn_disconnect(a->conn);
	stmt_release(a);   /* after mysql_close: memory only */
}

/* Closes a's connection and gives up its pool slot. */
static void drop_conn(struct mysql_attempt *a)
{
	if (!a->conn)
		return;
	close_mysql(a);
	memset(a->conn, 0, sizeof *a->conn);
	a->conn = NULL;
}

static void finish(struct mysql_attempt *a, const struct repl_observation *observation)
{
	a->done = true;
	a->failure = *observation;
	if (observation->cause != REPL_CAUSE_NONE || observation->sql_errno != 0)
		repl_sql_result_free(&a->xfer->sql);
}

static void finish_ok(struct mysql_attempt *a)
{
	struct repl_observation ok = {0};
	ok.commit_sent = a->commit_sent;
	finish(a, &ok);
}

static void fail_local(struct mysql_attempt *a, enum repl_cause cause, unsigned sql_errno, bool drop)
{
	struct repl_observation o = {0};
	o.cause = cause;
	o.sql_errno = sql_errno;
	o.commit_sent = a->commit_sent;
	if (drop || a->commit_sent || !a->transaction) {
		if (drop || a->commit_sent)
			drop_conn(a);
		finish(a, &o);
		return;
	}
	/* Roll back here, so the pooled connection holds no locks; report afterwards. */
	a->failure = o;
	a->step = STEP_ROLLBACK;
}

/* A call failed with sql_errno: a client error breaks the connection, a server error not. */
static void fail(struct mysql_attempt *a, unsigned sql_errno)
{
	if (!is_client_error(sql_errno)) {
		fail_local(a, REPL_CAUSE_NONE, sql_errno, false);
		return;
	}
	if (a->reused && !a->replied && a->step != STEP_CONNECT) {
		/* An idle connection the server closed: nothing ran on it; connect afresh (the
		 * driving loop opens it). */
		close_mysql(a);
		a->reused = false;
		return;
	}
	fail_local(a, a->replied ? REPL_CAUSE_PROTOCOL : REPL_CAUSE_CONNECT, sql_errno, true);
}

static void fail_stmt(struct mysql_attempt *a)
{
	unsigned e = mysql_stmt_errno(a->stmt);
	fail(a, e ? e : mysql_errno(a->conn->mysql));
}

static bool wrapped(const struct repl_sql_transaction *txn)
{
	return !(txn->read_only && txn->statement_count == 1);
}

static bool waits_for_gtid(const struct repl_sql_transaction *txn)
{
	return txn->wait_gtid && txn->wait_gtid[0];
}

static void statement_begin(struct mysql_attempt *a);

/* After the transaction opened, or a statement ended: the next statement or COMMIT. */
static void next_statement(struct mysql_attempt *a)
{
	if (a->statement < a->txn->statement_count) {
		statement_begin(a);
		return;
	}
	if (a->transaction) {
		a->step = STEP_COMMIT;
		return;
	}
	finish_ok(a);
}

/* The server holds the wanted writes (or none were asked for): the transaction proper. */
static void open_transaction(struct mysql_attempt *a)
{
	if (wrapped(a->txn))
		a->step = STEP_BEGIN;
	else
		next_statement(a);
}

/* Does the position this connection read last already hold the wanted writes? Positions only
 * grow while the connection lives, so then the server holds them now. */
static bool known_to_hold(const struct mysql_attempt *a)
{
	bool reached = false;
	return a->conn->position[0] && repl_gtid_reached(a->conn->position, a->txn->wait_gtid, &reached) == REPL_OK &&
	       reached;
}

/* The first step on a connection that is open (made now, or taken from the pool). */
static void after_connect(struct mysql_attempt *a)
{
	if (waits_for_gtid(a->txn) && !known_to_hold(a))
		a->step = STEP_POSITION_QUERY;
	else
		open_transaction(a);
}

/* The stored answer of the position query: stale, a transaction to run, or PROTOCOL. */
static void check_position(struct mysql_attempt *a)
{
	MYSQL_ROW row = NULL;
	unsigned long *lengths = NULL;
	bool reached = false;
	if (mysql_num_fields(a->gtid_res) == 1 && mysql_num_rows(a->gtid_res) == 1)
		row = mysql_fetch_row(a->gtid_res);
	if (row)
		lengths = mysql_fetch_lengths(a->gtid_res);
	if (!row || !row[0] || !lengths || strlen(row[0]) != lengths[0] ||
	    repl_gtid_reached(row[0], a->txn->wait_gtid, &reached) != REPL_OK) {
		fail_local(a, REPL_CAUSE_PROTOCOL, 0, true);
		return;
	}
	if (lengths[0] < sizeof a->conn->position)
		memcpy(a->conn->position, row[0], lengths[0] + 1);
	else
		a->conn->position[0] = '\0';
	mysql_free_result(a->gtid_res);
	a->gtid_res = NULL;
	if (!reached) {
		struct repl_observation stale = {0};
		stale.sql_errno = REPL_SQL_ERRNO_STALE;
		finish(a, &stale);
		return;
	}
	open_transaction(a);
}

static bool bind_params(struct mysql_attempt *a, const struct repl_sql_statement *s)
{
	if (s->param_count == 0)
		return true;
	a->params = calloc(s->param_count, sizeof *a->params);
	if (!a->params)
		return false;
	for (size_t i = 0; i < s->param_count; i++) {
		const struct repl_sql_param *p = &s->params[i];
		MYSQL_BIND *b = &a->params[i];
		switch (p->type) {
		case REPL_SQL_STRING:
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = (void *)(p->text ? p->text : "");
			b->buffer_length = p->text ? (unsigned long)p->len : 0;
			break;
		case REPL_SQL_INT64:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = (void *)&p->integer;
			break;
		case REPL_SQL_NULL:
		default:
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		}
	}
	return mysql_stmt_bind_param(a->stmt, a->params) == 0;
}

/* The types whose text MariaDB Connector/C makes itself from the binary protocol's value (its
 * ps_fetch_* functions); the server sends every other type as text. */
static const enum enum_field_types formatted_types[] = {
	MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG,
	MYSQL_TYPE_YEAR, MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE, MYSQL_TYPE_DATE, MYSQL_TYPE_TIME,
	MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP,
};

static bool is_formatted(enum enum_field_types type)
{
	for (size_t i = 0; i < sizeof formatted_types / sizeof formatted_types[0]; i++)
		if (formatted_types[i] == type)
			return true;
	return false;
}

/* Every column as a string: a formatted one into its own MYSQL_FORMATTED_MAX bytes, any other
 * at zero length (the fetch says its length, mysql_stmt_fetch_column then copies it). */
static bool bind_columns(struct mysql_attempt *a, const MYSQL_FIELD *fields, unsigned count)
{
	size_t formatted = 0;
	for (unsigned i = 0; i < count; i++)
		formatted += is_formatted(fields[i].type);
	a->columns = calloc(count, sizeof *a->columns);
	a->formatted = formatted ? malloc(formatted * MYSQL_FORMATTED_MAX) : NULL;
	a->lengths = calloc(count, sizeof *a->lengths);
	a->nulls = calloc(count, sizeof *a->nulls);
	a->errors = calloc(count, sizeof *a->errors);
	if (!a->columns || (formatted && !a->formatted) || !a->lengths || !a->nulls || !a->errors)
		return false;
	char *buffer = a->formatted;
	for (unsigned i = 0; i < count; i++) {
		MYSQL_BIND *b = &a->columns[i];
		b->buffer_type = MYSQL_TYPE_STRING;
		b->length = &a->lengths[i];
		b->is_null = &a->nulls[i];
		b->error = &a->errors[i];
		if (is_formatted(fields[i].type)) {
			b->buffer = buffer;
			b->buffer_length = MYSQL_FORMATTED_MAX;
			buffer += MYSQL_FORMATTED_MAX;
		}
	}
	return mysql_stmt_bind_result(a->stmt, a->columns) == 0;
}

static size_t rows_cap(const struct mysql_attempt *a)
{
	return a->txn->rows_max ? a->txn->rows_max : REPL_SQL_ROWS_DEFAULT;
}

static size_t bytes_cap(const struct mysql_attempt *a)
{
	return a->txn->bytes_max ? a->txn->bytes_max : REPL_SQL_BYTES_DEFAULT;
}

/* The result's column names, in one block: the pointers, then the names they point at. false
 * on OOM. */
static bool take_column_names(struct repl_sql_rows *rows, const MYSQL_FIELD *fields)
{
	unsigned n = rows->column_count;
	size_t bytes = n * sizeof *rows->column_names;
	for (unsigned c = 0; c < n; c++)
		bytes += strlen(fields[c].name) + 1;
	char **names = malloc(bytes);
	char *text = names ? (char *)(names + n) : NULL;
	for (unsigned c = 0; names && c < n; c++) {
		size_t len = strlen(fields[c].name);
		memcpy(text, fields[c].name, len + 1);
		names[c] = text;
		text += len + 1;
	}
	free(rows->column_names);
	rows->column_names = names;
	return names != NULL;
}

/* The statement's columns bound for fetching and, for rows it returns, their names. false when
 * the server described no columns (or not one per column), or on OOM. */
static bool prepare_columns(struct mysql_attempt *a, struct repl_sql_rows *rows, unsigned count, bool named)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(a->stmt);
	if (!meta)
		return false;
	const MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	bool ok = fields && mysql_num_fields(meta) == count && bind_columns(a, fields, count) &&
	          (!named || take_column_names(rows, fields));
	mysql_free_result(meta);
	return ok;
}

/* Column c's value (len bytes) into to: from its bound buffer when the fetch wrote it whole there,
 * else copied by mysql_stmt_fetch_column, which must give the length the fetch said. */
static bool take_value(struct mysql_attempt *a, unsigned c, char *to, unsigned long len)
{
	const MYSQL_BIND *bound = &a->columns[c];
	if (len < bound->buffer_length) {
		memcpy(to, bound->buffer, len);
		return true;
	}
	MYSQL_BIND b = {0};
	unsigned long copied = 0;
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = to;
	b.buffer_length = len + 1;
	b.length = &copied;
	return mysql_stmt_fetch_column(a->stmt, &b, c, 0) == 0 && copied == len;
}

/* Copies the fetched row into the statement's rows. false: out of memory or a cap (failed). */
static bool take_row(struct mysql_attempt *a)
{
	struct repl_sql_rows *rows = current_rows(a);
	unsigned n = rows->column_count;
	size_t need = 0;
	if (++a->rows > rows_cap(a)) {
		fail_local(a, REPL_CAUSE_PROTOCOL, 0, true);
		return false;
	}
	for (unsigned c = 0; c < n; c++)
		if (!a->nulls[c])
			need += a->lengths[c] + 1;
	if (need > bytes_cap(a) - a->bytes) {
		fail_local(a, REPL_CAUSE_PROTOCOL, 0, true);
		return false;
	}
	struct repl_sql_value *values = realloc(rows->values, (rows->row_count + 1) * n * sizeof *values);
	if (values)
		rows->values = values;
	if (values && a->storage_used + need > a->storage_cap) {
		size_t cap = a->storage_cap ? a->storage_cap : 256;
		while (cap < a->storage_used + need)
			cap *= 2;
		char *grown = realloc(rows->storage, cap);
		if (grown) {
			rows->storage = grown;
			a->storage_cap = cap;
		} else {
			values = NULL;
		}
	}
	if (!values) {
		fail_local(a, REPL_CAUSE_OTHER, 0, true);
		return false;
	}
	for (unsigned c = 0; c < n; c++) {
		struct repl_sql_value *v = &rows->values[rows->row_count * n + c];
		v->null = a->nulls[c];
		v->len = v->null ? 0 : a->lengths[c];
		v->data = NULL;
		if (v->null)
			continue;
		if (!take_value(a, c, rows->storage + a->storage_used, a->lengths[c])) {
			fail_local(a, REPL_CAUSE_PROTOCOL, mysql_stmt_errno(a->stmt), true);
			return false;
		}
		rows->storage[a->storage_used + v->len] = '\0';
		a->storage_used += v->len + 1;
		a->bytes += v->len + 1;
	}
	rows->row_count++;
	return true;
}

/* The current statement is prepared (a->stmt): bind its parameters, then execute it. */
static void statement_bind(struct mysql_attempt *a)
{
	const struct repl_sql_statement *s = &a->txn->statements[a->statement];
	if (mysql_stmt_param_count(a->stmt) != s->param_count) {
		fail_local(a, REPL_CAUSE_NONE, CR_INVALID_PARAMETER_NO, false);
		return;
	}
	if (!bind_params(a, s)) {
		fail_local(a, REPL_CAUSE_OTHER, mysql_stmt_errno(a->stmt), false);
		return;
	}
	a->step = STEP_EXECUTE;
}

/* The current statement: executed at once when the connection has it prepared, else
 * prepared first. */
static void statement_begin(struct mysql_attempt *a)
{
	const char *sql = a->txn->statements[a->statement].sql;
	a->stmt = conn_stmt_find(a->conn, sql);
	a->stmt_cached = a->stmt != NULL;
	if (a->stmt_cached) {
		statement_bind(a);
		return;
	}
	a->stmt = mysql_stmt_init(a->conn->mysql);
	if (!a->stmt) {
		fail_local(a, REPL_CAUSE_OTHER, CR_OUT_OF_MEMORY, true);
		return;
	}
	a->step = STEP_PREPARE;
}

/* The current statement ran to its end: on to the next. */
static void statement_end(struct mysql_attempt *a)
{
	stmt_release(a);
	a->reprepared = false;
	a->statement++;
	next_statement(a);
}

/* Server errors after which a prepared statement must be prepared again. */
static const unsigned reprepare_errnos[] = {
	1615,   /* ER_NEED_REPREPARE */
	1243,   /* ER_UNKNOWN_STMT_HANDLER */
};

/* An execution failed: a statement the server no longer holds as prepared is closed and
 * prepared again (once per statement), any other failure ends the attempt. */
static void statement_failed(struct mysql_attempt *a)
{
	unsigned e = mysql_stmt_errno(a->stmt);
	bool reprepare = false;
	for (size_t i = 0; i < sizeof reprepare_errnos / sizeof reprepare_errnos[0]; i++)
		reprepare = reprepare || e == reprepare_errnos[i];
	if (!reprepare || a->reprepared || !a->stmt_cached) {
		fail_stmt(a);
		return;
	}
	a->replied = true;
	a->reprepared = true;
	conn_stmt_forget(a->conn, a->stmt);
	a->stmt = NULL;
	stmt_release(a);
	statement_begin(a);
}

/* Calls the step's _start, or its _cont with the events seen; returns what it waits for. */
static int step_call(struct mysql_attempt *a, int ready)
{
	MYSQL *m = a->conn->mysql;
	bool cont = a->started;
	a->started = true;
	switch (a->step) {
	case STEP_CONNECT:
		if (cont)
			return mysql_real_connect_cont(&a->ret_mysql, m, ready);
		return mysql_real_connect_start(&a->ret_mysql, m, a->host, a->txn->user, a->txn->password,
		                                a->db, a->port, NULL, CLIENT_FOUND_ROWS);
	case STEP_POSITION_QUERY: {
		static const char q[] = "SELECT @@GLOBAL.gtid_current_pos";
		if (cont)
			return mysql_real_query_cont(&a->ret_int, m, ready);
		return mysql_real_query_start(&a->ret_int, m, q, sizeof q - 1);
	}
	case STEP_POSITION_STORE:
		if (cont)
			return mysql_store_result_cont(&a->gtid_res, m, ready);
		return mysql_store_result_start(&a->gtid_res, m);
	case STEP_BEGIN: {
		static const char rw[] = "START TRANSACTION";
		static const char ro[] = "START TRANSACTION READ ONLY";
		if (cont)
			return mysql_real_query_cont(&a->ret_int, m, ready);
		if (a->txn->read_only)
			return mysql_real_query_start(&a->ret_int, m, ro, sizeof ro - 1);
		return mysql_real_query_start(&a->ret_int, m, rw, sizeof rw - 1);
	}
	case STEP_PREPARE: {
		if (cont)
			return mysql_stmt_prepare_cont(&a->ret_int, a->stmt, ready);
		const char *sql = a->txn->statements[a->statement].sql;
		return mysql_stmt_prepare_start(&a->ret_int, a->stmt, sql, (unsigned long)strlen(sql));
	}
	case STEP_EXECUTE:
		if (cont)
			return mysql_stmt_execute_cont(&a->ret_int, a->stmt, ready);
		return mysql_stmt_execute_start(&a->ret_int, a->stmt);
	case STEP_FETCH:
		if (cont)
			return mysql_stmt_fetch_cont(&a->ret_int, a->stmt, ready);
		return mysql_stmt_fetch_start(&a->ret_int, a->stmt);
	case STEP_COMMIT:
		if (cont)
			return mysql_commit_cont(&a->ret_bool, m, ready);
		a->commit_sent = true;
		return mysql_commit_start(&a->ret_bool, m);
	case STEP_GTID_QUERY: {
		static const char q[] = "SELECT @@last_gtid";
		if (cont)
			return mysql_real_query_cont(&a->ret_int, m, ready);
		return mysql_real_query_start(&a->ret_int, m, q, sizeof q - 1);
	}
	case STEP_GTID_STORE:
		if (cont)
			return mysql_store_result_cont(&a->gtid_res, m, ready);
		return mysql_store_result_start(&a->gtid_res, m);
	case STEP_ROLLBACK:
		if (cont)
			return mysql_rollback_cont(&a->ret_bool, m, ready);
		return mysql_rollback_start(&a->ret_bool, m);
	}
	return 0;
}

/* The step's call completed: look at its answer and go on. */
static void step_done(struct mysql_attempt *a)
{
	MYSQL *m = a->conn->mysql;
	const struct repl_sql_statement *s = NULL;
	if (a->statement < a->txn->statement_count)
		s = &a->txn->statements[a->statement];
	switch (a->step) {
	case STEP_CONNECT:
		if (!a->ret_mysql) {
			/* The server's own refusal (1045 access denied, 1040 too many connections) is
			 * an answer, left to the classifier; no connection at all is CONNECT. */
			unsigned e = mysql_errno(m);
			fail_local(a, is_client_error(e) ? REPL_CAUSE_CONNECT : REPL_CAUSE_NONE, e, true);
			return;
		}
		after_connect(a);
		break;
	case STEP_POSITION_QUERY:
		if (a->ret_int != 0) {
			fail(a, mysql_errno(m));
			return;
		}
		a->replied = true;
		a->step = STEP_POSITION_STORE;
		break;
	case STEP_POSITION_STORE:
		if (!a->gtid_res) {
			/* No result set: a broken read (client error) or a server that answered no rows. */
			unsigned e = mysql_errno(m);
			if (e)
				fail(a, e);
			else
				fail_local(a, REPL_CAUSE_PROTOCOL, 0, true);
			return;
		}
		check_position(a);
		break;
	case STEP_BEGIN:
		if (a->ret_int != 0) {
			fail(a, mysql_errno(m));
			return;
		}
		a->replied = true;
		a->transaction = true;
		next_statement(a);
		break;
	case STEP_PREPARE:
		if (a->ret_int != 0) {
			fail_stmt(a);
			return;
		}
		a->replied = true;
		if (!conn_stmt_keep(a->conn, s->sql, a->stmt)) {
			fail_local(a, REPL_CAUSE_OTHER, CR_OUT_OF_MEMORY, false);
			return;
		}
		a->stmt_cached = true;
		statement_bind(a);
		break;
	case STEP_EXECUTE: {
		if (a->ret_int != 0) {
			statement_failed(a);
			return;
		}
		a->replied = true;
		struct repl_sql_rows *rows = current_rows(a);
		rows->affected_rows = (uint64_t)mysql_stmt_affected_rows(a->stmt);
		rows->insert_id = (uint64_t)mysql_stmt_insert_id(a->stmt);
		unsigned columns = mysql_stmt_field_count(a->stmt);
		if (columns == 0) {
			statement_end(a);
			break;
		}
		/* Rows a statement without returns_rows gets are read and dropped: the cached
		 * statement must not leave them on the connection. */
		a->storage_used = 0;
		a->storage_cap = 0;
		if (s->returns_rows) {
			rows->affected_rows = 0;
			rows->column_count = columns;
		}
		if (!prepare_columns(a, rows, columns, s->returns_rows)) {
			fail_local(a, REPL_CAUSE_OTHER, mysql_stmt_errno(a->stmt), true);
			return;
		}
		a->step = STEP_FETCH;
		break;
	}
	case STEP_FETCH:
		if (a->ret_int == MYSQL_NO_DATA) {
			rows_fix(current_rows(a));
			statement_end(a);
			break;
		}
		if (a->ret_int != 0 && a->ret_int != MYSQL_DATA_TRUNCATED) {
			fail_stmt(a);
			return;
		}
		if (s->returns_rows)
			take_row(a);
		break;
	case STEP_COMMIT:
		if (a->ret_bool) {
			fail(a, mysql_errno(m));
			return;
		}
		a->transaction = false;
		if (!a->txn->capture_gtid) {
			finish_ok(a);
			return;
		}
		a->step = STEP_GTID_QUERY;
		break;
	case STEP_GTID_QUERY:
		if (a->ret_int != 0) {
			/* Committed all the same: a success without a GTID, on a connection not trusted. */
			drop_conn(a);
			finish_ok(a);
			return;
		}
		a->step = STEP_GTID_STORE;
		break;
	case STEP_GTID_STORE: {
		MYSQL_ROW row = a->gtid_res ? mysql_fetch_row(a->gtid_res) : NULL;
		if (row && row[0])
			snprintf(a->xfer->sql.gtid, sizeof a->xfer->sql.gtid, "%s", row[0]);
		if (a->gtid_res)
			mysql_free_result(a->gtid_res);
		a->gtid_res = NULL;
		finish_ok(a);
		return;
	}
	case STEP_ROLLBACK: {
		struct repl_observation o = a->failure;
		a->transaction = false;
		if (a->ret_bool)
			drop_conn(a);
		finish(a, &o);
		return;
	}
	}
}

/* Runs a's steps while they complete without waiting. */
static void attempt_drive(struct mysql_transport *t, struct mysql_attempt *a, int ready)
{
	a->kick = false;
	while (!a->done) {
		if (!a->conn->mysql) {
			if (!conn_open(a->conn)) {
				fail_local(a, REPL_CAUSE_OTHER, CR_OUT_OF_MEMORY, true);
				return;
			}
			a->step = STEP_CONNECT;
			a->started = false;
		}
		int wait = step_call(a, ready);
		ready = 0;
		if (wait != 0) {
			a->wait = wait;
			if (wait & MYSQL_WAIT_TIMEOUT)
				a->timeout_us = t->now_us + (int64_t)mysql_get_timeout_value_ms(a->conn->mysql) * 1000;
			return;
		}
		a->wait = 0;
		a->started = false;
		step_done(a);
	}
}

/* ---- the transport ---- */

static enum repl_status mysql_start(struct repl_transport *transport, struct repl_xfer *xfer)
{
	struct mysql_transport *t = from_transport(transport);
	const struct repl_sql_transaction *txn = xfer->work;
	enum repl_status status = REPL_OK;
	struct mysql_attempt *a = calloc(1, sizeof *a);
	if (!a)
		return REPL_NO_MEMORY;
	a->xfer = xfer;
	a->txn = txn;
	if (!txn->user || !txn->password || strlen(txn->user) >= MYSQL_USER_MAX ||
	    (txn->statement_count > 0 && !txn->statements)) {
		status = REPL_BAD_ARGUMENT;
		goto out;
	}
	for (size_t i = 0; i < txn->statement_count; i++) {
		const struct repl_sql_statement *s = &txn->statements[i];
		if (!s->sql || (s->param_count > 0 && !s->params)) {
			status = REPL_BAD_ARGUMENT;
			goto out;
		}
	}
	status = parse_url(xfer->replica->url, a);
	if (status != REPL_OK)
		goto out;
	repl_sql_result_free(&xfer->sql);
	if (txn->statement_count > 0) {
		xfer->sql.statements = calloc(txn->statement_count, sizeof *xfer->sql.statements);
		if (!xfer->sql.statements) {
			status = REPL_NO_MEMORY;
			goto out;
		}
		xfer->sql.statement_count = txn->statement_count;
	}
	a->conn = conn_take(t, xfer->replica->url, txn->user);
	if (!a->conn) {
		status = REPL_TRANSPORT;
		goto out;
	}
	a->reused = a->conn->mysql != NULL;
	if (a->reused)
		after_connect(a);
	/* Driven from the next perform(): start() must not report. */
	a->kick = true;
	a->next = t->attempts;
	t->attempts = a;
	xfer->data = a;
	a = NULL;
out:
	if (a) {
		if (a->conn)
			a->conn->busy = false;
		repl_sql_result_free(&xfer->sql);
		attempt_free(a);
	}
	return status;
}

static void unlink_attempt(struct mysql_transport *t, struct mysql_attempt *a)
{
	for (struct mysql_attempt **p = &t->attempts; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			return;
		}
	}
}

static void mysql_cancel(struct repl_transport *transport, struct repl_xfer *xfer,
                         struct repl_observation *seen)
{
	struct mysql_transport *t = from_transport(transport);
	struct mysql_attempt *a = xfer->data;
	if (!a)
		return;
	seen->commit_sent = a->commit_sent;
	unlink_attempt(t, a);
	drop_conn(a);
	attempt_free(a);
	repl_sql_result_free(&xfer->sql);
	xfer->data = NULL;
}

/* Which waiting sockets are ready, and which library timeouts are due. */
static void poll_ready(struct mysql_transport *t)
{
	struct pollfd fds[REPL_POLLFDS_MAX];
	struct mysql_attempt *owners[REPL_POLLFDS_MAX];
	nfds_t count = 0;
	for (struct mysql_attempt *a = t->attempts; a; a = a->next) {
		a->ready = 0;
		if ((a->wait & MYSQL_WAIT_TIMEOUT) && t->now_us >= a->timeout_us)
			a->ready |= MYSQL_WAIT_TIMEOUT;
		if (!(a->wait & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT)) || !a->conn->mysql ||
		    count == REPL_POLLFDS_MAX)
			continue;
		my_socket fd = mysql_get_socket(a->conn->mysql);
		if (fd < 0)
			continue;
		fds[count].fd = fd;
		fds[count].events = (short)(((a->wait & MYSQL_WAIT_READ) ? POLLIN : 0) |
		                            ((a->wait & MYSQL_WAIT_WRITE) ? POLLOUT : 0) |
		                            ((a->wait & MYSQL_WAIT_EXCEPT) ? POLLPRI : 0));
		fds[count].revents = 0;
		owners[count++] = a;
	}
	if (count == 0 || poll(fds, count, 0) <= 0)
		return;
	for (nfds_t i = 0; i < count; i++) {
		short r = fds[i].revents;
		/* An error or hang-up is reported as readiness: the library's read then says what. */
		if (r & (POLLIN | POLLERR | POLLHUP))
			owners[i]->ready |= owners[i]->wait & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
		if (r & POLLOUT)
			owners[i]->ready |= MYSQL_WAIT_WRITE;
		if (r & POLLPRI)
			owners[i]->ready |= MYSQL_WAIT_EXCEPT;
	}
}

static void mysql_perform(struct repl_transport *transport, int64_t now_us)
{
	struct mysql_transport *t = from_transport(transport);
	t->now_us = now_us;
	poll_ready(t);
again:
	for (struct mysql_attempt *a = t->attempts; a; a = a->next) {
		if (!a->kick && !a->ready)
			continue;
		int ready = a->ready;
		a->ready = 0;
		attempt_drive(t, a, ready);
		if (!a->done)
			continue;
		unlink_attempt(t, a);
		if (a->conn)
			a->conn->busy = false;
		struct repl_xfer *xfer = a->xfer;
		struct repl_observation observation = a->failure;
		xfer->data = NULL;
		attempt_free(a);
		/* May start and cancel attempts: the list changed, so look again from the top. */
		repl_exec_finished(xfer, &observation);
		goto again;
	}
}

static unsigned mysql_fds(struct repl_transport *transport, struct repl_pollfd *fds, unsigned max)
{
	struct mysql_transport *t = from_transport(transport);
	unsigned count = 0;
	for (struct mysql_attempt *a = t->attempts; a && count < max; a = a->next) {
		if (!(a->wait & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE)) || !a->conn->mysql)
			continue;
		my_socket fd = mysql_get_socket(a->conn->mysql);
		if (fd < 0)
			continue;
		fds[count].fd = fd;
		fds[count].events = (short)(((a->wait & MYSQL_WAIT_READ) ? REPL_POLL_IN : 0) |
		                            ((a->wait & MYSQL_WAIT_WRITE) ? REPL_POLL_OUT : 0));
		fds[count].revents = 0;
		count++;
	}
	return count;
}

static int64_t mysql_next_event_us(struct repl_transport *transport, int64_t now_us)
{
	struct mysql_transport *t = from_transport(transport);
	int64_t next = -1;
	for (struct mysql_attempt *a = t->attempts; a; a = a->next) {
		int64_t at = -1;
		if (a->kick)
			at = now_us;
		else if (a->wait & MYSQL_WAIT_TIMEOUT)
			at = a->timeout_us;
		if (at >= 0 && (next < 0 || at < next))
			next = at;
	}
	return next;
}

static void mysql_free_transport(struct repl_transport *transport)
{
	struct mysql_transport *t = from_transport(transport);
	while (t->attempts) {
		struct mysql_attempt *a = t->attempts;
		t->attempts = a->next;
		drop_conn(a);
		attempt_free(a);
	}
	for (size_t i = 0; i < MYSQL_CONNS_MAX; i++)
		conn_close(&t->conns[i]);
	free(t);
}

static const struct repl_transport_ops mysql_ops = {
	.start = mysql_start,
	.cancel = mysql_cancel,
	.perform = mysql_perform,
	.fds = mysql_fds,
	.next_event_us = mysql_next_event_us,
	.free = mysql_free_transport,
};

enum repl_status repl_mysql_transport_new(struct repl_transport **transport)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		return REPL_TRANSPORT;
	struct mysql_transport *t = calloc(1, sizeof *t);
	if (!t)
		return REPL_NO_MEMORY;
	t->transport.ops = &mysql_ops;
	*transport = &t->transport;
	return REPL_OK;
}
