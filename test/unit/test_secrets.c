/*
 * test_secrets.c: the secrets file is read only when no one else can read it, its errors name
 * the file and line but never a value, and the backends' needed secrets are checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "secrets.h"

static char test_directory[] = "/tmp/test_secrets.XXXXXX";

static const char *test_write(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", test_directory, name);
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	fputs(text, file);
	fclose(file);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_reads_names_and_values(void **state)
{
	(void)state;
	struct secrets secrets = {0};
	char error[256] = "";
	const char *path = test_write("ok", "# the stack's secrets\ndb_app_password=s3cr=t\r\n\ns3_access_key=AK\n", 0600);
	assert_int_equal(secrets_load(&secrets, path, error, sizeof(error)), 0);
	assert_string_equal(secrets_get(&secrets, "db_app_password"), "s3cr=t");
	assert_string_equal(secrets_get(&secrets, "s3_access_key"), "AK");
	assert_null(secrets_get(&secrets, "s3_secret_key"));
	secrets_free(&secrets);
}

static void test_forget_removes_one_secret(void **state)
{
	(void)state;
	struct secrets secrets = {0};
	char error[256] = "";
	const char *path = test_write("forget", "a=1\ndb_migrate_password=ddl\nb=2\n", 0600);
	assert_int_equal(secrets_load(&secrets, path, error, sizeof(error)), 0);
	secrets_forget(&secrets, "db_migrate_password");
	assert_null(secrets_get(&secrets, "db_migrate_password"));
	assert_string_equal(secrets_get(&secrets, "a"), "1");
	assert_string_equal(secrets_get(&secrets, "b"), "2");
	assert_null(memmem(secrets.text, secrets.text_size, "ddl", 3));
	secrets_free(&secrets);
}

static void test_refuses_a_file_others_can_read(void **state)
{
	(void)state;
	struct secrets secrets = {0};
	char error[256] = "";
	const char *path = test_write("open", "db_app_password=hunter2hunter2\n", 0644);
	assert_int_not_equal(secrets_load(&secrets, path, error, sizeof(error)), 0);
	assert_non_null(strstr(error, "mode 0644"));
	assert_non_null(strstr(error, "0600"));
	assert_null(strstr(error, "hunter2"));
}

static void test_refuses_a_symlink(void **state)
{
	(void)state;
	struct secrets secrets = {0};
	char error[256] = "", link_path[256];
	const char *target = test_write("target", "db_app_password=x\n", 0600);
	snprintf(link_path, sizeof(link_path), "%s/link", test_directory);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_not_equal(secrets_load(&secrets, link_path, error, sizeof(error)), 0);
	assert_non_null(strstr(error, "cannot open"));
}

static void test_errors_name_the_line_not_the_value(void **state)
{
	(void)state;
	struct secrets secrets = {0};
	char error[256] = "";
	const char *path = test_write("dup", "a=topsecretvalue\n\nb=1\na=again\n", 0600);
	assert_int_not_equal(secrets_load(&secrets, path, error, sizeof(error)), 0);
	assert_non_null(strstr(error, ":4: a: given twice"));
	assert_null(strstr(error, "topsecret"));
	path = test_write("bad", "Not A Name=1\n", 0600);
	assert_int_not_equal(secrets_load(&secrets, path, error, sizeof(error)), 0);
	assert_non_null(strstr(error, ":1: expected name=value"));
	path = test_write("empty", "a=\n", 0600);
	assert_int_not_equal(secrets_load(&secrets, path, error, sizeof(error)), 0);
	assert_non_null(strstr(error, ":1: a: the value is empty"));
}

static void test_a_failed_load_keeps_the_old_secrets(void **state)
{
	(void)state;
	struct secrets secrets = {0};
	char error[256] = "";
	assert_int_equal(secrets_load(&secrets, test_write("first", "a=1\n", 0600), error, sizeof(error)), 0);
	assert_int_not_equal(secrets_load(&secrets, test_write("broken", "a=2\na=3\n", 0600), error, sizeof(error)), 0);
	assert_string_equal(secrets_get(&secrets, "a"), "1");
	secrets_free(&secrets);
}

static void test_backends_need_their_secrets(void **state)
{
	(void)state;
	struct config config = {0};
	struct secrets secrets = {0};
	char error[256] = "";
	const char *conf = test_write("complaintd.conf",
	                              "[server]\nlisten = /tmp/x.sock\n"
	                              "[s3]\nreplicas = us=http://127.0.0.1:1/b, jp=http://127.0.0.1:2/b\n", 0600);
	assert_int_equal(config_load(&config, conf, error, sizeof(error)), 0);
	assert_int_not_equal(config_check_secrets(&config, &secrets, error, sizeof(error)), 0);
	assert_non_null(strstr(error, "s3_access_key"));
	assert_int_equal(secrets_load(&secrets, test_write("s", "s3_access_key=a\ns3_secret_key=b\n", 0600), error,
	                              sizeof(error)), 0);
	assert_int_equal(config_check_secrets(&config, &secrets, error, sizeof(error)), 0);
	secrets_free(&secrets);
	config_free(&config);

	/* Accounts come with the database: its password and the key of the visitor forms' tokens. */
	conf = test_write("db.conf", "[server]\nlisten = /tmp/x.sock\n[db]\nreplicas = primary=mariadb://h:1/d\n", 0600);
	assert_int_equal(config_load(&config, conf, error, sizeof(error)), 0);
	assert_int_equal(secrets_load(&secrets, test_write("s2", "db_app_password=p\n", 0600), error, sizeof(error)), 0);
	assert_int_not_equal(config_check_secrets(&config, &secrets, error, sizeof(error)), 0);
	assert_non_null(strstr(error, "csrf_key is needed"));
	secrets_free(&secrets);
	assert_int_equal(secrets_load(&secrets, test_write("s3", "db_app_password=p\ncsrf_key=k\n", 0600), error,
	                              sizeof(error)), 0);
	assert_int_equal(config_check_secrets(&config, &secrets, error, sizeof(error)), 0);
	secrets_free(&secrets);
	config_free(&config);
}

