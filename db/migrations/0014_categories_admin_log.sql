-- 0014_categories_admin_log.sql: categories an admin edits (/admin/categories), the admin log's
-- filter by action (/admin/log), and auto-assignment's pools.
--
-- categories.target_hours: a target in hours ("48h": that many elapsed hours); NULL when the
-- target is in days (target_days: the same wall-clock time that many days later in the city's
-- zone). With hours, target_days holds them rounded up to whole days. 24 to 8760 hours: the
-- queue's filing-date ranges rely on a due date being 1 to 365 days after filing. Changing a
-- target never moves the due date of a complaint already filed (complaints.due_at is written
-- once, when filed).
-- admin_log (action, at): the log's filter by action reads in the page's order.
-- category_agents: per category, the agents auto-assignment ([workflow] auto_assign) may give its
-- new complaints to; edited on /admin/categories. A disabled agent stays in the pool and is
-- skipped.
-- Re-runnable (IF NOT EXISTS on each step).

ALTER TABLE categories ADD COLUMN IF NOT EXISTS target_hours SMALLINT UNSIGNED NULL AFTER target_days;
ALTER TABLE categories ADD CONSTRAINT IF NOT EXISTS ck_categories_target_hours
	CHECK (target_hours IS NULL OR target_hours BETWEEN 24 AND 8760);
CREATE INDEX IF NOT EXISTS idx_admin_log_action ON admin_log (action, at);
CREATE TABLE IF NOT EXISTS category_agents (
	category_id SMALLINT UNSIGNED NOT NULL,
	agent_id BIGINT UNSIGNED NOT NULL,
	added_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (category_id, agent_id),
	KEY idx_category_agents_agent (agent_id),
	CONSTRAINT fk_category_agents_category FOREIGN KEY (category_id) REFERENCES categories (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_category_agents_agent FOREIGN KEY (agent_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
