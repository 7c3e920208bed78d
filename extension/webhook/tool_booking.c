/*
 * tool_booking.c
 *	  check_availability_and_book, live inside a Vapi tool call (seed WF3):
 *	  the steps around the Cal.com requests the shim makes while Vapi waits.
 *
 *	 check	GET /slots for the broker's event type in the broker's zone ->
 *			the free ones (free_slots: no booking or live hold blocks them),
 *			read out as local times with the zone's name
 *	 book	claim_slot_atomic (a hold) -> POST /bookings -> confirm_slot with
 *			the booking uid.  Cal.com's "not available" releases the hold
 *			and offers other times (a GET /slots); a timeout or 5xx keeps
 *			the hold, queues a cal.create_booking job in the outbox and says
 *			the booking is being confirmed; any other refusal releases the
 *			hold and says why.
 *
 * A step never sends anything: it returns a pending item naming the request
 * (tool_pending), receive_webhook stores the event as waiting and hands the
 * shim the requests, and continue_webhook gives each pending item its answer
 * (vp_booking_continue).  The shim answers a request it had no time for with
 * status 0, which a step treats like a timeout, so every event ends.
 */
#include "core/auth.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/subtransaction.h"
#include "outbox/outbox.h"
#include "webhook/webhook.h"
#include "slots/slot_claim.h"
#include "core/chars.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_continue_webhook);

#define HOLD_WHILE_BOOKING "15 minutes"

/* the broker whose calendar the tool books: the argument's, else the call's */
static VpPlan booking_broker = {
	.sql = "SELECT pg_catalog.jsonb_build_object('org_id', b.org_id, 'broker_id', b.id, 'timezone', b.timezone,"
	"   'event_type_id', b.cal_event_type_id, 'date', (nullif($2 ->> 'date', ''))::date), b.cal_event_type_id IS NOT NULL"
	" FROM vapi_pool.brokers b"
	" WHERE b.org_id = $1 AND b.id = coalesce(nullif($2 ->> 'broker_id', '')::uuid, $3)",
	.nargs = 3, .argtypes = {UUIDOID, JSONBOID, UUIDOID}
};

/* the columns of booking_broker */
enum
{
	BROKER_COL_CONTEXT = 1,
	BROKER_COL_HAS_EVENT_TYPE
};

static VpPlan pending_check = {
	.sql = "SELECT vapi_pool.tool_pending($1, $2, $3, $4,"
	"   vapi_pool.cal_slots_request(($4 ->> 'event_type_id')::bigint, $4 ->> 'timezone', ($4 ->> 'date')::date))::text",
	.nargs = 4, .argtypes = {TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

static VpPlan hold_slot = {
	.sql = "SELECT vapi_pool.claim_slot_atomic(($1 ->> 'start')::timestamptz, $2, ($3 ->> 'org_id')::uuid,"
	"   ($3 ->> 'broker_id')::uuid, interval '" VP_DEFAULT_APPOINTMENT_LENGTH "', interval '" HOLD_WHILE_BOOKING "')",
	.nargs = 3, .argtypes = {JSONBOID, UUIDOID, JSONBOID}
};

/* the booking request for a hold, with what the later steps need in the context */
static VpPlan pending_book = {
	.sql = "WITH c AS (SELECT $4 || pg_catalog.jsonb_build_object('hold_id', $5::uuid, 'lead_id', $6::uuid,"
	"   'start', ($7 ->> 'start')::timestamptz,"
	"   'body', vapi_pool.cal_booking_body(($4 ->> 'event_type_id')::bigint, ($7 ->> 'start')::timestamptz,"
	"     coalesce(nullif($7 ->> 'name', ''), l.name), coalesce(nullif($7 ->> 'timezone', ''), $4 ->> 'timezone'),"
	"     coalesce(nullif($7 ->> 'email', ''), l.email),"
	"     coalesce(vapi_pool.e164_try_parse(nullif($7 ->> 'phone', ''))::text, l.primary_phone_e164::text),"
	"     $6, $5)) AS ctx"
	"   FROM vapi_pool.leads l WHERE l.id = $6)"
	" SELECT vapi_pool.tool_pending($1, $2, $3, c.ctx, vapi_pool.cal_bookings_request('/bookings',"
	"   (c.ctx -> 'body')::text, vapi_pool.tool_request_timeout_ms()))::text"
	" FROM c",
	.nargs = 7, .argtypes = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, UUIDOID, UUIDOID, JSONBOID}
};

static VpPlan slots_line = {
	.sql = "SELECT vapi_pool.readable_slots(($1 ->> 'broker_id')::uuid, ($1 ->> 'org_id')::uuid, $1 ->> 'timezone', $2,"
	"   6, ($1 ->> 'start')::timestamptz)",
	.nargs = 2, .argtypes = {JSONBOID, JSONBOID}
};

static VpPlan confirm_hold = {
	.sql = "SELECT vapi_pool.spoken_time(a.scheduled_at, $3 ->> 'timezone') || ' (' || ($3 ->> 'timezone') || ')'"
	" FROM vapi_pool.confirm_slot($1, $2) a",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, JSONBOID}
};

