/*
 * call_outcome.c
 *	  What happens when a call is placed and when it ends (seed WF4, WF6).
 *
 * record_call_placed logs an outbound call Vapi accepted, against its
 * assignment and attempt number.  record_call_ended logs the end-of-call
 * report, holds the number for vapi_pool.hold_after_call after the call, and
 * for an outbound call the lead did not answer queues the next attempt in the
 * outbox (after the backoff, inside the calling window of the broker's time
 * zone), or marks the lead unreachable after the last one.  A voicemail (the
 * create-call configured detection, and a machine answered) is such an
 * attempt too, never a connected lead; its call log records the message the
 * call left (the create-call job's, see note_voicemail).  A failure that is
 * not the lead's (provider, quota) is retried without counting as an attempt,
 * up to vapi_pool.provider_retry_limit times.  A report arriving twice changes
 * nothing the second time; a report for a call nobody logged is kept and
 * flagged for review.
 */
#include "calls/call_outcome.h"
#include "clinic/clinic_dropoff.h"
#include "compliance/compliance.h"
#include "core/saved_plans.h"
#include "core/settings.h"
#include "outbox/outbox.h"
#include "pool/pool_engine.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_record_call_placed);
PG_FUNCTION_INFO_V1(vapi_pool_record_call_ended);

/*
 * The call log of calls Vapi placed: rows c(assignment_id, call_id, attempt)
 * of the statement's FROM, one shape for one call and for a batch.
 */
#define PLACE_CALLS(calls) \
	"INSERT INTO vapi_pool.vapi_call_logs" \
	" (org_id, lead_id, broker_id, assignment_id, vapi_call_id, direction, status, from_e164, to_e164, attempt)" \
	" SELECT a.org_id, a.lead_id, a.broker_id, a.id, c.call_id, 'outbound_to_lead', 'queued', p.number," \
	"        l.primary_phone_e164, c.attempt" \
	" FROM " calls \
	" JOIN vapi_pool.vapi_number_assignments a ON a.id = c.assignment_id" \
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id" \
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id" \
	" ON CONFLICT (org_id, vapi_call_id) DO NOTHING"

static VpPlan place_call = {
	.sql = PLACE_CALLS("(SELECT $1::uuid, $2::text, $3::integer) AS c(assignment_id, call_id, attempt)")
	" RETURNING *",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, INT4OID}
};

/* Many placed calls at once; counts the calls neither logged now nor before for their assignment. */
static VpPlan place_calls = {
	.sql = "WITH c AS (SELECT * FROM pg_catalog.unnest($1::uuid[], $2::text[], $3::integer[])"
	"   AS c(assignment_id, call_id, attempt)),"
	" logged AS (" PLACE_CALLS("c") " RETURNING vapi_call_id)"
	" SELECT pg_catalog.count(*) FROM c"
	" WHERE NOT EXISTS (SELECT FROM logged g WHERE g.vapi_call_id = c.call_id)"
	"   AND NOT EXISTS (SELECT FROM vapi_pool.vapi_call_logs l"
	"                   WHERE l.vapi_call_id = c.call_id AND l.assignment_id = c.assignment_id)",
	.nargs = 3, .argtypes = {UUIDARRAYOID, TEXTARRAYOID, INT4ARRAYOID}
};

/* The column of place_calls, counted from 1. */
enum
{
	PLACE_CALLS_COL_UNLOGGED = 1
};

/*
 * Logs many calls Vapi placed in one statement (what record_call_placed does
 * for one): arrays of n assignment ids, call ids and attempts.  Errors when
 * a call cannot be logged (its assignment is gone, or its id is logged for
 * another assignment), so the caller can fall back to one at a time.
 */
