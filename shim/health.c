/*
 * health.c
 *	  Database reachability, probed off the event loop by a small thread.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db_conn.h"
#include "health.h"
#include "log.h"
#include "text.h"

#define PROBE_INTERVAL_MS 1000	/* time between probes */
#define PROBE_CONNECT_TIMEOUT "2"	/* libpq connect_timeout, seconds */
#define PROBE_QUERY_TIMEOUT_MS 2000 /* longest wait for the probe query */
#define PROBE_STALE_SECS 10		/* a success older than this no longer counts */

#define PROBE_QUERY \
	"SELECT 1, (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'vapi_pool')"
#define INBOX_QUERY \
	"SELECT i.events, i.failed, o.pending, o.due, o.in_flight, o.dead," \
	" coalesce(extract(epoch FROM pg_catalog.now() - o.oldest_due_at), 0)::bigint" \
	" FROM vapi_pool.inbox_stats() i, vapi_pool.outbox_stats() o"

/*
 * The slow figures (pool pressure and number health, 0.9.0) are read by a
 * thread of their own on a connection of its own, so that however long they
 * take (a scan of the window's calls) the probe above is never late and
 * reachability never depends on them.  The server gives up on the query
 * after 25 s (FIGURES_STATEMENT_TIMEOUT_SQL); the thread waits a little longer, then
 * drops the connection (no cancel: its connect could hold up a shutdown)
 * and connects again.
 */
#define FIGURES_QUERY \
	"SELECT pools_running_dry, min_days_until_dry, numbers_watch, numbers_burned" \
	" FROM vapi_pool.operations_stats()"
#define FIGURES_INTERVAL_MS 30000	/* time between two reads */
/* in a transaction of its own, so that a transaction pooler keeps it on one backend */
#define FIGURES_STATEMENT_TIMEOUT_SQL "SET LOCAL statement_timeout = '25s'"
#define FIGURES_QUERY_TIMEOUT_MS 28000	/* longest wait for the figures */
#define FIGURES_STALE_SECS 90	/* figures older than this are unknown (three reads missed) */

/* the inbox and outbox figures one probe read */
typedef struct inbox_figures
{
	int			known;
	long long	events;
	long long	failed;
	long long	outbox[HEALTH_OUTBOX_FIGURES];	/* pending, due, in flight, dead, oldest due (s) */
} inbox_figures;

static struct
{
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t wakeup;
	int			started;
	int			checked;		/* protected by lock; a probe has finished */
	int			stopping;		/* protected by lock */
	char	   *conninfo;
	health_status status;		/* protected by lock */
	struct timespec last_ok;	/* protected by lock; when status was last confirmed */
	int			inbox_logged;	/* prober thread only: -1 none yet, 0 missing, 1 available */
	pthread_t	figures_thread;	/* reads the slow figures */
	int			figures_started;
	int			figures_logged; /* figures thread only: as inbox_logged, for operations_stats() */
	struct timespec figures_at; /* protected by lock; when the figures were last read */
}			prober = {
	.figures_logged = -1,
	.inbox_logged = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.status = {.reachable = 0, .error = "not checked yet"},
};


/* Publish a probe outcome; log only when reachability changes. */
static void
publish(int reachable, const char *error, const char *extversion, const inbox_figures *inbox)
{
	health_status *st = &prober.status;
	char		msg[HEALTH_ERROR_MAX] = "";
	int			changed;

	if (!reachable)
		shim_one_line(msg, sizeof(msg), error ? error : "unknown error");

	pthread_mutex_lock(&prober.lock);
	changed = !prober.checked || st->reachable != reachable;
	prober.checked = 1;
	st->reachable = reachable;
	memcpy(st->error, msg, sizeof(msg));
	if (reachable)
		clock_gettime(CLOCK_MONOTONIC, &prober.last_ok);
	st->has_extension = extversion != NULL;
	snprintf(st->extension, sizeof(st->extension), "%s", extversion ? extversion : "");
	st->inbox_known = reachable && inbox != NULL && inbox->known;
	st->inbox_events = st->inbox_known ? inbox->events : 0;
	st->inbox_failed = st->inbox_known ? inbox->failed : 0;
	for (int i = 0; i < HEALTH_OUTBOX_FIGURES; i++)
		st->outbox[i] = st->inbox_known ? inbox->outbox[i] : 0;
	pthread_mutex_unlock(&prober.lock);

	if (changed && reachable)
		shim_log(SHIM_LOG_INFO, "database reachable (vapi_pool extension %s)",
				 extversion ? extversion : "not installed");
	else if (changed)
		shim_log(SHIM_LOG_WARNING, "database unreachable: %s", msg);
}

