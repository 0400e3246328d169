/*
 * repl_mysql.c: librepl's MariaDB transport against a real primary/standby pair with semi-sync
 * replication, a stack's, started by test/integration/repl_transports.sh, which names it in
 * REPL_TEST_STACK_DIR and REPL_TEST_STACK_BASE. The group setup makes a table as the migration
 * user, and the cases run transactions over it as the app's user, the way the app does: writes
 * through seq(primary, standby), reads (and their columns' names), columns and expressions of
 * every number, date and time type read as the mariadb client prints them (DOUBLE and FLOAT
 * whose text the connector writes to its buffer's width), a duplicate key, the read-only standby, connection reuse,
 * timeouts against a server that never answers, read-your-writes (wait_gtid) against a delayed
 * standby and on the primary, the round trips a connection makes, counted by the server in its
 * session status (a statement prepared once per connection, a bounded cache, a reconnect
 * preparing again, a statement the server forgot prepared again once, the replica's position read
 * once while it holds the wanted write), and
 * last (it breaks the pair) a failover after the primary is
 * killed. Without a stack every case FAILS saying why, except the first, which checks the GTID
 * comparison alone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "repl.h"
#include "repl_stack.h"

#define TABLE "repl_test"

struct stack {
	bool up;
	char why[512];
	char dir[256];
	long base;
	char password[256];
	struct repl_set set;       /* primary, standby, stall, forgetful */
	int stall_fd;
	struct repl_client *client;
};

static struct stack stack = {.stall_fd = -1};

/* Runs "packaging/stackctl ARGS" (ARGS quoted by the caller), giving each stdout line (without
 * its newline; len bytes, which may hold NULs) to each. */
static int stackctl_lines(const char *args, void (*each)(const char *line, size_t len, void *context),
                          void *context)
{
	char command[4096];
	int n = snprintf(command, sizeof command, "'%s/packaging/stackctl' %s", repl_stack_srcdir(), args);
	if (n < 0 || (size_t)n >= sizeof command)
		return -1;
	FILE *p = popen(command, "r");
	if (!p)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, p)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		each(line, (size_t)len, context);
	}
	free(line);
	return pclose(p);
}

struct last_line {
	char text[512];
};

static void keep_last(const char *line, size_t len, void *context)
{
	struct last_line *last = context;
	snprintf(last->text, sizeof last->text, "%.*s", (int)len, line);
}

/* Runs "packaging/stackctl ARGS" (ARGS quoted by the caller); its last stdout line to out. */
static int stackctl(const char *args, char *out, size_t size)
{
	struct last_line last = {""};
	int status = stackctl_lines(args, keep_last, &last);
	if (out)
		snprintf(out, size, "%s", last.text);
	return status;
}

/* A TCP socket that accepts connections into its backlog and never says a word. */
static int stall_listen(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof addr;
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(addr.sin_port);
	return fd;
}


/* ---- forgetful: the primary behind a relay that makes it forget a prepared statement ----
 * MariaDB offers no way to drop a binary-protocol statement of another connection (DEALLOCATE
 * PREPARE names SQL-level statements only), and it answers 1615 ER_NEED_REPREPARE to a client only
 * after its own re-prepares failed three times. So the relay, between librepl and the primary,
 * when armed sends the primary COM_STMT_CLOSE for the statement a COM_STMT_EXECUTE names just
 * before that execution: the primary then answers it with its own 1243 ER_UNKNOWN_STMT_HANDLER,
 * as it would after a proxy's silent reconnect or anything else that lost the statement. One
 * connection at a time, plain protocol (the transport asks for no TLS or compression). */

#define COM_STMT_EXECUTE 0x17
#define COM_STMT_CLOSE 0x19

static struct {
	int listen_fd;
	pthread_t thread;
	bool running;
	atomic_int armed;          /* executions still to be preceded by a close */
	atomic_int closed;         /* closes sent */
	atomic_bool stop;
} forgetful = {.listen_fd = -1};

static bool write_all(int fd, const unsigned char *bytes, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, bytes, len);
		if (n <= 0)
			return false;
		bytes += n;
		len -= (size_t)n;
	}
	return true;
}

/* Relays the client's whole packets upstream, closing the statement of an armed execution first;
 * returns the bytes of an unfinished packet left at the front of buf. */
static size_t forgetful_client_packets(int upstream, unsigned char *buf, size_t len, bool *ok)
{
	size_t at = 0;
	while (*ok && len - at >= 4) {
		size_t size = buf[at] | (size_t)buf[at + 1] << 8 | (size_t)buf[at + 2] << 16;
		if (len - at < 4 + size)
			break;
		const unsigned char *packet = buf + at;
		/* A command is packet 0 of its exchange; the handshake's packets are not. */
		if (packet[3] == 0 && size >= 5 && packet[4] == COM_STMT_EXECUTE && atomic_load(&forgetful.armed) > 0) {
			unsigned char close_packet[9] = {5, 0, 0, 0, COM_STMT_CLOSE, packet[5], packet[6], packet[7], packet[8]};
			*ok = write_all(upstream, close_packet, sizeof close_packet);
			atomic_fetch_sub(&forgetful.armed, 1);
			atomic_fetch_add(&forgetful.closed, 1);
		}
		*ok = *ok && write_all(upstream, packet, 4 + size);
		at += 4 + size;
	}
	memmove(buf, buf + at, len - at);
	return len - at;
}

static void forgetful_relay(int client)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(stack.base + 1))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int upstream = socket(AF_INET, SOCK_STREAM, 0);
	if (upstream < 0 || connect(upstream, (struct sockaddr *)&addr, sizeof addr) != 0) {
		if (upstream >= 0)
			close(upstream);
		return;
	}
	static unsigned char from_client[1 << 20];
	unsigned char from_server[65536];
	size_t pending = 0;
	bool ok = true;
	while (ok && !atomic_load(&forgetful.stop)) {
		struct pollfd fds[] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
		if (poll(fds, 2, 100) < 0)
			break;
		if (fds[0].revents) {
			ssize_t n = read(client, from_client + pending, sizeof from_client - pending);
			ok = n > 0;
			if (ok)
				pending = forgetful_client_packets(upstream, from_client, pending + (size_t)n, &ok);
		}
		if (ok && fds[1].revents) {
			ssize_t n = read(upstream, from_server, sizeof from_server);
			ok = n > 0 && write_all(client, from_server, (size_t)n);
		}
	}
	close(upstream);
}

