-- 0004_email_key.sql: emails are one account when they differ only in letter case, and two when
-- they differ in anything else.
--
-- 0001 made accounts.email unique under utf8mb4_unicode_ci, which also ignores accents and folds
-- "ß" into "ss": josé@example.org could not sign up beside jose@example.org, and either address
-- found the other's account at sign-in. The key is now LOWER(email) compared byte for byte.
-- Re-runnable (IF [NOT] EXISTS on each step).

ALTER TABLE accounts ADD COLUMN IF NOT EXISTS
	email_key VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin AS (LOWER(email)) PERSISTENT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_accounts_email_key ON accounts (email_key);
DROP INDEX IF EXISTS uq_accounts_email ON accounts;
