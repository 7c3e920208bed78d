/*
 * slot_claim.h
 *	  Shared pieces of slot claiming (release 0.4.0): argument checks, the
 *	  SQL that names one calendar, and times written in a calendar's zone.
 */
#ifndef VAPI_POOL_SLOT_CLAIM_H
#define VAPI_POOL_SLOT_CLAIM_H

#include "core/saved_plans.h"

#include "datatype/timestamp.h"

/*
 * SQL fragments.  A calendar is (org_id, broker_id), broker_id NULL for the
 * organisation's own; the expressions are exactly those of the exclusion
 * constraint appointments_no_overlap, so that its index serves them.
 */
#define VP_SLOT_ZERO_UUID "'00000000-0000-0000-0000-000000000000'::pg_catalog.uuid"
#define VP_SLOT_CALENDAR(alias, broker_param) \
	"coalesce(" alias ".broker_id, " VP_SLOT_ZERO_UUID ") = coalesce(" broker_param ", " VP_SLOT_ZERO_UUID ")"
#define VP_SLOT_RANGE(alias) "pg_catalog.tstzrange(" alias ".scheduled_at, " alias ".ends_at, '[)')"
/* the end of a slot, computed in UTC as appointments.ends_at is */
#define VP_SLOT_END(start, duration) \
	"(((" start ") AT TIME ZONE 'UTC') + " duration ") AT TIME ZONE 'UTC'"
#define VP_SLOT_ACTIVE(alias) alias ".status IN ('held', 'booked')"
/*
 * The active appointments (alias) of organisation org_param's calendar
 * broker_param whose slot overlaps [start, start + duration).
 */
#define VP_SLOT_OVERLAPPING(alias, org_param, broker_param, start, duration) \
	alias ".org_id = " org_param " AND " VP_SLOT_CALENDAR(alias, broker_param) " AND " VP_SLOT_ACTIVE(alias) \
	" AND " VP_SLOT_RANGE(alias) " && pg_catalog.tstzrange(" start ", " VP_SLOT_END(start, duration) ", '[)')"

/*
 * SQL cancelling, as expired, the holds of organisation org_param's calendar
 * broker_param overlapping [start, start + duration) whose time ran out:
 * what claim_slot_atomic and a Cal.com booking (cal_booking.c) do before
 * they look for a conflict.
 */
#define VP_SLOT_CANCEL_EXPIRED(org_param, broker_param, start, duration) \
	"UPDATE vapi_pool.appointments a" \
	" SET status = 'cancelled', cancelled_at = pg_catalog.now(), cancel_reason = 'expired'" \
	" WHERE " VP_SLOT_OVERLAPPING("a", org_param, broker_param, start, duration) \
	"   AND a.status = 'held' AND a.hold_expires_at <= pg_catalog.now()"

/*
 * The longest appointment (appointments_duration_range) and hold, and the
 * same in words for messages.
 */
#define VP_SLOT_MAX_DURATION_USECS USECS_PER_DAY
#define VP_SLOT_MAX_DURATION_TEXT "24 hours"
#define VP_SLOT_MAX_HOLD_USECS USECS_PER_HOUR
#define VP_SLOT_MAX_HOLD_TEXT "1 hour"

/*
 * The reason release_slot is given when Cal.com itself cancelled the booking
 * (Cal.com's webhook); such a release queues no cancellation at Cal.com.
 */
#define VP_SLOT_CANCELLED_IN_CAL "cancelled in Cal.com"

extern void vp_slot_require(FunctionCallInfo fcinfo, int argno, const char *name);
extern void vp_slot_check_interval(const char *name, Interval *value, int64 max_usecs, const char *max_text);
extern char *vp_slot_local_time(TimestampTz t, const char *zone);
extern char *vp_slot_local_span(TimestampTz start, TimestampTz end, const char *zone);
extern char *vp_slot_text(int row, int col);

#endif							/* VAPI_POOL_SLOT_CLAIM_H */
