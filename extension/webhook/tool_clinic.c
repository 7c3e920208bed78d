/*
 * tool_clinic.c
 *	  The clinic receptionist's tools (seed 004's "Voxanne", release 0.6.0):
 *	  everything she needs to book, answered from the database.
 *
 *	 save_caller_details     the caller's name and e-mail on their contact
 *	                         (a new caller becomes one, linked to the call)
 *	 check_availability      free times of the clinic's own calendar: its
 *	                         opening hours (clinic_hours) less bookings and
 *	                         live holds, or its Cal.com event type's slots
 *	                         (a GET /slots while Vapi waits); remembered as
 *	                         offered in the call (offer_free_slots)
 *	 claim_slot_atomic       a hold on a time, named as offered ("Tuesday,
 *	                         November 24 at 9:00 AM", "Tuesday at 9", "the
 *	                         second one": offered_slots.c) or in ISO 8601
 *	 confirm_booking         the hold booked (confirm_slot), or with an event
 *	                         type first booked in Cal.com (POST /bookings)
 *	 reschedule_appointment  the same, and the caller's old appointment
 *	                         cancelled once the new one is booked
 *	 list_appointments       the caller's upcoming appointments
 *	 cancel_appointment      one of them cancelled (release_slot, which also
 *	                         cancels it in Cal.com)
 *
 * Whose: the contact is the call's (its log's lead, else the caller's number;
 * call_contact.c), never an id the model passes, so a caller holds, books,
 * moves and cancels only their own appointments.  Every tool runs in a
 * subtransaction: what fails changes nothing and becomes the item's error.
 *
 * The answers are read by a language model that speaks to the caller: each
 * is sentences, says what to do next, and carries what must be passed back
 * (the hold id, the appointment id, the times as written).
 */
#include "pool/call_contact.h"
#include "core/chars.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/subtransaction.h"
#include "outbox/outbox.h"
#include "slots/offered_slots.h"
#include "webhook/tool_clinic.h"
#include "webhook/tool_common.h"
#include "webhook/webhook.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* how many free times a check offers at most */
#define OFFERED_AT_ONCE "6"

/* the steps of a tool waiting for Cal.com (pending items' "step") */
#define STEP_PREFIX "clinic_"
#define STEP_CHECK STEP_PREFIX "check"
#define STEP_BOOK STEP_PREFIX "book"

/* release_slot's reasons */
#define REASON_RESCHEDULED "rescheduled by the caller"
#define REASON_CANCELLED "cancelled by the caller"
#define REASON_TAKEN "taken in Cal.com"
#define REASON_REFUSED "refused by Cal.com"
#define REASON_UNANSWERED "Cal.com did not answer"

/* what the model is told to do after a list of free times */
#define AFTER_FREE_TIMES \
	" To hold one, call claim_slot_atomic with slot_time set to the time exactly as written here" \
	" (or as the caller said it, for example \"Tuesday at 9\")."
#define AFTER_NO_FREE_TIMES " Ask the caller for another day and check that date."

/* ---------------------------------------------------------------- plans */

/*
 * The clinic's calendar and the call, as one context the steps carry: the
 * organisation, its zone, event type, booking settings, the call and the
 * day asked for.
 */
static VpPlan clinic_context = {
	.sql = "SELECT pg_catalog.jsonb_build_object('org_id', o.org_id, 'timezone', o.timezone::text,"
	"   'event_type_id', o.cal_event_type_id, 'call_id', $2::text, 'date', $3::date,"
	"   'appointment_minutes', o.appointment_minutes, 'horizon_days', o.booking_horizon_days,"
	"   'hold_minutes', o.booking_hold_minutes, 'language', o.language),"
	"   o.cal_event_type_id IS NOT NULL, o.is_clinic"
	" FROM vapi_pool.orgs o WHERE o.org_id = $1",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, TEXTOID}
};

/* the columns of clinic_context */
enum
{
	CONTEXT_COL_JSON = 1,
	CONTEXT_COL_HAS_EVENT_TYPE,
	CONTEXT_COL_IS_CLINIC
};

/*
 * The free times of the clinic's own calendar, offered in the call: its
 * free starts written as a Cal.com slots answer for offer_free_slots, and
 * whether the clinic has opening hours at all.
 */
