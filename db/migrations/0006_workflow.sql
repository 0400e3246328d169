-- 0006_workflow.sql: what the status machine (src/core/workflow.c) needs of complaints and
-- status_track.
--
-- complaints.version: every change is UPDATE ... WHERE id = ? AND version = ? with the version
-- the actor's page showed, so of two concurrent changes the second changes nothing (409).
-- complaints.reopened_at: set when the reporter reopens, cleared when the agent acts again: the
-- agent's console lists these first, the admin's "reopened" list shows them.
-- complaints.duplicate_of_id: the original of a complaint rejected as a duplicate.
-- status_track.action gains the table's actions 0001 lacked (accept, decline, confirm,
-- withdraw); start and close stay for rows written before.
-- Re-runnable (IF [NOT] EXISTS on each step; MODIFY to the same type is a no-op).

ALTER TABLE complaints ADD COLUMN IF NOT EXISTS version INT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS reopened_at DATETIME(3) NULL;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS duplicate_of_id BIGINT UNSIGNED NULL;
ALTER TABLE complaints ADD CONSTRAINT fk_complaints_duplicate FOREIGN KEY IF NOT EXISTS (duplicate_of_id)
	REFERENCES complaints (id) ON DELETE RESTRICT ON UPDATE RESTRICT;
-- The admin's "reopened" list.
CREATE INDEX IF NOT EXISTS idx_complaints_reopened ON complaints (reopened_at);
ALTER TABLE status_track MODIFY action ENUM('submit', 'assign', 'reassign', 'unassign', 'start', 'resolve', 'reopen',
	'close', 'reject', 'auto_close', 'accept', 'decline', 'confirm', 'withdraw') NOT NULL;
