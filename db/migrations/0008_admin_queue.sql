-- 0008_admin_queue.sql: the indexes of the admin's queue (/admin, store/db_queue.c).
--
-- The queue filters by status (one or several), category, agent (or none), overdue, reopened,
-- filing dates and words, and sorts by due date, filing date or last change, 50 rows a page with
-- keyset pagination. Its statement is a UNION ALL of one branch per chosen status, each branch
-- reading one index in the page's order from the keyset's position and stopping after 51 rows:
-- an index per (the branch's equality columns, the sort column), InnoDB appending the id that
-- breaks ties. 0001 has (status, due_at) and (assigned_agent_id, status, due_at); these add the
-- other sorts and the category's. Words are found with a FULLTEXT index on description and
-- address (InnoDB's, boolean mode, every word required). Re-runnable (IF NOT EXISTS).

CREATE INDEX IF NOT EXISTS idx_complaints_status_created ON complaints (status, created_at);
CREATE INDEX IF NOT EXISTS idx_complaints_status_updated ON complaints (status, updated_at);
CREATE INDEX IF NOT EXISTS idx_complaints_category_due ON complaints (category_id, status, due_at);
CREATE INDEX IF NOT EXISTS idx_complaints_category_created ON complaints (category_id, status, created_at);
CREATE INDEX IF NOT EXISTS idx_complaints_category_updated ON complaints (category_id, status, updated_at);
CREATE INDEX IF NOT EXISTS idx_complaints_agent_created ON complaints (assigned_agent_id, status, created_at);
CREATE INDEX IF NOT EXISTS idx_complaints_agent_updated ON complaints (assigned_agent_id, status, updated_at);
CREATE FULLTEXT INDEX IF NOT EXISTS ft_complaints_text ON complaints (description, address);
