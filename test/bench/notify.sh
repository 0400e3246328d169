#!/usr/bin/env bash
# test/bench/notify.sh: the outbox's two figures (doc/performance.md, "The outbox").
#
# Starts a full stack (MariaDB primary + standby with semi-sync, S3 replicas, maildev, nginx,
# complaintd built with -O2, 2 workers), the staff of test/bench/staff.sh, then:
#   1. What an outbox row adds to a status change: N reassignments of one complaint between two
#      agents (the admin's POST /complaints/{id}/status, one client, sequential, timed by curl),
#      alternately in blocks of 20 with the agents' "assigned" mails on (each change writes its
#      outbox row) and switched off (notification_optouts: the same change runs the same INSERT ...
#      SELECT, which finds the opt-out and writes no row). The notifier is idle meanwhile ([smtp]
#      replicas emptied by a reload), so it competes with neither. p50 and p90 of each, and the
#      p50 with the row as a share of the p50 without it.
#   2. Mails per second of one notifier: M messages queued at once (as the outbox holds them),
#      [smtp] put back by a reload, and the time between the first and the last sent_at of them
#      (and the wall time from the reload until none is left), every mail counted in maildev.
# Prints Markdown. Bounded: 2N requests and M mails (defaults 400 and 2,000).
#   usage: test/bench/notify.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY [N] [M]
set -euo pipefail
usage="usage: notify.sh COMPLAINTD_BINARY COMPLAINTCTL_BINARY [N] [M]"
binary=${1:?$usage}
complaintctl=${2:?$usage}
changes=${3:-400}
messages=${4:-2000}
block=20
top=$(cd "$(dirname "$0")/../.." && pwd)
stackctl="$top/packaging/stackctl"
dir="$top/var/stacks/bench-notify-$$"
out="$top/var/bench"
mkdir -p "$out" "$top/var/stacks"
trap '"$stackctl" down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
base=$(COMPLAINTD_BINARY=$binary "$stackctl" up "$dir" log_level=warn 2>"$out/notify-up.log")
"$complaintctl" -c "$dir/complaintd.conf" migrate --migrations "$top/db/migrations" >/dev/null
url="http://127.0.0.1:$base"
mail_web="http://127.0.0.1:$((base + 10))"
# shellcheck source=test/bench/staff.sh
source "$top/test/bench/staff.sh"
staff_seed "$stackctl" "$complaintctl" "$dir" "$url" "$out" 1
sql() { "$stackctl" sql "$dir" primary root "USE complaints; $1"; }
conf="$dir/complaintd.conf"
cp "$conf" "$out/notify-with-smtp.conf"

# reload CONFIG: installs CONFIG and reloads, until every worker answers the new generation.
reload() {
	local before; before=$(curl -s "$url/healthz" | sed -n 's/.*"config_generation": *\([0-9]*\).*/\1/p')
	cp "$1" "$conf"
	kill -HUP "$(cat "$dir/complaintd.pid")"
	for _ in $(seq 300); do
		[ "$(curl -s "$url/healthz" | sed -n 's/.*"config_generation": *\([0-9]*\).*/\1/p')" -gt "$before" ] &&
			sleep 1 && return 0
		sleep 0.1
	done
	echo "notify.sh: the reload did not take" >&2
	return 1
}

