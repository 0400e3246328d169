-- 0015_nearby.sql: complaints near a place (duplicates while filing), their followers, and the
-- per-account budget of nearby lookups.
--
-- idx_complaints_nearby: the filing form's "Is it one of these?" reads complaints of one category
-- inside a bounding box around the place (store/db_nearby.c): category_id fixed, a range on lat,
-- lon checked from the index entry (index condition pushdown), the 100 m circle, status and age
-- on the row. A bounding box on indexed lat/lon rather than a SPATIAL index: lat/lon are nullable
-- (an address alone is a place), and a SPATIAL index needs a NOT NULL geometry column; the box
-- examines the category's complaints in a band of about 200 m of latitude (doc/performance.md).
-- complaint_followers: a resident who found their problem already reported follows that complaint
-- instead of filing again: it is listed under My complaints in a restricted form (category,
-- status, age, the distance from the place they gave, rounded to 10 m).
-- nearby_lookups: how many lookups an account made in its current window (core/nearby.c's rule),
-- counted on the primary so that every worker counts the same. Re-runnable (IF NOT EXISTS).

CREATE INDEX IF NOT EXISTS idx_complaints_nearby ON complaints (category_id, lat, lon);

CREATE TABLE IF NOT EXISTS complaint_followers (
	account_id BIGINT UNSIGNED NOT NULL,
	complaint_id BIGINT UNSIGNED NOT NULL,
	-- From the place the follower gave to the complaint, already rounded to 10 m.
	distance_m INT UNSIGNED NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (account_id, complaint_id),
	-- A complaint's followers (the outbox's recipients).
	KEY idx_complaint_followers_complaint (complaint_id),
	CONSTRAINT fk_complaint_followers_account FOREIGN KEY (account_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_complaint_followers_complaint FOREIGN KEY (complaint_id) REFERENCES complaints (id)
		ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS nearby_lookups (
	account_id BIGINT UNSIGNED NOT NULL,
	window_start DATETIME(3) NOT NULL,
	lookups INT UNSIGNED NOT NULL,
	PRIMARY KEY (account_id),
	CONSTRAINT fk_nearby_lookups_account FOREIGN KEY (account_id) REFERENCES accounts (id)
		ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
