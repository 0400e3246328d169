-- 0001_init.sql: the tables of complaintd (doc/DESIGN.md "Data"), for MariaDB 10.11 / InnoDB.
--
-- Applied once by `complaintctl migrate` as the migration user, then recorded in
-- schema_migrations with this file's sha256: never edit it after it has been applied anywhere;
-- change the schema in a new numbered file. MariaDB commits each DDL statement on its own, so a
-- run that stops half-way leaves some tables made: every statement here is written to be run
-- again (IF NOT EXISTS), and indexes live inside their CREATE TABLE so a table never exists
-- without them.
--
-- Conventions:
--   * Times are DATETIME(3) in UTC: every connection (the app's and complaintctl's) sets
--     time_zone = '+00:00', so CURRENT_TIMESTAMP(3) defaults are UTC too. DATETIME rather than
--     TIMESTAMP: no 2038 limit for due dates, no conversion by a session's zone.
--   * Text people type is utf8mb4_unicode_ci (so 'A@x.org' and 'a@x.org' are the same email);
--     tokens, hashes and codes the program compares byte for byte are ascii_bin or BINARY.
--   * Nothing a person made is deleted by a cascade from accounts: accounts are disabled
--     (disabled_at), never deleted, and an account that anything points at cannot be deleted
--     (ON DELETE RESTRICT). A complaint's own children (history, updates, feedback) go with it
--     (CASCADE) should an operator ever purge one, e.g. spam. What is only session state
--     (sessions) goes with its account.
--   * Status names and Open311: open = submitted, assigned, in_progress, resolved;
--     closed = closed, rejected. 'resolved' is the feedback hold: the agent says it is fixed, the
--     resident may confirm with feedback or reopen; the timer closes it after a while.