void
vp_record_calls_placed(Datum *assignment_ids, Datum *call_ids, Datum *attempts, int n)
{
	Datum		args[3];
	bool		isnull;
	int64		unlogged;

	if (n == 0)
		return;
	args[0] = PointerGetDatum(construct_array(assignment_ids, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	args[1] = PointerGetDatum(construct_array(call_ids, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(attempts, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	vp_execute(&place_calls, args, NULL, 0);
	unlogged = DatumGetInt64(vp_getdatum(0, PLACE_CALLS_COL_UNLOGGED, &isnull));
	if (unlogged != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%lld of %d placed calls could not be logged", (long long) unlogged, n),
				 errdetail("Their assignment does not exist, or their call id is logged for another assignment.")));
}

static VpPlan placed_call = {
	.sql = "SELECT * FROM vapi_pool.vapi_call_logs WHERE vapi_call_id = $2 AND assignment_id = $1",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

/*
 * SQL: record_call_placed(assignment_id, vapi_call_id, attempt) ->
 * vapi_call_logs.  Idempotent: the same call id again returns its row.
 */
Datum
vapi_pool_record_call_placed(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		values[3] = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};
	int32		attempt = PG_GETARG_INT32(2);
	Datum		result;

	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vapi_call_id must not be empty")));
	if (attempt < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attempt must be at least 1"),
				 errdetail("attempt was %d.", attempt)));

	vp_spi_connect();
	vp_execute(&place_call, values, NULL, 0);
	if (SPI_processed == 0)
	{
		vp_execute(&placed_call, values, NULL, 0);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("assignment %s does not exist, or call %s is logged for another assignment",
							vp_uuid_string(values[0]),
							TextDatumGetCString(values[1]))));
	}
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* ---------------------------------------------------------------- record_call_ended */

/* Lead statuses in which the engine may still call a lead (a text[] literal). */
#define LEAD_CALLABLE "{new,call_requested,calling}"
/* Lead statuses a queued retry moves to calling. */
#define LEAD_NOT_YET_CALLING "{new,call_requested}"
/* Lead statuses an answered call moves to connected. */
#define LEAD_NOT_YET_CONNECTED "{new,call_requested,calling,unreachable}"

/*
 * How long a clinic's call reported without a start is taken to have
 * lasted, when looking for what was booked during it.
 */
#define CALL_LENGTH_IF_UNKNOWN_USECS USECS_PER_HOUR

/*
 * Whether an outcome means the lead was not reached, which counts as an
 * attempt: no answer (busy, unanswered) or a machine (voicemail).
 */
static bool
lead_missed(const char *outcome)
{
	return outcome != NULL &&
		(strcmp(outcome, "no_answer") == 0 || strcmp(outcome, "voicemail") == 0);
}

/* Whether status is one of LEAD_CALLABLE. */
static bool
lead_callable(const char *status)
{
	return status != NULL &&
		(strcmp(status, "new") == 0 || strcmp(status, "call_requested") == 0 ||
		 strcmp(status, "calling") == 0);
}

/* The arguments of record_call_ended, counted from 0. */
enum
{
	ENDED_ARG_CALL_ID,
	ENDED_ARG_REASON,
	ENDED_ARG_STARTED,
	ENDED_ARG_ENDED,
	ENDED_ARG_DURATION,
	ENDED_ARG_RECORDING,
	ENDED_ARG_TRANSCRIPT,
	ENDED_ARG_SUMMARY,
	ENDED_ARG_COST,
	ENDED_ARG_RAW
};

/* The types of report_args()' parameters, $3 to $12. */
#define REPORT_ARG_TYPES \
	TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID, \
	TEXTOID, JSONBOID

/*
 * The parameters of end_call and insert_unknown_call, as indexes of their
 * argument arrays: the organisation and the call ($2: end_call's call log
 * id, insert_unknown_call's Vapi call id), then the report (report_args()).
 */
enum
{
	REPORT_PARAM_ORG_ID,
	REPORT_PARAM_CALL,
	REPORT_PARAM_REASON,
	REPORT_PARAM_STARTED,
	REPORT_PARAM_ENDED,
	REPORT_PARAM_DURATION,
	REPORT_PARAM_RECORDING,
	REPORT_PARAM_TRANSCRIPT,
	REPORT_PARAM_SUMMARY,
	REPORT_PARAM_COST,
	REPORT_PARAM_OUTCOME,
	REPORT_PARAM_RAW,
	REPORT_NPARAMS
};

static VpPlan find_call = {
	.sql = "SELECT c.org_id, c.id, c.status, c.direction, c.assignment_id, c.lead_id, c.attempt,"
	"       l.status, c.outcome, c.review_reason, o.is_clinic"
	" FROM vapi_pool.vapi_call_logs c"
	" JOIN vapi_pool.orgs o ON o.org_id = c.org_id"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = c.org_id AND l.id = c.lead_id"
	" WHERE c.vapi_call_id = $1"
	" FOR NO KEY UPDATE OF c",
	.nargs = 1, .argtypes = {TEXTOID}
};

/* The columns of find_call, counted from 1. */
enum
{
	FIND_CALL_COL_ORG_ID = 1,
	FIND_CALL_COL_LOG_ID,
	FIND_CALL_COL_STATUS,
	FIND_CALL_COL_DIRECTION,
	FIND_CALL_COL_ASSIGNMENT_ID,
	FIND_CALL_COL_LEAD_ID,
	FIND_CALL_COL_ATTEMPT,
	FIND_CALL_COL_LEAD_STATUS,
	FIND_CALL_COL_OUTCOME,
	FIND_CALL_COL_REVIEW_REASON,
	FIND_CALL_COL_IS_CLINIC
};

/* A report for a call already ended only fills in what was missing. */
static VpPlan fill_gaps = {
	.sql = "UPDATE vapi_pool.vapi_call_logs SET"
	"  started_at = coalesce(started_at, $3), recording_url = coalesce(recording_url, $4),"
	"  transcript = coalesce(transcript, $5), summary = coalesce(summary, $6),"
	"  cost = coalesce(cost, $7), duration_seconds = coalesce(duration_seconds, $8)"
	" WHERE org_id = $1 AND id = $2"
	"   AND ((started_at IS NULL AND $3 IS NOT NULL) OR (recording_url IS NULL AND $4 IS NOT NULL)"
	"     OR (transcript IS NULL AND $5 IS NOT NULL) OR (summary IS NULL AND $6 IS NOT NULL)"
	"     OR (cost IS NULL AND $7 IS NOT NULL) OR (duration_seconds IS NULL AND $8 IS NOT NULL))",
	.nargs = 8, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID}
};

static VpPlan end_call = {
	.sql = "UPDATE vapi_pool.vapi_call_logs SET"
	"  status = 'ended', ended_reason = $3, started_at = coalesce($4, started_at), ended_at = $5,"
	"  duration_seconds = coalesce($6, pg_catalog.round("
	"      pg_catalog.date_part('epoch', $5 - coalesce($4, started_at))::numeric, 3)),"
	"  recording_url = $7, transcript = $8, summary = $9, cost = $10, outcome = $11,"
	"  ended_report = vapi_pool.strip_call_report($12)"
	" WHERE org_id = $1 AND id = $2",
	.nargs = REPORT_NPARAMS, .argtypes = {UUIDOID, UUIDOID, REPORT_ARG_TYPES}
};

/*
 * "IS DISTINCT FROM" rather than "<>": it keeps the partial indexes on
 * unreleased assignments (predicate status <> 'released') out of this plan.
 * Otherwise a generic plan may scan one of them for the organisation's every
 * live assignment instead of looking up the primary key.
 */
static VpPlan hold_assignment = {
	.sql = "UPDATE vapi_pool.vapi_number_assignments"
	" SET status = 'call_completed', last_call_at = greatest(last_call_at, $3),"
	"     release_at = greatest(release_at, $4)"
	" WHERE org_id = $1 AND id = $2 AND status IS DISTINCT FROM 'released'",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

static VpPlan provider_failures = {
	.sql = "SELECT pg_catalog.count(*) FROM vapi_pool.vapi_call_logs"
	" WHERE org_id = $1 AND lead_id = $2 AND assignment_id = $3 AND attempt = $4"
	"   AND outcome = 'provider_error'",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, UUIDOID, INT4OID}
};

/* The column of provider_failures, counted from 1. */
enum
{
	PROVIDER_FAILURES_COL_COUNT = 1
};

static VpPlan queue_call = {
	.sql = VP_CREATE_CALL_INSERT("$3", "$6")
	"     'retry_of', $4),"
	"   'retry-of:' || $4, $5"
	VP_CREATE_CALL_FROM
	" RETURNING run_at, state",
	.nargs = 6, .argtypes = {UUIDOID, UUIDOID, INT4OID, TEXTOID, TIMESTAMPTZOID, INT4OID}
};

/* The columns of queue_call, counted from 1. */
enum
{
	QUEUE_CALL_COL_RUN_AT = 1,
	QUEUE_CALL_COL_STATE
};

/*
 * WF6: a lead who stays unreachable after the last attempt gets the
 * organisation's SMS (when it sends them), from the number that called.
 */
static VpPlan queue_unreachable_sms = {
	.sql = "INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)"
	" SELECT a.org_id, 'vapi.sms',"
	"   pg_catalog.jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id, 'purpose', 'unreachable',"
	"     'customer_number', l.primary_phone_e164, 'customer_name', l.name,"
	"     'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number, 'text', o.unreachable_sms_text),"
	"   'unreachable-sms:' || a.id"
	" FROM vapi_pool.vapi_number_assignments a"
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id"
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	" JOIN vapi_pool.orgs o ON o.org_id = a.org_id"
	" WHERE a.org_id = $1 AND a.id = $2 AND o.sms_when_unreachable AND o.unreachable_sms_text IS NOT NULL"
	"   AND l.primary_phone_e164 IS NOT NULL"
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan set_lead_status = {
	.sql = "UPDATE vapi_pool.leads SET status = $3"
	" WHERE org_id = $1 AND id = $2 AND status = ANY ($4::text[])"
	" RETURNING status",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TEXTOID, TEXTOID}
};

static VpPlan flag_review = {
	.sql = "UPDATE vapi_pool.vapi_call_logs SET review_reason = $3 WHERE org_id = $1 AND id = $2",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

static VpPlan find_org_of_report = {
	.sql = "SELECT DISTINCT p.org_id FROM vapi_pool.vapi_number_pool p,"
	"  (SELECT CASE WHEN $1 ? 'message' THEN $1 -> 'message' ELSE $1 END AS m) r"
	" WHERE p.vapi_phone_number_id IN (r.m #>> '{call,phoneNumberId}', r.m #>> '{phoneNumber,id}')"
	"    OR p.number::text = r.m #>> '{phoneNumber,number}'",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* The column of find_org_of_report, counted from 1. */
enum
{
	FIND_ORG_OF_REPORT_COL_ORG_ID = 1
};

static VpPlan insert_unknown_call = {
	.sql = "INSERT INTO vapi_pool.vapi_call_logs (org_id, vapi_call_id, direction, status, ended_reason,"
	"  started_at, ended_at, duration_seconds, recording_url, transcript, summary, cost, outcome,"
	"  review_reason, ended_report)"
	" SELECT $1, $2,"
	"   CASE WHEN r.m #>> '{call,type}' = 'outboundPhoneCall' THEN 'outbound_to_lead' ELSE 'inbound_unknown' END,"
	"   'ended', $3, $4, $5,"
	"   coalesce($6, pg_catalog.round(pg_catalog.date_part('epoch', $5 - $4)::numeric, 3)),"
	"   $7, $8, $9, $10, $11, 'unknown call id', vapi_pool.strip_call_report($12)"
	" FROM (SELECT CASE WHEN $12 ? 'message' THEN $12 -> 'message' ELSE $12 END AS m) r"
	" ON CONFLICT (org_id, vapi_call_id) DO NOTHING"
	" RETURNING id",
	.nargs = REPORT_NPARAMS, .argtypes = {UUIDOID, TEXTOID, REPORT_ARG_TYPES}
};

/* The column of insert_unknown_call, counted from 1. */
enum
{
	INSERT_UNKNOWN_CALL_COL_ID = 1
};

static VpPlan insert_unmatched = {
	.sql = "INSERT INTO vapi_pool.unmatched_call_reports (vapi_call_id, ended_reason, transcript, summary, report)"
	" VALUES ($1, $2, $3, $4, vapi_pool.strip_call_report($5))"
	" ON CONFLICT (vapi_call_id) DO NOTHING",
	.nargs = 5, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

/* The columns of record_call_ended's result (type call_ended), counted from 0. */
enum
{
	CALL_ENDED_CALL_LOG_ID,
	CALL_ENDED_ORG_ID,
	CALL_ENDED_OUTCOME,
	CALL_ENDED_NEXT_ATTEMPT_AT,
	CALL_ENDED_NEXT_ATTEMPT,
	CALL_ENDED_LEAD_STATUS,
	CALL_ENDED_REVIEW_REASON,
	CALL_ENDED_DUPLICATE,
	CALL_ENDED_FOLLOWUP_ID,
	CALL_ENDED_NCOLUMNS
};

/* The result row of record_call_ended, filled in as the report is handled. */
typedef struct Ended
{
	Datum		call_log_id;
	Datum		org_id;
	const char *outcome;
	TimestampTz next_at;
	int32		next_attempt;
	char	   *lead_status;
	const char *review_reason;
	bool		duplicate;
	bool		logged;
	bool		has_next;
	bool		has_followup;
	Datum		followup_id;	/* a clinic's drop-off follow-up (clinic_dropoff.c) */
} Ended;

/* The logged call a report is for: row 0 of find_call. */
typedef struct LoggedCall
{
	Datum		org_id;
	Datum		log_id;
	Datum		call_id;		/* text: Vapi's id of the call */
	bool		ended;			/* the call was reported before */
	bool		outbound;		/* direction outbound_to_lead */
	Datum		assignment_id;
	bool		has_assignment;
	Datum		lead_id;
	bool		has_lead;
	int32		attempt;
	bool		lead_callable;	/* the lead's status allowed calls before the report */
	bool		is_clinic;
} LoggedCall;

/* A numeric argument must not be negative. */
static void
check_not_negative(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (!PG_ARGISNULL(arg) &&
		DatumGetBool(DirectFunctionCall2(numeric_lt, PG_GETARG_DATUM(arg),
										 DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", name),
				 errdetail("%s was %s.", name,
						   DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(arg))))));
}

/* The argument as a Datum and its SPI null flag. */
static Datum
arg(FunctionCallInfo fcinfo, int n, char *null)
{
	*null = PG_ARGISNULL(n) ? 'n' : ' ';
	return PG_ARGISNULL(n) ? (Datum) 0 : PG_GETARG_DATUM(n);
}

/*
 * Parameters $3 to $12 of end_call and insert_unknown_call: the report's
 * reason, times, duration, recording, transcript, summary, cost, outcome, raw.
 */
static void
report_args(FunctionCallInfo fcinfo, TimestampTz ended_at, const char *outcome, Datum *v, char *n)
{
	v[REPORT_PARAM_REASON] = arg(fcinfo, ENDED_ARG_REASON, &n[REPORT_PARAM_REASON]);
	v[REPORT_PARAM_STARTED] = arg(fcinfo, ENDED_ARG_STARTED, &n[REPORT_PARAM_STARTED]);
	v[REPORT_PARAM_ENDED] = TimestampTzGetDatum(ended_at);
	n[REPORT_PARAM_ENDED] = ' ';
	v[REPORT_PARAM_DURATION] = arg(fcinfo, ENDED_ARG_DURATION, &n[REPORT_PARAM_DURATION]);
	v[REPORT_PARAM_RECORDING] = arg(fcinfo, ENDED_ARG_RECORDING, &n[REPORT_PARAM_RECORDING]);
	v[REPORT_PARAM_TRANSCRIPT] = arg(fcinfo, ENDED_ARG_TRANSCRIPT, &n[REPORT_PARAM_TRANSCRIPT]);
	v[REPORT_PARAM_SUMMARY] = arg(fcinfo, ENDED_ARG_SUMMARY, &n[REPORT_PARAM_SUMMARY]);
	v[REPORT_PARAM_COST] = arg(fcinfo, ENDED_ARG_COST, &n[REPORT_PARAM_COST]);
	v[REPORT_PARAM_OUTCOME] = outcome ? CStringGetTextDatum(outcome) : (Datum) 0;
	n[REPORT_PARAM_OUTCOME] = outcome ? ' ' : 'n';
	v[REPORT_PARAM_RAW] = arg(fcinfo, ENDED_ARG_RAW, &n[REPORT_PARAM_RAW]);
}

/*
 * Phase 1: checks the report's arguments; returns when the call ended (the
 * transaction's start when the report does not say).
 */
static TimestampTz
check_report(FunctionCallInfo fcinfo)
{
	TimestampTz ended_at;

	if (PG_ARGISNULL(ENDED_ARG_CALL_ID) || VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(ENDED_ARG_CALL_ID)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vapi_call_id must not be empty")));
	ended_at = PG_ARGISNULL(ENDED_ARG_ENDED) ? GetCurrentTransactionStartTimestamp() :
		PG_GETARG_TIMESTAMPTZ(ENDED_ARG_ENDED);
	if (!PG_ARGISNULL(ENDED_ARG_STARTED) && PG_GETARG_TIMESTAMPTZ(ENDED_ARG_STARTED) > ended_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("call %s ended before it started", TextDatumGetCString(PG_GETARG_DATUM(ENDED_ARG_CALL_ID))),
				 errdetail("started_at is %s and ended_at is %s.",
						   pstrdup(timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(ENDED_ARG_STARTED))),
						   pstrdup(timestamptz_to_str(ended_at)))));
	check_not_negative(fcinfo, ENDED_ARG_DURATION, "duration_seconds");
	check_not_negative(fcinfo, ENDED_ARG_COST, "cost");
	return ended_at;
}

/*
 * Phase 2: locks the call's log and reads it into *call; false when no
 * organisation logged the call.  A call logged before starts the result:
 * its organisation, log and lead status (and, when it had ended already,
 * the outcome and review reason it ended with).
 */
static bool
find_logged_call(Datum call_id, LoggedCall *call, Ended *e)
{
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;

	vp_execute(&find_call, &call_id, NULL, 0);
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("call id %s is logged by more than one organisation", TextDatumGetCString(call_id))));
	if (SPI_processed == 0)
		return false;

	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	call->org_id = vp_getdatum(0, FIND_CALL_COL_ORG_ID, &isnull);
	call->log_id = vp_getdatum(0, FIND_CALL_COL_LOG_ID, &isnull);
	call->call_id = call_id;
	call->ended = strcmp(SPI_getvalue(row, desc, FIND_CALL_COL_STATUS), "ended") == 0;
	call->outbound = strcmp(SPI_getvalue(row, desc, FIND_CALL_COL_DIRECTION), "outbound_to_lead") == 0;
	call->assignment_id = vp_getdatum(0, FIND_CALL_COL_ASSIGNMENT_ID, &isnull);
	call->has_assignment = !isnull;
	call->lead_id = vp_getdatum(0, FIND_CALL_COL_LEAD_ID, &isnull);
	call->has_lead = !isnull;
	call->attempt = DatumGetInt32(vp_getdatum(0, FIND_CALL_COL_ATTEMPT, &isnull));
	call->is_clinic = DatumGetBool(vp_getdatum(0, FIND_CALL_COL_IS_CLINIC, &isnull));

	e->org_id = call->org_id;
	e->call_log_id = call->log_id;
	e->logged = true;
	e->lead_status = SPI_getvalue(row, desc, FIND_CALL_COL_LEAD_STATUS);
	call->lead_callable = lead_callable(e->lead_status);
	if (call->ended)
	{
		e->outcome = SPI_getvalue(row, desc, FIND_CALL_COL_OUTCOME);
		e->review_reason = SPI_getvalue(row, desc, FIND_CALL_COL_REVIEW_REASON);
		e->duplicate = true;
	}
	return true;
}

