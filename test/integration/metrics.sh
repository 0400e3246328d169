#!/usr/bin/env bash
# metrics.sh: /metrics as a scraper reads it — parsed by the Prometheus client library; a known
# number of requests to a route moves that route's counter by exactly that number, whichever
# worker served them; unknown paths count as "unmatched", never under their own names; a killed
# worker's restart and a reload are counted, the killed worker's requests stay counted; the
# outbox's waiting and failed messages; an address outside [ops] metrics_allow gets the 404 of a
# missing page for /metrics, /metrics/, //metrics and /%6Detrics; and complaintd's TCP listen
# closes a FastCGI connection from a peer outside [server] listen_peers at accept, logged.
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 25
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
# complaintd on TCP (port base + 12) for the listen check; only 127.0.0.1 may scrape or connect,
# so 127.0.0.2 (also the loopback) is a stranger to both.
test_full_stack_up metrics listen=127.0.0.1:@PORT12@ listen_peers=127.0.0.1 ops.metrics_allow=127.0.0.1
test_migrate
master_pid=$(cat "$stack_dir/complaintd.pid")
fcgi_port=$((stack_base + 12))

healthz='complaintd_http_requests_total{method="GET",route="/healthz",status="200"}'
healthz_count='complaintd_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}'
healthz_inf='complaintd_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/healthz",status="200"}'
unmatched='complaintd_http_requests_total{method="GET",route="unmatched",status="404"}'

check "/metrics answers 200 to an address of [ops] metrics_allow" scrape
check "its Content-Type is the text format 0.0.4" holds 'grep -qi "^content-type: text/plain; version=0.0.4" <<<"$headers"'
families="complaintd_http_requests counter|complaintd_http_request_duration_seconds histogram|complaintd_worker_restarts counter|complaintd_reloads counter|complaintd_config_generation gauge|complaintd_listen_peers_refused counter|complaintd_outbox_depth gauge|complaintd_outbox_failed gauge|complaintd_replica_attempts counter|complaintd_replica_outcomes counter|complaintd_replica_latency_seconds histogram"
every_family() {
	local family
	IFS='|' read -ra wanted <<<"$families"
	for family in "${wanted[@]}"; do
		grep -qx "# family $family" "$scratch/samples" || { diag "missing: $family"; return 1; }
	done
}
check "the Prometheus client library parses it, with every family doc/operator.md describes" holds 'scrape && every_family'
[ -s "$scratch/parse.err" ] && diag "$(cat "$scratch/parse.err")"

before=$(sample "$healthz")
for _ in 1 2 3 4 5 6 7; do curl -s -o /dev/null "$url/healthz"; done
scrape
check "7 requests to /healthz move its counter by exactly 7, over both workers ($before -> $(sample "$healthz"))" \
	holds '[ "$(sample "$healthz")" = $((before + 7)) ]'
check "its latency histogram counts them: _count equals the counter and the +Inf bucket" \
	holds '[ "$(sample "$healthz_count")" = "$(sample "$healthz")" ] && [ "$(sample "$healthz_inf")" = "$(sample "$healthz")" ]'

before_unmatched=$(sample "$unmatched")
for n in 1 2 3; do curl -s -o /dev/null "$url/no/such/page-$n-$$"; done
scrape
check "3 requests to unknown paths move route=\"unmatched\" (404) by exactly 3" \
	holds '[ "$(sample "$unmatched")" = $((before_unmatched + 3)) ]'
check "no series is named after a requested path" holds '! grep -q "no/such" "$scratch/metrics.txt"'

# librepl's rows: a photo read 5 times is 5 more successful s3.get attempts on the first replica
# of seq(s3), "us", and 5 more in its latency histogram. The photo-repair child reads a photo to
# copy it to a replica the filing's quorum put left without it: counted only once it is done.
signup reporter reporter "reporter.$$@example.org"
file_complaint reporter
repaired() { [ "$(sql "SELECT COUNT(*) FROM photo_repairs")" = 0 ]; }
wait_until 20000 repaired || diag "photo repairs still queued: $(sql "SELECT COUNT(*) FROM photo_repairs")"
scrape
s3_get='complaintd_replica_outcomes_total{class="success",operation="s3.get",replica="us"}'
s3_get_count='complaintd_replica_latency_seconds_count{operation="s3.get",replica="us"}'
gets=$(sample "$s3_get") timed=$(sample "$s3_get_count")
for _ in 1 2 3 4 5; do get reporter "/complaints/$filed/photo"; done
scrape
check "5 photo reads move s3.get's successes on replica us by exactly 5 ($gets -> $(sample "$s3_get"))" \
	holds '[ "$status" = 200 ] && [ "$(sample "$s3_get")" = $((gets + 5)) ]'
