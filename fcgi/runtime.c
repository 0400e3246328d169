/*
 * runtime.c: the prefork master and its workers (see runtime.h).
 *
 * The master never runs app request code. It blocks the signals it cares about and takes them
 * synchronously with sigtimedwait(), so its bookkeeping (the slot table) needs no async-safety
 * tricks. A worker unblocks them and installs handlers without SA_RESTART: SIGTERM sets a flag
 * and calls FCGX_ShutdownPending(), so a worker blocked in accept() returns at once and one busy
 * with a request finishes it first. A stop signal can land just before a worker enters accept()
 * and be missed, so the master repeats SIGTERM to draining workers every second until they exit,
 * and SIGKILLs one that outlives the drain timeout.
 */
#include "runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "control.h"
#include "limits.h"
#include "log.h"
#include "request.h"
#include "response.h"

#define RUNTIME_SLOTS_MAX 512
#define RUNTIME_RESIGNAL_MS 1000
#define RUNTIME_RESPAWN_FAST_MS 1000   /* a process that dies sooner than this is "crashing" */
#define RUNTIME_RESPAWN_DELAY_MAX_MS 5000

enum runtime_slot_kind { RUNTIME_SLOT_WORKER, RUNTIME_SLOT_CHILD };

struct runtime_slot {
	pid_t pid;                    /* 0 = free */
	enum runtime_slot_kind kind;
	size_t child_index;           /* which extra child, for RUNTIME_SLOT_CHILD */
	unsigned generation;
	bool draining;                /* asked to stop: never restarted */
	long long started_ms;
	long long stop_sent_ms;       /* last SIGTERM, for draining slots */
	long long drain_deadline_ms;
	long long respawn_at_ms;      /* > 0: a dead slot waiting to be restarted */
	long long respawn_delay_ms;
};

struct runtime_master {
	const struct runtime_hooks *hooks;
	struct runtime_settings settings;
	unsigned generation;
	int listen_fd;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uid_t uid;
	gid_t gid;
	bool drop_privileges;
	bool stopping;
	bool start_failed;
	bool old_generation_pending;  /* a reload's new workers all failed to fork: drain old later */
	pid_t pid;
	unsigned long reloads;        /* SIGHUPs handled, for the status file */
	char runtime_dir[256];        /* the start's: a reload does not move the files */
	struct runtime_slot slots[RUNTIME_SLOTS_MAX];
};

static volatile sig_atomic_t runtime_stop_flag;
static struct runtime_counters *runtime_shared;   /* mapped by runtime_run before any fork */

const struct runtime_counters *runtime_counters(void)
{
	return runtime_shared;
}

