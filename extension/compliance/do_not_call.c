/*
 * do_not_call.c
 *	  The do-not-call lists (release 0.7.0): the organisation's
 *	  (do_not_call) and the deployment's (do_not_call_global), checked
 *	  whenever an outbound call or text is queued and again when it is
 *	  claimed for sending, and applied to what is already queued the moment a
 *	  number is added.
 *
 * Adding a number, by any route (an opt-out, an operator's INSERT, a COPY
 * import, or changing a listing's number), fires do_not_call_applied once
 * per statement, which applies the numbers in batches of APPLY_BATCH, one
 * statement each (a registry import is not a statement per number): in the
 * number's organisation (every organisation, for the deployment's list),
 * its pending create-call and SMS jobs end suppressed (the vendor was never
 * asked), the open drop-off follow-ups of its leads end suppressed, the
 * pool numbers lent for the suppressed calls or idle with its leads are
 * released when nothing live still needs them
 * (vp_release_idle_assignment), and, for the organisation's own list only,
 * its leads become do_not_call.  A job already claimed when the number is
 * added was handed to the vendor before the opt-out committed; a job queued
 * while the listing was being added is caught by the claim's own check
 * (specs/opt_out_claim_race.spec).
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_do_not_call_applied);

/* Why the organisation may not call the number (compliance.h). */
static VpPlan listed = {
	.sql = "SELECT " VP_DO_NOT_CALL_REASON_SQL("$1", "$2"),
	.nargs = 2, .argtypes = {UUIDOID, VP_E164_ARG}
};

/*
 * What listed numbers had queued, stopped, for a batch: $2 the numbers (as
 * text), $1 their organisations (NULL: the deployment's list, every
 * organisation).  Their leads become do_not_call (the organisation's own
 * list only, $4), their pending calls and texts are suppressed, their
 * leads' open follow-ups suppressed.  Returns the counts and the
 * (organisation, assignment) pairs of the suppressed calls and of the
 * leads' idle numbers, to be released.
 */
static VpPlan apply_listings = {
	.sql = "WITH added AS ("
	"  SELECT DISTINCT ($1::uuid[])[a.n] AS org_id, a.phone::vapi_pool.e164 AS phone"
	"  FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS a(phone, n)),"
	" leads AS ("
	"  SELECT l.org_id, l.id, l.status FROM vapi_pool.leads l JOIN added a ON l.primary_phone_e164 = a.phone"
	"  WHERE a.org_id IS NULL OR l.org_id = a.org_id),"
	" marked AS ("
	"  UPDATE vapi_pool.leads l SET status = 'do_not_call'"
	"  FROM leads WHERE $4 AND l.org_id = leads.org_id AND l.id = leads.id AND leads.status <> 'do_not_call'"
	"  RETURNING l.id),"
	" jobs AS ("
	"  UPDATE vapi_pool.outbox o SET state = 'suppressed', last_error = $3, finished_at = pg_catalog.now()"
	"  FROM added a"
	"  WHERE o.state = 'pending' AND o.kind IN ('vapi.create_call', 'vapi.sms')"
	"    AND (o.payload ->> 'customer_number') = a.phone::text AND (a.org_id IS NULL OR o.org_id = a.org_id)"
	"  RETURNING o.org_id, o.id, o.kind, (o.payload ->> 'assignment_id')::uuid AS assignment_id),"
	" followups AS ("
	"  UPDATE vapi_pool.dropoff_followups f SET state = 'suppressed'"
	"  FROM leads WHERE f.org_id = leads.org_id AND f.lead_id = leads.id AND f.state IN ('open', 'sms_queued')"
	"  RETURNING f.id),"
	" released AS ("
	"  SELECT j.org_id, j.assignment_id AS id FROM jobs j WHERE j.assignment_id IS NOT NULL"
	"  UNION SELECT a.org_id, a.id FROM vapi_pool.vapi_number_assignments a"
	"    JOIN leads ON a.org_id = leads.org_id AND a.lead_id = leads.id WHERE a.status = 'booked')"
	" SELECT (SELECT pg_catalog.count(*) FROM marked),"
	"   (SELECT pg_catalog.count(*) FROM jobs WHERE kind = 'vapi.create_call'),"
	"   (SELECT pg_catalog.count(*) FROM jobs WHERE kind = 'vapi.sms') + (SELECT pg_catalog.count(*) FROM followups),"
	"   ARRAY(SELECT r.org_id FROM released r ORDER BY r.org_id, r.id),"
	"   ARRAY(SELECT r.id FROM released r ORDER BY r.org_id, r.id)",
	.nargs = 4, .argtypes = {UUIDARRAYOID, TEXTARRAYOID, TEXTOID, BOOLOID}
};