/* Phase 2, a call nobody logged: stores the report, and flags it for review. */
static void
record_unknown_call(FunctionCallInfo fcinfo, TimestampTz ended_at, Ended *e)
{
	Datum		raw;
	char		raw_null;
	Datum		v[REPORT_NPARAMS];
	char		n[REPORT_NPARAMS];

	e->review_reason = "unknown call id";
	raw = arg(fcinfo, ENDED_ARG_RAW, &raw_null);
	if (raw_null != 'n')
	{
		/* two rows are enough to tell one organisation from several */
		vp_execute(&find_org_of_report, &raw, NULL, 2);
		if (SPI_processed == 1)
		{
			bool		isnull;

			e->org_id = vp_getdatum(0, FIND_ORG_OF_REPORT_COL_ORG_ID, &isnull);
			v[REPORT_PARAM_ORG_ID] = e->org_id;
			n[REPORT_PARAM_ORG_ID] = ' ';
			v[REPORT_PARAM_CALL] = arg(fcinfo, ENDED_ARG_CALL_ID, &n[REPORT_PARAM_CALL]);
			report_args(fcinfo, ended_at, e->outcome, v, n);
			vp_execute(&insert_unknown_call, v, n, 0);
			if (SPI_processed == 1)
			{
				e->call_log_id = vp_getdatum(0, INSERT_UNKNOWN_CALL_COL_ID, &isnull);
				e->logged = true;
			}
			return;
		}
	}
	/* no organisation to log it under: insert_unmatched's $1 to $5 */
	v[0] = arg(fcinfo, ENDED_ARG_CALL_ID, &n[0]);
	v[1] = arg(fcinfo, ENDED_ARG_REASON, &n[1]);
	v[2] = arg(fcinfo, ENDED_ARG_TRANSCRIPT, &n[2]);
	v[3] = arg(fcinfo, ENDED_ARG_SUMMARY, &n[3]);
	v[4] = raw;
	n[4] = raw_null;
	vp_execute(&insert_unmatched, v, n, 0);
}

