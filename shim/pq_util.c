/*
 * pq_util.c
 *	  libpq helpers that the webhook workers (db_pool.c) and the dispatcher
 *	  (dispatcher.c) share.
 *
 * Both open their connections without blocking and drive them through
 * their own poll (the workers' poll(), the dispatcher's libcurl multi
 * handle), so what they share is the start of a connection, not the wait.
 * A server notice becomes one log line with its severity, SQLSTATE and
 * primary message, never its detail, which may quote a payload: the
 * workers log the message as the server sent it, the dispatcher as one
 * printable ASCII line (pq_notice_text).
 */
#include <stdlib.h>
#include <string.h>

#include "db_conn.h"
#include "log.h"
#include "pq_util.h"
#include "text.h"

/* the receiver argument of each way to log a notice's message */
static const pq_notice_text notice_as_sent = PQ_NOTICE_AS_SENT;
static const pq_notice_text notice_one_line = PQ_NOTICE_ONE_LINE;

/* Server notices become one log line: severity, SQLSTATE and primary message, no detail. */
static void
log_notice(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char		msg[300];

	if (*(const pq_notice_text *) arg == PQ_NOTICE_ONE_LINE)
		message = shim_one_line(msg, sizeof(msg), message);
	shim_log(SHIM_LOG_WARNING, "database %s (%s): %s", severity ? severity : "NOTICE",
			 sqlstate ? sqlstate : "-----", message ? message : "");
}

/* Start a non-blocking connection with the shim's parameters: see pq_util.h. */
PGconn *
pq_connect_start(const char *database_url, const char *application_name, pq_notice_text notices)
{
	db_conn_params cp;
	PGconn	   *conn;

	if (db_conn_params_init(&cp, database_url, application_name, NULL) != 0)
		return NULL;
	conn = PQconnectStartParams(cp.keys, cp.vals, 1);
	db_conn_params_free(&cp);
	if (conn != NULL)
		PQsetNoticeReceiver(conn, log_notice,
							(void *) (notices == PQ_NOTICE_ONE_LINE ? &notice_one_line : &notice_as_sent));
	return conn;
}

/* Keep the result that decides a statement: see pq_util.h. */
void
pq_keep_result(PGresult **kept, PGresult *r)
{
	if (*kept == NULL ||
		(PQresultStatus(r) == PGRES_FATAL_ERROR && PQresultStatus(*kept) != PGRES_FATAL_ERROR))
	{
		PQclear(*kept);
		*kept = r;
	}
	else
		PQclear(r);
}

/* Is this SQLSTATE a lost or unusable connection (class 08, 57P01..57P03)? */
int
pq_sqlstate_is_connection(const char *sqlstate)
{
	return sqlstate == NULL ||
		strncmp(sqlstate, "08", 2) == 0 ||
		strcmp(sqlstate, "57P01") == 0 ||	/* admin_shutdown */
		strcmp(sqlstate, "57P02") == 0 ||	/* crash_shutdown */
		strcmp(sqlstate, "57P03") == 0; /* cannot_connect_now */
}

/* The jittered wait before the next connect attempt; the backoff doubles: see pq_util.h. */
int
pq_backoff_wait(int *backoff_ms, unsigned int *seed)
{
	/* between half and all of the backoff */
	int			wait = *backoff_ms / 2 + (int) (rand_r(seed) % (unsigned) (*backoff_ms / 2 + 1));

	*backoff_ms = *backoff_ms * 2 > PQ_BACKOFF_MAX_MS ? PQ_BACKOFF_MAX_MS : *backoff_ms * 2;
	return wait;
}
