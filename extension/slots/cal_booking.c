/*
 * cal_booking.c
 *	  Bookings made anywhere (release 0.8.0, issue 25): a booking the lead
 *	  made on Cal.com's booking page, and the call that confirms a booked
 *	  appointment.
 *
 * record_cal_booking takes a Cal.com BOOKING_CREATED or BOOKING_REQUESTED
 * (webhook/webhook_cal.c reads the wire shape) for the event type of a
 * broker (or of a clinic: the organisation's own calendar) and, in order:
 *
 *	1. a booking uid already recorded is not recorded again (a redelivery,
 *	   even one Cal.com built again: deliveries of one uid take turns on an
 *	   advisory lock; or the host accepting a requested booking:
 *	   awaiting_host cleared);
 *	   a booking of a hold of ours (metadata.hold_id: Barbara booked it and
 *	   confirm_slot records it) is left to that path;
 *	2. a live hold or booking of the calendar overlapping the booking is a
 *	   conflict: an error (23P01) naming both, which receive_webhook keeps
 *	   as a failed event for a person (the exclusion constraint stays the
 *	   final word under concurrency);
 *	3. the lead (looked up by one booking at a time per attendee, an
 *	   advisory lock, so two bookings of a new person give one lead): the
 *	   organisation's oldest with the attendee's e-mail
 *	   (case-insensitive), else with the attendee's phone (read in the
 *	   organisation's region), else a new one made from the attendee; what
 *	   the lead lacks (broker, phone, e-mail, zone, name) is filled in, and
 *	   a lead without a live number becomes the booked broker's;
 *	4. the booking as consent evidence (lead_consents kind booking);
 *	5. a number of the broker's pool (assign_number), held until
 *	   vapi_pool.hold_after_appointment after the appointment ends; a lead
 *	   who holds one of this broker keeps it (and its hold grows to cover
 *	   the appointment), one who holds another broker's keeps that one; a
 *	   lead without a phone number and a broker whose pool is not active
 *	   get none; an exhausted pool fails
 *	   the event with 55000 (replayed once numbers are added);
 *	6. the appointment, booked, with its Cal.com uid and exact interval;
 *	   its trigger (appointment_changed) queues the confirmation call.
 *
 * queue_confirmation_call queues Barbara's call the organisation's
 * confirmation_call_before ahead of a booked broker appointment, moved into
 * the lead's calling hours (compliance/calling_hours.c) and given up when
 * that leaves less than an hour before the appointment.  Its create-call job
 * is the pool's own shape (outbox/outbox.h) plus the appointment's id,
 * which Barbara gets in variableValues.
 */
#include "compliance/compliance.h"
#include "core/saved_plans.h"
#include "core/settings.h"
#include "core/subtransaction.h"
#include "outbox/outbox.h"
#include "pool/pool_engine.h"
#include "slots/cal_booking.h"
#include "slots/slot_claim.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_record_cal_booking);
PG_FUNCTION_INFO_V1(vapi_pool_queue_confirmation_call);

/* The least time between a confirmation call and its appointment. */
#define CONFIRMATION_MIN_AHEAD_USECS USECS_PER_HOUR

/* The arguments of record_cal_booking, counted from 0. */
enum
{
	ARG_EVENT_TYPE,
	ARG_UID,
	ARG_START,
	ARG_END,
	ARG_NAME,
	ARG_EMAIL,
	ARG_PHONE,
	ARG_ZONE,
	ARG_AWAITING_HOST,
	ARG_HOLD_ID,
	ARG_BOOKED_AT
};

/* The calendar an event type belongs to: a broker's, else an organisation's own. */
static VpPlan event_type_owner = {
	.sql = "SELECT b.org_id, b.id, b.name, b.number_pool_active, o.default_region"
	" FROM vapi_pool.brokers b JOIN vapi_pool.orgs o ON o.org_id = b.org_id WHERE b.cal_event_type_id = $1"
	" UNION ALL"
	" SELECT o.org_id, NULL, o.name, false, o.default_region FROM vapi_pool.orgs o WHERE o.cal_event_type_id = $1",
	.nargs = 1, .argtypes = {INT8OID}
};

enum
{
	OWNER_COL_ORG = 1,
	OWNER_COL_BROKER,
	OWNER_COL_NAME,
	OWNER_COL_POOL_ACTIVE,
	OWNER_COL_REGION
};

/*
 * Serialises the events of one booking uid (a redelivery Cal.com built
 * again, with another createdAt, has another inbox key; a cancellation may
 * arrive while the booking is being recorded): the second sees the first's
 * appointment.  Released at the end of the transaction.
 */
static VpPlan lock_booking_uid = {
	.sql = VP_CAL_BOOKING_LOCK_SQL,
	.nargs = 2, .argtypes = {TEXTOID, TEXTOID}
};