# ---- 1. a status change with and without its outbox row ----
sed 's/^replicas = sink=smtp:.*/replicas =/' "$out/notify-with-smtp.conf" >"$out/notify-no-smtp.conf"
reload "$out/notify-no-smtp.conf"
complaint=$staff_complaint
agents=("${staff_agents%% *}" "${staff_agents##* }")
read -r version agent < <(sql "SELECT version, assigned_agent_id FROM complaints WHERE id = $complaint")
# reassign: one change to the other agent, timed ("STATUS SECONDS"); then the next version and
# agent (in this shell: the timing runs in a command substitution).
reassign() {
	local next=${agents[0]}
	[ "$agent" = "$next" ] && next=${agents[1]}
	answer=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Cookie: $staff_cookie_admin" -H "Origin: $url" \
		--data-urlencode "csrf=$staff_status_csrf" --data "version=$version&action=reassign&agent=$next" \
		"$url/complaints/$complaint/status")
	version=$((version + 1)) agent=$next
}
switch() {
	if [ "$1" = off ]; then
		sql "INSERT IGNORE INTO notification_optouts (account_id, kind) VALUES (${agents[0]}, 'assigned'), (${agents[1]}, 'assigned')"
	else
		sql "DELETE FROM notification_optouts WHERE kind = 'assigned' AND account_id IN (${agents[0]}, ${agents[1]})"
	fi
}
rows() { sql "SELECT COUNT(*) FROM notifications WHERE complaint_id = $complaint"; }
: >"$out/notify-row.times"
: >"$out/notify-norow.times"
declare -A written=([row]=0 [norow]=0)
for ((done_changes = 0; done_changes < changes; done_changes += block)); do
	for mode in row norow; do
		switch "$([ "$mode" = row ] && echo on || echo off)"
		before=$(rows)
		for ((i = 0; i < block; i++)); do
			reassign
			[ "${answer% *}" = 303 ] || { echo "notify.sh: a reassignment answered $answer" >&2; exit 1; }
			echo "${answer#* }" >>"$out/notify-$mode.times"
		done
		written[$mode]=$((written[$mode] + $(rows) - before))
	done
done
percentile() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i = int(NR*p/100 + 0.5); if (i < 1) i = 1; printf "%.2f", a[i]*1000}'; }
p50_row=$(percentile "$out/notify-row.times" 50) p90_row=$(percentile "$out/notify-row.times" 90)
p50_norow=$(percentile "$out/notify-norow.times" 50) p90_norow=$(percentile "$out/notify-norow.times" 90)
echo "| a reassignment (admin's POST, through nginx) | changes | outbox rows written | p50 ms | p90 ms |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| with its outbox row (\"assigned\" on) | $(grep -c . "$out/notify-row.times") | ${written[row]} | $p50_row | $p90_row |"
echo "| the same change writing none (\"assigned\" switched off) | $(grep -c . "$out/notify-norow.times") | ${written[norow]} | $p50_norow | $p90_norow |"
echo
echo "p50 with the row as a share of the p50 without it: $(awk -v a="$p50_row" -v b="$p50_norow" 'BEGIN {printf "%.1f%%", 100 * a / b}')" \
	"(alternating blocks of $block; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(nproc) cores)"

# ---- 2. mails per second of one notifier ----
curl -s -X DELETE "$mail_web/api/email/all" >/dev/null
first_id=$(sql "SELECT COALESCE(MAX(id), 0) + 1 FROM notifications")
sql "INSERT INTO notifications (channel, kind, recipient, account_id, complaint_id, data)
	SELECT 'email', 'resolved', a.email, a.id, $complaint, JSON_OBJECT('name', a.name, 'category', 'Pothole', 'status', 'resolved')
	FROM accounts a JOIN (SELECT seq FROM seq_1_to_$messages) n WHERE a.email = 'sam@bench.example.org'"
pending=$(sql "SELECT COUNT(*) FROM notifications WHERE status = 'pending'")
started=$(date +%s%N)
reload "$out/notify-with-smtp.conf"
for _ in $(seq 6000); do
	[ "$(sql "SELECT COUNT(*) FROM notifications WHERE status IN ('pending', 'sending')")" = 0 ] && break
	sleep 0.1
done
finished=$(date +%s%N)
read -r sent span_us < <(sql "SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(sent_at), MAX(sent_at)) FROM notifications
	WHERE id >= $first_id AND status = 'sent'")
sleep 1
received=$(curl -s "$mail_web/api/email" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
echo
echo "| one notifier to maildev | messages | sent | in maildev | first to last sent_at, s | mails/s | reload to none left, s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -v m="$messages" -v s="$sent" -v r="$received" -v span="$span_us" -v wall=$(((finished - started) / 1000000)) \
	'BEGIN {printf "| [notify] batch 20, interval 200ms | %d | %d | %d | %.1f | %.0f | %.1f |\n", m, s, r, span / 1e6,
		(s - 1) / (span / 1e6), wall / 1000}'
echo
echo "($pending pending when the notifier came back, the rows of part 1 included; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg) at the end; $(nproc) cores)"