/* Whether health_stop() asked the threads to finish. */
static int
stopping(void)
{
	int			stop;

	pthread_mutex_lock(&prober.lock);
	stop = prober.stopping;
	pthread_mutex_unlock(&prober.lock);
	return stop;
}

/*
 * Wait until the query result is ready, at most timeout_ms, looking every
 * WAIT_SLICE_MS whether the threads are asked to finish.
 */
#define WAIT_SLICE_MS 200
static int
wait_for_result(PGconn *conn, int timeout_ms, const char **error)
{
	long long	deadline = shim_now_ms() + timeout_ms;

	while (PQisBusy(conn))
	{
		struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
		long long	left = deadline - shim_now_ms();
		int			rc;

		if (left <= 0)
		{
			*error = "health query timed out";
			return -1;
		}
		if (stopping())
		{
			*error = "stopping";
			return -1;
		}
		rc = poll(&pfd, 1, (int) (left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS));
		if (rc < 0 && errno != EINTR)
		{
			*error = strerror(errno);
			return -1;
		}
		if (rc > 0 && !PQconsumeInput(conn))
		{
			*error = PQerrorMessage(conn);
			return -1;
		}
	}
	return 0;
}

/*
 * Send sql and wait for its result (at most timeout_ms).  On 0, *res is the
 * result, whatever its status; on -1 the connection is unusable (or busy
 * with the query still) and *error says why.
 */
static int
run_query(PGconn *conn, const char *sql, int timeout_ms, PGresult **res, const char **error)
{
	PGresult   *extra;

	*res = NULL;
	if (!PQsendQuery(conn, sql))
	{
		*error = PQerrorMessage(conn);
		return -1;
	}
	if (wait_for_result(conn, timeout_ms, error) != 0)
		return -1;
	*res = PQgetResult(conn);
	/* drain; the connection must be idle before the next query */
	while ((extra = PQgetResult(conn)) != NULL)
		PQclear(extra);
	if (*res == NULL)
	{
		*error = PQerrorMessage(conn);
		return -1;
	}
	return 0;
}

/*
 * Open a connection named application_name and pin its search_path
 * (db_conn.h); NULL on failure, why in errbuf.
 */
