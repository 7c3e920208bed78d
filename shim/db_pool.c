/*
 * db_pool.c
 *	  Database worker threads: one blocking libpq connection each, fed from a
 *	  bounded job queue, answering the event loop through h2o_multithread.
 *
 * Threads and what they share:
 *
 *	- The loop thread appends jobs (db_pool_submit) and receives finished ones
 *	  (on_results, through the h2o_multithread queue registered on the loop).
 *	- Each worker thread owns one PGconn and never gives it to anybody.
 *	- pool->lock protects the queue, the worker states, "stopping" and the
 *	  last connection failure.  A worker holds the lock only to take a job
 *	  or change its state, never while talking to the server.
 *	- An idle worker sleeps in poll() on its eventfd (db_pool_submit writes
 *	  to one sleeping worker's), the stop pipe and its connection's socket,
 *	  so a connection the server closes (a restart, a terminated backend) is
 *	  noticed and replaced at once, not by the next webhook, which would
 *	  otherwise meet the dead connection and be answered 503.
 *
 * A worker takes its share of the queue at once (up to DB_BATCH_MAX jobs,
 * and never waits for more: a lone webhook runs at once) and runs them as
 * one group: one statement, vapi_pool.receive_webhooks, in one transaction,
 * so that the group shares one commit and one WAL flush.  The database
 * takes every delivery in a subtransaction of its own (one that fails,
 * fails alone, with its own answer); the worker answers nobody before the
 * group's COMMIT has returned, so a crash loses only unanswered webhooks,
 * which their senders deliver again.  A group that fails as a whole (a
 * cancel, a server out of memory) is answered as one webhook would be,
 * except that an error that a smaller group might not meet makes the worker
 * run the group's webhooks one by one instead.  With --db-group-max 1 (or a
 * batch of one) each webhook is its own statement, pipelined: all go out
 * together, each with its own Sync and so its own transaction.  /metrics
 * counts the groups by size.
 *
 * At most --db-active-max workers run database work at once (a turn,
 * take_jobs and give_turn); the others wait, and what queues meanwhile
 * becomes a larger group, which on a server with few cores gets more done
 * than more connections competing for them.  A worker carrying a live tool
 * call gives its turn back before its HTTP rounds, so bookings that wait for
 * Cal.com hold connections (--db-pool-size) but never turns.
 *
 * Time is bounded everywhere: connecting and the session set-up give up after
 * connect_timeout_ms, a statement ends by statement_timeout on the server and
 * a server that goes silent is given up DB_RESULT_GRACE_MS after that.  A
 * worker that fails to connect waits (backoff, doubling up to a cap) before
 * the next attempt, so an unreachable database never makes a worker spin.
 * When no worker has or is getting a connection, queued jobs are failed at
 * once rather than left to wait for their deadline.
 *
 * /healthz asks db_pool_serving(): the pool serves while at least one
 * worker is connected (idle or busy); otherwise it says why, with the last
 * connection failure.
 *
 * Live tool calls (the end of this file): a receipt in state "waiting" keeps
 * its job in the worker after the batch's other results went back.  The
 * worker sends the requests the receipt names over HTTP (built by
 * vendor_request.c, as the dispatcher's are) and hands their answers to
 * vapi_pool.continue_webhook, round after round, until the database gives
 * the final answer.  Events of one batch that wait run their rounds
 * together, so one slow Cal.com never serialises them.  The worker's
 * connection is idle meanwhile (no transaction is open); the other workers
 * take the queue.
 */
#define _GNU_SOURCE				/* pipe2() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db_conn.h"
#include "db_pool.h"
#include "http_client.h"
#include "log.h"
#include "pq_util.h"
#include "text.h"
#include "vendor_request.h"

#define DB_QUEUE_PER_WORKER 64	/* queue bound = this times the pool size */
#define DB_CONNECT_TIMEOUT_MIN_MS 2000	/* connect + set-up, at least */
#define DB_RESULT_GRACE_MS 2000 /* past statement_timeout: the server is gone */
#define DB_BATCH_MAX SHIM_DB_GROUP_MAX	/* most jobs one worker takes at once */
#define DB_BATCH_BYTES 65536	/* ... and their payloads, unless one is larger */
#define DB_STATEMENT_NAME "vapi_shim_receive_webhook"
#define DB_GROUP_STATEMENT "vapi_shim_receive_webhooks"
#define DB_CONTINUE_STATEMENT "vapi_shim_continue_webhook"
#define DB_RECEIVE_FN "vapi_pool.receive_webhook"
#define DB_CONTINUE_FN "vapi_pool.continue_webhook"
#define DB_GROUP_FN "vapi_pool.receive_webhooks"
#define TEXTOID 25				/* pg_type.h: text, the element type of the group's arrays */
#define DB_LIVE_RESERVE_MS 2000 /* kept before the loop's deadline for the last
								 * continue_webhook and the answer */
#define DB_LIVE_MIN_REQUEST_MS 50	/* less budget left than this counts as none */
#define DB_LIVE_ROUNDS_MAX 8	/* past this many rounds, nothing more is sent */
#define DB_LIVE_REQUESTS_MAX 32 /* requests one event sends in one round */

#define DB_SESSION_SQL \
	"SELECT pg_catalog.set_config('vapi_pool.intake_assistant_id', $1::text, false), " \
	"pg_catalog.set_config('vapi_pool.connector_assistant_id', $2::text, false), " \
	"pg_catalog.set_config('vapi_pool.known_caller_answer', $3::text, false), " \
	"pg_catalog.set_config('vapi_pool.receptionist_assistant_id', $4::text, false)"

/* what a worker is doing; pool->lock protects it */
typedef enum worker_state
{
	WORKER_CONNECTING,			/* connecting and setting the session up */
	WORKER_IDLE,				/* connected, waiting for a job */
	WORKER_BUSY,				/* running a job */
	WORKER_BACKOFF,				/* not connected, waiting to retry */
	WORKER_NSTATES
} worker_state;

/* how waiting for the server ended */
typedef enum wait_status
{
	WAIT_READY,					/* a result (or the connection) is ready */
	WAIT_BROKEN,				/* the connection failed */
	WAIT_TIMEOUT,				/* the deadline passed */
	WAIT_STOP					/* the pool is stopping */
} wait_status;

typedef struct db_worker
{
	db_pool    *pool;
	int			id;				/* 1-based, for log lines */
	pthread_t	thread;
	int			started;
	PGconn	   *conn;			/* worker thread only */
	int			failing;		/* worker thread only: failure already logged */
	unsigned int seed;			/* worker thread only: backoff jitter */
	int			wake_fd;		/* eventfd: a job was queued for this idle worker */
	worker_state state;			/* protected by pool->lock */
	int			sleeping;		/* protected by pool->lock: idle in poll(), not yet woken */
} db_worker;

struct db_pool
{
	const shim_config *cfg;
	int			connect_timeout_ms;

	pthread_mutex_t lock;
	db_job	   *head;			/* protected by lock: the job queue */
	db_job	   *tail;
	int			depth;
	int			capacity;
	int			stopping;
	int			nstate[WORKER_NSTATES]; /* workers in each state */
	char		last_error[DB_POOL_ERROR_MAX];	/* protected by lock: the last connection failure */

	int			stop_pipe[2];	/* readable once the pool is stopping */

	h2o_multithread_queue_t *queue; /* finished jobs go back through this */
	h2o_multithread_receiver_t receiver;

	int			nworkers;
	db_worker  *workers;

	/*
	 * Workers running database work now (protected by lock), at most
	 * active_max: the others wait on turn_cond, and the queue meanwhile
	 * grows into a larger group.  A worker waiting for HTTP (a live tool
	 * call's rounds) has given its turn back.
	 */
	int			active;
	int			active_max;
	pthread_cond_t turn_cond;

	/* the group size histogram (/metrics); any thread, without the lock */
	atomic_ullong group_buckets[DB_GROUP_NBUCKETS];
	atomic_ullong group_count;
	atomic_ullong group_deliveries;
	atomic_ullong groups_split;
	atomic_ullong group_put_off;
};

