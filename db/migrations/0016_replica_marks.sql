-- 0016_replica_marks.sql: what each host's timer has flushed of its replica statistics, so that
-- every attempt lands in replica_observations exactly once (doc/DESIGN.md, "Replica
-- observations").
--
-- A host counts attempts in librepl's stats segment, cumulatively, under the segment's random
-- identity. Its timer writes a period's row as the difference between the totals now and the
-- totals it flushed last (the marks), in one transaction with the new marks; that transaction
-- first moves its segment's flush count on from the value it read (replica_segments.flushes), and
-- writes nothing when another flush got there first. A flush whose database is down changes
-- nothing: the next one covers the longer period. A lost commit answer is found in the marks by
-- the next flush. A new segment (a new identity) starts from zero marks.
--
-- replica_observations gains the segment in its key: two segments of one location (two masters
-- on one host, a file made again) could flush a period starting at the same millisecond, and a
-- duplicate key would refuse that flush for ever. Re-runnable (IF NOT EXISTS; the key is dropped
-- and made again the same).

CREATE TABLE IF NOT EXISTS replica_segments (
	location VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- librepl's repl_stats_identity: 32 hex digits drawn when the segment's file was made.
	segment CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at DATETIME(3) NOT NULL,
	-- The end of the last period flushed (created_at before the first): the next one's start.
	flushed_at DATETIME(3) NOT NULL,
	-- Moved on by every flush, which names the value it read: the loser of two flushes writes nothing.
	flushes BIGINT UNSIGNED NOT NULL DEFAULT 0,
	PRIMARY KEY (location, segment)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS replica_marks (
	location VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	segment CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	operation VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	replica VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- The segment's cumulative totals at the last flush. Mean and M2 (ms, ms squared, over
	-- successes) as DECIMAL: written and read back as text, never through a DOUBLE column.
	successes BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_timeout BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_connect BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_protocol BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_other BIGINT UNSIGNED NOT NULL DEFAULT 0,
	rtt_mean_ms DECIMAL(65, 20) NOT NULL DEFAULT 0,
	rtt_m2_ms2 DECIMAL(65, 20) NOT NULL DEFAULT 0,
	rtt_min_us BIGINT UNSIGNED NOT NULL DEFAULT 0,
	rtt_max_us BIGINT UNSIGNED NOT NULL DEFAULT 0,
	-- 32 log2 buckets of microseconds, as a JSON array of counts.
	histogram JSON NOT NULL,
	PRIMARY KEY (location, segment, operation, replica),
	CONSTRAINT fk_replica_marks_segment FOREIGN KEY (location, segment)
		REFERENCES replica_segments (location, segment) ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE replica_observations
	ADD COLUMN IF NOT EXISTS segment CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER replica;
ALTER TABLE replica_observations DROP PRIMARY KEY,
	ADD PRIMARY KEY (location, operation, replica, period_start, segment);
