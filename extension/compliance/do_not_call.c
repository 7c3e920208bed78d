/*
 * do_not_call.c
 *	  The do-not-call lists (release 0.7.0): the organisation's
 *	  (do_not_call) and the deployment's (do_not_call_global), checked
 *	  whenever an outbound call or text is queued and again when it is
 *	  claimed for sending, and applied to what is already queued the moment a
 *	  number is added.
 *
 * Adding a number, by any route (an opt-out, an operator's INSERT, a COPY
 * import), fires do_not_call_applied once per statement: for every number
 * added, in its organisation (every organisation, for the deployment's
 * list), the leads with that number become do_not_call, pending create-call
 * and SMS jobs to it end suppressed (the vendor was never asked), open
 * drop-off follow-ups of those leads end suppressed, and the pool numbers
 * lent for the suppressed calls are released when nothing live still needs
 * them (vp_release_idle_assignment).  A job already claimed when the number
 * is added was handed to the vendor before the opt-out committed; the claim
 * (dispatch/outbox_claim.c) checks the lists again, so a number added
 * between queueing and claiming is never called (specs/opt_out_claim_race).
 * The checks of each job, when queued and when claimed, are
 * outbound_checks.c's.
 */
#include "compliance/compliance.h"
#include "core/saved_plans.h"
#include "pool/pool_engine.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_do_not_call_applied);

/* Why the organisation may not call the number (do_not_call_reason, 190_compliance.sql). */
static VpPlan listed = {
	.sql = "SELECT vapi_pool.do_not_call_reason($1, $2)",
	.nargs = 2, .argtypes = {UUIDOID, VP_E164_ARG}
};

/*
 * What a listed number had queued, stopped: its leads do_not_call, its
 * pending calls and texts suppressed, its leads' open follow-ups
 * suppressed.  Returns the counts and the assignments of the suppressed
 * calls and of the leads' idle numbers.
 */
static VpPlan apply_listing = {
	.sql = "WITH leads AS ("
	"  SELECT l.id, l.status FROM vapi_pool.leads l WHERE l.org_id = $1 AND l.primary_phone_e164 = $2),"
	" marked AS ("
	"  UPDATE vapi_pool.leads l SET status = 'do_not_call'"
	"  FROM leads WHERE l.org_id = $1 AND l.id = leads.id AND leads.status <> 'do_not_call' RETURNING l.id),"
	" jobs AS ("
	"  UPDATE vapi_pool.outbox o SET state = 'suppressed', last_error = $3, finished_at = pg_catalog.now()"
	"  WHERE o.org_id = $1 AND o.state = 'pending' AND o.kind IN ('vapi.create_call', 'vapi.sms')"
	"    AND (o.payload ->> 'customer_number') = $2::text"
	"  RETURNING o.id, o.kind, (o.payload ->> 'assignment_id')::uuid AS assignment_id),"
	" followups AS ("
	"  UPDATE vapi_pool.dropoff_followups f SET state = 'suppressed'"
	"  FROM leads WHERE f.org_id = $1 AND f.lead_id = leads.id AND f.state IN ('open', 'sms_queued')"
	"  RETURNING f.id)"
	" SELECT (SELECT pg_catalog.count(*) FROM marked),"
	"   (SELECT pg_catalog.count(*) FROM jobs WHERE kind = 'vapi.create_call'),"
	"   (SELECT pg_catalog.count(*) FROM jobs WHERE kind = 'vapi.sms') + (SELECT pg_catalog.count(*) FROM followups),"
	"   ARRAY(SELECT j.assignment_id FROM jobs j WHERE j.assignment_id IS NOT NULL"
	"     UNION SELECT a.id FROM vapi_pool.vapi_number_assignments a JOIN leads ON a.lead_id = leads.id"
	"       WHERE a.org_id = $1 AND a.status = 'booked')",
	.nargs = 3, .argtypes = {UUIDOID, VP_E164_ARG, TEXTOID}
};

/* The columns of apply_listing, counted from 1. */
enum
{
	APPLY_COL_LEADS = 1,
	APPLY_COL_CALLS,
	APPLY_COL_TEXTS,
	APPLY_COL_ASSIGNMENTS
};