/* Phase 3, the same call reported again: fills the log's gaps, decides nothing. */
static void
fill_report_gaps(FunctionCallInfo fcinfo, const LoggedCall *call)
{
	Datum		v[8];
	char		n[8] = {' ', ' '};

	/* fill_gaps' $1 to $8 */
	v[0] = call->org_id;
	v[1] = call->log_id;
	v[2] = arg(fcinfo, ENDED_ARG_STARTED, &n[2]);
	v[3] = arg(fcinfo, ENDED_ARG_RECORDING, &n[3]);
	v[4] = arg(fcinfo, ENDED_ARG_TRANSCRIPT, &n[4]);
	v[5] = arg(fcinfo, ENDED_ARG_SUMMARY, &n[5]);
	v[6] = arg(fcinfo, ENDED_ARG_COST, &n[6]);
	v[7] = arg(fcinfo, ENDED_ARG_DURATION, &n[7]);
	vp_execute(&fill_gaps, v, n, 0);
}

/* Phase 3: the report on the call's log, which becomes ended. */
static void
log_call_end(FunctionCallInfo fcinfo, const LoggedCall *call, TimestampTz ended_at, const Ended *e)
{
	Datum		v[REPORT_NPARAMS];
	char		n[REPORT_NPARAMS];

	v[REPORT_PARAM_ORG_ID] = call->org_id;
	n[REPORT_PARAM_ORG_ID] = ' ';
	v[REPORT_PARAM_CALL] = call->log_id;
	n[REPORT_PARAM_CALL] = ' ';
	report_args(fcinfo, ended_at, e->outcome, v, n);
	vp_execute(&end_call, v, n, 0);
}

