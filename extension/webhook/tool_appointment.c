/*
 * tool_appointment.c
 *	  The confirmation call's tool (release 0.8.0, issue 25): Barbara calls a
 *	  lead ahead of a booked appointment (slots/cal_booking.c queues the
 *	  call) and the lead confirms or cancels it.
 *
 *	  update_appointment {"action": "confirm" | "cancel", "appointment_id"?}
 *
 * The appointment is always one of the call's own lead, booked and not over
 * -- the one named, or without a name the lead's next one -- never another
 * contact's, whatever id the model passes.  One its host has not accepted
 * yet (a requested booking) cannot be confirmed by the lead.  Confirming sets confirmed_at; cancelling
 * is release_slot with the reason "cancelled by the lead on a call", which
 * also queues the cancellation at Cal.com and lets the number go by the
 * release rule (appointment_changed).  Moving an appointment is booking the
 * new time (check_availability_and_book), then cancelling the old one here:
 * the prompt says so.  The answer is the sentences the model says next.
 */
#include "core/chars.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "webhook/tool_appointment.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

/* the reason a cancellation on the phone is stored with */
#define CANCELLED_ON_CALL "cancelled by the lead on a call"

/*
 * The lead's booked appointment ($3, or without it the next one still to
 * end), locked, with what the model says of it: when (in its calendar's
 * zone), the zone, and with whom.
 */
static VpPlan lead_appointment = {
	.sql = "SELECT a.id, a.hold_id,"
	"   vapi_pool.spoken_time(a.scheduled_at, coalesce(b.timezone, o.timezone)::text),"
	"   coalesce(b.timezone, o.timezone)::text, coalesce(b.name, o.name), a.awaiting_host"
	" FROM vapi_pool.appointments a"
	" JOIN vapi_pool.orgs o ON o.org_id = a.org_id"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = a.org_id AND b.id = a.broker_id"
	" WHERE a.org_id = $1 AND a.contact_id = $2 AND a.status = 'booked' AND a.ends_at > pg_catalog.now()"
	"   AND ($3::uuid IS NULL OR a.id = $3)"
	" ORDER BY a.scheduled_at LIMIT 1"
	" FOR NO KEY UPDATE OF a",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, UUIDOID}
};

enum
{
	APPT_COL_ID = 1,
	APPT_COL_HOLD,
	APPT_COL_WHEN,
	APPT_COL_ZONE,
	APPT_COL_WITH,
	APPT_COL_AWAITING_HOST
};

static VpPlan confirm = {
	.sql = "UPDATE vapi_pool.appointments SET confirmed_at = coalesce(confirmed_at, pg_catalog.now())"
	" WHERE org_id = $1 AND id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan cancel = {
	.sql = "SELECT 1 FROM vapi_pool.release_slot($1, '" CANCELLED_ON_CALL "')",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The appointment id the model passed: a uuid, else NULL ("" and "none" are none). */
static Datum
appointment_arg(Jsonb *args, char *null)
{
	char	   *s = vp_json_text(args, (const char *[]) {"appointment_id", NULL});

	*null = 'n';
	if (s == NULL || s[0] == '\0')
		return (Datum) 0;
	if (!vp_is_uuid_text(s, strlen(s)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("\"%s\" is not an appointment id", s),
				 errhint("Leave appointment_id out to act on the caller's next appointment, "
						 "or pass the id get_lead_details gave as next_appointment.id.")));
	*null = ' ';
	return DirectFunctionCall1(uuid_in, CStringGetDatum(s));
}

/* update_appointment: see the file header. */
char *
vp_appointment_tool(Datum org, Datum lead, bool has_lead, Datum args)
{
	Jsonb	   *a = DatumGetJsonbP(args);
	char	   *action = vp_json_text(a, (const char *[]) {"action", NULL});
	Datum		v[3];
	char		n[3] = "   ";
	bool		isnull;
	char	   *when,
			   *zone,
			   *with;
	Datum		id,
				hold;

	if (action == NULL || (strcmp(action, "confirm") != 0 && strcmp(action, "cancel") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("update_appointment needs action \"confirm\" or \"cancel\""),
				 errhint("To move the appointment, book the new time with check_availability_and_book, "
						 "then cancel the old one with action cancel.")));
	if (!has_lead)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("this call has no lead whose appointment could be changed"),
				 errhint("Tell the caller the office will call them back about their appointment.")));
	v[0] = org;
	v[1] = lead;
	v[2] = appointment_arg(a, &n[2]);
	vp_execute(&lead_appointment, v, n, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the caller has no booked appointment%s", n[2] == ' ' ? " with that id" : " still to come"),
				 errhint("Tell the caller you do not see an upcoming appointment, and offer to book one with "
						 "check_availability_and_book.")));
	id = vp_getdatum(0, APPT_COL_ID, &isnull);
	id = datumCopy(id, false, UUID_LEN);
	hold = vp_getdatum(0, APPT_COL_HOLD, &isnull);
	hold = datumCopy(hold, false, UUID_LEN);
	when = TextDatumGetCString(vp_getdatum(0, APPT_COL_WHEN, &isnull));
	zone = TextDatumGetCString(vp_getdatum(0, APPT_COL_ZONE, &isnull));
	with = TextDatumGetCString(vp_getdatum(0, APPT_COL_WITH, &isnull));

	if (strcmp(action, "confirm") == 0)
	{
		Datum		c[2] = {org, id};

		if (DatumGetBool(vp_getdatum(0, APPT_COL_AWAITING_HOST, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the appointment with %s on %s (%s time) is not accepted by %s yet", with, when, zone, with),
					 errhint("Tell the caller %s still has to accept that time and the office will confirm it; "
							 "do not call update_appointment again on this call.", with)));

		vp_execute(&confirm, c, NULL, 0);
		return psprintf("Confirmed: the appointment with %s on %s (%s time). "
						"Thank the caller, tell them %s looks forward to it, and end the call.",
						with, when, zone, with);
	}
	vp_execute(&cancel, &hold, NULL, 0);
	return psprintf("Cancelled: the appointment with %s on %s (%s time); the calendar is told. "
					"Ask whether the caller wants another time: if so call check_availability_and_book with action check; "
					"if not, thank them and end the call.",
					with, when, zone);
}
