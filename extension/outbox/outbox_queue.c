/*
 * outbox_queue.c
 *	  Putting work for the shim's dispatcher into vapi_pool.outbox, and
 *	  waking the dispatchers.
 *
 * A job is a row of vapi_pool.outbox: an organisation, a kind (the vendor
 * request it stands for, e.g. vapi.create_call, cal.cancel_booking), a JSON
 * payload and an idempotency key, unique per organisation, so that queueing
 * the same work twice queues it once.  outbox_request (140_dispatcher.sql)
 * turns a job into its HTTP request when a dispatcher claims it
 * (dispatch/outbox_claim.c).  The create-call job is queued by statements
 * built from the macros of outbox/outbox.h.
 */
#include "core/saved_plans.h"
#include "outbox/outbox.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

static VpPlan notify_dispatchers = {
	.sql = "SELECT pg_catalog.pg_notify('vapi_pool_outbox', '')",
	.nargs = 0
};

/* A booking made for a hold that is gone is cancelled in Cal.com. */
static VpPlan queue_cancel = {
	.sql = "INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)"
	" VALUES ($1, 'cal.cancel_booking', pg_catalog.jsonb_build_object('booking_uid', $2::text,"
	"   'hold_id', $3 -> 'hold_id', 'reason', 'The time is no longer held for this booking.'),"
	"   'cancel-orphan:' || $2)"
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, JSONBOID}
};

/* Wakes the dispatchers (LISTEN vapi_pool_outbox) when this transaction commits. */
void
vp_outbox_notify(void)
{
	vp_execute(&notify_dispatchers, NULL, NULL, 0);
}

/* Queues the cancellation of a Cal.com booking whose hold is gone (payload: has hold_id). */
void
vp_outbox_queue_cancel(Datum org_id, const char *booking_uid, Datum payload)
{
	Datum		args[3] = {org_id, CStringGetTextDatum(booking_uid), payload};

	vp_execute(&queue_cancel, args, NULL, 0);
}
