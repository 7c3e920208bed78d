/*
 * compliance.h
 *	  Who may be called or texted, and when (release 0.7.0): the called
 *	  person's local calling hours (compliance/calling_hours.c), the
 *	  do-not-call lists (compliance/do_not_call.c), opt-outs from every
 *	  channel (compliance/opt_out.c) and the checks of each job when queued
 *	  and claimed (compliance/outbound_checks.c).  Every path that queues or sends an
 *	  outbound call or text asks these; docs/compliance.md states the rules.
 */
#ifndef VAPI_POOL_COMPLIANCE_H
#define VAPI_POOL_COMPLIANCE_H

#include "postgres.h"

#include "datatype/timestamp.h"

/*
 * The first instant at or after earliest at which the organisation may call
 * or text the lead: inside its calling hours and days, not on its holidays,
 * in every time zone the lead may be in (leads.timezone, else the zones of
 * the lead's number, else fallback_zone, else the broker's or
 * organisation's); DT_NOEND when no time is allowed in all of them.
 * lead_id may be (Datum) 0 with phone set (a number without a lead), phone
 * (Datum) 0 to use the lead's.
 */
extern TimestampTz vp_next_call_time(Datum org_id, Datum lead_id, Datum phone, TimestampTz earliest,
									 const char *fallback_zone);

/*
 * The zones in which what the lead says about time is read ("after 5"),
 * into zones[0..max): leads.timezone, else the zones of the number (phone,
 * or the lead's when (Datum) 0), else the broker's or organisation's.
 * Returns how many (at least one).
 */
extern int	vp_lead_zones(Datum org_id, Datum lead_id, Datum phone, const char **zones, int max);

/*
 * Why the organisation may not call or text phone (an e164 Datum), as a
 * sentence, or NULL when it may: the organisation's or the deployment's
 * do-not-call list.  Only the engine asks (service_role, or the triggers
 * with the extension owner's rights): the answer would tell a member what
 * another list holds.
 */
extern char *vp_suppression_reason(Datum org_id, Datum phone);

/*
 * The SQL of that answer for organisation org and number phone (SQL
 * expressions): its own list first, then the deployment's.
 */
#define VP_DO_NOT_CALL_REASON_SQL(org, phone) \
	"coalesce((SELECT 'the number is on the organisation''s do-not-call list (source: ' || d.source || ')'" \
	"   FROM vapi_pool.do_not_call d WHERE d.org_id = " org " AND d.phone = " phone ")," \
	" (SELECT 'the number is on the deployment''s do-not-call list'" \
	"   FROM vapi_pool.do_not_call_global g WHERE g.phone = " phone "))"

/* What recording an opt-out did (vp_record_opt_out). */
typedef struct VpOptOut
{
	bool		newly_added;	/* the number was not on the list before */
	int64		leads_marked;	/* leads of that number now do_not_call */
	int64		calls_cancelled;	/* pending create-call jobs suppressed */
	int64		texts_cancelled;	/* pending SMS jobs and follow-ups suppressed */
	int64		numbers_released;	/* pool numbers given back */
} VpOptOut;

/*
 * Records that the person at phone asked not to be contacted (source: one
 * of do_not_call's sources; source_id, or NULL: what it came in, an
 * Instantly event's id, a call id): the number goes on the organisation's
 * do-not-call list, its leads become do_not_call, and what was queued for
 * it is cancelled and its numbers released.  Idempotent.
 */
extern void vp_record_opt_out(Datum org_id, Datum phone, const char *source, const char *source_id,
							  const char *reason, VpOptOut *out);

/* What the claim of a create-call or SMS job found (vp_check_claimed_job). */
typedef enum VpClaimVerdict
{
	VP_CLAIM_SEND,				/* send it now */
	VP_CLAIM_SUPPRESSED,		/* the number is listed: the job is suppressed */
	VP_CLAIM_DEFERRED			/* not an allowed time: pending again, due then */
} VpClaimVerdict;

/*
 * Checks a create-call or SMS job just claimed (not one whose lease ran
 * out) and, when it may not be sent now, ends or defers it
 * (compliance/outbound_checks.c).
 */
extern VpClaimVerdict vp_check_claimed_job(Datum org_id, Datum job_id, Datum payload);

/* Within compliance/: stops what was queued for a newly listed number (do_not_call.c). */
extern void vp_apply_do_not_call(Datum org_id, Datum phone, VpOptOut *out);

/* Within compliance/: where do_not_call_applied adds up its counts (NULL: nowhere). */
extern void vp_collect_do_not_call(VpOptOut *out);

#endif							/* VAPI_POOL_COMPLIANCE_H */
