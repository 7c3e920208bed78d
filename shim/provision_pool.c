/*
 * provision_pool.c
 *	  vapi-shim pool fill and vapi-shim pool sync: the phone numbers of a
 *	  broker's pool at Vapi.
 *
 * pool fill asks vapi_pool.pool_fill to queue the purchases that bring the
 * broker's pool to its number_pool_size, prints them, then watches their
 * outbox jobs (once a second, up to --wait-seconds) while the dispatcher
 * buys each number and its report adds it to the pool; it buys nothing
 * itself.  The jobs stay queued when the wait ends: the dispatcher finishes
 * them whenever it runs.
 *
 * pool sync lists every number of the Vapi account (GET /phone-number,
 * page after page, by createdAt bounds), hands the list to
 * vapi_pool.pool_sync, which links, imports or skips each number, and
 * points each number the database says needs it at this deployment (PATCH
 * /phone-number/{id}, server.url), keeping the rest of its server object.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "http_client.h"
#include "provision_shared.h"

/*
 * GET /phone-number pages: Vapi's default size first, halved while an answer
 * is too long for the HTTP client to keep (HTTP_BODY_MAX).
 */
#define PHONE_NUMBER_PAGE 100
/* requests made at most to list the numbers (a safety net against a paging loop) */
#define PHONE_NUMBER_MAX_REQUESTS 10000
/* pool fill: how long jobs may sit untouched before we say nothing moves */
#define NOTHING_MOVES_SECS 10

/* Print the usage of "vapi-shim pool" (provision.c adds the shared part). */
void
pool_usage(FILE *out)
{
	fprintf(out,
			"Usage:\n"
			"  vapi-shim pool fill --broker UUID [--area-code NNN] [--dry-run] [--wait-seconds N] [OPTION]...\n"
			"  vapi-shim pool sync [--broker UUID] [OPTION]...\n"
			"\n"
			"pool fill asks the database (vapi_pool.pool_fill) to queue the purchases that\n"
			"bring the broker's pool to its number_pool_size, prints them, then waits until\n"
			"the dispatcher (vapi-shim dispatch, which must be running) has bought each\n"
			"number or given up, and prints the numbers or the errors.\n"
			"  --broker UUID       the broker whose pool to fill (required)\n"
			"  --area-code NNN     ask Vapi for numbers in this area code\n"
			"  --dry-run           print what would be bought; queue nothing\n"
			"  --wait-seconds N    wait at most N seconds for the purchases (default %d; 0: do not wait)\n"
			"\n"
			"pool sync lists the numbers of the Vapi account (GET /phone-number), hands them\n"
			"to the database (vapi_pool.pool_sync), which links the known ones and imports\n"
			"the others into the broker's pool, and points each number that needs it at\n"
			"this deployment (PATCH /phone-number/{id}, server.url).\n"
			"  --broker UUID       the broker whose pool unknown numbers join\n",
			DEFAULT_WAIT_SECONDS);
}

/* ---------------------------------------------------------------- pool fill */

/* A job of pool fill's, as the outbox shows it. */
typedef struct purchase_job
{
	char		id[24];
	char		state[16];
	int			attempts;
	int			reported;		/* its outcome was printed */
	int			bought;			/* done, and its number is in the pool */
	char	   *last_error;
} purchase_job;

/*
 * Each watched job: its outbox row, and the number it added to the pool
 * (the report records the bought number's Vapi id as result.phone_number_id
 * and adds the number to the broker's pool).
 */
#define WATCH_JOBS_SQL \
	"SELECT o.id, o.state, o.attempts, o.last_http_status, o.last_error," \
	"       o.result ->> 'phone_number_id', p.number::text" \
	"  FROM vapi_pool.outbox o" \
	"  LEFT JOIN vapi_pool.vapi_number_pool p" \
	"    ON p.org_id = o.org_id AND p.vapi_phone_number_id = o.result ->> 'phone_number_id'" \
	" WHERE o.id = ANY ($1::bigint[])" \
	" ORDER BY o.id"

/* Split a bigint[] literal ("{1,2,3}") into jobs; returns how many. */
static int
parse_job_ids(const char *literal, purchase_job **jobs)
{
	int			n = 0;
	const char *p = literal;

	*jobs = calloc(strlen(literal) / 2 + 1, sizeof(purchase_job));
	while (*p)
	{
		size_t		len;

		while (*p && !isdigit((unsigned char) *p))
			p++;
		len = strspn(p, "0123456789");
		if (len == 0 || len >= sizeof((*jobs)[n].id))
			break;
		memcpy((*jobs)[n].id, p, len);
		(*jobs)[n].id[len] = '\0';
		strcpy((*jobs)[n].state, "pending");
		n++;
		p += len;
	}
	return n;
}

