/*
 * call_lookup.c
 *	  Vapi's answer to GET /call/{id}: the lookup of a call whose end-of-call
 *	  report did not come (pool/stale_calls.c queues it as a vapi.get_call
 *	  job; outbox_report.c hands its 2xx answers here).
 *
 * A call Vapi says has ended is recorded exactly as its report would have
 * been: record_call_ended with the call's endedReason, times, cost,
 * recording, transcript and summary, so the assignment is held
 * (call_completed), the lead who did not answer gets the retry, a clinic's
 * caller the follow-up.  The report, should it come after all, finds the
 * call ended and only fills in what the lookup did not have
 * (record_call_ended's duplicate): nothing is decided twice.  A call Vapi
 * says is still going on leaves the job done with the status it had: the
 * sweep looks again a grace period later.  An answer that is not a call, a
 * call Vapi says it cannot find ("not-found"), or an end that cannot be
 * recorded makes the job dead: for the sweep, Vapi has no answer.
 */
#include "dispatch/call_lookup.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/subtransaction.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

/*
 * The call's end, recorded as its end-of-call report would be ($1 the call
 * id the job asked for, $2 Vapi's call object).  The raw report kept on the
 * call log (ended_report, without transcript and messages) is the call
 * object, marked with the lookup it came from.  Returns the job's result.
 */
static VpPlan record_end = {
	.sql = "SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('call_id', $1, 'status', 'ended',"
	"   'ended_reason', s.m ->> 'endedReason', 'outcome', r.outcome, 'next_attempt_at', r.next_attempt_at,"
	"   'lead_status', r.lead_status, 'duplicate', r.duplicate))"
	" FROM (SELECT $2 AS m) s, LATERAL vapi_pool.record_call_ended($1, s.m ->> 'endedReason',"
	"  (s.m ->> 'startedAt')::timestamptz, (s.m ->> 'endedAt')::timestamptz,"
	"  coalesce((s.m ->> 'durationSeconds')::numeric, pg_catalog.date_part('epoch',"
	"   (s.m ->> 'endedAt')::timestamptz - (s.m ->> 'startedAt')::timestamptz)::numeric),"
	"  coalesce(s.m #>> '{artifact,recordingUrl}', s.m ->> 'recordingUrl'),"
	"  coalesce(s.m #>> '{artifact,transcript}', s.m ->> 'transcript'),"
	"  coalesce(s.m #>> '{analysis,summary}', s.m ->> 'summary'),"
	/* the dispatcher writes a parsed number with 17 digits: 0.14 comes as 0.14000000000000001 */
	"  pg_catalog.trim_scale(pg_catalog.round((s.m ->> 'cost')::numeric, 10)),"
	"  pg_catalog.jsonb_build_object('message',"
	"   s.m || pg_catalog.jsonb_build_object('vapi_pool_lookup', 'GET /call/' || $1))) r",
	.nargs = 2, .argtypes = {TEXTOID, JSONBOID}
};

/* The result of a lookup that found the call still going on. */
static VpPlan running_result = {
	.sql = "SELECT pg_catalog.jsonb_build_object('call_id', $1, 'status', $2)",
	.nargs = 2, .argtypes = {TEXTOID, TEXTOID}
};

/* The paths read from a payload and a call. */
static const char *const CALL_ID[] = {"call_id", NULL};
static const char *const STATUS[] = {"status", NULL};
static const char *const ENDED_REASON[] = {"endedReason", NULL};

/* A plan with its arguments and its one result, run as a step (strict) or in a subtransaction. */
typedef struct RecordStep
{
	Datum		args[2];
	Datum		result;
} RecordStep;

static void
record_step(void *arg)
{
	RecordStep *r = arg;
	bool		isnull;

	vp_execute(&record_end, r->args, NULL, 0);
	r->result = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
}

/* Sets *out to a dead job: Vapi's answer settles nothing about the call. */
static void
no_answer(CallLookup *out, char *why)
{
	out->state = "dead";
	out->error = why;
	out->note = psprintf("%s: the call's number is released vapi_pool.call_report_give_up after "
						 "it should have ended", why);
}

/*
 * Judges the call object Vapi returned (call: jsonb, or (Datum) 0 when the
 * answer was not JSON) for the lookup job's payload.
 */
void
vp_judge_call_lookup(Datum payload, Datum call, bool strict, CallLookup *out)
{
	char	   *call_id = vp_json_text(DatumGetJsonbP(payload), CALL_ID);
	Jsonb	   *c = call == (Datum) 0 ? NULL : DatumGetJsonbP(call);
	char	   *status = vp_json_text(c, STATUS);
	RecordStep	step;

	memset(out, 0, sizeof(*out));
	out->state = "done";
	if (call_id == NULL)
	{
		no_answer(out, pstrdup("the lookup names no call"));
		return;
	}
	if (status == NULL)
	{
		no_answer(out, pstrdup("Vapi's answer is not a call with a status"));
		return;
	}
	if (strcmp(status, "not-found") == 0)
	{
		no_answer(out, psprintf("Vapi says call %s was not found", call_id));
		return;
	}
	if (strcmp(status, "ended") != 0)
	{
		Datum		args[2] = {CStringGetTextDatum(call_id), CStringGetTextDatum(status)};
		bool		isnull;

		vp_execute(&running_result, args, NULL, 0);
		out->result = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
		out->note = psprintf("Vapi says the call is %s: it is looked up again vapi_pool.call_report_grace "
							 "from now", status);
		return;
	}

	step.args[0] = CStringGetTextDatum(call_id);
	step.args[1] = call;
	if (strict)
		record_step(&step);
	else
	{
		ErrorData  *failure = vp_in_subtransaction(record_step, &step);

		if (failure != NULL)
		{
			no_answer(out, psprintf("the call ended but its end could not be recorded: %s", failure->message));
			return;
		}
	}
	out->result = step.result;
	out->note = psprintf("the call ended (%s): recorded as its end-of-call report",
						 vp_json_text(c, ENDED_REASON) ? vp_json_text(c, ENDED_REASON) : "no reason given");
}