/* Post a finished job back to the loop; the worker must not touch it after. */
static void
post_job(db_pool *pool, db_job *job, db_outcome outcome)
{
	job->outcome = outcome;
	h2o_multithread_send_message(&pool->receiver, &job->message);
}

/* Detach the whole queue; the caller holds pool->lock. */
static db_job *
take_queue_locked(db_pool *pool)
{
	db_job	   *jobs = pool->head;

	pool->head = pool->tail = NULL;
	pool->depth = 0;
	return jobs;
}

/*
 * Wake one worker sleeping idle (the caller holds pool->lock, and a job
 * waits in the queue); a worker once woken no longer counts as sleeping, so
 * the next job wakes another.
 */
static void
wake_one_locked(db_pool *pool)
{
	static const uint64_t one = 1;

	for (int i = 0; i < pool->nworkers; i++)
	{
		db_worker  *w = &pool->workers[i];

		if (w->sleeping)
		{
			w->sleeping = 0;
			(void) !write(w->wake_fd, &one, sizeof(one));
			return;
		}
	}
}

/* Post every job of a detached queue back with the given outcome. */
static void
post_all(db_pool *pool, db_job *jobs, db_outcome outcome)
{
	while (jobs != NULL)
	{
		db_job	   *next = jobs->next;

		post_job(pool, jobs, outcome);
		jobs = next;
	}
}

/* Is any worker connected or about to be?  The caller holds pool->lock. */
static int
pool_usable_locked(db_pool *pool)
{
	return pool->nstate[WORKER_IDLE] + pool->nstate[WORKER_BUSY] +
		pool->nstate[WORKER_CONNECTING] > 0;
}

/*
 * Change a worker's state.  When that leaves no worker connected or
 * connecting, fail the queued jobs now: nobody would run them.
 */
static void
set_state(db_worker *w, worker_state state)
{
	db_pool    *pool = w->pool;
	db_job	   *orphans = NULL;

	pthread_mutex_lock(&pool->lock);
	pool->nstate[w->state]--;
	w->state = state;
	pool->nstate[state]++;
	if (!pool_usable_locked(pool))
		orphans = take_queue_locked(pool);
	pthread_mutex_unlock(&pool->lock);

	post_all(pool, orphans, DB_UNAVAILABLE);
}

/*
 * Wait until the socket is ready for events, the deadline passes or (when
 * watch_stop) the pool stops.
 */
static wait_status
wait_socket(db_worker *w, short events, long long deadline, int watch_stop)
{
	struct pollfd pfd[2] = {
		{.fd = PQsocket(w->conn), .events = events},
		{.fd = w->pool->stop_pipe[0], .events = POLLIN},
	};

	if (pfd[0].fd < 0)
		return WAIT_BROKEN;
	for (;;)
	{
		long long	left = deadline - shim_now_ms();
		int			rc;

		if (left <= 0)
			return WAIT_TIMEOUT;
		rc = poll(pfd, watch_stop ? 2 : 1, (int) (left > 60000 ? 60000 : left));
		if (rc < 0 && errno != EINTR)
			return WAIT_BROKEN;
		if (rc <= 0)
			continue;
		if (watch_stop && pfd[1].revents != 0)
			return WAIT_STOP;
		if (pfd[0].revents != 0)
			return WAIT_READY;
	}
}

/* Read from the server until a result can be taken without blocking. */
static wait_status
wait_ready(db_worker *w, long long deadline, int watch_stop)
{
	while (PQisBusy(w->conn))
	{
		wait_status wr = wait_socket(w, POLLIN, deadline, watch_stop);

		if (wr != WAIT_READY)
			return wr;
		if (!PQconsumeInput(w->conn))
			return WAIT_BROKEN;
	}
	return WAIT_READY;
}

/*
 * Wait for the results of the command just sent; on WAIT_READY *res is its
 * first result, or its first error when a multi-statement string failed.
 */
static wait_status
get_result(db_worker *w, long long deadline, int watch_stop, PGresult **res)
{
	wait_status wr;
	PGresult   *r;

	*res = NULL;
	while ((wr = wait_ready(w, deadline, watch_stop)) == WAIT_READY &&
		   (r = PQgetResult(w->conn)) != NULL)
		pq_keep_result(res, r);
	if (wr != WAIT_READY)
	{
		PQclear(*res);
		*res = NULL;
		return wr;
	}
	return *res != NULL ? WAIT_READY : WAIT_BROKEN;
}

/*
 * Close the connection after a failure.  The first failure of an outage is
 * logged, later ones stay quiet; so does giving up because the pool stops
 * (detail NULL).  The failure is kept for /healthz (db_pool_serving).
 */
static void
connect_failed(db_worker *w, const char *what, const char *detail)
{
	char		msg[256];

	if (detail != NULL)
	{
		shim_one_line(msg, sizeof(msg), detail);
		if (!w->failing)
			shim_log(SHIM_LOG_WARNING, "database worker %d: %s: %s (retrying with backoff)",
					 w->id, what, msg);
		w->failing = 1;
		pthread_mutex_lock(&w->pool->lock);
		snprintf(w->pool->last_error, sizeof(w->pool->last_error), "%s: %s", what, msg);
		pthread_mutex_unlock(&w->pool->lock);
	}
	if (w->conn != NULL)
	{
		PQfinish(w->conn);
		w->conn = NULL;
	}
}

/*
 * Finish one set-up command (sent is what PQsend* returned); 0 if it gave
 * the wanted status, else the connection is closed and the failure logged.
 */
