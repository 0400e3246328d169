-- 0011_email_confirmation.sql: a resident's address is confirmed by a mailed link before their
-- complaints reach the admin's queue.
--
-- accounts.email_confirmed_at: when the account's owner proved the address (a confirmation link,
-- or a password reset or invitation link, each mailed to it). The column is added with a default
-- of now, so every account that exists when the migration runs counts as confirmed, and so does
-- every account made later by staff (complaintctl, an admin's invitation, seed): only sign-up
-- writes NULL. Re-running changes nothing (IF NOT EXISTS: the default fills existing rows once).
--
-- complaints.held_since: set at filing when the reporter's address is not confirmed; the admin's
-- queue, its counts and the unassigned and reopened lists skip such complaints, and confirming
-- the address clears it on every complaint of that reporter.

ALTER TABLE accounts ADD COLUMN IF NOT EXISTS email_confirmed_at DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3)
	AFTER password_changed_at;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS held_since DATETIME(3) NULL;