static void runtime_count(_Atomic unsigned long long *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

bool runtime_stop_requested(void)
{
	return runtime_stop_flag != 0;
}

void runtime_pause(long long ms)
{
	for (long long slept = 0; slept < ms && !runtime_stop_requested(); slept += 100) {
		long long left = ms - slept < 100 ? ms - slept : 100;
		const struct timespec step = {0, left * 1000 * 1000};
		nanosleep(&step, NULL);
	}
}

static long long runtime_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- the listen socket ---- */

/* Splits "host:port"; 0 = fine. host_size bytes for the host. */
static int runtime_split_host_port(const char *listen, char *host, size_t host_size, char *port,
                                   size_t port_size)
{
	const char *colon = strrchr(listen, ':');
	if (colon == NULL || colon == listen || colon[1] == '\0')
		return -1;
	size_t host_len = (size_t)(colon - listen);
	if (listen[0] == '[' && colon[-1] == ']') {  /* [::1]:9000 */
		listen++;
		host_len -= 2;
	}
	if (host_len + 1 > host_size || strlen(colon + 1) + 1 > port_size)
		return -1;
	memcpy(host, listen, host_len);
	host[host_len] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	for (const char *p = port; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	long number = strtol(port, NULL, 10);
	return number >= 1 && number <= 65535 ? 0 : -1;
}

int runtime_listen_check(const char *listen, char *reason, size_t reason_size)
{
	if (listen[0] == '/') {
		if (strlen(listen) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(reason, reason_size, "a unix socket path holds at most %zu bytes",
			         sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -1;
		}
		return 0;
	}
	char host[200], port[16];
	if (runtime_split_host_port(listen, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(reason, reason_size, "expected an absolute unix socket path or host:port (port 1-65535)");
		return -1;
	}
	return 0;
}

/* A unix socket path already in use: refuse if a server answers, remove if stale. */
static int runtime_clear_unix_path(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("listen %s: exists and is not a socket; refusing to replace it", path);
		return -1;
	}
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -1;
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	memcpy(address.sun_path, path, strlen(path) + 1);
	int connected = connect(probe, (struct sockaddr *)&address, sizeof(address));
	int connect_errno = errno;
	close(probe);
	if (connected == 0) {
		log_error("listen %s: another server is already answering on this socket; refusing to start", path);
		return -1;
	}
	if (connect_errno != ECONNREFUSED) {
		log_error("listen %s: cannot tell whether the socket is in use: %s", path, strerror(connect_errno));
		return -1;
	}
	log_info("listen %s: removing a stale socket nobody answers on", path);
	return unlink(path);
}

static int runtime_bind_unix(struct runtime_master *master)
{
	const char *path = master->settings.listen;
	if (runtime_clear_unix_path(path) != 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	memcpy(address.sun_path, path, strlen(path) + 1);
	/* Created with no access for anyone, then opened up to the configured mode: no window in
	 * which another local user could connect. */
	mode_t old_umask = umask(0777);
	int bound = bind(fd, (struct sockaddr *)&address, sizeof(address));
	umask(old_umask);
	if (bound != 0) {
		log_error("listen %s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((master->drop_privileges && chown(path, master->uid, master->gid) != 0) ||
	    chmod(path, master->settings.socket_mode) != 0) {
		log_error("listen %s: setting owner and mode: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	memcpy(master->unix_path, path, strlen(path) + 1);
	return fd;
}

static int runtime_bind_tcp(struct runtime_master *master)
{
	char host[200], port[16];
	if (runtime_split_host_port(master->settings.listen, host, sizeof(host), port, sizeof(port)) != 0)
		return -1;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *found = NULL;
	int rc = getaddrinfo(host, port, &hints, &found);
	if (rc != 0) {
		log_error("listen %s: %s", master->settings.listen, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *ai = found; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		log_error("listen %s: bind: %s", master->settings.listen, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(found);
	return fd;
}

static int runtime_listen(struct runtime_master *master)
{
	int fd = master->settings.listen[0] == '/' ? runtime_bind_unix(master) : runtime_bind_tcp(master);
	if (fd < 0)
		return -1;
	if (listen(fd, 1024) != 0) {
		log_error("listen %s: %s", master->settings.listen, strerror(errno));
		close(fd);
		return -1;
	}
	/* Workers inherit it across fork; it stays close-on-exec for anything they exec. */
	master->listen_fd = fd;
	log_info("listening on %s", master->settings.listen);
	return 0;
}

/* ---- privileges ---- */

/* The account workers run as; 0, or -1 with the reason in error. */
static int runtime_resolve_user(struct runtime_master *master, const struct runtime_settings *settings, char *error,
                                size_t error_size)
{
	master->drop_privileges = false;
	if (settings->user[0] == '\0') {
		if (geteuid() == 0) {
			snprintf(error, error_size, "started as root with no [server] user: workers would serve requests as "
			                            "root; set user to an unprivileged account");
			return -1;
		}
		return 0;
	}
	struct passwd *account = getpwnam(settings->user);
	if (account == NULL) {
		snprintf(error, error_size, "user %s: no such user", settings->user);
		return -1;
	}
	if (geteuid() != 0) {
		if (account->pw_uid != geteuid())
			log_warn("not started as root: workers keep running as uid %ld instead of user %s",
			         (long)geteuid(), settings->user);
		return 0;
	}
	master->uid = account->pw_uid;
	master->gid = account->pw_gid;
	master->drop_privileges = true;
	return 0;
}

static int runtime_drop_privileges(const struct runtime_master *master)
{
	if (!master->drop_privileges)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(master->gid) != 0 || setuid(master->uid) != 0) {
		log_error("dropping privileges to %s: %s", master->settings.user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_error("dropping privileges to %s: root could be regained", master->settings.user);
		return -1;
	}
	return 0;
}

/* ---- inside a worker or child ---- */

static void runtime_on_stop_signal(int signal_number)
{
	(void)signal_number;
	runtime_stop_flag = 1;
	FCGX_ShutdownPending();
}

static void runtime_child_signals(void)
{
	struct sigaction action = {.sa_handler = runtime_on_stop_signal};
	sigemptyset(&action.sa_mask);
	/* No SA_RESTART: a blocked accept() or poll() must return EINTR on a stop signal. */
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	struct sigaction ignore = {.sa_handler = SIG_IGN};
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGHUP, &ignore, NULL);
	sigaction(SIGPIPE, &ignore, NULL);
	struct sigaction fallback = {.sa_handler = SIG_DFL};
	sigemptyset(&fallback.sa_mask);
	sigaction(SIGCHLD, &fallback, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Writes what iov holds (count entries, changed as it goes) to fd whole: 0, or -1 (errno). */
static int runtime_writev_all(int fd, struct iovec *iov, int count)
{
	while (count > 0) {
		ssize_t n = writev(fd, iov, count);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		size_t done = (size_t)n;
		for (; count > 0 && done >= iov->iov_len; count--, iov++)
			done -= iov->iov_len;
		if (count > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

/* A body's bytes: libfcgi's writer sends 8 kB records, one write(2) each, so a 42 kB page cost six
 * system calls here and as many wake-ups and reads in nginx. Past RUNTIME_RECORD_DIRECT bytes, what
 * libfcgi holds is flushed first (so the records stay in order) and the bytes go out as FastCGI
 * STDOUT records of up to 64 kB, one writev(2) each, on the request's own connection; libfcgi
 * still ends the stream and the request (FCGX_Finish_r). Smaller writes (the head) go through
 * libfcgi's buffer as before. */
#define RUNTIME_RECORD_DIRECT 8192
#define RUNTIME_RECORD_MAX (FCGI_MAX_LENGTH & ~7)  /* 65,528: records stay 8-byte aligned */

static int runtime_fcgx_write(void *context, const char *data, size_t len)
{
	FCGX_Request *fcgx = context;
	static const char padding[8];
	if (len < RUNTIME_RECORD_DIRECT)
		return FCGX_PutStr(data, (int)len, fcgx->out) == (int)len ? 0 : -1;
	if (FCGX_FFlush(fcgx->out) != 0)
		return -1;
	while (len > 0) {
		size_t chunk = len > RUNTIME_RECORD_MAX ? RUNTIME_RECORD_MAX : len;
		size_t pad = (8 - chunk % 8) % 8;
		FCGI_Header header = {.version = FCGI_VERSION_1, .type = FCGI_STDOUT,
		                      .requestIdB1 = (unsigned char)(fcgx->requestId >> 8),
		                      .requestIdB0 = (unsigned char)(fcgx->requestId & 0xff),
		                      .contentLengthB1 = (unsigned char)(chunk >> 8),
		                      .contentLengthB0 = (unsigned char)(chunk & 0xff),
		                      .paddingLength = (unsigned char)pad};
		struct iovec iov[3] = {{&header, sizeof(header)}, {(void *)data, chunk}, {(void *)padding, pad}};
		if (runtime_writev_all(fcgx->ipcFd, iov, pad > 0 ? 3 : 2) != 0)
			return -1;
		data += chunk;
		len -= chunk;
	}
	return 0;
}

static ssize_t runtime_fcgx_read(void *context, char *buf, size_t len)
{
	FCGX_Stream *in = context;
	int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
	int n = FCGX_GetStr(buf, chunk, in);
	if (n < 0)
		return -1;
	return n;
}

static void runtime_serve_one(const struct runtime_hooks *hooks, FCGX_Request *fcgx, struct arena *arena)
{
	struct request request;
	struct response response;
	char message[FIELDS_MESSAGE_MAX] = "";
	enum fields_status parsed = request_parse(&request, arena, fcgx->envp, message);
	request.read = runtime_fcgx_read;
	request.read_context = fcgx->in;
	response_init(&response, arena, request.https);
	if (parsed == FIELDS_OK)
		hooks->handle(hooks->app, &request, &response);
	else
		hooks->error(hooks->app, &request, &response, fields_http_status(parsed), message);
	bool head_only = request.method != NULL && strcmp(request.method, "HEAD") == 0;
	enum response_status sent = response_send(&response, head_only, runtime_fcgx_write, fcgx);
	if (sent != RESPONSE_OK)
		log_warn("%s %s: %s", request.method != NULL ? request.method : "-",
		         request.path != NULL ? request.path : "-", response_strerror(sent));
	if (response.status >= 500)
		log_warn("%s %s: answered %d", request.method != NULL ? request.method : "-",
		         request.path != NULL ? request.path : "-", response.status);
}

/* Accepts one connection: 1 with *fd set, 0 when there is none to serve (interrupted, or a TCP
 * peer outside settings.peers, closed and logged), -1 on an error that ends the worker. */
static int runtime_accept(struct runtime_master *master, int *fd)
{
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof(peer);
	int connection = accept4(master->listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
	if (connection < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED || errno == EPROTO ||
		    errno == ENETDOWN || errno == EHOSTUNREACH || errno == ENETUNREACH)
			return 0;
		log_error("worker: accept failed: %s", strerror(errno));
		return -1;
	}
	if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) {
		if (!cidr_list_has_sockaddr(&master->settings.peers, (struct sockaddr *)&peer)) {
			char address[INET6_ADDRSTRLEN] = "?";
			const void *bytes = peer.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&peer)->sin_addr
			                                              : (const void *)&((struct sockaddr_in6 *)&peer)->sin6_addr;
			inet_ntop(peer.ss_family, bytes, address, sizeof(address));
			log_warn("listen %s: closed a connection from %s: not an allowed peer", master->settings.listen,
			         address);
			runtime_count(&runtime_shared->peers_refused);
			close(connection);
			return 0;
		}
		int one = 1;
		setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	*fd = connection;
	return 1;
}

static int runtime_worker_main(struct runtime_master *master)
{
	const struct runtime_hooks *hooks = master->hooks;
	int status = 1;
	struct arena *arena = NULL;
	FCGX_Request fcgx;
	bool fcgx_ready = false;
	sigset_t stop_signals;

	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);

	if (FCGX_Init() != 0) {
		log_error("worker: FCGX_Init failed");
		goto out;
	}
	runtime_child_signals();
	if (hooks->worker_start != NULL && hooks->worker_start(hooks->app) != 0)
		goto out;
	arena = arena_create(LIMIT_ARENA_MAX);
	/* libfcgi is given no listen socket (-1): it would accept any peer. The worker accepts,
	 * checks the peer, and hands libfcgi the connection as one it keeps open between requests
	 * (ipcFd, keepConnection: libfcgi 2.4's FCGX_Accept_r reads a request from an open ipcFd
	 * rather than accepting). A connection that brings no request fails FCGX_Accept_r's accept
	 * on -1, and the worker accepts the next. */
	if (arena == NULL || FCGX_InitRequest(&fcgx, -1, 0) != 0)
		goto out;
	fcgx_ready = true;
	log_info("worker started (generation %u)", master->generation);
	while (!runtime_stop_requested()) {
		if (fcgx.ipcFd < 0) {
			int connection = -1;
			int accepted = runtime_accept(master, &connection);
			if (accepted < 0)
				goto out;
			if (accepted == 0)
				continue;
			fcgx.ipcFd = connection;
			fcgx.keepConnection = 1;
		}
		if (FCGX_Accept_r(&fcgx) < 0) {
			if (fcgx.ipcFd >= 0) {  /* not libfcgi 2.4's behaviour: stop rather than spin */
				log_error("worker: a connection failed and is still open");
				goto out;
			}
			continue;
		}
		/* libfcgi's reads and writes do not retry on EINTR: a stop signal landing while a
		 * body is read would cut the request. Hold stop signals until the answer is out;
		 * one pending is delivered at the unblock and ends the loop. */
		sigprocmask(SIG_BLOCK, &stop_signals, NULL);
		runtime_serve_one(hooks, &fcgx, arena);
		FCGX_Finish_r(&fcgx);
		arena_reset(arena);
		sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
	}
	status = 0;
	log_info("worker stopping (generation %u)", master->generation);
out:
	if (fcgx_ready)
		FCGX_Free(&fcgx, 1);
	arena_destroy(arena);
	if (hooks->worker_stop != NULL)
		hooks->worker_stop(hooks->app);
	return status;
}

static int runtime_extra_child_main(struct runtime_master *master, size_t index)
{
	const struct runtime_hooks *hooks = master->hooks;
	runtime_child_signals();
	close(master->listen_fd);
	/* Its name in ps and /proc/PID/comm (15 bytes at most), so operators and tests can tell it
	 * from the workers. */
	prctl(PR_SET_NAME, hooks->extra_children[index].name, 0, 0, 0);
	if (hooks->worker_start != NULL && hooks->worker_start(hooks->app) != 0)
		return 1;
	log_info("%s started (generation %u)", hooks->extra_children[index].name, master->generation);
	return hooks->extra_children[index].main(hooks->app);
}

/* ---- the master's slot table ---- */

static const char *runtime_slot_name(const struct runtime_master *master, const struct runtime_slot *slot)
{
	return slot->kind == RUNTIME_SLOT_WORKER ? "worker" : master->hooks->extra_children[slot->child_index].name;
}

static int runtime_spawn(struct runtime_master *master, struct runtime_slot *slot)
{
	if (master->hooks->before_fork != NULL)
		master->hooks->before_fork(master->hooks->app);
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int status = 1;
		/* A worker must not outlive its master (nginx would keep feeding it, and a restart
		 * would find the socket answered). Linux clears the parent-death signal when the uid
		 * changes, so it is set after the drop; a master that died before that is caught by
		 * the getppid() check. */
		if (runtime_drop_privileges(master) == 0 && prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 &&
		    getppid() == master->pid)
			status = slot->kind == RUNTIME_SLOT_WORKER ? runtime_worker_main(master)
			                                           : runtime_extra_child_main(master, slot->child_index);
		_exit(status);
	}
	slot->pid = pid;
	slot->generation = master->generation;
	slot->draining = false;
	slot->started_ms = runtime_now_ms();
	slot->respawn_at_ms = 0;
	return 0;
}

static struct runtime_slot *runtime_free_slot(struct runtime_master *master)
{
	for (size_t i = 0; i < RUNTIME_SLOTS_MAX; i++)
		if (master->slots[i].pid == 0 && master->slots[i].respawn_at_ms == 0)
			return &master->slots[i];
	return NULL;
}

/* Starts this generation's workers and extra children. A fork that fails keeps its slot, due
 * for a retry at the tick a second later, so a passing EAGAIN never leaves the generation short
 * for good. Returns the number of workers running. */
static int runtime_spawn_generation(struct runtime_master *master)
{
	size_t wanted = (size_t)master->settings.workers + master->hooks->extra_children_count;
	int running = 0;
	for (size_t i = 0; i < wanted; i++) {
		struct runtime_slot *slot = runtime_free_slot(master);
		if (slot == NULL) {
			log_error("too many processes: at most %d", RUNTIME_SLOTS_MAX);
			break;
		}
		memset(slot, 0, sizeof(*slot));
		bool worker = i < (size_t)master->settings.workers;
		slot->kind = worker ? RUNTIME_SLOT_WORKER : RUNTIME_SLOT_CHILD;
		slot->child_index = worker ? 0 : i - (size_t)master->settings.workers;
		slot->generation = master->generation;
		if (runtime_spawn(master, slot) != 0) {
			slot->respawn_at_ms = runtime_now_ms() + 1000;
			continue;
		}
		running += worker ? 1 : 0;
	}
	return running;
}

static void runtime_stop_slot(struct runtime_master *master, struct runtime_slot *slot, long long now)
{
	slot->respawn_at_ms = 0;
	if (slot->pid == 0)
		return;
	slot->draining = true;
	slot->stop_sent_ms = now;
	slot->drain_deadline_ms = now + master->settings.drain_timeout_ms;
	kill(slot->pid, SIGTERM);
}

/* Asks every process older than the current generation (or all, when stopping) to finish. */
static void runtime_drain_old(struct runtime_master *master, bool all)
{
	long long now = runtime_now_ms();
	for (size_t i = 0; i < RUNTIME_SLOTS_MAX; i++) {
		struct runtime_slot *slot = &master->slots[i];
		if ((slot->pid != 0 || slot->respawn_at_ms != 0) && !slot->draining &&
		    (all || slot->generation != master->generation))
			runtime_stop_slot(master, slot, now);
	}
}

static void runtime_log_exit(const struct runtime_master *master, const struct runtime_slot *slot, int status)
{
	const char *name = runtime_slot_name(master, slot);
	if (WIFSIGNALED(status))
		log_write(slot->draining ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR, "%s %ld (generation %u) killed by signal %d",
		          name, (long)slot->pid, slot->generation, WTERMSIG(status));
	else
		log_write(slot->draining || WEXITSTATUS(status) == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
		          "%s %ld (generation %u) exited with status %d", name, (long)slot->pid, slot->generation,
		          WEXITSTATUS(status));
}

static void runtime_reap(struct runtime_master *master)
{
	for (;;) {
		int status = 0;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		struct runtime_slot *slot = NULL;
		for (size_t i = 0; i < RUNTIME_SLOTS_MAX && slot == NULL; i++)
			if (master->slots[i].pid == pid)
				slot = &master->slots[i];
		if (slot == NULL)
			continue;
		runtime_log_exit(master, slot, status);
		slot->pid = 0;
		if (slot->draining || master->stopping || slot->generation != master->generation)
			continue;
		/* An unexpected death: restart, backing off while it keeps dying at once (a broken
		 * database would otherwise turn the master into a fork loop). */
		long long now = runtime_now_ms();
		if (now - slot->started_ms < RUNTIME_RESPAWN_FAST_MS)
			slot->respawn_delay_ms = slot->respawn_delay_ms == 0 ? 100 : slot->respawn_delay_ms * 2;
		else
			slot->respawn_delay_ms = 0;
		if (slot->respawn_delay_ms > RUNTIME_RESPAWN_DELAY_MAX_MS)
			slot->respawn_delay_ms = RUNTIME_RESPAWN_DELAY_MAX_MS;
		slot->respawn_at_ms = now + slot->respawn_delay_ms;
	}
}

/* Periodic duties: restart due slots, repeat SIGTERM to draining ones, SIGKILL the overdue. */
static void runtime_tick(struct runtime_master *master)
{
	long long now = runtime_now_ms();
	for (size_t i = 0; i < RUNTIME_SLOTS_MAX; i++) {
		struct runtime_slot *slot = &master->slots[i];
		if (slot->pid == 0 && slot->respawn_at_ms != 0 && now >= slot->respawn_at_ms && !master->stopping) {
			log_info("restarting %s", runtime_slot_name(master, slot));
			if (runtime_spawn(master, slot) != 0) {
				slot->respawn_at_ms = now + 1000;
				continue;
			}
			runtime_count(slot->kind == RUNTIME_SLOT_WORKER ? &runtime_shared->worker_restarts
			                                                : &runtime_shared->child_restarts);
			if (master->old_generation_pending && slot->kind == RUNTIME_SLOT_WORKER) {
				master->old_generation_pending = false;
				runtime_drain_old(master, false);
			}
			continue;
		}
		if (slot->pid == 0 || !slot->draining)
			continue;
		if (now >= slot->drain_deadline_ms) {
			log_warn("%s %ld did not finish within %ld ms: killing it", runtime_slot_name(master, slot),
			         (long)slot->pid, master->settings.drain_timeout_ms);
			kill(slot->pid, SIGKILL);
			slot->drain_deadline_ms = now + 60 * 1000;
		} else if (now - slot->stop_sent_ms >= RUNTIME_RESIGNAL_MS) {
			kill(slot->pid, SIGTERM);
			slot->stop_sent_ms = now;
		}
	}
}

static bool runtime_any_alive(const struct runtime_master *master)
{
	for (size_t i = 0; i < RUNTIME_SLOTS_MAX; i++)
		if (master->slots[i].pid != 0)
			return true;
	return false;
}

static int runtime_load(struct runtime_master *master, unsigned generation, struct runtime_settings *settings,
                        char *error, size_t error_size)
{
	memset(settings, 0, sizeof(*settings));
	if (master->hooks->on_reload(master->hooks->app, generation, settings, error, error_size) != 0) {
		log_error("configuration refused: %s", error);
		return -1;
	}
	if (settings->workers < 1)
		settings->workers = 1;
	return 0;
}

static long long runtime_wall_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The verdict of the reload that began at started_ms into the status file (control.h). */
static void runtime_tell(const struct runtime_master *master, enum control_verdict verdict, long long started_ms,
                         const char *reason)
{
	struct control_status status = {
		.pid = (long)master->pid,
		.generation = master->generation,
		.reloads = master->reloads,
		.last = verdict,
		.started_ms = started_ms,
	};
	char error[300];
	if (master->runtime_dir[0] == '\0')
		return;
	snprintf(status.reason, sizeof(status.reason), "%s", reason);
	if (control_write_status(master->runtime_dir, &status, error, sizeof(error)) != 0)
		log_warn("status file: %s", error);
}

static void runtime_reload(struct runtime_master *master)
{
	struct runtime_settings settings;
	char error[CONTROL_REASON_MAX] = "";
	long long started_ms = runtime_wall_ms();
	master->reloads++;
	log_info("reloading configuration (SIGHUP)");
	if (runtime_load(master, master->generation + 1, &settings, error, sizeof(error)) != 0) {
		log_error("reload refused: generation %u keeps running", master->generation);
		runtime_tell(master, CONTROL_REFUSED, started_ms, error);
		runtime_count(&runtime_shared->reloads_refused);
		return;
	}
	if (strcmp(settings.listen, master->settings.listen) != 0) {
		log_warn("listen changed from %s to %s: takes effect at the next restart, not on reload",
		         master->settings.listen, settings.listen);
		memcpy(settings.listen, master->settings.listen, sizeof(settings.listen));
	}
	if (strcmp(settings.runtime_dir, master->runtime_dir) != 0)
		log_warn("runtime_dir changed from %s to %s: takes effect at the next restart, not on reload",
		         master->runtime_dir[0] != '\0' ? master->runtime_dir : "(none)",
		         settings.runtime_dir[0] != '\0' ? settings.runtime_dir : "(none)");
	struct runtime_master candidate_user = *master;
	if (runtime_resolve_user(&candidate_user, &settings, error, sizeof(error)) != 0) {
		log_error("%s", error);
		log_error("reload refused: generation %u keeps running", master->generation);
		runtime_tell(master, CONTROL_REFUSED, started_ms, error);
		runtime_count(&runtime_shared->reloads_refused);
		return;
	}
	master->uid = candidate_user.uid;
	master->gid = candidate_user.gid;
	master->drop_privileges = candidate_user.drop_privileges;
	master->settings = settings;
	master->generation++;
	runtime_count(&runtime_shared->reloads);
	atomic_store(&runtime_shared->generation, master->generation);
	log_info("starting generation %u with %d workers", master->generation, settings.workers);
	/* New workers first, so someone is always accepting; then the old ones finish. If not one
	 * new worker could start, the old generation keeps serving until a retry succeeds. */
	int running = runtime_spawn_generation(master);
	if (running < settings.workers)
		log_error("started %d of %d workers of generation %u; retrying the rest", running, settings.workers,
		          master->generation);
	if (running > 0)
		runtime_drain_old(master, false);
	else
		master->old_generation_pending = true;
	runtime_tell(master, CONTROL_TAKEN, started_ms, "");
}

/* The runtime directory of the start's configuration, with the status and then the pid file
 * (a pid file always has its status beside it). */
static int runtime_control_start(struct runtime_master *master)
{
	char error[300];
	memcpy(master->runtime_dir, master->settings.runtime_dir, sizeof(master->runtime_dir));
	if (master->runtime_dir[0] == '\0')
		return 0;
	if (control_prepare(master->runtime_dir, error, sizeof(error)) != 0) {
		log_error("[server] runtime_dir: %s", error);
		master->runtime_dir[0] = '\0';
		return -1;
	}
	runtime_tell(master, CONTROL_NONE, 0, "");
	if (control_write_pid(master->runtime_dir, master->pid, error, sizeof(error)) != 0) {
		log_error("[server] runtime_dir: %s", error);
		control_remove(master->runtime_dir);
		master->runtime_dir[0] = '\0';
		return -1;
	}
	return 0;
}

int runtime_run(const struct runtime_hooks *hooks)
{
	static struct runtime_master master;  /* static: the slot table is large */
	int exit_status = 1;
	sigset_t handled;

	memset(&master, 0, sizeof(master));
	master.hooks = hooks;
	master.listen_fd = -1;
	master.generation = 1;
	master.pid = getpid();

	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (runtime_shared == NULL) {
		void *shared = mmap(NULL, sizeof(*runtime_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shared == MAP_FAILED) {
			log_error("mapping the counters: %s", strerror(errno));
			goto out;
		}
		runtime_shared = shared;
	}
	atomic_store(&runtime_shared->generation, master.generation);
	char error[CONTROL_REASON_MAX] = "";
	if (runtime_load(&master, master.generation, &master.settings, error, sizeof(error)) != 0)
		goto out;
	if (runtime_resolve_user(&master, &master.settings, error, sizeof(error)) != 0) {
		log_error("%s", error);
		goto out;
	}
	if (runtime_listen(&master) != 0)
		goto out;
	if (runtime_control_start(&master) != 0)
		goto out;
	log_info("master started: generation 1, %d workers", master.settings.workers);
	if (runtime_spawn_generation(&master) == 0) {
		log_error("not one worker could start");
		master.start_failed = true;
		master.stopping = true;
		runtime_drain_old(&master, true);
	}

	while (!master.stopping || runtime_any_alive(&master)) {
		struct timespec timeout = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
		siginfo_t info;
		int signal_number = sigtimedwait(&handled, &info, &timeout);
		if (signal_number == SIGCHLD) {
			runtime_reap(&master);
		} else if (signal_number == SIGHUP && !master.stopping) {
			runtime_reload(&master);
		} else if ((signal_number == SIGTERM || signal_number == SIGINT) && !master.stopping) {
			log_info("stopping (signal %d): draining workers", signal_number);
			master.stopping = true;
			runtime_drain_old(&master, true);
		}
		runtime_reap(&master);
		runtime_tick(&master);
	}
	exit_status = master.start_failed ? 1 : 0;
	log_info("master stopped");
out:
	if (master.runtime_dir[0] != '\0')
		control_remove(master.runtime_dir);
	if (master.listen_fd >= 0)
		close(master.listen_fd);
	if (master.unix_path[0] != '\0')
		unlink(master.unix_path);
	return exit_status;
}
