-- 0010_updates_by_complaint.sql: a complaint's updates found by the complaint and already in
-- their order. A complaint's page (store/db_complaints.c, db_complaint_page) reads a complaint's
-- updates WHERE complaint_id = ? ORDER BY created_at, id, with who may see internal notes decided
-- row by row: idx_updates_complaint (complaint_id, internal, created_at) gives them in internal's
-- order, so the optimizer preferred idx_updates_created (internal, created_at), which is in
-- created_at's order but scans every complaint's updates. This one is in the page's order (id is
-- the primary key, in every InnoDB secondary index), so the page reads only its complaint's rows.
-- Re-runnable (IF NOT EXISTS).

CREATE INDEX IF NOT EXISTS idx_updates_complaint_created ON updates (complaint_id, created_at);
