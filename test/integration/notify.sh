#!/usr/bin/env bash
# notify.sh: the outbox and the notifier on a full stack of its own, read through maildev's REST
# API: a complaint's workflow mails reach their people exactly once each with links that open
# the complaint; with the mail sink down for 30 s during 200 status changes every mail arrives
# afterwards, any repeat with the same Message-ID, nothing left pending; a notifier SIGKILLed in
# the middle of its work loses nothing; two notifiers (two masters) over 1,000 messages send each
# once; a name with a line break never adds a header (the message fails, its error kept, and the
# admins' "send again" sends it once the name is mended), a non-ASCII name is RFC 2047-encoded; and the config refuses par for smtp, AUTH without TLS and
# clear text to a relay off the loopback, naming file, line and key.
# shellcheck disable=SC2016
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 17
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
scratch=$(mktemp -d)
second_pid=
notify_cleanup() {
	[ -n "$second_pid" ] && kill "$second_pid" 2>/dev/null && wait "$second_pid" 2>/dev/null
	rm -rf "$scratch"
	test_stack_cleanup
}
trap notify_cleanup EXIT
test_full_stack_up notify notify.lease=5s notify.backoff_base=500ms notify.backoff_max=3s notify.batch=20 \
	notify.max_attempts=1000
test_migrate
mail_web="http://127.0.0.1:$(stack_port "$stack_base" mail-web)"

# ---- the people ----
staff admin "admin.$$@example.org" "Ada Admin"
staff agent "amy.$$@example.org" "Amy Agent"
staff agent "abel.$$@example.org" "Abel Agent"
signin admin "admin.$$@example.org"
signin amy "amy.$$@example.org"
signup ann "Ann Resident" "ann.$$@example.org"
amy_id=$(id_of "amy.$$@example.org")
abel_id=$(id_of "abel.$$@example.org")


# ---- maildev ----
# mails FIELDS: one line per mail in maildev: "to|subject|message-id|first link" (python3 reads the JSON).
mails() {
	curl -s "$mail_web/api/email" | python3 -c '
import json, re, sys
for m in json.load(sys.stdin):
    to = ",".join(t["address"] for t in m.get("to", []))
    names = ",".join(t.get("name", "") for t in m.get("to", []))
    link = re.search(r"https?://[^\s<>\"]+/complaints/[0-9]+", m.get("text") or "")
    print("|".join([to, names, m.get("subject", ""), m.get("headers", {}).get("message-id", ""), link.group(0) if link else "", str(len(m.get("headers", {})))]))
'
}
outbox() { sql "SELECT COUNT(*) FROM notifications WHERE status IN ($1)"; }
settled() { [ "$(outbox "'pending', 'sending'")" = 0 ]; }
count_is() { [ "$(mail_count)" = "$1" ]; }

# ---- 1. the workflow's mails, each once, with working links ----
mail_clear
file_complaint ann; c1=$filed
change --or-bail admin "$c1" assign "agent=$amy_id"
change --or-bail amy "$c1" accept
change --or-bail amy "$c1" resolve "reason=Pipe replaced"
change --or-bail ann "$c1" reopen "reason=Still leaking at the corner"
change --or-bail amy "$c1" accept
change --or-bail amy "$c1" resolve "reason=Second repair done"
change --or-bail ann "$c1" confirm "rating=5" "comment=Thanks"
wait_until 30000 settled
wait_until 10000 count_is 7
mails >"$scratch/workflow.mails"
diag "$(cut -d'|' -f1,3 "$scratch/workflow.mails")"
expected="amy.$$@example.org|Complaint #$c1 (Water leak): assigned to you
amy.$$@example.org|Complaint #$c1 (Water leak): reopened by its reporter
ann.$$@example.org|Complaint #$c1 (Water leak): closed
ann.$$@example.org|Complaint #$c1 (Water leak): received
ann.$$@example.org|Complaint #$c1 (Water leak): reopened
ann.$$@example.org|Complaint #$c1 (Water leak): resolved
ann.$$@example.org|Complaint #$c1 (Water leak): resolved"
check "filed, assigned, resolved, reopened (reporter and agent), resolved, closed: 7 mails to the right people" \
	[ "$(cut -d'|' -f1,3 "$scratch/workflow.mails" | sort)" = "$expected" ]
check "each of them once: 7 distinct Message-IDs" [ "$(cut -d'|' -f4 "$scratch/workflow.mails" | sort -u | grep -c .)" = 7 ]
link=$(cut -d'|' -f5 "$scratch/workflow.mails" | sort -u)
fetch ann GET "${link#"$url"}"
check "every mail links to the complaint ($link), and the link opens its page for the reporter ($status)" \
	bash -c '[ "$1" = "$2/complaints/$3" ] && [ "$4" = 200 ]' _ "$link" "$url" "$c1" "$status"
