# packaging/stack-s3.sh: a stack's three S3 replicas and its mail sink (sourced after stack.sh).
#
# S3: three replicas named us, jp and de, each one node process (packaging/s3/server.js: s3rver
# behind a real SigV4 check) on stack_port BASE s3-<name>, bound to 127.0.0.1, data under
# DIR/s3/<name>/, bucket "complaints", log DIR/s3/<name>.log, pid DIR/s3/<name>.pid. One access
# key id + secret per stack, random, kept in the stack's secrets file (s3_access_key,
# s3_secret_key) and handed to the replicas through their environment, never argv.
# Mail: one maildev, SMTP on stack_port BASE smtp and web/REST on stack_port BASE mail-web, both
# bound to 127.0.0.1, mails under DIR/mail/, log DIR/mail.log, pid DIR/mail.pid.
# Node is `node` from PATH; the npm packages live under ${NODE_PREFIX:-$STACK_SRCDIR/var/node}.

S3_REPLICAS=(us jp de)
S3_BUCKET=complaints

s3_node_prefix() { echo "${NODE_PREFIX:-$STACK_SRCDIR/var/node}"; }

# s3_need_node PACKAGE...: fails, saying what to do, when node or a package is missing.
s3_need_node() {
	command -v node >/dev/null || { stack_log "node is not installed (see packaging/packages.txt)"; return 1; }
	local prefix package; prefix=$(s3_node_prefix)
	for package in "$@"; do
		[ -f "$prefix/node_modules/$package/package.json" ] || {
			stack_log "npm package $package is missing under $prefix: run packaging/dev install (npm ci from packaging/package-lock.json)"
			return 1
		}
	done
}

# s3_wait_port PORT PIDFILE SECONDS: waits until PORT answers HTTP while the pid lives. The Node servers
# (s3rver, maildev) answer in 1-2 s alone; their callers wait up to 60 s, for a machine loaded by
# builds and other stacks (the wait ends as soon as the server answers).
s3_wait_port() {
	local port=$1 pidfile=$2 deadline=$((SECONDS + ${3:-10})) code
	while :; do
		kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || return 1
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null)
		[ "$code" != 000 ] && return 0
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# s3_launch DIR NAME: starts one replica unless it runs, without waiting (port in DIR/s3/NAME.port).
s3_launch() {
	local dir=$1 name=$2 port key secret
	port=$(cat "$dir/s3/$name.port") || return 1
	key=$(stack_secret_get "$dir" s3_access_key)
	secret=$(stack_secret_get "$dir" s3_secret_key)
	if [ -z "$key" ] || [ -z "$secret" ]; then stack_log "s3: no credentials in $dir/secrets"; return 1; fi
	# Already running (dev up twice): keep it; a second one would only fail to bind.
	if [ -f "$dir/s3/$name.pid" ] && kill -0 "$(cat "$dir/s3/$name.pid")" 2>/dev/null; then return 0; fi
	mkdir -p "$dir/s3/$name"
	S3_ACCESS_KEY_ID=$key S3_SECRET_ACCESS_KEY=$secret NODE_PATH="$(s3_node_prefix)/node_modules" \
		node "$STACK_SRCDIR/packaging/s3/server.js" --port "$port" --address 127.0.0.1 \
		--directory "$dir/s3/$name" --bucket "$S3_BUCKET" </dev/null >>"$dir/s3/$name.log" 2>&1 &
	echo $! >"$dir/s3/$name.pid"
}

# s3_start DIR BASE: starts the three replicas and waits until each answers.
s3_start() {
	local dir=$1 base=$2 name
	s3_need_node s3rver @smithy/signature-v4 @smithy/hash-node || return 1
	mkdir -p "$dir/s3"
	# A stack keeps its credentials across restarts (its data and the app's view of it do too).
	if [ -z "$(stack_secret_get "$dir" s3_access_key)" ] || [ -z "$(stack_secret_get "$dir" s3_secret_key)" ]; then
		stack_secret_set "$dir" s3_access_key "AKIA$(head -c 10 /dev/urandom | base32 | head -c 16)"
		stack_secret_set "$dir" s3_secret_key "$(stack_random_secret)"
	fi
	for name in "${S3_REPLICAS[@]}"; do
		stack_port "$base" "s3-$name" >"$dir/s3/$name.port" || return 1
		s3_launch "$dir" "$name" || return 1
	done
	for name in "${S3_REPLICAS[@]}"; do
		s3_wait_port "$(cat "$dir/s3/$name.port")" "$dir/s3/$name.pid" 60 || {
			stack_failed "s3 replica $name" "$dir/s3/$name.log"
			return 1
		}
	done
}