CREATE TABLE IF NOT EXISTS accounts (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	role ENUM('user', 'agent', 'admin') NOT NULL DEFAULT 'user',
	name VARCHAR(100) NOT NULL,
	-- Compared case-insensitively by the unique key; the app stores it as typed (trimmed).
	email VARCHAR(254) NOT NULL,
	-- For SMS notifications (E.164), optional.
	phone VARCHAR(20) CHARACTER SET ascii COLLATE ascii_bin NULL,
	-- crypto_pwhash_str's output: "$argon2id$v=19$m=...,t=...,p=1$salt$hash", under 128 bytes.
	password_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	password_changed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	-- An agent who left, or an account an admin locked: no sign-in, history kept.
	disabled_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_accounts_email (email),
	-- The admin's list of agents to assign to.
	KEY idx_accounts_role (role, name),
	CONSTRAINT ck_accounts_name CHECK (name <> ''),
	CONSTRAINT ck_accounts_email CHECK (email LIKE '_%@_%'),
	CONSTRAINT ck_accounts_phone CHECK (phone IS NULL OR phone REGEXP '^\\+[1-9][0-9]{6,14}$')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Kinds of problem; code is Open311's service_code (stable, in URLs), target_days sets a
-- complaint's due date when it is filed.
CREATE TABLE IF NOT EXISTS categories (
	id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
	code VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	name VARCHAR(100) NOT NULL,
	description VARCHAR(500) NOT NULL DEFAULT '',
	-- Open311 keywords and group, for clients that show a menu.
	keywords VARCHAR(255) NOT NULL DEFAULT '',
	group_name VARCHAR(100) NOT NULL DEFAULT '',
	target_days SMALLINT UNSIGNED NOT NULL,
	-- Order on the form; a category no longer offered is inactive, never deleted (complaints
	-- point at it).
	sort_order SMALLINT UNSIGNED NOT NULL DEFAULT 100,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_categories_code (code),
	CONSTRAINT ck_categories_code CHECK (code REGEXP '^[a-z0-9][a-z0-9_-]*$'),
	CONSTRAINT ck_categories_name CHECK (name <> ''),
	CONSTRAINT ck_categories_target_days CHECK (target_days BETWEEN 1 AND 365)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One complaint (an Open311 service request; its id is service_request_id).
CREATE TABLE IF NOT EXISTS complaints (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	category_id SMALLINT UNSIGNED NOT NULL,
	reporter_id BIGINT UNSIGNED NOT NULL,
	-- Plain text with line breaks; Open311 caps description at 4,000 characters.
	description VARCHAR(4000) NOT NULL,
	address VARCHAR(255) NULL,
	-- WGS84, about 0.1 m of precision; both or neither.
	lat DECIMAL(9, 6) NULL,
	lon DECIMAL(10, 6) NULL,
	-- The photo's object key in S3: the sha256 of its bytes, lower-case hex (same photo, same key).
	image_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	status ENUM('submitted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected')
		NOT NULL DEFAULT 'submitted',
	-- Why it is closed or rejected (the words are in status_track.reason, Open311 status_notes);
	-- the values follow mySociety's update statuses.
	closing_reason ENUM('fixed', 'duplicate', 'not_responsible', 'no_further_action', 'withdrawn',
	                    'no_feedback') NULL,
	assigned_agent_id BIGINT UNSIGNED NULL,
	assigned_at DATETIME(3) NULL,
	-- created_at + the category's target_days when filed (Open311 expected_datetime).
	due_at DATETIME(3) NOT NULL,
	resolved_at DATETIME(3) NULL,
	closed_at DATETIME(3) NULL,
	-- The filing form's random token: a resubmitted form (double click, retried POST, a write
	-- retried on the standby) hits this key instead of filing twice.
	submit_token VARBINARY(32) NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	UNIQUE KEY uq_complaints_submit_token (submit_token),
	-- "My complaints", newest first.
	KEY idx_complaints_reporter (reporter_id, created_at),
	-- An agent's dashboard: their complaints by status, soonest due first.
	KEY idx_complaints_agent (assigned_agent_id, status, due_at),
	-- The admin's unassigned queue (status 'submitted') by due date; overdue lists; the timer's
	-- auto-close of 'resolved' complaints uses (status, resolved_at) below.
	KEY idx_complaints_status_due (status, due_at),
	KEY idx_complaints_status_resolved (status, resolved_at),
	-- Open311 GET requests: by service_code and requested_datetime, or by date alone.
	KEY idx_complaints_category (category_id, created_at),
	KEY idx_complaints_created (created_at),
	-- Open311 updates since a time.
	KEY idx_complaints_updated (updated_at),
	-- Categories and accounts are never deleted while complaints point at them.
	CONSTRAINT fk_complaints_category FOREIGN KEY (category_id) REFERENCES categories (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_complaints_reporter FOREIGN KEY (reporter_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_complaints_agent FOREIGN KEY (assigned_agent_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT ck_complaints_description CHECK (description <> ''),
	CONSTRAINT ck_complaints_lat CHECK (lat BETWEEN -90 AND 90),
	CONSTRAINT ck_complaints_lon CHECK (lon BETWEEN -180 AND 180),
	CONSTRAINT ck_complaints_lat_lon CHECK ((lat IS NULL) = (lon IS NULL)),
	-- Open311: a request has a location (lat/long or an address).
	CONSTRAINT ck_complaints_location CHECK (lat IS NOT NULL OR address IS NOT NULL),
	CONSTRAINT ck_complaints_image_key CHECK (image_key REGEXP '^[0-9a-f]{64}$'),
	-- Assigned and in-progress complaints have an agent.
	CONSTRAINT ck_complaints_assigned CHECK (status NOT IN ('assigned', 'in_progress')
		OR assigned_agent_id IS NOT NULL),
	-- A closing reason exactly when closed or rejected.
	CONSTRAINT ck_complaints_closing CHECK ((status IN ('closed', 'rejected')) = (closing_reason IS NOT NULL)),
	CONSTRAINT ck_complaints_submit_token CHECK (LENGTH(submit_token) >= 16)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Every transition of a complaint: who, when, what, why. Written in the same transaction as the
-- change to complaints.status.
CREATE TABLE IF NOT EXISTS status_track (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	complaint_id BIGINT UNSIGNED NOT NULL,
	at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	-- NULL: the system (the timer's auto-close).
	actor_id BIGINT UNSIGNED NULL,
	action ENUM('submit', 'assign', 'reassign', 'unassign', 'start', 'resolve', 'reopen', 'close',
	            'reject', 'auto_close') NOT NULL,
	from_status ENUM('submitted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected') NULL,
	to_status ENUM('submitted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected') NOT NULL,
	reason VARCHAR(1000) NULL,
	PRIMARY KEY (id),
	-- A complaint's history, oldest first.
	KEY idx_status_track_complaint (complaint_id, at),
	KEY idx_status_track_actor (actor_id, at),
	-- History goes with its complaint; an actor cannot be deleted (accounts are disabled).
	CONSTRAINT fk_status_track_complaint FOREIGN KEY (complaint_id) REFERENCES complaints (id)
		ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT fk_status_track_actor FOREIGN KEY (actor_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT ck_status_track_first CHECK ((from_status IS NULL) = (action = 'submit'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Updates on a complaint: public ones (the resident sees them; Open311 notes) and internal notes
-- between agents and admins (internal = TRUE, never shown to the resident).
CREATE TABLE IF NOT EXISTS updates (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	complaint_id BIGINT UNSIGNED NOT NULL,
	author_id BIGINT UNSIGNED NOT NULL,
	internal BOOLEAN NOT NULL DEFAULT FALSE,
	body VARCHAR(4000) NOT NULL,
	-- A photo with the update (e.g. the repair done): S3 key as in complaints.image_key.
	image_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	-- A complaint's page: its updates in order (the resident's page filters internal ones out).
	KEY idx_updates_complaint (complaint_id, internal, created_at),
	-- Open311 servicerequestupdates since a time (public ones only).
	KEY idx_updates_created (internal, created_at),
	KEY idx_updates_author (author_id),
	CONSTRAINT fk_updates_complaint FOREIGN KEY (complaint_id) REFERENCES complaints (id)
		ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT fk_updates_author FOREIGN KEY (author_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT ck_updates_body CHECK (body <> ''),
	CONSTRAINT ck_updates_image_key CHECK (image_key REGEXP '^[0-9a-f]{64}$')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The resident's feedback on a resolved complaint: one per complaint (the primary key).
CREATE TABLE IF NOT EXISTS feedback (
	complaint_id BIGINT UNSIGNED NOT NULL,
	author_id BIGINT UNSIGNED NOT NULL,
	rating TINYINT UNSIGNED NOT NULL,
	comment VARCHAR(2000) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (complaint_id),
	-- Agents' ratings are read through complaints.assigned_agent_id; this serves the author's.
	KEY idx_feedback_author (author_id),
	KEY idx_feedback_created (created_at),
	CONSTRAINT fk_feedback_complaint FOREIGN KEY (complaint_id) REFERENCES complaints (id)
		ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT fk_feedback_author FOREIGN KEY (author_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT ck_feedback_rating CHECK (rating BETWEEN 1 AND 5)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Signed-in sessions. The cookie holds a random 256-bit token; only its sha256 is stored, so a
-- copy of this table signs nobody in. Idle and absolute expiry are checked against last_seen_at
-- and created_at with the configured timeouts.
CREATE TABLE IF NOT EXISTS sessions (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	token_hash BINARY(32) NOT NULL,
	account_id BIGINT UNSIGNED NOT NULL,
	-- The per-session key the CSRF tokens are derived from (or compared with).
	csrf_secret BINARY(32) NOT NULL,
	-- Read-your-writes: the GTID of the session's last write ("domain-server-sequence", possibly
	-- a list); a replica serves the session's reads only once it has applied it.
	last_write_gtid VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	last_seen_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	-- Every request: the cookie's token hash -> session.
	UNIQUE KEY uq_sessions_token_hash (token_hash),
	-- Sign-out everywhere, a password change ending the other sessions.
	KEY idx_sessions_account (account_id),
	-- The timer's purge of expired sessions.
	KEY idx_sessions_last_seen (last_seen_at),
	-- A session is nothing without its account.
	CONSTRAINT fk_sessions_account FOREIGN KEY (account_id) REFERENCES accounts (id)
		ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- What admins did (accounts made or disabled, roles changed, assignments, categories edited).
-- An audit trail: its rows are never updated, and what they point at cannot be deleted.
CREATE TABLE IF NOT EXISTS admin_log (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	-- NULL: complaintctl on the server (e.g. create-admin), not a signed-in admin.
	actor_id BIGINT UNSIGNED NULL,
	action VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	target_account_id BIGINT UNSIGNED NULL,
	target_complaint_id BIGINT UNSIGNED NULL,
	target_category_id SMALLINT UNSIGNED NULL,
	detail VARCHAR(1000) NOT NULL DEFAULT '',
	PRIMARY KEY (id),
	KEY idx_admin_log_at (at),
	KEY idx_admin_log_actor (actor_id, at),
	KEY idx_admin_log_target_account (target_account_id, at),
	KEY idx_admin_log_target_complaint (target_complaint_id, at),
	KEY idx_admin_log_target_category (target_category_id, at),
	CONSTRAINT fk_admin_log_actor FOREIGN KEY (actor_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_admin_log_target_account FOREIGN KEY (target_account_id) REFERENCES accounts (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_admin_log_target_complaint FOREIGN KEY (target_complaint_id) REFERENCES complaints (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT fk_admin_log_target_category FOREIGN KEY (target_category_id) REFERENCES categories (id)
		ON DELETE RESTRICT ON UPDATE RESTRICT,
	CONSTRAINT ck_admin_log_action CHECK (action <> '')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The outbox: a message is written here in the transaction that causes it, and the notifier
-- delivers it (SNS for sms, SMTP for email) with retries. recipient and body are copied at
-- enqueue time, so a row is deliverable on its own.
CREATE TABLE IF NOT EXISTS notifications (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	channel ENUM('email', 'sms') NOT NULL,
	-- An email address or an E.164 number.
	recipient VARCHAR(254) NOT NULL,
	subject VARCHAR(255) NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	-- Whom and what it is about (the copied recipient is what delivery uses).
	account_id BIGINT UNSIGNED NULL,
	complaint_id BIGINT UNSIGNED NULL,
	-- pending: to send at next_attempt_at; sending: claimed by the notifier (claimed_at); sent;
	-- failed: gave up after the last attempt.
	state ENUM('pending', 'sending', 'sent', 'failed') NOT NULL DEFAULT 'pending',
	attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0,
	next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	claimed_at DATETIME(3) NULL,
	last_error VARCHAR(500) NULL,
	sent_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (id),
	-- The notifier: due rows, oldest due first.
	KEY idx_notifications_due (state, next_attempt_at),
	KEY idx_notifications_account (account_id, created_at),
	KEY idx_notifications_complaint (complaint_id),
	-- Nothing these name is deleted in normal operation; if an operator purges one, the delivery
	-- record stays (SET NULL) rather than blocking the purge or vanishing with it.
	CONSTRAINT fk_notifications_account FOREIGN KEY (account_id) REFERENCES accounts (id)
		ON DELETE SET NULL ON UPDATE RESTRICT,
	CONSTRAINT fk_notifications_complaint FOREIGN KEY (complaint_id) REFERENCES complaints (id)
		ON DELETE SET NULL ON UPDATE RESTRICT,
	CONSTRAINT ck_notifications_recipient CHECK (recipient <> '')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Per-location replica statistics (the WS-DREAM tables): each host flushes, per period, the
-- counts librepl kept for each (operation, replica) in that period. The key makes a flush
-- re-runnable (INSERT ... ON DUPLICATE KEY UPDATE). Means and deviations are over the period's
-- successes, so periods merge exactly (pooled variance) with the counts.
CREATE TABLE IF NOT EXISTS replica_observations (
	location VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	operation VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	replica VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	period_start DATETIME(3) NOT NULL,
	period_end DATETIME(3) NOT NULL,
	attempts BIGINT UNSIGNED NOT NULL DEFAULT 0,
	successes BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_timeout BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_connect BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_protocol BIGINT UNSIGNED NOT NULL DEFAULT 0,
	fail_other BIGINT UNSIGNED NOT NULL DEFAULT 0,
	rtt_mean_ms DOUBLE NULL,
	rtt_std_ms DOUBLE NULL,
	rtt_min_ms DOUBLE NULL,
	rtt_max_ms DOUBLE NULL,
	-- 32 log2 buckets of microseconds, as a JSON array of counts.
	histogram JSON NULL,
	PRIMARY KEY (location, operation, replica, period_start),
	-- The tables over a time window, every location.
	KEY idx_replica_observations_period (period_start),
	CONSTRAINT ck_replica_observations_period CHECK (period_end > period_start),
	CONSTRAINT ck_replica_observations_counts CHECK (successes + fail_timeout + fail_connect
		+ fail_protocol + fail_other = attempts)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
