# packaging/stack.sh: start, stop and inspect a stack (sourced by packaging/dev and the tests).
#
# A stack is one directory plus one port base; every path, port and socket derives from them:
#   nginx            127.0.0.1:$base (the dev stack: 127.0.0.1:8080)
#   complaintd       unix socket $sockdir/fcgi.sock, sockdir = /tmp/complaintd-$base (a unix
#                    socket path holds at most 107 bytes, so sockets never live under $dir);
#                    with several hosts (STACK_HOSTS=N, see stack_host_dir) host K >= 2 has its
#                    own config, pid and log under $dir/host-K and its socket $sockdir/fcgi-K.sock,
#                    all of them behind one nginx upstream, on the stack's one database and S3 set
#   logs, pid files  $dir/*.log, $dir/*.pid
# Port bases are claimed under a lock (stack_claim_base), so the developer's stack and any number
# of test stacks never collide. Every process started is recorded by pid and stopped by that pid.

STACK_PORTS_DIR=${STACK_PORTS_DIR:-/tmp/complaintd-ports}
STACK_SRCDIR=${STACK_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

stack_log() { printf '%s\n' "$*" >&2; }

# stack_failed SERVER LOG: says which server did not start and shows the end of its log, so a
# test's output holds the reason (maildev's ERR_REQUIRE_ESM, nginx's permission denied...).
stack_failed() {
	local server=$1 log=$2
	stack_log "$server did not start; the end of $log:"
	tail -n 15 "$log" 2>/dev/null | sed 's/^/    /' >&2 || stack_log "    (no log)"
}

# Claims a free port base (a multiple of 20 from 20000) and prints it. The claim is a directory
# holding the claimant's pid; a claim whose pid is gone is taken over.
# stack_claim_live DIR BASE: whether the stack in DIR still holds BASE: claimed in the last five
# minutes (it may still be starting), or on BASE with any of its servers running (a test killed
# before its `down` leaves a claim nothing holds any more).
stack_claim_live() {
	local dir=$1 base=$2 file
	[ $(($(date +%s) - $(stat -c %Y "$STACK_PORTS_DIR/$base" 2>/dev/null || echo 0))) -lt 300 ] && return 0
	[ "$(cat "$dir/base" 2>/dev/null)" = "$base" ] || return 1
	for file in "$dir"/*.pid "$dir"/mariadb/*.pid "$dir"/s3/*.pid; do
		[ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null && return 0
	done
	return 1
}

stack_claim_base() {
	local owner=${1:-$$} base
	mkdir -p "$STACK_PORTS_DIR"
	exec {lock}>"$STACK_PORTS_DIR/.lock"
	flock "$lock"
	for ((base = 20000; base < 30000; base += 20)); do
		local claim="$STACK_PORTS_DIR/$base"
		if [ -d "$claim" ]; then
			local pid; pid=$(cat "$claim/pid" 2>/dev/null)
			# A claim held by a live process, by a stack directory that still runs something on
			# this base ("stack:DIR", stackctl's), or by a name (the dev stack's "dev"), stays.
			case $pid in
			stack:*) stack_claim_live "${pid#stack:}" "$base" && continue ;;
			'' | *[!0-9]*) [ -n "$pid" ] && continue ;;
			*) { kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ]; } && continue ;;
			esac
			rm -rf "$claim"
		fi
		# Skip bases whose ports something else already holds.
		if ss -ltnH "( sport >= :$base and sport < :$((base + 20)) )" 2>/dev/null | grep -q .; then continue; fi
		mkdir "$claim" && echo "$owner" >"$claim/pid" && break
	done
	flock -u "$lock"
	exec {lock}>&-
	[ "$base" -lt 30000 ] || { stack_log "no free port base"; return 1; }
	echo "$base"
}

stack_release_base() { rm -rf "${STACK_PORTS_DIR:?}/$1"; }

# stack_render TEMPLATE OUT VAR=VALUE...: replaces each @VAR@ in TEMPLATE; fails on any left.
stack_render() {
	local template=$1 out=$2; shift 2
	local text; text=$(cat "$template")
	local pair
	local value
	for pair in "$@"; do
		value=${pair#*=}
		text=${text//"@${pair%%=*}@"/"$value"}   # quoted: a '&' in a value stays a '&'
	done
	if grep -q '@[A-Z_]*@' <<<"$text"; then
		stack_log "stack_render: $template: unreplaced $(grep -o '@[A-Z_]*@' <<<"$text" | sort -u | tr '\n' ' ')"
		return 1
	fi
	printf '%s\n' "$text" >"$out"
}

# stack_wait_http URL SECONDS: waits until URL answers 200.
stack_wait_http() {
	local url=$1 deadline=$((SECONDS + ${2:-10}))
	until curl -fs -o /dev/null "$url"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# stack_wait_listening CONFIG SECONDS: waits until complaintd's listen socket (unix path or
# host:port) exists.
stack_wait_listening() {
	local listen deadline=$((SECONDS + ${2:-10}))
	listen=$(sed -n 's/^listen *= *//p' "$1")
	until if [ "${listen:0:1}" = / ]; then [ -S "$listen" ]; else ss -ltnH "( sport = :${listen##*:} )" | grep -q .; fi; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# stack_write_config DIR BASE [KEY=VALUE...]: writes $dir/complaintd.conf for this stack.
# Extra KEY=VALUE pairs override the defaults: a bare key is a [server] key (workers=2), a
# dotted one names its section (db.read=seq(standby, primary), auth.session_idle_timeout=2s).
# When the stack's database and S3 replicas run (stack_up), their replica sets go in too, with
# the secrets file that holds their credentials.
stack_write_config() {
	local dir=$1 base=$2; shift 2
	local -A server=(
		[listen]="/tmp/complaintd-$base/fcgi.sock"
		[workers]=2
		[user]=nobody
		[location]=local
		[time_zone]=Europe/Brussels
		# The map's tiles from the stack's own tile server (stack_start), never the internet's.
		[map_tiles]="http://127.0.0.1:$(stack_port "$base" tiles)/{z}/{x}/{y}.png"
		[map_center]="50.8466,4.3528"
		[templates]="$STACK_SRCDIR/templates"
		[upload_max_bytes]=8M
		[drain_timeout]=10s
		[log_level]=info
		# The master's pid and status files, for complaintctl reload.
		[runtime_dir]="$dir/run"
	)
	local -A db=() s3=() auth=() workflow=() smtp=() notify=() ops=() queue=()
	# The replica statistics' segment lives with the stack, not beside its socket in
	# /tmp/complaintd-BASE: a port base is reused by later stacks, whose database never saw the
	# segment's earlier counts and would take them as its own.
	ops[stats_file]="$dir/complaintd.stats"
	local pair key value
	if [ -f "$dir/mariadb/primary.pid" ]; then
		db[replicas]="primary=mariadb://127.0.0.1:$(stack_port "$base" primary)/complaints, standby=mariadb://127.0.0.1:$(stack_port "$base" standby)/complaints"
		db[user]=complaints_app
		# Longer than the pair's semi-sync timeout (MARIADB_SEMISYNC_TIMEOUT_MS, 2 s): a commit on a
		# primary whose standby is gone (or a just-promoted standby) waits that long once.
		db[attempt_timeout]=3s
		db[deadline]=8s
		auth[common_passwords]="$STACK_SRCDIR/data/common-passwords.txt"
		# Tests sign many residents up from the loopback: the client address's mail throttle would
		# hold them (a test of that throttle sets its own, lower).
		auth[mail_address_free]=100000
	fi
	if [ -f "$dir/s3/us.pid" ]; then
		s3[replicas]="us=$(s3_url "$dir" "$base" us), jp=$(s3_url "$dir" "$base" jp), de=$(s3_url "$dir" "$base" de)"
		s3[repair_interval]=1s
	fi
	if [ -f "$dir/mail.pid" ]; then
		# The stack's maildev on the loopback: clear text is allowed there, and only there.
		smtp[replicas]="sink=smtp://127.0.0.1:$(stack_port "$base" smtp)"
		smtp[tls]=none
		smtp[from]=complaints@stack.invalid
		notify[backoff_base]=1s
		notify[backoff_max]=5s
		notify[interval]=200ms
		server[public_url]="http://127.0.0.1:$(stack_port "$base" http)"
	fi
	[ -f "$dir/secrets" ] && server[secrets]="$dir/secrets"
	# "@PORTn@" in a value is this stack's port base + n, e.g. listen=127.0.0.1:@PORT12@.
	for pair in "$@"; do
		key=${pair%%=*} value=${pair#*=}
		while [[ $value =~ @PORT([0-9]+)@ ]]; do
			value=${value//${BASH_REMATCH[0]}/$((base + BASH_REMATCH[1]))}
		done
		case $key in
		db.*) db[${key#db.}]=$value ;;
		s3.*) s3[${key#s3.}]=$value ;;
		auth.*) auth[${key#auth.}]=$value ;;
		workflow.*) workflow[${key#workflow.}]=$value ;;
		smtp.*) smtp[${key#smtp.}]=$value ;;
		notify.*) notify[${key#notify.}]=$value ;;
		ops.*) ops[${key#ops.}]=$value ;;
		queue.*) queue[${key#queue.}]=$value ;;
		*.*) stack_log "stack_write_config: unknown section in $key"; return 1 ;;
		*) server[$key]=$value ;;
		esac
	done
	{
		echo "# complaintd.conf for the stack in $dir (port base $base), written by packaging/stack.sh"
		echo "[server]"
		for key in "${!server[@]}"; do echo "$key = ${server[$key]}"; done | sort
		local section
		for section in db s3 auth workflow smtp notify ops queue; do
			local -n entries=$section
			[ "${#entries[@]}" -gt 0 ] || continue
			echo
			echo "[$section]"
			for key in "${!entries[@]}"; do echo "$key = ${entries[$key]}"; done | sort
		done
	} >"$dir/complaintd.conf"
	stack_write_host_configs "$dir" "$base"
}

# ---- several complaintd hosts on one stack ----
# $dir/hosts holds how many (absent: one). Host 1 is the stack's own files ($dir/complaintd.conf,
# .pid, .log); host K >= 2 lives in $dir/host-K with a copy of host 1's config that differs in its
# listen (fcgi-K.sock beside host 1's socket, or host 1's TCP port base + 12 + K, the base's spare
# +14..+19), its location (host-K; with one host, host 1's stays as written) and, when the config
# names one, its [ops] stats_file (host 1's with -K: each host counts in a segment of its own).

stack_hosts() { cat "$1/hosts" 2>/dev/null || echo 1; }

# stack_host_dir DIR K: where host K's config, pid file and log live.
stack_host_dir() { if [ "$2" = 1 ]; then echo "$1"; else echo "$1/host-$2"; fi; }

# stack_host_listen BASE LISTEN K: host K's listen, derived from host 1's.
stack_host_listen() {
	local base=$1 listen=$2 k=$3
	if [ "$k" = 1 ]; then echo "$listen"
	elif [ "${listen:0:1}" = / ]; then echo "${listen%.sock}-$k.sock"
	else echo "${listen%:*}:$((base + 12 + k))"
	fi
}

# stack_write_host_configs DIR BASE: host K's config for K = 2..N from host 1's (and host 1's
# location host-1 when there are several).
stack_write_host_configs() {
	local dir=$1 base=$2 n k listen host
	n=$(stack_hosts "$dir")
	[ "$n" -gt 1 ] || return 0
	[ "$n" -le 7 ] || { stack_log "at most 7 complaintd hosts on a stack (the base's spare ports)"; return 1; }
	listen=$(sed -n 's/^listen *= *//p' "$dir/complaintd.conf")
	sed -i 's/^location *=.*/location = host-1/' "$dir/complaintd.conf"
	for ((k = 2; k <= n; k++)); do
		host=$(stack_host_dir "$dir" "$k")
		mkdir -p "$host"
		sed -e "s#^listen *=.*#listen = $(stack_host_listen "$base" "$listen" "$k")#" \
			-e "s/^location *=.*/location = host-$k/" -e "s#^stats_file *= *\(..*\)\$#stats_file = \1-$k#" \
			-e "1s#.*#& (host $k of $n)#" "$dir/complaintd.conf" >"$host/complaintd.conf"
	done
}

# stack_host_start DIR K BINARY: starts host K's complaintd and waits until it listens.
stack_host_start() {
	local host; host=$(stack_host_dir "$1" "$2")
	local binary=$3
	"$binary" -c "$host/complaintd.conf" -t >/dev/null || return 1
	# Background servers get no stdin/stdout of ours: a caller piping our output must see EOF.
	"$binary" -c "$host/complaintd.conf" </dev/null >>"$host/complaintd.log" 2>&1 &
	echo $! >"$host/complaintd.pid"
	stack_wait_listening "$host/complaintd.conf" 10 || { stack_failed "complaintd (host $2)" "$host/complaintd.log"; return 1; }
}

# stack_host_stop DIR K [SIGNAL]: stops host K's complaintd (SIGTERM: it drains). With KILL, the
# master and every process it started die at once, as when the machine goes: nothing drains.
stack_host_stop() {
	local host pid signal=${3:-TERM}
	host=$(stack_host_dir "$1" "$2")
	if [ "$signal" = KILL ] && [ -f "$host/complaintd.pid" ]; then
		pid=$(cat "$host/complaintd.pid")
		# shellcheck disable=SC2046 # one pid per word
		kill -KILL "$pid" $(pgrep -P "$pid") 2>/dev/null || true
	fi
	stack_stop_pid "$host/complaintd.pid" "$signal"
}

# stack_upstream_servers DIR: nginx's "server ADDRESS;" of every host, on one line.
stack_upstream_servers() {
	local dir=$1 k listen servers=()
	for ((k = 1; k <= $(stack_hosts "$dir"); k++)); do
		listen=$(sed -n 's/^listen *= *//p' "$(stack_host_dir "$dir" "$k")/complaintd.conf")
		case $listen in
		/*) servers+=("server unix:$listen;") ;;
		*) servers+=("server $listen;") ;;
		esac
	done
	echo "${servers[*]}"
}

# stack_upload_max_bytes DIR: the upload limit the stack's config sets, in bytes.
stack_upload_max_bytes() {
	local value; value=$(sed -n 's/^upload_max_bytes *= *//p' "$1/complaintd.conf")
	case $value in
	*[kK]) echo $(( ${value%?} * 1024 )) ;;
	*[mM]) echo $(( ${value%?} * 1024 * 1024 )) ;;
	*[gG]) echo $(( ${value%?} * 1024 * 1024 * 1024 )) ;;
	*) echo "$value" ;;
	esac
}

# stack_socket_dir BASE: makes /tmp/complaintd-BASE ours (0755), refusing one another user made:
# whoever owns it could swap our sockets for their own listeners.
stack_socket_dir() {
	local sockdir="/tmp/complaintd-$1"
	mkdir -m 0755 "$sockdir" 2>/dev/null || true
	if [ ! -d "$sockdir" ] || [ -L "$sockdir" ] || [ "$(stat -c %u "$sockdir")" != "$(id -u)" ]; then
		stack_log "$sockdir is not a directory of ours: refusing to put sockets in it"
		return 1
	fi
	chmod 0755 "$sockdir"
}

# stack_start DIR BASE BINARY [NGINX_PORT]: starts complaintd and nginx for the stack.
stack_start() {
	local dir=$1 base=$2 binary=$3 http_port=${4:-$2}
	local sockdir="/tmp/complaintd-$base"
	mkdir -p "$dir/nginx"
	stack_socket_dir "$base" || return 1
	[ -f "$dir/complaintd.conf" ] || stack_write_config "$dir" "$base"
	local k
	for ((k = 1; k <= $(stack_hosts "$dir"); k++)); do
		stack_host_start "$dir" "$k" "$binary" || return 1
	done

	# nginx's workers run as nobody (when started as root): they read the static files and write
	# request bodies to temp files. Both live under the socket directory (ours, 0755), not under
	# the checkout, which may sit in a 0700 home or have been cloned under umask 077; the copy of
	# static/ is made afresh at every start.
	rm -rf "$sockdir/www" "$sockdir/nginx-tmp"
	mkdir -m 0755 "$sockdir/www" "$sockdir/nginx-tmp" && cp -R "$STACK_SRCDIR/static" "$sockdir/www/" &&
		stack_stage_leaflet "$sockdir/www/static/vendor/leaflet" &&
		chmod -R a+rX "$sockdir/www" || { stack_log "cannot stage static/ under $sockdir/www"; return 1; }
	# The map's tiles: a handful from test/data/tiles, on a port of the stack's own (a host that
	# is not the site's, as a real tile server is), when the config names it.
	local tiles_port; tiles_port=$(stack_port "$base" tiles)
	local map_tiles tile_origin
	map_tiles=$(sed -n 's/^map_tiles *= *//p' "$dir/complaintd.conf")
	tile_origin=$(sed -n 's#^\(https\{0,1\}://[^/]*\)/.*#\1#p' <<<"$map_tiles")

	local body_max=$(( $(stack_upload_max_bytes "$dir") + 1024 * 1024 ))
	stack_render "$STACK_SRCDIR/nginx/site.conf.in" "$dir/nginx/site.conf" \
		LISTEN="127.0.0.1:$http_port" STATIC_ROOT="$sockdir/www" UPSTREAM_SERVERS="$(stack_upstream_servers "$dir")" \
		BODY_MAX="$body_max" SIGNIN_RATE="${STACK_SIGNIN_RATE:-6000r/m}" SIGNIN_BURST="${STACK_SIGNIN_BURST:-100}" \
		ZONE="stack$base" ACCESS_LOG="$dir/nginx/access.log" TILE_ORIGIN="$tile_origin" || return 1
	if [ "$tile_origin" = "http://127.0.0.1:$tiles_port" ]; then
		cp -R "$STACK_SRCDIR/test/data/tiles" "$sockdir/www/tiles" && chmod -R a+rX "$sockdir/www/tiles" &&
			printf 'server {\n    listen 127.0.0.1:%s;\n    root %s;\n    access_log off;\n    add_header Cache-Control "max-age=60" always;\n}\n' \
				"$tiles_port" "$sockdir/www/tiles" >>"$dir/nginx/site.conf" || return 1
	fi
	stack_render "$STACK_SRCDIR/nginx/nginx.conf.in" "$dir/nginx/nginx.conf" PREFIX="$dir/nginx" \
		TEMP="$sockdir/nginx-tmp" || return 1
	nginx -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -t 2>>"$dir/nginx/error.log" || {
		stack_failed "nginx (its config test)" "$dir/nginx/error.log"; return 1; }
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' </dev/null >/dev/null 2>>"$dir/nginx/error.log" &
	echo $! >"$dir/nginx.pid"
	stack_wait_http "http://127.0.0.1:$http_port/healthz" 10 || {
		stack_failed nginx "$dir/nginx/error.log"; return 1; }
}

# stack_stop_pid FILE [SIGNAL]: stops the process named in FILE and waits for it (30 s at most).
stack_stop_pid() {
	local file=$1 signal=${2:-TERM} pid
	[ -f "$file" ] || return 0
	pid=$(cat "$file")
	if kill -0 "$pid" 2>/dev/null; then
		kill "-$signal" "$pid" 2>/dev/null
		local deadline=$((SECONDS + 30))
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$file"
}

# stack_stop DIR: stops what stack_start started (nginx first: no new requests, then every
# complaintd host, at once: each drains).
stack_stop() {
	local dir=$1 k pids=()
	stack_stop_pid "$dir/nginx.pid" QUIT
	for ((k = 1; k <= $(stack_hosts "$dir"); k++)); do
		stack_host_stop "$dir" "$k" TERM & pids+=($!)
	done
	wait "${pids[@]}"
}

# stack_status DIR: one line per process of the stack.
stack_status() {
	local dir=$1 name k
	stack_status_line complaintd "$dir/complaintd.pid"
	for ((k = 2; k <= $(stack_hosts "$dir"); k++)); do
		stack_status_line "complaintd host $k" "$dir/host-$k/complaintd.pid"
	done
	for name in nginx mariadb/primary mariadb/standby $(s3_names "$dir" | sed 's#^#s3/#') mail; do
		stack_status_line "$name" "$dir/$name.pid"
	done
}
stack_status_line() {
	if [ -f "$2" ] && kill -0 "$(cat "$2")" 2>/dev/null; then
		printf '%-18s running (pid %s)\n' "$1:" "$(cat "$2")"
	else
		printf '%-18s stopped\n' "$1:"
	fi
}

# stack_stage_leaflet DIR: the map library of the site's pages (npm's leaflet, installed into
# var/node by packaging/dev install) copied into DIR with its licence, for nginx to serve.
stack_stage_leaflet() {
	local from=${NODE_PREFIX:-$STACK_SRCDIR/var/node}/node_modules/leaflet
	[ -f "$from/dist/leaflet.js" ] || { stack_log "no leaflet at $from (packaging/dev install)"; return 1; }
	mkdir -p "$1" && cp -R "$from/dist/leaflet.js" "$from/dist/leaflet.css" "$from/dist/images" "$from/LICENSE" "$1/"
}

# ---- ports and secrets of a stack ----
# Port offsets within a base (a base holds 20 ports):
#   +0 nginx   +1 MariaDB primary   +2 MariaDB standby   +3..+5 S3 replicas us, jp, de
#   +6..+8 S3 replicas added later (s3_add_replica)
#   +9 mail sink SMTP   +10 mail sink web/REST   +11 SNS double   +13 map tiles (nginx)
#   +12 spare   +14..+19 complaintd hosts 2..7 when host 1 listens on TCP (stack_host_listen)
stack_port() {
	local base=$1 name=$2
	case $name in
	http) echo $((base + 0)) ;;
	primary) echo $((base + 1)) ;;
	standby) echo $((base + 2)) ;;
	s3-us) echo $((base + 3)) ;;
	s3-jp) echo $((base + 4)) ;;
	s3-de) echo $((base + 5)) ;;
	smtp) echo $((base + 9)) ;;
	tiles) echo $((base + 13)) ;;
	mail-web) echo $((base + 10)) ;;
	sns) echo $((base + 11)) ;;
	*) stack_log "stack_port: unknown name $name"; return 1 ;;
	esac
}