static PGconn *
open_connection(const char *application_name, char *errbuf, size_t errlen)
{
	db_conn_params cp;
	PGconn	   *conn = NULL;
	PGresult   *res = NULL;
	const char *error = NULL;

	if (db_conn_params_init(&cp, prober.conninfo, application_name, PROBE_CONNECT_TIMEOUT) == 0)
		conn = PQconnectdbParams(cp.keys, cp.vals, 1);
	db_conn_params_free(&cp);
	if (conn == NULL)
	{
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		snprintf(errbuf, errlen, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	if (run_query(conn, DB_CONN_PIN_SQL, PROBE_QUERY_TIMEOUT_MS, &res, &error) != 0 ||
		PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		snprintf(errbuf, errlen, "%s", error ? error : PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

/* Open the probe connection; on failure publish why and return NULL. */
static PGconn *
probe_connect(void)
{
	char		error[HEALTH_ERROR_MAX];
	PGconn	   *conn = open_connection("vapi-shim health", error, sizeof(error));

	if (conn == NULL)
		publish(0, error, NULL, NULL);
	return conn;
}

/*
 * Read the inbox figures from an inbox_stats() result.  Its absence (an
 * extension without the function) is logged once, not at every probe.
 */
static void
read_inbox(PGresult *res, inbox_figures *inbox)
{
	inbox->known = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		PQnfields(res) >= 2 + HEALTH_OUTBOX_FIGURES;
	for (int i = 0; inbox->known && i < 2 + HEALTH_OUTBOX_FIGURES; i++)
		inbox->known = !PQgetisnull(res, 0, i);
	if (inbox->known)
	{
		inbox->events = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		inbox->failed = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		for (int i = 0; i < HEALTH_OUTBOX_FIGURES; i++)
			inbox->outbox[i] = strtoll(PQgetvalue(res, 0, 2 + i), NULL, 10);
	}

	if (inbox->known && prober.inbox_logged != 1)
		shim_log(SHIM_LOG_INFO, "inbox and outbox metrics available from vapi_pool.inbox_stats() and outbox_stats()");
	else if (!inbox->known && prober.inbox_logged != 0)
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		shim_log(SHIM_LOG_INFO, "vapi_pool.inbox_stats() or outbox_stats() is not available (SQLSTATE %s): the inbox and outbox metrics read NaN",
				 sqlstate ? sqlstate : "none");
	}
	prober.inbox_logged = inbox->known;
}

/* Run the probe queries on conn; publish the outcome; return 0 if they worked. */
static int
probe_query(PGconn *conn)
{
	const char *error = NULL;
	char		extversion[HEALTH_EXTVERSION_MAX] = "";
	int			has_extension;
	inbox_figures inbox = {0};
	PGresult   *res;

	if (run_query(conn, PROBE_QUERY, PROBE_QUERY_TIMEOUT_MS, &res, &error) != 0)
	{
		publish(0, error, NULL, NULL);
		return -1;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		publish(0, PQresultErrorMessage(res), NULL, NULL);
		PQclear(res);
		return -1;
	}
	has_extension = !PQgetisnull(res, 0, 1);
	if (has_extension)
		snprintf(extversion, sizeof(extversion), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);

	if (has_extension)
	{
		if (run_query(conn, INBOX_QUERY, PROBE_QUERY_TIMEOUT_MS, &res, &error) != 0 || PQstatus(conn) == CONNECTION_BAD)
		{
			publish(0, error ? error : PQerrorMessage(conn), NULL, NULL);
			PQclear(res);
			return -1;
		}
		read_inbox(res, &inbox);
		PQclear(res);
	}

	publish(1, NULL, has_extension ? extversion : NULL, &inbox);
	return 0;
}

/* Sleep interval_ms, or less when health_stop() is called; 1 if it was. */
static int
sleep_or_stop(int interval_ms)
{
	struct timespec until;
	int			stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += interval_ms / 1000;
	until.tv_nsec += (long) (interval_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
	{
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&prober.lock);
	while (!prober.stopping &&
		   pthread_cond_timedwait(&prober.wakeup, &prober.lock, &until) != ETIMEDOUT)
		;
	stop = prober.stopping;
	pthread_mutex_unlock(&prober.lock);
	return stop;
}

/* Thread body: probe, sleep about a second, repeat until health_stop(). */
static void *
prober_main(void *arg)
{
	PGconn	   *conn = NULL;

	do
	{
		if (conn == NULL)
			conn = probe_connect();
		if (conn != NULL && probe_query(conn) != 0)
		{
			/* broken or stuck: drop it, reconnect on the next round */
			PQfinish(conn);
			conn = NULL;
		}
	} while (!sleep_or_stop(PROBE_INTERVAL_MS));

	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

/* Publish the slow figures (known 0: unknown, NaN in /metrics). */
static void
publish_figures(int known, const double *figures)
{
	pthread_mutex_lock(&prober.lock);
	clock_gettime(CLOCK_MONOTONIC, &prober.figures_at);
	prober.status.operations_known = known;
	for (int i = 0; known && i < HEALTH_OPERATIONS_FIGURES; i++)
		prober.status.operations[i] = figures[i];
	pthread_mutex_unlock(&prober.lock);
}

/* Log when the slow figures become readable, or stop being (why: error or SQLSTATE). */
static void
log_figures(int known, const char *why)
{
	char		line[HEALTH_ERROR_MAX];

	if (known == prober.figures_logged)
		return;
	prober.figures_logged = known;
	if (known)
		shim_log(SHIM_LOG_INFO, "pool and number health metrics available from vapi_pool.operations_stats()");
	else
	{
		shim_one_line(line, sizeof(line), why);
		shim_log(SHIM_LOG_INFO, "vapi_pool.operations_stats() cannot be read (%s): the pool and number health metrics read NaN",
				 line);
	}
}

/* Run one statement of the figures' transaction; 0 when it did what it should. */
static int
figures_step(PGconn *conn, const char *sql, ExecStatusType want, const char **error)
{
	PGresult   *res = NULL;
	int			ok = run_query(conn, sql, PROBE_QUERY_TIMEOUT_MS, &res, error) == 0 && PQresultStatus(res) == want;

	if (!ok && *error == NULL)
		*error = "a statement of the figures' transaction failed";
	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * Read operations_stats() on conn, in a transaction of its own with its
 * statement_timeout, and publish it.  Returns -1 when the connection must be
 * dropped: broken, asked to stop, or the query outlived its wait (the
 * server's statement_timeout ends it: no cancel, whose connect could block a
 * shutdown).  A query the server refused (no such function in an older
 * extension, the statement timeout) leaves the figures unknown.
 */
static int
read_figures(PGconn *conn)
{
	PGresult   *res = NULL;
	const char *error = NULL;
	double		figures[HEALTH_OPERATIONS_FIGURES];
	int			known;

	if (figures_step(conn, "BEGIN", PGRES_COMMAND_OK, &error) != 0 ||
		figures_step(conn, FIGURES_STATEMENT_TIMEOUT_SQL, PGRES_COMMAND_OK, &error) != 0 ||
		run_query(conn, FIGURES_QUERY, FIGURES_QUERY_TIMEOUT_MS, &res, &error) != 0 ||
		PQstatus(conn) == CONNECTION_BAD)
	{
		PQclear(res);
		publish_figures(0, NULL);
		if (!stopping())
			log_figures(0, error ? error : "the connection broke");
		return -1;
	}
	known = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		PQnfields(res) == HEALTH_OPERATIONS_FIGURES;
	for (int i = 0; known && i < HEALTH_OPERATIONS_FIGURES; i++)
		/* no pool running dry at all: the fewest days is infinite */
		figures[i] = PQgetisnull(res, 0, i) ? INFINITY : strtod(PQgetvalue(res, 0, i), NULL);
	if (known)
		log_figures(1, NULL);
	else
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		char		why[64];

		snprintf(why, sizeof(why), "SQLSTATE %s", sqlstate ? sqlstate : "none");
		log_figures(0, why);
	}
	publish_figures(known, figures);
	PQclear(res);
	/* read-only: a rollback ends it whether the query worked or not */
	return figures_step(conn, "ROLLBACK", PGRES_COMMAND_OK, &error);
}

/*
 * Thread body: read the slow figures on a connection of its own about every
 * FIGURES_INTERVAL_MS, until health_stop().
 */
static void *
figures_main(void *arg)
{
	PGconn	   *conn = NULL;

	do
	{
		if (conn == NULL)
		{
			char		error[HEALTH_ERROR_MAX];

			conn = open_connection("vapi-shim figures", error, sizeof(error));
			if (conn == NULL)
			{
				publish_figures(0, NULL);
				log_figures(0, error);
			}
		}
		if (conn != NULL && read_figures(conn) != 0)
		{
			PQfinish(conn);
			conn = NULL;
		}
	} while (!sleep_or_stop(FIGURES_INTERVAL_MS));

	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

/* Start the prober and figures threads (signals stay with the main thread). */
int
health_start(const char *conninfo)
{
	pthread_condattr_t attr;
	sigset_t	all,
				old;
	int			rc;

	prober.conninfo = strdup(conninfo);
	if (prober.conninfo == NULL)
		return -1;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&prober.wakeup, &attr);
	pthread_condattr_destroy(&attr);

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&prober.thread, NULL, prober_main, NULL);
	if (rc == 0)
	{
		prober.started = 1;
		rc = pthread_create(&prober.figures_thread, NULL, figures_main, NULL);
		prober.figures_started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
	{
		shim_log(SHIM_LOG_ERROR, "could not start the health prober: %s", strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * Ask the threads to finish and wait for them: a query in flight is dropped
 * (the server's statement timeout ends it), a connect in progress takes at
 * most its connect timeout for each address of the host.
 */
void
health_stop(void)
{
	if (!prober.started)
		return;
	pthread_mutex_lock(&prober.lock);
	prober.stopping = 1;
	pthread_cond_broadcast(&prober.wakeup);
	pthread_mutex_unlock(&prober.lock);
	pthread_join(prober.thread, NULL);
	prober.started = 0;
	if (prober.figures_started)
		pthread_join(prober.figures_thread, NULL);
	prober.figures_started = 0;
}

/* Copy the latest published status; a success gone stale counts as failure. */
void
health_snapshot(health_status *out)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&prober.lock);
	*out = prober.status;
	if (out->reachable && now.tv_sec - prober.last_ok.tv_sec > PROBE_STALE_SECS)
	{
		out->reachable = 0;
		out->inbox_known = 0;
		snprintf(out->error, sizeof(out->error),
				 "health probe has not completed for over %d seconds", PROBE_STALE_SECS);
	}
	if (out->operations_known && now.tv_sec - prober.figures_at.tv_sec > FIGURES_STALE_SECS)
		out->operations_known = 0;
	pthread_mutex_unlock(&prober.lock);
}