/* The jobs' ids as one bigint[] literal, "{1,2,3}" (malloc'd). */
static char *
array_literal(const purchase_job *jobs, int n)
{
	size_t		len = 3;
	char	   *out;

	for (int i = 0; i < n; i++)
		len += strlen(jobs[i].id) + 1;
	out = malloc(len);
	strcpy(out, "{");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			strcat(out, ",");
		strcat(out, jobs[i].id);
	}
	strcat(out, "}");
	return out;
}

/* The job with this id, or NULL. */
static purchase_job *
find_job(purchase_job *jobs, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(jobs[i].id, id) == 0)
			return &jobs[i];
	return NULL;
}

/* Print a finished job once: the number it bought, or why it failed. */
static void
report_finished_job(purchase_job *job, const char *http_status, const char *vapi_id, const char *number)
{
	const char *error = job->last_error;

	if (job->reported)
		return;
	job->reported = 1;
	if (strcmp(job->state, "done") == 0 && number)
	{
		job->bought = 1;
		printf("  bought %s (Vapi phone number %s, job %s)\n", number, vapi_id ? vapi_id : "?", job->id);
	}
	else if (strcmp(job->state, "done") == 0)
		printf("  job %s: bought %s but it is not in the pool: %s\n", job->id,
			   vapi_id ? vapi_id : "a number", error && error[0] ? error : "no reason given");
	else
	{
		/* the outbox's error usually names the status already */
		int			show_status = http_status && !(error && strncmp(error, "HTTP ", 5) == 0);

		printf("  job %s failed after %d attempt%s: %s%s%s%s\n", job->id, job->attempts,
			   job->attempts == 1 ? "" : "s", show_status ? "HTTP " : "", show_status ? http_status : "",
			   show_status && error ? ": " : "", error ? error : (show_status ? "" : "no reason given"));
	}
}

/*
 * Read the jobs' states once; print each job that finished.  Returns how
 * many are still open, -1 on a database error; *moved is set once any job
 * was claimed.
 */
static int
poll_jobs(PGconn *conn, const char *ids, purchase_job *jobs, int n, int *moved)
{
	const char *params[] = {ids};
	PGresult   *res = tool_db_query(conn, WATCH_JOBS_SQL, 1, params);
	int			open = 0;

	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
	{
		purchase_job *job = find_job(jobs, n, PQgetvalue(res, i, 0));
		const char *error = tool_field(res, i, 4);

		if (job == NULL)
			continue;
		snprintf(job->state, sizeof(job->state), "%s", PQgetvalue(res, i, 1));
		job->attempts = atoi(PQgetvalue(res, i, 2));
		free(job->last_error);
		job->last_error = error ? strdup(error) : NULL;
		if (job->attempts > 0 || strcmp(job->state, "pending") != 0)
			*moved = 1;
		if (strcmp(job->state, "done") == 0 || strcmp(job->state, "dead") == 0)
			report_finished_job(job, tool_field(res, i, 3), tool_field(res, i, 5), tool_field(res, i, 6));
		else
			open++;
	}
	PQclear(res);
	return open;
}

/* Seconds on the monotonic clock. */
static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print the jobs still open when the wait ended, and why it ended. */
static void
report_unfinished(const purchase_job *jobs, int n, int open, int moved, int wait_seconds)
{
	for (int i = 0; i < n; i++)
		if (!jobs[i].reported)
			printf("  job %s still %s after %d attempt%s%s%s\n", jobs[i].id, jobs[i].state,
				   jobs[i].attempts, jobs[i].attempts == 1 ? "" : "s",
				   jobs[i].last_error ? "; last error: " : "", jobs[i].last_error ? jobs[i].last_error : "");
	tool_error("%s after %d s: %d of %d purchases not finished; their jobs stay queued and the dispatcher buys them when it runs",
			   moved ? "timed out" : "nothing moved: no dispatcher picked them up", wait_seconds, open, n);
}

/*
 * Wait (polling each second, up to wait_seconds) until every job is done or
 * dead, printing each outcome.  Returns the exit status: 0 if every number
 * was bought and is in the pool.
 */
