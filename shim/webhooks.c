/*
 * webhooks.c
 *	  The webhook endpoints vapi-shim answers (Vapi, Instantly, Cal.com).
 *
 * A webhook goes through, in order: the content type (415), authentication
 * on the raw bytes (401, never touching the database), the JSON check (400),
 * then one statement on a pooled connection, whose status and answer are
 * sent back verbatim.
 *
 * The database part is asynchronous.  A webhook_job is malloc'd, queued on
 * the pool and linked to the request two ways: job->req, and a shared chunk
 * of the request's memory pool whose dispose callback clears job->req when
 * h2o frees the request (the client may go away first).  A deadline timer
 * answers without the database if the result is late; a late result is then
 * dropped.  The deadline is db_timeout_ms, or WEBHOOK_TOOL_TIMEOUT_MS for a
 * Vapi tool-calls message, which may wait for Cal.com: the job carries its
 * deadline (db_job.timeout_ms), and the worker keeps its HTTP within it.
 * Everything here runs on the loop thread, so the
 * job's two owners (the request and the pool) need no locking: the job is
 * freed once the request is gone and the pool has given the job back.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <jansson.h>

#include "http_server.h"
#include "log.h"
#include "webhook_auth.h"
#include "webhook_body.h"
#include "webhooks.h"

struct webhook_route
{
	const char *suffix;			/* the path after the prefix */
	webhook_source source;
	metrics_route metrics;
	h2o_iovec_t path;			/* prefix + suffix, built at start */
};

static const webhook_route route_table[] = {
	{"/vapi", SOURCE_VAPI, METRICS_ROUTE_VAPI, {NULL, 0}},
	{"/vapi-inbound", SOURCE_VAPI, METRICS_ROUTE_VAPI_INBOUND, {NULL, 0}},
	{"/vapi-tools", SOURCE_VAPI, METRICS_ROUTE_VAPI_TOOLS, {NULL, 0}},
	{"/vapi-supabase-tool", SOURCE_VAPI, METRICS_ROUTE_VAPI_SUPABASE_TOOL, {NULL, 0}},
	{"/instantly-reply", SOURCE_INSTANTLY, METRICS_ROUTE_INSTANTLY_REPLY, {NULL, 0}},
	{"/cal", SOURCE_CAL, METRICS_ROUTE_CAL, {NULL, 0}},
};

#define NROUTES (sizeof(route_table) / sizeof(route_table[0]))

struct webhooks
{
	const shim_config *cfg;
	h2o_evloop_t *loop;
	db_pool    *pool;
	h2o_timeout_t deadline;		/* db_timeout_ms: most jobs */
	h2o_timeout_t tool_deadline;	/* WEBHOOK_TOOL_TIMEOUT_MS: Vapi tool-calls */
	size_t		pending;		/* requests still waiting for an answer */
	webhook_route routes[NROUTES];
};

/* one webhook on its way through the database */
typedef struct webhook_job
{
	db_job		db;				/* what the pool sees */
	webhooks   *wh;
	h2o_req_t  *req;			/* NULL once h2o freed the request */
	h2o_timeout_entry_t deadline;
	webhook_body body;			/* parsed, for the fallback answer */
	int			answered;		/* an answer went out (or nobody waits) */
	int			returned;		/* the pool gave the job back */
	char		payload[];		/* the raw body, NUL-terminated */
} webhook_job;

/*
 * Build the route paths under cfg->webhook_prefix ("/webhook" by default;
 * a trailing slash is ignored) and set up the deadline timer on loop.
 */
webhooks *
webhooks_create(const shim_config *cfg, h2o_evloop_t *loop, db_pool *pool)
{
	webhooks   *wh = calloc(1, sizeof(*wh));
	const char *prefix = cfg->webhook_prefix ? cfg->webhook_prefix : "/webhook";
	size_t		plen = strlen(prefix);
	const char *lead;

	if (wh == NULL)
		return NULL;
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	lead = plen > 0 && prefix[0] != '/' ? "/" : "";
	wh->cfg = cfg;
	wh->loop = loop;
	wh->pool = pool;
	for (size_t i = 0; i < NROUTES; i++)
	{
		size_t		len = strlen(lead) + plen + strlen(route_table[i].suffix);
		char	   *path = malloc(len + 1);

		if (path == NULL)
			return NULL;
		snprintf(path, len + 1, "%s%.*s%s", lead, (int) plen, prefix, route_table[i].suffix);
		wh->routes[i] = route_table[i];
		wh->routes[i].path = h2o_iovec_init(path, len);
	}
	h2o_timeout_init(loop, &wh->deadline, (uint64_t) cfg->db_timeout_ms);
	h2o_timeout_init(loop, &wh->tool_deadline, (uint64_t) WEBHOOK_TOOL_TIMEOUT_MS);
	return wh;
}

/* Find the webhook endpoint for an exact (normalized) path, or NULL. */
const webhook_route *
webhook_lookup(const webhooks *wh, h2o_iovec_t path)
{
	for (size_t i = 0; i < NROUTES; i++)
		if (h2o_memis(path.base, path.len, wh->routes[i].path.base, wh->routes[i].path.len))
			return &wh->routes[i];
	return NULL;
}

