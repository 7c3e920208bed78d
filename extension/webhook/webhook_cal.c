/*
 * webhook_cal.c
 *	  Cal.com booking webhooks (../shared/reference/calcom.md): a booking
 *	  made on Cal.com is recorded, one cancelled or moved there releases or
 *	  moves our appointment.
 *
 *	  BOOKING_CREATED,     record_cal_booking (slots/cal_booking.c) of the
 *	  BOOKING_REQUESTED    event type's calendar: the lead found or made
 *	                       from the first attendee, consent, a pool number,
 *	                       the appointment (REQUESTED, or status PENDING:
 *	                       awaiting the host); an overlap with a live hold
 *	                       fails the event (kept for a person to look at)
 *	  BOOKING_CANCELLED,   release_slot(hold, 'cancelled in Cal.com') of the
 *	  BOOKING_REJECTED     appointment with that booking uid
 *	  BOOKING_RESCHEDULED  the appointment booked as payload.rescheduleUid
 *	                       (else payload.uid) moves to startTime..endTime
 *	                       and takes the new uid; a move onto a taken slot
 *	                       is refused by the exclusion constraint and the
 *	                       event is kept as failed for a person to look at;
 *	                       a booking we never recorded, moved, is recorded
 *	                       as the new one (record_cal_booking)
 *	  anything else        stored only
 * Every event takes the advisory lock of the uids it names first
 * (VP_CAL_BOOKING_LOCK_SQL), so a cancellation waits for the booking being
 * recorded, and a booking recorded after its cancellation or move was
 * processed is not recorded (record_cal_booking reads the inbox).
 * A booking uid we do not know is stored and answered 200 by the cancel and
 * move events, and so is a booking without an event type (nothing tells
 * whose calendar it is on); the attendee's phone is read from attendees[0].phoneNumber,
 * else the booking form's attendeePhoneNumber or phone, else
 * smsReminderNumber.
 */
#include "core/json.h"
#include "core/saved_plans.h"
#include "webhook/webhook.h"
#include "slots/cal_booking.h"
#include "slots/slot_claim.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

static VpPlan cancel_booking = {
	.sql = "SELECT a.org_id, a.id, CASE WHEN a.status <> 'cancelled'"
	" THEN (vapi_pool.release_slot(a.hold_id, '" VP_SLOT_CANCELLED_IN_CAL "')).status ELSE 'already_cancelled' END"
	" FROM vapi_pool.appointments a WHERE a.cal_booking_uid = $1",
	.nargs = 1, .argtypes = {TEXTOID}
};

static VpPlan move_booking = {
	.sql = "UPDATE vapi_pool.appointments a SET scheduled_at = $2::timestamptz,"
	" duration = coalesce($3::timestamptz - $2::timestamptz, a.duration), cal_booking_uid = $4,"
	" confirmed_at = CASE WHEN a.scheduled_at = $2::timestamptz THEN a.confirmed_at END"
	" WHERE a.cal_booking_uid = coalesce($1, $4) AND a.status IN ('held', 'booked')"
	" RETURNING a.org_id, a.id",
	.nargs = 4, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

/*
 * A booking made on Cal.com, read from the wire shape into
 * record_cal_booking's typed arguments ($2: awaiting the host), answered
 * with what was done.
 */
#define CAL_FIELD(path) "nullif(pg_catalog.btrim($1 #>> '{payload," path "}'), '')"
#define CAL_STRING(path) \
	"CASE WHEN pg_catalog.jsonb_typeof($1 #> '{payload," path "}') = 'string' THEN " CAL_FIELD(path) " END"
static VpPlan record_booking = {
	.sql = "SELECT (b).org_id, pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('ok', true,"
	"   'action', (b).action, 'appointment_id', (b).appointment_id, 'lead_id', (b).lead_id,"
	"   'lead_created', (b).lead_created, 'assignment_id', (b).assignment_id,"
	"   'pool_number', (b).pool_number::text, 'confirmation_call_at', (b).confirmation_call_at, 'note', (b).note))"
	" FROM (SELECT vapi_pool.record_cal_booking(" CAL_FIELD("eventTypeId") "::bigint, " CAL_FIELD("uid") ","
	"   " CAL_FIELD("startTime") "::timestamptz, " CAL_FIELD("endTime") "::timestamptz,"
	"   coalesce(" CAL_STRING("attendees,0,name") ", " CAL_STRING("responses,name,value") "),"
	"   coalesce(" CAL_STRING("attendees,0,email") ", " CAL_STRING("responses,email,value") "),"
	"   coalesce(" CAL_STRING("attendees,0,phoneNumber") ", " CAL_STRING("responses,attendeePhoneNumber,value") ","
	"     " CAL_STRING("responses,phone,value") ", " CAL_STRING("smsReminderNumber") "),"
	"   " CAL_STRING("attendees,0,timeZone") ","
	"   $2 OR coalesce(pg_catalog.upper($1 #>> '{payload,status}') = 'PENDING', false),"
	"   CASE WHEN $1 #>> '{payload,metadata,hold_id}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
	"     THEN ($1 #>> '{payload,metadata,hold_id}')::uuid END,"
	"   coalesce(nullif($1 ->> 'createdAt', '')::timestamptz, pg_catalog.now())) AS b) s",
	.nargs = 2, .argtypes = {JSONBOID, BOOLOID}
};

/* The advisory locks of two booking uids (slots/cal_booking.h). */
static VpPlan lock_two_uids = {
	.sql = VP_CAL_BOOKING_LOCK_SQL,
	.nargs = 2, .argtypes = {TEXTOID, TEXTOID}
};

static VpPlan booking_org = {
	.sql = "SELECT a.org_id FROM vapi_pool.appointments a WHERE a.cal_booking_uid = $1 LIMIT 1",
	.nargs = 1, .argtypes = {TEXTOID}
};

/* Answers {"ok": true, "action": action, "appointments": n}. */
static void
answer_action(WebhookAnswer *a, MemoryContext cxt, const char *action, uint64 n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"ok\": true, \"action\": \"%s\", \"appointments\": " UINT64_FORMAT "}", action, n);
	vp_answer_text(a, cxt, 200, buf.data);
}

