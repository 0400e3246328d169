# packaging/stack-mariadb.sh: a stack's MariaDB pair — a primary and a semi-synchronous standby
# (RDS Multi-AZ's shape), started by hand without systemd; sourced after packaging/stack.sh.
#
# A stopped template datadir (database `complaints`, the accounts, no binary log) is built once
# per server version under VARDIR/templates/ and copied for every pair, which starts in about a
# second. Per stack, under DIR/mariadb/:
#   primary/ standby/            the datadirs (copies of the template)
#   primary.pid standby.pid      the mariadbd pids (we start them; we stop them by pid)
#   primary.err standby.err      error logs
#   primary.role standby.role    "primary" or "standby": the options a restart uses
#   base                         the stack's port base
# Sockets: /tmp/complaintd-$base/{primary,standby}.sock; ports: stack_port BASE primary|standby;
# passwords: stack secrets db_app_password, db_migrate_password, db_repl_password.
# root logs in over the unix socket only, by unix_socket authentication (the OS user must be root,
# which mariadbd --user=root needs anyway): no root password exists, and no root account over TCP.

# The semi-sync timeout: how long a commit on the primary waits for the standby's
# acknowledgement before the primary falls back to asynchronous replication. Short, so a test
# that stops the standby pays it once and quickly; long enough that a loaded 2-core machine does
# not fall back spuriously (an acknowledgement normally takes milliseconds).
MARIADB_SEMISYNC_TIMEOUT_MS=${MARIADB_SEMISYNC_TIMEOUT_MS:-2000}
# How long start/stop/promote wait for a server before giving up, in seconds.
MARIADB_WAIT_SECONDS=${MARIADB_WAIT_SECONDS:-30}
# Bump when the template's content (accounts, grants) changes: an old template is rebuilt.
MARIADB_TEMPLATE_FORMAT=2

mariadb__log() { printf 'stack-mariadb: %s\n' "$*" >&2; }
mariadb__now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The server version, e.g. 10.11.19-MariaDB-0+deb12u1 (names the template).
mariadb__version() { mariadbd --version | sed -n 's/.* Ver \([^ ]*\) .*/\1/p'; }

mariadb__base() { cat "$1/mariadb/base" 2>/dev/null; }
mariadb__socket() { echo "/tmp/complaintd-$2/$1.sock"; }

# mariadb__root SOCKET ARGS...: the root client over a socket, SQL on stdin, tab-separated rows.
mariadb__root() { mariadb --no-defaults -uroot --socket="$1" -N -B --skip-print-query-on-error "${@:2}"; }

# mariadb__wait_ping SOCKET PID SECONDS: waits until the server answers; fails early if PID dies.
mariadb__wait_ping() {
	local socket=$1 pid=$2 deadline=$((SECONDS + $3))
	until mariadb-admin --no-defaults -uroot --socket="$socket" ping >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.02
	done
}

# mariadb__wait_gone PID SECONDS: waits until PID has exited.
mariadb__wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.02
	done
}

# ---- the template ----

# The accounts and the database. Passwords here are throwaway and the accounts locked: each stack
# sets its own (mariadb__password_sql), so no two stacks share a password.
mariadb__template_sql() {
	local throwaway; throwaway=$(stack_random_secret)
	local host
	cat <<-EOF
	DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
	DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
	FLUSH PRIVILEGES;
	ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;
	CREATE DATABASE complaints CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	EOF
	for host in localhost 127.0.0.1; do
		cat <<-EOF
		CREATE USER 'complaints_app'@'$host' IDENTIFIED BY '$throwaway' ACCOUNT LOCK;
		GRANT SELECT, INSERT, UPDATE, DELETE ON complaints.* TO 'complaints_app'@'$host';
		CREATE USER 'complaints_migrate'@'$host' IDENTIFIED BY '$throwaway' ACCOUNT LOCK;
		GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX, REFERENCES,
			CREATE VIEW, SHOW VIEW, TRIGGER, CREATE ROUTINE, ALTER ROUTINE, EXECUTE,
			CREATE TEMPORARY TABLES, LOCK TABLES ON complaints.* TO 'complaints_migrate'@'$host';
		CREATE USER 'complaints_repl'@'$host' IDENTIFIED BY '$throwaway' ACCOUNT LOCK;
		GRANT REPLICATION SLAVE ON *.* TO 'complaints_repl'@'$host';
		EOF
	done
}

