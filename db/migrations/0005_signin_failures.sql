-- 0005_signin_failures.sql: failed sign-ins, counted for throttling (core/throttle.c judges them).
--
-- One row per (scope, subject): scope 0 is the pair (typed email, client address), 1 the client
-- address, 2 the typed email alone; subject is a 16-byte BLAKE2b hash of what the scope is keyed
-- by, so neither a typed email nor an address is stored in the clear. Counted on the primary,
-- so every worker of every app host sees the same counts; a count restarts after a quiet window
-- and rows older than the window and the lock are deleted as new failures come. Re-runnable.

CREATE TABLE IF NOT EXISTS signin_failures (
	scope TINYINT UNSIGNED NOT NULL,
	subject BINARY(16) NOT NULL,
	failures INT UNSIGNED NOT NULL,
	last_failure DATETIME(3) NOT NULL,
	PRIMARY KEY (scope, subject),
	-- Old rows, found and deleted oldest first.
	KEY idx_signin_failures_last (last_failure),
	CONSTRAINT ck_signin_failures_scope CHECK (scope IN (0, 1, 2))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