static VpPlan offer_own_calendar = {
	.sql = "SELECT vapi_pool.offer_free_slots(($1 ->> 'org_id')::uuid, NULL, $1 ->> 'call_id', $1 ->> 'timezone',"
	"   pg_catalog.jsonb_build_object('data', pg_catalog.jsonb_build_object('free', coalesce(pg_catalog.jsonb_agg("
	"     pg_catalog.jsonb_build_object('start', t, 'end', t + ($1 ->> 'appointment_minutes')::integer * interval '1 minute')"
	"     ORDER BY t), '[]'::jsonb))), " OFFERED_AT_ONCE ", NULL, ($1 ->> 'date')::date),"
	"   EXISTS (SELECT FROM vapi_pool.clinic_hours h WHERE h.org_id = ($1 ->> 'org_id')::uuid)"
	" FROM pg_catalog.unnest(vapi_pool.clinic_free_starts(($1 ->> 'org_id')::uuid, ($1 ->> 'date')::date)) t",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* the columns of offer_own_calendar */
enum
{
	OFFER_COL_LINE = 1,
	OFFER_COL_HAS_HOURS
};

/* Cal.com's free times (a GET /slots answer), offered in the call */
static VpPlan offer_cal_slots = {
	.sql = "SELECT vapi_pool.offer_free_slots(($1 ->> 'org_id')::uuid, NULL, $1 ->> 'call_id', $1 ->> 'timezone',"
	"   $2, " OFFERED_AT_ONCE ", NULL, ($1 ->> 'date')::date)",
	.nargs = 2, .argtypes = {JSONBOID, JSONBOID}
};

static VpPlan pending_check = {
	.sql = "SELECT vapi_pool.tool_pending($1, $2, '" STEP_CHECK "', $3, " VP_CAL_SLOTS_REQUEST_SQL("$3") ")::text",
	.nargs = 3, .argtypes = {TEXTOID, TEXTOID, JSONBOID}
};

/*
 * An ISO 8601 start (in the clinic's zone when it has no offset), with the
 * length it was offered with in this call, else the clinic's; and whether
 * it lies in the opening hours, at least the notice from now (only asked
 * of a clinic without an event type: Cal.com knows its own hours).
 */
static VpPlan iso_slot = {
	.sql = "SELECT s.t, coalesce((SELECT o.ends_at - o.starts_at FROM vapi_pool.offered_slots o"
	"     WHERE o.org_id = ($2 ->> 'org_id')::uuid AND o.vapi_call_id = $2 ->> 'call_id' AND o.broker_id IS NULL"
	"       AND o.starts_at = s.t ORDER BY o.round DESC LIMIT 1),"
	"     ($2 ->> 'appointment_minutes')::integer * interval '1 minute') AS length,"
	"   vapi_pool.spoken_time(s.t, $2 ->> 'timezone'), s.t >= pg_catalog.now() + g.booking_notice_minutes * interval '1 minute'"
	"   AND EXISTS (SELECT FROM vapi_pool.clinic_hours h, LATERAL (SELECT s.t AT TIME ZONE g.timezone AS l) x"
	"     WHERE h.org_id = g.org_id AND h.weekday = pg_catalog.date_part('isodow', x.l)"
	"       AND x.l >= x.l::date + h.opens"
	"       AND x.l + ($2 ->> 'appointment_minutes')::integer * interval '1 minute' <= x.l::date + h.closes)"
	" FROM (SELECT CASE WHEN " VP_ISO_TIME_HAS_ZONE("$1") " THEN $1::timestamptz"
	"   ELSE $1::timestamp AT TIME ZONE ($2 ->> 'timezone') END AS t) s"
	" JOIN vapi_pool.orgs g ON g.org_id = ($2 ->> 'org_id')::uuid",
	.nargs = 2, .argtypes = {TEXTOID, JSONBOID}
};

/* an offered slot's start and length */
static VpPlan offered_slot = {
	.sql = "SELECT o.starts_at, o.ends_at - o.starts_at, o.label, true"
	" FROM vapi_pool.offered_slots o WHERE o.org_id = $1 AND o.id = $2",
	.nargs = 2, .argtypes = {UUIDOID, INT8OID}
};

/* the columns of iso_slot and offered_slot */
enum
{
	SLOT_COL_START = 1,
	SLOT_COL_LENGTH,
	SLOT_COL_LABEL,
	SLOT_COL_BOOKABLE
};

static VpPlan hold_slot = {
	.sql = "SELECT vapi_pool.claim_slot_atomic($1, $2, ($3 ->> 'org_id')::uuid, NULL, $4,"
	"   ($3 ->> 'hold_minutes')::integer * interval '1 minute')",
	.nargs = 4, .argtypes = {TIMESTAMPTZOID, UUIDOID, JSONBOID, INTERVALOID}
};

/* a hold just placed, as the assistant reads it (its own statement: the claim's snapshot has not got it) */
static VpPlan held_slot = {
	.sql = "SELECT vapi_pool.spoken_time(a.scheduled_at, $3 ->> 'timezone'),"
	"   pg_catalog.to_char(a.hold_expires_at AT TIME ZONE ($3 ->> 'timezone'), 'FMHH12:MI AM')"
	" FROM vapi_pool.appointments a WHERE a.org_id = $1 AND a.hold_id = $2",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, JSONBOID}
};

/* the columns of held_slot */
enum
{
	HELD_COL_LABEL = 1,
	HELD_COL_UNTIL
};

/* the caller's hold (or booking) on the clinic's own calendar, locked */
static VpPlan caller_hold = {
	.sql = "SELECT a.status, a.hold_expires_at > pg_catalog.now(), vapi_pool.spoken_time(a.scheduled_at, $4 ->> 'timezone')"
	" FROM vapi_pool.appointments a"
	" WHERE a.org_id = $1 AND a.hold_id = $2 AND a.contact_id = $3 AND a.broker_id IS NULL"
	" FOR NO KEY UPDATE",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, UUIDOID, JSONBOID}
};

/* the columns of caller_hold */
enum
{
	HOLD_COL_STATUS = 1,
	HOLD_COL_LIVE,
	HOLD_COL_LABEL
};

/*
 * One upcoming appointment of the caller, named by its appointment id (the
 * hold id), its row id, or its time as the tools wrote it (a zone in
 * parentheses aside).
 */
