/*
 * stale_calls.c
 *	  Calls whose end-of-call report never came (the seed's "get_call"
 *	  step): reconcile_stale_calls(now, batch_size), run by pg_cron every
 *	  five minutes (schedule_maintenance).
 *
 * A call that was logged (placed, or routed in) and has not ended should
 * have ended vapi_pool.call_max_duration after it started, or after it was
 * logged when Vapi never said it started (Vapi ends a call after its
 * assistant's maxDurationSeconds).  vapi_pool.call_report_grace after that,
 * with still no report, the sweep asks Vapi: it queues a vapi.get_call job
 * (GET /call/{id}), which the dispatcher sends; its answer
 * (dispatch/call_lookup.c) records an ended call exactly as its report would
 * have been.  A lookup that left the call going on (Vapi says it is) or
 * unknown (Vapi answered 404, or the lookup failed until its attempts ran
 * out) is repeated a grace period after it finished.
 *
 * Only when Vapi has no answer either, vapi_pool.call_report_give_up after
 * the call should have ended, does the sweep give up: the call log is ended
 * as "unknown" with a review reason, and the number lent for the call is
 * released unless something live still needs it (pool_release.c's
 * vp_release_idle_assignment).  A call Vapi keeps calling "in progress" past
 * Vapi's own longest call (12 hours) is given up on the same way.
 *
 * The sweep decides with the now it is given (tests move the clock by
 * passing a later one); what it writes carries the real time.  Calls are
 * locked FOR NO KEY UPDATE SKIP LOCKED, so it never waits for a report
 * being recorded, and at most batch_size are handled per run, oldest first.
 */
#include "core/saved_plans.h"
#include "core/settings.h"
#include "pool/pool_engine.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_reconcile_stale_calls);

/* Vapi's longest call: the largest maxDurationSeconds it accepts. */
#define VAPI_LONGEST_CALL_SECONDS 43200

/* Attempts of one lookup before Vapi counts as having no answer. */
#define LOOKUP_MAX_ATTEMPTS 5

/* The most calls one run handles. */
#define STALE_BATCH_MAX 10000

/*
 * The calls to act on now ($1 now, $2 batch size, $3 call_max_duration, $4
 * call_report_grace, $5 call_report_give_up): not ended, logged long enough
 * ago, and with no lookup queued or in flight; each with what to do
 * (look_up, give_up: Vapi has no answer, overrun: Vapi says it outlasts its
 * longest call) and the number of its next lookup.
 */
static VpPlan stale_calls = {
	.sql = "SELECT c.org_id, c.id, c.vapi_call_id, c.assignment_id, x.action, coalesce(j.lookup, 0) + 1"
	" FROM vapi_pool.vapi_call_logs c"
	" LEFT JOIN LATERAL (SELECT o.state, o.finished_at, coalesce((o.payload ->> 'lookup')::integer, 1) AS lookup"
	"   FROM vapi_pool.outbox o"
	"   WHERE o.org_id = c.org_id AND o.kind = 'vapi.get_call' AND (o.payload ->> 'call_id') = c.vapi_call_id"
	"   ORDER BY o.id DESC LIMIT 1) j ON true,"
	" LATERAL (SELECT CASE"
	"   WHEN j.state IN ('pending', 'in_flight') THEN NULL"
	"   WHEN j.state = 'dead' AND $1 >= coalesce(c.started_at, c.created_at) + $3 + $5 THEN 'give_up'"
	"   WHEN j.state = 'done' AND $1 >= c.created_at + interval '" CppAsString2(VAPI_LONGEST_CALL_SECONDS)
	" seconds' + $5 THEN 'overrun'"
	"   WHEN $1 < coalesce(c.started_at, c.created_at) + $3 + $4 THEN NULL"
	"   WHEN j.state IS NULL OR j.finished_at + $4 <= $1 THEN 'look_up'"
	"   END AS action) x"
	" WHERE c.status <> 'ended' AND c.created_at <= $1 - $3 - $4 AND x.action IS NOT NULL"
	" ORDER BY c.created_at LIMIT $2"
	" FOR NO KEY UPDATE OF c SKIP LOCKED",
	.nargs = 5, .argtypes = {TIMESTAMPTZOID, INT4OID, INTERVALOID, INTERVALOID, INTERVALOID}
};

/* The columns of stale_calls, counted from 1. */
enum
{
	STALE_COL_ORG_ID = 1,
	STALE_COL_CALL_LOG_ID,
	STALE_COL_VAPI_CALL_ID,
	STALE_COL_ASSIGNMENT_ID,
	STALE_COL_ACTION,
	STALE_COL_NEXT_LOOKUP
};

/* The lookup of a call: GET /call/{id}, sent by the dispatcher. */
static VpPlan queue_lookup = {
	.sql = "INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, max_attempts)"
	" VALUES ($1, 'vapi.get_call',"
	"   pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('call_id', $3, 'call_log_id', $2,"
	"     'assignment_id', $4, 'lookup', $5)),"
	"   'get-call:' || $3 || ':' || $5, " CppAsString2(LOOKUP_MAX_ATTEMPTS) ")"
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING"
	" RETURNING id",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, TEXTOID, UUIDOID, INT4OID}
};

