/*
 * tool_booking.c
 *	  check_availability_and_book, live inside a Vapi tool call (seed WF3):
 *	  the steps around the Cal.com requests the shim makes while Vapi waits.
 *
 *	 check	GET /slots for the broker's event type in the broker's zone ->
 *			the free ones (free_slots: no booking or live hold blocks them),
 *			read out as local times with the zone's name and remembered as
 *			offered in this call (offer_free_slots)
 *	 book	the start as the caller chose it: an ISO 8601 time, or the words
 *			of an offered time (offered_slots.c finds the one it means, or
 *			answers with the candidates) ->
 *			claim_slot_atomic (a hold) -> POST /bookings -> confirm_slot with
 *			the booking uid.  Cal.com's "not available" releases the hold
 *			and offers other times (a GET /slots); a timeout or 5xx keeps
 *			the hold, queues a cal.create_booking job in the outbox and says
 *			the booking is being confirmed; any other refusal releases the
 *			hold and says why.
 *
 * The appointment's length is the offered slot's (Cal.com's event type), else
 * the organisation's; the hold while Cal.com books, the horizon of a check
 * and the attendee's language are the organisation's (orgs columns).
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
#include "webhook/tool_clinic.h"
#include "webhook/tool_common.h"
#include "webhook/webhook.h"
#include "slots/offered_slots.h"
#include "slots/slot_claim.h"
#include "core/chars.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_continue_webhook);

/* how many free times a check offers at most */
#define OFFERED_AT_ONCE 6

/*
 * the broker whose calendar the tool books (the argument's, else the
 * call's), with the call and the organisation's booking settings
 */
static VpPlan booking_broker = {
	.sql = "SELECT pg_catalog.jsonb_build_object('org_id', b.org_id, 'broker_id', b.id, 'timezone', b.timezone,"
	"   'event_type_id', b.cal_event_type_id, 'date', (nullif($2 ->> 'date', ''))::date, 'call_id', $4,"
	"   'appointment_minutes', o.appointment_minutes, 'horizon_days', o.booking_horizon_days,"
	"   'hold_minutes', o.booking_hold_minutes, 'language', o.language), b.cal_event_type_id IS NOT NULL"
	" FROM vapi_pool.brokers b JOIN vapi_pool.orgs o ON o.org_id = b.org_id"
	" WHERE b.org_id = $1 AND b.id = coalesce(nullif($2 ->> 'broker_id', '')::uuid, $3)",
	.nargs = 4, .argtypes = {UUIDOID, JSONBOID, UUIDOID, TEXTOID}
};

/* the columns of booking_broker */
enum
{
	BROKER_COL_CONTEXT = 1,
	BROKER_COL_HAS_EVENT_TYPE
};