static VpPlan caller_appointment = {
	.sql = "SELECT a.hold_id, vapi_pool.spoken_time(a.scheduled_at, $4 ->> 'timezone')"
	" FROM vapi_pool.appointments a"
	" WHERE a.org_id = $1 AND a.contact_id = $3 AND a.broker_id IS NULL AND a.status IN ('held', 'booked')"
	"   AND a.ends_at > pg_catalog.now()"
	"   AND (a.hold_id::text = pg_catalog.lower(pg_catalog.btrim($2)) OR a.id::text = pg_catalog.lower(pg_catalog.btrim($2))"
	"     OR pg_catalog.lower(vapi_pool.spoken_time(a.scheduled_at, $4 ->> 'timezone'))"
	"        = pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace($2, '\\(.*\\)', '', 'g'))))"
	" ORDER BY a.scheduled_at",
	.nargs = 4, .argtypes = {UUIDOID, TEXTOID, UUIDOID, JSONBOID}
};

/* the columns of caller_appointment */
enum
{
	APPOINTMENT_COL_HOLD_ID = 1,
	APPOINTMENT_COL_LABEL
};

/* the caller's upcoming bookings, as one line; empty when there are none */
static VpPlan caller_bookings = {
	.sql = "SELECT coalesce(pg_catalog.string_agg(vapi_pool.spoken_time(a.scheduled_at, $3 ->> 'timezone')"
	"     || ' (appointment_id ' || a.hold_id || ')', '; ' ORDER BY a.scheduled_at), '')"
	" FROM vapi_pool.appointments a"
	" WHERE a.org_id = $1 AND a.contact_id = $2 AND a.broker_id IS NULL AND a.status = 'booked'"
	"   AND a.ends_at > pg_catalog.now()",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, JSONBOID}
};

static VpPlan book_own = {
	.sql = "SELECT (vapi_pool.confirm_slot($1, NULL)).status",
	.nargs = 1, .argtypes = {UUIDOID}
};

static VpPlan book_cal = {
	.sql = "SELECT (vapi_pool.confirm_slot($1, $2)).status",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

static VpPlan release = {
	.sql = "SELECT (vapi_pool.release_slot($1, $2)).status",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

/*
 * The booking request for a hold, with what finishing it needs in the
 * context: the hold, its time, the appointment it replaces.
 */
static VpPlan pending_book = {
	.sql = "WITH c AS (SELECT $3 || pg_catalog.jsonb_build_object('hold_id', a.hold_id, 'lead_id', a.contact_id,"
	"     'label', vapi_pool.spoken_time(a.scheduled_at, $3 ->> 'timezone'), 'replaces', $4::uuid, 'replaces_label', $5::text,"
	"     'body', vapi_pool.cal_booking_body(($3 ->> 'event_type_id')::bigint, a.scheduled_at, l.name, $3 ->> 'timezone',"
	"       l.email, l.primary_phone_e164::text, l.id, a.hold_id, $3 ->> 'language')) AS ctx"
	"   FROM vapi_pool.appointments a JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.contact_id"
	"   WHERE a.org_id = ($3 ->> 'org_id')::uuid AND a.hold_id = $6)"
	" SELECT vapi_pool.tool_pending($1, $2, '" STEP_BOOK "', c.ctx, vapi_pool.cal_bookings_request('/bookings',"
	"   (c.ctx -> 'body')::text, vapi_pool.tool_request_timeout_ms()))::text"
	" FROM c",
	.nargs = 6, .argtypes = {TEXTOID, TEXTOID, JSONBOID, UUIDOID, TEXTOID, UUIDOID}
};

/* the booking goes on in the outbox (as check_availability_and_book's does); the hold stays */
static VpPlan queue_booking = {
	.sql = VP_QUEUE_CAL_BOOKING_SQL,
	.nargs = 1, .argtypes = {JSONBOID}
};

static VpPlan valid_email = {
	.sql = "SELECT $1::vapi_pool.email_address",
	.nargs = 1, .argtypes = {TEXTOID}
};

static VpPlan save_details = {
	.sql = "UPDATE vapi_pool.leads SET first_name = coalesce($3, first_name), last_name = coalesce($4, last_name),"
	"   email = coalesce($5::vapi_pool.email_address, email)"
	" WHERE org_id = $1 AND id = $2"
	" RETURNING coalesce(name, 'not given'), coalesce(email::text, 'not given'), coalesce(primary_phone_e164::text, 'unknown')",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID}
};

/* the columns of save_details */
enum
{
	SAVED_COL_NAME = 1,
	SAVED_COL_EMAIL,
	SAVED_COL_PHONE
};

/* ---------------------------------------------------------------- helpers */

/* The receptionist's tools, by name. */
static const char *const tool_names[] = {
	"save_caller_details", "check_availability", "claim_slot_atomic", "confirm_booking",
	"reschedule_appointment", "list_appointments", "cancel_appointment",
};

/* Whether name is one of the receptionist's tools. */
bool
vp_clinic_tool_known(const char *name)
{
	for (int i = 0; i < lengthof(tool_names); i++)
		if (name != NULL && strcmp(name, tool_names[i]) == 0)
			return true;
	return false;
}

/* Whether a pending item's step is one of the receptionist's. */
bool
vp_clinic_step(const char *step)
{
	return step != NULL && strncmp(step, STEP_PREFIX, strlen(STEP_PREFIX)) == 0;
}

/* The text of column col of the last result's first row, or NULL. */
static char *
text_column(int col)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return NULL;
	d = vp_getdatum(0, col, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

/* A copy of column col (a uuid) of the last result's first row. */
static Datum
uuid_column(int col)
{
	bool		isnull;

	return datumCopy(vp_getdatum(0, col, &isnull), false, UUID_LEN);
}

/* An argument as trimmed text, NULL when absent or blank. */
static char *
text_arg(Datum args, const char *key)
{
	char	   *v = vp_json_text(DatumGetJsonbP(args), (const char *[]) {key, NULL});
	char	   *end;

	if (v == NULL)
		return NULL;
	while (isspace((unsigned char) *v))
		v++;
	end = v + strlen(v);
	while (end > v && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return *v ? v : NULL;
}

/* An argument that must be an id an earlier answer gave (source: its tool), as a uuid Datum. */
static Datum
uuid_arg(Datum args, const char *key, const char *source)
{
	char	   *v = text_arg(args, key);

	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s is missing", key),
				 errhint("Pass the %s %s answered, exactly as it was written.", key, source)));
	if (!vp_is_uuid_text(v, strlen(v)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be the id %s answered, not \"%s\"", key, source, v),
				 errhint("Pass it exactly as that answer wrote it.")));
	return DirectFunctionCall1(uuid_in, CStringGetDatum(v));
}