/*
 * The message a voicemail left: the one the create-call job that placed
 * this call sent as assistantOverrides.voicemailMessage (the job's result
 * names the call).  Vapi speaks it when its detection finds a machine and
 * then ends the call as "voicemail"; a call sent without one hung up.
 */
static VpPlan voicemail_left = {
	.sql = "UPDATE vapi_pool.vapi_call_logs c SET voicemail_message = j.payload ->> 'voicemail_message'"
	" FROM vapi_pool.outbox j"
	" WHERE c.org_id = $1 AND c.id = $2"
	"   AND j.org_id = $1 AND j.kind = 'vapi.create_call' AND (j.result ->> 'call_id') = $3"
	"   AND j.payload ->> 'voicemail_message' <> ''",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

/*
 * Phase 3, an outbound call that reached voicemail: records on its log the
 * message left, if the call carried one.
 */
static void
note_voicemail(const LoggedCall *call, const Ended *e)
{
	Datum		v[3] = {call->org_id, call->log_id, call->call_id};

	if (!call->outbound || e->outcome == NULL || strcmp(e->outcome, "voicemail") != 0)
		return;
	vp_execute(&voicemail_left, v, NULL, 0);
}

/* Whether the lead's number is on a do-not-call list (compliance.h). */
static VpPlan lead_listed = {
	.sql = "SELECT " VP_DO_NOT_CALL_REASON_SQL("l.org_id", "l.primary_phone_e164") " IS NOT NULL"
	" FROM vapi_pool.leads l WHERE l.org_id = $1 AND l.id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/*
 * A planned next attempt, moved into the lead's calling hours; none when
 * the lead's number is on a do-not-call list (the deployment's list does not
 * change the lead's status) or no time is allowed in all of its zones.
 */
static void
not_before_allowed(const LoggedCall *call, Ended *e)
{
	Datum		v[2] = {call->org_id, call->lead_id};
	bool		isnull;

	vp_execute(&lead_listed, v, NULL, 1);
	if (SPI_processed == 1 && DatumGetBool(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)))
	{
		e->has_next = false;
		e->review_reason = "no next attempt: the lead's number is on a do-not-call list";
		return;
	}
	e->next_at = vp_next_call_time(call->org_id, call->lead_id, (Datum) 0, e->next_at, NULL);
	if (e->next_at == DT_NOEND)
	{
		e->has_next = false;
		e->review_reason = "no next attempt: no time is inside the calling hours in every one of the lead's time zones";
	}
}

/*
 * Phase 4: whether there is a next attempt, when, and which.  Only an
 * outbound call to a lead who may still be called has one: after the backoff
 * when the lead did not answer (or a machine did) and attempts are left,
 * after the provider retry delay (the same attempt again) when the provider
 * failed and retries are left; always inside the calling hours in the
 * lead's local time (compliance/calling_hours.c).
 */
static void
plan_next_attempt(const LoggedCall *call, TimestampTz ended_at, Ended *e)
{
	if (!call->outbound || !call->has_assignment || !call->has_lead || !call->lead_callable ||
		e->outcome == NULL)
		return;
	if (lead_missed(e->outcome) && call->attempt < vp_max_call_attempts)
	{
		e->has_next = true;
		e->next_attempt = call->attempt + 1;
		e->next_at = ended_at + (TimestampTz) vp_backoff_seconds(call->attempt + 1) * USECS_PER_SEC;
	}
	else if (strcmp(e->outcome, "provider_error") == 0)
	{
		Datum		v[4] = {call->org_id, call->lead_id, call->assignment_id, Int32GetDatum(call->attempt)};
		bool		isnull;

		vp_execute(&provider_failures, v, NULL, 0);
		if (DatumGetInt64(vp_getdatum(0, PROVIDER_FAILURES_COL_COUNT, &isnull)) <= vp_provider_retry_limit)
		{
			e->has_next = true;
			e->next_attempt = call->attempt;
			e->next_at = ended_at + (TimestampTz) vp_provider_retry_delay_s * USECS_PER_SEC;
		}
		else
			e->review_reason = "provider failures exhausted the retries";
	}
	if (e->has_next)
		not_before_allowed(call, e);
}

/*
 * Phase 5: holds the number for hold_after_call after this call, or after
 * the next attempt starts.  An assignment released already has no number to
 * call from: then there is no next attempt.
 */
static void
hold_number(const LoggedCall *call, TimestampTz ended_at, Ended *e)
{
	TimestampTz hold_from;

	if (!call->has_assignment)
		return;
	hold_from = e->has_next && e->next_at > ended_at ? e->next_at : ended_at;
	{
		Datum		v[4] = {call->org_id, call->assignment_id, TimestampTzGetDatum(ended_at),
		TimestampTzGetDatum(hold_from + (TimestampTz) vp_hold_after_call_s * USECS_PER_SEC)};

		vp_execute(&hold_assignment, v, NULL, 0);
	}
	if (SPI_processed == 0)
		e->has_next = false;
}

/* Sets the lead's status to status if it is one of from (a text[] literal). */
static void
move_lead(const LoggedCall *call, const char *status, const char *from, Ended *e)
{
	Datum		v[4] = {call->org_id, call->lead_id, CStringGetTextDatum(status), CStringGetTextDatum(from)};

	vp_execute(&set_lead_status, v, NULL, 0);
	if (SPI_processed == 1)
		e->lead_status = pstrdup(status);
}

/* Phase 6: queues the next attempt's call in the outbox; the lead is being called. */
static void
queue_next_attempt(const LoggedCall *call, Ended *e)
{
	Datum		v[6];

	if (!e->has_next)
		return;
	/* queue_call's $1 to $6 */
	v[0] = call->org_id;
	v[1] = call->assignment_id;
	v[2] = Int32GetDatum(e->next_attempt);
	v[3] = call->call_id;
	v[4] = TimestampTzGetDatum(e->next_at);
	v[5] = Int32GetDatum(vp_max_call_attempts);
	vp_execute(&queue_call, v, NULL, 0);
	e->has_next = SPI_processed == 1;
	/* the outbox's check stored it suppressed (compliance/outbound_checks.c): no next attempt */
	if (e->has_next && strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, QUEUE_CALL_COL_STATE),
							  "suppressed") == 0)
	{
		e->has_next = false;
		e->review_reason = "the next attempt may not be placed: see its outbox job's last_error";
	}
	if (e->has_next)
		move_lead(call, "calling", LEAD_NOT_YET_CALLING, e);
}