static VpPlan release_hold = {
	.sql = "SELECT vapi_pool.release_slot($1, $2)",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

/* the booking goes on in the outbox; the hold stays */
static VpPlan queue_booking = {
	.sql = "INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)"
	" VALUES (($1 ->> 'org_id')::uuid, 'cal.create_booking',"
	"   pg_catalog.jsonb_build_object('request', $1 -> 'body', 'hold_id', $1 -> 'hold_id', 'lead_id', $1 -> 'lead_id'),"
	"   'booking:' || ($1 ->> 'hold_id'))"
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING",
	.nargs = 1, .argtypes = {JSONBOID}
};

static VpPlan spoken_start = {
	.sql = "SELECT vapi_pool.spoken_time(($1 ->> 'start')::timestamptz, $1 ->> 'timezone') || ' (' || ($1 ->> 'timezone') || ')'",
	.nargs = 1, .argtypes = {JSONBOID}
};

static VpPlan lock_waiting = {
	.sql = "SELECT org_id, answer FROM vapi_pool.webhook_inbox WHERE id = $1 AND state = 'waiting' FOR UPDATE",
	.nargs = 1, .argtypes = {INT8OID}
};

static VpPlan inbox_state = {
	.sql = "SELECT state FROM vapi_pool.webhook_inbox WHERE id = $1",
	.nargs = 1, .argtypes = {INT8OID}
};

/* each answer item with the response to its pending request, if any */
static VpPlan pending_items = {
	.sql = "SELECT e.item::text, e.item ? 'pending', e.item ->> 'name', e.item ->> 'toolCallId',"
	"   e.item -> 'pending' ->> 'step', e.item -> 'pending' -> 'context',"
	"   coalesce((r.x ->> 'status')::integer, 0), r.x ->> 'body', coalesce(r.x ->> 'error', 'no answer was reported')"
	" FROM pg_catalog.jsonb_array_elements($1 -> 'results') WITH ORDINALITY AS e(item, i)"
	" LEFT JOIN LATERAL (SELECT x FROM pg_catalog.jsonb_array_elements($2) x"
	"   WHERE x ->> 'id' = e.item -> 'pending' -> 'request' ->> 'id' LIMIT 1) r ON true"
	" ORDER BY e.i",
	.nargs = 2, .argtypes = {JSONBOID, JSONBOID}
};

/* the columns of pending_items */
enum
{
	ITEM_COL_JSON = 1,
	ITEM_COL_PENDING,
	ITEM_COL_NAME,
	ITEM_COL_TOOL_CALL_ID,
	ITEM_COL_STEP,
	ITEM_COL_CONTEXT,
	ITEM_COL_STATUS,
	ITEM_COL_BODY,
	ITEM_COL_ERROR
};

static VpPlan store_waiting = {
	.sql = "UPDATE vapi_pool.webhook_inbox SET answer = $2, processed_at = pg_catalog.now() WHERE id = $1"
	" RETURNING vapi_pool.waiting_requests(answer)",
	.nargs = 2, .argtypes = {INT8OID, JSONBOID}
};

static VpPlan store_final = {
	.sql = "UPDATE vapi_pool.webhook_inbox SET answer = $2, state = 'processed', http_status = 200,"
	"   processed_at = pg_catalog.now() WHERE id = $1 RETURNING answer",
	.nargs = 2, .argtypes = {INT8OID, JSONBOID}
};

/* The text of the sole column of the last result's first row. */
static char *
first_text(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return NULL;
	d = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

/* A final answer item {"name", "toolCallId", key: text} as JSON text. */
static char *
final_item(const char *name, const char *tool_call_id, const char *key, const char *text)
{
	StringInfoData s;

	initStringInfo(&s);
	vp_tool_result(&s, name, tool_call_id, key, text);
	return s.data;
}

/* Whether s is written YYYY-MM-DD. */
static bool
looks_like_date(const char *s)
{
	for (int i = 0; i < 10; i++)
		if (s[i] == '\0' || ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char) s[i])))
			return false;
	return s[10] == '\0';
}

