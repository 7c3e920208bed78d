/*
 * dispatcher.c
 *	  vapi-shim dispatch: delivers the jobs of vapi_pool's outbox.
 *
 * The database decides what is sent and what an answer means
 * (docs/dispatcher.md); this loop only moves bytes.  One thread, one
 * libcurl multi handle and two libpq connections, one for claims and one for
 * reports, so that the database works on both at once:
 *
 *	1. claim due jobs, no more than there is room for in flight, and with
 *	   requests in flight only once half a batch fits (a claim costs the
 *	   database nearly as much for one job as for a batch)
 *	   (vapi_pool.outbox_claim: each comes back as an HTTP request with a lease);
 *	2. send each to its vendor (base URL and API key of its service: the
 *	   request is built by vendor_request.c);
 *	3. report the answers that came in, all in one vapi_pool.outbox_report
 *	   call (the next report takes what came in meanwhile), which decides
 *	   done, retry later, dead or stale;
 *	4. wait for answers, for a NOTIFY on vapi_pool_outbox (a new due job),
 *	   or for the next due time (vapi_pool.outbox_next_due) but never longer
 *	   than --dispatch-poll-ms.
 *
 * The database is only ever waited for through the same poll as the HTTP
 * requests, so requests keep moving while a statement runs.  A lost
 * connection is replaced (with backoff while attempts fail); requests in
 * flight finish meanwhile and their answers are kept and reported once
 * connected again (the database judges answers whose lease ran out).
 *
 * Shutdown (SIGTERM or SIGINT): no more claims; requests in flight finish
 * (each within its timeout) and are reported; jobs claimed but not yet sent
 * are reported "unsent" so that they go back untouched; exit 0.  Without a
 * database, answers are given up on after STOP_REPORT_MS (exit 1: their
 * leases run out and the database reconciles them).  A second signal
 * abandons the requests in flight the same way.
 *
 * Never logged: API keys, request and answer bodies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "db_conn.h"
#include "dispatcher.h"
#include "http_client.h"
#include "log.h"
#include "pq_util.h"
#include "signals.h"
#include "text.h"
#include "vendor_request.h"

#define DB_CONNECT_TIMEOUT_MS 10000 /* connect and session set-up */
#define DB_STATEMENT_TIMEOUT_MS 25000	/* the server ends a statement after this */
#define DB_CALL_TIMEOUT_MS 30000	/* past this the server is gone */
#define BUSY_RECHECK_MS 20		/* due jobs another claim holds: look again after this */
#define STOP_REPORT_MS 10000	/* stopping without a database: try to report this long */
#define NOTE_LOG_MAX 200		/* longest database note in a log line */
#define REPORT_RETRY_MS 1000	/* a report that failed (and may pass) is tried again after this */

#define CLAIM_STMT "vapi_shim_outbox_claim"
#define CLAIM_SQL \
	"SELECT * FROM vapi_pool.outbox_claim($1::text, $2::integer, pg_catalog.make_interval(secs => $3::double precision))"
#define REPORT_STMT "vapi_shim_outbox_report"
#define REPORT_SQL \
	"SELECT r.job_id, r.state, r.note, extract(epoch FROM r.run_at - pg_catalog.clock_timestamp()) " \
	"FROM vapi_pool.outbox_report($1::jsonb) r"
#define NEXT_DUE_STMT "vapi_shim_outbox_next_due"
#define NEXT_DUE_SQL "SELECT extract(epoch FROM vapi_pool.outbox_next_due() - pg_catalog.clock_timestamp())"
/* the search_path first: it is in the startup packet too (db_conn.h) */
#define SESSION_SQL \
	DB_CONN_PIN_SQL "; SET application_name = 'vapi-shim dispatch'; SET statement_timeout = %d"
#define SETTINGS_SQL \
	"SELECT pg_catalog.set_config('vapi_pool.intake_assistant_id', $1::text, false), " \
	"pg_catalog.set_config('vapi_pool.connector_assistant_id', $2::text, false)"

typedef struct dispatcher dispatcher;

/* one claimed job: its request while it is sent, then its answer until reported */
typedef struct dispatch_job
{
	struct dispatch_job *next;
	dispatcher *d;
	char	   *org_id;
	long long	job_id;
	int			attempt;
	char	   *kind;
	char	   *path;			/* for the log: the path without its query */
	char	   *body;			/* request body, NULL for none */
	vendor_request vr;			/* the request; vr.method set once its method and path passed */
	/* the answer */
	int			unsent;			/* claimed but never sent */
	int			never_sent;		/* answered without HTTP: it cannot have reached the vendor */
	long		status;			/* 0: no HTTP answer */
	char	   *answer;			/* answer body, valid UTF-8 */
	char	   *retry_after;
	char	   *error;
	double		seconds;
} dispatch_job;

/* a list of answered jobs waiting for outbox_report */
typedef struct job_list
{
	dispatch_job *head;
	dispatch_job *tail;
	int			n;
} job_list;

/* one database connection of the dispatcher */
typedef struct dbconn
{
	const char *role;			/* "claims" or "reports", for log lines */
	PGconn	   *conn;			/* NULL while not connected */
	int			failing;		/* an outage was logged: be quiet until it ends */
	int			backoff_ms;
	long long	next_connect_at;
} dbconn;

