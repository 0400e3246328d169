-- 0007_tokens.sql: single-use tokens sent in links (core/linktoken.c): an agent's invitation to
-- set a first password now; password resets and email confirmations later, in the same table.
--
-- The link carries 256 random bits (43 base64url characters); only their SHA-256 is stored here,
-- so a copy of this table opens no link. A token is used up by the one UPDATE that sets used_at
-- (WHERE used_at IS NULL AND expires_at > now): of two uses, the second changes nothing. Rows are
-- an account's pending state, like its sessions: they go with it (CASCADE), though accounts are
-- disabled, never deleted. Re-runnable (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS tokens (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	purpose ENUM('agent_invite', 'password_reset', 'email_confirm') NOT NULL,
	token_hash BINARY(32) NOT NULL,
	account_id BIGINT UNSIGNED NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	expires_at DATETIME(3) NOT NULL,
	-- NULL until the link's form is posted with it; then it opens nothing any more.
	used_at DATETIME(3) NULL,
	PRIMARY KEY (id),
	-- A link's token hash -> its row.
	UNIQUE KEY uq_tokens_token_hash (token_hash),
	-- An account's tokens of a purpose (e.g. an invitation still pending).
	KEY idx_tokens_account (account_id, purpose),
	-- Old rows, found and purged by expiry.
	KEY idx_tokens_expires (expires_at),
	CONSTRAINT fk_tokens_account FOREIGN KEY (account_id) REFERENCES accounts (id)
		ON DELETE CASCADE ON UPDATE RESTRICT,
	CONSTRAINT ck_tokens_expiry CHECK (expires_at > created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