static int
setup_step(db_worker *w, int sent, long long deadline, const char *what, ExecStatusType want)
{
	PGresult   *res = NULL;
	wait_status wr;
	int			ok;

	if (!sent)
	{
		connect_failed(w, what, PQerrorMessage(w->conn));
		return -1;
	}
	wr = get_result(w, deadline, 1, &res);
	ok = wr == WAIT_READY && PQresultStatus(res) == want;
	if (!ok)
		connect_failed(w, what,
					   wr == WAIT_TIMEOUT ? "timed out" :
					   wr == WAIT_STOP ? NULL :
					   res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(w->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * Connect without blocking past the deadline (or the pool stopping), set the
 * session up and prepare the statement.  0 on success; else the connection
 * is closed and the failure logged (once per outage).
 */
static int
worker_connect(db_worker *w)
{
	const shim_config *cfg = w->pool->cfg;
	long long	deadline = shim_now_ms() + w->pool->connect_timeout_ms;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	char		session_sql[160];
	const char *params[4];

	/* notices as sent: receive_webhook warns when it stores an event as failed */
	w->conn = pq_connect_start(cfg->database_url, "vapi-shim", PQ_NOTICE_AS_SENT);
	if (w->conn == NULL || PQstatus(w->conn) == CONNECTION_BAD)
	{
		connect_failed(w, "could not connect", w->conn ? PQerrorMessage(w->conn) : "out of memory");
		return -1;
	}
	while (st != PGRES_POLLING_OK)
	{
		wait_status wr;

		if (st == PGRES_POLLING_FAILED)
		{
			connect_failed(w, "could not connect", PQerrorMessage(w->conn));
			return -1;
		}
		wr = wait_socket(w, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, 1);
		if (wr == WAIT_TIMEOUT || wr == WAIT_STOP)
		{
			connect_failed(w, "could not connect", wr == WAIT_TIMEOUT ? "timed out" : NULL);
			return -1;
		}
		st = PQconnectPoll(w->conn);
	}

	/* the search_path first: it is in the startup packet too (db_conn.h) */
	snprintf(session_sql, sizeof(session_sql),
			 DB_CONN_PIN_SQL "; SET application_name = 'vapi-shim'; SET statement_timeout = %d",
			 cfg->db_timeout_ms);
	if (setup_step(w, PQsendQuery(w->conn, session_sql), deadline,
				   "could not set up the session", PGRES_COMMAND_OK) != 0)
		return -1;

	params[0] = cfg->intake_assistant_id ? cfg->intake_assistant_id : "";
	params[1] = cfg->connector_assistant_id ? cfg->connector_assistant_id : "";
	params[2] = cfg->known_caller == KNOWN_CALLER_FORWARD ? "forward" : "assistant";
	params[3] = cfg->receptionist_assistant_id ? cfg->receptionist_assistant_id : "";
	if (setup_step(w, PQsendQueryParams(w->conn, DB_SESSION_SQL, 4, NULL, params, NULL, NULL, 0),
				   deadline, "could not set the vapi_pool.* settings", PGRES_TUPLES_OK) != 0)
		return -1;

	if (setup_step(w, PQsendPrepare(w->conn, DB_STATEMENT_NAME, DB_RECEIVE_QUERY, 0, NULL), deadline,
				   "could not prepare vapi_pool.receive_webhook (is the vapi_pool extension installed and current?)",
				   PGRES_COMMAND_OK) != 0)
		return -1;

	if (setup_step(w, PQsendPrepare(w->conn, DB_GROUP_STATEMENT, DB_GROUP_QUERY, 0, NULL), deadline,
				   "could not prepare vapi_pool.receive_webhooks (is the vapi_pool extension installed and current?)",
				   PGRES_COMMAND_OK) != 0)
		return -1;

	if (setup_step(w, PQsendPrepare(w->conn, DB_CONTINUE_STATEMENT, DB_CONTINUE_QUERY, 0, NULL), deadline,
				   "could not prepare vapi_pool.continue_webhook (is the vapi_pool extension installed and current?)",
				   PGRES_COMMAND_OK) != 0)
		return -1;

	if (!PQenterPipelineMode(w->conn))
	{
		connect_failed(w, "could not enter pipeline mode", PQerrorMessage(w->conn));
		return -1;
	}

	if (w->failing)
		shim_log(SHIM_LOG_INFO, "database worker %d: connected again", w->id);
	w->failing = 0;
	return 0;
}

/*
 * The outcome of an error a webhook's statement (or its delivery in a
 * group) met with the connection intact.  Only the SQLSTATE and the primary
 * message are logged: the detail and context of an error may quote the
 * payload.
 */
static db_outcome
sqlstate_outcome(db_job *job, const char *fn, const char *sqlstate, const char *primary)
{
	char		msg[200];

	snprintf(job->sqlstate, sizeof(job->sqlstate), "%s", sqlstate ? sqlstate : "");
	if (sqlstate == NULL)
		sqlstate = "";
	if (strcmp(sqlstate, "57014") == 0)
		return DB_TIMEOUT;
	if (strncmp(sqlstate, "53", 2) == 0 || strncmp(sqlstate, "40", 2) == 0)
	{
		/* out of resources, deadlock, serialization: nothing stored, a retry may work */
		shim_log(SHIM_LOG_WARNING, "%s could not finish a %s webhook (SQLSTATE %s): %s",
				 fn, job->source, sqlstate, shim_one_line(msg, sizeof(msg), primary ? primary : ""));
		return DB_UNAVAILABLE;
	}
	if (strncmp(sqlstate, "22", 2) == 0)
		return DB_BAD_INPUT;
	shim_log(SHIM_LOG_ERROR, "%s failed for a %s webhook (SQLSTATE %s): %s",
			 fn, job->source, sqlstate, shim_one_line(msg, sizeof(msg), primary ? primary : ""));
	return DB_FAILED;
}

/* Is this failure the connection's (lost, or the server going away)? */
static int
connection_failed(db_worker *w, PGresult *res)
{
	return PQstatus(w->conn) == CONNECTION_BAD ||
		pq_sqlstate_is_connection(PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

/*
 * Turn a failed statement into an outcome; 1 if the connection must go.
 */
static int
classify_error(db_worker *w, db_job *job, const char *fn, PGresult *res, db_outcome *outcome)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char		msg[200];

	if (connection_failed(w, res))
	{
		snprintf(job->sqlstate, sizeof(job->sqlstate), "%s", sqlstate ? sqlstate : "");
		*outcome = DB_UNAVAILABLE;
		shim_log(SHIM_LOG_WARNING, "database worker %d: connection lost during a webhook (SQLSTATE %s): %s",
				 w->id, sqlstate ? sqlstate : "none",
				 shim_one_line(msg, sizeof(msg), primary ? primary : PQerrorMessage(w->conn)));
		w->failing = 1;
		return 1;
	}
	*outcome = sqlstate_outcome(job, fn, sqlstate, primary);
	return 0;
}

/*
 * Fill the job from row row of a receipt (http_status, answer, inbox_id,
 * state; fn made it).  An earlier answer of the job (a waiting receipt's
 * requests) is replaced.
 */
static db_outcome
take_row(db_job *job, const char *fn, PGresult *res, int row)
{
	free(job->answer);
	job->answer = NULL;
	job->answer_len = 0;
	job->waiting = 0;
	if (PQgetisnull(res, row, 0) || PQgetisnull(res, row, 1))
	{
		shim_log(SHIM_LOG_ERROR, "%s gave a null http_status or answer for a %s webhook", fn, job->source);
		return DB_FAILED;
	}
	job->http_status = atoi(PQgetvalue(res, row, 0));
	job->inbox_id = PQgetisnull(res, row, 2) ? 0 : atoll(PQgetvalue(res, row, 2));
	job->waiting = !PQgetisnull(res, row, 3) && strcmp(PQgetvalue(res, row, 3), "waiting") == 0;
	job->answer_len = (size_t) PQgetlength(res, row, 1);
	job->answer = malloc(job->answer_len + 1);
	if (job->answer == NULL)
		return DB_FAILED;
	memcpy(job->answer, PQgetvalue(res, row, 1), job->answer_len + 1);
	return DB_DONE;
}

/*
 * Fill the job from a one-row receipt; 1 if the connection must go (the
 * caller closes it).
 */
static int
take_result(db_worker *w, db_job *job, const char *fn, PGresult *res, db_outcome *outcome)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return classify_error(w, job, fn, res, outcome);
	if (PQntuples(res) != 1 || PQnfields(res) != 4)
	{
		*outcome = DB_FAILED;
		shim_log(SHIM_LOG_ERROR, "%s gave %d rows of %d columns for a %s webhook: want one row of four",
				 fn, PQntuples(res), PQnfields(res), job->source);
		return 0;
	}
	*outcome = take_row(job, fn, res, 0);
	return 0;
}

/*
 * Read the next statement's results from the pipeline up to their end and
 * return the first (the rest are dropped).  NULL when the server went
 * silent or the connection broke: the connection is then closed and
 * *outcome says which.
 */
static PGresult *
next_result(db_worker *w, long long deadline, db_outcome *outcome)
{
	PGresult   *res = NULL;
	PGresult   *r;
	wait_status wr;

	/* the running statement is finished even when the pool stops */
	while ((wr = wait_ready(w, deadline, 0)) == WAIT_READY && (r = PQgetResult(w->conn)) != NULL)
	{
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	if (wr == WAIT_TIMEOUT)
	{
		PQclear(res);
		connect_failed(w, "the server did not answer", "no result long after statement_timeout");
		*outcome = DB_TIMEOUT;
		return NULL;
	}
	if (wr != WAIT_READY || res == NULL)
	{
		PQclear(res);
		connect_failed(w, "connection lost during a webhook", PQerrorMessage(w->conn));
		*outcome = DB_UNAVAILABLE;
		return NULL;
	}
	return res;
}

/*
 * Read the Sync that ends a statement: its transaction has committed when
 * it comes.  Anything else (a failed commit, a broken connection), or
 * broken already set, closes the connection; returns 0 when the Sync came.
 */
static int
end_statement(db_worker *w, long long deadline, int broken)
{
	PGresult   *r = NULL;

	if (!broken &&
		(wait_ready(w, deadline, 0) != WAIT_READY ||
		 (r = PQgetResult(w->conn)) == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC))
		broken = 1;
	PQclear(r);
	if (broken)
	{
		PQfinish(w->conn);
		w->conn = NULL;
		return -1;
	}
	return 0;
}

/*
 * Read the results of the next statement in the pipeline (its result, the
 * end of its results, its Sync) and fill its job; fn names the function the
 * statement called.  A broken or stuck connection is closed: w->conn is NULL
 * afterwards.  Without the Sync the commit is unknown: nothing is answered
 * but "unavailable" (a redelivery gets the stored answer if it committed).
 */
static db_outcome
read_job_result(db_worker *w, db_job *job, const char *fn)
{
	/* the statement ends by statement_timeout: past that, the server is gone */
	long long	deadline = shim_now_ms() + w->pool->cfg->db_timeout_ms + DB_RESULT_GRACE_MS;
	db_outcome	outcome = DB_UNAVAILABLE;
	PGresult   *res = next_result(w, deadline, &outcome);
	int			broken;

	if (res == NULL)
		return outcome;
	broken = take_result(w, job, fn, res, &outcome);
	PQclear(res);
	if (end_statement(w, deadline, broken) != 0 && !broken)
		return DB_UNAVAILABLE;
	return outcome;
}

/* ---------------------------------------------------------------- groups */

/* Count one transaction of n webhooks in the group size histogram. */
static void
count_group(db_pool *pool, int n)
{
	static const int bounds[DB_GROUP_NBUCKETS] = DB_GROUP_BOUNDS;
	int			b = 0;

	while (b < DB_GROUP_NBUCKETS - 1 && n > bounds[b])
		b++;
	atomic_fetch_add(&pool->group_buckets[b], 1);
	atomic_fetch_add(&pool->group_count, 1);
	atomic_fetch_add(&pool->group_deliveries, (unsigned long long) n);
}

/* Append a 32-bit integer in network byte order. */
static char *
put_int32(char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/*
 * A one-dimensional text[] in PostgreSQL's binary array format (what
 * array_recv reads): the bodies go as they came, with no escaping.
 * malloc'd, NULL when out of memory; *len is its length.
 */
static char *
text_array(const char *const *items, const size_t *lens, int n, int *len)
{
	size_t		total = 5 * sizeof(uint32_t);
	char	   *buf;
	char	   *p;

	for (int i = 0; i < n; i++)
		total += sizeof(uint32_t) + lens[i];
	if (total > INT32_MAX || (buf = malloc(total)) == NULL)
		return NULL;
	p = put_int32(buf, 1);		/* dimensions */
	p = put_int32(p, 0);		/* no NULL element */
	p = put_int32(p, TEXTOID);
	p = put_int32(p, (uint32_t) n);
	p = put_int32(p, 1);		/* lower bound */
	for (int i = 0; i < n; i++)
	{
		p = put_int32(p, (uint32_t) lens[i]);
		memcpy(p, items[i], lens[i]);
		p += lens[i];
	}
	*len = (int) total;
	return buf;
}

/*
 * Send receive_webhooks for jobs (and a Sync); 0 if sent, else -1 with the
 * jobs' outcome in *outcome (the connection closed when it failed).
 */
static int
send_group(db_worker *w, db_job **jobs, int n, db_outcome *outcome)
{
	const char *sources[DB_BATCH_MAX];
	const char *bodies[DB_BATCH_MAX];
	size_t		source_lens[DB_BATCH_MAX];
	size_t		body_lens[DB_BATCH_MAX];
	char	   *params[2];
	int			lens[2];
	static const int formats[2] = {1, 1};
	int			sent;

	for (int i = 0; i < n; i++)
	{
		sources[i] = jobs[i]->source;
		source_lens[i] = strlen(jobs[i]->source);
		bodies[i] = jobs[i]->payload;
		body_lens[i] = jobs[i]->payload_len;
	}
	params[0] = text_array(sources, source_lens, n, &lens[0]);
	params[1] = text_array(bodies, body_lens, n, &lens[1]);
	if (params[0] == NULL || params[1] == NULL)
	{
		free(params[0]);
		free(params[1]);
		shim_log(SHIM_LOG_ERROR, "out of memory building a group of %d webhooks", n);
		*outcome = DB_UNAVAILABLE;	/* nothing stored: a retry may work */
		return -1;
	}
	sent = PQsendQueryPrepared(w->conn, DB_GROUP_STATEMENT, 2, (const char *const *) params, lens, formats, 0) &&
		PQpipelineSync(w->conn);
	free(params[0]);
	free(params[1]);
	if (!sent)
	{
		connect_failed(w, "could not send a group of webhooks", PQerrorMessage(w->conn));
		*outcome = DB_UNAVAILABLE;
		return -1;
	}
	return 0;
}

/*
 * Fill every job of a group from receive_webhooks' rows (one per delivery,
 * in order); a delivery put off is marked in later[] instead.
 */
static void
take_group_rows(db_job **jobs, int n, PGresult *res, db_outcome *outcomes, int *later)
{
	if (PQntuples(res) != n || PQnfields(res) != 7)
	{
		shim_log(SHIM_LOG_ERROR, "%s gave %d rows of %d columns for a group of %d webhooks: want one row of seven each",
				 DB_GROUP_FN, PQntuples(res), PQnfields(res), n);
		for (int i = 0; i < n; i++)
			outcomes[i] = DB_FAILED;
		return;
	}
	for (int i = 0; i < n; i++)
	{
		if (atoi(PQgetvalue(res, i, 6)) != i + 1)
		{
			shim_log(SHIM_LOG_ERROR, "%s gave row %d as delivery %s", DB_GROUP_FN, i + 1, PQgetvalue(res, i, 6));
			outcomes[i] = DB_FAILED;
		}
		else if (!PQgetisnull(res, i, 3) && strcmp(PQgetvalue(res, i, 3), "put_off") == 0)
			later[i] = 1;	/* stored nothing; alone, after the commit, it goes through */
		else if (!PQgetisnull(res, i, 4))
			outcomes[i] = sqlstate_outcome(jobs[i], DB_GROUP_FN, PQgetvalue(res, i, 4), PQgetvalue(res, i, 5));
		else
			outcomes[i] = take_row(jobs[i], DB_GROUP_FN, res, i);
	}
}

/*
 * Where a batch's finished jobs go: back to the loop at once, or, when the
 * receipt is "waiting", kept for their live rounds (run_live_events).
 */
typedef struct batch_done
{
	db_pool    *pool;
	db_job	   *waiting[DB_BATCH_MAX];
	int			nwaiting;
} batch_done;

/* A job's transaction is over (committed, or known not to have been): hand it on. */
static void
finish_job(batch_done *done, db_job *job, db_outcome outcome)
{
	if (outcome == DB_DONE && job->waiting)
		done->waiting[done->nwaiting++] = job;
	else
		post_job(done->pool, job, outcome);
}

/*
 * Run jobs one statement each, pipelined: every statement is sent at once,
 * each followed by its own Sync (so each runs in its own transaction and
 * fails alone), then the results are read in order, each job finished as
 * soon as its Sync came.  When the connection breaks, the jobs still
 * without a result are unavailable.
 */
static void
run_one_by_one(db_worker *w, db_job **jobs, int n, batch_done *done)
{
	int			nsent = 0;

	while (nsent < n && w->conn != NULL)
	{
		const char *params[2] = {jobs[nsent]->source, jobs[nsent]->payload};

		if (!PQsendQueryPrepared(w->conn, DB_STATEMENT_NAME, 2, params, NULL, NULL, 0) ||
			!PQpipelineSync(w->conn))
		{
			connect_failed(w, "could not send a webhook", PQerrorMessage(w->conn));
			break;
		}
		nsent++;
	}
	for (int i = 0; i < n; i++)
	{
		db_outcome	outcome = DB_UNAVAILABLE;

		if (i < nsent)
		{
			count_group(w->pool, 1);
			if (w->conn != NULL)
				outcome = read_job_result(w, jobs[i], DB_RECEIVE_FN);
		}
		finish_job(done, jobs[i], outcome);
	}
}

/*
 * Run jobs as one group: one receive_webhooks statement, one transaction.
 * Once the Sync (the commit) has come, every job is finished at once, but
 * the deliveries the database put off, which then run alone.  Returns -1,
 * with nothing stored and nothing finished, when the group failed as a
 * whole with an error a smaller group might not meet: the caller runs its
 * jobs one by one.  A lost connection or a cancel is every job's outcome.
 */
static int
run_group(db_worker *w, db_job **jobs, int n, batch_done *done)
{
	long long	deadline = shim_now_ms() + w->pool->cfg->db_timeout_ms + DB_RESULT_GRACE_MS;
	db_outcome	whole = DB_UNAVAILABLE;
	db_outcome	outcomes[DB_BATCH_MAX];
	int			later[DB_BATCH_MAX] = {0};
	db_job	   *again[DB_BATCH_MAX];
	int			nagain = 0;
	PGresult   *res = NULL;
	int			broken = 0;
	int			split = 0;
	int			committed;

	count_group(w->pool, n);
	for (int i = 0; i < n; i++)
		outcomes[i] = DB_UNAVAILABLE;
	if (send_group(w, jobs, n, &whole) != 0 || (res = next_result(w, deadline, &whole)) == NULL)
	{
		for (int i = 0; i < n; i++)
			finish_job(done, jobs[i], whole);
		return 0;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		take_group_rows(jobs, n, res, outcomes, later);
	else
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		char		state[sizeof(jobs[0]->sqlstate)];

		broken = classify_error(w, jobs[0], DB_GROUP_FN, res, &whole);
		split = !broken && whole != DB_TIMEOUT;
		if (split)
			shim_log(SHIM_LOG_WARNING, "a group of %d webhooks failed as a whole (SQLSTATE %s): running them one by one",
					 n, sqlstate ? sqlstate : "none");
		snprintf(state, sizeof(state), "%s", jobs[0]->sqlstate);
		for (int i = 0; i < n; i++)
		{
			outcomes[i] = whole;
			memcpy(jobs[i]->sqlstate, state, sizeof(state));
		}
	}
	PQclear(res);
	committed = end_statement(w, deadline, broken) == 0;
	if (split && committed)
	{
		atomic_fetch_add(&w->pool->groups_split, 1);
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		if (committed && later[i] && atomic_load(&jobs[i]->abandoned))
			finish_job(done, jobs[i], DB_SKIPPED);	/* the loop answered it meanwhile */
		else if (committed && later[i])
			again[nagain++] = jobs[i];
		else
			/* without the Sync the commit is unknown: a redelivery gets the stored answer if it happened */
			finish_job(done, jobs[i], committed || broken ? outcomes[i] : DB_UNAVAILABLE);
	}
	if (nagain > 0)
	{
		atomic_fetch_add(&w->pool->group_put_off, (unsigned long long) nagain);
		run_one_by_one(w, again, nagain, done);
	}
	return 0;
}

/* ---------------------------------------------------------------- live tool calls */

/* one event waiting for HTTP answers between its statements */
typedef struct live_event
{
	db_job	   *job;
	json_t	   *requests;		/* this round's requests (a JSON array), owned */
	json_t	   *responses;		/* this round's answers (a JSON array), owned */
	long long	budget_end;		/* monotonic ms: nothing is sent past it */
	int			budget_ms;		/* what the database asked for, for the log */
	int			round;			/* 1-based */
	int			exhausted;		/* this round sent nothing: no budget was left */
	char		summary[512];	/* "id=status, ..." of this round, for the log */
} live_event;

/* one request of a round; its vr.req is handed to http_perform_all */
typedef struct live_request
{
	live_event *ev;
	const char *id;				/* points into ev->requests */
	vendor_request vr;
} live_request;

/* A vendor's answer text as a JSON string jsonb accepts (see shim_clean_utf8). */
static json_t *
jsonb_safe_string(const char *text, size_t len)
{
	char	   *copy = shim_clean_utf8(text, len);
	json_t	   *str = copy ? json_string(copy) : NULL;

	free(copy);
	return str != NULL ? str : json_null();
}

/* A string of the request object, or NULL when absent or not a string. */
static const char *
request_string(json_t *request, const char *key)
{
	return json_string_value(json_object_get(request, key));
}

/* Append "id=what" to the event's log summary (ids printable, cut short). */
static void
summarize(live_event *ev, const char *id, const char *what)
{
	size_t		used = strlen(ev->summary);
	char		clean_id[64];
	char		clean_what[96];

	if (used + 4 >= sizeof(ev->summary))
		return;
	snprintf(ev->summary + used, sizeof(ev->summary) - used, "%s%s=%s", used > 0 ? ", " : "",
			 shim_one_line(clean_id, sizeof(clean_id), id), shim_one_line(clean_what, sizeof(clean_what), what));
}

/* Answer a request that was not sent: status 0 and why. */
static void
answer_unsent(live_event *ev, const char *id, const char *error)
{
	char		what[96];

	json_array_append_new(ev->responses,
						  json_pack("{s:s, s:i, s:n, s:n, s:s}", "id", id, "status", 0,
									"body", "retry_after", "error", error));
	snprintf(what, sizeof(what), "0 (not sent: %s)", error);
	summarize(ev, id, what);
}

/* Answer a request with what came back over HTTP. */
static void
answer_sent(live_event *ev, const char *id, const http_response *resp)
{
	char		what[96];
	json_t	   *answer = json_pack("{s:s, s:I}", "id", id, "status", (json_int_t) resp->status);

	json_object_set_new(answer, "body", resp->status > 0 ? jsonb_safe_string(resp->body, resp->body_len) : json_null());
	json_object_set_new(answer, "retry_after",
						resp->retry_after ? jsonb_safe_string(resp->retry_after, strlen(resp->retry_after)) : json_null());
	json_object_set_new(answer, "error",
						resp->status > 0 ? json_null() :
						jsonb_safe_string(resp->error[0] ? resp->error : "no answer",
										  strlen(resp->error[0] ? resp->error : "no answer")));
	json_array_append_new(ev->responses, answer);
	if (resp->status > 0)
		snprintf(what, sizeof(what), "%ld", resp->status);
	else
		snprintf(what, sizeof(what), "0 (%s)", resp->error[0] ? resp->error : "no answer");
	summarize(ev, id, what);
}

/*
 * Turn one request object of a waiting receipt ({service, method, path,
 * headers, body}) into an HTTP request in lr->vr.  NULL when it is ready to
 * send, else why it cannot be sent.
 */
static const char *
prepare_request(const shim_config *cfg, json_t *item, long timeout_ms, live_request *lr)
{
	json_t	   *body = json_object_get(item, "body");
	json_t	   *headers = json_object_get(item, "headers");
	vendor_call call = {
		.service = request_string(item, "service"),
		.method = request_string(item, "method"),
		.path = request_string(item, "path"),
		.headers = json_is_object(headers) ? headers : NULL,
		.malformed = (body != NULL && !json_is_null(body) && !json_is_string(body)) ||
			(headers != NULL && !json_is_null(headers) && !json_is_object(headers)),
		.body = json_string_value(body),
		.body_len = json_string_length(body),
		.timeout_ms = timeout_ms,
	};

	return vendor_request_build(&lr->vr, VENDOR_LIVE_TOOL_CALL, cfg, &call);
}

/* How many requests of a round's events may go out at most. */
static size_t
round_capacity(live_event *events, int n)
{
	size_t		total = 0;

	for (int i = 0; i < n; i++)
		if (events[i].job != NULL)
		{
			size_t		k = json_array_size(events[i].requests);

			total += k < DB_LIVE_REQUESTS_MAX ? k : DB_LIVE_REQUESTS_MAX;
		}
	return total;
}

/*
 * Queue one event's requests for this round: each goes out with
 * min(timeout_ms, what is left of the budget); with no budget left (or past
 * DB_LIVE_ROUNDS_MAX rounds, or no room: reqs NULL) every request is
 * answered "budget exhausted" without being sent.  Returns how many were
 * queued in reqs/lrs.
 */
static size_t
queue_event_requests(const shim_config *cfg, live_event *ev, http_request *reqs, live_request *lrs)
{
	long long	left = ev->budget_end - shim_now_ms();
	size_t		queued = 0;
	size_t		i;
	json_t	   *item;

	ev->exhausted = left < DB_LIVE_MIN_REQUEST_MS || ev->round > DB_LIVE_ROUNDS_MAX || reqs == NULL;
	json_array_foreach(ev->requests, i, item)
	{
		const char *id = request_string(item, "id");
		json_int_t	timeout = json_integer_value(json_object_get(item, "timeout_ms"));
		const char *why;

		if (id == NULL)
			continue;			/* nothing to answer it by: the database sees no answer */
		if (ev->exhausted)
		{
			answer_unsent(ev, id, "budget exhausted");
			continue;
		}
		if (queued >= DB_LIVE_REQUESTS_MAX)
		{
			answer_unsent(ev, id, "too many requests in one round");
			continue;
		}
		lrs[queued].ev = ev;
		lrs[queued].id = id;
		why = prepare_request(cfg, item, (long) (timeout > 0 && timeout < left ? timeout : left),
							  &lrs[queued]);
		if (why != NULL)
		{
			answer_unsent(ev, id, why);
			vendor_request_free(&lrs[queued].vr);
			continue;
		}
		reqs[queued] = lrs[queued].vr.req;
		reqs[queued].user = &lrs[queued];
		queued++;
	}
	return queued;
}

/*
 * One round's HTTP: every live event's requests go out at once and each
 * answer lands in its event's responses.  Returns the round's HTTP time.
 */
static long long
send_round(const shim_config *cfg, live_event *events, int n)
{
	size_t		cap = round_capacity(events, n);
	http_request *reqs = calloc(cap ? cap : 1, sizeof(*reqs));
	live_request *lrs = calloc(cap ? cap : 1, sizeof(*lrs));
	http_response *out = calloc(cap ? cap : 1, sizeof(*out));
	int			room = reqs != NULL && lrs != NULL && out != NULL;
	size_t		total = 0;
	long		longest = 0;
	long long	started = shim_now_ms();

	for (int i = 0; i < n; i++)
	{
		live_event *ev = &events[i];

		if (ev->job == NULL)
			continue;
		json_decref(ev->responses);
		ev->responses = json_array();
		ev->summary[0] = '\0';
		total += queue_event_requests(cfg, ev, room ? reqs + total : NULL, room ? lrs + total : NULL);
	}
	for (size_t i = 0; i < total; i++)
		longest = reqs[i].timeout_ms > longest ? reqs[i].timeout_ms : longest;
	if (total > 0)
		http_perform_all(reqs, out, total, longest + 100);
	for (size_t i = 0; i < total; i++)
	{
		answer_sent(lrs[i].ev, lrs[i].id, &out[i]);
		http_response_free(&out[i]);
		vendor_request_free(&lrs[i].vr);
	}
	free(reqs);
	free(lrs);
	free(out);
	return shim_now_ms() - started;
}

/*
 * Read a waiting receipt's answer: {"requests": [...], "budget_ms": N}.  The
 * first round fixes the budget, counted from the job's submission and cut
 * to end DB_LIVE_RESERVE_MS before the loop's deadline.  0, or -1 (logged)
 * when the answer is not of that shape.
 */
static int
read_requests(const shim_config *cfg, live_event *ev)
{
	db_job	   *job = ev->job;
	json_t	   *answer = json_loadb(job->answer, job->answer_len, 0, NULL);
	json_t	   *requests = json_object_get(answer, "requests");
	int			timeout_ms = job->timeout_ms > 0 ? job->timeout_ms : cfg->db_timeout_ms;

	if (!json_is_array(requests))
	{
		shim_log(SHIM_LOG_ERROR, "inbox event %lld is waiting, but its answer names no requests", job->inbox_id);
		json_decref(answer);
		return -1;
	}
	json_decref(ev->requests);
	ev->requests = json_incref(requests);
	if (ev->round == 1)
	{
		json_int_t	budget = json_integer_value(json_object_get(answer, "budget_ms"));
		long long	most = timeout_ms - DB_LIVE_RESERVE_MS;

		ev->budget_ms = (int) budget;
		ev->budget_end = job->submitted_at + (budget > 0 && budget < most ? budget : most);
	}
	json_decref(answer);
	return 0;
}

/*
 * Hand the round's answers to continue_webhook and read the receipt into
 * the job.  A connection lost since the requests went out is replaced once:
 * what Cal.com answered must reach the database.  A refusal of the answers
 * (class 22) is a failure here, not the sender's bad input.
 */
static db_outcome
continue_event(db_worker *w, live_event *ev)
{
	char		inbox_id[24];
	char	   *responses = json_dumps(ev->responses, JSON_COMPACT);
	const char *params[2] = {inbox_id, responses};
	db_outcome	outcome;

	snprintf(inbox_id, sizeof(inbox_id), "%lld", ev->job->inbox_id);
	if (responses == NULL)
		return DB_FAILED;
	if (w->conn == NULL && worker_connect(w) != 0)
		outcome = DB_UNAVAILABLE;
	else if (!PQsendQueryPrepared(w->conn, DB_CONTINUE_STATEMENT, 2, params, NULL, NULL, 0) ||
			 !PQpipelineSync(w->conn))
	{
		connect_failed(w, "could not send the answers of a tool call", PQerrorMessage(w->conn));
		outcome = DB_UNAVAILABLE;
	}
	else
		outcome = read_job_result(w, ev->job, DB_CONTINUE_FN);
	free(responses);
	if (outcome == DB_BAD_INPUT)
	{
		/* the answers are the shim's own JSON: not the sender's fault */
		shim_log(SHIM_LOG_ERROR, "%s refused the answers for inbox event %lld (SQLSTATE %s)",
				 DB_CONTINUE_FN, ev->job->inbox_id, ev->job->sqlstate);
		outcome = DB_FAILED;
	}
	return outcome;
}

/* The log line of one round: inbox id, requests and statuses, times, what followed. */
static void
log_round(live_event *ev, long long http_ms, db_outcome outcome)
{
	db_job	   *job = ev->job;
	long long	elapsed = shim_now_ms() - job->submitted_at;
	long long	budget = ev->budget_end - job->submitted_at;
	char		result[48];
	char		asked[40] = "";

	if (outcome != DB_DONE)
		snprintf(result, sizeof(result), "continue_webhook failed");
	else if (job->waiting)
		snprintf(result, sizeof(result), "more requests");
	else
		snprintf(result, sizeof(result), "answered %d", job->http_status);
	if (budget != ev->budget_ms)
		snprintf(asked, sizeof(asked), ", the database asked %d", ev->budget_ms);
	shim_log(outcome == DB_DONE ? SHIM_LOG_INFO : SHIM_LOG_WARNING,
			 "live tool call: inbox %lld round %d: %zu request%s [%s] in %lld ms%s, %lld ms since arrival (budget %lld ms%s): %s",
			 job->inbox_id, ev->round, json_array_size(ev->requests),
			 json_array_size(ev->requests) == 1 ? "" : "s", ev->summary, http_ms,
			 ev->exhausted ? " (budget exhausted, none sent)" : "", elapsed, budget, asked, result);
}

/* The event is over: post its job with this outcome and free the rest. */
static void
finish_event(db_pool *pool, live_event *ev, db_outcome outcome)
{
	json_decref(ev->requests);
	json_decref(ev->responses);
	ev->requests = ev->responses = NULL;
	post_job(pool, ev->job, outcome);
	ev->job = NULL;
}

/*
 * Run waiting events to their final answers, their rounds together: send
 * every live event's requests, then give each event its answers
 * (continue_webhook), until none waits.  An event still waiting after a
 * round that had no budget breaks the contract and fails.
 */
static void
run_live_events(db_worker *w, db_job **jobs, int n)
{
	const shim_config *cfg = w->pool->cfg;
	live_event	events[DB_BATCH_MAX];
	int			live = 0;

	memset(events, 0, sizeof(events));
	for (int i = 0; i < n; i++)
	{
		events[i].job = jobs[i];
		events[i].round = 1;
		if (read_requests(cfg, &events[i]) == 0)
			live++;
		else
			finish_event(w->pool, &events[i], DB_FAILED);
	}
	while (live > 0)
	{
		long long	http_ms = send_round(cfg, events, n);

		for (int i = 0; i < n; i++)
		{
			live_event *ev = &events[i];
			db_outcome	outcome;

			if (ev->job == NULL)
				continue;
			outcome = continue_event(w, ev);
			log_round(ev, http_ms, outcome);
			if (outcome == DB_DONE && ev->job->waiting && ev->exhausted)
			{
				shim_log(SHIM_LOG_ERROR, "%s kept inbox event %lld waiting after every request was answered \"budget exhausted\"",
						 DB_CONTINUE_FN, ev->job->inbox_id);
				outcome = DB_FAILED;
			}
			ev->round++;
			if (outcome == DB_DONE && ev->job->waiting && read_requests(cfg, ev) == 0)
				continue;
			finish_event(w->pool, ev, outcome == DB_DONE && ev->job->waiting ? DB_FAILED : outcome);
			live--;
		}
	}
}

/*
 * Give back the turn take_jobs took (the worker's database work is done, or
 * it goes on to HTTP): a worker waiting for one, or a sleeping one if work
 * is queued, takes it.
 */
static void
give_turn(db_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->active--;
	pthread_cond_signal(&pool->turn_cond);
	if (pool->head != NULL)
		wake_one_locked(pool);
	pthread_mutex_unlock(&pool->lock);
}

/*
 * The worker waited for its turn without watching its connection: before
 * running what it took, make sure the connection is still there, and if the
 * server closed it meanwhile, connect again once.
 */
static void
check_connection(db_worker *w)
{
	if (w->conn != NULL && (!PQconsumeInput(w->conn) || PQstatus(w->conn) == CONNECTION_BAD))
		connect_failed(w, "connection closed while waiting for a turn", PQerrorMessage(w->conn));
	if (w->conn == NULL)
		(void) worker_connect(w);
}

/*
 * Run a batch of jobs on the worker's connection: in groups of at most
 * --db-group-max (a group of one, or --db-group-max 1, runs one statement a
 * job, pipelined), each job going back to the loop as soon as its
 * transaction committed.  A job the loop abandoned meanwhile is not run.
 * The turn is given back before the jobs whose receipt is "waiting" go on
 * (run_live_events), with the pipeline empty.
 */
static void
worker_run_batch(db_worker *w, db_job **batch, int n)
{
	db_pool    *pool = w->pool;
	int			group_max = pool->cfg->db_group_max > 1 ? pool->cfg->db_group_max : 1;
	db_job	   *jobs[DB_BATCH_MAX];
	batch_done	done = {.pool = pool};
	int			njobs = 0;

	check_connection(w);
	for (int i = 0; i < n; i++)
	{
		if (atomic_load(&batch[i]->abandoned))
			post_job(pool, batch[i], DB_SKIPPED);
		else if (w->conn == NULL)
			post_job(pool, batch[i], DB_UNAVAILABLE);
		else
			jobs[njobs++] = batch[i];
	}

	if (group_max == 1 || njobs == 1)
		run_one_by_one(w, jobs, njobs, &done);
	else
		for (int start = 0; start < njobs; start += group_max)
		{
			int			size = njobs - start < group_max ? njobs - start : group_max;

			if (size == 1 || w->conn == NULL || run_group(w, jobs + start, size, &done) != 0)
				run_one_by_one(w, jobs + start, size, &done);
		}

	give_turn(pool);
	if (done.nwaiting > 0)
		run_live_events(w, done.waiting, done.nwaiting);
}

/*
 * Sleep while idle (pool->lock not held) until db_pool_submit wakes this
 * worker, the pool stops, or the server sends something or goes away on the
 * connection: a notice or a parameter change is read and the sleep goes
 * on; a closed connection returns 1 (the caller closes it), else 0.
 */
static int
idle_wait(db_worker *w)
{
	struct pollfd pfd[3] = {
		{.fd = w->wake_fd, .events = POLLIN},
		{.fd = w->pool->stop_pipe[0], .events = POLLIN},
		{.fd = PQsocket(w->conn), .events = POLLIN},
	};
	uint64_t	count;

	if (pfd[2].fd < 0)
		return 1;
	if (poll(pfd, 3, -1) < 0)
		return 0;				/* EINTR: the caller looks again */
	if (pfd[0].revents != 0)
		(void) !read(w->wake_fd, &count, sizeof(count));
	if (pfd[2].revents != 0 && (!PQconsumeInput(w->conn) || PQstatus(w->conn) == CONNECTION_BAD))
		return 1;
	return 0;
}

/*
 * Take the next jobs, waiting while idle or while every turn to run
 * database work is taken (--db-active-max); 0 when the pool stops, -1 when
 * the connection closed while idle (the caller closes it and reconnects).
 * A worker takes its share of the queue (so that the other turns get the
 * rest), at most DB_BATCH_MAX jobs and about DB_BATCH_BYTES of payload, and
 * a turn, which worker_run_batch gives back.
 */
static int
take_jobs(db_worker *w, db_job **batch)
{
	db_pool    *pool = w->pool;
	int			n = 0;
	int			share;
	size_t		bytes = 0;

	pthread_mutex_lock(&pool->lock);
	pool->nstate[w->state]--;
	w->state = WORKER_IDLE;
	pool->nstate[WORKER_IDLE]++;
	while (!pool->stopping &&
		   (pool->head == NULL || pool->active >= pool->active_max))
	{
		int			lost;

		if (pool->head != NULL)
		{
			/* work waits but every turn is taken: the queue grows into a larger group meanwhile */
			pthread_cond_wait(&pool->turn_cond, &pool->lock);
			continue;
		}

		w->sleeping = 1;
		pthread_mutex_unlock(&pool->lock);
		lost = idle_wait(w);
		pthread_mutex_lock(&pool->lock);
		w->sleeping = 0;
		if (lost)
		{
			/* not connected from now on; a job meant for us goes to another worker */
			pool->nstate[w->state]--;
			w->state = WORKER_CONNECTING;
			pool->nstate[WORKER_CONNECTING]++;
			if (pool->head != NULL)
				wake_one_locked(pool);
			pthread_mutex_unlock(&pool->lock);
			return -1;
		}
	}
	if (!pool->stopping)
	{
		pool->active++;
		share = (pool->depth + pool->active_max - 1) / pool->active_max;
		if (share > DB_BATCH_MAX)
			share = DB_BATCH_MAX;
		while (pool->head != NULL && n < share &&
			   (n == 0 || bytes + pool->head->payload_len <= DB_BATCH_BYTES))
		{
			db_job	   *job = pool->head;

			pool->head = job->next;
			if (pool->head == NULL)
				pool->tail = NULL;
			pool->depth--;
			job->next = NULL;
			bytes += job->payload_len;
			batch[n++] = job;
		}
		pool->nstate[WORKER_IDLE]--;
		w->state = WORKER_BUSY;
		pool->nstate[WORKER_BUSY]++;
	}
	pthread_mutex_unlock(&pool->lock);
	return n;
}

/* Sleep for ms unless the pool stops first; 1 if it is stopping. */
static int
sleep_or_stop(db_pool *pool, int ms)
{
	struct pollfd pfd = {.fd = pool->stop_pipe[0], .events = POLLIN};
	long long	deadline = shim_now_ms() + ms;
	long long	left;

	while ((left = deadline - shim_now_ms()) > 0)
	{
		if (poll(&pfd, 1, (int) left) > 0)
			return 1;
	}
	return 0;
}

/* Thread body: connect (with backoff), then run jobs until the pool stops. */
static void *
worker_main(void *arg)
{
	db_worker  *w = arg;
	db_pool    *pool = w->pool;
	int			backoff = PQ_BACKOFF_MIN_MS;

	for (;;)
	{
		db_job	   *batch[DB_BATCH_MAX];
		int			n;

		if (w->conn == NULL)
		{
			set_state(w, WORKER_CONNECTING);
			if (worker_connect(w) != 0)
			{
				int			wait_ms = pq_backoff_wait(&backoff, &w->seed);

				set_state(w, WORKER_BACKOFF);
				if (sleep_or_stop(pool, wait_ms))
					break;
				continue;
			}
			backoff = PQ_BACKOFF_MIN_MS;
		}

		if ((n = take_jobs(w, batch)) == 0)
			break;
		if (n < 0)
		{
			/* noticed while idle: no webhook met the closed connection */
			connect_failed(w, "connection closed while idle", PQerrorMessage(w->conn));
			continue;
		}
		worker_run_batch(w, batch, n);	/* closes a broken connection */
		/* a lost connection is replaced at once; only failed attempts back off */
	}

	if (w->conn != NULL)
	{
		PQfinish(w->conn);
		w->conn = NULL;
	}
	return NULL;
}

/* Loop thread: hand each finished job to its callback. */
static void
on_results(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
	while (!h2o_linklist_is_empty(messages))
	{
		h2o_multithread_message_t *m =
			H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
		db_job	   *job = H2O_STRUCT_FROM_MEMBER(db_job, message, m);

		h2o_linklist_unlink(&m->link);
		job->on_done(job);
	}
}

/*
 * Start cfg->db_pool_size workers that connect in the background.  Returns
 * NULL (logged) if the threads cannot be created.
 */
db_pool *
db_pool_start(const shim_config *cfg, h2o_evloop_t *loop)
{
	db_pool    *pool = calloc(1, sizeof(*pool));
	sigset_t	all,
				old;

	if (pool == NULL)
		return NULL;
	pool->cfg = cfg;
	pool->nworkers = cfg->db_pool_size > 0 ? cfg->db_pool_size : 1;
	pool->capacity = pool->nworkers * DB_QUEUE_PER_WORKER;
	pool->connect_timeout_ms = cfg->db_timeout_ms > DB_CONNECT_TIMEOUT_MIN_MS ?
		cfg->db_timeout_ms : DB_CONNECT_TIMEOUT_MIN_MS;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->turn_cond, NULL);
	pool->active_max = cfg->db_active_max > 0 && cfg->db_active_max < pool->nworkers ?
		cfg->db_active_max : pool->nworkers;
	snprintf(pool->last_error, sizeof(pool->last_error), "not connected yet");
	if (pipe2(pool->stop_pipe, O_CLOEXEC) != 0)
	{
		shim_log(SHIM_LOG_ERROR, "could not create the database pool's pipe: %s", strerror(errno));
		return NULL;
	}
	pool->queue = h2o_multithread_create_queue(loop);
	h2o_multithread_register_receiver(pool->queue, &pool->receiver, on_results);

	pool->workers = calloc(pool->nworkers, sizeof(db_worker));
	if (pool->workers == NULL)
		return NULL;
	/* every worker counts as connecting until it says otherwise */
	pool->nstate[WORKER_CONNECTING] = pool->nworkers;

	/* signals stay with the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < pool->nworkers; i++)
	{
		db_worker  *w = &pool->workers[i];
		int			rc;

		w->pool = pool;
		w->id = i + 1;
		w->state = WORKER_CONNECTING;
		w->seed = (unsigned) time(NULL) ^ (unsigned) (i * 7919);
		if ((w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		{
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			shim_log(SHIM_LOG_ERROR, "could not create database worker %d's eventfd: %s", w->id, strerror(errno));
			return NULL;
		}
		if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) != 0)
		{
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			shim_log(SHIM_LOG_ERROR, "could not start database worker %d: %s", w->id, strerror(rc));
			return NULL;
		}
		w->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	shim_log(SHIM_LOG_INFO, "database pool: %d connections, queue bound %d, deadline %d ms, groups of up to %d webhooks",
			 pool->nworkers, pool->capacity, cfg->db_timeout_ms, cfg->db_group_max > 1 ? cfg->db_group_max : 1);
	return pool;
}

/*
 * Queue a job for a worker (loop thread).  Refuses at once when the queue is
 * full or no worker has or is getting a connection.
 */
db_submit_result
db_pool_submit(db_pool *pool, db_job *job)
{
	db_submit_result result = DB_SUBMIT_QUEUED;

	job->next = NULL;
	job->answer = NULL;
	job->answer_len = 0;
	job->http_status = 0;
	job->sqlstate[0] = '\0';
	job->submitted_at = shim_now_ms();
	job->inbox_id = 0;
	job->waiting = 0;
	atomic_store(&job->abandoned, 0);

	pthread_mutex_lock(&pool->lock);
	if (pool->stopping || !pool_usable_locked(pool))
		result = DB_SUBMIT_NO_CONNECTION;
	else if (pool->depth >= pool->capacity)
		result = DB_SUBMIT_FULL;
	else
	{
		if (pool->tail != NULL)
			pool->tail->next = job;
		else
			pool->head = job;
		pool->tail = job;
		pool->depth++;
		wake_one_locked(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	return result;
}

/* Snapshot the connection states and the queue depth (any thread). */
void
db_pool_get_stats(db_pool *pool, db_pool_stats *out)
{
	pthread_mutex_lock(&pool->lock);
	out->idle = pool->nstate[WORKER_IDLE];
	out->busy = pool->nstate[WORKER_BUSY];
	out->broken = pool->nstate[WORKER_CONNECTING] + pool->nstate[WORKER_BACKOFF];
	out->queue_depth = pool->depth;
	out->queue_capacity = pool->capacity;
	pthread_mutex_unlock(&pool->lock);
	for (int b = 0; b < DB_GROUP_NBUCKETS; b++)
		out->group_buckets[b] = atomic_load(&pool->group_buckets[b]);
	out->group_count = atomic_load(&pool->group_count);
	out->group_deliveries = atomic_load(&pool->group_deliveries);
	out->groups_split = atomic_load(&pool->groups_split);
	out->group_put_off = atomic_load(&pool->group_put_off);
}

/*
 * Can the pool run a webhook now, i.e. is at least one worker connected
 * (idle or busy)?  1 if so; else 0 with why (the workers' states and the
 * last connection failure) in why (any thread).
 */
int
db_pool_serving(db_pool *pool, char *why, size_t len)
{
	int			connected;

	pthread_mutex_lock(&pool->lock);
	connected = pool->nstate[WORKER_IDLE] + pool->nstate[WORKER_BUSY];
	if (connected == 0)
		snprintf(why, len, "no webhook worker has a database connection (%d connecting, %d waiting to retry): %s",
				 pool->nstate[WORKER_CONNECTING], pool->nstate[WORKER_BACKOFF], pool->last_error);
	pthread_mutex_unlock(&pool->lock);
	return connected > 0;
}

/*
 * Stop the workers (loop thread, after the server stopped listening): a
 * worker running a statement finishes it (statement_timeout bounds that),
 * one carrying a live tool call finishes its rounds (its budget bounds
 * that), a connecting or waiting one gives up at once; connections are closed.  Jobs
 * still queued are posted back as skipped; run the loop once more to see
 * them.
 */
void
db_pool_stop(db_pool *pool)
{
	db_job	   *orphans;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->turn_cond);
	pthread_mutex_unlock(&pool->lock);
	/* wakes every worker: the idle ones sleep on it too */
	(void) !write(pool->stop_pipe[1], "", 1);

	for (int i = 0; i < pool->nworkers; i++)
		if (pool->workers[i].started)
			pthread_join(pool->workers[i].thread, NULL);

	pthread_mutex_lock(&pool->lock);
	orphans = take_queue_locked(pool);
	pthread_mutex_unlock(&pool->lock);
	post_all(pool, orphans, DB_SKIPPED);
	shim_log(SHIM_LOG_INFO, "database pool stopped");
}
