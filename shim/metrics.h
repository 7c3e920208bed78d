/*
 * metrics.h
 *	  Counters for GET /metrics, written in the Prometheus text format.
 *
 * Every metrics_count_* function is called on the event loop thread only,
 * so the counters behind them are plain.  What other threads own (the
 * database pool's states, the health prober's inbox figures) is read through
 * their own locked snapshots when /metrics is rendered.
 */
#ifndef VAPI_SHIM_METRICS_H
#define VAPI_SHIM_METRICS_H

#include <stddef.h>

#include "db_pool.h"
#include "webhook_auth.h"

/* the route label of vapi_shim_requests_total and the duration histogram */
typedef enum metrics_route
{
	METRICS_ROUTE_VAPI,
	METRICS_ROUTE_VAPI_INBOUND,
	METRICS_ROUTE_VAPI_TOOLS,
	METRICS_ROUTE_VAPI_SUPABASE_TOOL,
	METRICS_ROUTE_INSTANTLY_REPLY,
	METRICS_ROUTE_CAL,
	METRICS_ROUTE_HEALTHZ,
	METRICS_ROUTE_METRICS,
	METRICS_ROUTE_OTHER,
	METRICS_NROUTES
} metrics_route;

/* why a webhook was answered without the database */
typedef enum metrics_fallback_reason
{
	FALLBACK_TIMEOUT,			/* the database missed the deadline */
	FALLBACK_UNAVAILABLE,		/* connection lost, or no connection at all */
	FALLBACK_QUEUE_FULL,		/* every connection busy and the queue full */
	FALLBACK_NREASONS
} metrics_fallback_reason;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

extern const char *metrics_route_name(metrics_route route);
extern const char *metrics_fallback_reason_name(metrics_fallback_reason reason);

extern void metrics_count_request(metrics_route route, int status, double seconds);
extern void metrics_count_auth_failure(webhook_source source, auth_result reason);
extern void metrics_count_vapi_message(const char *type);
extern void metrics_count_fallback(metrics_fallback_reason reason);

extern char *metrics_render(db_pool *pool, size_t *len);

#endif							/* VAPI_SHIM_METRICS_H */