/* The first sentence of a line (up to and with its first period). */
static char *
first_sentence(const char *line)
{
	const char *dot = strchr(line, '.');

	return dot ? pnstrdup(line, dot - line + 1) : pstrdup(line);
}

/*
 * The clinic's context (clinic_context) for the tool, with the day the
 * arguments ask for (date, YYYY-MM-DD); *has_event_type: the clinic books
 * in Cal.com.  Errors for an organisation that is no clinic.
 */
static Datum
context_of(const ClinicTool *t, bool *has_event_type)
{
	char	   *day = text_arg(t->args, "date");
	Datum		v[3];
	char		n[3] = {' ', ' ', ' '};
	bool		isnull;

	if (day != NULL && !vp_is_date_text(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("date must be written YYYY-MM-DD, not \"%s\"", day),
				 errhint("Leave date out to look at the next days.")));
	v[0] = t->org;
	v[1] = vp_text_arg(t->call_id, &n[1]);
	v[2] = vp_text_arg(day, &n[2]);
	vp_execute(&clinic_context, v, n, 1);
	if (SPI_processed == 0)
		elog(ERROR, "the organisation of the call is gone");
	/* a brokerage's calendars are its brokers': the organisation's own is a clinic's */
	if (!DatumGetBool(vp_getdatum(0, CONTEXT_COL_IS_CLINIC, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the receptionist's calendar tools are for clinics, and this organisation is not one"),
				 errhint("Use check_availability_and_book for a broker's calendar.")));
	*has_event_type = DatumGetBool(vp_getdatum(0, CONTEXT_COL_HAS_EVENT_TYPE, &isnull));
	return datumCopy(vp_getdatum(0, CONTEXT_COL_JSON, &isnull), false, -1);
}

/*
 * The caller's contact, found by the call or the caller's number, or made
 * as making says (call_contact.c); false when there is none.
 */
static bool
find_contact(ClinicTool *t, CallContactMaking making)
{
	Datum		contact;

	if (t->has_contact)
		return true;
	if (!vp_call_contact(t->org, t->call_id, t->caller, making, (Datum) 0, false, &contact))
		return false;
	t->contact = datumCopy(contact, false, UUID_LEN);
	t->has_contact = true;
	return true;
}

/* The caller's contact (find_contact); an error when there is none. */
static Datum
caller_contact(ClinicTool *t, CallContactMaking making)
{
	if (!find_contact(t, making))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the caller's number is unknown, so nothing can be kept for them yet"),
				 errhint("Ask for the caller's name and call save_caller_details first.")));
	return t->contact;
}

/* ---------------------------------------------------------------- save_caller_details */

/*
 * save_caller_details {first_name, last_name | name, email}: on the caller's
 * contact (a caller not on file becomes one, also without a number).
 */
static char *
save_caller_details(ClinicTool *t)
{
	char	   *first = text_arg(t->args, "first_name");
	char	   *last = text_arg(t->args, "last_name");
	char	   *full = text_arg(t->args, "name");
	char	   *email = text_arg(t->args, "email");
	Datum		v[5];
	char		n[5] = {' ', ' ', ' ', ' ', ' '};

	if (first == NULL && last == NULL && full != NULL)
	{
		char	   *space = strchr(full, ' ');

		/* "Jane van Dyke": the first word, and the rest */
		first = space ? pnstrdup(full, space - full) : full;
		if (space)
		{
			while (*space == ' ')
				space++;
			last = *space ? space : NULL;
		}
	}
	if (first == NULL && last == NULL && email == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("save_caller_details needs the caller's first_name, last_name or email"),
				 errhint("Ask the caller for their name, then call it again.")));
	if (email != NULL)
	{
		Datum		e = CStringGetTextDatum(email);

		if (vp_try_execute(&valid_email, &e, NULL) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the e-mail address \"%s\" is not complete", email),
					 errhint("Ask the caller to spell their e-mail address again; nothing was saved.")));
	}
	v[0] = t->org;
	v[1] = caller_contact(t, CALL_CONTACT_MAKE_ANY);
	v[2] = vp_text_arg(first, &n[2]);
	v[3] = vp_text_arg(last, &n[3]);
	v[4] = vp_text_arg(email, &n[4]);
	vp_execute(&save_details, v, n, 1);
	if (SPI_processed == 0)
		elog(ERROR, "the caller's contact is gone");
	return psprintf("Saved the caller's details: name %s; e-mail %s; phone %s. The caller is on file now.",
					text_column(SAVED_COL_NAME), text_column(SAVED_COL_EMAIL), text_column(SAVED_COL_PHONE));
}