static int
wait_for_purchases(PGconn *conn, const char *job_ids, int wait_seconds)
{
	purchase_job *jobs;
	int			n = parse_job_ids(job_ids, &jobs);
	char	   *ids = array_literal(jobs, n);
	int			moved = 0;
	int			warned = 0;
	int			open = n;
	int			bought = 0;
	double		start = now_seconds();

	printf("waiting up to %d s for the dispatcher (vapi-shim dispatch) to buy %d number%s...\n",
		   wait_seconds, n, n == 1 ? "" : "s");
	fflush(stdout);
	for (;;)
	{
		double		elapsed;

		open = poll_jobs(conn, ids, jobs, n, &moved);
		fflush(stdout);
		elapsed = now_seconds() - start;
		if (open <= 0 || elapsed >= wait_seconds)
			break;
		if (!moved && !warned && elapsed >= NOTHING_MOVES_SECS)
		{
			tool_error("no dispatcher has picked up the purchases after %d s: is \"vapi-shim dispatch\" running against this database, with --vapi-api-key?",
					   NOTHING_MOVES_SECS);
			warned = 1;
		}
		sleep(1);
	}
	for (int i = 0; i < n; i++)
		bought += jobs[i].bought;
	if (open < 0)
		tool_error("stopped watching the purchases: their jobs stay queued for the dispatcher");
	else
	{
		if (open > 0)
			report_unfinished(jobs, n, open, moved, wait_seconds);
		printf("%d bought, %d failed, %d not finished\n", bought, n - bought - open, open);
	}
	for (int i = 0; i < n; i++)
		free(jobs[i].last_error);
	free(jobs);
	free(ids);
	return bought == n ? EXIT_SUCCESS : EXIT_RUNTIME;
}

/* text + more in a new string (text is freed; NULL counts as ""). */
static char *
append_text(char *text, const char *more)
{
	size_t		len = (text ? strlen(text) : 0) + strlen(more) + 1;
	char	   *out = malloc(len);

	snprintf(out, len, "%s%s", text ? text : "", more);
	free(text);
	return out;
}

/* vapi-shim pool fill: queue the purchases the database asks for and watch them. */
int
pool_fill(const shim_config *cfg, const tool_options *o)
{
	int			bad;
	char	   *server_url = vapi_server_url(cfg, &bad);
	PGconn	   *conn;
	PGresult   *res;
	const char *params[4];
	int			status = EXIT_SUCCESS;
	char	   *ids = NULL;
	int			queued = 0;
	int			pending = 0;

	if (o->broker == NULL)
		return tool_usage_error("pool", "pool fill needs --broker UUID");
	if (bad)
		return tool_usage_error("pool", "VAPI_POOL_PUBLIC_URL (--public-url) must be an http(s) URL without query, got \"%s\"",
						   cfg->public_url);
	if (server_url == NULL && !o->dry_run)
		return tool_usage_error("pool", "VAPI_POOL_PUBLIC_URL (--public-url) is not set: bought numbers must be pointed at this deployment");
	if ((conn = tool_db_connect(cfg)) == NULL)
	{
		free(server_url);
		return EXIT_RUNTIME;
	}

	params[0] = o->broker;
	params[1] = o->area_code;
	params[2] = server_url;
	params[3] = o->dry_run ? "true" : "false";
	res = tool_db_query(conn,
				   "SELECT broker_id, pool_size, in_pool, pending, queued, job_ids::text"
				   "  FROM vapi_pool.pool_fill($1::uuid, $2::text, $3::text, $4::boolean)", 4, params);
	if (res == NULL)
		status = EXIT_RUNTIME;
	else
	{
		for (int i = 0; i < PQntuples(res); i++)
		{
			printf("broker %s: pool size %s, in the pool %s, purchases under way %s, %s %s%s%s\n",
				   PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				   PQgetvalue(res, i, 3), o->dry_run ? "would buy" : "queued", PQgetvalue(res, i, 4),
				   o->area_code ? " in area code " : "", o->area_code ? o->area_code : "");
			queued += atoi(PQgetvalue(res, i, 4));
			pending += atoi(PQgetvalue(res, i, 3));
			if (tool_field(res, i, 5))
				ids = append_text(ids, tool_field(res, i, 5));
		}
		PQclear(res);
		if (o->dry_run)
			printf("dry run: nothing queued\n");
		else if (queued == 0 || ids == NULL || strspn(ids, "{}") == strlen(ids))
			printf("nothing to buy%s\n", pending > 0 ? " (the purchases under way are the dispatcher's)" : "");
		else if (o->wait_seconds == 0)
			printf("not waiting (--wait-seconds 0): the dispatcher buys them\n");
		else
			status = wait_for_purchases(conn, ids, o->wait_seconds);
	}
	free(ids);
	free(server_url);
	PQfinish(conn);
	return status;
}

/* ---------------------------------------------------------------- pool sync */

/* The createdAt of a listed number, or "" if it has none. */
static const char *
created_at(const json_t *number)
{
	const char *v = json_string_value(json_object_get(number, "createdAt"));

	return v ? v : "";
}

