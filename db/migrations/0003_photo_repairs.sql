-- 0003_photo_repairs.sql: photos a successful put left missing on some S3 replicas.
--
-- s3.put succeeds once its policy is satisfied (by default two of three replicas: quorum(2, s3));
-- the replicas without the object are listed here when the complaint is filed, and the timer
-- child copies the object to them from a replica that has it, then deletes the row. The key is
-- the object's content hash, so a copy made twice is the same object. Re-runnable.

CREATE TABLE IF NOT EXISTS photo_repairs (
	image_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	-- The replica's name in [s3] replicas.
	replica VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	attempts INT UNSIGNED NOT NULL DEFAULT 0,
	-- Backing off while a replica stays down.
	next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (image_key, replica),
	-- The timer's queue: what is due, oldest first.
	KEY idx_photo_repairs_due (next_attempt_at),
	CONSTRAINT ck_photo_repairs_key CHECK (image_key REGEXP '^[0-9a-f]{64}$')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