/*
 * Serialises the lead lookup of one attendee in an organisation: a lock on
 * the e-mail, then one on the phone (always in that order, so two bookings
 * never wait for each other in a circle), so that two bookings of one new
 * person made at once give one lead, not two, even when only one of them
 * gives the e-mail.
 */
static VpPlan lock_attendee = {
	.sql = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_attendee'),"
	"   pg_catalog.hashtext($1::text || pg_catalog.lower($2)))"
	" WHERE $2 IS NOT NULL"
	" UNION ALL"
	" SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_attendee'),"
	"   pg_catalog.hashtext($1::text || $3::text))"
	" WHERE $3 IS NOT NULL",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, VP_E164_ARG}
};

/* A booking uid recorded before: its appointment, locked. */
static VpPlan known_booking = {
	.sql = "SELECT a.org_id, a.id, a.contact_id, a.awaiting_host, a.status"
	" FROM vapi_pool.appointments a WHERE a.cal_booking_uid = $1 AND a.org_id = $2 FOR NO KEY UPDATE",
	.nargs = 2, .argtypes = {TEXTOID, UUIDOID}
};

/*
 * Cal.com said before that this uid was cancelled, rejected or moved to
 * another uid, while we did not know it yet (the events came out of order,
 * or the booking was replayed after its cancellation): its processed
 * events in the inbox, found through webhook_inbox_cal_gone_idx and
 * webhook_inbox_cal_moved_idx.  Two statements, not one with OR: planned
 * while the inbox has no statistics, the OR is read through the inbox's
 * dedupe key index, every Cal.com event of it, for as long as the plan is
 * kept.  Each returns the event type.
 */
static VpPlan cancelled_before = {
	.sql = "SELECT w.event_type FROM vapi_pool.webhook_inbox w"
	" WHERE w.source = 'cal' AND w.event_type IN ('BOOKING_CANCELLED', 'BOOKING_REJECTED')"
	"   AND (w.payload #>> '{payload,uid}') = $1 AND w.state = 'processed'"
	" LIMIT 1",
	.nargs = 1, .argtypes = {TEXTOID}
};

static VpPlan moved_before = {
	.sql = "SELECT w.event_type FROM vapi_pool.webhook_inbox w"
	" WHERE w.source = 'cal' AND w.event_type = 'BOOKING_RESCHEDULED'"
	"   AND (w.payload #>> '{payload,rescheduleUid}') = $1 AND w.state = 'processed'"
	"   AND (w.payload #>> '{payload,uid}') IS DISTINCT FROM $1"
	" LIMIT 1",
	.nargs = 1, .argtypes = {TEXTOID}
};

enum
{
	KNOWN_COL_ORG = 1,
	KNOWN_COL_ID,
	KNOWN_COL_CONTACT,
	KNOWN_COL_AWAITING,
	KNOWN_COL_STATUS
};