/* The organisations that have something for a number on the deployment's list. */
static VpPlan orgs_of_number = {
	.sql = "SELECT l.org_id FROM vapi_pool.leads l WHERE l.primary_phone_e164 = $1"
	" UNION SELECT o.org_id FROM vapi_pool.outbox o"
	"   WHERE o.state = 'pending' AND o.kind IN ('vapi.create_call', 'vapi.sms')"
	"     AND (o.payload ->> 'customer_number') = $1::text",
	.nargs = 1, .argtypes = {VP_E164_ARG}
};

/* Where the trigger adds up what it applied (vp_record_opt_out), else NULL. */
static VpOptOut *collecting = NULL;

/*
 * Why the organisation may not call or text phone, as a sentence, or NULL
 * when it may.
 */
char *
vp_suppression_reason(Datum org_id, Datum phone)
{
	Datum		v[2] = {org_id, phone};
	bool		isnull;
	Datum		reason;

	vp_execute(&listed, v, NULL, 1);
	reason = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
	return isnull ? NULL : TextDatumGetCString(reason);
}

/*
 * Stops what was queued in the organisation for a number now listed, and
 * adds the counts to out.
 */
void
vp_apply_do_not_call(Datum org_id, Datum phone, VpOptOut *out)
{
	Datum		v[3] = {org_id, phone, CStringGetTextDatum("the number is on a do-not-call list")};
	bool		isnull;
	Datum	   *assignments;
	int			n;

	vp_execute(&apply_listing, v, NULL, 0);
	out->leads_marked += DatumGetInt64(vp_getdatum(0, APPLY_COL_LEADS, &isnull));
	out->calls_cancelled += DatumGetInt64(vp_getdatum(0, APPLY_COL_CALLS, &isnull));
	out->texts_cancelled += DatumGetInt64(vp_getdatum(0, APPLY_COL_TEXTS, &isnull));
	deconstruct_array(DatumGetArrayTypeP(vp_getdatum(0, APPLY_COL_ASSIGNMENTS, &isnull)),
					  UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &assignments, NULL, &n);
	for (int i = 0; i < n; i++)
		if (vp_release_idle_assignment(org_id, assignments[i], (Datum) 0, false) == NULL)
			out->numbers_released++;
}

/* Starts adding up what listings apply into out (NULL: stop). */
void
vp_collect_do_not_call(VpOptOut *out)
{
	collecting = out;
}

/*
 * AFTER INSERT ... FOR EACH STATEMENT on do_not_call and do_not_call_global
 * (REFERENCING NEW TABLE AS added): applies every number added.
 */
Datum
vapi_pool_do_not_call_applied(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	TupleTableSlot *slot;
	bool		global;
	int			org_col,
				phone_col;
	VpOptOut	sink = {0};
	VpOptOut   *out = collecting != NULL ? collecting : &sink;

	if (!CALLED_AS_TRIGGER(fcinfo) || trigdata->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("do_not_call_applied must run as an AFTER INSERT statement trigger with a new table")));
	desc = RelationGetDescr(trigdata->tg_relation);
	global = strcmp(RelationGetRelationName(trigdata->tg_relation), "do_not_call_global") == 0;
	org_col = global ? 0 : SPI_fnumber(desc, "org_id");
	phone_col = SPI_fnumber(desc, "phone");

	vp_spi_connect();
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	tuplestore_rescan(trigdata->tg_newtable);
	while (tuplestore_gettupleslot(trigdata->tg_newtable, true, false, slot))
	{
		bool		isnull;
		Datum		phone = slot_getattr(slot, phone_col, &isnull);

		if (!global)
			vp_apply_do_not_call(slot_getattr(slot, org_col, &isnull), phone, out);
		else
		{
			Datum	   *orgs;
			uint64		n;

			vp_execute(&orgs_of_number, &phone, NULL, 0);
			n = SPI_processed;
			orgs = palloc(sizeof(Datum) * Max(n, 1));
			for (uint64 i = 0; i < n; i++)
				orgs[i] = vp_getdatum(i, VP_SOLE_COLUMN, &isnull);
			for (uint64 i = 0; i < n; i++)
				vp_apply_do_not_call(orgs[i], phone, out);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	SPI_finish();
	return PointerGetDatum(NULL);
}