struct dispatcher
{
	const shim_config *cfg;
	http_client *http;
	dbconn		claimer;		/* LISTEN, claims, the next due time */
	dbconn		reporter;		/* reports, one at a time, while claims go on */
	unsigned int seed;			/* backoff jitter */
	int			held;			/* claimed and not yet reported */
	job_list	answered;		/* answers waiting for a report */
	long long	report_at;		/* after a failed report: try again at this time */
	dispatch_job **reporting;	/* the report under way on the reporter, or NULL */
	int			n_reporting;
	int			report_flushing;	/* its statement is not all sent yet */
	PGresult   *report_res;		/* its result so far */
	long long	report_deadline;	/* past this the server is gone */
	int			maybe_due;		/* claim at the next chance */
	long long	next_claim_at;	/* the poll timer: claim at this time anyway */
	int			stopping;
	long long	lost;			/* answers given up on (their leases run out) */
};

/* ---------------------------------------------------------------- jobs */

/* Free a job and everything it holds. */
static void
job_free(dispatch_job *job)
{
	free(job->org_id);
	free(job->kind);
	free(job->path);
	free(job->body);
	vendor_request_free(&job->vr);
	free(job->answer);
	free(job->retry_after);
	free(job->error);
	free(job);
}

/* Append a job to a list. */
static void
list_append(job_list *list, dispatch_job *job)
{
	job->next = NULL;
	if (list->tail)
		list->tail->next = job;
	else
		list->head = job;
	list->tail = job;
	list->n++;
}

/* Queue a job for the next report with an answer that involved no HTTP. */
static void
answer_without_http(dispatch_job *job, const char *error)
{
	job->status = 0;
	job->never_sent = 1;
	job->error = strdup(error);
	list_append(&job->d->answered, job);
}

/* A finished request: keep its answer for the next report. */
static void
on_request_done(const http_request *req, const http_response *resp)
{
	dispatch_job *job = req->user;

	job->status = resp->status;
	job->seconds = resp->total_s;
	if (resp->status > 0)
		job->answer = shim_clean_utf8(resp->body, resp->body_len);
	if (resp->retry_after)
		job->retry_after = shim_clean_utf8(resp->retry_after, strlen(resp->retry_after));
	if (resp->error[0])
		job->error = shim_clean_utf8(resp->error, strlen(resp->error));
	list_append(&job->d->answered, job);
}

/*
 * Send a claimed job's request; a job that cannot be sent (no API key for
 * its service, a malformed request) is answered at once with status 0 and
 * the reason, for the database to judge.  The job's own headers are a JSON
 * object in text ("" for none).
 */
static void
job_start(dispatcher *d, dispatch_job *job, const char *service, const char *method,
		  const char *path, const char *headers_json, int timeout_ms)
{
	vendor_call call = {
		.service = service,
		.method = method,
		.path = path,
		.body = job->body,
		.body_len = job->body ? strlen(job->body) : 0,
		.timeout_ms = timeout_ms > 0 ? timeout_ms : 30000,
	};
	const char *why;

	if (headers_json != NULL && headers_json[0] != '\0')
	{
		call.headers = json_loads(headers_json, JSON_REJECT_DUPLICATES, NULL);
		call.malformed = !json_is_object(call.headers);
	}
	why = vendor_request_build(&job->vr, VENDOR_DISPATCH, d->cfg, &call);
	json_decref(call.headers);
	/* the log names the request once its method and path passed their checks */
	if (job->vr.method != NULL && (job->path = strndup(path, strcspn(path, "?"))) == NULL)
		why = "out of memory";
	if (why != NULL)
	{
		answer_without_http(job, why);
		return;
	}
	job->vr.req.user = job;
	if (http_client_start(d->http, &job->vr.req, on_request_done) != 0)
		answer_without_http(job, "could not start the request (out of memory)");
}

/* ---------------------------------------------------------------- database */

/* Put a batch that could not be reported back in front of the answers that came since. */
static void
restore_answers(dispatcher *d, dispatch_job **jobs, int n)
{
	for (int i = n - 1; i >= 0; i--)
	{
		jobs[i]->next = d->answered.head;
		d->answered.head = jobs[i];
		if (d->answered.tail == NULL)
			d->answered.tail = jobs[i];
		d->answered.n++;
	}
}

/* Give the report in progress back to the answers waiting (its connection failed). */
static void
report_abort(dispatcher *d)
{
	if (d->reporting == NULL)
		return;
	restore_answers(d, d->reporting, d->n_reporting);
	free(d->reporting);
	d->reporting = NULL;
	d->n_reporting = 0;
	d->report_flushing = 0;
	PQclear(d->report_res);
	d->report_res = NULL;
}

/*
 * Close a connection after a failure and plan the next attempt: at once
 * after a lost connection, with backoff after a failed attempt.  The first
 * failure of an outage is logged; later ones stay quiet.  A report in
 * progress on it is kept for the next connection.
 */
static void
db_close(dispatcher *d, dbconn *c, const char *what, const char *detail, int backoff)
{
	char		msg[300];

	if (!c->failing)
		shim_log(SHIM_LOG_WARNING, "database (%s): %s: %s (reconnecting%s)", c->role, what,
				 shim_one_line(msg, sizeof(msg), detail), backoff ? " with backoff" : "");
	c->failing = 1;
	if (c->conn)
		PQfinish(c->conn);
	c->conn = NULL;
	if (c == &d->reporter)
		report_abort(d);
	if (backoff)
		c->next_connect_at = shim_now_ms() + pq_backoff_wait(&c->backoff_ms, &d->seed);
	else
		c->next_connect_at = shim_now_ms();
}

