#!/usr/bin/env bash
# admin_queue.sh: the admin's queue (/admin) over 20,000 seeded complaints on a full stack of its
# own. For every filter the page offers — each status, several, each category, an agent, nobody,
# overdue, reopened, filing dates (a week, a year), words (Latin, Cyrillic, Han scripts), and
# combinations of them, and the two that no index reads in order — a word in more than 2,000
# complaints, and old filing dates sorted by due date — and each of its three sorts: ANALYZE
# FORMAT=JSON of the first page's exact statement (test/queue-sql prints what store/db_queue.c
# builds) examines at most 2,000 rows (r_rows x r_loops over every table access); the page's 50
# rows are those of an independent SELECT written here in plain SQL; its counts per status those of
# an independent COUNT. A capped filter (words; filing dates sorted otherwise than by filing date)
# whose candidates, counted independently, are more than 1,500 shows no rows and says so, and the
# one statement it read them by (its counts') examines at most 2,000 rows too. Keyset
# pagination walks a filtered set of several pages while rows are inserted into it, every row
# there from the start seen once and none twice. Bulk assignment with one of the picked complaints
# changed meanwhile: that one is listed back and left as the other change made it; the others moved
# by the status table (assign, reassign) with their history and admin_log rows. The CSV export:
# parsed back by Python's csv module; the unfiltered one read by statements of at most 201 rows
# each (the servers' slow logs, every statement logged, count them and their rows).
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
complaintctl=${COMPLAINTCTL_BINARY:-$top/var/build-asan/complaintctl}
queue_sql=${QUEUE_SQL_BINARY:-$top/var/build-asan/test/queue-sql}
[ -x "$complaintctl" ] || { echo "Bail out! no complaintctl at $complaintctl (set COMPLAINTCTL_BINARY)"; exit 1; }
[ -x "$queue_sql" ] || { echo "Bail out! no queue-sql at $queue_sql (packaging/dev build, or set QUEUE_SQL_BINARY)"; exit 1; }
seeded=${ADMIN_QUEUE_COMPLAINTS:-20000}

