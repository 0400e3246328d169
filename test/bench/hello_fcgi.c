/*
 * hello_fcgi.c: the page benchmark's baselines (test/bench/pages.sh), the least a FastCGI page
 * can cost on the stack it runs beside: WORKERS processes, each taking one request at a time
 * from a unix socket with libfcgi and answering "hello" in plain text; with a database, each
 * worker also connects once to MariaDB at start, prepares one primary-key SELECT once and
 * executes it for every request (the name of account 1 goes in the answer), the blocking client
 * API and nothing else. The master binds the socket, starts the workers, and stops them when it
 * gets SIGTERM or SIGINT.
 *   usage: hello_fcgi SOCKET WORKERS [HOST PORT USER DATABASE]   (the password in HELLO_DB_PASSWORD)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

#define HELLO_WORKERS_MAX 64
#define HELLO_NAME_MAX 128

/* The database a worker asks, when one is given. */
struct hello_db {
	const char *host;
	unsigned port;
	const char *user;
	const char *database;
	const char *password;
};

/* One worker's prepared SELECT and its bound result. */
struct hello_query {
	MYSQL *mysql;
	MYSQL_STMT *stmt;
	long long id;
	char name[HELLO_NAME_MAX];
	unsigned long name_len;
	MYSQL_BIND param, result;
};

static int hello_query_open(struct hello_query *q, const struct hello_db *db)
{
	static const char sql[] = "SELECT name FROM accounts WHERE id = ?";
	q->mysql = mysql_init(NULL);
	if (q->mysql == NULL ||
	    mysql_real_connect(q->mysql, db->host, db->user, db->password, db->database, db->port, NULL, 0) == NULL)
		return -1;
	q->stmt = mysql_stmt_init(q->mysql);
	if (q->stmt == NULL || mysql_stmt_prepare(q->stmt, sql, sizeof(sql) - 1) != 0)
		return -1;
	q->id = 1;
	q->param.buffer_type = MYSQL_TYPE_LONGLONG;
	q->param.buffer = &q->id;
	q->result.buffer_type = MYSQL_TYPE_STRING;
	q->result.buffer = q->name;
	q->result.buffer_length = sizeof(q->name) - 1;
	q->result.length = &q->name_len;
	return mysql_stmt_bind_param(q->stmt, &q->param) == 0 && mysql_stmt_bind_result(q->stmt, &q->result) == 0 ? 0
	                                                                                                         : -1;
}

/* Executes the SELECT: the name it found ("" when none), or NULL on an error. */
static const char *hello_query_run(struct hello_query *q)
{
	q->name[0] = '\0';
	if (mysql_stmt_execute(q->stmt) != 0)
		return NULL;
	int fetched = mysql_stmt_fetch(q->stmt);
	if (fetched == 0 || fetched == MYSQL_DATA_TRUNCATED)
		q->name[q->name_len < sizeof(q->name) ? q->name_len : sizeof(q->name) - 1] = '\0';
	while (fetched == 0 || fetched == MYSQL_DATA_TRUNCATED)
		fetched = mysql_stmt_fetch(q->stmt);
	return fetched == MYSQL_NO_DATA ? q->name : NULL;
}

static int hello_worker(int fd, const struct hello_db *db)
{
	struct hello_query query = {0};
	FCGX_Request request;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (db != NULL && hello_query_open(&query, db) != 0) {
		fprintf(stderr, "hello_fcgi: %s\n", query.mysql != NULL ? mysql_error(query.mysql) : "out of memory");
		return 1;
	}
	if (FCGX_InitRequest(&request, fd, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&request) >= 0) {
		const char *name = db != NULL ? hello_query_run(&query) : "";
		if (name == NULL)
			FCGX_FPrintF(request.out, "Status: 500\r\nContent-Type: text/plain\r\n\r\n%s\n", mysql_error(query.mysql));
		else
			FCGX_FPrintF(request.out, "Content-Type: text/plain\r\n\r\nhello %s\n", name);
		FCGX_Finish_r(&request);
	}
	return 0;
}

static volatile sig_atomic_t hello_stop;

static void hello_on_signal(int sig)
{
	(void)sig;
	hello_stop = 1;
}

int main(int argc, char **argv)
{
	struct hello_db db = {0};
	pid_t workers[HELLO_WORKERS_MAX];
	int count = argc >= 3 ? atoi(argv[2]) : 0;
	if ((argc != 3 && argc != 7) || count < 1 || count > HELLO_WORKERS_MAX) {
		fprintf(stderr, "usage: hello_fcgi SOCKET WORKERS [HOST PORT USER DATABASE]\n");
		return 2;
	}
	if (argc == 7) {
		db = (struct hello_db){argv[3], (unsigned)atoi(argv[4]), argv[5], argv[6], getenv("HELLO_DB_PASSWORD")};
		if (mysql_library_init(0, NULL, NULL) != 0)
			return 1;
	}
	if (FCGX_Init() != 0)
		return 1;
	unlink(argv[1]);
	int fd = FCGX_OpenSocket(argv[1], 128);
	if (fd < 0 || chmod(argv[1], 0666) != 0) {
		fprintf(stderr, "hello_fcgi: cannot listen on %s\n", argv[1]);
		return 1;
	}
	struct sigaction action = {.sa_handler = hello_on_signal};
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	for (int i = 0; i < count; i++) {
		workers[i] = fork();
		if (workers[i] == 0)
			_exit(hello_worker(fd, argc == 7 ? &db : NULL));
	}
	int status = 0;
	while (!hello_stop && wait(&status) < 0 && errno == EINTR)
		continue;
	for (int i = 0; i < count; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGKILL);
	while (wait(NULL) > 0)
		continue;
	unlink(argv[1]);
	return 0;
}