static VpPlan host_accepted = {
	.sql = "UPDATE vapi_pool.appointments SET awaiting_host = false WHERE org_id = $1 AND id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* A hold of ours that the booking is the Cal.com side of. */
static VpPlan own_hold = {
	.sql = "SELECT a.id, a.contact_id FROM vapi_pool.appointments a WHERE a.org_id = $1 AND a.hold_id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* Expired holds the booking overlaps are cancelled first, as claim_slot_atomic does. */
static VpPlan cancel_expired = {
	.sql = VP_SLOT_CANCEL_EXPIRED("$1", "$2", "$3", "($4 - $3)"),
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/* The live hold or booking of the calendar that the booking overlaps, if any. */
static VpPlan overlapping = {
	.sql = "SELECT a.id, a.status, a.cal_booking_uid,"
	"   pg_catalog.to_char(a.scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
	"   pg_catalog.to_char(a.ends_at AT TIME ZONE 'UTC', 'HH24:MI')"
	" FROM vapi_pool.appointments a"
	" WHERE " VP_SLOT_OVERLAPPING("a", "$1", "$2", "$3", "($4 - $3)")
	" ORDER BY a.scheduled_at LIMIT 1",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/*
 * The attendee read: phone in the organisation's region, a valid e-mail
 * and zone, else NULL; the name split into first and last.
 */
static VpPlan attendee = {
	.sql = "SELECT vapi_pool.e164_try_parse($1, $2),"
	"   CASE WHEN pg_catalog.btrim($3) ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$'"
	"     THEN pg_catalog.btrim($3) END,"
	"   CASE WHEN vapi_pool.timezone_is_valid($4) THEN $4 END,"
	"   nullif(pg_catalog.split_part(pg_catalog.btrim($5), ' ', 1), ''),"
	"   nullif(pg_catalog.btrim(pg_catalog.substr(pg_catalog.btrim($5),"
	"     pg_catalog.length(pg_catalog.split_part(pg_catalog.btrim($5), ' ', 1)) + 1)), '')",
	.nargs = 5, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

enum
{
	ATTENDEE_COL_PHONE = 1,
	ATTENDEE_COL_EMAIL,
	ATTENDEE_COL_ZONE,
	ATTENDEE_COL_FIRST,
	ATTENDEE_COL_LAST
};

/* The organisation's lead with the e-mail, else the phone: the oldest; locked. */
static VpPlan find_lead = {
	.sql = "SELECT l.id, l.broker_id FROM vapi_pool.leads l"
	" WHERE l.org_id = $1 AND (pg_catalog.lower(l.email::text) = pg_catalog.lower($2) OR l.primary_phone_e164 = $3)"
	" ORDER BY coalesce(pg_catalog.lower(l.email::text) = pg_catalog.lower($2), false) DESC, l.created_at, l.id"
	" LIMIT 1 FOR NO KEY UPDATE",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, VP_E164_ARG}
};

/*
 * What a found lead lacks, filled in; a lead holding no live number of
 * another broker becomes the booked broker's ($8; NULL for a clinic keeps
 * the lead's).
 */
static VpPlan fill_lead = {
	.sql = "UPDATE vapi_pool.leads l SET"
	"   primary_phone_e164 = coalesce(l.primary_phone_e164, $3),"
	"   email = coalesce(l.email, $4::vapi_pool.email_address),"
	"   timezone = coalesce(l.timezone, $5::vapi_pool.iana_timezone),"
	"   first_name = CASE WHEN l.first_name IS NULL AND l.last_name IS NULL THEN $6 ELSE l.first_name END,"
	"   last_name = CASE WHEN l.first_name IS NULL AND l.last_name IS NULL THEN $7 ELSE l.last_name END,"
	"   broker_id = CASE WHEN $8::uuid IS NULL OR EXISTS (SELECT FROM vapi_pool.vapi_number_assignments a"
	"       WHERE a.org_id = l.org_id AND a.lead_id = l.id AND a.status <> 'released' AND a.broker_id <> $8)"
	"     THEN l.broker_id ELSE $8 END"
	" WHERE l.org_id = $1 AND l.id = $2",
	.nargs = 8, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG, TEXTOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID}
};

static VpPlan make_lead = {
	.sql = "INSERT INTO vapi_pool.leads (org_id, broker_id, primary_phone_e164, email, timezone, first_name, last_name)"
	" VALUES ($1, $8, $3, $4::vapi_pool.email_address, $5::vapi_pool.iana_timezone, $6, $7)"
	" RETURNING id",
	.nargs = 8, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG, TEXTOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID}
};

static VpPlan record_consent = {
	.sql = "INSERT INTO vapi_pool.lead_consents (org_id, lead_id, kind, source_id, evidence, given_at, recorded_by)"
	" VALUES ($1, $2, 'booking', $3,"
	"   'booked an appointment on Cal.com for ' || pg_catalog.to_char($4 AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC',"
	"   $5, NULL)"
	" ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/* The lead's unreleased assignment, locked. */
static VpPlan live_assignment = {
	.sql = "SELECT a.id, a.broker_id, p.number, b.name"
	" FROM vapi_pool.vapi_number_assignments a"
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id"
	" JOIN vapi_pool.brokers b ON b.org_id = a.org_id AND b.id = a.broker_id"
	" WHERE a.org_id = $1 AND a.lead_id = $2 AND a.status <> 'released'"
	" FOR NO KEY UPDATE OF a",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

enum
{
	LIVE_COL_ID = 1,
	LIVE_COL_BROKER,
	LIVE_COL_NUMBER,
	LIVE_COL_BROKER_NAME
};

/* Whether the lead has a phone number: a number is lent only for calls with one. */
static VpPlan lead_has_phone = {
	.sql = "SELECT l.primary_phone_e164 IS NOT NULL FROM vapi_pool.leads l WHERE l.org_id = $1 AND l.id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan lend_number = {
	.sql = "SELECT a.id, p.number FROM vapi_pool.assign_number($1) a"
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id",
	.nargs = 1, .argtypes = {UUIDOID}
};

static VpPlan insert_appointment = {
	.sql = "INSERT INTO vapi_pool.appointments (org_id, contact_id, broker_id, status, scheduled_at, duration,"
	"   cal_booking_uid, booked_via, awaiting_host)"
	" VALUES ($1, $2, $3, 'booked', $4, $5 - $4, $6, 'cal.com', $7)"
	" RETURNING id",
	.nargs = 7, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, BOOLOID}
};

/* The queued confirmation call of an appointment, if any. */
static VpPlan queued_confirmation = {
	.sql = "SELECT o.run_at FROM vapi_pool.outbox o"
	" WHERE o.org_id = $1 AND o.kind = 'vapi.create_call' AND o.state = 'pending'"
	"   AND (o.payload ->> 'appointment_id') = $2::text"
	" ORDER BY o.id DESC LIMIT 1",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* What record_cal_booking did: the columns of type cal_booking. */
typedef struct CalBooking
{
	Datum		values[9];
	bool		nulls[9];
} CalBooking;

enum
{
	RESULT_ORG,
	RESULT_ACTION,
	RESULT_APPOINTMENT,
	RESULT_LEAD,
	RESULT_LEAD_CREATED,
	RESULT_ASSIGNMENT,
	RESULT_NUMBER,
	RESULT_CONFIRMATION,
	RESULT_NOTE
};

/* Sets column col of the result (copied into cxt when by reference). */
static void
set_result(CalBooking *r, int col, Datum value, bool byval, int16 len, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	r->values[col] = byval ? value : datumCopy(value, false, len);
	r->nulls[col] = false;
	MemoryContextSwitchTo(old);
}

/* Sets a uuid column of the result. */
static void
set_uuid(CalBooking *r, int col, Datum value, MemoryContext cxt)
{
	set_result(r, col, value, false, UUID_LEN, cxt);
}

/* Sets a text column of the result. */
static void
set_text(CalBooking *r, int col, const char *value, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	r->values[col] = CStringGetTextDatum(value);
	r->nulls[col] = false;
	MemoryContextSwitchTo(old);
}

/* Errors out when argument argno is NULL. */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name),
				 errhint("A Cal.com booking event carries payload.eventTypeId, payload.uid, payload.startTime and payload.endTime.")));
}

