/*
 * webhooks.h
 *	  The webhook endpoints vapi-shim answers (Vapi, Instantly, Cal.com).
 *
 * The database decides everything about an event.  The shim only refuses
 * what must never reach it (wrong content type, failed authentication,
 * malformed JSON), then hands the raw body to vapi_pool.receive_webhook on
 * a pooled connection and sends back the status and JSON answer it returns.
 * When the database cannot answer in time, Vapi messages that a caller is
 * waiting on get their built-in fallback answer and everything else 503.
 *
 * In time means within --db-timeout-ms, except for a Vapi tool-calls message:
 * it may wait for Cal.com (a live tool call, db_pool.h), so it is given
 * WEBHOOK_TOOL_TIMEOUT_MS, above the database's budget for those requests
 * (vapi_pool.tool_budget_ms, 15 s by default) and below Vapi's own 20 s.
 */
#ifndef VAPI_SHIM_WEBHOOKS_H
#define VAPI_SHIM_WEBHOOKS_H

#include <h2o.h>

#include "config.h"
#include "db_pool.h"
#include "metrics.h"

/* how long a Vapi tool-calls message may take, from its arrival to its answer */
#define WEBHOOK_TOOL_TIMEOUT_MS 18000

typedef struct webhook_route webhook_route;
typedef struct webhooks webhooks;

extern webhooks *webhooks_create(const shim_config *cfg, h2o_evloop_t *loop, db_pool *pool);
extern const webhook_route *webhook_lookup(const webhooks *wh, h2o_iovec_t path);
extern metrics_route webhook_route_metrics(const webhook_route *route);
extern int	webhook_handle(webhooks *wh, const webhook_route *route, h2o_req_t *req);
extern size_t webhooks_pending(const webhooks *wh);

#endif							/* VAPI_SHIM_WEBHOOKS_H */