static void *forgetful_main(void *unused)
{
	(void)unused;
	while (!atomic_load(&forgetful.stop)) {
		struct pollfd pfd = {forgetful.listen_fd, POLLIN, 0};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		int client = accept(forgetful.listen_fd, NULL, NULL);
		if (client < 0)
			continue;
		forgetful_relay(client);
		close(client);
	}
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	char args[1024];
	if (repl_stack_open(stack.dir, sizeof stack.dir, &stack.base, &stack.client, stack.why, sizeof stack.why) != 0)
		return 0;
	if (!repl_stack_secret(stack.dir, "db_app_password", stack.password, sizeof stack.password)) {
		snprintf(stack.why, sizeof stack.why, "no db_app_password in %s/secrets", stack.dir);
		return 0;
	}
	snprintf(args, sizeof args,
	         "sql '%s' primary migrate 'CREATE TABLE " TABLE " (id BIGINT PRIMARY KEY, "
	         "name VARCHAR(64) NULL, amount DECIMAL(10,2) NULL) ENGINE=InnoDB'", stack.dir);
	if (stackctl(args, NULL, 0) != 0) {
		snprintf(stack.why, sizeof stack.why, "CREATE TABLE as the migration user failed");
		return 0;
	}
	snprintf(args, sizeof args,
	         "sql '%s' primary root \"GRANT SELECT, INSERT ON complaints." TABLE
	         " TO complaints_app@'127.0.0.1'\"", stack.dir);
	stackctl(args, NULL, 0);   /* the app's grants may already cover every table */
	int stall_port = 0;
	stack.stall_fd = stall_listen(&stall_port);
	if (stack.stall_fd < 0) {
		snprintf(stack.why, sizeof stack.why, "could not listen on 127.0.0.1");
		return 0;
	}
	int forgetful_port = 0;
	forgetful.listen_fd = stall_listen(&forgetful_port);
	if (forgetful.listen_fd < 0 || pthread_create(&forgetful.thread, NULL, forgetful_main, NULL) != 0) {
		snprintf(stack.why, sizeof stack.why, "could not start the relay on 127.0.0.1");
		return 0;
	}
	forgetful.running = true;
	char text[512];
	snprintf(text, sizeof text,
	         "primary=mariadb://127.0.0.1:%ld/complaints, standby=mariadb://127.0.0.1:%ld/complaints, "
	         "stall=mariadb://127.0.0.1:%d/complaints, forgetful=mariadb://127.0.0.1:%d/complaints",
	         stack.base + 1, stack.base + 2, stall_port, forgetful_port);
	struct repl_error error;
	if (repl_set_parse(&stack.set, "db", text, &error) != REPL_OK) {
		snprintf(stack.why, sizeof stack.why, "repl_set_parse: %s", error.message);
		return 0;
	}
	stack.up = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	repl_client_free(stack.client);
	if (stack.stall_fd >= 0)
		close(stack.stall_fd);
	if (forgetful.running) {
		atomic_store(&forgetful.stop, true);
		pthread_join(forgetful.thread, NULL);
	}
	if (forgetful.listen_fd >= 0)
		close(forgetful.listen_fd);
	return 0;
}