/* The checks of record_cal_booking's arguments. */
static void
check_arguments(FunctionCallInfo fcinfo)
{
	TimestampTz start,
				end;

	require_arg(fcinfo, ARG_EVENT_TYPE, "event_type_id");
	require_arg(fcinfo, ARG_UID, "booking_uid");
	require_arg(fcinfo, ARG_START, "start_time");
	require_arg(fcinfo, ARG_END, "end_time");
	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(ARG_UID)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("booking_uid must not be empty")));
	start = PG_GETARG_TIMESTAMPTZ(ARG_START);
	end = PG_GETARG_TIMESTAMPTZ(ARG_END);
	if (end <= start || end - start > VP_SLOT_MAX_DURATION_USECS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a Cal.com booking must end after it starts and last at most " VP_SLOT_MAX_DURATION_TEXT),
				 errdetail("The booking runs from %s to %s.", pstrdup(timestamptz_to_str(start)),
						   pstrdup(timestamptz_to_str(end)))));
}

/* The pending confirmation call of the appointment, into the result. */
static void
note_confirmation(CalBooking *r, Datum org, Datum appointment, MemoryContext cxt)
{
	Datum		v[2] = {org, appointment};
	bool		isnull;
	Datum		at;

	vp_execute(&queued_confirmation, v, NULL, 1);
	if (SPI_processed == 0)
		return;
	at = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
	set_result(r, RESULT_CONFIRMATION, at, true, sizeof(TimestampTz), cxt);
}

/*
 * Step 1: a booking uid recorded before.  True (and the result filled)
 * when it was; the host accepting a requested booking clears awaiting_host
 * (its trigger queues the confirmation call).
 */
static bool
recorded_before(FunctionCallInfo fcinfo, Datum owner_org, CalBooking *r, MemoryContext cxt)
{
	Datum		uid = PG_GETARG_DATUM(ARG_UID);
	bool		isnull;
	Datum		org,
				id;
	bool		accepted;

	vp_execute(&lock_booking_uid, (Datum[]) {uid, (Datum) 0}, " n", 0);
	vp_execute(&known_booking, (Datum[]) {uid, owner_org}, NULL, 0);
	if (SPI_processed == 0)
		return false;
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("Cal.com booking uid %s names more than one appointment", TextDatumGetCString(uid))));
	org = vp_getdatum(0, KNOWN_COL_ORG, &isnull);
	set_uuid(r, RESULT_ORG, org, cxt);
	id = vp_getdatum(0, KNOWN_COL_ID, &isnull);
	set_uuid(r, RESULT_APPOINTMENT, id, cxt);
	set_uuid(r, RESULT_LEAD, vp_getdatum(0, KNOWN_COL_CONTACT, &isnull), cxt);
	accepted = DatumGetBool(vp_getdatum(0, KNOWN_COL_AWAITING, &isnull)) &&
		!PG_GETARG_BOOL(ARG_AWAITING_HOST) &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, KNOWN_COL_STATUS), "booked") == 0;
	org = r->values[RESULT_ORG];
	id = r->values[RESULT_APPOINTMENT];
	if (accepted)
	{
		Datum		v[2] = {org, id};

		vp_execute(&host_accepted, v, NULL, 0);
	}
	set_text(r, RESULT_ACTION, accepted ? "host_accepted" : "already_recorded", cxt);
	note_confirmation(r, org, id, cxt);
	return true;
}

/*
 * Step 1, cont.: a uid Cal.com already cancelled, rejected or moved away
 * is not recorded (the answer says which); true when it was.
 */
