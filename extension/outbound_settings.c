/*
 * outbound_settings.c
 *	  Settings (GUCs) of the HTTP the database asks the shim to send: retry
 *	  backoff of outbox jobs, request timeouts, the budget of a tool call that
 *	  waits for Cal.com, and Cal.com's API version per endpoint.
 */
#include "outbox.h"

#include <limits.h>

#include "utils/guc.h"

int			vp_outbox_backoff_base_ms = 5000;
int			vp_outbox_backoff_max_ms = 15 * 60 * 1000;
/* read by SQL (current_setting) in 140_dispatcher.sql, not by C */
static int	vp_http_timeout_ms = 10000;
static int	vp_tool_budget_ms = 15000;
static char *vp_cal_api_version_slots = NULL;
static char *vp_cal_api_version_bookings = NULL;

/* Defines the outbound settings (called from _PG_init). */
void
vp_define_outbound_settings(void)
{
	DefineCustomIntVariable("vapi_pool.outbox_backoff_base_ms",
							"Delay before a failed outbox job's first retry, in milliseconds.",
							"Each further retry waits twice as long, up to vapi_pool.outbox_backoff_max_ms, "
							"with 25% jitter either way; a longer Retry-After wins.",
							&vp_outbox_backoff_base_ms, 5000, 10, 3600 * 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.outbox_backoff_max_ms",
							"Longest delay between two attempts of an outbox job, in milliseconds.",
							NULL,
							&vp_outbox_backoff_max_ms, 15 * 60 * 1000, 10, 24 * 3600 * 1000, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.http_timeout_ms",
							"Timeout of one outbound request the dispatcher sends, in milliseconds.",
							"Keep the dispatcher's lease longer than this.",
							&vp_http_timeout_ms, 10000, 100, 600 * 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.tool_budget_ms",
							"Time a tool call may spend on Cal.com requests while Vapi waits, in milliseconds.",
							"Vapi waits 20 s for a tool answer by default (server.timeoutSeconds).",
							&vp_tool_budget_ms, 15000, 500, 120 * 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.cal_api_version_slots",
							   "The cal-api-version header sent with Cal.com's GET /slots.",
							   "A missing or wrong version silently falls back to an older behaviour.",
							   &vp_cal_api_version_slots, "2024-09-04", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.cal_api_version_bookings",
							   "The cal-api-version header sent with Cal.com's /bookings endpoints.",
							   "A missing or wrong version silently falls back to an older behaviour.",
							   &vp_cal_api_version_bookings, "2024-08-13", PGC_USERSET, 0, NULL, NULL, NULL);
}