/*
 * Phase 7, when no attempt follows: a lead who answered is connected; a
 * callable lead who did not answer an outbound call (or whose voicemail
 * did) is unreachable, and gets the organisation's SMS.
 */
static void
settle_lead(const LoggedCall *call, Ended *e)
{
	if (!call->has_lead || e->outcome == NULL || e->has_next)
		return;
	if (strcmp(e->outcome, "answered") == 0)
		move_lead(call, "connected", LEAD_NOT_YET_CONNECTED, e);
	else if (lead_missed(e->outcome) && call->outbound && call->lead_callable)
	{
		move_lead(call, "unreachable", LEAD_CALLABLE, e);
		if (call->has_assignment && e->lead_status != NULL && strcmp(e->lead_status, "unreachable") == 0)
		{
			Datum		v[2] = {call->org_id, call->assignment_id};

			vp_execute(&queue_unreachable_sms, v, NULL, 0);
		}
	}
}

/* Phase 8: says on the call's log why a person should look at it, if anything. */
static void
flag_for_review(const LoggedCall *call, const Ended *e)
{
	Datum		v[3];

	if (e->review_reason == NULL)
		return;
	v[0] = call->org_id;
	v[1] = call->log_id;
	v[2] = CStringGetTextDatum(e->review_reason);
	vp_execute(&flag_review, v, NULL, 0);
}

