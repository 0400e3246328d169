-- 0012_notification_optouts.sql: the kinds of mail an account switched off (on /account, or by
-- the one-click unsubscribe link of a status mail; core/optout.c lists the kinds that may be).
--
-- A row means "this account does not want this kind": no row, the kind is on, so a kind added
-- later starts on for everyone. The outbox's INSERTs of an event (store/db_outbox.c) read this
-- table in the event's own transaction and write no notification for a kind its recipient
-- switched off. Security mails (invitations, password resets, address confirmations) are never
-- written here and never looked up. Rows are an account's settings: they go with it (CASCADE).
-- Re-runnable (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS notification_optouts (
	account_id BIGINT UNSIGNED NOT NULL,
	-- notifications.kind's value.
	kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	-- The outbox's lookup (account, kind) is this key.
	PRIMARY KEY (account_id, kind),
	CONSTRAINT fk_notification_optouts_account FOREIGN KEY (account_id) REFERENCES accounts (id)
		ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT ck_notification_optouts_kind CHECK (kind <> '')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