static VpPlan pending_check = {
	.sql = "SELECT vapi_pool.tool_pending($1, $2, $3, $4, " VP_CAL_SLOTS_REQUEST_SQL("$4") ")::text",
	.nargs = 4, .argtypes = {TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

/* an ISO 8601 start (in the calendar's zone when it has no offset), with the length it was offered with */
static VpPlan iso_start = {
	.sql = "SELECT pg_catalog.to_char(s.t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	"   coalesce((SELECT (pg_catalog.date_part('epoch', o.ends_at - o.starts_at) / 60)::integer"
	"     FROM vapi_pool.offered_slots o WHERE o.org_id = ($2 ->> 'org_id')::uuid AND o.vapi_call_id = $2 ->> 'call_id'"
	"     AND o.starts_at = s.t ORDER BY o.round DESC LIMIT 1), ($2 ->> 'appointment_minutes')::integer)"
	" FROM (SELECT CASE WHEN " VP_ISO_TIME_HAS_ZONE("$1") " THEN $1::timestamptz"
	"   ELSE $1::timestamp AT TIME ZONE ($2 ->> 'timezone') END AS t) s",
	.nargs = 2, .argtypes = {TEXTOID, JSONBOID}
};

/* an offered slot's start and length */
static VpPlan offered_start = {
	.sql = "SELECT pg_catalog.to_char(o.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	"   (pg_catalog.date_part('epoch', o.ends_at - o.starts_at) / 60)::integer"
	" FROM vapi_pool.offered_slots o WHERE o.org_id = $1 AND o.id = $2",
	.nargs = 2, .argtypes = {UUIDOID, INT8OID}
};

/* the columns of iso_start and offered_start */
enum
{
	START_COL_ISO = 1,
	START_COL_MINUTES
};

/* the arguments with the start resolved: {"start": ISO, "length_minutes": n} added */
static VpPlan resolved_args = {
	.sql = "SELECT $1 || pg_catalog.jsonb_build_object('start', $2, 'length_minutes', $3)",
	.nargs = 3, .argtypes = {JSONBOID, TEXTOID, INT4OID}
};

static VpPlan hold_slot = {
	.sql = "SELECT vapi_pool.claim_slot_atomic(($1 ->> 'start')::timestamptz, $2, ($3 ->> 'org_id')::uuid,"
	"   ($3 ->> 'broker_id')::uuid, ($1 ->> 'length_minutes')::integer * interval '1 minute',"
	"   ($3 ->> 'hold_minutes')::integer * interval '1 minute')",
	.nargs = 3, .argtypes = {JSONBOID, UUIDOID, JSONBOID}
};

/* the name the caller gave, kept on a contact that has none: a new caller becomes a known one */
static VpPlan remember_name = {
	.sql = "UPDATE vapi_pool.leads l SET first_name = nullif(pg_catalog.split_part(s.name, ' ', 1), ''),"
	"   last_name = nullif(pg_catalog.btrim(pg_catalog.substr(s.name,"
	"     pg_catalog.length(pg_catalog.split_part(s.name, ' ', 1)) + 1)), '')"
	" FROM (SELECT pg_catalog.btrim(coalesce($2 ->> 'name', '')) AS name) s"
	" WHERE l.org_id = $3 AND l.id = $1 AND l.first_name IS NULL AND l.last_name IS NULL AND s.name <> ''",
	.nargs = 3, .argtypes = {UUIDOID, JSONBOID, UUIDOID}
};

/* the e-mail the caller gave, kept on a contact that has none (an invalid one errors) */
static VpPlan remember_email = {
	.sql = "UPDATE vapi_pool.leads l SET email = pg_catalog.btrim($2 ->> 'email')::vapi_pool.email_address"
	" WHERE l.org_id = $3 AND l.id = $1 AND l.email IS NULL AND coalesce(pg_catalog.btrim($2 ->> 'email'), '') <> ''",
	.nargs = 3, .argtypes = {UUIDOID, JSONBOID, UUIDOID}
};

/* the booking request for a hold, with what the later steps need in the context */
static VpPlan pending_book = {
	.sql = "WITH c AS (SELECT $4 || pg_catalog.jsonb_build_object('hold_id', $5::uuid, 'lead_id', $6::uuid,"
	"   'start', ($7 ->> 'start')::timestamptz,"
	"   'body', vapi_pool.cal_booking_body(($4 ->> 'event_type_id')::bigint, ($7 ->> 'start')::timestamptz,"
	"     coalesce(nullif($7 ->> 'name', ''), l.name), coalesce(nullif($7 ->> 'timezone', ''), $4 ->> 'timezone'),"
	"     coalesce(nullif($7 ->> 'email', ''), l.email),"
	"     coalesce(vapi_pool.e164_try_parse(nullif($7 ->> 'phone', ''))::text, l.primary_phone_e164::text),"
	"     $6, $5, $4 ->> 'language')) AS ctx"
	"   FROM vapi_pool.leads l WHERE l.id = $6)"
	" SELECT vapi_pool.tool_pending($1, $2, $3, c.ctx, vapi_pool.cal_bookings_request('/bookings',"
	"   (c.ctx -> 'body')::text, vapi_pool.tool_request_timeout_ms()))::text"
	" FROM c",
	.nargs = 7, .argtypes = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, UUIDOID, UUIDOID, JSONBOID}
};

/* the free times offered in the call, as the line the assistant reads out */
static VpPlan slots_line = {
	.sql = "SELECT vapi_pool.offer_free_slots(($1 ->> 'org_id')::uuid, ($1 ->> 'broker_id')::uuid, $1 ->> 'call_id',"
	"   $1 ->> 'timezone', $2, " CppAsString2(OFFERED_AT_ONCE) ", ($1 ->> 'start')::timestamptz, ($1 ->> 'date')::date)",
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
	.sql = VP_QUEUE_CAL_BOOKING_SQL,
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

/*
 * The booking's arguments with the start the caller chose resolved to an
 * ISO time and a length: an ISO time as it is, else the offered slot its
 * words name (errors listing the candidates when they name none or several).
 */
static Datum
resolve_start(Datum args, Datum context, const char *start, Datum org, Datum broker)
{
	Jsonb	   *ctx = DatumGetJsonbP(context);
	char	   *call_id = vp_json_text(ctx, (const char *[]) {"call_id", NULL});
	Datum		v[3];
	bool		isnull;

	if (vp_is_iso_time_text(start))
	{
		v[0] = CStringGetTextDatum(start);
		v[1] = context;
		vp_execute(&iso_start, v, NULL, 1);
	}
	else
	{
		v[0] = org;
		v[1] = Int64GetDatum(vp_offered_slot_id(org, call_id ? call_id : "", start, broker, true));
		vp_execute(&offered_start, v, NULL, 1);
	}
	v[0] = args;
	v[1] = vp_getdatum(0, START_COL_ISO, &isnull);
	v[2] = vp_getdatum(0, START_COL_MINUTES, &isnull);
	vp_execute(&resolved_args, v, NULL, 1);
	return vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
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
vp_booking_begin(const char *name, const char *tool_call_id, const char *call_id, Datum args, Datum org,
				 Datum broker, bool has_broker, Datum contact, bool has_contact, bool *waiting)
{
	Jsonb	   *a = DatumGetJsonbP(args);
	char	   *action = vp_json_text(a, (const char *[]) {"action", NULL});
	char	   *start = vp_json_text(a, (const char *[]) {"start", NULL});
	char	   *broker_text = vp_json_text(a, (const char *[]) {"broker_id", NULL});
	char	   *day = vp_json_text(a, (const char *[]) {"date", NULL});
	Datum		v[7];
	char		n[7] = "       ";
	Datum		calendar;
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
	if (day != NULL && day[0] != '\0' && !vp_is_date_text(day))
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
	v[3] = vp_text_arg(call_id, &n[3]);
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

	if (start == NULL || start[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("booking needs start"),
				 errhint("Pass the time the caller chose, exactly as the check listed it.")));
	if (!has_contact)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the caller's number is unknown, so the slot cannot be held for them")));
	calendar = DirectFunctionCall1(uuid_in, CStringGetDatum(vp_json_text(DatumGetJsonbP(context),
																		   (const char *[]) {"broker_id", NULL})));
	args = resolve_start(args, context, start, org, calendar);

	/* an e-mail that is no address does not stop the booking (Cal.com judges it) nor lose the name */
	v[0] = contact;
	v[1] = args;
	v[2] = org;
	vp_execute(&remember_name, v, NULL, 0);
	(void) vp_try_execute(&remember_email, v, NULL);

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

/* The booking's answer: confirmed, taken (other times), or kept on hold and retried in the outbox. */
static char *
finish_book(const char *name, const char *id, Datum context, int status, const char *body,
			const char *error, bool *waiting)
{
	Jsonb	   *ctx = DatumGetJsonbP(context);
	Datum		hold = DirectFunctionCall1(uuid_in, CStringGetDatum(vp_json_text(ctx, (const char *[]) {"hold_id", NULL})));
	char	   *uid;
	char	   *message;
	VpCalBooking outcome = vp_cal_booking_outcome(status, body, &uid, &message);
	Datum		v[3];
	char	   *when;

	if (outcome == VP_CAL_BOOKED)
	{
		char	   *failed;

		v[0] = hold;
		v[1] = CStringGetTextDatum(uid);
		v[2] = context;
		failed = vp_try_execute(&confirm_hold, v, NULL);
		if (failed == NULL)
			return vp_tool_item(name, id, "result", psprintf("Booked for %s. Confirmation %s.", first_text(), uid));
		vp_outbox_queue_cancel(DirectFunctionCall1(uuid_in, CStringGetDatum(vp_json_text(ctx, (const char *[]) {"org_id", NULL}))),
							   uid, context);
		return vp_tool_item(name, id, "error", psprintf("The time could not be kept (%s); offer another time.", failed));
	}
	if (outcome == VP_CAL_TAKEN)
	{
		v[0] = hold;
		v[1] = CStringGetTextDatum("taken in Cal.com");
		vp_execute(&release_hold, v, NULL, 0);
		*waiting = true;
		return ask_for_slots(name, id, "alternatives", context);
	}
	vp_execute(&spoken_start, &context, NULL, 1);
	when = first_text();
	if (outcome == VP_CAL_UNANSWERED)
	{
		vp_execute(&queue_booking, &context, NULL, 0);
		return vp_tool_item(name, id, "result",
						  psprintf("The booking for %s is being confirmed with the calendar; a confirmation will follow.", when));
	}
	v[0] = hold;
	v[1] = CStringGetTextDatum("refused by Cal.com");
	vp_execute(&release_hold, v, NULL, 0);
	return vp_tool_item(name, id, "error", psprintf("The calendar refused the booking for %s (%s%s%s).", when,
												  vp_cal_trouble(status, error), message ? ": " : "", message ? message : ""));
}

/* One pending item with its response: the next item (final, or pending again). */
static char *
finish_step(const char *name, const char *id, const char *step, Datum context, int status,
			const char *body, const char *error, bool *waiting)
{
	char	   *line;

	*waiting = false;
	/* the clinic receptionist's steps (tool_clinic.c) */
	if (vp_clinic_step(step))
		return vp_clinic_finish_step(name, id, step, context, status, body, error, waiting);
	if (strcmp(step, "book") == 0)
		return finish_book(name, id, context, status, body, error, waiting);
	line = slots_text(context, status, body);
	if (strcmp(step, "alternatives") == 0)
		return line ? vp_tool_item(name, id, "result", psprintf("That time was just taken. %s", line))
			: vp_tool_item(name, id, "error", psprintf("That time was just taken, and the calendar cannot be read right now (%s).",
													 vp_cal_trouble(status, error)));
	return line ? vp_tool_item(name, id, "result", line)
		: vp_tool_item(name, id, "error", psprintf("The calendar cannot be read right now (%s); offer to call back.",
												 vp_cal_trouble(status, error)));
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
	return failure == NULL ? f.item : vp_tool_item(name, id, "error", vp_error_sentences(failure));
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
