/*
 * repl_overhead.c: what librepl's executor costs. First the executor alone: par over three
 * in-process replicas that answer at once (ops/s, µs per operation). Then, when given three S3
 * replica URLs and credentials (REPL_BENCH_URLS="u1,u2,u3", REPL_BENCH_ACCESS_KEY,
 * REPL_BENCH_SECRET_KEY), the wall time of a signed GET through par over the three against one
 * plain libcurl easy request to the first, both on reused connections. It prints numbers and
 * asserts nothing. Stats are off (no struct repl_stats): repl_stats_record is test/repl_stats_stub.c's.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repl.h"
#include "transport.h"
#include "inproc.h"

#define BENCH_INPROC_OPS 200000
#define BENCH_HTTP_OPS 300

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct par3 {
	struct repl_node nodes[4];
	struct repl_node *links[3];
	struct repl_policy policy;
	struct repl_operation op;
};

static void par3_make(struct par3 *p, const struct repl_set *set, const char *name,
                      repl_classify_fn classify)
{
	memset(p, 0, sizeof *p);
	for (unsigned i = 0; i < 3; i++) {
		p->nodes[i + 1].kind = REPL_NODE_REPLICA;
		p->nodes[i + 1].replica = i;
		p->links[i] = &p->nodes[i + 1];
	}
	p->nodes[0].kind = REPL_NODE_PAR;
	p->nodes[0].children = p->links;
	p->nodes[0].child_count = 3;
	p->policy.set = set;
	p->policy.root = &p->nodes[0];
	snprintf(p->op.name, sizeof p->op.name, "%s", name);
	p->op.set = set;
	p->op.policy = &p->policy;
	p->op.idempotent = true;
	p->op.classify = classify;
	p->op.attempt_timeout_ms = 5000;
	p->op.deadline_ms = 10000;
}

static int bench_inproc(void)
{
	struct inproc *in = NULL;
	struct repl_client *client = NULL;
	struct repl_set set = {.name = "bench", .count = 3};
	struct par3 p;
	struct repl_http_request request = {.method = "GET", .path = "/k", .response_max = 64};
	struct repl_result result;
	int rc = 1;

	for (unsigned i = 0; i < 3; i++) {
		snprintf(set.replicas[i].name, sizeof set.replicas[i].name, "r%u", i);
		set.replicas[i].index = i;
	}
	par3_make(&p, &set, "bench.get", repl_classify_http_read);
	if (inproc_new(&in) != INPROC_OK || repl_client_new(&client, NULL) != REPL_OK)
		goto out;
	repl_client_use(client, inproc_transport(in), inproc_clock(in), 1);
	double t0 = now_s();
	for (long i = 0; i < BENCH_INPROC_OPS; i++) {
		if (repl_execute_http(client, &p.op, &request, &result) != REPL_OK) {
			fprintf(stderr, "inproc execution %ld failed\n", i);
			goto out;
		}
		repl_result_free(&result);
		inproc_reset(in);
	}
	double took = now_s() - t0;
	printf("executor, par over 3 in-process replicas: %d ops in %.3f s = %.0f ops/s, %.2f us/op\n",
	       BENCH_INPROC_OPS, took, BENCH_INPROC_OPS / took, took * 1e6 / BENCH_INPROC_OPS);
	rc = 0;
out:
	repl_client_free(client);
	inproc_free(in);
	return rc;
}

static size_t discard(char *data, size_t size, size_t count, void *user)
{
	(void)data;
	(void)user;
	return size * count;
}

static int bench_http(const char *urls, const char *key, const char *secret)
{
	struct repl_set set = {.name = "s3", .count = 3};
	struct repl_client *client = NULL;
	struct par3 put, get;
	struct repl_result result;
	CURL *easy = NULL;
	struct curl_slist *headers = NULL;
	int rc = 1;
	const char *p = urls;

	for (unsigned i = 0; i < 3; i++) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof set.replicas[i].url) {
			fprintf(stderr, "REPL_BENCH_URLS: three comma-separated URLs\n");
			return 1;
		}
		memcpy(set.replicas[i].url, p, n);
		set.replicas[i].url[n] = '\0';
		snprintf(set.replicas[i].name, sizeof set.replicas[i].name, "r%u", i);
		set.replicas[i].index = i;
		p += n + (p[n] == ',');
	}
	par3_make(&put, &set, "s3.put", repl_classify_http_write);
	par3_make(&get, &set, "s3.get", repl_classify_http_read);
	put.nodes[0].kind = REPL_NODE_QUORUM;
	put.nodes[0].parameter = 3;
	static const char body[] = "benchmark object";
	static const struct repl_http_header content_type[] = {{"Content-Type", "text/plain"}};
	struct repl_http_request request = {
		.method = "PUT", .path = "/bench/object", .headers = content_type, .header_count = 1,
		.body = body, .body_len = sizeof body - 1, .sigv4_service = "s3",
		.sigv4_region = "us-east-1", .access_key = key, .secret_key = secret, .response_max = 4096,
	};
	if (repl_client_new(&client, NULL) != REPL_OK)
		goto out;
	if (repl_execute_http(client, &put.op, &request, &result) != REPL_OK) {
		fprintf(stderr, "PUT failed: status %d, HTTP %ld\n", (int)result.status, result.response.status);
		repl_result_free(&result);
		goto out;
	}
	repl_result_free(&result);
	request.method = "GET";
	request.headers = NULL;
	request.header_count = 0;
	request.body = NULL;
	request.body_len = 0;

	double t0 = now_s();
	for (int i = 0; i < BENCH_HTTP_OPS; i++) {
		if (repl_execute_http(client, &get.op, &request, &result) != REPL_OK) {
			fprintf(stderr, "GET %d failed: status %d\n", i, (int)result.status);
			repl_result_free(&result);
			goto out;
		}
		repl_result_free(&result);
	}
	double par_took = now_s() - t0;

	char url[600], userpwd[300];
	snprintf(url, sizeof url, "%s/bench/object", set.replicas[0].url);
	snprintf(userpwd, sizeof userpwd, "%s:%s", key, secret);
	headers = curl_slist_append(NULL, "x-amz-content-sha256: "
	                                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	easy = curl_easy_init();
	if (!headers || !easy)
		goto out;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
	curl_easy_setopt(easy, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	t0 = now_s();
	for (int i = 0; i < BENCH_HTTP_OPS; i++) {
		long status = 0;
		if (curl_easy_perform(easy) != CURLE_OK ||
		    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
			fprintf(stderr, "plain GET %d failed (HTTP %ld)\n", i, status);
			goto out;
		}
	}
	double plain_took = now_s() - t0;
	printf("signed GET, par over 3 loopback S3 replicas: %.3f ms/op (%d ops)\n",
	       par_took * 1e3 / BENCH_HTTP_OPS, BENCH_HTTP_OPS);
	printf("signed GET, one plain libcurl easy request:   %.3f ms/op (%d ops)\n",
	       plain_took * 1e3 / BENCH_HTTP_OPS, BENCH_HTTP_OPS);
	rc = 0;
out:
	curl_easy_cleanup(easy);
	curl_slist_free_all(headers);
	repl_client_free(client);
	return rc;
}

int main(void)
{
	if (bench_inproc() != 0)
		return 1;
	const char *urls = getenv("REPL_BENCH_URLS");
	const char *key = getenv("REPL_BENCH_ACCESS_KEY");
	const char *secret = getenv("REPL_BENCH_SECRET_KEY");
	if (!urls || !key || !secret) {
		printf("HTTP part not run: set REPL_BENCH_URLS=u1,u2,u3, REPL_BENCH_ACCESS_KEY and "
		       "REPL_BENCH_SECRET_KEY (a stack's S3 replicas: packaging/stack.sh s3_url, secrets)\n");
		return 0;
	}
	return bench_http(urls, key, secret);
}
