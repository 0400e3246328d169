-- 0020_retention.sql: the indexes the timer's purges of old rows go by (src/store/db_retention.c),
-- so that each DELETE of a batch reads a range of an index, oldest first, and never the table.
--
-- replica_observations needs none: its period_start index (0001) serves. Tokens are purged a day
-- after they expired (0007's expires_at index) or were used (used_at, here); sent messages a
-- retention after their sending (status, sent_at); a segment of replica statistics, with its
-- marks, once its last flush is older than the observations' retention (flushed_at).
-- Re-runnable (IF NOT EXISTS).

CREATE INDEX IF NOT EXISTS idx_tokens_used ON tokens (used_at);
CREATE INDEX IF NOT EXISTS idx_notifications_sent ON notifications (status, sent_at);
CREATE INDEX IF NOT EXISTS idx_replica_segments_flushed ON replica_segments (flushed_at);
