-- 0009_outbox.sql: the notifications table of 0001 as the transactional outbox the notifier
-- (src/store/notifier.c) delivers from.
--
-- kind: which message (core/mail.c's kinds: filed, assigned, resolved...); data: what its
-- templates need, copied from the event's transaction (JSON: the recipient's name, the
-- category, the status and public reason then), rendered at sending time; body stays for
-- messages written whole. state becomes status; claimed_at gives way to a lease: a notifier
-- claims due rows by setting status = 'sending', claimed_by (unique per claim) and lease_until,
-- and a claim whose holder died is taken again once lease_until has passed.
-- Re-runnable (IF [NOT] EXISTS on each step).

ALTER TABLE notifications ADD COLUMN IF NOT EXISTS kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
	DEFAULT '' AFTER channel;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS data TEXT NULL AFTER body;
ALTER TABLE notifications MODIFY body TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications CHANGE COLUMN IF EXISTS state status ENUM('pending', 'sending', 'sent', 'failed') NOT NULL
	DEFAULT 'pending';
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS lease_until DATETIME(3) NULL AFTER next_attempt_at;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS claimed_by VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NULL
	AFTER lease_until;
ALTER TABLE notifications DROP COLUMN IF EXISTS claimed_at;
-- A claim's rows, read back by the notifier that made it.
CREATE INDEX IF NOT EXISTS idx_notifications_claim ON notifications (claimed_by);
-- Expired leases: rows whose notifier died while it held them.
CREATE INDEX IF NOT EXISTS idx_notifications_lease ON notifications (status, lease_until);
