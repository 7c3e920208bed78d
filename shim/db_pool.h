/*
 * db_pool.h
 *	  Database worker threads: one blocking libpq connection each, fed from a
 *	  bounded job queue, answering the event loop through h2o_multithread.
 *
 * The event loop never waits for the database.  It fills a db_job (whose
 * memory it owns) and calls db_pool_submit(), which only appends the job to
 * the queue under a mutex.  A worker thread takes the job (with a few more
 * when the queue is long: they are pipelined), runs
 *
 *	   SELECT http_status, answer::text, inbox_id, state
 *	   FROM vapi_pool.receive_webhook($1, $2)
 *
 * on its own connection, each job in its own transaction, fills the job's
 * result fields and posts the job back to the loop, where job->on_done runs.
 *
 * Live tool calls (docs/dispatcher.md): when the receipt's state is
 * "waiting", its answer is not for the sender but the HTTP requests the
 * database needs answered (Cal.com while Vapi waits).  The same worker, with
 * no transaction open, sends them at once (http_perform_all), hands the
 * answers to vapi_pool.continue_webhook and repeats while the state is
 * "waiting", all within the budget the database gives, counted from the
 * job's submission and cut to leave time before job->timeout_ms.  Only the
 * final answer comes back to the loop.  A job that started waiting is
 * carried to its end even when the loop abandons it: the database must learn
 * what Cal.com answered.
 *
 * Every job that was accepted by db_pool_submit() comes back exactly once,
 * whatever happened to it (done, failed, skipped because the loop abandoned
 * it); after on_done the worker never touches it again.  Only job->abandoned
 * is shared while the job is queued or running.
 *
 * Each worker connects on start and again, with exponential backoff, after
 * its connection breaks.  At connect it runs the session set-up (search_path
 * pinned as db_conn.h says, application name, statement_timeout, the
 * vapi_pool.* answer settings) and prepares the two statements once.
 */
#ifndef VAPI_SHIM_DB_POOL_H
#define VAPI_SHIM_DB_POOL_H

#include <stdatomic.h>
#include <stddef.h>

#include <h2o.h>
#include <h2o/multithread.h>

#include "config.h"

/* the statement every webhook runs */
#define DB_RECEIVE_QUERY \
	"SELECT http_status, answer::text, inbox_id, state FROM vapi_pool.receive_webhook($1::text, $2::jsonb)"

/*
 * the statement a group of webhooks runs (group commit): one row per
 * delivery, in order; error_sqlstate set when the delivery stored nothing
 */
#define DB_GROUP_QUERY \
	"SELECT http_status, answer::text, inbox_id, state, error_sqlstate, error, ordinal" \
	" FROM vapi_pool.receive_webhooks($1::text[], $2::text[])"

/* the statement a waiting webhook runs with the answers to its requests */
#define DB_CONTINUE_QUERY \
	"SELECT http_status, answer::text, inbox_id, state FROM vapi_pool.continue_webhook($1::bigint, $2::jsonb)"

/* how a job ended */
typedef enum db_outcome
{
	DB_DONE,					/* http_status and answer are set */
	DB_UNAVAILABLE,				/* no connection, a lost one, or a transient error
								 * (classes 40, 53): nothing stored, retry may work */
	DB_TIMEOUT,					/* statement_timeout cancelled the query */
	DB_BAD_INPUT,				/* SQLSTATE class 22: the payload did not cast */
	DB_FAILED,					/* any other error (logged by the worker) */
	DB_SKIPPED					/* abandoned by the loop before it started */
} db_outcome;

typedef struct db_job db_job;
typedef void (*db_job_cb) (db_job *job);

struct db_job
{
	h2o_multithread_message_t message;	/* how the job travels back */
	db_job_cb	on_done;		/* runs on the loop thread */

	/* input, set by the loop before db_pool_submit() */
	const char *source;			/* receive_webhook's $1 (static string) */
	const char *payload;		/* $2: NUL-terminated JSON text */
	size_t		payload_len;
	int			timeout_ms;		/* how long the loop waits for the answer after
								 * db_pool_submit(); 0 = cfg->db_timeout_ms */

	/* set by the loop when nobody waits for the result any more */
	atomic_int	abandoned;

	/* output, set by the worker before posting the job back */
	db_outcome	outcome;
	int			http_status;
	char	   *answer;			/* malloc'd answer text; free with free() */
	size_t		answer_len;
	char		sqlstate[6];	/* of the error, "" if none */

	/* pool use only */
	long long	submitted_at;	/* monotonic ms of db_pool_submit() */
	long long	inbox_id;		/* the event's inbox row, from the receipt */
	int			waiting;		/* the last receipt's state was "waiting" */
	db_job	   *next;			/* queue link */
};

/* what db_pool_submit() did with a job */
typedef enum db_submit_result
{
	DB_SUBMIT_QUEUED,			/* it will come back through on_done */
	DB_SUBMIT_FULL,				/* the queue is at its bound: not queued */
	DB_SUBMIT_NO_CONNECTION		/* no connection and none coming: not queued */
} db_submit_result;

/* upper bounds of the group size histogram (the last is the most a group holds) */
#define DB_GROUP_NBUCKETS 5
#define DB_GROUP_BOUNDS {1, 2, 4, 8, 16}

/* a consistent snapshot of the pool for /metrics */
typedef struct db_pool_stats
{
	int			idle;			/* connected, waiting for a job */
	int			busy;			/* running a job */
	int			broken;			/* not connected: connecting or in backoff */
	int			queue_depth;	/* jobs waiting for a worker */
	int			queue_capacity;
	/* transactions the workers ran for webhooks, by deliveries in each */
	unsigned long long group_buckets[DB_GROUP_NBUCKETS];	/* not cumulative */
	unsigned long long group_count;
	unsigned long long group_deliveries;	/* the sum of the sizes */
	unsigned long long groups_split;	/* failed whole, then run one by one */
	unsigned long long group_put_off;	/* deliveries put off, then run alone */
} db_pool_stats;

typedef struct db_pool db_pool;

/* room for db_pool_serving()'s reason */
#define DB_POOL_ERROR_MAX 512

extern db_pool *db_pool_start(const shim_config *cfg, h2o_evloop_t *loop);
extern db_submit_result db_pool_submit(db_pool *pool, db_job *job);
extern void db_pool_get_stats(db_pool *pool, db_pool_stats *out);
extern int	db_pool_serving(db_pool *pool, char *why, size_t len);
extern void db_pool_stop(db_pool *pool);

#endif							/* VAPI_SHIM_DB_POOL_H */