/* The columns of apply_listings, counted from 1. */
enum
{
	APPLY_COL_LEADS = 1,
	APPLY_COL_CALLS,
	APPLY_COL_TEXTS,
	APPLY_COL_ORGS,
	APPLY_COL_ASSIGNMENTS
};

/* The most numbers one apply_listings statement takes (a COPY of a registry is split). */
#define APPLY_BATCH 10000

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
 * Stops what was queued for n listed numbers (text, canonical) of the
 * organisations orgs (NULL: the deployment's list), and adds the counts to
 * out.  The organisation's own list also marks its leads do_not_call; the
 * deployment's does not (a registry import must not rewrite every tenant's
 * leads: the checks at queue and claim time stop their calls).
 */
static void
apply_batch(Datum *orgs, Datum *phones, int n, VpOptOut *out)
{
	Datum		v[4];
	char		nulls[4] = {orgs ? ' ' : 'n', ' ', ' ', ' '};
	bool		isnull;
	Datum	   *org_ids;
	Datum	   *assignments;
	int			nreleased;

	v[0] = orgs ? PointerGetDatum(construct_array(orgs, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR)) : (Datum) 0;
	v[1] = PointerGetDatum(construct_array(phones, n, TEXTOID, -1, false, TYPALIGN_INT));
	v[2] = CStringGetTextDatum("the number is on a do-not-call list");
	v[3] = BoolGetDatum(orgs != NULL);
	vp_execute(&apply_listings, v, nulls, 0);
	out->leads_marked += DatumGetInt64(vp_getdatum(0, APPLY_COL_LEADS, &isnull));
	out->calls_cancelled += DatumGetInt64(vp_getdatum(0, APPLY_COL_CALLS, &isnull));
	out->texts_cancelled += DatumGetInt64(vp_getdatum(0, APPLY_COL_TEXTS, &isnull));
	deconstruct_array(DatumGetArrayTypeP(vp_getdatum(0, APPLY_COL_ORGS, &isnull)),
					  UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &org_ids, NULL, &nreleased);
	deconstruct_array(DatumGetArrayTypeP(vp_getdatum(0, APPLY_COL_ASSIGNMENTS, &isnull)),
					  UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &assignments, NULL, &nreleased);
	for (int i = 0; i < nreleased; i++)
		if (vp_release_idle_assignment(org_ids[i], assignments[i], (Datum) 0, false) == NULL)
			out->numbers_released++;
}

/* See compliance.h: one number of the organisation's own list. */
void
vp_apply_do_not_call(Datum org_id, Datum phone, VpOptOut *out)
{
	Datum		text = CStringGetTextDatum(vp_e164_string(phone));

	apply_batch(&org_id, &text, 1, out);
}

/* Starts adding up what listings apply into out (NULL: stop). */
void
vp_collect_do_not_call(VpOptOut *out)
{
	collecting = out;
}

/*
 * AFTER INSERT (or UPDATE) ... FOR EACH STATEMENT on do_not_call and
 * do_not_call_global (REFERENCING NEW TABLE AS added): applies every number
 * added, APPLY_BATCH numbers per statement.
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
	Datum	   *orgs;
	Datum	   *phones;
	int			n = 0;
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
	orgs = palloc(sizeof(Datum) * APPLY_BATCH);
	phones = palloc(sizeof(Datum) * APPLY_BATCH);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	tuplestore_rescan(trigdata->tg_newtable);
	while (tuplestore_gettupleslot(trigdata->tg_newtable, true, false, slot))
	{
		bool		isnull;

		phones[n] = CStringGetTextDatum(vp_e164_string(slot_getattr(slot, phone_col, &isnull)));
		if (!global)
			orgs[n] = slot_getattr(slot, org_col, &isnull);
		if (++n == APPLY_BATCH)
		{
			apply_batch(global ? NULL : orgs, phones, n, out);
			n = 0;
		}
	}
	if (n > 0)
		apply_batch(global ? NULL : orgs, phones, n, out);
	ExecDropSingleTupleTableSlot(slot);
	SPI_finish();
	return PointerGetDatum(NULL);
}