/* A clinic's call as clinic_dropoff.c reads it: the logged call and the report. */
static void
clinic_call(FunctionCallInfo fcinfo, const LoggedCall *call, TimestampTz ended_at, ClinicCall *c)
{
	memset(c, 0, sizeof(*c));
	c->org_id = call->org_id;
	c->lead_id = call->lead_id;
	c->call_log_id = call->log_id;
	c->vapi_call_id = call->call_id;
	c->ended_reason = PG_ARGISNULL(ENDED_ARG_REASON) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(ENDED_ARG_REASON));
	c->started_at = PG_ARGISNULL(ENDED_ARG_STARTED) ? ended_at - CALL_LENGTH_IF_UNKNOWN_USECS :
		PG_GETARG_TIMESTAMPTZ(ENDED_ARG_STARTED);
	c->ended_at = ended_at;
	if (!PG_ARGISNULL(ENDED_ARG_TRANSCRIPT))
	{
		text	   *t = PG_GETARG_TEXT_PP(ENDED_ARG_TRANSCRIPT);

		c->transcript = VARDATA_ANY(t);
		c->transcript_len = VARSIZE_ANY_EXHDR(t);
	}
}

/*
 * Phase 3a, a clinic's inbound call without a contact, before the report is
 * logged: the caller on file, or (a drop-off) a new contact, linked to the
 * call, so that the transcript's medical history and the follow-up are
 * theirs (clinic_dropoff.c).
 */
