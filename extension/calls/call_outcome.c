/*
 * call_outcome.c
 *	  What happens when a call is placed and when it ends (seed WF4, WF6).
 *
 * record_call_placed logs an outbound call Vapi accepted, against its
 * assignment and attempt number.  record_call_ended logs the end-of-call
 * report, holds the number for vapi_pool.hold_after_call after the call, and
 * for an outbound call the lead did not answer queues the next attempt in the
 * outbox (after the backoff, inside the calling window of the broker's time
 * zone), or marks the lead unreachable after the last one.  A failure that is
 * not the lead's (provider, quota) is retried without counting as an attempt,
 * up to vapi_pool.provider_retry_limit times.  A report arriving twice changes
 * nothing the second time; a report for a call nobody logged is kept and
 * flagged for review.
 */
#include "clinic_dropoff.h"
#include "pool_engine.h"

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

	if (n == 0)
		return;
	args[0] = PointerGetDatum(construct_array(assignment_ids, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
	args[1] = PointerGetDatum(construct_array(call_ids, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(attempts, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	vp_execute(&place_calls, args, NULL, 0);
	if (DatumGetInt64(vp_getdatum(0, 1, &isnull)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%lld of %d placed calls could not be logged", (long long) DatumGetInt64(vp_getdatum(0, 1, &isnull)), n),
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

/* Whether status is one of LEAD_CALLABLE. */
static bool
lead_callable(const char *status)
{
	return status != NULL &&
		(strcmp(status, "new") == 0 || strcmp(status, "call_requested") == 0 ||
		 strcmp(status, "calling") == 0);
}

enum
{
	A_CALL_ID, A_REASON, A_STARTED, A_ENDED, A_DURATION, A_RECORDING, A_TRANSCRIPT,
	A_SUMMARY, A_COST, A_RAW
};

/* The types of report_args()' parameters, $3 to $12. */
#define REPORT_ARG_TYPES \
	TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID, \
	TEXTOID, JSONBOID

static VpPlan find_call = {
	.sql = "SELECT c.org_id, c.id, c.status, c.direction, c.assignment_id, c.lead_id, c.attempt,"
	"       l.status, b.timezone, c.outcome, c.review_reason, o.is_clinic, o.timezone"
	" FROM vapi_pool.vapi_call_logs c"
	" JOIN vapi_pool.orgs o ON o.org_id = c.org_id"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = c.org_id AND l.id = c.lead_id"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = c.org_id AND b.id = c.broker_id"
	" WHERE c.vapi_call_id = $1"
	" FOR NO KEY UPDATE OF c",
	.nargs = 1, .argtypes = {TEXTOID}
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
	.nargs = 12, .argtypes = {UUIDOID, UUIDOID, REPORT_ARG_TYPES}
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

static VpPlan queue_call = {
	.sql = VP_CREATE_CALL_INSERT("$3", "$6")
	"     'retry_of', $4),"
	"   'retry-of:' || $4, $5"
	VP_CREATE_CALL_FROM
	" RETURNING run_at",
	.nargs = 6, .argtypes = {UUIDOID, UUIDOID, INT4OID, TEXTOID, TIMESTAMPTZOID, INT4OID}
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
	.nargs = 12, .argtypes = {UUIDOID, TEXTOID, REPORT_ARG_TYPES}
};

static VpPlan insert_unmatched = {
	.sql = "INSERT INTO vapi_pool.unmatched_call_reports (vapi_call_id, ended_reason, transcript, summary, report)"
	" VALUES ($1, $2, $3, $4, vapi_pool.strip_call_report($5))"
	" ON CONFLICT (vapi_call_id) DO NOTHING",
	.nargs = 5, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}
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
	v[2] = arg(fcinfo, A_REASON, &n[2]);
	v[3] = arg(fcinfo, A_STARTED, &n[3]);
	v[4] = TimestampTzGetDatum(ended_at);
	n[4] = ' ';
	v[5] = arg(fcinfo, A_DURATION, &n[5]);
	v[6] = arg(fcinfo, A_RECORDING, &n[6]);
	v[7] = arg(fcinfo, A_TRANSCRIPT, &n[7]);
	v[8] = arg(fcinfo, A_SUMMARY, &n[8]);
	v[9] = arg(fcinfo, A_COST, &n[9]);
	v[10] = outcome ? CStringGetTextDatum(outcome) : (Datum) 0;
	n[10] = outcome ? ' ' : 'n';
	v[11] = arg(fcinfo, A_RAW, &n[11]);
}

/* Stores a report whose call id no organisation logged. */
static void
record_unknown_call(FunctionCallInfo fcinfo, TimestampTz ended_at, const char *outcome, Ended *e)
{
	Datum		raw;
	char		raw_null;
	Datum		v[12];
	char		n[12];

	e->review_reason = "unknown call id";
	raw = arg(fcinfo, A_RAW, &raw_null);
	if (raw_null != 'n')
	{
		vp_execute(&find_org_of_report, &raw, NULL, 2);
		if (SPI_processed == 1)
		{
			bool		isnull;

			e->org_id = vp_getdatum(0, 1, &isnull);
			v[0] = e->org_id;
			n[0] = ' ';
			v[1] = arg(fcinfo, A_CALL_ID, &n[1]);
			report_args(fcinfo, ended_at, outcome, v, n);
			vp_execute(&insert_unknown_call, v, n, 0);
			if (SPI_processed == 1)
			{
				e->call_log_id = vp_getdatum(0, 1, &isnull);
				e->logged = true;
			}
			return;
		}
	}
	v[0] = arg(fcinfo, A_CALL_ID, &n[0]);
	v[1] = arg(fcinfo, A_REASON, &n[1]);
	v[2] = arg(fcinfo, A_TRANSCRIPT, &n[2]);
	v[3] = arg(fcinfo, A_SUMMARY, &n[3]);
	v[4] = raw;
	n[4] = raw_null;
	vp_execute(&insert_unmatched, v, n, 0);
}

/* Sets the lead's status to status if it is one of from (a text[] literal). */
static void
move_lead(Datum org_id, Datum lead_id, const char *status, const char *from, Ended *e)
{
	Datum		v[4] = {org_id, lead_id, CStringGetTextDatum(status), CStringGetTextDatum(from)};

	vp_execute(&set_lead_status, v, NULL, 0);
	if (SPI_processed == 1)
		e->lead_status = pstrdup(status);
}

/*
 * SQL: record_call_ended(vapi_call_id, ended_reason, started_at, ended_at,
 * duration_seconds, recording_url, transcript, summary, cost, raw) ->
 * call_ended.
 */
Datum
vapi_pool_record_call_ended(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Ended		e = {0};
	TimestampTz ended_at;
	Datum		call_id;
	Datum		org_id,
				log_id,
				assignment_id,
				lead_id;
	bool		assignment_null,
				lead_null,
				isnull;
	char	   *status,
			   *direction,
			   *timezone;
	int32		attempt;
	bool		lead_may_be_called;
	bool		is_clinic;
	char	   *org_timezone;
	Datum		values[9];
	bool		nulls[9];
	Datum		result;

	if (PG_ARGISNULL(A_CALL_ID) || VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(A_CALL_ID)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vapi_call_id must not be empty")));
	call_id = PG_GETARG_DATUM(A_CALL_ID);
	ended_at = PG_ARGISNULL(A_ENDED) ? GetCurrentTransactionStartTimestamp() : PG_GETARG_TIMESTAMPTZ(A_ENDED);
	if (!PG_ARGISNULL(A_STARTED) && PG_GETARG_TIMESTAMPTZ(A_STARTED) > ended_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("call %s ended before it started", TextDatumGetCString(call_id)),
				 errdetail("started_at is %s and ended_at is %s.",
						   pstrdup(timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(A_STARTED))),
						   pstrdup(timestamptz_to_str(ended_at)))));
	check_not_negative(fcinfo, A_DURATION, "duration_seconds");
	check_not_negative(fcinfo, A_COST, "cost");
	if (!PG_ARGISNULL(A_REASON))
		e.outcome = vp_classify_ended_reason(TextDatumGetCString(PG_GETARG_DATUM(A_REASON)));

	vp_spi_connect();
	vp_execute(&find_call, &call_id, NULL, 0);
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("call id %s is logged by more than one organisation", TextDatumGetCString(call_id))));
	if (SPI_processed == 0)
	{
		record_unknown_call(fcinfo, ended_at, e.outcome, &e);
		goto done;
	}

	org_id = vp_getdatum(0, 1, &isnull);
	log_id = vp_getdatum(0, 2, &isnull);
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	direction = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	assignment_id = vp_getdatum(0, 5, &assignment_null);
	lead_id = vp_getdatum(0, 6, &lead_null);
	attempt = DatumGetInt32(vp_getdatum(0, 7, &isnull));
	e.lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8);
	timezone = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 9);
	is_clinic = DatumGetBool(vp_getdatum(0, 12, &isnull));
	org_timezone = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 13);
	e.org_id = org_id;
	e.call_log_id = log_id;
	e.logged = true;

	if (strcmp(status, "ended") == 0)
	{
		/* the same call reported again: fill gaps, decide nothing */
		char	   *outcome = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 10);
		Datum		v[8];
		char		n[8] = {' ', ' '};

		e.outcome = outcome;
		e.review_reason = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 11);
		e.duplicate = true;
		v[0] = org_id;
		v[1] = log_id;
		v[2] = arg(fcinfo, A_STARTED, &n[2]);
		v[3] = arg(fcinfo, A_RECORDING, &n[3]);
		v[4] = arg(fcinfo, A_TRANSCRIPT, &n[4]);
		v[5] = arg(fcinfo, A_SUMMARY, &n[5]);
		v[6] = arg(fcinfo, A_COST, &n[6]);
		v[7] = arg(fcinfo, A_DURATION, &n[7]);
		vp_execute(&fill_gaps, v, n, 0);
		goto done;
	}

	/* the log */
	{
		Datum		v[12];
		char		n[12] = {' ', ' '};

		v[0] = org_id;
		v[1] = log_id;
		report_args(fcinfo, ended_at, e.outcome, v, n);
		vp_execute(&end_call, v, n, 0);
	}

	/* the next attempt, for an outbound call to a lead who may still be called */
	lead_may_be_called = lead_callable(e.lead_status);
	if (strcmp(direction, "outbound_to_lead") == 0 && !assignment_null && !lead_null &&
		lead_may_be_called && e.outcome != NULL)
	{
		if (strcmp(e.outcome, "no_answer") == 0 && attempt < vp_max_call_attempts)
		{
			e.has_next = true;
			e.next_attempt = attempt + 1;
			e.next_at = ended_at + (TimestampTz) vp_backoff_seconds(attempt + 1) * USECS_PER_SEC;
		}
		else if (strcmp(e.outcome, "provider_error") == 0)
		{
			Datum		v[4] = {org_id, lead_id, assignment_id, Int32GetDatum(attempt)};

			vp_execute(&provider_failures, v, NULL, 0);
			if (DatumGetInt64(vp_getdatum(0, 1, &isnull)) <= vp_provider_retry_limit)
			{
				e.has_next = true;
				e.next_attempt = attempt;
				e.next_at = ended_at + (TimestampTz) vp_provider_retry_delay_s * USECS_PER_SEC;
			}
			else
				e.review_reason = "provider failures exhausted the retries";
		}
		if (e.has_next)
			e.next_at = vp_next_attempt_time(e.next_at, timezone ? timezone : "UTC");
	}

	/* hold the number for hold_after_call after this call, or after the next one starts */
	if (!assignment_null)
	{
		TimestampTz hold_from = e.has_next && e.next_at > ended_at ? e.next_at : ended_at;
		Datum		v[4] = {org_id, assignment_id, TimestampTzGetDatum(ended_at),
		TimestampTzGetDatum(hold_from + (TimestampTz) vp_hold_after_call_s * USECS_PER_SEC)};

		vp_execute(&hold_assignment, v, NULL, 0);
		if (SPI_processed == 0)
			e.has_next = false; /* released already: no number to call from */
	}

	if (e.has_next)
	{
		Datum		v[6] = {org_id, assignment_id, Int32GetDatum(e.next_attempt), call_id,
		TimestampTzGetDatum(e.next_at), Int32GetDatum(vp_max_call_attempts)};

		vp_execute(&queue_call, v, NULL, 0);
		e.has_next = SPI_processed == 1;
		if (e.has_next)
			move_lead(org_id, lead_id, "calling", "{new,call_requested}", &e);
	}
	if (!lead_null && e.outcome != NULL && !e.has_next)
	{
		if (strcmp(e.outcome, "answered") == 0)
			move_lead(org_id, lead_id, "connected", "{new,call_requested,calling,unreachable}", &e);
		else if (strcmp(e.outcome, "no_answer") == 0 && strcmp(direction, "outbound_to_lead") == 0 &&
				 lead_may_be_called)
		{
			move_lead(org_id, lead_id, "unreachable", LEAD_CALLABLE, &e);
			if (!assignment_null && e.lead_status != NULL && strcmp(e.lead_status, "unreachable") == 0)
			{
				Datum		v[2] = {org_id, assignment_id};

				vp_execute(&queue_unreachable_sms, v, NULL, 0);
			}
		}
	}
	if (e.review_reason != NULL)
	{
		Datum		v[3] = {org_id, log_id, CStringGetTextDatum(e.review_reason)};

		vp_execute(&flag_review, v, NULL, 0);
	}

	/* a clinic's caller who asked about a procedure and was lost: a follow-up */
	if (is_clinic && !lead_null)
	{
		ClinicCall	c = {
			.org_id = org_id,
			.lead_id = lead_id,
			.call_log_id = log_id,
			.vapi_call_id = call_id,
			.ended_reason = PG_ARGISNULL(A_REASON) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(A_REASON)),
			.started_at = PG_ARGISNULL(A_STARTED) ? ended_at - USECS_PER_HOUR : PG_GETARG_TIMESTAMPTZ(A_STARTED),
			.ended_at = ended_at,
			.timezone = org_timezone,
		};

		if (!PG_ARGISNULL(A_TRANSCRIPT))
		{
			text	   *t = PG_GETARG_TEXT_PP(A_TRANSCRIPT);

			c.transcript = VARDATA_ANY(t);
			c.transcript_len = VARSIZE_ANY_EXHDR(t);
		}
		e.has_followup = vp_clinic_after_call(&c, &e.followup_id);
	}

done:
	values[0] = e.call_log_id;
	nulls[0] = !e.logged;
	values[1] = e.org_id;
	nulls[1] = !e.logged && e.org_id == (Datum) 0;
	nulls[2] = e.outcome == NULL;
	values[2] = nulls[2] ? (Datum) 0 : CStringGetTextDatum(e.outcome);
	values[3] = TimestampTzGetDatum(e.next_at);
	nulls[3] = !e.has_next;
	values[4] = Int32GetDatum(e.next_attempt);
	nulls[4] = !e.has_next;
	nulls[5] = e.lead_status == NULL;
	values[5] = nulls[5] ? (Datum) 0 : CStringGetTextDatum(e.lead_status);
	nulls[6] = e.review_reason == NULL;
	values[6] = nulls[6] ? (Datum) 0 : CStringGetTextDatum(e.review_reason);
	values[7] = BoolGetDatum(e.duplicate);
	nulls[7] = false;
	values[8] = e.followup_id;
	nulls[8] = !e.has_followup;
	result = vp_result_values(fcinfo, cxt, values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