# mariadb_template_ensure VARDIR: prints the template datadir, building it first if missing.
# Built in a scratch directory and renamed into place under an exclusive lock; copies take a
# shared lock, so a rebuild never swaps a template out from under a copy.
mariadb_template_ensure() {
	local vardir=$1 version
	version=$(mariadb__version)
	if [ -z "$version" ]; then mariadb__log "cannot read mariadbd --version"; return 1; fi
	local templates="$vardir/templates" name="mariadb-$version"
	local final="$templates/$name"
	mkdir -p "$templates" || return 1
	if [ "$(cat "$final/complaintd-template-format" 2>/dev/null)" = "$MARIADB_TEMPLATE_FORMAT" ]; then
		echo "$final"; return 0
	fi
	local lock status=0
	exec {lock}>"$templates/.$name.lock"
	flock "$lock"
	if [ "$(cat "$final/complaintd-template-format" 2>/dev/null)" != "$MARIADB_TEMPLATE_FORMAT" ]; then
		mariadb__template_build "$templates" "$final" || status=1
	fi
	flock -u "$lock"
	exec {lock}>&-
	[ $status -eq 0 ] && echo "$final"
	return $status
}

mariadb__template_build() {
	local templates=$1 final=$2
	local build="$templates/.build.$$" sockdir pid status=0
	local t0; t0=$(mariadb__now_ms)
	rm -rf "$build"
	sockdir=$(mktemp -d /tmp/complaintd-template.XXXXXX) || return 1
	if ! mariadb-install-db --no-defaults --datadir="$build" --user=root \
		--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
		--innodb-log-file-size=8M >"$templates/.build.$$.log" 2>&1; then
		mariadb__log "mariadb-install-db failed: see $templates/.build.$$.log"
		rm -rf "$build" "$sockdir"; return 1
	fi
	# No binary log and no TCP: the template's setup must not be replayed by any replica (both
	# servers of a pair start from it), and nothing else may talk to it.
	mariadbd --no-defaults --user=root --datadir="$build" --socket="$sockdir/s.sock" \
		--skip-networking --skip-log-bin --skip-name-resolve --innodb-log-file-size=8M \
		--pid-file="$sockdir/s.pid" --log-error="$templates/.build.$$.err" \
		</dev/null >/dev/null 2>>"$templates/.build.$$.err" &
	pid=$!
	if ! mariadb__wait_ping "$sockdir/s.sock" "$pid" "$MARIADB_WAIT_SECONDS"; then
		mariadb__log "template server did not start: see $templates/.build.$$.err"; status=1
	elif ! mariadb__template_sql | mariadb__root "$sockdir/s.sock" 2>>"$templates/.build.$$.log"; then
		mariadb__log "template setup failed: see $templates/.build.$$.log"; status=1
	fi
	kill -TERM "$pid" 2>/dev/null
	mariadb__wait_gone "$pid" "$MARIADB_WAIT_SECONDS" || { kill -KILL "$pid" 2>/dev/null; status=1; }
	wait "$pid" 2>/dev/null
	rm -rf "$sockdir"
	if [ $status -eq 0 ]; then
		echo "$MARIADB_TEMPLATE_FORMAT" >"$build/complaintd-template-format"
		# A stale template (older format) is moved aside first: rename is atomic, so a reader
		# sees the old or the new one, never a half.
		[ -e "$final" ] && mv "$final" "$templates/.old.$$" && rm -rf "$templates/.old.$$"
		mv "$build" "$final" || status=1
		rm -f "$templates/.build.$$.log" "$templates/.build.$$.err"
		mariadb__log "built the template $final in $(($(mariadb__now_ms) - t0)) ms"
	fi
	rm -rf "$build"
	return $status
}

# ---- one server ----

