/*
 * outbound_checks.c
 *	  The two moments an outbound call or text is checked (release 0.7.0):
 *	  when its job is queued and when a dispatcher claims it for sending.
 *
 * Both ask the same two questions of a vapi.create_call or vapi.sms job:
 * may the organisation contact this number at all (do_not_call.c's lists),
 * and is it an allowed time in the called person's local time
 * (calling_hours.c)?
 *
 * - Queued: outbox_checked, a BEFORE INSERT trigger on the outbox, so no
 *   path that queues a job can skip it.  A job for a listed number is
 *   stored suppressed (with the reason in last_error); any other is due no
 *   earlier than the person's next allowed time.
 * - Claimed: vp_check_claimed_job, called by outbox_claim for each fresh
 *   job it took (dispatch/outbox_claim.c).  A number listed since the job
 *   was queued ends the job suppressed, not dead (the vendor was never
 *   asked), with the follow-up it carried; a job whose time is no longer
 *   allowed (a dispatcher that was down, hours changed) goes back to
 *   pending, due at the next allowed time, its attempt not counted.  A job
 *   whose lease ran out is not checked: it may have reached the vendor, and
 *   the claim looks it up instead of sending it.
 */
#include "compliance/compliance.h"
#include "core/saved_plans.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_outbox_checked);

/*
 * The number and lead job $2 of organisation $1 is for (NULL when
 * malformed: outbox_problem buries such a job), and why the number may not
 * be contacted (compliance.h), in one statement.
 */
static VpPlan job_target = {
	.sql = "SELECT t.phone, t.lead_id, " VP_DO_NOT_CALL_REASON_SQL("$1", "t.phone")
	" FROM (SELECT vapi_pool.e164_try_parse($2 ->> 'customer_number') AS phone,"
	"   (SELECT x::uuid FROM (SELECT $2 ->> 'lead_id' AS x) s"
	"     WHERE x ~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$') AS lead_id) t",
	.nargs = 2, .argtypes = {UUIDOID, JSONBOID}
};

/* The columns of job_target, counted from 1. */
enum
{
	TARGET_COL_PHONE = 1,
	TARGET_COL_LEAD_ID,
	TARGET_COL_LISTED
};

/* A claimed job whose number is listed: suppressed, with the follow-up it was sent for. */
static VpPlan suppress_claimed = {
	.sql = "WITH job AS ("
	"  UPDATE vapi_pool.outbox SET state = 'suppressed', last_error = $3, lease_expires_at = NULL,"
	"    finished_at = pg_catalog.now()"
	"  WHERE org_id = $1 AND id = $2 RETURNING id)"
	" UPDATE vapi_pool.dropoff_followups f SET state = 'suppressed' FROM job"
	" WHERE f.org_id = $1 AND f.outbox_id = $2 AND f.state IN ('open', 'sms_queued')",
	.nargs = 3, .argtypes = {UUIDOID, INT8OID, TEXTOID}
};

/* A claimed job outside the person's calling hours: pending again, due then, this claim not counted. */
static VpPlan defer_claimed = {
	.sql = "UPDATE vapi_pool.outbox SET state = 'pending', run_at = $3, attempts = attempts - 1,"
	"   lease_expires_at = NULL, claimed_by = NULL,"
	"   first_sent_at = CASE WHEN attempts - 1 = 0 THEN NULL ELSE first_sent_at END"
	" WHERE org_id = $1 AND id = $2",
	.nargs = 3, .argtypes = {UUIDOID, INT8OID, TIMESTAMPTZOID}
};

/*
 * What may be done with a job for org_id with payload at earliest: false
 * when it names no valid number (nothing to check); else *reason is why the
 * number may not be contacted (a do-not-call list, or no allowed time in
 * all of the person's zones; NULL when it may) and *allowed the first
 * allowed time at or after earliest.
 */
static bool
check_job(Datum org_id, Datum payload, TimestampTz earliest, char **reason, TimestampTz *allowed)
{
	bool		no_phone,
				no_lead,
				not_listed;
	Datum		phone,
				lead_id,
				listed;
	Datum		v[2] = {org_id, payload};

	vp_execute(&job_target, v, NULL, 1);
	phone = vp_getdatum(0, TARGET_COL_PHONE, &no_phone);
	lead_id = vp_getdatum(0, TARGET_COL_LEAD_ID, &no_lead);
	listed = vp_getdatum(0, TARGET_COL_LISTED, &not_listed);
	if (no_phone)
		return false;
	*reason = not_listed ? NULL : TextDatumGetCString(listed);
	if (*reason != NULL)
		return true;
	*allowed = vp_next_call_time(org_id, no_lead ? (Datum) 0 : lead_id, phone, earliest, NULL);
	if (*allowed == DT_NOEND)
		*reason = pstrdup("no time is inside the organisation's calling hours in every one of the person's time zones:"
						  " set the lead's own time zone (leads.timezone)");
	return true;
}

/*
 * BEFORE INSERT trigger on the outbox, for pending create-call and SMS jobs:
 * a job to a listed number is stored suppressed; any other is due no
 * earlier than the called person's next allowed time.
 */
Datum
vapi_pool_outbox_checked(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	MemoryContext cxt = CurrentMemoryContext;
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	TimestampTz run_at;
	char	   *reason;
	TimestampTz allowed;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("outbox_checked must run as a BEFORE INSERT row trigger")));
	row = trigdata->tg_trigtuple;
	desc = RelationGetDescr(trigdata->tg_relation);
	run_at = DatumGetTimestampTz(heap_getattr(row, SPI_fnumber(desc, "run_at"), desc, &isnull));

	vp_spi_connect();
	if (check_job(heap_getattr(row, SPI_fnumber(desc, "org_id"), desc, &isnull),
				  heap_getattr(row, SPI_fnumber(desc, "payload"), desc, &isnull), run_at, &reason, &allowed))
	{
		MemoryContext spi = MemoryContextSwitchTo(cxt);

		if (reason != NULL)
		{
			int			cols[3] = {SPI_fnumber(desc, "state"), SPI_fnumber(desc, "last_error"),
			SPI_fnumber(desc, "finished_at")};
			Datum		values[3] = {CStringGetTextDatum("suppressed"), CStringGetTextDatum(reason),
			TimestampTzGetDatum(GetCurrentTransactionStartTimestamp())};
			bool		nulls[3] = {false, false, false};

			row = heap_modify_tuple_by_cols(row, desc, 3, cols, values, nulls);
		}
		else if (allowed != run_at)
		{
			int			col = SPI_fnumber(desc, "run_at");
			Datum		value = TimestampTzGetDatum(allowed);
			bool		null = false;

			row = heap_modify_tuple_by_cols(row, desc, 1, &col, &value, &null);
		}
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return PointerGetDatum(row);
}

/* See compliance.h. */
VpClaimVerdict
vp_check_claimed_job(Datum org_id, Datum job_id, Datum payload)
{
	TimestampTz now = GetCurrentTimestamp();
	char	   *reason;
	TimestampTz allowed;

	if (!check_job(org_id, payload, now, &reason, &allowed))
		return VP_CLAIM_SEND;
	if (reason != NULL)
	{
		Datum		v[3] = {org_id, job_id, CStringGetTextDatum(reason)};

		vp_execute(&suppress_claimed, v, NULL, 0);
		return VP_CLAIM_SUPPRESSED;
	}
	if (allowed > now)
	{
		Datum		v[3] = {org_id, job_id, TimestampTzGetDatum(allowed)};

		vp_execute(&defer_claimed, v, NULL, 0);
		return VP_CLAIM_DEFERRED;
	}
	return VP_CLAIM_SEND;
}
