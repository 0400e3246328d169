-- 0022_agent_console.sql: an agent's console read from an index in its order, and a redundant
-- index of updates dropped.
--
-- /agent lists the complaints assigned to the agent and still open (assigned or in progress):
-- those waiting after a reopening first, then by due date, then by id (store/db_complaints.c,
-- DB_LIST_AGENT). idx_complaints_agent (assigned_agent_id, status, due_at) cannot give that order:
-- its first sort key is an expression and the status is one of two, so MariaDB sorted all of an
-- agent's open complaints to show 20. console_rank is that expression as a column: 0 for an open
-- complaint marked reopened, 1 for another open one, NULL for a complaint no console lists
-- (PERSISTENT, like accounts.email_key in 0004: computed by the server on every write, never
-- written by the app). idx_complaints_console (assigned_agent_id, console_rank, due_at), with the
-- primary key id at its end as in every InnoDB secondary index, is the console's order: a page
-- reads its rows in order and stops, whatever the size of the agent's list (round_trips.sh).
--
-- idx_updates_complaint (complaint_id, internal, created_at), from 0001, serves no statement since
-- 0010's idx_updates_complaint_created (complaint_id, created_at): a complaint's page reads its
-- updates by complaint_id in created_at's order, and the foreign key to complaints needs an index
-- led by complaint_id, which 0010's is. Every write to updates paid for it.
-- Re-runnable (IF [NOT] EXISTS on each step).

ALTER TABLE complaints ADD COLUMN IF NOT EXISTS
	console_rank TINYINT AS (IF(status IN ('assigned', 'in_progress'), reopened_at IS NULL, NULL)) PERSISTENT;
CREATE INDEX IF NOT EXISTS idx_complaints_console ON complaints (assigned_agent_id, console_rank, due_at);
DROP INDEX IF EXISTS idx_updates_complaint ON updates;