/* Take the notifications that arrived: each means a job became due. */
static void
take_notifies(dispatcher *d)
{
	PGnotify   *n;

	while ((n = PQnotifies(d->claimer.conn)) != NULL)
	{
		PQfreemem(n);
		d->maybe_due = 1;
	}
}

static void reporter_progress(dispatcher *d);

/* The poll entry of the reporter while a report is under way (fd -1 otherwise). */
static struct curl_waitfd
reporter_waitfd(const dispatcher *d)
{
	struct curl_waitfd w = {.fd = -1};

	if (d->reporter.conn && d->reporting)
	{
		w.fd = PQsocket(d->reporter.conn);
		w.events = CURL_WAIT_POLLIN | (d->report_flushing ? CURL_WAIT_POLLOUT : 0);
	}
	return w;
}

/*
 * Wait until connection c's socket is ready for events or the deadline
 * passes, keeping the HTTP requests (and a report on the other connection)
 * moving: 1 ready, 0 timed out, -1 failed.
 */
static int
wait_db(dispatcher *d, dbconn *c, short events, long long deadline)
{
	for (;;)
	{
		struct curl_waitfd fds[3] = {
			{.fd = PQsocket(c->conn), .events = events},
			{.fd = shim_signal_fd(), .events = CURL_WAIT_POLLIN},
		};
		unsigned	nfds = 2;
		long long	left = deadline - shim_now_ms();

		if (fds[0].fd < 0)
			return -1;
		if (left <= 0)
			return 0;
		if (c != &d->reporter && (fds[2] = reporter_waitfd(d)).fd >= 0)
			nfds = 3;
		if (http_client_poll(d->http, fds, nfds, (int) (left > 1000 ? 1000 : left)) < 0)
			return -1;
		if (fds[1].revents)
			shim_signal_drain();
		if (nfds == 3 && fds[2].revents)
			reporter_progress(d);
		if (fds[0].revents)
			return 1;
	}
}

/*
 * Wait for the statement just sent on c and return its result (its first
 * error, if any); NULL when the connection failed or the server went
 * silent, in which case it is closed (what names the statement).
 */
static PGresult *
db_result(dispatcher *d, dbconn *c, const char *what)
{
	long long	deadline = shim_now_ms() + DB_CALL_TIMEOUT_MS;
	PGresult   *res = NULL;
	PGresult   *r;
	int			rc;

	while ((rc = PQflush(c->conn)) == 1)
	{
		if ((rc = wait_db(d, c, CURL_WAIT_POLLIN | CURL_WAIT_POLLOUT, deadline)) <= 0)
			goto broken;
		if (!PQconsumeInput(c->conn))
			goto broken;
	}
	if (rc < 0)
		goto broken;
	for (;;)
	{
		while (PQisBusy(c->conn))
		{
			if ((rc = wait_db(d, c, CURL_WAIT_POLLIN, deadline)) <= 0 || !PQconsumeInput(c->conn))
				goto broken;
		}
		if ((r = PQgetResult(c->conn)) == NULL)
			break;
		pq_keep_result(&res, r);
	}
	if (c == &d->claimer)
		take_notifies(d);
	if (res == NULL)
		db_close(d, c, what, "no result", 0);
	return res;

broken:
	PQclear(res);
	db_close(d, c, what, rc == 0 ? "the server did not answer in time" : PQerrorMessage(c->conn), 0);
	return NULL;
}

/* Send a prepared statement on c and wait for its result (NULL: the connection is gone). */
static PGresult *
db_exec(dispatcher *d, dbconn *c, const char *stmt, int nparams, const char *const *params,
		const char *what)
{
	if (!PQsendQueryPrepared(c->conn, stmt, nparams, params, NULL, NULL, 0))
	{
		db_close(d, c, what, PQerrorMessage(c->conn), 0);
		return NULL;
	}
	return db_result(d, c, what);
}

/* Is this SQLSTATE a failure worth trying again (resources, serialization, timeout)? */
static int
sqlstate_is_transient(const char *sqlstate)
{
	return sqlstate != NULL && (strncmp(sqlstate, "40", 2) == 0 || strncmp(sqlstate, "53", 2) == 0 ||
								strcmp(sqlstate, "57014") == 0);
}

/*
 * Check a result for the wanted status; otherwise log the error (SQLSTATE
 * and primary message, never the detail) and return -1.  A connection
 * error closes the connection.
 */