static bool
gone_already(FunctionCallInfo fcinfo, CalBooking *r, MemoryContext cxt)
{
	Datum		uid = PG_GETARG_DATUM(ARG_UID);
	bool		isnull;
	char	   *event;

	vp_execute(&cancelled_before, &uid, NULL, 1);
	if (SPI_processed == 0)
		vp_execute(&moved_before, &uid, NULL, 1);
	if (SPI_processed == 0)
		return false;
	event = TextDatumGetCString(vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
	set_text(r, RESULT_ACTION, strcmp(event, "BOOKING_RESCHEDULED") == 0 ? "moved_before" : "cancelled_before", cxt);
	set_text(r, RESULT_NOTE, psprintf("Cal.com sent %s for this booking before: it is not recorded", event), cxt);
	return true;
}

/*
 * Step 2: a live hold or booking of the calendar that the booking overlaps
 * is a conflict; expired holds it overlaps are cancelled first.
 */
static void
refuse_conflict(Datum org, Datum broker, bool has_broker, const char *calendar, FunctionCallInfo fcinfo)
{
	Datum		v[4] = {org, broker, PG_GETARG_DATUM(ARG_START), PG_GETARG_DATUM(ARG_END)};
	char		n[4] = {' ', has_broker ? ' ' : 'n', ' ', ' '};
	HeapTuple	row;
	TupleDesc	desc;
	char	   *other_uid;

	vp_execute(&cancel_expired, v, n, 0);
	vp_execute(&overlapping, v, n, 1);
	if (SPI_processed == 0)
		return;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	other_uid = SPI_getvalue(row, desc, 3);
	ereport(ERROR,
			(errcode(ERRCODE_EXCLUSION_VIOLATION),
			 errmsg("the Cal.com booking %s overlaps %s %s on the calendar of %s",
					TextDatumGetCString(PG_GETARG_DATUM(ARG_UID)),
					strcmp(SPI_getvalue(row, desc, 2), "held") == 0 ? "the live hold" : "the booked appointment",
					SPI_getvalue(row, desc, 1), calendar),
			 errdetail("The booking runs from %s; the other one from %s to %s UTC%s.",
					   pstrdup(timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(ARG_START))),
					   SPI_getvalue(row, desc, 4), SPI_getvalue(row, desc, 5),
					   other_uid ? psprintf(" (Cal.com booking %s)", other_uid) : ""),
			 errhint("Cancel or move one of the two, then run the event again with vapi_pool.replay_event(id).")));
}

/* The text argument argno, or (Datum) 0 with its SPI null flag. */
static Datum
text_or_null(FunctionCallInfo fcinfo, int argno, char *null)
{
	*null = PG_ARGISNULL(argno) ? 'n' : ' ';
	return PG_ARGISNULL(argno) ? (Datum) 0 : PG_GETARG_DATUM(argno);
}

/*
 * Step 3: the lead, found by e-mail or phone or made from the attendee, and
 * what it lacked filled in; *created when made.  The booking is its
 * consent (step 4).
 */
static Datum
lead_of_attendee(FunctionCallInfo fcinfo, Datum org, Datum broker, bool has_broker, Datum region,
				 bool *created)
{
	Datum		a[5];
	char		an[5];
	Datum		v[8];
	char		n[8];
	bool		isnull;
	Datum		lead;

	a[0] = text_or_null(fcinfo, ARG_PHONE, &an[0]);
	a[1] = region;
	an[1] = ' ';
	a[2] = text_or_null(fcinfo, ARG_EMAIL, &an[2]);
	a[3] = text_or_null(fcinfo, ARG_ZONE, &an[3]);
	a[4] = text_or_null(fcinfo, ARG_NAME, &an[4]);
	vp_execute(&attendee, a, an, 1);

	v[0] = org;
	n[0] = ' ';
	n[1] = ' ';
	for (int col = ATTENDEE_COL_PHONE; col <= ATTENDEE_COL_LAST; col++)
	{
		v[col + 1] = vp_getdatum(0, col, &isnull);
		n[col + 1] = isnull ? 'n' : ' ';
	}
	/* an e164 is an int64: copied out of the result, which later statements free */
	if (n[2] == ' ')
		v[2] = Int64GetDatum(DatumGetInt64(v[2]));
	for (int i = 3; i < 7; i++)
		if (n[i] == ' ')
			v[i] = PointerGetDatum(DatumGetTextPCopy(v[i]));
	v[7] = broker;
	n[7] = has_broker ? ' ' : 'n';

	{
		Datum		f[3] = {org, v[3], v[2]};
		char		fn[3] = {' ', n[3], n[2]};

		vp_execute(&lock_attendee, f, fn, 0);
		vp_execute(&find_lead, f, fn, 1);
	}
	if (SPI_processed == 1)
	{
		lead = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
		lead = datumCopy(lead, false, UUID_LEN);
		v[1] = lead;
		vp_execute(&fill_lead, v, n, 0);
		*created = false;
	}
	else
	{
		v[1] = (Datum) 0;
		n[1] = 'n';
		vp_execute(&make_lead, v, n, 0);
		lead = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
		lead = datumCopy(lead, false, UUID_LEN);
		*created = true;
	}

	{
		Datum		c[5] = {org, lead, PG_GETARG_DATUM(ARG_UID), PG_GETARG_DATUM(ARG_START),
		PG_ARGISNULL(ARG_BOOKED_AT) ? TimestampTzGetDatum(GetCurrentTransactionStartTimestamp())
		: PG_GETARG_DATUM(ARG_BOOKED_AT)};

		vp_execute(&record_consent, c, NULL, 0);
	}
	return lead;
}