check "the outbox holds the 7 as sent, none pending or failed" \
	[ "$(sql "SELECT CONCAT(SUM(status = 'sent'), '/', COUNT(*)) FROM notifications WHERE complaint_id = $c1")" = 7/7 ]

# ---- 2. the mail sink down for 30 s during 200 status changes ----
mail_clear
file_complaint ann; c2=$filed
change --or-bail admin "$c2" assign "agent=$amy_id"
wait_until 30000 settled
mail_clear
"$top/packaging/stackctl" stop-mail "$stack_dir"
down_at=$SECONDS
for i in $(seq 1 100); do
	change --or-bail admin "$c2" reassign "agent=$abel_id"
	change --or-bail admin "$c2" reassign "agent=$amy_id"
done
while [ $((SECONDS - down_at)) -lt 30 ]; do sleep 1; done
pending=$(outbox "'pending', 'sending'")
retried=$(sql "SELECT COUNT(*) FROM notifications WHERE complaint_id = $c2 AND attempts > 0 AND status <> 'sent'")
check "while the sink is down nothing is sent and nothing is dropped: $pending pending, $retried already retried" \
	bash -c '[ "$1" -ge 200 ] && [ "$2" -gt 0 ]' _ "$pending" "$retried"
"$top/packaging/stackctl" start-mail "$stack_dir"
wait_until 120000 settled
wait_until 30000 count_is 200
mails >"$scratch/down.mails"
check "after the sink is back every one of the 200 mails arrived ($(grep -c . "$scratch/down.mails"))" \
	[ "$(cut -d'|' -f4 "$scratch/down.mails" | sort -u | grep -c .)" = 200 ]
check "no pending or failed rows are left" [ "$(outbox "'pending', 'sending', 'failed'")" = 0 ]

# ---- 3. a notifier SIGKILLed in the middle of its work ----
# 300 messages queued at once (as the app writes them), then the notifier killed mid-way: the
# master starts another, which sends the rest and, once their lease passes, what the dead one held.
mail_clear
master_pid=$(cat "$stack_dir/complaintd.pid")
notifier_pid() { for pid in $(pgrep -P "$master_pid"); do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = notifier ] && echo "$pid"; done; }
queue() {
	sql "INSERT INTO notifications (channel, kind, recipient, account_id, complaint_id, data)
		SELECT 'email', 'resolved', a.email, a.id, $c1, JSON_OBJECT('name', a.name, 'category', 'Water leak', 'status', 'resolved')
		FROM accounts a JOIN (SELECT seq FROM seq_1_to_$1) n WHERE a.email = 'ann.$$@example.org'"
}
before=$(sql "SELECT COALESCE(MAX(id), 0) FROM notifications")
queue 300
some_sent() { [ "$(sql "SELECT COUNT(*) FROM notifications WHERE status = 'sent' AND id > $before")" -ge 1 ]; }
wait_until 30000 some_sent
victim=$(notifier_pid)
kill -KILL "$victim"
held=$(outbox "'sending'")
wait_until 10000 bash -c '[ -n "$1" ]' _ "$(notifier_pid)"
wait_until 120000 settled
wait_until 30000 count_is 300 || true
distinct=$(mails | cut -d'|' -f4 | sort -u | grep -c .)
total=$(mail_count)
check "SIGKILL mid-batch (pid $victim, $held held): all 300 arrive ($distinct distinct), repeats only of what it held ($total mails)" \
	bash -c '[ "$1" = 300 ] && [ "$2" -le $((300 + $3)) ]' _ "$distinct" "$total" "$held"
check "the master started a new notifier" bash -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$(notifier_pid)" "$victim"

# ---- 4. two notifiers over 1,000 messages ----
mail_clear
sed "s|^listen = .*|listen = /tmp/complaintd-$stack_base/second.sock|" "$stack_dir/complaintd.conf" >"$scratch/second.conf"
"$binary" -c "$scratch/second.conf" </dev/null >>"$scratch/second.log" 2>&1 &
second_pid=$!
wait_until 10000 bash -c 'for p in $(pgrep -P "$1"); do [ "$(cat /proc/$p/comm)" = notifier ] && exit 0; done; exit 1' _ "$second_pid"
queue 1000
wait_until 180000 settled
wait_until 30000 count_is 1000 || true
by_second=$(grep -c "notifier: message .* sent" "$scratch/second.log")
total=$(mail_count)
distinct=$(mails | cut -d'|' -f4 | sort -u | grep -c .)
check "two notifiers over 1,000 messages: maildev got exactly 1,000 ($total, $distinct Message-IDs), the second sent $by_second" \
	bash -c '[ "$1" = 1000 ] && [ "$2" = 1000 ] && [ "$3" -gt 0 ] && [ "$3" -lt 1000 ]' _ "$total" "$distinct" "$by_second"