/* The pending item that asks Cal.com for free slots (step check or alternatives). */
static char *
ask_for_slots(const char *name, const char *tool_call_id, const char *step, Datum context)
{
	Datum		v[4] = {CStringGetTextDatum(name), CStringGetTextDatum(tool_call_id),
	CStringGetTextDatum(step), context};

	vp_execute(&pending_check, v, NULL, 1);
	return first_text();
}

/* The hold's arguments (the call's arguments, the contact, the calendar) and the hold id. */
typedef struct HoldStep
{
	Datum		values[3];
	Datum		hold;
} HoldStep;

static void
hold_slot_step(void *arg)
{
	HoldStep   *h = arg;
	bool		isnull;

	vp_execute(&hold_slot, h->values, NULL, 1);
	h->hold = datumCopy(vp_getdatum(0, VP_SOLE_COLUMN, &isnull), false, UUID_LEN);
}

/*
 * Starts check_availability_and_book: returns the answer item as JSON text,
 * pending (*waiting set) or final.  args is the call's jsonb arguments; the
 * contact is the caller's (found or created by the caller of this).
 */
char *
vp_booking_begin(const char *name, const char *tool_call_id, Datum args, Datum org,
				 Datum broker, bool has_broker, Datum contact, bool has_contact, bool *waiting)
{
	Jsonb	   *a = DatumGetJsonbP(args);
	char	   *action = vp_json_text(a, (const char *[]) {"action", NULL});
	char	   *start = vp_json_text(a, (const char *[]) {"start", NULL});
	char	   *broker_text = vp_json_text(a, (const char *[]) {"broker_id", NULL});
	char	   *day = vp_json_text(a, (const char *[]) {"date", NULL});
	Datum		v[7];
	char		n[7] = "       ";
	Datum		context;
	bool		isnull;
	HoldStep	hold_step;
	ErrorData  *failure;
	bool		taken;

	*waiting = false;
	if (broker_text != NULL && broker_text[0] != '\0' && !vp_is_uuid_text(broker_text, strlen(broker_text)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("broker_id must be a broker's id (a UUID), not \"%s\"", broker_text),
				 errhint("Leave it out to use the broker of the call.")));
	if (day != NULL && day[0] != '\0' && !looks_like_date(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("date must be written YYYY-MM-DD, not \"%s\"", day)));
	if (action == NULL)
		action = start ? "book" : "check";
	if (strcmp(action, "check") != 0 && strcmp(action, "book") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("action must be check or book, not \"%s\"", action)));

	v[0] = org;
	v[1] = args;
	v[2] = broker;
	n[2] = has_broker ? ' ' : 'n';
	vp_execute(&booking_broker, v, n, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("check_availability_and_book cannot tell whose calendar to use"),
				 errhint("Pass broker_id, or call from a number of a broker's pool.")));
	if (!DatumGetBool(vp_getdatum(0, BROKER_COL_HAS_EVENT_TYPE, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the broker has no Cal.com event type"),
				 errhint("Set brokers.cal_event_type_id.")));
	context = vp_getdatum(0, BROKER_COL_CONTEXT, &isnull);
	*waiting = true;
	if (strcmp(action, "check") == 0)
		return ask_for_slots(name, tool_call_id, "check", context);

	if (start == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("booking needs start"),
				 errhint("Pass the start as an ISO 8601 time, e.g. 2026-11-24T17:00:00Z.")));
	if (!has_contact)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the caller's number is unknown, so the slot cannot be held for them")));

	/* the hold first: a slot taken here never reaches Cal.com */
	hold_step.values[0] = args;
	hold_step.values[1] = contact;
	hold_step.values[2] = context;
	failure = vp_in_subtransaction(hold_slot_step, &hold_step);
	if (failure != NULL && failure->sqlerrcode != ERRCODE_EXCLUSION_VIOLATION)
		ReThrowError(failure);
	taken = failure != NULL;
	if (taken)
		return ask_for_slots(name, tool_call_id, "alternatives", context);

	v[0] = CStringGetTextDatum(name);
	v[1] = CStringGetTextDatum(tool_call_id);
	v[2] = CStringGetTextDatum("book");
	v[3] = context;
	v[4] = hold_step.hold;
	v[5] = contact;
	v[6] = args;
	vp_execute(&pending_book, v, NULL, 1);
	return first_text();
}

