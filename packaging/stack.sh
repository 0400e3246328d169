# packaging/stack.sh: start, stop and inspect a stack (sourced by packaging/dev and the tests).
#
# A stack is one directory plus one port base; every path, port and socket derives from them:
#   nginx            127.0.0.1:$base (the dev stack: 127.0.0.1:8080)
#   complaintd       unix socket $sockdir/fcgi.sock, sockdir = /tmp/complaintd-$base (a unix
#                    socket path holds at most 107 bytes, so sockets never live under $dir)
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
	"$binary" -c "$dir/complaintd.conf" -t >/dev/null || return 1
	# Background servers get no stdin/stdout of ours: a caller piping our output must see EOF.
	"$binary" -c "$dir/complaintd.conf" </dev/null >>"$dir/complaintd.log" 2>&1 &
	echo $! >"$dir/complaintd.pid"
	stack_wait_listening "$dir/complaintd.conf" 10 || { stack_failed complaintd "$dir/complaintd.log"; return 1; }

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
	local listen fcgi_pass
	listen=$(sed -n 's/^listen *= *//p' "$dir/complaintd.conf")
	case $listen in
	/*) fcgi_pass="unix:$listen" ;;
	*) fcgi_pass=$listen ;;
	esac
	stack_render "$STACK_SRCDIR/nginx/site.conf.in" "$dir/nginx/site.conf" \
		LISTEN="127.0.0.1:$http_port" STATIC_ROOT="$sockdir/www" FCGI_PASS="$fcgi_pass" \
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

# stack_stop DIR: stops what stack_start started (nginx first: no new requests, then complaintd).
stack_stop() {
	local dir=$1
	stack_stop_pid "$dir/nginx.pid" QUIT
	stack_stop_pid "$dir/complaintd.pid" TERM
}

# stack_status DIR: one line per process of the stack.
stack_status() {
	local dir=$1 name file
	for name in nginx complaintd mariadb/primary mariadb/standby s3/us s3/jp s3/de mail; do
		file="$dir/$name.pid"
		if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
			printf '%-18s running (pid %s)\n' "$name:" "$(cat "$file")"
		else
			printf '%-18s stopped\n' "$name:"
		fi
	done
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
#   +9 mail sink SMTP   +10 mail sink web/REST   +11 SNS double   +13 map tiles (nginx)
#   +12, +14..+19 spare
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
# replicas, the mail sink, then complaintd (configured for all of them) and nginx.
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
	for name in "${S3_REPLICAS[@]}"; do s3_stop_replica "$dir" "$name" & pids+=($!); done
	mariadb_stop_all "$dir" & pids+=($!)
	wait "${pids[@]}"
}