static void
clinic_caller(FunctionCallInfo fcinfo, LoggedCall *call, TimestampTz ended_at)
{
	ClinicCall	c;

	if (!call->is_clinic || call->has_lead || call->outbound)
		return;
	clinic_call(fcinfo, call, ended_at, &c);
	if (vp_clinic_caller(&c))
	{
		call->lead_id = c.lead_id;
		call->has_lead = true;
	}
}

/*
 * Phase 9, for a clinic's call with a lead: a caller who asked about a
 * procedure and was lost gets a follow-up (clinic_dropoff.c).
 */
static void
clinic_followup(FunctionCallInfo fcinfo, const LoggedCall *call, TimestampTz ended_at, Ended *e)
{
	ClinicCall	c;

	clinic_call(fcinfo, call, ended_at, &c);
	e->has_followup = vp_clinic_after_call(&c, &e->followup_id);
}

/* The result row (type call_ended), built in cxt. */
static Datum
call_ended_result(FunctionCallInfo fcinfo, MemoryContext cxt, const Ended *e)
{
	Datum		values[CALL_ENDED_NCOLUMNS];
	bool		nulls[CALL_ENDED_NCOLUMNS];

	values[CALL_ENDED_CALL_LOG_ID] = e->call_log_id;
	nulls[CALL_ENDED_CALL_LOG_ID] = !e->logged;
	values[CALL_ENDED_ORG_ID] = e->org_id;
	nulls[CALL_ENDED_ORG_ID] = !e->logged && e->org_id == (Datum) 0;
	nulls[CALL_ENDED_OUTCOME] = e->outcome == NULL;
	values[CALL_ENDED_OUTCOME] = e->outcome == NULL ? (Datum) 0 : CStringGetTextDatum(e->outcome);
	values[CALL_ENDED_NEXT_ATTEMPT_AT] = TimestampTzGetDatum(e->next_at);
	nulls[CALL_ENDED_NEXT_ATTEMPT_AT] = !e->has_next;
	values[CALL_ENDED_NEXT_ATTEMPT] = Int32GetDatum(e->next_attempt);
	nulls[CALL_ENDED_NEXT_ATTEMPT] = !e->has_next;
	nulls[CALL_ENDED_LEAD_STATUS] = e->lead_status == NULL;
	values[CALL_ENDED_LEAD_STATUS] = e->lead_status == NULL ? (Datum) 0 : CStringGetTextDatum(e->lead_status);
	nulls[CALL_ENDED_REVIEW_REASON] = e->review_reason == NULL;
	values[CALL_ENDED_REVIEW_REASON] = e->review_reason == NULL ? (Datum) 0 : CStringGetTextDatum(e->review_reason);
	values[CALL_ENDED_DUPLICATE] = BoolGetDatum(e->duplicate);
	nulls[CALL_ENDED_DUPLICATE] = false;
	values[CALL_ENDED_FOLLOWUP_ID] = e->followup_id;
	nulls[CALL_ENDED_FOLLOWUP_ID] = !e->has_followup;
	return vp_result_values(fcinfo, cxt, values, nulls);
}

/*
 * SQL: record_call_ended(vapi_call_id, ended_reason, started_at, ended_at,
 * duration_seconds, recording_url, transcript, summary, cost, raw) ->
 * call_ended.  The phases above, in order: a report for a call nobody logged
 * or for one that ended already stops after phase 3.
 */
Datum
vapi_pool_record_call_ended(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Ended		e = {0};
	LoggedCall	call;
	TimestampTz ended_at = check_report(fcinfo);
	Datum		result;

	if (!PG_ARGISNULL(ENDED_ARG_REASON))
		e.outcome = vp_classify_ended_reason(TextDatumGetCString(PG_GETARG_DATUM(ENDED_ARG_REASON)));

	vp_spi_connect();
	if (!find_logged_call(PG_GETARG_DATUM(ENDED_ARG_CALL_ID), &call, &e))
		record_unknown_call(fcinfo, ended_at, &e);
	else if (call.ended)
		fill_report_gaps(fcinfo, &call);
	else
	{
		clinic_caller(fcinfo, &call, ended_at);
		log_call_end(fcinfo, &call, ended_at, &e);
		note_voicemail(&call, &e);
		plan_next_attempt(&call, ended_at, &e);
		hold_number(&call, ended_at, &e);
		queue_next_attempt(&call, &e);
		settle_lead(&call, &e);
		flag_for_review(&call, &e);
		if (call.is_clinic && call.has_lead)
			clinic_followup(fcinfo, &call, ended_at, &e);
	}
	result = call_ended_result(fcinfo, cxt, &e);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
