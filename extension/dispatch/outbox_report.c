/*
 * outbox_report.c
 *	  outbox_report(results): what a vendor's answer means for each job.
 *
 * Every answer is applied in its own subtransaction, so one job's trouble
 * never loses another's answer.  An answer for an attempt that is no longer
 * the job's (its lease ran out and another dispatcher took it) is stale and
 * changes nothing.  Otherwise the job becomes:
 *
 *	 done	 2xx: its effect is recorded in the same transaction (the call id
 *			 on the call log, the booking confirmed, the number in the pool);
 *			 a reconcile GET that finds the earlier attempt's call or number
 *			 adopts it the same way
 *	 pending no answer, 5xx, 429 (Retry-After honoured), 408, 425, 401/403 (a
 *			 key being fixed), Vapi's concurrency limit: retried after
 *			 exponential backoff with jitter; a call or purchase that may
 *			 have reached Vapi is reconciled before it is sent again
 *	 dead	 any other 4xx (a bad number, ...), with the vendor's reason; a
 *			 job out of attempts; Cal.com's "not available" (the hold is
 *			 released)
 *
 * A create-call job that ends dead gives back the number lent for its call
 * unless something live needs it (dispatch/dead_calls.c).  A vapi.get_call
 * job is the lookup of a call whose report never came: its 2xx answer is
 * judged by dispatch/call_lookup.c (an ended call recorded as its report
 * would be), its 404 means Vapi has no answer either.
 */
#include "calls/call_outcome.h"
#include "core/compat.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/secret_scrub.h"
#include "core/settings.h"
#include "core/subtransaction.h"
#include "dispatch/call_lookup.h"
#include "dispatch/dead_calls.h"
#include "outbox/outbox.h"

#include <stdlib.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/datum.h"
#include "utils/uuid.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(vapi_pool_outbox_report);

/*
 * How long before a job's first attempt a reconcile looks for the call or
 * number that attempt may have made (the vendor's clock and ours differ).
 * outbox_request in 140_dispatcher.sql asks the vendor for what was created
 * since first_sent_at - interval '2 minutes': the two must agree.
 */
#define RECONCILE_WINDOW "2 minutes"

/* The longest Retry-After honoured. */
#define RETRY_AFTER_MAX_SECONDS VP_SECONDS_PER_DAY

/* How much of an answer's body a failure quotes. */
#define FAILURE_BODY_QUOTE_CHARS 200

/* The retry delay's jitter: up to this fraction shorter or longer. */
#define BACKOFF_JITTER 0.25

/* The first room made for a report's placed calls. */
#define PLACED_CALLS_FIRST_CAP 32

/* The HTTP statuses the verdict tells apart. */
#define HTTP_BAD_REQUEST 400
#define HTTP_UNAUTHORIZED 401
#define HTTP_FORBIDDEN 403
#define HTTP_NOT_FOUND 404
#define HTTP_REQUEST_TIMEOUT 408
#define HTTP_TOO_EARLY 425
#define HTTP_TOO_MANY_REQUESTS 429
#define HTTP_SERVER_ERROR 500

/* Units PostgreSQL's headers do not name. */
#define MS_PER_SEC 1000
#define USECS_PER_MS 1000

/* one reported answer */
typedef struct OutboxAnswer
{
	Datum		org_id;
	int64		job_id;
	int32		attempt;
	int			status;			/* 0: no HTTP answer */
	char	   *body;
	char	   *retry_after;
	char	   *error;
	Datum		json;			/* the answer body as the sender parsed it, or (Datum) 0 */
	bool		unsent;
	bool		sent;			/* false: answered without HTTP, cannot have reached the vendor */
	bool		valid;
} OutboxAnswer;

/* calls Vapi placed, logged together at the end of a report's strict pass */
typedef struct PlacedCalls
{
	int			n;
	int			cap;
	Datum	   *assignment_ids;
	Datum	   *call_ids;
	Datum	   *attempts;
} PlacedCalls;

/* the job as it stands */
typedef struct OutboxJob
{
	char	   *kind;
	Datum		payload;		/* jsonb */
	int32		attempts;
	int32		max_attempts;
	bool		reconcile;
	Datum		first_sent_at;
	char	   *key;
	bool		strict;			/* an effect that fails throws (the batch is then redone job by job) */
	PlacedCalls *placed;		/* strict: placed calls are logged in one go at the end */
} OutboxJob;

/* what becomes of the job */
typedef struct Verdict
{
	const char *state;			/* done, pending, dead */
	char	   *error;			/* last_error, NULL when none */
	char	   *note;
	Datum		result;			/* jsonb, valid when has_result */
	bool		has_result;
	bool		reconcile;
	int64		delay_ms;		/* pending: how long from now */
	bool		uncount;		/* unsent: the claim's attempt did not happen */
} Verdict;