# mariadb__options DIR NAME: the mariadbd options of NAME (from its role file).
mariadb__options() {
	local dir=$1 name=$2 base role port
	base=$(mariadb__base "$dir") || return 1
	role=$(cat "$dir/mariadb/$name.role") || return 1
	port=$(stack_port "$base" "$name") || return 1
	local opts=(
		--no-defaults --user=root --datadir="$dir/mariadb/$name"
		--socket="$(mariadb__socket "$name" "$base")" --port="$port" --bind-address=127.0.0.1
		--pid-file="$dir/mariadb/$name.pid" --log-error="$dir/mariadb/$name.err"
		# The port is unique on this host, so server ids differ within a pair and across stacks.
		--server-id="$port"
		--log-bin=mysql-bin --relay-log=relay-bin --log-slave-updates --binlog-format=ROW
		--skip-name-resolve --innodb-log-file-size=8M --innodb-buffer-pool-size=64M
		# Start faster: a small temporary tablespace (the default one is written full, 12 MiB,
		# at every start) and no buffer pool dump/load (a test server has nothing worth warming).
		--innodb-temp-data-file-path=ibtmp1:1M:autoextend
		--innodb-buffer-pool-dump-at-shutdown=OFF --innodb-buffer-pool-load-at-startup=OFF
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
		--rpl-semi-sync-master-wait-point=AFTER_SYNC
		--rpl-semi-sync-master-timeout="$MARIADB_SEMISYNC_TIMEOUT_MS"
	)
	case $role in
	primary) opts+=(--read-only=0 --rpl-semi-sync-master-enabled=ON --rpl-semi-sync-slave-enabled=OFF) ;;
	standby) opts+=(--read-only=1 --rpl-semi-sync-master-enabled=OFF --rpl-semi-sync-slave-enabled=ON) ;;
	# The primary's first start: semi-sync is switched on once the standby is attached, so the
	# per-stack password changes (binlogged, replayed by the standby) do not wait for it.
	primary-initial) opts+=(--read-only=0 --rpl-semi-sync-master-enabled=OFF --rpl-semi-sync-slave-enabled=OFF) ;;
	*) mariadb__log "unknown role $role"; return 1 ;;
	esac
	printf '%s\n' "${opts[@]}"
}