static void test_replica_lists_are_checked_with_their_line(void **state)
{
	(void)state;
	struct config config = {0};
	char error[256] = "";
	const char *conf = test_write("replicas.conf",
	                              "[server]\nlisten = /tmp/x.sock\n[db]\n"
	                              "replicas = primary=mariadb://h:1/d, primary=mariadb://h:2/d\n", 0600);
	assert_int_not_equal(config_load(&config, conf, error, sizeof(error)), 0);
	assert_non_null(strstr(error, "replicas.conf:4: [db] replicas: "));
	assert_non_null(strstr(error, "replica 'primary' given twice"));
	conf = test_write("scheme.conf", "[server]\nlisten = /tmp/x.sock\n[s3]\nreplicas = us=ftp://h/b\n", 0600);
	assert_int_not_equal(config_load(&config, conf, error, sizeof(error)), 0);
	assert_non_null(strstr(error, "scheme.conf:4: [s3] replicas: replica us: the URL must start with http://"));
}

static int test_setup(void **state)
{
	(void)state;
	return mkdtemp(test_directory) == NULL ? -1 : 0;
}

static int test_teardown(void **state)
{
	(void)state;
	char command[300];
	snprintf(command, sizeof(command), "rm -rf '%s'", test_directory);
	return system(command) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_names_and_values),
		cmocka_unit_test(test_refuses_a_file_others_can_read),
		cmocka_unit_test(test_forget_removes_one_secret),
		cmocka_unit_test(test_refuses_a_symlink),
		cmocka_unit_test(test_errors_name_the_line_not_the_value),
		cmocka_unit_test(test_a_failed_load_keeps_the_old_secrets),
		cmocka_unit_test(test_backends_need_their_secrets),
		cmocka_unit_test(test_replica_lists_are_checked_with_their_line),
	};
	return cmocka_run_group_tests_name("secrets", tests, test_setup, test_teardown);
}