/*
 * Add the numbers of page to all that are not in it yet (by id); returns
 * how many were new.
 */
static int
merge_numbers(json_t *all, const json_t *page)
{
	size_t		i;
	size_t		j;
	json_t	   *number;
	json_t	   *seen;
	int			added = 0;

	json_array_foreach(page, i, number)
	{
		const char *id = json_string_value(json_object_get(number, "id"));
		int			dup = 0;

		json_array_foreach(all, j, seen)
		{
			const char *seen_id = json_string_value(json_object_get(seen, "id"));

			if (id && seen_id && strcmp(id, seen_id) == 0)
			{
				dup = 1;
				break;
			}
		}
		if (!dup)
		{
			json_array_append(all, number);
			added++;
		}
	}
	return added;
}

/*
 * The createdAt bound of the page after a full one ("&createdAtLe=..." into
 * bound).  Vapi lists at most `limit` numbers, filtered by createdAt bounds;
 * the page's order tells which end to continue from.  The bound is
 * inclusive (numbers created in the same instant may straddle pages), so
 * pages overlap and merge_numbers drops the repeats.
 */
static void
next_page_bound(const json_t *page, char *bound, size_t len)
{
	size_t		n = json_array_size(page);
	const char *first = created_at(json_array_get(page, 0));
	const char *last = created_at(json_array_get(page, n - 1));
	int			newest_first = strcmp(first, last) >= 0;
	char	   *escaped = curl_easy_escape(NULL, newest_first ? last : first, 0);

	snprintf(bound, len, "&%s=%s", newest_first ? "createdAtLe" : "createdAtGe", escaped ? escaped : "");
	curl_free(escaped);
}

/*
 * One page of numbers (GET path): the decoded array; NULL with *truncated
 * set when the answer was longer than the HTTP client keeps; NULL
 * (reported) on any other failure.
 */
static json_t *
get_numbers_page(const vapi_api *api, const char *path, int *truncated)
{
	http_response resp;
	long		status = vapi_send(api, "GET", path, NULL, &resp);
	json_t	   *page = NULL;
	json_error_t err;

	*truncated = http_ok(status) && resp.body_len >= HTTP_BODY_MAX;
	if (!http_ok(status))
		report_http_failure("GET", path, &resp);
	else if (!*truncated && (page = json_loadb(resp.body, resp.body_len, 0, &err)) == NULL)
		tool_error("GET %s: the answer is not JSON (%s)", path, err.text);
	else if (page && !json_is_array(page))
	{
		tool_error("GET %s: the answer is not a JSON array", path);
		json_decref(page);
		page = NULL;
	}
	http_response_free(&resp);
	return page;
}

/*
 * Every number of the Vapi account (GET /phone-number, page after page
 * while a page comes back full); NULL (reported) on failure.
 */
static json_t *
list_phone_numbers(const vapi_api *api)
{
	char		path[256];
	char		bound[160] = "";
	int			limit = PHONE_NUMBER_PAGE;
	json_t	   *all = json_array();

	for (int requests = 0; requests < PHONE_NUMBER_MAX_REQUESTS; requests++)
	{
		int			truncated;
		json_t	   *page;
		int			added;

		snprintf(path, sizeof(path), "/phone-number?limit=%d%s", limit, bound);
		page = get_numbers_page(api, path, &truncated);
		if (truncated && limit > 1)
		{
			limit /= 2;			/* the same page again, smaller */
			continue;
		}
		if (page == NULL)
		{
			if (truncated)
				tool_error("GET %s: one number is longer than %d bytes", path, HTTP_BODY_MAX);
			json_decref(all);
			return NULL;
		}
		added = merge_numbers(all, page);
		if (json_array_size(page) < (size_t) limit || added == 0)
		{
			if (json_array_size(page) >= (size_t) limit)
				tool_error("warning: a full page of numbers brought no new one (more than %d created in the same instant?): the list may be incomplete",
						   limit);
			json_decref(page);
			return all;
		}
		next_page_bound(page, bound, sizeof(bound));
		json_decref(page);
	}
	tool_error("warning: stopped listing numbers after %d requests", PHONE_NUMBER_MAX_REQUESTS);
	return all;
}

/* The listed number whose id is id, or NULL. */
static json_t *
find_number(const json_t *numbers, const char *id)
{
	size_t		i;
	json_t	   *number;

	json_array_foreach(numbers, i, number)
	{
		const char *nid = json_string_value(json_object_get(number, "id"));

		if (nid && strcmp(nid, id) == 0)
			return number;
	}
	return NULL;
}