/* The free times Cal.com answered, as a line; NULL when the answer is no list of slots. */
static char *
slots_text(Datum context, int status, const char *body)
{
	Datum		parsed = vp_json_parse_or_null(body);
	Datum		v[2] = {context, parsed};

	if (status < 200 || status >= 300 || parsed == (Datum) 0)
		return NULL;
	vp_execute(&slots_line, v, NULL, 1);
	return first_text();
}

/* Why Cal.com did not answer with success, for the assistant. */
static char *
cal_trouble(int status, const char *error)
{
	return status == 0 ? psprintf("no answer (%s)", error) : psprintf("HTTP %d", status);
}

/* The booking's answer: confirmed, taken (other times), or kept on hold and retried in the outbox. */
static char *
finish_book(const char *name, const char *id, Datum context, int status, const char *body,
			const char *error, bool *waiting)
{
	Jsonb	   *ctx = DatumGetJsonbP(context);
	Datum		hold = DirectFunctionCall1(uuid_in, CStringGetDatum(vp_json_text(ctx, (const char *[]) {"hold_id", NULL})));
	Datum		parsed = vp_json_parse_or_null(body);
	char	   *uid = parsed ? vp_json_text(DatumGetJsonbP(parsed), (const char *[]) {"data", "uid", NULL}) : NULL;
	char	   *message = parsed ? vp_json_text(DatumGetJsonbP(parsed), (const char *[]) {"error", "message", NULL}) : NULL;
	Datum		v[3];
	char	   *when;

	if (status >= 200 && status < 300 && uid != NULL)
	{
		char	   *failed;

		v[0] = hold;
		v[1] = CStringGetTextDatum(uid);
		v[2] = context;
		failed = vp_try_execute(&confirm_hold, v, NULL);
		if (failed == NULL)
			return final_item(name, id, "result", psprintf("Booked for %s. Confirmation %s.", first_text(), uid));
		vp_outbox_queue_cancel(DirectFunctionCall1(uuid_in, CStringGetDatum(vp_json_text(ctx, (const char *[]) {"org_id", NULL}))),
							   uid, context);
		return final_item(name, id, "error", psprintf("The time could not be kept (%s); offer another time.", failed));
	}
	if (status == 400 && message != NULL &&
		(strstr(message, "not available") != NULL || strstr(message, "already has booking") != NULL))
	{
		v[0] = hold;
		v[1] = CStringGetTextDatum("taken in Cal.com");
		vp_execute(&release_hold, v, NULL, 0);
		*waiting = true;
		return ask_for_slots(name, id, "alternatives", context);
	}
	vp_execute(&spoken_start, &context, NULL, 1);
	when = first_text();
	if (status == 0 || status >= 500 || status == 408 || status == 429)
	{
		vp_execute(&queue_booking, &context, NULL, 0);
		return final_item(name, id, "result",
						  psprintf("The booking for %s is being confirmed with the calendar; a confirmation will follow.", when));
	}
	v[0] = hold;
	v[1] = CStringGetTextDatum("refused by Cal.com");
	vp_execute(&release_hold, v, NULL, 0);
	return final_item(name, id, "error", psprintf("The calendar refused the booking for %s (%s%s%s).", when,
												  cal_trouble(status, error), message ? ": " : "", message ? message : ""));
}

/* One pending item with its response: the next item (final, or pending again). */
static char *
finish_step(const char *name, const char *id, const char *step, Datum context, int status,
			const char *body, const char *error, bool *waiting)
{
	char	   *line;

	*waiting = false;
	if (strcmp(step, "book") == 0)
		return finish_book(name, id, context, status, body, error, waiting);
	line = slots_text(context, status, body);
	if (strcmp(step, "alternatives") == 0)
		return line ? final_item(name, id, "result", psprintf("That time was just taken. %s", line))
			: final_item(name, id, "error", psprintf("That time was just taken, and the calendar cannot be read right now (%s).",
													 cal_trouble(status, error)));
	return line ? final_item(name, id, "result", line)
		: final_item(name, id, "error", psprintf("The calendar cannot be read right now (%s); offer to call back.",
												 cal_trouble(status, error)));
}

/* One pending item's step: its name, id, step, context and response, and the next item. */
typedef struct FinishStep
{
	const char *name;
	const char *id;
	const char *step;
	Datum		context;
	int			status;
	const char *body;
	const char *error;
	char	   *item;
	bool		waiting;
} FinishStep;