check "and its latency histogram's count by 5" holds '[ "$(sample "$s3_get_count")" = $((timed + 5)) ]'
# Every row's attempts are its outcomes' sum; its histogram counts its successes, its +Inf bucket
# the same; its le edges are librepl's buckets in seconds (2 us, 4 us, ... 2^31 us).
rows_consistent() {
	python3 - "$scratch/metrics.txt" <<'PY'
import sys
from collections import defaultdict
from prometheus_client.parser import text_string_to_metric_families
attempts, outcomes, successes, counts, infs, edges = {}, defaultdict(float), {}, {}, {}, defaultdict(list)
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        key = (s.labels.get("operation"), s.labels.get("replica"))
        if s.name == "complaintd_replica_attempts_total":
            attempts[key] = s.value
        elif s.name == "complaintd_replica_outcomes_total":
            outcomes[key] += s.value
            if s.labels["class"] == "success":
                successes[key] = s.value
        elif s.name == "complaintd_replica_latency_seconds_count":
            counts[key] = s.value
        elif s.name == "complaintd_replica_latency_seconds_bucket":
            if s.labels["le"] == "+Inf":
                infs[key] = s.value
            else:
                edges[key].append(float(s.labels["le"]))
want = [2.0 ** (b + 1) / 1e6 for b in range(31)]
bad = [k for k in attempts if attempts[k] != outcomes[k] or counts.get(k) != successes.get(k)
       or infs.get(k) != counts.get(k) or edges[k] != want]
print(f"{len(attempts)} rows, inconsistent: {bad}")
sys.exit(0 if attempts and not bad else 1)
PY
}
check "every replica row: attempts = the sum of its outcomes, histogram count = successes = +Inf, le = 2^(b+1) us" \
	rows_consistent

# From 127.0.0.2: nginx lets the loopback through, complaintd's list does not.
for path in /metrics /metrics/ //metrics /%6Detrics; do
	client_address=127.0.0.2 get - "$path"
	check "$path from 127.0.0.2 (not in metrics_allow) gets the missing page's 404" \
		holds '[ "$status" = 404 ] && grep -q "There is no page at this address" <<<"$body"'
done
unset client_address

# A worker killed outright: restarted and counted, and its requests are not forgotten. The one
# killed is one that answered /healthz (its answer names its pid), so it had counts to lose.
for _ in 1 2 3 4 5 6; do curl -s "$url/healthz"; echo; done >"$scratch/answers"
worker=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$scratch/answers" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
scrape
restarts=$(sample complaintd_worker_restarts_total{}) served=$(sample "$healthz")
kill -KILL "$worker"
restarted() { scrape && [ "$(sample complaintd_worker_restarts_total{})" = $((restarts + 1)) ]; }
check "a worker killed with SIGKILL is restarted and counted in complaintd_worker_restarts_total" wait_until 10000 restarted
check "the killed worker's requests stay counted (/healthz: $served before, $(sample "$healthz") after)" \
	holds '[ -n "$worker" ] && [ "$(sample "$healthz")" = "$served" ]'

reloads=$(sample complaintd_reloads_total{})
kill -HUP "$master_pid"
reloaded() { scrape && [ "$(sample complaintd_reloads_total{})" = $((reloads + 1)) ]; }
check "a reload is counted in complaintd_reloads_total" wait_until 10000 reloaded
check "complaintd_config_generation is the new generation, 2" holds '[ "$(sample complaintd_config_generation{})" = 2 ]'

# The outbox: 3 messages due tomorrow (no notifier takes them before) and 2 failed ones.
sql "INSERT INTO notifications (channel, kind, recipient, body, data, status, next_attempt_at)
	SELECT 'email', 'resolved', CONCAT('waiting', seq, '@example.org'), '', JSON_OBJECT(), 'pending', UTC_TIMESTAMP(3) + INTERVAL 1 DAY
	FROM seq_1_to_3;
	INSERT INTO notifications (channel, kind, recipient, body, data, status, attempts, last_error)
	SELECT 'email', 'resolved', CONCAT('failed', seq, '@example.org'), '', JSON_OBJECT(), 'failed', 10, 'refused' FROM seq_1_to_2"
waiting=$(sql "SELECT COUNT(*) FROM notifications WHERE status IN ('pending', 'sending')")
failed=$(sql "SELECT COUNT(*) FROM notifications WHERE status = 'failed'")
scrape
check "complaintd_outbox_depth is the waiting messages ($waiting)" \
	holds '[ "$waiting" -ge 3 ] && [ "$(sample complaintd_outbox_depth{})" = "$waiting" ]'
check "complaintd_outbox_failed is the failed messages (2)" \
	holds '[ "$failed" = 2 ] && [ "$(sample complaintd_outbox_failed{})" = 2 ]'

# The TCP listen, without nginx: the same FastCGI request from 127.0.0.1 and from 127.0.0.2.
answer=$(python3 "$top/test/integration/fcgi_get.py" 127.0.0.1 "$fcgi_port" 127.0.0.1 /healthz)
check "a FastCGI request to the TCP listen from 127.0.0.1 (in listen_peers) is answered" \
	holds 'grep -q "\"status\":\"ok\"" <<<"$answer"'
answer=$(python3 "$top/test/integration/fcgi_get.py" 127.0.0.1 "$fcgi_port" 127.0.0.2 /healthz)
check "the same request from 127.0.0.2 is closed at accept, unanswered" holds '[ "$answer" = closed ]'
logged() { grep -q "closed a connection from 127.0.0.2: not an allowed peer" "$stack_dir/complaintd.log"; }
check "the closed connection is logged with its peer's address" wait_until 5000 logged
scrape
check "complaintd_listen_peers_refused_total counts it (1)" \
	holds '[ "$(sample complaintd_listen_peers_refused_total{})" = 1 ]'

# Connections from an allowed peer that close before sending a request (a health probe, a
# cut connection): libfcgi gives up on each, and the worker goes on to the next.
restarts=$(sample complaintd_worker_restarts_total{})
python3 -c 'import socket, sys
for _ in range(5):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
    s.sendall(b"\x01\x01\x00")
    s.close()' "$fcgi_port"
scrape
check "5 connections closed before their request restart no worker, and requests are still answered" \
	holds '[ "$(sample complaintd_worker_restarts_total{})" = "$restarts" ] && [ "$(curl -s -o /dev/null -w "%{http_code}" "$url/healthz")" = 200 ]'