# The stack's secrets: "NAME=VALUE" lines in $dir/secrets, mode 0600, never in a config file.
stack_secret_set() {
	local dir=$1 name=$2 value=$3 file="$1/secrets"
	# Every file of the rewrite is born 0600: no moment in which others could read it.
	(
		umask 077
		touch "$file"
		{ grep -v "^$name=" "$file" || true; echo "$name=$value"; } >"$file.new"
		mv "$file.new" "$file"
	)
}
stack_secret_get() { sed -n "s/^$2=//p" "$1/secrets" 2>/dev/null | head -n 1; }
# A fresh random secret (hex, 32 bytes of entropy).
stack_random_secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# ---- the whole stack ----
# shellcheck source=packaging/stack-mariadb.sh
source "$STACK_SRCDIR/packaging/stack-mariadb.sh"
# shellcheck source=packaging/stack-s3.sh
source "$STACK_SRCDIR/packaging/stack-s3.sh"

# stack_up DIR BASE BINARY [HTTP_PORT] [KEY=VALUE...]: MariaDB primary + standby, three S3
# replicas, the mail sink, then complaintd (configured for all of them; STACK_HOSTS hosts of it,
# default 1) and nginx.
stack_up() {
	local dir=$1 base=$2 binary=$3 http_port=${4:-$2}; shift 4 || shift $#
	mkdir -p "$dir"
	stack_socket_dir "$base" || return 1
	# A second `up` keeps running servers and their data (S3 and mail starts are idempotent).
	if ! { [ -f "$dir/mariadb/primary.pid" ] && kill -0 "$(cat "$dir/mariadb/primary.pid")" 2>/dev/null; }; then
		MARIADB_VARDIR=${TEST_VAR:-$STACK_SRCDIR/var} mariadb_start_pair "$dir" "$base" || return 1
	fi
	s3_start "$dir" "$base" || return 1
	mail_start "$dir" "$base" || return 1
	# The key of the CSRF tokens of forms shown before sign-in (token_csrf_visitor_secret).
	[ -n "$(stack_secret_get "$dir" csrf_key)" ] || stack_secret_set "$dir" csrf_key "$(stack_random_secret)"
	# The key of status mails' one-click unsubscribe links (core/optout.h).
	[ -n "$(stack_secret_get "$dir" unsubscribe_key)" ] || stack_secret_set "$dir" unsubscribe_key "$(stack_random_secret)"
	echo "${STACK_HOSTS:-1}" >"$dir/hosts"
	stack_write_config "$dir" "$base" "$@"
	stack_start "$dir" "$base" "$binary" "$http_port"
}

# stack_down DIR: stops everything stack_up started.
stack_down() {
	local dir=$1 name pids=()
	# Each stop waits for its process to exit (s3rver takes ~2 s): signal them all at once, then
	# wait for these jobs only (a caller may have its own in the background).
	stack_stop "$dir" & pids+=($!)
	mail_stop "$dir" & pids+=($!)
	for name in $(s3_names "$dir"); do s3_stop_replica "$dir" "$name" & pids+=($!); done
	mariadb_stop_all "$dir" & pids+=($!)
	wait "${pids[@]}"
}
