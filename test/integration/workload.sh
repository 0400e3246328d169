#!/usr/bin/env bash
# workload.sh: the admin's agents page (/admin/agents) as the workload of each agent, over 20,000
# seeded complaints on a full stack of its own (feedback added to the confirmed ones: the seed
# writes none). Every agent's figures — open, overdue, resolved in the last 7 days, the median time
# from filing to resolve over the last 30 days, the average rating and its count — equal those an
# independent count makes here from the raw rows (Python over plain SELECTs); each column sorts
# both ways through the URL, agents without a figure last; an unknown sort is 400. The filing
# form's nearby lookup (store/db_nearby.c, printed by test/nearby-sql) examines at most 500 rows
# (ANALYZE FORMAT=JSON) at the places of seeded complaints, for doc/performance.md.
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
nearby_sql=${NEARBY_SQL_BINARY:-$top/var/build-asan/test/nearby-sql}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
[ -x "$nearby_sql" ] || { echo "Bail out! no nearby-sql at $nearby_sql (packaging/dev build, or set NEARBY_SQL_BINARY)"; exit 1; }
seeded=${WORKLOAD_COMPLAINTS:-20000}
read -r -a columns <<<"open overdue resolved median rating"   # the page's sort keys
plan $((2 + ${#columns[@]} + 2 * ${#columns[@]} + 1 + 6 + 1))

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; test_stack_cleanup' EXIT
test_full_stack_up workload
test_migrate

"$complaintctl" -c "$stack_dir/complaintd.conf" seed --complaints "$seeded" --residents 1000 --agents 12 --days 120 \
	>"$scratch/seed.out" 2>&1 || { echo "Bail out! seed failed: $(tail -n 3 "$scratch/seed.out")"; exit 1; }
diag "$(tail -n 1 "$scratch/seed.out")"
# Ratings on the complaints their residents confirmed fixed, 1 to 5 by the complaint's number.
sql "INSERT IGNORE INTO feedback (complaint_id, author_id, rating) SELECT id, reporter_id, 1 + id % 5 FROM complaints
	WHERE status = 'closed' AND closing_reason = 'fixed'"
sql "ANALYZE TABLE complaints, categories, accounts, status_track, feedback PERSISTENT FOR ALL" >/dev/null
check "the seed filed $seeded complaints, with resolves in the last 7 days and ratings" \
	holds '[ "$(sql "SELECT COUNT(*) FROM complaints")" = "$seeded" ] && [ "$(sql "SELECT COUNT(*) > 0 FROM status_track WHERE action = '"'resolve'"' AND at >= UTC_TIMESTAMP() - INTERVAL 7 DAY")" = 1 ] && [ "$(sql "SELECT COUNT(*) > 0 FROM feedback")" = 1 ]'

staff admin "admin.$$@example.org" "Ada Admin"
signin admin "admin.$$@example.org"
# An agent with nothing done yet: no median, no rating (sorted last either way).
staff agent "idle.$$@example.org" "Ida Idle"

# The page's rows as "id open overdue resolved median rating" lines, in the page's order.
page_rows() {
	python3 -c '
import html, re, sys
text = sys.stdin.read()
for row in re.findall(r"<tr class=\"agent-row[^\"]*\" id=\"agent-(\d+)\">(.*?)</tr>", text, re.S):
    cells = dict(re.findall(r"<td class=\"agent-(\w+)\">(.*?)</td>", row[1], re.S))
    print("|".join([row[0]] + [html.unescape(cells.get(k, "?")).strip() for k in ("open", "overdue", "resolved", "median", "rating")]))
' <<<"$1"
}
# The same figures counted here from the raw rows.
sql "SELECT a.id FROM accounts a WHERE a.role = 'agent'" >"$scratch/agents"
sql "SELECT assigned_agent_id, status, due_at < UTC_TIMESTAMP(3) FROM complaints WHERE assigned_agent_id IS NOT NULL" >"$scratch/complaints"
sql "SELECT t.actor_id, t.at >= UTC_TIMESTAMP(3) - INTERVAL 7 DAY, t.at >= UTC_TIMESTAMP(3) - INTERVAL 30 DAY,
	TIMESTAMPDIFF(SECOND, c.created_at, t.at) FROM status_track t JOIN complaints c ON c.id = t.complaint_id
	WHERE t.action = 'resolve' AND t.actor_id IS NOT NULL" >"$scratch/resolves"
sql "SELECT c.assigned_agent_id, f.rating FROM feedback f JOIN complaints c ON c.id = f.complaint_id
	WHERE c.assigned_agent_id IS NOT NULL" >"$scratch/ratings"
get admin /admin/agents
page=$(page_rows "$body" | sort)
counted=$(python3 - "$scratch" <<'PY' | sort
import collections, statistics, sys
d = sys.argv[1]
def rows(name):
    return [line.rstrip("\n").split("\t") for line in open(d + "/" + name) if line.strip()]
agents = [r[0] for r in rows("agents")]
open_, overdue, resolved, durations, ratings = (collections.Counter(), collections.Counter(), collections.Counter(),
                                               collections.defaultdict(list), collections.defaultdict(list))
for agent, status, late in rows("complaints"):
    if status in ("assigned", "in_progress"):
        open_[agent] += 1
        overdue[agent] += late == "1"
for agent, week, month, seconds in rows("resolves"):
    resolved[agent] += week == "1"
    if month == "1":
        durations[agent].append(int(seconds))
for agent, rating in rows("ratings"):
    ratings[agent].append(int(rating))
def duration(s):
    return "%.1f hours" % (s / 3600) if s < 48 * 3600 else "%.1f days" % (s / 86400)
for a in agents:
    median = duration(statistics.median(durations[a])) if durations[a] else "\u2014"
    rating = "%.1f (%d)" % (round(sum(ratings[a]) / len(ratings[a]) + 1e-9, 1), len(ratings[a])) if ratings[a] else "\u2014"
    print("|".join([a, str(open_[a]), str(overdue[a]), str(resolved[a]), median, rating]))
PY
)
check "the page lists every agent ($(wc -l <<<"$page") rows, $status), the idle one without a median or rating" \
	holds '[ "$status" = 200 ] && [ "$(wc -l <<<"$page")" = "$(wc -l <"$scratch/agents")" ] && grep -q "^$(id_of "idle.$$@example.org")|0|0|0|—|—$" <<<"$page"'
for i in "${!columns[@]}"; do
	field=$((i + 2))
	shown=$(cut -d'|' -f1,"$field" <<<"$page")
	expected=$(cut -d'|' -f1,"$field" <<<"$counted")
	[ "$shown" = "$expected" ] || diag "${columns[$i]}: page" "$shown" "counted" "$expected"
	check "every agent's ${columns[$i]} is the independent count's ($(cut -d'|' -f2 <<<"$shown" | tr '\n' ' ' | head -c 120))" \
		holds '[ "$shown" = "$expected" ]'
done

# ---- sorting ----
# sorted FIELD DIRECTION: whether the page's column FIELD (as numbers, "—" last) is in that order.
sorted() {
	local values
	values=$(page_rows "$body" | cut -d'|' -f"$1" | sed 's/ .*//')
	python3 -c '
import sys
values = sys.argv[2].split()
known = [float(v) for v in values if v != "\u2014"]
missing_last = all(v == "\u2014" for v in values[len(known):])
ordered = known == sorted(known, reverse=sys.argv[1] == "desc")
sys.exit(0 if missing_last and ordered and len(values) > 0 else 1)
' "$2" "$values"
}
for i in "${!columns[@]}"; do
	for dir in asc desc; do
		get admin "/admin/agents?sort=${columns[$i]}&dir=$dir"
		check "sort=${columns[$i]}&dir=$dir orders the column that way, agents without a figure last ($status)" \
			holds '[ "$status" = 200 ] && sorted $((i + 2)) $dir && grep -q "aria-sort=\"${dir}ending\"" <<<"$body"'
	done
done
get admin "/admin/agents?sort=salary"
check "an unknown sort is 400 with a sentence ($status)" holds '[ "$status" = 400 ] && grep -q "can be sorted by" <<<"$body"'

# ---- the nearby lookup's plan ----
: >"$scratch/analyze.sql"
places=()
while read -r code lat lon; do
	places+=("$code $lat $lon")
	echo "ANALYZE FORMAT=JSON $("$nearby_sql" "$code" "$lat" "$lon");" >>"$scratch/analyze.sql"
done < <(sql "(SELECT k.code, c.lat, c.lon FROM complaints c JOIN categories k ON k.id = c.category_id
	WHERE c.lat IS NOT NULL ORDER BY ABS(c.lat - 38.7223) + ABS(c.lon + 9.1393) LIMIT 3)
	UNION ALL (SELECT k.code, c.lat, c.lon FROM complaints c JOIN categories k ON k.id = c.category_id
	WHERE c.lat IS NOT NULL AND c.id % 997 = 1 LIMIT 3)")
sql "$(cat "$scratch/analyze.sql")" >"$scratch/analyze.out" 2>"$scratch/analyze.err"
[ -s "$scratch/analyze.err" ] && diag "analyze: $(head -c 600 "$scratch/analyze.err")"
mapfile -t examined < <(python3 "$top/test/integration/analyze_rows.py" <"$scratch/analyze.out")
for i in "${!places[@]}"; do
	rows=${examined[$i]%% *}
	check "the nearby lookup at ${places[$i]} examines ${rows:-?} rows (at most 500) through idx_complaints_nearby (${examined[$i]#* })" \
		holds '[[ $rows =~ ^[0-9]+$ ]] && [ "$rows" -le 500 ] && grep -q "c:idx_complaints_nearby" <<<"${examined[$i]}"'
done
# For doc/performance.md: the index entries in each box (the optimizer's estimate for c: r_rows
# counts what index condition pushdown let through), then the same lookups through the
# category's filing-date index instead.
diag "index entries in the box (estimated): $(python3 -c '
import json, sys
def rows(node):
    if isinstance(node, dict):
        if node.get("table_name") == "c":
            return [node.get("rows")]
        return [r for v in node.values() for r in rows(v)]
    if isinstance(node, list):
        return [r for v in node for r in rows(v)]
    return []
for line in sys.stdin:
    text = line.rstrip("\n").replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    print(*rows(json.loads(text)), end=" ")
' <"$scratch/analyze.out")"
# For doc/performance.md: the same lookups through the category's filing-date index instead.
sed 's/USE INDEX (idx_complaints_nearby)/USE INDEX (idx_complaints_category)/' "$scratch/analyze.sql" >"$scratch/by_date.sql"
sql "$(cat "$scratch/by_date.sql")" >"$scratch/by_date.out" 2>&1
diag "through (category_id, created_at) instead: $(python3 "$top/test/integration/analyze_rows.py" <"$scratch/by_date.out" | cut -d' ' -f1 | tr '\n' ' ')"
check "the agents page's own statement runs on the seeded data within the page's answer (one GET, 200)" \
	holds 'get admin /admin/agents; [ "$status" = 200 ]'