# The filters, as the page's fields (space-separated pairs, values without spaces). AGENT and
# WEEK/YEAR stand for values read from the seeded data.
filters=(
	""
	"status=submitted" "status=assigned" "status=in_progress" "status=resolved" "status=closed" "status=rejected"
	"status=submitted status=assigned status=in_progress"
	"category=streetlight" "category=water_leak" "category=road_damage" "category=garbage" "category=drainage"
	"category=other"
	"agent=AGENT" "agent=none" "overdue=1" "reopened=1"
	"from=WEEK0 to=WEEK1" "from=YEAR0 to=YEAR1" "from=OLD0 to=OLD1"
	"q=Harbour" "q=Harbour+Road" "q=улица" "q=中山路"
	"status=closed category=garbage" "status=submitted agent=none" "status=assigned agent=AGENT"
	"category=water_leak agent=AGENT" "overdue=1 category=drainage" "overdue=1 agent=none" "overdue=1 agent=AGENT"
	"reopened=1 agent=AGENT" "status=closed from=WEEK0 to=WEEK1" "category=road_damage from=YEAR0 to=YEAR1"
	"agent=AGENT from=OLD0 to=OLD1" "q=Harbour status=closed" "q=Mill category=road_damage"
	"status=submitted status=assigned category=other overdue=1 from=YEAR0 to=YEAR1"
	"q=Lamppost" "q=Lamppost status=closed" "q=Lamppost+Harbour"
	"status=submitted from=OLD0 to=OLD1" "status=submitted from=TWO0 to=YEAR0" "status=assigned from=TWO0 to=OLD1"
)
sorts=(due filed changed)
candidates_max=1500  # store/db_queue.h's DB_QUEUE_CANDIDATES_MAX
plan $((${#filters[@]} * 7 + 3 + 3 + 4 + 7 + 3 + 4 + 2 + 1 + 1))

scratch=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$scratch"; test_stack_cleanup' EXIT
# The queue's furniture (counts per status, agents, categories) kept by each worker for 10
# minutes: the counts shown are each filter's first reading, compared below with COUNTs of the
# unchanged data; section 7 counts what repeated pages read, and that an admin's own change shows
# at once whatever the age.
test_full_stack_up admin-queue queue.cache_max_age=10m
test_migrate
password=Corr3ct-horse-battery

# 1. The seed: as many complaints as asked, histories by the status table, several scripts.
"$complaintctl" -c "$stack_dir/complaintd.conf" seed --complaints "$seeded" --residents 1000 --agents 20 \
	>"$scratch/seed.out" 2>&1 || { echo "Bail out! seed failed: $(tail -n 3 "$scratch/seed.out")"; exit 1; }
diag "$(tail -n 1 "$scratch/seed.out")"
check "seed filed $seeded complaints, each with a 'submit' row first and as many more status_track rows as moves (version)" \
	holds '[ "$(sql "SELECT COUNT(*) FROM complaints c WHERE (SELECT COUNT(*) FROM status_track t WHERE t.complaint_id = c.id) = c.version + 1 AND EXISTS (SELECT 1 FROM status_track t WHERE t.complaint_id = c.id AND t.action = '"'submit'"')")" = "$seeded" ]'
check "every status is seeded, most complaints closed, and the texts hold Cyrillic, Han and Arabic script" \
	holds '[ "$(sql "SELECT COUNT(DISTINCT status) FROM complaints")" = 6 ] &&
		[ "$(sql "SELECT SUM(status = '"'closed'"') * 2 > COUNT(*) FROM complaints")" = 1 ] &&
		[ "$(sql "SELECT SUM(description LIKE '"'%улиц%'"') > 0 AND SUM(description LIKE '"'%路%'"') > 0 AND SUM(description LIKE '"'%شارع%'"') > 0 FROM complaints")" = 1 ]'
check "seeded accounts cannot sign in: they share one hash of a password nobody was told" \
	holds '[ "$(sql "SELECT COUNT(DISTINCT password_hash) FROM accounts WHERE email LIKE '"'seed-%'"'")" = 1 ]'
# A word in more than 2,000 complaints (one in eight), the text changed without touching updated_at.
sql "UPDATE complaints SET description = CONCAT(description, ' Lamppost'), updated_at = updated_at WHERE id % 8 = 0"
sql "ANALYZE TABLE complaints, categories, accounts, status_track PERSISTENT FOR ALL" >/dev/null

agent=$(sql "SELECT assigned_agent_id FROM complaints WHERE assigned_agent_id IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
week0=$(sql "SELECT DATE(UTC_TIMESTAMP() - INTERVAL 20 DAY)"); week1=$(sql "SELECT DATE(UTC_TIMESTAMP() - INTERVAL 14 DAY)")
year0=$(sql "SELECT DATE(UTC_TIMESTAMP() - INTERVAL 365 DAY)"); year1=$(sql "SELECT DATE(UTC_TIMESTAMP())")
old0=$(sql "SELECT DATE(UTC_TIMESTAMP() - INTERVAL 600 DAY)"); old1=$(sql "SELECT DATE(UTC_TIMESTAMP() - INTERVAL 590 DAY)")
two0=$(sql "SELECT DATE(UTC_TIMESTAMP() - INTERVAL 730 DAY)")
# The filter's pairs with the stand-ins replaced, one per line.
pairs_of() {
	local f=${1//AGENT/$agent}
	f=${f//WEEK0/$week0}; f=${f//WEEK1/$week1}; f=${f//YEAR0/$year0}; f=${f//YEAR1/$year1}
	f=${f//OLD0/$old0}; f=${f//OLD1/$old1}; f=${f//TWO0/$two0}
	tr ' ' '\n' <<<"$f" | awk 'NF'
}
# query_of FILTER SORT: the page's query string.
query_of() {
	{ pairs_of "$1"; echo "sort=$2"; } | python3 -c 'import sys, urllib.parse
print("&".join(k + "=" + urllib.parse.quote(v.replace("+", " "), safe="") for k, v in (l.rstrip("\n").split("=", 1) for l in sys.stdin)))'
}
# where_of FILTER: the same filter as a plain WHERE on complaints c, written independently of
# store/db_queue.c.
where_of() {
	local pair key value statuses= where="1"
	while read -r pair; do
		key=${pair%%=*}; value=${pair#*=}
		case $key in
		status) statuses+="${statuses:+, }'$value'" ;;
		category) where+=" AND c.category_id = (SELECT id FROM categories WHERE code = '$value')" ;;
		agent) [ "$value" = none ] && where+=" AND c.assigned_agent_id IS NULL" || where+=" AND c.assigned_agent_id = $value" ;;
		overdue) where+=" AND c.due_at < '${overdue_at:-9999-12-31}' AND c.status IN ('submitted', 'assigned', 'in_progress')" ;;
		reopened) where+=" AND c.reopened_at IS NOT NULL" ;;
		from) where+=" AND c.created_at >= '$value'" ;;
		to) where+=" AND DATE(c.created_at) <= '$value'" ;;
		q) for word in ${value//+/ }; do where+=" AND CONCAT_WS(' ', c.description, c.address) LIKE '%$word%'"; done ;;
		esac
	done < <(pairs_of "$1")
	[ -n "$statuses" ] && where+=" AND c.status IN ($statuses)"
	echo "$where"
}
declare -A order_of=([due]="due_at, id" [filed]="created_at DESC, id DESC" [changed]="updated_at DESC, id DESC")
# candidates_of FILTER SORT: for a capped filter (words; filing dates sorted otherwise than by filing
# date), an independent COUNT of what its own index reads — the complaints its words are in, or
# filed between its dates — whatever its other fields; "" for another filter.
candidates_of() {
	local pairs; pairs=$(pairs_of "$1")
	if grep -q '^q=' <<<"$pairs"; then
		sql "SELECT COUNT(*) FROM complaints c WHERE $(where_of "$(grep '^q=' <<<"$pairs")")"
	elif grep -q '^\(from\|to\)=' <<<"$pairs" && [ "$2" != filed ]; then
		sql "SELECT COUNT(*) FROM complaints c WHERE $(where_of "$(grep '^\(from\|to\)=' <<<"$pairs" | tr '\n' ' ')")"
	fi
}
category_id_of() {
	local code; code=$(pairs_of "$1" | sed -n 's/^category=//p')
	[ -z "$code" ] || sql "SELECT id FROM categories WHERE code = '$code'"
}

staff admin "admin.$$@example.org" "Ada Admin"
signin admin "admin.$$@example.org"

# 2. Every filter x sort: rows examined by the first page's statement, the page's rows, and per
# filter its counts. The statements run in one client each (ANALYZE, the independent SELECTs and
# COUNTs), in the order of the pages fetched.
: >"$scratch/analyze.sql"
: >"$scratch/select.sql"
: >"$scratch/count.sql"
names=()
page_ids=()
shown_counts=()
too_wide=()
candidates=()
for filter in "${filters[@]}"; do
	for sort in "${sorts[@]}"; do
		query=$(query_of "$filter" "$sort")
		# Overdue moves with the clock: the independent SQL takes the instant the page was asked for.
		overdue_at=$(date -u '+%F %T.%3N')
		echo "SELECT COALESCE(GROUP_CONCAT(id ORDER BY n SEPARATOR ' '), '') FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY ${order_of[$sort]}) AS n FROM complaints c WHERE $(where_of "$filter") ORDER BY ${order_of[$sort]} LIMIT 50) x;" >>"$scratch/select.sql"
		get admin "/admin?$query"
		names+=("[${filter:-no filter}] by $sort")
		page_ids+=("$status $(grep -o 'name="c" value="[0-9]*:' <<<"$body" | sed 's/[^0-9]//g' | tr '\n' ' ' | sed 's/ $//')")
		too_wide+=("$(grep -o '<p class="notice" id="too-wide">[^<]*' <<<"$body" | sed 's/.*>//')")
		candidates+=("$(candidates_of "$filter" "$sort")")
		# The statement the page read its rows by; a page too wide to read, its counts' (the candidates).
		counts_flag=()
		[ -n "${too_wide[-1]}" ] && counts_flag=(--counts)
		statement=$("$queue_sql" "${counts_flag[@]}" "$query" $(category_id_of "$filter") 2>"$scratch/queue-sql.err") || statement=
		[ -n "$statement" ] && [ "$statement" != NONE ] || statement="SELECT 'no statement: $(head -c 100 "$scratch/queue-sql.err")' AS x"
		echo "ANALYZE FORMAT=JSON $statement;" >>"$scratch/analyze.sql"
		[ "$sort" = due ] || continue
		# The counts per status (the same for every sort): an independent COUNT each, "10000+" past the cap.
		shown_counts+=("$(grep -o 'class="count status-[a-z_]*[^"]*">[^<]*<strong>[^<]*</strong>' <<<"$body" |
			sed 's/class="count status-\([a-z_]*\)[^"]*">[^<]*<strong>\([^<]*\)<\/strong>/\1=\2/' | tr -d ',' | tr '\n' ' ' | sed 's/ $//')")
		where=$(where_of "$(pairs_of "$filter" | grep -v '^status=' | tr '\n' ' ')")
		last=6
		[[ $filter == *overdue=1* ]] && last=3
		# A page too wide to read shows no counts (they are not known past the candidates read).
		[ -n "${too_wide[-1]}" ] && { echo "SELECT '';" >>"$scratch/count.sql"; continue; }
		echo "SELECT GROUP_CONCAT(CONCAT(status, '=', IF(n > 10000, '10000+', n)) ORDER BY o SEPARATOR ' ') FROM (SELECT s.status, s.o, COUNT(c.id) AS n FROM (SELECT 'submitted' AS status, 1 AS o UNION ALL SELECT 'assigned', 2 UNION ALL SELECT 'in_progress', 3 UNION ALL SELECT 'resolved', 4 UNION ALL SELECT 'closed', 5 UNION ALL SELECT 'rejected', 6) s LEFT JOIN complaints c ON c.status = s.status AND $where WHERE s.o <= $last GROUP BY s.status, s.o) x;" >>"$scratch/count.sql"
	done
done
for batch in analyze select count; do
	sql "$(cat "$scratch/$batch.sql")" >"$scratch/$batch.out" 2>"$scratch/$batch.err"
	[ -s "$scratch/$batch.err" ] && diag "$batch: $(head -c 600 "$scratch/$batch.err")"
done
python3 "$top/test/integration/analyze_rows.py" <"$scratch/analyze.out" >"$scratch/examined" 2>&1
mapfile -t examined <"$scratch/examined"
mapfile -t expected_ids <"$scratch/select.out"
mapfile -t counted <"$scratch/count.out"
for i in "${!names[@]}"; do
	rows=${examined[$i]%% *}
	if [ -n "${too_wide[$i]}" ]; then
		check "${names[$i]} reads its candidates by a statement that examines ${rows:-?} rows (at most 2,000)" \
			holds '[[ $rows =~ ^[0-9]+$ ]] && [ "$rows" -le 2000 ]'
		check "the page of ${names[$i]} shows no rows and says why, its candidates being more than $candidates_max (${candidates[$i]}): ${too_wide[$i]}" \
			holds '[ "${page_ids[$i]}" = "200 " ] && [ "${candidates[$i]:-0}" -gt "$candidates_max" ] && grep -q "^More than 1,500 complaints" <<<"${too_wide[$i]}"'
	else
		check "the first page of ${names[$i]} examines ${rows:-?} rows (at most 2,000)" \
			holds '[[ $rows =~ ^[0-9]+$ ]] && [ "$rows" -le 2000 ]'
		check "the page of ${names[$i]} shows the rows an independent SELECT orders first ($(wc -w <<<"${expected_ids[$i]}")${candidates[$i]:+, of ${candidates[$i]} candidates})" \
			holds '[ "${page_ids[$i]}" = "200 ${expected_ids[$i]}" ] && [ "${candidates[$i]:-0}" -le "$candidates_max" ]'
	fi
	[[ $rows =~ ^[0-9]+$ ]] && [ "$rows" -le 2000 ] || diag "${examined[$i]}"
	[ -n "${too_wide[$i]}" ] || [ "${page_ids[$i]}" = "200 ${expected_ids[$i]}" ] || diag "page:     ${page_ids[$i]}" "expected: 200 ${expected_ids[$i]}"
done
for i in "${!filters[@]}"; do
	check "the counts per status of [${filters[$i]:-no filter}] are an independent COUNT's: ${shown_counts[$i]}" \
		holds '[ "${shown_counts[$i]}" = "${counted[$i]}" ]'
	[ "${shown_counts[$i]}" = "${counted[$i]}" ] || diag "expected: ${counted[$i]}"
done

# 3. A keyset walk through every page of a filter, following the pages' "next" links, with copies
# of its rows (same filing and due times: keys among those being walked) inserted between pages.
walk_filter="status=submitted"
walk_where=$(where_of "$walk_filter")
sql "SELECT id FROM complaints c WHERE $walk_where ORDER BY id" >"$scratch/walk.before"
link="/admin?$(query_of "$walk_filter" due)"
pages=0
: >"$scratch/walk.seen"
# ids_of PAGE: its complaints' ids, one a line; next_of PAGE: its "next" link.
ids_of() { grep -o 'name="c" value="[0-9]*:' <<<"$1" | sed 's/[^0-9]//g'; }
next_of() { grep -o 'href="[^"]*" rel="next"' <<<"$1" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g'; }
while [ -n "$link" ] && [ "$pages" -lt 400 ]; do
	get admin "$link"
	[ "$status" = 200 ] || break
	ids_of "$body" >>"$scratch/walk.seen"
	link=$(next_of "$body")
	pages=$((pages + 1))
	sql "INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, due_at, created_at, submit_token)
		SELECT category_id, reporter_id, description, address, lat, lon, due_at, created_at, RANDOM_BYTES(32)
		FROM complaints c WHERE $walk_where ORDER BY RAND() LIMIT 5"
done
added=$(( $(sql "SELECT COUNT(*) FROM complaints c WHERE $walk_where") - $(wc -l <"$scratch/walk.before") ))
diag "walked $pages pages, $(wc -l <"$scratch/walk.seen") rows; $added rows added meanwhile"
check "rows were added to the filtered set while its $pages pages were walked ($added)" holds '[ "$added" -gt 0 ] && [ "$pages" -gt 3 ]'
repeated=$(sort "$scratch/walk.seen" | uniq -d | tr '\n' ' ')
check "no complaint shows on two pages of the walk (${repeated:-none})" holds '[ -z "$repeated" ]'
missed=$(comm -23 <(sort "$scratch/walk.before") <(sort -u "$scratch/walk.seen") | tr '\n' ' ')
check "every complaint of the filter from before the walk is on a page (missed: ${missed:-none})" holds '[ -z "$missed" ]'

# 3b. Kept pages and a walk. Each worker keeps a page's rows for [queue] cache_max_age (10 minutes
# here), so a row filed since is on a kept page only once it is read anew. A page's keyset links
# carry when its rows were read (as_of), and a page reached by a link later than its kept rows is
# read anew: a walk never goes from a page read after a filing to one read before it, which would
# miss the filing's row though it was there when the walk's earlier page was read. Page 2 of the
# walk's filter is kept by both workers; rows are filed inside its range (copies of four of its
# rows: same due date, later ids); then page 2 is asked by the link page 1 read now would give.
get admin "/admin?$(query_of "$walk_filter" due)"
link=$(next_of "$body")
check "page 1's next link carries when page 1's rows were read ($link)" holds '[[ $link =~ [?\&]as_of=[0-9]{13}$ ]]'
for i in 1 2 3 4 5 6; do get admin "$link"; done
inside=$(ids_of "$body" | sed -n '10p;20p;30p;40p' | paste -sd,)
sql "INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, due_at, created_at, submit_token)
	SELECT category_id, reporter_id, description, address, lat, lon, due_at, created_at, RANDOM_BYTES(32)
	FROM complaints WHERE id IN ($inside)"
filed=$(sql "SELECT id FROM complaints ORDER BY id DESC LIMIT 4" | sort)
standby_applied || diag "the standby did not apply the filings in 60 s"
now_link=$(sed "s/as_of=[0-9]*/as_of=$(date +%s%3N)/" <<<"$link")
holding=0
for i in 1 2 3 4; do
	get admin "$now_link"
	[ "$status" = 200 ] && [ "$(ids_of "$body" | sort | comm -12 - <(echo "$filed") | wc -l)" = 4 ] && holding=$((holding + 1))
done
check "page 2 kept by the workers, asked by a link from a page read after four filings in its range, holds them each of 4 times ($holding; filed: $(paste -sd" " <<<"$filed"))" \
	holds '[ "$holding" = 4 ]'
later=$(next_of "$body" | sed -n 's/.*as_of=\([0-9]*\).*/\1/p')
# A kept page's rows and pager are those of the same page read anew (agents or none, places or
# none, badges), but for the as_of its links carry: a filter first asked here (waiting and rejected
# garbage complaints, newest first: rows nothing changes from now on), asked 4 times (each worker's
# first reading keeps it) and read anew by an as_of later than any reading. (The counts above the
# rows are each worker's own reading.)
rows_and_pager() { sed -n '/<tbody>/,/aria-label="Pages of the queue"/p' <<<"$1" | sed 's/as_of=[0-9]*//g'; }
kept_query=$(query_of "status=submitted status=rejected category=garbage" filed)
same=0
for i in 1 2 3 4; do get admin "/admin?$kept_query"; kept[i]=$(rows_and_pager "$body"); done
get admin "/admin?$kept_query&as_of=999999999999999"
fresh=$(rows_and_pager "$body")
for i in 1 2 3 4; do [ "${kept[$i]}" = "$fresh" ] && same=$((same + 1)); done
check "a page kept by the workers shows the rows and pager of the same page read anew, byte for byte but for as_of ($same of 4)" \
	holds '[ "$same" = 4 ] && [ "$(ids_of "$fresh" | wc -l)" = 50 ]'
check "a page read anew gives its next link a later as_of than the link it was asked by ($later)" \
	holds '[ -n "$later" ] && [ "$later" -ge "${now_link##*as_of=}" ]'

# 4. Bulk assignment, one of the picked complaints assigned by another admin's page meanwhile.
get admin "/admin?$(query_of "status=submitted agent=none" filed)"
open_shown=$(grep -o "<option value=\"$agent\">[^<]*open)</option>" <<<"$body" | sed -n 's/.*(\([0-9]*\) open).*/\1/p')
open_counted=$(sql "SELECT COUNT(*) FROM complaints WHERE assigned_agent_id = $agent AND status IN ('assigned', 'in_progress')")
check "the bulk form gives the agent's open complaints as an independent COUNT does ($open_shown, $open_counted)" \
	holds '[ -n "$open_shown" ] && [ "$open_shown" = "$open_counted" ]'
picked=($(grep -o 'name="c" value="[0-9]*:[0-9]*"' <<<"$body" | sed 's/.*value="\([^"]*\)"/\1/' | head -n 3))
bulk_csrf=$(csrf_of "$body" /admin/bulk-assign)
back=$(input_value "$body" back)
other=$(sql "SELECT assigned_agent_id FROM complaints WHERE status = 'assigned' AND assigned_agent_id <> $agent GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
get admin "/admin?$(query_of "status=assigned agent=$other" filed)"
picked+=($(grep -o 'name="c" value="[0-9]*:[0-9]*"' <<<"$body" | sed 's/.*value="\([^"]*\)"/\1/' | head -n 1))
[ "${#picked[@]}" = 4 ] || { echo "Bail out! the queue offered ${#picked[@]} complaints to pick"; exit 1; }
ids=("${picked[@]%%:*}")
raced=${ids[1]}
staff admin "admin2.$$@example.org" "Abe Admin"
signin admin2 "admin2.$$@example.org"
# The queue's part of a page is made once per worker and shared by every admin; the bulk form's
# CSRF token and the header are each session's own: the second admin's token from a shared page
# passes the form's check (422: nothing ticked; another session's token answers 403). A filter no
# page asked before (the workers keep pages 10 minutes here), read first by the first admin.
shared_query=$(query_of "status=submitted status=in_progress agent=none" changed)
get admin "/admin?$shared_query"
admin_rows=$(rows_and_pager "$body")
admin_token=$(csrf_of "$body" /admin/bulk-assign)
same_rows=0 own=0
for i in 1 2 3 4; do
	get admin2 "/admin?$shared_query"
	token2=$(csrf_of "$body" /admin/bulk-assign)
	[ "$(rows_and_pager "$body")" = "$admin_rows" ] && same_rows=$((same_rows + 1))
	[ -n "$token2" ] && [ "$token2" != "$admin_token" ] && grep -q 'Abe Admin' <<<"$body" && own=$((own + 1))
done
post admin2 /admin/bulk-assign "csrf=$token2" "back=$back" "agent=$agent"
bulk2=$status
post admin2 /admin/bulk-assign "csrf=$admin_token" "back=$back" "agent=$agent"
check "a second admin's 4 pages of a filter the first admin read hold its rows ($same_rows) with a token and header of its own ($own); its token passes ($bulk2), the first admin's does not ($status)" \
	holds '[ "$same_rows" = 4 ] && [ "$own" = 4 ] && [ "$bulk2" = 422 ] && [ "$status" = 403 ]'
get admin2 "/complaints/$raced"
post admin2 "/complaints/$raced/status" "csrf=$(csrf_of "$body" "/complaints/$raced/status")" \
	"version=${picked[1]#*:}" action=assign "agent=$other"
[ "$status" = 303 ] || { echo "Bail out! the concurrent assignment: $status $(text_of "$body")"; exit 1; }
# shown_counts_of PATH: gets the admin's page of PATH (body) and sets shown to the counts per
# status it shows, "status=N ...".
shown_counts_of() {
	get admin "$1"
	shown=$(grep -o 'class="count status-[a-z_]*[^"]*">[^<]*<strong>[^<]*</strong>' <<<"$body" |
		sed 's/class="count status-\([a-z_]*\)[^"]*">[^<]*<strong>\([^<]*\)<\/strong>/\1=\2/' | tr -d ',' | tr '\n' ' ' | sed 's/ $//')
}
# counted_for_agent: the same, counted independently for the agent's complaints.
counted_for_agent() {
	sql "SELECT GROUP_CONCAT(CONCAT(s.status, '=', COALESCE(n, 0)) ORDER BY s.o SEPARATOR ' ') FROM (SELECT 'submitted' AS status, 1 AS o UNION ALL SELECT 'assigned', 2 UNION ALL SELECT 'in_progress', 3 UNION ALL SELECT 'resolved', 4 UNION ALL SELECT 'closed', 5 UNION ALL SELECT 'rejected', 6) s LEFT JOIN (SELECT status, COUNT(*) AS n FROM complaints WHERE assigned_agent_id = $agent GROUP BY status) c ON c.status = s.status"
}
shown_counts_of "/admin?agent=$agent"
agent_counts_before=$shown
fields=()
for value in "${picked[@]}"; do fields+=("c=$value"); done
post admin /admin/bulk-assign "csrf=$bulk_csrf" "back=$back" "agent=$agent" "${fields[@]}"
result=$(visible_text "$body")
check "the bulk answer: 3 assigned, and #$raced listed back as changed meanwhile ($status: $(head -c 200 <<<"$result"))" \
	holds '[ "$status" = 200 ] && grep -q "3 assigned to" <<<"$result" && grep -q "#$raced — now Assigned" <<<"$result" &&
		[ "$(grep -o "<li><a href=\"/complaints/[0-9]*\"" <<<"$body" | wc -l)" = 1 ]'
# moved ID: status/agent/version/the last status_track row's action and actor's email.
moved() {
	sql "SELECT CONCAT(c.status, '/', COALESCE(c.assigned_agent_id, 0), '/', c.version, '/', t.action, '/', a.email)
		FROM complaints c JOIN status_track t ON t.complaint_id = c.id JOIN accounts a ON a.id = t.actor_id
		WHERE c.id = $1 ORDER BY t.id DESC LIMIT 1"
}
admin_id=$(sql "SELECT id FROM accounts WHERE email = 'admin.$$@example.org'")
bulk_logs() { sql "SELECT COUNT(*) FROM admin_log WHERE actor_id = $admin_id AND target_complaint_id IN ($1) AND action IN ('assign', 'reassign') AND target_account_id = $agent"; }
check "the two waiting complaints are assigned to the agent by the table's assign row, one version on" \
	holds '[ "$(moved "${ids[0]}")" = "assigned/$agent/$(( ${picked[0]#*:} + 1 ))/assign/admin.$$@example.org" ] &&
		[ "$(moved "${ids[2]}")" = "assigned/$agent/$(( ${picked[2]#*:} + 1 ))/assign/admin.$$@example.org" ]'
check "the one that had an agent is given to this agent by the reassign row" \
	holds '[ "$(moved "${ids[3]}")" = "assigned/$agent/$(( ${picked[3]#*:} + 1 ))/reassign/admin.$$@example.org" ]'
check "#$raced keeps the other admin's assignment: their agent, one version on, no second row" \
	holds '[ "$(moved "$raced")" = "assigned/$other/$(( ${picked[1]#*:} + 1 ))/assign/admin2.$$@example.org" ]'
check "admin_log holds one row per bulk move, by the admin, naming the agent (3)" \
	holds '[ "$(bulk_logs "${ids[0]}, ${ids[2]}, ${ids[3]}, $raced")" = 3 ]'
# The admin's own change shows at once on the admin's next page, though the worker read these
# counts and the agents' open counts minutes ago and keeps them for 10 minutes.
shown_counts_of "/admin?agent=$agent"
agent_counts_after=$shown
open_after=$(grep -o "<option value=\"$agent\">[^<]*open)</option>" <<<"$body" | sed -n 's/.*(\([0-9]*\) open).*/\1/p')
check "after the bulk assignment the admin's page counts the agent's complaints anew ($agent_counts_before, then $agent_counts_after)" \
	holds '[ "$agent_counts_after" = "$(counted_for_agent)" ] && [ "$agent_counts_after" != "$agent_counts_before" ]'
check "and the bulk form gives the agent's open complaints anew: $open_shown, then $open_after (3 more)" \
	holds '[ "$open_after" = $((open_shown + 3)) ] && [ "$open_after" = "$(sql "SELECT COUNT(*) FROM complaints WHERE assigned_agent_id = $agent AND status IN ('"'assigned'"', '"'in_progress'"')")" ]'
check "the page says when its counts were read (Counts as of HH:MM:SS)" \
	holds 'grep -Eq "id=\"counts-at\">Counts as of [0-9]{2}:[0-9]{2}:[0-9]{2}<" <<<"$body"'
tracks=$(sql "SELECT COUNT(*) FROM status_track")
post admin /admin/bulk-assign "csrf=$bulk_csrf" "back=$back" "agent=$other" "${fields[@]}"
check "the same form sent again (every version stale) lists all four back and writes nothing" \
	holds '[ "$status" = 200 ] && grep -q "0 assigned to" <<<"$(visible_text "$body")" &&
		[ "$(grep -o "<li><a href=\"/complaints/[0-9]*\"" <<<"$body" | wc -l)" = 4 ] && [ "$(sql "SELECT COUNT(*) FROM status_track")" = "$tracks" ]'

# 5. The CSV export, read back by Python's csv module: the text as typed (commas, quotes, line
# breaks, every script), formula-looking cells behind an apostrophe, numbers as numbers.
reporter=$(sql "SELECT id FROM accounts WHERE role = 'user' LIMIT 1")
reporter_email=$(sql "SELECT email FROM accounts WHERE id = $reporter")
probe() { # DESCRIPTION ADDRESS LAT LON
	sql "INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, due_at, submit_token)
		SELECT id, $reporter, '$1', '$2', $3, $4, UTC_TIMESTAMP(3) + INTERVAL 7 DAY, RANDOM_BYTES(32) FROM categories WHERE code = 'other'"
}
probe 'csvprobe =HYPERLINK("http://evil.example","click")' '=cmd|'"''"' /C calc'"''"'!A0' 38.7 -9.14
probe '+csvprobe plus' '@SUM(A1:A9)' -33.86 151.2
probe '-csvprobe minus' '-1+2' 38.71 -9.5
probe 'csvprobe line one, with "quotes"
and a second line; улица, 中山路' 'Rua do Ouro 12, Lisboa' 38.71 -9.137
probe "$(printf '\tcsvprobe tab')" 'plain' 38.72 -9.13
probe "$(printf 'csvprobe\rcarriage')" "$(printf '\rcr address')" 38.73 -9.12
get admin "/admin/export.csv?q=csvprobe"
cp "$scratch/body" "$scratch/export.csv"
check "GET /admin/export.csv is a UTF-8 CSV with a BOM, offered as a download, without any reporter's email" \
	holds '[ "$status" = 200 ] && grep -qi "^content-type: text/csv; charset=utf-8" <<<"$headers" &&
		grep -qi "^content-disposition: attachment" <<<"$headers" && [ "$(head -c 3 "$scratch/export.csv" | od -An -tx1 | tr -d " ")" = efbbbf ] &&
		! grep -qF "$reporter_email" "$scratch/export.csv" && ! grep -q "@example.org" "$scratch/export.csv"'
csv_check=$(python3 "$top/test/integration/csv_check.py" probes "$scratch/export.csv")
check "the export parses back: 6 rows, commas, quotes, line breaks and scripts as typed, formula cells behind a ' and negative numbers as numbers ($csv_check)" \
	holds 'grep -q "^6 rows; all as expected" <<<"$csv_check"'
check "the export has no reporter column (email, phone, name)" holds '! grep -qi "reporter\|email\|phone" <<<"$csv_check"'
get admin /admin/export.csv
all_rows=$(python3 "$top/test/integration/csv_check.py" ids "$scratch/body")
check "the unfiltered export holds every complaint once, read in keyset chunks ($all_rows of $(sql "SELECT COUNT(*) FROM complaints"))" \
	holds '[ "$all_rows" = "$(sql "SELECT COUNT(*) FROM complaints") $(sql "SELECT COUNT(*) FROM complaints")" ]'

# 6. What the unfiltered export asks the databases, counted by their status counters over the
# export alone (the stack otherwise idle but for the notifier's and timer's polls): its rows come
# by keyset chunks of 200, one statement each reading one row more to know whether more follow, so
# at least rows / 200 + 1 statements, sending at most 201 rows each; nothing reads the whole set.
counters() { # Com_stmt_execute and Rows_sent, summed over the primary and the standby
	local server
	for server in primary standby; do
		mariadb_sql "$stack_dir" "$server" root "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_stmt_execute', 'Rows_sent')"
	done | awk '{sum[$1] += $2} END {print sum["Com_stmt_execute"], sum["Rows_sent"]}'
}
before=($(counters))
get admin /admin/export.csv
after=($(counters))
exported=$(python3 "$top/test/integration/csv_check.py" ids "$scratch/body" | cut -d' ' -f1)
executes=$((after[0] - before[0]))
# Each SHOW STATUS of the first reading sent 2 rows counted in the second.
sent=$((after[1] - before[1] - 4))
chunks=$((exported / 200 + 1))
diag "export of $exported rows: $executes statements executed, $sent rows sent by the two servers"
check "the export of $exported rows was read by at least $chunks statements ($executes), one keyset chunk each" \
	holds '[ "$exported" -gt 20000 ] && [ "$executes" -ge "$chunks" ]'
# Beside the chunks' rows: the session's, the categories' and the replicas' position answers (50 at most).
check "those statements sent at most 201 rows each: $sent rows in all, at most $exported + one per statement + 50" \
	holds '[ "$sent" -ge "$exported" ] && [ "$sent" -le $((exported + executes + 50)) ] && [ "$sent" -le $((executes * 201)) ]'

# 7. What repeated queue pages read: 20 requests of the unfiltered first page, counted by the
# servers' handler counters (index and row reads, Handler_read_*, summed over the primary and the
# standby). The page's own statement examines under 2,000 rows (section 2); the counts per status
# and the agents' open counts read some 35,000 at 20,000 complaints. Each of the stack's 2 workers
# keeps its own, and reads them once after the admin's bulk assignment (which of them answers a
# request is the kernel's choice): so at most 20 x 2,000 + 2 x 40,000 in all, where reading them
# for every page would be some 20 x 36,000.
handler_reads() {
	local server
	for server in primary standby; do
		mariadb_sql "$stack_dir" "$server" root "SHOW GLOBAL STATUS LIKE 'Handler_read%'"
	done | awk '{sum += $2} END {print sum}'
}
first_reads=$(handler_reads)
codes=
for i in $(seq 20); do get admin /admin; codes+="$status "; done
reads=$(( $(handler_reads) - first_reads ))
diag "20 pages of the unfiltered queue: $reads index and row reads on the two servers"
check "20 pages of the unfiltered queue read at most 20 x 2,000 + 2 x 40,000 index entries and rows in all ($reads): each worker reads the counts once" \
	holds '[ "$codes" = "$(printf "200 %.0s" $(seq 20))" ] && [ "$reads" -le 120000 ]'
