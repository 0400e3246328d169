# shellcheck shell=bash
# test/bench/baselines.sh: sourced by the benchmarks that give a page as a share of the stack's own
# limit (pages.sh, queue.sh): the two baselines of test/bench/hello_fcgi.c behind the stack's nginx,
# a server block of its own each, on two of the stack's spare ports (+18, +19; +20 is the next
# stack's base): a bare libfcgi hello world, and hello + one prepared primary-key SELECT on the
# stack's primary per request (prepared once per worker).

baseline_pids=()

# baselines_up DIR BASE HELLO_BINARY WORKERS LOG: starts both with WORKERS workers each (their
# output into LOG), reloads nginx and waits until both answer (up to 30 s on a busy machine). Sets
# baseline_hello_url and baseline_pk_url; non-zero, saying why on stderr, when they do not answer.
baselines_up() {
	local dir=$1 base=$2 hello=$3 workers=$4 log=$5
	# baseline_on PORT NAME [DATABASE-ARGS...]: one hello_fcgi on a socket of its own and its server block.
	baseline_on() {
		local port=$1 name=$2 socket; shift 2
		socket="/tmp/complaintd-$base/hello-$name.sock"
		HELLO_DB_PASSWORD=$(sed -n 's/^db_app_password=//p' "$dir/secrets") \
			"$hello" "$socket" "$workers" "$@" </dev/null >>"$log" 2>&1 &
		baseline_pids+=($!)
		printf 'server {\n    listen 127.0.0.1:%s;\n    location / {\n        include /etc/nginx/fastcgi_params;\n        fastcgi_pass unix:%s;\n    }\n}\n' \
			"$port" "$socket" >>"$dir/nginx/site.conf"
	}
	baseline_on $((base + 18)) hello
	baseline_on $((base + 19)) hello-pk 127.0.0.1 "$((base + 1))" complaints_app complaints
	baseline_hello_url="http://127.0.0.1:$((base + 18))/"
	baseline_pk_url="http://127.0.0.1:$((base + 19))/"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s reload
	# hello + PK answers with account 1's name: the SELECT ran.
	baselines_answer() {
		[ "$(curl -s "$baseline_hello_url")" = "hello " ] && curl -s "$baseline_pk_url" | grep -q '^hello [^ ]'
	}
	local _
	for _ in $(seq 300); do baselines_answer && return 0; sleep 0.1; done
	echo "baselines: they do not answer (hello, and hello + SELECT with account 1's name)" >&2
	return 1
}

# baselines_down: stops what baselines_up started.
baselines_down() {
	local pid
	for pid in "${baseline_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	baseline_pids=()
}