static void need_stack(void)
{
	if (!stack.up)
		fail_msg("no MariaDB pair: %s", stack.why);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs transaction under policy text; the caller frees result. */
static enum repl_status run(const char *policy_text, bool idempotent, long attempt_timeout_ms,
                            long deadline_ms, const struct repl_sql_transaction *txn,
                            struct repl_result *result)
{
	struct repl_policy *policy = NULL;
	struct repl_error error;
	enum repl_status status = repl_policy_parse(policy_text, strlen(policy_text), &stack.set,
	                                            idempotent, &policy, &error);
	if (status != REPL_OK)
		fail_msg("policy %s: %s", policy_text, error.message);
	struct repl_operation op = {
		.name = "db.test",
		.set = &stack.set,
		.policy = policy,
		.idempotent = idempotent,
		.classify = repl_classify_sql,
		.attempt_timeout_ms = attempt_timeout_ms,
		.deadline_ms = deadline_ms,
	};
	status = repl_execute_sql(stack.client, &op, txn, result);
	repl_policy_free(policy);
	return status;
}

static struct repl_sql_param int_param(int64_t v)
{
	return (struct repl_sql_param){.type = REPL_SQL_INT64, .integer = v};
}

static struct repl_sql_param text_param(const char *s)
{
	return (struct repl_sql_param){.type = REPL_SQL_STRING, .text = s, .len = strlen(s)};
}

static const struct repl_sql_param null_param = {.type = REPL_SQL_NULL};

static struct repl_sql_transaction txn_of(const struct repl_sql_statement *statements, size_t count)
{
	return (struct repl_sql_transaction){
		.statements = statements,
		.statement_count = count,
		.user = "complaints_app",
		.password = stack.password,
	};
}

/* Two INSERTs in one transaction: (id, name, NULL) and (id + 1, NULL, amount). */
static enum repl_status insert_two(const char *policy, int64_t id, const char *name,
                                   struct repl_result *result)
{
	struct repl_sql_param p1[] = {int_param(id), text_param(name), null_param};
	struct repl_sql_param p2[] = {int_param(id + 1), null_param, text_param("12.50")};
	struct repl_sql_statement statements[] = {
		{"INSERT INTO " TABLE " (id, name, amount) VALUES (?, ?, ?)", p1, 3, false},
		{"INSERT INTO " TABLE " (id, name, amount) VALUES (?, ?, ?)", p2, 3, false},
	};
	struct repl_sql_transaction txn = txn_of(statements, 2);
	txn.capture_gtid = true;
	return run(policy, false, 5000, 20000, &txn, result);
}

/* SELECT COUNT(*) of rows id..id+1 on replica, as text. */
static void count_on(const char *replica, int64_t id, char *out, size_t size)
{
	struct repl_sql_param p[] = {int_param(id), int_param(id + 1)};
	struct repl_sql_statement s = {"SELECT COUNT(*) FROM " TABLE " WHERE id IN (?, ?)", p, 2, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	out[0] = '\0';
	if (run(replica, true, 5000, 10000, &txn, &result) == REPL_OK &&
	    result.sql.statement_count == 1 && result.sql.statements[0].row_count == 1)
		snprintf(out, size, "%s", result.sql.statements[0].values[0].data);
	repl_result_free(&result);
}

/* Waits up to 10 s for the standby to apply rows id..id+1. */
static bool standby_has(int64_t id)
{
	char count[32];
	for (int64_t until = now_ms() + 10000; now_ms() < until; usleep(50000)) {
		count_on("standby", id, count, sizeof count);
		if (strcmp(count, "2") == 0)
			return true;
	}
	return false;
}

/* ---- GTID positions (no server needed) ---- */

/* 1 reached, 0 not, -1 refused as malformed. */
static int reached(const char *position, const char *wanted)
{
	bool yes = true;
	enum repl_status status = repl_gtid_reached(position, wanted, &yes);
	if (status != REPL_OK) {
		assert_int_equal(status, REPL_BAD_ARGUMENT);
		assert_false(yes);
		return -1;
	}
	return yes ? 1 : 0;
}

static void test_gtid_reached_compares_sequences_per_domain(void **state)
{
	(void)state;
	static const struct {
		const char *position, *wanted;
		int reached;
	} rows[] = {
		{"0-1-42", "0-1-42", 1},                      /* equal */
		{"0-1-41", "0-1-42", 0},                      /* lower */
		{"0-1-43", "0-1-42", 1},                      /* higher */
		{"0-2-42", "0-1-42", 1},                      /* the server id is ignored: a failover */
		{"0-2-41", "0-1-42", 0},
		{"0-1-10,1-1-5,7-3-2", "1-1-5,0-1-9", 1},     /* several domains, any order */
		{"0-1-10,1-1-4", "0-1-9,1-1-5", 0},           /* one domain behind is behind */
		{"0-1-10,1-1-9", "1-1-5", 1},
		{"0-1-10", "1-1-1", 0},                       /* a domain the server never saw */
		{"", "0-1-1", 0},
		{"0-1-1", "", 1},                             /* nothing wanted: no check */
		{"", "", 1},
		{"0-1-1", NULL, 1},
		{"0-1-18446744073709551615", "0-1-18446744073709551614", 1},
		{"4294967295-4294967295-18446744073709551615", "4294967295-0-1", 1},
		{"0-1-100", "0-1-99,0-1-100", 1},
		{"0-1-100", "0-1-99,0-1-101", 0},
		{"007-1-0010", "7-1-10", 1},                  /* leading zeros are still decimal */
		/* garbage, in the position (a server's answer) or in the wanted list */
		{NULL, "0-1-1", -1},
		{"x", "0-1-1", -1},
		{"0-1", "0-1-1", -1},
		{"0-1-", "0-1-1", -1},
		{"-1-2", "0-1-1", -1},
		{"0-1-2,", "0-1-1", -1},
		{",0-1-2", "0-1-1", -1},
		{"0-1-2,,1-1-1", "0-1-1", -1},
		{"0-1-2 ", "0-1-1", -1},
		{"0-1-2, 1-1-1", "0-1-1", -1},
		{"+0-1-2", "0-1-1", -1},
		{"0-1-2-3", "0-1-1", -1},
		{"4294967296-1-2", "0-1-1", -1},              /* a domain over 32 bits */
		{"0-4294967296-2", "0-1-1", -1},              /* a server id over 32 bits */
		{"0-1-18446744073709551616", "0-1-1", -1},    /* a sequence over 64 bits */
		{"0-1-2", "0-1-x", -1},
		{"0-1-2", "0-1-2;1-1-1", -1},
		{"", "garbage", -1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = reached(rows[i].position, rows[i].wanted);
		if (got != rows[i].reached)
			fail_msg("position '%s', wanted '%s': got %d, expected %d",
			         rows[i].position ? rows[i].position : "(null)",
			         rows[i].wanted ? rows[i].wanted : "(null)", got, rows[i].reached);
	}
	assert_int_equal(repl_gtid_reached("0-1-1", "0-1-1", NULL), REPL_BAD_ARGUMENT);
}

static void test_write_commits_on_primary_and_replicates(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	assert_int_equal(insert_two("seq(primary, standby)", 1, "alpha", &result), REPL_OK);
	assert_int_equal(result.winner, 0);
	assert_int_equal(result.attempt_count, 1);
	assert_true(result.attempts[0].observation.commit_sent);
	assert_int_equal(result.sql.statement_count, 2);
	assert_int_equal(result.sql.statements[0].affected_rows, 1);
	assert_int_equal(result.sql.statements[1].affected_rows, 1);
	/* MariaDB's GTID: domain-server-sequence. */
	assert_non_null(strchr(result.sql.gtid, '-'));
	repl_result_free(&result);
	char count[32];
	count_on("primary", 1, count, sizeof count);
	assert_string_equal(count, "2");
	assert_true(standby_has(1));
}

static void test_select_returns_values_and_nulls(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	assert_int_equal(insert_two("primary", 10, "it's \"quoted\"", &result), REPL_OK);
	repl_result_free(&result);

	struct repl_sql_param p[] = {int_param(10), int_param(11)};
	struct repl_sql_statement s = {
		"SELECT id, name, amount FROM " TABLE " WHERE id IN (?, ?) ORDER BY id", p, 2, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	assert_int_equal(run("primary", true, 5000, 10000, &txn, &result), REPL_OK);
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	assert_int_equal(rows->column_count, 3);
	assert_int_equal(rows->row_count, 2);
	const struct repl_sql_value *v = rows->values;
	assert_string_equal(v[0].data, "10");
	assert_string_equal(v[1].data, "it's \"quoted\"");
	assert_int_equal(v[1].len, strlen("it's \"quoted\""));
	assert_true(v[2].null);
	assert_null(v[2].data);
	assert_string_equal(v[3].data, "11");
	assert_true(v[4].null);
	assert_string_equal(v[5].data, "12.50");
	assert_false(v[5].null);
	repl_result_free(&result);
}

/* A SELECT's columns come back with their names (an alias where it gives one), so callers read
 * them by name; a statement without rows has none. */
static void test_select_names_its_columns(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	struct repl_sql_param p[] = {int_param(10)};
	struct repl_sql_statement s[] = {
		{"SELECT id, name AS who, amount * 2 AS doubled FROM " TABLE " WHERE id = ?", p, 1, true},
		{"SELECT 1 FROM " TABLE " WHERE id = ?", p, 1, false},
	};
	struct repl_sql_transaction txn = txn_of(s, 2);
	txn.read_only = true;
	assert_int_equal(run("primary", true, 5000, 10000, &txn, &result), REPL_OK);
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	assert_int_equal(rows->column_count, 3);
	assert_non_null(rows->column_names);
	assert_string_equal(rows->column_names[0], "id");
	assert_string_equal(rows->column_names[1], "who");
	assert_string_equal(rows->column_names[2], "doubled");
	assert_null(result.sql.statements[1].column_names);
	repl_result_free(&result);
}

/* Each row-returning statement has its own storage: the second SELECT's values must not be
 * written where the first one's count of bytes left off. */
static void test_two_selects_in_one_transaction_return_their_values(void **state)
{
	(void)state;
	need_stack();
	struct repl_sql_param p1[] = {text_param("alpha"), text_param("beta")};
	struct repl_sql_param p2[] = {text_param("gamma"), int_param(42)};
	struct repl_sql_statement statements[] = {
		{"SELECT CAST(? AS CHAR), CAST(? AS CHAR)", p1, 2, true},
		{"SELECT CAST(? AS CHAR), ? + 1", p2, 2, true},
	};
	struct repl_sql_transaction txn = txn_of(statements, 2);
	txn.read_only = true;
	struct repl_result result;
	assert_int_equal(run("primary", true, 5000, 10000, &txn, &result), REPL_OK);
	assert_int_equal(result.sql.statement_count, 2);
	const struct repl_sql_rows *first = &result.sql.statements[0];
	const struct repl_sql_rows *second = &result.sql.statements[1];
	assert_int_equal(first->row_count, 1);
	assert_int_equal(first->column_count, 2);
	assert_string_equal(first->values[0].data, "alpha");
	assert_string_equal(first->values[1].data, "beta");
	assert_int_equal(second->row_count, 1);
	assert_int_equal(second->column_count, 2);
	assert_int_equal(second->values[0].len, 5);
	assert_memory_equal(second->values[0].data, "gamma", 6);
	assert_memory_equal(second->values[1].data, "43", 3);
	repl_result_free(&result);
}

/* ---- values as text: what the mariadb client prints ---- */

#define NUMBERS "repl_test_numbers"
#define CLIENT_ROWS_MAX 8
#define CLIENT_COLUMNS_MAX 24
#define CLIENT_TEXT_MAX 512

struct client_value {
	char text[CLIENT_TEXT_MAX];          /* unescaped; NUL-terminated after len bytes */
	size_t len;
	bool null;
};

/* What the mariadb client printed for a SELECT (batch mode, one line a row, tab-separated). */
struct client_rows {
	size_t row_count, column_count;
	bool overflow;                       /* more rows, columns or bytes than kept */
	struct client_value values[CLIENT_ROWS_MAX][CLIENT_COLUMNS_MAX];
};

/* One line of the client's batch output: values separated by tabs, in which it wrote NUL, tab,
 * newline and backslash as \0, \t, \n and \\, and SQL NULL as NULL. */
static void client_row(const char *line, size_t len, void *context)
{
	struct client_rows *out = context;
	size_t column = 0, at = 0;
	if (out->row_count == CLIENT_ROWS_MAX) {
		out->overflow = true;
		return;
	}
	for (;;) {
		if (column == CLIENT_COLUMNS_MAX) {
			out->overflow = true;
			return;
		}
		struct client_value *v = &out->values[out->row_count][column];
		v->len = 0;
		for (; at < len && line[at] != '\t'; at++) {
			char c = line[at];
			if (c == '\\' && at + 1 < len) {
				static const char escaped[] = "0tn\\", meant[] = {'\0', '\t', '\n', '\\'};
				const char *which = strchr(escaped, line[++at]);
				c = which && *which ? meant[which - escaped] : line[at];
			}
			if (v->len + 1 == CLIENT_TEXT_MAX) {
				out->overflow = true;
				return;
			}
			v->text[v->len++] = c;
		}
		v->text[v->len] = '\0';
		v->null = v->len == 4 && memcmp(v->text, "NULL", 4) == 0;
		column++;
		if (at++ == len)
			break;
	}
	if (out->row_count == 0)
		out->column_count = column;
	else if (column != out->column_count)
		out->overflow = true;
	out->row_count++;
}

/* select's rows through librepl as the app (a prepared statement: the binary protocol, each value
 * made text by the connector or sent as text) and through the mariadb client (the text protocol:
 * every value the server's text), both on the primary in UTC: every value must be the client's,
 * byte for byte. The caller reads result too, then frees it. */
static void expect_client_values(const char *select, struct repl_result *result)
{
	static struct client_rows client;
	char args[2048];
	memset(&client, 0, sizeof client);
	snprintf(args, sizeof args, "sql '%s' primary app \"SET time_zone = '+00:00'; %s\"", stack.dir, select);
	assert_int_equal(stackctl_lines(args, client_row, &client), 0);
	assert_false(client.overflow);
	assert_true(client.row_count > 0);

	struct repl_sql_statement s = {select, NULL, 0, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	enum repl_status status = run("primary", true, 5000, 10000, &txn, result);
	if (status != REPL_OK)
		fail_msg("librepl could not read what the client printed: status %d, cause %d, error %u", status,
		         result->attempt_count ? (int)result->attempts[0].observation.cause : -1,
		         result->attempt_count ? result->attempts[0].observation.sql_errno : 0);
	const struct repl_sql_rows *rows = &result->sql.statements[0];
	assert_int_equal(rows->row_count, client.row_count);
	assert_int_equal(rows->column_count, client.column_count);
	for (size_t r = 0; r < rows->row_count; r++) {
		for (size_t c = 0; c < rows->column_count; c++) {
			const struct repl_sql_value *ours = &rows->values[r * rows->column_count + c];
			const struct client_value *theirs = &client.values[r][c];
			if (ours->null != theirs->null || (!ours->null && (ours->len != theirs->len ||
			                                                    memcmp(ours->data, theirs->text, ours->len) != 0)))
				fail_msg("row %zu, column %s: librepl read %s'%.*s' (%zu bytes), the client printed '%s' (%zu bytes)",
				         r + 1, rows->column_names[c], ours->null ? "NULL " : "", (int)ours->len,
				         ours->null ? "" : ours->data, ours->len, theirs->text, theirs->len);
		}
	}
}

/* Value (row, column) of a statement's rows, as text; NULL for SQL NULL. */
static const char *value_at(const struct repl_result *result, size_t row, size_t column)
{
	const struct repl_sql_rows *rows = &result->sql.statements[0];
	return rows->values[row * rows->column_count + column].data;
}

/* Columns of every type whose text the connector makes from the binary value (DOUBLE and FLOAT at
 * the width of the buffer it is given) or the server sends as text (DECIMAL, BIT), with values
 * whose text is longer or shorter than a rounded one (0.1, 1e300, -1.5e-300, 17 digits), negative
 * zero (the server sends it as zero), fractions of seconds, and NULLs: read as the client prints
 * them. */
static void test_number_and_time_columns_read_as_the_client_prints_them(void **state)
{
	(void)state;
	need_stack();
	char args[4096];
	snprintf(args, sizeof args,
	         "sql '%s' primary migrate \"SET time_zone = '+00:00';"
	         " CREATE TABLE " NUMBERS " (id INT PRIMARY KEY, d DOUBLE NULL, f FLOAT NULL, d3 DOUBLE(12, 3) NULL,"
	         " du DOUBLE UNSIGNED NULL, de DECIMAL(30, 10) NULL, bi BIT(12) NULL, y YEAR NULL, t TIME(3) NULL,"
	         " dt DATETIME(6) NULL, ts TIMESTAMP(2) NULL) ENGINE=InnoDB;"
	         " INSERT INTO " NUMBERS " VALUES"
	         " (1, 0.1, 0.1, 0.1, 0.1, 0.1, b'101', 2024, '-838:59:59.999', '2024-02-29 23:59:59.000001',"
	         " '2024-01-01 00:00:00.5'),"
	         " (2, 1e300, 3.4e38, -1234567.125, 1e-300, -12345678901234567890.0123456789, b'111111111111', 1901,"
	         " '00:00:00.001', '1000-01-01 00:00:00', '2038-01-19 03:14:07.99'),"
	         " (3, -1.5e-300, -1.17549e-38, -0.0005, 0, -0.0000000001, b'0', 2155, '838:59:59', '9999-12-31 23:59:59.999999',"
	         " '1970-01-01 00:00:01'),"
	         " (4, 123456789.123456789, 123456789, 0, 1.7976931348623157e308, 0, b'10000000', 0, '12:00:00',"
	         " '2000-01-01', NULL),"
	         " (5, -0e0, -0e0, -0e0, 5e-324, -0.0, NULL, NULL, NULL, NULL, NULL),"
	         " (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)\"",
	         stack.dir);
	assert_int_equal(stackctl(args, NULL, 0), 0);
	snprintf(args, sizeof args, "sql '%s' primary root \"GRANT SELECT ON complaints." NUMBERS
	         " TO complaints_app@'127.0.0.1'\"", stack.dir);
	stackctl(args, NULL, 0);   /* the app's grants may already cover every table */

	struct repl_result result;
	expect_client_values("SELECT * FROM " NUMBERS " ORDER BY id", &result);
	/* The client's text, and each number's own: the shortest that reads back the same. */
	static const char *const doubles[] = {"0.1", "1e300", "-1.5e-300", "123456789.12345679", "0", NULL};
	for (size_t r = 0; r < sizeof doubles / sizeof doubles[0]; r++) {
		const char *d = value_at(&result, r, 1);
		if (doubles[r])
			assert_string_equal(d, doubles[r]);
		else
			assert_null(d);
	}
	assert_string_equal(value_at(&result, 0, 2), "0.1");
	assert_string_equal(value_at(&result, 3, 2), "123457000");
	assert_string_equal(value_at(&result, 1, 3), "-1234567.125");
	assert_string_equal(value_at(&result, 2, 3), "0.000");
	assert_string_equal(value_at(&result, 3, 4), "1.7976931348623157e308");
	assert_string_equal(value_at(&result, 0, 8), "-838:59:59.999");
	assert_string_equal(value_at(&result, 0, 9), "2024-02-29 23:59:59.000001");
	assert_string_equal(value_at(&result, 0, 10), "2024-01-01 00:00:00.50");
	repl_result_free(&result);
}

/* The same for computed columns, which carry no width of their own: DOUBLE and FLOAT
 * expressions, a DOUBLE with fixed decimals (ROUND), a double's NULL, and the extremes. */
static void test_double_expressions_read_as_the_client_prints_them(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	/* Alone, 0.1's text measured with no buffer is one character long: not "0". */
	expect_client_values("SELECT 0.1e0 AS tenth", &result);
	assert_string_equal(value_at(&result, 0, 0), "0.1");
	repl_result_free(&result);
	expect_client_values(
		"SELECT 0.1e0 AS tenth, 1e300 AS big, -1.5e-300 AS tiny, 123456789.123456789e0 AS digits,"
		" CAST(NULL AS DOUBLE) AS nothing, 1 / 3e0 AS third, -0e0 AS minus_zero, 0e0 * -1 AS product,"
		" ROUND(2.5e0, 2) AS fixed, CAST(0.1 AS FLOAT) AS float_tenth, 1e15 AS e15, 1e16 AS e16,"
		" 1e-5 AS small, -2.2250738585072014e-308 AS least, 4.9e-324 AS denormal, SQRT(2) AS root,"
		" AVG(x) AS mean FROM (SELECT 0.1e0 AS x UNION ALL SELECT 0.2e0) v",
		&result);
	static const char *const expected[] = {"0.1", "1e300", "-1.5e-300", "123456789.12345679", NULL,
	                                       "0.3333333333333333"};
	for (size_t c = 0; c < sizeof expected / sizeof expected[0]; c++) {
		const char *v = value_at(&result, 0, c);
		if (expected[c])
			assert_string_equal(v, expected[c]);
		else
			assert_null(v);
	}
	assert_string_equal(value_at(&result, 0, 16), "0.15000000000000002");
	repl_result_free(&result);
}

static void test_row_cap_is_a_protocol_failure(void **state)
{
	(void)state;
	need_stack();
	struct repl_sql_statement s = {"SELECT id FROM " TABLE " WHERE id IN (10, 11)", NULL, 0, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	txn.rows_max = 1;
	struct repl_result result;
	assert_int_equal(run("primary", true, 5000, 10000, &txn, &result), REPL_FAILED);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_PROTOCOL);
	assert_int_equal(result.sql.statement_count, 0);
	repl_result_free(&result);
}

static void test_duplicate_key_is_final_and_not_tried_elsewhere(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	assert_int_equal(insert_two("seq(primary, standby)", 1, "again", &result), REPL_FINAL);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.attempts[0].replica, 0);
	assert_int_equal(result.attempts[0].observation.sql_errno, 1062);
	assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_FINAL);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_OTHER);
	assert_int_equal(result.winner, -1);
	repl_result_free(&result);
	/* The failed transaction was rolled back and its connection still works. */
	char count[32];
	count_on("primary", 1, count, sizeof count);
	assert_string_equal(count, "2");
}

static void test_write_on_read_only_standby_is_retried_then_fails(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	assert_int_equal(insert_two("retry(2, standby)", 20, "nope", &result), REPL_FAILED);
	assert_int_equal(result.attempt_count, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(result.attempts[i].replica, 1);
		assert_int_equal(result.attempts[i].observation.sql_errno, 1290);
		assert_int_equal(result.attempts[i].outcome, REPL_OUTCOME_RETRYABLE);
	}
	repl_result_free(&result);
	char count[32];
	count_on("primary", 20, count, sizeof count);
	assert_string_equal(count, "0");
}

static void connection_id(char *out, size_t size)
{
	struct repl_sql_statement s = {"SELECT CONNECTION_ID()", NULL, 0, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	assert_int_equal(run("primary", true, 5000, 10000, &txn, &result), REPL_OK);
	snprintf(out, size, "%s", result.sql.statements[0].values[0].data);
	repl_result_free(&result);
}

static void test_connection_is_reused_across_executions(void **state)
{
	(void)state;
	need_stack();
	char first[32], second[32];
	connection_id(first, sizeof first);
	connection_id(second, sizeof second);
	assert_true(first[0] != '\0');
	assert_string_equal(first, second);
}

static void test_attempt_timeout_against_a_silent_server(void **state)
{
	(void)state;
	need_stack();
	struct repl_sql_statement s = {"SELECT 1", NULL, 0, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	int64_t t0 = now_ms();
	assert_int_equal(run("stall", true, 200, 0, &txn, &result), REPL_FAILED);
	int64_t took = now_ms() - t0;
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_TIMEOUT);
	assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_RETRYABLE);
	assert_true(took >= 190 && took < 2000);
	repl_result_free(&result);
}

static void test_deadline_is_held(void **state)
{
	(void)state;
	need_stack();
	struct repl_sql_statement s = {"SELECT 1", NULL, 0, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	int64_t t0 = now_ms();
	assert_int_equal(run("retry(5, stall)", true, 0, 300, &txn, &result), REPL_DEADLINE);
	int64_t took = now_ms() - t0;
	assert_true(took >= 290 && took < 3000);
	assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_CANCELLED);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_TIMEOUT);
	repl_result_free(&result);
}

/* ---- read-your-writes ---- */

/* SELECT COUNT(*) of rows id..id+1 under policy, waiting for wait_gtid; the caller frees result. */
static enum repl_status read_count(const char *policy, int64_t id, const char *wait_gtid,
                                   struct repl_result *result)
{
	struct repl_sql_param p[] = {int_param(id), int_param(id + 1)};
	struct repl_sql_statement s = {"SELECT COUNT(*) FROM " TABLE " WHERE id IN (?, ?)", p, 2, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	txn.wait_gtid = wait_gtid;
	return run(policy, true, 5000, 10000, &txn, result);
}

static const char *counted(const struct repl_result *result)
{
	assert_int_equal(result->sql.statement_count, 1);
	assert_int_equal(result->sql.statements[0].row_count, 1);
	return result->sql.statements[0].values[0].data;
}

static void expect_stale(const struct repl_attempt *attempt, unsigned replica)
{
	assert_int_equal(attempt->replica, replica);
	assert_int_equal(attempt->outcome, REPL_OUTCOME_ABSENT);
	assert_int_equal(attempt->cause, REPL_CAUSE_OTHER);
	assert_int_equal(attempt->observation.cause, REPL_CAUSE_NONE);
	assert_int_equal(attempt->observation.sql_errno, REPL_SQL_ERRNO_STALE);
}

static void delay_standby(int seconds)
{
	char args[1024];
	snprintf(args, sizeof args, "delay-standby '%s' %d >&2", stack.dir, seconds);
	assert_int_equal(stackctl(args, NULL, 0), 0);
}

#define STANDBY_DELAY_S 5

/* The standby applies the primary's writes STANDBY_DELAY_S late: a read that waits for its
 * session's write skips it (stale, ABSENT) for the primary until the write arrives there. */
static void test_read_skips_a_standby_that_has_not_applied_the_write(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	char gtid[sizeof result.sql.gtid];
	delay_standby(STANDBY_DELAY_S);
	assert_int_equal(insert_two("primary", 40, "read-your-writes", &result), REPL_OK);
	int64_t written = now_ms();
	snprintf(gtid, sizeof gtid, "%s", result.sql.gtid);
	repl_result_free(&result);
	assert_true(gtid[0] != '\0');

	assert_int_equal(read_count("seq(standby, primary)", 40, gtid, &result), REPL_OK);
	assert_int_equal(result.attempt_count, 2);
	expect_stale(&result.attempts[0], 1);
	assert_int_equal(result.winner, 0);
	assert_string_equal(counted(&result), "2");
	repl_result_free(&result);

	/* Without wait_gtid the standby answers, from before the write. */
	assert_int_equal(read_count("seq(standby, primary)", 40, NULL, &result), REPL_OK);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.winner, 1);
	assert_string_equal(counted(&result), "0");
	repl_result_free(&result);

	/* Once the delay has passed the standby has the write and wins; until then every read
	 * still finds it stale and gets the row from the primary. */
	bool standby_won = false;
	int64_t until = written + STANDBY_DELAY_S * 10 * 1000;
	while (!standby_won && now_ms() < until) {
		assert_int_equal(read_count("seq(standby, primary)", 40, gtid, &result), REPL_OK);
		standby_won = result.winner == 1;
		if (!standby_won)
			expect_stale(&result.attempts[0], 1);
		assert_string_equal(counted(&result), "2");
		repl_result_free(&result);
		if (!standby_won)
			usleep(100000);
	}
	assert_true(standby_won);
	/* MASTER_DELAY counts from the event's whole-second timestamp: at least delay - 1 s. */
	assert_true(now_ms() - written >= (STANDBY_DELAY_S - 1) * 1000);
	delay_standby(0);
}

/* A primary's own writes are in its gtid_current_pos (MASTER_GTID_WAIT would read
 * gtid_slave_pos, which lacks them, and call the primary stale for its own write). */
static void test_primary_has_applied_its_own_write(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	char gtid[sizeof result.sql.gtid], ahead[sizeof gtid + 32];
	assert_int_equal(insert_two("primary", 50, "own write", &result), REPL_OK);
	snprintf(gtid, sizeof gtid, "%s", result.sql.gtid);
	repl_result_free(&result);

	/* On a connection made for this read (a fresh client), then on a pooled one. */
	struct repl_client *shared = stack.client;
	assert_int_equal(repl_client_new(&stack.client, NULL), REPL_OK);
	assert_int_equal(read_count("primary", 50, gtid, &result), REPL_OK);
	assert_string_equal(counted(&result), "2");
	repl_result_free(&result);
	repl_client_free(stack.client);
	stack.client = shared;
	assert_int_equal(read_count("primary", 50, gtid, &result), REPL_OK);
	assert_int_equal(result.attempt_count, 1);
	assert_string_equal(counted(&result), "2");
	repl_result_free(&result);

	/* A transaction of several statements checks first, then runs START TRANSACTION READ ONLY. */
	struct repl_sql_param p[] = {int_param(50), int_param(51)};
	struct repl_sql_statement statements[] = {
		{"SELECT name FROM " TABLE " WHERE id = ?", &p[0], 1, true},
		{"SELECT amount FROM " TABLE " WHERE id = ?", &p[1], 1, true},
	};
	struct repl_sql_transaction txn = txn_of(statements, 2);
	txn.read_only = true;
	txn.wait_gtid = gtid;
	assert_int_equal(run("primary", true, 5000, 10000, &txn, &result), REPL_OK);
	assert_int_equal(result.sql.statement_count, 2);
	assert_string_equal(result.sql.statements[0].values[0].data, "own write");
	assert_string_equal(result.sql.statements[1].values[0].data, "12.50");
	repl_result_free(&result);

	/* A write the primary has not made yet (same domain, a later sequence), and a domain it
	 * never wrote in: stale, every replica asked said so, and the connection stays pooled. */
	unsigned long domain = 0, server = 0;
	unsigned long long sequence = 0;
	assert_int_equal(sscanf(gtid, "%lu-%lu-%llu", &domain, &server, &sequence), 3);
	snprintf(ahead, sizeof ahead, "%lu-%lu-%llu", domain, server, sequence + 1000);
	char before[32], after[32];
	connection_id(before, sizeof before);
	assert_int_equal(read_count("primary", 50, ahead, &result), REPL_ABSENT);
	assert_int_equal(result.attempt_count, 1);
	expect_stale(&result.attempts[0], 0);
	assert_int_equal(result.sql.statement_count, 0);
	repl_result_free(&result);
	connection_id(after, sizeof after);
	assert_string_equal(before, after);
	snprintf(ahead, sizeof ahead, "%lu-%lu-1", domain + 99, server);
	assert_int_equal(read_count("primary", 50, ahead, &result), REPL_ABSENT);
	repl_result_free(&result);
}

static void test_malformed_wait_gtid_is_refused_before_any_attempt(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	assert_int_equal(read_count("primary", 50, "0-1-2,garbage", &result), REPL_BAD_ARGUMENT);
	assert_int_equal(result.attempt_count, 0);
	repl_result_free(&result);
}

/* ---- round trips, counted by the server ---- */

/* What one connection sent, from its own session status. */
struct sent {
	long long prepare, execute, close, select, begin;
};

/* replica's session counters, read through the pooled connection they count (the read itself:
 * one COM_STMT_EXECUTE and one Com_select, and one COM_STMT_PREPARE the first time). */
static struct sent sent_on(const char *replica)
{
	static const struct {
		const char *name;
		size_t offset;
	} counters[] = {
		{"COM_STMT_PREPARE", offsetof(struct sent, prepare)},
		{"COM_STMT_EXECUTE", offsetof(struct sent, execute)},
		{"COM_STMT_CLOSE", offsetof(struct sent, close)},
		{"COM_SELECT", offsetof(struct sent, select)},
		{"COM_BEGIN", offsetof(struct sent, begin)},
	};
	struct repl_sql_statement s = {
		"SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema.SESSION_STATUS"
		" WHERE VARIABLE_NAME IN ('COM_STMT_PREPARE', 'COM_STMT_EXECUTE', 'COM_STMT_CLOSE', 'COM_SELECT',"
		" 'COM_BEGIN')",
		NULL, 0, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	struct sent sent = {-1, -1, -1, -1, -1};
	assert_int_equal(run(replica, true, 5000, 10000, &txn, &result), REPL_OK);
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	for (size_t r = 0; r < rows->row_count; r++)
		for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++)
			if (strcmp(rows->values[r * 2].data, counters[c].name) == 0)
				*(long long *)((char *)&sent + counters[c].offset) = atoll(rows->values[r * 2 + 1].data);
	repl_result_free(&result);
	return sent;
}

/* SELECT CONCAT('echo ', word) on replica, checked. */
static void echo_on(const char *replica, const char *sql, const char *word)
{
	struct repl_sql_param p = text_param(word);
	struct repl_sql_statement s = {sql, &p, 1, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	char expected[128];
	assert_int_equal(run(replica, true, 5000, 10000, &txn, &result), REPL_OK);
	assert_int_equal(result.attempt_count, 1);
	snprintf(expected, sizeof expected, "echo %s", word);
	assert_string_equal(result.sql.statements[0].values[0].data, expected);
	repl_result_free(&result);
}

#define ECHO "SELECT CONCAT('echo ', ?) AS echo"

/* A fresh client (empty caches) for the rest of a case; the shared one back afterwards. */
static struct repl_client *fresh_client(void)
{
	struct repl_client *shared = stack.client;
	assert_int_equal(repl_client_new(&stack.client, NULL), REPL_OK);
	return shared;
}

static void shared_client(struct repl_client *shared)
{
	repl_client_free(stack.client);
	stack.client = shared;
}

/* A single-statement read is one COM_STMT_EXECUTE once its statement is prepared on the
 * connection: no BEGIN, no COMMIT, no second prepare, no close. */
static void test_statement_is_prepared_once_per_connection(void **state)
{
	(void)state;
	need_stack();
	struct repl_client *shared = fresh_client();
	struct sent before = sent_on("primary");
	echo_on("primary", ECHO, "one");
	echo_on("primary", ECHO, "two");
	echo_on("primary", ECHO, "three");
	struct sent after = sent_on("primary");
	assert_int_equal(after.prepare - before.prepare, 1);
	assert_int_equal(after.execute - before.execute, 3 + 1);
	assert_int_equal(after.close - before.close, 0);
	assert_int_equal(after.begin - before.begin, 0);
	shared_client(shared);
}

/* REPL_SQL_STATEMENTS_CACHED statements stay prepared; one more closes the least recently
 * used, which is prepared again when it comes back. */
static void test_statement_cache_is_bounded_and_drops_the_least_recently_used(void **state)
{
	(void)state;
	need_stack();
	enum { CACHED = REPL_SQL_STATEMENTS_CACHED };
	static char texts[CACHED][64];
	struct repl_client *shared = fresh_client();
	struct sent start = sent_on("primary");     /* the counters' statement: the first kept */
	for (int i = 0; i < CACHED; i++)
		snprintf(texts[i], sizeof texts[i], "SELECT CONCAT('echo ', ?) AS echo, %d AS n", i);
	for (int i = 0; i < CACHED - 1; i++)
		echo_on("primary", texts[i], "fill");
	struct sent full = sent_on("primary");
	assert_int_equal(full.prepare - start.prepare, CACHED - 1);
	assert_int_equal(full.close - start.close, 0);
	echo_on("primary", texts[CACHED - 1], "one more");   /* closes texts[0] */
	echo_on("primary", texts[1], "kept");
	echo_on("primary", texts[0], "back");                /* prepared again; closes texts[2] */
	struct sent end = sent_on("primary");
	assert_int_equal(end.prepare - full.prepare, 2);
	assert_int_equal(end.close - full.close, 2);
	assert_int_equal(end.execute - full.execute, 3 + 1);
	shared_client(shared);
}

/* The server dropped the connection: the next read connects again and prepares again, within
 * one attempt. */
static void test_reconnect_prepares_again(void **state)
{
	(void)state;
	need_stack();
	struct repl_client *shared = fresh_client();
	char before[32], after[32], args[1024], left[32] = "";
	echo_on("primary", ECHO, "before");
	connection_id(before, sizeof before);
	snprintf(args, sizeof args, "sql '%s' primary root 'KILL %s'", stack.dir, before);
	assert_int_equal(stackctl(args, NULL, 0), 0);
	snprintf(args, sizeof args,
	         "sql '%s' primary root 'SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %s'",
	         stack.dir, before);
	for (int64_t until = now_ms() + 5000; now_ms() < until && strcmp(left, "0") != 0; usleep(50000))
		stackctl(args, left, sizeof left);
	assert_string_equal(left, "0");
	echo_on("primary", ECHO, "after");
	struct sent sent = sent_on("primary");   /* the new connection's: the echo, then this */
	assert_int_equal(sent.prepare, 2);
	assert_int_equal(sent.execute, 2);
	connection_id(after, sizeof after);
	assert_string_not_equal(before, after);
	shared_client(shared);
}

/* The server answers an execution with 1243 ER_UNKNOWN_STMT_HANDLER (it no longer holds the
 * statement): the transport prepares it again and the call succeeds in its one attempt; when the
 * statement prepared again is refused too, the call fails: it is prepared again once, not more. */
static void test_statement_the_server_forgot_is_prepared_again_once(void **state)
{
	(void)state;
	need_stack();
	struct repl_client *shared = fresh_client();
	echo_on("forgetful", ECHO, "prepared");
	struct sent before = sent_on("forgetful");
	atomic_store(&forgetful.closed, 0);
	atomic_store(&forgetful.armed, 1);
	echo_on("forgetful", ECHO, "forgotten");   /* one attempt, the right answer */
	assert_int_equal(atomic_load(&forgetful.closed), 1);
	struct sent after = sent_on("forgetful");
	assert_int_equal(after.prepare - before.prepare, 1);
	echo_on("forgetful", ECHO, "kept");        /* the new statement stays prepared */
	struct sent kept = sent_on("forgetful");
	assert_int_equal(kept.prepare - after.prepare, 0);

	atomic_store(&forgetful.armed, 2);         /* the statement prepared again is forgotten too */
	struct repl_sql_param p = text_param("twice");
	struct repl_sql_statement s = {ECHO, &p, 1, true};
	struct repl_sql_transaction txn = txn_of(&s, 1);
	txn.read_only = true;
	struct repl_result result;
	assert_int_not_equal(run("forgetful", true, 5000, 10000, &txn, &result), REPL_OK);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.attempts[0].observation.sql_errno, 1243);
	repl_result_free(&result);
	assert_int_equal(atomic_load(&forgetful.closed), 3);
	struct sent refused = sent_on("forgetful");
	assert_int_equal(refused.prepare - kept.prepare, 1);
	echo_on("forgetful", ECHO, "healed");      /* the cached dead statement: prepared again once */
	struct sent healed = sent_on("forgetful");
	assert_int_equal(healed.prepare - refused.prepare, 1);
	shared_client(shared);
}

/* A read waiting for a write reads the replica's position once; while that position holds the
 * write, later reads on the connection skip the query; a newer write is looked for again. */
static void test_position_is_read_again_only_for_a_newer_write(void **state)
{
	(void)state;
	need_stack();
	struct repl_result result;
	char gtid[sizeof result.sql.gtid];
	assert_int_equal(insert_two("primary", 60, "position", &result), REPL_OK);
	snprintf(gtid, sizeof gtid, "%s", result.sql.gtid);
	repl_result_free(&result);
	assert_true(standby_has(60));
	struct repl_client *shared = fresh_client();
	struct sent start = sent_on("standby");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_count("standby", 60, gtid, &result), REPL_OK);
		assert_int_equal(result.winner, 1);
		assert_string_equal(counted(&result), "2");
		repl_result_free(&result);
	}
	struct sent warm = sent_on("standby");
	/* One position query and three executions (each a SELECT), then the counters' own. */
	assert_int_equal(warm.execute - start.execute, 3 + 1);
	assert_int_equal(warm.select - start.select, 1 + 3 + 1);
	assert_int_equal(warm.begin - start.begin, 0);

	assert_int_equal(insert_two("primary", 62, "newer", &result), REPL_OK);
	snprintf(gtid, sizeof gtid, "%s", result.sql.gtid);
	repl_result_free(&result);
	assert_true(standby_has(62));
	struct sent newer = sent_on("standby");
	assert_int_equal(read_count("standby", 62, gtid, &result), REPL_OK);
	assert_int_equal(result.winner, 1);
	repl_result_free(&result);
	struct sent end = sent_on("standby");
	assert_int_equal(end.select - newer.select, 1 + 1 + 1);
	shared_client(shared);
}