/* The metrics label of an endpoint. */
metrics_route
webhook_route_metrics(const webhook_route *route)
{
	return route->metrics;
}

/* How many webhooks wait for the database (the shutdown drains them). */
size_t
webhooks_pending(const webhooks *wh)
{
	return wh->pending;
}

/* Is Content-Type application/json, with or without parameters? */
static int
is_json_content_type(h2o_req_t *req)
{
	ssize_t		i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
	const char *p,
			   *end;

	if (i == -1)
		return 0;
	p = req->headers.entries[i].value.base;
	end = p + req->headers.entries[i].value.len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < (ptrdiff_t) strlen("application/json") ||
		strncasecmp(p, "application/json", strlen("application/json")) != 0)
		return 0;
	p += strlen("application/json");
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end || *p == ';';
}

/* Wall clock in epoch milliseconds (HMAC timestamps are wall clock). */
static int64_t
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Check the request's credentials; 0 if authentic, else answered 401. */
static int
authenticate(webhooks *wh, const webhook_route *route, h2o_req_t *req)
{
	size_t		n = req->headers.size;
	auth_header *headers = h2o_mem_alloc_pool(&req->pool, (n ? n : 1) * sizeof(auth_header));
	auth_result result;

	for (size_t i = 0; i < n; i++)
	{
		const h2o_header_t *h = &req->headers.entries[i];

		headers[i].name = h->name->base;
		headers[i].name_len = h->name->len;
		headers[i].value = h->value.base;
		headers[i].value_len = h->value.len;
	}
	result = webhook_authenticate(wh->cfg, route->source, headers, n,
								  req->entity.base ? req->entity.base : "", req->entity.len, wall_ms());
	if (result == AUTH_OK)
		return 0;
	metrics_count_auth_failure(route->source, result);
	http_send_error(req, 401, "Unauthorized", "unauthorized");
	return -1;
}

/* The Vapi message type for a log line: known types only, never raw input. */
static const char *
loggable_type(const webhook_body *body)
{
	static const char *const types[] = {
		"assistant-request", "tool-calls", "transfer-destination-request", "knowledge-base-request"
	};

	for (size_t i = 0; body->vapi_type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(body->vapi_type, types[i]) == 0)
			return types[i];
	return "other";
}

/*
 * Answer without the database: Vapi's built-in fallback as 200 where one
 * exists (counted and logged), else 503 for the sender to retry.
 */
static int
answer_without_database(webhooks *wh, h2o_req_t *req, const webhook_body *body,
						metrics_fallback_reason reason)
{
	json_t	   *fallback = webhook_fallback_answer(body, wh->cfg);

	if (fallback != NULL)
	{
		metrics_count_fallback(reason);
		shim_log(SHIM_LOG_WARNING, "database %s: answered a Vapi %s with the built-in fallback",
				 reason == FALLBACK_TIMEOUT ? "missed the deadline" :
				 reason == FALLBACK_QUEUE_FULL ? "busy (queue full)" : "unavailable",
				 loggable_type(body));
		return http_send_json(req, 200, "OK", fallback);
	}
	if (reason == FALLBACK_QUEUE_FULL)
		return http_send_error(req, 503, "Service Unavailable", "database busy");
	return http_send_error(req, 503, "Service Unavailable", "database unavailable");
}

/* Does the message have a fallback answer (a caller waits on it)? */
static int
webhook_has_fallback(const webhook_body *body, const shim_config *cfg)
{
	json_t	   *fallback = webhook_fallback_answer(body, cfg);

	json_decref(fallback);
	return fallback != NULL;
}

/* Is the message a Vapi tool-calls, which may wait for Cal.com? */
static int
is_tool_calls(const webhook_body *body)
{
	return body->vapi_type != NULL && strcmp(body->vapi_type, "tool-calls") == 0;
}

/* Free a job whose request is gone and which the pool gave back. */
static void
job_free(webhook_job *job)
{
	webhook_body_free(&job->body);
	free(job->db.answer);
	free(job);
}

/* Nobody waits for the result any more: stop the timer, tell the pool. */
static void
job_answered(webhook_job *job)
{
	if (h2o_timeout_is_linked(&job->deadline))
		h2o_timeout_unlink(&job->deadline);
	if (!job->answered)
		job->wh->pending--;
	job->answered = 1;
	atomic_store(&job->db.abandoned, 1);
}

/* The deadline passed before the database answered. */
static void
on_deadline(h2o_timeout_entry_t *entry)
{
	webhook_job *job = H2O_STRUCT_FROM_MEMBER(webhook_job, deadline, entry);
	h2o_req_t  *req = job->req;

	job_answered(job);
	/* sending may free the request; the job lives on until the pool is done */
	answer_without_database(job->wh, req, &job->body, FALLBACK_TIMEOUT);
}