mariadb__running() {
	local pid; pid=$(cat "$1/mariadb/$2.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# mariadb__launch DIR NAME: starts mariadbd in the background; does not wait.
mariadb__launch() {
	local dir=$1 name=$2 opts
	if mariadb__running "$dir" "$name"; then
		mariadb__log "$name already runs (pid $(cat "$dir/mariadb/$name.pid"))"; return 1
	fi
	[ -d "$dir/mariadb/$name" ] || { mariadb__log "no datadir $dir/mariadb/$name"; return 1; }
	mapfile -t opts < <(mariadb__options "$dir" "$name") && [ ${#opts[@]} -gt 0 ] || return 1
	local base; base=$(mariadb__base "$dir")
	mkdir -p "/tmp/complaintd-$base" && chmod 0755 "/tmp/complaintd-$base"
	# One warning (max_open_files) reaches stderr before the error log opens.
	mariadbd "${opts[@]}" </dev/null >/dev/null 2>>"$dir/mariadb/$name.err" &
	disown $!
	echo $! >"$dir/mariadb/$name.pid"
}

mariadb__wait_up() {
	local dir=$1 name=$2 base; base=$(mariadb__base "$dir")
	mariadb__wait_ping "$(mariadb__socket "$name" "$base")" "$(cat "$dir/mariadb/$name.pid")" "$MARIADB_WAIT_SECONDS" || {
		stack_failed "MariaDB $name" "$dir/mariadb/$name.err"
		tail -n 5 "$dir/mariadb/$name.err" >&2
		return 1
	}
}

# mariadb_start DIR primary|standby: (re)starts a server on its existing datadir, as its role
# (a promoted standby restarts as a primary); waits until it answers. A standby resumes
# replicating by itself.
mariadb_start() {
	local dir=$1 name=$2
	[ "$(cat "$dir/mariadb/$name.role" 2>/dev/null)" = primary-initial ] && echo primary >"$dir/mariadb/$name.role"
	mariadb__launch "$dir" "$name" && mariadb__wait_up "$dir" "$name"
}

# mariadb_stop DIR primary|standby: clean shutdown (SIGTERM), waits until the process is gone.
mariadb_stop() { stack_stop_pid "$1/mariadb/$2.pid" TERM; }

# mariadb_kill DIR primary|standby: SIGKILL, as a crash; waits until the process is gone.
mariadb_kill() { stack_stop_pid "$1/mariadb/$2.pid" KILL; }

# mariadb_stop_all DIR: stops both servers at once (each shutdown takes a second or two).
mariadb_stop_all() {
	local dir=$1 name pid pids=()
	for name in primary standby; do
		pid=$(cat "$dir/mariadb/$name.pid" 2>/dev/null) || continue
		kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		mariadb__wait_gone "$pid" "$MARIADB_WAIT_SECONDS" || kill -KILL "$pid" 2>/dev/null
	done
	rm -f "$dir/mariadb/primary.pid" "$dir/mariadb/standby.pid"
	# A killed server leaves its socket behind.
	local base; base=$(mariadb__base "$dir") && rm -f "/tmp/complaintd-$base/primary.sock" "/tmp/complaintd-$base/standby.sock"
}

# ---- SQL ----

# mariadb_sql DIR primary|standby root|app|migrate SQL...: runs SQL (the words joined by spaces)
# and prints tab-separated rows without a header. root goes over the unix socket; app and migrate
# over TCP 127.0.0.1, as the app itself connects. The SQL goes on stdin and the password in the
# environment, so neither shows in ps. Returns mariadb's status; errors ("ERROR 1290 ...") go to
# stderr.
mariadb_sql() {
	local dir=$1 name=$2 who=$3; shift 3
	local base; base=$(mariadb__base "$dir") || { mariadb__log "no MariaDB pair in $dir"; return 1; }
	case $who in
	root) printf '%s\n' "$*" | mariadb__root "$(mariadb__socket "$name" "$base")" ;;
	app | migrate)
		local password; password=$(stack_secret_get "$dir" "db_${who}_password")
		printf '%s\n' "$*" | MYSQL_PWD=$password mariadb --no-defaults -h127.0.0.1 \
			-P"$(stack_port "$base" "$name")" -u"complaints_$who" -N -B --skip-print-query-on-error complaints ;;
	*) mariadb__log "mariadb_sql: unknown user $who (root|app|migrate)"; return 2 ;;
	esac
}

# mariadb__status DIR NAME VARIABLE: one global status value (e.g. Rpl_semi_sync_master_status).
mariadb__status() {
	mariadb_sql "$1" "$2" root "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$3'"
}

# mariadb__slave_field DIR NAME FIELD: one field of SHOW SLAVE STATUS (empty if no replication).
mariadb__slave_field() {
	local socket; socket=$(mariadb__socket "$2" "$(mariadb__base "$1")")
	echo 'SHOW SLAVE STATUS' | mariadb --no-defaults -uroot --socket="$socket" -B -E | sed -n "s/^ *$3: //p"
}

# mariadb__wait_for MILLISECONDS COMMAND...: polls COMMAND every 20 ms.
mariadb__wait_for() {
	local deadline=$(($(mariadb__now_ms) + $1)); shift
	until "$@"; do
		[ "$(mariadb__now_ms)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

mariadb__replicating() {
	local socket; socket=$(mariadb__socket standby "$(mariadb__base "$1")")
	[ "$(echo 'SHOW SLAVE STATUS' | mariadb --no-defaults -uroot --socket="$socket" -B -E |
		sed -n 's/^ *Slave_\(IO\|SQL\)_Running: //p' | tr '\n' ' ')" = 'Yes Yes ' ]
}
# Semi-sync is on when the primary has a semi-sync standby attached and waits for it.
mariadb__semisync_on() {
	[ "$(mariadb_sql "$1" primary root "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME)
		FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN
		('RPL_SEMI_SYNC_MASTER_CLIENTS', 'RPL_SEMI_SYNC_MASTER_STATUS')")" = 1,ON ] &&
		[ "$(mariadb__status "$1" standby Rpl_semi_sync_slave_status)" = ON ]
}

# mariadb__password_sql DIR: prints SQL giving the three accounts fresh random passwords (saved
# as stack secrets). The server hashes them (EXECUTE IMMEDIATE), so the binlog, which the standby
# replays, holds only hashes.
mariadb__password_sql() {
	local dir=$1 who host password
	for who in app migrate repl; do
		password=$(stack_random_secret)
		stack_secret_set "$dir" "db_${who}_password" "$password"
		for host in localhost 127.0.0.1; do
			echo "EXECUTE IMMEDIATE CONCAT('ALTER USER ''complaints_$who''@''$host'' IDENTIFIED BY PASSWORD ''', PASSWORD('$password'), ''' ACCOUNT UNLOCK');"
		done
	done
}

# mariadb_start_pair DIR BASE: a fresh primary + standby from the template (VARDIR is
# $STACK_SRCDIR/var unless MARIADB_VARDIR says otherwise), GTID + semi-sync replication, fresh
# passwords. Returns once both answer, the standby has applied everything the primary has, its
# replication threads run and semi-sync is on. Refuses if either server of DIR runs; a stopped
# old pair in DIR is replaced (to restart one keeping its data, use mariadb_start on each).
mariadb_start_pair() {
	local dir=$1 base=$2 template name t0
	t0=$(mariadb__now_ms)
	for name in primary standby; do
		if mariadb__running "$dir" "$name"; then
			mariadb__log "the $name of $dir already runs: mariadb_stop_all first"; return 1
		fi
	done
	template=$(mariadb_template_ensure "${MARIADB_VARDIR:-$STACK_SRCDIR/var}") || return 1
	rm -rf "$dir/mariadb"
	mkdir -p "$dir/mariadb" || return 1
	chmod 0700 "$dir/mariadb"
	echo "$base" >"$dir/mariadb/base"
	echo primary-initial >"$dir/mariadb/primary.role"
	echo standby >"$dir/mariadb/standby.role"
	(
		exec {lock}>"$(dirname "$template")/.$(basename "$template").lock"
		flock -s "$lock"
		cp -a "$template" "$dir/mariadb/primary" && cp -a "$template" "$dir/mariadb/standby"
	) || { mariadb__log "cannot copy the template $template"; return 1; }
	local t_copy; t_copy=$(mariadb__now_ms)
	mariadb__launch "$dir" primary && mariadb__launch "$dir" standby || return 1
	mariadb__wait_up "$dir" primary && mariadb__wait_up "$dir" standby || return 1
	local t_up; t_up=$(mariadb__now_ms)

	local pos
	pos=$(mariadb_sql "$dir" primary root "$(mariadb__password_sql "$dir")
		SET GLOBAL rpl_semi_sync_master_enabled = ON;
		SELECT @@gtid_binlog_pos") || { mariadb__log "cannot set up the primary"; return 1; }
	echo primary >"$dir/mariadb/primary.role"
	local caught_up
	caught_up=$(mariadb_sql "$dir" standby root "CHANGE MASTER TO MASTER_HOST = '127.0.0.1',
		MASTER_PORT = $(stack_port "$base" primary), MASTER_USER = 'complaints_repl',
		MASTER_PASSWORD = '$(stack_secret_get "$dir" db_repl_password)',
		MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;
		START SLAVE;
		SELECT MASTER_GTID_WAIT('$pos', $MARIADB_WAIT_SECONDS)")
	if [ "$caught_up" != 0 ] || ! mariadb__replicating "$dir"; then
		mariadb__log "the standby does not replicate: $(mariadb__slave_field "$dir" standby Last_IO_Error)$(mariadb__slave_field "$dir" standby Last_SQL_Error)"
		return 1
	fi
	local t_repl; t_repl=$(mariadb__now_ms)
	mariadb__wait_for $((MARIADB_WAIT_SECONDS * 1000)) mariadb__semisync_on "$dir" || {
		mariadb__log "semi-sync did not turn on"; return 1; }
	local t_end; t_end=$(mariadb__now_ms)
	mariadb__log "MariaDB pair of $dir ready in $((t_end - t0)) ms (template + copy $((t_copy - t0)), servers up $((t_up - t_copy)), accounts + replication $((t_repl - t_up)), semi-sync on $((t_end - t_repl)))"
}

# mariadb_promote DIR: makes the standby the primary, as a failover does: it first applies every
# event it received (a semi-sync acknowledgement means "in the relay log", not "applied"), then
# drops replication, becomes writable and takes the primary's side of semi-sync. With no standby
# attached, its first write then waits the semi-sync timeout once, like a primary whose standby
# is gone.
mariadb_promote() {
	local dir=$1 io_pos
	mariadb_sql "$dir" standby root 'STOP SLAVE IO_THREAD' || return 1
	io_pos=$(mariadb__slave_field "$dir" standby Gtid_IO_Pos)
	if [ -n "$io_pos" ]; then
		[ "$(mariadb_sql "$dir" standby root "SELECT MASTER_GTID_WAIT('$io_pos', $MARIADB_WAIT_SECONDS)")" = 0 ] || {
			mariadb__log "the standby did not apply its relay log up to $io_pos"; return 1; }
	fi
	mariadb_sql "$dir" standby root "STOP SLAVE; RESET SLAVE ALL;
		SET GLOBAL rpl_semi_sync_slave_enabled = OFF; SET GLOBAL rpl_semi_sync_master_enabled = ON;
		SET GLOBAL read_only = 0" || return 1
	echo primary >"$dir/mariadb/standby.role"
}

# mariadb_delay_standby DIR SECONDS: the standby applies each event SECONDS after its commit on
# the primary (it still receives and acknowledges at once, so the primary does not wait).
mariadb_delay_standby() {
	mariadb_sql "$1" standby root "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = $(( $2 )); START SLAVE"
}

# mariadb_shell_hint DIR BASE: how a developer opens a SQL shell on each server.
mariadb_shell_hint() {
	local dir=$1 base=$2 name
	for name in primary standby; do
		printf '  %-8s root: mariadb --no-defaults -uroot --socket=%s complaints\n' \
			"$name" "$(mariadb__socket "$name" "$base")"
		# shellcheck disable=SC2016 # the $(...) is for the developer's shell
		printf '  %-8s app:  MYSQL_PWD=$(sed -n "s/^db_app_password=//p" %s/secrets) mariadb --no-defaults -h127.0.0.1 -P%s -ucomplaints_app complaints\n' \
			"$name" "$dir" "$(stack_port "$base" "$name")"
	done
}