/*
 * Lends the lead a number (assign_number), in a subtransaction rolled back
 * before any error goes up.  An exhausted pool (53000) is not the server
 * running out of something: it is raised again as 55000, so that
 * receive_webhook keeps the event as failed (a dead letter to replay once
 * numbers are added) instead of aborting the transaction and losing the
 * booking.  Every other error goes up as it is.
 */
/* lend_or_refuse's step: assign_number for the lead (arg: a Datum *). */
static void
lend_step(void *arg)
{
	vp_execute(&lend_number, (Datum *) arg, NULL, 0);
}

static void
lend_or_refuse(Datum lead)
{
	ErrorData  *failure = vp_in_subtransaction_catching(lend_step, &lead, ERRCODE_INSUFFICIENT_RESOURCES);

	if (failure == NULL)
		return;
	if (failure->sqlerrcode != ERRCODE_INSUFFICIENT_RESOURCES)
		ReThrowError(failure);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("no number is free for the Cal.com booking: %s", failure->message),
			 failure->detail ? errdetail_internal("%s", failure->detail) : 0,
			 errhint("Add numbers with vapi_pool.add_pool_number(), then run the event again with vapi_pool.replay_event(id).")));
}

/*
 * Step 5: the lead's number of the broker, lent now or kept, held until
 * after the appointment; a note in the result when none is lent.
 */
static void
number_for_booking(FunctionCallInfo fcinfo, CalBooking *r, Datum org, Datum broker, Datum lead,
				   MemoryContext cxt)
{
	bool		isnull;
	Datum		assignment;
	bool		lent = false;

	vp_execute(&live_assignment, (Datum[]) {org, lead}, NULL, 0);
	if (SPI_processed == 1)
	{
		Datum		holder = vp_getdatum(0, LIVE_COL_BROKER, &isnull);

		assignment = vp_getdatum(0, LIVE_COL_ID, &isnull);
		set_uuid(r, RESULT_ASSIGNMENT, assignment, cxt);
		set_result(r, RESULT_NUMBER, vp_getdatum(0, LIVE_COL_NUMBER, &isnull), true, sizeof(int64), cxt);
		if (!DatumGetBool(DirectFunctionCall2(uuid_eq, holder, broker)))
		{
			set_text(r, RESULT_NOTE,
					 psprintf("the lead keeps the number of broker \"%s\" they hold; no number of this broker was lent",
							  SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, LIVE_COL_BROKER_NAME)),
					 cxt);
			return;
		}
	}
	else
	{
		lend_or_refuse(lead);
		set_uuid(r, RESULT_ASSIGNMENT, vp_getdatum(0, 1, &isnull), cxt);
		set_result(r, RESULT_NUMBER, vp_getdatum(0, 2, &isnull), true, sizeof(int64), cxt);
		lent = true;
	}
	/* a number waiting for its call is held by the appointment itself meanwhile (VP_APPOINTMENT_HOLDS_NUMBER) */
	vp_hold_for_appointment(org, r->values[RESULT_ASSIGNMENT], PG_GETARG_DATUM(ARG_END), !lent);
}

/*
 * SQL: record_cal_booking(event_type_id, booking_uid, start_time, end_time,
 * attendee_name, attendee_email, attendee_phone, attendee_timezone,
 * awaiting_host, hold_id, booked_at) -> cal_booking.  See the file header.
 */