/* h2o frees the request: forget it, and free the job if the pool is done. */
static void
on_req_dispose(void *p)
{
	webhook_job *job = *(webhook_job **) p;

	job->req = NULL;
	job_answered(job);
	if (job->returned)
		job_free(job);
}

/* Send the answer receive_webhook returned. */
static int
send_database_answer(h2o_req_t *req, const db_job *db)
{
	if (db->http_status < 200 || db->http_status > 599)
	{
		shim_log(SHIM_LOG_ERROR, "vapi_pool.receive_webhook answered HTTP status %d for a %s webhook: not a final status",
				 db->http_status, db->source);
		return http_send_error(req, 500, "Internal Server Error", "internal error");
	}
	return http_send_json_text(req, db->http_status, db->answer, db->answer_len);
}

/* The pool gave the job back (loop thread): answer unless already done. */
static void
on_db_done(db_job *db)
{
	webhook_job *job = (webhook_job *) db;
	h2o_req_t  *req = job->req;

	job->returned = 1;
	if (req == NULL)
	{
		job_free(job);
		return;
	}
	if (job->answered)
		return;					/* late: the deadline answered; dispose frees */
	job_answered(job);

	/* the request may be freed while sending: do not touch job afterwards */
	switch (db->outcome)
	{
		case DB_DONE:
			send_database_answer(req, db);
			break;
		case DB_TIMEOUT:
			answer_without_database(job->wh, req, &job->body, FALLBACK_TIMEOUT);
			break;
		case DB_UNAVAILABLE:
		case DB_SKIPPED:
			answer_without_database(job->wh, req, &job->body, FALLBACK_UNAVAILABLE);
			break;
		case DB_BAD_INPUT:
			shim_log(SHIM_LOG_WARNING, "vapi_pool.receive_webhook refused a %s payload (SQLSTATE %s)",
					 db->source, db->sqlstate);
			http_send_error(req, 400, "Bad Request", "malformed JSON");
			break;
		case DB_FAILED:
		default:
			/* logged by the worker; a caller waiting on Vapi still gets an answer */
			if (webhook_has_fallback(&job->body, job->wh->cfg))
				answer_without_database(job->wh, req, &job->body, FALLBACK_UNAVAILABLE);
			else
				http_send_error(req, 500, "Internal Server Error", "internal error");
			break;
	}
}

/*
 * Queue the parsed webhook for the database and link it to the request;
 * answers at once without the database when the pool refuses it.
 */
static int
submit(webhooks *wh, const webhook_route *route, h2o_req_t *req, webhook_body *body)
{
	webhook_job *job = malloc(offsetof(webhook_job, payload) + req->entity.len + 1);
	webhook_job **link;
	db_submit_result queued;

	if (job == NULL)
	{
		webhook_body_free(body);
		return http_send_error(req, 503, "Service Unavailable", "out of memory");
	}
	memset(job, 0, offsetof(webhook_job, payload));
	memcpy(job->payload, req->entity.base, req->entity.len);
	job->payload[req->entity.len] = '\0';
	job->body = *body;
	job->wh = wh;
	job->db.on_done = on_db_done;
	job->db.source = webhook_source_name(route->source);
	job->db.payload = job->payload;
	job->db.payload_len = req->entity.len;
	job->db.timeout_ms = is_tool_calls(&job->body) ? WEBHOOK_TOOL_TIMEOUT_MS : wh->cfg->db_timeout_ms;

	queued = db_pool_submit(wh->pool, &job->db);
	if (queued != DB_SUBMIT_QUEUED)
	{
		int			rc = answer_without_database(wh, req, &job->body,
												 queued == DB_SUBMIT_FULL ? FALLBACK_QUEUE_FULL : FALLBACK_UNAVAILABLE);

		job_free(job);
		return rc;
	}

	job->req = req;
	link = h2o_mem_alloc_shared(&req->pool, sizeof(*link), on_req_dispose);
	*link = job;
	job->deadline.cb = on_deadline;
	h2o_timeout_link(wh->loop, is_tool_calls(&job->body) ? &wh->tool_deadline : &wh->deadline, &job->deadline);
	wh->pending++;
	return 0;
}

/*
 * Answer a POST to a webhook endpoint: 415 unless JSON, 401 unless
 * authentic, 400 unless a JSON object, else whatever the database says.
 */
int
webhook_handle(webhooks *wh, const webhook_route *route, h2o_req_t *req)
{
	webhook_body body;

	if (!is_json_content_type(req))
		return http_send_error(req, 415, "Unsupported Media Type",
							   "unsupported media type: use Content-Type: application/json");
	if (authenticate(wh, route, req) != 0)
		return 0;

	switch (webhook_body_parse(&body, route->source, req->entity.base ? req->entity.base : "", req->entity.len))
	{
		case BODY_OK:
			break;
		case BODY_MALFORMED:
		case BODY_NOT_OBJECT:
			webhook_body_free(&body);
			return http_send_error(req, 400, "Bad Request", body.error);
	}
	if (route->source == SOURCE_VAPI)
		metrics_count_vapi_message(body.vapi_type);
	return submit(wh, route, req, &body);
}