/* ---------------------------------------------------------------- check_availability */

/* The answer of a check from its offer line (offer_free_slots'). */
static char *
free_times_answer(const char *line)
{
	char	   *first = first_sentence(line);

	return psprintf("%s%s", first, strncmp(first, "No ", 3) == 0 ? AFTER_NO_FREE_TIMES : AFTER_FREE_TIMES);
}

/*
 * check_availability {date}: the clinic's free times, from its own calendar
 * now, or asked of Cal.com (a pending item) when it has an event type.
 */
static char *
check_availability(ClinicTool *t, bool *waiting)
{
	bool		has_event_type;
	Datum		context = context_of(t, &has_event_type);
	bool		isnull;

	if (has_event_type)
	{
		Datum		v[3] = {CStringGetTextDatum(t->name), CStringGetTextDatum(t->tool_call_id), context};

		vp_execute(&pending_check, v, NULL, 1);
		*waiting = true;
		return text_column(VP_SOLE_COLUMN);
	}
	vp_execute(&offer_own_calendar, &context, NULL, 1);
	if (!DatumGetBool(vp_getdatum(0, OFFER_COL_HAS_HOURS, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the clinic has no opening hours on file, so no times can be offered"),
				 errhint("Offer to have the front desk call the caller back.")));
	return vp_tool_item(t->name, t->tool_call_id, "result", free_times_answer(text_column(OFFER_COL_LINE)));
}

/* ---------------------------------------------------------------- claim_slot_atomic */

/* What offered_slot_id needs, and the offered slot's id. */
typedef struct OfferedChoice
{
	Datum		org;
	const char *call_id;
	const char *said;
	int64		id;
} OfferedChoice;

static void
offered_choice_step(void *arg)
{
	OfferedChoice *c = arg;

	c->id = vp_offered_slot_id(c->org, c->call_id, c->said, (Datum) 0, false);
}

/*
 * The offered slot the caller's words name (offered_slots.c), its errors
 * told in the receptionist's terms: what is wrong, the candidates, what to
 * do next.
 */
static int64
offered_slot_id(const ClinicTool *t, const char *said)
{
	OfferedChoice c = {t->org, t->call_id ? t->call_id : "", said, 0};
	ErrorData  *failure = vp_in_subtransaction(offered_choice_step, &c);

	if (failure == NULL)
		return c.id;
	ereport(ERROR,
			(errcode(failure->sqlerrcode),
			 errmsg("%s", failure->message),
			 failure->detail ? errdetail("%s", failure->detail) : 0,
			 failure->sqlerrcode == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
			 ? errhint("Call check_availability first, then pass one of the times it lists as slot_time.")
			 : errhint("Ask the caller which of these they want, then pass it as slot_time exactly as written.")));
	return 0;					/* keep the compiler quiet */
}

/* A claim's arguments and its hold id. */
typedef struct ClaimStep
{
	Datum		values[4];
	Datum		hold;
} ClaimStep;

static void
claim_step(void *arg)
{
	ClaimStep  *c = arg;
	bool		isnull;

	vp_execute(&hold_slot, c->values, NULL, 1);
	c->hold = datumCopy(vp_getdatum(0, VP_SOLE_COLUMN, &isnull), false, UUID_LEN);
}

/*
 * claim_slot_atomic {slot_time}: a hold on the time, for the caller (a
 * caller not on file becomes a contact with their number).  The time is
 * one offered in the call, named as the caller chose it, or ISO 8601; a
 * clinic without an event type takes an ISO time only in its hours.
 */
static char *
claim_slot(ClinicTool *t)
{
	char	   *said = text_arg(t->args, "slot_time");
	bool		has_event_type;
	Datum		context = context_of(t, &has_event_type);
	Datum		v[2];
	bool		isnull;
	char	   *label;
	ClaimStep	claim;
	ErrorData  *failure;

	if (said == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("claim_slot_atomic needs slot_time"),
				 errhint("Pass the time the caller chose, exactly as check_availability listed it.")));
	if (vp_is_iso_time_text(said))
	{
		v[0] = CStringGetTextDatum(said);
		v[1] = context;
		if (vp_try_execute(&iso_slot, v, NULL) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
					 errmsg("\"%s\" is not a time", said),
					 errhint("Pass the time exactly as check_availability listed it.")));
		vp_execute(&iso_slot, v, NULL, 1);
		if (!has_event_type && !DatumGetBool(vp_getdatum(0, SLOT_COL_BOOKABLE, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is not a time the clinic takes appointments", text_column(SLOT_COL_LABEL)),
					 errhint("Call check_availability and offer one of the times it lists.")));
	}
	else
	{
		v[0] = t->org;
		v[1] = Int64GetDatum(offered_slot_id(t, said));
		vp_execute(&offered_slot, v, NULL, 1);
	}
	claim.values[0] = vp_getdatum(0, SLOT_COL_START, &isnull);
	claim.values[3] = datumCopy(vp_getdatum(0, SLOT_COL_LENGTH, &isnull), false, sizeof(Interval));
	label = text_column(SLOT_COL_LABEL);
	claim.values[1] = caller_contact(t, CALL_CONTACT_MAKE);
	claim.values[2] = context;

	failure = vp_in_subtransaction(claim_step, &claim);
	if (failure != NULL && failure->sqlerrcode == ERRCODE_EXCLUSION_VIOLATION)
		ereport(ERROR,
				(errcode(ERRCODE_EXCLUSION_VIOLATION),
				 errmsg("%s was just taken by someone else, so it is not held", label),
				 errhint("Apologise, call check_availability again and offer another time.")));
	if (failure != NULL)
		ReThrowError(failure);

	{
		Datum		h[3] = {t->org, claim.hold, context};

		vp_execute(&held_slot, h, NULL, 1);
		if (SPI_processed == 0)
			elog(ERROR, "the hold just placed is not visible");
		return psprintf("Held %s (%s) for the caller until %s. hold_id: %s. Read the time back to the caller; "
						"when they agree, call confirm_booking with this hold_id (to move an appointment they "
						"already have, call reschedule_appointment with its appointment_id and this hold_id).",
						text_column(HELD_COL_LABEL), vp_json_text(DatumGetJsonbP(context), (const char *[]) {"timezone", NULL}),
						text_column(HELD_COL_UNTIL), vp_uuid_string(claim.hold));
	}
}

