/*
 * pq_util.h
 *	  libpq helpers that the webhook workers (db_pool.c) and the dispatcher
 *	  (dispatcher.c) share: starting a connection without blocking, logging
 *	  server notices, keeping the result that decides a statement, telling a
 *	  lost connection by its SQLSTATE, and the backoff between attempts.
 */
#ifndef VAPI_SHIM_PQ_UTIL_H
#define VAPI_SHIM_PQ_UTIL_H

#include <libpq-fe.h>

#define PQ_BACKOFF_MIN_MS 100	/* first wait after a failed connect */
#define PQ_BACKOFF_MAX_MS 5000	/* longest wait between connect attempts */

/* how pq_connect_start's connection logs the server's notices */
typedef enum pq_notice_text
{
	PQ_NOTICE_AS_SENT,			/* the primary message as the server sent it */
	PQ_NOTICE_ONE_LINE			/* ... made one printable ASCII line, cut short */
} pq_notice_text;

/*
 * Start connecting to database_url (db_conn.h's parameters) without
 * blocking; the caller drives PQconnectPoll.  The server's notices become
 * log lines.  NULL when out of memory; check PQstatus for CONNECTION_BAD.
 */
extern PGconn *pq_connect_start(const char *database_url, const char *application_name,
								pq_notice_text notices);

/*
 * Keep r if it decides the statement: the first result, or the first error
 * after a result that was not one; else clear it.  *kept is the result so far.
 */
extern void pq_keep_result(PGresult **kept, PGresult *r);

/* Is this SQLSTATE a lost or unusable connection (class 08, 57P01..57P03, or none)? */
extern int	pq_sqlstate_is_connection(const char *sqlstate);

/*
 * The wait before the next connect attempt, between half and all of
 * *backoff_ms (jittered from *seed); *backoff_ms is then doubled, up to
 * PQ_BACKOFF_MAX_MS.
 */
extern int	pq_backoff_wait(int *backoff_ms, unsigned int *seed);

#endif							/* VAPI_SHIM_PQ_UTIL_H */