kill "$second_pid"; wait "$second_pid" 2>/dev/null; second_pid=

# ---- 5. names never add a header ----
mail_clear
sql "UPDATE accounts SET name = CONCAT('Ann', CHAR(13), CHAR(10), 'Bcc: evil@example.org') WHERE email = 'ann.$$@example.org'"
file_complaint ann; c3=$filed
wait_until 30000 settled
check "a name holding CR LF: the mail is not sent, the row failed with its reason" \
	bash -c '[ "$1" = 0 ] && grep -q "line break" <<<"$2"' _ "$(mail_count)" \
	"$(sql "SELECT CONCAT(status, ': ', last_error) FROM notifications WHERE complaint_id = $c3")"
failed_id=$(sql "SELECT id FROM notifications WHERE complaint_id = $c3")
# The message carries the name it was queued with: the operator mends that copy, then sends again.
sql "UPDATE accounts SET name = 'Ann Resident' WHERE email = 'ann.$$@example.org'"
sql "UPDATE notifications SET data = JSON_SET(data, '$.name', 'Ann Resident') WHERE id = $failed_id"
get admin /admin/notifications
listed=$(visible_text "$body")
post admin "/admin/notifications/$failed_id/retry" "csrf=$(csrf_of "$body" "/admin/notifications/$failed_id/retry")"
retried=$status
wait_until 30000 count_is 1
check "the admins' list shows the failed message with its error, and \"send again\" sends it ($retried)" \
	bash -c 'grep -q "filed to ann.*line break" <<<"$1" && [ "$2" = 303 ] && [ "$3" = "$4" ]' _ \
	"$listed" "$retried" "$(mails | cut -d'|' -f1)" "ann.$$@example.org"
mail_clear
sql "UPDATE accounts SET name = 'Jürgen \"Jo\" Ümlaut' WHERE email = 'ann.$$@example.org'"
file_complaint ann
wait_until 30000 count_is 1
# The raw To: line, as the relay got it (maildev's JSON holds it parsed only).
id=$(curl -s "$mail_web/api/email" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
curl -s "$mail_web/api/email/$id/source" | grep -i '^To:' >"$scratch/to"
check "a non-ASCII name is RFC 2047-encoded and reads back as typed ($(cat "$scratch/to"))" \
	bash -c 'grep -q "=?UTF-8?B?" "$1" && [ "$2" = "Jürgen \"Jo\" Ümlaut" ]' _ "$scratch/to" "$(mails | cut -d'|' -f2)"

# ---- 6. the config refuses what would send twice or in clear text ----
# refused NAME SMTP-LINES...: complaintd -t on a config of [server] and these [smtp] lines.
refused() {
	local name=$1; shift
	{
		echo "[server]"
		echo "listen = /tmp/complaintd-$stack_base/refused.sock"
		echo "templates = $top/templates"
		echo "[smtp]"
		printf '%s\n' "$@"
	} >"$scratch/$name.conf"
	"$binary" -c "$scratch/$name.conf" -t 2>&1
}
out=$(refused par "replicas = a=smtp://127.0.0.1:25, b=smtp://127.0.0.1:26" "tls = none" "send = par(smtp)")
check "par for smtp is refused with file, line, key and reason ($out)" \
	grep -q "par.conf:7: \[smtp\] send: .*not idempotent" <<<"$out"
out=$(refused auth "replicas = a=smtp://127.0.0.1:25" "tls = none" "auth = yes")
check "AUTH without TLS is refused with file, line and key ($out)" grep -q "auth.conf:7: \[smtp\] auth: AUTH needs TLS" <<<"$out"
out=$(refused plain "replicas = a=smtp://192.0.2.1:25" "tls = none")
check "plain SMTP off the loopback is refused with file, line and key ($out)" \
	grep -q "plain.conf:5: \[smtp\] replicas: replica a: plain SMTP" <<<"$out"
out=$(refused starttls "replicas = a=smtp://mail.example.org:587" "auth = yes")
check "TLS with AUTH over a relay off the loopback is accepted (credentials then come from the secrets file) ($out)" \
	grep -q "smtp_user is missing" <<<"$out"