Datum
vapi_pool_record_cal_booking(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	CalBooking	r;
	TupleDesc	desc;
	Datum		event_type;
	Datum		org,
				broker,
				region,
				lead,
				appointment;
	bool		has_broker,
				pool_active,
				isnull,
				created;
	char	   *calendar;

	check_arguments(fcinfo);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "record_cal_booking must return a composite type");
	for (int i = 0; i < lengthof(r.values); i++)
	{
		r.values[i] = (Datum) 0;
		r.nulls[i] = true;
	}
	set_result(&r, RESULT_LEAD_CREATED, BoolGetDatum(false), true, 1, cxt);

	vp_spi_connect();
	event_type = PG_GETARG_DATUM(ARG_EVENT_TYPE);
	vp_execute(&event_type_owner, &event_type, NULL, 2);
	if (SPI_processed != 1)
	{
		if (SPI_processed > 1)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("Cal.com event type " INT64_FORMAT " belongs to more than one calendar",
							PG_GETARG_INT64(ARG_EVENT_TYPE))));
		set_text(&r, RESULT_ACTION, "unknown_event_type", cxt);
		set_text(&r, RESULT_NOTE, "no broker or organisation has this Cal.com event type (brokers.cal_event_type_id, orgs.cal_event_type_id)", cxt);
		SPI_finish();
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, r.values, r.nulls)));
	}
	set_uuid(&r, RESULT_ORG, vp_getdatum(0, OWNER_COL_ORG, &isnull), cxt);
	org = r.values[RESULT_ORG];
	broker = vp_getdatum(0, OWNER_COL_BROKER, &isnull);
	has_broker = !isnull;
	if (has_broker)
		broker = datumCopy(broker, false, UUID_LEN);
	calendar = has_broker ? psprintf("broker \"%s\"", SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, OWNER_COL_NAME))
		: psprintf("\"%s\"", SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, OWNER_COL_NAME));
	pool_active = DatumGetBool(vp_getdatum(0, OWNER_COL_POOL_ACTIVE, &isnull));
	region = PointerGetDatum(DatumGetTextPCopy(vp_getdatum(0, OWNER_COL_REGION, &isnull)));

	/* 1. recorded before, cancelled or moved before, or a hold of ours */
	if (recorded_before(fcinfo, org, &r, cxt) || gone_already(fcinfo, &r, cxt))
	{
		SPI_finish();
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, r.values, r.nulls)));
	}
	if (!PG_ARGISNULL(ARG_HOLD_ID))
	{
		vp_execute(&own_hold, (Datum[]) {org, PG_GETARG_DATUM(ARG_HOLD_ID)}, NULL, 1);
		if (SPI_processed == 1)
		{
			set_uuid(&r, RESULT_APPOINTMENT, vp_getdatum(0, 1, &isnull), cxt);
			set_uuid(&r, RESULT_LEAD, vp_getdatum(0, 2, &isnull), cxt);
			set_text(&r, RESULT_ACTION, "own_booking", cxt);
			set_text(&r, RESULT_NOTE, "an assistant booked it for a hold of ours: the dispatcher records it with confirm_slot", cxt);
			SPI_finish();
			PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, r.values, r.nulls)));
		}
	}

	/* 2. a conflict with a live hold or booking */
	refuse_conflict(org, broker, has_broker, calendar, fcinfo);

	/* 3, 4. the lead and its consent */
	lead = lead_of_attendee(fcinfo, org, broker, has_broker, region, &created);
	set_uuid(&r, RESULT_LEAD, lead, cxt);
	set_result(&r, RESULT_LEAD_CREATED, BoolGetDatum(created), true, 1, cxt);

	/* 5. the number */
	if (has_broker && pool_active)
	{
		vp_execute(&lead_has_phone, (Datum[]) {org, lead}, NULL, 0);
		if (DatumGetBool(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)))
			number_for_booking(fcinfo, &r, org, broker, lead, cxt);
		else
			set_text(&r, RESULT_NOTE, "the lead has no phone number: no number was lent (a pool number is for calls "
					 "with the lead, who calls from a number we know)", cxt);
	}
	else if (has_broker)
		set_text(&r, RESULT_NOTE, psprintf("the number pool of %s is not active: no number was lent", calendar), cxt);

	/* 6. the appointment (its trigger queues the confirmation call) */
	{
		Datum		v[7] = {org, lead, broker, PG_GETARG_DATUM(ARG_START), PG_GETARG_DATUM(ARG_END),
		PG_GETARG_DATUM(ARG_UID), PG_GETARG_DATUM(ARG_AWAITING_HOST)};
		char		n[7] = {' ', ' ', has_broker ? ' ' : 'n', ' ', ' ', ' ', ' '};

		if (PG_ARGISNULL(ARG_AWAITING_HOST))
			v[6] = BoolGetDatum(false);
		vp_execute(&insert_appointment, v, n, 0);
		appointment = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
		set_uuid(&r, RESULT_APPOINTMENT, appointment, cxt);
	}
	set_text(&r, RESULT_ACTION, "recorded", cxt);
	note_confirmation(&r, org, r.values[RESULT_APPOINTMENT], cxt);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, r.values, r.nulls)));
}

/* ---------------------------------------------------------------- the confirmation call */

/*
 * What a confirmation call needs: the organisation's lead time, the
 * appointment (booked, not awaiting its host), its lead's live assignment of
 * the appointment's broker and phone.
 */