/* Last: it leaves the pair broken. */
static void test_write_fails_over_to_promoted_standby(void **state)
{
	(void)state;
	need_stack();
	char args[1024];
	struct repl_result result;
	/* Warm the pooled connection to the primary, so its death is seen mid-use. */
	char count[32];
	count_on("primary", 1, count, sizeof count);
	snprintf(args, sizeof args, "kill-primary '%s' >&2", stack.dir);
	assert_int_equal(stackctl(args, NULL, 0), 0);
	snprintf(args, sizeof args, "promote-standby '%s' >&2", stack.dir);
	assert_int_equal(stackctl(args, NULL, 0), 0);
	assert_int_equal(insert_two("retry(2, seq(primary, standby))", 30, "failover", &result), REPL_OK);
	assert_int_equal(result.winner, 1);
	assert_true(result.attempt_count >= 2);
	assert_int_equal(result.attempts[0].replica, 0);
	assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_RETRYABLE);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_CONNECT);
	repl_result_free(&result);
	count_on("standby", 30, count, sizeof count);
	assert_string_equal(count, "2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gtid_reached_compares_sequences_per_domain),
		cmocka_unit_test(test_write_commits_on_primary_and_replicates),
		cmocka_unit_test(test_select_returns_values_and_nulls),
		cmocka_unit_test(test_select_names_its_columns),
		cmocka_unit_test(test_two_selects_in_one_transaction_return_their_values),
		cmocka_unit_test(test_number_and_time_columns_read_as_the_client_prints_them),
		cmocka_unit_test(test_double_expressions_read_as_the_client_prints_them),
		cmocka_unit_test(test_row_cap_is_a_protocol_failure),
		cmocka_unit_test(test_duplicate_key_is_final_and_not_tried_elsewhere),
		cmocka_unit_test(test_write_on_read_only_standby_is_retried_then_fails),
		cmocka_unit_test(test_connection_is_reused_across_executions),
		cmocka_unit_test(test_attempt_timeout_against_a_silent_server),
		cmocka_unit_test(test_deadline_is_held),
		cmocka_unit_test(test_read_skips_a_standby_that_has_not_applied_the_write),
		cmocka_unit_test(test_primary_has_applied_its_own_write),
		cmocka_unit_test(test_malformed_wait_gtid_is_refused_before_any_attempt),
		cmocka_unit_test(test_statement_is_prepared_once_per_connection),
		cmocka_unit_test(test_statement_cache_is_bounded_and_drops_the_least_recently_used),
		cmocka_unit_test(test_reconnect_prepares_again),
		cmocka_unit_test(test_statement_the_server_forgot_is_prepared_again_once),
		cmocka_unit_test(test_position_is_read_again_only_for_a_newer_write),
		cmocka_unit_test(test_write_fails_over_to_promoted_standby),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