# s3_add_replica DIR BASE NAME: starts one more, empty replica beyond us, jp and de (to add it to
# the config's set), on the first of the base's ports +6..+8 no replica has; down stops it too.
s3_add_replica() {
	local dir=$1 base=$2 name=$3 port
	[ -f "$dir/s3/$name.port" ] && { s3_start_replica "$dir" "$name"; return; }
	for port in $((base + 6)) $((base + 7)) $((base + 8)); do
		grep -qx "$port" "$dir"/s3/*.port 2>/dev/null && continue
		echo "$port" >"$dir/s3/$name.port"
		s3_start_replica "$dir" "$name"
		return
	done
	stack_log "s3: no port left for replica $name (+6..+8 are taken)"
	return 1
}

# s3_start_replica DIR NAME: restarts one replica stopped by s3_stop_replica (same port, same data).
s3_start_replica() {
	local dir=$1 name=$2
	[ -f "$dir/s3/$name.port" ] || { stack_log "s3: no replica $name in $dir (run s3_start first)"; return 1; }
	s3_launch "$dir" "$name" || return 1
	s3_wait_port "$(cat "$dir/s3/$name.port")" "$dir/s3/$name.pid" 60 || {
		stack_failed "s3 replica $name" "$dir/s3/$name.log"
		return 1
	}
}

# s3_stop_replica DIR NAME: stops one replica; its port refuses connections once this returns.
s3_stop_replica() { stack_stop_pid "$1/s3/$2.pid" TERM; }

# s3_names DIR: every replica the stack started (us, jp, de and any added), one a line.
s3_names() {
	local file
	for file in "$1"/s3/*.port; do [ -f "$file" ] && basename "$file" .port; done
}

# s3_stop DIR: stops every replica.
s3_stop() {
	local dir=$1 name
	for name in $(s3_names "$dir"); do s3_stop_replica "$dir" "$name"; done
}

# s3_url DIR BASE NAME: the path-style URL of replica NAME's bucket.
s3_url() {
	local port
	port=$(cat "$1/s3/$3.port" 2>/dev/null || stack_port "$2" "s3-$3") || return 1
	echo "http://127.0.0.1:$port/$S3_BUCKET"
}

# s3_shell_hint DIR BASE: how a developer lists and reads objects by hand.
s3_shell_hint() {
	local dir=$1 base=$2 name
	cat <<EOF
S3 replicas (bucket $S3_BUCKET; credentials in $dir/secrets: s3_access_key, s3_secret_key):
EOF
	for name in "${S3_REPLICAS[@]}"; do echo "  $name: $(s3_url "$dir" "$base" "$name")"; done
	cat <<EOF
  s3get() { curl -sS --aws-sigv4 aws:amz:us-east-1:s3 -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \\
      --user "\$(sed -n 's/^s3_access_key=//p' $dir/secrets):\$(sed -n 's/^s3_secret_key=//p' $dir/secrets)" "\$@"; }
  s3get '$(s3_url "$dir" "$base" us)?list-type=2'          # list (query keys sorted, values encoded)
  s3get '$(s3_url "$dir" "$base" us)/KEY' -o object         # read one object
EOF
}

# ---- mail sink ----

# mail_start DIR BASE: starts maildev and waits for its health check.
mail_start() {
	local dir=$1 base=$2 smtp web prefix
	s3_need_node maildev || return 1
	prefix=$(s3_node_prefix)
	smtp=$(stack_port "$base" smtp) && web=$(stack_port "$base" mail-web) || return 1
	mkdir -p "$dir/mail"
	if [ -f "$dir/mail.pid" ] && kill -0 "$(cat "$dir/mail.pid")" 2>/dev/null; then return 0; fi
	# maildev reads .maildevrc.json / maildev.config.* from its cwd and every parent, and MAILDEV_*
	# variables: an explicit empty config file and a cleaned environment make it take only our flags.
	echo '{}' >"$dir/maildev-config.json"
	local -a unset_env=()
	local var
	for var in $(compgen -e); do [[ $var == MAILDEV_* ]] && unset_env+=(-u "$var"); done
	(cd "$dir" && exec env "${unset_env[@]}" node "$prefix/node_modules/maildev/dist/bin/maildev.js" \
		--config "$dir/maildev-config.json" --ip 127.0.0.1 --smtp "$smtp" --web-ip 127.0.0.1 --web "$web" \
		--mail-directory "$dir/mail") </dev/null >>"$dir/mail.log" 2>&1 &
	echo $! >"$dir/mail.pid"
	local deadline=$((SECONDS + 60))
	until curl -fs -o /dev/null "http://127.0.0.1:$web/api/healthz"; do
		if ! kill -0 "$(cat "$dir/mail.pid")" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			stack_failed "the mail sink (maildev)" "$dir/mail.log"
			return 1
		fi
		sleep 0.05
	done
}

# mail_stop DIR: stops maildev; SMTP refuses connections once this returns.
mail_stop() { stack_stop_pid "$1/mail.pid" TERM; }

# mail_hint DIR BASE: where a developer reads the stack's mail.
mail_hint() {
	local base=$2 web smtp
	smtp=$(stack_port "$base" smtp) && web=$(stack_port "$base" mail-web) || return 1
	cat <<EOF
Mail sink (maildev; mails kept in $1/mail):
  web UI:  http://127.0.0.1:$web/
  REST:    curl -s http://127.0.0.1:$web/api/email            # all mails, JSON
           curl -s http://127.0.0.1:$web/api/email/ID/source  # one raw message
           curl -s -X DELETE http://127.0.0.1:$web/api/email/all
  SMTP:    127.0.0.1:$smtp (no auth, no TLS)
EOF
}
