/*
 * health.h
 *	  Database reachability, probed off the event loop by a small thread.
 *
 * The prober thread keeps one libpq connection (its search_path pinned as
 * db_conn.h says), runs a trivial query about once per second (reconnecting
 * when the connection breaks) and publishes the outcome under a mutex.
 * HTTP handlers only ever read the published snapshot, so the event loop
 * never waits for the database.  /healthz is ok only when this snapshot is
 * and the webhook workers hold a connection too (db_pool_serving): the
 * prober's own connection says nothing about theirs.
 *
 * When the vapi_pool extension is installed, each probe also reads the
 * inbox figures for /metrics from vapi_pool.inbox_stats(); while that
 * function is missing (an older extension) they are simply unknown.  A
 * second thread, on a connection of its own, reads
 * vapi_pool.operations_stats() (pool pressure and number health, 0.9.0)
 * every 30 seconds: they change slowly and cost a scan of the window's
 * calls, so they never hold up the probe nor decide reachability.
 */
#ifndef VAPI_SHIM_HEALTH_H
#define VAPI_SHIM_HEALTH_H

#define HEALTH_ERROR_MAX 256
#define HEALTH_EXTVERSION_MAX 64

/* outbox_stats(): pending, due, in flight, dead, seconds the oldest due job has waited */
#define HEALTH_OUTBOX_FIGURES 5
#define HEALTH_OUTBOX_PENDING 0
#define HEALTH_OUTBOX_DUE 1
#define HEALTH_OUTBOX_IN_FLIGHT 2
#define HEALTH_OUTBOX_DEAD 3
#define HEALTH_OUTBOX_OLDEST_DUE_S 4

/* operations_stats(): pools running dry within a week, fewest days until one does, numbers on watch, burned */
#define HEALTH_OPERATIONS_FIGURES 4
#define HEALTH_POOLS_RUNNING_DRY 0
#define HEALTH_MIN_DAYS_UNTIL_DRY 1
#define HEALTH_NUMBERS_WATCH 2
#define HEALTH_NUMBERS_BURNED 3

typedef struct health_status
{
	int			reachable;		/* last probe succeeded (and is recent) */
	char		error[HEALTH_ERROR_MAX];	/* why not, when !reachable */
	int			has_extension;	/* vapi_pool is installed */
	char		extension[HEALTH_EXTVERSION_MAX];	/* its extversion */
	int			inbox_known;	/* the inbox figures below are current */
	long long	inbox_events;	/* events in the inbox */
	long long	inbox_failed;	/* of which failed: the dead-letter queue */
	long long	outbox[HEALTH_OUTBOX_FIGURES];	/* outbox_stats(), current with the inbox figures */
	int			operations_known;	/* the figures below have been read (every 30 s, by their own thread) */
	double		operations[HEALTH_OPERATIONS_FIGURES];	/* operations_stats(); days until dry +Inf when none */
} health_status;

extern int	health_start(const char *conninfo);
extern void health_stop(void);
extern void health_snapshot(health_status *out);

#endif							/* VAPI_SHIM_HEALTH_H */