/*
 * Point a number at url: PATCH /phone-number/{id} with its server object
 * as listed (credential, headers, timeout kept) and url as server.url.
 * Writes what happened into outcome; returns 0 on success.
 */
static int
patch_server_url(const vapi_api *api, const json_t *numbers, const char *id, const char *url,
				 char *outcome, size_t len)
{
	const json_t *listed = find_number(numbers, id);
	json_t	   *server = json_deep_copy(json_object_get(listed, "server"));
	json_t	   *body;
	char	   *text;
	char		path[192];
	http_response resp;
	long		status;

	if (!is_path_id(id))
	{
		snprintf(outcome, len, "not set: unusable id");
		json_decref(server);
		return -1;
	}
	if (!json_is_object(server))
	{
		json_decref(server);
		server = json_object();
	}
	json_object_set_new(server, "url", json_string(url));
	body = json_pack("{s:o}", "server", server);
	text = json_dumps(body, JSON_COMPACT);
	snprintf(path, sizeof(path), "/phone-number/%s", id);
	status = vapi_send(api, "PATCH", path, text, &resp);
	if (http_ok(status))
		snprintf(outcome, len, "set");
	else
	{
		char		msg[VENDOR_MESSAGE_MAX];

		vendor_message(&resp, msg, sizeof(msg));
		if (status == 0)
			snprintf(outcome, len, "FAILED: no answer: %s", msg);
		else
			snprintf(outcome, len, "FAILED: HTTP %ld: %s", status, msg);
	}
	http_response_free(&resp);
	free(text);
	json_decref(body);
	return http_ok(status) ? 0 : -1;
}

/* vapi-shim pool sync: hand the account's numbers to the database, fix server URLs. */
int
pool_sync(const shim_config *cfg, const tool_options *o)
{
	vapi_api	api;
	int			bad;
	int			status;
	char	   *server_url = vapi_server_url(cfg, &bad);
	json_t	   *numbers;
	char	   *numbers_text;
	PGconn	   *conn;
	PGresult   *res;
	const char *params[3];
	int			failed = 0;

	if (bad)
		return tool_usage_error("pool", "VAPI_POOL_PUBLIC_URL (--public-url) must be an http(s) URL without query, got \"%s\"",
						   cfg->public_url);
	if ((status = vapi_api_init(&api, cfg, "pool")) != 0)
	{
		free(server_url);
		return status;
	}
	if (server_url == NULL)
		printf("note: --public-url is not set: the numbers' server URLs are not checked\n");
	if ((conn = tool_db_connect(cfg)) == NULL || (numbers = list_phone_numbers(&api)) == NULL)
	{
		PQfinish(conn);
		vapi_api_free(&api);
		free(server_url);
		return EXIT_RUNTIME;
	}
	printf("%zu number%s in the Vapi account\n", json_array_size(numbers), json_array_size(numbers) == 1 ? "" : "s");

	numbers_text = json_dumps(numbers, JSON_COMPACT);
	params[0] = o->broker;
	params[1] = numbers_text;
	params[2] = server_url;
	res = tool_db_query(conn,
				   "SELECT vapi_phone_number_id, number::text, action, needs_server_url"
				   "  FROM vapi_pool.pool_sync($1::uuid, $2::jsonb, $3::text)", 3, params);
	if (res == NULL)
		failed = 1;
	else
	{
		printf("%-38s %-16s %-28s %s\n", "VAPI ID", "NUMBER", "ACTION", "SERVER URL");
		for (int i = 0; i < PQntuples(res); i++)
		{
			const char *id = tool_field(res, i, 0);
			const char *number = tool_field(res, i, 1);
			char		outcome[VENDOR_MESSAGE_MAX + 32] = "ok";

			if (strcmp(PQgetvalue(res, i, 3), "t") == 0)
			{
				if (server_url == NULL || id == NULL)
					snprintf(outcome, sizeof(outcome), "needs setting (no --public-url)");
				else if (patch_server_url(&api, numbers, id, server_url, outcome, sizeof(outcome)) != 0)
					failed = 1;
			}
			else if (server_url == NULL || strncmp(PQgetvalue(res, i, 2), "skipped", 7) == 0)
				snprintf(outcome, sizeof(outcome), "-");	/* not checked, or not ours */
			printf("%-38s %-16s %-28s %s\n", id ? id : "-", number ? number : "-",
				   PQgetvalue(res, i, 2), outcome);
			fflush(stdout);
		}
		PQclear(res);
	}
	free(numbers_text);
	json_decref(numbers);
	PQfinish(conn);
	vapi_api_free(&api);
	free(server_url);
	return failed ? EXIT_RUNTIME : EXIT_SUCCESS;
}
