-- 0023_session_retention.sql: the index the timer's purge of sessions past their absolute
-- lifetime goes by (src/store/db_retention.c), so that each DELETE of a batch reads a range of an
-- index, oldest first, and never the table.
--
-- A session can no longer be used once it is idle past [auth] session_idle_timeout (last_seen_at,
-- whose index 0001 made for this purge) or older than session_absolute_timeout (created_at,
-- here). Re-runnable (IF NOT EXISTS).

CREATE INDEX IF NOT EXISTS idx_sessions_created ON sessions (created_at);
