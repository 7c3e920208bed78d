/*
 * outbox.h
 *	  The dispatcher's side of the outbox (outbox_claim.c, outbox_report.c)
 *	  and the settings of outbound HTTP (outbound_settings.c).
 */
#ifndef VAPI_POOL_OUTBOX_H
#define VAPI_POOL_OUTBOX_H

#include "pool_engine.h"

/* vapi_pool.outbox_backoff_base_ms, _max_ms: a failed job's retry delay */
extern int	vp_outbox_backoff_base_ms;
extern int	vp_outbox_backoff_max_ms;

extern void vp_define_outbound_settings(void);

/* secret_scrub.c: vendor error text without credentials, at most this long */
#define VP_SCRUB_MAX_LEN 500
extern char *vp_scrub_secret(const char *text);

/* The text as jsonb, or (Datum) 0 when it is not JSON (outbox_report.c). */
extern Datum vp_json_parse_or_null(const char *text);
/* Executes a plan in a subtransaction; returns the error message, or NULL when it succeeded. */
extern char *vp_try_execute(VpPlan *plan, Datum *values, const char *nulls);
/* Queues the cancellation of a Cal.com booking whose hold is gone (payload has hold_id). */
extern void vp_outbox_queue_cancel(Datum org_id, const char *booking_uid, Datum payload);

/* Wakes the dispatchers when the current transaction commits. */
extern void vp_outbox_notify(void);

#endif							/* VAPI_POOL_OUTBOX_H */
