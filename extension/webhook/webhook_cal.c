/*
 * webhook_cal.c
 *	  Cal.com booking webhooks: a booking cancelled or moved in Cal.com
 *	  releases or moves our appointment (../shared/reference/calcom.md).
 *
 *	  BOOKING_CANCELLED    release_slot(hold, 'cancelled in Cal.com') of the
 *	                       appointment with that booking uid
 *	  BOOKING_RESCHEDULED  the appointment booked as payload.rescheduleUid
 *	                       (else payload.uid) moves to startTime..endTime
 *	                       and takes the new uid; a move onto a taken slot
 *	                       is refused by the exclusion constraint and the
 *	                       event is kept as failed for a person to look at
 *	  anything else        stored only
 * A booking uid we do not know is stored and answered 200: Cal.com also
 * sends events for bookings made outside the product.
 */
#include "core/json.h"
#include "core/saved_plans.h"
#include "webhook/webhook.h"
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
	" duration = coalesce($3::timestamptz - $2::timestamptz, a.duration), cal_booking_uid = $4"
	" WHERE a.cal_booking_uid = coalesce($1, $4) AND a.status IN ('held', 'booked')"
	" RETURNING a.org_id, a.id",
	.nargs = 4, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID}
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

/* Handles a Cal.com booking event. */
void
vp_cal_handle(Jsonb *payload, const char *trigger, MemoryContext cxt, WebhookAnswer *a)
{
	char	   *uid = vp_json_text(payload, (const char *[]) {"payload", "uid", NULL});
	char		n[4] = "    ";
	Datum		v[4];

	if (strcmp(trigger, "BOOKING_CANCELLED") == 0 || strcmp(trigger, "BOOKING_RESCHEDULED") == 0)
	{
		if (uid == NULL || uid[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a Cal.com %s event needs payload.uid", trigger)));
	}
	if (strcmp(trigger, "BOOKING_CANCELLED") == 0)
	{
		v[0] = CStringGetTextDatum(uid);
		vp_execute(&cancel_booking, v, n, 0);
		if (SPI_processed > 0)
			vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		answer_action(a, cxt, SPI_processed > 0 ? "cancelled" : "unknown_booking", SPI_processed);
	}
	else if (strcmp(trigger, "BOOKING_RESCHEDULED") == 0)
	{
		char	   *start = vp_json_text(payload, (const char *[]) {"payload", "startTime", NULL});

		if (start == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a Cal.com BOOKING_RESCHEDULED event needs payload.startTime")));
		v[0] = vp_text_arg(vp_json_text(payload, (const char *[]) {"payload", "rescheduleUid", NULL}), &n[0]);
		v[1] = CStringGetTextDatum(start);
		v[2] = vp_text_arg(vp_json_text(payload, (const char *[]) {"payload", "endTime", NULL}), &n[2]);
		v[3] = CStringGetTextDatum(uid);
		vp_execute(&move_booking, v, n, 0);
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
