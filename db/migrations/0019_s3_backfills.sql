-- 0019_s3_backfills.sql: copying the existing photos to an S3 replica added to [s3] replicas.
--
-- One row per replica of the set, written by the photo-repair child (store/backfill.c). The first
-- time the child runs, every configured replica counts as whole (status done: until then the
-- photo_repairs queue kept the set whole); a replica named later gets a row 'copying' that lists
-- the photos filed before it: the complaints up to complaints_until, then the updates up to
-- updates_until, copied in id order at [s3] backfill_rate. The cursor (complaints_after,
-- updates_after) moves after each copy, so a restarted child goes on from there. Photos filed
-- afterwards reach the replica through their own put and the photo_repairs queue. A replica taken
-- out of the config loses its row (named again later, it is copied again). complaintctl backfills
-- prints the rows. Re-runnable.

CREATE TABLE IF NOT EXISTS s3_backfills (
	-- The replica's name in [s3] replicas.
	replica VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	status ENUM('copying', 'done') NOT NULL,
	complaints_until BIGINT UNSIGNED NOT NULL DEFAULT 0,
	complaints_after BIGINT UNSIGNED NOT NULL DEFAULT 0,
	updates_until BIGINT UNSIGNED NOT NULL DEFAULT 0,
	updates_after BIGINT UNSIGNED NOT NULL DEFAULT 0,
	-- Photos to copy when it started, and copied so far (progress: copied of total).
	total INT UNSIGNED NOT NULL DEFAULT 0,
	copied INT UNSIGNED NOT NULL DEFAULT 0,
	started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	finished_at DATETIME(3) NULL,
	-- The location ([server] location) whose child copies, until lease_until: with several hosts
	-- one copies at a time, at the configured rate.
	holder VARCHAR(63) NULL,
	lease_until DATETIME(3) NULL,
	PRIMARY KEY (replica)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