/* ---------------------------------------------------------------- booking */

/*
 * The caller's upcoming appointment that what names (its appointment id,
 * or its time as written); *label gets its time.  An error listing the
 * caller's bookings when there is none such.
 */
static Datum
appointment_of_caller(ClinicTool *t, const char *what, Datum context, char **label)
{
	Datum		v[4];
	Datum		contact = caller_contact(t, CALL_CONTACT_FIND);
	char	   *booked;

	v[0] = t->org;
	v[1] = CStringGetTextDatum(what);
	v[2] = contact;
	v[3] = context;
	vp_execute(&caller_appointment, v, NULL, 2);
	if (SPI_processed == 1)
	{
		*label = text_column(APPOINTMENT_COL_LABEL);
		return uuid_column(APPOINTMENT_COL_HOLD_ID);
	}
	v[1] = contact;
	v[2] = context;
	vp_execute(&caller_bookings, v, NULL, 1);
	booked = text_column(VP_SOLE_COLUMN);
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("\"%s\" is not one of the caller's upcoming appointments", what),
			 booked && booked[0] ? errdetail("The caller's appointments are: %s.", booked)
			 : errdetail("The caller has no upcoming appointments."),
			 errhint("Pass the appointment_id exactly as written here.")));
	return (Datum) 0;			/* keep the compiler quiet */
}

/*
 * The caller's hold that the arguments' hold_id names, locked and live;
 * *label gets its time.  *booked: it is booked already (confirmed before).
 */
static Datum
hold_of_caller(ClinicTool *t, Datum context, char **label, bool *booked)
{
	Datum		hold = uuid_arg(t->args, "hold_id", "claim_slot_atomic");
	Datum		v[4] = {t->org, hold, caller_contact(t, CALL_CONTACT_FIND), context};
	bool		isnull;
	char	   *status;

	vp_execute(&caller_hold, v, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("there is no hold %s for this caller", vp_uuid_string(hold)),
				 errhint("Call claim_slot_atomic for the time the caller chose, then pass the hold_id it answers.")));
	status = text_column(HOLD_COL_STATUS);
	*label = text_column(HOLD_COL_LABEL);
	*booked = strcmp(status, "booked") == 0;
	if (strcmp(status, "cancelled") == 0 ||
		(!*booked && !DatumGetBool(vp_getdatum(0, HOLD_COL_LIVE, &isnull))))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the hold on %s has expired or was released, so it cannot be booked", *label),
				 errhint("Call claim_slot_atomic for that time again, then confirm_booking with the new hold_id.")));
	return hold;
}

/* Cancels the appointment a booking replaces; the sentence that says so. */
static char *
cancel_replaced(Datum replaces, const char *label)
{
	Datum		v[2] = {replaces, CStringGetTextDatum(REASON_RESCHEDULED)};

	vp_execute(&release, v, NULL, 1);
	return psprintf(" The appointment on %s is cancelled.", label);
}

/*
 * confirm_booking {hold_id} and reschedule_appointment {appointment_id,
 * hold_id}: the caller's hold booked, on the clinic's calendar at once or
 * first in Cal.com (a pending item); a rescheduled appointment is cancelled
 * once the new one is booked, never before.
 */
