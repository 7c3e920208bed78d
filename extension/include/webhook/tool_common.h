/*
 * tool_common.h
 *	  What the live tools that talk to Cal.com share (tool_common.c): their
 *	  answer items, the shapes of the dates and times they are given, and
 *	  what a Cal.com booking answer means.
 */
#ifndef VAPI_POOL_TOOL_COMMON_H
#define VAPI_POOL_TOOL_COMMON_H

#include "postgres.h"

/* What Cal.com's answer to POST /bookings means (vp_cal_booking_outcome). */
typedef enum VpCalBooking
{
	VP_CAL_BOOKED,				/* 2xx with the booking's uid */
	VP_CAL_TAKEN,				/* 400 "not available" / "already has booking": the slot is taken */
	VP_CAL_UNANSWERED,			/* no answer, 408, 429 or 5xx: it may yet be booked (retry in the outbox) */
	VP_CAL_REFUSED				/* any other refusal */
} VpCalBooking;

/*
 * A booking Cal.com did not answer goes on in the outbox, the hold kept:
 * the statement queueing its cal.create_booking job (key booking:<hold id>)
 * from a pending step's context $1 ({org_id, body, hold_id, lead_id}).
 * The drop-off rule counts such a hold as booked (clinic_dropoff.c).
 */
#define VP_QUEUE_CAL_BOOKING_SQL \
	"INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)" \
	" VALUES (($1 ->> 'org_id')::uuid, 'cal.create_booking'," \
	"   pg_catalog.jsonb_build_object('request', $1 -> 'body', 'hold_id', $1 -> 'hold_id', 'lead_id', $1 -> 'lead_id')," \
	"   'booking:' || ($1 ->> 'hold_id'))" \
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING"

/*
 * Whether an ISO 8601 time $1 names its zone: Z, an offset, an abbreviation
 * (UTC, GMT, PST) or an IANA name at its end.  One without is a local time
 * of the calendar's zone; one with is read with it (a timestamp, which would
 * drop the zone silently, is never used for it).
 */
#define VP_ISO_TIME_HAS_ZONE(param) \
	"(" param " ~* '(z|[+-][0-9]{1,2}(:?[0-9]{2})?|[a-z]{3,5}|[a-z]+/[a-z_]+(/[a-z_]+)?)\\s*$')"

/*
 * Cal.com's free slots for a live tool's context ctx (a jsonb expression
 * with event_type_id, timezone, date and horizon_days): the http_request
 * of cal_slots_request, one shape for Barbara's and the receptionist's check.
 */
#define VP_CAL_SLOTS_REQUEST_SQL(ctx) \
	"vapi_pool.cal_slots_request((" ctx " ->> 'event_type_id')::bigint, " ctx " ->> 'timezone'," \
	" (" ctx " ->> 'date')::date, (" ctx " ->> 'horizon_days')::integer)"

/* A final answer item {"name", "toolCallId", key: text} (key: result or error) as JSON text. */
extern char *vp_tool_item(const char *name, const char *tool_call_id, const char *key, const char *text);
/* Whether s is written YYYY-MM-DD. */
extern bool vp_is_date_text(const char *s);
/* Whether s starts like an ISO 8601 date and time: YYYY-MM-DD, then T or a space, then HH:MM. */
extern bool vp_is_iso_time_text(const char *s);
/* Why Cal.com did not answer with success, for the assistant: "HTTP 503", "no answer (timed out)". */
extern char *vp_cal_trouble(int status, const char *error);
/* What a POST /bookings answer means; *uid (booked) and *message (Cal.com's error message) or NULL. */
extern VpCalBooking vp_cal_booking_outcome(int status, const char *body, char **uid, char **message);

#endif							/* VAPI_POOL_TOOL_COMMON_H */