static VpPlan confirmation_facts = {
	.sql = "SELECT ap.org_id, ap.contact_id, ap.scheduled_at, o.confirmation_call_before,"
	"   (SELECT a.id FROM vapi_pool.vapi_number_assignments a"
	"     WHERE a.org_id = ap.org_id AND a.lead_id = ap.contact_id AND a.broker_id = ap.broker_id"
	"       AND a.status <> 'released'),"
	"   l.primary_phone_e164 IS NOT NULL"
	" FROM vapi_pool.appointments ap"
	" JOIN vapi_pool.orgs o ON o.org_id = ap.org_id"
	" JOIN vapi_pool.leads l ON l.org_id = ap.org_id AND l.id = ap.contact_id"
	" WHERE ap.id = $1 AND ap.status = 'booked' AND NOT ap.awaiting_host AND ap.broker_id IS NOT NULL"
	"   AND o.confirmation_call_before IS NOT NULL",
	.nargs = 1, .argtypes = {UUIDOID}
};

enum
{
	FACTS_COL_ORG = 1,
	FACTS_COL_LEAD,
	FACTS_COL_START,
	FACTS_COL_BEFORE,
	FACTS_COL_ASSIGNMENT,
	FACTS_COL_HAS_PHONE
};

/* The earliest the call may be placed: the lead time before the start, or now. */
static VpPlan confirmation_earliest = {
	.sql = "SELECT greatest($1 - $2, pg_catalog.now())",
	.nargs = 2, .argtypes = {TIMESTAMPTZOID, INTERVALOID}
};

/*
 * The create-call job of the confirmation: the pool's shape, one attempt
 * (no unreachable text), plus the appointment; keyed by the appointment and
 * how many confirmation calls it had (counted by their keys, which the
 * purge of personal data leaves as they are), so a moved appointment (even
 * moved back) gets a call of its own.  $4 (the start) is not used.
 */
static VpPlan queue_confirmation = {
	.sql = VP_CREATE_CALL_INSERT("1", "2")
	"     'appointment_id', $3, 'purpose', 'confirm_appointment'),"
	"   'confirm:' || $3::text || ':' || (SELECT pg_catalog.count(*) + 1 FROM vapi_pool.outbox c"
	"     WHERE c.org_id = $1 AND c.idempotency_key LIKE 'confirm:' || $3::text || ':%'), $5"
	VP_CREATE_CALL_FROM
	" RETURNING run_at",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/*
 * SQL: queue_confirmation_call(appointment_id) -> timestamptz.  See the file
 * header; NULL when no call is queued.
 */
Datum
vapi_pool_queue_confirmation_call(PG_FUNCTION_ARGS)
{
	Datum		appointment;
	Datum		org,
				lead,
				start,
				assignment,
				before;
	bool		isnull,
				no_assignment;
	TimestampTz earliest,
				at;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	appointment = PG_GETARG_DATUM(0);
	vp_spi_connect();
	vp_execute(&confirmation_facts, &appointment, NULL, 0);
	if (SPI_processed == 0 || !DatumGetBool(vp_getdatum(0, FACTS_COL_HAS_PHONE, &isnull)))
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	/* the facts' row lives until the next statement: what is read from it is copied */
	assignment = vp_getdatum(0, FACTS_COL_ASSIGNMENT, &no_assignment);
	if (no_assignment)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	assignment = datumCopy(assignment, false, UUID_LEN);
	org = datumCopy(vp_getdatum(0, FACTS_COL_ORG, &isnull), false, UUID_LEN);
	lead = datumCopy(vp_getdatum(0, FACTS_COL_LEAD, &isnull), false, UUID_LEN);
	start = vp_getdatum(0, FACTS_COL_START, &isnull);
	before = datumCopy(vp_getdatum(0, FACTS_COL_BEFORE, &isnull), false, sizeof(Interval));

	/* one pending confirmation call at a time: asked again, its time */
	vp_execute(&queued_confirmation, (Datum[]) {org, appointment}, NULL, 1);
	if (SPI_processed == 1)
	{
		at = DatumGetTimestampTz(vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
		SPI_finish();
		PG_RETURN_TIMESTAMPTZ(at);
	}
	vp_execute(&confirmation_earliest, (Datum[]) {start, before}, NULL, 0);
	earliest = DatumGetTimestampTz(vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
	at = vp_next_call_time(org, lead, (Datum) 0, earliest, NULL);
	if (at == DT_NOEND || at > DatumGetTimestampTz(start) - CONFIRMATION_MIN_AHEAD_USECS)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	{
		Datum		v[5] = {org, assignment, appointment, start, TimestampTzGetDatum(at)};

		vp_execute(&queue_confirmation, v, NULL, 0);
	}
	if (SPI_processed == 0)
	{
		/* the lead may not be called (no consent evidence): nothing was queued */
		SPI_finish();
		PG_RETURN_NULL();
	}
	at = DatumGetTimestampTz(vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
	vp_outbox_notify();
	SPI_finish();
	PG_RETURN_TIMESTAMPTZ(at);
}