static char *
book(ClinicTool *t, bool rescheduling, bool *waiting)
{
	bool		has_event_type;
	Datum		context = context_of(t, &has_event_type);
	char	   *zone = vp_json_text(DatumGetJsonbP(context), (const char *[]) {"timezone", NULL});
	char	   *label;
	char	   *old_label = NULL;
	char	   *old = text_arg(t->args, rescheduling ? "appointment_id" : "replaces_appointment_id");
	Datum		replaces = (Datum) 0;
	bool		booked;
	Datum		hold;

	if (rescheduling && (old == NULL || text_arg(t->args, "hold_id") == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reschedule_appointment needs the appointment_id of the appointment to move and the hold_id of the new time"),
				 errhint("list_appointments gives the appointment_id; hold the new time with claim_slot_atomic for the hold_id.")));
	if (old != NULL)
		replaces = appointment_of_caller(t, old, context, &old_label);
	hold = hold_of_caller(t, context, &label, &booked);
	if (old != NULL && DatumGetBool(DirectFunctionCall2(uuid_eq, replaces, hold)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the new time and the appointment to move are the same"),
				 errhint("Hold the new time with claim_slot_atomic and pass its hold_id.")));
	if (booked)
		return vp_tool_item(t->name, t->tool_call_id, "result",
					psprintf("%s (%s) is already booked for the caller. appointment_id: %s.%s", label, zone,
							 vp_uuid_string(hold), old ? cancel_replaced(replaces, old_label) : ""));
	if (has_event_type)
	{
		Datum		v[6];
		char		n[6] = {' ', ' ', ' ', old ? ' ' : 'n', old ? ' ' : 'n', ' '};

		v[0] = CStringGetTextDatum(t->name);
		v[1] = CStringGetTextDatum(t->tool_call_id);
		v[2] = context;
		v[3] = replaces;
		v[4] = old ? CStringGetTextDatum(old_label) : (Datum) 0;
		v[5] = hold;
		vp_execute(&pending_book, v, n, 1);
		*waiting = true;
		return text_column(VP_SOLE_COLUMN);
	}
	vp_execute(&book_own, &hold, NULL, 1);
	return vp_tool_item(t->name, t->tool_call_id, "result",
				psprintf("Booked %s (%s) for the caller. appointment_id: %s.%s", label, zone, vp_uuid_string(hold),
						 old ? cancel_replaced(replaces, old_label) : ""));
}

/* list_appointments {}: the caller's upcoming bookings with their ids. */
static char *
list_appointments(ClinicTool *t)
{
	bool		has_event_type;
	Datum		context = context_of(t, &has_event_type);
	Datum		v[3];
	char	   *booked;

	if (!find_contact(t, CALL_CONTACT_FIND))
		return pstrdup("The caller is not on file, so they have no appointments.");
	v[0] = t->org;
	v[1] = t->contact;
	v[2] = context;
	vp_execute(&caller_bookings, v, NULL, 1);
	booked = text_column(VP_SOLE_COLUMN);
	if (booked == NULL || booked[0] == '\0')
		return pstrdup("The caller has no upcoming appointments.");
	return psprintf("The caller's upcoming appointments (%s): %s. To move one, hold the new time with "
					"claim_slot_atomic, then call reschedule_appointment with its appointment_id; to cancel one, "
					"call cancel_appointment with its appointment_id.",
					vp_json_text(DatumGetJsonbP(context), (const char *[]) {"timezone", NULL}), booked);
}

/* cancel_appointment {appointment_id}: one of the caller's appointments cancelled (in Cal.com too). */
static char *
cancel_appointment(ClinicTool *t)
{
	bool		has_event_type;
	Datum		context = context_of(t, &has_event_type);
	char	   *what = text_arg(t->args, "appointment_id");
	char	   *label;
	Datum		v[2];

	if (what == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cancel_appointment needs the appointment_id"),
				 errhint("Call list_appointments to find it.")));
	v[0] = appointment_of_caller(t, what, context, &label);
	v[1] = CStringGetTextDatum(REASON_CANCELLED);
	vp_execute(&release, v, NULL, 1);
	return psprintf("Cancelled the appointment on %s (%s).", label,
					vp_json_text(DatumGetJsonbP(context), (const char *[]) {"timezone", NULL}));
}

/* ---------------------------------------------------------------- running a tool */

/* A tool to run, and its answer item. */
typedef struct ToolRun
{
	ClinicTool *tool;
	char	   *item;
	bool		waiting;
} ToolRun;

static void
run_step(void *arg)
{
	ToolRun    *r = arg;
	ClinicTool *t = r->tool;
	const char *name = t->name;
	char	   *result = NULL;

	if (strcmp(name, "save_caller_details") == 0)
		result = save_caller_details(t);
	else if (strcmp(name, "check_availability") == 0)
		r->item = check_availability(t, &r->waiting);
	else if (strcmp(name, "claim_slot_atomic") == 0)
		result = claim_slot(t);
	else if (strcmp(name, "confirm_booking") == 0)
		r->item = book(t, false, &r->waiting);
	else if (strcmp(name, "reschedule_appointment") == 0)
		r->item = book(t, true, &r->waiting);
	else if (strcmp(name, "list_appointments") == 0)
		result = list_appointments(t);
	else if (strcmp(name, "cancel_appointment") == 0)
		result = cancel_appointment(t);
	else
		elog(ERROR, "\"%s\" is not a receptionist's tool", name);
	if (result != NULL)
		r->item = vp_tool_item(t->name, t->tool_call_id, "result", result);
}