static int
db_check(dispatcher *d, dbconn *c, PGresult *res, ExecStatusType want, const char *what)
{
	const char *sqlstate;
	char		msg[300];

	if (PQresultStatus(res) == want)
		return 0;
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	shim_one_line(msg, sizeof(msg), PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	if (PQstatus(c->conn) == CONNECTION_BAD || pq_sqlstate_is_connection(sqlstate))
		db_close(d, c, what, msg[0] ? msg : PQerrorMessage(c->conn), 0);
	else
		shim_log(SHIM_LOG_ERROR, "database (%s): %s failed (SQLSTATE %s): %s", c->role, what, sqlstate, msg);
	return -1;
}

/* Run one set-up step (sent is what PQsend* returned); -1 closes the connection with backoff. */
static int
setup_step(dispatcher *d, dbconn *c, int sent, ExecStatusType want, const char *what)
{
	PGresult   *res;
	int			ok;

	if (!sent)
	{
		db_close(d, c, what, PQerrorMessage(c->conn), 1);
		return -1;
	}
	if ((res = db_result(d, c, what)) == NULL)
	{
		c->next_connect_at = shim_now_ms() + c->backoff_ms;
		return -1;
	}
	ok = PQresultStatus(res) == want;
	if (!ok)
		db_close(d, c, what, PQresultErrorMessage(res), 1);
	PQclear(res);
	return ok ? 0 : -1;
}

/* Connect c without blocking the HTTP requests; 0 when the connection is usable. */
static int
db_open(dispatcher *d, dbconn *c)
{
	long long	deadline = shim_now_ms() + DB_CONNECT_TIMEOUT_MS;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	c->conn = pq_connect_start(d->cfg->database_url, "vapi-shim dispatch", PQ_NOTICE_ONE_LINE);
	if (c->conn == NULL || PQstatus(c->conn) == CONNECTION_BAD)
	{
		db_close(d, c, "could not connect", c->conn ? PQerrorMessage(c->conn) : "out of memory", 1);
		return -1;
	}
	while (st != PGRES_POLLING_OK)
	{
		int			rc;

		if (st == PGRES_POLLING_FAILED)
		{
			db_close(d, c, "could not connect", PQerrorMessage(c->conn), 1);
			return -1;
		}
		rc = wait_db(d, c, st == PGRES_POLLING_READING ? CURL_WAIT_POLLIN : CURL_WAIT_POLLOUT, deadline);
		if (rc <= 0)
		{
			db_close(d, c, "could not connect", rc == 0 ? "timed out" : PQerrorMessage(c->conn), 1);
			return -1;
		}
		st = PQconnectPoll(c->conn);
	}
	if (PQsetnonblocking(c->conn, 1) != 0)
	{
		db_close(d, c, "could not connect", PQerrorMessage(c->conn), 1);
		return -1;
	}
	return 0;
}

/*
 * Connect c, set its session up (search_path, application name, statement
 * timeout, the assistant settings the requests are built with; the claimer
 * LISTENs) and prepare its statements.  0 on success; else the connection
 * is closed, the failure logged once per outage and the next attempt
 * planned with backoff.
 */
static int
db_connect(dispatcher *d, dbconn *c)
{
	const shim_config *cfg = d->cfg;
	const char *params[2];
	char		session_sql[200];
	int			claimer = c == &d->claimer;

	if (db_open(d, c) != 0)
		return -1;
	snprintf(session_sql, sizeof(session_sql), SESSION_SQL "%s", DB_STATEMENT_TIMEOUT_MS,
			 claimer ? "; LISTEN vapi_pool_outbox" : "");
	if (setup_step(d, c, PQsendQuery(c->conn, session_sql), PGRES_COMMAND_OK, "could not set up the session") != 0)
		return -1;
	params[0] = cfg->intake_assistant_id ? cfg->intake_assistant_id : "";
	params[1] = cfg->connector_assistant_id ? cfg->connector_assistant_id : "";
	if (setup_step(d, c, PQsendQueryParams(c->conn, SETTINGS_SQL, 2, NULL, params, NULL, NULL, 0),
				   PGRES_TUPLES_OK, "could not set the vapi_pool.* settings") != 0)
		return -1;
	if (claimer ?
		setup_step(d, c, PQsendPrepare(c->conn, CLAIM_STMT, CLAIM_SQL, 0, NULL), PGRES_COMMAND_OK,
				   "could not prepare vapi_pool.outbox_claim (is vapi_pool 0.4.0 installed?)") != 0 ||
		setup_step(d, c, PQsendPrepare(c->conn, NEXT_DUE_STMT, NEXT_DUE_SQL, 0, NULL), PGRES_COMMAND_OK,
				   "could not prepare vapi_pool.outbox_next_due") != 0 :
		setup_step(d, c, PQsendPrepare(c->conn, REPORT_STMT, REPORT_SQL, 0, NULL), PGRES_COMMAND_OK,
				   "could not prepare vapi_pool.outbox_report (is vapi_pool 0.4.0 installed?)") != 0)
		return -1;

	shim_log(SHIM_LOG_INFO, "database (%s): %s%s", c->role, c->failing ? "connected again" : "connected",
			 claimer ? ", listening on vapi_pool_outbox" : "");
	c->failing = 0;
	c->backoff_ms = PQ_BACKOFF_MIN_MS;
	if (claimer)
		d->maybe_due = 1;		/* notifications may have been missed */
	else
		d->report_at = 0;		/* answers kept while disconnected go out now */
	return 0;
}

/* ---------------------------------------------------------------- claim */

/*
 * Is there room for a claim?  A claim costs the database about as much for
 * one job as for several, so with requests in flight the dispatcher waits
 * until half a batch fits (nothing in flight: any room will do).
 */
static int
room_to_claim(const dispatcher *d)
{
	int			room = d->cfg->dispatch_concurrency - d->held;
	int			batch = d->cfg->dispatch_batch < d->cfg->dispatch_concurrency ?
		d->cfg->dispatch_batch : d->cfg->dispatch_concurrency;

	return room > 0 && (d->held == 0 || room >= (batch + 1) / 2);
}

/* A column's value as a new string, or NULL when it is NULL. */
static char *
column_dup(PGresult *res, int row, int col)
{
	if (col < 0 || PQgetisnull(res, row, col))
		return NULL;
	return strdup(PQgetvalue(res, row, col));
}

/* A column's text, "" when it is NULL or missing. */
static const char *
column_text(PGresult *res, int row, int col)
{
	return col < 0 || PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

/* Make the job of one claimed row; NULL when out of memory. */
static dispatch_job *
job_from_row(dispatcher *d, PGresult *res, int row)
{
	dispatch_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->d = d;
	job->org_id = column_dup(res, row, PQfnumber(res, "org_id"));
	job->job_id = atoll(column_text(res, row, PQfnumber(res, "job_id")));
	job->attempt = atoi(column_text(res, row, PQfnumber(res, "attempt")));
	job->kind = column_dup(res, row, PQfnumber(res, "kind"));
	job->body = column_dup(res, row, PQfnumber(res, "body"));
	if (job->org_id == NULL || job->kind == NULL)
	{
		job_free(job);
		return NULL;
	}
	return job;
}

/*
 * Plan the next claim after one that came back short: at the next due
 * time (vapi_pool.outbox_next_due), within the poll interval.  A due time
 * already past after an empty claim means another claim holds those jobs
 * right now: look again shortly.
 */
static void
plan_next_claim(dispatcher *d, int claimed)
{
	long long	now = shim_now_ms();
	long long	in_ms = d->cfg->dispatch_poll_ms;
	PGresult   *res;

	if ((res = db_exec(d, &d->claimer, NEXT_DUE_STMT, 0, NULL, "asking for the next due job")) == NULL)
		return;
	if (db_check(d, &d->claimer, res, PGRES_TUPLES_OK, "vapi_pool.outbox_next_due") == 0 &&
		PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
	{
		double		secs = atof(PQgetvalue(res, 0, 0));

		if (secs <= 0 && claimed > 0)
			d->maybe_due = 1;	/* some were taken, more are due */
		else if (secs <= 0)
			in_ms = BUSY_RECHECK_MS;
		else if (secs * 1000 < in_ms)
			in_ms = (long long) (secs * 1000) + 1;
	}
	PQclear(res);
	if (now + in_ms < d->next_claim_at)
		d->next_claim_at = now + in_ms;
}

/* Send (or, while stopping, put back unsent) the jobs of a claim's result. */
static void
start_claimed(dispatcher *d, PGresult *res)
{
	int			c_service = PQfnumber(res, "service");
	int			c_method = PQfnumber(res, "method");
	int			c_path = PQfnumber(res, "path");
	int			c_headers = PQfnumber(res, "headers");
	int			c_timeout = PQfnumber(res, "timeout_ms");

	for (int i = 0; i < PQntuples(res); i++)
	{
		dispatch_job *job = job_from_row(d, res, i);

		if (job == NULL)
		{
			/* its lease runs out and it is claimed again */
			shim_log(SHIM_LOG_ERROR, "out of memory: a claimed job is left to its lease");
			continue;
		}
		d->held++;
		if (d->stopping || shim_stop_signals())
		{
			job->unsent = 1;
			list_append(&d->answered, job);
			continue;
		}
		job_start(d, job, column_text(res, i, c_service), column_text(res, i, c_method),
				  column_text(res, i, c_path), column_text(res, i, c_headers),
				  atoi(column_text(res, i, c_timeout)));
	}
	/* put the requests on the wire now, not at the next wait */
	http_client_poll(d->http, NULL, 0, 0);
}

/*
 * Claim as many due jobs as there is room for (at most --dispatch-batch)
 * and send them; while stopping, what came back is reported unsent.
 */
static void
claim(dispatcher *d)
{
	const shim_config *cfg = d->cfg;
	int			want = cfg->dispatch_concurrency - d->held;
	char		batch[16];
	char		lease[16];
	const char *params[3] = {cfg->dispatcher_name, batch, lease};
	PGresult   *res;
	int			n;

	if (want > cfg->dispatch_batch)
		want = cfg->dispatch_batch;
	snprintf(batch, sizeof(batch), "%d", want);
	snprintf(lease, sizeof(lease), "%d", cfg->dispatch_lease_s);
	d->maybe_due = 0;			/* notifications from now on set it again */
	d->next_claim_at = shim_now_ms() + cfg->dispatch_poll_ms;
	if ((res = db_exec(d, &d->claimer, CLAIM_STMT, 3, params, "claiming jobs")) == NULL)
		return;
	if (db_check(d, &d->claimer, res, PGRES_TUPLES_OK, "vapi_pool.outbox_claim") != 0)
	{
		PQclear(res);
		return;					/* tried again at the poll interval */
	}
	n = PQntuples(res);
	start_claimed(d, res);
	PQclear(res);
	if (n >= want)
		d->maybe_due = 1;		/* a full batch: more may be due */
	else if (d->claimer.conn)
		plan_next_claim(d, n);
}

/* ---------------------------------------------------------------- report */

/* One answer as outbox_report takes it (docs/dispatcher.md). */
static json_t *
answer_json(const dispatch_job *job)
{
	json_t	   *o = json_object();
	json_t	   *parsed;

	json_object_set_new(o, "org_id", json_string(job->org_id));
	json_object_set_new(o, "job_id", json_integer(job->job_id));
	json_object_set_new(o, "attempt", json_integer(job->attempt));
	if (job->unsent)
		json_object_set_new(o, "unsent", json_true());
	if (job->never_sent)
		json_object_set_new(o, "sent", json_false());
	json_object_set_new(o, "status", json_integer(job->status));
	/* an answer that is JSON goes as JSON: the database need not parse it again */
	if (job->answer != NULL && (parsed = json_loads(job->answer, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL)) != NULL)
		json_object_set_new(o, "json", parsed);
	else
		json_object_set_new(o, "body", job->answer ? json_string_nocheck(job->answer) : json_null());
	json_object_set_new(o, "retry_after", job->retry_after ? json_string_nocheck(job->retry_after) : json_null());
	json_object_set_new(o, "error", job->error ? json_string_nocheck(job->error) :
						job->unsent ? json_string("not sent: the dispatcher is stopping") : json_null());
	return o;
}

/* Order jobs by id (job ids are unique in the whole outbox). */
static int
job_cmp(const void *a, const void *b)
{
	long long	x = (*(dispatch_job *const *) a)->job_id;
	long long	y = (*(dispatch_job *const *) b)->job_id;

	return (x > y) - (x < y);
}

/* The one log line of a finished job: what happened and what the database made of it. */
static void
log_verdict(const dispatch_job *job, const char *state, const char *note, const char *due_in)
{
	char		what[200];
	char		when[48] = "";
	char		why[NOTE_LOG_MAX + 4] = "";
	char		buf[NOTE_LOG_MAX];

	if (job->unsent)
		snprintf(what, sizeof(what), "not sent (stopping)");
	else if (job->status > 0)
		snprintf(what, sizeof(what), "%s %s: HTTP %ld in %.0f ms", job->vr.method, job->path, job->status,
				 job->seconds * 1000);
	else if (job->vr.method)
		snprintf(what, sizeof(what), "%s %s: no answer (%s)", job->vr.method, job->path,
				 shim_one_line(buf, 150, job->error));
	else
		snprintf(what, sizeof(what), "not sent (%s)", shim_one_line(buf, 150, job->error));
	if (strcmp(state, "pending") == 0 && due_in && due_in[0])
		snprintf(when, sizeof(when), ", again in %.1f s", atof(due_in) > 0 ? atof(due_in) : 0.0);
	if (note && note[0])
		snprintf(why, sizeof(why), " (%s)", shim_one_line(buf, sizeof(buf), note));
	shim_log(SHIM_LOG_INFO, "job %lld %s attempt %d: %s -> %s%s%s", job->job_id, job->kind,
			 job->attempt, what, state, when, why);
}

/* Log each job's verdict from outbox_report's rows and plan the next claim for retries. */
static void
apply_verdicts(dispatcher *d, PGresult *res, dispatch_job **jobs, int n)
{
	char	   *seen = calloc((size_t) n, 1);

	qsort(jobs, (size_t) n, sizeof(*jobs), job_cmp);
	for (int row = 0; row < PQntuples(res); row++)
	{
		dispatch_job key = {.job_id = atoll(PQgetvalue(res, row, 0))};
		dispatch_job *keyp = &key;
		dispatch_job **found = bsearch(&keyp, jobs, (size_t) n, sizeof(*jobs), job_cmp);
		const char *state = PQgetvalue(res, row, 1);

		if (found == NULL)
			continue;
		if (seen)
			seen[found - jobs] = 1;
		log_verdict(*found, state, PQgetvalue(res, row, 2), PQgetvalue(res, row, 3));
		if (strcmp(state, "pending") == 0 && !PQgetisnull(res, row, 3))
		{
			long long	at = shim_now_ms() + (long long) (atof(PQgetvalue(res, row, 3)) * 1000) + 1;

			if (at < d->next_claim_at)
				d->next_claim_at = at;
		}
	}
	for (int i = 0; seen && i < n; i++)
		if (!seen[i])
			shim_log(SHIM_LOG_WARNING, "job %lld %s attempt %d: vapi_pool.outbox_report gave no verdict",
					 jobs[i]->job_id, jobs[i]->kind, jobs[i]->attempt);
	free(seen);
}

/*
 * Start reporting every answer waiting, in one vapi_pool.outbox_report call
 * on the reporter connection; it runs while the loop goes on (claims on the
 * other connection, HTTP), and reporter_progress finishes it.
 */
static void
report_start(dispatcher *d)
{
	int			n = d->answered.n;
	dispatch_job **jobs = malloc(sizeof(dispatch_job *) * (size_t) n);
	json_t	   *array = json_array();
	char	   *text = NULL;
	int			i = 0;
	int			rc;

	if (jobs != NULL)
		for (dispatch_job *job = d->answered.head; job; job = job->next)
		{
			jobs[i++] = job;
			json_array_append_new(array, answer_json(job));
		}
	/* 15 significant digits: a vendor's 0.14 is written 0.14 again, not 0.14000000000000001 */
	if (jobs == NULL || (text = json_dumps(array, JSON_COMPACT | JSON_REAL_PRECISION(15))) == NULL)
	{
		json_decref(array);
		free(jobs);
		shim_log(SHIM_LOG_ERROR, "out of memory building a report of %d answers (trying again)", n);
		d->report_at = shim_now_ms() + REPORT_RETRY_MS;
		return;
	}
	json_decref(array);
	memset(&d->answered, 0, sizeof(d->answered));
	d->reporting = jobs;
	d->n_reporting = n;
	d->report_res = NULL;
	if (!PQsendQueryPrepared(d->reporter.conn, REPORT_STMT, 1, (const char *const *) &text, NULL, NULL, 0) ||
		(rc = PQflush(d->reporter.conn)) < 0)
	{
		free(text);
		db_close(d, &d->reporter, "reporting answers", PQerrorMessage(d->reporter.conn), 0);
		return;
	}
	free(text);
	d->report_flushing = rc == 1;
	d->report_deadline = shim_now_ms() + DB_CALL_TIMEOUT_MS;
}

/* Free a reported batch; its jobs no longer count as held. */
static void
report_done(dispatcher *d)
{
	for (int i = 0; i < d->n_reporting; i++)
		job_free(d->reporting[i]);
	free(d->reporting);
	d->held -= d->n_reporting;
	d->reporting = NULL;
	d->n_reporting = 0;
}

/*
 * The report's result: verdicts logged; when the error may pass the
 * answers are kept for the next try; any other error drops them, logged:
 * their leases run out and the database reconciles those jobs.
 */
static void
report_finish(dispatcher *d, PGresult *res)
{
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		apply_verdicts(d, res, d->reporting, d->n_reporting);
	else
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		int			keep = pq_sqlstate_is_connection(sqlstate) || sqlstate_is_transient(sqlstate);

		db_check(d, &d->reporter, res, PGRES_TUPLES_OK, "vapi_pool.outbox_report");
		if (keep)
		{
			report_abort(d);
			d->report_at = shim_now_ms() + REPORT_RETRY_MS;
			return;
		}
		shim_log(SHIM_LOG_ERROR, "%d answers dropped: their leases run out and the database reconciles those jobs",
				 d->n_reporting);
		d->lost += d->n_reporting;
	}
	report_done(d);
}

/*
 * Move the reporter connection on (its socket is ready, or its deadline
 * passed): send the rest of the statement, read the result, finish the
 * report.  Also notices a reporter that died while idle.
 */
static void
reporter_progress(dispatcher *d)
{
	dbconn	   *c = &d->reporter;
	PGresult   *r;

	if (c->conn == NULL)
		return;
	if (d->report_flushing && (d->report_flushing = PQflush(c->conn)) < 0)
	{
		db_close(d, c, "reporting answers", PQerrorMessage(c->conn), 0);
		return;
	}
	if (!PQconsumeInput(c->conn) || PQstatus(c->conn) == CONNECTION_BAD)
	{
		db_close(d, c, d->reporting ? "reporting answers" : "connection lost", PQerrorMessage(c->conn), 0);
		return;
	}
	if (d->reporting == NULL)
		return;
	while (!d->report_flushing && !PQisBusy(c->conn))
	{
		if ((r = PQgetResult(c->conn)) == NULL)
		{
			PGresult   *res = d->report_res;

			d->report_res = NULL;
			if (res == NULL)
				db_close(d, c, "reporting answers", "no result", 0);
			else
				report_finish(d, res);
			PQclear(res);
			/* what came in meanwhile goes out at once */
			if (c->conn && d->answered.n > 0 && shim_now_ms() >= d->report_at)
				report_start(d);
			return;
		}
		pq_keep_result(&d->report_res, r);
	}
	if (d->reporting && shim_now_ms() > d->report_deadline)
		db_close(d, c, "reporting answers", "the server did not answer in time", 0);
}

/* ---------------------------------------------------------------- the loop */

/* Plan a wake-up at time at if it is sooner than *until. */
static void
wake_by(long long *until, long long at)
{
	if (at < *until)
		*until = at;
}

/*
 * Wait for HTTP answers, the database sockets (NOTIFY, a report's result,
 * a lost connection), a signal, the claim timer, a report to send or the
 * next connect attempt.
 */
static void
wait_turn(dispatcher *d)
{
	long long	now = shim_now_ms();
	long long	until = now + d->cfg->dispatch_poll_ms;
	struct curl_waitfd fds[3] = {{.fd = shim_signal_fd(), .events = CURL_WAIT_POLLIN}};
	unsigned	nfds = 1;
	int			claimer_fd = -1,
				reporter_fd = -1;

	if (d->claimer.conn)
	{
		claimer_fd = nfds;
		fds[nfds++] = (struct curl_waitfd) {.fd = PQsocket(d->claimer.conn), .events = CURL_WAIT_POLLIN};
		if (!d->stopping && room_to_claim(d))
			wake_by(&until, d->next_claim_at);
	}
	else if (!d->stopping)
		wake_by(&until, d->claimer.next_connect_at);
	if (d->reporter.conn)
	{
		reporter_fd = nfds;
		fds[nfds++] = (struct curl_waitfd) {.fd = PQsocket(d->reporter.conn),
		.events = CURL_WAIT_POLLIN | (d->report_flushing ? CURL_WAIT_POLLOUT : 0)};
		if (d->reporting)
			wake_by(&until, d->report_deadline);
		else if (d->answered.n > 0)
			wake_by(&until, d->report_at);
	}
	else
		wake_by(&until, d->reporter.next_connect_at);

	if (http_client_poll(d->http, fds, nfds, (int) (until > now ? until - now : 0)) < 0)
		shim_log(SHIM_LOG_ERROR, "libcurl could not poll (retrying)");
	if (fds[0].revents)
		shim_signal_drain();
	if (claimer_fd > 0 && fds[claimer_fd].revents && d->claimer.conn)
	{
		if (!PQconsumeInput(d->claimer.conn) || PQstatus(d->claimer.conn) == CONNECTION_BAD)
			db_close(d, &d->claimer, "connection lost", PQerrorMessage(d->claimer.conn), 0);
		else
			take_notifies(d);
	}
	if (reporter_fd > 0 && (fds[reporter_fd].revents || d->reporting))
		reporter_progress(d);
}

/* The first signal: claim nothing more, finish and report what is in flight. */
static void
begin_stop(dispatcher *d)
{
	d->stopping = 1;
	shim_log(SHIM_LOG_INFO, "stopping (%s): %d requests in flight, %d answers to report",
			 shim_last_signal_name(), http_client_running(d->http),
			 d->answered.n + d->n_reporting);
}

/*
 * A second signal: abandon the requests in flight (their jobs are neither
 * answered nor unsent, since they may have reached the vendor: their leases
 * run out and the database reconciles them).  Their memory goes with the
 * process.
 */
static void
abandon_in_flight(dispatcher *d)
{
	int			running = http_client_running(d->http);

	shim_log(SHIM_LOG_WARNING, "second signal: abandoning %d requests in flight (their leases run out and the database reconciles them)",
			 running);
	http_client_destroy(d->http);
	d->http = http_client_create(1);
	d->held -= running;
	d->lost += running;
}

/*
 * While stopping: 1 when everything is reported (or given up on after
 * STOP_REPORT_MS without a database), with *status the exit status.
 */
static int
stopped(dispatcher *d, long long *give_up_at, int *status)
{
	int			left = d->answered.n + d->n_reporting;

	if (http_client_running(d->http) > 0)
	{
		*give_up_at = 0;
		return 0;
	}
	if (left == 0)
	{
		*status = d->lost > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
		return 1;
	}
	if (*give_up_at == 0)
		*give_up_at = shim_now_ms() + STOP_REPORT_MS;
	else if (shim_now_ms() >= *give_up_at)
	{
		shim_log(SHIM_LOG_ERROR, "%d answers could not be reported (no database): their leases run out and the database reconciles those jobs",
				 left);
		*status = EXIT_FAILURE;
		return 1;
	}
	return 0;
}

/* Run until stopped: claim, send, report, wait.  Returns the exit status. */
static int
run(dispatcher *d)
{
	long long	give_up_at = 0;
	int			status;

	for (;;)
	{
		if (shim_stop_signals() > 0 && !d->stopping)
			begin_stop(d);
		if (shim_stop_signals() > 1 && http_client_running(d->http) > 0)
			abandon_in_flight(d);
		if (d->reporter.conn == NULL && shim_now_ms() >= d->reporter.next_connect_at)
			db_connect(d, &d->reporter);
		if (d->claimer.conn == NULL && !d->stopping && shim_now_ms() >= d->claimer.next_connect_at)
			db_connect(d, &d->claimer);
		if (d->reporter.conn && !d->reporting && d->answered.n > 0 && shim_now_ms() >= d->report_at)
			report_start(d);

		if (d->stopping)
		{
			if (stopped(d, &give_up_at, &status))
				return status;
		}
		else
		{
			if (d->claimer.conn && shim_now_ms() >= d->next_claim_at)
				d->maybe_due = 1;
			while (d->claimer.conn && d->maybe_due && !shim_stop_signals() && room_to_claim(d))
				claim(d);
		}
		wait_turn(d);
	}
}

/* Set up the dispatcher's state (the API keys become header lines in vendor_request.c). */
static int
dispatcher_init(dispatcher *d, const shim_config *cfg)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->seed = (unsigned) time(NULL) ^ (unsigned) getpid();
	d->claimer = (dbconn) {.role = "claims", .backoff_ms = PQ_BACKOFF_MIN_MS, .next_connect_at = shim_now_ms()};
	d->reporter = (dbconn) {.role = "reports", .backoff_ms = PQ_BACKOFF_MIN_MS, .next_connect_at = shim_now_ms()};
	d->next_claim_at = shim_now_ms();
	if ((d->http = http_client_create(cfg->dispatch_concurrency)) == NULL)
	{
		shim_log(SHIM_LOG_ERROR, "out of memory starting the dispatcher");
		return -1;
	}
	return 0;
}

/* Run "vapi-shim dispatch [OPTION]..." (argv[0] is "dispatch"); returns the exit status. */
int
dispatcher_main(int argc, char **argv)
{
	shim_config cfg = {0};
	dispatcher	d;
	int			status;

	switch (config_load_for(&cfg, SHIM_DISPATCH, argc, argv))
	{
		case CONFIG_OK:
			break;
		case CONFIG_EXIT_SUCCESS:
			free(cfg.listen_host);
			return EXIT_SUCCESS;
		case CONFIG_EXIT_USAGE:
			free(cfg.listen_host);
			return SHIM_EXIT_USAGE;
	}
	/* main() initialised libcurl before any subcommand */
	if (shim_signals_setup() != 0)
		return EXIT_FAILURE;
	shim_log(SHIM_LOG_INFO, "vapi-shim %s dispatch starting", SHIM_VERSION);
	config_log_summary(&cfg);
	if (dispatcher_init(&d, &cfg) != 0)
		return EXIT_FAILURE;

	status = run(&d);

	if (d.claimer.conn)
		PQfinish(d.claimer.conn);
	if (d.reporter.conn)
		PQfinish(d.reporter.conn);
	http_client_destroy(d.http);
	free(cfg.listen_host);
	shim_log(SHIM_LOG_INFO, "stopped");
	return status;
}