static void
finish_step_step(void *arg)
{
	FinishStep *f = arg;

	f->item = finish_step(f->name, f->id, f->step, f->context, f->status, f->body, f->error, &f->waiting);
}

/* finish_step in a subtransaction: an error becomes the item's error. */
static char *
finish_step_safely(const char *name, const char *id, const char *step, Datum context, int status,
				   const char *body, const char *error, bool *waiting)
{
	FinishStep	f = {name, id, step, context, status, body, error, NULL, false};
	ErrorData  *failure = vp_in_subtransaction(finish_step_step, &f);

	*waiting = failure == NULL && f.waiting;
	return failure == NULL ? f.item : final_item(name, id, "error", failure->message);
}

/*
 * SQL: continue_webhook(inbox_id, responses) -> webhook_receipt.
 * Gives each pending item of a waiting event its response; stores and
 * returns the final answer, or (state waiting) the next requests.
 */
Datum
vapi_pool_continue_webhook(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		id = PG_GETARG_DATUM(0);
	Jsonb	   *responses = PG_GETARG_JSONB_P(1);
	Datum		v[2];
	bool		isnull;
	bool		any_waiting = false;
	StringInfoData answer;
	SPITupleTable *items;
	uint64		n;
	Datum		org;

	if (!JB_ROOT_IS_ARRAY(responses) || JB_ROOT_IS_SCALAR(responses))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("responses must be a JSON array"),
				 errdetail("continue_webhook takes one {\"id\", \"status\", \"body\", \"error\"} object per request.")));
	vp_spi_connect();
	vp_execute(&lock_waiting, &id, NULL, 1);
	if (SPI_processed == 0)
	{
		vp_execute(&inbox_state, &id, NULL, 1);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("inbox event " INT64_FORMAT " does not exist", DatumGetInt64(id))));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("inbox event " INT64_FORMAT " is not waiting", DatumGetInt64(id)),
				 errdetail("Its state is %s.", first_text())));
	}
	v[0] = vp_getdatum(0, ANSWER_COL_BODY, &isnull);
	v[1] = JsonbPGetDatum(responses);
	org = vp_getdatum(0, ANSWER_COL_ORG, &isnull);
	if (!isnull)
		vp_set_org_claims(org);
	vp_execute(&pending_items, v, NULL, 0);
	items = SPI_tuptable;
	n = SPI_processed;

	initStringInfo(&answer);
	appendStringInfoString(&answer, "{\"results\": [");
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = items->vals[i];
		TupleDesc	desc = items->tupdesc;
		bool		waiting = false;
		char	   *item = TextDatumGetCString(SPI_getbinval(row, desc, ITEM_COL_JSON, &isnull));

		if (DatumGetBool(SPI_getbinval(row, desc, ITEM_COL_PENDING, &isnull)))
		{
			Datum		body = SPI_getbinval(row, desc, ITEM_COL_BODY, &isnull);
			char	   *body_text = isnull ? NULL : TextDatumGetCString(body);

			item = finish_step_safely(TextDatumGetCString(SPI_getbinval(row, desc, ITEM_COL_NAME, &isnull)),
									  TextDatumGetCString(SPI_getbinval(row, desc, ITEM_COL_TOOL_CALL_ID, &isnull)),
									  TextDatumGetCString(SPI_getbinval(row, desc, ITEM_COL_STEP, &isnull)),
									  SPI_getbinval(row, desc, ITEM_COL_CONTEXT, &isnull),
									  DatumGetInt32(SPI_getbinval(row, desc, ITEM_COL_STATUS, &isnull)),
									  body_text,
									  TextDatumGetCString(SPI_getbinval(row, desc, ITEM_COL_ERROR, &isnull)),
									  &waiting);
			any_waiting |= waiting;
		}
		if (i > 0)
			appendStringInfoString(&answer, ", ");
		appendStringInfoString(&answer, item);
	}
	appendStringInfoString(&answer, "]}");

	v[0] = id;
	v[1] = vp_jsonb_from_text(answer.data);
	vp_execute(any_waiting ? &store_waiting : &store_final, v, NULL, 1);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		Datum		stored = PointerGetDatum(PG_DETOAST_DATUM_COPY(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)));
		Datum		result;

		MemoryContextSwitchTo(old);
		result = vp_webhook_receipt(fcinfo, cxt, DatumGetInt64(id), 200, stored,
									any_waiting ? "waiting" : "processed", false);
		SPI_finish();
		PG_RETURN_DATUM(result);
	}
}