/*
 * Runs one receptionist tool in a subtransaction; see tool_clinic.h.  A
 * contact made by a tool that failed is gone with it.
 */
char *
vp_clinic_tool(ClinicTool *t, bool *waiting)
{
	ToolRun		r = {t, NULL, false};
	bool		had_contact = t->has_contact;
	Datum		contact = t->contact;
	ErrorData  *failure = vp_in_subtransaction(run_step, &r);

	*waiting = failure == NULL && r.waiting;
	if (failure == NULL)
		return r.item;
	t->has_contact = had_contact;
	t->contact = contact;
	return vp_tool_item(t->name, t->tool_call_id, "error", vp_error_sentences(failure));
}

/* ---------------------------------------------------------------- Cal.com's answers */

/* Releases a hold Cal.com did not book. */
static void
release_hold(Datum hold, const char *reason)
{
	Datum		v[2] = {hold, CStringGetTextDatum(reason)};

	vp_execute(&release, v, NULL, 1);
}

/*
 * The booking's answer: booked (and the replaced appointment cancelled),
 * taken, refused, or (a new booking only) kept on hold and retried in the
 * outbox.  A reschedule Cal.com did not answer changes nothing.
 */
static char *
finish_book(const char *name, const char *id, Datum context, int status, const char *body, const char *error)
{
	Jsonb	   *ctx = DatumGetJsonbP(context);
	char	   *hold_text = vp_json_text(ctx, (const char *[]) {"hold_id", NULL});
	Datum		hold = DirectFunctionCall1(uuid_in, CStringGetDatum(hold_text));
	char	   *label = vp_json_text(ctx, (const char *[]) {"label", NULL});
	char	   *zone = vp_json_text(ctx, (const char *[]) {"timezone", NULL});
	char	   *replaces = vp_json_text(ctx, (const char *[]) {"replaces", NULL});
	char	   *replaces_label = vp_json_text(ctx, (const char *[]) {"replaces_label", NULL});
	char	   *uid;
	char	   *message;
	VpCalBooking outcome = vp_cal_booking_outcome(status, body, &uid, &message);

	if (outcome == VP_CAL_BOOKED)
	{
		Datum		v[2] = {hold, CStringGetTextDatum(uid)};
		char	   *failed = vp_try_execute(&book_cal, v, NULL);

		if (failed != NULL)
		{
			vp_outbox_queue_cancel(DirectFunctionCall1(uuid_in, CStringGetDatum(vp_json_text(ctx, (const char *[]) {"org_id", NULL}))),
								   uid, context);
			return vp_tool_item(name, id, "error",
						psprintf("%s could not be kept (%s), so nothing was booked. Call check_availability and offer another time.",
								 label, failed));
		}
		return vp_tool_item(name, id, "result",
					psprintf("Booked %s (%s) for the caller, confirmation %s. appointment_id: %s.%s", label, zone, uid,
							 hold_text,
							 replaces ? cancel_replaced(DirectFunctionCall1(uuid_in, CStringGetDatum(replaces)),
														replaces_label) : ""));
	}
	if (outcome == VP_CAL_TAKEN)
	{
		release_hold(hold, REASON_TAKEN);
		return vp_tool_item(name, id, "error",
					psprintf("%s was just taken in the calendar, so nothing was booked. Apologise, call "
							 "check_availability again and offer another time.", label));
	}
	if (outcome == VP_CAL_UNANSWERED)
	{
		if (replaces)
		{
			release_hold(hold, REASON_UNANSWERED);
			return vp_tool_item(name, id, "error",
						psprintf("The calendar did not answer (%s), so nothing changed: the appointment on %s stays. "
								 "Offer to try again in a moment.", vp_cal_trouble(status, error), replaces_label));
		}
		vp_execute(&queue_booking, &context, NULL, 0);
		return vp_tool_item(name, id, "result",
					psprintf("The booking for %s (%s) is being confirmed with the calendar; a confirmation will follow. "
							 "appointment_id: %s.", label, zone, hold_text));
	}
	release_hold(hold, REASON_REFUSED);
	return vp_tool_item(name, id, "error",
				psprintf("The calendar refused the booking for %s (%s%s%s), so nothing was booked.", label,
						 vp_cal_trouble(status, error), message ? ": " : "", message ? message : ""));
}

/*
 * The next item of a pending receptionist step, given Cal.com's response:
 * a check's free times offered in the call, or a booking's outcome.
 */
char *
vp_clinic_finish_step(const char *name, const char *tool_call_id, const char *step, Datum context,
					  int status, const char *body, const char *error, bool *waiting)
{
	Datum		parsed;

	*waiting = false;
	if (strcmp(step, STEP_BOOK) == 0)
		return finish_book(name, tool_call_id, context, status, body, error);
	parsed = vp_json_parse_or_null(body);
	if (status < 200 || status >= 300 || parsed == (Datum) 0)
		return vp_tool_item(name, tool_call_id, "error",
					psprintf("The calendar cannot be read right now (%s). Offer to have the front desk call back.",
							 vp_cal_trouble(status, error)));
	{
		Datum		v[2] = {context, parsed};

		vp_execute(&offer_cal_slots, v, NULL, 1);
		return vp_tool_item(name, tool_call_id, "result", free_times_answer(text_column(VP_SOLE_COLUMN)));
	}
}