/* The call given up on: ended as unknown, for a person to look at. */
static VpPlan give_up_call = {
	.sql = "UPDATE vapi_pool.vapi_call_logs SET status = 'ended', ended_reason = 'unknown', review_reason = $3"
	" WHERE org_id = $1 AND id = $2",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

/* The review reasons of a call given up on: Vapi has no answer, Vapi says it outlasts any call. */
#define NO_ANSWER_REVIEW "no end-of-call report, and Vapi has no answer for the call"
#define OVERRUN_REVIEW "no end-of-call report, and Vapi says the call is still going on past its longest call (12 hours)"

/* The columns of reconcile_stale_calls' result rows, counted from 0. */
enum
{
	RESULT_ORG_ID,
	RESULT_CALL_LOG_ID,
	RESULT_VAPI_CALL_ID,
	RESULT_ACTION,
	RESULT_OUTBOX_ID,
	RESULT_DETAIL,
	RESULT_NCOLUMNS
};

/* One call the sweep acts on, read from a row of stale_calls. */
typedef struct StaleCall
{
	Datum		org_id;
	Datum		call_log_id;
	Datum		vapi_call_id;
	Datum		assignment_id;
	bool		has_assignment;
	int32		next_lookup;
} StaleCall;

/* An interval of s seconds. */
static Datum
seconds(int s)
{
	Interval   *i = palloc0(sizeof(Interval));

	i->time = (TimeOffset) s * USECS_PER_SEC;
	return IntervalPGetDatum(i);
}

/* Queues the call's next lookup; returns its job id, or 0 when one with that key exists. */
static int64
look_up(const StaleCall *c)
{
	Datum		args[5] = {c->org_id, c->call_log_id, c->vapi_call_id, c->assignment_id,
	Int32GetDatum(c->next_lookup)};
	char		nulls[5] = {' ', ' ', ' ', c->has_assignment ? ' ' : 'n', ' '};
	bool		isnull;

	vp_execute(&queue_lookup, args, nulls, 0);
	return SPI_processed == 1 ? DatumGetInt64(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)) : 0;
}

/*
 * Ends the call as unknown, for the review reason, and releases its number
 * if nothing else needs it; returns what happened.
 */
static char *
give_up(const StaleCall *c, const char *review)
{
	Datum		args[3] = {c->org_id, c->call_log_id, CStringGetTextDatum(review)};
	char	   *kept;

	vp_execute(&give_up_call, args, NULL, 0);
	if (!c->has_assignment)
		return pstrdup("ended as unknown; no number was lent for it");
	kept = vp_release_idle_assignment(c->org_id, c->assignment_id, c->call_log_id, true);
	return kept == NULL ? pstrdup("ended as unknown; its number is released") :
		psprintf("ended as unknown; its number is not released: %s", kept);
}

/*
 * SQL: reconcile_stale_calls(now, batch_size) -> setof (org_id, call_log_id,
 * vapi_call_id, action, outbox_id, detail).  One row per call acted on:
 * look_up (a vapi.get_call job queued) or give_up.
 */
Datum
vapi_pool_reconcile_stale_calls(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt = CurrentMemoryContext;
	Datum		args[5];
	int32		batch_size;
	uint64		n;
	StaleCall  *calls;
	char	  **actions;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("now and batch_size must not be null")));
	batch_size = PG_GETARG_INT32(1);
	if (batch_size < 1 || batch_size > STALE_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be between 1 and %d", STALE_BATCH_MAX),
				 errdetail("batch_size was %d.", batch_size)));
	args[0] = PG_GETARG_DATUM(0);
	args[1] = Int32GetDatum(batch_size);
	args[2] = seconds(vp_call_max_duration_s);
	args[3] = seconds(vp_call_report_grace_s);
	args[4] = seconds(vp_call_report_give_up_s);

	vp_init_materialized_srf(fcinfo);
	vp_spi_connect();
	vp_execute(&stale_calls, args, NULL, 0);
	n = SPI_processed;
	calls = MemoryContextAllocZero(cxt, sizeof(StaleCall) * Max(n, 1));
	actions = MemoryContextAllocZero(cxt, sizeof(char *) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		calls[i].org_id = vp_getdatum(i, STALE_COL_ORG_ID, &isnull);
		calls[i].call_log_id = vp_getdatum(i, STALE_COL_CALL_LOG_ID, &isnull);
		calls[i].vapi_call_id = vp_getdatum(i, STALE_COL_VAPI_CALL_ID, &isnull);
		calls[i].assignment_id = vp_getdatum(i, STALE_COL_ASSIGNMENT_ID, &isnull);
		calls[i].has_assignment = !isnull;
		calls[i].next_lookup = DatumGetInt32(vp_getdatum(i, STALE_COL_NEXT_LOOKUP, &isnull));
		actions[i] = TextDatumGetCString(vp_getdatum(i, STALE_COL_ACTION, &isnull));
	}
	for (uint64 i = 0; i < n; i++)
	{
		Datum		values[RESULT_NCOLUMNS];
		bool		nulls[RESULT_NCOLUMNS] = {0};
		char	   *detail;
		int64		job = 0;

		if (strcmp(actions[i], "look_up") == 0)
		{
			job = look_up(&calls[i]);
			detail = job ? psprintf("GET /call/%s queued (lookup %d)", TextDatumGetCString(calls[i].vapi_call_id),
									calls[i].next_lookup) :
				pstrdup("its lookup was queued already");
		}
		else
			detail = give_up(&calls[i], strcmp(actions[i], "overrun") == 0 ? OVERRUN_REVIEW : NO_ANSWER_REVIEW);
		values[RESULT_ORG_ID] = calls[i].org_id;
		values[RESULT_CALL_LOG_ID] = calls[i].call_log_id;
		values[RESULT_VAPI_CALL_ID] = calls[i].vapi_call_id;
		values[RESULT_ACTION] = CStringGetTextDatum(strcmp(actions[i], "look_up") == 0 ? "look_up" : "give_up");
		values[RESULT_OUTBOX_ID] = Int64GetDatum(job);
		nulls[RESULT_OUTBOX_ID] = job == 0;
		values[RESULT_DETAIL] = CStringGetTextDatum(detail);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	return (Datum) 0;
}