static VpPlan read_answers = {
	.sql = "SELECT r.org_id, r.job_id, r.attempt, coalesce(r.status, 0), r.body, r.retry_after, r.error,"
	"   coalesce(r.unsent, false), coalesce(r.sent, true), r.json"
	" FROM pg_catalog.jsonb_to_recordset(CASE WHEN pg_catalog.jsonb_typeof($1) = 'array' THEN $1 END)"
	"   AS r(org_id uuid, job_id bigint, attempt integer, status integer, body text, retry_after text,"
	"        error text, unsent boolean, sent boolean, json jsonb)",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* The columns of read_answers, counted from 1. */
enum
{
	ANSWER_COL_ORG_ID = 1,
	ANSWER_COL_JOB_ID,
	ANSWER_COL_ATTEMPT,
	ANSWER_COL_STATUS,
	ANSWER_COL_BODY,
	ANSWER_COL_RETRY_AFTER,
	ANSWER_COL_ERROR,
	ANSWER_COL_UNSENT,
	ANSWER_COL_SENT,
	ANSWER_COL_JSON
};

static VpPlan lock_job = {
	.sql = "SELECT kind, payload, attempts, max_attempts, reconcile, first_sent_at, idempotency_key,"
	"   state = 'in_flight' AND attempts = $3"
	" FROM vapi_pool.outbox WHERE org_id = $1 AND id = $2 FOR UPDATE",
	.nargs = 3, .argtypes = {UUIDOID, INT8OID, INT4OID}
};

/* The columns of lock_job, counted from 1. */
enum
{
	LOCK_JOB_COL_KIND = 1,
	LOCK_JOB_COL_PAYLOAD,
	LOCK_JOB_COL_ATTEMPTS,
	LOCK_JOB_COL_MAX_ATTEMPTS,
	LOCK_JOB_COL_RECONCILE,
	LOCK_JOB_COL_FIRST_SENT_AT,
	LOCK_JOB_COL_IDEMPOTENCY_KEY,
	LOCK_JOB_COL_IN_FLIGHT_WITH_ATTEMPT	/* the answer is for the job's attempt in flight */
};

static VpPlan settle_job = {
	.sql = "UPDATE vapi_pool.outbox SET state = $3,"
	"   run_at = CASE WHEN $3 = 'pending' THEN pg_catalog.now() + $4 * interval '1 millisecond' ELSE run_at END,"
	"   lease_expires_at = NULL, attempts = attempts - $5, last_http_status = $6, last_error = $7,"
	"   reconcile = $8, result = coalesce($9, result),"
	"   finished_at = CASE WHEN $3 IN ('done', 'dead') THEN pg_catalog.now() END"
	" WHERE org_id = $1 AND id = $2 RETURNING run_at",
	.nargs = 9, .argtypes = {UUIDOID, INT8OID, TEXTOID, INT8OID, INT4OID, INT4OID, TEXTOID, BOOLOID, JSONBOID}
};

/* The parameters of settle_job, as indexes of its argument array. */
enum
{
	SETTLE_ARG_ORG_ID,
	SETTLE_ARG_JOB_ID,
	SETTLE_ARG_STATE,
	SETTLE_ARG_DELAY_MS,
	SETTLE_ARG_UNCOUNT,
	SETTLE_ARG_HTTP_STATUS,
	SETTLE_ARG_ERROR,
	SETTLE_ARG_RECONCILE,
	SETTLE_ARG_RESULT,
	SETTLE_NARGS
};

/* The column of settle_job, counted from 1. */
enum
{
	SETTLE_JOB_COL_RUN_AT = 1
};

/* The vendor's reason (Vapi: message or messages; Cal.com: error.message) and Vapi's concurrency flag. */
static VpPlan vendor_reason = {
	.sql = "SELECT coalesce(CASE pg_catalog.jsonb_typeof($1 -> 'message')"
	"     WHEN 'array' THEN (SELECT pg_catalog.string_agg(m, '; ') FROM pg_catalog.jsonb_array_elements_text($1 -> 'message') m)"
	"     WHEN 'string' THEN $1 ->> 'message' END,"
	"   $1 -> 'error' ->> 'message', CASE pg_catalog.jsonb_typeof($1 -> 'error') WHEN 'string' THEN $1 ->> 'error' END),"
	"   coalesce($1 -> 'subscriptionLimits' ->> 'concurrencyBlocked', '') = 'true'",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* The columns of vendor_reason, counted from 1. */
enum
{
	VENDOR_REASON_COL_REASON = 1,
	VENDOR_REASON_COL_CONCURRENCY_BLOCKED
};

/* A reconcile: the call an earlier attempt placed, if Vapi lists it. */
static VpPlan find_call = {
	.sql = "SELECT c FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof($1) = 'array' THEN $1 ELSE '[]' END) c"
	" WHERE c ->> 'phoneNumberId' = $2 ->> 'phone_number_id'"
	"   AND c -> 'customer' ->> 'number' = $2 ->> 'customer_number'"
	"   AND (c ->> 'createdAt')::timestamptz >= $3 - interval '" RECONCILE_WINDOW "'"
	" ORDER BY c ->> 'createdAt' LIMIT 1",
	.nargs = 3, .argtypes = {JSONBOID, JSONBOID, TIMESTAMPTZOID}
};

/* The column of find_call, counted from 1. */
enum
{
	FIND_CALL_COL_CALL = 1
};

/* A reconcile: the number an earlier attempt bought (named after the job). */
static VpPlan find_number = {
	.sql = "SELECT c FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof($1) = 'array' THEN $1 ELSE '[]' END) c"
	" WHERE c ->> 'name' = 'vapi_pool job ' || $2 LIMIT 1",
	.nargs = 2, .argtypes = {JSONBOID, TEXTOID}
};

/* The column of find_number, counted from 1. */
enum
{
	FIND_NUMBER_COL_NUMBER = 1
};

static VpPlan log_call = {
	.sql = "SELECT id FROM vapi_pool.record_call_placed(($1 ->> 'assignment_id')::uuid, $2,"
	"   coalesce(($1 ->> 'attempt')::integer, 1))",
	.nargs = 2, .argtypes = {JSONBOID, TEXTOID}
};

static VpPlan add_number = {
	.sql = "SELECT id FROM vapi_pool.add_pool_number(($1 ->> 'broker_id')::uuid,"
	"   vapi_pool.e164_parse($2 ->> 'number'), $2 ->> 'id')",
	.nargs = 2, .argtypes = {JSONBOID, JSONBOID}
};

static VpPlan confirm_booking = {
	.sql = "SELECT id FROM vapi_pool.confirm_slot(($1 ->> 'hold_id')::uuid, $2)",
	.nargs = 2, .argtypes = {JSONBOID, TEXTOID}
};

static VpPlan release_hold = {
	.sql = "SELECT id FROM vapi_pool.release_slot(($1 ->> 'hold_id')::uuid, 'taken in Cal.com')",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* Runs plan; an error is thrown (the strict pass of a report). */
static char *
execute_or_throw(VpPlan *plan, Datum *values, const char *nulls)
{
	vp_execute(plan, values, nulls, 0);
	return NULL;
}

/* A Retry-After value (delta-seconds, or an HTTP date) in milliseconds from now; -1 if unusable. */
static int64
retry_after_ms(const char *value)
{
	Datum		date;
	char	   *end;
	long		seconds;

	if (value == NULL || value[0] == '\0')
		return -1;
	seconds = strtol(value, &end, 10);
	if (end != value && *end == '\0')
		return seconds < 0 ? -1 : (int64) Min(seconds, RETRY_AFTER_MAX_SECONDS) * MS_PER_SEC;
	if (!vp_try_input(timestamptz_in, value, &date))
		return -1;
	return Max(0, (DatumGetTimestampTz(date) - GetCurrentTransactionStartTimestamp()) / USECS_PER_MS);
}

/* The retry delay after attempt n: base * 2^(n-1), capped, with BACKOFF_JITTER either way. */
static int64
backoff_ms(int attempts)
{
	double		delay = vp_outbox_backoff_base_ms;

	for (int i = 1; i < attempts && delay < vp_outbox_backoff_max_ms; i++)
		delay *= 2;
	delay = Min(delay, (double) vp_outbox_backoff_max_ms);
	return (int64) (delay * ((1 - BACKOFF_JITTER) + 2 * BACKOFF_JITTER * ((double) random() / (double) RAND_MAX)));
}

/* A string member of a jsonb object, or NULL. */
static char *
member_text(Datum obj, const char *key1, const char *key2)
{
	const char *path[3] = {key1, key2, NULL};

	if (obj == (Datum) 0)
		return NULL;
	return vp_json_text(DatumGetJsonbP(obj), path);
}

/* Appends one line of "why": the vendor's reason, else the start of the body, else the transport error. */
static char *
failure_text(const OutboxAnswer *a, Datum body, bool *concurrency_blocked)
{
	StringInfoData s;
	char	   *reason = NULL;

	*concurrency_blocked = false;
	if (body != (Datum) 0)
	{
		bool		isnull;

		vp_execute(&vendor_reason, &body, NULL, 0);
		if (SPI_processed == 1)
		{
			Datum		r = vp_getdatum(0, VENDOR_REASON_COL_REASON, &isnull);

			if (!isnull)
				reason = TextDatumGetCString(r);
			*concurrency_blocked = DatumGetBool(vp_getdatum(0, VENDOR_REASON_COL_CONCURRENCY_BLOCKED, &isnull));
		}
	}
	initStringInfo(&s);
	if (a->status == 0)
		appendStringInfo(&s, "no answer: %s", a->error && a->error[0] ? a->error : "connection failed");
	else if (reason != NULL)
		appendStringInfo(&s, "HTTP %d: %s", a->status, reason);
	else if (a->body != NULL && a->body[0] != '\0')
		appendStringInfo(&s, "HTTP %d: %.*s", a->status, FAILURE_BODY_QUOTE_CHARS, a->body);
	else if (body != (Datum) 0)
		appendStringInfo(&s, "HTTP %d: %.*s", a->status, FAILURE_BODY_QUOTE_CHARS,
						 JsonbToCString(NULL, &DatumGetJsonbP(body)->root, VARSIZE(DatumGetJsonbP(body))));
	else
		appendStringInfo(&s, "HTTP %d", a->status);
	/* members read last_error: the vendor's text may echo a credential */
	return vp_scrub_secret(s.data);
}

/* Sets the verdict to a retry after the backoff (or Retry-After), or dead when out of attempts. */
static void
retry_or_bury(Verdict *v, const OutboxJob *job, const OutboxAnswer *a, char *why)
{
	int64		floor_ms = a->status == HTTP_TOO_MANY_REQUESTS ? retry_after_ms(a->retry_after) : -1;

	v->error = why;
	if (job->attempts >= job->max_attempts)
	{
		v->state = "dead";
		v->note = psprintf("gave up after %d attempts", job->attempts);
		return;
	}
	v->state = "pending";
	v->delay_ms = Max(backoff_ms(job->attempts), floor_ms);
	v->note = psprintf("retry in %lld ms", (long long) v->delay_ms);
}

/* Sets the result to a one-key JSON object {key: value}. */
static void
set_result(Verdict *v, const char *key, const char *value)
{
	StringInfoData s;

	if (value == NULL)
		return;
	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	vp_json_string(&s, key);
	appendStringInfoString(&s, ": ");
	vp_json_string(&s, value);
	appendStringInfoChar(&s, '}');
	v->result = vp_jsonb_from_text(s.data);
	v->has_result = true;
}

/*
 * Keeps a placed call for the report's one call-log statement; a payload
 * without an assignment throws (the report then goes job by job).
 */
static void
queue_placed_call(PlacedCalls *placed, Datum payload, const char *call_id)
{
	char	   *assignment = vp_json_text(DatumGetJsonbP(payload), (const char *[]) {"assignment_id", NULL});
	char	   *attempt = vp_json_text(DatumGetJsonbP(payload), (const char *[]) {"attempt", NULL});

	if (assignment == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the create-call job has no assignment_id")));
	if (placed->n == placed->cap)
	{
		placed->cap = placed->cap ? placed->cap * 2 : PLACED_CALLS_FIRST_CAP;
		placed->assignment_ids = repalloc_array_compat(placed->assignment_ids, placed->cap);
		placed->call_ids = repalloc_array_compat(placed->call_ids, placed->cap);
		placed->attempts = repalloc_array_compat(placed->attempts, placed->cap);
	}
	placed->assignment_ids[placed->n] = DirectFunctionCall1(uuid_in, CStringGetDatum(assignment));
	placed->call_ids[placed->n] = CStringGetTextDatum(call_id);
	placed->attempts[placed->n] = Int32GetDatum(attempt ? pg_strtoint32(attempt) : 1);
	placed->n++;
}

/*
 * The vendor did it (or a reconcile found that it had): records the effect.
 * obj is the call, chat, booking answer or number object.
 */
static void
record_success(Verdict *v, Datum org_id, const OutboxJob *job, Datum obj)
{
	char	   *(*run) (VpPlan *plan, Datum *values, const char *nulls) =
		job->strict ? execute_or_throw : vp_try_execute;

	v->state = "done";
	if (strcmp(job->kind, "vapi.create_call") == 0)
	{
		char	   *call_id = member_text(obj, "id", NULL);
		char	   *failed;
		Datum		args[2];

		if (call_id == NULL)
		{
			v->error = pstrdup("Vapi's answer has no call id: the call may exist but is not logged");
			return;
		}
		set_result(v, "call_id", call_id);
		if (job->placed != NULL)
		{
			queue_placed_call(job->placed, job->payload, call_id);
			return;
		}
		args[0] = job->payload;
		args[1] = CStringGetTextDatum(call_id);
		failed = run(&log_call, args, NULL);
		if (failed != NULL)
			v->error = psprintf("call %s placed but not logged: %s", call_id, failed);
	}
	else if (strcmp(job->kind, "vapi.get_call") == 0)
	{
		CallLookup	lookup;

		vp_judge_call_lookup(job->payload, obj, job->strict, &lookup);
		v->state = lookup.state;
		v->note = lookup.note;
		v->error = lookup.error;
		v->result = lookup.result;
		v->has_result = lookup.result != (Datum) 0;
	}
	else if (strcmp(job->kind, "vapi.sms") == 0)
		set_result(v, "chat_id", member_text(obj, "id", NULL));
	else if (strcmp(job->kind, "vapi.buy_number") == 0)
	{
		Datum		args[2] = {job->payload, obj};
		char	   *failed;

		set_result(v, "phone_number_id", member_text(obj, "id", NULL));
		failed = run(&add_number, args, NULL);
		if (failed != NULL)
			v->error = psprintf("number bought but not added to the pool: %s", failed);
	}
	else if (strcmp(job->kind, "cal.create_booking") == 0)
	{
		char	   *uid = member_text(obj, "data", "uid");
		char	   *failed;
		Datum		args[3];

		if (uid == NULL)
		{
			v->error = pstrdup("Cal.com's answer has no booking uid");
			return;
		}
		set_result(v, "booking_uid", uid);
		args[0] = job->payload;
		args[1] = CStringGetTextDatum(uid);
		failed = run(&confirm_booking, args, NULL);
		if (failed != NULL)
		{
			vp_outbox_queue_cancel(org_id, uid, job->payload);
			v->error = psprintf("booked in Cal.com but the hold is gone (%s): the booking is being cancelled", failed);
		}
	}
}

/* A reconcile's answer: adopt what the earlier attempt did, or send again. */
static void
judge_reconcile(Verdict *v, Datum org_id, const OutboxJob *job, Datum body)
{
	Datum		found = (Datum) 0;
	bool		isnull;

	if (strcmp(job->kind, "vapi.create_call") == 0)
	{
		Datum		args[3] = {body, job->payload, job->first_sent_at};

		vp_execute(&find_call, args, NULL, 0);
		if (SPI_processed == 1)
			found = vp_getdatum(0, FIND_CALL_COL_CALL, &isnull);
	}
	else
	{
		Datum		args[2] = {body, CStringGetTextDatum(job->key)};

		vp_execute(&find_number, args, NULL, 0);
		if (SPI_processed == 1)
			found = vp_getdatum(0, FIND_NUMBER_COL_NUMBER, &isnull);
	}

	if (found != (Datum) 0)
	{
		record_success(v, org_id, job, found);
		v->note = pstrdup("adopted what an earlier attempt did");
		return;
	}
	v->state = "pending";
	v->reconcile = false;
	v->delay_ms = 0;
	v->note = pstrdup("an earlier attempt did not reach the vendor: sending again");
}

/* Whether a transport error says the request never left (no connection was made). */
static bool
never_sent(const char *error)
{
	return error != NULL &&
		(strstr(error, "Could not resolve") != NULL || strstr(error, "Couldn't connect") != NULL ||
		 strstr(error, "Failed to connect") != NULL || strstr(error, "Connection refused") != NULL ||
		 strstr(error, "not sent") != NULL);
}

/* What the answer means for the job (it is locked, in flight, and this is its attempt). */
static void
judge(Verdict *v, Datum org_id, const OutboxJob *job, const OutboxAnswer *a)
{
	Datum		body = a->json ? a->json : vp_json_parse_or_null(a->body);
	bool		reconcilable = strcmp(job->kind, "vapi.create_call") == 0 ||
		strcmp(job->kind, "vapi.buy_number") == 0;
	bool		blocked;
	char	   *why;

	v->reconcile = job->reconcile;
	if (a->status >= 200 && a->status < 300)
	{
		if (job->reconcile && reconcilable)
			judge_reconcile(v, org_id, job, body);
		else
			record_success(v, org_id, job, body);
		return;
	}

	why = failure_text(a, body, &blocked);
	if (a->status == 0 && strcmp(job->kind, "vapi.sms") == 0 && a->sent && !never_sent(a->error))
	{
		/* a text cannot be looked up: at most once */
		v->state = "dead";
		v->error = why;
		v->note = pstrdup("the text may have been sent and Vapi cannot be asked: not sent again (outbox_replay sends it)");
	}
	else if (a->status == 0 || a->status >= HTTP_SERVER_ERROR)
	{
		/* it may have been done before the answer was lost */
		v->reconcile = job->reconcile || (reconcilable && (a->status != 0 || (a->sent && !never_sent(a->error))));
		retry_or_bury(v, job, a, why);
	}
	else if (a->status == HTTP_TOO_MANY_REQUESTS || a->status == HTTP_REQUEST_TIMEOUT ||
			 a->status == HTTP_TOO_EARLY || a->status == HTTP_UNAUTHORIZED || a->status == HTTP_FORBIDDEN)
		retry_or_bury(v, job, a, why);
	else if (a->status == HTTP_BAD_REQUEST && strcmp(job->kind, "vapi.create_call") == 0 && blocked)
		retry_or_bury(v, job, a, why);
	else if (a->status == HTTP_BAD_REQUEST && strcmp(job->kind, "cal.create_booking") == 0 &&
			 (strstr(why, "not available") != NULL || strstr(why, "already has booking") != NULL))
	{
		v->state = "dead";
		v->error = why;
		if (job->reconcile)
			v->note = pstrdup("Cal.com says the time is taken and an earlier attempt may have booked it: "
							  "check Cal.com, then confirm_slot or release_slot the hold");
		else
		{
			Datum		payload = job->payload;

			vp_execute(&release_hold, &payload, NULL, 0);
			v->note = pstrdup("the time is taken in Cal.com: the hold was released");
		}
	}
	else if (a->status == HTTP_NOT_FOUND && strcmp(job->kind, "vapi.get_call") == 0)
	{
		v->state = "dead";
		v->error = why;
		v->note = pstrdup("Vapi does not know the call: its number is released vapi_pool.call_report_give_up "
						  "after it should have ended");
	}
	else
	{
		v->state = "dead";
		v->error = why;
		v->note = pstrdup("refused by the vendor");
	}
}

/*
 * Locks the answer's job and reads it into *job (strict with placed, the
 * strict pass's placed calls); returns NULL, or when the answer is stale the
 * note that says why.
 */
static char *
lock_answered_job(const OutboxAnswer *a, PlacedCalls *placed, OutboxJob *job)
{
	Datum		args[3] = {a->org_id, Int64GetDatum(a->job_id), Int32GetDatum(a->attempt)};
	bool		isnull;

	vp_execute(&lock_job, args, NULL, 0);
	if (SPI_processed == 0)
		return pstrdup("no such job");
	if (!DatumGetBool(vp_getdatum(0, LOCK_JOB_COL_IN_FLIGHT_WITH_ATTEMPT, &isnull)))
		return pstrdup("the job is no longer in flight with this attempt: its lease was taken over");
	job->kind = TextDatumGetCString(vp_getdatum(0, LOCK_JOB_COL_KIND, &isnull));
	job->payload = vp_getdatum(0, LOCK_JOB_COL_PAYLOAD, &isnull);
	job->attempts = DatumGetInt32(vp_getdatum(0, LOCK_JOB_COL_ATTEMPTS, &isnull));
	job->max_attempts = DatumGetInt32(vp_getdatum(0, LOCK_JOB_COL_MAX_ATTEMPTS, &isnull));
	job->reconcile = DatumGetBool(vp_getdatum(0, LOCK_JOB_COL_RECONCILE, &isnull));
	job->first_sent_at = vp_getdatum(0, LOCK_JOB_COL_FIRST_SENT_AT, &isnull);
	if (isnull)
		job->first_sent_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	job->key = TextDatumGetCString(vp_getdatum(0, LOCK_JOB_COL_IDEMPOTENCY_KEY, &isnull));
	job->strict = placed != NULL;
	job->placed = placed;
	/* the job's row must outlive the statements judge runs */
	job->payload = PointerGetDatum(DatumGetJsonbPCopy(job->payload));
	return NULL;
}

/* Writes the verdict on the answer's job; returns the job's run_at. */
static TimestampTz
settle(const OutboxAnswer *a, const Verdict *v)
{
	Datum		args[SETTLE_NARGS];
	char		nulls[SETTLE_NARGS];
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	args[SETTLE_ARG_ORG_ID] = a->org_id;
	args[SETTLE_ARG_JOB_ID] = Int64GetDatum(a->job_id);
	args[SETTLE_ARG_STATE] = CStringGetTextDatum(v->state);
	args[SETTLE_ARG_DELAY_MS] = Int64GetDatum(v->delay_ms);
	args[SETTLE_ARG_UNCOUNT] = Int32GetDatum(v->uncount ? 1 : 0);
	args[SETTLE_ARG_HTTP_STATUS] = Int32GetDatum(a->status);
	nulls[SETTLE_ARG_HTTP_STATUS] = a->unsent || a->status == 0 ? 'n' : ' ';
	args[SETTLE_ARG_ERROR] = vp_text_arg(v->error, &nulls[SETTLE_ARG_ERROR]);
	if (a->unsent)
		nulls[SETTLE_ARG_ERROR] = 'n';
	args[SETTLE_ARG_RECONCILE] = BoolGetDatum(v->reconcile);
	args[SETTLE_ARG_RESULT] = v->result;
	nulls[SETTLE_ARG_RESULT] = v->has_result ? ' ' : 'n';
	vp_execute(&settle_job, args, nulls, 0);
	return DatumGetTimestampTz(vp_getdatum(0, SETTLE_JOB_COL_RUN_AT, &isnull));
}

/* Applies one answer; returns the job's new state ("stale" when the answer is not the job's). */
static const char *
apply_answer(const OutboxAnswer *a, PlacedCalls *placed, TimestampTz *run_at, bool *has_run_at, char **note)
{
	OutboxJob	job;
	Verdict		v = {0};
	char	   *stale = lock_answered_job(a, placed, &job);

	if (stale != NULL)
	{
		*note = stale;
		return "stale";
	}
	if (a->unsent)
	{
		v.state = "pending";
		v.reconcile = job.reconcile;
		v.uncount = true;
		v.note = pstrdup("not sent: back in the queue");
	}
	else
		judge(&v, a->org_id, &job, a);

	*run_at = settle(a, &v);
	if (strcmp(v.state, "dead") == 0 && strcmp(job.kind, "vapi.create_call") == 0)
	{
		char	   *number = vp_settle_dead_call(a->org_id, a->job_id);

		if (number != NULL)
			v.note = v.note ? psprintf("%s; %s", v.note, number) : number;
	}
	*has_run_at = strcmp(v.state, "pending") == 0;
	if (*has_run_at && v.delay_ms == 0)
		vp_outbox_notify();
	*note = v.note;
	return v.state;
}

/* One answer to apply, and what became of its job. */
typedef struct AnswerStep
{
	const OutboxAnswer *answer;
	PlacedCalls *placed;		/* the strict pass's, NULL one job at a time */
	const char *state;
	char	   *note;
	TimestampTz run_at;
	bool		has_run_at;
} AnswerStep;

static void
apply_answer_step(void *arg)
{
	AnswerStep *step = arg;

	step->state = apply_answer(step->answer, step->placed, &step->run_at, &step->has_run_at, &step->note);
}

/* All the answers of a report, applied strictly in one go. */
typedef struct BatchStep
{
	AnswerStep *steps;
	int			count;
	PlacedCalls placed;
} BatchStep;

static void
apply_batch_step(void *arg)
{
	BatchStep  *batch = arg;

	for (int i = 0; i < batch->count; i++)
		apply_answer_step(&batch->steps[i]);
	/* the calls' logs in one statement: a fourth of the time of one each */
	vp_record_calls_placed(batch->placed.assignment_ids, batch->placed.call_ids, batch->placed.attempts,
						   batch->placed.n);
}

/*
 * A job whose answer could not be applied is dead: sending it again could act
 * twice.  A create-call job gives back its number, unless Vapi answered 2xx.
 */
static void
bury_unapplied(const OutboxAnswer *a, const char *message)
{
	static VpPlan bury = {
		.sql = "UPDATE vapi_pool.outbox SET state = 'dead', lease_expires_at = NULL, last_http_status = $3,"
		"   last_error = 'the answer could not be applied: ' || $4, finished_at = pg_catalog.now()"
		" WHERE org_id = $1 AND id = $2 AND state = 'in_flight' AND attempts = $5",
		.nargs = 5, .argtypes = {UUIDOID, INT8OID, INT4OID, TEXTOID, INT4OID}
	};
	Datum		args[5] = {a->org_id, Int64GetDatum(a->job_id), Int32GetDatum(a->status),
	CStringGetTextDatum(message), Int32GetDatum(a->attempt)};
	char		nulls[5] = {' ', ' ', a->status == 0 ? 'n' : ' ', ' ', ' '};

	vp_execute(&bury, args, nulls, 0);
	/* a 2xx may have placed the call: its number stays for it */
	if (SPI_processed == 1 && (a->status < 200 || a->status >= 300))
		(void) vp_settle_dead_call(a->org_id, a->job_id);
}

/* Reads the results array into answers (in the caller's memory). */
static OutboxAnswer *
read_results(Datum results, int *count)
{
	MemoryContext cxt = CurrentMemoryContext;
	OutboxAnswer *answers;

	vp_execute(&read_answers, &results, NULL, 0);
	if (SPI_processed == 0)
	{
		*count = 0;
		return NULL;
	}
	*count = (int) SPI_processed;
	answers = MemoryContextAllocZero(cxt, sizeof(OutboxAnswer) * SPI_processed);
	for (int i = 0; i < *count; i++)
	{
		OutboxAnswer *a = &answers[i];
		bool		n_org,
					n_job,
					n_attempt,
					isnull;
		Datum		d;

		a->org_id = vp_getdatum(i, ANSWER_COL_ORG_ID, &n_org);
		d = vp_getdatum(i, ANSWER_COL_JOB_ID, &n_job);
		a->job_id = n_job ? 0 : DatumGetInt64(d);
		d = vp_getdatum(i, ANSWER_COL_ATTEMPT, &n_attempt);
		a->attempt = n_attempt ? 0 : DatumGetInt32(d);
		a->valid = !n_org && !n_job && !n_attempt;
		a->status = DatumGetInt32(vp_getdatum(i, ANSWER_COL_STATUS, &isnull));
		d = vp_getdatum(i, ANSWER_COL_BODY, &isnull);
		a->body = isnull ? NULL : TextDatumGetCString(d);
		d = vp_getdatum(i, ANSWER_COL_RETRY_AFTER, &isnull);
		a->retry_after = isnull ? NULL : TextDatumGetCString(d);
		d = vp_getdatum(i, ANSWER_COL_ERROR, &isnull);
		a->error = isnull ? NULL : TextDatumGetCString(d);
		a->unsent = DatumGetBool(vp_getdatum(i, ANSWER_COL_UNSENT, &isnull));
		a->sent = DatumGetBool(vp_getdatum(i, ANSWER_COL_SENT, &isnull));
		d = vp_getdatum(i, ANSWER_COL_JSON, &isnull);
		a->json = isnull ? (Datum) 0 : PointerGetDatum(DatumGetJsonbPCopy(d));
		if (a->valid)
			a->org_id = datumCopy(a->org_id, false, UUID_LEN);
	}
	return answers;
}

/*
 * Applies the answers: the common case in one subtransaction (one
 * subtransaction id per report, not two or three per answer); if anything in
 * it fails, it is rolled back and the answers are applied one by one, each
 * alone.  Returns what became of each answer's job.
 */
static AnswerStep *
apply_answers(const OutboxAnswer *answers, int count)
{
	BatchStep	batch;

	batch.steps = palloc0(sizeof(AnswerStep) * Max(count, 1));
	batch.count = count;
	memset(&batch.placed, 0, sizeof(batch.placed));
	for (int i = 0; i < count; i++)
	{
		batch.steps[i].answer = &answers[i];
		batch.steps[i].placed = &batch.placed;
	}
	if (count > 0 && vp_in_subtransaction(apply_batch_step, &batch) != NULL)
	{
		for (int i = 0; i < count; i++)
		{
			AnswerStep *step = &batch.steps[i];
			ErrorData  *failure;

			memset(step, 0, sizeof(*step));
			step->answer = &answers[i];
			failure = vp_in_subtransaction(apply_answer_step, step);
			if (failure != NULL)
			{
				bury_unapplied(&answers[i], failure->message);
				step->state = "dead";
				step->note = psprintf("the answer could not be applied: %s", failure->message);
				step->has_run_at = false;
			}
		}
	}
	return batch.steps;
}

/* The columns of outbox_report's result rows, counted from 0. */
enum
{
	REPORT_ORG_ID,
	REPORT_JOB_ID,
	REPORT_STATE,
	REPORT_RUN_AT,
	REPORT_NOTE,
	REPORT_NCOLUMNS
};

/*
 * outbox_report(results jsonb): applies each answer in a subtransaction and
 * returns (org_id, job_id, state, run_at, note) for each.
 */
Datum
vapi_pool_outbox_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		results = PG_GETARG_DATUM(0);
	OutboxAnswer *answers;
	AnswerStep *steps;
	int			count;
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("results must be a JSON array"),
				 errdetail("outbox_report takes an array of answers, one object per claimed job.")));
	vp_init_materialized_srf(fcinfo);
	vp_spi_connect();
	answers = read_results(results, &count);
	for (int i = 0; i < count; i++)
		if (!answers[i].valid)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("result %d has no org_id, job_id or attempt", i + 1),
					 errdetail("Each result must carry the org_id, job_id and attempt outbox_claim returned."),
					 errhint("No answer of this call was applied.")));

	steps = apply_answers(answers, count);
	for (int i = 0; i < count; i++)
	{
		AnswerStep *step = &steps[i];
		Datum		values[REPORT_NCOLUMNS];
		bool		nulls[REPORT_NCOLUMNS] = {0};

		values[REPORT_ORG_ID] = answers[i].org_id;
		values[REPORT_JOB_ID] = Int64GetDatum(answers[i].job_id);
		values[REPORT_STATE] = CStringGetTextDatum(step->state);
		values[REPORT_RUN_AT] = TimestampTzGetDatum(step->run_at);
		nulls[REPORT_RUN_AT] = !step->has_run_at;
		values[REPORT_NOTE] = step->note ? CStringGetTextDatum(step->note) : (Datum) 0;
		nulls[REPORT_NOTE] = step->note == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