/*
 * Takes the advisory locks of booking uids a and b (either may be NULL), in
 * the order of their lock keys (one lock when the keys are equal), so that
 * two events never wait for each other in a circle.
 */
static void
lock_uids(const char *a, const char *b)
{
	Datum		v[2];
	char		n[2] = {a ? ' ' : 'n', b ? ' ' : 'n'};

	v[0] = a ? CStringGetTextDatum(a) : (Datum) 0;
	v[1] = b ? CStringGetTextDatum(b) : (Datum) 0;
	vp_execute(&lock_two_uids, v, n, 0);
}

/* Records a booking made on Cal.com (record_booking) and answers with what was done. */
static void
record(Jsonb *payload, bool requested, MemoryContext cxt, WebhookAnswer *a)
{
	Datum		args[2] = {JsonbPGetDatum(payload), BoolGetDatum(requested)};
	bool		isnull;

	vp_execute(&record_booking, args, NULL, 0);
	vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
	vp_answer_datum(a, cxt, 200, vp_getdatum(0, ANSWER_COL_BODY, &isnull));
}

/* Handles a Cal.com booking event. */
void
vp_cal_handle(Jsonb *payload, const char *trigger, MemoryContext cxt, WebhookAnswer *a)
{
	char	   *uid = vp_json_text(payload, (const char *[]) {"payload", "uid", NULL});
	char		n[4] = "    ";
	Datum		v[4];

	bool		cancelled = strcmp(trigger, "BOOKING_CANCELLED") == 0 || strcmp(trigger, "BOOKING_REJECTED") == 0;

	if ((strcmp(trigger, "BOOKING_CREATED") == 0 || strcmp(trigger, "BOOKING_REQUESTED") == 0) &&
		vp_json_text(payload, (const char *[]) {"payload", "eventTypeId", NULL}) != NULL)
	{
		record(payload, strcmp(trigger, "BOOKING_REQUESTED") == 0, cxt, a);
		return;
	}
	if (cancelled || strcmp(trigger, "BOOKING_RESCHEDULED") == 0)
	{
		if (uid == NULL || uid[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a Cal.com %s event needs payload.uid", trigger)));
	}
	if (cancelled)
	{
		lock_uids(uid, NULL);
		v[0] = CStringGetTextDatum(uid);
		vp_execute(&cancel_booking, v, n, 0);
		if (SPI_processed > 0)
			vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		answer_action(a, cxt, SPI_processed > 0 ? "cancelled" : "unknown_booking", SPI_processed);
	}
	else if (strcmp(trigger, "BOOKING_RESCHEDULED") == 0)
	{
		char	   *start = vp_json_text(payload, (const char *[]) {"payload", "startTime", NULL});
		char	   *from_uid = vp_json_text(payload, (const char *[]) {"payload", "rescheduleUid", NULL});

		if (start == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a Cal.com BOOKING_RESCHEDULED event needs payload.startTime")));
		lock_uids(uid, from_uid);
		v[0] = vp_text_arg(from_uid, &n[0]);
		v[1] = CStringGetTextDatum(start);
		v[2] = vp_text_arg(vp_json_text(payload, (const char *[]) {"payload", "endTime", NULL}), &n[2]);
		v[3] = CStringGetTextDatum(uid);
		vp_execute(&move_booking, v, n, 0);
		if (SPI_processed == 0 && vp_json_text(payload, (const char *[]) {"payload", "eventTypeId", NULL}) != NULL)
		{
			/* a booking we never recorded, moved: the new one is a booking made on Cal.com */
			record(payload, false, cxt, a);
			return;
		}
		if (SPI_processed > 0)
			vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		answer_action(a, cxt, SPI_processed > 0 ? "moved" : "unknown_booking", SPI_processed);
	}
	else
	{
		if (uid != NULL)
		{
			v[0] = CStringGetTextDatum(uid);
			vp_execute(&booking_org, v, n, 1);
			if (SPI_processed > 0)
				vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		}
		answer_action(a, cxt, "stored", 0);
	}
}
